"""``python -m bench`` (``make bench``): run every measurement, print the tables, write bench/RESULTS.md."""

from __future__ import annotations

import sys
import time
import traceback

from . import report
from .app_timing import measure_apptest, measure_default_runs, measure_page
from .core import SPEED_CHECK_ADDITIONS, Section, load_average, machine, speed_check, targets_table
from .engine import measure_baseline, measure_basin_map, measure_engine, measure_profile, measure_torch
from .lecture_hall import measure_lecture_hall


def _show(section: Section) -> None:
    print(f"\n## {section.title}\n", flush=True)
    for block in section.blocks:
        print(block + "\n", flush=True)


def _guarded(title: str, fn, *args) -> Section:
    """Run one measurement; a failure becomes a note in the report instead of losing the others."""
    try:
        return fn(*args)
    except Exception:
        return Section(title, ["Failed:\n\n```\n" + traceback.format_exc()[-3000:] + "```"])


def main() -> int:
    start = time.perf_counter()
    info = machine()
    print("# Benchmark\n")
    for key, value in info.items():
        print(f"{key:>10}: {value}")
    sections: list[Section] = []

    def step(section: Section) -> Section:
        sections.append(section)
        _show(section)
        return section

    try:
        engine_section, engine = measure_engine()
    except Exception:
        engine_section, engine = Section("1. Engine throughput", ["Failed:\n\n```\n" + traceback.format_exc()
                                                                  + "```"]), {}
    step(engine_section)
    step(_guarded("2. Baseline", measure_baseline, engine))
    step(_guarded("3. torch", measure_torch, engine))
    step(_guarded("4. Basin map", measure_basin_map))
    step(_guarded("5. Default page", measure_default_runs))
    step(_guarded("6. AppTest", measure_apptest))
    step(_guarded("7. Browser", measure_page))
    step(_guarded("8. Lecture hall", measure_lecture_hall))
    profile = _guarded("Where the time goes", measure_profile, engine)
    step(profile)

    elapsed = time.perf_counter() - start
    info["load average at end (1, 5, 15 min)"] = load_average()
    info[f"speed check at end ({SPEED_CHECK_ADDITIONS:,} additions in a Python loop)"] = speed_check()
    print("\n## Targets\n")
    print(targets_table([m for s in sections for m in s.measurements]))
    print("\n## What we found\n")
    for bullet in report.findings(sections):
        print(f"* {bullet}")
    path = report.write(info, sections, elapsed)
    print(f"\nWrote {path.relative_to(path.parents[1])} ({elapsed:.0f} s in all).")
    return 0


if __name__ == "__main__":
    sys.exit(main())
