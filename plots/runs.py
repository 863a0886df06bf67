"""What a figure is told about a run, and the helpers (arrays, template) every figure shares."""

from __future__ import annotations

import html
from dataclasses import dataclass, field, fields
from typing import NamedTuple

import numpy as np
import plotly.graph_objects as go
import plotly.io as pio

from optimizers import Trajectory

# Eight run colours, chosen (from Okabe & Ito's, Paul Tol's and ColorBrewer's sets) so that each pair stays apart
# (CIELAB ΔE > 12) for normal vision and simulated protan, deutan and tritan vision (Machado et al. 2009); all of
# middle lightness and saturated, so that they show on the contour's dark centre and light rim and on a washed-out
# projector; none near the divergence red. tests/test_plots.py checks all of it. One palette for the whole app.
PALETTE = ("#33BBEE", "#EE3377", "#AAAA00", "#984EA3", "#FDB863", "#018571", "#F781BF", "#A6611A")

DIVERGED_COLOR = "#FF1F1F"


def _template() -> dict:
    """Plotly's "plotly_white", keeping only the trace types we draw.

    Named, not left to plotly's default: importing streamlit makes that default its own template, whose axes
    have no automargin (small margins then clipped the maps' tick labels). And slimmed: the full template is
    copied into every figure and sent with it on every rerun (7 KB of JSON, 7 ms to build a figure); its
    layout and these trace defaults are all our figures use.
    """
    white = pio.templates["plotly_white"]
    used = ("scatter", "scattergl", "scatter3d", "contour", "heatmap", "surface")
    return go.layout.Template(layout=white.layout, data={kind: white.data[kind] for kind in used}).to_plotly_json()


TEMPLATE = _template()
GL_THRESHOLD = 1000  # more points than this in one run: WebGL (Scattergl) instead of SVG
LOG_CLIP = 1e-16  # floor for values on a log axis
COORD_CLIP = 1e30  # larger coordinates would overflow float32 (and are far off-screen anyway)


class RunView(NamedTuple):
    """One configured run as the figures draw it.

    ``trajectory`` may hold N > 1 trajectories (noise ensemble, several starts): all are drawn in
    ``color``. ``polyak`` is the run's Polyak-averaged path, ``(T+1, 2)`` or ``(T+1, N, 2)``.
    ``optimizer`` is the registry name (e.g. ``"sgd"``) and ``hparams`` its settings, used only for the hints.
    """

    label: str
    color: str
    trajectory: Trajectory
    polyak: np.ndarray | None = None
    optimizer: str | None = None
    hparams: dict | None = None  # the run's hyperparameters, for the hints (None: the registry's defaults)
    start: tuple[float, float] | None = None  # where the run was started: marked even where f is undefined


def _overlay(label: str):
    return field(default=False, metadata={"overlay": label})


@dataclass(frozen=True)
class Overlays:
    """Optional layers of the contour view. Each field made by ``_overlay`` is one the user can switch on
    (its label in the app); adding an overlay is adding a field here and its drawing in the builder."""

    gradient_field: bool = _overlay("gradient field")
    eigen_directions: bool = _overlay("Hessian eigen-directions")
    polyak: bool = _overlay("Polyak-averaged paths")
    step_arrows: bool = _overlay("arrows at the current step")
    markers: bool = True  # a marker at each iterate (not a user overlay: the HTML export draws lines only)


OVERLAYS = {f.name: f.metadata["overlay"] for f in fields(Overlays) if "overlay" in f.metadata}  # name: label


def plotly_literal(text: str) -> str:
    """``text`` for a Plotly name, title or annotation: its pseudo-HTML tags (``<a href>``, ``<span style>``)
    shown as typed, not obeyed (plotly.js turns the entities back into the characters)."""
    return html.escape(str(text), quote=False)


def literal_text(fig: go.Figure) -> go.Figure:
    """Make every text a user can put into ``fig`` literal: trace names and hover texts, titles, annotations.

    Run labels come from links and text boxes. Our own builders put markup only in hover templates, which
    this leaves alone. Call it once, where a figure leaves Python (twice would show "&amp;lt;").
    """
    def mend(holder, attribute: str) -> None:
        value = getattr(holder, attribute, None)
        if isinstance(value, str) and (literal := plotly_literal(value)) != value:  # setting costs validation
            setattr(holder, attribute, literal)

    for trace in fig.data:
        mend(trace, "name")
        mend(trace, "hovertext")
    for annotation in fig.layout.annotations:
        mend(annotation, "text")
        mend(annotation, "hovertext")
    mend(fig.layout.title, "text")
    return fig


