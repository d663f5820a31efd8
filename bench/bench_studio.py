"""Edit-to-frame latency of the studio: a key inserted at the current frame until the deformed
frame is in the viewport (worker evaluation + hand-over + paint), on the default head.

Run: `python -m bench studio [--driver rig|model]` (needs a display: xvfb-run on a headless machine)."""
from __future__ import annotations

import statistics
import time


def main(argv: list[str] | None = None) -> int:
    import argparse

    from PySide6.QtWidgets import QApplication

    from core.drive import DRIVERS

    p = argparse.ArgumentParser(prog="python -m bench studio", description=__doc__.splitlines()[0])
    p.add_argument("--driver", choices=list(DRIVERS), default=None,
                   help="the viewport's driver (default: the studio's own default)")
    p.add_argument("--edits", type=int, default=20)
    args = p.parse_args(argv)

    from core.anim import Take
    from studio.app import create_app
    from studio.main_window import MainWindow
    from studio.settings import StudioSettings
    import tempfile
    from pathlib import Path

    app = create_app()
    tmp = tempfile.mkdtemp()
    w = MainWindow(settings=StudioSettings(Path(tmp) / "s.ini"), take=Take(name="Bench", duration=100),
                   autosave_dir=Path(tmp) / "autosave")
    w.resize(1280, 800)
    w.show()
    if args.driver is not None:
        w.set_driver(args.driver)

    def wait_current(limit=60.0):
        t0 = time.monotonic()
        while not (w.shown is not None and w.shown.revision == w.document.history.revision):
            app.processEvents()
            time.sleep(0.001)
            if time.monotonic() - t0 > limit:
                raise TimeoutError("no frame")
        w.viewport.repaint()  # the paint is part of what the user waits for

    wait_current()
    latencies, evals = [], []
    for i in range(args.edits):
        w.value_box.setValue(0.5 + (i % 9) * 0.5)
        t0 = time.perf_counter()
        w.insert_key_here()
        wait_current()
        latencies.append(time.perf_counter() - t0)
        evals.append(w.shown.seconds)
    n = len(w.engine.rest_means)
    print(f"studio edit-to-frame latency, default head ({n} Gaussians), driver {w.engine.driver}, "
          f"{args.edits} edits:")
    print(f"  median {statistics.median(latencies) * 1000:.1f} ms, max {max(latencies) * 1000:.1f} ms")
    print(f"  of which worker evaluation median {statistics.median(evals) * 1000:.1f} ms")
    w.document.history.set_clean()
    w.close()
    QApplication.processEvents()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
