"""Work packages: a batch leaves as one file, is worked on offline, and is merged back.

The file
    A ``.winnowpkg`` is a Winnow project file (SQLite) holding just the batch's samples, each with its
    content as it left as the base revision, and the batch's pending machine drafts. An annotator
    opens it in their own Winnow like any project, works through it, and sends the same file back.
    Its ``project`` table carries the *manifest* — the lead project's id and name, the batch, the
    annotator, an export id, and per sample its base version, label, rating, status and hashes — and
    the manifest's HMAC-SHA256 under a key that never leaves the lead's project file.

Refusal
    Merging reads a copy and checks, before writing anything: that the file is an SQLite database
    that passes ``PRAGMA integrity_check`` (else *corrupt*); that it is a work package (else *not a
    package*); that it names this project's id (else *from another project*); that the manifest's
    HMAC is right (else *tampered*: someone changed which samples, which batch, who or what base);
    that each sample's base revision matches the signed hash, and that each sample's content is its
    latest revision (else *tampered*: changed outside Winnow). The annotator's work itself cannot be
    signed — their Winnow holds no key — so a determined forger with their own copy of Winnow can
    still pose as the annotator; the checks stop accidents, edits outside Winnow, and packages
    pointed at the wrong project or batch.

Merging (one undoable operation, deterministic, idempotent)
    A sample's *state* is its content, label, rating and status. For each sample a package changed
    (its state differs from the signed base):

    - the sample has an open conflict: the package's version joins it;
    - the lead's copy already equals the package's: nothing to do (two people made the same change);
    - the lead's copy is still the base: the package's revisions are added with their authors and
      times, and its label, rating and status taken;
    - otherwise the lead's copy changed since the package left: a conflict opens with every version
      (the lead's own change, or the other packages' versions, and this one). When the lead's copy
      came from another package, the sample goes back to the base until adjudicated, so the result
      does not depend on which package was merged first.

    Every package's reviews (who, verdict, label, rating, comment, seconds, when) are added, and every
    change a package proposed is kept in ``package_changes`` with its revisions, whatever happened to
    it. Merging an export that was merged already changes nothing.
"""

from __future__ import annotations

import hashlib
import hmac
import logging
import os
import re
import shutil
import sqlite3
import tempfile
import uuid
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import orjson

import app
from app.i18n import N_
from app.packages.assign import batch_sample_ids, find_batch
from app.store import index
from app.store.actions import record_first_revision
from app.store.ops import Changes, Operation, operation
from app.store.project import Project, ProjectError, now_iso
from app.store.query import id_chunks

log = logging.getLogger("winnow.packages")

PACKAGE_SUFFIX = ".winnowpkg"
PACKAGE_FORMAT = 1
_SQLITE_HEADER = b"SQLite format 3\x00"
_MANIFEST_KEYS = ("project_id", "batch_id", "batch", "annotator", "export_id", "samples")


class PackageError(ProjectError):
    """A work package is refused; the message says why, for the user."""


# States: what a merge compares.


def state_of(content: dict[str, Any] | str, label: int | None, rating: int | None, status: str) -> dict[str, Any]:
    return {
        "content": orjson.loads(content) if isinstance(content, str) else content,
        "label": label,
        "rating": rating,
        "status": status,
    }


def _canonical(value: Any) -> bytes:
    return orjson.dumps(value, option=orjson.OPT_SORT_KEYS)


def state_hash(state: dict[str, Any]) -> str:
    return hashlib.sha256(_canonical(state)).hexdigest()


def content_hash(content: dict[str, Any] | str) -> str:
    return hashlib.sha256(_canonical(orjson.loads(content) if isinstance(content, str) else content)).hexdigest()


def current_state(project: Project, sample_id: int) -> dict[str, Any]:
    row = project.db.execute("SELECT content, label, rating, status FROM samples WHERE id = ?", (sample_id,)).fetchone()
    if row is None:
        raise ProjectError(f"sample {sample_id} does not exist")
    return state_of(*row)


def project_identity(project: Project) -> tuple[str, bytes]:
    """The project's id and the key its package manifests are signed with."""
    values = dict(project.db.execute("SELECT key, value FROM project WHERE key IN ('id', 'package_key')").fetchall())
    return values["id"], bytes.fromhex(values["package_key"])


