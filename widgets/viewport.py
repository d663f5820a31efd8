"""The 3D viewport: a widget that shows the current frame's Gaussians drawn by the gl backend.

The splats are drawn offscreen by core.render.gl.GLRenderer on its own headless OpenGL 3.3 context
(EGL; Mesa llvmpipe on CPU machines), read back and painted as an image. It is not a QOpenGLWidget
on purpose: a QOpenGLWidget makes Qt composite the whole top-level window through OpenGL on every
frame (on llvmpipe, 20+ ms of CPU for a 1280x800 window even when the viewport draws nothing), while
reading back the viewport's own pixels costs about a millisecond. One renderer is shared by every
viewport of the process (they all paint on the GUI thread).

Mouse: left-drag orbits, middle-drag or shift+left-drag pans, the wheel zooms.
Keys: F / Home frame the head, 1 front view, 3 side view.
While a drag is under way the scene is drawn at a fraction of the resolution and upscaled, so the
view keeps up on a software GL; the full resolution comes back a moment after the mouse rests.

Level of detail: a splat set that stands for a larger cloud (GLSplats.source_index, built by
core.render.lod during playback) is drawn with its back-facing splats culled; overlays and
``base_rgb`` still speak in the full cloud's rows, the viewport picks the rows it draws.
"""
from __future__ import annotations

import numpy as np
from PySide6.QtCore import QPointF, Qt, QTimer, Signal
from PySide6.QtGui import QColor, QImage, QMouseEvent, QPainter, QWheelEvent
from PySide6.QtWidgets import QWidget

from core.camera import OrbitCamera
from core.render import gl as gl_backend

#: The colour columns of GLSplats.packed (the renderer's packing layout).
RGB_COLUMNS = gl_backend.RGB_COLUMNS

#: Fraction of the full resolution used while dragging.
DRAG_SCALE = 0.5
#: Fraction of the full resolution a level of detail (playback) is drawn at, then upscaled.
PLAYBACK_SCALE = 1.0
#: Delay before redrawing at full resolution once interaction stops (ms).
SETTLE_MS = 180
#: Degrees of orbit per pixel dragged.
ORBIT_DEG_PER_PX = 0.4
#: Zoom factor per wheel notch (120 units).
WHEEL_ZOOM = 0.88

BACKGROUND = (0.115, 0.12, 0.135)

_SHARED: dict = {}  # "renderer": the process's GLRenderer, "error": why there is none, "fbos": by size


def _shared_renderer():
    """The viewports' GLRenderer (own headless context), made on first use; raises RuntimeError
    with the reason when OpenGL 3.3 cannot be had."""
    if "renderer" not in _SHARED:
        if "error" in _SHARED:
            raise RuntimeError(_SHARED["error"])
        from core.render.gl import GLRenderer

        try:
            _SHARED["renderer"] = GLRenderer()
        except Exception as exc:  # RenderError, or moderngl's plain Exception for a missing or old GL
            _SHARED["error"] = f"OpenGL 3.3 is not available for the viewport: {exc}"
            raise RuntimeError(_SHARED["error"]) from None
        _SHARED["fbos"] = {}
    return _SHARED["renderer"]


def _target(renderer, w: int, h: int):
    """An RGBA8 framebuffer of this size on the shared context (a few sizes are kept)."""
    fbos = _SHARED["fbos"]
    fbo = fbos.pop((w, h), None)
    if fbo is None:
        fbo = renderer.ctx.simple_framebuffer((w, h), components=4)
        while len(fbos) >= 4:
            old = fbos.pop(next(iter(fbos)))
            old.release()
    fbos[(w, h)] = fbo  # most recently used last
    return fbo


