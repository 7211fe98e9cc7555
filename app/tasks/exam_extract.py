"""COIG exam extraction: a raw exam question (gaokao, civil service…) → the six elements COIG's
annotators filled in with potato: ``textbox_q_instruction``, ``textbox_q_context`` (the reading
passage, optional), ``textbox_question``, ``textbox_answer``, ``textbox_answer_analysis`` (optional)
and ``subject``. The model pre-fills them; the reviewer confirms or corrects them in the exam form.

How raw text gets in: as an ``exam`` sample whose raw text is in ``textbox_question`` (a CSV/JSONL
import with a ``textbox_question`` column, or any column mapped to it in the import dialog), the other
fields empty. No new content key is needed, the exam form shows the raw text in its Question field
at once, and the draft proposes all six fields over it; once taken, the raw text stays in the
sample's revision history. An item already split (some fields filled) is sent as all its fields
joined, so re-extracting works too.

The suggestion content is the six fields. An answer is refused (a failed item, never a guess) when
it is not a JSON object, a field is missing, the question or the answer is empty, the subject is not
one of COIG's, the question or the passage is not taken from the raw text (rewritten, translated,
invented), or the model answered in English for a Chinese exam.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from app.records import EXAM_FIELDS
from app.tasks import ChatCall, Usage
from app.tasks.chat_json import chat_task, chat_usage, count_tokens, cut, is_chinese, json_chat, json_value, text_field
from app.tasks.near_copy import lcs_length, tokens

PROMPT_VERSION = "exam-extract/1"
PROMPT_FILE = "exam_extract_zh.txt"

SUBJECTS = ("语文", "数学", "英语", "政治", "历史", "地理", "物理", "化学", "生物", "公务员", "其他")
"""COIG's subjects as stored in the data (the exam form's list)."""

SUBJECT_ALIASES = {
    "中文": "语文",
    "国文": "语文",
    "英文": "英语",
    "思想政治": "政治",
    "思政": "政治",
    "道德与法治": "政治",
    "生物学": "生物",
    "历史学": "历史",
    "行测": "公务员",
    "申论": "公务员",
    "行政职业能力测验": "公务员",
}
"""Chinese names models use for the same subjects."""

GROUNDED = 0.8
"""Share of the extracted question's (and passage's) characters that must occur, in order, in the raw text."""

_RAW_ORDER = (
    "textbox_q_instruction",
    "textbox_q_context",
    "textbox_question",
    "textbox_answer",
    "textbox_answer_analysis",
)


def raw_text(content: Mapping[str, Any]) -> str:
    """The exam text to split: every non-empty text field, in the form's order (for a raw import,
    just ``textbox_question``)."""
    parts = [content.get(field) for field in _RAW_ORDER]
    text = "\n\n".join(part.strip() for part in parts if isinstance(part, str) and part.strip())
    if not text:
        raise ValueError("the exam item has no text to extract from (textbox_question is empty)")
    return text


def build_request(content: Mapping[str, Any], prompt: str) -> ChatCall:
    """The prompt as the system message, the raw exam text as the user message, JSON asked for."""
    return json_chat(prompt, raw_text(content), temperature=0.0)


def normalise_subject(value: str) -> str:
    subject = value.strip().strip("。.")
    subject = SUBJECT_ALIASES.get(subject, subject)
    if subject not in SUBJECTS:
        raise ValueError(f"the subject {cut(value, 30)!r} is not one of {', '.join(SUBJECTS)}")
    return subject


def _grounded(part: str, raw: str) -> float:
    """How much of ``part`` (its characters/words, in order) is taken from ``raw``: 0.0–1.0."""
    mine = tokens(part)
    if not mine:
        return 1.0
    return lcs_length(mine, tokens(raw)) / len(mine)


def parse_answer(content: Mapping[str, Any], output: Any) -> dict[str, Any]:
    """The six fields of the model's JSON answer, validated (see the module doc)."""
    raw = raw_text(content)
    answer = json_value(output)
    missing = [field for field in EXAM_FIELDS if field not in answer]
    if missing:
        raise ValueError(f"the answer has no {', '.join(map(repr, missing))}")
    fields = {field: text_field(answer, field) for field in EXAM_FIELDS}
    if not fields["textbox_question"]:
        raise ValueError("the extracted question is empty")
    if not fields["textbox_answer"]:
        raise ValueError("the extracted answer is empty")
    fields["subject"] = normalise_subject(fields["subject"])
    for field, what in (("textbox_question", "question"), ("textbox_q_context", "reading passage")):
        share = _grounded(fields[field], raw)
        if share < GROUNDED:
            raise ValueError(
                f"the {what} is not taken from the exam text (only {share:.0%} of it is there):"
                f" {cut(fields[field], 40)!r}"
            )
    if is_chinese(raw):
        for field in ("textbox_q_instruction", "textbox_answer_analysis"):
            if fields[field] and not is_chinese(fields[field]):
                raise ValueError(f"{field} is in English, the exam is Chinese: {cut(fields[field], 40)!r}")
    return fields


def estimate(content: Mapping[str, Any], prompt: str) -> Usage:
    """The prompt plus an answer about as long as the raw text (it is copied back, split) and the keys."""
    call = build_request(content, prompt)
    return chat_usage(call, count_tokens(raw_text(content)) * 1.2 + 60)


TASK = chat_task(
    "exam-extract",
    ("exam",),
    PROMPT_VERSION,
    PROMPT_FILE,
    "Extract the six exam fields",
    build_request,
    parse_answer,
    estimate,
)
