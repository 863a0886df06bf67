"""Every control and view of the real app, driven in headless Chromium.

One ``streamlit run app.py`` serves the whole session (``streamlit_server``); each test opens its own page. What a
chart draws is read from the Plotly graph div itself (``gd._fullData`` / ``gd._fullLayout``); screenshots go to
``artifacts/screenshots/`` and are meant to be looked at, not just produced.
"""

from __future__ import annotations

import math
import re
from urllib.parse import parse_qs, urlencode, urlparse

import pytest
from conftest import (
    DEFAULT_TIMEOUT_MS,
    EXCEPTION,
    chart_index,
    expect_rerun,
    open_app,
    plotly_summary,
    screenshot,
    screenshot_app,
    select_option,
    wait_idle,
)
from playwright.sync_api import TimeoutError as PlaywrightTimeoutError

from surfaces import get_surface
from ui.config import MAX_STEPS, AppConfig, encode_run, from_query, to_query
from ui.lessons import LESSONS

pytestmark = pytest.mark.browser

DEFAULT = AppConfig()  # what a link without parameters shows (other people tune it: read it, never hard-code it)
DEFAULT_RUNS = [encode_run(run) for run in DEFAULT.runs]
DEFAULT_START = tuple(float(v) for v in get_surface(DEFAULT.surface).start)

SIDEBAR = '[data-testid="stSidebar"]'
MAIN = '[data-testid="stMain"]'
WARNING = '[data-testid="stAlertContentWarning"]'
ERROR = '[data-testid="stAlertContentError"]'
INFO = '[data-testid="stAlertContentInfo"]'

# Traces of chart ``index`` (document order) whose meta.role is ``role``, with their decoded data.
_TRACES_JS = """([index, role]) => {
  const gd = document.querySelectorAll(".js-plotly-plot")[index];
  if (!gd || !gd._fullData) return [];
  const arr = (a) => (a ? Array.from(a, (v) => (v === null || v === undefined ? NaN : Number(v))) : []);
  return gd._fullData
    .filter((t) => (role === null ? true : t.meta && t.meta.role === role))
    .map((t) => ({type: t.type, name: t.name, role: t.meta && t.meta.role, x: arr(t.x), y: arr(t.y),
                  z: t.type === "scatter3d" ? arr(t.z) : [], visible: t.visible}));
}"""


# Overlaps and clipping that assertions on data would never see, found in screenshots: for every 2D chart, tick
# labels and axis titles inside the chart and off the plot area, legend clear of the x title, colour-bar title clear
# of its tick labels, Play/Pause buttons clear of the animation slider. Returns what is wrong, as sentences.
_LAYOUT_PROBLEMS_JS = """() => {
  const problems = [];
  const box = (el) => el.getBoundingClientRect();
  const overlap = (a, b) =>
    a.left < b.right - 1 && b.left < a.right - 1 && a.top < b.bottom - 1 && b.top < a.bottom - 1;
  const visible = (el) => { const b = box(el); return b.width > 0 && b.height > 0 && el.textContent.trim() !== ""; };
  [...document.querySelectorAll(".js-plotly-plot")].forEach((gd, index) => {
    const layout = gd._fullLayout;
    if (!layout || !layout.xaxis || !layout.yaxis) return;  // 3D scenes draw their own labels
    const chart = box(gd), name = `chart ${index}`;
    const texts = (sel) => [...gd.querySelectorAll(sel)].filter(visible);
    for (const el of texts(".xtick text, .ytick text, .g-xtitle text, .g-ytitle text")) {
      const b = box(el);
      if (b.left < chart.left - 1 || b.right > chart.right + 1 || b.top < chart.top - 1 || b.bottom > chart.bottom + 1)
        problems.push(`${name}: axis text '${el.textContent}' is cut off at the chart's edge`);
    }
    const plotLeft = chart.left + layout.xaxis._offset;
    for (const el of texts(".g-ytitle text")) {
      if (box(el).right > plotLeft + 1) problems.push(`${name}: y title '${el.textContent}' lies over the plot`);
    }
    const legend = gd.querySelector(".legend");
    for (const el of texts(".g-xtitle text")) {
      if (legend && overlap(box(legend), box(el))) problems.push(`${name}: the legend covers the x title`);
    }
    for (const bar of gd.querySelectorAll(".colorbar")) {
      const title = [...bar.querySelectorAll("text")].filter((t) => /title/.test(t.getAttribute("class") || ""));
      const ticks = [...bar.querySelectorAll("text")].filter((t) => !title.includes(t) && visible(t));
      // The title must clear the tick labels' column: to its right or above it, not in between two labels.
      const right = Math.max(...ticks.map((t) => box(t).right)), top = Math.min(...ticks.map((t) => box(t).top));
      for (const t of title.filter(visible)) {
        if (ticks.length && box(t).left < right - 1 && box(t).bottom > top + 1)
          problems.push(`${name}: the colour-bar title '${t.textContent}' sits among its tick labels`);
      }
    }
    const rail = gd.querySelector(".slider-rail-rect");
    for (const button of gd.querySelectorAll(".updatemenu-button")) {
      if (rail && box(button).right > box(rail).left - 2)
        problems.push(`${name}: a Play/Pause button overlaps the slider`);
    }
  });
  return [...new Set(problems)];
}"""


