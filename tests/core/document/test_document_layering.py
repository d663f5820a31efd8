import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[3]


def test_core_anim_and_document_import_no_gui_or_torch():
    code = (
        "import sys, core.anim, core.anim.edit, core.document, core.document.commands, "
        "core.document.openface, core.document.arkit\n"
        "bad = [m for m in ('PySide6', 'pyqtgraph', 'torch', 'sounddevice', 'moderngl') if m in sys.modules]\n"
        "print(bad)\n"
        "sys.exit(1 if bad else 0)\n"
    )
    r = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT)
    assert r.returncode == 0, r.stdout + r.stderr
