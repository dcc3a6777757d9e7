"""No route answers 500, whatever it is sent (SQLite and PostgreSQL), signed in or by token.

Every API route under /api/v1 is found from the app itself and probed, as the instance
administrator signed in (session cookie and CSRF token) and again with a manager's API
token of the route's workspace, with unknown ids;
ids that are 0, negative, huge or not numbers; bad query parameters; bodies that are
missing, not JSON, JSON of the wrong type, or a valid request with one field replaced by a
wrong type, an overlong string, control or odd unicode characters; and an extra field. Each
answer must be below 500, an error must have the documented shape, and an error answer
must not commit a write.

A new route fails `test_every_route_has_an_example` until it has a valid request in
EXAMPLES (and its query parameters values in QUERY); from then on it is probed like the
others.
"""

from __future__ import annotations

import datetime as dt
import json
import math
import typing
from collections.abc import Callable, Iterator
from copy import deepcopy
from dataclasses import dataclass, field, replace
from urllib.parse import quote

import pytest
from fastapi import FastAPI
from fastapi.routing import APIRoute
from pydantic import BaseModel
from sqlalchemy import event

from pullplan.integrations.webhooks import signed_headers
from pullplan.services import handoffs as handoff_service
from pullplan.settings import Settings
from pullplan.storage.database import Database
from pullplan.web.app import create_app

try:
    from fastapi.routing import iter_route_contexts
except ImportError:  # FastAPI < 0.137.2 keeps app.routes flat
    iter_route_contexts = None

API = "/api/v1"
WRITES = {"POST", "PATCH", "PUT", "DELETE"}
METHODS = ("PUT", "DELETE", "PATCH", "POST")  # one the path does not have must answer 405
PASSWORD = "correct horse battery staple"  # conftest.PASSWORD, the administrator's


@pytest.fixture
def api_url(database_url: str) -> str:
    return database_url


@pytest.fixture
def client(in_process, admin_id, sign_in):
    """The instance administrator, signed in, on an in-process client: the sweep sends some
    2,000 requests per database and way of signing in (see conftest.InProcessClient)."""
    admin = in_process()
    sign_in(admin, "admin")
    return admin


# --- the routes, as the app has them ----------------------------------------------------------


@dataclass(frozen=True)
class Route:
    method: str
    path: str
    path_params: tuple[str, ...]
    query_params: tuple[tuple[str, bool], ...]  # (name, required)
    body: type[BaseModel] | None  # the body's model; None when the route takes no body
    body_required: bool

    @property
    def key(self) -> str:
        return f"{self.method} {self.path}"


def _model_of(annotation) -> type[BaseModel] | None:
    for candidate in (annotation, *typing.get_args(annotation)):
        if isinstance(candidate, type) and issubclass(candidate, BaseModel):
            return candidate
    return None


def _contexts(app: FastAPI) -> Iterator:
    """Every route with its full path (FastAPI >= 0.137 keeps included routers as a tree)."""
    return iter_route_contexts(app.routes) if iter_route_contexts else iter(app.routes)


def api_routes(app: FastAPI) -> list[Route]:
    routes = []
    for context in _contexts(app):
        if not isinstance(getattr(context, "original_route", context), APIRoute):
            continue
        if not context.path.startswith(API + "/"):
            continue
        dependant = context.dependant
        body = dependant.body_params[0] if dependant.body_params else None
        for method in sorted(context.methods):
            routes.append(
                Route(
                    method=method,
                    path=context.path,
                    path_params=tuple(p.name for p in dependant.path_params),
                    query_params=tuple((q.name, q.field_info.is_required()) for q in dependant.query_params),
                    body=_model_of(body.field_info.annotation) if body else None,
                    body_required=bool(body and body.field_info.is_required()),
                )
            )
    return routes


def page_routes(app: FastAPI) -> set[str]:
    """The HTML pages: routes outside /api/v1 that are not FastAPI's own docs."""
    return {
        f"{method} {context.path}"
        for context in _contexts(app)
        if isinstance(getattr(context, "original_route", context), APIRoute)
        and not context.path.startswith(API + "/")
        for method in context.methods
    }


# --- a world for each route, and a valid request to start from ---------------------------------


# The state the route's item is kept in, where the route only acts on an item in that state.
ITEM_STATE = {
    "POST /api/v1/items/{item_id}/unblock": "blocked",
    "POST /api/v1/items/{item_id}/archive": "done",
}


# The state a route's handoff is kept in, and whose step the route is (the caller's part).
HANDOFF_STATE = {
    "POST /api/v1/handoffs/{handoff_id}/accept-counter": ("countered", "requester"),
    "POST /api/v1/handoffs/{handoff_id}/decline-counter": ("countered", "requester"),
    "POST /api/v1/handoffs/{handoff_id}/perform": ("promised", "performer"),
    "POST /api/v1/handoffs/{handoff_id}/declare-complete": ("promised", "performer"),
    "POST /api/v1/handoffs/{handoff_id}/accept": ("declared_complete", "requester"),
    "POST /api/v1/handoffs/{handoff_id}/reject": ("declared_complete", "requester"),
    "POST /api/v1/handoffs/{handoff_id}/cancel": ("requested", "requester"),
}


# The routes that read the board's past: their world has items finished on earlier days.
READS_HISTORY = {
    "GET /api/v1/boards/{board_id}/metrics",
    "GET /api/v1/boards/{board_id}/forecast/how-many",
    "GET /api/v1/boards/{board_id}/forecast/when",
    "GET /api/v1/boards/{board_id}/forecast/revenue",
    "GET /api/v1/boards/{board_id}/forecast/backtest",
    "GET /api/v1/boards/{board_id}/commit-by",
    "GET /api/v1/workspaces/{workspace_id}/commit-by",
    "GET /api/v1/boards/{board_id}/commitment-timing",
    "GET /api/v1/boards/{board_id}/service-levels",
}


