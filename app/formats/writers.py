"""What every writer shares: atomic, buffered JSONL / JSON-array output and the record finishing touches.

A format module only says how one :class:`~app.formats.base.ExportItem` becomes one output dict (a
*builder*); the functions here stream the dicts to disk through :func:`app.fsutil.atomic_write`, so a
failed export never leaves half a file or a stray temporary file, and an unwritable destination is
reported as an :class:`OSError` naming the file the user asked for (not our temporary name).

Speed matters: a million-row export is benchmarked against ``select + orjson.dumps + write``, so the
per-row work is the builder's dict, one ``orjson.dumps`` and a list append; bytes go to disk in big
joined chunks.
"""

from __future__ import annotations

import contextlib
import os
import sys
import tempfile
from collections.abc import Callable, Iterable, Iterator, Sequence
from pathlib import Path
from typing import IO, Any

import orjson

from app.formats.base import ExportItem, LineBlock
from app.fsutil import atomic_write, fsync_file
from app.records import Kind

Builder = Callable[[ExportItem], dict[str, Any]]
"""Turns one item into the record written for it (schema fields first, then :func:`finish`)."""

PROVENANCE_KEY = "_winnow"

# Rows joined into one write(): ~4k rows of typical instruction data is a few MB, big enough that the
# write syscalls vanish from the profile, small enough not to hold a noticeable amount of memory.
_ROWS_PER_CHUNK = 4096

_dumps = orjson.dumps
# Kinds whose stored content is shaped like an Alpaca record (as_alpaca keeps it as it is).
_ALPACA_AS_STORED = frozenset({Kind.INSTRUCTION, Kind.CODE})
_NEWLINE = orjson.OPT_APPEND_NEWLINE


def finish(record: dict[str, Any], item: ExportItem) -> dict[str, Any]:
    """Add the item's ``extra`` source fields at top level, then its provenance as the last key.

    Without provenance the record is exactly the schema plus what the source carried.
    """
    return add_provenance(add_extra(record, item.content), item)


def add_extra(record: dict[str, Any], content: dict[str, Any]) -> dict[str, Any]:
    """Put the source fields the reader kept in ``extra`` after the schema fields, in their order.

    An extra field never replaces a schema field: the reader only puts unmapped fields there, so a
    clash means the content was edited since, and the schema field is the truth.
    """
    extra = content.get("extra")
    if extra:
        # The usual case (no clash) stays in C: this runs once per row of a million-row export.
        if extra.keys().isdisjoint(record):
            record.update(extra)
        else:
            for key, value in extra.items():
                record.setdefault(key, value)
    return record


def add_provenance(record: dict[str, Any], item: ExportItem) -> dict[str, Any]:
    """Put the item's provenance, if the user asked for it, under ``"_winnow"`` as the last key."""
    if item.provenance is not None:
        # Pop first so it lands last even if an earlier export's "_winnow" came back in as extra.
        record.pop(PROVENANCE_KEY, None)
        record[PROVENANCE_KEY] = item.provenance
    return record


def export_error(target: Path, error: OSError) -> OSError:
    """The same kind of OSError, but naming the export file instead of a temporary one."""
    reason = error.strerror or str(error)
    # OSError(errno, ...) picks the matching subclass (PermissionError…) from errno by itself.
    return OSError(error.errno, f"cannot write export file ({reason})", str(target))


class _Sink:
    """The open temporary file; write errors (a full disk) come out naming the export file."""

    __slots__ = ("_handle", "_target")

    def __init__(self, handle: IO[bytes], target: Path) -> None:
        self._handle = handle
        self._target = target

    def write(self, data: bytes) -> None:
        try:
            self._handle.write(data)
        except OSError as error:
            raise export_error(self._target, error) from error


@contextlib.contextmanager
def open_export(path: str | os.PathLike[str]) -> Iterator[_Sink]:
    """Open ``path`` for a binary export through :func:`atomic_write`.

    File-system errors (no such folder and cannot create it, read-only, disk full, the rename) are
    re-raised naming ``path``; anything raised by the caller (a broken item iterator) passes through
    untouched after the temporary file is removed.
    """
    target = Path(path)
    manager = atomic_write(target, "wb", encoding=None)
    try:
        handle = manager.__enter__()
    except OSError as error:
        raise export_error(target, error) from error
    try:
        yield _Sink(handle, target)
    except BaseException:
        if not manager.__exit__(*sys.exc_info()):
            raise
    else:
        try:
            manager.__exit__(None, None, None)
        except OSError as error:
            raise export_error(target, error) from error


