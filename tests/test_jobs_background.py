"""The GUI thread does no slow work for machine jobs: the Run dialog builds and estimates a job in the
pool (the sample ids on a read-only connection of its own, the key from the keyring), drops an
estimate that the settings have overtaken, and the jobs panel's resume, retry, pause and cancel run
in the pool one at a time, in order, with refusals shown. And the Self-Instruct seed in the dialog.

The real window, engine, DeepL/OpenAI clients and project files; the services are fakes on
127.0.0.1 (tests/servers). Where a test needs slowness it wraps the real function with one that waits
for the test's go, and records the thread it ran in.
"""

from __future__ import annotations

import functools
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtCore import Qt, QTimer
from PySide6.QtWidgets import QWidget

from app import importer
from app.demo import build_demo
from app.store import Project, query
from app.tasks import self_instruct
from tests.helpers import shown_window, wait_for_background_tasks
from tests.servers import FakeDeepL, FakeOpenAI, Latency, Status
from tests.test_self_instruct_seed import ANSWER, SEEDS, examples_by_seed, shown_in
from widgets import jobs as jobs_module
from widgets.jobs import JobInputs, JobsController, RunDialog, estimate_job
from widgets.main_window import MainWindow
from workers import secrets
from workers.engine import Estimate, JobEngine, JobSpec, job_params
from workers.providers.deepl_provider import DeepLProvider
from workers.providers.presets import DEEPL_KEY_NAME

KEY = "wnw-SECRET-4f9a7c21e8d3"
TRANSLATIONS = 6
"""Translation pairs in the demo project."""
WAIT = 10_000

pytestmark = pytest.mark.usefixtures("file_keyring")


@pytest.fixture
def deepl(deepl_server: FakeDeepL) -> FakeDeepL:
    deepl_server.key = KEY
    return deepl_server


@pytest.fixture
def window(qtbot, tmp_path: Path) -> Iterator[MainWindow]:
    with shown_window(qtbot, build_demo(tmp_path / "d.winnow")) as win:
        yield win


class Held:
    """Wraps a function so that its calls (those ``hold(*args)`` picks) wait for :meth:`go`, recording
    the thread of each call. Calls from the GUI thread are recorded, never held (that would hang the
    test). Hold few: each held call keeps one of the pool's threads (as many as the CPUs) busy."""

    def __init__(self, fn: Callable[..., Any], *, hold: Callable[..., bool] = lambda *args: True) -> None:
        self.fn = fn
        self.hold = hold
        self.threads: list[threading.Thread] = []
        self.args: list[tuple[Any, ...]] = []
        self.entered = threading.Event()
        self._go = threading.Event()

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        self.threads.append(threading.current_thread())
        self.args.append(args)
        if self.hold(*args) and threading.current_thread() is not threading.main_thread():
            self.entered.set()
            assert self._go.wait(WAIT / 1000), "the test never let the call go on"
        return self.fn(*args, **kwargs)

    def __get__(self, instance: object, owner: type | None = None) -> Any:
        """As a method: ``monkeypatch.setattr(JobEngine, "resume", Held(JobEngine.resume))``."""
        return self if instance is None else functools.partial(self, instance)

    def go(self) -> None:
        self._go.set()

    def off_the_gui_thread(self) -> bool:
        return bool(self.threads) and threading.main_thread() not in self.threads


def ticking(qtbot, ticks: int = 10) -> None:
    """The event loop runs: a 10 ms timer fires ``ticks`` times (it cannot while the GUI thread waits)."""
    seen: list[float] = []
    timer = QTimer(interval=10, timeout=lambda: seen.append(time.perf_counter()))
    timer.start()
    try:
        qtbot.waitUntil(lambda: len(seen) >= ticks, timeout=WAIT)
    finally:
        timer.stop()


