"""The app under Streamlit's AppTest: every surface, optimizer, lesson and view runs without an
exception, controls change what is drawn, and links round-trip (hostile ones give notices)."""

from __future__ import annotations

import base64
import json
from pathlib import Path

import numpy as np
import pytest
from streamlit.testing.v1 import AppTest

from optimizers import OPTIMIZERS
from surfaces import SURFACES
from ui.compute import make_surface
from ui.config import VIEWS, from_query, to_query
from ui.controls import LESSONS_OPEN
from ui.lessons import LESSONS

APP = str(Path(__file__).resolve().parents[1] / "app.py")


def app(query: dict | None = None) -> AppTest:
    at = AppTest.from_file(APP, default_timeout=60)
    for key, value in (query or {}).items():
        at.query_params[key] = value
    return at.run()


def assert_clean(at: AppTest) -> None:
    assert not at.exception, [e.value for e in at.exception]


def canvases(at: AppTest) -> list[dict]:
    """The data each canvas (``ui.canvas``: the comparison's, and every persistent chart) was given."""
    datas = [json.loads(element.proto.json) for element in at.get("bidi_component")]
    return [data for data in datas if data["charts"]]  # not the chart-less one that preloads plotly.js


def figures(at: AppTest) -> list[dict]:
    """The Plotly figures on the page, as JSON: every canvas's charts, in page order."""
    return [json.loads(chart["figure"]) for data in canvases(at) for chart in data["charts"]]


def unpack(packed: dict) -> np.ndarray:
    """An array as ``ui.canvas.pack`` sends it to the browser."""
    values = np.frombuffer(base64.b64decode(packed["bdata"]), dtype="<" + packed["dtype"])
    return values.reshape(packed.get("shape", [-1]))


def query(at: AppTest, key: str) -> list[str]:
    """The page's URL parameter ``key`` as a list (AppTest gives a lone value as a plain string)."""
    value = at.query_params.get(key, [])
    return [value] if isinstance(value, str) else list(value)


def open_run(at: AppTest, run_id: int) -> AppTest:
    """Open run ``run_id``'s expander, as a click on it does: a closed run draws no widgets."""
    at.session_state[f"run.{run_id}.open"] = True
    return at.run()


def widget(at: AppTest, kind: str, key: str):
    """The widget with ``key``; a run's widget after opening that run's expander."""
    found = next((w for w in getattr(at, kind) if w.key == key), None)
    if found is None and key.startswith("run."):
        open_run(at, int(key.split(".")[1]))
        found = next(w for w in getattr(at, kind) if w.key == key)
    return found


def test_default_page_draws_contour_and_curves_and_3d_on_request():
    at = app()
    assert_clean(at)
    assert not at.error
    kinds = [{t["type"] for t in fig["data"]} for fig in figures(at)]
    contour = figures(at)[0]
    assert len(kinds) == 2 and not any("surface" in k for k in kinds)
    assert contour["layout"]["images"][0]["source"].startswith("data:image/png")  # the filled contour
    assert {"contour", "path", "grown", "step"} <= {t.get("meta", {}).get("role") for t in contour["data"]}
    assert at.latex  # the surface formula
    with_3d = app({"3d": "1"})
    assert_clean(with_3d)
    kinds = [{t["type"] for t in fig["data"]} for fig in figures(with_3d)]
    assert len(kinds) == 3 and any("surface" in k for k in kinds)


@pytest.mark.parametrize("name", list(SURFACES))
def test_every_surface(name):
    at = app({"surface": name})
    assert_clean(at)
    assert widget(at, "selectbox", "surface").value == name


@pytest.mark.parametrize("name", list(OPTIMIZERS))
def test_every_optimizer(name):
    at = app({"surface": "rosenbrock", "run": name, "steps": "50"})
    assert_clean(at)
    assert widget(at, "selectbox", "run.0.optimizer").value == name


@pytest.mark.parametrize("name", list(LESSONS))
def test_every_lesson_button(name):
    at = app()
    assert not [b for b in at.button if (b.key or "").startswith("lesson.")]  # drawn only while the expander is open
    at.session_state[LESSONS_OPEN] = True  # a click on the expander
    at.run()
    widget(at, "button", f"lesson.{name}").click().run()
    assert_clean(at)
    lesson = LESSONS[name]
    assert widget(at, "selectbox", "surface").value == lesson.config.surface
    assert any(lesson.title in info.value for info in at.info)
    assert query(at, "lesson") == [name]


