"""8. A lecture hall: simulated students (:mod:`bench.loadtest`) on ``make serve``'s replicas behind nginx.

Three runs, each on a freshly started ``python -m deploy.serve``:

* the target: 2 replicas, 30 sessions for 60 s;
* the same with the busiest replica killed halfway (its sessions must reconnect elsewhere, the others see no error);
* 1 replica, 10 sessions for 30 s: the CPU one change costs there gives how many active sessions one process holds
  per core.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import math
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator

from harness.live_app import free_port

from . import loadtest
from .core import Measurement, Section, Target, table
from .server import REPO_ROOT

SECTION = "8. Lecture hall"
START_TIMEOUT_S = 180.0


@contextlib.contextmanager
def served(replicas: int) -> Iterator[dict]:
    """``python -m deploy.serve`` on a free port; yields its state (url, pids, ports); SIGTERM at the end."""
    port = free_port()
    state_path = REPO_ROOT / "artifacts" / f"serve-{port}" / "state.json"
    state_path.unlink(missing_ok=True)
    process = subprocess.Popen([sys.executable, "-m", "deploy.serve", "--replicas", str(replicas), "--port", str(port)],
                               cwd=REPO_ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                               stdin=subprocess.DEVNULL, start_new_session=True)
    try:
        deadline = time.monotonic() + START_TIMEOUT_S
        while not state_path.exists():
            if process.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError("deploy.serve did not start: " + process.stderr.read().decode()[-2000:])
            time.sleep(0.2)
        yield json.loads(state_path.read_text())
    finally:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(timeout=60)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()


def _load(replicas: int, sessions: int, seconds: float, kill_after: float | None = None) -> dict:
    with served(replicas) as state:
        return asyncio.run(loadtest.run(state["url"] + "/", sessions, seconds, kill_after))


def _row(name: str, s: dict) -> list:
    share = s["served"] / s["offered"] if s["offered"] else math.nan
    cpu = sum(p["cpu_s"] for p in s["processes"] if not math.isnan(p["cpu_s"]))
    return [name, s["sessions"], f"{s['seconds']:g} s", f"{s['served']} of {s['offered']} ({share:.0%})",
            f"{s['p50_s']:.2f} / {s['p95_s']:.2f} s", s["errors"], s["exceptions"], s["disconnects"], s["timeouts"],
            f"{cpu:.0f} s", " / ".join(f"{p['rss_mb']:.0f}" for p in s["processes"])]


def measure_lecture_hall() -> Section:
    section = Section(f"{SECTION}: replicas behind nginx under simulated students (`make serve`, `make loadtest`)")
    hall = _load(2, 30, 60)
    kill = _load(2, 30, 40, kill_after=20)
    single = _load(1, 10, 30)

    share = hall["served"] / hall["offered"] if hall["offered"] else math.nan
    section.add(
        Measurement(SECTION, "2 replicas, 30 sessions: errors", hall["errors"], "", Target(0.5)),
        Measurement(SECTION, "2 replicas, 30 sessions: changes served", 100 * share, "%", Target(90, below=False)),
        Measurement(SECTION, "2 replicas, 30 sessions: p95 latency", hall["p95_s"], "s", Target(1.0)),
        Measurement(SECTION, "replica killed: errors in the other sessions", kill["errors_elsewhere"], "",
                    Target(0.5)),
        Measurement(SECTION, "replica killed: its sessions reconnected",
                    100 * kill["reconnected"] / max(1, kill["killed_sessions"]), "%", Target(100, below=False)),
    )
    rows = [_row("2 replicas", hall), _row("2 replicas, one killed at 20 s", kill), _row("1 replica", single)]
    section.blocks.append(table(["run", "sessions", "for", "changes served", "p50 / p95", "errors", "exceptions",
                                 "disconnects", "timeouts", "app CPU", "RSS MB per process"], rows))
    # One process runs every session's script under one GIL: about one core. Its CPU per offered change at a load
    # it keeps up with, against the 0.5 changes per second a session asks for, is how many sessions that core holds.
    process = single["processes"][0] if single["processes"] else None
    per_change = process["cpu_s"] / single["offered"] if process and single["offered"] else math.nan
    per_core = 1 / (per_change / loadtest.CHANGE_EVERY_S) if per_change > 0 else math.nan
    section.data = {"hall": hall, "kill": kill, "single": single, "cpu_per_change_s": per_change,
                    "sessions_per_core": per_core}
    killed = (f"Killed {kill['killed']} at 20 s: {kill['reconnected']} of its {kill['killed_sessions']} sessions "
              f"reconnected to the other replica (the slowest after {kill['reconnect_max_s']:.1f} s; each rebuilt "
              f"its page from the link), and the {kill['sessions'] - kill['killed_sessions']} others saw "
              f"{kill['errors_elsewhere']} errors.") if kill["killed"] else "No replica was killed (none was found)."
    section.blocks += [
        "Each simulated session loads the page (`GET /`, then the websocket's first `rerun_script`) and moves run "
        "1's learning-rate slider every 2 s; a change counts as served when a run that shows its value finishes. "
        "Latency: from the change to the end of that run. Arrivals are spread over the first 2 s.",
        killed,
        f"**Sessions per core**: with one replica and {single['sessions']} sessions, a change cost the app process "
        f"{per_change * 1e3:.0f} CPU-ms, so one process (which Python's GIL holds to about one core) keeps up with "
        f"about **{per_core:.0f} active sessions** moving a slider every 2 s; a hall of 300 such students needs about "
        f"{300 / per_core:.0f} cores' worth of replicas. Students who watch rather than drag cost no CPU between "
        "reruns.",
        "The 2-replica target run in detail:\n\n" + loadtest.report(hall),
        "With a replica killed:\n\n" + loadtest.report(kill),
    ]
    return section


if __name__ == "__main__":  # this section alone, as make bench writes it: python -m bench.lecture_hall
    from .core import load_average, targets_table

    before = load_average()
    section = measure_lecture_hall()
    print(f"## {section.title}\n")
    for block in section.blocks:
        print(block + "\n")
    print(f"Load average (1, 5, 15 min) before: {before}; after: {load_average()}.\n")
    print(targets_table(section.measurements))
