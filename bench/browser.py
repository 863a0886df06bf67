"""The app as a user feels it: a real ``streamlit run`` driven by the system Chromium through Playwright.

Two timings, both taken inside the page with ``performance.now()`` so Python's polling does not count:

* page load: from navigation start to the moment a Plotly chart has its SVG and Streamlit is idle;
* slider key press: from the ``keydown`` of ArrowRight on the sidebar "Steps" slider to the moment the rerun has
  finished (script state back to ``notRunning``) and every chart on the page has emitted ``plotly_afterplot``
  after the key press. The press is also split into key -> rerun starts, rerun starts -> idle, and the redraw tail.
"""

from __future__ import annotations

import re
import shutil
import statistics
import time
from pathlib import Path

from harness.live_app import CHROMIUM_ARGS, REPO_ROOT, streamlit_server

from .server import SERVER_LOG, cpu_seconds, renderer_cpu_seconds, renderer_cpu_since

VIEWPORT = {"width": 1400, "height": 900}
TIMEOUT_MS = 30_000

# Installed before any page script: timestamps of script-state changes, of the last keydown, and of every
# chart's afterplot. A MutationObserver sees every committed state value, and hooks charts as they appear.
_PROBE_JS = """
(() => {
  if (window.__bench) return;
  const b = window.__bench = {finished: 0, sawRunning: false, last: null, runStartAt: [], idleAt: [],
                              keyAt: null, firstChartAt: null};
  const note = (state) => {
    if (state === b.last) return;
    b.last = state;
    const now = performance.now();
    if (state === "running" || state === "rerunRequested") {
      if (!b.sawRunning) b.runStartAt.push(now);
      b.sawRunning = true;
    } else if (state === "notRunning" && b.sawRunning) {
      b.sawRunning = false; b.finished += 1; b.idleAt.push(now);
    }
  };
  const hook = (gd) => {
    if (gd.__benchHooked || typeof gd.on !== "function") return;
    gd.__benchHooked = true;
    gd.__afterplotAt = performance.now();  // drawn by the time it could be hooked
    gd.__draws = [];  // [start, end] of every full Plotly draw (beforeplot -> afterplot)
    gd.on("plotly_beforeplot", () => { gd.__drawStart = performance.now(); });
    gd.on("plotly_afterplot", () => {
      const now = gd.__afterplotAt = performance.now();
      if (gd.__drawStart != null) gd.__draws.push([gd.__drawStart, now]);
      gd.__drawStart = null;
    });
  };
  b.hookCharts = () => document.querySelectorAll(".js-plotly-plot").forEach(hook);
  const scan = (records) => {
    // A fast rerun can flip the state to "running" and back before this callback runs: replay the old values.
    (records || []).forEach((r) => { if (r.attributeName === "data-test-script-state") note(r.oldValue); });
    const app = document.querySelector('[data-testid="stApp"]');
    if (app) note(app.getAttribute("data-test-script-state"));
    if (b.firstChartAt === null && document.querySelector(".js-plotly-plot .main-svg")) {
      b.firstChartAt = performance.now();
    }
    b.hookCharts();
  };
  document.addEventListener("keydown", () => { b.keyAt = performance.now(); }, true);
  b.longTasks = [];  // main-thread tasks over 50 ms: the page is busy (parsing, layout, Plotly drawing)
  try {
    new PerformanceObserver((list) => list.getEntries().forEach((e) => b.longTasks.push([e.startTime, e.duration])))
      .observe({type: "longtask", buffered: true});
  } catch (e) { /* not supported */ }
  const start = () => new MutationObserver(scan).observe(document.documentElement, {
    subtree: true, childList: true, attributes: true, attributeOldValue: true,
    attributeFilter: ["data-test-script-state", "class"],
  });
  if (document.documentElement) start(); else document.addEventListener("DOMContentLoaded", start);
})();
"""

_IDLE_JS = """() => {
  const app = document.querySelector('[data-testid="stApp"]');
  return !!app && app.getAttribute("data-test-connection-state") === "CONNECTED"
    && app.getAttribute("data-test-script-state") === "notRunning"
    && !document.querySelector('[data-testid="stStatusWidgetRunningIcon"]');
}"""