def test_ensemble_of_a_run_with_an_unlisted_batch_size():
    at = app({"run": "sgd:lr=0.02;batch=8", "view": "ensemble", "steps": "50"})
    assert_clean(at)
    assert at.dataframe


@pytest.mark.parametrize("view", [v for v in VIEWS if v != "compare"])
def test_every_exploration_view(view):
    at = app({"surface": "himmelblau", "view": view, "steps": "60"})
    assert_clean(at)
    assert figures(at) or at.dataframe


def test_changing_a_learning_rate_changes_the_path():
    at = app({"run": "sgd:lr=0.01", "steps": "20"})
    before = figures(at)[0]
    slider = widget(at, "select_slider", "run.0.sgd.lr")
    new_lr = min(slider.options, key=lambda v: abs(float(v) - 0.05))
    slider.set_value(float(new_lr)).run()
    assert_clean(at)
    after = figures(at)[0]
    assert json.dumps(before["data"]) != json.dumps(after["data"])
    assert f"lr={float(new_lr)!r}" in query(at, "run")[0]


def test_custom_formula_rejected_keeps_the_last_good_surface():
    at = app({"surface": "custom"})
    good = figures(at)[0]
    box = widget(at, "text_input", "surface.custom.formula")
    box.set_value("__import__('os').system('echo')").run()
    assert_clean(at)
    assert any("quote" in e.value or "not allowed" in e.value for e in at.error)
    kept = figures(at)[0]
    assert kept["layout"]["images"] == good["layout"]["images"]  # the filled contour
    assert kept["data"][0] == good["data"][0]  # and its colour bar
    box.set_value("x^2 + 3*y^2").run()
    assert_clean(at)
    assert not at.error


def test_the_url_reproduces_the_config():
    config = LESSONS["bfgs"].config
    at = app({k: v for k, v in to_query(config).items()})
    assert_clean(at)
    decoded, notices = from_query({k: query(at, k) for k in at.query_params})
    assert notices == []
    assert decoded.runs == config.runs and decoded.surface == config.surface and decoded.steps == config.steps


def test_runs_can_be_added_duplicated_and_removed():
    at = app({"run": "sgd:lr=0.05"})
    widget(at, "button", "run.0.dup").click().run()
    assert_clean(at)
    assert len(query(at, "run")) == 2
    assert query(at, "run")[0] == query(at, "run")[1]
    next(b for b in at.button if b.label == "Add a run").click().run()
    assert len(query(at, "run")) == 3
    widget(at, "button", "run.0.remove").click().run()
    assert_clean(at)
    assert len(query(at, "run")) == 2


@pytest.mark.parametrize("query", [
    {"surface": "rm -rf /", "run": ["adam:lr=nan", "nope:x=1"], "steps": "1e12"},
    {"start": "inf,inf", "noise": "-3", "overlays": "gradient_field,<b>"},
    {"surface": "custom", "s.formula": "9**9**9**9"},
    {"run": "adam:lr=" + "9" * 5000},
])
def test_hostile_links_show_a_notice_and_no_traceback(query):
    at = app(query)
    assert_clean(at)
    assert at.warning or at.error


def test_a_start_outside_the_formulas_domain_is_drawn_and_explained():
    """``log(x) + y^2`` from x < 0: the start is marked where the link puts it, and the curves and the summary
    say in one sentence why nothing moves (not "blew up: try a smaller step")."""
    from plots.runs import UNDEFINED_START

    at = app({"surface": "custom", "s.formula": "log(x) + y^2", "start": "-1.5,0.5", "run": ["sgd:lr=0.1", "adam"]})
    assert_clean(at)
    contour, curves = (figures(at)[i] for i in (0, -1))
    starts = [t for t in contour["data"] if t["meta"].get("role") == "start"]
    assert len(starts) == 2
    for trace in starts:
        assert (unpack(trace["x"]).tolist(), unpack(trace["y"]).tolist()) == ([-1.5], [0.5])
    assert " ".join(a["text"] for a in curves["layout"]["annotations"]).replace("&#39;", "'") == UNDEFINED_START
    hints = at.dataframe[0].value.to_dict()["hint"]
    assert list(hints.values()) == [UNDEFINED_START] * 2
    assert "smaller" not in json.dumps(hints)