@dataclass
class World:
    """One route's own board, with the item, the allocation and the token its ids point at.

    After a write that succeeds the route gets a fresh item, allocation and token, so that
    every probe meets the same state (an item not yet moved, blocked or archived)."""

    client: object
    team: object  # conftest.Team
    route: Route
    item_id: int = 0
    allocation_id: int = 0
    token_id: int = 0
    handoff_id: int = 0
    serial: int = 0
    rule_objects: dict = field(default_factory=dict)  # rule, notification, source, target

    @classmethod
    def build(cls, client, new_team, history, route: Route) -> World:
        team = new_team(f"Probes of {route.key}")
        team.set_stage("Doing", wip_limit=None)  # so that every valid move is allowed
        if route.key in READS_HISTORY:
            history(team)
        world = cls(client=client, team=team, route=route)
        world.item_id = world.new_item()
        world.allocation_id = world.new_allocation()
        world.token_id = world.new_token()
        if "handoff_id" in route.path_params:
            world.handoff_id = world.new_handoff()
        world.rule_objects = rule_objects(world)
        return world

    def unique(self) -> int:
        self.serial += 1
        return self.serial

    def new_item(self) -> int:
        item_id = self.team.create_item("Spring launch email", stage="Next", owner_id=self.team.users["bob"])[
            "id"
        ]
        state = ITEM_STATE.get(self.route.key)
        if state == "blocked":
            response = self.client.post(f"{API}/items/{item_id}/block", json={"reason": "Waiting for legal"})
            assert response.status_code == 200, response.text
        elif state == "done":
            assert self.team.move(item_id, "Done").status_code == 200
        return item_id

    def new_allocation(self) -> int:
        response = self.client.post(
            f"{API}/boards/{self.team.board_id}/allocations",
            json={"work_type_id": self.team.work_types["Campaign"], "limit_count": 2},
        )
        assert response.status_code == 201, response.text
        return response.json()["allocations"][-1]["id"]

    def new_token(self, role: str = "member") -> int:
        response = self.client.post(
            f"{API}/workspaces/{self.team.workspace_id}/tokens",
            json={"name": f"Spreadsheet sync {self.unique()}", "role": role},
        )
        assert response.status_code == 201, response.text
        return response.json()["id"]

    def new_handoff(self) -> int:
        """A handoff in the state the route acts on (HANDOFF_STATE), in which the administrator
        (the caller, also behind the manager's token) takes the next step: as the performer
        of bob's request to the team, or as the requester of a handoff bob performs."""
        state, party = HANDOFF_STATE.get(self.route.key, ("requested", "performer"))
        db = self.client.app.state.db
        admin = self.client.get(f"{API}/me").json()["user"]["id"]
        bob = self.team.users["bob"]
        requester, performer = (bob, admin) if party == "performer" else (admin, bob)
        handoff = handoff_service.request_handoff(
            db,
            actor_id=requester,
            requesting_item_id=self.new_item(),
            performer_board_id=self.team.board_id,
            performer_id=None if performer == admin else bob,
            title="Case study",
            conditions="Two pages, approved by the customer.",
            due_date=dt.date.today() + dt.timedelta(days=30),
        ).id
        steps = {"countered": ["counter"], "promised": ["promise"], "declared_complete": ["promise"]}
        steps["declared_complete"].append("declare_complete")
        for step in steps.get(state, []):
            later = dt.date.today() + dt.timedelta(days=40) if step == "counter" else None
            handoff_service.take_step(db, actor_id=performer, handoff_id=handoff, step=step, due_date=later)
        return handoff

    def bearer(self) -> str:
        """A new manager's token of this workspace, made by the administrator."""
        response = self.client.post(
            f"{API}/workspaces/{self.team.workspace_id}/tokens", json={"name": "Probes", "role": "manager"}
        )
        assert response.status_code == 201, response.text
        return response.json()["token"]

    def renew(self) -> None:
        if "item_id" in self.route.path_params:
            self.item_id = self.new_item()
        if "allocation_id" in self.route.path_params:
            self.allocation_id = self.new_allocation()
        if "token_id" in self.route.path_params:
            self.token_id = self.new_token()
        if "handoff_id" in self.route.path_params:
            self.handoff_id = self.new_handoff()
        if set(self.rule_objects) & set(self.route.path_params):
            self.rule_objects = rule_objects(self)

    def ids(self) -> dict[str, int]:
        t = self.team
        every = {
            "workspace_id": t.workspace_id,
            "board_id": t.board_id,
            "stage_id": t.stages["Doing"],
            "lane_id": t.lanes["Standard"],
            "allocation_id": self.allocation_id,
            "item_id": self.item_id,
            "user_id": t.users["dave"],
            "token_id": self.token_id,
            "handoff_id": self.handoff_id,
        }
        every.update({name: made["id"] for name, made in self.rule_objects.items()})
        return {
            name: every[name] if name in every else planner_id(self, name) for name in self.route.path_params
        }

    def query(self) -> dict[str, object]:
        values = {name: QUERY[name](self) for name, _ in self.route.query_params}
        return {name: value for name, value in values.items() if value is not None}

    def body(self):
        example = EXAMPLES[self.route.key](self)
        return ABSENT if example is None else example


def _days(n: int) -> str:
    return (dt.date.today() + dt.timedelta(days=n)).isoformat()


# A valid value for every query parameter, by name (None: leave it out of the valid request;
# it is still probed with bad values).
QUERY: dict[str, Callable[[World], object]] = {
    "stage_id": lambda w: w.team.stages["Doing"],
    "finished_page": lambda w: 10,
    "limit": lambda w: 10,
    "offset": lambda w: 0,
    "after_id": lambda w: 0,
    "before_id": lambda w: 2_147_483_647,
    "start": lambda w: None,  # 90 days before the end; with both, a wrong end names the start
    "end": lambda w: _days(0),
    "work_type": lambda w: "Campaign",
    "class_of_service": lambda w: "standard",
    "lane": lambda w: "Standard",
    "days": lambda w: 14 if w.route.path.endswith("/how-many") else None,
    "by": lambda w: None,  # either days or by
    "window_days": lambda w: 30,
    "method": lambda w: "monte_carlo",
    "trials": lambda w: 1000,
    "seed": lambda w: 7,
    "items": lambda w: 3,
    "target": lambda w: 50_000 if w.route.path.endswith("/revenue") else _days(30),  # an amount, or a date
    "owner_id": lambda w: w.team.users["bob"],
    "board_id": lambda w: w.team.board_id,
    "step": lambda w: 7,
    "mine": lambda w: "performer",
    "status": lambda w: "open",
    "working_days": lambda w: "true",
    "horizon_days": lambda w: 14,
}


def _stage_spec(**overrides) -> dict:
    return {
        "name": "Proofing",
        "kind": "committed",
        "wip_limit": 2,
        "wip_mode": "reason",
        "requires_owner": True,
        "requires_due_date": False,
        "requires_ready": False,
        "split": False,
        "policy": "Two readers sign off.",
        **overrides,
    }


def _child(w, offset_days: int) -> dict:
    """A child of a split template or of a split by hand."""
    deal = w.team.work_types["Deal"]
    return {"title": "Brief", "work_type_id": deal, "stage_name": "Ideas", "offset_days": offset_days}


