"""Contour and 3D views of a surface, with the runs drawn on top."""

from __future__ import annotations

from collections.abc import Sequence
from typing import NamedTuple

import numpy as np
import plotly.graph_objects as go

from surfaces import Surface

from . import overlays as layers
from .animation import FAINT, animation, arrow_traces, grown
from .raster import background_image, band_colorscale, contour_levels
from .runs import (
    DIVERGED_COLOR,
    TEMPLATE,
    Overlays,
    RunView,
    as_series,
    as_xs,
    exit_point,
    f32,
    figure,
    follower_dashes,
    joined,
    last_finite,
    line_style,
    n_points,
    never_started,
    scaled_height,
    scatter_type,
    start_points,
    steps_joined,
)

LOG_FLOOR = 1e-12  # added before log10 so the minimum itself stays finite
# Neutral greys, dark = low: every colour of PALETTE stays visible on it, and the log scale keeps valleys readable.
COLORSCALE = [[0.0, "#1b1f24"], [0.35, "#4a525c"], [0.7, "#9aa3ad"], [1.0, "#f2f4f6"]]
HEIGHT = 560
BASE_FONT = 13


class SurfaceGrid(NamedTuple):
    """A surface sampled on a regular grid: axes ``x`` (W,), ``y`` (H,), values ``z`` (H, W).

    ``shown`` is what colour and height show: ``z``, or on wide-range surfaces
    ``max(log10(z - offset + 1e-12), floor)``; :func:`shown_values` applies the same map to any f.
    ``levels`` are the contour levels of ``shown`` (None when it is flat) and ``background`` the filled
    contour as a ``layout.images`` entry (:mod:`plots.raster`), made once with the grid.
    """

    x: np.ndarray
    y: np.ndarray
    z: np.ndarray  # float32: plenty for a picture, half the payload
    shown: np.ndarray
    log_scale: bool
    offset: float = 0.0  # f* (or the smallest sampled value when f* is unknown); used when log_scale
    floor: float = -np.inf  # lower clip of the log values (1st percentile of the grid); used when log_scale
    levels: dict | None = None
    background: dict | None = None


def surface_grid(surface: Surface, resolution: int = 120, *, bounds=None) -> SurfaceGrid:
    """Sample ``surface`` over ``bounds`` (default: its own); undefined points are NaN (drawn as gaps)."""
    (x0, x1), (y0, y1) = bounds or surface.bounds
    x = np.linspace(x0, x1, resolution)
    y = np.linspace(y0, y1, resolution)
    z = surface.f(np.stack(np.meshgrid(x, y), axis=-1))
    z[~np.isfinite(z)] = np.nan
    shown, offset, floor = z, 0.0, -np.inf
    finite = z[np.isfinite(z)]
    if surface.log_scale and finite.size:
        offset = surface.optimal_value if surface.optimal_value is not None else float(finite.min())
        shown = _log(z, offset)
        floor = float(np.percentile(shown[np.isfinite(shown)], 1))  # keep the colour scale readable
        shown = np.maximum(shown, floor)
    levels = contour_levels(shown)
    background = background_image(x, y, shown, levels, COLORSCALE) if levels else None
    return SurfaceGrid(
        x.astype(np.float32), y.astype(np.float32), z.astype(np.float32), shown.astype(np.float32),
        bool(surface.log_scale and finite.size), float(offset), floor, levels, background,
    )


def _log(f: np.ndarray, offset: float) -> np.ndarray:
    with np.errstate(all="ignore"):
        return np.log10(np.maximum(f - offset, 0.0) + LOG_FLOOR)


def shown_values(surface: Surface, grid: SurfaceGrid, f) -> np.ndarray:
    """Map losses ``f`` to the grid's shown scale (identity, or its log transform and clip)."""
    f = np.asarray(f, dtype=float)
    if not grid.log_scale:
        return f.copy()
    with np.errstate(invalid="ignore"):
        return np.maximum(_log(f, grid.offset), grid.floor)


