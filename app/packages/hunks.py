"""Hunk-by-hunk merging of two versions of a sample, for adjudication. Pure functions, no store.

Two versions of a text are cut into runs that are the same in both and *hunks* where they differ
(per character: Chinese has no spaces to split words on; see :mod:`widgets.diff`). The person
adjudicating picks, for each hunk, one side; :func:`merge_text` builds the text from the picks.
Picking every hunk from one side gives that side back exactly.

A sample's content is JSON (instruction/input/output, a translation's two sides, a chat's
messages…). :func:`content_hunks` compares it text field by text field; where the two versions'
shapes differ (a message added, a key missing) the whole content is one hunk.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from difflib import SequenceMatcher
from typing import Any, Literal

from app.i18n import N_, _

Side = Literal["a", "b"]
Path = tuple[str | int, ...]

# Changes closer together than this many unchanged characters are one hunk: picking 改 and 变 of
# 改了变 separately would make no sense to a reader.
JOIN_GAP = 2
# Past this many characters a side, compare lines instead of characters (SequenceMatcher is
# quadratic in the worst case).
CHAR_LIMIT = 20_000


@dataclass(frozen=True, slots=True)
class Piece:
    """A run of the text: ``same`` (``a == b``) or a hunk where the sides differ."""

    a: str
    b: str
    hunk: int | None = None
    """The hunk's number (from 0, across the whole content), None for a run that is the same."""

    @property
    def same(self) -> bool:
        return self.hunk is None


def text_pieces(a: str, b: str, *, first_hunk: int = 0, join_gap: int = JOIN_GAP) -> list[Piece]:
    """``a`` and ``b`` as alternating same runs and hunks."""
    if a == b:
        return [Piece(a, a)] if a else []
    if len(a) > CHAR_LIMIT or len(b) > CHAR_LIMIT:
        left: list[str] | str = a.splitlines(keepends=True)
        right: list[str] | str = b.splitlines(keepends=True)
    else:
        left, right = a, b
    opcodes = SequenceMatcher(None, left, right, autojunk=False).get_opcodes()

    def span(seq: list[str] | str, i: int, j: int) -> str:
        return "".join(seq[i:j])

    # A group is one same run, or changes with the short same runs between them folded in.
    groups: list[list[tuple[str, int, int, int, int]]] = []
    for code in opcodes:
        in_change = bool(groups) and groups[-1][0][0] != "equal"
        if in_change and (code[0] != "equal" or code[2] - code[1] < join_gap):
            groups[-1].append(code)
        else:
            groups.append([code])
    pieces: list[Piece] = []
    number = first_hunk
    for group in groups:
        # A trailing short equal run folded into a hunk with no change after it belongs outside.
        tail: tuple[str, int, int, int, int] | None = None
        if len(group) > 1 and group[-1][0] == "equal":
            tail = group.pop()
        if group[0][0] == "equal":
            _, i1, i2, _, _ = group[0]
            pieces.append(Piece(span(left, i1, i2), span(left, i1, i2)))
        else:
            i1, j1 = group[0][1], group[0][3]
            i2, j2 = group[-1][2], group[-1][4]
            pieces.append(Piece(span(left, i1, i2), span(right, j1, j2), number))
            number += 1
        if tail is not None:
            _, i1, i2, _, _ = tail
            pieces.append(Piece(span(left, i1, i2), span(left, i1, i2)))
    return pieces


def merge_text(pieces: list[Piece], picks: Mapping[int, Side], default: Side = "a") -> str:
    """The text with each hunk taken from the side picked for it (``default`` where none was)."""
    return "".join(
        piece.a if piece.same or picks.get(piece.hunk, default) == "a" else piece.b  # type: ignore[arg-type]
        for piece in pieces
    )


# The words a reader knows a content field by: the review panes' own (指令, 输入, 输出…), so the gate
# panel and the adjudication view name a field as the pane it is edited in does.
_FIELD_TITLES = {
    "instruction": N_("Instruction"),
    "input": N_("Input"),
    "output": N_("Output"),
    "system": N_("System prompt"),
    "history": N_("History"),
    "source": N_("Source (English)"),
    "target": N_("Target (Chinese)"),
    "messages": N_("Messages"),
    "role": N_("Role"),
    "content": N_("Content"),
    "tools": N_("Tools"),
    "knowledge": N_("Knowledge"),
    "language": N_("Language"),
    "textbox_q_instruction": N_("Instruction"),
    "textbox_q_context": N_("Context (reading passage)"),
    "textbox_question": N_("Question"),
    "textbox_answer": N_("Answer"),
    "textbox_answer_analysis": N_("Answer analysis"),
    "subject": N_("Subject"),
    "extra": N_("Other source fields"),
}
_PAIR = (N_("Question asked"), N_("Answer given"))
"""A history round is ``[question, answer]``."""
# Under these the keys are the source's or the knowledge entry's own, shown as they are.
_OWN_KEYS = ("extra", "knowledge")


