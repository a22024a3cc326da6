"""The wheel lists every package of the checkout (pyproject's `packages`, each layer mapped
into `salescoord`): a package left out would install a service that fails on its first import
of it, and only in production."""

from __future__ import annotations

import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
LAYERS = ("db", "permissions", "resolvers", "schema")


def test_R27_every_package_of_the_checkout_is_in_the_wheel():
    setuptools = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["setuptools"]
    assert setuptools["package-dir"] == {f"salescoord.{layer}": layer for layer in LAYERS}
    found = set()
    for top in ("salescoord", *LAYERS):
        for init in (ROOT / top).rglob("__init__.py"):
            parts = init.parent.relative_to(ROOT).parts
            found.add(".".join(parts if parts[0] == "salescoord" else ("salescoord", *parts)))
    assert set(setuptools["packages"]) == found
