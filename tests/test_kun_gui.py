"""The Kun pipeline and the judge in the window: the Run dialog offers the pipeline, its steps run as
jobs in the jobs panel, and the review pane shows the polished answer as a draft beside the raw
passage and the judge's score with its rationale beside the person's rating."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from app import importer
from app.store import Project, query
from tests.helpers import openai_spec, shown_window
from tests.servers import FakeOpenAI
from tests.test_kun_pipeline import PASSAGES, POLISHED, _which, kun_responder
from widgets.main_window import MainWindow
from workers.engine import JobEngine, JobSpec
from workers.pipeline import run_kun

WAIT = 15_000


pytestmark = pytest.mark.usefixtures("file_keyring")


@pytest.fixture
def server(openai_server: FakeOpenAI) -> FakeOpenAI:
    openai_server.responder = kun_responder
    return openai_server


def _spec(server: FakeOpenAI, ids: list[int]) -> JobSpec:
    return openai_spec(server, "kun", ids, "qwen-plus", concurrency=2)


def _passages_project(tmp_path: Path) -> tuple[Path, dict[str, int]]:
    text = tmp_path / "passages.txt"
    text.write_text("\n\n".join(PASSAGES.values()) + "\n", encoding="utf-8")
    path = tmp_path / "kun.winnow"
    with Project.create(path) as project:
        importer.import_file(project, text)
        samples = query.get_samples(project, query.sample_ids(project, query.SampleFilter()))
    return path, {_which(s.content["output"]): s.id for s in samples}


@pytest.fixture
def window(qtbot, tmp_path: Path) -> Iterator[tuple[MainWindow, dict[str, int]]]:
    path, ids = _passages_project(tmp_path)
    with shown_window(qtbot, Project.open(path), own_jobs=False, size=(1280, 800)) as win:
        yield win, ids


def test_the_run_dialog_offers_the_kun_pipeline_and_runs_it_as_jobs(qtbot, window, server) -> None:
    win, ids = window
    dialog = win.jobs.open_run_dialog()
    index = dialog.task.findData("kun")
    assert index >= 0 and "Kun" in dialog.task.itemText(index)
    for name in ("kun-instruct", "kun-score", "kun-polish", "rewrite", "judge"):
        assert dialog.task.findData(name) >= 0
    dialog.task.setCurrentIndex(index)
    # A chat model only: DeepL cannot back-translate.
    assert not dialog.provider.model().item(dialog.provider.findData("deepl")).isEnabled()
    dialog.provider.setCurrentIndex(dialog.provider.findData("vllm"))
    dialog.scope.setCurrentIndex(dialog.scope.findData("all"))
    dialog.base_url.setText(server.base_url)
    dialog.model.setText("qwen-plus")
    dialog.model.textEdited.emit("qwen-plus")
    qtbot.waitUntil(lambda: dialog.start_button.isEnabled(), timeout=WAIT)
    assert "samples to send" in dialog.estimate_label.text()
    assert dialog.spec().task == "kun" and sorted(dialog.spec().sample_ids) == sorted(ids.values())
    # The pipeline's thresholds, shown for the pipeline only.
    assert dialog.min_score.isVisibleTo(dialog) and dialog.min_score.value() == 4
    dialog.min_score.setValue(5)
    assert dialog.kun_settings().min_score == 5 and not dialog.kun_settings().auto_accept
    dialog.task.setCurrentIndex(dialog.task.findData("judge"))
    assert not dialog.min_score.isVisibleTo(dialog) and not dialog.auto_accept.isVisibleTo(dialog)
    settings = dialog.kun_settings()
    dialog.reject()

    task = win.jobs.start_pipeline(_spec(server, list(ids.values())), settings)
    with qtbot.waitSignal(task.done, timeout=WAIT):
        pass
    qtbot.waitUntil(lambda: len(win.jobs.panel.rows) == 3, timeout=WAIT)
    assert win.jobs.dock.isVisible()
    assert "2 samples ready for review" in win.statusBar().currentMessage()
    # With 5 as the bar, only the pairs scored 5 (故宫, 黄河) are polished.
    assert len(server.requests_to("/v1/chat/completions")) == 8 + 6 + 2
    with Project.open(win.project.path) as project:
        low = project.db.execute("SELECT count(*) FROM sample_flags WHERE flag = 'kun_low_score'").fetchone()[0]
    assert low == 4


def test_review_shows_the_polished_draft_and_the_judge_beside_the_rating(qtbot, window, server, tmp_path) -> None:
    win, ids = window
    with JobEngine(win.project.path) as engine:
        run_kun(engine, _spec(server, list(ids.values())))
    win.refresh_after_machine_work(list(ids.values()))
    win.browser.select_sample(ids["故宫"])
    qtbot.waitUntil(lambda: win.current is not None and win.current.id == ids["故宫"], timeout=WAIT)
    # The sample on screen is drawn again with its drafts in a turn of the event loop of its own.
    qtbot.waitUntil(
        lambda: win.panes.current_pane().instruction.value() == "介绍一下北京故宫的历史和建筑规模。", timeout=WAIT
    )
    pane = win.panes.current_pane()
    assert pane.output.value() == PASSAGES["故宫"]  # the raw passage, with the draft beside it
    assert pane.drafts.isVisible()
    (take,) = pane.drafts.buttons()

    bar = win.verdict_bar
    assert bar.judge_row.isVisible()
    assert "5/5" in bar.judge_label.text() and "只需删去来源信息" in bar.judge_label.text()
    assert "好" in bar.judge_label.text()
    win.grab().save(str(tmp_path / "kun_review.png"))

    bar.judge_take.click()
    qtbot.waitUntil(lambda: query.get_sample(win.project, ids["故宫"]).rating == 5, timeout=WAIT)
    assert bar.ratings.button(5).isChecked()
    assert bar.judge_row.isVisible() and not bar.judge_take.isVisible()  # taken: still shown, no button

    take = win.panes.current_pane().drafts.buttons()[0]
    take.click()
    qtbot.waitUntil(
        lambda: query.get_sample(win.project, ids["故宫"]).content["output"] == POLISHED["故宫"], timeout=WAIT
    )
    assert not win.panes.current_pane().drafts.isVisible()
    win.undo()
    assert query.get_sample(win.project, ids["故宫"]).content["output"] == PASSAGES["故宫"]
