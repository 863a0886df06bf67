"""Newton, BFGS, L-BFGS, nonlinear CG, coordinate descent and the strong-Wolfe line search.

Expected values come from the mathematics (a quadratic's minimizer, the Wolfe inequalities
evaluated here independently) or from scipy, never from this code's own earlier output.
"""

from __future__ import annotations

import re
import warnings

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays
from scipy.optimize import minimize

from optimizers import OPTIMIZERS, Oracle, get_optimizer, run
from optimizers.line_search import wolfe_line_search
from optimizers.second_order import _eigh
from surfaces import get_surface

pytestmark = pytest.mark.filterwarnings("error")

SECOND_ORDER = ("newton", "bfgs", "lbfgs", "cg", "coordinate_descent")
ROSENBROCK_START = np.array([[-1.2, 1.0]])


@pytest.fixture(scope="module")
def bowl():
    return get_surface("ill_conditioned_bowl", kappa=100, angle=30)


@pytest.fixture(scope="module")
def rosenbrock():
    return get_surface("rosenbrock")


def first_within(xs, target, tol):
    """First step t at which |x_t - target| < tol (xs is (T+1, 2)), or None."""
    hits = np.flatnonzero(np.linalg.norm(xs - target, axis=-1) < tol)
    return int(hits[0]) if hits.size else None


def bowl_starts(n, seed):
    rng = np.random.default_rng(seed)
    return rng.uniform(-10, 10, size=(n, 2))


# ---------------------------------------------------------------------------- registry and validation


def math_block(doc: str) -> list[str]:
    """The lines of the docstring's ``.. math::`` block: those indented deeper than the directive."""
    lines = doc.splitlines()
    start = next(i for i, line in enumerate(lines) if line.strip() == ".. math::")
    indent = len(lines[start]) - len(lines[start].lstrip())
    block = []
    for line in lines[start + 1 :]:
        if line.strip() and len(line) - len(line.lstrip()) <= indent:
            break
        block.append(line.strip())
    return [line for line in block if line]


@pytest.mark.parametrize("name", SECOND_ORDER)
def test_registered_without_schedule_or_batch_with_an_update_rule(name):
    """They pick their own steps from exact derivatives: no schedule, no gradient noise, not torch's."""
    spec = OPTIMIZERS[name]
    assert not (spec.schedule or spec.batch or spec.torch or spec.stability_limit)
    assert spec.family == ("first-order" if name == "cg" else "second-order")  # CG uses gradients only
    block = math_block(spec.factory.__doc__)
    # rows end with a LaTeX line break (a row may continue on the next source line); each row is aligned
    rows = re.split(r"\\\\\n", "\n".join(block))
    assert len(rows) >= 3 and all("&" in row for row in rows)
    assert not block[-1].endswith("\\\\")
    assert not any(":math:" in line or "``" in line for line in block)  # pure LaTeX
    assert spec.latex.startswith(r"\begin{aligned}" + "\n".join(block))


def test_learning_rate_only_where_there_is_one():
    assert "lr" in get_optimizer("newton").hparams
    assert "lr" in get_optimizer("coordinate_descent").hparams
    for name in ("bfgs", "lbfgs", "cg"):
        assert "lr" not in get_optimizer(name).hparams


@pytest.mark.parametrize(
    ("name", "hparams", "names"),
    [
        ("lbfgs", dict(m=0), ["'m'"]),
        ("lbfgs", dict(m=2.5), ["'m'"]),
        ("bfgs", dict(c1=0.95, c2=0.9), ["'c1'", "'c2'"]),
        ("cg", dict(c1=0.2), ["'c1'", "'c2'"]),  # c2 defaults to 0.1
        ("bfgs", dict(c2=1.0), ["'c2'"]),
        ("bfgs", dict(c1=0.0), ["'c1'"]),
        ("newton", dict(hessian_fix="cubic"), ["'hessian_fix'"]),
        ("newton", dict(damping=-1.0), ["'damping'"]),
        ("newton", dict(lr=0.0), []),  # lr = 0 is allowed (domain >= 0): no error expected
        ("cg", dict(variant="hestenes_stiefel"), ["'variant'"]),
        ("coordinate_descent", dict(mode="random"), ["'mode'"]),
    ],
)
def test_bad_hyperparameters_are_named(name, hparams, names):
    if not names:
        get_optimizer(name, **hparams)
        return
    with pytest.raises(ValueError) as info:
        get_optimizer(name, **hparams)
    for part in names:
        assert part in str(info.value)


