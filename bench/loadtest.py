"""``make loadtest URL=… SESSIONS=… SECONDS=…``: simulated students on the app, speaking Streamlit's own protocol.

Each simulated session does what a browser does, minus the drawing:

1. ``GET`` the page (with the link's query string), keeping the cookies the balancer sets (its sticky-session cookie);
2. opens the websocket ``/_stcore/stream`` with those cookies and sends a first ``BackMsg.rerun_script`` carrying the
   query string, then reads ``ForwardMsg``s until the script run has finished;
3. opens run 1's expander (a closed run draws no widgets), a rerun with that expander's state;
4. every 2 s moves run 1's learning-rate slider (found by its label, "learning rate", in the page's deltas) one to
   three stops, as a ``rerun_script`` with that widget's new value.

A change is *served* when a script run that started after it finished successfully and, where the link names run
1's learning rate, shows the value sent; a change overtaken by the next one before its run finished is not served
(Streamlit stops a run when a newer change arrives, as it does for a real slider). Latency is from sending a change
to the end of the run that served it. Errors: an exception element in the page, a dropped websocket, a page load
that did not finish within LOAD_TIMEOUT_S, a last change still unserved REPLY_TIMEOUT_S after the end.

With ``--kill-after S`` the replica holding the most sessions is killed (SIGKILL) S seconds in: its sessions
reconnect as the browser does (the websocket again, with the same cookie, so the balancer picks another replica),
rebuild their state from the link, and carry on; they are counted apart, and every other session must see no error.

Bounded: at most MAX_SESSIONS sessions and MAX_SECONDS seconds, and only ever against a loopback address.
CPU and memory of each app process are read from ``/proc`` (the process listening on the replica's port).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import http.client
import ipaddress
import json
import math
import os
import random
import re
import resource
import signal
import sys
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import numpy as np
from streamlit.proto.BackMsg_pb2 import BackMsg
from streamlit.proto.ForwardMsg_pb2 import ForwardMsg
from websockets.asyncio.client import connect
from websockets.exceptions import ConnectionClosed, InvalidHandshake, InvalidStatus

MAX_SESSIONS = 300
MAX_SECONDS = 600
CHANGE_EVERY_S = 2.0
LOAD_TIMEOUT_S = 30.0
REPLY_TIMEOUT_S = 10.0
RECONNECT_TIMEOUT_S = 30.0
WIDGET_LABEL = "learning rate"  # run 1's is the first slider with this label
RUN_EXPANDER = "1. "  # run 1's expander: its label starts with the run's number
WALK_STOPS = 24  # the slider wanders at most this many stops (a decade) from where the page put it


# ---------------------------------------------------------------------------- what one session saw


@dataclass
class SessionLog:
    index: int
    replicas: list[str] = field(default_factory=list)  # who answered: the page's GET, then each websocket handshake
    load_s: float = math.nan
    offered: int = 0
    served: int = 0
    latencies: list[float] = field(default_factory=list)
    exceptions: list[str] = field(default_factory=list)
    disconnects: int = 0
    timeouts: int = 0
    runs_finished: int = 0  # every script run that finished successfully, served a change or not
    reconnects: list[float] = field(default_factory=list)  # seconds from the drop to the rebuilt page
    on_killed: bool = False  # its replica was the one killed

    @property
    def errors(self) -> int:
        return len(self.exceptions) + self.disconnects + self.timeouts


@dataclass
class Kill:
    """The replica killed mid-test (empty until then), shared by every session."""

    address: str = ""


def require_loopback(url: str) -> tuple[str, int, str]:
    """``(host, port, query)`` of an http URL on this machine; SystemExit with a clear message otherwise."""
    parts = urlsplit(url)
    if parts.scheme != "http" or not parts.hostname:
        raise SystemExit(f"loadtest: {url!r} is not an http://host:port/ URL")
    host = parts.hostname
    try:
        loopback = host == "localhost" or ipaddress.ip_address(host).is_loopback
    except ValueError:
        loopback = False
    if not loopback:
        raise SystemExit(f"loadtest: refusing {host!r}: a load test only ever runs against this machine "
                         "(localhost, 127.0.0.1, ::1)")
    return host, parts.port or 80, parts.query


# ---------------------------------------------------------------------------- the protocol


def rerun_message(query: str, widget: tuple[str, str] | None = None, *, opened: str | None = None) -> bytes:
    """A ``BackMsg.rerun_script``; ``widget`` is ``(id, formatted option)`` of a select_slider that changed,
    ``opened`` the id of an expander that was opened."""
    message = BackMsg()
    message.rerun_script.query_string = query
    if widget is not None:
        state = message.rerun_script.widget_states.widgets.add()
        state.id = widget[0]
        state.string_array_value.data.append(widget[1])
    if opened is not None:
        state = message.rerun_script.widget_states.widgets.add()
        state.id = opened
        state.bool_value = True
    return message.SerializeToString()


def link_lr(query: str) -> float | None:
    """Run 1's learning rate as the app's link names it (``run=sgd:lr=0.18,...``), or None if it does not."""
    runs = parse_qs(query).get("run")
    match = re.search(r"(?:^|[:;,])lr=([^:;,]+)", runs[0]) if runs else None
    try:
        return float(match.group(1)) if match else None
    except ValueError:
        return None


class Session:
    """One simulated browser tab; ``run`` fills ``self.log``."""

    def __init__(self, index: int, host: str, port: int, query: str, start_at: float, stop_at: float,
                 kill: Kill):
        self.log = SessionLog(index)
        self.host, self.port, self.query = host, port, query
        self.start_at, self.stop_at, self.kill = start_at, stop_at, kill
        self.rng = random.Random(index)
        self.cookies: dict[str, str] = {}
        self.session_id = ""
        self.widget: tuple[str, list[str]] | None = None  # (id, options) of run 1's learning-rate slider
        self.value_index: int | None = None
        self.home_index = 0
        self.pending: tuple[float, str] | None = None  # (sent at, option) of the change not yet served
        self.started_since_change = False
        self.widget_seen = False  # in the current script run
        self.run_expander: str | None = None  # the id of run 1's expander (a closed run draws no widgets)

    # ----------------------------------------------------------------- transport

    def _get_page(self) -> str:
        """The page's GET (as a browser's first request): keep the balancer's cookies, return who answered."""
        connection = http.client.HTTPConnection(self.host, self.port, timeout=LOAD_TIMEOUT_S)
        try:
            connection.request("GET", "/?" + self.query if self.query else "/", headers=self._cookie_header())
            response = connection.getresponse()
            response.read()
            if response.status != 200:
                raise OSError(f"GET / answered {response.status}")
            for header in response.headers.get_all("Set-Cookie") or []:
                name, _, value = header.split(";", 1)[0].partition("=")
                self.cookies[name.strip()] = value.strip()
            return self._replica(response.headers)
        finally:
            connection.close()

    def _cookie_header(self) -> dict[str, str]:
        return {"Cookie": "; ".join(f"{k}={v}" for k, v in self.cookies.items())} if self.cookies else {}

    async def _connect(self):
        # Streamlit reads "streamlit, <xsrf token>, <session id to resume>" from the subprotocol header.
        protocols = ["streamlit", "xsrf-unused", self.session_id] if self.session_id else ["streamlit"]
        # No keepalive pings: a browser sends none, and an app busy with reruns may answer one late; a drop is a drop.
        ws = await connect(f"ws://{self.host}:{self.port}/_stcore/stream", subprotocols=protocols,
                           additional_headers=self._cookie_header(), max_size=None, open_timeout=10,
                           ping_interval=None)
        self.log.replicas.append(self._replica(ws.response.headers))
        return ws

    def _replica(self, headers) -> str:
        """Who answered: the balancer's X-Replica (after a failover it lists every replica tried, the last one
        answered), or the URL itself when there is no balancer."""
        tried = headers.get("X-Replica")
        return tried.split(",")[-1].strip() if tried else f"{self.host}:{self.port}"

    # ----------------------------------------------------------------- what the server says

    def _on_message(self, raw: bytes) -> bool:
        """Handle one ForwardMsg; True when a script run has just finished successfully."""
        message = ForwardMsg()
        message.ParseFromString(raw)
        kind = message.WhichOneof("type")
        if kind == "new_session":
            if message.new_session.HasField("initialize"):  # the first run of a connection: the id to resume
                self.session_id = message.new_session.initialize.session_id
            self.started_since_change = True
            self.widget_seen = False
        elif kind == "delta" and message.delta.WhichOneof("type") == "add_block":
            block = message.delta.add_block
            if block.WhichOneof("type") == "expandable" and block.expandable.label.startswith(RUN_EXPANDER):
                self.run_expander = block.expandable.id
        elif kind == "delta" and message.delta.WhichOneof("type") == "new_element":
            element = message.delta.new_element
            if element.WhichOneof("type") == "exception":
                self.log.exceptions.append(f"{element.exception.type}: {element.exception.message}"[:300])
            elif (element.WhichOneof("type") == "slider" and not self.widget_seen
                  and element.slider.label.lower().startswith(WIDGET_LABEL)):
                self._saw_widget(element.slider)
        elif kind == "page_info_changed":
            self.query = message.page_info_changed.query_string
        elif kind == "session_status_changed" or kind == "session_event":
            if kind == "session_event" and message.session_event.WhichOneof("type") == "script_compilation_exception":
                self.log.exceptions.append("script compilation: " + message.session_event
                                           .script_compilation_exception.message[:300])
        elif kind == "script_finished" and message.script_finished == ForwardMsg.FINISHED_SUCCESSFULLY:
            self.log.runs_finished += 1
            return True
        return False

    def _saw_widget(self, slider) -> None:
        self.widget_seen = True
        options = list(slider.options)
        if not options:
            return
        self.widget = (slider.id, options)
        if self.value_index is None:  # first sight: where the page put it
            shown = list(slider.raw_value) or [options[slider.default[0]] if slider.default else options[0]]
            self.value_index = options.index(shown[0]) if shown[0] in options else 0
            self.home_index = self.value_index

    def _served(self) -> None:
        """A run finished: it serves the pending change if it started after it and shows its value."""
        if self.pending is None or not self.started_since_change:
            return
        sent_at, option = self.pending
        shown = link_lr(self.query)
        if shown is not None and not math.isclose(shown, float(option), rel_tol=1e-6):
            return
        self.log.served += 1
        self.log.latencies.append(time.monotonic() - sent_at)
        self.pending = None

    # ----------------------------------------------------------------- the student

    def _next_change(self) -> bytes:
        widget_id, options = self.widget
        low, high = max(0, self.home_index - WALK_STOPS), min(len(options) - 1, self.home_index + WALK_STOPS)
        step = self.rng.choice([-3, -2, -1, 1, 2, 3])
        index = self.value_index + step
        if not low <= index <= high:
            index = self.value_index - step
        self.value_index = min(max(index, 0), len(options) - 1)
        option = options[self.value_index]
        self.pending = (time.monotonic(), option)
        self.started_since_change = False
        self.log.offered += 1
        return rerun_message(self.query, (widget_id, option))

    async def _load(self, ws) -> bool:
        """Send the first rerun (the page's query string) and wait until it has finished; then, as a student about
        to move run 1's slider, open run 1's expander (its widgets are drawn only while it is open)."""
        self.widget_seen = False
        await ws.send(rerun_message(self.query))
        await self._finished(ws)
        if not self.widget_seen and self.run_expander is not None:
            await ws.send(rerun_message(self.query, opened=self.run_expander))
            await self._finished(ws)
        return True

    async def _finished(self, ws) -> None:
        deadline = time.monotonic() + LOAD_TIMEOUT_S
        while not self._on_message(await asyncio.wait_for(ws.recv(), timeout=max(0.01, deadline - time.monotonic()))):
            pass

    async def _reconnect(self, dropped_at: float):
        """As the browser does: reopen the websocket (same cookies) until a replica answers, rerun from the link."""
        while time.monotonic() < dropped_at + RECONNECT_TIMEOUT_S:
            try:
                ws = await self._connect()
                await self._load(ws)
                self.log.reconnects.append(time.monotonic() - dropped_at)
                return ws
            except (OSError, InvalidHandshake, InvalidStatus, ConnectionClosed, TimeoutError):
                await asyncio.sleep(0.5)
        return None

    async def run(self) -> SessionLog:
        await asyncio.sleep(max(0.0, self.start_at - time.monotonic()))
        started = time.monotonic()
        try:
            self.log.replicas.append(await asyncio.to_thread(self._get_page))
            ws = await self._connect()
            await self._load(ws)
        except (OSError, InvalidHandshake, InvalidStatus, ConnectionClosed, TimeoutError) as error:
            self.log.timeouts += isinstance(error, TimeoutError)
            self.log.disconnects += not isinstance(error, TimeoutError)
            return self.log
        self.log.load_s = time.monotonic() - started
        if self.widget is None:
            self.log.exceptions.append(f"no slider labelled {WIDGET_LABEL!r} on the page")
            await ws.close()
            return self.log
        next_change = time.monotonic() + CHANGE_EVERY_S
        give_up = self.stop_at + REPLY_TIMEOUT_S
        try:
            while True:
                now = time.monotonic()
                if now >= self.stop_at and (self.pending is None or now >= give_up):
                    self.log.timeouts += self.pending is not None
                    break
                wake = give_up if now >= self.stop_at else min(next_change, self.stop_at)
                try:  # a dropped websocket shows up in recv or in send
                    try:
                        raw = await asyncio.wait_for(ws.recv(), timeout=max(0.005, wake - now))
                    except TimeoutError:
                        if time.monotonic() >= next_change and time.monotonic() < self.stop_at:
                            await ws.send(self._next_change())  # an unserved change is overtaken by this one
                            next_change += CHANGE_EVERY_S
                        continue
                except ConnectionClosed:
                    dropped_at = time.monotonic()
                    if self.log.replicas[-1] == self.kill.address:  # expected: its replica was killed
                        self.log.on_killed = True
                    else:
                        self.log.disconnects += 1
                    self.pending = None
                    ws = await self._reconnect(dropped_at)
                    if ws is None:
                        self.log.disconnects += 1
                        return self.log
                    next_change = time.monotonic() + CHANGE_EVERY_S
                    continue
                if self._on_message(raw):
                    self._served()
        finally:
            if ws is not None:
                with contextlib.suppress(Exception):
                    await ws.close()
        return self.log


