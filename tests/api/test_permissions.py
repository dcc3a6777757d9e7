"""Who may call what: every route of the API and every page, called by each persona, answers
exactly the status in MATRIX, signed in (session cookie and CSRF token) and with API tokens.

The personas: alice (manager), bob (member) and carol (viewer) of workspace A; dave, a member
of workspace B only; and an anonymous caller. A token has its user's role. Every call is a
valid request on an object of workspace A, so a call that is allowed succeeds; a refused call
must change nothing. The routes are found from the app: a new route fails
`test_every_route_and_page_has_an_expectation` until MATRIX says who may call it.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable
from dataclasses import dataclass, field

import pytest
from fastapi import FastAPI
from fastapi.routing import APIRoute
from starlette.routing import Route as StarletteRoute

from pullplan.integrations.webhooks import signed_headers
from pullplan.settings import Settings
from pullplan.web.app import create_app

try:
    from fastapi.routing import iter_route_contexts
except ImportError:  # FastAPI < 0.137.2 keeps app.routes flat
    iter_route_contexts = None

API = "/api/v1"
PASSWORD = "correct horse battery staple"  # conftest.PASSWORD, which every user has
PERSONAS = ("alice", "bob", "carol", "dave", "anonymous")
ROLES = {"alice": "manager", "bob": "member", "carol": "viewer"}  # in workspace A; dave: member of B

# The expected status per persona, in the order of PERSONAS. Anonymous pages redirect to the
# sign-in page (303 to /login?next=...).
# fmt: off
MATRIX: dict[str, tuple[int, int, int, int, int]] = {
    #                                                                  alice  bob carol dave anon
    "GET /api/v1/me":                                                  (200, 200, 200, 200, 401),
    "GET /api/v1/users":                                               (403, 403, 403, 403, 401),
    "POST /api/v1/users":                                              (403, 403, 403, 403, 401),
    "GET /api/v1/workspaces":                                          (200, 200, 200, 200, 401),
    "POST /api/v1/workspaces":                                         (403, 403, 403, 403, 401),
    "GET /api/v1/workspaces/{workspace_id}":                           (200, 200, 200, 404, 401),
    "GET /api/v1/workspaces/{workspace_id}/members":                   (200, 200, 200, 404, 401),
    "PUT /api/v1/workspaces/{workspace_id}/members/{user_id}":         (200, 403, 403, 404, 401),
    "GET /api/v1/workspaces/{workspace_id}/tokens":                    (200, 200, 200, 404, 401),
    "POST /api/v1/workspaces/{workspace_id}/tokens":                   (201, 201, 201, 404, 401),
    "DELETE /api/v1/tokens/{token_id}":                                (200, 200, 404, 404, 401),
    "GET /api/v1/workspaces/{workspace_id}/audit":                     (200, 403, 403, 404, 401),
    "GET /api/v1/workspaces/{workspace_id}/work-types":                (200, 200, 200, 404, 401),
    "POST /api/v1/workspaces/{workspace_id}/work-types":               (201, 403, 403, 404, 401),
    "GET /api/v1/workspaces/{workspace_id}/boards":                    (200, 200, 200, 404, 401),
    "POST /api/v1/workspaces/{workspace_id}/boards":                   (201, 403, 403, 404, 401),
    "GET /api/v1/boards/{board_id}":                                   (200, 200, 200, 404, 401),
    "PATCH /api/v1/boards/{board_id}":                                 (200, 403, 403, 404, 401),
    "GET /api/v1/boards/{board_id}/view":                              (200, 200, 200, 404, 401),
    "POST /api/v1/boards/{board_id}/stages":                           (201, 403, 403, 404, 401),
    "PATCH /api/v1/stages/{stage_id}":                                 (200, 403, 403, 404, 401),
    "GET /api/v1/stages/{stage_id}/items":                             (200, 200, 200, 404, 401),
    "POST /api/v1/boards/{board_id}/lanes":                            (201, 403, 403, 404, 401),
    "PATCH /api/v1/lanes/{lane_id}":                                   (200, 403, 403, 404, 401),
    "POST /api/v1/boards/{board_id}/allocations":                      (201, 403, 403, 404, 401),
    "DELETE /api/v1/allocations/{allocation_id}":                      (200, 403, 403, 404, 401),
    "GET /api/v1/boards/{board_id}/pull-next":                         (200, 200, 200, 404, 401),
    "GET /api/v1/boards/{board_id}/transitions":                       (200, 200, 200, 404, 401),
    "GET /api/v1/boards/{board_id}/metrics":                           (200, 200, 200, 404, 401),
    "GET /api/v1/boards/{board_id}/forecast/how-many":                 (200, 200, 200, 404, 401),
    "GET /api/v1/boards/{board_id}/forecast/when":                     (200, 200, 200, 404, 401),
    "GET /api/v1/boards/{board_id}/forecast/revenue":                  (200, 200, 200, 404, 401),
    "GET /api/v1/boards/{board_id}/forecast/backtest":                 (200, 200, 200, 404, 401),
    "GET /api/v1/boards/{board_id}/forecast/revenue-backtest":         (200, 200, 200, 404, 401),
    "GET /api/v1/boards/{board_id}/commit-by":                         (200, 200, 200, 404, 401),
    "GET /api/v1/workspaces/{workspace_id}/commit-by":                 (200, 200, 200, 404, 401),
    "GET /api/v1/boards/{board_id}/commitment-timing":                 (200, 200, 200, 404, 401),
    "GET /api/v1/boards/{board_id}/service-levels":                    (200, 200, 200, 404, 401),
    "GET /api/v1/workspaces/{workspace_id}/lrm-settings":              (200, 200, 200, 404, 401),
    "PATCH /api/v1/workspaces/{workspace_id}/lrm-settings":            (200, 403, 403, 404, 401),
    "GET /api/v1/workspaces/{workspace_id}/split-templates":           (200, 200, 200, 404, 401),
    "PUT /api/v1/workspaces/{workspace_id}/split-templates":           (200, 403, 403, 404, 401),
    "GET /api/v1/items/{item_id}/aggregate":                           (200, 200, 200, 404, 401),
    "POST /api/v1/items/{item_id}/split":                              (200, 200, 403, 404, 401),
    "GET /workspaces/{workspace_id}/commit-by":                        (200, 200, 200, 404, 303),
    "POST /workspaces/{workspace_id}/commit-by/settings":              (303, 403, 403, 404, 303),
    "POST /workspaces/{workspace_id}/commit-by/split":                 (303, 303, 403, 404, 303),
    "POST /workspaces/{workspace_id}/commit-by/templates":             (303, 403, 403, 404, 303),
    "POST /api/v1/boards/{board_id}/items":                            (201, 201, 403, 404, 401),
    "GET /api/v1/items/{item_id}":                                     (200, 200, 200, 404, 401),
    "PATCH /api/v1/items/{item_id}":                                   (200, 200, 403, 404, 401),
    "POST /api/v1/items/{item_id}/move":                               (200, 200, 403, 404, 401),
    "POST /api/v1/items/{item_id}/block":                              (200, 200, 403, 404, 401),
    "POST /api/v1/items/{item_id}/unblock":                            (200, 200, 403, 404, 401),
    "POST /api/v1/items/{item_id}/discard":                            (200, 200, 403, 404, 401),
    "POST /api/v1/items/{item_id}/archive":                            (200, 200, 403, 404, 401),
    "GET /api/v1/items/{item_id}/transitions":                         (200, 200, 200, 404, 401),
    # The promise cycle: each step is taken by its party (the performer, or the requester).
    "GET /api/v1/workspaces/{workspace_id}/handoffs":                  (200, 200, 200, 404, 401),
    "GET /api/v1/items/{item_id}/handoffs":                            (200, 200, 200, 404, 401),
    "POST /api/v1/items/{item_id}/handoffs":                           (201, 201, 403, 404, 401),
    "GET /api/v1/handoffs/{handoff_id}":                               (200, 200, 200, 404, 401),
    "POST /api/v1/handoffs/{handoff_id}/promise":                      (200, 200, 403, 404, 401),
    "POST /api/v1/handoffs/{handoff_id}/counter":                      (200, 200, 403, 404, 401),
    "POST /api/v1/handoffs/{handoff_id}/accept-counter":               (200, 200, 403, 404, 401),
    "POST /api/v1/handoffs/{handoff_id}/decline-counter":              (200, 200, 403, 404, 401),
    "POST /api/v1/handoffs/{handoff_id}/decline":                      (200, 200, 403, 404, 401),
    "POST /api/v1/handoffs/{handoff_id}/perform":                      (200, 200, 403, 404, 401),
    "POST /api/v1/handoffs/{handoff_id}/declare-complete":             (200, 200, 403, 404, 401),
    "POST /api/v1/handoffs/{handoff_id}/accept":                       (200, 200, 403, 404, 401),
    "POST /api/v1/handoffs/{handoff_id}/reject":                       (200, 200, 403, 404, 401),
    "POST /api/v1/handoffs/{handoff_id}/cancel":                       (200, 200, 403, 404, 401),
    "GET /":                                                           (200, 200, 200, 200, 303),
    "GET /boards/{board_id}":                                          (200, 200, 200, 404, 303),
    "GET /boards/{board_id}/flow":                                     (200, 200, 200, 404, 303),
    "GET /boards/{board_id}/forecast":                                 (200, 200, 200, 404, 303),
    "GET /assets/plotly.min.js":                                       (200, 200, 200, 200, 200),
    "GET /workspaces/{workspace_id}/handoffs":                         (200, 200, 200, 404, 303),
    "GET /login":                                                      (200, 200, 200, 200, 200),
    "POST /login":                                                     (303, 303, 303, 303, 303),
    "POST /logout":                                                    (303, 303, 303, 303, 303),
    "GET /docs":                                                       (200, 200, 200, 200, 200),
    "GET /openapi.json":                                               (200, 200, 200, 200, 200),
    "GET /healthz":                                                    (200, 200, 200, 200, 200),
    "GET /readyz":                                                     (200, 200, 200, 200, 200),
}
# Where a token answers otherwise than its user signed in: a token cannot make tokens.
BY_TOKEN: dict[str, tuple[int, int, int, int, int]] = {
    "POST /api/v1/workspaces/{workspace_id}/tokens":                   (403, 403, 403, 404, 401),
}
# Trigger rules, notifications and webhooks. The inbound hook takes no session or token: its
# signature authenticates it, so everyone who signs with the source's secret gets 202.
MATRIX.update({
    "GET /api/v1/workspaces/{workspace_id}/rules":                     (200, 200, 200, 404, 401),
    "POST /api/v1/workspaces/{workspace_id}/rules":                    (201, 403, 403, 404, 401),
    "GET /api/v1/rules/{rule_id}":                                     (200, 200, 200, 404, 401),
    "PATCH /api/v1/rules/{rule_id}":                                   (200, 403, 403, 404, 401),
    "DELETE /api/v1/rules/{rule_id}":                                  (200, 403, 403, 404, 401),
    "GET /api/v1/rules/{rule_id}/firings":                             (200, 200, 200, 404, 401),
    "GET /api/v1/workspaces/{workspace_id}/notifications":             (200, 200, 200, 404, 401),
    "POST /api/v1/notifications/{notification_id}/read":               (200, 200, 200, 404, 401),
    "POST /api/v1/workspaces/{workspace_id}/notifications/read":        (200, 200, 200, 404, 401),
    "GET /api/v1/workspaces/{workspace_id}/webhook-sources":           (200, 403, 403, 404, 401),
    "POST /api/v1/workspaces/{workspace_id}/webhook-sources":          (201, 403, 403, 404, 401),
    "DELETE /api/v1/webhook-sources/{source_id}":                      (200, 403, 403, 404, 401),
    "GET /api/v1/workspaces/{workspace_id}/webhook-targets":           (200, 403, 403, 404, 401),
    "POST /api/v1/workspaces/{workspace_id}/webhook-targets":          (201, 403, 403, 404, 401),
    "DELETE /api/v1/webhook-targets/{target_id}":                      (200, 403, 403, 404, 401),
    "GET /api/v1/workspaces/{workspace_id}/deliveries":                (200, 403, 403, 404, 401),
    "POST /api/v1/hooks/{source_id}":                                  (202, 202, 202, 202, 202),
    "GET /workspaces/{workspace_id}/rules":                            (200, 200, 200, 404, 303),
    "POST /workspaces/{workspace_id}/rules":                           (303, 403, 403, 404, 303),
    "POST /rules/{rule_id}/enabled":                                   (303, 403, 403, 404, 303),
    "POST /rules/{rule_id}/delete":                                    (303, 403, 403, 404, 303),
    "GET /workspaces/{workspace_id}/notifications":                    (200, 200, 200, 404, 303),
    "POST /workspaces/{workspace_id}/notifications/read":              (303, 303, 303, 404, 303),
    "POST /workspaces/{workspace_id}/webhook-sources":                 (200, 403, 403, 404, 303),
    "POST /webhook-sources/{source_id}/delete":                        (303, 403, 403, 404, 303),
})
# fmt: on


def app_routes(app: FastAPI) -> set[str]:
    """Every route of the app as "METHOD path": the API, the pages and the OpenAPI document
    (not the static files, and not HEAD, which answers as GET)."""
    contexts = iter_route_contexts(app.routes) if iter_route_contexts else iter(app.routes)
    keys = set()
    for context in contexts:
        route = getattr(context, "original_route", context)
        if isinstance(route, APIRoute | StarletteRoute):
            keys.update(f"{method} {context.path}" for method in context.methods if method != "HEAD")
    return keys


def test_every_route_and_page_has_an_expectation():
    routes = app_routes(create_app(Settings(demo=False)))

    assert len(routes) > 40, "the routes were not found: has FastAPI changed?"
    assert sorted(routes - set(MATRIX)) == [], "new routes: say in MATRIX who may call each"
    assert sorted(set(MATRIX) - routes) == [], "MATRIX names routes the app no longer has"
    assert sorted(set(BY_TOKEN) - set(MATRIX)) == []
    assert sorted(set(REQUESTS) ^ set(MATRIX)) == [], "give each route in MATRIX a request in REQUESTS"


# --- the world: workspace A with its board, and dave's workspace B ----------------------------


@pytest.fixture
def client(in_process, admin_id, sign_in):
    """The instance administrator, signed in, on an in-process client (see conftest)."""
    admin = in_process()
    sign_in(admin, "admin")
    return admin


@dataclass
class Call:
    path: str
    kwargs: dict = field(default_factory=dict)
    client: object = None  # a client of its own, instead of the persona's


@dataclass
class World:
    """Workspace A (the team's) and B (dave's), the administrator who makes fresh objects for
    each call, and how each persona calls: `callers` by persona, `signed_in` their sessions."""

    admin: object
    team: object  # conftest.Team
    erin: int  # a user in no workspace, whose role in A the managers set
    via: str
    callers: dict[str, object]
    signed_in: dict[str, object]
    new_client: Callable[[str], object]  # a new client of the persona, signed in as `via` says
    serial: int = 0
    _allocation: int | None = None

    def unique(self) -> int:
        self.serial += 1
        return self.serial

    def ok(self, response, status: int = 200) -> dict:
        assert response.status_code == status, response.text
        return response.json()

    def item(self, state: str = "next") -> int:
        """A new item of A's board, in Next (or blocked, or done)."""
        item_id = self.team.create_item(f"Spring launch email {self.unique()}", stage="Next")["id"]
        if state == "blocked":
            self.ok(self.admin.post(f"{API}/items/{item_id}/block", json={"reason": "Waiting for legal"}))
        elif state == "done":
            self.ok(self.team.move(item_id, "Done"))
        return item_id

    def aggregate(self) -> int:
        """A new Campaign of A's board, in Next, whose type has a split template."""
        self.ok(
            self.admin.put(
                f"{API}/workspaces/{self.team.workspace_id}/split-templates",
                json={"work_type_id": self.team.work_types["Campaign"], "children": [{"title": "Brief"}]},
            )
        )
        return self.team.create_item(
            f"Autumn campaign {self.unique()}", stage="Next", work_type_id=self.team.work_types["Campaign"]
        )["id"]

    def allocation(self) -> int:
        """A's allocation for Campaigns; a new one once it was deleted."""
        if self._allocation is None:
            board = self.ok(
                self.admin.post(
                    f"{API}/boards/{self.team.board_id}/allocations",
                    json={"work_type_id": self.team.work_types["Campaign"], "limit_count": 2},
                ),
                201,
            )
            self._allocation = board["allocations"][-1]["id"]
        return self._allocation

    def bobs_token(self) -> int:
        """A new token of bob's in A: its owner and A's managers may revoke it."""
        body = {"name": f"Bob's script {self.unique()}", "role": "member"}
        return self.ok(
            self.signed_in["bob"].post(f"{API}/workspaces/{self.team.workspace_id}/tokens", json=body), 201
        )["id"]

    def after(self, key: str, status: int) -> None:
        if key == "DELETE /api/v1/allocations/{allocation_id}" and status < 300:
            self._allocation = None


