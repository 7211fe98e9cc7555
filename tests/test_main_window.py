"""The review window driven like an annotator does: keys, edits, undo, close and reopen."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from PySide6.QtCore import Qt
from PySide6.QtGui import QInputMethodEvent
from PySide6.QtWidgets import QApplication

from app import backup, demo
from app.store import Project, query
from widgets.import_dialog import ImportDialog
from widgets.main_window import MainWindow
from widgets.shortcuts import CheatSheet

SAMPLES = Path(__file__).resolve().parents[2] / "shared" / "samples"


def open_window(qtbot, path: Path) -> MainWindow:
    project = Project.open(path) if path.exists() else Project.create(path)
    window = MainWindow(project)
    qtbot.addWidget(window)
    window.show()
    qtbot.waitExposed(window)
    window.activateWindow()
    qtbot.waitUntil(window.isActiveWindow, timeout=3000)
    return window


def close_window(window: MainWindow) -> None:
    window.close()
    window.project.close()


def press(qtbot, window: MainWindow, key: Qt.Key, modifier=Qt.KeyboardModifier.NoModifier) -> None:
    target = QApplication.focusWidget() or window
    qtbot.keyClick(target, key, modifier)


def statuses(path: Path) -> dict[int, tuple]:
    with Project.open(path) as project:
        return {s.id: (s.status, s.label, s.rating) for s in query.iter_samples(project)}


@pytest.fixture
def demo_path(tmp_path: Path) -> Path:
    path = tmp_path / "demo.winnow"
    demo.build_demo(path).close()
    return path


def test_single_keys_decide_save_and_move_on(qtbot, demo_path: Path) -> None:
    window = open_window(qtbot, demo_path)
    window.browser.focus_table()
    assert window.current.id == 1
    press(qtbot, window, Qt.Key.Key_1)
    assert window.current.id == 2
    press(qtbot, window, Qt.Key.Key_3)
    press(qtbot, window, Qt.Key.Key_4)
    press(qtbot, window, Qt.Key.Key_A)
    press(qtbot, window, Qt.Key.Key_R)
    press(qtbot, window, Qt.Key.Key_S)  # skip: no verdict
    press(qtbot, window, Qt.Key.Key_4, Qt.KeyboardModifier.AltModifier)  # rate 4, stay
    assert window.current.id == 7
    close_window(window)
    saved = statuses(demo_path)
    assert saved[1] == ("accepted", 1, None)
    assert saved[2] == ("needs_fix", 3, None)
    assert saved[3] == ("rejected", 4, None)
    assert saved[4][0] == "accepted" and saved[5][0] == "rejected"
    assert saved[6] == ("new", None, None)
    assert saved[7] == ("new", None, 4)


def test_the_input_method_watcher_follows_the_focus_instead_of_filtering_every_event(
    qtbot, demo_path: Path
) -> None:
    window = open_window(qtbot, demo_path)
    window.browser.select_sample(21)
    window.panes.focus_first_field()
    editor = QApplication.focusWidget()
    qtbot.waitUntil(lambda: window._compose._watched is QApplication.focusObject(), timeout=5000)
    QApplication.sendEvent(editor, QInputMethodEvent("nihao", []))
    assert window._compose.composing
    window.browser.focus_table()  # the focus moves on: composing there has ended
    qtbot.waitUntil(lambda: window._compose._watched is QApplication.focusObject(), timeout=5000)
    assert window._compose._watched is not editor and not window._compose.composing
    QApplication.sendEvent(editor, QInputMethodEvent("zaijian", []))  # not watched any more
    assert not window._compose.composing
    close_window(window)
    assert window._compose._watched is None


def test_keys_are_inert_while_typing_or_composing(qtbot, demo_path: Path) -> None:
    window = open_window(qtbot, demo_path)
    window.browser.select_sample(21)  # a CQIA instruction
    window.panes.focus_first_field()
    editor = QApplication.focusWidget()
    before = editor.toPlainText()
    qtbot.keyClicks(editor, "1a")
    assert window.current.id == 21
    assert editor.toPlainText() == "1a" + before
    # An input method composing 你好 with digit selection: no decision either.
    composing = QInputMethodEvent("nihao", [])
    QApplication.sendEvent(editor, composing)
    assert window._compose.composing
    press(qtbot, window, Qt.Key.Key_2)
    assert window.current.id == 21
    commit = QInputMethodEvent("", [])
    commit.setCommitString("你好")
    QApplication.sendEvent(editor, commit)
    assert not window._compose.composing
    # Esc leaves the field; then keys decide again.
    press(qtbot, window, Qt.Key.Key_Escape)
    press(qtbot, window, Qt.Key.Key_2)
    assert window.current.id != 21
    close_window(window)
    with Project.open(demo_path) as project:
        sample = query.get_sample(project, 21)
        # The "2" pressed while composing reached the field here; a real IME would have taken it.
        assert sample.content["instruction"] == "1a2你好" + before
        assert (sample.status, sample.label) == ("accepted", 2)


def test_annotator_flow_survives_close_and_reopen(qtbot, tmp_path: Path) -> None:
    """Import through the dialog, review ten samples by key, fix a translation, undo twice, close,
    reopen: decisions, edit and place are as left; the export holds the decisions."""
    path = tmp_path / "flow.winnow"
    window = open_window(qtbot, path)
    dialog = ImportDialog(
        window.project,
        [SAMPLES / "coig_cqia.jsonl", Path(__file__).parent / "data" / "json" / "translated_instructions.jsonl"],
        window,
    )
    qtbot.addWidget(dialog)
    dialog.imported.connect(window._on_imported)
    with qtbot.waitSignal(dialog.import_done, timeout=20_000):
        dialog.start_import()
    dialog.close()
    assert window.current is not None and window.current.id == 1
    window.browser.focus_table()
    for key in [Qt.Key.Key_1, Qt.Key.Key_2, Qt.Key.Key_3, Qt.Key.Key_4, Qt.Key.Key_A] * 2:
        press(qtbot, window, key)
    decided_before_undo = statuses(path)
    assert sum(1 for s in decided_before_undo.values() if s[0] != "new") == 10

    translation = next(s for s in query.iter_samples(window.project) if s.kind.value == "translation")
    window.browser.select_sample(translation.id)
    window.panes.focus_first_field()
    target = window.panes.current_pane()
    content = dict(translation.content)
    content["target"] = {**content["target"], "output": "人工修正后的译文"}
    target.content_edited.emit(content)
    assert window.save_pending()
    assert query.get_sample(window.project, translation.id).content["target"]["output"] == "人工修正后的译文"

    window.leave_field()
    press(qtbot, window, Qt.Key.Key_Z, Qt.KeyboardModifier.ControlModifier)  # undo the edit
    assert query.get_sample(window.project, translation.id).content == translation.content
    press(qtbot, window, Qt.Key.Key_Z, Qt.KeyboardModifier.ControlModifier)  # undo the tenth verdict
    press(qtbot, window, Qt.Key.Key_Z, Qt.KeyboardModifier.ControlModifier | Qt.KeyboardModifier.ShiftModifier)
    window.browser.select_sample(translation.id)
    close_window(window)

    after = statuses(path)
    assert after == decided_before_undo
    window = open_window(qtbot, path)
    assert window.current.id == translation.id  # the place in the list is kept
    press(qtbot, window, Qt.Key.Key_Z, Qt.KeyboardModifier.ControlModifier)  # undo survives the restart
    assert statuses(path)[10][0] == "new"
    out = tmp_path / "release.jsonl"
    from app import exporter
    from app.store.query import SampleFilter

    exporter.export(
        window.project, out, format_name="alpaca-jsonl", where=SampleFilter(status=("accepted",)), provenance=True
    )
    rows = [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines()]
    # Keys 1 2 3 4 A 1 2 3 4 A on samples 1–10: 1, 2, 5, 6, 7 accepted (10's A was undone).
    assert [r["_winnow"]["label"] for r in rows] == [1, 2, None, 1, 2]
    assert all(r["_winnow"]["reviews"][0]["verdict"] == "accept" for r in rows)
    close_window(window)


def test_closing_saves_the_edit_in_progress(qtbot, demo_path: Path) -> None:
    window = open_window(qtbot, demo_path)
    window.browser.select_sample(7)  # exam
    content = dict(window.current.content)
    content["textbox_answer"] = "C（已核对）"
    window.panes.current_pane().content_edited.emit(content)
    assert window._pending is not None  # not yet written: the debounce is running
    close_window(window)
    with Project.open(demo_path) as project:
        assert query.get_sample(project, 7).content["textbox_answer"] == "C（已核对）"


def test_typing_bursts_are_one_undo_step(qtbot, demo_path: Path) -> None:
    window = open_window(qtbot, demo_path)
    window.browser.select_sample(22)
    original = dict(window.current.content)
    for text in ("补", "补充", "补充说明"):
        window.panes.current_pane().content_edited.emit({**original, "input": text})
        window.save_pending()
    assert query.get_sample(window.project, 22).content["input"] == "补充说明"
    window.undo()
    assert query.get_sample(window.project, 22).content == original
    close_window(window)


def test_bulk_label_on_a_filter_is_one_undo(qtbot, demo_path: Path, monkeypatch) -> None:
    from PySide6.QtWidgets import QInputDialog

    window = open_window(qtbot, demo_path)
    window.browser.set_filter(query.SampleFilter(kind=("exam",)))
    monkeypatch.setattr(QInputDialog, "getItem", lambda parent, title, text, names, *rest: (names[3], True))
    window.bulk_label()
    qtbot.waitUntil(lambda: window._waiting is None, timeout=10_000)  # applied once backed up
    assert {s.label for s in query.iter_samples(window.project, query.SampleFilter(kind=("exam",)))} == {4}
    assert (Path(str(demo_path).removesuffix(".winnow") + ".backups")).is_dir()  # backed up first
    window.undo()
    assert {s.label for s in query.iter_samples(window.project, query.SampleFilter(kind=("exam",)))} == {None}
    close_window(window)


def test_cheat_sheet_lists_every_shortcut(qtbot, demo_path: Path) -> None:
    window = open_window(qtbot, demo_path)
    sheet = CheatSheet(window)
    qtbot.addWidget(sheet)
    texts = [sheet.table.item(row, 1).text() for row in range(sheet.table.rowCount())]
    assert any("Label 1" in t for t in texts) and any("Undo" in t for t in texts)
    assert sheet.table.rowCount() == sum(len(v) > 0 for v in window.shortcut_objects.values())
    close_window(window)


KILLED_WINDOW = """
import sys, time
from pathlib import Path
from PySide6.QtWidgets import QApplication
app = QApplication([])
from app.store import Project
from widgets.main_window import MainWindow
window = MainWindow(Project.open(Path(sys.argv[1])))
window.show()
window.browser.select_sample(1)
window.decide_label(2)
window.browser.select_sample(7)
exam = dict(window.current.content)
exam["textbox_answer"] = "C（已核对）"
window.panes.current_pane().content_edited.emit(exam)
app.processEvents()
time.sleep(1.0)          # longer than the save delay: the edit is written by the timer ...
app.processEvents()      # ... which fires here
print(window.save_state.text(), flush=True)
time.sleep(60)
"""


def test_kill_9_loses_nothing_shown_as_saved(demo_path: Path) -> None:
    import os
    import signal
    import subprocess
    import sys

    with subprocess.Popen(
        [sys.executable, "-c", KILLED_WINDOW, str(demo_path)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, "QT_QPA_PLATFORM": "offscreen"},
    ) as child:
        try:
            shown = child.stdout.readline().strip()
        finally:
            child.send_signal(signal.SIGKILL)
            child.wait()
        errors = child.stderr.read()
    assert shown == "All changes saved", errors[-2000:]
    with Project.open(demo_path) as project:
        first = query.get_sample(project, 1)
        assert (first.status, first.label) == ("accepted", 2)
        assert query.get_sample(project, 7).content["textbox_answer"] == "C（已核对）"


def test_taking_a_machine_draft_is_one_undo(qtbot, demo_path: Path) -> None:
    window = open_window(qtbot, demo_path)
    translation = next(
        s
        for s in query.iter_samples(window.project, query.SampleFilter(kind=("translation",)))
        if query.suggestions(window.project, s.id)
    )
    window.browser.select_sample(translation.id)
    (draft,) = query.suggestions(window.project, translation.id)
    taken = {**translation.content, **draft["content"]}
    window.panes.suggestion_taken.emit(draft["id"], taken)
    assert query.get_sample(window.project, translation.id).content == taken
    assert query.suggestions(window.project, translation.id)[0]["state"] == "accepted"
    window.undo()
    assert query.get_sample(window.project, translation.id).content == translation.content
    assert query.suggestions(window.project, translation.id)[0]["state"] == "pending"
    close_window(window)


def test_restore_a_backup_from_the_menu(qtbot, demo_path: Path, monkeypatch) -> None:
    from PySide6.QtWidgets import QInputDialog

    window = open_window(qtbot, demo_path)
    backup.backup(window.project, "manual")
    window.browser.focus_table()
    press(qtbot, window, Qt.Key.Key_4)  # a decision made after the backup
    assert query.get_sample(window.project, 1).status == "rejected"
    monkeypatch.setattr(QInputDialog, "getItem", lambda parent, title, text, names, *rest: (names[0], True))
    window.restore_backup()
    assert query.get_sample(window.project, 1).status == "new"
    close_window(window)


def test_recent_projects_and_switching(qtbot, demo_path: Path, tmp_path: Path) -> None:
    other = tmp_path / "other.winnow"
    Project.create(other, name="另一个项目").close()
    window = open_window(qtbot, demo_path)
    assert window.open_project(other)
    assert window.windowTitle().startswith("另一个项目")
    window._fill_recent()
    entries = [a.text() for a in window.recent_menu.actions()]
    assert str(other.resolve()) in entries and str(demo_path.resolve()) in entries
    close_window(window)