# ---------------------------------------------------------------------------- the app processes


def listening_pid(address: str) -> int | None:
    """The pid of the process listening on ``host:port`` of this machine (from /proc), or None."""
    port = int(address.rsplit(":", 1)[1])
    inodes = set()
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        with contextlib.suppress(OSError), open(table) as f:
            for line in f.readlines()[1:]:
                fields = line.split()
                if fields[3] == "0A" and int(fields[1].rsplit(":", 1)[1], 16) == port:  # 0A: LISTEN
                    inodes.add(f"socket:[{fields[9]}]")
    for pid in filter(str.isdigit, os.listdir("/proc")):
        with contextlib.suppress(OSError):
            for fd in os.listdir(f"/proc/{pid}/fd"):
                with contextlib.suppress(OSError):
                    if os.readlink(f"/proc/{pid}/fd/{fd}") in inodes:
                        return int(pid)
    return None


def process_sample(pid: int) -> tuple[float, float] | None:
    """``(CPU seconds so far, RSS in MB)`` of a live process, None once it has gone."""
    try:
        with open(f"/proc/{pid}/stat") as f:
            fields = f.read().rsplit(")", 1)[1].split()
        with open(f"/proc/{pid}/status") as f:
            rss_kb = next(int(line.split()[1]) for line in f if line.startswith("VmRSS:"))
    except (OSError, StopIteration, IndexError, ValueError):
        return None
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK"), rss_kb / 1024