def _login(w: World, who: str) -> Call:
    username = "erin" if who == "anonymous" else who
    client = w.new_client("anonymous")
    return Call("/login", {"data": {"username": username, "password": PASSWORD, "next": "/"}}, client)


HANDOFF_LATER = "2099-06-30"
HANDOFF_TERMS = {
    "title": "Case study",
    "conditions": "Two pages, approved by the customer.",
    "due_date": "2099-06-01",
}
# The steps that bring a new handoff to a state: (step, taken by "performer" or "requester").
HANDOFF_PATHS = {
    "requested": [],
    "countered": [("counter", "performer")],
    "promised": [("promise", "performer")],
    "declared_complete": [("promise", "performer"), ("declare-complete", "performer")],
}


def _handoff(w: World, who: str, state: str = "requested", party: str = "performer") -> int:
    """A new handoff between alice and bob in `state`, in which `who` (when alice or bob) is
    the `party` whose step comes next; carol, dave and the anonymous caller are neither."""
    other = {"alice": "bob", "bob": "alice"}
    acting = who if who in other else None
    if party == "performer":
        performer = acting or "bob"
        requester = other[performer]
    else:
        requester = acting or "alice"
        performer = other[requester]
    people = {"performer": performer, "requester": requester}
    body = {**HANDOFF_TERMS, "performer_board_id": w.team.board_id, "performer_id": w.team.users[performer]}
    handoff = w.ok(w.signed_in[requester].post(f"{API}/items/{w.item()}/handoffs", json=body), 201)["id"]
    for step, by in HANDOFF_PATHS[state]:
        terms = {"due_date": HANDOFF_LATER} if step == "counter" else {}
        w.ok(w.signed_in[people[by]].post(f"{API}/handoffs/{handoff}/{step}", json=terms))
    return handoff


