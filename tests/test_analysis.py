"""Basin maps, sweeps, ensembles and the tuner, each checked on a case whose answer is known."""

from __future__ import annotations

import time
import tracemalloc
from itertools import pairwise

import numpy as np
import pytest

from analysis import (
    DIVERGED,
    MAX_STEPS,
    NONE,
    BasinMap,
    basin_map,
    default_axis,
    ensemble,
    find_param,
    minimum_label,
    quadratic_theory,
    sweep,
    tune,
)
from analysis.tuning import best_index
from optimizers import OPTIMIZERS, get_optimizer, summarize
from plots import surface_grid
from plots.maps import (
    DIVERGED_COLOR,
    NONE_COLOR,
    basin_figure,
    ensemble_curves_figure,
    ensemble_figure,
    sweep_figure,
)
from surfaces import get_surface

pytestmark = pytest.mark.filterwarnings("error")  # no RuntimeWarning (nor any other) from a diverging run


@pytest.fixture(scope="module")
def bowl():
    return get_surface("ill_conditioned_bowl", kappa=10.0)


@pytest.fixture(scope="module")
def himmelblau():
    return get_surface("himmelblau")


@pytest.fixture(scope="module")
def himmelblau_map(himmelblau):
    return basin_map(get_optimizer("sgd", lr=0.01), himmelblau, resolution=40, steps=300)


@pytest.fixture(scope="module")
def wild_map(himmelblau):
    """A step too large for Himmelblau: some starts diverge, some end nowhere, some reach a minimum."""
    m = basin_map(get_optimizer("sgd", lr=0.03), himmelblau, resolution=40, steps=50)
    assert m.diverged.any() and np.any(m.minimum_index == NONE) and np.any(m.minimum_index >= 0)
    return m


# ---------------------------------------------------------------------------- basin maps


def test_bowl_every_start_reaches_the_single_minimum(bowl):
    m = basin_map(get_optimizer("sgd", lr=0.1), bowl, resolution=20, steps=300)  # safe: lr < 2/λmax = 0.2
    assert m.minimum_index.shape == (20, 20) and m.x.shape == (20,) and m.y.shape == (20,)
    assert np.all(m.minimum_index == 0)
    assert not m.diverged.any()
    assert np.all(m.steps_to_tol >= 0)
    assert np.all(m.final_f <= 1e-6)


def test_bowl_too_large_a_step_diverges_everywhere(bowl):
    m = basin_map(get_optimizer("sgd", lr=0.3), bowl, resolution=10, steps=100)  # 0.3 > 2/λmax
    assert np.all(m.minimum_index == DIVERGED)
    assert m.diverged.all() and np.all(np.isnan(m.final_f))


def test_himmelblau_small_steps_end_at_the_nearby_minimum(himmelblau, himmelblau_map):
    m = himmelblau_map
    starts = np.stack(np.meshgrid(m.x, m.y), axis=-1)
    for i, minimum in enumerate(himmelblau.minima):
        near = np.linalg.norm(starts - minimum, axis=-1) <= 0.3
        assert near.sum() >= 3, "the grid should have starts near every minimum"
        assert np.all(m.minimum_index[near] == i), f"starts near {minimum} went elsewhere"
    assert set(np.unique(m.minimum_index)) == {0, 1, 2, 3}


def test_basin_map_rows_are_y_and_columns_are_x(himmelblau):
    bounds = ((2.0, 4.0), (-5.0, 5.0))  # a tall strip: the top half is minimum 0's, the bottom minimum 3's
    m = basin_map(get_optimizer("sgd", lr=0.01), himmelblau, resolution=10, steps=300, bounds=bounds)
    assert m.x[0] == 2.0 and m.x[-1] == 4.0 and m.y[0] == -5.0 and m.y[-1] == 5.0
    assert m.minimum_index[-1, 5] == 0 and m.minimum_index[0, 5] == 3


def test_chunking_changes_nothing_and_reports_progress(himmelblau, himmelblau_map):
    seen = []
    m = basin_map(get_optimizer("sgd", lr=0.01), himmelblau, resolution=40, steps=300, chunk=700, progress=seen.append)
    for a, b in zip(m, himmelblau_map, strict=True):
        np.testing.assert_array_equal(a, b)
    assert len(seen) == 3 and seen == sorted(seen) and seen[-1] == 1.0


