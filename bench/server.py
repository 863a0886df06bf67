"""Process accounting for the browser measurement; the live server itself is ``harness.live_app``."""

from __future__ import annotations

import os
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[1]
SERVER_LOG = REPO_ROOT / "artifacts" / "logs" / "bench-streamlit-server.log"


def cpu_seconds(pid: int | None = None) -> float:
    """CPU time (user + system) used so far by process ``pid``, or by the whole machine when None (Linux only)."""
    ticks = os.sysconf("SC_CLK_TCK")
    try:
        if pid is None:
            with open("/proc/stat") as f:
                fields = f.readline().split()[1:]
            user, nice, system = (int(v) for v in fields[:3])
            return (user + nice + system) / ticks
        with open(f"/proc/{pid}/stat") as f:
            fields = f.read().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / ticks
    except (OSError, IndexError, ValueError):
        return float("nan")


def renderer_cpu_seconds() -> dict[int, float]:
    """CPU time used so far by each Chromium renderer process (the pages: JavaScript, style, layout, paint), by pid.

    Only the processes alive now: compare two readings with :func:`renderer_cpu_since`.
    """
    out = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/cmdline", "rb") as f:
                if b"--type=renderer" not in f.read():
                    continue
        except OSError:
            continue
        seconds = cpu_seconds(int(entry))
        if seconds == seconds:  # the process may have exited meanwhile (NaN)
            out[int(entry)] = seconds
    return out


def renderer_cpu_since(before: dict[int, float]) -> float:
    """Renderer CPU seconds spent since the reading ``before``, by the renderers alive now (one that exited
    meanwhile, such as another test's page, is left out instead of subtracting its whole life)."""
    return sum(seconds - before.get(pid, 0.0) for pid, seconds in renderer_cpu_seconds().items())