def _sign(key: bytes, manifest_json: bytes) -> str:
    return hmac.new(key, manifest_json, hashlib.sha256).hexdigest()


# Export


@dataclass
class ExportedPackage:
    path: Path
    batch: str
    annotator: str
    samples: int
    export_id: str
    changes: Changes


# Batch names carry annotator names, which may hold anything: a package's file name never leaves its
# folder (no "/", "\\" or "..", no leading dot) and is valid on Windows too.
_UNSAFE_FILE_NAME = re.compile(r'[\\/:*?"<>|\x00-\x1f]')


def package_file_name(batch_name: str) -> str:
    safe = _UNSAFE_FILE_NAME.sub("_", batch_name).strip().lstrip(".").replace("..", "_")
    return f"{safe or 'batch'}{PACKAGE_SUFFIX}"


def export_package(project: Project, batch: str | int, out: str | os.PathLike[str]) -> ExportedPackage:
    """Write a batch as a work package at ``out`` (whole or not at all) and mark the batch exported."""
    found = find_batch(project, batch)
    target = Path(out)
    if target.suffix != PACKAGE_SUFFIX:
        target = target.with_name(target.name + PACKAGE_SUFFIX)
    if not target.parent.is_dir():
        raise ProjectError(f"{target.parent}: no such folder")
    ids = batch_sample_ids(project, found["id"])
    rows = _sample_rows(project, ids)
    project_id, key = project_identity(project)
    export_id = str(uuid.uuid4())
    manifest = {
        "format": PACKAGE_FORMAT,
        "project_id": project_id,
        "project_name": project.name,
        "batch_id": found["id"],
        "batch": found["name"],
        "annotator": found["annotator"],
        "export_id": export_id,
        "exported_at": now_iso(),
        "exported_by": project.author,
        "winnow": app.__version__,
        "samples": [
            {
                "id": sample_id,
                "version": version,
                "label": label,
                "rating": rating,
                "status": status,
                "content_hash": content_hash(content),
                "state_hash": state_hash(state_of(content, label, rating, status)),
            }
            for sample_id, _kind, _subset, content, status, label, rating, version in rows
        ],
    }
    manifest_json = _canonical(manifest)
    temporary = target.with_name(f".{target.name}.{export_id[:8]}.part")
    try:
        title = f"{found['name']} ({found['annotator']})"
        with Project.create(temporary, name=title, author=found["annotator"]) as pkg:
            _fill_package(pkg, project, rows, found, manifest_json.decode(), _sign(key, manifest_json))
        _remove_sidecars(temporary)
        os.replace(temporary, target)
    except BaseException:
        for leftover in (temporary, *_sidecars(temporary)):
            leftover.unlink(missing_ok=True)
        raise
    summary = N_("send batch {batch} to {annotator}").format(batch=found["name"], annotator=found["annotator"])
    with operation(project, "export_package", summary) as op:
        op.update("batches", found["id"], {"state": "exported", "exported_at": manifest["exported_at"]})
    log.info("exported batch %s (%d samples) to %s", found["name"], len(rows), target)
    return ExportedPackage(target, found["name"], found["annotator"], len(rows), export_id, op.changes)


def _sample_rows(project: Project, ids: Sequence[int]) -> list[tuple]:
    rows: list[tuple] = []
    for chunk in id_chunks(ids):
        rows.extend(
            project.db.execute(
                "SELECT id, kind, subset, content, status, label, rating, version FROM samples"
                f" WHERE deleted = 0 AND id IN ({','.join('?' * len(chunk))}) ORDER BY id",
                chunk,
            ).fetchall()
        )
    return rows