def open_deepl_dialog(qtbot, window: MainWindow, server: FakeDeepL) -> RunDialog:
    dialog = window.jobs.open_run_dialog()
    dialog.provider.setCurrentIndex(dialog.provider.findData("deepl"))
    dialog.scope.setCurrentIndex(dialog.scope.findData("all"))
    qtbot.keyClicks(dialog.server_url, server.url)
    qtbot.keyClicks(dialog.key, KEY)
    dialog.key.editingFinished.emit()
    dialog.concurrency.setValue(1)
    dialog.batch_texts.setValue(1)
    qtbot.waitUntil(dialog.start_button.isEnabled, timeout=WAIT)
    return dialog


def start_job(qtbot, window: MainWindow, server: FakeDeepL) -> int:
    dialog = open_deepl_dialog(qtbot, window, server)
    with qtbot.waitSignal(window.jobs.job_started, timeout=WAIT) as started:
        qtbot.mouseClick(dialog.start_button, Qt.MouseButton.LeftButton)
    return started.args[0]


def wait_state(qtbot, window: MainWindow, job_id: int, state: str) -> None:
    row = window.jobs.panel.rows[job_id]
    qtbot.waitUntil(lambda: row.state == state and not row.busy, timeout=WAIT)


def paused_job(qtbot, window: MainWindow, server: FakeDeepL, *, by_button: bool = True) -> int:
    """A slow job started from the dialog, paused after its first item (by its row's button, or
    through the controller): the starting point of the resume, retry and cancel tests."""
    server.inject(Latency(0.05), times=None, path="/v2/translate")
    job_id = start_job(qtbot, window, server)
    with qtbot.waitSignal(window.jobs.events.item_done, timeout=WAIT):
        pass
    if by_button:
        qtbot.mouseClick(window.jobs.panel.rows[job_id].pause_button, Qt.MouseButton.LeftButton)
    else:
        window.jobs.pause(job_id)
    wait_state(qtbot, window, job_id, "paused")
    return job_id


# --- the estimate --------------------------------------------------------------------------------


def test_the_estimate_reads_samples_and_key_off_the_gui_thread_while_the_window_ticks(
    qtbot, window, deepl, monkeypatch
) -> None:
    dialog = open_deepl_dialog(qtbot, window, deepl)
    sample_ids, get_key = Held(query.sample_id_array), Held(secrets.get_key, hold=lambda *args: False)
    monkeypatch.setattr(query, "sample_id_array", sample_ids)
    monkeypatch.setattr(secrets, "get_key", get_key)

    dialog.scope.setCurrentIndex(dialog.scope.findData("filter"))  # a new estimate, after the typing pause
    assert dialog.estimate_label.text() == "Estimating…" and not dialog.start_button.isEnabled()
    qtbot.waitUntil(sample_ids.entered.is_set, timeout=WAIT)
    # The whole-filter query waits in the pool; the window goes on, Start stays off.
    ticking(qtbot)
    assert dialog.is_estimating()
    assert dialog.estimate_label.text() == "Estimating…" and not dialog.start_button.isEnabled()
    assert dialog.spec() is None

    sample_ids.go()
    qtbot.waitUntil(dialog.start_button.isEnabled, timeout=WAIT)
    assert dialog.estimate_label.text().startswith(f"{TRANSLATIONS} samples to send")
    assert len(dialog.spec().sample_ids) == TRANSLATIONS
    assert sample_ids.off_the_gui_thread() and get_key.off_the_gui_thread()
    # Read on a read-only connection of the pool thread's own, never the GUI's.
    ((project, _flt),) = sample_ids.args
    assert project is not window.project and project.read_only
    dialog.reject()


