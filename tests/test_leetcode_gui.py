"""The LeetCode task in the window: the Run dialog shows a seed and no service for it, Start writes the
samples as one undoable step, and a generated sample shows in the code pane with its code highlighted."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from app import importer
from app.store import Project, query
from app.tasks import get_task
from tests.helpers import shown_window
from widgets.jobs import task_title
from widgets.main_window import MainWindow
from widgets.panes.code import CodePane

DOOCS = Path(__file__).parent / "data" / "leetcode" / "doocs"


@pytest.fixture
def window(qtbot, tmp_path: Path) -> Iterator[MainWindow]:
    project = Project.create(tmp_path / "lc.winnow", name="力扣")
    importer.import_file(project, DOOCS)
    with shown_window(qtbot, project) as win:
        yield win


def generated(project: Project) -> list[int]:
    return query.sample_ids(project, query.SampleFilter(subset=("leetcode",)))


def test_the_run_dialog_runs_the_leetcode_task_without_a_service(qtbot, window: MainWindow) -> None:
    dialog = window.jobs.open_run_dialog()
    dialog.task.setCurrentIndex(dialog.task.findData("leetcode"))
    assert dialog.task.currentText() == task_title(get_task("leetcode"))
    dialog.scope.setCurrentIndex(dialog.scope.findData("all"))
    for hidden in (dialog.provider, dialog.key, dialog.base_url, dialog.model, dialog.concurrency, dialog.max_cost):
        assert hidden.isHidden(), hidden
    assert not dialog.seed.isHidden()
    dialog.seed.setValue(3)
    qtbot.waitUntil(lambda: dialog.start_button.isEnabled(), timeout=5000)
    assert dialog.estimate_label.text() == (
        "3 LeetCode problems among 3 samples: 9 instruction samples to write "
        "(0 more were written before with this seed)"
    )

    dialog.start_button.click()
    qtbot.waitUntil(lambda: len(generated(window.project)) == 9, timeout=5000)
    qtbot.waitUntil(lambda: "9 LeetCode instruction samples written" in window.statusBar().currentMessage())
    window.browser.select_sample(generated(window.project)[0])
    qtbot.waitUntil(lambda: window.current is not None and window.current.subset == "leetcode", timeout=3000)

    pane = window.panes.current_pane()
    assert isinstance(pane, CodePane)
    code_field = "output" if window.current.content["extra"]["task_type"].startswith("text") else "input"
    assert [r.lexer_name for r in pane.highlighters[code_field].regions()] == ["Python"]
    assert pane.language_label.text() == "Language: python"

    # Back to a DeepL task: the service rows come back, the seed goes.
    dialog = window.jobs.open_run_dialog()
    dialog.task.setCurrentIndex(dialog.task.findData("translate"))
    dialog.provider.setCurrentIndex(dialog.provider.findData("deepl"))
    assert not dialog.provider.isHidden() and not dialog.server_url.isHidden() and dialog.seed.isHidden()
    assert dialog.base_url.isHidden()
    dialog.reject()

    window.undo()
    assert generated(window.project) == []
