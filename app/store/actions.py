"""Named mutations of a project. Each runs in one transaction, is recorded for undo, and returns
:class:`~app.store.ops.Changes`. The GUI and the command line call these; nothing else writes."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from datetime import UTC, datetime
from typing import Any

import orjson

from app.i18n import N_
from app.records import Kind
from app.store import index
from app.store.ops import Changes, Operation, operation
from app.store.project import Project, ProjectError, now_iso
from app.store.query import id_chunks
from app.store.schema import REVIEW_STAGES, SAMPLE_STATUSES, VERDICTS

# A reviewer's verdict moves the sample to this status.
STATUS_OF_VERDICT = {"accept": "accepted", "reject": "rejected", "needs_fix": "needs_fix"}

# Stored words that appear inside stored texts ("annotate review of sample 3", "status → accepted",
# "new chat sample"): listed for the catalog, so that app.i18n.display shows them translated.
_STORED_WORDS = (
    *(N_("annotate"), N_("inspect"), N_("expert")),
    *(N_("new"), N_("in_review"), N_("accepted"), N_("rejected"), N_("needs_fix")),
    *(N_("instruction"), N_("translation"), N_("chat"), N_("exam"), N_("code")),
)

JUDGEMENT_KEY = "judgement"
"""A draft under this key is a judge's verdict — ``{"score": 1–5, "rationale": …}`` (tasks ``judge``
and ``kun-score``) — not content: taking it sets the sample's rating and leaves the content alone."""


def dump_content(content: Mapping[str, Any]) -> str:
    """Content as the store keeps it (compact JSON, keys in the order given)."""
    return orjson.dumps(content).decode()


def _sample_row(op: Operation, sample_id: int) -> tuple[str, int, str]:
    row = op.conn.execute(
        "SELECT content, version, kind FROM samples WHERE id = ? AND deleted = 0", (sample_id,)
    ).fetchone()
    if row is None:
        raise ProjectError(f"sample {sample_id} does not exist")
    return row


def _existing_ids(op: Operation, ids: Iterable[int]) -> list[int]:
    wanted = sorted(set(ids))
    if not wanted:
        return []
    found: set[int] = set()
    for chunk in id_chunks(wanted):
        found.update(
            r[0]
            for r in op.conn.execute(
                f"SELECT id FROM samples WHERE deleted = 0 AND id IN ({','.join('?' * len(chunk))})", chunk
            )
        )
    missing = [i for i in wanted if i not in found]
    if missing:
        raise ProjectError(f"no such sample: {', '.join(map(str, missing[:10]))}")
    return wanted


def record_first_revision(op: Operation, sample_id: int, content_json: str, version: int) -> None:
    """Write the imported content as a revision before the first change, so it can be reverted to."""
    has_any = op.conn.execute("SELECT 1 FROM revisions WHERE sample_id = ? LIMIT 1", (sample_id,)).fetchone()
    if has_any:
        return
    source = op.conn.execute(
        "SELECT s.name, s.imported_at, s.imported_by FROM samples JOIN sources s ON s.id = samples.source_id"
        " WHERE samples.id = ?",
        (sample_id,),
    ).fetchone()
    name, imported_at, imported_by = source if source else ("", now_iso(), op.project.author)
    op.insert(
        "revisions",
        {
            "sample_id": sample_id,
            "version": version,
            "content": content_json,
            "author": "import",
            "reason": f"imported from {name} by {imported_by}" if name else "created",
            "created_at": imported_at,
        },
    )


def write_version(
    op: Operation,
    sample_id: int,
    old_json: str,
    version: int,
    new_json: str,
    author: str,
    reason: str,
    stamp: str,
    *,
    stamp_row: bool = True,
) -> None:
    """Make ``new_json`` the sample's next version: its revision (after the imported content's, on the first
    change) and the sample row. ``stamp_row=False``: the caller sets the row's ``updated_at`` itself."""
    record_first_revision(op, sample_id, old_json, version)
    op.insert(
        "revisions",
        {
            "sample_id": sample_id,
            "version": version + 1,
            "content": new_json,
            "author": author,
            "reason": reason,
            "created_at": stamp,
        },
    )
    row = {"content": new_json, "version": version + 1}
    if stamp_row:
        row["updated_at"] = stamp
    op.update("samples", sample_id, row)


