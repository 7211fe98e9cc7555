"""QA flags in a project: re-checking, ignoring a flag, and what a sample's flags say.

The flags themselves live in ``sample_flags`` (one row per check and sample, the findings in
``detail``) and follow every content change by themselves (schema ``0005_quality_checks``). What
is here:

- :func:`recheck` re-runs the checks over a project or a filter, streamed in batches and
  cancellable: after the checks changed, or on a project made before them. Derived data, not a
  person's change, so not an undo step (like rebuilding an index).
- :func:`ignore_flag` / :func:`unignore_flag`: a person's decision, a named undoable operation that
  records who and when.
- :func:`sample_findings`: a sample's findings as the review pane shows them, ignored ones included.
"""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import orjson

from app.i18n import N_, display, ngettext
from app.quality import texts
from app.quality.checks import CHECK_NAMES, CHECK_TITLES, Finding, check_sample, detail, iter_by_check
from app.quality.triggers import QUALITY_FLAGS
from app.store.ops import Changes, operation
from app.store.project import Project, ProjectError, now_iso
from app.store.query import SampleFilter, iter_content_batches

NEAR_DUPLICATE = "near_duplicate"

FLAG_TITLES = {**CHECK_TITLES, NEAR_DUPLICATE: N_("near-duplicate of another sample")}


class RecheckCancelled(ProjectError):
    """The user stopped a re-check; the batches checked before it keep their new flags."""


@dataclass
class RecheckReport:
    checked: int = 0
    flagged: int = 0
    """Samples with at least one (not ignored) flag."""
    by_check: Counter[str] = field(default_factory=Counter)
    seconds: float = 0.0


def recheck(
    project: Project,
    flt: SampleFilter = SampleFilter(),
    *,
    batch: int = 2000,
    progress: Callable[[int], None] | None = None,
    cancelled: Callable[[], bool] | None = None,
) -> RecheckReport:
    """Run every check again on the samples of ``flt`` and replace their QA flags.

    One transaction per batch: a cancel keeps what was checked (each sample's flags are right for
    its content either way) and the GUI's reads are never held up by one long write.
    """
    report = RecheckReport()
    started = time.perf_counter()
    conn = project.db.conn
    names = sorted(QUALITY_FLAGS)
    for rows in iter_content_batches(project, flt, batch=batch):
        if cancelled and cancelled():
            raise RecheckCancelled(
                ngettext(
                    "re-check stopped after {n} sample; it keeps its new flags",
                    "re-check stopped after {n} samples; those keep their new flags",
                    report.checked,
                ).format(n=report.checked)
            )
        new: list[tuple[int, str, str]] = []
        for sample_id, kind, _source, content in rows:
            found = _flags_of(kind, content)
            for check, text in found.items():
                new.append((sample_id, check, text))
        ids = [row[0] for row in rows]
        with project.db.atomic():
            conn.execute(
                f"DELETE FROM sample_flags WHERE sample_id BETWEEN ? AND ? AND flag IN ({', '.join('?' * len(names))})"
                f" AND sample_id IN (SELECT value FROM json_each(?))",
                [ids[0], ids[-1], *names, orjson.dumps(ids).decode()],
            )
            ignored = set(
                conn.execute(
                    "SELECT sample_id, flag FROM quality_ignores WHERE sample_id BETWEEN ? AND ?", (ids[0], ids[-1])
                ).fetchall()
            )
            kept = [row for row in new if (row[0], row[1]) not in ignored]
            conn.executemany("INSERT OR REPLACE INTO sample_flags(sample_id, flag, detail) VALUES (?, ?, ?)", kept)
        report.checked += len(rows)
        report.flagged += len({row[0] for row in kept})
        report.by_check.update(row[1] for row in kept)
        if progress:
            progress(report.checked)
    report.seconds = time.perf_counter() - started
    return report


def _flags_of(kind: str, content: bytes) -> dict[str, str]:
    return {name: detail(found) for name, found in iter_by_check(check_sample(kind, orjson.loads(content)))}


