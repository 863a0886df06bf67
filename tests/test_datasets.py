"""Finite-sum surfaces and real minibatches (issue 14).

The generic surface tests (tests/test_surfaces.py) already loop over these entries: derivatives against finite
differences, minima stationary and optimal, shapes, metadata, slider ranges. Here: each loss against a formula typed
in from its docstring, least squares against the closed form, the minibatch gradient's mean and its finite-population
variance, torch's epoch semantics, reproducibility, batched runs against separate runs, the recorded train and test
losses, weight decay, the sharp-versus-flat count, the model figure and the README example.
"""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from optimizers import OPTIMIZERS, get_optimizer, run, summarize
from optimizers.base import Oracle
from optimizers.minibatch import Minibatches
from plots import model_figure
from plots.model import model_lines
from surfaces import SURFACES, get_surface

DATASETS = [name for name in SURFACES if get_surface(name).finite_sum is not None]
ROOT = Path(__file__).resolve().parents[1]


def softplus(u):
    return np.logaddexp(0.0, u)


# name -> (finite_sum, w (K, 2)) -> per-example losses (K, n) without the penalty, typed in from the docstrings
REFERENCE = {
    "linear_regression": lambda d, w: 0.5 * (w[:, :1] * d.x[:, 0] + w[:, 1:] - d.y) ** 2,
    "logistic_separable": lambda d, w: softplus(-d.y * (w @ d.x.T)),
    "logistic_overlapping": lambda d, w: softplus(-d.y * (w @ d.x.T)),
    "sinusoid": lambda d, w: 0.5 * (np.sin(w[:, :1] * d.x[:, 0] + w[:, 1:]) - d.y) ** 2,
}


def points(surface, k=50, seed=0):
    (x0, x1), (y0, y1) = surface.bounds
    rng = np.random.default_rng(seed)
    return np.stack([rng.uniform(x0, x1, k), rng.uniform(y0, y1, k)], axis=-1)


# ---------------------------------------------------------------------------- the registry


def test_the_registry_lists_the_dataset_surfaces_with_their_data_parameters():
    assert {"linear_regression", "logistic_separable", "logistic_overlapping", "sinusoid",
            "sharp_flat_data"} <= set(DATASETS)
    for name in DATASETS:
        params = {p.name: p for p in SURFACES[name].params}
        assert {"n", "noise", "seed", "l2"} <= set(params), name
        assert params["l2"].symbol == r"\lambda"
        surface = get_surface(name, n=25, seed=3)
        data = surface.finite_sum
        assert data.n == 25 and data.x.shape[0] == 25 and len(data.test_y) == len(data.test_x) > 0
        assert data.model in ("line", "boundary", "curve", "slice")


@pytest.mark.parametrize("name", DATASETS)
def test_same_seed_same_data_other_seed_other_data(name):
    a, b, c = (get_surface(name, seed=s).finite_sum for s in (4, 4, 5))
    np.testing.assert_array_equal(a.x, b.x)
    np.testing.assert_array_equal(a.test_x, b.test_x)
    assert not np.array_equal(a.x, c.x)


# ---------------------------------------------------------------------------- the losses


@pytest.mark.parametrize("name", sorted(REFERENCE))
@pytest.mark.parametrize("l2", [0.0, 0.3])
def test_f_is_the_mean_of_the_per_example_losses_plus_the_penalty(name, l2):
    surface = get_surface(name, outliers=0.1, l2=l2)
    data, w = surface.finite_sum, points(surface)
    per_example = REFERENCE[name](data, w)
    np.testing.assert_allclose(surface.f(w), per_example.mean(1) + 0.5 * l2 * (w * w).sum(1), rtol=1e-12)
    np.testing.assert_allclose(data.train_loss(w), per_example.mean(1), rtol=1e-12)
    test = REFERENCE[name](type(data)(loss=data.loss, x=data.test_x, y=data.test_y, test_x=data.x, test_y=data.y), w)
    np.testing.assert_allclose(data.test_loss(w), test.mean(1), rtol=1e-12)


