"""Reading a project: filters, full-text search, samples and statistics. Nothing here writes."""

from __future__ import annotations

import re
import sqlite3
import time
from array import array
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from typing import Any

import orjson

from app.records import Kind
from app.store.project import Project, ProjectError
from app.store.schema import KINDS, SAMPLE_STATUSES

# FTS5's trigram tokenizer indexes runs of three characters; shorter terms cannot use the index.
TRIGRAM = 3


@dataclass(frozen=True)
class SampleFilter:
    """Which samples a view or an export covers. Empty tuples mean "any"."""

    status: tuple[str, ...] = ()
    label: tuple[int, ...] = ()
    rating: tuple[int, ...] = ()
    subset: tuple[str, ...] = ()
    kind: tuple[str, ...] = ()
    flag: tuple[str, ...] = ()
    without_flag: tuple[str, ...] = ()
    """Leave out samples with any of these flags (``--where flag!=near_duplicate``: what the QA
    checks exclude, never deleted)."""
    assignee: tuple[str, ...] = ()
    text: str = ""
    """Full-text query: whitespace-separated terms, all of which must occur."""
    ids: tuple[int, ...] | None = None


@dataclass
class Sample:
    id: int
    kind: Kind
    subset: str
    content: dict[str, Any]
    status: str
    label: int | None
    rating: int | None
    assignee: str | None
    version: int
    source_id: int | None
    origin_id: int | None
    updated_at: str
    flags: list[str] = field(default_factory=list)


_SAMPLE_COLUMNS = (
    "id, kind, subset, content, status, label, rating, assignee, version, source_id, origin_id, updated_at"
)


def _sample_from_row(row: Sequence[Any]) -> Sample:
    return Sample(
        id=row[0],
        kind=Kind(row[1]),
        subset=row[2],
        content=orjson.loads(row[3]),
        status=row[4],
        label=row[5],
        rating=row[6],
        assignee=row[7],
        version=row[8],
        source_id=row[9],
        origin_id=row[10],
        updated_at=row[11],
    )


def _placeholders(values: Sequence[Any]) -> str:
    return ", ".join("?" * len(values))


# SQLite's default limit on bound parameters is 999: lists of ids go into ``IN (…)`` this many at a time.
ID_CHUNK = 900


def id_chunks(ids: Sequence[int]) -> Iterator[list[int]]:
    """``ids`` in lists short enough for one ``IN (…)``."""
    for start in range(0, len(ids), ID_CHUNK):
        yield list(ids[start : start + ID_CHUNK])


def _like_pattern(term: str) -> str:
    """A LIKE pattern matching ``term`` anywhere in stored JSON (escaped as orjson writes it)."""
    escaped = orjson.dumps(term).decode()[1:-1]
    escaped = escaped.replace("^", "^^").replace("%", "^%").replace("_", "^_")
    return f"%{escaped}%"


def where_clause(flt: SampleFilter) -> tuple[str, list[Any]]:
    """SQL conditions on ``samples`` (aliased ``s``) for a filter, and their parameters."""
    conditions = ["s.deleted = 0"]
    params: list[Any] = []
    for column in ("status", "label", "rating", "subset", "kind", "assignee"):
        values = getattr(flt, column)
        if values:
            conditions.append(f"s.{column} IN ({_placeholders(values)})")
            params.extend(values)
    if flt.flag:
        conditions.append(
            f"EXISTS (SELECT 1 FROM sample_flags f WHERE f.sample_id = s.id AND f.flag IN ({_placeholders(flt.flag)}))"
        )
        params.extend(flt.flag)
    if flt.without_flag:
        conditions.append(
            "NOT EXISTS (SELECT 1 FROM sample_flags f WHERE f.sample_id = s.id"
            f" AND f.flag IN ({_placeholders(flt.without_flag)}))"
        )
        params.extend(flt.without_flag)
    if flt.ids is not None:
        conditions.append(f"s.id IN ({_placeholders(flt.ids)})" if flt.ids else "0")
        params.extend(flt.ids)
    for term in flt.text.split():
        if len(term) >= TRIGRAM:
            # A quoted FTS5 string is matched as a phrase; with trigrams, as a substring.
            conditions.append("s.id IN (SELECT rowid FROM samples_fts WHERE samples_fts MATCH ?)")
            params.append('"' + term.replace('"', '""') + '"')
        else:
            # Too short for the trigram index: scan the stored JSON, then make sure the hit is in
            # the text and not in a key name (e.g. "in" in "instruction").
            conditions.append("s.content LIKE ? ESCAPE '^' AND winnow_has_text(s.content, ?)")
            params.extend([_like_pattern(term), term])
    return " AND ".join(conditions), params


