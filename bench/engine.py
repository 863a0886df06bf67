"""Engine measurements: throughput, the textbook baseline, torch, the basin map, and where the time goes."""

from __future__ import annotations

import cProfile
import pstats
import time
import tracemalloc
from pathlib import PurePath

import numpy as np

from .baseline import run_baseline
from .core import Measurement, Section, Target, best_of, best_of_interleaved, fmt, table

SURFACE = "rosenbrock"
STEPS = 500
SIZES = (1, 100, 10_000, 40_000)
# Small rates so that few trajectories diverge from starts anywhere in the view (momentum needs the smaller one).
HPARAMS = {
    "adam": {"lr": 1e-3},
    "momentum": {"lr": 1e-4, "momentum": 0.9},
    "rmsprop": {"lr": 1e-3},
    "bfgs": {},
}
FIRST_ORDER = ("adam", "momentum", "rmsprop")
BFGS_BIG_STEPS = 100  # BFGS at N = 40,000: fewer steps keep the whole benchmark within a few minutes
SEED = 0


def surface():
    from surfaces import get_surface

    return get_surface(SURFACE)


def uniform_starts(n: int, seed: int = SEED) -> np.ndarray:
    """``n`` starts uniform in the surface's view, always the same for the same ``n``."""
    (x0, x1), (y0, y1) = surface().bounds
    rng = np.random.default_rng(seed)
    return np.column_stack([rng.uniform(x0, x1, n), rng.uniform(y0, y1, n)])


def engine_steps(name: str, n: int) -> int:
    return BFGS_BIG_STEPS if name == "bfgs" and n >= 40_000 else STEPS


def _registered(name: str) -> bool:
    from optimizers import OPTIMIZERS

    return name in OPTIMIZERS


def _ns_per_step(seconds: float, n: int, steps: int) -> float:
    return seconds / (n * steps) * 1e9


# ---------------------------------------------------------------------------- 1. engine throughput


def measure_engine() -> tuple[Section, dict]:
    """ns per trajectory-step of ``run`` (full history) and ``summarize`` (O(N) memory), best of a few."""
    from optimizers import get_optimizer, run, summarize

    section = Section("1. Engine throughput (Rosenbrock, float64)")
    s = surface()
    results: dict[tuple[str, int], dict] = {}
    rows = []
    for name, hparams in HPARAMS.items():
        if not _registered(name):
            rows.append((name, "—", "not available", "", "", "", "", ""))
            continue
        optimizer = get_optimizer(name, **hparams)
        for n in SIZES:
            x0, steps = uniform_starts(n), engine_steps(name, n)
            t_run, trajectory = best_of(lambda: run(optimizer, s, x0, steps), repeats=3, budget_s=4.0)  # noqa: B023
            t_sum, summary = best_of(lambda: summarize(optimizer, s, x0, steps), repeats=3, budget_s=4.0)  # noqa: B023
            del trajectory
            ns_run, ns_sum = _ns_per_step(t_run, n, steps), _ns_per_step(t_sum, n, steps)
            diverged = int(np.sum(summary.diverged_at >= 0))
            grads = float(np.mean(summary.n_grad)) / steps
            results[name, n] = {"run": ns_run, "summarize": ns_sum, "steps": steps, "diverged": diverged}
            rows.append((name, f"{n:,}", steps, ns_run, ns_sum, ns_run / ns_sum, f"{grads:.2f}",
                         f"{diverged:,} ({diverged / n:.0%})"))
            section.add(
                Measurement("engine", f"{name} run N={n:,}", ns_run, "ns/traj-step"),
                Measurement("engine", f"{name} summarize N={n:,}", ns_sum, "ns/traj-step"),
            )
    hp = ", ".join(f"{k} {v}" for k, v in HPARAMS.items() if v)
    section.blocks.append(
        table(["optimizer", "N", "steps", "run ns/traj-step", "summarize ns/traj-step", "run/summarize",
               "grad evals/step", "diverged"], rows)
    )
    section.blocks.append(
        f"Starts uniform in the view {surface().bounds} (seed {SEED}); {hp}; best of up to 3 repeats. "
        f"`run` keeps the full history (xs, fs, gradient norms, rates); `summarize` keeps O(N). "
        f"BFGS at N = 40,000 runs {BFGS_BIG_STEPS} steps, not {STEPS}; its steps include line-search trials "
        f"(see grad evals/step)."
    )
    section.data = {"results": results}
    return section, results


