"""The QA dashboard: label distribution, rating histogram, progress per annotator and per batch,
gate results, agreement over time, and the agreement table (kappas, alpha, time per sample, how
much people changed the machine's drafts).

The figures are read off the GUI thread (:func:`load_dashboard` opens its own connection to the
project file), so a project of a million samples does not freeze the window.
"""

from __future__ import annotations

from collections.abc import Callable
from fractions import Fraction
from pathlib import Path

from PySide6.QtCore import QCoreApplication, Qt, Signal
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QGridLayout,
    QHeaderView,
    QLabel,
    QScrollArea,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from app import qa_stats
from app.qa_stats import DashboardData
from app.store import Project
from widgets.charts import FAIL_COLOR, PALETTE, PASS_COLOR, Bar, BarChart, LineChart, Series
from widgets.sample_model import display_names
from widgets.tasks import BackgroundTask, run_in_background


def load_dashboard(
    project_path: Path, author: str, *, progress: Callable[[int], None], cancelled: Callable[[], bool]
) -> DashboardData:
    with Project.open(project_path, author=author) as project:
        return qa_stats.dashboard_data(project, progress=progress, cancelled=cancelled)


def _percent(value: Fraction | float) -> str:
    return f"{float(value) * 100:.1f} %"


def _tr(text: str) -> str:
    return QCoreApplication.translate("Dashboard", text)


def batch_state_name(state: str, gate_stage: int = 0) -> str:
    """A batch's state in the person's language (the dashboard, the assign dialog's batch list)."""
    names = {
        "assigned": _tr("assigned"),
        "exported": _tr("sent"),
        "returned": _tr("returned"),
        "merged": _tr("merged"),
        "inspecting": _tr("stage {n} being checked").format(n=gate_stage + 1),
        "passed": _tr("passed stage {n}").format(n=gate_stage),
        "failed": _tr("failed"),
    }
    return names.get(state, state)