# --------------------------------------------------------------------------------------------------- helpers


def assert_clean_layout(page) -> None:
    problems = page.evaluate(_LAYOUT_PROBLEMS_JS)
    assert not problems, "\n".join(problems)


def traces(page, index: int, role: str | None) -> list[dict]:
    return page.evaluate(_TRACES_JS, [index, role])


def finite_points(trace: dict) -> int:
    return sum(math.isfinite(x) and math.isfinite(y) for x, y in zip(trace["x"], trace["y"], strict=True))


def query_of(page) -> dict[str, list[str]]:
    return parse_qs(urlparse(page.url).query)


def sidebar_widget(page, testid: str, label: str):
    """The sidebar widget of type ``testid`` (e.g. "stSlider") whose label contains ``label``."""
    return page.locator(f'{SIDEBAR} [data-testid="{testid}"]').filter(
        has=page.locator('[data-testid="stWidgetLabel"]', has_text=label)
    )


def open_run(page, position: int) -> None:
    """Open run ``position``'s editor in the sidebar (runs are one line each until opened)."""
    page.locator(f'{SIDEBAR} [data-testid="stExpander"] summary').filter(has_text=f"{position}. ").first.click()


def press_slider(page, slider, key: str, times: int) -> str:
    """Focus a Streamlit slider's thumb (react-aria: a hidden range input) and press ``key``; returns its value."""
    thumb = slider.locator('input[type="range"]').first
    thumb.focus()
    for _ in range(times):
        thumb.press(key)
    return thumb.get_attribute("aria-valuetext")


def wait_for_url(page, predicate_js: str, arg=None, timeout_ms: float = 30_000) -> None:
    """Wait until ``predicate_js(params, arg)`` holds for the page's URLSearchParams, then until Streamlit is idle."""
    page.wait_for_function(
        f"(arg) => {{ const params = new URLSearchParams(location.search); return ({predicate_js})(params, arg); }}",
        arg=arg,
        timeout=timeout_ms,
    )
    wait_idle(page)


def data_to_client(page, index: int, x: float, y: float) -> tuple[float, float]:
    """Page pixel coordinates of data point (x, y) in chart ``index``.

    The axes are constrained to keep the aspect ratio ("constrain": "domain"), so the plot area is not simply the
    margins: each axis' ``_offset`` is where it really starts.
    """
    return tuple(
        page.evaluate(
            """([index, x, y]) => {
              const gd = document.querySelectorAll(".js-plotly-plot")[index];
              const layout = gd._fullLayout, box = gd.getBoundingClientRect();
              return [box.left + layout.xaxis._offset + layout.xaxis.l2p(x),
                      box.top + layout.yaxis._offset + layout.yaxis.l2p(y)];
            }""",
            [index, x, y],
        )
    )