# ---------------------------------------------------------------------------- Newton


def test_newton_solves_a_quadratic_in_one_step(bowl):
    x0 = np.vstack([bowl_starts(20, 0), [[1e-3, -2e-3], [9.5, 9.5]]])
    traj = run(get_optimizer("newton"), bowl, x0, 1)
    scale = np.linalg.norm(x0, axis=1)
    assert np.all(np.linalg.norm(traj.xs[1], axis=1) <= 1e-12 * scale)
    assert np.all(traj.n_hess == 1) and np.all(traj.n_grad == 1) and np.all(traj.n_f == 0)


def test_newton_step_with_lr_and_damping_matches_the_formula(bowl):
    """x - lr (A + δI)^{-1} A x on the quadratic ½ xᵀAx, computed here with numpy.linalg.solve."""
    A = bowl.hess(np.zeros(2))
    x0 = bowl_starts(5, 1)
    lr, damping = np.array([0.1, 0.5, 1.0, 1.5, 0.7]), np.array([0.0, 1e-3, 1.0, 10.0, 0.3])
    traj = run(get_optimizer("newton", lr=lr, damping=damping), bowl, x0, 1)
    for i in range(5):
        expected = x0[i] - lr[i] * np.linalg.solve(A + damping[i] * np.eye(2), A @ x0[i])
        np.testing.assert_allclose(traj.xs[1, i], expected, rtol=1e-12, atol=1e-12)


def test_plain_newton_is_attracted_to_the_saddle_and_saddle_free_escapes():
    saddle = get_surface("saddle")
    x0 = np.array([[0.3, 0.01], [-0.2, -0.05], [0.05, 0.02]])
    plain = run(get_optimizer("newton"), saddle, x0, 10)
    np.testing.assert_allclose(plain.xs[-1], 0.0, atol=1e-12)  # converged onto the saddle point
    assert np.all(np.abs(plain.fs[-1]) < 1e-20)

    free = run(get_optimizer("newton", hessian_fix="saddle_free"), saddle, x0, 5)
    y = np.abs(free.xs[:, :, 1])
    assert np.all(np.diff(y, axis=0) > 0)  # moves away from the saddle along the negative curvature
    assert np.all(np.diff(free.fs, axis=0) < 0)  # and downhill at every step
    assert np.all(free.fs[-1] < saddle.f(np.zeros(2)))
    np.testing.assert_allclose(free.xs[1:, :, 0], 0.0, atol=1e-15)  # the x direction is still solved exactly


def test_levenberg_fix_gives_descent_steps_on_an_indefinite_hessian():
    saddle = get_surface("saddle")
    x0 = np.array([[0.3, 0.01], [-0.2, -0.05]])
    traj = run(get_optimizer("newton", hessian_fix="levenberg", damping=1.0), saddle, x0, 4)
    assert np.all(np.diff(traj.fs, axis=0) < 0)
    assert np.all(np.abs(traj.xs[-1, :, 1]) > np.abs(x0[:, 1]))


def test_newton_survives_a_singular_hessian():
    monkey = get_surface("monkey_saddle")  # zero Hessian at the origin
    x0 = np.array([[0.0, 0.0], [1e-9, 0.0], [0.9, 0.05]])
    traj = run(get_optimizer("newton"), monkey, x0, 3)
    np.testing.assert_array_equal(traj.xs[:, 0], 0.0)  # zero gradient: it stays
    assert np.all(np.isfinite(traj.xs[:, 2]))


# ---------------------------------------------------------------------------- quasi-Newton on Rosenbrock


def scipy_bfgs_iterations():
    r = get_surface("rosenbrock")
    result = minimize(lambda p: float(r.f(p)), ROSENBROCK_START[0], jac=lambda p: r.grad(p), method="BFGS")
    assert result.success
    return result.nit


