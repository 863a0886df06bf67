"""Figures for the many-trajectory analyses: basin maps, hyperparameter sweeps, noise ensembles.

Pure builders: (results, options) -> Plotly figure. No Streamlit here, and no NaN in any
heatmap: cells that have no number (a run that diverged, or never reached the tolerance) get
a colour of their own, named on the colour bar.

Colours used throughout:

* **basins**: one colour per listed minimum (Okabe & Ito's colour-blind-safe palette),
  light grey for "none" (ended away from every listed minimum), black for "diverged";
* **steps to tolerance** and **final loss**: a Viridis scale where *bright yellow is good*
  (few steps, low loss) and blue is poor; light grey for "not reached", black for "diverged".
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import NamedTuple

import numpy as np
import plotly.colors as pc
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from analysis import BasinMap, Ensemble, Sweep, minimum_label
from optimizers import OPTIMIZERS
from plots import SurfaceGrid, contour_figure
from plots.runs import TEMPLATE
from surfaces import Surface

# Okabe & Ito (2008) without black and yellow: black means "diverged", yellow is lost on Viridis.
MINIMUM_COLORS = ["#E69F00", "#56B4E9", "#009E73", "#0072B2", "#D55E00", "#CC79A7"]
NONE_COLOR = "#BDBDBD"  # light grey: ended near no listed minimum / never reached the tolerance
DIVERGED_COLOR = "#000000"  # black: the run diverged
NOT_ALLOWED_COLOR = "#F2D7E6"  # pale pink: a sweep cell whose hyperparameters break a required order (c1 < c2)
SCALE = "Viridis"
SCALE_RANGE = (0.2, 1.0)  # skip Viridis' near-black purple so it is never mistaken for "diverged"
SPECIAL_WIDTH = 0.1  # share of the colour bar given to each special colour
LOSS_FLOOR = 1e-16  # added before log10 so an exact minimum stays finite
HOVER_TEXT_LIMIT = 40_000  # cells per heatmap with a text label on hover (text is heavy to send)


# ---------------------------------------------------------------------------- colour scales


def category_colorscale(colors: Sequence[str]) -> list[list]:
    """A stepped colour scale: integer code ``c`` (with zmin -0.5, zmax len-0.5) gets ``colors[c]`` exactly."""
    n = len(colors)
    scale = []
    for c, color in enumerate(colors):
        scale += [[c / n, color], [(c + 1) / n, color]]
    return scale


class _Encoded:
    """A continuous quantity plus special cases, packed into one heatmap with no NaN.

    Finite values map linearly to ``[0, top)`` of the colour bar, the ``best`` end bright; each
    special case (a mask) gets its own band of width SPECIAL_WIDTH above ``top``, so the bar reads
    bottom to top: good, worse, then the special cases ("not reached", "diverged").
    """

    def __init__(self, values: list[np.ndarray], specials: list[tuple[str, str]], *, log: bool, best: str):
        finite = np.concatenate([v[np.isfinite(v)].ravel() for v in values] + [np.empty(0)])
        self.lo, self.hi = (float(finite.min()), float(finite.max())) if finite.size else (0.0, 1.0)
        if self.hi <= self.lo:
            self.hi = self.lo + 1.0
        self.log = log
        self.best = best  # "low": small values are good and drawn bright
        self.specials = specials
        self.top = 1.0 - SPECIAL_WIDTH * len(specials)

    def position(self, value):
        """Where a finite value sits on the colour bar, in [0, top)."""
        u = (np.asarray(value, dtype=float) - self.lo) / (self.hi - self.lo)
        return np.clip(u, 0.0, 1.0) * (self.top - 1e-6)

    def special_position(self, j: int) -> float:
        return self.top + (j + 0.5) * SPECIAL_WIDTH

    def z(self, values: np.ndarray, masks: list[np.ndarray]) -> np.ndarray:
        out = np.where(np.isfinite(values), self.position(np.where(np.isfinite(values), values, self.lo)), 0.0)
        for j, mask in enumerate(masks):
            out = np.where(mask, self.special_position(j), out)
        return out.astype(np.float32)

    def colorscale(self) -> list[list]:
        lo, hi = SCALE_RANGE
        samples = np.linspace(0.0, 1.0, 9)
        colors = pc.sample_colorscale(SCALE, list(lo + (hi - lo) * samples))
        if self.best == "low":
            colors = colors[::-1]  # small values (few steps, low loss) bright yellow, large ones blue
        scale = [[float(s * self.top), c] for s, c in zip(samples, colors, strict=True)]
        for j, (_, color) in enumerate(self.specials):
            scale += [[self.top + j * SPECIAL_WIDTH, color], [self.top + (j + 1) * SPECIAL_WIDTH, color]]
        return scale

    def colorbar(self, title: str) -> dict:
        if self.log:  # values are log10: label whole powers of ten when there are a few
            ticks = np.arange(np.ceil(self.lo), np.floor(self.hi) + 1)
            ticks = ticks[:: max(1, int(np.ceil(len(ticks) / 6)))]  # at most 6 labels
            if len(ticks) < 2:
                ticks = np.linspace(self.lo, self.hi, 3)
            text = [f"{10**t:.2g}" for t in ticks]
        else:
            ticks = np.unique(np.round(np.linspace(self.lo, self.hi, 5)))
            text = [f"{t:g}" for t in ticks]
        vals = [float(v) for v in self.position(ticks)]
        vals += [self.special_position(j) for j in range(len(self.specials))]
        text += [label for label, _ in self.specials]
        return {"title": {"text": title}, "tickvals": vals, "ticktext": text}


def _with_colorbar(trace_kw: dict, show: bool, colorbar: dict) -> dict:
    trace_kw["showscale"] = show
    if show:
        trace_kw["colorbar"] = colorbar
    return trace_kw


def _hover_text(labels: np.ndarray) -> np.ndarray | None:
    return labels if labels.size <= HOVER_TEXT_LIMIT else None


def _steps_labels(steps_to_tol: np.ndarray, diverged: np.ndarray, budget: int) -> np.ndarray:
    """Short hover labels: "tol at step 35", "not reached in 200 steps", "diverged"."""
    reached = np.char.add("tol at step ", np.maximum(steps_to_tol, 0).astype(str))
    out = np.where(steps_to_tol >= 0, reached, f"not reached in {budget} steps")
    return np.where(diverged, "diverged", out).astype(object)


# ---------------------------------------------------------------------------- basin maps


def basin_figure(
    surface: Surface, maps: Sequence[tuple[str, BasinMap]], *, color_by: str = "minimum"
) -> go.Figure:
    """Side-by-side maps, one per ``(label, BasinMap)``: the colour of a pixel tells what the run
    started there did. Listed minima are marked with white stars.

    ``color_by``:

    * ``"minimum"``: which minimum it reached: one colour per minimum, named on the colour bar
      ("minimum 1 (3.00, 2.00)"), light grey "none" (not within ``radius`` of any), black "diverged";
    * ``"steps"``: steps to reach the tolerance, bright = fast; light grey "not reached", black "diverged";
    * ``"final_loss"``: log10 of the final loss above the optimum (above the lowest final loss
      when f* is unknown), bright = low; black "diverged".

    All panels share one colour scale, so colours compare across optimizers.
    """
    if color_by not in COLOR_BY:
        raise ValueError(f"color_by must be one of {', '.join(COLOR_BY)}, got {color_by!r}")
    maps = list(maps)
    if not maps:
        raise ValueError("give at least one (label, BasinMap) pair")
    corners = {(m.x[0], m.x[-1], m.y[0], m.y[-1]) for _, m in maps}
    if len(corners) > 1:
        raise ValueError("maps drawn side by side share their axes: compute them over the same bounds")
    fig = make_subplots(
        rows=1, cols=len(maps), shared_yaxes=True, horizontal_spacing=0.02,
        subplot_titles=[label for label, _ in maps],
    )
    for col, trace in enumerate(COLOR_BY[color_by].paint(surface, [m for _, m in maps]), start=1):
        fig.add_trace(trace, row=1, col=col)
        if len(surface.minima):
            fig.add_trace(
                go.Scatter(
                    x=surface.minima[:, 0], y=surface.minima[:, 1], mode="markers", name="listed minimum",
                    marker={"symbol": "star", "size": 12, "color": "white", "line": {"width": 1, "color": "black"}},
                    showlegend=col == 1, legendgroup="minima",
                    hovertemplate="minimum (%{x:.3f}, %{y:.3f})<extra></extra>",
                ),
                row=1, col=col,
            )
    m0 = maps[0][1]
    for col in range(1, len(maps) + 1):
        fig.update_xaxes(range=[m0.x[0], m0.x[-1]], matches="x", title_text="x start", row=1, col=col)
    fig.update_yaxes(range=[m0.y[0], m0.y[-1]], title_text="y start", row=1, col=1)
    fig.update_layout(
        template=TEMPLATE, height=430, margin={"l": 10, "r": 10, "t": 40, "b": 10},
        legend={"orientation": "h", "y": -0.15}, meta={"color_by": color_by},
    )
    return fig


def _heatmap(m: BasinMap, z: np.ndarray, labels: np.ndarray, **kw) -> go.Heatmap:
    """One map's heatmap; hover: the start, a short label (on maps up to HOVER_TEXT_LIMIT cells), the final loss."""
    text = _hover_text(labels)
    hover = "start (%{x:.2f}, %{y:.2f})<br>" + ("%{text}<br>" if text is not None else "")
    hover += "final f = %{customdata:.4g}<extra></extra>"
    final_f = m.final_f.astype(np.float32)  # NaN (diverged) shows as "NaN"
    return go.Heatmap(x=m.x, y=m.y, z=z, text=text, customdata=final_f, hovertemplate=hover, **kw)


