"""The page loads in a real browser, draws its charts, and reacts to the sidebar."""

from __future__ import annotations

import re

import pytest
from conftest import chart_index, latex_source, open_app, plotly_summary, screenshot, select_option

from surfaces import SURFACES
from ui.labels import plain_label

pytestmark = pytest.mark.browser

CHARTS = ".js-plotly-plot"
EXCEPTION = '[data-testid="stException"]'


def _chart_kinds(page) -> list[dict]:
    """For each Plotly chart: whether it drew a background image (the filled contour), scatter points, or WebGL."""
    return page.evaluate(
        """() => [...document.querySelectorAll(".js-plotly-plot")].map((gd) => ({
          images: [...gd.querySelectorAll("image")]
            .filter((i) => (i.getAttribute("href") || "").startsWith("data:image/png")).length,
          scatter: gd.querySelectorAll(".scatterlayer .trace").length,
          gl_canvas: gd.querySelectorAll(".gl-container canvas, canvas").length,
          scene: !!gd.querySelector(".gl-container"),
          width: gd.getBoundingClientRect().width,
          height: gd.getBoundingClientRect().height,
        }))"""
    )


def test_page_loads_and_draws_both_charts(page, streamlit_server):
    open_app(page, streamlit_server, "3d=1")  # the 3D view is a display option, off by default

    assert page.title() == "Optimizer visualizer"
    assert page.get_by_role("heading", name="Optimizer visualizer").is_visible()
    assert page.locator(EXCEPTION).count() == 0

    kinds = _chart_kinds(page)
    assert len(kinds) >= 2, kinds
    contour_at, surface_at = chart_index(page, "contour"), chart_index(page, "surface")
    assert contour_at >= 0 and surface_at >= 0, kinds
    contour, surface3d = kinds[contour_at], kinds[surface_at]
    assert contour["images"] == 1, contour  # the filled contour, drawn as one image under the traces
    assert contour["scatter"] >= 1, contour  # the marked minimum
    assert surface3d["scene"] and surface3d["gl_canvas"] >= 1, surface3d  # the 3D surface is a WebGL scene
    for chart in (contour, surface3d):
        assert chart["width"] > 200 and chart["height"] > 200, chart

    assert plotly_summary(page, contour_at)["image_count"] == 1
    data = plotly_summary(page, surface_at)  # f on the 3D view's grid
    assert data["values_size"] > 100 and data["values_finite"] > 100, data
    assert latex_source(page), "no LaTeX formula rendered"

    path = screenshot(page, "default")
    assert path.stat().st_size > 10_000


def test_choosing_rosenbrock_changes_chart_and_formula(page, streamlit_server):
    open_app(page, streamlit_server, "3d=1")
    before = plotly_summary(page, chart_index(page, "contour"))
    values_before = plotly_summary(page, chart_index(page, "surface"))
    formula_before = latex_source(page)

    select_option(page, "Surface", "Rosenbrock")

    after = plotly_summary(page, chart_index(page, "contour"))
    values_after = plotly_summary(page, chart_index(page, "surface"))
    formula_after = latex_source(page)
    assert page.locator(EXCEPTION).count() == 0
    assert values_after["values_size"] > 100, values_after
    assert values_after["values_checksum"] != values_before["values_checksum"], (values_before, values_after)
    assert after["image_checksum"] != before["image_checksum"], (before, after)
    assert (after["xrange"], after["yrange"]) != (before["xrange"], before["yrange"]), (before, after)
    assert formula_after and formula_after != formula_before, (formula_before, formula_after)
    # Rosenbrock's own formula: (a - x)^2 + b (y - x^2)^2
    assert any(re.search(r"\(y-x\^\{?2\}?\)\^\{?2", tex.replace(" ", "")) for tex in formula_after), formula_after
    # The sidebar now shows Rosenbrock's own parameters, a and b (each label's words, then its symbol, no LaTeX).
    labels = page.locator('[data-testid="stSidebar"] [data-testid="stSlider"] [data-testid="stWidgetLabel"]')
    words = {text.strip().splitlines()[0].strip() for text in labels.all_inner_texts() if text.strip()}
    assert {plain_label(p) for p in SURFACES["rosenbrock"].params} <= words, labels.all_inner_texts()
    assert chart_index(page, "surface") >= 0

    path = screenshot(page, "rosenbrock")
    assert path.stat().st_size > 10_000
