"""PNG reading and writing with numpy + zlib only (no Qt, no PIL), so core and the CLI can save images.

The reader takes 8-bit, non-interlaced grey, grey+alpha, RGB and RGBA PNGs (what the studio, the
exporter and the data set writer make, and what most tools write) and trusts nothing in the file:
the file size, the image size in IHDR and the inflated data are bounded by core.limits before
anything is allocated for them, chunk lengths and CRCs are checked, and any problem is an
ImageFileError naming the file and the chunk, field or row.
"""
from __future__ import annotations

import os
import struct
import zlib
from pathlib import Path

from core.fileio import atomic_write_bytes  # noqa: F401 (re-exported for callers)
from core.limits import MAX_IMAGE_FILE_BYTES, MAX_IMAGE_SIDE

import numpy as np


class ImageFileError(ValueError):
    """A PNG file could not be read; the message names the file and the chunk, field or row."""


def _chunk(tag: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + tag + data + struct.pack(">I", zlib.crc32(tag + data) & 0xFFFFFFFF)


def encode_png(image: np.ndarray, compression: int = 6) -> bytes:
    """uint8 image [H, W], [H, W, 1..4] (grey, grey+alpha, RGB, RGBA) -> PNG bytes."""
    img = np.ascontiguousarray(image)
    if img.dtype != np.uint8:
        raise ValueError(f"encode_png: expected uint8, got {img.dtype}")
    if img.ndim == 2:
        img = img[:, :, None]
    h, w, c = img.shape
    color_type = {1: 0, 2: 4, 3: 2, 4: 6}.get(c)
    if color_type is None:
        raise ValueError(f"encode_png: expected 1, 2, 3 or 4 channels, got {c}")
    raw = np.concatenate([np.zeros((h, 1), np.uint8), img.reshape(h, w * c)], axis=1).tobytes()
    header = struct.pack(">IIBBBBB", w, h, 8, color_type, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + _chunk(b"IHDR", header) + _chunk(b"IDAT", zlib.compress(raw, compression)) + _chunk(b"IEND", b"")


def write_png(path: str | os.PathLike, image: np.ndarray) -> None:
    atomic_write_bytes(path, encode_png(image))


_SIGNATURE = b"\x89PNG\r\n\x1a\n"
_CHANNELS = {0: 1, 4: 2, 2: 3, 6: 4}  # PNG colour type -> channels (3, a palette, is not read)


def _chunks(path: Path, data: bytes):
    """(tag, body) of each chunk up to IEND, lengths and CRCs checked."""
    pos = len(_SIGNATURE)
    while True:
        if pos + 8 > len(data):
            raise ImageFileError(f"{path}: truncated: the file ends at byte {len(data)} before the IEND chunk")
        (length,) = struct.unpack(">I", data[pos:pos + 4])
        tag = data[pos + 4:pos + 8]
        name = tag.decode("latin-1")
        if length > len(data) - pos - 12:
            raise ImageFileError(f"{path}: chunk {name!r} at byte {pos} declares {length:,} bytes, but the "
                                 f"file holds {max(len(data) - pos - 12, 0):,} after it")
        body = data[pos + 8:pos + 8 + length]
        (crc,) = struct.unpack(">I", data[pos + 8 + length:pos + 12 + length])
        if zlib.crc32(tag + body) & 0xFFFFFFFF != crc:
            raise ImageFileError(f"{path}: chunk {name!r} at byte {pos} is corrupt (CRC mismatch)")
        yield tag, body
        if tag == b"IEND":
            return
        pos += 12 + length


def _unfilter_rows(path: Path, filters: np.ndarray, data: np.ndarray, bpp: int) -> np.ndarray:
    """Undo the PNG row filters: ``filters`` [H] uint8, ``data`` [H, W*bpp] -> pixels [H, W*bpp]."""
    bad = np.nonzero(filters > 4)[0]
    if bad.size:
        row = int(bad[0])
        raise ImageFileError(f"{path}: row {row}: unknown filter type {int(filters[row])} (PNG has 0..4)")
    if not filters.any():
        return data.copy()
    h, stride = data.shape
    if (filters >= 3).any():
        return _unfilter_wavefront(filters, data.reshape(h, stride // bpp, bpp)).reshape(h, stride)
    out = np.empty_like(data)
    prev = np.zeros(stride, np.uint8)
    for y in range(h):  # Sub and Up only: each row is one vectorised step
        f = filters[y]
        if f == 0:
            line = data[y]
        elif f == 1:
            line = np.cumsum(data[y].reshape(-1, bpp), axis=0, dtype=np.uint8).reshape(stride)
        else:
            line = data[y] + prev
        out[y] = line
        prev = out[y]
    return out


def _unfilter_wavefront(filters: np.ndarray, data: np.ndarray) -> np.ndarray:
    """Undo Average and Paeth (and any other) filters on pixels [H, W, bpp]. A pixel needs its left,
    upper and upper-left neighbours, so the pixels of one anti-diagonal (y + x = t) are decoded together:
    H + W vectorised steps instead of H x W x bpp Python steps."""
    h, w, bpp = data.shape
    out = np.zeros((h + 1, w + 1, bpp), np.int16)  # a zero row and column before the image
    raw = data.astype(np.int16)
    f_all = filters.astype(np.int16)
    for t in range(h + w - 1):
        ys = np.arange(max(0, t - w + 1), min(h, t + 1))
        xs = t - ys
        a = out[ys + 1, xs]
        b = out[ys, xs + 1]
        c = out[ys, xs]
        f = f_all[ys][:, None]
        pa, pb, pc = np.abs(b - c), np.abs(a - c), np.abs(a + b - 2 * c)
        paeth = np.where((pa <= pb) & (pa <= pc), a, np.where(pb <= pc, b, c))
        pred = np.where(f == 1, a, np.where(f == 2, b, np.where(f == 3, (a + b) >> 1,
                                                               np.where(f == 4, paeth, 0))))
        out[ys + 1, xs + 1] = (raw[ys, xs] + pred) & 255
    return out[1:, 1:].astype(np.uint8)


def read_png(path: str | os.PathLike) -> np.ndarray:
    """Read an 8-bit, non-interlaced grey/grey+alpha/RGB/RGBA PNG -> uint8 [H, W, C].

    Raises ImageFileError naming the file and the problem, and nothing else, whatever the file holds."""
    path = Path(path)
    try:
        size = os.stat(path).st_size
        if not path.is_file():
            raise ImageFileError(f"{path}: not a regular file")
        if size > MAX_IMAGE_FILE_BYTES:
            raise ImageFileError(f"{path}: {size:,} bytes is larger than the {MAX_IMAGE_FILE_BYTES:,} an image "
                                 "file may be")
        data = path.read_bytes()
    except FileNotFoundError:
        raise ImageFileError(f"{path}: no such image file") from None
    except OSError as exc:
        raise ImageFileError(f"{path}: cannot read the image ({exc.strerror or exc})") from None
    if data[:8] != _SIGNATURE:
        raise ImageFileError(f"{path}: not a PNG file")
    header = None
    idat: list[bytes] = []
    for tag, body in _chunks(path, data):
        if header is None and tag != b"IHDR":
            raise ImageFileError(f"{path}: the first chunk is {tag.decode('latin-1')!r}, not IHDR")
        if tag == b"IHDR":
            if header is not None:
                raise ImageFileError(f"{path}: a second IHDR chunk")
            if len(body) != 13:
                raise ImageFileError(f"{path}: IHDR holds {len(body)} bytes, not 13")
            header = struct.unpack(">IIBBBBB", body)
            w, h, depth, color_type, compression, filter_method, interlace = header
            if not (1 <= w <= MAX_IMAGE_SIDE and 1 <= h <= MAX_IMAGE_SIDE):
                raise ImageFileError(f"{path}: IHDR size {w}x{h}: width and height must be 1..{MAX_IMAGE_SIDE}")
            if depth != 8 or color_type not in _CHANNELS or interlace != 0:
                raise ImageFileError(f"{path}: IHDR bit depth {depth}, colour type {color_type}, interlace "
                                     f"{interlace}: only 8-bit non-interlaced grey/RGB/RGBA PNGs are supported")
            if compression != 0 or filter_method != 0:
                raise ImageFileError(f"{path}: IHDR compression {compression} / filter method {filter_method} "
                                     "is not PNG's 0")
        elif tag == b"IDAT":
            idat.append(body)
    w, h, _depth, color_type = header[:4]
    channels = _CHANNELS[color_type]
    stride = w * channels
    expected = h * (stride + 1)
    inflater = zlib.decompressobj()
    try:
        # At most one byte more than the image needs is inflated, so a small file cannot expand
        # into gigabytes (a "zip bomb").
        raw = inflater.decompress(b"".join(idat), expected + 1)
    except zlib.error as exc:
        raise ImageFileError(f"{path}: IDAT: corrupt image data ({exc})") from None
    if len(raw) > expected or inflater.unconsumed_tail:
        raise ImageFileError(f"{path}: IDAT: more image data than the {w}x{h} image of IHDR")
    if len(raw) < expected or not inflater.eof:
        raise ImageFileError(f"{path}: IDAT: image data is truncated ({len(raw):,} of {expected:,} bytes)")
    rows = np.frombuffer(raw, np.uint8).reshape(h, stride + 1)
    out = _unfilter_rows(path, rows[:, 0], rows[:, 1:], channels)
    return out.reshape(h, w, channels)
