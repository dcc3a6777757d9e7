"""The worked example of flow_example.py as a fixture."""

from __future__ import annotations

import pytest
from flow_example import example_log

from pullplan.analytics import FlowLog


@pytest.fixture
def log() -> FlowLog:
    return example_log()
