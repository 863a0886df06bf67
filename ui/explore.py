"""The views that only a vectorized engine can draw: basin maps, sweeps, ensembles, fair tuning.

Each view's own settings sit above its figure; heavy work goes through ``st.cache_data`` keyed
by plain values, and long maps report progress (a changed setting interrupts them there).
"""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import streamlit as st

import analysis
from analysis.limits import BUDGET_SECONDS, affordable, seconds_per_trajectory_step
from optimizers import OPTIMIZERS, get_optimizer
from plots.maps import COLOR_BY, basin_figure, ensemble_curves_figure, ensemble_figure, sweep_figure
from surfaces import Surface

from .compute import BasinRequest, basin_cost, build_optimizer, compute_basin_map, make_surface
from .config import MAX_RUNS, VIEWS, AppConfig, Items, RunConfig, View, items
from .controls import apply_config
from .views import cached_grid, chart


def _run_labels(config: AppConfig) -> list[str]:
    """The comparison's run labels; an empty list (with a hint on the page) when there is no run."""
    labels = config.labels()
    if not labels:
        st.info("Add a run in the sidebar first.")
    return labels


def _pick_runs(config: AppConfig, label: str, key: str) -> list[int]:
    """Several runs of the comparison (the first three by default), as indices."""
    labels = _run_labels(config)
    default = list(range(min(3, len(labels))))
    return list(st.multiselect(label, range(len(labels)), default=default, format_func=labels.__getitem__,
                               key=key)) if labels else []


def _pick_run(config: AppConfig, label: str, key: str) -> tuple[int, RunConfig] | None:
    """One run of the comparison, with its index (for its label and colour); None when there is none."""
    labels = _run_labels(config)
    if not labels:
        return None
    index = st.selectbox(label, range(len(labels)), format_func=labels.__getitem__, key=key)
    return index, config.runs[index]


# ---------------------------------------------------------------------------- basins


RESOLUTIONS = (50, 75, 100, 150, 200, 300)


def fit_basin_budget(costs: list[float], resolution: int, steps: int) -> tuple[int, int, str]:
    """The largest resolution (then the most steps) whose maps fit the time budget, and a sentence saying what
    was reduced (empty when nothing was). ``costs``: seconds per trajectory-step of each map still to compute."""
    def seconds(res: int, n_steps: int) -> float:
        return sum(costs) * res * res * n_steps

    if seconds(resolution, steps) <= BUDGET_SECONDS:
        return resolution, steps, ""
    asked = f"{resolution}×{resolution} starts × {steps} steps would take about {seconds(resolution, steps):.0f} s"
    fitting = [r for r in RESOLUTIONS if r < resolution and seconds(r, steps) <= BUDGET_SECONDS]
    if fitting:
        return fitting[-1], steps, f"{asked}, so the maps are drawn at {fitting[-1]}×{fitting[-1]}."
    low = RESOLUTIONS[0]
    fewer = max(1, int(BUDGET_SECONDS / seconds(low, 1)))
    return low, fewer, f"{asked}, so the maps are drawn at {low}×{low} with the first {fewer} steps."


def basins_view(config: AppConfig, surface: Surface) -> None:
    st.markdown("Every point of the grid is a start point, coloured by **where that run ends**: which "
                "minimum it reaches, how many steps it needs, or its final loss. All starts run at once.")
    cols = st.columns([2, 1, 1])
    with cols[0]:
        chosen = _pick_runs(config, "Runs to map", "basins.runs")
    resolution = cols[1].select_slider("Resolution", RESOLUTIONS, value=100, key="basins.res")
    color_by = cols[2].selectbox("Colour by", list(COLOR_BY), key="basins.color",
                                 format_func=lambda name: COLOR_BY[name].title)
    if not chosen:
        return
    if len(surface.minima) == 0 and color_by == "minimum":
        st.caption("This surface lists no minima, so every start is 'none': colour by final loss instead.")

    def requests(res: int, steps: int) -> list[BasinRequest]:
        return [BasinRequest(config.surface, config.surface_params, config.runs[i], config.weight_decay, res, steps)
                for i in chosen]

    asked = requests(resolution, config.steps)
    costs = [basin_cost(request) for request in asked]
    resolution, steps, reduced = fit_basin_budget(costs, resolution, config.steps)
    if reduced:
        st.info(reduced, icon=":material/speed:")
    bar = st.progress(0.0, text="Computing the basin maps...")
    maps = []
    for position, (index, request, cost) in enumerate(zip(chosen, requests(resolution, steps), costs, strict=True)):
        def report(fraction, position=position):
            bar.progress(min(1.0, (position + fraction) / len(chosen)), text="Computing the basin maps...")

        maps.append((config.labels()[index], compute_basin_map(request, cost, report)))
    bar.empty()
    chart(basin_figure(surface, maps, color_by=color_by), key="basins.figure")
    st.caption(f"{resolution}×{resolution} starts × {len(maps)} runs × {steps} steps, "
               f"{resolution * resolution * len(maps) * steps:,} optimizer steps in all.")