def test_least_squares_minimum_is_the_closed_form():
    for l2 in (0.0, 0.05, 1.0):
        surface = get_surface("linear_regression", n=40, noise=0.8, outliers=0.1, seed=2, l2=l2)
        data = surface.finite_sum
        design = np.stack([data.x[:, 0], np.ones(data.n)], axis=-1)
        # ridge as an ordinary least-squares problem with sqrt(n λ) I appended: min ‖Aθ - y‖² + nλ‖θ‖²
        a = np.vstack([design, np.sqrt(data.n * l2) * np.eye(2)])
        theta = np.linalg.lstsq(a, np.concatenate([data.y, [0.0, 0.0]]), rcond=None)[0]
        np.testing.assert_allclose(surface.minima[0], theta, rtol=1e-10, atol=1e-12)
        # and f is exactly the quadratic f* + ½ (w - θ)ᵀ H (w - θ) with H = XᵀX/n + λI everywhere
        H = design.T @ design / data.n + l2 * np.eye(2)
        w = points(surface)
        d = w - theta
        np.testing.assert_allclose(surface.f(w), surface.optimal_value + 0.5 * np.einsum("ki,ij,kj->k", d, H, d),
                                   rtol=1e-10)
        np.testing.assert_allclose(surface.hess(w), np.broadcast_to(H, (len(w), 2, 2)), rtol=1e-12)


def test_weight_decay_moves_the_minimum_toward_the_origin_and_floors_the_separable_loss():
    for name in ("linear_regression", "logistic_overlapping", "sinusoid"):
        norms = [np.linalg.norm(get_surface(name, l2=l2).minima[0]) for l2 in (0.0, 0.1, 0.5)]
        assert norms[0] > norms[1] > norms[2], (name, norms)
    assert len(get_surface("logistic_separable", l2=0.0).minima) == 0  # the infimum is at infinity
    assert get_surface("logistic_separable", l2=0.0).optimal_value is None
    separable = [get_surface("logistic_separable", l2=l2) for l2 in (0.02, 0.1, 0.5)]
    norms = [np.linalg.norm(s.minima[0]) for s in separable]
    assert norms[0] > norms[1] > norms[2]
    for s in separable:  # the minimum is where the data's gradient balances λw
        np.testing.assert_allclose(s.grad(s.minima), 0.0, atol=1e-10)


def test_separable_data_are_separated_by_a_line_through_the_origin():
    for seed in range(5):
        data = get_surface("logistic_separable", seed=seed, noise=1.5, outliers=0.2).finite_sum
        normal = np.array([1.0, 0.5]) / np.linalg.norm([1.0, 0.5])
        assert np.all(data.y * (data.x @ normal) > 0.29) and np.all(data.test_y * (data.test_x @ normal) > 0.29)


def test_the_sinusoid_has_several_minima_in_twins():
    surface = get_surface("sinusoid")
    assert len(surface.minima) >= 4
    twins = np.stack([-surface.minima[:, 0], np.pi - surface.minima[:, 1]], axis=-1)
    twins[:, 1] = (twins[:, 1] + np.pi) % (2 * np.pi) - np.pi
    np.testing.assert_allclose(surface.f(twins), surface.f(surface.minima), rtol=1e-12)


# ---------------------------------------------------------------------------- minibatch gradients


def per_example_grads(surface, w, n):
    """Every example's gradient (n, 2) at one point w, from the record's batch machinery."""
    return surface.finite_sum.example_grads(w[None, :], np.arange(n)[None, :])[0]


