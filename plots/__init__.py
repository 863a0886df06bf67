"""Pure figure builders: (surface, trajectories, options) -> Plotly figure. No Streamlit here."""

from .landscape import SurfaceGrid, contour_figure, surface_figure, surface_grid

__all__ = ["SurfaceGrid", "contour_figure", "surface_figure", "surface_grid"]