def test_the_key_is_looked_up_and_stored_off_the_gui_thread(qtbot, window, deepl, monkeypatch) -> None:
    # Only the note's first lookup waits (the estimate's own lookup would take the pool's other thread).
    get_key = Held(secrets.get_key, hold=lambda name: name == DEEPL_KEY_NAME and not get_key.entered.is_set())
    set_key = Held(secrets.set_key)
    monkeypatch.setattr(secrets, "get_key", get_key)
    monkeypatch.setattr(secrets, "set_key", set_key)
    dialog = window.jobs.open_run_dialog()
    dialog.provider.setCurrentIndex(dialog.provider.findData("deepl"))
    qtbot.waitUntil(get_key.entered.is_set, timeout=WAIT)
    ticking(qtbot)  # the keyring is slow to answer; the dialog is not
    get_key.go()
    qtbot.waitUntil(lambda: dialog.key_note.text() == "No key saved yet.", timeout=WAIT)

    qtbot.keyClicks(dialog.key, KEY)
    dialog.key.editingFinished.emit()
    assert dialog.key.text() == ""  # cleared at once, stored in the pool
    qtbot.waitUntil(set_key.entered.is_set, timeout=WAIT)
    ticking(qtbot)
    set_key.go()
    qtbot.waitUntil(lambda: "Key saved in" in dialog.key_note.text(), timeout=WAIT)
    qtbot.keyClicks(dialog.server_url, deepl.url)
    qtbot.waitUntil(dialog.start_button.isEnabled, timeout=WAIT)  # the estimate found the stored key
    assert get_key.off_the_gui_thread() and set_key.off_the_gui_thread()
    assert set_key.args == [(DEEPL_KEY_NAME, KEY)]
    dialog.reject()


def test_a_late_key_note_for_another_service_is_dropped(qtbot, window, monkeypatch) -> None:
    get_key = Held(secrets.get_key, hold=lambda name: name == DEEPL_KEY_NAME and not get_key.entered.is_set())
    monkeypatch.setattr(secrets, "get_key", get_key)
    secrets.set_key(DEEPL_KEY_NAME, KEY)
    dialog = window.jobs.open_run_dialog()
    dialog.provider.setCurrentIndex(dialog.provider.findData("deepl"))  # its lookup waits…
    qtbot.waitUntil(get_key.entered.is_set, timeout=WAIT)
    monkeypatch.setattr(secrets, "get_key", lambda name: None)
    dialog.provider.setCurrentIndex(dialog.provider.findData("ollama"))  # …while another service is chosen
    qtbot.waitUntil(lambda: dialog.key_note.text() == "This server needs no key.", timeout=WAIT)
    get_key.go()  # DeepL's answer comes late: its "Key saved" is not about this service
    wait_for_background_tasks(qtbot, "the key lookup")  # delivered (and dropped) by now
    assert dialog.key_note.text() == "This server needs no key."
    dialog.reject()


def test_a_stale_estimate_stops_its_query_and_never_estimates(tmp_path: Path, write_jsonl) -> None:
    path = tmp_path / "big.winnow"
    records = [{"instruction": f"第{n}题", "input": "", "output": f"答案{n}"} for n in range(3000)]
    with Project.create(path) as project:
        importer.import_file(project, write_jsonl("big.jsonl", records))
    inputs = JobInputs(
        project_path=path,
        task="judge",
        kinds=("instruction",),
        local=False,
        scope="all",
        selection=(),
        sample_filter=query.SampleFilter(),
        settings={"provider": "openai", "preset": "ollama", "base_url": "http://127.0.0.1:9/v1", "model": "m"},
    )
    asked: list[object] = []
    assert estimate_job(inputs, asked.append, progress=lambda n: None, cancelled=lambda: True) == (None, None)
    assert asked == []  # SQLite stopped the scope's query; the estimator was never asked
    spec, _estimate = estimate_job(inputs, asked.append, progress=lambda n: None, cancelled=lambda: False)
    assert len(spec.sample_ids) == 3000 and asked == [spec]


