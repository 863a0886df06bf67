"""The figure builders in ``plots``: pure functions checked on their Plotly output (no Streamlit)."""

from __future__ import annotations

import json
import re

import numpy as np
import plotly.graph_objects as go
import plotly.io as pio
import pytest

from optimizers import OPTIMIZERS, Trajectory, get_optimizer, run
from plots import (
    MAX_FRAMES,
    PALETTE,
    Overlays,
    RunView,
    contour_figure,
    curves_figure,
    gradient_field,
    hint_for,
    ledger_rows,
    shown_values,
    summary_rows,
    surface_figure,
    surface_grid,
)
from plots.animation import arrow_polylines, arrow_vectors, grown
from plots.landscape import MOVING_ROLES, moving_layer
from plots.overlays import step_vectors
from plots.raster import LINE_ALPHA, band_colors, band_colorscale, contour_levels, png_data_uri
from plots.runs import COINCIDE, FOLLOWER_DASHES, UNDEFINED_START, coinciding_runs, follower_dashes
from surfaces import get_surface, surface_from_expression


@pytest.fixture(scope="module")
def rosen():
    s = get_surface("rosenbrock")
    return s, surface_grid(s)


@pytest.fixture(scope="module")
def bowl():
    s = get_surface("ill_conditioned_bowl", kappa=10.0, angle=30.0)
    return s, surface_grid(s)


def adam_run(surface, steps=300, x0=None, label="Adam", color=PALETTE[0]):
    tr = run(get_optimizer("adam", lr=0.05), surface, [surface.start if x0 is None else x0], steps, record=True)
    return RunView(label, color, tr)


def diverging_sgd(bowl_surface, steps=60):
    """Plain GD with lr = 0.25 > 2/λmax = 0.2 on the κ = 10 bowl: diverges (escapes) after a few dozen steps."""
    tr = run(get_optimizer("sgd", lr=0.25), bowl_surface, [bowl_surface.start], steps, record=True)
    assert tr.diverged_at[0] > 0
    return RunView("SGD lr=0.25", PALETTE[5], tr, optimizer="sgd")


def roles(fig, role):
    return [i for i, t in enumerate(fig.data) if isinstance(t.meta, dict) and t.meta.get("role") == role]


def trace(fig, role, run_index=None):
    found = [t for t in fig.data if isinstance(t.meta, dict) and t.meta.get("role") == role
             and (run_index is None or t.meta.get("run") == run_index)]
    assert len(found) == 1, (role, run_index, len(found))
    return found[0]


def xy(t):
    return np.asarray(t.x, dtype=float), np.asarray(t.y, dtype=float)


def fake_trajectory(xs, diverged_at=-1):
    """A hand-made Trajectory (N = 1) for cases the engine never produces, e.g. finite points at 1e30."""
    xs = np.asarray(xs, dtype=float)[:, None, :]
    t1 = len(xs)
    with np.errstate(all="ignore"):
        fs = np.sum(xs**2, axis=-1)
    return Trajectory(xs, fs, np.sqrt(fs), np.array([diverged_at]), np.full((t1 - 1, 1), 0.1),
                      np.zeros(1, int), np.full(1, t1 - 1), np.zeros(1, int), {})


# ---------------------------------------------------------------------------- contour view


def test_contour_trace_counts_for_two_runs(rosen):
    s, g = rosen
    runs = [adam_run(s), adam_run(s, x0=[1.5, -0.5], label="B", color=PALETTE[1])]
    fig = contour_figure(s, g, runs)
    kinds = [t.meta["role"] if isinstance(t.meta, dict) else t.type for t in fig.data]
    assert kinds == ["contour", "path", "start", "end", "path", "start", "end", "minimum"]
    assert [t.name for t in fig.data if t.showlegend is not False] == ["Adam", "B", "minimum"]
    fig = contour_figure(s, g, runs, step=10, animate=True)
    assert len(fig.data) == 8 + 2 + 2  # + a step marker and an animated marker per run
    assert len(roles(fig, "step")) == len(roles(fig, "animated")) == 2


def shifted(view: RunView, dx: float, label: str) -> RunView:
    tr = view.trajectory
    return RunView(label, PALETTE[3], tr._replace(xs=np.asarray(tr.xs) + dx))


def test_a_path_on_an_earlier_one_is_dashed_everywhere_and_named_in_the_hint(bowl):
    s, g = bowl
    first = adam_run(s, steps=80)
    extent = float(np.ptp(np.asarray(first.trajectory.xs)))
    twin = first._replace(label="Adam again", color=PALETTE[1])  # what "Duplicate" makes before any change
    close = shifted(first, 0.5 * COINCIDE * extent, "close")
    apart = shifted(first, 3.0 * COINCIDE * extent, "apart")
    runs = [first, twin, close, apart]
    assert coinciding_runs(runs) == [None, 0, 0, None]
    assert follower_dashes(runs) == [None, FOLLOWER_DASHES[0], FOLLOWER_DASHES[1], None]
    contour = contour_figure(s, g, runs)
    curves = curves_figure(runs, kind="loss", surface=s)
    surface3d = surface_figure(s, g, runs)
    for fig, role in ((contour, "path"), (curves, "curve"), (surface3d, "path")):
        assert [trace(fig, role, i).line.dash for i in range(4)] == [None, "dash", "dot", None], role
    # The follower's markers would cover the leader's; its dashes let the leader's colour and markers show.
    assert [trace(contour, "path", i).mode for i in range(4)] == ["lines+markers", "lines", "lines", "lines+markers"]
    hints = [row["hint"] for row in summary_rows(s, runs)]
    assert "same path as Adam (" in hints[1] and "same path as Adam (" in hints[2]
    assert "same path" not in hints[0] and "same path" not in hints[3]


def test_paths_coincide_only_with_the_same_steps_and_divergence(bowl):
    s, _ = bowl
    a, longer = adam_run(s, steps=40), adam_run(s, steps=41, label="longer")
    assert coinciding_runs([a, longer]) == [None, None]  # the same path so far, but one goes on
    sgd = diverging_sgd(s)
    k = int(sgd.trajectory.diverged_at[0])
    earlier = RunView("earlier", PALETTE[2], sgd.trajectory._replace(diverged_at=np.array([k - 1])))
    assert coinciding_runs([sgd, earlier]) == [None, None]  # one stops a step sooner
    assert coinciding_runs([sgd, sgd._replace(label="again")]) == [None, 0]
    assert coinciding_runs([]) == []


