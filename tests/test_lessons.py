"""Every lesson teaches what it claims, checked twice: on the numbers (steps to a tolerance, where runs end) and
on what is drawn: the data ``ui.views.canvas_data`` gives the live canvas for that lesson, at the step the page
opens on (the share of sharp turns in a path, paths inside the view, runs not lying on one another or hidden under
the runs drawn after them, the claim's marker on top)."""

from __future__ import annotations

import base64
import json
from dataclasses import replace

import numpy as np
import pytest

from optimizers import OPTIMIZERS
from surfaces import SURFACES
from ui.canvas import wire
from ui.compute import Scene, cached_grid, compute_runs, make_surface, run_trajectory
from ui.labels import run_labels
from ui.lessons import LESSONS, scene_views, suggested_runs, surface_scene
from ui.views import canvas_data

# (lesson, run label) pairs whose leaving the view is the point of the lesson
LEAVES_THE_VIEW = {("too_large", "η = 0.22")}
SHARP = 90.0  # degrees: a turn sharper than this reverses the direction of travel (a zig-zag)


def trajectories(name: str, copies: int = 1):
    """The lesson's runs, by label, as the app computes them."""
    config = LESSONS[name].config
    surface = make_surface(config.surface, config.surface_params)
    start = config.start or tuple(surface.start)
    runs = {
        run.label: run_trajectory(config.surface, config.surface_params, run, steps=config.steps, start=start,
                                  noise=config.noise, seed=config.seed, weight_decay=config.weight_decay,
                                  clip_norm=config.clip_norm, copies=copies)
        for run in config.runs
    }
    return surface, runs


def first_below(fs: np.ndarray, level: float) -> int:
    """The first step with loss at most ``level`` (len(fs) if never)."""
    hits = np.flatnonzero(fs <= level)
    return int(hits[0]) if hits.size else len(fs)


# ---------------------------------------------------------------------------- what is drawn


def unpack(packed) -> np.ndarray:
    """An array as the canvas is sent it (``ui.canvas.pack``), or a plain list."""
    if not isinstance(packed, dict):
        return np.asarray(packed, dtype=float)
    values = np.frombuffer(base64.b64decode(packed["bdata"]), dtype="<" + packed["dtype"])
    return values.reshape(packed.get("shape", [-1])).astype(float)


class Drawn:
    """The contour the canvas is given for a config, as the browser gets it (JSON, packed arrays), at the step the
    page opens on: ``traces`` (in drawing order), ``paths`` by run label (what is drawn at full strength up to
    that step, ``(T+1, 2)``), ``bounds`` (the axes' ranges) and ``step``."""

    def __init__(self, config):
        scene = Scene.of(config)
        surface = make_surface(config.surface, config.surface_params)
        runs = compute_runs(config, scene)
        grid = cached_grid(config.surface, config.surface_params, 120)
        data = wire(canvas_data(config, surface, grid, runs, scene))
        chart = next(c for c in data["charts"] if c["id"] == "contour")
        figure = json.loads(chart["figure"])
        self.step = data["player"]["step"]
        self.traces = figure["data"]
        self.bounds = tuple(tuple(figure["layout"][axis]["range"]) for axis in ("xaxis", "yaxis"))
        self.labels = [row["label"] for row in data["runs"]]
        self.paths = {self.labels[t["meta"]["run"]]: np.stack([unpack(t["x"]), unpack(t["y"])], -1)
                      for t in self.traces if t["meta"].get("role") == "grown"}

    def role(self, index: int):
        return self.traces[index]["meta"].get("role")

    def marks(self, role: str, label: str | None = None) -> np.ndarray:
        """The points ``(K, 2)`` of the markers with ``role`` (of the run ``label``, or the surface's own)."""
        run = None if label is None else self.labels.index(label)
        found = [t for t in self.traces if t["meta"].get("role") == role and t["meta"].get("run") == run]
        return np.concatenate([np.stack([unpack(t["x"]), unpack(t["y"])], -1) for t in found]) if found else \
            np.empty((0, 2))

    def at_step(self, label: str) -> np.ndarray:
        """Where the run's step marker is at the opening step (its first trajectory)."""
        return self.marks("step", label)[0]


def distance_to(point, points) -> float:
    return float(np.min(np.linalg.norm(np.asarray(points) - point, axis=-1)))