def wait_for_first_path(page, predicate_js: str, arg=None, timeout_ms: float = DEFAULT_TIMEOUT_MS) -> None:
    """Wait until ``predicate_js(trace, arg)`` holds for the contour's first path (charts redraw after the run).

    On a timeout the failure says what the first path is named instead, and how many updates the canvas drew.
    """
    found = """() => {
      const gd = [...document.querySelectorAll(".js-plotly-plot")]
        .find((g) => (g._fullData || []).some((t) => t.meta && t.meta.role === "contour"));
      return gd && gd._fullData.find((t) => t.meta && t.meta.role === "path");
    }"""
    try:
        page.wait_for_function(
            f"(arg) => {{ const trace = ({found})(); return !!trace && ({predicate_js})(trace, arg); }}",
            arg=arg,
            timeout=timeout_ms,
        )
    except PlaywrightTimeoutError:
        name = page.evaluate(f"() => {{ const trace = ({found})(); return trace ? trace.name : null; }}")
        updates = page.evaluate("() => (document.querySelector('.cv-root') || {dataset: {}}).dataset.updates")
        pytest.fail(f"the first path never matched {arg!r}: it is named {name!r} ({updates} canvas updates drawn,"
                    f" at {page.url})", pytrace=False)


def assert_no_exception(page) -> None:
    assert page.locator(EXCEPTION).count() == 0, page.locator(EXCEPTION).first.inner_text()


def lesson_query(name: str, **extra: str) -> str:
    return urlencode({**to_query(LESSONS[name].config), **extra}, doseq=True)


# --------------------------------------------------------------------------------------------------- 1. default page


def test_default_page_draws_paths_in_every_chart(page, streamlit_server):
    # The default scene with the 3D view switched on (3d=1: a display option, off by default since c4df437).
    open_app(page, streamlit_server, "3d=1")
    assert_no_exception(page)
    runs = len(DEFAULT_RUNS)
    assert query_of(page)["run"] == DEFAULT_RUNS, page.url

    contour, surface3d = chart_index(page, "contour"), chart_index(page, "surface")
    assert contour >= 0 and surface3d >= 0
    for index, kind in ((contour, "scatter"), (surface3d, "scatter3d")):
        paths = traces(page, index, "path")
        assert len(paths) == runs, paths
        for path in paths:
            assert path["type"] == kind and path["visible"] is True
            assert finite_points(path) > 10, path["name"]
            assert len({(x, y) for x, y in zip(path["x"], path["y"], strict=True)}) > 5, path["name"]  # it moves
    # The SVG really has the path lines (not just data): one drawn line per run at least.
    drawn = page.evaluate(
        """(index) => [...document.querySelectorAll(".js-plotly-plot")[index]
             .querySelectorAll(".scatterlayer .trace path.js-line")]
             .filter((p) => (p.getAttribute("d") || "").length > 50).length""",
        contour,
    )
    assert drawn >= runs, drawn
    assert plotly_summary(page, contour)["image_count"] == 1  # the filled contour

    curves_index = next(i for i in range(page.locator(".js-plotly-plot").count()) if traces(page, i, "curve"))
    curves = traces(page, curves_index, "curve")
    assert len(curves) == runs and all(finite_points(c) > 10 for c in curves), [c["name"] for c in curves]

    summary = page.locator(MAIN).get_by_role("heading", name="Summary")
    assert summary.is_visible()
    table = page.locator(f'{MAIN} [data-testid="stDataFrame"]').last
    assert table.is_visible() and table.bounding_box()["height"] > 100  # header + one row per run
    assert page.get_by_text(f"Step-by-step ledger at step {DEFAULT.step}").is_visible()  # opens at the last step
    assert_clean_layout(page)
    screenshot_app(page, "app-default")


# --------------------------------------------------------------------------------------------------- 2. a slider


