"""The sample table's model: a million samples without holding a million rows.

The model holds only the ids of the current filter (a ``range`` or an ``array('q')``: 8 bytes a
sample), fetches the shown columns a page at a time when the view asks for them, and keeps the
last pages in an LRU. A page is valid for one *generation*: a new filter or a reload bumps the
counter instead of walking the cache. Rows are in id order, so finding a sample's row is a binary
search.

A text search that has to read rows (a 1–2 character term scanned for, or other conditions checked
on every hit) shows its first page at once and reads the whole id list in the background, on a
connection of its own: until it arrives the model holds the ids known so far (the first hits, plus
any sample asked for by :meth:`find_row` or brought in by a change), :meth:`total` is None and the
rows past the first hits have no known position. A new filter cancels a load still running.

Edits come in as :class:`~app.store.ops.Changes`: the cached rows of the changed samples are read
again (``dataChanged``); if the change can move samples in or out of the filter, a few samples are
checked one by one (``rowsRemoved``/``rowsInserted``), a bulk change re-reads the ids under
``layoutChanged`` with the persistent indexes moved to their samples' new rows, so the view keeps
its current sample and selection.
"""

from __future__ import annotations

import bisect
import logging
from array import array
from collections import OrderedDict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import replace
from enum import IntEnum
from pathlib import Path
from typing import Any

import orjson
from PySide6.QtCore import (
    QAbstractTableModel,
    QCoreApplication,
    QModelIndex,
    QObject,
    QPersistentModelIndex,
    Qt,
    Signal,
)

from app import i18n
from app.quality.flags import FLAG_TITLES
from app.store.ops import Changes
from app.store.project import Project
from app.store.query import (
    QueryCancelled,
    SampleFilter,
    SampleRow,
    first_sample_ids,
    sample_id_array,
    sample_ids,
    sample_rows,
    search_reads_rows,
)
from widgets.tasks import BackgroundTask, run_in_background

log = logging.getLogger("winnow.widgets.samples")

SAMPLE_ID_ROLE = Qt.ItemDataRole.UserRole + 1
"""The sample id of a row (int), for any column."""
FULL_TEXT_ROLE = Qt.ItemDataRole.UserRole + 2
"""The whole main text of the sample (the text column shows only its start)."""

PAGE_SIZE = 200
"""Rows read per query: a few screens, and one ``IN (…)`` query of 200 ids takes about a millisecond."""
MAX_PAGES = 16
"""Pages kept (3,200 rows): the screens around the current one and a few recent jumps."""
TEXT_CHARS = 80
"""Characters of the main text shown in the table; the tooltip shows up to TOOLTIP_CHARS."""
TOOLTIP_CHARS = 600
INCREMENTAL_LIMIT = 500
"""Changed samples checked one by one against the filter; more than this re-reads all the ids."""
FIRST_PAGE_BUDGET_S = 0.04
"""How long a search may look for its first page before showing what it found: 40 of the 100 ms a
search may take to show (a model reset and the paint take about 30 ms on the bench machine). A
common term fills the page in a few ms; a rare one shows what was found and the rest comes later."""
# Tables whose changes can move a sample into or out of a filter (status, label, rating, assignee,
# subset, deleted and the text live in samples; an import or its undo touches sources).
_MEMBERSHIP_TABLES = frozenset({"samples", "sample_flags"})
_RELOAD_TABLES = frozenset({"sources", "origins"})

Ids = Sequence[int]


class Column(IntEnum):
    ID = 0
    KIND = 1
    SUBSET = 2
    STATUS = 3
    LABEL = 4
    RATING = 5
    FLAGS = 6
    TEXT = 7


def _tr(text: str) -> str:
    return QCoreApplication.translate("SampleTableModel", text)


