"""Contour and 3D views of a surface."""

from __future__ import annotations

from typing import NamedTuple

import numpy as np
import plotly.graph_objects as go

from surfaces import Surface

LOG_FLOOR = 1e-12  # added before log10 so the minimum itself stays finite


class SurfaceGrid(NamedTuple):
    """A surface sampled on a regular grid: axes ``x`` (W,), ``y`` (H,), values ``z`` (H, W)."""

    x: np.ndarray
    y: np.ndarray
    z: np.ndarray  # float32: plenty for a picture, half the payload
    shown: np.ndarray  # what the colour scale shows: z, or log10(z - f*) on wide-range surfaces
    log_scale: bool


def surface_grid(surface: Surface, resolution: int = 120) -> SurfaceGrid:
    """Sample ``surface`` over its bounds; undefined points are NaN (drawn as gaps)."""
    (x0, x1), (y0, y1) = surface.bounds
    x = np.linspace(x0, x1, resolution)
    y = np.linspace(y0, y1, resolution)
    points = np.stack(np.meshgrid(x, y), axis=-1)
    z = surface.f(points)
    z[~np.isfinite(z)] = np.nan
    shown = z
    if surface.log_scale:
        floor = surface.optimal_value if surface.optimal_value is not None else np.nanmin(z)
        with np.errstate(all="ignore"):
            shown = np.log10(np.maximum(z - floor, 0.0) + LOG_FLOOR)
        shown = np.maximum(shown, np.nanpercentile(shown, 1))  # keep the colour scale readable
    return SurfaceGrid(x, y, z.astype(np.float32), shown.astype(np.float32), surface.log_scale)


def _colorbar_title(grid: SurfaceGrid) -> str:
    return "log₁₀(f − f*)" if grid.log_scale else "f"


def contour_figure(surface: Surface, grid: SurfaceGrid) -> go.Figure:
    """Filled contours of the surface with its known minima and saddles marked."""
    fig = go.Figure(
        go.Contour(
            x=grid.x, y=grid.y, z=grid.shown, colorscale="Viridis", ncontours=30,
            line={"width": 0.5}, colorbar={"title": {"text": _colorbar_title(grid)}},
            hovertemplate="x=%{x:.3f}<br>y=%{y:.3f}<extra></extra>", name="surface",
        )
    )
    _mark_points(fig, surface.minima, "minimum", "star", "white")
    _mark_points(fig, surface.saddles, "saddle", "x", "orange")
    (x0, x1), (y0, y1) = surface.bounds
    fig.update_layout(
        xaxis={"range": [x0, x1], "title": "x", "constrain": "domain"},
        yaxis={"range": [y0, y1], "title": "y", "scaleanchor": "x", "scaleratio": 1},
        margin={"l": 10, "r": 10, "t": 30, "b": 10}, height=520, legend={"orientation": "h"},
    )
    return fig


def _mark_points(fig: go.Figure, points: np.ndarray, name: str, symbol: str, color: str) -> None:
    if len(points):
        fig.add_trace(
            go.Scatter(
                x=points[:, 0], y=points[:, 1], mode="markers", name=name,
                marker={"symbol": symbol, "size": 12, "color": color, "line": {"width": 1, "color": "black"}},
            )
        )


def surface_figure(surface: Surface, grid: SurfaceGrid) -> go.Figure:
    """The surface in 3D (height is the colour-scale quantity, so wide ranges stay visible)."""
    fig = go.Figure(
        go.Surface(x=grid.x, y=grid.y, z=grid.shown, colorscale="Viridis", showscale=False, name="surface")
    )
    fig.update_layout(
        scene={"xaxis_title": "x", "yaxis_title": "y", "zaxis_title": _colorbar_title(grid)},
        margin={"l": 0, "r": 0, "t": 30, "b": 0}, height=520,
    )
    return fig
