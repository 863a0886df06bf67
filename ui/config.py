"""The app's whole state as one immutable record, and its round trip through the URL.

Everything on screen is a function of an :class:`AppConfig`, so a copied link reproduces
the exact picture. Reading a URL never raises: unknown names are ignored, values out of
range are clamped, and each correction comes back as a notice for the page to show.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace

from optimizers import OPTIMIZERS, SCHEDULES
from plots.runs import PALETTE  # the one palette
from surfaces import SURFACES
from surfaces.params import Param

MAX_RUNS = 8
MAX_STEPS = 1000
MAX_VALUE_LENGTH = 600  # characters of any single URL value (a formula is at most 500)
MAX_BATCH = 4096
SHARED_HPARAMS = ("weight_decay",)  # set once for every run, in the shared settings
OVERLAYS = ("gradient_field", "eigen_directions", "polyak", "step_arrows")
VIEWS = ("compare", "basins", "sweep", "ensemble", "tune")

Items = tuple[tuple[str, object], ...]


def items(mapping: Mapping[str, object]) -> Items:
    """A hashable, order-independent form of a parameter dict (for caching and equality)."""
    return tuple(sorted(mapping.items()))


def non_default(params: Sequence[Param], values: Mapping[str, object]) -> Items:
    """The canonical form of parameter values: only those that differ from their defaults."""
    defaults = {p.name: p.default for p in params}
    return items({k: v for k, v in values.items() if v != defaults.get(k)})


@dataclass(frozen=True)
class RunConfig:
    """One run to compare: an optimizer with its own hyperparameters, schedule and batch size.

    ``batch_size`` 0 means the full batch (exact gradients); B > 0 adds gradient noise of
    standard deviation sigma/sqrt(B), where sigma is the shared noise level.
    """

    optimizer: str
    hparams: Items = ()
    schedule: str = "constant"
    schedule_params: Items = ()
    batch_size: int = 0
    label: str = ""
    color: str = ""

    def display_label(self, index: int) -> str:
        if self.label:
            return self.label
        title = OPTIMIZERS[self.optimizer].title
        lr = dict(self.hparams).get("lr")
        details = [f"η={lr:g}"] if isinstance(lr, float | int) else []
        if self.schedule != "constant":
            details.append(self.schedule.replace("_", " "))
        if self.batch_size:
            details.append(f"B={self.batch_size}")
        return f"{title} ({', '.join(details)})" if details else title

    def display_color(self, index: int) -> str:
        return self.color or PALETTE[index % len(PALETTE)]


# The first picture a visitor sees: on the default bowl (kappa = 10) gradient descent zig-zags
# (46 steps to f < 1e-6), heavy ball near its optimal setting needs 17, and Adam at a fixed
# rate hovers around the minimum without settling.
DEFAULT_RUNS = (
    RunConfig("sgd", (("lr", 0.18),)),
    RunConfig("momentum", (("lr", 0.23), ("momentum", 0.3))),
    RunConfig("adam", (("lr", 0.3),)),
)


@dataclass(frozen=True)
class AppConfig:
    """Everything that decides what the page shows."""

    surface: str = "ill_conditioned_bowl"
    surface_params: Items = ()
    runs: tuple[RunConfig, ...] = DEFAULT_RUNS
    steps: int = 100
    start: tuple[float, float] | None = None  # None: the surface's own default start
    noise: float = 1.0  # sigma of the per-example gradient noise (used by runs with a batch size)
    seed: int = 0
    weight_decay: float = 0.0
    clip_norm: float = 0.0  # 0: no clipping
    overlays: tuple[str, ...] = ()
    view: str = "compare"
    lesson: str = ""
    presentation: bool = False
    show_3d: bool = False  # the 3D view costs the browser the most time to draw, so it is opt-in
    extras: Items = field(default=())  # view-specific settings (map resolution, sweep axes...)


# ---------------------------------------------------------------------------- value coercion


def coerce(param: Param, text: str, owner: str) -> tuple[object, str | None]:
    """Read one value from text for ``param``: (value, notice or None). Never raises.

    Out-of-range numbers are clamped to the slider's range; unreadable ones fall back to
    the default. The notice says what was changed and why.
    """
    where = f"{owner}: {param.name}"
    if len(text) > MAX_VALUE_LENGTH:
        return param.default, f"{where} was too long ({len(text)} characters) and was ignored"
    if param.kind == "text":
        return text, None
    if param.kind == "choice":
        if text in param.choices:
            return text, None
        return param.default, f"{where}: {text[:40]!r} is not one of {', '.join(param.choices)}; using the default"
    if param.kind == "bool":
        lowered = text.strip().lower()
        if lowered in ("1", "true", "yes", "on"):
            return True, None
        if lowered in ("0", "false", "no", "off"):
            return False, None
        return param.default, f"{where}: {text[:40]!r} is not true/false; using the default"
    try:
        number = float(text)
    except ValueError:
        return param.default, f"{where}: {text[:40]!r} is not a number; using the default"
    if not math.isfinite(number):
        return param.default, f"{where}: {text[:40]!r} is not a finite number; using the default"
    clamped = min(max(number, param.low), param.high)
    if param.kind == "int":
        clamped = round(clamped)
    if clamped != number:
        return clamped, f"{where} = {number:g} is outside [{param.low:g}, {param.high:g}]; clamped to {clamped:g}"
    return clamped, None


def _coerce_params(params: Sequence[Param], raw: Mapping[str, str], owner: str, notices: list[str]) -> Items:
    known = {p.name: p for p in params}
    out = {}
    for name, text in raw.items():
        if name not in known:
            notices.append(f"{owner}: unknown parameter {name[:40]!r} was ignored")
            continue
        value, notice = coerce(known[name], text, owner)
        if notice:
            notices.append(notice)
        if value != known[name].default:
            out[name] = value
    return items(out)


def _number(text: str, low: float, high: float, default, what: str, notices: list[str], integer=False):
    param = Param(what, default, low, high, kind="int" if integer else "float")
    value, notice = coerce(param, text, "setting")
    if notice:
        notices.append(notice)
    return value


# ---------------------------------------------------------------------------- the URL


def _format(value) -> str:
    if isinstance(value, bool):
        return "1" if value else "0"
    if isinstance(value, float):
        return repr(value) if value != int(value) or abs(value) >= 1e15 else str(int(value))
    return str(value)


def _pairs(text: str) -> dict[str, str]:
    """``a=1,b=2`` -> {'a': '1', 'b': '2'}; malformed pieces are skipped."""
    out = {}
    for piece in text.split(","):
        if "=" in piece:
            key, value = piece.split("=", 1)
            out[key.strip()] = value.strip()
    return out


def encode_run(run: RunConfig) -> str:
    """``adam:lr=0.1,beta1=0.9;schedule=step:gamma=0.5;batch=8;label=...;color=#123456``."""
    parts = [run.optimizer + (":" + ",".join(f"{k}={_format(v)}" for k, v in run.hparams) if run.hparams else "")]
    if run.schedule != "constant":
        sched = ",".join(f"{k}={_format(v)}" for k, v in run.schedule_params)
        parts.append(f"schedule={run.schedule}" + (f":{sched}" if sched else ""))
    if run.batch_size:
        parts.append(f"batch={run.batch_size}")
    if run.label:
        parts.append("label=" + run.label.replace(";", ","))
    if run.color:
        parts.append("color=" + run.color)
    return ";".join(parts)


