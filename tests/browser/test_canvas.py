"""The comparison view's live canvas (``ui/canvas``), driven in headless Chromium against a real ``streamlit run``.

Each interaction the canvas exists for: the plot element persists across a sidebar press (updated in place, not
re-created); scrubbing and Play move every view without a script run; a drag of a live slider shows intermediate
paths and ends on the engine's own run for the released value; a click anywhere on the plot area sets the start;
the picture comes first at classroom sizes; presentation mode enlarges everything. Reruns are counted from the
server's script-finished messages (``script_runs``). Expected numbers come from the engine itself, never typed in.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
from conftest import expect_rerun, open_app, screenshot, script_runs, select_option, wait_for_rerun, wait_idle
from test_app_browser import assert_clean_layout, data_to_client, open_run, press_slider, query_of, sidebar_widget

from plots.curves import curve_values
from plots.runs import RunView, as_xs
from ui.compute import Scene, make_surface, scene_run
from ui.config import AppConfig, RunConfig

pytestmark = pytest.mark.browser

DEFAULT = AppConfig()
SCENE = Scene.of(DEFAULT)
SIZES = [(1024, 768), (1280, 720), (1600, 1000)]
DEFAULT_SURFACE = make_surface(DEFAULT.surface, DEFAULT.surface_params)
DEFAULT_BOUNDS = DEFAULT_SURFACE.bounds

# The traces of canvas chart `id` ("contour", "curves", "surface3d") with meta.role `role`, decoded, as drawn: in
# the chart's own plot and in the layers over it (the contour's moving layer, painted, and its top plot), in
# drawing order.
_DRAWN_JS = """(id) => [document.querySelector(`.cv-chart[data-chart="${id}"]`),
                        ...document.querySelectorAll(`.cv-layer[data-layer-of="${id}"]`)]
  .flatMap((layer) => (layer && (layer._fullData || layer.__traces)) || [])"""
_TRACES_JS = f"""([id, role]) => {{
  const arr = (a) => (a ? Array.from(a, (v) => (v === null || v === undefined ? NaN : Number(v))) : []);
  return ({_DRAWN_JS})(id).filter((t) => t.meta && t.meta.role === role)
    .map((t) => ({{name: t.name, run: t.meta.run, x: arr(t.x), y: arr(t.y), z: arr(t.z)}}));
}}"""


def traces(page, chart: str, role: str) -> list[dict]:
    return page.evaluate(_TRACES_JS, [chart, role])


def finite(values) -> np.ndarray:
    values = np.asarray(values, dtype=float)
    return values[np.isfinite(values)]


def engine_path(run: RunConfig, scene: Scene = SCENE) -> np.ndarray:
    """The engine's iterates ``(T+1, 2)`` for one run of the default scene (NaN from a divergence on, as drawn)."""
    return as_xs(scene_run(scene, run))[:, 0]


def engine_curve(run: RunConfig, kind: str = "loss") -> np.ndarray:
    """The curve of ``kind`` the curves chart draws for one run of the default scene (as plotted: clipped for a
    log axis, NaN after a divergence)."""
    _, y, _ = curve_values(RunView("", "#000000", scene_run(SCENE, run)), kind, surface=DEFAULT_SURFACE,
                           optimal_value=DEFAULT_SURFACE.optimal_value)
    return y[:, 0]


def contour_index(page) -> int:
    return page.evaluate(
        "() => [...document.querySelectorAll('.js-plotly-plot')].findIndex((gd) => gd.dataset.chart === 'contour')")


def ledger_title(page) -> str:
    return page.locator(".cv-ledger-title").inner_text()


# --------------------------------------------------------------------------------------------------- persistence