def test_basin_map_accepts_an_optimizer_name(bowl):
    m = basin_map("adam", bowl, resolution=10, steps=20)
    assert m.minimum_index.shape == (10, 10) and m.steps == 20


@pytest.mark.skipif("newton" not in OPTIMIZERS, reason="second-order optimizers not registered")
def test_newton_on_the_bowl_converges_from_everywhere(bowl):
    m = basin_map("newton", bowl, resolution=10, steps=20)
    assert np.all(m.minimum_index == 0)


@pytest.mark.slow
def test_300x300_adam_map_for_500_steps_stays_under_150_mb(himmelblau):
    tracemalloc.start()
    try:
        start = time.perf_counter()
        m = basin_map(get_optimizer("adam", lr=0.05), himmelblau, resolution=300, steps=500)
        elapsed = time.perf_counter() - start
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert m.minimum_index.shape == (300, 300)
    assert peak < 150e6, f"peak {peak / 1e6:.0f} MB"
    print(f"300x300x500 adam: {elapsed:.1f} s, peak {peak / 1e6:.0f} MB")


# ---------------------------------------------------------------------------- sweeps and theory


def test_quadratic_theory_on_the_bowl(bowl):
    t = quadratic_theory(bowl)  # eigenvalues 1 and 10
    assert t["lr_max"] == pytest.approx(0.2)
    assert t["lr_best"] == pytest.approx(2 / 11)
    assert t["rate_gd"] == pytest.approx(9 / 11)
    r = np.sqrt(10.0)
    assert t["momentum_best"] == pytest.approx(((r - 1) / (r + 1)) ** 2)
    assert t["lr_momentum_best"] == pytest.approx(4 / (r + 1) ** 2)
    assert t["rate_momentum"] == pytest.approx((r - 1) / (r + 1))
    with pytest.raises(ValueError, match="not a quadratic"):
        quadratic_theory(get_surface("himmelblau"))


def test_gd_lr_sweep_diverges_exactly_above_two_over_lambda_max(bowl):
    lrs = np.geomspace(0.02, 2.0, 101)
    delta = lrs[1] / lrs[0] - 1.0  # one grid step, ~4.7%
    s = sweep("sgd", bowl, x_param="lr", x_values=lrs, steps=500)
    assert s.steps_to_tol.shape == (1, 101) and s.y_param is None
    lr_max = quadratic_theory(bowl)["lr_max"]
    below, above = lrs < lr_max * (1 - delta), lrs > lr_max * (1 + delta)
    assert below.sum() > 40 and above.sum() > 40
    assert not s.diverged[0, below].any()
    assert np.all(s.steps_to_tol[0, below] >= 0)
    assert s.diverged[0, above].all()


def test_momentum_sweep_best_cell_is_polyaks_optimum():
    bowl = get_surface("ill_conditioned_bowl", kappa=100.0)
    t = quadratic_theory(bowl)
    lr_star, mu_star = t["lr_momentum_best"], t["momentum_best"]
    lrs = np.geomspace(lr_star / 3, lr_star * 3, 31)
    mus = np.linspace(0.0, 0.95, 20)
    s = sweep("momentum", bowl, x_param="lr", x_values=lrs, y_param="momentum", y_values=mus, steps=600, tol=1e-10)
    steps = np.where(s.steps_to_tol >= 0, s.steps_to_tol, np.iinfo(np.int64).max)
    i, j = np.unravel_index(np.argmin(steps), steps.shape)
    at_theory = summarize(get_optimizer("momentum", lr=lr_star, momentum=mu_star), bowl, bowl.start, 600, tol=1e-10)
    theory_steps = int(at_theory.steps_to_tol[0])
    # from one start a grid cell may beat the worst-case optimum a little, never by much
    assert steps[i, j] <= theory_steps <= 1.5 * steps[i, j]
    assert abs(np.log(lrs[j] / lr_star)) <= 2 * np.log(lrs[1] / lrs[0])
    assert abs(mus[i] - mu_star) <= 2 * (mus[1] - mus[0])
    gd = sweep("sgd", bowl, x_param="lr", x_values=lrs, steps=600, tol=1e-10)
    assert np.all(gd.steps_to_tol < 0) or gd.steps_to_tol[gd.steps_to_tol >= 0].min() > 3 * steps[i, j]


