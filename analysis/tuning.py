"""A fair comparison: tune each optimizer's learning rate (and momentum) on the same budget.

Comparing optimizers at their default settings mostly compares the defaults. Here every
optimizer with a learning rate gets a log grid of rates (times a few momenta where it has a
``momentum`` hyperparameter), all run in ONE vectorized call, and the best setting is kept.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import NamedTuple

import numpy as np

from optimizers import OPTIMIZERS, get_optimizer, summarize
from surfaces import Surface

from .limits import (
    MAX_RESOLUTION,
    check_count,
    check_names,
    check_point,
    check_positive,
    check_steps,
    check_surface,
    check_trajectories,
)

CRITERIA = ("final_loss", "steps_to_tol")


class Tuned(NamedTuple):
    """The best setting found for one optimizer.

    ``score`` is the criterion's value at that setting: the final loss, or the steps to reach
    ``f - f* <= tol`` (``inf`` if no setting reached it; then the smallest final loss wins).
    ``note`` explains special cases: ``"no learning rate to tune"`` or ``"every setting diverged"``.
    """

    name: str
    hparams: Mapping[str, float]  # the winning values of the searched hyperparameters
    score: float
    criterion: str
    budget: int  # steps every setting was given
    search_space: str  # e.g. "lr: 25 values log-spaced in [0.0001, 10] x momentum in {0, 0.5, 0.9, 0.99}"
    final_f: float
    steps_to_tol: int
    note: str = ""


def _check_lr_range(lr_range) -> tuple[float, float]:
    try:
        lo, hi = (float(v) for v in lr_range)
    except (TypeError, ValueError):
        raise ValueError(f"lr_range must be (low, high), got {lr_range!r}") from None
    if not (np.isfinite(lo) and np.isfinite(hi) and 0 < lo < hi):
        raise ValueError(f"lr_range must satisfy 0 < low < high, got {lr_range!r}")
    return lo, hi


def _check_momenta(momenta) -> np.ndarray:
    m = np.asarray(momenta, dtype=float).ravel()
    if not 1 <= len(m) <= MAX_RESOLUTION or not np.all((m >= 0) & (m < 1)):
        raise ValueError(f"momenta must be 1 to {MAX_RESOLUTION} values in [0, 1), got {momenta!r}")
    return m


def best_index(score: np.ndarray, final_f: np.ndarray, diverged: np.ndarray) -> int | None:
    """The winning trajectory: smallest score, ties broken by smaller final loss; diverged never wins."""
    candidates = np.flatnonzero(~diverged & np.isfinite(final_f))
    if len(candidates) == 0:
        return None
    order = np.lexsort((final_f[candidates], score[candidates]))  # last key is the primary one
    return int(candidates[order[0]])


def tune(
    names: Sequence[str] | str,
    surface: Surface,
    start=None,
    *,
    steps: int = 200,
    criterion: str = "final_loss",
    tol: float = 1e-6,
    lr_range: tuple[float, float] = (1e-4, 10.0),
    n_lr: int = 25,
    momenta: Sequence[float] = (0.0, 0.5, 0.9, 0.99),
) -> list[Tuned]:
    """Tune every optimizer in ``names`` from ``start`` (default: the surface's start); one result per name.

    ``criterion`` is ``"final_loss"`` (loss after ``steps``) or ``"steps_to_tol"`` (first step with
    ``f - f* <= tol``). Other hyperparameters keep their defaults. Optimizers without an ``lr``
    are run once at their defaults.
    """
    names = check_names(names)
    surface = check_surface(surface)
    start = check_point(surface.start if start is None else start)
    steps = check_steps(steps)
    if criterion not in CRITERIA:
        raise ValueError(f"criterion must be one of {', '.join(CRITERIA)}, got {criterion!r}")
    tol = check_positive(tol, "tol")
    lo, hi = _check_lr_range(lr_range)
    n_lr = check_count(n_lr, "n_lr", 1, MAX_RESOLUTION)
    momenta = _check_momenta(momenta)
    check_trajectories(n_lr * len(momenta), f"a search of {n_lr} rates x {len(momenta)} momenta")
    lrs = np.geomspace(lo, hi, n_lr)

    results = []
    for name in names:
        params = {p.name for p in OPTIMIZERS[name].params}
        if "lr" not in params:
            grid: dict[str, np.ndarray] = {}
            space = "no learning rate to tune: defaults"
        elif "momentum" in params:
            grid_lr, grid_m = np.meshgrid(lrs, momenta)
            grid = {"lr": grid_lr.ravel(), "momentum": grid_m.ravel()}
            space = f"lr: {n_lr} values log-spaced in [{lo:g}, {hi:g}] x momentum in {{{_list(momenta)}}}"
        else:
            grid = {"lr": lrs}
            space = f"lr: {n_lr} values log-spaced in [{lo:g}, {hi:g}]"
        n = len(grid["lr"]) if grid else 1
        s = summarize(get_optimizer(name, **grid), surface, np.broadcast_to(start, (n, 2)), steps, tol=tol)
        diverged = s.diverged_at >= 0
        final_f = np.where(diverged, np.nan, s.final_f)
        reached = s.steps_to_tol >= 0
        if criterion == "final_loss":
            score = final_f
        else:
            score = np.where(reached, s.steps_to_tol, np.inf).astype(float)
        i = best_index(score, final_f, diverged)
        note = "" if grid else "no learning rate to tune"
        if i is None:
            note = "every setting diverged"
            results.append(Tuned(name, {}, float("inf"), criterion, steps, space, float("nan"), -1, note))
            continue
        hparams = {key: float(values[i]) for key, values in grid.items()}
        results.append(
            Tuned(name, hparams, float(score[i]), criterion, steps, space, float(final_f[i]), int(s.steps_to_tol[i]),
                  note)
        )
    return results


def _list(values) -> str:
    return ", ".join(f"{v:g}" for v in values)
