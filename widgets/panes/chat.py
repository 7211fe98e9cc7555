"""The pane for chats: the turns as a conversation, the knowledge a CCMC chat is checked against beside it."""

from __future__ import annotations

import copy
import html
import json
from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QFrame, QLabel, QSplitter, QVBoxLayout, QWidget

from app.store.query import Sample
from widgets.panes.base import PaneContext, ReviewPane
from widgets.panes.drafts import DraftList, chat_parts
from widgets.text_fields import GrowingBrowser, GrowingTextEdit, ScrollForm, as_text, bold, put_value

# (background, border) per role: the person's turns blue, the model's green, the rest neutral.
ROLE_COLORS = {
    "system": ("#f2f2f2", "#d0d0d0"),
    "user": ("#eaf2ff", "#b6cdf2"),
    "assistant": ("#eaf7ee", "#b3dcbf"),
    "function_call": ("#fff6e0", "#ead29a"),
    "observation": ("#fff6e0", "#ead29a"),
}
# How far a turn is pushed in from the other side, so the two speakers read as two columns.
TURN_INDENT = 36


class ChatTurn(QFrame):
    """One message: the speaker's name above an editor for what they said."""

    def __init__(self, role: str, title: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.role = role
        self.setObjectName("turn")
        background, border = ROLE_COLORS.get(role, ROLE_COLORS["system"])
        self.setStyleSheet(
            f"QFrame#turn {{ background-color: {background}; border: 1px solid {border}; border-radius: 6px; }}"
        )
        self.title = bold(QLabel(title))
        self.editor = GrowingTextEdit(min_lines=1)
        self.title.setBuddy(self.editor)
        self.setFocusProxy(self.editor)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(8, 6, 8, 8)
        layout.setSpacing(3)
        layout.addWidget(self.title)
        layout.addWidget(self.editor)


class ChatPane(ReviewPane):
    """The messages as turns (system first), each editable; knowledge and tools read-only beside them."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.turns: list[ChatTurn] = []
        self._holders: list[QWidget] = []
        # Where each turn's text goes: ("messages", index) or ("system", None).
        self._targets: list[tuple[str, int | None]] = []

        self.conversation = ScrollForm()
        # A drafted chat (CCMC generation) above the turns, with Take; the knowledge stays beside it.
        self.drafts = DraftList(("messages",), lambda draft: chat_parts(draft, self.role_title), self.content)
        self.conversation.add(self.drafts)
        self.suggestion_taken = self.drafts.taken
        """A draft taken: its id and the whole content with it (forwarded by the KindStack)."""
        self.side = ScrollForm()
        self.knowledge_title = QLabel(self.tr("Knowledge"))
        self.knowledge = GrowingBrowser(min_height=60)
        self.tools_title = QLabel(self.tr("Tools"))
        self.tools = GrowingBrowser(min_height=60)
        for title in (self.knowledge_title, self.tools_title):
            bold(title)
        for widget in (self.knowledge_title, self.knowledge, self.tools_title, self.tools):
            self.side.add(widget)

        self.splitter = QSplitter(Qt.Orientation.Horizontal, self)
        self.splitter.setChildrenCollapsible(False)
        self.splitter.addWidget(self.conversation)
        self.splitter.addWidget(self.side)
        self.splitter.setStretchFactor(0, 3)
        self.splitter.setStretchFactor(1, 2)
        # The first layout shares the width 3:2 (QSplitter scales these to the width it gets).
        self.splitter.setSizes([600, 400])
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.splitter)

    def role_title(self, role: str) -> str:
        titles = {
            "system": self.tr("System"),
            "user": self.tr("User"),
            "assistant": self.tr("Assistant"),
            "function_call": self.tr("Function call"),
            "observation": self.tr("Tool result"),
        }
        return titles.get(role, role or self.tr("(no role)"))

    # ReviewPane ------------------------------------------------------------------------------

    def show_sample(self, sample: Sample, context: PaneContext) -> None:
        super().show_sample(sample, context)
        content = self._content
        for holder in self._holders:
            self.conversation.column.removeWidget(holder)
            holder.hide()
            holder.deleteLater()
        self.turns, self._targets, self._holders = [], [], []

        messages = content.get("messages") if isinstance(content.get("messages"), list) else []
        if "system" in content:
            self._add_turn("system", content.get("system"), ("system", None))
        # System messages first wherever they stand; content() keeps the stored order.
        order = sorted(range(len(messages)), key=lambda i: _role(messages[i]) != "system")
        for index in order:
            message = messages[index]
            if isinstance(message, dict):
                self._add_turn(_role(message), message.get("content", ""), ("messages", index))

        knowledge = content.get("knowledge")
        self.knowledge.setHtml(knowledge_html(knowledge) if knowledge else "")
        self.knowledge_title.setVisible(bool(knowledge))
        self.knowledge.setVisible(bool(knowledge))
        tools = content.get("tools")
        self.tools.setHtml(_pre(pretty_json(tools)) if tools else "")
        self.tools_title.setVisible(bool(tools))
        self.tools.setVisible(bool(tools))
        self.side.setVisible(bool(knowledge or tools))
        self.drafts.show_drafts(context.suggestions)
        self.conversation.verticalScrollBar().setValue(0)

    def content(self) -> dict[str, Any]:
        content = copy.deepcopy(self._content)
        for turn, (where, index) in zip(self.turns, self._targets, strict=True):
            if where == "system":
                put_value(content, "system", turn.editor.value())
            else:
                assert index is not None
                put_value(content["messages"][index], "content", turn.editor.value())
        return content

    def focus_first_field(self) -> None:
        if self.turns:
            self.turns[0].editor.setFocus()

    # Parts -----------------------------------------------------------------------------------

    def _add_turn(self, role: str, text: Any, target: tuple[str, int | None]) -> None:
        turn = ChatTurn(role, self.role_title(role))
        turn.editor.set_value(text)
        turn.editor.edited.connect(self._on_edited)
        holder = QWidget()
        row = QVBoxLayout(holder)
        left = TURN_INDENT if role == "assistant" else 0
        right = TURN_INDENT if role == "user" else 0
        row.setContentsMargins(left, 0, right, 0)
        row.addWidget(turn)
        self.conversation.add(holder)
        self._holders.append(holder)
        self.turns.append(turn)
        self._targets.append(target)


def _role(message: Any) -> str:
    return as_text(message.get("role", "")) if isinstance(message, dict) else ""


def pretty_json(value: Any) -> str:
    """A value as readable text: JSON (or a string holding JSON) indented, Chinese left as is."""
    if isinstance(value, str):
        try:
            value = json.loads(value)
        except ValueError:
            return value
        if isinstance(value, str):
            return value
    return json.dumps(value, ensure_ascii=False, indent=2)


def _pre(text: str) -> str:
    return f'<pre style="white-space:pre-wrap">{html.escape(text)}</pre>'


def knowledge_html(knowledge: Any) -> str:
    """CCMC knowledge as ``key: value`` lines, nested values pretty-printed."""
    if not isinstance(knowledge, dict):
        return _pre(pretty_json(knowledge))
    parts = []
    for key, value in knowledge.items():
        name = f"<b>{html.escape(str(key))}</b>"
        if isinstance(value, dict | list):
            parts.append(f"<p>{name}:</p>{_pre(pretty_json(value))}")
        else:
            parts.append(f"<p>{name}: {html.escape(as_text(value))}</p>")
    return "".join(parts)
