"""The model beside the surface: what a point on the contour of a finite-sum surface means for the data.

One pure function, :func:`model_figure`, draws the training and test examples and, for each run's parameters at
the current step, the fitted line (linear regression), the decision boundary (logistic regression), the fitted
curve (sinusoid), or, for the designed sharp-and-flat problem, the training and test loss along the line through
both minima with each run's position on it (the picture of Keskar et al. 2017).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import plotly.graph_objects as go

from surfaces import Surface

from .runs import PALETTE

__all__ = ["MODEL_KINDS", "model_figure"]

MODEL_KINDS = ("line", "boundary", "curve", "slice")
TRAIN_COLOR, TEST_COLOR, OUTLIER_COLOR = "#333333", "#AAAAAA", "#D55E00"
SAMPLES = 200  # points along a fitted curve or a loss slice


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
    """The data of ``surface`` and the model at each row of ``points`` (K, 2), one per run (NaN rows are skipped).

    Training examples are filled markers (outliers drawn as red crosses), test examples hollow and grey.
    Each trace carries ``meta={"role": ...}``: "train", "test", "outlier", "model" (one per run, with its
    ``run`` index) and, on the slice, "train_loss"/"test_loss". ValueError if the surface has no examples.
    """
    data = surface.finite_sum
    if data is None:
        raise ValueError(f"{surface.name!r} is not made of examples: there is no model to draw")
    points = np.asarray(points, dtype=float).reshape(-1, 2)
    names = list(names) if names is not None else [f"run {k + 1}" for k in range(len(points))]
    colors = list(colors) if colors is not None else [PALETTE[k % len(PALETTE)] for k in range(len(points))]
    draw = {"line": _regression, "curve": _regression, "boundary": _boundary, "slice": _slice}.get(data.model)
    if draw is None:
        raise ValueError(f"unknown model kind {data.model!r}; one of {', '.join(MODEL_KINDS)}")
    fig = go.Figure()
    axes = draw(fig, surface, points, names, colors)
    when = "" if step is None else f" at step {step}"
    fig.update_layout(
        title=dict(text=f"The model{when}", font=dict(size=16 * font_scale)),
        height=round(height * font_scale), margin=dict(l=50, r=20, t=50, b=45), template="plotly_white",
        font=dict(size=12 * font_scale), legend=dict(orientation="h", y=-0.18), uirevision=surface.name,
        xaxis_title=axes[0], yaxis_title=axes[1],
    )
    return fig


def _alive(points, names, colors):
    for k, (w, name, color) in enumerate(zip(points, names, colors, strict=True)):
        if np.all(np.isfinite(w)):
            yield k, w, name, color


def _outliers(data, rows=slice(None)) -> np.ndarray:
    return np.zeros(len(data.y), dtype=bool)[rows] if data.outlier is None else data.outlier[rows]


def _examples(fig: go.Figure, outlier, xs_train, ys_train, xs_test, ys_test, symbol="circle", suffix="") -> None:
    fig.add_trace(go.Scatter(x=xs_test, y=ys_test, mode="markers", name="test" + suffix, meta={"role": "test"},
                             marker=dict(symbol=symbol + "-open", size=6, color=TEST_COLOR)))
    fig.add_trace(go.Scatter(x=xs_train[~outlier], y=ys_train[~outlier], mode="markers", name="train" + suffix,
                             meta={"role": "train"}, marker=dict(symbol=symbol, size=8, color=TRAIN_COLOR)))
    if outlier.any():
        fig.add_trace(go.Scatter(x=xs_train[outlier], y=ys_train[outlier], mode="markers", name="outlier" + suffix,
                                 meta={"role": "outlier"}, marker=dict(symbol="x", size=9, color=OUTLIER_COLOR)))


def _regression(fig, surface, points, names, colors):
    """Points (x, y) and the fitted line or curve of each run across the inputs' range."""
    data = surface.finite_sum
    _examples(fig, _outliers(data), data.x[:, 0], data.y, data.test_x[:, 0], data.test_y)
    both = np.concatenate([data.x[:, 0], data.test_x[:, 0]])
    grid = np.linspace(both.min(), both.max(), SAMPLES)[:, None]
    for k, w, name, color in _alive(points, names, colors):
        fig.add_trace(go.Scatter(x=grid[:, 0], y=data.predict(w[None, :], grid), mode="lines", name=name,
                                 meta={"role": "model", "run": k}, line=dict(color=color, width=3)))
    return "x", "y"


def _boundary(fig, surface, points, names, colors):
    """Points in the plane by class (circles +1, diamonds -1) and each run's boundary w·x = 0."""
    data = surface.finite_sum
    for label, symbol in ((1.0, "circle"), (-1.0, "diamond")):
        train, test = data.y == label, data.test_y == label
        _examples(fig, _outliers(data, train), *data.x[train].T, *data.test_x[test].T,
                  symbol=symbol, suffix=f" ({label:+.0f})")
    both = np.concatenate([data.x, data.test_x])
    reach = 1.1 * np.abs(both).max()
    for k, w, name, color in _alive(points, names, colors):
        norm = np.linalg.norm(w)
        if norm == 0.0:
            continue  # w = 0 predicts 1/2 everywhere: there is no boundary to draw
        along = np.array([-w[1], w[0]]) / norm
        ends = np.array([-reach, reach])[:, None] * along
        fig.add_trace(go.Scatter(x=ends[:, 0], y=ends[:, 1], mode="lines", name=name,
                                 meta={"role": "model", "run": k}, line=dict(color=color, width=3)))
    fig.update_xaxes(range=[-reach, reach])
    fig.update_yaxes(range=[-reach, reach], scaleanchor="x")
    return "x₁", "x₂"


def _slice(fig, surface, points, names, colors):
    """Training and test loss along w₂ = 0 (through both minima), and where each run is."""
    data = surface.finite_sum
    u = np.linspace(*surface.bounds[0], SAMPLES)
    line = np.stack([u, np.zeros_like(u)], axis=-1)
    fig.add_trace(go.Scatter(x=u, y=data.train_loss(line), mode="lines", name="training loss",
                             meta={"role": "train_loss"}, line=dict(color=TRAIN_COLOR, width=2)))
    fig.add_trace(go.Scatter(x=u, y=data.test_loss(line), mode="lines", name="test loss",
                             meta={"role": "test_loss"}, line=dict(color=TEST_COLOR, width=2, dash="dash")))
    for k, w, name, color in _alive(points, names, colors):
        fig.add_trace(go.Scatter(
            x=[w[0], w[0]], y=[float(data.train_loss(w)), float(data.test_loss(w))], mode="markers+lines",
            name=name, meta={"role": "model", "run": k}, line=dict(color=color, width=1, dash="dot"),
            marker=dict(color=color, size=11, symbol=["circle", "circle-open"])))
    return "w₁ (along w₂ = 0)", "loss"
