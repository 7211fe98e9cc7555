"""Bulk inserts (app.store.bulk), as the importer uses them."""

from __future__ import annotations

import sqlite3

import pytest

from app import importer
from app.store import Project, bulk

AWKWARD_TEXTS = [
    "",
    "中文，全角标点。",
    "emoji 😀 and 𠀀 (outside the BMP)",
    'quotes " and \\ backslashes',
    "NUL \x00 inside",
    "x" * 100_000,
]


@pytest.fixture
def conn() -> sqlite3.Connection:
    connection = sqlite3.connect(":memory:", isolation_level=None)
    connection.execute("CREATE TABLE t(id INTEGER PRIMARY KEY, text TEXT, n INTEGER, maybe)")
    yield connection
    connection.close()


def test_every_row_arrives_exactly_across_statement_boundaries(conn: sqlite3.Connection) -> None:
    rows = [(i, AWKWARD_TEXTS[i % len(AWKWARD_TEXTS)], i * 7, None if i % 3 else 1.5) for i in range(2_345)]
    bulk.insert(conn, "t", ("id", "text", "n", "maybe"), rows)
    assert conn.execute("SELECT id, text, n, maybe FROM t ORDER BY id").fetchall() == rows


def test_rows_go_thousands_to_a_statement(conn: sqlite3.Connection) -> None:
    statements: list[str] = []
    conn.set_trace_callback(statements.append)
    bulk.insert(conn, "t", ("id", "text"), [(i, "行") for i in range(12_000)])
    inserts = [s for s in statements if s.startswith("INSERT")]
    assert len(inserts) == 3  # 5000 + 5000 + 2000: one GIL hand-over each, not one a row
    assert conn.execute("SELECT count(*) FROM t").fetchone()[0] == 12_000


def test_wide_rows_stay_under_the_bound_value_limit(conn: sqlite3.Connection) -> None:
    conn.setlimit(sqlite3.SQLITE_LIMIT_VARIABLE_NUMBER, 999)
    assert bulk.rows_per_statement(conn, 4) == 249
    rows = [(i, "文", i, None) for i in range(1_000)]
    bulk.insert(conn, "t", ("id", "text", "n", "maybe"), rows)  # would fail with too many variables
    assert conn.execute("SELECT count(*) FROM t").fetchone()[0] == 1_000


def test_nothing_to_insert_runs_no_statement(conn: sqlite3.Connection) -> None:
    statements: list[str] = []
    conn.set_trace_callback(statements.append)
    bulk.insert(conn, "t", ("id",), [])
    assert statements == []


def test_a_failing_row_fails_the_whole_statement_and_says_so(conn: sqlite3.Connection) -> None:
    conn.execute("BEGIN")
    with pytest.raises(sqlite3.IntegrityError):
        bulk.insert(conn, "t", ("id", "text"), [(1, "a"), (2, "b"), (1, "duplicate id")])
    conn.execute("ROLLBACK")
    assert conn.execute("SELECT count(*) FROM t").fetchone()[0] == 0


def test_the_import_still_flags_what_the_quality_checks_find(project: Project, write_jsonl) -> None:
    records = [
        {"instruction": "翻译：Hello world, this sentence was never translated at all.", "input": "", "output": ""},
        {"instruction": "介绍一下长城。", "input": "", "output": "长城是中国古代的军事防御工程。"},
    ]
    importer.import_file(project, write_jsonl("q.jsonl", records))
    flags = project.db.execute("SELECT sample_id, flag FROM sample_flags ORDER BY sample_id, flag").fetchall()
    assert (1, "empty_field") in flags
    assert all(sample_id == 1 for sample_id, _flag in flags)
