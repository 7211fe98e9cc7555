"""The adjudication view: samples two people changed differently, compared hunk by hunk.

The queue is on the left. On the right, two of the sample's versions (A and B, chosen from all of
them) are cut into hunks (:func:`app.packages.hunks.content_hunks`); for each hunk the lead picks a
side, and the label, rating and status each from a side. The preview shows the result against the
version that was sent out, in the diff colours of :mod:`widgets.diff`. *Resolve* makes the result the
sample's new version (one undoable step) and moves to the next conflict.
"""

from __future__ import annotations

import html
import json
from typing import Any

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QButtonGroup,
    QComboBox,
    QDialog,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QListWidget,
    QListWidgetItem,
    QPushButton,
    QRadioButton,
    QScrollArea,
    QSplitter,
    QTextBrowser,
    QVBoxLayout,
    QWidget,
)

from app.packages import adjudication, hunks
from app.packages.adjudication import FIELDS, Conflict
from app.packages.hunks import Side
from app.store import ProjectError
from app.store.project import Project
from widgets.diff import DELETE_BACKGROUND, INSERT_BACKGROUND, diff_html
from widgets.sample_model import display_names

# Characters of unchanged text shown either side of a hunk, so the reader sees where it is.
CONTEXT_CHARS = 24


def _marked(text: str, background: str) -> str:
    shown = html.escape(text).replace("\n", "↵<br>") if text else "<i>∅</i>"
    return f'<span style="background-color:{background}">{shown}</span>'


class HunkChooser(QGroupBox):
    """One hunk: the two sides in their context, a radio button for each."""

    def __init__(self, heading: str, before: str, piece: hunks.Piece, after: str, titles: tuple[str, str]) -> None:
        super().__init__(heading)
        self.hunk = piece.hunk
        self.group = QButtonGroup(self)
        grid = QFormLayout(self)
        grid.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.AllNonFixedFieldsGrow)
        self.buttons: dict[Side, QRadioButton] = {}
        for side, text, background, title in (
            ("a", piece.a, DELETE_BACKGROUND, titles[0]),
            ("b", piece.b, INSERT_BACKGROUND, titles[1]),
        ):
            button = QRadioButton(title, self)
            shown = _marked(text, background)
            label = QLabel(f"{html.escape(before[-CONTEXT_CHARS:])}{shown}{html.escape(after[:CONTEXT_CHARS])}", self)
            label.setWordWrap(True)
            label.setTextFormat(Qt.TextFormat.RichText)
            self.group.addButton(button)
            self.buttons[side] = button
            grid.addRow(button, label)
        self.buttons["a"].setChecked(True)

    def side(self) -> Side:
        return "b" if self.buttons["b"].isChecked() else "a"

    def choose(self, side: Side) -> None:
        self.buttons[side].setChecked(True)


