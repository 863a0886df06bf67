"""The app's state survives the URL round trip, and hostile links are corrected, never fatal."""

from __future__ import annotations

import math
import time
from dataclasses import replace

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from optimizers import OPTIMIZERS
from surfaces import SURFACES, get_surface
from ui.config import (
    LESSONS,
    MAX_RUNS,
    MAX_STEPS,
    SETTINGS,
    AppConfig,
    RunConfig,
    decode_run,
    encode_run,
    from_query,
    to_query,
    url_key,
)


def as_query(query: dict) -> dict[str, list[str]]:
    """What Streamlit's query params look like to the app: each key with its list of values."""
    return {k: v if isinstance(v, list) else [v] for k, v in query.items()}


def round_trip(config: AppConfig) -> tuple[AppConfig, list[str]]:
    return from_query(as_query(to_query(config)))


def test_default_config_round_trips():
    config, notices = round_trip(AppConfig())
    assert config == AppConfig()
    assert notices == []


@pytest.mark.parametrize("name", list(LESSONS))
def test_every_lesson_round_trips_through_the_url(name):
    config = LESSONS[name].config
    decoded, notices = round_trip(config)
    assert notices == []
    assert decoded == config


def test_a_full_config_round_trips():
    config = AppConfig(
        surface="rosenbrock", surface_params=(("b", 30.0),),
        runs=(RunConfig("adam", (("beta2", 0.99), ("lr", 0.0123456789)), "cosine", (("t_max", 50),), 16,
                        "my; run", "#abcdef"),
              RunConfig("sgd")),
        steps=321, start=(-1.25, 0.5), noise=0.3, seed=7, weight_decay=0.01, clip_norm=5.0,
        overlays=("polyak", "gradient_field"), view="sweep", lesson="", presentation=True, show_3d=True,
    )
    decoded, notices = round_trip(config)
    assert notices == []
    assert decoded.runs[0].label == "my, run"  # ';' separates run options, so it is replaced
    assert decoded == config.__class__(**{**config.__dict__, "runs": (
        RunConfig("adam", (("beta2", 0.99), ("lr", 0.0123456789)), "cosine", (("t_max", 50),), 16, "my, run",
                  "#abcdef"), RunConfig("sgd"))})


def hparam_values():
    """Every numeric hyperparameter of every optimizer at the ends and middle of its slider."""
    for name, spec in OPTIMIZERS.items():
        for p in spec.params:
            if p.kind in ("float", "int") and p.name != "weight_decay":
                for value in (p.low, p.high, (p.low + p.high) / 2):
                    value = int(value) if p.kind == "int" else float(value)
                    if not spec.order_violations({p.name: value}):  # c1 >= c2: see test_ordered_pairs...
                        yield name, p.name, value


@pytest.mark.parametrize(("optimizer", "param", "value"), list(hparam_values()))
def test_hyperparameters_round_trip_exactly(optimizer, param, value):
    run = RunConfig(optimizer, ((param, value),))
    notices = []
    decoded = decode_run(encode_run(run), notices)
    assert notices == []
    decoded_value = dict(decoded.hparams).get(param, next(p.default for p in OPTIMIZERS[optimizer].params
                                                          if p.name == param))
    assert decoded_value == pytest.approx(value, rel=1e-11)  # links write 12 significant digits


HOSTILE = [
    ({"surface": "os.system"}, "unknown surface"),
    ({"surface": "x" * 100_000}, "too long"),
    ({"run": "eval:lr=1"}, "unknown optimizer"),
    ({"run": "adam:lr=nan"}, "not a finite number"),
    ({"run": "adam:lr=inf"}, "not a finite number"),
    ({"run": "adam:lr=-5"}, "clamped"),
    ({"run": "adam:lr=1e308"}, "clamped"),
    ({"run": "adam:beta1=1.5"}, "clamped"),
    ({"run": "adam:lr=abc"}, "not a number"),
    ({"run": "adam:__class__=1"}, "unknown parameter"),
    ({"run": "adam:amsgrad=maybe"}, "not true/false"),
    ({"run": "adam;schedule=warp:x=1"}, "unknown schedule"),
    ({"run": "adam;color=javascript:alert(1)"}, "colour"),
    ({"run": "adam;batch=-3"}, "clamped"),
    ({"run": ["sgd"] * 50}, f"first {MAX_RUNS}"),
    ({"steps": "1e9"}, "clamped"),
    ({"steps": "-1"}, "clamped"),
    ({"steps": "NaN"}, "not a finite number"),
    ({"start": "1,2,3"}, "two numbers"),
    ({"start": "nan,0"}, "not a finite number"),
    ({"start": "1e300,0"}, "clamped"),
    ({"view": "<script>"}, "unknown view"),
    ({"overlays": "gradient_field,rm -rf"}, "unknown overlays"),
    ({"surface": "rosenbrock", "s.b": "-1"}, "clamped"),
    ({"surface": "rosenbrock", "s.zz": "1"}, "unknown parameter"),
    ({"noise": "9" * 10_000}, "too long"),
]