def _minimum_traces(surface: Surface, maps: list[BasinMap]) -> list[go.Heatmap]:
    k = len(surface.minima)
    colors = [MINIMUM_COLORS[i % len(MINIMUM_COLORS)] for i in range(k)] + [NONE_COLOR, DIVERGED_COLOR]
    names = [minimum_label(surface, i) for i in range(k)] + ["none", "diverged"]
    colorbar = {"title": {"text": "ends at"}, "tickvals": list(range(k + 2)), "ticktext": names}
    traces = []
    for i, m in enumerate(maps):
        # codes: minimum i -> i, none (-1) -> k, diverged (-2) -> k + 1
        code = np.where(m.minimum_index >= 0, m.minimum_index, np.where(m.minimum_index == -2, k + 1, k))
        labels = np.asarray([f"minimum {i + 1}" for i in range(k)] + ["none", "diverged"], dtype=object)[code]
        kw = {"zmin": -0.5, "zmax": k + 1.5, "colorscale": category_colorscale(colors)}
        traces.append(_heatmap(m, code.astype(np.int16), labels, **_with_colorbar(kw, i == 0, colorbar)))
    return traces


def _steps_traces(surface: Surface, maps: list[BasinMap]) -> list[go.Heatmap]:
    values = [np.where((m.steps_to_tol >= 0) & ~m.diverged, m.steps_to_tol, np.nan).astype(float) for m in maps]
    enc = _Encoded(values, [("not reached", NONE_COLOR), ("diverged", DIVERGED_COLOR)], log=False, best="low")
    traces = []
    for i, (m, v) in enumerate(zip(maps, values, strict=True)):
        z = enc.z(v, [~m.diverged & (m.steps_to_tol < 0), m.diverged])
        kw = {"zmin": 0.0, "zmax": 1.0, "colorscale": enc.colorscale()}
        labels = _steps_labels(m.steps_to_tol, m.diverged, m.steps)
        traces.append(_heatmap(m, z, labels, **_with_colorbar(kw, i == 0, enc.colorbar("steps to tol"))))
    return traces


