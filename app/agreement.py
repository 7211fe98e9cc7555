"""Agreement between people, and how much they changed the machine's drafts: pure functions.

The statistics are computed exactly, with :class:`fractions.Fraction`: a kappa of 2/5 is 2/5, not
0.39999…, so the tests compare them with textbook values exactly and a gate never passes or fails
on a rounding error. A statistic that is undefined (every rater used one and the same category, so
the chance agreement is already 1) is ``None``, never a division by zero.

- :func:`cohen_kappa` — two raters, nominal labels (Cohen 1960).
- :func:`fleiss_kappa` — any number of raters per item, nominal labels (Fleiss 1971; with the same
  number of raters on every item it is exactly Fleiss' statistic, with different numbers each item's
  agreement is taken over its own pairs).
- :func:`krippendorff_alpha` — any number of raters, missing values allowed, with the nominal,
  ordinal, interval or ratio difference (Krippendorff, "Computing Krippendorff's Alpha-Reliability",
  2011): the 1–5 ratings are ordinal or interval data.
- :func:`post_edit_distance` — character-level Levenshtein distance divided by the longer text's length.

:func:`label_agreement` and :func:`rating_agreement` turn "who said what about which sample" into
those statistics, overall and per annotator; :func:`throughput` sums time per sample. The store
side (reading the reviews) is :func:`app.qa_stats.agreement_report`.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Callable, Hashable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from fractions import Fraction
from itertools import combinations
from statistics import median
from typing import Literal

from rapidfuzz.distance import Levenshtein

Metric = Literal["nominal", "ordinal", "interval", "ratio"]
METRICS: tuple[Metric, ...] = ("nominal", "ordinal", "interval", "ratio")


def cohen_kappa(pairs: Iterable[tuple[Hashable, Hashable]]) -> Fraction | None:
    """Cohen's kappa of two raters, from ``(rater A's label, rater B's label)`` per item.

    kappa = (p_o − p_e) / (1 − p_e): p_o the share of items they agree on, p_e the agreement
    expected by chance from each rater's own label frequencies.
    """
    pairs = list(pairs)
    n = len(pairs)
    if n == 0:
        return None
    observed = Fraction(sum(1 for a, b in pairs if a == b), n)
    first = Counter(a for a, _ in pairs)
    second = Counter(b for _, b in pairs)
    expected = Fraction(sum(first[c] * second[c] for c in first), n * n)
    if expected == 1:
        return None
    return (observed - expected) / (1 - expected)


def fleiss_kappa(items: Iterable[Sequence[Hashable] | Mapping[Hashable, int]]) -> Fraction | None:
    """Fleiss' kappa: each item is the labels its raters gave (or a category → count table).

    Items with fewer than two ratings say nothing about agreement and are left out.
    """
    counts = [Counter(item) if not isinstance(item, Mapping) else Counter(dict(item)) for item in items]
    counts = [c for c in counts if c.total() >= 2]
    if not counts:
        return None
    per_item = [Fraction(sum(v * v for v in c.values()) - c.total(), c.total() * (c.total() - 1)) for c in counts]
    mean_agreement = sum(per_item, Fraction(0)) / len(per_item)
    totals: Counter = Counter()
    for c in counts:
        totals.update(c)
    ratings = totals.total()
    chance = sum((Fraction(v, ratings) ** 2 for v in totals.values()), Fraction(0))
    if chance == 1:
        return None
    return (mean_agreement - chance) / (1 - chance)


def krippendorff_alpha(
    units: Iterable[Sequence[float | int | Fraction | str]], metric: Metric = "interval"
) -> Fraction | None:
    """Krippendorff's alpha from the values each unit got (missing values simply absent).

    alpha = 1 − D_o / D_e through the coincidence matrix (Krippendorff 2011, section A): units with
    one value are not pairable and are left out. Numbers may be ints or Fractions (kept exact);
    ``nominal`` takes any hashable values.
    """
    if metric not in METRICS:
        raise ValueError(f"unknown metric {metric!r}; one of {', '.join(METRICS)}")
    coincidences: dict[tuple, Fraction] = defaultdict(Fraction)
    for unit in units:
        values = list(unit)
        m = len(values)
        if m < 2:
            continue
        for i, j in ((i, j) for i in range(m) for j in range(m) if i != j):
            coincidences[values[i], values[j]] += Fraction(1, m - 1)
    if not coincidences:
        return None
    marginals: dict = defaultdict(Fraction)
    for (c, _), o in coincidences.items():
        marginals[c] += o
    n = sum(marginals.values(), Fraction(0))
    delta = _difference(metric, marginals)
    observed = sum((o * delta(c, k) for (c, k), o in coincidences.items()), Fraction(0))
    values = list(marginals)
    expected = sum((marginals[c] * marginals[k] * delta(c, k) for c in values for k in values), Fraction(0))
    if expected == 0:
        return None
    return 1 - (n - 1) * observed / expected


def _difference(metric: Metric, marginals: Mapping) -> Callable[[object, object], Fraction]:
    """The squared difference δ²(c, k) of a metric (Krippendorff 2011, section E)."""
    if metric == "nominal":
        return lambda c, k: Fraction(0 if c == k else 1)
    if metric == "interval":
        return lambda c, k: (Fraction(c) - Fraction(k)) ** 2
    if metric == "ratio":

        def ratio(c, k) -> Fraction:
            total = Fraction(c) + Fraction(k)
            return Fraction(0) if total == 0 else ((Fraction(c) - Fraction(k)) / total) ** 2

        return ratio
    ordered = sorted(marginals)

    def ordinal(c, k) -> Fraction:
        low, high = (c, k) if c <= k else (k, c)
        between = sum((marginals[g] for g in ordered if low <= g <= high), Fraction(0))
        return (between - (marginals[c] + marginals[k]) / 2) ** 2

    return ordinal


def post_edit_distance(draft: str, final: str) -> Fraction:
    """Characters inserted, deleted or substituted to turn the draft into the final text, over the
    longer text's length: 0 unchanged, 1 nothing kept. Counted in code points, so one Chinese
    character is one edit."""
    longest = max(len(draft), len(final))
    if longest == 0:
        return Fraction(0)
    return Fraction(Levenshtein.distance(draft, final), longest)


# From judgements to statistics ---------------------------------------------------------------------

Judgements = Mapping[Hashable, Mapping[str, Hashable]]
"""Sample id → annotator → the label (or rating) they gave."""


@dataclass
class AnnotatorAgreement:
    annotator: str
    items: int
    """Overlapping samples this annotator judged that someone else judged too."""
    kappa: Fraction | None
    """Cohen's kappa of this annotator against everyone else, over all their pairs on shared samples."""
    alpha: Fraction | None = None


