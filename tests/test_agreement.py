"""The agreement statistics against textbook examples, exactly (fractions, not floats)."""

from __future__ import annotations

from fractions import Fraction

import pytest

from app import agreement
from app.agreement import cohen_kappa, fleiss_kappa, krippendorff_alpha, post_edit_distance

# Wikipedia, "Cohen's kappa", worked example: 50 grant proposals read by A and B; both yes 20,
# A yes B no 5, A no B yes 10, both no 15. p_o = 0.7, p_e = 0.5, kappa = 0.4.
COHEN_PAIRS = [("yes", "yes")] * 20 + [("yes", "no")] * 5 + [("no", "yes")] * 10 + [("no", "no")] * 15

# Wikipedia, "Fleiss' kappa", worked example: 10 subjects, 14 raters each, 5 categories.
# P̄ = 0.378, P̄_e = 0.2128, kappa = 0.210.
FLEISS_TABLE = [
    [0, 0, 0, 0, 14],
    [0, 2, 6, 4, 2],
    [0, 0, 3, 5, 6],
    [0, 3, 9, 2, 0],
    [2, 2, 8, 1, 1],
    [7, 7, 0, 0, 0],
    [3, 2, 6, 3, 0],
    [2, 5, 3, 2, 2],
    [6, 5, 2, 1, 0],
    [0, 2, 2, 3, 7],
]

# Krippendorff, "Computing Krippendorff's Alpha-Reliability" (2011), section C: 4 observers, 12 units,
# values 1–5, missing data (None). Reported: nominal 0.743, ordinal 0.815, interval 0.849, ratio 0.797.
N = None
KRIPPENDORFF_2011 = [
    [1, 2, 3, 3, 2, 1, 4, 1, 2, N, N, N],
    [1, 2, 3, 3, 2, 2, 4, 1, 2, 5, N, 3],
    [N, 3, 3, 3, 2, 3, 4, 2, 2, 5, 1, N],
    [1, 2, 3, 3, 2, 4, 4, 1, 2, 5, 1, N],
]
# Wikipedia, "Krippendorff's alpha", computational example: 3 coders, 15 units; nominal alpha 0.691.
WIKIPEDIA_ALPHA = [
    [N, N, N, N, N, 3, 4, 1, 2, 1, 1, 3, 3, N, 3],
    [1, N, 2, 1, 3, 3, 4, 3, N, N, N, N, N, N, N],
    [N, N, 2, 1, 3, 4, 4, N, 2, 1, 1, 3, 3, N, 4],
]


def _units(rows: list[list]) -> list[list]:
    return [[v for v in column if v is not None] for column in zip(*rows, strict=True)]


def test_cohen_kappa_wikipedia_example_is_exactly_two_fifths():
    assert cohen_kappa(COHEN_PAIRS) == Fraction(2, 5)


def test_cohen_kappa_edges():
    assert cohen_kappa([]) is None
    assert cohen_kappa([(1, 1), (2, 2)]) == 1
    # Both always say the same one label: chance agreement is 1, kappa undefined.
    assert cohen_kappa([(1, 1), (1, 1)]) is None
    # Systematic disagreement on two balanced categories.
    assert cohen_kappa([(1, 2), (2, 1)]) == -1


def test_fleiss_kappa_wikipedia_example():
    kappa = fleiss_kappa({category: count for category, count in enumerate(row) if count} for row in FLEISS_TABLE)
    # Exactly: P̄ = 0.37802..., P̄_e = 0.21275..., (P̄ − P̄_e) / (1 − P̄_e) = 4211/20059.
    assert kappa == Fraction(4211, 20059)
    assert round(float(kappa), 3) == 0.210


def test_fleiss_kappa_of_label_lists_equals_the_count_table():
    as_lists = [[c for c, n in enumerate(row) for _ in range(n)] for row in FLEISS_TABLE]
    assert fleiss_kappa(as_lists) == Fraction(4211, 20059)