def sample_ids(
    project: Project, flt: SampleFilter = SampleFilter(), *, limit: int | None = None, offset: int = 0
) -> list[int]:
    """Ids of the samples matching a filter, in id order."""
    where, params = where_clause(flt)
    sql = f"SELECT s.id FROM samples s WHERE {where} ORDER BY s.id"
    if limit is not None:
        sql += " LIMIT ? OFFSET ?"
        params += [limit, offset]
    return [row[0] for row in project.db.execute(sql, params)]


def count(project: Project, flt: SampleFilter = SampleFilter()) -> int:
    where, params = where_clause(flt)
    return project.db.execute(f"SELECT count(*) FROM samples s WHERE {where}", params).fetchone()[0]


def get_samples(project: Project, ids: Sequence[int]) -> list[Sample]:
    """The samples with these ids, in the order asked (missing ids are left out)."""
    found: dict[int, Sample] = {}
    for chunk in id_chunks(ids):
        for row in project.db.execute(
            f"SELECT {_SAMPLE_COLUMNS} FROM samples WHERE id IN ({_placeholders(chunk)})", chunk
        ):
            found[row[0]] = _sample_from_row(row)
        for sample_id, flag in project.db.execute(
            f"SELECT sample_id, flag FROM sample_flags WHERE sample_id IN ({_placeholders(chunk)})", chunk
        ):
            if sample_id in found:
                found[sample_id].flags.append(flag)
    return [found[i] for i in ids if i in found]


def get_sample(project: Project, sample_id: int) -> Sample:
    samples = get_samples(project, [sample_id])
    if not samples:
        raise ProjectError(f"no sample {sample_id}")
    return samples[0]


def iter_sample_batches(
    project: Project, flt: SampleFilter = SampleFilter(), *, batch: int = 2000
) -> Iterator[list[Sample]]:
    """Stream the matching samples in id order, a batch at a time (constant memory)."""
    for rows in _row_batches(project, flt, _SAMPLE_COLUMNS, batch):
        yield [_sample_from_row(row) for row in rows]


def _row_batches(project: Project, flt: SampleFilter, columns: str, batch: int) -> Iterator[list[tuple]]:
    """Rows of ``columns`` (the first being ``s.id``) of the matching samples in id order, a batch at
    a time, each batch a keyset query (``id > last``): as fast on the millionth row as on the first."""
    where, params = where_clause(flt)
    last = 0
    while True:
        rows = project.db.execute(
            f"SELECT {columns} FROM samples s WHERE {where} AND s.id > ? ORDER BY s.id LIMIT ?",
            [*params, last, batch],
        ).fetchall()
        if not rows:
            return
        yield rows
        last = rows[-1][0]


def iter_export_batches(
    project: Project, flt: SampleFilter = SampleFilter(), *, batch: int = 2000
) -> Iterator[list[tuple[int, str, int | None, bytes, int | None]]]:
    """As :func:`iter_content_batches`, each row with its ``stored_plain`` mark last (1: the stored
    JSON is exactly an Alpaca record; see migration 0008)."""
    return _row_batches(project, flt, "s.id, s.kind, s.source_id, CAST(s.content AS BLOB), s.stored_plain", batch)


def iter_content_batches(
    project: Project, flt: SampleFilter = SampleFilter(), *, batch: int = 2000
) -> Iterator[list[tuple[int, str, int | None, bytes]]]:
    """``(id, kind, source_id, content JSON as UTF-8 bytes)`` of the matching samples, a batch at a time.

    The lean path for exports: a million rows as bare tuples, without building :class:`Sample`s, and
    the content as bytes (``CAST AS BLOB``) since writers parse or copy bytes anyway: decoding it to
    ``str`` first would be a wasted pass over every byte.
    """
    return _row_batches(project, flt, "s.id, s.kind, s.source_id, CAST(s.content AS BLOB)", batch)


def iter_samples(project: Project, flt: SampleFilter = SampleFilter(), *, batch: int = 2000) -> Iterator[Sample]:
    for samples in iter_sample_batches(project, flt, batch=batch):
        yield from samples


def revisions(project: Project, sample_id: int) -> list[dict[str, Any]]:
    return [
        {"version": r[0], "content": orjson.loads(r[1]), "author": r[2], "reason": r[3], "created_at": r[4]}
        for r in project.db.execute(
            "SELECT version, content, author, reason, created_at FROM revisions WHERE sample_id = ? ORDER BY version",
            (sample_id,),
        )
    ]


