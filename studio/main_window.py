"""The studio's main window: viewport, transport, dockable panels, menus and the file workflow.

Docking points for the animation panels (filled by ``install_panel``):
    DOCK_TIMELINE  bottom  the dope sheet / curve editor (widgets/timeline.py)
    DOCK_CHANNELS  left    the channel list (widgets/channel_list.py)
    DOCK_AUS       right   the AU sliders (widgets/au_panel.py)
Built-in docks: "Display" (overlay, zone, driver) and "History" (the undo stack).

State flows one way: panels emit intents, the window turns them into core Commands pushed through
the undo bridge; after every change the current frame is re-evaluated on the worker thread.
"""
from __future__ import annotations

import dataclasses
import time
from pathlib import Path

import numpy as np
from PySide6.QtCore import QSignalBlocker, Qt, QTimer, Signal
from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import (
    QComboBox, QDockWidget, QDoubleSpinBox, QFileDialog, QFormLayout, QGridLayout, QLabel, QMainWindow,
    QMessageBox, QToolBar, QUndoView, QVBoxLayout, QWidget,
)

from core.anim.edit import insert_key
from core.aus import AU_FACS_NAMES, AU_MAX, AU_NAMES, SPEECH_NAMES, ZONE_INDEX, ZONES
from core.document import Autosaver, Document, TakeEdit, TakeFileError, find_recovery, load_take
from core.document.project import PROJECT_SUFFIX
from widgets.au_panel import AUPanel
from widgets.channel_list import ChannelList
from widgets.legend import ZONE_LABELS, OverlayLegend
from widgets.timeline import TimelineWidget
from widgets.transport import TransportBar
from widgets.viewport import Viewport
from widgets.zone_overlay import OverlayMode, overlay_colors

from .engine import DRIVER_LABELS, DRIVERS, Engine, FrameResult
from .session import load_clip_for, make_player, sample_take
from .settings import StudioSettings
from .undo import UndoBridge
from .workers import DeformWorker

DOCK_TIMELINE = "timeline"
DOCK_CHANNELS = "channels"
DOCK_AUS = "aus"
APP_TITLE = "EmoZone Studio"
FILE_FILTER = f"EmoZone takes (*{PROJECT_SUFFIX});;All files (*)"
#: GUI clock period during playback (ms): faster than any take's frame rate.
TICK_MS = 10
AUTOSAVE_CHECK_MS = 5000