def test_bfgs_on_rosenbrock_matches_scipy(rosenbrock):
    traj = run(get_optimizer("bfgs"), rosenbrock, ROSENBROCK_START, 200)
    ours = first_within(traj.xs[:, 0], [1.0, 1.0], 1e-5)
    scipy_nit = scipy_bfgs_iterations()
    assert ours is not None
    assert scipy_nit / 1.5 <= ours <= 1.5 * scipy_nit, (ours, scipy_nit)
    assert np.linalg.norm(traj.xs[-1, 0] - 1.0) < 1e-6
    # plausible bookkeeping: at least one value and gradient per iteration, and no Hessians
    assert ours <= traj.n_f[0] <= 3 * ours and traj.n_grad[0] == traj.n_f[0] and traj.n_hess[0] == 0


@pytest.mark.parametrize("m", [1, 5, 20])
def test_lbfgs_reaches_rosenbrock_minimum(rosenbrock, m):
    traj = run(get_optimizer("lbfgs", m=m), rosenbrock, ROSENBROCK_START, 200)
    assert np.linalg.norm(traj.xs[-1, 0] - 1.0) < 1e-6
    assert first_within(traj.xs[:, 0], [1.0, 1.0], 1e-5) <= 60


@pytest.mark.parametrize("variant", ["polak_ribiere_plus", "fletcher_reeves"])
def test_cg_reaches_rosenbrock_minimum(rosenbrock, variant):
    traj = run(get_optimizer("cg", variant=variant), rosenbrock, ROSENBROCK_START, 300)
    assert np.linalg.norm(traj.xs[-1, 0] - 1.0) < 1e-6


def test_newton_needs_fewer_iterations_than_bfgs(rosenbrock):
    newton = run(get_optimizer("newton"), rosenbrock, ROSENBROCK_START, 100)
    bfgs = run(get_optimizer("bfgs"), rosenbrock, ROSENBROCK_START, 100)
    n_newton = first_within(newton.xs[:, 0], [1.0, 1.0], 1e-6)
    n_bfgs = first_within(bfgs.xs[:, 0], [1.0, 1.0], 1e-6)
    assert n_newton is not None and n_bfgs is not None
    assert n_newton < n_bfgs


def test_bfgs_and_lbfgs_agree_while_the_memory_holds_everything(bowl):
    """With m >= the number of pairs, L-BFGS with H0 = γI applies the same matrix as BFGS scaled by (6.20)."""
    x0 = bowl_starts(6, 2)
    bfgs = run(get_optimizer("bfgs"), bowl, x0, 3)
    lbfgs = run(get_optimizer("lbfgs", m=20), bowl, x0, 3)
    # step 1 is steepest descent in both; step 2 uses H = BFGS update of γI in both
    np.testing.assert_allclose(lbfgs.xs[:3], bfgs.xs[:3], rtol=1e-9, atol=1e-12)


# ---------------------------------------------------------------------------- CG and coordinate descent


def test_cg_with_near_exact_line_search_solves_a_quadratic_in_two_steps(bowl):
    x0 = np.vstack([bowl_starts(10, 3), bowl.start])
    traj = run(get_optimizer("cg", c1=1e-7, c2=1e-6), bowl, x0, 4)
    scale = np.linalg.norm(x0, axis=1)
    assert np.all(np.linalg.norm(traj.xs[2], axis=1) < 1e-6 * scale)
    # steepest descent with the same line search is far from done after two steps (kappa = 100)
    sd = run(get_optimizer("cg", c1=1e-7, c2=1e-6), bowl, x0, 1)
    assert np.all(np.linalg.norm(sd.xs[1], axis=1) > 1e-3 * scale)


def test_cg_restarts_with_steepest_descent_every_two_steps(bowl):
    traj = run(get_optimizer("cg"), bowl, bowl_starts(4, 4), 6, record=True)
    m, g = traj.internals["m"], traj.internals["grad"]
    for t in (0, 2, 4):
        live = np.linalg.norm(g[t], axis=1) > 0
        np.testing.assert_allclose(m[t][live], -g[t][live], rtol=1e-12)


