from PySide6.QtCore import Qt

from widgets.transport import TransportBar


def test_setting_the_frame_from_the_studio_does_not_echo_as_a_seek(qtbot):
    bar = TransportBar()
    qtbot.addWidget(bar)
    bar.set_duration(100, 25.0)
    seeks = []
    bar.seek_requested.connect(seeks.append)
    bar.set_frame(50)
    assert seeks == []
    assert bar.slider.value() == 50 and bar.frame_box.value() == 50
    assert bar.time_label.text() == "0:02.00"
    bar.frame_box.setValue(10)  # a user edit does seek
    assert seeks == [10]


def test_play_button_and_loop_range_emit_intents(qtbot):
    bar = TransportBar()
    qtbot.addWidget(bar)
    bar.set_duration(100, 25.0)
    with qtbot.waitSignal(bar.play_toggled) as sig:
        qtbot.mouseClick(bar.play_button, Qt.LeftButton)
    assert sig.args == [True]
    loops = []
    bar.loop_changed.connect(lambda *a: loops.append(a))
    bar.loop_last.setValue(40)
    bar.loop_first.setValue(60)
    bar.loop_check.setChecked(True)
    assert loops[-1] == (True, 40, 60)  # given in either order, reported in order
    bar.set_playing(False)
    assert not bar.play_button.isChecked()


def _alpha(icon, size=18):
    """The icon's alpha channel [H, W] as drawn at its normal size."""
    import numpy as np

    img = icon.pixmap(size, size).toImage().convertToFormat(icon.pixmap(size, size).toImage().Format.Format_ARGB32)
    arr = np.frombuffer(img.constBits(), np.uint8, count=img.sizeInBytes()).reshape(img.height(), img.bytesPerLine())
    # copied while the QImage lives: the buffer view does not keep it alive (read after free)
    return arr[:, : img.width() * 4].reshape(img.height(), img.width(), 4)[:, :, 3].copy()


def test_play_button_shows_painted_pause_and_play_glyphs(qtbot):
    # The pause character (U+23F8) drew as a box in fonts without it: the glyphs are painted icons.
    bar = TransportBar()
    qtbot.addWidget(bar)
    bar.show()
    bar.set_duration(100, 25.0)
    play_icon = bar.play_button.icon()
    assert not play_icon.isNull() and not bar.shows_pause()
    for b in (bar.start_button, bar.back_button, bar.fwd_button, bar.end_button):
        assert not b.icon().isNull() and b.toolButtonStyle() == Qt.ToolButtonIconOnly
    qtbot.mouseClick(bar.play_button, Qt.LeftButton)
    pause_icon = bar.play_button.icon()
    assert not pause_icon.isNull() and bar.shows_pause()
    assert bar.play_button.text() == "Pause"
    a = _alpha(pause_icon)
    mid = a.shape[0] // 2
    row = a[mid] > 128
    # Two solid bars with a clear gap between them: the pause shape, not a box or a triangle.
    runs = (row[1:] & ~row[:-1]).sum() + int(row[0])
    assert runs == 2, row.astype(int)
    assert not (_alpha(play_icon) == a).all()
    bar.set_playing(False)  # the studio stops playback (the end of the take): the Play glyph is back
    assert not bar.shows_pause() and bar.play_button.text() == "Play"
    assert not bar.play_button.isChecked()


def test_readouts_of_a_long_take_are_not_clipped(qtbot):
    """A 30-minute take reads 29:59.96 at its last frame and a 4-hour one 3:59:59.96 / 359999:
    the time label and the frame box are wide enough for them (the text fits the label)."""
    from PySide6.QtWidgets import QStyle, QStyleOptionSpinBox

    bar = TransportBar()
    qtbot.addWidget(bar)
    for frames, fps, text in ((45000, 25.0, "29:59.96"), (360000, 25.0, "3:59:59.96"), (100, 25.0, "0:03.96")):
        bar.set_duration(frames, fps)
        bar.set_frame(frames - 1)
        assert bar.time_label.text() == text
        assert bar.time_label.fontMetrics().horizontalAdvance(text) <= bar.time_label.width() - 2
        opt = QStyleOptionSpinBox()
        bar.frame_box.initStyleOption(opt)
        field = bar.frame_box.style().subControlRect(QStyle.CC_SpinBox, opt, QStyle.SC_SpinBoxEditField,
                                                     bar.frame_box)
        assert bar.frame_box.fontMetrics().horizontalAdvance(str(frames - 1)) <= field.width()
