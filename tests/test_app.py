"""The app under Streamlit's AppTest: every surface, optimizer, lesson and view runs without an
exception, controls change what is drawn, and links round-trip (hostile ones give notices)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from optimizers import OPTIMIZERS
from surfaces import SURFACES
from ui.config import VIEWS, from_query, to_query
from ui.lessons import LESSONS

APP = str(Path(__file__).resolve().parents[1] / "app.py")


def app(query: dict | None = None) -> AppTest:
    at = AppTest.from_file(APP, default_timeout=60)
    for key, value in (query or {}).items():
        at.query_params[key] = value
    return at.run()


def assert_clean(at: AppTest) -> None:
    assert not at.exception, [e.value for e in at.exception]


def figures(at: AppTest) -> list[dict]:
    """The Plotly figures on the page, as JSON."""
    return [json.loads(chart.proto.spec) for chart in at.get("plotly_chart")]


def query(at: AppTest, key: str) -> list[str]:
    """The page's URL parameter ``key`` as a list (AppTest gives a lone value as a plain string)."""
    value = at.query_params.get(key, [])
    return [value] if isinstance(value, str) else list(value)


def widget(at: AppTest, kind: str, key: str):
    return next(w for w in getattr(at, kind) if w.key == key)


def test_default_page_draws_contour_and_curves_and_3d_on_request():
    at = app()
    assert_clean(at)
    assert not at.error
    kinds = [{t["type"] for t in fig["data"]} for fig in figures(at)]
    contour = figures(at)[0]
    assert len(kinds) == 2 and not any("surface" in k for k in kinds)
    assert contour["layout"]["images"][0]["source"].startswith("data:image/png")  # the filled contour
    assert {"contour", "probe", "path"} <= {t.get("meta", {}).get("role") for t in contour["data"]}
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
    probe = [next(t for t in fig["data"] if t.get("meta", {}).get("role") == "probe") for fig in (good, kept)]
    assert probe[0] == probe[1]  # and f on the probe grid
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


def test_diverging_run_is_reported_not_raised():
    at = app({"surface": "ill_conditioned_bowl", "run": "sgd:lr=5", "steps": "100"})
    assert_clean(at)
    assert "diverged" in json.dumps([df.value.to_dict() for df in at.dataframe])

