"""The :class:`Surface` record and the registry that makes surfaces by name.

Shape rule: a point is ``(..., 2)``; ``f`` gives ``(...)``, ``grad`` ``(..., 2)`` and
``hess`` ``(..., 2, 2)``. The same function serves one point ``(2,)``, a batch ``(N, 2)``
and a plotting grid ``(H, W, 2)``. Inputs are never modified.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np

from .autodiff import derivatives
from .params import Param, Registry, validate

__all__ = ["SURFACES", "FiniteSum", "Surface", "SurfaceSpec", "get_surface", "register", "surface_from_expression"]

Array = np.ndarray
Expression = Callable[[object, object], object]  # (x, y) -> value, on arrays or jets
# (p, q, inputs, targets) -> per-example losses: the two parameters as arrays or jets of shape (..., 1),
# inputs (..., m, d) and targets (..., m) broadcast against them
ExampleLoss = Callable[[object, object, Array, Array], object]
CHUNK_VALUES = 1 << 20  # per-example values held at once: a 200 x 200 grid over 200 examples is done in pieces


@dataclass(frozen=True, eq=False)
class FiniteSum:
    r"""The examples behind a surface :math:`f(w) = \frac1n \sum_i \ell(w; x_i, y_i) + \tfrac12 \lambda \|w\|^2`.

    ``loss`` is written once and serves values (on arrays) and exact derivatives (on jets). ``x`` (n, d) and ``y``
    (n,) are the training split, ``test_x`` and ``test_y`` a held-out split drawn from the same generator;
    ``outlier`` (n,) marks corrupted training examples. Each example's loss includes the penalty, so
    ``f = mean_i ell_i`` exactly and a minibatch gradient is the mean of its examples' gradients.
    ``model`` names what ``plots.model`` draws ("line", "boundary", "curve", "slice"); ``predict(w, x)`` gives
    the model's output (..., m) at parameters ``w`` (..., 1, 2) for inputs ``x`` (m, d), for the plot.
    """

    loss: ExampleLoss
    x: Array
    y: Array
    test_x: Array
    test_y: Array
    l2: float = 0.0
    outlier: Array | None = None
    model: str = "curve"
    predict: Callable[[Array, Array], Array] | None = None

    @property
    def n(self) -> int:
        return len(self.y)

    def _terms(self, w: Array, x: Array, y: Array, order: int):
        """Per-example losses at ``w`` (..., 2) on examples (..., m): an array (order 0) or a Jet."""
        w = w[..., None, :]  # (..., 1, 2) against (..., m)
        if order == 0:
            return self.loss(w[..., 0], w[..., 1], x, y)
        return derivatives(lambda p, q: self.loss(p, q, x, y), w, order)

    def _mean(self, w: Array, x: Array, y: Array, order: int, penalty: bool):
        """Mean over the examples of the value (order 0), gradient (1) or Hessian (2), with ½λ‖w‖² if ``penalty``."""
        with np.errstate(all="ignore"):
            terms = self._terms(w, x, y, order)
            if order == 0:
                out = np.mean(np.broadcast_to(terms, w.shape[:-1] + y.shape[-1:]), axis=-1)
            elif order == 1:
                out = np.mean(terms.grad, axis=-2)
            else:
                out = np.mean(terms.hess, axis=-3)
        if not penalty or self.l2 == 0.0:
            return out
        if order == 0:
            return out + 0.5 * self.l2 * np.sum(w * w, axis=-1)
        if order == 1:
            return out + self.l2 * w
        return out + self.l2 * np.eye(2)

    def _chunked(self, w, x, y, order: int, penalty: bool) -> Array:
        """:meth:`_mean` on every point of ``w`` (..., 2), a block of points at a time to bound the memory."""
        w = _points(w)
        lead = w.shape[:-1]
        flat = w.reshape(-1, 2)
        size = max(1, CHUNK_VALUES // max(1, len(y)))
        parts = [self._mean(flat[i:i + size], x, y, order, penalty) for i in range(0, len(flat), size)]
        out = np.concatenate(parts) if parts else np.empty((0,) + (2,) * order)
        return out.reshape(lead + out.shape[1:])

    # -- the whole training set (the surface itself) and the held-out split --------------------------------------
    def value(self, w) -> Array:
        """f(w) over the training set, penalty included: shape (...)."""
        return self._chunked(w, self.x, self.y, 0, True)

    def gradient(self, w) -> Array:
        return self._chunked(w, self.x, self.y, 1, True)

    def hessian(self, w) -> Array:
        return self._chunked(w, self.x, self.y, 2, True)

    def train_loss(self, w) -> Array:
        """The mean training loss without the penalty (what the generalization gap compares)."""
        return self._chunked(w, self.x, self.y, 0, False)

    def test_loss(self, w) -> Array:
        """The mean loss on the held-out split, without the penalty."""
        return self._chunked(w, self.test_x, self.test_y, 0, False)

    # -- minibatches: w (N, 2), index (N, B) picks each trajectory's examples ------------------------------------
    def batch_value(self, w: Array, index: Array) -> Array:
        """Each trajectory's loss (N,) on its own examples ``index`` (N, B), penalty included."""
        return self._mean(w, self.x[index], self.y[index], 0, True)

    def batch_grad(self, w: Array, index: Array) -> Array:
        """The minibatch gradient (N, 2): the mean of the per-example gradients of ``index`` (N, B)."""
        return self._mean(w, self.x[index], self.y[index], 1, True)

    def batch_hess(self, w: Array, index: Array) -> Array:
        return self._mean(w, self.x[index], self.y[index], 2, True)

    def example_grads(self, w: Array, index: Array) -> Array:
        """Per-example gradients (N, B, 2) of the examples ``index`` (N, B) at ``w`` (N, 2), penalty included."""
        with np.errstate(all="ignore"):
            g = self._terms(w, self.x[index], self.y[index], 1).grad
        return g + self.l2 * w[:, None, :]


