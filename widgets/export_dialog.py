"""The export dialog: which samples, in which format, to which file; the export runs in the background.

Scope is the current view's filter, the accepted samples, or everything, narrowed further by the
extra filters (status, label, rating at least, subset). The writer list is every registered writer;
the output path's suffix follows the writer. The export runs on a connection of its own
(:mod:`widgets.tasks`) and writes the file atomically, so a failure leaves no half file. At the end
the dialog says how many samples were written and which kinds the format had to leave out.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path

from PySide6.QtCore import Signal
from PySide6.QtWidgets import (
    QButtonGroup,
    QCheckBox,
    QComboBox,
    QDialog,
    QFileDialog,
    QFormLayout,
    QFrame,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPlainTextEdit,
    QProgressBar,
    QPushButton,
    QRadioButton,
    QVBoxLayout,
    QWidget,
)

from app import exporter
from app.formats import registry
from app.formats.base import Writer
from app.store import query
from app.store.project import Project
from app.store.query import SampleFilter
from app.store.schema import SAMPLE_STATUSES
from widgets.tasks import BackgroundTask, run_in_background

log = logging.getLogger("winnow.gui.export")

ERROR_COLOUR = "#b3261e"
SCOPES = ("current", "accepted", "everything")


def export_samples(
    project_path: Path,
    author: str,
    out: Path,
    format_name: str,
    where: SampleFilter,
    provenance: bool,
    dataset_info: bool,
    *,
    progress: Callable[[int], None],
    cancelled: Callable[[], bool],
) -> exporter.ExportReport:
    """Export on a connection of this thread's own (a Project cannot cross threads)."""
    with Project.open(project_path, author=author) as project:
        return exporter.export(
            project,
            out,
            format_name=format_name,
            where=where,
            provenance=provenance,
            dataset_info=dataset_info,
            progress=progress,
            cancelled=cancelled,
        )


def narrow(flt: SampleFilter, name: str, values: tuple) -> SampleFilter:
    """``flt`` with one more condition on ``name``; an empty intersection matches nothing."""
    if not values:
        return flt
    current = getattr(flt, name)
    if not current:
        return replace(flt, **{name: values})
    both = tuple(value for value in current if value in values)
    # An empty tuple means "any" in a SampleFilter: no common value must mean no sample.
    return replace(flt, **{name: both}) if both else replace(flt, ids=())


def _suffix_of(path: Path, writers: list[Writer]) -> str:
    name = path.name.lower()
    for writer in sorted(writers, key=lambda w: -len(w.suffix)):
        if name.endswith(writer.suffix):
            return writer.suffix
    return path.suffix