@dataclass
class ProcessLog:
    address: str
    pid: int | None
    first: tuple[float, float] | None = None  # (monotonic time, CPU seconds) when first seen
    last: tuple[float, float] | None = None
    rss_mb: float = math.nan
    peak_rss_mb: float = math.nan

    def sample(self) -> None:
        reading = process_sample(self.pid) if self.pid else None
        if reading is None:
            return
        now = time.monotonic()
        self.first = self.first or (now, reading[0])
        self.last = (now, reading[0])
        self.rss_mb = reading[1]
        self.peak_rss_mb = reading[1] if math.isnan(self.peak_rss_mb) else max(self.peak_rss_mb, reading[1])

    @property
    def cpu_s(self) -> float:
        return self.last[1] - self.first[1] if self.first and self.last else math.nan

    @property
    def cpu_share(self) -> float:
        """CPU seconds per wall second while watched (1.0 = one core busy)."""
        span = self.last[0] - self.first[0] if self.first and self.last else 0.0
        return self.cpu_s / span if span > 0 else math.nan


# ---------------------------------------------------------------------------- the whole run


async def _watch(sessions: list[Session], processes: dict[str, ProcessLog], done: asyncio.Event) -> None:
    while not done.is_set():
        for address in {s.log.replicas[-1] for s in sessions if s.log.replicas}:
            if address not in processes:
                processes[address] = ProcessLog(address, await asyncio.to_thread(listening_pid, address))
        for process in processes.values():
            process.sample()
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(done.wait(), timeout=1.0)