def test_default_axis_follows_the_param():
    lr = find_param("adam", "lr")
    axis = default_axis(lr, 5)
    np.testing.assert_allclose(axis, np.geomspace(lr.low, lr.high, 5))
    beta2 = find_param("adam", "beta2")
    np.testing.assert_allclose(default_axis(beta2, 4), np.linspace(beta2.low, beta2.high, 4))
    with pytest.raises(ValueError, match="cannot sweep 'amsgrad'"):
        find_param("adam", "amsgrad")


def test_sweep_lr_by_beta2_with_defaults(bowl):
    s = sweep("adam", bowl, x_param="lr", x_values=np.geomspace(1e-3, 1, 6), y_param="beta2",
              y_values=[0.9, 0.99, 0.999], steps=50)
    assert s.steps_to_tol.shape == s.final_f.shape == s.diverged.shape == (3, 6)
    assert np.all(np.isfinite(s.final_f) | s.diverged)


# ---------------------------------------------------------------------------- tuner


def test_tuner_finds_the_best_gd_step_on_the_bowl(bowl):
    lr_best = quadratic_theory(bowl)["lr_best"]
    grid_step = np.log(10.0 / 1e-4) / 24  # 25 log-spaced values over [1e-4, 10]
    for criterion in ("final_loss", "steps_to_tol"):
        (tuned,) = tune(["sgd"], bowl, steps=200, criterion=criterion)
        assert tuned.name == "sgd" and tuned.criterion == criterion and tuned.budget == 200
        assert abs(np.log(tuned.hparams["lr"] / lr_best)) <= grid_step
        assert "25 values" in tuned.search_space


def test_tuner_searches_momentum_and_skips_optimizers_without_lr(bowl):
    names = ["momentum"] + [n for n in ("bfgs",) if n in OPTIMIZERS]
    results = tune(names, bowl, steps=100, n_lr=9)
    assert set(results[0].hparams) == {"lr", "momentum"}
    assert results[0].hparams["momentum"] in (0.0, 0.5, 0.9, 0.99)
    for r in results[1:]:
        assert r.note == "no learning rate to tune" and r.hparams == {}


def test_diverged_never_wins_and_ties_go_to_the_smaller_loss():
    score = np.array([1.0, 5.0, 5.0, 7.0])
    final_f = np.array([np.nan, 0.3, 0.2, 0.0])
    diverged = np.array([True, False, False, False])
    assert best_index(score, final_f, diverged) == 2
    assert best_index(score, final_f, np.ones(4, dtype=bool)) is None


# ---------------------------------------------------------------------------- ensembles


def test_ensemble_is_reproducible_and_counts_every_run():
    surface = get_surface("sharp_and_flat")
    a = ensemble(get_optimizer("sgd", lr=0.05), surface, k=60, steps=300, noise=1.0, seed=3)
    b = ensemble(get_optimizer("sgd", lr=0.05), surface, k=60, steps=300, noise=1.0, seed=3)
    assert a.basin_counts == b.basin_counts
    np.testing.assert_array_equal(a.trajectory.xs, b.trajectory.xs)
    assert sum(a.basin_counts.values()) == 60
    assert list(a.basin_counts) == [minimum_label(surface, 0), minimum_label(surface, 1), "none", "diverged"]
    c = ensemble(get_optimizer("sgd", lr=0.05), surface, k=60, steps=300, noise=1.0, seed=4)
    assert not np.array_equal(a.trajectory.xs, c.trajectory.xs)
    assert np.all(a.band_low <= a.median_loss) and np.all(a.median_loss <= a.band_high)


def test_ensemble_without_noise_runs_identical_paths(bowl):
    e = ensemble(get_optimizer("momentum", lr=0.05), bowl, k=20, steps=100, noise=0.0)
    xs = e.trajectory.xs
    assert xs.shape == (101, 20, 2)
    np.testing.assert_array_equal(xs, np.broadcast_to(xs[:, :1], xs.shape))
    np.testing.assert_array_equal(e.band_low, e.band_high)
    assert e.basin_counts[minimum_label(bowl, 0)] == 20