# A valid request, on workspace A, for every route: (world, persona) -> Call.
REQUESTS: dict[str, Callable[[World, str], Call]] = {
    "GET /api/v1/me": lambda w, who: Call(f"{API}/me"),
    "GET /api/v1/users": lambda w, who: Call(f"{API}/users"),
    "POST /api/v1/users": lambda w, who: Call(
        f"{API}/users",
        {"json": {"username": f"frank{w.unique()}", "display_name": "Frank Fox", "password": PASSWORD}},
    ),
    "GET /api/v1/workspaces": lambda w, who: Call(f"{API}/workspaces"),
    "POST /api/v1/workspaces": lambda w, who: Call(
        f"{API}/workspaces", {"json": {"name": f"Field Sales {w.unique()}"}}
    ),
    "GET /api/v1/workspaces/{workspace_id}": lambda w, who: Call(f"{API}/workspaces/{w.team.workspace_id}"),
    "GET /api/v1/workspaces/{workspace_id}/members": lambda w, who: Call(
        f"{API}/workspaces/{w.team.workspace_id}/members"
    ),
    "PUT /api/v1/workspaces/{workspace_id}/members/{user_id}": lambda w, who: Call(
        f"{API}/workspaces/{w.team.workspace_id}/members/{w.erin}", {"json": {"role": "viewer"}}
    ),
    "GET /api/v1/workspaces/{workspace_id}/tokens": lambda w, who: Call(
        f"{API}/workspaces/{w.team.workspace_id}/tokens"
    ),
    "POST /api/v1/workspaces/{workspace_id}/tokens": lambda w, who: Call(
        f"{API}/workspaces/{w.team.workspace_id}/tokens",
        {"json": {"name": f"Nightly report {w.unique()}", "role": "viewer"}},
    ),
    "DELETE /api/v1/tokens/{token_id}": lambda w, who: Call(f"{API}/tokens/{w.bobs_token()}"),
    "GET /api/v1/workspaces/{workspace_id}/audit": lambda w, who: Call(
        f"{API}/workspaces/{w.team.workspace_id}/audit"
    ),
    "GET /api/v1/workspaces/{workspace_id}/work-types": lambda w, who: Call(
        f"{API}/workspaces/{w.team.workspace_id}/work-types"
    ),
    "POST /api/v1/workspaces/{workspace_id}/work-types": lambda w, who: Call(
        f"{API}/workspaces/{w.team.workspace_id}/work-types", {"json": {"name": f"Event {w.unique()}"}}
    ),
    "GET /api/v1/workspaces/{workspace_id}/boards": lambda w, who: Call(
        f"{API}/workspaces/{w.team.workspace_id}/boards"
    ),
    "POST /api/v1/workspaces/{workspace_id}/boards": lambda w, who: Call(
        f"{API}/workspaces/{w.team.workspace_id}/boards",
        {
            "json": {
                "name": f"Leads {w.unique()}",
                "stages": [{"name": "Working"}, {"name": "Won", "kind": "done"}],
            }
        },
    ),
    "GET /api/v1/boards/{board_id}": lambda w, who: Call(f"{API}/boards/{w.team.board_id}"),
    "PATCH /api/v1/boards/{board_id}": lambda w, who: Call(
        f"{API}/boards/{w.team.board_id}", {"json": {"description": f"Version {w.unique()}"}}
    ),
    "GET /api/v1/boards/{board_id}/view": lambda w, who: Call(f"{API}/boards/{w.team.board_id}/view"),
    "POST /api/v1/boards/{board_id}/stages": lambda w, who: Call(
        f"{API}/boards/{w.team.board_id}/stages", {"json": {"name": f"Proofing {w.unique()}", "position": 4}}
    ),
    "PATCH /api/v1/stages/{stage_id}": lambda w, who: Call(
        f"{API}/stages/{w.team.stages['Doing']}",
        {"json": {"policy": f"Two readers sign off ({w.unique()})."}},
    ),
    "GET /api/v1/stages/{stage_id}/items": lambda w, who: Call(f"{API}/stages/{w.team.stages['Done']}/items"),
    "POST /api/v1/boards/{board_id}/lanes": lambda w, who: Call(
        f"{API}/boards/{w.team.board_id}/lanes", {"json": {"name": f"Rush {w.unique()}"}}
    ),
    "PATCH /api/v1/lanes/{lane_id}": lambda w, who: Call(
        f"{API}/lanes/{w.team.lanes['Standard']}", {"json": {"wip_mode": "warn"}}
    ),
    "POST /api/v1/boards/{board_id}/allocations": lambda w, who: Call(
        f"{API}/boards/{w.team.board_id}/allocations",
        {"json": {"class_of_service": "intangible", "limit_percent": 20}},
    ),
    "DELETE /api/v1/allocations/{allocation_id}": lambda w, who: Call(f"{API}/allocations/{w.allocation()}"),
    "GET /api/v1/boards/{board_id}/pull-next": lambda w, who: Call(
        f"{API}/boards/{w.team.board_id}/pull-next", {"params": {"stage_id": w.team.stages["Doing"]}}
    ),
    "GET /api/v1/boards/{board_id}/transitions": lambda w, who: Call(
        f"{API}/boards/{w.team.board_id}/transitions"
    ),
    "GET /api/v1/boards/{board_id}/metrics": lambda w, who: Call(f"{API}/boards/{w.team.board_id}/metrics"),
    "GET /api/v1/boards/{board_id}/forecast/how-many": lambda w, who: Call(
        f"{API}/boards/{w.team.board_id}/forecast/how-many", {"params": {"days": 14}}
    ),
    "GET /api/v1/boards/{board_id}/forecast/when": lambda w, who: Call(
        f"{API}/boards/{w.team.board_id}/forecast/when", {"params": {"items": 3}}
    ),
    "GET /api/v1/boards/{board_id}/forecast/revenue": lambda w, who: Call(
        f"{API}/boards/{w.team.board_id}/forecast/revenue", {"params": {"target": 50_000, "trials": 1000}}
    ),
    "GET /api/v1/boards/{board_id}/forecast/backtest": lambda w, who: Call(
        f"{API}/boards/{w.team.board_id}/forecast/backtest", {"params": {"days": 7}}
    ),
    "GET /api/v1/boards/{board_id}/forecast/revenue-backtest": lambda w, who: Call(
        f"{API}/boards/{w.team.board_id}/forecast/revenue-backtest", {"params": {"horizon_days": 3}}
    ),
    "GET /api/v1/boards/{board_id}/commit-by": lambda w, who: Call(
        f"{API}/boards/{w.team.board_id}/commit-by"
    ),
    "GET /api/v1/boards/{board_id}/commitment-timing": lambda w, who: Call(
        f"{API}/boards/{w.team.board_id}/commitment-timing"
    ),
    "GET /api/v1/workspaces/{workspace_id}/commit-by": lambda w, who: Call(
        f"{API}/workspaces/{w.team.workspace_id}/commit-by"
    ),
    "GET /api/v1/boards/{board_id}/service-levels": lambda w, who: Call(
        f"{API}/boards/{w.team.board_id}/service-levels"
    ),
    "GET /api/v1/workspaces/{workspace_id}/lrm-settings": lambda w, who: Call(
        f"{API}/workspaces/{w.team.workspace_id}/lrm-settings"
    ),
    "PATCH /api/v1/workspaces/{workspace_id}/lrm-settings": lambda w, who: Call(
        f"{API}/workspaces/{w.team.workspace_id}/lrm-settings",
        {"json": {"cadence_days": 7 + w.unique() % 3, "class_percentiles": {"standard": 80}}},
    ),
    "GET /api/v1/workspaces/{workspace_id}/split-templates": lambda w, who: Call(
        f"{API}/workspaces/{w.team.workspace_id}/split-templates"
    ),
    "PUT /api/v1/workspaces/{workspace_id}/split-templates": lambda w, who: Call(
        f"{API}/workspaces/{w.team.workspace_id}/split-templates",
        {"json": {"work_type_id": w.team.work_types["Deal"], "children": [{"title": f"Call {w.unique()}"}]}},
    ),
    "GET /api/v1/items/{item_id}/aggregate": lambda w, who: Call(f"{API}/items/{w.item()}/aggregate"),
    "POST /api/v1/items/{item_id}/split": lambda w, who: Call(
        f"{API}/items/{w.item()}/split", {"json": {"children": [{"title": "Brief", "offset_days": -7}]}}
    ),
    "GET /workspaces/{workspace_id}/commit-by": lambda w, who: Call(
        f"/workspaces/{w.team.workspace_id}/commit-by"
    ),
    "POST /workspaces/{workspace_id}/commit-by/settings": lambda w, who: Call(
        f"/workspaces/{w.team.workspace_id}/commit-by/settings",
        {
            "data": {
                "default_percentile": "85",
                "cadence_days": str(7 + w.unique() % 3),
                "lookahead_days": "42",
                "working_days": ["1", "2", "3", "4", "5"],
                "time_zone": "UTC",
            }
        },
    ),
    "POST /workspaces/{workspace_id}/commit-by/templates": lambda w, who: Call(
        f"/workspaces/{w.team.workspace_id}/commit-by/templates",
        {"data": {"work_type_id": str(w.team.work_types["Deal"]), "children": f"Call {w.unique()} | | | -3"}},
    ),
    "POST /workspaces/{workspace_id}/commit-by/split": lambda w, who: Call(
        f"/workspaces/{w.team.workspace_id}/commit-by/split", {"data": {"item_id": str(w.aggregate())}}
    ),
    "POST /api/v1/boards/{board_id}/items": lambda w, who: Call(
        f"{API}/boards/{w.team.board_id}/items", {"json": {"title": f"Webinar follow-up {w.unique()}"}}
    ),
    "GET /api/v1/items/{item_id}": lambda w, who: Call(f"{API}/items/{w.item()}"),
    "PATCH /api/v1/items/{item_id}": lambda w, who: Call(
        f"{API}/items/{w.item()}", {"json": {"title": "Spring launch email, second send"}}
    ),
    "POST /api/v1/items/{item_id}/move": lambda w, who: Call(
        f"{API}/items/{w.item()}/move", {"json": {"to_stage_id": w.team.stages["Doing"]}}
    ),
    "POST /api/v1/items/{item_id}/block": lambda w, who: Call(
        f"{API}/items/{w.item()}/block", {"json": {"reason": "Waiting for legal"}}
    ),
    "POST /api/v1/items/{item_id}/unblock": lambda w, who: Call(f"{API}/items/{w.item('blocked')}/unblock"),
    "POST /api/v1/items/{item_id}/discard": lambda w, who: Call(
        f"{API}/items/{w.item()}/discard", {"json": {"reason": "The budget was cut."}}
    ),
    "POST /api/v1/items/{item_id}/archive": lambda w, who: Call(f"{API}/items/{w.item('done')}/archive"),
    "GET /api/v1/items/{item_id}/transitions": lambda w, who: Call(f"{API}/items/{w.item()}/transitions"),
    "GET /api/v1/workspaces/{workspace_id}/handoffs": lambda w, who: Call(
        f"{API}/workspaces/{w.team.workspace_id}/handoffs",
        {"params": {"mine": "requester", "status": "open"}},
    ),
    "GET /api/v1/items/{item_id}/handoffs": lambda w, who: Call(f"{API}/items/{w.item()}/handoffs"),
    "POST /api/v1/items/{item_id}/handoffs": lambda w, who: Call(
        f"{API}/items/{w.item()}/handoffs",
        {"json": {**HANDOFF_TERMS, "performer_board_id": w.team.board_id}},
    ),
    "GET /api/v1/handoffs/{handoff_id}": lambda w, who: Call(f"{API}/handoffs/{_handoff(w, who)}"),
    "POST /api/v1/handoffs/{handoff_id}/promise": lambda w, who: Call(
        f"{API}/handoffs/{_handoff(w, who)}/promise", {"json": {"note": "On it."}}
    ),
    "POST /api/v1/handoffs/{handoff_id}/counter": lambda w, who: Call(
        f"{API}/handoffs/{_handoff(w, who)}/counter", {"json": {"due_date": HANDOFF_LATER}}
    ),
    "POST /api/v1/handoffs/{handoff_id}/accept-counter": lambda w, who: Call(
        f"{API}/handoffs/{_handoff(w, who, 'countered', 'requester')}/accept-counter"
    ),
    "POST /api/v1/handoffs/{handoff_id}/decline-counter": lambda w, who: Call(
        f"{API}/handoffs/{_handoff(w, who, 'countered', 'requester')}/decline-counter"
    ),
    "POST /api/v1/handoffs/{handoff_id}/decline": lambda w, who: Call(
        f"{API}/handoffs/{_handoff(w, who)}/decline", {"json": {"note": "No designer free this month."}}
    ),
    "POST /api/v1/handoffs/{handoff_id}/perform": lambda w, who: Call(
        f"{API}/handoffs/{_handoff(w, who, 'promised')}/perform"
    ),
    "POST /api/v1/handoffs/{handoff_id}/declare-complete": lambda w, who: Call(
        f"{API}/handoffs/{_handoff(w, who, 'promised')}/declare-complete"
    ),
    "POST /api/v1/handoffs/{handoff_id}/accept": lambda w, who: Call(
        f"{API}/handoffs/{_handoff(w, who, 'declared_complete', 'requester')}/accept"
    ),
    "POST /api/v1/handoffs/{handoff_id}/reject": lambda w, who: Call(
        f"{API}/handoffs/{_handoff(w, who, 'declared_complete', 'requester')}/reject",
        {"json": {"note": "The quote is missing."}},
    ),
    "POST /api/v1/handoffs/{handoff_id}/cancel": lambda w, who: Call(
        f"{API}/handoffs/{_handoff(w, who, 'requested', 'requester')}/cancel"
    ),
    "GET /": lambda w, who: Call("/"),
    "GET /boards/{board_id}": lambda w, who: Call(f"/boards/{w.team.board_id}"),
    "GET /boards/{board_id}/flow": lambda w, who: Call(
        f"/boards/{w.team.board_id}/flow", {"params": {"working_days": "true", "lane": "Standard"}}
    ),
    "GET /boards/{board_id}/forecast": lambda w, who: Call(
        f"/boards/{w.team.board_id}/forecast", {"params": {"items": 3, "window_days": 30}}
    ),
    "GET /assets/plotly.min.js": lambda w, who: Call("/assets/plotly.min.js"),
    "GET /workspaces/{workspace_id}/handoffs": lambda w, who: Call(
        f"/workspaces/{w.team.workspace_id}/handoffs"
    ),
    "GET /login": lambda w, who: Call("/login"),
    "POST /login": _login,
    # Signing out ends the session: a client of its own, so that the persona's goes on.
    "POST /logout": lambda w, who: Call("/logout", client=w.new_client(who)),
    "GET /docs": lambda w, who: Call("/docs"),
    "GET /openapi.json": lambda w, who: Call("/openapi.json"),
    "GET /healthz": lambda w, who: Call("/healthz"),
    "GET /readyz": lambda w, who: Call("/readyz"),
}