def test_coordinate_descent_exact_zeroes_its_partial_derivative(bowl):
    x0 = bowl_starts(8, 5)
    traj = run(get_optimizer("coordinate_descent", mode="exact"), bowl, x0, 6)
    for t in range(6):
        i, other = t % 2, 1 - t % 2
        g = bowl.grad(traj.xs[t + 1])
        scale = np.abs(bowl.grad(traj.xs[t])).max(axis=1) + 1e-300
        assert np.all(np.abs(g[:, i]) <= 1e-12 * scale)
        np.testing.assert_array_equal(traj.xs[t + 1, :, other], traj.xs[t, :, other])


def test_coordinate_descent_gradient_mode_moves_one_coordinate_by_lr_times_its_slope(bowl):
    x0 = bowl_starts(5, 6)
    lr = np.array([0.001, 0.01, 0.005, 0.002, 0.0])
    traj = run(get_optimizer("coordinate_descent", mode="gradient", lr=lr), bowl, x0, 2)
    for t in range(2):
        expected = traj.xs[t].copy()
        expected[:, t] -= lr * bowl.grad(traj.xs[t])[:, t]
        np.testing.assert_allclose(traj.xs[t + 1], expected, rtol=1e-15)


def test_coordinate_descent_falls_back_to_a_gradient_step_without_curvature():
    saddle = get_surface("saddle")  # along y the curvature is negative: no 1D minimum
    x0 = np.array([[0.5, 0.2]])
    traj = run(get_optimizer("coordinate_descent", lr=0.1), saddle, x0, 2)
    np.testing.assert_allclose(traj.xs[1, 0], [0.0, 0.2], atol=1e-15)  # x: exact minimisation
    np.testing.assert_allclose(traj.xs[2, 0], [0.0, 0.2 + 0.1 * 2 * 0.2], rtol=1e-15)  # y: y - lr * (-2y)


# ---------------------------------------------------------------------------- batched equals single


BATCH_CASES = [
    ("newton", dict(lr=np.array([1.0, 0.5, 0.8, 1.2]), damping=np.array([0.0, 0.1, 1e-3, 2.0]))),
    ("newton", dict(hessian_fix="saddle_free", damping=np.array([0.0, 0.5, 1.0, 1e-6]))),
    ("newton", dict(hessian_fix="levenberg", lr=np.array([1.0, 0.3, 0.6, 0.9]))),
    ("bfgs", dict(c1=np.array([1e-4, 1e-3, 1e-2, 0.1]), c2=np.array([0.9, 0.5, 0.2, 0.3]))),
    ("lbfgs", dict(m=np.array([1, 3, 5, 8]), c2=np.array([0.9, 0.5, 0.2, 0.99]))),
    ("cg", dict(c2=np.array([0.1, 0.2, 0.05, 0.4]))),
    ("cg", dict(variant="fletcher_reeves")),
    ("coordinate_descent", dict(lr=np.array([0.1, 0.01, 0.2, 0.05]))),
    ("coordinate_descent", dict(mode="gradient", lr=np.array([1e-3, 2e-3, 5e-4, 1e-4]))),
]


@pytest.mark.parametrize(("name", "hparams"), BATCH_CASES, ids=[f"{c[0]}-{i}" for i, c in enumerate(BATCH_CASES)])
@pytest.mark.parametrize("surface_name", ["rosenbrock", "himmelblau"])
def test_batched_equals_separate_runs(name, hparams, surface_name):
    surface = get_surface(surface_name)
    x0 = np.array([[-1.2, 1.0], [0.5, 2.5], [1.5, -0.5], [-0.3, -0.8]])
    steps = 40
    batch = run(get_optimizer(name, **hparams), surface, x0, steps)
    for i in range(len(x0)):
        mine = {k: (v[i] if isinstance(v, np.ndarray) else v) for k, v in hparams.items()}
        alone = run(get_optimizer(name, **mine), surface, x0[i : i + 1], steps)
        np.testing.assert_array_equal(batch.xs[:, i], alone.xs[:, 0])
        assert (batch.n_f[i], batch.n_grad[i], batch.n_hess[i]) == (alone.n_f[0], alone.n_grad[0], alone.n_hess[0])


