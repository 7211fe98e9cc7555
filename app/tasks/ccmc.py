"""COIG CCMC generation: from a knowledge entry (an entity's summary and attribute–value pairs, and a
confusable entity), a five-round student/teacher chat in which the student mixes the two up and the
teacher corrects every round, the last round summarising the confusion.

The sample is a ``chat`` with ``knowledge`` and no messages yet (``app.formats.ccmc_knowledge``
imports entries that way). The model answers JSON ``{"rounds": [{"Q", "A"} × 5]}`` — a bare array of
rounds or COIG's own ``round_0…round_4`` (each ``{"Q","A"}`` or ``{"response": "<JSON of {Q,A}>"}``)
are taken too. The suggestion is ``{"messages": [user, assistant] × 5}``; taken, it fills the chat and
the knowledge stays, so the COIG CCMC writer exports both.

Refused (the item fails with the reason): not JSON, not exactly five rounds, a Q or an A empty or not
text, a turn not in Chinese, or a last answer that does not name both entities (no summary of the
confusion).
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from typing import Any

from app.tasks import ChatCall, Usage
from app.tasks.chat_json import chat_task, chat_usage, cut, is_chinese, json_chat, json_object_or_array, user_json

PROMPT_VERSION = "ccmc/1"
PROMPT_FILE = "ccmc_zh.txt"
ROUNDS = 5

_ROUND_KEY = re.compile(r"round_(\d+)")
_BRACKETS = re.compile(r"[（(].*?[)）]")


def knowledge_of(content: Mapping[str, Any]) -> dict[str, Any]:
    knowledge = content.get("knowledge")
    if not isinstance(knowledge, Mapping):
        raise ValueError("the sample has no knowledge entry to write a chat from")
    for key in ("entity", "confusable_entity"):
        if not isinstance(knowledge.get(key), str) or not knowledge[key].strip():
            raise ValueError(f"the knowledge has no {key!r}")
    return dict(knowledge)


def build_request(content: Mapping[str, Any], prompt: str) -> ChatCall:
    """The prompt as the system message, the knowledge as a JSON object in the user message."""
    return json_chat(prompt, user_json(knowledge_of(content)), temperature=0.7)


def _rounds(answer: Any) -> list[Any]:
    if isinstance(answer, list):
        return answer
    if isinstance(answer, Mapping):
        for key in ("rounds", "dialogue", "chat", "对话"):
            if isinstance(answer.get(key), list):
                return answer[key]
        numbered = sorted(
            (int(match[1]), value) for key, value in answer.items() if (match := _ROUND_KEY.fullmatch(str(key)))
        )
        if numbered:
            return [value for _number, value in numbered]
    raise ValueError('the answer has no "rounds" list')


def _pair(number: int, value: Any) -> tuple[str, str]:
    if isinstance(value, Mapping) and "response" in value and "Q" not in value:
        value = value["response"]
    if isinstance(value, str):
        try:
            value = json.loads(value)
        except ValueError:
            raise ValueError(f"round {number}: the response is not JSON of {{Q, A}}: {cut(value, 40)!r}") from None
    if not isinstance(value, Mapping):
        raise ValueError(f'round {number}: expected {{"Q", "A"}}, got {type(value).__name__}')
    pair = []
    for key in ("Q", "A"):
        text = value.get(key, value.get(key.lower()))
        if not isinstance(text, str) or not text.strip():
            raise ValueError(f"round {number}: {key} is {'missing' if text is None else 'empty or not text'}")
        pair.append(text.strip())
    return pair[0], pair[1]


def _names(name: str) -> set[str]:
    """How a name may be written: as given, and without a bracketed disambiguation."""
    compact = re.sub(r"\s+", "", name)
    return {compact, _BRACKETS.sub("", compact)} - {""}


def _mentions(text: str, name: str) -> bool:
    compact = re.sub(r"\s+", "", text)
    return any(form in compact for form in _names(name))


def parse_answer(content: Mapping[str, Any], output: Any) -> dict[str, Any]:
    """The five rounds as chat messages, validated (see the module doc)."""
    knowledge = knowledge_of(content)
    rounds = _rounds(json_object_or_array(output))  # an array of rounds, or an object holding them
    if len(rounds) != ROUNDS:
        raise ValueError(f"the chat has {len(rounds)} rounds, not {ROUNDS}")
    messages: list[dict[str, str]] = []
    for number, value in enumerate(rounds, start=1):
        question, reply = _pair(number, value)
        for key, turn in (("Q", question), ("A", reply)):
            if not is_chinese(turn):
                raise ValueError(f"round {number}: {key} is not in Chinese: {cut(turn, 40)!r}")
        messages += [{"role": "user", "content": question}, {"role": "assistant", "content": reply}]
    last = messages[-1]["content"]
    missing = [knowledge[key] for key in ("entity", "confusable_entity") if not _mentions(last, knowledge[key])]
    if missing:
        raise ValueError(
            f"the last round does not summarise the confusion: its answer does not name {', '.join(missing)}"
        )
    return {"messages": messages}


def estimate(content: Mapping[str, Any], prompt: str) -> Usage:
    """The prompt and knowledge, plus five rounds of about 150 Chinese characters a turn."""
    return chat_usage(build_request(content, prompt), ROUNDS * 2 * 150 * 1.2 + 60)


TASK = chat_task(
    "ccmc",
    ("chat",),
    PROMPT_VERSION,
    PROMPT_FILE,
    "Write a CCMC correction chat",
    build_request,
    parse_answer,
    estimate,
)
