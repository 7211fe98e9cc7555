"""Reading text sources: encoding detection, streamed lines and streamed JSON values.

Every text reader goes through here so that encodings, BOMs, line endings and bad bytes are handled
once. Detection is strict decoding, not guessing: a Chinese user's text is UTF-8 (with or without
BOM), UTF-16 with BOM (Excel's "Unicode text"), or GB18030 (a superset of GBK and GB2312), and a
strict decoder tells these apart exactly. Everything that goes wrong with the file as a whole is a
:class:`FormatError` whose message names the file (and the line, where there is one).
"""

from __future__ import annotations

import codecs
import io
import json
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import orjson

from app.formats.base import FormatError, Sniff
from app.i18n import _
from app.records import BadRecord

HEAD_SIZE = 64 * 1024
"""How much of a file detection looks at: enough for a few dozen typical records."""

SNIFF_VALUES = 20
"""How many JSON objects a sniff parses for detection."""

# Reading in 1 MiB blocks keeps a million-line import to a few hundred system calls while the
# memory held stays small next to any record we expect.
_BLOCK = 1024 * 1024

_FALLBACKS = ("utf-8", "gb18030")

# Control bytes that never occur in text. Tab, LF, VT, FF, CR and ESC (ANSI colours in logs) do.
_CONTROL_BYTES = bytes(b for b in range(32) if b not in (9, 10, 11, 12, 13, 27))

# More than this share of control bytes in the head means a binary file. Text has next to none;
# compressed or executable data has about 1/8 of them.
_BINARY_SHARE = 0.05

_BOMS = (
    (codecs.BOM_UTF8, "utf-8-sig"),
    (codecs.BOM_UTF16_LE, "utf-16"),
    (codecs.BOM_UTF16_BE, "utf-16"),
)

_WS = re.compile(r"[ \t\n\r]*")
_DECODER = json.JSONDecoder()

# A parse error this close to the end of the text window may just be a value cut by the window.
_CUT_MARGIN = 64


# --- encodings --------------------------------------------------------------------------------


def read_head(path: Path, size: int = HEAD_SIZE) -> bytes:
    """The first ``size`` bytes of a file, or a FormatError saying why it cannot be read."""
    try:
        with open(path, "rb") as handle:
            return handle.read(size)
    except IsADirectoryError:
        raise FormatError(_("{path}: is a folder, not a file").format(path=path)) from None
    except OSError as error:
        raise FormatError(
            _("{path}: cannot read the file ({error})").format(path=path, error=error.strerror or error)
        ) from None


def detect_encoding(path: Path, head: bytes) -> str:
    """The encoding of a text file, from its first bytes ``head`` (BOM, then strict decoding)."""
    for bom, encoding in _BOMS:
        if head.startswith(bom):
            if not _decode_head(head, encoding).strip() and _is_whole_file(path, head):
                raise FormatError(_("{path}: the file is empty").format(path=path))
            return encoding
    if not head.strip() and _is_whole_file(path, head):
        raise FormatError(_("{path}: the file is empty").format(path=path))
    if _looks_binary(head):
        raise FormatError(_("{path}: looks like a binary file, not text").format(path=path))
    for encoding in _FALLBACKS:
        if _decodes(head, encoding):
            return encoding
    tried = ", ".join(_display(e) for e in _FALLBACKS)
    raise FormatError(
        _(
            "{path}: not text in any encoding tried ({tried}){where}; if you know its encoding, name it with --encoding"
        ).format(path=path, tried=tried, where=_where_utf8_fails(head))
    )


def _where_utf8_fails(head: bytes) -> str:
    # Mostly-UTF-8 files with one damaged spot are common (a bad concatenation, a cut download);
    # saying where the damage is helps more than the list of encodings.
    try:
        head.decode("utf-8")
    except UnicodeDecodeError as error:
        line = head.count(b"\n", 0, error.start) + 1
        return f"; it stops being UTF-8 on line {line} (byte offset {error.start})"
    return ""