# ---------------------------------------------------------------------------- sweeps


def _numeric_params(optimizer: str):
    return [p for p in OPTIMIZERS[optimizer].params if p.kind == "float" and p.name != "weight_decay"]


@st.cache_data(max_entries=16, show_spinner=False)
def cached_sweep(name: str, params: Items, optimizer: str, start: tuple, x_param: str, y_param: str | None, n: int,
                 fixed: Items, steps: int) -> analysis.Sweep:
    surface = make_surface(name, params)
    x_values = analysis.default_axis(analysis.find_param(optimizer, x_param), n)
    y_values = analysis.default_axis(analysis.find_param(optimizer, y_param), n) if y_param else None
    return analysis.sweep(optimizer, surface, start, x_param=x_param, x_values=x_values, y_param=y_param,
                          y_values=y_values, fixed=dict(fixed), steps=steps)


def _send_to_comparison(config: AppConfig, run: RunConfig) -> None:
    runs = (*config.runs, run)[-MAX_RUNS:]
    apply_config(replace(config, runs=runs, view="compare"))


def sweep_view(config: AppConfig, surface: Surface) -> None:
    st.markdown("One trajectory per cell: a grid of two hyperparameters from the same start, coloured by "
                "the **steps needed to reach the tolerance** (black: diverged).")
    picked = _pick_run(config, "Run to sweep", "sweep.run")
    if picked is None:
        return
    index, run = picked
    numeric = _numeric_params(run.optimizer)
    if not numeric:
        st.info(f"{OPTIMIZERS[run.optimizer].title} has no numeric hyperparameter to sweep.")
        return
    names = [p.name for p in numeric]
    prefix = f"sweep.{index}.{run.optimizer}"  # another run gets its own axes and pick, not the last run's
    cols = st.columns(3)
    x_param = cols[0].selectbox("x axis", names, key=f"{prefix}.x")
    y_options = ["(none)"] + [n for n in names if n != x_param]
    y_default = 1 if len(y_options) > 1 else 0
    y_choice = cols[1].selectbox("y axis", y_options, index=y_default, key=f"{prefix}.y")
    y_param = None if y_choice == "(none)" else y_choice
    n = cols[2].slider("Cells per axis", 10, 60, 30, key="sweep.n")
    fixed = items({k: v for k, v in run.hparams if k not in (x_param, y_param)})
    cost = seconds_per_trajectory_step(build_optimizer(run, config.weight_decay), surface) * config.steps
    fitting = int(affordable(n ** (2 if y_param else 1), cost, BUDGET_SECONDS) ** (0.5 if y_param else 1.0))
    if fitting < n:
        n = max(2, fitting)
        st.info(f"The grid asked for would take more than {BUDGET_SECONDS:g} s, so it has {n} cells per axis.",
                icon=":material/speed:")
    result = cached_sweep(config.surface, config.surface_params, run.optimizer, config.start, x_param, y_param, n,
                          fixed, config.steps)
    theory = analysis.quadratic_theory(surface) if surface.eigenvalues is not None else None
    chart(sweep_figure(result, theory=theory), key="sweep.figure")
    if theory:
        st.caption(f"Theory for this bowl: gradient descent is stable for η < 2/λmax = {theory['lr_max']:.4g}; "
                   f"the best fixed step is 2/(λmin+λmax) = {theory['lr_best']:.4g} (rate "
                   f"{theory['rate_gd']:.3f}); heavy-ball's optimum is μ = {theory['momentum_best']:.3f}, "
                   f"η = {theory['lr_momentum_best']:.4g} (rate {theory['rate_momentum']:.3f}).")
    # Send a cell back to the comparison: the best one by default.
    steps = np.where(result.steps_to_tol < 0, np.iinfo(np.int64).max, result.steps_to_tol)
    best = np.unravel_index(np.argmin(np.where(result.diverged, np.iinfo(np.int64).max, steps)), steps.shape)
    pick = st.columns(3)
    x_value = pick[0].select_slider(x_param, list(result.x_values), value=result.x_values[best[-1]],
                                    format_func=lambda v: f"{v:.3g}", key=f"{prefix}.{x_param}.{y_param}.{n}.pick_x")
    chosen = {x_param: float(x_value)}
    if y_param:
        y_value = pick[1].select_slider(y_param, list(result.y_values), value=result.y_values[best[0]],
                                        format_func=lambda v: f"{v:.3g}",
                                        key=f"{prefix}.{x_param}.{y_param}.{n}.pick_y")
        chosen[y_param] = float(y_value)
    new_run = replace(run, hparams=items({**dict(run.hparams), **chosen}), label="", color="")
    pick[2].button("Compare this setting", on_click=_send_to_comparison, args=(config, new_run),
                   icon=":material/arrow_back:", width="stretch")


