"""The filled contour as a PNG image: the contour view's background.

Why an image and not a Plotly contour trace: plotly.js computes and fills the contour bands as SVG
paths on every redraw, which was the slowest part of redrawing the contour view after a slider move
(measured in ``bench``), and while ``Plotly.animate`` moves markers it removes the SVG of trace types it
is not animating, so a contour trace vanished on Play. A layout image is drawn once per redraw as one
bitmap and stays. The bands are the levels of :func:`contour_levels`; band edges are drawn as faint
white lines, as a contour plot draws them. :func:`band_colorscale` gives the same bands as a stepped
colour scale, for the colour bar.
"""

from __future__ import annotations

import base64
import math
import struct
import zlib

import numpy as np

TARGET_LEVELS = 25
IMAGE_PIXELS = 480  # the image is upsampled (bilinear) to about this many pixels a side, for smooth band edges
LINE_ALPHA = 0.3  # band edges: the colour mixed with this much white


def contour_levels(shown: np.ndarray, target: int = TARGET_LEVELS) -> dict | None:
    """Evenly spaced "nice" levels ``{"start", "end", "size"}`` strictly inside the finite range; None if flat."""
    finite = shown[np.isfinite(shown)]
    if finite.size == 0:
        return None
    lo, hi = float(finite.min()), float(finite.max())
    if not hi > lo:
        return None
    raw = (hi - lo) / target
    magnitude = 10.0 ** math.floor(math.log10(raw))
    size = next(m * magnitude for m in (1.0, 2.0, 2.5, 5.0, 10.0) if m * magnitude >= raw)
    start = (math.floor(lo / size) + 1) * size
    end = (math.ceil(hi / size) - 1) * size
    if end < start:
        return None
    return {"start": start, "end": end, "size": size}


def level_count(levels: dict) -> int:
    return round((levels["end"] - levels["start"]) / levels["size"]) + 1


def band_index(shown: np.ndarray, levels: dict) -> np.ndarray:
    """Band k = 0..n of each value: k levels lie at or below it (band 0 is below the first level); NaN stays NaN."""
    with np.errstate(invalid="ignore"):
        return np.clip(np.floor((shown - levels["start"]) / levels["size"]) + 1, 0, level_count(levels))


def band_rgb(levels: dict, colorscale) -> np.ndarray:
    """(n + 1, 3) colour of each band: band k is the colour scale at k / n."""
    n = level_count(levels)
    stops = np.array([s for s, _ in colorscale], dtype=float)
    rgb = np.array([_hex(c) for _, c in colorscale], dtype=float)
    position = np.arange(n + 1) / n
    return np.stack([np.interp(position, stops, rgb[:, k]) for k in range(3)], axis=-1)


def band_colorscale(levels: dict, colorscale) -> tuple[list, float, float]:
    """The bands as a stepped colour scale ``(scale, cmin, cmax)`` for a colour bar, as plotly.js draws a contour's.

    The bar spans ``start - size/2`` to ``end + size/2``: the outer bands get half a step, every inner band a full
    one, with its colour in the middle (so no tick label lands at the bar's ends, under its title).
    """
    n, size = level_count(levels), levels["size"]
    edges = [0.0, *((k - 0.5) / n for k in range(1, n + 1)), 1.0]
    scale = []
    for k, (r, g, b) in enumerate(np.round(band_rgb(levels, colorscale)).astype(int)):
        color = f"rgb({r},{g},{b})"
        scale += [[edges[k], color], [edges[k + 1], color]]
    return scale, levels["start"] - size / 2, levels["end"] + size / 2


