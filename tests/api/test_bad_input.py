"""Bad input is answered 4xx with a message naming the field, and changes nothing (SQLite
and PostgreSQL). Each case reads as what was sent; after each one every table is compared
with how it was before."""

from __future__ import annotations

from dataclasses import KW_ONLY, dataclass

import pytest

API = "/api/v1"
PASSWORD = "a long enough password"


@pytest.fixture
def api_url(database_url: str) -> str:
    return database_url


@dataclass(frozen=True)
class Bad:
    what: str
    method: str
    path: str  # formatted with the ids: {workspace}, {board}, {item}, ...
    body: object = None  # a JSON body, or a function of the ids that builds one
    status: int = 422
    _: KW_ONLY
    field: str | None = None  # the field a 422 must name
    code: str | None = None  # the error code, where it says more than the status
    raw: bytes | None = None  # a body that is not JSON


@pytest.fixture
def ids(team, outsiders) -> dict[str, int]:
    """The ids the cases use: the team's board, an item on it, and the outsiders' things."""
    client = team.client
    item = team.create_item("Spring launch email", stage="Next")
    other_item = outsiders.create_item("Renewal call", stage="Next")
    allocation = client.post(
        f"{API}/boards/{team.board_id}/allocations",
        json={"work_type_id": team.work_types["Campaign"], "limit_count": 2},
    ).json()["allocations"][0]
    return {
        "workspace": team.workspace_id,
        "board": team.board_id,
        "doing": team.stages["Doing"],
        "done": team.stages["Done"],
        "lane": team.lanes["Standard"],
        "allocation": allocation["id"],
        "item": item["id"],
        "campaign": team.work_types["Campaign"],
        "alice": team.users["alice"],
        "dave": team.users["dave"],
        "other_board": outsiders.board_id,
        "other_stage": outsiders.stages["Doing"],
        "other_lane": outsiders.lanes["Standard"],
        "other_work_type": outsiders.work_types["Campaign"],
        "other_item": other_item["id"],
    }


def check(cases: list[Bad], client, ids, snapshot, api_error) -> None:
    """Send every case; fail saying, in words, each one not answered as it should be."""
    failures = []
    before = snapshot()
    for case in cases:
        if case.raw is not None:
            kwargs = {"content": case.raw, "headers": {"content-type": "application/json"}}
        else:
            body = case.body(ids) if callable(case.body) else case.body
            kwargs = {} if body is None else {"json": body}
        response = client.request(case.method, API + case.path.format(**ids), **kwargs)
        try:
            error = api_error(response)
            assert response.status_code == case.status, f"answered {response.status_code}: {response.text}"
            if case.field:
                assert error.get("field") == case.field, f"names {error.get('field')!r}: {error['message']}"
            if case.code:
                assert error["code"] == case.code, f"code {error['code']!r}: {error['message']}"
            assert snapshot() == before, "it changed the database"
        except AssertionError as e:
            failures.append(f"{case.what}: {e}")
            before = snapshot()
    assert not failures, f"{len(failures)} of {len(cases)} cases failed:\n" + "\n".join(failures)


