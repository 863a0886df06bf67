"""Noise ensembles: K runs of one optimizer from one start, each with its own gradient noise.

With noise (a stand-in for minibatch sampling) one run is one sample of a random path. K of
them together show the spread: the median loss with a 10-90% band, and how many runs end
in each basin.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

from optimizers import Optimizer, Trajectory, run
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
    alive at each step (NaN once every run has diverged). ``final_index`` (K,) is the listed
    minimum each run ended at (-1 none, -2 diverged), and ``basin_counts`` counts them by label:
    ``"minimum 1 (x, y)"``..., ``"none"``, ``"diverged"`` (all present, in that order; they sum to K).
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
    radius: float = 0.1,
    clip_norm: float | None = None,
) -> Ensemble:
    """Run ``optimizer`` K times from ``start`` (default: the surface's start) with independent gradient noise.

    One call of :func:`optimizers.run` with the start tiled K times: the engine draws a fresh
    noise sample for every trajectory and step, reproducibly from ``seed``.
    """
    optimizer = as_optimizer(optimizer)
    check_single_setting(optimizer, "ensemble")
    surface = check_surface(surface)
    start = check_point(surface.start if start is None else start)
    k = check_count(k, "k (number of runs)", 1, MAX_ENSEMBLE)
    steps = check_steps(steps)
    noise = check_noise(noise)
    radius = check_positive(radius, "radius")
    if clip_norm is not None:
        clip_norm = check_positive(clip_norm, "clip_norm")

    traj = run(optimizer, surface, np.tile(start, (k, 1)), steps, noise=noise, seed=seed, clip_norm=clip_norm)
    low, median, high = percentiles_ignoring_nan(traj.fs, [10, 50, 90], axis=1)
    gone = traj.diverged_at >= 0
    index, distance = surface.nearest_minimum(np.where(gone[:, None], 0.0, traj.xs[-1]))
    with np.errstate(invalid="ignore"):
        index = np.where(distance <= radius, index, NONE)
    index = np.where(gone, DIVERGED, index)
    labels = [*range(len(surface.minima)), NONE, DIVERGED]
    counts = {minimum_label(surface, i): int(np.sum(index == i)) for i in labels}
    return Ensemble(traj, median, low, high, index, counts, start, noise, int(seed))
