"""What the canvas needs to move every view to any step in the browser, and to preview a dragged slider.

Python sends every step's numbers once; the browser only indexes into them (``ui/canvas/canvas.js``). A run's
path travels in the layout of :func:`plots.runs.joined`: its N trajectories one after another, ``block = T + 2``
points apart (T + 1 iterates and a NaN gap), so iterate ``t`` of trajectory ``b`` is point ``b * block + t``.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
import plotly.graph_objects as go

from surfaces import Surface

from .animation import arrow_polylines
from .curves import curve_values
from .landscape import SurfaceGrid, path_on_surface
from .model import model_lines
from .runs import RunView, as_series, as_xs, joined
from .tables import LEDGER_FIELDS

MODEL_VALUES = 50_000  # model coordinates per run at most (frames x points x 2): 200 kB, a fan of paths is more


def trace_indices(fig: go.Figure | None, run: int) -> dict[str, int]:
    """Role -> index in ``fig.data`` of run ``run``'s traces (the first of each role; arrows by their kind)."""
    out: dict[str, int] = {}
    for index, trace in enumerate(fig.data if fig is not None else ()):
        meta = trace.meta or {}
        if meta.get("run") == run:
            role = meta.get("role")
            role = f"arrow.{meta['arrow']}" if role == "arrow" else role
            out.setdefault(role, index)
    return out


def path_arrays(surface: Surface, grid: SurfaceGrid, run: RunView) -> dict:
    """A run's joined path: ``x``, ``y`` and its 3D heights ``z`` (M,), with ``block`` and ``n`` (see above)."""
    xs, z = path_on_surface(surface, grid, run)
    path = joined(as_xs(run.trajectory))
    return {"x": path[:, 0], "y": path[:, 1], "z": joined(np.stack([z, z], -1))[:, 0],
            "block": len(xs) + 1, "n": xs.shape[1]}


def model_arrays(surface: Surface, run: RunView, *, budget: int = MODEL_VALUES) -> dict:
    """The model trace of :func:`plots.model.model_figure` for a run's first trajectory at its steps: ``x``, ``y``
    (F, L), one row per frame. Frame k shows step ``round(k T / (F - 1))``: every step when F = T + 1 fits in
    ``budget`` coordinates, else F evenly spread frames (the browser shows the frame nearest to its step)."""
    xs = as_xs(run.trajectory)[:, 0]
    total = len(xs)
    width = model_lines(surface, xs[:1])[0].shape[1]
    frames = int(np.clip(budget // (2 * width), 2, total)) if total > 1 else 1
    steps = np.round(np.linspace(0, total - 1, frames)).astype(int)
    x, y = model_lines(surface, xs[steps])
    return {"x": x, "y": y}


def step_data(surface: Surface, grid: SurfaceGrid, runs: Sequence[RunView], figures: Mapping[str, go.Figure],
              *, arrows: bool) -> dict:
    """For each run: its path arrays, the indices of the traces the step moves in each chart, its arrows, and on a
    surface made of examples with a "model" chart, its model at every step (:func:`model_arrays`).

    ``figures`` maps chart names ("contour", "curves", "surface3d", "model") to the figures drawn (a missing
    chart is skipped). ``arrows``: send the step arrows' polylines (:func:`plots.animation.arrow_polylines`).
    """
    out = []
    for i, run in enumerate(runs):
        entry = {"path": path_arrays(surface, grid, run),
                 "traces": {name: trace_indices(fig, i) for name, fig in figures.items()}}
        if arrows:
            entry["arrows"] = arrow_polylines(surface, run)
        if "model" in figures and surface.finite_sum is not None:
            entry["model"] = model_arrays(surface, run)
        out.append(entry)
    return {"steps": max((len(run.trajectory.fs) - 1 for run in runs), default=0), "runs": out}


def ledger_series(runs: Sequence[RunView]) -> dict:
    """The ledger at every step, as :func:`plots.tables.ledger_rows` gives it at one: numbers, not text.

    ``{"columns": [...], "vectors": [...], "runs": [{"label", "color", "values": {column: (T+1,) or (T+1, 2)}}]}``
    for each run's first trajectory; NaN where the optimizer records no such quantity and at the last iterate
    ("update" falls back to x_{t+1} − x_t). The browser formats them to 4 significant digits.
    """
    columns = ["lr"] + [column for _, column in LEDGER_FIELDS] + ["loss before", "loss after"]
    vectors = [column for _, column in LEDGER_FIELDS]  # per coordinate, step sizes too
    rows = []
    for run in runs:
        tr = run.trajectory
        xs, fs = as_xs(tr)[:, 0], as_series(tr, tr.fs)[:, 0]
        last = len(xs) - 1
        values = {"lr": _per_step(tr.lrs, last) if np.size(tr.lrs) else np.full(last + 1, np.nan)}
        for key, column in LEDGER_FIELDS:
            inner = tr.internals.get(key)
            values[column] = _per_step(inner, last) if inner is not None else np.full((last + 1, 2), np.nan)
        if "update" not in tr.internals:
            values["update"] = np.concatenate([xs[1:] - xs[:-1], np.full((1, 2), np.nan)])
        values["loss before"] = fs
        values["loss after"] = np.append(fs[1:], np.nan)
        n = np.shape(tr.xs)[1]
        label = run.label if n == 1 else f"{run.label} (trajectory 1 of {n})"
        rows.append({"label": label, "color": run.color, "values": values})
    return {"columns": columns, "vectors": vectors, "runs": rows}


def _per_step(values, last: int) -> np.ndarray:
    """A recorded quantity of steps 0..last-1 (first trajectory), with NaN for the last iterate (no step after it)."""
    values = np.asarray(values, dtype=float)[:last, 0]
    return np.concatenate([values, np.full((1, *values.shape[1:]), np.nan)])


def fan_arrays(surface: Surface, grid: SurfaceGrid, fan: RunView, *, kind: str, heights: bool) -> dict:
    """The members of a fan (one trajectory per hyperparameter value) as rows: ``x``, ``y`` (K, T+1), with
    ``heights`` (the 3D view is shown) also ``z``, and ``curve`` (K, L), the curve of ``kind`` the curves chart
    shows (:func:`plots.curves.curve_values`), with ``test_curve`` (K, L) when that chart also shows the test loss."""
    xs = as_xs(fan.trajectory)  # the contour draws a path beyond the view too (it is clipped there)
    _, curve, _ = curve_values(fan, kind, surface=surface, optimal_value=surface.optimal_value)
    out = {"x": xs[..., 0].T, "y": xs[..., 1].T, "curve": curve.T}
    if heights:  # a quarter of what a fan sends: only for the 3D view
        out["z"] = path_on_surface(surface, grid, fan)[1].T  # NaN outside the view, where the 3D path stops
    if kind == "loss" and fan.trajectory.test_fs is not None:
        out["test_curve"] = curve_values(fan, "test_loss")[1].T
    return out