@pytest.mark.parametrize("name", DATASETS)
def test_per_example_gradients_average_to_the_gradient_and_match_batches(name):
    surface = get_surface(name, n=30, l2=0.2)
    data = surface.finite_sum
    w = points(surface, 6)
    index = np.random.default_rng(0).integers(0, 30, (6, 5))
    g = data.example_grads(w, index)
    np.testing.assert_allclose(g.mean(1), data.batch_grad(w, index), rtol=1e-12, atol=1e-14)
    for k in range(6):
        np.testing.assert_allclose(per_example_grads(surface, w[k], 30).mean(0), surface.grad(w[k]), rtol=1e-10,
                                   atol=1e-12)
    # the batch Hessian is the derivative of the batch gradient
    h = 1e-6
    for i in range(2):
        e = np.zeros(2)
        e[i] = h
        numeric = (data.batch_grad(w + e, index) - data.batch_grad(w - e, index)) / (2 * h)
        np.testing.assert_allclose(numeric, data.batch_hess(w, index)[..., i], rtol=1e-5, atol=1e-5)


def test_each_epoch_visits_every_example_once_in_torch_order():
    n, B, N = 23, 5, 7
    batches = Minibatches(n, B, N, seed=3)
    assert batches.per_epoch == 5  # four of 5 and a last, short one of 3 (drop_last=False)
    for epoch in range(3):
        steps = [batches.at(epoch * 5 + k) for k in range(5)]
        assert [s.shape for s in steps] == [(N, 5)] * 4 + [(N, 3)]
        seen = np.sort(np.concatenate(steps, axis=1), axis=1)
        np.testing.assert_array_equal(seen, np.tile(np.arange(n), (N, 1)))
    first, second = batches.permutation(0).copy(), batches.permutation(1)
    assert not np.array_equal(first, second)  # a new order every epoch
    assert len({tuple(row) for row in first}) == N  # and for every trajectory


@pytest.mark.parametrize("name", ["linear_regression", "logistic_overlapping", "sharp_flat_data"])
def test_within_an_epoch_the_batches_average_to_the_full_gradient(name):
    surface = get_surface(name, n=24)
    w = np.tile(points(surface, 1), (3, 1))
    batches = Minibatches(24, 6, 3, seed=0)
    mean = np.mean([surface.finite_sum.batch_grad(w, batches.at(t)) for t in range(4)], axis=0)
    np.testing.assert_allclose(mean, surface.grad(w), rtol=1e-12, atol=1e-14)


@pytest.mark.parametrize(("name", "B"), [("linear_regression", 1), ("linear_regression", 8),
                                         ("logistic_overlapping", 3), ("sinusoid", 29), ("sharp_flat_data", 8)])
def test_minibatch_gradient_is_unbiased_with_the_finite_population_variance(name, B):
    """Mean over draws = the full gradient; variance = (n - B) / (B (n - 1)) × the per-example variance."""
    n, draws = 30, 40_000
    surface = get_surface(name, n=n, l2=0.1)
    w = surface.start  # in the sharp well for sharp_flat_data: elsewhere its examples agree and there is no noise
    index = Minibatches(n, B, draws, seed=11).at(0)  # 40,000 independent trajectories' first batch
    g = surface.finite_sum.batch_grad(np.tile(w, (draws, 1)), index)
    per_example = per_example_grads(surface, w, n)
    variance = (n - B) / (B * (n - 1)) * per_example.var(axis=0)  # population variance of the examples
    np.testing.assert_allclose(g.var(axis=0), variance, rtol=0.05)
    # the mean is within 4.5 standard errors of the full gradient
    assert np.all(np.abs(g.mean(axis=0) - surface.grad(w)) <= 4.5 * np.sqrt(variance / draws) + 1e-12)


def test_minibatch_noise_vanishes_where_every_example_agrees():
    """At the sharp-and-flat problem's flat minimum all examples have the same gradient; in the sharp well not."""
    surface = get_surface("sharp_flat_data")
    sharp, flat = sorted(surface.minima, key=lambda m: m[0])
    n = surface.finite_sum.n
    assert np.abs(per_example_grads(surface, flat, n)).max() < 1e-12
    assert per_example_grads(surface, sharp + np.array([0.05, 0.0]), n).std(axis=0)[0] > 1.0


# ---------------------------------------------------------------------------- runs


