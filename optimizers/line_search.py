r"""A strong-Wolfe line search for N trajectories at once.

This follows Nocedal & Wright, *Numerical Optimization* (2nd ed., 2006), section 3.5:
Algorithm 3.5 (bracketing) and Algorithm 3.6 (zoom), with the cubic interpolation of
equation (3.59). Read it next to the book with this dictionary:

============================  ==============================================================
book                          here (arrays of shape (N,), one entry per trajectory)
============================  ==============================================================
:math:`\phi(\alpha)`          ``f(x + alpha * direction)``, evaluated through the oracle
:math:`\phi'(\alpha)`         ``grad(x + alpha * direction) · direction``
:math:`\phi(0), \phi'(0)`     ``f0`` and ``dphi0 = g0 · direction``
:math:`\alpha_{i-1}`          ``a_lo`` while bracketing (``a_hi`` is then +inf)
zoom's lo and hi              ``a_lo`` and ``a_hi`` once a bracket is found (``a_hi`` finite)
============================  ==============================================================

One observation makes the two algorithms a single loop. Algorithm 3.5 keeps the previous
trial :math:`\alpha_{i-1}` and asks of the new trial :math:`\alpha_i` exactly what zoom asks
of its trial :math:`\alpha_j`, with "lo" = :math:`\alpha_{i-1}` and an infinitely far "hi":

1. sufficient decrease (Armijo) fails, or :math:`\phi(\alpha) \ge \phi(\text{lo})`:
   the minimizer lies before :math:`\alpha`, so ``hi = alpha``;
2. otherwise, if :math:`|\phi'(\alpha)| \le c_2 |\phi'(0)|` (strong curvature): done;
3. otherwise, if :math:`\phi'(\alpha)\,(\text{hi} - \text{lo}) \ge 0`: the slope already points
   back towards lo, so ``hi = lo``; then (as in case 2, which returns it) ``lo = alpha``.

While ``hi`` is +inf (bracketing) the next trial extrapolates, :math:`\alpha_{i+1} = 2\alpha_i`;
once ``hi`` is finite (zooming) it interpolates between lo and hi with the minimizer of the
cubic that matches :math:`\phi` and :math:`\phi'` at both ends (3.59), safeguarded to lie in
the middle 80 % of the interval, else bisection. Every trial evaluates the value and the
gradient together (the cubic needs both derivatives), and only the trajectories still searching
are charged for them (``active=`` masks). The invariant of the book's zoom holds throughout:
lo is the point with the lowest value among those that satisfy the Armijo condition, so it is
also the best point to return when the search gives up.

A trajectory stops searching when its strong Wolfe conditions hold (``ok``), when its
direction is not a descent direction or its value or slope is not finite (NaN rows of
diverged trajectories: ``alpha = 0``, nothing is evaluated), when a trial point can no longer
be told apart from lo in floating point (the search has converged to rounding), or after
``max_iter`` trials. In the last two cases it returns lo with ``ok = False``.
"""

from __future__ import annotations

import numpy as np

__all__ = ["dot", "wolfe_line_search"]

Array = np.ndarray

EXPAND = 2.0  # bracketing: the next trial is EXPAND times the last one
SAFEGUARD = 0.1  # zoom: interpolated trials keep this fraction of the interval away from both ends


def dot(a: Array, b: Array) -> Array:
    """Row-wise dot product of (..., 2) arrays, written out (no reduction order that depends on N)."""
    return a[..., 0] * b[..., 0] + a[..., 1] * b[..., 1]


def _cubic_minimizer(a_lo, phi_lo, dphi_lo, a_hi, phi_hi, dphi_hi) -> Array:
    r"""Nocedal & Wright (3.59), safeguarded: the trial point of zoom, strictly inside (lo, hi).

    The cubic interpolating :math:`\phi` and :math:`\phi'` at both ends has its minimizer at
    :math:`\alpha = \alpha_{hi} - (\alpha_{hi} - \alpha_{lo})
    \frac{\phi'_{hi} + d_2 - d_1}{\phi'_{hi} - \phi'_{lo} + 2 d_2}` with
    :math:`d_1 = \phi'_{lo} + \phi'_{hi} - 3\frac{\phi_{lo} - \phi_{hi}}{\alpha_{lo} - \alpha_{hi}}`,
    :math:`d_2 = \operatorname{sign}(\alpha_{hi} - \alpha_{lo})\sqrt{d_1^2 - \phi'_{lo}\phi'_{hi}}`.
    When that is undefined (no real minimizer, a non-finite end) or too close to an end, bisect.
    """
    with np.errstate(all="ignore"):  # inf/NaN here are caught by the isfinite test and replaced by bisection
        width = a_hi - a_lo
        d1 = dphi_lo + dphi_hi - 3.0 * (phi_lo - phi_hi) / (a_lo - a_hi)
        disc = d1 * d1 - dphi_lo * dphi_hi
        d2 = np.sign(width) * np.sqrt(np.maximum(disc, 0.0))
        cubic = a_hi - width * (dphi_hi + d2 - d1) / (dphi_hi - dphi_lo + 2.0 * d2)
        left = np.minimum(a_lo, a_hi) + SAFEGUARD * np.abs(width)
        right = np.maximum(a_lo, a_hi) - SAFEGUARD * np.abs(width)
        good = (disc >= 0.0) & np.isfinite(cubic) & (cubic >= left) & (cubic <= right)
        return np.where(good, cubic, 0.5 * (a_lo + a_hi))