# ---------------------------------------------------------------------------- the line search


def random_quadratics(rng, n):
    """f(x) = ½ xᵀAx - bᵀx with random positive definite A (condition up to 1e3)."""
    angles = rng.uniform(0, np.pi, n)
    eig = np.exp(rng.uniform(np.log(1e-1), np.log(1e2), size=(n, 2)))
    c, s = np.cos(angles), np.sin(angles)
    R = np.stack([np.stack([c, -s], -1), np.stack([s, c], -1)], -2)
    A = R @ (eig[:, :, None] * np.swapaxes(R, 1, 2))
    b = rng.normal(size=(n, 2))

    class Quadratic:  # a surface with one quadratic per row
        finite_sum = None  # no examples: exact gradients
        @staticmethod
        def f(x):
            return 0.5 * np.einsum("ni,nij,nj->n", x, A, x) - np.einsum("ni,ni->n", b, x)

        @staticmethod
        def grad(x):
            return np.einsum("nij,nj->ni", A, x) - b

        hess = None

    return Quadratic


def assert_strong_wolfe(surface, x, direction, alpha, c1, c2):
    """Both strong Wolfe conditions, evaluated independently of the line search."""
    f0 = surface.f(x)
    slope0 = np.einsum("ni,ni->n", surface.grad(x), direction)
    x_new = x + alpha[:, None] * direction
    slope = np.einsum("ni,ni->n", surface.grad(x_new), direction)
    assert np.all(alpha > 0)
    assert np.all(surface.f(x_new) <= f0 + c1 * alpha * slope0)
    assert np.all(np.abs(slope) <= c2 * np.abs(slope0))


@pytest.mark.parametrize(("c1", "c2"), [(1e-4, 0.9), (1e-4, 0.1), (0.3, 0.4), (1e-4, 1e-3)])
@pytest.mark.parametrize("alpha0", [1.0, 1e-3, 50.0])
def test_line_search_satisfies_strong_wolfe_on_random_quadratics(c1, c2, alpha0):
    rng = np.random.default_rng(int(1e6 * c2) + int(alpha0))
    n = 300
    quad = random_quadratics(rng, n)
    x = rng.normal(scale=3.0, size=(n, 2))
    g = quad.grad(x)
    direction = np.where(rng.random(n)[:, None] < 0.5, -g, rng.normal(size=(n, 2)))
    direction *= np.where(np.einsum("ni,ni->n", g, direction) > 0, -1.0, 1.0)[:, None]  # make it descent
    oracle = Oracle(quad, n)
    alpha, x_new, f_new, g_new, ok = wolfe_line_search(
        oracle, x, quad.f(x), g, direction, c1=c1, c2=c2, alpha0=alpha0
    )
    assert ok.all()
    assert_strong_wolfe(quad, x, direction, alpha, c1, c2)
    np.testing.assert_array_equal(x_new, x + alpha[:, None] * direction)
    np.testing.assert_array_equal(f_new, quad.f(x_new))
    np.testing.assert_array_equal(g_new, quad.grad(x_new))
    assert np.all(oracle.n_f >= 1) and np.all(oracle.n_f <= 25) and np.all(oracle.n_f == oracle.n_grad)


@pytest.mark.parametrize("c2", [0.9, 0.1])
def test_line_search_satisfies_strong_wolfe_on_rosenbrock(rosenbrock, c2):
    rng = np.random.default_rng(7)
    n = 400
    x = np.stack([rng.uniform(-2, 2, n), rng.uniform(-1, 3, n)], -1)
    g = rosenbrock.grad(x)
    newton = -np.linalg.solve(rosenbrock.hess(x), g[..., None])[..., 0]
    descent = np.einsum("ni,ni->n", g, newton) < 0
    direction = np.where(descent[:, None] & (rng.random(n)[:, None] < 0.5), newton, -g)
    alpha0 = np.where(np.all(direction == -g, axis=1), 1.0 / np.linalg.norm(g, axis=1), 1.0)
    oracle = Oracle(rosenbrock, n)
    alpha, _, _, _, ok = wolfe_line_search(oracle, x, rosenbrock.f(x), g, direction, c2=c2, alpha0=alpha0)
    assert ok.all()
    assert_strong_wolfe(rosenbrock, x, direction, alpha, 1e-4, c2)


