"""What the chat-model tasks that answer in JSON share (exam extraction, self-instruct, CCMC): the
model's text out of a provider result, the JSON value in it (fenced, wrapped in prose, or cut off and
repaired by ``json_repair``), and the checks that an answer is Chinese. Pure functions."""

from __future__ import annotations

import json
import math
import re
from collections.abc import Mapping
from typing import Any

import json_repair

from app.tasks import ChatCall, Usage
from app.tasks.translate import count_tokens

_FENCE = re.compile(r"```[A-Za-z]*\s*\n?(.*?)\n?```", re.DOTALL)
_HAN = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]")
_LATIN = re.compile(r"[A-Za-z]")


def answer_text(output: Any) -> str:
    """The model's text: ``output`` itself, or a ProviderResult's ``output``."""
    text = getattr(output, "output", output)
    if not isinstance(text, str):
        raise ValueError(f"expected the model's text, got {type(text).__name__}")
    if not text.strip():
        raise ValueError("the answer is empty")
    return text


def cut(text: str, limit: int = 80) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


def json_value(output: Any, *, expect: type = dict) -> Any:
    """The JSON object (or array, ``expect=list``) in the model's answer.

    Tried in order: the whole text, the inside of a ```json fence, the span from the first opening
    bracket to the last closing one (prose around it), then ``json_repair`` on that span (a trailing
    comma, single quotes). An answer cut off by max_tokens is refused, not repaired: closing it would
    pass half a field as whole. ValueError if no such value is found.
    """
    text = answer_text(output)
    opening, closing = ("{", "}") if expect is dict else ("[", "]")
    candidates = [text.strip()]
    fenced = _FENCE.search(text)
    if fenced:
        candidates.append(fenced.group(1).strip())
    start, end = text.find(opening), text.rfind(closing)
    if start != -1 and end > start:
        candidates.append(text[start : end + 1])
    for candidate in candidates:
        try:
            value = json.loads(candidate)
        except ValueError:
            continue
        if isinstance(value, expect):
            return value
    if start == -1:
        raise ValueError(f"the answer is not a JSON {expect.__name__}: {cut(text)!r}")
    span = text[start : end + 1] if end > start else text[start:]
    if not _closed(span):
        # Repairing a cut-off answer would close it and pass half a field (or half a chat) as whole.
        raise ValueError(f"the answer is cut off (the model stopped at its token limit?): …{text[-40:]!r}")
    try:
        value = json_repair.loads(span)
    except Exception as error:  # json_repair raises little; its failure is this answer's failure
        raise ValueError(f"the answer is not valid JSON ({error}): {cut(text)!r}") from None
    if not isinstance(value, expect) or not value:
        raise ValueError(f"the answer is not a JSON {expect.__name__}, even after repair: {cut(text)!r}")
    return value


def _closed(span: str) -> bool:
    """Whether every bracket opened in ``span`` (outside double-quoted strings) is closed in it."""
    depth, in_string, escaped = 0, False, False
    for char in span:
        if in_string:
            if escaped:
                escaped = False
            elif char == "\\":
                escaped = True
            elif char == '"':
                in_string = False
        elif char == '"':
            in_string = True
        elif char in "{[":
            depth += 1
        elif char in "}]":
            depth -= 1
    return depth <= 0 and not in_string


def han_share(text: str) -> float:
    """Chinese characters among the letters of ``text`` (Han / (Han + Latin letters)); 0 for none."""
    han = len(_HAN.findall(text))
    latin = len(_LATIN.findall(text))
    return han / (han + latin) if han + latin else 0.0


def is_chinese(text: str, minimum: float = 0.3) -> bool:
    """Whether ``text`` is written in Chinese: at least ``minimum`` of its letters are Han characters
    (Chinese text quotes English names and code, so it is not required to be all Han)."""
    return han_share(text) >= minimum


def text_field(answer: Mapping[str, Any], key: str, *, required: bool = True) -> str:
    """``answer[key]`` as text, stripped; ValueError when missing (if required) or not text."""
    if key not in answer:
        if required:
            raise ValueError(f"the answer has no {key!r}")
        return ""
    value = answer[key]
    if value is None:
        return ""
    if isinstance(value, int | float) and not isinstance(value, bool):
        return str(value)
    if not isinstance(value, str):
        raise ValueError(f"the answer's {key!r} is not text but {type(value).__name__}")
    return value.strip()


MESSAGE_OVERHEAD = 4


def chat_usage(call: ChatCall, completion_tokens: int) -> Usage:
    """Prompt tokens of ``call`` plus the expected completion."""
    prompt = sum(count_tokens(text) + MESSAGE_OVERHEAD for _role, text in call.messages)
    return Usage(tokens=prompt + math.ceil(completion_tokens))
