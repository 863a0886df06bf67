"""Layers of the contour view: gradient field, eigen directions, Polyak paths, step arrows."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from surfaces import Surface

from .runs import RunView, as_xs, f32, joined, n_points, polyak_path, scatter_type, short_list

FIELD_POINTS = 15  # per axis
HEAD_ANGLE = np.deg2rad(25.0)
# Every arrow of a run is drawn in the run's colour (which run it belongs to is then plain); the three kinds
# differ in their label and arrowhead: (arrowhead, width).
ARROW_STYLES = {"grad": (3, 1.8), "m": (6, 1.8), "update": (2, 3.0), "lookahead": (7, 1.5)}
ARROW_LABELS = {"grad": "−η∇f", "m": "−η·m", "update": "Δx", "lookahead": "look-ahead"}


def gradient_field(surface: Surface, n: int = FIELD_POINTS) -> tuple[list, list]:
    """Coordinates of −∇f arrows on an ``n`` x ``n`` grid of cell centres, as one polyline with None gaps.

    Each arrow is two pieces: the shaft ``[start, tip]`` and the head ``[barb, tip, barb]``.
    Lengths grow with log10 |∇f| from 0.3 to 0.9 of a cell, so steep and flat regions both read.
    Points where the gradient is zero, NaN or infinite get no arrow.
    """
    (x0, x1), (y0, y1) = surface.bounds
    dx, dy = (x1 - x0) / n, (y1 - y0) / n
    centres = np.stack(np.meshgrid(x0 + dx * (np.arange(n) + 0.5), y0 + dy * (np.arange(n) + 0.5)), -1).reshape(-1, 2)
    with np.errstate(all="ignore"):
        g = np.asarray(surface.grad(centres), dtype=float)
        norm = np.linalg.norm(g, axis=-1)
        ok = np.isfinite(g).all(-1) & np.isfinite(norm) & (norm > 0)
    if not ok.any():
        return [], []
    start, g, norm = centres[ok], g[ok], norm[ok]
    log = np.log10(norm)
    spread = log.max() - log.min()
    s = (log - log.min()) / spread if spread > 0 else np.ones_like(log)
    length = min(dx, dy) * (0.3 + 0.6 * s)
    d = -g / norm[:, None]
    tip = start + length[:, None] * d
    head = 0.35 * length[:, None]
    barbs = [tip - head * _rotate(d, a) for a in (HEAD_ANGLE, -HEAD_ANGLE)]
    gap = np.full_like(start, np.nan)
    pieces = np.stack([start, tip, gap, barbs[0], tip, barbs[1], gap], axis=1).reshape(-1, 2)[:-1]
    return short_list(pieces[:, 0]), short_list(pieces[:, 1])


def _rotate(v: np.ndarray, angle: float) -> np.ndarray:
    c, s = np.cos(angle), np.sin(angle)
    return np.stack([c * v[:, 0] - s * v[:, 1], s * v[:, 0] + c * v[:, 1]], -1)


def gradient_field_traces(surface: Surface) -> list[dict]:
    """−∇f as one trace of thin arrows (see :func:`gradient_field`)."""
    x, y = gradient_field(surface)
    return [{"type": "scatter", "x": x, "y": y, "mode": "lines", "name": "−∇f field",
             "meta": {"role": "gradient-field"}, "hoverinfo": "skip",
             "line": {"color": "rgba(255,255,255,0.6)", "width": 1}, "showlegend": False}]


def eigen_direction_traces(surface: Surface) -> list[dict]:
    """Dotted lines through the minimum along each Hessian eigenvector, labelled with its eigenvalue."""
    if surface.eigenvectors is None or surface.eigenvalues is None:
        return []
    traces = []
    (x0, x1), (y0, y1) = surface.bounds
    centre = surface.minima[0] if len(surface.minima) else np.zeros(2)
    reach = np.hypot(x1 - x0, y1 - y0)
    for lam, v in zip(surface.eigenvalues, np.asarray(surface.eigenvectors).T, strict=True):
        v = v / np.linalg.norm(v)
        label_at = centre + 0.8 * _reach_inside(centre, v, surface.bounds) * v
        points = np.array([centre - reach * v, label_at, centre + reach * v])
        traces.append({
            "type": "scatter", "x": short_list(points[:, 0]), "y": short_list(points[:, 1]), "mode": "lines+text",
            "text": ["", f"λ={lam:g}", ""], "textposition": "top center", "textfont": {"color": "white"},
            "name": f"eigenvector λ={lam:g}", "meta": {"role": "eigen"}, "showlegend": False, "hoverinfo": "skip",
            "line": {"color": "rgba(255,255,255,0.85)", "width": 1.5, "dash": "dot"},
        })
    return traces


def _reach_inside(centre: np.ndarray, v: np.ndarray, bounds) -> float:
    """How far one can go from ``centre`` along ``v`` and stay inside ``bounds`` (0 if outside)."""
    limits = []
    for k, (lo, hi) in enumerate(bounds):
        if v[k] > 1e-12:
            limits.append((hi - centre[k]) / v[k])
        elif v[k] < -1e-12:
            limits.append((lo - centre[k]) / v[k])
    return max(0.0, min(limits)) if limits else 0.0


POLYAK_WIDTH = 3.5  # wider than a path (2.5), over it, on a light casing: readable on any colour below


def polyak_traces(runs: Sequence[RunView]) -> list[dict]:
    """Each run's Polyak-averaged path, dashed in the run's colour over a light casing (runs without one skipped).

    Drawn after the raw paths: the average lies on top of the path it smooths, and the casing keeps the
    dashes readable over that path and the dark contour alike.
    """
    traces = []
    for i, run in enumerate(runs):
        p = polyak_path(run)
        if p is None:
            continue
        path = joined(p)
        single = p.shape[1] == 1
        line = {"type": scatter_type(n_points(run)), "x": f32(path[:, 0]), "y": f32(path[:, 1]), "mode": "lines",
                "name": f"{run.label} · Polyak average", "legendgroup": f"run{i}"}
        traces.append({**line, "showlegend": False, "meta": {"role": "polyak-casing", "run": i}, "hoverinfo": "skip",
                       "line": {"color": "rgba(255, 255, 255, 0.75)", "width": (POLYAK_WIDTH + 3) if single else 3}})
        traces.append({**line, "meta": {"role": "polyak", "run": i},
                       "line": {"color": run.color, "width": POLYAK_WIDTH if single else 1.5, "dash": "dash"},
                       "hovertemplate": "Polyak average<br>x=%{x:.4g}, y=%{y:.4g}<extra>%{fullData.name}</extra>"})
    return traces


def step_vectors(surface: Surface, run: RunView, step: int) -> dict[str, tuple[np.ndarray, np.ndarray]]:
    """The first trajectory's vectors at iterate ``step``: name -> (point, drawn vector).

    ``grad``: −η·g (g as the optimizer saw it, else the true gradient), ``m``: −η·m, ``update``: the
    applied step x_{t+1} − x_t, ``lookahead``: from x_t to the point where the step took its gradient (Nesterov's
    lecture form). Without a learning rate, −g and −m are drawn unscaled. Missing ones are left out.
    """
    tr = run.trajectory
    xs = as_xs(tr)
    t = int(np.clip(step, 0, len(xs) - 1))
    p = xs[t, 0]
    if t >= len(xs) - 1 or not np.isfinite(p).all():
        return {}
    lr = float(tr.lrs[t, 0]) if np.isfinite(tr.lrs[t, 0]) else 1.0
    inner = tr.internals
    with np.errstate(all="ignore"):
        g = inner["grad"][t, 0] if "grad" in inner and np.isfinite(inner["grad"][t, 0]).all() else surface.grad(p)
        out = {"grad": -lr * np.asarray(g, dtype=float), "update": xs[t + 1, 0] - p}
        if "m" in inner:
            out["m"] = -lr * np.asarray(inner["m"][t, 0], dtype=float)
        if "lookahead" in inner:  # Nesterov's lecture form: where this step's gradient was taken
            out["lookahead"] = np.asarray(inner["lookahead"][t, 0], dtype=float) - p
    return {k: (p, v) for k, v in out.items() if np.isfinite(v).all() and np.any(v != 0)}


def step_arrow_annotations(surface: Surface, run: RunView, step: int, index: int = 0) -> list[dict]:
    """Arrows at the run's iterate ``step``: −η∇f, −η·m and the applied update Δx (first trajectory), as layout
    annotations.

    All in the run's colour, told apart by arrowhead and label; each label sits in a box framed in the run's
    colour and, for the ``index``-th run, is moved aside by ``index`` label heights, so that runs at one point
    (every run at step 0) do not stack their labels. Drawn lengths are clamped to 4–30 % of the view so they
    stay readable; the label's hover gives the run and the true vector.
    """
    (x0, x1), (y0, y1) = surface.bounds
    span = min(x1 - x0, y1 - y0)
    vectors = step_vectors(surface, run, step)
    merged = {"update": ["update"]}
    for key in [k for k in vectors if k != "update"]:  # a vector equal to the update (plain SGD: −η∇f is Δx)
        if "update" in vectors and np.allclose(vectors[key][1], vectors["update"][1], rtol=1e-9, atol=0.0):
            merged["update"].insert(0, key)  # is one arrow with both names
            del vectors[key]
    annotations = []
    for key, (p, v) in vectors.items():
        length = np.linalg.norm(v)
        drawn = v * np.clip(length, 0.04 * span, 0.3 * span) / length
        tip = p + drawn
        head, width = ARROW_STYLES[key]
        annotations.append(dict(
            x=tip[0], y=tip[1], ax=p[0], ay=p[1], xref="x", yref="y", axref="x", ayref="y", text="",
            showarrow=True, arrowhead=head, arrowsize=1.2, arrowwidth=width, arrowcolor=run.color,
        ))
        note = "" if np.isclose(length, np.linalg.norm(drawn)) else " (drawn rescaled)"
        unit = drawn / np.linalg.norm(drawn)
        label_at = tip + 0.05 * span * unit + index * 0.06 * span * np.array([-unit[1], unit[0]])
        text = " = ".join(ARROW_LABELS[k] for k in merged.get(key, [key]))
        annotations.append(dict(
            x=label_at[0], y=label_at[1], xref="x", yref="y", showarrow=False, text=text,
            font={"color": "white"}, bgcolor="rgba(0,0,0,0.6)", bordercolor=run.color, borderwidth=2,
            hovertext=f"{run.label}: {text} = ({v[0]:.4g}, {v[1]:.4g}){note}",
        ))
    return annotations