def test_ensemble_that_diverges_gives_nan_bands_without_warnings(bowl):
    e = ensemble(get_optimizer("sgd", lr=0.5), bowl, k=10, steps=60, noise=0.1)
    assert e.basin_counts["diverged"] == 10
    assert np.isnan(e.median_loss[-1]) and np.isfinite(e.median_loss[0])


# ---------------------------------------------------------------------------- validation


@pytest.mark.parametrize(
    ("call", "message"),
    [
        (lambda s: basin_map("sgd", s, resolution=301), "resolution must be a whole number from 10 to 300"),
        (lambda s: basin_map("sgd", s, resolution=9), "resolution"),
        (lambda s: basin_map("sgd", s, resolution=50.5), "resolution"),
        (lambda s: basin_map("sgd", s, steps=MAX_STEPS + 1), f"steps must be a whole number from 1 to {MAX_STEPS}"),
        (lambda s: basin_map("sgd", s, tol=0.0), "tol must be a positive number"),
        (lambda s: basin_map("sgd", s, bounds=((1, 0), (0, 1))), "min < max"),
        (lambda s: basin_map(get_optimizer("sgd", lr=[0.1, 0.2]), s), "must be one number"),
        (lambda s: basin_map("nope", s), "unknown optimizer"),
        (lambda s: ensemble("sgd", s, k=201, noise=0.1), "k \\(number of runs\\) must be a whole number from 1 to 200"),
        (lambda s: ensemble("sgd", s, k=0, noise=0.1), "k \\(number of runs\\)"),
        (lambda s: ensemble("sgd", s, noise=-1.0), "noise must be a number >= 0"),
        (lambda s: ensemble("sgd", s, steps=5000, noise=0.1), "steps"),
        (lambda s: sweep("sgd", s, x_param="lr", x_values=np.geomspace(1e-3, 1, 301)), "1 to 300 finite numbers"),
        (lambda s: sweep("sgd", s, x_param="lr", x_values=[0.1, -0.1]), "'lr' must be >= 0"),
        (lambda s: sweep("sgd", s, x_param="beta1"), "cannot sweep 'beta1'"),
        (lambda s: sweep("momentum", s, x_param="lr", y_param="lr"), "two different"),
        (lambda s: sweep("momentum", s, x_param="lr", fixed={"lr": 0.1}), "cannot also be fixed"),
        (lambda s: sweep("sgd", s, x_param="lr", start=(np.nan, 0)), "start must be a finite point"),
        (lambda s: sweep("sgd", s, x_param="lr", steps=0), "steps"),
        (lambda s: tune(["sgd"], s, n_lr=301), "n_lr"),
        (lambda s: tune(["sgd"], s, criterion="fastest"), "criterion must be one of"),
        (lambda s: tune(["sgd"], s, lr_range=(1.0, 0.1)), "0 < low < high"),
        (lambda s: tune(["sgd"], s, momenta=(0.5, 1.0)), "momenta"),
        (lambda s: tune([], s), "at least one"),
    ],
)
def test_oversize_or_invalid_requests_are_refused_fast(bowl, call, message):
    start = time.perf_counter()
    with pytest.raises(ValueError, match=message):
        call(bowl)
    assert time.perf_counter() - start < 0.5


def test_the_largest_sweep_is_allowed_but_not_more(bowl):
    assert default_axis(find_param("momentum", "momentum"), 300).shape == (300,)
    with pytest.raises(ValueError, match="1 to 300"):
        sweep("momentum", bowl, x_param="lr", x_values=np.geomspace(1e-3, 1, 300), y_param="momentum",
              y_values=np.linspace(0, 0.9, 301))


# ---------------------------------------------------------------------------- figures


def _color_at(scale, z):
    """The colour a stepped Plotly colour scale gives to the normalised value z (a band's colour)."""
    for (a, ca), (b, cb) in pairwise(scale):
        if a <= z <= b and ca == cb:
            return ca
    raise AssertionError(f"{z} is not inside a band of one colour")


def _heatmaps(fig):
    return [t for t in fig.data if t.type == "heatmap"]