def field_title(path: Path | str) -> str:
    """A field of the content (a path into the JSON, or a top-level key) in the current language:
    ``("output",)`` → "Output" (输出), ``("target", "input")`` → "Target (Chinese) · Input",
    ``("messages", 2, "content")`` → "Message 3 · Content", ``()`` → the whole content. A key of no
    known field, and every key under ``extra`` or ``knowledge``, stays as it is."""
    if isinstance(path, str):
        path = (path,)
    if not path:
        return _("Whole content")
    parts: list[str] = []
    for at, part in enumerate(path):
        parent = path[at - 1] if at else None
        if isinstance(part, int):
            if parent == "messages":
                parts.append(_("Message {n}").format(n=part + 1))
            elif parent == "history":
                parts.append(_("Round {n}").format(n=part + 1))
            elif at >= 2 and path[at - 2] == "history" and part < len(_PAIR):
                parts.append(_(_PAIR[part]))
            else:
                parts.append(f"#{part + 1}")
        elif part == "messages" and at + 1 < len(path):
            continue  # "Message 3" says it
        elif at and path[0] in _OWN_KEYS:
            parts.append(part)
        else:
            parts.append(_(_FIELD_TITLES[part]) if part in _FIELD_TITLES else part)
    return " · ".join(parts)


@dataclass(frozen=True)
class FieldDiff:
    """One text field of the content (``path`` into the JSON) and how its two versions differ."""

    path: Path
    pieces: list[Piece]

    @property
    def name(self) -> str:
        return ".".join(str(part) for part in self.path) or "content"

    @property
    def title(self) -> str:
        """The field as a reader knows it, in the current language (:func:`field_title`)."""
        return field_title(self.path)

    @property
    def hunks(self) -> list[Piece]:
        return [piece for piece in self.pieces if not piece.same]


WHOLE: Path = ()
"""The path of the single field when the two contents' shapes differ: the whole JSON."""


def _leaves(value: Any, path: Path = ()) -> list[tuple[Path, Any]]:
    if isinstance(value, dict):
        return [leaf for key in value for leaf in _leaves(value[key], (*path, key))]
    if isinstance(value, list):
        return [leaf for i, item in enumerate(value) for leaf in _leaves(item, (*path, i))]
    return [(path, value)]


def _shape(value: Any) -> Any:
    if isinstance(value, dict):
        return tuple((key, _shape(item)) for key, item in value.items())
    if isinstance(value, list):
        return ("[]", tuple(_shape(item) for item in value))
    return "text" if isinstance(value, str) else ("value", value)


def content_hunks(a: Mapping[str, Any], b: Mapping[str, Any]) -> list[FieldDiff]:
    """The text fields where ``a`` and ``b`` differ, hunks numbered from 0 across all of them."""
    if _shape(a) != _shape(b):
        return [FieldDiff(WHOLE, [Piece(_show(a), _show(b), 0)])]
    fields = []
    number = 0
    for (path, left), (_same_path, right) in zip(_leaves(dict(a)), _leaves(dict(b)), strict=True):
        if left == right:
            continue
        pieces = text_pieces(left, right, first_hunk=number)
        number += sum(1 for piece in pieces if not piece.same)
        fields.append(FieldDiff(path, pieces))
    return fields


def _show(content: Mapping[str, Any]) -> str:
    return json.dumps(content, ensure_ascii=False, indent=2)


def merge_content(
    a: Mapping[str, Any], b: Mapping[str, Any], picks: Mapping[int, Side], default: Side = "a"
) -> dict[str, Any]:
    """``a`` with each hunk of :func:`content_hunks` taken from the side picked for it."""
    fields = content_hunks(a, b)
    if fields and fields[0].path == WHOLE:
        return dict(b if picks.get(0, default) == "b" else a)
    merged = _copy(a)
    for field in fields:
        _set(merged, field.path, merge_text(field.pieces, picks, default))
    return merged


def hunk_count(a: Mapping[str, Any], b: Mapping[str, Any]) -> int:
    return sum(len(field.hunks) for field in content_hunks(a, b))


def _copy(value: Any) -> Any:
    if isinstance(value, dict):
        return {key: _copy(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_copy(item) for item in value]
    return value


def _set(target: Any, path: Path, value: str) -> None:
    for part in path[:-1]:
        target = target[part]
    target[path[-1]] = value
