"""Structural mutators of real files, shared by every loader's fuzz suite (tests/**/test_*_fuzz.py).

A mutator takes a valid input (a parsed JSON object, a CSV text, the bytes of a binary file) and a
``random.Random`` and returns a hostile variant: a value swapped for one a loader must refuse
(huge, negative, non-finite, of the wrong type, nested too deep), a field dropped or added, a
length field rewritten, a file cut short. Seeds come from hypothesis, so a failure shrinks and
replays. ``check`` runs a loader on one input and asserts the contract of issue 12: the loader
raises only its own error type, naming the file, or returns an object; a failure is written to
the loader's corpus (tests/data/fuzz/<loader>/) so that it is replayed for ever after.
"""
from __future__ import annotations

import copy
import hashlib
import json
import random
import struct
from pathlib import Path
from typing import Any, Callable

CORPUS = Path(__file__).resolve().parents[1] / "data" / "fuzz"

#: Values a JSON field may be swapped for (Python objects; json.dumps writes them, see dump_json).
HOSTILE_VALUES: tuple[Any, ...] = (
    None, True, False, 0, -1, 1, 2**31, -(2**63), 2**64, 10**400, 1e308, -1e308, 1e-320, 5e-324, 0.5,
    1e9, 1e18, -0.0, "", "x", "Take.\u00b2", "Take.3", "Take.99", "\u0000", "nan", "inf", "1e400",
    [], {}, [1, 2], [[[]]], {"": None}, "\ud800" + "x",
)


def deep(n: int) -> Any:
    """A list nested ``n`` levels deep."""
    out: Any = []
    for _ in range(n):
        out = [out]
    return out


def _paths(obj: Any, prefix: tuple = ()) -> list[tuple]:
    """Every location in a JSON object, as a tuple of keys/indices (the root is ())."""
    out = [prefix]
    if isinstance(obj, dict):
        for k, v in obj.items():
            out += _paths(v, prefix + (k,))
    elif isinstance(obj, list):
        for i, v in enumerate(obj):
            out += _paths(v, prefix + (i,))
    return out


def _get(obj: Any, path: tuple) -> Any:
    for p in path:
        obj = obj[p]
    return obj


def mutate_json(obj: Any, rng: random.Random, rounds: int = 1) -> Any:
    """A structurally mutated deep copy of ``obj``: per round one of replace a value, delete a
    field, add an unknown field, duplicate a list item, scale a number to an extreme, nest deeply."""
    obj = copy.deepcopy(obj)
    for _ in range(rounds):
        try:
            paths = _paths(obj)
        except RecursionError:  # an earlier round nested a value thousands deep: enough damage
            return obj
        path = rng.choice(paths)
        op = rng.randrange(6)
        if not path:  # the root: only replace it
            if rng.random() < 0.1:
                return rng.choice(HOSTILE_VALUES + (deep(rng.choice([10, 100, 5000])),))
            continue
        parent, key = _get(obj, path[:-1]), path[-1]
        if op == 0:
            parent[key] = copy.deepcopy(rng.choice(HOSTILE_VALUES))
        elif op == 1:
            del parent[key]
        elif op == 2 and isinstance(parent, dict):
            parent[rng.choice(["extra", "x_custom", "__proto__", str(key) + "_"])] = copy.deepcopy(rng.choice(HOSTILE_VALUES))
        elif op == 2 and isinstance(parent, list):
            parent.insert(key, copy.deepcopy(parent[key]))
        elif op == 3:
            v = parent[key]
            if isinstance(v, (int, float)) and not isinstance(v, bool):
                try:
                    parent[key] = rng.choice([v * 1e6, v * 1e300, -v, v + 1e-9, int(v) * 10**30, v / 1e300])
                except (OverflowError, ValueError):  # an int past float range, or inf / nan
                    parent[key] = -v if isinstance(v, int) else 10**400
            else:
                parent[key] = copy.deepcopy(rng.choice(HOSTILE_VALUES))
        elif op == 4:
            parent[key] = deep(rng.choice([3, 50, 3000]))
            return obj  # a later round would recurse through the nesting
        else:
            v = parent[key]
            if isinstance(v, list) and v:
                parent[key] = v * rng.choice([2, 50])
            elif isinstance(v, str):
                parent[key] = v * rng.choice([0, 2, 1000])
            else:
                parent[key] = copy.deepcopy(rng.choice(HOSTILE_VALUES))
    return obj


def dump_json(obj: Any) -> str:
    """JSON text of a mutated object, NaN/Infinity and lone surrogates included (as a hostile
    editor could write them); deep nesting is written without recursion limits."""
    try:
        return json.dumps(obj, allow_nan=True)
    except (RecursionError, ValueError):
        return "[" * 100_000 + "]" * 100_000


def mutate_text_json(text: str, rng: random.Random) -> str:
    """Textual damage to JSON: cut it, drop a character, repeat a slice, inject a token."""
    if not text:
        return text
    i = rng.randrange(len(text))
    op = rng.randrange(4)
    if op == 0:
        return text[:i]
    if op == 1:
        return text[:i] + text[i + 1:]
    if op == 2:
        j = min(len(text), i + rng.randrange(1, 64))
        return text[:j] + text[i:j] * rng.choice([2, 10]) + text[j:]
    token = rng.choice(["1e999", "-1e999", "NaN", "Infinity", "9" * 5000, '"\\ud800"', "[" * 5000, "{", "}",
                        '"', ",", "null", "\u00b2", "\ufeff"])
    return text[:i] + token + text[i:]