def decode_run(text: str, notices: list[str]) -> RunConfig | None:
    """The inverse of :func:`encode_run`; None (with a notice) when the optimizer is unknown."""
    head, *options = text.split(";")
    name, _, hparam_text = head.partition(":")
    spec = OPTIMIZERS.get(name.strip())
    if spec is None:
        notices.append(f"unknown optimizer {name[:40]!r} in the link was ignored")
        return None
    params = [p for p in spec.params if p.name not in SHARED_HPARAMS]
    hparams = _coerce_params(params, _pairs(hparam_text), name, notices)
    run = RunConfig(spec.name, hparams)
    for option in options:
        key, _, value = option.partition("=")
        if key == "schedule":
            sched_name, _, sched_text = value.partition(":")
            sched = SCHEDULES.get(sched_name)
            if sched is None:
                notices.append(f"unknown schedule {sched_name[:40]!r} was ignored")
                continue
            run = replace(run, schedule=sched_name,
                          schedule_params=_coerce_params(sched.params, _pairs(sched_text), sched_name, notices))
        elif key == "batch":
            run = replace(run, batch_size=_number(value, 0, MAX_BATCH, 0, "batch", notices, integer=True))
        elif key == "label":
            run = replace(run, label=value[:60])
        elif key == "color":
            if len(value) == 7 and value[0] == "#" and all(c in "0123456789abcdefABCDEF" for c in value[1:]):
                run = replace(run, color=value)
            else:
                notices.append(f"colour {value[:20]!r} is not of the form #rrggbb and was ignored")
        else:
            notices.append(f"unknown run option {key[:40]!r} was ignored")
    return run


