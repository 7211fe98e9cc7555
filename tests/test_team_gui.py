"""The Team menu's dialogs (pytest-qt), and the whole team flow end to end: a lead assigns to two
annotators with overlap and sends packages, each annotator works in their package in the review
window, the lead merges both, adjudicates the conflict hunk by hunk, and exports JSON Lines."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

import pytest
from PySide6.QtCore import QMimeData, QPointF, Qt, QUrl
from PySide6.QtGui import QDropEvent
from PySide6.QtWidgets import QMessageBox

from app import exporter, i18n
from app.packages import adjudication, assign, workpackage
from app.store import Project, actions, query
from tests.package_helpers import dump, lead_project
from widgets.adjudication import AdjudicationDialog
from widgets.main_window import MainWindow
from widgets.team import ASSIGN_STEPS, AssignDialog, read_assign_figures


@pytest.fixture
def lead(tmp_path: Path, samples_dir: Path):
    with lead_project(tmp_path / "lead.winnow", samples_dir) as project:
        yield project


def open_window(qtbot, project: Project) -> MainWindow:
    window = MainWindow(project)
    qtbot.addWidget(window)
    window.show()
    qtbot.waitExposed(window)
    return window


def opened(qtbot, project: Project, flt: query.SampleFilter = query.SampleFilter()) -> AssignDialog:
    """The assign dialog with its counts and batches shown (they are read in the background)."""
    dialog = AssignDialog(project, flt)
    qtbot.addWidget(dialog)
    with qtbot.waitSignal(dialog.loaded, timeout=20_000):
        pass
    return dialog


def click_assign(qtbot, dialog: AssignDialog) -> None:
    """Click Assign and wait for the assignment and the list read again, both in the background."""
    with qtbot.waitSignal(dialog.loaded, timeout=20_000):
        dialog.assign_button.click()
        assert dialog.assign_task is not None and not dialog.assign_button.isEnabled()
    assert dialog.assign_button.isEnabled()


def send(qtbot, dialog: AssignDialog, folder: Path) -> None:
    task = dialog.export_selected(folder)
    assert task is not None
    with qtbot.waitSignal(dialog.loaded, timeout=20_000):
        pass
    assert not task.is_running()


def test_assign_dialog_assigns_and_sends_packages(qtbot, lead: Project, tmp_path: Path) -> None:
    dialog = opened(qtbot, lead)
    changed = []
    dialog.changed.connect(changed.append)
    assert "21 samples" in dialog.scope.text()
    dialog.annotators.setText("张三，李四")  # a full-width comma, as a Chinese keyboard types it
    dialog.overlap.setValue(20)
    click_assign(qtbot, dialog)
    assert dialog.table.rowCount() == 2
    assert [dialog.table.item(r, 1).text() for r in range(2)] == ["张三", "李四"]
    assert len(dialog.selected_batch_ids()) == 2
    assert changed and changed[0].name == "assign_batches"
    send(qtbot, dialog, tmp_path)
    assert sorted(p.name for p in tmp_path.glob("*.winnowpkg")) == ["a1-张三-1.winnowpkg", "a1-李四-1.winnowpkg"]
    assert [dialog.table.item(r, 2).text() for r in range(2)] == ["sent", "sent"]  # the state in words (exported)
    assert "a1-张三-1.winnowpkg" in dialog.message.text()


def test_assign_dialog_says_what_is_wrong(qtbot, lead: Project) -> None:
    dialog = opened(qtbot, lead)
    dialog.annotators.setText("alice")
    dialog.overlap.setValue(10)
    dialog.assign_button.click()
    assert "at least two annotators" in dialog.message.text()
    assert dialog.table.rowCount() == 0
    dialog.export_button.click()


def test_a_refused_package_is_reported_and_changes_nothing(qtbot, lead: Project, tmp_path: Path, monkeypatch) -> None:
    window = open_window(qtbot, lead)
    shown = []
    monkeypatch.setattr(QMessageBox, "warning", lambda _parent, title, text: shown.append((title, text)))
    bad = tmp_path / "坏的.winnowpkg"
    bad.write_bytes(b"SQLite format 3\x00" + b"\x00" * 500)
    before = dump(lead)
    task = window.team.merge([bad])
    with qtbot.waitSignal(task.done, timeout=20_000):
        pass
    assert shown and shown[0][0] == "Some packages were refused"
    assert "坏的.winnowpkg: refused: the work package is damaged" in shown[0][1]
    assert dump(lead) == before
    window.close()


def test_adjudication_view_picks_hunks_and_resolves(qtbot, lead: Project, tmp_path: Path) -> None:
    assign.assign_batches(lead, query.sample_ids(lead), ["alice", "bob"], overlap=0.2, seed=2)
    paths = {
        b["annotator"]: workpackage.export_package(lead, b["id"], tmp_path / b["name"]).path
        for b in assign.batches(lead)
    }
    sample_id = lead.db.execute("SELECT min(sample_id) FROM batch_samples WHERE shared = 1").fetchone()[0]
    base = query.get_sample(lead, sample_id).content
    for who, change in (
        ("alice", {"output": "甲：" + base["output"]}),
        ("bob", {"instruction": base["instruction"] + "（乙）"}),
    ):
        with workpackage.open_project_file(paths[who]) as work:
            actions.edit_content(work, sample_id, {**base, **change})
    workpackage.merge_packages(lead, paths.values())

    dialog = AdjudicationDialog(lead)
    qtbot.addWidget(dialog)
    resolved = []
    dialog.resolved.connect(resolved.append)
    assert dialog.queue.count() == 1
    assert [c.hunk for c in dialog.choosers] == [0, 1]  # instruction, output
    assert [c.title() for c in dialog.choosers] == ["Instruction", "Output"]  # named, not JSON keys
    assert dialog.preview.toPlainText().startswith("Output\n甲：")  # A's output against the version sent
    i18n.set_language("zh_CN")
    dialog._build_hunks()
    assert [c.title() for c in dialog.choosers] == ["指令", "输出"]
    assert dialog.preview.toPlainText().startswith("输出\n甲：")
    i18n.set_language("en")
    dialog._build_hunks()
    assert "alice" in dialog.version_a.currentText() and "bob" in dialog.version_b.currentText()
    dialog.choosers[0].choose("b")  # bob's instruction
    dialog.choosers[1].choose("a")  # alice's output
    assert "（乙）" in dialog.preview.toPlainText() and "甲：" in dialog.preview.toPlainText()
    dialog.all_b.click()
    assert all(c.side() == "b" for c in dialog.choosers)
    dialog.choosers[1].choose("a")
    dialog.resolve_button.click()
    assert len(resolved) == 1 and sample_id in resolved[0].sample_ids
    content = query.get_sample(lead, sample_id).content
    assert content["instruction"].endswith("（乙）") and content["output"].startswith("甲：")
    assert dialog.queue.count() == 0 and not dialog.resolve_button.isEnabled()
    assert "Nothing waits" in dialog.heading.text()


def test_team_flow_end_to_end(qtbot, lead: Project, tmp_path: Path, monkeypatch) -> None:
    # The lead assigns everything to two annotators, a fifth of it to both, and sends the packages.
    lead_window = open_window(qtbot, lead)
    dialog = lead_window.team.assign()
    with qtbot.waitSignal(dialog.loaded, timeout=20_000):
        pass
    dialog.annotators.setText("alice, bob")
    dialog.overlap.setValue(20)
    click_assign(qtbot, dialog)
    outbox = tmp_path / "outbox"
    outbox.mkdir()
    send(qtbot, dialog, outbox)
    dialog.close()
    shared = sorted(r[0] for r in lead.db.execute("SELECT DISTINCT sample_id FROM batch_samples WHERE shared = 1"))
    assert len(shared) == 4
    conflicted, agreed = shared[0], shared[1]

    # Each annotator opens their package in their own Winnow and works in the review window.
    for who, suffix in (("alice", "（甲）"), ("bob", "（乙）")):
        package = outbox / f"a1-{who}-1.winnowpkg"
        window = open_window(qtbot, Project.create(tmp_path / f"{who}-scratch.winnow"))
        assert window.open_project(package)
        assert window.project.author == who
        assert f"Work package a1-{who}-1 for {who}" in window.statusBar().currentMessage()
        # the same edit and label on one shared sample; different ones on the other
        for sample_id, text, label in ((conflicted, suffix, 1 if who == "alice" else 2), (agreed, "（同）", 1)):
            assert window.browser.select_sample(sample_id)
            content = dict(window.current.content)
            content["output"] += text
            window.panes.content_edited.emit(content)  # what the pane does as the person types
            window.decide_label(label)  # saves the edit, then the decision
        window.close()
        window.project.close()

    # The lead merges both packages in the background; one sample waits for adjudication.
    assert lead_window.browser.select_sample(agreed)
    monkeypatch.setattr(QMessageBox, "question", lambda *_args: QMessageBox.StandardButton.No)
    task = lead_window.team.merge(sorted(outbox.glob("*.winnowpkg")))
    with qtbot.waitSignal(task.done, timeout=20_000):
        pass
    assert adjudication.open_count(lead) == 1
    assert query.get_sample(lead, agreed).content["output"].endswith("（同）")
    assert lead_window.current.content["output"].endswith("（同）")  # the sample on show is refreshed
    reviews = lead.db.execute("SELECT reviewer, label FROM reviews WHERE sample_id = ? ORDER BY reviewer", [agreed])
    assert reviews.fetchall() == [("alice", 1), ("bob", 1)]
    authors = {r["author"] for r in query.revisions(lead, agreed)}
    assert authors & {"alice", "bob"}

    # The lead adjudicates: bob's wording, alice's label.
    lead_window.team.update_actions()
    assert lead_window.team.adjudicate_action.text() == "A&djudicate (1 waiting)…"
    judge = lead_window.team.adjudicate()
    judge.choose_all("b")
    judge.field_choices["label"].setCurrentIndex(judge.field_choices["label"].findData("a"))
    assert judge.resolve()
    judge.close()
    final = query.get_sample(lead, conflicted)
    assert lead_window.browser.select_sample(conflicted)
    assert lead_window.current.label == 1
    assert final.content["output"].endswith("（乙）") and final.label == 1

    # And exports the dataset.
    out = tmp_path / "release.jsonl"
    report = exporter.export(lead, out, format_name="alpaca-jsonl", dataset_info=False)
    assert report.written == 21
    records = [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines()]
    assert sum(r["output"].endswith("（乙）") for r in records) == 1
    assert sum(r["output"].endswith("（同）") for r in records) == 1
    assert not any(r["output"].endswith("（甲）") for r in records)
    lead_window.close()


def test_packages_dropped_on_the_window_are_merged(qtbot, lead: Project, tmp_path: Path) -> None:
    assign.assign_batches(lead, query.sample_ids(lead), ["alice"])
    (batch,) = assign.batches(lead)
    package = workpackage.export_package(lead, batch["id"], tmp_path / batch["name"]).path
    with workpackage.open_project_file(package) as work:
        actions.add_review(work, query.sample_ids(work)[0], verdict="accept", label=1)
    window = open_window(qtbot, lead)
    data = QMimeData()
    data.setUrls([QUrl.fromLocalFile(str(package))])
    event = QDropEvent(
        QPointF(10, 10), Qt.DropAction.CopyAction, data, Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier
    )
    window.dropEvent(event)
    with qtbot.waitSignal(window.team.task.done, timeout=20_000):
        pass
    assert assign.find_batch(lead, batch["id"])["state"] == "merged"
    assert "1 reviews" in window.statusBar().currentMessage()
    window.close()


def batches_made(project: Project) -> list[tuple]:
    """The batches, their samples and each sample's assignee: what an assignment wrote."""
    return [
        *project.db.execute("SELECT id, name, assignment, annotator, state, seed FROM batches ORDER BY id"),
        *project.db.execute("SELECT batch_id, sample_id, shared FROM batch_samples ORDER BY id"),
        *project.db.execute("SELECT id, assignee FROM samples ORDER BY id"),
    ]