def test_diverging_run_is_reported_not_raised():
    at = app({"surface": "ill_conditioned_bowl", "run": "sgd:lr=5", "steps": "100"})
    assert_clean(at)
    assert "diverged" in json.dumps([df.value.to_dict() for df in at.dataframe])



# ---------------------------------------------------------------------------- the canvas's data (AppTest cannot fire
# its events: those are tested in tests/browser/test_canvas.py; here, what it is given for a config)


def engine_xs(query: dict, run_index: int = 0) -> np.ndarray:
    """The engine's iterates (T+1, 2) of one run of the config a link describes, NaN from a divergence on (as
    every figure draws them: ``plots.runs.as_xs``)."""
    from plots.runs import as_xs
    from ui.compute import Scene, scene_run

    config, _ = from_query({k: [v] if isinstance(v, str) else v for k, v in query.items()})
    return as_xs(scene_run(Scene.of(config), config.runs[run_index]))[:, 0]


def test_the_canvas_is_given_every_steps_numbers_once():
    link = {"run": ["sgd:lr=0.1", "adam:lr=0.3"], "steps": "40", "3d": "1", "overlays": "step_arrows"}
    at = app(link)
    assert_clean(at)
    (data,) = canvases(at)
    assert [c["id"] for c in data["charts"]] == ["contour", "surface3d", "curves"]
    player = data["player"]
    assert player["steps"] == 40 and player["step"] == 40 and len(player["runs"]) == 2  # opens on whole paths
    for i, run in enumerate(player["runs"]):
        path = run["path"]
        assert path["block"] == 42 and path["n"] == 1  # 41 iterates and a gap
        np.testing.assert_allclose(np.c_[unpack(path["x"]), unpack(path["y"])], engine_xs(link, i), rtol=1e-6)
        # the trace indices the browser moves point at traces of that run with that role
        for chart, roles in run["traces"].items():
            fig = json.loads(next(c["figure"] for c in data["charts"] if c["id"] == chart))
            for role, index in roles.items():
                meta = fig["data"][index]["meta"]
                assert meta["run"] == i and (meta["role"] == role or role == f"arrow.{meta.get('arrow')}")
        assert {"grown", "step"} <= set(run["traces"]["contour"]) and "step" in run["traces"]["surface3d"]
        assert unpack(run["arrows"]["update"]).shape == (41, 7, 2)
    # the ledger: numbers at every step, the same as the one-step rows (first run, step 5)
    from plots import RunView, ledger_rows
    from plots.tables import fmt
    from ui.compute import Scene, scene_run

    config, _ = from_query({k: [v] if isinstance(v, str) else v for k, v in link.items()})
    trajectory = scene_run(Scene.of(config), config.runs[0])
    (row,) = ledger_rows([RunView("r", "#000000", trajectory)], 5)
    values = data["ledger"]["runs"][0]["values"]
    assert fmt(float(unpack(values["lr"])[5])) == row["lr"] == "0.1"
    assert fmt(float(unpack(values["loss before"])[5])) == row["loss before"]


def test_each_live_slider_is_given_a_fan_from_the_sliders_own_stops():
    link = {"run": ["sgd:lr=0.1", "momentum:lr=0.05,momentum=0.5"], "steps": "30"}
    at = app(link)
    assert_clean(at)
    (data,) = canvases(at)
    sidebar = widget(at, "select_slider", "run.0.sgd.lr")
    for i, row in enumerate(data["runs"]):
        (slider,) = row["sliders"]
        optimizer = ("sgd", "momentum")[i]
        assert slider["key"] == f"run.{i}.{optimizer}.lr"
        values = slider["values"]
        assert values[slider["index"]] == (0.1, 0.05)[i]
        if i == 0:  # the sidebar slider's own stops, a window of them around the value
            options = [float(v) for v in sidebar.options]
            start = options.index(values[0])
            assert options[start:start + len(values)] == values
        fan = slider["fan"]
        assert unpack(fan["x"]).shape == (len(values), 31) and unpack(fan["curve"]).shape[0] == len(values)
        assert "z" not in fan  # heights are for the 3D view, which is off
        # member k is the engine's run with the k-th value: the one drawn after a release there
        for k in (0, slider["index"], len(values) - 1):
            hparams = f"lr={values[k]!r}" + (",momentum=0.5" if i else "")
            expected = engine_xs({**link, "run": [f"{optimizer}:{hparams}"]})
            np.testing.assert_allclose(unpack(fan["x"])[k], expected[:, 0], rtol=1e-5, atol=1e-7)


