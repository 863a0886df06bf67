"""Parameters described as data, so that the app builds widgets by looping over them.

The same record describes a surface parameter (a Rosenbrock's ``b``) and an optimizer
hyperparameter (Adam's ``lr``): its slider range, its scale, its label and symbol, and the
domain of values that are valid at all (which may be wider than the slider's range).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np

__all__ = ["Param", "Registry", "validate"]


@dataclass(frozen=True)
class Param:
    """One tunable parameter.

    ``low``/``high`` bound the slider; ``domain`` bounds what is valid (``None`` = unbounded),
    with ``open_low``/``open_high`` marking strict inequalities (``0 <= beta < 1``).
    ``kind`` is ``"float"``, ``"int"``, ``"bool"``, ``"choice"`` (then ``choices`` lists them),
    ``"multi"`` (a tuple of distinct ``choices``) or ``"text"`` (a string of at most ``high`` characters).
    ``choices`` may be a registry that other modules fill (the app's views): it is read when used.
    """

    name: str
    default: float | int | bool | str
    low: float = 0.0
    high: float = 1.0
    log: bool = False
    label: str = ""
    symbol: str = ""
    help: str = ""
    kind: str = "float"
    choices: Sequence[str] = ()
    domain: tuple[float | None, float | None] = (None, None)
    open_low: bool = False
    open_high: bool = False
    step: float | None = None
    extra: Mapping[str, object] = field(default_factory=dict)

    def describe_domain(self) -> str:
        """The valid range as a person would write it, for error messages."""
        if self.kind in ("choice", "multi"):
            return ("one of " if self.kind == "choice" else "some of ") + ", ".join(repr(c) for c in self.choices)
        if self.kind == "bool":
            return "True or False"
        lo, hi = self.domain
        parts = []
        if lo is not None:
            parts.append(f"{'>' if self.open_low else '>='} {lo:g}")
        if hi is not None:
            parts.append(f"{'<' if self.open_high else '<='} {hi:g}")
        return " and ".join(parts) if parts else "any finite number"

    def check(self, value, owner: str):
        """Return ``value`` normalised (float, int, bool, str or float array), or raise ValueError."""
        where = f"{owner}: parameter {self.name!r}"
        if self.kind == "choice":
            if value not in self.choices:
                raise ValueError(f"{where} must be {self.describe_domain()}, got {value!r}")
            return value
        if self.kind == "multi":
            if not isinstance(value, tuple | list) or any(v not in self.choices for v in value):
                raise ValueError(f"{where} must be {self.describe_domain()}, got {value!r}")
            return tuple(dict.fromkeys(value))
        if self.kind == "text":
            if not isinstance(value, str) or len(value) > self.high:
                raise ValueError(f"{where} must be text of at most {self.high:g} characters")
            return value
        if self.kind == "bool":
            if isinstance(value, bool | np.bool_):
                return bool(value)
            if isinstance(value, int | float) and value in (0, 1):
                return bool(value)
            raise ValueError(f"{where} must be True or False, got {value!r}")
        if isinstance(value, str | bytes):  # np.asarray("10", dtype=float) would accept it
            raise ValueError(f"{where} must be a number ({self.describe_domain()}), got {value!r}")
        try:
            arr = np.asarray(value, dtype=float)
        except (TypeError, ValueError):
            raise ValueError(f"{where} must be a number ({self.describe_domain()}), got {value!r}") from None
        if arr.ndim > 1:
            raise ValueError(f"{where} must be a number ({self.describe_domain()}) or a 1-D array of them")
        if not np.all(np.isfinite(arr)):
            raise ValueError(f"{where} must be finite ({self.describe_domain()}), got {value!r}")
        lo, hi = self.domain
        bad = np.zeros(arr.shape, dtype=bool)
        if lo is not None:
            bad |= (arr <= lo) if self.open_low else (arr < lo)
        if hi is not None:
            bad |= (arr >= hi) if self.open_high else (arr > hi)
        if self.kind == "int":
            bad |= arr != np.round(arr)
        if np.any(bad):
            shown = value if arr.ndim == 0 else arr[bad][0]
            kind = "an integer " if self.kind == "int" else ""
            raise ValueError(f"{where} must be {kind}{self.describe_domain()}, got {shown!r}")
        if arr.ndim == 0:
            return int(arr) if self.kind == "int" else float(arr)
        return arr


def validate(params: Sequence[Param], values: Mapping[str, object], owner: str) -> dict[str, object]:
    """Fill defaults, reject unknown names, and check every value against its domain."""
    known = {p.name: p for p in params}
    unknown = sorted(set(values) - set(known))
    if unknown:
        allowed = ", ".join(known) or "none"
        raise ValueError(f"{owner}: unknown parameter {unknown[0]!r}; allowed: {allowed}")
    out = {}
    for p in params:
        out[p.name] = p.check(values.get(p.name, p.default), owner)
    return out


class Registry(dict):
    """Specs by name: ``register`` files a factory under its function name, ``spec`` looks one up.

    A plain dict otherwise, so the app and the tests loop over it. ``make_spec(name, title,
    factory, params, **extra)`` builds the entry (a ``SurfaceSpec``, an ``OptimizerSpec``).
    """

    def __init__(self, kind: str, make_spec):
        super().__init__()
        self.kind, self.make_spec = kind, make_spec

    def register(self, title: str, *params: Param, **extra):
        def deco(factory):
            self[factory.__name__] = self.make_spec(factory.__name__, title, factory, tuple(params), **extra)
            return factory

        return deco

    def add(self, spec):
        """File a ready-made entry under its ``name`` (for entries that are not factories: the app's views)."""
        self[spec.name] = spec
        return spec

    def spec(self, name: str):
        """The entry for ``name``, or a ValueError listing what is available."""
        if name not in self:
            raise ValueError(f"unknown {self.kind} {name!r}; available: {', '.join(self)}")
        return self[name]
