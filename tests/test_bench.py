"""The benchmark's summary of targets (``bench.core.targets_table``): a target not met says why, as measured."""

from __future__ import annotations

from bench.app_timing import _below_floor
from bench.core import Measurement, Target, targets_table


def rows(text: str) -> list[list[str]]:
    return [[cell.strip() for cell in line.strip("|").split("|")] for line in text.splitlines()[2:]]


def test_a_target_the_minimal_page_misses_too_is_reported_with_that_measurement():
    floor_ms = 160.0
    reason = _below_floor(floor_ms, Target(150), "ms")
    assert "160 ms" in reason
    assert _below_floor(120.0, Target(150), "ms") == ""  # the floor meets it: no excuse for the app
    assert _below_floor(3.2, Target(90, below=False), "%") != ""  # a target to reach from below, too


def test_the_reason_shows_only_where_the_target_is_not_met():
    table = targets_table([
        Measurement("browser", "press", 553.0, "ms", Target(150), "the minimal page alone: 160 ms"),
        Measurement("browser", "drag", 60.0, "fps", Target(30, below=False), "never shown"),
        Measurement("browser", "no target", 1.0, "ms", note="not a target"),
    ])
    (press, drag) = rows(table)
    assert press[-2:] == ["✗", "the minimal page alone: 160 ms"]
    assert drag[-2:] == ["✓", ""]
