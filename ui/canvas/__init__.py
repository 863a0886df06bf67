"""The canvas: one Streamlit components v2 component that keeps its Plotly charts across reruns.

``st.plotly_chart`` hashes the figure into its element id, so every changed figure is a new element that
plotly.js draws from scratch. Here the element's identity is its ``key``: the browser keeps the plot div and
calls ``Plotly.react`` with the new figure. Python decides everything drawn (the figures come from the pure
builders in :mod:`plots`); ``canvas.js`` only draws, moves the step in the browser and relays three events:

* ``{"kind": "step", "step": t}``: the step control was released or paused at ``t``;
* ``{"kind": "start", "x": x, "y": y}``: a click on the contour's plot area, in data coordinates;
* ``{"kind": "hparam", "run": id, "name": "lr", "value": v}``: a live slider was released at ``v``.

plotly.js (a partial bundle of the trace types the app draws, ``ui/canvas/plotly``) and canvas.js are copied
into ``static/`` and served by Streamlit's static serving (``server.enableStaticServing``), so the browser loads
and caches them once instead of with every rerun.
"""

from __future__ import annotations

import base64
import contextlib
import hashlib
import json
import math
import re
from collections.abc import Callable, Mapping
from pathlib import Path

import numpy as np
import plotly
import plotly.offline
import streamlit as st

from plots import literal_text

HERE = Path(__file__).resolve().parent
STATIC_DIR = HERE.parents[1] / "static"  # next to app.py: what Streamlit serves at /app/static/


def _static_copy(source: Path, stem: str) -> str:
    """Copy ``source`` into ``static/`` once, named by its text (``<stem>-<hash>.js``: a browser never runs a stale
    copy), removing the copies of its earlier texts; its URL, relative to the page.

    A real file: Streamlit refuses symlinks."""
    text = source.read_bytes()
    name = f"{stem}-{hashlib.sha256(text).hexdigest()[:12]}.js"
    target = STATIC_DIR / name
    if not target.exists():
        STATIC_DIR.mkdir(exist_ok=True)
        partial = target.with_suffix(".part")
        partial.write_bytes(text)
        partial.replace(target)  # atomic: two servers starting at once never serve half a file
    for stale in STATIC_DIR.glob(f"{stem}-*.js"):
        if stale.name != name:
            stale.unlink(missing_ok=True)
    return f"app/static/{name}"


# plotly.js: the partial bundle of ui/canvas/plotly (only the trace types the app draws; less than half the full
# one's time to parse and run on every page load), when it is of the plotly.js that plotly.py writes figures for;
# else plotly.py's own full copy.
PLOTLY_BUNDLE = HERE / "plotly" / "plotly-optviz.min.js"
PLOTLY_FULL = Path(plotly.__file__).parent / "package_data" / "plotly.min.js"


def bundle_banner(path: Path = PLOTLY_BUNDLE) -> tuple[str, tuple[str, ...]]:
    """The plotly.js version and the trace types a partial bundle holds, from its first line (build.js writes it)."""
    with path.open(encoding="utf-8") as file:
        match = re.match(r"/\*! plotly\.js (\S+) traces: (\S+) ", file.readline())
    if not match:
        raise ValueError(f"{path} does not start with build.js's banner")
    return match[1], tuple(match[2].split(","))


def plotly_source(bundle_version: str, plotly_version: str) -> Path:
    """The plotly.js the page loads: the partial bundle if it is of plotly.py's version of plotly.js."""
    return PLOTLY_BUNDLE if bundle_version == plotly_version else PLOTLY_FULL


BUNDLE_VERSION, BUNDLE_TRACES = bundle_banner()
PLOTLY_SOURCE = plotly_source(BUNDLE_VERSION, plotly.offline.get_plotlyjs_version())
PLOTLY_URL = _static_copy(PLOTLY_SOURCE, "plotly")


# canvas.js is served from static/ too: inlined into the component, its 40 KB went over the websocket again with
# every rerun. The component's own script only imports it, once per page, and hands it each call.
CANVAS_URL = _static_copy(HERE / "canvas.js", "canvas")
CANVAS_LOADER = f"""const canvas = import(new URL("{CANVAS_URL}", document.baseURI).href);
export default function (component) {{
  canvas.then((module) => module.default(component)).catch((error) => console.error("canvas:", error));
}}
"""

_component = st.components.v2.component(
    "optviz.canvas",
    js=CANVAS_LOADER,
    css=(HERE / "canvas.css").read_text(),
    isolate_styles=False,  # plotly.js puts its own styles in the document's head: no shadow root
)


