"""Analyses that run thousands of trajectories at once (pure functions, no Streamlit).

* :func:`basin_map`: which minimum each optimizer reaches from every start of a grid;
* :func:`sweep`: how a grid of two hyperparameters (say lr x momentum) behaves from one start;
* :func:`ensemble`: K noisy runs from one start, their spread and where they end;
* :func:`tune`: each optimizer's best learning rate (and momentum) on the same budget.

>>> from surfaces import get_surface
>>> from optimizers import get_optimizer
>>> m = basin_map(get_optimizer("sgd", lr=0.01), get_surface("himmelblau"), resolution=20, steps=100)
>>> m.minimum_index.shape
(20, 20)
"""

from .basins import DIVERGED, NONE, BasinMap, basin_map, minimum_label
from .ensembles import Ensemble, ensemble
from .limits import MAX_ENSEMBLE, MAX_RESOLUTION, MAX_STEPS, MAX_TRAJECTORIES, MIN_RESOLUTION
from .sweeps import Sweep, default_axis, find_param, quadratic_theory, sweep
from .tuning import CRITERIA, Tuned, search_text, tune, tuned_rows

__all__ = [
    "CRITERIA",
    "DIVERGED",
    "MAX_ENSEMBLE",
    "MAX_RESOLUTION",
    "MAX_STEPS",
    "MAX_TRAJECTORIES",
    "MIN_RESOLUTION",
    "NONE",
    "BasinMap",
    "Ensemble",
    "Sweep",
    "Tuned",
    "basin_map",
    "default_axis",
    "ensemble",
    "find_param",
    "minimum_label",
    "quadratic_theory",
    "search_text",
    "sweep",
    "tune",
    "tuned_rows",
]