def wolfe_line_search(oracle, x, f0, g0, direction, *, c1=1e-4, c2=0.9, alpha0=1.0, max_iter=25):
    r"""Find steps :math:`\alpha` (N,) along ``direction`` (N, 2) that satisfy the strong Wolfe conditions.

    .. math::

        f(x + \alpha d) &\le f(x) + c_1 \alpha\, \nabla f(x)^\top d \\
        |\nabla f(x + \alpha d)^\top d| &\le c_2\, |\nabla f(x)^\top d|

    ``f0`` (N,) and ``g0`` (N, 2) are the value and gradient at ``x``, already known to the
    caller. ``c1``, ``c2`` and the first trial step ``alpha0`` are scalars or (N,) arrays,
    with ``0 < c1 < c2 < 1``. Returns ``(alpha, x_new, f_new, g_new, ok)``: the step taken,
    the new point with its value and gradient, and whether both conditions hold there. When
    they could not be met (not a descent direction, NaN, rounding, ``max_iter``), ``ok`` is
    False and the result is the lowest point found that satisfies the first condition, or
    ``x`` itself with ``alpha = 0`` if there is none. Evaluations go through ``oracle.f`` and
    ``oracle.grad`` with ``active=`` masks, so each trajectory pays for its own trials only.
    See the module docstring for the correspondence with Nocedal & Wright.
    """
    n = len(x)
    d = direction
    with np.errstate(all="ignore"):  # diverging rows overflow: they fail the tests below, written so NaN fails
        dphi0 = dot(g0, d)
        sufficient = np.asarray(c1, dtype=float) * dphi0  # Armijo: phi(a) <= f0 + a * sufficient
        curvature = -np.asarray(c2, dtype=float) * dphi0  # strong curvature: |phi'(a)| <= curvature

        # lo: the best point so far that satisfies Armijo, starting from alpha = 0 (x itself)
        a_lo, phi_lo, dphi_lo, x_lo, g_lo = np.zeros(n), np.array(f0, dtype=float), dphi0, x, g0
        # hi: the other end of the bracket; +inf while still bracketing (Algorithm 3.5)
        a_hi, phi_hi, dphi_hi = np.full(n, np.inf), np.full(n, np.nan), np.full(n, np.nan)
        ok = np.zeros(n, dtype=bool)
        # only descent directions from finite points are searched (NaN compares False)
        active = (dphi0 < 0.0) & np.isfinite(phi_lo) & np.isfinite(x).all(axis=1)
        trial = np.broadcast_to(np.asarray(alpha0, dtype=float), (n,)).copy()

        for i in range(max_iter):
            if i > 0:
                zooming = np.isfinite(a_hi)
                trial = np.where(
                    zooming, _cubic_minimizer(a_lo, phi_lo, dphi_lo, a_hi, phi_hi, dphi_hi), EXPAND * a_lo
                )
            x_t = x + trial[:, None] * d
            # rounding: the trial point is lo itself, so no further progress is possible
            active &= ~np.all(x_t == x_lo, axis=1)
            if not active.any():
                break
            phi_t = oracle.f(x_t, active=active)
            g_t = oracle.grad(x_t, active=active)
            dphi_t = dot(g_t, d)

            armijo = phi_t <= f0 + trial * sufficient
            lower = armijo & (phi_t < phi_lo) & np.isfinite(dphi_t)  # False for NaN
            wolfe = lower & (np.abs(dphi_t) <= curvature)
            to_hi = active & ~lower  # case 1: hi = trial
            to_lo = active & lower  # cases 2 and 3: lo = trial (and done for case 2)
            flip = to_lo & ~wolfe & (dphi_t * np.sign(a_hi - a_lo) >= 0.0)  # case 3: hi = old lo

            new_hi = np.where(to_hi, trial, np.where(flip, a_lo, a_hi))
            phi_hi = np.where(to_hi, phi_t, np.where(flip, phi_lo, phi_hi))
            dphi_hi = np.where(to_hi, dphi_t, np.where(flip, dphi_lo, dphi_hi))
            a_hi = new_hi
            a_lo = np.where(to_lo, trial, a_lo)
            phi_lo = np.where(to_lo, phi_t, phi_lo)
            dphi_lo = np.where(to_lo, dphi_t, dphi_lo)
            x_lo = np.where(to_lo[:, None], x_t, x_lo)
            g_lo = np.where(to_lo[:, None], g_t, g_lo)

            done = active & wolfe
            ok |= done
            active &= ~done
    return a_lo, x_lo, phi_lo, g_lo, ok
