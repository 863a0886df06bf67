"""Exact derivatives of 2D expressions by forward-mode automatic differentiation.

A :class:`Jet` carries a value together with its gradient and (optionally) its Hessian
with respect to the two coordinates ``(x, y)``. Arithmetic on jets applies the sum,
product and chain rules, so an expression written once, such as::

    def himmelblau(x, y):
        return (x**2 + y - 11) ** 2 + (x + y**2 - 7) ** 2

gives its value on plain arrays and its exact gradient and Hessian on jets. No finite
differences are involved, and every operation is vectorized over the leading axes.

Shapes: a value ``(...)``, a gradient ``(..., 2)``, a Hessian ``(..., 2, 2)``. Inside a jet each partial
derivative (dx, dy, dxx, dxy, dyy) is an array of its own, or a scalar while it is constant.

Elementary functions are listed in :data:`FUNCTIONS` with their first and second
derivatives; that table is also the allow-list of the custom-formula parser.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

__all__ = ["FUNCTIONS", "Jet", "derivatives", "variables"]


Part = np.ndarray | float  # one partial derivative: an array, or a scalar while it is constant (dx/dx = 1)


def _full(parts: tuple[Part, ...], val: np.ndarray) -> list[np.ndarray]:
    shape = np.broadcast_shapes(np.shape(val), *(np.shape(p) for p in parts))
    return [np.broadcast_to(np.asarray(p, dtype=float), shape) for p in parts]


@dataclass(frozen=True, slots=True)
class Jet:
    """A value with its exact partial derivatives: first order, and second order unless ``dxx`` is None.

    Each partial is its own array (or a scalar while it is constant), so the sum, product and chain rules are a few
    whole-array operations on contiguous data. :attr:`grad` and :attr:`hess` assemble the ``(..., 2)`` and
    ``(..., 2, 2)`` arrays.
    """

    val: np.ndarray
    dx: Part
    dy: Part
    dxx: Part | None = None
    dxy: Part | None = None
    dyy: Part | None = None

    @property
    def second(self) -> bool:
        return self.dxx is not None

    @property
    def grad(self) -> np.ndarray:
        return np.stack(_full((self.dx, self.dy), self.val), axis=-1)

    @property
    def hess(self) -> np.ndarray | None:
        if not self.second:
            return None
        dxx, dxy, dyy = _full((self.dxx, self.dxy, self.dyy), self.val)
        return np.stack([np.stack([dxx, dxy], axis=-1), np.stack([dxy, dyy], axis=-1)], axis=-2)

    # -- construction -------------------------------------------------------------
    def _lift(self, other) -> Jet:
        if isinstance(other, Jet):
            return other
        zeros = (0.0, 0.0, 0.0) if self.second else (None, None, None)
        return Jet(np.asarray(other, dtype=float), 0.0, 0.0, *zeros)

    def _apply(self, phi: np.ndarray, dphi: np.ndarray, d2phi: np.ndarray | None, *, total: bool = False) -> Jet:
        """Chain rule for a scalar function phi of this jet, given phi, phi' and phi'' (None without a Hessian).

        ``total``: phi is defined wherever u is (a polynomial), so the scan for undefined values is skipped.
        """
        undefined = None if total else np.isnan(phi)  # e.g. log(-1): no value, so no derivatives either
        if undefined is not None and undefined.any():
            dphi = np.where(undefined, np.nan, dphi)
            d2phi = None if d2phi is None else np.where(undefined, np.nan, d2phi)
        dx, dy = dphi * self.dx, dphi * self.dy
        if not self.second:
            return Jet(phi, dx, dy)
        return Jet(phi, dx, dy,
                   dphi * self.dxx + d2phi * self.dx * self.dx,
                   dphi * self.dxy + d2phi * self.dx * self.dy,
                   dphi * self.dyy + d2phi * self.dy * self.dy)

    # -- arithmetic ---------------------------------------------------------------
    def __add__(self, other) -> Jet:
        if not isinstance(other, Jet):  # a constant moves the value only
            return Jet(self.val + np.asarray(other, dtype=float), self.dx, self.dy, self.dxx, self.dxy, self.dyy)
        if not (self.second and other.second):
            return Jet(self.val + other.val, self.dx + other.dx, self.dy + other.dy)
        return Jet(self.val + other.val, self.dx + other.dx, self.dy + other.dy,
                   self.dxx + other.dxx, self.dxy + other.dxy, self.dyy + other.dyy)

    __radd__ = __add__

    def __neg__(self) -> Jet:
        if not self.second:
            return Jet(-self.val, -self.dx, -self.dy)
        return Jet(-self.val, -self.dx, -self.dy, -self.dxx, -self.dxy, -self.dyy)

    def __pos__(self) -> Jet:
        return self

    def __sub__(self, other) -> Jet:
        return self + (-other)

    def __rsub__(self, other) -> Jet:
        return (-self) + other

    def __mul__(self, other) -> Jet:
        if not isinstance(other, Jet):  # scaling by a constant keeps it cheap
            c = np.asarray(other, dtype=float)
            if not self.second:
                return Jet(self.val * c, c * self.dx, c * self.dy)
            return Jet(self.val * c, c * self.dx, c * self.dy, c * self.dxx, c * self.dxy, c * self.dyy)
        a, b = self, other
        dx = a.dx * b.val + a.val * b.dx
        dy = a.dy * b.val + a.val * b.dy
        if not (a.second and b.second):
            return Jet(a.val * b.val, dx, dy)
        return Jet(a.val * b.val, dx, dy,
                   a.dxx * b.val + a.val * b.dxx + 2.0 * a.dx * b.dx,
                   a.dxy * b.val + a.val * b.dxy + a.dx * b.dy + a.dy * b.dx,
                   a.dyy * b.val + a.val * b.dyy + 2.0 * a.dy * b.dy)

    __rmul__ = __mul__

    def reciprocal(self) -> Jet:
        inv = 1.0 / self.val
        return self._apply(inv, -(inv**2), 2.0 * inv**3 if self.second else None)

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
        if p == 2.0:  # the common case, exact and cheap
            return self._apply(u * u, 2.0 * u, np.full_like(u, 2.0) if self.second else None, total=True)
        return self._apply(u**p, p * u ** (p - 1.0), p * (p - 1.0) * u ** (p - 2.0) if self.second else None,
                           total=p.is_integer() and p > 0)

    def __rpow__(self, base) -> Jet:
        return exp(self * np.log(np.asarray(base, dtype=float)))


def _elementwise(name: str, phi, dphi, d2phi) -> Callable:
    """An elementary function that works on plain arrays and on jets."""

    def fn(u):
        if isinstance(u, Jet):
            v = u.val
            return u._apply(phi(v), dphi(v), d2phi(v) if u.second else None)
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
    zeros = (0.0, 0.0, 0.0) if order >= 2 else (None, None, None)
    return Jet(points[..., 0], 1.0, 0.0, *zeros), Jet(points[..., 1], 0.0, 1.0, *zeros)


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