def _loss_traces(surface: Surface, maps: list[BasinMap]) -> list[go.Heatmap]:
    floor = surface.optimal_value
    if floor is None:
        finite = [m.final_f[np.isfinite(m.final_f)] for m in maps]
        floor = min((float(f.min()) for f in finite if f.size), default=0.0)
    values = []
    for m in maps:
        gap = np.where(np.isfinite(m.final_f), np.maximum(np.nan_to_num(m.final_f) - floor, 0.0), np.nan)
        values.append(np.where(np.isfinite(gap), np.log10(np.nan_to_num(gap) + LOSS_FLOOR), np.nan))
    enc = _Encoded(values, [("diverged", DIVERGED_COLOR)], log=True, best="low")
    title = "final log₁₀(f − f*)" if surface.optimal_value is not None else "log₁₀(f − lowest f)"
    traces = []
    for i, (m, v) in enumerate(zip(maps, values, strict=True)):
        z = enc.z(v, [m.diverged])
        kw = {"zmin": 0.0, "zmax": 1.0, "colorscale": enc.colorscale()}
        labels = np.where(m.diverged, "diverged", "").astype(object)
        traces.append(_heatmap(m, z, labels, **_with_colorbar(kw, i == 0, enc.colorbar(title))))
    return traces


# ---------------------------------------------------------------------------- sweeps