def to_query(config: AppConfig) -> dict[str, str | list[str]]:
    """The URL query parameters for ``config``, leaving out what equals the default."""
    default = AppConfig()
    query: dict[str, str | list[str]] = {"surface": config.surface}
    for key, value in config.surface_params:
        query[f"s.{key}"] = _format(value)
    query["run"] = [encode_run(r) for r in config.runs]
    for name in ("steps", "noise", "seed", "weight_decay", "clip_norm", "view", "lesson"):
        value = getattr(config, name)
        if value != getattr(default, name):
            query[name] = _format(value)
    if config.start is not None:
        query["start"] = f"{_format(config.start[0])},{_format(config.start[1])}"
    if config.overlays:
        query["overlays"] = ",".join(config.overlays)
    if config.presentation:
        query["present"] = "1"
    if config.show_3d:
        query["3d"] = "1"
    for key, value in config.extras:
        query[f"x.{key}"] = _format(value)
    return query


def from_query(query: Mapping[str, Sequence[str]]) -> tuple[AppConfig, list[str]]:
    """Read a config from query parameters (each key mapped to its list of values).

    Never raises; returns the config and the notices about everything that was corrected.
    """
    notices: list[str] = []

    def first(key: str) -> str | None:
        values = query.get(key) or []
        return str(values[0]) if values else None

    config = AppConfig()
    surface = first("surface")
    if surface is not None:
        if surface in SURFACES:
            config = replace(config, surface=surface)
        else:
            notices.append(f"unknown surface {surface[:40]!r}; showing the default")
    raw_surface = {k[2:]: str(v[0]) for k, v in query.items() if k.startswith("s.") and v}
    config = replace(config, surface_params=_coerce_params(
        SURFACES[config.surface].params, raw_surface, config.surface, notices))

    run_texts = [str(t) for t in (query.get("run") or [])]
    if len(run_texts) > MAX_RUNS:
        notices.append(f"only the first {MAX_RUNS} of {len(run_texts)} runs are shown")
    runs = [r for t in run_texts[:MAX_RUNS] if (r := decode_run(t[:MAX_VALUE_LENGTH], notices)) is not None]
    if run_texts:
        config = replace(config, runs=tuple(runs))

    numbers = {  # name: (low, high, integer)
        "steps": (1, MAX_STEPS, True),
        "noise": (0.0, 100.0, False),
        "seed": (0, 2**31 - 1, True),
        "weight_decay": (0.0, 1.0, False),
        "clip_norm": (0.0, 1e6, False),
    }
    for name, (low, high, integer) in numbers.items():
        text = first(name)
        if text is not None:
            default = getattr(config, name)
            config = replace(config, **{name: _number(text, low, high, default, name, notices, integer)})

    start = first("start")
    if start is not None:
        pieces = start.split(",")
        if len(pieces) == 2:
            (x0, x1), (y0, y1) = _bounds_of(config)
            span = max(x1 - x0, y1 - y0)
            config = replace(config, start=(
                _number(pieces[0], x0 - span, x1 + span, 0.0, "start x", notices),
                _number(pieces[1], y0 - span, y1 + span, 0.0, "start y", notices),
            ))
        else:
            notices.append("start must be two numbers 'x,y'; using the surface's default start")

    for name, allowed in (("view", VIEWS),):
        text = first(name)
        if text is not None:
            if text in allowed:
                config = replace(config, **{name: text})
            else:
                notices.append(f"unknown {name} {text[:40]!r}; showing {getattr(config, name)!r}")
    overlays = first("overlays")
    if overlays:
        chosen = [o for o in overlays.split(",") if o in OVERLAYS]
        if len(chosen) != len([o for o in overlays.split(",") if o]):
            notices.append("unknown overlays in the link were ignored")
        config = replace(config, overlays=tuple(dict.fromkeys(chosen)))
    lesson = first("lesson")
    if lesson:
        config = replace(config, lesson=lesson[:60])
    if first("present") in ("1", "true"):
        config = replace(config, presentation=True)
    if first("3d") in ("1", "true"):
        config = replace(config, show_3d=True)
    extras = {k[2:]: str(v[0])[:100] for k, v in query.items() if k.startswith("x.") and v}
    if extras:
        config = replace(config, extras=items(extras))
    return config, notices


def _bounds_of(config: AppConfig):
    from surfaces import get_surface

    try:
        return get_surface(config.surface, **dict(config.surface_params)).bounds
    except ValueError:
        return get_surface(config.surface).bounds if config.surface != "custom" else ((-3, 3), (-3, 3))