def test_the_plot_element_survives_a_sidebar_slider_press(page, streamlit_server):
    open_app(page, streamlit_server)
    # Tag the contour's plot div, and count plot divs removed from the page from now on.
    page.evaluate("""() => {
      document.querySelector('.cv-chart[data-chart="contour"]').__tag = "the same element";
      window.__removedPlots = 0;
      new MutationObserver((records) => records.forEach((r) => r.removedNodes.forEach((n) => {
        if (n.nodeType === 1 && (n.matches(".js-plotly-plot") || n.querySelector(".js-plotly-plot")))
          window.__removedPlots += 1;
      }))).observe(document.body, {childList: true, subtree: true});
    }""")
    before = traces(page, "contour", "path")[0]
    open_run(page, 1)  # a run shows one line until it is opened
    with expect_rerun(page):
        press_slider(page, sidebar_widget(page, "stSlider", "learning rate").first, "ArrowRight", 1)
    page.wait_for_function(
        """(x) => { const gd = document.querySelector('.cv-chart[data-chart="contour"]');
                    const t = gd._fullData.find((t) => t.meta && t.meta.role === "path");
                    return t && Array.from(t.x).some((v, i) => v !== x[i]); }""",
        arg=before["x"], timeout=10_000)
    assert page.evaluate("() => document.querySelector('.cv-chart[data-chart=\"contour\"]').__tag") == \
        "the same element"
    assert page.evaluate("() => window.__removedPlots") == 0
    assert traces(page, "contour", "path")[0]["x"][0] == before["x"][0]  # same start, new path



# Every canvas plot by name ("contour", "curves", ..., and "contour.top" for a layer over a chart): how often
# plotly.js was given its traces since the first call (Plotly.react; a relayout that follows the base's area moves
# them only), and when the canvas last found it unchanged (data-kept-at); also the minima the top layer holds.
_PLOTS_JS = """() => {
  const name = (gd) => gd.dataset.chart || `${gd.dataset.layerOf}.${gd.dataset.layer}`;
  if (!window.__reacts) {
    window.__reacts = {};
    const react = window.Plotly.react;
    window.Plotly.react = function (div, ...rest) {
      window.__reacts[name(div)] = (window.__reacts[name(div)] || 0) + 1;
      return react.call(this, div, ...rest);
    };
  }
  const plots = [...document.querySelectorAll(".cv-chart, .cv-layer")];
  const top = document.querySelector('.cv-layer[data-layer-of="contour"][data-layer="top"]');
  return {reacts: {...window.__reacts}, now: performance.now(),
          kept: Object.fromEntries(plots.map((gd) => [name(gd), Number(gd.dataset.keptAt || 0)])),
          minima: top._fullData.filter((t) => t.meta.role === "minimum")
            .flatMap((t) => Array.from(t.x, (x, i) => [x, t.y[i]]))};
}"""


def looked_at(page, plot: str, since: dict) -> dict:
    """The plots once the canvas has drawn ``plot`` or found it unchanged after ``since`` (a :data:`_PLOTS_JS`
    reading): Streamlit is idle a moment before the canvas is given a rerun's data."""
    page.wait_for_function(f"""([plot, reacts, now]) => {{ const p = ({_PLOTS_JS})();
                                 return (p.reacts[plot] || 0) > reacts || p.kept[plot] > now; }}""",
                           arg=[plot, since["reacts"].get(plot, 0), since["now"]])
    return page.evaluate(_PLOTS_JS)


def test_the_top_layer_is_redrawn_only_when_what_it_shows_changes(page, streamlit_server):
    """A press that moves only the runs leaves the minima as they were: the top layer is not drawn again (about 20 ms
    of every press). A new surface is redrawn there, with its own minima."""
    open_app(page, streamlit_server)
    before = page.evaluate(_PLOTS_JS)
    open_run(page, 1)
    with expect_rerun(page):
        press_slider(page, sidebar_widget(page, "stSlider", "learning rate").first, "ArrowRight", 1)
    after = looked_at(page, "contour.top", before)
    assert after["reacts"].get("contour.top", 0) == 0 and after["reacts"]["contour"] >= 1  # kept; the runs moved
    select_option(page, "Surface", "Rosenbrock")
    expected = make_surface("rosenbrock", ()).minima
    page.wait_for_function(f"(want) => JSON.stringify(({_PLOTS_JS})().minima) === JSON.stringify(want)",
                           arg=expected.tolist())
    rosenbrock = page.evaluate(_PLOTS_JS)
    assert rosenbrock["reacts"]["contour.top"] >= 1
    np.testing.assert_allclose(rosenbrock["minima"], expected, atol=1e-6)


