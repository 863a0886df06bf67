"""What the app draws on a surface made of examples: each run's training and test loss in the curves, the gap in
the summary, the model beside the contour at every step, the ensemble's real minibatches, and the lesson on batch
size and generalization, whose claims are checked on what the builders draw for it (the figures ``canvas_figures``
gives the canvas and the step data ``step_data`` sends with them). Expected values come from the engine."""

from __future__ import annotations

import json

import numpy as np
import pytest
from test_app import app, assert_clean, canvases, unpack

import analysis
from optimizers import get_optimizer, run
from plots import PALETTE, RunView, curves_figure, model_figure, summary_rows, surface_grid
from plots.model import model_lines
from plots.runs import with_alpha
from plots.steps import model_arrays, step_data
from surfaces import get_surface
from ui.canvas import figure_json
from ui.compute import run_trajectory
from ui.config import AppConfig
from ui.lessons import LESSONS, scene_views
from ui.views import canvas_figures

DATASETS = ("linear_regression", "logistic_separable", "logistic_overlapping", "sinusoid", "sharp_flat_data")
LESSON = LESSONS["batch_generalization"].config
FULL, SMALL = "SGD, full batch", "SGD, batch 8"


def views(surface, steps: int = 40, copies: int = 1) -> list[RunView]:
    """Two runs from the surface's start: full-batch SGD and SGD on batches of 4."""
    x0 = np.tile(surface.start, (copies, 1))
    sgd = get_optimizer("sgd", lr=0.05)
    return [RunView("full", PALETTE[0], run(sgd, surface, x0, steps)),
            RunView("batch 4", PALETTE[1], run(sgd, surface, x0, steps, batch_size=4, seed=3))]


def by_role(fig, role: str) -> list:
    return [t for t in fig.data if isinstance(t.meta, dict) and t.meta.get("role") == role]


# ---------------------------------------------------------------------------- the pure builders


@pytest.mark.parametrize("name", DATASETS)
def test_the_loss_curves_are_each_runs_training_and_test_loss(name):
    surface = get_surface(name)
    runs = views(surface)
    fig = curves_figure(runs, kind="loss", surface=surface)
    train, test = by_role(fig, "curve"), by_role(fig, "test_curve")
    assert [t.meta["run"] for t in train] == [t.meta["run"] for t in test] == [0, 1]
    for view, a, b in zip(runs, train, test, strict=True):
        np.testing.assert_allclose(np.asarray(a.y, float), view.trajectory.train_fs[:, 0], rtol=1e-6)
        np.testing.assert_allclose(np.asarray(b.y, float), view.trajectory.test_fs[:, 0], rtol=1e-6)
        assert a.line.color == view.color and b.line.color == with_alpha(view.color, 0.6)  # same run, lighter
        assert b.line.dash == "dot" and a.line.dash is None
        assert a.name.endswith("training") and b.name.endswith("test")  # the legend says which is which
    assert fig.layout.yaxis.type == "linear"  # losses may be negative (sharp_flat_data): never f − f* on a log axis


def test_a_run_of_many_trajectories_draws_the_median_test_loss():
    surface = get_surface("linear_regression")
    runs = views(surface, copies=5)
    (test,) = by_role(curves_figure(runs[1:], kind="loss", surface=surface), "test_curve")
    np.testing.assert_allclose(np.asarray(test.y, float), np.median(runs[1].trajectory.test_fs, axis=1), rtol=1e-6)


def test_test_functions_and_other_curve_kinds_draw_no_test_curve():
    booth = get_surface("booth")
    sgd = get_optimizer("sgd", lr=0.05)
    fig = curves_figure([RunView("gd", PALETTE[0], run(sgd, booth, [booth.start], 20))], kind="loss", surface=booth)
    assert not by_role(fig, "test_curve") and fig.layout.yaxis.type == "log"
    surface = get_surface("sinusoid")
    assert not by_role(curves_figure(views(surface), kind="grad_norm", surface=surface), "test_curve")


