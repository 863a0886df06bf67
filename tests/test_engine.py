"""The trajectory engine and the theory the app teaches: closed forms on quadratics, stability thresholds,
momentum's speed-up, divergence handling, noise, clipping, ``summarize`` and the recorded internals."""

import math
import tracemalloc
import warnings

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from optimizers import OPTIMIZERS, SCHEDULES, get_optimizer, make_schedule, run, summarize
from optimizers.base import escape_radius
from surfaces import get_surface, surface_from_expression

FIRST_ORDER = [n for n, s in OPTIMIZERS.items() if s.schedule]  # a learning rate times a direction
ROSENBROCK_STARTS = np.array([[-1.2, 1.0], [0.5, -0.5], [1.5, 2.0], [-0.3, 0.8]])


def bowl(kappa=10.0, angle=0.0):
    """The quadratic ½ wᵀAw with eigenvalues 1 and kappa, rotated by angle degrees."""
    return get_surface("ill_conditioned_bowl", kappa=kappa, angle=angle)


def first_step_below(values, tol):
    """Index of the first entry ``<= tol`` along axis 0 (per column), -1 where none is."""
    hit = np.asarray(values) <= tol
    return np.where(hit.any(axis=0), np.argmax(hit, axis=0), -1)


def closed_form_gd(surface, lr, x0, steps):
    """Gradient descent on f = ½ xᵀAx: x_t = (I − lr·A)^t x0, for t = 0..steps, shape (steps+1, 2)."""
    A = surface.hess(np.asarray(x0, dtype=float))
    M = np.eye(2) - lr * A
    return np.array([np.linalg.matrix_power(M, t) @ x0 for t in range(steps + 1)])


def run_silently(*args, **kwargs):
    """``run`` with every warning turned into an error (pytest's config already does so for RuntimeWarning)."""
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        return run(*args, **kwargs)


# ---------------------------------------------------------------------------- theory on quadratics


def test_gradient_descent_is_the_closed_form_on_a_rotated_quadratic():
    surface = bowl(kappa=10.0, angle=30.0)
    x0 = np.array([-4.0, 2.5])
    for lr in (0.05, 0.15, 0.19):
        traj = run(get_optimizer("sgd", lr=lr), surface, [x0], 50)
        np.testing.assert_allclose(traj.xs[:, 0], closed_form_gd(surface, lr, x0, 50), rtol=1e-10, atol=1e-14)


def test_the_closed_form_helper_uses_the_advertised_eigenstructure():
    surface = bowl(kappa=10.0, angle=30.0)
    A = surface.hess(np.zeros(2))
    V, lam = surface.eigenvectors, surface.eigenvalues
    np.testing.assert_allclose(A, V @ np.diag(lam) @ V.T, atol=1e-12)
    np.testing.assert_allclose(lam, [1.0, 10.0])
    np.testing.assert_allclose(V[:, 1], [-math.sin(math.radians(30)), math.cos(math.radians(30))], atol=1e-15)


def test_stability_threshold_two_over_lambda_max():
    """Below lr = 2/κ gradient descent converges, above it diverges: one batched call."""
    kappa, steps = 10.0, 200
    surface = bowl(kappa=kappa)
    lrs = np.array([0.95, 1.05]) * 2.0 / kappa
    x0 = np.array([[-9.0, 3.0], [-9.0, 3.0]])
    traj = run_silently(get_optimizer("sgd", lr=lrs), surface, x0, steps)
    # the stable one
    assert traj.diverged_at[0] == -1
    assert traj.fs[-1, 0] < 1e-12 * traj.fs[0, 0]
    # the unstable one: the stiff coordinate is y_t = (1 - lr·κ)^t y_0; it escapes at the first t past the radius
    t = np.arange(steps + 1)
    y = (1.0 - lrs[1] * kappa) ** t * 3.0
    expected = int(np.argmax(np.abs(y) >= escape_radius(surface)))
    assert 0 < expected < steps
    d = traj.diverged_at[1]
    assert d == expected
    assert np.all(np.isfinite(traj.xs[:d, 1])) and np.all(np.isfinite(traj.fs[:d, 1]))
    assert np.all(np.isnan(traj.xs[d:, 1])) and np.all(np.isnan(traj.fs[d:, 1]))
    assert np.all(np.isnan(traj.grad_norms[d:, 1]))
    assert np.all(np.diff(np.abs(traj.xs[:d, 1, 1])) > 0)  # it was growing all along


