"""COIG counterfactual correction multi-round chat (CCMC).

COIG ships it as ``counterfactural_correction_multi_round_chat.tar.gz`` (sic): one JSON file per
dialogue, keys ``round_0``…``round_N``, each ``{"response": "<JSON string of {\\"Q\\": …, \\"A\\": …}>"}``,
Q the student's turn and A the teacher's. COIG's own loader (``COIG.py`` on the Hugging Face hub)
reads the extracted folder ``counterfactural_correction_multi_round_chat/`` and tries up to ten
rounds; COIG v0.3 (May 2023) re-released the archive "to make sure all round responses can be
decoded as json", so older copies carry responses that do not parse — those become BadRecords.

This reader takes the folder or the archive. The archive is read as a stream (``r|*``), one member
at a time: the real file is 150 MB compressed, and seeking in a gzip stream re-inflates everything
before the seek point.
"""

from __future__ import annotations

import re
import tarfile
import zlib
from collections.abc import Iterable, Iterator
from pathlib import Path, PurePosixPath
from typing import Any

import orjson

from app.formats.base import FormatError, Reader, ReadOptions, Sniff
from app.records import BadRecord, Kind, Record

ROUND_KEY = re.compile(r"round_(\d+)")
_FENCE = re.compile(r"^```(?:json)?\s*(.*?)\s*```$", re.DOTALL | re.IGNORECASE)

# Non-round keys whose names say they hold the knowledge the chat was written from (the entity's
# summary, its attribute–value pairs, the confusable entity); anything else goes to ``extra``.
_KNOWLEDGE_HINTS = (
    "entity",
    "summary",
    "abstract",
    "attribute",
    "attr",
    "knowledge",
    "confus",
    "triple",
    "desc",
    "infobox",
    "concept",
    "实体",
    "摘要",
    "简介",
    "属性",
    "知识",
    "混淆",
    "概念",
)

# Member text longer than this is not a chat of a few rounds; refuse it instead of holding it.
MAX_MEMBER_BYTES = 16 * 1024 * 1024
# An archive that inflates to more than this many times its own size is a bomb, not a corpus: JSON
# chats compress about 5–10× (the COIG file: 150 MB), gzip at most ~1000× (all zeros). The floor lets
# a tiny archive of a few chats through whatever its ratio.
MAX_EXPANSION = 100
MIN_EXPANSION_LIMIT = 64 * 1024 * 1024


def detect(sniff: Sniff) -> int:
    """95 for a folder or archive whose first JSON documents have ``round_N`` keys."""
    if not (sniff.is_dir or sniff.is_archive):
        return 0
    if any(_has_rounds(value) for value in sniff.member_values):
        return 95
    return 0


def _has_rounds(value: Any) -> bool:
    return isinstance(value, dict) and any(ROUND_KEY.fullmatch(str(key)) for key in value)


def read(path: Path, options: ReadOptions) -> Iterator[Record | BadRecord]:
    """One chat Record per dialogue file; BadRecord (with ``member``) for a file that is not one."""
    members = _folder_members(path) if path.is_dir() else _archive_members(path)
    for member, data in members:
        yield record_from_member(member, data)


def _folder_members(root: Path) -> Iterator[tuple[str, bytes | None]]:
    # Sorted so that a folder imports in the same order every time (os.walk order is arbitrary).
    for file in sorted(root.rglob("*")):
        relative = file.relative_to(root)
        if not file.is_file() or _is_hidden(relative.parts):
            continue
        too_large = file.stat().st_size > MAX_MEMBER_BYTES
        yield relative.as_posix(), None if too_large else file.read_bytes()


def _is_hidden(parts: Iterable[str]) -> bool:
    # macOS adds ``._name`` AppleDouble files and ``__MACOSX/`` to archives; they are not dialogues.
    return any(part.startswith(".") or part == "__MACOSX" for part in parts)


def _archive_members(path: Path) -> Iterator[tuple[str, bytes | None]]:
    last = ""
    limit = max(MAX_EXPANSION * _size(path), MIN_EXPANSION_LIMIT)
    try:
        # "r|*": a forward-only stream, any compression (the COIG file is gzip; a repack may not be).
        with tarfile.open(path, "r|*") as archive:
            while (info := archive.next()) is not None:
                # TarFile keeps every TarInfo it has read; forgetting them keeps memory flat.
                archive.members = []
                # Checked on the header, before the stream is inflated past the member.
                if info.offset_data + info.size > limit:
                    raise FormatError(
                        f"{path.name}: refused: the archive unpacks to more than {limit // 2**20} MiB, over"
                        f" {MAX_EXPANSION} times its own size (member {info.name}); it is damaged or an archive bomb"
                    )
                if not info.isfile() or _is_hidden(PurePosixPath(info.name).parts):
                    continue
                last = info.name
                yield info.name, _member_bytes(archive, info)
    except (tarfile.TarError, EOFError, OSError, zlib.error) as error:
        after = f" after member {last}" if last else ""
        raise FormatError(f"{path.name}: not a readable tar archive{after}: {error}") from error


