"""The pane for translation pairs: English source and Chinese target side by side, with the machine draft.

Only the target is editable until the person unlocks the source (COIG's correction step may fix the
English example too). When the sample has a machine translation (a ``translate`` suggestion from
DeepL or an LLM), a third column shows, per field, what the person changed in that draft: deleted
draft text red and struck through, inserted text green and underlined.
"""

from __future__ import annotations

import copy
from functools import partial
from typing import Any

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QGridLayout,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from app.records import ALPACA_FIELDS
from app.store.query import Sample
from widgets.diff import DiffView
from widgets.panes.base import PaneContext, ReviewPane
from widgets.text_fields import GrowingTextEdit, ScrollForm, as_text, bold, put_value

TRANSLATE_TASKS = ("translate", "translation")


def draft_fields(suggestion: dict[str, Any]) -> dict[str, str]:
    """The Chinese ``instruction/input/output`` of a translation draft, whichever shape it was stored in.

    A draft is usually a whole translation content (``{"source", "target"}``, what accepting it
    stores), or just the translated fields.
    """
    content = suggestion.get("content") or {}
    if isinstance(content.get("target"), dict):
        content = content["target"]
    return {field: as_text(content.get(field, "")) for field in ALPACA_FIELDS}


def is_translation_draft(suggestion: dict[str, Any]) -> bool:
    return suggestion.get("task") in TRANSLATE_TASKS and isinstance(suggestion.get("content"), dict)