def display_names() -> dict[str, Any]:
    """Readable names in the current UI language: column ``headers`` and the values of ``kind``,
    ``status`` and ``label`` (the filter menus show the same words as the table)."""
    return {
        "headers": (
            _tr("Id"),
            _tr("Kind"),
            _tr("Subset"),
            _tr("Status"),
            _tr("Label"),
            _tr("Rating"),
            _tr("Flags"),
            _tr("Instruction"),
        ),
        "kind": {
            "instruction": _tr("Instruction"),
            "translation": _tr("Translation"),
            "chat": _tr("Chat"),
            "exam": _tr("Exam"),
            "code": _tr("Code"),
        },
        "status": {
            "new": _tr("New"),
            "in_review": _tr("In review"),
            "accepted": _tr("Accepted"),
            "rejected": _tr("Rejected"),
            "needs_fix": _tr("Needs fix"),
        },
        # The four COIG verification labels, short (the same words as the verdict bar).
        "label": {
            1: _tr("1 Usable"),
            2: _tr("2 Usable, keep source I/O"),
            3: _tr("3 Needs correction"),
            4: _tr("4 Unusable"),
        },
    }


def main_text(kind: str, content: dict[str, Any]) -> str:
    """The text a person recognises a sample by: the instruction, the first user turn, the question."""
    if kind == "chat":
        messages = content.get("messages") or []
        for message in messages:
            if message.get("role") == "user" and message.get("content"):
                return str(message["content"])
        return str(messages[0].get("content", "")) if messages else ""
    if kind == "translation":
        for side in ("target", "source"):
            part = content.get(side) or {}
            text = part.get("instruction") or part.get("input") or ""
            if text:
                return str(text)
        return ""
    if kind == "exam":
        return str(content.get("textbox_question") or content.get("textbox_q_instruction") or "")
    for key in ("instruction", "input", "output"):
        if content.get(key):
            return str(content[key])
    return ""


def one_line(text: str, limit: int) -> str:
    """The start of ``text`` on one line: newlines shown as ⏎, cut with … past ``limit`` characters."""
    head = text.strip()[: limit + 1].replace("\r\n", "\n").replace("\n", "⏎").replace("\t", " ")
    return head if len(head) <= limit else head[:limit] + "…"


def flags_cell(flags: Sequence[str]) -> str:
    """The Flags column: a mark and how many, which fits the narrow column in any language (the
    tooltip names them)."""
    return f"⚠ {len(flags)}" if flags else ""


def flag_title(flag: str) -> str:
    """A QA check's title in the UI language; any other flag by its name."""
    return i18n.display(FLAG_TITLES[flag]) if flag in FLAG_TITLES else flag


def flags_tooltip(flags: Sequence[str]) -> str:
    """One flag a line, by its title."""
    return "\n".join(flag_title(flag) for flag in flags)


class _Row:
    """One sample as the table shows it (display strings computed once, when the page is read)."""

    __slots__ = ("flags", "full_text", "values")

    def __init__(self, values: tuple[Any, ...], full_text: str, flags: tuple[str, ...] = ()) -> None:
        self.values = values
        self.full_text = full_text
        self.flags = flags


class _Page:
    __slots__ = ("generation", "rows")

    def __init__(self, generation: int, rows: dict[int, _Row]) -> None:
        self.generation = generation
        self.rows = rows


def _read_all_ids(
    path: Path,
    flt: SampleFilter,
    token: int,
    *,
    progress: Callable[[int], None],
    cancelled: Callable[[], bool],
) -> tuple[int, Ids | None]:
    """The ids of ``flt``, read in a pool thread on a connection of its own (a sqlite3 connection
    belongs to the thread that made it; in WAL mode this reader and the GUI's writer never wait for
    each other). None when cancelled: the query stops within a millisecond of being asked to."""
    project = Project.open(path)
    try:
        return token, sample_id_array(project, flt, cancelled=cancelled)
    except QueryCancelled:
        return token, None
    finally:
        # Not Project.close(): folding the WAL back is the writer's business when the project closes.
        project.db.close()