def colorbar_title(surface: Surface, grid: SurfaceGrid) -> str:
    """What the colours mean, honestly: f, or the log of the gap to f* (or to the lowest sampled value)."""
    if not grid.log_scale:
        return "f"
    return "log₁₀(f − f*)" if surface.optimal_value is not None else "log₁₀(f − min f)"


# ---------------------------------------------------------------------------- contour view


def contour_figure(
    surface: Surface,
    grid: SurfaceGrid,
    runs: Sequence[RunView] = (),
    *,
    step: int | None = None,
    overlays: Overlays = Overlays(),  # noqa: B008  (frozen dataclass: immutable default)
    animate: bool = False,
    live: bool = False,
    font_scale: float = 1.0,
) -> go.Figure:
    """Filled contours with minima (stars) and saddles (x), every run's path, and the chosen overlays.

    The filled contour is the grid's background image (see :mod:`plots.raster`); an invisible trace carries
    its colour bar. Trace order: colour bar, overlays (gradient field, eigen directions), then per run: path,
    start, end, diverged and escaped (only if any); then the step markers (``step`` given), the Polyak paths, the
    minima and saddles (on top, so that a run ending there does not hide them) and the animated markers
    (``animate``, Plotly frames for a standalone HTML file). Every trace carries ``meta = {"role": ...}``, and a
    run's traces also ``"run": index``. The axes are fixed to ``surface.bounds``.

    ``live`` draws the figure for the canvas, whose browser side moves the step (:mod:`plots.animation`): each
    whole path is drawn faint, a "grown" copy (one per run, after every run's path) shows it up to ``step``, and
    the step arrows are traces (one per arrow kind and run, role "arrow") that the browser moves instead of
    annotations. The traces the step moves (grown, step, arrow: :data:`MOVING_ROLES`) are consecutive, so the
    canvas can draw them as a layer of their own (:func:`moving_layer`). A click anywhere on the plot area sets the
    start (``clickmode`` stays off: the canvas reads the click's pixel itself).
    """
    data: list[dict] = []
    layout = _layout(surface, font_scale, animate=animate, live=live)
    if grid.levels:
        layout["images"] = [dict(grid.background)]  # the grid is shared: a copy
        data.append(_colorbar(surface, grid))
    if overlays.gradient_field:
        data += layers.gradient_field_traces(surface)
    if overlays.eigen_directions:
        data += layers.eigen_direction_traces(surface)
    dashes = follower_dashes(runs)
    for i, (run, dash) in enumerate(zip(runs, dashes, strict=True)):
        data += _run_traces(i, run, surface.bounds, markers=overlays.markers, dash=dash, faint=live)
    if live:  # what the step moves comes next, together: the canvas draws it as a layer of its own
        data += [_grown_path(i, run, step or 0, markers=overlays.markers, dash=dash)
                 for i, (run, dash) in enumerate(zip(runs, dashes, strict=True))]
    if step is not None:
        data += [_step_marker(i, run, step) for i, run in enumerate(runs)]
        if overlays.step_arrows:
            for i, run in enumerate(runs):
                if live:
                    data += arrow_traces(surface, i, run, step)
                else:
                    layout.setdefault("annotations", []).extend(
                        layers.step_arrow_annotations(surface, run, step, index=i))
    if overlays.polyak:  # over the raw paths, which it smooths: under them it was hidden
        data += layers.polyak_traces(runs)
    # Over the runs: a path that ends at a minimum or a saddle is what a lesson is about, and its end square
    # must not hide the star or the cross it reached.
    # A run resting there shows as a ring of its colour around the point: its step marker is a little larger.
    data += _point_marks(surface.minima, "minimum", "star", "white", size=17)
    data += _point_marks(surface.saddles, "saddle", "x", "#ff9f1c", size=16)
    frames = None
    if animate and (moving := animation(runs, first_index=len(data), start=step or 0)):
        data += moving.traces
        frames = moving.frames
        layout.update(moving.layout)
    return figure(data, layout, frames)


