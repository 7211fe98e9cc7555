"""The sample list of the review window: a filter bar, the table and the position ("1,320 / 5,087").

The browser never runs SQL: it reads through :mod:`app.store.query` and shows rows through
:class:`~widgets.sample_model.SampleTableModel`. It installs no shortcuts of its own (the main window
owns them): the table keeps its usual arrow, page and Home/End keys, and the search box its text keys.
"""

from __future__ import annotations

import logging
from dataclasses import replace
from typing import Any

from PySide6.QtCore import QEvent, QItemSelectionModel, QModelIndex, QObject, Qt, QTimer, Signal
from PySide6.QtGui import QKeyEvent, QMouseEvent
from PySide6.QtWidgets import (
    QAbstractItemView,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QMenu,
    QTableView,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from app.store.ops import Changes
from app.store.project import Project
from app.store.query import SampleFilter, distinct_values, next_id
from app.store.schema import SAMPLE_STATUSES
from widgets.sample_model import Column, SampleTableModel, display_names, flag_title

log = logging.getLogger("winnow.widgets.samples")

SEARCH_DELAY_MS = 250
"""Typing pauses shorter than this do not search: each search re-reads the ids of the filter."""
UNDECIDED = ("new", "in_review")
# Tables whose changes can add or remove a choice in the filter menus (a new subset, flag, assignee),
# and the operations on them that cannot (the verdict path: skip four queries per decision).
_CHOICE_TABLES = frozenset({"samples", "sample_flags", "sources"})
_NO_NEW_CHOICES = frozenset(
    {"add_review", "edit_content", "revert_to_version", "set_status", "set_label", "set_rating"}
)


class _StayOpenMenu(QMenu):
    """A menu of check boxes that stays open while several are ticked with the mouse."""

    def mouseReleaseEvent(self, event: QMouseEvent) -> None:
        action = self.activeAction()
        if action is not None and action.isCheckable() and action.isEnabled():
            action.trigger()
            return
        super().mouseReleaseEvent(event)


class ChoiceButton(QToolButton):
    """A compact multi-select filter: a button showing what is chosen, a menu of check boxes."""

    changed = Signal()

    def __init__(self, title: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._title = title
        self._actions: dict[Any, Any] = {}
        self.setPopupMode(QToolButton.ToolButtonPopupMode.InstantPopup)
        self.setMenu(_StayOpenMenu(self))
        self._update_text()

    def set_choices(self, choices: list[tuple[Any, str]]) -> None:
        """Offer these ``(value, text)`` choices, keeping the ticks on values still offered."""
        kept = set(self.values())
        menu = self.menu()
        menu.clear()
        every = menu.addAction(self.tr("All"))
        every.triggered.connect(self.clear)
        menu.addSeparator()
        self._actions = {}
        for value, text in choices:
            action = menu.addAction(text)
            action.setCheckable(True)
            action.setChecked(value in kept)
            action.toggled.connect(self._on_toggled)
            self._actions[value] = action
        self.setEnabled(bool(choices))
        self._update_text()
        if kept != set(self.values()):
            self.changed.emit()

    def values(self) -> tuple[Any, ...]:
        return tuple(value for value, action in self._actions.items() if action.isChecked())

    def set_values(self, values: tuple[Any, ...]) -> None:
        wanted = set(values)
        for value, action in self._actions.items():
            action.blockSignals(True)
            action.setChecked(value in wanted)
            action.blockSignals(False)
        self._update_text()

    def clear(self) -> None:
        if self.values():
            self.set_values(())
            self.changed.emit()

    def _on_toggled(self) -> None:
        self._update_text()
        self.changed.emit()

    def _update_text(self) -> None:
        chosen = [action.text() for action in self._actions.values() if action.isChecked()]
        if not chosen:
            self.setText(self._title)
        elif len(chosen) == 1:
            self.setText(f"{self._title}: {chosen[0]}")
        else:
            self.setText(f"{self._title} ({len(chosen)})")
        self.setToolTip(", ".join(chosen) if chosen else self.tr("{title}: all").format(title=self._title))


class SampleTableView(QTableView):
    """The table: Home and End go to the first and last sample (a list of rows, not of cells)."""

    def moveCursor(self, cursorAction: QAbstractItemView.CursorAction, modifiers: Qt.KeyboardModifier) -> QModelIndex:
        model = self.model()
        if (
            model is not None
            and model.rowCount()
            and cursorAction
            in (
                QAbstractItemView.CursorAction.MoveHome,
                QAbstractItemView.CursorAction.MoveEnd,
            )
        ):
            row = 0 if cursorAction == QAbstractItemView.CursorAction.MoveHome else model.rowCount() - 1
            column = max(self.currentIndex().column(), 0)
            return model.index(row, column)
        return super().moveCursor(cursorAction, modifiers)


class SampleBrowser(QWidget):
    """Filters, the sample table and the position of the current sample in the filtered list."""

    current_sample_changed = Signal(int)
    """The current sample's id, or -1 when there is none."""
    filter_changed = Signal(object)
    """The new :class:`~app.store.query.SampleFilter` (emitted after the table shows it)."""

    def __init__(self, parent: QWidget | None = None, project: Project | None = None) -> None:
        super().__init__(parent)
        self._project: Project | None = None
        self._model: SampleTableModel | None = None
        self._emitted_id = -1
        self._quiet = False  # inside a refresh or a filter change: one signal at the end, not several
        self._build()
        if project is not None:
            self.set_project(project)

    # ------------------------------------------------------------------------------------- build

    def _build(self) -> None:
        names = display_names()
        headers = names["headers"]
        self.search_edit = QLineEdit(self)
        self.search_edit.setPlaceholderText(self.tr("Search the text…"))
        self.search_edit.setClearButtonEnabled(True)
        self.search_edit.setToolTip(self.tr("Full-text search: every word must occur. Enter searches now, Esc clears."))
        self.search_edit.installEventFilter(self)
        self._search_timer = QTimer(self)
        self._search_timer.setSingleShot(True)
        self._search_timer.setInterval(SEARCH_DELAY_MS)
        self._search_timer.timeout.connect(self._apply_filter)
        self.search_edit.textChanged.connect(self._search_timer.start)
        self.search_edit.returnPressed.connect(self._apply_filter)

        self.position_label = QLabel("0 / 0", self)
        self.position_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.position_label.setToolTip(self.tr("Current sample / samples in the list"))

        self.status_button = ChoiceButton(headers[Column.STATUS], self)
        self.label_button = ChoiceButton(headers[Column.LABEL], self)
        self.rating_button = ChoiceButton(headers[Column.RATING], self)
        self.subset_button = ChoiceButton(headers[Column.SUBSET], self)
        self.kind_button = ChoiceButton(headers[Column.KIND], self)
        self.flag_button = ChoiceButton(headers[Column.FLAGS], self)
        self.assignee_button = ChoiceButton(self.tr("Assignee"), self)
        self._buttons = {
            "status": self.status_button,
            "label": self.label_button,
            "rating": self.rating_button,
            "subset": self.subset_button,
            "kind": self.kind_button,
            "flag": self.flag_button,
            "assignee": self.assignee_button,
        }
        self.status_button.set_choices([(s, names["status"].get(s, s)) for s in SAMPLE_STATUSES])
        self.label_button.set_choices(list(names["label"].items()))
        self.rating_button.set_choices([(n, "★" * n) for n in range(1, 6)])
        for button in self._buttons.values():
            button.changed.connect(self._apply_filter)

        self.table = SampleTableView(self)
        self._setup_table(headers)

        top = QHBoxLayout()
        top.setContentsMargins(0, 0, 0, 0)
        top.addWidget(self.search_edit, 1)
        top.addWidget(self.position_label)
        filters = QHBoxLayout()
        filters.setContentsMargins(0, 0, 0, 0)
        filters.setSpacing(2)
        for button in self._buttons.values():
            filters.addWidget(button)
        filters.addStretch(1)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addLayout(top)
        layout.addLayout(filters)
        layout.addWidget(self.table, 1)
        self._update_position()

    def _setup_table(self, headers: tuple[str, ...]) -> None:
        table = self.table
        table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        table.setSelectionMode(QAbstractItemView.SelectionMode.ExtendedSelection)
        table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        table.setWordWrap(False)
        table.setTextElideMode(Qt.TextElideMode.ElideRight)
        table.setShowGrid(False)
        table.setAlternatingRowColors(True)
        table.setTabKeyNavigation(False)  # Tab leaves the table for the review pane
        table.setCornerButtonEnabled(False)
        table.setSortingEnabled(False)
        table.setHorizontalScrollMode(QAbstractItemView.ScrollMode.ScrollPerPixel)
        rows = table.verticalHeader()
        rows.hide()
        # Fixed heights: the view never measures a row, whatever the row count.
        rows.setSectionResizeMode(QHeaderView.ResizeMode.Fixed)
        rows.setDefaultSectionSize(table.fontMetrics().height() + 6)
        columns = table.horizontalHeader()
        columns.setHighlightSections(False)
        columns.setStretchLastSection(True)
        columns.setSectionResizeMode(QHeaderView.ResizeMode.Interactive)
        self._column_widths = self._default_widths(headers)

    def _default_widths(self, headers: tuple[str, ...]) -> dict[int, int]:
        """Widths from the font (never from the rows: sizing to contents would read every row)."""
        metrics = self.table.fontMetrics()
        pad = 16

        def fits(*texts: str) -> int:
            return max(metrics.horizontalAdvance(t) for t in texts) + pad

        names = display_names()
        return {
            Column.ID: fits(headers[Column.ID], "0000000"),
            Column.KIND: fits(headers[Column.KIND], *names["kind"].values()),
            Column.SUBSET: fits(headers[Column.SUBSET], "翻译指令"),
            Column.STATUS: fits(headers[Column.STATUS], *names["status"].values()),
            # Narrow decision columns so the instruction text is in view beside the review pane.
            Column.LABEL: fits(headers[Column.LABEL], "4"),
            Column.RATING: fits(headers[Column.RATING], "★★★★★"),
            Column.FLAGS: fits(headers[Column.FLAGS]),
        }

    # ---------------------------------------------------------------------------------- public API

    def set_project(self, project: Project | None) -> None:
        """Show a project's samples, every filter cleared; no sample is current until one is selected."""
        old_model = self._model
        old_selection = self.table.selectionModel()
        self._search_timer.stop()
        self._project = project
        self._model = None
        for button in self._buttons.values():
            button.set_values(())
        self.search_edit.blockSignals(True)
        self.search_edit.clear()
        self.search_edit.blockSignals(False)
        if project is not None:
            self._populate_choices()
            model = SampleTableModel(project, self)
            model.set_filter(SampleFilter())
            self._model = model
            self.table.setModel(model)
            for column, width in self._column_widths.items():
                self.table.setColumnWidth(column, width)
            for signal in (
                model.modelReset,
                model.layoutChanged,
                model.rowsInserted,
                model.rowsRemoved,
                model.ids_loaded,
            ):
                signal.connect(self._update_position)
            self.table.selectionModel().currentRowChanged.connect(self._on_current_row_changed)
        else:
            self.table.setModel(None)
        if old_selection is not None:
            old_selection.deleteLater()
        if old_model is not None:
            old_model.stop_loading()
            old_model.deleteLater()
        self._emit_current()

    def model(self) -> SampleTableModel | None:
        return self._model

    def filter(self) -> SampleFilter:
        """The filter the table shows."""
        return self._model.filter() if self._model is not None else SampleFilter()

    def set_filter(self, flt: SampleFilter) -> None:
        """Show ``flt`` and set the filter bar to match (``ids`` are kept but not shown in the bar)."""
        for column, button in self._buttons.items():
            button.set_values(getattr(flt, column))
        self.search_edit.blockSignals(True)
        self.search_edit.setText(flt.text)
        self.search_edit.blockSignals(False)
        self._show_filter(flt)

    def current_sample_id(self) -> int:
        """The current sample's id, or -1."""
        index = self.table.currentIndex()
        if self._model is None or not index.isValid():
            return -1
        return self._model.id_at(index.row())

    def select_sample(self, sample_id: int) -> bool:
        """Make a sample current and selected, scrolled into view; False if the list does not hold it."""
        if self._model is None:
            return False
        row = self._model.find_row(sample_id)
        if row is None:
            return False
        self._select_row(row)
        return True

    def select_first(self) -> bool:
        if self._model is None or self._model.rowCount() == 0:
            return False
        self._select_row(0)
        return True

    def step(self, delta: int) -> None:
        """Move the current row by ``delta`` (negative: up), stopping at either end."""
        if self._model is None or self._model.rowCount() == 0:
            return
        current = self.table.currentIndex()
        row = current.row() + delta if current.isValid() else 0
        self._select_row(max(0, min(self._model.rowCount() - 1, row)))

    def next_undecided(self, after_id: int) -> int | None:
        """The next sample after ``after_id`` in the list whose status is new or in review, wrapping
        around to the start; None if there is no other."""
        if self._project is None:
            return None
        flt = self.filter()
        statuses = tuple(s for s in UNDECIDED if not flt.status or s in flt.status)
        if not statuses:
            return None
        return next_id(self._project, replace(flt, status=statuses), after_id)

    def refresh(self, changes: Changes) -> None:
        """Show what an operation changed, keeping the current sample if the list still holds it
        (else the one that took its place)."""
        if self._model is None or not changes:
            return
        keep_id = self.current_sample_id()
        keep_row = self.table.currentIndex().row()
        was_quiet, self._quiet = self._quiet, True
        try:
            self._model.apply_changes(changes)
            if changes.tables & _CHOICE_TABLES and changes.name not in _NO_NEW_CHOICES:
                self._populate_choices()
            if keep_id != -1 and self.current_sample_id() != keep_id and not self.select_sample(keep_id):
                self._select_near(keep_row)
        finally:
            self._quiet = was_quiet
        self._emit_current()

    def selected_ids(self) -> list[int]:
        """Ids of the selected rows in list order (the current one if nothing is selected)."""
        if self._model is None:
            return []
        ids = self._model.ids()
        rows: set[int] = set()
        for span in self.table.selectionModel().selection():
            rows.update(range(span.top(), span.bottom() + 1))
        if not rows:
            current = self.current_sample_id()
            return [current] if current != -1 else []
        return [ids[row] for row in sorted(rows)]

    def focus_search(self) -> None:
        self.search_edit.setFocus(Qt.FocusReason.ShortcutFocusReason)
        self.search_edit.selectAll()

    def focus_table(self) -> None:
        self.table.setFocus(Qt.FocusReason.OtherFocusReason)

    # ------------------------------------------------------------------------------------ internal

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if watched is self.search_edit and event.type() == QEvent.Type.KeyPress:
            key_event = event if isinstance(event, QKeyEvent) else None
            if key_event is not None and key_event.key() == Qt.Key.Key_Escape and self.search_edit.text():
                self.search_edit.clear()
                self._apply_filter()
                return True
        return super().eventFilter(watched, event)

    def _bar_filter(self) -> SampleFilter:
        base = self.filter()
        values = {column: button.values() for column, button in self._buttons.items()}
        return replace(base, text=" ".join(self.search_edit.text().split()), **values)

    def _apply_filter(self) -> None:
        self._search_timer.stop()
        self._show_filter(self._bar_filter())

    def _show_filter(self, flt: SampleFilter) -> None:
        if self._model is None or flt == self._model.filter():
            return
        keep_id = self.current_sample_id()
        was_quiet, self._quiet = self._quiet, True
        try:
            self._model.set_filter(flt)
            if keep_id == -1 or not self.select_sample(keep_id):
                self.select_first()
        finally:
            self._quiet = was_quiet
        self._update_position()
        self._emit_current()
        self.filter_changed.emit(flt)

    def _populate_choices(self) -> None:
        if self._project is None:
            return
        kinds = display_names()["kind"]
        self.subset_button.set_choices([(v, v or self.tr("(none)")) for v in distinct_values(self._project, "subset")])
        self.kind_button.set_choices([(v, kinds.get(v, v)) for v in distinct_values(self._project, "kind")])
        self.flag_button.set_choices([(v, flag_title(v)) for v in distinct_values(self._project, "flag")])
        self.assignee_button.set_choices([(v, v) for v in distinct_values(self._project, "assignee")])

    def _select_row(self, row: int) -> None:
        assert self._model is not None
        index = self._model.index(row, 0)
        self.table.selectionModel().setCurrentIndex(
            index,
            QItemSelectionModel.SelectionFlag.ClearAndSelect | QItemSelectionModel.SelectionFlag.Rows,
        )
        self.table.scrollTo(index, QAbstractItemView.ScrollHint.EnsureVisible)

    def _select_near(self, row: int) -> None:
        """After the current sample left the list: the sample now at its row (or the last one)."""
        assert self._model is not None
        count = self._model.rowCount()
        if count == 0:
            self.table.selectionModel().clearCurrentIndex()
        else:
            self._select_row(max(0, min(row, count - 1)))

    def _on_current_row_changed(self, current: QModelIndex, previous: QModelIndex) -> None:
        if not self._quiet:
            self._emit_current()

    def _emit_current(self) -> None:
        self._update_position()
        sample_id = self.current_sample_id()
        if sample_id != self._emitted_id:
            self._emitted_id = sample_id
            self.current_sample_changed.emit(sample_id)

    def _update_position(self) -> None:
        model = self._model
        count = model.rowCount() if model is not None else 0
        index = self.table.currentIndex()
        current = index.row() + 1 if count and index.isValid() else 0
        if model is None or not model.is_loading():
            text = self.tr("{current} / {count}").format(current=f"{current:,}", count=f"{count:,}")
        else:
            # Still counting: the first hits are numbered, a sample found past them is not yet.
            known = model.known_rows()
            text = self.tr("{current} / {count}+ …").format(
                current=f"{current:,}" if current <= known else "…", count=f"{known:,}"
            )
        self.position_label.setText(text)
