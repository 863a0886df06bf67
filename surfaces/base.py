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

__all__ = [
    "SURFACES", "SuggestedRun", "Surface", "SurfaceSpec", "get_surface", "register", "suggest",
    "surface_from_expression",
]

Array = np.ndarray
Expression = Callable[[object, object], object]  # (x, y) -> value, on arrays or jets


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
class SuggestedRun:
    """A run a surface opens with: an optimizer (by registry name) and the settings that suit this surface.

    Surfaces sit below optimizers, so the name is a string; ``tests/test_surfaces.py`` checks that every
    suggestion names a registered optimizer and neither diverges nor stands still from the surface's start.
    """

    optimizer: str
    hparams: tuple[tuple[str, float], ...] = ()
    batch_size: int = 0


def suggest(optimizer: str, batch_size: int = 0, **hparams: float) -> SuggestedRun:
    """``suggest("momentum", lr=0.01, momentum=0.9)``: a suggested run written like a table row."""
    return SuggestedRun(optimizer, tuple(sorted(hparams.items())), batch_size)


@dataclass(frozen=True)
class SurfaceSpec:
    """A registry entry: how to make a surface, its parameters as data, and the runs it opens with.

    ``suggested`` are runs whose settings suit the surface at its default parameters and start (learning rates
    below the stability limit from the curvature there), so that switching to it shows its lesson rather than
    a divergence at step 1.
    """

    name: str
    title: str
    factory: Callable[..., Surface]
    params: Sequence[Param] = ()
    source: str = ""
    suggested: tuple[SuggestedRun, ...] = ()

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