# A valid request body for every route that takes one (None: the route takes no body).
EXAMPLES: dict[str, Callable[[World], dict | None]] = {
    "GET /api/v1/workspaces": lambda w: None,
    "POST /api/v1/workspaces": lambda w: {"name": f"Field Sales {w.unique()}", "time_zone": "Europe/Berlin"},
    "GET /api/v1/workspaces/{workspace_id}": lambda w: None,
    "GET /api/v1/workspaces/{workspace_id}/members": lambda w: None,
    "PUT /api/v1/workspaces/{workspace_id}/members/{user_id}": lambda w: {"role": "viewer"},
    "GET /api/v1/me": lambda w: None,
    "GET /api/v1/users": lambda w: None,
    "POST /api/v1/users": lambda w: {
        "username": f"erin{w.unique()}",
        "display_name": "Erin Evans",
        "email": "erin@example.com",
        "password": "a long enough password",
        "is_admin": False,
    },
    "GET /api/v1/workspaces/{workspace_id}/tokens": lambda w: None,
    "POST /api/v1/workspaces/{workspace_id}/tokens": lambda w: {
        "name": f"Nightly report {w.unique()}",
        "role": "viewer",
    },
    "DELETE /api/v1/tokens/{token_id}": lambda w: None,
    "GET /api/v1/workspaces/{workspace_id}/audit": lambda w: None,
    "GET /api/v1/workspaces/{workspace_id}/work-types": lambda w: None,
    "POST /api/v1/workspaces/{workspace_id}/work-types": lambda w: {"name": f"Event {w.unique()}"},
    "GET /api/v1/workspaces/{workspace_id}/boards": lambda w: None,
    "POST /api/v1/workspaces/{workspace_id}/boards": lambda w: {
        "name": f"Leads {w.unique()}",
        "description": "Inbound leads from the website.",
        # Every field of a stage and a lane is probed through POST /stages and /lanes.
        "stages": [{"name": "New", "kind": "option"}, {"name": "Working"}, {"name": "Won", "kind": "done"}],
        "lanes": [{"name": "Hot", "class_of_service": "expedite"}],
        "expedite_limit": 1,
        "blocked_counts_against_wip": True,
        "person_wip_limit": 3,
        "person_wip_mode": "warn",
    },
    "GET /api/v1/boards/{board_id}": lambda w: None,
    "PATCH /api/v1/boards/{board_id}": lambda w: {
        "name": "Campaigns 2026",
        "description": "Everything we ship this year.",
        "expedite_limit": 2,
        "blocked_counts_against_wip": False,
        "person_wip_limit": 4,
        "person_wip_mode": "reason",
    },
    "GET /api/v1/boards/{board_id}/view": lambda w: None,
    "POST /api/v1/boards/{board_id}/stages": lambda w: {
        **_stage_spec(name=f"Proofing {w.unique()}"),
        "position": 4,
    },
    "PATCH /api/v1/stages/{stage_id}": lambda w: {
        k: x for k, x in _stage_spec(name="Writing", wip_mode="warn").items() if k != "kind"
    },
    "GET /api/v1/stages/{stage_id}/items": lambda w: None,
    "POST /api/v1/boards/{board_id}/lanes": lambda w: {
        "name": f"Fixed date {w.unique()}",
        "class_of_service": "fixed_date",
        "wip_limit": 2,
        "wip_mode": "warn",
    },
    "PATCH /api/v1/lanes/{lane_id}": lambda w: {
        "name": "Everyday",
        "class_of_service": "standard",
        "wip_limit": 3,
        "wip_mode": "reason",
    },
    "POST /api/v1/boards/{board_id}/allocations": lambda w: {
        "class_of_service": "intangible",
        "limit_percent": 20,
        "wip_mode": "warn",
    },
    "DELETE /api/v1/allocations/{allocation_id}": lambda w: None,
    "GET /api/v1/boards/{board_id}/pull-next": lambda w: None,
    "GET /api/v1/boards/{board_id}/transitions": lambda w: None,
    "POST /api/v1/boards/{board_id}/items": lambda w: {
        "title": "Webinar follow-up",
        "stage_id": w.team.stages["Ideas"],
        "class_of_service": "fixed_date",
        "due_date": "2026-03-31",
        "description": "Mail everyone who registered.",
        "lane_id": w.team.lanes["Standard"],
        "work_type_id": w.team.work_types["Campaign"],
        "owner_id": w.team.users["bob"],
        "value": "1500.00",
        "size": 3,
        "tags": ["webinar", "q1"],
        "external_ref": "CRM-42",
        "parent_id": w.item_id,
        "reason": "The client asked for it.",
    },
    "GET /api/v1/items/{item_id}": lambda w: None,
    "PATCH /api/v1/items/{item_id}": lambda w: {
        "title": "Spring launch email, second send",
        "description": "Resend to those who did not open it.",
        "class_of_service": "standard",
        "ready": True,
        "due_date": "2026-04-15",
        "lane_id": w.team.lanes["Standard"],
        "work_type_id": w.team.work_types["Deal"],
        "owner_id": w.team.users["alice"],
        "value": 10,
        "size": 1,
        "tags": ["email"],
        "external_ref": "CRM-7",
        "reason": "Agreed at the replenishment meeting.",
    },
    "POST /api/v1/items/{item_id}/move": lambda w: {
        "to_stage_id": w.team.stages["Doing"],
        "reason": "Agreed at the replenishment meeting.",
    },
    "POST /api/v1/items/{item_id}/block": lambda w: {"reason": "Waiting for legal", "category": "Legal"},
    "POST /api/v1/items/{item_id}/unblock": lambda w: {"reason": "Legal approved the copy."},
    "POST /api/v1/items/{item_id}/discard": lambda w: {"reason": "The budget was cut."},
    "POST /api/v1/items/{item_id}/archive": lambda w: None,
    "GET /api/v1/items/{item_id}/transitions": lambda w: None,
    "GET /api/v1/workspaces/{workspace_id}/handoffs": lambda w: None,
    "GET /api/v1/items/{item_id}/handoffs": lambda w: None,
    "POST /api/v1/items/{item_id}/handoffs": lambda w: {
        "performer_board_id": w.team.board_id,
        "title": "Case study",
        "conditions": "Two pages, approved by the customer.",
        "due_date": _days(30),
        "performer_id": w.team.users["alice"],
        "stage_id": w.team.stages["Ideas"],
        "block": False,
    },
    "GET /api/v1/handoffs/{handoff_id}": lambda w: None,
    "POST /api/v1/handoffs/{handoff_id}/promise": lambda w: {"note": "On it."},
    "POST /api/v1/handoffs/{handoff_id}/counter": lambda w: {
        "due_date": _days(45),
        "conditions": "One page.",
        "note": "The customer is away.",
    },
    "POST /api/v1/handoffs/{handoff_id}/accept-counter": lambda w: {"note": "Fine."},
    "POST /api/v1/handoffs/{handoff_id}/decline-counter": lambda w: {"note": "We need it by the date."},
    "POST /api/v1/handoffs/{handoff_id}/decline": lambda w: {"note": "No designer free this month."},
    "POST /api/v1/handoffs/{handoff_id}/perform": lambda w: {"note": "Started."},
    "POST /api/v1/handoffs/{handoff_id}/declare-complete": lambda w: {"note": "In the shared folder."},
    "POST /api/v1/handoffs/{handoff_id}/accept": lambda w: {"note": "Thank you."},
    "POST /api/v1/handoffs/{handoff_id}/reject": lambda w: {"note": "The quote is missing."},
    "POST /api/v1/handoffs/{handoff_id}/cancel": lambda w: {"note": "The deal was lost."},
    "GET /api/v1/boards/{board_id}/metrics": lambda w: None,
    "GET /api/v1/boards/{board_id}/forecast/how-many": lambda w: None,
    "GET /api/v1/boards/{board_id}/forecast/when": lambda w: None,
    "GET /api/v1/boards/{board_id}/forecast/revenue": lambda w: None,
    "GET /api/v1/boards/{board_id}/forecast/backtest": lambda w: None,
    "GET /api/v1/boards/{board_id}/forecast/revenue-backtest": lambda w: None,
    "GET /api/v1/boards/{board_id}/commit-by": lambda w: None,
    "GET /api/v1/workspaces/{workspace_id}/commit-by": lambda w: None,
    "GET /api/v1/boards/{board_id}/commitment-timing": lambda w: None,
    "GET /api/v1/boards/{board_id}/service-levels": lambda w: None,
    "GET /api/v1/workspaces/{workspace_id}/lrm-settings": lambda w: None,
    "PATCH /api/v1/workspaces/{workspace_id}/lrm-settings": lambda w: {
        "default_percentile": 85,
        "class_percentiles": {"fixed_date": 95, "standard": 80},
        "cadence_days": 7,
        "class_buffers": {"fixed_date": 14, "standard": 3},
        "lookahead_days": 42,
        "use_working_days": True,
        "working_days": [1, 2, 3, 4, 5],
        "holidays": ["2026-12-25"],
        "time_zone": "Europe/Berlin",
    },
    "GET /api/v1/workspaces/{workspace_id}/split-templates": lambda w: None,
    "PUT /api/v1/workspaces/{workspace_id}/split-templates": lambda w: {
        "work_type_id": w.team.work_types["Campaign"],
        "children": [_child(w, -14)],
    },
    "GET /api/v1/items/{item_id}/aggregate": lambda w: None,
    "POST /api/v1/items/{item_id}/split": lambda w: {
        "children": [_child(w, -7)],
        "reason": "Agreed at the replenishment meeting.",
    },
}
PAGES = {"GET /", "GET /boards/{board_id}", "GET /login", "POST /login", "POST /logout", "GET /docs"}
PAGES |= {"GET /boards/{board_id}/flow", "GET /boards/{board_id}/forecast", "GET /assets/plotly.min.js"}
PAGES |= {"GET /workspaces/{workspace_id}/handoffs"}
PAGES |= {"GET /healthz", "GET /readyz"}  # no input to probe; tests/api/test_health.py
PAGES |= {  # probed in test_commit_by_page.py
    "GET /workspaces/{workspace_id}/commit-by",
    "POST /workspaces/{workspace_id}/commit-by/settings",
    "POST /workspaces/{workspace_id}/commit-by/split",
    "POST /workspaces/{workspace_id}/commit-by/templates",
}
# What a token may not do, however high its role: an administrator's work, and making tokens
# (a leaked token must not outlive its revocation by minting another).
SESSION_ONLY = {
    "GET /api/v1/users",
    "POST /api/v1/users",
    "POST /api/v1/workspaces",
    "POST /api/v1/workspaces/{workspace_id}/tokens",
}