@pytest.mark.parametrize("name", DATASETS)
def test_the_summary_gives_the_final_training_and_test_loss_and_their_gap(name):
    surface = get_surface(name)
    runs = views(surface, copies=3)
    for view, row in zip(runs, summary_rows(surface, runs), strict=True):
        tr = view.trajectory
        assert row["final training loss"] == pytest.approx(np.median(tr.train_fs[-1]), rel=1e-12)
        assert row["final test loss"] == pytest.approx(np.median(tr.test_fs[-1]), rel=1e-12)
        assert row["generalization gap"] == pytest.approx(np.median(tr.test_fs[-1] - tr.train_fs[-1]), rel=1e-9,
                                                          abs=1e-12)
        keys = list(row)
        assert keys.index("final loss") + 1 == keys.index("final training loss")  # beside the final loss


def test_the_gap_columns_appear_only_on_surfaces_with_a_test_split():
    booth = get_surface("booth")
    sgd = get_optimizer("sgd", lr=0.05)
    (row,) = summary_rows(booth, [RunView("gd", PALETTE[0], run(sgd, booth, [booth.start], 20))])
    assert not {"final training loss", "final test loss", "generalization gap"} & set(row)


@pytest.mark.parametrize("name", DATASETS)
def test_the_canvas_gets_each_runs_model_at_every_step(name):
    surface = get_surface(name)
    runs = views(surface, steps=30)
    for view in runs:
        frames = model_arrays(surface, view)
        x, y = model_lines(surface, view.trajectory.xs[:, 0])
        np.testing.assert_array_equal(frames["x"], x)
        np.testing.assert_array_equal(frames["y"], y)


def test_a_long_run_sends_evenly_spread_frames_within_the_budget():
    surface = get_surface("sinusoid")  # a curve of many points: the budget binds
    (view,) = views(surface, steps=500)[:1]
    budget = 20_000
    frames = model_arrays(surface, view, budget=budget)
    count, width = frames["x"].shape
    assert 2 * count * width <= budget and count == budget // (2 * width)
    steps = np.round(np.linspace(0, 500, count)).astype(int)  # frame k stands for step round(k T / (F - 1))
    x, y = model_lines(surface, view.trajectory.xs[steps, 0])
    np.testing.assert_array_equal(frames["x"], x)
    np.testing.assert_array_equal(frames["y"], y)
    assert steps[0] == 0 and steps[-1] == 500


def test_the_model_frames_go_only_with_a_model_chart():
    surface = get_surface("linear_regression")
    runs = views(surface, steps=10)
    grid = surface_grid(surface, 20)
    figures = canvas_figures(AppConfig(surface="linear_regression", steps=10), surface, grid, runs, 10, "loss")
    with_model = step_data(surface, grid, runs, figures, arrows=False)
    assert all("model" in entry for entry in with_model["runs"])
    assert [entry["traces"]["model"]["model"] for entry in with_model["runs"]] == [
        i for i, t in enumerate(figures["model"].data) if t.meta["role"] == "model"]
    del figures["model"]
    assert not any("model" in entry for entry in step_data(surface, grid, runs, figures, arrows=False)["runs"])


def test_the_ensemble_draws_real_minibatches_on_a_dataset_surface():
    surface = get_surface("sharp_flat_data")
    sgd = get_optimizer("sgd", lr=0.04)
    small = analysis.ensemble(sgd, surface, k=20, steps=600, noise=0.0, seed=0, batch_size=8)
    full = analysis.ensemble(sgd, surface, k=20, steps=600, noise=0.0, seed=0, batch_size=surface.finite_sum.n)
    np.testing.assert_array_equal(small.trajectory.xs, run(sgd, surface, np.tile(surface.start, (20, 1)), 600,
                                                           batch_size=8, seed=0).xs)
    assert small.batch_size == 8 and full.batch_size is None
    assert np.ptp(full.trajectory.xs[-1], axis=0).max() == 0.0  # the full batch: every run the same
    sharp, flat = (next(k for k in small.basin_counts if k.startswith(f"minimum {i}")) for i in (1, 2))
    assert small.basin_counts[flat] >= 14 and full.basin_counts[sharp] == 20  # at least 70 % leave the sharp one


# ---------------------------------------------------------------------------- the lesson, on what is drawn


@pytest.fixture(scope="module")
def lesson_drawn():
    surface, runs = scene_views(LESSON)
    grid = surface_grid(surface)
    figures = canvas_figures(LESSON, surface, grid, runs, LESSON.steps, "loss")
    return surface, runs, figures, step_data(surface, grid, runs, figures, arrows=False)


