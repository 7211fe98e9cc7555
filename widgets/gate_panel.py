"""The inspector's and the expert's view of a batch's QA gate, the QA settings, and the Gates menu.

The gate panel lists the stage's samples in routing order (the suspicious ones first, each with its
reasons), shows the one picked with the annotator's label, and takes Agree or Disagree with a reason
from the project's error list; how long each check took is recorded. Above, the progress towards
the threshold and, once it is known, the verdict; the buttons then record it, send a failed batch
back for rework, or open the correction phase. Every button is one undoable operation of
:mod:`app.gates`.
"""

from __future__ import annotations

import time
from fractions import Fraction
from pathlib import Path
from typing import TYPE_CHECKING

from PySide6.QtCore import QCoreApplication, QObject, Qt, Signal
from PySide6.QtGui import QKeySequence, QShortcut
from PySide6.QtWidgets import (
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QDoubleSpinBox,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QMessageBox,
    QPlainTextEdit,
    QProgressBar,
    QPushButton,
    QSpinBox,
    QSplitter,
    QTabWidget,
    QTextBrowser,
    QVBoxLayout,
    QWidget,
)

from app import gates
from app.packages.hunks import field_title
from app.store import Changes, Project, ProjectError, query
from widgets import first_run
from widgets.dashboard import Dashboard
from widgets.diff import diff_html
from widgets.tasks import BackgroundTask
from widgets.team import export_in_background

if TYPE_CHECKING:
    from widgets.main_window import MainWindow

QA_MENU_NAME = "qa_gates_menu"


def _percent(value: Fraction | float) -> str:
    return f"{float(value) * 100:.1f} %"


def content_text(content: object, path: tuple[str | int, ...] = ()) -> str:
    """A sample's fields one under the other, for reading, each under the name the review pane gives
    it in the UI language (【输出】, 【译文（中文） · 指令】, 【第 2 条消息 · 内容】), not its JSON key."""
    if isinstance(content, dict):
        items: list[tuple[str | int, object]] = [(key, value) for key, value in content.items() if key != "extra"]
    elif isinstance(content, list) and path:
        items = list(enumerate(content))
    else:
        return str(content)
    parts = []
    for key, value in items:
        if value in ("", None, [], {}):
            continue
        if isinstance(value, dict | list):
            parts.append(content_text(value, (*path, key)))
        elif key == "role" and len(path) >= 2 and path[-2] == "messages" and isinstance(value, str):
            parts.append(f"【{field_title((*path, key))}】\n{message_role_title(value)}")
        else:
            parts.append(f"【{field_title((*path, key))}】\n{value}")
    return "\n\n".join(part for part in parts if part)


def message_role_title(role: str) -> str:
    """A chat message's role (``user``…) as the chat review pane names it: its own texts, in its
    translation context, so the two never name a role differently; an unknown role as it is."""
    titles = {
        "system": QCoreApplication.translate("ChatPane", "System"),
        "user": QCoreApplication.translate("ChatPane", "User"),
        "assistant": QCoreApplication.translate("ChatPane", "Assistant"),
        "function_call": QCoreApplication.translate("ChatPane", "Function call"),
        "observation": QCoreApplication.translate("ChatPane", "Tool result"),
    }
    return titles.get(role, role)


