"""Synthetic training data with exact truth: a directory a person can inspect.

Layout (schema "EmoZoneDataset.1"):
    dataset.json                 fps, image size, cameras, head fingerprint, sequences and their split
    seq_000/audio.wav            the speech (16 kHz mono, espeak-ng)
    seq_000/phonemes.csv         phoneme, start_s, end_s (espeak-ng's own event positions)
    seq_000/aus.csv              frame, timestamp, AU01_r .. AU45_r (OpenFace 2.x column names)
    seq_000/speech.csv           frame, jaw_open, lip_round, lip_close, lip_stretch (truth from phonemes)
    seq_000/mel.npy              log-mel [M, 80] at 100 Hz (core.audio.features.log_mel)
    seq_000/frames/cam0/00000.png  rendered frames (after `render_frames`)
    seq_000/frames_cam0.npy      the same frames as uint8 [T, H, W, 3], for fast loading in training

Two stages, because speech synthesis (espeak-ng) and rendering need different machines:
`make_sources` writes everything but the frames (CPU, needs espeak-ng), `render_frames` renders the
truth frames with any backend (gsplat on a GPU, reference or gl on a CPU). Loading needs only numpy
and torch.
"""
from __future__ import annotations

import concurrent.futures
import dataclasses
import json
import os
from pathlib import Path

import numpy as np

from core.aus import AU_NAMES, NUM_AUS, NUM_SPEECH, SPEECH_NAMES

SCHEMA = "EmoZoneDataset.1"
#: Silence around and between the sentences of a sequence (make_sources' ``pauses``).
PAUSES = ("short", "long")
#: espeak-ng voices the data sets speak in (male and female variants of several English accents;
#: each one is reachable through the C library, so phoneme timing stays exact).
VOICES = ("en-us", "en-us+f3", "en", "en+f2", "en-gb-scotland", "en-gb-x-rp+f3", "en-029", "en-us+m3")

SENTENCES = (
    "The quick brown fox jumps over the lazy dog.",
    "My mother made a marvellous plum pie.",
    "Would you like to go to the zoo tomorrow?",
    "Bob bought a big blue boat by the bay.",
    "She sells sea shells by the sea shore.",
    "How about a cup of hot cocoa on a cold morning?",
    "People put paper maps back in the box.",
    "I am really happy to see you again.",
    "Open the window and let the warm air in.",
    "We will meet at the museum at five.",
    "Our new home has a beautiful blue roof.",
    "Please pass me the pepper and the bread.",
    "The boy threw the ball over the fence.",
    "Whoever moves first loses the game.",
    "Mum and Pam made buttered muffins.",
    "Look out for the owl in the old oak tree.",
    "Every evening we walk along the river.",
    "Maybe the meeting moved to Monday.",
    "A bright moon rose above the mountains.",
    "Few views are as moving as the ocean at noon.",
    "Tom wants to know why you were so quiet.",
    "Peter picked a peck of pickled peppers.",
    "Do you remember the music from the movie?",
    "Bring your umbrella, it might rain.",
)


class DatasetError(ValueError):
    """A data set directory is missing a file or holds malformed data."""


@dataclasses.dataclass
class CameraSpec:
    yaw: float
    pitch: float

    def camera(self, head, width: int, height: int):
        return face_orbit(head, self.yaw, self.pitch).camera(width, height)


DEFAULT_CAMERAS = (CameraSpec(0.0, 0.0), CameraSpec(30.0, 5.0), CameraSpec(-30.0, -5.0))


def face_orbit(head, yaw: float = 0.0, pitch: float = 0.0):
    """An orbit camera framing the face (brows to chin, cheek to cheek) rather than the whole head."""
    from core.camera import OrbitCamera

    idx = _landmark_indices(head)
    pts = head.cloud.means[idx].detach().cpu().numpy().astype(np.float64)
    lo, hi = pts.min(0), pts.max(0)
    orbit = OrbitCamera.framing(lo, hi, yaw=yaw, pitch=pitch, fov_y=20.0)
    orbit.distance *= 1.05
    return orbit


def _landmark_indices(head):
    import torch

    return torch.cat([v.reshape(-1) for v in head.landmarks.values()])


