"""2D loss surfaces with exact gradients and Hessians, registered by name.

>>> from surfaces import get_surface
>>> s = get_surface("rosenbrock", b=100)
>>> s.f(s.minima)            # shape (k,)
array([0.])
"""

from . import catalog  # noqa: F401  (registers the built-in surfaces)
from .base import SURFACES, SuggestedRun, Surface, SurfaceSpec, get_surface, register, suggest, surface_from_expression
from .params import Param

__all__ = [
    "SURFACES", "Param", "SuggestedRun", "Surface", "SurfaceSpec", "get_surface", "register", "suggest",
    "surface_from_expression",
]
