"""The app's whole state as one immutable record, its settings as one table, and the URL codec.

Everything on screen is a function of an :class:`AppConfig`, so a copied link reproduces the
exact picture. The app's own settings (steps, noise, the view, the overlays...) are described
once, in :data:`SETTINGS`, as the same :class:`~surfaces.params.Param` records that describe
every surface and optimizer parameter: the defaults, the link codec and the widgets are loops
over that table, so a link can never carry a value that a widget refuses.

Reading a link never raises: unknown names are ignored, values out of range are clamped, and
each correction comes back as a :class:`Notice` naming the widget it concerns.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, replace
from typing import NamedTuple

from analysis.limits import MAX_STEPS
from optimizers import OPTIMIZERS, SCHEDULES
from plots import OVERLAYS, PALETTE
from plots.curves import KINDS as CURVES
from surfaces import SURFACES, get_surface
from surfaces.params import Param, Registry

from .labels import run_labels

MAX_RUNS = 8
MAX_VALUE_LENGTH = 600  # characters of any single URL value (a formula is at most 500)
MAX_LABEL_LENGTH = 60
MAX_BATCH = 4096
SHARED_HPARAMS = ("weight_decay",)  # set once for every run, in the shared settings
IGNORED_LINK_KEYS = ("embed", "embed_options")  # Streamlit's own query parameters

Items = tuple[tuple[str, object], ...]


def items(mapping: Mapping[str, object]) -> Items:
    """A hashable, order-independent form of a parameter dict (for caching and equality)."""
    return tuple(sorted(mapping.items()))


def non_default(params: Sequence[Param], values: Mapping[str, object]) -> Items:
    """The canonical form of parameter values: only those that differ from their defaults."""
    defaults = {p.name: p.default for p in params}
    return items({k: v for k, v in values.items() if v != defaults.get(k)})


# ---------------------------------------------------------------------------- registries the app fills


class View(NamedTuple):
    """One view of the main area: its name in the link, its title on the view switch, and what draws it."""

    name: str
    title: str
    render: Callable  # render(config, surface) draws the view


# Filled when the ``ui`` package is imported: ui/views.py and ui/explore.py add their views, ui/lessons.py its
# scenes (see ui/__init__.py). The settings below read them when a link is decoded or a widget drawn.
VIEWS = Registry("view", View)
LESSONS = Registry("lesson", None)


# ---------------------------------------------------------------------------- the settings table


SETTINGS: dict[str, Param] = {p.name: p for p in (
    Param("surface", "ill_conditioned_bowl", kind="choice", choices=SURFACES, label="Surface"),
    Param("steps", 100, 1, MAX_STEPS, kind="int", label="Steps"),
    Param("noise", 1.0, 0.0, 20.0, step=0.1, label="Gradient noise σ (per example)",
          help="Used by runs with a batch size B > 0, as noise of standard deviation σ/√B."),
    Param("seed", 0, 0, 2**31 - 1, kind="int", label="Noise seed", extra={"widget": "number"}),
    Param("weight_decay", 0.0, 0.0, 1.0, step=0.001, label="Weight decay", symbol=r"\lambda",
          help="L2 penalty for every run (decoupled for AdamW, as in torch)."),
    Param("clip_norm", 0.0, 0.0, 1e6, step=1.0, label="Clip gradient norm (0 = off)", extra={"widget": "number"}),
    Param("overlays", (), kind="multi", choices=OVERLAYS, label="Overlays"),
    Param("show_3d", False, kind="bool", label="3D view", extra={"url": "3d"},
          help="The surface in 3D beside the contours (slower to redraw)."),
    Param("presentation", False, kind="bool", label="Presentation mode (large fonts)", extra={"url": "present"},
          help="For a projector. A link with this on opens with the controls hidden; the « and » buttons hide "
               "and show them at any time."),
    Param("view", "compare", kind="choice", choices=VIEWS, label="View", extra={"widget": "segmented"}),
    Param("lesson", "", kind="choice", choices=LESSONS, label="Lesson"),
    # By default the last step (clamped to steps): a page opens on the whole paths, and Play starts them over.
    Param("step", MAX_STEPS, 0, MAX_STEPS, kind="int", label="Step", help="Move every view to step t."),
    Param("curve", "loss", kind="choice", choices=CURVES, label="Curve", extra={"widget": "segmented"}),
)}


def url_key(p: Param) -> str:
    return p.extra.get("url", p.name)


def choice_title(p: Param, choice: str) -> str:
    """What a widget shows for one of ``p``'s choices: the registry entry's title when it has one."""
    entry = p.choices[choice] if isinstance(p.choices, Mapping) and choice in p.choices else choice
    if isinstance(entry, str):  # a plain choice, or the empty default ("" has a .title too: the str method)
        return entry or "none"
    return getattr(entry, "title", None) or choice or "none"


def start_params(surface) -> tuple[Param, Param]:
    """The start point's coordinates: the surface's own start by default, anywhere within one view's width of it."""
    (x0, x1), (y0, y1) = surface.bounds
    span = max(x1 - x0, y1 - y0)
    number = {"widget": "number"}
    return (Param("start_x", float(surface.start[0]), x0 - span, x1 + span, label="Start x", extra=number),
            Param("start_y", float(surface.start[1]), y0 - span, y1 + span, label="Start y", extra=number))