def test_assign_dialog_counts_in_sql_and_reads_ids_only_to_assign(
    qtbot, lead: Project, tmp_path: Path, samples_dir: Path
) -> None:
    ids = query.sample_ids(lead)
    flt = query.SampleFilter(ids=tuple(ids[2:19]))
    assign.assign_batches(lead, ids[:5], ["先来的"], seed=1)  # three of the filter's samples are out already
    statements: list[str] = []
    lead.db.conn.set_trace_callback(statements.append)
    dialog = AssignDialog(lead, flt)
    qtbot.addWidget(dialog)
    assert dialog.scope.text() == "Counting the samples…"
    with qtbot.waitSignal(dialog.loaded, timeout=20_000):
        pass
    lead.db.conn.set_trace_callback(None)
    assert not statements  # nothing read on the GUI's connection: counted in the pool
    assert dialog.scope.text() == "17 samples in the current list (3 of them already out with annotators)."
    figures = read_assign_figures(lead.path, "lead", flt, 7, progress=print, cancelled=lambda: False)
    assert (figures.generation, figures.samples, figures.out) == (7, 17, 3)
    assert figures.batches == assign.batches(lead, columns=("gate_stage",))

    dialog.annotators.setText("张三，李四，王五")
    dialog.overlap.setValue(30)
    dialog.batch_size.setValue(3)
    dialog.seed.setValue(42)
    click_assign(qtbot, dialog)
    assert "Assignment a2: " in dialog.message.text()
    assert dialog.scope.text() == "17 samples in the current list (17 of them already out with annotators)."
    # The same split as assigning the filter's ids directly with the same seed.
    with lead_project(tmp_path / "again.winnow", samples_dir) as again:
        assign.assign_batches(again, ids[:5], ["先来的"], seed=1)
        assign.assign_batches(again, query.sample_ids(again, flt), ["张三", "李四", "王五"], overlap=0.3, seed=42,
                              batch_size=3)  # fmt: skip
        assert batches_made(lead) == batches_made(again)
    assert len(dialog.selected_batch_ids()) == len(assign.batches(lead, assignment="a2")) > 3