class TranslationPane(ReviewPane):
    """Source | target (| draft → target diff), one row per field."""

    suggestion_taken = Signal(int, dict)
    """The person took the chosen machine draft (Accept draft) or one field of it (Take this field):
    the suggestion's id and the whole sample content as it would be with the draft taken (same shape
    as ``Sample.content``). The pane changes nothing itself: the window records it and shows the
    sample again."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._drafts: list[dict[str, Any]] = []

        self.source: dict[str, GrowingTextEdit] = {}
        self.target: dict[str, GrowingTextEdit] = {}
        self.diff: dict[str, DiffView] = {}
        self.take_field: dict[str, QPushButton] = {}

        bar = QHBoxLayout()
        bar.setContentsMargins(8, 6, 8, 0)
        self.edit_source = QCheckBox(self.tr("Edit source"))
        self.edit_source.setToolTip(self.tr("Allow changes to the English original too"))
        self.edit_source.toggled.connect(self._set_source_editable)
        self.draft_label = QLabel(self.tr("Machine draft:"))
        self.draft_choice = QComboBox()
        self.draft_choice.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToContents)
        self.draft_choice.currentIndexChanged.connect(self._update_diffs)
        bar.addWidget(self.edit_source)
        bar.addStretch(1)
        bar.addWidget(self.draft_label)
        bar.addWidget(self.draft_choice)
        self.accept_draft = QPushButton(self.tr("Accept draft"))
        self.accept_draft.setToolTip(self.tr("Take every field of this machine draft as the translation"))
        self.accept_draft.clicked.connect(self._take_draft)
        bar.addWidget(self.accept_draft)

        self.form = ScrollForm(self)
        grid_host = QWidget()
        self.grid = QGridLayout(grid_host)
        self.grid.setContentsMargins(0, 0, 0, 0)
        self.grid.setHorizontalSpacing(8)
        self.grid.setVerticalSpacing(4)
        self.form.add(grid_host)

        self.source_header = bold(QLabel(self.tr("Source (English)")))
        self.target_header = bold(QLabel(self.tr("Target (Chinese)")))
        self.diff_header = bold(QLabel(self.tr("Changes to the draft")))
        self.diff_header.setToolTip(
            self.tr("Red, struck through: removed from the machine draft. Green, underlined: added.")
        )
        self.grid.addWidget(self.source_header, 0, 0)
        self.grid.addWidget(self.target_header, 0, 1)
        self.grid.addWidget(self.diff_header, 0, 2)
        labels = {"instruction": self.tr("Instruction"), "input": self.tr("Input"), "output": self.tr("Output")}
        row = 1
        for field in ALPACA_FIELDS:
            label = QLabel(labels[field])
            label.setContentsMargins(0, 6, 0, 0)
            self.grid.addWidget(label, row, 0, 1, 2)
            take = QPushButton(self.tr("Take this field"))
            take.setToolTip(self.tr("Replace this field of the translation with the machine draft's"))
            take.clicked.connect(partial(self._take_field, field))
            self.grid.addWidget(take, row, 2, Qt.AlignmentFlag.AlignRight)
            self.take_field[field] = take
            lines = 4 if field == "output" else 2
            source = GrowingTextEdit(min_lines=lines, read_only=True)
            target = GrowingTextEdit(min_lines=lines)
            diff = DiffView(min_lines=lines)
            label.setBuddy(target)
            self.grid.addWidget(source, row + 1, 0, Qt.AlignmentFlag.AlignTop)
            self.grid.addWidget(target, row + 1, 1, Qt.AlignmentFlag.AlignTop)
            self.grid.addWidget(diff, row + 1, 2, Qt.AlignmentFlag.AlignTop)
            source.edited.connect(self._on_edited)
            target.edited.connect(partial(self._on_target_edited, field))
            self.source[field], self.target[field], self.diff[field] = source, target, diff
            row += 2
        for column in range(3):
            self.grid.setColumnStretch(column, 1)

        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addLayout(bar)
        layout.addWidget(self.form)
        self._show_drafts([])

    # ReviewPane ------------------------------------------------------------------------------

    def show_sample(self, sample: Sample, context: PaneContext) -> None:
        super().show_sample(sample, context)
        source = self._content.get("source") if isinstance(self._content.get("source"), dict) else {}
        target = self._content.get("target") if isinstance(self._content.get("target"), dict) else {}
        for field in ALPACA_FIELDS:
            self.source[field].set_value(source.get(field, ""))
            self.target[field].set_value(target.get(field, ""))
        self._show_drafts([s for s in context.suggestions if is_translation_draft(s)])
        self.form.verticalScrollBar().setValue(0)

    def content(self) -> dict[str, Any]:
        content = copy.deepcopy(self._content)
        for side, editors in (("source", self.source), ("target", self.target)):
            part = content.get(side)
            if not isinstance(part, dict):
                values = {field: editor.value() for field, editor in editors.items()}
                if any(values.values()):
                    content[side] = values
                continue
            for field, editor in editors.items():
                put_value(part, field, editor.value())
        return content

    def focus_first_field(self) -> None:
        self.target["instruction"].setFocus()

    # Drafts ----------------------------------------------------------------------------------

    def current_draft(self) -> dict[str, str] | None:
        """The translated fields of the draft compared against, or ``None`` without one."""
        index = self.draft_choice.currentIndex()
        if not self._drafts or index < 0:
            return None
        return draft_fields(self._drafts[index])

    def _show_drafts(self, drafts: list[dict[str, Any]]) -> None:
        self._drafts = drafts
        self.draft_choice.blockSignals(True)
        self.draft_choice.clear()
        for draft in drafts:
            engine = draft.get("engine") or self.tr("machine")
            model = draft.get("model") or ""
            name = f"{engine} · {model}" if model and model not in engine else engine
            self.draft_choice.addItem(name)
        # Newest last in the context: compare against the newest by default.
        self.draft_choice.setCurrentIndex(len(drafts) - 1)
        self.draft_choice.blockSignals(False)
        has_draft = bool(drafts)
        self.draft_label.setVisible(has_draft)
        self.draft_choice.setVisible(has_draft)
        self.diff_header.setVisible(has_draft)
        self.accept_draft.setVisible(has_draft)
        for view in self.diff.values():
            view.setVisible(has_draft)
        for button in self.take_field.values():
            button.setVisible(has_draft)
        self.grid.setColumnStretch(2, 1 if has_draft else 0)
        self._update_diffs()

    def current_suggestion(self) -> dict[str, Any] | None:
        """The chosen draft as the context gave it (``id``, ``content``…), or ``None``."""
        index = self.draft_choice.currentIndex()
        return self._drafts[index] if self._drafts and index >= 0 else None

    def _take_draft(self) -> None:
        suggestion = self.current_suggestion()
        if suggestion is not None:
            self._emit_taken(suggestion, draft_fields(suggestion))

    def _take_field(self, field: str) -> None:
        suggestion = self.current_suggestion()
        if suggestion is not None:
            self._emit_taken(suggestion, {field: draft_fields(suggestion)[field]})

    def _emit_taken(self, suggestion: dict[str, Any], fields: dict[str, str]) -> None:
        content = self.content()
        target = content.get("target") if isinstance(content.get("target"), dict) else {}
        target.update(fields)
        content["target"] = target
        self.suggestion_taken.emit(int(suggestion["id"]), content)

    def _update_diffs(self, *_: object) -> None:
        draft = self.current_draft()
        if draft is None:
            return
        for field in ALPACA_FIELDS:
            self.diff[field].set_texts(draft[field], self.target[field].toPlainText())

    def _update_diff(self, field: str) -> None:
        draft = self.current_draft()
        if draft is not None:
            self.diff[field].set_texts(draft[field], self.target[field].toPlainText())

    # Editing ---------------------------------------------------------------------------------

    def _set_source_editable(self, editable: bool) -> None:
        for editor in self.source.values():
            editor.setReadOnly(not editable)

    def _on_target_edited(self, field: str, _text: str) -> None:
        self._update_diff(field)
        self._on_edited()