def test_same_seed_same_trajectory_and_other_seeds_other_ones():
    surface, sgd = get_surface("linear_regression"), get_optimizer("sgd", lr=0.1)
    x0 = np.tile(surface.start, (3, 1))
    a, b = (run(sgd, surface, x0, 80, batch_size=4, seed=7) for _ in range(2))
    c = run(sgd, surface, x0, 80, batch_size=4, seed=8)
    np.testing.assert_array_equal(a.xs, b.xs)
    assert not np.allclose(a.xs, c.xs)
    assert not np.allclose(a.xs[-1, 0], a.xs[-1, 1])  # each trajectory draws its own batches


@settings(max_examples=15, deadline=None)
@given(name=st.sampled_from(["sgd", "momentum", "nesterov", "adam", "rmsprop", "lbfgs", "newton"]),
       seeds=st.lists(st.integers(0, 2**31 - 1), min_size=2, max_size=5), batch=st.integers(1, 12))
def test_batched_runs_equal_separate_runs(name, seeds, batch):
    surface = get_surface("logistic_overlapping", n=30)
    lr = OPTIMIZERS[name].params[0].default if OPTIMIZERS[name].params[0].name == "lr" else None
    optimizer = get_optimizer(name, **({"lr": lr} if lr is not None else {}))
    x0 = np.tile(surface.start, (len(seeds), 1)) + 0.1 * np.arange(len(seeds))[:, None]
    together = run(optimizer, surface, x0, 25, batch_size=batch, seed=np.array(seeds))
    for i, seed in enumerate(seeds):
        alone = run(optimizer, surface, x0[i:i + 1], 25, batch_size=batch, seed=seed)
        np.testing.assert_array_equal(together.xs[:, i], alone.xs[:, 0])
        np.testing.assert_array_equal(together.test_fs[:, i], alone.test_fs[:, 0])


def test_the_full_batch_is_the_exact_gradient():
    surface, adam = get_surface("sinusoid"), get_optimizer("adam", lr=0.05)
    x0 = np.tile(surface.start, (2, 1))
    exact = run(adam, surface, x0, 60)
    for batch_size in (surface.finite_sum.n, 10_000):
        np.testing.assert_array_equal(run(adam, surface, x0, 60, batch_size=batch_size, seed=3).xs, exact.xs)


def test_every_evaluation_within_a_step_sees_the_same_batch():
    surface = get_surface("linear_regression", n=20)
    oracle = Oracle(surface, 2, batch_size=4, seed=1)
    x = np.tile(surface.start, (2, 1))
    oracle.move_to(x, 3)
    index = oracle.batch()
    other = x + 0.3  # a look-ahead or a line-search trial
    np.testing.assert_array_equal(oracle.grad(other), surface.finite_sum.batch_grad(other, index))
    np.testing.assert_array_equal(oracle.f(other), surface.finite_sum.batch_value(other, index))
    np.testing.assert_array_equal(oracle.hess(x), surface.finite_sum.batch_hess(x, index))
    oracle.move_to(x, 4)
    assert not np.array_equal(oracle.batch(), index)


def test_the_trajectory_records_the_training_and_test_loss():
    surface = get_surface("logistic_overlapping", l2=0.2)
    traj = run(get_optimizer("momentum", lr=0.1), surface, np.tile(surface.start, (2, 1)), 40, batch_size=5)
    data = surface.finite_sum
    np.testing.assert_allclose(traj.test_fs, data.test_loss(traj.xs), rtol=1e-13)
    np.testing.assert_allclose(traj.train_fs + 0.1 * (traj.xs**2).sum(-1), traj.fs, rtol=1e-12)
    assert run(get_optimizer("sgd", lr=0.1), get_surface("booth"), [[0.0, 0.0]], 5).test_fs is None


def test_summarize_takes_minibatches_too():
    surface, sgd = get_surface("linear_regression"), get_optimizer("sgd", lr=0.1)
    x0 = np.tile(surface.start, (3, 1))
    traj = run(sgd, surface, x0, 50, batch_size=4, seed=2)
    summary = summarize(sgd, surface, x0, 50, batch_size=4, seed=2)
    np.testing.assert_array_equal(summary.final_x, traj.xs[-1])


