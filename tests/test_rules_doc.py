"""The rules live in the repository (docs/rules.md): each of R1-R37 stated once, with pointers to
the code that implements it that still name real files and definitions, and the README links
there rather than outside the repository."""

from __future__ import annotations

import ast
import re
from functools import cache
from pathlib import Path

from tests.conftest import ROOT

RULES = ROOT / "docs" / "rules.md"
RULE = re.compile(r"^\*\*(R\d+)\. ", re.M)
POINTER = re.compile(r"`([\w/]+\.py):([\w.]+)`")
TEST_FILE = re.compile(r"`(tests/test_\w+\.py)`")


def _rules() -> dict[str, str]:
    """R-number -> the rule's paragraph (up to the next rule or heading)."""
    text = RULES.read_text()
    starts = [(m.group(1), m.start()) for m in RULE.finditer(text)]
    ends = [start for _, start in starts[1:]] + [len(text)]
    return {name: text[start:end].split("\n## ")[0] for (name, start), end in zip(starts, ends, strict=True)}


@cache
def _definitions(path: Path) -> set[str]:
    """Names a module defines: top-level functions, classes and assignments, and `Class.method`."""
    names: set[str] = set()
    for node in ast.parse(path.read_text()).body:
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            names.add(node.name)
        elif isinstance(node, ast.ClassDef):
            names.add(node.name)
            for member in node.body:
                if isinstance(member, ast.FunctionDef | ast.AsyncFunctionDef):
                    names.add(f"{node.name}.{member.name}")
        elif isinstance(node, ast.Assign):
            names.update(target.id for target in node.targets if isinstance(target, ast.Name))
    return names


def test_R1_to_R37_each_stated_once_in_order():
    found = [m.group(1) for m in RULE.finditer(RULES.read_text())]
    assert found == [f"R{n}" for n in range(1, 38)]


def test_R1_to_R37_each_points_at_code_or_says_it_is_not_built():
    for name, text in _rules().items():
        assert POINTER.search(text) or "not yet built" in text, name


def test_R1_to_R37_pointers_name_files_and_definitions_that_exist():
    stale = []
    for name, text in _rules().items():
        for path, definition in POINTER.findall(text):
            source = ROOT / path
            if not source.is_file() or definition not in _definitions(source):
                stale.append(f"{name}: {path}:{definition}")
        stale += [f"{name}: {path}" for path in TEST_FILE.findall(text) if not (ROOT / path).is_file()]
    assert stale == []


def test_the_readme_links_the_rules_in_the_repository():
    readme = (ROOT / "README.md").read_text()
    assert "](docs/rules.md)" in readme
    linked = re.findall(r"\]\(([^)#]+)", readme)
    assert [target for target in linked if target.startswith("..")] == []  # nothing outside
    for target in linked:
        if "://" not in target:
            assert (ROOT / target).exists(), target