def origin(project: Project, sample_id: int) -> dict[str, Any] | None:
    row = project.db.execute(
        "SELECT src.path, src.name, src.format, o.line, o.member, o.raw, o.hash FROM samples s"
        " JOIN origins o ON o.id = s.origin_id JOIN sources src ON src.id = o.source_id WHERE s.id = ?",
        (sample_id,),
    ).fetchone()
    if row is None:
        return None
    keys = ("path", "file", "format", "line", "member", "raw", "hash")
    return dict(zip(keys, row, strict=True))


def stats(project: Project) -> dict[str, Any]:
    """Counts for ``winnow stats`` and the dashboard: totals by kind, status, label, rating, subset."""
    db = project.db

    def grouped(column: str) -> dict[str, int]:
        return {
            str(key): n
            for key, n in db.execute(
                f"SELECT {column}, count(*) FROM samples WHERE deleted = 0 GROUP BY {column} ORDER BY {column}"
            )
        }

    sources = [
        {
            "id": r[0],
            "file": r[1],
            "format": r[2],
            "subset": r[3],
            "records": r[4],
            "skipped": r[5],
            "imported_at": r[6],
        }
        for r in db.execute(
            "SELECT id, name, format, subset, record_count, skipped_count, imported_at FROM sources"
            " WHERE active = 1 ORDER BY id"
        )
    ]
    return {
        "project": project.name,
        "path": str(project.path),
        "samples": db.execute("SELECT count(*) FROM samples WHERE deleted = 0").fetchone()[0],
        "by_kind": grouped("kind"),
        "by_status": grouped("status"),
        "by_label": grouped("label"),
        "by_rating": grouped("rating"),
        "by_subset": grouped("subset"),
        "flags": dict(db.execute("SELECT flag, count(*) FROM sample_flags GROUP BY flag ORDER BY flag").fetchall()),
        "reviews": db.execute("SELECT count(*) FROM reviews").fetchone()[0],
        "edited": db.execute("SELECT count(*) FROM samples WHERE deleted = 0 AND version > 1").fetchone()[0],
        "sources": sources,
    }


_WHERE_TERM = re.compile(r"^\s*(\w+)\s*(>=|<=|!=|=|>|<)\s*(.+?)\s*$")
_NUMERIC = {"label": (1, 4), "rating": (1, 5)}
_CHOICES = {"status": SAMPLE_STATUSES, "kind": KINDS}


def parse_where(terms: Sequence[str], base: SampleFilter = SampleFilter()) -> SampleFilter:
    """Parse ``key=value[,value…]`` terms (``label``/``rating`` also take ``>= <= > <``, ``flag`` takes
    ``!=``: without those flags).

    Keys: status, label, rating, subset, kind, flag, assignee, text.
    """
    flt = base
    for term in terms:
        match = _WHERE_TERM.match(term)
        if not match:
            raise ProjectError(f"--where {term!r}: expected KEY=VALUE, e.g. status=accepted or rating>=4")
        key, operator, value = match.groups()
        if key == "flag" and operator == "!=":
            flt = replace(flt, without_flag=_where_values(key, "=", value, term))
            continue
        flt = replace(flt, **{key: _where_values(key, operator, value, term)})
    return flt


def _where_values(key: str, operator: str, value: str, term: str) -> Any:
    known = ("status", "label", "rating", "subset", "kind", "flag", "assignee", "text")
    if key not in known:
        raise ProjectError(f"--where {term!r}: unknown key {key!r}; one of {', '.join(known)}")
    if key == "text":
        return value
    if key in _NUMERIC:
        low, high = _NUMERIC[key]
        if operator != "=":
            bound = _int(value, term)
            compare = {">=": bound.__le__, "<=": bound.__ge__, ">": bound.__lt__, "<": bound.__gt__}[operator]
            return tuple(n for n in range(low, high + 1) if compare(n))
        numbers = tuple(_int(v, term) for v in value.split(","))
        bad = [n for n in numbers if not low <= n <= high]
        if bad:
            raise ProjectError(f"--where {term!r}: {key} must be {low}–{high}")
        return numbers
    if operator != "=":
        raise ProjectError(f"--where {term!r}: {key} takes '=' only")
    values = tuple(v.strip() for v in value.split(",") if v.strip())
    if key in _CHOICES:
        bad = [v for v in values if v not in _CHOICES[key]]
        if bad:
            raise ProjectError(f"--where {term!r}: unknown {key} {bad[0]!r}; one of {', '.join(_CHOICES[key])}")
    return values


def _int(value: str, term: str) -> int:
    try:
        return int(value)
    except ValueError:
        raise ProjectError(f"--where {term!r}: {value!r} is not a number") from None


