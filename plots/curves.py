"""Per-step curves: loss, gradient norm, distance to the nearest minimum, learning rate.

On a finite-sum surface with a held-out split the loss is two curves per run: the training loss (solid) and the
test loss (the same colour, dotted and lighter), both without the L2 penalty, so their distance is the gap.
"""

from __future__ import annotations

import textwrap
import warnings
from collections.abc import Sequence

import numpy as np
import plotly.graph_objects as go

from surfaces import Surface

from .runs import (
    DIVERGED_COLOR,
    LOG_CLIP,
    TEMPLATE,
    UNDEFINED_START,
    RunView,
    as_series,
    as_xs,
    f32,
    figure,
    follower_dashes,
    line_style,
    never_started,
    scaled_height,
    scatter_type,
    with_alpha,
)

KINDS = {"loss": "Loss", "grad_norm": "Gradient norm", "distance": "Distance to nearest minimum",
         "lr": "Learning rate in use"}  # the curves a user can pick: name -> title
HEIGHT = 440  # beside the contour (or below the 3D view); leaves room for a legend of several rows
TEST_DASH, TEST_ALPHA = "dot", 0.6  # a run's test-loss curve: its colour, lighter and dotted


def curve_values(run: RunView, kind: str, *, optimal_value: float | None = None,
                 surface: Surface | None = None) -> tuple[np.ndarray, np.ndarray, bool]:
    """``(steps, values (len, N), log_axis)`` of one run; NaN from each trajectory's divergence on.

    "loss" on a finite-sum surface is the training loss without the penalty (``train_fs``) on a linear axis;
    "test_loss" is the held-out loss (``test_fs``). On a log axis values are clipped to ``LOG_CLIP`` so nothing
    is non-positive.
    """
    tr = run.trajectory
    steps = np.arange(len(tr.fs))
    if kind == "loss" and tr.train_fs is not None:
        y, log = as_series(tr, tr.train_fs), False
    elif kind == "test_loss":
        if tr.test_fs is None:
            raise ValueError("kind='test_loss' needs a run on a surface made of examples")
        y, log = as_series(tr, tr.test_fs), False
    elif kind == "loss":
        log = optimal_value is not None
        y = as_series(tr, tr.fs) - (optimal_value if log else 0.0)
    elif kind == "grad_norm":
        y, log = as_series(tr, tr.grad_norms), True
    elif kind == "distance":
        if surface is None:
            raise ValueError("kind='distance' needs surface=")
        y, log = surface.nearest_minimum(as_xs(tr))[1], True
    elif kind == "lr":
        steps = np.arange(1, len(tr.fs))  # lrs[t] is the rate of step t+1
        y = as_series(tr, tr.lrs)
        positive = y[np.isfinite(y)]
        log = bool(positive.size and positive.min() > 0 and positive.max() > 100 * positive.min())
    else:
        raise ValueError(f"unknown kind {kind!r}; one of {', '.join(KINDS)}")
    y = np.where(np.isfinite(y), y, np.nan)
    if log:
        y = np.where(np.isfinite(y), np.maximum(y, LOG_CLIP), np.nan)
    return steps, y, log


def curves_figure(
    runs: Sequence[RunView], *, kind: str, step: int | None = None, optimal_value: float | None = None,
    surface: Surface | None = None, font_scale: float = 1.0,
) -> go.Figure:
    """One curve per run of ``kind`` ("loss", "grad_norm", "distance", "lr") against the step.

    A run of N > 1 trajectories is drawn as its median with a 10–90 % band. A red x marks where a
    trajectory diverged (its last finite value). ``step`` draws a vertical line. "loss" is f − f*
    on a log axis when ``optimal_value`` (else ``surface.optimal_value``) is known, f otherwise; on a finite-sum
    surface it is the training and the test loss of each run (traces of roles "curve" and "test_curve").
    """
    if optimal_value is None and surface is not None:
        optimal_value = surface.optimal_value
    data: list[dict] = []
    held_out = kind == "loss" and any(run.trajectory.test_fs is not None for run in runs)
    empty, logs, shown = True, [], []
    for i, (run, dash) in enumerate(zip(runs, follower_dashes(runs), strict=True)):
        x, y, log_run = curve_values(run, kind, optimal_value=optimal_value, surface=surface)
        logs.append(log_run)
        shown.append(np.asarray(y, dtype=float).ravel())
        empty &= not np.isfinite(y).any()
        data += _curve_traces(i, run, x.astype(np.int32), y, dash, suffix=" · training" if held_out else "")
        if held_out and run.trajectory.test_fs is not None:
            _, test, _ = curve_values(run, "test_loss")
            data += _curve_traces(i, run, x.astype(np.int32), test, TEST_DASH, suffix=" · test", role="test_curve",
                                  alpha=TEST_ALPHA)
        data += _divergence_marks(i, run, x.astype(np.int32), y)
    log = all(logs) if logs else kind in ("grad_norm", "distance")
    layout = dict(
        template=TEMPLATE, height=scaled_height(HEIGHT, font_scale), font={"size": 13 * font_scale},
        xaxis={"title": {"text": "step"}},
        yaxis={"title": {"text": _y_title(kind, optimal_value, held_out, surface)}, "type": "log" if log else "linear",
               "exponentformat": "power", **(decade_ticks(shown) if log else {})},
        margin={"l": 60, "r": 20, "t": 20, "b": 40}, hovermode="x unified",
        # At the bottom of the figure, not of the plot: the margin then grows to fit however many rows the
        # legend wraps into (a narrow column, a large font), so it never covers the x title.
        legend={"orientation": "h", "yref": "container", "yanchor": "bottom", "y": 0.0, "x": 0.0}, uirevision=kind,
    )
    if step is not None:  # the step cursor (the canvas moves it): a vertical line over the whole plot's height
        layout["shapes"] = [{"type": "line", "x0": step, "x1": step, "xref": "x", "y0": 0, "y1": 1,
                             "yref": "y domain", "line": {"dash": "dot", "color": "#555", "width": 1}}]
    if empty:  # say why, in words: an empty chart with no reason looks like a bug
        undefined = bool(runs) and all(never_started(run) for run in runs)
        lines = textwrap.wrap(UNDEFINED_START, 36) if undefined else ["nothing to show for these runs"]
        # one annotation a line: the text is made literal, so no <br>
        layout["annotations"] = [{"text": line, "showarrow": False, "xref": "paper", "yref": "paper", "x": 0.5,
                                  "y": 0.5 + 0.08 * ((len(lines) - 1) / 2 - k)} for k, line in enumerate(lines)]
    return figure(data, layout)


