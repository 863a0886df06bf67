"""App measurements: the default page's runs, the script under AppTest, and the page in a real browser."""

from __future__ import annotations

import json
import math
import os
import subprocess
import sys
import time
from pathlib import Path

from .browser import FPS_MODES, chromium_path, measure_browser
from .core import Measurement, Section, Target, best_of, fmt, median, table
from .server import REPO_ROOT

PEER = "sg721642/Deep-Learning-Optimizer-Visualizer"  # the Streamlit peer the canvas issue was measured against
PEER_APP, PEER_PYTHONPATH = "PEER_APP", "PEER_PYTHONPATH"  # environment: its app.py, and packages it needs
PEER_SLIDER, PEER_PRESSES = "Iteration", 7
FLOOR_APP = "bench/floor_app.py"  # one slider, one small Plotly chart: what Streamlit and plotly.js need at least

WEBGL_CALLS = {"readPixels", "getProgramParameter", "isProgram", "isShader", "compileShader", "linkProgram",
               "shaderSource", "getShaderParameter", "createProgram", "createShader", "attachShader", "drawArrays",
               "drawElements", "texImage2D", "texSubImage2D", "bufferData", "bufferSubData", "getUniformLocation",
               "getAttribLocation", "getActiveUniform", "getActiveAttrib", "useProgram", "bindBuffer", "bindTexture",
               "getExtension", "getParameter", "clear", "viewport", "getContext", "deleteProgram", "deleteShader"}


def webgl_calls(profile: dict[str, float]) -> dict[str, float]:
    """The JS profile's WebGL API calls (``(native) name`` entries), milliseconds per press, largest first."""
    return {name[9:]: ms for name, ms in profile.items() if name.startswith("(native) ") and (
        name[9:] in WEBGL_CALLS or name[9:].startswith(("uniform", "vertexAttrib")))}


def webgl_ms(profile: dict[str, float]) -> float:
    return sum(webgl_calls(profile).values())


# ---------------------------------------------------------------------------- 5. the default page's runs


def measure_default_runs() -> Section:
    """Compute every run of the default ``AppConfig`` with ``ui.compute.run_trajectory``: cold, then best of 20."""
    section = Section("5. The default page's runs")
    try:
        from ui.compute import make_surface, run_trajectory, start_point
        from ui.config import AppConfig
    except ImportError as error:
        section.blocks.append(f"ui.compute / ui.config not importable ({error}): section skipped.")
        return section
    config = AppConfig()

    def compute():
        surface = make_surface(config.surface, config.surface_params)
        start = start_point(config, surface)
        return [
            run_trajectory(config.surface, config.surface_params, run, steps=config.steps, start=start,
                           noise=config.noise, seed=config.seed, weight_decay=config.weight_decay,
                           clip_norm=config.clip_norm)
            for run in config.runs
        ]

    start = time.perf_counter()
    compute()
    cold = time.perf_counter() - start
    warm, trajectories = best_of(compute, repeats=20, budget_s=2.0)
    section.add(Measurement("default page", f"{len(config.runs)} runs × {config.steps} steps (warm, best of 20)",
                            warm * 1e3, "ms", Target(20)))
    runs = ", ".join(r.optimizer for r in config.runs)
    section.blocks.append(table(["what", "value"], [
        ("config", f"surface {config.surface}, runs: {runs}, {config.steps} steps, recorded (ledger)"),
        ("first call (surface made, caches cold)", f"{cold * 1e3:.1f} ms"),
        ("warm, best of 20", f"{warm * 1e3:.1f} ms"),
        ("per run", f"{warm * 1e3 / len(trajectories):.2f} ms"),
    ], "ll"))
    return section


# ---------------------------------------------------------------------------- 6. AppTest