def test_a_chart_whose_figure_did_not_change_is_not_redrawn(page, streamlit_server):
    """Switching the curves' kind redraws the curves chart (a new y axis) and leaves the contour as it was: plotly.js
    would redraw it whole (30-70 ms) for the same picture."""
    open_app(page, streamlit_server)
    before = page.evaluate(_PLOTS_JS)
    with expect_rerun(page):
        page.locator(".cv-kind", has_text="Gradient norm").click()
    looked_at(page, "contour", before)
    page.wait_for_function("""() => document.querySelector('.cv-chart[data-chart="curves"]')
                                      ._fullLayout.yaxis.title.text === "‖∇f‖" """)
    after = page.evaluate(_PLOTS_JS)
    assert after["reacts"].get("contour", 0) == 0 and after["reacts"].get("curves", 0) >= 1, after
    assert traces(page, "contour", "path") and traces(page, "contour", "grown")  # still drawn


# The contour's plot area in its own plot and in each plot layered over it: offsets, lengths and ranges of both axes.
# (The moving layer is a 2D canvas: it reports where it painted.)
_AREAS_JS = """() => [document.querySelector('.cv-chart[data-chart="contour"]'),
                      ...document.querySelectorAll('.cv-layer[data-layer-of="contour"]')].map((gd) => {
  const box = gd.getBoundingClientRect();
  if (gd.__area) return [...gd.__area.x, ...gd.__area.y, box.left, box.top, gd.__area.width, gd.__area.height];
  const l = gd._fullLayout;
  return ["xaxis", "yaxis"].map((a) => [l[a]._offset, l[a]._length, ...l[a].range]).flat()
    .concat([box.left, box.top, l.width, l.height]);
})"""


def test_the_layers_over_the_contour_follow_its_plot_area_and_its_zoom(page, streamlit_server):
    """The moving and top layers draw in the contour's own plot area: the same pixels for the same data, also
    after a zoom (their traces are the run's grown paths, step markers, minima: misplaced, they lie)."""
    open_app(page, streamlit_server)
    areas = page.evaluate(_AREAS_JS)
    assert len(areas) == 3  # the base and its two layers
    assert all(np.allclose(a, areas[0], atol=0.5) for a in areas[1:]), areas
    page.evaluate("""() => window.Plotly.relayout(document.querySelector('.cv-chart[data-chart="contour"]'),
                                                 {"xaxis.range": [-3, 4], "yaxis.range": [-2, 2]})""")
    page.wait_for_function(f"() => ({_AREAS_JS})().every((a) => Math.abs(a[2] + 3) < 1e-9)", timeout=5_000)
    zoomed = page.evaluate(_AREAS_JS)
    assert all(np.allclose(a, zoomed[0], atol=0.5) for a in zoomed[1:]), zoomed
    assert zoomed[0][2:4] == [-3, 4]
    grown = traces(page, "contour", "grown")
    assert grown and all(len(finite(t["x"])) == DEFAULT.steps + 1 for t in grown)  # still drawn after the zoom


# The colour painted at each run's step marker, read from the moving layer's own pixels (the canvas holds only
# that layer: the contour under it does not mix in), with where the base's axes put the marker.
_MARKER_PIXELS_JS = """() => {
  const canvas = document.querySelector('.cv-layer[data-layer="moving"]');
  const l = document.querySelector('.cv-chart[data-chart="contour"]')._fullLayout;
  const ratio = canvas.width / canvas.getBoundingClientRect().width;
  const ctx = canvas.getContext("2d");
  return canvas.__traces.filter((t) => t.meta.role === "step").map((t) => {
    const x = l.xaxis._offset + l.xaxis.c2p(t.x[0]), y = l.yaxis._offset + l.yaxis.c2p(t.y[0]);
    return {run: t.meta.run, color: t.marker.color,
            rgba: Array.from(ctx.getImageData(Math.round(x * ratio), Math.round(y * ratio), 1, 1).data)};
  });
}"""


