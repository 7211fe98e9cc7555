"""Machine drafts of an instruction sample's fields (Kun's polished answer and back-translated
instruction, a CQIA rewrite), shown under the fields, each with a Take button.

A draft is shown beside what the sample holds now, so the reviewer compares the polished answer
with the raw passage still in the Output field. Judgements (a judge's score) are not shown here:
the verdict bar shows them beside the rating (:class:`widgets.verdict_bar.VerdictBar`).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from PySide6.QtCore import Signal
from PySide6.QtWidgets import QFrame, QHBoxLayout, QLabel, QPushButton, QVBoxLayout, QWidget

from widgets.text_fields import GrowingBrowser

FIELDS = ("system", "instruction", "input", "output")


def field_drafts(suggestions: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The pending drafts that propose instruction fields, newest first."""
    found = []
    for suggestion in suggestions:
        content = suggestion.get("content")
        if suggestion.get("state") != "pending" or not isinstance(content, dict) or not content:
            continue
        if set(content) <= set(FIELDS) and all(isinstance(value, str) for value in content.values()):
            found.append(suggestion)
    return found[::-1]


class DraftList(QWidget):
    """The drafts of the shown sample; :attr:`taken` when the reviewer takes one."""

    taken = Signal(int, dict)
    """The suggestion's id and the whole content with the draft put over it (as the pane shows it)."""

    def __init__(self, content: Callable[[], dict[str, Any]], parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._content = content
        self._boxes: list[QWidget] = []
        self._column = QVBoxLayout(self)
        self._column.setContentsMargins(0, 8, 0, 0)
        self.setVisible(False)

    def field_title(self, field: str) -> str:
        return {
            "system": self.tr("System prompt"),
            "instruction": self.tr("Instruction"),
            "input": self.tr("Input"),
            "output": self.tr("Output"),
        }[field]

    def show_drafts(self, suggestions: list[dict[str, Any]]) -> None:
        for box in self._boxes:
            self._column.removeWidget(box)
            box.deleteLater()
        self._boxes = []
        for draft in field_drafts(suggestions):
            box = self._box(draft)
            self._column.addWidget(box)
            self._boxes.append(box)
        self.setVisible(bool(self._boxes))

    def buttons(self) -> list[QPushButton]:
        return [box.findChild(QPushButton) for box in self._boxes]

    def _box(self, draft: dict[str, Any]) -> QWidget:
        box = QFrame()
        box.setFrameShape(QFrame.Shape.StyledPanel)
        layout = QVBoxLayout(box)
        header = QHBoxLayout()
        engine = draft.get("model") or draft.get("engine") or ""
        title = QLabel(self.tr("Machine draft · {task} · {engine}").format(task=draft.get("task", ""), engine=engine))
        bold = title.font()
        bold.setBold(True)
        title.setFont(bold)
        take = QPushButton(self.tr("Take this draft"))
        take.setToolTip(self.tr("Put the draft's fields into the sample (undoable)"))
        take.clicked.connect(lambda _checked=False, d=draft: self._take(d))
        header.addWidget(title, 1)
        header.addWidget(take)
        layout.addLayout(header)
        for field in FIELDS:
            if field not in draft["content"]:
                continue
            layout.addWidget(QLabel(self.field_title(field)))
            view = GrowingBrowser(min_height=32, max_height=600)
            view.setPlainText(draft["content"][field])
            layout.addWidget(view)
        return box

    def _take(self, draft: dict[str, Any]) -> None:
        self.taken.emit(int(draft["id"]), {**self._content(), **draft["content"]})