class Viewport(QWidget):
    """Draws a prepared splat set (core.render.gl.GLSplats, built by the studio off the GUI thread).

    set_splats(splats): the frame to show. set_override_colors(rgb [N, 3] float32 | None): overlay
    colours that replace the Gaussians' own while set. Signals: camera_changed() after any view move;
    gl_failed(str) when no usable OpenGL 3.3 context could be had."""

    camera_changed = Signal()
    gl_failed = Signal(str)
    frame_drawn = Signal(int)  # the number of Gaussians drawn, after each paint

    def __init__(self, parent=None):
        super().__init__(parent)
        self.setFocusPolicy(Qt.StrongFocus)
        self.setMinimumSize(320, 240)
        self.setAttribute(Qt.WA_OpaquePaintEvent)  # every pixel is painted: no background erase
        self.orbit = OrbitCamera(yaw=0.0, pitch=0.0, distance=1.0)
        self._bounds: tuple[np.ndarray, np.ndarray] | None = None
        self._splats = None
        self._source_count = 0
        self._override: np.ndarray | None = None
        self._base_rgb: np.ndarray | None = None
        self._renderer = None
        self._dragging = False
        self._last_pos: QPointF | None = None
        self._drag_button = None
        self._pan_drag = False
        self.error: str | None = None
        self.low_res_paints = 0
        self.full_res_paints = 0
        self.lod_paints = 0
        self.last_paint_lod = False
        self._settle = QTimer(self)
        self._settle.setSingleShot(True)
        self._settle.setInterval(SETTLE_MS)
        self._settle.timeout.connect(self._on_settled)

    # ------------------------------------------------------------------ content
    def base_rgb(self) -> np.ndarray | None:
        """The shown splats' own colours [N, 3] (before any overlay), or None before the first frame.
        For a level of detail, N is the full cloud's count: the rows it does not draw are 0."""
        if self._base_rgb is None:
            return None
        index = self._source_index()
        if index is None:
            return self._base_rgb
        full = np.zeros((self._source_count, 3), np.float32)
        full[index] = self._base_rgb
        return full

    def _source_index(self):
        return None if self._splats is None else getattr(self._splats, "source_index", None)

    def is_lod(self) -> bool:
        """True while the shown splats are a level of detail (playback), not the full cloud."""
        return self._source_index() is not None

    def set_splats(self, splats, source_count: int | None = None) -> None:
        """Show a GLSplats (its colours are restored if an overlay painted over a previous one).
        A level of detail (splats.source_index set) stands for ``source_count`` Gaussians (default:
        the count of the last full splat set shown)."""
        if splats is not None and getattr(splats, "source_index", None) is None:
            self._source_count = len(splats)
        elif splats is not None and source_count is not None:
            self._source_count = int(source_count)
        elif splats is not None and self._source_count <= int(splats.source_index.max(initial=-1)):
            self._source_count = int(splats.source_index.max(initial=-1)) + 1
        self._splats = splats
        self._base_rgb = None if splats is None else splats.packed[:, RGB_COLUMNS].copy()
        self.update()

    def splats(self):
        return self._splats

    def set_override_colors(self, rgb: np.ndarray | None) -> None:
        """Overlay colours [N, 3] (N: the full cloud's count, also while a level of detail is shown)."""
        if rgb is not None:
            rgb = np.ascontiguousarray(rgb, dtype=np.float32)
            n = self._source_count if self.is_lod() else (len(self._splats) if self._splats is not None else None)
            if n is not None and rgb.shape != (n, 3):
                raise ValueError(f"override colours: expected [{n}, 3], got {list(rgb.shape)}")
        self._override = rgb
        self.update()

    def set_bounds(self, lo, hi) -> None:
        """Box the F key frames [3] + [3]."""
        self._bounds = (np.asarray(lo, dtype=np.float64), np.asarray(hi, dtype=np.float64))

    # ------------------------------------------------------------------ views
    def frame_all(self) -> None:
        if self._bounds is not None:
            self.orbit.frame(*self._bounds, margin=1.05)
        self._view_moved(settle=False)

    def front_view(self) -> None:
        self.orbit.yaw, self.orbit.pitch = 0.0, 0.0
        self._view_moved(settle=False)

    def side_view(self) -> None:
        # The head's right side faces the viewer, as the numeric-pad "3" does in Blender.
        self.orbit.yaw, self.orbit.pitch = 90.0, 0.0
        self._view_moved(settle=False)

    def set_orbit(self, orbit: OrbitCamera) -> None:
        self.orbit = orbit
        self._view_moved(settle=False)

    def _view_moved(self, settle: bool) -> None:
        if settle:
            self._dragging = True
            self._settle.start()
        self.camera_changed.emit()
        self.update()

    def _on_settled(self) -> None:
        if self._last_pos is None:  # the button is up: back to full resolution
            self._dragging = False
            self.update()
        else:
            self._settle.start()

    # ------------------------------------------------------------------ input
    def mousePressEvent(self, ev: QMouseEvent) -> None:
        self.setFocus()
        self._last_pos = ev.position()
        self._drag_button = ev.button()
        # The gesture is decided at press, so releasing Shift mid-drag does not flip it to orbit.
        self._pan_drag = ev.button() == Qt.MiddleButton or (
            ev.button() == Qt.LeftButton and bool(ev.modifiers() & Qt.ShiftModifier))
        ev.accept()

    def mouseMoveEvent(self, ev: QMouseEvent) -> None:
        if self._last_pos is None:
            return
        pos = ev.position()
        d = pos - self._last_pos
        self._last_pos = pos
        if self._pan_drag:
            h = max(self.height(), 1)
            self.orbit.pan(-d.x() / h, d.y() / h)
        elif self._drag_button == Qt.LeftButton:
            self.orbit.orbit(-d.x() * ORBIT_DEG_PER_PX, d.y() * ORBIT_DEG_PER_PX)
        else:
            return
        self._view_moved(settle=True)

    def mouseReleaseEvent(self, ev: QMouseEvent) -> None:
        self._last_pos = None
        self._drag_button = None
        self._settle.start()

    def wheelEvent(self, ev: QWheelEvent) -> None:
        notches = ev.angleDelta().y() / 120.0
        if notches:
            self.orbit.zoom(WHEEL_ZOOM ** notches)
            self._view_moved(settle=True)
        ev.accept()

    def keyPressEvent(self, ev) -> None:
        key = ev.key()
        if key in (Qt.Key_F, Qt.Key_Home):
            self.frame_all()
        elif key == Qt.Key_1:
            self.front_view()
        elif key == Qt.Key_3:
            self.side_view()
        else:
            super().keyPressEvent(ev)

    # ------------------------------------------------------------------ drawing
    def _ensure_renderer(self):
        if self._renderer is None and self.error is None:
            try:
                self._renderer = _shared_renderer()
            except RuntimeError as exc:
                self.error = str(exc)
                self.gl_failed.emit(self.error)
        return self._renderer

    def showEvent(self, ev) -> None:
        super().showEvent(ev)
        self._ensure_renderer()  # gl_failed as soon as the viewport is shown, not at the first frame

    def pixel_size(self) -> tuple[int, int]:
        dpr = self.devicePixelRatioF()
        return max(int(round(self.width() * dpr)), 1), max(int(round(self.height() * dpr)), 1)

    def current_camera(self, width: int | None = None, height: int | None = None):
        w, h = self.pixel_size()
        return self.orbit.camera(width or w, height or h)

    def _apply_colours(self) -> None:
        s = self._splats
        if s is None or self._base_rgb is None:
            return
        index = self._source_index()
        if self._override is not None and index is not None and self._override.shape[0] == self._source_count:
            s.packed[:, RGB_COLUMNS] = self._override[index]
        elif self._override is not None and index is None and self._override.shape[0] == len(s):
            s.packed[:, RGB_COLUMNS] = self._override
        else:
            s.packed[:, RGB_COLUMNS] = self._base_rgb

    def _draw_frame(self, full: bool = False) -> np.ndarray | None:
        """Draw the splats offscreen: [h, w, 3] uint8 at this scale's size (None: nothing to draw).
        Counts the paint and emits frame_drawn."""
        renderer = self._ensure_renderer()
        if renderer is None or self._splats is None:
            return None
        w, h = self.pixel_size()
        lod = self.is_lod()
        scale = 1.0 if full else (DRAG_SCALE if self._dragging else (PLAYBACK_SCALE if lod else 1.0))
        lw, lh = (max(int(w * scale), 1), max(int(h * scale), 1)) if scale < 1.0 else (w, h)
        self._apply_colours()
        with renderer.bound():
            fbo = _target(renderer, lw, lh)
            # flip_y=False: image row 0 at GL row 0, which is what the read-back returns first.
            n = renderer.draw(self._splats, self.orbit.camera(lw, lh), fbo, lw, lh, BACKGROUND, flip_y=False,
                              cull_back=lod)
            renderer.finish()  # the wait lets go of the GIL (the audio callback keeps running)
            data = fbo.read(components=3, alignment=1)
        img = np.frombuffer(data, dtype=np.uint8).reshape(lh, lw, 3)
        if scale < 1.0:
            self.low_res_paints += 1
        else:
            self.full_res_paints += 1
        self.last_paint_lod = lod
        self.lod_paints += int(lod)
        self.frame_drawn.emit(int(n))
        return img

    def paintEvent(self, ev) -> None:
        painter = QPainter(self)
        try:
            img = self._draw_frame()
            if img is None:
                painter.fillRect(self.rect(), QColor.fromRgbF(*BACKGROUND))
                return
            h, w = img.shape[:2]
            qimg = QImage(img.data, w, h, 3 * w, QImage.Format_RGB888)
            if (w, h) != self.pixel_size():
                painter.setRenderHint(QPainter.SmoothPixmapTransform)
            painter.drawImage(self.rect(), qimg)
        finally:
            painter.end()

    def grab_rgb(self) -> np.ndarray:
        """The viewport's image [H, W, 3] uint8: a fresh frame at full resolution (the background
        colour before the first frame)."""
        self._dragging = False
        img = self._draw_frame(full=True)
        self.update()
        if img is None:
            w, h = self.pixel_size()
            bg = np.round(np.asarray(BACKGROUND) * 255).astype(np.uint8)
            return np.broadcast_to(bg, (h, w, 3)).copy()
        return img.copy()