def with_alpha(color: str, alpha: float) -> str:
    """``#rrggbb`` or ``rgb(r, g, b)`` as ``rgba(..., alpha)``; other colour strings are returned unchanged."""
    c = color.strip()
    if c.startswith("#") and len(c) == 7:
        return f"rgba({int(c[1:3], 16)}, {int(c[3:5], 16)}, {int(c[5:7], 16)}, {alpha})"
    if c.startswith("rgb(") and c.endswith(")"):
        return f"rgba({c[4:-1]}, {alpha})"
    return c


def exit_point(xs: np.ndarray, bounds) -> np.ndarray | None:
    """Where a path ``(T+1, 2)`` last leaves the box ``bounds`` (on its edge), or None if it ends inside."""
    (x0, x1), (y0, y1) = bounds
    finite = np.isfinite(xs).all(-1)
    with np.errstate(invalid="ignore"):
        inside = finite & (xs[:, 0] >= x0) & (xs[:, 0] <= x1) & (xs[:, 1] >= y0) & (xs[:, 1] <= y1)
    last = int(np.flatnonzero(finite)[-1]) if finite.any() else -1
    if last < 0 or inside[last] or not inside.any():
        return None
    i = int(np.flatnonzero(inside[:last])[-1])
    p, d = xs[i], xs[i + 1] - xs[i]
    ts = [(edge - p[k]) / d[k] for k, (lo, hi) in enumerate(bounds) for edge in (lo, hi) if d[k] != 0]
    t = min((t for t in ts if t > 0), default=0.0)
    return p + min(t, 1.0) * d


def f32(values) -> np.ndarray:
    """float32 for the payload: non-finite -> NaN (a gap), huge values clipped so they stay finite."""
    a = np.asarray(values, dtype=float)
    a = np.where(np.isfinite(a), np.clip(a, -COORD_CLIP, COORD_CLIP), np.nan)
    return a.astype(np.float32)


def as_xs(trajectory: Trajectory) -> np.ndarray:
    """Iterates ``(T+1, N, 2)`` with everything from each trajectory's divergence on set to NaN."""
    xs = np.array(trajectory.xs, dtype=float)
    return np.where(_alive(trajectory, len(xs))[..., None], xs, np.nan)


def as_series(trajectory: Trajectory, values) -> np.ndarray:
    """A per-iterate series ``(T+1, N)`` (losses, gradient norms) masked like :func:`as_xs`."""
    values = np.array(values, dtype=float)
    return np.where(_alive(trajectory, len(values)), values, np.nan)


def _alive(trajectory: Trajectory, length: int) -> np.ndarray:
    k = np.asarray(trajectory.diverged_at)
    return (np.arange(length)[:, None] < k) | (k < 0)


# One plain sentence wherever a run could not take its first step because its start is outside a typed formula's
# domain (the summary's hint, the curves): not "the iterates blew up", which would send the user to the step size.
UNDEFINED_START = "The start is outside the formula's domain (f is undefined there): pick a start where it is defined."


def never_started(run: RunView) -> bool:
    """Every trajectory of ``run`` stopped at its start: f is not finite there (e.g. ``log(x)`` at x < 0)."""
    return bool(np.all(np.asarray(run.trajectory.diverged_at) == 0))


def start_points(run: RunView) -> np.ndarray:
    """Each trajectory's start ``(N, 2)``: its first iterate, or where it was set (``run.start``) when that
    iterate is NaN because f is undefined there; rows with neither are dropped."""
    first = np.asarray(as_xs(run.trajectory)[0], dtype=float)
    if run.start is not None:
        first = np.where(np.isfinite(first).all(-1, keepdims=True), first, np.asarray(run.start, dtype=float))
    return first[np.isfinite(first).all(-1)]


def last_finite(xs: np.ndarray) -> np.ndarray:
    """Index of each trajectory's last finite iterate in ``(T+1, N, 2)``; -1 where there is none."""
    finite = np.isfinite(xs).all(-1)
    idx = len(xs) - 1 - np.argmax(finite[::-1], axis=0)
    return np.where(finite.any(0), idx, -1)


def joined(xs: np.ndarray) -> np.ndarray:
    """``(T+1, N, 2)`` -> one ``(M, 2)`` polyline, trajectories separated by a NaN row (a gap)."""
    n = xs.shape[1]
    padded = np.concatenate([xs.transpose(1, 0, 2), np.full((n, 1, 2), np.nan)], axis=1)
    return padded.reshape(-1, 2)[:-1]