def test_the_moving_layer_paints_each_step_marker_where_the_axes_put_it(page, streamlit_server):
    """What the 2D canvas paints is at the data's place and in the run's colour (a misplaced painter would still
    hand the tests the right numbers: here the pixels themselves are read)."""
    paths = np.stack([engine_path(run) for run in DEFAULT.runs])  # (runs, T+1, 2)
    apart = [t for t in range(1, DEFAULT.steps) if min(np.linalg.norm(paths[i, t] - paths[j, t])
                                                      for i in range(len(paths)) for j in range(i))
             > 0.1 * np.ptp(DEFAULT_BOUNDS[0])]  # no marker over another: a tenth of the view apart
    open_app(page, streamlit_server, f"step={apart[0]}")
    pixels = page.evaluate(_MARKER_PIXELS_JS)
    assert len(pixels) == len(DEFAULT.runs)
    for p in pixels:
        expected = [int(p["color"][k:k + 2], 16) for k in (1, 3, 5)]
        assert p["rgba"][3] == 255 and np.allclose(p["rgba"][:3], expected, atol=2), p


# --------------------------------------------------------------------------------------------------- steps


def _scrub(page, event: str, step: int | None = None) -> None:
    """Move the scrubber as a held mouse does ("input": still held) or let it go ("change": released)."""
    page.evaluate("""([event, step]) => { const s = document.querySelector(".cv-scrub");
                                          if (step !== null) s.value = String(step);
                                          s.dispatchEvent(new Event(event, {bubbles: true})); }""", [event, step])


def test_scrubbing_moves_every_view_without_a_rerun(page, streamlit_server):
    open_app(page, streamlit_server, "3d=1&overlays=step_arrows")
    runs = script_runs(page)
    t = DEFAULT.steps // 3
    paths = [engine_path(run) for run in DEFAULT.runs]

    _scrub(page, "input", t)
    page.wait_for_function("(t) => document.querySelector('.cv-ledger-title').textContent.includes(`step ${t}`)",
                           arg=t, timeout=5_000)
    # Contour markers, grown paths, 3D markers and the curves' cursor all stand at step t, drawn in the browser.
    markers = traces(page, "contour", "step")
    assert [(m["x"][0], m["y"][0]) for m in markers] == [
        (pytest.approx(p[t, 0], rel=1e-5, abs=1e-6), pytest.approx(p[t, 1], rel=1e-5, abs=1e-6)) for p in paths]
    for grown, path in zip(traces(page, "contour", "grown"), paths, strict=True):
        assert len(finite(grown["x"])) == t + 1  # the path up to step t, the rest a gap
        assert grown["x"][t] == pytest.approx(path[t, 0], rel=1e-5, abs=1e-6)
    assert len(traces(page, "contour", "path")[0]["x"]) == DEFAULT.steps + 1  # the whole path stays, faint
    in_3d = traces(page, "surface3d", "step")
    assert [(m["x"][0], m["y"][0]) for m in in_3d] == [(m["x"][0], m["y"][0]) for m in markers]
    cursor = page.evaluate(_CURSOR_JS)
    assert cursor["step"] == str(t) and cursor["left"] == pytest.approx(cursor["at_t"], abs=0.5), cursor
    arrows = traces(page, "contour", "arrow")
    assert arrows and all(a["x"][0] == pytest.approx(paths[a["run"]][t, 0], rel=1e-5) for a in arrows)
    row = page.locator(".cv-ledger tr").nth(1).inner_text()
    assert f"\t{t}\t" in row, row
    assert script_runs(page) == runs, "scrubbing ran the script"

    # Released, the step is reported once (a rerun), and the page keeps it.
    _scrub(page, "change")
    wait_for_rerun(page, since=runs)
    assert script_runs(page) == runs + 1
    assert f"step {t}" in ledger_title(page)
    assert traces(page, "contour", "step")[0]["x"][0] == markers[0]["x"][0]

    # The keyboard moves the scrubber too.
    page.locator(".cv-scrub").focus()
    page.keyboard.press("End")
    page.wait_for_function("(t) => document.querySelector('.cv-ledger-title').textContent.includes(`step ${t}`)",
                           arg=DEFAULT.steps, timeout=5_000)
    screenshot(page, "canvas-scrubbed")


# The curves' step cursor (a line the canvas places itself): its step, and its left edge against the x axis's t.
_CURSOR_JS = """() => {
  const line = document.querySelector(".cv-cursor");
  const l = document.querySelector('.cv-chart[data-chart="curves"]')._fullLayout, step = line.dataset.step;
  return {step, left: parseFloat(line.style.left), at_t: l.xaxis._offset + l.xaxis.l2p(Number(step)),
          hidden: line.hidden};
}"""

