"""What the task, pane and window tests share: a job spec against the fake OpenAI server and a run
of it, a synthetic sample and a shown pane, the main window shown with its jobs, the wait for
background tasks after a test."""

from __future__ import annotations

import importlib.util
import sys
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from types import ModuleType
from typing import Any

from PySide6.QtCore import QThreadPool

from app.records import Kind
from app.store import Project
from app.store.query import Sample
from tests.servers import FakeOpenAI
from widgets import tasks
from widgets.jobs import install_jobs
from widgets.main_window import MainWindow
from workers.engine import JobEngine, JobSpec, JobSummary, RetryPolicy
from workers.providers.openai_provider import OpenAIProvider

REPO = Path(__file__).resolve().parents[1]

FAST_RETRY = RetryPolicy(base=0.01, cap=0.05, max_attempts=2)
"""Retries that keep a test short: a failed item fails after two quick attempts."""


def packaging_script(stem: str) -> ModuleType:
    """``packaging/<stem>.py`` as a module (packaging/ is no package), loaded once a test run as
    ``winnow_<stem>`` and registered in sys.modules, where its dataclasses look their module up."""
    name = f"winnow_{stem}"
    if name not in sys.modules:
        spec = importlib.util.spec_from_file_location(name, REPO / "packaging" / f"{stem}.py")
        assert spec is not None and spec.loader is not None
        module = importlib.util.module_from_spec(spec)
        sys.modules[name] = module
        spec.loader.exec_module(module)
    return sys.modules[name]


def wait_for_background_tasks(qtbot: Any, what: str, pool_ms: int = 10_000, release_ms: int = 5000) -> None:
    """After a test: the thread pool idle (else ``what`` outlived the test) and every
    :mod:`widgets.tasks` task released, its queued ``done()`` delivered in the GUI thread."""
    assert QThreadPool.globalInstance().waitForDone(pool_ms), f"{what} outlived the test"
    qtbot.waitUntil(lambda: not tasks._running, timeout=release_ms)


def openai_spec(server: FakeOpenAI, task: str, ids: Sequence[int], model: str = "test-model", **more: Any) -> JobSpec:
    """A job of ``task`` over ``ids`` against the fake server, with :data:`FAST_RETRY`; ``more``:
    other JobSpec fields (``concurrency``)."""
    return JobSpec(
        task=task,
        sample_ids=ids,
        provider_factory=lambda: OpenAIProvider(server.base_url, model, server.key, timeout=5.0),
        retry=FAST_RETRY,
        **more,
    )


def synthetic_sample(**values: Any) -> Sample:
    """A sample as a pane gets it, not stored: an empty instruction sample unless ``values`` say otherwise."""
    base: dict[str, Any] = dict(
        id=1,
        kind=Kind.INSTRUCTION,
        subset="",
        content={},
        status="new",
        label=None,
        rating=None,
        assignee=None,
        version=1,
        source_id=None,
        origin_id=None,
        updated_at="",
    )
    return Sample(**{**base, **values})


def shown_pane(qtbot: Any, pane_class: type, size: tuple[int, int]) -> Any:
    """A review pane of ``pane_class``, resized and shown."""
    pane = pane_class()
    qtbot.addWidget(pane)
    pane.resize(*size)
    pane.show()
    return pane


def run_to_end(path: Path, spec: JobSpec, timeout: float = 20) -> tuple[int, JobSummary]:
    """Run ``spec`` on the project at ``path`` until it is done: its job id and summary."""
    with JobEngine(path) as engine:
        job_id = engine.start(spec)
        assert engine.wait(job_id, timeout) == "done"
        return job_id, engine.summary(job_id)


@contextmanager
def shown_window(
    qtbot: Any, project: Project, *, own_jobs: bool = True, size: tuple[int, int] | None = None
) -> Iterator[MainWindow]:
    """The main window on ``project``, shown and exposed (``own_jobs``: with a jobs controller
    installed for the test; ``size``: resized first); closed with its jobs and project afterwards."""
    win = MainWindow(project)
    qtbot.addWidget(win)
    if own_jobs:
        win.jobs = install_jobs(win)
    if size:
        win.resize(*size)
    win.show()
    qtbot.waitExposed(win)
    yield win
    win.jobs.close()
    win.close()
    win.project.close()
