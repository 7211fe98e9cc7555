"""Near-copy detection for generated instructions, as Self-Instruct does it: ROUGE-L between the new
instruction and every existing one, a new one dropped when it scores above 0.7 with any.

Chinese has no spaces, so the tokens are characters: each CJK character (and each other non-Latin
letter) is a token, a run of Latin letters or digits is one token (a word or a number), and
punctuation and whitespace are not tokens. ROUGE-L is the F-measure of the longest common
subsequence of the two token lists; the LCS length is computed bit-parallel (Hyyrö 2004), one big
integer operation per token, so comparing against a few hundred candidates costs milliseconds.

Comparing against *every* instruction of a project of a million samples is not cheap, so the
candidates come from the project's full-text index (a trigram index): the instructions sharing the
most trigrams with the new one, best first (:func:`project_near_copy`). A pair above the threshold
shares most of its characters in order, so it shares many trigrams too and ranks near the top.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from typing import Any

import orjson

THRESHOLD = 0.7
"""Self-Instruct's: a new instruction whose ROUGE-L with an existing one exceeds this is a near-copy."""

CANDIDATES = 200
"""How many indexed samples, best trigram matches first, a new instruction is compared with."""

_MAX_TRIGRAMS = 24
_TOKEN = re.compile(r"[A-Za-z0-9]+|[^\W\d_A-Za-z]", re.UNICODE)


def tokens(text: str) -> list[str]:
    """Characters for Chinese, words for Latin runs; case folded, punctuation and spaces dropped."""
    return [token.lower() for token in _TOKEN.findall(text)]


def lcs_length(a: Sequence[str], b: Sequence[str]) -> int:
    """Length of the longest common subsequence of two token lists (bit-parallel)."""
    if not a or not b:
        return 0
    if len(a) < len(b):
        a, b = b, a
    masks: dict[str, int] = {}
    for position, token in enumerate(a):
        masks[token] = masks.get(token, 0) | (1 << position)
    full = (1 << len(a)) - 1
    row = full
    for token in b:
        match = row & masks.get(token, 0)
        row = ((row + match) | (row - match)) & full
    return len(a) - row.bit_count()


def rouge_l(a: str | Sequence[str], b: str | Sequence[str]) -> float:
    """ROUGE-L F-measure (β = 1) of two texts or token lists, 0.0–1.0."""
    first = tokens(a) if isinstance(a, str) else list(a)
    second = tokens(b) if isinstance(b, str) else list(b)
    common = lcs_length(first, second)
    if common == 0:
        return 0.0
    precision, recall = common / len(second), common / len(first)
    return 2 * precision * recall / (precision + recall)


def _trigram_query(text: str) -> str:
    """An FTS5 query matching any of (up to 24, evenly spread) trigrams of ``text``; '' if too short."""
    compact = re.sub(r"\s+", " ", text).strip()
    grams = list(dict.fromkeys(compact[i : i + 3] for i in range(len(compact) - 2)))
    grams = [gram for gram in grams if gram.strip() and " " not in gram.strip()]
    if not grams:
        return ""
    if len(grams) > _MAX_TRIGRAMS:
        step = len(grams) / _MAX_TRIGRAMS
        grams = [grams[int(i * step)] for i in range(_MAX_TRIGRAMS)]
    return " OR ".join('"' + gram.replace('"', '""') + '"' for gram in grams)


def instruction_of(content: Mapping[str, Any]) -> str:
    """The instruction a sample states, whatever its kind ('' when it has none)."""
    for key in ("instruction", "textbox_question"):
        value = content.get(key)
        if isinstance(value, str) and value.strip():
            return value
    return ""


def project_near_copy(project: Any, instruction: str, threshold: float = THRESHOLD) -> tuple[float, int] | None:
    """``(score, sample id)`` of an existing, not deleted sample whose instruction is a near-copy of
    ``instruction`` (ROUGE-L above ``threshold``), or None. ``project`` is an open
    :class:`app.store.Project`; the candidates are its best trigram matches."""
    mine = tokens(instruction)
    if not mine:
        return None
    query = _trigram_query(instruction)
    if query:
        rows = project.db.execute(
            "SELECT s.id, s.content FROM samples s JOIN ("
            " SELECT rowid AS id FROM samples_fts WHERE samples_fts MATCH ? ORDER BY rank LIMIT ?"
            ") hits ON hits.id = s.id WHERE s.deleted = 0",
            (query, CANDIDATES),
        ).fetchall()
    else:  # one or two characters: only an identical instruction can be a copy
        rows = project.db.execute(
            "SELECT id, content FROM samples WHERE deleted = 0 AND json_extract(content, '$.instruction') = ?",
            (instruction,),
        ).fetchall()
    best: tuple[float, int] | None = None
    for sample_id, content_json in rows:
        content = orjson.loads(content_json)
        other = instruction_of(content) if isinstance(content, dict) else ""
        score = rouge_l(mine, tokens(other))
        if score > threshold and (best is None or score > best[0]):
            best = (score, int(sample_id))
    return best


def screen(
    project: Any, samples: Sequence[Mapping[str, Any]], threshold: float = THRESHOLD
) -> tuple[list[Mapping[str, Any]], list[dict[str, Any]]]:
    """Split generated samples into those to add and the near-copies to drop: a sample is dropped
    when its instruction is a near-copy of an existing sample's or of one kept before it in the same
    answer. Each dropped one is ``{"sample", "score", "similar_to"}`` (a sample id, or the text)."""
    kept: list[Mapping[str, Any]] = []
    kept_tokens: list[list[str]] = []
    dropped: list[dict[str, Any]] = []
    for sample in samples:
        instruction = instruction_of(sample)
        mine = tokens(instruction)
        twin = next(
            ((score, kept[i]) for i, other in enumerate(kept_tokens) if (score := rouge_l(mine, other)) > threshold),
            None,
        )
        if twin is not None:
            dropped.append({"sample": dict(sample), "score": round(twin[0], 3), "similar_to": instruction_of(twin[1])})
            continue
        existing = project_near_copy(project, instruction, threshold)
        if existing is not None:
            dropped.append({"sample": dict(sample), "score": round(existing[0], 3), "similar_to": existing[1]})
            continue
        kept.append(sample)
        kept_tokens.append(mine)
    return kept, dropped
