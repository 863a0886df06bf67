"""Gradient descent and its momentum variants, as in ``torch.optim.SGD``."""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

from surfaces.params import Param

from . import hyper
from .base import Optimizer, add_weight_decay, column, lr_column, register


class SGDState(NamedTuple):
    t: int  # steps taken


class MomentumState(NamedTuple):
    t: int
    m: np.ndarray  # (N, 2) velocity: torch's momentum buffer b


@register("SGD", hyper.lr(0.1), hyper.weight_decay())
def sgd(lr, weight_decay) -> Optimizer:
    r"""Plain gradient descent, ``torch.optim.SGD(lr, weight_decay)``.

    .. math::

        g_t &= \nabla f(x_{t-1}) + \lambda x_{t-1} \\
        x_t &= x_{t-1} - \eta\, g_t

    On a quadratic with Hessian A this is :math:`x_t = (I - \eta A)^t x_0`: it converges
    when :math:`\eta < 2/\lambda_{\max}(A)` and diverges above. Default ``lr`` is 0.1 (torch has none).
    """
    wd = column(weight_decay)

    def init(x):
        return SGDState(0)

    def step(x, state, oracle):
        g = add_weight_decay(oracle.grad(x), x, wd)
        return x - lr_column(lr, state.t) * g, SGDState(state.t + 1)

    return Optimizer("sgd", dict(lr=lr, weight_decay=weight_decay), init, step)


@register(
    "Momentum (heavy ball)",
    hyper.lr(0.01),
    hyper.momentum(0.9),
    Param("dampening", 0.0, 0.0, 0.99, label="dampening", symbol=r"\tau",
                help="Scales down the new gradient's share of the velocity.", domain=(0.0, 1.0)),
    hyper.weight_decay(),
)
def momentum(lr, momentum, dampening, weight_decay) -> Optimizer:
    r"""Heavy-ball momentum in torch's form, ``torch.optim.SGD(lr, momentum, dampening, weight_decay)``.

    .. math::

        g_t &= \nabla f(x_{t-1}) + \lambda x_{t-1} \\
        b_t &= \mu\, b_{t-1} + (1 - \tau)\, g_t \quad (b_1 = g_1) \\
        x_t &= x_{t-1} - \eta\, b_t

    The other common form (Polyak; Sutskever et al. 2013) keeps :math:`v_t = \mu v_{t-1} - \eta g_t`,
    :math:`x_t = x_{t-1} + v_t`. With a constant learning rate the two give the same iterates
    (:math:`v_t = -\eta b_t`); they differ when :math:`\eta` changes, because torch's buffer
    carries gradients and is rescaled by the new rate, while :math:`v` carries past steps.
    On a quadratic the best setting :math:`\mu = ((\sqrt\kappa - 1)/(\sqrt\kappa + 1))^2` gives
    the rate :math:`(\sqrt\kappa - 1)/(\sqrt\kappa + 1)` per step (Polyak 1964).
    """
    mu, keep, wd = column(momentum), 1.0 - column(dampening), column(weight_decay)

    def init(x):
        return MomentumState(0, x * 0.0)

    def step(x, state, oracle):
        g = add_weight_decay(oracle.grad(x), x, wd)
        m = g if state.t == 0 else mu * state.m + keep * g
        return x - lr_column(lr, state.t) * m, MomentumState(state.t + 1, m)

    return Optimizer("momentum", dict(lr=lr, momentum=momentum, dampening=dampening, weight_decay=weight_decay),
                     init, step)


@register("Nesterov momentum", hyper.lr(0.01), hyper.momentum(0.9), hyper.weight_decay())
def nesterov(lr, momentum, weight_decay) -> Optimizer:
    r"""Nesterov momentum in torch's form, ``torch.optim.SGD(lr, momentum, nesterov=True)``.

    .. math::

        g_t &= \nabla f(x_{t-1}) + \lambda x_{t-1} \\
        b_t &= \mu\, b_{t-1} + g_t \quad (b_1 = g_1) \\
        x_t &= x_{t-1} - \eta\,(g_t + \mu\, b_t)

    This is the look-ahead method of Sutskever et al. (2013), which evaluates the gradient at
    :math:`y = w + \mu v`, rewritten in the shifted variable :math:`x = y`: the trajectory shows
    the look-ahead points, where the gradients are taken, as torch's parameters are.
    """
    mu, wd = column(momentum), column(weight_decay)

    def init(x):
        return MomentumState(0, x * 0.0)

    def step(x, state, oracle):
        g = add_weight_decay(oracle.grad(x), x, wd)
        m = g if state.t == 0 else mu * state.m + g
        return x - lr_column(lr, state.t) * (g + mu * m), MomentumState(state.t + 1, m)

    return Optimizer("nesterov", dict(lr=lr, momentum=momentum, weight_decay=weight_decay), init, step)
