"""Deformation-model checkpoints: one safetensors file holding the state dict, with the JSON config,
the fingerprint of the head it was trained for and free-form extras in the header metadata.

Metadata keys: "schema" ("EmoZoneCheckpoint.1"), "config" (ModelConfig JSON), "head_fingerprint",
"extra" (JSON object).

Loading trusts nothing in the file: the safetensors header (its length, every tensor's dtype, shape
and byte range) is read and checked against the file's size and core.limits first; the config is
then built into a model on torch's "meta" device (no memory) and its parameter names, shapes and
dtypes must be the file's before a real model is allocated and the weights are read; weights must be
finite. Every failure is a CheckpointError naming the file and the field or tensor.
"""
from __future__ import annotations

from core.fileio import atomic_write_bytes
from core.limits import MAX_CHECKPOINT_BYTES, MAX_CHECKPOINT_HEADER_BYTES, MAX_JSON_DEPTH

import dataclasses
import json
import math
import os
import stat
import struct
import warnings
from pathlib import Path
from typing import Any

SCHEMA = "EmoZoneCheckpoint.1"
#: The trained checkpoint shipped for the default head (assets/models in the repository).
DEFAULT_CHECKPOINT = Path(__file__).resolve().parents[2] / "assets" / "models" / "emozone_default.safetensors"

#: safetensors dtype names -> bytes per element.
_DTYPE_SIZES = {"BOOL": 1, "U8": 1, "I8": 1, "F8_E4M3": 1, "F8_E5M2": 1, "I16": 2, "U16": 2, "F16": 2,
                "BF16": 2, "I32": 4, "U32": 4, "F32": 4, "I64": 8, "U64": 8, "F64": 8}
#: The audio encoder starts its smoothing kernel as binomial weights; from 133 taps on they exceed the
#: float32 range (the kernel starts as inf/NaN and cannot train), so no checkpoint has a longer one,
#: and building one costs time quadratic in its length.
_MAX_SMOOTH_TAPS = 132


class CheckpointError(ValueError):
    """A checkpoint file that cannot be read, is malformed, or belongs to another head."""


def save_checkpoint(path: str | os.PathLike, model, config, head_fingerprint: str,
                    extra: dict[str, Any] | None = None) -> Path:
    """Write ``model``'s state dict atomically (temp file, fsync, rename) to ``path``.

    config: the ModelConfig the model was built with; extra: a JSON-able dict (training step, losses...).
    """
    from safetensors.torch import save

    path = Path(path)
    if not isinstance(head_fingerprint, str) or not head_fingerprint:
        raise CheckpointError(f"{path}: head_fingerprint must be a non-empty string")
    try:
        extra_json = json.dumps(extra or {}, sort_keys=True)
    except TypeError as exc:
        raise CheckpointError(f"{path}: extra metadata is not JSON-able: {exc}") from None
    tensors = {k: v.detach().cpu().contiguous().clone() for k, v in model.state_dict().items()}
    meta = {"schema": SCHEMA, "config": json.dumps(config.to_dict(), sort_keys=True),
            "head_fingerprint": head_fingerprint, "extra": extra_json}
    data = save(tensors, metadata=meta)
    atomic_write_bytes(path, data)
    return path


# ---------------------------------------------------------------------------------------- header
@dataclasses.dataclass(frozen=True)
class TensorEntry:
    """One tensor as the safetensors header declares it; ``begin``/``end`` are offsets into the data."""

    name: str
    dtype: str
    shape: tuple[int, ...]
    begin: int
    end: int


def _is_int(v: Any) -> bool:
    return isinstance(v, int) and not isinstance(v, bool)


def _is_number(v: Any) -> bool:
    return isinstance(v, (int, float)) and not isinstance(v, bool)


def _json_depth_problem(text: str) -> str | None:
    """Why ``text`` nests deeper than core.limits.MAX_JSON_DEPTH, or None (a cheap scan that
    skips strings, so that json.loads never recurses past the limit)."""
    depth = 0
    in_string = escaped = False
    for ch in text:
        if in_string:
            if escaped:
                escaped = False
            elif ch == "\\":
                escaped = True
            elif ch == '"':
                in_string = False
        elif ch == '"':
            in_string = True
        elif ch in "[{":
            depth += 1
            if depth > MAX_JSON_DEPTH:
                return f"nests deeper than {MAX_JSON_DEPTH} levels"
        elif ch in "]}":
            depth -= 1
    return None