def test_heavy_ball_beats_gradient_descent_by_sqrt_kappa():
    """Polyak's tuned momentum needs O(√κ) steps where the best fixed-step GD needs O(κ)."""
    kappa, tol = 100.0, 1e-8
    lo, hi = 1.0, kappa
    surface = bowl(kappa=kappa, angle=20.0)
    x0 = [(-9.0, 3.0)]
    sq = math.sqrt(kappa)
    mu = ((sq - 1) / (sq + 1)) ** 2
    heavy = get_optimizer("momentum", lr=4.0 / (math.sqrt(hi) + math.sqrt(lo)) ** 2, momentum=mu)
    gd = get_optimizer("sgd", lr=2.0 / (lo + hi))
    steps_heavy = first_step_below(run(heavy, surface, x0, 1500).fs[:, 0], tol)
    steps_gd = first_step_below(run(gd, surface, x0, 1500).fs[:, 0], tol)
    assert steps_heavy > 0 and steps_gd > 0
    assert steps_heavy < steps_gd / 3
    # GD contracts by (κ-1)/(κ+1) per step in the worst direction, so f by its square
    f0 = run(gd, surface, x0, 0).fs[0, 0]
    predicted_gd = math.log(tol / f0) / (2 * math.log((kappa - 1) / (kappa + 1)))
    assert steps_gd <= predicted_gd + 1


def test_adagrad_effective_step_never_grows():
    surface = get_surface("rosenbrock")
    for lr_decay in (0.0, 0.05):
        optimizer = get_optimizer("adagrad", lr=0.1, lr_decay=lr_decay)
        traj = run(optimizer, surface, ROSENBROCK_STARTS, 200, noise=0.5, seed=1, record=True)
        step_size = traj.internals["step_size"]
        assert step_size.shape == (200, len(ROSENBROCK_STARTS), 2)
        assert np.all(np.isfinite(step_size))
        assert np.all(np.diff(step_size, axis=0) <= 0.0)
        assert np.all(step_size[-1] < step_size[0])


@pytest.mark.parametrize(("beta1", "beta2"), [(0.9, 0.999), (0.9, 0.9), (0.5, 0.99)])
def test_adam_without_bias_correction(beta1, beta2):
    """Dropping the bias correction scales the first step by (1 − β1)/√(1 − β2).

    That is about 3.16 for the defaults: the uncorrected second moment is biased towards zero more than the
    first, so the first steps are LONGER (the correction fixes overshooting, not a slow start). With β2 = 0.9
    the factor is 0.32 and the uncorrected run moves less over its first five steps.
    """
    surface = bowl(kappa=4.0, angle=25.0)
    x0 = [(-3.0, 2.0)]
    moves = {}
    for correct in (True, False):
        optimizer = get_optimizer("adam", lr=0.01, beta1=beta1, beta2=beta2, bias_correction=correct)
        xs = run(optimizer, surface, x0, 5).xs[:, 0]
        moves[correct] = np.linalg.norm(np.diff(xs, axis=0), axis=-1)
    factor = (1 - beta1) / math.sqrt(1 - beta2)
    np.testing.assert_allclose(moves[False][0] / moves[True][0], factor, rtol=1e-6)
    if factor < 1:
        assert moves[False].sum() < moves[True].sum()
    else:
        assert moves[False].sum() > moves[True].sum()


# ---------------------------------------------------------------------------- divergence


@pytest.mark.parametrize("name", FIRST_ORDER)
def test_a_diverging_trajectory_is_frozen_and_leaves_the_others_alone(name):
    """lr = 1e250 sends trajectory 1 to overflow in one step; the others must be exactly as if run alone."""
    default = OPTIMIZERS[name].params[0].default
    lrs = np.array([default, 1e250, default / 2])
    surface = bowl(kappa=10.0, angle=30.0)
    x0 = np.array([[-3.0, 2.0], [-3.0, 2.0], [1.0, -4.0]])
    traj = run_silently(get_optimizer(name, lr=lrs), surface, x0, 40, record=True)
    assert list(traj.diverged_at) == [-1, 1, -1]
    assert np.all(np.isnan(traj.xs[1:, 1])) and np.all(np.isnan(traj.fs[1:, 1]))
    assert np.all(np.isfinite(traj.xs[:, [0, 2]]))
    alone = run_silently(get_optimizer(name, lr=lrs[[0, 2]]), surface, x0[[0, 2]], 40, record=True)
    np.testing.assert_array_equal(traj.xs[:, [0, 2]], alone.xs)
    np.testing.assert_array_equal(traj.fs[:, [0, 2]], alone.fs)
    for key, value in alone.internals.items():
        np.testing.assert_array_equal(traj.internals[key][:, [0, 2]], value)