def drawn(name_or_config):
    """The canvas's paths by run label, the view, and the whole contour it was given (:class:`Drawn`)."""
    config = LESSONS[name_or_config].config if isinstance(name_or_config, str) else name_or_config
    picture = Drawn(config)
    assert picture.step == config.steps  # the page opens at the last step: the whole paths are drawn
    return picture, picture.paths, picture.bounds


def view_size(bounds) -> float:
    (x0, x1), (y0, y1) = bounds
    return float(np.hypot(x1 - x0, y1 - y0))


def sharp_turn_share(xy: np.ndarray, bounds) -> float:
    """Share of successive steps turning by more than 90 degrees, among steps a viewer can see (longer than
    0.1 % of the view's diagonal: a run standing still at the minimum does not zig-zag)."""
    steps = np.diff(xy[np.isfinite(xy).all(-1)], axis=0)
    seen = np.linalg.norm(steps, axis=-1) > 1e-3 * view_size(bounds)
    pairs = seen[1:] & seen[:-1]
    cos = np.sum(steps[1:] * steps[:-1], -1) / np.maximum(
        np.linalg.norm(steps[1:], axis=-1) * np.linalg.norm(steps[:-1], axis=-1), 1e-300)
    return float(np.mean(cos[pairs] < np.cos(np.radians(SHARP)))) if pairs.any() else 0.0


def inside_share(xy: np.ndarray, bounds) -> float:
    (x0, x1), (y0, y1) = bounds
    xy = xy[np.isfinite(xy).all(-1)]
    inside = (xy[:, 0] >= x0) & (xy[:, 0] <= x1) & (xy[:, 1] >= y0) & (xy[:, 1] <= y1)
    return float(np.mean(inside))


def overlap_share(a: np.ndarray, b: np.ndarray, bounds) -> float:
    """Share of the iterates at which two paths are within 1 % of the view of each other, among those where
    at least one is still on its way (two runs resting at the same minimum do not hide each other's path)."""
    tol = 0.01 * view_size(bounds)
    settled = (np.linalg.norm(a - a[-1], axis=-1) < tol) & (np.linalg.norm(b - b[-1], axis=-1) < tol)
    moving = np.isfinite(a).all(-1) & np.isfinite(b).all(-1) & ~settled
    close = np.linalg.norm(a - b, axis=-1) < tol
    return float(np.mean(close[moving])) if moving.any() else 0.0


def max_width(xy: np.ndarray, direction) -> float:
    """How far a path swings across ``direction``'s normal: the largest |coordinate| along ``direction``."""
    return float(np.nanmax(np.abs(xy @ np.asarray(direction, float))))


@pytest.mark.parametrize("name", list(LESSONS))
def test_every_path_stays_in_view_unless_leaving_is_the_point(name):
    _, paths, bounds = drawn(name)
    for label, xy in paths.items():
        if (name, label) in LEAVES_THE_VIEW:
            assert inside_share(xy, bounds) < 1.0, label
        else:
            assert inside_share(xy, bounds) == 1.0, label


@pytest.mark.parametrize("name", list(LESSONS))
def test_no_two_runs_lie_on_one_another(name):
    _, paths, bounds = drawn(name)
    labels = list(paths)
    for i, a in enumerate(labels):
        for b in labels[i + 1:]:
            assert overlap_share(paths[a], paths[b], bounds) < 0.5, (a, b)


def segment_distance(points: np.ndarray, path: np.ndarray) -> np.ndarray:
    """Each point's distance to the polyline ``path`` (its finite segments; a lone point counts as one)."""
    a, b = path[:-1], path[1:]
    keep = np.isfinite(a).all(-1) & np.isfinite(b).all(-1)
    a, b = (a[keep], b[keep]) if keep.any() else (path[np.isfinite(path).all(-1)],) * 2
    if not len(a):
        return np.full(len(points), np.inf)
    ab = b - a
    t = np.clip(np.sum((points[:, None] - a) * ab, -1) / np.maximum(np.sum(ab * ab, -1), 1e-300), 0.0, 1.0)
    return np.min(np.linalg.norm(points[:, None] - (a + t[..., None] * ab), axis=-1), axis=1)


