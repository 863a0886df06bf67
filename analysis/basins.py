"""Basins of attraction: where does each optimizer go from every start on a grid?

One trajectory starts from every point of a ``resolution x resolution`` grid, and all of them
run together in a few vectorized :func:`optimizers.summarize` calls, which keep O(N) memory
(only where each trajectory is now, never its history).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import NamedTuple

import numpy as np

from optimizers import Optimizer, summarize
from surfaces import Surface

from .limits import (
    MAX_RESOLUTION,
    MAX_TRAJECTORIES,
    MIN_RESOLUTION,
    as_optimizer,
    check_bounds,
    check_count,
    check_positive,
    check_single_setting,
    check_steps,
    check_surface,
    goal_text,
)

NONE = -1  # ended farther than ``radius`` from every listed minimum (or the surface lists none)
DIVERGED = -2  # left the finite world (non-finite loss, or escaped far beyond the bounds)
DEFAULT_CHUNK = 150 * 150  # starts per summarize call: big enough to be fast, small enough for little memory


class BasinMap(NamedTuple):
    """The fate of a trajectory started at every grid point ``(x[j], y[i])``.

    ``minimum_index[i, j]`` is the index of the listed minimum (``surface.minima``) reached
    within ``radius``, ``NONE`` (-1) if none, ``DIVERGED`` (-2) if the run diverged.
    ``steps_to_tol`` is the first step with ``f - f* <= tol`` (gradient norm <= tol when f* is
    unknown; -1 if never within ``steps``);
    ``final_f`` the loss at the end (NaN when diverged); ``diverged`` a boolean mask.
    """

    x: np.ndarray  # (W,)
    y: np.ndarray  # (H,)
    minimum_index: np.ndarray  # (H, W) int
    steps_to_tol: np.ndarray  # (H, W) int
    final_f: np.ndarray  # (H, W) float
    diverged: np.ndarray  # (H, W) bool
    steps: int  # the budget every trajectory had
    tol: float
    goal: str  # what reaching the tolerance means here: "f − f* ≤ 1e-06" or "‖∇f‖ ≤ 1e-06"


def minimum_label(surface: Surface, index: int) -> str:
    """How a figure or a count names a basin: ``"minimum 1 (3.00, 2.00)"``, ``"none"`` or ``"diverged"``."""
    if index == DIVERGED:
        return "diverged"
    if index == NONE:
        return "none"
    x, y = surface.minima[index]
    return f"minimum {index + 1} ({x:.2f}, {y:.2f})"


def grid_points(bounds, resolution: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Axes ``x`` (W,), ``y`` (H,) and the starts ``(H*W, 2)`` in row-major order (row i is ``y[i]``)."""
    (x0, x1), (y0, y1) = bounds
    x = np.linspace(x0, x1, resolution)
    y = np.linspace(y0, y1, resolution)
    starts = np.stack(np.meshgrid(x, y), axis=-1).reshape(-1, 2)
    return x, y, starts


def basin_map(
    optimizer: Optimizer | str,
    surface: Surface,
    *,
    resolution: int = 100,
    steps: int = 200,
    tol: float = 1e-6,
    radius: float = 0.1,
    bounds=None,
    chunk: int | None = None,
    progress: Callable[[float], None] | None = None,
) -> BasinMap:
    """Run ``optimizer`` from every point of a grid over ``bounds`` (default: the surface's view).

    The starts are split into chunks of at most ``chunk`` trajectories (default 22,500) so memory
    stays bounded; ``progress(fraction_done)`` is called after each chunk. Results do not depend
    on the chunking (the runs are deterministic: no gradient noise here).
    """
    optimizer = as_optimizer(optimizer)
    check_single_setting(optimizer, "basin_map")
    surface = check_surface(surface)
    resolution = check_count(resolution, "resolution", MIN_RESOLUTION, MAX_RESOLUTION)
    steps = check_steps(steps)
    tol = check_positive(tol, "tol")
    radius = check_positive(radius, "radius")
    bounds = check_bounds(surface.bounds if bounds is None else bounds)
    chunk = DEFAULT_CHUNK if chunk is None else check_count(chunk, "chunk", 1, MAX_TRAJECTORIES)
    if progress is not None and not callable(progress):
        raise ValueError("progress must be a function of one number (the fraction done)")

    x, y, starts = grid_points(bounds, resolution)
    n = len(starts)
    index = np.empty(n, dtype=np.int64)
    steps_to_tol = np.empty(n, dtype=np.int64)
    final_f = np.empty(n)
    diverged = np.empty(n, dtype=bool)
    for lo in range(0, n, chunk):
        part = slice(lo, min(lo + chunk, n))
        s = summarize(optimizer, surface, starts[part], steps, tol=tol, radius=radius)
        gone = s.diverged_at >= 0
        index[part] = np.where(gone, DIVERGED, s.nearest_minimum)
        steps_to_tol[part] = s.steps_to_tol
        final_f[part] = np.where(gone, np.nan, s.final_f)
        diverged[part] = gone
        if progress is not None:
            progress(part.stop / n)
    shape = (resolution, resolution)
    return BasinMap(
        x, y, index.reshape(shape), steps_to_tol.reshape(shape), final_f.reshape(shape), diverged.reshape(shape),
        steps, tol, goal_text(surface, tol),
    )