_LOADED_JS = f"""() => {{
  const b = window.__bench;
  if (!b || b.finished < 1 || !({_IDLE_JS})()) return null;
  if (document.querySelector('[data-testid="stException"]')) return {{error: true}};
  if (!document.querySelector(".js-plotly-plot .main-svg")) return null;
  const nav = performance.getEntriesByType("navigation")[0];
  // plotly.js: Streamlit's own chunk (st.plotly_chart) or the canvas's copy served from static/ (ui/canvas)
  const plotly = performance.getEntriesByType("resource").find(
    (r) => /PlotlyChart[^/]*\\.js|\\/plotly-[^/]*\\.js/.test(r.name));
  return {{plotlyBytes: plotly ? plotly.decodedBodySize : null, plotlyLoaded: plotly ? plotly.responseEnd : null,
           at: Math.max(b.firstChartAt, b.idleAt[0]), firstChart: b.firstChartAt, runStart: b.runStartAt[0],
           idle: b.idleAt[0], domContentLoaded: nav ? nav.domContentLoadedEventEnd : null,
           charts: document.querySelectorAll(".js-plotly-plot").length}};
}}"""

# What a chart is: a plot layered over a chart by the canvas is named by both; else its first trace's meta role
# (the contour view's is "contour"), else that trace's type.
_CHART_KIND_JS = """(gd) => {
  if (gd.dataset.layerOf) return `${gd.dataset.layerOf}, ${gd.dataset.layer} layer`;
  const first = (gd._fullData || [])[0] || {};
  return (first.meta && first.meta.role) || first.type || "?";
}"""

# After a key press: done when Streamlit is idle and every chart drew after the key (so the rerun's output arrived),
# or the canvas found it unchanged after the key.
# Not "a run has finished since": React can batch a fast run's running -> notRunning so the page never shows it.
_REDRAWN_JS = f"""() => {{
  const b = window.__bench, chartKind = {_CHART_KIND_JS};
  b.hookCharts();
  if (b.keyAt === null || !({_IDLE_JS})()) return null;
  if (document.querySelector('[data-testid="stException"]')) return {{error: true}};
  // the charts shown (one in a tab not open is not redrawn: the peer app has some)
  const charts = [...document.querySelectorAll(".js-plotly-plot")].filter((gd) => gd.getClientRects().length);
  // drawn after the key, or found unchanged by the canvas (it then skips the redraw and says when: data-kept-at)
  const doneAt = (gd) => Math.max(gd.__afterplotAt || 0, Number(gd.dataset.keptAt || 0));
  if (!charts.length || !charts.every((gd) => doneAt(gd) > b.keyAt)) return null;
  const starts = b.runStartAt.filter((t) => t > b.keyAt), idles = b.idleAt.filter((t) => t > b.keyAt);
  const idle = idles.length ? idles[idles.length - 1] : null;  // null: the page never showed the run
  const end = Math.max(idle || 0, ...charts.map(doneAt));
  const busy = b.longTasks.filter(([t, d]) => t + d > b.keyAt && t < end)
    .reduce((sum, [t, d]) => sum + Math.min(t + d, end) - Math.max(t, b.keyAt), 0);
  return {{key: b.keyAt, runStart: starts.length ? starts[0] : null, idle: idle,
           afterplot: Math.max(...charts.map(doneAt)), charts: charts.length, busy: busy,
           kept: charts.filter((gd) => gd.__benchKept).length,
           perChart: charts.map((gd) => [chartKind(gd), doneAt(gd) - b.keyAt,
             (gd.__draws || []).filter(([t0]) => t0 > b.keyAt).reduce((sum, [t0, t1]) => sum + t1 - t0, 0)])}};
}}"""


def chromium_path() -> str | None:
    return shutil.which("chromium")


def _slider_thumb(page, label: str):
    """The thumb of the Streamlit slider labelled ``label``: the sidebar's, else the page's."""
    def labelled(scope):
        return scope.locator('[data-testid="stSlider"]').filter(  # the whole label: "Iteration", not "Max Iterations"
            has=page.locator('[data-testid="stWidgetLabel"]', has_text=re.compile(rf"^\s*{re.escape(label)}\s*$")))

    in_sidebar = labelled(page.locator('[data-testid="stSidebar"]'))
    slider = in_sidebar if in_sidebar.count() else labelled(page)
    # Streamlit < 1.60 (baseweb) marks the thumb role="slider"; 1.6x (react-aria) uses a visually hidden range input.
    return slider.locator('[role="slider"], input[type="range"]').first


def _slider_value(thumb) -> str | None:
    return thumb.get_attribute("aria-valuenow") or thumb.get_attribute("value")


def _load(page, url: str) -> dict:
    """Navigate; return in-page milliseconds from navigation start to the first chart with Streamlit idle."""
    page.goto(url, wait_until="commit")
    result = page.wait_for_function(_LOADED_JS, timeout=TIMEOUT_MS).json_value()
    if result.get("error"):
        raise RuntimeError("the app raised an exception on load")
    return result


