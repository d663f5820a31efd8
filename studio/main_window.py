"""The studio's main window: it composes the viewport, the transport, the dockable panels and the
parts that each do one job:

    studio/actions.py    the QAction table, the menus and the keying strip
    studio/intents.py    widget intents -> core commands (the one path to an edit)
    studio/playback.py   the playhead, the audio clock, loop, seek and step
    studio/files.py      new / open / save / recent / autosave / recovery / unsaved prompts
    widgets/display_panel.py  the Display dock (overlay, zone, driver, frame eval time)

Docking points for the animation panels (filled by ``install_panel``):
    DOCK_TIMELINE  bottom  the dope sheet / curve editor (widgets/timeline.py)
    DOCK_CHANNELS  left    the channel list (widgets/channel_list.py)
    DOCK_AUS       right   the AU sliders (widgets/au_panel.py)
Built-in docks: "Display" and "History" (every state the undo history can reach; click to jump).

State flows one way: panels emit intents, studio/intents.py turns them into core Commands pushed
on the one history; after every change the panels are handed the take and the current frame is
re-evaluated on the worker thread.
"""
from __future__ import annotations

import time
from pathlib import Path

import numpy as np
from PySide6.QtCore import QSignalBlocker, Qt, QTimer, Signal
from PySide6.QtWidgets import (
    QDockWidget, QFileDialog, QGridLayout, QLabel, QMainWindow, QMessageBox, QVBoxLayout, QWidget,
)

from core.anim.curve import evaluate
from core.aus import AU_MAX, AU_NAMES, ZONE_INDEX
from core.document import Command, Document
from widgets.au_panel import AUPanel
from widgets.channel_list import ChannelList
from widgets.display_panel import DisplayPanel
from widgets.history_panel import HistoryPanel
from widgets.legend import OverlayLegend
from widgets.timeline import TimelineWidget
from widgets.transport import TransportBar
from widgets.viewport import Viewport
from widgets.zone_overlay import OverlayMode, overlay_colors

from . import actions
from .engine import DRIVER_LABELS, DRIVERS, Engine, FrameResult
from .files import FILE_FILTER, FileWorkflow  # noqa: F401  (FILE_FILTER: re-exported)
from .intents import Intents
from .playback import TICK_MS, PlaybackController  # noqa: F401  (TICK_MS: re-exported)
from .session import load_clip_for, sample_take
from .settings import StudioSettings, bind_timeline_view_state
from .undo import UndoBridge
from .workers import DeformWorker

DOCK_TIMELINE = "timeline"
DOCK_CHANNELS = "channels"
DOCK_AUS = "aus"
APP_TITLE = "EmoZone Studio"
#: The timeline dock never opens shorter than this (a saved layout could leave it two lanes tall).
MIN_TIMELINE_PX = 200
#: The window's size on a first start (never larger than the screen's free area).
DEFAULT_SIZE = (1440, 900)