@dataclasses.dataclass
class Sequence:
    name: str
    split: str  # "train" or "val"
    au: np.ndarray  # [T, 17] 0..5
    speech: np.ndarray  # [T, 4] 0..1
    mel: np.ndarray  # [M, 80]
    path: Path

    @property
    def num_frames(self) -> int:
        return int(self.au.shape[0])

    def frames(self, camera_index: int) -> np.ndarray:
        """uint8 [T, H, W, 3] truth frames of one camera (after render_frames)."""
        p = self.path / f"frames_cam{camera_index}.npy"
        if not p.exists():
            raise DatasetError(f"{p}: frames not rendered yet (run the data set's render step)")
        frames = _load_npy(p, mmap_mode="r")
        if frames.ndim != 4 or frames.shape[-1] != 3 or frames.dtype != np.uint8:
            raise DatasetError(f"{p}: expected uint8 frames [T, H, W, 3], got {frames.dtype} {list(frames.shape)}")
        return frames


@dataclasses.dataclass
class Dataset:
    root: Path
    fps: float
    width: int
    height: int
    cameras: list[CameraSpec]
    head_fingerprint: str
    sequences: list[Sequence]

    def split(self, name: str) -> list[Sequence]:
        return [s for s in self.sequences if s.split == name]


# ---------------------------------------------------------------------------- writing
def _write_csv(path: Path, header: list[str], rows: np.ndarray, fmt: str) -> None:
    with open(path, "w") as f:
        f.write(",".join(header) + "\n")
        np.savetxt(f, rows, delimiter=",", fmt=fmt)


def make_sources(
    root: str | os.PathLike, head, num_train: int = 16, num_val: int = 4, fps: float = 25.0,
    size: tuple[int, int] = (256, 256), cameras=DEFAULT_CAMERAS, seed: int = 0, sentences_per_sequence: int = 2,
    max_seconds: float | None = None, au_style: str = "varied", voices: tuple[str, ...] = VOICES,
    pauses: str = "short",
) -> Path:
    """Write speech, curves and features for num_train + num_val sequences (no frames yet).
    max_seconds cuts every sequence short (toy data sets for tests). au_style: see
    core.training.sequences.AU_STYLES. Each sequence speaks in one of ``voices`` (espeak-ng voice
    names) at a random rate of 140-190 words per minute; ("en-us",) at 160 is the first data sets'.
    pauses: "short" (0.3 s of silence first, 0.3-0.7 s between sentences: the first data sets) or
    "long" (0.3-1.5 s first and last, 0.3-2.0 s between), so that the model sees whole stretches of
    silence, with the AUs moving, as often as speech."""
    import soundfile as sf
    import soxr

    from core.audio.espeak import ESPEAK_RATE, speak_sentences
    from core.audio.features import log_mel
    from core.training.sequences import random_au_sequence, speech_truth

    if pauses not in PAUSES:
        raise DatasetError(f"pauses must be one of {', '.join(PAUSES)}, got {pauses!r}")
    long_pauses = pauses == "long"
    root = Path(root)
    root.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(seed)
    order = rng.permutation(len(SENTENCES))
    seqs = []
    for i in range(num_train + num_val):
        split = "train" if i < num_train else "val"
        picks = [SENTENCES[order[(i * sentences_per_sequence + k) % len(SENTENCES)]] for k in range(sentences_per_sequence)]
        gap = float(rng.uniform(0.3, 2.0 if long_pauses else 0.7))
        lead_s = float(rng.uniform(0.3, 1.5)) if long_pauses else 0.3
        tail_s = float(rng.uniform(0.3, 1.5)) if long_pauses else 0.0
        if tuple(voices) == ("en-us",):
            voice, wpm = "en-us", 160
        else:
            voice, wpm = voices[int(rng.integers(len(voices)))], int(rng.integers(140, 191))
        audio, phonemes = speak_sentences(picks, gap_s=gap, voice=voice, words_per_minute=wpm)
        audio16 = soxr.resample(audio, ESPEAK_RATE, 16000).astype(np.float32)
        lead = np.zeros(int(lead_s * 16000), np.float32)  # silence first: the mouth starts closed
        audio16 = np.concatenate([lead, audio16, np.zeros(int(tail_s * 16000), np.float32)])
        lead_s = len(lead) / 16000
        phonemes = [(p, a + lead_s, b + lead_s) for p, a, b in phonemes]
        if max_seconds is not None:
            audio16 = audio16[: int(max_seconds * 16000)]
            phonemes = [(p, a, min(b, max_seconds)) for p, a, b in phonemes if a < max_seconds]
        num_frames = int(len(audio16) / 16000 * fps)
        au = random_au_sequence(num_frames, fps, rng, style=au_style)
        speech = speech_truth(phonemes, fps, num_frames)
        mel = log_mel(audio16).numpy().astype(np.float32)
        d = root / f"seq_{i:03d}"
        d.mkdir(exist_ok=True)
        sf.write(d / "audio.wav", audio16, 16000, subtype="PCM_16")
        with open(d / "phonemes.csv", "w") as f:
            f.write("phoneme,start_s,end_s\n")
            for p, a, b in phonemes:
                f.write(f"{p.replace(',', ' ')},{a:.5f},{b:.5f}\n")
        frames = np.arange(num_frames)
        _write_csv(d / "aus.csv", ["frame", "timestamp"] + [f"{a}_r" for a in AU_NAMES],
                   np.column_stack([frames, frames / fps, au]), "%.5f")
        _write_csv(d / "speech.csv", ["frame"] + list(SPEECH_NAMES), np.column_stack([frames, speech]), "%.5f")
        np.save(d / "mel.npy", mel)
        seqs.append({"name": d.name, "split": split, "num_frames": num_frames, "text": " ".join(picks),
                     "voice": voice, "words_per_minute": wpm})
    meta = {
        "schema": SCHEMA, "fps": fps, "width": size[0], "height": size[1],
        "cameras": [dataclasses.asdict(c) for c in cameras], "head_fingerprint": head.fingerprint(),
        "sequences": seqs, "seed": seed, "au_style": au_style, "pauses": pauses,
    }
    (root / "dataset.json").write_text(json.dumps(meta, indent=2))
    return root


