"""Chinese QA checks: pure functions from a sample's content to findings.

Every check looks at the text fields of one sample (see :func:`fields`) and says WHAT is wrong and
WHERE: the field (``output``, ``target.output``, ``messages[2].content``), the character offset in
that field and a short snippet around it. The store keeps one flag per check and sample
(:mod:`app.quality.flags`); the review pane shows the findings.

They run on every content change (a trigger calls them inside the edit's transaction), on every
imported sample (in the importer's writer) and over a whole project in batches, so each is written
for speed: a cheap test first (a set intersection, ``in``, a compiled regex that fails fast) and the
slower precise work only when that test hits. :func:`check_sample` goes further and screens the
whole sample before any check runs (see "Which checks can find something in a field"): checking a
typical sample takes ~10 µs (tests/bench/bench_quality.py).
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from functools import cache
from typing import Any

from app.quality import script

PUNCTUATION_WIDTH = "punctuation_width"
ENDING_PUNCTUATION = "ending_punctuation"
UNTRANSLATED_ENGLISH = "untranslated_english"
MIXED_SCRIPT = "mixed_script"
CODE_FENCE = "code_fence"
UNBALANCED_BRACKETS = "unbalanced_brackets"
REPEATED_PHRASE = "repeated_phrase"
EMPTY_FIELD = "empty_field"
TRUNCATED_FIELD = "truncated_field"

CHECK_NAMES = (
    PUNCTUATION_WIDTH,
    ENDING_PUNCTUATION,
    UNTRANSLATED_ENGLISH,
    MIXED_SCRIPT,
    CODE_FENCE,
    UNBALANCED_BRACKETS,
    REPEATED_PHRASE,
    EMPTY_FIELD,
    TRUNCATED_FIELD,
)

# One-line descriptions for menus, the CLI summary and tooltips.
CHECK_TITLES = {
    PUNCTUATION_WIDTH: "half-width punctuation in Chinese text (or full-width in code)",
    ENDING_PUNCTUATION: "ending punctuation does not match the source",
    UNTRANSLATED_ENGLISH: "English left untranslated in a Chinese field",
    MIXED_SCRIPT: "Simplified and Traditional characters mixed",
    CODE_FENCE: "code fence unclosed or changed from the source",
    UNBALANCED_BRACKETS: "unbalanced brackets or quotes",
    REPEATED_PHRASE: "a phrase repeated over and over",
    EMPTY_FIELD: "empty field",
    TRUNCATED_FIELD: "field looks cut off",
}

SNIPPET = 12
"""Characters of context either side of a finding in its message."""


@dataclass(frozen=True, slots=True)
class Finding:
    check: str
    field: str
    """Where in the content: ``output``, ``target.output``, ``messages[2].content``."""
    offset: int
    """Character offset in the field (-1 when the finding is about the field as a whole)."""
    message: str
    """What is wrong, for the user, with a snippet of the text."""

    def describe(self) -> str:
        where = self.field if self.offset < 0 else f"{self.field}, character {self.offset + 1}"
        return f"{where}: {self.message}"


@dataclass(slots=True)  # not frozen: a frozen dataclass's __init__ costs 3x, and there are millions
class Field:
    path: str
    text: str
    source: str | None = None
    """The same field's original (translation pairs), else None."""
    required: bool = False
    """Empty is a finding."""
    answer: bool = False
    """An answer or output: truncation is checked."""


# --------------------------------------------------------------------------------------------------
# Fields by kind


def fields(kind: str, content: dict[str, Any]) -> list[Field]:
    """The text fields of a sample to check, with their sources for translation pairs."""
    if kind == "translation":
        source = content.get("source") or {}
        target = content.get("target") or {}
        out = [
            Field(f"target.{name}", _str(target.get(name)), _str(source.get(name)), answer=name == "output")
            for name in ("instruction", "input", "output")
        ]
        return out
    if kind == "chat":
        out = []
        messages = content.get("messages") or []
        for i, message in enumerate(messages):
            if not isinstance(message, dict):
                continue
            role = message.get("role", "")
            out.append(
                Field(
                    f"messages[{i}].content",
                    _str(message.get("content")),
                    required=role in ("user", "assistant"),
                    answer=role == "assistant" and i == len(messages) - 1,
                )
            )
        if content.get("system"):
            out.append(Field("system", _str(content["system"])))
        return out
    if kind == "exam":
        return [
            Field(name, _str(content.get(name)), required=name in ("textbox_question", "textbox_answer"))
            for name in (
                "textbox_q_instruction",
                "textbox_q_context",
                "textbox_question",
                "textbox_answer",
                "textbox_answer_analysis",
            )
        ]
    # instruction, code and anything Alpaca-shaped
    out = [
        Field("instruction", _str(content.get("instruction")), required=True),
        Field("input", _str(content.get("input"))),
        Field("output", _str(content.get("output")), required=True, answer=True),
    ]
    if content.get("system"):
        out.append(Field("system", _str(content["system"])))
    for i, pair in enumerate(content.get("history") or []):
        if isinstance(pair, list | tuple) and len(pair) == 2:
            out.append(Field(f"history[{i}][0]", _str(pair[0])))
            out.append(Field(f"history[{i}][1]", _str(pair[1])))
    return out