class MainWindow(QMainWindow):
    """The studio window. ``engine``: an Engine (the default head when None); ``settings``: a
    StudioSettings (tests pass one on a temporary INI file); ``autosave_dir``: where untitled takes
    are autosaved (default: the per-user data folder's ``autosave``)."""

    frame_shown = Signal(int)       # the frame now in the viewport
    error_shown = Signal(str)       # every message put in front of the user as an error dialog

    def __init__(self, engine: Engine | None = None, settings: StudioSettings | None = None,
                 take=None, autosave_interval_s: float = 60.0, autosave_dir=None):
        super().__init__()
        self.setObjectName("main_window")
        self.settings = settings or StudioSettings()
        self.engine = engine or Engine()
        self.document = Document(take if take is not None else sample_take())
        self.undo = UndoBridge(self.document, self)
        self.intents = Intents(lambda: self.document, self.push, self.show_preview, self,
                               audio_speech=self.engine.audio_speech)
        self.playback = PlaybackController(lambda: self.document.take, self)
        self.files = FileWorkflow(self, autosave_interval_s, autosave_dir)
        self.worker = DeformWorker(self.engine, self)
        self.playback.attach_worker(self.worker, lambda: self.document.history.revision)
        self.clip = None
        self.preview_take = None  # a drag's live result, shown but not (yet) in the document
        self.shown: FrameResult | None = None
        self.last_error: str | None = None
        self._requested: tuple[int, int] | None = None
        self._shown_times: list[float] = []
        self._overlay_mode = OverlayMode.NONE
        self._overlay_zone = ZONE_INDEX["mouth"]
        self._edit_times: dict[int, float] = {}
        self.edit_latencies: list[float] = []
        self.docks: dict[str, QDockWidget] = {}
        self.export_dialog = None

        self._build_central()
        self._build_docks()
        self.actions_by_name = actions.build_actions(self)
        actions.build_menus(self)
        actions.build_key_bar(self)
        self.number_box_keys = actions.install_number_box_keys(self)
        self.intents.connect(self.timeline, self.channel_list, self.au_panel)
        bind_timeline_view_state(self.settings, self.timeline, self.channel_list)  # B2: lanes persist
        self.set_current_channel(self.channel_combo.currentData())
        self.statusBar().showMessage(f"Ready · driver: {DRIVER_LABELS[self.engine.driver]}"
                                     + (f" ({self.engine.model_path.name})" if self.engine.driver == "model"
                                        and self.engine.model_path is not None else ""))
        self._engine_label = QLabel(" · ".join(self.engine.notes))
        self._engine_label.setObjectName("engine_notes")
        self.statusBar().addPermanentWidget(self._engine_label)

        self.worker.frame_ready.connect(self._on_frame_ready)
        self.worker.failed.connect(self._on_worker_failed)
        self.undo.changed.connect(self._on_document_changed)
        self.playback.frame_changed.connect(self._on_playhead_moved)
        self.playback.playing_changed.connect(self._on_playing_changed)

        self.viewport.set_bounds(*self.engine.bounds)
        self.viewport.orbit.frame(*self.engine.bounds, margin=1.05)
        self._restore_window()
        self._load_take_state(reset_view=False)
        self.request_frame(0)
        if self.engine.model_error:
            QTimer.singleShot(0, lambda: self.show_error(
                "Model checkpoint", "The EmoZone model could not be loaded; using the analytic rig."
                f"\n\n{self.engine.model_error}"))

    # ================================================================== construction
    def _build_central(self) -> None:
        central = QWidget(self)
        central.setObjectName("central")
        outer = QVBoxLayout(central)
        outer.setContentsMargins(0, 0, 0, 0)
        outer.setSpacing(0)
        stage = QWidget(central)
        grid = QGridLayout(stage)
        grid.setContentsMargins(0, 0, 0, 0)
        self.viewport = Viewport(stage)
        self.viewport.setObjectName("viewport")
        grid.addWidget(self.viewport, 0, 0)
        self.legend = OverlayLegend(stage)
        grid.addWidget(self.legend, 0, 0, Qt.AlignTop | Qt.AlignLeft)
        grid.setAlignment(self.legend, Qt.AlignTop | Qt.AlignLeft)
        self.legend.setContentsMargins(10, 10, 0, 0)
        outer.addWidget(stage, 1)
        self.transport = TransportBar(central)
        outer.addWidget(self.transport)
        self.setCentralWidget(central)

        self.viewport.gl_failed.connect(lambda msg: self.show_error("Viewport", msg))
        self.transport.play_toggled.connect(self.set_playing)
        self.transport.seek_requested.connect(self.seek)
        self.transport.step_requested.connect(self.step)
        self.transport.loop_changed.connect(self._on_loop_changed)

    def _dock(self, key: str, title: str, area, widget: QWidget) -> QDockWidget:
        dock = QDockWidget(title, self)
        dock.setObjectName(f"dock_{key}")
        dock.setWidget(widget)
        dock.setFeatures(QDockWidget.DockWidgetMovable | QDockWidget.DockWidgetFloatable
                         | QDockWidget.DockWidgetClosable)
        self.addDockWidget(area, dock)
        self.docks[key] = dock
        return dock

    def _build_docks(self) -> None:
        cl = self.channel_list = ChannelList()
        cl.setObjectName("channel_list")
        cl.visibility_changed.connect(self._on_visibility_changed)
        cl.channel_clicked.connect(self.set_current_channel)
        self._dock(DOCK_CHANNELS, "Channels", Qt.LeftDockWidgetArea, cl)

        tl = self.timeline = TimelineWidget()
        tl.setObjectName("timeline")
        tl.current_frame_changed.connect(self.seek)
        tl.scrubbed.connect(self.playback.scrub)
        tl.active_channel_changed.connect(self.set_current_channel)
        self._dock(DOCK_TIMELINE, "Timeline", Qt.BottomDockWidgetArea, tl)

        panel = self.au_panel = AUPanel()
        panel.setObjectName("au_panel")
        self._dock(DOCK_AUS, "Action Units", Qt.RightDockWidgetArea, panel)

        display = self.display_panel = DisplayPanel([(d, DRIVER_LABELS[d]) for d in DRIVERS], self._overlay_zone)
        self.overlay_combo = display.overlay_combo
        self.zone_combo = display.zone_combo
        self.driver_combo = display.driver_combo
        self.eval_label = display.eval_label
        self._update_driver_items()
        display.overlay_requested.connect(self.set_overlay)
        display.zone_requested.connect(self.set_overlay_zone)
        display.driver_requested.connect(self.set_driver)
        self._dock("display", "Display", Qt.RightDockWidgetArea, display)

        self.history_panel = HistoryPanel()
        self.history_panel.jump_requested.connect(self.undo.jump)
        self._dock("history", "History", Qt.RightDockWidgetArea, self.history_panel)
        self.tabifyDockWidget(self.docks[DOCK_AUS], self.docks["history"])
        self.docks[DOCK_AUS].raise_()

    def install_panel(self, key: str, widget: QWidget) -> QDockWidget:
        """Put a panel into one of the docking points (DOCK_TIMELINE, DOCK_CHANNELS, DOCK_AUS)."""
        dock = self.docks[key]
        old = dock.widget()
        dock.setWidget(widget)
        if old is not None:
            old.deleteLater()
        return dock

    # ================================================================== panels
    def _on_visibility_changed(self, channel: str, visible: bool) -> None:
        self.timeline.set_channel_visible(channel, visible)

    def set_current_channel(self, channel: str | None) -> None:
        """The channel the keying strip, the channel list, the timeline and the attention heat map
        are about."""
        if not channel:
            return
        if self.channel_list.current_channel() != channel:
            self.channel_list.set_current_channel(channel)
        if self.timeline.active_channel() != channel:
            with QSignalBlocker(self.timeline):
                self.timeline.set_active_channel(channel)
        i = self.channel_combo.findData(channel)
        if i >= 0 and i != self.channel_combo.currentIndex():
            self.channel_combo.setCurrentIndex(i)
        if channel in AU_NAMES and self.engine.attention_channel != channel:
            self.engine.attention_channel = channel
            if self.shown is not None and self.shown.driver == "model":
                self.shown.attention = self.engine.attention_for(channel)
                self._refresh_overlay()

    def _on_key_channel_changed(self, _i: int) -> None:
        name = self.channel_combo.currentData()
        self.value_box.setRange(0.0, AU_MAX if name in AU_NAMES else 1.0)
        self.set_current_channel(name)
        self._sync_value_box()

    # ================================================================== document state
    @property
    def take(self):
        return self.document.take

    @property
    def autosaver(self):
        return self.files.autosaver

    @property
    def recent_menu(self):
        return self.files.recent_menu

    def push(self, command: Command) -> None:
        """Every change of the take comes through here (a core Command onto the one history)."""
        self.undo.push(command)

    def set_document(self, document: Document) -> None:
        """Show another document (File > New / Open): a fresh history, the playhead at 0."""
        self.set_playing(False)
        self.document = document
        self.undo.set_document(document)
        self.playback.current_frame = 0
        self._load_take_state(reset_view=True)
        self.lipsync_ui.sync()
        self.request_frame(0, edit=True)

    def document_saved(self) -> None:
        self._update_title()

    def _load_take_state(self, reset_view: bool = True) -> None:
        """Push the document's take into the widgets (signals blocked) and reopen its audio."""
        take = self.document.take
        project_dir = self.document.path.parent if self.document.path else None
        clip, problem = load_clip_for(take, project_dir)
        self.clip = clip
        self.playback.set_clip(clip)
        self.transport.set_duration(take.duration, take.fps)
        self.transport.set_frame(self.current_frame)
        self.transport.set_shown_fps(None)
        has_audio = take.audio is not None and problem is None
        self.engine.set_audio(clip if has_audio else None)
        self.timeline.set_audio(clip.samples if has_audio else None, clip.sample_rate,
                                take.audio.offset if has_audio else 0.0)
        # What the clip, the waveform and the transport were built for (B2: re-read on change).
        self._audio_key = (take.audio, take.duration, take.fps)
        if problem:
            self.files.audio_problem(problem)  # B2: a missing file gets the relink prompt
        self._sync_timeline()
        if reset_view:
            self.viewport.set_orbit(take.camera.to_orbit()) if take.camera.distance != 1.0 else self.viewport.frame_all()
            self.timeline.frame_time()  # B2: another take is seen whole, not at the last one's zoom
        self._update_title()

    def _update_title(self) -> None:
        dirty = "*" if self.document.is_dirty else ""
        self.setWindowTitle(f"{APP_TITLE} - {self.document.take.name}{dirty}")

    def _sync_timeline(self) -> None:
        """Hand the document's take to every panel (signals blocked: this is the model talking)."""
        take = self.document.take
        self.preview_take = None
        with QSignalBlocker(self.timeline):
            self.timeline.set_take(take)
            self.timeline.set_current_frame(self.current_frame)
        self.channel_list.set_take(take)
        self.au_panel.set_take(take)
        self.au_panel.set_frame(self.current_frame)
        h = self.document.history
        self.history_panel.set_entries(h.labels, len(h), h.trimmed)
        self._sync_value_box()

    def shown_take(self):
        """The take in the viewport: a drag's preview, else the document's."""
        return self.preview_take if self.preview_take is not None else self.document.take

    def show_preview(self, take) -> None:
        """Show a drag's result in the viewport and the AU panel without touching the history;
        None shows the document's take again."""
        self.preview_take = take
        self.au_panel.set_take(self.shown_take())
        self.request_frame(self.current_frame, edit=True)

    def _sync_value_box(self) -> None:
        """The keying strip's Value shows the current channel's value at the playhead, so K keys
        what is there unless the user types another value."""
        channel = self.channel_combo.currentData()
        if channel is None:
            return
        curve = self.document.take.curves[channel]
        value = float(evaluate(curve, [float(self.current_frame)], respect_mute=False)[0])
        with QSignalBlocker(self.value_box):
            self.value_box.setValue(value)

    def _on_document_changed(self) -> None:
        take = self.document.take
        self.lipsync_ui.sync()
        if (take.audio, take.duration, take.fps) != self._audio_key:
            # B2: Import Audio / relink (or their undo) changed the sound or the length.
            self.set_playing(False)
            resized = take.duration != self._audio_key[1]
            self.playback.current_frame = min(self.current_frame, take.duration - 1)
            self._load_take_state(reset_view=False)
            if resized:
                self.timeline.frame_time()  # the whole recording (or the take as it was) in view
            self.request_frame(self.current_frame, edit=True)
            return
        self._update_title()
        self._sync_timeline()
        self.request_frame(self.current_frame, edit=True)

    def insert_key_here(self) -> None:
        """Insert Strip Key (K): the keying strip's channel and value at the playhead."""
        channel = self.channel_combo.currentData()
        from_box = self.number_box_keys.has_focus()
        self.value_box.interpretText()  # a value typed and not yet taken by the box
        value = float(self.value_box.value())
        self.intents.insert_key(channel, self.current_frame, value)
        self.statusBar().showMessage(f"Key {channel} = {value:g} at frame {self.current_frame}", 3000)
        if from_box:  # typed, keyed: the window's keys (Ctrl+Z, Space, arrows) act on the take again
            self.number_box_keys.give_focus_back()

    # ================================================================== frames
    def request_frame(self, frame: int, edit: bool = False) -> None:
        frame = int(np.clip(frame, 0, self.document.take.duration - 1))
        revision = self.document.history.revision
        if self._requested == (frame, revision) and not edit:
            return
        self._requested = (frame, revision)
        if edit:
            self._edit_times[revision] = time.perf_counter()
        self.worker.request(self.shown_take(), frame, revision)

    def _on_frame_ready(self, result: FrameResult) -> None:
        if result.revision < self.document.history.revision:
            return  # an edit arrived since; a newer result is on its way
        self.shown = result
        self.lipsync_ui.frame_shown()
        self.viewport.set_splats(result.splats)
        self._refresh_overlay()
        t_edit = self._edit_times.pop(result.revision, None)
        if t_edit is not None:
            self.edit_latencies.append(time.perf_counter() - t_edit)
        self.display_panel.set_eval_ms(result.seconds * 1000)
        now = time.perf_counter()
        self._shown_times = [t for t in self._shown_times if now - t < 1.0] + [now]
        if self.is_playing():
            self.transport.set_shown_fps(float(len(self._shown_times)))
        self.frame_shown.emit(result.frame)

    def _on_worker_failed(self, frame: int, message: str) -> None:
        self.show_error("Deformation failed", f"Frame {frame} could not be evaluated.\n\n{message}")

    # ================================================================== overlays
    def set_overlay(self, mode: OverlayMode) -> None:
        self._overlay_mode = OverlayMode(mode)
        self.display_panel.set_overlay(self._overlay_mode)
        self._refresh_overlay()

    def set_overlay_zone(self, zone: int) -> None:
        self._overlay_zone = int(zone)
        self.display_panel.set_zone(self._overlay_zone)
        self._refresh_overlay()

    def _refresh_overlay(self) -> None:
        mode = self._overlay_mode
        if self.shown is None:
            return
        base = self.viewport.base_rgb()
        if base is None:
            return
        try:
            rgb, scale = overlay_colors(mode, base, self.engine.zones, self._overlay_zone,
                                        attention=self.shown.attention, motion=self.shown.motion)
        except ValueError as exc:
            self.show_error("Overlay", str(exc))
            self.set_overlay(OverlayMode.NONE)
            return
        self.viewport.set_override_colors(rgb)
        unit, note = "", ""
        if mode is OverlayMode.MOTION:
            # The head is in metres (core.head); animators read millimetres.
            scale, unit = scale * 1000.0, "mm"
        if mode is OverlayMode.ATTENTION:
            if self.shown.driver != "model":
                note = "Needs the EmoZone model driver"
            elif self.shown.attention is None:
                note = "No attention token for this channel"
            else:
                unit = self.engine.attention_channel
        self.legend.set_state(mode, self._overlay_zone, scale, unit, note)

    def _update_driver_items(self) -> None:
        """Grey out the drivers that cannot run, with the reason as the item's tooltip."""
        self.display_panel.set_driver_availability(self.engine.available_drivers(), self.engine.driver)
        self._sync_driver_ui()

    def _sync_driver_ui(self) -> None:
        """View > Driver's checks and greyed-out items follow the engine (the menu may not exist yet)."""
        reasons = self.engine.available_drivers()
        for key, act in getattr(self, "driver_actions", {}).items():
            act.setEnabled(reasons.get(key) is None)
            act.setToolTip(reasons.get(key) or "")
            act.setChecked(key == self.engine.driver)

    def load_model(self, path: str | Path) -> bool:
        """Load an EmoZone checkpoint for the model driver. A bad one (corrupt, another head) gets
        a non-blocking error and the studio goes on with the rig."""
        try:
            self.engine.load_model(path)
        except ValueError as exc:
            self.engine.model_error = str(exc)
            self.engine.driver = "rig"
            self._update_driver_items()
            self.show_error("Model checkpoint", f"The EmoZone model could not be loaded; using the "
                            f"analytic rig.\n\n{exc}")
            self.request_frame(self.current_frame, edit=True)
            return False
        self._update_driver_items()
        self.statusBar().showMessage(f"Loaded model {Path(path).name}", 4000)
        self.request_frame(self.current_frame, edit=True)
        return True

    def open_export_dialog(self):
        """File > Export (Ctrl+E): a non-modal dialog; the export runs off the GUI thread."""
        from .export_dialog import ExportDialog

        if self.export_dialog is not None and self.export_dialog.is_running():
            self.export_dialog.raise_()
            return self.export_dialog
        if self.export_dialog is not None:
            self.export_dialog.deleteLater()
        self.export_dialog = ExportDialog(self)
        self.export_dialog.show()
        return self.export_dialog

    def load_model_dialog(self) -> bool:
        path, _ = QFileDialog.getOpenFileName(self, "Load EmoZone model", "", "Checkpoints (*.safetensors)")
        return self.load_model(path) if path else False

    def set_driver(self, name: str) -> None:
        try:
            self.engine.set_driver(name)
        except ValueError as exc:
            self.show_error("Driver", str(exc))
            self.display_panel.set_driver(self.engine.driver)
            self._sync_driver_ui()
            return
        self.display_panel.set_driver(self.engine.driver)
        self._sync_driver_ui()
        self.statusBar().showMessage(f"Driver: {DRIVER_LABELS[self.engine.driver]}", 3000)
        self._refresh_overlay()
        self.request_frame(self.current_frame, edit=True)

    # ================================================================== transport
    @property
    def current_frame(self) -> int:
        return self.playback.current_frame

    @current_frame.setter
    def current_frame(self, frame: int) -> None:
        self.playback.current_frame = int(frame)

    @property
    def player(self):
        return self.playback.player

    def is_playing(self) -> bool:
        return self.playback.is_playing()

    def toggle_playing(self) -> None:
        self.playback.toggle()

    def set_playing(self, playing: bool) -> None:
        self.playback.set_playing(playing)

    def seek(self, frame: int) -> None:
        self.playback.seek(frame)

    def step(self, delta: int) -> None:
        self.playback.step(delta)

    def _on_playing_changed(self, playing: bool) -> None:
        if playing:
            self._shown_times.clear()
        else:
            self.transport.set_shown_fps(None)
            self._sync_value_box()
        self.transport.set_playing(playing)

    def _on_playhead_moved(self, frame: int) -> None:
        self.transport.set_frame(frame)
        if self.timeline.current_frame() != frame:
            with QSignalBlocker(self.timeline):
                self.timeline.set_current_frame(frame)
        self.au_panel.set_frame(frame)
        if not self.is_playing():
            self._sync_value_box()
        self.request_frame(frame)

    def _on_loop_changed(self, on: bool, first: int, last: int) -> None:
        act = self.actions_by_name["loop"]
        with QSignalBlocker(act):
            act.setChecked(on)
        self.playback.set_loop(on, first, last)

    # ================================================================== files (studio/files.py)
    def show_error(self, title: str, text: str) -> None:
        """A window-modal error box that does not block the event loop (the studio stays up)."""
        self.last_error = text
        self.statusBar().showMessage(text.splitlines()[0], 8000)
        box = QMessageBox(QMessageBox.Critical, title, text, QMessageBox.Ok, self)
        box.setObjectName("error_box")
        box.setAttribute(Qt.WA_DeleteOnClose)
        box.open()
        self.error_shown.emit(text)

    def maybe_save(self) -> bool:
        return self.files.maybe_save()

    def file_new(self) -> bool:
        return self.files.new()

    def file_open(self, path: str | Path | None = None) -> bool:
        return self.files.open(path)

    def open_path(self, path: str | Path, offer_recovery: bool = True) -> bool:
        return self.files.open_path(path, offer_recovery)

    def file_save(self) -> bool:
        return self.files.save()

    def file_save_as(self, path: str | Path | None = None) -> bool:
        return self.files.save_as(path)

    def save_to(self, path: Path) -> bool:
        return self.files.save_to(path)

    # ================================================================== window state
    def _restore_window(self) -> None:
        geometry = self.settings.window_geometry()
        if geometry is not None:
            self.restoreGeometry(geometry)
        else:
            screen = self.screen().availableGeometry() if self.screen() is not None else None
            w, h = DEFAULT_SIZE
            if screen is not None and screen.width() > 0:
                w, h = min(w, screen.width()), min(h, screen.height())
            self.resize(w, h)
        state = self.settings.window_state()
        self._default_docks_pending = state is None
        if state is not None:
            self.restoreState(state)
            self._clamp_pending = True
        else:
            self._default_docks()

    def _default_docks(self) -> None:
        """The first layout, for the window's width: the side docks take about a fifth each (the
        channel list wide enough for its toggles, the AU sliders readable), the viewport and the
        transport the rest; the timeline shows about a dozen lanes."""
        width = max(self.width(), 800)
        left = int(np.clip(0.19 * width, 230, 300))
        right = int(np.clip(0.19 * width, 240, 320))
        self.resizeDocks([self.docks[DOCK_TIMELINE]], [min(280, max(MIN_TIMELINE_PX, self.height() // 3))],
                         Qt.Vertical)
        self.resizeDocks([self.docks[DOCK_CHANNELS], self.docks["display"]], [left, right], Qt.Horizontal)

    def showEvent(self, ev) -> None:
        super().showEvent(ev)
        if getattr(self, "_default_docks_pending", False):
            self._default_docks_pending = False
            QTimer.singleShot(0, self._default_docks)  # sized for the window as it is shown
        if getattr(self, "_clamp_pending", False):
            self._clamp_pending = False
            QTimer.singleShot(0, self._clamp_docks)

    def _clamp_docks(self) -> None:
        """After a restored layout: give the timeline a usable height again."""
        dock = self.docks[DOCK_TIMELINE]
        if dock.isVisible() and not dock.isFloating() and dock.height() < MIN_TIMELINE_PX:
            self.resizeDocks([dock], [max(MIN_TIMELINE_PX, 280)], Qt.Vertical)

    def closeEvent(self, ev) -> None:
        if not self.maybe_save():
            ev.ignore()
            return
        self.settings.save_window(self.saveGeometry(), self.saveState())
        self.settings.sync()
        self.shutdown()
        ev.accept()

    def shutdown(self) -> None:
        if self.export_dialog is not None:
            self.export_dialog.done(0)  # cancels a running export and waits for it
        self.playback.close()
        self.files.stop()
        self.worker.shutdown()
