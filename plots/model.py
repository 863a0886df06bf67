"""The model beside the surface: what a point on the contour of a finite-sum surface means for the data.

:func:`model_figure` draws the training and test examples and, for each run's parameters at the current step, the
fitted line (linear regression), the decision boundary (logistic regression), the fitted curve (sinusoid), or, for
the designed sharp-and-flat problem, the training and test loss along the line through both minima with each
run's position on it (the picture of Keskar et al. 2017). :func:`model_lines` gives the coordinates of those model
traces for many parameter points at once: the canvas gets them for every step and moves the model with the step.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import plotly.graph_objects as go

from surfaces import Surface

from .runs import PALETTE, TEMPLATE, figure

__all__ = ["MODEL_KINDS", "model_figure", "model_lines"]

MODEL_KINDS = ("line", "boundary", "curve", "slice")
TRAIN_COLOR, TEST_COLOR, OUTLIER_COLOR = "#333333", "#AAAAAA", "#D55E00"
SAMPLES = 200  # points along a fitted curve or a loss slice
PAD = 0.15  # the axes reach this fraction of the data's range beyond it: a model far off is clipped, not rescaled


def _examples_of(surface: Surface):
    data = surface.finite_sum
    if data is None:
        raise ValueError(f"{surface.name!r} is not made of examples: there is no model to draw")
    if data.model not in MODEL_KINDS:
        raise ValueError(f"unknown model kind {data.model!r}; one of {', '.join(MODEL_KINDS)}")
    return data


def _inputs(data) -> np.ndarray:
    """The inputs the fitted line or curve is drawn over: the range of every example, train and test."""
    both = np.concatenate([data.x[:, 0], data.test_x[:, 0]])
    return np.linspace(both.min(), both.max(), SAMPLES)[:, None]


def _reach(data) -> float:
    return 1.1 * float(np.abs(np.concatenate([data.x, data.test_x])).max())


def model_lines(surface: Surface, points) -> tuple[np.ndarray, np.ndarray]:
    """The model trace's ``x`` and ``y`` (K, L) at each parameter point of ``points`` (K, 2), as drawn.

    "line"/"curve": the prediction over the inputs' range (L = ``SAMPLES``); "boundary": the two ends of the
    line w·x = 0 (NaN for w = 0, which predicts 1/2 everywhere); "slice": the training and the test loss at
    the point (x = w₁ twice). Non-finite points give NaN rows (nothing is drawn).
    """
    data = _examples_of(surface)
    w = np.asarray(points, dtype=float).reshape(-1, 2)
    good = np.isfinite(w).all(-1)
    safe = np.where(good[:, None], w, 0.0)  # no warnings from a diverged run's NaN
    with np.errstate(all="ignore"):
        if data.model in ("line", "curve"):
            grid = _inputs(data)
            x = np.broadcast_to(grid[:, 0], (len(w), len(grid))).copy()
            y = np.asarray(data.predict(safe[:, None, :], grid), dtype=float).reshape(len(w), -1)
        elif data.model == "boundary":
            norm = np.linalg.norm(safe, axis=-1, keepdims=True)
            along = np.stack([-safe[:, 1], safe[:, 0]], -1) / np.where(norm > 0, norm, np.nan)
            ends = np.array([-1.0, 1.0])[None, :, None] * _reach(data) * along[:, None, :]  # (K, 2 ends, 2)
            x, y = ends[..., 0], ends[..., 1]
        else:
            x = np.repeat(safe[:, :1], 2, axis=1)
            y = np.stack([data.train_loss(safe), data.test_loss(safe)], -1)
    nan = ~good[:, None]
    return np.where(nan, np.nan, x), np.where(nan, np.nan, y)


def model_figure(
    surface: Surface,
    points,
    *,
    names: Sequence[str] | None = None,
    colors: Sequence[str] | None = None,
    step: int | None = None,
    font_scale: float = 1.0,
    height: int = 440,
) -> go.Figure:
    """The data of ``surface`` and the model at each row of ``points`` (K, 2), one per run.

    Training examples are filled markers (outliers drawn as red crosses), test examples hollow and grey.
    Each trace carries ``meta={"role": ...}``: "train", "test", "outlier", "model" (one per run, with its
    ``run`` index, empty where the run's point is not finite) and, on the slice, "train_loss"/"test_loss".
    The axes are fixed by the data (not by the models), so a model that moves does not rescale them.
    ValueError if the surface has no examples.
    """
    data = _examples_of(surface)
    points = np.asarray(points, dtype=float).reshape(-1, 2)
    names = list(names) if names is not None else [f"run {k + 1}" for k in range(len(points))]
    colors = list(colors) if colors is not None else [PALETTE[k % len(PALETTE)] for k in range(len(points))]
    draw = {"line": _regression, "curve": _regression, "boundary": _boundary, "slice": _slice}[data.model]
    data_traces, xaxis, yaxis = draw(surface)
    xs, ys = model_lines(surface, points)
    slice_ = data.model == "slice"
    for k, (name, color) in enumerate(zip(names, colors, strict=True)):
        look = ({"mode": "markers+lines", "line": {"color": color, "width": 1, "dash": "dot"},
                 "marker": {"color": color, "size": 11, "symbol": ["circle", "circle-open"]}} if slice_ else
                {"mode": "lines", "line": {"color": color, "width": 3}})
        data_traces.append({"type": "scatter", "x": xs[k], "y": ys[k], "name": name,
                            "meta": {"role": "model", "run": k}, **look})
    when = "" if step is None else f" at step {step}"
    layout = {
        "title": {"text": f"The model{when}", "font": {"size": 16 * font_scale}},
        "height": round(height * font_scale), "margin": {"l": 50, "r": 20, "t": 50, "b": 45}, "template": TEMPLATE,
        "font": {"size": 12 * font_scale}, "uirevision": surface.name,
        # at the bottom of the figure, not of the plot: the margin grows with the legend's rows, above the x title
        "legend": {"orientation": "h", "yref": "container", "yanchor": "bottom", "y": 0.0, "x": 0.0},
        "xaxis": xaxis, "yaxis": yaxis,
    }
    return figure(data_traces, layout)  # plain dicts, as the other builders (validated in the tests)


def _padded(values) -> list[float]:
    lo, hi = float(np.nanmin(values)), float(np.nanmax(values))
    pad = PAD * max(hi - lo, 1e-9)
    return [lo - pad, hi + pad]


def _axis(title: str, span, **more) -> dict:
    return {"title": {"text": title}, "range": [float(v) for v in span], **more}


def _outliers(data, rows=slice(None)) -> np.ndarray:
    return np.zeros(len(data.y), dtype=bool)[rows] if data.outlier is None else data.outlier[rows]


def _examples(outlier, xs_train, ys_train, xs_test, ys_test, symbol="circle", suffix="") -> list[dict]:
    dots = {"type": "scatter", "mode": "markers"}
    traces = [
        {**dots, "x": xs_test, "y": ys_test, "name": "test" + suffix, "meta": {"role": "test"},
         "marker": {"symbol": symbol + "-open", "size": 6, "color": TEST_COLOR}},
        {**dots, "x": xs_train[~outlier], "y": ys_train[~outlier], "name": "train" + suffix, "meta": {"role": "train"},
         "marker": {"symbol": symbol, "size": 8, "color": TRAIN_COLOR}},
    ]
    if outlier.any():
        traces.append({**dots, "x": xs_train[outlier], "y": ys_train[outlier], "name": "outlier" + suffix,
                       "meta": {"role": "outlier"}, "marker": {"symbol": "x", "size": 9, "color": OUTLIER_COLOR}})
    return traces


def _regression(surface):
    """Points (x, y); the runs' fitted lines or curves go across the inputs' range."""
    data = surface.finite_sum
    traces = _examples(_outliers(data), data.x[:, 0], data.y, data.test_x[:, 0], data.test_y)
    return traces, _axis("x", _padded(_inputs(data))), _axis("y", _padded(np.concatenate([data.y, data.test_y])))


def _boundary(surface):
    """Points in the plane by class (circles +1, diamonds -1); the runs' boundaries w·x = 0 go through the origin."""
    data = surface.finite_sum
    traces = []
    for label, symbol in ((1.0, "circle"), (-1.0, "diamond")):
        train, test = data.y == label, data.test_y == label
        traces += _examples(_outliers(data, train), *data.x[train].T, *data.test_x[test].T,
                            symbol=symbol, suffix=f" ({label:+.0f})")
    reach = _reach(data)
    return traces, _axis("x₁", [-reach, reach]), _axis("x₂", [-reach, reach], scaleanchor="x")


def _slice(surface):
    """Training and test loss along w₂ = 0 (through both minima); each run's point sits on them."""
    data = surface.finite_sum
    u = np.linspace(*surface.bounds[0], SAMPLES)
    line = np.stack([u, np.zeros_like(u)], axis=-1)
    train, test = data.train_loss(line), data.test_loss(line)
    traces = [
        {"type": "scatter", "x": u, "y": train, "mode": "lines", "name": "training loss",
         "meta": {"role": "train_loss"}, "line": {"color": TRAIN_COLOR, "width": 2}},
        {"type": "scatter", "x": u, "y": test, "mode": "lines", "name": "test loss",
         "meta": {"role": "test_loss"}, "line": {"color": TEST_COLOR, "width": 2, "dash": "dash"}},
    ]
    return (traces, _axis("w₁ (along w₂ = 0)", surface.bounds[0]),
            _axis("loss", _padded(np.concatenate([train, test]))))