def check_encoding(name: str) -> str:
    """The codec name for a user-given encoding, or a FormatError if Python does not know it."""
    try:
        return codecs.lookup(name).name
    except LookupError:
        raise FormatError(f"unknown encoding {name!r} (try utf-8, gb18030 or utf-16)") from None


def _is_whole_file(path: Path, head: bytes) -> bool:
    # 64 KiB of blanks followed by content is not an empty file.
    try:
        return path.stat().st_size <= len(head)
    except OSError:
        return True


def _looks_binary(head: bytes) -> bool:
    if b"\x00" in head:
        return True
    controls = len(head) - len(head.translate(None, _CONTROL_BYTES))
    return controls > _BINARY_SHARE * len(head)


def _decodes(head: bytes, encoding: str) -> bool:
    # final=False: the head may end in the middle of a multibyte character.
    try:
        codecs.getincrementaldecoder(encoding)("strict").decode(head, final=False)
    except UnicodeDecodeError:
        return False
    return True


def _decode_head(head: bytes, encoding: str) -> str:
    return codecs.getincrementaldecoder(encoding)("replace").decode(head, final=False)


def _display(encoding: str) -> str:
    return {"utf-8-sig": "UTF-8 (with BOM)", "utf-16": "UTF-16"}.get(encoding, encoding.upper())


def _resolve_encoding(path: Path, encoding: str | None) -> str:
    head = read_head(path)
    if encoding is None:
        return detect_encoding(path, head)
    encoding = check_encoding(encoding)
    if encoding == "utf-8" and head.startswith(codecs.BOM_UTF8):
        return "utf-8-sig"  # the user said UTF-8; the BOM is still not part of the text
    if not head.strip():
        detect_encoding(path, head)  # raises "empty" for a blank file
    return encoding


# --- lines ------------------------------------------------------------------------------------


def _open_text(path: Path, encoding: str) -> io.TextIOWrapper:
    # newline=None gives universal newlines: CRLF and CR arrive as "\n".
    try:
        raw = open(path, "rb", buffering=_BLOCK)  # noqa: SIM115 - closed by the wrapper
    except OSError as error:
        raise FormatError(
            _("{path}: cannot read the file ({error})").format(path=path, error=error.strerror or error)
        ) from None
    return io.TextIOWrapper(raw, encoding=encoding, errors="strict", newline=None)


def iter_lines(path: Path, encoding: str | None = None) -> Iterator[tuple[int, str]]:
    """Every line of a text file as ``(line_number, text)``, 1-based, without its line ending.

    Streams: memory is bounded by the longest line. A byte that is not valid in the encoding
    raises FormatError naming the line and the byte offset.
    """
    encoding = _resolve_encoding(path, encoding)
    with _open_text(path, encoding) as stream:
        try:
            for number, line in enumerate(stream, 1):
                if number == 1:
                    line = line.removeprefix("\ufeff")  # a BOM left by a forced BOM-less codec
                yield number, line[:-1] if line.endswith("\n") else line
        except UnicodeDecodeError:
            raise _decode_error(path, encoding) from None
        except OSError as error:
            raise FormatError(
                _("{path}: reading failed ({error})").format(path=path, error=error.strerror or error)
            ) from None


def _decode_error(path: Path, encoding: str) -> FormatError:
    """Rescan the file to say where it stops being valid text (only ever run on failure)."""
    line, offset = locate_decode_error(path, encoding)
    return FormatError(f"{path}:{line}: not valid {_display(encoding)} text (byte offset {offset})")


def locate_decode_error(path: Path, encoding: str) -> tuple[int, int]:
    """The 1-based line and the byte offset of the first byte that does not decode."""
    codec, skip = _plain_codec(path, encoding)
    newlines = 0
    offset = skip  # file offset of data[0]
    carry = b""
    last_char = ""
    with open(path, "rb") as handle:
        handle.seek(skip)
        while True:
            block = handle.read(_BLOCK)
            data = carry + block
            try:
                text = data.decode(codec)
                carry = b""
            except UnicodeDecodeError as error:
                cut_char = block and error.end == len(data) and error.start >= len(data) - 8
                if not cut_char:
                    text = data[: error.start].decode(codec, errors="replace")
                    return newlines + _count_newlines(text, last_char) + 1, offset + error.start
                text, carry = data[: error.start].decode(codec), data[error.start :]
            newlines += _count_newlines(text, last_char)
            last_char = text[-1:] or last_char
            offset += len(data) - len(carry)
            if not block:
                return newlines + 1, offset  # decodes after all (changed since it failed)


