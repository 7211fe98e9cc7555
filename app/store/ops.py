"""The machinery under every named mutation: one transaction, a record of what changed, undo and redo.

An operation is a list of *steps*, stored as JSON in the ``operations`` table:

``{"t": "row", "table": T, "id": N, "before": {...} | null, "after": {...} | null}``
    A row image: ``before`` null means the operation inserted the row, ``after`` null that it
    deleted it; otherwise both hold the changed columns only.
``{"t": "source", "id": N, "before": 0 | 1, "after": 0 | 1}``
    An import made visible (1) or hidden (0): every sample of the source at once, so undoing a
    million-row import does not store a million row images.

Undo applies the ``before`` sides in reverse order, redo the ``after`` sides in order; both first
check that the rows still look the way the operation left them, so an undo never silently clobbers
a change made since. Undo and redo live in the project file and survive closing it. A new operation
drops whatever was undone before it, as in every editor.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

import orjson

from app.i18n import _
from app.store import index
from app.store.project import Project, ProjectError, now_iso

# Tables an operation may touch (and undo replays).
_TABLES = {
    "samples",
    "revisions",
    "reviews",
    "suggestions",
    "sample_flags",
    "quality_ignores",
    "sources",
    # 0006_work_packages
    "batches",
    "batch_samples",
    "package_merges",
    "package_changes",
    "conflicts",
    "conflict_versions",
    # 0009_qa_gates
    "qa_settings",
    "gate_checks",
    "gate_results",
}
# Tables keyed by (sample_id, flag): a row's "id" in a step is that pair.
_PAIR_KEYED = {"sample_flags", "quality_ignores"}


class UndoError(ProjectError):
    """Nothing to undo/redo, or the rows changed since in a way undo must not overwrite."""


@dataclass
class Changes:
    """What an operation (or its undo/redo) changed, for the caller to refresh its views from."""

    name: str
    operation_id: int | None = None
    sample_ids: set[int] = field(default_factory=set)
    tables: set[str] = field(default_factory=set)
    summary: str = ""

    def __bool__(self) -> bool:
        return bool(self.sample_ids or self.tables)


class Operation:
    """Collects the steps of one operation while it runs inside a transaction."""

    def __init__(self, project: Project, name: str) -> None:
        self.project = project
        self.conn = project.db.conn
        self.steps: list[dict[str, Any]] = []
        self.changes = Changes(name=name)

    def insert(self, table: str, values: dict[str, Any]) -> int:
        row_id = _insert_row(self.conn, table, values)
        after = dict(values) if table in _PAIR_KEYED else {"id": row_id, **values}
        self._record(table, row_id, None, after)
        return row_id

    def update(self, table: str, row_id: int, values: dict[str, Any]) -> bool:
        """Set columns of one row; returns False (and records nothing) when nothing differs."""
        current = _read_row(self.conn, table, row_id, list(values))
        if current is None:
            raise ProjectError(f"{table} {row_id} does not exist")
        changed = {key: value for key, value in values.items() if current[key] != value}
        if not changed:
            return False
        before = {key: current[key] for key in changed}
        _update_row(self.conn, table, row_id, changed)
        self._record(table, row_id, before, changed)
        return True

    def delete(self, table: str, row_id: int) -> None:
        current = _read_row(self.conn, table, row_id, None)
        if current is None:
            return
        _delete_row(self.conn, table, row_id)
        self._record(table, row_id, current, None)

    def set_source_active(self, source_id: int, active: bool) -> None:
        before = self.conn.execute("SELECT active FROM sources WHERE id = ?", (source_id,)).fetchone()[0]
        _set_source_active(self.conn, source_id, active)
        self.steps.append({"t": "source", "id": source_id, "before": before, "after": int(active)})
        self.changes.tables.update({"sources", "samples"})

    def record_import(self, source_id: int) -> None:
        """Record that a whole source was made visible (the importer inserted it just now)."""
        self.steps.append({"t": "source", "id": source_id, "before": 0, "after": 1})
        self.changes.tables.update({"sources", "samples", "origins"})

    def _record(self, table: str, row_id: Any, before: dict | None, after: dict | None) -> None:
        self.steps.append({"t": "row", "table": table, "id": row_id, "before": before, "after": after})
        self.changes.tables.add(table)
        sample_id = row_id if table == "samples" else (after or before or {}).get("sample_id")
        if sample_id is not None:
            self.changes.sample_ids.add(int(sample_id))


@contextmanager
def operation(project: Project, name: str, summary: str = "") -> Iterator[Operation]:
    """Run a named mutation in one transaction and record it for undo.

    The operation is recorded only if it changed something; on any exception nothing is kept.
    """
    if getattr(project, "read_only", False):
        raise ProjectError(
            _("{path}: opened read-only; nothing can be changed (reopen it to work on it)").format(path=project.path)
        )
    op = Operation(project, name)
    try:
        with _write_transaction(project):
            yield op
            if op.steps:
                op.changes.summary = summary or op.changes.summary
                op.changes.operation_id = _record_operation(project, name, op.changes.summary, op.steps)
    except sqlite3.OperationalError as error:
        # Rolled back whole: what was saved before is untouched. Say so rather than show SQLite's words.
        if "full" in str(error):
            raise ProjectError(
                _(
                    "{path}: the disk is full; this change was not saved (everything saved before is "
                    "safe). Free some space and try again"
                ).format(path=project.path)
            ) from error
        if "readonly" in str(error):
            raise ProjectError(
                _("{path}: the project file cannot be written; this change was not saved").format(path=project.path)
            ) from error
        raise


@contextmanager
def _write_transaction(project: Project) -> Iterator[None]:
    """``BEGIN IMMEDIATE``: take the write lock before the first read.

    A deferred transaction (sqlite-utils' ``atomic()``) reads, then asks for the write lock; if another
    process wrote in between, SQLite fails it at once with "database is locked" (SQLITE_BUSY_SNAPSHOT:
    its snapshot is stale), and ``busy_timeout`` cannot help. Asking first makes a second writer (the
    CLI beside the GUI) wait its turn instead. Inside an open transaction: a savepoint, as before.
    """
    conn = project.db.conn
    if conn.in_transaction:
        with project.db.atomic():
            yield
        return
    conn.execute("BEGIN IMMEDIATE")
    try:
        yield
    except BaseException:
        if conn.in_transaction:
            conn.execute("ROLLBACK")
        raise
    try:
        conn.execute("COMMIT")
    except BaseException:
        if conn.in_transaction:
            conn.execute("ROLLBACK")
        raise


def _record_operation(project: Project, name: str, summary: str, steps: list[dict[str, Any]]) -> int:
    conn = project.db.conn
    # Whatever was undone can no longer be redone once something new happens.
    conn.execute("UPDATE operations SET state = 'dropped' WHERE state = 'undone'")
    cursor = conn.execute(
        "INSERT INTO operations(name, author, summary, steps, state, created_at) VALUES (?, ?, ?, ?, 'done', ?)",
        (name, project.author, summary, orjson.dumps(steps).decode(), now_iso()),
    )
    return int(cursor.lastrowid)


def can_undo(project: Project) -> str | None:
    """The summary of the operation :func:`undo` would undo, or None."""
    row = project.db.execute(
        "SELECT name, summary FROM operations WHERE state = 'done' ORDER BY id DESC LIMIT 1"
    ).fetchone()
    return (row[1] or row[0]) if row else None


def can_redo(project: Project) -> str | None:
    row = project.db.execute(
        "SELECT name, summary FROM operations WHERE state = 'undone' ORDER BY id LIMIT 1"
    ).fetchone()
    return (row[1] or row[0]) if row else None


def undo(project: Project) -> Changes:
    """Undo the latest operation still done."""
    row = project.db.execute(
        "SELECT id, name, summary, steps FROM operations WHERE state = 'done' ORDER BY id DESC LIMIT 1"
    ).fetchone()
    if row is None:
        raise UndoError("nothing to undo")
    return _replay(project, row, undoing=True)


def redo(project: Project) -> Changes:
    """Redo the earliest undone operation."""
    row = project.db.execute(
        "SELECT id, name, summary, steps FROM operations WHERE state = 'undone' ORDER BY id LIMIT 1"
    ).fetchone()
    if row is None:
        raise UndoError("nothing to redo")
    return _replay(project, row, undoing=False)


def _replay(project: Project, row: tuple, *, undoing: bool) -> Changes:
    op_id, name, summary, steps_json = row
    steps = orjson.loads(steps_json)
    conn = project.db.conn
    changes = Changes(name=name, operation_id=op_id, summary=summary or name)
    ordered = reversed(steps) if undoing else steps
    with project.db.atomic():
        for step in ordered:
            want_now, make = (step["after"], step["before"]) if undoing else (step["before"], step["after"])
            _apply_step(conn, step, want_now, make, changes)
        conn.execute("UPDATE operations SET state = ? WHERE id = ?", ("undone" if undoing else "done", op_id))
    return changes


def _apply_step(conn: sqlite3.Connection, step: dict, want_now: Any, make: Any, changes: Changes) -> None:
    if step["t"] == "source":
        _set_source_active(conn, step["id"], bool(make))
        changes.tables.update({"sources", "samples"})
        changes.sample_ids.update(
            r[0] for r in conn.execute("SELECT id FROM samples WHERE source_id = ?", (step["id"],))
        )
        return
    table, row_id = step["table"], step["id"]
    if table not in _TABLES:
        raise UndoError(f"cannot replay a change to table {table!r}")
    _check_row_state(conn, table, row_id, want_now)
    if make is None:
        _delete_row(conn, table, row_id)
    elif want_now is None:
        _insert_row(conn, table, make)
    else:
        _update_row(conn, table, row_id, make)
    changes.tables.add(table)
    sample_id = row_id if table == "samples" else (make or want_now or {}).get("sample_id")
    if sample_id is not None:
        changes.sample_ids.add(int(sample_id))


def _check_row_state(conn: sqlite3.Connection, table: str, row_id: Any, expected: dict | None) -> None:
    current = _read_row(conn, table, row_id, list(expected) if expected else None)
    if expected is None:
        if current is not None:
            raise UndoError(
                _("{table} {row} exists again; the project changed since").format(table=table, row=_id_text(row_id))
            )
        return
    if current is None or any(current[key] != value for key, value in expected.items()):
        raise UndoError(
            _("{table} {row} was changed since this operation; undo the later change first").format(
                table=table, row=_id_text(row_id)
            )
        )


def _id_text(row_id: Any) -> str:
    return "/".join(map(str, row_id)) if isinstance(row_id, list) else str(row_id)


# Row access. ``sample_flags`` and ``quality_ignores`` have a composite key (sample_id, flag): their "id" is that pair.


def _key(table: str, row_id: Any) -> tuple[str, tuple]:
    if table in _PAIR_KEYED:
        return "sample_id = ? AND flag = ?", tuple(row_id)
    return "id = ?", (row_id,)


def _read_row(conn: sqlite3.Connection, table: str, row_id: Any, columns: list[str] | None) -> dict | None:
    where, params = _key(table, row_id)
    cursor = conn.execute(f"SELECT {', '.join(columns) if columns else '*'} FROM {table} WHERE {where}", params)
    row = cursor.fetchone()
    if row is None:
        return None
    return dict(zip([d[0] for d in cursor.description], row, strict=True))


def _insert_row(conn: sqlite3.Connection, table: str, values: dict[str, Any]) -> Any:
    columns = list(values)
    cursor = conn.execute(
        f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({', '.join('?' * len(columns))})",
        [values[c] for c in columns],
    )
    if table == "samples":
        index.add(conn, [(int(cursor.lastrowid), index.text_of(values["content"]))])
    if table in _PAIR_KEYED:
        return [values["sample_id"], values["flag"]]
    return int(cursor.lastrowid)


def _update_row(conn: sqlite3.Connection, table: str, row_id: Any, values: dict[str, Any]) -> None:
    if table == "samples" and "content" in values:
        old = conn.execute("SELECT content FROM samples WHERE id = ?", (row_id,)).fetchone()[0]
        index.replace(conn, row_id, old, values["content"])
    where, params = _key(table, row_id)
    assignments = ", ".join(f"{column} = ?" for column in values)
    conn.execute(f"UPDATE {table} SET {assignments} WHERE {where}", [*values.values(), *params])


def _delete_row(conn: sqlite3.Connection, table: str, row_id: Any) -> None:
    if table == "samples":
        old = conn.execute("SELECT content FROM samples WHERE id = ?", (row_id,)).fetchone()[0]
        index.remove(conn, row_id, old)
        # The QA flags the insert trigger computed are no step of any operation (redo's insert
        # computes them again): without this, undoing a new flagged sample fails on the foreign key.
        conn.execute("DELETE FROM sample_flags WHERE sample_id = ? AND winnow_is_quality_flag(flag)", (row_id,))
    where, params = _key(table, row_id)
    conn.execute(f"DELETE FROM {table} WHERE {where}", params)


def _set_source_active(conn: sqlite3.Connection, source_id: int, active: bool) -> None:
    conn.execute("UPDATE sources SET active = ? WHERE id = ?", (int(active), source_id))
    conn.execute("UPDATE samples SET deleted = ? WHERE source_id = ?", (int(not active), source_id))