def measure_apptest() -> Section:
    """One script run of the page under AppTest, in a fresh process: cold, warm (no change), and after a change."""
    section = Section("6. App server side (streamlit.testing AppTest)")
    command = [sys.executable, "-m", "bench.apptest_probe"]
    done = subprocess.run(command, cwd=REPO_ROOT, capture_output=True, text=True, timeout=600, check=False)
    if done.returncode != 0:
        section.blocks.append("AppTest probe failed:\n\n```\n" + done.stderr[-2000:] + "\n```")
        return section
    r = json.loads(done.stdout)
    section.data = r
    rows = [("first run, fresh process (cold)", r["cold_s"] * 1e3, "—", 1)]
    section.add(Measurement("AppTest", "script run, cold (fresh process)", r["cold_s"] * 1e3, "ms"))
    for key, label in (("warm_s", "rerun, nothing changed (warm)"), ("steps_change_s", "Steps slider +1"),
                       ("lr_change_s", f"run 1 learning rate one stop down ({r.get('lr_key', '?')})")):
        if key in r:
            times = [t * 1e3 for t in r[key]]
            rows.append((label, median(times), max(times), len(times)))
            section.add(Measurement("AppTest", f"script run: {label} (median)", median(times), "ms"))
    section.blocks.append(table(["script run", "median ms", "max ms", "runs"], rows))
    section.blocks.append(
        f"Importing streamlit took {r['import_streamlit_s'] * 1e3:.0f} ms before the cold run (not included). "
        "AppTest runs the script in-process and parses its output; it has no browser, so this is the Python side "
        "of one interaction."
    )
    return section


# ---------------------------------------------------------------------------- 7. the browser


