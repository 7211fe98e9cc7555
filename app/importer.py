"""Importing a source file into a project: whole or not at all, never twice by accident."""

from __future__ import annotations

import contextlib
import hashlib
import logging
import os
import sqlite3
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from queue import Empty, Full, Queue
from typing import TypeVar

import orjson

from app.formats import registry
from app.formats.base import FormatError, Reader, ReadOptions
from app.i18n import N_, _, ngettext
from app.quality.checks import flags_of as quality_flags_of
from app.records import BadRecord, Record, is_plain_alpaca, searchable_text
from app.store import bulk
from app.store.ops import Changes, operation
from app.store.project import Project, ProjectError, now_iso

log = logging.getLogger("winnow.import")
T = TypeVar("T")

# Rows per executemany: big enough that SQLite's per-statement cost vanishes, small enough that a
# batch of 500-byte Chinese records stays a few MB (the import must stream in constant memory).
BATCH = 5000
# Bad records kept word for word for the report; past this only the count grows.
MAX_REPORTED = 1000

ON_ERROR = ("skip", "abort")


class ImportAborted(ProjectError):
    """A bad record with ``on_error="abort"``: nothing of the file was imported."""


class ImportCancelled(ProjectError):
    """The user cancelled: nothing of the file was imported."""


class DuplicateSource(ProjectError):
    """The same file (by content) is already in the project."""

    def __init__(self, message: str, source_id: int) -> None:
        super().__init__(message)
        self.source_id = source_id


@dataclass
class ImportReport:
    path: Path
    format: str
    detection: str
    source_id: int
    imported: int
    skipped: int
    problems: list[str] = field(default_factory=list)
    """``file:line: reason`` of skipped records (the first :data:`MAX_REPORTED`)."""
    changes: Changes | None = None


def source_digest(path: Path) -> str:
    """SHA-256 of a file, or of a folder's files (names and bytes, in name order)."""
    digest = hashlib.sha256()
    if path.is_dir():
        for member in sorted(p for p in path.rglob("*") if p.is_file()):
            digest.update(member.relative_to(path).as_posix().encode() + b"\0")
            with member.open("rb") as handle:
                digest.update(hashlib.file_digest(handle, "sha256").digest())
        return digest.hexdigest()
    with path.open("rb") as handle:
        return hashlib.file_digest(handle, "sha256").hexdigest()


def default_subset(path: Path) -> str:
    name = path.name
    for suffix in (".tar.gz", ".tgz", ".jsonl", ".json", ".csv", ".tsv", ".parquet", ".txt"):
        if name.lower().endswith(suffix):
            return name[: -len(suffix)]
    return path.stem


def choose_reader(path: Path, format_name: str | None, encoding: str | None) -> tuple[Reader, str]:
    """The reader for a source and a sentence saying how it was chosen."""
    if format_name:
        reader = registry.reader(format_name)
        return reader, f"format {reader.name} ({reader.title}), as asked"
    detection = registry.detect(path, encoding)
    return detection.reader, detection.describe()


def find_duplicate(project: Project, digest: str) -> tuple[int, str, str] | None:
    return project.db.execute(
        "SELECT id, name, imported_at FROM sources WHERE sha256 = ? AND active = 1 ORDER BY id LIMIT 1",
        (digest,),
    ).fetchone()


def import_file(
    project: Project,
    path: str | os.PathLike[str],
    *,
    format_name: str | None = None,
    subset: str | None = None,
    on_error: str = "skip",
    allow_duplicate: bool = False,
    options: ReadOptions = ReadOptions(),
    progress: Callable[[int], None] | None = None,
    cancelled: Callable[[], bool] | None = None,
) -> ImportReport:
    """Import one file (or CCMC folder) as a new source, in one transaction.

    Bad records are skipped and reported, or (``on_error="abort"``) stop the import with the first
    one named. Either way, if anything goes wrong the project is exactly as it was before.
    """
    source = Path(path)
    if on_error not in ON_ERROR:
        raise ProjectError(f"--on-error must be one of {', '.join(ON_ERROR)}, not {on_error!r}")
    if not source.exists():
        raise ProjectError(_("{source}: no such file").format(source=source))
    reader, detection = choose_reader(source, format_name, options.encoding)
    digest = source_digest(source)
    duplicate = find_duplicate(project, digest)
    if duplicate and not allow_duplicate:
        dup_id, dup_name, dup_when = duplicate
        raise DuplicateSource(
            f"{source}: already imported (same content as {dup_name}, source #{dup_id}, {dup_when}); "
            "pass --allow-duplicate to import it again",
            dup_id,
        )
    try:
        with _rollback_journal_if_alone(project):
            return _import_source(
                project, source, reader, detection, digest, subset, on_error, options, progress, cancelled
            )
    except sqlite3.OperationalError as error:
        # Typically a full disk: the transaction is rolled back, so the project is as it was.
        raise ProjectError(
            _(
                "{project}: cannot write the project while importing {source}: {error}; nothing "
                "of the file was imported"
            ).format(project=project.path, source=source, error=error)
        ) from error


