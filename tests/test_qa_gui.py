"""The QA dashboard, the gate panel and the Gates menu, driven with pytest-qt; the review window
recording who decided and how long it took."""

from __future__ import annotations

from pathlib import Path

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication, QMessageBox

from app import gates, i18n, qa_stats
from app.packages.assign import batches
from app.store import Project, ops
from tests.qa_helpers import ANNOTATORS, annotate, team_project
from widgets import first_run, settings
from widgets.charts import Bar, BarChart, LineChart, Series
from widgets.dashboard import Dashboard
from widgets.gate_panel import GatePanel, QaSettingsDialog, content_text
from widgets.main_window import MainWindow


@pytest.fixture
def team(tmp_path: Path, write_jsonl):
    project = team_project(tmp_path / "team.winnow", write_jsonl, samples=60)
    annotate(project)
    yield project
    project.close()


def test_bar_chart_sizes_itself_and_names_each_bar(qtbot):
    chart = BarChart("标签分布")
    qtbot.addWidget(chart)
    chart.set_bars([Bar("1 可直接使用", 30, total=40), Bar("张伟的批次", 5, tooltip="五个")])
    chart.resize(500, chart.sizeHint().height())
    assert chart.sizeHint().height() >= 2 * 18
    assert chart.bar_text(chart.bars[0]) == "30 / 40"
    rect = chart.bar_rect(1)
    assert chart.bar_at(rect.center().x(), rect.center().y()) == 1
    assert chart.tooltip_at(1) == "五个"
    assert chart.tooltip_at(0) == "1 可直接使用: 30 / 40"
    assert not chart.grab().isNull()


def test_line_chart_finds_the_point_under_the_mouse(qtbot):
    chart = LineChart("一致性")
    qtbot.addWidget(chart)
    chart.resize(400, 240)
    chart.set_data(["周一", "周二", "周三"], [Series("κ", [0.2, None, 0.8])], reference=(0.5, "阈值"))
    p = chart.point(2, 0.8)
    assert chart.point_at(p.x(), p.y()) == (0, 2)
    assert chart.point_at(p.x(), p.y() + 40) is None
    assert chart.tooltip_at(0, 2) == "κ · 周三: 0.80"
    assert not chart.grab().isNull()


def test_dashboard_draws_the_project_in_the_background(qtbot, team):
    names = [b["name"] for b in batches(team)]
    gates.start_gate(team, names[0])
    for routed in gates.gate_status(team, names[0]).queue:
        gates.record_check(team, names[0], routed.info.sample_id, agree=True)
    gates.decide_gate(team, names[0])
    dashboard = Dashboard(team)
    qtbot.addWidget(dashboard)
    with qtbot.waitSignal(dashboard.loaded, timeout=10_000):
        dashboard.show()
    data = dashboard.data
    assert sum(data.labels.values()) == 60
    assert [bar.value for bar in dashboard.labels.bars] == [data.labels[1], data.labels[2], data.labels[3], 0, 0]
    assert [bar.label for bar in dashboard.annotators.bars] == sorted(ANNOTATORS)
    assert all(bar.value == bar.total for bar in dashboard.annotators.bars)  # everything decided
    assert len(dashboard.batches.bars) == 3
    assert len(dashboard.gates.bars) == 1 and dashboard.gates.bars[0].value == 100
    assert "passed" in dashboard.gates.bars[0].text
    assert dashboard.table.rowCount() == 3
    assert {dashboard.table.item(row, 0).text() for row in range(3)} == set(ANNOTATORS)
    # The rows `winnow agreement` prints too (one function formats both).
    shown = [[dashboard.table.item(r, c).text() for c in range(dashboard.table.columnCount())] for r in range(3)]
    assert shown == [row.cells() for row in qa_stats.annotator_rows(data.report)]
    assert all(cells[1] == "22" and cells[4] == "4" for cells in shown)
    assert "Fleiss' kappa" in dashboard.overall.text()
    assert dashboard.over_time.x_labels  # one day of overlapping labels
    with qtbot.waitSignal(dashboard.loaded, timeout=10_000):
        dashboard.refresh()


