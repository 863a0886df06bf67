"""Adam and its relatives: AdamW, NAdam, RAdam, Adamax (as in ``torch.optim``) and Lion.

The moment updates are written as torch computes them (``m + (1 - β1)(g - m)`` is torch's
``lerp``, equal to ``β1 m + (1 - β1) g``), so the iterates agree with torch's to rounding.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

from surfaces.params import Param

from . import hyper
from .base import Optimizer, add_weight_decay, column, lr_column, register


class AdamState(NamedTuple):
    t: int
    m: np.ndarray  # (N, 2) first moment: running mean of gradients
    v: np.ndarray  # (N, 2) second moment: running mean of squared gradients (Adamax: infinity norm)
    v_max: np.ndarray  # (N, 2) running maximum of v (AMSGrad only)
    scale: np.ndarray | float  # the update is scale * m / denom ...
    denom: np.ndarray | float  # ... (kept apart so the hot path never divides just for the ledger)
    mu_product: np.ndarray | float = 1.0  # NAdam's product of momentum coefficients

    @property
    def step_size(self) -> np.ndarray:
        """The effective per-coordinate step: the multiplier of m in the update (for the ledger)."""
        return self.scale / self.denom


def _adam_family(name, lr, b1, b2, eps, *, update) -> tuple:
    """Shared init for the Adam family; ``update(x, g, state, rate, t)`` is each method's own rule."""

    def init(x):
        zero = x * 0.0
        return AdamState(0, zero, zero, zero, 0.0, 1.0)

    def step(x, state, oracle):
        return update(x, oracle.grad(x), state, lr_column(lr, state.t), state.t + 1)

    return init, step


def _moments(g, state, b1, b2):
    m = state.m + (1.0 - b1) * (g - state.m)
    v = b2 * state.v + (1.0 - b2) * (g * g)
    return m, v


@register(
    "Adam",
    hyper.lr(0.1),
    hyper.beta1(),
    hyper.beta2(),
    hyper.eps(),
    hyper.weight_decay(),
    hyper.flag("amsgrad", False, "AMSGrad", "Divide by the running maximum of the second moment (Reddi et al. 2018)."),
    hyper.flag("bias_correction", True, "bias correction",
               "Divide the moments by 1 - β^t. Off shows the oversized first steps that the correction fixes."),
)
def adam(lr, beta1, beta2, eps, weight_decay, amsgrad, bias_correction, *, decoupled=False, name="adam") -> Optimizer:
    r"""Adam (Kingma & Ba 2015, Algorithm 1), ``torch.optim.Adam``.

    .. math::

        g_t &= \nabla f(x_{t-1}) + \lambda x_{t-1} \\
        m_t &= \beta_1 m_{t-1} + (1 - \beta_1) g_t \\
        v_t &= \beta_2 v_{t-1} + (1 - \beta_2) g_t^2 \\
        \hat m_t &= m_t / (1 - \beta_1^t), \quad \hat v_t = v_t / (1 - \beta_2^t) \\
        x_t &= x_{t-1} - \eta\, \hat m_t / (\sqrt{\hat v_t} + \epsilon)

    With AMSGrad, :math:`\hat v_t` uses :math:`\max_{s \le t} v_s`. ``bias_correction=False``
    (not in torch) drops the division by :math:`1 - \beta^t`: the first step is then
    :math:`(1-\beta_1)/\sqrt{1-\beta_2}` times as long, about 3 times too long for the defaults
    (the second moment's bias towards zero outweighs the first's).
    Like torch, the denominator is :math:`\sqrt{v_t}/\sqrt{1-\beta_2^t} + \epsilon`. Default ``lr`` 0.1.
    """
    b1, b2, eps_, wd = column(beta1), column(beta2), column(eps), column(weight_decay)

    def update(x, g, state, rate, t):
        if decoupled:  # AdamW: shrink the parameters, leave the gradient alone
            x = x * (1.0 - rate * wd)
        else:
            g = add_weight_decay(g, x, wd)
        m, v = _moments(g, state, b1, b2)
        v_max = np.maximum(state.v_max, v) if amsgrad else state.v_max
        bc1, bc2 = (1.0 - b1**t, 1.0 - b2**t) if bias_correction else (1.0, 1.0)
        denom = np.sqrt(v_max if amsgrad else v) / np.sqrt(bc2) + eps_
        return x - (rate / bc1) * m / denom, AdamState(t, m, v, v_max, rate / bc1, denom)

    init, step = _adam_family(name, lr, b1, b2, eps_, update=update)
    hparams = dict(lr=lr, beta1=beta1, beta2=beta2, eps=eps, weight_decay=weight_decay, amsgrad=amsgrad,
                   bias_correction=bias_correction)
    return Optimizer(name, hparams, init, step)


