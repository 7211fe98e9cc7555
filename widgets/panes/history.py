"""A sample's revision history, with "revert to this version", and the record as it was imported."""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QFormLayout,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QPlainTextEdit,
    QPushButton,
    QSplitter,
    QTreeWidget,
    QTreeWidgetItem,
    QVBoxLayout,
    QWidget,
)

from app.store.query import Sample
from widgets.panes.base import PaneContext
from widgets.text_fields import GrowingTextEdit, bold, mono_font

VERSION_ROLE = Qt.ItemDataRole.UserRole


def pretty_raw(raw: str) -> str:
    """The imported text, indented if it is JSON (Chinese left as is), else exactly as read."""
    try:
        value = json.loads(raw)
    except ValueError:
        return raw
    if not isinstance(value, dict | list):
        return raw
    return json.dumps(value, ensure_ascii=False, indent=2)


def when(created_at: str) -> str:
    """An ISO timestamp in local time, to the second."""
    try:
        moment = datetime.fromisoformat(created_at)
    except (TypeError, ValueError):
        return str(created_at or "")
    if moment.tzinfo is not None:
        moment = moment.astimezone()
    return moment.strftime("%Y-%m-%d %H:%M:%S")


class HistoryPanel(QWidget):
    """Revisions (version, who, when, why) above the origin record, both read-only."""

    revert_requested = Signal(int)
    """The person asked to make this version's content current again."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._revisions: list[dict[str, Any]] = []
        self._current_version: int | None = None

        self.revisions = QTreeWidget()
        self.revisions.setRootIsDecorated(False)
        self.revisions.setUniformRowHeights(True)
        self.revisions.setAlternatingRowColors(True)
        self.revisions.setHeaderLabels([self.tr("Version"), self.tr("By"), self.tr("When"), self.tr("Reason")])
        header = self.revisions.header()
        header.setStretchLastSection(True)
        for column in range(3):
            header.setSectionResizeMode(column, QHeaderView.ResizeMode.ResizeToContents)
        self.revisions.currentItemChanged.connect(self._on_selected)
        self.revert_button = QPushButton(self.tr("Revert to this version"))
        self.revert_button.setEnabled(False)
        self.revert_button.clicked.connect(self._on_revert)
        self.empty_label = QLabel(self.tr("No edits yet: the content is as imported."))
        self.revision_content = GrowingTextEdit(min_lines=3, max_lines=12, read_only=True, monospace=True)

        revisions_box = QWidget()
        top = QVBoxLayout(revisions_box)
        top.setContentsMargins(0, 0, 0, 0)
        top.addWidget(bold(QLabel(self.tr("Revisions"))))
        top.addWidget(self.empty_label)
        top.addWidget(self.revisions, 1)
        buttons = QHBoxLayout()
        buttons.addStretch(1)
        buttons.addWidget(self.revert_button)
        top.addLayout(buttons)
        top.addWidget(self.revision_content)

        self.origin_fields: dict[str, QLabel] = {}
        origin_box = QWidget()
        bottom = QVBoxLayout(origin_box)
        bottom.setContentsMargins(0, 0, 0, 0)
        bottom.addWidget(bold(QLabel(self.tr("Origin (as imported)"))))
        form = QFormLayout()
        labels = {
            "file": self.tr("File"),
            "line": self.tr("Line"),
            "member": self.tr("Member"),
            "format": self.tr("Format"),
        }
        for key, text in labels.items():
            value = QLabel()
            value.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
            value.setWordWrap(True)
            form.addRow(text, value)
            self.origin_fields[key] = value
        bottom.addLayout(form)
        # The raw record can be long: it takes the room left and scrolls inside it.
        self.raw = QPlainTextEdit()
        self.raw.setReadOnly(True)
        self.raw.setFont(mono_font())
        bottom.addWidget(self.raw, 1)

        splitter = QSplitter(Qt.Orientation.Vertical, self)
        splitter.setChildrenCollapsible(False)
        splitter.addWidget(revisions_box)
        splitter.addWidget(origin_box)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(8, 8, 8, 8)
        layout.addWidget(splitter)

    # Showing ---------------------------------------------------------------------------------

    def show_sample(self, sample: Sample, context: PaneContext) -> None:
        self.show_history(context.revisions, context.origin, current_version=sample.version)

    def show_history(
        self,
        revisions: list[dict[str, Any]],
        origin: dict[str, Any] | None,
        *,
        current_version: int | None = None,
    ) -> None:
        """Show revisions (oldest first, as the store gives them; listed newest first) and the origin."""
        self._revisions = list(revisions)
        self._current_version = current_version
        self.revisions.clear()
        for revision in reversed(self._revisions):
            version = revision.get("version")
            item = QTreeWidgetItem(
                [
                    str(version),
                    str(revision.get("author") or ""),
                    when(revision.get("created_at", "")),
                    str(revision.get("reason") or ""),
                ]
            )
            item.setData(0, VERSION_ROLE, version)
            item.setToolTip(3, str(revision.get("reason") or ""))
            self.revisions.addTopLevelItem(item)
        has_revisions = bool(self._revisions)
        self.empty_label.setVisible(not has_revisions)
        self.revision_content.setVisible(has_revisions)
        self.revision_content.set_value("")
        self.revert_button.setEnabled(False)
        self._show_origin(origin)

    def _show_origin(self, origin: dict[str, Any] | None) -> None:
        origin = origin or {}
        self.origin_fields["file"].setText(str(origin.get("path") or origin.get("file") or self.tr("unknown")))
        self.origin_fields["line"].setText(str(origin.get("line", "")))
        self.origin_fields["member"].setText(str(origin.get("member") or "—"))
        self.origin_fields["format"].setText(str(origin.get("format") or ""))
        self.raw.setPlainText(pretty_raw(str(origin.get("raw") or "")))

    def selected_version(self) -> int | None:
        item = self.revisions.currentItem()
        return None if item is None else item.data(0, VERSION_ROLE)

    def select_version(self, version: int) -> None:
        for index in range(self.revisions.topLevelItemCount()):
            item = self.revisions.topLevelItem(index)
            if item.data(0, VERSION_ROLE) == version:
                self.revisions.setCurrentItem(item)
                return

    # Reverting -------------------------------------------------------------------------------

    def _on_selected(self, current: QTreeWidgetItem | None, _previous: QTreeWidgetItem | None) -> None:
        version = None if current is None else current.data(0, VERSION_ROLE)
        revision = next((r for r in self._revisions if r.get("version") == version), None)
        content = revision.get("content") if revision else None
        self.revision_content.set_value(
            json.dumps(content, ensure_ascii=False, indent=2) if content is not None else ""
        )
        self.revert_button.setEnabled(version is not None and version != self._current_version)

    def _on_revert(self) -> None:
        version = self.selected_version()
        if version is not None:
            self.revert_requested.emit(int(version))
