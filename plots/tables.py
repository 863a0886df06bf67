"""Rows for the summary table and the step-by-step ledger, with plain-language hints."""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence

import numpy as np

from optimizers import OPTIMIZERS, OptimizerSpec
from surfaces import Surface

from .runs import UNDEFINED_START, RunView, as_series, as_xs, coinciding_runs

STALL_GRAD = 1e-6  # a gradient norm below this, away from a minimum, means the run has stalled
FAR = 0.1  # "far from a minimum": farther than this
NEAR_LIMIT = 0.8  # a learning rate above this fraction of the stability limit oscillates: a larger one will not help
MISSING = "—"
NOT_REACHED = "not reached"
LEDGER_FIELDS = (("grad", "g"), ("m", "m"), ("v", "v"), ("step_size", "step size"), ("update", "update"))


def steps_to_tol(trajectory, optimal_value: float | None, tol: float) -> np.ndarray:
    """First step with f − f* <= tol (gradient norm <= tol when f* is unknown) per trajectory; -1 if never."""
    if optimal_value is not None:
        hit = as_series(trajectory, trajectory.fs) - optimal_value <= tol
    else:
        hit = as_series(trajectory, trajectory.grad_norms) <= tol
    return np.where(hit.any(0), np.argmax(hit, axis=0), -1)


def hint_for(
    *, diverged: bool, reached: bool, spec: OptimizerSpec | None = None, hparams: Mapping | None = None,
    lr: float | None = None, lambda_max: float | None = None, grad_norm: float = math.nan,
    distance: float = math.nan, steps: int | None = None, undefined_start: bool = False, saddle=None,
    local_minimum=None,
) -> str:
    """A one-line diagnosis for a run that diverged or missed the tolerance; "" when it converged.

    What the method can do comes from its registry entry ``spec`` (None: nothing is assumed): its stability
    limit on a quadratic whose largest curvature is ``lambda_max`` (None on other surfaces), whether it takes a
    learning rate and gradient noise. ``hparams`` are the run's hyperparameters (defaults filled from ``spec``).
    ``undefined_start``: the loss is not defined at the start (a typed formula outside its domain).
    ``saddle``: the listed saddle point the run ended next to, or None. ``local_minimum``: ``(point, f − f*)`` of
    the listed minimum other than the lowest that the run ended at, or None.
    """
    h = {**(spec.defaults() if spec else {}), **(hparams or {})}
    finite_lr = lr is not None and math.isfinite(lr)
    limit = (spec.stability_limit(h, lambda_max) if spec and spec.stability_limit and lambda_max else None)
    if undefined_start:
        return UNDEFINED_START
    if diverged:
        if finite_lr and limit and lr > limit:
            return (f"learning rate {lr:g} is above the stability limit {spec.stability_text} = {limit:.3g} "
                    f"for this bowl: try lr < {limit:.3g}")
        if finite_lr:
            return "learning rate too large for this surface: try a smaller one"
        return "the iterates blew up: try a smaller step, gradient clipping or another method"
    if reached:
        return ""
    if saddle is not None:
        where = f"({saddle[0]:.3g}, {saddle[1]:.3g})"
        escape = "gradient noise (a batch size) or a start off the ridge" if spec is None or spec.batch else \
            "a start off the ridge or a method that uses negative curvature"
        return f"drawn into the saddle at {where}: the gradient has no part that leads away from it; {escape} escapes"
    if local_minimum is not None:
        (a, b), above = local_minimum
        return (f"settled in the local minimum at ({a:.3g}, {b:.3g}), {above:.3g} above the lowest one "
                "(the tolerance counts from the lowest)")
    if grad_norm < STALL_GRAD and not distance <= FAR:
        return f"stalled: gradient norm below {STALL_GRAD:g} far from a minimum (plateau or saddle)"
    after = f" after {steps} steps" if steps is not None else ""
    floor = spec.rate_floor(h) if spec and spec.rate_floor else None
    if floor is not None and steps and floor**steps > 1e-3:
        return (f"not within tolerance{after}: the error shrinks by at best ×{floor:.3g} a step "
                f"({spec.rate_floor_text}), so the path overshoots and spirals in slowly: try less momentum")
    if finite_lr and limit and lr > NEAR_LIMIT * limit:
        return (f"not within tolerance{after}: learning rate {lr:g} is close to the stability limit {limit:.3g}, "
                f"so the path oscillates across the valley; run more steps or try a slightly smaller rate")
    if spec is None or spec.takes_lr:
        return f"not within tolerance{after}: run more steps or try a larger learning rate"
    return f"not within tolerance{after}: run more steps"