# --------------------------------------------------------------------------------------------------
# Lean reads for the review window's sample table (widgets.sample_model): a million ids held
# compactly, one page of display columns at a time, filter choices, the next sample to do.
# --------------------------------------------------------------------------------------------------

SampleRow = tuple[int, str, str, str, int | None, int | None, str | None, str, str]
"""``(id, kind, subset, status, label, rating, assignee, content_json, flags)``; flags space-separated."""


PROGRESS_STEPS = 1000
"""SQLite VM steps between two checks of a stop condition: a few microseconds of work, so a
cancelled or timed-out query stops within a millisecond."""


class QueryCancelled(Exception):
    """A query stopped because its ``cancelled`` callback said so."""


@contextmanager
def _stoppable(project: Project, stop: Callable[[], bool] | None) -> Iterator[None]:
    """Run the queries inside interruptible: SQLite aborts the running statement ("interrupted")
    once ``stop()`` is true."""
    if stop is None:
        yield
        return
    conn = project.db.conn
    conn.set_progress_handler(lambda: 1 if stop() else 0, PROGRESS_STEPS)
    try:
        yield
    finally:
        conn.set_progress_handler(None, 0)


def _fts_only(flt: SampleFilter) -> str | None:
    """The FTS5 query answering ``flt`` alone, when ``flt`` is nothing but terms of 3+ characters."""
    terms = flt.text.split()
    if not terms or any(len(term) < TRIGRAM for term in terms) or replace(flt, text="") != SampleFilter():
        return None
    # Quoted strings, space-separated: every one must match, each as a substring.
    return " ".join('"' + term.replace('"', '""') + '"' for term in terms)


# The hits of a text-only search straight from the index, less the (few, indexed) deleted samples:
# no sample row is read (see schema 0003_deleted_samples_index).
_FTS_IDS = (
    "SELECT rowid FROM samples_fts WHERE samples_fts MATCH ?"
    " AND rowid NOT IN (SELECT id FROM samples WHERE deleted != 0) ORDER BY rowid"
)


def search_reads_rows(flt: SampleFilter) -> bool:
    """Whether the ids of ``flt`` come from reading the rows of its text search hits (a scan for
    1–2 character terms, or other conditions checked on every hit): too slow for a million samples
    to wait for, where a text-only search of 3+ character terms is answered by the index alone."""
    return bool(flt.text.split()) and _fts_only(flt) is None


def sample_id_array(
    project: Project, flt: SampleFilter = SampleFilter(), *, cancelled: Callable[[], bool] | None = None
) -> Sequence[int]:
    """Ids of the samples matching a filter, in id order, held compactly.

    A ``range`` when the ids are consecutive (the whole of a project imported in one go: no id
    list is built at all), else an ``array('q')`` (8 bytes an id, not a Python int each). The ids
    come back in one row as a JSON array: iterating a cursor over a million rows costs several
    times more than parsing one string.

    ``cancelled`` is polled while the query runs; when it turns true the query stops and
    :class:`QueryCancelled` is raised.
    """
    where, params = where_clause(flt)
    if flt == SampleFilter():
        low, high, n = project.db.execute(
            f"SELECT min(s.id), max(s.id), count(*) FROM samples s WHERE {where}", params
        ).fetchone()
        if n == 0:
            return range(0)
        if high - low + 1 == n:
            return range(low, high + 1)
    fts = _fts_only(flt)
    if fts is not None:
        sql, params = f"SELECT json_group_array(rowid) FROM ({_FTS_IDS})", [fts]
    else:
        sql = f"SELECT json_group_array(id) FROM (SELECT s.id FROM samples s WHERE {where} ORDER BY s.id)"
    try:
        with _stoppable(project, cancelled):
            row = project.db.execute(sql, params).fetchone()
    except sqlite3.OperationalError:
        if cancelled is not None and cancelled():
            raise QueryCancelled from None
        raise
    return array("q", orjson.loads(row[0]))


