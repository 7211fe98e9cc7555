"""The export dialog, driven as a person would: writer, path, scope, filters, provenance; errors as messages."""

from __future__ import annotations

import json
import time
from pathlib import Path

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication

from app import importer
from app.formats import registry
from app.store import Project, actions, query
from app.store.query import SampleFilter
from tests.helpers import wait_for_background_tasks
from widgets.export_dialog import ExportDialog, narrow

SAMPLES = Path(__file__).parents[2] / "shared" / "samples"
SCREENSHOTS = Path("/tmp/dialogs")
_LEFT = Qt.MouseButton.LeftButton


@pytest.fixture(autouse=True)
def no_task_outlives_the_test(qtbot):
    # Its own name: the same one would shadow conftest.py's thread guard.
    yield
    wait_for_background_tasks(qtbot, "an export")


@pytest.fixture
def curated(project: Project) -> Project:
    """CQIA samples with statuses, labels and ratings set, and accepted ShareGPT chats."""
    importer.import_file(project, SAMPLES / "coig_cqia.jsonl", subset="cqia")
    importer.import_file(project, SAMPLES / "sharegpt_fastchat_dummy_conversation.json", subset="chat")
    ids = query.sample_ids(project, SampleFilter(subset=("cqia",)))
    actions.set_status(project, ids[:10], "accepted")
    actions.set_rating(project, ids[:5], 5)
    actions.set_rating(project, ids[5:10], 3)
    actions.set_label(project, ids[:3], 1)
    chats = query.sample_ids(project, SampleFilter(subset=("chat",)))
    actions.set_status(project, chats, "accepted")
    return project


def _chats(project: Project) -> int:
    return query.count(project, SampleFilter(kind=("chat",)))


def _open(qtbot, project: Project, flt: SampleFilter = SampleFilter()) -> ExportDialog:
    dialog = ExportDialog(project, flt)
    qtbot.addWidget(dialog)
    dialog.show()
    qtbot.waitExposed(dialog)
    return dialog


def _choose(combo, data) -> None:
    index = combo.findData(data)
    assert index >= 0, data
    combo.setCurrentIndex(index)


def _export(qtbot, dialog: ExportDialog) -> None:
    with qtbot.waitSignal(dialog.exported, timeout=20_000):
        qtbot.mouseClick(dialog.export_button, _LEFT)


def test_every_writer_is_offered_with_its_title(qtbot, curated: Project) -> None:
    dialog = _open(qtbot, curated)
    offered = [
        (dialog.writer_combo.itemData(i), dialog.writer_combo.itemText(i)) for i in range(dialog.writer_combo.count())
    ]
    assert offered == [(w.name, w.title) for w in registry.writers()]
    _choose(dialog.writer_combo, "sharegpt")
    assert dialog.path_edit.text().endswith("test.json")
    _choose(dialog.writer_combo, "coig-ccmc")
    assert dialog.path_edit.text().endswith("test.tar.gz")
    assert not dialog.dataset_info_check.isEnabled(), "LLaMA-Factory cannot read CCMC archives"
    _choose(dialog.writer_combo, "alpaca-jsonl")
    assert dialog.path_edit.text().endswith("test.jsonl")
    assert dialog.dataset_info_check.isEnabled()


def test_accepted_with_rating_filter_and_provenance(qtbot, curated: Project, tmp_path: Path) -> None:
    dialog = _open(qtbot, curated)
    _choose(dialog.writer_combo, "alpaca-jsonl")
    out = tmp_path / "out" / "精选.jsonl"
    out.parent.mkdir()
    dialog.path_edit.setText(str(out))
    dialog.scope_buttons["accepted"].click()
    assert dialog.count_label.text() == f"{10 + _chats(curated)} samples match"
    _choose(dialog.rating_combo, 4)
    _choose(dialog.subset_combo, "cqia")
    assert dialog.count_label.text() == "5 samples match"
    dialog.provenance_check.click()
    _export(qtbot, dialog)

    records = [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines()]
    assert len(records) == 5
    expected = query.get_samples(curated, query.sample_ids(curated, SampleFilter(rating=(5,))))
    assert [r["instruction"] for r in records] == [s.content["instruction"] for s in expected]
    trail = records[0]["_winnow"]
    assert trail["status"] == "accepted" and trail["rating"] == 5 and trail["label"] == 1
    assert trail["source"]["file"] == "coig_cqia.jsonl" and trail["source"]["line"] == 1
    assert f"Wrote 5 samples to {out}" in dialog.result_text()
    assert (out.parent / "dataset_info.json").exists()
    assert dialog.report is not None and dialog.report.written == 5


