"""The canvas on a surface made of examples, in headless Chromium against a real ``streamlit run``: the lesson on
batch size and generalization opens with the model beside the contour, the step control moves the model with no
script run, the curves show each run's training and test loss, and the contour still comes first on the screen.
Expected numbers come from the engine and the pure builders (``plots.steps.model_arrays``), never typed in.
"""

from __future__ import annotations

from dataclasses import replace
from urllib.parse import urlencode

import numpy as np
import pytest
from conftest import open_app, screenshot, script_runs
from test_app_browser import assert_clean_layout
from test_canvas import _PLOT_AREA_JS, _scrub, traces

from plots.runs import RunView
from plots.steps import model_arrays
from ui.compute import Scene, make_surface, scene_run
from ui.config import to_query
from ui.lessons import LESSONS

pytestmark = pytest.mark.browser

LESSON = LESSONS["batch_generalization"].config
SURFACE = make_surface(LESSON.surface, LESSON.surface_params)
SCENE = Scene.of(LESSON)
FULL = [run.label for run in LESSON.runs].index("SGD, full batch")  # the run with a live slider (no minibatches)


def engine_models() -> list[dict]:
    """Each run's model frames as the canvas is sent them (every step: the lesson's runs fit the budget)."""
    return [model_arrays(SURFACE, RunView(run.label, "#000000", scene_run(SCENE, run))) for run in LESSON.runs]


