"""Finding formats: every reader and writer module of ``app.formats``, and detection from content.

Modules are discovered, not listed: a module that defines ``READER`` or ``WRITER`` is a format. A
module that fails to import is logged and skipped, so one broken format cannot take the importer
down with it.
"""

from __future__ import annotations

import functools
import importlib
import itertools
import logging
import os
import pkgutil
import tarfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import orjson

import app.formats
from app.formats.base import FormatError, Reader, Sniff, Writer
from app.formats.textio import read_head, sniff_text
from app.i18n import _

log = logging.getLogger(__name__)

# How much of a folder or archive detection looks at. CCMC ships tens of thousands of small JSON
# files; the first few say what they are.
MAX_MEMBERS = 50
MAX_MEMBER_VALUES = 5
# A member bigger than this is not parsed for detection: reading it would stall the preview.
MAX_MEMBER_BYTES = 16 * 1024 * 1024

_GZIP_MAGIC = b"\x1f\x8b"
_PARQUET_MAGIC = b"PAR1"


# --- discovery --------------------------------------------------------------------------------


@functools.cache
def _modules() -> tuple[Any, ...]:
    found = []
    for info in sorted(pkgutil.iter_modules(app.formats.__path__), key=lambda m: m.name):
        if info.name.startswith("_") or info.ispkg:
            continue
        name = f"{app.formats.__name__}.{info.name}"
        try:
            found.append(importlib.import_module(name))
        except Exception:
            # A format that cannot load must not stop the others; the log says which and why.
            log.exception("format module %s failed to import; skipped", name)
    return tuple(found)


@functools.cache
def _readers() -> tuple[Reader, ...]:
    return _unique(_declared(m, "READER") for m in _modules())


@functools.cache
def _writers() -> tuple[Writer, ...]:
    return _unique(_declared(m, "WRITER") for m in _modules())


def _declared(module: Any, name: str) -> Iterator[Any]:
    """A module's ``READER``/``WRITER`` and the items of its ``READERS``/``WRITERS`` list."""
    single = getattr(module, name, None)
    if single is not None:
        yield single
    yield from getattr(module, name + "S", ())


def _unique(items: Any) -> tuple[Any, ...]:
    seen: dict[str, Any] = {}
    for item in itertools.chain.from_iterable(items):
        if item.name in seen and seen[item.name] is item:
            continue
        if item.name in seen:
            log.error("two formats are named %r; the second is ignored", item.name)
            continue
        seen[item.name] = item
    return tuple(seen.values())


def readers() -> list[Reader]:
    """Every reader, in module order."""
    return list(_readers())


def writers() -> list[Writer]:
    """Every writer, in module order."""
    return list(_writers())


def reader(name: str) -> Reader:
    """The reader called ``name``, or a FormatError listing the valid names."""
    for candidate in _readers():
        if candidate.name == name:
            return candidate
    valid = ", ".join(sorted(r.name for r in _readers()))
    raise FormatError(f"unknown input format {name!r}; choose one of: {valid}")


def writer(name: str) -> Writer:
    """The writer called ``name``, or a FormatError listing the valid names."""
    for candidate in _writers():
        if candidate.name == name:
            return candidate
    valid = ", ".join(sorted(w.name for w in _writers()))
    raise FormatError(f"unknown output format {name!r}; choose one of: {valid}")


# --- sniffing ---------------------------------------------------------------------------------


def sniff(path: Path, encoding: str | None = None) -> Sniff:
    """What detection looks at for a file, a folder or an archive."""
    path = Path(path)
    if path.is_dir():
        return _sniff_dir(path)
    if not path.exists():
        raise FormatError(_("{path}: no such file or folder").format(path=path))
    head = read_head(path, 4)
    if head.startswith(_GZIP_MAGIC):
        return _sniff_archive(path)
    if head.startswith(_PARQUET_MAGIC):
        return Sniff(path=path, is_parquet=True)
    return sniff_text(path, encoding)


def _sniff_dir(path: Path) -> Sniff:
    members: list[str] = []
    values: list[Any] = []
    for root, dirs, files in os.walk(path):
        dirs[:] = sorted(d for d in dirs if not d.startswith("."))
        for name in sorted(files):
            if name.startswith("."):
                continue
            file = Path(root, name)
            members.append(file.relative_to(path).as_posix())
            if len(values) < MAX_MEMBER_VALUES:
                value = _parse_member(_read_small(file))
                if value is not None:
                    values.append(value)
            if len(members) >= MAX_MEMBERS:
                return Sniff(path=path, is_dir=True, members=tuple(members), member_values=tuple(values))
    return Sniff(path=path, is_dir=True, members=tuple(members), member_values=tuple(values))


