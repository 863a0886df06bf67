"""The baseline: optimizers as they appear in lecture notes, one point at a time.

Each optimizer is a small class with ``step(params, grad)`` that updates ``params`` in place; a driver loops over
the trajectories in Python and, for each, over the steps, keeping the path as a list (as a plotting script
would). Two flavours of the same textbook code:

* ``numpy``: ``params`` is a tiny ``np.ndarray`` of shape (2,), updated with ``params -= lr * ...``;
* ``float``: ``params`` is a list of two Python floats, updated coordinate by coordinate with ``math.sqrt``
  (usually the faster of the two: tiny numpy arrays pay about a microsecond per operation).

The formulas are the textbook ones (Kingma & Ba's bias-corrected moments, heavy-ball momentum in torch's form,
Hinton's RMSProp). They agree with the engine's iterates to rounding; ``bench`` checks that.
"""

from __future__ import annotations

import math

import numpy as np

# ---------------------------------------------------------------------------- Rosenbrock, one point


def rosenbrock_grad(params: np.ndarray, a: float = 1.0, b: float = 100.0) -> np.ndarray:
    """Gradient of (a - x)^2 + b (y - x^2)^2 at one point (2,)."""
    x, y = params
    return np.array([-2.0 * (a - x) - 4.0 * b * x * (y - x * x), 2.0 * b * (y - x * x)])


def rosenbrock_grad_floats(params: list[float], a: float = 1.0, b: float = 100.0) -> list[float]:
    x, y = params
    r = y - x * x
    return [-2.0 * (a - x) - 4.0 * b * x * r, 2.0 * b * r]


# ---------------------------------------------------------------------------- tiny numpy arrays


class Adam:
    def __init__(self, lr=1e-3, beta1=0.9, beta2=0.999, eps=1e-8):
        self.lr, self.beta1, self.beta2, self.eps = lr, beta1, beta2, eps
        self.m = self.v = None
        self.t = 0

    def step(self, params, grad):
        if self.m is None:
            self.m, self.v = np.zeros_like(params), np.zeros_like(params)
        self.t += 1
        self.m = self.beta1 * self.m + (1 - self.beta1) * grad
        self.v = self.beta2 * self.v + (1 - self.beta2) * grad**2
        m_hat = self.m / (1 - self.beta1**self.t)
        v_hat = self.v / (1 - self.beta2**self.t)
        params -= self.lr * m_hat / (np.sqrt(v_hat) + self.eps)


class Momentum:
    """Heavy ball as in ``torch.optim.SGD(momentum=mu)``: v = mu v + g, x -= lr v."""

    def __init__(self, lr=1e-3, momentum=0.9):
        self.lr, self.momentum = lr, momentum
        self.v = None

    def step(self, params, grad):
        if self.v is None:
            self.v = np.zeros_like(params)
        self.v = self.momentum * self.v + grad
        params -= self.lr * self.v


class RMSProp:
    def __init__(self, lr=1e-3, alpha=0.99, eps=1e-8):
        self.lr, self.alpha, self.eps = lr, alpha, eps
        self.v = None

    def step(self, params, grad):
        if self.v is None:
            self.v = np.zeros_like(params)
        self.v = self.alpha * self.v + (1 - self.alpha) * grad**2
        params -= self.lr * grad / (np.sqrt(self.v) + self.eps)


# ---------------------------------------------------------------------------- Python floats


class AdamFloats(Adam):
    def step(self, params, grad):
        if self.m is None:
            self.m, self.v = [0.0] * len(params), [0.0] * len(params)
        self.t += 1
        bc1, bc2 = 1 - self.beta1**self.t, 1 - self.beta2**self.t
        for i, g in enumerate(grad):
            self.m[i] = self.beta1 * self.m[i] + (1 - self.beta1) * g
            self.v[i] = self.beta2 * self.v[i] + (1 - self.beta2) * g * g
            params[i] -= self.lr * (self.m[i] / bc1) / (math.sqrt(self.v[i] / bc2) + self.eps)


class MomentumFloats(Momentum):
    def step(self, params, grad):
        if self.v is None:
            self.v = [0.0] * len(params)
        for i, g in enumerate(grad):
            self.v[i] = self.momentum * self.v[i] + g
            params[i] -= self.lr * self.v[i]


class RMSPropFloats(RMSProp):
    def step(self, params, grad):
        if self.v is None:
            self.v = [0.0] * len(params)
        for i, g in enumerate(grad):
            self.v[i] = self.alpha * self.v[i] + (1 - self.alpha) * g * g
            params[i] -= self.lr * g / (math.sqrt(self.v[i]) + self.eps)


CLASSES = {
    "numpy": {"adam": Adam, "momentum": Momentum, "rmsprop": RMSProp},
    "float": {"adam": AdamFloats, "momentum": MomentumFloats, "rmsprop": RMSPropFloats},
}


# ---------------------------------------------------------------------------- the driver


def run_numpy(optimizer_class, hparams: dict, starts, steps: int) -> list[list[np.ndarray]]:
    """One path per start: a list of ``steps + 1`` points, each a (2,) array."""
    paths = []
    for start in starts:
        params = np.array(start, dtype=float)
        optimizer = optimizer_class(**hparams)
        path = [params.copy()]
        for _ in range(steps):
            optimizer.step(params, rosenbrock_grad(params))
            path.append(params.copy())
        paths.append(path)
    return paths


def run_floats(optimizer_class, hparams: dict, starts, steps: int) -> list[list[tuple[float, float]]]:
    """One path per start: a list of ``steps + 1`` (x, y) tuples of Python floats."""
    paths = []
    for start in starts:
        params = [float(start[0]), float(start[1])]
        optimizer = optimizer_class(**hparams)
        path = [tuple(params)]
        for _ in range(steps):
            optimizer.step(params, rosenbrock_grad_floats(params))
            path.append(tuple(params))
        paths.append(path)
    return paths


RUNNERS = {"numpy": run_numpy, "float": run_floats}


def run_baseline(flavour: str, name: str, hparams: dict, starts, steps: int) -> np.ndarray:
    """Run the textbook ``name`` optimizer in ``flavour`` ("numpy" or "float"); paths as an array (N, steps+1, 2)."""
    return np.asarray(RUNNERS[flavour](CLASSES[flavour][name], hparams, starts, steps), dtype=float)