# --- trigger rules, notifications and webhooks: fresh objects of workspace A ----------------


def _rule(w: World) -> int:
    body = {
        "name": f"Tell the team {w.unique()}",
        "event": "item.moved",
        "actions": [{"kind": "notify", "message": "{title} moved to {stage}"}],
    }
    return w.ok(w.admin.post(f"{API}/workspaces/{w.team.workspace_id}/rules", json=body), 201)["id"]


def _notification(w: World) -> int:
    """A's newest notification, made by a rule on blocking an item."""
    if not getattr(w, "_notifying", False):
        notify = [{"kind": "notify", "message": "{title}"}]
        body = {"name": "Blocked", "event": "item.blocked", "actions": notify}
        w.ok(w.admin.post(f"{API}/workspaces/{w.team.workspace_id}/rules", json=body), 201)
        w._notifying = True
    w.item("blocked")
    return w.ok(w.admin.get(f"{API}/workspaces/{w.team.workspace_id}/notifications"))[0]["id"]


def _source(w: World) -> dict:
    body = {"name": f"CRM {w.unique()}"}
    return w.ok(w.admin.post(f"{API}/workspaces/{w.team.workspace_id}/webhook-sources", json=body), 201)


def _target(w: World) -> int:
    body = {"name": f"Relay {w.unique()}", "url": "http://127.0.0.1:9/hook"}
    return w.ok(w.admin.post(f"{API}/workspaces/{w.team.workspace_id}/webhook-targets", json=body), 201)["id"]