# The Last Planner: a route's pull plan, constraint, promise (this week) and learning cycle are
# made when its path or its example names them, once per route.
QUERY.update({"week": lambda w: _days(0), "weeks": lambda w: 4})
PAGES |= {  # probed in test_planner_pages.py
    "GET /workspaces/{workspace_id}/planner",
    "GET /workspaces/{workspace_id}/planner/close",
    "GET /workspaces/{workspace_id}/planner/lookahead",
    "GET /workspaces/{workspace_id}/planner/pull-plans",
    "GET /workspaces/{workspace_id}/planner/metrics",
}


def _planner(w: World) -> dict[str, int]:
    if getattr(w, "_planner_ids", None) is None:
        ws, bob = w.team.workspace_id, w.team.users["bob"]

        def made(response) -> dict:
            assert response.status_code == 201, response.text
            return response.json()

        body = {"name": "Launch webinar", "date": _days(40)}
        milestone = made(w.client.post(f"{API}/workspaces/{ws}/milestones", json=body))["id"]
        tasks = [
            made(w.client.post(f"{API}/milestones/{milestone}/tasks", json={"title": t, "duration_days": 2}))
            for t in ("Speaker confirmed", "Landing page", "Invitations", "Slides")
        ]
        tasks = [task["id"] for task in tasks]
        constraint = made(
            w.client.post(
                f"{API}/workspaces/{ws}/constraints",
                json={
                    "plan_task_id": tasks[0],
                    "category": "people",
                    "description": "The speaker has not said yes.",
                    "owner_id": bob,
                    "need_by": _days(7),
                },
            )
        )["id"]
        promise = made(
            w.client.post(
                f"{API}/workspaces/{ws}/promises",
                json={
                    "week": _days(0),
                    "plan_task_id": tasks[1],
                },
            )
        )["promise"]["id"]
        body = {"kind": "pdca", "title": "Book early"}
        cycle = made(w.client.post(f"{API}/workspaces/{ws}/learning-cycles", json=body))
        w._planner_ids = {
            "milestone_id": milestone,
            "plan_task_id": tasks[1],
            "first_task": tasks[0],
            "free_task": tasks[2],
            "constraint_id": constraint,
            "promise_id": promise,
            "learning_cycle_id": cycle["id"],
        }
    return w._planner_ids


def planner_id(w: World, name: str) -> int:
    return _planner(w)[name]


EXAMPLES.update(
    {
        "GET /api/v1/workspaces/{workspace_id}/planner/settings": lambda w: None,
        "PUT /api/v1/workspaces/{workspace_id}/planner/settings": lambda w: {
            "lookahead_weeks": 6,
            "lag_weeks": 2,
            "reasons": [
                {"code": "approval_late", "label": "Approval late", "needs_five_why": False},
                {"code": "other", "label": "Other", "needs_five_why": True},
            ],
        },
        "GET /api/v1/workspaces/{workspace_id}/milestones": lambda w: None,
        "POST /api/v1/workspaces/{workspace_id}/milestones": lambda w: {
            "name": "Partner summit",
            "date": _days(60),
            "conditions": "Forty partners attend.",
        },
        "GET /api/v1/milestones/{milestone_id}": lambda w: None,
        "PATCH /api/v1/milestones/{milestone_id}": lambda w: {
            "name": "Launch webinar",
            "date": _days(42),
            "conditions": "150 registrations.",
        },
        "POST /api/v1/milestones/{milestone_id}/tasks": lambda w: {
            "title": "Follow-up emails",
            "duration_days": 2,
            "performer_id": w.team.users["bob"],
            "team": "Marketing",
            "customer": "Sales",
            "predecessor_ids": [_planner(w)["first_task"]],
        },
        "PATCH /api/v1/plan-tasks/{plan_task_id}": lambda w: {
            "title": "Landing page live",
            "duration_days": 3,
            "performer_id": w.team.users["bob"],
            "team": "Web",
            "customer": "Marketing",
            "predecessor_ids": [_planner(w)["first_task"]],
        },
        "GET /api/v1/workspaces/{workspace_id}/lookahead": lambda w: None,
        "POST /api/v1/workspaces/{workspace_id}/lookahead/snapshots": lambda w: None,
        "GET /api/v1/workspaces/{workspace_id}/constraints": lambda w: None,
        "POST /api/v1/workspaces/{workspace_id}/constraints": lambda w: {
            "plan_task_id": _planner(w)["first_task"],
            "category": "approval",
            "description": "Legal reads it.",
            "owner_id": w.team.users["bob"],
            "need_by": _days(5),
        },
        "PATCH /api/v1/constraints/{constraint_id}": lambda w: {
            "status": "removed",
            "category": "people",
            "description": "The speaker said yes.",
            "owner_id": w.team.users["bob"],
            "need_by": _days(6),
            "note": "Confirmed by email.",
        },
        "GET /api/v1/workspaces/{workspace_id}/weekly-plan": lambda w: None,
        "POST /api/v1/workspaces/{workspace_id}/promises": lambda w: {
            "week": _days(0),
            "plan_task_id": _planner(w)["free_task"],
            "override_reason": "Agreed with them.",
        },
        "POST /api/v1/promises/{promise_id}/check-ins": lambda w: {
            "status": "at_risk",
            "note": "No designer.",
        },
        "POST /api/v1/workspaces/{workspace_id}/week-close": lambda w: {
            "week": _days(0),
            "outcomes": [
                {
                    "promise_id": _planner(w)["promise_id"],
                    "done": False,
                    "reason": "approval_late",
                    "five_whys": ["Legal was away."],
                    "note": "Next week.",
                }
            ],
        },
        "GET /api/v1/workspaces/{workspace_id}/planner/metrics": lambda w: None,
        "GET /api/v1/workspaces/{workspace_id}/learning-cycles": lambda w: None,
        "POST /api/v1/workspaces/{workspace_id}/learning-cycles": lambda w: {
            "kind": "pdca",
            "title": "A slot with legal",
            "plan": "Book Tuesdays.",
            "do": "",
            "check": "",
            "act": "",
            "owner_id": w.team.users["bob"],
            "status": "plan",
            "reason": "approval_late",
            "constraint_id": _planner(w)["constraint_id"],
        },
        "PATCH /api/v1/learning-cycles/{learning_cycle_id}": lambda w: {
            "kind": "sdca",
            "title": "Brief template",
            "plan": "One page.",
            "do": "Used twice.",
            "check": "Fine.",
            "act": "Keep it.",
            "owner_id": w.team.users["bob"],
            "status": "closed",
            "reason": "information_missing",
            "constraint_id": _planner(w)["constraint_id"],
        },
    }
)


