"""Time the app's script runs under ``streamlit.testing.v1.AppTest``; prints one JSON object.

Run in its own process by ``bench`` (``python -m bench.apptest_probe``) so that "cold" means cold: a fresh
interpreter, the app's modules not yet imported, empty ``st.cache_data``.
"""

from __future__ import annotations

import json
import logging
import sys
import time
from pathlib import Path

APP = Path(__file__).resolve().parents[1] / "app.py"
REPEATS = 9


def _timed(fn) -> float:
    start = time.perf_counter()
    fn()
    return time.perf_counter() - start


def _check(at, what: str) -> None:
    if at.exception:
        raise RuntimeError(f"the app raised an exception ({what}): {at.exception[0].value}")


def main() -> dict:
    logging.getLogger("streamlit").setLevel(logging.ERROR)
    start = time.perf_counter()
    from streamlit.testing.v1 import AppTest

    out = {"import_streamlit_s": time.perf_counter() - start}
    at = AppTest.from_file(str(APP), default_timeout=120)
    out["cold_s"] = _timed(at.run)
    _check(at, "cold run")
    out["warm_s"] = [_timed(at.run) for _ in range(REPEATS)]
    _check(at, "warm run")

    steps = at.slider(key="steps")
    first = int(steps.value)
    times = []
    for i in range(REPEATS):  # a new value every time: every run's trajectory is a cache miss, as for a user
        at.slider(key="steps").set_value(first + i + 1)
        times.append(_timed(at.run))
        _check(at, "Steps slider change")
    out["steps_change_s"] = times

    lr_sliders = [s for s in at.select_slider if s.key.startswith("run.0.") and s.key.endswith(".lr")]
    if lr_sliders:
        key = lr_sliders[0].key
        options = [float(o) for o in lr_sliders[0].options]
        current = options.index(min(options, key=lambda o: abs(o - float(lr_sliders[0].value))))
        times = []
        for i in range(REPEATS):  # step down the log scale: each value is new
            at.select_slider(key=key).set_value(options[max(current - 1 - i, 0)])
            times.append(_timed(at.run))
            _check(at, "learning-rate change")
        out["lr_change_s"] = times
        out["lr_key"] = key
    return out


if __name__ == "__main__":
    json.dump(main(), sys.stdout)
