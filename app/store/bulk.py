"""Inserting many rows with few SQLite calls.

``executemany`` steps SQLite once a row, and the ``sqlite3`` module lets go of Python's GIL around
every step and takes it back after. While another thread runs Python (the importer's reader parses
the next batch), taking the GIL back waits up to the interpreter's switch interval (5 ms), so a
writer that releases it 20,000 times a batch crawls. One ``INSERT … VALUES (…), (…), …`` of thousands
of rows is one step: SQLite inserts (and indexes, and tokenises for FTS5) them all with the GIL let
go, and the reader runs at the same time on the other core.
"""

from __future__ import annotations

import functools
import itertools
import sqlite3
from collections.abc import Sequence

# SQLite allows 32,766 bound values a statement (since 3.32; 999 before). As many rows a statement
# as that allows, up to the importer's batch: each statement costs one GIL hand-over, which can wait
# 5 ms. A 200,000-row import waited ~3 s in all at 1,000 rows a statement, ~1 s at up to 5,000. The
# statement for a full chunk is prepared once and reused from the connection's statement cache.
MAX_VARIABLES = 32_766
MAX_ROWS = 5000


def insert(conn: sqlite3.Connection, table: str, columns: Sequence[str], rows: Sequence[Sequence[object]]) -> None:
    """``INSERT INTO table(columns)`` every row, thousands of rows a statement."""
    if not rows:
        return
    per_statement = rows_per_statement(conn, len(columns))
    for start in range(0, len(rows), per_statement):
        chunk = rows[start : start + per_statement]
        conn.execute(_insert_sql(table, tuple(columns), len(chunk)), list(itertools.chain.from_iterable(chunk)))


def rows_per_statement(conn: sqlite3.Connection, width: int) -> int:
    """Rows of ``width`` values that fit in one statement on this connection."""
    limit = min(conn.getlimit(sqlite3.SQLITE_LIMIT_VARIABLE_NUMBER), MAX_VARIABLES)
    return max(1, min(MAX_ROWS, limit // width))


@functools.lru_cache(maxsize=64)
def _insert_sql(table: str, columns: tuple[str, ...], rows: int) -> str:
    row = "(" + ", ".join("?" * len(columns)) + ")"
    return f"INSERT INTO {table}({', '.join(columns)}) VALUES " + ", ".join([row] * rows)