# --- trigger rules, notifications and webhooks ------------------------------------------------

# Authenticated by its signature, not by a session or a token: every probe is signed.
SIGNED = {"POST /api/v1/hooks/{source_id}"}
PAGES |= {  # probed in test_rule_pages_never_answer_500
    "GET /workspaces/{workspace_id}/rules",
    "POST /workspaces/{workspace_id}/rules",
    "POST /rules/{rule_id}/enabled",
    "POST /rules/{rule_id}/delete",
    "GET /workspaces/{workspace_id}/notifications",
    "POST /workspaces/{workspace_id}/notifications/read",
    "POST /workspaces/{workspace_id}/webhook-sources",
    "POST /webhook-sources/{source_id}/delete",
}
QUERY["unread"] = lambda w: True


def rule_objects(world: World) -> dict[str, dict]:
    """The rule, notification, webhook source or target the route's path names, made anew."""
    made: dict[str, dict] = {}
    client, workspace = world.client, world.team.workspace_id

    def ok(response, status: int = 201) -> dict:
        assert response.status_code == status, response.text
        return response.json()

    params = world.route.path_params
    if "rule_id" in params:
        body = {"name": f"Tell the team {world.unique()}", "event": "item.moved"}
        body["actions"] = [{"kind": "notify", "message": "{title} moved to {stage}"}]
        made["rule_id"] = ok(client.post(f"{API}/workspaces/{workspace}/rules", json=body))
    if "notification_id" in params:
        body = {"name": f"Blocked {world.unique()}", "event": "item.blocked"}
        body["actions"] = [{"kind": "notify", "message": "{title} is blocked"}]
        ok(client.post(f"{API}/workspaces/{workspace}/rules", json=body))
        item = world.team.create_item(f"Case study {world.unique()}", stage="Next")
        ok(client.post(f"{API}/items/{item['id']}/block", json={"reason": "Waiting for legal"}), 200)
        made["notification_id"] = ok(client.get(f"{API}/workspaces/{workspace}/notifications"), 200)[0]
    if "source_id" in params:
        body = {"name": f"CRM {world.unique()}"}
        made["source_id"] = ok(client.post(f"{API}/workspaces/{workspace}/webhook-sources", json=body))
    if "target_id" in params:
        body = {"name": f"Relay {world.unique()}", "url": "http://127.0.0.1:9/hook"}
        made["target_id"] = ok(client.post(f"{API}/workspaces/{workspace}/webhook-targets", json=body))
    return made


def hook_signature(world: World, content: bytes) -> dict[str, str]:
    secret = world.rule_objects["source_id"]["secret"]
    headers = signed_headers(secret, content, dt.datetime.now(dt.UTC))
    return {k: x for k, x in headers.items() if k != "Content-Type"}


EXAMPLES.update(
    {
        "GET /api/v1/workspaces/{workspace_id}/rules": lambda w: None,
        "POST /api/v1/workspaces/{workspace_id}/rules": lambda w: {
            "name": f"Deal reached proposal {w.unique()}",
            "event": "webhook.received",
            "source": "CRM",
            "conditions": [
                {"field": "payload.stage", "op": "equals", "value": "proposal"},
                {"field": "payload.amount", "op": ">=", "value": 10000},
                {"field": "payload.region", "op": "in", "value": ["EMEA", "APAC"]},
            ],
            "actions": [
                {
                    "kind": "create_item",
                    "board": "Campaigns",
                    "stage": "Ideas",
                    "title": "Proposal support: {payload.deal}",
                    "type": "Deal",
                    "class_of_service": "fixed_date",
                    "due_in_days": 14,
                    "value": "{payload.amount}",
                    "external_ref": "CRM {payload.id}",
                    "description": "Owner: {payload.owner}",
                },
                {"kind": "notify", "message": "{payload.deal} reached proposal", "target": "Chat"},
            ],
            "enabled": True,
        },
        "GET /api/v1/rules/{rule_id}": lambda w: None,
        "PATCH /api/v1/rules/{rule_id}": lambda w: {
            "name": f"Strategic deals first {w.unique()}",
            "event": "item.created",
            "conditions": [{"field": "tags", "op": "contains", "value": "strategic"}],
            "actions": [{"kind": "promote_expedite"}, {"kind": "add_blocker", "reason": "Needs a sponsor"}],
            "enabled": False,
        },
        "DELETE /api/v1/rules/{rule_id}": lambda w: None,
        "GET /api/v1/rules/{rule_id}/firings": lambda w: None,
        "GET /api/v1/workspaces/{workspace_id}/notifications": lambda w: None,
        "POST /api/v1/notifications/{notification_id}/read": lambda w: None,
        "POST /api/v1/workspaces/{workspace_id}/notifications/read": lambda w: None,
        "GET /api/v1/workspaces/{workspace_id}/webhook-sources": lambda w: None,
        "POST /api/v1/workspaces/{workspace_id}/webhook-sources": lambda w: {"name": f"CRM {w.unique()}"},
        "DELETE /api/v1/webhook-sources/{source_id}": lambda w: None,
        "GET /api/v1/workspaces/{workspace_id}/webhook-targets": lambda w: None,
        "POST /api/v1/workspaces/{workspace_id}/webhook-targets": lambda w: {
            "name": f"Chat {w.unique()}",
            "url": "https://chat.example.com/hooks/pullplan",
        },
        "DELETE /api/v1/webhook-targets/{target_id}": lambda w: None,
        "GET /api/v1/workspaces/{workspace_id}/deliveries": lambda w: None,
        "POST /api/v1/hooks/{source_id}": lambda w: {
            "deal": f"Northwind renewal {w.unique()}",
            "stage": "proposal",
            "amount": 48000,
        },
    }
)