@pytest.mark.parametrize(("kwargs", "words"), [
    ({"surface": "booth", "batch_size": 4}, ["batch_size", "booth", "noise="]),
    ({"batch_size": 0}, ["batch_size", ">= 1"]),
    ({"batch_size": 2.5}, ["batch_size", "whole number"]),
    ({"batch_size": 4, "seed": -1}, ["seed", ">= 0"]),
    ({"batch_size": 4, "seed": np.array([1, 2, 3])}, ["seed", "one per trajectory"]),
    ({"batch_size": 4, "seed": "7"}, ["seed"]),
])
def test_bad_minibatch_arguments_get_a_clear_message(kwargs, words):
    kwargs = dict(kwargs)
    surface = get_surface(kwargs.pop("surface", "linear_regression"))
    with pytest.raises(ValueError) as error:
        run(get_optimizer("sgd", lr=0.1), surface, [[0.0, 0.0], [1.0, 1.0]], 5, **kwargs)
    for word in words:
        assert word in str(error.value), (word, str(error.value))


# ---------------------------------------------------------------------------- sharp versus flat


@pytest.mark.slow
def test_small_batches_end_in_the_flat_minimum_and_full_batches_stay_in_the_sharp_one():
    """10 starts near the sharp minimum × 10 seeds; at least 70 % of batch-8 runs end in the flat basin."""
    surface = get_surface("sharp_flat_data")
    sharp, flat = sorted(surface.minima, key=lambda m: m[0])
    assert surface.f(sharp) < surface.f(flat)  # the sharp minimum is the lower on the training set...
    data = surface.finite_sum
    assert data.test_loss(sharp) > data.test_loss(flat) + 0.2  # ...and the higher on the test set
    rng = np.random.default_rng(0)
    angle, radius = rng.uniform(0, 2 * np.pi, 10), 0.05 * np.sqrt(rng.uniform(0, 1, 10))
    starts = sharp + np.stack([radius * np.cos(angle), radius * np.sin(angle)], axis=-1)
    x0, seeds = np.repeat(starts, 10, axis=0), np.tile(np.arange(10), 10)
    sgd = get_optimizer("sgd", lr=0.04)
    small = run(sgd, surface, x0, 600, batch_size=8, seed=seeds)
    full = run(sgd, surface, x0, 600)
    index, _ = surface.nearest_minimum(small.xs[-1])
    in_flat = np.linalg.norm(small.xs[-1] - flat, axis=-1) < 0.2
    assert in_flat.mean() >= 0.7, in_flat.mean()
    assert np.all(surface.minima[index[in_flat]] == flat)
    assert np.all(np.linalg.norm(full.xs[-1] - sharp, axis=-1) < 1e-3)
    assert small.test_fs[-1].mean() < full.test_fs[-1].mean() - 0.1
    assert np.all(small.diverged_at < 0) and np.all(full.diverged_at < 0)


def test_the_sharp_and_flat_escape_follows_the_linear_stability_condition():
    """The docstring's condition, ηK²(n−B)/(B(n−1)) against σ⁴(1 − (1 − η/σ²)²)/η: escape above it, stay below."""
    surface = get_surface("sharp_flat_data", n=64)
    sharp = min(surface.minima, key=lambda m: m[0])
    lr, K, sigma, n = 0.04, 5.0, 0.2, 64
    x0 = np.tile(sharp + np.array([0.02, 0.02]), (20, 1))
    for B in (4, 32):
        unstable = lr**2 * K**2 * (n - B) / (B * (n - 1)) > sigma**4 * (1 - (1 - lr / sigma**2) ** 2)
        traj = run(get_optimizer("sgd", lr=lr), surface, x0, 300, batch_size=B, seed=np.arange(20))
        left = np.linalg.norm(traj.xs[-1] - sharp, axis=-1) > 0.5
        assert left.mean() >= 0.9 if unstable else left.mean() == 0.0, (B, unstable, left.mean())