def along(path: np.ndarray, bounds, count: int = 400) -> np.ndarray:
    """``count`` points spaced evenly along the drawn length of ``path`` inside the view (a long step counts for
    what it covers on screen, a run resting at the minimum for nothing)."""
    (x0, x1), (y0, y1) = bounds
    clipped = np.clip(path, (x0, y0), (x1, y1))
    a, b = clipped[:-1], clipped[1:]
    keep = np.isfinite(a).all(-1) & np.isfinite(b).all(-1)
    a, b = a[keep], b[keep]
    lengths = np.linalg.norm(b - a, axis=-1)
    if not lengths.sum():
        return clipped[np.isfinite(clipped).all(-1)][:1]
    s = (np.arange(count) + 0.5) / count * lengths.sum()
    k = np.minimum(np.searchsorted(np.cumsum(lengths), s), len(a) - 1)
    t = (s - (np.cumsum(lengths) - lengths)[k]) / np.maximum(lengths[k], 1e-300)
    return a[k] + t[:, None] * (b[k] - a[k])


def uncovered_share(path: np.ndarray, later: list[np.ndarray], bounds) -> float:
    """Share of a path's drawn length that no path drawn after it covers: farther than 1.5 % of the view's width
    from all of them (at 1024x768 the contour is about 300 px wide: some 4 px, about a line's width)."""
    (x0, x1), _ = bounds
    points = along(path, bounds)
    near = np.zeros(len(points), dtype=bool)
    for other in later:
        near |= segment_distance(points, other) < 0.015 * (x1 - x0)
    return float(np.mean(~near))


@pytest.mark.parametrize("name", ["default", *LESSONS])
def test_no_run_is_hidden_under_the_runs_drawn_after_it(name):
    """Each run shows a good part of its own path: a run drawn under a later one that follows it is invisible."""
    _, paths, bounds = drawn(surface_scene("ill_conditioned_bowl") if name == "default" else name)
    drawn_order = list(paths.values())
    for k, (label, xy) in enumerate(paths.items()):
        assert uncovered_share(xy, drawn_order[k + 1:], bounds) > 0.25, label


@pytest.mark.parametrize("name", list(LESSONS))
def test_minima_and_saddles_are_drawn_over_every_run(name):
    """A run that ends at the minimum or saddle of the claim must not hide it under its end or step marker."""
    picture, _, _ = drawn(name)
    traces = picture.traces
    run_traces = [i for i, t in enumerate(traces) if "run" in t["meta"]]
    points = [i for i in range(len(traces)) if picture.role(i) in ("minimum", "saddle")]
    assert points and min(points) > max(run_traces)
    ends = [traces[i]["marker"]["size"] for i in run_traces if picture.role(i) in ("end", "step")]
    assert all(traces[i]["marker"]["size"] >= 0.8 * max(ends) for i in points)


def test_lessons_have_text_and_distinct_labels():
    for lesson in LESSONS.values():
        assert len(lesson.text) > 80 and lesson.title
        labels = [r.label for r in lesson.config.runs]
        assert len(set(labels)) == len(labels) >= 2


# ---------------------------------------------------------------------------- each lesson's claim


def test_zigzag_sgd_bounces_and_momentum_runs_smoothly_and_sooner():
    _, paths, bounds = drawn("zigzag")
    sgd, momentum = paths["SGD"], paths["Momentum"]
    assert sharp_turn_share(sgd, bounds) > 0.5  # gradient descent bounces from wall to wall
    assert sharp_turn_share(momentum, bounds) < 0.1  # momentum averages the bounces away
    across = (0.0, 1.0)  # the steep direction at rotation 0
    assert max_width(momentum, across) <= max_width(sgd, across) + 1e-9  # and swings no wider than SGD
    _, runs = trajectories("zigzag")
    y = runs["SGD"].xs[:10, 0, 1]
    assert np.all(np.sign(y[1:]) != np.sign(y[:-1]))  # SGD crosses the valley floor at every step
    assert first_below(runs["Momentum"].fs[:, 0], 1e-3) < first_below(runs["SGD"].fs[:, 0], 1e-3) / 1.5


def rotated_to(angle: float):
    config = LESSONS["rotated"].config
    return replace(config, surface_params=tuple((k, angle if k == "angle" else v) for k, v in config.surface_params))