MOVING_ROLES = ("grown", "step", "arrow")  # the traces of a live contour that the step moves


def moving_layer(fig: go.Figure) -> list[int] | None:
    """``[start, stop)``: the indices of the traces the step moves in a live contour figure (consecutive), or None
    when it has none. The canvas draws them over the rest as a plot of their own and redraws only that plot as the
    step moves; the traces from ``stop`` on (Polyak paths, minima, saddles) are drawn over them."""
    moving = [i for i, trace in enumerate(fig.data) if (trace.meta or {}).get("role") in MOVING_ROLES]
    if not moving:
        return None
    start, stop = moving[0], moving[-1] + 1
    if moving != list(range(start, stop)):
        raise ValueError("the traces the step moves are not consecutive: the canvas could not layer them")
    return [start, stop]


def _colorbar(surface: Surface, grid: SurfaceGrid) -> dict:
    """The contour's colour bar, banded like the image: carried by two invisible points (a layout image has none)."""
    scale, cmin, cmax = band_colorscale(grid.levels, COLORSCALE)
    (x0, _), (y0, _) = surface.bounds
    return {
        "type": "scatter", "x": [x0, x0], "y": [y0, y0], "mode": "markers", "name": "surface",
        "meta": {"role": "contour"}, "showlegend": False, "hoverinfo": "skip",
        "marker": {"color": [cmin, cmax], "cmin": cmin, "cmax": cmax, "colorscale": scale, "opacity": 0,
                   "showscale": True,
                   # Title on top: plotly.js puts a "right" title at a fixed offset that ignores the tick labels'
                   # width, so it overlapped labels such as "−0.2" (plotly.js#1396).
                   "colorbar": {"title": {"text": colorbar_title(surface, grid), "side": "top"}, "thickness": 14,
                                "outlinewidth": 0, "ticks": ""}},
    }


def _point_marks(points: np.ndarray, name: str, symbol: str, color: str, size: int) -> list[dict]:
    if not len(points):
        return []
    return [{
        "type": "scatter", "x": f32(points[:, 0]), "y": f32(points[:, 1]), "mode": "markers", "name": name,
        "meta": {"role": name},
        "marker": {"symbol": symbol, "size": size, "color": color, "line": {"width": 1, "color": "black"}},
        "hovertemplate": f"{name} (%{{x:.4g}}, %{{y:.4g}})<extra></extra>",
    }]


