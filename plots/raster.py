"""Contour levels, and the filled contour as a PNG image (a background that survives Plotly animations).

Why the image: while ``Plotly.animate`` moves scatter markers with ``redraw=False``, plotly.js removes
the SVG layers of every trace type it is not animating, so a contour trace vanishes on Play. A layout
image is not a trace and stays. Its bands use the contour's levels and plotly.js's fill colours
(level k's band is coloured at ``level + size/2``, the colour scale spanning ``start - size/2`` to
``start + (n - 1/2) size``), so the two look the same.
"""

from __future__ import annotations

import base64
import math
import struct
import zlib

import numpy as np

TARGET_LEVELS = 25
IMAGE_PIXELS = 480  # the image is upsampled (bilinear) to about this many pixels a side, for smooth band edges


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


def band_colors(shown: np.ndarray, levels: dict, colorscale) -> np.ndarray:
    """RGBA (H, W, 4) uint8 of the filled contour, rows top (largest y) first; NaN is transparent."""
    start, size = levels["start"], levels["size"]
    n = round((levels["end"] - start) / size) + 1
    with np.errstate(invalid="ignore"):
        band = np.clip(np.floor((shown - start) / size) + 1, 0, n)
    position = np.nan_to_num(band / n)
    stops = np.array([s for s, _ in colorscale], dtype=float)
    rgb = np.array([_hex(c) for _, c in colorscale], dtype=float)
    out = np.empty((*shown.shape, 4), dtype=np.uint8)
    for k in range(3):
        out[..., k] = np.round(np.interp(position, stops, rgb[:, k]))
    out[..., 3] = np.where(np.isfinite(shown), 255, 0)
    return out[::-1]


def _hex(color: str) -> tuple[int, int, int]:
    color = color.lstrip("#")
    return int(color[0:2], 16), int(color[2:4], 16), int(color[4:6], 16)


def png_data_uri(rgba: np.ndarray) -> str:
    """Encode an RGBA uint8 image (H, W, 4) as a ``data:image/png;base64,...`` URI (stdlib only)."""
    h, w, _ = rgba.shape
    raw = b"".join(b"\x00" + rgba[row].tobytes() for row in range(h))

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)

    png = (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", w, h, 8, 6, 0, 0, 0))
           + chunk(b"IDAT", zlib.compress(raw, 9)) + chunk(b"IEND", b""))
    return "data:image/png;base64," + base64.b64encode(png).decode("ascii")


def upsample(x: np.ndarray, y: np.ndarray, shown: np.ndarray, pixels: int = IMAGE_PIXELS):
    """Bilinear resampling of ``shown`` to about ``pixels`` a side (never below the grid's own resolution)."""
    factor = max(1, math.ceil(pixels / max(len(x), len(y))))
    if factor == 1:
        return x, y, shown
    x2 = np.linspace(x[0], x[-1], (len(x) - 1) * factor + 1)
    y2 = np.linspace(y[0], y[-1], (len(y) - 1) * factor + 1)
    rows = np.stack([np.interp(x2, x, row) for row in shown.astype(float)])
    return x2, y2, np.stack([np.interp(y2, y, col) for col in rows.T], axis=1)


def background_image(x: np.ndarray, y: np.ndarray, shown: np.ndarray, levels: dict, colorscale) -> dict:
    """A ``layout.images`` entry drawing the filled contour under the traces: pixel centres on the grid nodes."""
    x, y, shown = upsample(np.asarray(x, float), np.asarray(y, float), shown)
    dx, dy = (float(x[-1]) - float(x[0])) / (len(x) - 1), (float(y[-1]) - float(y[0])) / (len(y) - 1)
    return {
        "source": png_data_uri(band_colors(shown, levels, colorscale)), "xref": "x", "yref": "y",
        "x": float(x[0]) - dx / 2, "y": float(y[-1]) + dy / 2, "sizex": len(x) * dx, "sizey": len(y) * dy,
        "xanchor": "left", "yanchor": "top", "sizing": "stretch", "layer": "below", "name": "contour background",
    }
