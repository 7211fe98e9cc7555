"""COIG translation: the English ``instruction/input/output`` of a translation pair into Simplified
Chinese, by DeepL or by a chat model. Pure functions: no I/O (the prompt template is passed in).

DeepL gets the three fields as ONE text, each field in its own element (``<i>``, ``<n>``, ``<o>``),
as COIG concatenated them so the service translates each with the others as context; the elements
let :func:`parse_deepl` split the answer back without guessing. What must not be translated —
fenced code blocks, inline code, URLs, ``{placeholders}`` — goes inside elements DeepL ignores
(``<code id=N>`` for code blocks, ``<x id=N>`` for the rest), and the parser puts the ORIGINAL
span back by id, so it is byte-identical whatever the service did to the inside of the element.

A chat model gets the three fields as a JSON object and answers one (:func:`build_llm_request`,
:func:`parse_llm`); code blocks must come back unchanged or the answer is refused.

The suggestion content is ``{"target": {"instruction", "input", "output"}}``.
"""

from __future__ import annotations

import html
import math
import re
from collections.abc import Mapping
from typing import Any

from app.records import ALPACA_FIELDS
from app.tasks import ChatCall, Style, Task, TranslationCall, Usage
from app.tasks.chat_json import HAS_TIKTOKEN, chat_usage, count_tokens, json_chat, json_object, user_json

PROMPT_VERSION = "translate-zh/1"
"""Bump when the DeepL markup or the chat prompt changes: cached answers of the old one no longer apply."""

PROMPT_FILE = "translate_zh.txt"

# One short element per field; single letters keep the markup (billed as text by some plans) small.
FIELD_TAGS = {"instruction": "i", "input": "n", "output": "o"}

# What DeepL must leave alone, most specific first: a fenced block may hold backticks, URLs and
# braces of its own. An unterminated fence runs to the end of the field.
_PROTECTED = re.compile(
    r"(?P<fence>```.*?(?:```|\Z))"
    r"|(?P<inline>`[^`\n]+`)"
    r"|(?P<url>https?://[^\s<>\"'`]*[^\s<>\"'`.,;:!?)\]}])"
    r"|(?P<placeholder>\{\{[^{}\n]*\}\}|\{[A-Za-z_][A-Za-z0-9_.\-]*\}|\{\d*\})",
    re.DOTALL,
)
_FENCE = re.compile(r"```.*?(?:```|\Z)", re.DOTALL)
_IGNORED = re.compile(
    r"<(code|x)\s+id\s*=\s*[\"'](\d+)[\"']\s*(?:/>|>(.*?)</\1\s*>)",
    re.DOTALL,
)


def _source(content: Mapping[str, Any]) -> dict[str, str]:
    source = content.get("source")
    if not isinstance(source, Mapping):
        raise ValueError("not a translation pair: the content has no 'source' fields")
    fields = {field: source.get(field, "") or "" for field in ALPACA_FIELDS}
    bad = [field for field, value in fields.items() if not isinstance(value, str)]
    if bad:
        raise ValueError(f"source field {bad[0]!r} is not text")
    if not fields["instruction"].strip():
        raise ValueError("the source instruction is empty: nothing to translate")
    return fields