def render_frames(root: str | os.PathLike, head, backend: str = "auto", device: str | None = None,
                  chunk: int = 32, write_png_every: int = 1, progress=None, split: str | None = None) -> None:
    """Render every sequence's truth frames from the rig (exact AU and speech truth) for each camera.

    split: only that split's sequences ("val": enough for the evaluation's PSNR/SSIM)."""
    import torch

    from core import rig
    from core.image import encode_png
    from core.render import get_renderer

    ds = load_dataset(root, require_frames=False)
    if ds.head_fingerprint != head.fingerprint():
        raise DatasetError(f"{root}: made for head {ds.head_fingerprint[:12]}, not {head.fingerprint()[:12]}")
    device = device or ("cuda" if torch.cuda.is_available() else "cpu")
    head_d = head.to(device)
    renderer = get_renderer(backend)
    pool = concurrent.futures.ThreadPoolExecutor(max_workers=8)  # zlib releases the GIL
    pending = []
    seqs = [s for s in ds.sequences if split is None or s.split == split]
    total = sum(s.num_frames for s in seqs) * len(ds.cameras)
    done = 0
    for seq in seqs:
        cams = [c.camera(head, ds.width, ds.height) for c in ds.cameras]
        out = [np.zeros((seq.num_frames, ds.height, ds.width, 3), np.uint8) for _ in cams]
        for k in range(len(cams)):
            (seq.path / "frames" / f"cam{k}").mkdir(parents=True, exist_ok=True)
        for a in range(0, seq.num_frames, chunk):
            b = min(a + chunk, seq.num_frames)
            with torch.no_grad():
                frames = rig.deform(head_d, torch.as_tensor(seq.au[a:b], dtype=torch.float32, device=device),
                                    torch.as_tensor(seq.speech[a:b], dtype=torch.float32, device=device))
                for t in range(b - a):
                    cloud = frames.cloud(t)
                    for k, cam in enumerate(cams):
                        img = renderer.render(cloud, cam).to_numpy_rgb8()
                        out[k][a + t] = img
                        if (a + t) % write_png_every == 0:
                            path = seq.path / "frames" / f"cam{k}" / f"{a + t:05d}.png"
                            pending.append(pool.submit(lambda p=path, im=img: p.write_bytes(encode_png(im, 1))))
                    done += len(cams)
            if progress:
                progress(done, total)
        for k in range(len(cams)):
            np.save(seq.path / f"frames_cam{k}.npy", out[k])
    for f in pending:
        f.result()
    pool.shutdown()
    renderer.close()


# ---------------------------------------------------------------------------- reading
def _load_npy(path: Path, mmap_mode: str | None = None) -> np.ndarray:
    """A .npy array or DatasetError naming the file (a damaged header, pickled objects, a size
    the file cannot hold)."""
    try:
        return np.load(path, mmap_mode=mmap_mode, allow_pickle=False)
    except (OSError, ValueError, EOFError, MemoryError) as exc:
        raise DatasetError(f"{path}: not a readable .npy array ({exc})") from None


