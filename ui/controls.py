"""Sidebar controls, generated from the registries: no ``if`` per surface or optimizer.

Widget values live in ``st.session_state`` under stable keys. :func:`apply_config` writes
a whole :class:`AppConfig` into those keys (from the URL, or a lesson button), and
:func:`sidebar` reads the widgets back into an :class:`AppConfig`.
"""

from __future__ import annotations

import math

import numpy as np
import streamlit as st

from optimizers import OPTIMIZERS, SCHEDULES
from surfaces import SURFACES
from surfaces.params import Param

from .compute import make_surface
from .config import (
    MAX_BATCH,
    MAX_RUNS,
    MAX_STEPS,
    OVERLAYS,
    PALETTE,
    SHARED_HPARAMS,
    AppConfig,
    RunConfig,
    items,
    non_default,
)
from .lessons import LESSONS

OVERLAY_LABELS = {
    "gradient_field": "gradient field",
    "eigen_directions": "Hessian eigen-directions",
    "polyak": "Polyak-averaged paths",
    "step_arrows": "arrows at the current step",
}
LOG_SLIDER_POINTS_PER_DECADE = 24


# ---------------------------------------------------------------------------- one parameter


def _label(p: Param) -> str:
    """The words, then the symbol the equations use (KaTeX): "learning rate η"."""
    return f"{p.label} ${p.symbol}$" if p.symbol else p.label


def log_options(p: Param, current: float) -> list[float]:
    """Log-spaced slider stops from ``low`` to ``high`` (3 significant digits), plus the current value.

    When zero is the default (``damping``, a decay rate) it is the first stop: "off".
    """
    decades = math.log10(p.high / p.low)
    grid = np.geomspace(p.low, p.high, round(decades * LOG_SLIDER_POINTS_PER_DECADE) + 1)
    stops = {float(f"{v:.3g}") for v in grid}
    if p.default == 0:
        stops.add(0.0)
    if p.low <= current <= p.high:
        stops.add(float(current))
    return sorted(stops)


def nearest_option(options: list[float], value: float) -> float:
    """The stop closest to ``value`` on a log scale (zero only for zero)."""
    if value <= 0:
        return options[0]
    positive = [v for v in options if v > 0]
    return min(positive, key=lambda v: abs(math.log(v / value)))


def _linear_step(p: Param) -> float:
    return 10.0 ** math.floor(math.log10((p.high - p.low) / 100.0))


def param_widget(p: Param, key: str, container=st.sidebar):
    """The widget for one Param, chosen by its kind and scale; returns its value."""
    if key not in st.session_state:
        st.session_state[key] = p.default
    label, help_text = _label(p), p.help or None
    if p.kind == "bool":
        return container.toggle(label, key=key, help=help_text)
    if p.kind == "choice":
        return container.selectbox(label, list(p.choices), key=key, help=help_text)
    if p.kind == "text":
        return container.text_input(label, key=key, help=help_text, max_chars=int(p.high))
    if p.kind == "int":
        st.session_state[key] = int(st.session_state[key])
        return container.slider(label, int(p.low), int(p.high), key=key, help=help_text)
    st.session_state[key] = float(st.session_state[key])
    if p.log:
        options = log_options(p, st.session_state[key])
        if st.session_state[key] not in options:
            st.session_state[key] = nearest_option(options, st.session_state[key])
        return container.select_slider(label, options, key=key, help=help_text, format_func=lambda v: f"{v:g}")
    return container.slider(label, float(p.low), float(p.high), key=key, help=help_text, step=_linear_step(p))


def _params_from_widgets(params, prefix: str, container=st.sidebar) -> dict:
    return {p.name: param_widget(p, f"{prefix}.{p.name}", container) for p in params}


# ---------------------------------------------------------------------------- config -> widgets


def apply_config(config: AppConfig) -> None:
    """Write ``config`` into the widgets' session state (call before widgets are drawn, or in a callback)."""
    state = st.session_state
    for key in [k for k in state if isinstance(k, str) and k.startswith(("run.", "surface."))]:
        del state[key]
    state["surface"] = config.surface
    for name, value in config.surface_params:
        state[f"surface.{config.surface}.{name}"] = value
    surface = _surface_or_default(config)
    start = config.start if config.start is not None else tuple(surface.start)
    state["start_x"], state["start_y"] = float(start[0]), float(start[1])
    state["run_ids"] = list(range(len(config.runs)))
    state["next_run_id"] = len(config.runs)
    for run_id, run in enumerate(config.runs):
        _apply_run(run_id, run)
    for name in ("steps", "noise", "seed", "weight_decay", "clip_norm", "view", "lesson", "presentation", "show_3d"):
        state[name] = getattr(config, name)
    state["overlays"] = list(config.overlays)
    state["extras"] = dict(config.extras)


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


def _surface_changed() -> None:
    """A new surface starts from its own default start point."""
    surface = make_surface(st.session_state["surface"], ())
    st.session_state["start_x"], st.session_state["start_y"] = map(float, surface.start)
    st.session_state["lesson"] = ""


# ---------------------------------------------------------------------------- widgets -> config


def lesson_buttons() -> None:
    with st.sidebar.expander("Lessons", expanded=False):
        for lesson in LESSONS.values():
            st.button(lesson.title, key=f"lesson.{lesson.name}", on_click=_load_lesson, args=(lesson.name,),
                      width="stretch")


def surface_controls() -> tuple[str, dict]:
    sb = st.sidebar
    sb.header("Surface")
    name = sb.selectbox("Surface", list(SURFACES), key="surface", format_func=lambda n: SURFACES[n].title,
                        on_change=_surface_changed, label_visibility="collapsed")
    return name, _params_from_widgets(SURFACES[name].params, f"surface.{name}")


