"""The API fuzzed from its own OpenAPI document (schemathesis, in process): every operation,
called with a manager's API token of a workspace with a board, items, a past and people,
answers no 500, only a status it documents, and a body matching the schema it documents for
that status (errors included).

Bounded and repeatable: FUZZ_EXAMPLES examples per operation, positive (what the schema
allows) and negative (what it does not), derandomized. The ids in paths are the workspace's
own, and ids in bodies and queries mostly are, so that the examples reach the code behind the
permission checks (unknown and malformed ids are test_no_500.py's). Runs on SQLite only:
test_no_500.py puts every field's odd values to PostgreSQL.
"""

from __future__ import annotations

import datetime as dt
import re
from collections import Counter

import pytest
import schemathesis
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis.errors import Unsatisfiable
from schemathesis.checks import not_a_server_error
from schemathesis.config import SchemathesisConfig
from schemathesis.core.failures import FailureGroup
from schemathesis.generation import GenerationMode
from schemathesis.specs.openapi.checks import response_schema_conformance, status_code_conformance

API = "/api/v1"
FUZZ_EXAMPLES = {GenerationMode.POSITIVE: 30, GenerationMode.NEGATIVE: 15}  # per operation
RETRY_EXAMPLES = 120  # positive examples for an operation none of whose examples succeeded
CHECKS = [not_a_server_error, status_code_conformance, response_schema_conformance]
# What no token may do, whatever its role: an administrator's work, and making tokens.
REFUSED_TO_TOKENS = {
    "GET /api/v1/users",
    "POST /api/v1/users",
    "POST /api/v1/workspaces",
    "POST /api/v1/workspaces/{workspace_id}/tokens",
}
# Where a body or a query names an object, most examples name one of the workspace's.
REFERENCES = {
    "query.stage_id": "stages",
    "body.stage_id": "stages",
    "body.to_stage_id": "stages",
    "body.lane_id": "lanes",
    "body.work_type_id": "work_types",
    "body.owner_id": "people",
    "body.parent_id": "items",
    "body.plan_task_id": "plan_tasks",
    "body.item_id": "items",
    "body.performer_id": "people",
    "body.constraint_id": "constraints",
    "body.week": "weeks",
    "body.performer_board_id": "boards",
    "body.due_date": "future_dates",  # a date a handoff may still be asked for
}


@pytest.fixture
def bearer(team, history, client) -> dict[str, str]:
    """The header of a manager's token of the team's workspace, whose board has items in
    option and committed stages and a past to forecast from."""
    team.set_stage("Doing", wip_limit=None)
    history(team)
    for title, stage in (("Spring launch email", "Next"), ("Trade show booth", "Doing")):
        team.create_item(title, stage=stage)
    response = client.post(
        f"{API}/workspaces/{team.workspace_id}/tokens", json={"name": "Fuzzing", "role": "manager"}
    )
    assert response.status_code == 201, response.text
    return {"Authorization": f"Bearer {response.json()['token']}"}


@pytest.fixture
def ids(team, client) -> dict:
    """The workspace's objects: one id of each kind for paths, lists of them for bodies."""
    item = team.create_item("Partner webinar", stage="Ideas")
    allocation = client.post(
        f"{API}/boards/{team.board_id}/allocations",
        json={"work_type_id": team.work_types["Campaign"], "limit_count": 2},
    ).json()["allocations"][-1]
    token = client.post(
        f"{API}/workspaces/{team.workspace_id}/tokens", json={"name": "Spare", "role": "viewer"}
    ).json()
    planner = _planner_objects(team, client)
    found = {
        **planner,
        **_handoff_objects(team, client),
        **_rule_objects(team, client),
        "boards": [team.board_id],
        "workspace_id": team.workspace_id,
        "board_id": team.board_id,
        "stage_id": team.stages["Doing"],
        "lane_id": team.lanes["Standard"],
        "allocation_id": allocation["id"],
        "item_id": item["id"],
        "user_id": team.users["dave"],
        "token_id": token["id"],
        "stages": list(team.stages.values()),
        "lanes": list(team.lanes.values()),
        "work_types": list(team.work_types.values()),
        "people": list(team.users.values()),
        "items": [item["id"]],
        "future_dates": [(dt.date.today() + dt.timedelta(days=d)).isoformat() for d in (14, 45)],
    }
    found["per_operation"]["POST /api/v1/items/{item_id}/split"] = {"item_id": _aggregate(team, client)}
    # Other operations archive and discard the shared item; a handoff is asked for an open one.
    asking = team.create_item("Renewal deal", stage="Ideas")["id"]
    found["per_operation"]["POST /api/v1/items/{item_id}/handoffs"] = {"item_id": asking}
    return found


