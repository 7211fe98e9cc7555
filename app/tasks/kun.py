"""COIG-Kun's three model steps over raw passages (imported with the plain-text reader: each passage
is an instruction sample with only ``output`` filled). Pure functions: no I/O.

- ``kun-instruct`` — instruction back-translation: which instruction would this passage answer?
  Proposes ``{"instruction": …}``.
- ``kun-score`` — self-curation: the 好/差 rubric and a 1–5 score with a rationale for the pair
  (instruction, passage). Proposes a judgement (``{"judgement": {"score", "verdict", "rationale"}}``,
  see :mod:`app.tasks.cqia`): taken, it becomes the sample's rating; it never enters the content.
- ``kun-polish`` — answer polishing: the passage rewritten into an answer to the instruction, from
  the passage alone. Proposes ``{"output": …}``.

The keyword filter on instructions and the output filter are in :mod:`app.kun_filters`; the
pipeline that chains all five is :mod:`workers.pipeline`.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from typing import Any

from app.store.actions import JUDGEMENT_KEY
from app.tasks import ChatCall, Usage
from app.tasks.chat_json import (
    chat_task,
    chat_usage,
    chinese_like,
    count_tokens,
    filled_text_field,
    json_chat,
    json_object,
    user_json,
)
from app.tasks.cqia import parse_judgement

INSTRUCT_VERSION = "kun-instruct/1"
SCORE_VERSION = "kun-score/1"
POLISH_VERSION = "kun-polish/1"
"""Bump when a prompt or its request changes: cached answers of the old one no longer apply."""

INSTRUCT_PROMPT = "kun_instruct.txt"
SCORE_PROMPT = "kun_score.txt"
POLISH_PROMPT = "kun_polish.txt"

MAX_INSTRUCTION_CHARS = 400
"""A back-translated instruction longer than this is the passage retold, not a question."""

# Labels models put before the instruction although asked for JSON ("指令：…").
_LABEL = re.compile(r"^\s*(?:指令|问题|instruction)\s*[:：]\s*", re.IGNORECASE)


def passage(content: Mapping[str, Any]) -> str:
    """The raw text of a Kun sample (its ``output``); ValueError when there is none."""
    text = content.get("output")
    if not isinstance(text, str) or not text.strip():
        raise ValueError("the sample has no passage (its output is empty)")
    return text


def instruction(content: Mapping[str, Any]) -> str:
    text = content.get("instruction")
    if not isinstance(text, str) or not text.strip():
        raise ValueError("the sample has no instruction yet: run kun-instruct first")
    return text


# --------------------------------------------------------------------------------------------------
# kun-instruct
# --------------------------------------------------------------------------------------------------


def build_instruct(content: Mapping[str, Any], prompt: str) -> ChatCall:
    return json_chat(prompt, passage(content), temperature=0.7)


def parse_instruct(content: Mapping[str, Any], output: Any) -> dict[str, Any]:
    text = passage(content)
    found = _LABEL.sub("", filled_text_field(json_object(output, repair=True), "instruction")).strip()
    if not found:
        raise ValueError("the answer's 'instruction' is empty")
    chinese_like(text, found, "instruction")
    if len(found) > MAX_INSTRUCTION_CHARS:
        raise ValueError(f"the instruction is {len(found)} characters long: the passage retold, not an instruction")
    if found == text.strip() or (len(found) >= 20 and found in text):
        raise ValueError("the instruction is copied from the passage")
    return {"instruction": found}


def estimate_instruct(content: Mapping[str, Any], prompt: str) -> Usage:
    return chat_usage(build_instruct(content, prompt), 80)  # one sentence or two, in JSON


# --------------------------------------------------------------------------------------------------
# kun-score
# --------------------------------------------------------------------------------------------------


def build_score(content: Mapping[str, Any], prompt: str) -> ChatCall:
    fields = {"instruction": instruction(content), "output": passage(content)}
    return json_chat(prompt, user_json(fields), temperature=0.0)


def parse_score(content: Mapping[str, Any], output: Any) -> dict[str, Any]:
    instruction(content)
    passage(content)
    return {JUDGEMENT_KEY: parse_judgement(output, verdict=True)}


def estimate_score(content: Mapping[str, Any], prompt: str) -> Usage:
    return chat_usage(build_score(content, prompt), 200)


# --------------------------------------------------------------------------------------------------
# kun-polish
# --------------------------------------------------------------------------------------------------


def build_polish(content: Mapping[str, Any], prompt: str) -> ChatCall:
    fields = {"instruction": instruction(content), "text": passage(content)}
    return json_chat(prompt, user_json(fields), temperature=0.3)


def parse_polish(content: Mapping[str, Any], output: Any) -> dict[str, Any]:
    text = passage(content)
    polished = filled_text_field(json_object(output, repair=False), "output")
    chinese_like(text, polished, "polished answer")
    return {"output": polished}


def estimate_polish(content: Mapping[str, Any], prompt: str) -> Usage:
    # The polished answer is about as long as the passage (shorter when noise is cut); + the JSON.
    return chat_usage(build_polish(content, prompt), math.ceil(count_tokens(passage(content)) * 1.1) + 40)


TASKS = (
    chat_task(
        "kun-instruct",
        ("instruction",),
        INSTRUCT_VERSION,
        INSTRUCT_PROMPT,
        "Kun: instruction back-translation",
        build_instruct,
        parse_instruct,
        estimate_instruct,
    ),
    chat_task(
        "kun-score",
        ("instruction",),
        SCORE_VERSION,
        SCORE_PROMPT,
        "Kun: self-curation score",
        build_score,
        parse_score,
        estimate_score,
    ),
    chat_task(
        "kun-polish",
        ("instruction",),
        POLISH_VERSION,
        POLISH_PROMPT,
        "Kun: answer polishing",
        build_polish,
        parse_polish,
        estimate_polish,
    ),
)

PIPELINE_STEPS = ("kun-instruct", "kun-score", "kun-polish")
"""The model steps of the Kun pipeline, in order (:mod:`workers.pipeline` runs them)."""
