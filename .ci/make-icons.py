#!/usr/bin/env python3
"""Draws PeerChat's app icons (a speech bubble) as PNGs with the standard library only.

Run once when the design changes; the PNGs are committed in public/icons/.
"""
import struct
import sys
import zlib
from pathlib import Path

BG = (37, 99, 235)
FG = (255, 255, 255)
DOT = (37, 99, 235)


def inside_bubble(x, y, size, scale):
    """True when (x, y) falls in the bubble: a rounded rectangle with a tail."""
    c = size / 2
    w, h, r = 0.62 * size * scale, 0.44 * size * scale, 0.12 * size * scale
    left, top = c - w / 2, c - h / 2 - 0.04 * size * scale
    right, bottom = left + w, top + h
    if left <= x <= right and top <= y <= bottom:
        cx = min(max(x, left + r), right - r)
        cy = min(max(y, top + r), bottom - r)
        return (x - cx) ** 2 + (y - cy) ** 2 <= r * r
    # The tail: a triangle below the bottom-left of the bubble.
    tx, ty, tl = left + 0.16 * w, bottom, 0.14 * size * scale
    return ty <= y <= ty + tl and tx <= x <= tx + (ty + tl - y)


def pixel(x, y, size, scale, rounded):
    if rounded:
        r = 0.2 * size
        cx = min(max(x, r), size - r)
        cy = min(max(y, r), size - r)
        if (x - cx) ** 2 + (y - cy) ** 2 > r * r:
            return (0, 0, 0, 0)
    if inside_bubble(x, y, size, scale):
        c = size / 2
        for dx in (-0.14, 0, 0.14):
            if (x - c - dx * size * scale) ** 2 + (y - c + 0.04 * size * scale) ** 2 <= (0.035 * size * scale) ** 2:
                return DOT + (255,)
        return FG + (255,)
    return BG + (255,)


def png(size, scale, rounded):
    rows = b"".join(
        b"\x00" + b"".join(bytes(pixel(x + 0.5, y + 0.5, size, scale, rounded)) for x in range(size))
        for y in range(size)
    )

    def chunk(kind, data):
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    header = struct.pack(">IIBBBBB", size, size, 8, 6, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(rows, 9)) + chunk(b"IEND", b"")


def main(out):
    out.mkdir(parents=True, exist_ok=True)
    (out / "icon-192.png").write_bytes(png(192, 1.0, True))
    (out / "icon-512.png").write_bytes(png(512, 1.0, True))
    # Maskable: full bleed, the bubble kept inside the 80 % safe zone.
    (out / "icon-maskable-512.png").write_bytes(png(512, 0.8, False))


if __name__ == "__main__":
    main(Path(sys.argv[1] if len(sys.argv) > 1 else "public/icons"))