def edit_content(
    project: Project,
    sample_id: int,
    content: Mapping[str, Any],
    *,
    reason: str = "",
    author: str | None = None,
    coalesce_seconds: float | None = None,
) -> Changes:
    """Replace a sample's content, keeping every earlier version as a revision.

    With ``coalesce_seconds``, an edit that follows the same person's edit of the same sample within
    that time amends it instead of adding a version: typing a paragraph in bursts (the review pane
    saves as you type) is then one revision and one undo step, as in any editor.
    """
    new_json = dump_content(content)
    who = author or project.author
    if coalesce_seconds is not None:
        amended = _amend_last_edit(project, sample_id, new_json, who, coalesce_seconds)
        if amended is not None:
            return amended
    with operation(project, "edit_content", N_("edit sample {id}").format(id=sample_id)) as op:
        old_json, version, _kind = _sample_row(op, sample_id)
        if orjson.loads(old_json) == orjson.loads(new_json):
            return op.changes
        write_version(op, sample_id, old_json, version, new_json, who, reason, now_iso())
    return op.changes


def _amend_last_edit(project: Project, sample_id: int, new_json: str, who: str, within: float) -> Changes | None:
    """Fold ``new_json`` into the latest operation if it is ``who``'s recent edit of this sample."""
    row = project.db.execute(
        "SELECT id, name, author, created_at, steps FROM operations WHERE state = 'done' ORDER BY id DESC LIMIT 1"
    ).fetchone()
    if row is None:
        return None
    op_id, name, author, created_at, steps_json = row
    if name != "edit_content" or author != who or _age_seconds(created_at) > within:
        return None
    steps = orjson.loads(steps_json)
    sample_step = next((s for s in steps if s.get("table") == "samples" and s["id"] == sample_id), None)
    revision_step = next(
        (s for s in steps if s.get("table") == "revisions" and s["before"] is None and s["after"]["author"] == who),
        None,
    )
    if sample_step is None or revision_step is None:
        return None
    conn = project.db.conn
    with project.db.atomic():
        current = conn.execute("SELECT content, version FROM samples WHERE id = ?", (sample_id,)).fetchone()
        if current is None or current[1] != sample_step["after"]["version"]:
            return None  # changed since by something else: make a new version instead
        stamp = now_iso()
        index.replace(conn, sample_id, current[0], new_json)
        conn.execute("UPDATE samples SET content = ?, updated_at = ? WHERE id = ?", (new_json, stamp, sample_id))
        conn.execute("UPDATE revisions SET content = ? WHERE id = ?", (new_json, revision_step["id"]))
        sample_step["after"].update(content=new_json, updated_at=stamp)
        revision_step["after"]["content"] = new_json
        conn.execute("UPDATE operations SET steps = ? WHERE id = ?", (orjson.dumps(steps).decode(), op_id))
    return Changes(
        name="edit_content",
        operation_id=op_id,
        sample_ids={sample_id},
        tables={"samples", "revisions"},
        summary=N_("edit sample {id}").format(id=sample_id),
    )


def _age_seconds(created_at: str) -> float:
    return (datetime.now(UTC) - datetime.fromisoformat(created_at)).total_seconds()


def revert_to_version(project: Project, sample_id: int, version: int, *, author: str | None = None) -> Changes:
    """Make an earlier revision the current content again (as a new version: history only grows)."""
    row = project.db.execute(
        "SELECT content FROM revisions WHERE sample_id = ? AND version = ?", (sample_id, version)
    ).fetchone()
    if row is None:
        raise ProjectError(f"sample {sample_id} has no version {version}")
    return edit_content(
        project, sample_id, orjson.loads(row[0]), reason=f"reverted to version {version}", author=author
    )


def _set_column(project: Project, name: str, ids: Iterable[int], column: str, value: Any, summary: str) -> Changes:
    with operation(project, name, summary) as op:
        stamp = now_iso()
        for sample_id in _existing_ids(op, ids):
            if op.update("samples", sample_id, {column: value}):
                op.update("samples", sample_id, {"updated_at": stamp})
    return op.changes


def set_status(project: Project, ids: Iterable[int], status: str) -> Changes:
    if status not in SAMPLE_STATUSES:
        raise ProjectError(f"unknown status {status!r}; one of {', '.join(SAMPLE_STATUSES)}")
    ids = list(ids)
    summary = N_("status → {status} ({n} samples)").format(status=status, n=len(ids))
    return _set_column(project, "set_status", ids, "status", status, summary)


def set_label(project: Project, ids: Iterable[int], label: int | None) -> Changes:
    """Set the COIG verification label: 1 usable, 2 usable keeping the source I/O, 3 needs correction,
    4 unusable."""
    if label is not None and label not in (1, 2, 3, 4):
        raise ProjectError(f"label must be 1–4, not {label}")
    ids = list(ids)
    summary = N_("label → {label} ({n} samples)").format(label=label, n=len(ids))
    return _set_column(project, "set_label", ids, "label", label, summary)


