"""The optimizer record, the registry, and the vectorized trajectory engine.

An optimizer is two pure functions over arrays, in the style of optax:

* ``init(x0) -> state`` with ``x0`` of shape ``(N, 2)``, the state an immutable NamedTuple;
* ``step(x, state, oracle) -> (x_next, state)``.

``oracle`` answers questions about the surface at any point (value, gradient, Hessian),
adds the run's gradient noise and clipping, and counts evaluations per trajectory.
Every hyperparameter is a scalar or an array of shape ``(N,)``, one per trajectory,
so a sweep is a single call. :func:`run` loops over steps only, never over trajectories.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, NamedTuple

import numpy as np

from surfaces import Surface
from surfaces.params import Param, Registry, validate

from .minibatch import Minibatches, check_batch_size, check_seed
from .schedules import Schedule

__all__ = [
    "OPTIMIZERS",
    "Optimizer",
    "OptimizerSpec",
    "Oracle",
    "Summary",
    "Trajectory",
    "column",
    "get_optimizer",
    "register",
    "run",
    "summarize",
]

Array = np.ndarray

# Quantities an optimizer's state may expose for the step-by-step ledger (see ``run(record=True)``).
LEDGER_FIELDS = ("m", "v", "step_size")


class Optimizer(NamedTuple):
    """A configured optimizer: its name, validated hyperparameters and two pure functions."""

    name: str
    hparams: Mapping[str, Any]
    init: Callable[[Array], Any]
    step: Callable[[Array, Any, Oracle], tuple[Array, Any]]


@dataclass(frozen=True)
class OptimizerSpec:
    """A registry entry: the factory, its hyperparameters as data, and the update rule in LaTeX."""

    name: str
    title: str
    factory: Callable[..., Optimizer]
    params: Sequence[Param]
    family: str = "first-order"  # or "second-order"
    ordered: tuple[tuple[str, str], ...] = ()  # pairs (a, b) of hyperparameters that must satisfy a < b

    def order_violations(self, values: Mapping[str, Any]) -> list[str]:
        """One sentence for each pair of ``ordered`` that ``values`` (defaults filled in) breaks."""
        full = {p.name: p.default for p in self.params} | dict(values)
        return [f"parameters {a!r} and {b!r} must satisfy {a} < {b}, got {a}={full[a]!r}, {b}={full[b]!r}"
                for a, b in self.ordered if np.any(np.asarray(full[a]) >= np.asarray(full[b]))]

    @property
    def doc(self) -> str:
        return (self.factory.__doc__ or "").strip()

    @property
    def latex(self) -> str:
        """The update rule: the ``.. math::`` block of the factory's docstring, one source for both."""
        match = re.search(r"^([ \t]*)\.\. math::\n", self.factory.__doc__ or "", flags=re.MULTILINE)
        if not match:
            return ""
        indent = len(match.group(1))
        lines = []
        for line in (self.factory.__doc__ or "")[match.end():].splitlines():
            if line.strip() and len(line) - len(line.lstrip()) <= indent:
                break  # the block ends where the prose resumes
            if line.strip():
                lines.append(line.strip())
        return r"\begin{aligned}" + "\n".join(lines) + r"\end{aligned}"


OPTIMIZERS = Registry("optimizer", OptimizerSpec)
register = OPTIMIZERS.register  # @register(title, *params, family="second-order") above a factory


def get_optimizer(name: str, **hparams) -> Optimizer:
    """Make optimizer ``name``; every hyperparameter is checked and a ValueError names a bad one.

    ``lr`` may also be a :class:`~optimizers.schedules.Schedule`.
    """
    spec = OPTIMIZERS.spec(name)
    schedule = hparams.get("lr") if isinstance(hparams.get("lr"), Schedule) else None
    if schedule is not None:
        hparams = {**hparams, "lr": schedule.lr}
    values = validate(spec.params, hparams, owner=name)
    if broken := spec.order_violations(values):
        raise ValueError(f"{name}: {broken[0]}")
    if schedule is not None:
        values["lr"] = Schedule(schedule.name, values["lr"], schedule.params)
    return spec.factory(**values)


def column(value):
    """Shape a hyperparameter for broadcasting against ``(N, 2)``: a scalar stays, ``(N,)`` becomes ``(N, 1)``."""
    if isinstance(value, Schedule):
        return value
    arr = np.asarray(value, dtype=float)
    return float(arr) if arr.ndim == 0 else arr[:, None]


def lr_column(lr, t: int):
    """The learning rate before step ``t + 1`` (``t`` steps taken), shaped by :func:`column`."""
    return column(lr(t) if isinstance(lr, Schedule) else lr)


