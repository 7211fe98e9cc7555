"""Simplified and Traditional Chinese, through OpenCC (the ``opencc`` package: BYVoid's C++ library).

Two questions: does a text mix the two scripts (:func:`mixed`), and what is it in Simplified
(:func:`to_simplified`). Converters are built on first use (a few milliseconds) and shared: OpenCC's
``convert`` keeps no state between calls.

Which characters count: a character OpenCC's ``t2s`` changes on its own is Traditional; one its
``s2t`` changes is Simplified, less the characters that are at home in both scripts (后 in 皇后,
台 in 台灣, 干 in 干戈): OpenCC maps them to a Traditional form by default, but Traditional text
uses them too. The phrase-level ``t2s`` then confirms a Traditional hit, so 著 in 著名 (standard in
Simplified) is not one.
"""

from __future__ import annotations

import re
import threading
from functools import cache

# Characters ``s2t`` changes that Traditional text also writes as they are (OpenCC's STCharacters
# lists the character itself among its Traditional forms). Not exhaustive: the common ones.
SHARED_CHARACTERS = frozenset(
    "后干里台面只松系范冲制征致余复游划卷吊志折准占谷表丑几斗才云向借困仆合朴杰舍周注岳蒙伙采姜升秋"
    "布板出当克历尽弦咸胡须凶于千万并丰别叶同回团坛夸奸宁尝局弥彩御念怜恶扎挂据摆暗曲朱杆村极"
    "柜沈泛洒涂淀熏烟症痴皂眯秘签篱系纤致舍苏蔑虫蜡衔裕诉谷踪辟迹郁酸采钟闲隶雇霉饥"
)

_lock = threading.Lock()


@cache
def _converter(config: str):  # -> opencc.OpenCC
    import opencc  # a C extension: loaded only when a text first needs it

    with _lock:
        return opencc.OpenCC(config)


@cache
def _char_sets() -> tuple[frozenset[str], frozenset[str]]:
    """(Traditional-only, Simplified-only) characters among the CJK unified ideographs."""
    chars = [chr(c) for c in range(0x4E00, 0xA000)] + [chr(c) for c in range(0x3400, 0x4DC0)]
    # One character a line: the phrase dictionaries never join neighbours.
    t2s = _converter("t2s").convert("\n".join(chars)).split("\n")
    s2t = _converter("s2t").convert("\n".join(chars)).split("\n")
    traditional = frozenset(c for c, s in zip(chars, t2s, strict=True) if s != c)
    simplified = frozenset(c for c, t in zip(chars, s2t, strict=True) if t != c) - SHARED_CHARACTERS - traditional
    return traditional, simplified


@cache
def _patterns() -> tuple[re.Pattern[str], re.Pattern[str]]:
    # A character class scans a string in C without making a str object per character, which is
    # what set.isdisjoint(text) does for every CJK character: 5x faster on Chinese text.
    traditional, simplified = _char_sets()
    return (
        re.compile("[" + "".join(sorted(traditional)) + "]"),
        re.compile("[" + "".join(sorted(simplified)) + "]"),
    )


_LONE_SURROGATES = re.compile("([\ud800-\udfff]+)")


def _convert(config: str, text: str) -> str:
    """OpenCC's conversion of ``text``, lone surrogates (from a broken file, which Python keeps as
    such) passed through untouched: OpenCC takes UTF-8, which cannot hold them, and would raise."""
    converter = _converter(config)
    try:
        return converter.convert(text)
    except UnicodeEncodeError:
        parts = _LONE_SURROGATES.split(text)  # odd positions are the surrogate runs
        return "".join(part if i % 2 else converter.convert(part) for i, part in enumerate(parts))


def mixed(text: str) -> tuple[tuple[int, str], tuple[int, str], int, int] | None:
    """The first Traditional and first Simplified character of a text that has both, with how many
    of each; None for text in one script (or none)."""
    trad_re, simp_re = _patterns()
    if not trad_re.search(text) or not simp_re.search(text):
        return None
    traditional, simplified = _char_sets()
    converted = _convert("t2s", text)
    if len(converted) == len(text):
        trad_places = [i for i, (a, b) in enumerate(zip(text, converted, strict=True)) if a != b]
    else:  # OpenCC changed the length (rare): fall back to single characters
        trad_places = [i for i, c in enumerate(text) if c in traditional]
    if not trad_places:
        return None
    simp_places = [i for i, c in enumerate(text) if c in simplified]
    if not simp_places:
        return None
    return (
        (trad_places[0], text[trad_places[0]]),
        (simp_places[0], text[simp_places[0]]),
        len(trad_places),
        len(simp_places),
    )


def traditional_characters() -> frozenset[str]:
    """The characters that make :func:`mixed` look further: without one, a text is not mixed."""
    return _char_sets()[0]


def has_traditional(text: str) -> bool:
    return _patterns()[0].search(text) is not None


CONFIGS = ("t2s", "tw2s", "tw2sp", "hk2s")
"""OpenCC configurations to Simplified: plain, from Taiwan (characters; ``tw2sp`` with phrases), from Hong Kong."""


def to_simplified(text: str, config: str = "t2s") -> str:
    if config not in CONFIGS:
        raise ValueError(f"unknown conversion {config!r}; one of {', '.join(CONFIGS)}")
    if not has_traditional(text) and config == "t2s":
        return text
    return _convert(config, text)