def set_rating(project: Project, ids: Iterable[int], rating: int | None) -> Changes:
    if rating is not None and rating not in (1, 2, 3, 4, 5):
        raise ProjectError(f"rating must be 1–5, not {rating}")
    ids = list(ids)
    summary = N_("rating → {rating} ({n} samples)").format(rating=rating, n=len(ids))
    return _set_column(project, "set_rating", ids, "rating", rating, summary)


def assign(project: Project, ids: Iterable[int], assignee: str | None) -> Changes:
    ids = list(ids)
    summary = N_("assign {n} samples to {who}").format(n=len(ids), who=assignee)
    return _set_column(project, "assign", ids, "assignee", assignee or None, summary)


def set_subset(project: Project, ids: Iterable[int], subset: str) -> Changes:
    ids = list(ids)
    summary = N_("move {n} samples to {subset}").format(n=len(ids), subset=subset)
    return _set_column(project, "set_subset", ids, "subset", subset, summary)


def delete_samples(project: Project, ids: Iterable[int]) -> Changes:
    """Hide samples from every view and export (undoable; their history is kept)."""
    ids = list(ids)
    return _set_column(project, "delete_samples", ids, "deleted", 1, N_("delete {n} samples").format(n=len(ids)))


def add_review(
    project: Project,
    sample_id: int,
    *,
    stage: str = "annotate",
    verdict: str | None = None,
    label: int | None = None,
    rating: int | None = None,
    comment: str = "",
    seconds: float | None = None,
    reviewer: str | None = None,
) -> Changes:
    """Record a person's verdict at a stage and carry it onto the sample (status, label, rating)."""
    if stage not in REVIEW_STAGES:
        raise ProjectError(f"unknown review stage {stage!r}; one of {', '.join(REVIEW_STAGES)}")
    if verdict is not None and verdict not in VERDICTS:
        raise ProjectError(f"unknown verdict {verdict!r}; one of {', '.join(VERDICTS)}")
    if label is not None and label not in (1, 2, 3, 4):
        raise ProjectError(f"label must be 1–4, not {label}")
    if rating is not None and rating not in (1, 2, 3, 4, 5):
        raise ProjectError(f"rating must be 1–5, not {rating}")
    who = reviewer or project.author
    summary = N_("{stage} review of sample {id}").format(stage=stage, id=sample_id)
    with operation(project, "add_review", summary) as op:
        _sample_row(op, sample_id)
        stamp = now_iso()
        op.insert(
            "reviews",
            {
                "sample_id": sample_id,
                "stage": stage,
                "reviewer": who,
                "verdict": verdict,
                "label": label,
                "rating": rating,
                "comment": comment,
                "seconds": seconds,
                "created_at": stamp,
            },
        )
        carried: dict[str, Any] = {}
        if verdict:
            carried["status"] = STATUS_OF_VERDICT[verdict]
        if label is not None:
            carried["label"] = label
        if rating is not None:
            carried["rating"] = rating
        if carried and op.update("samples", sample_id, carried):
            op.update("samples", sample_id, {"updated_at": stamp})
    return op.changes


def set_flag(project: Project, ids: Iterable[int], flag: str, detail: str = "") -> Changes:
    """Mark samples with a quality-check flag (e.g. ``too_short``, ``duplicate``)."""
    with operation(project, "set_flag", N_("flag {flag}").format(flag=flag)) as op:
        for sample_id in _existing_ids(op, ids):
            exists = op.conn.execute(
                "SELECT 1 FROM sample_flags WHERE sample_id = ? AND flag = ?", (sample_id, flag)
            ).fetchone()
            if exists:
                op.update("sample_flags", [sample_id, flag], {"detail": detail})
            else:
                op.insert("sample_flags", {"sample_id": sample_id, "flag": flag, "detail": detail})
    return op.changes


def clear_flag(project: Project, ids: Iterable[int], flag: str) -> Changes:
    with operation(project, "clear_flag", N_("clear flag {flag}").format(flag=flag)) as op:
        for sample_id in _existing_ids(op, ids):
            op.delete("sample_flags", [sample_id, flag])
    return op.changes