def test_divergence_by_escape_on_rosenbrock_is_marked_and_silent():
    surface = get_surface("rosenbrock")
    lrs = np.array([1e-3, 0.05, 5e-4])
    traj = run_silently(get_optimizer("sgd", lr=lrs), surface, ROSENBROCK_STARTS[:3], 100)
    d = traj.diverged_at
    assert d[0] == -1 and d[2] == -1 and d[1] > 0
    # the step before was still inside; the marked step is the first non-finite or out-of-bounds iterate
    radius = escape_radius(surface)
    assert np.all(np.abs(traj.xs[: d[1], 1]) < radius)
    x_bad = traj.xs[d[1] - 1, 1] - lrs[1] * surface.grad(traj.xs[d[1] - 1, 1])  # the step that escaped
    with np.errstate(over="ignore", invalid="ignore"):
        assert not (np.all(np.abs(x_bad) < radius) and np.isfinite(surface.f(x_bad)))
    assert np.all(np.isnan(traj.xs[d[1]:, 1]))


# ---------------------------------------------------------------------------- noise and clipping


def test_noise_is_reproducible_and_switchable():
    optimizer, surface = get_optimizer("momentum", lr=0.01), bowl(angle=30.0)
    x0 = np.array([[-3.0, 2.0], [-3.0, 2.0]])
    a = run(optimizer, surface, x0, 50, noise=0.3, seed=7)
    b = run(optimizer, surface, x0, 50, noise=0.3, seed=7)
    c = run(optimizer, surface, x0, 50, noise=0.3, seed=8)
    clean = run(optimizer, surface, x0, 50)
    zero = run(optimizer, surface, x0, 50, noise=0.0, seed=7)
    np.testing.assert_array_equal(a.xs, b.xs)
    assert not np.allclose(a.xs, c.xs)
    assert not np.allclose(a.xs, clean.xs)
    np.testing.assert_array_equal(zero.xs, clean.xs)
    # independent across trajectories: the two identical starts part ways
    assert not np.allclose(a.xs[-1, 0], a.xs[-1, 1])


@pytest.mark.parametrize("noise", [0.3, np.array([0.1, 0.5, 0.0, 2.0])])
def test_gradient_noise_has_the_requested_standard_deviation(noise):
    surface, n, steps = bowl(angle=30.0), 4, 1000
    x0 = np.tile([[-3.0, 2.0]], (n, 1))
    traj = run(get_optimizer("sgd", lr=0.01), surface, x0, steps, noise=noise, seed=0, record=True)
    error = traj.internals["grad"] - surface.grad(traj.xs[:-1])  # (T, N, 2)
    sigma = np.broadcast_to(noise, (n,))
    for i in range(n):
        if sigma[i] == 0:
            np.testing.assert_array_equal(error[:, i], 0.0)
            continue
        np.testing.assert_allclose(error[:, i].std(axis=0), sigma[i], rtol=0.1)
        assert np.all(np.abs(error[:, i].mean(axis=0)) < 0.15 * sigma[i])
        assert abs(np.corrcoef(error[:, i, 0], error[:, i, 1])[0, 1]) < 0.15
    # and independent across trajectories
    assert abs(np.corrcoef(error[:, 0, 0], error[:, 1, 0])[0, 1]) < 0.15


@pytest.mark.parametrize("clip_norm", [0.5, 3.0])
def test_clipped_gradients_never_exceed_the_norm(clip_norm):
    surface = get_surface("rosenbrock")
    traj = run(get_optimizer("adam", lr=0.01), surface, ROSENBROCK_STARTS, 200,
               noise=1.0, seed=2, clip_norm=clip_norm, record=True)
    seen = np.linalg.norm(traj.internals["grad"], axis=-1)
    assert np.all(seen <= clip_norm + 1e-9)
    assert np.any(traj.grad_norms[:-1] > 2 * clip_norm)  # clipping was needed
    assert np.any(seen > 0.999 * clip_norm)


