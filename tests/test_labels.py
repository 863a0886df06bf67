"""Automatic run labels tell runs apart; parameter labels carry no raw LaTeX."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from optimizers import OPTIMIZERS, SCHEDULES
from surfaces import SURFACES
from ui.config import RunConfig
from ui.labels import plain_label, run_labels


def test_runs_of_one_optimizer_are_told_apart_by_what_differs():
    runs = [RunConfig("sgd", (("lr", 0.01),)), RunConfig("sgd", (("lr", 0.1),)), RunConfig("adam")]
    assert run_labels(runs) == ["SGD η=0.01", "SGD η=0.1", "Adam η=0.1"]
    runs = [RunConfig("momentum", (("lr", 0.02), ("momentum", 0.95))),
            RunConfig("momentum", (("lr", 0.02), ("momentum", 0.6)))]
    assert run_labels(runs) == ["Momentum (heavy ball) μ=0.95", "Momentum (heavy ball) μ=0.6"]
    batch = [RunConfig("sgd", batch_size=1), RunConfig("sgd", batch_size=256), RunConfig("sgd", label="mine")]
    assert run_labels(batch) == ["SGD B=1", "SGD B=256", "mine"]
    decay = [RunConfig("sgd"), RunConfig("sgd", schedule="cosine")]
    assert run_labels(decay) == ["SGD constant", "SGD cosine annealing T=500 η_min=0"]


def test_identical_runs_are_numbered():
    assert run_labels([RunConfig("adam"), RunConfig("adam")]) == ["Adam (1)", "Adam (2)"]


RUN = st.builds(
    RunConfig,
    st.sampled_from(sorted(OPTIMIZERS)),
    st.just(()),
    st.sampled_from(["constant", "cosine", "step"]),
    st.just(()),
    st.sampled_from([0, 1, 4]),
)


@settings(max_examples=60, deadline=None)
@given(st.lists(RUN, min_size=1, max_size=8))
def test_labels_are_distinct_for_any_list_of_runs(runs):
    labels = run_labels(runs)
    assert len(labels) == len(runs) and len(set(labels)) == len(labels)


def test_no_widget_label_reads_raw_latex():
    params = [p for spec in OPTIMIZERS.values() for p in spec.params]
    params += [p for spec in SCHEDULES.values() for p in spec.params]
    params += [p for spec in SURFACES.values() for p in spec.params]
    for p in params:
        assert "\\" not in plain_label(p) and "$" not in plain_label(p), p.name


def test_linear_sliders_show_the_precision_their_values_need():
    from ui.labels import slider_format, slider_step

    beta2 = next(p for p in OPTIMIZERS["adam"].params if p.name == "beta2")
    assert slider_format(beta2) % beta2.default == "0.9990" and slider_format(beta2) % beta2.high == "0.9999"
    assert beta2.high < 1.0 and beta2.open_high  # β₂ = 1 (v frozen at its start) is never offered
    params = [p for spec in OPTIMIZERS.values() for p in spec.params if p.kind == "float" and not p.log]
    for p in params:
        shown = float(slider_format(p) % p.default)
        assert shown == p.default, p.name  # the default reads as itself
        assert abs(round((p.high - p.low) / slider_step(p)) - (p.high - p.low) / slider_step(p)) < 1e-6, p.name