def _str(value: Any) -> str:
    return value if isinstance(value, str) else ""


# --------------------------------------------------------------------------------------------------
# Helpers

_CJK = "\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff"
_CJK_RE = re.compile(f"[{_CJK}]")
_CJK_CHARS = re.compile(f"[{_CJK}]+")


def snippet(text: str, at: int, length: int = 1) -> str:
    start = max(0, at - SNIPPET)
    end = min(len(text), at + length + SNIPPET)
    piece = text[start:end].replace("\n", "⏎")
    return f"“{'…' if start else ''}{piece}{'…' if end < len(text) else ''}”"


def is_chinese(text: str) -> bool:
    """Whether a field is Chinese prose: a few CJK characters, and not drowned in ASCII."""
    wide = (len(text.encode()) - len(text)) // 2  # characters of 3 UTF-8 bytes: CJK, full-width marks
    if wide < 2 or not _CJK_RE.search(text):
        return False
    ascii_chars = len(text) - wide
    # A CJK character carries ~4 ASCII characters' worth of text: a field at least a third Chinese by
    # content counts (an answer with an English passage in it, not English with a Chinese term).
    return wide * 8 >= ascii_chars


_FENCE_BLOCK = re.compile(r"^[ \t]*(```|~~~)[^\n]*\n.*?^[ \t]*\1[ \t]*$", re.S | re.M)
_INLINE_CODE = re.compile(r"`[^`\n]+`")
_MATH = re.compile(r"\$\$.+?\$\$|\$[^$\n]+\$", re.S)
_URL = re.compile(r"(?:https?|ftp)://\S+|www\.\S+|\b[\w.+-]+@[\w-]+\.[\w.]+")


def prose(text: str) -> str:
    """``text`` with code blocks, inline code, LaTeX math and URLs blanked out (same length: offsets
    hold)."""
    if "`" in text or "~~~" in text:
        text = _FENCE_BLOCK.sub(_blank, text)
        text = _INLINE_CODE.sub(_blank, text)
    if "$" in text:
        text = _MATH.sub(_blank, text)
    if "://" in text or "www." in text or "@" in text:
        text = _URL.sub(_blank, text)
    return text


def _is_prose(text: str) -> bool:
    """Whether :func:`prose` leaves ``text`` as it is: none of the marks it looks for."""
    return not ("`" in text or "~~~" in text or "$" in text or "://" in text or "www." in text or "@" in text)


def _blank(match: re.Match[str]) -> str:
    return re.sub(r"[^\n]", " ", match.group(0))


# --------------------------------------------------------------------------------------------------
# Full-width vs half-width punctuation

# A half-width mark right after a Chinese character; whether it is misused depends on what follows
# (see _misused): "3.14", "v1.2", "e.g." and URLs stay alone. The mark comes first in the pattern and
# the Chinese character is a lookbehind so that the regex engine scans for the rare mark (3x faster
# than trying every Chinese character as a start); it finds the same marks.
_HALF_AFTER_CJK = re.compile(f"[,;:?!.()](?<=[{_CJK}].)")
_FULL_NAMES = {",": "，", ";": "；", ":": "：", "?": "？", "!": "！", ".": "。", "(": "（", ")": "）"}
# Full-width punctuation inside a code block breaks the code (a "，" where Python wants ",").
_FULL_IN_CODE = re.compile(r"[，；：（）！？。]")
_CODE_BLOCK_BODY = re.compile(r"^[ \t]*```[^\n]*\n(.*?)^[ \t]*```", re.S | re.M)
_CODE_LINE_SKIP = re.compile(r"#.*$|//.*$|\"(?:[^\"\\\n]|\\.)*\"|'(?:[^'\\\n]|\\.)*'", re.M)


def _misused(text: str, at: int) -> bool:
    mark = text[at]
    after = text[at + 1 : at + 2]
    if mark == "(":
        return bool(after) and bool(_CJK_RE.match(after))
    if mark == ".":
        # A sentence end: Chinese next, or the end of the line. Not "版本1.2" (a digit follows).
        return (
            not after
            or after == "\n"
            or bool(_CJK_RE.match(after))
            or (after in " \t" and text[at + 1 :].split("\n", 1)[0].strip() == "")
        )
    if mark == ")":
        return not after or bool(_CJK_RE.match(after)) or after in "，。；：！？\n"
    return not after or after in " \t\n“”‘’「」" or bool(_CJK_RE.match(after))


