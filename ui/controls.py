"""Sidebar controls, generated from the registries and the settings table: no ``if`` per setting.

Widget values live in ``st.session_state`` under stable keys: a setting under its own name
(``steps``), a surface parameter under ``surface.<surface>.<name>``, a run's hyperparameter under
``run.<id>.<optimizer>.<name>``. :func:`apply_config` writes a whole :class:`AppConfig` into those
keys (from the URL, or a lesson button), and :func:`config_from_sidebar` reads the widgets back.
"""

from __future__ import annotations

import math
from functools import lru_cache

import numpy as np
import streamlit as st

from optimizers import OPTIMIZERS, SCHEDULES
from surfaces import SURFACES
from surfaces.params import Param

from .compute import make_surface
from .config import (
    LESSONS,
    MAX_BATCH,
    MAX_LABEL_LENGTH,
    MAX_RUNS,
    PALETTE,
    SETTINGS,
    SHARED_HPARAMS,
    AppConfig,
    Notice,
    RunConfig,
    choice_title,
    items,
    non_default,
    start_params,
    suggested_runs,
)
from .labels import plain_label, slider_format, slider_step
from .text import markdown_literal

LOG_SLIDER_POINTS_PER_DECADE = 24
SHARED_SETTINGS = ("steps", "noise", "seed", "weight_decay", "clip_norm")  # the sidebar's "Shared settings"
# Shared settings a surface made of examples does not use, shown disabled there with the reason.
UNUSED_ON_EXAMPLES = {"noise": "Not used on a surface made of examples: there a run's batch size B draws B of the "
                               "examples for each step, and their disagreement is the gradient noise."}
DISPLAY_SETTINGS = ("overlays", "show_3d", "presentation")  # and its "Display"


# ---------------------------------------------------------------------------- one parameter


def log_options(p: Param, current: float) -> list[float]:
    """Log-spaced slider stops from ``low`` to ``high`` (3 significant digits), plus the current value.

    When zero is the default (``damping``, a decay rate) it is the first stop: "off".
    """
    stops = set(_log_grid(p.low, p.high, p.default == 0))
    if p.low <= current <= p.high:
        stops.add(float(current))
    return sorted(stops)


@lru_cache(maxsize=256)  # every log slider asks on every rerun
def _log_grid(low: float, high: float, with_zero: bool) -> tuple[float, ...]:
    grid = np.geomspace(low, high, round(math.log10(high / low) * LOG_SLIDER_POINTS_PER_DECADE) + 1)
    return tuple({float(f"{v:.3g}") for v in grid} | ({0.0} if with_zero else set()))


def nearest_option(options: list[float], value: float) -> float:
    """The stop closest to ``value`` on a log scale (zero only for zero)."""
    if value <= 0:
        return options[0]
    positive = [v for v in options if v > 0]
    return min(positive, key=lambda v: abs(math.log(v / value)))


