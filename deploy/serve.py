"""``make serve REPLICAS=N PORT=P``: N ``streamlit run app.py`` processes behind nginx on port P, in the foreground.

One Streamlit process runs every session's script under one GIL, so it serves about one core's worth of reruns; a
lecture hall needs several processes behind a balancer that keeps each session on its process (see
``deploy/nginx.conf.template``, the same file the container setup uses). This script:

1. starts N replicas on free localhost ports with the production settings below (each in its own process group),
2. waits until every one answers ``/_stcore/health``, then loads the page once on each (imports, caches),
3. fills in the nginx template, starts Debian's ``nginx`` in the foreground in front of them,
4. stays in the foreground; Ctrl-C or SIGTERM stops every process it started (SIGTERM, then SIGKILL after 10 s).

A replica that dies is reported and not restarted: nginx sends its sessions to the others. Everything it writes (the
rendered config, logs, ``state.json`` with the pids and ports) goes to ``artifacts/serve-<port>/``.
"""

from __future__ import annotations

import argparse
import contextlib
import ctypes
import json
import os
import shutil
import signal
import socket
import string
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

from harness.live_app import free_port

REPO_ROOT = Path(__file__).resolve().parents[1]
TEMPLATE = Path(__file__).resolve().parent / "nginx.conf.template"
START_TIMEOUT_S = 90.0
STOP_TIMEOUT_S = 10.0
MAX_REPLICAS = 16

# What a deployment keeps, whatever `.streamlit/config.toml` says: no tracebacks for the audience, no file watcher
# (nobody edits a served app, and watching costs CPU), headless, no usage statistics. The Dockerfile sets the same
# values as STREAMLIT_* variables (tests/test_serve.py checks that they agree).
PRODUCTION_OPTIONS = {
    "server.headless": "true",
    "server.fileWatcherType": "none",
    "server.runOnSave": "false",
    "client.showErrorDetails": "none",
    "browser.gatherUsageStats": "false",
}


def env_name(option: str) -> str:
    """Streamlit's environment variable for a config option: ``server.fileWatcherType`` -> ``STREAMLIT_SERVER_FILE_
    WATCHER_TYPE``."""
    section, name = option.split(".")
    snake = "".join(f"_{c}" if c.isupper() else c for c in name)
    return f"STREAMLIT_{section}_{snake}".upper()


def replica_command(port: int, address: str = "127.0.0.1") -> list[str]:
    flags = {**PRODUCTION_OPTIONS, "server.port": str(port), "server.address": address}
    return [sys.executable, "-m", "streamlit", "run", "app.py", *(f"--{k}={v}" for k, v in flags.items())]


def render_site(listen: str, replica_ports: list[int]) -> str:
    """The template with its two placeholders filled in; nginx's own ``$variables`` stay as they are."""
    servers = "\n    ".join(f"server 127.0.0.1:{port};" for port in replica_ports)
    return string.Template(TEMPLATE.read_text()).safe_substitute(LISTEN=listen, UPSTREAM_SERVERS=servers)


def render_main(run_dir: Path) -> str:
    """nginx's top level for an unprivileged, self-contained instance: every path inside ``run_dir``."""
    lines = [
        "worker_processes 1;",
        f"pid {run_dir / 'nginx.pid'};",
        f"error_log {run_dir / 'nginx-error.log'} warn;",
        "events { worker_connections 4096; }",
        "http {",
        # Which replica served each request, and for which sticky cookie: stickiness can be read off the log.
        "    log_format replica '$remote_addr [$time_local] \"$request\" $status $body_bytes_sent "
        "upstream=$upstream_addr sticky=$ov_replica time=$request_time';",
        f"    access_log {run_dir / 'nginx-access.log'} replica;",
        *(f"    {kind}_temp_path {run_dir / kind};" for kind in ("client_body", "proxy", "fastcgi", "uwsgi", "scgi")),
        f"    include {run_dir / 'site.conf'};",
        "}",
    ]
    return "\n".join(lines) + "\n"