def check_punctuation_width(field: Field, _context: dict[str, Any]) -> list[Finding]:
    text = field.text
    found: list[Finding] = []
    if _HALF_AFTER_CJK.search(text):
        clean = prose(text)
        places = [(m.start(), m.group(0)) for m in _HALF_AFTER_CJK.finditer(clean) if _misused(clean, m.start())]
        for at, mark in places[:3]:
            found.append(
                Finding(
                    PUNCTUATION_WIDTH,
                    field.path,
                    at,
                    f"half-width '{mark}' in Chinese text, use '{_FULL_NAMES[mark]}': {snippet(text, at)}",
                )
            )
    if "```" in text:
        for block in _CODE_BLOCK_BODY.finditer(text):
            # Strings and comments may hold Chinese punctuation; the code around them may not.
            body = _CODE_LINE_SKIP.sub(_blank, block.group(1))
            for match in _FULL_IN_CODE.finditer(body):
                at = block.start(1) + match.start()
                found.append(
                    Finding(
                        PUNCTUATION_WIDTH,
                        field.path,
                        at,
                        f"full-width '{match.group(0)}' in code, outside strings and comments: {snippet(text, at)}",
                    )
                )
                break
    return found


# --------------------------------------------------------------------------------------------------
# Ending punctuation vs the source

_TRAILING_CLOSERS = " \t\r\n\"'”’」』）)》】]*_"
_END_CLASS = {
    ".": "statement",
    "。": "statement",
    "．": "statement",
    "?": "question",
    "？": "question",
    "!": "exclamation",
    "！": "exclamation",
    ":": "colon",
    "：": "colon",
    ";": "semicolon",
    "；": "semicolon",
    "…": "ellipsis",
}
_CLASS_MARK = {
    "statement": "'。'",
    "question": "'？'",
    "exclamation": "'！'",
    "colon": "'：'",
    "semicolon": "'；'",
    "ellipsis": "'……'",
    "none": "no punctuation",
}


def _ending(text: str) -> tuple[str, int]:
    stripped = text.rstrip(_TRAILING_CLOSERS)
    if not stripped:
        return "none", -1
    last = stripped[-1]
    if stripped.endswith("...") or stripped.endswith("……"):
        return "ellipsis", len(stripped) - 1
    if last in _END_CLASS:
        return _END_CLASS[last], len(stripped) - 1
    if last.isalnum() or _CJK_RE.match(last):
        return "none", len(stripped) - 1
    return "other", len(stripped) - 1


def check_ending_punctuation(field: Field, _context: dict[str, Any]) -> list[Finding]:
    if not field.source or not field.text.strip() or not field.source.strip():
        return []
    if field.source.rstrip().endswith("```") or field.text.rstrip().endswith("```"):
        return []  # a code block's end says nothing of the prose
    source_class, _ = _ending(field.source)
    target_class, at = _ending(field.text)
    if "other" in (source_class, target_class) or source_class == target_class:
        return []
    # A title without a full stop may well get none in Chinese either; the other way round too.
    return [
        Finding(
            ENDING_PUNCTUATION,
            field.path,
            at,
            f"ends with {_CLASS_MARK[target_class]} but the source ends with {_CLASS_MARK[source_class]}: "
            f"{snippet(field.text, at)}",
        )
    ]


# --------------------------------------------------------------------------------------------------
# Untranslated English

_ENGLISH_RUN = re.compile(r"[A-Za-z][A-Za-z'’-]*(?:[ \t]*[,;:]?[ \t]+[A-Za-z][A-Za-z'’-]*){3,}")
_ASKS_FOR_ENGLISH = re.compile(r"翻译|译成|英文|英语|English|translat", re.I)
# Outside translation pairs a Chinese answer may quote a title, a term or a short phrase in English;
# a run of this many words is a sentence nobody translated.
MIN_ENGLISH_WORDS_TRANSLATION = 4
MIN_ENGLISH_WORDS_OTHER = 8


_FOUR_WORDS = re.compile(r"[A-Za-z]+[ \t]+[A-Za-z]+[ \t]+[A-Za-z]+[ \t]+[A-Za-z]")