def param_widget(p: Param, key: str, container=st.sidebar, *, above: float | None = None,
                 below: float | None = None, **options):
    """The widget for one Param, chosen by its kind and scale; returns its value.

    ``above``/``below`` exclude the values a related parameter rules out (c1 < c2), so they cannot be set.
    ``options`` go to the widget (``label_visibility``, ``on_change``).
    """
    if key not in st.session_state:
        st.session_state[key] = p.default
    options = {"help": p.help or None, **options}
    label = plain_label(p)  # no raw LaTeX: a screen reader says what a sighted reader sees
    if p.kind == "bool":
        return container.toggle(label, key=key, **options)
    if p.kind == "choice" and p.extra.get("widget") == "segmented":  # a row of buttons; none pressed: the default
        if st.session_state[key] not in p.choices:
            st.session_state[key] = p.default
        return container.segmented_control(label, list(p.choices), key=key, format_func=lambda c: choice_title(p, c),
                                           **options) or p.default
    if p.kind in ("choice", "multi"):
        widget = container.multiselect if p.kind == "multi" else container.selectbox
        return widget(label, list(p.choices), key=key, format_func=lambda c: choice_title(p, c), **options)
    if p.kind == "text":
        return container.text_input(label, key=key, max_chars=int(p.high), **options)
    if p.kind == "int":
        st.session_state[key] = int(min(max(st.session_state[key], p.low), p.high))
        if p.extra.get("widget") == "number":
            return container.number_input(label, int(p.low), int(p.high), key=key, step=1, **options)
        return container.slider(label, int(p.low), int(p.high), key=key, **options)
    st.session_state[key] = float(min(max(st.session_state[key], p.low), p.high))
    if p.extra.get("widget") == "number":
        return container.number_input(label, float(p.low), float(p.high), key=key, step=slider_step(p), **options)
    if p.log:
        stops = [v for v in log_options(p, st.session_state[key])
                 if (above is None or v > above) and (below is None or v < below)]
        if st.session_state[key] not in stops:
            st.session_state[key] = nearest_option(stops, st.session_state[key])
        return container.select_slider(label, stops, key=key, format_func=lambda v: f"{v:g}", **options)
    return container.slider(label, float(p.low), float(p.high), key=key, step=slider_step(p),
                            format=slider_format(p), **options)


def setting_widget(name: str, container=st.sidebar, **options):
    """The widget of one of the app's own settings (its key is the setting's name)."""
    return param_widget(SETTINGS[name], name, container, **options)


# ---------------------------------------------------------------------------- config -> widgets


def apply_config(config: AppConfig) -> None:
    """Write ``config`` into the widgets' session state (call before widgets are drawn, or in a callback)."""
    state = st.session_state
    for key in [k for k in state if isinstance(k, str) and k.startswith(("run.", "surface."))]:
        del state[key]
    for name in SETTINGS:
        state[name] = getattr(config, name)
    state["overlays"] = list(config.overlays)
    for name, value in config.surface_params:
        state[f"surface.{config.surface}.{name}"] = value
    surface = _surface_or_default(config)
    start = config.start if config.start is not None else tuple(surface.start)
    state["start_x"], state["start_y"] = float(start[0]), float(start[1])
    state["run_ids"] = list(range(len(config.runs)))
    state["next_run_id"] = len(config.runs)
    for run_id, run in enumerate(config.runs):
        _apply_run(run_id, run)


def _apply_run(run_id: int, run: RunConfig) -> None:
    state = st.session_state
    state[f"run.{run_id}.optimizer"] = run.optimizer
    for name, value in run.hparams:
        state[f"run.{run_id}.{run.optimizer}.{name}"] = value
    state[f"run.{run_id}.schedule"] = run.schedule
    for name, value in run.schedule_params:
        state[f"run.{run_id}.schedule.{run.schedule}.{name}"] = value
    state[f"run.{run_id}.batch"] = run.batch_size
    state[f"run.{run_id}.label"] = run.label
    state[f"run.{run_id}.color"] = run.color or PALETTE[run_id % len(PALETTE)]


def _surface_or_default(config: AppConfig):
    try:
        return make_surface(config.surface, config.surface_params)
    except ValueError:
        return make_surface(config.surface, ())


# ---------------------------------------------------------------------------- the link's notices


def keep_notices(notices: list[Notice]) -> None:
    """Keep the link's notices for :func:`show_notices`."""
    st.session_state["link_notices"] = list(notices)


def show_notices(config: AppConfig) -> None:
    """The link's notices that still apply, drawn as text (a link must not put Markdown on the page).

    On the first run (after the sidebar is drawn) each notice notes the value of the widget it concerns; it is
    dropped once that value changes, and a link-wide notice once anything in the config changes.
    """
    state = st.session_state
    if "link_notices" in state:
        state["notices"] = [(n.text, n.key, state.get(n.key)) for n in state.pop("link_notices")]
        state["first_config"] = config
    kept = [(text, key, value) for text, key, value in state.get("notices", [])
            if (state.get(key) == value if key is not None else config == state["first_config"])]
    state["notices"] = kept
    for text, _, _ in kept:
        st.warning(markdown_literal(text), icon=":material/link:")