def test_assign_dialog_refuses_a_bad_form_at_once_and_reports_what_the_background_found(qtbot, lead: Project) -> None:
    dialog = opened(qtbot, lead)
    dialog.annotators.setText("alice, bob")
    dialog.overlap.setValue(0)
    dialog.batch_size.setValue(0)
    assert dialog.assign() is not None
    assert dialog.assign() is None  # one assignment at a time
    with qtbot.waitSignal(dialog.loaded, timeout=20_000):  # assigned, and the list read again
        pass
    dialog.annotators.setText(" , ")
    assert dialog.assign() is None
    assert "name at least one annotator" in dialog.message.text()
    dialog.annotators.setText("carol")
    task = dialog.assign()  # everything is out with alice and bob now: found in the background
    with qtbot.waitSignal(task.done, timeout=20_000):
        pass
    assert "all 21 are already out with annotators" in dialog.message.text()
    assert dialog.assign_button.isEnabled()


def test_assign_dialog_shows_only_its_latest_reading(qtbot, lead: Project) -> None:
    dialog = opened(qtbot, lead)
    shown = []
    dialog.loaded.connect(lambda: shown.append(dialog.scope.text()))
    first = dialog.fill_batches()
    assign.assign_batches(lead, query.sample_ids(lead)[:4], ["alice"], seed=1)
    second = dialog.fill_batches(select=["a1-alice-1"])
    qtbot.waitUntil(lambda: not first.is_running() and not second.is_running(), timeout=20_000)
    qtbot.waitUntil(lambda: bool(shown), timeout=20_000)
    with qtbot.assertNotEmitted(dialog.loaded, wait=100):
        pass
    assert shown == ["21 samples in the current list (4 of them already out with annotators)."]
    assert dialog.selected_batch_ids() == [assign.find_batch(lead, "a1-alice-1")["id"]]


