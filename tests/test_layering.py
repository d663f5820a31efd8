"""The import contract of ARCHITECTURE.md: core has no Qt, widgets have no torch, nothing imports studio."""
import ast
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def imported_modules(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(), filename=str(path))
    names = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(a.name.split(".")[0] for a in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module.split(".")[0])
    return names


def offenders(package: str, forbidden: set[str]) -> list[str]:
    bad = []
    for path in sorted((ROOT / package).rglob("*.py")):
        hit = imported_modules(path) & forbidden
        if hit:
            bad.append(f"{path.relative_to(ROOT)} imports {', '.join(sorted(hit))}")
    return bad


def test_core_imports_no_qt():
    assert offenders("core", {"PySide6", "pyqtgraph", "shiboken6", "studio", "widgets"}) == []


def test_widgets_import_no_torch():
    assert offenders("widgets", {"torch", "gsplat", "studio"}) == []


def test_the_layering_check_itself_catches_a_violation(tmp_path):
    bad = tmp_path / "x.py"
    bad.write_text("import os\nfrom PySide6.QtCore import QObject\n")
    assert "PySide6" in imported_modules(bad)


def test_help_is_light():
    code = (
        "import sys, main; main.build_parser(main._commands()).format_help();"
        "heavy = [m for m in ('torch', 'av', 'moderngl', 'PySide6', 'gsplat') if m in sys.modules];"
        "print(','.join(heavy))"
    )
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "", f"main.py --help imports heavy modules: {out.stdout}"
