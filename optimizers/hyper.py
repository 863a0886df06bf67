"""Hyperparameters shared by several optimizers, described once (torch's names and meanings)."""

from __future__ import annotations

from surfaces.params import Param


def lr(default: float, low: float = 1e-4, high: float = 10.0) -> Param:
    return Param(
        "lr", default, low, high, log=True, label="learning rate", symbol=r"\eta",
        help="Step size: how far each update moves. Too large overshoots or diverges.", domain=(0.0, None),
    )


def momentum(default: float = 0.9) -> Param:
    return Param(
        "momentum", default, 0.0, 0.999, label="momentum", symbol=r"\mu",
        help="Fraction of the previous velocity kept at each step.", domain=(0.0, 1.0), open_high=True,
    )


def beta1(default: float = 0.9) -> Param:
    return Param(
        "beta1", default, 0.0, 0.999, label="first moment decay", symbol=r"\beta_1",
        help="Decay of the running mean of gradients (momentum).", domain=(0.0, 1.0), open_high=True,
    )


def beta2(default: float = 0.999) -> Param:
    return Param(
        "beta2", default, 0.0, 0.9999, label="second moment decay", symbol=r"\beta_2",
        help="Decay of the running mean of squared gradients.", domain=(0.0, 1.0), open_high=True,
        step=1e-4,  # 0.999 and 0.9999 are the values that matter; beta2 = 1 is never offered (v would never move)
    )


def eps(default: float = 1e-8) -> Param:
    return Param(
        "eps", default, 1e-10, 1.0, log=True, label="stability term", symbol=r"\epsilon",
        help="Added to the denominator for numerical stability.", domain=(0.0, None), open_low=True,
    )


def weight_decay(default: float = 0.0) -> Param:
    return Param(
        "weight_decay", default, 0.0, 1.0, label="weight decay", symbol=r"\lambda",
        help="L2 penalty pulling the parameters towards the origin.", domain=(0.0, None),
    )


def flag(name: str, default: bool, label: str, help: str) -> Param:
    return Param(name, default, kind="bool", label=label, help=help)