# ---------------------------------------------------------------------------- callbacks


def _load_lesson(name: str) -> None:
    apply_config(LESSONS[name].config)


def _add_run() -> None:
    state = st.session_state
    if len(state["run_ids"]) >= MAX_RUNS:
        return
    run_id = state["next_run_id"]
    state["next_run_id"] += 1
    state["run_ids"] = [*state["run_ids"], run_id]
    _apply_run(run_id, RunConfig("sgd"))


def _duplicate_run(run_id: int) -> None:
    state = st.session_state
    if len(state["run_ids"]) >= MAX_RUNS:
        return
    new_id = state["next_run_id"]
    state["next_run_id"] += 1
    prefix = f"run.{run_id}."
    for key in [k for k in state if isinstance(k, str) and k.startswith(prefix)]:
        if not key.endswith((".dup", ".remove")):  # buttons hold no value to copy
            state[f"run.{new_id}." + key[len(prefix):]] = state[key]
    state[f"run.{new_id}.color"] = PALETTE[new_id % len(PALETTE)]
    ids = list(state["run_ids"])
    ids.insert(ids.index(run_id) + 1, new_id)
    state["run_ids"] = ids


def _remove_run(run_id: int) -> None:
    st.session_state["run_ids"] = [i for i in st.session_state["run_ids"] if i != run_id]


def _reset_runs(surface: str) -> None:
    """The surface's suggested runs in place of the current ones."""
    state = st.session_state
    for key in [k for k in state if isinstance(k, str) and k.startswith("run.")]:
        del state[key]
    runs = suggested_runs(surface)
    state["run_ids"], state["next_run_id"] = list(range(len(runs))), len(runs)
    for run_id, run in enumerate(runs):
        _apply_run(run_id, run)


def _surface_changed() -> None:
    """A new surface opens with its own start point and suggested runs (runs tuned for the bowl diverge on
    Rosenbrock at the first step)."""
    surface = make_surface(st.session_state["surface"], ())
    st.session_state["start_x"], st.session_state["start_y"] = map(float, surface.start)
    st.session_state["lesson"] = ""
    _reset_runs(st.session_state["surface"])


# ---------------------------------------------------------------------------- widgets -> config


LESSONS_OPEN = "lessons.open"  # the Lessons expander's state: its buttons are drawn only while it is open


def lesson_buttons() -> None:
    box = st.sidebar.expander("Lessons", key=LESSONS_OPEN, on_change="rerun", icon=":material/school:")
    if not box.open:  # thirteen buttons fewer to build and send on every rerun
        return
    with box:
        for lesson in LESSONS.values():
            st.button(lesson.title, key=f"lesson.{lesson.name}", on_click=_load_lesson, args=(lesson.name,),
                      width="stretch")


def surface_controls() -> tuple[str, dict]:
    sb = st.sidebar
    sb.header("Surface")
    name = setting_widget("surface", sb, on_change=_surface_changed, label_visibility="collapsed")
    return name, {p.name: param_widget(p, f"surface.{name}.{p.name}") for p in SURFACES[name].params}


def _order_limits(spec, name: str, prefix: str) -> dict[str, float]:
    """``above``/``below`` for hyperparameter ``name`` from the pairs that must stay ordered (c1 < c2)."""
    def current(other: str) -> float:
        return st.session_state.get(f"{prefix}.{other}", next(p.default for p in spec.params if p.name == other))

    limits = {}
    for smaller, larger in spec.ordered:
        if name == smaller:
            limits["below"] = current(larger)
        if name == larger:
            limits["above"] = current(smaller)
    return limits