def nginx_path() -> str:
    path = shutil.which("nginx") or shutil.which("nginx", path="/usr/sbin:/usr/local/sbin")
    if path is None:
        raise SystemExit("nginx not found: apt-get install -y nginx (.ci/run installs it when missing)")
    return path


def healthy(base_url: str) -> bool:
    try:
        with urllib.request.urlopen(f"{base_url}/_stcore/health", timeout=2) as response:
            return response.read().strip() == b"ok"
    except (urllib.error.URLError, OSError):
        return False


def warm_up(port: int) -> None:
    """One page load on a fresh replica, straight over its websocket, before nginx sends it anyone: the first visit
    pays the imports and caches (seconds), and no two sessions race through first-time imports."""
    from streamlit.proto.BackMsg_pb2 import BackMsg
    from streamlit.proto.ForwardMsg_pb2 import ForwardMsg
    from websockets.sync.client import connect

    rerun = BackMsg()
    rerun.rerun_script.query_string = ""
    with connect(f"ws://127.0.0.1:{port}/_stcore/stream", subprotocols=["streamlit"], max_size=None,
                 open_timeout=10) as ws:
        ws.send(rerun.SerializeToString())
        message = ForwardMsg()
        while message.WhichOneof("type") != "script_finished":
            message.ParseFromString(ws.recv(timeout=START_TIMEOUT_S))


def _die_with_parent() -> None:
    """SIGTERM this process when its parent dies (Linux's PR_SET_PDEATHSIG). Set in each child before exec, so that
    nothing outlives this script even if it is killed without cleaning up."""
    with contextlib.suppress(OSError, AttributeError):
        ctypes.CDLL(None).prctl(1, signal.SIGTERM)


def _start(command: list[str], log: Path) -> subprocess.Popen:
    with log.open("w") as out:
        return subprocess.Popen(command, cwd=REPO_ROOT, stdout=out, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                                env={**os.environ, "PYTHONUNBUFFERED": "1"}, start_new_session=True,
                                preexec_fn=_die_with_parent if sys.platform == "linux" else None)


def _stop_all(processes: list[subprocess.Popen]) -> None:
    """SIGTERM every process group, then SIGKILL the groups still there after STOP_TIMEOUT_S."""
    for process in processes:
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(process.pid, signal.SIGTERM)
    deadline = time.monotonic() + STOP_TIMEOUT_S
    for process in processes:
        try:
            process.wait(timeout=max(0.1, deadline - time.monotonic()))
        except subprocess.TimeoutExpired:
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.killpg(process.pid, signal.SIGKILL)
            process.wait(timeout=STOP_TIMEOUT_S)


def port_in_use(address: str, port: int) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # as nginx does: old connections do not count
        try:
            sock.bind((address, port))
        except OSError:
            return True
    return False