def run_controls() -> tuple[RunConfig, ...]:
    sb = st.sidebar
    sb.header("Runs")
    runs = []
    names = list(OPTIMIZERS)
    for position, run_id in enumerate(st.session_state["run_ids"]):
        prefix = f"run.{run_id}"
        optimizer = st.session_state.get(f"{prefix}.optimizer", "sgd")
        color = st.session_state.get(f"{prefix}.color", PALETTE[position % len(PALETTE)])
        with sb.expander(f":material/timeline: Run {position + 1}: {OPTIMIZERS[optimizer].title}", expanded=True):
            top = st.columns([3, 1])
            optimizer = top[0].selectbox("Optimizer", names, key=f"{prefix}.optimizer",
                                         format_func=lambda n: OPTIMIZERS[n].title)
            color = top[1].color_picker("Colour", key=f"{prefix}.color")
            spec = OPTIMIZERS[optimizer]
            hparams = {
                p.name: param_widget(p, f"{prefix}.{optimizer}.{p.name}", st)
                for p in spec.params if p.name not in SHARED_HPARAMS
            }
            schedule, schedule_params, batch = "constant", {}, 0
            if any(p.name == "lr" for p in spec.params) and spec.family == "first-order":
                schedule = st.selectbox("Learning-rate schedule", list(SCHEDULES), key=f"{prefix}.schedule",
                                        format_func=lambda n: SCHEDULES[n].title)
                schedule_params = {p.name: param_widget(p, f"{prefix}.schedule.{schedule}.{p.name}", st)
                                   for p in SCHEDULES[schedule].params}
                batch = st.number_input("Batch size (0 = full batch, no noise)", 0, MAX_BATCH, step=1,
                                        key=f"{prefix}.batch",
                                        help="Gradient noise of standard deviation σ/√B stands in for a minibatch.")
            label = st.text_input("Label", key=f"{prefix}.label", max_chars=60, placeholder="automatic")
            buttons = st.columns(2)
            buttons[0].button("Duplicate", key=f"{prefix}.dup", on_click=_duplicate_run, args=(run_id,),
                              width="stretch", disabled=len(st.session_state["run_ids"]) >= MAX_RUNS)
            buttons[1].button("Remove", key=f"{prefix}.remove", on_click=_remove_run, args=(run_id,),
                              width="stretch")
        runs.append(RunConfig(
            optimizer,
            non_default(spec.params, hparams),
            schedule,
            non_default(SCHEDULES[schedule].params, schedule_params),
            int(batch),
            label.strip(),
            color if color != PALETTE[position % len(PALETTE)] else "",
        ))
    sb.button("Add a run", on_click=_add_run, width="stretch",
              disabled=len(st.session_state["run_ids"]) >= MAX_RUNS, icon=":material/add:")
    return tuple(runs)


def shared_controls() -> dict:
    sb = st.sidebar
    sb.header("Shared settings")
    steps = sb.slider("Steps", 1, MAX_STEPS, key="steps")
    cols = sb.columns(2)
    start_x = cols[0].number_input("Start x", key="start_x", format="%.4g", step=0.1)
    start_y = cols[1].number_input("Start y", key="start_y", format="%.4g", step=0.1)
    sb.caption("Or click on the contour plot to set the start point.")
    noise = sb.slider("Gradient noise σ (per example)", 0.0, 20.0, key="noise", step=0.1,
                      help="Used by runs with a batch size B > 0, as noise of standard deviation σ/√B.")
    seed = sb.number_input("Noise seed", 0, 2**31 - 1, key="seed", step=1)
    weight_decay = sb.slider("Weight decay $\\lambda$", 0.0, 1.0, key="weight_decay", step=0.001,
                             help="L2 penalty for every run (decoupled for AdamW, as in torch).")
    clip_norm = sb.number_input("Clip gradient norm (0 = off)", 0.0, 1e6, key="clip_norm", step=1.0)
    return dict(steps=int(steps), start=(float(start_x), float(start_y)), noise=float(noise), seed=int(seed),
                weight_decay=float(weight_decay), clip_norm=float(clip_norm))


def view_controls() -> dict:
    sb = st.sidebar
    sb.header("Display")
    overlays = sb.multiselect("Overlays", list(OVERLAYS), key="overlays", format_func=OVERLAY_LABELS.get)
    show_3d = sb.toggle("3D view", key="show_3d", help="The surface in 3D beside the contours (slower to redraw).")
    presentation = sb.toggle("Presentation mode (large fonts)", key="presentation",
                             help="For a projector. A link with this on opens with the controls hidden; "
                                  "the « and » buttons hide and show them at any time.")
    return dict(overlays=tuple(overlays), presentation=bool(presentation), show_3d=bool(show_3d))


def ensure_defaults(config: AppConfig) -> None:
    """First visit of a session: load the config (from the URL) into the widgets."""
    if "run_ids" not in st.session_state:
        apply_config(config)


def config_from_sidebar() -> tuple[AppConfig, object | None, str | None]:
    """Draw the sidebar and read it into a config; also the surface (or None) and a formula error."""
    lesson_buttons()
    name, typed_values = surface_controls()
    surface, surface_values, error = _surface_with_fallback(name, typed_values)
    runs = run_controls()
    shared = shared_controls()
    display = view_controls()
    config = AppConfig(
        surface=name,
        surface_params=non_default(SURFACES[name].params, surface_values),
        runs=runs,
        view=st.session_state.get("view", "compare"),
        lesson=st.session_state.get("lesson", ""),
        extras=items(st.session_state.get("extras", {})),
        **shared,
        **display,
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
        st.sidebar.error(str(error), icon=":material/error:")
        good = st.session_state.get(key, {})
        return make_surface(name, items(good)), good, str(error)

