"""The window's QActions (one table: name, text, shortcut, what it does), its menus and the
keying strip. Shortcuts act while any panel of the window has focus (Qt.WindowShortcut), the
number boxes of the window's own bars included (``NumberBoxKeys``)."""
from __future__ import annotations

from PySide6.QtCore import QEvent, QObject, Qt
from PySide6.QtGui import QAction, QActionGroup, QKeySequence
from PySide6.QtWidgets import (
    QAbstractSpinBox, QApplication, QComboBox, QDoubleSpinBox, QLabel, QLineEdit, QToolBar, QWidget,
)

from core.aus import AU_FACS_NAMES, AU_MAX, AU_NAMES, SPEECH_NAMES
from widgets.timeline.keymap import action_for_key
from widgets.zone_overlay import OverlayMode


def make_action(win, text: str, slot, shortcut=None, name: str | None = None, checkable=False) -> QAction:
    act = QAction(text, win)
    if shortcut is not None:
        act.setShortcuts(shortcut if isinstance(shortcut, list) else [QKeySequence(shortcut)])
    act.setCheckable(checkable)
    if checkable:
        act.toggled.connect(slot)
    else:
        act.triggered.connect(lambda _checked=False: slot())
    act.setObjectName(name or text.lower().replace(" ", "_").replace(".", ""))
    win.addAction(act)
    return act


def action_table(win) -> list[tuple]:
    """(key, text, slot, shortcut, object name, checkable) for every plain action of the window."""
    return [
        ("new", "&New", win.file_new, QKeySequence.New, "new", False),
        ("open", "&Open…", win.file_open, QKeySequence.Open, "open", False),
        ("new_from_audio", "New From &Audio…", lambda: win.files.new_from_audio(), QKeySequence("Ctrl+Shift+N"),
         "new_from_audio", False),
        ("import_audio", "&Import Audio…", lambda: win.files.import_audio(), QKeySequence("Ctrl+I"),
         "import_audio", False),
        ("import_curves", "Import AU &Curves…", lambda: win.files.import_curves(), QKeySequence("Ctrl+Shift+I"),
         "import_curves", False),
        ("save", "&Save", win.file_save, QKeySequence.Save, "save", False),
        ("save_as", "Save &As…", win.file_save_as, QKeySequence("Ctrl+Shift+S"), "save_as", False),
        ("quit", "&Quit", win.close, QKeySequence.Quit, "quit", False),
        ("play", "&Play / Pause", win.toggle_playing, QKeySequence(Qt.Key_Space), "play", False),
        ("next", "&Next Frame", lambda: win.step(1), QKeySequence(Qt.Key_Right), "next_frame", False),
        ("prev", "P&revious Frame", lambda: win.step(-1), QKeySequence(Qt.Key_Left), "prev_frame", False),
        ("first", "&First Frame", lambda: win.seek(0), QKeySequence("Shift+Left"), "first_frame", False),
        ("last", "&Last Frame", lambda: win.seek(win.document.take.duration - 1),
         QKeySequence("Shift+Right"), "last_frame", False),
        ("loop", "L&oop Range", lambda on: win.transport.loop_check.setChecked(on), QKeySequence("L"), "loop", True),
        ("frame", "&Frame Head", win.viewport.frame_all, [QKeySequence("F"), QKeySequence("Home")],
         "frame_head", False),
        ("front", "Fr&ont View", win.viewport.front_view, QKeySequence("1"), "front_view", False),
        ("side", "&Side View", win.viewport.side_view, QKeySequence("3"), "side_view", False),
        ("key", "Insert Strip &Key", win.insert_key_here, QKeySequence("K"), "insert_key", False),
        ("load_model", "Load &Model…", win.load_model_dialog, None, "load_model", False),
        ("export", "&Export…", win.open_export_dialog, QKeySequence("Ctrl+E"), "export", False),
    ]


def build_actions(win) -> dict[str, QAction]:
    a: dict[str, QAction] = {}
    # Undo / Redo follow the core History (studio/undo.py): their text is what they will do.
    a["undo"], a["redo"] = win.undo.undo_action, win.undo.redo_action
    win.addActions([a["undo"], a["redo"]])
    for key, text, slot, shortcut, name, checkable in action_table(win):
        a[key] = make_action(win, text, slot, shortcut, name, checkable)
    for act in a.values():
        act.setShortcutContext(Qt.WindowShortcut)
    return a