@contextlib.contextmanager
def _rollback_journal_if_alone(project: Project) -> Iterator[None]:
    """Import through a rollback journal when no other connection has the project open.

    In WAL mode every page of a big import is written twice: into the WAL, then by the checkpoint
    into the file. A rollback journal writes new pages once (it saves only the few pages that
    existed) and is just as atomic: a crash mid-import rolls back on the next open. A million-row
    import took 117 s instead of 137 s. SQLite refuses to leave WAL while another connection (the
    GUI, a reader) has the file open; then the import simply stays in WAL.
    """
    conn = project.db.conn
    mode = _try_journal_mode(conn, "DELETE")
    try:
        yield
    finally:
        if mode != "wal":
            _try_journal_mode(conn, "WAL")


def _try_journal_mode(conn: sqlite3.Connection, mode: str) -> str:
    """Switch the journal mode if SQLite can right now; never wait for other connections."""
    timeout = conn.execute("PRAGMA busy_timeout").fetchone()[0]
    conn.execute("PRAGMA busy_timeout=0")
    try:
        return conn.execute(f"PRAGMA journal_mode={mode}").fetchone()[0].lower()
    except sqlite3.OperationalError as error:  # another connection holds the file
        log.debug("journal mode stays: %s", error)
        return conn.execute("PRAGMA journal_mode").fetchone()[0].lower()
    finally:
        conn.execute(f"PRAGMA busy_timeout={int(timeout)}")


def _import_source(
    project: Project,
    source: Path,
    reader: Reader,
    detection: str,
    digest: str,
    subset: str | None,
    on_error: str,
    options: ReadOptions,
    progress: Callable[[int], None] | None,
    cancelled: Callable[[], bool] | None,
) -> ImportReport:
    label = str(source)
    with operation(project, "import", N_("import {name}").format(name=source.name)) as op:
        source_id = op.conn.execute(
            "INSERT INTO sources(path, name, sha256, size, format, encoding, subset, imported_at, imported_by)"
            " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (
                str(source.resolve()),
                source.name,
                digest,
                _size(source),
                reader.name,
                options.encoding or "",
                subset or default_subset(source),
                now_iso(),
                project.author,
            ),
        ).lastrowid
        writer = _BatchWriter(project)
        rows = _RowBuilder(writer.next_origin, writer.next_sample, source_id, subset or default_subset(source))
        problems: list[str] = []
        skipped = 0
        try:
            for batch in prefetch(rows.batches(reader.read(source, options))):
                skipped += _skip_bad(batch.bad, label, on_error, problems)
                writer.write(batch)
                if progress:
                    progress(writer.written)
                if cancelled and cancelled():
                    raise ImportCancelled(
                        _("{source}: import cancelled; nothing of the file was imported").format(source=source)
                    )
        except FormatError as error:
            raise ProjectError(_("{error} (nothing of the file was imported)").format(error=error)) from error
        if writer.written == 0:
            reason = (
                ngettext(
                    "the only record was bad: {example}", "all {skipped} records were bad, e.g. {example}", skipped
                ).format(skipped=skipped, example=problems[0])
                if skipped
                else _("no records found")
            )
            raise ProjectError(_("{source}: {reason}; nothing imported").format(source=source, reason=reason))
        op.conn.execute(
            "UPDATE sources SET record_count = ?, skipped_count = ? WHERE id = ?",
            (writer.written, skipped, source_id),
        )
        op.record_import(source_id)
        op.changes.summary = N_("import {name} ({n} samples)").format(name=source.name, n=writer.written)
    if progress:
        progress(writer.written)
    log.info("imported %s: %d samples, %d skipped", source, writer.written, skipped)
    return ImportReport(
        path=source,
        format=reader.name,
        detection=detection,
        source_id=source_id,
        imported=writer.written,
        skipped=skipped,
        problems=problems,
        changes=op.changes,
    )


def _skip_bad(bad_records: list[BadRecord], label: str, on_error: str, problems: list[str]) -> int:
    """Skip a batch's bad records, naming them in ``problems``, or abort the import at the first."""
    for bad in bad_records:
        if on_error == "abort":
            raise ImportAborted(f"{bad.where(label)} (import aborted; nothing of the file was imported)")
        if len(problems) < MAX_REPORTED:
            problems.append(bad.where(label))
    return len(bad_records)


def _size(path: Path) -> int:
    if path.is_dir():
        return sum(p.stat().st_size for p in path.rglob("*") if p.is_file())
    return path.stat().st_size


@dataclass
class _Batch:
    origins: list[tuple] = field(default_factory=list)
    samples: list[tuple] = field(default_factory=list)
    texts: list[tuple[int, str]] = field(default_factory=list)
    flags: list[tuple[int, str, str]] = field(default_factory=list)
    """``(sample_id, check, detail)`` the QA checks (app.quality) found."""
    bad: list[BadRecord] = field(default_factory=list)


