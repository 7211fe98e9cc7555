"""Keeping the full-text index in step with sample content.

The FTS5 table is contentless (``content=''``): it stores the trigram index but not a second copy of
a million samples' text. The price is that removing an entry needs the exact text that was indexed,
which is always derivable from the content it came from (:func:`app.records.searchable_text`).
"""

from __future__ import annotations

import contextlib
import sqlite3
from collections.abc import Iterable, Iterator

import orjson

from app.records import searchable_text


def text_of(content_json: str) -> str:
    return searchable_text(orjson.loads(content_json))


def add(conn: sqlite3.Connection, rows: Iterable[tuple[int, str]]) -> None:
    """Index ``(sample_id, text)`` pairs."""
    conn.executemany("INSERT INTO samples_fts(rowid, body) VALUES (?, ?)", rows)


def remove(conn: sqlite3.Connection, sample_id: int, content_json: str) -> None:
    conn.execute(
        "INSERT INTO samples_fts(samples_fts, rowid, body) VALUES ('delete', ?, ?)",
        (sample_id, text_of(content_json)),
    )


def replace(conn: sqlite3.Connection, sample_id: int, old_content_json: str, new_content_json: str) -> None:
    remove(conn, sample_id, old_content_json)
    add(conn, [(sample_id, text_of(new_content_json))])


# FTS5 merges its index segments 4 at a time by default ('automerge'), so a big import rewrites
# every posting log4(segments) times. 16 at a time (the most FTS5 allows) rewrites them about half
# as often: a 200,000-row import spent 35 % less time indexing. More segments make a search look in
# more places, so the default comes back for everyday edits, whose merges then tidy up gradually.
BULK_AUTOMERGE = 16
DEFAULT_AUTOMERGE = 4


@contextlib.contextmanager
def bulk_merging(conn: sqlite3.Connection) -> Iterator[None]:
    """Merge index segments less often while a bulk load writes, inside its transaction."""
    before = conn.execute("SELECT v FROM samples_fts_config WHERE k = 'automerge'").fetchone()
    _set_automerge(conn, BULK_AUTOMERGE)
    try:
        yield
    finally:
        _set_automerge(conn, int(before[0]) if before else DEFAULT_AUTOMERGE)


def _set_automerge(conn: sqlite3.Connection, value: int) -> None:
    conn.execute("INSERT INTO samples_fts(samples_fts, rank) VALUES ('automerge', ?)", (value,))
