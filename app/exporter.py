"""Exporting a filtered subset of a project in one of the writers' formats."""

from __future__ import annotations

import logging
import os
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import orjson

from app.formats import registry
from app.formats.base import ExportItem, LineBlock, WriteOptions
from app.formats.dataset_info import DatasetInfoError, entry_for, write_dataset_info
from app.i18n import _
from app.records import Kind
from app.store.project import Project, ProjectError
from app.store.query import SampleFilter, iter_export_batches

log = logging.getLogger("winnow.export")

PLAIN_BATCH = 20_000
PROVENANCE_BATCH = 2_000

# A dict lookup per row instead of Kind(name): the enum call shows in a million-row profile.
KIND_BY_NAME = {kind.value: kind for kind in Kind}


class ExportCancelled(ProjectError):
    """The user cancelled: the target file was left as it was."""


@dataclass
class ExportReport:
    path: Path
    format: str
    written: int
    skipped_kinds: Counter = field(default_factory=Counter)
    """Samples the format cannot hold, by kind (e.g. chats left out of a COIG exam export)."""
    dataset_info: Path | None = None


def export(
    project: Project,
    out: str | os.PathLike[str],
    *,
    format_name: str,
    where: SampleFilter = SampleFilter(),
    provenance: bool = False,
    dataset_info: bool = True,
    dataset_name: str | None = None,
    progress: Callable[[int], None] | None = None,
    cancelled: Callable[[], bool] | None = None,
) -> ExportReport:
    """Write the samples matching ``where`` to ``out``; the file appears whole or not at all.

    With ``dataset_info`` (the default) and a format LLaMA-Factory reads, its entry is merged into
    ``dataset_info.json`` beside the file.
    """
    target = Path(out)
    writer = registry.writer(format_name)
    if target.is_dir():
        raise ProjectError(
            _("{target}: is a folder; give the file to write, e.g. {example}").format(
                target=target, example=target / ("data" + writer.suffix)
            )
        )
    if not target.parent.exists():
        raise ProjectError(_("{parent}: no such folder").format(parent=target.parent))
    skipped: Counter = Counter()
    formats = dict(project.db.execute("SELECT id, format FROM sources").fetchall())
    done = 0
    built = 0  # records built from content (not copied as stored): only these can hold optional keys

    # Without provenance a writer may copy stored records as they are (see Writer.stored_line).
    stored_line = writer.stored_line if not provenance else None
    stored_block = writer.stored_block if not provenance else None

    # Big batches halve the time spent fetching a million rows (each batch is a new keyset query); with
    # provenance every batch also asks for its rows' history by id, which wants smaller lists.
    batch = PROVENANCE_BATCH if provenance else PLAIN_BATCH

    def items() -> Iterator[ExportItem | bytes | LineBlock]:
        nonlocal done, built
        for rows in iter_export_batches(project, where, batch=batch):
            if cancelled is not None and cancelled():
                # Raised inside the writer's atomic write: the temporary file is removed and any
                # earlier file of that name stays as it was.
                raise ExportCancelled(f"{target}: export cancelled; nothing was written")
            block = stored_block(rows) if stored_block is not None else None
            if block is not None:
                yield block
                done += len(rows)
                if progress:
                    progress(done)
                continue
            ids = [row[0] for row in rows]
            trail = _provenance(project, ids) if provenance else {}
            members = _origin_members(project, ids) if writer.wants_origin_member else {}
            for sample_id, kind_name, source_id, content, plain in rows:
                if plain == 1 and stored_block is not None:
                    yield content + b"\n"  # marked plain: no need to look (an edited row among them)
                    continue
                kind = KIND_BY_NAME[kind_name]
                if kind not in writer.kinds:
                    skipped[kind_name] += 1
                    continue
                line = stored_line(kind, content) if stored_line is not None else None
                if line is not None:
                    yield line
                    continue
                built += 1
                yield ExportItem(
                    id=sample_id,
                    kind=kind,
                    content_json=content,
                    origin_format=formats.get(source_id, ""),
                    origin_member=members.get(sample_id, ""),
                    provenance=trail.get(sample_id) if provenance else None,
                )
            done += len(rows)
            if progress:
                progress(done)

    name = dataset_name or target.stem
    try:
        written = writer.write(target, items(), WriteOptions(dataset_name=name))
    except OSError as error:
        raise ProjectError(
            _("{target}: cannot write: {error}").format(target=target, error=error.strerror or error)
        ) from error
    info_path = None
    # Records copied as stored are exactly instruction/input/output: no optional column to look for.
    entry = entry_for(writer, target, optional_absent=built == 0) if dataset_info else None
    if entry is not None:
        try:
            info_path = write_dataset_info(target.parent, {name: entry})
        except DatasetInfoError as error:
            log.warning("%s", error)
            raise ProjectError(_("{target} was written, but {error}").format(target=target, error=error)) from error
    return ExportReport(path=target, format=writer.name, written=written, skipped_kinds=skipped, dataset_info=info_path)


def _origin_members(project: Project, ids: list[int]) -> dict[int, str]:
    return dict(
        project.db.execute(
            f"SELECT s.id, o.member FROM samples s JOIN origins o ON o.id = s.origin_id"
            f" WHERE s.id IN ({', '.join('?' * len(ids))})",
            ids,
        ).fetchall()
    )


def _provenance(project: Project, ids: list[int]) -> dict[int, dict[str, Any]]:
    """Where each sample came from and everything that happened to it, for a batch at once."""
    marks = ", ".join("?" * len(ids))
    db = project.db
    trail: dict[int, dict[str, Any]] = {
        sample_id: {
            "status": status,
            "label": label,
            "rating": rating,
            "version": version,
            "source": None,
            "edits": [],
            "drafts": [],
            "reviews": [],
        }
        for sample_id, status, label, rating, version in db.execute(
            f"SELECT id, status, label, rating, version FROM samples WHERE id IN ({marks}) ORDER BY id", ids
        )
    }
    for sample_id, name, fmt, line, member in db.execute(
        f"SELECT s.id, src.name, src.format, o.line, o.member FROM samples s JOIN origins o ON o.id = s.origin_id"
        f" JOIN sources src ON src.id = o.source_id WHERE s.id IN ({marks})",
        ids,
    ):
        trail[sample_id]["source"] = {
            "file": name,
            "format": fmt,
            "line": line,
            **({"member": member} if member else {}),
        }
    for sample_id, version, author, reason, created in db.execute(
        f"SELECT sample_id, version, author, reason, created_at FROM revisions WHERE sample_id IN ({marks})"
        " ORDER BY sample_id, version",
        ids,
    ):
        trail[sample_id]["edits"].append({"version": version, "by": author, "reason": reason, "at": created})
    for sample_id, task, engine, model, state, content in db.execute(
        f"SELECT sample_id, task, engine, model, state, content FROM suggestions WHERE sample_id IN ({marks})"
        " ORDER BY id",
        ids,
    ):
        trail[sample_id]["drafts"].append(
            {"task": task, "engine": engine, "model": model, "state": state, "content": orjson.loads(content)}
        )
    for sample_id, stage, reviewer, verdict, label, rating, comment, created in db.execute(
        f"SELECT sample_id, stage, reviewer, verdict, label, rating, comment, created_at FROM reviews"
        f" WHERE sample_id IN ({marks}) ORDER BY id",
        ids,
    ):
        trail[sample_id]["reviews"].append(
            {
                "stage": stage,
                "by": reviewer,
                "verdict": verdict,
                "label": label,
                "rating": rating,
                "comment": comment,
                "at": created,
            }
        )
    return trail
