"""README screenshots taken from the running studio (under the current display, e.g. Xvfb)."""
from __future__ import annotations

from pathlib import Path

#: (file name, overlay mode, frame as a fraction of the take) for each picture: mid-word in the
#: sample take, so the mouth is open on the speech.
SHOTS = (
    ("studio.png", "none", 0.435),
    ("studio_zones.png", "zones", 0.435),
    ("studio_motion.png", "motion", 0.435),
)


def take_screenshots(out_dir: str | Path, width: int = 1440, height: int = 900, timeout_s: float = 120.0) -> list[Path]:
    """Start the real window on the sample take, wait for each frame, grab the window to PNGs."""
    import time

    from PySide6.QtWidgets import QApplication

    from widgets.zone_overlay import OverlayMode

    from .app import create_app
    from .main_window import MainWindow
    from .settings import StudioSettings

    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    app = create_app()
    settings = StudioSettings(out / ".screenshot-settings.ini")  # never the user's layout
    window = MainWindow(settings=settings)
    window.resize(width, height)
    window.show()
    written = []

    def wait(pred, what):
        t0 = time.monotonic()
        while not pred():
            app.processEvents()
            time.sleep(0.01)
            if time.monotonic() - t0 > timeout_s:
                raise TimeoutError(f"screenshots: timed out waiting for {what}")

    try:
        for name, mode, where in SHOTS:
            frame = int(where * (window.document.take.duration - 1))
            window.seek(frame)
            window.set_overlay(OverlayMode(mode))
            wait(lambda: window.shown is not None and window.shown.frame == frame, f"frame {frame}")
            window.set_overlay(OverlayMode(mode))
            for _ in range(20):
                app.processEvents()
            path = out / name
            if not window.grab().save(str(path)):
                raise OSError(f"screenshots: could not write {path}")
            written.append(path)
    finally:
        window.document.history.set_clean()
        window.close()
        QApplication.processEvents()
        (out / ".screenshot-settings.ini").unlink(missing_ok=True)
    return written
