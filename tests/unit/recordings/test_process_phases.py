"""Processing phases leave markers and re-run idempotently."""

from __future__ import annotations

from pathlib import Path

from recordings import process


def test_phases_rerun_idempotently_and_retry_after_a_fault(tmp_path: Path) -> None:
    root = tmp_path / "rec"
    (root / "capture").mkdir(parents=True)
    assert process.run(root, "lecture") == 2  # nothing recorded: process fails, says why
    assert "nothing was recorded" in (root / "failed.json").read_text()
    archived = (root / "archived.json").read_text()
    assert process.run(root, "lecture") == 2
    assert (root / "archived.json").read_text() == archived  # done phases are not redone