# ---------------------------------------------------------------------------- 2. the textbook baseline


def _max_rel(a: np.ndarray, b: np.ndarray) -> float:
    """Largest relative difference, over entries finite in both (atol 1e-12 for entries near zero)."""
    ok = np.isfinite(a) & np.isfinite(b)
    return float(np.max(np.abs(a[ok] - b[ok]) / np.maximum(np.abs(b[ok]), 1e-12), initial=0.0))


def measure_baseline(engine: dict) -> Section:
    """Textbook one-point-at-a-time optimizers vs the engine at N = 10,000, timed side by side."""
    from optimizers import get_optimizer, run, summarize

    section = Section("2. Engine vs a textbook baseline (one point at a time, Python loops)")
    s = surface()
    rows, check_rows = [], []
    n_big, n_small = 10_000, 100
    x_big, x_small = uniform_starts(n_big), uniform_starts(n_small)
    for name in FIRST_ORDER:
        if not _registered(name):
            continue
        hparams = HPARAMS[name]
        optimizer = get_optimizer(name, **hparams)
        # Same iterates: a few trajectories, every step.
        starts = uniform_starts(5, seed=1)
        engine_xs = np.transpose(run(optimizer, s, starts, STEPS).xs, (1, 0, 2))
        for flavour in ("numpy", "float"):
            rel = _max_rel(run_baseline(flavour, name, hparams, starts, STEPS), engine_xs)
            check_rows.append((name, flavour, f"{rel:.1e}", "✓" if rel <= 1e-9 else "✗"))
        fns = {
            "run": lambda: run(optimizer, s, x_big, STEPS),  # noqa: B023
            "summarize": lambda: summarize(optimizer, s, x_big, STEPS),  # noqa: B023
            **{flavour: (lambda f=flavour: run_baseline(f, name, hparams, x_small, STEPS))  # noqa: B023
               for flavour in ("numpy", "float")},
        }
        best = best_of_interleaved(fns, rounds=3, budget_s=6.0)
        e_run, e_sum = (_ns_per_step(best[k], n_big, STEPS) for k in ("run", "summarize"))
        for flavour in ("numpy", "float"):
            ns = _ns_per_step(best[flavour], n_small, STEPS)
            check = ""
            if name == "adam":  # linearity: one run at N = 1,000
                start = time.perf_counter()
                run_baseline(flavour, name, hparams, uniform_starts(1_000), STEPS)
                check = fmt(_ns_per_step(time.perf_counter() - start, 1_000, STEPS))
            rows.append((name, flavour, ns, check or "—", e_run, e_sum, ns / e_run, ns / e_sum))
            target = Target(50, below=False) if (name, flavour) == ("adam", "numpy") else None
            section.add(Measurement("baseline", f"{name}: engine run vs textbook ({flavour}), N=10,000", ns / e_run,
                                    "×", target))
            section.add(Measurement("baseline", f"{name}: engine summarize vs textbook ({flavour}), N=10,000",
                                    ns / e_sum, "×"))
    section.blocks.append(table(
        ["optimizer", "baseline", "baseline ns/traj-step (N=100)", "same at N=1,000", "engine run ns (N=10,000)",
         "engine summarize ns (N=10,000)", "speed-up vs run", "speed-up vs summarize"], rows))
    section.blocks.append(
        "Baseline and engine are timed side by side (alternating, best of up to 3 each). The baseline keeps its "
        "path (a list, as a plotting script would), so the like-for-like ratio is against the engine's `run`, which "
        "keeps the full history too (and also the losses and gradient norms). "
        "`numpy` = `params -= lr * ...` on (2,) arrays (the lecture-notes form; the target); "
        "`float` = the same classes on two Python floats. The baseline's cost per trajectory-step does not depend "
        "on N (compare N = 1,000), so N = 100 extrapolates directly to N = 10,000."
    )
    section.blocks.append(table(["optimizer", "baseline", f"max rel. difference over {STEPS} steps, 5 starts",
                                 "≤ 1e-9"], check_rows, "llrl"))
    return section