def ignore_flag(project: Project, sample_id: int, flag: str, *, author: str | None = None) -> Changes:
    """Say a flag on a sample is wrong: it goes, and stays away while the ignore stands (undoable)."""
    if flag not in QUALITY_FLAGS and flag != NEAR_DUPLICATE:
        raise ProjectError(f"{flag!r} is not a QA check; one of {', '.join((*CHECK_NAMES, NEAR_DUPLICATE))}")
    who = author or project.author
    with operation(project, "ignore_flag", N_("ignore {flag} on sample {id}").format(flag=flag, id=sample_id)) as op:
        if op.conn.execute("SELECT 1 FROM samples WHERE id = ? AND deleted = 0", (sample_id,)).fetchone() is None:
            raise ProjectError(f"sample {sample_id} does not exist")
        if op.conn.execute(
            "SELECT 1 FROM quality_ignores WHERE sample_id = ? AND flag = ?", (sample_id, flag)
        ).fetchone():
            return op.changes
        if flag == NEAR_DUPLICATE:
            # Not recomputed by the triggers: the flag row itself goes, as a recorded step.
            op.delete("sample_flags", [sample_id, flag])
        op.insert("quality_ignores", {"sample_id": sample_id, "flag": flag, "ignored_by": who, "ignored_at": now_iso()})
        op.changes.tables.add("sample_flags")
    return op.changes


def unignore_flag(project: Project, sample_id: int, flag: str) -> Changes:
    """Take back an ignore: the flag returns if the check still finds it (undoable)."""
    summary = N_("stop ignoring {flag} on sample {id}").format(flag=flag, id=sample_id)
    with operation(project, "unignore_flag", summary) as op:
        op.delete("quality_ignores", [sample_id, flag])
        op.changes.tables.add("sample_flags")
    return op.changes


@dataclass(frozen=True)
class SampleFlag:
    """One flag of a sample as the review pane shows it: title and findings in the UI language."""

    flag: str
    title: str
    findings: list[str]
    ignored_by: str | None = None
    ignored_at: str | None = None


def sample_flags(
    project: Project, sample_id: int, kind: str | None = None, content: dict[str, Any] | None = None
) -> list[SampleFlag]:
    """A sample's flags: each check that finds something (ignored or not), then other stored flags.

    With ``content`` (the text in the editor, maybe not saved yet) the checks run on it; else on
    the stored content.
    """
    if content is None or kind is None:
        row = project.db.execute("SELECT kind, content FROM samples WHERE id = ?", (sample_id,)).fetchone()
        if row is None:
            return []
        kind, content = row[0], orjson.loads(row[1])
    ignores = {
        flag: (who, when)
        for flag, who, when in project.db.execute(
            "SELECT flag, ignored_by, ignored_at FROM quality_ignores WHERE sample_id = ?", (sample_id,)
        )
    }
    out: list[SampleFlag] = []
    for check, found in iter_by_check(check_sample(kind, content)):
        who, when = ignores.get(check, (None, None))
        out.append(SampleFlag(check, texts.title(CHECK_TITLES[check]), [texts.finding(f) for f in found], who, when))
    for flag, text in project.db.execute(
        "SELECT flag, detail FROM sample_flags WHERE sample_id = ? ORDER BY flag", (sample_id,)
    ):
        if flag not in QUALITY_FLAGS:
            title = texts.title(FLAG_TITLES.get(flag, flag))
            out.append(SampleFlag(flag, title, [display(line) for line in text.split("\n") if line]))
    if NEAR_DUPLICATE in ignores:
        who, when = ignores[NEAR_DUPLICATE]
        out.append(SampleFlag(NEAR_DUPLICATE, texts.title(FLAG_TITLES[NEAR_DUPLICATE]), [], who, when))
    return out


def findings(kind: str, content: dict[str, Any]) -> list[Finding]:
    return check_sample(kind, content)