def test_clipping_keeps_the_direction_and_leaves_small_gradients_alone():
    surface, clip_norm = get_surface("rosenbrock"), 5.0
    starts = np.vstack([ROSENBROCK_STARTS, [[1.01, 1.01]]])  # the last gradient is smaller than the norm
    traj = run(get_optimizer("sgd", lr=1e-4), surface, starts, 5, clip_norm=clip_norm, record=True)
    seen, true = traj.internals["grad"], surface.grad(traj.xs[:-1])
    small = np.linalg.norm(true, axis=-1) < clip_norm
    assert small.any() and not small.all()
    np.testing.assert_array_equal(seen[small], true[small])
    unit = lambda v: v / np.linalg.norm(v, axis=-1, keepdims=True)  # noqa: E731
    np.testing.assert_allclose(unit(seen), unit(true), rtol=1e-12, atol=1e-15)


# ---------------------------------------------------------------------------- summarize


def test_summarize_agrees_with_run():
    surface = get_surface("rosenbrock")
    optimizer = get_optimizer("momentum", lr=np.array([1e-3, 2e-3, 1.0, 1e-3]), momentum=0.9)
    kwargs = dict(noise=0.05, seed=4, clip_norm=50.0)
    tol, steps = 1e-3, 600
    traj = run(optimizer, surface, ROSENBROCK_STARTS, steps, **kwargs)
    summary = summarize(optimizer, surface, ROSENBROCK_STARTS, steps, tol=tol, **kwargs)
    assert (traj.diverged_at >= 0).any() and (traj.diverged_at < 0).any()
    np.testing.assert_array_equal(summary.final_x, traj.xs[-1])
    np.testing.assert_array_equal(summary.final_f, traj.fs[-1])
    np.testing.assert_array_equal(summary.diverged_at, traj.diverged_at)
    np.testing.assert_array_equal(summary.steps_to_tol, first_step_below(traj.fs - 0.0, tol))
    assert (summary.steps_to_tol > 0).any()
    for field in ("n_f", "n_grad", "n_hess"):
        np.testing.assert_array_equal(getattr(summary, field), getattr(traj, field))


def test_summarize_without_a_known_minimum_uses_the_gradient_norm():
    surface = surface_from_expression(
        "shifted", lambda x, y: (x - 1) ** 2 + 3 * (y + 2) ** 2 + 5, bounds=((-5, 5), (-5, 5)), start=(0, 0),
        latex="", lesson="",
    )
    assert surface.optimal_value is None
    optimizer, x0, tol = get_optimizer("sgd", lr=0.05), [(3.0, 1.0), (-2.0, -4.0)], 1e-4
    traj = run(optimizer, surface, x0, 300)
    summary = summarize(optimizer, surface, x0, 300, tol=tol)
    np.testing.assert_array_equal(summary.steps_to_tol, first_step_below(traj.grad_norms, tol))
    assert np.all(summary.steps_to_tol > 0)


def test_summarize_finds_the_basin_on_himmelblau():
    surface = get_surface("himmelblau")
    minima = surface.minima
    offsets = np.array([[0.3, -0.2], [-0.2, 0.25], [0.25, 0.3], [-0.3, -0.1]])
    starts = np.vstack([minima + offsets, [[50.0, 50.0]]])  # the last one escapes with this rate
    summary = summarize(get_optimizer("sgd", lr=0.01), surface, starts, 500, radius=0.01)
    np.testing.assert_array_equal(summary.nearest_minimum, [0, 1, 2, 3, -1])
    assert summary.diverged_at[-1] >= 0
    np.testing.assert_allclose(summary.final_x[:4], minima, atol=1e-5)
    # before converging, the points are farther than the radius from every minimum
    early = summarize(get_optimizer("sgd", lr=0.01), surface, starts[:4], 0, radius=0.01)
    np.testing.assert_array_equal(early.nearest_minimum, [-1, -1, -1, -1])


def test_summarize_memory_on_a_200_by_200_map():
    """40 000 trajectories of Adam for 500 steps in O(N) memory (a full run would need ~500 MB)."""
    side = np.linspace(-2.0, 2.0, 200)
    starts = np.stack(np.meshgrid(side, side + 1.0), axis=-1).reshape(-1, 2)
    tracemalloc.start()
    try:
        summary = summarize(get_optimizer("adam", lr=0.01), get_surface("rosenbrock"), starts, 500)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert summary.final_x.shape == (40_000, 2)
    assert peak < 50e6, f"peak {peak / 1e6:.0f} MB"


# ---------------------------------------------------------------------------- recorded internals and rates


