"""A real ``streamlit run app.py`` on a free localhost port, and the system Chromium to drive it.

Shared by the browser tests (``tests/browser``) and the benchmark (``bench``). The server leads
its own process group, writes its output to a log file, is healthy when ``/_stcore/health``
answers ``ok``, and on exit its whole group is terminated, then killed. Chromium is Debian's
(``apt-get install -y chromium``); Playwright cannot download a browser on these machines.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path

# Flags for a root, offline, GPU-less machine: without the networking ones Chromium keeps trying hosts it cannot reach.
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-quic",
    "--no-first-run",
    "--disable-component-update",
    "--disable-sync",
]


def chromium_path() -> str:
    """The system Chromium, or a RuntimeError that says how to install it."""
    path = shutil.which("chromium")
    if path is None:
        raise RuntimeError("Chromium not found: apt-get install -y chromium (.ci/run installs it when missing)")
    return path


REPO_ROOT = Path(__file__).resolve().parents[1]
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
def streamlit_server(log_path: Path, script: str = "app.py", *, cwd: Path = REPO_ROOT,
                     env: dict[str, str] | None = None) -> Iterator[tuple[str, float, int]]:
    """Start the app (or ``script``, relative to ``cwd``, the repo root unless told) with ``env`` added to the
    environment; yield ``(base_url, seconds until healthy, pid)``.

    RuntimeError (with the server's output) if it never becomes healthy.
    """
    port = free_port()
    base_url = f"http://127.0.0.1:{port}"
    command = [
        sys.executable, "-m", "streamlit", "run", script,
        "--server.headless", "true",
        "--server.port", str(port),
        "--server.address", "127.0.0.1",
        "--browser.gatherUsageStats", "false",
        "--server.fileWatcherType", "none",  # others edit the sources meanwhile: no reruns mid-benchmark
        "--server.runOnSave", "false",
    ]
    log_path.parent.mkdir(parents=True, exist_ok=True)
    started = time.perf_counter()
    with log_path.open("w") as log:
        process = subprocess.Popen(
            command, cwd=cwd, stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
            env={**os.environ, "PYTHONUNBUFFERED": "1", **(env or {})}, start_new_session=True,
        )
    try:
        deadline = started + START_TIMEOUT_S
        while _health(base_url) != "ok":
            if process.poll() is not None or time.perf_counter() > deadline:
                raise RuntimeError(
                    f"streamlit server did not become healthy ({' '.join(command)}); see {log_path}:\n"
                    + log_path.read_text(errors="replace")[-2000:]
                )
            time.sleep(0.05)
        yield base_url, time.perf_counter() - started, process.pid
    finally:
        _stop(process)


