"""Every lesson teaches what it claims: its text is checked on the trajectories it computes."""

from __future__ import annotations

import numpy as np
import pytest

from ui.compute import make_surface, run_trajectory
from ui.lessons import LESSONS


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


def test_lessons_have_text_and_distinct_labels():
    for lesson in LESSONS.values():
        assert len(lesson.text) > 80 and lesson.title
        labels = [r.label for r in lesson.config.runs]
        assert len(set(labels)) == len(labels) >= 2


def test_zigzag_sgd_bounces_and_momentum_is_faster():
    _, runs = trajectories("zigzag")
    y = runs["SGD"].xs[:10, 0, 1]
    assert np.all(np.sign(y[1:]) != np.sign(y[:-1]))  # SGD crosses the valley floor at every step
    assert first_below(runs["Momentum"].fs[:, 0], 1e-3) < first_below(runs["SGD"].fs[:, 0], 1e-3) / 1.5


def test_rotation_defeats_adam():
    from dataclasses import replace

    from ui.config import RunConfig  # noqa: F401  (documents the type being replaced)

    config = LESSONS["rotated"].config
    aligned = replace(config, surface_params=(("kappa", 50.0),))
    losses = {}
    for name, cfg in (("rotated", config), ("aligned", aligned)):
        surface = make_surface(cfg.surface, cfg.surface_params)
        run = next(r for r in cfg.runs if r.label == "Adam")
        tr = run_trajectory(cfg.surface, cfg.surface_params, run, steps=cfg.steps, start=tuple(surface.start),
                            noise=0.0, seed=0, weight_decay=0.0, clip_norm=0.0)
        losses[name] = first_below(tr.fs[:, 0], 1e-2)
    assert losses["aligned"] * 2 < losses["rotated"]


def test_saddle_traps_full_batch_and_noise_escapes():
    _, runs = trajectories("saddle")
    trapped, escaped = runs["SGD, full batch"], runs["SGD, batch 4"]
    assert np.all(trapped.xs[:, 0, 1] == 0.0) and abs(trapped.xs[-1, 0, 0]) < 0.1
    assert escaped.fs[-1, 0] < -1.0


def test_adagrad_stalls_while_rmsprop_arrives():
    _, runs = trajectories("adagrad_stall")
    adagrad, rmsprop = runs["AdaGrad"], runs["RMSProp"]
    assert rmsprop.fs[-1, 0] < 0.01 < adagrad.fs[-1, 0]
    step_lengths = np.linalg.norm(np.diff(adagrad.xs[:, 0], axis=0), axis=-1)
    assert step_lengths[-1] < step_lengths[10] / 3


def test_high_momentum_overshoots_more():
    surface, runs = trajectories("overshoot")

    def crossings(tr):  # sign changes of the coordinate along the steepest eigen-direction
        along = tr.xs[:, 0] @ surface.eigenvectors[:, 0]
        return int(np.sum(np.sign(along[1:]) != np.sign(along[:-1])))

    assert crossings(runs["μ = 0.95"]) >= 3 * max(1, crossings(runs["μ = 0.6"]))


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


def test_too_large_learning_rate_diverges():
    surface, runs = trajectories("too_large")
    assert 2 / surface.eigenvalues.max() == pytest.approx(0.2)
    assert runs["η = 0.19"].diverged_at[0] == -1 and runs["η = 0.19"].fs[-1, 0] < 1e-2
    assert runs["η = 0.22"].diverged_at[0] > 0


def test_newton_beats_gradient_descent():
    _, runs = trajectories("newton")
    assert first_below(runs["Newton"].fs[:, 0], 1e-10) < 30
    assert runs["Gradient descent"].fs[-1, 0] > 1e-3


def test_newton_is_attracted_to_the_saddle_and_saddle_free_escapes():
    _, runs = trajectories("newton_saddle")
    surface = make_surface("himmelblau", ())
    assert np.min(np.linalg.norm(surface.saddles - runs["Newton"].xs[-1, 0], axis=-1)) < 1e-6
    assert runs["Saddle-free Newton"].fs[-1, 0] < 1e-6


def test_bfgs_reaches_rosenbrocks_minimum():
    _, runs = trajectories("bfgs")
    assert first_below(runs["BFGS"].fs[:, 0], 1e-12) < 60
    assert first_below(runs["L-BFGS"].fs[:, 0], 1e-12) < 80
    assert runs["Adam"].fs[-1, 0] > 1e-8


def test_small_batches_leave_the_sharp_minimum():
    surface, runs = trajectories("sharp_flat", copies=100)
    index, distance = surface.nearest_minimum(runs["SGD, batch 1"].xs[-1])
    flat_small = np.mean((index == 1) & (distance < 0.8))
    index, distance = surface.nearest_minimum(runs["SGD, batch 256"].xs[-1])
    sharp_large = np.mean((index == 0) & (distance < 0.3))
    assert flat_small > 0.5 and sharp_large > 0.95
    _, single = trajectories("sharp_flat")  # the path the lesson draws shows it too
    assert surface.nearest_minimum(single["SGD, batch 1"].xs[-1])[0][0] == 1


def test_decay_schedules_settle_closer_than_constant():
    _, runs = trajectories("schedules", copies=50)

    def spread(tr):  # mean distance to the minimum over the last 20 steps and all copies
        return float(np.mean(np.linalg.norm(tr.xs[-20:], axis=-1)))

    assert spread(runs["step decay"]) < spread(runs["constant"]) / 2
    assert spread(runs["cosine"]) < spread(runs["constant"]) / 2