def test_markers_overlay_toggles_iterate_markers(rosen):
    s, g = rosen
    runs = [adam_run(s)]
    assert trace(contour_figure(s, g, runs), "path").mode == "lines+markers"
    assert trace(contour_figure(s, g, runs, overlays=Overlays(markers=False)), "path").mode == "lines"


def test_diverged_path_stops_at_last_finite_point(bowl):
    s, g = bowl
    sgd = diverging_sgd(s)
    k = int(sgd.trajectory.diverged_at[0])
    fig = contour_figure(s, g, [adam_run(s), sgd])
    path = trace(fig, "path", 1)
    x, y = xy(path)
    steps = np.asarray(path.customdata, dtype=float)[:, 0]
    finite = np.isfinite(x) & np.isfinite(y)
    assert finite.any() and steps[finite].max() == k - 1  # nothing drawn from the divergence on
    cross = trace(fig, "diverged", 1)
    last = sgd.trajectory.xs[k - 1, 0]
    np.testing.assert_allclose(np.c_[xy(cross)][0], last, rtol=1e-6)
    assert cross.text[0] == f"diverged at step {k}" and cross.marker.symbol == "x"
    assert not roles(fig, "end") == [] and all(fig.data[i].meta["run"] == 0 for i in roles(fig, "end"))
    # the last finite point is far off-screen, so the exit from the view is marked on its edge
    (x0, x1), (y0, y1) = s.bounds
    ex, ey = xy(trace(fig, "escaped", 1))
    assert (np.isclose(ex, [x0, x1]).any() or np.isclose(ey, [y0, y1]).any()) and x0 <= ex[0] <= x1


def test_points_after_a_flagged_divergence_are_never_drawn(bowl):
    s, g = bowl
    tr = fake_trajectory([[-9.0, 3.0], [-5.0, 1.0], [-2.0, 0.5], [-1.0, 0.2]], diverged_at=2)
    fig = contour_figure(s, g, [RunView("flagged", PALETTE[3], tr)], step=3)
    x, _ = xy(trace(fig, "path"))
    assert np.isfinite(x).tolist() == [True, True, False, False]
    np.testing.assert_allclose(np.c_[xy(trace(fig, "diverged"))][0], [-5.0, 1.0])
    assert np.isnan(np.asarray(trace(fig, "step").x, dtype=float)).all()


def test_axes_stay_at_bounds_even_when_a_run_escapes_to_1e30(bowl):
    s, g = bowl
    xs = [[-9.0, 3.0], [-5.0, 1.0], [1e10, -1e10], [1e30, 1e30]]
    escaped = RunView("escaped", PALETTE[2], fake_trajectory(xs))  # finite, huge, never flagged as diverged
    fig = contour_figure(s, g, [escaped], step=3, animate=True)
    (x0, x1), (y0, y1) = s.bounds
    assert list(fig.layout.xaxis.range) == [x0, x1] and list(fig.layout.yaxis.range) == [y0, y1]
    assert np.isfinite(list(fig.layout.xaxis.range) + list(fig.layout.yaxis.range)).all()
    assert fig.layout.xaxis.autorange is False and fig.layout.yaxis.autorange is False
    assert fig.layout.yaxis.scaleanchor == "x"
    assert "Infinity" not in fig.to_json()
    assert np.isfinite(np.asarray(trace(fig, "path").x, dtype=float)).all()


def test_animation_frames_are_small_and_touch_only_marker_traces(rosen):
    s, g = rosen
    runs = [adam_run(s, steps=1000), adam_run(s, steps=40, x0=[1.5, -0.5], label="B")]
    fig = contour_figure(s, g, runs, animate=True, overlays=Overlays(gradient_field=True))
    animated = roles(fig, "animated")
    assert MAX_FRAMES - 5 <= len(fig.frames) <= MAX_FRAMES  # a long run uses (about) the whole budget
    for frame in fig.frames:
        assert list(frame.traces) == animated
        assert all(set(d.to_plotly_json()) <= {"x", "y", "type"} for d in frame.data)
    assert max(len(json.dumps(f.to_plotly_json())) for f in fig.frames) < 400
    names = [f.name for f in fig.frames]
    assert names[0] == "0" and names[-1] == "1000"  # subsampled evenly, both ends kept
    b = trace(fig, "animated", 1)
    last_b = runs[1].trajectory.xs[-1, 0]  # the short run waits at its end
    np.testing.assert_allclose([fig.frames[-1].data[1].x[0], fig.frames[-1].data[1].y[0]], last_b, rtol=1e-5)
    assert b.type == "scatter"
    play, pause = fig.layout.updatemenus[0].buttons
    assert play.method == pause.method == "animate"
    assert play.args[1]["frame"]["redraw"] is False and play.args[1]["transition"]["duration"] == 0
    assert list(pause.args[0]) == [None]
    assert [st.args[0][0] for st in fig.layout.sliders[0].steps] == names
    # plotly.js drops the contour's SVG while animating: the same bands are drawn as a background image
    (image,) = fig.layout.images
    assert image.source.startswith("data:image/png;base64,") and image.layer == "below"


def test_short_runs_get_one_frame_per_step(rosen):
    s, g = rosen
    fig = contour_figure(s, g, [adam_run(s, steps=50)], animate=True)
    assert [f.name for f in fig.frames] == [str(t) for t in range(51)]
    assert not contour_figure(s, g, [adam_run(s, steps=50)]).frames


def test_default_contour_payload_is_small(rosen):
    s, g = rosen
    one = [adam_run(s, steps=500)]
    assert len(contour_figure(s, g, one).to_json()) < 400_000
    assert len(contour_figure(s, g, one, step=250, animate=True).to_json()) < 400_000
    assert '"dtype":"f4"' in contour_figure(s, g, one).to_json()  # float32 typed arrays


def test_long_runs_use_webgl(rosen):
    s, g = rosen
    short = adam_run(s, steps=500)
    ensemble = RunView("noisy", PALETTE[2], run(get_optimizer("sgd", lr=1e-3), s, [s.start] * 8, 200, noise=1.0))
    fig = contour_figure(s, g, [short, ensemble])
    assert trace(fig, "path", 0).type == "scatter" and trace(fig, "path", 1).type == "scattergl"
    assert trace(fig, "path", 1).line.width < trace(fig, "path", 0).line.width  # N > 1: thinner
    assert np.isnan(np.asarray(trace(fig, "path", 1).x, dtype=float)).sum() == 7  # 8 paths, 7 gaps


