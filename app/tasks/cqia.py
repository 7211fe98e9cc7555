"""COIG-CQIA style answer work on instruction samples: ``rewrite`` a weak answer, and ``judge`` an
answer (an LLM as judge: a 1–5 score with a rationale). Pure functions: no I/O (the prompt template
is passed in).

``rewrite`` proposes ``{"output": better answer}``, merged over the sample like any draft.

``judge`` proposes a *judgement*, ``{"judgement": {"score": 1–5, "rationale": "…", "verdict": …}}``.
A judgement is not content: taken, it sets the sample's rating (``actions.accept_suggestion`` knows
the key, see :data:`app.store.actions.JUDGEMENT_KEY`) and leaves the content alone, so an export
never carries a judge's words as if they were a field of the data, and the reviewer sees the judge's
score beside the rating they give. Kun's self-curation score (``kun-score``) has the same shape.

The judgement's parser is shared with :mod:`app.tasks.kun`; the JSON of a model's answer and the
Chinese check are :mod:`app.tasks.chat_json`'s.
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

REWRITE_VERSION = "cqia-rewrite/1"
JUDGE_VERSION = "cqia-judge/1"
"""Bump when the prompt or the request changes: cached answers of the old one no longer apply."""

REWRITE_PROMPT = "cqia_rewrite.txt"
JUDGE_PROMPT = "cqia_judge.txt"


# --------------------------------------------------------------------------------------------------
# The judgement (shared with Kun's self-curation score)
# --------------------------------------------------------------------------------------------------


VERDICTS = {"好": "好", "差": "差", "good": "好", "bad": "差"}


def score_value(value: Any) -> int:
    """A 1–5 score: 4, 4.0, "4", "4分", "4/5"; ValueError otherwise."""
    if isinstance(value, bool):
        raise ValueError("the score is not a number")
    if isinstance(value, int | float):
        number = float(value)
    elif isinstance(value, str):
        match = re.fullmatch(r"\s*(\d+(?:\.\d+)?)\s*(?:分|/\s*5|points?)?\s*", value)
        if not match:
            raise ValueError(f"the score is not a number: {value!r}")
        number = float(match.group(1))
    else:
        raise ValueError("the answer has no score")
    if not number.is_integer() or not 1 <= number <= 5:
        raise ValueError(f"the score must be a whole number from 1 to 5, not {value!r}")
    return int(number)


def parse_judgement(output: Any, *, verdict: bool) -> dict[str, Any]:
    """``{"score", "rationale"[, "verdict"]}`` out of the model's answer.

    With ``verdict`` (Kun's rubric): 好 or 差 as well; when it is missing it follows from the score
    (4–5 好), when it contradicts the score (好 with 1–2, 差 with 4–5) the answer is refused.
    """
    answer = json_object(output, repair=True)
    score = score_value(answer.get("score"))
    rationale = filled_text_field(answer, "rationale" if "rationale" in answer else "reason")
    judgement: dict[str, Any] = {"score": score, "rationale": rationale}
    if verdict:
        raw = answer.get("verdict")
        if raw is None or (isinstance(raw, str) and not raw.strip()):
            judged = "好" if score >= 4 else "差"
        elif isinstance(raw, str) and raw.strip().lower() in VERDICTS:
            judged = VERDICTS[raw.strip().lower()]
        else:
            raise ValueError(f"the verdict must be 好 or 差, not {raw!r}")
        if (judged == "好" and score <= 2) or (judged == "差" and score >= 4):
            raise ValueError(f"the verdict {judged} contradicts the score {score}")
        judgement["verdict"] = judged
    return judgement


def latest_judgement(suggestions: list[Mapping[str, Any]]) -> Mapping[str, Any] | None:
    """The judgement to show beside a sample's rating: its newest judge draft not dismissed (pending
    or taken), of ``query.suggestions`` (oldest first); None when there is none."""
    for suggestion in reversed(suggestions):
        content = suggestion.get("content")
        if isinstance(content, Mapping) and JUDGEMENT_KEY in content and suggestion.get("state") != "dismissed":
            return suggestion
    return None


def alpaca_fields(content: Mapping[str, Any]) -> dict[str, str]:
    fields = {key: content.get(key) or "" for key in ("instruction", "input", "output")}
    for key, value in fields.items():
        if not isinstance(value, str):
            raise ValueError(f"the {key} is not text")
    if not fields["instruction"].strip():
        raise ValueError("the instruction is empty")
    if not fields["output"].strip():
        raise ValueError("the output is empty: nothing to work on")
    return fields


# --------------------------------------------------------------------------------------------------
# rewrite
# --------------------------------------------------------------------------------------------------


def build_rewrite(content: Mapping[str, Any], prompt: str) -> ChatCall:
    fields = alpaca_fields(content)
    return json_chat(prompt, user_json(fields), temperature=0.3)


def parse_rewrite(content: Mapping[str, Any], output: Any) -> dict[str, Any]:
    fields = alpaca_fields(content)
    better = filled_text_field(json_object(output, repair=False), "output")
    chinese_like(fields["instruction"] + fields["output"], better, "rewritten answer")
    if better == fields["output"].strip():
        raise ValueError("the rewrite is the same answer: nothing to suggest")
    return {"output": better}


def estimate_rewrite(content: Mapping[str, Any], prompt: str) -> Usage:
    fields = alpaca_fields(content)
    # A better answer is usually somewhat longer than the weak one; 100 for the JSON and slack.
    return chat_usage(build_rewrite(content, prompt), math.ceil(count_tokens(fields["output"]) * 1.5) + 100)


# --------------------------------------------------------------------------------------------------
# judge
# --------------------------------------------------------------------------------------------------


def build_judge(content: Mapping[str, Any], prompt: str) -> ChatCall:
    fields = alpaca_fields(content)
    return json_chat(prompt, user_json(fields), temperature=0.0)


def parse_judge(content: Mapping[str, Any], output: Any) -> dict[str, Any]:
    alpaca_fields(content)
    return {JUDGEMENT_KEY: parse_judgement(output, verdict=False)}


def estimate_judge(content: Mapping[str, Any], prompt: str) -> Usage:
    return chat_usage(build_judge(content, prompt), 200)  # a score and two or three sentences


TASKS = (
    chat_task(
        "rewrite",
        ("instruction",),
        REWRITE_VERSION,
        REWRITE_PROMPT,
        "Rewrite weak answers",
        build_rewrite,
        parse_rewrite,
        estimate_rewrite,
    ),
    chat_task(
        "judge",
        ("instruction",),
        JUDGE_VERSION,
        JUDGE_PROMPT,
        "Judge answers (1–5 with a rationale)",
        build_judge,
        parse_judge,
        estimate_judge,
    ),
)
