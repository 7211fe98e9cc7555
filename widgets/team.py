"""The Team menu: assign samples to annotators and send their work packages, merge returned
packages (in the background), and the adjudication queue (:mod:`widgets.adjudication`).

Everything goes through :mod:`app.packages`; exports and merges run on a connection of their own
(:mod:`widgets.tasks`), so a large batch never freezes the window.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QObject, Qt, Signal
from PySide6.QtWidgets import (
    QAbstractItemView,
    QDialog,
    QDialogButtonBox,
    QDoubleSpinBox,
    QFileDialog,
    QFormLayout,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QMessageBox,
    QProgressBar,
    QPushButton,
    QSpinBox,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from app.packages import adjudication, assign, workpackage
from app.store import Changes, query
from app.store.project import Project, ProjectError
from app.store.query import SampleFilter
from widgets.dashboard import batch_state_name
from widgets.tasks import BackgroundTask, run_in_background

if TYPE_CHECKING:
    from widgets.main_window import MainWindow

log = logging.getLogger("winnow.gui.team")

TEAM_MENU_NAME = "team_menu"
PACKAGE_FILTER = "*" + workpackage.PACKAGE_SUFFIX
ASSIGN_STEPS = 1000
"""The assign dialog's bar counts in thousandths: the task's progress signal carries one number, and
the rows to write are known only in the worker."""


# Work that runs in the pool, each on a connection of its own (a Project cannot cross threads).


def export_batches(
    project_path: Path,
    author: str,
    batch_ids: list[int],
    folder: Path,
    *,
    progress: Callable[[int], None],
    cancelled: Callable[[], bool],
) -> list[workpackage.ExportedPackage]:
    done = []
    with Project.open(project_path, author=author) as project:
        for number, batch_id in enumerate(batch_ids, start=1):
            if cancelled():
                break
            name = assign.find_batch(project, batch_id)["name"]
            done.append(workpackage.export_package(project, batch_id, folder / workpackage.package_file_name(name)))
            progress(number)
    return done


def export_in_background(
    parent: QWidget, project: Project, batch_ids: list[int], folder: Path | None, title: str, button: QPushButton
) -> BackgroundTask | None:
    """Write the batches as work packages into ``folder`` (asked for, with ``title``, when None) in the
    background, ``button`` disabled meanwhile. None if no folder was chosen."""
    if folder is None:
        chosen = QFileDialog.getExistingDirectory(parent, title)
        if not chosen:
            return None
        folder = Path(chosen)
    button.setEnabled(False)
    task = run_in_background(export_batches, project.path, project.author, batch_ids, folder)
    task.done.connect(lambda: button.setEnabled(True))
    return task


@dataclass(frozen=True)
class AssignFigures:
    """What the assign dialog shows besides its form, read in the pool (:func:`read_assign_figures`)."""

    generation: int
    """The dialog's request this answers (an older one arriving late is dropped)."""
    samples: int
    out: int
    """The filter's samples already in a batch out with an annotator."""
    batches: list[dict[str, Any]]


def read_assign_figures(
    project_path: Path,
    author: str,
    flt: SampleFilter,
    generation: int,
    *,
    progress: Callable[[int], None],
    cancelled: Callable[[], bool],
) -> AssignFigures:
    """Count the filter's samples and those out, and list the batches, in SQL on a connection of its
    own: on a million samples with half of them out the counts alone take over a second."""
    with Project.open(project_path, author=author) as project:
        return AssignFigures(
            generation,
            query.count(project, flt),
            assign.count_out(project, flt),
            assign.batches(project, columns=("gate_stage",)),
        )


