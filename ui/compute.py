"""From a config to trajectories: pure functions, and the comparison's cached computation keyed by frozen records.

The caches are keyed by :class:`Scene` (what every run shares) and :class:`~ui.config.RunConfig` (one run), so an
unchanged run is served from the cache when another run, an overlay or the view changes.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from dataclasses import dataclass
from functools import lru_cache
from typing import NamedTuple

import numpy as np

from analysis import BasinMap, basin_map
from analysis.limits import affordable, seconds_per_trajectory_step
from optimizers import OPTIMIZERS, Trajectory, get_optimizer, make_schedule, run
from optimizers.averaging import polyak_average
from plots import RunView, surface_grid
from surfaces import Surface, get_surface

from .config import SHARED_HPARAMS, AppConfig, Items, RunConfig

FAN_HALF = 12  # a live slider previews this many of its stops on either side of the current one (half a decade)
FAN_POINTS = 60_000  # at most this many iterates per fan (members x (steps + 1)): the browser gets them all


@lru_cache(maxsize=64)
def make_surface(name: str, params: Items) -> Surface:
    """``get_surface`` memoised on plain values (a custom formula is parsed once)."""
    return get_surface(name, **dict(params))


def build_optimizer(run_config: RunConfig, weight_decay: float, **override):
    """The configured optimizer: its hyperparameters, its schedule, the shared weight decay.

    ``override`` replaces hyperparameters, possibly by arrays (one value per trajectory: a fan).
    """
    spec = OPTIMIZERS[run_config.optimizer]
    hparams = {**dict(run_config.hparams), **override}
    names = {p.name for p in spec.params}
    for shared in SHARED_HPARAMS:
        if shared in names:
            hparams[shared] = weight_decay
    if "lr" in names and run_config.schedule != "constant":
        lr = hparams.get("lr", next(p.default for p in spec.params if p.name == "lr"))
        hparams["lr"] = make_schedule(run_config.schedule, lr, **dict(run_config.schedule_params))
    return get_optimizer(run_config.optimizer, **hparams)


def start_point(config: AppConfig, surface: Surface) -> tuple[float, float]:
    return tuple(map(float, config.start)) if config.start is not None else tuple(map(float, surface.start))


@dataclass(frozen=True)
class Scene:
    """What every run of the comparison shares: the surface, the budget, the start, noise, decay and clipping."""

    surface: str
    surface_params: Items
    steps: int
    start: tuple[float, float]
    noise: float
    seed: int
    weight_decay: float
    clip_norm: float

    @classmethod
    def of(cls, config: AppConfig) -> Scene:
        start = config.start if config.start is not None else make_surface(config.surface, config.surface_params).start
        return cls(surface=config.surface, surface_params=config.surface_params, steps=config.steps,
                   start=(float(start[0]), float(start[1])), noise=config.noise, seed=config.seed,
                   weight_decay=config.weight_decay, clip_norm=config.clip_norm)


def run_trajectory(
    surface_name: str,
    surface_params: Items,
    run_config: RunConfig,
    *,
    steps: int,
    start: tuple[float, float],
    noise: float,
    seed: int,
    weight_decay: float,
    clip_norm: float,
    copies: int = 1,
) -> Trajectory:
    """One run of the comparison, recorded for the ledger. ``copies`` > 1 draws a noise ensemble."""
    surface = make_surface(surface_name, surface_params)
    batch = run_config.batch_size or None
    minibatch = batch if surface.finite_sum is not None else None  # real minibatches of the surface's examples
    sigma = noise / np.sqrt(batch) if batch and minibatch is None else 0.0  # else noise stands in for them
    x0 = np.tile(np.asarray(start, dtype=float), (copies, 1))
    return run(
        build_optimizer(run_config, weight_decay), surface, x0, steps,
        noise=sigma, seed=seed, clip_norm=clip_norm or None, record=copies == 1, batch_size=minibatch,
    )


def scene_run(scene: Scene, run_config: RunConfig) -> Trajectory:
    """The run ``run_config`` in ``scene`` (uncached; see :func:`cached_run`)."""
    return run_trajectory(scene.surface, scene.surface_params, run_config, steps=scene.steps, start=scene.start,
                          noise=scene.noise, seed=scene.seed, weight_decay=scene.weight_decay,
                          clip_norm=scene.clip_norm)


def fan_run(scene: Scene, run_config: RunConfig, name: str, values: tuple[float, ...]) -> Trajectory:
    """One trajectory per value of hyperparameter ``name``, all in ONE vectorized ``run`` (hyperparameters
    broadcast). Member k with the run's own value is exactly :func:`scene_run` when the run has no noise."""
    surface = make_surface(scene.surface, scene.surface_params)
    sigma = scene.noise / np.sqrt(run_config.batch_size) if run_config.batch_size else 0.0
    x0 = np.tile(np.asarray(scene.start, dtype=float), (len(values), 1))
    optimizer = build_optimizer(run_config, scene.weight_decay, **{name: np.asarray(values, dtype=float)})
    return run(optimizer, surface, x0, scene.steps, noise=sigma, seed=scene.seed,
               clip_norm=scene.clip_norm or None)