def _aggregate(team, client) -> int:
    """An option whose work type has a split template: POST /items/{id}/split splits it."""
    campaign = team.work_types["Campaign"]
    template = {"work_type_id": campaign, "children": [{"title": "Brief"}, {"title": "Launch"}]}
    response = client.put(f"{API}/workspaces/{team.workspace_id}/split-templates", json=template)
    assert response.status_code == 200, response.text
    return team.create_item("Autumn campaign", stage="Ideas", work_type_id=campaign)["id"]


def _planner_objects(team, client) -> dict:
    """A pull plan with two tasks, a constraint, a promise of this week and a learning cycle."""
    ws, today = team.workspace_id, dt.date.today()

    def made(path: str, body: dict) -> dict:
        response = client.post(f"{API}{path}", json=body)
        assert response.status_code == 201, response.text
        return response.json()

    date = str(today + dt.timedelta(40))
    milestone = made(f"/workspaces/{ws}/milestones", {"name": "Webinar", "date": date})
    path = f"/milestones/{milestone['id']}/tasks"
    tasks = [made(path, {"title": t, "duration_days": 2})["id"] for t in "ABCD"]
    constraint = made(
        f"/workspaces/{ws}/constraints",
        {"plan_task_id": tasks[0], "category": "people", "description": "Speaker", "need_by": str(today)},
    )
    promise = made(f"/workspaces/{ws}/promises", {"week": str(today), "plan_task_id": tasks[1]})["promise"]
    cycle = made(f"/workspaces/{ws}/learning-cycles", {"kind": "pdca", "title": "Book speakers early"})
    return {
        "milestone_id": milestone["id"],
        "plan_task_id": tasks[0],
        "constraint_id": constraint["id"],
        "promise_id": promise["id"],
        "learning_cycle_id": cycle["id"],
        "plan_tasks": tasks,
        "constraints": [constraint["id"]],
        "weeks": [str(today), str(today + dt.timedelta(7)), str(today - dt.timedelta(14))],
    }


def _handoff_objects(team, client) -> dict:
    """A handoff per step route, in the state its step needs, in which the token's user (the
    administrator) takes that step: as the performer of bob's request to the team, or as the
    requester of a handoff bob performs."""
    from pullplan.services import handoffs

    db, admin, bob = client.app.state.db, client.get(f"{API}/me").json()["user"]["id"], team.users["bob"]
    due = dt.date.today() + dt.timedelta(30)
    made = {}
    for step, state, party in [
        ("promise", [], "performer"),
        ("counter", [], "performer"),
        ("decline", [], "performer"),
        ("accept-counter", ["counter"], "requester"),
        ("decline-counter", ["counter"], "requester"),
        ("perform", ["promise"], "performer"),
        ("declare-complete", ["promise"], "performer"),
        ("accept", ["promise", "declare_complete"], "requester"),
        ("reject", ["promise", "declare_complete"], "requester"),
        ("cancel", [], "requester"),
    ]:
        requester, performer = (bob, admin) if party == "performer" else (admin, bob)
        item = team.create_item(f"Deal for {step}")["id"]
        handoff = handoffs.request_handoff(
            db,
            actor_id=requester,
            requesting_item_id=item,
            performer_board_id=team.board_id,
            performer_id=None if performer == admin else bob,
            title="Case study",
            conditions="Two pages.",
            due_date=due,
        ).id
        for taken in state:
            later = due + dt.timedelta(7) if taken == "counter" else None
            handoffs.take_step(db, actor_id=performer, handoff_id=handoff, step=taken, due_date=later)
        made[f"{API}/handoffs/{{handoff_id}}/{step}"] = handoff
    return {"handoff_id": made[f"{API}/handoffs/{{handoff_id}}/promise"], "handoffs": made}


# The inbound webhook is authenticated by its signature, which a fuzzer cannot make: it is
# fuzzed for its refusals (test_webhooks_inbound.py and test_no_500.py send it signed).
SIGNED_ONLY = {"POST /api/v1/hooks/{source_id}"}
REFERENCES["body.url"] = "urls"  # an outbound webhook target's address