def band_colors(shown: np.ndarray, levels: dict, colorscale) -> np.ndarray:
    """RGBA (H, W, 4) uint8 of the filled contour, rows top (largest y) first; NaN is transparent.

    A pixel whose band differs from its right or lower neighbour's lies on a level line: it is lightened.
    """
    band = band_index(shown, levels)
    finite = np.isfinite(band)
    index = np.where(finite, band, 0).astype(np.intp)
    rgb = band_rgb(levels, colorscale)
    plain = np.round(rgb).astype(np.uint8)
    lightened = np.round((1 - LINE_ALPHA) * rgb + LINE_ALPHA * 255).astype(np.uint8)
    edge = np.zeros(band.shape, dtype=bool)
    edge[:, :-1] |= index[:, :-1] != index[:, 1:]
    edge[:-1, :] |= index[:-1, :] != index[1:, :]
    out = np.empty((*shown.shape, 4), dtype=np.uint8)
    out[..., :3] = plain[index]
    out[edge, :3] = lightened[index[edge]]
    out[..., 3] = np.where(finite, 255, 0)
    return out[::-1]


def _hex(color: str) -> tuple[int, int, int]:
    color = color.lstrip("#")
    return int(color[0:2], 16), int(color[2:4], 16), int(color[4:6], 16)


def png_data_uri(rgba: np.ndarray) -> str:
    """Encode an RGBA uint8 image (H, W, 4) as a ``data:image/png;base64,...`` URI (stdlib only)."""
    h, w, _ = rgba.shape
    raw = np.concatenate([np.zeros((h, 1), dtype=np.uint8), rgba.reshape(h, w * 4)], axis=1).tobytes()  # filter 0

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)

    png = (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", w, h, 8, 6, 0, 0, 0))
           + chunk(b"IDAT", zlib.compress(raw)) + chunk(b"IEND", b""))
    return "data:image/png;base64," + base64.b64encode(png).decode("ascii")


def _resample(values: np.ndarray, old: np.ndarray, new: np.ndarray, axis: int) -> np.ndarray:
    """Linear interpolation of ``values`` along ``axis`` from the increasing grid ``old`` to ``new``."""
    i = np.clip(np.searchsorted(old, new, side="right") - 1, 0, len(old) - 2)
    w = (new - old[i]) / (old[i + 1] - old[i])
    lo, hi = np.take(values, i, axis=axis), np.take(values, i + 1, axis=axis)
    shape = [1, 1]
    shape[axis] = -1
    w = w.reshape(shape)
    return np.where(w == 0, lo, lo + (hi - lo) * w)  # a node keeps its value even beside a NaN


def upsample(x: np.ndarray, y: np.ndarray, shown: np.ndarray, pixels: int = IMAGE_PIXELS):
    """Bilinear resampling of ``shown`` (H, W) to about ``pixels`` a side (never below the grid's own resolution)."""
    factor = max(1, math.ceil(pixels / max(len(x), len(y))))
    if factor == 1:
        return x, y, shown
    x2 = np.linspace(x[0], x[-1], (len(x) - 1) * factor + 1)
    y2 = np.linspace(y[0], y[-1], (len(y) - 1) * factor + 1)
    rows = _resample(shown.astype(float), x, x2, axis=1)
    return x2, y2, _resample(rows, y, y2, axis=0)


def background_image(x: np.ndarray, y: np.ndarray, shown: np.ndarray, levels: dict, colorscale) -> dict:
    """A ``layout.images`` entry drawing the filled contour under the traces: pixel centres on the grid nodes."""
    x, y, shown = upsample(np.asarray(x, float), np.asarray(y, float), shown)
    dx, dy = (float(x[-1]) - float(x[0])) / (len(x) - 1), (float(y[-1]) - float(y[0])) / (len(y) - 1)
    return {
        "source": png_data_uri(band_colors(shown, levels, colorscale)), "xref": "x", "yref": "y",
        "x": float(x[0]) - dx / 2, "y": float(y[-1]) + dy / 2, "sizex": len(x) * dx, "sizey": len(y) * dy,
        "xanchor": "left", "yanchor": "top", "sizing": "stretch", "layer": "below", "name": "contour background",
    }
