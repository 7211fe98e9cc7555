"""Machine drafts of a sample, shown in its pane, each with a Take button: an instruction sample's
fields (Kun's polished answer and back-translated instruction, a CQIA rewrite), the exam fields (exam
extraction), a chat's messages (CCMC generation).

A draft is listed when it is pending and proposes only keys the pane edits. It is shown beside what
the sample holds now, so the reviewer compares the polished answer with the raw passage still in the
Output field. Taking it emits the whole content with the draft put over it; the window takes it
through ``actions.accept_suggestion`` (one undoable step). Judgements (a judge's score) are not shown
here: the verdict bar shows them beside the rating (:class:`widgets.verdict_bar.VerdictBar`).
"""

from __future__ import annotations

from collections.abc import Callable, Collection
from typing import Any

from PySide6.QtCore import Signal
from PySide6.QtWidgets import QFrame, QHBoxLayout, QLabel, QPushButton, QVBoxLayout, QWidget

from widgets.text_fields import GrowingBrowser, as_text, bold

Render = Callable[[dict[str, Any]], list[tuple[str, str]]]
"""A draft's content → (title, text) parts to show."""


def pending_drafts(
    suggestions: list[dict[str, Any]], keys: Collection[str], *, text_only: bool = False
) -> list[dict[str, Any]]:
    """The pending drafts proposing nothing but ``keys`` (``text_only``: and only text), newest first."""
    found = []
    for suggestion in suggestions:
        content = suggestion.get("content")
        if suggestion.get("state") != "pending" or not isinstance(content, dict) or not content:
            continue
        if set(content) <= set(keys) and (not text_only or all(isinstance(value, str) for value in content.values())):
            found.append(suggestion)
    return found[::-1]


class DraftList(QWidget):
    """The drafts of the shown sample for one pane; :attr:`taken` when the reviewer takes one.

    ``keys``: what a draft may propose; ``render``: its content as (title, text) parts;
    ``content``: the pane's content, which a taken draft is put over. ``take_tip``, ``min_height``
    and ``panel`` (a plain panel frame instead of a dashed border) let a pane keep its look.
    """

    taken = Signal(int, dict)
    """The suggestion's id and the whole content with the draft put over it (as the pane shows it)."""

    def __init__(
        self,
        keys: Collection[str],
        render: Render,
        content: Callable[[], dict[str, Any]],
        *,
        text_only: bool = False,
        take_tip: str = "",
        min_height: int = 28,
        panel: bool = False,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self._keys = tuple(keys)
        self._render = render
        self._content = content
        self._text_only = text_only
        self._take_tip = take_tip or self.tr("Put the draft into the sample (undoable)")
        self._min_height = min_height
        self._panel = panel
        self._boxes: list[QWidget] = []
        self._column = QVBoxLayout(self)
        self._column.setContentsMargins(0, 0, 0, 0)
        self.setVisible(False)

    def show_drafts(self, suggestions: list[dict[str, Any]]) -> None:
        for box in self._boxes:
            self._column.removeWidget(box)
            box.hide()
            box.deleteLater()
        self._boxes = []
        for draft in pending_drafts(suggestions, self._keys, text_only=self._text_only):
            box = self._box(draft)
            self._column.addWidget(box)
            self._boxes.append(box)
        self.setVisible(bool(self._boxes))

    def buttons(self) -> list[QPushButton]:
        return [box.findChild(QPushButton) for box in self._boxes]

    def _box(self, draft: dict[str, Any]) -> QWidget:
        box = QFrame()
        if self._panel:
            box.setFrameShape(QFrame.Shape.StyledPanel)
        else:
            box.setObjectName("draft")
            box.setStyleSheet("QFrame#draft { border: 1px dashed #9aa7b8; border-radius: 6px; }")
        layout = QVBoxLayout(box)
        header = QHBoxLayout()
        engine = draft.get("model") or draft.get("engine") or ""
        title = bold(
            QLabel(self.tr("Machine draft · {task} · {engine}").format(task=draft.get("task", ""), engine=engine))
        )
        take = QPushButton(self.tr("Take this draft"))
        take.setToolTip(self._take_tip)
        take.clicked.connect(lambda _checked=False, d=draft: self._take(d))
        header.addWidget(title, 1)
        header.addWidget(take)
        layout.addLayout(header)
        for part_title, text in self._render(draft["content"]):
            label = QLabel(part_title)
            label.setWordWrap(True)
            layout.addWidget(label)
            view = GrowingBrowser(min_height=self._min_height, max_height=600)
            view.setPlainText(text)
            layout.addWidget(view)
        return box

    def _take(self, draft: dict[str, Any]) -> None:
        self.taken.emit(int(draft["id"]), {**self._content(), **draft["content"]})


def chat_parts(content: dict[str, Any], role_title: Callable[[str], str]) -> list[tuple[str, str]]:
    """A chat draft's messages as (speaker, text) parts."""
    messages = content.get("messages")
    if not isinstance(messages, list):
        return []
    parts = []
    for message in messages:
        if isinstance(message, dict):
            parts.append((role_title(as_text(message.get("role", ""))), as_text(message.get("content", ""))))
    return parts
