"""What the QA dashboard and ``winnow agreement`` show, read from a project (no Qt, no writes).

Agreement is measured on the overlap: samples given to two or more annotators
(``batch_samples.shared``; in a project without batches, any sample two people annotated). Each
person's judgement of a sample is their latest annotation review with a label (or rating).
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from fractions import Fraction
from typing import Any

from app import agreement
from app.agreement import AgreementSummary, Throughput, post_edit_distance
from app.gates import draft_texts, gate_results, latest_drafts
from app.store.project import Project


def _overlap(project: Project) -> str:
    """The SQL condition on ``r.sample_id`` that keeps the overlap: the shared samples of the batches
    (empty in a project without shared samples, where any sample two people annotated counts)."""
    has_overlap = project.db.execute("SELECT 1 FROM batch_samples WHERE shared = 1 LIMIT 1").fetchone() is not None
    return " AND r.sample_id IN (SELECT sample_id FROM batch_samples WHERE shared = 1)" if has_overlap else ""


def judgements(project: Project, column: str) -> dict[int, dict[str, int]]:
    overlap = _overlap(project)
    found: dict[int, dict[str, int]] = defaultdict(dict)
    # Ordered by id: a later review by the same person replaces their earlier one.
    for sample_id, reviewer, value in project.db.execute(
        f"SELECT r.sample_id, r.reviewer, r.{column} FROM reviews r JOIN samples s ON s.id = r.sample_id"
        f" WHERE r.stage = 'annotate' AND r.{column} IS NOT NULL AND s.deleted = 0{overlap} ORDER BY r.id"
    ):
        found[sample_id][reviewer] = value
    return found


@dataclass
class AgreementReport:
    labels: AgreementSummary
    ratings: AgreementSummary
    throughput: list[Throughput]
    edits: dict[str, list[Fraction]] = field(default_factory=dict)
    """Post-edit distances of each annotator's samples that had a machine draft."""

    def mean_edit(self, annotator: str) -> Fraction | None:
        values = self.edits.get(annotator) or []
        return sum(values, Fraction(0)) / len(values) if values else None

    @property
    def annotators(self) -> list[str]:
        names = {t.annotator for t in self.throughput}
        names |= {a.annotator for a in self.labels.per_annotator} | {a.annotator for a in self.ratings.per_annotator}
        return sorted(names)


@dataclass(frozen=True)
class AnnotatorRow:
    """One annotator's line of the agreement table (the dashboard's and ``winnow agreement``'s)."""

    annotator: str
    decided: int
    seconds_per_sample: float | None
    per_hour: float | None
    overlap: int
    """Overlapping samples they judged that someone else judged too."""
    kappa: Fraction | None
    """Cohen's kappa of their labels against everyone else's."""
    rating_alpha: Fraction | None
    post_edit: Fraction | None
    """Mean post-edit distance between the machine draft and their final text."""

    def cells(self) -> list[str]:
        """The row as text, in the order of :data:`ANNOTATOR_COLUMNS` ("—" for a figure there is none of)."""
        return [
            self.annotator,
            str(self.decided),
            "—" if self.seconds_per_sample is None else f"{self.seconds_per_sample:.1f}",
            "—" if self.per_hour is None else f"{self.per_hour:.0f}",
            str(self.overlap),
            figure(self.kappa),
            figure(self.rating_alpha),
            figure(self.post_edit),
        ]


ANNOTATOR_COLUMNS = ("annotator", "decided", "s/sample", "per hour", "overlap", "kappa", "alpha", "post-edit")
"""What :meth:`AnnotatorRow.cells` holds, as the command line heads the columns."""


def figure(value: Fraction | None) -> str:
    """A kappa, an alpha or a distance as the tables show it: three decimals, "—" when there is none."""
    return "—" if value is None else f"{float(value):.3f}"


def annotator_rows(report: AgreementReport, ratings: AgreementSummary | None = None) -> list[AnnotatorRow]:
    """A row per annotator of ``report``, by name; ``ratings``: the ratings' agreement under another
    difference than the report's ordinal one (``winnow agreement --metric``)."""
    labels = {a.annotator: a for a in report.labels.per_annotator}
    alphas = {a.annotator: a for a in (ratings or report.ratings).per_annotator}
    speed = {t.annotator: t for t in report.throughput}
    rows = []
    for who in report.annotators:
        pace = speed.get(who)
        rows.append(
            AnnotatorRow(
                annotator=who,
                decided=pace.samples if pace else 0,
                seconds_per_sample=pace.seconds_per_sample if pace else None,
                per_hour=pace.per_hour if pace else None,
                overlap=labels[who].items if who in labels else 0,
                kappa=labels[who].kappa if who in labels else None,
                rating_alpha=alphas[who].alpha if who in alphas else None,
                post_edit=report.mean_edit(who),
            )
        )
    return rows


