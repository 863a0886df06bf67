"""Exact derivatives of 2D expressions by forward-mode automatic differentiation.

A :class:`Jet` carries a value together with its gradient and (optionally) its Hessian
with respect to the two coordinates ``(x, y)``. Arithmetic on jets applies the sum,
product and chain rules, so an expression written once, such as::

    def himmelblau(x, y):
        return (x**2 + y - 11) ** 2 + (x + y**2 - 7) ** 2

gives its value on plain arrays and its exact gradient and Hessian on jets. No finite
differences are involved, and every operation is vectorized over the leading axes.

Shapes: a value ``(...)``, a gradient ``(..., 2)``, a Hessian ``(..., 2, 2)``.

Elementary functions are listed in :data:`FUNCTIONS` with their first and second
derivatives; that table is also the allow-list of the custom-formula parser.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

__all__ = ["FUNCTIONS", "Jet", "derivatives", "variables"]


def _outer(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    return a[..., :, None] * b[..., None, :]


@dataclass(frozen=True, slots=True)
class Jet:
    """A value with its exact gradient and, when ``hess`` is not None, its Hessian."""

    val: np.ndarray
    grad: np.ndarray
    hess: np.ndarray | None

    # -- construction -------------------------------------------------------------
    def _lift(self, other) -> Jet:
        if isinstance(other, Jet):
            return other
        value = np.asarray(other, dtype=float)
        return Jet(value, np.zeros((*value.shape, 2)), None if self.hess is None else np.zeros((*value.shape, 2, 2)))

    def _apply(self, phi: np.ndarray, dphi: np.ndarray, d2phi: np.ndarray | None, *, total: bool = False) -> Jet:
        """Chain rule for a scalar function phi of this jet, given phi, phi' and phi'' (None without a Hessian).

        ``total``: phi is defined wherever u is (a polynomial), so the scan for undefined values is skipped.
        """
        undefined = None if total else np.isnan(phi)  # e.g. log(-1): no value, so no derivatives either
        if undefined is not None and undefined.any():
            dphi = np.where(undefined, np.nan, dphi)
            d2phi = None if d2phi is None else np.where(undefined, np.nan, d2phi)
        grad = dphi[..., None] * self.grad
        hess = None
        if self.hess is not None:
            hess = dphi[..., None, None] * self.hess + d2phi[..., None, None] * _outer(self.grad, self.grad)
        return Jet(phi, grad, hess)

    # -- arithmetic ---------------------------------------------------------------
    def __add__(self, other) -> Jet:
        if not isinstance(other, Jet):
            c = np.asarray(other, dtype=float)
            if np.broadcast_shapes(c.shape, self.val.shape) == self.val.shape:  # a constant moves the value only
                return Jet(self.val + c, self.grad, self.hess)
            other = self._lift(c)
        hess = None if self.hess is None else self.hess + other.hess
        return Jet(self.val + other.val, self.grad + other.grad, hess)

    __radd__ = __add__

    def __neg__(self) -> Jet:
        return Jet(-self.val, -self.grad, None if self.hess is None else -self.hess)

    def __pos__(self) -> Jet:
        return self

    def __sub__(self, other) -> Jet:
        return self + (-other)

    def __rsub__(self, other) -> Jet:
        return (-self) + other

    def __mul__(self, other) -> Jet:
        if not isinstance(other, Jet):  # scaling by a constant keeps it cheap
            c = np.asarray(other, dtype=float)
            hess = None if self.hess is None else c[..., None, None] * self.hess
            return Jet(self.val * c, c[..., None] * self.grad, hess)
        a, b = self, other
        grad = a.grad * b.val[..., None] + a.val[..., None] * b.grad
        hess = None
        if a.hess is not None:
            cross = _outer(a.grad, b.grad)
            hess = (
                a.hess * b.val[..., None, None]
                + a.val[..., None, None] * b.hess
                + cross
                + np.swapaxes(cross, -1, -2)
            )
        return Jet(a.val * b.val, grad, hess)

    __rmul__ = __mul__

    def reciprocal(self) -> Jet:
        inv = 1.0 / self.val
        return self._apply(inv, -(inv**2), None if self.hess is None else 2.0 * inv**3)

    def __truediv__(self, other) -> Jet:
        if not isinstance(other, Jet):
            return self * (1.0 / np.asarray(other, dtype=float))
        return self * other.reciprocal()

    def __rtruediv__(self, other) -> Jet:
        return self.reciprocal() * other

    def __pow__(self, power) -> Jet:
        if isinstance(power, Jet):  # a**b = exp(b log a), defined for a > 0
            return exp(power * log(self))
        p = float(power)
        if p == 0.0:
            return self._lift(np.ones_like(self.val))
        if p == 1.0:
            return self
        u = self.val
        second = self.hess is not None
        if p == 2.0:  # the common case, exact and cheap
            return self._apply(u * u, 2.0 * u, np.full_like(u, 2.0) if second else None, total=True)
        return self._apply(u**p, p * u ** (p - 1.0), p * (p - 1.0) * u ** (p - 2.0) if second else None,
                           total=p.is_integer() and p > 0)

    def __rpow__(self, base) -> Jet:
        return exp(self * np.log(np.asarray(base, dtype=float)))


def _elementwise(name: str, phi, dphi, d2phi) -> Callable:
    """An elementary function that works on plain arrays and on jets."""

    def fn(u):
        if isinstance(u, Jet):
            v = u.val
            return u._apply(phi(v), dphi(v), None if u.hess is None else d2phi(v))
        return phi(np.asarray(u, dtype=float))

    fn.__name__ = name
    return fn


def _sech2(u):
    return 1.0 / np.cosh(u) ** 2


# name -> (f, f', f''): the single source of truth for elementary functions.
_TABLE: dict[str, tuple[Callable, Callable, Callable]] = {
    "sin": (np.sin, np.cos, lambda u: -np.sin(u)),
    "cos": (np.cos, lambda u: -np.sin(u), lambda u: -np.cos(u)),
    "tan": (np.tan, lambda u: 1.0 / np.cos(u) ** 2, lambda u: 2.0 * np.tan(u) / np.cos(u) ** 2),
    "exp": (np.exp, np.exp, np.exp),
    "log": (np.log, lambda u: 1.0 / u, lambda u: -1.0 / u**2),
    "sqrt": (np.sqrt, lambda u: 0.5 / np.sqrt(u), lambda u: -0.25 / u**1.5),
    "abs": (np.abs, np.sign, np.zeros_like),
    "tanh": (np.tanh, _sech2, lambda u: -2.0 * np.tanh(u) * _sech2(u)),
    "sinh": (np.sinh, np.cosh, np.sinh),
    "cosh": (np.cosh, np.sinh, np.cosh),
    "arctan": (np.arctan, lambda u: 1.0 / (1.0 + u**2), lambda u: -2.0 * u / (1.0 + u**2) ** 2),
    "arcsin": (np.arcsin, lambda u: 1.0 / np.sqrt(1.0 - u**2), lambda u: u / (1.0 - u**2) ** 1.5),
    "arccos": (np.arccos, lambda u: -1.0 / np.sqrt(1.0 - u**2), lambda u: -u / (1.0 - u**2) ** 1.5),
    "arcsinh": (np.arcsinh, lambda u: 1.0 / np.sqrt(1.0 + u**2), lambda u: -u / (1.0 + u**2) ** 1.5),
    "sigmoid": (
        lambda u: 0.5 * (1.0 + np.tanh(0.5 * u)),
        lambda u: 0.25 * _sech2(0.5 * u),
        lambda u: -0.25 * np.tanh(0.5 * u) * _sech2(0.5 * u),
    ),
    "softplus": (
        lambda u: np.logaddexp(0.0, u),
        lambda u: 0.5 * (1.0 + np.tanh(0.5 * u)),
        lambda u: 0.25 * _sech2(0.5 * u),
    ),
}

FUNCTIONS: dict[str, Callable] = {name: _elementwise(name, *rules) for name, rules in _TABLE.items()}
sin, cos, tan, exp, log, sqrt = (FUNCTIONS[n] for n in ("sin", "cos", "tan", "exp", "log", "sqrt"))
absolute, tanh, cosh, sinh, arctan = (FUNCTIONS[n] for n in ("abs", "tanh", "cosh", "sinh", "arctan"))


def variables(points: np.ndarray, order: int) -> tuple[Jet, Jet]:
    """Seed jets for ``x`` and ``y`` at ``points`` of shape ``(..., 2)``; order 1 or 2."""
    points = np.asarray(points, dtype=float)
    shape = points.shape[:-1]
    hess = np.zeros((*shape, 2, 2)) if order >= 2 else None
    unit = np.eye(2)
    return (
        Jet(points[..., 0], np.broadcast_to(unit[0], (*shape, 2)), hess),
        Jet(points[..., 1], np.broadcast_to(unit[1], (*shape, 2)), hess),
    )


def derivatives(expression: Callable, points: np.ndarray, order: int) -> Jet:
    """Evaluate ``expression(x, y)`` on jets at ``points``: value, gradient and (order 2) Hessian.

    A result that does not depend on x or y (a constant) is lifted to a jet with zero derivatives.
    """
    x, y = variables(points, order)
    with np.errstate(all="ignore"):
        out = expression(x, y)
        if not isinstance(out, Jet):
            out = x._lift(np.broadcast_to(np.asarray(out, dtype=float), x.val.shape))
    return out