def _plain_codec(path: Path, encoding: str) -> tuple[str, int]:
    """A codec without BOM handling, and how many BOM bytes to skip, for exact byte offsets."""
    head = read_head(path, 4)
    name = codecs.lookup(encoding).name
    if name == "utf-8-sig":
        return "utf-8", len(codecs.BOM_UTF8) if head.startswith(codecs.BOM_UTF8) else 0
    if name == "utf-16":
        if head.startswith(codecs.BOM_UTF16_BE):
            return "utf-16-be", 2
        return "utf-16-le", 2 if head.startswith(codecs.BOM_UTF16_LE) else 0
    return name, 0


def _count_newlines(text: str, before: str) -> int:
    # Universal newlines: "\r\n", "\r" and "\n" each end one line.
    count = text.count("\n") + text.count("\r") - text.count("\r\n")
    if before == "\r" and text.startswith("\n"):
        count -= 1
    return count


# --- JSON values ------------------------------------------------------------------------------

JsonItem = tuple[int, str, Any] | BadRecord


def iter_json_values(path: Path, encoding: str | None = None) -> Iterator[JsonItem]:
    """Every JSON object of a JSON Lines file, a top-level JSON array, or a single-object file.

    Yields ``(line_of_start, raw_text, value)`` for each object, or a :class:`BadRecord` for a value
    that is malformed or not an object. JSON Lines continue after a bad line; an array stops at its
    first malformed element, since nothing after it can be trusted to line up. Streams throughout:
    an array of any length is read through a bounded window.
    """
    encoding = _resolve_encoding(path, encoding)
    as_bytes = _lines_as_bytes(path, encoding)
    with _open_text(path, encoding) as stream:
        try:
            yield from _iter_json_stream(stream, as_bytes)
        except UnicodeDecodeError:
            raise _decode_error(path, encoding) from None
        except OSError as error:
            raise FormatError(
                _("{path}: reading failed ({error})").format(path=path, error=error.strerror or error)
            ) from None


def _lines_as_bytes(path: Path, encoding: str) -> bool:
    """Whether JSON Lines can be split as bytes: UTF-8, and no old-Mac CR-only line ends.

    orjson parses UTF-8 bytes directly, which saves a fifth of the time of a big import over
    decoding every line twice (to str, then back to UTF-8 inside orjson).
    """
    if codecs.lookup(encoding).name not in ("utf-8", "utf-8-sig"):
        return False
    head = read_head(path)
    return head.count(b"\r") == head.count(b"\r\n")


def _iter_json_stream(stream: io.TextIOWrapper, as_bytes: bool = False) -> Iterator[JsonItem]:
    first_line = _next_content_line(stream)
    stripped = first_line.lstrip(" \t\ufeff")
    if stripped.startswith("["):
        # A whole array on its first line with more values after it is JSON Lines whose first
        # value happens to be an array (reported as not an object); anything else is an array.
        is_lines = _parses(first_line) and bool(_next_content_line(stream))
        stream.seek(0)
        yield from (_iter_lines_of(stream, as_bytes) if is_lines else _Scanner(stream).array())
        return
    if stripped.startswith("{") and not _parses(first_line):
        # A pretty-printed object (or several, one after another), unless the first value is
        # broken (JSON Lines with a bad first line) or just longer than the peek (JSON Lines
        # with a long first line: its value ends on the line it starts on).
        stream.seek(0)
        documents = _Scanner(stream).documents()
        first = next(documents, None)
        if not isinstance(first, BadRecord) and (first is None or "\n" in first[1]):
            if first is not None:
                yield first
            yield from documents
            return
        documents.close()
    stream.seek(0)
    yield from _iter_lines_of(stream, as_bytes)


