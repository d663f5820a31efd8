"""Audio playback with a clock that reports the sample being heard.

Threading model: the GUI thread never shares a lock with the audio callback. Every transport
command (play, pause, seek) publishes one immutable tuple ``(epoch, playing, position)``; the
callback picks up a new epoch at the start of a block. The callback only copies from
preallocated arrays into PortAudio's buffer, advances counters and publishes a timing stamp
tuple; it does no logging, no array allocation and takes no lock. Python attribute assignment of
a tuple is atomic under the GIL, which is all the synchronisation this needs.

Clock: each callback stamps (position of the block's first sample, the stream time at which that
sample reaches the DAC). The heard position is then ``stamp_position + (stream.time - dac_time) *
rate``: it includes the output latency, is clamped to what has been written, and never goes back
within an epoch (a seek, play or pause starts a new one; a loop wrap is applied after the clamp).

Length: the transport runs over ``length`` seconds (the take's, ``set_length``), which may differ
from the clip's. Past the clip's end the stream keeps running and writes silence, so the clock goes
on counting on the device's pace (on wall time without a device) until ``length``; a shorter length
ends playback before the clip does. Without ``set_length`` the length is the clip's.

With no usable output device the player keeps the same API on a wall clock and plays silently.
"""
from __future__ import annotations

import logging
import math
import time

import numpy as np

from core.audio.decode import AudioClip

log = logging.getLogger(__name__)

#: Scrub grains: a short Hann-windowed slice played once per drag update.
SCRUB_GRAIN_S = 0.06
_N_GRAINS = 3
_warned: set[str] = set()