_PLAYING_JS = f"""() => {{
  const contour = ({_DRAWN_JS})("contour");
  const role = (r) => contour.filter((t) => t.meta && t.meta.role === r);
  const finite = (a) => Array.from(a).filter((v) => v !== null && Number.isFinite(Number(v))).length;
  return {{step: Number(document.querySelector(".cv-scrub").value),
          markers: role("step").map((t) => [Number(t.x[0]), Number(t.y[0])]),
          grown: role("grown").map((t) => finite(t.x)),
          in3d: document.querySelector('.cv-chart[data-chart="surface3d"]')._fullData
            .filter((t) => t.meta && t.meta.role === "step").map((t) => [Number(t.x[0]), Number(t.y[0])]),
          ledger: document.querySelector(".cv-ledger-title").textContent}};
}}"""


def test_play_moves_every_view_without_a_rerun(page, streamlit_server):
    open_app(page, streamlit_server, "3d=1&step=0")  # from the first step (a page opens at the last)
    runs = script_runs(page)
    page.locator(".cv-speed").select_option("0.25")
    page.locator(".cv-loop input").check()  # looping: however slow the machine, Pause finds it still playing
    start = page.evaluate(_PLAYING_JS)
    page.locator(".cv-play").click()
    page.wait_for_function("() => Number(document.querySelector('.cv-scrub').value) >= 5", timeout=10_000)
    first = page.evaluate(_PLAYING_JS)  # one snapshot each: every view read at the same frame
    page.wait_for_timeout(300)
    second = page.evaluate(_PLAYING_JS)
    screenshot(page, "canvas-playing", full_page=False)
    runs_while_playing = script_runs(page)
    page.locator(".cv-play").click()  # Pause (still mid-way: checked below): the step is reported once
    assert first["step"] != second["step"], (first, second)
    for shot in (first, second):
        assert shot["markers"] != start["markers"] and shot["markers"] == shot["in3d"], shot
        assert all(n == shot["step"] + 1 for n in shot["grown"]), shot  # the paths grow as it plays
        assert f"step {shot['step']}" in shot["ledger"], shot
    assert second["markers"] != first["markers"]
    assert runs_while_playing == runs, "Play ran the script"

    wait_for_rerun(page, since=runs)
    assert page.locator(".cv-play").inner_text().strip().endswith("Play")
    paused = int(page.locator(".cv-scrub").input_value())
    page.wait_for_timeout(300)
    assert int(page.locator(".cv-scrub").input_value()) == paused
    assert script_runs(page) == runs + 1
    assert f"step {paused}" in ledger_title(page)


# --------------------------------------------------------------------------------------------------- drag to preview


# The curves chart during a drag: the opacity of run 0's own traces there, and the curve painted over the chart
# for it, with the colour of the painted pixel at its first vertex inside the plot area (through the chart's axes).
_PREVIEW_JS = """() => {
  const gd = document.querySelector('.cv-chart[data-chart="curves"]');
  const canvas = document.querySelector('.cv-layer[data-layer-of="curves"][data-layer="preview"]');
  const own = gd._fullData.filter((t) => t.meta && t.meta.run === 0).map((t) => [t.meta.role, t.opacity]);
  const painted = canvas ? canvas.__traces : [];
  const curve = painted.find((t) => t.meta.role === "curve" && t.meta.run === 0);
  if (!curve) return { own, painted: painted.length };
  const l = gd._fullLayout, ratio = canvas.width / canvas.getBoundingClientRect().width;
  const inside = (x, y) => x > l.xaxis._offset + 2 && x < l.xaxis._offset + l.xaxis._length - 2
                           && y > l.yaxis._offset + 2 && y < l.yaxis._offset + l.yaxis._length - 2;
  const pixels = Array.from(curve.x, (x, i) => [l.xaxis._offset + l.xaxis.c2p(x),
                                                 l.yaxis._offset + l.yaxis.c2p(curve.y[i])]);
  const vertex = pixels.find(([x, y]) => inside(x, y));
  const rgba = vertex && Array.from(canvas.getContext("2d").getImageData(Math.round(vertex[0] * ratio),
                                                                          Math.round(vertex[1] * ratio), 1, 1).data);
  return { own, painted: painted.length, color: curve.line.color, y: Array.from(curve.y, Number), rgba };
}"""


