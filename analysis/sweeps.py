"""Hyperparameter sweeps: one trajectory per cell of a grid of two hyperparameters, all at once.

Every numeric hyperparameter of an optimizer may be an array with one value per trajectory,
so a 25 x 25 grid of (learning rate, momentum) is ONE call of :func:`optimizers.summarize`
with N = 625 trajectories that all start from the same point.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import NamedTuple

import numpy as np

from optimizers import OPTIMIZERS, get_optimizer, summarize
from surfaces import Surface
from surfaces.params import Param

from .basins import DIVERGED, NONE
from .limits import (
    MAX_RESOLUTION,
    check_count,
    check_fixed,
    check_noise,
    check_point,
    check_positive,
    check_steps,
    check_surface,
    check_trajectories,
    goal_text,
)

DEFAULT_AXIS_POINTS = 25


class Sweep(NamedTuple):
    """The outcome of every cell ``(x_values[j], y_values[i])`` of a hyperparameter grid.

    ``steps_to_tol[i, j]`` is the first step with ``f - f* <= tol`` (gradient norm <= tol when f*
    is unknown; -1 if never within ``steps``), ``final_f`` the final loss (NaN when diverged),
    ``diverged`` a boolean mask, ``minimum_index`` the listed minimum reached (-1 none, -2 diverged).
    A one-parameter sweep has ``y_param = None`` and a single row (H = 1, ``y_values = [nan]``).
    """

    name: str  # the optimizer
    x_param: Param
    x_values: np.ndarray  # (W,)
    y_param: Param | None
    y_values: np.ndarray  # (H,)
    steps_to_tol: np.ndarray  # (H, W) int
    final_f: np.ndarray  # (H, W)
    diverged: np.ndarray  # (H, W) bool
    minimum_index: np.ndarray  # (H, W) int
    allowed: np.ndarray  # (H, W) bool: False where the cell breaks a required order (c1 < c2); such cells are not run
    fixed: Mapping[str, object]  # the other hyperparameters, as given
    start: np.ndarray  # (2,)
    steps: int
    tol: float
    goal: str  # what reaching the tolerance means here: "f − f* ≤ 1e-06" or "‖∇f‖ ≤ 1e-06"


def find_param(name: str, param: str | Param) -> Param:
    """The :class:`Param` record ``param`` of optimizer ``name``; ValueError listing the sweepable ones."""
    spec = OPTIMIZERS.get(name)
    if spec is None:
        raise ValueError(f"unknown optimizer {name!r}; available: {', '.join(OPTIMIZERS)}")
    wanted = param.name if isinstance(param, Param) else param
    numeric = [p for p in spec.params if p.kind in ("float", "int")]
    for p in numeric:
        if p.name == wanted:
            return p
    allowed = ", ".join(p.name for p in numeric) or "none"
    raise ValueError(f"{name}: cannot sweep {wanted!r}; numeric hyperparameters: {allowed}")


def default_axis(param: Param, n: int = DEFAULT_AXIS_POINTS) -> np.ndarray:
    """``n`` values over the Param's slider range ``[low, high]``: log-spaced when ``param.log``, else linear.

    Integer parameters are rounded and deduplicated, so they may give fewer than ``n`` values.
    """
    n = check_count(n, "number of grid values", 1, MAX_RESOLUTION)
    if param.kind not in ("float", "int"):
        raise ValueError(f"parameter {param.name!r} is {param.kind}, not a number to sweep")
    if param.log:
        if not 0 < param.low < param.high:
            raise ValueError(f"parameter {param.name!r}: a log axis needs 0 < low < high")
        values = np.geomspace(param.low, param.high, n)
    else:
        values = np.linspace(param.low, param.high, n)
    if param.kind == "int":
        values = np.unique(np.round(values))
    return values


def _axis(values, param: Param) -> np.ndarray:
    values = default_axis(param) if values is None else np.asarray(values, dtype=float)
    if values.ndim != 1 or not 1 <= len(values) <= MAX_RESOLUTION or not np.all(np.isfinite(values)):
        raise ValueError(
            f"values of {param.name!r} must be a 1-D list of 1 to {MAX_RESOLUTION} finite numbers, got shape "
            f"{values.shape}"
        )
    return values


def sweep(
    name: str,
    surface: Surface,
    start=None,
    *,
    x_param: str,
    x_values=None,
    y_param: str | None = None,
    y_values=None,
    fixed: Mapping[str, object] | None = None,
    steps: int = 200,
    tol: float = 1e-6,
    radius: float = 0.1,
    noise: float = 0.0,
    seed: int = 0,
) -> Sweep:
    """Run optimizer ``name`` from ``start`` (default: the surface's start) once per grid cell.

    ``x_values``/``y_values`` default to :func:`default_axis` of the parameter. ``fixed`` sets
    the other hyperparameters (defaults otherwise). Omit ``y_param`` for a one-parameter sweep.
    """
    surface = check_surface(surface)
    start = check_point(surface.start if start is None else start)
    steps = check_steps(steps)
    tol = check_positive(tol, "tol")
    radius = check_positive(radius, "radius")
    noise = check_noise(noise)
    fixed = check_fixed(fixed)
    xp = find_param(name, x_param)
    xs = _axis(x_values, xp)
    if y_param is None:
        if y_values is not None:
            raise ValueError("y_values given without y_param")
        yp, ys = None, np.array([np.nan])
    else:
        yp = find_param(name, y_param)
        if yp.name == xp.name:
            raise ValueError(f"x_param and y_param are both {xp.name!r}; choose two different hyperparameters")
        ys = _axis(y_values, yp)
    check_trajectories(len(xs) * len(ys), f"a {len(ys)} x {len(xs)} sweep")
    swept = [xp.name] + ([yp.name] if yp else [])
    for key, value in fixed.items():
        if key in swept:
            raise ValueError(f"{key!r} is swept; it cannot also be fixed")
        if np.ndim(value) != 0:
            raise ValueError(f"fixed hyperparameter {key!r} must be one value, got {value!r}")

    grid_x, grid_y = np.meshgrid(xs, ys)
    hparams = {**fixed, xp.name: grid_x.ravel()}
    if yp:
        hparams[yp.name] = grid_y.ravel()
    spec = OPTIMIZERS[name]
    defaults = {p.name: p.default for p in spec.params}
    full = defaults | hparams
    allowed = np.ones(grid_x.size, dtype=bool)
    for a, b in spec.ordered:  # a cell with c1 >= c2 is not allowed: it runs the defaults and is masked below
        allowed &= np.asarray(full[a]) < np.asarray(full[b])
    if not allowed.all():
        for key in {key for pair in spec.ordered for key in pair}:
            hparams[key] = np.where(allowed, full[key], defaults[key])
    optimizer = get_optimizer(name, **hparams)  # ValueError names any value outside its domain (or out of order)
    x0 = np.broadcast_to(start, (grid_x.size, 2))
    s = summarize(optimizer, surface, x0, steps, tol=tol, radius=radius, noise=noise, seed=seed)
    shape = grid_x.shape
    gone = (s.diverged_at >= 0) & allowed
    return Sweep(
        name=name, x_param=xp, x_values=xs, y_param=yp, y_values=ys,
        steps_to_tol=np.where(allowed, s.steps_to_tol, -1).reshape(shape),
        final_f=np.where(gone | ~allowed, np.nan, s.final_f).reshape(shape),
        diverged=gone.reshape(shape),
        minimum_index=np.where(gone, DIVERGED, np.where(allowed, s.nearest_minimum, NONE)).reshape(shape),
        allowed=allowed.reshape(shape),
        fixed=fixed, start=start, steps=steps, tol=tol, goal=goal_text(surface, tol),
    )


def quadratic_theory(surface: Surface) -> dict[str, float]:
    """Classical step sizes and rates on a quadratic with Hessian eigenvalues ``λmin <= λmax`` (κ = λmax/λmin).

    * ``lr_max = 2/λmax``: gradient descent converges below it and diverges above;
    * ``lr_best = 2/(λmin+λmax)``: the best fixed step, contracting by ``rate_gd = (κ−1)/(κ+1)`` per step;
    * heavy-ball momentum (Polyak 1964): ``lr_momentum_best = 4/(√λmax+√λmin)²`` with
      ``momentum_best = ((√κ−1)/(√κ+1))²`` contracts by ``rate_momentum = (√κ−1)/(√κ+1)``.
    """
    if surface.eigenvalues is None:
        raise ValueError(f"{surface.name} is not a quadratic with known Hessian eigenvalues")
    lam = np.asarray(surface.eigenvalues, dtype=float)
    lo, hi = float(lam.min()), float(lam.max())
    if not lo > 0:
        raise ValueError(f"{surface.name}: the Hessian must be positive definite, eigenvalues {lam}")
    kappa = hi / lo
    root = np.sqrt(kappa)
    return {
        "lambda_min": lo,
        "lambda_max": hi,
        "kappa": kappa,
        "lr_max": 2.0 / hi,
        "lr_best": 2.0 / (lo + hi),
        "rate_gd": (kappa - 1.0) / (kappa + 1.0),
        "momentum_best": float(((root - 1.0) / (root + 1.0)) ** 2),
        "lr_momentum_best": float(4.0 / (np.sqrt(hi) + np.sqrt(lo)) ** 2),
        "rate_momentum": float((root - 1.0) / (root + 1.0)),
    }