# ---------------------------------------------------------------------------- the records


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

    def display_color(self, index: int) -> str:
        return self.color or PALETTE[index % len(PALETTE)]


def suggested_runs(surface: str) -> tuple[RunConfig, ...]:
    """The runs a surface opens with: its registry entry's ``suggested`` runs, tuned to show its lesson."""
    return tuple(RunConfig(r.optimizer, non_default(OPTIMIZERS[r.optimizer].params, dict(r.hparams)),
                           batch_size=r.batch_size) for r in SURFACES[surface].suggested)


# The first picture a visitor sees: the default bowl's suggested runs (gradient descent zig-zags across the
# valley, heavy ball goes straight down it, Adam at a fixed rate hovers); tests/test_lessons.py holds the claim.
DEFAULT_RUNS = suggested_runs(SETTINGS["surface"].default)


def _default(name: str):
    return SETTINGS[name].default


@dataclass(frozen=True)
class AppConfig:
    """Everything that decides what the page shows. The defaults are the settings table's."""

    surface: str = _default("surface")
    surface_params: Items = ()
    runs: tuple[RunConfig, ...] = DEFAULT_RUNS
    start: tuple[float, float] | None = None  # None: the surface's own default start
    steps: int = _default("steps")
    noise: float = _default("noise")  # sigma of the per-example gradient noise (used by runs with a batch size)
    seed: int = _default("seed")
    weight_decay: float = _default("weight_decay")
    clip_norm: float = _default("clip_norm")  # 0: no clipping
    overlays: tuple[str, ...] = _default("overlays")
    show_3d: bool = _default("show_3d")  # the 3D view costs the browser the most time to draw, so it is opt-in
    presentation: bool = _default("presentation")
    view: str = _default("view")
    lesson: str = _default("lesson")
    step: int = _default("step")  # the step the views show (at most steps: see __post_init__)
    curve: str = _default("curve")  # the curve shown beside the contour

    def __post_init__(self):
        if self.step > self.steps:  # the step shown lies on the paths: the default (the last step) included
            object.__setattr__(self, "step", self.steps)

    def labels(self) -> list[str]:
        """The runs' labels: their own, or automatic ones that tell runs apart ("SGD η=0.01", "SGD η=0.1")."""
        return run_labels(self.runs)


def base_config(lesson: str) -> AppConfig:
    """What a link is read against: the lesson's scene when it names one, else the defaults."""
    return LESSONS[lesson].config if lesson in LESSONS else AppConfig()


def surface_of(config: AppConfig):
    """The config's surface; its defaults when its parameters are rejected (a formula that does not parse)."""
    try:
        return get_surface(config.surface, **dict(config.surface_params))
    except ValueError:
        return get_surface(config.surface)


# ---------------------------------------------------------------------------- reading one value


class Notice(NamedTuple):
    """A correction made while reading a link. ``key`` is the widget it concerns (None: the link as a whole):
    the page shows it until that widget's value changes."""

    text: str
    key: str | None = None


def _shown(text: str) -> str:
    return repr(text[:40] + ("…" if len(text) > 40 else ""))


