"""Averages of the iterates, shown beside the raw path (they smooth out noise and oscillation).

Both work on a history ``xs`` of shape ``(T+1, N, 2)`` and return the same shape; NaN
(diverged) iterates stay NaN.
"""

from __future__ import annotations

import numpy as np

__all__ = ["ema_average", "polyak_average"]


def polyak_average(xs: np.ndarray) -> np.ndarray:
    r"""Polyak-Ruppert averaging (Polyak & Juditsky 1992): :math:`\bar x_t = \frac{1}{t+1}\sum_{s=0}^{t} x_s`."""
    xs = np.asarray(xs, dtype=float)
    counts = np.arange(1, len(xs) + 1, dtype=float).reshape(-1, *([1] * (xs.ndim - 1)))
    return np.cumsum(xs, axis=0) / counts


def ema_average(xs: np.ndarray, decay: float = 0.9) -> np.ndarray:
    r"""Exponential moving average, bias-corrected like Adam's moments.

    :math:`a_t = \beta a_{t-1} + (1 - \beta) x_t`, shown as :math:`a_t / (1 - \beta^{t+1})`, with
    :math:`a_{-1} = 0` and :math:`\beta` = ``decay``.
    """
    if not 0.0 <= decay < 1.0:
        raise ValueError(f"decay must be in [0, 1), got {decay!r}")
    xs = np.asarray(xs, dtype=float)
    out = np.empty_like(xs)
    acc = np.zeros_like(xs[0])
    for t in range(len(xs)):  # a loop over steps only
        acc = decay * acc + (1.0 - decay) * xs[t]
        out[t] = acc / (1.0 - decay ** (t + 1))
    return out