def _loads(path: Path, what: str, text: str) -> Any:
    """JSON ``text`` (the header, or a metadata value) -> object; any problem is a CheckpointError."""
    problem = _json_depth_problem(text)
    if problem is None:
        try:
            return json.loads(text)
        except (ValueError, RecursionError) as exc:  # JSONDecodeError, ints of over 4,300 digits
            problem = f"is not valid JSON ({' '.join(str(exc).split())[:200]})"
    raise CheckpointError(f"{path}: {what} {problem}")


def read_header(path: str | os.PathLike) -> tuple[dict[str, str], dict[str, TensorEntry]]:
    """The safetensors header of ``path`` -> (string metadata, {name: TensorEntry}), every size
    checked against the file's size and core.limits before anything is read for it."""
    path = Path(path)
    try:
        st = os.stat(path)
    except FileNotFoundError:
        raise CheckpointError(f"{path}: checkpoint file not found") from None
    except OSError as exc:
        raise CheckpointError(f"{path}: cannot read the checkpoint ({exc.strerror or exc})") from None
    if not stat.S_ISREG(st.st_mode):
        raise CheckpointError(f"{path}: not a regular file")
    size = st.st_size
    if size > MAX_CHECKPOINT_BYTES:
        raise CheckpointError(f"{path}: {size:,} bytes is larger than the {MAX_CHECKPOINT_BYTES:,} a "
                              "checkpoint may be")
    try:
        with open(path, "rb") as f:
            prefix = f.read(8)
            if len(prefix) < 8:
                raise CheckpointError(f"{path}: not a readable safetensors checkpoint ({size} bytes, shorter "
                                      "than the 8-byte header length)")
            (n,) = struct.unpack("<Q", prefix)
            if n > MAX_CHECKPOINT_HEADER_BYTES or n > size - 8:
                raise CheckpointError(f"{path}: not a readable safetensors checkpoint (header length {n:,} bytes, "
                                      f"but the file holds {size - 8:,} after it and a header is at most "
                                      f"{MAX_CHECKPOINT_HEADER_BYTES:,})")
            raw = f.read(n)
    except OSError as exc:
        raise CheckpointError(f"{path}: cannot read the checkpoint ({exc.strerror or exc})") from None
    if len(raw) != n:
        raise CheckpointError(f"{path}: truncated header ({len(raw)} of {n} bytes)")
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise CheckpointError(f"{path}: not a readable safetensors checkpoint: the header is not UTF-8 "
                              f"text (byte {exc.start})") from None
    obj = _loads(path, "not a readable safetensors checkpoint: the header", text)
    if not isinstance(obj, dict):
        raise CheckpointError(f"{path}: not a readable safetensors checkpoint: the header is a JSON "
                              f"{type(obj).__name__}, not an object")
    meta = obj.pop("__metadata__", None) or {}
    if not isinstance(meta, dict) or not all(isinstance(k, str) and isinstance(v, str) for k, v in meta.items()):
        raise CheckpointError(f"{path}: header field '__metadata__' must map strings to strings")
    data_len = size - 8 - n
    tensors: dict[str, TensorEntry] = {}
    for name, e in obj.items():
        where = f"{path}: tensor {name[:80]!r}"
        if not isinstance(e, dict):
            raise CheckpointError(f"{where}: header entry is a JSON {type(e).__name__}, not an object")
        dtype, shape, offsets = e.get("dtype"), e.get("shape"), e.get("data_offsets")
        if not isinstance(dtype, str) or dtype not in _DTYPE_SIZES:
            raise CheckpointError(f"{where}: unknown dtype {str(dtype)[:40]!r}")
        if not isinstance(shape, list) or len(shape) > 32 or not all(_is_int(d) and d >= 0 for d in shape):
            raise CheckpointError(f"{where}: shape {str(shape)[:80]} is not a list of sizes >= 0")
        if (not isinstance(offsets, list) or len(offsets) != 2 or not all(_is_int(o) for o in offsets)
                or not 0 <= offsets[0] <= offsets[1] <= data_len):
            raise CheckpointError(f"{where}: data_offsets {str(offsets)[:80]} are not a byte range within "
                                  f"the {data_len:,} bytes of tensor data")
        need = math.prod(shape) * _DTYPE_SIZES[dtype]
        if need != offsets[1] - offsets[0]:
            raise CheckpointError(f"{where}: shape {shape} of {dtype} needs {need:,} bytes, but its data "
                                  f"range holds {offsets[1] - offsets[0]:,}")
        tensors[name] = TensorEntry(name, dtype, tuple(shape), offsets[0], offsets[1])
    end = 0
    for t in sorted(tensors.values(), key=lambda t: (t.begin, t.end)):
        if t.begin != end:
            raise CheckpointError(f"{path}: tensor {t.name[:80]!r} starts at byte {t.begin:,} of the data, not "
                                  f"at {end:,} where the previous one ends (tensors must not overlap or "
                                  "leave gaps)")
        end = t.end
    if end != data_len:
        raise CheckpointError(f"{path}: the tensors hold {end:,} bytes but {data_len:,} follow the header")
    return meta, tensors