def coerce(param: Param, text: str, owner: str, fallback=None) -> tuple[object, str | None]:
    """Read one value from text for ``param``: (value, notice or None). Never raises.

    Out-of-range numbers are clamped to the slider's range; unreadable values give ``fallback`` (the
    default when None). The notice says what was changed and why.
    """
    fallback = param.default if fallback is None else fallback
    where = f"{owner}: {param.name}"
    if len(text) > MAX_VALUE_LENGTH:
        return fallback, f"{where} was too long ({len(text)} characters) and was ignored"
    if param.kind == "text":
        return text, None
    if param.kind == "choice":
        if text in param.choices or text == param.default:  # the default may be "none" ("": no lesson)
            return text, None
        return fallback, f"unknown {param.name} {_shown(text)}; using {choice_title(param, fallback)!r}"
    if param.kind == "multi":
        named = [piece for piece in text.split(",") if piece]
        chosen = tuple(dict.fromkeys(piece for piece in named if piece in param.choices))
        unknown = [piece for piece in named if piece not in param.choices]
        return chosen, (f"unknown {param.name} {_shown(','.join(unknown))} ignored" if unknown else None)
    if param.kind == "bool":
        lowered = text.strip().lower()
        if lowered in ("1", "true", "yes", "on"):
            return True, None
        if lowered in ("0", "false", "no", "off"):
            return False, None
        return fallback, f"{where}: {_shown(text)} is not true/false; using {format_value(fallback)}"
    try:
        number = float(text)
    except ValueError:
        return fallback, f"{where}: {_shown(text)} is not a number; using {format_value(fallback)}"
    if not math.isfinite(number):
        return fallback, f"{where}: {_shown(text)} is not a finite number; using {format_value(fallback)}"
    clamped = min(max(number, param.low), param.high)
    if param.kind == "int":
        clamped = round(clamped)
    if clamped != number:
        return clamped, f"{where} = {number:g} is outside [{param.low:g}, {param.high:g}]; clamped to {clamped:g}"
    return clamped, None


def _coerce_params(params: Sequence[Param], raw: Mapping[str, str], owner: str, key_prefix: str,
                   notices: list[Notice]) -> dict[str, object]:
    """Every readable value of ``raw`` (defaults included), with a notice per correction."""
    known = {p.name: p for p in params}
    out = {}
    for name, text in raw.items():
        if name not in known:
            notices.append(Notice(f"{owner}: unknown parameter {_shown(name)} was ignored"))
            continue
        value, notice = coerce(known[name], text, owner)
        if notice:
            notices.append(Notice(notice, f"{key_prefix}.{name}"))
        out[name] = value
    return out


# ---------------------------------------------------------------------------- the URL


def format_value(value) -> str:
    """A value as the link writes it: short floats (``-2.4``, not ``-2.4000000000000004``)."""
    if isinstance(value, bool):
        return "1" if value else "0"
    if isinstance(value, float):
        return format(value, ".12g")
    if isinstance(value, tuple):
        return ",".join(value)
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
    hparams = ",".join(f"{k}={format_value(v)}" for k, v in run.hparams)
    parts = [run.optimizer + (":" + hparams if hparams else "")]
    if run.schedule != "constant":
        sched = ",".join(f"{k}={format_value(v)}" for k, v in run.schedule_params)
        parts.append(f"schedule={run.schedule}" + (f":{sched}" if sched else ""))
    if run.batch_size:
        parts.append(f"batch={run.batch_size}")
    if run.label:
        parts.append("label=" + run.label.replace(";", ","))
    if run.color:
        parts.append("color=" + run.color)
    return ";".join(parts)


BATCH = Param("batch", 0, 0, MAX_BATCH, kind="int")


def decode_run(text: str, notices: list[Notice], index: int = 0) -> RunConfig | None:
    """The inverse of :func:`encode_run`; None (with a notice) when the optimizer is unknown.

    ``index`` is the run's position, for the widget keys the notices name.
    """
    head, *options = text.split(";")
    name, _, hparam_text = head.partition(":")
    spec = OPTIMIZERS.get(name.strip())
    if spec is None:
        notices.append(Notice(f"unknown optimizer {_shown(name)} in the link was ignored"))
        return None
    params = [p for p in spec.params if p.name not in SHARED_HPARAMS]
    hparams = _coerce_params(params, _pairs(hparam_text), spec.name, f"run.{index}.{spec.name}", notices)
    if broken := spec.order_violations(hparams):
        notices.append(Notice(f"{spec.title}: {broken[0]}; using the defaults for both",
                              f"run.{index}.{spec.name}.{spec.ordered[0][0]}"))
        hparams = {k: v for k, v in hparams.items() if not any(k in pair for pair in spec.ordered)}
    run = RunConfig(spec.name, non_default(params, hparams))
    for option in options:
        key, _, value = option.partition("=")
        if key == "schedule":
            sched_name, _, sched_text = value.partition(":")
            sched = SCHEDULES.get(sched_name)
            if sched is None:
                notices.append(Notice(f"unknown schedule {_shown(sched_name)} was ignored", f"run.{index}.schedule"))
                continue
            sched_params = _coerce_params(sched.params, _pairs(sched_text), sched_name,
                                          f"run.{index}.schedule.{sched_name}", notices)
            run = replace(run, schedule=sched_name, schedule_params=non_default(sched.params, sched_params))
        elif key == "batch":
            batch, notice = coerce(BATCH, value, "batch")
            if notice:
                notices.append(Notice(notice, f"run.{index}.batch"))
            run = replace(run, batch_size=batch)
        elif key == "label":
            run = replace(run, label=value[:MAX_LABEL_LENGTH])
        elif key == "color":
            if len(value) == 7 and value[0] == "#" and all(c in "0123456789abcdefABCDEF" for c in value[1:]):
                run = replace(run, color=value)
            else:
                notices.append(Notice(f"colour {_shown(value)} is not of the form #rrggbb and was ignored",
                                      f"run.{index}.color"))
        else:
            notices.append(Notice(f"unknown run option {_shown(key)} was ignored"))
    return run


