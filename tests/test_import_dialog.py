"""The import dialog, driven as a person would: detection, overrides, preview, import, cancel, duplicates."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from PySide6.QtCore import Qt
from PySide6.QtGui import QInputMethodEvent
from PySide6.QtWidgets import QApplication

from app import importer
from app.store import Project, query
from tests.helpers import wait_for_background_tasks
from widgets.import_dialog import BAD_COLOUR, ImportDialog

SAMPLES = Path(__file__).parents[2] / "shared" / "samples"
CQIA = SAMPLES / "coig_cqia.jsonl"
SCREENSHOTS = Path("/tmp/dialogs")


@pytest.fixture(autouse=True)
def no_task_outlives_the_test(qtbot):
    # Its own name: the same one would shadow conftest.py's thread guard.
    yield
    wait_for_background_tasks(qtbot, "an import")


@pytest.fixture
def open_dialog(qtbot, project: Project):
    def make(*paths: Path) -> ImportDialog:
        dialog = ImportDialog(project, list(paths))
        qtbot.addWidget(dialog)
        dialog.show()
        qtbot.waitExposed(dialog)
        return dialog

    return make


def _cqia_lines() -> int:
    return sum(1 for line in CQIA.read_text(encoding="utf-8").splitlines() if line.strip())


def _click_import(qtbot, dialog: ImportDialog, button=None) -> list:
    with qtbot.waitSignal(dialog.import_done, timeout=20_000) as blocker:
        qtbot.mouseClick(button or dialog.import_button, _LEFT)
    return blocker.args[0]


def _type_chinese(widget, text: str) -> None:
    """What a Chinese input method sends when a candidate is chosen (QTest cannot type CJK keys)."""
    widget.setFocus()
    event = QInputMethodEvent()
    event.setCommitString(text)
    QApplication.sendEvent(widget, event)


_LEFT = Qt.MouseButton.LeftButton


def test_cqia_is_detected_previewed_and_imported(qtbot, open_dialog, project: Project) -> None:
    dialog = open_dialog(CQIA)
    assert dialog.detected_label.text() == "detected COIG-CQIA (confidence 95; also possible: Alpaca 60)"
    assert dialog.reader_combo.currentData() == "cqia"
    assert dialog.subset_edit.text() == "coig_cqia"
    assert not dialog.mapping_box.isVisible(), "a JSON format has no column mapping"
    assert dialog.preview_table.rowCount() == 20
    first = json.loads(CQIA.read_text(encoding="utf-8").splitlines()[0])
    assert dialog.preview_table.item(0, 1).text() == "instruction"
    assert first["instruction"].startswith(dialog.preview_table.item(0, 2).text().rstrip("…"))

    dialog.subset_edit.selectAll()
    _type_chinese(dialog.subset_edit, "社区问答")
    with qtbot.waitSignal(dialog.imported, timeout=20_000) as imported:
        qtbot.mouseClick(dialog.import_button, _LEFT)
    reports = imported.args[0]
    assert [r.imported for r in reports] == [_cqia_lines()]
    assert reports[0].changes is not None and reports[0].changes.tables
    assert query.count(project) == _cqia_lines()
    assert query.stats(project)["by_subset"] == {"社区问答": _cqia_lines()}
    text = dialog.results_view.toPlainText()
    assert f"coig_cqia.jsonl: imported {_cqia_lines()} samples into subset “社区问答”" in text
    assert not dialog.import_button.isEnabled(), "an imported file is not offered again"
    assert dialog.close_button.isEnabled()


def test_gbk_csv_with_a_changed_mapping_and_encoding(qtbot, open_dialog, project: Project, tmp_path: Path) -> None:
    table = tmp_path / "题库.csv"
    rows = [
        ("题目", "答案", "解析"),
        ("中国的首都是哪里？", "北京", "常识"),
        ("“画蛇添足”是什么意思？", "比喻做了多余的事，反而不恰当。", "成语"),
    ]
    table.write_bytes("".join(",".join(row) + "\r\n" for row in rows).encode("gbk"))
    dialog = open_dialog(table)
    assert dialog.reader_combo.currentData() == "csv"
    assert dialog.mapping_box.isVisible()
    instruction = dialog.mapping_combos["instruction"]
    output = dialog.mapping_combos["output"]
    # The guess from the header: 答案 is an answer; 题目 is no known name.
    assert output.currentText() == "答案"
    assert instruction.currentData() == ""
    assert [instruction.itemText(i) for i in range(1, instruction.count())] == ["题目", "答案", "解析"]
    assert dialog.preview_table.item(0, 2).text() == ""

    dialog.encoding_combo.setCurrentIndex(dialog.encoding_combo.findData("gb18030"))
    instruction.setCurrentIndex(instruction.findData("题目"))
    assert dialog.preview_table.rowCount() == 2
    assert dialog.preview_table.item(0, 2).text() == "中国的首都是哪里？"
    assert dialog.preview_table.item(0, 4).text() == "北京"

    outcomes = _click_import(qtbot, dialog)
    assert outcomes[0].report is not None, outcomes[0].error
    samples = list(query.iter_samples(project))
    assert [s.content["instruction"] for s in samples] == ["中国的首都是哪里？", "“画蛇添足”是什么意思？"]
    assert samples[1].content["output"] == "比喻做了多余的事，反而不恰当。"
    assert samples[0].content["extra"] == {"解析": "常识"}
    assert query.stats(project)["sources"][0]["file"] == "题库.csv"


def test_a_mapping_that_names_no_content_field_says_so_in_the_preview(qtbot, open_dialog, tmp_path: Path) -> None:
    table = tmp_path / "t.csv"
    table.write_text("问题,回答\n你好吗？,很好\n", encoding="utf-8")
    dialog = open_dialog(table)
    # Only the input mapped: the reader itself refuses, and the preview says why.
    dialog.mapping_combos["input"].setCurrentIndex(dialog.mapping_combos["input"].findData("问题"))
    dialog.mapping_combos["instruction"].setCurrentIndex(0)
    dialog.mapping_combos["output"].setCurrentIndex(0)
    assert dialog.preview_table.rowCount() == 0
    assert "no column maps to instruction, output" in dialog.preview_label.text()
    # Nothing mapped at all: not a silent fall-back to the guess.
    dialog.mapping_combos["input"].setCurrentIndex(0)
    assert dialog.preview_table.rowCount() == 0
    assert dialog.preview_label.text() == "Choose a column for instruction, output, messages or the exam fields."
    qtbot.mouseClick(dialog.import_button, _LEFT)
    assert dialog.task is None
    assert "t.csv: Choose a column" in dialog.status_label.text()


def test_bad_records_are_red_in_the_preview_and_listed_at_the_end(
    qtbot, open_dialog, project: Project, tmp_path: Path
) -> None:
    source = tmp_path / "带坏行.jsonl"
    good = {"instruction": "写一首诗。", "input": "", "output": "床前明月光。"}
    lines = [json.dumps(good, ensure_ascii=False)] * 3
    lines.insert(1, '{"instruction": "没有结尾')
    lines.insert(3, "[1, 2, 3]")
    source.write_text("\n".join(lines) + "\n", encoding="utf-8")
    dialog = open_dialog(source)
    assert dialog.reader_combo.currentData() == "alpaca"
    table = dialog.preview_table
    assert table.rowCount() == 5
    bad_rows = [row for row in range(5) if table.item(row, 1).text() == "bad"]
    assert bad_rows == [1, 3]
    assert table.item(1, 0).text() == "2"
    assert table.item(1, 2).foreground().color() == BAD_COLOUR
    assert table.columnSpan(1, 2) == 3
    assert "2 bad" in dialog.preview_label.text()

    outcomes = _click_import(qtbot, dialog)
    report = outcomes[0].report
    assert report.imported == 3 and report.skipped == 2
    text = dialog.results_view.toPlainText()
    assert "skipped 2 bad record(s)" in text
    assert f"{source}:2: " in text and f"{source}:4: " in text
    assert query.count(project) == 3


def test_abort_on_a_bad_record_imports_nothing(qtbot, open_dialog, project: Project, tmp_path: Path) -> None:
    source = tmp_path / "bad.jsonl"
    source.write_text('{"instruction": "好", "input": "", "output": "好"}\nnot json\n', encoding="utf-8")
    dialog = open_dialog(source)
    dialog.abort_radio.click()
    outcomes = _click_import(qtbot, dialog)
    assert outcomes[0].report is None
    assert "import aborted" in outcomes[0].error
    assert "not imported" in dialog.results_view.toPlainText()
    assert query.count(project) == 0
    assert dialog.import_button.isEnabled(), "the person may change a setting and try again"


def test_cancel_mid_import_keeps_nothing(qtbot, open_dialog, project: Project, tmp_path: Path) -> None:
    big = tmp_path / "big.jsonl"
    with big.open("w", encoding="utf-8") as handle:
        for n in range(60_000):
            record = {"instruction": f"第{n}题：把这句话翻译成英文。", "input": "今天天气很好。", "output": "Fine."}
            handle.write(json.dumps(record, ensure_ascii=False) + "\n")
    dialog = open_dialog(big)
    qtbot.mouseClick(dialog.import_button, _LEFT)
    task = dialog.task
    assert task is not None
    assert not dialog.close_button.isEnabled() and not dialog.settings_widget.isEnabled()
    with qtbot.waitSignal(task.progress, timeout=20_000):
        pass  # the first batch is written (inside the still open transaction)
    assert "records so far" in dialog.status_label.text()
    with qtbot.waitSignal(dialog.import_done, timeout=20_000) as done:
        qtbot.mouseClick(dialog.cancel_button, _LEFT)
    outcome = done.args[0][0]
    assert outcome.cancelled and outcome.report is None
    assert query.count(project) == 0
    assert query.stats(project)["sources"] == []
    assert "cancelled; nothing of the file was imported" in dialog.results_view.toPlainText()
    assert dialog.import_button.isEnabled()


def test_closing_while_importing_cancels_then_closes(qtbot, open_dialog, project: Project, tmp_path: Path) -> None:
    big = tmp_path / "big.jsonl"
    record = json.dumps({"instruction": "问", "input": "", "output": "答"}, ensure_ascii=False)
    big.write_text((record + "\n") * 60_000, encoding="utf-8")
    dialog = open_dialog(big)
    qtbot.mouseClick(dialog.import_button, _LEFT)
    with qtbot.waitSignal(dialog.task.progress, timeout=20_000):
        pass
    with qtbot.waitSignal(dialog.rejected, timeout=20_000):
        dialog.reject()
        assert dialog.isVisible(), "the dialog waits for the rollback"
    assert query.count(project) == 0


def test_duplicate_then_import_again_anyway(qtbot, open_dialog, project: Project) -> None:
    importer.import_file(project, CQIA)
    dialog = open_dialog(CQIA)
    reports: list = []
    dialog.imported.connect(reports.extend)
    outcomes = _click_import(qtbot, dialog)
    assert outcomes[0].duplicate
    assert reports == []
    assert dialog.again_button.isVisible()
    assert "already in the project" in dialog.results_view.toPlainText()
    assert query.count(project) == _cqia_lines()

    outcomes = _click_import(qtbot, dialog, dialog.again_button)
    assert outcomes[0].report is not None
    assert [r.imported for r in reports] == [_cqia_lines()]
    assert query.count(project) == 2 * _cqia_lines()
    assert len(query.stats(project)["sources"]) == 2
    assert not dialog.again_button.isVisible()


def test_several_files_each_with_its_own_settings(qtbot, open_dialog, project: Project, tmp_path: Path) -> None:
    text = tmp_path / "passages.txt"
    text.write_text("第一段文字。\n\n第二段文字。\n", encoding="utf-8")
    dialog = open_dialog(CQIA, text)
    assert dialog.file_list.isVisible() and dialog.file_list.count() == 2
    dialog.file_list.setCurrentRow(1)
    assert dialog.subset_edit.text() == "passages"
    dialog.reader_combo.setCurrentIndex(dialog.reader_combo.findData("plain-text"))
    assert dialog.preview_table.rowCount() == 2
    dialog.file_list.setCurrentRow(0)
    assert dialog.reader_combo.currentData() == "cqia"
    outcomes = _click_import(qtbot, dialog)
    assert [o.report.format for o in outcomes] == ["cqia", "plain-text"]
    assert query.count(project) == _cqia_lines() + 2


def test_screenshots_fit_the_default_size(qtbot, open_dialog, tmp_path: Path) -> None:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    table = tmp_path / "问答.csv"
    table.write_bytes("问题,回答,备注\n什么是机器学习？,机器学习是人工智能的一个分支。,无\n".encode("gbk"))
    dialog = open_dialog(CQIA, table)
    QApplication.processEvents()
    hint = dialog.minimumSizeHint()
    assert hint.width() <= dialog.width() and hint.height() <= dialog.height()
    assert dialog.grab().save(str(SCREENSHOTS / "import_cqia.png"))
    dialog.file_list.setCurrentRow(1)
    QApplication.processEvents()
    hint = dialog.minimumSizeHint()
    assert hint.width() <= dialog.width() and hint.height() <= dialog.height()
    assert dialog.grab().save(str(SCREENSHOTS / "import_csv_mapping.png"))


def test_screenshot_of_the_result(qtbot, open_dialog, project: Project, tmp_path: Path) -> None:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    source = tmp_path / "考试_坏行.jsonl"
    good = {
        "textbox_q_instruction": "阅读下面的文字，回答问题。",
        "textbox_q_context": "",
        "textbox_question": "“画蛇添足”的寓意是什么？",
        "textbox_answer": "做多余的事，反而不恰当。",
        "textbox_answer_analysis": "",
        "subject": "语文",
    }
    lines = [json.dumps(good, ensure_ascii=False)] * 4
    lines.insert(2, '{"textbox_question": 没有引号}')
    source.write_text("\n".join(lines) + "\n", encoding="utf-8")
    dialog = open_dialog(source)
    assert dialog.reader_combo.currentData() == "coig-exam"
    assert dialog.grab().save(str(SCREENSHOTS / "import_exam_preview.png"))
    _click_import(qtbot, dialog)
    assert "skipped 1 bad record(s)" in dialog.results_view.toPlainText()
    assert dialog.grab().save(str(SCREENSHOTS / "import_result.png"))