def _hook(w: World) -> Call:
    """A request signed with the secret of A's source (each one new, so never a replay)."""
    if getattr(w, "_hook_source", None) is None:
        w._hook_source = _source(w)
    body = json.dumps({"deal": f"Northwind {w.unique()}", "stage": "proposal"}).encode()
    headers = signed_headers(w._hook_source["secret"], body, dt.datetime.now(dt.UTC))
    return Call(w._hook_source["hook_path"], {"content": body, "headers": headers})


REQUESTS.update(
    {
        "GET /api/v1/workspaces/{workspace_id}/rules": lambda w, who: Call(
            f"{API}/workspaces/{w.team.workspace_id}/rules"
        ),
        "POST /api/v1/workspaces/{workspace_id}/rules": lambda w, who: Call(
            f"{API}/workspaces/{w.team.workspace_id}/rules",
            {
                "json": {
                    "name": f"Due soon {w.unique()}",
                    "event": "item.due_soon",
                    "days": 3,
                    "actions": [{"kind": "notify", "message": "{title} is due in {days_left} days"}],
                }
            },
        ),
        "GET /api/v1/rules/{rule_id}": lambda w, who: Call(f"{API}/rules/{_rule(w)}"),
        "PATCH /api/v1/rules/{rule_id}": lambda w, who: Call(
            f"{API}/rules/{_rule(w)}", {"json": {"enabled": False}}
        ),
        "DELETE /api/v1/rules/{rule_id}": lambda w, who: Call(f"{API}/rules/{_rule(w)}"),
        "GET /api/v1/rules/{rule_id}/firings": lambda w, who: Call(f"{API}/rules/{_rule(w)}/firings"),
        "GET /api/v1/workspaces/{workspace_id}/notifications": lambda w, who: Call(
            f"{API}/workspaces/{w.team.workspace_id}/notifications"
        ),
        "POST /api/v1/notifications/{notification_id}/read": lambda w, who: Call(
            f"{API}/notifications/{_notification(w)}/read"
        ),
        "POST /api/v1/workspaces/{workspace_id}/notifications/read": lambda w, who: Call(
            f"{API}/workspaces/{w.team.workspace_id}/notifications/read"
        ),
        "GET /api/v1/workspaces/{workspace_id}/webhook-sources": lambda w, who: Call(
            f"{API}/workspaces/{w.team.workspace_id}/webhook-sources"
        ),
        "POST /api/v1/workspaces/{workspace_id}/webhook-sources": lambda w, who: Call(
            f"{API}/workspaces/{w.team.workspace_id}/webhook-sources",
            {"json": {"name": f"Forms {w.unique()}"}},
        ),
        "DELETE /api/v1/webhook-sources/{source_id}": lambda w, who: Call(
            f"{API}/webhook-sources/{_source(w)['id']}"
        ),
        "GET /api/v1/workspaces/{workspace_id}/webhook-targets": lambda w, who: Call(
            f"{API}/workspaces/{w.team.workspace_id}/webhook-targets"
        ),
        "POST /api/v1/workspaces/{workspace_id}/webhook-targets": lambda w, who: Call(
            f"{API}/workspaces/{w.team.workspace_id}/webhook-targets",
            {"json": {"name": f"Chat {w.unique()}", "url": "https://chat.example.com/hooks/pullplan"}},
        ),
        "DELETE /api/v1/webhook-targets/{target_id}": lambda w, who: Call(
            f"{API}/webhook-targets/{_target(w)}"
        ),
        "GET /api/v1/workspaces/{workspace_id}/deliveries": lambda w, who: Call(
            f"{API}/workspaces/{w.team.workspace_id}/deliveries"
        ),
        "POST /api/v1/hooks/{source_id}": lambda w, who: _hook(w),
        "GET /workspaces/{workspace_id}/rules": lambda w, who: Call(
            f"/workspaces/{w.team.workspace_id}/rules"
        ),
        "POST /workspaces/{workspace_id}/rules": lambda w, who: Call(
            f"/workspaces/{w.team.workspace_id}/rules",
            {
                "data": {
                    "name": f"Blocked {w.unique()}",
                    "event": "item.blocked",
                    "action": "notify",
                    "message": "{title} is blocked",
                }
            },
        ),
        "POST /rules/{rule_id}/enabled": lambda w, who: Call(
            f"/rules/{_rule(w)}/enabled", {"data": {"enabled": "false"}}
        ),
        "POST /rules/{rule_id}/delete": lambda w, who: Call(f"/rules/{_rule(w)}/delete"),
        "GET /workspaces/{workspace_id}/notifications": lambda w, who: Call(
            f"/workspaces/{w.team.workspace_id}/notifications"
        ),
        "POST /workspaces/{workspace_id}/notifications/read": lambda w, who: Call(
            f"/workspaces/{w.team.workspace_id}/notifications/read"
        ),
        "POST /workspaces/{workspace_id}/webhook-sources": lambda w, who: Call(
            f"/workspaces/{w.team.workspace_id}/webhook-sources",
            {"data": {"source_name": f"Forms {w.unique()}"}},
        ),
        "POST /webhook-sources/{source_id}/delete": lambda w, who: Call(
            f"/webhook-sources/{_source(w)['id']}/delete"
        ),
    }
)


