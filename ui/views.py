"""The comparison view: one live canvas (``ui.canvas``) with the charts, the step control, live sliders and the
ledger; then the update rules, the summary and the exports.

Python decides what is drawn: the figures come from the pure builders in :mod:`plots`, every step's numbers from
:mod:`plots.steps`, and each live slider's fan of paths from one vectorized run (:func:`ui.compute.fan_run`). The
browser moves the step and previews a drag by indexing into them; on release it reports back, and the callback
writes the value into the same session-state key the sidebar's widget uses (one source of truth per value).
"""

from __future__ import annotations

import io
import math

import numpy as np
import plotly.io as pio
import streamlit as st

from optimizers import OPTIMIZERS
from plots import (
    Overlays,
    RunView,
    contour_figure,
    curves_figure,
    literal_text,
    model_figure,
    summary_rows,
    surface_figure,
)
from plots.curves import KINDS as CURVE_KINDS
from plots.landscape import moving_layer
from plots.runs import as_xs, scaled_height
from plots.steps import fan_arrays, ledger_series, step_data
from surfaces import Surface

from .canvas import canvas, chart, figure_json, wire
from .compute import Scene, cached_fan, cached_grid, compute_runs, fan_window
from .config import VIEWS, AppConfig, View
from .controls import log_options
from .text import csv_cell

CANVAS_KEY = "compare.canvas"
LIVE_KEYS = "compare.live_keys"  # the widget keys the live sliders may write, and their stops
LIVE_PARAMS = ("lr",)  # the hyperparameters a live slider previews (a log slider each)
FRAME_MS = 33  # the Play control's frame time at speed 1x: 30 frames a second
# The contour fills the window below its top edge (at least FIT_MIN px, at most FIT_MAX): the picture comes first.
FIT_MIN, FIT_MAX = 340, 1100
SIDE_MIN_PX, SIDE_WIDTH_PX = 360, 414  # the side column (the curves): its least and its usual width
PLOT_SHARE = 0.45  # the side column goes beside the contour when the contour's plot keeps this share of the window's
#                    height there, below it otherwise
PRESENT_SCALE = 1.5  # presentation mode: fonts of the figures and of the canvas's own controls

__all__ = ["cached_grid", "chart", "compare_view"]  # the explore views draw with the same chart


# ---------------------------------------------------------------------------- the runs


def run_ids(config: AppConfig) -> list:
    """The sidebar's id of each run (its widget keys are ``run.{id}.…``), in the config's order."""
    ids = list(st.session_state.get("run_ids", []))
    return ids if len(ids) == len(config.runs) else list(range(len(config.runs)))


def shown_step(config: AppConfig) -> int:
    return int(np.clip(config.step, 0, config.steps))


def shown_curve(config: AppConfig) -> str:
    return config.curve if config.curve in CURVE_KINDS else "loss"


# ---------------------------------------------------------------------------- what the canvas is given


def run_rows(config: AppConfig, surface: Surface, grid, scene: Scene, kind: str) -> list[dict]:
    """One row per run under the contour (the canvas's legend): its label and colour, and a live slider for each
    previewed hyperparameter with its stops (a window of the sidebar slider's own around the value) and the fan
    of paths for each stop, from one vectorized run."""
    rows = []
    labels = config.labels()
    for position, (run_id, run) in enumerate(zip(run_ids(config), config.runs, strict=True)):
        label, color = labels[position], run.display_color(position)
        sliders = []
        for p in OPTIMIZERS[run.optimizer].params:
            # a noisy run's fan would draw other noise than the run itself: no preview for it
            if p.name not in LIVE_PARAMS or not p.log or run.batch_size:
                continue
            value = float(dict(run.hparams).get(p.name, p.default))
            stops = log_options(p, value)
            lo, hi = fan_window(stops, value, config.steps)
            values = tuple(stops[lo:hi])
            fan = RunView(label, color, cached_fan(scene, run, p.name, values))
            sliders.append({
                "key": f"run.{run_id}.{run.optimizer}.{p.name}", "label": p.label,
                "values": list(values), "labels": [f"{v:g}" for v in values],
                "index": int(np.argmin(np.abs(np.log(np.asarray(values) / value)))),
                "fan": fan_arrays(surface, grid, fan, kind=kind, heights=config.show_3d),
            })
        rows.append({"run": position, "label": label, "color": color, "sliders": sliders})
    return rows