def _iter_lines_of(stream: io.TextIOWrapper, as_bytes: bool) -> Iterator[JsonItem]:
    if not as_bytes:
        return _iter_json_lines(stream)
    # The text wrapper was just rewound and is not read again: its buffer is ours.
    stream.buffer.seek(0)
    return _iter_json_byte_lines(stream.buffer)


# How much of the first line layout detection reads: a minified array can be one line of
# hundreds of megabytes, which only the scanner may hold, a window at a time.
_PEEK = 1024 * 1024


def _next_content_line(stream: io.TextIOWrapper) -> str:
    """The next non-blank line (at most ``_PEEK`` characters of it), or "" at the end."""
    while True:
        line = stream.readline(_PEEK)
        if not line or line.strip():
            return line


def _parses(line: str) -> bool:
    try:
        orjson.loads(line)
    except orjson.JSONDecodeError:
        return False
    return True


def _iter_json_lines(stream: io.TextIOWrapper) -> Iterator[JsonItem]:
    # The hot path of a million-line import: one orjson call per line and nothing else for a
    # good line. Blank lines fail to parse and are only then recognised as blank.
    loads = orjson.loads
    decode_error = orjson.JSONDecodeError
    for number, line in enumerate(stream, 1):
        try:
            value = loads(line)
        except decode_error as error:
            if line.strip():
                yield BadRecord(number, f"invalid JSON: {_json_message(error)} (column {error.colno})")
            continue
        raw = line[:-1] if line.endswith("\n") else line
        if type(value) is dict:
            yield number, raw, value
        else:
            yield BadRecord(number, f"expected a JSON object, got {json_type(value)}")


def _iter_json_byte_lines(stream: io.BufferedReader) -> Iterator[JsonItem]:
    # As _iter_json_lines, over UTF-8 bytes. Decoding each line (for ``raw``) is also what catches
    # bad bytes, with the same UnicodeDecodeError the text path raises.
    loads = orjson.loads
    decode_error = orjson.JSONDecodeError
    for number, line in enumerate(stream, 1):
        raw = line.decode("utf-8").rstrip("\r\n")
        if number == 1:
            raw = raw.removeprefix("\ufeff")
        try:
            value = loads(raw if number == 1 else line)
        except decode_error as error:
            if raw.strip():
                yield BadRecord(number, f"invalid JSON: {_json_message(error)} (column {error.colno})")
            continue
        if type(value) is dict:
            yield number, raw, value
        else:
            yield BadRecord(number, f"expected a JSON object, got {json_type(value)}")


def _json_message(error: json.JSONDecodeError) -> str:
    return error.msg.rstrip(".")