# The Last Planner: viewers read; members plan, promise, check in, close weeks and log
# constraints; managers set the lookahead and the reasons for variance.
# fmt: off
MATRIX.update({
    "GET /api/v1/workspaces/{workspace_id}/planner/settings":          (200, 200, 200, 404, 401),
    "PUT /api/v1/workspaces/{workspace_id}/planner/settings":          (200, 403, 403, 404, 401),
    "GET /api/v1/workspaces/{workspace_id}/milestones":                (200, 200, 200, 404, 401),
    "POST /api/v1/workspaces/{workspace_id}/milestones":               (201, 201, 403, 404, 401),
    "GET /api/v1/milestones/{milestone_id}":                           (200, 200, 200, 404, 401),
    "PATCH /api/v1/milestones/{milestone_id}":                         (200, 200, 403, 404, 401),
    "POST /api/v1/milestones/{milestone_id}/tasks":                    (201, 201, 403, 404, 401),
    "PATCH /api/v1/plan-tasks/{plan_task_id}":                         (200, 200, 403, 404, 401),
    "GET /api/v1/workspaces/{workspace_id}/lookahead":                 (200, 200, 200, 404, 401),
    "POST /api/v1/workspaces/{workspace_id}/lookahead/snapshots":      (201, 201, 403, 404, 401),
    "GET /api/v1/workspaces/{workspace_id}/constraints":               (200, 200, 200, 404, 401),
    "POST /api/v1/workspaces/{workspace_id}/constraints":              (201, 201, 403, 404, 401),
    "PATCH /api/v1/constraints/{constraint_id}":                       (200, 200, 403, 404, 401),
    "GET /api/v1/workspaces/{workspace_id}/weekly-plan":               (200, 200, 200, 404, 401),
    "POST /api/v1/workspaces/{workspace_id}/promises":                 (201, 201, 403, 404, 401),
    "POST /api/v1/promises/{promise_id}/check-ins":                    (201, 201, 403, 404, 401),
    "POST /api/v1/workspaces/{workspace_id}/week-close":               (200, 200, 403, 404, 401),
    "GET /api/v1/workspaces/{workspace_id}/planner/metrics":           (200, 200, 200, 404, 401),
    "GET /api/v1/workspaces/{workspace_id}/learning-cycles":           (200, 200, 200, 404, 401),
    "POST /api/v1/workspaces/{workspace_id}/learning-cycles":          (201, 201, 403, 404, 401),
    "PATCH /api/v1/learning-cycles/{learning_cycle_id}":               (200, 200, 403, 404, 401),
    "GET /workspaces/{workspace_id}/planner":                          (200, 200, 200, 404, 303),
    "GET /workspaces/{workspace_id}/planner/close":                    (200, 200, 200, 404, 303),
    "GET /workspaces/{workspace_id}/planner/lookahead":                (200, 200, 200, 404, 303),
    "GET /workspaces/{workspace_id}/planner/pull-plans":               (200, 200, 200, 404, 303),
    "GET /workspaces/{workspace_id}/planner/metrics":                  (200, 200, 200, 404, 303),
})
# fmt: on