def add_weight_decay(g: Array, x: Array, weight_decay) -> Array:
    """torch's (coupled) weight decay: the L2 penalty's gradient is added to the gradient."""
    return g if np.all(np.equal(weight_decay, 0.0)) else g + weight_decay * x


# ---------------------------------------------------------------------------- the oracle


class Oracle:
    """The surface as an optimizer sees it during a run.

    On a finite-sum surface with ``batch_size`` B < n, ``f``, ``grad`` and ``hess`` are means over the B examples
    of the current step (see ``optimizers.minibatch``): every evaluation within a step, a look-ahead or a line
    search included, sees the same batch, as a closure over one batch does in torch.
    Gradients carry the run's Gaussian noise (``noise`` is sigma; independent for each
    trajectory and each call, reproducible from ``seed``) and are clipped to ``clip_norm``.
    ``f``, ``grad`` and ``hess`` count evaluations per trajectory; ``active`` masks a call
    that only some trajectories need (a line search that has finished for the others).
    Values at the current iterate are computed once and shared with the run's recorder.
    """

    def __init__(self, surface: Surface, n: int, *, noise=0.0, clip_norm=None, seed=0, batch_size=None):
        self.surface = surface
        self.noise = column(noise)
        self.clip_norm = None if clip_norm is None else column(clip_norm)
        self.rng = np.random.default_rng(check_seed(seed, n).tolist())  # an int, or one per trajectory
        self.data = surface.finite_sum
        if batch_size is not None and self.data is None:
            raise ValueError(f"batch_size needs a surface made of examples; {surface.name!r} has none "
                             "(use noise= for Gaussian gradient noise)")
        size = None if self.data is None else check_batch_size(batch_size, self.data.n)
        self.batches = None if size is None else Minibatches(self.data.n, size, n, seed)
        self._t = 0
        self.n_f = np.zeros(n, dtype=np.int64)
        self.n_grad = np.zeros(n, dtype=np.int64)
        self.n_hess = np.zeros(n, dtype=np.int64)
        self._x = None
        self._cache: dict[str, Array] = {}

    # The current iterate: its true value and gradient are computed at most once per step.
    def move_to(self, x: Array, t: int | None = None) -> None:
        """Make ``x`` current; ``t`` (the steps taken so far) picks the minibatch of the next step."""
        self._x, self._cache = x, {}
        if t is not None:
            self._t = t

    def batch(self) -> Array | None:
        """The example indices (N, b) of the current step, or None for the full batch."""
        return None if self.batches is None else self.batches.at(self._t)

    def _at_current(self, x: Array, key: str, compute: Callable[[Array], Array]) -> Array:
        if x is not self._x:
            return compute(x)
        if key not in self._cache:
            self._cache[key] = compute(x)
        return self._cache[key]

    def true_value(self, x: Array) -> Array:
        return self._at_current(x, "f", self.surface.f)

    def true_grad(self, x: Array) -> Array:
        return self._at_current(x, "grad", self.surface.grad)

    def _count(self, counter: Array, active) -> None:
        counter += 1 if active is None else active

    def f(self, x: Array, active=None) -> Array:
        self._count(self.n_f, active)
        if self.batches is None:
            return self.true_value(x)
        return self._at_current(x, "batch_f", lambda z: self.data.batch_value(z, self.batch()))

    def grad(self, x: Array, active=None) -> Array:
        """The stochastic, clipped gradient; at the current iterate the same draw is returned every time."""
        self._count(self.n_grad, active)
        return self._at_current(x, "noisy_grad", self._noisy_grad)

    def hess(self, x: Array, active=None) -> Array:
        self._count(self.n_hess, active)
        if self.batches is None:
            return self._at_current(x, "hess", self.surface.hess)
        return self._at_current(x, "batch_hess", lambda z: self.data.batch_hess(z, self.batch()))

    def seen_grad(self) -> Array:
        """The gradient the optimizer was given at the current iterate (NaN if it asked for none)."""
        return self._cache.get("noisy_grad", np.full_like(self._x, np.nan))

    def freeze(self, x: Array, f: Array) -> None:
        """Make the frozen (NaN) iterate current, with its NaN-masked loss."""
        self.move_to(x)
        self._cache["f"] = f

    def _noisy_grad(self, x: Array) -> Array:
        g = self.true_grad(x) if self.batches is None else self.data.batch_grad(x, self.batch())
        if np.any(np.not_equal(self.noise, 0.0)):
            g = g + self.noise * self.rng.standard_normal(g.shape)
        if self.clip_norm is not None:  # torch.nn.utils.clip_grad_norm_, per trajectory
            norm = np.linalg.norm(g, axis=-1, keepdims=True)
            g = g * np.minimum(1.0, self.clip_norm / (norm + 1e-6))
        return g


