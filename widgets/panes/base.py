"""What every review pane is: an editor for one sample's content, fitted to its kind.

The main window owns saving. A pane shows a sample (:meth:`ReviewPane.show_sample`), lets the person
edit it, and emits :attr:`ReviewPane.content_edited` with the whole new content dict whenever the
text changes (the window debounces and saves through ``app.store.actions.edit_content``). A pane
never runs SQL and never calls ``app.store.actions`` itself: it reads what it needs from the
:class:`PaneContext` it is given.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass, field
from typing import Any

from PySide6.QtCore import Signal
from PySide6.QtWidgets import QWidget

from app.store.query import Sample


@dataclass
class PaneContext:
    """What a pane may show beside the content, read by the window from the store."""

    suggestions: list[dict[str, Any]] = field(default_factory=list)
    """Machine drafts: ``{"id", "task", "engine", "model", "state", "content"}``, newest last."""
    revisions: list[dict[str, Any]] = field(default_factory=list)
    """``{"version", "content", "author", "reason", "created_at"}``; empty until the first edit."""
    origin: dict[str, Any] | None = None
    """``{"path", "file", "format", "line", "member", "raw", "hash"}`` of the imported record."""


class ReviewPane(QWidget):
    """Base of the kind panes. Every subclass defines:

    ``show_sample(sample: Sample, context: PaneContext) -> None``
        Show a sample, replacing whatever was shown, without emitting ``content_edited``.
    ``content() -> dict``
        The content as currently shown, edits included (same shape as ``Sample.content``).
    """

    content_edited = Signal(dict)
    """The person changed the text: the whole new content (same shape as ``Sample.content``)."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._content: dict[str, Any] = {}
        """The content shown, as the store gave it: ``content()`` writes the edited fields into a copy."""

    def show_sample(self, sample: Sample, context: PaneContext) -> None:
        """Subclasses call this first: it keeps a copy of the content for ``content()`` to edit."""
        self.setEnabled(True)
        self._content = copy.deepcopy(sample.content)

    def content(self) -> dict[str, Any]:
        return {}

    def _on_edited(self, _text: str = "") -> None:
        """A field changed: emit the whole content (connected to each field's ``edited``)."""
        self.content_edited.emit(self.content())

    def focus_first_field(self) -> None:
        """Put the cursor in the first editable field (the window's Enter/E key does this)."""
        self.focusNextChild()