def test_gate_panel_checks_a_batch_through_stage_1(qtbot, team, monkeypatch):
    warnings = []
    monkeypatch.setattr(QMessageBox, "warning", lambda *args: warnings.append(args[2]))
    name = batches(team)[1]["name"]
    panel = GatePanel(team, batch=name)
    qtbot.addWidget(panel)
    panel.show()
    assert panel.start_button.isVisible()
    assert not panel.agree_button.isEnabled()
    qtbot.mouseClick(panel.start_button, Qt.MouseButton.LeftButton)
    assert panel.status.open and panel.agree_button.isEnabled()
    total = panel.status.total
    first = panel.current_sample()
    assert first == panel.status.queue[0].info.sample_id  # routing order: the suspicious first
    assert panel.status.queue[0].reasons
    # The machine draft beside what the annotator made of it.
    assert panel.views.isTabEnabled(1) and panel.draft_view.toPlainText()
    # Disagree with the first, with a reason from the list and a comment; agree with the rest.
    panel.reason_box.setCurrentText("事实错误")
    panel.comment.setText("数字不对")
    qtbot.mouseClick(panel.disagree_button, Qt.MouseButton.LeftButton)
    check = gates.gate_status(team, name).checks[first]
    assert (check.agree, check.reason, check.comment, check.checker) == (False, "事实错误", "数字不对", "lead")
    assert check.seconds is not None and check.seconds >= 0
    assert panel.current_sample() != first
    panel.activateWindow()
    qtbot.waitUntil(panel.isActiveWindow, timeout=3000)
    panel.queue.setFocus()
    qtbot.keyClick(panel.queue, Qt.Key.Key_Y)  # the key agrees, like the button
    assert panel.status.checked == 2
    for _ in range(total - 2):
        qtbot.mouseClick(panel.agree_button, Qt.MouseButton.LeftButton)
    assert panel.progress.value() == total
    assert panel.decide_button.isVisible()
    passed = gates.passes(total, total - 1, gates.qa_settings(team).stage1_threshold)
    assert ("passes" if passed else "fails") in panel.verdict_label.text()
    qtbot.mouseClick(panel.decide_button, Qt.MouseButton.LeftButton)
    assert gates.gate_results(team)[-1]["passed"] is passed
    assert not warnings
    # The whole stage undoes step by step, the verdict first.
    ops.undo(team)
    assert gates.gate_status(team, name).open


def test_gate_panel_names_the_fields_of_the_sample_in_the_ui_language(qtbot, team):
    name = batches(team)[0]["name"]
    gates.start_gate(team, name)
    panel = GatePanel(team, batch=name)
    qtbot.addWidget(panel)
    text = panel.sample_view.toPlainText()
    assert text.startswith("【Instruction】\n") and "\n\n【Output】\n" in text
    assert "【instruction】" not in text and "【output】" not in text
    i18n.set_language("zh_CN")
    panel.load(keep_row=0)
    text = panel.sample_view.toPlainText()
    assert text.startswith("【指令】\n") and "\n\n【输出】\n" in text


def test_content_text_names_nested_fields_and_leaves_out_extra():
    translation = {
        "source": {"instruction": "Translate.", "input": "", "output": "Hello"},
        "target": {"instruction": "翻译。", "input": "", "output": "你好"},
        "extra": {"id": "x1"},
    }
    assert content_text(translation) == (
        "【Source (English) · Instruction】\nTranslate.\n\n【Source (English) · Output】\nHello\n\n"
        "【Target (Chinese) · Instruction】\n翻译。\n\n【Target (Chinese) · Output】\n你好"
    )
    chat = {"messages": [{"role": "user", "content": "你好"}, {"role": "assistant", "content": "您好！"}]}
    assert content_text(chat) == (
        "【Message 1 · Role】\nUser\n\n【Message 1 · Content】\n你好\n\n"
        "【Message 2 · Role】\nAssistant\n\n【Message 2 · Content】\n您好！"
    )
    assert content_text("plain") == "plain"


def test_content_text_names_a_messages_role_as_the_chat_pane_does(qtbot, qapp):
    from widgets.application import install_translators
    from widgets.panes.chat import ChatPane

    roles = ("system", "user", "assistant", "function_call", "observation")
    chat = {
        "messages": [{"role": role, "content": "内容"} for role in roles] + [{"role": "narrator", "content": "旁白"}]
    }
    shown = [line for line in content_text(chat).split("\n\n") if "Role】" in line]
    assert [line.split("\n")[1] for line in shown] == [
        "System", "User", "Assistant", "Function call", "Tool result", "narrator"  # an unknown role as it is
    ]  # fmt: skip
    # A role's value only: a key named "role" elsewhere is the sample's own text.
    assert content_text({"persona": {"role": "user"}}).endswith("\nuser")
    installed = install_translators(qapp, "zh_CN")
    i18n.set_language("zh_CN")
    try:
        pane = ChatPane()
        qtbot.addWidget(pane)
        shown = [line for line in content_text(chat).split("\n\n") if "条消息" in line and "角色" in line]
        names = [line.split("\n")[1] for line in shown]
        assert names == ["系统", "用户", "助手", "函数调用", "工具结果", "narrator"]
        assert names[:5] == [pane.role_title(role) for role in roles]  # the pane's own words
    finally:
        for translator in installed:
            qapp.removeTranslator(translator)
            translator.deleteLater()


