"""COIG-CQIA style answer work on instruction samples: ``rewrite`` a weak answer, and ``judge`` an
answer (an LLM as judge: a 1–5 score with a rationale). Pure functions: no I/O (the prompt template
is passed in).

``rewrite`` proposes ``{"output": better answer}``, merged over the sample like any draft.

``judge`` proposes a *judgement*, ``{"judgement": {"score": 1–5, "rationale": "…", "verdict": …}}``.
A judgement is not content: taken, it sets the sample's rating (``actions.accept_suggestion`` knows
the key, see :data:`app.store.actions.JUDGEMENT_KEY`) and leaves the content alone, so an export
never carries a judge's words as if they were a field of the data, and the reviewer sees the judge's
score beside the rating they give. Kun's self-curation score (``kun-score``) has the same shape.

The helpers below (the JSON of a model's answer, the Chinese check, the judgement's parser) are
shared with :mod:`app.tasks.kun`.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Mapping
from typing import Any

import json_repair

from app.store.actions import JUDGEMENT_KEY
from app.tasks import ChatCall, Task, Usage
from app.tasks.translate import count_tokens

REWRITE_VERSION = "cqia-rewrite/1"
JUDGE_VERSION = "cqia-judge/1"
"""Bump when the prompt or the request changes: cached answers of the old one no longer apply."""

REWRITE_PROMPT = "cqia_rewrite.txt"
JUDGE_PROMPT = "cqia_judge.txt"

_MESSAGE_OVERHEAD = 4
_FENCE = re.compile(r"^\s*```[\w-]*\s*\n?(.*?)\n?\s*```\s*$", re.DOTALL)
_CJK = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]")
_LATIN = re.compile(r"[A-Za-z]")


# --------------------------------------------------------------------------------------------------
# Shared helpers
# --------------------------------------------------------------------------------------------------


def answer_text(output: Any) -> str:
    """The model's text out of a provider result (or the text itself)."""
    text = getattr(output, "output", output)
    if not isinstance(text, str):
        raise ValueError(f"expected the model's text, got {type(text).__name__}")
    return text


def json_answer(output: Any, *, repair: bool) -> dict[str, Any]:
    """The JSON object of a model's answer: as is, out of a ``` fence, or the object inside prose.

    ``repair``: also mend what json_repair can (trailing commas, single quotes). Only for short
    structured answers: an answer cut off at ``max_tokens`` (no closing brace) is refused either
    way, since "repairing" it would keep half a text as if it were whole.
    """
    text = answer_text(output)
    stripped = text.strip()
    if not stripped:
        raise ValueError("the answer is empty")
    fenced = _FENCE.match(stripped)
    if fenced:
        stripped = fenced.group(1).strip()
    candidates = [stripped]
    start, end = stripped.find("{"), stripped.rfind("}")
    if start != -1 and end > start:
        candidates.append(stripped[start : end + 1])
    for candidate in candidates:
        try:
            value = json.loads(candidate)
        except ValueError:
            continue
        if isinstance(value, dict):
            return value
        raise ValueError(f"the answer is JSON but not an object: {_cut(text)!r}")
    if start == -1:
        raise ValueError(f"the answer is not a JSON object: {_cut(text)!r}")
    if end <= start:
        raise ValueError(f"the answer is cut off (no closing brace): {_cut(text)!r}")
    if repair:
        try:
            value = json_repair.loads(stripped[start : end + 1])
        except Exception:  # json_repair raises little; its failure stays this item's failure
            value = None
        if isinstance(value, dict) and value:
            return value
    raise ValueError(f"the answer is not valid JSON: {_cut(text)!r}")


def _cut(text: str, limit: int = 80) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def is_chinese(text: str) -> bool:
    """Mostly Chinese: at least one Han character, and at least a fifth of the letters are Han
    (Chinese prose with English terms in it passes; an English answer quoting a word does not)."""
    han = len(_CJK.findall(text))
    latin = len(_LATIN.findall(text))
    # An English word is ~5 letters where a Chinese one is ~2 characters: compare words, roughly.
    return han > 0 and han / (han + latin / 2.5) >= 0.2