def axis_coordinates(values: np.ndarray, log: bool) -> np.ndarray:
    """Where values sit on a sweep axis: log10 of the value on a log parameter (evenly spaced cells)."""
    return np.log10(values) if log else np.asarray(values, dtype=float)


def _log_ticks(values: np.ndarray) -> dict:
    """Ticks at powers of ten inside the range, or at 1, 2, 5 x powers of ten when it spans less than a decade."""
    lo, hi = float(values.min()), float(values.max())
    powers = np.arange(np.floor(np.log10(lo)) - 1, np.ceil(np.log10(hi)) + 1)
    marks = 10.0**powers
    if np.sum((marks >= lo * 0.999) & (marks <= hi * 1.001)) < 2:
        marks = np.outer(marks, [1.0, 2.0, 5.0]).ravel()
    marks = marks[(marks >= lo * 0.999) & (marks <= hi * 1.001)]
    return {"tickvals": [float(v) for v in np.log10(marks)], "ticktext": [f"{v:g}" for v in marks]}


def sweep_figure(sweep: Sweep, *, theory: dict | None = None) -> go.Figure:
    """Heatmap of steps to tolerance over the hyperparameter grid: bright = fast, light grey =
    tolerance not reached, black = diverged (hover says which).

    A log parameter (the learning rate) is drawn on a log axis: the cells sit at log10 of the
    value, with ticks labelled by the value. With ``theory`` (from
    :func:`analysis.quadratic_theory`) and an ``lr`` axis, dashed vertical lines mark
    ``lr_max = 2/λmax`` (gradient descent diverges to the right) and ``lr_best = 2/(λmin+λmax)``;
    with a ``momentum`` axis, a star marks Polyak's optimum (lr_momentum_best, momentum_best),
    and for heavy-ball momentum a dotted curve marks its stability edge ``lr = 2(1+μ)/λmax``.
    """
    xp, yp = sweep.x_param, sweep.y_param
    x_log = _log_axis(xp, sweep.x_values)
    y_log = yp is not None and _log_axis(yp, sweep.y_values)
    xc = axis_coordinates(sweep.x_values, x_log)
    yc = axis_coordinates(sweep.y_values, y_log) if yp else np.zeros(1)
    reached = (sweep.steps_to_tol >= 0) & ~sweep.diverged
    values = np.where(reached, sweep.steps_to_tol, np.nan).astype(float)
    not_reached = ~sweep.diverged & ~reached & sweep.allowed
    specials = [("not reached", NONE_COLOR), ("diverged", DIVERGED_COLOR)]
    masks = [not_reached, sweep.diverged]
    labels = _steps_labels(sweep.steps_to_tol, sweep.diverged, sweep.steps)
    if not sweep.allowed.all():
        order = ", ".join(f"{a} < {b}" for a, b in OPTIMIZERS[sweep.name].ordered)
        specials.append((f"not allowed ({order})", NOT_ALLOWED_COLOR))
        masks.append(~sweep.allowed)
        labels = np.where(sweep.allowed, labels, f"not allowed: needs {order}")
    enc = _Encoded([values], specials, log=False, best="low")
    grid_x, grid_y = np.meshgrid(sweep.x_values, sweep.y_values)
    custom = np.stack([grid_x, grid_y], axis=-1).astype(np.float32)
    hover = f"{xp.name} = %{{customdata[0]:.4g}}<br>"
    hover += (f"{yp.name} = %{{customdata[1]:.4g}}<br>" if yp else "") + "%{text}<extra></extra>"
    fig = go.Figure(
        go.Heatmap(
            x=xc, y=yc, z=enc.z(values, masks), zmin=0.0, zmax=1.0,
            colorscale=enc.colorscale(), colorbar=enc.colorbar("steps to tol"),
            text=labels, customdata=custom, hovertemplate=hover, name="sweep",
        )
    )
    xaxis = {"title": {"text": _axis_title(xp, x_log)}, "range": _range(xc)}
    if x_log:
        xaxis.update(_log_ticks(sweep.x_values))
    yaxis = {"title": {"text": _axis_title(yp, y_log) if yp else ""}, "range": _range(yc)}
    if yp is None:
        yaxis.update(showticklabels=False)
    elif y_log:
        yaxis.update(_log_ticks(sweep.y_values))
    fig.update_layout(
        template=TEMPLATE, xaxis=xaxis, yaxis=yaxis, height=430 if yp else 260,
        margin={"l": 10, "r": 10, "t": 40, "b": 10},
        title={"text": f"{sweep.name} from ({sweep.start[0]:.2f}, {sweep.start[1]:.2f}): steps until {sweep.goal}"},
        legend={"orientation": "h", "y": -0.2},
    )
    if theory is not None and xp.name == "lr":
        _theory_overlay(fig, sweep, theory, yc)
    return fig