def build_menus(win) -> None:
    a = win.actions_by_name
    mb = win.menuBar()
    f = mb.addMenu("&File")
    f.addActions([a["new"], a["new_from_audio"], a["open"]])
    recent = f.addMenu("Open &Recent")
    recent.setObjectName("recent_menu")
    f.addActions([a["import_audio"], a["import_curves"]])
    f.addSeparator()
    f.addActions([a["save"], a["save_as"]])
    f.addSeparator()
    f.addAction(a["export"])
    f.addAction(a["load_model"])
    f.addSeparator()
    f.addAction(a["quit"])
    e = mb.addMenu("&Edit")
    e.setObjectName("edit_menu")
    e.addActions([a["undo"], a["redo"]])
    e.addSeparator()
    # The timeline's own actions (same QAction objects, so the menu shows their shortcuts; they
    # act on the timeline's selection and playhead whether or not it has focus).
    tl = win.timeline.edit_actions
    e.addActions([tl["copy"], tl["paste"], tl["delete"], tl["select_all"]])
    e.addSeparator()
    e.addActions([a["key"], tl["insert"]])
    v = mb.addMenu("&View")
    v.addActions([a["frame"], a["front"], a["side"]])
    v.addSeparator()
    overlay = v.addMenu("&Overlay")
    for mode in OverlayMode:
        act = overlay.addAction(mode.label)
        act.triggered.connect(lambda _c=False, m=mode: win.set_overlay(m))
    v.addSeparator()
    build_driver_menu(win, v.addMenu("&Driver"))
    v.addSeparator()
    panels = v.addMenu("&Panels")
    for dock in win.docks.values():
        panels.addAction(dock.toggleViewAction())
    p = mb.addMenu("&Playback")
    p.addActions([a["play"], a["prev"], a["next"], a["first"], a["last"], a["loop"]])
    from studio.lipsync_ui import LipSyncUi

    win.lipsync_ui = LipSyncUi(win)
    win.lipsync_ui.build_menu(mb)
    win.files.attach_recent_menu(recent)


def add_choice_actions(win, menu, choices, prefix: str, choose) -> dict[str, QAction]:
    """One checkable item per (key, text) of ``choices`` in ``menu``, exclusive; a click calls
    choose(key). Object names are ``<prefix>_<key>``. Returns {key: QAction}."""
    group = QActionGroup(win)
    group.setExclusive(True)
    out = {}
    for key, text in choices:
        act = menu.addAction(text)
        act.setObjectName(f"{prefix}_{key}")
        act.setCheckable(True)
        group.addAction(act)
        act.triggered.connect(lambda _c=False, k=key: choose(k))
        out[key] = act
    return out


def build_driver_menu(win, menu) -> None:
    """View > Driver: one checkable item per driver (the Display dock's driver box, as a menu);
    MainWindow._sync_driver_ui keeps the checks and the greyed-out items true to the engine."""
    from studio.engine import DRIVER_LABELS, DRIVERS

    menu.setObjectName("driver_menu")
    win.driver_actions = add_choice_actions(win, menu, [(k, DRIVER_LABELS[k]) for k in DRIVERS], "driver",
                                            win.set_driver)
    win._sync_driver_ui()


def build_key_bar(win) -> QToolBar:
    """A compact keying strip: channel, value, insert key (K) at the current frame."""
    bar = QToolBar("Keying", win)
    bar.setObjectName("keying_bar")
    bar.setMovable(False)
    combo = win.channel_combo = QComboBox(bar)
    combo.setObjectName("key_channel")
    for name in AU_NAMES:
        combo.addItem(f"{name}  {AU_FACS_NAMES[name]}", name)
    for name in SPEECH_NAMES:
        combo.addItem(name, name)  # the channel list's and the lane's word (jaw_open)
    combo.setCurrentIndex(AU_NAMES.index("AU12"))
    box = win.value_box = QDoubleSpinBox(bar)
    box.setObjectName("key_value")
    box.setDecimals(2)
    box.setSingleStep(0.25)
    box.setRange(0.0, AU_MAX)
    box.setValue(AU_MAX)
    combo.currentIndexChanged.connect(win._on_key_channel_changed)
    bar.addWidget(QLabel(" Channel "))
    bar.addWidget(combo)
    bar.addWidget(QLabel("  Value "))
    bar.addWidget(box)
    bar.addAction(win.actions_by_name["key"])
    win.addToolBar(Qt.TopToolBarArea, bar)
    return bar


