"""What every format module provides, and the registry the importer and exporter look formats up in.

A *reader* module defines ``READER = Reader(...)``; a *writer* module defines ``WRITER = Writer(...)``
(a module may define both). ``app.formats.registry`` collects them.

Readers stream: they yield one :class:`~app.records.Record` or :class:`~app.records.BadRecord` at a
time and never hold the file in memory. A problem with one record is a ``BadRecord`` (the importer
decides whether to skip it or abort); a problem with the whole file (empty, binary, unknown encoding,
not this format at all) raises :class:`FormatError` with a message for the user.

Writers take an iterable of :class:`ExportItem` and write the whole file atomically through
:func:`app.fsutil.atomic_write`.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import orjson

from app.records import BadRecord, Kind, Record


class FormatError(Exception):
    """The file as a whole cannot be read: the message says what and where, for the user."""


@dataclass(frozen=True)
class Sniff:
    """What detection looks at: the start of the source, decoded, plus its first parsed values.

    ``values`` holds up to the first 20 JSON objects of a JSON/JSONL file (empty for other text);
    ``text`` the first 64 KiB of decoded text (``""`` for a folder, an archive or binary Parquet);
    ``members`` the first names inside a folder or ``.tar.gz``.
    """

    path: Path
    text: str = ""
    values: tuple[Any, ...] = ()
    encoding: str = ""
    is_dir: bool = False
    is_archive: bool = False
    is_parquet: bool = False
    members: tuple[str, ...] = ()
    member_values: tuple[Any, ...] = ()
    """The first parsed JSON documents found inside a folder or archive."""


@dataclass(frozen=True)
class ReadOptions:
    """What the user told the importer about a source."""

    column_map: Mapping[str, str] = field(default_factory=dict)
    """For CSV/TSV/Parquet: content field -> column name (as LLaMA-Factory's ``columns``)."""
    encoding: str | None = None
    """Force an encoding instead of detecting it."""


ReadFn = Callable[[Path, ReadOptions], Iterator[Record | BadRecord]]
DetectFn = Callable[[Sniff], int]


@dataclass(frozen=True)
class Reader:
    name: str
    """Stable identifier used by ``--format`` and stored with each source, e.g. ``"coig-exam"``."""
    title: str
    """What the user sees, e.g. ``"COIG exam (textbox_* fields)"``."""
    detect: DetectFn
    """Confidence 0–100 that a source is in this format; 0 means "certainly not"."""
    read: ReadFn


class ExportItem:
    """One sample on its way out.

    The content is given parsed (``content=``) or as the stored JSON text (``content_json=``), which
    is parsed on first use: a writer that can copy the stored text as it is (see
    :func:`app.formats.writers.stored_alpaca_line`) then never pays for parsing a million records.
    """

    __slots__ = ("_content", "content_json", "id", "kind", "origin_format", "origin_member", "provenance")

    def __init__(
        self,
        id: int,
        kind: Kind,
        content: dict[str, Any] | None = None,
        origin_format: str = "",
        origin_member: str = "",
        provenance: dict[str, Any] | None = None,
        content_json: str | bytes = "",
    ) -> None:
        self.id = id
        self.kind = kind
        self._content = content
        self.content_json = content_json
        self.origin_format = origin_format
        """The reader the sample came in through ("" if made in Winnow)."""
        self.origin_member = origin_member
        """For writers that ask for it (``Writer.wants_origin_member``): the file inside a folder or
        archive the sample was read from, so an archive can be written back with the same names."""
        self.provenance = provenance
        """When the user asks for provenance: source file and line, machine drafts with engine,
        edits, reviews. Writers put it under a ``"_winnow"`` key of each record."""

    @property
    def content(self) -> dict[str, Any]:
        if self._content is None:
            self._content = orjson.loads(self.content_json) if self.content_json else {}
        return self._content

    @content.setter
    def content(self, value: dict[str, Any]) -> None:
        self._content = value

    def __repr__(self) -> str:
        return f"ExportItem(id={self.id}, kind={self.kind.value})"


@dataclass(frozen=True)
class WriteOptions:
    dataset_name: str = "winnow"
    """Name used in LLaMA-Factory's ``dataset_info.json``."""


WriteFn = Callable[[Path, Iterable[ExportItem], WriteOptions], int]


@dataclass(frozen=True, slots=True)
class LineBlock:
    """Ready output lines of ``count`` samples (each ending in a newline), written as they are."""

    data: bytes
    count: int


@dataclass(frozen=True)
class Writer:
    name: str
    """Identifier used by ``--format``, e.g. ``"alpaca-jsonl"``."""
    title: str
    suffix: str
    """Default file suffix, e.g. ``".jsonl"``."""
    write: WriteFn
    """Write every item to the path atomically; return how many records were written."""
    kinds: frozenset[Kind] = frozenset(Kind)
    """Kinds this schema can hold; other samples are skipped and counted by the exporter."""
    stored_line: Callable[[Kind, bytes], bytes | None] | None = None
    """Optional: the output line for a sample straight from its stored JSON (kind, content bytes), or
    None where it must be built. Used without provenance; then the exporter hands :attr:`write` the
    ready ``bytes`` in place of an :class:`ExportItem`. Only JSON Lines writers declare it."""
    stored_block: Callable[[Sequence[tuple[int, str, int | None, bytes, int | None]]], LineBlock | None] | None = None
    """Optional, the same for a whole batch of ``(id, kind, source_id, content, stored_plain)`` rows
    at once: their lines joined, or None when a row must go the slow way. Saves a call and a yield
    per row on the exports that are nothing but copies (a million untouched instruction samples)."""
    wants_origin_member: bool = False
    """Fill ``ExportItem.origin_member`` (one more query per batch; only archive writers need it)."""
    llama_factory: Mapping[str, Any] | None = None
    """This format's entry for LLaMA-Factory's ``dataset_info.json`` (without ``file_name``), or
    ``None`` if LLaMA-Factory cannot read it."""