# ---------------------------------------------------------------------------- ensembles


@st.cache_data(max_entries=16, show_spinner=False)
def cached_ensemble(name: str, params: Items, run: RunConfig, weight_decay: float, start: tuple, k: int, steps: int,
                    noise: float, seed: int, batch_size: int | None = None) -> analysis.Ensemble:
    surface = make_surface(name, params)
    return analysis.ensemble(build_optimizer(run, weight_decay), surface, start, k=k, steps=steps, noise=noise,
                             seed=seed, batch_size=batch_size)


def ensemble_batches(surface: Surface, own: int) -> tuple[list[int], list[int]]:
    """The batch sizes offered and chosen at first. On a surface made of examples they are real minibatches, up to
    the n examples (the full batch); on a test function they set the noise σ/√B."""
    if surface.finite_sum is not None:
        n = surface.finite_sum.n
        own = min(own or 8, n)
        return sorted({b for b in (1, 2, 4, 8, 16, 32) if b < n} | {own, n}), [own, n] if own != n else [1, n]
    # The run's own batch size may be any of 1..4096 (it must be an option), and 256 compared with itself twice
    # showed as two identical chips: compare it with batch 1 then.
    own = own or 1
    return sorted({1, 2, 4, 16, 64, 256, own}), [own, 256] if own != 256 else [1, 256]


def ensemble_view(config: AppConfig, surface: Surface) -> None:
    examples = surface.finite_sum
    if examples is not None:
        st.markdown("K runs from the same start, each drawing its own minibatches of the examples: their fan of "
                    "paths, the median loss with a 10–90% band, and **where they end**, for several batch sizes "
                    f"(B = {examples.n} is the full batch: every run is the same).")
    else:
        st.markdown("K runs with independent gradient noise from the same start: their fan of paths, the median "
                    "loss with a 10–90% band, and **where they end**, for several batch sizes.")
    picked = _pick_run(config, "Run", "ensemble.run")
    if picked is None:
        return
    index, run = picked
    cols = st.columns(2)
    k = cols[0].slider("Trajectories K", 10, analysis.MAX_ENSEMBLE, 100, step=10, key="ensemble.k")
    options, default = ensemble_batches(surface, run.batch_size)
    key = "ensemble.batches" if examples is None else f"ensemble.batches.n{examples.n}"  # options differ with n
    batches = cols[1].multiselect("Batch sizes", options, default=default, key=key,
                                  format_func=lambda b: f"{b} (full batch)" if examples and b >= examples.n else str(b))
    if config.noise == 0 and examples is None:
        st.info("The gradient noise σ is 0 in the sidebar, so every trajectory is the same.")
    per_run = seconds_per_trajectory_step(build_optimizer(run, config.weight_decay), surface) * config.steps
    fitting = affordable(k * max(1, len(batches)), per_run, BUDGET_SECONDS) // max(1, len(batches))
    if fitting < k:
        k = max(1, fitting)
        st.info(f"{len(batches)} batch sizes with the K asked for would take more than {BUDGET_SECONDS:g} s, so "
                f"each has K = {k} trajectories.", icon=":material/speed:")
    counts = {}
    for batch in sorted(set(batches)):
        # real minibatches of the examples, or noise of size σ/√B standing in for them on a test function
        sigma, minibatch = (0.0, batch) if examples is not None else (config.noise / np.sqrt(batch), None)
        counts[f"B = {batch}"] = cached_ensemble(config.surface, config.surface_params, replace(run, batch_size=0),
                                                 config.weight_decay, config.start, k, config.steps, sigma,
                                                 config.seed, minibatch)
    if not counts:
        return
    grid = cached_grid(config.surface, config.surface_params, 120)
    tabs = st.tabs(list(counts))
    for tab, (label, ens) in zip(tabs, counts.items(), strict=True):
        with tab:
            left, right = st.columns(2)
            chart(ensemble_figure(surface, grid, ens, run.display_color(index)), key=f"ensemble.fan.{label}",
                  container=left)
            chart(ensemble_curves_figure(ens, color=run.display_color(index)), key=f"ensemble.curves.{label}",
                  container=right)
    st.subheader(f"Where the {k} runs end")
    st.dataframe([{"batch": label, **ens.basin_counts} for label, ens in counts.items()], hide_index=True)