def test_gradient_field_points_downhill_and_skips_nan():
    def grad(w):
        x, y = w[..., 0], w[..., 1]
        return np.stack([0.5 / np.sqrt(x), 2.0 * y], axis=-1)  # NaN for x < 0

    s = surface_from_expression("sqrt_bowl", lambda x, y: np.sqrt(x) + y * y, bounds=((-1, 3), (-2, 2)),
                                start=(2.0, 1.0), latex="", lesson="", grad=grad)
    x, y = gradient_field(s)
    assert None in x and not any(v is not None and not np.isfinite(v) for v in x + y)
    pieces, cur = [], []
    for px, py in zip([*x, None], [*y, None], strict=True):
        if px is None:
            pieces.append(np.array(cur))
            cur = []
        else:
            cur.append((px, py))
    shafts, heads = pieces[0::2], pieces[1::2]
    assert len(shafts) == len(heads) and all(len(p) == 2 for p in shafts) and all(len(h) == 3 for h in heads)
    starts = np.array([p[0] for p in shafts])
    assert (starts[:, 0] > 0).all()  # no arrow where the gradient is NaN
    assert len(shafts) == 11 * 15  # cell centres x = -1 + (i + 1/2) 4/15 > 0 for i >= 4: 11 of 15 columns
    d = np.array([p[1] - p[0] for p in shafts])
    assert (np.sum(d * s.grad(starts), axis=1) < 0).all()
    assert np.all(heads[0][1] == shafts[0][1])  # the head sits on the tip
    fig = contour_figure(s, surface_grid(s, 40), overlays=Overlays(gradient_field=True))
    assert len(roles(fig, "gradient-field")) == 1


def test_eigen_directions_and_polyak(bowl):
    s, g = bowl
    base = adam_run(s)
    avg = np.cumsum(base.trajectory.xs, axis=0) / np.arange(1, len(base.trajectory.xs) + 1)[:, None, None]
    r = base._replace(polyak=avg[:, 0])
    fig = contour_figure(s, g, [r], overlays=Overlays(eigen_directions=True, polyak=True))
    eig = [fig.data[i] for i in roles(fig, "eigen")]
    assert sorted(t.text[1] for t in eig) == ["λ=1", "λ=10"]
    for t, v in zip(sorted(eig, key=lambda t: t.text[1]), s.eigenvectors.T, strict=True):
        p = np.c_[xy(t)]
        u = (p[2] - p[0]) / np.linalg.norm(p[2] - p[0])
        assert abs(abs(u @ v) - 1) < 1e-6  # along the eigenvector ...
        w = p[1] - s.minima[0]
        assert abs(w[0] * v[1] - w[1] * v[0]) < 1e-3  # ... through the minimum
    pol = trace(fig, "polyak")
    assert pol.line.dash == "dash" and pol.line.color == r.color
    # readable: over the raw path, wider than it, on a light casing just below
    assert roles(fig, "polyak")[0] > roles(fig, "path")[0] and pol.line.width > trace(fig, "path").line.width
    assert roles(fig, "polyak-casing")[0] == roles(fig, "polyak")[0] - 1
    np.testing.assert_allclose(np.c_[xy(pol)], avg[:, 0], rtol=1e-5)
    assert not roles(contour_figure(get_surface("rosenbrock"), g, overlays=Overlays(eigen_directions=True)), "eigen")


def test_step_marker_and_arrows(rosen):
    s, g = rosen
    r = adam_run(s)
    t = 25
    fig = contour_figure(s, g, [r], step=t, overlays=Overlays(step_arrows=True))
    np.testing.assert_allclose(np.c_[xy(trace(fig, "step"))][0], r.trajectory.xs[t, 0], rtol=1e-6)
    arrows = [a for a in fig.layout.annotations if a.showarrow]
    assert len(arrows) == 3  # −η∇f, −η·m, Δx
    for a in arrows:
        assert a.axref == "x" and a.ayref == "y" and a.arrowhead in (2, 3, 6)
        np.testing.assert_allclose([a.ax, a.ay], r.trajectory.xs[t, 0])
    update = r.trajectory.xs[t + 1, 0] - r.trajectory.xs[t, 0]
    labels = {a.text: a for a in fig.layout.annotations if not a.showarrow}
    assert set(labels) == {"−η∇f", "−η·m", "Δx"}
    assert all(a.arrowcolor == r.color for a in arrows)  # every arrow in its run's colour
    assert all(a.bordercolor == r.color for a in labels.values())
    tip = next(a for a in arrows if a.arrowwidth == 3.0)  # the update: the widest
    d = np.array([tip.x - tip.ax, tip.y - tip.ay])
    assert d @ update / (np.linalg.norm(d) * np.linalg.norm(update)) > 0.999  # same direction as the update
    g_arrow = next(a for a in arrows if a.arrowhead == 3)
    grad = r.trajectory.internals["grad"][t, 0]
    assert (g_arrow.x - g_arrow.ax) * grad[0] + (g_arrow.y - g_arrow.ay) * grad[1] < 0
    plain = run(get_optimizer("sgd", lr=1e-3), s, [s.start], 30)  # not recorded: −∇f and Δx still drawn
    fig = contour_figure(s, g, [RunView("sgd", PALETTE[1], plain)], step=5, overlays=Overlays(step_arrows=True))
    assert len([a for a in fig.layout.annotations if a.showarrow]) == 1  # for SGD −η∇f is Δx: one arrow
    assert [a.text for a in fig.layout.annotations if not a.showarrow] == ["−η∇f = Δx"]


def test_arrows_of_runs_at_one_point_keep_their_labels_apart(bowl):
    s, g = bowl
    runs = [RunView(f"sgd {lr}", PALETTE[i], run(get_optimizer("sgd", lr=lr), s, [s.start], 5, record=True))
            for i, lr in enumerate((0.05, 0.1, 0.15))]
    fig = contour_figure(s, g, runs, step=0, overlays=Overlays(step_arrows=True))
    labels = [a for a in fig.layout.annotations if not a.showarrow]
    assert {a.bordercolor for a in labels} == set(PALETTE[:3])
    spots = np.array([[a.x, a.y] for a in labels])
    gaps = np.linalg.norm(spots[:, None] - spots[None], axis=-1)[~np.eye(len(spots), dtype=bool)]
    assert gaps.min() > 0.03 * 20  # no two labels on top of one another (the view is 20 wide)


