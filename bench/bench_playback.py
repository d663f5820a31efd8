"""Playback in the real studio window: frames per second shown and the audio-to-frame lag.

Opens the studio's MainWindow on the bundled sample take (default head; the studio's default driver,
or ``--driver rig|model``), presses
Space and lets it play to the end. At every paint of the viewport during playback it records the
frame on screen and the frame being heard (the audio clock's position); the lag is shown minus
heard, in frames (negative: the picture is behind the sound). Frames per second: distinct frames
painted per second of playback. Runs several times (other work on the machine disturbs a run) and
reports every run and the best.

    xvfb-run -a -s "-screen 0 1600x1000x24" python -m bench playback [--runs 3] [--jack] [--compare] [--size 1280x800] [--driver rig|model]

--compare alternates runs of the studio's playback with runs of the path it replaced (every frame
deformed and drawn at full quality on request, no stream ahead of the clock), so both are measured
under the same load. Each run also prints the load average and the share of the two cores the
process got (the machine is shared with other work).

--jack starts a JACK dummy server (48 kHz, 1024-frame periods; `jackd` must be installed) so the
clock is a paced audio device's, as with a sound card; without it the default output device is
used, or the silent wall clock when there is none.
"""
from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import tempfile
import time
from pathlib import Path


def _start_jack():
    jackd = shutil.which("jackd")
    if jackd is None:
        raise SystemExit("bench playback --jack: jackd is not installed (apt package jackd2)")
    name = f"emozone_bench_{os.getpid()}"
    os.environ.update(JACK_DEFAULT_SERVER=name, JACK_NO_START_SERVER="1", JACK_NO_AUDIO_RESERVATION="1")
    proc = subprocess.Popen([jackd, "-n", name, "--no-realtime", "-d", "dummy", "-r", "48000", "-p", "1024"],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    import sounddevice as sd

    deadline = time.monotonic() + 15
    while time.monotonic() < deadline:
        sd._terminate()
        sd._initialize()
        apis = [a for a in sd.query_hostapis() if "JACK" in a["name"] and a["devices"]]
        if apis:
            sd.default.device = (None, apis[0]["default_output_device"])
            return proc
        time.sleep(0.2)
    proc.terminate()
    raise SystemExit("bench playback --jack: jackd started but PortAudio lists no JACK device")


def _one_run(app, w, full_quality: bool = False) -> dict:
    """Play the take from frame 0 to its end; returns the measurements of this run.
    full_quality: without the worker's stream (every frame requested and drawn in full)."""
    from PySide6.QtCore import Qt
    from PySide6.QtTest import QTest

    take = w.document.take
    samples = []  # (time, shown frame, heard frame, level of detail)

    def on_paint(_n):
        if w.is_playing() and w.shown is not None:
            heard = int(w.player.position_seconds() * take.fps + 1e-6)
            samples.append((time.perf_counter(), w.shown.frame, heard, w.viewport.last_paint_lod))

    w.seek(0)
    _wait(app, lambda: w.shown is not None and w.shown.frame == 0 and not w.worker.busy, 30)
    worker = w.playback.worker
    if full_quality:
        w.playback.worker = None
    w.viewport.frame_drawn.connect(on_paint)
    load0 = os.getloadavg()[0]
    c0 = time.process_time()
    t0 = time.perf_counter()
    QTest.keyClick(w.viewport, Qt.Key_Space)
    if not w.is_playing():  # no window manager made the window active: Space's shortcut is off
        w.toggle_playing()
    _wait(app, lambda: not w.is_playing(), take.duration / take.fps + 30)
    t1 = time.perf_counter()
    cpu = time.process_time() - c0
    w.playback.worker = worker
    # After the stop: the last frame, at full quality, and the button shows Play again.
    _wait(app, lambda: w.shown is not None and not w.viewport.is_lod() and w.shown.frame == w.current_frame, 30)
    w.viewport.repaint()
    w.viewport.frame_drawn.disconnect(on_paint)
    distinct, last = [], None
    for s in samples:
        if s[1] != last:
            distinct.append(s)
            last = s[1]
    lags = [s[1] - s[2] for s in distinct]
    return {
        "seconds": t1 - t0,
        "fps": len(distinct) / (t1 - t0),
        "lag_mean": statistics.mean(lags) if lags else float("nan"),
        "lag_min": min(lags) if lags else 0,
        "lag_max": max(lags) if lags else 0,
        "lod": sum(s[3] for s in distinct),
        "shown": len(distinct),
        "end_frame": w.current_frame,
        "stopped_on_play": not w.transport.shows_pause(),
        "full_after_stop": not w.viewport.is_lod(),
        "skipped": w.worker.stream_skipped,
        "load": max(load0, os.getloadavg()[0]),
        "cpu_share": cpu / (2 * (t1 - t0)),
        "mode": "full quality" if full_quality else "studio",
    }


def _wait(app, cond, limit):
    t0 = time.monotonic()
    while not cond():
        app.processEvents()
        time.sleep(0.002)
        if time.monotonic() - t0 > limit:
            raise TimeoutError("bench playback: the studio did not get there in time")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench playback")
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--jack", action="store_true", help="play on a JACK dummy server (a paced device)")
    parser.add_argument("--size", default="1280x800", help="window size")
    parser.add_argument("--driver", choices=["rig", "model"], default=None,
                        help="the viewport's driver (default: the studio's own default)")
    parser.add_argument("--compare", action="store_true",
                        help="alternate with runs of the full-quality path (no level of detail, no frames ahead)")
    args = parser.parse_args(argv)
    jack = _start_jack() if args.jack else None
    try:
        from PySide6.QtWidgets import QApplication

        from studio.app import create_app
        from studio.main_window import MainWindow
        from studio.session import sample_take
        from studio.settings import StudioSettings

        app = create_app()
        tmp = tempfile.mkdtemp()
        w = MainWindow(settings=StudioSettings(Path(tmp) / "s.ini"), take=sample_take(),
                       autosave_dir=Path(tmp) / "autosave")
        w.resize(*(int(v) for v in args.size.split("x")))
        w.show()
        if args.driver is not None:
            w.set_driver(args.driver)
        w.viewport.setFocus()
        _wait(app, lambda: w.shown is not None, 60)
        w.worker.prepare_stream()
        take = w.document.take
        vw, vh = w.viewport.pixel_size()
        lod = w.worker._loop.lod_evaluator().lod
        print(f"playback of the sample take ({take.duration} frames at {take.fps:g} fps, "
              f"{w.player.clip_duration:.3f} s of audio), default head ({lod.num_full:,} Gaussians, "
              f"level of detail {len(lod):,}), viewport {vw}x{vh}, clock: {w.player.backend}, "
              f"driver {w.engine.driver}")
        runs = []
        modes = [False, True] if args.compare else [False]
        for i in range(args.runs):
            for full in modes:
                r = _one_run(app, w, full)
                runs.append(r)
                print(f"  run {i + 1} ({r['mode']}, load {r['load']:.1f}, the process got {r['cpu_share']:.0%} "
                      f"of 2 cores): {r['fps']:.1f} frames/s shown over {r['seconds']:.2f} s "
                      f"({r['shown']} frames, {r['lod']} at the level of detail); lag shown - heard: "
                      f"mean {r['lag_mean']:+.2f}, min {r['lag_min']:+d}, max {r['lag_max']:+d} frames; "
                      f"stopped on frame {r['end_frame']}, button shows Play: {r['stopped_on_play']}, "
                      f"full quality after stop: {r['full_after_stop']}", flush=True)
        for mode in ("studio", "full quality"):
            mine = [r for r in runs if r["mode"] == mode]
            if not mine:
                continue
            best = max(mine, key=lambda r: r["fps"])
            print(f"best ({mode}): {best['fps']:.1f} frames/s shown, lag mean {best['lag_mean']:+.2f} frames, "
                  f"max {best['lag_max']:+d}, min {best['lag_min']:+d} (load {best['load']:.1f})")
        w.document.history.set_clean()
        w.close()
        QApplication.processEvents()
    finally:
        if jack is not None:
            import sounddevice as sd

            sd._terminate()
            jack.terminate()
            jack.wait(10)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