# ---------------------------------------------------------------------------- results


class Trajectory(NamedTuple):
    """The full history of a run of N trajectories over T steps.

    ``xs`` (T+1, N, 2), ``fs`` and ``grad_norms`` (T+1, N) hold the iterates, their losses
    and true gradient norms; after divergence they are NaN (Plotly draws a break).
    ``diverged_at`` (N,) is the first step whose iterate was non-finite or escaped, or -1.
    ``lrs`` (T, N) is the learning rate used by each step (NaN for methods without one).
    ``internals`` maps ``grad``, ``update`` and the optimizer's ledger fields (``m``, ``v``,
    ``step_size``) to (T, N, 2) arrays when the run was recorded, else it is empty.
    On a finite-sum surface ``train_fs`` and ``test_fs`` (T+1, N) are the mean loss on the training and on the
    held-out examples without the L2 penalty (``fs`` includes it); None on other surfaces.
    """

    xs: Array
    fs: Array
    grad_norms: Array
    diverged_at: Array
    lrs: Array
    n_f: Array
    n_grad: Array
    n_hess: Array
    internals: Mapping[str, Array]
    train_fs: Array | None = None
    test_fs: Array | None = None


class Summary(NamedTuple):
    """What a map needs, in O(N) memory: where each trajectory ended and how it got there.

    ``steps_to_tol`` is the first step with ``f - f* <= tol`` (or gradient norm <= tol when
    f* is unknown), -1 if never; ``nearest_minimum`` indexes ``surface.minima`` (-1 when
    diverged, none listed, or farther than ``radius`` from every minimum).
    """

    final_x: Array
    final_f: Array
    steps_to_tol: Array
    nearest_minimum: Array
    diverged_at: Array
    n_f: Array
    n_grad: Array
    n_hess: Array


def escape_radius(surface: Surface) -> float:
    """Beyond this distance from the origin a trajectory counts as diverged."""
    return 100.0 * max(abs(v) for pair in surface.bounds for v in pair)


def _check_run_args(x0, steps) -> Array:
    x0 = np.asarray(x0, dtype=float)
    if x0.ndim == 1:
        x0 = x0[None, :]
    if x0.ndim != 2 or x0.shape[1] != 2 or x0.shape[0] == 0:
        raise ValueError(f"x0 must have shape (N, 2) with N >= 1, got {np.shape(x0)}")
    if not np.all(np.isfinite(x0)):
        raise ValueError("x0 must be finite")
    if not isinstance(steps, int | np.integer) or steps < 0:
        raise ValueError(f"steps must be a whole number >= 0, got {steps!r}")
    return x0.copy()


def _learning_rate(optimizer: Optimizer, t: int, n: int) -> Array:
    """The rate step t+1 uses; NaN for methods whose step comes from a line search."""
    lr = optimizer.hparams.get("lr")
    if lr is None:
        return np.full(n, np.nan)
    value = lr(t) if isinstance(lr, Schedule) else lr
    return np.broadcast_to(np.asarray(value, dtype=float), (n,))


def _iterate(optimizer, surface, x0, steps, *, noise, seed, clip_norm, batch_size, on_iterate, on_step=None):
    """The one loop over steps shared by :func:`run` and :func:`summarize`.

    At each iterate ``t`` it checks divergence (non-finite point or loss, or escape),
    freezes diverged trajectories as NaN, and hands ``(t, x, f, alive)`` to ``on_iterate``.
    """
    n = len(x0)
    oracle = Oracle(surface, n, noise=noise, clip_norm=clip_norm, seed=seed, batch_size=batch_size)
    radius = escape_radius(surface)
    diverged_at = np.full(n, -1, dtype=np.int64)
    alive = np.ones(n, dtype=bool)
    x = x0
    with np.errstate(all="ignore"):  # overflow in a diverging run is expected and handled here
        state = optimizer.init(x)
        for t in range(steps + 1):
            oracle.move_to(x, t)
            f = oracle.true_value(x)
            escaped = ~(np.isfinite(f) & (np.abs(x[:, 0]) < radius) & (np.abs(x[:, 1]) < radius))
            newly = alive & escaped
            if newly.any():
                diverged_at[newly] = t
                alive &= ~newly
            if not alive.all():  # frozen: NaN from the divergence on
                x = np.where(alive[:, None], x, np.nan)
                f = np.where(alive, f, np.nan)
                oracle.freeze(x, f)
            on_iterate(t, x, f, oracle)
            if t == steps:
                break
            x_next, state = optimizer.step(x, state, oracle)
            if on_step is not None:
                on_step(t, x, x_next, state, oracle)
            x = x_next
    return oracle, diverged_at