class ExportDialog(QDialog):
    """Export samples of ``project``: ``ExportDialog(project, current_filter, parent)``.

    Signals:
        exported(object): the ExportReport, once the file is written.
        export_failed(str): the message shown when the export could not be done.
    """

    exported = Signal(object)
    export_failed = Signal(str)

    def __init__(self, project: Project, current_filter: SampleFilter, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.project = project
        self.current_filter = current_filter
        self.writers = registry.writers()
        self.report: exporter.ExportReport | None = None
        self._task: BackgroundTask | None = None
        self._close_when_done = False
        """Esc or the close box came while exporting: close once the export has stopped."""
        self._total = 0
        self.setWindowTitle(self.tr("Export"))
        self.setModal(True)
        self._build()
        self.resize(780, 460)
        self._writer_changed()
        self._update_count()

    def _build(self) -> None:
        self.writer_combo = QComboBox()
        for writer in self.writers:
            self.writer_combo.addItem(writer.title, writer.name)
        self.writer_combo.currentIndexChanged.connect(self._writer_changed)

        self.path_edit = QLineEdit(str(self._default_path(self.writers[0])))
        self.path_edit.setMinimumWidth(480)
        self.browse_button = QPushButton(self.tr("Browse…"))
        self.browse_button.clicked.connect(self._browse)
        path_row = QHBoxLayout()
        path_row.addWidget(self.path_edit, 1)
        path_row.addWidget(self.browse_button)

        form = QFormLayout()
        form.addRow(self.tr("Format:"), self.writer_combo)
        form.addRow(self.tr("Save to:"), path_row)

        scope_box = QGroupBox(self.tr("Samples"))
        scope_layout = QVBoxLayout(scope_box)
        self.scope_buttons: dict[str, QRadioButton] = {
            "current": QRadioButton(self.tr("The current view's filter")),
            "accepted": QRadioButton(self.tr("Accepted samples only")),
            "everything": QRadioButton(self.tr("Everything")),
        }
        self.scope_group = QButtonGroup(self)
        for button in self.scope_buttons.values():
            self.scope_group.addButton(button)
            scope_layout.addWidget(button)
        self.scope_buttons["current"].setChecked(True)
        self.scope_group.buttonToggled.connect(self._update_count)

        self.status_combo = QComboBox()
        self.status_combo.addItem(self.tr("any"), "")
        status_names = {
            "new": self.tr("new"),
            "in_review": self.tr("in review"),
            "accepted": self.tr("accepted"),
            "rejected": self.tr("rejected"),
            "needs_fix": self.tr("needs fix"),
        }
        for status in SAMPLE_STATUSES:
            self.status_combo.addItem(status_names.get(status, status), status)
        self.label_combo = QComboBox()
        self.label_combo.addItem(self.tr("any"), 0)
        label_names = {
            1: self.tr("1 directly usable"),
            2: self.tr("2 usable, keep source input/output"),
            3: self.tr("3 needs human correction"),
            4: self.tr("4 unusable"),
        }
        for label, text in label_names.items():
            self.label_combo.addItem(text, label)
        self.rating_combo = QComboBox()
        self.rating_combo.addItem(self.tr("any"), 0)
        for rating in range(1, 6):
            self.rating_combo.addItem(self.tr("≥ {0}").format(rating), rating)
        self.subset_combo = QComboBox()
        self.subset_combo.addItem(self.tr("any"), "")
        for subset in query.stats(self.project)["by_subset"]:
            self.subset_combo.addItem(subset, subset)
        for combo in (self.status_combo, self.label_combo, self.rating_combo, self.subset_combo):
            combo.currentIndexChanged.connect(self._update_count)
        filters_box = QGroupBox(self.tr("Only samples with"))
        filters = QFormLayout(filters_box)
        filters.addRow(self.tr("Status:"), self.status_combo)
        filters.addRow(self.tr("COIG label:"), self.label_combo)
        filters.addRow(self.tr("Rating:"), self.rating_combo)
        filters.addRow(self.tr("Subset:"), self.subset_combo)

        choose_row = QHBoxLayout()
        choose_row.addWidget(scope_box, 1)
        choose_row.addWidget(filters_box, 2)

        self.count_label = QLabel()
        self.provenance_check = QCheckBox(
            self.tr("Include provenance (source file and line, machine drafts, edits, reviews) under “_winnow”")
        )
        self.dataset_info_check = QCheckBox(self.tr("Add an entry to dataset_info.json for LLaMA-Factory"))
        self.dataset_info_check.setChecked(True)

        self.progress_bar = QProgressBar()
        self.progress_bar.setRange(0, 1)
        self.progress_bar.setValue(0)
        # A read-only text box rather than a label: the path written can be long and copied, and a
        # QLabel mixing Latin and CJK fallback fonts dropped the underscores of file names.
        self.result_view = QPlainTextEdit()
        self.result_view.setReadOnly(True)
        self.result_view.setFrameShape(QFrame.Shape.NoFrame)
        self.result_view.viewport().setAutoFillBackground(False)
        self.result_view.setMinimumHeight(self.fontMetrics().lineSpacing() * 4)

        self.export_button = QPushButton(self.tr("Export"))
        self.export_button.setDefault(True)
        self.export_button.clicked.connect(self.start_export)
        self.cancel_button = QPushButton(self.tr("Cancel export"))
        self.cancel_button.setEnabled(False)
        self.cancel_button.clicked.connect(self.cancel_export)
        self.close_button = QPushButton(self.tr("Close"))
        self.close_button.clicked.connect(self.reject)
        buttons = QHBoxLayout()
        buttons.addStretch(1)
        buttons.addWidget(self.export_button)
        buttons.addWidget(self.cancel_button)
        buttons.addWidget(self.close_button)

        self.settings_widget = QWidget()
        settings = QVBoxLayout(self.settings_widget)
        settings.setContentsMargins(0, 0, 0, 0)
        settings.addLayout(form)
        settings.addLayout(choose_row)
        settings.addWidget(self.count_label)
        settings.addWidget(self.provenance_check)
        settings.addWidget(self.dataset_info_check)

        layout = QVBoxLayout(self)
        layout.addWidget(self.settings_widget)
        layout.addWidget(self.progress_bar)
        layout.addWidget(self.result_view, 1)
        layout.addLayout(buttons)

    # --- choices ------------------------------------------------------------------------------

    def writer(self) -> Writer:
        return self.writers[max(0, self.writer_combo.currentIndex())]

    def _default_path(self, writer: Writer) -> Path:
        return self.project.path.parent / f"{self.project.path.stem}{writer.suffix}"

    def _writer_changed(self) -> None:
        writer = self.writer()
        text = self.path_edit.text().strip()
        if text:
            path = Path(text)
            old = _suffix_of(path, self.writers)
            stem = path.name[: -len(old)] if old and path.name.lower().endswith(old) else path.name
            self.path_edit.setText(str(path.with_name(stem + writer.suffix)))
        self.dataset_info_check.setEnabled(writer.llama_factory is not None)
        self.dataset_info_check.setToolTip(
            "" if writer.llama_factory is not None else self.tr("LLaMA-Factory cannot read this format")
        )

    def _browse(self) -> None:
        writer = self.writer()
        chosen, _filter = QFileDialog.getSaveFileName(
            self,
            self.tr("Export to"),
            self.path_edit.text(),
            self.tr("{0} (*{1})").format(writer.title, writer.suffix),
        )
        if chosen:
            if not chosen.lower().endswith(writer.suffix):
                chosen += writer.suffix
            self.path_edit.setText(chosen)

    def scope(self) -> str:
        return next(name for name, button in self.scope_buttons.items() if button.isChecked())

    def sample_filter(self) -> SampleFilter:
        """The samples the export will cover, from the scope and the extra filters."""
        base = {
            "current": self.current_filter,
            "accepted": SampleFilter(status=("accepted",)),
            "everything": SampleFilter(),
        }[self.scope()]
        flt = narrow(base, "status", (self.status_combo.currentData(),) if self.status_combo.currentData() else ())
        flt = narrow(flt, "label", (self.label_combo.currentData(),) if self.label_combo.currentData() else ())
        low = self.rating_combo.currentData()
        flt = narrow(flt, "rating", tuple(range(low, 6)) if low else ())
        return narrow(flt, "subset", (self.subset_combo.currentData(),) if self.subset_combo.currentData() else ())

    def _update_count(self) -> None:
        # A count on the indexed columns: milliseconds even on a million samples.
        self._total = query.count(self.project, self.sample_filter())
        self.count_label.setText(self.tr("{0:,} samples match").format(self._total))

    # --- exporting ----------------------------------------------------------------------------

    def start_export(self) -> None:
        text = self.path_edit.text().strip()
        if not text:
            self._show_error(self.tr("Choose the file to write."))
            return
        out = Path(text).expanduser()
        self.report = None
        self._show_result(self.tr("Exporting…"))
        self._set_running(True)
        writer = self.writer()
        self._task = run_in_background(
            export_samples,
            self.project.path,
            self.project.author,
            out,
            writer.name,
            self.sample_filter(),
            self.provenance_check.isChecked(),
            self.dataset_info_check.isChecked() and writer.llama_factory is not None,
        )
        self._task.progress.connect(self._on_progress)
        self._task.finished.connect(self._on_finished)
        self._task.failed.connect(self._on_failed)

    def _on_progress(self, done: int) -> None:
        self.progress_bar.setValue(min(done, self.progress_bar.maximum()))
        self._show_result(self.tr("Exporting… {0:,} of {1:,}").format(done, self._total))

    def _on_finished(self, report: exporter.ExportReport) -> None:
        self._task = None
        self._set_running(False)
        self.progress_bar.setValue(self.progress_bar.maximum())
        self.report = report
        lines = [self.tr("Wrote {0:,} samples to {1}").format(report.written, report.path)]
        for kind, n in sorted(report.skipped_kinds.items()):
            lines.append(self.tr("Left out {0:,} {1} samples: this format cannot hold them").format(n, kind))
        if report.dataset_info:
            lines.append(self.tr("Updated {0}").format(report.dataset_info))
        self._show_result("\n".join(lines))
        self.exported.emit(report)
        self._close_if_asked()

    def _on_failed(self, message: str) -> None:
        self._task = None
        self._set_running(False)
        self.progress_bar.setValue(0)
        self._show_error(self.tr("Not exported: {0}").format(message))
        self.export_failed.emit(message)
        self._close_if_asked()

    def _close_if_asked(self) -> None:
        if self._close_when_done:
            self._close_when_done = False
            super().reject()

    def result_text(self) -> str:
        """What the dialog says about the last export (or why it was not done)."""
        return self.result_view.toPlainText()

    def _show_result(self, text: str) -> None:
        self.result_view.setStyleSheet("")
        self.result_view.setPlainText(text)

    def _show_error(self, text: str) -> None:
        self.result_view.setStyleSheet(f"color: {ERROR_COLOUR};")
        self.result_view.setPlainText(text)

    def cancel_export(self) -> None:
        """Stop at the next batch; the file being written is discarded, an old one kept."""
        if self._task is not None:
            self._task.cancel()
            self._show_result(self.tr("Cancelling…"))

    def _set_running(self, running: bool) -> None:
        self.settings_widget.setEnabled(not running)
        self.cancel_button.setEnabled(running)
        self.export_button.setEnabled(not running)
        self.close_button.setEnabled(not running)
        if running:
            self.progress_bar.setRange(0, max(1, self._total))
            self.progress_bar.setValue(0)

    def reject(self) -> None:
        # Esc or the window's close box while exporting: cancel, and close once the worker has
        # stopped (it reports to this dialog, so it must not be left running with nobody to report
        # to), as the import dialog does.
        if self._task is not None:
            self._close_when_done = True
            self.cancel_export()
            return
        super().reject()
