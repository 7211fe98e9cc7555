"""The adjudication queue: samples whose versions disagree after a merge, and their resolution.

A conflict holds every version (the lead's own change, each package's). The lead compares two of
them hunk by hunk (:mod:`app.packages.hunks`), picks a side for each hunk and for the label, rating
and status, and :func:`resolve_conflict` makes the result the sample's new version, one undoable step.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import orjson

from app.i18n import N_
from app.packages.hunks import Side, merge_content
from app.packages.workpackage import current_state, state_hash
from app.store.actions import write_version
from app.store.ops import Changes, operation
from app.store.project import Project, ProjectError, now_iso

FIELDS = ("label", "rating", "status")


@dataclass(frozen=True)
class Version:
    id: int
    batch: str | None
    """The batch it came back in; None for the lead's own copy."""
    author: str
    state: dict[str, Any]

    @property
    def title(self) -> str:
        return f"{self.author} ({self.batch})" if self.batch else f"{self.author} (project)"


@dataclass(frozen=True)
class Conflict:
    id: int
    sample_id: int
    kind: str
    base: dict[str, Any]
    versions: list[Version]
    current: dict[str, Any]
    opened_at: str
    state: str = "open"

    def distinct_versions(self) -> list[Version]:
        """One version per distinct state (two people who made the same change show once)."""
        seen: set[str] = set()
        out = []
        for version in self.versions:
            digest = state_hash(version.state)
            if digest not in seen:
                seen.add(digest)
                out.append(version)
        return out


def open_conflicts(project: Project) -> list[Conflict]:
    """The queue: open conflicts, oldest first."""
    ids = [row[0] for row in project.db.execute("SELECT id FROM conflicts WHERE state = 'open' ORDER BY id")]
    return [get_conflict(project, conflict_id) for conflict_id in ids]


def open_count(project: Project) -> int:
    return project.db.execute("SELECT count(*) FROM conflicts WHERE state = 'open'").fetchone()[0]


def get_conflict(project: Project, conflict_id: int) -> Conflict:
    row = project.db.execute(
        "SELECT c.sample_id, c.base, c.opened_at, c.state, s.kind FROM conflicts c JOIN samples s ON s.id = c.sample_id"
        " WHERE c.id = ?",
        (conflict_id,),
    ).fetchone()
    if row is None:
        raise ProjectError(f"no conflict {conflict_id}")
    sample_id, base, opened_at, state, kind = row
    versions = [
        Version(version_id, batch, author, orjson.loads(version_state))
        for version_id, batch, author, version_state in project.db.execute(
            "SELECT v.id, b.name, v.author, v.state FROM conflict_versions v LEFT JOIN batches b ON b.id = v.batch_id"
            " WHERE v.conflict_id = ? ORDER BY v.batch_id IS NOT NULL, v.batch_id, v.id",
            (conflict_id,),
        )
    ]
    return Conflict(
        conflict_id, sample_id, kind, orjson.loads(base), versions, current_state(project, sample_id), opened_at, state
    )


def picked_state(
    a: Mapping[str, Any],
    b: Mapping[str, Any],
    picks: Mapping[int, Side],
    fields: Mapping[str, Side] | None = None,
    default: Side = "a",
) -> dict[str, Any]:
    """Two versions' states merged: content hunk by hunk, label/rating/status each from one side."""
    fields = fields or {}
    state: dict[str, Any] = {"content": merge_content(a["content"], b["content"], picks, default)}
    for name in FIELDS:
        state[name] = (b if fields.get(name, default) == "b" else a)[name]
    return state


def resolve_conflict(project: Project, conflict_id: int, state: Mapping[str, Any], *, note: str = "") -> Changes:
    """Make ``state`` the sample's (a new version by the lead) and close the conflict: one undoable step."""
    conflict = get_conflict(project, conflict_id)
    if conflict.state != "open":
        raise ProjectError(f"conflict {conflict_id} was resolved already")
    label, rating, status = (state.get(name) for name in FIELDS)
    if label is not None and label not in (1, 2, 3, 4):
        raise ProjectError(f"label must be 1–4, not {label}")
    if rating is not None and rating not in (1, 2, 3, 4, 5):
        raise ProjectError(f"rating must be 1–5, not {rating}")
    authors = ", ".join(sorted({v.author for v in conflict.versions}))
    summary = N_("adjudicate sample {id}").format(id=conflict.sample_id)
    with operation(project, "resolve_conflict", summary) as op:
        sample_id = conflict.sample_id
        content_json, version = op.conn.execute(
            "SELECT content, version FROM samples WHERE id = ?", (sample_id,)
        ).fetchone()
        stamp = now_iso()
        changed = orjson.loads(content_json) != state["content"]
        if changed:
            new_json = orjson.dumps(state["content"]).decode()
            reason = f"adjudicated between {authors}" + (f": {note}" if note else "")
            write_version(
                op, sample_id, content_json, version, new_json, project.author, reason, stamp, stamp_row=False
            )
        if op.update("samples", sample_id, {"label": label, "rating": rating, "status": status}) or changed:
            op.update("samples", sample_id, {"updated_at": stamp})
        op.update("conflicts", conflict_id, {"state": "resolved", "resolved_at": stamp, "resolved_by": project.author})
    return op.changes