def test_a_fan_carries_its_heights_when_the_3d_view_is_shown():
    at = app({"run": ["sgd:lr=0.1"], "steps": "30", "3d": "1"})
    assert_clean(at)
    (data,) = canvases(at)
    fan = data["runs"][0]["sliders"][0]["fan"]
    x, y, z = (unpack(fan[name]) for name in ("x", "y", "z"))
    assert z.shape == x.shape
    config = from_query({})[0]
    surface = make_surface(config.surface, config.surface_params)
    (x0, x1), (y0, y1) = surface.bounds
    inside = (x >= x0) & (x <= x1) & (y >= y0) & (y <= y1)
    assert inside.any() and np.array_equal(np.isfinite(z), inside)  # the 3D path stops at the view's edge
    # heights on the shown scale: a rising function of the loss there
    f = surface.f(np.stack([x[inside], y[inside]], -1).astype(float))
    by_loss = z[inside][np.argsort(f, kind="stable")]
    assert np.all(np.diff(by_loss) >= -1e-5 * np.ptp(by_loss))


def test_a_noisy_run_gets_no_preview_and_the_shown_step_comes_from_the_link():
    at = app({"run": ["sgd:lr=0.1;batch=4", "adam"], "steps": "50", "step": "20"})
    assert_clean(at)
    (data,) = canvases(at)
    assert [len(row["sliders"]) for row in data["runs"]] == [0, 1]  # its fan would draw other noise
    assert data["player"]["step"] == 20
    contour = figures(at)[0]
    grown = next(t for t in contour["data"] if t["meta"].get("role") == "grown")
    x = grown["x"]
    x = unpack(x) if isinstance(x, dict) else np.asarray(x, dtype=float)
    assert np.isfinite(x).sum() == 21


def test_plotly_js_starts_loading_with_the_sidebar():
    """A chart-less canvas, the sidebar's first element, asks for plotly.js before the script computes the runs;
    every chart then uses that same copy (one URL)."""
    at = app()
    assert_clean(at)
    (preload,) = at.sidebar.get("bidi_component")
    assert next(iter(at.sidebar.children.values())).proto.id == preload.proto.id  # first, above every widget
    first = json.loads(preload.proto.json)
    charted = canvases(at)
    assert first["charts"] == [] and charted and {data["plotly"] for data in charted} == {first["plotly"]}


def test_a_closed_run_draws_no_widgets_and_keeps_its_values():
    at = app({"run": ["sgd:lr=0.05", "adam"]})
    assert_clean(at)
    assert not [w for w in at.select_slider if (w.key or "").startswith("run.")]  # both closed: no run widgets
    slider = widget(at, "select_slider", "run.0.sgd.lr")  # opened
    smaller = max(float(v) for v in slider.options if float(v) < 0.05)
    slider.set_value(smaller).run()
    at.session_state["run.0.open"] = False  # closed again: the value stays through further reruns
    at.run()
    at.run()
    assert_clean(at)
    assert query(at, "run") == [f"sgd:lr={smaller:g}", "adam"]
    assert float(widget(at, "select_slider", "run.0.sgd.lr").value) == smaller  # and its widget shows it again


def test_the_noise_slider_is_disabled_where_the_examples_make_the_noise():
    """On a surface made of examples a run's minibatches are its noise and σ is not used: its slider says so
    instead of doing nothing. On a test function it is live."""
    def sigma(at: AppTest):
        return next(w for w in at.slider if w.key == "noise")

    lesson = app({"lesson": "batch_generalization"})
    assert_clean(lesson)
    assert sigma(lesson).disabled and "examples" in sigma(lesson).help
    default = app()
    assert not sigma(default).disabled
