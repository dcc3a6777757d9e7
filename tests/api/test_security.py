"""Sessions, CSRF, API tokens, sign-in throttling, the body limit, security headers and the
audit log, as a browser, a script and an attacker meet them."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from sqlalchemy import select, update

from pullplan.services import accounts
from pullplan.storage.tables import ApiTokenRow, BrowserSessionRow, LoginFailureRow
from pullplan.web.auth import CSRF_HEADER, SESSION_COOKIE

API = "/api/v1"
PASSWORD = "correct horse battery staple"  # conftest.PASSWORD, which every user has
T0 = dt.datetime(2026, 3, 2, 9, 0, tzinfo=dt.UTC)


@pytest.fixture
def person(in_process, sign_in, team):
    """`person("alice")`: a new in-process client signed in as that person (cookie + CSRF)."""

    def make(username: str):
        made = in_process()
        sign_in(made, username)
        return made

    return make


def new_token(client, workspace_id: int, role: str, name: str = "Nightly report") -> tuple[int, str]:
    response = client.post(f"{API}/workspaces/{workspace_id}/tokens", json={"name": name, "role": role})
    assert response.status_code == 201, response.text
    return response.json()["id"], response.json()["token"]


def bearer(in_process, token: str):
    made = in_process()
    made.headers["authorization"] = f"Bearer {token}"
    return made


def new_item(client, team, title: str = "Spring launch email", **headers):
    return client.post(f"{API}/boards/{team.board_id}/items", json={"title": title}, headers=headers)


# --- CSRF -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "headers",
    [
        pytest.param({CSRF_HEADER: ""}, id="no token"),
        pytest.param({CSRF_HEADER: "x" * 43}, id="a wrong token"),
        pytest.param({"origin": "https://evil.example"}, id="a foreign origin"),
        pytest.param({"origin": "null"}, id="an opaque origin"),
        pytest.param({"sec-fetch-site": "cross-site"}, id="sec-fetch-site cross-site"),
        pytest.param({"sec-fetch-site": "same-site"}, id="sec-fetch-site same-site"),
    ],
)
def test_a_cookie_write_without_proof_of_our_own_page_is_refused(headers, person, team, snapshot, api_error):
    alice = person("alice")
    before = snapshot()

    response = new_item(alice, team, **headers)

    assert response.status_code == 403
    assert api_error(response)["code"] == "csrf_refused"
    assert snapshot() == before


def test_a_cookie_write_from_our_own_page_goes_through(person, team):
    alice = person("alice")

    response = new_item(alice, team, origin="http://testserver", **{"sec-fetch-site": "same-origin"})

    assert response.status_code == 201


def test_the_csrf_token_may_come_as_a_form_field(person, api_db):
    alice = person("alice")
    csrf = alice.headers.pop(CSRF_HEADER)
    assert alice.post("/logout").status_code == 403  # no token at all

    response = alice.post("/logout", data={"csrf_token": csrf})

    assert (response.status_code, response.headers["location"]) == (303, "/login")
    assert sessions_of(api_db, "alice") == []


def sessions_of(api_db, username: str) -> list[BrowserSessionRow]:
    with api_db.read() as session:
        user = accounts.find_user(session, username)
        return list(session.scalars(select(BrowserSessionRow).where(BrowserSessionRow.user_id == user.id)))


def test_a_bearer_request_needs_no_csrf_token(person, in_process, team):
    _, token = new_token(person("bob"), team.workspace_id, "member")
    script = bearer(in_process, token)

    assert CSRF_HEADER not in script.headers
    assert new_item(script, team).status_code == 201


def test_the_sign_in_form_refuses_a_foreign_origin(in_process, team, api_db):
    browser = in_process()
    form = {"username": "alice", "password": PASSWORD}

    foreign = browser.post("/login", data=form, headers={"origin": "https://evil.example"})
    cross_site = browser.post("/login", data=form, headers={"sec-fetch-site": "cross-site"})

    for response in (foreign, cross_site):
        assert response.status_code == 403
        assert SESSION_COOKIE not in response.headers.get("set-cookie", "")
    assert sessions_of(api_db, "alice") == []


# --- sessions ---------------------------------------------------------------------------------


def test_a_session_ends_after_12_hours_idle(team, api_db):
    token, _ = accounts.sign_in(api_db, username="alice", password=PASSWORD, address="10.0.0.1", now=T0)
    other, _ = accounts.sign_in(api_db, username="alice", password=PASSWORD, address="10.0.0.1", now=T0)

    assert accounts.session_principal(api_db, token, now=T0 + accounts.SESSION_IDLE - dt.timedelta(minutes=1))
    assert accounts.session_principal(api_db, other, now=T0 + accounts.SESSION_IDLE) is None


def test_a_session_in_use_ends_after_7_days(team, api_db):
    token, _ = accounts.sign_in(api_db, username="alice", password=PASSWORD, address="10.0.0.1", now=T0)

    for hours in range(11, 7 * 24, 11):  # used every 11 hours: never idle for 12
        principal = accounts.session_principal(api_db, token, now=T0 + dt.timedelta(hours=hours))
        assert principal is not None and principal.username == "alice", hours
    assert accounts.session_principal(api_db, token, now=T0 + accounts.SESSION_MAX) is None


@pytest.mark.parametrize(
    "column, age",
    [
        pytest.param("last_seen_at", accounts.SESSION_IDLE + dt.timedelta(seconds=1), id="idle 12 hours"),
        pytest.param("expires_at", dt.timedelta(seconds=1), id="past its 7 days"),
    ],
)
def test_an_expired_session_is_signed_out_over_http(column, age, person, api_db, api_error):
    alice = person("alice")
    assert alice.get(f"{API}/me").status_code == 200
    with api_db.write() as session:
        session.execute(update(BrowserSessionRow).values({column: accounts.utcnow() - age}))

    api = alice.get(f"{API}/me")
    page = alice.get("/")

    assert api.status_code == 401
    assert api_error(api)["code"] == "not_signed_in"
    assert (page.status_code, page.headers["location"]) == (303, "/login?next=%2F")


def session_cookie(response) -> str:
    found = re.search(rf"{SESSION_COOKIE}=([^;]+)", response.headers.get("set-cookie", ""))
    assert found, response.headers
    return found.group(1)


def test_signing_in_starts_a_new_session_and_ends_the_old_one(in_process, team, api_db):
    form = {"username": "alice", "password": PASSWORD}
    planted = in_process()  # a session id an attacker chose (session fixation)
    planted.cookies.set(SESSION_COOKIE, "chosen-by-an-attacker")
    first = session_cookie(planted.post("/login", data=form))
    browser = in_process()
    browser.cookies.set(SESSION_COOKIE, first)
    stale = in_process()
    stale.cookies.set(SESSION_COOKIE, first)

    second = session_cookie(browser.post("/login", data=form))

    assert len({"chosen-by-an-attacker", first, second}) == 3
    assert accounts.session_principal(api_db, first) is None
    assert accounts.session_principal(api_db, second).username == "alice"
    assert stale.get(f"{API}/me").status_code == 401


def test_signing_out_ends_the_session(person, in_process, api_db):
    alice = person("alice")
    cookie = alice.cookies[SESSION_COOKIE]

    response = alice.post("/logout")

    assert (response.status_code, response.headers["location"]) == (303, "/login")
    assert f'{SESSION_COOKIE}=""' in response.headers["set-cookie"]
    assert accounts.session_principal(api_db, cookie) is None
    replay = in_process()
    replay.cookies.set(SESSION_COOKIE, cookie)
    assert replay.get(f"{API}/me").status_code == 401


def test_the_session_cookie_is_http_only_same_site_and_secure_over_https(app, team):
    from fastapi.testclient import TestClient

    with TestClient(app, base_url="https://testserver") as browser:
        response = browser.post(
            "/login", data={"username": "alice", "password": PASSWORD}, follow_redirects=False
        )

    cookie = response.headers["set-cookie"].lower()
    assert response.status_code == 303
    assert all(flag in cookie for flag in ("httponly", "samesite=lax", "secure", "path=/"))


# --- API tokens -------------------------------------------------------------------------------


def test_a_revoked_token_is_refused_at_once(person, in_process, team, api_db, api_error):
    alice = person("alice")
    token_id, token = new_token(alice, team.workspace_id, "member")
    script = bearer(in_process, token)
    assert script.get(f"{API}/me").status_code == 200

    response = alice.delete(f"{API}/tokens/{token_id}")

    assert response.status_code == 200
    assert response.json()["revoked_at"] is not None
    refused = script.get(f"{API}/boards/{team.board_id}")
    assert refused.status_code == 401
    assert api_error(refused)["code"] == "not_signed_in"
    assert new_item(script, team).status_code == 401
    again = alice.delete(f"{API}/tokens/{token_id}")
    assert again.json()["revoked_at"] == response.json()["revoked_at"]


def test_a_token_notes_when_it_was_last_used(person, in_process, team, api_db):
    alice = person("alice")
    token_id, token = new_token(alice, team.workspace_id, "viewer")
    assert alice.get(f"{API}/workspaces/{team.workspace_id}/tokens").json()[0]["last_used_at"] is None

    bearer(in_process, token).get(f"{API}/boards/{team.board_id}")

    [listed] = alice.get(f"{API}/workspaces/{team.workspace_id}/tokens").json()
    assert listed["id"] == token_id and listed["last_used_at"] is not None
    with api_db.read() as session:
        assert session.get(ApiTokenRow, token_id).last_used_at is not None


@pytest.mark.parametrize("who, role", [("bob", "manager"), ("carol", "member"), ("carol", "manager")])
def test_a_token_cannot_have_a_role_above_its_creators(who, role, person, team, snapshot, api_error):
    creator = person(who)
    before = snapshot()

    response = creator.post(
        f"{API}/workspaces/{team.workspace_id}/tokens", json={"name": "Sneaky", "role": role}
    )

    assert response.status_code == 422
    error = api_error(response)
    assert error["field"] == "role"
    assert f"cannot give a token the role {role}" in error["message"]
    assert snapshot() == before


def test_a_viewers_token_reads_but_cannot_write(person, in_process, team, snapshot, api_error):
    _, token = new_token(person("alice"), team.workspace_id, "viewer")  # a manager's read-only token
    script = bearer(in_process, token)
    before = snapshot()

    read = script.get(f"{API}/boards/{team.board_id}/view")
    write = new_item(script, team)
    manage = script.patch(f"{API}/stages/{team.stages['Doing']}", json={"wip_limit": 9})

    assert read.status_code == 200
    for response in (write, manage):
        assert response.status_code == 403
        assert api_error(response)["code"] == "forbidden"
    assert snapshot() == before


def test_a_token_acts_no_higher_than_its_creators_current_role(client, person, in_process, team):
    _, token = new_token(person("alice"), team.workspace_id, "manager")
    script = bearer(in_process, token)
    assert new_item(script, team).status_code == 201

    demoted = client.put(
        f"{API}/workspaces/{team.workspace_id}/members/{team.users['alice']}", json={"role": "viewer"}
    )

    assert demoted.status_code == 200
    assert new_item(script, team, "Another email").status_code == 403
    assert script.get(f"{API}/me").json()["workspaces"] == [
        {"workspace_id": team.workspace_id, "role": "viewer"}
    ]


def test_a_token_reaches_only_its_own_workspace(client, in_process, team, outsiders, api_error):
    _, token = new_token(client, team.workspace_id, "manager")  # the administrator's own token
    script = bearer(in_process, token)

    for path in (f"/workspaces/{outsiders.workspace_id}", f"/boards/{outsiders.board_id}"):
        response = script.get(API + path)
        assert response.status_code == 404, path
        api_error(response)
    assert [w["id"] for w in script.get(f"{API}/workspaces").json()] == [team.workspace_id]


def test_a_token_cannot_make_tokens(person, in_process, team, snapshot, api_error):
    _, token = new_token(person("alice"), team.workspace_id, "manager")
    before = snapshot()

    response = bearer(in_process, token).post(
        f"{API}/workspaces/{team.workspace_id}/tokens", json={"name": "Forever", "role": "manager"}
    )

    assert response.status_code == 403
    assert "sign in" in api_error(response)["message"]
    assert snapshot() == before


def test_a_disabled_user_loses_sessions_and_tokens(person, in_process, team, api_db):
    bob = person("bob")
    _, token = new_token(bob, team.workspace_id, "member")
    script = bearer(in_process, token)

    accounts.disable_user(api_db, username="bob")

    assert bob.get(f"{API}/me").status_code == 401
    assert script.get(f"{API}/me").status_code == 401
    response = in_process().post("/login", data={"username": "bob", "password": PASSWORD})
    assert response.status_code == 401
    assert "Wrong username or password." in response.text


# --- sign-in throttling -----------------------------------------------------------------------


def test_five_failures_lock_the_account_at_that_address_for_15_minutes(team, api_db):
    def attempt(password, at, username="alice", address="10.0.0.1"):
        return accounts.sign_in(api_db, username=username, password=password, address=address, now=at)

    for minute in range(5):
        with pytest.raises(accounts.LoginRefused):
            attempt("wrong password", T0 + dt.timedelta(minutes=minute))

    with pytest.raises(accounts.LoginThrottled) as throttled:
        attempt(PASSWORD, T0 + dt.timedelta(minutes=5))  # the right password, too soon
    assert "try again in 10 minutes" in throttled.value.message
    with pytest.raises(accounts.LoginThrottled) as throttled:
        attempt(PASSWORD, T0 + dt.timedelta(minutes=14, seconds=30))
    assert "try again in 1 minute." in throttled.value.message
    assert attempt(PASSWORD, T0 + dt.timedelta(minutes=5), address="10.0.0.2")[1].username == "alice"
    assert attempt(PASSWORD, T0 + dt.timedelta(minutes=5), username="bob")[1].username == "bob"
    _, principal = attempt(PASSWORD, T0 + dt.timedelta(minutes=15, seconds=1))  # the first failure aged out
    assert principal.username == "alice"
    with api_db.read() as session:  # a success forgets that pair's failures
        assert (
            session.scalars(select(LoginFailureRow).where(LoginFailureRow.address == "10.0.0.1")).all() == []
        )


def test_unknown_usernames_are_throttled_alike(team, api_db):
    for _ in range(5):
        with pytest.raises(accounts.LoginRefused):
            accounts.sign_in(api_db, username="mallory", password="guess", address="10.0.0.9", now=T0)

    with pytest.raises(accounts.LoginThrottled):
        accounts.sign_in(api_db, username="mallory", password="guess", address="10.0.0.9", now=T0)


def test_the_sign_in_page_says_when_to_retry(in_process, team):
    browser = in_process()
    form = {"username": "alice", "password": "wrong password"}
    for _ in range(5):
        assert browser.post("/login", data=form).status_code == 401

    response = browser.post("/login", data={"username": "alice", "password": PASSWORD})

    assert response.status_code == 429
    assert re.search(r"try again in 1[45] minutes", response.text), response.text
    assert SESSION_COOKIE not in response.headers.get("set-cookie", "")
    assert person_can_still_sign_in(in_process, "bob")


def person_can_still_sign_in(in_process, username: str) -> bool:
    response = in_process().post("/login", data={"username": username, "password": PASSWORD})
    return response.status_code == 303


# --- the body limit and the headers -----------------------------------------------------------


@pytest.mark.parametrize("streamed", [False, True], ids=["with a length", "streamed"])
def test_a_body_over_a_megabyte_is_refused_with_413(streamed, client, team, snapshot, api_error):
    body = b'{"title": "' + b"x" * 1_000_000 + b'"}'
    content = iter([body[:500_000], body[500_000:]]) if streamed else body
    before = snapshot()

    response = client.post(
        f"{API}/boards/{team.board_id}/items", content=content, headers={"content-type": "application/json"}
    )

    assert response.status_code == 413
    assert api_error(response)["code"] == "too_large"
    assert snapshot() == before


def test_a_body_of_a_megabyte_is_not_refused_for_its_size(client, team, api_error):
    body = b'{"title": "' + b"x" * (1_000_000 - 13) + b'"}'
    assert len(body) == 1_000_000

    response = client.post(
        f"{API}/boards/{team.board_id}/items", content=body, headers={"content-type": "application/json"}
    )

    assert response.status_code == 422  # too long a title, but read
    assert api_error(response)["field"] == "title"


def test_every_answer_carries_the_security_headers(client, in_process, team):
    answers = {
        "api": client.get(f"{API}/boards/{team.board_id}"),
        "page": client.get(f"/boards/{team.board_id}"),
        "not found": client.get("/nope"),
        "not signed in": in_process().get(f"{API}/me"),
        "too large": client.post(f"{API}/workspaces", content=b"x" * 1_000_001),
        "static": client.get("/static/pullplan.css"),
        "docs": client.get("/docs"),
    }

    for name, response in answers.items():
        headers = response.headers
        assert headers["x-content-type-options"] == "nosniff", name
        assert headers["x-frame-options"] == "DENY", name
        assert headers["referrer-policy"] == "same-origin", name
        csp = headers["content-security-policy"]
        assert "frame-ancestors 'none'" in csp and "default-src 'self'" in csp, name
        assert ("'unsafe-inline'" in csp.split("script-src")[1].split(";")[0]) == (name == "docs"), name


# --- the audit log ----------------------------------------------------------------------------


def test_the_audit_log_names_who_changed_roles_tokens_limits_and_overrode_them(client, person, team):
    alice, bob = person("alice"), person("bob")
    client.put(f"{API}/workspaces/{team.workspace_id}/members/{team.users['dave']}", json={"role": "viewer"})
    new_token(alice, team.workspace_id, "member", name="CRM sync")
    assert (
        alice.patch(
            f"{API}/stages/{team.stages['Doing']}", json={"wip_limit": 1, "wip_mode": "reason"}
        ).status_code
        == 200
    )
    bob.post(
        f"{API}/boards/{team.board_id}/items",
        json={"title": "Trade show booth", "stage_id": team.stages["Doing"]},
    )
    item = bob.post(f"{API}/boards/{team.board_id}/items", json={"title": "Spring launch email"}).json()[
        "item"
    ]
    moved = bob.post(
        f"{API}/items/{item['id']}/move",
        json={"to_stage_id": team.stages["Doing"], "reason": "The CEO asked"},
    )
    assert moved.status_code == 200 and moved.json()["override"] is True

    events = alice.get(f"{API}/workspaces/{team.workspace_id}/audit").json()

    seen = {(e["actor"], e["action"], e["subject"]) for e in events}
    assert ("admin", "member.role_changed", "dave") in seen
    assert ("alice", "token.created", "CRM sync") in seen
    assert ("alice", "stage.policy_changed", "Doing") in seen
    assert ("bob", "item.override", f"item {item['id']}") in seen
    newest = {}
    for event in reversed(events):
        newest[event["action"]] = event
    assert newest["member.role_changed"]["details"] == {"from": None, "to": "viewer"}
    assert newest["stage.policy_changed"]["details"]["wip_limit"] == 1
    assert newest["item.override"]["details"]["reason"] == "The CEO asked"
    assert [e["id"] for e in events] == sorted((e["id"] for e in events), reverse=True)  # newest first
    assert ("alice", "login", "alice") in seen and ("bob", "login", "bob") in seen  # members' sign-ins


def test_managers_see_their_members_sign_ins_and_no_one_elses(person, team):
    person("dave")  # a member of another workspace only
    person("bob")
    failed = person("carol")
    failed.cookies.clear()
    failed.post("/login", data={"username": "carol", "password": "not her password"})
    events = person("alice").get(f"{API}/workspaces/{team.workspace_id}/audit").json()
    sign_ins = {(e["action"], e["subject"]) for e in events if e["action"].startswith("login")}
    assert ("login", "bob") in sign_ins and ("login.failed", "carol") in sign_ins
    assert not any(subject == "dave" for _, subject in sign_ins)


def test_only_managers_read_the_audit_log(person, team, api_error):
    for who, status in (("bob", 403), ("carol", 403)):
        response = person(who).get(f"{API}/workspaces/{team.workspace_id}/audit")
        assert response.status_code == status, who
        api_error(response)
