"""Machine jobs in the window: the run dialog, the jobs panel, and the Qt side of the job engine.

:class:`workers.engine.JobEngine` knows nothing of Qt: it calls ``on_event`` from its worker threads.
:class:`JobEvents` is the adapter: it buffers those events under a lock and hands them to the GUI
thread through a queued signal, at most once per :data:`UPDATE_INTERVAL_MS` (a job of a thousand
items a second must not post a thousand events to the GUI's queue). Progress is coalesced to the
latest per job, finished and failed items arrive as lists, state changes one by one and at once.

:class:`JobsController` owns one engine for the open project (made when the first job starts, so a
window that never runs a job has no extra thread), closes it (joining its threads; running jobs are
paused and can be resumed) when the project changes or the window closes, and refreshes the views
when items complete. ``install_jobs(window)`` builds it all and adds the menu and the bottom dock.

The GUI thread does nothing slow here (DESIGN.md, "Threads"): the run dialog reads its widgets into a
:class:`JobInputs` and builds and estimates the job in the pool, on a read-only connection of its own
(:func:`estimate_job`); the key is looked up and stored in the pool too; the panel's pause, cancel,
resume and retry run in the pool one at a time, in the order clicked (:meth:`JobsController._call`).

Keys: typed into the dialog, stored with :mod:`workers.secrets` at once and cleared from the field;
the dialog only ever says *where* a key is kept. Provider settings, keys and prices are found exactly
as ``winnow run`` finds them (:mod:`workers.cli_run`), so a job started here resumes from the CLI.
"""

from __future__ import annotations

