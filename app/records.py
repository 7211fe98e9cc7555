"""The shape of a sample's content, shared by readers, the store and writers.

A reader turns each source record into a :class:`Record`: a *kind* and a *content* dict whose keys
follow the public field names of the COIG family, so a sample can be written back in the schema it
came in. Content by kind:

``instruction``
    ``{"instruction", "input", "output"}`` plus optional ``"system"`` (str) and ``"history"``
    (list of ``[question, answer]`` pairs, oldest first), as in Alpaca / LLaMA-Factory.
``translation``
    ``{"source": {"instruction", "input", "output"}, "target": {"instruction", "input", "output"}}``:
    the English original and its Chinese translation (``trans_*`` in COIG); empty strings where a
    side is not written yet.
``chat``
    ``{"messages": [{"role", "content"}, ...]}`` with roles ``system``, ``user``, ``assistant``,
    ``function_call``, ``observation``; optional ``"tools"`` (str, a JSON schema as in
    LLaMA-Factory) and ``"knowledge"`` (dict, the entries a CCMC chat is checked against).
``exam``
    The six fields of COIG exam: ``textbox_q_instruction``, ``textbox_q_context``,
    ``textbox_question``, ``textbox_answer``, ``textbox_answer_analysis``, ``subject``.
``code``
    ``{"instruction", "input", "output"}`` plus optional ``"language"`` (e.g. ``"python"``).

Every kind may carry ``"extra"``: the source fields the reader did not map, kept verbatim and in
order (CQIA's ``task_type``, ``domain``, ``metadata``, ``answer_from``, ``human_verified``,
``copyright``; ShareGPT's ``id``; KTO's ``label``…), so that nothing of the source is lost.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from enum import StrEnum
from typing import Any


class Kind(StrEnum):
    INSTRUCTION = "instruction"
    TRANSLATION = "translation"
    CHAT = "chat"
    EXAM = "exam"
    CODE = "code"


EXAM_FIELDS = (
    "textbox_q_instruction",
    "textbox_q_context",
    "textbox_question",
    "textbox_answer",
    "textbox_answer_analysis",
    "subject",
)
ALPACA_FIELDS = ("instruction", "input", "output")
CHAT_ROLES = ("system", "user", "assistant", "function_call", "observation")

# Speaker names of ShareGPT (``from``), OpenAI (``role``) and their many exports, to CHAT_ROLES.
ROLE_NAMES = {
    "system": "system",
    "human": "user",
    "user": "user",
    "gpt": "assistant",
    "assistant": "assistant",
    "chatgpt": "assistant",
    "bard": "assistant",
    "bing": "assistant",
    "bot": "assistant",
    "model": "assistant",
    "function_call": "function_call",
    "observation": "observation",
    "tool": "observation",
    "function": "observation",
}


@dataclass(slots=True)
class Record:
    """One sample as a reader produced it."""

    kind: Kind
    content: dict[str, Any]
    line: int
    """1-based line of the file where the record starts (1 for a whole-file record)."""
    raw: str
    """The record's source text exactly as read: the JSON line, the array element, the CSV row."""
    member: str = ""
    """The file inside a folder or archive the record came from (CCMC), or ``""``."""


@dataclass(slots=True)
class BadRecord:
    """A record a reader could not use, with where and why, for the user to read."""

    line: int
    reason: str
    member: str = ""

    def where(self, path: str) -> str:
        place = f"{path}!{self.member}" if self.member else path
        return f"{place}:{self.line}: {self.reason}"


def iter_text(content: Any, *, skip_extra: bool = True) -> Iterator[str]:
    """Every non-empty string in a content value, depth first, in key order."""
    if isinstance(content, str):
        if content:
            yield content
    elif isinstance(content, dict):
        for key, value in content.items():
            if skip_extra and key == "extra":
                continue
            yield from iter_text(value, skip_extra=skip_extra)
    elif isinstance(content, list | tuple):
        for value in content:
            yield from iter_text(value, skip_extra=skip_extra)


def searchable_text(content: dict[str, Any]) -> str:
    """The text full-text search indexes: every string of the content, one per line."""
    values = [value for key, value in content.items() if key != "extra"]
    # Fast path for the common flat record (instruction/input/output strings): no recursion.
    if all(type(value) is str for value in values):
        return "\n".join(value for value in values if value)
    return "\n".join(iter_text(content))


