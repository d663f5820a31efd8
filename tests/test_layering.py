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


# ---------------------------------------------------------------------------- import cycles in core
def core_modules() -> dict[str, Path]:
    """Dotted module name -> file, for every module of core/."""
    out = {}
    for path in sorted((ROOT / "core").rglob("*.py")):
        parts = list(path.relative_to(ROOT).with_suffix("").parts)
        if parts[-1] == "__init__":
            parts = parts[:-1]
        out[".".join(parts)] = path
    return out


def module_imports(path: Path, name: str, known: dict[str, Path]) -> set[str]:
    """The core modules ``path`` imports anywhere (function-level imports too: a lazy import is still a
    dependency), except under ``if TYPE_CHECKING:``, which never runs."""
    tree = ast.parse(path.read_text(), filename=str(path))
    typing_only = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test):
            for child in node.body:
                typing_only.update(id(n) for n in ast.walk(child))

    def resolve(dotted: str) -> str | None:
        while dotted and dotted not in known:
            dotted = dotted.rpartition(".")[0]
        return dotted or None

    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    found = set()
    for node in ast.walk(tree):
        if id(node) in typing_only:
            continue
        if isinstance(node, ast.Import):
            found.update(filter(None, (resolve(a.name) for a in node.names)))
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                up = package.split(".")[:len(package.split(".")) - (node.level - 1)]
                base = ".".join(up + ([base] if base else []))
            for a in node.names:
                sub = f"{base}.{a.name}"
                found.add(resolve(sub) if sub in known else resolve(base))
    found.discard(None)
    found.discard(name)
    return found


def import_cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected groups of more than one module (Tarjan), each sorted."""
    index, low, stack, on_stack, cycles = {}, {}, [], set(), []

    def visit(v: str) -> None:
        index[v] = low[v] = len(index)
        stack.append(v)
        on_stack.add(v)
        for w in graph.get(v, ()):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on_stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            group = []
            while True:
                w = stack.pop()
                on_stack.discard(w)
                group.append(w)
                if w == v:
                    break
            if len(group) > 1:
                cycles.append(sorted(group))

    for v in sorted(graph):
        if v not in index:
            visit(v)
    return cycles


def test_core_has_no_import_cycles():
    """core.head builds the rig and the rig reads zones: both go through core.zones, never each other."""
    known = core_modules()
    graph = {name: module_imports(path, name, known) for name, path in known.items()}
    assert "core.zones" in graph["core.rig"] and "core.head" not in graph["core.rig"]
    assert import_cycles(graph) == []


def test_the_cycle_check_finds_a_cycle():
    assert import_cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]
    assert import_cycles({"a": {"b"}, "b": set()}) == []


def test_zone_names_stay_importable_where_code_imports_them():
    from core.head import Part as head_part
    from core.head import _zone_scores
    from core.zones import Part, zone_scores

    assert head_part is Part and _zone_scores is zone_scores