def json_type(value: Any) -> str:
    """The JSON name of a parsed value's type, for messages."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int | float):
        return "number"
    if isinstance(value, str):
        return "string"
    if isinstance(value, list):
        return "array"
    if isinstance(value, dict):
        return "object"
    return type(value).__name__


class _Scanner:
    """Parses JSON values one by one out of a text stream through a window that grows only as
    much as the current value needs, counting lines as it goes."""

    def __init__(self, stream: io.TextIOWrapper) -> None:
        self.stream = stream
        self.buf = ""
        self.pos = 0
        self.eof = False
        self.line = 1  # line number at self.counted
        self.counted = 0

    def _more(self, at_least: int = _BLOCK) -> bool:
        if self.eof:
            return False
        # Drop what is consumed, so the window holds only the value being parsed.
        if self.pos > _BLOCK:
            self._line_at(self.pos)
            self.buf = self.buf[self.pos :]
            self.counted -= self.pos
            self.pos = 0
        block = self.stream.read(max(at_least, _BLOCK))
        if not block:
            self.eof = True
            return False
        self.buf += block
        return True

    def _line_at(self, index: int) -> int:
        self.line += self.buf.count("\n", self.counted, index)
        self.counted = index
        return self.line

    def _skip_ws(self) -> bool:
        """Move past whitespace; False at the end of the text."""
        while True:
            self.pos = _WS.match(self.buf, self.pos).end()  # type: ignore[union-attr]
            if self.pos < len(self.buf):
                return True
            if not self._more():
                return False

    def _value(self) -> JsonItem:
        """The value at ``pos``, reading on while it may be cut off by the window."""
        start = self.pos
        while True:
            try:
                value, end = _DECODER.raw_decode(self.buf, start)
            except json.JSONDecodeError as error:
                cut = error.pos >= len(self.buf) - _CUT_MARGIN or error.msg.startswith("Unterminated")
                if cut and self._more(len(self.buf)):
                    start = self.pos
                    continue
                line = self._line_at(start)
                error_line = line + self.buf.count("\n", start, error.pos)
                where = f"line {error_line}, column {error.pos - self.buf.rfind(chr(10), 0, error.pos)}"
                return BadRecord(line, f"invalid JSON: {_json_message(error)} ({where})")
            except RecursionError:
                return BadRecord(self._line_at(start), "invalid JSON: nested too deeply")
            # A number or literal that ends at the window's edge may go on in the next block.
            if end == len(self.buf) and self._more():
                start = self.pos
                continue
            self.pos = end
            line = self._line_at(start)
            if type(value) is not dict:
                return BadRecord(line, f"expected a JSON object, got {json_type(value)}")
            return line, self.buf[start:end], value

    def _stop(self, reason: str) -> BadRecord:
        return BadRecord(self._line_at(self.pos), f"{reason}; reading stops here")

    def array(self) -> Iterator[JsonItem]:
        """The elements of a top-level array."""
        self._skip_ws()
        if self.buf.startswith("\ufeff", self.pos):
            self.pos += 1
            self._skip_ws()
        self.pos += 1  # the "[" the caller saw
        if not self._skip_ws():
            yield self._stop("invalid JSON: the array is not closed with ']'")
            return
        if self.buf[self.pos] == "]":
            self.pos += 1
            yield from self._trailing()
            return
        while True:
            item = self._value()
            if isinstance(item, BadRecord) and item.reason.startswith("invalid JSON"):
                yield BadRecord(item.line, f"{item.reason}; the rest of the array cannot be read")
                return
            yield item
            if not self._skip_ws():
                yield self._stop("invalid JSON: the array is not closed with ']'")
                return
            char = self.buf[self.pos]
            self.pos += 1
            if char == "]":
                yield from self._trailing()
                return
            if char != "," or not self._skip_ws():
                self.pos -= 1
                yield self._stop(f"invalid JSON: expected ',' or ']' after an array element, got {char!r}")
                return

    def _trailing(self) -> Iterator[BadRecord]:
        if self._skip_ws():
            yield self._stop("invalid JSON: unexpected text after the end of the array")

    def documents(self) -> Iterator[JsonItem]:
        """Values one after another, separated by whitespace (a single pretty-printed object)."""
        while self._skip_ws():
            if self.buf.startswith("\ufeff", self.pos):
                self.pos += 1
                continue
            item = self._value()
            if isinstance(item, BadRecord) and item.reason.startswith("invalid JSON"):
                yield BadRecord(item.line, f"{item.reason}; the rest of the file cannot be read")
                return
            yield item


# --- sniffing ---------------------------------------------------------------------------------


def sniff_text(path: Path, encoding: str | None = None) -> Sniff:
    """What detection needs of a text file: its decoded head and its first JSON objects."""
    head = read_head(path)
    encoding = _resolve_encoding(path, encoding)
    text = _decode_head(head, encoding)
    values: tuple[Any, ...] = ()
    if text.lstrip(" \t\r\n\ufeff")[:1] in ("{", "["):
        values = tuple(_first_objects(path, encoding))
    return Sniff(path=path, text=text, values=values, encoding=encoding)


def _first_objects(path: Path, encoding: str) -> Iterator[Any]:
    # Best effort: a bad record or a bad byte later on is the reader's business, not detection's.
    found = bad = 0
    try:
        for item in iter_json_values(path, encoding):
            if isinstance(item, BadRecord):
                bad += 1
                if bad > 2 * SNIFF_VALUES:
                    return
                continue
            yield item[2]
            found += 1
            if found >= SNIFF_VALUES:
                return
    except FormatError:
        return