def canvas_figures(config: AppConfig, surface: Surface, grid, runs: list[RunView], step: int, kind: str) -> dict:
    """The charts the canvas draws, by name: the contour, the 3D view when on, the curves, and on a surface made
    of examples the model at the step (:func:`plots.model.model_figure`)."""
    font_scale = PRESENT_SCALE if config.presentation else 1.0
    overlays = Overlays(**{name: True for name in config.overlays})
    figures = {"contour": contour_figure(surface, grid, runs, step=step, overlays=overlays, live=True,
                                         font_scale=font_scale)}
    if config.show_3d:  # opt-in: the 3D view is the slowest chart for the browser to redraw
        figures["surface3d"] = surface_figure(surface, grid, runs, step=step, font_scale=font_scale, live=True)
    figures["curves"] = curves_figure(runs, kind=kind, step=step, optimal_value=surface.optimal_value,
                                      surface=surface, font_scale=font_scale)
    if surface.finite_sum is not None:
        points = [as_xs(run.trajectory)[min(step, len(run.trajectory.xs) - 1), 0] for run in runs]
        figures["model"] = model_figure(surface, np.reshape(points, (-1, 2)), names=[run.label for run in runs],
                                        colors=[run.color for run in runs], font_scale=font_scale)
    return {name: literal_text(fig) for name, fig in figures.items()}  # run labels are the users' own text


def canvas_data(config: AppConfig, surface: Surface, grid, runs: list[RunView], scene: Scene) -> dict:
    """Everything the canvas is given for ``config`` (plain data: the AppTest tests read it)."""
    step, kind = shown_step(config), shown_curve(config)
    figures = canvas_figures(config, surface, grid, runs, step, kind)
    grow = scaled_height(1000, PRESENT_SCALE) / 1000 if config.presentation else 1.0  # larger text: taller charts
    charts = [{"id": "contour", "area": "main", "figure": figure_json(figures["contour"], fit=True), "fit": True,
               "click": "start", "layers": moving_layer(figures["contour"])}]
    if "surface3d" in figures:
        charts.append({"id": "surface3d", "area": "side", "figure": figure_json(figures["surface3d"], fit=True),
                       "height": f"calc(max(360px, 45vh) * {grow:g})"})
    if "model" in figures:  # beside the contour (below it in a narrow window), above the curves
        charts.append({"id": "model", "area": "side", "figure": figure_json(figures["model"], fit=True),
                       "height": f"calc(max(340px, 42vh) * {grow:g})"})
    charts.append({"id": "curves", "area": "side", "figure": figure_json(figures["curves"], fit=True),
                   "height": f"calc(max(340px, 42vh) * {grow:g})"})
    player = step_data(surface, grid, runs, figures, arrows="step_arrows" in config.overlays)
    rows = run_rows(config, surface, grid, scene, kind)
    st.session_state[LIVE_KEYS] = {s["key"]: s["values"] for row in rows for s in row["sliders"]}
    return {
        "charts": charts,
        "layout": {"fit_min": FIT_MIN, "fit_max": FIT_MAX, "side_min": SIDE_MIN_PX, "side_width": SIDE_WIDTH_PX,
                   "plot_share": PLOT_SHARE,
                   "scale": PRESENT_SCALE if config.presentation else 1.0},
        "player": {**player, "step": step, "frame_ms": FRAME_MS, "speeds": [0.25, 0.5, 1, 2, 4]},
        "curves": {"kinds": [{"value": k, "label": v} for k, v in CURVE_KINDS.items()], "value": kind},
        "runs": rows,
        "ledger": ledger_series(runs),
    }


def on_canvas_action() -> None:
    """The canvas's events, before the rerun they cause: each is checked, then written where its widget reads it."""
    event = (st.session_state.get(CANVAS_KEY) or {}).get("action")
    if not isinstance(event, dict):
        return
    kind = event.get("kind")
    if kind == "step" and _finite(event.get("step")):
        st.session_state["step"] = max(0, int(event["step"]))  # clipped to the run when read
    elif kind == "start" and _finite(event.get("x")) and _finite(event.get("y")):
        st.session_state["start_x"], st.session_state["start_y"] = round(event["x"], 4), round(event["y"], 4)
    elif kind == "curve" and event.get("value") in CURVE_KINDS:
        st.session_state["curve"] = event["value"]
    elif kind == "hparam":
        stops = st.session_state.get(LIVE_KEYS, {}).get(event.get("key"))
        if stops and event.get("value") in stops:  # only a stop of that very slider, never free text
            st.session_state[event["key"]] = float(event["value"])


def _finite(value) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value)


# ---------------------------------------------------------------------------- the comparison view


