"""Per-coordinate adaptive step sizes: AdaGrad, RMSProp and AdaDelta, as in ``torch.optim``."""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

from surfaces.params import Param

from . import hyper
from .base import Optimizer, add_weight_decay, column, lr_column, register


class AdagradState(NamedTuple):
    t: int
    v: np.ndarray  # (N, 2) sum of squared gradients
    step_size: np.ndarray  # (N, 2) effective per-coordinate step


class RMSpropState(NamedTuple):
    t: int
    v: np.ndarray  # (N, 2) running mean of squared gradients
    g_avg: np.ndarray  # (N, 2) running mean of gradients (centered only)
    m: np.ndarray  # (N, 2) momentum buffer
    step_size: np.ndarray


class AdadeltaState(NamedTuple):
    t: int
    v: np.ndarray  # (N, 2) running mean of squared gradients
    u: np.ndarray  # (N, 2) running mean of squared updates
    step_size: np.ndarray


@register(
    "AdaGrad",
    hyper.lr(0.5),
    Param("lr_decay", 0.0, 0.0, 0.1, label="learning-rate decay", symbol=r"\eta_{\rm decay}",
          help="The rate is divided by 1 + (t-1)·decay.", domain=(0.0, None)),
    hyper.eps(1e-10),
    Param("initial_accumulator_value", 0.0, 0.0, 1.0, label="initial accumulator", symbol=r"v_0",
          help="Starting value of the sum of squared gradients.", domain=(0.0, None)),
    hyper.weight_decay(),
)
def adagrad(lr, lr_decay, eps, initial_accumulator_value, weight_decay) -> Optimizer:
    r"""AdaGrad (Duchi et al. 2011), ``torch.optim.Adagrad``.

    .. math::

        g_t &= \nabla f(x_{t-1}) + \lambda x_{t-1} \\
        \tilde\eta_t &= \eta / (1 + (t - 1)\,\eta_{\rm decay}) \\
        v_t &= v_{t-1} + g_t^2 \\
        x_t &= x_{t-1} - \tilde\eta_t\, g_t / (\sqrt{v_t} + \epsilon)

    The sum only grows, so the effective step :math:`\tilde\eta_t / (\sqrt{v_t} + \epsilon)`
    shrinks monotonically: good for sparse gradients, a stall on long runs. Default ``lr`` 0.5.
    """
    decay, eps_, v0, wd = column(lr_decay), column(eps), column(initial_accumulator_value), column(weight_decay)

    def init(x):
        return AdagradState(0, x * 0.0 + v0, x * 0.0)

    def step(x, state, oracle):
        g = add_weight_decay(oracle.grad(x), x, wd)
        clr = lr_column(lr, state.t) / (1.0 + state.t * decay)
        v = state.v + g * g
        step_size = clr / (np.sqrt(v) + eps_)
        return x - step_size * g, AdagradState(state.t + 1, v, step_size)

    return Optimizer("adagrad", dict(lr=lr, lr_decay=lr_decay, eps=eps,
                                     initial_accumulator_value=initial_accumulator_value,
                                     weight_decay=weight_decay), init, step)


@register(
    "RMSProp",
    hyper.lr(0.01),
    Param("alpha", 0.99, 0.0, 0.999, label="smoothing", symbol=r"\alpha",
          help="Decay of the running mean of squared gradients.", domain=(0.0, 1.0), open_high=True),
    hyper.eps(1e-8),
    hyper.momentum(0.0),
    hyper.flag("centered", False, "centered", "Divide by an estimate of the variance, not the raw second moment."),
    hyper.weight_decay(),
)
def rmsprop(lr, alpha, eps, momentum, centered, weight_decay) -> Optimizer:
    r"""RMSProp (Hinton, Lecture 6e), ``torch.optim.RMSprop``.

    .. math::

        g_t &= \nabla f(x_{t-1}) + \lambda x_{t-1} \\
        v_t &= \alpha v_{t-1} + (1 - \alpha) g_t^2 \\
        \bar g_t &= \alpha \bar g_{t-1} + (1-\alpha) g_t, \quad \tilde v_t = v_t - \bar g_t^2 \quad \text{(centered)} \\
        b_t &= \mu b_{t-1} + g_t / (\sqrt{\tilde v_t} + \epsilon) \\
        x_t &= x_{t-1} - \eta\, b_t

    With :math:`\mu = 0` the last two lines are :math:`x_t = x_{t-1} - \eta g_t/(\sqrt{\tilde v_t}+\epsilon)`.
    Unlike AdaGrad the mean forgets old gradients, so the step does not decay to zero.
    """
    a, eps_, mu, wd = column(alpha), column(eps), column(momentum), column(weight_decay)

    def init(x):
        zero = x * 0.0
        return RMSpropState(0, zero, zero, zero, zero)

    def step(x, state, oracle):
        g = add_weight_decay(oracle.grad(x), x, wd)
        v = a * state.v + (1.0 - a) * (g * g)
        g_avg = a * state.g_avg + (1.0 - a) * g if centered else state.g_avg
        avg = np.sqrt(v - g_avg * g_avg if centered else v) + eps_
        m = mu * state.m + g / avg
        step_size = lr_column(lr, state.t) / avg
        return x - lr_column(lr, state.t) * m, RMSpropState(state.t + 1, v, g_avg, m, step_size)

    return Optimizer("rmsprop", dict(lr=lr, alpha=alpha, eps=eps, momentum=momentum, centered=centered,
                                     weight_decay=weight_decay), init, step)


@register(
    "AdaDelta",
    hyper.lr(1.0, low=1e-2, high=100.0),
    Param("rho", 0.9, 0.0, 0.999, label="smoothing", symbol=r"\rho",
          help="Decay of both running means.", domain=(0.0, 1.0), open_high=True),
    hyper.eps(1e-6),
    hyper.weight_decay(),
)
def adadelta(lr, rho, eps, weight_decay) -> Optimizer:
    r"""AdaDelta (Zeiler 2012), ``torch.optim.Adadelta``.

    .. math::

        g_t &= \nabla f(x_{t-1}) + \lambda x_{t-1} \\
        v_t &= \rho v_{t-1} + (1 - \rho) g_t^2 \\
        \Delta x_t &= \frac{\sqrt{u_{t-1} + \epsilon}}{\sqrt{v_t + \epsilon}}\, g_t \\
        u_t &= \rho u_{t-1} + (1 - \rho) \Delta x_t^2 \\
        x_t &= x_{t-1} - \eta\, \Delta x_t

    The ratio of running RMS values gives the step its units, so ``lr`` = 1 (torch's default)
    works without tuning; the first steps are of size about :math:`\sqrt\epsilon`, a slow start.
    """
    r, eps_, wd = column(rho), column(eps), column(weight_decay)

    def init(x):
        zero = x * 0.0
        return AdadeltaState(0, zero, zero, zero)

    def step(x, state, oracle):
        g = add_weight_decay(oracle.grad(x), x, wd)
        v = r * state.v + (1.0 - r) * (g * g)
        ratio = np.sqrt(state.u + eps_) / np.sqrt(v + eps_)
        delta = ratio * g
        u = r * state.u + (1.0 - r) * (delta * delta)
        rate = lr_column(lr, state.t)
        return x - rate * delta, AdadeltaState(state.t + 1, v, u, rate * ratio)

    return Optimizer("adadelta", dict(lr=lr, rho=rho, eps=eps, weight_decay=weight_decay), init, step)
