"""The first start: language, name and role asked once, stored in the settings; the name is who changes
are recorded as (``WINNOW_USER`` still wins); never asked when ``WINNOW_USER`` is set."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication

from app.store import Project
from widgets import application, first_run, settings


@pytest.fixture
def newcomer(monkeypatch: pytest.MonkeyPatch) -> None:
    """Nobody has said who they are: no WINNOW_USER (the suite sets it for every other test)."""
    monkeypatch.delenv("WINNOW_USER")


@pytest.fixture
def dialog(qtbot, newcomer):
    shown = first_run.FirstRunDialog()
    qtbot.addWidget(shown)
    yield shown
    # Choosing Chinese installs translators on the application: put English back for the next tests.
    shown.language.setCurrentIndex(shown.language.findData("en"))
    assert not getattr(QApplication.instance(), "_winnow_translators", [])


def test_not_asked_when_winnow_user_is_set() -> None:
    assert os.environ["WINNOW_USER"] == "tester"
    assert not first_run.needed()


def test_asked_until_answered(dialog: first_run.FirstRunDialog, qtbot) -> None:
    assert first_run.needed()
    dialog.name.setText("  张伟 ")
    dialog.role.setCurrentIndex(dialog.role.findData("inspector"))
    dialog.language.setCurrentIndex(dialog.language.findData("zh_CN"))
    with qtbot.waitSignal(dialog.accepted, timeout=1000):
        qtbot.mouseClick(dialog.start_button, Qt.MouseButton.LeftButton)
    stored = settings.settings()
    assert stored.value("user/name") == "张伟"
    assert stored.value("user/role") == "inspector"
    assert stored.value("ui/language") == "zh_CN"
    assert (first_run.user_name(), first_run.user_role(), application.ui_language()) == ("张伟", "inspector", "zh_CN")
    assert not first_run.needed()


def test_a_name_is_required(dialog: first_run.FirstRunDialog) -> None:
    ok = dialog.start_button
    dialog.name.setText("   ")
    assert not ok.isEnabled()
    dialog.accept()
    assert dialog.result() == 0 and first_run.needed()
    dialog.name.setText("李娜")
    assert ok.isEnabled()


def test_the_roles_are_the_review_stages(dialog: first_run.FirstRunDialog) -> None:
    roles = [dialog.role.itemData(i) for i in range(dialog.role.count())]
    assert roles == ["annotator", "inspector", "expert"]
    assert [dialog.role.itemText(i) for i in range(dialog.role.count())] == ["Annotator", "Inspector", "Expert"]
    assert first_run.user_role() == "annotator"  # before anyone chose


def test_changes_are_recorded_under_the_remembered_name(
    newcomer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    settings.settings().setValue("user/name", "王芳")
    first_run.apply_user_name()
    assert os.environ["WINNOW_USER"] == "王芳"
    with Project.create(tmp_path / "p.winnow") as project:
        assert project.author == "王芳"
    monkeypatch.setenv("WINNOW_USER", "ci-bot")  # an explicit WINNOW_USER wins over the settings
    first_run.apply_user_name()
    assert os.environ["WINNOW_USER"] == "ci-bot"


def test_quitting_the_first_run_opens_nothing(newcomer, monkeypatch: pytest.MonkeyPatch, qapp) -> None:
    monkeypatch.setattr(first_run, "ask", lambda parent=None: False)
    opened: list[object] = []
    monkeypatch.setattr(application, "first_project", lambda path: opened.append(path))
    assert application.run_gui() == 0
    assert opened == [] and first_run.needed()


def test_the_first_start_opens_the_demo_as_the_named_person(
    newcomer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, qapp
) -> None:
    from widgets.main_window import MainWindow

    monkeypatch.setenv("WINNOW_DEMO_PROJECT", str(tmp_path / "demo.winnow"))
    settings.remember_project(tmp_path / "recent.winnow")  # the first start shows the demo, not this

    def answer(parent=None) -> bool:
        settings.settings().setValue("user/name", "赵敏")
        settings.settings().setValue("first_run/done", True)
        return True

    shown: list[tuple[Path, str]] = []

    def run_event_loop(self) -> int:
        (window,) = [w for w in QApplication.topLevelWidgets() if isinstance(w, MainWindow) and w.isVisible()]
        shown.append((window.project.path, window.project.author))
        window.close()
        return 0

    monkeypatch.setattr(first_run, "ask", answer)
    monkeypatch.setattr(QApplication, "exec", run_event_loop)
    # The heap is settled once the window is shown (not frozen here: this is the test process).
    settled: list[bool] = []
    monkeypatch.setattr(
        application,
        "settle_heap",
        lambda: settled.append(
            any(isinstance(w, MainWindow) and w.isVisible() for w in QApplication.topLevelWidgets())
        ),
    )
    monkeypatch.setenv("WINNOW_USER", "")  # apply_user_name fills it in; monkeypatch restores it
    assert application.run_gui() == 0
    assert shown == [(tmp_path / "demo.winnow", "赵敏")]
    assert settled == [True]
    assert not first_run.needed()


def test_name_and_role_can_be_changed_later_from_the_file_menu(
    newcomer, monkeypatch: pytest.MonkeyPatch, qtbot, project
) -> None:
    from app.store import actions, query
    from widgets.main_window import MainWindow

    monkeypatch.setattr(first_run, "_name_we_set", None)
    store = settings.settings()
    store.setValue("user/name", "李四")
    store.setValue("user/role", "annotator")
    first_run.apply_user_name()
    actions.create_sample(project, "instruction", {"instruction": "问", "input": "", "output": "答"})
    project.author = os.environ["WINNOW_USER"]
    window = MainWindow(project)
    qtbot.addWidget(window)

    def answer(dialog: first_run.FirstRunDialog) -> int:
        assert dialog.editing and dialog.windowTitle() == "Your name and role"
        dialog.name.setText("王五")
        dialog.role.setCurrentIndex(dialog.role.findData("expert"))
        dialog.accept()
        return first_run.QDialog.DialogCode.Accepted

    monkeypatch.setattr(first_run.FirstRunDialog, "exec", answer)
    window.edit_user()
    assert (first_run.user_name(), first_run.user_role()) == ("王五", "expert")
    assert window.project.author == "王五" and os.environ["WINNOW_USER"] == "王五"
    (sample_id,) = query.sample_ids(project, query.SampleFilter())
    actions.edit_content(project, sample_id, {"instruction": "问", "input": "", "output": "新答"})
    assert query.revisions(project, sample_id)[-1]["author"] == "王五"
    # Cancelling changes nothing.
    monkeypatch.setattr(first_run.FirstRunDialog, "exec", lambda dialog: first_run.QDialog.DialogCode.Rejected)
    window.edit_user()
    assert window.project.author == "王五"