def add_suggestion(
    project: Project,
    sample_id: int,
    *,
    task: str,
    content: Mapping[str, Any],
    engine: str,
    model: str = "",
    prompt_version: str = "",
    cost: float = 0.0,
    job_id: int | None = None,
) -> int:
    """Store a machine draft for a sample. Machine output is not a person's action: not undoable."""
    with project.db.atomic():
        cursor = project.db.conn.execute(
            "INSERT INTO suggestions(sample_id, task, content, engine, model, prompt_version, cost, job_id,"
            " created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (sample_id, task, dump_content(content), engine, model, prompt_version, cost, job_id, now_iso()),
        )
    return int(cursor.lastrowid)


def add_generated_samples(
    project: Project,
    suggestion_id: int,
    kind: Kind | str,
    contents: Iterable[Mapping[str, Any]],
    *,
    subset: str,
) -> list[int]:
    """New samples a machine task wrote (self-instruct expansion), from the answer stored as
    ``suggestion_id`` on the sample that was asked about.

    That answer is marked taken (there is nothing to merge into the sample it came from), and each
    new sample gets a draft of its own in the same state, carrying the engine, model and prompt
    version: the review pane shows where the text came from, and the reviewer keeps or drops the
    sample with the usual verdicts. Like :func:`add_suggestion`, machine output is not undoable.
    """
    kind = Kind(kind)
    source = project.db.execute(
        "SELECT task, engine, model, prompt_version, job_id FROM suggestions WHERE id = ?",
        (suggestion_id,),
    ).fetchone()
    if source is None:
        raise ProjectError(f"no suggestion {suggestion_id}")
    task, engine, model, prompt_version, job_id = source
    stamp = now_iso()
    decided_by = f"job {job_id}" if job_id is not None else engine
    conn = project.db.conn
    new_ids: list[int] = []
    with project.db.atomic():
        conn.execute(
            "UPDATE suggestions SET state = 'accepted', decided_at = ?, decided_by = ? WHERE id = ?",
            (stamp, decided_by, suggestion_id),
        )
        for content in contents:
            content_json = dump_content(content)
            cursor = conn.execute(
                "INSERT INTO samples(kind, subset, content, updated_at) VALUES (?, ?, ?, ?)",
                (kind.value, subset, content_json, stamp),
            )
            sample_id = int(cursor.lastrowid)
            index.add(conn, [(sample_id, index.text_of(content_json))])
            conn.execute(
                "INSERT INTO suggestions(sample_id, task, content, engine, model, prompt_version, job_id,"
                " created_at, state, decided_at, decided_by) VALUES (?, ?, ?, ?, ?, ?, ?, ?, 'accepted', ?, ?)",
                (sample_id, task, content_json, engine, model, prompt_version, job_id, stamp, stamp, decided_by),
            )
            new_ids.append(sample_id)
    return new_ids


def accept_suggestion(
    project: Project,
    suggestion_id: int,
    *,
    edited: Mapping[str, Any] | None = None,
    author: str | None = None,
) -> Changes:
    """Take a machine draft into the sample, as it is or as the reviewer edited it.

    A draft holds the content keys it proposes (a translation task's is ``{"target": {...}}``); taken
    as it is, those keys replace the sample's and the rest stays. ``edited`` is the whole new content.
    """
    row = project.db.execute(
        "SELECT sample_id, content, engine, model, state FROM suggestions WHERE id = ?", (suggestion_id,)
    ).fetchone()
    if row is None:
        raise ProjectError(f"no suggestion {suggestion_id}")
    sample_id, content_json, engine, model, state = row
    if state != "pending":
        raise ProjectError(f"suggestion {suggestion_id} was already {state}")
    who = author or project.author
    engine_name = f"{engine}:{model}" if model else engine
    draft = orjson.loads(content_json)
    if edited is None and isinstance(draft, dict) and JUDGEMENT_KEY in draft:
        return _accept_judgement(project, suggestion_id, sample_id, draft[JUDGEMENT_KEY], engine_name, who)
    content = edited if edited is not None else draft_applied(project, sample_id, draft)
    summary = N_("accept {engine} draft for sample {id}").format(engine=engine_name, id=sample_id)
    with operation(project, "accept_suggestion", summary) as op:
        inner = edit_content(
            project,
            sample_id,
            content,
            reason=f"{'edited ' if edited else ''}draft by {engine_name}",
            author=who,
        )
        # edit_content ran as a nested savepoint and recorded its own operation: fold it into ours
        # so one undo takes back both the content and the suggestion's state.
        if inner.operation_id is not None:
            _absorb(op, inner)
        op.update(
            "suggestions",
            suggestion_id,
            {"state": "edited" if edited else "accepted", "decided_at": now_iso(), "decided_by": who},
        )
    return op.changes