def _size(path: Path) -> int:
    try:
        return path.stat().st_size
    except OSError:
        return 0


def _member_bytes(archive: tarfile.TarFile, info: tarfile.TarInfo) -> bytes | None:
    if info.size > MAX_MEMBER_BYTES:
        return None
    handle = archive.extractfile(info)
    return handle.read() if handle is not None else b""


def record_from_member(member: str, data: bytes | None) -> Record | BadRecord:
    """One dialogue file's bytes as a chat Record, or a BadRecord naming what is wrong.

    ``data`` is None for a file over MAX_MEMBER_BYTES, which is left unread.
    """
    if data is None:
        return BadRecord(1, f"larger than {MAX_MEMBER_BYTES // 2**20} MiB: not a CCMC dialogue", member)
    if not data.strip():
        return BadRecord(1, "empty file", member)
    text, document = _parse_member(data)
    if isinstance(document, str):
        return BadRecord(1, document, member)
    rounds = _round_keys(document)
    if not rounds:
        return BadRecord(1, "no round_N keys: not a CCMC dialogue", member)
    messages: list[dict[str, str]] = []
    for key in rounds:
        turn = _round_turn(key, document[key])
        if isinstance(turn, str):
            return BadRecord(1, turn, member)
        messages.extend(turn)
    content: dict[str, Any] = {"messages": messages}
    knowledge, extra = _side_keys(document, set(rounds))
    if knowledge:
        content["knowledge"] = knowledge
    if extra:
        content["extra"] = extra
    return Record(kind=Kind.CHAT, content=content, line=1, raw=text, member=member)


def _parse_member(data: bytes) -> tuple[str, dict[str, Any] | str]:
    """The member's text and its JSON object, or the text and a reason it is not one."""
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        return "", f"not UTF-8 text: {error}"
    try:
        document = orjson.loads(text)
    except orjson.JSONDecodeError as error:
        return text, f"not valid JSON: {error}"
    if not isinstance(document, dict):
        return text, f"not a JSON object but {type(document).__name__}"
    return text, document


def _round_keys(document: dict[str, Any]) -> list[str]:
    # Numeric, not lexical: round_10 comes after round_9.
    keys = [key for key in document if ROUND_KEY.fullmatch(key)]
    return sorted(keys, key=lambda key: int(key[len("round_") :]))


def _round_turn(key: str, value: Any) -> list[dict[str, str]] | str:
    """The round's user/assistant pair, or the reason it has none."""
    # COIG's first loader read the round value itself as the JSON string; later files wrap it in
    # ``{"response": …}``. Both are accepted, as is a response that is already an object.
    response = value.get("response") if isinstance(value, dict) else value
    if isinstance(value, dict) and "response" not in value:
        return f'{key}: no "response" key'
    pair = _decode_response(response)
    if isinstance(pair, str):
        return f'{key}: response is not JSON of {{"Q","A"}}: {pair}'
    return [{"role": "user", "content": pair[0]}, {"role": "assistant", "content": pair[1]}]


def _decode_response(response: Any) -> tuple[str, str] | str:
    if isinstance(response, str):
        fenced = _FENCE.match(response.strip())
        try:
            response = orjson.loads(fenced.group(1) if fenced else response)
        except orjson.JSONDecodeError as error:
            return f"{error} in {_clip(response)!r}"
    if not isinstance(response, dict):
        return f"got {type(response).__name__}"
    missing = [key for key in ("Q", "A") if key not in response]
    if missing:
        return f"missing {', '.join(missing)}"
    question, answer = response["Q"], response["A"]
    if not isinstance(question, str) or not isinstance(answer, str):
        return "Q and A must be strings"
    return question, answer


def _clip(text: str, limit: int = 60) -> str:
    return text if len(text) <= limit else text[:limit] + "…"


def _side_keys(document: dict[str, Any], rounds: set[str]) -> tuple[dict[str, Any], dict[str, Any]]:
    knowledge: dict[str, Any] = {}
    extra: dict[str, Any] = {}
    for key, value in document.items():
        if key in rounds:
            continue
        target = knowledge if _is_knowledge_key(key) else extra
        target[key] = value
    return knowledge, extra


def _is_knowledge_key(key: str) -> bool:
    lowered = key.lower()
    return any(hint in lowered for hint in _KNOWLEDGE_HINTS)


READER = Reader(
    name="coig-ccmc",
    title="COIG counterfactual correction multi-round chat (folder or .tar.gz of round_N JSON files)",
    detect=detect,
    read=read,
)
