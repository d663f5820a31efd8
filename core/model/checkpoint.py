"""Deformation-model checkpoints: one safetensors file holding the state dict, with the JSON config,
the fingerprint of the head it was trained for and free-form extras in the header metadata.

Metadata keys: "schema" ("EmoZoneCheckpoint.1"), "config" (ModelConfig JSON), "head_fingerprint",
"extra" (JSON object).
"""
from __future__ import annotations

from core.fileio import atomic_write_bytes

import json
import os
from pathlib import Path
from typing import Any

SCHEMA = "EmoZoneCheckpoint.1"
#: The trained checkpoint shipped for the default head (assets/models in the repository).
DEFAULT_CHECKPOINT = Path(__file__).resolve().parents[2] / "assets" / "models" / "emozone_default.safetensors"


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


def read_metadata(path: str | os.PathLike) -> dict[str, Any]:
    """The checkpoint's metadata: {"schema", "config" (dict), "head_fingerprint", "extra" (dict)}."""
    from safetensors import safe_open

    path = Path(path)
    if not path.is_file():
        raise CheckpointError(f"{path}: checkpoint file not found")
    try:
        with safe_open(str(path), framework="pt") as fh:
            meta = fh.metadata() or {}
    except Exception as exc:  # safetensors raises its own error types for a corrupt header
        raise CheckpointError(f"{path}: not a readable safetensors checkpoint ({exc})") from None
    if meta.get("schema") != SCHEMA:
        raise CheckpointError(f"{path}: schema {meta.get('schema')!r} is not {SCHEMA!r}")
    try:
        return {"schema": meta["schema"], "config": json.loads(meta["config"]),
                "head_fingerprint": meta["head_fingerprint"], "extra": json.loads(meta.get("extra", "{}"))}
    except (KeyError, json.JSONDecodeError) as exc:
        raise CheckpointError(f"{path}: malformed checkpoint metadata ({exc})") from None


def load_checkpoint(path: str | os.PathLike, expected_head_fingerprint: str | None, device="cpu"):
    """Load a checkpoint -> (model, config, meta). Raises CheckpointError if it was trained for a
    head other than ``expected_head_fingerprint`` (None skips that check)."""
    from safetensors.torch import load_file

    from core.model.deform import EmoZoneModel, ModelConfig, ModelConfigError

    path = Path(path)
    meta = read_metadata(path)
    found = meta["head_fingerprint"]
    if expected_head_fingerprint is not None and found != expected_head_fingerprint:
        raise CheckpointError(f"{path}: checkpoint was trained for head {found!r}, "
                              f"not for the current head {expected_head_fingerprint!r}")
    try:
        config = ModelConfig.from_dict(meta["config"])
    except ModelConfigError as exc:
        raise CheckpointError(f"{path}: {exc}") from None
    model = EmoZoneModel(config)
    try:
        state = load_file(str(path), device=str(device))
        model.load_state_dict(state, strict=True)
    except Exception as exc:
        raise CheckpointError(f"{path}: weights do not match the stored config ({exc})") from None
    model.to(device)
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
