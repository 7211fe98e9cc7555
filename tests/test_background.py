"""The background runner: results and failures as values, throttled progress, cancel, no stray threads."""

from __future__ import annotations

import threading

import pytest
from PySide6.QtCore import QThread, QThreadPool

from tests.helpers import wait_for_background_tasks
from widgets.tasks import run_in_background


@pytest.fixture(autouse=True)
def no_task_outlives_the_test(qtbot):
    # Its own name: the same one would shadow conftest.py's thread guard.
    yield
    wait_for_background_tasks(qtbot, "a background task", pool_ms=5000, release_ms=2000)


def test_result_arrives_in_the_gui_thread(qtbot) -> None:
    seen_thread = []

    def work(a: int, b: int, *, progress, cancelled) -> int:
        seen_thread.append(threading.current_thread())
        return a + b

    task = run_in_background(work, 2, 3)
    delivered_in = []
    task.finished.connect(lambda _value: delivered_in.append(QThread.currentThread()))
    with qtbot.waitSignal(task.finished, timeout=5000) as blocker:
        pass
    assert blocker.args == [5]
    assert seen_thread[0] is not threading.main_thread()
    assert delivered_in == [qtbot_app_thread()]
    assert not task.is_running()


def qtbot_app_thread() -> QThread:
    from PySide6.QtWidgets import QApplication

    return QApplication.instance().thread()


def test_failure_is_a_message_not_an_exception(qtbot, caplog: pytest.LogCaptureFixture) -> None:
    def work(*, progress, cancelled) -> None:
        raise ValueError("磁盘已满 (disk full)")

    task = run_in_background(work)
    finished, failed = [], []
    task.finished.connect(finished.append)
    task.failed.connect(failed.append)
    with qtbot.waitSignal(task.done, timeout=5000):
        pass
    assert failed == ["磁盘已满 (disk full)"]
    assert finished == []
    # The traceback is logged for the developer, in the worker thread.
    assert any(r.exc_info and r.name == "winnow.tasks" for r in caplog.records)


def test_progress_is_throttled_and_the_last_value_arrives(qtbot) -> None:
    def work(*, progress, cancelled) -> str:
        for n in range(1, 200_001):
            progress(n)
        return "ok"

    task = run_in_background(work)
    values: list[int] = []
    task.progress.connect(values.append)
    with qtbot.waitSignal(task.finished, timeout=10_000):
        pass
    qtbot.waitUntil(lambda: values and values[-1] == 200_000, timeout=2000)
    # 200,000 reports become a handful of signals, in order, the first one immediate.
    assert len(values) < 200
    assert values[0] == 1
    assert values == sorted(values)


def test_cancel_is_a_flag_the_function_checks(qtbot) -> None:
    started = threading.Event()
    release = threading.Event()

    def work(*, progress, cancelled) -> str:
        started.set()
        # Wait (bounded) for the GUI to ask for a stop; a real task checks between items.
        release.wait(5)
        return "stopped" if cancelled() else "ran to the end"

    task = run_in_background(work)
    qtbot.waitUntil(started.is_set, timeout=5000)
    assert task.is_running()
    task.cancel()
    assert task.is_cancelled()
    release.set()
    with qtbot.waitSignal(task.finished, timeout=5000) as blocker:
        pass
    assert blocker.args == ["stopped"]


def test_task_lives_until_done_even_when_the_caller_drops_it(qtbot) -> None:
    release = threading.Event()

    def work(*, progress, cancelled) -> int:
        release.wait(5)
        progress(7)
        return 1

    task = run_in_background(work)
    done = []
    task.done.connect(lambda: done.append(True))
    del task
    release.set()
    qtbot.waitUntil(lambda: done == [True], timeout=5000)


def test_expected_errors_are_logged_without_a_traceback(qtbot, caplog: pytest.LogCaptureFixture) -> None:
    from app.store import ProjectError

    def work(*, progress, cancelled) -> None:
        raise ProjectError("out.jsonl: cannot write: No space left on device")

    caplog.set_level("INFO", logger="winnow.tasks")
    task = run_in_background(work)
    with qtbot.waitSignal(task.failed, timeout=5000) as blocker:
        pass
    assert blocker.args == ["out.jsonl: cannot write: No space left on device"]
    assert not any(r.exc_info for r in caplog.records)


def test_signals_reach_subscribers_who_connect_after_the_function_ended(qtbot) -> None:
    def work(*, progress, cancelled) -> str:
        progress(1)
        return "quick"

    task = run_in_background(work)
    # The function has certainly returned before anyone connects.
    assert QThreadPool.globalInstance().waitForDone(5000)
    assert not task.is_running()
    values: list[int] = []
    task.progress.connect(values.append)
    with qtbot.waitSignal(task.finished, timeout=5000) as blocker:
        pass
    assert blocker.args == ["quick"]
    assert values == [1]