def _run_traces(i: int, run: RunView, bounds, *, markers: bool, dash: str | None = None,
                faint: bool = False) -> list[dict]:
    """The run's path (all its trajectories in one trace), start circles, end squares, divergence crosses.

    ``dash`` draws the path dashed and without iterate markers: it lies on an earlier run's path
    (:func:`~plots.runs.follower_dashes`), whose markers and colour then show through its gaps. ``faint`` draws
    the path at ``FAINT`` opacity, behind a grown copy (:func:`_grown_path`).

    A divergence cross sits at the last finite point; when that is off-screen, an "escaped" cross also
    marks where the path last left the view.
    """
    tr = run.trajectory
    xs = as_xs(tr)
    t1, n = xs.shape[:2]
    fs = as_series(tr, tr.fs)
    single = n == 1
    path = joined(xs)
    custom = np.stack([steps_joined(t1, n), joined(np.stack([fs, fs], -1))[:, 0]], axis=-1)
    group = f"run{i}"
    traces = [{
        "type": scatter_type(n_points(run)), "x": f32(path[:, 0]), "y": f32(path[:, 1]), "customdata": f32(custom),
        "name": run.label, "legendgroup": group, "mode": "lines+markers" if markers and not dash else "lines",
        "meta": {"role": "path", "run": i},
        "line": line_style(run.color, 2.5 if single else 1.0, dash),
        "marker": {"color": run.color, "size": 5 if single else 3},
        "opacity": (1.0 if single else 0.6) * (FAINT if faint else 1.0),
        "hovertemplate": "step %{customdata[0]:d}<br>x=%{x:.4g}, y=%{y:.4g}<br>f=%{customdata[1]:.4g}"
                         "<extra>%{fullData.name}</extra>",
    }]
    last = last_finite(xs)
    ok = last >= 0
    idx = np.clip(last, 0, None)
    ends = xs[idx, np.arange(n)]
    diverged = np.asarray(tr.diverged_at) >= 0
    size = 11 if single else 7
    # marked where it was set even when f is undefined there (its hover says so): the user sees what they did
    hover = "start, f undefined here" if never_started(run) else "start"
    traces += _run_marks(start_points(run), run, i, "start", "circle", size, hover)
    traces += _run_marks(ends[ok & ~diverged], run, i, "end", "square", size, "end")
    if (ok & diverged).any():
        k = np.asarray(tr.diverged_at)[ok & diverged]
        cross = {"symbol": "x", "size": 14, "color": DIVERGED_COLOR, "line": {"width": 1, "color": "white"}}
        traces.append({
            "type": "scatter", "x": f32(ends[ok & diverged, 0]), "y": f32(ends[ok & diverged, 1]), "mode": "markers",
            "name": run.label, "legendgroup": group, "showlegend": False, "meta": {"role": "diverged", "run": i},
            "marker": cross, "text": [f"diverged at step {int(s)}" for s in k],
            "hovertemplate": "%{text}<br>last finite point (%{x:.4g}, %{y:.4g})<extra>%{fullData.name}</extra>",
        })
        exits = [(exit_point(xs[:, j], bounds), int(tr.diverged_at[j])) for j in np.flatnonzero(ok & diverged)]
        exits = [(p, s) for p, s in exits if p is not None]
        if exits:
            points = np.array([p for p, _ in exits])
            traces.append({
                "type": "scatter", "x": f32(points[:, 0]), "y": f32(points[:, 1]), "mode": "markers",
                "name": run.label, "legendgroup": group, "showlegend": False, "meta": {"role": "escaped", "run": i},
                "cliponaxis": False, "marker": {**cross, "size": 12},
                "text": [f"left the view, diverged at step {s}" for _, s in exits],
                "hovertemplate": "%{text}<extra>%{fullData.name}</extra>",
            })
    return traces


def _run_marks(points, run: RunView, i: int, role: str, symbol: str, size: int, hover: str) -> list[dict]:
    if not len(points):
        return []
    return [{
        "type": "scatter", "x": f32(points[:, 0]), "y": f32(points[:, 1]), "mode": "markers", "name": run.label,
        "legendgroup": f"run{i}", "showlegend": False, "meta": {"role": role, "run": i},
        "marker": {"symbol": symbol, "size": size, "color": run.color, "line": {"width": 1.5, "color": "white"}},
        "hovertemplate": f"{hover} (%{{x:.4g}}, %{{y:.4g}})<extra>%{{fullData.name}}</extra>",
    }]


def _grown_path(i: int, run: RunView, step: int, *, markers: bool, dash: str | None) -> dict:
    """The run's path up to ``step`` at full strength (role "grown"; the browser regrows it as the step moves)."""
    xs = as_xs(run.trajectory)
    single = xs.shape[1] == 1
    path = joined(grown(xs, step))
    return {
        "type": scatter_type(n_points(run)), "x": f32(path[:, 0]), "y": f32(path[:, 1]), "name": run.label,
        "legendgroup": f"run{i}", "showlegend": False, "mode": "lines+markers" if markers and not dash else "lines",
        "meta": {"role": "grown", "run": i},
        "line": line_style(run.color, 2.5 if single else 1.0, dash),
        "marker": {"color": run.color, "size": 5 if single else 3}, "opacity": 1.0 if single else 0.6,
        "hoverinfo": "skip",
    }