def drag_left(page, slider, moves: int):
    """Press the mouse on a live slider's thumb and move it left (smaller values) in ``moves`` steps, yielding after
    each (the button is still down: release it with ``page.mouse.up()``)."""
    slider.scroll_into_view_if_needed()
    box = slider.bounding_box()
    lo, hi, value = (int(slider.get_attribute(a)) if a != "value" else int(slider.input_value())
                     for a in ("min", "max", "value"))
    # Chromium's range thumb sits at its value's fraction of the track (the thumb's width aside).
    x0 = box["x"] + 8 + (box["width"] - 16) * (value - lo) / (hi - lo)
    y = box["y"] + box["height"] / 2
    page.mouse.move(x0, y)
    page.mouse.down()
    for k in range(1, moves + 1):
        page.mouse.move(x0 - k * (x0 - box["x"]) / (moves + 2), y)
        page.wait_for_timeout(60)
        yield k


def test_dragging_a_live_slider_previews_paths_and_ends_on_the_engines_run(page, streamlit_server):
    open_app(page, streamlit_server)
    first = DEFAULT.runs[0]
    slider = page.locator(".cv-run").first.locator(".cv-slider input")
    key = slider.get_attribute("data-key")
    assert key.endswith(f".{first.optimizer}.lr"), key
    runs = script_runs(page)
    seen = []
    # the page shows the last step: the grown path is the whole path of the value under the thumb
    for _ in drag_left(page, slider, 8):
        seen.append((page.locator(".cv-run").first.locator(".cv-slider-value").inner_text(),
                     tuple(traces(page, "contour", "grown")[0]["x"]), page.evaluate(_PREVIEW_JS)))
    assert script_runs(page) == runs, "the drag ran the script"
    distinct = {path for _, path, _ in seen}
    assert len(distinct) >= 3, [label for label, _, _ in seen]
    # Each preview is the engine's run for the value under the thumb (the fan is one vectorized run of them):
    # its path on the contour, and its loss curve painted over the curves chart, whose own curve gives way.
    label, path, curves = seen[3]
    dragged = RunConfig(first.optimizer, (("lr", float(label)),))
    expected = engine_path(dragged)
    assert np.allclose(np.asarray(path), expected[:, 0], rtol=1e-5, atol=1e-6, equal_nan=True)
    assert curves["painted"] == 1 and curves["own"] and all(opacity == 0 for _, opacity in curves["own"]), curves
    assert np.allclose(curves["y"], engine_curve(dragged), rtol=1e-5, atol=1e-12, equal_nan=True)
    expected_rgb = [int(curves["color"][k:k + 2], 16) for k in (1, 3, 5)]
    assert curves["rgba"][3] == 255 and np.allclose(curves["rgba"][:3], expected_rgb, atol=2), curves["rgba"]

    with expect_rerun(page):
        page.mouse.up()
    released = float(page.locator(".cv-run").first.locator(".cv-slider-value").inner_text())
    wait_idle(page)
    after = page.evaluate(_PREVIEW_JS)  # the preview cleared, the run's own curves drawn again
    assert after["painted"] == 0 and all(opacity == 1 for _, opacity in after["own"]), after
    # The value is now the run's: the sidebar slider, the link, and the path drawn is the engine's run for it.
    open_run(page, 1)
    sidebar_value = press_slider(page, sidebar_widget(page, "stSlider", "learning rate").first, "Shift", 0)
    assert float(sidebar_value) == released
    assert query_of(page)["run"][0] == f"{first.optimizer}:lr={released:g}"
    drawn = traces(page, "contour", "path")[0]
    expected = engine_path(RunConfig(first.optimizer, (("lr", released),)))
    assert np.allclose(drawn["x"], expected[:, 0], rtol=1e-5, atol=1e-6, equal_nan=True)
    assert np.allclose(drawn["y"], expected[:, 1], rtol=1e-5, atol=1e-6, equal_nan=True)
    assert f"η={released:g}" in drawn["name"]