def test_rotation_defeats_adam_but_not_gradient_descent():
    steps = LESSONS["rotated"].config.steps
    arrival = {}
    sgd_paths = {}
    for angle in (45.0, 0.0):
        surface, views = scene_views(rotated_to(angle))
        by_label = {v.label: v.trajectory for v in views}
        arrival[angle] = first_below(by_label["Adam"].fs[:, 0], 1e-3)
        sgd_paths[angle] = by_label["SGD"].xs[:, 0]
        if angle:
            rotation = surface.eigenvectors  # columns: the rotated axes
    assert 90 <= arrival[0.0] <= steps < arrival[45.0]  # "set the rotation to 0: it arrives in about 120 steps"
    # gradient descent does not care: its rotated path is the aligned path, rotated
    np.testing.assert_allclose(sgd_paths[45.0], sgd_paths[0.0] @ rotation.T, atol=1e-9)
    _, paths, bounds = drawn("rotated")
    assert sharp_turn_share(paths["SGD"], bounds) > 0.5  # the reference visibly zig-zags
    assert np.mean(paths["Adam"][-1] ** 2) > 1.0  # and Adam is still far from the minimum at the end


def test_saddle_traps_full_batch_and_noise_escapes():
    _, runs = trajectories("saddle")
    trapped, escaped = runs["SGD, full batch"], runs["SGD, batch 4"]
    assert np.all(trapped.xs[:, 0, 1] == 0.0) and abs(trapped.xs[-1, 0, 0]) < 0.1
    assert escaped.fs[-1, 0] < -1.0
    picture, paths, _ = drawn("saddle")  # drawn: straight along the ridge into the saddle's cross, and away
    assert np.all(paths["SGD, full batch"][:, 1] == 0.0)
    assert distance_to(picture.at_step("SGD, full batch"), picture.marks("saddle")) < 0.1
    assert abs(picture.at_step("SGD, batch 4")[1]) > 1.0


def test_adagrad_stalls_while_rmsprop_arrives():
    _, runs = trajectories("adagrad_stall")
    adagrad, rmsprop = runs["AdaGrad"], runs["RMSProp"]
    assert rmsprop.fs[-1, 0] < 0.01 < adagrad.fs[-1, 0]
    step_lengths = np.linalg.norm(np.diff(adagrad.xs[:, 0], axis=0), axis=-1)
    assert step_lengths[-1] < step_lengths[10] / 3
    picture, _, _ = drawn("adagrad_stall")  # drawn: RMSProp rests on the star, AdaGrad far from it
    star = picture.marks("minimum")
    assert distance_to(picture.at_step("RMSProp"), star) < 0.05 < 1.0 < distance_to(picture.at_step("AdaGrad"), star)


def test_high_momentum_overshoots_more():
    surface, runs = trajectories("overshoot")

    def crossings(xy):  # sign changes of the coordinate along the steepest eigen-direction
        along = xy @ surface.eigenvectors[:, 0]
        return int(np.sum(np.sign(along[1:]) != np.sign(along[:-1])))

    assert crossings(runs["μ = 0.95"].xs[:, 0]) >= 3 * max(1, crossings(runs["μ = 0.6"].xs[:, 0]))
    _, paths, _ = drawn("overshoot")  # and on the drawn paths
    assert crossings(paths["μ = 0.95"]) >= 3 * max(1, crossings(paths["μ = 0.6"]))


def test_bias_correction_scales_the_first_steps():
    """Uncorrected, the first step is (1 - β1)/sqrt(1 - β2) times the corrected one: too long or too short."""
    _, runs = trajectories("bias_correction")

    def first_step(label):
        tr = runs[label]
        return np.linalg.norm(tr.xs[1, 0] - tr.xs[0, 0])

    reference = first_step("with bias correction")
    assert first_step("without, β₂ = 0.999") / reference == pytest.approx(0.1 / np.sqrt(0.001), rel=1e-6)
    assert first_step("without, β₂ = 0.9") / reference == pytest.approx(0.1 / np.sqrt(0.1), rel=1e-6)
    travelled = {label: np.linalg.norm(tr.xs[5, 0] - tr.xs[0, 0]) for label, tr in runs.items()}
    assert travelled["without, β₂ = 0.9"] < travelled["with bias correction"] / 1.5  # the slow start
    _, paths, _ = drawn("bias_correction")  # drawn (float32): the same ratios of the first steps
    first = {label: np.linalg.norm(xy[1] - xy[0]) for label, xy in paths.items()}
    assert first["without, β₂ = 0.999"] / first["with bias correction"] == pytest.approx(0.1 / np.sqrt(0.001), rel=1e-4)
    assert first["without, β₂ = 0.9"] / first["with bias correction"] == pytest.approx(0.1 / np.sqrt(0.1), rel=1e-4)


