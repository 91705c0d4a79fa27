"""media/ and recordings/ never import server/ (DESIGN.md: dependencies point one way)."""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def imported_modules(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(), filename=str(path))
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module)
    return names


def test_media_and_recordings_do_not_import_server() -> None:
    offenders = []
    for package in ("media", "recordings"):
        for path in (ROOT / package).rglob("*.py"):
            bad = {n for n in imported_modules(path) if n == "server" or n.startswith("server.")}
            if bad:
                offenders.append(f"{path.relative_to(ROOT)}: {sorted(bad)}")
    assert offenders == []


def test_media_does_not_import_recordings() -> None:
    for path in (ROOT / "media").rglob("*.py"):
        assert not any(n.split(".")[0] == "recordings" for n in imported_modules(path)), path