def test_an_estimate_overtaken_by_a_change_is_dropped(qtbot, window) -> None:
    held = threading.Event()
    asked: list[int] = []

    def estimator(spec) -> Estimate:
        """The estimate names the concurrency it was asked with; the one with 4 waits for the test."""
        asked.append(spec.concurrency)
        if spec.concurrency == 4:
            assert held.wait(WAIT / 1000)
        return Estimate(items=spec.concurrency * 100, cached=0, skipped=0, characters=0, tokens=1, cost=0.0)

    ids = query.sample_ids(window.project, query.SampleFilter(kind=("translation",)))
    dialog = RunDialog(window.project, selection=ids, sample_filter=query.SampleFilter(), estimator=estimator)
    qtbot.addWidget(dialog)
    dialog.provider.setCurrentIndex(dialog.provider.findData("ollama"))  # needs no key
    dialog.concurrency.setValue(4)
    dialog.show()
    qtbot.waitUntil(lambda: asked == [4], timeout=WAIT)
    stale = dialog._task
    assert stale is not None and stale.is_running()

    dialog.concurrency.setValue(5)
    assert stale.is_cancelled()
    qtbot.waitUntil(dialog.start_button.isEnabled, timeout=WAIT)
    assert asked == [4, 5]
    assert dialog.estimate_label.text().startswith("500 samples to send")

    with qtbot.waitSignal(stale.done, timeout=WAIT):
        held.set()  # the stale estimate arrives now: it must change nothing
    assert dialog.estimate_label.text().startswith("500 samples to send")
    assert dialog.spec().concurrency == 5 and dialog.start_button.isEnabled()
    dialog.reject()


def test_no_key_is_said_from_the_background_estimate(qtbot, window, deepl) -> None:
    dialog = window.jobs.open_run_dialog()
    dialog.provider.setCurrentIndex(dialog.provider.findData("deepl"))
    qtbot.waitUntil(lambda: "no DeepL key" in dialog.estimate_label.text(), timeout=WAIT)
    assert not dialog.start_button.isEnabled() and dialog.spec() is None
    dialog.reject()


# --- resume, retry, pause, cancel ------------------------------------------------------------------