def _planner(w: World) -> dict[str, int]:
    """A's pull plan (a milestone with a task), a constraint, a promise of this week and a
    learning cycle, made once by the administrator."""
    if getattr(w, "_planner_ids", None) is None:
        ws = w.team.workspace_id
        milestone = w.ok(
            w.admin.post(
                f"{API}/workspaces/{ws}/milestones", json={"name": "Launch webinar", "date": _monday(6)}
            ),
            201,
        )["id"]
        task = _plan_task(w, milestone)
        constraint = w.ok(
            w.admin.post(
                f"{API}/workspaces/{ws}/constraints",
                json={
                    "plan_task_id": task,
                    "category": "approval",
                    "description": "Legal reads the copy.",
                    "need_by": _monday(1),
                },
            ),
            201,
        )["id"]
        promise = w.ok(
            w.admin.post(
                f"{API}/workspaces/{ws}/promises",
                json={
                    "week": _monday(0),
                    "plan_task_id": _plan_task(w, milestone),
                },
            ),
            201,
        )["promise"]["id"]
        cycle = w.ok(
            w.admin.post(
                f"{API}/workspaces/{ws}/learning-cycles",
                json={
                    "kind": "pdca",
                    "title": "A standing slot with legal",
                    "reason": "approval_late",
                },
            ),
            201,
        )["id"]
        w._planner_ids = {
            "milestone": milestone,
            "task": task,
            "constraint": constraint,
            "promise": promise,
            "cycle": cycle,
        }
    return w._planner_ids


def _plan_task(w: World, milestone: int | None = None) -> int:
    """A new task of A's pull plan."""
    milestone = milestone or _planner(w)["milestone"]
    return w.ok(
        w.admin.post(
            f"{API}/milestones/{milestone}/tasks",
            json={
                "title": f"Landing page {w.unique()}",
                "duration_days": 2,
                "team": "Marketing",
            },
        ),
        201,
    )["id"]


def _monday(weeks: int) -> str:
    today = dt.date.today()
    return (today - dt.timedelta(days=today.weekday()) + dt.timedelta(weeks=weeks)).isoformat()


