"""Client-side animation of the contour view: markers that walk along every run's path."""

from __future__ import annotations

from collections.abc import Sequence
from typing import NamedTuple

import numpy as np

from .overlays import ARROW_LABELS, ARROW_STYLES, HEAD_ANGLE, _rotate
from .runs import RunView, as_xs, short_list

MAX_FRAMES = 60  # enough for a smooth Play; each frame costs the browser a redraw of the markers
FRAME_MS = 40
HIDDEN = "rgba(0,0,0,0)"
BUTTON_FONT = 13  # the Play/Pause buttons keep this size in presentation mode, so BUTTONS_PX holds
BUTTONS_PX = 165  # room for the two buttons left of the slider (Chromium draws them 153 px wide), plus a gap


def frame_steps(total_steps: int, max_frames: int = MAX_FRAMES) -> np.ndarray:
    """At most ``max_frames`` evenly spaced steps from 0 to ``total_steps`` (both included)."""
    return np.unique(np.round(np.linspace(0, total_steps, min(total_steps + 1, max_frames))).astype(int))


class Animation(NamedTuple):
    """What :func:`animation` adds to a figure: its marker traces, the frames, and the layout's controls."""

    traces: list[dict]
    frames: list[dict]
    layout: dict


def animation(runs: Sequence[RunView], *, first_index: int, start: int = 0) -> Animation | None:
    """One marker trace per run plus frames that move only those traces; Play/Pause buttons and a step slider.

    ``first_index`` is where the marker traces will sit in the figure's data (the frames name them by index).

    The controls sit above the plot, so a legend that wraps onto several rows below never covers them. The
    slider starts ``BUTTONS_PX`` pixels right of the buttons' left edge: a fractional ``x`` overlapped the buttons
    on a narrow chart.

    Frames carry ``traces=[marker indices]`` and just the markers' x and y, and play with
    ``redraw=False``: the browser animates without a round trip to the server.
    """
    paths = [as_xs(run.trajectory) for run in runs]
    if not paths:
        return None
    total = max(len(xs) - 1 for xs in paths)
    steps = frame_steps(total)

    def at(xs, t):
        row = xs[min(t, len(xs) - 1)]
        return {"x": short_list(row[:, 0]), "y": short_list(row[:, 1])}

    traces = [
        {"type": "scatter", **at(xs, start), "mode": "markers", "name": run.label, "legendgroup": f"run{i}",
         "showlegend": False, "meta": {"role": "animated", "run": i}, "hoverinfo": "skip",
         "marker": {"size": 14, "color": run.color, "symbol": "circle", "line": {"width": 2.5, "color": "black"}}}
        for i, (run, xs) in enumerate(zip(runs, paths, strict=True))
    ]
    indices = list(range(first_index, first_index + len(traces)))
    frames = [
        {"name": str(t), "traces": indices, "data": [{"type": "scatter", **at(xs, t)} for xs in paths]} for t in steps
    ]
    still = {"frame": {"duration": 0, "redraw": False}, "mode": "immediate", "transition": {"duration": 0}}
    # No "mode": "immediate" on Play: with it the first click already rejects a promise (an uncaught page error).
    play = {"frame": {"duration": FRAME_MS, "redraw": False}, "fromcurrent": True, "transition": {"duration": 0}}
    layout = dict(
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
    return Animation(traces, frames, layout)


# ---------------------------------------------------------------------------- the canvas: steps in the browser

FAINT = 0.3  # opacity of a whole path behind its grown part
ARROW_PIECES = 7  # shaft start, tip, gap, barb, tip, barb, gap


def grown(xs: np.ndarray, step: int) -> np.ndarray:
    """Iterates ``(T+1, N, 2)`` with everything after ``step`` set to NaN: the path as it stands at ``step``."""
    keep = np.arange(len(xs)) <= step
    return np.where(keep[:, None, None], xs, np.nan)


def arrow_vectors(surface, run: RunView) -> dict[str, np.ndarray]:
    """Every step's vectors of the first trajectory, as :func:`plots.overlays.step_vectors` gives one step's.

    ``{"grad": −η·g, "m": −η·m (when the optimizer keeps a momentum), "update": x_{t+1} − x_t}``, each
    ``(T+1, 2)``; NaN at the last iterate, after a divergence, and where a vector is zero.
    """
    tr = run.trajectory
    xs = as_xs(tr)[:, 0]
    steps = len(xs) - 1
    lr = np.asarray(tr.lrs, dtype=float)[:steps, 0] if np.size(tr.lrs) else np.ones(steps)
    lr = np.where(np.isfinite(lr), lr, 1.0)[:, None]
    inner = tr.internals
    with np.errstate(all="ignore"):
        g = np.asarray(surface.grad(xs[:-1]), dtype=float)
        if "grad" in inner:
            seen = np.asarray(inner["grad"], dtype=float)[:steps, 0]
            g = np.where(np.isfinite(seen).all(-1, keepdims=True), seen, g)
        out = {"grad": -lr * g, "update": xs[1:] - xs[:-1]}
        if "m" in inner:
            out["m"] = -lr * np.asarray(inner["m"], dtype=float)[:steps, 0]
        if "lookahead" in inner:  # Nesterov's lecture form: where each step's gradient was taken
            out["lookahead"] = np.asarray(inner["lookahead"], dtype=float)[:steps, 0] - xs[:-1]
    padded = {}
    for key, v in out.items():
        v = np.concatenate([v, np.full((1, 2), np.nan)])
        bad = ~np.isfinite(v).all(-1) | ~np.isfinite(xs).all(-1) | ~np.any(v != 0, axis=-1)
        padded[key] = np.where(bad[:, None], np.nan, v)
    return padded


def arrow_polylines(surface, run: RunView) -> dict[str, np.ndarray]:
    """Each arrow kind as ``(T+1, ARROW_PIECES, 2)`` polylines (shaft, then head), NaN where there is no arrow.

    Drawn lengths are clamped to 4–30 % of the view so they stay readable, as the annotations of
    :func:`plots.overlays.step_arrow_annotations`; the browser shows row ``t`` at step ``t``.
    """
    (x0, x1), (y0, y1) = surface.bounds
    span = min(x1 - x0, y1 - y0)
    p = as_xs(run.trajectory)[:, 0]
    out = {}
    for key, v in arrow_vectors(surface, run).items():
        with np.errstate(all="ignore"):
            length = np.linalg.norm(v, axis=-1, keepdims=True)
            d = v / length
            drawn = d * np.clip(length, 0.04 * span, 0.3 * span)
            tip = p + drawn
            head = 0.25 * np.linalg.norm(drawn, axis=-1, keepdims=True)
            barbs = [tip - head * _rotate(d, a) for a in (HEAD_ANGLE, -HEAD_ANGLE)]
        gap = np.full_like(p, np.nan)
        out[key] = np.stack([p, tip, gap, barbs[0], tip, barbs[1], gap], axis=1)
    return out


def arrow_traces(surface, i: int, run: RunView, step: int) -> list[dict]:
    """One trace per arrow kind of run ``i`` (role "arrow", ``meta.arrow`` its kind) drawn at ``step``: in the run's
    colour, told apart by label and width, as :func:`plots.overlays.step_arrow_annotations` draws them."""
    traces = []
    for key, lines in arrow_polylines(surface, run).items():
        t = int(np.clip(step, 0, len(lines) - 1))
        color, width = run.color, ARROW_STYLES[key][1]
        traces.append({
            "type": "scatter", "x": short_list(lines[t, :, 0]), "y": short_list(lines[t, :, 1]), "mode": "lines+text",
            "text": ["", ARROW_LABELS[key], "", "", "", "", ""], "textposition": "top center",
            "textfont": {"color": color}, "name": f"{run.label} · {ARROW_LABELS[key]}", "legendgroup": f"run{i}",
            "showlegend": False, "meta": {"role": "arrow", "run": i, "arrow": key}, "hoverinfo": "skip",
            "line": {"color": color, "width": width},
        })
    return traces
