"""Keeping the full-text index in step with sample content.

The FTS5 table is contentless (``content=''``): it stores the trigram index but not a second copy of
a million samples' text. The price is that removing an entry needs the exact text that was indexed,
which is always derivable from the content it came from (:func:`app.records.searchable_text`).
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterable

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