def _escape(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def protected_spans(text: str) -> list[tuple[str, str]]:
    """``(tag, span)`` for every part of ``text`` that must not be translated, in order."""
    return [("code" if m.lastgroup == "fence" else "x", m.group()) for m in _PROTECTED.finditer(text)]


def _markup(fields: dict[str, str]) -> tuple[str, list[tuple[str, str, str]]]:
    """The one text sent to DeepL, and ``(field, tag, span)`` per protected id (the list index)."""
    spans: list[tuple[str, str, str]] = []
    parts = []
    for field, tag in FIELD_TAGS.items():
        value = fields[field]
        if not value:
            continue  # an empty field is left out: the target stays empty
        pieces, last = [], 0
        for match in _PROTECTED.finditer(value):
            kind = "code" if match.lastgroup == "fence" else "x"
            pieces.append(_escape(value[last : match.start()]))
            pieces.append(f'<{kind} id="{len(spans)}">{_escape(match.group())}</{kind}>')
            spans.append((field, kind, match.group()))
            last = match.end()
        pieces.append(_escape(value[last:]))
        parts.append(f"<{tag}>{''.join(pieces)}</{tag}>")
    return "".join(parts), spans


def build_deepl_request(content: Mapping[str, Any]) -> TranslationCall:
    """The DeepL request for a translation pair: one text holding all three fields."""
    text, _spans = _markup(_source(content))
    return TranslationCall(texts=(text,), ignore_tags=("code", "x"))


def _output_texts(result: Any) -> tuple[str, ...]:
    output = getattr(result, "output", result)  # a ProviderResult, or its output
    if isinstance(output, str):
        return (output,)
    if isinstance(output, list | tuple) and all(isinstance(text, str) for text in output):
        return tuple(output)
    raise ValueError(f"expected translated texts, got {type(output).__name__}")


def _edges(text: str) -> tuple[str, str]:
    stripped = text.strip()
    if not stripped:
        return text, ""
    start = text.index(stripped)
    return text[:start], text[start + len(stripped) :]


def parse_deepl(content: Mapping[str, Any], result: Any) -> dict[str, Any]:
    """Split DeepL's answer back into the three fields and put every protected span back.

    Raises ValueError when a field element or a protected element is missing or doubled (the text
    cannot be split reliably, so it is not used).
    """
    fields = _source(content)
    _text, spans = _markup(fields)
    texts = _output_texts(result)
    if len(texts) != 1:
        raise ValueError(f"expected one translated text, got {len(texts)}")
    translated = texts[0]
    target = {}
    used: set[int] = set()
    for field, tag in FIELD_TAGS.items():
        if not fields[field]:
            target[field] = ""
            continue
        found = re.findall(rf"<{tag}>(.*?)</{tag}>", translated, re.DOTALL)
        if len(found) != 1:
            what = "missing" if not found else f"there {len(found)} times"
            raise ValueError(f"the translation cannot be split: the {field} element <{tag}> is {what}")
        body, pieces, last = found[0], [], 0
        for match in _IGNORED.finditer(body):
            index = int(match.group(2))
            if index >= len(spans) or index in used or spans[index][0] != field:
                raise ValueError(f"the translation of {field} has an unexpected protected element id={index}")
            if match.group(1) != spans[index][1]:
                raise ValueError(f"protected element id={index} came back as <{match.group(1)}>")
            used.add(index)
            pieces.append(html.unescape(body[last : match.start()]))
            pieces.append(spans[index][2])  # the original, byte for byte
            last = match.end()
        pieces.append(html.unescape(body[last:]))
        lead, trail = _edges(fields[field])
        target[field] = lead + "".join(pieces).strip() + trail
    missing = [index for index in range(len(spans)) if index not in used]
    if missing:
        field, _kind, span = spans[missing[0]]
        raise ValueError(f"the translation of {field} lost a protected span: {span[:60]!r}")
    for field, _kind, span in spans:  # verify: every protected span is in its field unchanged
        if span not in target[field]:
            raise ValueError(f"protected span changed in {field}: {span[:60]!r}")
    return {"target": target}


def build_llm_request(content: Mapping[str, Any], prompt: str) -> ChatCall:
    """The chat request: ``prompt`` (the template text) as the system message, the source fields as
    a JSON object in the user message, a JSON object asked for in return."""
    return json_chat(prompt, user_json(_source(content)), temperature=0.2)


def parse_llm(content: Mapping[str, Any], text: Any) -> dict[str, Any]:
    """The model's JSON answer as the suggestion; ValueError when a field is missing or not text,
    or a fenced code block of the source did not come back byte-identical."""
    fields = _source(content)
    answer = json_object(text, repair=False)
    missing = [field for field in ALPACA_FIELDS if field not in answer]
    if missing:
        raise ValueError(f"the answer has no {', '.join(map(repr, missing))}")
    target = {}
    for field in ALPACA_FIELDS:
        value = answer[field]
        if value is None:
            value = ""
        if not isinstance(value, str):
            raise ValueError(f"the answer's {field!r} is not text")
        for block in _FENCE.findall(fields[field]):
            if block not in value:
                raise ValueError(f"a code block of {field} was changed or dropped: {block[:60]!r}")
        target[field] = value
    return {"target": target}


# --------------------------------------------------------------------------------------------------
# Estimates, for budgets and the estimate shown before a job starts
# --------------------------------------------------------------------------------------------------


# The Chinese translation of an English text takes about 1.6x its tokens in cl100k (a Chinese
# character is ~1.2 tokens, and English needs ~1/3 as many characters as it has letters).
_COMPLETION_FACTOR = 1.6


def estimate_characters(content: Mapping[str, Any]) -> int:
    """Characters DeepL is sent for this sample: the whole marked-up text, an upper bound of what it
    bills (it does not bill the markup)."""
    return len(build_deepl_request(content).texts[0])


def estimate_tokens(content: Mapping[str, Any], prompt: str = "") -> int:
    """Prompt plus completion tokens of the chat request for this sample."""
    source_text = "\n".join(_source(content).values())
    if HAS_TIKTOKEN:
        completion = math.ceil(count_tokens(source_text) * _COMPLETION_FACTOR)
    else:
        completion = count_tokens(source_text)  # already generous for English input
    # + 16 for the JSON keys and quotes of the answer
    return chat_usage(build_llm_request(content, prompt), completion + 16).tokens


def _build(content: Mapping[str, Any], style: Style, prompt: str) -> TranslationCall | ChatCall:
    return build_deepl_request(content) if style == "translation" else build_llm_request(content, prompt)


def _parse(content: Mapping[str, Any], style: Style, output: Any) -> dict[str, Any]:
    return parse_deepl(content, output) if style == "translation" else parse_llm(content, output)


def _estimate(content: Mapping[str, Any], style: Style, prompt: str) -> Usage:
    if style == "translation":
        return Usage(characters=estimate_characters(content))
    return Usage(tokens=estimate_tokens(content, prompt))


TASK = Task(
    name="translate",
    kinds=("translation",),
    prompt_version=PROMPT_VERSION,
    build=_build,
    parse=_parse,
    estimate=_estimate,
    prompt_file=PROMPT_FILE,
    title="Translate into Chinese",
)
