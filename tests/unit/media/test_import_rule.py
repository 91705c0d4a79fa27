"""media/ and recordings/ never import server/ (dependencies point one way)."""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[3]
PACKAGES = ("media", "recordings")


def server_imports(path: Path, root: Path = ROOT) -> list[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            names = [node.module]
        else:
            continue
        found += [f"{path.relative_to(root)}:{node.lineno} imports {n}" for n in names]
    return [f for f in found if f.endswith(" server") or " server." in f]


def test_media_and_recordings_never_import_server() -> None:
    files = [f for package in PACKAGES for f in sorted((ROOT / package).rglob("*.py"))]
    assert any(f.parent.name == "media" for f in files)
    offenders = [hit for f in files for hit in server_imports(f)]
    assert offenders == []


def test_the_scan_catches_both_import_forms(tmp_path: Path) -> None:
    probe = tmp_path / "probe.py"
    probe.write_text("import server\nfrom server.rooms import x\nimport serverless\n")
    assert server_imports(probe, tmp_path) == [
        "probe.py:1 imports server",
        "probe.py:2 imports server.rooms",
    ]