class GatePanel(QDialog):
    """Check a batch at its due stage."""

    changed = Signal(object)
    """A gate operation changed the project (the ``Changes``)."""

    def __init__(self, project: Project, parent: QWidget | None = None, *, batch: str | None = None) -> None:
        super().__init__(parent)
        self.project = project
        self.status: gates.GateStatus | None = None
        self._shown_at: float | None = None
        self.setWindowTitle(self.tr("QA gate"))
        self.resize(1000, 680)

        self.batch_box = QComboBox(self)
        self.batch_box.currentIndexChanged.connect(lambda _index: self.load())
        self.who = QLabel(
            self.tr("You: {name} ({role})").format(name=project.author, role=self.role_name(first_run.user_role())),
            self,
        )
        self.stage_label = QLabel(self)
        self.stage_label.setWordWrap(True)
        self.progress = QProgressBar(self)
        self.progress.setFormat("%v / %m")
        self.agreement_label = QLabel(self)
        self.agreement_label.setWordWrap(True)
        self.verdict_label = QLabel(self)
        self.verdict_label.setObjectName("gate_verdict")

        self.queue = QListWidget(self)
        self.queue.currentRowChanged.connect(self._show_row)
        self.sample_view = QPlainTextEdit(self)
        self.sample_view.setReadOnly(True)
        # What the person made of the machine's draft: insertions green, deletions struck through.
        self.draft_view = QTextBrowser(self)
        self.views = QTabWidget(self)
        self.views.addTab(self.sample_view, self.tr("Sample"))
        self.views.addTab(self.draft_view, self.tr("Machine draft → final"))
        self.sample_info = QLabel(self)
        self.sample_info.setWordWrap(True)
        self.reason_box = QComboBox(self)
        self.comment = QLineEdit(self)
        self.comment.setPlaceholderText(self.tr("Comment for the annotator (optional)"))
        self.agree_button = QPushButton(self.tr("&Agree (Y)"), self)
        self.agree_button.clicked.connect(lambda: self.check(True))
        self.disagree_button = QPushButton(self.tr("&Disagree (N)"), self)
        self.disagree_button.clicked.connect(lambda: self.check(False))
        for keys, agree in (("Y", True), ("N", False)):
            shortcut = QShortcut(QKeySequence(keys), self)
            shortcut.activated.connect(lambda agree=agree: self._key_check(agree))

        self.start_button = QPushButton(self)
        self.start_button.clicked.connect(self.start)
        self.decide_button = QPushButton(self.tr("Record the &verdict"), self)
        self.decide_button.clicked.connect(self.decide)
        self.rework_button = QPushButton(self.tr("Send &back for rework"), self)
        self.rework_button.clicked.connect(self.send_back)
        self.correction_button = QPushButton(self.tr("Start the &correction phase"), self)
        self.correction_button.clicked.connect(self.start_correction)
        self.package_button = QPushButton(self.tr("Save a work &package for the rework…"), self)
        self.package_button.clicked.connect(lambda: self.save_package())
        self.package_task: BackgroundTask | None = None
        self.rework_label = QLabel(self)
        self.rework_label.setWordWrap(True)
        self.rework_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        settings_button = QPushButton(self.tr("&Settings…"), self)
        settings_button.clicked.connect(self.edit_settings)

        top = QHBoxLayout()
        top.addWidget(QLabel(self.tr("Batch:"), self))
        top.addWidget(self.batch_box, 1)
        top.addWidget(self.who)
        top.addWidget(settings_button)
        head = QVBoxLayout()
        head.addLayout(top)
        head.addWidget(self.stage_label)
        head.addWidget(self.progress)
        head.addWidget(self.agreement_label)
        head.addWidget(self.verdict_label)
        actions_row = QHBoxLayout()
        for button in (
            self.start_button,
            self.decide_button,
            self.rework_button,
            self.package_button,
            self.correction_button,
        ):
            actions_row.addWidget(button)
        actions_row.addStretch(1)
        head.addLayout(actions_row)
        head.addWidget(self.rework_label)

        right = QWidget(self)
        column = QVBoxLayout(right)
        column.setContentsMargins(0, 0, 0, 0)
        column.addWidget(self.sample_info)
        column.addWidget(self.views, 1)
        form = QFormLayout()
        form.addRow(self.tr("Reason if wrong:"), self.reason_box)
        form.addRow(self.tr("Comment:"), self.comment)
        column.addLayout(form)
        buttons = QHBoxLayout()
        buttons.addWidget(self.agree_button)
        buttons.addWidget(self.disagree_button)
        column.addLayout(buttons)
        splitter = QSplitter(Qt.Orientation.Horizontal, self)
        splitter.addWidget(self.queue)
        splitter.addWidget(right)
        splitter.setSizes([330, 670])
        close = QDialogButtonBox(QDialogButtonBox.StandardButton.Close, self)
        close.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addLayout(head)
        layout.addWidget(splitter, 1)
        layout.addWidget(close)
        self.fill_batches(batch)

    # Names

    def role_name(self, role: str) -> str:
        return {"annotator": self.tr("annotator"), "inspector": self.tr("inspector"), "expert": self.tr("expert")}.get(
            role, role
        )

    def reason_name(self, code: str) -> str:
        return {
            "heavy_edit": self.tr("draft changed a lot"),
            "label3_light_edit": self.tr("label 3, draft barely changed"),
            "fast": self.tr("decided very fast"),
        }.get(code, code)

    # Loading

    def fill_batches(self, select: str | None = None) -> None:
        self.batch_box.blockSignals(True)
        self.batch_box.clear()
        infos = gates.batch_infos(self.project)
        for batch in infos:
            self.batch_box.addItem(f"{batch['name']} ({batch['annotator']}, {batch['samples']})", batch["name"])
        index = self.batch_box.findData(select) if select else -1
        if index < 0:
            # The first batch with a gate to run, else the first.
            index = next((number for number, info in enumerate(infos) if gates.due_stage(info) is not None), 0)
        self.batch_box.setCurrentIndex(index)
        self.batch_box.blockSignals(False)
        self.load()

    def batch_name(self) -> str | None:
        return self.batch_box.currentData()

    def load(self, keep_row: int | None = None) -> None:
        name = self.batch_name()
        self.status = gates.gate_status(self.project, name) if name else None
        status = self.status
        self.queue.blockSignals(True)
        self.queue.clear()
        if status is not None:
            for routed in status.queue:
                item = QListWidgetItem(self._row_text(routed))
                item.setData(Qt.ItemDataRole.UserRole, routed.info.sample_id)
                if routed.reasons:
                    item.setToolTip("、".join(self.reason_name(r) for r in routed.reasons))
                self.queue.addItem(item)
        self.queue.blockSignals(False)
        self.reason_box.clear()
        if status is not None:
            self.reason_box.addItems(list(status.settings.error_reasons))
        self._update_head()
        if status is not None and status.queue:
            row = keep_row if keep_row is not None else self._row_of(status.next_unchecked())
            self.queue.setCurrentRow(max(0, min(row, self.queue.count() - 1)))
        else:
            self._show_row(-1)

    def _row_of(self, sample_id: int | None) -> int:
        if sample_id is None or self.status is None:
            return 0
        ids = [r.info.sample_id for r in self.status.queue]
        return ids.index(sample_id) if sample_id in ids else 0

    def _row_text(self, routed: gates.Routed) -> str:
        check = self.status.checks.get(routed.info.sample_id) if self.status else None
        mark = "○" if check is None else "✓" if check.agree else "✗"
        text = f"{mark} #{routed.info.sample_id}"
        if check is not None and not check.agree:
            text += f"  {check.reason}"
        if routed.reasons:
            text += "  ⚑ " + "、".join(self.reason_name(r) for r in routed.reasons)
        return text

    def _update_head(self) -> None:
        status = self.status
        buttons = (
            self.start_button,
            self.decide_button,
            self.rework_button,
            self.package_button,
            self.correction_button,
        )
        for button in buttons:
            button.setVisible(False)
        self._show_rework()
        checking = status is not None and status.open and status.stage is not None
        for widget in (self.agree_button, self.disagree_button, self.reason_box, self.comment):
            widget.setEnabled(checking)
        if status is None:
            self.stage_label.setText(self.tr("No batches yet: assign samples in the Team menu first."))
            self.progress.setRange(0, 1)
            self.progress.setValue(0)
            self.agreement_label.clear()
            self.verdict_label.clear()
            return
        batch = status.batch
        phase = self.tr("annotation") if batch["phase"] == "annotate" else self.tr("correction")
        if status.stage is None:
            if batch["state"] == "failed":
                text = self.tr("Failed in the {phase} phase, rework round {round}: send it back to {who}.")
                self.rework_button.setVisible(True)
            else:
                text = self.tr("Passed both gates of the {phase} phase (rework rounds: {round}).")
                self.correction_button.setVisible(batch["phase"] == "annotate")
            self.stage_label.setText(text.format(phase=phase, round=batch["round"], who=batch["annotator"]))
        else:
            what = (
                self.tr("Stage 1: an inspector checks every annotated sample ({n}); passes at {threshold} agreed.")
                if status.stage == 1
                else self.tr(
                    "Stage 2: an expert checks {n} samples drawn at random (seeded); passes at {threshold} right."
                )
            )
            where = self.tr("{phase} phase, rework round {round}, annotator {who}").format(
                phase=phase, round=batch["round"], who=batch["annotator"]
            )
            self.stage_label.setText(f"{what.format(n=status.total, threshold=_percent(status.threshold))}  ({where})")
            if not status.open:
                self.start_button.setText(self.tr("&Start stage {n}").format(n=status.stage))
                self.start_button.setVisible(True)
        self.progress.setRange(0, max(1, status.total))
        self.progress.setValue(status.checked)
        if status.checked:
            self.agreement_label.setText(
                self.tr(
                    "{agreed} of {checked} agreed ({share}); {disagreed} wrong, {allowed} allowed in the whole stage."
                ).format(
                    agreed=status.agreed,
                    checked=status.checked,
                    share=_percent(Fraction(status.agreed, status.checked)),
                    disagreed=status.disagreed,
                    allowed=status.allowed,
                )
            )
        else:
            self.agreement_label.setText(self.tr("Nothing checked yet."))
        verdict = status.verdict if status.open else None
        if verdict is None:
            self.verdict_label.setText("")
        else:
            self.verdict_label.setText(
                self.tr("<b style='color:#009E73'>Verdict: passes</b>")
                if verdict
                else self.tr("<b style='color:#D55E00'>Verdict: fails</b>")
            )
            self.decide_button.setVisible(True)

    def _show_rework(self) -> None:
        """What the checkers found wrong, while the batch is failed or back with its annotator."""
        status = self.status
        batch = status.batch if status is not None else None
        sent_back = batch is not None and batch["state"] == "assigned" and batch["round"] > 0
        if batch is None or not (batch["state"] == "failed" or sent_back):
            self.rework_label.clear()
            self.rework_label.setVisible(False)
            return
        found = gates.rework_reasons(self.project, status.batch)
        lines = [
            f"#{r['sample_id']} {r['reason']}" + (f" — {r['comment']}" if r["comment"] else "") for r in found[:12]
        ]
        if len(found) > 12:
            lines.append(self.tr("… and {n} more").format(n=len(found) - 12))
        self.rework_label.setText(self.tr("Found wrong ({n}):").format(n=len(found)) + "  " + "；".join(lines))
        self.rework_label.setVisible(bool(found))
        self.package_button.setVisible(status.batch["state"] == "assigned")

    def save_package(self, folder: Path | None = None) -> BackgroundTask | None:
        """Write the sent-back batch as a work package for its annotator (in the background)."""
        if self.status is None:
            return None
        batch_id = self.status.batch["id"]
        task = export_in_background(
            self, self.project, [batch_id], folder, self.tr("Folder for the package"), self.package_button
        )
        if task is None:
            return None
        self.package_task = task
        self.package_task.finished.connect(self._package_saved)
        self.package_task.failed.connect(lambda message: QMessageBox.warning(self, self.tr("Not saved"), message))
        return self.package_task

    def _package_saved(self, done: list) -> None:
        self.changed.emit(Changes("export_package", tables={"batches"}))
        self.load()
        if done:
            self.agreement_label.setText(
                self.tr("Wrote {file} for {who}.").format(file=done[0].path, who=done[0].annotator)
            )

    def _show_row(self, row: int) -> None:
        self._shown_at = time.monotonic()
        if self.status is None or row < 0 or row >= len(self.status.queue):
            self.sample_view.clear()
            self.draft_view.clear()
            self.sample_info.clear()
            return
        routed = self.status.queue[row]
        sample_id = routed.info.sample_id
        try:
            sample = query.get_sample(self.project, sample_id)
        except ProjectError:
            return
        self.sample_view.setPlainText(content_text(sample.content))
        texts = gates.draft_and_final(self.project, sample_id)
        self.views.setTabEnabled(1, texts is not None)
        self.draft_view.setHtml(diff_html(*texts) if texts is not None else "")
        parts = [self.tr("Sample #{id}").format(id=sample_id)]
        if sample.label is not None:
            parts.append(self.tr("label {label}").format(label=sample.label))
        if routed.info.seconds is not None:
            parts.append(self.tr("decided in {s:.0f} s").format(s=routed.info.seconds))
        if routed.info.edit is not None:
            parts.append(self.tr("draft changed {share}").format(share=_percent(routed.info.edit)))
        if routed.reasons:
            parts.append("⚑ " + "、".join(self.reason_name(r) for r in routed.reasons))
        check = self.status.checks.get(sample_id)
        if check is not None:
            verdict = self.tr("agreed") if check.agree else self.tr("disagreed: {reason}").format(reason=check.reason)
            parts.append(self.tr("checked by {who}, {verdict}").format(who=check.checker, verdict=verdict))
        self.sample_info.setText(" · ".join(parts))

    def current_sample(self) -> int | None:
        item = self.queue.currentItem()
        return None if item is None else item.data(Qt.ItemDataRole.UserRole)

    # Operations

    def _run(self, change) -> Changes | None:
        try:
            result = change()
        except ProjectError as error:
            QMessageBox.warning(self, self.tr("Not done"), str(error))
            return None
        changes = result.changes if isinstance(result, gates.GateDecision) else result
        self.changed.emit(changes)
        return changes

    def _key_check(self, agree: bool) -> None:
        if self.focusWidget() in (self.comment,):
            return
        self.check(agree)

    def check(self, agree: bool) -> None:
        sample_id = self.current_sample()
        name = self.batch_name()
        if sample_id is None or name is None or self.status is None or not self.status.open:
            return
        seconds = None if self._shown_at is None else round(time.monotonic() - self._shown_at, 3)
        reason = "" if agree else self.reason_box.currentText()
        comment = self.comment.text().strip()
        done = self._run(
            lambda: gates.record_check(
                self.project, name, sample_id, agree=agree, reason=reason, comment=comment, seconds=seconds
            )
        )
        if done is None:
            return
        self.comment.clear()
        # Checks do not change the queue's order: refresh the checks and this row, not the whole list.
        row = self.queue.currentRow()
        self.status.checks = gates.stage_checks(self.project, self.status.batch, self.status.stage)
        self.queue.item(row).setText(self._row_text(self.status.queue[row]))
        self._update_head()
        following = self.status.next_unchecked()
        self.queue.setCurrentRow(self._row_of(following) if following is not None else row)
        if following is None:
            self._show_row(row)

    def start(self) -> None:
        if self.batch_name() and self._run(lambda: gates.start_gate(self.project, self.batch_name())) is not None:
            self.load()

    def decide(self) -> None:
        name = self.batch_name()
        if name is None:
            return
        try:
            decision = gates.decide_gate(self.project, name)
        except ProjectError as error:
            QMessageBox.warning(self, self.tr("Not done"), str(error))
            return
        self.changed.emit(decision.changes)
        self.load()

    def send_back(self) -> None:
        if self.batch_name() and self._run(lambda: gates.send_back(self.project, self.batch_name())) is not None:
            self.load()

    def start_correction(self) -> None:
        name = self.batch_name()
        if name and self._run(lambda: gates.start_correction(self.project, name)) is not None:
            self.load()

    def edit_settings(self) -> None:
        dialog = QaSettingsDialog(self.project, self)
        dialog.changed.connect(self.changed)
        if dialog.exec():
            self.load()