@contextlib.contextmanager
def atomic_path(path: str | os.PathLike[str]) -> Iterator[Path]:
    """A temporary path beside ``path`` to build a file at (e.g. SQLite), renamed over it on success.

    Like :func:`atomic_write` for tools that want a file name rather than a handle: on error the
    temporary file is removed and the old ``path`` stays as it was.
    """
    target = Path(path)
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        # An empty file is a valid empty SQLite database, so mkstemp's unique name can be used as is.
        fd, tmp_name = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".part", dir=target.parent)
        os.close(fd)
    except OSError as error:
        raise export_error(target, error) from error
    tmp = Path(tmp_name)
    try:
        yield tmp
    except BaseException:
        _remove(tmp)
        raise
    try:
        fsync_file(tmp)
        os.replace(tmp, target)
    except OSError as error:
        _remove(tmp)
        raise export_error(target, error) from error


def _remove(path: Path) -> None:
    with contextlib.suppress(FileNotFoundError):
        path.unlink()


def stored_alpaca_line(kind: Kind, data: bytes) -> bytes | None:
    """The stored content as the Alpaca JSON line itself, when it provably is exactly one; else None.

    The store keeps content as compact orjson. Inside a JSON string a quote is always escaped, so
    the two characters ``,"`` occur only where a key (or an array element) starts: text that opens
    with ``{"instruction":"``, holds exactly two ``,"``, namely ``,"input":"`` then ``,"output":"``,
    and closes with ``"}`` is ``{"instruction": str, "input": str, "output": str}`` in that order,
    which is byte for byte what building and dumping the Alpaca record would give.
    """
    if kind not in _ALPACA_AS_STORED:
        return None
    if not (data.startswith(b'{"instruction":"') and data.endswith(b'"}') and data.count(b',"') == 2):
        return None
    at_input = data.find(b',"input":"')
    if at_input < 0 or data.find(b',"output":"', at_input) < 0:
        return None
    return data + b"\n"


def stored_alpaca_block(rows: Sequence[tuple[int, str, int | None, bytes, int | None]]) -> LineBlock | None:
    """A batch's stored contents joined as its Alpaca lines when every row is marked ``stored_plain``
    (checked when it was imported, cleared by any change since): no look at the rows at all."""
    if {row[4] for row in rows} != {1}:
        return None
    return LineBlock(b"\n".join([row[3] for row in rows]) + b"\n", len(rows))


def write_jsonl(path: Path, items: Iterable[ExportItem | bytes | LineBlock], build: Builder) -> int:
    """One JSON object per line, UTF-8, no ASCII escaping; returns the number of records.

    An item may be a ready line (``bytes``, from :attr:`Writer.stored_line`) or a block of them
    (:attr:`Writer.stored_block`), written as it is.
    """
    count = 0
    chunk: list[bytes] = []
    append = chunk.append
    with open_export(path) as out:
        for item in items:
            if type(item) is LineBlock:
                out.write(b"".join(chunk))
                chunk.clear()
                out.write(item.data)
                count += item.count
                continue
            append(item if type(item) is bytes else _dumps(build(item), option=_NEWLINE))
            count += 1
            if len(chunk) >= _ROWS_PER_CHUNK:
                out.write(b"".join(chunk))
                chunk.clear()
        out.write(b"".join(chunk))
    return count


def write_json_array(path: Path, items: Iterable[ExportItem], build: Builder) -> int:
    """One JSON array, element by element (never the whole list in memory), one element per line."""
    count = 0
    chunk: list[bytes] = [b"["]
    append = chunk.append
    with open_export(path) as out:
        for item in items:
            append(b"\n" if count == 0 else b",\n")
            append(_dumps(build(item)))
            count += 1
            if len(chunk) >= 2 * _ROWS_PER_CHUNK:
                out.write(b"".join(chunk))
                chunk.clear()
        append(b"\n]\n" if count else b"]\n")
        out.write(b"".join(chunk))
    return count