def drawn_paths(figures) -> dict[str, np.ndarray]:
    return {t.name: np.stack([np.asarray(t.x, float), np.asarray(t.y, float)], -1)
            for t in by_role(figures["contour"], "path")}


def test_the_small_batch_path_ends_in_the_flat_basin_and_the_full_batch_stays_in_the_sharp_one(lesson_drawn):
    surface, _, figures, _ = lesson_drawn
    sharp, flat = surface.minima  # the sharp minimum at w₁ < 0, the flat one at w₁ > 0
    assert sharp[0] < 0 < flat[0]
    paths = drawn_paths(figures)
    assert np.linalg.norm(paths[SMALL][-1] - flat) < 0.05
    assert np.max(np.linalg.norm(paths[FULL] - sharp, axis=-1)) < 0.1  # the whole way in the sharp well
    left = np.flatnonzero(np.linalg.norm(paths[SMALL] - sharp, axis=-1) > 0.5)
    assert 0 < left[0] < 100  # "thrown out within a few dozen steps"
    (x0, x1), (y0, y1) = surface.bounds
    for xy in paths.values():  # inside the view
        assert np.all((xy[:, 0] >= x0) & (xy[:, 0] <= x1) & (xy[:, 1] >= y0) & (xy[:, 1] <= y1))


def test_the_small_batch_has_the_lower_test_loss_and_the_full_batch_the_lower_training_loss(lesson_drawn):
    surface, runs, figures, _ = lesson_drawn
    final, test = ({t.name.rsplit(" · ", 1)[0]: float(np.asarray(t.y, float)[-1])
                    for t in by_role(figures["curves"], role)} for role in ("curve", "test_curve"))
    assert test[SMALL] < test[FULL]  # the flat minimum generalizes better
    assert final[FULL] < final[SMALL]  # "the sharp minimum fits the training data better"
    rows = {row["run"]: row for row in summary_rows(surface, runs)}
    assert rows[SMALL]["generalization gap"] < rows[FULL]["generalization gap"] / 5
    assert "local minimum" in rows[SMALL]["hint"]  # not "try a larger learning rate": it is where it should be


def test_the_model_chart_shows_each_run_on_the_training_and_test_loss(lesson_drawn):
    surface, runs, figures, player = lesson_drawn
    model = figures["model"]
    roles = [t.meta["role"] for t in model.data]
    assert roles.index("model") > max(roles.index("train_loss"), roles.index("test_loss"))  # runs drawn on top
    data = surface.finite_sum
    for view, trace, entry in zip(runs, by_role(model, "model"), player["runs"], strict=True):
        w = view.trajectory.xs[-1, 0]
        assert trace.name == view.label
        np.testing.assert_allclose(trace.y, [data.train_loss(w), data.test_loss(w)], rtol=1e-12)
        np.testing.assert_array_equal(entry["model"]["y"][-1], np.asarray(trace.y, float))  # the last frame
    small = next(e for v, e in zip(runs, player["runs"], strict=True) if v.label == SMALL)
    assert small["model"]["x"][0, 0] < 0 < small["model"]["x"][-1, 0]  # it moves from the sharp side to the flat


def test_the_lesson_holds_over_seeds():
    """At least 70 % of the small-batch runs end in the flat basin; every full-batch run stays in the sharp one."""
    surface = get_surface(LESSON.surface)
    index = {}
    for config in LESSON.runs:
        tr = run_trajectory(LESSON.surface, LESSON.surface_params, config, steps=LESSON.steps,
                            start=tuple(surface.start), noise=LESSON.noise, seed=LESSON.seed,
                            weight_decay=LESSON.weight_decay, clip_norm=LESSON.clip_norm, copies=20)
        index[config.label] = surface.nearest_minimum(tr.xs[-1])[0]
    assert np.mean(index[SMALL] == 1) >= 0.7 and np.all(index[FULL] == 0)


# ---------------------------------------------------------------------------- what the canvas is given (AppTest)


