"""What the chat-model tasks share: the request (a prompt template as the system message, the
sample as the user message), the model's text out of a provider result, the JSON value in it, the
checks that an answer is Chinese, and the estimate of what a request costs. Pure functions.

Three ways to read the JSON of an answer, on purpose — they differ in what they forgive:

- :func:`json_value` (exam extraction, self-instruct, CCMC — long generated answers): an object or an
  array, fenced anywhere, wrapped in prose, or repaired by ``json_repair``; an answer cut off at
  ``max_tokens`` is refused.
- :func:`json_object` (CQIA rewrite and judge, the Kun steps, the chat translation — short structured
  answers): an object only, repaired only when asked; cut off is refused.
- :func:`repaired_json_object` (the OpenAI provider's ``parse_json``): an object, repaired even when
  cut off.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Callable, Iterator, Mapping
from typing import Any

import json_repair

from app.tasks import ChatCall, Task, Usage

_FENCE = re.compile(r"```[A-Za-z]*\s*\n?(.*?)\n?```", re.DOTALL)
"""A ```json fence anywhere in the answer."""
_WHOLE_FENCE = re.compile(r"^\s*```[\w-]*\s*\n?(.*?)\n?\s*```\s*$", re.DOTALL)
"""A fence around the whole answer."""
_HAN = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]")
_LATIN = re.compile(r"[A-Za-z]")


# --------------------------------------------------------------------------------------------------
# The request
# --------------------------------------------------------------------------------------------------


def user_json(fields: Mapping[str, Any] | list[Any]) -> str:
    """Fields (or a list of them) as the user message: readable JSON, Chinese left as it is."""
    return json.dumps(fields if isinstance(fields, list) else dict(fields), ensure_ascii=False, indent=2)


def json_chat(prompt: str, user: str, temperature: float) -> ChatCall:
    """The prompt template as the system message, ``user`` as the user message, JSON asked for."""
    return ChatCall(messages=(("system", prompt), ("user", user)), temperature=temperature, json_mode=True)


def chat_task(
    name: str,
    kinds: tuple[str, ...],
    prompt_version: str,
    prompt_file: str,
    title: str,
    build: Callable[[Mapping[str, Any], str], ChatCall],
    parse: Callable[[Mapping[str, Any], Any], dict[str, Any]],
    estimate: Callable[[Mapping[str, Any], str], Usage],
    **more: Any,
) -> Task:
    """A task that needs a chat model, from ``build(content, prompt)``, ``parse(content, output)``
    and ``estimate(content, prompt)`` (no style: there is only one). ``more``: other Task fields."""
    return Task(
        name=name,
        kinds=kinds,
        prompt_version=prompt_version,
        build=lambda content, style, prompt: build(content, prompt),
        parse=lambda content, style, output: parse(content, output),
        estimate=lambda content, style, prompt: estimate(content, prompt),
        prompt_file=prompt_file,
        title=title,
        styles=("chat",),
        **more,
    )


# --------------------------------------------------------------------------------------------------
# The answer
# --------------------------------------------------------------------------------------------------


def answer_text(output: Any) -> str:
    """The model's text: ``output`` itself, or a ProviderResult's ``output``."""
    text = getattr(output, "output", output)
    if not isinstance(text, str):
        raise ValueError(f"expected the model's text, got {type(text).__name__}")
    if not text.strip():
        raise ValueError("the answer is empty")
    return text


def cut(text: str, limit: int = 80, *, fold: bool = True) -> str:
    """``text`` for a message: at most ``limit`` characters; ``fold``: white space folded first."""
    if fold:
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
    value = next((value for value in _parsed(candidates) if isinstance(value, expect)), None)
    if value is not None:
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


def json_object_or_array(output: Any) -> Any:
    """:func:`json_value` of an object or an array, whichever the answer opens first."""
    text = answer_text(output)
    bracket, brace = text.find("["), text.find("{")
    bare_list = bracket != -1 and (brace == -1 or bracket < brace)
    return json_value(text, expect=list if bare_list else dict)


def _parsed(candidates: list[str]) -> Iterator[Any]:
    """The candidates that are JSON, parsed, in order."""
    for candidate in candidates:
        try:
            yield json.loads(candidate)
        except ValueError:
            continue


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


def json_object(output: Any, *, repair: bool) -> dict[str, Any]:
    """The JSON object of a model's answer: as is, out of a ``` fence, or the object inside prose.

    ``repair``: also mend what json_repair can (trailing commas, single quotes). Only for short
    structured answers: an answer cut off at ``max_tokens`` (no closing brace) is refused either
    way, since "repairing" it would keep half a text as if it were whole.
    """
    text = answer_text(output)
    stripped = text.strip()
    fenced = _WHOLE_FENCE.match(stripped)
    if fenced:
        stripped = fenced.group(1).strip()
    candidates = [stripped]
    start, end = stripped.find("{"), stripped.rfind("}")
    if start != -1 and end > start:
        candidates.append(stripped[start : end + 1])
    for value in _parsed(candidates):  # the first that is JSON decides
        if isinstance(value, dict):
            return value
        raise ValueError(f"the answer is JSON but not an object: {cut(text, fold=False)!r}")
    if start == -1:
        raise ValueError(f"the answer is not a JSON object: {cut(text, fold=False)!r}")
    if end <= start:
        raise ValueError(f"the answer is cut off (no closing brace): {cut(text, fold=False)!r}")
    if repair:
        try:
            value = json_repair.loads(stripped[start : end + 1])
        except Exception:  # json_repair raises little; its failure stays this item's failure
            value = None
        if isinstance(value, dict) and value:
            return value
    raise ValueError(f"the answer is not valid JSON: {cut(text, fold=False)!r}")


def repaired_json_object(text: str) -> dict[str, Any]:
    """The JSON object in a model's answer: as is, else out of a ``` fence, else repaired (cut off at
    max_tokens, trailing commas, single quotes…) by json_repair. ValueError, its message for the user,
    if what remains is not a JSON object."""
    if not isinstance(text, str) or not text.strip():
        raise ValueError("The answer is empty, not a JSON object.")
    candidates = [text]
    fenced = _WHOLE_FENCE.match(text)
    if fenced:
        candidates.insert(0, fenced.group(1))
    for value in _parsed(candidates):  # the first that is JSON decides
        if isinstance(value, dict):
            return value
        raise ValueError(f"The answer is JSON but not an object: {type(value).__name__}.")
    try:
        value = json_repair.loads(candidates[0])
    except Exception as error:  # json_repair raises little, but its failure must stay an item's failure
        raise ValueError(f"The answer is not JSON and could not be repaired: {error}") from error
    if not isinstance(value, dict) or not value:
        raise ValueError(f"The answer is not a JSON object, even after repair: {cut(text, 120, fold=False)!r}")
    return value


def text_field(answer: Mapping[str, Any], key: str, *, required: bool = True) -> str:
    """``answer[key]`` as text, stripped; ValueError when missing (if required) or not text. None is
    empty, a number is its text."""
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


def filled_text_field(answer: Mapping[str, Any], key: str) -> str:
    """A non-empty text field of the answer, stripped; ValueError otherwise (stricter than
    :func:`text_field`: no None, no number, nothing empty)."""
    if key not in answer:
        raise ValueError(f"the answer has no {key!r}")
    value = answer[key]
    if not isinstance(value, str):
        raise ValueError(f"the answer's {key!r} is not text")
    value = value.strip()
    if not value:
        raise ValueError(f"the answer's {key!r} is empty")
    return value


# --------------------------------------------------------------------------------------------------
# Chinese
# --------------------------------------------------------------------------------------------------


def han_share(text: str, *, letters_per_han: float = 1) -> float:
    """Chinese characters among the letters of ``text`` (Han / (Han + Latin letters)); 0 for none.
    ``letters_per_han``: Latin letters that count as one Han character (2.5 compares words, roughly:
    an English word is ~5 letters where a Chinese one is ~2 characters)."""
    han = len(_HAN.findall(text))
    latin = len(_LATIN.findall(text))
    return han / (han + latin / letters_per_han) if han + latin else 0.0


def is_chinese(text: str, minimum: float = 0.3) -> bool:
    """Whether ``text`` is written in Chinese: at least ``minimum`` of its letters are Han characters
    (Chinese text quotes English names and code, so it is not required to be all Han)."""
    return han_share(text) >= minimum


def mostly_chinese(text: str) -> bool:
    """Mostly Chinese: at least one Han character, and at least a fifth of the words are Chinese
    (Chinese prose with English terms in it passes; an English answer quoting a word does not)."""
    return han_share(text, letters_per_han=2.5) >= 0.2


def chinese_like(source: str, value: str, what: str) -> None:
    """A Chinese source must get a Chinese answer (a model that switched to English is refused)."""
    if mostly_chinese(source) and not mostly_chinese(value):
        raise ValueError(f"the {what} is not in Chinese: {cut(value, fold=False)!r}")


# --------------------------------------------------------------------------------------------------
# Estimates
# --------------------------------------------------------------------------------------------------


def _token_counter() -> tuple[str, Any]:
    try:
        import tiktoken

        encoding = tiktoken.get_encoding("cl100k_base")
    except Exception:  # not installed, or its encoding file cannot be fetched offline
        return "heuristic: characters / 1.5", None
    return "tiktoken cl100k_base", encoding


TOKEN_COUNTER, _ENCODING = _token_counter()
"""Which token counter :func:`count_tokens` uses (tiktoken when installed, else the heuristic)."""

HAS_TIKTOKEN = _ENCODING is not None

MESSAGE_OVERHEAD = 4
"""Per-message framing tokens of the chat format."""


def count_tokens(text: str) -> int:
    """Tokens of ``text``. Without tiktoken: ``len / 1.5``, about right for Chinese (1–1.5 characters
    a token) and an overestimate for English (~4 characters a token) — on the safe side for budgets."""
    if _ENCODING is not None:
        return len(_ENCODING.encode(text, disallowed_special=()))
    return math.ceil(len(text) / 1.5)


def chat_usage(call: ChatCall, completion_tokens: float) -> Usage:
    """Prompt tokens of ``call`` plus the expected completion (rounded up)."""
    prompt = sum(count_tokens(text) + MESSAGE_OVERHEAD for _role, text in call.messages)
    return Usage(tokens=prompt + math.ceil(completion_tokens))
