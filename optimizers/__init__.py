"""Optimizers as pure functions over batches of 2D points, and the vectorized trajectory engine.

>>> from surfaces import get_surface
>>> from optimizers import get_optimizer, run
>>> traj = run(get_optimizer("adam", lr=0.05), get_surface("rosenbrock"), [[-1.2, 1.0]], steps=500)
>>> traj.xs.shape
(501, 1, 2)
"""

from . import adam, adaptive, second_order, sgd  # noqa: F401  (register the optimizers)
from .base import OPTIMIZERS, Optimizer, OptimizerSpec, Oracle, Summary, Trajectory, get_optimizer, run, summarize
from .schedules import SCHEDULES, Schedule, make_schedule

__all__ = [
    "OPTIMIZERS",
    "SCHEDULES",
    "Optimizer",
    "OptimizerSpec",
    "Oracle",
    "Schedule",
    "Summary",
    "Trajectory",
    "get_optimizer",
    "make_schedule",
    "run",
    "summarize",
]