def _log_axis(param, values: np.ndarray) -> bool:
    """A log Param gets a log axis, unless some value is not positive (then a linear one)."""
    return bool(param.log and np.all(values > 0))


def _axis_title(p, log: bool) -> str:
    return f"{p.label or p.name} ({p.name})" + (", log scale" if log else "")


def _range(coords: np.ndarray) -> list[float]:
    """The axis range covering whole cells (half a cell beyond the first and last centres)."""
    half = 0.5 * (coords[-1] - coords[0]) / (len(coords) - 1) if len(coords) > 1 else 0.5
    return [float(coords[0] - half), float(coords[-1] + half)]


def _theory_overlay(fig: go.Figure, sweep: Sweep, theory: dict, yc: np.ndarray) -> None:
    x_log = _log_axis(sweep.x_param, sweep.x_values)
    y_log = sweep.y_param is not None and _log_axis(sweep.y_param, sweep.y_values)
    to_x = (lambda v: np.log10(v)) if x_log else (lambda v: v)
    y0, y1 = _range(yc)
    lines = [("lr_max", "2/λmax: GD diverges beyond", "#D55E00"), ("lr_best", "2/(λmin+λmax): best GD step", "#CC79A7")]
    for key, label, color in lines:
        x = float(to_x(theory[key]))
        fig.add_trace(
            go.Scatter(
                x=[x, x], y=[y0, y1], mode="lines", name=f"{key} = {theory[key]:.3g} ({label})",
                line={"color": color, "dash": "dash", "width": 2}, hoverinfo="name", meta={"theory": key},
            )
        )
    yp = sweep.y_param
    if yp is None or yp.name != "momentum":
        return
    lr_star, mu_star = theory["lr_momentum_best"], theory["momentum_best"]
    fig.add_trace(
        go.Scatter(
            x=[float(to_x(lr_star))], y=[float(np.log10(mu_star) if y_log else mu_star)], mode="markers",
            name=f"Polyak's optimum: lr = {lr_star:.3g}, momentum = {mu_star:.3g}", meta={"theory": "momentum_best"},
            marker={"symbol": "star", "size": 16, "color": "white", "line": {"width": 1.5, "color": "black"}},
        )
    )
    if sweep.name == "momentum" and float(sweep.fixed.get("dampening", 0.0)) == 0.0:
        mu = np.linspace(sweep.y_values.min(), sweep.y_values.max(), 50)
        edge = 2.0 * (1.0 + mu) / theory["lambda_max"]
        fig.add_trace(
            go.Scatter(
                x=to_x(edge), y=np.log10(mu) if y_log else mu, mode="lines", meta={"theory": "momentum_edge"},
                name="2(1+μ)/λmax: heavy ball diverges beyond", line={"color": "#D55E00", "dash": "dot", "width": 2},
            )
        )


# ---------------------------------------------------------------------------- ensembles


def _rgba(color: str, alpha: float) -> str:
    r, g, b = pc.hex_to_rgb(color) if color.startswith("#") else pc.unlabel_rgb(color)
    return f"rgba({r:.0f}, {g:.0f}, {b:.0f}, {alpha})"


def joined_paths(xs: np.ndarray) -> np.ndarray:
    """``(T+1, K, 2)`` paths -> one ``(M, 2)`` polyline, paths separated by a NaN row (drawn as a gap)."""
    k = xs.shape[1]
    padded = np.concatenate([xs.transpose(1, 0, 2), np.full((k, 1, 2), np.nan)], axis=1)
    return padded.reshape(-1, 2)[:-1]