import logging
import os
import threading
import time
from collections import deque
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from PySide6.QtCore import QCoreApplication, QEvent, QObject, Qt, QTimer, Signal
from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import (
    QApplication,
    QCheckBox,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QDockWidget,
    QDoubleSpinBox,
    QFormLayout,
    QFrame,
    QGridLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QListWidget,
    QMainWindow,
    QProgressBar,
    QProgressDialog,
    QPushButton,
    QScrollArea,
    QSpinBox,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from app import i18n
from app.kun_filters import KunSettings
from app.store import Project, ProjectError, query
from app.store.ops import Changes
from app.tasks import Task, all_tasks, get_task
from widgets.tasks import BackgroundTask, run_in_background
from workers import cli_run, local_tasks, pipeline, secrets
from workers.engine import (
    MAX_BATCH_TEXTS,
    Budgets,
    Estimate,
    ItemDone,
    ItemFailed,
    JobEngine,
    JobProgress,
    JobSpec,
    JobStateChanged,
    JobSummary,
    ProviderFactory,
    job_params,
    job_summaries,
    job_summary,
    task_option_names,
)
from workers.providers.base import ProviderError
from workers.providers.presets import DEEPL_KEY_NAME, PRESETS

log = logging.getLogger("winnow.jobs")

UPDATE_INTERVAL_MS = 50
"""At most 20 updates a second reach the GUI: a few per frame, whatever the job's pace."""
ESTIMATE_DELAY_MS = 300
"""Typing in a field re-estimates once the typing pauses, not per key."""
REQUEST_TIMEOUT = 60.0
"""Seconds per request, as ``winnow run`` (the openai client's own default is 600 s)."""
USER_ERRORS = (ProjectError, ProviderError, KeyError, ValueError)
"""Errors whose message is for the user (no key, a job already running…), shown, not raised."""


# --------------------------------------------------------------------------------------------------
# The adapter
# --------------------------------------------------------------------------------------------------


class JobEvents(QObject):
    """The engine's events as signals in the GUI thread, throttled. Pass :meth:`on_event` to the engine."""

    progress = Signal(object)
    """The latest :class:`JobProgress` of a job."""
    item_done = Signal(list)
    """The :class:`ItemDone` events since the last update."""
    item_failed = Signal(list)
    """The :class:`ItemFailed` events since the last update."""
    state_changed = Signal(object)
    """A :class:`JobStateChanged`; every one is delivered, in order."""

    _wake = Signal()

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._lock = threading.Lock()
        self._progress: dict[int, JobProgress] = {}
        self._done: list[ItemDone] = []
        self._failed: list[ItemFailed] = []
        self._states: list[JobStateChanged] = []
        self._woken = False
        self._closed = False
        self._last_flush = 0.0
        self._timer = QTimer(self, singleShot=True, timeout=self.flush)
        self._wake.connect(self._on_wake, Qt.ConnectionType.QueuedConnection)

    def on_event(self, event: object) -> None:
        """The engine's callback: any thread. Only buffers; one queued wake-up per update."""
        with self._lock:
            if self._closed:
                return
            if isinstance(event, JobProgress):
                self._progress[event.job_id] = event
            elif isinstance(event, ItemDone):
                self._done.append(event)
            elif isinstance(event, ItemFailed):
                self._failed.append(event)
            elif isinstance(event, JobStateChanged):
                self._states.append(event)
            if self._woken:
                return
            self._woken = True
        self._wake.emit()

    def _on_wake(self) -> None:
        if self._closed:
            return
        with self._lock:
            urgent = bool(self._states)
        wait_ms = UPDATE_INTERVAL_MS - (time.monotonic() - self._last_flush) * 1000
        if urgent or wait_ms <= 0:
            self.flush()
        elif not self._timer.isActive():
            self._timer.start(int(wait_ms) + 1)

    def flush(self) -> None:
        """Deliver what is buffered now (GUI thread)."""
        with self._lock:
            progress, self._progress = list(self._progress.values()), {}
            done, self._done = self._done, []
            failed, self._failed = self._failed, []
            states, self._states = self._states, []
            self._woken = False
        self._last_flush = time.monotonic()
        if done:
            self.item_done.emit(done)
        if failed:
            self.item_failed.emit(failed)
        for event in progress:
            self.progress.emit(event)
        for event in states:
            self.state_changed.emit(event)

    def close(self) -> None:
        """Deliver the rest and stop; later events are dropped (call after the engine is closed)."""
        self._timer.stop()
        self.flush()
        with self._lock:
            self._closed = True


# --------------------------------------------------------------------------------------------------
# The run dialog
# --------------------------------------------------------------------------------------------------

SCOPES = ("selection", "filter", "all")


def _tr(text: str) -> str:
    return QCoreApplication.translate("Tasks", text)


def task_title(task: Task) -> str:
    """The task's name in the menu, translated; a task not listed here shows its English title."""
    titles = {
        "translate": _tr("Translate into Chinese"),
        "leetcode": _tr("LeetCode instructions from templates"),
        "exam-extract": _tr("Extract the six exam fields"),
        "self-instruct": _tr("Expand seed instructions (Self-Instruct)"),
        "ccmc": _tr("Write a CCMC correction chat"),
        "kun-instruct": _tr("Kun: instruction back-translation"),
        "kun-score": _tr("Kun: self-curation score"),
        "kun-polish": _tr("Kun: answer polishing"),
        "rewrite": _tr("Rewrite weak answers"),
        "judge": _tr("Judge answers (1–5 with a rationale)"),
    }
    return titles.get(task.name, task.display_name())


def pipeline_title(name: str) -> str:
    titles = {"kun": _tr("Kun pipeline (instruction → score → polish, with filters)")}
    return titles.get(name, pipeline.PIPELINE_TITLES.get(name, name))


@dataclass(frozen=True)
class JobInputs:
    """The Run dialog's settings as plain values, read from its widgets in the GUI thread: all a pool
    thread needs to build the job (:func:`build_spec`); the widgets themselves never leave the GUI."""

    project_path: Path
    task: str
    """The task or pipeline as chosen (``translate``, ``kun``)."""
    kinds: tuple[str, ...]
    """The sample kinds the task (a pipeline's first step) takes."""
    local: bool
    scope: str
    """One of :data:`SCOPES`."""
    selection: tuple[int, ...]
    sample_filter: query.SampleFilter
    settings: Mapping[str, Any] = field(default_factory=dict)
    concurrency: int = 4
    budgets: Budgets = field(default_factory=Budgets)
    batch_texts: int = MAX_BATCH_TEXTS
    seed: int = 0
    task_options: Mapping[str, Any] = field(default_factory=dict)


def scope_sample_ids(inputs: JobInputs, cancelled: Callable[[], bool] | None = None) -> Sequence[int]:
    """The samples of the chosen scope. The filter and the whole project are read on a read-only
    connection of this thread's own (a million ids take a while; the GUI's connection is the GUI
    thread's alone); the query stops within milliseconds once ``cancelled()`` (QueryCancelled)."""
    if inputs.scope == "selection":
        return list(inputs.selection)
    if inputs.scope == "filter":
        flt = inputs.sample_filter
        kinds = tuple(k for k in flt.kind if k in inputs.kinds) if flt.kind else inputs.kinds
        if not kinds:
            return []
        flt = replace(flt, kind=kinds)
    else:
        flt = query.SampleFilter(kind=inputs.kinds)
    with Project.open(inputs.project_path, read_only=True) as project:
        return query.sample_id_array(project, flt, cancelled=cancelled)


def build_spec(inputs: JobInputs, cancelled: Callable[[], bool] | None = None) -> JobSpec | local_tasks.LocalSpec:
    """The job of these inputs (slow: reads the keyring and the scope's sample ids; a pool thread's
    work). ProjectError (no key, no URL…) says what is missing."""
    if inputs.local:
        return local_tasks.LocalSpec(inputs.task, list(scope_sample_ids(inputs, cancelled)), inputs.seed)
    settings = dict(inputs.settings)
    factory = cli_run.provider_factory(settings)  # first: no key, no need to read the samples
    return JobSpec(
        task=inputs.task,
        sample_ids=list(scope_sample_ids(inputs, cancelled)),
        provider_factory=factory,
        provider_settings=settings,
        concurrency=inputs.concurrency,
        budgets=inputs.budgets,
        pricing=cli_run.pricing(settings, None),
        batch_texts=inputs.batch_texts,
        task_options=dict(inputs.task_options),
    )


def estimate_job(
    inputs: JobInputs,
    estimator: Callable[[JobSpec], Estimate],
    *,
    progress: Callable[[int], None],
    cancelled: Callable[[], bool],
) -> tuple[JobSpec | local_tasks.LocalSpec | None, Estimate | local_tasks.LocalEstimate | None]:
    """The job of the dialog's inputs and its estimate (None: no samples to send, or cancelled), in a
    pool thread. A message for the user (no key…) comes as a ProjectError."""
    try:
        try:
            spec = build_spec(inputs, cancelled)
        except query.QueryCancelled:
            return None, None  # the inputs changed: nobody waits for this one
        if not spec.sample_ids or cancelled():
            return spec, None
        if isinstance(spec, local_tasks.LocalSpec):
            return spec, local_tasks.estimate_at(inputs.project_path, spec)  # its own connection
        return spec, estimator(spec)
    except USER_ERRORS as error:
        raise ProjectError(secrets.redact(_message(error))) from None


@dataclass(frozen=True)
class KeyFound:
    """Where a service's key is, as the dialog's note says it (:func:`find_key`)."""

    env: str | None
    """The environment variable that holds it, if one does (it wins, as in ``winnow run``)."""
    saved: bool
    system_keyring: bool
    """Keys are kept in the system keyring (else in the user's secrets file)."""
    needs_key: bool


def find_key(provider: str, key_name: str, needs_key: bool, **_callbacks: Any) -> KeyFound:
    """Where the key of ``provider`` (``deepl`` or a preset's name) is: a keyring read, for a pool thread."""
    env = cli_run.KEY_ENV["deepl" if provider == "deepl" else "openai"]
    if os.environ.get(env):
        return KeyFound(env, saved=False, system_keyring=False, needs_key=needs_key)
    saved = bool(secrets.get_key(key_name))
    return KeyFound(None, saved=saved, system_keyring=secrets.system_keyring() is not None, needs_key=needs_key)


def store_key(key_name: str, key: str, **_callbacks: Any) -> None:
    """:func:`workers.secrets.set_key` for a pool thread; what went wrong as a message for the person."""
    try:
        secrets.set_key(key_name, key)
    except (OSError, ValueError) as error:
        raise ProjectError(secrets.redact(str(error))) from None


class RunDialog(QDialog):
    """Task, samples, provider, key, concurrency and budgets of a new job; its estimate before it starts.

    Building the job (the scope's sample ids, a million for a big project; the key from the keyring)
    and ``estimator(spec) -> Estimate`` (it reads every sample of the scope) both run in the pool
    (:func:`estimate_job`): the dialog only reads its widgets into :class:`JobInputs`. Every change
    starts a new estimate and makes the one under way stale (a generation counter); Start is enabled
    once the estimate of the settings as shown has arrived; :meth:`spec` is then the job to start.
    """

    def __init__(
        self,
        project: Any,
        *,
        selection: Sequence[int],
        sample_filter: query.SampleFilter,
        estimator: Callable[[JobSpec], Estimate],
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.setWindowTitle(self.tr("Run a machine job"))
        self._path = Path(project.path)
        self._selection = list(selection)
        self._filter = sample_filter
        self._estimator = estimator
        self._generation = 0
        self._spec: JobSpec | local_tasks.LocalSpec | None = None
        self._estimated: Estimate | local_tasks.LocalEstimate | None = None
        self._task: BackgroundTask | None = None
        """The estimate under way (or the last one)."""
        self._key_generation = 0
        """Counts lookups and stores of the key: a late answer about another service is dropped."""

        self.task = QComboBox()
        for task in all_tasks().values():
            # Task titles are English in app/; the tr() of the known ones is in TASK_TITLES.
            self.task.addItem(task_title(task), task.name)
        for name in pipeline.PIPELINES:  # several tasks in a row, each a job of its own
            self.task.addItem(pipeline_title(name), name)

        self.scope = QComboBox()
        self.scope.addItem(self.tr("The selected samples ({count})").format(count=len(self._selection)), "selection")
        self.scope.addItem(self.tr("The samples of the current filter"), "filter")
        self.scope.addItem(self.tr("All samples of the project"), "all")
        self.scope.setCurrentIndex(2 if len(self._selection) <= 1 else 0)

        self.provider = QComboBox()
        self.provider.addItem("DeepL", "deepl")
        for preset in PRESETS.values():
            label = preset.label if preset.name != "custom" else self.tr("Other OpenAI-compatible server")
            self.provider.addItem(label, preset.name)
        self.server_url = QLineEdit()
        self.server_url.setPlaceholderText(self.tr("chosen by the key (Free or Pro)"))
        self.base_url = QLineEdit()
        self.model = QLineEdit()

        self.key = QLineEdit()
        self.key.setEchoMode(QLineEdit.EchoMode.Password)
        self.key.setPlaceholderText(self.tr("type or paste a new key to store it"))
        self.key.editingFinished.connect(self.store_key)
        self.key_note = QLabel()
        self.key_note.setWordWrap(True)

        self.concurrency = QSpinBox()
        self.concurrency.setRange(1, 64)
        self.concurrency.setValue(4)
        self.concurrency.setToolTip(self.tr("Requests in flight at once"))
        self.batch_texts = QSpinBox()
        self.batch_texts.setRange(1, MAX_BATCH_TEXTS)
        self.batch_texts.setValue(MAX_BATCH_TEXTS)
        self.batch_texts.setToolTip(self.tr("DeepL takes up to 50 texts in one request"))
        self.max_characters = self._limit_box(self.tr("characters"))
        self.max_tokens = self._limit_box(self.tr("tokens"))
        self.max_cost = QDoubleSpinBox()
        self.max_cost.setRange(0, 1_000_000)
        self.max_cost.setDecimals(2)
        self.max_cost.setPrefix("$")
        self.max_cost.setSpecialValueText(self.tr("{unit}: no limit").format(unit=self.tr("cost")))

        self.estimate_label = QLabel(self.tr("Estimating…"))
        self.estimate_label.setWordWrap(True)
        self.estimate_label.setMinimumHeight(self.estimate_label.fontMetrics().lineSpacing() * 3)

        form = QFormLayout()
        form.addRow(self.tr("Task:"), self.task)
        form.addRow(self.tr("Samples:"), self.scope)
        form.addRow(self.tr("Service:"), self.provider)
        self.server_url_label = QLabel(self.tr("DeepL server:"))
        form.addRow(self.server_url_label, self.server_url)
        self.base_url_label = QLabel(self.tr("Base URL:"))
        form.addRow(self.base_url_label, self.base_url)
        self.model_label = QLabel(self.tr("Model:"))
        form.addRow(self.model_label, self.model)
        form.addRow(self.tr("API key:"), self.key)
        form.addRow("", self.key_note)
        form.addRow(self.tr("Concurrency:"), self.concurrency)
        self.batch_texts_label = QLabel(self.tr("Samples per request:"))
        form.addRow(self.batch_texts_label, self.batch_texts)
        budgets = QHBoxLayout()
        for box in (self.max_characters, self.max_tokens, self.max_cost):
            budgets.addWidget(box)
        form.addRow(self.tr("Budget:"), budgets)
        # A local task (LeetCode templates) has no service, key or budget: only its seed. Self-Instruct
        # has a seed too (its in-context examples); the default is the task's, as `winnow run` has it.
        self.seed = QSpinBox()
        self.seed.setRange(0, 2_000_000_000)
        form.addRow(self.tr("Seed:"), self.seed)
        # The Kun pipeline's thresholds (the rest as `winnow run PROJECT kun` has them by default).
        self.min_score = QSpinBox()
        self.min_score.setRange(1, 5)
        self.min_score.setValue(KunSettings().min_score)
        self.min_score.setToolTip(self.tr("Pairs the self-curation step scores lower are set aside (flagged)"))
        form.addRow(self.tr("Minimum score:"), self.min_score)
        self.auto_accept = QCheckBox(self.tr("Take scores and polished answers that pass (else: drafts for review)"))
        form.addRow("", self.auto_accept)
        form.addRow(self.tr("Estimate:"), self.estimate_label)
        self._form, self._budgets = form, budgets

        self.buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Cancel)
        self.start_button = self.buttons.addButton(self.tr("Start"), QDialogButtonBox.ButtonRole.AcceptRole)
        self.start_button.setEnabled(False)
        self.buttons.accepted.connect(self.accept)
        self.buttons.rejected.connect(self.reject)

        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addWidget(self.buttons)

        self._estimate_timer = QTimer(self, singleShot=True, interval=ESTIMATE_DELAY_MS, timeout=self.estimate)
        # Closed with its window (no done()): a late answer from the pool must not touch deleted widgets.
        # A lambda: PySide does not call the dying object's own method connected to its destroyed().
        self.destroyed.connect(lambda: self._outdate())
        self.provider.currentIndexChanged.connect(self._provider_changed)
        self.task.currentIndexChanged.connect(self._task_changed)
        for combo in (self.task, self.scope):
            combo.currentIndexChanged.connect(self._changed)
        for edit in (self.server_url, self.base_url, self.model):
            edit.textEdited.connect(self._changed)
        for box in (self.concurrency, self.batch_texts, self.max_characters, self.max_tokens, self.max_cost, self.seed):
            box.valueChanged.connect(self._changed)
        self._task_changed()
        self._provider_changed()

    def _limit_box(self, unit: str) -> QSpinBox:
        box = QSpinBox()
        box.setRange(0, 2_000_000_000)
        box.setGroupSeparatorShown(True)
        box.setSuffix(f" {unit}")
        # At 0 only the special text shows, not the suffix: it names the unit itself, or three boxes
        # side by side would all read "no limit" with nothing saying what each one limits.
        box.setSpecialValueText(self.tr("{unit}: no limit").format(unit=unit))
        return box

    # what the dialog shows ----------------------------------------------------------------------

    def provider_name(self) -> str:
        return self.provider.currentData()

    def key_name(self) -> str:
        name = self.provider_name()
        return DEEPL_KEY_NAME if name == "deepl" else name

    def _task_changed(self, *_: object) -> None:
        """Offer only the services the task can use: DeepL cannot write a chat or an exam form."""
        task = self.current_task()
        deepl_item = self.provider.model().item(self.provider.findData("deepl"))
        deepl_item.setEnabled("translation" in task.styles)
        if "translation" not in task.styles and self.provider_name() == "deepl":
            self.provider.setCurrentIndex(self.provider.findData("openai"))
        self._show_rows()

    def current_task(self) -> Task:
        """The chosen task; for a pipeline its first step's (the samples it takes, the services it needs)."""
        name = self.task.currentData()
        return get_task(pipeline.PIPELINES[name][0] if name in pipeline.PIPELINES else name)

    def kun_settings(self) -> KunSettings:
        return KunSettings(min_score=self.min_score.value(), auto_accept=self.auto_accept.isChecked())

    def is_local(self) -> bool:
        return self.current_task().local

    def task_options(self) -> dict[str, Any]:
        """The chosen task's own options (Self-Instruct: its seed); none for a pipeline or a local task."""
        if self.is_local() or self.task.currentData() in pipeline.PIPELINES:
            return {}
        return {"seed": self.seed.value()} if "seed" in task_option_names(self.current_task()) else {}

    def _show_rows(self) -> None:
        """Only the rows the task and service use: a local task shows none of a service's."""
        local, deepl = self.is_local(), self.provider_name() == "deepl"
        seeded = "seed" in self.task_options()
        if local:
            self.seed.setToolTip(self.tr("The same seed gives the same task types and templates"))
        elif seeded:
            self.seed.setToolTip(self.tr("The same seed shows the same examples in each request; another seed, others"))
        service = (self.provider, self.key, self.key_note, self.concurrency, self._budgets)
        rows = {**dict.fromkeys(service, not local), self.seed: local or seeded}
        rows.update({self.server_url: deepl and not local, self.batch_texts: deepl and not local})
        rows.update({self.base_url: not deepl and not local, self.model: not deepl and not local})
        chain = self.task.currentData() in pipeline.PIPELINES
        rows.update({self.min_score: chain, self.auto_accept: chain})
        for widget, shown in rows.items():
            self._form.setRowVisible(widget, shown)

    def _provider_changed(self, *_: object) -> None:
        name = self.provider_name()
        deepl = name == "deepl"
        self._show_rows()
        if not deepl:
            self.base_url.setText(PRESETS[name].base_url)
            self.model.setText(PRESETS[name].model)
        self._show_key_note()
        self._changed()

    def _show_key_note(self) -> None:
        """Say where the service's key is found; looked up in the pool (a system keyring may take a
        while to answer, or ask the person to unlock it first)."""
        self._key_generation += 1
        generation = self._key_generation
        self.key_note.clear()
        needs_key = self.provider_name() == "deepl" or PRESETS[self.provider_name()].needs_key
        task = run_in_background(find_key, self.provider_name(), self.key_name(), needs_key)
        task.finished.connect(lambda found: self._key_found(generation, found))

    def _key_found(self, generation: int, found: KeyFound) -> None:
        if generation != self._key_generation:
            return  # another service was chosen meanwhile, or the dialog closed
        if found.env:
            self.key_note.setText(self.tr("The key in the environment variable {name} is used.").format(name=found.env))
        elif found.saved:
            self.key_note.setText(self.tr("Key saved in {place}.").format(place=self._key_place(found)))
        elif not found.needs_key:
            self.key_note.setText(self.tr("This server needs no key."))
        else:
            self.key_note.setText(self.tr("No key saved yet."))

    def _key_place(self, found: KeyFound) -> str:
        if found.system_keyring:
            return self.tr("the system keyring")
        return self.tr("{path} (readable only by you)").format(path=secrets.secrets_path())

    def store_key(self) -> None:
        """Store a typed key (in the pool: a keyring write) and clear the field at once: the key is
        never shown again. The note and the estimate follow once it is stored."""
        key = self.key.text().strip()
        self.key.clear()
        if not key:
            return
        self._key_generation += 1
        generation = self._key_generation
        task = run_in_background(store_key, self.key_name(), key)
        task.finished.connect(lambda _none: self._key_stored(generation))
        task.failed.connect(lambda message: self._key_not_stored(generation, message))

    def _key_stored(self, generation: int) -> None:
        if generation == self._key_generation:
            self._show_key_note()
            self._changed()

    def _key_not_stored(self, generation: int, message: str) -> None:
        if generation == self._key_generation:
            text = self.tr("The key could not be saved: {error}")
            self.key_note.setText(text.format(error=secrets.redact(message)))

    # the job --------------------------------------------------------------------------------------

    def settings(self) -> dict[str, Any]:
        """Provider settings as ``winnow run`` records them (never a key)."""
        name = self.provider_name()
        if name == "deepl":
            return {
                "provider": "deepl",
                "server_url": self.server_url.text().strip() or None,
                "timeout": REQUEST_TIMEOUT,
            }
        return {
            "provider": "openai",
            "preset": name,
            "base_url": self.base_url.text().strip(),
            "model": self.model.text().strip(),
            "timeout": REQUEST_TIMEOUT,
        }

    def inputs(self) -> JobInputs:
        """The job as the dialog shows it, as plain values (cheap: only the widgets are read)."""
        task = self.current_task()
        return JobInputs(
            project_path=self._path,
            task=self.task.currentData(),
            kinds=task.kinds,
            local=task.local,
            scope=self.scope.currentData(),
            selection=tuple(self._selection),
            sample_filter=self._filter,
            settings=self.settings(),
            concurrency=self.concurrency.value(),
            budgets=Budgets(
                max_characters=self.max_characters.value() or None,
                max_tokens=self.max_tokens.value() or None,
                max_cost=self.max_cost.value() or None,
            ),
            batch_texts=self.batch_texts.value(),
            seed=self.seed.value(),
            task_options=self.task_options(),
        )

    def spec(self) -> JobSpec | local_tasks.LocalSpec | None:
        """The job whose estimate is shown (None until it arrived)."""
        return self._spec if self._estimated is not None else None

    def estimate(self) -> None:
        """Estimate the job as shown now, in the background (building it there too)."""
        self._estimate_timer.stop()
        self._generation += 1
        generation = self._generation
        self._spec = self._estimated = None
        self.start_button.setEnabled(False)
        self.estimate_label.setText(self.tr("Estimating…"))
        if self._task is not None:
            self._task.cancel()  # stale: it stops before estimating, if it has not begun yet
        task = run_in_background(estimate_job, self.inputs(), self._estimator)
        task.finished.connect(lambda result: self._show_estimate(generation, result))
        task.failed.connect(lambda message: self._estimate_failed(generation, message))
        self._task = task

    def is_estimating(self) -> bool:
        """An estimate is under way in the pool."""
        return self._task is not None and self._task.is_running()

    def _show_estimate(
        self,
        generation: int,
        result: tuple[JobSpec | local_tasks.LocalSpec | None, Estimate | local_tasks.LocalEstimate | None],
    ) -> None:
        if generation != self._generation:
            return  # the settings changed since it was asked for
        spec, estimate = result
        if estimate is None:
            self.estimate_label.setText(self.tr("No samples to send."))
            return
        self._spec, self._estimated = spec, estimate
        if isinstance(estimate, local_tasks.LocalEstimate):
            text = self.tr(
                "{problems} LeetCode problems among {samples} samples: {count} instruction samples to write "
                "({already} more were written before with this seed)"
            )
            counts = {"problems": estimate.problems, "samples": estimate.samples, "already": estimate.already}
            self.estimate_label.setText(text.format(count=estimate.to_write, **counts))
            self.start_button.setEnabled(estimate.to_write > 0)
            return
        self.estimate_label.setText(
            self.tr(
                "{items} samples to send ({cached} answered from the cache, {skipped} skipped): "
                "about {characters} characters, {tokens} tokens, ${cost}"
            ).format(
                items=f"{estimate.items:,}",
                cached=f"{estimate.cached:,}",
                skipped=f"{estimate.skipped:,}",
                characters=f"{estimate.characters:,}",
                tokens=f"{estimate.tokens:,}",
                cost=f"{estimate.cost:.4f}",
            )
        )
        self.start_button.setEnabled(estimate.items > 0)

    def _estimate_failed(self, generation: int, message: str) -> None:
        if generation == self._generation:
            self.estimate_label.setText(secrets.redact(message))

    def _changed(self, *_: object) -> None:
        self._generation += 1  # an estimate under way no longer applies
        if self._task is not None:
            self._task.cancel()
        self._spec = self._estimated = None
        self.start_button.setEnabled(False)
        self.estimate_label.setText(self.tr("Estimating…"))
        self._estimate_timer.start()

    def showEvent(self, event) -> None:  # Qt override
        super().showEvent(event)
        self._estimate_timer.start(0)

    def done(self, result: int) -> None:  # Qt override
        self._estimate_timer.stop()
        self._outdate()
        super().done(result)

    def _outdate(self) -> None:
        """Whatever is under way in the pool for the dialog arrives to nobody (Python attributes only:
        also called once the widgets are gone). A key still being stored is stored; nobody is told."""
        self._generation += 1
        self._key_generation += 1
        if self._task is not None:
            self._task.cancel()


def _message(error: BaseException) -> str:
    return error.args[0] if isinstance(error, KeyError) and error.args else str(error)


# --------------------------------------------------------------------------------------------------
# The panel
# --------------------------------------------------------------------------------------------------


def _duration(seconds: float) -> str:
    hours, rest = divmod(round(seconds), 3600)
    return f"{hours}:{rest // 60:02d}:{rest % 60:02d}" if hours else f"{rest // 60}:{rest % 60:02d}"


class JobRow(QFrame):
    """One job: state, progress, pace, spending, failures and what can be done with it."""

    def __init__(self, summary: JobSummary, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.job_id = summary.id
        self.setFrameShape(QFrame.Shape.StyledPanel)
        self.state = summary.state
        self.total = summary.total
        self.done = summary.done
        self.failed = summary.failed
        self.characters, self.tokens, self.cost = summary.characters, summary.tokens, summary.cost
        self.rate = 0.0
        self.reasons: list[str] = []
        self.busy = False
        """An action on the job (pause, resume…) is under way: its buttons wait."""

        engine = (
            summary.provider
            if not summary.model or summary.model in summary.provider
            else (f"{summary.provider} · {summary.model}")
        )
        self.title = QLabel(
            self.tr("Job {id}: {task}, {engine}").format(id=summary.id, task=summary.task, engine=engine)
        )
        self.state_label = QLabel()
        self.bar = QProgressBar()
        self.bar.setFormat("%v / %m")
        self.stats = QLabel()
        self.message = QLabel()
        self.message.setWordWrap(True)
        self.message.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.failures = QToolButton()
        self.failures.setCheckable(True)
        self.failures.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextOnly)
        self.failures.toggled.connect(self._toggle_reasons)
        self.reason_list = QListWidget()
        self.reason_list.setVisible(False)
        self.reason_list.setMaximumHeight(110)
        self.retry_button = QPushButton(self.tr("Retry failed"))
        self.pause_button = QPushButton(self.tr("Pause"))
        self.resume_button = QPushButton(self.tr("Resume"))
        self.cancel_button = QPushButton(self.tr("Cancel"))

        grid = QGridLayout(self)
        grid.setContentsMargins(6, 4, 6, 4)
        grid.addWidget(self.title, 0, 0)
        grid.addWidget(self.state_label, 0, 1)
        grid.addWidget(self.bar, 0, 2)
        buttons = QHBoxLayout()
        for button in (self.failures, self.retry_button, self.pause_button, self.resume_button, self.cancel_button):
            buttons.addWidget(button)
        grid.addLayout(buttons, 0, 3)
        grid.addWidget(self.stats, 1, 0, 1, 3)
        grid.addWidget(self.message, 2, 0, 1, 4)
        grid.addWidget(self.reason_list, 3, 0, 1, 4)
        grid.setColumnStretch(2, 1)
        self.set_message(summary.error or "")
        self._update()

    def set_progress(self, event: JobProgress) -> None:
        self.done, self.failed, self.total = event.done, event.failed, event.total
        self.characters, self.tokens, self.cost, self.rate = event.characters, event.tokens, event.cost, event.rate
        self._update()

    def set_state(self, state: str, message: str) -> None:
        self.state = state
        if state != "running":
            self.rate = 0.0
        self.set_message(message)
        self._update()

    def set_message(self, message: str) -> None:
        self.message.setText(secrets.redact(i18n.display(message)))
        self.message.setVisible(bool(message))

    def add_failures(self, events: Sequence[ItemFailed]) -> None:
        for event in events:
            reason = self.tr("sample {sample}: {reason}").format(
                sample=event.sample_id, reason=secrets.redact(i18n.display(event.reason))
            )
            self.reasons.append(reason)
            self.reason_list.addItem(reason)
        self._update()

    def set_busy(self, busy: bool) -> None:
        self.busy = busy
        self._update()

    def clear_failures(self) -> None:
        self.reasons.clear()
        self.reason_list.clear()
        self._update()

    def _toggle_reasons(self, shown: bool) -> None:
        self.reason_list.setVisible(shown)

    def state_text(self) -> str:
        names = {
            "queued": self.tr("queued"),
            "running": self.tr("running"),
            "paused": self.tr("paused"),
            "done": self.tr("done"),
            "cancelled": self.tr("cancelled"),
            "failed": self.tr("stopped by an error"),
        }
        return names.get(self.state, self.state)

    def _update(self) -> None:
        self.state_label.setText(self.state_text())
        self.bar.setRange(0, max(self.total, 1))
        self.bar.setValue(min(self.done + self.failed, max(self.total, 1)))
        left = max(self.total - self.done - self.failed, 0)
        parts = [self.tr("{done} done").format(done=f"{self.done:,}")]
        if self.state == "running" and self.rate > 0:
            parts.append(self.tr("{rate} items/s").format(rate=f"{self.rate:.1f}"))
            parts.append(self.tr("about {time} left").format(time=_duration(left / self.rate)))
        parts.append(self.tr("{characters} characters").format(characters=f"{self.characters:,}"))
        parts.append(self.tr("{tokens} tokens").format(tokens=f"{self.tokens:,}"))
        parts.append(f"${self.cost:.4f}")
        self.stats.setText(" · ".join(parts))
        self.failures.setText(self.tr("{count} failed").format(count=self.failed))
        self.failures.setEnabled(bool(self.reasons))
        self.failures.setVisible(self.failed > 0 or bool(self.reasons))
        running, free = self.state == "running", not self.busy
        self.pause_button.setEnabled(free and running)
        self.cancel_button.setEnabled(free and self.state in ("running", "paused", "queued", "failed"))
        self.resume_button.setEnabled(free and self.state in ("paused", "queued", "failed", "cancelled") and left > 0)
        self.retry_button.setEnabled(free and self.failed > 0 and self.state != "cancelled")


class JobsPanel(QWidget):
    """The project's jobs, newest first; the buttons of each row as signals with the job id."""

    retry_requested = Signal(int)
    pause_requested = Signal(int)
    resume_requested = Signal(int)
    cancel_requested = Signal(int)
    run_requested = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.rows: dict[int, JobRow] = {}
        self.empty = QLabel(self.tr("No machine jobs in this project yet."))
        self.run_button = QPushButton(self.tr("Run a machine job…"))
        self.run_button.clicked.connect(self.run_requested)
        top = QHBoxLayout()
        top.addWidget(self.empty, 1)
        top.addStretch(1)
        top.addWidget(self.run_button)
        host = QWidget()
        self._list = QVBoxLayout(host)
        self._list.setContentsMargins(0, 0, 0, 0)
        self._list.addStretch(1)
        scroll = QScrollArea()
        scroll.setWidgetResizable(True)
        scroll.setFrameShape(QFrame.Shape.NoFrame)
        scroll.setWidget(host)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(4, 4, 4, 4)
        layout.addLayout(top)
        layout.addWidget(scroll, 1)

    def clear(self) -> None:
        for row in self.rows.values():
            row.setParent(None)
            row.deleteLater()
        self.rows.clear()
        self.empty.setVisible(True)

    def show_job(self, summary: JobSummary) -> JobRow:
        row = self.rows.get(summary.id)
        if row is None:
            row = self.rows[summary.id] = JobRow(summary)
            self._list.insertWidget(0, row)
            row.retry_button.clicked.connect(lambda: self.retry_requested.emit(summary.id))
            row.pause_button.clicked.connect(lambda: self.pause_requested.emit(summary.id))
            row.resume_button.clicked.connect(lambda: self.resume_requested.emit(summary.id))
            row.cancel_button.clicked.connect(lambda: self.cancel_requested.emit(summary.id))
        self.empty.setVisible(False)
        return row


# --------------------------------------------------------------------------------------------------
# The controller
# --------------------------------------------------------------------------------------------------


class JobsController(QObject):
    """Jobs of the window's project: its engine, the panel, the dialog, and refreshing the views."""

    job_started = Signal(int)
    """A job was recorded and runs (its id)."""
    action_done = Signal(int)
    """A pause, cancel, resume or retry of this job was carried out (or failed, and said why)."""

    def __init__(self, window: QMainWindow) -> None:
        super().__init__(window)
        self.window = window
        self.panel = JobsPanel()
        self.dock = QDockWidget(self.tr("Machine jobs"), window)
        self.dock.setObjectName("jobs_dock")  # saveState/restoreState need a name
        self.dock.setWidget(self.panel)
        window.addDockWidget(Qt.DockWidgetArea.BottomDockWidgetArea, self.dock)
        self.dock.hide()
        self.dialog: RunDialog | None = None
        self._engine: JobEngine | None = None
        self._events: JobEvents | None = None
        self._path = window.project.path
        self._waiting: dict[int, list[Callable[[JobRow], None]]] = {}
        """Jobs whose row is being read (see :meth:`_with_row`): what to apply to it once shown."""
        self._actions: deque[tuple[int, JobEngine, Callable[[JobEngine], object]]] = deque()
        """Pause, cancel, resume, retry: waiting their turn (see :meth:`_call`)."""
        self._action: BackgroundTask | None = None
        self._action_lock = threading.Lock()
        self._action_idle = threading.Event()
        """Set while no action runs in a pool thread (cleared, under the lock, by one that begins)."""
        self._action_idle.set()
        self._gone = False
        """Deleted with the window: an action's late answer has no row or status bar to go to."""
        self.destroyed.connect(lambda: setattr(self, "_gone", True))  # a lambda: see RunDialog.__init__

        self.panel.run_requested.connect(self.open_run_dialog)
        self.panel.pause_requested.connect(self.pause)
        self.panel.resume_requested.connect(self.resume)
        self.panel.cancel_requested.connect(self.cancel)
        self.panel.retry_requested.connect(self.retry_failed)
        window.project_changed.connect(self._project_changed)
        window.installEventFilter(self)
        app = QApplication.instance()
        if app is not None:
            app.aboutToQuit.connect(self.close)
        self._load_jobs()

    def add_menu(self, bar: Any) -> Any:
        """The Jobs menu, before Help (which stays last)."""
        menu = bar.addMenu(self.tr("&Jobs"))
        actions = bar.actions()
        if len(actions) >= 2:
            bar.insertMenu(actions[-2], menu)
        run = QAction(self.tr("&Run a machine job…"), menu)
        run.setShortcut(QKeySequence("Ctrl+Shift+R"))
        run.triggered.connect(self.open_run_dialog)
        menu.addAction(run)
        toggle = self.dock.toggleViewAction()
        toggle.setText(self.tr("Show the &jobs panel"))
        menu.addAction(toggle)
        self.menu = menu
        return menu

    # engine -----------------------------------------------------------------------------------

    def engine(self) -> JobEngine:
        """The engine of the open project, started on first use."""
        if self._engine is None:
            self._events = JobEvents(self)
            self._events.progress.connect(self._on_progress)
            self._events.item_done.connect(self._on_items_done)
            self._events.item_failed.connect(self._on_items_failed)
            self._events.state_changed.connect(self._on_state_changed)
            self._engine = JobEngine(self.window.project.path, on_event=self._events.on_event)
            self._path = self.window.project.path
        return self._engine

    @property
    def events(self) -> JobEvents | None:
        return self._events

    def close(self) -> None:
        """Pause what runs (it resumes later), join the engine's threads, deliver the last events."""
        engine, events = self._engine, self._events
        self._engine = self._events = None
        # Actions for this engine not begun yet are dropped: there is no engine to do them. One still
        # waiting for a pool thread is cancelled (the pool may be busy for long: a pipeline holds a
        # thread); one under way finishes first (it may be launching a run the engine must pause).
        self._actions.clear()
        with self._action_lock:
            if self._action is not None:
                self._action.cancel()
        self._action_idle.wait()
        if engine is not None:
            engine.close()
        if events is not None:
            events.close()
            events.deleteLater()

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:  # Qt override
        if watched is self.window and event.type() == QEvent.Type.Close:
            # The window may still refuse to close (an edit it cannot save): decide after it did.
            QTimer.singleShot(0, self._close_if_hidden)
        return False

    def _close_if_hidden(self) -> None:
        if not self.window.isVisible():
            self.close()

    def _project_changed(self, project: Any) -> None:
        if project.path == self._path:
            return
        self.close()
        self._path = project.path
        self.panel.clear()
        self._waiting.clear()
        self._load_jobs()

    def _load_jobs(self) -> None:
        """Show the project's jobs, read in the pool (counting a big job's items takes a while)."""
        task = run_in_background(read_jobs, Path(self.window.project.path))
        task.finished.connect(self._jobs_read)  # a method: not called once the controller is gone

    def _jobs_read(self, read: tuple[Path, list[JobSummary]]) -> None:
        path, summaries = read
        if path != Path(self._path):
            return  # another project was opened meanwhile
        for summary in summaries:
            if summary.id not in self.panel.rows:  # a job started meanwhile has its row already
                self.panel.show_job(summary)

    # actions ----------------------------------------------------------------------------------

    def open_run_dialog(self) -> RunDialog:
        """Show the run dialog (not modal: the reviewer keeps working); Start starts the job."""
        if self.dialog is not None:
            self.dialog.raise_()
            return self.dialog
        browser = self.window.browser
        selection = browser.selected_ids()
        engine = self.engine()  # here, in the GUI thread: the estimate runs in the pool
        dialog = RunDialog(
            self.window.project,
            selection=selection,
            sample_filter=browser.filter(),
            estimator=lambda spec: (
                pipeline.estimate_kun(engine, spec) if spec.task in pipeline.PIPELINES else engine.estimate(spec)
            ),
            parent=self.window,
        )
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        dialog.accepted.connect(lambda: self._start_from(dialog))
        dialog.finished.connect(self._dialog_closed)
        self.dialog = dialog
        dialog.show()
        return dialog

    def _dialog_closed(self) -> None:
        self.dialog = None

    def _start_from(self, dialog: RunDialog) -> None:
        spec = dialog.spec()
        if isinstance(spec, local_tasks.LocalSpec):
            self.start_local(spec)
        elif spec is not None and spec.task in pipeline.PIPELINES:
            self.start_pipeline(spec, dialog.kun_settings())
        elif spec is not None:
            self.start(spec)

    def start_pipeline(self, spec: JobSpec, settings: KunSettings | None = None) -> Any:
        """Run the Kun pipeline: its steps are jobs of this engine, shown in the jobs panel as they
        start (their events make the rows). The pipeline waits for each job on a pool thread; when it
        ends, the views are refreshed (it took drafts and set flags on its own connection). Returns
        the background task."""
        engine = self.engine()
        self.dock.show()
        self.dock.raise_()

        def run(*, progress: Callable[[int], None], cancelled: Callable[[], bool]) -> pipeline.PipelineReport:
            try:
                return pipeline.run_kun(engine, spec, settings)
            except USER_ERRORS as error:
                raise ProjectError(secrets.redact(_message(error))) from None

        task = run_in_background(run)
        task.finished.connect(lambda report: self._pipeline_done(spec, report))
        task.failed.connect(self._tell)
        self.pipeline_task = task
        return task

    def _pipeline_done(self, spec: JobSpec, report: pipeline.PipelineReport) -> None:
        changes = Changes(
            "kun_pipeline", sample_ids=set(spec.sample_ids), tables={"samples", "suggestions", "sample_flags"}
        )
        after = getattr(self.window, "_after", None)
        if after is not None:
            after(changes)
        else:
            self.window.browser.refresh(changes)
        if report.state == "done":
            text = self.tr("Kun pipeline: {passed} samples ready for review; {aside} set aside by the filters")
            self._tell(text.format(passed=len(report.passed), aside=sum(step.flagged for step in report.steps)))
        else:
            self._tell(
                self.tr("Kun pipeline stopped: {message}; run it again to continue").format(message=report.message)
            )

    def start_local(self, spec: local_tasks.LocalSpec) -> Any:
        """Run a local task in the pool on its own connection, with a progress dialog that can cancel
        it; its samples arrive as one undoable step. Returns the background task."""
        progress = QProgressDialog(self.tr("Writing LeetCode instructions…"), self.tr("Cancel"), 0, 0, self.window)
        progress.setMinimumDuration(500)  # STYLE.md: a progress dialog only for work over half a second
        progress.setRange(0, max(len(spec.sample_ids), 1))
        path = self.window.project.path
        task = run_in_background(local_tasks.run_at, path, spec)
        progress.canceled.connect(task.cancel)
        task.progress.connect(progress.setValue)
        task.finished.connect(self._local_done)
        task.failed.connect(self._tell)
        task.done.connect(progress.reset)
        task.done.connect(progress.deleteLater)
        return task

    def _local_done(self, report: local_tasks.LocalReport) -> None:
        if report.changes is not None:
            after = getattr(self.window, "_after", None)
            if after is not None:
                after(report.changes)
            else:
                self.window.browser.refresh(report.changes)
        text = self.tr("{created} LeetCode instruction samples written ({already} were already there)")
        self._tell(text.format(created=report.created, already=report.already))

    def start(self, spec: JobSpec) -> None:
        """Start a job; :attr:`job_started` tells its id.

        Recording a big job's items in the ledger takes a while (≈60 ms for 10,000), and so does
        counting them for its row, so both happen on the pool, not while the GUI waits.
        """
        engine = self.engine()

        def start_job(*, progress: Callable[[int], None], cancelled: Callable[[], bool]) -> JobSummary:
            try:
                return engine.summary(engine.start(spec))
            except USER_ERRORS as error:  # a message for the person, not a bug to log with a traceback
                raise ProjectError(secrets.redact(_message(error))) from None

        task = run_in_background(start_job)
        task.finished.connect(self._on_started)
        task.failed.connect(self._tell)

    def _on_started(self, summary: JobSummary) -> None:
        if summary.id not in self.panel.rows:
            row = self.panel.show_job(summary)
            # Events of a quick job can come before its start is reported: they wait for a row read
            # in the pool. Applied now, in order; were they applied when that read returns, an old
            # "running" would overwrite a "done" that came in between.
            for apply in self._waiting.pop(summary.id, []):
                apply(row)
        self.dock.show()
        self.dock.raise_()
        self.job_started.emit(summary.id)

    def pause(self, job_id: int) -> None:
        message = self.tr("paused")
        self._call(job_id, lambda engine: engine.pause(job_id, message))

    def cancel(self, job_id: int) -> None:
        message = self.tr("cancelled")
        self._call(job_id, lambda engine: engine.cancel(job_id, message))

    def resume(self, job_id: int) -> None:
        path = self.window.project.path
        self._call(job_id, lambda engine: engine.resume(job_id, job_factory(path, job_id)))

    def retry_failed(self, job_id: int) -> None:
        row = self.panel.rows.get(job_id)
        if row is not None:
            row.clear_failures()
        path = self.window.project.path
        self._call(job_id, lambda engine: engine.retry_failed(job_id, job_factory(path, job_id)))

    def _call(self, job_id: int, action: Callable[[JobEngine], object]) -> None:
        """Do ``action(engine)`` in the pool: the engine may wait for its writer thread (busy with a
        big estimate), read the ledger, join a finishing job's thread, and the provider's key comes
        from the keyring. One action at a time, in the order asked: a pause and the resume clicked
        right after it must not overtake each other. The job's buttons wait meanwhile; a refusal
        (no key, already running…) is shown in its row and the status bar."""
        self._actions.append((job_id, self.engine(), action))
        row = self.panel.rows.get(job_id)
        if row is not None:
            row.set_busy(True)
        self._next_action()

    def _next_action(self) -> None:
        if self._action is not None or not self._actions:
            return
        job_id, engine, action = self._actions.popleft()
        lock, idle = self._action_lock, self._action_idle

        def run(*, progress: Callable[[int], None], cancelled: Callable[[], bool]) -> object:
            with lock:
                if cancelled():  # the engine closed before a pool thread was free
                    return None
                idle.clear()
            try:
                return action(engine)
            except USER_ERRORS as error:  # a message for the person, not a bug to log with a traceback
                raise ProjectError(secrets.redact(_message(error))) from None
            finally:
                idle.set()

        with lock:
            task = run_in_background(run)
            self._action = task
        task.failed.connect(lambda message: self._action_failed(job_id, message))
        task.done.connect(lambda: self._action_finished(task, job_id))

    def _action_failed(self, job_id: int, message: str) -> None:
        if self._gone:
            return
        message = secrets.redact(message)
        row = self.panel.rows.get(job_id)
        if row is not None:
            row.set_message(message)
        self._tell(message)

    def _action_finished(self, task: BackgroundTask, job_id: int) -> None:
        if self._gone:
            return
        if self._action is task:
            self._action = None
        row = self.panel.rows.get(job_id)
        if row is not None and all(queued != job_id for queued, _engine, _action in self._actions):
            row.set_busy(False)
        self.action_done.emit(job_id)
        self._next_action()

    def _tell(self, message: str) -> None:
        self.window.statusBar().showMessage(message, 10_000)

    # events -----------------------------------------------------------------------------------

    def _with_row(self, job_id: int, apply: Callable[[JobRow], None]) -> None:
        """``apply(row)`` to the job's row; a job the panel does not show yet (a pipeline's step, a
        job started elsewhere) gets its row from the ledger, read in the pool (counting a big job's
        items takes a while), and what arrived for it meanwhile is applied then, in order."""
        row = self.panel.rows.get(job_id)
        if row is not None:
            apply(row)
            return
        waiting = self._waiting.get(job_id)
        if waiting is not None:
            waiting.append(apply)
            return
        self._waiting[job_id] = [apply]
        task = run_in_background(read_job, Path(self._path), job_id)
        task.finished.connect(self._job_read)  # a method: not called once the controller is gone

    def _job_read(self, read: tuple[Path, int, JobSummary | None]) -> None:
        path, job_id, summary = read
        if path != Path(self._path):
            return  # another project was opened meanwhile (and _waiting emptied)
        waiting = self._waiting.pop(job_id, [])
        if summary is None:
            return
        row = self.panel.show_job(summary)
        for apply in waiting:
            apply(row)

    def _on_progress(self, event: JobProgress) -> None:
        self._with_row(event.job_id, lambda row: row.set_progress(event))

    def _on_items_failed(self, events: list[ItemFailed]) -> None:
        by_job: dict[int, list[ItemFailed]] = {}
        for event in events:
            by_job.setdefault(event.job_id, []).append(event)
        for job_id, failed in by_job.items():
            self._with_row(job_id, lambda row, failed=failed: row.add_failures(failed))

    def _on_state_changed(self, event: JobStateChanged) -> None:
        self._with_row(event.job_id, lambda row: row.set_state(event.state, event.message))

    def _on_items_done(self, events: list[ItemDone]) -> None:
        sample_ids = sorted({event.sample_id for event in events})
        refresh = getattr(self.window, "refresh_after_machine_work", None)
        if refresh is not None:
            refresh(sample_ids)
        else:
            refresh_after_machine_work(self.window, sample_ids)


def read_job(path: Path, job_id: int, **_callbacks: Any) -> tuple[Path, int, JobSummary | None]:
    """One job's summary, read as :func:`read_jobs` reads them (None if it cannot be read, logged)."""
    try:
        with Project.open(path, read_only=True) as project:
            return path, job_id, job_summary(project, job_id)
    except ProjectError:
        log.exception("reading job %s of %s", job_id, path)
        return path, job_id, None


def read_jobs(path: Path, **_callbacks: Any) -> tuple[Path, list[JobSummary]]:
    """The project's jobs, oldest first, read on a read-only connection of this (pool) thread's own;
    none when the project cannot be read (logged)."""
    try:
        with Project.open(path, read_only=True) as project:
            return path, job_summaries(project)
    except ProjectError:
        log.exception("reading the jobs of %s", path)
        return path, []


def job_factory(path: Path, job_id: int) -> ProviderFactory | None:
    """The provider as the job records it (the key looked up again: it may have been fixed); None for
    a job started otherwise (the engine keeps the factory it started with). For a pool thread: the
    job is read on a read-only connection of its own, the key from the keyring."""
    with Project.open(path, read_only=True) as project:
        settings = job_params(project, job_id).get("settings") or {}
    return cli_run.provider_factory(settings) if "provider" in settings else None


def refresh_after_machine_work(window: Any, sample_ids: Sequence[int]) -> None:
    """What ``MainWindow.refresh_after_machine_work`` does (used until the window has it)."""
    window.browser.refresh(Changes("machine_job", sample_ids=set(sample_ids), tables={"suggestions"}))
    current = window.current
    if current is not None and current.id in sample_ids and window._pending is None:
        window._show(current.id)


def install_jobs(window: QMainWindow) -> JobsController:
    """The jobs controller, dock and menu of a main window (call once, from its ``__init__``)."""
    controller = JobsController(window)
    controller.add_menu(window.menuBar())
    return controller