def _metadata(path: Path, meta: dict[str, str]) -> dict[str, Any]:
    if meta.get("schema") != SCHEMA:
        raise CheckpointError(f"{path}: schema {str(meta.get('schema'))[:80]!r} is not {SCHEMA!r}")
    for key in ("config", "head_fingerprint"):
        if key not in meta:
            raise CheckpointError(f"{path}: malformed checkpoint metadata (no {key!r})")
    config = _loads(path, "metadata 'config'", meta["config"])
    if not isinstance(config, dict):
        raise CheckpointError(f"{path}: metadata 'config' is a JSON {type(config).__name__}, not an object")
    extra = _loads(path, "metadata 'extra'", meta.get("extra", "{}"))
    if not isinstance(extra, dict):
        raise CheckpointError(f"{path}: metadata 'extra' is a JSON {type(extra).__name__}, not an object")
    return {"schema": meta["schema"], "config": config, "head_fingerprint": meta["head_fingerprint"],
            "extra": extra}


def read_metadata(path: str | os.PathLike) -> dict[str, Any]:
    """The checkpoint's metadata: {"schema", "config" (dict), "head_fingerprint", "extra" (dict)}."""
    path = Path(path)
    meta, _tensors = read_header(path)
    return _metadata(path, meta)


# ---------------------------------------------------------------------------------------- loading
def _torch_dtype_name(dtype) -> str:
    import torch

    names = {torch.bool: "BOOL", torch.uint8: "U8", torch.int8: "I8", torch.int16: "I16", torch.float16: "F16",
             torch.bfloat16: "BF16", torch.int32: "I32", torch.float32: "F32", torch.int64: "I64",
             torch.float64: "F64"}
    return names.get(dtype, str(dtype))


def _shell(path: Path, config, tensors: dict[str, TensorEntry]) -> dict[str, tuple[str, tuple[int, ...]]]:
    """{parameter name: (dtype, shape)} of the model ``config`` describes, built on the meta
    device (no memory); its Python loops are first bounded by what the file stores."""
    import torch

    from core.model.deform import EmoZoneModel

    loops = {"mlp_layers": getattr(config, "mlp_layers", 0)}
    for field in dataclasses.fields(config):
        value = getattr(config, field.name)
        if isinstance(value, (tuple, list)):
            loops[field.name] = len(value)
    for name, count in loops.items():
        # Each layer or list item adds parameters, so none can exceed the number of tensors stored.
        if _is_number(count) and count > max(len(tensors), 1):
            raise CheckpointError(f"{path}: config {name} = {count} asks for more layers than the "
                                  f"{len(tensors)} tensors the file stores")
    smooth = getattr(config, "audio_smooth", 1)
    if _is_number(smooth) and smooth > _MAX_SMOOTH_TAPS:
        raise CheckpointError(f"{path}: config audio_smooth = {smooth} is longer than the "
                              f"{_MAX_SMOOTH_TAPS} taps a binomial kernel can start from in float32")
    try:
        with torch.device("meta"), warnings.catch_warnings():
            warnings.simplefilter("ignore")  # e.g. "Initializing zero-element tensors is a no-op"
            shell = EmoZoneModel(config)
        return {k: (_torch_dtype_name(v.dtype), tuple(v.shape)) for k, v in shell.state_dict().items()}
    except Exception as exc:  # noqa: BLE001 - the config's values reach torch's constructors
        raise CheckpointError(f"{path}: the model config cannot be built "
                              f"({type(exc).__name__}: {' '.join(str(exc).split())[:200]})") from None


