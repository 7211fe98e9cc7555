"""Splitting samples into batches for named annotators, with a chosen overlap.

The split is a pure function of the sample ids, the annotators, the overlap and the seed
(:func:`plan_batches`), so the same call always gives the same batches; :func:`assign_batches`
writes a plan as one undoable operation, reporting its progress, and a cancel rolls it back whole.
"""

from __future__ import annotations

import random
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from app.i18n import N_
from app.store.ops import Changes, operation
from app.store.project import Project, ProjectError, now_iso
from app.store.query import SampleFilter, where_clause

# Samples in a batch in one of these states are out with an annotator: they are not assigned again.
ACTIVE_STATES = ("assigned", "exported", "returned")

# Rows written between two progress reports and cancel checks: ~30 ms of work at the ~30,000 rows a
# second an assignment writes, so a Cancel is felt at once and the checks cost nothing.
PROGRESS_EVERY = 1000


class AssignCancelled(ProjectError):
    """The user stopped the assignment: its transaction was rolled back, nothing was assigned."""


@dataclass(frozen=True)
class PlannedBatch:
    name: str
    annotator: str
    sample_ids: tuple[int, ...]
    shared: frozenset[int] = field(default_factory=frozenset)
    """The ids also given to another annotator (the overlap)."""


def annotator_names(text: str | Iterable[str]) -> list[str]:
    """``"a, b,c"`` or a list → distinct, stripped names in their order; refuses none or duplicates."""
    names = [n.strip() for n in (text.split(",") if isinstance(text, str) else text)]
    names = [n for n in names if n]
    if not names:
        raise ProjectError("name at least one annotator")
    if len(set(names)) != len(names):
        raise ProjectError(f"an annotator is named twice: {', '.join(names)}")
    return names


def check_plan(annotators: Sequence[str], *, overlap: float = 0.0, batch_size: int | None = None) -> None:
    """Refuse a split :func:`plan_batches` cannot make, before any sample is read."""
    if not annotators:
        raise ProjectError("name at least one annotator")
    if not 0.0 <= overlap <= 1.0:
        raise ProjectError(f"overlap must be between 0 and 1 (e.g. 0.1 for 10 %), not {overlap}")
    if overlap > 0 and len(annotators) < 2:
        raise ProjectError("an overlap needs at least two annotators")
    if batch_size is not None and batch_size < 1:
        raise ProjectError(f"batch size must be at least 1, not {batch_size}")