def summary_rows(surface: Surface, runs: Sequence[RunView], *, tol: float = 1e-6) -> list[dict]:
    """One row per run: final loss, distance to the nearest minimum, steps to ``tol``, evaluations, status, hint.

    Keys: "run", "final loss", "distance to minimum", "steps to tol" (int or "not reached"),
    "f evals", "grad evals", "Hessian evals", "status", "hint". A run of N > 1 trajectories reports
    medians (and mean evaluation counts) and a status that counts converged/diverged trajectories. A run whose
    path lies on an earlier run's (drawn dashed, :func:`~plots.runs.coinciding_runs`) says so in its hint.
    The hints know each method from its registry entry (``run.optimizer``) and its ``run.hparams``.
    On a finite-sum surface with a held-out split three more columns follow "final loss": "final training loss"
    and "final test loss" (both without the L2 penalty) and "generalization gap" (test − training, a median
    over the trajectories like the rest).
    """
    lambda_max = float(np.max(surface.eigenvalues)) if surface.eigenvalues is not None else None
    rows = []
    for run, leader in zip(runs, coinciding_runs(runs), strict=True):
        tr = run.trajectory
        xs, fs = as_xs(tr), as_series(tr, tr.fs)
        steps = len(xs) - 1
        k = np.asarray(tr.diverged_at)
        distance = surface.nearest_minimum(xs[-1])[1]
        reach = steps_to_tol(tr, surface.optimal_value, tol)
        converged = (reach >= 0) & (k < 0)
        rows.append({
            "run": run.label,
            "final loss": _median(fs[-1]),
            **(_generalization(tr) if has_test_split(surface) else {}),
            "distance to minimum": _median(distance),
            "steps to tol": _steps_cell(reach),
            "f evals": _mean_count(tr.n_f),
            "grad evals": _mean_count(tr.n_grad),
            "Hessian evals": _mean_count(tr.n_hess),
            "status": _status(converged, k),
            "hint": hint_for(
                diverged=bool((k >= 0).any()), reached=bool(converged.all()),
                spec=OPTIMIZERS.get(run.optimizer), hparams=run.hparams, lr=_lr_used(tr, k),
                lambda_max=lambda_max, grad_norm=_median(as_series(tr, tr.grad_norms)[-1]),
                distance=_median(distance), steps=steps, undefined_start=bool(np.all(k == 0)),
                saddle=_saddle_reached(surface, xs[-1]), local_minimum=_local_minimum(surface, xs[-1], tol),
            ),
        })
        if leader is not None:
            same = f"same path as {runs[leader].label} (drawn dashed on top of it)"
            rows[-1]["hint"] = f"{rows[-1]['hint']}; {same}" if rows[-1]["hint"] else same
    return rows


def has_test_split(surface: Surface) -> bool:
    """Whether ``surface`` is made of examples and holds some out (its runs record a test loss)."""
    return surface.finite_sum is not None and len(surface.finite_sum.test_y) > 0


def _generalization(tr) -> dict:
    train, test = (as_series(tr, values)[-1] for values in (tr.train_fs, tr.test_fs))
    return {"final training loss": _median(train), "final test loss": _median(test),
            "generalization gap": _median(test - train)}


def _local_minimum(surface: Surface, ends: np.ndarray, tol: float):
    """``(point, f − f*)`` of the listed minimum within ``FAR`` of most trajectories' ends when it is not the lowest
    (more than ``tol`` above f*), else None."""
    if surface.optimal_value is None or not len(surface.minima):
        return None
    index, distance = surface.nearest_minimum(ends)
    with np.errstate(invalid="ignore"):
        near = (index >= 0) & (distance <= FAR)
    if near.mean() <= 0.5:
        return None
    best = int(np.bincount(index[near]).argmax())
    above = float(surface.f(surface.minima[best])) - surface.optimal_value
    return (surface.minima[best], above) if above > tol else None


