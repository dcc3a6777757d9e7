"""The commit-by page: what each role sees and may do, and bad input answered with a page that
says what is wrong (never a 500, nothing written)."""

from __future__ import annotations

import datetime as dt
from urllib.parse import quote

API = "/api/v1"
BAD_IDS = [0, -1, 2**31, "abc", "\x00"]


def _page_error(response, status: int, *words: str) -> None:
    assert response.status_code == status, response.text[:300]
    assert response.headers["content-type"].startswith("text/html")
    problem = response.text.split('role="alert">')[-1][:300]
    assert all(w in response.text for w in words), problem


def _options(team) -> dict[str, int]:
    today = dt.date.today()
    return {
        title: team.create_item(title, stage="Next", due_date=(today + dt.timedelta(days=days)).isoformat())[
            "id"
        ]
        for title, days in (("Late launch", 5), ("Far webinar", 90), ("<b>Bold</b> & co", 30))
    }


def test_a_viewer_reads_the_options_by_commit_by_date_and_the_settings(team, history, in_process, sign_in):
    history(team)
    ids = _options(team)
    carol = in_process()
    sign_in(carol, "carol")

    page = carol.get(f"/workspaces/{team.workspace_id}/commit-by")

    assert page.status_code == 200
    text = page.text
    assert (
        text.index("Late launch") < text.index("&lt;b&gt;Bold&lt;/b&gt; &amp; co") < text.index("Far webinar")
    )
    assert "<b>Bold</b>" not in text
    assert f'data-item-id="{ids["Late launch"]}"' in text and "lrm-late" in text
    assert "Save settings" not in text and "p = 85, buffer 7 days" in text
    assert "Split now" not in text


def test_the_filters_narrow_the_list(team, history, outsiders):
    history(team)
    _options(team)
    by_owner = team.client.get(
        f"/workspaces/{team.workspace_id}/commit-by", params={"owner_id": team.users["alice"]}
    )
    elsewhere = team.client.get(
        f"/workspaces/{team.workspace_id}/commit-by", params={"board_id": outsiders.board_id}
    )

    assert by_owner.status_code == 200 and "Late launch" not in by_owner.text
    _page_error(elsewhere, 422, f"board {outsiders.board_id} is not in this workspace")


def test_a_manager_saves_the_settings_form(team, in_process, sign_in):
    alice = in_process()
    sign_in(alice, "alice")
    form = {
        "default_percentile": "80",
        "fixed_date_percentile": "",
        "standard_percentile": "70",
        "cadence_days": "14",
        "fixed_date_buffer": "3",
        "standard_buffer": "",
        "lookahead_days": "60",
        "use_working_days": "on",
        "working_days": ["1", "2", "3", "4"],
        "holidays": "2026-12-24\n2026-12-25",
        "time_zone": "Europe/Berlin",
    }

    saved = alice.post(f"/workspaces/{team.workspace_id}/commit-by/settings", data=form)

    assert saved.status_code == 303
    assert saved.headers["location"] == f"/workspaces/{team.workspace_id}/commit-by?done=settings"
    settings = alice.get(f"{API}/workspaces/{team.workspace_id}/lrm-settings").json()
    assert settings["classes"] == {
        "fixed_date": {"percentile": 80, "buffer_days": 3},
        "standard": {"percentile": 70, "buffer_days": 14},
    }
    assert settings["working_days"] == [1, 2, 3, 4] and settings["holidays"] == ["2026-12-24", "2026-12-25"]
    assert settings["time_zone"] == "Europe/Berlin"
    assert "The LRM settings are saved." in alice.get(saved.headers["location"]).text


def test_a_bad_settings_form_says_what_is_wrong_and_saves_nothing(team, in_process, sign_in, snapshot):
    alice = in_process()
    sign_in(alice, "alice")
    good = {
        "default_percentile": "85",
        "cadence_days": "7",
        "lookahead_days": "42",
        "working_days": ["1", "2", "3", "4", "5"],
        "time_zone": "UTC",
    }
    before = snapshot()

    for change, words in (
        ({"default_percentile": "eighty"}, "default_percentile: &#39;eighty&#39; is not a whole number."),
        ({"cadence_days": "0"}, "cadence_days: must be a whole number from 1 to 90."),
        ({"holidays": "25/12/2026"}, "holidays: &#39;25/12/2026&#39; is not a date"),
        ({"time_zone": "Nowhere"}, "is not a time zone name"),
        ({"lookahead_days": "3"}, "must be at least one replenishment cadence"),
        ({"working_days": ["9"]}, "working_days: must be a whole number from 1 to 7."),
    ):
        _page_error(
            alice.post(f"/workspaces/{team.workspace_id}/commit-by/settings", data={**good, **change}),
            422,
            words,
        )

    assert snapshot() == before