class _RowBuilder:
    """Turns records into the rows of origins, samples and the text index, a batch at a time.

    Ids are assigned here rather than by SQLite so that one ``executemany`` per table suffices; it
    is safe because the whole import runs inside one write transaction, which took the next free
    ids before the first row was built.
    """

    def __init__(self, next_origin: int, next_sample: int, source_id: int, subset: str) -> None:
        self.next_origin = next_origin
        self.next_sample = next_sample
        self.source_id = source_id
        self.subset = subset
        self.stamp = now_iso()

    def batches(self, items: Iterator[Record | BadRecord]) -> Iterator[_Batch]:
        batch = _Batch()
        for item in items:
            if isinstance(item, BadRecord):
                batch.bad.append(item)
            else:
                self._add(batch, item)
            if len(batch.samples) >= BATCH:
                yield batch
                batch = _Batch()
        if batch.samples or batch.bad:
            yield batch

    def _add(self, batch: _Batch, record: Record) -> None:
        origin_id, sample_id = self.next_origin, self.next_sample
        self.next_origin += 1
        self.next_sample += 1
        raw_hash = hashlib.blake2b(record.raw.encode(), digest_size=16).hexdigest()
        batch.origins.append((origin_id, self.source_id, record.line, record.member, record.raw, raw_hash))
        batch.samples.append(
            (
                sample_id,
                record.kind.value,
                self.subset,
                self.source_id,
                origin_id,
                orjson.dumps(record.content).decode(),
                self.stamp,
                1 if is_plain_alpaca(record.kind, record.content) else None,
            )
        )
        batch.texts.append((sample_id, searchable_text(record.content)))
        # The QA checks run here, in the reader thread, beside SQLite's work in the writer (which
        # needs the GIL only to hand each statement its values: see app.store.bulk).
        batch.flags.extend(
            (sample_id, check, detail)
            for check, detail in _quality_flags(sample_id, record.kind.value, record.content).items()
        )


class _BatchWriter:
    """Writes prepared batches into the open import transaction."""

    def __init__(self, project: Project) -> None:
        self.conn = project.db.conn
        self.next_origin = self.conn.execute("SELECT coalesce(max(id), 0) + 1 FROM origins").fetchone()[0]
        self.next_sample = self.conn.execute("SELECT coalesce(max(id), 0) + 1 FROM samples").fetchone()[0]
        self.written = 0

    def write(self, batch: _Batch) -> None:
        if not batch.samples:
            return
        bulk.insert(self.conn, "origins", ("id", "source_id", "line", "member", "raw", "hash"), batch.origins)
        bulk.insert(
            self.conn,
            "samples",
            ("id", "kind", "subset", "source_id", "origin_id", "content", "updated_at", "stored_plain"),
            batch.samples,
        )
        # FTS5's merge settings stay at their defaults. Merging 16 segments at a time instead of 4
        # during the import took 35 % off indexing 200,000 rows, nothing measurable at a million,
        # and left merges owed: the first edits after a million-row import then waited up to 18 s
        # for one (0.4 s at most with the defaults).
        bulk.insert(self.conn, "samples_fts", ("rowid", "body"), batch.texts)
        bulk.insert(self.conn, "sample_flags", ("sample_id", "flag", "detail"), batch.flags)
        self.written += len(batch.samples)


def _quality_flags(sample_id: int, kind: str, content: dict) -> dict[str, str]:
    """The QA flags of a sample being imported. A check that fails on some odd record is a bug to
    log, never a reason to refuse the user's data: the sample comes in unflagged (re-checked later)."""
    try:
        return quality_flags_of(kind, content)
    except Exception:
        log.exception("QA checks failed on sample %s; imported without its QA flags", sample_id)
        return {}


_DONE = object()


def prefetch(items: Iterator[T], depth: int = 2) -> Iterator[T]:
    """Iterate ``items`` in a helper thread, ``depth`` items ahead of the consumer.

    Reading and parsing a source is Python work; inserting and indexing it is SQLite work, which
    runs with the GIL released. With the two in different threads an import uses both cores. An
    exception in the helper thread is raised here; stopping early (an error, a cancel, an abort)
    stops the helper thread before this generator returns, so no thread outlives the import.
    """
    queue: Queue = Queue(maxsize=depth)
    stop = threading.Event()

    def produce() -> None:
        try:
            for item in items:
                while not stop.is_set():
                    try:
                        queue.put(item, timeout=0.1)
                        break
                    except Full:
                        continue
                if stop.is_set():
                    return
            queue.put(_DONE)
        except BaseException as error:  # handed to the consumer, which raises it
            queue.put(error)

    thread = threading.Thread(target=produce, name="winnow-import-reader", daemon=True)
    thread.start()
    try:
        while True:
            item = queue.get()
            if item is _DONE:
                return
            if isinstance(item, BaseException):
                raise item
            yield item
    finally:
        stop.set()
        while thread.is_alive():
            with contextlib.suppress(Empty):
                queue.get(timeout=0.1)
        thread.join()
        # Close the reader (and its file) now, not whenever the garbage collector gets to it.
        close = getattr(items, "close", None)
        if close is not None:
            close()
