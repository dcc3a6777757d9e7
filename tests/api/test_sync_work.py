"""Where a request's blocking work runs: on worker threads by default, on the event loop's own
thread with `threads=1` (web/sync_work.py), and the same answers either way."""

from __future__ import annotations

import inspect
import threading
from collections.abc import Iterator

import pytest
from fastapi import FastAPI
from fastapi.routing import APIRoute

from pullplan.services import items as item_service
from pullplan.settings import Settings
from pullplan.storage.database import Database
from pullplan.web import auth
from pullplan.web.app import create_app

API = "/api/v1"


@pytest.fixture(params=[1, 40], ids=["one thread", "40 threads"])
def threads(request) -> int:
    return request.param


@pytest.fixture
def app(api_db: Database, threads: int) -> FastAPI:
    return create_app(Settings(demo=False, threads=threads), db=api_db)


@pytest.fixture
def work_threads(monkeypatch) -> dict[str, set[int]]:
    """The threads the authentication read and the move service ran on, by name."""
    seen: dict[str, set[int]] = {"caller": set(), "move": set()}

    def recorded(name, func):
        def run(*args, **kwargs):
            seen[name].add(threading.get_ident())
            return func(*args, **kwargs)

        return run

    monkeypatch.setattr(auth, "_caller", recorded("caller", auth._caller))
    monkeypatch.setattr(item_service, "move_item", recorded("move", item_service.move_item))
    return seen


def test_one_thread_runs_the_work_on_the_event_loop_and_more_on_worker_threads(team, threads, work_threads):
    loop_thread = team.client.portal.call(threading.get_ident)
    item = team.create_item("Webinar follow-up", stage="Next")

    assert team.move(item["id"], "Doing").status_code == 200

    assert work_threads["caller"] and work_threads["move"]
    ran_on = work_threads["caller"] | work_threads["move"]
    if threads == 1:
        assert ran_on == {loop_thread}
    else:
        assert loop_thread not in ran_on


def test_the_answers_are_the_same_on_the_event_loop_and_on_worker_threads(team):
    team.set_stage("Doing", wip_limit=1, wip_mode="block")
    first = team.create_item("Spring launch email", stage="Next")
    second = team.create_item("Partner webinar", stage="Next")

    moved = team.move(first["id"], "Doing")
    refused = team.move(second["id"], "Doing")
    unknown = team.move(999_999, "Doing")
    invalid = team.client.post(f"{API}/items/{second['id']}/move", json={"to_stage_id": "soon"})
    stranger = team.client.post(
        f"{API}/items/{second['id']}/move",
        json={"to_stage_id": team.stages["Doing"]},
        headers={"Authorization": "Bearer not-a-token"},
    )

    assert moved.status_code == 200 and moved.json()["item"]["stage_id"] == team.stages["Doing"]
    assert refused.status_code == 409
    assert refused.json()["error"]["code"] == "pull_refused"
    assert "WIP limit" in refused.json()["error"]["message"]
    assert unknown.status_code == 404 and unknown.json()["error"]["code"] == "not_found"
    assert invalid.status_code == 422 and "to_stage_id" in invalid.text
    assert stranger.status_code == 401 and "token" in stranger.json()["error"]["message"]
    assert team.item(second["id"])["stage_id"] == team.stages["Next"]
    assert team.count("Doing") == 1


def endpoints(routes) -> Iterator[APIRoute]:
    for route in routes:
        included = getattr(route, "original_router", None)  # FastAPI keeps included routers
        if included is not None:
            yield from endpoints(included.routes)
        elif isinstance(route, APIRoute):
            yield route


def calls(dependant) -> Iterator:
    for dependency in dependant.dependencies:
        if dependency.call is not None:
            yield dependency.call
        yield from calls(dependency)


def test_every_route_and_dependency_is_a_coroutine_so_one_switch_decides_for_all(app):
    """A plain `def` route or dependency would go to a worker thread whatever the switch."""
    routes = list(endpoints(app.router.routes))

    assert len(routes) > 80
    plain = [route.path for route in routes if not inspect.iscoroutinefunction(route.endpoint)]
    plain += [
        f"{route.path}: {call.__name__}"
        for route in routes
        for call in calls(route.dependant)
        if not inspect.iscoroutinefunction(call)
    ]
    assert plain == []
