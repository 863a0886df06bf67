"""What a server process does once, whichever session's script run gets there first."""

from __future__ import annotations

import gc
from functools import cache


@cache  # once per process: this module is imported once, while app.py runs again on every rerun
def freeze_startup_objects() -> None:
    """Put the objects the imports made (Streamlit, NumPy, plotly's validators) out of the garbage collector's reach.

    Streamlit runs a full ``gc.collect()`` after every script run, and walking them all cost about 50 ms of CPU per
    rerun here (``make bench``: server CPU per press). Later objects are still collected. Not guarded by
    ``gc.get_freeze_count()``: that walks the whole frozen list, about 10 ms on every rerun.
    """
    gc.freeze()