def plan_batches(
    sample_ids: Sequence[int],
    annotators: Sequence[str],
    *,
    overlap: float = 0.0,
    seed: int = 0,
    batch_size: int | None = None,
    prefix: str = "a1",
) -> list[PlannedBatch]:
    """Deal the samples out to the annotators; ``overlap`` of them (rounded) go to two people.

    The samples are shuffled with ``seed`` and dealt round-robin, so every annotator gets the same
    share (±1); an overlap sample's second annotator is the next one round, rotating, so the pairs
    spread evenly (agreement is then measurable between every two annotators). Each annotator's
    samples, in id order, are cut into batches of ``batch_size`` (default: one batch each).
    """
    annotators = list(annotators)
    check_plan(annotators, overlap=overlap, batch_size=batch_size)
    ids = sorted(set(sample_ids))
    random.Random(seed).shuffle(ids)
    n_shared = round(overlap * len(ids))
    k = len(annotators)
    given: dict[str, list[int]] = {name: [] for name in annotators}
    shared: dict[str, set[int]] = {name: set() for name in annotators}
    for position, sample_id in enumerate(ids):
        first = position % k
        given[annotators[first]].append(sample_id)
        if position < n_shared:
            second = (first + 1 + (position // k) % (k - 1)) % k
            given[annotators[second]].append(sample_id)
            shared[annotators[first]].add(sample_id)
            shared[annotators[second]].add(sample_id)
    plan = []
    for name in annotators:
        mine = sorted(given[name])
        size = batch_size or max(len(mine), 1)
        for number, start in enumerate(range(0, len(mine), size), start=1):
            chunk = tuple(mine[start : start + size])
            plan.append(PlannedBatch(f"{prefix}-{name}-{number}", name, chunk, frozenset(shared[name] & set(chunk))))
    return plan


def next_assignment_name(project: Project) -> str:
    used = {row[0] for row in project.db.execute("SELECT DISTINCT assignment FROM batches")}
    number = 1
    while f"a{number}" in used:
        number += 1
    return f"a{number}"


def samples_out(project: Project) -> set[int]:
    """Samples in a batch that is still out with an annotator."""
    marks = ", ".join("?" * len(ACTIVE_STATES))
    return {
        row[0]
        for row in project.db.execute(
            "SELECT DISTINCT bs.sample_id FROM batch_samples bs JOIN batches b ON b.id = bs.batch_id"
            f" WHERE b.state IN ({marks})",
            ACTIVE_STATES,
        )
    }


def count_out(project: Project, flt: SampleFilter = SampleFilter()) -> int:
    """How many of the filter's samples are in a batch still out with an annotator, counted in SQL
    (the assign dialog shows it; reading the ids of a million samples would freeze it)."""
    where, params = where_clause(flt)
    marks = ", ".join("?" * len(ACTIVE_STATES))
    return project.db.execute(
        f"SELECT count(*) FROM samples s WHERE {where} AND s.id IN (SELECT bs.sample_id FROM batch_samples bs"
        f" JOIN batches b ON b.id = bs.batch_id WHERE b.state IN ({marks}))",
        [*params, *ACTIVE_STATES],
    ).fetchone()[0]


@dataclass
class Assignment:
    name: str
    batches: list[PlannedBatch]
    skipped_out: int
    """Samples left out because they are already in a batch out with an annotator."""
    changes: Changes


def assign_batches(
    project: Project,
    sample_ids: Iterable[int],
    annotators: Sequence[str],
    *,
    overlap: float = 0.0,
    seed: int = 0,
    batch_size: int | None = None,
    progress: Callable[[int, int], None] | None = None,
    cancelled: Callable[[], bool] | None = None,
) -> Assignment:
    """Split samples into batches (see :func:`plan_batches`) and record them, one undoable step.

    Each sample's ``assignee`` becomes its first annotator. Samples already out with an annotator
    are left out (and counted), so one sample is never in two live assignments.

    ``progress(done, total)`` counts the rows written (a sample's place in a batch, then its
    assignee), every :data:`PROGRESS_EVERY` rows and once at the end; ``cancelled()`` is asked as
    often, and a cancel raises :class:`AssignCancelled` with the transaction rolled back.
    """
    annotators = annotator_names(annotators)
    wanted = sorted(set(sample_ids))
    out = samples_out(project)
    free = [i for i in wanted if i not in out]
    if not free:
        raise ProjectError(
            "no samples to assign" + (f": all {len(wanted)} are already out with annotators" if wanted else "")
        )
    name = next_assignment_name(project)
    plan = plan_batches(free, annotators, overlap=overlap, seed=seed, batch_size=batch_size, prefix=name)
    total = sum(len(batch.sample_ids) for batch in plan) + len(free)
    written = 0

    def step() -> None:
        """Between rows: report, and stop (rolling everything back) if asked to."""
        if cancelled is not None and cancelled():
            raise AssignCancelled(f"assignment cancelled after {written:,} of {total:,} rows; nothing was assigned")
        if progress is not None:
            progress(written, total)

    stamp = now_iso()
    summary = N_("assign {n} samples to {annotators} ({name})").format(
        n=len(free), annotators=", ".join(annotators), name=name
    )
    with operation(project, "assign_batches", summary) as op:
        step()
        primary: dict[int, str] = {}
        for batch in plan:
            batch_id = op.insert(
                "batches",
                {
                    "name": batch.name,
                    "assignment": name,
                    "annotator": batch.annotator,
                    "state": "assigned",
                    "seed": seed,
                    "created_at": stamp,
                    "created_by": project.author,
                },
            )
            for sample_id in batch.sample_ids:
                op.insert(
                    "batch_samples",
                    {"batch_id": batch_id, "sample_id": sample_id, "shared": int(sample_id in batch.shared)},
                )
                primary.setdefault(sample_id, batch.annotator)
                written += 1
                if written % PROGRESS_EVERY == 0:
                    step()
        for sample_id, annotator in sorted(primary.items()):
            if op.update("samples", sample_id, {"assignee": annotator}):
                op.update("samples", sample_id, {"updated_at": stamp})
            written += 1
            if written % PROGRESS_EVERY == 0:
                step()
    if progress is not None and written % PROGRESS_EVERY:
        progress(written, total)
    return Assignment(name, plan, len(wanted) - len(free), op.changes)


_BATCH_KEYS = ("id", "name", "assignment", "annotator", "state", "created_at", "exported_at", "merged_at", "samples")
_BATCH_COLUMNS = {"phase", "round", "gate_stage", "seed"}
"""Columns of ``batches`` a caller may ask for besides the usual ones (:mod:`app.gates` reads these)."""


def _batch_rows(
    project: Project, where: str = "", params: Sequence[Any] = (), columns: Sequence[str] = ()
) -> list[dict[str, Any]]:
    """Batches (those ``where`` picks, on ``batches b``) with their counts, oldest first: one query."""
    unknown = set(columns) - _BATCH_COLUMNS
    if unknown:
        raise ValueError(f"not a batch column to read: {', '.join(sorted(unknown))}")
    more = "".join(f", b.{column}" for column in columns)
    rows = project.db.execute(
        "SELECT b.id, b.name, b.assignment, b.annotator, b.state, b.created_at, b.exported_at, b.merged_at,"
        f" count(bs.id), coalesce(sum(bs.shared), 0){more}"
        " FROM batches b LEFT JOIN batch_samples bs ON bs.batch_id = b.id"
        + (f" WHERE {where}" if where else "")
        + " GROUP BY b.id ORDER BY b.id",
        list(params),
    ).fetchall()
    return [
        {**dict(zip(_BATCH_KEYS, row[:9], strict=True)), "shared": row[9], **dict(zip(columns, row[10:], strict=True))}
        for row in rows
    ]


def batches(project: Project, *, assignment: str | None = None, columns: Sequence[str] = ()) -> list[dict[str, Any]]:
    """Every batch with its counts, oldest first; ``columns``: more of its columns (phase, round,
    gate_stage, seed) in the same query."""
    if assignment:
        return _batch_rows(project, "b.assignment = ?", [assignment], columns)
    return _batch_rows(project, columns=columns)


def find_batch(project: Project, name_or_id: str | int, *, columns: Sequence[str] = ()) -> dict[str, Any]:
    """A batch by name (``a1-alice-1``) or id: the oldest that matches either. One query for that batch
    alone, not a listing of them all (callers ask it once per batch)."""
    key = str(name_or_id)
    oldest = "SELECT id FROM batches WHERE name = ? OR CAST(id AS TEXT) = ? ORDER BY id LIMIT 1"
    found = _batch_rows(project, f"b.id = ({oldest})", [key, key], columns)
    if not found:
        raise ProjectError(f"no batch {name_or_id!r}; see `winnow batches {project.path}`")
    return found[0]


def batch_sample_ids(project: Project, batch_id: int) -> list[int]:
    return [
        row[0]
        for row in project.db.execute(
            "SELECT sample_id FROM batch_samples WHERE batch_id = ? ORDER BY sample_id", (batch_id,)
        )
    ]