class Dashboard(QDialog):
    """The dashboard of one project; :meth:`refresh` reads it again."""

    loaded = Signal()
    """The figures arrived and are drawn."""

    def __init__(self, project: Project, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.project = project
        self.task: BackgroundTask | None = None
        self.data: DashboardData | None = None
        self.setWindowTitle(self.tr("QA dashboard — {name}").format(name=project.name))
        self.resize(1100, 760)
        self.state = QLabel(self)
        self.labels = BarChart(self.tr("Label distribution"))
        self.ratings = BarChart(self.tr("Rating histogram"))
        self.annotators = BarChart(self.tr("Progress per annotator (decided / assigned)"))
        self.batches = BarChart(self.tr("Progress per batch (decided / samples)"))
        self.gates = BarChart(self.tr("Gate results (share agreed)"))
        self.over_time = LineChart(self.tr("Agreement over time (Fleiss' kappa on the overlap)"))
        self.table = QTableWidget(0, 8, self)
        self.table.setHorizontalHeaderLabels(
            [
                self.tr("Annotator"),
                self.tr("Decided"),
                self.tr("Seconds per sample"),
                self.tr("Samples per hour"),
                self.tr("Overlap samples"),
                self.tr("Cohen's kappa"),
                self.tr("Rating alpha"),
                self.tr("Post-edit distance"),
            ]
        )
        self.table.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        self.table.horizontalHeader().setStretchLastSection(True)
        self.table.verticalHeader().setVisible(False)
        self.table.setEditTriggers(QTableWidget.EditTrigger.NoEditTriggers)
        self.overall = QLabel(self)
        self.overall.setWordWrap(True)
        for chart in (self.labels, self.ratings, self.annotators, self.batches, self.gates):
            chart.set_empty_text(self.tr("Nothing yet"))
        self.over_time.set_empty_text(self.tr("No overlapping labels yet"))

        body = QWidget()
        grid = QGridLayout(body)
        top = Qt.AlignmentFlag.AlignTop
        grid.addWidget(self.labels, 0, 0, top)
        grid.addWidget(self.ratings, 0, 1, top)
        grid.addWidget(self.annotators, 1, 0, top)
        grid.addWidget(self.batches, 1, 1, top)
        grid.addWidget(self.gates, 2, 0, top)
        grid.addWidget(self.over_time, 2, 1)
        agreement_title = QLabel(self.tr("<b>Agreement on the overlap, throughput and post-edit distance</b>"))
        grid.addWidget(agreement_title, 3, 0, 1, 2)
        grid.addWidget(self.overall, 4, 0, 1, 2)
        grid.addWidget(self.table, 5, 0, 1, 2)
        grid.setRowStretch(6, 1)
        grid.setColumnStretch(0, 1)
        grid.setColumnStretch(1, 1)
        scroll = QScrollArea(self)
        scroll.setWidgetResizable(True)
        scroll.setWidget(body)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close, self)
        self.refresh_button = buttons.addButton(self.tr("&Refresh"), QDialogButtonBox.ButtonRole.ActionRole)
        self.refresh_button.clicked.connect(self.refresh)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(self.state)
        layout.addWidget(scroll, 1)
        layout.addWidget(buttons)
        self.refresh()

    def refresh(self) -> BackgroundTask:
        if self.task is not None and self.task.is_running():
            self.task.cancel()
        self.state.setText(self.tr("Computing…"))
        self.refresh_button.setEnabled(False)
        self.task = run_in_background(load_dashboard, self.project.path, self.project.author)
        task = self.task
        task.finished.connect(lambda data: self._loaded(task, data))
        task.failed.connect(lambda message: self._failed(task, message))
        return task

    def _failed(self, task: BackgroundTask, message: str) -> None:
        if task is self.task:
            self.refresh_button.setEnabled(True)
            self.state.setText(self.tr("The figures could not be read: {error}").format(error=message))

    def _loaded(self, task: BackgroundTask, data: DashboardData) -> None:
        if task is not self.task or task.is_cancelled():
            return
        self.refresh_button.setEnabled(True)
        self.show_data(data)
        self.state.setText(self.tr("Figures as of now; Refresh reads them again."))
        self.loaded.emit()

    def done(self, result: int) -> None:  # Qt override
        if self.task is not None:
            self.task.cancel()
        super().done(result)

    # Drawing

    def label_name(self, label: int | None) -> str:
        # The verdict bar's and the sample table's words for the COIG labels.
        return display_names()["label"][label] if label is not None else self.tr("Not labelled")

    def show_data(self, data: DashboardData) -> None:
        self.data = data
        total = sum(data.labels.values()) or 1
        self.labels.set_bars(
            [
                Bar(
                    self.label_name(label),
                    count,
                    text=f"{count:,} ({count / total:.0%})",
                    color=PALETTE[index] if label is not None else "#9AA0A6",
                )
                for index, (label, count) in enumerate(data.labels.items())
            ]
        )
        self.ratings.set_bars(
            [
                Bar("★" * rating, count, tooltip=self.tr("{n} samples rated {r}").format(n=count, r=rating))
                for rating, count in data.ratings.items()
            ]
        )
        self.annotators.set_bars([Bar(row["name"], row["decided"], total=row["assigned"]) for row in data.annotators])
        self.batches.set_bars([self._batch_bar(row) for row in data.batches])
        self.gates.set_bars([self._gate_bar(result) for result in data.gates])
        self._show_over_time(data)
        self._show_table(data)

    def _batch_bar(self, row: dict) -> Bar:
        state = batch_state_name(row["state"], row["gate_stage"])
        tooltip = self.tr("{batch} ({who}): {decided} of {n} decided; {state}; rework round {round}").format(
            batch=row["name"], who=row["annotator"], decided=row["decided"], n=row["samples"], state=state,
            round=row["round"],
        )  # fmt: skip
        return Bar(
            f"{row['name']} · {state}",
            row["decided"],
            total=row["samples"],
            tooltip=tooltip,
            color=FAIL_COLOR if row["state"] == "failed" else PASS_COLOR if row["gate_stage"] >= 2 else PALETTE[0],
        )

    def _gate_bar(self, result: dict) -> Bar:
        share = Fraction(result["agreed"], result["checked"]) if result["checked"] else Fraction(0)
        verdict = self.tr("passed") if result["passed"] else self.tr("failed")
        label = self.tr("{batch} · round {round} · stage {stage}").format(
            batch=result["batch"], round=result["round"], stage=result["stage"]
        )
        text = f"{_percent(share)} ({result['agreed']}/{result['checked']}) {verdict}"
        template = self.tr("{label}: {agreed} of {checked} agreed, threshold {threshold}; {verdict} ({who}, {when})")
        tooltip = template.format(
            label=label, agreed=result["agreed"], checked=result["checked"],
            threshold=_percent(result["threshold"]), verdict=verdict, who=result["decided_by"],
            when=result["decided_at"][:16].replace("T", " "),
        )  # fmt: skip
        color = PASS_COLOR if result["passed"] else FAIL_COLOR
        return Bar(label, float(share) * 100, total=100, text=text, tooltip=tooltip, color=color)

    def _show_over_time(self, data: DashboardData) -> None:
        days = [day for day, _ in data.agreement_over_time]
        values = [value for _, value in data.agreement_over_time]
        low = min([0.0, *values])
        self.over_time.set_data(days, [Series(self.tr("Fleiss' kappa"), values)], y_range=(low, 1.0), y_format="{:.2f}")

    def _show_table(self, data: DashboardData) -> None:
        report = data.report
        people = qa_stats.annotator_rows(report)
        self.table.setRowCount(len(people))
        for row, person in enumerate(people):
            for column, text in enumerate(person.cells()):
                self.table.setItem(row, column, QTableWidgetItem(text))
        height = self.table.verticalHeader().length() + self.table.horizontalHeader().height() + 8
        self.table.setMinimumHeight(height)
        self.table.setMaximumHeight(height)
        self.overall.setText(
            self.tr(
                "Overall on {items} overlapping samples and {raters} annotators: Fleiss' kappa {fleiss}, "
                "Krippendorff's alpha of labels (nominal) {alpha}, of ratings (ordinal) {ratings}."
            ).format(
                items=report.labels.items,
                raters=report.labels.raters,
                fleiss=qa_stats.figure(report.labels.fleiss),
                alpha=qa_stats.figure(report.labels.alpha),
                ratings=qa_stats.figure(report.ratings.alpha),
            )
        )
