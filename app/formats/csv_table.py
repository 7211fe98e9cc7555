"""CSV and TSV tables: a header row, then one record per row, fields through the column map.

Two readers: ``csv`` (comma, or the semicolon/pipe some European Excel locales and exports use,
detected from the content) and ``tsv`` (tab). The module exports both in ``READERS``; ``READER`` is
the CSV one for a registry that looks at ``READER`` only.

Text comes through :mod:`app.formats.textio`, so UTF-8 with or without BOM, GB18030/GBK (what
Chinese Excel writes as "CSV") and UTF-16 ("Unicode text") all work, with any line endings.
Quoted cells may span lines; a record's ``line`` is the line where its row starts.
"""

from __future__ import annotations

import csv
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from app.formats import textio
from app.formats.base import FormatError, Reader, ReadOptions, Sniff
from app.formats.column_map import default_column_map, record_from_row, resolve_column_map
from app.records import BadRecord, Record

CSV_DELIMITERS = ",;|"
TSV_DELIMITER = "\t"

# csv refuses cells over 128 KiB by default; a long answer or a pasted article can be larger.
# The limit is process-wide in the csv module, so it is only ever raised, never lowered.
_FIELD_LIMIT = 64 * 1024 * 1024

# How many rows of the sniffed head decide the delimiter and the table's shape.
_SNIFF_ROWS = 50


def _raise_field_limit() -> None:
    if csv.field_size_limit() < _FIELD_LIMIT:
        csv.field_size_limit(_FIELD_LIMIT)


# --- detection --------------------------------------------------------------------------------


def _head_rows(text: str, delimiter: str) -> list[list[str]]:
    """The complete, non-blank rows of the sniffed head."""
    lines = text.splitlines(keepends=True)
    if text and not text.endswith(("\n", "\r")):
        lines = lines[:-1]  # the head may end mid-row
    rows: list[list[str]] = []
    try:
        for row in csv.reader(lines, delimiter=delimiter):
            if any(cell.strip() for cell in row):
                rows.append(row)
            if len(rows) >= _SNIFF_ROWS:
                break
    except csv.Error:
        return []
    return rows