def test_learning_rate_slider_changes_path_and_url(page, streamlit_server):
    open_app(page, streamlit_server)
    contour = chart_index(page, "contour")
    before = traces(page, contour, "path")[0]
    first = DEFAULT.runs[0]
    lr = dict(first.hparams)["lr"]
    assert query_of(page)["run"] == DEFAULT_RUNS and len(first.hparams) == 1, DEFAULT_RUNS  # "<name>:lr=<lr>"

    open_run(page, 1)  # a run shows one line until it is opened
    slider = sidebar_widget(page, "stSlider", "learning rate").first  # Run 1's, the first in the sidebar
    press_slider(page, slider, "ArrowRight", 3)
    # The value the slider settles on, once the URL shows it: read right after the presses it can still be one
    # step behind, and where the reruns fall between the presses decides the stops (they include the current value).
    value = page.wait_for_function(
        """(prefix) => {
          const label = (s) => (s.querySelector('[data-testid="stWidgetLabel"]') || {}).textContent || "";
          const slider = [...document.querySelectorAll('[data-testid="stSidebar"] [data-testid="stSlider"]')]
            .find((s) => label(s).includes("learning rate"));
          const value = slider && slider.querySelector('input[type="range"]').getAttribute("aria-valuetext");
          return value && new URLSearchParams(location.search).getAll("run")[0] === prefix + value ? value : null;
        }""",
        arg=f"{first.optimizer}:lr=",
    ).json_value()
    assert float(value) > lr, (value, lr)
    wait_idle(page)

    wait_for_first_path(page, "(trace, label) => trace.name.includes(label)", f"η={value}")
    after = traces(page, chart_index(page, "contour"), "path")[0]
    assert after["x"][0] == before["x"][0] and after["y"][0] == before["y"][0]  # same start
    assert (after["x"], after["y"]) != (before["x"], before["y"])
    assert f"η={value}" in after["name"], after["name"]
    assert query_of(page)["run"][1:] == DEFAULT_RUNS[1:]  # the other runs are untouched
    assert_no_exception(page)


# 3.-5. A click on the contour, Play and the step scrubber: tests/browser/test_canvas.py (the canvas's own controls).


# --------------------------------------------------------------------------------------------------- 6. lessons


def test_lesson_button_loads_the_lesson(page, streamlit_server):
    open_app(page, streamlit_server)
    lesson = LESSONS["zigzag"]
    page.locator(f'{SIDEBAR} [data-testid="stExpander"] summary').filter(has_text="Lessons").click()
    button = page.locator(SIDEBAR).get_by_role("button", name=lesson.title)
    with expect_rerun(page):
        button.click()
    wait_for_url(page, "(params) => params.get('lesson') === 'zigzag'")

    info = page.locator(f"{MAIN} {INFO}").filter(has_text=lesson.title)
    assert info.count() == 1 and lesson.text[:40] in info.inner_text()
    query = query_of(page)
    assert query["lesson"] == ["zigzag"] and from_query(query) == (lesson.config, []), query  # read against it
    assert len(traces(page, chart_index(page, "contour"), "path")) == len(lesson.config.runs)
    assert_no_exception(page)
    screenshot_app(page, "lesson-zigzag")


@pytest.mark.parametrize("name", ["sharp_flat", "newton_saddle", "bfgs"])
def test_lesson_link_reproduces_the_lesson(page, streamlit_server, name):
    lesson = LESSONS[name]
    open_app(page, streamlit_server, lesson_query(name))
    assert_no_exception(page)
    assert page.locator(f"{MAIN} {WARNING}").count() == 0, page.locator(WARNING).all_inner_texts()
    assert page.locator(f"{MAIN} {INFO}").filter(has_text=lesson.title).count() == 1
    paths = traces(page, chart_index(page, "contour"), "path")
    assert [p["name"] for p in paths] == [run.label for run in lesson.config.runs]
    assert all(finite_points(p) >= 2 for p in paths)
    assert_clean_layout(page)
    screenshot_app(page, f"lesson-{name}")


# --------------------------------------------------------------------------------------------------- 7. views

HEATMAPS_JS = """() => [...document.querySelectorAll(".js-plotly-plot")].flatMap((gd) =>
  (gd._fullData || []).filter((t) => t.type === "heatmap").map((t) => {
    const flat = [...t.z].flatMap((row) => [...row]);
    return {size: flat.length, finite: flat.filter((v) => v !== null && Number.isFinite(v)).length,
            distinct: new Set(flat).size};
  }))"""

VIEW_QUERIES = {
    "basins": "surface=himmelblau&run=sgd:lr=0.01&run=adam:lr=0.05&run=newton&view=basins",
    "sweep": "surface=ill_conditioned_bowl&run=momentum:lr=0.05,momentum=0.7&view=sweep",
    "ensemble": lesson_query("sharp_flat", view="ensemble"),
    "tune": "surface=ill_conditioned_bowl&view=tune",
}


