"""Real PNG files from the standard library alone."""

import struct
import zlib


def _chunk(kind: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))


def gradient_png(width: int, height: int, rng) -> bytes:
    """An RGB image fading between two colours from ``rng``, top to bottom."""
    top = [rng.randrange(256) for _ in range(3)]
    bottom = [rng.randrange(256) for _ in range(3)]
    rows = []
    for y in range(height):
        t = y / max(1, height - 1)
        pixel = bytes(round(a + (b - a) * t) for a, b in zip(top, bottom, strict=True))
        rows.append(b"\x00" + pixel * width)  # filter type 0, then the row
    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    # Level 1: twice as fast as the default, and a gradient is a few kB at any level.
    return (
        b"\x89PNG\r\n\x1a\n"
        + _chunk(b"IHDR", header)
        + _chunk(b"IDAT", zlib.compress(b"".join(rows), 1))
        + _chunk(b"IEND", b"")
    )