@pytest.mark.parametrize("name", FIRST_ORDER)
def test_recorded_internals(name):
    surface, steps = get_surface("rosenbrock"), 30
    lrs = OPTIMIZERS[name].params[0].default * np.array([0.1, 0.2, 1e250, 0.05])
    traj = run(get_optimizer(name, lr=lrs), surface, ROSENBROCK_STARTS, steps, record=True)
    assert {"grad", "update"} <= set(traj.internals)
    for key, value in traj.internals.items():
        assert value.shape == (steps, len(ROSENBROCK_STARTS), 2), key
    update, diff = traj.internals["update"], traj.xs[1:] - traj.xs[:-1]
    finite = np.isfinite(diff)
    assert finite.any() and not finite.all()
    np.testing.assert_array_equal(update[finite], diff[finite])
    where = traj.internals.get("lookahead", traj.xs[:-1])  # the point the gradient was taken at
    live = np.isfinite(where)
    np.testing.assert_array_equal(traj.internals["grad"][live], surface.grad(where)[live])
    assert run(get_optimizer(name), surface, ROSENBROCK_STARTS, steps).internals == {}


@pytest.mark.parametrize("name", ["adam", "adagrad", "rmsprop"])
def test_ledger_fields_are_the_state(name):
    traj = run(get_optimizer(name), bowl(), [(-3.0, 2.0)], 10, record=True)
    assert {"step_size", "v"} <= set(traj.internals)
    assert np.all(traj.internals["v"] >= 0)


@pytest.mark.parametrize("schedule_name", list(SCHEDULES))
def test_lrs_are_the_schedules_values(schedule_name):
    base = np.array([0.01, 0.02, 0.005])
    schedule = make_schedule(schedule_name, base)
    traj = run(get_optimizer("momentum", lr=schedule), bowl(), np.zeros((3, 2)) + 1.0, 120)
    expected = np.array([np.broadcast_to(schedule(t), (3,)) for t in range(120)])
    np.testing.assert_array_equal(traj.lrs, expected)


def test_step_schedule_by_hand_and_constant_rates():
    schedule = make_schedule("step", 0.05, step_size=10, gamma=0.5)
    traj = run(get_optimizer("momentum", lr=schedule), bowl(), [(1.0, 1.0)], 35)
    np.testing.assert_allclose(traj.lrs[:, 0], [0.05 * 0.5 ** (t // 10) for t in range(35)], rtol=1e-15)
    fixed = run(get_optimizer("adam", lr=np.array([0.1, 0.2])), bowl(), [(1.0, 1.0), (2.0, 0.0)], 5)
    np.testing.assert_array_equal(fixed.lrs, [[0.1, 0.2]] * 5)


# ---------------------------------------------------------------------------- properties


@settings(max_examples=40, deadline=None)
@given(
    lr_fraction=st.floats(min_value=1e-3, max_value=1.0, exclude_max=True),
    kappa=st.floats(min_value=1.0, max_value=1000.0),
    angle=st.floats(min_value=-90.0, max_value=90.0),
    x0=st.tuples(st.floats(-10, 10), st.floats(-10, 10)),
)
def test_gradient_descent_below_one_over_lambda_max_decreases_f(lr_fraction, kappa, angle, x0):
    """With lr < 1/λmax every factor 1 − lr·λ is in (0, 1), so f never increases (up to rounding)."""
    surface = bowl(kappa=kappa, angle=angle)
    lr = lr_fraction / surface.eigenvalues.max()
    fs = run(get_optimizer("sgd", lr=lr), surface, [x0], 40).fs[:, 0]
    assert np.all(fs[1:] <= fs[:-1] * (1 + 1e-12) + 1e-300)
    if fs[0] > 1e-200:
        assert fs[-1] < fs[0]


@settings(max_examples=30, deadline=None)
@given(
    name=st.sampled_from(FIRST_ORDER),
    starts=st.lists(st.tuples(st.floats(-2, 2), st.floats(-1, 3)), min_size=2, max_size=6),
)
def test_each_row_of_a_batch_equals_its_run_alone(name, starts):
    surface = get_surface("rosenbrock")
    optimizer = get_optimizer(name, lr=OPTIMIZERS[name].params[0].default / 10)
    batch = run(optimizer, surface, starts, 20)
    for i, start in enumerate(starts):
        alone = run(optimizer, surface, [start], 20)
        np.testing.assert_array_equal(batch.xs[:, i], alone.xs[:, 0])
        np.testing.assert_array_equal(batch.fs[:, i], alone.fs[:, 0])
        assert batch.diverged_at[i] == alone.diverged_at[0]
