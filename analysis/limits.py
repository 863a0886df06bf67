"""Size limits shared by every analysis, and the checks that enforce them with clear messages.

Every analysis runs many trajectories at once, so memory and time grow with their number.
The limits keep one request within a few seconds and well under 150 MB.
"""

from __future__ import annotations

import time
from collections.abc import Mapping

import numpy as np

from optimizers import OPTIMIZERS, Optimizer, get_optimizer, summarize
from surfaces import Surface

MAX_TRAJECTORIES = 300 * 300  # one map or sweep: at most a 300 x 300 grid
MAX_STEPS = 1000  # for every run and analysis, the app's steps slider included (more points per path than
# plots.runs.GL_THRESHOLD would switch the paths to WebGL, which a projector laptop without a GPU draws slowly)
MIN_RESOLUTION, MAX_RESOLUTION = 10, 300
MAX_ENSEMBLE = 200


def check_steps(steps) -> int:
    """``steps`` as an int in 1..MAX_STEPS, or ValueError."""
    if isinstance(steps, bool) or not isinstance(steps, int | np.integer) or not 1 <= steps <= MAX_STEPS:
        raise ValueError(f"steps must be a whole number from 1 to {MAX_STEPS}, got {steps!r}")
    return int(steps)


def check_count(value, name: str, low: int, high: int) -> int:
    """A whole number in ``low..high`` (a resolution, an ensemble size), or ValueError naming it."""
    if isinstance(value, bool) or not isinstance(value, int | np.integer) or not low <= value <= high:
        raise ValueError(f"{name} must be a whole number from {low} to {high}, got {value!r}")
    return int(value)


def check_positive(value, name: str) -> float:
    """A finite number > 0 (a tolerance, a radius), or ValueError naming it."""
    try:
        value = float(value)
    except (TypeError, ValueError):
        raise ValueError(f"{name} must be a positive number, got {value!r}") from None
    if not (np.isfinite(value) and value > 0):
        raise ValueError(f"{name} must be a positive number, got {value!r}")
    return value


def check_noise(noise) -> float:
    """Gradient noise sigma: a finite number >= 0."""
    try:
        noise = float(noise)
    except (TypeError, ValueError):
        raise ValueError(f"noise must be a number >= 0, got {noise!r}") from None
    if not (np.isfinite(noise) and noise >= 0):
        raise ValueError(f"noise must be a number >= 0, got {noise!r}")
    return noise


def check_trajectories(n: int, what: str) -> None:
    """At most MAX_TRAJECTORIES trajectories in one analysis."""
    if n > MAX_TRAJECTORIES:
        raise ValueError(
            f"{what} asks for {n:,} trajectories; the limit is {MAX_TRAJECTORIES:,} (a 300 x 300 grid)"
        )


def check_point(point, name: str = "start") -> np.ndarray:
    """A finite point of shape (2,)."""
    try:
        p = np.asarray(point, dtype=float)
    except (TypeError, ValueError):
        raise ValueError(f"{name} must be a point (x, y), got {point!r}") from None
    if p.shape != (2,) or not np.all(np.isfinite(p)):
        raise ValueError(f"{name} must be a finite point (x, y), got {point!r}")
    return p


def check_bounds(bounds) -> tuple[tuple[float, float], tuple[float, float]]:
    """``((x_min, x_max), (y_min, y_max))`` with finite values and min < max."""
    try:
        b = np.asarray(bounds, dtype=float)
    except (TypeError, ValueError):
        raise ValueError(f"bounds must be ((x_min, x_max), (y_min, y_max)), got {bounds!r}") from None
    if b.shape != (2, 2) or not np.all(np.isfinite(b)) or not np.all(b[:, 0] < b[:, 1]):
        raise ValueError(f"bounds must be ((x_min, x_max), (y_min, y_max)) with min < max, got {bounds!r}")
    return (float(b[0, 0]), float(b[0, 1])), (float(b[1, 0]), float(b[1, 1]))


def check_surface(surface) -> Surface:
    if not isinstance(surface, Surface):
        raise ValueError(f"surface must be a Surface (see surfaces.get_surface), got {type(surface).__name__}")
    return surface


def as_optimizer(optimizer: Optimizer | str) -> Optimizer:
    """An :class:`Optimizer`, or a registry name made with its defaults."""
    if isinstance(optimizer, str):
        return get_optimizer(optimizer)
    if not isinstance(optimizer, Optimizer):
        raise ValueError(f"optimizer must be an Optimizer or a name, got {type(optimizer).__name__}")
    return optimizer


def check_single_setting(optimizer: Optimizer, what: str) -> None:
    """Maps from many starts use ONE setting: per-trajectory hyperparameter arrays make no sense there."""
    for key, value in optimizer.hparams.items():
        if isinstance(value, np.ndarray) and value.ndim > 0:
            raise ValueError(f"{what} runs one setting of {optimizer.name}; hyperparameter {key!r} must be one number")


def check_names(names) -> list[str]:
    if isinstance(names, str):
        names = [names]
    names = list(names)
    if not names:
        raise ValueError("give at least one optimizer name")
    for name in names:
        if name not in OPTIMIZERS:
            raise ValueError(f"unknown optimizer {name!r}; available: {', '.join(OPTIMIZERS)}")
    return names


def check_fixed(fixed: Mapping[str, object] | None) -> dict[str, object]:
    if fixed is None:
        return {}
    if not isinstance(fixed, Mapping):
        raise ValueError(f"fixed must be a mapping of hyperparameter names to values, got {fixed!r}")
    return dict(fixed)


def goal_text(surface: Surface, tol: float) -> str:
    """What "reached the tolerance" means on this surface (as :func:`optimizers.summarize` tests it)."""
    if surface.optimal_value is None:
        return f"‖∇f‖ ≤ {tol:g}"
    return f"f − f* ≤ {tol:g}"


# ---------------------------------------------------------------------------- cost


BUDGET_SECONDS = 4.0  # the estimated work of one request (a map, a sweep, an ensemble), at most
PROBE_STARTS, PROBE_STEPS = 256, 4


def seconds_per_trajectory_step(optimizer: Optimizer, surface: Surface) -> float:
    """The measured cost of one step of one trajectory of ``optimizer`` on ``surface``, on this machine now.

    A short probe (256 starts spread over the view, 4 steps, a few milliseconds even for a large formula under
    Newton) is timed: the cost of a surface and an optimizer varies by three orders of magnitude (a quadratic
    under SGD, a typed formula under Newton), so no fixed table fits them all.
    """
    (x0, x1), (y0, y1) = surface.bounds
    side = int(np.sqrt(PROBE_STARTS))
    grid = np.stack(np.meshgrid(np.linspace(x0, x1, side), np.linspace(y0, y1, side)), -1).reshape(-1, 2)
    started = time.perf_counter()
    summarize(optimizer, surface, grid, PROBE_STEPS)
    return (time.perf_counter() - started) / (len(grid) * PROBE_STEPS)


def affordable(count: int, cost_of_one: float, budget: float) -> int:
    """How many of ``count`` items (trajectories, grid rows) fit in ``budget`` seconds at ``cost_of_one`` each."""
    return int(min(count, budget / cost_of_one)) if cost_of_one > 0 else count
