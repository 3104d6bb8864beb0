"""`obclip.privacy` runs on the device with the standard library and two small pure-data packages
(the Unicode confusables table, the offline language identifier), never torch."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import obclip.privacy

PACKAGE = Path(obclip.privacy.__file__).parent


# the runtime dependencies of privacy/ (pyproject's dependencies): data, no model framework
PRIVACY_DEPENDENCIES = {"confusable_homoglyphs", "py3langid"}


def test_privacy_imports_only_the_standard_library_and_obclip_errors() -> None:
    allowed = set(sys.stdlib_module_names) | {"obclip"} | PRIVACY_DEPENDENCIES
    for path in PACKAGE.rglob("*.py"):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom) and node.level == 0:
                names = [node.module or ""]
            else:
                continue
            for name in names:
                assert name.split(".")[0] in allowed, f"{path.name} imports {name}"
                if name.startswith("obclip"):
                    assert name == "obclip.errors" or name.startswith("obclip.privacy"), name


def test_importing_privacy_loads_no_third_party_module() -> None:
    code = (
        "import sys; import obclip.privacy as p; p.build_candidate_set('a young woman'); "
        "bad = sorted(m for m in sys.modules if m.split('.')[0] in {'torch', 'numpy', 'diffusers', 'transformers'}); "
        "print(bad); sys.exit(1 if bad else 0)"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stdout + result.stderr


def test_default_taxonomy_is_packaged_data() -> None:
    assert (PACKAGE / "data" / "default_taxonomy.json").is_file()
