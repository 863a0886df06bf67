"""Learning-rate schedules: ``lr`` may be a number or a :class:`Schedule`.

A schedule maps the number of steps already taken, ``t = 0, 1, 2, ...``, to the learning
rate of the next step, as ``torch.optim.lr_scheduler`` does when ``scheduler.step()`` is
called after every ``optimizer.step()``. The base rate may be an array, one per trajectory.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np

from surfaces.params import Param, validate

__all__ = ["SCHEDULES", "Schedule", "lr_at", "make_schedule"]


@dataclass(frozen=True)
class Schedule:
    """A named schedule: ``rate(lr, t, **params)`` gives the learning rate before step t+1."""

    name: str
    lr: float | np.ndarray
    params: dict = field(default_factory=dict)

    def __call__(self, t: int):
        return SCHEDULES[self.name].rate(self.lr, t, **self.params)


@dataclass(frozen=True)
class ScheduleSpec:
    name: str
    title: str
    rate: Callable
    params: tuple[Param, ...]
    latex: str


SCHEDULES: dict[str, ScheduleSpec] = {}


def _register(name, title, latex, *params):
    def deco(rate):
        SCHEDULES[name] = ScheduleSpec(name, title, rate, params, latex)
        return rate

    return deco


@_register("constant", "Constant", r"\eta_t = \eta")
def _constant(lr, t):
    return lr


@_register(
    "step", "Step decay (StepLR)", r"\eta_t = \eta\,\gamma^{\lfloor t / s \rfloor}",
    Param("step_size", 100, 1, 500, kind="int", label="decay every (steps)", symbol="s", domain=(1, None)),
    Param("gamma", 0.5, 0.05, 1.0, label="decay factor", symbol=r"\gamma", domain=(0.0, 1.0), open_low=True),
)
def _step(lr, t, step_size, gamma):
    return lr * gamma ** (t // step_size)


@_register(
    "exponential", "Exponential decay (ExponentialLR)", r"\eta_t = \eta\,\gamma^{t}",
    Param("gamma", 0.99, 0.9, 1.0, label="decay factor", symbol=r"\gamma", domain=(0.0, 1.0), open_low=True),
)
def _exponential(lr, t, gamma):
    return lr * gamma**t


@_register(
    "inverse_time", "1/t decay", r"\eta_t = \eta / (1 + d\,t)",
    Param("decay", 0.01, 1e-4, 1.0, log=True, label="decay rate", symbol="d", domain=(0.0, None)),
)
def _inverse_time(lr, t, decay):
    return lr / (1.0 + decay * t)


@_register(
    "cosine", "Cosine annealing (CosineAnnealingLR)",
    r"\eta_t = \eta_{\min} + \tfrac12(\eta - \eta_{\min})(1 + \cos(\pi t / T))",
    Param("t_max", 500, 1, 2000, kind="int", label="period T (steps)", symbol="T", domain=(1, None)),
    Param("lr_min", 0.0, 0.0, 0.01, label="final rate", symbol=r"\eta_{\min}", domain=(0.0, None)),
)
def _cosine(lr, t, t_max, lr_min):
    # torch's CosineAnnealingLR follows this closed form, also past T, where the rate rises again
    return lr_min + 0.5 * (lr - lr_min) * (1.0 + np.cos(np.pi * t / t_max))


def make_schedule(name: str, lr, **params) -> Schedule:
    """A validated schedule, e.g. ``make_schedule("step", 0.1, step_size=50, gamma=0.5)``."""
    spec = SCHEDULES.get(name)
    if spec is None:
        raise ValueError(f"unknown schedule {name!r}; available: {', '.join(SCHEDULES)}")
    values = validate(spec.params, params, owner=f"schedule {name}")
    return Schedule(name, lr, values)


def lr_at(lr, t: int):
    """The learning rate before step ``t + 1``: a number, an array, or a schedule's value."""
    return lr(t) if isinstance(lr, Schedule) else lr