# --- what each route is sent ------------------------------------------------------------------

ABSENT = object()
NAN, INF = math.nan, math.inf

UNKNOWN_IDS = [999_999, 2_147_483_647]  # 404
BAD_IDS = [0, -1, 2**31, 2**63, "abc", "1.5"]  # 422 naming the id
ODD_IDS = ["", "\u0661", "\x00", "x" * 10_001]  # an Arabic-Indic one, NUL, overlong: anything but 500
BAD_QUERY = [0, -1, 2**31, 2**63, "abc", "", "\x00"]

# What replaces one place in a valid body, by what the place holds. Text: empty, overlong,
# emoji past every length limit (PostgreSQL counts characters), NUL (which PostgreSQL
# refuses), control characters, a lone surrogate (not UTF-8), direction and zero-width
# marks. Numbers: unknown ids, the largest 32-bit id, then past 32 and 64 bits, and not
# numbers at all.
WRONG_TYPES = [None, True, [], {}]
TEXT = [
    "",
    "x" * 10_001,
    "\U0001f600" * 201,
    "\x00",
    "tab\there\x01\x1f\x7f",
    "\ud800",
    "\u202e\u200b\ufeff",
    0,
]
NUMBERS = [-1, 999_999, 2_147_483_647, 2**31, 2**63, 10**30, 1.5, NAN, INF, "1", "abc"]
BOOLS = [0, "yes", "x" * 10_001]
LISTS = ["x", [None], [[]], ["x" * 10_001], ["\x00"], [f"t{i}" for i in range(31)]]
OBJECTS = ["x", {"unexpected": 1}, {"name": None}]
ANYTHING = [0, -1, 2**31, 1.5, NAN, "", "x" * 10_001, "\x00", "\ud800"]


def values_for(example) -> list:
    """Wrong values for a place in a body that holds `example`."""
    if isinstance(example, bool):
        return [w for w in WRONG_TYPES if w is not True] + BOOLS
    if isinstance(example, int | float):
        return WRONG_TYPES + NUMBERS
    if isinstance(example, str):
        return WRONG_TYPES + TEXT
    if isinstance(example, list):
        return [w for w in WRONG_TYPES if w != []] + LISTS
    if isinstance(example, dict):
        return [w for w in WRONG_TYPES if w != {}] + OBJECTS
    return WRONG_TYPES + ANYTHING


def places(value, path: tuple = ()) -> Iterator[tuple[tuple, object]]:
    """Every place inside a JSON value, as a path of keys and indexes, with what it holds."""
    items = value.items() if isinstance(value, dict) else enumerate(value) if isinstance(value, list) else ()
    for key, inner in items:
        yield (*path, key), inner
        yield from places(inner, (*path, key))


def replaced(value, path: tuple, new):
    copy = deepcopy(value)
    target = copy
    for key in path[:-1]:
        target = target[key]
    target[path[-1]] = new
    return copy


@dataclass
class Probe:
    label: str
    path: dict = field(default_factory=dict)  # path parameters in place of the world's ids
    query: dict | None = None  # the query string in place of the valid one
    body: Callable[[World], object] | None = None  # builds the JSON body in place of the valid one
    raw: bytes | None = None  # a body that is not JSON
    content_type: str = "application/json"
    method: str | None = None
    status: int | None = None  # the status it must get, when that is known
    valid: bool = False  # the example itself, which must succeed
    field: str | None = None  # the field a 422 must name, when that is known


def probes(route: Route, world: World, taken: set[str]) -> Iterator[Probe]:
    """The probes of a route; `taken`: the methods its path answers."""
    example = world.body()

    def without(name: str) -> dict:
        return {k: x for k, x in world.query().items() if k != name}

    yield Probe("a valid request", valid=True)
    for name in route.path_params:
        for value in UNKNOWN_IDS:
            yield Probe(f"{name}={value}", path={name: value}, status=404)
        for value in BAD_IDS:
            yield Probe(f"{name}={value!r}", path={name: value}, status=422, field=name)
        for value in ODD_IDS:
            yield Probe(f"{name}={value[:20]!r}", path={name: value})
    for name, required in route.query_params:
        if required:
            yield Probe(f"no {name}", query=without(name), status=422, field=name)
        for value in BAD_QUERY:
            yield Probe(f"{name}={str(value)[:20]!r}", query={**without(name), name: value}, field=name)
    other = next(m for m in METHODS if m not in taken)
    yield Probe(other, method=other, status=405)

    if route.body is None:
        yield Probe("an unexpected body", body=lambda w: {"unexpected": 1})
        yield Probe("a body not JSON", raw=b"{'name': 'x',")
        return
    must = {"status": 422, "field": "body"} if route.body_required else {}
    yield Probe("no body", body=lambda w: ABSENT, **must)
    yield Probe("a body not JSON", raw=b"{'name': 'x',", **must)
    yield Probe("a body not UTF-8", raw=b"\xff\xfe\x00{", **must)
    yield Probe("a body nested 50,000 deep", raw=b"[" * 50_000 + b"]" * 50_000)
    yield Probe("a body sent as text/plain", content_type="text/plain")
    for value in ([], ["x"], "text", 42, 1.5, True):
        yield Probe(f"the body {json.dumps(value)}", body=lambda w, v=value: v, **must)
    yield Probe("the body null", body=lambda w: None, **must)
    yield Probe("the body {}", body=lambda w: {})
    yield Probe(
        "an extra field", body=lambda w: {**w.body(), "unexpected": 1}, status=422, field="unexpected"
    )
    for path, inner in places(example):
        for value in values_for(inner):
            yield Probe(
                f"{_where(path)}={_short(value)}", body=lambda w, p=path, v=value: replaced(w.body(), p, v)
            )
    for name in sorted(set(route.body.model_fields) - set(example)):
        for value in values_for(ABSENT):
            yield Probe(f"{name}={_short(value)}", body=lambda w, n=name, v=value: {**w.body(), n: v})


def _where(path: tuple) -> str:
    return ".".join(str(p) for p in path)


def _short(value) -> str:
    text = json.dumps(value)
    return text if len(text) <= 30 else text[:27] + "..."


# --- sending and judging ----------------------------------------------------------------------