def test_a_drag_moves_the_run_in_the_3d_view_too(page, streamlit_server):
    open_app(page, streamlit_server, "3d=1")
    slider = page.locator(".cv-run").first.locator(".cv-slider input")
    before = traces(page, "surface3d", "path")[0]
    for _ in drag_left(page, slider, 4):
        pass
    label = page.locator(".cv-run").first.locator(".cv-slider-value").inner_text()
    in_3d = traces(page, "surface3d", "path")[0]
    page.mouse.up()
    wait_idle(page)
    # the 3D path is the fan member's: the engine's run for the value under the thumb, on the surface, in the view
    expected = engine_path(RunConfig(DEFAULT.runs[0].optimizer, (("lr", float(label)),)))
    shown = np.isfinite(in_3d["x"])
    assert shown.sum() > 1 and not np.allclose(in_3d["x"], before["x"], equal_nan=True), label
    assert np.allclose(np.asarray(in_3d["x"])[shown], expected[shown, 0], rtol=1e-5, atol=1e-6)
    z = DEFAULT_SURFACE.f(expected[shown])
    assert np.all(np.diff(np.asarray(in_3d["z"])[shown][np.argsort(z, kind="stable")]) >= -1e-4)


# --------------------------------------------------------------------------------------------------- click to start


_PLOT_BOX_JS = """() => {
  const gd = document.querySelector('.cv-chart[data-chart="contour"]'), l = gd._fullLayout;
  const box = gd.getBoundingClientRect();
  return [box.left, box.top, l.xaxis._offset, l.yaxis._offset, l.xaxis._length, l.yaxis._length];
}"""


def test_a_click_anywhere_on_the_plot_area_sets_the_start(page, streamlit_server):
    open_app(page, streamlit_server)
    index = contour_index(page)
    settled(page, _PLOT_BOX_JS)  # a click where the plot stands still: on a loaded machine it can still move
    target = (2.3, -3.7)  # not on any grid: the click's own pixel decides
    px, py = data_to_client(page, index, *target)
    per_pixel = page.evaluate(
        "(i) => { const l = document.querySelectorAll('.js-plotly-plot')[i]._fullLayout;"
        " return Math.max(Math.abs(l.xaxis.p2d(1) - l.xaxis.p2d(0)), Math.abs(l.yaxis.p2d(1) - l.yaxis.p2d(0))); }",
        index)
    with expect_rerun(page):
        page.mouse.click(px, py)
    page.wait_for_function("() => new URLSearchParams(location.search).get('start') !== null", timeout=10_000)
    wait_idle(page)
    sx, sy = (float(v) for v in query_of(page)["start"][0].split(","))
    assert math.hypot(sx - target[0], sy - target[1]) <= 1.5 * per_pixel, ((sx, sy), target, per_pixel)
    for path in traces(page, "contour", "path"):
        assert (path["x"][0], path["y"][0]) == (pytest.approx(sx, abs=1e-4), pytest.approx(sy, abs=1e-4))


# --------------------------------------------------------------------------------------------------- the picture first

_PLOT_AREA_JS = """() => {
  const gd = document.querySelector('.cv-chart[data-chart="contour"]');
  const l = gd._fullLayout, box = gd.getBoundingClientRect();
  const top = box.top + l.yaxis._offset, left = box.left + l.xaxis._offset;
  const w = l.xaxis._length, h = l.yaxis._length;
  const visible = Math.max(0, Math.min(top + h, innerHeight) - Math.max(top, 0)) *
                  Math.max(0, Math.min(left + w, innerWidth) - Math.max(left, 0));
  const bar = gd.querySelector(".colorbar").getBoundingClientRect();
  return {w, h, fraction: visible / (w * h), colorbar_inside: bar.right <= Math.min(box.right, innerWidth) + 1,
          controls: [...document.querySelectorAll(".cv-bar > *")].every((e) => {
            const b = e.getBoundingClientRect(); return b.right <= innerWidth && b.bottom <= innerHeight; }),
          tabs: [...document.querySelectorAll('[data-testid="stMain"] [data-testid="stButtonGroup"] button')].every(
            (e) => e.getBoundingClientRect().right <= innerWidth)};
}"""