def measure_page() -> Section:
    """Page load and slider -> redrawn charts in headless system Chromium against ``streamlit run``."""
    section = Section("7. App as a user feels it (Playwright + system Chromium)")
    if chromium_path() is None:
        section.blocks.append("**Chromium not found: apt-get install -y chromium** — section skipped.")
        print("Chromium not found: apt-get install -y chromium", file=sys.stderr)
        return section
    try:
        r = measure_browser()
        floor = measure_browser(script=FLOOR_APP, profile=False)
    except Exception as error:  # a broken app or browser should not lose the other sections' results
        section.blocks.append(f"Browser measurement failed: `{type(error).__name__}: {error}`")
        return section
    try:
        peer = measure_peer()
    except Exception as error:  # the peer's own failure loses nothing of the app's
        peer = None
        section.blocks.append(f"The peer's measurement failed: `{type(error).__name__}: {error}`")
    section.data = {**r, "floor": floor, "peer": peer}
    first, warm = r["loads"]
    section.add(
        Measurement("browser", "page load → first chart, first visit", first["at"] / 1e3, "s", Target(2),
                    _below_floor(floor["loads"][0]["at"] / 1e3, Target(2), "s")),
        Measurement("browser", "page load → first chart, second visit", warm["at"] / 1e3, "s", Target(2),
                    _below_floor(floor["loads"][1]["at"] / 1e3, Target(2), "s")),
    )
    load_rows = [
        (label, load["domContentLoaded"], load["runStart"], load["idle"], load.get("plotlyLoaded") or math.nan,
         load["firstChart"], load["at"])
        for label, load in (("first visit after server start", first), ("second visit (new tab)", warm))
    ]
    section.blocks.append(table(
        ["page load (ms from navigation start)", "DOMContentLoaded", "script starts", "script done (idle)",
         "Plotly bundle downloaded", "first chart SVG", "chart + idle"], load_rows))
    if warm.get("plotlyBytes"):
        section.blocks.append(f"plotly.js (`static/`, served by Streamlit's static serving) is "
                              f"{warm['plotlyBytes'] / 2**20:.1f} MB of JavaScript, parsed on every page load.")

    presses = r["presses"]
    totals = [p["total"] for p in presses]
    section.add(
        Measurement("browser", "Steps slider key → every chart redrawn (median)", median(totals), "ms",
                    Target(150), _below_floor(median([p["total"] for p in floor["presses"]]), Target(150), "ms")),
        Measurement("browser", "Steps slider key → every chart redrawn (max)", max(totals), "ms"),
    )
    parts = [("key press → every chart redrawn and idle", "total"), ("key press → script run starts", "to_run_start"),
             ("script run starts → idle", "run"), ("idle → last chart redrawn", "redraw_tail"),
             ("page main thread busy (long tasks) within the total", "main_thread_busy")]
    rows = [(label, median([p[key] for p in presses]), max(p[key] for p in presses)) for label, key in parts]
    charts = [c[0] for c in presses[0]["charts"]]
    for i, kind in enumerate(charts):
        values = [p["charts"][i][1] for p in presses if len(p["charts"]) > i]
        rows.append((f"key press → chart {i + 1} ({kind}) redrawn or found unchanged", median(values), max(values)))
    for i, kind in enumerate(charts):
        values = [p["charts"][i][2] for p in presses if len(p["charts"]) > i]
        rows.append((f"chart {i + 1} ({kind}): Plotly draw, beforeplot → afterplot", median(values), max(values)))
    section.blocks.append(table(["slider key press (ms)", "median", "max"], rows))
    kb = [p["ws_bytes"] / 1024 for p in presses]
    profile = r.get("js_profile_ms_per_press", {})
    if profile:
        top = list(profile.items())[:14]
        section.blocks.append(table(["page JavaScript by file / native call (CDP sampling profiler)", "ms per press"],
                                    [(name, ms) for name, ms in top]))
        section.blocks.append(
            f"Sampled over 3 further presses (not the timed ones). `(program)` is the browser's own work (style, "
            f"layout, paint); `(native) f` a built-in or Web API call such as WebGL's `readPixels`. WebGL calls in "
            f"all: {webgl_ms(profile):.0f} ms per press. Each rerun sent {median(kb):.0f} KB over the websocket "
            f"(page load: {warm['ws_bytes'] / 1024:.0f} KB)."
        )
    fps = r.get("fps")
    if fps:
        # Play at 1× draws each of its 30 steps a second: its rate by design, not a capacity, so it has no target
        section.add(*(Measurement("browser", f"canvas: {FPS_MODES[m]}, redraws per second (median gap)", fps[m]["fps"],
                                  "fps", None if m == "play" else Target(30, below=False)) for m in FPS_MODES))
        section.blocks.append(table(
            ["in the browser, no server round trip", "redraws", "over (s)", "median gap (ms)", "fps"],
            [(FPS_MODES[m], fps[m]["redraws"], fps[m]["seconds"], fps[m]["median_gap_ms"], fps[m]["fps"])
             for m in FPS_MODES]))
        section.blocks.append(
            "Driven inside the page, one move per animation frame (90 frames each): the scrubber, Play at 1× and at "
            "2×, and a live learning-rate slider swept back and forth over its stops (the fan's members). A redraw "
            "counts when the canvas has drawn every view at the new step (its `cv-drawn` event): the contour's "
            "moving layer painted, the cursor and the ledger moved, and during a drag the dragged run's curve "
            "painted over the curves chart. Play at 1× shows 30 steps a second (a step every 33 ms), so 30 is its "
            "most; at 2× it shows 60, one per animation frame of a 60 Hz display.")
    per_press = {name: x["cpu"]["server_s"] / x["cpu"]["presses"] * 1e3 for name, x in (("app", r), ("floor", floor))}
    section.add(Measurement("browser", "server CPU per press", per_press["app"], "ms", Target(50),
                            _below_floor(per_press["floor"], Target(50), "ms")))
    section.blocks.append(_floor_table(r, floor, peer))
    if peer:
        app_ms, peer_ms = (median([p["total"] for p in x["presses"]]) for x in (r, peer))
        section.add(Measurement("browser", f"slider key → redrawn, app ÷ peer ({peer_ms:.0f} ms, side by side)",
                                app_ms / peer_ms, "×", Target(0.5)))
    else:
        section.blocks.append(
            f"The peer ({PEER}) was not measured in this run: `make bench {PEER_APP}=path/to/its/app.py` measures it "
            f"side by side ({PEER_PYTHONPATH}=dir adds the packages it needs beyond ours, such as scikit-learn).")
    section.add(
        Measurement("browser floor", "minimal page: page load → first chart, second visit",
                    floor["loads"][1]["at"] / 1e3, "s"),
        Measurement("browser floor", "minimal page: slider key → chart redrawn (median)",
                    median([p["total"] for p in floor["presses"]]), "ms"),
    )
    cpu = r["cpu"]
    server_share = cpu["server_s"] / cpu["machine_s"] if cpu["machine_s"] else math.nan
    section.blocks.append(
        f"{len(presses)} presses of ArrowRight on the sidebar \"Steps\" slider (value {r['steps_before']} → "
        f"{r['steps_after']}), each waited for before the next. Times are `performance.now()` in the page: from the "
        f"`keydown` to Streamlit idle and every Plotly chart's `plotly_afterplot`. Over the presses "
        f"({cpu['wall_s']:.1f} s wall) the machine spent {cpu['machine_s']:.1f} CPU-s, of which the Streamlit "
        f"server {cpu['server_s']:.2f} CPU-s ({fmt(server_share * 100)} %, i.e. "
        f"{cpu['server_s'] / cpu['presses'] * 1e3:.0f} ms per press); the rest is Chromium. Chromium runs headless "
        f"with `--disable-gpu`, so WebGL (the 3D surface) is rendered in software."
    )
    return section