def test_live_contour_draws_whole_paths_faint_and_grown_paths_to_the_step(rosen):
    """The canvas's contour: the whole path faint, the path up to the step on top, arrows as traces; no legend."""
    s, g = rosen
    r = adam_run(s)
    t = 25
    fig = contour_figure(s, g, [r], step=t, live=True, overlays=Overlays(step_arrows=True))
    whole, top = trace(fig, "path"), trace(fig, "grown")
    assert whole.opacity < 0.5 and top.opacity == 1.0
    xs = r.trajectory.xs[:, 0]
    np.testing.assert_allclose(np.c_[xy(whole)], xs, rtol=1e-6)
    x, y = xy(top)
    assert np.isfinite(x).sum() == t + 1 and np.isnan(x[t + 1:]).all()  # up to the step, the rest a gap
    np.testing.assert_allclose(np.c_[x, y][: t + 1], xs[: t + 1], rtol=1e-6)
    assert fig.layout.showlegend is False and fig.layout.clickmode is None and not fig.layout.annotations
    assert sorted(fig.data[i].meta["arrow"] for i in roles(fig, "arrow")) == ["grad", "m", "update"]
    assert not roles(contour_figure(s, g, [r], step=t), "grown")  # files and other views: as before


def test_the_traces_the_step_moves_form_one_layer_under_the_minima(builder_figures):
    """The canvas redraws only the layer :func:`moving_layer` names as the step moves: it must hold every grown
    path, step marker and arrow of the live contour and nothing else, with the runs' other traces under it and the
    Polyak paths, minima and saddles over it."""
    live = builder_figures[0]
    start, stop = moving_layer(live)
    roles_by_layer = [{(t.meta or {}).get("role") for t in live.data[a:b]}
                      for a, b in ((0, start), (start, stop), (stop, len(live.data)))]
    assert roles_by_layer[1] == set(MOVING_ROLES)
    assert {"path", "start", "end", "contour"} <= roles_by_layer[0] and not roles_by_layer[0] & set(MOVING_ROLES)
    assert roles_by_layer[2] == {"polyak-casing", "polyak", "minimum"}
    assert moving_layer(builder_figures[2]) is None  # no step: nothing moves


# What the canvas's painter of the moving layer reads (ui/canvas/canvas.js, paintLayer): a moving trace that said
# anything else (another symbol, a fill, a text position) would be drawn other than it says.
PAINTED = {"type": {"scatter", "scattergl"}, "mode": {"lines", "markers", "lines+markers", "lines+text"},
           "textposition": {"top center"}}
PAINTED_KEYS = {"type", "x", "y", "mode", "name", "legendgroup", "showlegend", "meta", "line", "marker", "opacity",
                "hoverinfo", "hovertemplate", "text", "textposition", "textfont"}
PAINTED_PARTS = {"line": {"color", "width", "dash"}, "marker": {"color", "size", "line"}, "textfont": {"color"}}


def test_the_moving_layer_says_only_what_the_canvas_paints(builder_figures):
    live = builder_figures[0]
    start, stop = moving_layer(live)
    for trace in (live.data[i].to_plotly_json() for i in range(start, stop)):
        assert set(trace) <= PAINTED_KEYS, set(trace) - PAINTED_KEYS
        for key, allowed in PAINTED.items():
            assert trace.get(key, next(iter(allowed))) in allowed, (key, trace.get(key))
        for part, keys in PAINTED_PARTS.items():
            assert set(trace.get(part, {})) <= keys, (part, trace.get(part))
        assert set(trace.get("marker", {}).get("line", {})) <= {"color", "width"}


def test_arrow_polylines_match_step_vectors_at_every_step(rosen):
    """The browser's arrows for all steps at once are the single-step vectors of plots.overlays, step by step."""
    s, _ = rosen
    r = adam_run(s, steps=30)
    vectors = arrow_vectors(s, r)
    for t in (0, 7, 29):
        for key, (_, v) in step_vectors(s, r, t).items():
            np.testing.assert_allclose(vectors[key][t], v, rtol=1e-9, atol=1e-12)
    assert all(np.isnan(v[-1]).all() for v in vectors.values())  # no step after the last iterate
    lines = arrow_polylines(s, r)
    (x0, x1), (y0, y1) = s.bounds
    span = min(x1 - x0, y1 - y0)
    for key, v in vectors.items():
        shaft = lines[key][:-1, 1] - lines[key][:-1, 0]
        length = np.linalg.norm(shaft, axis=-1)
        assert np.all((length >= 0.04 * span - 1e-9) & (length <= 0.3 * span + 1e-9))  # clamped to stay readable
        cos = np.sum(shaft * v[:-1], -1) / (length * np.linalg.norm(v[:-1], axis=-1))
        np.testing.assert_allclose(cos, 1.0, rtol=1e-9)  # and pointing the vector's way
        np.testing.assert_allclose(lines[key][:, 0], r.trajectory.xs[:, 0])  # from the iterate


def test_grown_keeps_iterates_up_to_the_step():
    xs = np.arange(24, dtype=float).reshape(6, 2, 2)
    out = grown(xs, 2)
    np.testing.assert_array_equal(out[:3], xs[:3])
    assert np.isnan(out[3:]).all()


def test_layout_fonts_legend_and_uirevision(rosen):
    s, g = rosen
    small, big = contour_figure(s, g, font_scale=1.0), contour_figure(s, g, font_scale=2.0)
    assert big.layout.font.size == 2 * small.layout.font.size
    legend = small.layout.legend  # under the x title at the figure's bottom (the browser tests check the overlap)
    assert (legend.orientation, legend.yref, legend.yanchor, legend.y) == ("h", "container", "bottom", 0)
    assert small.layout.uirevision and small.layout.height == 560
    assert trace(small, "contour").marker.colorbar.title.text == "log₁₀(f − f*)"
    booth = contour_figure(get_surface("booth"), surface_grid(get_surface("booth")))
    assert trace(booth, "contour").marker.colorbar.title.text == "f"


def test_background_image_matches_contour_levels():
    shown = np.array([[0.0, 1.0], [2.0, 3.0]])
    levels = contour_levels(shown, target=3)
    assert levels == {"start": 1.0, "end": 2.0, "size": 1.0}
    scale = [[0.0, "#000000"], [1.0, "#ffffff"]]
    # Rows bottom (y0) first, as the grid is; the image has the top row first. Three bands, each 3 columns wide.
    values = np.array([[0.5] * 3 + [1.5] * 3 + [2.5] * 3] * 3)
    values[0, 0] = np.nan
    rgba = band_colors(values, levels, scale)[::-1]
    # bands below start, [1, 2) and above end get colour scale positions 0, 1/2 and 1; NaN is transparent
    assert rgba[2, 1, 0] == 0 and rgba[2, 4, 0] == 128 and rgba[2, 7, 0] == 255 and rgba[0, 0, 3] == 0
    assert (rgba[1:, :, 3] == 255).all()
    # the last column of a band meets the next band: a level line, lightened towards white
    assert rgba[2, 2, 0] == round(LINE_ALPHA * 255)
    assert rgba[2, 5, 0] == round((1 - LINE_ALPHA) * 128 + LINE_ALPHA * 255)
    assert png_data_uri(rgba).startswith("data:image/png;base64,iVBORw0KGgo")