def test_gate_panel_sends_a_failed_batch_back(qtbot, team, tmp_path: Path):
    name = batches(team)[0]["name"]
    gates.set_qa_settings(team, stage1_threshold="100%")
    gates.start_gate(team, name)
    panel = GatePanel(team, batch=name)
    qtbot.addWidget(panel)
    panel.show()
    panel.check(False)
    assert "fails" in panel.verdict_label.text()  # one wrong at 100 %: no need to go on
    panel.decide()
    assert panel.rework_button.isVisible()
    qtbot.mouseClick(panel.rework_button, Qt.MouseButton.LeftButton)
    info = gates.batch_info(team, name)
    assert (info["state"], info["round"]) == ("assigned", 1)
    assert panel.start_button.isVisible()
    # The reasons stay in sight, and the batch can leave again as a work package.
    assert panel.rework_label.isVisible() and "翻译错误" in panel.rework_label.text()
    assert panel.package_button.isVisible()
    folder = tmp_path / "outbox"
    folder.mkdir()
    task = panel.save_package(folder)
    with qtbot.waitSignal(task.done, timeout=10_000):
        pass
    assert [p.name for p in folder.iterdir()] == [f"{name}.winnowpkg"]
    assert gates.batch_info(team, name)["state"] == "exported"


def test_settings_dialog_edits_thresholds_and_the_error_list(qtbot, team):
    dialog = QaSettingsDialog(team)
    qtbot.addWidget(dialog)
    dialog.stage1.setValue(90)
    dialog.sample_size.setValue(50)
    dialog.reasons.setPlainText("错译\n漏译\n\n术语不一致")
    dialog.accept()
    settings = gates.qa_settings(team)
    assert settings.stage1_threshold == gates.ratio("90%")
    assert settings.stage2_sample_size == 50
    assert settings.error_reasons == ("错译", "漏译", "术语不一致")


def test_the_gates_menu_opens_the_dashboard_and_the_panel(qtbot, team):
    window = MainWindow(team)
    qtbot.addWidget(window)
    window.show()
    titles = [action.text() for action in window.qa_menu.menu.actions()]
    assert len(titles) == 3
    dashboard = window.qa_menu.dashboard()
    with qtbot.waitSignal(dashboard.loaded, timeout=10_000):
        pass
    dashboard.close()
    panel = window.qa_menu.gate_panel(batches(team)[2]["name"])
    assert panel.batch_name() == batches(team)[2]["name"]
    panel.start()
    panel.check(True)
    panel.close()
    window.close()


def test_the_review_window_records_who_decided_and_how_long_it_took(qtbot, tmp_path: Path, write_jsonl):
    path = tmp_path / "people.winnow"
    project = team_project(path, write_jsonl, samples=6)
    window = MainWindow(project)
    qtbot.addWidget(window)
    window.show()
    qtbot.waitExposed(window)
    window.activateWindow()
    window.browser.focus_table()
    first = window.current.id
    window._shown_at -= 7.5  # as if the sample had been on screen 7.5 s
    window.decide_label(1)
    window.rate(4)  # on the next sample, shown just now
    rows = project.db.execute("SELECT sample_id, reviewer, label, rating, seconds FROM reviews ORDER BY id").fetchall()
    assert rows[0][:3] == (first, "lead", 1)
    assert 7.5 <= rows[0][4] < 60
    assert rows[1][1] == "lead" and rows[1][3] == 4 and 0 <= rows[1][4] < 7.5
    # Someone who chose the inspector's role at the first start decides at the inspection stage.
    settings.settings().setValue(first_run.ROLE_KEY, "inspector")
    window.decide_label(3)
    assert project.db.execute("SELECT stage, label FROM reviews ORDER BY id DESC LIMIT 1").fetchone() == ("inspect", 3)
    window.close()
    QApplication.processEvents()
    project.close()
    with Project.open(path) as reopened:
        assert reopened.db.execute("SELECT count(*) FROM reviews WHERE seconds IS NOT NULL").fetchone()[0] == 3
        stages = [row[0] for row in reopened.db.execute("SELECT stage FROM reviews ORDER BY id")]
        assert stages == ["annotate", "annotate", "inspect"]