def check_untranslated_english(field: Field, context: dict[str, Any]) -> list[Finding]:
    text = field.text
    translation = field.source is not None
    if not text.strip() or (not translation and not _FOUR_WORDS.search(text)):
        return []
    if translation:
        if field.path.endswith("output") and context.get("asks_for_english"):
            return []  # "translate into French": the output is rightly not Chinese
        if field.source and text.strip() == field.source.strip() and re.search("[A-Za-z]{3}", text):
            return [Finding(UNTRANSLATED_ENGLISH, field.path, -1, "is the source text, untranslated")]
        if not _CJK_RE.search(text):
            if re.search(r"[A-Za-z]{2,}(?:\s+[A-Za-z]{2,}){2,}", text):
                return [Finding(UNTRANSLATED_ENGLISH, field.path, 0, f"has no Chinese at all: {snippet(text, 0)}")]
            return []
        minimum = MIN_ENGLISH_WORDS_TRANSLATION
    else:
        if context.get("asks_for_english") or not is_chinese(text):
            return []
        minimum = MIN_ENGLISH_WORDS_OTHER
    clean = prose(text)
    for match in _ENGLISH_RUN.finditer(clean):
        words = re.findall(r"[A-Za-z][A-Za-z'’-]*", match.group(0))
        if len(words) >= minimum:
            return [
                Finding(
                    UNTRANSLATED_ENGLISH,
                    field.path,
                    match.start(),
                    f"{len(words)} English words in a row: "
                    f"{snippet(text, match.start(), min(len(match.group(0)), 30))}",
                )
            ]
    return []


# --------------------------------------------------------------------------------------------------
# Mixed Simplified and Traditional


def check_mixed_script(field: Field, _context: dict[str, Any]) -> list[Finding]:
    mixed = script.mixed(field.text)
    if mixed is None:
        return []
    (trad_at, trad_char), (simp_at, simp_char), n_trad, n_simp = mixed
    return [
        Finding(
            MIXED_SCRIPT,
            field.path,
            trad_at,
            f"Traditional '{trad_char}' ({n_trad} such) beside Simplified '{simp_char}' at character "
            f"{simp_at + 1} ({n_simp} such): {snippet(field.text, trad_at)}",
        )
    ]


# --------------------------------------------------------------------------------------------------
# Code fences

_FENCE_LINE = re.compile(r"^[ \t]*(```|~~~)([^\n`]*)$", re.M)
_BROKEN_FENCE = re.compile(r"｀｀｀|(?<!`)``(?!`)(?=[A-Za-z]*\n)|^[ \t]*`{4,}", re.M)


def code_blocks(text: str) -> tuple[list[tuple[str, str, int]], int | None]:
    """``(language, body, offset)`` of each fenced block, and the offset of an unclosed fence."""
    if "```" not in text and "~~~" not in text:
        return [], None
    blocks: list[tuple[str, str, int]] = []
    opening: re.Match[str] | None = None
    for match in _FENCE_LINE.finditer(text):
        if opening is None:
            opening = match
        elif match.group(1) == opening.group(1) and not match.group(2).strip():
            blocks.append((opening.group(2).strip(), text[opening.end() + 1 : match.start()], opening.start()))
            opening = None
    return blocks, (opening.start() if opening is not None else None)


def check_code_fence(field: Field, _context: dict[str, Any]) -> list[Finding]:
    text = field.text
    found: list[Finding] = []
    if "`" in text or "｀" in text or "~~~" in text:
        blocks, unclosed = code_blocks(text)
        if unclosed is not None:
            found.append(
                Finding(
                    CODE_FENCE,
                    field.path,
                    unclosed,
                    f"code fence opened but never closed: {snippet(text, unclosed, 3)}",
                )
            )
        broken = _BROKEN_FENCE.search(text)
        if broken is not None:
            found.append(
                Finding(
                    CODE_FENCE, field.path, broken.start(), f"malformed code fence: {snippet(text, broken.start(), 3)}"
                )
            )
    else:
        blocks = []
    source = field.source
    if source and ("```" in source or "~~~" in source):
        source_blocks, _ = code_blocks(source)
        if len(source_blocks) != len(blocks):
            found.append(
                Finding(
                    CODE_FENCE,
                    field.path,
                    -1,
                    f"has {len(blocks)} code blocks, the source has {len(source_blocks)}",
                )
            )
        else:
            for i, ((lang, body, at), (s_lang, s_body, _)) in enumerate(zip(blocks, source_blocks, strict=True)):
                if lang != s_lang:
                    found.append(
                        Finding(
                            CODE_FENCE, field.path, at, f"code block {i + 1} is marked '{lang}', the source '{s_lang}'"
                        )
                    )
                elif _code_only(body) != _code_only(s_body):
                    found.append(
                        Finding(
                            CODE_FENCE,
                            field.path,
                            at,
                            f"code block {i + 1} differs from the source's (beyond comments and strings): "
                            f"{snippet(text, at, 3)}",
                        )
                    )
    return found


def _code_only(body: str) -> str:
    """Code without comments and string literals (which a translator may translate), spaces squeezed."""
    return " ".join(_CODE_LINE_SKIP.sub(" ", body).split())