def _saddle_reached(surface: Surface, ends: np.ndarray):
    """The listed saddle within ``FAR`` of most trajectories' ends, or None."""
    if not len(surface.saddles):
        return None
    d = np.linalg.norm(ends[:, None, :] - surface.saddles, axis=-1)  # (N, saddles); NaN for diverged ends
    with np.errstate(invalid="ignore"):
        near = np.mean(d <= FAR, axis=0)
    best = int(np.argmax(near))
    return surface.saddles[best] if near[best] > 0.5 else None


def _median(values) -> float:
    values = np.asarray(values, dtype=float)
    values = values[np.isfinite(values)]
    return float(np.median(values)) if values.size else math.nan


def _mean_count(counts) -> int:
    return round(float(np.mean(counts))) if np.size(counts) else 0


def _steps_cell(reach: np.ndarray) -> int | str:
    hit = reach[reach >= 0]
    if hit.size == 0:
        return NOT_REACHED
    if hit.size == reach.size:
        return round(float(np.median(hit)))
    return f"{round(float(np.median(hit)))} ({hit.size}/{reach.size} reached)"


def _status(converged: np.ndarray, k: np.ndarray) -> str:
    n, diverged = len(k), k >= 0
    if n and (k == 0).all():  # no step was taken: f is undefined at the start (not a divergence)
        return "not started: f is undefined at the start"
    if n == 1:
        return f"diverged at step {int(k[0])}" if diverged[0] else "converged" if converged[0] else "running"
    if converged.all():
        return f"converged (all {n})"
    parts = [f"{int(converged.sum())}/{n} converged"]
    if diverged.any():
        parts.append(f"{int(diverged.sum())}/{n} diverged (first at step {int(k[diverged].min())})")
    running = n - int(converged.sum()) - int(diverged.sum())
    if running:
        parts.append(f"{running}/{n} running")
    return ", ".join(parts)


def _lr_used(tr, k: np.ndarray) -> float | None:
    """The largest learning rate used before divergence (by any diverged trajectory), else the last one."""
    lrs = np.asarray(tr.lrs, dtype=float)
    if lrs.size == 0:
        return None
    used = lrs[:, k >= 0] if (k >= 0).any() else lrs[-1:]
    if (k >= 0).any():
        steps = np.arange(len(lrs))[:, None]
        used = np.where(steps < k[k >= 0], used, np.nan)
    used = used[np.isfinite(used)]
    return float(used.max()) if used.size else None


# ---------------------------------------------------------------------------- ledger


def fmt(value) -> str:
    """A number to 4 significant digits ("—" when missing or non-finite)."""
    return f"{value:.4g}" if value is not None and np.isfinite(value) else MISSING


def fmt_vec(v) -> str:
    """A 2-vector as "(a, b)" to 4 significant digits ("—" when missing or non-finite)."""
    v = np.asarray(v, dtype=float)
    return f"({v[0]:.4g}, {v[1]:.4g})" if v.shape == (2,) and np.isfinite(v).all() else MISSING


def ledger_rows(runs: Sequence[RunView], step: int) -> list[dict]:
    """For each run, the numbers of its step from iterate ``step`` to ``step + 1`` (first trajectory).

    Keys: "run", "step", "lr", "g", "m", "v", "step size", "update", "loss before", "loss after";
    vectors are "(a, b)" strings to 4 significant digits, "—" where the optimizer records no such quantity
    (or the run was not recorded). ``update`` falls back to x_{t+1} − x_t. ``step`` is clipped to the run.
    """
    rows = []
    for run in runs:
        tr = run.trajectory
        xs, fs = as_xs(tr), as_series(tr, tr.fs)
        last = len(xs) - 1
        t = int(np.clip(step, 0, last))
        n = xs.shape[1]
        row = {"run": run.label if n == 1 else f"{run.label} (trajectory 1 of {n})", "step": t,
               "lr": fmt(tr.lrs[t, 0]) if t < last else MISSING}
        for key, column in LEDGER_FIELDS:
            inner = tr.internals.get(key)
            row[column] = fmt_vec(inner[t, 0]) if inner is not None and t < last else MISSING
        if row["update"] == MISSING and t < last:
            row["update"] = fmt_vec(xs[t + 1, 0] - xs[t, 0])
        row["loss before"] = fmt(fs[t, 0])
        row["loss after"] = fmt(fs[t + 1, 0]) if t < last else MISSING
        rows.append(row)
    return rows
