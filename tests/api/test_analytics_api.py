"""Working-day cycle times on /metrics and the revenue back-test route, through the API."""

from __future__ import annotations

import datetime as dt

from pullplan.domain.calendar import WorkCalendar

API = "/api/v1"


def test_working_days_count_cycle_times_in_working_days(team, history):
    history(team)  # six items, each committed two days before it was done (3 calendar days)
    days = team.client.get(f"{API}/boards/{team.board_id}/metrics").json()
    working = team.client.get(f"{API}/boards/{team.board_id}/metrics", params={"working_days": True}).json()

    assert days["day_unit"] == "days" and working["day_unit"] == "working days"
    assert sorted(c["days"] for c in days["cycle_times"]) == [3] * 6
    weekdays = WorkCalendar(use_working_days=True)
    expected = {
        c["item_id"]: weekdays.days_between(
            dt.date.fromisoformat(c["committed"]), dt.date.fromisoformat(c["done"])
        )
        for c in days["cycle_times"]
    }
    assert {c["item_id"]: c["days"] for c in working["cycle_times"]} == expected
    assert working["throughput_per_day"] == days["throughput_per_day"]


def test_the_revenue_backtest_of_a_board_without_deals_has_no_dates(team, history):
    history(team)
    answer = team.client.get(f"{API}/boards/{team.board_id}/forecast/revenue-backtest")

    assert answer.status_code == 200
    body = answer.json()
    assert body["forecast_dates"] == 0 and body["dates"] == []
    assert [c["percent"] for c in body["calibration"]] == [50, 70, 85, 95]
    assert all(c["hit_rate"] is None for c in body["calibration"])


def test_a_bad_revenue_backtest_question_names_its_field(team, api_error):
    answer = team.client.get(
        f"{API}/boards/{team.board_id}/forecast/revenue-backtest", params={"horizon_days": 0}
    )
    assert answer.status_code == 422 and api_error(answer)["field"] == "horizon_days"