def _fill_package(
    pkg: Project, lead: Project, rows: list[tuple], batch: dict[str, Any], manifest_json: str, signature: str
) -> None:
    conn = pkg.db.conn
    stamp = now_iso()
    with pkg.db.atomic():
        conn.execute(
            "INSERT INTO project(key, value) VALUES ('package_manifest', ?), ('package_signature', ?)",
            (manifest_json, signature),
        )
        for sample_id, kind, subset, content, status, label, rating, version in rows:
            conn.execute(
                "INSERT INTO samples(id, kind, subset, content, status, label, rating, assignee, version, updated_at)"
                " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (sample_id, kind, subset, content, status, label, rating, batch["annotator"], version, stamp),
            )
            # The base revision: what the package started from, so the annotator can diff and revert.
            conn.execute(
                "INSERT INTO revisions(sample_id, version, content, author, reason, created_at)"
                " VALUES (?, ?, ?, ?, ?, ?)",
                (sample_id, version, content, lead.author, f"sent in work package {batch['name']}", stamp),
            )
        index.add(conn, [(row[0], index.text_of(row[3])) for row in rows])
        ids = [row[0] for row in rows]
        for chunk in id_chunks(ids):
            drafts = lead.db.execute(
                "SELECT sample_id, task, content, engine, model, prompt_version, cost, created_at, characters, tokens"
                f" FROM suggestions WHERE state = 'pending' AND sample_id IN ({','.join('?' * len(chunk))})"
                " ORDER BY id",
                chunk,
            ).fetchall()
            conn.executemany(
                "INSERT INTO suggestions(sample_id, task, content, engine, model, prompt_version, cost, created_at,"
                " characters, tokens) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                drafts,
            )


def _sidecars(path: Path) -> list[Path]:
    return [path.with_name(path.name + suffix) for suffix in ("-wal", "-shm", "-journal")]


def _remove_sidecars(path: Path) -> None:
    for sidecar in _sidecars(path):
        sidecar.unlink(missing_ok=True)


# Reading and checking a returned package


@dataclass
class Package:
    """A returned work package, read and checked for corruption (not yet against a project)."""

    path: Path
    manifest: dict[str, Any]
    manifest_json: str
    signature: str
    samples: dict[int, dict[str, Any]]
    """Sample id → ``{"state", "version"}`` as the package holds it."""
    revisions: dict[int, list[dict[str, Any]]]
    """Sample id → its revisions in the package, by version (the base included)."""
    reviews: list[dict[str, Any]]
    digest: str = ""
    added: int = 0
    """Samples made in the package (not sent in it): not merged."""

    @property
    def batch(self) -> str:
        return self.manifest["batch"]

    @property
    def annotator(self) -> str:
        return self.manifest["annotator"]


def read_package(path: str | os.PathLike[str]) -> Package:
    """Read a package file; :class:`PackageError` if it is not one or is damaged. Never writes to it."""
    source = Path(path)
    if not source.is_file():
        raise PackageError(f"{source}: no such file")
    with source.open("rb") as handle:
        if handle.read(len(_SQLITE_HEADER)) != _SQLITE_HEADER:
            raise PackageError(f"{source.name}: not a Winnow work package (the file is damaged or of another kind)")
    with tempfile.TemporaryDirectory(prefix="winnow-package-") as folder:
        copy = Path(folder) / "package.winnow"
        shutil.copyfile(source, copy)
        # A package closed uncleanly still has its last work in the WAL beside it: read that too.
        wal = source.with_name(source.name + "-wal")
        if wal.is_file():
            shutil.copyfile(wal, copy.with_name(copy.name + "-wal"))
        conn = sqlite3.connect(copy)
        try:
            return _read(conn, source)
        except sqlite3.DatabaseError as error:
            raise PackageError(f"{source.name}: the work package is damaged and cannot be read ({error})") from error
        finally:
            conn.close()