def _press(page) -> dict:
    """Press ArrowRight on the focused slider; return the in-page timestamps of the rerun it caused."""
    # Mark every chart's graph div: a mark still there after the rerun means the chart was updated in place,
    # a missing one that the element was replaced (a new div drawn from scratch).
    page.evaluate("() => { window.__bench.keyAt = null;"
                  " document.querySelectorAll('.js-plotly-plot').forEach((gd) => { gd.__benchKept = true; }); }")
    page.keyboard.press("ArrowRight")
    result = page.wait_for_function(_REDRAWN_JS, timeout=TIMEOUT_MS, polling=20).json_value()
    if result.get("error"):
        raise RuntimeError("the app raised an exception after a slider change")
    time.sleep(0.3)  # let any late afterplot land, then read the final timestamps again
    return page.evaluate(_REDRAWN_JS)


def _bundle(url: str, function: str) -> str:
    """A readable name for where a JS sample ran: the script's file name without its hash, or (program), (gc)..."""
    if not url:
        return function if function.startswith("(") else f"(native) {function or '?'}"
    name = url.rsplit("/", 1)[-1].split("?")[0]
    parts = name.split(".")
    return parts[0] + "." + parts[-1] if len(parts) >= 3 else name


def _js_profile(page, presses: int) -> dict[str, float]:
    """Sample the page's JavaScript (CDP Profiler) over ``presses`` key presses; milliseconds of self time per file."""
    cdp = page.context.new_cdp_session(page)
    cdp.send("Profiler.enable")
    cdp.send("Profiler.setSamplingInterval", {"interval": 500})
    cdp.send("Profiler.start")
    for _ in range(presses):
        _press(page)
    profile = cdp.send("Profiler.stop")["profile"]
    cdp.detach()
    where = {n["id"]: _bundle(n["callFrame"].get("url", ""), n["callFrame"].get("functionName", ""))
             for n in profile["nodes"]}
    totals: dict[str, float] = {}
    deltas = profile.get("timeDeltas", [])
    for i, node in enumerate(profile.get("samples", [])):
        dt = deltas[i + 1] if i + 1 < len(deltas) else 0
        totals[where[node]] = totals.get(where[node], 0.0) + dt / 1e3 / presses
    totals.pop("(idle)", None)
    return dict(sorted(totals.items(), key=lambda kv: -kv[1]))


# Frames per second of the canvas's in-browser redraws (ui/canvas/canvas.js), driven inside the page so Python's
# round trips do not count: `drive(i)` moves something (the scrubber, a live slider, or nothing while Play runs) on
# each animation frame, and a frame counts when the canvas has redrawn every view at a step (its `cv-drawn` event).
# "play" is Play at 1× (30 steps a second, so 30 redraws at most), "play2x" at 2× (60 steps a second: a redraw on
# every animation frame, if the canvas keeps up).
_FPS_JS = """async ([mode, frames]) => {
  const scrub = document.querySelector(".cv-scrub");
  const root = scrub.closest(".cv-root");  // the comparison's canvas (the sidebar's first one only loads plotly.js)
  const live = document.querySelector(".cv-slider input");
  const total = Number(scrub.max);
  const playButton = document.querySelector(".cv-play");
  const playing = mode.startsWith("play");
  if (playing) {  // from the first step, so that Play has the whole run to go (it stops at the last step)
    scrub.value = "0";
    scrub.dispatchEvent(new Event("input"));
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  const times = [];
  const onDraw = () => times.push(performance.now());
  root.addEventListener("cv-drawn", onDraw);
  const drive = {
    scrub: (i) => { scrub.value = String(i % (total + 1)); scrub.dispatchEvent(new Event("input")); },
    drag: (i) => { const n = Number(live.max) + 1, k = i % (2 * n);  // back and forth over every stop
                   live.value = String(k < n ? k : 2 * n - 1 - k); live.dispatchEvent(new Event("input")); },
    play: () => {},
    play2x: () => {},
  }[mode];
  const speed = document.querySelector(".cv-speed");
  const setSpeed = (value) => { speed.value = value; speed.dispatchEvent(new Event("change")); };
  if (mode === "play2x") setSpeed("2");
  if (playing) playButton.click();
  for (let i = 0; i < frames; i += 1) {
    drive(i);
    await new Promise((resolve) => requestAnimationFrame(resolve));
  }
  if (playing && playButton.textContent.includes("Pause")) playButton.click();
  if (mode === "play2x") setSpeed("1");
  root.removeEventListener("cv-drawn", onDraw);
  const gaps = times.slice(1).map((t, i) => t - times[i]).sort((a, b) => a - b);
  const median = gaps.length ? gaps[Math.floor(gaps.length / 2)] : NaN;
  return {redraws: times.length, seconds: (times[times.length - 1] - times[0]) / 1e3, median_gap_ms: median,
          fps: median > 0 ? 1e3 / median : NaN};
}"""


