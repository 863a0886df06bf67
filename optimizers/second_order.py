r"""Second-order and classical methods: Newton, BFGS, L-BFGS, nonlinear CG and coordinate descent.

Newton uses the exact Hessian; BFGS and L-BFGS build a model of its inverse from gradient
differences; nonlinear CG needs gradients only. The last three choose their step with the
strong-Wolfe line search of :mod:`optimizers.line_search`, so they have no learning rate.

Everything works on N trajectories at once: 2x2 algebra is written out element by element
and Newton's eigendecompositions are LAPACK's, one matrix at a time, so a trajectory's iterates
do not depend on the rest of the batch; Python loops run over steps, line-search trials and
memory entries only. Diverged trajectories arrive as NaN rows and stay NaN without stopping
the others (nor being charged for evaluations).

**Evaluations.** The line search already evaluated the value and gradient at the point it
returns; the next step reuses them rather than paying twice. The oracle is still asked at the
current iterate (so the app's ledger shows the gradient) but charges only trajectories whose
values are not known yet. With gradient noise the reused gradient is the line search's draw.

**Stopping.** BFGS, L-BFGS and CG stop a trajectory (it stays put and stops paying for
evaluations) when its gradient norm falls to machine epsilon times its value at the first step,
or when a line search cannot make progress even along steepest descent: it has converged to
rounding (scipy stops there with "precision loss"). With gradient noise a failed search may be
bad luck, so only the gradient test applies.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

from surfaces.params import Param

from . import hyper
from .base import Optimizer, column, lr_column, register
from .line_search import dot, wolfe_line_search

Array = np.ndarray

# Smallest eigenvalue magnitude relative to the largest before the Newton step treats it as
# this small (a singular Hessian would give an infinite step).
EIGEN_FLOOR = 1e-12
# Absolute floor: 1 / TINY times a gradient below ~1e150 cannot overflow. Used when H = 0.
TINY = float(np.sqrt(np.finfo(float).tiny))
# "levenberg": the shift makes the smallest eigenvalue at least this times the largest
# (N&W Algorithm 3.3 starts its shift at 1e-3 times the size of the Hessian).
LEVENBERG_MARGIN = 1e-3
# BFGS/L-BFGS skip an update unless s'y > CURVATURE_SKIP |s||y| (keeps H positive definite).
CURVATURE_SKIP = 1e-10
# BFGS/L-BFGS/CG stop where the gradient is this fraction of its size at the start (machine epsilon).
GTOL = float(np.finfo(float).eps)
# Coordinate descent, mode "exact": at most this many Newton iterations on the one-dimensional
# restriction, stopping once a move is below EXACT_RTOL times the coordinate.
EXACT_ITERS = 5
EXACT_RTOL = 1e-12


# ---------------------------------------------------------------------------- 2x2 algebra


def _matvec(M: Array, v: Array) -> Array:
    """(N, 2, 2) @ (N, 2) -> (N, 2), written out."""
    return np.stack(
        [M[:, 0, 0] * v[:, 0] + M[:, 0, 1] * v[:, 1], M[:, 1, 0] * v[:, 0] + M[:, 1, 1] * v[:, 1]], axis=-1
    )


def _identity(n: int) -> Array:
    return np.broadcast_to(np.eye(2), (n, 2, 2)).copy()


def _safe_divide(num: Array, den: Array, where: Array, default: float = 0.0) -> Array:
    """num / den where ``where``, else ``default``; never warns."""
    return np.where(where, num / np.where(where, den, 1.0), default)


def _norm(v: Array) -> Array:
    """Row-wise Euclidean norm of (N, 2), without underflow or overflow of the squares."""
    return np.hypot(v[:, 0], v[:, 1])


def _value_and_grad(x: Array, state, oracle) -> tuple[Array, Array]:
    """Value and gradient at the current iterate, reusing what the last line search computed.

    ``state.x``, ``state.f``, ``state.g`` hold the line search's point and its values. Rows
    where ``x`` is that point are not charged again; rows that are NaN (diverged) are not charged.
    """
    known = np.all(x == state.x, axis=1)
    need = ~known & np.isfinite(x).all(axis=1)
    f = oracle.f(x, active=need)
    g = oracle.grad(x, active=need)
    return f, np.where(known[:, None], state.g, g)


def _first_step(g: Array) -> Array:
    """The first trial step along -g when nothing is known of the curvature: min(1, 1/|g|).

    The first move is then at most 1 long, whatever the gradient's size (as in Nocedal's L-BFGS
    code and, up to a factor 1.01, scipy's); the line search expands or shrinks it from there.
    """
    norm = _norm(g)
    return _safe_divide(np.ones_like(norm), norm, norm > 1.0, 1.0)


def _noise_free(oracle) -> bool:
    return bool(np.all(np.equal(getattr(oracle, "noise", 0.0), 0.0)))


def _converged(g: Array, state) -> tuple[Array, Array]:
    """Update ``stalled`` with the gradient test; return it and the gradient norm at the start.

    A trajectory whose gradient is machine epsilon times its size at the first step has
    converged as far as its starting scale can resolve; it stays put from then on, instead
    of paying for line searches on rounding errors (or creeping into subnormal numbers on a
    quadratic whose minimum is at the origin).
    """
    norm = _norm(g)
    g_start = np.where(np.isnan(state.g_start), norm, state.g_start)
    return state.stalled | (norm <= GTOL * g_start), g_start


# ---------------------------------------------------------------------------- hyperparameters


WOLFE_ORDER = (("c1", "c2"),)  # the Wolfe conditions need 0 < c1 < c2 < 1


def _c1(default: float = 1e-4) -> Param:
    return Param(
        "c1", default, 1e-6, 0.5, log=True, label="sufficient decrease", symbol="c_1",
        help="Armijo condition: accept a step only if f drops by at least c₁ times the linear prediction.",
        domain=(0.0, 1.0), open_low=True, open_high=True,
    )


def _c2(default: float) -> Param:
    return Param(
        "c2", default, 1e-3, 0.999, log=True, label="curvature condition", symbol="c_2",
        help="Strong Wolfe condition: the slope along the step must shrink to c₂ times its initial size. "
             "Small c₂ means a nearly exact line search. Must exceed c₁.",
        domain=(0.0, 1.0), open_low=True, open_high=True,
    )


# ---------------------------------------------------------------------------- Newton


class NewtonState(NamedTuple):
    t: int
    m: Array  # (N, 2) the (modified) Newton direction -H̃⁻¹ g
    step_size: Array  # (N, 2) the learning rate, the multiplier of m


def _eigh(H: Array) -> tuple[Array, Array]:
    """Eigenvalues (ascending) and eigenvectors (columns) of each symmetric 2 x 2 matrix in (N, 2, 2); NaN where H is
    not finite. In closed form: ``np.linalg.eigh`` spent a third of Newton's time on its per-matrix LAPACK calls.

    For H = [[a, b], [b, c]]: λ = (a + c)/2 ∓ r with r = hypot((a − c)/2, b), and the larger eigenvalue's
    eigenvector is (cos θ, sin θ) with θ = atan2(b, (a − c)/2) / 2.
    """
    finite = np.isfinite(H).all(axis=(1, 2))
    H = np.where(finite[:, None, None], H, np.eye(2))
    a, b, c = H[:, 0, 0], 0.5 * (H[:, 0, 1] + H[:, 1, 0]), H[:, 1, 1]
    mean, half = 0.5 * (a + c), 0.5 * (a - c)
    radius = np.hypot(half, b)
    lam = np.stack([mean - radius, mean + radius], axis=-1)
    theta = 0.5 * np.arctan2(b, half)
    cos, sin = np.cos(theta), np.sin(theta)
    Q = np.stack([np.stack([-sin, cos], axis=-1), np.stack([cos, sin], axis=-1)], axis=-2)  # columns: v_min, v_max
    return np.where(finite[:, None], lam, np.nan), np.where(finite[:, None, None], Q, np.nan)


def _modified_eigenvalues(lam: Array, fix: str, damping) -> Array:
    """The eigenvalues Newton divides by, after the Hessian fix and damping, kept away from zero."""
    scale = np.max(np.abs(lam), axis=1, keepdims=True)
    if fix == "saddle_free":
        lam = np.abs(lam)
    elif fix == "levenberg":
        shift = np.maximum(0.0, LEVENBERG_MARGIN * scale - lam[:, :1])  # lam is ascending: lam[:, 0] is lambda_min
        lam = lam + shift
    lam = lam + damping
    floor = np.maximum(EIGEN_FLOOR * scale, TINY)
    return np.where(np.abs(lam) < floor, np.where(lam < 0.0, -floor, floor), lam)


@register(
    "Newton",
    hyper.lr(1.0, low=1e-3, high=2.0),
    Param("hessian_fix", "none", kind="choice", choices=("none", "saddle_free", "levenberg"),
          label="Hessian fix", help="none: plain Newton, drawn to saddles; saddle_free: divide by |λ| "
          "(Dauphin et al. 2014), escapes saddles; levenberg: shift H until positive definite."),
    # A linear slider: ui.controls.log_options cannot place the default 0 on a log scale (ZeroDivisionError).
    Param("damping", 0.0, 1e-6, 10.0, log=True, label="damping", symbol=r"\delta",
          help="Levenberg-Marquardt damping added to every eigenvalue: shorter, more gradient-like steps.",
          domain=(0.0, None)),
    family="second-order",
)
def newton(lr, hessian_fix, damping) -> Optimizer:
    r"""Damped Newton's method with an optional fix for indefinite Hessians.

    .. math::

        g_t &= \nabla f(x_{t-1}), \quad \nabla^2 f(x_{t-1}) = Q \Lambda Q^\top \\
        \tilde\Lambda &= \Lambda + \delta I \ \text{(none)}, \quad |\Lambda| + \delta I \ \text{(saddle-free)}, \quad
        \Lambda + (\delta + \max(0, \epsilon - \lambda_{\min})) I \ \text{(Levenberg)} \\
        x_t &= x_{t-1} - \eta\, Q \tilde\Lambda^{-1} Q^\top g_t

    Newton's step jumps to the stationary point of the local quadratic model
    :math:`f + g^\top p + \tfrac12 p^\top H p`, whatever kind of point it is: a minimum if H is
    positive definite, but a maximum or a saddle otherwise. Along an eigenvector with
    :math:`\lambda < 0` the step :math:`-g_i/\lambda_i` goes *uphill*, towards the top of that
    direction, so plain Newton is attracted to saddles (on :math:`x^2 - y^2` it lands on the
    saddle in one step from anywhere). With defaults (:math:`\eta = 1`, no damping) it solves
    any positive definite quadratic in exactly one step.

    Fixes: ``saddle_free`` divides by :math:`|\lambda|` (Dauphin et al. 2014, "Identifying and
    attacking the saddle point problem"): the step keeps Newton's length but always goes
    downhill, so negative curvature pushes it away from saddles. ``levenberg`` adds the smallest
    multiple of I that makes every eigenvalue at least :math:`\epsilon = 10^{-3}\max|\lambda|`
    (nothing when H is already that positive definite); the step is then a descent direction, but
    along negative curvature it is long, so combine it with some damping.
    ``damping`` :math:`\delta` is Levenberg-Marquardt damping in every mode: large :math:`\delta`
    turns the step into gradient descent with rate :math:`1/\delta`. Eigenvalues closer to zero
    than :math:`10^{-12}\max|\lambda|` are moved to that floor, so a singular Hessian gives a huge
    but finite step. Costs one gradient and one Hessian per step; no line search.
    """
    damping_ = column(damping)

    def init(x):
        return NewtonState(0, x * 0.0, x * 0.0)

    def step(x, state, oracle):
        finite = np.isfinite(x).all(axis=1)  # diverged (NaN) rows are not charged
        g = oracle.grad(x, active=finite)
        lam, Q = _eigh(oracle.hess(x, active=finite))
        lam = _modified_eigenvalues(lam, hessian_fix, damping_)
        # H̃⁻¹ g = Q diag(1/λ̃) Qᵀ g: rotate into the eigenbasis, divide, rotate back
        p = np.stack([Q[:, 0, 0] * g[:, 0] + Q[:, 1, 0] * g[:, 1], Q[:, 0, 1] * g[:, 0] + Q[:, 1, 1] * g[:, 1]], -1)
        direction = -_matvec(Q, p / lam)
        rate = lr_column(lr, state.t)
        step_size = rate + 0.0 * x
        return x + rate * direction, NewtonState(state.t + 1, direction, step_size)

    return Optimizer("newton", dict(lr=lr, hessian_fix=hessian_fix, damping=damping), init, step)


# ---------------------------------------------------------------------------- quasi-Newton


class BFGSState(NamedTuple):
    t: int
    H: Array  # (N, 2, 2) approximation of the inverse Hessian
    fresh: Array  # (N,) H is the identity, not yet scaled: the next step is steepest descent
    stalled: Array  # (N,) converged or no progress possible: the trajectory stays put
    g_start: Array  # (N,) gradient norm at the first step (NaN before it)
    x: Array  # (N, 2) the point the last line search returned, with its value and gradient
    f: Array
    g: Array
    m: Array  # (N, 2) the search direction -H g
    step_size: Array  # (N, 2) the line search's step alpha, the multiplier of m


def _pair(s: Array, y: Array):
    """Unit vectors, norms and cosine of a (step, gradient change) pair; zeros where a norm is zero."""
    s_norm, y_norm = _norm(s), _norm(y)
    s_hat = _safe_divide(s, s_norm[:, None], (s_norm > 0.0)[:, None])
    y_hat = _safe_divide(y, y_norm[:, None], (y_norm > 0.0)[:, None])
    return s_hat, s_norm, y_hat, y_norm, dot(s_hat, y_hat)


def _bfgs_inverse_update(H: Array, s_hat: Array, y_hat: Array, k: Array, c: Array) -> Array:
    r"""N&W (6.17), :math:`H_+ = (I - \rho s y^\top) H (I - \rho y s^\top) + \rho s s^\top`, in a scale-free form.

    Near a minimum s and y are tiny and :math:`\rho^2 = (s^\top y)^{-2}` overflows long before
    the iterates stop improving, so the update is written with the unit vectors
    :math:`\hat s = s/|s|`, :math:`\hat y = y/|y|`, their cosine :math:`c = \hat s^\top \hat y > 0`,
    :math:`k = |s|/|y|` and :math:`u = H \hat y`; expanding the product gives the same matrix,
    :math:`H_+ = H - (\hat s u^\top + u \hat s^\top)/c + (\hat y^\top u / c^2 + k / c)\, \hat s \hat s^\top`.
    """
    u = _matvec(H, y_hat)
    coef = dot(y_hat, u) / (c * c) + k / c
    s0, s1, u0, u1 = s_hat[:, 0], s_hat[:, 1], u[:, 0], u[:, 1]
    h00 = H[:, 0, 0] - 2.0 * s0 * u0 / c + coef * s0 * s0
    h01 = H[:, 0, 1] - (s0 * u1 + u0 * s1) / c + coef * s0 * s1
    h11 = H[:, 1, 1] - 2.0 * s1 * u1 / c + coef * s1 * s1
    return np.stack([np.stack([h00, h01], -1), np.stack([h01, h11], -1)], -2)


def _after_line_search(x, g, x_new, g_new, alpha, fresh, stalled, oracle):
    """What BFGS and L-BFGS share after the search: the pair (s, y), which updates are safe, resets, stalls.

    The update is safe when :math:`s^\top y > 10^{-10} |s||y|`, i.e. the cosine of s and y exceeds
    :math:`10^{-10}` (the strong Wolfe conditions guarantee :math:`s^\top y > 0` in exact arithmetic).
    """
    s, y = x_new - x, g_new - g
    pair = _pair(s, y)
    moved = alpha > 0.0
    update = moved & (pair[4] > CURVATURE_SKIP)  # False for NaN
    failed = ~moved & ~stalled
    if _noise_free(oracle):
        stalled = stalled | (failed & fresh)  # even steepest descent failed: converged to rounding
    reset = failed & ~stalled  # a failed quasi-Newton direction: try steepest descent next
    return s, y, pair, update, reset, stalled


@register("BFGS", _c1(), _c2(0.9), family="second-order", ordered=WOLFE_ORDER)
def bfgs(c1, c2) -> Optimizer:
    r"""BFGS (Nocedal & Wright Algorithm 6.1) with a strong-Wolfe line search.

    .. math::

        d_t &= -H_{t-1}\, \nabla f(x_{t-1}), \quad x_t = x_{t-1} + \alpha_t d_t \\
        s_t &= x_t - x_{t-1}, \quad y_t = \nabla f(x_t) - \nabla f(x_{t-1}), \quad \rho_t = 1/(s_t^\top y_t) \\
        H_t &= (I - \rho_t s_t y_t^\top)\, H_{t-1}\, (I - \rho_t y_t s_t^\top) + \rho_t s_t s_t^\top

    :math:`H` approximates the inverse Hessian. It starts as the identity (the first step is
    steepest descent, tried with a move of length at most 1) and is rescaled to
    :math:`(s^\top y / y^\top y)\,I` just before the first update (N&W eq. 6.20), which
    matches the curvature along the first step. :math:`\alpha_t` comes from the strong-Wolfe line
    search (N&W Algorithms 3.5-3.6, first trial :math:`\alpha = 1`) with constants
    :math:`c_1 < c_2`; its curvature condition guarantees :math:`s^\top y > 0`, which keeps H
    positive definite. Should the update still be unsafe (:math:`s^\top y \le 10^{-10}|s||y|`) it
    is skipped; should :math:`d_t` not be a descent direction, or the search fail, H is reset to
    the identity. One value and one gradient per line-search trial; near the minimum the first
    trial is almost always accepted (superlinear convergence).
    """
    c1_, c2_ = np.asarray(c1, dtype=float), np.asarray(c2, dtype=float)

    def init(x):
        n = len(x)
        nan = np.full_like(x, np.nan)
        false = np.zeros(n, dtype=bool)
        return BFGSState(0, _identity(n), ~false, false, nan[:, 0], nan, nan[:, 0], nan, x * 0.0, x * 0.0)

    def step(x, state, oracle):
        f, g = _value_and_grad(x, state, oracle)
        stalled, g_start = _converged(g, state)
        H, fresh = state.H, state.fresh
        d = -_matvec(H, g)
        reset = ~(dot(g, d) < 0.0) & ~fresh  # not a descent direction (or NaN): steepest descent
        H = np.where(reset[:, None, None], np.eye(2), H)
        fresh = fresh | reset
        d = np.where(fresh[:, None], -g, d)
        d = np.where(stalled[:, None], 0.0, d)  # a zero direction is not searched
        alpha0 = np.where(fresh, _first_step(g), 1.0)
        alpha, x_new, f_new, g_new, _ = wolfe_line_search(oracle, x, f, g, d, c1=c1_, c2=c2_, alpha0=alpha0)

        _, _, pair, update, reset, stalled = _after_line_search(x, g, x_new, g_new, alpha, fresh, stalled, oracle)
        rows = np.flatnonzero(update)  # only these change H (after convergence: none)
        if rows.size:
            s_hat, s_norm, y_hat, y_norm, c = (v[rows] for v in pair)
            k = s_norm / y_norm
            scaled = (k * c)[:, None, None] * np.eye(2)  # N&W (6.20): (s'y / y'y) I before the first update
            H0 = np.where(fresh[rows, None, None], scaled, H[rows])
            H = H.copy()
            H[rows] = _bfgs_inverse_update(H0, s_hat, y_hat, k, c)
        fresh = fresh & ~update
        H = np.where(reset[:, None, None], np.eye(2), H)
        fresh = fresh | reset
        step_size = alpha[:, None] + 0.0 * x
        return x_new, BFGSState(state.t + 1, H, fresh, stalled, g_start, x_new, f_new, g_new, d, step_size)

    return Optimizer("bfgs", dict(c1=c1, c2=c2), init, step)


class LBFGSState(NamedTuple):
    t: int
    S: Array  # (N, M, 2) the last steps s, newest first (M = largest memory in the batch)
    Y: Array  # (N, M, 2) the matching gradient differences y
    count: Array  # (N,) how many pairs are in use; entries beyond it are ignored
    stalled: Array  # (N,)
    g_start: Array  # (N,)
    x: Array  # (N, 2) the point the last line search returned, with its value and gradient
    f: Array
    g: Array
    m: Array  # (N, 2) the search direction
    step_size: Array  # (N, 2) the line search's step alpha


def _two_loop(g: Array, S: Array, Y: Array, count: Array) -> Array:
    r"""N&W Algorithm 7.4, for all trajectories at once: returns :math:`H_k \nabla f_k`.

    The book's loops, with :math:`\rho_i = 1/(s_i^\top y_i)`, are

    * newest to oldest: :math:`a_i = \rho_i s_i^\top q`, :math:`q \leftarrow q - a_i y_i`;
    * :math:`r = \gamma q` with :math:`\gamma = s^\top y / y^\top y` of the newest pair (N&W eq. 7.20);
    * oldest to newest: :math:`b = \rho_i y_i^\top r`, :math:`r \leftarrow r + s_i (a_i - b)`.

    Near a minimum :math:`\rho_i` overflows, so they are computed with unit vectors
    :math:`\hat s, \hat y`, the cosine :math:`c = \hat s^\top \hat y` and :math:`k = |s|/|y|`:
    :math:`a_i y_i = (\hat s^\top q / c)\, \hat y`, :math:`\gamma = k c` and
    :math:`s_i(a_i - b) = \hat s\, (k\, \hat s^\top q_i / c - \hat y^\top r / c)`, the same numbers.
    The loops run over memory slots; a slot beyond a trajectory's ``count`` contributes exactly
    nothing (its terms are multiplied by 0), so batches with different counts give the same
    result as separate runs. With an empty memory :math:`H_k = I`.
    """
    q, gamma = g, np.ones(len(g))
    pairs, a_hat = [], []
    for i in range(int(count.max(initial=0))):  # newest to oldest
        s_hat, s_norm, y_hat, y_norm, c = _pair(S[:, i], Y[:, i])
        valid = (i < count) & (c > 0.0)
        inv_c = _safe_divide(1.0, c, valid)
        a = dot(s_hat, q) * inv_c  # a_i |y|
        q = q - a[:, None] * y_hat
        k = _safe_divide(s_norm, y_norm, valid)
        if i == 0:
            gamma = np.where(valid, k * c, 1.0)  # s'y / y'y of the newest pair
        pairs.append((s_hat, y_hat, inv_c, k))
        a_hat.append(a)
    r = gamma[:, None] * q
    for (s_hat, y_hat, inv_c, k), a in zip(reversed(pairs), reversed(a_hat), strict=True):  # oldest to newest
        r = r + (k * a - dot(y_hat, r) * inv_c)[:, None] * s_hat
    return r


@register(
    "L-BFGS",
    Param("m", 5, 1, 20, kind="int", label="memory", symbol="m",
          help="How many recent (step, gradient change) pairs model the inverse Hessian.", domain=(1, None)),
    _c1(),
    _c2(0.9),
    family="second-order",
    ordered=WOLFE_ORDER,
)
def lbfgs(m, c1, c2) -> Optimizer:
    r"""Limited-memory BFGS (N&W Algorithms 7.4-7.5) with a strong-Wolfe line search.

    .. math::

        q &\leftarrow \nabla f(x_{t-1}); \quad a_i = \rho_i s_i^\top q, \ q \leftarrow q - a_i y_i
        \quad (i = t-1, \dots, t-m) \\
        r &\leftarrow \gamma_t q, \quad \gamma_t = \frac{s_{t-1}^\top y_{t-1}}{y_{t-1}^\top y_{t-1}}; \quad
        r \leftarrow r + s_i (a_i - \rho_i y_i^\top r) \quad (i = t-m, \dots, t-1) \\
        x_t &= x_{t-1} - \alpha_t r

    The two-loop recursion applies the BFGS inverse Hessian built from the last :math:`m`
    pairs :math:`s_i = x_{i+1} - x_i`, :math:`y_i = \nabla f(x_{i+1}) - \nabla f(x_i)`,
    :math:`\rho_i = 1/(s_i^\top y_i)`, to the gradient without ever forming a matrix: O(mn)
    memory instead of O(n²), which matters with millions of parameters (in 2D, m = 1 is
    already a rank-2 model). :math:`\alpha_t` comes from the same strong-Wolfe line search as
    BFGS (first trial 1; the first step, with empty memory, is steepest descent of length at
    most 1). Pairs with :math:`s^\top y \le 10^{-10}|s||y|` are not stored; the memory is cleared
    when the direction is not a descent direction or the search fails. ``m`` may differ per
    trajectory.
    """
    c1_, c2_ = np.asarray(c1, dtype=float), np.asarray(c2, dtype=float)
    memory = np.asarray(m, dtype=np.int64)
    size = int(memory.max())

    def init(x):
        n = len(x)
        nan = np.full_like(x, np.nan)
        zeros = np.zeros((n, size, 2))
        return LBFGSState(0, zeros, zeros, np.zeros(n, dtype=np.int64), np.zeros(n, dtype=bool),
                          nan[:, 0], nan, nan[:, 0], nan, x * 0.0, x * 0.0)

    def step(x, state, oracle):
        f, g = _value_and_grad(x, state, oracle)
        stalled, g_start = _converged(g, state)
        S, Y, count = state.S, state.Y, state.count
        d = -g  # steepest descent where the memory is empty
        rows = np.flatnonzero((count > 0) & ~stalled)
        if rows.size:
            d[rows] = -_two_loop(g[rows], S[rows], Y[rows], count[rows])
        reset = ~(dot(g, d) < 0.0) & (count > 0)  # not a descent direction (or NaN): forget
        count = np.where(reset, 0, count)
        fresh = count == 0
        d = np.where(fresh[:, None], -g, d)
        d = np.where(stalled[:, None], 0.0, d)
        alpha0 = np.where(fresh, _first_step(g), 1.0)
        alpha, x_new, f_new, g_new, _ = wolfe_line_search(oracle, x, f, g, d, c1=c1_, c2=c2_, alpha0=alpha0)

        s, y, _, update, reset, stalled = _after_line_search(x, g, x_new, g_new, alpha, fresh, stalled, oracle)
        rows = np.flatnonzero(update)
        if rows.size:  # push the new pair in front; the oldest falls off
            S, Y = S.copy(), Y.copy()
            S[rows, 1:], Y[rows, 1:] = S[rows, :-1], Y[rows, :-1]
            S[rows, 0], Y[rows, 0] = s[rows], y[rows]
        count = np.where(update, np.minimum(count + 1, memory), count)  # at most m (per trajectory)
        count = np.where(reset, 0, count)
        step_size = alpha[:, None] + 0.0 * x
        return x_new, LBFGSState(state.t + 1, S, Y, count, stalled, g_start, x_new, f_new, g_new, d, step_size)

    return Optimizer("lbfgs", dict(m=m, c1=c1, c2=c2), init, step)


# ---------------------------------------------------------------------------- conjugate gradient


class CGState(NamedTuple):
    t: int
    since_restart: Array  # (N,) steps since the last steepest-descent step (0: restart now)
    stalled: Array  # (N,)
    g_start: Array  # (N,)
    g_prev: Array  # (N, 2) the gradient the previous step used
    f_prev: Array  # (N,) the value at the previous iterate (NaN before the first step)
    x: Array  # (N, 2) the point the last line search returned, with its value and gradient
    f: Array
    g: Array
    m: Array  # (N, 2) the search direction
    step_size: Array  # (N, 2) the line search's step alpha


@register(
    "Nonlinear CG",
    Param("variant", "polak_ribiere_plus", kind="choice", choices=("fletcher_reeves", "polak_ribiere_plus"),
          label="β formula",
          help="Fletcher-Reeves: β = |g|²/|g_prev|². Polak-Ribière+: β = max(0, g·(g - g_prev)/|g_prev|²)."),
    _c1(),
    _c2(0.1),
    family="second-order",
    ordered=WOLFE_ORDER,
)
def cg(variant, c1, c2) -> Optimizer:
    r"""Nonlinear conjugate gradient (N&W Algorithm 5.4 and section 5.2) with a strong-Wolfe line search.

    .. math::

        g_t &= \nabla f(x_{t-1}), \quad
        \beta_t = \frac{g_t^\top g_t}{g_{t-1}^\top g_{t-1}} \ \text{(FR)} \quad \text{or} \quad
        \max\Big(0, \frac{g_t^\top (g_t - g_{t-1})}{g_{t-1}^\top g_{t-1}}\Big) \ \text{(PR+)} \\
        d_t &= -g_t + \beta_t d_{t-1} \\
        x_t &= x_{t-1} + \alpha_t d_t

    On a quadratic with exact line searches the directions are conjugate and the method ends in
    n = 2 steps; on other functions they drift, so it restarts with steepest descent
    (:math:`\beta = 0`) every n = 2 steps, and whenever :math:`d_t` is not a descent direction.
    :math:`\alpha_t` satisfies the strong Wolfe conditions (N&W Algorithms 3.5-3.6) with the
    recommended :math:`c_2 = 0.1`: a fairly exact search, which keeps the directions
    conjugate and, for Fletcher-Reeves, guarantees descent (N&W Lemma 5.6 needs :math:`c_2 < 1/2`).
    The first trial step is :math:`\min(1, 1.01 \cdot 2 (f(x_{t-1}) - f(x_{t-2})) / g_t^\top d_t)`
    (N&W eq. 3.61, capped as scipy does): the step at which the linear model would drop twice as
    much as the last step did; the very first is a move of length at most 1. One value and one
    gradient per line-search trial.
    """
    c1_, c2_ = np.asarray(c1, dtype=float), np.asarray(c2, dtype=float)

    def init(x):
        n = len(x)
        nan = np.full_like(x, np.nan)
        return CGState(0, np.zeros(n, dtype=np.int64), np.zeros(n, dtype=bool), nan[:, 0], nan, nan[:, 0],
                       nan, nan[:, 0], nan, x * 0.0, x * 0.0)

    def step(x, state, oracle):
        f, g = _value_and_grad(x, state, oracle)
        stalled, g_start = _converged(g, state)
        gg_prev = dot(state.g_prev, state.g_prev)
        usable = gg_prev > 0.0  # False for NaN (first step)
        if variant == "fletcher_reeves":
            beta = _safe_divide(dot(g, g), gg_prev, usable)
        else:
            beta = np.maximum(0.0, _safe_divide(dot(g, g - state.g_prev), gg_prev, usable))
        restart = (state.since_restart % 2 == 0) | ~usable  # every n = 2 steps
        d = np.where(restart[:, None], -g, -g + beta[:, None] * state.m)
        gd = dot(g, d)
        restart |= ~(gd < 0.0)  # not a descent direction
        d = np.where(restart[:, None], -g, d)
        gd = dot(g, d)
        d = np.where(stalled[:, None], 0.0, d)
        # N&W (3.61): the step at which the linear model has dropped twice as much as the last step did
        guess = np.minimum(1.0, 1.01 * _safe_divide(2.0 * (f - state.f_prev), gd, gd < 0.0))
        guess_ok = np.isfinite(guess) & (guess > 0.0)  # not on the first step (f_prev is NaN)
        alpha0 = np.where(guess_ok, guess, _first_step(g))
        alpha, x_new, f_new, g_new, _ = wolfe_line_search(oracle, x, f, g, d, c1=c1_, c2=c2_, alpha0=alpha0)

        failed = ~(alpha > 0.0) & ~stalled
        if _noise_free(oracle):
            stalled = stalled | (failed & restart)  # even steepest descent failed: converged to rounding
        since = np.where(restart, 1, state.since_restart + 1)
        since = np.where(failed, 0, since)  # a failed conjugate direction: steepest descent next
        step_size = alpha[:, None] + 0.0 * x
        return x_new, CGState(state.t + 1, since, stalled, g_start, g, f, x_new, f_new, g_new, d, step_size)

    return Optimizer("cg", dict(variant=variant, c1=c1, c2=c2), init, step)


# ---------------------------------------------------------------------------- coordinate descent


class CoordinateState(NamedTuple):
    t: int
    step_size: Array  # (N, 2) the multiplier of -g on the coordinate moved, 0 on the other


@register(
    "Coordinate descent",
    hyper.lr(0.1),
    Param("mode", "exact", kind="choice", choices=("gradient", "exact"), label="coordinate step",
          help="gradient: x_i -= lr·g_i. exact: minimise along the coordinate (1D Newton; lr if curvature <= 0)."),
    family="second-order",
)
def coordinate_descent(lr, mode) -> Optimizer:
    r"""Cyclic coordinate descent: one coordinate per step, x on even steps, y on odd steps.

    .. math::

        i &= t \bmod 2 \ (x \text{ then } y), \quad x_{t,j} = x_{t-1,j} \ (j \ne i) \\
        x_{t,i} &= x_{t-1,i} - \eta\, \partial_i f(x_{t-1}) \quad \text{(gradient)} \\
        x_{t,i} &= \operatorname{arg\,min}_z f(\dots, z, \dots), \quad
        z \leftarrow z - \partial_i f / \partial_{ii} f \quad \text{(exact)}

    ``exact`` minimises f along the coordinate with up to 5 Newton iterations on the
    one-dimensional restriction (gradient and Hessian diagonal per iteration), stopping when the
    update is negligible; where the curvature :math:`\partial_{ii} f \le 0` the restriction has
    no minimum nearby, so it takes one gradient step with rate :math:`\eta` instead. On a
    quadratic the first Newton iteration is already the exact minimiser, so each step zeroes its
    coordinate's partial derivative (Gauss-Seidel on the linear system :math:`Ax = b`). It
    cannot leave a point where no single coordinate helps, and it is slow on valleys that are
    not aligned with the axes. No line search.
    """

    def init(x):
        return CoordinateState(0, x * 0.0)

    def step(x, state, oracle):
        i = state.t % 2
        rate = lr_column(lr, state.t)
        rate_i = rate if np.ndim(rate) == 0 else rate[:, 0]
        finite = np.isfinite(x).all(axis=1)
        g0 = oracle.grad(x, active=finite)[:, i]
        if mode == "gradient":
            new_i = x[:, i] - rate_i * g0
        else:
            active, z, g_i = finite, x, g0
            for k in range(EXACT_ITERS):
                if k > 0:
                    g_i = oracle.grad(z, active=active)[:, i]
                h = oracle.hess(z if k > 0 else x, active=active)[:, i, i]
                convex = h > 0.0
                move = np.where(convex, -_safe_divide(g_i, h, convex), -rate_i * g_i)
                move = np.where(active, move, 0.0)
                z = z + np.stack([move, 0.0 * move] if i == 0 else [0.0 * move, move], axis=-1)
                active = active & convex & ~(np.abs(move) <= EXACT_RTOL * np.abs(z[:, i]))  # converged
                if not active.any():
                    break
            new_i = z[:, i]
        x_new = x.copy()
        x_new[:, i] = new_i
        step_size = np.zeros_like(x)
        step_size[:, i] = _safe_divide(x[:, i] - new_i, g0, g0 != 0.0)
        return x_new, CoordinateState(state.t + 1, step_size)

    return Optimizer("coordinate_descent", dict(lr=lr, mode=mode), init, step)