@dataclass
class AgreementSummary:
    items: int
    raters: int
    fleiss: Fraction | None
    alpha: Fraction | None
    pairwise: dict[tuple[str, str], Fraction | None] = field(default_factory=dict)
    per_annotator: list[AnnotatorAgreement] = field(default_factory=list)


def _shared(judgements: Judgements) -> dict[Hashable, dict[str, Hashable]]:
    return {item: dict(by) for item, by in judgements.items() if len(by) >= 2}


def label_agreement(judgements: Judgements) -> AgreementSummary:
    """Kappas of labels on samples judged by two or more people: Fleiss' over all of them, Cohen's
    for each pair of people and for each person against the others, and nominal alpha."""
    shared = _shared(judgements)
    people = sorted({who for by in shared.values() for who in by})
    pairwise = {}
    for a, b in combinations(people, 2):
        pairs = [(by[a], by[b]) for by in shared.values() if a in by and b in by]
        if pairs:
            pairwise[a, b] = cohen_kappa(pairs)
    per_annotator = []
    for who in people:
        pairs = [(by[who], by[other]) for by in shared.values() if who in by for other in by if other != who]
        items = sum(1 for by in shared.values() if who in by)
        per_annotator.append(AnnotatorAgreement(who, items, cohen_kappa(pairs)))
    return AgreementSummary(
        items=len(shared),
        raters=len(people),
        fleiss=fleiss_kappa(list(by.values()) for by in shared.values()),
        alpha=krippendorff_alpha((list(by.values()) for by in shared.values()), "nominal"),
        pairwise=pairwise,
        per_annotator=per_annotator,
    )


def rating_agreement(judgements: Judgements, metric: Metric = "ordinal") -> AgreementSummary:
    """Krippendorff's alpha of ratings on shared samples, overall and per person (the alpha of the
    samples that person rated, everyone's ratings of them counted)."""
    shared = _shared(judgements)
    people = sorted({who for by in shared.values() for who in by})
    per_annotator = []
    for who in people:
        theirs = [list(by.values()) for by in shared.values() if who in by]
        per_annotator.append(AnnotatorAgreement(who, len(theirs), None, krippendorff_alpha(theirs, metric)))
    return AgreementSummary(
        items=len(shared),
        raters=len(people),
        fleiss=None,
        alpha=krippendorff_alpha((list(by.values()) for by in shared.values()), metric),
        per_annotator=per_annotator,
    )


@dataclass
class Throughput:
    annotator: str
    samples: int
    timed: int
    """Decisions that carry a duration (older ones and imported ones may not)."""
    seconds: float
    median_seconds: float | None

    @property
    def seconds_per_sample(self) -> float | None:
        return self.seconds / self.timed if self.timed else None

    @property
    def per_hour(self) -> float | None:
        return 3600 * self.timed / self.seconds if self.seconds > 0 else None


def throughput(decisions: Iterable[tuple[str, float | None]]) -> list[Throughput]:
    """Per person: samples decided and time per sample, from ``(person, seconds or None)``."""
    counts: Counter = Counter()
    times: dict[str, list[float]] = defaultdict(list)
    for who, seconds in decisions:
        counts[who] += 1
        if seconds is not None and seconds >= 0:
            times[who].append(float(seconds))
    return [
        Throughput(who, counts[who], len(times[who]), sum(times[who]), median(times[who]) if times[who] else None)
        for who in sorted(counts)
    ]


def as_float(value: Fraction | None, digits: int = 3) -> float | None:
    return None if value is None else round(float(value), digits)