def _surface_values(config: AppConfig) -> dict[str, object]:
    """Every surface parameter of ``config``, defaults filled in."""
    return {p.name: p.default for p in SURFACES[config.surface].params} | dict(config.surface_params)


def to_query(config: AppConfig) -> dict[str, str | list[str]]:
    """The URL query parameters for ``config``: what differs from its base (the lesson's scene, or the defaults).

    The surface and the runs are always written, so a link keeps its picture when the defaults change.
    """
    base = base_config(config.lesson)
    query: dict[str, str | list[str]] = {"surface": config.surface}
    reference = _surface_values(base if base.surface == config.surface else AppConfig(surface=config.surface))
    for key, value in _surface_values(config).items():
        if value != reference[key]:
            query[f"s.{key}"] = format_value(value)
    query["run"] = [encode_run(r) for r in config.runs] or [""]
    for p in SETTINGS.values():
        value = getattr(config, p.name)
        unchanged = getattr(AppConfig() if p.name == "lesson" else base, p.name)  # the lesson itself is always said
        if p.name != "surface" and value != unchanged:
            query[url_key(p)] = format_value(value)
    if config.start is not None:
        query["start"] = f"{format_value(config.start[0])},{format_value(config.start[1])}"
    return query


def from_query(query: Mapping[str, Sequence[str]]) -> tuple[AppConfig, list[Notice]]:
    """Read a config from query parameters (each key mapped to its list of values).

    Never raises; returns the config and the notices about everything that was corrected.
    """
    notices: list[Notice] = []

    def first(key: str) -> str | None:
        values = query.get(key) or []
        return str(values[0]) if values else None

    def read(p: Param, default):
        text = first(url_key(p))
        if text is None:
            return default
        value, notice = coerce(p, text, "link", fallback=default)
        if notice:
            notices.append(Notice(notice, p.name))
        return value

    config = base_config(read(SETTINGS["lesson"], ""))
    config = replace(config, surface=read(SETTINGS["surface"], config.surface))
    base_params = _surface_values(config) if config.surface == base_config(config.lesson).surface else {}
    raw_surface = {k[2:]: str(v[0]) for k, v in query.items() if k.startswith("s.") and v}
    values = base_params | _coerce_params(SURFACES[config.surface].params, raw_surface, config.surface,
                                          f"surface.{config.surface}", notices)
    config = replace(config, surface_params=non_default(SURFACES[config.surface].params, values))

    if "run" in query:
        run_texts = [str(t) for t in query["run"] or [] if str(t)]
        if len(run_texts) > MAX_RUNS:
            notices.append(Notice(f"only the first {MAX_RUNS} of {len(run_texts)} runs are shown"))
        decoded = (decode_run(t[:MAX_VALUE_LENGTH], notices, i) for i, t in enumerate(run_texts[:MAX_RUNS]))
        config = replace(config, runs=tuple(run for run in decoded if run is not None))

    for p in SETTINGS.values():
        if p.name not in ("lesson", "surface"):
            config = replace(config, **{p.name: read(p, getattr(config, p.name))})
    config = replace(config, step=min(config.step, config.steps))

    start = first("start")
    if start is not None:
        config = replace(config, start=_read_start(start, config, notices))
    known = {url_key(p) for p in SETTINGS.values()} | {"run", "start", *IGNORED_LINK_KEYS}
    for key in query:
        if key not in known and not key.startswith("s."):
            notices.append(Notice(f"the link's {_shown(key)} is not a setting and was ignored"))
    return config, notices


def _read_start(text: str, config: AppConfig, notices: list[Notice]) -> tuple[float, float] | None:
    """``x,y``; a coordinate that cannot be read falls back to the surface's own, as the notice says."""
    pieces = text.split(",")
    if len(pieces) != 2:
        notices.append(Notice("start must be two numbers 'x,y'; using the surface's default start", "start_x"))
        return None
    point = []
    for p, piece in zip(start_params(surface_of(config)), pieces, strict=True):
        value, notice = coerce(p, piece, "start")  # unreadable: the surface's own coordinate (the default)
        if notice:
            notices.append(Notice(notice, p.name))
        point.append(float(value))
    return tuple(point)