def mutate_csv(text: str, rng: random.Random, rounds: int = 1) -> str:
    """A CSV with cells or rows damaged: hostile cell values, a stray quote, a dropped or
    repeated cell, a cut row, a header cell renamed."""
    lines = text.splitlines()
    for _ in range(rounds):
        if not lines:
            break
        li = rng.randrange(len(lines))
        cells = lines[li].split(",")
        ci = rng.randrange(len(cells))
        op = rng.randrange(6)
        if op == 0:
            cells[ci] = rng.choice(["", " ", "nan", "inf", "-inf", "1e400", "-2", "9.0", "1e5", "1e7", "1e18",
                                    "abc", '"', '"x', "\x00", "0x10", "1_0", "\u00b2", "-0", "9" * 400])
        elif op == 1:
            cells[ci] = cells[ci] + '"'
        elif op == 2:
            del cells[ci]
        elif op == 3:
            cells.insert(ci, cells[ci])
        elif op == 4:
            lines[li] = lines[li][: rng.randrange(len(lines[li]) + 1)]
            continue
        else:
            cells[ci] = rng.choice(["AU01", "AU26_r", " AU99_r", "timestamp", "success", "face_id", "AU1", "x"])
        lines[li] = ",".join(cells)
    return "\n".join(lines) + ("\n" if rng.random() < 0.9 else "")


_INTERESTING = (0, 1, 0x7F, 0x80, 0xFF, 0x7FFF, 0xFFFF, 0x7FFFFFFF, 0xFFFFFFFF)


def mutate_bytes(data: bytes, rng: random.Random, rounds: int = 1, protect: int = 0) -> bytes:
    """Binary damage: flip bits, overwrite with boundary integers (a length or count field
    becoming huge), cut the file, insert or repeat a slice. ``protect``: leave the first bytes
    (a magic number) alone in most rounds so the damage reaches past the first check."""
    b = bytearray(data)
    for _ in range(rounds):
        if not b:
            b += bytes(rng.randrange(256) for _ in range(rng.randrange(1, 16)))
            continue
        lo = protect if rng.random() < 0.8 and protect < len(b) else 0
        i = rng.randrange(lo, len(b))
        op = rng.randrange(5)
        if op == 0:
            b[i] ^= 1 << rng.randrange(8)
        elif op == 1:
            fmt = rng.choice(["<I", "<i", ">I", "<H", "<Q", "<f", "<d"])
            v = rng.choice(_INTERESTING) if "f" not in fmt and "d" not in fmt else rng.choice(
                [float("nan"), float("inf"), 1e38, -1e38, 0.0])
            if fmt in ("<i",):
                v = v - 2**32 if v >= 2**31 else v
            if fmt == "<H":
                v &= 0xFFFF
            packed = struct.pack(fmt, v)
            b[i:i + len(packed)] = packed
        elif op == 2:
            del b[rng.randrange(lo, len(b) + 1):]
        elif op == 3:
            j = min(len(b), i + rng.randrange(1, 256))
            b[i:i] = b[i:j] * rng.choice([1, 4])
        else:
            j = min(len(b), i + rng.randrange(1, 64))
            b[i:j] = bytes(rng.randrange(256) for _ in range(j - i))
    return bytes(b)


def record(loader: str, data: bytes, suffix: str) -> Path:
    """Keep an input that broke ``loader`` in its corpus (tests/data/fuzz/<loader>/), named by
    its hash; the corpus test replays every file there. Commit the file with the fix."""
    folder = CORPUS / loader
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"found-{hashlib.sha1(data).hexdigest()[:12]}{suffix}"
    path.write_bytes(data)
    return path


def check(loader: str, load: Callable[[Path], Any], path: Path, error_type: type[BaseException],
          then: Callable[[Any], None] | None = None) -> Any:
    """Run ``load(path)``: it must return (then ``then(result)`` runs, e.g. save and reload equal) or
    raise ``error_type`` whose message names the file. Anything else fails the test and keeps
    the input in the corpus."""
    try:
        result = load(path)
    except error_type as exc:
        if path.name not in str(exc):
            saved = record(loader, path.read_bytes(), path.suffix)
            raise AssertionError(f"{loader}: {type(exc).__name__} does not name the file: {exc} "
                                 f"(kept as {saved.name})") from exc
        return None
    except BaseException as exc:  # noqa: BLE001 - the point is to catch whatever escapes
        if isinstance(exc, KeyboardInterrupt):
            raise
        saved = record(loader, path.read_bytes(), path.suffix)
        raise AssertionError(f"{loader}: {type(exc).__name__} escaped instead of {error_type.__name__}: "
                             f"{exc!s:.300} (kept as {saved.name})") from exc
    if then is not None:
        then(result)
    return result


def corpus_files(loader: str) -> list[Path]:
    folder = CORPUS / loader
    return sorted(p for p in folder.iterdir() if p.is_file()) if folder.is_dir() else []