def serve(replicas: int, port: int, address: str) -> int:
    if sys.platform == "linux":
        _die_with_parent()  # if whoever started us (make, a test) is killed, clean up as on Ctrl-C
    nginx = nginx_path()
    if port_in_use(address, port):
        print(f"port {port} on {address} is already in use (another make serve or make run?)", file=sys.stderr)
        return 1
    run_dir = REPO_ROOT / "artifacts" / f"serve-{port}"
    shutil.rmtree(run_dir, ignore_errors=True)
    run_dir.mkdir(parents=True)
    run_dir.chmod(0o755)  # nginx's workers run as another user and write their temp files here
    processes: list[subprocess.Popen] = []

    def stop(_signum, _frame):
        raise SystemExit(0)  # Ctrl-C or TERM is how a serve ends: a clean stop, not a failure

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    try:
        ports = [free_port() for _ in range(replicas)]
        apps: list[subprocess.Popen] = []
        for i, p in enumerate(ports):
            apps.append(_start(replica_command(p), run_dir / f"replica-{i + 1}.log"))
            processes.append(apps[-1])
        deadline = time.monotonic() + START_TIMEOUT_S
        for i, (app, p) in enumerate(zip(apps, ports, strict=True)):
            while not healthy(f"http://127.0.0.1:{p}"):
                if app.poll() is not None or time.monotonic() > deadline:
                    log = (run_dir / f"replica-{i + 1}.log").read_text(errors="replace")[-2000:]
                    print(f"replica {i + 1} (port {p}) did not become healthy:\n{log}", file=sys.stderr)
                    return 1
                time.sleep(0.1)
        for i, p in enumerate(ports):
            try:
                warm_up(p)
            except Exception as error:  # a page that cannot load once will not serve a hall
                print(f"replica {i + 1} (port {p}) could not load the page: {error!r}; see its log in {run_dir}",
                      file=sys.stderr)
                return 1
        (run_dir / "site.conf").write_text(render_site(f"{address}:{port}", ports))
        (run_dir / "nginx.conf").write_text(render_main(run_dir))
        balancer = _start([nginx, "-p", str(run_dir), "-e", str(run_dir / "nginx-error.log"), "-c",
                           str(run_dir / "nginx.conf"), "-g", "daemon off;"], run_dir / "nginx.log")
        processes.append(balancer)
        url = f"http://{'127.0.0.1' if address in ('0.0.0.0', '') else address}:{port}"
        while not healthy(url):
            if balancer.poll() is not None or time.monotonic() > deadline:
                print("nginx did not start:\n" + (run_dir / "nginx-error.log").read_text(errors="replace")
                      + (run_dir / "nginx.log").read_text(errors="replace"), file=sys.stderr)
                return 1
            time.sleep(0.1)
        state = {"url": url, "nginx_pid": balancer.pid,
                 "replicas": [{"port": p, "pid": a.pid} for p, a in zip(ports, apps, strict=True)]}
        (run_dir / "state.json").write_text(json.dumps(state, indent=2))
        print(f"Serving {url} with {replicas} replica(s) on ports {', '.join(map(str, ports))}; logs in "
              f"{run_dir.relative_to(REPO_ROOT)}/. Ctrl-C stops everything.", flush=True)
        reported: set[int] = set()
        while True:
            time.sleep(0.5)
            if balancer.poll() is not None:
                print(f"nginx exited ({balancer.returncode}); stopping.", file=sys.stderr)
                return 1
            for i, app in enumerate(apps):
                if app.poll() is not None and i not in reported:
                    reported.add(i)
                    print(f"replica {i + 1} (port {ports[i]}) exited ({app.returncode}); nginx sends its sessions "
                          "to the others.", file=sys.stderr, flush=True)
            if len(reported) == len(apps):
                print("every replica has exited; stopping.", file=sys.stderr)
                return 1
    finally:
        signal.signal(signal.SIGTERM, signal.SIG_IGN)
        signal.signal(signal.SIGINT, signal.SIG_IGN)
        _stop_all(processes)


def _bounded(low: int, high: int):
    def parse(text: str) -> int:
        try:
            value = int(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"{text!r} is not a whole number") from None
        if not low <= value <= high:
            raise argparse.ArgumentTypeError(f"{value} is outside {low}..{high}")
        return value

    return parse


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m deploy.serve", description=__doc__.split("\n")[0])
    parser.add_argument("--replicas", type=_bounded(1, MAX_REPLICAS), default=2, help="app processes (default 2)")
    parser.add_argument("--port", type=_bounded(1, 65535), default=8501, help="the balancer's port (default 8501)")
    parser.add_argument("--address", default="127.0.0.1",
                        help="the balancer's address (default 127.0.0.1; 0.0.0.0 to serve a hall on the network)")
    args = parser.parse_args(argv)
    return serve(args.replicas, args.port, args.address)


if __name__ == "__main__":
    sys.exit(main())