def _shape_score(rows: list[list[str]]) -> int:
    """0 or 70: whether the rows look like a table (two or more columns, every row the same width)."""
    if len(rows) < 2 or len(rows[0]) < 2:
        return 0
    width = len(rows[0])
    same = sum(1 for row in rows[1:] if len(row) == width)
    # A broken row or two must not hide a table: allow one in ten, and always one.
    allowed = max(1, (len(rows) - 1) // 10)
    if same == 0 or len(rows) - 1 - same > allowed:
        return 0
    return 70


def _best_delimiter(text: str, candidates: str) -> tuple[str, int]:
    """The candidate delimiter that makes the head the best table, and its shape score."""
    best, best_score, best_width = candidates[0], 0, 0
    for delimiter in candidates:
        rows = _head_rows(text, delimiter)
        score = _shape_score(rows)
        width = len(rows[0]) if rows else 0
        if (score, width) > (best_score, best_width):
            best, best_score, best_width = delimiter, score, width
    return best, best_score


def _looks_like_json(sniff: Sniff) -> bool:
    return bool(sniff.values) or sniff.text.lstrip(" \t\r\n\ufeff")[:1] in ("{", "[")


def _detect(sniff: Sniff, candidates: str) -> int:
    # Content only, like every detector: a .csv name on a JSON Lines file must not win.
    if sniff.is_dir or sniff.is_archive or sniff.is_parquet or not sniff.text or _looks_like_json(sniff):
        return 0
    delimiter, score = _best_delimiter(sniff.text, candidates)
    if score == 0:
        return 0
    header = _head_rows(sniff.text, delimiter)[0]
    mapped = default_column_map(header)
    header_bonus = 15 if {"instruction", "output", "messages", "textbox_question"} & mapped.keys() else 0
    return score + header_bonus


def detect_csv(sniff: Sniff) -> int:
    """Confidence that the source is a comma (or semicolon/pipe) separated table."""
    return _detect(sniff, CSV_DELIMITERS)


def detect_tsv(sniff: Sniff) -> int:
    """Confidence that the source is a tab separated table."""
    return _detect(sniff, TSV_DELIMITER)


# --- reading ----------------------------------------------------------------------------------


def _unique_header(cells: list[str]) -> list[str]:
    """Header names made usable as keys: blank ones named by position, repeats numbered.

    Excel writes a blank header cell for every trailing empty column and lets names repeat.
    """
    header: list[str] = []
    seen: set[str] = set()
    for index, cell in enumerate(cells, start=1):
        name = cell.strip() or f"column_{index}"
        candidate, copy = name, 1
        while candidate in seen:
            copy += 1
            candidate = f"{name}_{copy}"
        seen.add(candidate)
        header.append(candidate)
    return header


def csv_lines(path: Path, encoding: str | None) -> Iterator[str]:
    """The file's lines for ``csv.reader``, line endings put back."""
    # textio strips line endings; csv needs them to tell where a quoted multi-line cell breaks.
    for _number, text in textio.iter_lines(path, encoding):
        yield text + "\n"


def table_rows(reader: Any, width: int | None = None) -> Iterator[tuple[int, list[str]] | BadRecord]:
    """``(line, cells)`` of each row of ``reader`` (a ``csv.reader``) that is not blank, or a BadRecord
    for a row that is not valid CSV or (``width`` given) has another number of cells. Reads one row
    per item, so a caller may stop after the header and go on with another ``width``."""
    while True:
        start = reader.line_num + 1
        try:
            row = next(reader)
        except StopIteration:
            return
        except csv.Error as error:
            yield BadRecord(start, f"CSV error: {error}")
            continue
        if not any(cell.strip() for cell in row):
            continue  # blank lines and Excel's all-empty trailing rows carry no sample
        if width is not None and len(row) != width:
            yield BadRecord(start, f"expected {width} columns, got {len(row)}")
            continue
        yield start, row


def _read_table(path: Path, options: ReadOptions, delimiter: str) -> Iterator[Record | BadRecord]:
    _raise_field_limit()
    reader = csv.reader(csv_lines(path, options.encoding), delimiter=delimiter)
    header, column_map = _read_header(reader, path, options)
    for item in table_rows(reader, len(header)):
        if isinstance(item, BadRecord):
            yield item
        else:
            start, row = item
            yield record_from_row(dict(zip(header, row, strict=True)), column_map, start)


def _read_header(reader: Iterator[list[str]], path: Path, options: ReadOptions) -> tuple[list[str], dict[str, str]]:
    try:
        for cells in reader:
            if any(cell.strip() for cell in cells):
                header = _unique_header(cells)
                return header, resolve_column_map(header, options.column_map, path.name)
    except csv.Error as error:
        raise FormatError(f"{path.name}: the header row is not valid CSV: {error}") from None
    raise FormatError(f"{path.name}: no header row; a table needs one naming its columns")


def read_csv(path: Path, options: ReadOptions) -> Iterator[Record | BadRecord]:
    """Rows of a comma (or semicolon/pipe) separated table as Records."""
    sniff = textio.sniff_text(path, options.encoding)
    delimiter, _score = _best_delimiter(sniff.text, CSV_DELIMITERS)
    yield from _read_table(path, options, delimiter)


def read_tsv(path: Path, options: ReadOptions) -> Iterator[Record | BadRecord]:
    """Rows of a tab separated table as Records."""
    yield from _read_table(path, options, TSV_DELIMITER)


CSV_READER = Reader(name="csv", title="CSV table (header row, comma separated)", detect=detect_csv, read=read_csv)
TSV_READER = Reader(name="tsv", title="TSV table (header row, tab separated)", detect=detect_tsv, read=read_tsv)

READERS = [CSV_READER, TSV_READER]
READER = CSV_READER
