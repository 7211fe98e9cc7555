"""Plain text for COIG-Kun: one passage per blank-line-separated block, no labels.

Each passage becomes an instruction record with only ``output`` filled; Kun's machine step later
back-translates the instruction the passage would answer. Detection scores low on purpose: almost
any text file *could* be passages, so every structured format outranks this one.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

from app.formats import textio
from app.formats.base import Reader, ReadOptions, Sniff
from app.records import BadRecord, Kind, Record


def prose(sniff: Sniff) -> str:
    """The sniffed text (leading white space and BOM dropped) of a text file that does not look like
    JSON; '' for anything else."""
    if sniff.is_dir or sniff.is_archive or sniff.is_parquet or sniff.values:
        return ""
    text = sniff.text.lstrip(" \t\r\n\ufeff")
    return "" if not text or text[0] in "{[" else text


def detect(sniff: Sniff) -> int:
    """15–20 for text that is not JSON: a fallback any structured format beats."""
    if not prose(sniff):
        return 0
    # Passages separated by blank lines are what Kun's raw corpora look like.
    return 20 if _has_blank_line_between_text(sniff.text) else 15


def _has_blank_line_between_text(text: str) -> bool:
    lines = text.strip().splitlines()
    return any(not line.strip() for line in lines)


def blocks(path: Path, encoding: str | None, separator: Callable[[str], Any]) -> Iterator[tuple[int, list[str]]]:
    """``(first line number, lines)`` of each block of the file between ``separator`` lines. Blank lines
    before a block are skipped, those inside it kept; a block of blank lines only is no block."""
    block: list[str] = []
    start = 0
    for number, text in textio.iter_lines(path, encoding):
        if separator(text):
            if any(line.strip() for line in block):
                yield start, block
            block = []
            continue
        if not block and not text.strip():
            continue
        if not block:
            start = number
        block.append(text)
    if any(line.strip() for line in block):
        yield start, block


def _is_blank(text: str) -> bool:
    return not text.strip()


def read(path: Path, options: ReadOptions) -> Iterator[Record | BadRecord]:
    """One Record per block of non-blank lines; ``line`` is the block's first line."""
    for start, lines in blocks(path, options.encoding, _is_blank):
        yield _passage(lines, start)


def _passage(lines: list[str], start: int) -> Record:
    # Trailing spaces are editor noise; leading ones stay (a Chinese paragraph's indent "　　").
    output = "\n".join(line.rstrip() for line in lines)
    content = {"instruction": "", "input": "", "output": output}
    return Record(kind=Kind.INSTRUCTION, content=content, line=start, raw="\n".join(lines))


READER = Reader(
    name="plain-text",
    title="Plain text (one passage per blank-line-separated block, for COIG-Kun)",
    detect=detect,
    read=read,
)