def _match(path: Path, expected: dict[str, tuple[str, tuple[int, ...]]], tensors: dict[str, TensorEntry]) -> None:
    missing = [k for k in expected if k not in tensors]
    unexpected = [k for k in tensors if k not in expected]
    if missing or unexpected:
        parts = []
        if missing:
            parts.append(f"missing {', '.join(missing[:5])}" + (" ..." if len(missing) > 5 else ""))
        if unexpected:
            parts.append(f"unexpected {', '.join(k[:80] for k in unexpected[:5])}"
                         + (" ..." if len(unexpected) > 5 else ""))
        raise CheckpointError(f"{path}: weights do not match the stored config ({'; '.join(parts)})")
    for name, (dtype, shape) in expected.items():
        t = tensors[name]
        if t.shape != shape or t.dtype != dtype:
            raise CheckpointError(f"{path}: weights do not match the stored config: tensor {name!r} is "
                                  f"{t.dtype} {list(t.shape)}, but the config makes it {dtype} {list(shape)}")


def load_checkpoint(path: str | os.PathLike, expected_head_fingerprint: str | None, device="cpu"):
    """Load a checkpoint -> (model, config, meta). Raises CheckpointError if it was trained for a
    head other than ``expected_head_fingerprint`` (None skips that check), and for any problem of
    the file whatsoever."""
    import torch
    from safetensors.torch import load_file

    from core.model.deform import EmoZoneModel, ModelConfig

    path = Path(path)
    header_meta, tensors = read_header(path)
    meta = _metadata(path, header_meta)
    found = meta["head_fingerprint"]
    if expected_head_fingerprint is not None and found != expected_head_fingerprint:
        raise CheckpointError(f"{path}: checkpoint was trained for head {found[:80]!r}, "
                              f"not for the current head {expected_head_fingerprint!r}")
    try:
        config = ModelConfig.from_dict(meta["config"])
    except Exception as exc:  # noqa: BLE001 - ModelConfigError, and whatever odd values raise
        raise CheckpointError(f"{path}: metadata 'config': {' '.join(str(exc).split())[:300]}") from None
    _match(path, _shell(path, config, tensors), tensors)
    try:
        model = EmoZoneModel(config)
        state = load_file(str(path), device="cpu")
        model.load_state_dict(state, strict=True)
    except MemoryError:
        raise CheckpointError(f"{path}: not enough memory to load the model") from None
    except Exception as exc:  # noqa: BLE001 - safetensors and torch raise their own types
        raise CheckpointError(f"{path}: weights do not match the stored config "
                              f"({' '.join(str(exc).split())[:300]})") from None
    # Learnt weights are finite; buffers may hold -inf (log 0 of a zone prior) but never NaN.
    parameters = {name for name, _ in model.named_parameters()}
    for name, value in state.items():
        if not value.is_floating_point():
            continue
        bad = ~torch.isfinite(value) if name in parameters else torch.isnan(value)
        if bool(bad.any()):
            raise CheckpointError(f"{path}: tensor {name!r} has {int(bad.sum())} "
                                  f"{'non-finite (NaN or inf)' if name in parameters else 'NaN'} values")
    try:
        model.to(device)
    except Exception as exc:  # noqa: BLE001 - an unknown or absent device
        raise CheckpointError(f"{path}: cannot move the model to {device!s} ({exc})") from None
    model.eval()
    return model, config, meta


def load_for_head(path: str | os.PathLike, head, device=None):
    """The EmoZone model of checkpoint ``path`` for ``head`` (a core.head.Head), in eval mode on the
    head's device (or ``device``). Every failure is a CheckpointError naming the file."""
    path = Path(path)
    if device is None:
        device = head.cloud.device
    try:
        model, _config, _meta = load_checkpoint(path, head.fingerprint(), device=device)
    except CheckpointError:
        raise
    except (OSError, ValueError, KeyError, RuntimeError) as exc:
        raise CheckpointError(f"{path}: cannot read the checkpoint ({exc})") from None
    return model.eval()
