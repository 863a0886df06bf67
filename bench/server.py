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