#: Keys a number box keeps (typing, editing and stepping a number); every other key, with any
#: modifier, goes to the window's shortcuts first (Space, K, L, I, F, Ctrl+Z, Ctrl+Shift+Z, Ctrl+Y, ...).
BOX_KEYS = frozenset([*(getattr(Qt, f"Key_{d}") for d in range(10)), Qt.Key_Period, Qt.Key_Comma,
                      Qt.Key_Minus, Qt.Key_Plus, Qt.Key_Backspace, Qt.Key_Delete, Qt.Key_Left, Qt.Key_Right,
                      Qt.Key_Up, Qt.Key_Down, Qt.Key_Home, Qt.Key_End, Qt.Key_PageUp, Qt.Key_PageDown,
                      Qt.Key_Return, Qt.Key_Enter, Qt.Key_Tab, Qt.Key_Backtab, Qt.Key_Escape])
#: Ctrl+key a number box keeps: select all, copy, cut, paste of its text.
BOX_CTRL_KEYS = frozenset([Qt.Key_A, Qt.Key_C, Qt.Key_X, Qt.Key_V])


class NumberBoxKeys(QObject):
    """An event filter on the number boxes of the window's bars (the keying strip's Value, the
    transport's frame and loop boxes): the window's shortcuts win over the box for keys a number
    never needs (``BOX_KEYS`` stay with the box); Return in the keying strip's Value keys the typed
    value (Insert Strip Key). After a key is inserted from a box, ``give_focus_back`` returns the
    focus to where it was before the box took it (the viewport when that is gone)."""

    def __init__(self, win, boxes, key_box=None):
        super().__init__(win)
        self._win = win
        self.boxes = list(boxes)
        self._key_box = key_box
        self._before: QWidget | None = None
        for box in self.boxes:
            box.installEventFilter(self)
            edit = box.lineEdit() if isinstance(box, QAbstractSpinBox) else None
            if edit is not None:
                edit.installEventFilter(self)
        QApplication.instance().focusChanged.connect(self._on_focus_changed)

    def _is_box(self, w) -> bool:
        return w is not None and any(w is b or (isinstance(b, QAbstractSpinBox) and w is b.lineEdit())
                                     for b in self.boxes)

    def _on_focus_changed(self, old, now) -> None:
        if self._is_box(now) and old is not None and not self._is_box(old) and old.window() is self._win:
            self._before = old

    def has_focus(self) -> bool:
        return self._is_box(QApplication.focusWidget())

    def give_focus_back(self) -> None:
        before, target = self._before, self._win.viewport
        try:
            if before is not None and before.isVisible() and before.window() is self._win:
                target = before
        except RuntimeError:  # the widget is gone
            pass
        target.setFocus(Qt.OtherFocusReason)

    def eventFilter(self, obj, ev) -> bool:  # noqa: N802 - Qt's name
        t = ev.type()
        if t == QEvent.ShortcutOverride:
            if not self._box_keeps(ev):
                ev.ignore()  # not taken by the box: the window's shortcut (if any) runs
                return True
            return False
        if t != QEvent.KeyPress:
            return False
        if self._key_box is not None and ev.key() in (Qt.Key_Return, Qt.Key_Enter) \
                and (obj is self._key_box or obj is self._key_box.lineEdit()):
            self._win.insert_key_here()
            return True
        if not self._box_keeps(ev):
            # The timeline's I (Insert Key) is its own shortcut (it acts while the timeline has
            # focus): from a box it acts on the timeline as from the Edit menu.
            act = action_for_key({"insert": self._win.timeline.edit_actions["insert"]}, ev)
            if act is not None and act.isEnabled():
                act.trigger()
                return True
        return False

    @staticmethod
    def _box_keeps(ev) -> bool:
        key, mods = ev.key(), ev.modifiers() & ~Qt.KeypadModifier
        editing = not mods & (Qt.ControlModifier | Qt.AltModifier | Qt.MetaModifier)
        return (editing and key in BOX_KEYS) or (mods == Qt.ControlModifier and key in BOX_CTRL_KEYS)


def install_number_box_keys(win) -> NumberBoxKeys:
    """Every spin box and line edit of the keying strip and the transport."""
    bars = [win.findChild(QToolBar, "keying_bar"), win.transport]
    boxes = [b for bar in bars for b in bar.findChildren(QAbstractSpinBox)]
    boxes += [e for bar in bars for e in bar.findChildren(QLineEdit)
              if not any(isinstance(b, QAbstractSpinBox) and b.lineEdit() is e for b in boxes)]
    return NumberBoxKeys(win, boxes, key_box=win.value_box)
