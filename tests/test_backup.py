"""Backups: taken with the online backup API, listed, pruned, restored atomically, refusals."""

from __future__ import annotations

import argparse
import os
import shutil
import sqlite3
import threading
import time
from pathlib import Path

import pytest

from app import backup
from app.cli_backup import BACKUP_COMMANDS, add_backup_commands
from app.store import NewerProjectError, Project, ProjectError, actions, query
from tests.conftest import ALPACA
from tests.disks import fill, small_disk


def _instructions(path: Path) -> list[str]:
    with Project.open(path) as opened:
        return [s.content["instruction"] for s in query.iter_samples(opened)]


def test_backup_copies_the_project_beside_it_and_lists_it(loaded: Project) -> None:
    path = backup.backup(loaded, "before import")
    assert path.parent == loaded.path.with_name("test.backups")
    assert path.name.endswith("-before-import.winnow")
    # A self-contained single file: no WAL beside it.
    assert not path.with_name(path.name + "-wal").exists()
    assert _instructions(path) == [r["instruction"] for r in ALPACA]
    listed = backup.list_backups(loaded.path)
    assert [info.path for info in listed] == [path]
    assert listed[0].reason == "before-import"
    assert listed[0].size == path.stat().st_size > 0


def test_list_is_newest_first_and_ignores_foreign_files(loaded: Project) -> None:
    first = backup.backup(loaded, "一")
    second = backup.backup(loaded, "二")
    (backup.backup_dir(loaded.path) / "my-notes.winnow").write_text("not ours", encoding="utf-8")
    assert [info.path for info in backup.list_backups(loaded.path)] == [second, first]
    assert [info.reason for info in backup.list_backups(loaded.path)] == ["二", "一"]
    assert backup.list_backups(loaded.path.with_name("other.winnow")) == []


def test_keeps_only_the_newest_n(loaded: Project) -> None:
    made = [backup.backup(loaded, f"step {n}", keep=3) for n in range(5)]
    kept = [info.path for info in backup.list_backups(loaded.path)]
    assert kept == made[:1:-1]
    assert not made[0].exists() and not made[1].exists()
    foreign = backup.backup_dir(loaded.path) / "keep-me.winnow"
    foreign.write_bytes(b"x")
    backup.backup(loaded, "again", keep=1)
    assert len(backup.list_backups(loaded.path)) == 1
    assert foreign.exists(), "files the user put in the folder are never pruned"


def test_backup_during_another_connections_write_holds_the_last_commit(loaded: Project) -> None:
    writer = sqlite3.connect(loaded.path)
    try:
        writer.execute("BEGIN IMMEDIATE")
        writer.execute("UPDATE samples SET status = 'accepted'")
        writer.execute("DELETE FROM samples WHERE id = 1")
        # The write transaction is open (the write lock held) while the backup runs.
        path = backup.backup(loaded, "while writing")
    finally:
        writer.rollback()
        writer.close()
    with Project.open(path) as copy:
        assert query.count(copy) == 3
        assert query.stats(copy)["by_status"] == {"new": 3}


def _partial_files(project_path: Path) -> list[Path]:
    folder = backup.backup_dir(project_path)
    return sorted(folder.glob(".*.part")) if folder.is_dir() else []


def _status_of(path: Path, sample_id: int) -> str:
    # Plain sqlite3, not Project.open: for a copy of the main file alone, without its -wal.
    conn = sqlite3.connect(path)
    try:
        return conn.execute("SELECT status FROM samples WHERE id = ?", (sample_id,)).fetchone()[0]
    finally:
        conn.close()


def _integrity(path: Path) -> str:
    conn = sqlite3.connect(path)
    try:
        return conn.execute("PRAGMA integrity_check").fetchone()[0]
    finally:
        conn.close()