class MainWindow(QMainWindow):
    """The studio window. ``engine``: an Engine (the default head when None); ``settings``: a
    StudioSettings (tests pass one on a temporary INI file)."""

    frame_shown = Signal(int)       # the frame now in the viewport
    error_shown = Signal(str)       # every message put in front of the user as an error dialog

    def __init__(self, engine: Engine | None = None, settings: StudioSettings | None = None,
                 take=None, autosave_interval_s: float = 60.0):
        super().__init__()
        self.setObjectName("main_window")
        self.settings = settings or StudioSettings()
        self.engine = engine or Engine()
        self.document = Document(take if take is not None else sample_take())
        self.undo = UndoBridge(self.document, self)
        self.autosaver = Autosaver(self.document, interval_s=autosave_interval_s)
        self.worker = DeformWorker(self.engine, self)
        self.player = None
        self.current_frame = 0
        self.shown: FrameResult | None = None
        self.last_error: str | None = None
        self._requested: tuple[int, int] | None = None
        self._play_origin = 0
        self._loop = (False, 0, 0)
        self._shown_times: list[float] = []
        self._overlay_mode = OverlayMode.NONE
        self._overlay_zone = ZONE_INDEX["mouth"]
        self._edit_times: dict[int, float] = {}
        self.edit_latencies: list[float] = []
        self.docks: dict[str, QDockWidget] = {}
        self.export_dialog = None

        self._build_central()
        self._build_docks()
        self._build_actions()
        self._build_menus()
        self._build_key_bar()
        self.set_current_channel(self.channel_combo.currentData())
        self.statusBar().showMessage("Ready")
        self._engine_label = QLabel(" · ".join(self.engine.notes))
        self._engine_label.setObjectName("engine_notes")
        self.statusBar().addPermanentWidget(self._engine_label)

        self.worker.frame_ready.connect(self._on_frame_ready)
        self.worker.failed.connect(self._on_worker_failed)
        self.undo.changed.connect(self._on_document_changed)

        self._tick = QTimer(self)
        self._tick.setInterval(TICK_MS)
        self._tick.setTimerType(Qt.PreciseTimer)
        self._tick.timeout.connect(self._on_tick)
        self._autosave_timer = QTimer(self)
        self._autosave_timer.setInterval(AUTOSAVE_CHECK_MS)
        self._autosave_timer.timeout.connect(self._on_autosave_tick)
        self._autosave_timer.start()

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
        self.viewport.frame_drawn.connect(self._on_painted)
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
        self._dock(DOCK_CHANNELS, "Channels", Qt.LeftDockWidgetArea, self._make_channel_list())
        self._dock(DOCK_TIMELINE, "Timeline", Qt.BottomDockWidgetArea, self._make_timeline())
        self._dock(DOCK_AUS, "Action Units", Qt.RightDockWidgetArea, self._make_au_panel())

        display = QWidget()
        form = QFormLayout(display)
        form.setContentsMargins(8, 8, 8, 8)
        self.overlay_combo = QComboBox(display)
        self.overlay_combo.setObjectName("overlay_mode")
        for m in OverlayMode:
            self.overlay_combo.addItem(m.label, m.value)
        self.zone_combo = QComboBox(display)
        self.zone_combo.setObjectName("overlay_zone")
        for z in ZONES:
            self.zone_combo.addItem(ZONE_LABELS[z], z)
        self.zone_combo.setCurrentIndex(self._overlay_zone)
        self.driver_combo = QComboBox(display)
        self.driver_combo.setObjectName("driver")
        for d in DRIVERS:
            self.driver_combo.addItem(DRIVER_LABELS[d], d)
        self._update_driver_items()
        form.addRow("Overlay", self.overlay_combo)
        form.addRow("Zone", self.zone_combo)
        form.addRow("Driver", self.driver_combo)
        self.eval_label = QLabel("—")
        self.eval_label.setObjectName("eval_time")
        form.addRow("Frame eval", self.eval_label)
        self.overlay_combo.currentIndexChanged.connect(
            lambda _i: self.set_overlay(OverlayMode(self.overlay_combo.currentData())))
        self.zone_combo.currentIndexChanged.connect(lambda i: self.set_overlay_zone(i))
        self.driver_combo.currentIndexChanged.connect(lambda _i: self.set_driver(self.driver_combo.currentData()))
        self._dock("display", "Display", Qt.RightDockWidgetArea, display)

        self.undo_view = QUndoView(self.undo.stack)
        self.undo_view.setEmptyLabel("<original>")
        self._dock("history", "History", Qt.RightDockWidgetArea, self.undo_view)
        self.tabifyDockWidget(self.docks[DOCK_AUS], self.docks["history"])
        self.docks[DOCK_AUS].raise_()

    def _make_channel_list(self) -> QWidget:
        cl = self.channel_list = ChannelList()
        cl.setObjectName("channel_list")
        cl.flag_requested.connect(self._on_flag_requested)
        cl.visibility_changed.connect(self._on_visibility_changed)
        cl.channel_clicked.connect(self.set_current_channel)
        return cl

    def _make_au_panel(self) -> QWidget:
        panel = self.au_panel = AUPanel()
        panel.setObjectName("au_panel")
        panel.key_set_requested.connect(self._on_au_key)
        return panel

    def _make_timeline(self) -> QWidget:
        tl = self.timeline = TimelineWidget()
        tl.setObjectName("timeline")
        tl.current_frame_changed.connect(self.seek)
        tl.scrubbed.connect(self._on_scrub)
        tl.active_channel_changed.connect(self.set_current_channel)
        tl.keys_insert_requested.connect(self._on_keys_insert)
        tl.keys_delete_requested.connect(self._on_keys_delete)
        tl.keys_moved_preview.connect(self._on_keys_moved)
        tl.keys_move_committed.connect(self._on_keys_moved)
        tl.keys_move_cancelled.connect(self._on_keys_move_cancelled)
        self._drag_bases: dict[int, object] = {}
        return tl

    # -- channel list and AU panel intents -> core commands
    def _on_flag_requested(self, channel: str, flag: str, on: bool) -> None:
        take = self.document.take
        curve = dataclasses.replace(take.curves[channel], **{flag: bool(on)})
        verb = {"mute": "Mute", "solo": "Solo", "lock": "Lock"}[flag]
        self.push_edit(f"{verb if on else 'Un' + verb.lower()} {channel}", take.with_curve(channel, curve))

    def _on_visibility_changed(self, channel: str, visible: bool) -> None:
        self.timeline.set_channel_visible(channel, visible)

    def _on_au_key(self, au: str, frame: int, value: float, edit_id: int) -> None:
        """Set or insert a key at the panel's frame; the steps of one slider drag merge."""
        take = self.document.take
        curve = insert_key(take.curves[au], float(frame), float(value))
        self.push_edit(f"Set {au} @ {frame}", take.with_curve(au, curve), merge_id=("au_slider", edit_id))

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

    def _on_scrub(self, frame: int) -> None:
        if self.player is not None:
            self.player.scrub(frame / self.document.take.fps)

    # -- timeline intents -> core commands
    def _on_keys_insert(self, items) -> None:
        take = self.document.take
        curves = {}
        for channel, frame, value in items:
            curves[channel] = insert_key(curves.get(channel, take.curves[channel]), float(frame), float(value))
        names = ", ".join(sorted(curves))
        self.push_edit(f"Insert key {names}", take.with_curves(curves))

    def _on_keys_delete(self, selection) -> None:
        from core.anim.edit import delete_keys

        take = self.document.take
        curves = {ch: delete_keys(take.curves[ch], idx) for ch, idx in selection.items() if idx}
        if curves:
            self.push_edit("Delete keys", take.with_curves(curves))

    def _on_keys_moved(self, drag_id: int, selection, dframe: float, dvalues) -> None:
        """A drag's previews and its commit merge into one undo step, always measured from the
        take as it was when the drag began."""
        from core.anim.edit import move_keys

        base = self._drag_bases.setdefault(drag_id, self.document.take)
        curves = {ch: move_keys(base.curves[ch], idx, float(dframe), float((dvalues or {}).get(ch, 0.0)))
                  for ch, idx in selection.items() if idx}
        self.push_edit("Move keys", base.with_curves(curves), merge_id=("drag", drag_id))

    def _on_keys_move_cancelled(self, drag_id: int) -> None:
        base = self._drag_bases.pop(drag_id, None)
        if base is not None and self.document.take is not base:
            self.push_edit("Move keys", base, merge_id=("drag", drag_id))  # merges to nothing

    def install_panel(self, key: str, widget: QWidget) -> QDockWidget:
        """Put a panel into one of the docking points (DOCK_TIMELINE, DOCK_CHANNELS, DOCK_AUS)."""
        dock = self.docks[key]
        old = dock.widget()
        dock.setWidget(widget)
        if old is not None:
            old.deleteLater()
        return dock

    def _action(self, text: str, slot, shortcut=None, name: str | None = None, checkable=False) -> QAction:
        act = QAction(text, self)
        if shortcut is not None:
            act.setShortcuts(shortcut if isinstance(shortcut, list) else [QKeySequence(shortcut)])
        act.setCheckable(checkable)
        if checkable:
            act.toggled.connect(slot)
        else:
            act.triggered.connect(lambda _checked=False: slot())
        act.setObjectName(name or text.lower().replace(" ", "_").replace(".", ""))
        self.addAction(act)
        return act

    def _build_actions(self) -> None:
        a = self.actions_by_name = {}
        a["new"] = self._action("&New", self.file_new, QKeySequence.New, "new")
        a["open"] = self._action("&Open…", self.file_open, QKeySequence.Open, "open")
        a["save"] = self._action("&Save", self.file_save, QKeySequence.Save, "save")
        a["save_as"] = self._action("Save &As…", self.file_save_as, QKeySequence("Ctrl+Shift+S"), "save_as")
        a["quit"] = self._action("&Quit", self.close, QKeySequence.Quit, "quit")
        undo = self.undo.stack.createUndoAction(self, "&Undo")
        undo.setShortcut(QKeySequence("Ctrl+Z"))
        undo.setObjectName("undo")
        redo = self.undo.stack.createRedoAction(self, "&Redo")
        redo.setShortcuts([QKeySequence("Ctrl+Shift+Z"), QKeySequence("Ctrl+Y")])
        redo.setObjectName("redo")
        for act in (undo, redo):
            self.addAction(act)
        a["undo"], a["redo"] = undo, redo
        a["play"] = self._action("&Play / Pause", self.toggle_playing, QKeySequence(Qt.Key_Space), "play")
        a["next"] = self._action("&Next Frame", lambda: self.step(1), QKeySequence(Qt.Key_Right), "next_frame")
        a["prev"] = self._action("P&revious Frame", lambda: self.step(-1), QKeySequence(Qt.Key_Left), "prev_frame")
        a["first"] = self._action("&First Frame", lambda: self.seek(0), QKeySequence("Shift+Left"), "first_frame")
        a["last"] = self._action("&Last Frame", lambda: self.seek(self.document.take.duration - 1),
                                 QKeySequence("Shift+Right"), "last_frame")
        a["loop"] = self._action("L&oop Range", lambda on: self.transport.loop_check.setChecked(on),
                                 QKeySequence("L"), "loop", checkable=True)
        a["frame"] = self._action("&Frame Head", self.viewport.frame_all, [QKeySequence("F"), QKeySequence("Home")],
                                  "frame_head")
        a["front"] = self._action("Fr&ont View", self.viewport.front_view, QKeySequence("1"), "front_view")
        a["side"] = self._action("&Side View", self.viewport.side_view, QKeySequence("3"), "side_view")
        a["key"] = self._action("Insert &Key", self.insert_key_here, QKeySequence("K"), "insert_key")
        a["load_model"] = self._action("Load &Model…", self.load_model_dialog, None, "load_model")
        a["export"] = self._action("&Export…", self.open_export_dialog, QKeySequence("Ctrl+E"), "export")
        # Shortcuts of the window act while any panel has focus.
        for act in self.actions_by_name.values():
            act.setShortcutContext(Qt.WindowShortcut)

    def _build_menus(self) -> None:
        a = self.actions_by_name
        mb = self.menuBar()
        f = mb.addMenu("&File")
        f.addActions([a["new"], a["open"]])
        self.recent_menu = f.addMenu("Open &Recent")
        self.recent_menu.setObjectName("recent_menu")
        f.addSeparator()
        f.addActions([a["save"], a["save_as"]])
        f.addSeparator()
        f.addAction(a["export"])
        f.addAction(a["load_model"])
        f.addSeparator()
        f.addAction(a["quit"])
        e = mb.addMenu("&Edit")
        e.addActions([a["undo"], a["redo"]])
        e.addSeparator()
        e.addAction(a["key"])
        v = mb.addMenu("&View")
        v.addActions([a["frame"], a["front"], a["side"]])
        v.addSeparator()
        overlay = v.addMenu("&Overlay")
        for i, m in enumerate(OverlayMode):
            act = overlay.addAction(m.label)
            act.triggered.connect(lambda _c=False, i=i: self.overlay_combo.setCurrentIndex(i))
        v.addSeparator()
        panels = v.addMenu("&Panels")
        for dock in self.docks.values():
            panels.addAction(dock.toggleViewAction())
        p = mb.addMenu("&Playback")
        p.addActions([a["play"], a["prev"], a["next"], a["first"], a["last"], a["loop"]])
        self._rebuild_recent_menu()

    def _build_key_bar(self) -> None:
        """A compact keying strip: channel, value, insert key (K) at the current frame."""
        bar = QToolBar("Keying", self)
        bar.setObjectName("keying_bar")
        bar.setMovable(False)
        self.channel_combo = QComboBox(bar)
        self.channel_combo.setObjectName("key_channel")
        for name in AU_NAMES:
            self.channel_combo.addItem(f"{name}  {AU_FACS_NAMES[name]}", name)
        for name in SPEECH_NAMES:
            self.channel_combo.addItem(name.replace("_", " "), name)
        self.channel_combo.setCurrentIndex(AU_NAMES.index("AU12"))
        self.value_box = QDoubleSpinBox(bar)
        self.value_box.setObjectName("key_value")
        self.value_box.setDecimals(2)
        self.value_box.setSingleStep(0.25)
        self.value_box.setRange(0.0, AU_MAX)
        self.value_box.setValue(AU_MAX)
        self.channel_combo.currentIndexChanged.connect(self._on_key_channel_changed)
        bar.addWidget(QLabel(" Channel "))
        bar.addWidget(self.channel_combo)
        bar.addWidget(QLabel("  Value "))
        bar.addWidget(self.value_box)
        bar.addAction(self.actions_by_name["key"])
        self.addToolBar(Qt.TopToolBarArea, bar)

    def _on_key_channel_changed(self, _i: int) -> None:
        name = self.channel_combo.currentData()
        self.value_box.setRange(0.0, AU_MAX if name in AU_NAMES else 1.0)
        self.set_current_channel(name)

    # ================================================================== document state
    @property
    def take(self):
        return self.document.take

    def _load_take_state(self, reset_view: bool = True) -> None:
        """Push the document's take into the widgets (signals blocked) and reopen its audio."""
        take = self.document.take
        self.transport.set_duration(take.duration, take.fps)
        self.current_frame = min(self.current_frame, take.duration - 1)
        self.transport.set_frame(self.current_frame)
        self.transport.set_shown_fps(None)
        if self.player is not None:
            self.player.close()
        project_dir = self.document.path.parent if self.document.path else None
        clip, problem = load_clip_for(take, project_dir)
        self.clip = clip
        self.player = make_player(clip)
        has_audio = take.audio is not None and problem is None
        self.engine.set_audio(clip if has_audio else None)
        self.timeline.set_audio(clip.samples if has_audio else None, clip.sample_rate,
                                take.audio.offset if has_audio else 0.0)
        if problem:
            self.show_error("Audio", f"The take's audio could not be loaded; playing silently.\n\n{problem}")
        self._sync_timeline()
        if reset_view:
            self.viewport.set_orbit(take.camera.to_orbit()) if take.camera.distance != 1.0 else self.viewport.frame_all()
        self._update_title()

    def _update_title(self) -> None:
        dirty = "*" if self.document.is_dirty else ""
        self.setWindowTitle(f"{APP_TITLE} - {self.document.take.name}{dirty}")

    def _sync_timeline(self) -> None:
        """Hand the document's take to every panel (signals blocked: this is the model talking)."""
        take = self.document.take
        with QSignalBlocker(self.timeline):
            self.timeline.set_take(take)
            self.timeline.set_current_frame(self.current_frame)
        self.channel_list.set_take(take)
        self.au_panel.set_take(take)
        self.au_panel.set_frame(self.current_frame)

    def _on_document_changed(self) -> None:
        self._update_title()
        self._sync_timeline()
        self.request_frame(self.current_frame, edit=True)

    def push_edit(self, text: str, after, merge_id=None) -> None:
        """Every change of the take comes through here (as a core TakeEdit on the undo bridge)."""
        before = self.document.take
        self.undo.push(TakeEdit(text, before, after, merge_id))

    def insert_key_here(self) -> None:
        channel = self.channel_combo.currentData()
        value = float(self.value_box.value())
        take = self.document.take
        curve = insert_key(take.curves[channel], float(self.current_frame), value)
        self.push_edit(f"Insert key {channel} @ {self.current_frame}", take.with_curve(channel, curve))
        self.statusBar().showMessage(f"Key {channel} = {value:g} at frame {self.current_frame}", 3000)

    # ================================================================== frames
    def request_frame(self, frame: int, edit: bool = False) -> None:
        frame = int(np.clip(frame, 0, self.document.take.duration - 1))
        revision = self.document.history.revision
        if self._requested == (frame, revision) and not edit:
            return
        self._requested = (frame, revision)
        if edit:
            self._edit_times[revision] = time.perf_counter()
        self.worker.request(self.document.take, frame, revision)

    def _on_frame_ready(self, result: FrameResult) -> None:
        if result.revision < self.document.history.revision:
            return  # an edit arrived since; a newer result is on its way
        self.shown = result
        self.viewport.set_splats(result.splats)
        self._refresh_overlay()
        t_edit = self._edit_times.pop(result.revision, None)
        if t_edit is not None:
            self.edit_latencies.append(time.perf_counter() - t_edit)
        self.eval_label.setText(f"{result.seconds * 1000:.0f} ms")
        now = time.perf_counter()
        self._shown_times = [t for t in self._shown_times if now - t < 1.0] + [now]
        if self.is_playing():
            self.transport.set_shown_fps(float(len(self._shown_times)))
        self.frame_shown.emit(result.frame)

    def _on_painted(self, _n: int) -> None:
        pass

    def _on_worker_failed(self, frame: int, message: str) -> None:
        self.show_error("Deformation failed", f"Frame {frame} could not be evaluated.\n\n{message}")

    # ================================================================== overlays
    def set_overlay(self, mode: OverlayMode) -> None:
        self._overlay_mode = OverlayMode(mode)
        with QSignalBlocker(self.overlay_combo):
            self.overlay_combo.setCurrentIndex(list(OverlayMode).index(self._overlay_mode))
        self._refresh_overlay()

    def set_overlay_zone(self, zone: int) -> None:
        self._overlay_zone = int(zone)
        with QSignalBlocker(self.zone_combo):
            self.zone_combo.setCurrentIndex(self._overlay_zone)
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
        unit = "" if mode is not OverlayMode.MOTION else "units"
        note = ""
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
        available = self.engine.available_drivers()
        with QSignalBlocker(self.driver_combo):
            for i, d in enumerate(DRIVERS):
                reason = available.get(d)
                item = self.driver_combo.model().item(i)
                item.setEnabled(not reason)
                item.setToolTip(reason or "")
            self.driver_combo.setCurrentIndex(DRIVERS.index(self.engine.driver))

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
            with QSignalBlocker(self.driver_combo):
                self.driver_combo.setCurrentIndex(DRIVERS.index(self.engine.driver))
            return
        with QSignalBlocker(self.driver_combo):
            self.driver_combo.setCurrentIndex(DRIVERS.index(self.engine.driver))
        self._refresh_overlay()
        self.request_frame(self.current_frame, edit=True)

    # ================================================================== transport
    def is_playing(self) -> bool:
        return self._tick.isActive()

    def toggle_playing(self) -> None:
        self.set_playing(not self.is_playing())

    def set_playing(self, playing: bool) -> None:
        if playing == self.is_playing():
            self.transport.set_playing(playing)
            return
        take = self.document.take
        if playing:
            on, first, last = self._loop
            if on and not first <= self.current_frame <= last:
                self.current_frame = first
            elif self.current_frame >= take.duration - 1:
                self.current_frame = 0
            self._apply_player_loop()
            self.player.seek(self.current_frame / take.fps)
            self.player.play()
            self._shown_times.clear()
            self._tick.start()
        else:
            self._tick.stop()
            self.player.pause()
            self.transport.set_shown_fps(None)
        self.transport.set_playing(playing)

    def _apply_player_loop(self) -> None:
        on, first, last = self._loop
        fps = self.document.take.fps
        if on:
            self.player.set_loop(first / fps, (last + 1) / fps)
        else:
            self.player.set_loop(None)

    def _on_loop_changed(self, on: bool, first: int, last: int) -> None:
        self._loop = (on, first, last)
        act = self.actions_by_name["loop"]
        with QSignalBlocker(act):
            act.setChecked(on)
        if self.player is not None:
            self._apply_player_loop()

    def _on_tick(self) -> None:
        """Follow the audio clock: show the frame being heard, dropping any the worker missed."""
        take = self.document.take
        t = self.player.position_seconds()
        frame = int(np.floor(t * take.fps + 1e-6))
        on, first, last = self._loop
        if not on and frame >= take.duration:
            self._show_frame(take.duration - 1)
            self.set_playing(False)
            return
        if on:
            frame = int(np.clip(frame, first, last))
        self._show_frame(min(frame, take.duration - 1))

    def _show_frame(self, frame: int) -> None:
        if frame != self.current_frame:
            self.current_frame = frame
            self.transport.set_frame(frame)
            with QSignalBlocker(self.timeline):
                self.timeline.set_current_frame(frame)
            self.au_panel.set_frame(frame)
        self.request_frame(frame)

    def seek(self, frame: int) -> None:
        frame = int(np.clip(frame, 0, self.document.take.duration - 1))
        self.current_frame = frame
        self.transport.set_frame(frame)
        if self.timeline.current_frame() != frame:
            with QSignalBlocker(self.timeline):
                self.timeline.set_current_frame(frame)
        self.au_panel.set_frame(frame)
        if self.player is not None:
            self.player.seek(frame / self.document.take.fps)
        self.request_frame(frame)

    def step(self, delta: int) -> None:
        if self.is_playing():
            self.set_playing(False)
        self.seek(self.current_frame + int(delta))

    # ================================================================== files
    def show_error(self, title: str, text: str) -> None:
        """A window-modal error box that does not block the event loop (the studio stays up)."""
        self.last_error = text
        self.statusBar().showMessage(text.splitlines()[0], 8000)
        box = QMessageBox(QMessageBox.Critical, title, text, QMessageBox.Ok, self)
        box.setObjectName("error_box")
        box.setAttribute(Qt.WA_DeleteOnClose)
        box.open()
        self.error_shown.emit(text)

    def ask_unsaved(self) -> QMessageBox.StandardButton:
        """Save / Discard / Cancel for a take with unsaved changes (blocking, as a prompt must be)."""
        box = QMessageBox(QMessageBox.Warning, "Unsaved changes",
                          f"The take “{self.document.take.name}” has unsaved changes.",
                          QMessageBox.Save | QMessageBox.Discard | QMessageBox.Cancel, self)
        box.setObjectName("unsaved_box")
        box.setInformativeText("Save them before continuing?")
        box.setDefaultButton(QMessageBox.Save)
        return QMessageBox.StandardButton(box.exec())

    def maybe_save(self) -> bool:
        """True when it is fine to drop the current document."""
        if not self.document.is_dirty:
            return True
        answer = self.ask_unsaved()
        if answer == QMessageBox.Save:
            return self.file_save()
        return answer == QMessageBox.Discard

    def _set_document(self, document: Document) -> None:
        self.set_playing(False)
        self.document = document
        self.autosaver = Autosaver(document, interval_s=self.autosaver.interval_s)
        self.undo.set_document(document)
        self.current_frame = 0
        self._load_take_state(reset_view=True)
        self.request_frame(0, edit=True)

    def file_new(self) -> bool:
        if not self.maybe_save():
            return False
        from core.anim import Take

        take = Take(name="Untitled", fps=25.0, duration=250)
        self._set_document(Document(take))
        return True

    def file_open(self, path: str | Path | None = None) -> bool:
        if not self.maybe_save():
            return False
        if path is None:
            path, _ = QFileDialog.getOpenFileName(self, "Open take", "", FILE_FILTER)
            if not path:
                return False
        return self.open_path(path)

    def open_path(self, path: str | Path, offer_recovery: bool = True) -> bool:
        """Open a take file; a bad file gets an error dialog and leaves the current take as it was."""
        path = Path(path)
        source = path
        recovery = find_recovery(path) if offer_recovery else None
        if recovery is not None and self.ask_recover(path, recovery):
            source = recovery
        try:
            take = load_take(source)
            saved = load_take(path) if source is not path and path.exists() else None
        except (TakeFileError, OSError, ValueError) as exc:
            self.show_error("Cannot open take", str(exc) if isinstance(exc, TakeFileError)
                            else f"{path}: {exc}")
            if not path.exists():
                self._rebuild_recent_menu(self.settings.remove_recent(path))
            return False
        if source is path:
            self._set_document(Document(take, path))
        else:
            # The recovered edits are one undoable step on top of the saved file, and unsaved.
            self._set_document(Document(saved if saved is not None else take, path))
            self.undo.push(TakeEdit("Recover autosave", self.document.take, take))
        self._rebuild_recent_menu(self.settings.add_recent(path))
        self.statusBar().showMessage(f"Opened {path}", 4000)
        return True

    def ask_recover(self, path: Path, recovery: Path) -> bool:
        box = QMessageBox(QMessageBox.Question, "Recover autosave",
                          f"An autosave newer than {path.name} was found.",
                          QMessageBox.Yes | QMessageBox.No, self)
        box.setObjectName("recover_box")
        box.setInformativeText("Recover the autosaved edits? (No opens the saved file.)")
        return box.exec() == QMessageBox.Yes

    def file_save(self) -> bool:
        if self.document.path is None:
            return self.file_save_as()
        return self.save_to(self.document.path)

    def file_save_as(self, path: str | Path | None = None) -> bool:
        if path is None:
            path, _ = QFileDialog.getSaveFileName(self, "Save take as", f"{self.document.take.name}{PROJECT_SUFFIX}",
                                                  FILE_FILTER)
            if not path:
                return False
        path = Path(path)
        if path.suffix == "":
            path = path.with_suffix(PROJECT_SUFFIX)
        return self.save_to(path)

    def save_to(self, path: Path) -> bool:
        take = self.document.take
        take = dataclasses.replace(take, camera=type(take.camera).from_orbit(self.viewport.orbit))
        if self.document.path is None or Path(path) != self.document.path:
            take = dataclasses.replace(take, name=Path(path).stem)
        self.document.take = take  # name and camera are saved state, not undoable edits
        try:
            self.document.save(path)
        except (OSError, ValueError) as exc:
            self.show_error("Cannot save take", f"{path}: {exc}")
            return False
        self.undo.mark_clean()
        self._rebuild_recent_menu(self.settings.add_recent(path))
        self._update_title()
        self.statusBar().showMessage(f"Saved {path}", 4000)
        return True

    def _rebuild_recent_menu(self, files: list[str] | None = None) -> None:
        files = self.settings.recent_files() if files is None else files
        self.recent_menu.clear()
        for f in files:
            act = self.recent_menu.addAction(Path(f).name)
            act.setToolTip(f)
            act.setData(f)
            act.triggered.connect(lambda _c=False, f=f: self.file_open(f))
        self.recent_menu.setEnabled(bool(files))

    def _on_autosave_tick(self) -> None:
        try:
            written = self.autosaver.tick(time.monotonic())
        except (OSError, ValueError) as exc:
            self.statusBar().showMessage(f"Autosave failed: {exc}", 8000)
            return
        if written is not None:
            self.statusBar().showMessage(f"Autosaved to {written.name}", 3000)

    # ================================================================== window state
    def _restore_window(self) -> None:
        geometry = self.settings.window_geometry()
        if geometry is not None:
            self.restoreGeometry(geometry)
        else:
            self.resize(1440, 900)
        state = self.settings.window_state()
        if state is not None:
            self.restoreState(state)
        else:
            # The viewport gets most of the height; the timeline shows about a dozen lanes.
            self.resizeDocks([self.docks[DOCK_TIMELINE]], [280], Qt.Vertical)
            self.resizeDocks([self.docks[DOCK_CHANNELS], self.docks["display"]], [290, 300], Qt.Horizontal)

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
        self._tick.stop()
        self._autosave_timer.stop()
        self.worker.shutdown()
        if self.player is not None:
            self.player.close()
            self.player = None