WORKSPACES_AND_PEOPLE = [
    Bad("a workspace without a name", "POST", "/workspaces", {}, field="name"),
    Bad("a blank workspace name", "POST", "/workspaces", {"name": "   "}, field="name"),
    Bad("a workspace name of 121 characters", "POST", "/workspaces", {"name": "x" * 121}, field="name"),
    Bad("a workspace name that is a number", "POST", "/workspaces", {"name": 5}, field="name"),
    Bad(
        "a NUL in the time zone",
        "POST",
        "/workspaces",
        {"name": "Ok", "time_zone": "UTC\x00"},
        field="time_zone",
    ),
    Bad(
        "a field a workspace has not", "POST", "/workspaces", {"name": "Ok", "owner": "alice"}, field="owner"
    ),
    Bad("a body that is not JSON", "POST", "/workspaces", raw=b"{name: Ok}", field="body"),
    Bad("a body that is a list", "POST", "/workspaces", [{"name": "Ok"}], field="body"),
    Bad("no body at all", "POST", "/workspaces", field="body"),
    Bad("a workspace id that is a word", "GET", "/workspaces/abc", field="workspace_id"),
    Bad("a workspace id past 32 bits", "GET", f"/workspaces/{2**31}", field="workspace_id"),
    Bad("a workspace id of 0", "GET", "/workspaces/0/boards", field="workspace_id"),
    Bad("an unknown workspace", "GET", "/workspaces/999999/members", status=404, code="not_found"),
    Bad(
        "a username with a space",
        "POST",
        "/users",
        {"username": "a b", "display_name": "A", "password": PASSWORD},
        field="username",
    ),
    Bad(
        "a user without a display name",
        "POST",
        "/users",
        {"username": "erin", "password": PASSWORD},
        field="display_name",
    ),
    Bad(
        "a user without a password",
        "POST",
        "/users",
        {"username": "erin", "display_name": "Erin"},
        field="password",
    ),
    Bad(
        "a password of 7 characters",
        "POST",
        "/users",
        {"username": "erin", "display_name": "Erin", "password": "1234567"},
        field="password",
    ),
    Bad(
        "a password of 257 characters",
        "POST",
        "/users",
        {"username": "erin", "display_name": "Erin", "password": "p" * 257},
        field="password",
    ),
    Bad(
        "a NUL in an email address",
        "POST",
        "/users",
        {"username": "erin", "display_name": "Erin", "email": "erin\x00@example.com", "password": PASSWORD},
        field="email",
    ),
    Bad(
        "an email address of 255 characters",
        "POST",
        "/users",
        {
            "username": "erin",
            "display_name": "Erin",
            "email": "e" * 243 + "@example.com",
            "password": PASSWORD,
        },
        field="email",
    ),
    Bad(
        "a taken username",
        "POST",
        "/users",
        {"username": "alice", "display_name": "A", "password": PASSWORD},
        409,
        code="duplicate",
    ),
    Bad(
        "a member in the role of owner",
        "PUT",
        "/workspaces/{workspace}/members/{dave}",
        {"role": "owner"},
        field="role",
    ),
    Bad("a member without a role", "PUT", "/workspaces/{workspace}/members/{dave}", {}, field="role"),
    Bad(
        "a member with user id 0",
        "PUT",
        "/workspaces/{workspace}/members/0",
        {"role": "viewer"},
        field="user_id",
    ),
    Bad(
        "a member who does not exist",
        "PUT",
        "/workspaces/{workspace}/members/999999",
        {"role": "viewer"},
        status=404,
    ),
    Bad(
        "a member of an unknown workspace",
        "PUT",
        "/workspaces/999999/members/{dave}",
        {"role": "viewer"},
        status=404,
    ),
    Bad(
        "a work type of 61 characters",
        "POST",
        "/workspaces/{workspace}/work-types",
        {"name": "x" * 61},
        field="name",
    ),
    Bad(
        "a second Campaign work type", "POST", "/workspaces/{workspace}/work-types", {"name": "Campaign"}, 409
    ),
]