@pytest.mark.parametrize("view", list(VIEW_QUERIES))
def test_exploration_view_draws(page, streamlit_server, view):
    open_app(page, streamlit_server, VIEW_QUERIES[view], expect_chart=view != "tune", timeout_ms=60_000)
    assert_no_exception(page)
    assert page.locator(f"{MAIN} {WARNING}").count() == 0, page.locator(WARNING).all_inner_texts()
    assert query_of(page)["view"] == [view]
    if view in ("basins", "sweep"):
        heatmaps = page.evaluate(HEATMAPS_JS)
        assert len(heatmaps) == (3 if view == "basins" else 1), heatmaps
        # The sweep's 30 × 30 cells, or as many as its time budget allowed on the machine of the moment (timed by
        # a probe run, so a busy machine gets fewer), as the page then says.
        notices = " ".join(page.locator(f"{MAIN} {INFO}").all_inner_texts())
        reduced = re.search(r"so it has (\d+) cells per axis", notices)
        cells = int(reduced.group(1)) ** 2 if view == "sweep" and reduced else 900
        for heatmap in heatmaps:  # no NaN cell: every cell gets a colour of its own meaning
            assert heatmap["size"] >= cells and heatmap["finite"] == heatmap["size"], heatmap
            assert heatmap["distinct"] >= 2, heatmap  # not one flat colour
    elif view == "ensemble":
        fan = chart_index(page, "contour")
        assert fan >= 0
        assert plotly_summary(page, fan)["image_count"] == 1
        paths = [t for t in traces(page, fan, None) if t["type"] in ("scattergl", "scatter")]
        assert sum(finite_points(t) for t in paths) > 100 * 10, [t["name"] for t in paths]  # K = 100 paths
        assert page.locator(f'{MAIN} [data-testid="stDataFrame"]').count() == 1  # where the runs end
        # The run has batch 256: the batch sizes compared are 1 and 256, each once (not 256 twice).
        chips = page.locator(f'{MAIN} [data-testid="stMultiSelect"]').filter(has_text="Batch sizes")
        chips = [c.strip() for c in chips.locator('[data-testid="stMultiSelectTagsContainer"]').inner_text().split()]
        assert sorted(c for c in chips if c.isdigit()) == ["1", "256"], chips
        assert page.locator(f'{MAIN} [role="tab"]').all_inner_texts() == ["B = 1", "B = 256"]
    else:
        table = page.locator(f'{MAIN} [data-testid="stDataFrame"]')
        table.first.wait_for(timeout=30_000)
        assert table.count() == 1 and table.first.bounding_box()["height"] > 100
        assert page.get_by_role("button", name=re.compile("Compare the tuned runs")).is_visible()
    assert_clean_layout(page)
    screenshot_app(page, f"view-{view}")


# --------------------------------------------------------------------------------------------------- 8. formula


def test_custom_formula_rejects_hostile_input_and_accepts_a_good_one(page, streamlit_server):
    open_app(page, streamlit_server)
    select_option(page, "Surface", "Custom formula")
    contour = chart_index(page, "contour")
    good = plotly_summary(page, contour)
    assert good["image_count"] == 1

    box = page.locator(f'{SIDEBAR} [data-testid="stTextInput"]').first  # the formula, above the runs' labels
    assert "f(x, y)" in box.inner_text()
    field = box.locator("input")
    with expect_rerun(page):
        field.fill("__import__('os')")
        field.press("Enter")
    message = page.locator(f"{SIDEBAR} {ERROR}")
    assert message.count() == 1 and "not allowed" in message.inner_text(), message.all_inner_texts()
    # The message sits under the formula box in the sidebar, and the page says the last good surface is kept.
    assert message.bounding_box()["y"] > box.bounding_box()["y"]
    assert page.locator(f"{MAIN} {ERROR}").filter(has_text="The formula was not accepted").count() == 1
    kept = plotly_summary(page, chart_index(page, "contour"))
    assert kept["image_checksum"] == good["image_checksum"]
    assert_no_exception(page)
    screenshot(page, "formula-rejected")

    with expect_rerun(page):
        field.fill("x^2 + 3*y^2")
        field.press("Enter")
    new = plotly_summary(page, chart_index(page, "contour"))
    assert page.locator(ERROR).count() == 0, page.locator(ERROR).all_inner_texts()
    assert new["image_count"] == 1 and new["image_checksum"] != good["image_checksum"]
    assert any(
        "3" in tex and "y" in tex
        for tex in page.locator('annotation[encoding="application/x-tex"]').all_text_contents()
    ), "the formula shown does not follow the new surface"
    assert_no_exception(page)