async def _kill_later(sessions: list[Session], processes: dict[str, ProcessLog], at: float, kill: Kill) -> str | None:
    """At ``at``: SIGKILL the replica holding the most sessions; returns its address."""
    await asyncio.sleep(max(0.0, at - time.monotonic()))
    counts: dict[str, int] = {}
    for s in sessions:
        if s.log.replicas:
            counts[s.log.replicas[-1]] = counts.get(s.log.replicas[-1], 0) + 1
    if not counts:
        return None
    victim = max(counts, key=counts.get)
    process = processes.get(victim)
    pid = process.pid if process and process.pid else await asyncio.to_thread(listening_pid, victim)
    if pid is None:
        return None
    kill.address = victim  # before the kill, so that the sessions it drops know why
    if process:
        process.sample()
    os.kill(pid, signal.SIGKILL)
    return victim


async def run(url: str, sessions: int, seconds: float, kill_after: float | None = None) -> dict:
    """The load test; returns the summary (see ``summarize``)."""
    if not 1 <= sessions <= MAX_SESSIONS:
        raise SystemExit(f"loadtest: sessions must be 1..{MAX_SESSIONS}, not {sessions}")
    if not 1 <= seconds <= MAX_SECONDS:
        raise SystemExit(f"loadtest: seconds must be 1..{MAX_SECONDS}, not {seconds}")
    if kill_after is not None and not 0 < kill_after < seconds:
        raise SystemExit(f"loadtest: kill-after must fall inside the run (0..{seconds} s), not {kill_after}")
    host, port, query = require_loopback(url)
    load_before = _load_average()
    kill = Kill()
    start = time.monotonic()
    ramp = min(CHANGE_EVERY_S, seconds / 4)  # arrivals spread over one change period: students are not in step
    stop_at = start + seconds
    crowd = [Session(i, host, port, query, start + ramp * i / sessions, stop_at, kill) for i in range(sessions)]
    processes: dict[str, ProcessLog] = {}
    done = asyncio.Event()
    watcher = asyncio.create_task(_watch(crowd, processes, done))
    killer = asyncio.create_task(_kill_later(crowd, processes, start + kill_after, kill)) if kill_after else None
    cpu_before = resource.getrusage(resource.RUSAGE_SELF)
    logs = await asyncio.gather(*(s.run() for s in crowd))
    cpu_after = resource.getrusage(resource.RUSAGE_SELF)
    victim = await killer if killer else None
    done.set()
    await watcher
    for process in processes.values():
        process.sample()
    own_cpu = (cpu_after.ru_utime - cpu_before.ru_utime) + (cpu_after.ru_stime - cpu_before.ru_stime)
    summary = summarize(url, seconds, logs, processes, victim, own_cpu, time.monotonic() - start)
    summary["load_average"] = (load_before, _load_average())  # other work on the machine skews every number
    return summary