def test_basin_figure_by_minimum_names_every_colour(himmelblau, himmelblau_map, wild_map):
    wild = wild_map
    fig = basin_figure(himmelblau, [("GD small", himmelblau_map), ("GD large", wild)])
    maps = _heatmaps(fig)
    assert len(maps) == 2
    bar = maps[0].colorbar
    assert list(bar.ticktext) == [minimum_label(himmelblau, i) for i in range(4)] + ["none", "diverged"]
    assert bar.ticktext[0] == "minimum 1 (3.00, 2.00)"
    for trace, m in zip(maps, (himmelblau_map, wild), strict=True):
        z = np.asarray(trace.z, dtype=float)
        assert not np.isnan(z).any()
        scale = trace.colorscale
        zn = (z - trace.zmin) / (trace.zmax - trace.zmin)
        for index, color in ((DIVERGED, DIVERGED_COLOR), (NONE, NONE_COLOR)):
            for v in zn[m.minimum_index == index]:
                assert _color_at(scale, v) == color
    stars = [t for t in fig.data if t.type == "scatter" and t.marker.symbol == "star"]
    assert len(stars) == 2 and len(stars[0].x) == 4


@pytest.mark.parametrize("color_by", ["steps", "final_loss"])
def test_basin_figure_by_steps_or_loss_has_no_nan(himmelblau, himmelblau_map, wild_map, color_by):
    wild = wild_map
    fig = basin_figure(himmelblau, [("a", himmelblau_map), ("b", wild)], color_by=color_by)
    maps = _heatmaps(fig)
    assert len(maps) == 2
    z = np.asarray(maps[1].z, dtype=float)
    assert not np.isnan(z).any()
    bar = maps[0].colorbar
    diverged_at = list(bar.tickvals)[list(bar.ticktext).index("diverged")]
    assert np.allclose(z[wild.diverged], diverged_at)
    assert _color_at(maps[1].colorscale, diverged_at) == DIVERGED_COLOR
    if color_by == "steps":
        missed_at = list(bar.tickvals)[list(bar.ticktext).index("not reached")]
        missed = ~wild.diverged & (wild.steps_to_tol < 0)
        assert missed.any() and np.allclose(z[missed], missed_at)
    with pytest.raises(ValueError, match="color_by"):
        basin_figure(himmelblau, [("a", himmelblau_map)], color_by="speed")
    other = basin_map("sgd", himmelblau, resolution=10, steps=5, bounds=((0, 5), (0, 5)))
    with pytest.raises(ValueError, match="same bounds"):
        basin_figure(himmelblau, [("a", himmelblau_map), ("b", other)])


def test_sweep_figure_marks_diverged_cells_and_theory_lines(bowl):
    s = sweep("momentum", bowl, x_param="lr", x_values=np.geomspace(0.01, 1, 15), y_param="momentum",
              y_values=np.linspace(0, 0.9, 7), steps=200)
    assert s.diverged.any() and (~s.diverged).any()
    theory = quadratic_theory(bowl)
    fig = sweep_figure(s, theory=theory)
    (heat,) = _heatmaps(fig)
    z = np.asarray(heat.z, dtype=float)
    assert not np.isnan(z).any()
    text = np.asarray(heat.text)
    assert np.all(text[s.diverged] == "diverged") and not np.any(text[~s.diverged] == "diverged")
    diverged_at = list(heat.colorbar.tickvals)[list(heat.colorbar.ticktext).index("diverged")]
    assert np.allclose(z[s.diverged], diverged_at) and not np.any(np.isclose(z[~s.diverged], diverged_at))
    np.testing.assert_allclose(heat.x, np.log10(s.x_values))  # lr is a log Param
    lines = {t.meta["theory"]: t for t in fig.data if isinstance(t.meta, dict) and "theory" in t.meta}
    assert 10 ** lines["lr_max"].x[0] == pytest.approx(theory["lr_max"])
    assert 10 ** lines["lr_best"].x[0] == pytest.approx(theory["lr_best"])
    assert 10 ** lines["momentum_best"].x[0] == pytest.approx(theory["lr_momentum_best"])
    assert lines["momentum_best"].y[0] == pytest.approx(theory["momentum_best"])
    assert "2/λmax" in lines["lr_max"].name
    plain = sweep_figure(s)
    assert len(plain.data) == 1


