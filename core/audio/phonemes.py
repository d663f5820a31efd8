"""Phonemes from speech with PocketSphinx: recognition, or alignment of a transcript.

PocketSphinx (the ``pocketsphinx`` wheel) ships an English acoustic model (US English, 16 kHz), the
CMU pronouncing dictionary and a phonetic language model; nothing is downloaded. Two ways in:

- no transcript: phone-loop recognition with the phonetic language model ("allphone" search), the
  audio cut at its quietest moments into pieces of at most ``MAX_PIECE_S`` (bounded memory and time,
  whatever the length);
- a transcript: forced alignment of its words (dictionary pronunciations) to the audio, then of their
  phones. If the transcript cannot be aligned (words the audio does not hold), recognition is used
  instead and the result says so.

Stretches the recogniser cannot read (noise, a steady tone: sound the phone loop covers with silence
and noise models; music of separate notes may be read as phones) are marked ``unreadable``: there the lip sync falls back to the energy driver
(core.audio.lipsync). Speech in another language is not caught: the phone loop reads it as English
phones (espeak-ng's German came out as 43 phones, no stretch unreadable).

Times are seconds from the start of the audio; PocketSphinx frames are 10 ms.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field

import numpy as np

from core.audio.decode import ANALYSIS_RATE

#: Longest piece decoded at once (s): pieces are cut at the quietest 10 ms within the last 5 s.
MAX_PIECE_S = 20.0
#: Pieces shorter than this (80 ms) are not decoded (PocketSphinx needs a few 25.6 ms frames).
MIN_PIECE_SAMPLES = 1280
#: Level of the dither added before recognition (relative to full scale, standard deviation). The
#: acoustic model was trained on recordings with a noise floor: on digital silence (synthetic or
#: edited audio) its log-energy and mean normalisation go astray and recognition falls apart
#: (espeak-ng speech: "he's really you go to a low" for "please bring the blue boat back").
DITHER = 0.0015
#: The audio is scaled so that its 99.9th percentile magnitude is this before the dither.
TARGET_PEAK = 0.5

#: PocketSphinx frame k is the 25.6 ms window starting at k * 10 ms: a boundary it finds at frame k
#: lies at the window's centre, 12.8 ms later (measured: phone starts were 18-20 ms early on espeak-ng
#: speech without this).
FRAME_CENTRE_S = 0.0128

#: ARPAbet phones of the model (stress removed), by class.
VOWELS = frozenset("AA AE AH AO AW AY EH ER EY IH IY OW OY UH UW".split())
CONSONANTS = frozenset("B CH D DH F G HH JH K L M N NG P R S SH T TH V W Y Z ZH".split())
SILENCE = "SIL"
PHONES = tuple(sorted(VOWELS | CONSONANTS)) + (SILENCE,)


class PhonemeError(RuntimeError):
    """The recogniser could not be used (no PocketSphinx, a broken model)."""


@dataclass(frozen=True)
class Phone:
    """One phone: ARPAbet name without stress ("AA", "M", ...) or "SIL"; start and end in seconds."""

    name: str
    start: float
    end: float
    word: str = ""

    @property
    def duration(self) -> float:
        return self.end - self.start


@dataclass
class PhonemeTrack:
    """The phones of a clip and how they were found.

    source: "transcript" (aligned words) or "recognised" (phone loop).
    unreadable: [(start, end)] stretches with speech the recogniser could not read (their phones are
    left out; the lip sync drives them from the signal's energy).
    notes: what the user should know (a transcript that did not match, unreadable stretches)."""

    phones: list[Phone]
    duration: float
    source: str
    unreadable: list[tuple[float, float]] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    words: list[tuple[str, float, float]] = field(default_factory=list)


def model_paths() -> dict:
    try:
        import pocketsphinx
    except ImportError as exc:  # pragma: no cover - a dependency of the project
        raise PhonemeError(f"PocketSphinx is not installed ({exc}); run `make setup`") from None
    base = pocketsphinx.get_model_path()
    return {"hmm": f"{base}/en-us/en-us", "dict": f"{base}/en-us/cmudict-en-us.dict",
            "phone_lm": f"{base}/en-us/en-us-phone.lm.bin"}


def _decoder(**kw):
    import pocketsphinx

    paths = model_paths()
    try:
        return pocketsphinx.Decoder(hmm=paths["hmm"], dict=paths["dict"], loglevel="FATAL", **kw)
    except (RuntimeError, ValueError) as exc:  # pragma: no cover - a broken install
        raise PhonemeError(f"PocketSphinx could not start ({exc})") from None


def _pcm(audio: np.ndarray, seed: int = 0) -> bytes:
    """16-bit PCM for PocketSphinx: levelled, dithered (see DITHER)."""
    a = np.asarray(audio, dtype=np.float32)
    a = np.nan_to_num(a, nan=0.0, posinf=0.0, neginf=0.0)
    peak = float(np.percentile(np.abs(a), 99.9)) if a.size else 0.0
    if peak > 1e-6:
        a = a * (TARGET_PEAK / peak)
    rng = np.random.default_rng(seed)
    a = a + DITHER * rng.standard_normal(a.shape[0]).astype(np.float32)
    return (np.clip(a, -1.0, 1.0) * 32767.0).astype("<i2").tobytes()


def _frame_db(audio: np.ndarray) -> np.ndarray:
    """Level of each 10 ms frame in dB (full scale)."""
    hop = ANALYSIS_RATE // 100
    n = len(audio) // hop
    if n == 0:
        return np.zeros(0)
    frames = np.asarray(audio[: n * hop], dtype=np.float64).reshape(n, hop)
    return 10.0 * np.log10(np.mean(frames**2, axis=1) + 1e-12)


def pieces(audio: np.ndarray, max_s: float = MAX_PIECE_S) -> list[tuple[int, int]]:
    """Sample ranges covering the audio, each at most ``max_s`` long, cut at the quietest 10 ms frame
    within the last quarter of the allowed length (a pause between words, where there is one)."""
    hop = ANALYSIS_RATE // 100
    total = len(audio)
    limit = int(max_s * ANALYSIS_RATE)
    if total <= limit:
        return [(0, total)]
    db = _frame_db(audio)
    out, a = [], 0
    while total - a > limit:
        lo, hi = (a + int(0.75 * limit)) // hop, (a + limit) // hop
        cut = (lo + int(np.argmin(db[lo:hi]))) * hop if hi > lo else a + limit
        out.append((a, cut))
        a = cut
    out.append((a, total))
    return out


def _segments(decoder, offset_s: float) -> list[Phone]:
    out = []
    if decoder.hyp() is None:  # nothing decoded (a piece too short for one frame)
        return out
    for s in decoder.seg() or ():
        name = re.sub(r"\(\d+\)$", "", s.word)
        if name in ("<s>", "</s>", "<sil>", "SIL") or name.startswith("+"):
            name = SILENCE
        out.append(Phone(name, offset_s + FRAME_CENTRE_S + s.start_frame / 100.0,
                         offset_s + FRAME_CENTRE_S + (s.end_frame + 1) / 100.0))
    return out


def _merge_silence(phones: list[Phone]) -> list[Phone]:
    out: list[Phone] = []
    for p in phones:
        if p.end <= p.start:
            continue
        if out and p.name == SILENCE and out[-1].name == SILENCE:
            out[-1] = Phone(SILENCE, out[-1].start, p.end)
        else:
            out.append(p)
    return out


def recognise(audio_16k: np.ndarray, progress=None) -> PhonemeTrack:
    """Phones by phone-loop recognition (no transcript). progress(done_s, total_s) if given."""
    audio = np.asarray(audio_16k, dtype=np.float32)
    duration = len(audio) / ANALYSIS_RATE
    paths = model_paths()
    dec = _decoder(allphone=paths["phone_lm"], lw=2.0, beam=1e-20, pbeam=1e-20)
    phones: list[Phone] = []
    unreadable: list[tuple[float, float]] = []
    for a, b in pieces(audio):
        chunk = audio[a:b]
        if b - a < MIN_PIECE_SAMPLES:  # shorter than a few analysis frames: nothing to recognise
            continue
        dec.start_utt()
        dec.process_raw(_pcm(chunk, seed=a), full_utt=True)
        dec.end_utt()
        got = _segments(dec, a / ANALYSIS_RATE)
        phones += got
        unreadable += _unreadable(chunk, got, a / ANALYSIS_RATE)
        if progress:
            progress(b / ANALYSIS_RATE, duration)
    phones = _within(_drop_unreadable(_merge_silence(phones), unreadable), duration)
    notes = []
    if unreadable:
        secs = sum(e - s for s, e in unreadable)
        notes.append(f"{secs:.1f} s of sound the recogniser could not read as English speech "
                     f"(driven by the audio's energy there)")
    return PhonemeTrack(phones, duration, "recognised", unreadable, notes)


#: A stretch is unreadable where the phone loop found speech sounds for less than this share of the
#: frames that are loud enough to be speech (music, noise: mostly silence/noise models, or nothing).
MIN_PHONE_SHARE = 0.3
#: Frames within this many dB of the piece's loud level (95th percentile) count as sound.
SOUND_DB = 30.0


def _unreadable(chunk: np.ndarray, phones: list[Phone], offset_s: float) -> list[tuple[float, float]]:
    """1 s windows holding at least 0.2 s of sound where the recogniser put (almost) no speech phones."""
    db = _frame_db(chunk)
    if db.size == 0:
        return []
    loud = db > max(np.percentile(db, 95) - SOUND_DB, -60.0)
    speech = np.zeros(db.size, bool)
    for p in phones:
        if p.name != SILENCE:
            speech[int(round((p.start - offset_s) * 100)): int(round((p.end - offset_s) * 100))] = True
    out = []
    win = 100  # 1 s windows
    for i in range(0, db.size, win):
        sl = slice(i, min(i + win, db.size))
        n_loud = int(loud[sl].sum())
        if n_loud >= 20 and (speech[sl] & loud[sl]).sum() < MIN_PHONE_SHARE * n_loud:
            s, e = offset_s + i / 100.0, offset_s + min(i + win, db.size) / 100.0
            if out and abs(out[-1][1] - s) < 1e-6:
                out[-1] = (out[-1][0], e)
            else:
                out.append((s, e))
    return out


def _within(phones: list[Phone], duration: float) -> list[Phone]:
    """Phones clipped to the clip (the frame-centre shift can carry the last one past its end)."""
    out = []
    for p in phones:
        a, b = min(max(p.start, 0.0), duration), min(max(p.end, 0.0), duration)
        if b > a:
            out.append(Phone(p.name, a, b, p.word))
    return out


def _drop_unreadable(phones: list[Phone], unreadable) -> list[Phone]:
    if not unreadable:
        return phones
    keep = []
    for p in phones:
        mid = 0.5 * (p.start + p.end)
        if any(s <= mid < e for s, e in unreadable):
            continue
        keep.append(p)
    return keep


def transcript_words(text: str) -> list[str]:
    """The transcript's words as the dictionary spells them: lower case, digits and apostrophes kept."""
    return [w for w in re.findall(r"[a-z0-9']+", text.lower().replace("\u2019", "'")) if w.strip("'")]


#: Forced alignment of a transcript is done over the whole clip at once: up to this long.
MAX_ALIGN_S = 600.0


def align(audio_16k: np.ndarray, transcript: str, progress=None) -> PhonemeTrack:
    """Phones of ``transcript`` aligned to the audio; recognition instead (with a note) where the
    transcript cannot be used: words the dictionary lacks are left out (noted), a transcript that does
    not match the audio, or a clip longer than MAX_ALIGN_S."""
    audio = np.asarray(audio_16k, dtype=np.float32)
    duration = len(audio) / ANALYSIS_RATE
    words = transcript_words(transcript)
    notes: list[str] = []
    if not words:
        track = recognise(audio, progress)
        track.notes.insert(0, "the transcript has no words; phones recognised from the audio")
        return track
    if len(audio) < MIN_PIECE_SAMPLES:
        track = recognise(audio, progress)
        track.notes.insert(0, f"the audio is too short to align ({duration * 1000:.0f} ms)")
        return track
    if duration > MAX_ALIGN_S:
        track = recognise(audio, progress)
        track.notes.insert(0, f"the clip is longer than {MAX_ALIGN_S / 60:.0f} min: the transcript was not "
                              "aligned, phones recognised from the audio")
        return track
    dec = _decoder(lm=None)
    missing = sorted({w for w in words if dec.lookup_word(w) is None})
    guessed = []
    for w in missing:
        pron = _espeak_pronunciation(w)
        if pron:
            try:
                dec.add_word(w, " ".join(pron), True)
                guessed.append(w)
            except (RuntimeError, ValueError):
                pass
    if guessed:
        notes.append(f"not in the pronouncing dictionary, pronounced as espeak-ng reads them: "
                     f"{', '.join(guessed[:10])}" + (" ..." if len(guessed) > 10 else ""))
    left = [w for w in missing if w not in guessed]
    if left:
        notes.append(f"not in the pronouncing dictionary, left out: {', '.join(left[:10])}"
                     + (" ..." if len(left) > 10 else ""))
    known = [w for w in words if dec.lookup_word(w) is not None]
    if not known:
        track = recognise(audio, progress)
        track.notes[:0] = notes + ["no transcript word could be aligned; phones recognised from the audio"]
        return track
    word_segs = _align_words(audio, known, dec)
    if word_segs is None:
        track = recognise(audio, progress)
        track.notes[:0] = notes + ["the transcript could not be aligned to this audio (does it match?); "
                                   "phones recognised from the audio"]
        return track
    word_segs, tail = _complete_tail(audio, word_segs, known)
    if tail:
        notes.append(f"the aligner stopped before the last word(s) ({', '.join(tail[:5])}): placed over the "
                     "sound after it, phones spread evenly")
    phones, approximated = _align_phones(audio, word_segs, dec)
    if approximated:
        notes.append(f"{approximated} word(s) placed by their word boundaries only (phones spread evenly)")
    if progress:
        progress(duration, duration)
    if not _matches(audio, word_segs):
        track = recognise(audio, progress)
        track.notes[:0] = notes + ["the transcript does not match the audio; phones recognised from the audio"]
        return track
    phones = _within(_merge_silence(phones), duration)
    words_out = [(re.sub(r"\(\d+\)$", "", w), max(a, 0.0), min(b, duration)) for w, a, b in word_segs
                 if w != "<sil>"]
    return PhonemeTrack(phones, duration, "transcript", [], notes, words_out)


def _espeak_pronunciation(word: str) -> list[str]:
    """ARPAbet phones of a word the dictionary lacks, as espeak-ng's English rules read it ([] when
    espeak-ng is missing or gives nothing usable)."""
    import shutil
    import subprocess

    from core.audio.lipsync_eval import espeak_to_arpabet

    exe = shutil.which("espeak-ng")
    if exe is None or not re.fullmatch(r"[a-z0-9']{1,40}", word):
        return []
    try:
        out = subprocess.run([exe, "-q", "-x", "--sep= ", "-v", "en-us", word], capture_output=True, text=True,
                             timeout=10).stdout
    except (OSError, subprocess.SubprocessError):
        return []
    phones = [espeak_to_arpabet(p) for p in out.split()]
    phones = [p for p in phones if p in VOWELS or p in CONSONANTS]
    return phones if any(p in VOWELS for p in phones) else []


def _align_words(audio: np.ndarray, words: list[str], dec0=None):
    """[(word, start, end)] of the words aligned to the whole clip ("<sil>" between them where there
    is a pause), or None. A second try with wide beams for hard audio (narrow band, 8 kHz)."""
    pcm = _pcm(audio)
    for beams in ({}, {"beam": 1e-80, "wbeam": 1e-60, "pbeam": 1e-80}):
        dec = dec0 if (dec0 is not None and not beams) else _decoder(lm=None, **beams)
        try:
            dec.set_align_text(" ".join(words))
            dec.start_utt()
            dec.process_raw(pcm, full_utt=True)
            dec.end_utt()
            if dec.hyp() is None:
                continue
            return [(s.word, FRAME_CENTRE_S + s.start_frame / 100.0, FRAME_CENTRE_S + (s.end_frame + 1) / 100.0)
                    for s in dec.seg()
                    if s.word not in ("<s>", "</s>")]
        except (RuntimeError, ValueError, IndexError):
            continue
    return None


def _align_phones(audio: np.ndarray, word_segs, dec) -> tuple[list[Phone], int]:
    """Phones of aligned words: each run of words between pauses aligned at the state level on its own
    (shorter searches are faster and more robust than one over the clip); a run the state alignment
    rejects gets its words' dictionary phones spread evenly over each word (counted)."""
    phones: list[Phone] = []
    approximated = 0
    runs: list[list] = []
    cur: list = []
    for w, a, b in word_segs:
        if w == "<sil>":
            if cur:
                runs.append(cur)
                cur = []
            phones.append(Phone(SILENCE, a, b))
        else:
            cur.append((w, a, b))
    if cur:
        runs.append(cur)
    pad = 0.05
    for run in runs:
        a0 = max(run[0][1] - pad, 0.0)
        b0 = min(run[-1][2] + pad, len(audio) / ANALYSIS_RATE)
        got = _state_align(dec, audio[int(a0 * ANALYSIS_RATE): int(b0 * ANALYSIS_RATE)], [w for w, _, _ in run], a0)
        if got is not None and _speech_share(got, run) < 0.5:
            got = None  # the alignment put silence over the words: it did not find them
        if got is None and len(run) > 1:  # word by word
            got = []
            for item in run:
                w, a, b = item
                a1, b1 = max(a - 0.03, 0.0), b + 0.03
                one = _state_align(dec, audio[int(a1 * ANALYSIS_RATE): int(b1 * ANALYSIS_RATE)], [w], a1)
                if one is not None and _speech_share(one, [item]) < 0.5:
                    one = None
                if one is None:
                    one = _spread(dec, [item])
                    approximated += 1
                got += [p for p in one if p.name != SILENCE]  # the padding
        elif got is None:
            got = _spread(dec, run)
            approximated += len(run)
        phones += got
    phones.sort(key=lambda p: p.start)
    return _close_gaps(phones), approximated


def _complete_tail(audio: np.ndarray, word_segs, known: list[str]):
    """PocketSphinx's word alignment can end early, at its best partial path, leaving the transcript's
    last words out: they are spread over the sound between the last aligned word and the end of the
    sound (the last loud 10 ms frame). Returns (word segments, the words added)."""
    got = [re.sub(r"\(\d+\)$", "", w) for w, _a, _b in word_segs if w != "<sil>"]
    if len(got) >= len(known) or got != known[: len(got)]:
        return word_segs, []
    tail = known[len(got):]
    last = max((b for w, _a, b in word_segs if w != "<sil>"), default=0.0)
    db = _frame_db(audio)
    loud = np.flatnonzero(db > max(np.percentile(db, 95) - SOUND_DB, -60.0)) if db.size else np.zeros(0, int)
    end = (loud[-1] + 1) / 100.0 if loud.size else last
    if end - last < 0.05 * len(tail):
        return word_segs, []
    kept = [(w, a, b) for w, a, b in word_segs if not (w == "<sil>" and a >= last - 1e-6)]
    edges = np.linspace(last, end, len(tail) + 1)
    return kept + [(w, float(edges[i]), float(edges[i + 1])) for i, w in enumerate(tail)], tail


def _speech_share(phones: list[Phone], run) -> float:
    """The share of the words' time that speech phones (not silence) cover."""
    total = sum(b - a for _w, a, b in run)
    if total <= 0:
        return 1.0
    covered = 0.0
    for _w, a, b in run:
        for p in phones:
            if p.name != SILENCE:
                covered += max(0.0, min(b, p.end) - max(a, p.start))
    return covered / total


def _close_gaps(phones: list[Phone], longest: float = 0.3) -> list[Phone]:
    """A gap of up to ``longest`` between two phones (the aligner leaves some between words) is
    given to the phone before it, so the mouth does not drop to rest inside speech."""
    out: list[Phone] = []
    for p in phones:
        if out and 0 < p.start - out[-1].end <= longest:
            q = out[-1]
            out[-1] = Phone(q.name, q.start, p.start, q.word)
        out.append(p)
    return out


def _state_align(dec, audio: np.ndarray, words: list[str], offset: float) -> list[Phone] | None:
    """Phones of ``words`` in ``audio`` by PocketSphinx's state-level alignment (``dec``: a decoder
    without a language model, reused), or None where it rejects them."""
    pcm = _pcm(audio)
    try:
        dec.set_align_text(" ".join(re.sub(r"\(\d+\)$", "", w) for w in words))
        dec.start_utt()  # words
        dec.process_raw(pcm, full_utt=True)
        dec.end_utt()
        if dec.hyp() is None:
            return None
        dec.set_alignment()  # then phones and states (hyp() after this pass crashes PocketSphinx 5.1)
        dec.start_utt()
        dec.process_raw(pcm, full_utt=True)
        dec.end_utt()
        al = dec.get_alignment()
    except (RuntimeError, ValueError, IndexError):
        return None
    if al is None:
        return None
    out = []
    for w in al:
        for p in w:
            name = SILENCE if p.name in ("SIL", "<sil>") or p.name.startswith("+") else p.name
            out.append(Phone(name, offset + FRAME_CENTRE_S + p.start / 100.0,
                             offset + FRAME_CENTRE_S + (p.start + p.duration) / 100.0,
                             re.sub(r"\(\d+\)$", "", w.name)))
    return out


def _spread(dec, run) -> list[Phone]:
    """Dictionary phones of each word spread over the word (vowels twice as long as consonants)."""
    out = []
    for w, a, b in run:
        pron = (dec.lookup_word(w) or dec.lookup_word(re.sub(r"\(\d+\)$", "", w)) or "").split()
        pron = [re.sub(r"\d", "", q) for q in pron] or [SILENCE]
        weights = np.array([2.0 if q in VOWELS else 1.0 for q in pron])
        edges = a + (b - a) * np.concatenate([[0.0], np.cumsum(weights) / weights.sum()])
        out += [Phone(q, float(edges[i]), float(edges[i + 1]), re.sub(r"\(\d+\)$", "", w)) for i, q in enumerate(pron)]
    return out


def _matches(audio: np.ndarray, word_segs) -> bool:
    """A forced alignment always succeeds; it is wrong when the words were squeezed into a part of
    the sound or stretched over silence. Wrong if less than half the loud frames fall in words, or a
    third of the words' frames are quiet."""
    db = _frame_db(audio)
    if db.size == 0:
        return False
    loud = db > max(np.percentile(db, 95) - SOUND_DB, -60.0)
    in_word = np.zeros(db.size, bool)
    for w, a, b in word_segs:
        if w in ("<s>", "</s>", "<sil>"):
            continue
        in_word[int(a * 100): int(b * 100)] = True
    if loud.sum() == 0 or in_word.sum() == 0:
        return False
    covered = (loud & in_word).sum() / loud.sum()
    quiet_words = (~loud & in_word).sum() / in_word.sum()
    return covered >= 0.5 and quiet_words <= 0.34


def phonemes(audio_16k: np.ndarray, transcript: str | None = None, progress=None) -> PhonemeTrack:
    """Phones of the audio: aligned to ``transcript`` when given, recognised otherwise."""
    if transcript is not None and transcript.strip():
        return align(audio_16k, transcript, progress)
    return recognise(audio_16k, progress)