def _run_editor(run_id: int, position: int) -> RunConfig:
    """One run's widgets, in an expander that shows one line (its number and optimizer) until opened.

    A closed run draws no widgets at all (st.expander's lazy state): ten or so fewer widgets per run to build and
    send on every rerun, about a quarter of a rerun's server time with three runs. Its values stay in the session
    state (:func:`_kept`) and are what its widgets show when it is opened.
    """
    prefix = f"run.{run_id}"
    optimizer = st.session_state.get(f"{prefix}.optimizer", "sgd")
    box = st.sidebar.expander(f"{position + 1}. {OPTIMIZERS[optimizer].title}", key=f"{prefix}.open",
                              on_change="rerun", icon=":material/timeline:")
    if not box.open:
        return _kept_run(prefix, position)
    with box:
        top = st.columns([3, 1])
        optimizer = top[0].selectbox("Optimizer", list(OPTIMIZERS), key=f"{prefix}.optimizer",
                                     format_func=lambda n: OPTIMIZERS[n].title)
        color = top[1].color_picker("Colour", key=f"{prefix}.color")
        spec = OPTIMIZERS[optimizer]
        hparams = {p.name: param_widget(p, f"{prefix}.{optimizer}.{p.name}", st,
                                        **_order_limits(spec, p.name, f"{prefix}.{optimizer}"))
                   for p in spec.params if p.name not in SHARED_HPARAMS}
        schedule, schedule_params, batch = "constant", {}, 0
        if spec.schedule:
            schedule = st.selectbox("Learning-rate schedule", list(SCHEDULES), key=f"{prefix}.schedule",
                                    format_func=lambda n: SCHEDULES[n].title)
            schedule_params = {p.name: param_widget(p, f"{prefix}.schedule.{schedule}.{p.name}", st)
                               for p in SCHEDULES[schedule].params}
        if spec.batch:
            batch = st.number_input("Batch size (0 = full batch)", 0, MAX_BATCH, step=1, key=f"{prefix}.batch",
                                    help="On a dataset surface, each step's gradient is the mean over B examples "
                                         "drawn without replacement. On a test function, gradient noise of "
                                         "standard deviation σ/√B stands in for a minibatch.")
        label = st.text_input("Label", key=f"{prefix}.label", max_chars=MAX_LABEL_LENGTH, placeholder="automatic")
        buttons = st.columns(2)
        buttons[0].button("Duplicate", key=f"{prefix}.dup", on_click=_duplicate_run, args=(run_id,),
                          width="stretch", disabled=len(st.session_state["run_ids"]) >= MAX_RUNS)
        buttons[1].button("Remove", key=f"{prefix}.remove", on_click=_remove_run, args=(run_id,), width="stretch")
    return _run_config(optimizer, hparams, schedule, schedule_params, batch, label, color, position)


def _kept(key: str, default):
    """A closed run's value: the session state's, written back. Streamlit drops the state of a widget it did not
    draw in a script run; a value written through ``st.session_state`` is kept, and its widget starts from it."""
    value = st.session_state[key] if key in st.session_state else default
    st.session_state[key] = value
    return value


def _kept_run(prefix: str, position: int) -> RunConfig:
    """The run a closed expander holds, read from the session state as its widgets would return it."""
    optimizer = _kept(f"{prefix}.optimizer", "sgd")
    spec = OPTIMIZERS[optimizer]
    hparams = {p.name: _kept(f"{prefix}.{optimizer}.{p.name}", p.default)
               for p in spec.params if p.name not in SHARED_HPARAMS}
    schedule = _kept(f"{prefix}.schedule", "constant") if spec.schedule else "constant"
    schedule_params = ({p.name: _kept(f"{prefix}.schedule.{schedule}.{p.name}", p.default)
                        for p in SCHEDULES[schedule].params} if spec.schedule else {})
    batch = _kept(f"{prefix}.batch", 0) if spec.batch else 0
    color = _kept(f"{prefix}.color", PALETTE[position % len(PALETTE)])
    return _run_config(optimizer, hparams, schedule, schedule_params, batch, _kept(f"{prefix}.label", ""), color,
                       position)


