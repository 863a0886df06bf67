"""The guard: every link a visitor can open renders a page without an exception, in every view.

The matrix is derived from the registries (every view x every lesson, optimizer and surface), so a new entry
is covered by being registered; hypothesis adds random and hostile links. Each page is run by AppTest and
must hold no exception element and no "view could not be drawn" message (the app's own catch, which would
otherwise hide a crash from this test).
"""

from __future__ import annotations

import json
import string
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from streamlit.testing.v1 import AppTest

import ui  # registers the views and lessons
import ui.compute
from app import VIEW_FAILED
from optimizers import OPTIMIZERS
from surfaces import SURFACES
from ui.canvas import BUNDLE_TRACES, BUNDLE_VERSION, PLOTLY_BUNDLE, PLOTLY_FULL, bundle_banner, plotly_source
from ui.config import LESSONS, SETTINGS, VIEWS, url_key

APP = str(Path(__file__).resolve().parents[1] / "app.py")
QUICK = "30"  # steps in the matrix's exploration views: every code path, a fraction of the time


def render(query: dict) -> AppTest:
    at = AppTest.from_file(APP, default_timeout=120)
    for key, value in query.items():
        at.query_params[key] = value
    return at.run()


def canvases(at: AppTest) -> list[dict]:
    """The data of every chart on the page (``ui.canvas``: the comparison's canvas and each persistent chart)."""
    datas = [json.loads(element.proto.json) for element in at.get("bidi_component")]
    return [data for data in datas if data["charts"]]  # not the chart-less one that preloads plotly.js


def assert_renders(at: AppTest) -> None:
    assert not at.exception, [e.value for e in at.exception][:1]
    failed = [e.value for e in at.error if VIEW_FAILED in e.value]
    assert not failed, failed
    drawn = trace_types(at)
    assert drawn <= set(BUNDLE_TRACES), f"plotly.js's partial bundle lacks {drawn - set(BUNDLE_TRACES)}: add them" \
                                        " to ui/canvas/plotly/package.json and run make plotly-bundle"


def trace_types(at: AppTest) -> set[str]:
    """The trace types of every chart on the page (a trace without one is a scatter, as plotly.js reads it)."""
    return {trace.get("type", "scatter") for data in canvases(at) for chart in data["charts"]
            for trace in json.loads(chart["figure"])["data"]}


def matrix() -> list[dict]:
    links = []
    for view in VIEWS:
        steps = {} if view == "compare" else {"steps": QUICK}
        links += [{"lesson": name, "view": view, **steps} for name in LESSONS]
        links += [{"surface": "rosenbrock", "run": name, "view": view, **steps} for name in OPTIMIZERS]
        links += [{"surface": name, "view": view, **steps} for name in SURFACES]
    return links


@pytest.mark.parametrize("query", matrix(), ids=lambda q: "-".join(f"{k}={v}" for k, v in q.items()))
def test_every_registered_entry_renders_in_every_view(query):
    at = render(query)
    assert_renders(at)
    assert not at.warning, [w.value for w in at.warning]  # a link the app wrote itself needs no correction


# ---------------------------------------------------------------------------- the crashes, each held by a test


def test_the_3d_view_draws_with_the_partial_bundle_of_plotly_js():
    at = render({"3d": "1"})
    assert_renders(at)  # every type drawn is in the bundle
    assert {"scatter3d", "surface"} <= trace_types(at)


def test_the_page_loads_the_partial_bundle_only_for_the_plotly_js_plotly_py_writes_for(tmp_path):
    assert plotly_source(BUNDLE_VERSION, BUNDLE_VERSION) == PLOTLY_BUNDLE
    assert plotly_source(BUNDLE_VERSION, BUNDLE_VERSION + ".1") == PLOTLY_FULL  # a newer plotly.py: its own copy
    assert BUNDLE_TRACES[0] == "scatter" and BUNDLE_VERSION.count(".") == 2, (BUNDLE_VERSION, BUNDLE_TRACES)
    damaged = tmp_path / "plotly.min.js"
    damaged.write_text("var Plotly = {};\n")
    with pytest.raises(ValueError, match="banner"):
        bundle_banner(damaged)


def test_a_basin_map_served_from_the_cache_renders():
    """Was CacheReplayClosureError: the map's progress bar was drawn from inside a cached function."""
    link = {"view": "basins", "steps": QUICK}
    first = render(link)
    assert_renders(first)
    assert canvases(first)
    second = render(link)  # a second visitor: the map comes from the cache
    assert_renders(second)
    assert canvases(second)
    colour = next(w for w in second.selectbox if w.key == "basins.color")
    colour.set_value("steps").run()  # a changed colouring reuses the map
    assert_renders(second)
    assert_renders(render({"view": "basins", "run": ["adam", "adam"], "steps": QUICK}))