def test_fleiss_equals_cohen_setup_with_two_raters_and_is_scotts_pi():
    # With two raters Fleiss' kappa is Scott's pi: p_e from the pooled marginals.
    kappa = fleiss_kappa([a, b] for a, b in COHEN_PAIRS)
    pooled_yes = Fraction(25 + 30, 100)
    chance = pooled_yes**2 + (1 - pooled_yes) ** 2
    assert kappa == (Fraction(35, 50) - chance) / (1 - chance)


@pytest.mark.parametrize(
    ("metric", "exact", "reported"),
    [
        ("nominal", Fraction(113, 152), 0.743),
        ("ordinal", Fraction(108577, 133160), 0.815),
        ("interval", Fraction(951, 1120), 0.849),
        ("ratio", Fraction(18222619, 22852465), 0.797),
    ],
)
def test_krippendorff_alpha_2011_paper_example(metric, exact, reported):
    alpha = krippendorff_alpha(_units(KRIPPENDORFF_2011), metric)
    assert alpha == exact
    assert round(float(alpha), 3) == reported


def test_krippendorff_alpha_wikipedia_example():
    alpha = krippendorff_alpha(_units(WIKIPEDIA_ALPHA), "nominal")
    assert round(float(alpha), 3) == 0.691


def test_krippendorff_alpha_edges():
    assert krippendorff_alpha([[1], [2]]) is None  # nothing pairable
    assert krippendorff_alpha([[3, 3], [3, 3]]) is None  # no variation: undefined
    assert krippendorff_alpha([[1, 1], [5, 5]], "interval") == 1
    with pytest.raises(ValueError, match="unknown metric"):
        krippendorff_alpha([[1, 2]], "cosine")


def test_post_edit_distance_counts_chinese_characters():
    assert post_edit_distance("你好世界", "你好世界") == 0
    assert post_edit_distance("你好世界", "你好世间") == Fraction(1, 4)
    assert post_edit_distance("", "") == 0
    assert post_edit_distance("", "新") == 1
    # kitten → sitting: 3 edits over 7 characters.
    assert post_edit_distance("kitten", "sitting") == Fraction(3, 7)


def test_label_agreement_overall_and_per_annotator():
    judgements = {
        1: {"甲": 1, "乙": 1},
        2: {"甲": 3, "乙": 3},
        3: {"甲": 1, "乙": 4},
        4: {"甲": 4, "乙": 4, "丙": 4},
        5: {"甲": 2},  # one person only: not on the overlap
    }
    summary = agreement.label_agreement(judgements)
    assert summary.items == 4
    assert summary.raters == 3
    pairs_ab = [(1, 1), (3, 3), (1, 4), (4, 4)]
    assert summary.pairwise["乙", "甲"] == cohen_kappa([(b, a) for a, b in pairs_ab])
    by_name = {a.annotator: a for a in summary.per_annotator}
    assert by_name["丙"].items == 1
    assert by_name["丙"].kappa == cohen_kappa([(4, 4), (4, 4)])
    assert summary.fleiss == fleiss_kappa([[1, 1], [3, 3], [1, 4], [4, 4, 4]])


def test_rating_agreement_is_krippendorff_on_the_overlap():
    judgements = {index: dict(zip("ABCD", unit, strict=False)) for index, unit in enumerate(_units(KRIPPENDORFF_2011))}
    summary = agreement.rating_agreement(judgements, "interval")
    # Unit 12 has one value: left out, as in the paper.
    assert summary.items == 11
    assert summary.alpha == Fraction(951, 1120)


def test_throughput_per_person():
    rows = agreement.throughput([("甲", 10.0), ("甲", 20.0), ("乙", None), ("乙", 30.0), ("甲", 30.0)])
    first, second = rows
    assert (first.annotator, first.samples, first.timed, first.seconds) == ("乙", 2, 1, 30.0)
    assert second.seconds_per_sample == 20.0
    assert second.median_seconds == 20.0
    assert second.per_hour == 3600 * 3 / 60