def test_the_step_control_moves_the_model_without_a_rerun(page, streamlit_server):
    page.set_viewport_size({"width": 1024, "height": 768})
    open_app(page, streamlit_server, "lesson=batch_generalization")
    page.wait_for_timeout(400)
    screenshot(page, "dataset-lesson-1024x768", full_page=False)
    models = engine_models()
    assert all(len(m["x"]) == LESSON.steps + 1 for m in models)  # one frame per step: no frame skipped
    drawn = traces(page, "model", "model")
    assert len(drawn) == len(LESSON.runs)
    for trace, model in zip(drawn, models, strict=True):  # the page opens at the last step
        np.testing.assert_allclose(trace["y"], model["y"][-1], rtol=1e-5)
    runs = script_runs(page)
    for t in (0, 20, LESSON.steps // 2):
        _scrub(page, "input", t)
        page.wait_for_function("(t) => document.querySelector('.cv-ledger-title').textContent.includes(`step ${t}`)",
                               arg=t, timeout=5_000)
        page.wait_for_timeout(100)
        moved = traces(page, "model", "model")
        for trace, model in zip(moved, models, strict=True):
            np.testing.assert_allclose(trace["x"], model["x"][t], rtol=1e-5)
            np.testing.assert_allclose(trace["y"], model["y"][t], rtol=1e-5)
        if t == 20:
            screenshot(page, "dataset-lesson-step20-1024x768", full_page=False)
    assert [trace["y"] for trace in moved] != [trace["y"] for trace in drawn]  # the model did move
    assert script_runs(page) == runs, "moving the step ran the script"


def test_the_curves_show_training_and_test_loss_of_each_run(page, streamlit_server):
    open_app(page, streamlit_server, "lesson=batch_generalization")
    train, test = traces(page, "curves", "curve"), traces(page, "curves", "test_curve")
    assert [t["run"] for t in train] == [t["run"] for t in test] == list(range(len(LESSON.runs)))
    for run, a, b in zip(LESSON.runs, train, test, strict=True):
        tr = scene_run(SCENE, run)
        np.testing.assert_allclose(a["y"], tr.train_fs[:, 0], rtol=1e-5)
        np.testing.assert_allclose(b["y"], tr.test_fs[:, 0], rtol=1e-5)
        assert "training" in a["name"] and "test" in b["name"]


def model_above_contour(page) -> bool:
    tops = page.evaluate("""() => Object.fromEntries([...document.querySelectorAll('.cv-chart')].map(
      (c) => [c.dataset.chart, c.getBoundingClientRect().top]))""")
    return tops["model"] < tops["contour"] - 1


@pytest.mark.parametrize("size", [(1024, 768), (1600, 1000)], ids=["1024x768", "1600x1000"])
def test_the_contour_still_comes_first_beside_the_model(page, streamlit_server, size):
    """test_canvas's measure of the picture on a dataset surface (its view is 5:3, so the longer side is measured)."""
    width, height = size
    page.set_viewport_size({"width": width, "height": height})
    open_app(page, streamlit_server, urlencode(to_query(replace(LESSON, lesson="")), doseq=True))
    page.wait_for_timeout(400)
    area = page.evaluate(_PLOT_AREA_JS)
    assert area["fraction"] >= 0.9, area
    assert max(area["w"], area["h"]) >= 0.45 * height, area
    assert area["colorbar_inside"] and area["controls"] and area["tabs"], area
    assert not model_above_contour(page)  # the model chart is beside the contour or below it, never above
    assert_clean_layout(page)
    screenshot(page, f"dataset-surface-{width}x{height}", full_page=False)
    open_app(page, streamlit_server, "lesson=batch_generalization")  # below the lesson's text: still on screen
    page.wait_for_timeout(400)
    area = page.evaluate(_PLOT_AREA_JS)
    assert area["fraction"] >= (0.5 if height < 800 else 0.9), area
    assert not model_above_contour(page)
    assert_clean_layout(page)
    screenshot(page, f"dataset-lesson-{width}x{height}", full_page=False)


def test_the_ensemble_view_on_the_lesson_draws_its_charts_without_a_step_control(page, streamlit_server):
    open_app(page, streamlit_server, "lesson=batch_generalization&view=ensemble", timeout_ms=90_000)
    page.wait_for_selector('[data-testid="stDataFrame"]', timeout=90_000)
    assert page.locator(".cv-chart").count() >= 2
    assert page.locator(".cv-bar:visible").count() == 0  # a single chart has no Play, scrubber or speed
    title = page.evaluate("() => document.querySelector('.cv-chart')._fullLayout.title.text || ''")
    names = page.evaluate("() => document.querySelector('.cv-chart')._fullData.map((t) => t.name)")
    assert "minibatches of 8" in " ".join([title, *names])
    screenshot(page, "dataset-ensemble", full_page=False)


def test_a_live_slider_previews_the_test_loss_too_and_hides_the_model_it_has_not_got(page, streamlit_server):
    """While a full-batch run's learning-rate slider is held, its curves show the fan member's training and test loss
    and its model is not drawn (a fan member's model is not sent); let go where it was, everything is back."""
    open_app(page, streamlit_server, "lesson=batch_generalization")
    runs = script_runs(page)
    before = {role: traces(page, "curves", role)[FULL]["y"] for role in ("curve", "test_curve")}
    model_before = traces(page, "model", "model")[FULL]["y"]
    slider = page.locator(".cv-run").nth(FULL).locator(".cv-slider input")
    home = int(slider.input_value())

    def hold(index: int, event: str) -> None:
        slider.evaluate("(s, [i, e]) => { s.value = String(i); s.dispatchEvent(new Event(e, {bubbles: true})); }",
                        [index, event])

    hold(home - 3, "input")
    page.wait_for_function("""(run) => {
      const gd = document.querySelector('.cv-chart[data-chart="model"]');
      const t = gd._fullData.find((t) => t.meta && t.meta.role === "model" && t.meta.run === run);
      return Array.from(t.y).every((v) => v === null || Number.isNaN(Number(v)));
    }""", arg=FULL, timeout=5_000)
    # the run's own curves (made see-through) and, painted over the chart, the fan member's
    drawn = {role: [t for t in traces(page, "curves", role) if t["run"] == FULL] for role in ("curve", "test_curve")}
    assert all(len(pair) == 2 for pair in drawn.values()), drawn
    held = {role: pair[-1]["y"] for role, pair in drawn.items()}
    assert held["curve"] != before["curve"] and held["test_curve"] != before["test_curve"]
    assert np.isfinite(traces(page, "model", "model")[1 - FULL]["y"]).all()  # the other run's model stays
    hold(home, "change")  # released where it was: the run's own numbers, no rerun
    page.wait_for_function("""([y, run]) => {
      const gd = document.querySelector('.cv-chart[data-chart="model"]');
      const t = gd._fullData.find((t) => t.meta && t.meta.role === "model" && t.meta.run === run);
      return Math.abs(Number(t.y[0]) - y[0]) < 1e-6;
    }""", arg=[model_before, FULL], timeout=5_000)
    # its own curves shown again (they were made see-through for the drag: the chart is drawn anew, not kept)
    page.wait_for_function("""(run) => document.querySelector('.cv-chart[data-chart="curves"]')._fullData
      .filter((t) => t.meta && t.meta.run === run).every((t) => t.opacity > 0)""", arg=FULL, timeout=5_000)
    assert [t["y"] for t in traces(page, "curves", "test_curve") if t["run"] == FULL] == [before["test_curve"]]
    assert script_runs(page) == runs