def _y_title(kind: str, optimal_value, held_out: bool = False, surface: Surface | None = None) -> str:
    if held_out:
        penalty = surface is not None and surface.finite_sum is not None and surface.finite_sum.l2 > 0
        return "loss (no ½λ‖w‖²)" if penalty else "loss"  # the legend says which curve is training, which test
    return {"loss": "f − f*" if optimal_value is not None else "f", "grad_norm": "‖∇f‖",
            "distance": "distance to nearest minimum", "lr": "learning rate"}[kind]


def _curve_traces(i: int, run: RunView, x: np.ndarray, y: np.ndarray, dash: str | None, *, suffix: str = "",
                  role: str = "curve", alpha: float = 1.0) -> list[dict]:
    """A run's curve (its median and 10–90 % band for N > 1: the band only for the main curve)."""
    n = y.shape[1]
    line = {"type": scatter_type(len(x)), "x": x, "mode": "lines", "legendgroup": f"run{i}"}
    if n == 1 or role != "curve":
        with warnings.catch_warnings():  # steps where every trajectory has diverged are all-NaN: a gap
            warnings.simplefilter("ignore", RuntimeWarning)
            middle = y[:, 0] if n == 1 else np.nanmedian(y, axis=1)
        color = run.color if alpha == 1.0 else with_alpha(run.color, alpha)
        name = run.label if n == 1 else f"{run.label} (median of {n})"
        return [{**line, "y": f32(middle), "name": name + suffix,
                 "line": line_style(color, 2, dash), "meta": {"role": role, "run": i}}]
    with warnings.catch_warnings():  # steps where every trajectory has diverged are all-NaN: a gap
        warnings.simplefilter("ignore", RuntimeWarning)
        low, median, high = np.nanpercentile(y, [10, 50, 90], axis=1)
    edge = {**line, "line": {"width": 0, "color": run.color}, "showlegend": False, "hoverinfo": "skip",
            "meta": {"role": "band", "run": i}}
    return [
        {**edge, "y": f32(high), "name": f"{run.label} 90%"},
        {**edge, "y": f32(low), "name": f"{run.label} 10%", "fill": "tonexty",
         "fillcolor": with_alpha(run.color, 0.25)},
        {**line, "y": f32(median), "name": f"{run.label} (median of {n}, 10–90 % band){suffix}",
         "line": line_style(run.color, 2, dash), "meta": {"role": "curve", "run": i}},
    ]


def _divergence_marks(i: int, run: RunView, x: np.ndarray, y: np.ndarray) -> list[dict]:
    """A red x at each diverged trajectory's last finite value."""
    k = np.asarray(run.trajectory.diverged_at)
    finite = np.isfinite(y)
    last = len(y) - 1 - np.argmax(finite[::-1], axis=0)
    hit = (k >= 0) & finite.any(0)
    if not hit.any():
        return []
    cols = np.flatnonzero(hit)
    return [{
        "type": "scatter", "x": x[last[cols]], "y": f32(y[last[cols], cols]), "mode": "markers", "name": run.label,
        "legendgroup": f"run{i}", "showlegend": False, "meta": {"role": "diverged", "run": i},
        "text": [f"diverged at step {k[c]}" for c in cols],
        "marker": {"symbol": "x", "size": 11, "color": DIVERGED_COLOR}, "hovertemplate": "%{text}<extra></extra>",
    }]


MAX_DECADE_LABELS = 8


def decade_ticks(values) -> dict:
    """Log-axis settings that label powers of ten only, every k-th decade so that at most
    ``MAX_DECADE_LABELS`` labels show: plotly otherwise labels the minor ticks ("2", "5") on short ranges,
    and a "2" just below "1" reads as 2, not 0.2."""
    finite = np.concatenate([np.asarray(v, dtype=float).ravel() for v in values]) if len(values) else np.empty(0)
    finite = finite[np.isfinite(finite) & (finite > 0)]
    if finite.size == 0:
        return {"dtick": 1}
    with np.errstate(divide="ignore"):
        span = np.log10(finite.max()) - np.log10(finite.min())
    return {"dtick": max(1, int(np.ceil(span / MAX_DECADE_LABELS))), "minor": {"showgrid": False}}