def compare_view(config: AppConfig, surface: Surface) -> None:
    scene = Scene.of(config)
    runs = compute_runs(config, scene)
    grid = cached_grid(config.surface, config.surface_params, 120)
    main_area_style(config.presentation)
    canvas(wire(canvas_data(config, surface, grid, runs, scene)), key=CANVAS_KEY, on_action=on_canvas_action)
    update_rules(config)
    summary_table(surface, runs)
    downloads(config, surface, grid, runs, Overlays(**{name: True for name in config.overlays}))


def main_area_style(presenting: bool) -> None:
    """Less padding above the page, so the picture starts higher; in presentation mode larger text everywhere."""
    css = ("[data-testid='stMainBlockContainer']{padding-top:1rem}"
           "[data-testid='stMain'] h1{font-size:2.1rem;padding:0.2rem 0}")
    if presenting:  # larger than all of that, but not so large the header pushes the picture off the screen
        css += ("[data-testid='stMainBlockContainer']{padding-top:2.5rem}"
                "[data-testid='stMain'] h1{font-size:2.8rem !important}"
                "[data-testid='stMain'] [data-testid='stCaptionContainer'] p{font-size:1.05rem !important}")
        css += ("[data-testid='stMain'] p, [data-testid='stMain'] li, [data-testid='stMain'] label,"
                "[data-testid='stMain'] button, [data-testid='stMain'] [role='tab'] p{font-size:1.3rem !important}"
                "[data-testid='stMain'] h2, [data-testid='stMain'] h3{font-size:2rem !important}")
    st.html(f"<style>{css}</style>")


def update_rules(config: AppConfig) -> None:
    """Each optimizer's update rule, beside which the canvas's ledger gives the numbers of the shown step."""
    shown = list(dict.fromkeys(run.optimizer for run in config.runs))
    if not shown:
        return
    with st.expander("Update rules (the ledger above gives their numbers at the shown step)", expanded=False):
        columns = st.columns(min(len(shown), 3))
        for i, name in enumerate(shown):
            with columns[i % len(columns)]:
                st.markdown(f"**{OPTIMIZERS[name].title}**")
                st.latex(OPTIMIZERS[name].latex)


def table(rows: list[dict]) -> list[dict]:
    """Rows for ``st.dataframe``: numbers formatted, so columns that mix numbers and words stay one type."""
    return [{k: v if isinstance(v, str) else f"{v:.4g}" if isinstance(v, float) else str(v) for k, v in row.items()}
            for row in rows]


def summary_table(surface: Surface, runs: list[RunView]) -> None:
    st.subheader("Summary")
    st.dataframe(table(summary_rows(surface, runs)), hide_index=True, width="stretch")


# ---------------------------------------------------------------------------- exports


def trajectories_csv(runs: list[RunView]) -> str:
    """One row per run, trajectory and step: x, y, loss and gradient norm (NaN after divergence)."""
    out = io.StringIO()
    out.write("run,trajectory,step,x,y,loss,grad_norm\n")
    for run in runs:
        tr = run.trajectory
        steps, n = tr.fs.shape
        t, k = np.meshgrid(np.arange(steps), np.arange(n), indexing="ij")
        label = csv_cell(run.label)
        table = np.column_stack([k.ravel(), t.ravel(), tr.xs[..., 0].ravel(), tr.xs[..., 1].ravel(),
                                 tr.fs.ravel(), tr.grad_norms.ravel()])
        for row in table:
            out.write(f"{label},{int(row[0])},{int(row[1])},{row[2]:.17g},{row[3]:.17g},{row[4]:.17g},"
                      f"{row[5]:.17g}\n")
    return out.getvalue()


def downloads(config, surface, grid, runs, overlays) -> None:
    st.subheader("Export")
    cols = st.columns(3)
    # Callables: the files are built only when a button is clicked, not on every rerun.
    cols[0].download_button("Trajectories (CSV)", lambda: trajectories_csv(runs), file_name="trajectories.csv",
                            mime="text/csv", width="stretch", on_click="ignore")
    cols[1].download_button(
        "Interactive figure (HTML)",
        lambda: pio.to_html(literal_text(contour_figure(surface, grid, runs, overlays=overlays, animate=True)),
                            include_plotlyjs=True, full_html=True, auto_play=False),
        file_name="optimizer-paths.html", mime="text/html", width="stretch", on_click="ignore",
    )
    cols[2].caption("PNG: use the camera button in each chart's toolbar (rendered by your browser).")


VIEWS.add(View(name="compare", title="Compare runs", render=compare_view))