def steps_joined(t: int, n: int) -> np.ndarray:
    """Step index of every point of :func:`joined` (-1 at the separators)."""
    return np.tile(np.append(np.arange(t), -1), n)[:-1]


def scatter_type(points: int) -> str:
    """``"scattergl"`` for long runs (WebGL keeps thousands of points fluid), else ``"scatter"``."""
    return "scattergl" if points > GL_THRESHOLD else "scatter"


def line_style(color: str, width: float, dash: str | None = None) -> dict:
    """A trace's ``line``: solid unless ``dash`` names a pattern (a path on an earlier one, see
    :func:`follower_dashes`)."""
    return {"color": color, "width": width, **({"dash": dash} if dash else {})}


def figure(data: list[dict], layout: dict, frames: list[dict] | None = None) -> go.Figure:
    """A figure from plain dicts: each trace ``{"type": ..., ...}``, the layout, and the frames if any.

    Built without plotly.py's validation, which cost about 1 ms per trace and 10 ms per layout on every rerun (a
    slider press draws two or three figures of 20 to 40 traces: most of a press's server time). What the builders
    make is validated by the tests instead (``tests/test_plots.py``, ``test_builders_make_valid_figures``), so a
    misspelt property still fails, there and not in a student's browser.
    """
    return go.Figure(data=data, layout=layout, frames=frames, _validate=False)


def n_points(run: RunView) -> int:
    return int(np.prod(np.shape(run.trajectory.xs)[:2]))


def polyak_path(run: RunView) -> np.ndarray | None:
    """The Polyak path as ``(T+1, N, 2)``, or None."""
    if run.polyak is None:
        return None
    p = np.asarray(run.polyak, dtype=float)
    return p[:, None, :] if p.ndim == 2 else p


def scaled_height(height: int, font_scale: float) -> int:
    """A figure's height for a font ``font_scale`` times the base size (presentation mode): larger text takes more
    of a fixed height (titles, ticks, legend rows, the animation controls), so the figure grows with it and the
    plot keeps about its size. At 1.5 times the fonts: 1.2 times the height."""
    return round(height * (1.0 + 0.4 * (font_scale - 1.0)))


COINCIDE = 1e-3  # paths this close (a fraction of the area all paths span) at every iterate draw as one line
FOLLOWER_DASHES = ("dash", "dot", "dashdot")  # a path on top of an earlier one, so the one below shows through


def coinciding_runs(runs) -> list[int | None]:
    """For each run, the first earlier run whose path it follows, else None.

    Two runs coincide when they have the same steps and trajectories, diverge at the same iterates, and every
    iterate lies within ``COINCIDE`` of the other's, measured against the extent all runs' paths span (a duplicated
    run, or AdamW without weight decay beside Adam). Drawn over the earlier path, the later would hide it.
    """
    paths = [as_xs(run.trajectory) for run in runs]
    finite = [p[np.isfinite(p)] for p in paths]
    values = np.concatenate(finite) if finite else np.empty(0)
    extent = float(np.ptp(values)) if values.size else 0.0
    out: list[int | None] = []
    for i, xs in enumerate(paths):
        out.append(next((j for j in range(i) if _same_path(paths[j], xs, COINCIDE * extent)), None))
    return out


def _same_path(a: np.ndarray, b: np.ndarray, tol: float) -> bool:
    if a.shape != b.shape or not np.array_equal(np.isnan(a), np.isnan(b)):
        return False
    if np.isfinite(a).all(-1).sum(0).max() < 2:  # at most a start, no path: runs that never started or diverged
        return False  # at step 1 do not lie on one another
    both = np.isfinite(a)
    return bool(np.all(np.abs(a[both] - b[both]) <= tol))


def follower_dashes(runs) -> list[str | None]:
    """The line dash for each run: None, or a dash pattern when its path lies on an earlier run's."""
    leaders = coinciding_runs(runs)
    dashes: list[str | None] = []
    for i, leader in enumerate(leaders):
        rank = sum(1 for j in range(i) if leaders[j] is not None and leaders[j] == leader)
        dashes.append(None if leader is None else FOLLOWER_DASHES[rank % len(FOLLOWER_DASHES)])
    return dashes


def short_list(values) -> list:
    """A small array as a JSON-friendly list with 6 significant digits (non-finite -> None, a gap)."""
    return [float(f"{v:.6g}") if np.isfinite(v) else None for v in np.asarray(values, dtype=float).ravel()]