STAGES = [{"name": "Doing"}, {"name": "Done", "kind": "done"}]
BOARDS = [
    Bad(
        "a board with one stage",
        "POST",
        "/workspaces/{workspace}/boards",
        {"name": "B", "stages": STAGES[:1]},
        field="stages",
    ),
    Bad(
        "a board without a done stage",
        "POST",
        "/workspaces/{workspace}/boards",
        {"name": "B", "stages": [{"name": "Doing"}, {"name": "Checking"}]},
        field="stages",
    ),
    Bad(
        "a board with done before doing",
        "POST",
        "/workspaces/{workspace}/boards",
        {"name": "B", "stages": STAGES[::-1]},
        field="stages",
    ),
    Bad(
        "a board with two stages called doing",
        "POST",
        "/workspaces/{workspace}/boards",
        {"name": "B", "stages": [{"name": "Doing"}, {"name": "doing"}, STAGES[1]]},
        field="stages",
    ),
    Bad(
        "a stage of an unknown kind",
        "POST",
        "/workspaces/{workspace}/boards",
        {"name": "B", "stages": [STAGES[0], {"name": "Won", "kind": "won"}]},
        field="stages.1.kind",
    ),
    Bad(
        "a negative WIP limit",
        "POST",
        "/workspaces/{workspace}/boards",
        {"name": "B", "stages": [{"name": "Doing", "wip_limit": -1}, STAGES[1]]},
        field="stages.0.wip_limit",
    ),
    Bad(
        "a lane of an unknown class of service",
        "POST",
        "/workspaces/{workspace}/boards",
        {"name": "B", "stages": STAGES, "lanes": [{"name": "Rush", "class_of_service": "rush"}]},
        field="lanes.0.class_of_service",
    ),
    Bad("a board renamed to null", "PATCH", "/boards/{board}", {"name": None}, field="name"),
    Bad(
        "a negative expedite limit",
        "PATCH",
        "/boards/{board}",
        {"expedite_limit": -1},
        field="expedite_limit",
    ),
    Bad(
        "an unknown WIP mode",
        "PATCH",
        "/boards/{board}",
        {"person_wip_mode": "sometimes"},
        field="person_wip_mode",
    ),
    Bad("a board id that is a word", "GET", "/boards/abc/view", field="board_id"),
    Bad(
        "a stage added past the end",
        "POST",
        "/boards/{board}/stages",
        {"name": "Late", "position": 99},
        field="position",
    ),
    Bad(
        "a committed stage added after discarded",
        "POST",
        "/boards/{board}/stages",
        {"name": "Late"},
        field="stages",
    ),
    Bad("a stage renamed to null", "PATCH", "/stages/{doing}", {"name": None}, field="name"),
    Bad("a stage made a done stage", "PATCH", "/stages/{doing}", {"kind": "done"}, field="kind"),
    Bad("a stage renamed to Review", "PATCH", "/stages/{doing}", {"name": "Review"}, 409, code="duplicate"),
    Bad(
        "a second lane called standard", "POST", "/boards/{board}/lanes", {"name": "standard"}, field="lanes"
    ),
    Bad("a lane renamed to null", "PATCH", "/lanes/{lane}", {"name": None}, field="name"),
    Bad(
        "an allocation to a work type and a class",
        "POST",
        "/boards/{board}/allocations",
        lambda i: {"work_type_id": i["campaign"], "class_of_service": "standard", "limit_count": 1},
        field="work_type_id",
    ),
    Bad(
        "an allocation to nothing",
        "POST",
        "/boards/{board}/allocations",
        {"limit_count": 1},
        field="work_type_id",
    ),
    Bad(
        "an allocation of a count and a percentage",
        "POST",
        "/boards/{board}/allocations",
        {"class_of_service": "intangible", "limit_count": 1, "limit_percent": 10},
        field="limit_count",
    ),
    Bad(
        "an allocation of 0 percent",
        "POST",
        "/boards/{board}/allocations",
        {"class_of_service": "intangible", "limit_percent": 0},
        field="limit_percent",
    ),
    Bad(
        "an allocation to another workspace's work type",
        "POST",
        "/boards/{board}/allocations",
        lambda i: {"work_type_id": i["other_work_type"], "limit_count": 1},
        field="work_type_id",
    ),
    Bad("an unknown allocation", "DELETE", "/allocations/999999", status=404),
    Bad("pull next without a stage", "GET", "/boards/{board}/pull-next", field="stage_id"),
    Bad(
        "pull next into another board's stage",
        "GET",
        "/boards/{board}/pull-next?stage_id={other_stage}",
        field="stage_id",
    ),
    Bad("a page of 501 items", "GET", "/stages/{done}/items?limit=501", field="limit"),
    Bad("a negative offset", "GET", "/stages/{done}/items?offset=-1", field="offset"),
    Bad("transitions after id -1", "GET", "/boards/{board}/transitions?after_id=-1", field="after_id"),
    Bad("a finished page of 0", "GET", "/boards/{board}/view?finished_page=0", field="finished_page"),
]

