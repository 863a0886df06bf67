"""A fair comparison: tune each optimizer's learning rate (and momentum) on the same budget.

Comparing optimizers at their default settings mostly compares the defaults. Here every
optimizer with a learning rate gets a log grid of rates (times a few momenta where it has a
``momentum`` hyperparameter), all run in ONE vectorized call; then a second, finer grid around
the best cell (one coarse step either way in each direction), again one call, and the best
setting of both is kept. The search done is part of the result, to be printed with it.
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
CRITERION_NAMES = {"final_loss": "final loss", "steps_to_tol": "steps to tolerance"}
N_REFINE_MOMENTA = 9  # momenta in the second grid, between the coarse neighbours of the best one
NOT_REACHED = "not reached"


class Tuned(NamedTuple):
    """The best setting found for one optimizer.

    ``score`` is the criterion's value at that setting: the final loss, or the steps to reach
    ``f - f* <= tol`` (``inf`` if no setting reached it; then the smallest final loss wins).
    ``note`` explains special cases: ``"no learning rate to tune"`` or ``"every setting diverged"``.
    ``search_space`` says what was searched: the coarse grid, then the fine grid around its best cell.
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
    also: Mapping[str, Sequence[Mapping[str, float]]] | None = None,
) -> list[Tuned]:
    """Tune every optimizer in ``names`` from ``start`` (default: the surface's start); one result per name.

    ``criterion`` is ``"final_loss"`` (loss after ``steps``) or ``"steps_to_tol"`` (first step with
    ``f - f* <= tol``). Other hyperparameters keep their defaults. Optimizers without an ``lr``
    are run once at their defaults. ``also`` maps a name to settings tried as well (the runs on the
    page: ``{"sgd": [{"lr": 0.18}]}``), so the tuned setting never loses to one of them.
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
    check_trajectories(n_lr * max(len(momenta), N_REFINE_MOMENTA), f"a search of {n_lr} rates x {len(momenta)} momenta")
    lrs = np.geomspace(lo, hi, n_lr)

    results = []
    for name in names:
        params = {p.name for p in OPTIMIZERS[name].params}
        if "lr" not in params:
            grid: dict[str, np.ndarray] = {}
            space = "no learning rate to tune: defaults"
        elif "momentum" in params:
            grid = _grid(lrs, momenta)
            space = f"lr: {n_lr} values log-spaced in [{lo:g}, {hi:g}] x momentum in {{{_list(momenta)}}}"
        else:
            grid = {"lr": lrs}
            space = f"lr: {n_lr} values log-spaced in [{lo:g}, {hi:g}]"
        found = _search(name, grid, surface, start, steps, criterion, tol)
        if found is None:
            results.append(Tuned(name, {}, float("inf"), criterion, steps, space, float("nan"), -1,
                                 "every setting diverged"))
            continue
        if grid and n_lr > 1:  # refine: a finer grid spanning one coarse cell either side of the best
            fine, fine_space = _refined_grid(found[0], lrs, momenta if "momentum" in grid else None, n_lr)
            again = _search(name, fine, surface, start, steps, criterion, tol)
            space = f"{space}; then {fine_space} around the best"
            if again is not None and (again[1], again[2]) <= (found[1], found[2]):
                found = again
        tried = [{k: float(v) for k, v in h.items() if k in grid} for h in (also or {}).get(name, ())]
        tried = [h for h in tried if set(h) == set(grid) and h]
        if tried:  # the settings already on the page: one more vectorized call
            extra = {k: np.array([h[k] for h in tried]) for k in grid}
            again = _search(name, extra, surface, start, steps, criterion, tol)
            space = f"{space}; and the current runs' settings"
            if again is not None and (again[1], again[2]) < (found[1], found[2]):
                found = again
        hparams, score, final_f, reach = found
        results.append(Tuned(name, hparams, score, criterion, steps, space, final_f, reach,
                             "" if grid else "no learning rate to tune"))
    return results


def _grid(lrs: np.ndarray, momenta: np.ndarray) -> dict[str, np.ndarray]:
    grid_lr, grid_m = np.meshgrid(lrs, momenta)
    return {"lr": grid_lr.ravel(), "momentum": grid_m.ravel()}


def _search(name, grid, surface, start, steps, criterion, tol):
    """One vectorized run over ``grid``: (best hyperparameters, score, final loss, steps to tol), or None."""
    n = len(grid["lr"]) if grid else 1
    s = summarize(get_optimizer(name, **grid), surface, np.broadcast_to(start, (n, 2)), steps, tol=tol)
    diverged = s.diverged_at >= 0
    final_f = np.where(diverged, np.nan, s.final_f)
    if criterion == "final_loss":
        score = final_f
    else:
        score = np.where(s.steps_to_tol >= 0, s.steps_to_tol, np.inf).astype(float)
    i = best_index(score, final_f, diverged)
    if i is None:
        return None
    hparams = {key: float(values[i]) for key, values in grid.items()}
    return hparams, float(score[i]), float(final_f[i]), int(s.steps_to_tol[i])


def _refined_grid(best: Mapping[str, float], lrs: np.ndarray, momenta: np.ndarray | None, n_lr: int):
    """A grid spanning the coarse neighbours of the best cell, with its description."""
    ratio = lrs[1] / lrs[0]
    fine_lrs = np.geomspace(best["lr"] / ratio, best["lr"] * ratio, n_lr)
    text = f"lr: {n_lr} values in [{fine_lrs[0]:.3g}, {fine_lrs[-1]:.3g}]"
    if momenta is None:
        return {"lr": fine_lrs}, text
    ordered = np.unique(momenta)
    k = int(np.searchsorted(ordered, best["momentum"]))
    low = ordered[k - 1] if k > 0 else ordered[k]
    high = ordered[k + 1] if k + 1 < len(ordered) else ordered[k]
    fine_m = np.unique(np.linspace(low, high, N_REFINE_MOMENTA))
    return _grid(fine_lrs, fine_m), f"{text} x momentum: {len(fine_m)} values in [{low:g}, {high:g}]"


def tuned_rows(results: Sequence[Tuned]) -> list[dict[str, str]]:
    """The tuner's table: one row per optimizer, every cell text a person reads ("not reached", never "inf").

    Columns: optimizer, best setting, the criterion's value, final loss (when the criterion is the steps),
    and a note that is either empty or a short sentence; the search done is shown once, by :func:`search_text`.
    """
    rows = []
    for t in results:
        row = {
            "optimizer": OPTIMIZERS[t.name].title,
            "best setting": ", ".join(f"{k} = {v:.3g}" for k, v in t.hparams.items()) or "defaults",
        }
        if t.criterion == "steps_to_tol":
            row["steps to tolerance"] = str(t.steps_to_tol) if t.steps_to_tol >= 0 else NOT_REACHED
        row["final loss"] = f"{t.final_f:.3g}" if np.isfinite(t.final_f) else "diverged"
        row["note"] = t.note
        rows.append(row)
    return rows


def search_text(results: Sequence[Tuned]) -> str:
    """What was searched, once for all optimizers: the budget, the criterion and each optimizer's grids."""
    if not results:
        return ""
    first = results[0]
    lines = [f"Budget {first.budget} steps for every setting; criterion: {CRITERION_NAMES[first.criterion]}."]
    lines += [f"{OPTIMIZERS[t.name].title}: {t.search_space}." for t in results]
    return "\n".join(lines)


def _list(values) -> str:
    return ", ".join(f"{v:g}" for v in values)
