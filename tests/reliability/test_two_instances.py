"""Two Winnows on one project: the second is told who has it and may open it read-only; a lock of a
dead process is taken over; writers that do share a file (the CLI beside the GUI) corrupt nothing."""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from app.store import Project, ProjectError, actions, query
from app.store import lock as project_lock
from app.store.project import ProjectLockedError
from tests.reliability import report
from tests.reliability.harness import REPO, alpaca_records, integrity, make_project, run_child

HOLD = """
import sys, time
from app.store import Project, actions
project = Project.open(sys.argv[1], lock=True)
print("ready", flush=True)
for line in sys.stdin:
    if line.strip() == "decide":
        actions.add_review(project, 1, verdict="accept", label=3)
        print("saved", flush=True)
    elif line.strip() == "close":
        project.close()
        print("closed", flush=True)
"""


def _holder(path: Path) -> subprocess.Popen[str]:
    child = subprocess.Popen(
        [sys.executable, "-c", HOLD, str(path)],
        cwd=REPO,
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    assert child.stdout is not None and child.stdout.readline().strip() == "ready", child.stderr
    return child


def _say(child: subprocess.Popen[str], line: str) -> str:
    assert child.stdin is not None and child.stdout is not None
    child.stdin.write(line + "\n")
    child.stdin.flush()
    return child.stdout.readline().strip()


def _end(child: subprocess.Popen[str]) -> None:
    if child.poll() is None:
        child.kill()
    child.communicate(timeout=10)


def test_the_second_instance_is_told_and_may_open_read_only(tmp_path: Path) -> None:
    path = make_project(tmp_path / "p.winnow", alpaca_records(20, random.Random(1)))
    first = _holder(path)
    try:
        with pytest.raises(
            ProjectLockedError, match=rf"open in another Winnow \(pid {first.pid} on .*, since "
        ) as error:
            Project.open(path, lock=True)
        assert error.value.holder["pid"] == first.pid
        with Project.open(path, read_only=True) as second:
            assert second.read_only
            assert query.get_sample(second, 1).label is None
            assert _say(first, "decide") == "saved"
            assert query.get_sample(second, 1).label == 3  # sees the first one's work as it is saved
            with pytest.raises(ProjectError, match="opened read-only"):
                actions.set_label(second, [1], 1)
        assert _say(first, "close") == "closed"
        with Project.open(path, lock=True):  # free again once the first one closed it
            pass
    finally:
        _end(first)
    assert integrity(path) == "ok"
    report.add(
        "two instances",
        "a second Winnow opens a project held by a first",
        1,
        1,
        "ProjectLockedError naming pid, host and since when; read-only works and sees new work; writes refused",
    )


def test_a_lock_left_by_a_killed_winnow_is_taken_over(tmp_path: Path) -> None:
    path = make_project(tmp_path / "p.winnow", alpaca_records(20, random.Random(2)))
    first = _holder(path)
    assert _say(first, "decide") == "saved"
    first.send_signal(signal.SIGKILL)
    _end(first)
    assert project_lock.read_holder(path)["pid"] == first.pid  # the stale lock file is still there
    with Project.open(path, lock=True) as project:
        assert query.get_sample(project, 1).label == 3
        assert project_lock.read_holder(path)["pid"] == os.getpid()
    assert integrity(path) == "ok"
    report.add("two instances", "the lock of a Winnow killed with SIGKILL", 1, 1, "taken over by the next one")


def test_one_process_does_not_lock_itself_out(tmp_path: Path) -> None:
    path = make_project(tmp_path / "p.winnow", alpaca_records(5, random.Random(3)))
    with Project.open(path, lock=True), Project.open(path, lock=True) as again:
        assert project_lock.held_here(path)
        assert query.count(again) == 5
    assert not project_lock.held_here(path)


def test_the_gui_offers_open_read_only(qtbot, tmp_path: Path, monkeypatch) -> None:
    from PySide6.QtWidgets import QMessageBox

    from widgets import open_flow

    path = make_project(tmp_path / "p.winnow", alpaca_records(5, random.Random(4)))
    first = _holder(path)
    offered: list[str] = []

    def click_read_only(box: QMessageBox) -> int:
        offered.append(box.text())
        [button] = [b for b in box.buttons() if b.text() == "Open read-only"]
        button.click()
        return 0

    monkeypatch.setattr(QMessageBox, "exec", click_read_only)
    try:
        project = open_flow.open_interactively(None, path)
        assert project is not None and project.read_only
        project.close()
    finally:
        _end(first)
    assert f"pid {first.pid}" in offered[0]
    report.add(
        "two instances",
        "the GUI opening a project held by another Winnow",
        1,
        1,
        "told who holds it; 'Open read-only' opens it read-only",
    )


def test_two_writers_at_once_corrupt_nothing(tmp_path: Path) -> None:
    """Without the lock (two command-line runs, or the CLI beside the GUI) SQLite's locking keeps it whole."""
    path = make_project(tmp_path / "p.winnow", alpaca_records(200, random.Random(5)))
    with Project.open(path) as project:
        ids = query.sample_ids(project)
    import threading

    runs: dict[int, object] = {}

    def review(seed: int) -> None:
        runs[seed] = run_child("review", {"project": str(path), "seed": seed, "count": 150, "sample_ids": ids})

    threads = [threading.Thread(target=review, args=(seed,), name=f"winnow-two-writers-{seed}") for seed in (1, 2)]
    started = time.monotonic()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(120)
    assert all(run.returncode == 0 for run in runs.values()), [run.stderr[-500:] for run in runs.values()]
    assert integrity(path) == "ok"
    with Project.open(path) as project:
        reviews = project.db.execute("SELECT count(*) FROM operations WHERE state = 'done'").fetchone()[0]
    saved = sum(len(run.saved_lines) for run in runs.values())
    assert saved == 300 and reviews <= saved + 1
    report.add(
        "two instances",
        "two processes writing decisions into one project at once (no lock)",
        1,
        1,
        f"integrity ok; all {saved} decisions saved in {time.monotonic() - started:.1f} s",
    )