def _step_marker(i: int, run: RunView, step: int) -> dict:
    xs = as_xs(run.trajectory)
    t = int(np.clip(step, 0, len(xs) - 1))
    single = xs.shape[1] == 1
    return {
        "type": "scatter", "x": f32(xs[t, :, 0]), "y": f32(xs[t, :, 1]), "mode": "markers", "name": run.label,
        "legendgroup": f"run{i}", "showlegend": False, "meta": {"role": "step", "run": i},
        "marker": {"size": 20 if single else 9, "color": run.color, "line": {"width": 2.5, "color": "white"}},
        "hovertemplate": f"step {t}<br>x=%{{x:.4g}}, y=%{{y:.4g}}<extra>%{{fullData.name}}</extra>",
    }


def _layout(surface: Surface, font_scale: float, *, animate: bool, live: bool = False) -> dict:
    """``live``: no legend (the canvas lists the runs under the chart, with their live sliders: the plot keeps the
    legend's rows) and no room above for animation buttons."""
    (x0, x1), (y0, y1) = surface.bounds
    # live: no axis titles, the plot keeps their room (the formula above names the variables)
    titles = ({}, {}) if live else ({"title": {"text": "x"}}, {"title": {"text": "y"}})
    return dict(
        showlegend=not live,
        template=TEMPLATE, height=scaled_height(HEIGHT + (70 if animate else 0), font_scale),
        font={"size": BASE_FONT * font_scale}, hoverlabel={"font": {"size": BASE_FONT * font_scale}},
        xaxis={"range": [x0, x1], "autorange": False, **titles[0], "constrain": "domain",
               "showgrid": False, "zeroline": False},
        yaxis={"range": [y0, y1], "autorange": False, **titles[1], "scaleanchor": "x",
               "scaleratio": 1,
               "constrain": "domain", "showgrid": False, "zeroline": False},
        margin={"l": 50, "r": 20, "t": 100 if animate else 10 if live else 30, "b": 20 if live else 40},
        # At the figure's bottom, as in the curves: 10 % of the plot's height below it was too little for the x
        # title at presentation size, and the legend covered it.
        legend={"orientation": "h", "yref": "container", "yanchor": "bottom", "y": 0.0, "x": 0.0},
        hovermode="closest", uirevision=f"{surface.name}:{surface.bounds}",
    )


# ---------------------------------------------------------------------------- 3D view