def send(client, route: Route, probe: Probe, world: World):
    ids = {**world.ids(), **probe.path}
    url = route.path.format(**{k: quote(str(x), safe="") for k, x in ids.items()})
    kwargs: dict = {"params": world.query() if probe.query is None else probe.query}
    body = (probe.body or World.body)(world)
    if probe.raw is not None:
        kwargs["content"] = probe.raw
    elif body is not ABSENT:
        kwargs["content"] = json.dumps(body).encode()
    if "content" in kwargs:
        kwargs["headers"] = {"content-type": probe.content_type}
    if route.key in SIGNED:  # signed with the source's secret, as its sender would
        kwargs["headers"] = {**kwargs.get("headers", {}), **hook_signature(world, kwargs.get("content", b""))}
    return client.request(probe.method or route.method, url, **kwargs)


def judge(probe: Probe, response, error_of) -> str | None:
    """What is wrong with the answer, or None."""
    status = response.status_code
    if status >= 500:
        return f"answered {status}: {response.text[:200]}"
    if probe.status is not None and status != probe.status:
        return f"answered {status}, not {probe.status}: {response.text[:200]}"
    if probe.valid and status >= 300:
        return f"the example in EXAMPLES was refused ({status}): {response.text[:200]}"
    if status < 300:
        response.json()
    if status < 400:  # a redirect, as from /workspaces/ to /workspaces, is fine
        return None
    try:
        error = error_of(response)
    except AssertionError as e:
        return f"the error body has not the documented shape: {e}"
    if status == 422 and probe.field is not None and error["field"] != probe.field:
        return f"422 names {error['field']!r}, not {probe.field!r}"
    return None


# --- the tests --------------------------------------------------------------------------------


def test_every_route_has_an_example():
    app = create_app(Settings(demo=False))
    routes = api_routes(app)
    keys = {route.key for route in routes}

    assert len(keys) >= len(EXAMPLES) // 2, "the API routes were not found: has FastAPI changed?"
    assert sorted(keys - set(EXAMPLES)) == [], "new routes: give each a valid request in EXAMPLES"
    assert sorted(set(EXAMPLES) - keys) == [], "EXAMPLES names routes the app no longer has"
    names = {name for route in routes for name, _ in route.query_params}
    assert sorted(names - set(QUERY)) == [], "new query parameters: give each a valid value in QUERY"
    assert sorted(SESSION_ONLY - keys) == [], "SESSION_ONLY names routes the app no longer has"
    assert page_routes(app) == PAGES, "a new page: probe it in test_pages_never_answer_500"


class WriteWatch:
    """Counts the transactions that commit an INSERT, UPDATE or DELETE.

    An error answer must commit none. Watching commits costs nothing per request, where
    comparing every table after each of some 1,500 writes would double the sweep's time;
    test_bad_input.py compares the tables themselves. Noting when a session or a token was
    last used is no change the request made (conftest.TOUCHED)."""

    WRITES = ("INSERT", "UPDATE", "DELETE")
    TOUCHES = ("UPDATE browser_sessions SET last_seen_at", "UPDATE api_tokens SET last_used_at")

    def __init__(self, db: Database) -> None:
        self.committed = 0
        self._engines = {db.write_engine, db.read_engine}
        for engine in self._engines:
            event.listen(engine, "before_cursor_execute", self._executed)
            event.listen(engine, "commit", self._commit)
            event.listen(engine, "rollback", self._rollback)

    def _executed(self, conn, _cursor, statement, *_args) -> None:
        statement = statement.lstrip()
        if statement[:6].upper() in self.WRITES and not statement.startswith(self.TOUCHES):
            conn.info["wrote"] = True

    def _commit(self, conn) -> None:
        if conn.info.pop("wrote", False):
            self.committed += 1

    def _rollback(self, conn) -> None:
        conn.info.pop("wrote", None)

    def close(self) -> None:
        for engine in self._engines:
            event.remove(engine, "before_cursor_execute", self._executed)
            event.remove(engine, "commit", self._commit)
            event.remove(engine, "rollback", self._rollback)


@pytest.fixture
def writes(api_db: Database) -> Iterator[WriteWatch]:
    watch = WriteWatch(api_db)
    yield watch
    watch.close()


def as_token(route: Route, probe: Probe) -> Probe:
    """What a probe must get from a manager's token: the same, but on a route only a signed-in
    person may call, 403 once the path's ids are found and the body is JSON (both are checked
    first)."""
    if route.key not in SESSION_ONLY or probe.path or probe.method or probe.raw is not None:
        return probe  # a body that is not JSON is refused before anything else
    return replace(probe, status=403, valid=False, field=None)


def sweep(caller, client, new_team, history, writes, api_error, *, by_token: bool) -> None:
    """Send every probe of every route through `caller` (the administrator's session, or a
    manager's token of each route's workspace) and fail naming each wrong answer."""
    failures: list[str] = []
    sent = 0
    routes = api_routes(client.app)
    for route in routes:
        world = World.build(client, new_team, history, route)  # each route has a workspace of its own
        if by_token:
            caller.headers["authorization"] = f"Bearer {world.bearer()}"
        taken = {r.method for r in routes if r.path == route.path}
        for probe in probes(route, world, taken):
            if by_token:
                probe = as_token(route, probe)
            sent += 1
            committed = writes.committed
            try:
                response = send(caller, route, probe, world)
                status, problem = response.status_code, judge(probe, response, api_error)
            except Exception as e:  # noqa: BLE001 - the app raised: a client would get a 500
                status, problem = 500, f"raised {e!r}"
            if problem:
                failures.append(f"{route.key} [{probe.label}]: {problem}")
            if status >= 400 and writes.committed != committed:
                failures.append(f"{route.key} [{probe.label}]: answered {status} but committed a write")
            if status < 300 and (probe.method or route.method) in WRITES:
                world.renew()

    assert not failures, f"{len(failures)} of {sent} probes failed:\n" + "\n".join(failures[:60])


def test_no_route_answers_500(client, new_team, history, writes, api_error):
    sweep(client, client, new_team, history, writes, api_error, by_token=False)


# Authentication is the same on both databases: once is enough for the token's sweep.
@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_no_route_answers_500_to_a_token(client, in_process, new_team, history, writes, api_error):
    sweep(in_process(), client, new_team, history, writes, api_error, by_token=True)


def page_error(response, status: int, *words: str) -> None:
    """A page's error is a page: the status, HTML, and a message with these words."""
    assert response.status_code == status, response.text[:300]
    assert response.headers["content-type"].startswith("text/html"), response.headers
    assert "<h1>" in response.text and all(w in response.text for w in words), response.text[:500]


def test_pages_never_answer_500(client, in_process, team):
    team.create_item("<script>alert('hi')</script> & \u202eevil", stage="Doing")
    team.create_item("😀" * 200, stage="Ideas")

    home = client.get("/")
    board = client.get(f"/boards/{team.board_id}")
    docs = client.get("/docs")

    for response in (home, board, docs):
        assert response.status_code == 200
        assert response.headers["content-type"].startswith("text/html")
    assert "<script>alert" not in board.text
    assert "&lt;script&gt;" in board.text
    for value in UNKNOWN_IDS:
        page_error(client.get(f"/boards/{value}"), 404, f"Board {value} does not exist.")
    for value in BAD_IDS:
        page_error(client.get(f"/boards/{quote(str(value), safe='')}"), 422, "board_id")
    for value in ODD_IDS:
        response = client.get(f"/boards/{quote(value, safe='')}")
        assert response.status_code < 500, value
        if response.status_code >= 400:
            page_error(response, response.status_code)
    for path in ("/static/../../etc/passwd", "/static/nope.css", "/nope"):
        page_error(client.get(path), 404)
    page_error(client.post("/logout", headers={"x-csrf-token": "stale"}), 403, "CSRF")


