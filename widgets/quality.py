"""The QA flags of the sample under review, and the Quality menu.

:class:`QualityPanel` sits above the verdict bar: one line per check that finds something in the
sample (what and where, every finding in the tooltip) with an *Ignore* button, and the flags a
person ignored, with who and when. It re-runs the checks on the text being typed (a check of one
sample takes well under a millisecond), so a fix clears its flag at once; the stored flags follow
when the edit is saved.

:class:`QualityMenu` runs the whole-project work in the background with a progress dialog: re-check
every sample, find near-duplicates, convert Traditional to Simplified. Each opens its own connection
to the project (a SQLite connection stays in its thread).
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QObject, Qt, Signal
from PySide6.QtWidgets import (
    QFrame,
    QHBoxLayout,
    QInputDialog,
    QLabel,
    QMessageBox,
    QProgressDialog,
    QPushButton,
    QSizePolicy,
    QVBoxLayout,
    QWidget,
)

from app.quality import dedup, flags, normalize, script
from app.store import Changes, Project
from app.store.query import Sample, SampleFilter, count
from widgets.tasks import BackgroundTask, run_in_background

if TYPE_CHECKING:
    from widgets.main_window import MainWindow

log = logging.getLogger("winnow.quality")

# A line of the panel shows this much of a finding; the tooltip has all of them.
LINE_CHARS = 110


class QualityPanel(QFrame):
    """The QA flags of one sample, each with an Ignore button."""

    ignore_requested = Signal(str)
    """The flag (check name) the reviewer says is wrong for this sample."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("quality_panel")
        self.setFrameShape(QFrame.Shape.StyledPanel)
        self._rows = QVBoxLayout(self)
        self._rows.setContentsMargins(6, 3, 6, 3)
        self._rows.setSpacing(2)
        self._project: Project | None = None
        self._sample: Sample | None = None
        self.shown: list[flags.SampleFlag] = []
        self.setVisible(False)

    def show_sample(self, project: Project, sample: Sample | None) -> None:
        self._project, self._sample = project, sample
        self._fill(flags.sample_flags(project, sample.id) if sample is not None else [])

    def show_content(self, content: dict[str, Any]) -> None:
        """The text in the editor changed (not saved yet): check it as it is now."""
        if self._project is None or self._sample is None:
            return
        self._fill(flags.sample_flags(self._project, self._sample.id, self._sample.kind.value, content))

    def _fill(self, shown: list[flags.SampleFlag]) -> None:
        self.shown = shown
        while self._rows.count():
            item = self._rows.takeAt(0)
            widget = item.widget()
            if widget is not None:
                widget.hide()
                widget.setParent(None)  # out of findChildren() now, not after the next event loop pass
                widget.deleteLater()
        for flag in shown:
            self._rows.addWidget(self._row(flag))
        self.setVisible(bool(shown))

    def _row(self, flag: flags.SampleFlag) -> QWidget:
        row = QWidget(self)
        line = QHBoxLayout(row)
        line.setContentsMargins(0, 0, 0, 0)
        first = flag.findings[0] if flag.findings else flag.title
        more = len(flag.findings) - 1
        text = first  # says what and where; the check's name is in the tooltip
        if len(text) > LINE_CHARS:
            text = text[: LINE_CHARS - 1] + "…"
        if more > 0:
            text += " " + self.tr("(+{n} more)").format(n=more)
        label = QLabel(row)
        label.setObjectName(f"quality_flag_{flag.flag}")
        label.setTextFormat(Qt.TextFormat.PlainText)
        # A long finding is cut at the pane's edge: it must never widen the window.
        label.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Preferred)
        label.setToolTip("\n".join([f"{flag.title} ({flag.flag})", *flag.findings]))
        line.addWidget(label, 1)
        if flag.ignored_by:
            when = (flag.ignored_at or "").replace("T", " ")[:16]  # 2026-11-21 13:16, UTC
            label.setText(
                "✓ " + self.tr("Ignored by {who} ({when} UTC): ").format(who=flag.ignored_by, when=when) + text
            )
            label.setEnabled(False)
        else:
            label.setText("⚠ " + text)
            button = QPushButton(self.tr("Ignore"), row)
            button.setObjectName(f"ignore_{flag.flag}")
            button.setToolTip(
                self.tr("This flag is wrong for this sample: hide it (recorded with your name; undo brings it back)")
            )
            button.clicked.connect(lambda _checked=False, name=flag.flag: self.ignore_requested.emit(name))
            line.addWidget(button)
        return row


# Background work: plain functions on a connection of their own.


def _recheck(path: Path, author: str, flt: SampleFilter, *, progress: Callable, cancelled: Callable) -> Any:
    with Project.open(path, author=author) as project:
        return flags.recheck(project, flt, progress=progress, cancelled=cancelled)


def _dedup(
    path: Path, author: str, flt: SampleFilter, threshold: float, *, progress: Callable, cancelled: Callable
) -> Any:
    with Project.open(path, author=author) as project:
        return dedup.dedup(project, flt, threshold=threshold, progress=progress, cancelled=cancelled)


def _simplify(
    path: Path, author: str, flt: SampleFilter, config: str, *, progress: Callable, cancelled: Callable
) -> Any:
    with Project.open(path, author=author) as project:
        return normalize.to_simplified(project, flt, config=config, progress=progress, cancelled=cancelled)