# ---------------------------------------------------------------------------- 3. torch


def torch_module():
    try:
        import torch
    except ImportError:
        return None
    return torch


def _torch_rosenbrock_grad(torch, p, a: float = 1.0, b: float = 100.0):
    """The same arithmetic as ``surfaces.catalog.rosenbrock``'s hand-written gradient, in torch ops."""
    x, y = p[:, 0], p[:, 1]
    r = y - x * x
    return torch.stack([-2.0 * (a - x) - 4.0 * b * x * r, 2.0 * b * r], dim=-1)


def _torch_optimizer(torch, name: str, params, fused: bool):
    hp = HPARAMS[name]
    if name == "adam":
        return torch.optim.Adam(params, lr=hp["lr"], betas=(0.9, 0.999), eps=1e-8, **({"fused": True} if fused else {}))
    return torch.optim.SGD(params, lr=hp["lr"], momentum=hp["momentum"])


def torch_run(torch, name: str, x0: np.ndarray, steps: int, *, gradient: str = "torch", fused: bool = False):
    """``steps`` of torch.optim on an (N, 2) float64 tensor, the gradient set by hand; no history. Returns x (N, 2)."""
    s = surface()
    p = torch.tensor(x0, dtype=torch.float64, requires_grad=True)
    optimizer = _torch_optimizer(torch, name, [p], fused)
    with torch.no_grad():
        for _ in range(steps):
            if gradient == "torch":
                p.grad = _torch_rosenbrock_grad(torch, p)
            else:
                p.grad = torch.from_numpy(s.grad(p.detach().numpy()))
            optimizer.step()
    return p.detach().numpy().copy()


def _torch_variants(torch, name: str) -> list[tuple[str, str, bool]]:
    variants = [("torch-native gradient", "torch", False), ("numpy gradient", "numpy", False)]
    if name == "adam":
        try:
            torch.optim.Adam([torch.zeros(2, dtype=torch.float64, requires_grad=True)], lr=1e-3, fused=True)
            variants.append(("torch-native gradient, fused=True", "torch", True))
        except (RuntimeError, TypeError, ValueError):
            pass
    return variants


def measure_torch(engine: dict) -> Section:
    """torch.optim Adam and SGD-momentum on an (N, 2) tensor vs the engine's ``summarize`` (neither keeps history).

    Engine and torch variants are timed side by side (alternating rounds), at torch's default threads and at 1.
    """
    from optimizers import get_optimizer, run, summarize

    section = Section("3. Engine vs torch.optim (same work, no history)")
    torch = torch_module()
    if torch is None:
        section.blocks.append("torch is not importable: section skipped (`pip install torch` to include it).")
        return section
    s = surface()
    default_threads = torch.get_num_threads()
    check_rows, rows = [], []
    starts = uniform_starts(5, seed=2)
    for name in ("adam", "momentum"):
        engine_x = run(get_optimizer(name, **HPARAMS[name]), s, starts, 100).xs[-1]
        for label, gradient, fused in _torch_variants(torch, name):
            rel = _max_rel(torch_run(torch, name, starts, 100, gradient=gradient, fused=fused), engine_x)
            check_rows.append((name, label, f"{rel:.1e}", "✓" if rel <= 1e-9 else "✗"))
    try:
        for threads in (default_threads, 1):
            torch.set_num_threads(threads)
            for name in ("adam", "momentum"):
                optimizer = get_optimizer(name, **HPARAMS[name])
                variants = _torch_variants(torch, name)
                for n in (10_000, 40_000):
                    x0 = uniform_starts(n)
                    for _, gradient, fused in variants:  # warm-up: thread pool, dispatch caches
                        torch_run(torch, name, x0, 5, gradient=gradient, fused=fused)
                    fns = {"engine": lambda: summarize(optimizer, s, x0, STEPS)}  # noqa: B023
                    for label, gradient, fused in variants:
                        fns[label] = lambda g=gradient, f=fused: torch_run(torch, name, x0, STEPS,  # noqa: B023
                                                                          gradient=g, fused=f)
                    best = best_of_interleaved(fns, rounds=3, budget_s=8.0)
                    ns_engine = _ns_per_step(best["engine"], n, STEPS)
                    for label, gradient, fused in variants:
                        ns_torch = _ns_per_step(best[label], n, STEPS)
                        ratio = ns_torch / ns_engine  # > 1: the engine is faster
                        rows.append((name, f"{n:,}", threads, label, ns_torch, ns_engine, ratio))
                        main = gradient == "torch" and not fused
                        target = (Target(1.2, below=False) if main and n == 40_000 and name == "adam"
                                  and threads == default_threads else None)
                        section.add(Measurement(
                            "torch", f"{name} N={n:,}, {threads} thread(s), {label}: torch time / engine time",
                            ratio, "×", target))
    finally:
        torch.set_num_threads(default_threads)
    section.data = {"rows": rows, "default_threads": default_threads}
    section.blocks.append(table(
        ["optimizer", "N", "torch threads", "torch variant", "torch ns/traj-step", "engine summarize ns/traj-step",
         "torch time / engine time"], rows, "lrrlrrr"))
    section.blocks.append(
        f"torch time / engine time > 1 means the engine is faster. torch runs `torch.optim` on one (N, 2) float64 "
        f"tensor under `no_grad`, `p.grad` set by hand each step (the main comparison computes the Rosenbrock "
        f"gradient with torch ops; \"numpy gradient\" converts the engine's NumPy gradient). Engine and torch are "
        f"timed side by side, alternating, best of up to 3 each. torch's default here is {default_threads} "
        f"thread(s); the engine is single-threaded NumPy. The engine's `summarize` also evaluates f and checks "
        f"divergence and the tolerance at every step, which torch does not. {STEPS} steps, the starts and "
        f"hyperparameters of section 1."
    )
    section.blocks.append(table(["optimizer", "torch variant", "max rel. difference after 100 steps (5 starts)",
                                 "≤ 1e-9"], check_rows, "llrl"))
    return section