def fan_window(stops: list[float], current: float, steps: int) -> tuple[int, int]:
    """The slice ``[lo, hi)`` of ``stops`` a fan previews: up to ``FAN_HALF`` stops either side of ``current``,
    fewer when the run is long (at most ``FAN_POINTS`` iterates in all)."""
    index = int(np.argmin(np.abs(np.log(np.asarray(stops, dtype=float).clip(1e-300) / max(current, 1e-300)))))
    half = int(min(FAN_HALF, max(1, (FAN_POINTS // (steps + 1) - 1) // 2)))
    return max(0, index - half), min(len(stops), index + half + 1)


def polyak_path(trajectory: Trajectory) -> np.ndarray:
    return polyak_average(trajectory.xs)


# ---------------------------------------------------------------------------- basin maps


class BasinRequest(NamedTuple):
    """One basin map, as plain hashable values: the key of the map cache."""

    surface: str
    surface_params: Items
    run: RunConfig
    weight_decay: float
    resolution: int
    steps: int


class _FinishedMaps:
    """The last few finished basin maps of this server process, shared by every session (like ``st.cache_data``).

    Not ``st.cache_data``: a map reports its progress to a progress bar while it is computed, and a cached
    function that draws is replayed on a cache hit, which fails for an element created outside it.
    """

    def __init__(self, size: int):
        self.size, self.maps, self.lock = size, OrderedDict(), threading.Lock()

    def get(self, request: BasinRequest):
        with self.lock:
            if request in self.maps:
                self.maps.move_to_end(request)
            return self.maps.get(request)

    def put(self, request: BasinRequest, result) -> None:
        with self.lock:
            self.maps[request] = result
            while len(self.maps) > self.size:
                self.maps.popitem(last=False)


FINISHED_MAPS = _FinishedMaps(16)
CHUNK_SECONDS = 0.3  # work between two progress reports: a setting changed mid-map stops it this soon


def basin_cost(request: BasinRequest) -> float:
    """Seconds per trajectory-step of this map's optimizer on its surface: 0 when the map is already made."""
    if FINISHED_MAPS.get(request) is not None:
        return 0.0
    return seconds_per_trajectory_step(build_optimizer(request.run, request.weight_decay),
                                       make_surface(request.surface, request.surface_params))


def compute_basin_map(request: BasinRequest, cost: float, progress) -> BasinMap:
    """The map for ``request``: from the cache, or computed in chunks of about CHUNK_SECONDS (at ``cost``
    seconds per trajectory-step) with ``progress(fraction)`` after each, where Streamlit can stop a script
    whose user has moved on."""
    found = FINISHED_MAPS.get(request)
    if found is not None:
        return found
    starts = request.resolution**2
    chunk = max(1, affordable(starts, cost * request.steps, CHUNK_SECONDS))
    result = basin_map(build_optimizer(request.run, request.weight_decay),
                       make_surface(request.surface, request.surface_params),
                       resolution=request.resolution, steps=request.steps, chunk=chunk, progress=progress)
    FINISHED_MAPS.put(request, result)
    return result


# ---------------------------------------------------------------------------- cached, for every session
# Process-wide memo tables keyed by the frozen records. Hashing a Scene and a RunConfig takes microseconds; with
# st.cache_data each call pickled and hashed its arguments and unpickled a copy of its result, about 4 ms a call and
# seven calls a rerun. The results are shared by every session, so their arrays are made read-only: code that
# changed one in place would fail at once instead of changing another student's picture.


def read_only(value):
    """``value`` (a Trajectory or SurfaceGrid) with every NumPy array in it made read-only."""
    for item in (*value, *(value.internals.values() if isinstance(value, Trajectory) else ())):
        if isinstance(item, np.ndarray):
            item.flags.writeable = False
    return value


@lru_cache(maxsize=32)
def cached_grid(name: str, params: Items, resolution: int):
    return read_only(surface_grid(make_surface(name, params), resolution))


@lru_cache(maxsize=256)
def cached_run(scene: Scene, run_config: RunConfig) -> Trajectory:
    """One run; an unchanged run is served from the cache when another run changes."""
    return read_only(scene_run(scene, run_config))


@lru_cache(maxsize=32)  # a fan holds up to FAN_POINTS iterates: about 1 MB
def cached_fan(scene: Scene, run_config: RunConfig, name: str, values: tuple[float, ...]) -> Trajectory:
    return read_only(fan_run(scene, run_config, name, values))


def compute_runs(config: AppConfig, scene: Scene | None = None) -> list[RunView]:
    """The config's runs as the comparison view draws them: label, colour, trajectory (cached), Polyak path, and
    the start as set (drawn even where the loss is undefined and the trajectory has no finite point)."""
    scene = scene or Scene.of(config)
    views = []
    for index, (run_config, label) in enumerate(zip(config.runs, config.labels(), strict=True)):
        trajectory = cached_run(scene, run_config)
        polyak = polyak_path(trajectory) if "polyak" in config.overlays else None
        views.append(RunView(label, run_config.display_color(index), trajectory, polyak, run_config.optimizer,
                             dict(run_config.hparams), start=scene.start))
    return views