def test_resume_runs_in_the_pool_and_the_window_keeps_ticking(qtbot, window, deepl, monkeypatch) -> None:
    job_id = paused_job(qtbot, window, deepl)
    row = window.jobs.panel.rows[job_id]

    resume = Held(JobEngine.resume)
    monkeypatch.setattr(JobEngine, "resume", resume)
    qtbot.mouseClick(row.resume_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(resume.entered.is_set, timeout=WAIT)
    ticking(qtbot)  # the engine's resume waits in the pool; the window does not
    assert row.busy and not row.resume_button.isEnabled() and not row.cancel_button.isEnabled()

    resume.go()
    wait_state(qtbot, window, job_id, "done")
    assert resume.off_the_gui_thread()
    assert row.done == TRANSLATIONS and deepl.repeated_bodies("/v2/translate") == []


def test_retry_failed_runs_in_the_pool_and_the_window_keeps_ticking(qtbot, window, deepl, monkeypatch) -> None:
    deepl.inject(Status(400, "Value for 'target_lang' not supported."), nth=2, path="/v2/translate")
    job_id = start_job(qtbot, window, deepl)
    wait_state(qtbot, window, job_id, "done")
    row = window.jobs.panel.rows[job_id]
    assert (row.done, row.failed) == (TRANSLATIONS - 1, 1)

    retry = Held(JobEngine.retry_failed)
    monkeypatch.setattr(JobEngine, "retry_failed", retry)
    qtbot.mouseClick(row.retry_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(retry.entered.is_set, timeout=WAIT)
    ticking(qtbot)
    assert row.busy and not row.retry_button.isEnabled()

    with qtbot.waitSignal(window.jobs.action_done, timeout=WAIT):
        retry.go()
    qtbot.waitUntil(lambda: (row.done, row.failed) == (TRANSLATIONS, 0), timeout=WAIT)
    assert retry.off_the_gui_thread()
    wait_state(qtbot, window, job_id, "done")


def test_a_refused_resume_says_why_in_the_row_and_the_status_bar(qtbot, window, deepl) -> None:
    job_id = paused_job(qtbot, window, deepl)
    row = window.jobs.panel.rows[job_id]
    secrets.delete_key(DEEPL_KEY_NAME)

    with qtbot.waitSignal(window.jobs.action_done, timeout=WAIT):
        qtbot.mouseClick(row.resume_button, Qt.MouseButton.LeftButton)
    assert "no DeepL key" in row.message.text() and row.message.isVisibleTo(row)
    assert "no DeepL key" in window.statusBar().currentMessage()
    assert row.state == "paused" and not row.busy and row.resume_button.isEnabled()


def test_actions_run_one_at_a_time_in_the_order_clicked(qtbot, window, deepl, monkeypatch) -> None:
    job_id = paused_job(qtbot, window, deepl, by_button=False)

    cancel = Held(JobEngine.cancel)
    monkeypatch.setattr(JobEngine, "cancel", cancel)
    window.jobs.cancel(job_id)
    qtbot.waitUntil(cancel.entered.is_set, timeout=WAIT)
    window.jobs.resume(job_id)  # asked while the cancel is under way: it waits its turn
    ticking(qtbot)
    assert window.jobs.panel.rows[job_id].state == "paused"  # the resume did not overtake the cancel
    cancel.go()
    # Cancelled, then resumed: a cancelled job can be finished. The other order would end cancelled.
    wait_state(qtbot, window, job_id, "done")
    assert window.jobs.panel.rows[job_id].done == TRANSLATIONS


# --- the Self-Instruct seed --------------------------------------------------------------------------


@pytest.fixture
def seeds_window(qtbot, tmp_path: Path, write_jsonl) -> Iterator[MainWindow]:
    path = tmp_path / "seeds.winnow"
    with Project.create(path) as project:
        importer.import_file(project, write_jsonl("seeds.jsonl", SEEDS))
    with shown_window(qtbot, Project.open(path)) as win:
        yield win


def test_the_seed_is_offered_for_self_instruct_and_reaches_the_requests(
    qtbot, seeds_window, openai_server: FakeOpenAI, monkeypatch
) -> None:
    window = seeds_window
    openai_server.responder = lambda messages: ANSWER
    monkeypatch.setenv("WINNOW_OPENAI_KEY", openai_server.key)
    dialog = window.jobs.open_run_dialog()
    dialog.task.setCurrentIndex(dialog.task.findData("translate"))
    assert dialog.seed.isHidden()
    dialog.task.setCurrentIndex(dialog.task.findData(self_instruct.NAME))
    assert not dialog.seed.isHidden() and "examples" in dialog.seed.toolTip()
    assert dialog.seed.value() == self_instruct.SEED  # the default: the requests as they always were
    dialog.provider.setCurrentIndex(dialog.provider.findData("openai"))
    dialog.scope.setCurrentIndex(dialog.scope.findData("all"))
    dialog.base_url.setText(openai_server.base_url)
    dialog.base_url.textEdited.emit(openai_server.base_url)
    dialog.model.setText("test-model")
    dialog.model.textEdited.emit("test-model")
    dialog.seed.setValue(7)
    qtbot.waitUntil(dialog.start_button.isEnabled, timeout=WAIT)
    assert dialog.spec().task_options == {"seed": 7}

    with qtbot.waitSignal(
        window.jobs.events.state_changed, timeout=WAIT, check_params_cb=lambda e: e.state == "done"
    ) as finished:
        qtbot.mouseClick(dialog.start_button, Qt.MouseButton.LeftButton)
    job_id = finished.args[0].job_id
    ids = query.sample_ids(window.project, query.SampleFilter(subset=("seeds",)))
    assert len(ids) == len(SEEDS)
    assert shown_in(openai_server) == examples_by_seed(window.project.path, ids, 7)
    assert shown_in(openai_server) != examples_by_seed(window.project.path, ids, 0)
    params = job_params(window.project, job_id)
    assert params["task_options"] == {"seed": 7} and params["prompt_version"] == "self-instruct/1+seed=7"


def test_the_seed_is_no_option_of_other_chat_tasks(qtbot, window) -> None:
    dialog = window.jobs.open_run_dialog()
    dialog.task.setCurrentIndex(dialog.task.findData("judge"))
    assert dialog.seed.isHidden() and dialog.task_options() == {}
    dialog.task.setCurrentIndex(dialog.task.findData("leetcode"))
    assert not dialog.seed.isHidden() and "templates" in dialog.seed.toolTip()
    assert dialog.task_options() == {}  # a local task takes its seed in its own spec
    dialog.reject()


def test_closing_waits_for_the_action_under_way_and_drops_the_ones_waiting(qtbot, window, deepl, monkeypatch) -> None:
    job_id = paused_job(qtbot, window, deepl, by_button=False)

    cancel, resume = Held(JobEngine.cancel), Held(JobEngine.resume, hold=lambda *args: False)
    monkeypatch.setattr(JobEngine, "cancel", cancel)
    monkeypatch.setattr(JobEngine, "resume", resume)
    window.jobs.cancel(job_id)
    qtbot.waitUntil(cancel.entered.is_set, timeout=WAIT)
    window.jobs.resume(job_id)  # waiting its turn when the window closes: there is no engine left for it
    go = threading.Timer(0.2, cancel.go)  # close() waits in the GUI thread: the go comes from elsewhere
    go.start()
    window.jobs.close()
    go.join()
    # close() returned after the cancel was carried out, and the resume queued after it never ran.
    state = window.project.db.execute("SELECT state FROM jobs WHERE id = ?", (job_id,)).fetchone()[0]
    assert state == "cancelled"
    wait_for_background_tasks(qtbot, "the cancel")
    assert resume.threads == [] and window.jobs.events is None


def test_the_jobs_of_an_opened_project_are_read_off_the_gui_thread(qtbot, tmp_path, deepl, monkeypatch) -> None:
    path = tmp_path / "jobs.winnow"
    with build_demo(path) as project:
        ids = query.sample_ids(project, query.SampleFilter(kind=("translation",)))
    with JobEngine(path) as engine:
        spec = JobSpec("translate", ids, lambda: DeepLProvider(KEY, server_url=deepl.url, timeout=5.0))
        job_id = engine.start(spec)
        assert engine.wait(job_id, 10) == "done"

    summaries = Held(jobs_module.job_summaries)
    monkeypatch.setattr(jobs_module, "job_summaries", summaries)
    with shown_window(qtbot, Project.open(path)) as window:
        qtbot.waitUntil(summaries.entered.is_set, timeout=WAIT)
        ticking(qtbot)  # the window is up and going while the ledger is read
        assert window.jobs.panel.rows == {}
        summaries.go()
        qtbot.waitUntil(lambda: job_id in window.jobs.panel.rows, timeout=WAIT)
        row = window.jobs.panel.rows[job_id]
        assert (row.state, row.done, row.total) == ("done", TRANSLATIONS, TRANSLATIONS)
        assert summaries.off_the_gui_thread() and summaries.args[0][0] is not window.project


def test_a_job_the_panel_does_not_show_yet_gets_its_row_from_the_pool(qtbot, window, deepl, monkeypatch) -> None:
    summary = Held(jobs_module.job_summary)
    monkeypatch.setattr(jobs_module, "job_summary", summary)
    ids = query.sample_ids(window.project, query.SampleFilter(kind=("translation",)))
    spec = JobSpec("translate", ids, lambda: DeepLProvider(KEY, server_url=deepl.url, timeout=5.0))
    # Started on the window's engine, not through the panel (as a pipeline starts its steps).
    job_id = window.jobs.engine().start(spec)
    qtbot.waitUntil(summary.entered.is_set, timeout=WAIT)
    ticking(qtbot)
    assert job_id not in window.jobs.panel.rows
    summary.go()
    qtbot.waitUntil(lambda: job_id in window.jobs.panel.rows, timeout=WAIT)
    row = window.jobs.panel.rows[job_id]
    # What arrived while the row was read is applied to it: the job ran to the end meanwhile.
    qtbot.waitUntil(lambda: (row.state, row.done) == ("done", TRANSLATIONS), timeout=WAIT)
    assert summary.off_the_gui_thread() and len(summary.threads) == 1  # read once, not once per event


def test_an_answer_for_a_dialog_gone_with_its_window_touches_nothing(qtbot, window, deepl, monkeypatch) -> None:
    get_key = Held(secrets.get_key, hold=lambda name: name == DEEPL_KEY_NAME and not get_key.entered.is_set())
    monkeypatch.setattr(secrets, "get_key", get_key)
    host = QWidget()
    dialog = RunDialog(window.project, selection=[], sample_filter=query.SampleFilter(), estimator=lambda s: None)
    dialog.setParent(host, dialog.windowFlags())
    dialog.provider.setCurrentIndex(dialog.provider.findData("deepl"))
    qtbot.waitUntil(get_key.entered.is_set, timeout=WAIT)
    destroyed = []
    dialog.destroyed.connect(lambda: destroyed.append(True))
    host.deleteLater()  # the dialog goes with it, never done()
    qtbot.waitUntil(lambda: destroyed == [True], timeout=WAIT)
    get_key.go()  # its key note arrives now: dropped, not set on a deleted label (that would raise here)
    wait_for_background_tasks(qtbot, "the key lookup")


def test_an_action_answering_after_its_controller_is_gone_touches_nothing(qtbot, window, deepl, monkeypatch) -> None:
    job_id = start_job(qtbot, window, deepl)
    wait_state(qtbot, window, job_id, "done")
    window.jobs.close()
    other = JobsController(window)  # a second controller on the window, to be deleted mid-action
    qtbot.waitUntil(lambda: job_id in other.panel.rows, timeout=WAIT)
    cancel = Held(JobEngine.cancel)
    monkeypatch.setattr(JobEngine, "cancel", cancel)
    other.cancel(job_id)
    qtbot.waitUntil(cancel.entered.is_set, timeout=WAIT)
    engine = other.engine()
    destroyed = []
    other.destroyed.connect(lambda: destroyed.append(True))
    other.dock.deleteLater()
    other.deleteLater()
    qtbot.waitUntil(lambda: destroyed == [True], timeout=WAIT)
    cancel.go()  # its answer comes now: to nobody (a deleted row or status bar would raise here)
    wait_for_background_tasks(qtbot, "the cancel")
    engine.close()


def test_events_that_came_before_the_start_was_reported_never_overwrite_later_ones(
    qtbot, window, deepl, monkeypatch
) -> None:
    from workers.engine import JobStateChanged, job_summary

    job_id = start_job(qtbot, window, deepl)
    wait_state(qtbot, window, job_id, "done")
    controller = window.jobs
    with Project.open(window.project.path, read_only=True) as project:
        summary = job_summary(project, job_id)
    # As a quick job can go: its "running" reaches the panel before its start is reported...
    window.jobs.panel.rows.pop(job_id).deleteLater()
    read = Held(jobs_module.read_job)
    monkeypatch.setattr(jobs_module, "read_job", read)
    controller._on_state_changed(JobStateChanged(job_id, "running", ""))
    assert read.entered.wait(WAIT / 1000)  # the row is being read in the pool
    # ...then the start (which makes the row), then "done"; the row read returns last.
    controller._on_started(summary)
    row = controller.panel.rows[job_id]
    controller._on_state_changed(JobStateChanged(job_id, "done", ""))
    read.go()
    wait_for_background_tasks(qtbot, "the row read")
    assert row.state == "done"