def pack(values, dtype: str = "f4") -> dict:
    """An array for the browser as ``{dtype, shape, bdata}`` (base64, little-endian), plotly.py 7's own encoding.

    Non-finite values become NaN (a gap in a line). Compact and quick: a float32 is 4 bytes instead of the
    10 or so characters of its JSON number, and the browser reads it with one typed-array view.
    """
    a = np.asarray(values, dtype=float)
    if dtype == "f4":
        with np.errstate(over="ignore", invalid="ignore"):
            a = np.where(np.isfinite(a), a, np.nan).astype("<f4")
    else:
        a = a.astype("<" + dtype)
    return {"dtype": dtype, "shape": list(a.shape), "bdata": base64.b64encode(a.tobytes()).decode("ascii")}


# numpy's dtypes that plotly.js reads as typed arrays, by its short names
PLOTLY_DTYPES = {"float32": "f4", "float64": "f8", "int8": "i1", "uint8": "u1", "int16": "i2", "uint16": "u2",
                 "int32": "i4", "uint32": "u4"}
PLAIN_KEYS = ("range",)  # plotly.js reads these as plain lists only (plotly.py's encoder skips them too)


def typed_array(values: np.ndarray):
    """An array of a figure as plotly.js reads it: ``{dtype, bdata, shape}`` in its own dtype, as plotly.py's encoder
    writes it (64-bit integers in the smallest type that holds them); a plain list when plotly.js has no typed array
    for it."""
    a = values
    if a.dtype in (np.int64, np.uint64) and a.size:
        smaller = (np.int8, np.int16, np.int32) if a.dtype == np.int64 else (np.uint8, np.uint16, np.uint32)
        fits = [t for t in smaller if np.iinfo(t).min <= a.min() and a.max() <= np.iinfo(t).max]
        a = a.astype(fits[0]) if fits else a
    dtype = PLOTLY_DTYPES.get(str(a.dtype))
    if dtype is None or a.size == 0:
        return wire(a.tolist())
    spec = {"dtype": dtype, "bdata": base64.b64encode(np.ascontiguousarray(a, a.dtype.newbyteorder("<"))).decode()}
    if a.ndim > 1:
        spec["shape"] = ", ".join(map(str, a.shape))
    return spec


def figure_json(fig, *, fit: bool = False) -> str:
    """The figure as plotly.js reads it (arrays as ``{dtype, bdata}``), without plotly.py's encoder.

    The same JSON as ``fig.to_json()`` (``tests/test_canvas_data.py`` compares them), written three times faster:
    plotly.py checks every array against pandas, polars and narwhals before encoding it. ``fit``: without the
    builder's fixed height (the canvas sizes the chart to the window).
    """
    spec = {"data": [trace.to_plotly_json() for trace in fig.data], "layout": fig.layout.to_plotly_json()}
    if fig.frames:
        spec["frames"] = [frame.to_plotly_json() for frame in fig.frames]
    if fit:
        spec["layout"].pop("height", None)
        spec["layout"]["autosize"] = True
    return json.dumps(wire(spec, array=typed_array), separators=(",", ":"), allow_nan=False)


def chart(fig, *, key: str, container=st, height: int | None = None) -> None:
    """One persistent Plotly chart: drawn once per ``key``, then updated in place with ``Plotly.react``.

    Every figure of the app goes to the page here (or in :func:`canvas`), its user texts made literal.
    """
    spec = {"id": "main", "figure": figure_json(literal_text(fig))}
    if height:
        spec["height"] = f"{int(height)}px"
    with contextlib.nullcontext() if container is st else container:
        _component(key=key, data={"plotly": PLOTLY_URL, "charts": [spec]}, height="content")


PRELOAD_KEY = "canvas.preload"


def preload_plotly() -> None:
    """Start loading plotly.js with the page's first elements instead of with its first chart, which comes at the end
    of a session's first script run (after every run is computed): a chart-less canvas, 1 px high, at the top of
    the sidebar. The page keeps one copy of plotly.js, so the charts drawn later find it loaded."""
    _component(key=PRELOAD_KEY, data={"plotly": PLOTLY_URL, "charts": []}, height=1)


def wire(value, *, array=pack, key: str = ""):
    """``value`` as plain JSON data for the browser: every NumPy array through ``array`` (:func:`pack`, or
    :func:`typed_array` for a figure), NumPy numbers as Python numbers, and non-finite numbers as None (JSON has no
    NaN; plotly.js draws a gap)."""
    if isinstance(value, np.ndarray):
        return wire(value.tolist()) if key in PLAIN_KEYS else array(value)
    if isinstance(value, dict):
        return {k: wire(v, array=array, key=k) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [wire(v, array=array) for v in value]
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return value


def canvas(data: Mapping, *, key: str, on_action: Callable[[], None] | None = None):
    """The comparison's canvas: several charts, the step control, live sliders and the ledger (see canvas.js).

    ``data`` is plain data (:func:`wire` it first); ``on_action`` runs before the rerun an event causes, with the
    event in ``st.session_state[key]["action"]``, so it may write widget keys.
    """
    return _component(key=key, data={"plotly": PLOTLY_URL, **data}, height="content",
                      on_action_change=on_action or (lambda: None))