# --------------------------------------------------------------------------------------------------
# Brackets and quotes

_PAIRS = {
    "(": ")",
    "[": "]",
    "{": "}",
    "（": "）",
    "「": "」",
    "『": "』",
    "《": "》",
    "〈": "〉",
    "【": "】",
    "“": "”",
    "‘": "’",
}
_CLOSERS = {v: k for k, v in _PAIRS.items()}
_BRACKET_CHARS = frozenset(_PAIRS) | frozenset(_CLOSERS)
_BRACKETS_RE = re.compile("[" + re.escape("".join(sorted(_BRACKET_CHARS))) + "]")
# "1)", "a)", "一）" and "(1" enumerations, ":)" and ":(" smileys, and ’ as an apostrophe (don’t, 90’s).
_NOT_A_BRACKET = re.compile(
    r"(?<![A-Za-z0-9(（\[])(?:[0-9A-Za-z]{1,2}|[一二三四五六七八九十]{1,2})[)）]|[:;][-]?[()]|(?<=[A-Za-z0-9])’|‘(?=\d\d)",
    re.M,
)


# The last character of every _NOT_A_BRACKET match.
_MAYBE_NOT_A_BRACKET = frozenset(")）(’‘")


def _not_a_bracket(clean: str, at: int) -> bool:
    """Whether the bracket at ``at`` ends a match of _NOT_A_BRACKET that ``finditer`` over ``clean``
    finds. Asked of each bracket as it comes instead of scanning the whole text: the regex starts
    with lookbehinds, so a scan tries it at every character (~40 ns each, most of this check's
    time), and a text has a few brackets. A match is 1–3 characters ending on the bracket, so the
    three starts up to ``at`` are tried (a lookbehind sees the text before ``pos``). ``finditer``
    skips a match that overlaps an earlier one; the only such overlap, "一二）" and "二）", ends on
    the same bracket, so trying every start finds the same brackets."""
    for start in range(max(0, at - 2), at + 1):
        match = _NOT_A_BRACKET.match(clean, start)
        if match is not None and match.end() == at + 1:
            return True
    return False


def check_brackets(field: Field, _context: dict[str, Any]) -> list[Finding]:
    text = field.text
    if not _BRACKETS_RE.search(text):
        return []
    clean = prose(text)
    # Marks that may not be brackets at all: "1)" closes an enumeration or "(Math.random() * 10)",
    # so it closes an open bracket if there is one and is passed over if not. Only looked for when
    # the text has one of these characters (a ";(" alone is an opening bracket).
    unsure = "’" in clean or ")" in clean or "）" in clean or ":" in clean or "‘" in clean

    def maybe(char: str, at: int) -> bool:
        return unsure and char in _MAYBE_NOT_A_BRACKET and _not_a_bracket(clean, at)

    stack: list[tuple[str, int]] = []
    for match in _BRACKETS_RE.finditer(clean):
        char, at = match.group(0), match.start()
        if char in _PAIRS:
            if not maybe(char, at):  # ":(" and "‘90s" open nothing
                stack.append((char, at))
            continue
        opener = _CLOSERS[char]
        if stack and stack[-1][0] == opener:
            stack.pop()
            continue
        if maybe(char, at):
            continue
        if any(o == opener for o, _ in stack):
            inner, inner_at = stack[-1]
            return [
                Finding(
                    UNBALANCED_BRACKETS,
                    field.path,
                    inner_at,
                    f"'{inner}' is not closed before '{char}': {snippet(text, inner_at)}",
                )
            ]
        return [
            Finding(UNBALANCED_BRACKETS, field.path, at, f"'{char}' has no opening '{opener}': {snippet(text, at)}")
        ]
    if stack:
        char, at = stack[0]
        return [Finding(UNBALANCED_BRACKETS, field.path, at, f"'{char}' is never closed: {snippet(text, at)}")]
    return []


# --------------------------------------------------------------------------------------------------
# Repeated phrases

# The mark of a model stuck in a loop: a clause said three or more times in a row
# ("我们可以，我们可以，我们可以"), one sentence of 8+ characters said three or more times in a field,
# or a phrase of 4–40 characters repeated with no punctuation between ("我们可以我们可以我们可以").
_CLAUSE = re.compile(r"[^，。！？；、,.!?;\s][^，。！？；、,.!?;\n]*")
_LOOP_MIN_CLAUSE = 20
_REPEAT_MIN_FIELD = 12
_LOOP = re.compile(r"(\S.{3,39}?)\1{2,}", re.S)
_TWO_WORD_CHARS = re.compile(r"\w\W*\w")