@pytest.mark.parametrize(("query", "fragment"), HOSTILE)
def test_hostile_links_give_a_notice_and_a_valid_config(query, fragment):
    started = time.perf_counter()
    config, notices = from_query(as_query(query))
    assert time.perf_counter() - started < 0.5
    assert any(fragment in n.text for n in notices), notices
    assert config.surface in SURFACES
    assert 1 <= config.steps <= MAX_STEPS
    assert len(config.runs) <= MAX_RUNS
    for run in config.runs:
        params = {p.name: p for p in OPTIMIZERS[run.optimizer].params}
        for name, value in run.hparams:
            p = params[name]
            if p.kind in ("float", "int"):
                assert p.low <= value <= p.high and math.isfinite(value)
    if config.start is not None:
        assert all(math.isfinite(v) for v in config.start)


text = st.text(alphabet=st.characters(codec="utf-8"), max_size=80)


@settings(max_examples=200, deadline=None)
@given(st.dictionaries(st.sampled_from(["surface", "run", "steps", "start", "noise", "seed", "view", "overlays",
                                        "s.b", "s.kappa", "x.res", "present", "lesson", "clip_norm"]),
                       st.lists(text, min_size=1, max_size=3)))
def test_any_query_gives_a_valid_config(query):
    config, notices = from_query(query)
    assert isinstance(config, AppConfig)
    assert all(isinstance(n.text, str) for n in notices)
    assert config.surface in SURFACES and all(r.optimizer in OPTIMIZERS for r in config.runs)


# ---------------------------------------------------------------------------- the settings table


@settings(max_examples=300, deadline=None)
@given(st.sampled_from([p for p in SETTINGS.values()]), text)
def test_every_value_a_link_can_carry_lies_inside_its_widgets_range(param, value):
    """The codec reads the same table as the widgets: whatever the text, the value is one the widget accepts."""
    config, _ = from_query({url_key(param): [value]})
    read = getattr(config, param.name)
    if param.kind in ("int", "float"):
        assert param.low <= read <= param.high
        assert isinstance(read, int) if param.kind == "int" else math.isfinite(read)
    elif param.kind == "choice":
        assert read in param.choices or read == param.default
    elif param.kind == "multi":
        assert set(read) <= set(param.choices) and len(set(read)) == len(read)
    elif param.kind == "bool":
        assert isinstance(read, bool)
    assert 0 <= config.step <= config.steps


def test_links_write_short_floats_and_read_them_back():
    config = AppConfig(start=(-2.4000000000000004, 0.1 + 0.2), noise=0.30000000000000004)
    query = to_query(config)
    assert query["start"] == "-2.4,0.3" and query["noise"] == "0.3"


def test_an_unreadable_start_coordinate_falls_back_to_the_surfaces_own():
    config, notices = from_query({"surface": ["rosenbrock"], "start": ["abc,0.5"]})
    assert config.start == (float(get_surface("rosenbrock").start[0]), 0.5)
    assert any("not a number" in n.text and n.key == "start_x" for n in notices)


def test_a_lesson_link_is_read_against_the_lessons_scene():
    lesson = LESSONS["zigzag"]
    config, notices = from_query({"lesson": ["zigzag"]})
    assert config == lesson.config and notices == []
    changed = replace(lesson.config, steps=AppConfig().steps, overlays=("polyak",))  # back to a default value
    assert round_trip(changed) == (changed, [])


@pytest.mark.parametrize("name", [name for name, spec in OPTIMIZERS.items() if spec.ordered])
def test_ordered_pairs_broken_in_a_link_are_reset_with_a_notice(name):
    (a, b), = OPTIMIZERS[name].ordered
    notices = []
    run = decode_run(f"{name}:{a}=0.5,{b}=0.01", notices)
    values = {p.name: p.default for p in OPTIMIZERS[name].params} | dict(run.hparams)
    assert values[a] < values[b]
    assert any(f"{a} < {b}" in n.text for n in notices)