class QaSettingsDialog(QDialog):
    """The project's gate thresholds, the expert's sample, routing limits and the error list."""

    changed = Signal(object)

    def __init__(self, project: Project, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.project = project
        self.setWindowTitle(self.tr("QA gate settings"))
        current = gates.qa_settings(project)
        self.stage1 = self._percent_box(current.stage1_threshold)
        self.stage2 = self._percent_box(current.stage2_threshold)
        self.sample_size = QSpinBox(self)
        self.sample_size.setRange(1, 1_000_000)
        self.sample_size.setValue(current.stage2_sample_size)
        self.seed = QSpinBox(self)
        self.seed.setRange(0, 2**31 - 1)
        self.seed.setValue(current.stage2_seed)
        self.fast = QDoubleSpinBox(self)
        self.fast.setRange(0, 3600)
        self.fast.setSuffix(" s")
        self.fast.setValue(current.fast_seconds)
        self.heavy = self._percent_box(current.heavy_edit)
        self.light = self._percent_box(current.light_edit)
        self.reasons = QPlainTextEdit("\n".join(current.error_reasons), self)
        form = QFormLayout(self)
        form.addRow(self.tr("Stage 1 passes at (agreed):"), self.stage1)
        form.addRow(self.tr("Stage 2 sample size:"), self.sample_size)
        form.addRow(self.tr("Stage 2 passes at (right):"), self.stage2)
        form.addRow(self.tr("Stage 2 seed:"), self.seed)
        form.addRow(self.tr("Inspect first if decided in under:"), self.fast)
        form.addRow(self.tr("… or the draft changed at least:"), self.heavy)
        form.addRow(self.tr("… or labelled 3 with the draft changed at most:"), self.light)
        form.addRow(self.tr("Error list (one reason a line):"), self.reasons)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel, self)
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        form.addRow(buttons)

    def _percent_box(self, value: Fraction) -> QDoubleSpinBox:
        box = QDoubleSpinBox(self)
        box.setRange(0, 100)
        box.setDecimals(2)
        box.setSuffix(" %")
        box.setValue(float(value) * 100)
        return box

    @staticmethod
    def _ratio(box: QDoubleSpinBox) -> Fraction:
        return Fraction(str(round(box.value(), 2))) / 100

    def accept(self) -> None:  # Qt override
        try:
            changes = gates.set_qa_settings(
                self.project,
                stage1_threshold=self._ratio(self.stage1),
                stage2_threshold=self._ratio(self.stage2),
                stage2_sample_size=self.sample_size.value(),
                stage2_seed=self.seed.value(),
                fast_seconds=self.fast.value(),
                heavy_edit=self._ratio(self.heavy),
                light_edit=self._ratio(self.light),
                error_reasons=tuple(self.reasons.toPlainText().splitlines()),
            )
        except ProjectError as error:
            QMessageBox.warning(self, self.tr("Not saved"), str(error))
            return
        self.changed.emit(changes)
        super().accept()


