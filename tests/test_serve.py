"""``make serve REPLICAS=2`` (two app processes behind nginx) under a short load, and the deployment files.

The live test starts the real thing on free ports, puts simulated sessions on it with ``bench.loadtest`` (Streamlit's
own websocket protocol), checks that the sessions were spread over both replicas and that each one's page request and
websocket reached the same replica, then stops it with SIGTERM as Ctrl-C would and checks that no process it started
is left. Whatever fails, the ``finally`` kills the whole group and every pid ``make serve`` reported.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import contextlib
import json
import os
import re
import signal
import subprocess
import time
import urllib.request
from pathlib import Path

import pytest

from bench import loadtest
from deploy import serve
from harness.live_app import free_port

REPO_ROOT = Path(__file__).resolve().parents[1]
START_TIMEOUT_S = 180.0


def run_apart(coroutine):
    """``asyncio.run`` in a thread of its own: a browser test in this worker may have left an event loop running
    in the main thread (Playwright's sync API), where ``asyncio.run`` refuses to start."""
    with concurrent.futures.ThreadPoolExecutor(1) as pool:
        return pool.submit(asyncio.run, coroutine).result()


def _alive(pid: int) -> bool:
    """True while ``pid`` runs (a zombie, exited but not yet reaped by its parent, counts as gone)."""
    try:
        with open(f"/proc/{pid}/stat") as f:
            return f.read().rsplit(")", 1)[1].split()[0] != "Z"
    except OSError:
        return False


def _replica_of(url: str, cookie: str | None = None) -> str:
    request = urllib.request.Request(url, headers={"Cookie": cookie} if cookie else {})
    with urllib.request.urlopen(request, timeout=10) as response:
        return response.headers["X-Replica"]


@pytest.mark.slow
def test_make_serve_spreads_sessions_keeps_them_and_stops_cleanly(tmp_path):
    port = free_port()
    run_dir = REPO_ROOT / "artifacts" / f"serve-{port}"
    state_path = run_dir / "state.json"
    state_path.unlink(missing_ok=True)
    log = (tmp_path / "make-serve.log").open("w")
    make = subprocess.Popen(["make", "--no-print-directory", "serve", "REPLICAS=2", f"PORT={port}"], cwd=REPO_ROOT,
                            stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, start_new_session=True,
                            preexec_fn=serve._die_with_parent)  # if pytest itself is killed, make and serve stop
    pids: list[int] = []
    try:
        deadline = time.monotonic() + START_TIMEOUT_S
        while not state_path.exists():
            assert make.poll() is None and time.monotonic() < deadline, (
                "make serve did not come up:\n" + (tmp_path / "make-serve.log").read_text()[-3000:])
            time.sleep(0.2)
        state = json.loads(state_path.read_text())
        pids = [state["nginx_pid"], *(r["pid"] for r in state["replicas"])]
        replicas = {f"127.0.0.1:{r['port']}" for r in state["replicas"]}
        assert len(replicas) == 2

        # A browser without the cookie gets one; with it, it keeps its replica. 200 new browsers split roughly evenly
        # (each replica's share of 200 fair coin flips lies in 30-70 % but for a chance below 1e-8).
        fresh = [_replica_of(f"{state['url']}/_stcore/health") for _ in range(200)]
        assert set(fresh) == replicas
        assert 60 <= fresh.count(min(replicas)) <= 140, f"uneven split: {fresh.count(min(replicas))} of 200"
        with urllib.request.urlopen(f"{state['url']}/", timeout=10) as response:
            cookie = response.headers["Set-Cookie"].split(";")[0]
            first = response.headers["X-Replica"]
        assert {_replica_of(f"{state['url']}/_stcore/health", cookie) for _ in range(20)} == {first}

        # Ten sessions for ten seconds: the chance that ten fresh cookies all land on one of two replicas is 2/1024.
        summary = run_apart(loadtest.run(state["url"] + "/", sessions=10, seconds=10))
        assert summary["errors"] == 0, loadtest.report(summary)
        assert set(summary["sessions_per_replica"]) == replicas, loadtest.report(summary)
        for session in summary["session_logs"]:
            assert len(session["replicas"]) == 2, session  # the page's GET, then the websocket
            assert len(set(session["replicas"])) == 1, f"session {session['index']} moved: {session['replicas']}"
            assert session["offered"] >= 1, session
        assert summary["sticky"]
        assert summary["served"] >= 1, loadtest.report(summary)
        assert {p["address"] for p in summary["processes"]} == replicas
        assert all(p["pid"] in pids and p["rss_mb"] > 0 for p in summary["processes"]), summary["processes"]

        # Ctrl-C / TERM: make and the serve script get SIGTERM, and everything it started stops.
        os.killpg(make.pid, signal.SIGTERM)
        make.wait(timeout=60)
        deadline = time.monotonic() + 30
        while any(map(_alive, pids)) and time.monotonic() < deadline:
            time.sleep(0.2)
        assert not [pid for pid in pids if _alive(pid)], "processes left after SIGTERM"
    finally:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(make.pid, signal.SIGKILL)
        make.wait(timeout=30)
        for pid in pids:
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.kill(pid, signal.SIGKILL)
        log.close()


def test_template_renders_every_replica_and_keeps_nginx_variables():
    site = serve.render_site("127.0.0.1:8080", [40001, 40002, 40003])
    assert "listen 127.0.0.1:8080;" in site
    assert re.findall(r"server 127\.0\.0\.1:(\d+);", site) == ["40001", "40002", "40003"]
    assert "${" not in site  # every placeholder filled
    for variable in ("$cookie_ov_replica", "$request_id", "$http_upgrade", "$connection_upgrade", "$upstream_addr"):
        assert variable in site


def test_dockerfile_sets_the_production_settings_of_make_serve():
    dockerfile = (REPO_ROOT / "Dockerfile").read_text()
    env = dict(re.findall(r"^\s*(?:ENV\s+)?(STREAMLIT_[A-Z_]+)=(\S+?)\s*\\?$", dockerfile, re.MULTILINE))
    for option, value in serve.PRODUCTION_OPTIONS.items():
        assert env.get(serve.env_name(option)) == value, option
    assert "/_stcore/health" in dockerfile and re.search(r"^USER\s+(?!root)", dockerfile, re.MULTILINE)


def test_env_name_follows_streamlits_convention():
    assert serve.env_name("server.fileWatcherType") == "STREAMLIT_SERVER_FILE_WATCHER_TYPE"
    assert serve.env_name("client.showErrorDetails") == "STREAMLIT_CLIENT_SHOW_ERROR_DETAILS"


def test_error_details_are_hidden_with_a_value_streamlit_accepts():
    from streamlit.config import ShowErrorDetailsConfigOptions

    assert serve.PRODUCTION_OPTIONS["client.showErrorDetails"] == ShowErrorDetailsConfigOptions.NONE.value


@pytest.mark.parametrize("url", ["http://example.com/", "http://10.0.0.5:8501/", "https://127.0.0.1/", "127.0.0.1"])
def test_loadtest_refuses_anything_but_this_machine(url):
    with pytest.raises(SystemExit, match=r"refusing|not an http"):
        loadtest.require_loopback(url)


@pytest.mark.parametrize("url", ["http://127.0.0.1:8501/?present=1", "http://localhost:9/", "http://[::1]:80/"])
def test_loadtest_accepts_loopback(url):
    host, port, query = loadtest.require_loopback(url)
    assert host in ("127.0.0.1", "localhost", "::1") and port in (8501, 9, 80) and query in ("", "present=1")


def test_loadtest_bounds():
    with pytest.raises(SystemExit, match="sessions"):
        run_apart(loadtest.run("http://127.0.0.1:9/", sessions=loadtest.MAX_SESSIONS + 1, seconds=5))
    with pytest.raises(SystemExit, match="seconds"):
        run_apart(loadtest.run("http://127.0.0.1:9/", sessions=1, seconds=loadtest.MAX_SECONDS + 1))


def test_link_lr_reads_run_one():
    query = "surface=bowl&run=sgd%3Alr%3D0.000261&run=adam%3Alr%3D0.3&start=-9%2C3"
    assert loadtest.link_lr(query) == pytest.approx(0.000261)
    assert loadtest.link_lr("run=adam%3Abeta1%3D0.9%2Clr%3D0.05") == pytest.approx(0.05)
    assert loadtest.link_lr("surface=bowl") is None


def _forward(kind: str, **fields) -> bytes:
    from streamlit.proto.ForwardMsg_pb2 import ForwardMsg

    message = ForwardMsg()
    if kind == "new_session":
        message.new_session.page_script_hash = "x"
    elif kind == "page_info_changed":
        message.page_info_changed.query_string = fields["query"]
    elif kind == "script_finished":
        message.script_finished = fields.get("status", ForwardMsg.FINISHED_SUCCESSFULLY)
    return message.SerializeToString()


def _session_with_slider() -> loadtest.Session:
    session = loadtest.Session(0, "127.0.0.1", 9, "", 0.0, 0.0, loadtest.Kill())
    session.widget = ("$$ID-lr", ["0.1", "0.12", "0.15", "0.18", "0.22", "0.27"])
    session.value_index = session.home_index = 3
    return session


def _feed(session: loadtest.Session, *messages: bytes) -> None:
    for raw in messages:
        if session._on_message(raw):
            session._served()


def test_a_change_is_served_by_a_run_that_started_after_it_and_shows_its_value():
    from streamlit.proto.BackMsg_pb2 import BackMsg

    session = _session_with_slider()
    sent = BackMsg.FromString(session._next_change())
    (widget,) = sent.rerun_script.widget_states.widgets
    option = widget.string_array_value.data[0]
    assert widget.id == "$$ID-lr" and option != "0.18" and session.log.offered == 1
    # A run already under way when the change left finishes first: it does not serve the change.
    _feed(session, _forward("page_info_changed", query="run=sgd%3Alr%3D0.18"), _forward("script_finished"))
    assert session.log.served == 0
    # A run that started after it but shows another value (a new_session still in flight) does not either.
    _feed(session, _forward("new_session"), _forward("page_info_changed", query="run=sgd%3Alr%3D0.18"),
          _forward("script_finished"))
    assert session.log.served == 0
    # The run that shows it does, once; a run stopped for a newer change never serves.
    _feed(session, _forward("new_session"), _forward("page_info_changed", query=f"run=sgd%3Alr%3D{option}"),
          _forward("script_finished", status=2))  # FINISHED_EARLY_FOR_RERUN
    assert session.log.served == 0
    _feed(session, _forward("script_finished"), _forward("script_finished"))
    assert session.log.served == 1 and len(session.log.latencies) == 1 and session.log.runs_finished == 4


def test_the_slider_walks_within_a_decade_of_where_the_page_put_it():
    session = _session_with_slider()
    session.widget = ("$$ID-lr", [f"{i}" for i in range(200)])
    session.value_index = session.home_index = 100
    seen = []
    for _ in range(500):
        session._next_change()
        seen.append(session.value_index)
    assert all(abs(i - 100) <= loadtest.WALK_STOPS for i in seen)
    assert all(a != b for a, b in zip([100, *seen], seen, strict=False))  # every change is a change
