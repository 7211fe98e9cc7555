"""The pane for COIG exam items: the six fields as a form."""

from __future__ import annotations

import copy
from typing import Any

from PySide6.QtWidgets import QComboBox, QHBoxLayout, QLabel, QVBoxLayout, QWidget

from app.store.query import Sample
from widgets.panes.base import PaneContext, ReviewPane
from widgets.panes.drafts import DraftList
from widgets.text_fields import ScrollForm, TextField, as_text, bold, put_value

# COIG's subjects, as stored in the data (so not translated); the combo takes any other too.
SUBJECTS = ("语文", "数学", "英语", "政治", "历史", "地理", "物理", "化学", "生物", "公务员", "其他")


class ExamPane(ReviewPane):
    """``textbox_q_instruction``, ``textbox_q_context``, ``textbox_question``, ``textbox_answer``,
    ``textbox_answer_analysis`` and ``subject`` (an editable combo of COIG's subjects)."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._subject_shown = ""

        self.subject = QComboBox()
        self.subject.setEditable(True)
        self.subject.setInsertPolicy(QComboBox.InsertPolicy.NoInsert)
        self.subject.addItems(SUBJECTS)
        self.subject.setMinimumContentsLength(6)
        self.subject.currentTextChanged.connect(self._on_subject_changed)
        subject_row = QWidget()
        row = QHBoxLayout(subject_row)
        row.setContentsMargins(0, 0, 0, 0)
        subject_label = bold(QLabel(self.tr("Subject")))
        subject_label.setBuddy(self.subject)
        row.addWidget(subject_label)
        row.addWidget(self.subject)
        row.addStretch(1)

        self.fields: dict[str, TextField] = {
            "textbox_q_instruction": TextField(self.tr("Instruction"), min_lines=1),
            "textbox_q_context": TextField(self.tr("Context (reading passage, optional)"), min_lines=1),
            "textbox_question": TextField(self.tr("Question"), min_lines=3),
            "textbox_answer": TextField(self.tr("Answer"), min_lines=1),
            "textbox_answer_analysis": TextField(self.tr("Answer analysis (optional)"), min_lines=2),
        }
        self.form = ScrollForm(self)
        self.form.add(subject_row)
        for field in self.fields.values():
            self.form.add(field)
            field.edited.connect(self._on_edited)
        # The six fields an exam extraction proposes, under the form, with Take.
        self.drafts = DraftList((*self.fields, "subject"), self._draft_parts, self.content)
        self.form.add(self.drafts)
        self.suggestion_taken = self.drafts.taken
        """A draft taken: its id and the whole content with it (forwarded by the KindStack)."""
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.form)

    # ReviewPane ------------------------------------------------------------------------------

    def show_sample(self, sample: Sample, context: PaneContext) -> None:
        super().show_sample(sample, context)
        for key, field in self.fields.items():
            field.set_value(self._content.get(key, ""))
        self.subject.blockSignals(True)
        self._subject_shown = as_text(self._content.get("subject", ""))
        self.subject.setCurrentText(self._subject_shown)
        self.subject.blockSignals(False)
        self.drafts.show_drafts(context.suggestions)
        self.form.verticalScrollBar().setValue(0)

    def content(self) -> dict[str, Any]:
        content = copy.deepcopy(self._content)
        for key, field in self.fields.items():
            put_value(content, key, field.value())
        subject = self.subject.currentText()
        if subject != self._subject_shown:
            content["subject"] = subject
        return content

    def focus_first_field(self) -> None:
        self.fields["textbox_q_instruction"].editor.setFocus()

    def _draft_parts(self, draft: dict[str, Any]) -> list[tuple[str, str]]:
        titles = {key: field.label.text() for key, field in self.fields.items()} | {"subject": self.tr("Subject")}
        return [(titles[key], as_text(draft[key])) for key in (*self.fields, "subject") if key in draft]

    def _on_subject_changed(self, _text: str) -> None:
        self._on_edited()
