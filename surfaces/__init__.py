"""2D loss surfaces with exact gradients and Hessians, registered by name.

>>> from surfaces import get_surface
>>> s = get_surface("rosenbrock", b=100)
>>> s.f(s.minima)            # shape (k,)
array([0.])
"""

from . import catalog, datasets  # noqa: F401  (registers the built-in and the dataset surfaces)
from .base import SURFACES, FiniteSum, Surface, SurfaceSpec, get_surface, register, surface_from_expression
from .params import Param

__all__ = [
    "SURFACES", "FiniteSum", "Param", "Surface", "SurfaceSpec", "get_surface", "register", "surface_from_expression",
]