def _repeated_clause(field: Field, text: str, clean: str, clauses: list[str]) -> list[Finding]:
    for first, second, third in zip(clauses, clauses[1:], clauses[2:], strict=False):
        if first == second == third and len(first) >= 2 and _TWO_WORD_CHARS.search(first):
            at = clean.find(first)
            return [
                Finding(
                    REPEATED_PHRASE,
                    field.path,
                    at,
                    f"'{first[:20]}' said 3 or more times in a row: {snippet(text, at, len(first))}",
                )
            ]
    counts = Counter(c for c in clauses if len(c) >= 8)
    if counts:
        sentence, times = counts.most_common(1)[0]
        if times >= 3 and _TWO_WORD_CHARS.search(sentence):
            at = clean.find(sentence, clean.find(sentence) + 1)
            return [
                Finding(
                    REPEATED_PHRASE,
                    field.path,
                    at,
                    f"the sentence '{sentence[:20]}{'…' if len(sentence) > 20 else ''}' appears {times} times",
                )
            ]
    return []


def _few_distinct(clause: str) -> bool:
    """At most a third of the clause's length (+2) in distinct characters."""
    most = (len(clause) + 6) // 3
    # Its first most + 1 characters all different is proof enough that it has more: half the work
    # of the set of the whole clause, and the usual answer for prose.
    if len(set(clause[: most + 1])) > most:
        return False
    return len(set(clause)) <= most


def check_repeated_phrase(field: Field, _context: dict[str, Any]) -> list[Finding]:
    text = field.text
    if len(text) < _REPEAT_MIN_FIELD:
        return []
    clean = prose(text)
    clauses = _CLAUSE.findall(clean)
    # Said three times or more: then fewer distinct clauses than clauses (no clause twice is the usual case).
    if len(clauses) >= 3 and len(set(clauses)) < len(clauses):
        found = _repeated_clause(field, text, clean, clauses)
        if found:
            return found
    if not clauses or max(map(len, clauses)) < _LOOP_MIN_CLAUSE:
        return []  # the loop below in C: most fields have no clause that long
    # A loop with no punctuation between ("我们可以我们可以我们可以") leaves a long clause of few
    # distinct characters: at most a third of its length where the loop is most of it. Only such a
    # clause is searched (the regex costs ~50 µs on a long English clause). Loops shorter than 20
    # characters in all are not looked for: a model stuck in a loop goes on far longer.
    for clause in clauses:
        if len(clause) >= _LOOP_MIN_CLAUSE and _few_distinct(clause):
            match = _LOOP.search(clause)
            if match is None or not _TWO_WORD_CHARS.search(match.group(1)):
                continue  # "----", "| --- |": table rules and separators
            unit = match.group(1)
            at = clean.find(match.group(0))
            times = len(match.group(0)) // len(unit)
            return [
                Finding(
                    REPEATED_PHRASE,
                    field.path,
                    at,
                    f"'{unit.strip()[:20]}' repeated {times} times in a row: {snippet(text, at, len(unit))}",
                )
            ]
    return []


# --------------------------------------------------------------------------------------------------
# Empty and truncated fields

# An answer that stops on one of these was cut off mid-sentence.
_CONTINUES = "，、：；（“《「【,;("
TRUNCATION_RATIO = 0.25
"""A translation shorter than this share of its source (counting characters) is likely cut off."""


def check_empty(field: Field, context: dict[str, Any]) -> list[Finding]:
    if field.text.strip():
        return []
    if field.source is not None:
        # Untranslated pairs have every target field empty: a state, not a fault. Part translated is.
        if field.source.strip() and context.get("target_started"):
            return [Finding(EMPTY_FIELD, field.path, -1, "is empty, but the source has text")]
        return []
    if field.required:
        return [Finding(EMPTY_FIELD, field.path, -1, "is empty" if not field.text else "holds only spaces")]
    return []


def check_truncated(field: Field, _context: dict[str, Any]) -> list[Finding]:
    text = field.text.rstrip()
    if not text:
        return []
    if field.source is not None and field.source.strip():
        source = field.source.strip()
        if len(source) >= 80 and len(text) < TRUNCATION_RATIO * len(source):
            return [
                Finding(
                    TRUNCATED_FIELD,
                    field.path,
                    len(text) - 1,
                    f"{len(text)} characters for a source of {len(source)}: cut off? {snippet(text, len(text) - 1)}",
                )
            ]
    if not (field.answer or field.source is not None) or not _CJK_RE.search(text):
        return []
    last = text[-1]
    if last in _CONTINUES:
        if "```" in text[-200:] and code_blocks(text)[1] is not None:
            return []  # the code fence check says it better
        return [
            Finding(
                TRUNCATED_FIELD,
                field.path,
                len(text) - 1,
                f"ends on '{last}', mid-sentence: {snippet(text, len(text) - 1)}",
            )
        ]
    if _CJK_RE.match(last):
        last_line = text[text.rfind("\n") + 1 :]
        # A last line of real prose that stops without a full stop where earlier sentences had one.
        if len(last_line) > 20 and text.count("。") >= 2 and _CJK_RE.search(last_line[-5:]):
            return [
                Finding(
                    TRUNCATED_FIELD,
                    field.path,
                    len(text) - 1,
                    f"the last sentence stops without punctuation: {snippet(text, len(text) - 1)}",
                )
            ]
    return []


