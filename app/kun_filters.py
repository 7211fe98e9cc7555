"""COIG-Kun's rule filters, as pure functions: which instructions and answers to set aside.

They never delete anything: the pipeline (:mod:`workers.pipeline`) flags what they find with
:func:`app.store.actions.set_flag` (undoable, visible in the review window and in ``--where flag=…``),
and later steps leave flagged samples out.

The defaults follow COIG-Kun's own scripts (``script/delete_key_input.py`` and
``delete_key_output.py`` of github.com/Zheng0428/COIG-Kun): an instruction naming something the
model is not given (an article, a picture, a link) is dropped; an answer with a model's boilerplate
is dropped. Kun dropped every answer containing 作为, 根据, 知识库, 2023 or 抱歉 — bare words that
also occur in good Chinese prose (作为首都…), so the default here is the boilerplate *phrases*; pass
:data:`KUN_OUTPUT_KEYWORDS` to filter exactly as Kun did.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass

INSTRUCTION_KEYWORDS = (
    "新闻", "材料", "图片", "链接", "网址", "根据", "简历", "简介", "文章", "摘要", "文本", "提取", "关键词", "网站",
)  # fmt: skip
"""Kun's list: an instruction with one of these refers to a text, page or picture it does not carry."""

KUN_OUTPUT_KEYWORDS = ("作为", "根据", "知识库", "2023", "抱歉")
"""Kun's own output list, word for word (strict: also drops good prose that says 作为 or 根据)."""

OUTPUT_KEYWORDS = (
    "作为一个AI", "作为AI", "作为一名AI", "作为一个人工智能", "作为人工智能", "作为一个语言模型", "作为语言模型",
    "作为一个大语言模型", "我是一个AI", "我是一个人工智能", "抱歉", "对不起，我", "很遗憾，我",
    "根据您提供的", "根据你提供的", "根据提供的", "根据上述", "根据以上", "根据原文", "根据文本", "根据文章",
    "知识库", "截至2023", "截止2023", "截至我的知识",
)  # fmt: skip
"""Boilerplate of model answers: the phrases behind Kun's keywords (作为…AI, 抱歉, 根据…提供的…)."""

FLAG_INSTRUCTION = "kun_instruction"
FLAG_SCORE = "kun_low_score"
FLAG_OUTPUT = "kun_output"
FLAGS = (FLAG_INSTRUCTION, FLAG_SCORE, FLAG_OUTPUT)
"""The flags the Kun pipeline sets; a sample with any of them is left out of the steps after."""


@dataclass(frozen=True)
class KunSettings:
    """The thresholds of the Kun pipeline (``winnow run PROJECT kun --min-score …``)."""

    instruction_keywords: tuple[str, ...] = INSTRUCTION_KEYWORDS
    min_score: int = 4
    """Self-curation scores below this are set aside (Humpback kept 4 and 5 of its 1–5 scale)."""
    output_keywords: tuple[str, ...] = OUTPUT_KEYWORDS
    min_output_chars: int = 20
    """Polished answers with fewer characters (spaces not counted) are set aside."""
    max_repetition: float = 0.35
    """Answers whose share of repeated 4-character runs (:func:`repetition`) is above this are set aside."""
    auto_accept: bool = False
    """Take the scores (as ratings) and the polished answers that passed, instead of leaving them
    as drafts for review. The back-translated instruction is always taken: the next steps read it."""

    def __post_init__(self) -> None:
        if not 1 <= self.min_score <= 5:
            raise ValueError(f"the minimum score must be 1–5, not {self.min_score}")
        if self.min_output_chars < 0:
            raise ValueError("the minimum output length cannot be negative")
        if not 0 < self.max_repetition <= 1:
            raise ValueError(f"the repetition limit must be in (0, 1], not {self.max_repetition}")


def keywords_from(text: str) -> tuple[str, ...]:
    """A keyword list as typed (``图片,链接 网址`` or with Chinese commas): the words, in order."""
    return tuple(dict.fromkeys(word for word in re.split(r"[\s,，、;；]+", text) if word))


def instruction_problem(text: str, keywords: Iterable[str] = INSTRUCTION_KEYWORDS) -> str | None:
    """Why the instruction is set aside (``keyword 图片``), or None when it passes."""
    if not text.strip():
        return "no instruction"
    for word in keywords:
        if word and word in text:
            return f"keyword {word}"
    return None


def score_problem(score: int | None, min_score: int) -> str | None:
    if score is None:
        return "no score"
    return f"score {score} < {min_score}" if score < min_score else None


_SPACE = re.compile(r"\s+")
NGRAM = 4
"""Run length for :func:`repetition`: about two Chinese words, short enough to catch a looping phrase."""


def repetition(text: str) -> float:
    """The share of the text's 4-character runs (spaces removed) that repeat an earlier run.

    About 0–0.1 for ordinary prose, 0.5 and more for a model caught in a loop (好的好的好的…).
    Texts too short to judge count as 0.
    """
    chars = _SPACE.sub("", text)
    total = len(chars) - NGRAM + 1
    if total < 8:
        return 0.0
    seen: set[str] = set()
    repeated = 0
    for start in range(total):
        gram = chars[start : start + NGRAM]
        if gram in seen:
            repeated += 1
        else:
            seen.add(gram)
    return repeated / total


def output_problem(
    text: str,
    *,
    keywords: Iterable[str] = OUTPUT_KEYWORDS,
    min_chars: int = 20,
    max_repetition: float = 0.35,
) -> str | None:
    """Why the answer is set aside (``too short (4 < 20 characters)``, ``repetitive (62 %)``,
    ``boilerplate 作为一个AI``), or None when it passes. Checked in that order."""
    length = len(_SPACE.sub("", text))
    if length < min_chars:
        return f"too short ({length} < {min_chars} characters)"
    for word in keywords:
        if word and word in text:
            return f"boilerplate {word}"
    share = repetition(text)
    if share > max_repetition:
        return f"repetitive ({share:.0%} repeated)"
    return None