def text_field(answer: Mapping[str, Any], key: str) -> str:
    """A non-empty text field of the answer, stripped; ValueError otherwise."""
    if key not in answer:
        raise ValueError(f"the answer has no {key!r}")
    value = answer[key]
    if not isinstance(value, str):
        raise ValueError(f"the answer's {key!r} is not text")
    value = value.strip()
    if not value:
        raise ValueError(f"the answer's {key!r} is empty")
    return value


def chinese_like(source: str, value: str, what: str) -> None:
    """A Chinese source must get a Chinese answer (a model that switched to English is refused)."""
    if is_chinese(source) and not is_chinese(value):
        raise ValueError(f"the {what} is not in Chinese: {_cut(value)!r}")


VERDICTS = {"好": "好", "差": "差", "good": "好", "bad": "差"}


def parse_score(value: Any) -> int:
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
    answer = json_answer(output, repair=True)
    score = parse_score(answer.get("score"))
    rationale = text_field(answer, "rationale") if "rationale" in answer else text_field(answer, "reason")
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


def chat_usage(call: ChatCall, completion_tokens: int) -> Usage:
    prompt_tokens = sum(count_tokens(text) + _MESSAGE_OVERHEAD for _role, text in call.messages)
    return Usage(tokens=prompt_tokens + completion_tokens)


def alpaca_fields(content: Mapping[str, Any], *, need_output: bool = True) -> dict[str, str]:
    fields = {key: content.get(key) or "" for key in ("instruction", "input", "output")}
    for key, value in fields.items():
        if not isinstance(value, str):
            raise ValueError(f"the {key} is not text")
    if not fields["instruction"].strip():
        raise ValueError("the instruction is empty")
    if need_output and not fields["output"].strip():
        raise ValueError("the output is empty: nothing to work on")
    return fields


def user_json(fields: Mapping[str, Any]) -> str:
    return json.dumps(dict(fields), ensure_ascii=False, indent=2)


# --------------------------------------------------------------------------------------------------
# rewrite
# --------------------------------------------------------------------------------------------------


def build_rewrite(content: Mapping[str, Any], prompt: str) -> ChatCall:
    fields = alpaca_fields(content)
    return ChatCall(messages=(("system", prompt), ("user", user_json(fields))), temperature=0.3, json_mode=True)


def parse_rewrite(content: Mapping[str, Any], output: Any) -> dict[str, Any]:
    fields = alpaca_fields(content)
    better = text_field(json_answer(output, repair=False), "output")
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
    return ChatCall(messages=(("system", prompt), ("user", user_json(fields))), temperature=0.0, json_mode=True)


def parse_judge(content: Mapping[str, Any], output: Any) -> dict[str, Any]:
    alpaca_fields(content)
    return {JUDGEMENT_KEY: parse_judgement(output, verdict=False)}


def estimate_judge(content: Mapping[str, Any], prompt: str) -> Usage:
    return chat_usage(build_judge(content, prompt), 200)  # a score and two or three sentences


def _chat_only(build, parse, estimate):
    return (
        lambda content, style, prompt: build(content, prompt),
        lambda content, style, output: parse(content, output),
        lambda content, style, prompt: estimate(content, prompt),
    )


_rewrite = _chat_only(build_rewrite, parse_rewrite, estimate_rewrite)
_judge = _chat_only(build_judge, parse_judge, estimate_judge)

TASKS = (
    Task(
        name="rewrite",
        kinds=("instruction",),
        prompt_version=REWRITE_VERSION,
        build=_rewrite[0],
        parse=_rewrite[1],
        estimate=_rewrite[2],
        prompt_file=REWRITE_PROMPT,
        title="Rewrite weak answers",
        styles=("chat",),
    ),
    Task(
        name="judge",
        kinds=("instruction",),
        prompt_version=JUDGE_VERSION,
        build=_judge[0],
        parse=_judge[1],
        estimate=_judge[2],
        prompt_file=JUDGE_PROMPT,
        title="Judge answers (1–5 with a rationale)",
        styles=("chat",),
    ),
)
