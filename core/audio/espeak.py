"""Speech with exact phoneme timing from espeak-ng, used as ground truth for the speech driver.

The C library (``libespeak-ng.so.1``) is driven through ctypes in synchronous mode with phoneme
events on: the synth callback receives the samples and the events with their exact sample
positions. If the library cannot be used, the ``espeak-ng`` command line is the fallback
(``-w`` for audio, ``-x`` for the phonemes, spread evenly over the voiced span: approximate).
"""
from __future__ import annotations

import ctypes
import ctypes.util
import logging
import os
import shutil
import subprocess
import tempfile
import threading
from pathlib import Path

import numpy as np

log = logging.getLogger(__name__)

ESPEAK_RATE = 22050

# speak_lib.h constants.
_AUDIO_OUTPUT_SYNCHRONOUS = 2
_INIT_PHONEME_EVENTS = 0x0001
_INIT_DONT_EXIT = 0x8000
_EVENT_LIST_TERMINATED = 0
_EVENT_END = 5
_EVENT_MSG_TERMINATED = 6
_EVENT_PHONEME = 7
_POS_CHARACTER = 1
_CHARS_UTF8 = 1
_PARAM_RATE = 1

#: Default sentences for the sample clip and the benchmark.
SAMPLE_SENTENCES: tuple[str, ...] = (
    "Hello, my name is Emma. I am happy to meet you.",
    "Please bring the blue boat back to the map.",
    "Who moved my book? It was by the window.",
)


class EspeakError(RuntimeError):
    """espeak-ng could not synthesise speech."""


class _EventId(ctypes.Union):
    _fields_ = [("number", ctypes.c_int), ("name", ctypes.c_char_p), ("string", ctypes.c_char * 8)]


class _Event(ctypes.Structure):
    _fields_ = [
        ("type", ctypes.c_int),
        ("unique_identifier", ctypes.c_uint),
        ("text_position", ctypes.c_int),
        ("length", ctypes.c_int),
        ("audio_position", ctypes.c_int),
        ("sample", ctypes.c_int),
        ("user_data", ctypes.c_void_p),
        ("id", _EventId),
    ]


_CALLBACK = ctypes.CFUNCTYPE(ctypes.c_int, ctypes.POINTER(ctypes.c_short), ctypes.c_int, ctypes.POINTER(_Event))

# The library keeps global state: one initialisation per process, one synthesis at a time.
_lock = threading.Lock()
_lib = None
_lib_rate = 0
_collect: dict | None = None


def _on_synth(wav, numsamples, events):
    # Called by espeak-ng from inside espeak_Synth, on the calling thread.
    if _collect is None:
        return 0
    if numsamples > 0 and wav:
        _collect["chunks"].append(np.ctypeslib.as_array(wav, shape=(numsamples,)).copy())
    i = 0
    while True:
        ev = events[i]
        if ev.type == _EVENT_LIST_TERMINATED:
            break
        if ev.type == _EVENT_PHONEME:
            raw = bytes(ev.id.string).split(b"\x00", 1)[0]
            _collect["events"].append((raw.decode("utf-8", "replace"), int(ev.sample)))
        i += 1
    return 0


_callback_ref = _CALLBACK(_on_synth)


def _load_lib():
    global _lib, _lib_rate
    if _lib is not None:
        return _lib
    name = ctypes.util.find_library("espeak-ng") or "libespeak-ng.so.1"
    lib = ctypes.CDLL(name)
    lib.espeak_Initialize.argtypes = [ctypes.c_int, ctypes.c_int, ctypes.c_char_p, ctypes.c_int]
    lib.espeak_Initialize.restype = ctypes.c_int
    lib.espeak_SetSynthCallback.argtypes = [_CALLBACK]
    lib.espeak_SetVoiceByName.argtypes = [ctypes.c_char_p]
    lib.espeak_SetVoiceByName.restype = ctypes.c_int
    lib.espeak_SetParameter.argtypes = [ctypes.c_int, ctypes.c_int, ctypes.c_int]
    lib.espeak_Synth.argtypes = [ctypes.c_void_p, ctypes.c_size_t, ctypes.c_uint, ctypes.c_int,
                                 ctypes.c_uint, ctypes.c_uint, ctypes.c_void_p, ctypes.c_void_p]
    lib.espeak_Synth.restype = ctypes.c_int
    lib.espeak_Synchronize.restype = ctypes.c_int
    rate = lib.espeak_Initialize(_AUDIO_OUTPUT_SYNCHRONOUS, 0, None, _INIT_PHONEME_EVENTS | _INIT_DONT_EXIT)
    if rate <= 0:
        raise EspeakError(f"espeak_Initialize failed ({rate})")
    lib.espeak_SetSynthCallback(_callback_ref)
    _lib, _lib_rate = lib, rate
    return lib


def _events_to_segments(events: list[tuple[str, int]], total: int, rate: int) -> list[tuple[str, float, float]]:
    """Phoneme start events (name, sample) -> (name, start_s, end_s); each ends where the next starts."""
    segs = []
    for k, (ph, start) in enumerate(events):
        end = events[k + 1][1] if k + 1 < len(events) else total
        if end > start:
            segs.append((ph, start / rate, end / rate))
    return segs


