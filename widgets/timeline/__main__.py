"""``python -m widgets.timeline [--screenshot out.png] [--audio file.wav]``: the timeline on a
generated take; with ``--screenshot`` it saves the full view and a zoomed one and quits."""
from __future__ import annotations

import dataclasses

import numpy as np
from PySide6 import QtWidgets

from core.anim.curve import Curve, Interpolation
from core.anim.take import CHANNEL_NAMES, Take

from .. import theme
from .layout import channel_range
from .widget import TimelineWidget

def demo_take() -> Take:
    """A take with a little of everything: bezier, linear and constant keys on several zones."""
    from core.anim.blink import auto_blink
    from core.anim.curve import Keyframe

    rng = np.random.default_rng(7)
    duration = 300
    curves = {}
    for j, name in enumerate(CHANNEL_NAMES):
        if name == "AU45":
            continue
        lo, hi = channel_range(name)
        n = int(rng.integers(3, 8))
        frames = np.unique(np.sort(rng.choice(np.arange(0, duration, 6), n, replace=False)))
        interp = (Interpolation.BEZIER, Interpolation.LINEAR, Interpolation.CONSTANT)[j % 7 // 5 if j % 7 else 0]
        keys = [Keyframe(float(f), float(lo + (hi - lo) * rng.uniform(0.05, 0.85)), interp) for f in frames]
        curves[name] = Curve(tuple(keys))
    curves["AU45"] = auto_blink(duration, 25.0, seed=3)
    return Take(name="Demo", fps=25.0, duration=duration, curves=curves)


def main(argv: list[str] | None = None) -> int:
    """``python -m widgets.timeline [--screenshot out.png] [--audio file.wav]``."""
    import argparse
    import sys
    from pathlib import Path

    parser = argparse.ArgumentParser(description="Show the timeline on a demo take.")
    parser.add_argument("--screenshot", type=Path, help="save a PNG of the window and quit")
    parser.add_argument("--audio", type=Path,
                        default=Path(__file__).resolve().parents[2] / "assets" / "audio" / "sample_speech.wav")
    args = parser.parse_args(argv)
    app = QtWidgets.QApplication.instance() or QtWidgets.QApplication(sys.argv[:1])
    theme.apply_dark_theme(app)
    take = demo_take()
    tl = TimelineWidget()
    tl.setWindowTitle("Timeline")
    tl.resize(1280, 820)
    if args.audio and args.audio.exists():
        from core.audio import load_audio

        clip = load_audio(str(args.audio))
        take = dataclasses.replace(take, duration=max(take.duration, int(np.ceil(clip.num_samples / clip.sample_rate * take.fps))))
        tl.set_audio(clip.samples, clip.sample_rate)
    tl.show()
    tl.set_take(take)
    tl.set_current_frame(72)
    sel = {n: [0, 1] for n in ("AU12", "AU25") if len(take.curves[n]) > 1}
    for n, idx in sel.items():
        tl.selection.select(n, idx, extend=True)
    tl.set_active_channel("AU12")
    tl.keys_insert_requested.connect(lambda ks: print("insert", ks))
    tl.keys_move_committed.connect(lambda *a: print("move", a))
    if args.screenshot:
        for _ in range(5):
            app.processEvents()
        tl.frame_all()
        app.processEvents()
        tl.grab().save(str(args.screenshot))
        # a second, zoomed view: fewer, taller lanes, handles of the selected keys
        tl.set_frame_range(0, 130)
        tl.lane_layout.set_lane_px(64.0)
        tl.lane_layout.top = float(tl.lane_layout.lane_index("AU10") - 1)
        tl._apply_lane_range()
        app.processEvents()
        zoomed = args.screenshot.with_name(args.screenshot.stem + "_zoom" + args.screenshot.suffix)
        tl.grab().save(str(zoomed))
        return 0
    return app.exec()


if __name__ == "__main__":
    raise SystemExit(main())
