"""A lossless PNG writer for the screen image, three times faster than PIL's.

PIL tries five filters on every row and keeps the best, about 0.27 s for the 3,000 px image of a 100-run heatmap:
as long as the rest of a re-draw. One fixed filter ("up": each byte minus the byte above it, which turns the flat
areas of a chart into zeros) and zlib's fastest level take 0.09 s for a file 8 % larger.
"""

from __future__ import annotations

import struct
import zlib

import numpy as np

SIGNATURE = b"\x89PNG\r\n\x1a\n"
FILTER_NONE, FILTER_UP = 0, 2
RGBA_COLOUR_TYPE = 6


def encode_rgba(pixels: np.ndarray) -> bytes:
    """PNG bytes of an (height, width, 4) uint8 RGBA array, top row first."""
    height, width, channels = pixels.shape
    if channels != 4 or pixels.dtype != np.uint8:
        raise ValueError(f"expected an RGBA uint8 image, got shape {pixels.shape} of {pixels.dtype}")
    flat = pixels.reshape(height, width * 4)
    rows = np.empty((height, 1 + width * 4), np.uint8)  # each row: its filter byte, then the filtered bytes
    rows[0, 0], rows[0, 1:] = FILTER_NONE, flat[0]
    rows[1:, 0] = FILTER_UP
    np.subtract(flat[1:], flat[:-1], out=rows[1:, 1:])  # uint8 arithmetic wraps around, as the format wants
    header = struct.pack(">IIBBBBB", width, height, 8, RGBA_COLOUR_TYPE, 0, 0, 0)
    return SIGNATURE + _chunk(b"IHDR", header) + _chunk(b"IDAT", zlib.compress(rows, 1)) + _chunk(b"IEND", b"")


def _chunk(kind: bytes, body: bytes) -> bytes:
    return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))