@pytest.mark.parametrize("name", [name for name, spec in OPTIMIZERS.items() if spec.ordered])
def test_the_sweep_of_a_line_search_method_renders_its_allowed_cells(name):
    """Was ValueError (c1 < c2) with 900 numbers on the page: the default c1 x c2 grid breaks the order."""
    at = render({"view": "sweep", "run": name, "steps": QUICK})
    assert_renders(at)
    assert not at.error
    assert any("not allowed" in chart["figure"] for data in canvases(at) for chart in data["charts"])


@pytest.mark.parametrize("run", ["cg:c1=0.5", "bfgs:c1=0.5,c2=0.001", "lbfgs:c1=0.4,c2=0.2"])
def test_a_link_with_c1_not_below_c2_explains_it_and_draws_the_defaults(run):
    at = render({"run": run})
    assert_renders(at)
    assert any("c1 < c2" in w.value.replace("\\", "") for w in at.warning)
    name = run.split(":")[0]
    at.session_state["run.0.open"] = True  # a click on the run: a closed run draws no widgets
    at.run()
    c1 = next(w for w in at.select_slider if w.key == f"run.0.{name}.c1")
    c2 = next(w for w in at.select_slider if w.key == f"run.0.{name}.c2")
    assert c1.value < c2.value
    assert max(float(v) for v in c1.options) < c2.value  # c1's slider offers no value at or above c2


def test_noise_above_its_slider_is_clamped_to_the_slider():
    """Was StreamlitValueAboveMaxError: the link allowed noise up to 100, the slider stops at 20."""
    at = render({"noise": "21"})
    assert_renders(at)
    assert next(w for w in at.slider if w.key == "noise").value == SETTINGS["noise"].high
    assert any("clamped" in w.value for w in at.warning)


def test_every_setting_widget_has_the_range_of_its_table_entry():
    """The widgets and the link codec read one table: a link can never carry a value a widget refuses."""
    at = render({"present": "0"})
    widgets = {w.key: w for kind in ("slider", "number_input") for w in getattr(at, kind)}
    checked = 0
    for p in SETTINGS.values():
        if p.kind in ("int", "float") and p.name in widgets:
            widget = widgets[p.name]
            assert (widget.min, widget.max) == (p.low, p.high), p.name
            checked += 1
    assert checked >= 5  # steps, noise, seed, weight decay, clip norm
    # The step shown is the canvas's own control, from 0 to the steps run.
    (canvas,) = canvases(at)
    assert canvas["player"]["steps"] == at.session_state["steps"] <= SETTINGS["step"].high


# ---------------------------------------------------------------------------- links that reproduce the picture


def test_a_notice_goes_away_once_its_setting_changes():
    at = render({"surface": "nope", "steps": "5000"})
    assert any("unknown surface" in w.value for w in at.warning)
    assert any("clamped" in w.value for w in at.warning)
    next(w for w in at.selectbox if w.key == "surface").set_value("rosenbrock").run()
    assert_renders(at)
    assert not any("unknown surface" in w.value for w in at.warning)
    assert any("clamped" in w.value for w in at.warning)  # steps was not touched


def test_a_short_lesson_link_opens_the_scene():
    for name, lesson in LESSONS.items():
        at = render({"lesson": name})
        assert_renders(at)
        assert next(w for w in at.selectbox if w.key == "surface").value == lesson.config.surface
        assert len(at.session_state["run_ids"]) == len(lesson.config.runs)
        assert next(w for w in at.slider if w.key == "steps").value == lesson.config.steps


def test_the_step_and_the_curve_round_trip():
    at = render({"steps": "150", "step": "120", "curve": "grad_norm"})
    assert_renders(at)
    (canvas,) = canvases(at)  # the canvas's step control and curve switch start there
    assert canvas["player"]["step"] == 120 and canvas["curves"]["value"] == "grad_norm"
    assert at.session_state["curve"] == "grad_norm"
    assert at.query_params["step"] in ("120", ["120"]) and at.query_params["curve"] in ("grad_norm", ["grad_norm"])


# ---------------------------------------------------------------------------- random and hostile links


HOSTILE_TEXT = [
    '<a href="https://example.com">x</a>', '<span style="font-size:200px">big</span>', "[link](https://evil.test)",
    "![img](https://evil.test/pixel.png)", "**Session expired**", "$\\frac{1}{0}$", ":red[alarm]",
    ":material/warning:", "__import__('os')", "=HYPERLINK(\"x\")", "\x00", "é漢字🙂", "9" * 700, "-1e308", "nan",
    "inf", "-inf", "1e999", "", " ", ";;;", ",,,", "=", ":", "a=b=c",
]
NUMBERS = st.one_of(st.floats(allow_nan=True, allow_infinity=True).map(repr),
                    st.integers(-(10**30), 10**30).map(str))
TEXT = st.one_of(st.sampled_from(HOSTILE_TEXT), st.text(string.printable, max_size=30),
                 st.text(st.characters(codec="utf-8", exclude_categories=["Cs"]), max_size=20))
VALUE = st.one_of(NUMBERS, TEXT, st.sampled_from(["1", "0", "true", "compare", "basins", "sweep", "loss"]))
KEYS = st.one_of(st.sampled_from([url_key(p) for p in SETTINGS.values()] + ["run", "start", "s.kappa", "s.b",
                                                                           "s.formula", "s.angle"]),
                 st.text(string.ascii_letters + "._", min_size=1, max_size=12))