# ---------------------------------------------------------------------------- the model figure


@pytest.mark.parametrize("name", DATASETS)
def test_model_figure_draws_the_data_and_each_runs_model(name):
    surface = get_surface(name, outliers=0.1) if name != "sharp_flat_data" else get_surface(name)
    data = surface.finite_sum
    w = np.array([surface.start, surface.start + 0.5, [np.nan, np.nan]])
    fig = model_figure(surface, w, names=["a", "b", "gone"], colors=["#000000", "#111111", "#222222"], step=5)
    roles = [t.meta["role"] for t in fig.data]
    models = [t for t in fig.data if t.meta["role"] == "model"]
    assert [t.name for t in models] == ["a", "b", "gone"]  # one trace per run: the canvas moves it by index
    assert not np.isfinite(np.asarray(models[2].y, dtype=float)).any()  # the diverged run draws nothing
    models = models[:2]
    assert "step 5" in fig.layout.title.text
    if data.model == "slice":
        assert {"train_loss", "test_loss"} <= set(roles)
        for t, wk in zip(models, w, strict=False):
            np.testing.assert_allclose(t.y, [data.train_loss(wk), data.test_loss(wk)], rtol=1e-12)
        return
    shown = sum(len(t.x) for t in fig.data if t.meta["role"] in ("train", "outlier"))
    assert shown == data.n and sum(len(t.x) for t in fig.data if t.meta["role"] == "test") == len(data.test_y)
    assert ("outlier" in roles) == bool(data.outlier.any())
    for t, wk in zip(models, w, strict=False):
        x, y = np.asarray(t.x), np.asarray(t.y)
        if data.model == "line":
            np.testing.assert_allclose(y, wk[0] * x + wk[1], rtol=1e-12)
        elif data.model == "curve":
            np.testing.assert_allclose(y, np.sin(wk[0] * x + wk[1]), rtol=1e-12, atol=1e-15)
        else:  # the boundary w·x = 0
            np.testing.assert_allclose(wk[0] * x + wk[1] * y, 0.0, atol=1e-12)


@pytest.mark.parametrize("name", DATASETS)
def test_the_model_axes_are_fixed_by_the_data_not_by_the_models(name):
    """A model far off (early steps) is clipped by the axes, not rescaling them while the step moves."""
    surface = get_surface(name)
    near, far = (model_figure(surface, [w]).layout for w in (surface.start, surface.start + np.array([9.0, 9.0])))
    assert near.xaxis.range is not None and near.yaxis.range is not None
    assert (near.xaxis.range, near.yaxis.range) == (far.xaxis.range, far.yaxis.range)


def test_model_lines_are_the_figures_model_traces_for_many_points_at_once():
    for name in DATASETS:
        surface = get_surface(name)
        w = surface.start + np.linspace(0.0, 0.6, 7)[:, None] * [1.0, -0.5]
        x, y = model_lines(surface, w)
        fig = model_figure(surface, w)
        models = [t for t in fig.data if t.meta["role"] == "model"]
        np.testing.assert_array_equal(x, [np.asarray(t.x, dtype=float) for t in models])
        np.testing.assert_array_equal(y, [np.asarray(t.y, dtype=float) for t in models])


def test_model_figure_refuses_a_surface_without_examples():
    with pytest.raises(ValueError, match="examples"):
        model_figure(get_surface("booth"), [[0.0, 0.0]])


# ---------------------------------------------------------------------------- the README example


def test_the_readme_example_runs_and_small_batches_generalize_better():
    readme = (ROOT / "README.md").read_text()
    section = readme[readme.index("### Finite-sum problems"):]
    code = re.search(r"```python\n(.*?)```", section, flags=re.DOTALL).group(1)
    namespace: dict = {}
    exec(compile(code, "README.md", "exec"), namespace)  # the README's own text, not user input
    small, full = namespace["small"], namespace["full"]
    assert small.test_fs[-1].mean() < full.test_fs[-1].mean()
    assert len(namespace["fig"].data) > 2
