"""Optimizer visualizer: how optimization algorithms move across 2D loss surfaces.

Run with ``make run``. ``main()`` reads as a table of contents: read the state (the URL on
the first visit, then the widgets) into a plain config, compute through cached functions,
build pure figures, render, and write the config back to the URL so the link reproduces it.
"""

from __future__ import annotations

import gc

# Import pandas before any session's script runs: Streamlit imports it lazily in one session's thread, and plotly's
# validators in another thread then find the half-imported module in sys.modules ("partially initialized module
# 'pandas' has no attribute 'Series'"): seen on a fresh server when several sessions load at once (make loadtest).
import pandas  # noqa: F401
import streamlit as st

from ui.config import VIEWS, from_query, to_query
from ui.controls import config_from_sidebar, ensure_defaults
from ui.explore import EXPLORE_VIEWS
from ui.lessons import LESSONS
from ui.views import compare_view

VIEW_TITLES = {"compare": "Compare runs", "basins": "Basin map", "sweep": "Hyperparameter sweep",
               "ensemble": "Noise ensemble", "tune": "Fair comparison"}


def freeze_startup_objects() -> None:
    """Once per server process: put the objects the imports made (Streamlit, NumPy, plotly's validators) out of the
    garbage collector's reach. Streamlit runs a full ``gc.collect()`` after every script run, and walking them all
    cost about 50 ms of CPU per rerun here (``make bench``: server CPU per press). Later objects are still collected.
    """
    if gc.get_freeze_count() == 0:
        gc.freeze()


def read_url_once() -> None:
    """On a session's first run, load the link's state into the widgets and keep its notices."""
    if "run_ids" in st.session_state:
        return
    query = {key: st.query_params.get_all(key) for key in st.query_params}
    config, notices = from_query(query)
    ensure_defaults(config)
    st.session_state["notices"] = notices


def header(config, surface, error) -> None:
    if config.presentation:
        # Streamlit's own h1 rule is more specific and already 2.75rem: the title needs !important and more rem.
        st.markdown("<style>h1{font-size:3.5rem !important} .stMarkdown p{font-size:1.3rem}</style>",
                    unsafe_allow_html=True)
    st.title("Optimizer visualizer")
    for notice in st.session_state.get("notices", []):
        st.warning(notice, icon=":material/link:")
    if error:
        st.error(f"The formula was not accepted, so the last good surface is shown. {error}")
    lesson = LESSONS.get(config.lesson)
    if lesson:
        st.info(f"**{lesson.title}.** {lesson.text}", icon=":material/school:")
    cols = st.columns([2, 1])
    cols[0].latex(surface.latex)
    cols[1].caption(surface.lesson)


def choose_view() -> str:
    view = st.segmented_control("View", list(VIEWS), format_func=VIEW_TITLES.get, key="view",
                                label_visibility="collapsed")
    return view or "compare"


def main() -> None:
    freeze_startup_objects()
    presenting = st.query_params.get("present") == "1"  # a projector link opens with the controls hidden
    st.set_page_config(page_title="Optimizer visualizer", page_icon="📉", layout="wide",
                       initial_sidebar_state="collapsed" if presenting else "expanded")
    read_url_once()
    config, surface, error = config_from_sidebar()
    header(config, surface, error)
    view = choose_view()
    if view == "compare":
        compare_view(config, surface)
    else:
        EXPLORE_VIEWS[view](config, surface)
    st.query_params.from_dict(to_query(config))


if __name__ == "__main__":
    main()