@register(
    "AdamW",
    hyper.lr(0.1),
    hyper.beta1(),
    hyper.beta2(),
    hyper.eps(),
    hyper.weight_decay(0.01),
    hyper.flag("amsgrad", False, "AMSGrad", "Divide by the running maximum of the second moment."),
)
def adamw(lr, beta1, beta2, eps, weight_decay, amsgrad) -> Optimizer:
    r"""AdamW (Loshchilov & Hutter 2019), ``torch.optim.AdamW``: Adam with decoupled weight decay.

    .. math::

        x'_{t-1} &= x_{t-1}\,(1 - \eta\lambda) \\
        m_t &= \beta_1 m_{t-1} + (1 - \beta_1) g_t, \quad v_t = \beta_2 v_{t-1} + (1 - \beta_2) g_t^2 \\
        x_t &= x'_{t-1} - \eta\, \hat m_t / (\sqrt{\hat v_t} + \epsilon)

    The decay does not pass through :math:`\hat v_t`, so every coordinate shrinks at the same
    rate, whereas Adam's L2 term is rescaled per coordinate. Default ``weight_decay`` 0.01 as in torch.
    """
    return adam(lr, beta1, beta2, eps, weight_decay, amsgrad, True, decoupled=True, name="adamw")


@register(
    "NAdam",
    hyper.lr(0.1),
    hyper.beta1(),
    hyper.beta2(),
    hyper.eps(),
    hyper.weight_decay(),
    Param("momentum_decay", 4e-3, 1e-4, 1e-1, log=True, label="momentum decay", symbol=r"\psi",
          help="Schedule of the momentum coefficient μ_t.", domain=(0.0, None)),
)
def nadam(lr, beta1, beta2, eps, weight_decay, momentum_decay) -> Optimizer:
    r"""NAdam (Dozat 2016), ``torch.optim.NAdam``: Adam with a Nesterov-style look-ahead on the moment.

    .. math::

        \mu_t &= \beta_1 (1 - \tfrac12\, 0.96^{t\psi}), \quad \mu_{t+1} = \beta_1 (1 - \tfrac12\, 0.96^{(t+1)\psi}) \\
        m_t &= \beta_1 m_{t-1} + (1 - \beta_1) g_t, \quad v_t = \beta_2 v_{t-1} + (1 - \beta_2) g_t^2 \\
        \hat m_t &= \frac{\mu_{t+1} m_t}{1 - \prod_{i=1}^{t+1}\mu_i} + \frac{(1 - \mu_t) g_t}{1 - \prod_{i=1}^{t}\mu_i},
        \quad \hat v_t = v_t / (1 - \beta_2^t) \\
        x_t &= x_{t-1} - \eta\, \hat m_t / (\sqrt{\hat v_t} + \epsilon)

    with :math:`g_t = \nabla f(x_{t-1}) + \lambda x_{t-1}`.
    """
    b1, b2, eps_, wd, psi = column(beta1), column(beta2), column(eps), column(weight_decay), column(momentum_decay)

    def update(x, g, state, rate, t):
        g = add_weight_decay(g, x, wd)
        mu = b1 * (1.0 - 0.5 * 0.96 ** (t * psi))
        mu_next = b1 * (1.0 - 0.5 * 0.96 ** ((t + 1) * psi))
        mu_product = state.mu_product * mu
        m, v = _moments(g, state, b1, b2)
        denom = np.sqrt(v / (1.0 - b2**t)) + eps_
        x = x + (-rate * (1.0 - mu) / (1.0 - mu_product)) * g / denom
        x = x + (-rate * mu_next / (1.0 - mu_product * mu_next)) * m / denom
        return x, AdamState(t, m, v, state.v_max, rate * mu_next / (1.0 - mu_product * mu_next), denom, mu_product)

    init, step = _adam_family("nadam", lr, b1, b2, eps_, update=update)
    hparams = dict(lr=lr, beta1=beta1, beta2=beta2, eps=eps, weight_decay=weight_decay, momentum_decay=momentum_decay)
    return Optimizer("nadam", hparams, init, step)