def assign_filter(
    project_path: Path,
    author: str,
    flt: SampleFilter,
    annotators: list[str],
    *,
    overlap: float,
    seed: int,
    batch_size: int | None,
    progress: Callable[[int], None],
    cancelled: Callable[[], bool],
) -> assign.Assignment:
    """Assign the filter's samples: their ids are read here, in the pool, not when the dialog opens.
    Progress in :data:`ASSIGN_STEPS`; one transaction, so a cancel rolls it back whole
    (:class:`~app.packages.assign.AssignCancelled`)."""
    with Project.open(project_path, author=author) as project:
        ids = query.sample_ids(project, flt)
        return assign.assign_batches(
            project,
            ids,
            annotators,
            overlap=overlap,
            seed=seed,
            batch_size=batch_size,
            progress=lambda done, total: progress(done * ASSIGN_STEPS // max(total, 1)),
            cancelled=cancelled,
        )


def merge_files(
    project_path: Path,
    author: str,
    files: list[Path],
    *,
    progress: Callable[[int], None],
    cancelled: Callable[[], bool],
) -> workpackage.MergeResult:
    with Project.open(project_path, author=author) as project:
        return workpackage.merge_packages(project, files, progress=progress, cancelled=cancelled)


class AssignDialog(QDialog):
    """Split the current filter's samples among annotators, then send the batches as packages."""

    changed = Signal(object)
    """An assignment or an export changed the project (the ``Changes``)."""
    loaded = Signal()
    """The counts and the batch list arrived and are shown."""

    def __init__(self, project: Project, flt: SampleFilter, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.project = project
        self.flt = flt
        self.task: BackgroundTask | None = None
        self.assign_task: BackgroundTask | None = None
        self.load_task: BackgroundTask | None = None
        self._generation = 0
        self._select: set[str] = set()
        self.setWindowTitle(self.tr("Assign and send work packages"))

        self.scope = QLabel(self)
        self.scope.setWordWrap(True)
        self.annotators = QLineEdit(self)
        self.annotators.setPlaceholderText(self.tr("names, separated by commas: 张三, 李四, 王五"))
        self.overlap = QDoubleSpinBox(self, suffix=" %", decimals=0, minimum=0, maximum=100, value=10)
        self.overlap.setToolTip(self.tr("Share of the samples given to two people, to measure agreement"))
        self.batch_size = QSpinBox(self, minimum=0, maximum=1_000_000, value=0, singleStep=50)
        self.batch_size.setSpecialValueText(self.tr("one batch per annotator"))
        self.seed = QSpinBox(self, minimum=0, maximum=2_147_483_647, value=0)
        self.seed.setToolTip(self.tr("The same seed splits the same samples the same way"))
        self.assign_button = QPushButton(self.tr("&Assign"), self)
        self.assign_button.clicked.connect(self.assign)
        # Shown while an assignment runs (100,000 samples take some seconds).
        self.assign_progress = QProgressBar(self)
        self.assign_progress.setRange(0, ASSIGN_STEPS)
        self.assign_progress.setVisible(False)
        self.cancel_assign_button = QPushButton(self.tr("Cancel"), self)
        self.cancel_assign_button.setToolTip(self.tr("Stop the assignment; nothing is assigned"))
        self.cancel_assign_button.clicked.connect(self.cancel_assign)
        self.cancel_assign_button.setVisible(False)

        form = QFormLayout()
        form.addRow(self.tr("Annotators:"), self.annotators)
        form.addRow(self.tr("Overlap:"), self.overlap)
        form.addRow(self.tr("Batch size:"), self.batch_size)
        form.addRow(self.tr("Seed:"), self.seed)

        self.table = QTableWidget(0, 5, self)
        self.table.setHorizontalHeaderLabels(
            [self.tr("Batch"), self.tr("Annotator"), self.tr("State"), self.tr("Samples"), self.tr("Shared")]
        )
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.verticalHeader().setVisible(False)
        self.table.horizontalHeader().setSectionResizeMode(0, QHeaderView.ResizeMode.Stretch)
        self.export_button = QPushButton(self.tr("&Send selected as packages…"), self)
        self.export_button.clicked.connect(self.export_selected)
        self.message = QLabel(self)
        self.message.setWordWrap(True)
        self.message.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        close = QDialogButtonBox(QDialogButtonBox.StandardButton.Close, self)
        close.rejected.connect(self.reject)

        buttons = QHBoxLayout()
        buttons.addWidget(self.assign_progress, 1)
        buttons.addWidget(self.cancel_assign_button)
        buttons.addStretch(1)
        buttons.addWidget(self.assign_button)
        exports = QHBoxLayout()
        exports.addStretch(1)
        exports.addWidget(self.export_button)
        column = QVBoxLayout(self)
        column.addWidget(self.scope)
        column.addLayout(form)
        column.addLayout(buttons)
        column.addWidget(QLabel(self.tr("Batches:"), self))
        column.addWidget(self.table, 1)
        column.addLayout(exports)
        column.addWidget(self.message)
        column.addWidget(close)
        self.resize(640, 520)
        self.fill_batches()

    def fill_batches(self, select: Iterable[str] = ()) -> BackgroundTask:
        """Read the counts and the batches again, in the background; once shown, the batches named in
        ``select`` are selected. Only the latest request is shown."""
        self._generation += 1
        self._select = set(select)
        self.scope.setText(self.tr("Counting the samples…"))
        task = run_in_background(
            read_assign_figures, self.project.path, self.project.author, self.flt, self._generation
        )
        task.finished.connect(self._show_figures)
        task.failed.connect(self._load_failed)
        self.load_task = task
        return task

    def _show_figures(self, figures: AssignFigures) -> None:
        if figures.generation != self._generation:
            return
        self.scope.setText(
            self.tr("{n} samples in the current list ({out} of them already out with annotators).").format(
                n=f"{figures.samples:,}", out=f"{figures.out:,}"
            )
        )
        found = figures.batches
        self.table.setRowCount(len(found))
        for row, batch in enumerate(found):
            state = batch_state_name(batch["state"], batch["gate_stage"])
            values = [batch["name"], batch["annotator"], state, f"{batch['samples']:,}", str(batch["shared"])]
            for column, value in enumerate(values):
                item = QTableWidgetItem(value)
                item.setData(Qt.ItemDataRole.UserRole, batch["id"])
                if column >= 3:
                    item.setTextAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
                self.table.setItem(row, column, item)
        self.export_button.setEnabled(bool(found))
        if self._select:
            self.table.clearSelection()
            for row, batch in enumerate(found):
                if batch["name"] in self._select:
                    self._add_row_to_selection(row)
        self.loaded.emit()

    def _load_failed(self, message: str) -> None:
        self.scope.clear()
        self.show_message(message, error=True)

    def assign(self) -> BackgroundTask | None:
        """Split the filter's samples in the background (None: the form is refused as it stands)."""
        if self.assign_task is not None and self.assign_task.is_running():
            return None
        annotators_text = self.annotators.text().replace("，", ",")
        overlap = self.overlap.value() / 100
        batch_size = self.batch_size.value() or None
        try:
            annotators = assign.annotator_names(annotators_text)
            assign.check_plan(annotators, overlap=overlap, batch_size=batch_size)
        except ProjectError as error:
            self.show_message(str(error), error=True)
            return None
        self.assign_button.setEnabled(False)
        self.show_message(self.tr("Assigning the samples…"))
        self.assign_progress.setValue(0)
        self.assign_progress.setVisible(True)
        self.cancel_assign_button.setEnabled(True)
        self.cancel_assign_button.setVisible(True)
        task = run_in_background(
            assign_filter,
            self.project.path,
            self.project.author,
            self.flt,
            annotators,
            overlap=overlap,
            seed=self.seed.value(),
            batch_size=batch_size,
        )
        task.progress.connect(self.assign_progress.setValue)
        task.finished.connect(self._assigned)
        task.failed.connect(lambda message: self._assign_failed(task, message))
        task.done.connect(self._assign_done)
        self.assign_task = task
        return task

    def cancel_assign(self) -> None:
        """Stop the running assignment: its transaction is rolled back, the project left as it was."""
        if self.assign_task is None or not self.assign_task.is_running():
            return
        self.assign_task.cancel()
        self.cancel_assign_button.setEnabled(False)
        self.show_message(self.tr("Cancelling the assignment…"))

    def _assign_failed(self, task: BackgroundTask, message: str) -> None:
        if task.is_cancelled():
            self.show_message(self.tr("Assignment cancelled; nothing was assigned."))
        else:
            self.show_message(message, error=True)

    def _assign_done(self) -> None:
        self.assign_button.setEnabled(True)
        self.assign_progress.setVisible(False)
        self.cancel_assign_button.setVisible(False)

    def _assigned(self, result: assign.Assignment) -> None:
        self.changed.emit(result.changes)
        self.fill_batches(select=(b.name for b in result.batches))
        self.show_message(
            self.tr("Assignment {name}: {n} batches, selected above; send them as packages.").format(
                name=result.name, n=len(result.batches)
            )
        )

    def _add_row_to_selection(self, row: int) -> None:
        model = self.table.selectionModel()
        model.select(
            self.table.model().index(row, 0),
            model.SelectionFlag.Select | model.SelectionFlag.Rows,
        )

    def selected_batch_ids(self) -> list[int]:
        rows = sorted({index.row() for index in self.table.selectionModel().selectedRows()})
        return [self.table.item(row, 0).data(Qt.ItemDataRole.UserRole) for row in rows]

    def export_selected(self, folder: Path | None = None) -> BackgroundTask | None:
        ids = self.selected_batch_ids()
        if not ids:
            self.show_message(self.tr("Select the batches to send first."), error=True)
            return None
        task = export_in_background(
            self, self.project, ids, folder, self.tr("Folder for the packages"), self.export_button
        )
        if task is None:
            return None
        self.show_message(self.tr("Writing {n} packages…").format(n=len(ids)))
        self.task = task
        self.task.finished.connect(self._exported)
        self.task.failed.connect(lambda message: self.show_message(message, error=True))
        return self.task

    def _exported(self, done: list[workpackage.ExportedPackage]) -> None:
        self.fill_batches(select=(p.batch for p in done))  # their new state shown, still selected
        self.changed.emit(Changes("export_package", tables={"batches"}))
        lines = [
            self.tr("{file}: {n} samples for {who}").format(file=p.path.name, n=p.samples, who=p.annotator)
            for p in done
        ]
        folder = done[0].path.parent if done else ""
        self.show_message(self.tr("Wrote to {folder}:").format(folder=folder) + "\n" + "\n".join(lines))

    def show_message(self, text: str, *, error: bool = False) -> None:
        self.message.setStyleSheet("color: #b3261e" if error else "")
        self.message.setText(text)

    def reject(self) -> None:  # Qt override: a running export finishes on its own connection
        if self.task is not None and self.task.is_running():
            self.task.cancel()
        super().reject()


class TeamActions(QObject):
    """The Team menu of a main window and what its entries do."""

    def __init__(self, window: MainWindow) -> None:
        super().__init__(window)
        self.window = window
        self.task: BackgroundTask | None = None
        menu = window.menuBar().addMenu(self.tr("&Team"))
        menu.setObjectName(TEAM_MENU_NAME)
        self.menu = menu
        self.assign_action = menu.addAction(self.tr("&Assign and send packages…"))
        self.assign_action.triggered.connect(lambda _checked=False: self.assign())
        self.merge_action = menu.addAction(self.tr("&Merge returned packages…"))
        self.merge_action.triggered.connect(lambda _checked=False: self.merge())
        self.adjudicate_action = menu.addAction(self.tr("A&djudicate…"))
        self.adjudicate_action.triggered.connect(lambda _checked=False: self.adjudicate())
        menu.aboutToShow.connect(self.update_actions)
        window.project_changed.connect(self.announce_package)

    def announce_package(self, project: Project) -> None:
        """Tell an annotator who opened a work package what it is and what to do with it."""
        manifest = workpackage.package_manifest(project)
        if manifest is not None:
            self.window.statusBar().showMessage(
                self.tr(
                    "Work package {batch} for {who} from {project}: your changes are saved in this file; "
                    "send it back when you are done."
                ).format(batch=manifest["batch"], who=manifest["annotator"], project=manifest["project_name"]),
                30_000,
            )

    def show_changes(self, changes: Changes) -> None:
        """Refresh the list, and the sample shown if it changed (the window's own after-operation step)."""
        self.window._after(changes)

    def update_actions(self) -> None:
        project = self.window.project
        is_package = workpackage.package_manifest(project) is not None
        for action in (self.assign_action, self.merge_action):
            action.setEnabled(not is_package and (self.task is None or not self.task.is_running()))
        waiting = 0 if is_package else adjudication.open_count(project)
        self.adjudicate_action.setText(
            self.tr("A&djudicate ({n} waiting)…").format(n=waiting) if waiting else self.tr("A&djudicate…")
        )
        self.adjudicate_action.setEnabled(bool(waiting))

    def assign(self) -> AssignDialog:
        self.window.save_pending()
        dialog = AssignDialog(self.window.project, self.window.browser.filter(), self.window)
        dialog.changed.connect(self.show_changes)
        dialog.open()
        return dialog

    def merge(self, files: list[Path] | None = None) -> BackgroundTask | None:
        if files is None:
            names, _ = QFileDialog.getOpenFileNames(
                self.window,
                self.tr("Merge returned packages"),
                "",
                self.tr("Work packages ({pattern})").format(pattern=PACKAGE_FILTER),
            )
            files = [Path(name) for name in names]
        if not files:
            return None
        self.window.save_pending()
        self.window.statusBar().showMessage(self.tr("Merging {n} packages…").format(n=len(files)))
        project = self.window.project
        self.task = run_in_background(merge_files, project.path, project.author, files)
        self.task.finished.connect(self._merged)
        self.task.failed.connect(lambda message: QMessageBox.warning(self.window, self.tr("Merge failed"), message))
        return self.task

    def _merged(self, result: workpackage.MergeResult) -> None:
        self.window.statusBar().clearMessage()
        if result.changes:
            self.show_changes(result.changes)
        text = "\n".join(report.summary() for report in result.reports)
        waiting = adjudication.open_count(self.window.project)
        if result.refused:
            QMessageBox.warning(self.window, self.tr("Some packages were refused"), text)
        elif waiting:
            answer = QMessageBox.question(
                self.window,
                self.tr("Packages merged"),
                text + "\n\n" + self.tr("{n} samples wait for adjudication. Adjudicate now?").format(n=waiting),
            )
            if answer == QMessageBox.StandardButton.Yes:
                self.adjudicate()
        else:
            self.window.statusBar().showMessage(text, 8000)

    def adjudicate(self) -> QDialog:
        from widgets.adjudication import AdjudicationDialog

        self.window.save_pending()
        dialog = AdjudicationDialog(self.window.project, self.window)
        dialog.resolved.connect(self.show_changes)
        dialog.open()
        return dialog


def install_team_menu(window: MainWindow) -> TeamActions:
    """Add the Team menu to ``window``'s menu bar; the returned object holds its actions."""
    return TeamActions(window)
