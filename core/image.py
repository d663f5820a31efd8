"""PNG reading and writing with numpy + zlib only (no Qt, no PIL), so core and the CLI can save images."""
from __future__ import annotations

import os
import struct
import zlib
from pathlib import Path

from core.fileio import atomic_write_bytes  # noqa: F401 (re-exported for callers)

import numpy as np


class ImageFileError(ValueError):
    """A PNG file could not be read."""


def _chunk(tag: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + tag + data + struct.pack(">I", zlib.crc32(tag + data) & 0xFFFFFFFF)


def encode_png(image: np.ndarray, compression: int = 6) -> bytes:
    """uint8 image [H, W], [H, W, 3] or [H, W, 4] -> PNG bytes."""
    img = np.ascontiguousarray(image)
    if img.dtype != np.uint8:
        raise ValueError(f"encode_png: expected uint8, got {img.dtype}")
    if img.ndim == 2:
        img = img[:, :, None]
    h, w, c = img.shape
    color_type = {1: 0, 3: 2, 4: 6}.get(c)
    if color_type is None:
        raise ValueError(f"encode_png: expected 1, 3 or 4 channels, got {c}")
    raw = np.concatenate([np.zeros((h, 1), np.uint8), img.reshape(h, w * c)], axis=1).tobytes()
    header = struct.pack(">IIBBBBB", w, h, 8, color_type, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + _chunk(b"IHDR", header) + _chunk(b"IDAT", zlib.compress(raw, compression)) + _chunk(b"IEND", b"")


def write_png(path: str | os.PathLike, image: np.ndarray) -> None:
    atomic_write_bytes(path, encode_png(image))


def _paeth(a, b, c):
    p = a.astype(np.int16) + b - c
    pa, pb, pc = np.abs(p - a), np.abs(p - b), np.abs(p - c)
    return np.where((pa <= pb) & (pa <= pc), a, np.where(pb <= pc, b, c))


def read_png(path: str | os.PathLike) -> np.ndarray:
    """Read an 8-bit, non-interlaced grey/RGB/RGBA PNG -> uint8 [H, W, C]."""
    path = Path(path)
    data = path.read_bytes()
    if data[:8] != b"\x89PNG\r\n\x1a\n":
        raise ImageFileError(f"{path}: not a PNG file")
    pos, idat, header = 8, [], None
    while pos + 8 <= len(data):
        (length,) = struct.unpack(">I", data[pos : pos + 4])
        tag = data[pos + 4 : pos + 8]
        body = data[pos + 8 : pos + 8 + length]
        pos += 12 + length
        if tag == b"IHDR":
            header = struct.unpack(">IIBBBBB", body)
        elif tag == b"IDAT":
            idat.append(body)
        elif tag == b"IEND":
            break
    if header is None:
        raise ImageFileError(f"{path}: PNG without IHDR")
    w, h, depth, color_type, _, _, interlace = header
    channels = {0: 1, 2: 3, 6: 4, 4: 2}.get(color_type)
    if depth != 8 or channels is None or interlace:
        raise ImageFileError(f"{path}: only 8-bit non-interlaced grey/RGB/RGBA PNGs are supported")
    try:
        raw = np.frombuffer(zlib.decompress(b"".join(idat)), np.uint8)
    except zlib.error as exc:
        raise ImageFileError(f"{path}: corrupt image data ({exc})") from None
    stride = w * channels
    if raw.size != h * (stride + 1):
        raise ImageFileError(f"{path}: image data is truncated")
    rows = raw.reshape(h, stride + 1)
    out = np.zeros((h, stride), np.uint8)
    prev = np.zeros(stride, np.uint8)
    for y in range(h):  # PNG filters are sequential by row; fine for test-sized images
        f, line = rows[y, 0], rows[y, 1:].copy()
        if f == 1:
            for x in range(channels, stride):
                line[x] = (int(line[x]) + int(line[x - channels])) & 255
        elif f == 2:
            line = (line.astype(np.int16) + prev).astype(np.uint8)
        elif f == 3:
            for x in range(stride):
                left = int(line[x - channels]) if x >= channels else 0
                line[x] = (int(line[x]) + (left + int(prev[x])) // 2) & 255
        elif f == 4:
            for x in range(stride):
                a = int(line[x - channels]) if x >= channels else 0
                c = int(prev[x - channels]) if x >= channels else 0
                line[x] = (int(line[x]) + int(_paeth(np.array(a), np.array(int(prev[x])), np.array(c)))) & 255
        out[y] = line
        prev = line
    return out.reshape(h, w, channels)
