"""The `winnow` command: GUI without a command, the CLI and machine-job commands otherwise."""

from __future__ import annotations

from pathlib import Path

import pytest

from app.store import Project
from widgets import launcher


@pytest.mark.parametrize(
    ("argv", "gui"),
    [
        ([], True),
        (["coig.winnow"], True),
        (["stats", "coig.winnow"], False),
        (["--version"], False),
        (["import"], False),
        (["notes.txt"], False),
    ],
)
def test_wants_gui(argv: list[str], gui: bool) -> None:
    assert launcher.wants_gui(argv) is gui


def test_cli_and_job_commands_are_dispatched(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "p.winnow"
    Project.create(path).close()
    assert launcher.main(["stats", str(path), "--json"]) == 0
    assert '"samples": 0' in capsys.readouterr().out
    assert launcher.main(["-v", "jobs", str(path)]) == 0
    assert "no jobs" in capsys.readouterr().out


def test_settle_heap_takes_what_exists_out_of_the_collectors_sight() -> None:
    import gc

    from widgets.application import settle_heap

    class Cyclic:
        pass

    kept = [Cyclic() for _ in range(1000)]  # objects a full collection would have to look at
    before = gc.get_freeze_count()
    try:
        settle_heap()
        assert gc.get_freeze_count() >= before + len(kept)
    finally:
        gc.unfreeze()