def run_text() -> st.SearchStrategy[str]:
    hparam = st.tuples(st.sampled_from(["lr", "momentum", "beta1", "beta2", "c1", "c2", "eps", "x", ""]), VALUE)
    head = st.tuples(st.sampled_from([*OPTIMIZERS, "nope", ""]), st.lists(hparam, max_size=3)).map(
        lambda t: t[0] + ":" + ",".join(f"{k}={v}" for k, v in t[1]))
    option = st.one_of(st.sampled_from(["schedule=step:gamma=0.5", "schedule=cosine", "schedule=warp", "batch=8",
                                        "batch=-3", "color=#123456", "color=red"]),
                       TEXT.map(lambda t: "label=" + t))
    return st.tuples(head, st.lists(option, max_size=3)).map(lambda t: ";".join([t[0], *t[1]]))


LINKS = st.dictionaries(KEYS, st.one_of(VALUE, st.lists(VALUE, min_size=1, max_size=3)), max_size=6)
RUN_LINKS = st.fixed_dictionaries({"run": st.lists(run_text(), min_size=1, max_size=12)},
                                  optional={"view": st.sampled_from(list(VIEWS)), "steps": st.just(QUICK)})
HYPOTHESIS = settings(max_examples=60, deadline=None, derandomize=True, database=None,
                      suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])


@HYPOTHESIS
@given(LINKS)
def test_random_links_render(query):
    if query.get("view") not in (None, "compare"):
        query["steps"] = QUICK  # keep each exploration view to a fraction of a second
    assert_renders(render(query))


@HYPOTHESIS
@given(RUN_LINKS)
def test_random_run_encodings_render(query):
    assert_renders(render(query))


@HYPOTHESIS
@given(st.sampled_from(list(VIEWS)), st.sampled_from(HOSTILE_TEXT), st.sampled_from(list(OPTIMIZERS)))
def test_hostile_labels_and_names_render_in_every_view(view, text, optimizer):
    query = {"view": view, "run": [f"{optimizer};label={text}", f"{text}:lr=1"], "surface": text, "steps": QUICK}
    assert_renders(render(query))


# ---------------------------------------------------------------------------- bounded work


@pytest.fixture
def small_budget(monkeypatch):
    """A budget of a millisecond, so that ordinary requests exceed it (the shipped one is a few seconds)."""
    import ui.explore

    monkeypatch.setattr(ui.explore, "BUDGET_SECONDS", 1e-3)
    monkeypatch.setattr(ui.compute, "FINISHED_MAPS", ui.compute._FinishedMaps(16))  # nothing made before


def test_a_map_above_the_budget_is_drawn_smaller_with_a_sentence_saying_so(small_budget):
    at = render({"view": "basins", "surface": "himmelblau", "run": "newton", "steps": "500"})
    assert_renders(at)
    said = [i.value for i in at.info if "would take" in i.value]
    assert said and "drawn at" in said[0]
    caption = next(c.value for c in at.caption if "starts ×" in c.value)
    assert not caption.startswith("100×100") or "first" in said[0]


@pytest.mark.parametrize(("view", "words"), [("sweep", "cells per axis"), ("ensemble", "K ="),
                                             ("tune", "choose fewer")])
def test_other_requests_above_the_budget_are_reduced_or_refused_with_a_sentence(small_budget, view, words):
    at = render({"view": view, "surface": "himmelblau", "steps": "1000"})
    assert_renders(at)
    assert any(words in i.value for i in at.info), [i.value for i in at.info]


def test_a_map_the_user_leaves_stops_at_the_next_chunk_and_is_not_kept(small_budget):
    """Streamlit stops a script whose user moved on at its next page call: the map's progress report."""
    from ui.compute import FINISHED_MAPS, BasinRequest, compute_basin_map
    from ui.config import RunConfig

    class UserLeft(Exception):
        pass

    reports = []

    def progress(fraction):
        reports.append(fraction)
        raise UserLeft

    request = BasinRequest("himmelblau", (), RunConfig("adam"), 0.0, 200, 400)
    cost = 1e-5  # as if each trajectory-step took 10 µs: about 0.3 s per chunk of 75 starts
    with pytest.raises(UserLeft):
        compute_basin_map(request, cost, progress)
    assert reports == [pytest.approx(75 / 200**2)]  # stopped after the first chunk of about CHUNK_SECONDS
    assert ui.compute.FINISHED_MAPS.get(request) is None and FINISHED_MAPS is ui.compute.FINISHED_MAPS


@pytest.mark.parametrize("value", ["None", "", "nope"])
def test_an_unknown_lesson_in_a_link_is_named_plainly(value):
    """The notice names the value the link had and the default it fell back to, never a Python object."""
    at = render({"lesson": value})
    assert_renders(at)
    texts = " ".join(w.value for w in at.warning)
    assert "<" not in texts and "built-in" not in texts and "method" not in texts, texts