def agreement_report(project: Project, *, cancelled: Callable[[], bool] | None = None) -> AgreementReport:
    labels = agreement.label_agreement(judgements(project, "label"))
    ratings = agreement.rating_agreement(judgements(project, "rating"), "ordinal")
    decisions = project.db.execute(
        "SELECT reviewer, seconds FROM reviews WHERE stage = 'annotate' AND (verdict IS NOT NULL OR label IS NOT NULL)"
    ).fetchall()
    edits: dict[str, list[Fraction]] = defaultdict(list)
    rows = project.db.execute(
        "SELECT s.id, s.content, (SELECT r.reviewer FROM reviews r WHERE r.sample_id = s.id AND r.stage = 'annotate'"
        " ORDER BY r.id DESC LIMIT 1) FROM samples s WHERE s.deleted = 0"
        " AND EXISTS (SELECT 1 FROM suggestions g WHERE g.sample_id = s.id)"
        " AND EXISTS (SELECT 1 FROM reviews r WHERE r.sample_id = s.id AND r.stage = 'annotate')"
    ).fetchall()
    drafts = latest_drafts(project, (row[0] for row in rows))  # one query, not one a sample
    for sample_id, content_json, reviewer in rows:
        if cancelled is not None and cancelled():
            break
        draft = drafts.get(sample_id)
        if draft is not None:
            edits[reviewer].append(post_edit_distance(*draft_texts(draft, content_json)))
    return AgreementReport(labels, ratings, agreement.throughput(decisions), dict(edits))


@dataclass
class DashboardData:
    labels: dict[int | None, int]
    """COIG label → samples (None: not labelled yet)."""
    ratings: dict[int, int]
    annotators: list[dict[str, Any]]
    """name, assigned, decided."""
    batches: list[dict[str, Any]]
    """name, annotator, state, phase, round, gate_stage, samples, decided."""
    gates: list[dict[str, Any]]
    agreement_over_time: list[tuple[str, float]]
    """(day, Fleiss' kappa of the overlap as annotated up to that day)."""
    report: AgreementReport


def dashboard_data(
    project: Project, *, progress: Callable[[int], None] | None = None, cancelled: Callable[[], bool] | None = None
) -> DashboardData:
    """Everything the dashboard draws, in one read (run it off the GUI thread on big projects)."""
    db = project.db
    labels: dict[int | None, int] = {label: 0 for label in (1, 2, 3, 4)}
    labels[None] = 0
    for label, count in db.execute("SELECT label, count(*) FROM samples WHERE deleted = 0 GROUP BY label"):
        labels[label] = count
    ratings = {rating: 0 for rating in range(1, 6)}
    for rating, count in db.execute(
        "SELECT rating, count(*) FROM samples WHERE deleted = 0 AND rating IS NOT NULL GROUP BY rating"
    ):
        ratings[rating] = count
    if progress is not None:
        progress(1)
    decided = "s.status != 'new'"
    annotators = [
        {"name": name, "assigned": assigned, "decided": done or 0}
        for name, assigned, done in db.execute(
            f"SELECT s.assignee, count(*), sum({decided}) FROM samples s WHERE s.deleted = 0 AND s.assignee IS NOT NULL"
            " GROUP BY s.assignee ORDER BY s.assignee"
        )
    ]
    batch_keys = ("name", "annotator", "state", "phase", "round", "gate_stage", "samples", "decided")
    batches = [
        dict(zip(batch_keys, row, strict=True))
        for row in db.execute(
            "SELECT b.name, b.annotator, b.state, b.phase, b.round, b.gate_stage, count(s.id),"
            f" coalesce(sum({decided}), 0) FROM batches b LEFT JOIN batch_samples bs ON bs.batch_id = b.id"
            " LEFT JOIN samples s ON s.id = bs.sample_id"
            " GROUP BY b.id ORDER BY b.id"
        )
    ]
    if progress is not None:
        progress(2)
    report = agreement_report(project, cancelled=cancelled)
    if progress is not None:
        progress(3)
    return DashboardData(
        labels, ratings, annotators, batches, gate_results(project), _agreement_over_time(project), report
    )


def _agreement_over_time(project: Project) -> list[tuple[str, float]]:
    overlap = _overlap(project)
    rows = project.db.execute(
        "SELECT substr(r.created_at, 1, 10), r.sample_id, r.reviewer, r.label FROM reviews r"
        f" WHERE r.stage = 'annotate' AND r.label IS NOT NULL{overlap} ORDER BY r.created_at, r.id"
    ).fetchall()
    points: list[tuple[str, float]] = []
    seen: dict[int, dict[str, int]] = defaultdict(dict)
    days = Counter(row[0] for row in rows)
    index = 0
    for day in sorted(days):
        while index < len(rows) and rows[index][0] == day:
            _, sample_id, reviewer, label = rows[index]
            seen[sample_id][reviewer] = label
            index += 1
        kappa = agreement.fleiss_kappa(list(by.values()) for by in seen.values())
        if kappa is not None:
            points.append((day, float(kappa)))
    return points