def _as_kind(kind: Kind | str) -> Kind:
    # Kind(...) on a member costs a lookup per call; exporting a million samples notices.
    return kind if isinstance(kind, Kind) else Kind(kind)


_PLAIN_KINDS = (Kind.INSTRUCTION, Kind.CODE)
_ALPACA_KEY_LIST = list(ALPACA_FIELDS)


def is_plain_alpaca(kind: Kind, content: Mapping[str, Any]) -> bool:
    """True when the content is exactly ``{"instruction", "input", "output"}``, all text, in that
    order, of a kind whose Alpaca record is its content: its stored JSON is then its Alpaca line."""
    return (
        kind in _PLAIN_KINDS
        and type(content) is dict
        and list(content) == _ALPACA_KEY_LIST
        and type(content["instruction"]) is str
        and type(content["input"]) is str
        and type(content["output"]) is str
    )


def as_alpaca(kind: Kind | str, content: dict[str, Any]) -> dict[str, Any]:
    """The sample as an Alpaca record (``instruction, input, output[, system, history]``).

    Translation pairs give their Chinese side (the English one where Chinese is still empty); chats
    put their last user turn and answer in ``instruction``/``output`` and earlier turns in
    ``history``; exam items join question parts the way COIG's own conversions do.
    """
    kind = _as_kind(kind)
    if kind is Kind.INSTRUCTION or kind is Kind.CODE:
        record = {field: content.get(field, "") for field in ALPACA_FIELDS}
        if content.get("system"):
            record["system"] = content["system"]
        if content.get("history"):
            record["history"] = [list(pair) for pair in content["history"]]
        return record
    if kind is Kind.TRANSLATION:
        target, source = content.get("target", {}), content.get("source", {})
        side = target if any(target.get(f) for f in ALPACA_FIELDS) else source
        return {field: side.get(field, "") for field in ALPACA_FIELDS}
    if kind is Kind.EXAM:
        question = "\n".join(
            part for part in (content.get("textbox_q_context", ""), content.get("textbox_question", "")) if part
        )
        answer = content.get("textbox_answer", "")
        analysis = content.get("textbox_answer_analysis", "")
        output = f"{answer}\n\n{analysis}" if analysis else answer
        return {"instruction": content.get("textbox_q_instruction", ""), "input": question, "output": output}
    return _chat_as_alpaca(content)


def _chat_as_alpaca(content: dict[str, Any]) -> dict[str, Any]:
    messages = content.get("messages", [])
    system = content.get("system", "") or "\n".join(m["content"] for m in messages if m.get("role") == "system")
    pairs: list[list[str]] = []
    question: str | None = None
    for message in messages:
        role = message.get("role")
        if role == "user":
            if question is not None:
                pairs.append([question, ""])
            question = message.get("content", "")
        elif role == "assistant":
            pairs.append([question or "", message.get("content", "")])
            question = None
    if question is not None:
        pairs.append([question, ""])
    last = pairs.pop() if pairs else ["", ""]
    record: dict[str, Any] = {"instruction": last[0], "input": "", "output": last[1]}
    if system:
        record["system"] = system
    if pairs:
        record["history"] = pairs
    return record


def as_messages(kind: Kind | str, content: dict[str, Any]) -> list[dict[str, str]]:
    """The sample as chat messages (``[{"role", "content"}]``), system message first if any."""
    kind = _as_kind(kind)
    if kind is Kind.CHAT:
        messages = [dict(m) for m in content.get("messages", [])]
        if content.get("system") and not any(m.get("role") == "system" for m in messages):
            messages.insert(0, {"role": "system", "content": content["system"]})
        return messages
    alpaca = as_alpaca(kind, content)
    messages = []
    if alpaca.get("system"):
        messages.append({"role": "system", "content": alpaca["system"]})
    for question, answer in alpaca.get("history", []):
        messages.append({"role": "user", "content": question})
        messages.append({"role": "assistant", "content": answer})
    prompt = "\n".join(part for part in (alpaca["instruction"], alpaca["input"]) if part)
    messages.append({"role": "user", "content": prompt})
    messages.append({"role": "assistant", "content": alpaca["output"]})
    return messages