def _accept_judgement(
    project: Project, suggestion_id: int, sample_id: int, judgement: Any, engine_name: str, who: str
) -> Changes:
    """Take a judge's draft: its score becomes the sample's rating; the content is not touched."""
    score = judgement.get("score") if isinstance(judgement, Mapping) else None
    if isinstance(score, bool) or score not in (1, 2, 3, 4, 5):
        raise ProjectError(f"suggestion {suggestion_id} has no 1–5 score to take")
    summary = N_("take the {engine} rating {score} for sample {id}").format(
        engine=engine_name, score=score, id=sample_id
    )
    with operation(project, "accept_suggestion", summary) as op:
        _sample_row(op, sample_id)
        if op.update("samples", sample_id, {"rating": score}):
            op.update("samples", sample_id, {"updated_at": now_iso()})
        op.update("suggestions", suggestion_id, {"state": "accepted", "decided_at": now_iso(), "decided_by": who})
    return op.changes


def accept_suggestions(
    project: Project, suggestion_ids: Iterable[int], *, author: str | None = None, summary: str = ""
) -> Changes:
    """Take many drafts as they are, as ONE undoable step (a pipeline taking the drafts its next
    step reads: one undo gives them all back as pending drafts)."""
    ids = list(suggestion_ids)
    with operation(project, "accept_suggestions", summary or N_("accept {n} drafts").format(n=len(ids))) as op:
        for suggestion_id in ids:
            inner = accept_suggestion(project, suggestion_id, author=author)
            if inner.operation_id is not None:
                _absorb(op, inner)
    return op.changes


def draft_applied(project: Project, sample_id: int, draft: Mapping[str, Any]) -> dict[str, Any]:
    """The sample's content with a draft's keys put over it."""
    row = project.db.execute("SELECT content FROM samples WHERE id = ?", (sample_id,)).fetchone()
    if row is None:
        raise ProjectError(f"sample {sample_id} does not exist")
    return {**orjson.loads(row[0]), **draft}


def dismiss_suggestion(project: Project, suggestion_id: int, *, author: str | None = None) -> Changes:
    with operation(project, "dismiss_suggestion", N_("dismiss suggestion {id}").format(id=suggestion_id)) as op:
        op.update(
            "suggestions",
            suggestion_id,
            {"state": "dismissed", "decided_at": now_iso(), "decided_by": author or project.author},
        )
    return op.changes


def _absorb(op: Operation, inner: Changes) -> None:
    """Move a nested operation's steps into ``op`` so both undo as one."""
    steps_json = op.conn.execute("SELECT steps FROM operations WHERE id = ?", (inner.operation_id,)).fetchone()[0]
    op.conn.execute("DELETE FROM operations WHERE id = ?", (inner.operation_id,))
    op.steps.extend(orjson.loads(steps_json))
    op.changes.tables.update(inner.tables)
    op.changes.sample_ids.update(inner.sample_ids)


def create_sample(
    project: Project,
    kind: Kind | str,
    content: Mapping[str, Any],
    *,
    subset: str = "",
    reason: str = "created",
) -> Changes:
    """Add a sample made in Winnow (e.g. written by hand), with no origin record."""
    kind = Kind(kind)
    with operation(project, "create_sample", N_("new {kind} sample").format(kind=kind.value)) as op:
        op.insert(
            "samples",
            {"kind": kind.value, "subset": subset, "content": dump_content(content), "updated_at": now_iso()},
        )
    return op.changes


def create_samples(
    project: Project,
    kind: Kind | str,
    contents: Iterable[Mapping[str, Any]],
    *,
    subset: str = "",
    name: str = "create_samples",
    summary: str = "",
    progress: Callable[[int], None] | None = None,
    cancelled: Callable[[], bool] | None = None,
) -> Changes:
    """Add many samples made in Winnow (LeetCode instructions from templates) as ONE operation: one
    undo takes them all back. ``cancelled()`` is asked between samples; a cancelled run raises
    :class:`~app.store.project.ProjectError` and adds nothing."""
    kind = Kind(kind)
    stamp = now_iso()
    count = 0
    with operation(project, name, summary) as op:
        for content in contents:
            if cancelled is not None and cancelled():
                raise ProjectError(f"{name}: cancelled; no sample was added")
            op.insert(
                "samples", {"kind": kind.value, "subset": subset, "content": dump_content(content), "updated_at": stamp}
            )
            count += 1
            if progress is not None and count % 200 == 0:
                progress(count)
        op.changes.summary = summary or N_("{n} new {kind} samples").format(n=count, kind=kind.value)
    if progress is not None:
        progress(count)
    return op.changes
