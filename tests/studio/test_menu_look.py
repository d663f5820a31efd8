"""What a greyed-out menu item looks like: a disabled item must be drawn dimmer than an enabled one
(the theme's style sheet once gave every widget state the same text colour, so Copy Keys with
nothing selected looked as available as Undo)."""
from __future__ import annotations

import numpy as np
from PySide6.QtCore import Qt




def _brightest_text(menu, action) -> float:
    img = menu.grab().toImage().convertToFormat(menu.grab().toImage().Format.Format_RGB32)
    r = menu.actionGeometry(action)
    arr = np.frombuffer(img.constBits(), np.uint8).reshape(img.height(), img.bytesPerLine() // 4, 4).copy()
    box = arr[r.top():r.bottom(), r.left():r.right(), :3].astype(float)
    return float(box.mean(axis=2).max())


def test_disabled_edit_items_are_drawn_dimmer_than_enabled_ones(open_window, qtbot):
    w = open_window()
    w.viewport.setFocus()
    qtbot.keyClick(w.viewport, Qt.Key_K)  # something to undo: Undo is enabled
    bar = w.menuBar()
    top = next(a for a in bar.actions() if a.text().replace("&", "") == "Edit")
    qtbot.mouseClick(bar, Qt.LeftButton, pos=bar.actionGeometry(top).center())
    menu = top.menu()
    qtbot.waitUntil(menu.isVisible, timeout=5000)
    items = {a.text().replace("&", "").split("\t")[0]: a for a in menu.actions() if not a.isSeparator()}
    undo = next(a for t, a in items.items() if t.startswith("Undo"))
    redo = next(a for t, a in items.items() if t.startswith("Redo"))
    assert undo.isEnabled() and not redo.isEnabled()
    enabled, disabled = _brightest_text(menu, undo), _brightest_text(menu, redo)
    menu.close()
    assert disabled < enabled - 40, (enabled, disabled)