def test_the_flow_and_forecast_pages_answer_bad_input_with_a_page(client, team, history):
    history(team)
    flow, forecast = f"/boards/{team.board_id}/flow", f"/boards/{team.board_id}/forecast"
    for path in (flow, forecast):
        assert client.get(path).status_code == 200
        for value in UNKNOWN_IDS:
            unknown = client.get(f"/boards/{value}/{path.rsplit('/', 1)[1]}")
            page_error(unknown, 404, f"Board {value} does not exist.")
        page_error(client.get(path, params={"lane": "<b>Nope</b>"}), 422, "lane", "&lt;b&gt;Nope&lt;/b&gt;")
        page_error(client.get(path, params={"class_of_service": "urgent"}), 422, "class_of_service")
        page_error(client.get(path, params={"work_type": "x" * 61}), 422, "work_type")
    page_error(client.get(flow, params={"start": "2026-02-30"}), 422, "start")
    page_error(client.get(flow, params={"start": "2026-03-02", "end": "2026-03-01"}), 422, "start")
    page_error(client.get(flow, params={"start": "1900-01-01", "end": "2026-01-01"}), 422, "start")
    page_error(client.get(flow, params={"working_days": "sometimes"}), 422, "working_days")
    page_error(client.get(forecast, params={"items": 0}), 422, "items")
    page_error(client.get(forecast, params={"window_days": 10**9}), 422, "window_days")
    page_error(client.get(forecast, params={"target": "-5"}), 422, "target")
    page_error(client.get(forecast, params={"target": "nan"}), 422, "target")
    # A date in the past is the question's problem, said in its own section.
    answer = client.get(forecast, params={"by": "2001-01-01"})
    assert answer.status_code == 200 and "by: 2001-01-01 is in the past." in answer.text
    plotly = client.get("/assets/plotly.min.js")
    assert plotly.status_code == 200 and plotly.headers["content-type"].startswith("text/javascript")
    assert "immutable" in plotly.headers["cache-control"]


@pytest.mark.parametrize(
    "form, status",
    [
        pytest.param({}, 422, id="nothing"),
        pytest.param({"username": "admin"}, 422, id="no password"),
        pytest.param({"username": "admin", "password": "wrong password"}, 401, id="a wrong password"),
        pytest.param({"username": "nobody", "password": "a long enough password"}, 401, id="nobody"),
        pytest.param({"username": "x" * 65, "password": "a long enough password"}, 422, id="a long username"),
        pytest.param({"username": "admin", "password": "p" * 257}, 422, id="a long password"),
        pytest.param({"username": "ad\x00min", "password": "a long enough password"}, 401, id="NUL username"),
        pytest.param({"username": "admin", "password": "pass\x00word"}, 401, id="NUL password"),
        pytest.param(b"username=%ED%A0%80&password=%FF%FE%00%00xxxxxxxx", 401, id="not UTF-8"),
        pytest.param(b"username=admin&password=" + b"%25" * 300, 422, id="a long encoded password"),
        pytest.param({"username": "admin", "password": "wrong", "next": "x" * 2001}, 422, id="a long next"),
        pytest.param({"username": ["admin", "bob"], "password": "wrong password"}, 401, id="two usernames"),
    ],
)
def test_the_sign_in_form_never_answers_500(form, status, in_process, admin_id):
    anonymous = in_process()

    if isinstance(form, bytes):
        response = anonymous.post(
            "/login", content=form, headers={"content-type": "application/x-www-form-urlencoded"}
        )
    else:
        response = anonymous.post("/login", data=form)

    assert response.status_code == status, response.text[:300]
    assert response.headers["content-type"].startswith("text/html")
    assert "pullplan_session" not in response.headers.get("set-cookie", "")


def test_the_sign_in_page_never_sends_anyone_off_site(in_process, admin_id):
    anonymous = in_process()
    for next_page in ("//evil.example", "https://evil.example/", "/\\evil.example", "\x00", "x" * 10_001):
        page = anonymous.get("/login", params={"next": next_page})
        assert page.status_code == 200
        assert "evil.example" not in page.text

        response = anonymous.post(
            "/login",
            data={"username": "admin", "password": PASSWORD, "next": next_page[:2000]},
        )
        assert (response.status_code, response.headers["location"]) == (303, "/"), next_page


def test_rule_pages_never_answer_500(client, team, sign_in):
    """The rules and notification pages, and their forms sent anything."""
    rules = f"/workspaces/{team.workspace_id}/rules"
    created = client.post(
        rules,
        data={"name": "<script>x</script>", "event": "item.blocked", "action": "notify", "message": "m"},
    )
    assert created.status_code == 303
    page = client.get(rules)
    assert page.status_code == 200 and "<script>alert" not in page.text and "&lt;script&gt;" in page.text
    forms = [
        {},
        {"name": "x", "event": "nope", "action": "nope"},
        {"name": "\x00", "event": "item.due_soon", "days": "abc", "action": "notify", "message": "m"},
        {"name": "y" * 10_001, "event": "item.moved", "action": "create_item", "board": "B", "title": "t"},
        {
            "name": "z",
            "event": "item.moved",
            "action": "notify",
            "message": "m",
            "condition_0_field": "payload",
            "condition_0_op": ">=",
            "condition_0_value": "abc",
        },
        {"name": "j", "json": "{not json"},
        {"name": "j", "json": "[1, 2]"},
        {"name": "k", "event": "item.moved", "action": "notify", "message": "m", "due_in_days": "1.5"},
    ]
    for form in forms:
        response = client.post(rules, data=form)
        assert response.status_code == 422, (form, response.text[:300])
        page_error(response, 422)
    paths = ("/rules/{}/enabled", "/rules/{}/delete", "/workspaces/{}/rules", "/workspaces/{}/notifications")
    for path in paths:
        for value in UNKNOWN_IDS:
            method = client.get if path.startswith("/workspaces") else client.post
            page_error(method(path.format(value)), 404)
        for value in BAD_IDS:
            method = client.get if path.startswith("/workspaces") else client.post
            page_error(method(path.format(quote(str(value), safe=""))), 422)
    sources = f"/workspaces/{team.workspace_id}/webhook-sources"
    for name in ("", "   ", "\x00", "s" * 10_001):
        response = client.post(sources, data={"source_name": name})
        assert response.status_code == 422, (name, response.text[:300])
        page_error(response, 422)
    for value in UNKNOWN_IDS:
        page_error(client.post(f"/webhook-sources/{value}/delete"), 404)
    for value in BAD_IDS:
        page_error(client.post(f"/webhook-sources/{quote(str(value), safe='')}/delete"), 422)
    notifications = client.get(f"/workspaces/{team.workspace_id}/notifications")
    assert notifications.status_code == 200
    assert client.post(f"/workspaces/{team.workspace_id}/notifications/read").status_code == 303
