"""The pane for LeetCode samples: prose with fenced code, the code highlighted, with line numbers."""

from __future__ import annotations

import copy
from typing import Any

from PySide6.QtWidgets import QLabel, QVBoxLayout, QWidget

from app.store.query import Sample
from widgets.highlighter import CodeHighlighter
from widgets.panes.base import PaneContext, ReviewPane
from widgets.text_fields import ScrollForm, TextField, as_text, put_value


class CodePane(ReviewPane):
    """``instruction / input / output`` in a monospace font; fenced code highlighted by Pygments.

    A fence's language tag picks the lexer; a fence without one uses ``content["language"]``, and
    failing that a guess from the code. Text outside the fences stays plain.
    """

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.language_label = QLabel()
        self.fields: dict[str, TextField] = {
            "instruction": TextField(self.tr("Instruction"), code=True, min_lines=1),
            "input": TextField(self.tr("Input"), code=True, min_lines=1, max_lines=60),
            "output": TextField(self.tr("Output"), code=True, min_lines=4, max_lines=60),
        }
        self.highlighters: dict[str, CodeHighlighter] = {}
        self.form = ScrollForm(self)
        self.form.add(self.language_label)
        for key, field in self.fields.items():
            self.highlighters[key] = CodeHighlighter(field.editor.document())
            self.form.add(field)
            field.edited.connect(self._on_edited)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.form)

    # ReviewPane ------------------------------------------------------------------------------

    def show_sample(self, sample: Sample, context: PaneContext) -> None:
        super().show_sample(sample, context)
        language = as_text(self._content.get("language", ""))
        for key, field in self.fields.items():
            # The language first, so setting the text highlights it once, with the right lexer.
            self.highlighters[key].set_language(language)
            field.set_value(self._content.get(key, ""))
        self._show_language(language)
        self.form.verticalScrollBar().setValue(0)

    def content(self) -> dict[str, Any]:
        content = copy.deepcopy(self._content)
        for key, field in self.fields.items():
            put_value(content, key, field.value())
        return content

    def focus_first_field(self) -> None:
        self.fields["instruction"].editor.setFocus()

    def _show_language(self, language: str) -> None:
        found = sorted(
            {region.lexer_name for h in self.highlighters.values() for region in h.regions() if region.lexer_name}
        )
        if language:
            text = self.tr("Language: {language}").format(language=language)
        elif found:
            text = self.tr("Language (from the code): {language}").format(language=", ".join(found))
        else:
            text = self.tr("No code block found")
        self.language_label.setText(text)
