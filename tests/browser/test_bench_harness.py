"""The benchmark's browser measurement, run for real on the minimal page: it works, and the facts its findings
rest on hold (``make bench`` itself is not part of ``make test``; this keeps its browser code from rotting)."""

from __future__ import annotations

import re
from concurrent.futures import ThreadPoolExecutor

import pytest

from bench import app_timing, report
from bench.app_timing import FLOOR_APP, measure_page
from bench.browser import measure_browser
from bench.core import machine

pytestmark = pytest.mark.browser
PRESSES = 3


@pytest.fixture(scope="module")
def floor() -> dict:
    # In a thread of its own: Playwright's sync API refuses to start where another test's browser already runs
    # (its event loop is on this thread).
    with ThreadPoolExecutor(1) as pool:
        return pool.submit(measure_browser, presses=PRESSES, script=FLOOR_APP, profile=False).result()


def test_each_press_is_timed_and_replaces_the_chart(floor):
    """Streamlit gives a Plotly chart whose figure changed a new element: the findings' "drawn from scratch"."""
    presses = floor["presses"]
    assert len(presses) == PRESSES and int(floor["steps_after"]) == int(floor["steps_before"]) + PRESSES
    for p in presses:
        assert len(p["charts"]) == 1 and p["charts_kept"] == 0
        assert 0 < p["total"] < 30_000
    assert 0 < floor["loads"][1]["firstChart"] <= floor["loads"][1]["at"]


def test_cpu_per_press_is_split_by_process(floor):
    cpu = floor["cpu"]
    assert cpu["presses"] == PRESSES and cpu["server_s"] > 0 and cpu["page_s"] > 0
    # /proc counts in 10 ms ticks: the machine's total covers the server and the page, up to rounding.
    assert cpu["machine_s"] >= cpu["server_s"] + cpu["page_s"] - 0.05


def test_the_report_is_written_from_a_real_measurement(floor, monkeypatch):
    monkeypatch.setattr(app_timing, "measure_browser", lambda **kwargs: floor)  # the app timed as the minimal page
    section = measure_page()
    text = report.render(machine(), [section], elapsed_s=1.0)
    assert re.search(r"\| charts replaced \(drawn from scratch\) per press, median \|\s+1 \|\s+1 \|\s+0 \|", text)
    assert "page CPU per press, Chromium renderer (ms)" in text
    target_row = (r"\| browser\s+\| Steps slider key → every chart redrawn \(median\)"
                  r"\s+\|\s+[\d.,]+ ms \| < 150 ms \| [✓✗]")
    assert re.search(target_row, text)
    assert "(1 of 1 replaced per press;" in text
