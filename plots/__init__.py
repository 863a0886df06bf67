"""Pure figure builders: (surface, runs, options) -> Plotly figure or table rows. No Streamlit here.

>>> from surfaces import get_surface
>>> from optimizers import get_optimizer, run
>>> from plots import PALETTE, RunView, contour_figure, surface_grid
>>> s = get_surface("rosenbrock")
>>> tr = run(get_optimizer("adam", lr=0.05), s, [[-1.2, 1.0]], 300, record=True)
>>> fig = contour_figure(s, surface_grid(s), [RunView("Adam", PALETTE[0], tr)], step=10)
"""

from .animation import MAX_FRAMES, frame_steps
from .curves import KINDS, curve_values, curves_figure
from .landscape import SurfaceGrid, colorbar_title, contour_figure, shown_values, surface_figure, surface_grid
from .model import MODEL_KINDS, model_figure
from .overlays import gradient_field, step_vectors
from .runs import OVERLAYS, PALETTE, Overlays, RunView, literal_text
from .tables import hint_for, ledger_rows, steps_to_tol, summary_rows

__all__ = [
    "KINDS",
    "MAX_FRAMES",
    "MODEL_KINDS",
    "OVERLAYS",
    "PALETTE",
    "Overlays",
    "RunView",
    "SurfaceGrid",
    "colorbar_title",
    "contour_figure",
    "curve_values",
    "curves_figure",
    "frame_steps",
    "gradient_field",
    "hint_for",
    "ledger_rows",
    "literal_text",
    "model_figure",
    "shown_values",
    "step_vectors",
    "steps_to_tol",
    "summary_rows",
    "surface_figure",
    "surface_grid",
]