def noise_text(ens: Ensemble) -> str:
    """What made the runs differ: their minibatches on a surface made of examples, else the Gaussian noise."""
    if ens.trajectory.test_fs is not None:  # a finite-sum surface: real minibatches, no Gaussian noise
        return f"minibatches of {ens.batch_size}" if ens.batch_size else "full batch"
    return f"noise σ = {ens.noise:g}"


def ensemble_figure(surface: Surface, grid: SurfaceGrid, ens: Ensemble, color: str = "#E69F00") -> go.Figure:
    """The K noisy paths as a fan on the contour plot: ONE thin, semi-transparent WebGL trace
    (paths separated by gaps), where they overlap the colour is denser. A white circle marks the
    start and small dots in ``color`` the K end points.
    """
    fig = contour_figure(surface, grid)
    traj = ens.trajectory
    xs = np.where(np.isfinite(traj.xs), np.clip(traj.xs, -1e30, 1e30), np.nan)  # float32-safe, gaps after divergence
    path = joined_paths(xs).astype(np.float32)
    k = xs.shape[1]
    fig.add_trace(
        go.Scattergl(
            x=path[:, 0], y=path[:, 1], mode="lines", name=f"{k} runs ({noise_text(ens)})",
            line={"color": _rgba(color, 0.25), "width": 1}, hoverinfo="skip",
        )
    )
    ends = xs[-1][np.isfinite(xs[-1]).all(axis=1)]
    fig.add_trace(
        go.Scattergl(
            x=ends[:, 0], y=ends[:, 1], mode="markers", name="end points",
            marker={"color": color, "size": 4, "line": {"width": 0}},
            hovertemplate="end (%{x:.3f}, %{y:.3f})<extra></extra>",
        )
    )
    fig.add_trace(
        go.Scatter(
            x=[ens.start[0]], y=[ens.start[1]], mode="markers", name="start",
            marker={"symbol": "circle", "size": 11, "color": "white", "line": {"width": 2, "color": color}},
        )
    )
    return fig


def ensemble_curves_figure(ens: Ensemble, *, color: str = "#0072B2", log_y: bool | None = None) -> go.Figure:
    """Loss per step over the K runs: the median as a line, the 10-90% band shaded around it.

    ``log_y=None`` uses a log axis when every value shown is positive. Steps where every run
    has diverged are left blank.
    """
    steps = np.arange(len(ens.median_loss))
    shown = np.concatenate([ens.median_loss, ens.band_low, ens.band_high])
    shown = shown[np.isfinite(shown)]
    if log_y is None:
        log_y = bool(shown.size) and bool(np.all(shown > 0))
    fill = _rgba(color, 0.2)
    fig = go.Figure()
    fig.add_trace(go.Scatter(x=steps, y=ens.band_high, mode="lines", line={"width": 0}, name="90th percentile",
                             showlegend=False, hoverinfo="skip"))
    fig.add_trace(go.Scatter(x=steps, y=ens.band_low, mode="lines", line={"width": 0}, fill="tonexty",
                             fillcolor=fill, name="10–90% of runs", hoverinfo="skip"))
    fig.add_trace(go.Scatter(x=steps, y=ens.median_loss, mode="lines", line={"color": color, "width": 2},
                             name="median loss", hovertemplate="step %{x}<br>median f = %{y:.4g}<extra></extra>"))
    k = ens.trajectory.xs.shape[1]
    fig.update_layout(
        xaxis={"title": {"text": "step"}},
        yaxis={"title": {"text": "loss f"}, "type": "log" if log_y else "linear"},
        title={"text": f"{k} runs, {noise_text(ens)}"},
        template=TEMPLATE, height=360, margin={"l": 10, "r": 10, "t": 40, "b": 10},
        legend={"orientation": "h", "y": -0.25},
    )
    return fig


class Colouring(NamedTuple):
    """One way to colour a basin map: its title in the app, and the painter of one heatmap per map."""

    title: str
    paint: Callable[[Surface, list[BasinMap]], list[go.Heatmap]]


COLOR_BY = {  # the basin map's colourings: adding one is one entry
    "minimum": Colouring("minimum reached", _minimum_traces),
    "steps": Colouring("steps to tolerance", _steps_traces),
    "final_loss": Colouring("final loss", _loss_traces),
}