@dataclass(frozen=True, eq=False)
class Surface:
    """A 2D loss surface with exact derivatives and the facts a plot needs.

    ``bounds`` is the default view ``((x_min, x_max), (y_min, y_max))``; ``minima`` and
    ``saddles`` are ``(k, 2)`` arrays of known points (global and notable local minima);
    ``optimal_value`` is the global minimum value, or None when unknown (custom formulas).
    """

    name: str
    f: Callable[[Array], Array]
    grad: Callable[[Array], Array]
    hess: Callable[[Array], Array]
    bounds: tuple[tuple[float, float], tuple[float, float]]
    minima: Array
    optimal_value: float | None
    saddles: Array
    start: Array
    latex: str
    lesson: str
    params: Mapping[str, object] = field(default_factory=dict)
    log_scale: bool = False  # draw contours of log(f - f*) because the range is wide
    eigenvalues: Array | None = None  # of the (constant) Hessian, for quadratics
    eigenvectors: Array | None = None  # columns, matching ``eigenvalues``
    finite_sum: FiniteSum | None = None  # the examples, when f is an average over a dataset (surfaces.datasets)

    def nearest_minimum(self, points: Array) -> tuple[Array, Array]:
        """Index of the nearest listed minimum and the distance to it, for points ``(..., 2)``."""
        points = np.asarray(points, dtype=float)
        if len(self.minima) == 0:
            nan = np.full(points.shape[:-1], np.nan)
            return np.full(points.shape[:-1], -1), nan
        d = np.linalg.norm(points[..., None, :] - self.minima, axis=-1)
        with np.errstate(invalid="ignore"):
            index = np.where(np.isnan(d).any(-1), -1, np.argmin(np.nan_to_num(d, nan=np.inf), -1))
        return index, np.min(d, axis=-1)


def _points(x) -> Array:
    x = np.asarray(x, dtype=float)
    if x.shape[-1:] != (2,):
        raise ValueError(f"points must have shape (..., 2), got {x.shape}")
    return x


def surface_from_expression(
    name: str,
    expression: Expression,
    *,
    bounds,
    minima=(),
    optimal_value: float | None = None,
    saddles=(),
    start,
    latex: str,
    lesson: str,
    params: Mapping[str, object] | None = None,
    log_scale: bool = False,
    grad: Callable[[Array], Array] | None = None,
    hess: Callable[[Array], Array] | None = None,
) -> Surface:
    """Build a :class:`Surface` from one expression in ``x`` and ``y``.

    ``f`` evaluates the expression on arrays; ``grad`` and ``hess`` evaluate it on jets
    (forward-mode automatic differentiation), so they are exact. A hand-written ``grad`` or
    ``hess`` may be passed where speed matters; tests check it against the jets.
    Undefined points give NaN, never a warning.
    """

    def f(x):
        x = _points(x)
        with np.errstate(all="ignore"):
            out = expression(x[..., 0], x[..., 1])
        return np.broadcast_to(np.asarray(out, dtype=float), x.shape[:-1]).copy()

    def jet_grad(x):  # Jet.grad and Jet.hess assemble new arrays: nothing of the caller's is handed back
        return derivatives(expression, _points(x), order=1).grad

    def jet_hess(x):
        return derivatives(expression, _points(x), order=2).hess

    def guarded(fn):
        def call(x):
            with np.errstate(all="ignore"):
                return fn(_points(x))

        return call

    return Surface(
        name=name,
        f=f,
        grad=guarded(grad) if grad else jet_grad,
        hess=guarded(hess) if hess else jet_hess,
        bounds=tuple(tuple(map(float, b)) for b in bounds),
        minima=np.asarray(minima, dtype=float).reshape(-1, 2),
        optimal_value=None if optimal_value is None else float(optimal_value),
        saddles=np.asarray(saddles, dtype=float).reshape(-1, 2),
        start=np.asarray(start, dtype=float),
        latex=latex,
        lesson=lesson,
        params=dict(params or {}),
        log_scale=log_scale,
    )


@dataclass(frozen=True)
class SurfaceSpec:
    """A registry entry: how to make a surface, and its parameters as data."""

    name: str
    title: str
    factory: Callable[..., Surface]
    params: Sequence[Param] = ()
    source: str = ""

    @property
    def doc(self) -> str:
        return (self.factory.__doc__ or "").strip()


SURFACES = Registry("surface", SurfaceSpec)
register = SURFACES.register  # @register(title, *params, source=...) above a factory


def get_surface(name: str, **params) -> Surface:
    """Make the surface ``name`` with ``params`` (defaults for the rest); ValueError if invalid."""
    spec = SURFACES.spec(name)
    values = validate(spec.params, params, owner=name)
    for p in spec.params:  # validate() allows 1-D arrays (per-trajectory hyperparameters); a surface needs one value
        if isinstance(values[p.name], np.ndarray):
            raise ValueError(f"{name}: parameter {p.name!r} must be one number ({p.describe_domain()}), not an array")
    return spec.factory(**values)