def test_too_large_learning_rate_diverges():
    surface, runs = trajectories("too_large")
    assert 2 / surface.eigenvalues.max() == pytest.approx(0.2)
    assert runs["η = 0.19"].diverged_at[0] == -1 and runs["η = 0.19"].fs[-1, 0] < 1e-2
    assert runs["η = 0.22"].diverged_at[0] > 0
    _, paths, bounds = drawn("too_large")
    assert sharp_turn_share(paths["η = 0.19"], bounds) > 0.9  # "the path oscillates"


def test_newton_follows_the_valley_and_beats_gradient_descent():
    _, runs = trajectories("newton")
    newton, gd = runs["Newton, η = 0.5"], runs["Gradient descent"]
    assert first_below(newton.fs[:, 0], 1e-10) < 60  # "about 40 steps"
    assert gd.fs[-1, 0] > 1e-2 and gd.xs[-1, 0, 0] > 0.3  # on its way along the floor, not there after 1000
    _, paths, _ = drawn("newton")
    for label in ("Newton, η = 0.5", "Gradient descent"):  # after reaching it, both stay on the valley floor
        xy = paths[label][5:]
        assert np.max(np.abs(xy[:, 1] - xy[:, 0] ** 2)) < 0.15, label
    newton_run = next(run for run in LESSONS["newton"].config.runs if run.optimizer == "newton")
    full = replace(newton_run, hparams=())  # the full step the text mentions
    full_step = run_trajectory("rosenbrock", (), full, steps=10, start=(-1.2, 1.0), noise=0.0, seed=0,
                               weight_decay=0.0, clip_norm=0.0)
    assert first_below(full_step.fs[:, 0], 1e-10) <= 6
    assert np.max(np.abs(full_step.xs[:, 0, 1] - full_step.xs[:, 0, 0] ** 2)) > 1.0  # it cuts across the valley


def test_newton_is_attracted_to_the_saddle_and_saddle_free_escapes():
    _, runs = trajectories("newton_saddle")
    surface = make_surface("himmelblau", ())
    assert np.min(np.linalg.norm(surface.saddles - runs["Newton"].xs[-1, 0], axis=-1)) < 1e-6
    assert runs["Saddle-free Newton"].fs[-1, 0] < 1e-6
    picture, _, _ = drawn("newton_saddle")  # drawn: Newton's marker on a saddle's cross, the other on a star
    assert distance_to(picture.at_step("Newton"), picture.marks("saddle")) < 1e-3
    assert distance_to(picture.at_step("Saddle-free Newton"), picture.marks("minimum")) < 1e-3


def test_bfgs_reaches_rosenbrocks_minimum():
    _, runs = trajectories("bfgs")
    assert first_below(runs["BFGS"].fs[:, 0], 1e-12) < 60
    assert first_below(runs["Nonlinear CG"].fs[:, 0], 1e-12) < 80
    assert runs["Nonlinear CG"].n_grad[0] > 2 * runs["BFGS"].n_grad[0]
    assert runs["Adam"].fs[-1, 0] > 1e-8
    picture, _, _ = drawn("bfgs")  # drawn: BFGS and CG on the star, Adam visibly short of it
    star = picture.marks("minimum")
    assert max(distance_to(picture.at_step(label), star) for label in ("BFGS", "Nonlinear CG")) < 1e-3
    assert distance_to(picture.at_step("Adam"), star) > 0.05


def test_small_batches_leave_the_sharp_minimum():
    surface, runs = trajectories("sharp_flat", copies=100)
    index, distance = surface.nearest_minimum(runs["SGD, batch 1"].xs[-1])
    flat_small = np.mean((index == 1) & (distance < 0.8))
    index, distance = surface.nearest_minimum(runs["SGD, batch 256"].xs[-1])
    sharp_large = np.mean((index == 0) & (distance < 0.3))
    assert flat_small > 0.5 and sharp_large > 0.95
    picture, _, _ = drawn("sharp_flat")  # the paths the lesson draws show it too
    sharp, flat = picture.marks("minimum")
    small, large = picture.at_step("SGD, batch 1"), picture.at_step("SGD, batch 256")
    assert np.linalg.norm(small - flat) < 0.5 < np.linalg.norm(small - sharp)
    assert np.linalg.norm(large - sharp) < 0.1


