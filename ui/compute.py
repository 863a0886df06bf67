"""From a config to trajectories: pure functions over plain, hashable values (cache-friendly)."""

from __future__ import annotations

from functools import lru_cache

import numpy as np

from optimizers import OPTIMIZERS, Trajectory, get_optimizer, make_schedule, run
from optimizers.averaging import polyak_average
from surfaces import Surface, get_surface

from .config import SHARED_HPARAMS, AppConfig, Items, RunConfig


@lru_cache(maxsize=64)
def make_surface(name: str, params: Items) -> Surface:
    """``get_surface`` memoised on plain values (a custom formula is parsed once)."""
    return get_surface(name, **dict(params))


def build_optimizer(run_config: RunConfig, weight_decay: float):
    """The configured optimizer: its hyperparameters, its schedule, the shared weight decay."""
    spec = OPTIMIZERS[run_config.optimizer]
    hparams = dict(run_config.hparams)
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
    sigma = noise / np.sqrt(run_config.batch_size) if run_config.batch_size else 0.0
    x0 = np.tile(np.asarray(start, dtype=float), (copies, 1))
    return run(
        build_optimizer(run_config, weight_decay), surface, x0, steps,
        noise=sigma, seed=seed, clip_norm=clip_norm or None, record=copies == 1,
    )


def polyak_path(trajectory: Trajectory) -> np.ndarray:
    return polyak_average(trajectory.xs)