# ---------------------------------------------------------------------------- 4. the basin map


def measure_basin_map(resolution: int = 200, steps: int = 500) -> Section:
    """A 200 x 200 basin map of Adam on Rosenbrock: wall time (best of 3) and peak traced memory."""
    from optimizers import get_optimizer, summarize

    section = Section(f"4. Basin map {resolution}×{resolution}, {steps} steps of Adam on Rosenbrock")
    s = surface()
    optimizer = get_optimizer("adam")  # the registry's default rate, as a user would first see the map
    try:
        from analysis import basin_map

        def compute():
            return basin_map(optimizer, s, resolution=resolution, steps=steps)

        how = "`analysis.basin_map`"
    except ImportError:
        (x0, x1), (y0, y1) = s.bounds
        grid = np.stack(np.meshgrid(np.linspace(x0, x1, resolution), np.linspace(y0, y1, resolution)), -1)

        def compute():
            return summarize(optimizer, s, grid.reshape(-1, 2), steps)

        how = "`summarize` on the grid of starts (analysis.basin_map not available)"
    seconds, _ = best_of(compute, repeats=3, budget_s=5.0)
    tracemalloc.start()
    compute()
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    section.add(
        Measurement("basin map", f"{resolution}×{resolution}, {steps} steps: wall time", seconds, "s", Target(0.5)),
        Measurement("basin map", f"{resolution}×{resolution}, {steps} steps: peak memory", peak / 2**20, "MB",
                    Target(100)),
    )
    n = resolution * resolution
    section.data = {"seconds": seconds, "peak_mb": peak / 2**20, "ns": _ns_per_step(seconds, n, steps)}
    section.blocks.append(table(["what", "value"], [
        ("computed with", how),
        ("optimizer", f"adam, default hyperparameters ({dict(optimizer.hparams)['lr']:g} learning rate)"),
        ("wall time (best of 3)", f"{seconds:.3f} s"),
        ("ns per trajectory-step", fmt(_ns_per_step(seconds, n, steps))),
        ("peak traced memory (tracemalloc, separate run)", f"{peak / 2**20:.1f} MB"),
    ], "ll"))
    if how.startswith("`analysis"):
        section.data["autodiff"] = _autodiff_maps(resolution, steps)
        section.blocks.append(
            table(["the same grid on Himmelblau", "steps", "wall time (s, best of 3)", "ns per trajectory-step"],
                  section.data["autodiff"])
            + "\n\nRosenbrock has a hand-written gradient; Himmelblau's gradient and Hessian come from automatic "
            "differentiation (`surfaces.autodiff`), as for most surfaces and every typed formula. Newton also "
            "evaluates the Hessian and its eigendecomposition at every step. No target: how much the derivatives cost."
        )
    return section