def _read_table(path: Path, expected: list[str]) -> np.ndarray:
    if not path.exists():
        raise DatasetError(f"{path}: missing")
    try:
        with open(path, encoding="utf-8") as f:
            header = [h.strip() for h in f.readline(1 << 16).strip().split(",")]
    except (OSError, UnicodeDecodeError) as exc:
        raise DatasetError(f"{path}: cannot be read ({exc})") from None
    missing = [c for c in expected if c not in header]
    if missing:
        raise DatasetError(f"{path}: missing columns {', '.join(missing)}")
    try:
        data = np.loadtxt(path, delimiter=",", skiprows=1, ndmin=2, encoding="utf-8")
    except (ValueError, UnicodeDecodeError) as exc:
        raise DatasetError(f"{path}: malformed numbers ({exc})") from None
    if not np.all(np.isfinite(data)):
        bad = int((~np.isfinite(data)).any(1).argmax()) + 2
        raise DatasetError(f"{path}: non-finite value on line {bad}")
    return data[:, [header.index(c) for c in expected]]


def load_dataset(root: str | os.PathLike, require_frames: bool | str = True) -> Dataset:
    """The data set in ``root``; DatasetError naming the file for anything wrong with it.

    require_frames: every sequence's truth frames must be there (True), none (False), or only those
    of one split (its name, e.g. "val")."""
    root = Path(root)
    meta_path = root / "dataset.json"
    try:
        meta = json.loads(meta_path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise DatasetError(f"{meta_path}: missing (not a data set directory)") from None
    except (json.JSONDecodeError, UnicodeDecodeError, RecursionError) as exc:
        raise DatasetError(f"{meta_path}: not valid JSON ({type(exc).__name__}: {exc!s:.200})") from None
    except (OSError, ValueError) as exc:
        raise DatasetError(f"{meta_path}: cannot be read ({exc!s:.200})") from None
    try:
        return _dataset_from_meta(root, meta, require_frames)
    except (KeyError, TypeError, AttributeError, ValueError, OverflowError, OSError) as exc:
        if isinstance(exc, DatasetError):
            raise
        raise DatasetError(f"{meta_path}: malformed data set description ({type(exc).__name__}: {exc!s:.200})") from None


def _dataset_from_meta(root: Path, meta: dict, require_frames: bool | str) -> Dataset:
    meta_path = root / "dataset.json"
    if not isinstance(meta, dict) or meta.get("schema") != SCHEMA:
        got = meta.get("schema") if isinstance(meta, dict) else type(meta).__name__
        raise DatasetError(f"{meta_path}: schema {got!r}, expected {SCHEMA!r}")
    seqs = []
    for s in meta["sequences"]:
        name = s["name"]
        if not isinstance(name, str) or not name or name in (".", "..") or len(name) > 200 \
                or any(c in name for c in "/\\\0"):
            raise DatasetError(f"{meta_path}: sequence name {str(name)[:60]!r} is not a folder name")
        d = root / name
        au = _read_table(d / "aus.csv", [f"{a}_r" for a in AU_NAMES])
        speech = _read_table(d / "speech.csv", list(SPEECH_NAMES))
        if au.shape != (s["num_frames"], NUM_AUS) or speech.shape != (s["num_frames"], NUM_SPEECH):
            raise DatasetError(f"{d}: expected {s['num_frames']} frames in aus.csv and speech.csv")
        mel = _load_npy(d / "mel.npy")
        if mel.ndim != 2 or mel.shape[0] == 0 or not np.issubdtype(mel.dtype, np.floating) \
                or not np.isfinite(mel).all():
            raise DatasetError(f"{d / 'mel.npy'}: expected finite float log-mel features [M, 80], "
                               f"got {mel.dtype} {list(mel.shape)}")
        seq = Sequence(s["name"], s["split"], au.astype(np.float32), speech.astype(np.float32), mel, d)
        if require_frames is True or (require_frames and require_frames == seq.split):
            for k in range(len(meta["cameras"])):
                seq.frames(k)
        seqs.append(seq)
    return Dataset(root, float(meta["fps"]), int(meta["width"]), int(meta["height"]),
                   [CameraSpec(**c) for c in meta["cameras"]], meta["head_fingerprint"], seqs)
