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


class LookAheadState(NamedTuple):
    t: int
    m: np.ndarray  # (N, 2) the velocity a
    lookahead: np.ndarray  # (N, 2) the point W - eta*beta*a where this step took its gradient


# Stability limits on a quadratic whose largest curvature is lambda_max (weight decay adds to every curvature).
# Each is where the linear recurrence's spectral radius reaches 1; tests/test_optimizers.py checks them against
# the eigenvalues of the iteration matrix.
def _curvature(h, lambda_max) -> float:
    return lambda_max + float(h.get("weight_decay", 0.0))


def _gd_limit(h, lambda_max) -> float:
    """x <- (1 - eta*lam) x: stable while eta < 2/lam."""
    return 2.0 / _curvature(h, lambda_max)


def _heavy_ball_limit(h, lambda_max) -> float:
    """z^2 - (1 + mu - eta(1 - tau)lam) z + mu: stable while eta(1 - tau)lam < 2 + 2mu."""
    mu, keep = float(h["momentum"]), 1.0 - float(h.get("dampening", 0.0))
    return (2.0 + 2.0 * mu) / (keep * _curvature(h, lambda_max))


def _heavy_ball_floor(h) -> float:
    """The two roots of z^2 - (...)z + mu multiply to mu, so the larger has |z| >= sqrt(mu), whatever eta."""
    return float(h["momentum"]) ** 0.5


def _nesterov_limit(h, lambda_max) -> float:
    """Both Nesterov forms: trace (1 - eta*lam)(1 + mu), determinant mu(1 - eta*lam): eta*lam < (2 + 2mu)/(1 + 2mu)."""
    mu = float(h["momentum"])
    return (2.0 + 2.0 * mu) / ((1.0 + 2.0 * mu) * _curvature(h, lambda_max))


@register("SGD", hyper.lr(0.1), hyper.weight_decay(), stability_limit=_gd_limit, stability_text="2/λmax")
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
    stability_limit=_heavy_ball_limit, stability_text="(2 + 2μ)/((1 − τ)λmax)",
    rate_floor=_heavy_ball_floor, rate_floor_text="√μ, Polyak",
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


@register("Nesterov momentum", hyper.lr(0.01), hyper.momentum(0.9), hyper.weight_decay(),
          stability_limit=_nesterov_limit, stability_text="(2 + 2μ)/((1 + 2μ)λmax)")
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


@register("Nesterov, lecture form", hyper.lr(0.01), hyper.momentum(0.9), hyper.weight_decay(), torch=False,
          stability_limit=_nesterov_limit, stability_text="(2 + 2μ)/((1 + 2μ)λmax)")
def nesterov_lookahead(lr, momentum, weight_decay) -> Optimizer:
    r"""Nesterov momentum as the lecture notes write it: the gradient is taken at the look-ahead point.

    .. math::

        y_t &= x_{t-1} - \eta\,\mu\, a_{t-1} \quad (a_0 = 0) \\
        a_t &= \mu\, a_{t-1} + \nabla f(y_t) + \lambda y_t \\
        x_t &= x_{t-1} - \eta\, a_t

    The iterates are the parameters W themselves, and each step's look-ahead point :math:`y_t` is recorded
    (the ledger's ``lookahead``), so a figure can draw where the gradient was taken. With a constant rate
    torch's form ("Nesterov momentum") runs the same method in the shifted variable
    :math:`x - \eta\mu a`: its iterates are these look-ahead points, one step later.
    """
    mu, wd = column(momentum), column(weight_decay)

    def init(x):
        return LookAheadState(0, x * 0.0, x.copy())

    def step(x, state, oracle):
        rate = lr_column(lr, state.t)
        y = x - rate * mu * state.m
        m = mu * state.m + add_weight_decay(oracle.grad(y), y, wd)
        return x - rate * m, LookAheadState(state.t + 1, m, y)

    return Optimizer("nesterov_lookahead", dict(lr=lr, momentum=momentum, weight_decay=weight_decay), init, step)