def _autodiff_maps(resolution: int, steps: int) -> list[tuple[str, int, float, float]]:
    """Basin maps on Himmelblau (derivatives by autodiff): Adam for ``steps``, Newton for 100 steps."""
    from analysis import basin_map
    from optimizers import get_optimizer
    from surfaces import get_surface

    himmelblau, rows = get_surface("himmelblau"), []
    for name, n_steps in (("adam", steps), ("newton", 100)):
        optimizer = get_optimizer(name)
        seconds, _ = best_of(lambda o=optimizer, k=n_steps: basin_map(o, himmelblau, resolution=resolution, steps=k),
                             repeats=3, budget_s=5.0)
        rows.append((name, n_steps, seconds, _ns_per_step(seconds, resolution * resolution, n_steps)))
    return rows


# ---------------------------------------------------------------------------- where the time goes

# Functions whose own time (and that of the NumPy calls they make) is charged to a category. Everything else
# (NumPy's Python functions, built-ins, helpers) is charged to whichever of these called it, in proportion.
CATEGORIES = [
    (("surfaces/catalog.py", "grad"), "gradient ∇f (surface.grad)"),
    (("surfaces/base.py", "call"), "gradient ∇f (surface.grad)"),
    (("surfaces/base.py", "jet_grad"), "gradient ∇f (surface.grad)"),
    (("surfaces/base.py", "f"), "loss f (surface.f)"),
    (("surfaces/base.py", "nearest_minimum"), "setup and final summary"),
    (("optimizers/base.py", "_iterate"), "engine loop: divergence check, NaN freezing"),
    (("optimizers/base.py", "on_iterate"), "recording: history (run) / tolerance check (summarize)"),
    (("optimizers/base.py", "on_step"), "recording: history (run) / tolerance check (summarize)"),
    (("optimizers/base.py", "run"), "setup and final summary"),
    (("optimizers/base.py", "summarize"), "setup and final summary"),
    (("optimizers/line_search.py", None), "line search (BFGS)"),
    (("optimizers/adam.py", None), "optimizer update rule"),
    (("optimizers/sgd.py", None), "optimizer update rule"),
    (("optimizers/adaptive.py", None), "optimizer update rule"),
    (("optimizers/second_order.py", None), "optimizer update rule"),
]
ORACLE = "oracle: caching, evaluation counts, noise/clip checks"
ORACLE_METHODS = {"move_to", "_at_current", "true_value", "true_grad", "_count", "f", "grad", "hess", "seen_grad",
                  "freeze", "_noisy_grad", "__init__"}


def _category(key) -> str | None:
    filename, _, function = key
    path = PurePath(filename).as_posix()
    if path.endswith("optimizers/base.py") and function in ORACLE_METHODS:
        return ORACLE
    for (suffix, name), category in CATEGORIES:
        if path.endswith(suffix) and (name is None or name == function):
            return category
    return None


def time_shares(stats: pstats.Stats) -> dict[str, float]:
    """Seconds of own time per category; uncategorised functions pass theirs up to their callers."""
    raw = stats.stats
    memo: dict = {}

    def share(key, seen=frozenset()) -> dict[str, float]:
        if key in memo:
            return memo[key]
        category = _category(key)
        if category is not None:
            result = {category: 1.0}
        else:
            callers = {c: edge[3] for c, edge in raw[key][4].items() if c not in seen and c in raw}
            total = sum(callers.values())
            result = {}
            if total <= 0:
                result = {"other (harness)": 1.0}
            for caller, ct in callers.items():
                for cat, frac in share(caller, seen | {key}).items():
                    result[cat] = result.get(cat, 0.0) + frac * ct / total
        memo[key] = result
        return result

    seconds: dict[str, float] = {}
    for key, (_, _, tt, _, _) in raw.items():
        for cat, frac in share(key).items():
            seconds[cat] = seconds.get(cat, 0.0) + tt * frac
    seconds.pop("other (harness)", None)
    return seconds


