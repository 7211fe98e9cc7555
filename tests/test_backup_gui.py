"""The window's backups in the background: the GUI thread keeps ticking while a copy runs; restoring,
closing or switching projects meanwhile cancels it cleanly; a full disk is a status-bar message.

A slow copy is the real one (VACUUM INTO in the worker thread) with each of its checks for a cancel
slowed down, so that a small demo project takes as long as a big project would."""

from __future__ import annotations

import itertools
import shutil
import sqlite3
import threading
import time
from pathlib import Path

import pytest
from PySide6.QtCore import Qt, QThreadPool, QTimer
from PySide6.QtWidgets import QApplication, QInputDialog, QMessageBox, QPushButton

from app import backup, demo
from app.store import Project, ops, query
from tests.disks import fill, small_disk
from tests.test_main_window import close_window, open_window, press
from widgets.main_window import BACKUP_INTERVAL_MS
from widgets.sample_model import display_names

# Each check for a cancel sleeps this long: with a check every 100 VM instructions the demo project
# gives some fifty checks, so a backup takes a second or two instead of 10 ms.
CHECK_DELAY_S = 0.03


class SlowBackups:
    """Wraps app.backup.backup_file as the window calls it (with ``cancelled``): records the thread it
    ran on and what it returned, says when the copy is well under way, and slows each check."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch) -> None:
        self.real = backup.backup_file
        self.threads: list[int] = []
        self.results: list[Path | None] = []
        self.under_way = threading.Event()
        self.under_way_at = 0  # set by calibrate(): the check by which the snapshot was taken
        monkeypatch.setattr(backup, "_CHECK_EVERY", 100)
        monkeypatch.setattr(backup, "backup_file", self.backup_file)

    def calibrate(self, project_path: Path) -> None:
        """Half the checks a backup of the project makes: by then VACUUM INTO holds its snapshot."""
        calls = 0

        def count() -> bool:
            nonlocal calls
            calls += 1
            return False

        made = self.real(project_path, "counting", cancelled=count)
        assert made is not None
        made.unlink()
        assert calls >= 20, "too few checks to slow the copy down"
        self.under_way_at = calls // 2

    def backup_file(self, project_path, reason="manual", *, cancelled=None, **kwargs):
        if cancelled is None:  # a backup on the GUI thread (before a bulk change): not slowed
            return self.real(project_path, reason, **kwargs)
        self.threads.append(threading.get_ident())
        calls = 0

        def slow_check() -> bool:
            nonlocal calls
            calls += 1
            if calls >= max(self.under_way_at, 1):
                self.under_way.set()
            time.sleep(CHECK_DELAY_S)
            return cancelled()

        result = self.real(project_path, reason, cancelled=slow_check, **kwargs)
        self.results.append(result)
        return result


@pytest.fixture
def demo_path(tmp_path: Path) -> Path:
    path = tmp_path / "demo.winnow"
    demo.build_demo(path).close()
    return path


@pytest.fixture
def slow(monkeypatch: pytest.MonkeyPatch) -> SlowBackups:
    return SlowBackups(monkeypatch)


def partial_files(project_path: Path) -> list[Path]:
    folder = backup.backup_dir(project_path)
    return sorted(folder.glob(".*")) if folder.is_dir() else []


def status_in(path: Path, sample_id: int) -> str:
    # Plain sqlite3: reads a copy of the main file without its -wal as it is.
    conn = sqlite3.connect(path)
    try:
        return conn.execute("SELECT status FROM samples WHERE id = ?", (sample_id,)).fetchone()[0]
    finally:
        conn.close()


def integrity(path: Path) -> str:
    conn = sqlite3.connect(path)
    try:
        return conn.execute("PRAGMA integrity_check").fetchone()[0]
    finally:
        conn.close()


def test_the_periodic_backup_runs_off_the_gui_thread_while_it_keeps_ticking(qtbot, demo_path, slow) -> None:
    slow.calibrate(demo_path)
    window = open_window(qtbot, demo_path)
    ticks: list[float] = []
    ticker = QTimer(interval=10, timeout=lambda: ticks.append(time.monotonic()))
    ticker.start()
    # The real timer starts it (not a call of ours), then goes back to its ten minutes.
    window._backup_timer.setInterval(20)
    qtbot.waitUntil(lambda: window._backup_task is not None, timeout=3000)
    window._backup_timer.setInterval(BACKUP_INTERVAL_MS)
    started = time.monotonic()
    assert window.backup_state.text() == "Backing up…"
    qtbot.waitUntil(lambda: window._backup_task is None, timeout=30_000)
    elapsed = time.monotonic() - started
    ticker.stop()

    assert slow.threads and threading.get_ident() not in slow.threads, "the copy ran on the GUI thread"
    during = [t for t in ticks if started <= t <= started + elapsed]
    gaps = [b - a for a, b in itertools.pairwise(during)]
    assert elapsed > 1.0, "the copy was not slow enough to show anything"
    # A copy on the GUI thread would give no tick at all; 10 ms ticks on a busy machine give many.
    assert len(during) >= elapsed / 0.010 / 4, (len(during), elapsed)
    assert max(gaps) < 0.25, f"the GUI thread stalled for {max(gaps):.2f} s"

    made = slow.results[-1]
    assert made is not None and made.name.endswith("-periodic.winnow")
    assert [info.path for info in backup.list_backups(demo_path)] == [made]
    assert window.backup_state.text().startswith("Backed up at ")
    assert window.backup_state.toolTip() == str(made)
    assert integrity(made) == "ok"
    with Project.open(made) as copy:
        assert query.count(copy) == query.count(window.project)
    close_window(window)


def test_the_backup_has_edits_still_in_the_wal_and_not_those_made_during_the_copy(
    qtbot, demo_path, slow, tmp_path
) -> None:
    slow.calibrate(demo_path)
    window = open_window(qtbot, demo_path)
    window.browser.focus_table()
    press(qtbot, window, Qt.Key.Key_4)  # sample 1 rejected: committed, in the WAL only
    assert query.get_sample(window.project, 1).status == "rejected"
    main_file_alone = tmp_path / "main-file-alone.winnow"
    shutil.copyfile(demo_path, main_file_alone)
    assert status_in(main_file_alone, 1) == "new", "the decision is not checkpointed into the main file"

    window._start_backup("periodic")
    assert slow.under_way.wait(10)
    # The user goes on deciding while the copy runs: sample 2 rejected after the snapshot.
    press(qtbot, window, Qt.Key.Key_4)
    assert query.get_sample(window.project, 2).status == "rejected"
    qtbot.waitUntil(lambda: window._backup_task is None, timeout=30_000)

    made = slow.results[-1]
    assert made is not None
    assert integrity(made) == "ok"
    assert status_in(made, 1) == "rejected"
    assert status_in(made, 2) == "new"
    close_window(window)


def test_restore_during_a_backup_cancels_it_and_restores(qtbot, demo_path, slow, monkeypatch) -> None:
    from PySide6.QtWidgets import QInputDialog

    slow.calibrate(demo_path)
    window = open_window(qtbot, demo_path)
    backup.backup(window.project, "manual")  # here, not slowed
    window.browser.focus_table()
    press(qtbot, window, Qt.Key.Key_4)
    assert query.get_sample(window.project, 1).status == "rejected"

    window._start_backup("periodic")
    assert slow.under_way.wait(10)
    offered: list[list[str]] = []

    def choose(parent, title, text, names, *rest):
        offered.append(list(names))
        return names[0], True

    monkeypatch.setattr(QInputDialog, "getItem", choose)
    window.restore_backup()

    assert slow.results == [None], "the backup in flight was cancelled"
    assert len(offered[0]) == 1 and offered[0][0].endswith("manual")
    assert query.get_sample(window.project, 1).status == "new"
    assert sorted(info.reason for info in backup.list_backups(demo_path)) == ["before-restore", "manual"]
    assert partial_files(demo_path) == []
    assert integrity(demo_path) == "ok"
    assert window._backup_task is None and window.backup_state.text() == ""
    assert window._backup_timer.isActive(), "periodic backups go on after the restore"
    close_window(window)


def test_closing_during_a_backup_cancels_it_leaving_no_file_and_no_thread(qtbot, demo_path, slow) -> None:
    slow.calibrate(demo_path)
    window = open_window(qtbot, demo_path)
    window._start_backup("periodic")
    assert slow.under_way.wait(10)
    started = time.monotonic()
    close_window(window)
    took = time.monotonic() - started

    # The whole copy would take over a second more; the cancel lands at the next check.
    assert took < 0.5, f"closing waited {took:.2f} s"
    assert slow.results == [None]
    assert QThreadPool.globalInstance().activeThreadCount() == 0 or QThreadPool.globalInstance().waitForDone(1000)
    assert backup.list_backups(demo_path) == []
    assert partial_files(demo_path) == []
    # No reader was left on the file: the checkpoint on close emptied the WAL.
    wal = demo_path.with_name(demo_path.name + "-wal")
    assert not wal.exists() or wal.stat().st_size == 0


def test_opening_another_project_during_a_backup_cancels_it(qtbot, demo_path, slow, tmp_path) -> None:
    other = tmp_path / "other.winnow"
    Project.create(other, name="另一个项目").close()
    slow.calibrate(demo_path)
    window = open_window(qtbot, demo_path)
    window._start_backup("periodic")
    assert slow.under_way.wait(10)
    assert window.open_project(other)
    assert slow.results == [None]
    assert backup.list_backups(demo_path) == [] and partial_files(demo_path) == []
    wal = demo_path.with_name(demo_path.name + "-wal")
    assert not wal.exists() or wal.stat().st_size == 0, "the old project was closed with no reader left"
    close_window(window)


def test_a_second_tick_while_one_runs_starts_no_second_backup(qtbot, demo_path, slow) -> None:
    slow.calibrate(demo_path)
    window = open_window(qtbot, demo_path)
    window._periodic_backup()
    running = window._backup_task
    assert slow.under_way.wait(10)
    window._periodic_backup()
    assert window._backup_task is running
    qtbot.waitUntil(lambda: window._backup_task is None, timeout=30_000)
    assert len(slow.results) == 1 and slow.results[0] is not None
    assert len(backup.list_backups(demo_path)) == 1
    close_window(window)


def test_a_full_disk_is_a_status_bar_message_and_the_earlier_backups_stay(qtbot, tmp_path) -> None:
    with small_disk(tmp_path / "disk", "8m") as disk:
        path = disk / "demo.winnow"
        demo.build_demo(path).close()
        window = open_window(qtbot, path)
        backup.backup(window.project, "manual")
        [earlier] = backup.list_backups(path)
        filler = fill(disk)
        window._periodic_backup()
        qtbot.waitUntil(lambda: window._backup_task is None, timeout=30_000)

        message = window.statusBar().currentMessage()
        assert message.startswith("Backup failed: ") and "not enough free space" in message, message
        assert window.backup_state.text() == "Backup failed"
        assert [info.path for info in backup.list_backups(path)] == [earlier.path]
        assert partial_files(path) == []
        assert integrity(earlier.path) == "ok"
        filler.unlink()  # room for the checkpoint on close
        close_window(window)
        with Project.open(earlier.path) as copy:
            assert query.count(copy) > 0


# --- the backup before a bulk change ------------------------------------------------------------


EXAM = query.SampleFilter(kind=("exam",))


def choose_in_bulk_dialog(monkeypatch: pytest.MonkeyPatch, value) -> None:
    """The bulk dialog answers with the choice whose value (not shown name) is ``value``."""

    def choose(parent, title, text, names, *rest):
        choices = display_names()["label" if "label" in title else "status"]
        return choices[value], True

    monkeypatch.setattr(QInputDialog, "getItem", choose)


def column_in(path: Path, column: str, ids: list[int]) -> dict[int, object]:
    # Plain sqlite3 on a backup file: no -wal beside it, nothing replayed or migrated.
    conn = sqlite3.connect(path)
    try:
        marks = ",".join("?" * len(ids))
        return dict(conn.execute(f"SELECT id, {column} FROM samples WHERE id IN ({marks})", ids).fetchall())
    finally:
        conn.close()


def labels(project: Project, ids: list[int]) -> dict[int, int | None]:
    return {sample_id: query.get_sample(project, sample_id).label for sample_id in ids}


class Answer:
    """Answers the question a failed backup asks, from the event loop the question runs: clicks the
    button named ``button`` (after ``first()``, what the user did before answering)."""

    def __init__(self, button: str, first=lambda: None) -> None:
        self.asked: list[str] = []
        self.unexpected: list[str] = []
        self._button, self._first = button, first
        self._timer = QTimer(interval=20, timeout=self._look)
        self._timer.start()

    def _look(self) -> None:
        box = QApplication.activeModalWidget()
        if not isinstance(box, QMessageBox):
            return
        button = box.findChild(QPushButton, self._button)
        if button is None or self.asked:
            # Another message (an error): closed and recorded, so the test fails rather than hangs.
            self.unexpected.append(f"{box.text()}\n{box.informativeText()}")
            box.reject()
            return
        self.asked.append(f"{box.text()}\n{box.informativeText()}")
        self._first()
        button.click()

    def stop(self) -> None:
        self._timer.stop()


def test_a_bulk_change_waits_for_its_backup_off_the_gui_thread_and_is_made_after_it(
    qtbot, demo_path, slow, monkeypatch
) -> None:
    slow.calibrate(demo_path)
    window = open_window(qtbot, demo_path)
    window.browser.set_filter(EXAM)
    ids = query.sample_ids(window.project, EXAM)
    assert len(ids) > 2 and labels(window.project, ids) == dict.fromkeys(ids)
    choose_in_bulk_dialog(monkeypatch, 4)
    ticks: list[float] = []
    ticker = QTimer(interval=10, timeout=lambda: ticks.append(time.monotonic()))
    ticker.start()
    started = time.monotonic()

    window.bulk_label()

    # Asked for, not made: the backup comes first, and says so.
    assert labels(window.project, ids) == dict.fromkeys(ids)
    assert window.backup_state.text() == f"Backing up before changing {len(ids)} samples…"
    assert window.cancel_waiting_button.isVisible()
    assert not any(action.isEnabled() for action in window.blocked_while_waiting)
    assert slow.under_way.wait(10)
    # Reviewing one sample at a time goes on meanwhile (after the snapshot: not in the backup) ...
    window.browser.focus_table()
    decided = window.current.id
    assert decided in ids
    press(qtbot, window, Qt.Key.Key_1)
    assert query.get_sample(window.project, decided).status == "accepted"
    # ... what would reorder the change is refused, and says why; the periodic tick starts nothing.
    window.undo()
    assert window.statusBar().currentMessage().startswith("Wait until the change of")
    assert query.get_sample(window.project, decided).label == 1
    waiting_task = window._backup_task
    window.back_up_now()
    window._periodic_backup()
    window.bulk_status()
    assert window._backup_task is waiting_task
    qtbot.waitUntil(lambda: window._waiting is None, timeout=30_000)
    elapsed = time.monotonic() - started
    ticker.stop()

    assert slow.threads and threading.get_ident() not in slow.threads, "the copy ran on the GUI thread"
    during = [t for t in ticks if started <= t <= started + elapsed]
    assert elapsed > 1.0, "the copy was not slow enough to show anything"
    assert len(during) >= elapsed / 0.010 / 4, (len(during), elapsed)
    assert max(b - a for a, b in itertools.pairwise(during)) < 0.25, "the GUI thread stalled"

    [made] = slow.results
    assert made is not None and made.name.endswith("-before-bulk.winnow")
    assert integrity(made) == "ok"
    assert column_in(made, "label", ids) == dict.fromkeys(ids), "the backup holds the state before the change"
    assert labels(window.project, ids) == dict.fromkeys(ids, 4), "the change applies to the ids chosen then"
    assert query.get_sample(window.project, decided).status == "accepted"
    assert window.backup_state.text().startswith("Backed up at ")
    assert not window.cancel_waiting_button.isVisible()
    assert all(action.isEnabled() for action in window.blocked_while_waiting)
    # The change is one operation: one undo takes it all back (to the decision made meanwhile).
    window.undo()
    assert labels(window.project, ids) == {**dict.fromkeys(ids), decided: 1}
    close_window(window)


@pytest.mark.parametrize("answer", ["change_without_backup", "cancel_change"])
def test_a_failed_backup_before_a_bulk_change_asks_whether_to_change_without_it(
    qtbot, tmp_path, monkeypatch, answer
) -> None:
    with small_disk(tmp_path / "disk", "8m") as disk:
        path = disk / "demo.winnow"
        demo.build_demo(path).close()
        window = open_window(qtbot, path)
        window.browser.set_filter(EXAM)
        ids = query.sample_ids(window.project, EXAM)
        choose_in_bulk_dialog(monkeypatch, "rejected")
        filler = fill(disk)
        # Before answering, the user makes room for the change itself (not for a whole copy).
        answered = Answer(answer, first=filler.unlink)
        try:
            window.bulk_status()
            assert window._waiting is not None
            qtbot.waitUntil(lambda: window._waiting is None, timeout=30_000)
        finally:
            answered.stop()

        assert answered.unexpected == []
        [question] = answered.asked
        assert f"before changing {len(ids)} samples could not be taken" in question
        assert "not enough free space" in question
        assert window.backup_state.text() == "Backup failed"
        assert backup.list_backups(path) == [] and partial_files(path) == []
        assert all(action.isEnabled() for action in window.blocked_while_waiting)
        changed = {query.get_sample(window.project, sample_id).status for sample_id in ids}
        if answer == "change_without_backup":
            assert changed == {"rejected"}
            window.undo()
            assert {query.get_sample(window.project, sample_id).status for sample_id in ids} == {"new"}
        else:
            assert changed == {"new"}
            assert window.statusBar().currentMessage() == (
                f"The change of {len(ids)} samples was cancelled; nothing was changed."
            )
        close_window(window)


@pytest.mark.parametrize("how", ["close", "switch", "cancel"])
def test_a_bulk_change_waiting_for_its_backup_is_never_made_when_called_off(
    qtbot, demo_path, slow, monkeypatch, tmp_path, how
) -> None:
    slow.calibrate(demo_path)
    window = open_window(qtbot, demo_path)
    window.browser.set_filter(EXAM)
    ids = query.sample_ids(window.project, EXAM)
    last_operation = ops.can_undo(window.project)
    choose_in_bulk_dialog(monkeypatch, 4)
    window.bulk_label()
    assert slow.under_way.wait(10)
    started = time.monotonic()
    if how == "close":
        close_window(window)
    elif how == "switch":
        other = tmp_path / "other.winnow"
        Project.create(other, name="另一个项目").close()
        assert window.open_project(other)
    else:
        qtbot.mouseClick(window.cancel_waiting_button, Qt.MouseButton.LeftButton)
    took = time.monotonic() - started
    qtbot.wait(50)  # any queued signal of the cancelled backup is delivered (and ignored) here

    # The whole copy would take over a second more; the cancel lands at the next check.
    assert took < 0.5, f"calling the change off waited {took:.2f} s"
    assert slow.results == [None]
    assert QThreadPool.globalInstance().waitForDone(1000)
    assert backup.list_backups(demo_path) == [] and partial_files(demo_path) == []
    assert window._waiting is None and window._backup_task is None
    if how == "cancel":
        assert labels(window.project, ids) == dict.fromkeys(ids)
        assert (
            window.statusBar().currentMessage()
            == f"The change of {len(ids)} samples was cancelled; nothing was changed."
        )
        assert all(action.isEnabled() for action in window.blocked_while_waiting)
        close_window(window)
    elif how == "switch":
        close_window(window)
    with Project.open(demo_path) as reopened:
        assert labels(reopened, ids) == dict.fromkeys(ids)
        assert ops.can_undo(reopened) == last_operation, "no operation was recorded"
