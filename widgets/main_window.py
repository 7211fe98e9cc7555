"""The review window: the sample list on the left, the pane for the sample's kind and the verdict
bar on the right. Everything it changes goes through ``app.store.actions`` (undoable, on disk before
the next sample shows); it never runs SQL itself."""

from __future__ import annotations

import contextlib
import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from PySide6.QtCore import QEvent, QObject, Qt, QTimer, Signal
from PySide6.QtGui import QAction, QCloseEvent, QDragEnterEvent, QDropEvent, QGuiApplication, QKeySequence, QShortcut
from PySide6.QtWidgets import (
    QAbstractSpinBox,
    QComboBox,
    QFileDialog,
    QInputDialog,
    QLabel,
    QLineEdit,
    QMainWindow,
    QMessageBox,
    QPlainTextEdit,
    QPushButton,
    QSplitter,
    QTabWidget,
    QTextEdit,
    QVBoxLayout,
    QWidget,
)

from app import backup, i18n, importer
from app.quality import flags as quality_flags
from app.store import Changes, Project, ProjectError, actions, ops, query
from app.store.query import Sample
from app.tasks.cqia import latest_judgement
from widgets import first_run, open_flow, settings
from widgets.gate_panel import install_qa_menu
from widgets.jobs import install_jobs
from widgets.language import add_language_menu
from widgets.panes.base import PaneContext
from widgets.panes.history import HistoryPanel
from widgets.panes.registry import KindStack
from widgets.quality import QualityPanel, install_quality_menu
from widgets.sample_model import display_names
from widgets.sample_table import SampleBrowser
from widgets.shortcuts import CheatSheet, shortcuts
from widgets.tasks import BackgroundTask, run_in_background
from widgets.team import install_team_menu
from widgets.verdict_bar import VerdictBar

log = logging.getLogger("winnow.window")

# Typing is saved this long after the last keystroke; a sample switch or close saves at once.
SAVE_DELAY_MS = 600
# Keystrokes within this long of the previous save amend the same revision (one undo step).
COALESCE_SECONDS = 60.0
# A copy of the project file is kept this often while the window is open.
BACKUP_INTERVAL_MS = 10 * 60 * 1000
# How long closing, restoring or switching projects waits for a cancelled backup to clean up. A
# cancel lands within milliseconds (app.backup checks it every few); only a copy that has just
# finished still has its fsync to do, a few seconds for a gigabyte on a slow disk.
BACKUP_STOP_TIMEOUT_S = 30.0

# Key decisions: the review verdict each implies (COIG: 1 and 2 usable, 3 needs fixing, 4 unusable).
VERDICT_OF_LABEL = {1: "accept", 2: "accept", 3: "needs_fix", 4: "reject"}
# The review stage a person's decisions are recorded at, by the role they chose at the first start.
STAGE_OF_ROLE = {"annotator": "annotate", "inspector": "inspect", "expert": "expert"}


def is_typing(widget: QWidget | None) -> bool:
    """Whether keys now go into text: an editable field has focus or an input method composes."""
    method = QGuiApplication.inputMethod()
    if method is not None and method.isVisible():
        return True
    if isinstance(widget, QLineEdit | QAbstractSpinBox):
        return True
    if isinstance(widget, QComboBox):
        return widget.isEditable()
    if isinstance(widget, QTextEdit | QPlainTextEdit):
        return not widget.isReadOnly()
    return False


class _ComposeWatcher(QObject):
    """Remembers whether an input method is composing (preedit text shown), per the last event.

    It watches the object with the keyboard focus only (input method events go there), moving with
    the focus: a filter on the whole application would run Python for every event of every widget,
    each call waiting for the GIL while a machine job's workers hold it.
    """

    def __init__(self) -> None:
        super().__init__()
        self.composing = False
        self._watched: QObject | None = None
        self._following = False

    def start(self) -> None:
        """Follow the application's focus from now on."""
        if not self._following:
            QGuiApplication.instance().focusObjectChanged.connect(self.follow)
            self._following = True
        self.follow(QGuiApplication.focusObject())

    def finish(self) -> None:
        """Stop following the focus (closing the window; safe to call twice)."""
        if self._following:
            QGuiApplication.instance().focusObjectChanged.disconnect(self.follow)
            self._following = False
        self.stop()

    def follow(self, focused: QObject | None) -> None:
        """Watch ``focused`` instead (connected to QGuiApplication.focusObjectChanged)."""
        self.stop()
        if focused is not None:
            focused.installEventFilter(self)
            self._watched = focused

    def stop(self) -> None:
        watched, self._watched = self._watched, None
        self.composing = False  # composing ends with the focus
        if watched is not None:
            with contextlib.suppress(RuntimeError):  # the widget was deleted meanwhile
                watched.removeEventFilter(self)

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:  # Qt override
        if event.type() == QEvent.Type.InputMethod:
            self.composing = bool(event.preeditString())
        return False