# --------------------------------------------------------------------------------------------------

CHECKS: dict[str, Callable[[Field, dict[str, Any]], list[Finding]]] = {
    PUNCTUATION_WIDTH: check_punctuation_width,
    ENDING_PUNCTUATION: check_ending_punctuation,
    UNTRANSLATED_ENGLISH: check_untranslated_english,
    MIXED_SCRIPT: check_mixed_script,
    CODE_FENCE: check_code_fence,
    UNBALANCED_BRACKETS: check_brackets,
    REPEATED_PHRASE: check_repeated_phrase,
    EMPTY_FIELD: check_empty,
    TRUNCATED_FIELD: check_truncated,
}


_ORDER = {name: i for i, name in enumerate(CHECK_NAMES)}

# --------------------------------------------------------------------------------------------------
# Which checks can find something in a field
#
# The checks run on every imported sample (the importer's writer) and on every edit, and on a typical
# field none finds anything: most of their time went into proving that, a regex scan each. The
# screen below proves it for most of them at once from a few cheap facts of the field. Each test is
# implied by its check finding something, so a check it leaves out would have found nothing: the
# findings are the same. The checks keep their own tests, so each still works alone.

# Tests for ASCII patterns run on the field's ASCII characters alone (``str.encode`` with
# ``"ignore"``: ~0.1 µs, and a handful of bytes for a Chinese field). Dropping the other characters
# joins runs of ASCII and never splits one, so a pattern made of ASCII found in the field is found
# there too: no match there, none in the field.
_HALF_MARKS_ASCII = re.compile(rb"[,;:?!.()]")
_FOUR_WORDS_ASCII = re.compile(_FOUR_WORDS.pattern.encode())
_BRACKETS_ASCII = re.compile(rb"[()\[\]{}]")
_WIDE_BRACKETS = frozenset(c for c in _BRACKET_CHARS if not c.isascii())


@cache
def _rare_wide() -> re.Pattern[str]:
    """The non-ASCII characters three checks start from, for one scan instead of three: Traditional
    characters (mixed_script), full-width brackets and quotes (unbalanced_brackets) and '｀'
    (code_fence). Built on first use: the Traditional characters come from OpenCC's tables."""
    chars = script.traditional_characters() | _WIDE_BRACKETS | {"｀"}
    return re.compile("[" + re.escape("".join(sorted(chars))) + "]")


Check = Callable[[Field, dict[str, Any]], list[Finding]]


def _checks_for(field: Field, repeats: bool) -> list[Check]:
    """The checks that may find something in ``field`` (not empty), in check order; ``repeats`` as
    :func:`_may_repeat` said of the sample."""
    text = field.text
    source = field.source
    ascii_part = text.encode("ascii", "ignore")
    wide = len(ascii_part) < len(text)
    rare = wide and _rare_wide().search(text) is not None
    todo: list[Check] = []
    if b"```" in ascii_part or (wide and _HALF_MARKS_ASCII.search(ascii_part) and _HALF_AFTER_CJK.search(text)):
        todo.append(check_punctuation_width)
    if source:
        todo.append(check_ending_punctuation)
    if source is not None or _FOUR_WORDS_ASCII.search(ascii_part):
        todo.append(check_untranslated_english)
    if rare:
        todo.append(check_mixed_script)
    if (
        b"`" in ascii_part
        or b"~~~" in ascii_part
        or (rare and "｀" in text)
        or (source and ("```" in source or "~~~" in source))
    ):
        todo.append(check_code_fence)
    if rare or _BRACKETS_ASCII.search(ascii_part):
        todo.append(check_brackets)
    if repeats and len(text) >= _REPEAT_MIN_FIELD:
        todo.append(check_repeated_phrase)
    if text.isspace():  # what str.strip() strips
        todo.append(check_empty)
    if field.answer or source is not None:
        todo.append(check_truncated)
    return todo


