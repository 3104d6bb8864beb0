"""The library never imports its own front ends: nothing under src/obclip outside `cli/` and `app/`
imports them (the package's `__main__`, which only hands over to the command line, aside)."""

import ast
from pathlib import Path

import obclip

ROOT = Path(obclip.__file__).parent
FRONT_ENDS = ("obclip.cli", "obclip.app")
ENTRY_POINTS = {ROOT / "__main__.py"}


def _imports(tree: ast.AST) -> list[tuple[int, str]]:
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found += [(node.lineno, alias.name) for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.append((node.lineno, node.module))
            found += [(node.lineno, f"{node.module}.{alias.name}") for alias in node.names]
    return found


def _library_modules() -> list[Path]:
    return [
        path
        for path in sorted(ROOT.rglob("*.py"))
        if path.relative_to(ROOT).parts[0] not in ("cli", "app") and path not in ENTRY_POINTS
    ]


def test_the_library_imports_no_front_end():
    offenders = [
        f"{path.relative_to(ROOT.parent)}:{line} imports {name}"
        for path in _library_modules()
        for line, name in _imports(ast.parse(path.read_text(encoding="utf-8")))
        if name in FRONT_ENDS or name.startswith(tuple(f"{f}." for f in FRONT_ENDS))
    ]
    assert not offenders, "\n".join(offenders)


def test_the_check_reads_every_library_module_and_sees_a_front_end_import():
    modules = _library_modules()
    assert ROOT / "api.py" in modules and ROOT / "privacy" / "detect.py" in modules
    assert not any(p.relative_to(ROOT).parts[0] in ("cli", "app") for p in modules)
    planted = ast.parse("def f():\n    from obclip.cli.candidates import main\n")
    assert (2, "obclip.cli.candidates") in _imports(planted)