class AdjudicationDialog(QDialog):
    """The queue of open conflicts and the hunk-by-hunk comparison of the one selected."""

    resolved = Signal(object)
    """A conflict was resolved (the ``Changes``)."""

    def __init__(self, project: Project, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.project = project
        self.conflict: Conflict | None = None
        self.choosers: list[HunkChooser] = []
        self.setWindowTitle(self.tr("Adjudication"))

        self.queue = QListWidget(self)
        self.queue.currentItemChanged.connect(self._on_current)
        self.heading = QLabel(self)
        self.heading.setWordWrap(True)
        self.version_a = QComboBox(self)
        self.version_b = QComboBox(self)
        self.version_a.currentIndexChanged.connect(self._build_hunks)
        self.version_b.currentIndexChanged.connect(self._build_hunks)
        compare = QHBoxLayout()
        compare.addWidget(QLabel(self.tr("Compare A:"), self))
        compare.addWidget(self.version_a, 1)
        compare.addWidget(QLabel(self.tr("with B:"), self))
        compare.addWidget(self.version_b, 1)

        self.hunk_area = QScrollArea(self)
        self.hunk_area.setWidgetResizable(True)
        self.field_choices: dict[str, QComboBox] = {}
        fields = QHBoxLayout()
        self.field_titles = {
            "label": self.tr("Label:"),
            "rating": self.tr("Rating:"),
            "status": self.tr("Status:"),
        }
        for name, title in self.field_titles.items():
            combo = QComboBox(self)
            combo.currentIndexChanged.connect(self._update_preview)
            self.field_choices[name] = combo
            fields.addWidget(QLabel(title, self))
            fields.addWidget(combo, 1)
        self.preview = QTextBrowser(self)
        self.all_a = QPushButton(self.tr("All from &A"), self)
        self.all_b = QPushButton(self.tr("All from &B"), self)
        self.resolve_button = QPushButton(self.tr("&Resolve"), self)
        self.resolve_button.setDefault(True)
        self.all_a.clicked.connect(lambda: self.choose_all("a"))
        self.all_b.clicked.connect(lambda: self.choose_all("b"))
        self.resolve_button.clicked.connect(self.resolve)
        self.close_button = QPushButton(self.tr("Close"), self)
        self.close_button.clicked.connect(self.accept)
        buttons = QHBoxLayout()
        buttons.addWidget(self.all_a)
        buttons.addWidget(self.all_b)
        buttons.addStretch(1)
        buttons.addWidget(self.resolve_button)
        buttons.addWidget(self.close_button)

        right = QWidget(self)
        column = QVBoxLayout(right)
        column.setContentsMargins(0, 0, 0, 0)
        column.addWidget(self.heading)
        column.addLayout(compare)
        column.addWidget(QLabel(self.tr("Hunks — pick a side for each:"), self))
        column.addWidget(self.hunk_area, 3)
        column.addLayout(fields)
        column.addWidget(QLabel(self.tr("Result, against the version sent out:"), self))
        column.addWidget(self.preview, 2)
        column.addLayout(buttons)
        splitter = QSplitter(Qt.Orientation.Horizontal, self)
        splitter.addWidget(self.queue)
        splitter.addWidget(right)
        splitter.setStretchFactor(1, 1)
        splitter.setSizes([240, 760])
        layout = QVBoxLayout(self)
        layout.addWidget(splitter)
        self.resize(1040, 720)
        self.fill_queue()

    # The queue

    def fill_queue(self, select: int = 0) -> None:
        self.queue.clear()
        for conflict in adjudication.open_conflicts(self.project):
            who = ", ".join(v.author for v in conflict.distinct_versions())
            item = QListWidgetItem(self.tr("Sample {id} — {who}").format(id=conflict.sample_id, who=who))
            item.setData(Qt.ItemDataRole.UserRole, conflict.id)
            self.queue.addItem(item)
        if self.queue.count():
            self.queue.setCurrentRow(min(select, self.queue.count() - 1))
        else:
            self._show(None)

    def _on_current(self, item: QListWidgetItem | None, _previous: QListWidgetItem | None = None) -> None:
        self._show(adjudication.get_conflict(self.project, item.data(Qt.ItemDataRole.UserRole)) if item else None)

    def _show(self, conflict: Conflict | None) -> None:
        self.conflict = conflict
        for widget in (self.resolve_button, self.all_a, self.all_b, self.version_a, self.version_b):
            widget.setEnabled(conflict is not None)
        if conflict is None:
            self.heading.setText(self.tr("Nothing waits for adjudication."))
            self.version_a.clear()
            self.version_b.clear()
            self.hunk_area.setWidget(QWidget())
            self.preview.clear()
            return
        versions = conflict.distinct_versions()
        self.heading.setText(
            self.tr("Sample {id} ({kind}): {n} versions — {who}").format(
                id=conflict.sample_id,
                kind=display_names()["kind"].get(conflict.kind, conflict.kind),
                n=len(versions),
                who=", ".join(v.title for v in versions),
            )
        )
        for combo, start in ((self.version_a, 0), (self.version_b, 1)):
            combo.blockSignals(True)
            combo.clear()
            for version in versions:
                combo.addItem(version.title)
            combo.setCurrentIndex(min(start, len(versions) - 1))
            combo.blockSignals(False)
        self._build_hunks()

    # Hunks and fields

    def sides(self) -> tuple[dict[str, Any], dict[str, Any]]:
        assert self.conflict is not None
        versions = self.conflict.distinct_versions()
        return versions[self.version_a.currentIndex()].state, versions[self.version_b.currentIndex()].state

    def _build_hunks(self) -> None:
        if self.conflict is None or self.version_a.currentIndex() < 0 or self.version_b.currentIndex() < 0:
            return
        a, b = self.sides()
        titles = (f"A: {self.version_a.currentText()}", f"B: {self.version_b.currentText()}")
        holder = QWidget()
        column = QVBoxLayout(holder)
        self.choosers = []
        for field in hunks.content_hunks(a["content"], b["content"]):
            pieces = field.pieces
            for at, piece in enumerate(pieces):
                if piece.same:
                    continue
                before = pieces[at - 1].a if at > 0 else ""
                after = pieces[at + 1].a if at + 1 < len(pieces) else ""
                chooser = HunkChooser(field.title, before, piece, after, titles)
                chooser.group.buttonToggled.connect(self._update_preview)
                column.addWidget(chooser)
                self.choosers.append(chooser)
        if not self.choosers:
            column.addWidget(QLabel(self.tr("The texts are the same; the versions differ in label, rating or status.")))
        column.addStretch(1)
        self.hunk_area.setWidget(holder)
        for name, combo in self.field_choices.items():
            combo.blockSignals(True)
            combo.clear()
            combo.addItem(f"A: {_value(name, a[name])}", "a")
            if b[name] != a[name]:
                combo.addItem(f"B: {_value(name, b[name])}", "b")
            combo.setEnabled(combo.count() > 1)
            combo.blockSignals(False)
        self._update_preview()

    def picks(self) -> dict[int, Side]:
        return {chooser.hunk: chooser.side() for chooser in self.choosers if chooser.hunk is not None}

    def field_picks(self) -> dict[str, Side]:
        return {name: combo.currentData() or "a" for name, combo in self.field_choices.items()}

    def choose_all(self, side: Side) -> None:
        for chooser in self.choosers:
            chooser.choose(side)
        for combo in self.field_choices.values():
            index = combo.findData(side)
            if index >= 0:
                combo.setCurrentIndex(index)

    def merged_state(self) -> dict[str, Any]:
        """The state the picks make."""
        a, b = self.sides()
        return adjudication.picked_state(a, b, self.picks(), self.field_picks())

    def _update_preview(self, *_args: object) -> None:
        if self.conflict is None or self.version_a.currentIndex() < 0:
            return
        merged = self.merged_state()
        base = self.conflict.base
        parts = []
        fields = hunks.content_hunks(base["content"], merged["content"])
        if fields and fields[0].path == hunks.WHOLE:
            parts.append(diff_html(_json(base["content"]), _json(merged["content"])))
        for field in fields if not (fields and fields[0].path == hunks.WHOLE) else []:
            old = "".join(piece.a for piece in field.pieces)
            new = "".join(piece.b for piece in field.pieces)
            parts.append(f"<p><b>{html.escape(field.title)}</b><br>{diff_html(old, new)}</p>")
        if not parts:
            parts.append(html.escape(self.tr("The text is as it was sent out.")))
        summary = "  ".join(f"{self.field_titles[name]} {_value(name, merged[name])}" for name in FIELDS)
        self.preview.setHtml("".join(parts) + f"<p><i>{html.escape(summary)}</i></p>")

    # Deciding

    def resolve(self) -> bool:
        if self.conflict is None:
            return False
        try:
            changes = adjudication.resolve_conflict(self.project, self.conflict.id, self.merged_state())
        except ProjectError as error:
            self.heading.setText(str(error))
            return False
        self.resolved.emit(changes)
        self.fill_queue(select=self.queue.currentRow())
        return True


def _value(field: str, value: Any) -> str:
    """A label, rating or status as the table shows it (labels and statuses in the UI language)."""
    if value is None:
        return "—"
    return str(display_names().get(field, {}).get(value, value))


def _json(content: dict[str, Any]) -> str:
    return json.dumps(content, ensure_ascii=False, indent=2)