@dataclass(frozen=True)
class _WaitingChange:
    """A bulk change asked for, waiting for the backup that must be on disk before it is made."""

    count: int
    """How many samples it changes (the ids chosen when it was asked for)."""
    change: Callable[[], Changes]


class MainWindow(QMainWindow):
    """One open project under review."""

    project_changed = Signal(object)
    """Emitted with the (possibly new) Project after open/new."""

    def __init__(self, project: Project) -> None:
        super().__init__()
        self.project = project
        self.current: Sample | None = None
        self._pending: dict[str, Any] | None = None
        self._pending_id: int | None = None
        # When the current sample was shown (monotonic): each decision records the seconds since.
        self._shown_at: float | None = None
        self._save_timer = QTimer(self, singleShot=True, interval=SAVE_DELAY_MS, timeout=self.save_pending)
        self._backup_timer = QTimer(self, interval=BACKUP_INTERVAL_MS, timeout=self._periodic_backup)
        # The sample on screen got machine drafts: drawn again on the next turn of the event loop.
        self._new_drafts_timer = QTimer(self, singleShot=True, interval=0, timeout=self._show_new_drafts)
        self._new_drafts_for: tuple[Project, int] | None = None
        # The backup running in the background, and the event its function sets when it has returned
        # (its partial file removed): at most one at a time.
        self._backup_task: BackgroundTask | None = None
        self._backup_returned: threading.Event | None = None
        # The bulk change waiting for that backup ("before-bulk"), made when it is on disk.
        self._waiting: _WaitingChange | None = None
        self._compose = _ComposeWatcher()
        self._compose.start()
        self._build()
        # "Backing up…" / "Backed up at 15:42" beside the save state: never a dialog, never in the way.
        self.backup_state = QLabel(self)
        self.statusBar().addPermanentWidget(self.backup_state)
        # Shown while a bulk change waits for its backup: a bulk change asked for by mistake can
        # still be called off in the seconds the copy of a big project takes.
        self.cancel_waiting_button = QPushButton(self.tr("Cancel the change"), self)
        self.cancel_waiting_button.setFlat(True)
        self.cancel_waiting_button.clicked.connect(self.cancel_waiting_change)
        self.cancel_waiting_button.hide()
        self.statusBar().addPermanentWidget(self.cancel_waiting_button)
        self._bind_shortcuts()
        self._build_menus()
        self.jobs = install_jobs(self)
        self.setAcceptDrops(True)
        self._open_in_views(project)
        self._backup_timer.start()
        self._restore_layout()

    # Building

    def _build(self) -> None:
        self.browser = SampleBrowser(self)
        self.panes = KindStack(self)
        self.history = HistoryPanel(self)
        self.verdict_bar = VerdictBar(self)
        self.quality = QualityPanel(self)
        self.details = QTabWidget(self)
        self.details.addTab(self.panes, self.tr("Sample"))
        self.details.addTab(self.history, self.tr("History and origin"))
        right = QWidget(self)
        column = QVBoxLayout(right)
        column.setContentsMargins(0, 0, 0, 0)
        column.addWidget(self.details, 1)
        column.addWidget(self.quality)
        column.addWidget(self.verdict_bar)
        self.splitter = QSplitter(Qt.Orientation.Horizontal, self)
        self.splitter.addWidget(self.browser)
        self.splitter.addWidget(right)
        self.splitter.setStretchFactor(0, 2)
        self.splitter.setStretchFactor(1, 3)
        self.splitter.setSizes([520, 760])
        self.setCentralWidget(self.splitter)
        self.save_state = QLabel(self)
        self.statusBar().addPermanentWidget(self.save_state)

        self.browser.current_sample_changed.connect(self._on_current_changed)
        self.panes.content_edited.connect(self._on_content_edited)
        self.panes.suggestion_taken.connect(self._take_suggestion)
        self.history.revert_requested.connect(self._revert)
        self.verdict_bar.label_chosen.connect(self.decide_label)
        self.verdict_bar.rating_chosen.connect(self.rate)
        self.verdict_bar.verdict_chosen.connect(self.decide)
        self.verdict_bar.skip_requested.connect(self.skip)
        self.verdict_bar.judgement_taken.connect(self._take_judgement)
        self.quality.ignore_requested.connect(self.ignore_flag)
        # The checks run on the text as it is typed: a fix clears its flag before the save.
        self.panes.content_edited.connect(self.quality.show_content)

    def _bind_shortcuts(self) -> None:
        handlers = {
            **{f"label_{n}": (lambda n=n: self.decide_label(n)) for n in range(1, 5)},
            **{f"rating_{n}": (lambda n=n: self.rate(n)) for n in range(1, 6)},
            "accept": lambda: self.decide("accept"),
            "reject": lambda: self.decide("reject"),
            "needs_fix": lambda: self.decide("needs_fix"),
            "skip": self.skip,
            "next": lambda: self.step(1),
            "previous": lambda: self.step(-1),
            "edit": self.panes.focus_first_field,
            "comment": self.verdict_bar.comment_edit.setFocus,
            "leave_field": self.leave_field,
            "search": self.browser.focus_search,
            "undo": self.undo,
            "redo": self.redo,
            "help": self.show_cheat_sheet,
        }
        self.shortcut_objects: dict[str, list[QShortcut]] = {}
        for entry in shortcuts():
            handler = handlers[entry.action]
            bound = []
            for keys in entry.keys:
                shortcut = QShortcut(QKeySequence(keys), self)
                shortcut.setContext(Qt.ShortcutContext.WindowShortcut)
                shortcut.activated.connect(self._guarded(handler) if entry.single_key else handler)
                bound.append(shortcut)
            self.shortcut_objects[entry.action] = bound

    def _guarded(self, handler):
        def run() -> None:
            if self._compose.composing or is_typing(QGuiApplication.focusObject()):
                return
            handler()

        return run

    def _build_menus(self) -> None:
        bar = self.menuBar()
        file_menu = bar.addMenu(self.tr("&File"))
        self._action(file_menu, self.tr("&New project…"), self.new_project, QKeySequence.StandardKey.New)
        self._action(file_menu, self.tr("&Open project…"), self.open_project_dialog, QKeySequence.StandardKey.Open)
        self.recent_menu = file_menu.addMenu(self.tr("Open &recent"))
        self.recent_menu.aboutToShow.connect(self._fill_recent)
        file_menu.addSeparator()
        self._action(file_menu, self.tr("&Import…"), self.import_dialog, "Ctrl+I")
        self._action(file_menu, self.tr("&Export…"), self.export_dialog, "Ctrl+E")
        file_menu.addSeparator()
        # Not while a bulk change waits for its backup: either would cancel that backup.
        self.blocked_while_waiting = [
            self._action(file_menu, self.tr("&Back up now"), self.back_up_now),
            self._action(file_menu, self.tr("Restore a &backup…"), self.restore_backup),
        ]
        file_menu.addSeparator()
        self._action(file_menu, self.tr("Your &name and role…"), self.edit_user)
        file_menu.addSeparator()
        self._action(file_menu, self.tr("&Quit"), self.close, QKeySequence.StandardKey.Quit)

        edit_menu = bar.addMenu(self.tr("&Edit"))
        self.undo_action = self._action(edit_menu, self.tr("&Undo"), self.undo)
        self.redo_action = self._action(edit_menu, self.tr("&Redo"), self.redo)
        edit_menu.aboutToShow.connect(self._update_undo_texts)
        edit_menu.addSeparator()
        # One bulk change at a time: the next is asked for when the last is made.
        self.blocked_while_waiting += [
            self._action(edit_menu, title, handler)
            for title, handler in (
                (self.tr("Set &label of the selection…"), self.bulk_label),
                (self.tr("Set &status of the selection…"), self.bulk_status),
                (self.tr("&Assign the selection to…"), self.bulk_assign),
            )
        ]

        self.team = install_team_menu(self)
        self.quality_menu = install_quality_menu(self)
        self.qa_menu = install_qa_menu(self)
        add_language_menu(bar, self)
        help_menu = bar.addMenu(self.tr("&Help"))
        self._action(help_menu, self.tr("&Keyboard shortcuts"), self.show_cheat_sheet)

    def edit_user(self) -> None:
        """Change who the changes are recorded as (and the review stage the role decides)."""
        if not first_run.edit_user(self):
            return
        if first_run.name_is_fixed_by_environment():
            QMessageBox.information(
                self,
                self.tr("Your name and role"),
                self.tr("Changes are still recorded as {name}: the WINNOW_USER environment variable says so.").format(
                    name=self.project.author
                ),
            )
            return
        self.project.author = first_run.user_name()

    def _action(self, menu, text: str, handler, keys=None) -> QAction:
        action = menu.addAction(text)
        action.triggered.connect(lambda _checked=False: handler())
        if keys is not None:
            action.setShortcut(QKeySequence(keys))
        return action

    # Opening

    def _open_in_views(self, project: Project) -> None:
        self.project = project
        suffix = self.tr(" (read-only)") if project.read_only else ""
        self.setWindowTitle(f"{project.name}{suffix} — Winnow")
        settings.remember_project(project.path)
        self.browser.set_project(project)
        remembered = settings.last_position(project.path)
        if remembered is None or not self.browser.select_sample(remembered):
            self.browser.select_first()
        # Keys decide from the first moment: start in the list, not in the search box.
        self.browser.focus_table()
        self._show_saved()
        self.project_changed.emit(project)

    def switch_project(self, project: Project) -> None:
        self.save_pending()
        self._stop_backup()
        old = self.project
        self.current = None
        self._open_in_views(project)
        if old is not project:
            old.close()

    def new_project(self) -> None:
        path, _ = QFileDialog.getSaveFileName(self, self.tr("New project"), "", self.tr("Winnow projects (*.winnow)"))
        if not path:
            return
        target = Path(path) if path.endswith(".winnow") else Path(path + ".winnow")
        try:
            self.switch_project(Project.create(target))
        except ProjectError as error:
            QMessageBox.warning(self, self.tr("Cannot create the project"), str(error))

    def open_project_dialog(self) -> None:
        path, _ = QFileDialog.getOpenFileName(
            self, self.tr("Open project"), "", self.tr("Winnow projects and work packages (*.winnow *.winnowpkg)")
        )
        if path:
            self.open_project(Path(path))

    def open_project(self, path: Path) -> bool:
        # Locked for this window; in use elsewhere or read-only: offer read-only; damaged: offer a backup.
        project = open_flow.open_interactively(self, path)
        if project is None:
            return False
        self.switch_project(project)
        return True

    def _fill_recent(self) -> None:
        self.recent_menu.clear()
        for path in settings.recent_projects():
            action = self.recent_menu.addAction(str(path))
            action.setEnabled(path.exists())
            action.triggered.connect(lambda _checked=False, p=path: self.open_project(p))
        if self.recent_menu.isEmpty():
            self.recent_menu.addAction(self.tr("(none yet)")).setEnabled(False)

    # Showing a sample

    def _on_current_changed(self, sample_id: int) -> None:
        self.save_pending()
        if sample_id < 0:
            self.current = None
            self.verdict_bar.show_sample(None)
            self.quality.show_sample(self.project, None)
            self.panes.setEnabled(False)
            return
        self._show(sample_id)
        self._shown_at = time.monotonic()
        settings.remember_position(self.project.path, sample_id)

    def _show(self, sample_id: int) -> None:
        try:
            sample = query.get_sample(self.project, sample_id)
        except ProjectError:
            return
        self.current = sample
        context = self._context(sample)
        self.panes.setEnabled(True)
        self.panes.show_sample(sample, context)
        self.history.show_sample(sample, context)
        self.verdict_bar.show_sample(sample)
        self.verdict_bar.show_judgement(latest_judgement(context.suggestions))
        self.quality.show_sample(self.project, sample)

    def _context(self, sample: Sample) -> PaneContext:
        return PaneContext(
            suggestions=query.suggestions(self.project, sample.id),
            revisions=query.revisions(self.project, sample.id),
            origin=query.origin(self.project, sample.id),
        )

    # Saving edits

    def _on_content_edited(self, content: dict) -> None:
        if self.current is None:
            return
        self._pending, self._pending_id = content, self.current.id
        self.save_state.setText(self.tr("Saving…"))
        self._save_timer.start()

    def save_pending(self) -> bool:
        """Write the edit in progress now; True when nothing is left unsaved."""
        self._save_timer.stop()
        if self._pending is None or self._pending_id is None:
            return True
        content, sample_id = self._pending, self._pending_id
        try:
            changes = actions.edit_content(
                self.project, sample_id, content, reason="review edit", coalesce_seconds=COALESCE_SECONDS
            )
        except ProjectError as error:
            self.save_state.setText(self.tr("Not saved: {error}").format(error=error))
            QMessageBox.warning(self, self.tr("Your edit was not saved"), str(error))
            return False
        self._pending = self._pending_id = None
        if self.current is not None and self.current.id == sample_id:
            self.current.content = content
        self.browser.refresh(changes)
        self._show_saved()
        return True

    def _show_saved(self) -> None:
        self.save_state.setText(self.tr("All changes saved"))

    def review_stage(self) -> str:
        """The stage this person's decisions are recorded at (annotate, inspect, expert)."""
        return STAGE_OF_ROLE.get(first_run.user_role(), "annotate")

    def seconds_shown(self) -> float | None:
        """How long the current sample has been shown: the time a decision on it took."""
        return None if self._shown_at is None else round(time.monotonic() - self._shown_at, 3)

    # Decisions

    def decide_label(self, label: int) -> None:
        self._decide(verdict=VERDICT_OF_LABEL[label], label=label)

    def decide(self, verdict: str) -> None:
        self._decide(verdict=verdict)

    def rate(self, rating: int) -> None:
        if self.current is None or not self.save_pending():
            return
        seconds, stage = self.seconds_shown(), self.review_stage()
        self._apply(
            lambda: actions.add_review(self.project, self.current.id, stage=stage, rating=rating, seconds=seconds)
        )

    def _decide(self, *, verdict: str, label: int | None = None) -> None:
        """Save the verdict (on disk before anything else shows), then move to the next undecided."""
        if self.current is None or not self.save_pending():
            return
        sample_id = self.current.id
        comment = self.verdict_bar.comment()
        changes = self._apply(
            lambda: actions.add_review(
                self.project,
                sample_id,
                stage=self.review_stage(),
                verdict=verdict,
                label=label,
                comment=comment,
                seconds=self.seconds_shown(),
            )
        )
        if changes is None:
            return
        self.verdict_bar.clear_comment()
        following = self.browser.next_undecided(sample_id)
        if following is not None:
            self.browser.select_sample(following)
        else:
            self.statusBar().showMessage(self.tr("Every sample in this list is decided."), 5000)

    def _apply(self, change) -> Changes | None:
        try:
            changes = change()
        except ProjectError as error:
            QMessageBox.warning(self, self.tr("Not saved"), str(error))
            return None
        self._after(changes)
        return changes

    def _after(self, changes: Changes) -> None:
        self.browser.refresh(changes)
        if self.current is not None and self.current.id in changes.sample_ids:
            self._show(self.current.id)
        self._show_saved()

    def skip(self) -> None:
        if self.current is None:
            return
        following = self.browser.next_undecided(self.current.id)
        if following is not None:
            self.browser.select_sample(following)

    def step(self, delta: int) -> None:
        self.browser.step(delta)

    def leave_field(self) -> None:
        self.save_pending()
        self.browser.focus_table()

    # Undo

    def undo(self) -> None:
        if self._refuse_while_waiting():
            return
        self.save_pending()
        self._replay(ops.undo, self.tr("Nothing to undo."))

    def redo(self) -> None:
        if self._refuse_while_waiting():
            return
        self.save_pending()
        self._replay(ops.redo, self.tr("Nothing to redo."))

    def _replay(self, replay, nothing: str) -> None:
        try:
            changes = replay(self.project)
        except ops.UndoError as error:
            message = nothing if str(error).startswith("nothing") else str(error)
            self.statusBar().showMessage(message, 5000)
            return
        self._after(changes)
        self.statusBar().showMessage(i18n.display(changes.summary), 4000)

    def _update_undo_texts(self) -> None:
        # Stored in English (the project file's words); shown in the UI language.
        undo, redo = ops.can_undo(self.project), ops.can_redo(self.project)
        undo, redo = (i18n.display(text) if text else text for text in (undo, redo))
        self.undo_action.setText(self.tr("&Undo {what}").format(what=undo) if undo else self.tr("&Undo"))
        self.undo_action.setEnabled(undo is not None)
        self.redo_action.setText(self.tr("&Redo {what}").format(what=redo) if redo else self.tr("&Redo"))
        self.redo_action.setEnabled(redo is not None)
        if self._waiting is not None:
            self.undo_action.setEnabled(False)
            self.redo_action.setEnabled(False)

    def _take_suggestion(self, suggestion_id: int, content: dict) -> None:
        """The reviewer took a machine draft (whole or one field of it) into the sample."""
        if self.current is None or not self.save_pending():
            return
        draft = next(
            (s["content"] for s in query.suggestions(self.project, self.current.id) if s["id"] == suggestion_id), {}
        )
        whole = content == actions.draft_applied(self.project, self.current.id, draft)
        self._apply(lambda: actions.accept_suggestion(self.project, suggestion_id, edited=None if whole else content))

    def _take_judgement(self, suggestion_id: int) -> None:
        """The reviewer took a machine judge's score as the sample's rating (content untouched)."""
        if self.current is None or not self.save_pending():
            return
        self._apply(lambda: actions.accept_suggestion(self.project, suggestion_id))

    def refresh_after_machine_work(self, sample_ids: list[int]) -> None:
        """Machine drafts arrived for these samples (a jobs-panel batch, at most ~20 a second)."""
        self.browser.refresh(Changes("machine_job", sample_ids=set(sample_ids), tables={"suggestions"}))
        if self.current is not None and self.current.id in sample_ids:
            # In a turn of the event loop of its own: drawing the sample again with its new draft is
            # the biggest piece of GUI work a job causes (10-45 ms while the workers compete for the
            # GIL), and the list's refresh and the job's row must not add to it in one stall.
            self._new_drafts_for = (self.project, self.current.id)
            self._new_drafts_timer.start()

    def _show_new_drafts(self) -> None:
        project, sample_id = self._new_drafts_for or (None, None)
        self._new_drafts_for = None
        # Not while the person has an unsaved edit (a new draft must not replace what they type),
        # nor if they have moved on meanwhile (another sample, another project).
        current = self.current
        if project is self.project and current is not None and current.id == sample_id and self._pending is None:
            self._show(sample_id)

    def ignore_flag(self, flag: str) -> None:
        """The reviewer says a QA flag is wrong for the current sample (recorded with their name)."""
        if self.current is None or not self.save_pending():
            return
        sample_id = self.current.id
        self._apply(lambda: quality_flags.ignore_flag(self.project, sample_id, flag))

    def _revert(self, version: int) -> None:
        if self.current is None or not self.save_pending():
            return
        self._apply(lambda: actions.revert_to_version(self.project, self.current.id, version))

    # Bulk actions: on the selection, or on the whole filter when nothing is selected.

    def _bulk_ids(self) -> list[int]:
        selected = self.browser.selected_ids()
        return selected if len(selected) > 1 else query.sample_ids(self.project, self.browser.filter())

    def _bulk(self, title: str, choices: dict[Any, str], apply) -> None:
        """Ask for one of ``choices`` (value → shown name) and apply it to the selection or filter
        once a backup of the project as it is now is on disk (see :meth:`_change_after_backup`)."""
        if self._refuse_while_waiting():
            return
        ids = self._bulk_ids()
        if not ids:
            return
        names = list(choices.values())
        choice, ok = QInputDialog.getItem(
            self, title, self.tr("For {n} samples:").format(n=f"{len(ids):,}"), names, 0, False
        )
        if not ok:
            return
        value = list(choices)[names.index(choice)]
        self._change_after_backup(len(ids), lambda: apply(ids, value))

    def bulk_label(self) -> None:
        labels = display_names()["label"]
        self._bulk(self.tr("Set label"), labels, lambda ids, v: actions.set_label(self.project, ids, v))

    def bulk_status(self) -> None:
        statuses = display_names()["status"]
        self._bulk(self.tr("Set status"), statuses, lambda ids, v: actions.set_status(self.project, ids, v))

    def bulk_assign(self) -> None:
        if self._refuse_while_waiting():
            return
        ids = self._bulk_ids()
        name, ok = QInputDialog.getText(self, self.tr("Assign"), self.tr("Assign {n} samples to:").format(n=len(ids)))
        if ok and ids:
            self.save_pending()
            self._apply(lambda: actions.assign(self.project, ids, name.strip() or None))

    def _change_after_backup(self, count: int, change: Callable[[], Changes]) -> None:
        """Back up in the background, then make ``change`` (one undoable operation): the backup is
        the way back to before it, so the change waits until the copy is on disk. On a 1.9 GB
        project that is ~11 s, in which the window stays usable: the change is to the ids chosen
        now, so reviewing sample by sample goes on; what would reorder it (undo, redo, another bulk
        change, a restore) waits. A failed backup asks whether to change without one; closing the
        window or switching projects meanwhile cancels the backup and changes nothing."""
        self.save_pending()  # the edit in progress belongs in the backup
        self._start_backup("before-bulk", then=_WaitingChange(count, change))

    def _refuse_while_waiting(self) -> bool:
        """True (and says why in the status bar) when a bulk change waits for its backup."""
        if self._waiting is None:
            return False
        self.statusBar().showMessage(
            self.tr("Wait until the change of {n} samples is made: it is backing up first.").format(
                n=f"{self._waiting.count:,}"
            ),
            5000,
        )
        return True

    def cancel_waiting_change(self) -> None:
        """Call off the bulk change waiting for its backup (and that backup): nothing is changed."""
        waiting = self._waiting
        if waiting is None:
            return
        self._stop_backup()
        self.statusBar().showMessage(
            self.tr("The change of {n} samples was cancelled; nothing was changed.").format(n=f"{waiting.count:,}"),
            6000,
        )

    def _set_waiting(self, waiting: _WaitingChange | None) -> None:
        self._waiting = waiting
        for action in self.blocked_while_waiting:
            action.setEnabled(waiting is None)
        self.cancel_waiting_button.setVisible(waiting is not None)
        if waiting is not None:
            self.backup_state.setText(self.tr("Backing up before changing {n} samples…").format(n=f"{waiting.count:,}"))

    def _make_waiting_change(self) -> None:
        waiting = self._waiting
        self._set_waiting(None)
        if waiting is None:
            return
        self.save_pending()  # typed meanwhile: on disk before the pane is reloaded with the change
        changes = self._apply(waiting.change)
        if changes is not None:
            self.statusBar().showMessage(i18n.display(changes.summary), 6000)

    def _ask_change_without_backup(self, count: int, error: str) -> bool:
        """The backup before a bulk change failed: True when the user wants the change without it."""
        box = QMessageBox(self)
        box.setIcon(QMessageBox.Icon.Warning)
        box.setWindowTitle(self.tr("Backup failed"))
        box.setText(self.tr("The backup before changing {n} samples could not be taken.").format(n=f"{count:,}"))
        box.setInformativeText(
            self.tr(
                "{error}\n\nChange them anyway, without a backup? Edit ▸ Undo can still take the change back, "
                "but there will be no copy of the project from before it."
            ).format(error=error)
        )
        change = box.addButton(self.tr("Change without a backup"), QMessageBox.ButtonRole.DestructiveRole)
        change.setObjectName("change_without_backup")
        cancel = box.addButton(self.tr("Cancel the change"), QMessageBox.ButtonRole.RejectRole)
        cancel.setObjectName("cancel_change")
        box.setDefaultButton(cancel)
        box.setEscapeButton(cancel)
        box.exec()
        return box.clickedButton() is change

    # Import, export, backups

    def import_dialog(self, paths: list[Path] | None = None) -> None:
        from widgets.import_dialog import ImportDialog

        if paths is None:
            names, _ = QFileDialog.getOpenFileNames(self, self.tr("Import files"))
            paths = [Path(n) for n in names]
        if not paths:
            return
        self.save_pending()
        dialog = ImportDialog(self.project, paths, self)
        dialog.imported.connect(self._on_imported)
        dialog.exec()

    def _on_imported(self, reports: list[importer.ImportReport]) -> None:
        for report in reports:
            if report.changes is not None:
                self.browser.refresh(report.changes)
        if self.current is None:
            self.browser.select_first()

    def export_dialog(self) -> None:
        from widgets.export_dialog import ExportDialog

        self.save_pending()
        ExportDialog(self.project, self.browser.filter(), self).exec()

    def back_up_now(self) -> None:
        if self._refuse_while_waiting():  # a backup is being taken: before the bulk change
            return
        self._start_backup("manual", announce=True)

    def _periodic_backup(self) -> None:
        # The last one is still copying (or a bulk change waits for its answer): this tick is not needed.
        if self._backup_task is None and self._waiting is None:
            self._start_backup("periodic")

    def _start_backup(self, reason: str, *, announce: bool = False, then: _WaitingChange | None = None) -> None:
        """Back up in the background: a gigabyte takes seconds to copy, the window must not freeze.

        The worker gets the path, never the GUI's connection; app.backup reads a consistent
        snapshot through its own. A backup asked for by the user supersedes a periodic one running.
        ``then`` is made when the backup is on disk (see :meth:`_change_after_backup`).
        """
        self._stop_backup()
        returned = threading.Event()
        task = run_in_background(_backup_in_worker, self.project.path, reason, returned)
        task.finished.connect(lambda path: self._on_backup_finished(task, path, announce))
        task.failed.connect(lambda message: self._on_backup_failed(task, message))
        self._backup_task, self._backup_returned = task, returned
        self.backup_state.setText(self.tr("Backing up…"))
        self.backup_state.setToolTip("")
        self._set_waiting(then)

    def _stop_backup(self) -> None:
        """Cancel the background backup, if any, and wait until its function has returned: before the
        project file is closed or replaced, or another backup starts. Its partial file is gone then.
        A bulk change waiting for it is dropped, never made."""
        if self._waiting is not None:
            log.info("the change of %d samples waiting for its backup was dropped", self._waiting.count)
            self._set_waiting(None)
        task, returned = self._backup_task, self._backup_returned
        if task is None or returned is None:
            return
        self._backup_task = self._backup_returned = None
        task.finished.disconnect()
        task.failed.disconnect()
        task.cancel()
        if not returned.wait(BACKUP_STOP_TIMEOUT_S):
            log.warning("a cancelled backup still runs after %.0f s", BACKUP_STOP_TIMEOUT_S)
        self.backup_state.clear()

    def _on_backup_finished(self, task: BackgroundTask, path: Path | None, announce: bool) -> None:
        if task is not self._backup_task:
            return
        self._backup_task = self._backup_returned = None
        if path is None:  # cancelled (only _stop_backup cancels, and it drops a waiting change)
            self.backup_state.clear()
            self._set_waiting(None)
            return
        self._show_backed_up(path)
        if announce:
            self.statusBar().showMessage(self.tr("Backed up to {path}").format(path=path), 6000)
        self._make_waiting_change()

    def _on_backup_failed(self, task: BackgroundTask, message: str) -> None:
        if task is not self._backup_task:
            return
        self._backup_task = self._backup_returned = None
        log.warning("backup failed: %s", message)
        self.backup_state.setText(self.tr("Backup failed"))
        self.backup_state.setToolTip(message)
        waiting = self._waiting
        if waiting is None:
            self.statusBar().showMessage(self.tr("Backup failed: {error}").format(error=message), 8000)
            return
        # Never a silent change without its backup: the user decides. Still waiting meanwhile, so
        # undo, bulk changes and periodic backups keep off.
        wanted = self._ask_change_without_backup(waiting.count, message)
        if self._waiting is not waiting:  # dropped while the question was open
            return
        if wanted:
            log.warning("changing %d samples without a backup, as the user chose", waiting.count)
            self._make_waiting_change()
        else:
            self._set_waiting(None)
            self.statusBar().showMessage(
                self.tr("The change of {n} samples was cancelled; nothing was changed.").format(n=f"{waiting.count:,}"),
                6000,
            )

    def _show_backed_up(self, path: Path) -> None:
        self.backup_state.setText(self.tr("Backed up at {time}").format(time=f"{datetime.now():%H:%M}"))
        self.backup_state.setToolTip(str(path))

    def restore_backup(self) -> None:
        if self._refuse_while_waiting():  # picking a backup would cancel the one the change waits for
            return
        self._backup_timer.stop()
        try:
            self._restore_backup()
        finally:
            self._backup_timer.start()

    def _restore_backup(self) -> None:
        found = backup.list_backups(self.project.path)
        if not found:
            QMessageBox.information(self, self.tr("Restore"), self.tr("There are no backups of this project yet."))
            return
        # Nothing may prune the folder while the user picks from it, nor copy the file being replaced.
        self._stop_backup()
        names = [f"{b.created.astimezone():%Y-%m-%d %H:%M:%S}  {b.reason}" for b in found]
        choice, ok = QInputDialog.getItem(self, self.tr("Restore a backup"), self.tr("Backup:"), names, 0, False)
        if not ok:
            return
        chosen = found[names.index(choice)]
        self.save_pending()
        path = self.project.path
        # Machine jobs write through their own connection: stop them before the file is replaced.
        self.jobs.close()
        self.project.close()
        try:
            backup.restore(path, chosen.path)
        except ProjectError as error:
            QMessageBox.warning(self, self.tr("Cannot restore the backup"), str(error))
        finally:
            self.project = Project.open(path, lock=True)
            self._open_in_views(self.project)

    # Help, drag and drop, closing

    def show_cheat_sheet(self) -> None:
        CheatSheet(self).exec()

    def dragEnterEvent(self, event: QDragEnterEvent) -> None:  # Qt override
        if event.mimeData().hasUrls():
            event.acceptProposedAction()

    def dropEvent(self, event: QDropEvent) -> None:  # Qt override
        paths = [Path(url.toLocalFile()) for url in event.mimeData().urls() if url.isLocalFile()]
        if paths:
            event.acceptProposedAction()
            # Work packages dropped on the lead's window come back to be merged; anything else is data.
            packages = [path for path in paths if path.suffix == ".winnowpkg"]
            if packages:
                self.team.merge(packages)
            if len(packages) < len(paths):
                self.import_dialog([path for path in paths if path.suffix != ".winnowpkg"])

    def _restore_layout(self) -> None:
        store = settings.settings()
        geometry = store.value("window/geometry")
        if geometry is not None:
            self.restoreGeometry(geometry)
        else:
            self.resize(1280, 800)
        splitter = store.value("window/splitter")
        if splitter is not None:
            self.splitter.restoreState(splitter)

    def closeEvent(self, event: QCloseEvent) -> None:  # Qt override
        if not self.save_pending():
            event.ignore()
            return
        store = settings.settings()
        store.setValue("window/geometry", self.saveGeometry())
        store.setValue("window/splitter", self.splitter.saveState())
        self._backup_timer.stop()
        self._new_drafts_timer.stop()
        self._stop_backup()
        self._compose.finish()
        super().closeEvent(event)


def _backup_in_worker(
    project_path: Path, reason: str, returned: threading.Event, *, progress, cancelled
) -> Path | None:
    """In the worker thread: the backup, then the event the window waits on when it stops one."""
    try:
        return backup.backup_file(project_path, reason, cancelled=cancelled)
    finally:
        returned.set()