def _load_average() -> float:
    """The machine's 1-minute load average: above the core count, the app processes were queueing for a CPU."""
    try:
        with open("/proc/loadavg") as f:
            return float(f.read().split()[0])
    except (OSError, ValueError, IndexError):
        return math.nan


def _percentile(values: list[float], q: float) -> float:
    return float(np.percentile(values, q)) if values else math.nan


def summarize(url: str, seconds: float, logs: list[SessionLog], processes: dict[str, ProcessLog], victim: str | None,
              own_cpu_s: float, wall_s: float) -> dict:
    others = [log for log in logs if not log.on_killed]
    latencies = [x for log in logs for x in log.latencies]
    first_replica = [log.replicas[0] for log in logs if log.replicas]
    # Sticky: the page's GET and every websocket of a session reached one replica (a killed one's sessions move once).
    sticky = all(len(set(log.replicas)) == 1 for log in others if log.replicas)
    return {
        "url": url, "sessions": len(logs), "seconds": seconds, "wall_s": wall_s,
        "offered": sum(log.offered for log in logs), "served": sum(log.served for log in logs),
        "p50_s": _percentile(latencies, 50), "p95_s": _percentile(latencies, 95),
        "load_p50_s": _percentile([log.load_s for log in logs if not math.isnan(log.load_s)], 50),
        "exceptions": sum(len(log.exceptions) for log in logs), "disconnects": sum(log.disconnects for log in logs),
        "timeouts": sum(log.timeouts for log in logs), "errors": sum(log.errors for log in logs),
        "errors_elsewhere": sum(log.errors for log in others),
        "exception_texts": sorted({text for log in logs for text in log.exceptions})[:5],
        "sessions_per_replica": {address: first_replica.count(address) for address in sorted(set(first_replica))},
        "sticky": sticky,
        "killed": victim, "killed_sessions": sum(log.on_killed for log in logs),
        "reconnected": sum(bool(log.reconnects) for log in logs if log.on_killed),
        "reconnect_max_s": max((x for log in logs for x in log.reconnects), default=math.nan),
        "processes": [{"address": p.address, "pid": p.pid, "cpu_s": p.cpu_s, "cpu_share": p.cpu_share,
                       "rss_mb": p.rss_mb, "peak_rss_mb": p.peak_rss_mb, "alive": p.address != victim}
                      for p in sorted(processes.values(), key=lambda p: p.address)],
        "loadtest_cpu_s": own_cpu_s,
        "session_logs": [asdict(log) for log in logs],
    }


