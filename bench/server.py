"""A real ``streamlit run app.py`` on a free localhost port, for the browser measurement.

The logic follows ``tests/browser/conftest.py`` (kept separate so the benchmark does not import a pytest
conftest): the server leads its own process group, its output goes to ``artifacts/logs/``, it is healthy
when ``/_stcore/health`` answers ``ok``, and on exit the whole group is terminated, then killed.
"""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[1]
SERVER_LOG = REPO_ROOT / "artifacts" / "logs" / "bench-streamlit-server.log"
START_TIMEOUT_S = 60.0


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _health(base_url: str) -> str | None:
    try:
        with urllib.request.urlopen(f"{base_url}/_stcore/health", timeout=2) as response:
            return response.read().decode("utf-8", "replace").strip()
    except (urllib.error.URLError, OSError):
        return None


def _signal_group(pgid: int, sig: int) -> None:
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(pgid, sig)


def _stop(process: subprocess.Popen) -> None:
    """SIGTERM the server's own process group; SIGKILL it if it is still there after 10 s."""
    _signal_group(process.pid, signal.SIGTERM)
    try:
        process.wait(timeout=10)
    except subprocess.TimeoutExpired:
        _signal_group(process.pid, signal.SIGKILL)
        process.wait(timeout=10)


@contextlib.contextmanager
def streamlit_server() -> Iterator[tuple[str, float, int]]:
    """Start the app; yield ``(base_url, seconds until healthy, server pid)``.

    RuntimeError (with the server's output) if it never becomes healthy.
    """
    port = free_port()
    base_url = f"http://127.0.0.1:{port}"
    command = [
        sys.executable, "-m", "streamlit", "run", "app.py",
        "--server.headless", "true",
        "--server.port", str(port),
        "--server.address", "127.0.0.1",
        "--browser.gatherUsageStats", "false",
        "--server.fileWatcherType", "none",  # others edit the sources meanwhile: no reruns mid-benchmark
        "--server.runOnSave", "false",
    ]
    SERVER_LOG.parent.mkdir(parents=True, exist_ok=True)
    started = time.perf_counter()
    with SERVER_LOG.open("w") as log:
        process = subprocess.Popen(
            command, cwd=REPO_ROOT, stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
            env={**os.environ, "PYTHONUNBUFFERED": "1"}, start_new_session=True,
        )
    try:
        deadline = started + START_TIMEOUT_S
        while _health(base_url) != "ok":
            if process.poll() is not None or time.perf_counter() > deadline:
                raise RuntimeError(
                    f"streamlit server did not become healthy ({' '.join(command)}); see {SERVER_LOG}:\n"
                    + SERVER_LOG.read_text(errors="replace")[-2000:]
                )
            time.sleep(0.05)
        yield base_url, time.perf_counter() - started, process.pid
    finally:
        _stop(process)


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
