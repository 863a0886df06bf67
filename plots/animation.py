"""Client-side animation of the contour view: markers that walk along every run's path."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import plotly.graph_objects as go

from .runs import RunView, as_xs, short_list

MAX_FRAMES = 60  # enough for a smooth Play; each frame costs the browser a redraw of the markers
FRAME_MS = 40
HIDDEN = "rgba(0,0,0,0)"
BUTTON_FONT = 13  # the Play/Pause buttons keep this size in presentation mode, so BUTTONS_PX holds
BUTTONS_PX = 165  # room for the two buttons left of the slider (Chromium draws them 153 px wide), plus a gap


def frame_steps(total_steps: int, max_frames: int = MAX_FRAMES) -> np.ndarray:
    """At most ``max_frames`` evenly spaced steps from 0 to ``total_steps`` (both included)."""
    return np.unique(np.round(np.linspace(0, total_steps, min(total_steps + 1, max_frames))).astype(int))


def add_animation(fig: go.Figure, runs: Sequence[RunView], *, start: int = 0) -> None:
    """One marker trace per run plus frames that move only those traces; Play/Pause buttons and a step slider.

    The controls sit above the plot, so a legend that wraps onto several rows below never covers them. The
    slider starts ``BUTTONS_PX`` pixels right of the buttons' left edge: a fractional ``x`` overlapped the buttons
    on a narrow chart.

    Frames carry ``traces=[marker indices]`` and just the markers' x and y, and play with
    ``redraw=False``: the browser animates without a round trip to the server.
    """
    paths = [as_xs(run.trajectory) for run in runs]
    if not paths:
        return
    total = max(len(xs) - 1 for xs in paths)
    steps = frame_steps(total)

    def at(xs, t):
        row = xs[min(t, len(xs) - 1)]
        return {"x": short_list(row[:, 0]), "y": short_list(row[:, 1])}

    indices = []
    for i, (run, xs) in enumerate(zip(runs, paths, strict=True)):
        fig.add_trace(
            go.Scatter(
                **at(xs, start), mode="markers", name=run.label, legendgroup=f"run{i}", showlegend=False,
                meta={"role": "animated", "run": i}, hoverinfo="skip",
                marker={"size": 14, "color": run.color, "symbol": "circle", "line": {"width": 2.5, "color": "black"}},
            )
        )
        indices.append(len(fig.data) - 1)
    # Plain dicts: plotly validates them once on assignment, three times faster than building go.Frame objects.
    fig.frames = [
        {"name": str(t), "traces": indices, "data": [{"type": "scatter", **at(xs, t)} for xs in paths]} for t in steps
    ]
    still = {"frame": {"duration": 0, "redraw": False}, "mode": "immediate", "transition": {"duration": 0}}
    # No "mode": "immediate" on Play: with it the first click already rejects a promise (an uncaught page error).
    play = {"frame": {"duration": FRAME_MS, "redraw": False}, "fromcurrent": True, "transition": {"duration": 0}}
    fig.update_layout(
        updatemenus=[{
            "type": "buttons", "direction": "left", "showactive": False, "x": 0.0, "xanchor": "left",
            "font": {"size": BUTTON_FONT},
            "y": 1.0, "yanchor": "bottom", "pad": {"b": 12, "r": 10},
            "buttons": [{"label": "▶ Play", "method": "animate", "args": [None, play]},
                        {"label": "❚❚ Pause", "method": "animate", "args": [[None], still]}],
        }],
        sliders=[{
            "active": int(np.argmin(np.abs(steps - start))), "x": 0.0, "len": 1.0, "y": 1.0, "yanchor": "bottom",
            "pad": {"t": 0, "b": 0, "l": BUTTONS_PX}, "ticklen": 0, "font": {"color": HIDDEN},
            "currentvalue": {"prefix": "step ", "font": {"color": "#333"}},
            "steps": [{"label": str(t), "method": "animate", "args": [[str(t)], still]} for t in steps],
        }],
    )