LINKS = {"default": "", "present": "present=1", "lesson": "lesson=zigzag", "lesson-present": "lesson=saddle&present=1"}


def settled(page, script: str, *, every_ms: int = 300, stable: int = 4, timeout_ms: int = 12_000) -> dict:
    """``script``'s reading once ``stable`` readings in a row, ``every_ms`` apart, agree: the layout has settled
    (on a loaded machine the page's own styles can arrive a second after the canvas first fits the contour)."""
    readings = [page.evaluate(script)]
    for _ in range(timeout_ms // every_ms):
        page.wait_for_timeout(every_ms)
        readings.append(page.evaluate(script))
        if len(readings) >= stable and all(r == readings[-1] for r in readings[-stable:]):
            break
    return readings[-1]


@pytest.mark.parametrize("link", LINKS)
@pytest.mark.parametrize("size", SIZES, ids=[f"{w}x{h}" for w, h in SIZES])
def test_the_contour_comes_first_at_classroom_sizes(page, streamlit_server, size, link):
    """On the default page, in a presentation link and in a lesson (as a teacher projects it)."""
    width, height = size
    page.set_viewport_size({"width": width, "height": height})
    open_app(page, streamlit_server, LINKS[link])
    area = settled(page, _PLOT_AREA_JS)  # the canvas fits the contour to the window once what is above it is drawn
    assert area["fraction"] >= 0.9, area
    assert min(area["w"], area["h"]) >= 0.45 * height, area
    assert area["colorbar_inside"] and area["controls"] and area["tabs"], area
    assert_clean_layout(page)
    screenshot(page, f"canvas-{width}x{height}-{link}", full_page=False)


# Whether the curves chart stands beside the contour (to its right, overlapping its height), not below it.
_CURVES_BESIDE_JS = """() => {
  const box = (id) => document.querySelector(`.cv-chart[data-chart="${id}"]`).getBoundingClientRect();
  const contour = box("contour"), curves = box("curves");
  return curves.left >= contour.right - 1 && curves.top < contour.bottom;
}"""


@pytest.mark.parametrize(("width", "height", "beside"), [(1400, 900, False), (1600, 1000, True)])
def test_the_curves_stand_beside_the_contour_only_where_it_keeps_its_share_of_the_window(
        page, streamlit_server, width, height, beside):
    """At 1400×900 the curves beside the contour left its plot 354 px high (39 % of the window): they go below.
    At 1600×1000 the plot keeps 45 % beside them, and they stay there."""
    page.set_viewport_size({"width": width, "height": height})
    open_app(page, streamlit_server)
    area = settled(page, _PLOT_AREA_JS)
    assert min(area["w"], area["h"]) >= 0.45 * height and area["fraction"] >= 0.9, area
    assert page.evaluate(_CURVES_BESIDE_JS) == beside
    screenshot(page, f"canvas-{width}x{height}-side", full_page=False)


def test_presentation_mode_enlarges_the_canvas_controls_and_ledger(page, streamlit_server):
    # null until every element is drawn (a second load can report idle before the view's tabs are back)
    sizes_js = """() => {
      const size = (selector) => { const e = document.querySelector(selector);
                                   return e ? parseFloat(getComputedStyle(e).fontSize) : null; };
      const contour = document.querySelector('.cv-chart[data-chart="contour"]');
      const out = {bar: size(".cv-play"), ledger: size(".cv-ledger td"), slider: size(".cv-run-title"),
                   figure: contour && contour._fullLayout ? contour._fullLayout.font.size : null,
                   tabs: size('[data-testid="stMain"] [data-testid="stButtonGroup"] button p')};
      return Object.values(out).every((v) => v) ? out : null;
    }"""
    open_app(page, streamlit_server)
    before = page.wait_for_function(sizes_js, timeout=20_000).json_value()
    open_app(page, streamlit_server, "present=1")
    page.wait_for_function(f"() => {{ const s = ({sizes_js})(); return s && s.bar > {before['bar']}; }}",
                           timeout=20_000)
    after = page.wait_for_function(sizes_js, timeout=20_000).json_value()
    for name in before:
        assert after[name] > 1.2 * before[name], (name, before, after)
