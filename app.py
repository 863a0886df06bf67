"""Optimizer visualizer: how optimization algorithms move across 2D loss surfaces."""

from __future__ import annotations

import streamlit as st

from plots import contour_figure, surface_figure, surface_grid
from surfaces import SURFACES, get_surface


def surface_controls() -> tuple[str, dict]:
    name = st.sidebar.selectbox("Surface", list(SURFACES), format_func=lambda n: SURFACES[n].title)
    values = {}
    for p in SURFACES[name].params:
        key = f"surface.{name}.{p.name}"
        if p.kind == "text":
            values[p.name] = st.sidebar.text_input(p.label, p.default, key=key, help=p.help)
        else:
            values[p.name] = st.sidebar.slider(p.label, float(p.low), float(p.high), float(p.default), key=key, help=p.help)
    return name, values


def main() -> None:
    st.set_page_config(page_title="Optimizer visualizer", layout="wide")
    st.title("Optimizer visualizer")
    name, values = surface_controls()
    try:
        surface = get_surface(name, **values)
    except ValueError as error:
        st.error(str(error))
        return
    st.latex(surface.latex)
    st.caption(surface.lesson)
    grid = surface_grid(surface)
    left, right = st.columns(2)
    left.plotly_chart(contour_figure(surface, grid), key="contour")
    right.plotly_chart(surface_figure(surface, grid), key="surface3d")


if __name__ == "__main__":
    main()