def measure_peer() -> dict | None:
    """The peer app (``PEER_APP``, its ``app.py``), measured as the app is: page loads and presses of its step
    slider, the one that redraws its two charts. None when ``PEER_APP`` is not set (its code is not ours to ship)."""
    app = os.environ.get(PEER_APP)
    if not app:
        return None
    path = Path(app).resolve()
    extra = os.environ.get(PEER_PYTHONPATH)
    return measure_browser(presses=PEER_PRESSES, script=path.name, profile=False, slider=PEER_SLIDER,
                           cwd=path.parent, env={"PYTHONPATH": extra} if extra else None)


def _below_floor(floor_value: float, target: Target, unit: str) -> str:
    """Why a target cannot be met here, when the minimal page (measured in the same run) misses it already."""
    if target.met(floor_value):
        return ""
    return f"the minimal Streamlit page alone misses it here: {fmt(floor_value)} {unit}"


def _floor_table(app: dict, floor: dict, peer: dict | None = None) -> str:
    """The app beside ``bench/floor_app.py`` (a slider and a 101-point line chart), and the peer when it was
    measured, all the same way."""
    pages = [app, floor] + ([peer] if peer else [])
    rows = []
    for label, key in (("page load → first chart, first visit (s)", 0),
                       ("page load → first chart, second visit (s)", 1)):
        rows.append((label, *(r["loads"][key]["at"] / 1e3 for r in pages)))
    for label, part in (("slider key → every chart redrawn, median (ms)", "total"),
                        ("page main thread busy within it, median (ms)", "main_thread_busy")):
        rows.append((label, *(median([p[part] for p in r["presses"]]) for r in pages)))
    for label, key in (("server CPU per press (ms)", "server_s"),
                       ("page CPU per press, Chromium renderer (ms)", "page_s"),
                       ("whole machine CPU per press (ms)", "machine_s")):
        rows.append((label, *(r["cpu"][key] / r["cpu"]["presses"] * 1e3 for r in pages)))
    rows.append(("charts replaced (drawn from scratch) per press, median",
                 *(median([len(p["charts"]) - p["charts_kept"] for p in r["presses"]]) for r in pages)))
    rows = [(label, a, f, *rest, a - f) for label, a, f, *rest in rows]
    head = ["the app beside a minimal page", "app", "minimal page"] + (["peer"] if peer else [])
    peer_text = (f" The peer ({PEER}, from `{PEER_APP}`) is measured the same way on its \"{PEER_SLIDER}\" slider, "
                 f"its step control, which redraws its two charts ({PEER_PRESSES} presses, value "
                 f"{peer['steps_before']} → {peer['steps_after']})." if peer else "")
    return (table([*head, "app − minimal page"], rows)
            + "\n\nThe minimal page (`bench/floor_app.py`: a sidebar \"Steps\" slider and one 101-point Plotly line) "
            "is measured the same way, in the same run: what a Streamlit page with a Plotly chart costs on this "
            "machine before the app does anything (the websocket round trip, React, loading and parsing plotly.js). "
            "CPU per press is over the timed presses, including the 0.3 s wait after each. A chart counts as "
            "replaced when the graph div it was drawn in is gone after the rerun: `st.plotly_chart` (the minimal "
            "page's) gives a chart whose figure changed a new element, drawn anew; the app's canvas keeps its charts "
            "and updates them with `Plotly.react`." + peer_text)
