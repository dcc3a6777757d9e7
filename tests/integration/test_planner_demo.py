"""The demo's Last Planner (SQLite and PostgreSQL): twelve closed weeks with a believable PPC and
reasons, learning cycles beside the Pareto, and a product launch webinar with its pull plan,
constraints and this week's promises; the same day gives the same numbers; a reset keeps none."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest
from sqlalchemy import func, select

from pullplan.demo import create_demo, reset_demo
from pullplan.services import planner, planner_weeks
from pullplan.storage.database import Database
from pullplan.storage.migrate import upgrade
from pullplan.storage.planner_tables import MilestoneRow, PromiseRow

TODAY = date(2025, 2, 12)  # a Wednesday
NOW = datetime(2025, 2, 12, 23, 59, 59, tzinfo=UTC)


@pytest.fixture(scope="module", params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def demo(request, tmp_path_factory) -> tuple[Database, int]:
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path_factory.mktemp('planner-demo') / 'demo.sqlite3'}"
    else:
        url = request.getfixturevalue("postgres_url")
    db = Database(url)
    upgrade(db)
    yield db, create_demo(db, today=TODAY)
    db.dispose()


@pytest.fixture(scope="module")
def postgres_url(postgres_admin_url):
    """One PostgreSQL database for the module (the demo is read, never changed)."""
    import uuid

    from sqlalchemy import create_engine, text
    from sqlalchemy.engine import make_url

    name = f"pullplan_test_{uuid.uuid4().hex[:12]}"
    admin = create_engine(postgres_admin_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    yield make_url(postgres_admin_url).set(database=name).render_as_string(hide_password=False)
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


def test_twelve_closed_weeks_with_a_ppc_from_60_to_85_percent(demo):
    db, workspace = demo
    metrics = planner_weeks.planner_metrics(db, workspace, weeks=13, now=NOW)
    closed, this_week = metrics.trend[:12], metrics.trend[12]
    assert all(60 <= w.ppc.percent <= 85 for w in closed), [w.ppc for w in closed]
    assert this_week.ppc is None  # not closed yet
    assert all(w.ta is not None and w.tmr is not None for w in closed)
    assert sum(w.pcr is not None for w in closed) >= 6
    assert set(metrics.by_team) == {"Marketing", "Sales"}
    assert len(metrics.by_person) >= 6


def test_the_pareto_names_the_reasons_and_links_their_learning_cycles(demo):
    db, workspace = demo
    metrics = planner_weeks.planner_metrics(db, workspace, weeks=12, now=NOW)
    assert len(metrics.pareto) >= 5 and metrics.pareto[0].count >= 4
    linked = [p for p in metrics.pareto if p.learning_cycles]
    assert len(linked) >= 3
    cycles = planner_weeks.list_learning_cycles(db, workspace)
    assert {c.kind for c in cycles} == {"pdca", "sdca", "edca"}
    with db.read() as session:
        later = session.scalar(select(func.count()).where(PromiseRow.added_later.is_(True)))
        carried = session.execute(
            select(PromiseRow.item_id)
            .where(PromiseRow.item_id.is_not(None))
            .group_by(PromiseRow.item_id)
            .having(func.count() > 1)
        ).all()
    assert later >= 2 and len(carried) >= 3  # promises added later, and misses carried over


def test_the_webinar_has_a_pull_plan_constraints_and_this_weeks_promises(demo):
    db, workspace = demo
    with db.read() as session:
        milestone = session.scalar(
            select(MilestoneRow.id).where(MilestoneRow.name == "Product launch webinar")
        )
    plan = planner.pull_plan(db, milestone, now=NOW)
    assert len(plan.tasks) == 10 and plan.fits and plan.conditions
    lookahead = planner.lookahead(db, workspace, now=NOW)
    slides = next(t for t in lookahead.tasks if t.task.title == "Slides and demo script")
    assert not slides.ready and slides.constraints[0].description == "Product screenshots of the new release"
    week = planner_weeks.weekly_plan(db, workspace, now=NOW)
    assert len(week.promises) == 6 and not week.closed
    assert [p.title for p in week.at_risk] == ["Landing page and registration form"]
    assert any(c.task.title == "Slides and demo script" and not c.ready for c in week.candidates)


def test_the_same_day_gives_the_same_planner_and_a_reset_leaves_no_rows_behind(demo, tmp_path):
    db, workspace = demo
    again = Database(f"sqlite:///{tmp_path / 'again.sqlite3'}")
    upgrade(again)
    other = create_demo(again, today=TODAY)

    def numbers(database, ws):
        m = planner_weeks.planner_metrics(database, ws, weeks=13, now=NOW)
        return [(w.ppc, w.ta, w.tmr, w.pcr) for w in m.trend], [(p.reason, p.count) for p in m.pareto]

    assert numbers(again, other) == numbers(db, workspace)
    reset_demo(again, today=TODAY)
    with again.read() as session:
        assert session.scalar(select(func.count()).select_from(MilestoneRow)) == 1
    again.dispose()