def test_colour_bar_bands_match_the_image():
    """A value's colour on the stepped colour bar is its band's colour in the image (a lone pixel: no level line)."""
    rng = np.random.default_rng(0)
    shown = rng.uniform(-3.0, 7.0, (40, 40))
    levels = contour_levels(shown)
    colorscale = [[0.0, "#1b1f24"], [0.5, "#4a525c"], [1.0, "#f2f4f6"]]
    scale, cmin, cmax = band_colorscale(levels, colorscale)
    stops = np.array([p for p, _ in scale])
    colors = [tuple(map(int, c[4:-1].split(","))) for _, c in scale]
    assert cmin == levels["start"] - levels["size"] / 2 and cmax == levels["end"] + levels["size"] / 2
    for value in shown.ravel()[:200]:  # values beyond the bar's ends take its end colours
        position = np.clip((value - cmin) / (cmax - cmin), 0.0, 1.0 - 1e-12)
        k = int(np.searchsorted(stops, position, side="right")) - 1
        assert tuple(band_colors(np.array([[value]]), levels, colorscale)[0, 0, :3]) == colors[k], value


# ---------------------------------------------------------------------------- 3D view


def test_surface_path_lies_on_the_shown_surface(rosen, bowl):
    for s, g in (rosen, bowl):
        r = adam_run(s)
        fig = surface_figure(s, g, [r], step=10)
        path = trace(fig, "path")
        x, y = xy(path)
        z = np.asarray(path.z, dtype=float)
        ok = np.isfinite(z)
        assert ok.sum() > 100
        expected = shown_values(s, g, s.f(np.c_[x[ok], y[ok]].astype(float)))
        np.testing.assert_allclose(z[ok], expected, rtol=1e-4, atol=1e-4)
        step = trace(fig, "step")
        np.testing.assert_allclose(step.z[0], shown_values(s, g, r.trajectory.fs[10, 0]), rtol=1e-5)
    # the transform is the grid's own: at the grid nodes it reproduces grid.shown
    s, g = rosen
    nodes = np.stack(np.meshgrid(g.x.astype(float), g.y.astype(float)), -1)
    np.testing.assert_allclose(shown_values(s, g, s.f(nodes)), g.shown, rtol=1e-4, atol=1e-4)


def test_surface_figure_diverged_path_stops(bowl):
    s, g = bowl
    sgd = diverging_sgd(s)
    fig = surface_figure(s, g, [sgd])
    x, _ = xy(trace(fig, "path"))
    assert np.isfinite(x).sum() <= sgd.trajectory.diverged_at[0]
    assert trace(fig, "diverged").marker.symbol == "x"
    assert not roles(fig, "end")


# ---------------------------------------------------------------------------- curves


@pytest.mark.parametrize("kind", ["loss", "grad_norm", "distance"])
def test_log_curves_have_no_non_positive_values(bowl, kind):
    s, _g = bowl
    at_min = RunView("at minimum", PALETTE[1], run(get_optimizer("sgd", lr=0.1), s, [[0.0, 0.0]], 20))
    fig = curves_figure([adam_run(s), at_min, diverging_sgd(s)], kind=kind, step=5, surface=s)
    assert fig.layout.yaxis.type == "log"
    for t in fig.data:
        y = np.asarray(t.y, dtype=float)
        assert (y[np.isfinite(y)] > 0).all()
    assert trace(fig, "diverged").text[0].startswith("diverged at step")
    assert any(sh.type == "line" and sh.x0 == 5 for sh in fig.layout.shapes)


def test_loss_curve_without_known_optimum_is_linear_f():
    s = get_surface("saddle")
    assert s.optimal_value is None
    r = adam_run(s, steps=30)
    fig = curves_figure([r], kind="loss", surface=s)
    assert fig.layout.yaxis.type == "linear" and fig.layout.yaxis.title.text == "f"
    np.testing.assert_allclose(np.asarray(fig.data[0].y, float), r.trajectory.fs[:, 0], rtol=1e-5)


def test_ensemble_curves_draw_median_and_band(rosen):
    s, _g = rosen
    tr = run(get_optimizer("sgd", lr=1e-3), s, [s.start] * 10, 100, noise=2.0, seed=1)
    fig = curves_figure([RunView("noisy", PALETTE[2], tr)], kind="loss", optimal_value=0.0)
    assert [t.meta["role"] for t in fig.data] == ["band", "band", "curve"]
    high, low, median = (np.asarray(t.y, float) for t in fig.data)
    np.testing.assert_allclose(median, np.median(tr.fs, axis=1), rtol=1e-5)
    np.testing.assert_allclose(low, np.percentile(tr.fs, 10, axis=1), rtol=1e-5)
    assert (high >= median).all() and (median >= low).all()
    assert fig.data[1].fill == "tonexty" and fig.data[1].fillcolor.startswith("rgba(")


def test_lr_curve_and_distance_needs_surface(rosen):
    s, _g = rosen
    r = adam_run(s, steps=40)
    fig = curves_figure([r], kind="lr")
    np.testing.assert_allclose(np.asarray(fig.data[0].x), np.arange(1, 41))
    np.testing.assert_allclose(np.asarray(fig.data[0].y, float), 0.05)
    with pytest.raises(ValueError, match="surface"):
        curves_figure([r], kind="distance")
    with pytest.raises(ValueError, match="unknown kind"):
        curves_figure([r], kind="speed")


def test_long_curves_use_webgl(rosen):
    s, _g = rosen
    fig = curves_figure([adam_run(s, steps=1500)], kind="grad_norm")
    assert fig.data[0].type == "scattergl"


# ---------------------------------------------------------------------------- tables


def test_summary_reports_divergence_and_the_bowl_hint(bowl):
    s, _g = bowl
    sgd = diverging_sgd(s)
    (row,) = summary_rows(s, [sgd])
    assert row["status"] == f"diverged at step {sgd.trajectory.diverged_at[0]}"
    assert "2/λmax = 0.2" in row["hint"] and row["steps to tol"] == "not reached"
    assert row["grad evals"] == sgd.trajectory.n_grad[0]