def first_sample_ids(
    project: Project, flt: SampleFilter, limit: int, *, budget: float | None = None
) -> tuple[array[int], bool]:
    """The first ``limit`` ids of ``flt`` in id order, and whether they are all of its ids.

    What a view shows before the whole list is read: with ``ORDER BY id LIMIT`` a scan stops at
    the ``limit``-th hit, a few thousand rows into a million for a common term. A rare term has to
    be looked for through the whole table: after ``budget`` seconds the scan stops and the ids found
    so far come back (fewer than ``limit``, maybe none), not complete.
    """
    fts = _fts_only(flt)
    if fts is not None:
        sql, params = f"{_FTS_IDS} LIMIT ?", [fts, limit + 1]
    else:
        where, params = where_clause(flt)
        sql = f"SELECT s.id FROM samples s WHERE {where} ORDER BY s.id LIMIT ?"
        params.append(limit + 1)
    found: array[int] = array("q")
    deadline = None if budget is None else time.perf_counter() + budget
    try:
        with _stoppable(project, None if deadline is None else lambda: time.perf_counter() > deadline):
            for (sample_id,) in project.db.execute(sql, params):
                found.append(sample_id)
    except sqlite3.OperationalError:
        if deadline is None or time.perf_counter() <= deadline:
            raise
        return found, False
    if len(found) > limit:
        return found[:limit], False
    return found, True


def sample_rows(project: Project, ids: Sequence[int]) -> list[SampleRow]:
    """The columns a sample table shows, for these ids, in the order asked (missing ids left out).

    One query for the rows and their flags; the content comes back as stored JSON for the caller to
    cut what it shows.
    """
    found: dict[int, SampleRow] = {}
    for chunk in id_chunks(ids):
        for row in project.db.execute(
            "SELECT s.id, s.kind, s.subset, s.status, s.label, s.rating, s.assignee, s.content,"
            " (SELECT group_concat(f.flag, ' ') FROM sample_flags f WHERE f.sample_id = s.id)"
            f" FROM samples s WHERE s.id IN ({_placeholders(chunk)})",
            chunk,
        ):
            found[row[0]] = (*row[:8], row[8] or "")
    return [found[i] for i in ids if i in found]


_DISTINCT_COLUMNS = {"subset", "kind", "assignee", "status"}


def distinct_values(project: Project, column: str) -> list[Any]:
    """The values a filter can choose from: distinct non-null values of a sample column (or ``flag``),
    among samples not deleted, sorted.

    A loose index scan (one index seek per distinct value), so it stays instant on a million rows
    with a handful of subsets.
    """
    if column == "flag":
        sql = (
            "WITH RECURSIVE v(x) AS (SELECT min(flag) FROM sample_flags"
            " UNION ALL SELECT (SELECT min(flag) FROM sample_flags WHERE flag > v.x) FROM v WHERE v.x IS NOT NULL)"
            " SELECT x FROM v WHERE x IS NOT NULL"
        )
    elif column in _DISTINCT_COLUMNS:
        sql = (
            # "IS NOT NULL" lets SQLite use the partial index on assignee.
            f"WITH RECURSIVE v(x) AS (SELECT min({column}) FROM samples WHERE deleted = 0 AND {column} IS NOT NULL"
            f" UNION ALL SELECT (SELECT min({column}) FROM samples WHERE deleted = 0 AND {column} > v.x)"
            " FROM v WHERE v.x IS NOT NULL)"
            " SELECT x FROM v WHERE x IS NOT NULL"
        )
    else:
        raise ValueError(f"no filter on column {column!r}")
    return [row[0] for row in project.db.execute(sql)]


def next_id(project: Project, flt: SampleFilter, after_id: int, *, wrap: bool = True) -> int | None:
    """The first sample matching ``flt`` after ``after_id`` in id order, else (with ``wrap``) the first
    from the start; never ``after_id`` itself. None if there is no other.

    Asked one status at a time: ``status = ? AND id > ?`` is a seek in the status index, already in
    id order, where ``status IN (…)`` would sort every later match to return one.
    """
    statuses: tuple[str | None, ...] = flt.status or (None,)
    ranges = [("s.id > ?", after_id)]
    if wrap:
        ranges.append(("s.id < ?", after_id))
    for bound, value in ranges:
        best: int | None = None
        for status in statuses:
            where, params = where_clause(replace(flt, status=(status,) if status else ()))
            row = project.db.execute(
                f"SELECT s.id FROM samples s WHERE {where} AND {bound} ORDER BY s.id LIMIT 1", [*params, value]
            ).fetchone()
            if row is not None and (best is None or row[0] < best):
                best = row[0]
        if best is not None:
            return best
    return None


def suggestions(project: Project, sample_id: int) -> list[dict[str, Any]]:
    """A sample's machine drafts, oldest first."""
    keys = ("id", "task", "engine", "model", "prompt_version", "state", "content", "created_at")
    return [
        {**dict(zip(keys, row, strict=True)), "content": orjson.loads(row[6])}
        for row in project.db.execute(
            "SELECT id, task, engine, model, prompt_version, state, content, created_at FROM suggestions"
            " WHERE sample_id = ? ORDER BY id",
            (sample_id,),
        )
    ]