def test_backup_holds_commits_still_only_in_the_wal(loaded: Project, tmp_path: Path) -> None:
    actions.set_status(loaded, [2], "accepted")
    wal = loaded.path.with_name(loaded.path.name + "-wal")
    assert wal.stat().st_size > 0, "the commit is in the WAL, not checkpointed"
    main_file_alone = tmp_path / "main-file-alone.winnow"
    shutil.copyfile(loaded.path, main_file_alone)
    assert _status_of(main_file_alone, 2) == "new", "the main file does not have it yet"

    made: list[Path | None] = []
    worker = threading.Thread(target=lambda: made.append(backup.backup_file(loaded.path, "periodic")))
    worker.start()
    worker.join()
    assert made[0] is not None
    assert _status_of(made[0], 2) == "accepted"
    assert not made[0].with_name(made[0].name + "-wal").exists()
    assert _integrity(made[0]) == "ok"


def _checks_in_a_backup(project_path: Path) -> int:
    """How often a backup of the project asks whether it was cancelled (a backup taken to count)."""
    calls = 0

    def count() -> bool:
        nonlocal calls
        calls += 1
        return False

    made = backup.backup_file(project_path, "counting", cancelled=count)
    assert made is not None
    made.unlink()
    return calls


def test_backup_is_the_snapshot_at_its_start_while_another_connection_commits(
    loaded: Project, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The GUI's connection commits while the copy runs in another thread: it is not blocked, and
    the backup holds the state when the copy began, whole (not half of each)."""
    monkeypatch.setattr(backup, "_CHECK_EVERY", 20)  # so that even three samples give many checks
    # Halfway through the copy: its read transaction (the snapshot) was opened well before. The
    # first few checks come before, while VACUUM INTO attaches the new file.
    halfway = _checks_in_a_backup(loaded.path) // 2
    assert halfway > 20
    copying = threading.Event()
    committed = threading.Event()
    calls = 0

    def check() -> bool:
        nonlocal calls
        calls += 1
        if calls == halfway:
            copying.set()
            assert committed.wait(10), "the commit did not come"
        return False

    made: list[Path | None] = []
    worker = threading.Thread(target=lambda: made.append(backup.backup_file(loaded.path, "during", cancelled=check)))
    worker.start()
    try:
        assert copying.wait(10)
        actions.set_status(loaded, query.sample_ids(loaded), "rejected")  # must not wait for the copy
        actions.edit_content(loaded, 1, {"instruction": "复制期间改的", "input": "", "output": ""})
    finally:
        committed.set()
        worker.join(10)
    assert made and made[0] is not None
    with Project.open(made[0]) as copy:
        assert query.stats(copy)["by_status"] == {"new": 3}
        assert query.get_sample(copy, 1).content["instruction"] == ALPACA[0]["instruction"]
    assert _integrity(made[0]) == "ok"
    assert query.stats(loaded)["by_status"] == {"rejected": 3}


def test_a_cancelled_backup_leaves_nothing_and_prunes_nothing(loaded: Project, monkeypatch: pytest.MonkeyPatch) -> None:
    earlier = [backup.backup(loaded, f"step {n}", keep=2) for n in range(2)]
    cancel = threading.Event()
    calls = 0

    def check() -> bool:
        nonlocal calls
        calls += 1
        if calls == 2:
            cancel.set()  # as the window does, from the middle of the copy
        return cancel.is_set()

    monkeypatch.setattr(backup, "_CHECK_EVERY", 20)
    assert backup.backup_file(loaded.path, "periodic", keep=2, cancelled=check) is None
    assert calls >= 2, "the copy was under way when it was cancelled"
    assert [info.path for info in backup.list_backups(loaded.path)] == earlier[::-1]
    assert _partial_files(loaded.path) == []
    assert sorted(p.name for p in backup.backup_dir(loaded.path).iterdir()) == sorted(p.name for p in earlier)


def test_a_full_disk_fails_the_backup_and_keeps_the_earlier_ones(tmp_path: Path, write_jsonl) -> None:
    from app import importer

    records = [{**record, "instruction": f"第{n}题：{record['instruction']}"} for n in range(200) for record in ALPACA]
    source = write_jsonl("alpaca.jsonl", records)
    with small_disk(tmp_path / "disk", "4m") as disk, Project.create(disk / "p.winnow") as project:
        importer.import_file(project, source)
        earlier = backup.backup(project, "good")
        filler = fill(disk)
        with pytest.raises(
            ProjectError, match="not enough free space on the disk for a backup; none was taken"
        ) as raised:
            backup.backup_file(project.path, "periodic")
        assert str(backup.backup_dir(project.path)) in str(raised.value)
        assert [info.path for info in backup.list_backups(project.path)] == [earlier]
        assert _partial_files(project.path) == []
        assert _integrity(earlier) == "ok"
        filler.unlink()  # room again: opening a project makes its -wal
        with Project.open(earlier) as copy:
            assert query.count(copy) == 600


def test_restore_round_trip_preserves_the_data_and_backs_up_the_current_state(loaded: Project) -> None:
    saved = backup.backup(loaded, "good")
    ids = query.sample_ids(loaded)
    actions.set_status(loaded, ids, "accepted")
    actions.edit_content(loaded, ids[0], {"instruction": "改坏了", "input": "", "output": ""})
    loaded.close()

    before = backup.restore(loaded.path, saved)

    assert before.name.endswith("-before-restore.winnow")
    with Project.open(loaded.path) as restored:
        assert [s.content["instruction"] for s in query.iter_samples(restored)] == [r["instruction"] for r in ALPACA]
        assert query.stats(restored)["by_status"] == {"new": 3}
    with Project.open(before) as previous:
        assert query.get_sample(previous, ids[0]).content["instruction"] == "改坏了"
    assert not list(loaded.path.parent.glob("*.restoring")), "no temporary file left behind"
    reasons = {info.reason for info in backup.list_backups(loaded.path)}
    assert reasons == {"good", "before-restore"}


def test_restore_refuses_a_file_that_is_not_a_project(loaded: Project, tmp_path: Path) -> None:
    loaded.close()
    original = loaded.path.read_bytes()
    text = tmp_path / "notes.winnow"
    text.write_text("这不是数据库" * 200, encoding="utf-8")
    empty = tmp_path / "empty.winnow"
    empty.write_bytes(b"")
    other = tmp_path / "other.db"
    conn = sqlite3.connect(other)
    conn.execute("CREATE TABLE t(x)")
    conn.commit()
    conn.close()
    for bad in (text, empty, other):
        with pytest.raises(ProjectError, match="not a Winnow project"):
            backup.restore(loaded.path, bad)
    with pytest.raises(ProjectError, match="no such backup"):
        backup.restore(loaded.path, tmp_path / "missing.winnow")
    with pytest.raises(ProjectError, match="is the project itself"):
        backup.restore(loaded.path, loaded.path)
    assert loaded.path.read_bytes() == original
    assert backup.list_backups(loaded.path) == [], "a refused restore backs nothing up"
    assert not list(tmp_path.glob(".*.restoring*"))


def test_restore_refuses_a_backup_from_a_newer_version(loaded: Project, tmp_path: Path) -> None:
    future = tmp_path / "future.winnow"
    Project.create(future).close()
    conn = sqlite3.connect(future)
    conn.execute(
        "INSERT INTO _sqlite_migrations(migration_set, name, applied_at) VALUES ('winnow', '0099_from_the_future', 'x')"
    )
    conn.commit()
    conn.close()
    loaded.close()
    with pytest.raises(NewerProjectError, match=r"newer version of Winnow.*nothing was restored") as raised:
        backup.restore(loaded.path, future)
    assert str(future) in str(raised.value)
    assert _instructions(loaded.path) == [r["instruction"] for r in ALPACA]


def _run(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="winnow")
    add_backup_commands(parser.add_subparsers(dest="command"))
    args = parser.parse_args(argv)
    return BACKUP_COMMANDS[args.command](args)


def test_cli_commands(loaded: Project, capsys: pytest.CaptureFixture[str]) -> None:
    path = loaded.path
    loaded.close()
    assert _run(["backups", str(path)]) == 0
    assert "no backups" in capsys.readouterr().out
    assert _run(["backup", str(path), "--reason", "nightly"]) == 0
    made = backup.list_backups(path)[0].path
    assert str(made) in capsys.readouterr().out
    assert _run(["backups", str(path)]) == 0
    out = capsys.readouterr().out
    assert "nightly" in out and str(made) in out
    assert _run(["restore", str(path), str(made)]) == 0
    assert "before-restore" in capsys.readouterr().out
    assert _instructions(path) == [r["instruction"] for r in ALPACA]


# --- partial copies left by a killed backup -----------------------------------------------------


def _leftover(project_path: Path, name: str, *, age_s: float, size: int = 4096) -> Path:
    """A ``.part`` file as a killed backup leaves it, last written ``age_s`` seconds ago."""
    folder = backup.backup_dir(project_path)
    folder.mkdir(exist_ok=True)
    path = folder / name
    path.write_bytes(b"\0" * size)
    when = time.time() - age_s
    os.utime(path, (when, when))
    return path


def test_a_backup_removes_the_partial_copies_killed_backups_left_and_nothing_else(loaded: Project) -> None:
    real = backup.backup(loaded, "good")
    stale_age = backup.STALE_PART_SECONDS + 60
    stale = _leftover(loaded.path, f".{real.stem[:22]}-periodic.winnow.k3j_x9a1.part", age_s=stale_age)
    stale_bulk = _leftover(loaded.path, ".20240101T000000000000Z-2-before-bulk.winnow.abc12345.part", age_s=86400)
    # Written to a minute ago: perhaps another process (``winnow backup``) copying now.
    fresh = _leftover(loaded.path, ".20991231T235959000000Z-manual.winnow.q1w2e3r4.part", age_s=60)
    # Hidden .part files not named like our copies, and an old real backup: never ours to remove.
    foreign = _leftover(loaded.path, ".notes.txt.abcdefgh.part", age_s=stale_age)
    not_a_backup = _leftover(loaded.path, ".my-project.winnow.abcdefgh.part", age_s=stale_age)
    os.utime(real, (time.time() - 86400,) * 2)

    made = backup.backup(loaded, "next")

    assert not stale.exists() and not stale_bulk.exists()
    assert fresh.exists() and foreign.exists() and not_a_backup.exists()
    assert [info.path for info in backup.list_backups(loaded.path)] == [made, real]
    assert _integrity(real) == "ok" and _integrity(made) == "ok"


def test_the_copy_this_process_is_writing_is_never_stale(loaded: Project, monkeypatch: pytest.MonkeyPatch) -> None:
    """However old its last write looks (a copy paused by a suspended laptop), the ``.part`` another
    thread of this process is writing stays while a second backup cleans up, and completes."""
    monkeypatch.setattr(backup, "_CHECK_EVERY", 20)
    copying = threading.Event()
    go_on = threading.Event()
    calls = 0

    def check() -> bool:
        nonlocal calls
        calls += 1
        if calls == 2:
            copying.set()
            assert go_on.wait(10), "the second backup did not come"
        return False

    made: list[Path | None] = []
    worker = threading.Thread(target=lambda: made.append(backup.backup_file(loaded.path, "slow", cancelled=check)))
    worker.start()
    try:
        assert copying.wait(10)
        [in_flight] = _partial_files(loaded.path)
        old = time.time() - 10 * backup.STALE_PART_SECONDS
        os.utime(in_flight, (old, old))
        assert backup.remove_stale_parts(loaded.path) == []
        second = backup.backup(loaded, "meanwhile")
        assert in_flight.exists()
    finally:
        go_on.set()
        worker.join(10)
    assert made and made[0] is not None
    assert {info.path for info in backup.list_backups(loaded.path)} == {made[0], second}
    assert _partial_files(loaded.path) == []
    assert _integrity(made[0]) == "ok"
    # Once the writer is done, the same name would be stale: the rule is the age, and who writes.
    left = _leftover(loaded.path, in_flight.name, age_s=10 * backup.STALE_PART_SECONDS)
    assert backup.remove_stale_parts(loaded.path) == [left]
