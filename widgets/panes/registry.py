"""Which pane reviews which kind of sample, and a stack that shows the right one."""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import Signal
from PySide6.QtWidgets import QStackedWidget, QWidget

from app.records import Kind
from app.store.query import Sample
from widgets.panes.base import PaneContext, ReviewPane
from widgets.panes.chat import ChatPane
from widgets.panes.code import CodePane
from widgets.panes.exam import ExamPane
from widgets.panes.instruction import InstructionPane
from widgets.panes.translation import TranslationPane

PANES: dict[Kind, type[ReviewPane]] = {
    Kind.INSTRUCTION: InstructionPane,
    Kind.TRANSLATION: TranslationPane,
    Kind.CHAT: ChatPane,
    Kind.EXAM: ExamPane,
    Kind.CODE: CodePane,
}


def pane_for_kind(kind: Kind | str) -> type[ReviewPane]:
    """The pane class for a kind; ``ValueError`` for a kind Winnow does not know."""
    return PANES[Kind(kind)]


class KindStack(QStackedWidget):
    """One pane per kind, made when first needed; shows the pane of the sample shown.

    Forwards the shown pane's :attr:`ReviewPane.content_edited` as its own :attr:`content_edited`, and
    the translation pane's ``suggestion_taken``.
    """

    content_edited = Signal(dict)
    """The person changed the shown sample: its whole new content."""
    suggestion_taken = Signal(int, dict)
    """The translation pane's :attr:`TranslationPane.suggestion_taken`: a draft (or one field of it) taken."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._panes: dict[Kind, ReviewPane] = {}

    def pane(self, kind: Kind | str) -> ReviewPane:
        """The pane for a kind, made on first use."""
        kind = Kind(kind)
        pane = self._panes.get(kind)
        if pane is None:
            pane = self._panes[kind] = pane_for_kind(kind)(self)
            pane.content_edited.connect(self.content_edited)
            taken = getattr(pane, "suggestion_taken", None)  # panes that show machine drafts
            if taken is not None:
                taken.connect(self.suggestion_taken)
            self.addWidget(pane)
        return pane

    def current_pane(self) -> ReviewPane | None:
        widget = self.currentWidget()
        return widget if isinstance(widget, ReviewPane) else None

    def show_sample(self, sample: Sample, context: PaneContext) -> ReviewPane:
        """Show a sample in its kind's pane (without emitting :attr:`content_edited`)."""
        pane = self.pane(sample.kind)
        pane.show_sample(sample, context)
        self.setCurrentWidget(pane)
        return pane

    def content(self) -> dict[str, Any]:
        pane = self.current_pane()
        return pane.content() if pane is not None else {}

    def focus_first_field(self) -> None:
        pane = self.current_pane()
        if pane is not None:
            pane.focus_first_field()
