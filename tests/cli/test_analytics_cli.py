"""`pullplan metrics --working-days` and the revenue part of `pullplan forecast backtest`, run
as a user runs them on the demo workspace."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from pullplan.demo import create_demo
from pullplan.storage.database import Database
from pullplan.storage.migrate import upgrade

PULLPLAN = str(Path(sys.executable).with_name("pullplan"))


@pytest.fixture(scope="module")
def demo_url(tmp_path_factory):
    url = f"sqlite:///{tmp_path_factory.mktemp('analytics-cli') / 'demo.sqlite3'}"
    db = Database(url)
    upgrade(db)
    create_demo(db)
    db.dispose()
    return url


def run(url, *args, expect=0):
    env = {**os.environ, "PULLPLAN_DATABASE_URL": url, "PULLPLAN_DEMO": "false"}
    proc = subprocess.run([PULLPLAN, *args], capture_output=True, text=True, env=env, timeout=120)
    assert proc.returncode == expect, (proc.stdout, proc.stderr)
    assert "Traceback" not in proc.stderr
    return proc


def test_working_days_make_cycle_times_no_longer_and_say_so(demo_url):
    calendar = json.loads(run(demo_url, "metrics", "Sales", "--json").stdout)
    working = json.loads(run(demo_url, "metrics", "Sales", "--working-days", "--json").stdout)

    assert calendar["day_unit"] == "days" and working["day_unit"] == "working days"
    for p in ("p50", "p85"):
        assert working["cycle_time_percentiles"][p] < calendar["cycle_time_percentiles"][p]
    # A five-day working week: cycle times of weeks shrink to about 5/7.
    ratio = working["average_cycle_time"] / calendar["average_cycle_time"]
    assert 0.6 < ratio < 0.8
    assert working["throughput"] == calendar["throughput"]  # throughput stays in calendar days
    table = run(demo_url, "metrics", "Sales", "--working-days").stdout
    assert re.search(r"85%: \d+wd", table)


def test_backtest_reports_the_revenue_forecast_on_a_sales_board_only(demo_url):
    sales = json.loads(run(demo_url, "forecast", "backtest", "Sales", "--horizon", "21", "--json").stdout)
    marketing = json.loads(run(demo_url, "forecast", "backtest", "Marketing", "--json").stdout)

    assert marketing["revenue"] is None
    revenue = sales["revenue"]
    assert revenue["horizon_days"] == 21 and revenue["forecast_dates"] > 5
    assert [c["percent"] for c in revenue["calibration"]] == [50, 70, 85, 95]
    rates = [c["hit_rate"] for c in revenue["calibration"]]
    assert rates == sorted(rates)  # asking for more confidence never comes true less often
    table = run(demo_url, "forecast", "backtest", "Sales").stdout
    assert "Revenue forecast, 30 days ahead" in table


def test_a_bad_horizon_is_named(demo_url):
    proc = run(demo_url, "forecast", "backtest", "Sales", "--horizon", "0", expect=2)
    assert "horizon_days" in proc.stderr