class QaMenu(QObject):
    """The Gates menu of a main window: the dashboard, the gate panel, the settings (a QObject for
    ``self.tr``: ``window.tr`` would file the texts under 'window' for lupdate but look them up under
    'MainWindow' at run time, so they were never translated)."""

    def __init__(self, window: MainWindow) -> None:
        super().__init__(window)
        self.window = window
        self.menu = window.menuBar().addMenu(self.tr("&Gates"))
        self.menu.setObjectName(QA_MENU_NAME)
        self.dashboard_action = self.menu.addAction(self.tr("QA &dashboard…"))
        self.dashboard_action.triggered.connect(lambda _checked=False: self.dashboard())
        self.gate_action = self.menu.addAction(self.tr("&Check a batch (stage 1 / stage 2)…"))
        self.gate_action.triggered.connect(lambda _checked=False: self.gate_panel())
        self.settings_action = self.menu.addAction(self.tr("QA gate &settings…"))
        self.settings_action.triggered.connect(lambda _checked=False: self.settings())

    def _refresh(self, changes: Changes) -> None:
        if changes:
            self.window.browser.refresh(changes)

    def dashboard(self) -> Dashboard:
        self.window.save_pending()
        dialog = Dashboard(self.window.project, self.window)
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        dialog.open()
        return dialog

    def gate_panel(self, batch: str | None = None) -> GatePanel:
        self.window.save_pending()
        panel = GatePanel(self.window.project, self.window, batch=batch)
        panel.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        panel.changed.connect(self._refresh)
        panel.open()
        return panel

    def settings(self) -> QaSettingsDialog:
        dialog = QaSettingsDialog(self.window.project, self.window)
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        dialog.open()
        return dialog


def install_qa_menu(window: MainWindow) -> QaMenu:
    """Add the Gates menu to ``window``'s menu bar; the returned object holds its actions."""
    return QaMenu(window)
