"""The pane for Alpaca-shaped samples: instruction, input, output, and system and history when present."""

from __future__ import annotations

import copy
from typing import Any

from PySide6.QtWidgets import QHBoxLayout, QLabel, QToolButton, QVBoxLayout, QWidget

from app.store.query import Sample
from widgets.panes.base import PaneContext, ReviewPane
from widgets.panes.drafts import DraftList
from widgets.panes.principles import PRINCIPLES_KEY, PrinciplesChecklist, wants_checklist
from widgets.text_fields import GrowingBrowser, ScrollForm, TextField, bold, put_value

DRAFT_FIELDS = ("system", "instruction", "input", "output")
"""What a machine draft of an instruction sample may propose."""


class InstructionPane(ReviewPane):
    """``instruction / input / output`` editors; ``system`` and ``history`` shown when the sample has them.

    The output is Markdown more often than not (CQIA answers, LLM drafts): a toggle shows it rendered.
    """

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._history: list[tuple[TextField, TextField]] = []

        self.form = ScrollForm(self)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.form)

        self.system = TextField(self.tr("System prompt"), min_lines=1)
        self.instruction = TextField(self.tr("Instruction"))
        self.input = TextField(self.tr("Input"), min_lines=1)
        self.output = TextField(min_lines=4)
        self.output_view = GrowingBrowser(min_height=80)
        self.output_view.hide()
        # COIG's three principles, for the samples Self-Instruct expansion made.
        self.principles = PrinciplesChecklist()
        self.principles.hide()
        self.principles.changed.connect(self._on_edited)

        output_header = QWidget()
        header = QHBoxLayout(output_header)
        header.setContentsMargins(0, 0, 0, 0)
        self.output_label = bold(QLabel(self.tr("Output")))
        self.output_label.setBuddy(self.output.editor)
        self.render_button = QToolButton()
        self.render_button.setCheckable(True)
        self.render_button.setText(self.tr("Rendered"))
        self.render_button.setToolTip(self.tr("Show the output as rendered Markdown (read-only)"))
        self.render_button.toggled.connect(self._set_rendered)
        header.addWidget(self.output_label)
        header.addStretch(1)
        header.addWidget(self.render_button)

        self.history_box = QWidget()
        self.history_column = QVBoxLayout(self.history_box)
        self.history_column.setContentsMargins(0, 0, 0, 0)
        history_title = bold(QLabel(self.tr("Earlier rounds (history)")))
        self.history_column.addWidget(history_title)

        for widget in (
            self.system,
            self.history_box,
            self.instruction,
            self.input,
            output_header,
            self.output,
            self.output_view,
            self.principles,
        ):
            self.form.add(widget)
        for field in (self.system, self.instruction, self.input, self.output):
            field.edited.connect(self._on_edited)
        # Machine drafts of the fields (Kun's polished answer, a rewrite), under the fields, each with Take.
        self.drafts = DraftList(
            DRAFT_FIELDS,
            self._draft_parts,
            self.content,
            text_only=True,
            take_tip=self.tr("Put the draft's fields into the sample (undoable)"),
            min_height=32,
            panel=True,
        )
        self.drafts.setContentsMargins(0, 8, 0, 0)
        self.form.add(self.drafts)
        self.suggestion_taken = self.drafts.taken
        """A draft taken: its id and the whole content with it (forwarded by the KindStack)."""

    # ReviewPane ------------------------------------------------------------------------------

    def show_sample(self, sample: Sample, context: PaneContext) -> None:
        super().show_sample(sample, context)
        content = self._content
        self.system.setVisible("system" in content)
        self.system.set_value(content.get("system", ""))
        self.instruction.set_value(content.get("instruction", ""))
        self.input.set_value(content.get("input", ""))
        self.output.set_value(content.get("output", ""))
        self._show_history(content.get("history"))
        self.drafts.show_drafts(context.suggestions)
        self.principles.setVisible(wants_checklist(sample.subset, content))
        self.principles.set_state(content.get(PRINCIPLES_KEY))
        if self.render_button.isChecked():
            self._set_rendered(True)
        self.form.verticalScrollBar().setValue(0)

    def content(self) -> dict[str, Any]:
        content = copy.deepcopy(self._content)
        put_value(content, "system", self.system.value())
        put_value(content, "instruction", self.instruction.value())
        put_value(content, "input", self.input.value())
        put_value(content, "output", self.output.value())
        history = content.get("history")
        if isinstance(history, list):
            for index, (question, answer) in enumerate(self._history):
                parts = _pair(history[index])
                new = [question.value(), answer.value()]
                if new != parts[:2]:
                    history[index] = new + parts[2:]
        if self.principles.touched() or PRINCIPLES_KEY in content:
            content[PRINCIPLES_KEY] = self.principles.state()
        return content

    def focus_first_field(self) -> None:
        self.instruction.editor.setFocus()

    def _draft_parts(self, draft: dict[str, Any]) -> list[tuple[str, str]]:
        titles = {
            "system": self.tr("System prompt"),
            "instruction": self.tr("Instruction"),
            "input": self.tr("Input"),
            "output": self.tr("Output"),
        }
        return [(titles[field], draft[field]) for field in DRAFT_FIELDS if field in draft]

    # Parts -----------------------------------------------------------------------------------

    def _show_history(self, history: Any) -> None:
        for pair in self._history:
            for field in pair:
                self.history_column.removeWidget(field)
                field.hide()
                field.deleteLater()
        self._history = []
        pairs = history if isinstance(history, list) else []
        for number, pair in enumerate(pairs, start=1):
            parts = _pair(pair)
            question = TextField(self.tr("Round {number} · question").format(number=number), min_lines=1)
            answer = TextField(self.tr("Round {number} · answer").format(number=number), min_lines=1)
            question.set_value(parts[0])
            answer.set_value(parts[1])
            question.edited.connect(self._on_edited)
            answer.edited.connect(self._on_edited)
            self.history_column.addWidget(question)
            self.history_column.addWidget(answer)
            self._history.append((question, answer))
        self.history_box.setVisible(bool(self._history))

    def _set_rendered(self, rendered: bool) -> None:
        if rendered:
            self.output_view.setMarkdown(self.output.text())
        self.output_view.setVisible(rendered)
        self.output.setVisible(not rendered)
        self.render_button.setText(self.tr("Raw") if rendered else self.tr("Rendered"))


def _pair(value: Any) -> list[Any]:
    """A history entry as ``[question, answer, …]`` (a malformed one as its text and an empty answer)."""
    parts = list(value) if isinstance(value, list | tuple) else [value]
    return parts + [""] * (2 - len(parts))
