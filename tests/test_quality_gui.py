"""The QA flags in the review window: shown for the sample, checked as you type, ignored with a
button (recorded with the reviewer's name, undone with Ctrl+Z), and the Quality menu's background
tasks with their progress."""

from __future__ import annotations

from pathlib import Path

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QLabel, QPushButton

from app import importer
from app.store import Project, query
from widgets.main_window import MainWindow

RECORDS = [
    {"instruction": "写一句话。", "input": "", "output": "這是繁體，这是简体。"},
    {"instruction": "为什么天空是蓝的?", "input": "", "output": "因为瑞利散射。"},
    {"instruction": "写一句话。", "input": "", "output": "今天天气很好。"},
    {"instruction": "写一句话。", "input": "", "output": "今天天气很好。"},
]


@pytest.fixture
def window(qtbot, tmp_path: Path, write_jsonl):
    project = Project.create(tmp_path / "qa.winnow")
    importer.import_file(project, write_jsonl("qa.jsonl", RECORDS))
    window = MainWindow(project)
    qtbot.addWidget(window)
    window.resize(1280, 800)
    window.show()
    qtbot.waitExposed(window)
    qtbot.waitUntil(lambda: window.current is not None, timeout=5000)
    yield window
    window.close()
    window.project.close()


def test_flags_of_the_sample_are_shown_with_ignore_buttons(qtbot, window: MainWindow) -> None:
    window.browser.select_sample(1)
    assert window.current.id == 1
    assert window.quality.isVisible()
    assert [f.flag for f in window.quality.shown] == ["mixed_script"]
    label = window.quality.findChild(QLabel, "quality_flag_mixed_script")
    assert "output, character 1" in label.text() and "'這'" in label.text()
    assert "output, character 1" in label.toolTip()
    window.browser.select_sample(3)
    assert window.quality.shown == []
    assert not window.quality.isVisible()


def test_ignore_button_records_who_and_undo_brings_the_flag_back(qtbot, window: MainWindow) -> None:
    window.browser.select_sample(2)
    button = window.quality.findChild(QPushButton, "ignore_punctuation_width")
    assert button is not None
    qtbot.mouseClick(button, Qt.MouseButton.LeftButton)
    [shown] = window.quality.shown
    assert shown.flag == "punctuation_width" and shown.ignored_by == "tester"
    label = window.quality.findChild(QLabel, "quality_flag_punctuation_width")
    assert "Ignored by tester" in label.text()
    assert window.quality.findChild(QPushButton, "ignore_punctuation_width") is None
    assert query.count(window.project, query.SampleFilter(flag=("punctuation_width",))) == 0
    window.undo()
    assert [f.ignored_by for f in window.quality.shown] == [None]
    assert query.count(window.project, query.SampleFilter(flag=("punctuation_width",))) == 1


def test_flags_follow_the_text_as_it_is_typed(qtbot, window: MainWindow) -> None:
    window.browser.select_sample(3)
    assert window.quality.shown == []
    window.panes.content_edited.emit({**RECORDS[2], "output": "今天天气很好,"})
    assert {f.flag for f in window.quality.shown} == {"punctuation_width", "truncated_field"}
    assert window.quality.isVisible()
    assert window.save_pending()
    assert set(dict(window.project.db.execute("SELECT flag, 1 FROM sample_flags WHERE sample_id = 3"))) == {
        "punctuation_width",
        "truncated_field",
    }


def test_quality_menu_runs_in_the_background(qtbot, window: MainWindow) -> None:
    menu = window.quality_menu
    assert [a.text() for a in menu.menu.actions() if a.text()][:3] == [
        menu.recheck_action.text(),
        menu.dedup_action.text(),
        menu.simplify_action.text(),
    ]
    window.project.db.execute("DELETE FROM sample_flags")
    menu.recheck()
    with qtbot.waitSignal(menu.task.done, timeout=10_000):
        pass
    assert query.count(window.project, query.SampleFilter(flag=("mixed_script",))) == 1
    assert "Checked 4 samples: 2 flagged" in window.statusBar().currentMessage()

    menu.find_duplicates(threshold=0.9)
    with qtbot.waitSignal(menu.task.done, timeout=20_000):
        pass
    assert query.sample_ids(window.project, query.SampleFilter(flag=("near_duplicate",))) == [4]

    menu.simplify(confirm=False)
    with qtbot.waitSignal(menu.task.done, timeout=10_000):
        pass
    assert query.get_sample(window.project, 1).content["output"] == "这是繁体，这是简体。"
    window.browser.select_sample(1)
    assert window.quality.shown == []
    window.undo()
    assert query.get_sample(window.project, 1).content["output"] == RECORDS[0]["output"]
    assert [f.flag for f in window.quality.shown] == ["mixed_script"]