def _rule_objects(team, client) -> dict:
    """A rule, a notification, a webhook source and target; a route that deletes one gets
    its own (`per_operation`), so the others still find theirs."""
    ws = team.workspace_id

    def made(path: str, body: dict) -> dict:
        response = client.post(f"{API}{path}", json=body)
        assert response.status_code == 201, response.text
        return response.json()

    def rule(name: str, event: str = "item.moved") -> int:
        body = {"name": name, "event": event, "actions": [{"kind": "notify", "message": "{title}"}]}
        return made(f"/workspaces/{ws}/rules", body)["id"]

    rule_id = rule("Moved")
    rule("Blocked", "item.blocked")
    item = team.create_item("Partner case study", stage="Next")
    assert client.post(f"{API}/items/{item['id']}/block", json={"reason": "Legal"}).status_code == 200
    notification = client.get(f"{API}/workspaces/{ws}/notifications").json()[0]["id"]
    source = made(f"/workspaces/{ws}/webhook-sources", {"name": "CRM"})["id"]
    target = {"name": "Chat", "url": "https://chat.example.com/hooks"}
    return {
        "rule_id": rule_id,
        "notification_id": notification,
        "source_id": source,
        "target_id": made(f"/workspaces/{ws}/webhook-targets", target)["id"],
        "urls": ["https://chat.example.com/hooks/pullplan", "http://127.0.0.1:9/hook"],
        "per_operation": {
            "DELETE /api/v1/rules/{rule_id}": {"rule_id": rule("Deleted")},
            "DELETE /api/v1/webhook-sources/{source_id}": {
                "source_id": made(f"/workspaces/{ws}/webhook-sources", {"name": "Old CRM"})["id"]
            },
        },
    }


def fuzz(
    operation,
    mode: GenerationMode,
    bearer: dict[str, str],
    ids: dict,
    seen: Counter,
    examples: int | None = None,
) -> None:
    """Send one operation's examples of one mode; raise the first failure. `seen` counts the
    answers by status class."""
    names = set(re.findall(r"{(\w+)}", operation.path))
    path = {name: ids[name] for name in names}
    if operation.path in ids["handoffs"]:  # each step route acts on its own handoff
        path["handoff_id"] = ids["handoffs"][operation.path]
    path.update(ids["per_operation"].get(operation.label, {}))

    @given(case=operation.as_strategy(mode, path_parameters=path))
    @settings(
        max_examples=examples or FUZZ_EXAMPLES[mode],
        derandomize=True,
        database=None,
        deadline=None,
        phases=[Phase.explicit, Phase.generate],  # no shrinking: a failure is reported as it was sent
        suppress_health_check=list(HealthCheck),
    )
    def run(case):
        response = case.call_and_validate(headers=bearer, checks=CHECKS)
        seen[response.status_code // 100] += 1

    try:
        run()
    except Unsatisfiable:
        if mode is GenerationMode.POSITIVE:
            raise  # no negative example exists where the path is all there is, and it is fixed


def test_every_operation_answers_as_its_schema_says(app, bearer, ids):
    config = SchemathesisConfig.from_dict(
        {
            "dictionaries": {name: {"values": ids[name]} for name in set(REFERENCES.values())},
            "parameters": {key: {"dictionary": name, "probability": 0.8} for key, name in REFERENCES.items()},
        }
    )
    schema = schemathesis.openapi.from_asgi("/openapi.json", app, config=config)
    operations = [result.ok() for result in schema.get_all_operations()]
    failures, never_succeeded = [], []
    for operation in operations:
        seen: Counter = Counter()
        for mode in FUZZ_EXAMPLES:
            try:
                fuzz(operation, mode, bearer, ids, seen)
            except (Exception, FailureGroup) as e:  # noqa: BLE001 - report every operation's failure
                failures.append(f"{operation.label} ({mode.value}): {e}")
        if not seen[2] and operation.label not in REFUSED_TO_TOKENS | SIGNED_ONLY:
            # Derandomized examples shift whenever the schema changes; before calling the
            # operation unreachable, give it more valid-looking examples.
            try:
                fuzz(operation, GenerationMode.POSITIVE, bearer, ids, seen, examples=RETRY_EXAMPLES)
            except (Exception, FailureGroup) as e:  # noqa: BLE001
                failures.append(f"{operation.label} (retry): {e}")
            if not seen[2]:
                never_succeeded.append(operation.label)

    assert len(operations) >= 40, "the operations were not found in /openapi.json"
    assert not failures, f"{len(failures)} operations failed:\n" + "\n\n".join(failures)
    assert never_succeeded == [], (
        f"no example got past validation (pin more ids in REFERENCES): {never_succeeded}"
    )