def _read_small(file: Path) -> bytes | None:
    try:
        if file.stat().st_size > MAX_MEMBER_BYTES:
            return None
        return file.read_bytes()
    except OSError:
        return None


def _sniff_archive(path: Path) -> Sniff:
    members: list[str] = []
    values: list[Any] = []
    try:
        # "r|*" streams: a 150 MB archive is read only as far as its first members.
        with tarfile.open(path, mode="r|*") as archive:
            for member in archive:
                if not member.isfile():
                    continue
                members.append(member.name)
                if len(values) < MAX_MEMBER_VALUES and member.size <= MAX_MEMBER_BYTES:
                    handle = archive.extractfile(member)
                    value = _parse_member(handle.read() if handle else None)
                    if value is not None:
                        values.append(value)
                # Going on past a huge member inflates all of it (an archive bomb: gigabytes of zeros).
                if len(members) >= MAX_MEMBERS or member.size > MAX_MEMBER_BYTES:
                    break
    except (tarfile.TarError, OSError, EOFError) as error:
        if not members:
            raise FormatError(
                _("{path}: a compressed file that is not a readable .tar.gz archive ({error})").format(
                    path=path, error=error
                )
            ) from None
        # A damaged tail does not change what the first members are.
    return Sniff(path=path, is_archive=True, members=tuple(members), member_values=tuple(values))


def _parse_member(data: bytes | None) -> Any:
    """A member's JSON document, or the first line of a JSON Lines member; None if neither."""
    if not data:
        return None
    data = data.removeprefix(b"\xef\xbb\xbf")
    try:
        return orjson.loads(data)
    except orjson.JSONDecodeError:
        pass
    try:
        return orjson.loads(data.split(b"\n", 1)[0])
    except orjson.JSONDecodeError:
        return None


# --- detection --------------------------------------------------------------------------------


@dataclass(frozen=True)
class Detection:
    """Which reader fits a source best, how sure we are, and what else might fit."""

    reader: Reader
    confidence: int
    sniff: Sniff
    candidates: list[tuple[str, int]]
    """Every reader that scored above 0, as ``(name, confidence)``, best first."""

    def describe(self) -> str:
        """One line for the user, e.g. ``detected COIG-CQIA (confidence 95; also possible: Alpaca 60)``."""
        titles = {r.name: r.title for r in _readers()}
        others = [f"{titles.get(name, name)} {score}" for name, score in self.candidates[1:4]]
        also = f"; also possible: {', '.join(others)}" if others else ""
        return f"detected {self.reader.title} (confidence {self.confidence}{also})"


def detect(path: Path, encoding: str | None = None) -> Detection:
    """The reader that best fits the content of ``path`` (never its name)."""
    found = sniff(Path(path), encoding)
    scores = [(candidate, _score(candidate, found)) for candidate in _readers()]
    ranked = sorted((pair for pair in scores if pair[1] > 0), key=lambda pair: -pair[1])
    if not ranked:
        raise FormatError(
            _("{path}: {what} — no known format; use --format and --map").format(path=path, what=looks_like(found))
        )
    best, confidence = ranked[0]
    return Detection(best, confidence, found, [(r.name, score) for r, score in ranked])


def _score(candidate: Reader, found: Sniff) -> int:
    try:
        return max(0, min(100, int(candidate.detect(found))))
    except Exception:
        # A detector bug must not hide the other formats; the log keeps the traceback.
        log.exception("detector of %s failed on %s", candidate.name, found.path)
        return 0


def looks_like(found: Sniff) -> str:
    """What a source looked like, for a message when no format fits it."""
    if found.is_dir or found.is_archive:
        what = "a folder" if found.is_dir else "an archive"
        if not found.members:
            return f"{what} with no files"
        count = f"{len(found.members)}{'+' if len(found.members) >= MAX_MEMBERS else ''}"
        return f"{what} of {count} files ({', '.join(found.members[:3])}…)"
    if found.is_parquet:
        return "a Parquet file"
    objects = [value for value in found.values if isinstance(value, dict)]
    if objects:
        keys: dict[str, None] = {}
        for value in objects:
            keys.update(dict.fromkeys(value))
        shown = ", ".join(list(keys)[:8]) + (", …" if len(keys) > 8 else "")
        return f"JSON objects with keys {shown}"
    first = next((line.strip() for line in found.text.splitlines() if line.strip()), "")
    return f"text starting {first[:60]!r}"
