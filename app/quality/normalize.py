"""Traditional → Simplified normalisation of many samples as one undoable operation."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import orjson

from app.i18n import N_
from app.quality import script
from app.store.actions import write_version
from app.store.ops import Changes, operation
from app.store.project import Project, ProjectError, now_iso
from app.store.query import SampleFilter, iter_content_batches


class NormalizeCancelled(ProjectError):
    """The user stopped the normalisation: nothing was changed."""


@dataclass
class NormalizeReport:
    scanned: int = 0
    changed: int = 0
    changes: Changes | None = None


def simplified_content(kind: str, content: Any, config: str = "t2s") -> Any:
    """``content`` with every string in Simplified, except ``extra`` (the source's own fields, kept
    verbatim) and a translation pair's ``source`` (the original is not ours to change)."""
    if isinstance(content, dict):
        skip = {"extra", "source"} if kind == "translation" else {"extra"}
        return {k: (v if k in skip else simplified_content("", v, config)) for k, v in content.items()}
    if isinstance(content, list):
        return [simplified_content("", v, config) for v in content]
    if isinstance(content, str):
        return script.to_simplified(content, config)
    return content


def to_simplified(
    project: Project,
    flt: SampleFilter = SampleFilter(),
    *,
    config: str = "t2s",
    author: str | None = None,
    batch: int = 2000,
    progress: Callable[[int], None] | None = None,
    cancelled: Callable[[], bool] | None = None,
) -> NormalizeReport:
    """Convert the samples of ``flt`` to Simplified Chinese (OpenCC ``config``), one undo step.

    Each changed sample gets a new version and revision, as an edit would; the QA flags follow by
    themselves. A cancel rolls everything back.
    """
    if config not in script.CONFIGS:
        raise ProjectError(f"unknown conversion {config!r}; one of {', '.join(script.CONFIGS)}")
    who = author or project.author
    report = NormalizeReport()
    # The summary (with the count) is set at the end, for the undo menu.
    with operation(project, "to_simplified") as op:
        stamp = now_iso()
        for rows in iter_content_batches(project, flt, batch=batch):
            if cancelled and cancelled():
                raise NormalizeCancelled(f"stopped after {report.scanned} samples; nothing was changed")
            for sample_id, kind, _source, content_bytes in rows:
                report.scanned += 1
                if not script.has_traditional(content_bytes.decode()):
                    continue
                content = orjson.loads(content_bytes)
                converted = simplified_content(kind, content, config)
                if converted == content:
                    continue
                old_json, version = op.conn.execute(
                    "SELECT content, version FROM samples WHERE id = ?", (sample_id,)
                ).fetchone()
                new_json = orjson.dumps(converted).decode()
                reason = f"Traditional → Simplified ({config})"
                write_version(op, sample_id, old_json, version, new_json, who, reason, stamp)
                report.changed += 1
            if progress:
                progress(report.scanned)
        op.changes.summary = N_("Traditional → Simplified ({n} samples)").format(n=report.changed)
    report.changes = op.changes
    return report
