"""The main area's views. Each computes through cached functions and renders pure figures."""

from __future__ import annotations

import io

import numpy as np
import plotly.io as pio
import streamlit as st

from optimizers import OPTIMIZERS, Trajectory
from plots import (
    Overlays,
    RunView,
    contour_figure,
    curves_figure,
    ledger_rows,
    literal_text,
    probe_grid_index,
    summary_rows,
    surface_figure,
)
from plots import surface_grid as _surface_grid
from surfaces import Surface

from .compute import make_surface, polyak_path, run_trajectory
from .config import SETTINGS, VIEWS, AppConfig, Items, RunConfig, View
from .controls import set_start_from_click, setting_widget
from .text import csv_cell

CHART_CONFIG = {"displaylogo": False}  # the charts use their own colours (theme=None), not Streamlit's


def chart(fig, *, key: str, container=st, **options):
    """Every figure of the app goes to the page here, its user texts made literal."""
    return container.plotly_chart(literal_text(fig), key=key, theme=None, config=CHART_CONFIG, **options)


# ---------------------------------------------------------------------------- cached computation


@st.cache_data(max_entries=32, show_spinner=False)
def cached_grid(name: str, params: Items, resolution: int):
    return _surface_grid(make_surface(name, params), resolution)


@st.cache_data(max_entries=256, show_spinner=False)
def cached_run(name: str, params: Items, run: RunConfig, steps: int, start: tuple, noise: float, seed: int,
               weight_decay: float, clip_norm: float) -> Trajectory:
    """One run; an unchanged run is served from the cache when another run changes."""
    return run_trajectory(name, params, run, steps=steps, start=start, noise=noise, seed=seed,
                          weight_decay=weight_decay, clip_norm=clip_norm)


def compute_runs(config: AppConfig) -> list[RunView]:
    views = []
    for index, run in enumerate(config.runs):
        trajectory = cached_run(config.surface, config.surface_params, run, config.steps, config.start,
                                config.noise, config.seed, config.weight_decay, config.clip_norm)
        polyak = polyak_path(trajectory) if "polyak" in config.overlays else None
        views.append(RunView(run.display_label(index), run.display_color(index), trajectory, polyak, run.optimizer))
    return views


# ---------------------------------------------------------------------------- the comparison view


def compare_view(config: AppConfig, surface: Surface) -> None:
    runs = compute_runs(config)
    grid = cached_grid(config.surface, config.surface_params, 120)
    font_scale = 1.5 if config.presentation else 1.0
    overlays = Overlays(**{name: True for name in config.overlays})
    step_view(config, surface, grid, runs, overlays, font_scale)
    summary_table(surface, runs)
    downloads(config, surface, grid, runs, overlays)


@st.fragment
def step_view(config, surface, grid, runs, overlays, font_scale) -> None:
    """Everything that follows the step scrubber; moving it reruns only this fragment."""
    st.session_state["step"] = min(int(st.session_state.get("step", 0)), config.steps)
    step = st.slider(SETTINGS["step"].label, 0, config.steps, key="step", help=SETTINGS["step"].help)
    left, right = st.columns([1.1, 1])
    with left:
        contour = contour_figure(surface, grid, runs, step=step, overlays=overlays, animate=True, clickable=True,
                                 font_scale=font_scale)
        st.session_state["contour.click_trace"] = probe_grid_index(contour)
        chart(contour, key="contour", on_select=_on_contour_click, selection_mode="points")
        if st.session_state.pop("contour.start_moved", False):
            st.rerun()  # the start feeds the sidebar and every run, outside this fragment: rerun the whole app
    if config.show_3d:  # opt-in: the 3D view is the slowest chart for the browser to redraw
        with right:
            chart(surface_figure(surface, grid, runs, step=step, font_scale=font_scale), key="surface3d")
    with st.container() if config.show_3d else right:  # the curves take the 3D view's place when it is off
        kind = setting_widget("curve", st, label_visibility="collapsed")
        chart(curves_figure(runs, kind=kind, step=step, optimal_value=surface.optimal_value, surface=surface,
                            font_scale=font_scale), key="curves")
    ledger(config, runs, step)


def _on_contour_click() -> None:
    """A click on the contour's grid sets the start point; a fragment rerun alone would not use it."""
    before = st.session_state.get("start_x"), st.session_state.get("start_y")
    set_start_from_click("contour")
    if (st.session_state.get("start_x"), st.session_state.get("start_y")) != before:
        st.session_state["contour.start_moved"] = True


def ledger(config: AppConfig, runs: list[RunView], step: int) -> None:
    with st.expander(f"Step-by-step ledger at step {step}", expanded=False):
        rows = ledger_rows(runs, step)
        if rows:
            st.dataframe(table(rows), hide_index=True, width="stretch")
        shown = []
        for run in config.runs:
            if run.optimizer not in shown:
                shown.append(run.optimizer)
                st.markdown(f"**{OPTIMIZERS[run.optimizer].title}**")
                st.latex(OPTIMIZERS[run.optimizer].latex)


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
