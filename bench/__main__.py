"""Dispatch `python -m bench <name> [args...]` to bench.bench_<name>.main(args)."""
from __future__ import annotations

import importlib
import pkgutil
import sys
from pathlib import Path


def available() -> list[str]:
    here = Path(__file__).resolve().parent
    return sorted(m.name[len("bench_"):] for m in pkgutil.iter_modules([str(here)]) if m.name.startswith("bench_"))


def main(argv: list[str]) -> int:
    names = available()
    if not argv or argv[0] in ("-h", "--help"):
        print(f"usage: python -m bench <name> [args...]; names: {', '.join(names) or '(none)'}")
        return 0 if argv else 2
    name = argv[0]
    if name not in names:
        print(f"bench: unknown benchmark {name!r}; choose one of {', '.join(names)}", file=sys.stderr)
        return 2
    module = importlib.import_module(f"bench.bench_{name}")
    return int(module.main(argv[1:]) or 0)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