def test_small_batches_counted_by_basin_in_the_ensemble_view():
    """The noise-ensemble count the lesson points to: batch 1 mostly ends in the flat basin, batch 256 in the sharp."""
    from analysis import ensemble
    from ui.compute import build_optimizer

    config = LESSONS["sharp_flat"].config
    surface = make_surface(config.surface, config.surface_params)
    counts = {}
    for run in config.runs:
        e = ensemble(build_optimizer(run, 0.0), surface, k=100, steps=config.steps,
                     noise=config.noise / np.sqrt(run.batch_size), seed=config.seed)
        counts[run.label] = e.basin_counts
    small, large = counts["SGD, batch 1"], counts["SGD, batch 256"]
    flat, sharp = (next(k for k in small if k.startswith(f"minimum {i}")) for i in (2, 1))
    assert small[flat] > 50 and large[sharp] > 95
    assert small["none"] == large["none"] == 0  # a noisy run is in some basin: none swallows nothing


def test_decay_schedules_settle_closer_than_constant():
    _, runs = trajectories("schedules", copies=50)

    def spread(tr):  # mean distance to the minimum over the last 20 steps and all copies
        return float(np.mean(np.linalg.norm(tr.xs[-20:], axis=-1)))

    assert spread(runs["step decay from η = 0.1"]) < spread(runs["constant"]) / 2
    assert spread(runs["exponential decay"]) < spread(runs["constant"]) / 2
    _, paths, _ = drawn("schedules")  # on the drawn paths: the constant run still bounces, the decayed have settled

    def bounce(xy):  # mean step length over the last 50 steps
        return float(np.mean(np.linalg.norm(np.diff(xy[-50:], axis=0), axis=-1)))

    assert bounce(paths["exponential decay"]) < bounce(paths["constant"]) / 5
    assert bounce(paths["step decay from η = 0.1"]) < bounce(paths["constant"]) / 5


# ---------------------------------------------------------------------------- every surface opens with a scene


@pytest.mark.parametrize("name", list(SURFACES))
def test_every_surface_opens_with_runs_that_show_something_other_than_divergence(name):
    config = surface_scene(name)
    assert len(config.runs) >= 2 and all(run.optimizer in OPTIMIZERS for run in config.runs)
    assert len(set(run_labels(config.runs))) == len(config.runs)
    _, views = scene_views(config)
    _, paths, bounds = drawn(config)
    moved = []
    for view in views:
        tr = view.trajectory
        assert tr.diverged_at[0] == -1, view.label  # no red cross at step 1
        assert inside_share(paths[view.label], bounds) > 0.9, view.label  # and no line off the chart
        moved.append(tr.fs[-1, 0] < tr.fs[0, 0] - 1e-3 * abs(tr.fs[0, 0]))
    assert any(moved)  # someone goes downhill


@pytest.mark.parametrize("name", list(SURFACES))
def test_suggested_rates_are_below_the_stability_limit_at_the_start(name):
    """Where the curvature at the start is positive, gradient descent's rates respect 2/λmax there."""
    surface = make_surface(name, ())
    lam_max = float(np.linalg.eigvalsh(surface.hess(surface.start)).max())
    for run in suggested_runs(name):
        spec = OPTIMIZERS[run.optimizer]
        if spec.stability_limit and lam_max > 0:
            hparams = {**spec.defaults(), **dict(run.hparams)}
            assert hparams["lr"] < spec.stability_limit(hparams, lam_max), run


def test_the_default_scene_is_the_bowls_suggestion_and_says_what_its_caption_says():
    """The default page (the bowl's suggested runs): SGD zig-zags, momentum straightens the path and arrives sooner."""
    config = surface_scene("ill_conditioned_bowl")
    _, paths, bounds = drawn(config)
    labels = run_labels(config.runs)
    sgd, momentum = (paths[config.labels()[i]] for i in (0, 1))
    assert sharp_turn_share(sgd, bounds) > 0.5 and sharp_turn_share(momentum, bounds) < 0.1
    assert max_width(momentum, (0.0, 1.0)) <= max_width(sgd, (0.0, 1.0)) + 1e-9
    _, views = scene_views(config)
    arrive = [first_below(v.trajectory.fs[:, 0], 1e-6) for v in views]
    assert arrive[1] < arrive[0] / 1.5 and len(set(labels)) == 3