def _read(conn: sqlite3.Connection, source: Path) -> Package:
    damaged = f"{source.name}: the work package is damaged"
    check = conn.execute("PRAGMA integrity_check").fetchall()
    if check != [("ok",)]:
        raise PackageError(f"{damaged} (SQLite integrity check: {check[0][0]})")
    tables = {row[0] for row in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
    if not {"project", "samples", "revisions", "reviews"} <= tables:
        raise PackageError(f"{source.name}: not a Winnow work package")
    meta = dict(conn.execute("SELECT key, value FROM project").fetchall())
    if "package_manifest" not in meta:
        raise PackageError(
            f"{source.name}: a Winnow project, not a work package; merge only files made by `winnow package`"
        )
    try:
        manifest = orjson.loads(meta["package_manifest"])
        entries = manifest["samples"]
        missing = [key for key in _MANIFEST_KEYS if key not in manifest]
    except (orjson.JSONDecodeError, KeyError, TypeError) as error:
        raise PackageError(f"{damaged}: its manifest cannot be read ({error})") from error
    if missing:
        raise PackageError(f"{damaged}: its manifest lacks {', '.join(missing)}")
    if manifest.get("format") != PACKAGE_FORMAT:
        raise PackageError(
            f"{source.name}: a work package of format {manifest.get('format')}, which this Winnow cannot read"
        )
    # Deleted ones too: deciding what leaves the dataset is the lead's, so a deletion in a package is
    # not merged, but the sample's other work is.
    samples = {
        row[0]: {"state": state_of(row[1], row[2], row[3], row[4]), "version": row[5]}
        for row in conn.execute("SELECT id, content, label, rating, status, version FROM samples")
    }
    revisions: dict[int, list[dict[str, Any]]] = {}
    for sample_id, version, content, author, reason, created_at in conn.execute(
        "SELECT sample_id, version, content, author, reason, created_at FROM revisions ORDER BY sample_id, version"
    ):
        revisions.setdefault(sample_id, []).append(
            {
                "version": version,
                "content": orjson.loads(content),
                "author": author,
                "reason": reason,
                "created_at": created_at,
            }
        )
    review_keys = ("sample_id", "stage", "reviewer", "verdict", "label", "rating", "comment", "seconds", "created_at")
    reviews = [
        dict(zip(review_keys, row, strict=True))
        for row in conn.execute(f"SELECT {', '.join(review_keys)} FROM reviews ORDER BY id")
    ]
    package = Package(
        source, manifest, meta["package_manifest"], meta.get("package_signature", ""), samples, revisions, reviews
    )
    wanted = {entry["id"] for entry in entries}
    package.added = len(set(samples) - wanted)
    package.reviews = [r for r in reviews if r["sample_id"] in wanted]
    package.digest = hashlib.sha256(
        _canonical(
            {
                "export_id": manifest["export_id"],
                "samples": {str(i): samples.get(i) for i in sorted(wanted)},
                "revisions": {str(i): revisions.get(i, []) for i in sorted(wanted)},
                "reviews": package.reviews,
            }
        )
    ).hexdigest()
    return package


def verify_package(project: Project, package: Package) -> dict[str, Any]:
    """Check a package against the lead's project; returns its batch, raises :class:`PackageError`."""
    name, manifest = package.path.name, package.manifest
    project_id, key = project_identity(project)
    if manifest["project_id"] != project_id:
        raise PackageError(
            f"{name}: a work package of another project ({manifest.get('project_name', '?')}, "
            f"id {manifest['project_id']}), not of {project.name}; merge it into the project it came from"
        )
    if not hmac.compare_digest(_sign(key, package.manifest_json.encode()), package.signature):
        raise PackageError(
            f"{name}: tampered with — its manifest (batch, annotator, samples or their base) is not the one "
            f"{project.name} signed when it sent the package; ask {manifest['annotator']} for the original file"
        )
    try:
        batch = find_batch(project, manifest["batch_id"])
    except ProjectError:
        raise PackageError(f"{name}: batch {manifest['batch']} is no longer in {project.name}") from None
    if batch["name"] != manifest["batch"]:
        raise PackageError(f"{name}: batch {manifest['batch']} is no longer in {project.name}")
    ids = [entry["id"] for entry in manifest["samples"]]
    gone = sorted(set(ids) - {row[0] for row in _existing(project, ids)})
    if gone:
        raise PackageError(f"{name}: samples {', '.join(map(str, gone[:10]))} are no longer in {project.name}")
    for entry in manifest["samples"]:
        sample_id = entry["id"]
        have = package.samples.get(sample_id)
        history = package.revisions.get(sample_id, [])
        if have is None or not history:
            raise PackageError(f"{name}: tampered with — sample {sample_id} was removed from the package")
        base = next((r for r in history if r["version"] == entry["version"]), None)
        if base is None or content_hash(base["content"]) != entry["content_hash"]:
            raise PackageError(f"{name}: tampered with — the base of sample {sample_id} was changed")
        latest = history[-1]
        if latest["version"] != have["version"] or content_hash(latest["content"]) != content_hash(
            have["state"]["content"]
        ):
            raise PackageError(
                f"{name}: tampered with — sample {sample_id} was changed outside Winnow (its content is not its "
                "latest revision)"
            )
    return batch


def _existing(project: Project, ids: Sequence[int]) -> list[tuple]:
    rows: list[tuple] = []
    for chunk in id_chunks(ids):
        rows.extend(project.db.execute(f"SELECT id FROM samples WHERE id IN ({','.join('?' * len(chunk))})", chunk))
    return rows


# Merging


@dataclass
class MergeReport:
    path: Path
    batch: str = ""
    annotator: str = ""
    applied: int = 0
    same: int = 0
    conflicts: int = 0
    reviews: int = 0
    already_merged: bool = False
    left_out: int = 0
    """Samples the annotator added in the package, which a merge does not take."""
    error: str = ""
    """Why the package was refused ("" when it was merged)."""

    def summary(self) -> str:
        if self.error:
            return f"{self.path.name}: refused: {self.error}"
        if self.already_merged:
            return f"{self.path.name}: batch {self.batch} was merged already; nothing changed"
        return (
            f"{self.path.name}: batch {self.batch} by {self.annotator}: {self.applied} changes taken, "
            f"{self.same} already there, {self.conflicts} to adjudicate, {self.reviews} reviews"
            + (f"; {self.left_out} samples added in the package were left out" if self.left_out else "")
        )


@dataclass
class MergeResult:
    reports: list[MergeReport] = field(default_factory=list)
    changes: Changes = field(default_factory=lambda: Changes("merge_packages"))

    @property
    def refused(self) -> list[MergeReport]:
        return [r for r in self.reports if r.error]

    @property
    def conflicts(self) -> int:
        return sum(r.conflicts for r in self.reports)


def merge_packages(
    project: Project,
    paths: Iterable[str | os.PathLike[str]],
    *,
    progress: Callable[[int], None] | None = None,
    cancelled: Callable[[], bool] | None = None,
) -> MergeResult:
    """Merge returned packages, as one undoable operation; a refused package changes nothing.

    Packages are merged in the order of their batch and when it was sent out, not of ``paths``, so
    the same files give the same project whatever order they are named in.
    """
    result = MergeResult()
    accepted: list[tuple[Package, dict[str, Any], MergeReport]] = []
    for path in paths:
        report = MergeReport(Path(path))
        result.reports.append(report)
        try:
            package = read_package(path)
            batch = verify_package(project, package)
        except PackageError as error:
            report.error = str(error).removeprefix(f"{report.path.name}: ")
            log.info("refused %s: %s", path, error)
            continue
        report.batch, report.annotator, report.left_out = package.batch, package.annotator, package.added
        earlier = project.db.execute(
            "SELECT digest FROM package_merges WHERE export_id = ?", (package.manifest["export_id"],)
        ).fetchone()
        if earlier is not None and earlier[0] != package.digest:
            report.error = _merged_from_another_copy(package)
            continue
        accepted.append((package, batch, report))
    accepted.sort(key=lambda item: _merge_order(item[0]))
    if not accepted:
        return result
    names = ", ".join(sorted({p.batch for p, _, r in accepted}))
    with operation(project, "merge_packages", N_("merge work packages {names}").format(names=names)) as op:
        for done, (package, batch, report) in enumerate(accepted, start=1):
            if cancelled is not None and cancelled():
                raise ProjectError("merge cancelled; nothing was changed")
            _merge_one(op, package, batch, report)
            if progress is not None:
                progress(done)
    result.changes = op.changes
    return result


def _merge_order(package: Package) -> tuple:
    manifest = package.manifest
    return (manifest["batch_id"], manifest.get("exported_at", ""), manifest["export_id"])


def _merge_one(op: Operation, package: Package, batch: dict[str, Any], report: MergeReport) -> None:
    manifest = package.manifest
    earlier = op.conn.execute(
        "SELECT digest FROM package_merges WHERE export_id = ?", (manifest["export_id"],)
    ).fetchone()
    if earlier is not None:
        if earlier[0] == package.digest:
            report.already_merged = True
        else:
            report.error = _merged_from_another_copy(package)
        return
    stamp = now_iso()
    merge_id = op.insert(
        "package_merges",
        {
            "batch_id": batch["id"],
            "export_id": manifest["export_id"],
            "digest": package.digest,
            "annotator": package.annotator,
            "merged_at": stamp,
            "merged_by": op.project.author,
        },
    )
    for entry in sorted(manifest["samples"], key=lambda e: e["id"]):
        _merge_sample(op, package, batch, merge_id, entry, report)
    for review in package.reviews:
        op.insert("reviews", dict(review))
        report.reviews += 1
    op.update(
        "package_merges",
        merge_id,
        {"summary": f"{report.applied} taken, {report.same} already there, {report.conflicts} conflicts"},
    )
    op.update("batches", batch["id"], {"state": "merged", "merged_at": stamp})


def _merged_from_another_copy(package: Package) -> str:
    return (
        f"batch {package.batch} was merged already from another copy of this package holding different work; "
        "nothing was changed (send the batch out again to take more work)"
    )


def _merge_sample(
    op: Operation, package: Package, batch: dict[str, Any], merge_id: int, entry: dict[str, Any], report: MergeReport
) -> None:
    sample_id, base_version = entry["id"], entry["version"]
    returned = package.samples[sample_id]["state"]
    if state_hash(returned) == entry["state_hash"]:
        return  # untouched in the package
    history = [r for r in package.revisions[sample_id] if r["version"] > base_version]
    base_content = next(r for r in package.revisions[sample_id] if r["version"] == base_version)["content"]
    base = state_of(base_content, entry["label"], entry["rating"], entry["status"])
    row = op.conn.execute(
        "SELECT content, label, rating, status, deleted FROM samples WHERE id = ?", (sample_id,)
    ).fetchone()
    if row is None:
        raise PackageError(f"{package.path.name}: sample {sample_id} is no longer in the project")
    current = state_of(*row[:4])
    open_conflict = op.conn.execute(
        "SELECT id FROM conflicts WHERE sample_id = ? AND state = 'open'", (sample_id,)
    ).fetchone()
    author = history[-1]["author"] if history else package.annotator
    if open_conflict is not None:
        outcome = "conflict"
        _add_version(op, open_conflict[0], sample_id, batch["id"], author, returned)
    elif state_hash(current) == state_hash(returned):
        outcome = "same"
    elif state_hash(current) == entry["state_hash"]:
        outcome = "applied"
        _apply(op, sample_id, returned, history, package.batch)
    else:
        outcome = "conflict"
        _open_conflict(op, sample_id, base, entry["state_hash"], current, batch["id"], author, returned)
    op.insert(
        "package_changes",
        {
            "merge_id": merge_id,
            "batch_id": batch["id"],
            "sample_id": sample_id,
            "base_hash": entry["state_hash"],
            "state": orjson.dumps(returned).decode(),
            "author": author,
            "history": orjson.dumps(history).decode(),
            "outcome": outcome,
        },
    )
    if outcome == "applied":
        report.applied += 1
    elif outcome == "same":
        report.same += 1
    else:
        report.conflicts += 1


def _apply(op: Operation, sample_id: int, state: dict[str, Any], history: list[dict[str, Any]], batch: str) -> None:
    """Take a package's revisions (renumbered after the lead's) and its label, rating and status."""
    content_json, version = op.conn.execute(
        "SELECT content, version FROM samples WHERE id = ?", (sample_id,)
    ).fetchone()
    changed = orjson.loads(content_json) != state["content"]
    if changed:
        record_first_revision(op, sample_id, content_json, version)
        for revision in history:
            version += 1
            op.insert(
                "revisions",
                {
                    "sample_id": sample_id,
                    "version": version,
                    "content": orjson.dumps(revision["content"]).decode(),
                    "author": revision["author"],
                    "reason": _reason(revision["reason"], f"work package {batch}"),
                    "created_at": revision["created_at"],
                },
            )
        op.update("samples", sample_id, {"content": orjson.dumps(state["content"]).decode(), "version": version})
    _set_fields(op, sample_id, state, changed)


def _set_fields(op: Operation, sample_id: int, state: dict[str, Any], changed: bool = False) -> None:
    values = {"label": state["label"], "rating": state["rating"], "status": state["status"]}
    if op.update("samples", sample_id, values) or changed:
        op.update("samples", sample_id, {"updated_at": now_iso()})


def _reason(reason: str, where: str) -> str:
    return f"{reason} ({where})" if reason else where


def _open_conflict(
    op: Operation,
    sample_id: int,
    base: dict[str, Any],
    base_hash: str,
    current: dict[str, Any],
    batch_id: int,
    author: str,
    returned: dict[str, Any],
) -> None:
    """The lead's copy changed since the package left: keep every version for adjudication."""
    # Versions of packages from the same base, except those an adjudication of this sample settled
    # already: what the lead decided then is the lead's own version now.
    settled = {
        row[0]
        for row in op.conn.execute(
            "SELECT v.batch_id FROM conflict_versions v JOIN conflicts c ON c.id = v.conflict_id"
            " WHERE c.sample_id = ? AND c.state = 'resolved' AND v.batch_id IS NOT NULL",
            (sample_id,),
        )
    }
    others = [
        row
        for row in op.conn.execute(
            "SELECT batch_id, author, state FROM package_changes WHERE sample_id = ? AND base_hash = ?"
            " ORDER BY batch_id",
            (sample_id, base_hash),
        )
        if row[0] not in settled
    ]
    from_package = any(state_hash(orjson.loads(state)) == state_hash(current) for _, _, state in others)
    conflict_id = op.insert(
        "conflicts", {"sample_id": sample_id, "base": orjson.dumps(base).decode(), "opened_at": now_iso()}
    )
    if not from_package:
        last = op.conn.execute(
            "SELECT author FROM revisions WHERE sample_id = ? ORDER BY version DESC LIMIT 1", (sample_id,)
        ).fetchone()
        _add_version(op, conflict_id, sample_id, None, last[0] if last else op.project.author, current)
    for other_batch, other_author, other_state in others:
        _add_version(op, conflict_id, sample_id, other_batch, other_author, orjson.loads(other_state))
    _add_version(op, conflict_id, sample_id, batch_id, author, returned)
    if from_package:
        # Another package's version is in the lead's copy only because it was merged first: go back
        # to the base, so the order of merging does not decide what the sample holds meanwhile.
        content_json, version = op.conn.execute(
            "SELECT content, version FROM samples WHERE id = ?", (sample_id,)
        ).fetchone()
        changed = orjson.loads(content_json) != base["content"]
        if changed:
            op.insert(
                "revisions",
                {
                    "sample_id": sample_id,
                    "version": version + 1,
                    "content": orjson.dumps(base["content"]).decode(),
                    "author": op.project.author,
                    "reason": f"back to the version sent out: conflict {conflict_id} waits for adjudication",
                    "created_at": now_iso(),
                },
            )
            op.update("samples", sample_id, {"content": orjson.dumps(base["content"]).decode(), "version": version + 1})
        _set_fields(op, sample_id, base, changed)


def _add_version(
    op: Operation, conflict_id: int, sample_id: int, batch_id: int | None, author: str, state: dict[str, Any]
) -> None:
    exists = op.conn.execute(
        "SELECT 1 FROM conflict_versions WHERE conflict_id = ? AND batch_id IS ?", (conflict_id, batch_id)
    ).fetchone()
    if exists:
        return
    op.insert(
        "conflict_versions",
        {
            "conflict_id": conflict_id,
            "sample_id": sample_id,
            "batch_id": batch_id,
            "author": author,
            "state": orjson.dumps(state).decode(),
        },
    )


# The annotator's side


def package_manifest(project: Project) -> dict[str, Any] | None:
    """The manifest when ``project`` is a work package (opened by the annotator), else None."""
    row = project.db.execute("SELECT value FROM project WHERE key = 'package_manifest'").fetchone()
    return orjson.loads(row[0]) if row else None


def open_project_file(
    path: str | os.PathLike[str], *, author: str | None = None, read_only: bool = False, lock: bool = False
) -> Project:
    """Open a project or a work package; in a package, changes are recorded as its annotator's.

    ``read_only`` and ``lock`` as in :meth:`Project.open` (the GUI locks what it opens)."""
    project = Project.open(path, author=author, read_only=read_only, lock=lock)
    if author is None:
        manifest = package_manifest(project)
        if manifest is not None:
            project.author = manifest["annotator"]
    return project