REQUESTS.update(
    {
        "GET /api/v1/workspaces/{workspace_id}/planner/settings": lambda w, who: Call(
            f"{API}/workspaces/{w.team.workspace_id}/planner/settings"
        ),
        "PUT /api/v1/workspaces/{workspace_id}/planner/settings": lambda w, who: Call(
            f"{API}/workspaces/{w.team.workspace_id}/planner/settings", {"json": {"lookahead_weeks": 5}}
        ),
        "GET /api/v1/workspaces/{workspace_id}/milestones": lambda w, who: Call(
            f"{API}/workspaces/{w.team.workspace_id}/milestones"
        ),
        "POST /api/v1/workspaces/{workspace_id}/milestones": lambda w, who: Call(
            f"{API}/workspaces/{w.team.workspace_id}/milestones",
            {"json": {"name": f"Partner summit {w.unique()}", "date": _monday(8)}},
        ),
        "GET /api/v1/milestones/{milestone_id}": lambda w, who: Call(
            f"{API}/milestones/{_planner(w)['milestone']}"
        ),
        "PATCH /api/v1/milestones/{milestone_id}": lambda w, who: Call(
            f"{API}/milestones/{_planner(w)['milestone']}",
            {"json": {"conditions": f"{w.unique()} sign-ups."}},
        ),
        "POST /api/v1/milestones/{milestone_id}/tasks": lambda w, who: Call(
            f"{API}/milestones/{_planner(w)['milestone']}/tasks",
            {"json": {"title": f"Slides {w.unique()}", "duration_days": 3}},
        ),
        "PATCH /api/v1/plan-tasks/{plan_task_id}": lambda w, who: Call(
            f"{API}/plan-tasks/{_planner(w)['task']}", {"json": {"customer": f"Events {w.unique()}"}}
        ),
        "GET /api/v1/workspaces/{workspace_id}/lookahead": lambda w, who: Call(
            f"{API}/workspaces/{w.team.workspace_id}/lookahead"
        ),
        "POST /api/v1/workspaces/{workspace_id}/lookahead/snapshots": lambda w, who: Call(
            f"{API}/workspaces/{w.team.workspace_id}/lookahead/snapshots"
        ),
        "GET /api/v1/workspaces/{workspace_id}/constraints": lambda w, who: Call(
            f"{API}/workspaces/{w.team.workspace_id}/constraints"
        ),
        "POST /api/v1/workspaces/{workspace_id}/constraints": lambda w, who: Call(
            f"{API}/workspaces/{w.team.workspace_id}/constraints",
            {
                "json": {
                    "plan_task_id": _planner(w)["task"],
                    "category": "content_materials",
                    "description": f"Logo files {w.unique()}",
                    "need_by": _monday(1),
                }
            },
        ),
        "PATCH /api/v1/constraints/{constraint_id}": lambda w, who: Call(
            f"{API}/constraints/{_planner(w)['constraint']}",
            {"json": {"note": f"Asked again ({w.unique()})."}},
        ),
        "GET /api/v1/workspaces/{workspace_id}/weekly-plan": lambda w, who: Call(
            f"{API}/workspaces/{w.team.workspace_id}/weekly-plan", {"params": {"week": _monday(0)}}
        ),
        "POST /api/v1/workspaces/{workspace_id}/promises": lambda w, who: Call(
            f"{API}/workspaces/{w.team.workspace_id}/promises",
            {"json": {"week": _monday(1), "plan_task_id": _plan_task(w)}},
        ),
        "POST /api/v1/promises/{promise_id}/check-ins": lambda w, who: Call(
            f"{API}/promises/{_planner(w)['promise']}/check-ins", {"json": {"status": "on_track"}}
        ),
        # Each call closes a past week of its own (without promises).
        "POST /api/v1/workspaces/{workspace_id}/week-close": lambda w, who: Call(
            f"{API}/workspaces/{w.team.workspace_id}/week-close",
            {"json": {"week": _monday(-w.unique()), "outcomes": []}},
        ),
        "GET /api/v1/workspaces/{workspace_id}/planner/metrics": lambda w, who: Call(
            f"{API}/workspaces/{w.team.workspace_id}/planner/metrics"
        ),
        "GET /api/v1/workspaces/{workspace_id}/learning-cycles": lambda w, who: Call(
            f"{API}/workspaces/{w.team.workspace_id}/learning-cycles"
        ),
        "POST /api/v1/workspaces/{workspace_id}/learning-cycles": lambda w, who: Call(
            f"{API}/workspaces/{w.team.workspace_id}/learning-cycles",
            {"json": {"kind": "sdca", "title": f"Brief template {w.unique()}"}},
        ),
        "PATCH /api/v1/learning-cycles/{learning_cycle_id}": lambda w, who: Call(
            f"{API}/learning-cycles/{_planner(w)['cycle']}", {"json": {"check": f"On time ({w.unique()})."}}
        ),
        "GET /workspaces/{workspace_id}/planner": lambda w, who: Call(
            f"/workspaces/{w.team.workspace_id}/planner?week={_monday(0)}"
        ),
        "GET /workspaces/{workspace_id}/planner/close": lambda w, who: Call(
            f"/workspaces/{w.team.workspace_id}/planner/close"
        ),
        "GET /workspaces/{workspace_id}/planner/lookahead": lambda w, who: Call(
            f"/workspaces/{w.team.workspace_id}/planner/lookahead"
        ),
        "GET /workspaces/{workspace_id}/planner/pull-plans": lambda w, who: Call(
            f"/workspaces/{w.team.workspace_id}/planner/pull-plans"
        ),
        "GET /workspaces/{workspace_id}/planner/metrics": lambda w, who: Call(
            f"/workspaces/{w.team.workspace_id}/planner/metrics"
        ),
    }
)


@pytest.fixture(params=["session", "token"])
def world(request, client, team, outsiders, history, in_process, sign_in) -> World:
    """Workspace A is the team's (Doing without a WIP limit, and a past for the forecasts);
    dave is a member of B only; erin is in no workspace."""
    via = request.param
    team.set_stage("Doing", wip_limit=None)
    history(team)
    erin = client.post(
        f"{API}/users", json={"username": "erin", "display_name": "Erin Evans", "password": PASSWORD}
    ).json()["id"]
    assert (
        client.put(
            f"{API}/workspaces/{outsiders.workspace_id}/members/{team.users['dave']}", json={"role": "member"}
        ).status_code
        == 200
    )
    signed_in = {}
    for who in ("alice", "bob", "carol", "dave"):
        signed_in[who] = in_process()
        sign_in(signed_in[who], who)
    tokens = {}
    for who in ("alice", "bob", "carol", "dave"):
        workspace = outsiders.workspace_id if who == "dave" else team.workspace_id
        response = signed_in[who].post(
            f"{API}/workspaces/{workspace}/tokens",
            json={"name": f"{who}'s script", "role": ROLES.get(who, "member")},
        )
        assert response.status_code == 201, response.text
        tokens[who] = response.json()["token"]

    def new_client(who: str):
        made = in_process()
        if who == "anonymous":
            return made
        if via == "session":
            sign_in(made, who)
        else:
            made.headers["authorization"] = f"Bearer {tokens[who]}"
        return made

    callers = {"anonymous": in_process()}
    for who in ("alice", "bob", "carol", "dave"):
        callers[who] = signed_in[who] if via == "session" else new_client(who)
    return World(
        admin=client,
        team=team,
        erin=erin,
        via=via,
        callers=callers,
        signed_in=signed_in,
        new_client=new_client,
    )


def test_each_persona_gets_exactly_the_expected_status(world, snapshot):
    failures = []
    for key in sorted(MATRIX):
        method, _ = key.split(" ", 1)
        expected = (BY_TOKEN if world.via == "token" else {}).get(key, MATRIX[key])
        for who, status in zip(PERSONAS, expected, strict=True):
            call = REQUESTS[key](world, who)
            refused = status >= 400 or (status == 303 and who == "anonymous" and key != "POST /login")
            before = snapshot() if refused else None
            response = (call.client or world.callers[who]).request(method, call.path, **call.kwargs)
            world.after(key, response.status_code)
            problem = None
            if response.status_code != status:
                problem = f"answered {response.status_code}, not {status}: {response.text[:160]}"
            elif status == 303 and who == "anonymous" and key != "POST /login":
                location = response.headers["location"]
                if not location.startswith("/login?next="):
                    problem = f"redirected to {location}, not to the sign-in page"
            elif refused and snapshot() != before:
                problem = f"answered {status} but changed the database"
            if problem:
                failures.append(f"{key} as {who}: {problem}")
    assert not failures, f"{len(failures)} calls ({world.via}) not as expected:\n" + "\n".join(failures)


def test_what_dave_is_shown_names_nothing_of_workspace_a(world):
    dave = world.callers["dave"]

    workspaces = dave.get(f"{API}/workspaces").json()
    me = dave.get(f"{API}/me").json()
    home = dave.get("/")

    assert world.team.workspace_id not in [w["id"] for w in workspaces]
    assert world.team.workspace_id not in [w["workspace_id"] for w in me["workspaces"]]
    assert "Acme Marketing" not in home.text and "Campaigns" not in home.text