def _plain(texts: str) -> bool:
    """Whether fields without sources, joined by a newline in ``texts``, give the pattern checks
    nothing to start from: no Traditional character, bracket, quote, backtick or '~~~', no
    half-width mark after a Chinese character, no four English words in a row. Then only
    repeated_phrase, empty_field and truncated_field can find anything (see :func:`_plain_checks`).

    Every test is one of :func:`_checks_for`'s, made once for the whole sample: each looks for a
    pattern that a newline cannot be part of, so it is in the joined text if it is in a field.
    """
    ascii_part = texts.encode("ascii", "ignore")
    if b"`" in ascii_part or b"~~~" in ascii_part or _BRACKETS_ASCII.search(ascii_part):
        return False
    if _FOUR_WORDS_ASCII.search(ascii_part):
        return False
    if len(ascii_part) == len(texts):
        return True  # all ASCII: no Chinese, no Traditional, no full-width bracket
    if _HALF_MARKS_ASCII.search(ascii_part) and _HALF_AFTER_CJK.search(texts):
        return False
    return _rare_wide().search(texts) is None


def _plain_checks(field: Field, repeats: bool) -> list[Check]:
    """The checks that may find something in a field (not empty, no source) of a sample :func:`_plain` passed."""
    text = field.text
    todo: list[Check] = []
    if repeats and len(text) >= _REPEAT_MIN_FIELD:
        todo.append(check_repeated_phrase)
    if text.isspace():
        todo.append(check_empty)
    if field.answer:
        todo.append(check_truncated)
    return todo


def _may_repeat(texts: str) -> bool:
    """Whether check_repeated_phrase may find something in one of the fields joined by newlines in
    ``texts``: it looks for a clause said three times and for a loop inside a long clause of few
    distinct characters. A clause never spans a newline, so the clauses of ``texts`` are those of the
    fields, one after another: with no clause twice and no such long clause among them, no field has
    either. One regex scan for the whole sample instead of one and a set a field."""
    if not _is_prose(texts):
        return True  # the check splits prose(text), whose clauses are not those of the text
    clauses = _CLAUSE.findall(texts)
    if len(set(clauses)) < len(clauses):
        return True
    if not clauses or max(map(len, clauses)) < _LOOP_MIN_CLAUSE:
        return False
    return any(map(_few_distinct, [clause for clause in clauses if len(clause) >= _LOOP_MIN_CLAUSE]))


def _context(kind: str, content: dict[str, Any], sample_fields: list[Field]) -> dict[str, Any]:
    """What some checks need to know of the whole sample."""
    context: dict[str, Any] = {}
    if kind == "translation":
        context["target_started"] = any(f.text.strip() for f in sample_fields)
        asks = f"{sample_fields[0].source or ''} {sample_fields[0].text}"
        context["asks_for_english"] = bool(_ASKS_FOR_ENGLISH.search(asks))
    else:
        instruction = str(content.get("instruction") or content.get("textbox_q_instruction") or "")
        if not instruction and kind == "chat":
            instruction = " ".join(f.text for f in sample_fields[:1])
        context["asks_for_english"] = bool(_ASKS_FOR_ENGLISH.search(instruction))
    return context


def check_sample(kind: str, content: dict[str, Any]) -> list[Finding]:
    """Every finding of every check on one sample, in check order."""
    sample_fields = fields(kind, content)
    # Screens for the whole sample at once, where most of the cost of checking a typical sample went
    # into proving, field by field, that the checks had nothing to find.
    texts = "\n".join([f.text for f in sample_fields])
    plain = kind != "translation" and _plain(texts)  # only translation pairs have sources
    repeats = _may_repeat(texts)
    # Only untranslated_english and, on translation pairs, empty_field read the context: a plain
    # sample runs neither.
    context = {} if plain else _context(kind, content, sample_fields)
    screen = _plain_checks if plain else _checks_for
    findings: list[Finding] = []
    for field in sample_fields:
        if not field.text:
            found = check_empty(field, context)
            if found:
                findings.extend(found)
            continue
        for check in screen(field, repeats):
            found = check(field, context)
            if found:
                findings.extend(found)
    if findings:  # in check order, each check's findings in field order
        findings.sort(key=lambda f: _ORDER[f.check])
    return findings


def iter_by_check(findings: list[Finding]) -> Iterator[tuple[str, list[Finding]]]:
    by_check: dict[str, list[Finding]] = {}
    for finding in findings:
        by_check.setdefault(finding.check, []).append(finding)
    yield from by_check.items()


def detail(findings: list[Finding], limit: int = 3) -> str:
    """The text a flag keeps: the first few findings of one check, one a line."""
    lines = [f.describe() for f in findings[:limit]]
    if len(findings) > limit:
        lines.append(f"… and {len(findings) - limit} more")
    return "\n".join(lines)


def flags_of(kind: str, content: dict[str, Any]) -> dict[str, str]:
    """``{check: detail}`` for the checks that found something."""
    findings = check_sample(kind, content)
    if not findings:
        return {}  # the usual case
    return {name: detail(found) for name, found in iter_by_check(findings)}