def test_summary_steps_to_tol_match_an_independent_count(bowl):
    s, _g = bowl
    tr = run(get_optimizer("sgd", lr=0.15), s, [s.start], 300)
    expected = next(t for t in range(301) if s.f(tr.xs[t, 0]) - s.optimal_value <= 1e-6)
    (row,) = summary_rows(s, [RunView("gd", PALETTE[0], tr, optimizer="sgd")])
    assert row["steps to tol"] == expected and row["status"] == "converged" and row["hint"] == ""
    assert row["distance to minimum"] == pytest.approx(np.linalg.norm(tr.xs[-1, 0]))
    short = tr._replace(xs=tr.xs[:21], fs=tr.fs[:21], grad_norms=tr.grad_norms[:21], lrs=tr.lrs[:20])
    (row,) = summary_rows(s, [RunView("gd", PALETTE[0], short)])
    assert row["status"] == "running" and row["steps to tol"] == "not reached" and "more steps" in row["hint"]


def test_summary_for_an_ensemble(bowl):
    s, _g = bowl
    tr = run(get_optimizer("sgd", lr=np.array([0.1, 0.15, 0.25])), s, [s.start] * 3, 200)
    (row,) = summary_rows(s, [RunView("sweep", PALETTE[0], tr, optimizer="sgd")])
    k = tr.diverged_at[2]
    assert row["status"] == f"2/3 converged, 1/3 diverged (first at step {k})"
    assert "2/λmax" in row["hint"]


def test_hint_for():
    sgd, bfgs = OPTIMIZERS["sgd"], OPTIMIZERS["bfgs"]
    assert "2/λmax = 0.2" in hint_for(diverged=True, reached=False, spec=sgd, lr=0.3, lambda_max=10.0)
    assert hint_for(diverged=True, reached=False, lr=0.3, lambda_max=10.0).startswith("learning rate too large")
    assert hint_for(diverged=True, reached=False, spec=sgd, lr=0.1, lambda_max=10.0).startswith(
        "learning rate too large")
    assert hint_for(diverged=False, reached=True) == ""
    stalled = hint_for(diverged=False, reached=False, lr=0.1, grad_norm=1e-9, distance=2.0)
    assert stalled == "stalled: gradient norm below 1e-06 far from a minimum (plateau or saddle)"
    assert "stalled" not in hint_for(diverged=False, reached=False, grad_norm=1e-9, distance=1e-3)
    assert "larger learning rate" not in hint_for(diverged=False, reached=False, spec=bfgs, steps=10)


def hints(surface, config_runs, steps, start=None, noise=0.0):
    """The summary's hints for runs given as (optimizer, hparams, batch size)."""
    start = surface.start if start is None else start
    views = []
    for name, h, batch in config_runs:
        tr = run(get_optimizer(name, **h), surface, [start], steps, noise=noise * bool(batch), seed=0)
        views.append(RunView(name, PALETTE[0], tr, optimizer=name, hparams=h))
    return [row["hint"] for row in summary_rows(surface, views)]


def test_hint_just_under_the_limit_does_not_ask_for_a_larger_rate():
    """η = 0.19 under 2/λmax = 0.2 oscillates slowly (|1 − ηλmax| = 0.9 a step): a larger rate would diverge."""
    s = get_surface("ill_conditioned_bowl", kappa=10.0, angle=0.0)
    (hint,) = hints(s, [("sgd", {"lr": 0.19}, 0)], 60)
    assert "larger" not in hint and "close to the stability limit 0.2" in hint


def test_hint_for_high_momentum_says_less_momentum():
    s = get_surface("ill_conditioned_bowl", kappa=5.0, angle=20.0)
    runs = [("momentum", {"lr": 0.02, "momentum": mu}, 0) for mu in (0.95, 0.6)]
    high, low = hints(s, runs, 150)
    assert "larger" not in high and "less momentum" in high
    assert "less momentum" not in low


def test_hint_for_a_run_drawn_into_a_saddle():
    s = get_surface("saddle")
    (hint,) = hints(s, [("sgd", {"lr": 0.05}, 0)], 100, start=(-1.8, 0.0))
    assert "larger" not in hint and "saddle at (0, 0)" in hint and "batch size" in hint


def test_hint_for_a_start_outside_the_formulas_domain():
    s = get_surface("custom", formula="log(x) + y^2")
    tr = run(get_optimizer("sgd", lr=0.1), s, [(-1.0, 0.5)], 20)
    assert tr.diverged_at[0] == 0
    (row,) = summary_rows(s, [RunView("sgd", PALETTE[0], tr, optimizer="sgd")])
    assert "outside the formula's domain" in row["hint"] and "smaller" not in row["hint"]
    assert row["hint"] == UNDEFINED_START  # one plain sentence, the same the curves show
    assert row["status"] == "not started: f is undefined at the start"  # not "diverged at step 0"


@pytest.fixture(scope="module")
def undefined_start():
    """``log(x) + y^2`` started at x < 0, where f is undefined: two runs that never take a step."""
    s = get_surface("custom", formula="log(x) + y^2")
    start = (-1.5, 0.5)
    runs = [RunView(f"sgd {lr}", PALETTE[i], run(get_optimizer("sgd", lr=lr), s, [start], 20), optimizer="sgd",
                    start=start) for i, lr in enumerate((0.1, 0.2))]
    return s, start, runs


def test_a_start_outside_the_domain_is_marked_where_it_was_set(undefined_start):
    s, start, runs = undefined_start
    assert all(np.isnan(r.trajectory.xs).all() for r in runs)  # the engine has no finite point to draw
    fig = contour_figure(s, surface_grid(s, 40), runs, step=20)
    for i in range(len(runs)):
        marker = trace(fig, "start", i)
        assert (list(marker.x), list(marker.y)) == ([start[0]], [start[1]])
        assert "undefined" in marker.hovertemplate
    # without the start it was set at, nothing is invented
    bare = contour_figure(s, surface_grid(s, 40), [r._replace(start=None) for r in runs], step=20)
    assert not roles(bare, "start")