def test_current_filter_and_kinds_left_out(qtbot, curated: Project, tmp_path: Path) -> None:
    dialog = _open(qtbot, curated, SampleFilter(status=("accepted",)))
    _choose(dialog.writer_combo, "cqia")
    out = tmp_path / "cqia.jsonl"
    dialog.path_edit.setText(str(out))
    dialog.dataset_info_check.setChecked(False)
    _export(qtbot, dialog)
    records = [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines()]
    assert len(records) == 10
    assert all("_winnow" not in r for r in records), "no provenance unless asked"
    assert "task_type" in records[0]
    text = dialog.result_text()
    assert "Wrote 10 samples" in text
    assert f"Left out {_chats(curated)} chat samples: this format cannot hold them" in text
    assert not (tmp_path / "dataset_info.json").exists()


def test_extra_filters_narrow_the_current_one(qtbot, curated: Project) -> None:
    dialog = _open(qtbot, curated, SampleFilter(status=("new",)))
    assert dialog.count_label.text() == f"{query.count(curated, SampleFilter(status=('new',)))} samples match"
    # Accepted within a view of new samples: nothing, not everything.
    _choose(dialog.status_combo, "accepted")
    assert dialog.count_label.text() == "0 samples match"
    dialog.scope_buttons["everything"].click()
    assert dialog.count_label.text() == f"{10 + _chats(curated)} samples match"
    _choose(dialog.label_combo, 1)
    assert dialog.count_label.text() == "3 samples match"
    assert narrow(SampleFilter(rating=(1, 2)), "rating", (4, 5)).ids == ()
    assert narrow(SampleFilter(rating=(1, 4)), "rating", (4, 5)).rating == (4,)


def test_errors_are_shown_as_messages(qtbot, curated: Project, tmp_path: Path) -> None:
    dialog = _open(qtbot, curated)
    dialog.path_edit.setText(str(tmp_path / "no such folder" / "out.jsonl"))
    with qtbot.waitSignal(dialog.export_failed, timeout=20_000):
        qtbot.mouseClick(dialog.export_button, _LEFT)
    assert "Not exported:" in dialog.result_text()
    assert "no such folder" in dialog.result_text()
    assert dialog.export_button.isEnabled() and dialog.close_button.isEnabled()
    dialog.path_edit.setText("")
    qtbot.mouseClick(dialog.export_button, _LEFT)
    assert dialog.result_text() == "Choose the file to write."


def test_screenshot_fits_the_default_size(qtbot, curated: Project, tmp_path: Path) -> None:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    importer.import_file(curated, SAMPLES / "llamafactory_alpaca_zh_demo.json", subset="中文示例")
    dialog = _open(qtbot, curated, SampleFilter(subset=("cqia",)))
    QApplication.processEvents()
    hint = dialog.minimumSizeHint()
    assert hint.width() <= dialog.width() and hint.height() <= dialog.height()
    dialog.scope_buttons["everything"].click()
    _choose(dialog.subset_combo, "中文示例")
    dialog.provenance_check.click()
    dialog.path_edit.setText(str(tmp_path / "导出" / "中文示例.json"))
    (tmp_path / "导出").mkdir()
    _export(qtbot, dialog)
    assert dialog.grab().save(str(SCREENSHOTS / "export.png"))


def test_cancel_keeps_the_old_file(qtbot, curated: Project, tmp_path: Path) -> None:
    dialog = _open(qtbot, curated)
    _choose(dialog.writer_combo, "alpaca-jsonl")
    out = tmp_path / "old.jsonl"
    out.write_text("旧的导出\n", encoding="utf-8")
    dialog.path_edit.setText(str(out))
    # Cancel before the worker starts its first batch: the export must stop and keep the old file.
    with qtbot.waitSignal(dialog.export_failed, timeout=20_000) as failed:
        dialog.start_export()
        assert dialog.cancel_button.isEnabled()
        dialog.cancel_export()
    assert "cancelled" in failed.args[0]
    assert out.read_text(encoding="utf-8") == "旧的导出\n"
    assert not dialog.cancel_button.isEnabled()


def test_escape_while_exporting_cancels_then_closes_keeping_the_old_file(
    qtbot, curated: Project, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from app import exporter

    real_export = exporter.export

    def export_until_cancelled(*args, cancelled, **kwargs):  # a long export: it waits for the cancel
        while not cancelled():
            time.sleep(0.01)
        return real_export(*args, cancelled=cancelled, **kwargs)

    monkeypatch.setattr(exporter, "export", export_until_cancelled)
    dialog = _open(qtbot, curated)
    _choose(dialog.writer_combo, "alpaca-jsonl")
    out = tmp_path / "old.jsonl"
    out.write_text("旧的导出\n", encoding="utf-8")
    dialog.path_edit.setText(str(out))
    dialog.show()
    with qtbot.waitSignal(dialog.rejected, timeout=20_000):
        dialog.start_export()
        qtbot.keyClick(dialog, Qt.Key.Key_Escape)  # as the import dialog: cancel, then close
        assert dialog.isVisible()  # not before the worker has stopped
    assert not dialog.isVisible()
    assert out.read_text(encoding="utf-8") == "旧的导出\n"
