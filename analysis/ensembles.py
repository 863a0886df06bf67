"""Noise ensembles: K runs of one optimizer from one start, each with its own gradient noise.

With noise (a stand-in for minibatch sampling on a test function, or real minibatches on a surface made of
examples) one run is one sample of a random path. K of
them together show the spread: the median loss with a 10-90% band, and how many runs end
in each basin. A run's basin is where it ends up: the minimum the same optimizer reaches, without
noise, from the run's last point. A noisy run never sits exactly at a minimum, so a tolerance around
the minima would count nearly every one as "none".
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

from optimizers import Optimizer, Trajectory, run, summarize
from surfaces import Surface

from .basins import DIVERGED, NONE, minimum_label
from .limits import (
    MAX_ENSEMBLE,
    as_optimizer,
    check_count,
    check_noise,
    check_point,
    check_positive,
    check_single_setting,
    check_steps,
    check_surface,
)


class Ensemble(NamedTuple):
    """K noisy runs from one start.

    ``trajectory`` holds all of them (``xs`` is (T+1, K, 2)). ``median_loss``, ``band_low`` and
    ``band_high`` (T+1,) are the 50%, 10% and 90% percentiles of the loss over the runs still
    alive at each step (NaN once every run has diverged). ``final_index`` (K,) is the basin each run
    ended in, by :func:`basin_of` (-1 none: the surface lists no minima or the settling run diverged;
    -2 diverged), and ``basin_counts`` counts them by label: ``"minimum 1 (x, y)"``..., ``"none"``,
    ``"diverged"`` (all present, in that order; they sum to K). ``batch_size`` is the minibatch size of a run on a
    surface made of examples (None: the full batch, or Gaussian noise of size ``noise`` on a test function).
    """

    trajectory: Trajectory
    median_loss: np.ndarray
    band_low: np.ndarray
    band_high: np.ndarray
    final_index: np.ndarray
    basin_counts: dict[str, int]
    start: np.ndarray
    noise: float
    seed: int
    batch_size: int | None = None


def percentiles_ignoring_nan(values: np.ndarray, q, axis: int = 1) -> np.ndarray:
    """``np.nanpercentile`` along ``axis`` of a 2-D array, NaN (and no warning) for all-NaN rows."""
    values = np.asarray(values, dtype=float)
    values = np.where(np.isfinite(values), values, np.nan)
    rows = np.moveaxis(values, axis, -1)
    ok = ~np.isnan(rows).all(axis=-1)
    out = np.full((*np.shape(q), *rows.shape[:-1]), np.nan)
    if ok.any():
        out[..., ok] = np.nanpercentile(rows[ok], q, axis=-1)
    return out


def ensemble(
    optimizer: Optimizer | str,
    surface: Surface,
    start=None,
    *,
    k: int = 100,
    steps: int = 200,
    noise: float,
    seed: int = 0,
    clip_norm: float | None = None,
    settle_steps: int | None = None,
    batch_size: int | None = None,
) -> Ensemble:
    """Run ``optimizer`` K times from ``start`` (default: the surface's start) with independent gradient noise.

    One call of :func:`optimizers.run` with the start tiled K times: the engine draws a fresh
    noise sample (and, with ``batch_size`` on a surface made of examples, a fresh sequence of minibatches) for
    every trajectory and step, reproducibly from ``seed``. Each run's basin is
    found by :func:`basin_of` with ``settle_steps`` noise-free steps (default: ``steps``).
    """
    optimizer = as_optimizer(optimizer)
    check_single_setting(optimizer, "ensemble")
    surface = check_surface(surface)
    start = check_point(surface.start if start is None else start)
    k = check_count(k, "k (number of runs)", 1, MAX_ENSEMBLE)
    steps = check_steps(steps)
    settle_steps = steps if settle_steps is None else check_steps(settle_steps)
    noise = check_noise(noise)
    if clip_norm is not None:
        clip_norm = check_positive(clip_norm, "clip_norm")

    traj = run(optimizer, surface, np.tile(start, (k, 1)), steps, noise=noise, seed=seed, clip_norm=clip_norm,
               batch_size=batch_size)
    low, median, high = percentiles_ignoring_nan(traj.fs, [10, 50, 90], axis=1)
    gone = traj.diverged_at >= 0
    index = np.full(k, DIVERGED)
    if not gone.all():
        index[~gone] = basin_of(optimizer, surface, traj.xs[-1, ~gone], settle_steps, clip_norm=clip_norm)
    labels = [*range(len(surface.minima)), NONE, DIVERGED]
    counts = {minimum_label(surface, i): int(np.sum(index == i)) for i in labels}
    minibatch = None if batch_size is None or batch_size >= surface.finite_sum.n else int(batch_size)
    return Ensemble(traj, median, low, high, index, counts, start, noise, int(seed), minibatch)


def basin_of(optimizer: Optimizer, surface: Surface, points, steps: int, *, clip_norm=None) -> np.ndarray:
    """The basin each of ``points`` (N, 2) lies in: the index of the listed minimum nearest to where ``optimizer``
    goes from there without noise in ``steps`` steps; NONE where the surface lists no minima or that run diverges.

    One vectorized :func:`optimizers.summarize` call: the noise-free run carries a point that noise left on a
    basin's slope down into that basin, so the nearest minimum afterwards names the basin, with no tolerance.
    """
    settled = summarize(optimizer, surface, points, steps, clip_norm=clip_norm)
    index, _ = surface.nearest_minimum(settled.final_x)
    return np.where((settled.diverged_at >= 0) | (index < 0), NONE, index)