# ---------------------------------------------------------------------------- fair comparison


@st.cache_data(max_entries=16, show_spinner=False)
def cached_tune(name: str, params: Items, optimizers: tuple[str, ...], start: tuple, steps: int, criterion: str,
                lr_range: tuple[float, float], runs: tuple[RunConfig, ...]) -> list[analysis.Tuned]:
    """The tuned settings; the page's own runs are tried too, so a tuned run never loses to one on the page."""
    surface = make_surface(name, params)
    also = {}
    for run in runs:
        also.setdefault(run.optimizer, []).append(dict(run.hparams))
    return analysis.tune(list(optimizers), surface, start, steps=steps, criterion=criterion, lr_range=lr_range,
                         also=also)


TUNE_TRAJECTORIES = 200  # about the runs a search tries per optimizer (learning rates x momenta, then a refinement)


def _show_tuned(config: AppConfig, tuned: list[analysis.Tuned]) -> None:
    runs = tuple(RunConfig(t.name, items(t.hparams), label=f"{OPTIMIZERS[t.name].title} (tuned)")
                 for t in tuned)[:MAX_RUNS]
    apply_config(replace(config, runs=runs, view="compare"))


def tune_view(config: AppConfig, surface: Surface) -> None:
    st.markdown("Comparing optimizers at one shared learning rate is unfair. Here each optimizer gets its own "
                "**best learning rate (and momentum)** on the same start and step budget, found by one "
                "vectorized search per optimizer.")
    in_runs = list(dict.fromkeys(run.optimizer for run in config.runs))
    cols = st.columns([3, 1, 1])
    names = cols[0].multiselect("Optimizers", list(OPTIMIZERS), default=in_runs or ["sgd", "momentum", "adam"],
                                format_func=lambda n: OPTIMIZERS[n].title, key="tune.names")
    criterion = cols[1].selectbox("Criterion", list(analysis.CRITERIA), key="tune.criterion",
                                  format_func={"final_loss": "final loss", "steps_to_tol": "steps to tolerance"}.get)
    low, high = cols[2].select_slider("lr range", [1e-5, 1e-4, 1e-3, 1e-2, 1e-1, 1.0, 10.0], value=(1e-4, 10.0),
                                      format_func=lambda v: f"{v:g}", key="tune.range")
    if not names:
        return
    seconds = sum(seconds_per_trajectory_step(get_optimizer(name), surface) for name in names) * (
        TUNE_TRAJECTORIES * config.steps)
    if seconds > BUDGET_SECONDS:
        st.info(f"Tuning {len(names)} optimizers over {config.steps} steps would take about {seconds:.0f} s: "
                "choose fewer optimizers or fewer steps.", icon=":material/speed:")
        return
    with st.spinner("Tuning..."):
        tuned = cached_tune(config.surface, config.surface_params, tuple(names), config.start, config.steps,
                            criterion, (low, high), config.runs)
    st.dataframe(analysis.tuned_rows(tuned), hide_index=True)
    st.caption(analysis.search_text(tuned).replace("\n", "  \n"))
    st.button("Compare the tuned runs", on_click=_show_tuned, args=(config, tuned), icon=":material/arrow_back:")


for view in (View(name="basins", title="Basin map", render=basins_view),
             View(name="sweep", title="Hyperparameter sweep", render=sweep_view),
             View(name="ensemble", title="Noise ensemble", render=ensemble_view),
             View(name="tune", title="Fair comparison", render=tune_view)):
    VIEWS.add(view)