class SampleTableModel(QAbstractTableModel):
    """The samples of one filter of a project, one row each, in id order."""

    ids_loaded = Signal()
    """The whole id list of a search, read in the background, has come in: :meth:`total` is known."""

    def __init__(self, project: Project, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._project = project
        self._filter = SampleFilter()
        self._ids: Ids = range(0)
        self._complete = True
        self._known = 0
        """Leading rows known to be the filter's first samples (all the rows once complete)."""
        self._load: BackgroundTask | None = None
        self._load_token = 0
        self._touched_while_loading: set[int] = set()
        self._generation = 0
        self._pages: OrderedDict[int, _Page] = OrderedDict()
        self.fetch_count = 0
        """Pages read from the store since the model was made (the tests and the bench watch it)."""
        names = display_names()
        self._headers = names["headers"]
        self._kinds = names["kind"]
        self._statuses = names["status"]
        self._labels = names["label"]

    # ---------------------------------------------------------------------------------- public API

    @property
    def project(self) -> Project:
        return self._project

    def filter(self) -> SampleFilter:
        return self._filter

    def generation(self) -> int:
        return self._generation

    def set_filter(self, flt: SampleFilter) -> None:
        """Show the samples of ``flt`` (a model reset: the view's selection is cleared).

        A search that reads rows (:func:`~app.store.query.search_reads_rows`) shows the first page
        of hits it finds within :data:`FIRST_PAGE_BUDGET_S` and reads the rest in the background
        (:attr:`ids_loaded`); any other filter is read whole, now.
        """
        self.stop_loading()
        complete = True
        ids: Ids
        if search_reads_rows(flt):
            ids, complete = first_sample_ids(self._project, flt, PAGE_SIZE, budget=FIRST_PAGE_BUDGET_S)
        else:
            ids = sample_id_array(self._project, flt)
        self.beginResetModel()
        self._filter = flt
        self._ids = ids
        self._complete = complete
        self._known = len(ids)
        self._generation += 1
        self.endResetModel()
        if not complete:
            self._start_loading()

    def reload(self) -> None:
        """Read the ids of the filter again, keeping the view's current sample and selection.

        All of them, now, even if a background read was under way: after a bulk change the rows
        known so far may no longer be right.
        """
        was_loading = not self._complete
        self.stop_loading()
        ids = sample_id_array(self._project, self._filter)
        self._complete = True
        self._known = len(ids)
        self._relayout(ids)
        if was_loading:
            self.ids_loaded.emit()

    def apply_changes(self, changes: Changes) -> None:
        """Bring the rows up to date after an operation (or its undo)."""
        if not changes:
            return
        tables = changes.tables
        if tables & _RELOAD_TABLES or (tables & _MEMBERSHIP_TABLES and len(changes.sample_ids) > INCREMENTAL_LIMIT):
            self.reload()
            return
        touched = sorted(changes.sample_ids)
        if tables & _MEMBERSHIP_TABLES:
            if not self._complete:
                self._touched_while_loading.update(touched)
            self._update_membership(touched)
        self._refresh_rows(touched)

    def is_loading(self) -> bool:
        """Whether the whole id list of the filter is still being read."""
        return not self._complete

    def total(self) -> int | None:
        """How many samples the filter holds; None while they are being read."""
        return len(self._ids) if self._complete else None

    def known_rows(self) -> int:
        """Rows whose position in the whole list is known: all of them, or while loading the first hits."""
        return self._known

    def stop_loading(self) -> None:
        """Cancel a background read of the ids and drop whatever it would bring (the rows stay)."""
        self._load_token += 1
        task, self._load = self._load, None
        if task is not None:
            task.cancel()
            task.finished.disconnect(self._on_ids_read)
            task.failed.disconnect(self._on_load_failed)

    def row_of(self, sample_id: int) -> int | None:
        """The row of a sample among the rows held (while loading, the ids known so far)."""
        ids = self._ids
        row = bisect.bisect_left(ids, sample_id)
        return row if row < len(ids) and ids[row] == sample_id else None

    def find_row(self, sample_id: int) -> int | None:
        """The row of a sample, None if the filter does not hold it. While the ids are loading, a
        sample of the filter not read yet is checked in the store and added, past the first hits."""
        row = self.row_of(sample_id)
        if row is not None or self._complete:
            return row
        # Checked now, so the list read in the background must not overrule it (_on_ids_read).
        self._touched_while_loading.add(sample_id)
        self._update_membership([sample_id])
        return self.row_of(sample_id)

    def id_at(self, row: int) -> int:
        return self._ids[row]

    def ids(self) -> Ids:
        """The ids of the filter in row order (read only)."""
        return self._ids

    def cached_pages(self) -> list[int]:
        """Page numbers held in the cache for the current generation, in page order."""
        return sorted(n for n, page in self._pages.items() if page.generation == self._generation)

    # --------------------------------------------------------------------------------- Qt overrides

    def rowCount(self, parent: QModelIndex | QPersistentModelIndex = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self._ids)

    def columnCount(self, parent: QModelIndex | QPersistentModelIndex = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(Column)

    def flags(self, index: QModelIndex | QPersistentModelIndex) -> Qt.ItemFlag:
        if not index.isValid():
            return Qt.ItemFlag.NoItemFlags
        return Qt.ItemFlag.ItemIsEnabled | Qt.ItemFlag.ItemIsSelectable | Qt.ItemFlag.ItemNeverHasChildren

    def headerData(self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        horizontal = orientation == Qt.Orientation.Horizontal
        if role == Qt.ItemDataRole.DisplayRole and horizontal and 0 <= section < len(self._headers):
            return self._headers[section]
        return None

    def data(self, index: QModelIndex | QPersistentModelIndex, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid() or index.row() >= len(self._ids):
            return None
        row_number, column = index.row(), index.column()
        if role == SAMPLE_ID_ROLE:
            return self._ids[row_number]
        if role == Qt.ItemDataRole.TextAlignmentRole:
            if column in (Column.ID, Column.RATING):
                return Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter
            return Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter
        if role not in (Qt.ItemDataRole.DisplayRole, Qt.ItemDataRole.ToolTipRole, FULL_TEXT_ROLE):
            return None
        row = self._row(row_number)
        if row is None:
            return None
        if role == Qt.ItemDataRole.DisplayRole:
            return row.values[column]
        if role == FULL_TEXT_ROLE:
            return row.full_text
        if column == Column.LABEL and row.values[column]:  # tooltip
            return self._labels.get(int(row.values[column]), "")
        if column == Column.FLAGS and row.values[column]:  # tooltip: what each flag means
            return flags_tooltip(row.flags)
        if column == Column.TEXT and row.full_text:  # tooltip
            text = row.full_text.strip()
            return text if len(text) <= TOOLTIP_CHARS else text[:TOOLTIP_CHARS] + "…"
        return None

    # ------------------------------------------------------------------------------ background read

    def _start_loading(self) -> None:
        self._load_token += 1
        self._touched_while_loading = set()
        task = run_in_background(_read_all_ids, self._project.path, self._filter, self._load_token)
        task.finished.connect(self._on_ids_read)
        task.failed.connect(self._on_load_failed)
        self._load = task

    def _on_ids_read(self, result: tuple[int, Ids | None]) -> None:
        token, ids = result
        if token != self._load_token or ids is None:
            return  # a stale read, or a cancelled one
        self._load = None
        touched = self._touched_while_loading
        if touched:
            # Read on another connection, the list may be older than the changes made here since;
            # for the samples they touched, the rows held here are up to date (_update_membership).
            held = [i for i in self._ids if i in touched]
            fresh = array("q", (i for i in ids if i not in touched))
            for sample_id in held:
                fresh.insert(bisect.bisect_left(fresh, sample_id), sample_id)
            ids = fresh
        self._touched_while_loading = set()
        old = self._ids
        if len(ids) >= len(old) and list(ids[: len(old)]) == list(old):
            # The usual case: the rows held are the first hits; the rest come after them.
            if len(ids) > len(old):
                self.beginInsertRows(QModelIndex(), len(old), len(ids) - 1)
            self._ids, self._complete, self._known = ids, True, len(ids)
            if len(ids) > len(old):
                self.endInsertRows()
        else:  # samples asked for past the first hits: they move to their rows
            self._complete, self._known = True, len(ids)
            self._relayout(ids)
        self.ids_loaded.emit()

    def _on_load_failed(self, message: str) -> None:
        log.warning("reading the ids of %s in the background failed (%s); reading them here", self._filter, message)
        self._load = None
        self.reload()

    # ------------------------------------------------------------------------------------- paging

    def _row(self, row_number: int) -> _Row | None:
        sample_id = self._ids[row_number]
        page_number = row_number // PAGE_SIZE
        page = self._pages.get(page_number)
        if page is not None and page.generation == self._generation:
            self._pages.move_to_end(page_number)
            found = page.rows.get(sample_id)
            if found is not None:
                return found
        # Missing, stale, or rows shifted into this page by an insert/remove: read the page again.
        page = self._fetch_page(page_number)
        return page.rows.get(sample_id)

    def _fetch_page(self, page_number: int) -> _Page:
        start = page_number * PAGE_SIZE
        ids = self._ids[start : start + PAGE_SIZE]
        page = _Page(self._generation, {row[0]: self._make_row(row) for row in sample_rows(self._project, ids)})
        self.fetch_count += 1
        self._pages[page_number] = page
        self._pages.move_to_end(page_number)
        while len(self._pages) > MAX_PAGES:
            self._pages.popitem(last=False)
        return page

    def _make_row(self, row: SampleRow) -> _Row:
        sample_id, kind, subset, status, label, rating, _assignee, content_json, flags = row
        try:
            text = main_text(kind, orjson.loads(content_json))
        except (orjson.JSONDecodeError, AttributeError, TypeError):
            log.warning("sample %s: content is not a JSON object of its kind", sample_id)
            text = ""
        values = (
            str(sample_id),
            self._kinds.get(kind, kind),
            subset,
            self._statuses.get(status, status),
            # The digit only (the key that sets it); the label's name is in the tooltip.
            str(label) if label is not None else "",
            "★" * rating if rating else "",
            flags_cell(flags.split()),
            one_line(text, TEXT_CHARS),
        )
        return _Row(values, text, tuple(flags.split()))

    # ------------------------------------------------------------------------------------ changes

    def _refresh_rows(self, touched: Iterable[int]) -> None:
        """Read again the cached rows of these samples and tell the view."""
        cached: dict[int, _Page] = {}
        for page in self._pages.values():
            if page.generation == self._generation:
                for sample_id in touched:
                    if sample_id in page.rows:
                        cached[sample_id] = page
        if not cached:
            return
        fresh = {row[0]: row for row in sample_rows(self._project, sorted(cached))}
        last_column = len(Column) - 1
        for sample_id, page in cached.items():
            if sample_id in fresh:
                page.rows[sample_id] = self._make_row(fresh[sample_id])
            else:  # gone from the store (deleted for good): let the page be read again
                page.rows.pop(sample_id, None)
            row = self.row_of(sample_id)
            if row is not None:
                self.dataChanged.emit(self.index(row, 0), self.index(row, last_column))

    def _update_membership(self, touched: list[int]) -> None:
        """Remove the changed samples that left the filter and insert those that came in."""
        if not touched:
            return
        candidates = touched
        if self._filter.ids is not None:
            allowed = set(self._filter.ids)
            candidates = [i for i in touched if i in allowed]
        inside = set(sample_ids(self._project, replace(self._filter, ids=tuple(candidates)))) if candidates else set()
        leaving = [i for i in touched if i not in inside and self.row_of(i) is not None]
        coming = [i for i in touched if i in inside and self.row_of(i) is None]
        if not leaving and not coming:
            return
        ids = self._ids if isinstance(self._ids, array) else array("q", self._ids)
        self._ids = ids
        for sample_id in reversed(leaving):
            row = self.row_of(sample_id)
            assert row is not None
            self.beginRemoveRows(QModelIndex(), row, row)
            del ids[row]
            if row < self._known:
                self._known -= 1
            self.endRemoveRows()
        for sample_id in coming:
            row = bisect.bisect_left(ids, sample_id)
            self.beginInsertRows(QModelIndex(), row, row)
            ids.insert(row, sample_id)
            # While loading, a sample past the first hits has no known position yet.
            if self._complete or row < self._known:
                self._known += 1
            self.endInsertRows()

    def _relayout(self, new_ids: Ids) -> None:
        """Swap in a new id list as a layout change: persistent indexes follow their samples."""
        self.layoutAboutToBeChanged.emit()
        old_ids = self._ids
        persistent = self.persistentIndexList()
        moved: list[QModelIndex] = []
        for index in persistent:
            new_row = None
            if index.isValid() and index.row() < len(old_ids):
                sample_id = old_ids[index.row()]
                row = bisect.bisect_left(new_ids, sample_id)
                if row < len(new_ids) and new_ids[row] == sample_id:
                    new_row = row
            moved.append(self.createIndex(new_row, index.column()) if new_row is not None else QModelIndex())
        self._ids = new_ids
        self._generation += 1
        self.changePersistentIndexList(persistent, moved)
        self.layoutChanged.emit()