def _run_config(optimizer, hparams, schedule, schedule_params, batch, label, color, position) -> RunConfig:
    return RunConfig(
        optimizer,
        non_default(OPTIMIZERS[optimizer].params, hparams),
        schedule,
        non_default(SCHEDULES[schedule].params, schedule_params),
        int(batch),
        label.strip(),
        color if color != PALETTE[position % len(PALETTE)] else "",
    )


def run_controls(surface_name: str) -> tuple[RunConfig, ...]:
    st.sidebar.header("Runs")
    runs = tuple(_run_editor(run_id, position) for position, run_id in enumerate(st.session_state["run_ids"]))
    cols = st.sidebar.columns(2)
    cols[0].button("Add a run", on_click=_add_run, width="stretch", icon=":material/add:",
                   disabled=len(st.session_state["run_ids"]) >= MAX_RUNS)
    cols[1].button("Suggested", on_click=_reset_runs, args=(surface_name,), width="stretch",
                   icon=":material/restart_alt:", help="Reset the runs to this surface's suggested runs.")
    return runs


def shared_controls(surface) -> dict:
    examples = surface is not None and surface.finite_sum is not None
    with st.sidebar.expander("Shared settings", expanded=True, icon=":material/tune:"):
        values = {name: setting_widget(name, st, **({"disabled": True, "help": UNUSED_ON_EXAMPLES[name]}
                                                    if examples and name in UNUSED_ON_EXAMPLES else {}))
                  for name in SHARED_SETTINGS}
        cols = st.columns(2)
        start = tuple(float(param_widget(p, p.name, column, format="%.4g"))
                      for p, column in zip(start_params(surface), cols, strict=True))
        st.caption("Or click on the contour plot to set the start point.")
    own = tuple(map(float, surface.start))
    return {**values, "start": None if start == own else start}  # None: the surface's own, as in a lesson


def display_controls() -> dict:
    with st.sidebar.expander("Display", expanded=True, icon=":material/visibility:"):
        return {name: setting_widget(name, st) for name in DISPLAY_SETTINGS}


def ensure_defaults(config: AppConfig) -> None:
    """First visit of a session: load the config (from the URL) into the widgets."""
    if "run_ids" not in st.session_state:
        apply_config(config)


def config_from_sidebar() -> tuple[AppConfig, object | None, str | None]:
    """Draw the sidebar and read it into a config; also the surface (or None) and a formula error."""
    lesson_buttons()
    name, typed_values = surface_controls()
    surface, surface_values, error = _surface_with_fallback(name, typed_values)
    runs = run_controls(name)
    shared = shared_controls(surface)
    display = display_controls()
    state = st.session_state
    config = AppConfig(
        surface=name,
        surface_params=non_default(SURFACES[name].params, surface_values),
        runs=runs,
        **shared,
        overlays=tuple(display["overlays"]),
        show_3d=bool(display["show_3d"]),
        presentation=bool(display["presentation"]),
        # Drawn in the main area after the sidebar; their values are already in the session state.
        view=state.get("view") or SETTINGS["view"].default,
        lesson=state.get("lesson", ""),
        step=int(state.get("step", SETTINGS["step"].default)),  # AppConfig keeps it within steps
        curve=state.get("curve") or SETTINGS["curve"].default,
    )
    return config, surface, error


def _surface_with_fallback(name: str, values: dict):
    """The surface for these values, the values it was made with, and the error if they were rejected.

    A rejected formula keeps the last good surface on screen, and the config describes that one.
    """
    key = f"last_good.{name}"
    try:
        surface = make_surface(name, items(values))
        st.session_state[key] = dict(values)
        return surface, values, None
    except ValueError as error:
        st.sidebar.error(markdown_literal(str(error)), icon=":material/error:")
        good = st.session_state.get(key, {})
        return make_surface(name, items(good)), good, str(error)
