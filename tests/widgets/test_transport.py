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