class Player:
    """Transport for one clip: play, pause, seek, loop a range, scrub.

    ``backend`` is "portaudio" when a device stream is open, else "wallclock" (silent, with
    ``status_message`` saying why). Positions are seconds from the clip's start.
    """

    def __init__(self, clip: AudioClip, device: int | str | None = None, latency: str | float = "low",
                 length: float | None = None):
        self.clip = clip
        self._length_s = None if length is None else float(length)
        self.status_message = ""
        self.backend = "wallclock"
        self._stream = None
        self._rate = float(clip.sample_rate)
        self._buf = clip.samples  # replaced by the device-rate buffer when a stream opens
        self._cmd: tuple[int, bool, float] = (0, False, 0.0)  # (epoch, playing, start sample)
        self._loop: tuple[float, float] | None = None          # (start, end) in samples
        self._stamp = None  # (epoch, v_block, r_block, dac_time, loop, frames), from the callback
        self._last_v = 0.0
        self._wall_t0 = 0.0
        # Callback-owned state.
        self._seen_epoch = 0
        self._pos = 0
        self._vpos = 0
        self._grain_cmd: tuple[int, int] = (0, 0)  # (sequence, grain buffer index)
        self._grain_seen = 0
        self._grain_idx = 0
        self._grain_pos = 0
        self._grain_seq = 0
        self._latency_s = 0.0
        try:
            self._open(device, latency)
        except Exception as e:  # PortAudio missing, no devices, unknown device, unsupported format...
            self._fallback(f"{type(e).__name__}: {e}")
        self._make_grains()
        if self._stream is not None:
            try:
                self._stream.start()
            except Exception as e:
                stream, self._stream = self._stream, None
                stream.close()
                self._fallback(f"{type(e).__name__}: {e}")
                self._make_grains()

    def _make_grains(self) -> None:
        # Allocated before the stream starts: the callback reads them from its first block.
        n_grain = max(1, int(round(SCRUB_GRAIN_S * self._rate)))
        self._grain_window = np.hanning(n_grain).astype(np.float32)[:, None]
        self._grains = np.zeros((_N_GRAINS, n_grain, self._buf.shape[1]), np.float32)

    # --- setup ---------------------------------------------------------------------------------
    def _open(self, device, latency) -> None:
        import sounddevice as sd

        info = sd.query_devices(device, "output")
        if info["max_output_channels"] < 1:
            raise RuntimeError(f"device {info['name']!r} has no outputs")
        rate = float(info["default_samplerate"])
        channels = min(2, int(info["max_output_channels"])) if self.clip.channels <= 2 else \
            min(self.clip.channels, int(info["max_output_channels"]))
        self._buf = self._prepare_buffer(rate, channels)
        self._rate = rate
        self._stream = sd.OutputStream(samplerate=rate, channels=channels, dtype="float32", device=device,
                                       latency=latency, callback=self._callback)
        self._latency_s = float(self._stream.latency)
        self.backend = "portaudio"
        self.status_message = f"playing on {info['name']} at {rate:g} Hz"

    def _prepare_buffer(self, rate: float, channels: int) -> np.ndarray:
        """The clip at the device rate and channel count: float32 [S', channels], C-contiguous."""
        x = self.clip.samples
        if rate != self.clip.sample_rate:
            import soxr

            x = soxr.resample(x, self.clip.sample_rate, rate).astype(np.float32)
        if x.shape[1] == 1 and channels > 1:
            x = np.repeat(x, channels, axis=1)
        elif x.shape[1] != channels:
            x = x[:, :channels] if x.shape[1] > channels else np.pad(x, ((0, 0), (0, channels - x.shape[1])))
        return np.ascontiguousarray(x, dtype=np.float32)

    def _fallback(self, why: str) -> None:
        self._stream = None
        self.backend = "wallclock"
        self._buf = self.clip.samples
        self._rate = float(self.clip.sample_rate)
        self.status_message = f"no audio output ({why}); playing silently on a wall clock"
        if why not in _warned:
            _warned.add(why)
            log.warning("%s", self.status_message)

    # --- audio thread --------------------------------------------------------------------------
    def _callback(self, outdata, frames, time_info, status) -> None:  # noqa: ARG002
        cmd = self._cmd
        if cmd[0] != self._seen_epoch:
            self._seen_epoch = cmd[0]
            self._pos = int(cmd[2])
            self._vpos = 0
        gcmd = self._grain_cmd
        if gcmd[0] != self._grain_seen:
            self._grain_seen = gcmd[0]
            self._grain_idx = gcmd[1]
            self._grain_pos = 0
        if not cmd[1]:
            grain = self._grains[self._grain_idx]
            n = min(frames, grain.shape[0] - self._grain_pos)
            if n > 0:
                outdata[:n] = grain[self._grain_pos:self._grain_pos + n]
                outdata[n:] = 0.0
                self._grain_pos += n
            else:
                outdata.fill(0.0)
            return
        buf = self._buf
        total = buf.shape[0]
        end_all = self._end
        loop = self._loop
        pos = self._pos
        if loop is not None and pos >= loop[1]:
            pos = int(loop[0])
        dac = time_info.outputBufferDacTime
        if dac <= 0.0:  # some host APIs leave it unset
            dac = time_info.currentTime + self._latency_s
        self._stamp = (cmd[0], self._vpos, pos, dac, loop, frames)
        done = 0
        while done < frames:
            end = int(loop[1]) if loop is not None and pos < loop[1] else max(total, end_all)
            n = min(frames - done, end - pos)
            if n <= 0:
                if loop is not None and pos >= loop[1]:
                    pos = int(loop[0])
                    continue
                # Past the end the position keeps counting (silently), so block stamps stay
                # consistent with the virtual counter; the clock clamps it to the end.
                outdata[done:] = 0.0
                pos += frames - done
                break
            # Audio while there is some, silence past the clip's end (a take longer than its audio).
            a = min(n, max(total - pos, 0))
            if a > 0:
                outdata[done:done + a] = buf[pos:pos + a]
            if a < n:
                outdata[done + a:done + n] = 0.0
            pos += n
            done += n
        self._pos = pos
        self._vpos += frames

    # --- transport (GUI thread) ----------------------------------------------------------------
    @property
    def _end(self) -> int:
        """The transport's end in device samples: the length set, else the clip's."""
        if self._length_s is None:
            return self._buf.shape[0]
        return max(int(round(self._length_s * self._rate)), 1)

    @property
    def duration(self) -> float:
        """The transport's length in seconds (``set_length``, else the clip's)."""
        return self._end / self._rate

    @property
    def clip_duration(self) -> float:
        return self._buf.shape[0] / self._rate

    def set_length(self, seconds: float | None) -> None:
        """Run the transport over ``seconds`` (the take's length) instead of the clip's: past the
        clip's end the clock goes on, silently, to this length; a shorter length ends playback
        there. None: the clip's length. Keeps the position (clamped) and the play/pause state."""
        if seconds is not None and not (math.isfinite(float(seconds)) and float(seconds) > 0.0):
            raise ValueError(f"Player.set_length: length must be a positive number of seconds, got {seconds!r}")
        pos = self._heard_samples()
        self._length_s = None if seconds is None else float(seconds)
        self._publish(self._cmd[1], min(pos, float(self._end)))

    @property
    def is_playing(self) -> bool:
        """True while playing and the clock has not reached the end (or while looping)."""
        if not self._cmd[1]:
            return False
        return self._heard_samples() < self._end

    def _publish(self, playing: bool, start_sample: float) -> None:
        self._last_v = 0.0
        self._wall_t0 = time.monotonic()
        self._cmd = (self._cmd[0] + 1, playing, float(start_sample))

    def play(self) -> None:
        """Start (or resume) from the current position; at the end, restart from the beginning."""
        pos = self._heard_samples()
        if self._loop is not None and pos >= self._loop[1]:
            pos = self._loop[0]
        elif pos >= self._end:
            pos = 0.0
        self._publish(True, pos)

    def pause(self) -> None:
        """Stop where the listener is; the clock holds still until play()."""
        self._publish(False, self._heard_samples())

    def seek(self, seconds: float) -> None:
        """Jump to ``seconds`` (clamped to the clip), keeping the play/pause state."""
        s = min(max(float(seconds), 0.0), self.duration) * self._rate
        self._publish(self._cmd[1], s)

    def set_loop(self, start_s: float | None, end_s: float | None = None) -> None:
        """Loop [start_s, end_s) while playing; ``set_loop(None)`` or end_s=None turns looping off."""
        pos = self._heard_samples()
        if start_s is None or end_s is None:
            loop = None
        else:
            a = min(max(float(start_s), 0.0), self.duration) * self._rate
            b = min(max(float(end_s), 0.0), self.duration) * self._rate
            if b - a < 1:
                raise ValueError(f"loop range must have positive length, got {start_s}..{end_s} s")
            loop = (a, b)
            if pos >= b:
                pos = a
        self._loop = loop
        # A new epoch re-anchors the clock, so a stamp taken under the old loop is not reused.
        self._publish(self._cmd[1], pos)

    def scrub(self, seconds: float) -> None:
        """While the playhead is dragged: move there and, when paused, play one short grain."""
        if self._cmd[1]:
            self.seek(seconds)
            return
        self.seek(seconds)
        if self._stream is None:
            return
        start = int(min(max(float(seconds), 0.0), self.duration) * self._rate)
        # Fill a grain the callback is not reading (it only reads the last published one).
        idx = (self._grain_cmd[1] + 1) % _N_GRAINS
        grain = self._grains[idx]
        n = max(0, min(grain.shape[0], self._buf.shape[0] - start))
        np.multiply(self._buf[start:start + n], self._grain_window[:n], out=grain[:n])
        grain[n:] = 0.0
        self._grain_seq += 1
        self._grain_cmd = (self._grain_seq, idx)

    def position_seconds(self) -> float:
        """The position being heard now, in seconds."""
        return self._heard_samples() / self._rate

    def _heard_samples(self) -> float:
        epoch, playing, start = self._cmd
        total = self._end
        if not playing:
            return start
        loop = self._loop
        if self._stream is None:
            v = (time.monotonic() - self._wall_t0) * self._rate
            return _map(start + v, loop, total)
        stamp = self._stamp
        if stamp is None or stamp[0] != epoch:
            return start  # the new position has not reached the output yet
        _e, v_block, r_block, dac, loop, frames = stamp
        v = v_block + (self._stream.time - dac) * self._rate
        v = min(v, v_block + frames)
        v = max(v, self._last_v)
        self._last_v = v
        return _map(r_block + (v - v_block), loop, total, origin=r_block)

    def close(self) -> None:
        """Stop and release the device (idempotent)."""
        stream, self._stream = self._stream, None
        if stream is not None:
            self._cmd = (self._cmd[0] + 1, False, self._cmd[2])
            try:
                stream.stop()
            finally:
                stream.close()

    def __enter__(self) -> "Player":
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def __del__(self) -> None:
        try:
            self.close()
        except Exception:
            pass


def _map(x: float, loop, total: int, origin: float | None = None) -> float:
    """Map a continuous position x (samples) onto the clip, wrapping inside an active loop.

    origin: the stamped block start. A block that starts at the loop start was preceded by the
    loop's tail, so a position just before it belongs to the end of the loop.
    """
    if loop is not None:
        span = loop[1] - loop[0]
        if x >= loop[1]:
            return loop[0] + math.fmod(x - loop[1], span)
        if origin is not None and x < loop[0] <= origin < loop[1]:
            return loop[1] - math.fmod(loop[0] - x, span)
    return min(x, float(total))