def surface_figure(
    surface: Surface, grid: SurfaceGrid, runs: Sequence[RunView] = (), *, step: int | None = None,
    font_scale: float = 1.0, live: bool = False,
) -> go.Figure:
    """The surface in 3D (height = ``grid.shown``) with every run's path lying on it.

    Path heights are :func:`shown_values` of the recorded losses; points outside the view and
    from a divergence on are gaps, so a diverged path stops (a red x at its last point in view).
    ``step`` adds a marker per run (with ``live`` always, even where it is a gap: the browser moves it).
    The surface is slightly transparent so the paths show through.
    """
    title = colorbar_title(surface, grid)
    data = [{"type": "surface", "x": grid.x, "y": grid.y, "z": grid.shown, "colorscale": COLORSCALE,
             "showscale": False, "name": "surface",
             "opacity": 0.8,  # paths lie exactly on the surface: let them show through the mesh
             "hovertemplate": f"x=%{{x:.3f}}<br>y=%{{y:.3f}}<br>{title}=%{{z:.3g}}<extra></extra>"}]
    (x0, x1), (y0, y1) = surface.bounds
    for i, (run, dash) in enumerate(zip(runs, follower_dashes(runs), strict=True)):
        xs, z = path_on_surface(surface, grid, run)
        single = xs.shape[1] == 1
        path, zs = joined(xs), joined(np.stack([z, z], -1))[:, 0]
        data.append({
            "type": "scatter3d", "x": f32(path[:, 0]), "y": f32(path[:, 1]), "z": f32(zs), "mode": "lines",
            "name": run.label, "legendgroup": f"run{i}", "meta": {"role": "path", "run": i},
            "line": line_style(run.color, 6 if single else 2, dash),
            "hovertemplate": f"x=%{{x:.4g}}, y=%{{y:.4g}}<br>{title}=%{{z:.3g}}<extra>%{{fullData.name}}</extra>",
        })
        last = np.clip(last_finite(xs), 0, None)
        ends, z_end = xs[last, np.arange(len(last))], z[last, np.arange(len(last))]
        diverged = np.asarray(run.trajectory.diverged_at) >= 0
        data += _marks3d(xs[0], z[0], run, i, "start", "circle", 5)
        data += _marks3d(ends[~diverged], z_end[~diverged], run, i, "end", "square", 5)
        data += _marks3d(ends[diverged], z_end[diverged], run, i, "diverged", "x", 6, color=DIVERGED_COLOR)
        if step is not None:
            t = int(np.clip(step, 0, len(xs) - 1))
            data += _marks3d(xs[t], z[t], run, i, "step", "circle", 9, always=live)
    layout = dict(
        template=TEMPLATE, height=scaled_height(HEIGHT, font_scale), font={"size": BASE_FONT * font_scale},
        # nticks and a tick font that stays at the base size (presentation mode too): at this size plotly's
        # automatic ticks (every 0.5 on Rosenbrock) and enlarged tick labels ran into each other and the z title.
        scene={"xaxis": {"title": {"text": "x"}, "range": [x0, x1], "nticks": 6, "tickfont": {"size": BASE_FONT}},
               "yaxis": {"title": {"text": "y"}, "range": [y0, y1], "nticks": 6, "tickfont": {"size": BASE_FONT}},
               "zaxis": {"title": {"text": title}, "nticks": 4, "tickfont": {"size": BASE_FONT}},
               "aspectmode": "manual",
               "aspectratio": {"x": 1.0, "y": (y1 - y0) / (x1 - x0), "z": 0.6},
               # Plotly's default eye (1.25, 1.25, 1.25) clipped the z ticks and title at the chart's left edge, and
               # from that low angle valley floors (Rosenbrock's) hid the paths: further out and higher up. At
               # (1.6, 1.6, 1.9) a 380 px wide chart still lost the z title, so 1.2 times further again.
               "camera": {"eye": {"x": 1.92, "y": 1.92, "z": 2.28}}},
        margin={"l": 0, "r": 0, "t": 30, "b": 0}, legend={"orientation": "h", "yanchor": "top", "y": 0.0},
        uirevision=f"{surface.name}:{surface.bounds}",
    )
    return figure(data, layout)


def path_on_surface(surface: Surface, grid: SurfaceGrid, run: RunView) -> tuple[np.ndarray, np.ndarray]:
    """Iterates (NaN outside the view and after divergence) and their heights on the shown scale."""
    tr = run.trajectory
    xs = as_xs(tr)
    (x0, x1), (y0, y1) = surface.bounds
    with np.errstate(invalid="ignore"):
        inside = (xs[..., 0] >= x0) & (xs[..., 0] <= x1) & (xs[..., 1] >= y0) & (xs[..., 1] <= y1)
    xs = np.where(inside[..., None], xs, np.nan)
    z = np.where(inside, shown_values(surface, grid, as_series(tr, tr.fs)), np.nan)
    return xs, z


def _marks3d(points, z, run: RunView, i: int, role: str, symbol: str, size: int, color=None,
             always: bool = False) -> list[dict]:
    keep = np.isfinite(points).all(-1) & np.isfinite(z)
    if always:
        keep = np.ones_like(keep)
    if not keep.any():
        return []
    return [{
        "type": "scatter3d", "x": f32(points[keep, 0]), "y": f32(points[keep, 1]), "z": f32(z[keep]),
        "mode": "markers", "name": run.label, "legendgroup": f"run{i}", "showlegend": False,
        "meta": {"role": role, "run": i}, "marker": {"symbol": symbol, "size": size, "color": color or run.color},
        "hovertemplate": f"{role}<extra>%{{fullData.name}}</extra>",
    }]
