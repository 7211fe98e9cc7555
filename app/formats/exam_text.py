"""Raw exam questions as plain text, for the exam extraction task (COIG exam).

One question per block, blocks separated by a line of three or more ``-``, ``=``, ``*`` or ``#`` (blank
lines cannot separate questions: a reading passage has paragraphs). Each block becomes an ``exam``
sample with the whole text in ``textbox_question`` and the other fields empty; ``exam-extract`` then
proposes the six fields. Detected only when the text has separator lines and reads like an exam
(答案, 解析, lettered options), so that it outranks the plain-text passages reader only there.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

from app.formats.base import Reader, ReadOptions, Sniff
from app.formats.plain_text import blocks, prose
from app.records import EXAM_FIELDS, BadRecord, Kind, Record

SEPARATOR = re.compile(r"^\s*([-=*#])\1{2,}\s*$")
_EXAM_CUES = re.compile(r"答案|解析|选出|下列|[A-D][．.、]\s*\S")


def detect(sniff: Sniff) -> int:
    """30 for text with separator lines that reads like exam questions; else 0."""
    text = prose(sniff)
    if not text:
        return 0
    separators = sum(1 for line in text.splitlines() if SEPARATOR.match(line))
    return 30 if separators and len(_EXAM_CUES.findall(text)) >= 2 else 0


def read(path: Path, options: ReadOptions) -> Iterator[Record | BadRecord]:
    """One exam Record per block; ``line`` is the block's first non-blank line."""
    for start, lines in blocks(path, options.encoding, SEPARATOR.match):
        yield _question(lines, start)


def _question(lines: list[str], start: int) -> Record:
    raw = "\n".join(line.rstrip() for line in lines).strip("\n")
    content = {field: "" for field in EXAM_FIELDS} | {"textbox_question": raw}
    return Record(kind=Kind.EXAM, content=content, line=start, raw="\n".join(lines))


READER = Reader(
    name="exam-text",
    title="Raw exam questions (plain text, one question per block between --- lines)",
    detect=detect,
    read=read,
)