def test_sweep_figure_axes_follow_the_params(bowl):
    s = sweep("adam", bowl, x_param="beta2", x_values=[0.9, 0.99, 0.999], y_param="lr", y_values=[0.02, 0.03, 0.05],
              steps=30)
    fig = sweep_figure(s, theory=quadratic_theory(bowl))
    (heat,) = _heatmaps(fig)
    np.testing.assert_allclose(heat.x, [0.9, 0.99, 0.999])  # beta2 is linear
    np.testing.assert_allclose(heat.y, np.log10([0.02, 0.03, 0.05]))  # lr is log, less than a decade:
    assert list(fig.layout.yaxis.ticktext) == ["0.02", "0.05"]  # ticks at 2 and 5 x 10^k
    assert len(fig.data) == 1  # theory lines belong on an lr x axis only


def test_ensemble_figures(bowl):
    e = ensemble(get_optimizer("sgd", lr=0.05), bowl, k=7, steps=30, noise=2.0)
    fig = ensemble_figure(bowl, surface_grid(bowl, 40), e, "#E69F00")
    fans = [t for t in fig.data if t.type == "scattergl" and t.mode == "lines"]
    assert len(fans) == 1
    x = np.asarray(fans[0].x, dtype=float)
    assert len(x) == 7 * 31 + 6 and np.isnan(x).sum() == 6
    assert fans[0].line.width <= 1 and "0.25" in fans[0].line.color
    curves = ensemble_curves_figure(e)
    names = [t.name for t in curves.data]
    assert "median loss" in names and "10–90% of runs" in names
    np.testing.assert_allclose(curves.data[names.index("median loss")].y, e.median_loss)


def test_basin_map_is_a_named_tuple_of_arrays(himmelblau_map):
    assert isinstance(himmelblau_map, BasinMap)
    assert himmelblau_map.minimum_index.dtype.kind == "i" and himmelblau_map.diverged.dtype == bool


# ---------------------------------------------------------------------------- required orders and the budget


def test_a_sweep_over_c1_and_c2_masks_the_cells_that_break_their_order():
    rosenbrock = get_surface("rosenbrock")
    c1s, c2s = np.array([1e-4, 0.05, 0.3]), np.array([0.01, 0.2, 0.9])
    s = sweep("bfgs", rosenbrock, x_param="c1", x_values=c1s, y_param="c2", y_values=c2s, steps=60)
    np.testing.assert_array_equal(s.allowed, c1s[None, :] < c2s[:, None])
    assert np.all(s.steps_to_tol[~s.allowed] == -1) and np.all(np.isnan(s.final_f[~s.allowed]))
    for i, j in zip(*np.nonzero(s.allowed), strict=True):  # an allowed cell is exactly its own run
        alone = summarize(get_optimizer("bfgs", c1=c1s[j], c2=c2s[i]), rosenbrock, [rosenbrock.start], 60)
        assert s.steps_to_tol[i, j] == alone.steps_to_tol[0]


def test_the_measured_cost_orders_cheap_and_expensive_work():
    from analysis.limits import affordable, seconds_per_trajectory_step

    bowl, formula = get_surface("ill_conditioned_bowl"), get_surface("custom", formula="sin(x)*cos(y)+x^2/9+y^2/9")
    cheap = min(seconds_per_trajectory_step(get_optimizer("sgd", lr=0.01), bowl) for _ in range(3))
    dear = min(seconds_per_trajectory_step(get_optimizer("newton"), formula) for _ in range(3))
    assert 0 < cheap < dear
    assert affordable(10**9, 1e-3, budget=4.0) == 4000 and affordable(10, 1e-3, budget=4.0) == 10


def test_a_basin_request_above_the_budget_is_drawn_smaller_and_says_so():
    from ui.explore import BUDGET_SECONDS, RESOLUTIONS, fit_basin_budget

    cost = 1e-6  # seconds per trajectory-step
    assert fit_basin_budget([cost], 100, 100) == (100, 100, "")  # 1 s
    resolution, steps, said = fit_basin_budget([cost] * 8, 300, 1000)  # 720 s asked
    assert resolution in RESOLUTIONS and resolution < 300 and steps <= 1000
    assert 8 * cost * resolution**2 * steps <= BUDGET_SECONDS
    assert "300×300" in said and f"{resolution}×{resolution}" in said
    resolution, steps, said = fit_basin_budget([1e-4] * 8, 300, 1000)  # even 50 x 50 is too much: fewer steps
    assert resolution == RESOLUTIONS[0] and steps < 1000 and "first" in said
    assert 8 * 1e-4 * resolution**2 * steps <= BUDGET_SECONDS