def test_line_search_rejects_non_descent_and_nan_rows_without_evaluating(rosenbrock):
    x = np.array([[-1.2, 1.0], [-1.2, 1.0], [np.nan, np.nan], [0.5, 0.5], [-1.2, 1.0]])
    g = rosenbrock.grad(x)
    direction = np.array([g[0], [0.0, 0.0], [-1.0, 0.0], -g[3] / np.linalg.norm(g[3]), -g[4] / 1e3])
    direction[2] = np.nan
    oracle = Oracle(rosenbrock, len(x))
    alpha, x_new, f_new, g_new, ok = wolfe_line_search(oracle, x, rosenbrock.f(x), g, direction)
    np.testing.assert_array_equal(ok, [False, False, False, True, True])
    np.testing.assert_array_equal(alpha[:3], 0.0)
    np.testing.assert_array_equal(x_new[:2], x[:2])
    np.testing.assert_array_equal(f_new[:2], rosenbrock.f(x[:2]))
    np.testing.assert_array_equal(g_new[:2], g[:2])
    np.testing.assert_array_equal(oracle.n_f[:3], 0)
    assert np.all(oracle.n_f[3:] > 0)


def test_line_search_returns_the_best_armijo_point_when_it_runs_out_of_iterations():
    saddle = get_surface("saddle")  # unbounded below along y: the curvature condition never holds
    x = np.array([[0.0, 0.5]])
    g = saddle.grad(x)
    oracle = Oracle(saddle, 1)
    alpha, x_new, f_new, _, ok = wolfe_line_search(oracle, x, saddle.f(x), g, -g, alpha0=1.0, max_iter=5)
    assert not ok[0]
    assert alpha[0] == 2.0**4  # doubled at every trial: 1, 2, 4, 8, 16
    assert f_new[0] == saddle.f(x_new)[0] < saddle.f(x)[0] + 1e-4 * alpha[0] * -(g @ g.T)[0, 0]
    assert oracle.n_f[0] == 5


# ---------------------------------------------------------------------------- evaluations, NaN rows, warnings


def test_evaluations_are_counted_per_trajectory(rosenbrock):
    x0 = np.array([[1.0, 1.0], [1.0 + 1e-7, 1.0], [-1.2, 1.0]])  # at, next to, and far from the minimum
    for name in ("bfgs", "lbfgs", "cg"):
        traj = run(get_optimizer(name), rosenbrock, x0, 100)
        assert traj.n_f[0] <= 1  # a zero gradient: nothing to search
        assert traj.n_f[0] < traj.n_f[1] < traj.n_f[2], name
        np.testing.assert_array_equal(traj.n_f, traj.n_grad)
        np.testing.assert_array_equal(traj.n_hess, 0)
    newton = run(get_optimizer("newton"), rosenbrock, x0, 10)
    np.testing.assert_array_equal(newton.n_hess, 10)
    np.testing.assert_array_equal(newton.n_f, 0)


def test_converged_trajectories_stop_paying(bowl):
    traj = run(get_optimizer("bfgs"), bowl, bowl_starts(50, 8), 300)
    # BFGS on a 2D quadratic ends in a handful of steps; afterwards no more evaluations
    assert traj.n_f.max() < 40
    assert np.all(np.linalg.norm(traj.xs[-1], axis=1) < 1e-12)


def test_ledger_fields_are_exposed(rosenbrock):
    for name in ("bfgs", "lbfgs", "cg", "newton", "coordinate_descent"):
        traj = run(get_optimizer(name), rosenbrock, ROSENBROCK_START, 5, record=True)
        assert "step_size" in traj.internals
        assert np.all(np.isfinite(traj.internals["grad"]))
        update = traj.xs[1:] - traj.xs[:-1]
        if name != "coordinate_descent":
            np.testing.assert_allclose(update, traj.internals["step_size"] * traj.internals["m"], rtol=1e-12,
                                       atol=1e-15)
    assert np.all(np.isnan(run(get_optimizer("bfgs"), rosenbrock, ROSENBROCK_START, 3).lrs))