class QualityMenu(QObject):
    """The Quality menu of a main window and the background task it may be running (a QObject for
    ``self.tr``: its texts are translated under this class)."""

    def __init__(self, window: MainWindow) -> None:
        super().__init__(window)
        self.window = window
        self.task: BackgroundTask | None = None
        self.dialog: QProgressDialog | None = None
        menu = window.menuBar().addMenu(self.tr("&Quality"))
        self.menu = menu
        self.recheck_action = menu.addAction(self.tr("&Re-check the samples in the list"))
        self.recheck_action.triggered.connect(lambda _checked=False: self.recheck())
        self.dedup_action = menu.addAction(self.tr("Find &near-duplicates in the list…"))
        self.dedup_action.triggered.connect(lambda _checked=False: self.find_duplicates())
        self.simplify_action = menu.addAction(self.tr("Convert &Traditional to Simplified in the list…"))
        self.simplify_action.triggered.connect(lambda _checked=False: self.simplify())
        menu.addSeparator()
        show = menu.addAction(self.tr("Show &flagged samples"))
        show.triggered.connect(lambda _checked=False: self._show_flagged())

    def _filter(self) -> SampleFilter:
        return self.window.browser.filter()

    def recheck(self) -> None:
        self._start(self.tr("Checking samples…"), _recheck, self._filter())

    def find_duplicates(self, threshold: float | None = None) -> None:
        if threshold is None:
            threshold, ok = QInputDialog.getDouble(
                self.window,
                self.tr("Find near-duplicates"),
                self.tr(
                    "Flag a sample whose text shares at least this share of its 5-character pieces with an "
                    "earlier one (nothing is deleted; undo takes the flags back):"
                ),
                dedup.DEFAULT_THRESHOLD,
                0.3,
                1.0,
                2,
            )
            if not ok:
                return
        self._start(self.tr("Looking for near-duplicates…"), _dedup, self._filter(), threshold)

    def simplify(self, confirm: bool = True) -> None:
        if confirm:
            answer = QMessageBox.question(
                self.window,
                self.tr("Convert to Simplified"),
                self.tr(
                    "Convert every sample in the list to Simplified Chinese (OpenCC)? Translation sources are "
                    "left as they are. One undo takes the whole conversion back."
                ),
            )
            if answer != QMessageBox.StandardButton.Yes:
                return
        self._start(self.tr("Converting to Simplified…"), _simplify, self._filter(), script.CONFIGS[0])

    def _start(self, title: str, fn: Callable, *args: Any) -> None:
        window = self.window
        if self.task is not None and self.task.is_running():
            window.statusBar().showMessage(self.tr("A quality task is already running."), 4000)
            return
        if not window.save_pending():
            return
        total = count(window.project, args[0])
        self.dialog = QProgressDialog(title, self.tr("Cancel"), 0, max(total, 1), window)
        self.dialog.setWindowTitle(self.tr("Quality"))
        self.dialog.setWindowModality(Qt.WindowModality.WindowModal)
        self.dialog.setMinimumDuration(500)  # a dialog only for work longer than half a second
        self.dialog.setValue(0)
        self.task = run_in_background(fn, window.project.path, window.project.author, *args)
        self.task.progress.connect(self.dialog.setValue)
        self.dialog.canceled.connect(self.task.cancel)
        self.task.finished.connect(self._finished)
        self.task.failed.connect(self._failed)
        self.task.done.connect(self._done)

    def _finished(self, report: Any) -> None:
        window = self.window
        if isinstance(report, flags.RecheckReport):
            message = self.tr("Checked {n} samples: {flagged} flagged.").format(
                n=report.checked, flagged=report.flagged
            )
            changes = Changes("recheck", tables={"sample_flags"})
        elif isinstance(report, dedup.DedupReport):
            message = self.tr("Compared {n} samples: {pairs} near-duplicates flagged.").format(
                n=report.scanned, pairs=len(report.pairs)
            )
            changes = report.changes or Changes("dedup")
        else:
            message = self.tr("Converted {changed} of {n} samples to Simplified.").format(
                changed=report.changed, n=report.scanned
            )
            changes = report.changes or Changes("to_simplified")
        model = window.browser.model()
        if model is not None:
            model.reload()
        if window.current is not None:
            window._show(window.current.id)
        window.statusBar().showMessage(message, 8000)
        log.info("%s (%s)", message, changes.name)

    def _failed(self, message: str) -> None:
        if self.task is not None and self.task.is_cancelled():
            # A stopped re-check keeps the batches it finished; dedup and conversion change nothing.
            model = self.window.browser.model()
            if model is not None:
                model.reload()
            self.window.statusBar().showMessage(message, 8000)
            return
        QMessageBox.warning(self.window, self.tr("Quality"), message)

    def _done(self) -> None:
        if self.dialog is not None:
            self.dialog.reset()
            self.dialog.deleteLater()
            self.dialog = None

    def _show_flagged(self) -> None:
        self.window.browser.set_filter(SampleFilter(flag=tuple(sorted(flags.FLAG_TITLES))))


def install_quality_menu(window: MainWindow) -> QualityMenu:
    """Add the Quality menu to ``window``'s menu bar; the returned object holds its actions."""
    return QualityMenu(window)