def _kernel_seconds() -> float:
    """System CPU time of this process so far: mostly the kernel handing out (and zeroing) fresh memory here."""
    try:
        import resource
    except ImportError:  # not on Windows
        return float("nan")
    return resource.getrusage(resource.RUSAGE_SELF).ru_stime


def profile_case(name: str, mode: str, n: int, steps: int) -> dict:
    """cProfile one engine call, after timing it unprofiled.

    Returns ``shares`` (seconds per category), ``profiled`` seconds, ``cold`` (the first call: fresh memory) and
    ``warm`` (best of the next 2) seconds with the kernel (system CPU) seconds in them, and ``top`` functions.
    """
    from optimizers import get_optimizer, run, summarize

    fn = run if mode == "run" else summarize
    optimizer, s, x0 = get_optimizer(name, **HPARAMS[name]), surface(), uniform_starts(n)

    def timed() -> tuple[float, float]:
        kernel, start = _kernel_seconds(), time.perf_counter()
        fn(optimizer, s, x0, steps)
        return time.perf_counter() - start, _kernel_seconds() - kernel

    cold = timed()
    warm = min(timed(), timed())
    stats = None
    for _ in range(2):  # keep the less disturbed of two profiles (other load on the machine inflates one)
        profiler = cProfile.Profile()
        profiler.enable()
        fn(optimizer, s, x0, steps)
        profiler.disable()
        candidate = pstats.Stats(profiler)
        if stats is None or candidate.total_tt < stats.total_tt:
            stats = candidate
    shares = time_shares(stats)
    top = sorted(stats.stats.items(), key=lambda kv: -kv[1][2])[:6]
    top_lines = [f"{PurePath(k[0]).name}:{k[1]}({k[2]}) {v[2] * 1e3:.0f} ms own" for k, v in top]
    return {"shares": shares, "profiled": sum(shares.values()), "cold": cold, "warm": warm, "top": top_lines}


def measure_profile(engine: dict) -> Section:
    """Where the time goes: cProfile of the slowest first-order case at N=40,000, Adam summarize, and BFGS."""
    section = Section("Where the time goes (cProfile)")
    big = 40_000
    first_order = [(name, mode) for name in FIRST_ORDER for mode in ("run", "summarize") if (name, big) in engine]
    if not first_order:
        return section
    slowest = max(first_order, key=lambda c: engine[c[0], big][c[1]])
    cases = [slowest]
    if ("adam", "summarize") != slowest:
        cases.append(("adam", "summarize"))
    if ("bfgs", big) in engine:
        cases.append(("bfgs", "summarize"))
    steps = 100
    columns, shares_by_case, notes, raw = [], [], [], {}
    for name, mode in cases:
        case_steps = steps if name != "bfgs" else 50
        p = profile_case(name, mode, big, case_steps)
        label = f"{name} {mode}"
        raw[label] = p
        columns.append(label)
        shares_by_case.append({k: v / p["profiled"] for k, v in p["shares"].items()})
        (cold, cold_kernel), (warm, warm_kernel) = p["cold"], p["warm"]
        notes.append(
            f"* `{label}`, N = {big:,}, {case_steps} steps: first call {cold:.2f} s ({cold_kernel:.2f} s of it "
            f"system time), then {warm:.2f} s ({warm_kernel:.2f} s system); {p['profiled']:.2f} s under cProfile. "
            f"Top own time: {'; '.join(p['top'][:4])}."
        )
    categories = sorted({c for shares in shares_by_case for c in shares},
                        key=lambda c: -max(shares.get(c, 0.0) for shares in shares_by_case))
    rows = [(c, *(f"{shares.get(c, 0.0):.0%}" for shares in shares_by_case)) for c in categories]
    section.blocks.append(table(["share of time", *columns], rows))
    section.blocks.append("\n".join(notes))
    section.blocks.append(
        "Each case is profiled twice and the less disturbed profile kept. NumPy's arithmetic runs inside the Python "
        "function that wrote it, so each share includes its NumPy work; built-ins and NumPy helpers are charged to "
        "their callers in proportion to the calls' time."
    )
    section.data = {"cases": columns, "shares": shares_by_case, "raw": raw}
    return section