@register("RAdam", hyper.lr(0.01), hyper.beta1(), hyper.beta2(), hyper.eps(), hyper.weight_decay())
def radam(lr, beta1, beta2, eps, weight_decay) -> Optimizer:
    r"""RAdam (Liu et al. 2020), ``torch.optim.RAdam``: Adam whose adaptive step is switched on gradually.

    .. math::

        m_t &= \beta_1 m_{t-1} + (1 - \beta_1) g_t, \quad v_t = \beta_2 v_{t-1} + (1 - \beta_2) g_t^2,
        \quad \hat m_t = m_t / (1 - \beta_1^t) \\
        \rho_\infty &= \tfrac{2}{1 - \beta_2} - 1, \quad \rho_t = \rho_\infty - \tfrac{2t\beta_2^t}{1 - \beta_2^t} \\
        r_t &= \sqrt{\tfrac{(\rho_t - 4)(\rho_t - 2)\rho_\infty}{(\rho_\infty - 4)(\rho_\infty - 2)\rho_t}},
        \quad l_t = \frac{\sqrt{1 - \beta_2^t}}{\sqrt{v_t} + \epsilon} \\
        x_t &= x_{t-1} - \eta\, \hat m_t\, r_t\, l_t \ \text{ if } \rho_t > 5, \text{ else } x_{t-1} - \eta\, \hat m_t

    with :math:`g_t = \nabla f(x_{t-1}) + \lambda x_{t-1}`. While the variance estimate is
    unreliable (:math:`\rho_t \le 5`, the first few steps) it takes momentum-SGD steps,
    which is why its default ``lr`` here is 0.01 rather than Adam's 0.1.
    """
    b1, b2, eps_, wd = column(beta1), column(beta2), column(eps), column(weight_decay)

    def update(x, g, state, rate, t):
        g = add_weight_decay(g, x, wd)
        m, v = _moments(g, state, b1, b2)
        m_hat = m / (1.0 - b1**t)
        bc2 = 1.0 - b2**t
        rho_inf = 2.0 / (1.0 - b2) - 1.0
        rho_t = rho_inf - 2.0 * t * b2**t / bc2
        rect = np.sqrt((rho_t - 4) * (rho_t - 2) * rho_inf / ((rho_inf - 4) * (rho_inf - 2) * rho_t))
        adaptive = np.sqrt(bc2) / (np.sqrt(v) + eps_)
        multiplier = np.where(rho_t > 5.0, rate * adaptive * rect, rate + 0.0 * v)
        return x - m_hat * multiplier, AdamState(t, m, v, state.v_max, multiplier, 1.0 - b1**t)

    init, step = _adam_family("radam", lr, b1, b2, eps_, update=update)
    return Optimizer("radam", dict(lr=lr, beta1=beta1, beta2=beta2, eps=eps, weight_decay=weight_decay), init, step)


@register("Adamax", hyper.lr(0.1), hyper.beta1(), hyper.beta2(), hyper.eps(), hyper.weight_decay())
def adamax(lr, beta1, beta2, eps, weight_decay) -> Optimizer:
    r"""Adamax (Kingma & Ba 2015, section 7.1), ``torch.optim.Adamax``: Adam with the infinity norm.

    .. math::

        g_t &= \nabla f(x_{t-1}) + \lambda x_{t-1} \\
        m_t &= \beta_1 m_{t-1} + (1 - \beta_1) g_t \\
        u_t &= \max(\beta_2 u_{t-1},\ |g_t| + \epsilon) \\
        x_t &= x_{t-1} - \frac{\eta}{1 - \beta_1^t}\, m_t / u_t
    """
    b1, b2, eps_, wd = column(beta1), column(beta2), column(eps), column(weight_decay)

    def update(x, g, state, rate, t):
        g = add_weight_decay(g, x, wd)
        m = state.m + (1.0 - b1) * (g - state.m)
        u = np.maximum(b2 * state.v, np.abs(g) + eps_)
        clr = rate / (1.0 - b1**t)
        return x + (-clr) * m / u, AdamState(t, m, u, state.v_max, clr, u)

    init, step = _adam_family("adamax", lr, b1, b2, eps_, update=update)
    return Optimizer("adamax", dict(lr=lr, beta1=beta1, beta2=beta2, eps=eps, weight_decay=weight_decay), init, step)


@register("Lion", hyper.lr(0.01), hyper.beta1(0.9), hyper.beta2(0.99), hyper.weight_decay(), torch=False)
def lion(lr, beta1, beta2, weight_decay) -> Optimizer:
    r"""Lion (Chen et al. 2023, "Symbolic Discovery of Optimization Algorithms", Algorithm 2).

    .. math::

        c_t &= \beta_1 m_{t-1} + (1 - \beta_1) g_t \\
        x_t &= x_{t-1} - \eta\,(\operatorname{sign}(c_t) + \lambda x_{t-1}) \\
        m_t &= \beta_2 m_{t-1} + (1 - \beta_2) g_t

    Every coordinate moves by exactly :math:`\eta` per step (plus decay), whatever the
    gradient's size. Not in torch.optim. Default ``lr`` 0.01 for 2D demos (the paper uses 3-10x
    smaller rates than AdamW's on networks).
    """
    b1, b2, wd = column(beta1), column(beta2), column(weight_decay)

    def init(x):
        zero = x * 0.0
        return AdamState(0, zero, zero, zero, 0.0, 1.0)

    def step(x, state, oracle):
        g, rate = oracle.grad(x), lr_column(lr, state.t)
        c = b1 * state.m + (1.0 - b1) * g
        x_next = x - rate * (np.sign(c) + wd * x)
        m = b2 * state.m + (1.0 - b2) * g
        return x_next, AdamState(state.t + 1, m, state.v, state.v_max, rate, 1.0)

    return Optimizer("lion", dict(lr=lr, beta1=beta1, beta2=beta2, weight_decay=weight_decay), init, step)