@pytest.mark.parametrize("name", SECOND_ORDER)
def test_nan_rows_do_not_hang_or_warn(name, rosenbrock):
    """Call init and step directly (outside the engine's errstate): NaN rows stay NaN, the rest is unaffected."""
    x = np.array([[-1.2, 1.0], [np.nan, np.nan], [0.5, np.nan], [2.0, -1.0]])
    opt = get_optimizer(name)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        oracle = Oracle(rosenbrock, len(x))
        state = opt.init(x)
        alone_oracle = Oracle(rosenbrock, 2)
        alone = x[[0, 3]]
        alone_state = opt.init(alone)
        for _ in range(15):
            oracle.move_to(x)
            x, state = opt.step(x, state, oracle)
            alone_oracle.move_to(alone)
            alone, alone_state = opt.step(alone, alone_state, alone_oracle)
        assert np.all(np.isnan(x[1])) and np.isnan(x[2]).any()
        np.testing.assert_array_equal(x[[0, 3]], alone)
        np.testing.assert_array_equal(oracle.n_f[[0, 3]], alone_oracle.n_f)


@pytest.mark.parametrize("name", SECOND_ORDER)
def test_diverging_runs_finish_without_warnings(name):
    saddle = get_surface("saddle")  # unbounded below: line searches expand until they leave the map
    x0 = np.array([[-1.8, 1e-3], [0.5, 0.5], [0.0, 0.0]])
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        traj = run(get_optimizer(name), saddle, x0, 50)
    assert traj.xs.shape == (51, 3, 2)
    if name in ("bfgs", "lbfgs", "cg"):
        assert np.all(traj.diverged_at[:2] > 0)
        np.testing.assert_array_equal(traj.xs[:, 2], 0.0)  # started on the saddle: zero gradient


@pytest.mark.parametrize("name", ["bfgs", "lbfgs", "cg"])
def test_gradient_noise_is_survived(name, rosenbrock):
    traj = run(get_optimizer(name), rosenbrock, np.repeat(ROSENBROCK_START, 3, axis=0), 60, noise=0.5, seed=1)
    finite = np.isfinite(traj.fs[-1])
    assert finite.any()
    assert np.all(traj.fs[-1][finite] < traj.fs[0][finite])


def test_docstrings_name_their_line_search():
    for name in ("bfgs", "lbfgs", "cg"):
        doc = OPTIMIZERS[name].doc
        assert re.search(r"strong[- ]Wolfe", doc), name


@settings(max_examples=300, deadline=None)
@given(arrays(np.float64, (3,), elements=st.floats(-1e6, 1e6, allow_nan=False, allow_subnormal=False)))
def test_closed_form_eigh_matches_lapack(abc):
    """Newton's 2 x 2 eigendecomposition against np.linalg.eigh: same ascending eigenvalues, an orthonormal basis of
    eigenvectors that rebuilds H, to rounding relative to the matrix's size."""
    a, b, c = abc
    H = np.array([[[a, b], [b, c]]])
    lam, Q = _eigh(H)
    scale = max(1.0, float(np.max(np.abs(abc))))
    np.testing.assert_allclose(lam[0], np.linalg.eigh(H[0])[0], rtol=0, atol=1e-14 * scale)
    np.testing.assert_allclose(Q[0].T @ Q[0], np.eye(2), rtol=0, atol=1e-14)
    np.testing.assert_allclose(Q[0] @ np.diag(lam[0]) @ Q[0].T, H[0], rtol=0, atol=1e-14 * scale)


def test_closed_form_eigh_maps_non_finite_rows_to_nan():
    lam, Q = _eigh(np.array([[[np.inf, 0.0], [0.0, 1.0]], [[2.0, 1.0], [1.0, 2.0]]]))
    assert np.isnan(lam[0]).all() and np.isnan(Q[0]).all()
    np.testing.assert_allclose(lam[1], [1.0, 3.0], atol=1e-15)