def run(
    optimizer: Optimizer,
    surface: Surface,
    x0,
    steps: int,
    *,
    noise=0.0,
    seed: int = 0,
    clip_norm=None,
    record: bool = False,
    batch_size: int | None = None,
) -> Trajectory:
    """Run ``optimizer`` from every row of ``x0`` (N, 2) for ``steps`` steps; see :class:`Trajectory`.

    ``batch_size`` B (finite-sum surfaces only): each step's gradient is the mean over B examples drawn without
    replacement within an epoch, independently for each trajectory (torch's ``DataLoader(shuffle=True)``); None
    or B >= n is the full gradient. ``seed`` fixes the batches: one whole number, or one per trajectory (then
    each row equals its run alone with that seed).
    ``noise`` is the standard deviation of Gaussian noise added to each gradient (on test functions a stand-in
    for minibatch noise: pass sigma/sqrt(B) for batch size B); same ``seed``, same noise.
    ``clip_norm`` clips each trajectory's gradient to that norm. ``record`` keeps the
    per-step internals for the ledger (it costs memory proportional to N * steps).
    """
    x0 = _check_run_args(x0, steps)
    n = len(x0)
    xs = np.empty((steps + 1, n, 2))
    fs = np.empty((steps + 1, n))
    grad_norms = np.empty((steps + 1, n))
    lrs = np.empty((steps, n))
    internals: dict[str, Array] = {}
    data = surface.finite_sum
    train_fs, test_fs = (None, None) if data is None else (np.empty((steps + 1, n)), np.empty((steps + 1, n)))

    def on_iterate(t, x, f, oracle):
        xs[t], fs[t] = x, f
        grad_norms[t] = np.linalg.norm(oracle.true_grad(x), axis=-1)
        if data is not None:
            train_fs[t], test_fs[t] = data.train_loss(x), data.test_loss(x)

    def on_step(t, x, x_next, state, oracle):
        lrs[t] = _learning_rate(optimizer, t, n)
        if not record:
            return
        quantities = {"grad": oracle.seen_grad(), "update": x_next - x}
        quantities.update({k: getattr(state, k) for k in LEDGER_FIELDS if hasattr(state, k)})
        for key, value in quantities.items():
            if key not in internals:
                internals[key] = np.full((steps, n, 2), np.nan)
            internals[key][t] = np.broadcast_to(value, (n, 2))

    oracle, diverged_at = _iterate(
        optimizer, surface, x0, steps, noise=noise, seed=seed, clip_norm=clip_norm, batch_size=batch_size,
        on_iterate=on_iterate, on_step=on_step,
    )
    return Trajectory(xs, fs, grad_norms, diverged_at, lrs, oracle.n_f, oracle.n_grad, oracle.n_hess, internals,
                      train_fs=train_fs, test_fs=test_fs)


def summarize(
    optimizer: Optimizer,
    surface: Surface,
    x0,
    steps: int,
    *,
    tol: float = 1e-6,
    radius: float = 0.1,
    noise=0.0,
    seed: int = 0,
    clip_norm=None,
    batch_size: int | None = None,
) -> Summary:
    """Like :func:`run` but keeps O(N) memory: final points, steps to tolerance, basin reached."""
    x0 = _check_run_args(x0, steps)
    n = len(x0)
    steps_to_tol = np.full(n, -1, dtype=np.int64)
    last = {}
    target = surface.optimal_value

    def on_iterate(t, x, f, oracle):
        if target is not None:
            reached = f - target <= tol
        else:
            reached = np.linalg.norm(oracle.true_grad(x), axis=-1) <= tol
        steps_to_tol[(steps_to_tol < 0) & reached] = t
        last["x"], last["f"] = x, f

    oracle, diverged_at = _iterate(
        optimizer, surface, x0, steps, noise=noise, seed=seed, clip_norm=clip_norm, batch_size=batch_size,
        on_iterate=on_iterate,
    )
    index, distance = surface.nearest_minimum(last["x"])
    index = np.where(distance <= radius, index, -1)
    return Summary(
        last["x"], last["f"], steps_to_tol, index, diverged_at, oracle.n_f, oracle.n_grad, oracle.n_hess
    )