def test_the_canvas_is_given_the_model_chart_and_the_training_and_test_curves():
    at = app({"lesson": "batch_generalization"})
    assert_clean(at)
    (data,) = canvases(at)
    charts = {chart["id"]: chart for chart in data["charts"]}
    assert [c["id"] for c in data["charts"]] == ["contour", "model", "curves"]
    assert charts["model"]["area"] == "side" and charts["contour"]["area"] == "main"
    model, curves = (json.loads(charts[name]["figure"]) for name in ("model", "curves"))
    meta = [t.get("meta", {}) for t in model["data"]]
    assert [m.get("run") for m in meta if m.get("role") == "model"] == [0, 1]
    assert sorted(m["run"] for t in curves["data"] if (m := t.get("meta", {})).get("role") == "test_curve") == [0, 1]
    for k, entry in enumerate(data["player"]["runs"]):
        index = entry["traces"]["model"]["model"]
        assert model["data"][index]["meta"] == {"role": "model", "run": k}
        y = unpack(entry["model"]["y"])
        assert y.shape == (LESSON.steps + 1, 2)  # every step, the training and the test loss at it
        np.testing.assert_allclose(y[-1], unpack(model["data"][index]["y"]), rtol=1e-6)
        assert curves["data"][entry["traces"]["curves"]["test_curve"]]["meta"] == {"role": "test_curve", "run": k}


def test_the_summary_on_the_page_shows_the_gap():
    at = app({"lesson": "batch_generalization"})
    table = at.dataframe[0].value
    assert {"final training loss", "final test loss", "generalization gap"} <= set(table.columns)
    no_gap = app({"surface": "booth"}).dataframe[0].value
    assert "generalization gap" not in no_gap.columns


def test_the_ensemble_view_runs_minibatches_on_a_dataset_surface():
    at = app({"lesson": "batch_generalization", "view": "ensemble"})
    assert_clean(at)
    batches = next(w for w in at.multiselect if w.key.startswith("ensemble.batches"))
    assert batches.value == [8, 64] and 256 not in batches.options and "64 (full batch)" in batches.options
    counts = {row["batch"]: row for row in at.dataframe[0].value.to_dict("records")}
    full, small = counts["B = 64"], counts["B = 8"]
    sharp, flat = (next(k for k in full if k.startswith(f"minimum {i}")) for i in (1, 2))
    assert full[sharp] == sum(v for k, v in full.items() if k != "batch")  # the full batch: all stay
    assert small[flat] > small[sharp]
    assert not any("σ is 0" in str(i.value) for i in at.info)


def test_the_training_and_test_curves_are_valid_figures():
    """``curves_figure`` skips plotly.py's validation (``plots.runs.figure``): its dataset branch must be what
    validation would have made too (see ``tests/test_plots.py``, ``test_builders_make_valid_figures``)."""
    import plotly.graph_objects as go
    import plotly.io as pio

    surface = get_surface("sharp_flat_data")
    for runs in (views(surface), views(surface, copies=3)):
        fig = curves_figure(runs, kind="loss", step=7, surface=surface)
        assert json.loads(pio.to_json(fig, validate=False)) == json.loads(pio.to_json(go.Figure(fig.to_dict())))
        assert json.loads(figure_json(fig)) == json.loads(pio.to_json(fig, validate=False))  # as the canvas sends it


@pytest.mark.parametrize("name", DATASETS)
def test_the_model_figures_are_valid_figures(name):
    """``model_figure`` is built from plain dicts too: it must be what plotly's validation makes."""
    import plotly.graph_objects as go
    import plotly.io as pio

    surface = get_surface(name, outliers=0.1) if name != "sharp_flat_data" else get_surface(name)
    fig = model_figure(surface, [surface.start, [np.nan, np.nan]], step=3, font_scale=1.5)
    assert json.loads(pio.to_json(fig, validate=False)) == json.loads(pio.to_json(go.Figure(fig.to_dict())))
    assert json.loads(figure_json(fig)) == json.loads(pio.to_json(fig, validate=False))  # as the canvas sends it


def test_run_labels_in_the_model_chart_are_drawn_as_typed():
    """The model chart's run names are the users' text: the canvas gets them through the literal-text sink."""
    surface = get_surface("linear_regression")
    runs = [view._replace(label="<b>bold</b> & <br>") for view in views(surface, steps=5)]
    grid = surface_grid(surface, 20)
    figures = canvas_figures(AppConfig(surface="linear_regression", steps=5), surface, grid, runs, 5, "loss")
    names = [t.name for t in figures["model"].data if t.meta["role"] == "model"]
    assert names and all("<" not in name and "&lt;b&gt;" in name for name in names)
