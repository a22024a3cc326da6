"""scripts/import-graph: the layers import downwards only, the schema's types and the
resolvers excepted, and an import deferred into a function counts like any other."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

from tests.conftest import ROOT

SCRIPT = ROOT / "scripts" / "import-graph"
PACKAGES = ("db", "permissions", "resolvers", "schema", "salescoord")


def run(root: Path | None = None) -> subprocess.CompletedProcess[str]:
    arguments = [sys.executable, str(SCRIPT), *([str(root)] if root else [])]
    return subprocess.run(arguments, capture_output=True, text=True, timeout=60, check=False)


def copy_of_the_code(into: Path) -> Path:
    for package in PACKAGES:
        shutil.copytree(ROOT / package, into / package, ignore=shutil.ignore_patterns("__pycache__"))
    return into


def test_the_layers_import_downwards_only():
    result = run()
    assert result.returncode == 0, result.stdout + result.stderr
    assert "resolvers            -> " in result.stdout
    assert "schema.types         -> " in result.stdout


def test_an_import_deferred_into_a_function_still_counts(tmp_path):
    root = copy_of_the_code(tmp_path)
    assert run(root).returncode == 0
    with (root / "permissions" / "scope.py").open("a") as scope:
        scope.write("\n\ndef _later() -> None:\n    from resolvers import lookups  # noqa\n")
    result = run(root)
    assert result.returncode == 1
    assert "permissions imports resolvers, a layer above it: permissions/scope.py" in result.stdout
    assert "cycle: permissions <-> " in result.stdout


def test_an_import_for_the_type_checker_counts(tmp_path):
    root = copy_of_the_code(tmp_path)
    with (root / "db" / "tables.py").open("a") as tables:
        tables.write(
            "\nfrom typing import TYPE_CHECKING  # noqa\n\n"
            "if TYPE_CHECKING:\n    from salescoord.context import Context  # noqa\n"
        )
    result = run(root)
    assert result.returncode == 1
    assert "db imports salescoord.request, a layer above it: db/tables.py" in result.stdout
