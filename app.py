"""Optimizer visualizer: how optimization algorithms move across 2D loss surfaces.

Run with ``make run``. ``main()`` reads as a table of contents: read the state (the URL on
the first visit, then the widgets) into a plain config, draw the chosen view (each computes
through cached functions and builds pure figures), and write the config back to the URL so
the link reproduces it.
"""

from __future__ import annotations

import logging

# Import pandas before any session's script runs: Streamlit imports it lazily in one session's thread, and plotly's
# validators in another thread then find the half-imported module in sys.modules ("partially initialized module
# 'pandas' has no attribute 'Series'"): seen on a fresh server when several sessions load at once (make loadtest).
import pandas  # noqa: F401
import streamlit as st

from ui.canvas import preload_plotly
from ui.config import SETTINGS, VIEWS, from_query, to_query
from ui.controls import config_from_sidebar, ensure_defaults, keep_notices, setting_widget, show_notices
from ui.lessons import LESSONS
from ui.process import freeze_startup_objects
from ui.text import markdown_literal

LOG = logging.getLogger("optimizer_visualizer")
VIEW_FAILED = "This view could not be drawn with these settings."  # the guard tests look for it


def read_url_once() -> None:
    """On a session's first run, load the link's state into the widgets and keep its notices."""
    if "run_ids" in st.session_state:
        return
    config, notices = from_query({key: st.query_params.get_all(key) for key in st.query_params})
    ensure_defaults(config)
    keep_notices(notices)


def header(config, surface, error) -> None:
    if config.presentation:
        # Streamlit's own h1 rule is more specific and already 2.75rem: the title needs !important and more rem.
        st.markdown("<style>h1{font-size:3.5rem !important} .stMarkdown p{font-size:1.3rem}</style>",
                    unsafe_allow_html=True)
    st.title("Optimizer visualizer")
    show_notices(config)
    if error:
        st.error(markdown_literal(f"The formula was not accepted, so the last good surface is shown. {error}"))
    lesson = LESSONS.get(config.lesson)
    if lesson:
        st.info(f"**{lesson.title}.** {lesson.text}", icon=":material/school:")
    cols = st.columns([2, 1])
    cols[0].latex(surface.latex)
    cols[1].caption(surface.lesson)


def draw_view(config, surface) -> None:
    """The view switch and the chosen view. An unexpected error in a view becomes one sentence on the page
    (and its traceback goes to the server log), so no visitor ever sees a traceback or a file path."""
    setting_widget("view", st, label_visibility="collapsed")
    try:
        VIEWS[config.view].render(config, surface)
    except Exception:
        LOG.exception("view %r failed for %s", config.view, to_query(config))
        st.error(f"{VIEW_FAILED} Change a setting or reload the page; the error has been logged.",
                 icon=":material/error:")


def main() -> None:
    freeze_startup_objects()
    presenting = st.query_params.get(SETTINGS["presentation"].extra["url"]) == "1"  # a projector link hides controls
    st.set_page_config(page_title="Optimizer visualizer", page_icon="📉", layout="wide",
                       initial_sidebar_state="collapsed" if presenting else "expanded")
    read_url_once()
    with st.sidebar:
        preload_plotly()
    config, surface, error = config_from_sidebar()
    header(config, surface, error)
    draw_view(config, surface)
    st.query_params.from_dict(to_query(config))


if __name__ == "__main__":
    main()