def _speak_ctypes(text: str, voice: str, words_per_minute: int) -> tuple[np.ndarray, list]:
    global _collect
    with _lock:
        lib = _load_lib()
        if lib.espeak_SetVoiceByName(voice.encode()) != 0:
            raise EspeakError(f"espeak-ng has no voice {voice!r}")
        lib.espeak_SetParameter(_PARAM_RATE, int(words_per_minute), 0)
        _collect = {"chunks": [], "events": []}
        try:
            data = text.encode("utf-8") + b"\x00"
            err = lib.espeak_Synth(data, len(data), 0, _POS_CHARACTER, 0, _CHARS_UTF8, None, None)
            if err != 0:
                raise EspeakError(f"espeak_Synth failed ({err})")
            lib.espeak_Synchronize()
            chunks, events = _collect["chunks"], _collect["events"]
        finally:
            _collect = None
    pcm = np.concatenate(chunks) if chunks else np.zeros(0, np.int16)
    samples = pcm.astype(np.float32) / 32768.0
    return samples, _events_to_segments(events, samples.shape[0], _lib_rate)


def _speak_cli(text: str, voice: str, words_per_minute: int) -> tuple[np.ndarray, list]:
    """Fallback: audio from ``-w``, phonemes from ``-x``; timing is spread evenly over the voiced span.

    Only for machines where the library cannot be loaded: the timing is approximate.
    """
    import soundfile as sf

    exe = shutil.which("espeak-ng")
    if exe is None:
        raise EspeakError("espeak-ng is not installed (neither libespeak-ng.so.1 nor the espeak-ng program)")
    with tempfile.TemporaryDirectory() as d:
        wav = os.path.join(d, "s.wav")
        proc = subprocess.run([exe, "-v", voice, "-s", str(words_per_minute), "-x", "--sep= ", "-w", wav, text],
                              capture_output=True, text=True, check=False)
        if proc.returncode != 0 or not os.path.exists(wav):
            raise EspeakError(f"espeak-ng failed: {proc.stderr.strip()}")
        samples, rate = sf.read(wav, dtype="float32")
    if samples.ndim > 1:
        samples = samples.mean(axis=1)
    phones = [p.lstrip("'," ) for p in proc.stdout.split()]
    phones = [p for p in phones if p]
    loud = np.flatnonzero(np.abs(samples) > 0.02)
    segs = []
    if phones and loud.size:
        t0, t1 = float(loud[0] / rate), float(loud[-1] / rate)
        step = (t1 - t0) / len(phones)
        segs = [(p, t0 + k * step, t0 + (k + 1) * step) for k, p in enumerate(phones)]
    return samples.astype(np.float32), segs


def speak(text: str, voice: str = "en-us", words_per_minute: int = 160) -> tuple[np.ndarray, list[tuple[str, float, float]]]:
    """Synthesise ``text``.

    Returns (samples float32 [N] in -1..1 at ``ESPEAK_RATE`` Hz, [(phoneme, start_s, end_s), ...])
    where phonemes are espeak-ng mnemonics ("_:" / "_" are pauses).
    """
    try:
        samples, segs = _speak_ctypes(text, voice, words_per_minute)
    except (OSError, AttributeError, EspeakError) as e:
        log.warning("espeak-ng library unusable (%s); using the espeak-ng program, timing is coarser", e)
        samples, segs = _speak_cli(text, voice, words_per_minute)
    if samples.size == 0:
        raise EspeakError(f"espeak-ng produced no audio for {text!r}")
    return samples, segs


def speak_sentences(sentences, gap_s: float = 0.4, **kw) -> tuple[np.ndarray, list[tuple[str, float, float]]]:
    """Several sentences joined with ``gap_s`` of silence; same outputs as :func:`speak`."""
    parts, segs, offset = [], [], 0.0
    gap = np.zeros(int(gap_s * ESPEAK_RATE), np.float32)
    for s in sentences:
        audio, ph = speak(s, **kw)
        parts.extend([audio, gap])
        segs.extend((p, a + offset, b + offset) for p, a, b in ph)
        segs.append(("_", offset + audio.shape[0] / ESPEAK_RATE, offset + (audio.shape[0] + gap.shape[0]) / ESPEAK_RATE))
        offset += (audio.shape[0] + gap.shape[0]) / ESPEAK_RATE
    return np.concatenate(parts), segs


def make_sample_speech(path: str | os.PathLike, sentences=SAMPLE_SENTENCES) -> Path:
    """Write the bundled sample take's speech (16-bit mono WAV at ESPEAK_RATE) atomically."""
    import soundfile as sf

    path = Path(path)
    audio, _ = speak_sentences(sentences)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(suffix=".wav", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as f:
            sf.write(f, audio, ESPEAK_RATE, format="WAV", subtype="PCM_16")
            f.flush()
            os.fsync(f.fileno())
        os.chmod(tmp, 0o644)  # mkstemp creates 0600; the asset is shared
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise
    return path