def test_the_curves_say_the_start_is_outside_the_domain(undefined_start):
    s, _, runs = undefined_start
    for kind in ("loss", "grad_norm", "distance"):
        notes = curves_figure(runs, kind=kind, surface=s).layout.annotations
        assert " ".join(note.text for note in notes) == UNDEFINED_START, kind
        assert all(len(note.text) <= 36 for note in notes)  # short lines: a narrow chart does not cut them
    # a run that never started beside one that did: that one is drawn, so no sentence over the chart
    fine = RunView("fine", PALETTE[2], run(get_optimizer("sgd", lr=0.1), s, [(1.5, 0.5)], 20))
    assert not curves_figure([*runs, fine], kind="loss", surface=s).layout.annotations


def test_the_hints_name_no_optimizer():
    """What a method can do comes from its registry entry, not from names written in plots/."""
    import inspect

    import plots.tables as tables

    source = inspect.getsource(tables)
    assert "GD_LIKE" not in source and '"momentum"' not in source and '"sgd"' not in source


def test_ledger_rows_equal_internals_at_step(rosen, bowl):
    s, _g = rosen
    r = adam_run(s)
    t = 17
    (row,) = ledger_rows([r], t)
    for key, column in [("grad", "g"), ("m", "m"), ("v", "v"), ("step_size", "step size"), ("update", "update")]:
        numbers = [float(v) for v in re.findall(r"[-+0-9.e]+", row[column])]
        np.testing.assert_allclose(numbers, r.trajectory.internals[key][t, 0], rtol=1e-3)
    assert float(row["loss before"]) == pytest.approx(r.trajectory.fs[t, 0], rel=1e-3)
    assert float(row["loss after"]) == pytest.approx(r.trajectory.fs[t + 1, 0], rel=1e-3)
    assert row["step"] == t and row["lr"] == "0.05"
    sb, _ = bowl
    plain = RunView("sgd", PALETTE[1], run(get_optimizer("sgd", lr=0.1), sb, [sb.start], 10))
    (row,) = ledger_rows([plain], 3)
    assert row["m"] == row["g"] == "—" and row["update"] != "—"  # not recorded, but the step is known
    (row,) = ledger_rows([plain], 99)  # past the end: the last iterate, no step
    assert row["step"] == 10 and row["update"] == "—" and row["loss after"] == "—"


# ---------------------------------------------------------------------------- rendering


def all_figures():
    s = get_surface("rosenbrock")
    g = surface_grid(s, 60)
    b = get_surface("ill_conditioned_bowl")
    r = adam_run(s, steps=200)
    yield contour_figure(s, g, [r], step=20, overlays=Overlays(True, True, True, True), animate=True)
    yield contour_figure(b, surface_grid(b, 60), [diverging_sgd(b)], overlays=Overlays(eigen_directions=True))
    yield surface_figure(s, g, [r], step=20, font_scale=1.5)
    for kind in ("loss", "grad_norm", "distance", "lr"):
        yield curves_figure([r], kind=kind, step=20, surface=s)


def test_figures_render_to_html():
    for fig in all_figures():
        assert isinstance(fig, go.Figure)
        html = pio.to_html(fig, include_plotlyjs="cdn", full_html=True)
        assert "Plotly.newPlot" in html and len(html) < 1_000_000
        go.Figure(json.loads(fig.to_json()))  # round-trips through plotly's validators


@pytest.mark.browser
def test_contour_survives_play_in_a_real_browser(tmp_path):
    """plotly.js in Chromium: Play moves the markers and the filled-contour image stays under them."""
    sync_api = pytest.importorskip("playwright.sync_api")
    chromium = "/usr/bin/chromium"
    import os

    if not os.path.exists(chromium):
        pytest.skip("no system Chromium")
    s = get_surface("rosenbrock")
    r = adam_run(s, steps=40)
    fig = contour_figure(s, surface_grid(s, 60), [r], animate=True)
    page_file = tmp_path / "fig.html"
    pio.write_html(fig, page_file, include_plotlyjs=True, div_id="plot", auto_play=False)
    index = roles(fig, "animated")[0]
    with sync_api.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=chromium, args=["--no-sandbox"])
        page = browser.new_page()
        errors = []
        page.on("pageerror", lambda e: errors.append(str(e)))
        page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
        page.goto(page_file.as_uri())
        page.wait_for_function("document.querySelector('#plot') && document.querySelector('#plot')._fullData")
        before = page.evaluate(f"document.querySelector('#plot').data[{index}].x[0]")
        page.get_by_text("Play").click()
        page.wait_for_function("document.querySelector('#plot')._fullLayout._currentFrame === '40'", timeout=20_000)
        after = page.evaluate(f"document.querySelector('#plot').data[{index}].x[0]")
        images = page.evaluate("[...document.querySelectorAll('image')].filter(i => "
                               "(i.getAttribute('href') || '').startsWith('data:image/png')).length")
        browser.close()
    assert errors == []
    assert after == pytest.approx(r.trajectory.xs[-1, 0, 0], rel=1e-4) and after != before
    assert images == 1


# ---------------------------------------------------------------------------- palette

# Colour-vision deficiency simulation matrices (Machado, Oliveira & Fernandes 2009, severity 1.0), on linear RGB.
CVD = {
    "normal": np.eye(3),
    "protan": np.array([[0.152286, 1.052583, -0.204868], [0.114503, 0.786281, 0.099216],
                        [-0.003882, -0.048116, 1.051998]]),
    "deutan": np.array([[0.367322, 0.860646, -0.227968], [0.280085, 0.672501, 0.047413],
                        [-0.011820, 0.042940, 0.968881]]),
    "tritan": np.array([[1.255528, -0.076749, -0.178779], [-0.078411, 0.930809, 0.147602],
                        [0.004733, 0.691367, 0.303900]]),
}


def lab(colors, vision="normal"):
    """CIELAB (D65) of ``#rrggbb`` colours as seen with ``vision``."""
    rgb = np.array([[int(c[i:i + 2], 16) for i in (1, 3, 5)] for c in colors]) / 255.0
    linear = np.where(rgb <= 0.04045, rgb / 12.92, ((rgb + 0.055) / 1.055) ** 2.4)
    linear = np.clip(linear @ CVD[vision].T, 0.0, 1.0)
    to_xyz = np.array([[0.4124, 0.3576, 0.1805], [0.2126, 0.7152, 0.0722], [0.0193, 0.1192, 0.9505]])
    xyz = linear @ to_xyz.T / np.array([0.95047, 1.0, 1.08883])
    f = np.where(xyz > 0.008856, np.cbrt(xyz), 7.787 * xyz + 16 / 116)
    return np.stack([116 * f[:, 1] - 16, 500 * (f[:, 0] - f[:, 1]), 200 * (f[:, 1] - f[:, 2])], -1)