def test_a_member_splits_an_aggregate_from_the_page(team, history, outsiders, in_process, sign_in, snapshot):
    history(team)
    team.client.put(
        f"{API}/workspaces/{team.workspace_id}/split-templates",
        json={
            "work_type_id": team.work_types["Campaign"],
            "children": [{"title": "Brief"}, {"title": "Launch"}],
        },
    )
    due = (dt.date.today() + dt.timedelta(days=60)).isoformat()
    parent = team.create_item(
        "Spring launch", stage="Next", work_type_id=team.work_types["Campaign"], due_date=due
    )
    foreign = outsiders.create_item("Their campaign")["id"]
    bob = in_process()
    sign_in(bob, "bob")
    listed = bob.get(f"/workspaces/{team.workspace_id}/commit-by").text
    assert "Split now" in listed
    assert '<strong>Campaign</strong>:\n    Brief <span class="muted">(Campaign, +0 d)</span>' in listed

    split = bob.post(f"/workspaces/{team.workspace_id}/commit-by/split", data={"item_id": str(parent["id"])})
    before = snapshot()
    again = bob.post(f"/workspaces/{team.workspace_id}/commit-by/split", data={"item_id": str(parent["id"])})
    elsewhere = bob.post(f"/workspaces/{team.workspace_id}/commit-by/split", data={"item_id": str(foreign)})

    assert split.status_code == 303
    page = bob.get(split.headers["location"]).text
    assert "The item is split into its children." in page and "aggregate: 0 of 2 done" in page
    _page_error(again, 409, "The item is split already")
    _page_error(elsewhere, 404, f"Item {foreign} does not exist.")
    assert snapshot() == before


def test_bad_ids_and_filters_never_answer_500(team):
    for value in BAD_IDS:
        response = team.client.get(f"/workspaces/{quote(str(value), safe='')}/commit-by")
        assert response.status_code in (404, 422) and "<h1>" in response.text
        for name in ("board_id", "owner_id"):
            response = team.client.get(f"/workspaces/{team.workspace_id}/commit-by", params={name: value})
            _page_error(response, 422, name)
        response = team.client.post(
            f"/workspaces/{team.workspace_id}/commit-by/split", data={"item_id": value}
        )
        _page_error(response, 422, "item_id")
    _page_error(team.client.get("/workspaces/999999/commit-by"), 404, "Workspace 999999 does not exist.")


def test_a_manager_writes_a_split_template_one_child_a_line(team, in_process, sign_in, snapshot, outsiders):
    alice = in_process()
    sign_in(alice, "alice")
    url = f"/workspaces/{team.workspace_id}/commit-by/templates"
    campaign = str(team.work_types["Campaign"])

    saved = alice.post(
        url, data={"work_type_id": campaign, "children": "Brief | Deal | Next | -14\n\nLaunch\n"}
    )

    assert saved.status_code == 303
    assert "The split template is saved." in alice.get(saved.headers["location"]).text
    (template,) = alice.get(f"{API}/workspaces/{team.workspace_id}/split-templates").json()
    assert [
        (c["title"], c["work_type_name"], c["stage_name"], c["offset_days"]) for c in template["children"]
    ] == [
        ("Brief", "Deal", "Next", -14),
        ("Launch", None, None, 0),
    ]
    before = snapshot()
    for data, status, words in (
        ({"work_type_id": campaign, "children": "Brief | Webinar"}, 422, "line 1: there is no work type"),
        ({"work_type_id": campaign, "children": "Brief | | | soon"}, 422, "is not a whole number of days"),
        (
            {"work_type_id": campaign, "children": "a | b | c | d | e"},
            422,
            "is not TITLE | TYPE | STAGE | OFFSET",
        ),
        (
            {"work_type_id": str(outsiders.work_types["Deal"]), "children": "Brief"},
            422,
            "is not in this workspace",
        ),
        ({"work_type_id": "abc", "children": "Brief"}, 422, "work_type_id"),
    ):
        _page_error(alice.post(url, data=data), status, words)
    assert snapshot() == before