FPS_MODES = {"scrub": "step scrubbing", "play": "Play at 1×", "play2x": "Play at 2×",
             "drag": "drag of a live slider (preview)"}


def measure_canvas_fps(page, frames: int = 90) -> dict:
    """Redraws per second while scrubbing, playing and dragging a live slider (the median time between redraws)."""
    out = {}
    for mode in FPS_MODES:
        out[mode] = page.evaluate(_FPS_JS, [mode, frames])
        page.wait_for_timeout(300)
    return out


def measure_browser(presses: int = 11, script: str = "app.py", profile: bool = True, *, slider: str = "Steps",
                    cwd: Path = REPO_ROOT, env: dict[str, str] | None = None) -> dict:
    """Start the server (on ``script``, in ``cwd`` with ``env``) and Chromium; time two page loads and ``presses``
    key presses (ArrowRight) on the slider labelled ``slider``.

    Also the CPU seconds the server and the whole machine spent on the presses (the rest is mostly Chromium),
    and with ``profile`` where the page's JavaScript time went.
    """
    from playwright.sync_api import sync_playwright

    out: dict = {}
    with (streamlit_server(SERVER_LOG, script, cwd=cwd, env=env) as (base_url, healthy_s, pid),
          sync_playwright() as playwright):
        out["server_healthy_s"] = healthy_s
        browser = playwright.chromium.launch(executable_path=chromium_path(), headless=True, args=CHROMIUM_ARGS)
        try:
            loads, received = [], [0]

            def count_frames(ws) -> None:
                ws.on("framereceived", lambda payload: received.__setitem__(0, received[0] + len(payload)))

            for _ in range(2):  # the first visit pays the server's imports and cold caches; the second does not
                context = browser.new_context(viewport=VIEWPORT)
                context.set_default_timeout(TIMEOUT_MS)
                context.add_init_script(_PROBE_JS)
                page = context.new_page()
                page.on("websocket", count_frames)
                received[0] = 0
                loads.append({**_load(page, base_url), "ws_bytes": received[0]})
                if len(loads) < 2:
                    context.close()
            out["loads"] = loads
            thumb = _slider_thumb(page, slider)
            out["steps_before"] = _slider_value(thumb)
            thumb.focus()
            samples = []
            server_cpu, machine_cpu, wall = cpu_seconds(pid), cpu_seconds(), time.perf_counter()
            page_cpu = renderer_cpu_seconds()
            for _ in range(presses):
                before = received[0]
                r = _press(page)
                seen = r["runStart"] is not None and r["idle"] is not None  # else: too fast for the page to show
                samples.append({
                    "total": max(r["idle"] or 0.0, r["afterplot"]) - r["key"],
                    "to_run_start": r["runStart"] - r["key"] if seen else float("nan"),
                    "run": r["idle"] - r["runStart"] if seen else float("nan"),
                    "redraw_tail": max(0.0, r["afterplot"] - r["idle"]) if seen else float("nan"),
                    "main_thread_busy": r["busy"],
                    "charts": r["perChart"],
                    "ws_bytes": received[0] - before,
                    "charts_kept": r["kept"],
                })
            out["cpu"] = {"server_s": cpu_seconds(pid) - server_cpu, "machine_s": cpu_seconds() - machine_cpu,
                          "page_s": renderer_cpu_since(page_cpu),
                          "wall_s": time.perf_counter() - wall, "presses": presses}
            out["presses"] = samples
            out["steps_after"] = _slider_value(thumb)
            if profile:
                out["js_profile_ms_per_press"] = _js_profile(page, 3)
            if page.locator(".cv-scrub").count():  # the comparison's canvas: steps and previews in the browser
                out["fps"] = measure_canvas_fps(page)
            context.close()
        finally:
            browser.close()
    return out


if __name__ == "__main__":  # quick manual check: python -m bench.browser
    result = measure_browser()
    for key, value in result.items():
        if key != "presses":
            print(key, value)
    print(result["presses"][-1]["charts"], result["presses"][-1]["ws_bytes"])
    print({k: round(v) for k, v in list(result["js_profile_ms_per_press"].items())[:12]})
    print("fps", result.get("fps"))
    for name in ("total", "to_run_start", "run", "redraw_tail", "main_thread_busy"):
        values = [s[name] for s in result["presses"]]
        print(f"{name}: median {statistics.median(values):.0f} ms, max {max(values):.0f} ms")