def test_assign_dialog_shows_the_assignment_s_progress(qtbot, lead: Project) -> None:
    dialog = opened(qtbot, lead)
    assert not dialog.assign_progress.isVisibleTo(dialog) and not dialog.cancel_assign_button.isVisibleTo(dialog)
    dialog.annotators.setText("alice, bob")
    task = dialog.assign()
    assert task is not None
    values: list[int] = []
    task.progress.connect(values.append)
    assert dialog.assign_progress.isVisibleTo(dialog) and dialog.cancel_assign_button.isVisibleTo(dialog)
    assert (dialog.assign_progress.minimum(), dialog.assign_progress.maximum()) == (0, ASSIGN_STEPS)  # determinate
    with qtbot.waitSignal(dialog.loaded, timeout=20_000):
        pass
    assert values and values[-1] == ASSIGN_STEPS and values == sorted(values)
    assert dialog.assign_progress.value() == ASSIGN_STEPS
    assert not dialog.assign_progress.isVisibleTo(dialog) and not dialog.cancel_assign_button.isVisibleTo(dialog)
    assert "Assignment a1: 2 batches" in dialog.message.text()


def test_assign_dialog_cancel_leaves_the_project_as_it_was(qtbot, lead: Project) -> None:
    dialog = opened(qtbot, lead)
    before = dump(lead)
    dialog.annotators.setText("alice, bob")
    # Another writer holds the project, so the assignment waits for it at the start of its transaction:
    # the Cancel below is surely clicked before the first row is written.
    other = sqlite3.connect(lead.path, isolation_level=None)
    other.execute("BEGIN IMMEDIATE")
    try:
        task = dialog.assign()
        assert task is not None and dialog.cancel_assign_button.isEnabled()
        qtbot.mouseClick(dialog.cancel_assign_button, Qt.MouseButton.LeftButton)
        assert task.is_cancelled() and not dialog.cancel_assign_button.isEnabled()
        assert dialog.message.text() == "Cancelling the assignment…"
    finally:
        other.execute("ROLLBACK")
        other.close()
    with qtbot.waitSignal(task.done, timeout=20_000):
        pass
    assert dialog.message.text() == "Assignment cancelled; nothing was assigned."
    assert dialog.message.styleSheet() == ""  # not an error: what the user asked for
    assert dump(lead) == before and assign.batches(lead) == []
    assert dialog.assign_button.isEnabled() and not dialog.assign_progress.isVisibleTo(dialog)
    # The next assignment is whole, as if the cancelled one had never been started.
    click_assign(qtbot, dialog)
    assert [b["name"] for b in assign.batches(lead)] == ["a1-alice-1", "a1-bob-1"]