def report(summary: dict) -> str:
    """Markdown: the totals, then one row per app process."""
    offered, served = summary["offered"], summary["served"]
    share = served / offered if offered else math.nan
    lines = [
        f"{summary['sessions']} sessions for {summary['seconds']:g} s against {summary['url']}: "
        f"{served} of {offered} changes served ({share:.0%}), latency p50 {summary['p50_s']:.2f} s / "
        f"p95 {summary['p95_s']:.2f} s, page load p50 {summary['load_p50_s']:.2f} s; errors {summary['errors']} "
        f"(exceptions {summary['exceptions']}, disconnects {summary['disconnects']}, timeouts "
        f"{summary['timeouts']}); sessions per replica "
        + ", ".join(f"{a} {n}" for a, n in summary["sessions_per_replica"].items())
        + f"; every session stayed on its replica: {'yes' if summary['sticky'] else 'NO'}.",
    ]
    if summary["killed"]:
        lines.append(f"Killed {summary['killed']} mid-test: {summary['reconnected']} of its "
                     f"{summary['killed_sessions']} sessions reconnected elsewhere (slowest after "
                     f"{summary['reconnect_max_s']:.1f} s); errors in the other sessions: "
                     f"{summary['errors_elsewhere']}.")
    for text in summary["exception_texts"]:
        lines.append(f"Exception seen: `{text}`")
    lines += ["", "| app process | pid | CPU s | CPU (cores) | RSS MB | peak RSS MB |", "|:--|--:|--:|--:|--:|--:|"]
    for p in summary["processes"]:
        name = p["address"] + ("" if p["alive"] else " (killed)")
        lines.append(f"| {name} | {p['pid']} | {p['cpu_s']:.1f} | {p['cpu_share']:.2f} | {p['rss_mb']:.0f} | "
                     f"{p['peak_rss_mb']:.0f} |")
    before, after = summary.get("load_average", (math.nan, math.nan))
    lines.append(f"\nThe load generator itself used {summary['loadtest_cpu_s']:.1f} CPU s; the machine's load average "
                 f"was {before:.1f} before and {after:.1f} after ({os.cpu_count()} cores).")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.loadtest", description=__doc__.split("\n")[0])
    parser.add_argument("--url", default="http://127.0.0.1:8501/", help="the app (loopback only)")
    parser.add_argument("--sessions", type=int, default=10, help=f"simulated sessions, 1..{MAX_SESSIONS}")
    parser.add_argument("--seconds", type=float, default=30, help=f"duration, 1..{MAX_SECONDS}")
    parser.add_argument("--kill-after", type=float, default=None, help="kill the busiest replica after S seconds")
    parser.add_argument("--json", type=Path, default=None, help="also write the summary here")
    args = parser.parse_args(argv)
    summary = asyncio.run(run(args.url, args.sessions, args.seconds, args.kill_after))
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps(summary, indent=1))
    print(report(summary))
    return 0 if summary["errors_elsewhere"] == 0 and summary["sticky"] else 1


if __name__ == "__main__":
    sys.exit(main())
