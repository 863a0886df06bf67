"""What every measurement shares: the record, the timers, the table formatter and the machine description."""

from __future__ import annotations

import datetime
import math
import os
import platform
import statistics
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from importlib import metadata


@dataclass(frozen=True)
class Target:
    """``value < limit`` (``below=True``) or ``value >= limit``."""

    limit: float
    below: bool = True

    def met(self, value: float) -> bool:
        return value < self.limit if self.below else value >= self.limit

    def __str__(self) -> str:
        return f"{'<' if self.below else '≥'} {self.limit:g}"


@dataclass(frozen=True)
class Measurement:
    """One number the benchmark reports; those with a ``target`` go into the summary of targets."""

    section: str
    name: str
    value: float
    unit: str
    target: Target | None = None
    note: str = ""  # why a target is not met, as measured in the same run (the Targets table shows it then)

    @property
    def met(self) -> bool | None:
        return None if self.target is None else self.target.met(self.value)


@dataclass
class Section:
    """A part of the report: Markdown blocks (tables, notes), the measurements behind them, and raw data."""

    title: str
    blocks: list[str] = field(default_factory=list)
    measurements: list[Measurement] = field(default_factory=list)
    data: dict = field(default_factory=dict)

    def add(self, *measurements: Measurement) -> None:
        self.measurements.extend(measurements)


def best_of(fn: Callable[[], object], repeats: int = 3, budget_s: float = 3.0) -> tuple[float, object]:
    """Min wall time (s) of up to ``repeats`` calls of ``fn``; stops early once ``budget_s`` is spent (>= 1 call).

    Returns the best time and the result of the last call.
    """
    best, spent, result = float("inf"), 0.0, None
    for _ in range(repeats):
        start = time.perf_counter()
        result = fn()
        elapsed = time.perf_counter() - start
        best, spent = min(best, elapsed), spent + elapsed
        if spent > budget_s:
            break
    return best, result


def best_of_interleaved(fns: dict[str, Callable[[], object]], rounds: int = 3, budget_s: float = 5.0) -> dict:
    """Min wall time (s) of each function, timed in alternating rounds (A B C, A B C, ...).

    Side by side like this, a change of machine load during the measurement affects all of them alike, so their
    ratios stay honest. At least one round; stops once ``budget_s`` is spent.
    """
    best = dict.fromkeys(fns, float("inf"))
    start = time.perf_counter()
    for _ in range(rounds):
        for name, fn in fns.items():
            t = time.perf_counter()
            fn()
            best[name] = min(best[name], time.perf_counter() - t)
        if time.perf_counter() - start > budget_s:
            break
    return best


def load_average() -> str:
    try:
        with open("/proc/loadavg") as f:
            return " ".join(f.read().split()[:3])
    except OSError:
        return "unknown"


def median(values: Sequence[float]) -> float:
    """The median of the finite values (NaN marks a part the page was too fast to show); NaN if none."""
    finite = [v for v in values if not math.isnan(v)]
    return statistics.median(finite) if finite else math.nan


# ---------------------------------------------------------------------------- formatting


def fmt(value: float, digits: int = 3) -> str:
    """A number for a table: 3 significant digits, thousands separators for big ones, '—' for NaN."""
    if value is None or value != value:
        return "—"
    if isinstance(value, str):
        return value
    if abs(value) >= 1000:
        return f"{value:,.0f}"
    return f"{value:.{digits}g}"


def table(headers: Sequence[str], rows: Sequence[Sequence[object]], align: str | None = None) -> str:
    """A GitHub-flavoured Markdown table, padded so it also reads well in a terminal.

    ``align`` has one character per column, ``l`` or ``r`` (default: first column left, the rest right).
    """
    cells = [[str(h) for h in headers]] + [[c if isinstance(c, str) else fmt(c) for c in row] for row in rows]
    align = align or "l" + "r" * (len(headers) - 1)
    widths = [max(len(row[i]) for row in cells) for i in range(len(headers))]

    def line(row):
        padded = [c.ljust(w) if a == "l" else c.rjust(w) for c, w, a in zip(row, widths, align, strict=True)]
        return "| " + " | ".join(padded) + " |"

    rule = "|" + "|".join(("-" * (w + 1) + ":") if a == "r" else (":" + "-" * (w + 1)) for w, a in zip(widths, align,
                                                                                                     strict=True)) + "|"
    return "\n".join([line(cells[0]), rule, *(line(row) for row in cells[1:])])


def targets_table(measurements: Sequence[Measurement]) -> str:
    rows = [
        (m.section, m.name, f"{fmt(m.value)} {m.unit}", f"{m.target} {m.unit}", "✓" if m.met else "✗",
         "" if m.met else m.note)
        for m in measurements if m.target is not None
    ]
    return table(["section", "measurement", "measured", "target", "met", "not met: the measured reason"], rows,
                 "llrrll")


# ---------------------------------------------------------------------------- the machine


def _cpu_model() -> str:
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def _version(package: str) -> str:
    try:
        return metadata.version(package)
    except metadata.PackageNotFoundError:
        return "not installed"


SPEED_CHECK_ADDITIONS = 3_000_000


def speed_check() -> str:
    """The seconds a fixed pure-Python loop takes (best of 3): this machine's speed at the moment, so that two runs
    of the benchmark can be told apart by the machine's state (a shared VM's speed varies by twofold)."""
    def loop() -> int:
        total = 0
        for i in range(SPEED_CHECK_ADDITIONS):
            total += i
        return total

    return f"{best_of(loop, repeats=3, budget_s=10.0)[0]:.2f} s"


def machine() -> dict[str, str]:
    """The facts a reader needs to compare these numbers with theirs."""
    try:
        affinity = len(os.sched_getaffinity(0))
    except AttributeError:
        affinity = os.cpu_count()
    return {
        "date": datetime.datetime.now().astimezone().strftime("%Y-%m-%d %H:%M %Z"),
        "cpu": _cpu_model(),
        "cores": f"{os.cpu_count()} logical ({affinity} usable by this process)",
        "os": f"{platform.system()} {platform.release()}",
        "python": f"{platform.python_implementation()} {platform.python_version()}",
        **{name: _version(name) for name in ("numpy", "torch", "streamlit", "plotly", "playwright")},
        "load average at start (1, 5, 15 min)": load_average(),
        f"speed check at start ({SPEED_CHECK_ADDITIONS:,} additions in a Python loop)": speed_check(),
    }