# --------------------------------------------------------------------------------------------------- 9. hostile URL


def test_hostile_link_shows_notices_and_a_working_page(page, streamlit_server):
    open_app(page, streamlit_server, "surface=nope&run=adam:lr=nan&steps=1e12")
    assert_no_exception(page)
    notices = page.locator(f"{MAIN} {WARNING}").all_inner_texts()
    assert len(notices) == 3, notices
    assert any("nope" in n for n in notices) and any("nan" in n for n in notices)
    assert any("steps" in n and str(MAX_STEPS) in n for n in notices)
    query = query_of(page)
    assert query["surface"] == ["ill_conditioned_bowl"] and query["run"] == ["adam"]
    assert query["steps"] == [str(MAX_STEPS)]
    path = traces(page, chart_index(page, "contour"), "path")
    assert len(path) == 1 and finite_points(path[0]) == MAX_STEPS + 1
    screenshot(page, "hostile-link")


# --------------------------------------------------------------------------------------------------- 10. presentation


def test_presentation_mode_enlarges_fonts(page, streamlit_server):
    open_app(page, streamlit_server)
    charts = "document.querySelectorAll('.js-plotly-plot:not(.cv-layer)')"  # a layer follows its chart's size
    sizes_js = f"() => [...{charts}].map((gd) => gd._fullLayout.font.size)"
    text_js = """() => ["h1", "[data-testid=stCaptionContainer] p"].map(
      (sel) => parseFloat(getComputedStyle(document.querySelector(`[data-testid=stMain] ${sel}`)).fontSize))"""
    plots_js = f"() => [...{charts}].map((gd) => gd._fullLayout._size.h)"
    before, text_before, plots_before = page.evaluate(sizes_js), page.evaluate(text_js), page.evaluate(plots_js)
    assert len(before) >= 2  # contour and curves (and the 3D view when it is on)

    toggle = sidebar_widget(page, "stCheckbox", "Presentation mode")
    with expect_rerun(page):
        toggle.locator("label").first.click()
    wait_for_url(page, "(params) => params.get('present') === '1'")

    after = page.evaluate(sizes_js)
    assert len(after) == len(before)
    assert all(a == pytest.approx(1.5 * b) for a, b in zip(after, before, strict=True)), (before, after)
    text_after = page.evaluate(text_js)  # the title and the page's text grow too
    assert all(a > b for a, b in zip(text_after, text_before, strict=True)), (text_before, text_after)
    # The figures grow with their text, so the larger titles, ticks and legends do not squeeze the plots; the
    # contour (first) fills the window below the taller header instead, and stays at least 45 % of its height
    # (at classroom sizes and in presentation links: tests/browser/test_canvas.py).
    plots_after = page.evaluate(plots_js)
    assert plots_after[0] >= 0.45 * page.viewport_size["height"], (plots_before, plots_after)
    assert all(a >= 0.95 * b for a, b in zip(plots_after[1:], plots_before[1:], strict=True)), (plots_before,
                                                                                                 plots_after)
    assert_no_exception(page)
    assert_clean_layout(page)
    screenshot_app(page, "app-presentation")


def test_a_presentation_link_opens_with_the_controls_hidden(page, streamlit_server):
    open_app(page, streamlit_server, "present=1")
    assert_no_exception(page)
    box = page.locator('[data-testid="stSidebar"]').bounding_box()  # collapsed: slid off the left edge
    assert box is None or box["x"] + box["width"] <= 1, box
    assert page.locator(".js-plotly-plot").first.is_visible()
    assert_clean_layout(page)  # large fonts in a wide column: the contour's legend once covered its x title
    screenshot_app(page, "presentation-link")