ITEMS = [
    Bad("an item without a title", "POST", "/boards/{board}/items", {}, field="title"),
    Bad("a title of 201 characters", "POST", "/boards/{board}/items", {"title": "x" * 201}, field="title"),
    Bad("a title with a bell in it", "POST", "/boards/{board}/items", {"title": "Ding\x07"}, field="title"),
    Bad(
        "an item in another board's stage",
        "POST",
        "/boards/{board}/items",
        lambda i: {"title": "T", "stage_id": i["other_stage"]},
        field="stage_id",
    ),
    Bad(
        "an item in another board's lane",
        "POST",
        "/boards/{board}/items",
        lambda i: {"title": "T", "lane_id": i["other_lane"]},
        field="lane_id",
    ),
    Bad(
        "an item owned by dave, who is no member",
        "POST",
        "/boards/{board}/items",
        lambda i: {"title": "T", "owner_id": i["dave"]},
        field="owner_id",
    ),
    Bad(
        "an item of another workspace's work type",
        "POST",
        "/boards/{board}/items",
        lambda i: {"title": "T", "work_type_id": i["other_work_type"]},
        field="work_type_id",
    ),
    Bad(
        "an item whose parent is in another workspace",
        "POST",
        "/boards/{board}/items",
        lambda i: {"title": "T", "parent_id": i["other_item"]},
        field="parent_id",
    ),
    Bad(
        "a fixed-date item without a due date",
        "POST",
        "/boards/{board}/items",
        {"title": "T", "class_of_service": "fixed_date"},
        field="due_date",
    ),
    Bad(
        "a due date of 30 February",
        "POST",
        "/boards/{board}/items",
        {"title": "T", "due_date": "2026-02-30"},
        field="due_date",
    ),
    Bad(
        "21 tags",
        "POST",
        "/boards/{board}/items",
        {"title": "T", "tags": [f"t{n}" for n in range(21)]},
        field="tags",
    ),
    Bad("an empty tag", "POST", "/boards/{board}/items", {"title": "T", "tags": ["q1", " "]}, field="tags.1"),
    Bad("a negative value", "POST", "/boards/{board}/items", {"title": "T", "value": -1}, field="value"),
    Bad(
        "a value in tenths of a cent",
        "POST",
        "/boards/{board}/items",
        {"title": "T", "value": "1.005"},
        field="value",
    ),
    Bad("a size over 10,000", "POST", "/boards/{board}/items", {"title": "T", "size": 10_001}, field="size"),
    Bad(
        "an unknown class of service",
        "POST",
        "/boards/{board}/items",
        {"title": "T", "class_of_service": "urgent"},
        field="class_of_service",
    ),
    Bad("an item id that is negative", "GET", "/items/-1", field="item_id"),
    Bad("an unknown item", "GET", "/items/999999/transitions", status=404),
    Bad("a title edited to null", "PATCH", "/items/{item}", {"title": None}, field="title"),
    Bad("ready edited to null", "PATCH", "/items/{item}", {"ready": None}, field="ready"),
    Bad(
        "an item made its own parent",
        "PATCH",
        "/items/{item}",
        lambda i: {"parent_id": i["item"]},
        field="parent_id",
    ),
    Bad(
        "an item moved by editing its stage",
        "PATCH",
        "/items/{item}",
        lambda i: {"stage_id": i["doing"]},
        field="stage_id",
    ),
    Bad(
        "an item made fixed date without a due date",
        "PATCH",
        "/items/{item}",
        {"class_of_service": "fixed_date"},
        field="due_date",
    ),
    Bad("a block without a reason", "POST", "/items/{item}/block", {}, field="reason"),
    Bad("a block with a blank reason", "POST", "/items/{item}/block", {"reason": "  "}, field="reason"),
    Bad(
        "a block category of 61 characters",
        "POST",
        "/items/{item}/block",
        {"reason": "R", "category": "c" * 61},
        field="category",
    ),
    Bad(
        "an unblock of an item that is not blocked",
        "POST",
        "/items/{item}/unblock",
        status=409,
        code="not_blocked",
    ),
    Bad(
        "an archive of an item in progress", "POST", "/items/{item}/archive", status=409, code="not_finished"
    ),
    Bad(
        "a discard with a reason of 501 characters",
        "POST",
        "/items/{item}/discard",
        {"reason": "r" * 501},
        field="reason",
    ),
]

MOVES = [
    Bad("a move without a stage", "POST", "/items/{item}/move", {}, field="to_stage_id"),
    Bad(
        "a move to a stage that is a word",
        "POST",
        "/items/{item}/move",
        {"to_stage_id": "Doing"},
        field="to_stage_id",
    ),
    Bad(
        "a move to a stage id past 32 bits",
        "POST",
        "/items/{item}/move",
        {"to_stage_id": 2**31},
        field="to_stage_id",
    ),
    Bad("a move to stage 0", "POST", "/items/{item}/move", {"to_stage_id": 0}, field="to_stage_id"),
    Bad(
        "a move to another board's stage",
        "POST",
        "/items/{item}/move",
        lambda i: {"to_stage_id": i["other_stage"]},
        field="to_stage_id",
    ),
    Bad(
        "a move with a reason of 501 characters",
        "POST",
        "/items/{item}/move",
        lambda i: {"to_stage_id": i["doing"], "reason": "r" * 501},
        field="reason",
    ),
    Bad(
        "a move with a NUL in its reason",
        "POST",
        "/items/{item}/move",
        lambda i: {"to_stage_id": i["doing"], "reason": "because\x00"},
        field="reason",
    ),
    Bad("a move whose body is a string", "POST", "/items/{item}/move", "Doing", field="body"),
    Bad(
        "a move of an unknown item", "POST", "/items/999999/move", lambda i: {"to_stage_id": i["doing"]}, 404
    ),
]


@pytest.mark.parametrize(
    "cases",
    [
        pytest.param(WORKSPACES_AND_PEOPLE, id="workspaces-and-people"),
        pytest.param(BOARDS, id="boards"),
        pytest.param(ITEMS, id="items"),
        pytest.param(MOVES, id="moves"),
    ],
)
def test_bad_input_is_refused_naming_the_field_and_changes_nothing(cases, client, ids, snapshot, api_error):
    check(cases, client, ids, snapshot, api_error)