def test_one_palette_of_eight_colours_apart_for_every_viewer():
    from plots.landscape import COLORSCALE
    from plots.runs import DIVERGED_COLOR
    from ui.config import PALETTE as ui_palette

    assert ui_palette is PALETTE and len(set(PALETTE)) == 8
    for vision in CVD:
        points = lab(PALETTE, vision)
        distance = np.linalg.norm(points[:, None] - points[None], axis=-1)
        assert distance[~np.eye(8, dtype=bool)].min() > 12, vision  # ΔE: clearly different colours
    points = lab(PALETTE)
    lightness, chroma = points[:, 0], np.hypot(points[:, 1], points[:, 2])
    darkest, lightest = lab([COLORSCALE[0][1], COLORSCALE[-1][1]])[:, 0]
    assert np.all(lightness > darkest + 30) and np.all(lightness < lightest - 15)  # on the contour's both ends
    assert np.all(chroma > 35)  # saturated: not a grey among the contour's greys, not washed out by a projector
    assert np.linalg.norm(points - lab([DIVERGED_COLOR]), axis=-1).min() > 25  # never mistaken for divergence


def test_runs_without_a_path_are_not_drawn_as_the_same_path(bowl):
    s, _g = bowl
    at_once = [RunView(f"η={lr}", PALETTE[i], run(get_optimizer("sgd", lr=lr), s, [s.start], 20))
               for i, lr in enumerate((1e6, 2e6))]
    assert all(r.trajectory.diverged_at[0] == 1 for r in at_once)
    assert coinciding_runs(at_once) == [None, None]
    undefined = get_surface("custom", formula="log(x) + y^2")
    never = [RunView(f"η={lr}", PALETTE[i], run(get_optimizer("sgd", lr=lr), undefined, [(-1.0, 0.0)], 20))
             for i, lr in enumerate((0.1, 0.2))]
    assert coinciding_runs(never) == [None, None]


@pytest.mark.parametrize("decades", [0.5, 3.0, 40.0])
def test_log_axes_label_decades_only(decades):
    fs = np.geomspace(1.0, 10.0 ** -decades, 50)[:, None]
    tr = fake_trajectory(np.zeros((50, 2)))._replace(fs=fs, grad_norms=fs)
    fig = curves_figure([RunView("r", PALETTE[0], tr)], kind="grad_norm")
    dtick = fig.layout.yaxis.dtick
    assert fig.layout.yaxis.type == "log" and isinstance(dtick, int) and dtick >= 1  # whole decades, no "D1"/"D2"
    assert min(decades, 16) / dtick <= 8  # at most eight labels (values are clipped at 1e-16)


def test_lecture_nesterov_draws_where_it_took_the_gradient(bowl):
    s, g = bowl
    tr = run(get_optimizer("nesterov_lookahead", lr=0.05, momentum=0.9), s, [s.start], 10, record=True)
    fig = contour_figure(s, g, [RunView("Nesterov", PALETTE[0], tr)], step=4, overlays=Overlays(step_arrows=True))
    assert [a.text for a in fig.layout.annotations if not a.showarrow].count("look-ahead") == 1
    (arrow,) = [a for a in fig.layout.annotations if a.showarrow and a.arrowhead == 7]
    p, y = tr.xs[4, 0], tr.internals["lookahead"][4, 0]
    np.testing.assert_allclose([arrow.ax, arrow.ay], p)
    d = np.array([arrow.x - arrow.ax, arrow.y - arrow.ay])
    assert d @ (y - p) / (np.linalg.norm(d) * np.linalg.norm(y - p)) > 0.999  # towards the look-ahead point


def _as_drawn(fig) -> dict:
    return json.loads(pio.to_json(fig, validate=False))


def _validated(fig) -> dict:
    """The figure as plotly.py's full validation makes it: it raises on a misspelt or misplaced property, and it
    expands shorthands (a string title, ``marker_color``) that plotly.js would not read."""
    return json.loads(pio.to_json(go.Figure(fig.to_dict())))


@pytest.fixture(scope="module")
def builder_figures(rosen, bowl) -> list:
    """Figures from every branch the builders take: overlays, live and animated, ensembles, divergence, 3D, curves."""
    s, grid = rosen
    single = adam_run(s, steps=40)
    many = RunView("many", PALETTE[1], run(get_optimizer("momentum", lr=1e-3, momentum=0.9), s,
                                           s.start + np.array([[0.0, 0.0], [0.1, -0.1], [-0.2, 0.3]]), 40,
                                           record=True), polyak=None, optimizer="momentum")
    bs, bgrid = bowl
    escaped = diverging_sgd(bs)
    everything = Overlays(gradient_field=True, eigen_directions=True, polyak=True, step_arrows=True)
    with_polyak = single._replace(polyak=np.cumsum(single.trajectory.xs, 0) / np.arange(1, 42)[:, None, None])
    return [
        contour_figure(s, grid, [with_polyak, many], step=10, overlays=everything, live=True, font_scale=1.5),
        contour_figure(s, grid, [with_polyak, many], step=10, overlays=everything, animate=True),
        contour_figure(bs, bgrid, [escaped]),
        surface_figure(s, grid, [single, many], step=5, live=True),
        surface_figure(bs, bgrid, [escaped]),
        *[curves_figure([single, many], kind=kind, step=7, surface=s)
          for kind in ("loss", "grad_norm", "distance", "lr")],
        curves_figure([escaped], kind="loss", surface=bs),
        curves_figure([], kind="loss"),
    ]


def test_builders_make_valid_figures(builder_figures):
    """The builders skip plotly.py's validation (``plots.runs.figure``): what they make must be what validation
    would have made, for every branch they take."""
    for fig in builder_figures:
        assert _as_drawn(fig) == _validated(fig)


def test_the_canvas_writes_the_json_plotly_writes(builder_figures):
    """``ui.canvas.figure_json`` encodes figures itself (plotly.py's encoder is slow): the same JSON, typed arrays
    and all, for the builders' figures and for a validated one with arrays of several dtypes."""
    from ui.canvas import figure_json

    mixed = go.Figure(go.Heatmap(z=np.arange(12, dtype=np.int64).reshape(3, 4), x=np.arange(4, dtype=np.uint8),
                                 y=np.array([0.5, np.nan, 2.0]), text=np.array(["a", "b", "c"])),
                      layout={"xaxis": {"range": np.array([0.0, 3.0])}, "title": {"text": "t"}})
    for fig in [*builder_figures, mixed]:
        assert json.loads(figure_json(fig)) == json.loads(pio.to_json(fig, validate=False))
