"""Copies of a project file to go back to: taken with ``VACUUM INTO``, restored atomically.

Backups live beside the project, in ``<stem>.backups/``, one file per backup named
``<UTC timestamp>-<reason>.winnow`` so that the name order is the time order and ``ls`` says why
each was taken. The newest :data:`KEEP` of a project are kept.

A backup reads the project through a connection of its own, so it copies the last *committed* state
whatever another connection (the GUI, an import in the CLI) is writing at the time: in WAL mode a
reader is never blocked by the writer and never sees its uncommitted pages. Taking only a path, not
a :class:`Project`, :func:`backup_file` can run in a worker thread while the GUI's connection goes
on writing in its own, and it can be cancelled.
"""

from __future__ import annotations

import contextlib
import errno
import logging
import os
import re
import shutil
import sqlite3
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from app.fsutil import fsync_file
from app.i18n import _
from app.store.project import PROJECT_SUFFIX, Project, ProjectError

log = logging.getLogger("winnow.backup")

# Twenty is a few days of the backups the GUI takes before risky steps (restore, bulk undo, a big
# import), and at a few hundred MB per project file still fits on a laptop disk.
KEEP = 20

_STAMP = "%Y%m%dT%H%M%S%fZ"
_NAME = re.compile(r"^(?P<stamp>\d{8}T\d{12}Z)(?:-(?P<n>\d+))?-(?P<reason>.*)$")
# The reason goes into a file name: keep letters (Chinese too), digits, '-' and '_'.
_UNSAFE = re.compile(r"[^\w-]+")
_MAX_REASON = 40
# SQLite calls the progress handler (which asks whether the backup was cancelled) every this many
# virtual-machine instructions: on a 1.9 GB project VACUUM INTO made about 3,200 calls in 12 s, so a
# cancel is noticed within a few milliseconds and the calls cost nothing measurable.
_CHECK_EVERY = 10_000

# A copy is written as ``.<backup name>.<random>.part`` beside its final name (see :func:`_snapshot`).
_PART = re.compile(r"^\.(?P<name>.+)\.[A-Za-z0-9_]+\.part$")
# A ``.part`` file not written to for this long is a leftover of a process killed mid-copy (or a
# machine switched off), and is removed before the next backup: it can be as big as the project and
# would otherwise fill the disk the next backup needs. A live copy never pauses anywhere near this
# long: VACUUM INTO writes pages all the time (a 1.9 GB project grows its copy every few
# milliseconds), and the fsync after its last write takes seconds even on a slow USB disk. The copies
# this process is writing are never touched, whatever their age (:data:`_writing`); a copy by
# another process (``winnow backup`` beside the GUI) is safe unless it stalled for this long, e.g. a
# laptop suspended mid-copy: then its rename fails and that one backup is reported as failed (on
# Windows the removal fails instead, while the file is open, and the file stays). Never a real backup:
# only hidden ``.part`` names of our backups' form are considered.
STALE_PART_SECONDS = 15 * 60

# The ``.part`` files this process is writing now (from any thread): never stale, whatever their age.
_writing: set[Path] = set()
_writing_lock = threading.Lock()


@dataclass(frozen=True)
class BackupInfo:
    path: Path
    created: datetime
    """When the backup was taken (UTC)."""
    reason: str
    size: int
    """Bytes."""


def backup_dir(project_path: str | os.PathLike[str]) -> Path:
    """Where a project's backups live: ``<stem>.backups`` beside the project file."""
    path = Path(project_path)
    return path.with_name(path.stem + ".backups")


def backup(project: Project, reason: str = "manual", *, keep: int = KEEP) -> Path:
    """Copy the project's last committed state into its backup folder; returns the backup's path.

    Afterwards only the newest ``keep`` backups of the project are left.
    """
    path = backup_file(project.path, reason, keep=keep)
    assert path is not None, "only a cancelled backup has no path"
    return path


def backup_file(
    project_path: str | os.PathLike[str],
    reason: str = "manual",
    *,
    keep: int = KEEP,
    cancelled: Callable[[], bool] | None = None,
) -> Path | None:
    """:func:`backup` by the project file's path, through a connection of its own: safe in a worker
    thread while another connection (the GUI's) writes. Returns the backup's path, or None when
    ``cancelled()`` turned true first; then no file is left behind and nothing is pruned.

    A failure (a full disk) raises :class:`ProjectError` and leaves the earlier backups as they were:
    the copy is written under a temporary name and only pruning after a complete copy removes any.
    Partial copies that killed backups left behind are removed first (:func:`remove_stale_parts`).
    """
    if keep < 1:
        raise ProjectError("keep at least one backup")
    source = Path(project_path)
    target = _new_backup_path(source, reason)
    # Before the copy: a leftover as big as the project could be what leaves no room for it.
    remove_stale_parts(source)
    if not _snapshot(source, target, cancelled or _never):
        log.info("backup of %s cancelled", source)
        return None
    _prune(source, keep)
    log.info("backed up %s to %s", source, target)
    return target


def list_backups(project_path: str | os.PathLike[str]) -> list[BackupInfo]:
    """A project's backups, newest first."""
    folder = backup_dir(project_path)
    if not folder.is_dir():
        return []
    found = []
    for path in folder.glob(f"*{PROJECT_SUFFIX}"):
        match = _NAME.match(path.stem)
        if not match:
            continue  # not ours (a file the user put there): never listed, never pruned
        created = datetime.strptime(match["stamp"], _STAMP).replace(tzinfo=UTC)
        found.append(BackupInfo(path=path, created=created, reason=match["reason"], size=path.stat().st_size))
    found.sort(key=lambda info: info.path.name, reverse=True)
    return found


def remove_stale_parts(project_path: str | os.PathLike[str], *, now: float | None = None) -> list[Path]:
    """Remove the partial copies a killed backup left in the project's backup folder; returns them.

    Removed: hidden ``.<backup name>.<random>.part`` files whose backup name has our form, last
    written more than :data:`STALE_PART_SECONDS` ago, and not being written by this process. See
    :data:`STALE_PART_SECONDS` for why that tells a leftover from a copy in progress.
    """
    folder = backup_dir(project_path)
    if not folder.is_dir():
        return []
    now = time.time() if now is None else now
    with _writing_lock:
        writing = set(_writing)
    removed = []
    for path in folder.glob(".*.part"):
        match = _PART.match(path.name)
        if not match or not _NAME.match(match["name"].removesuffix(PROJECT_SUFFIX)):
            continue  # not one of ours
        if path in writing:
            continue
        try:
            info = path.stat()
            if now - info.st_mtime < STALE_PART_SECONDS:
                continue  # written to lately: another process may be copying still
            path.unlink()
        except OSError as error:  # gone already, or (Windows) open in another process
            log.info("left %s: %s", path, error)
            continue
        log.warning("removed %s, a partial backup left by a backup that did not finish (%d bytes)", path, info.st_size)
        removed.append(path)
    return removed


def restore(project_path: str | os.PathLike[str], backup_path: str | os.PathLike[str], *, keep: int = KEEP) -> Path:
    """Replace the project file with a backup; returns the backup of the replaced state.

    The backup is copied beside the project first and opened as a project there, so a file that is
    not a Winnow project, or was written by a newer Winnow, is refused before anything changes.
    Then the current state is backed up (reason ``before-restore``) and the copy renamed over the
    project in one step: a crash leaves the old project or the restored one, never a mixture.
    Nothing may have the project open meanwhile.
    """
    project = Path(project_path)
    source = Path(backup_path)
    if not source.is_file():
        raise ProjectError(_("{source}: no such backup").format(source=source))
    if not project.is_file():
        raise ProjectError(_("{project}: no such project").format(project=project))
    if source.resolve() == project.resolve():
        raise ProjectError(_("{source}: is the project itself, not a backup of it").format(source=source))
    fd, tmp_name = tempfile.mkstemp(prefix=f".{project.name}.", suffix=".restoring", dir=project.parent)
    os.close(fd)
    staged = Path(tmp_name)
    try:
        try:
            _copy_database(source, staged, replace=False)
        except sqlite3.DatabaseError as error:
            raise ProjectError(
                _("{source}: not a Winnow project ({error}); nothing was restored").format(source=source, error=error)
            ) from error
        if not _has_project_table(staged):
            raise ProjectError(_("{source}: not a Winnow project; nothing was restored").format(source=source))
        # Opening it is the check (a newer version's migrations, or no Winnow tables, are refused)
        # and also brings an older backup up to this version's schema.
        try:
            Project.open(staged).close()
        except ProjectError as error:
            message = str(error).replace(str(staged), str(source))
            raise type(error)(f"{message}; nothing was restored") from error
        _remove_sidecars(staged)
        fsync_file(staged)
        with Project.open(project) as current:
            before = backup(current, "before-restore", keep=keep)
        # The project was closed with a TRUNCATE checkpoint: its WAL is empty. A WAL left beside
        # the new file would be replayed into it, so it goes before the rename.
        _remove_sidecars(project)
        os.replace(staged, project)
        _fsync_dir(project.parent)
    except BaseException:
        _remove_sidecars(staged)
        with contextlib.suppress(FileNotFoundError):
            staged.unlink()
        raise
    log.info("restored %s from %s (previous state in %s)", project, source, before)
    return before


def restore_damaged(project_path: str | os.PathLike[str], backup_path: str | os.PathLike[str]) -> Path:
    """Put a backup in place of a project file that cannot be opened; returns where the damaged file went.

    :func:`restore` backs the current state up first, which a damaged file does not allow; here the
    damaged file (and its -wal/-shm) is kept beside the project as ``<name>.damaged-<stamp>`` instead,
    for whoever wants to try to rescue more of it, and the backup is restored as :func:`restore` does.
    """
    project = Path(project_path)
    if not Path(backup_path).is_file():
        raise ProjectError(_("{backup_path}: no such backup").format(backup_path=backup_path))
    stamp = datetime.now(UTC).strftime(_STAMP)
    aside = project.with_name(f"{project.name}.damaged-{stamp}")
    os.replace(project, aside)
    for suffix in ("-wal", "-shm"):
        sidecar = project.with_name(project.name + suffix)
        if sidecar.exists():
            os.replace(sidecar, aside.with_name(aside.name + suffix))
    try:
        _copy_database(Path(backup_path), project)
        # Opening is the check and brings an older backup up to this version's schema.
        Project.open(project).close()
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            project.unlink()
        os.replace(aside, project)
        raise
    _fsync_dir(project.parent)
    log.warning("restored damaged %s from %s (damaged file kept as %s)", project, backup_path, aside)
    return aside


# --- helpers ------------------------------------------------------------------------------------


def _slug(reason: str) -> str:
    slug = _UNSAFE.sub("-", reason.strip()).strip("-")[:_MAX_REASON]
    return slug or "manual"


def _new_backup_path(project_path: Path, reason: str) -> Path:
    folder = backup_dir(project_path)
    folder.mkdir(parents=True, exist_ok=True)
    stamp = datetime.now(UTC).strftime(_STAMP)
    slug = _slug(reason)
    target = folder / f"{stamp}-{slug}{PROJECT_SUFFIX}"
    n = 1
    while target.exists():  # the clock did not move (coarse timers): number the second one
        n += 1
        target = folder / f"{stamp}-{n}-{slug}{PROJECT_SUFFIX}"
    return target


def _never() -> bool:
    return False


def _snapshot(source: Path, target: Path, cancelled: Callable[[], bool]) -> bool:
    """Write the last committed state of ``source`` to ``target`` (through a temporary ``.part`` file
    beside it, renamed when complete and synced); False when ``cancelled()`` turned true first.

    ``VACUUM INTO`` rather than the online backup API, because a backup in the background must be
    both consistent and cancellable, and only this gives both:

    - it is one statement in one read transaction, so the copy is the snapshot at its start (SQLite
      documents the output as "a consistent snapshot of the original database") while the GUI goes
      on committing: in WAL mode its new pages go to the WAL, which this reader does not look at;
    - it runs the progress handler, so a cancel stops it within milliseconds.

    The backup API is consistent only when it copies everything in one ``step``, which cannot be
    stopped; copied in steps, each commit by another connection restarts it from the first page, so
    a 1 GB copy while someone types might never end. ``VACUUM INTO`` costs about the same (a million
    samples, 1.9 GB: 11–12 s against 9.5–11 s) and writes a defragmented single file in
    rollback-journal mode, with no -wal beside it.
    """
    with _staged_part(target) as staged:
        return _snapshot_into(source, staged, target, cancelled)


def _snapshot_into(source: Path, staged: Path, target: Path, cancelled: Callable[[], bool]) -> bool:
    try:
        # Not ``mode=ro``: a read-only connection cannot create the -shm a WAL database needs when
        # no other connection has it open. This connection only reads.
        src = sqlite3.connect(source)
        try:
            src.set_progress_handler(cancelled, _CHECK_EVERY)
            src.execute("VACUUM INTO ?", (str(staged),))
        finally:
            src.close()
        fsync_file(staged)
        os.replace(staged, target)
        _fsync_dir(target.parent)
    except BaseException as error:
        with contextlib.suppress(FileNotFoundError):
            staged.unlink()
        if isinstance(error, sqlite3.Error) and cancelled():
            return False  # "interrupted": the progress handler said stop
        if _is_disk_full(error, source, target.parent):
            raise ProjectError(
                _(
                    "{folder}: not enough free space on the disk for a backup; none was taken (the earlier "
                    "ones are kept). Free some space"
                ).format(folder=target.parent)
            ) from error
        if isinstance(error, sqlite3.Error):
            raise ProjectError(
                _("{folder}: the backup could not be written ({error}); the earlier ones are kept").format(
                    folder=target.parent, error=error
                )
            ) from error
        raise
    return True


@contextlib.contextmanager
def _staged_part(target: Path) -> Iterator[Path]:
    """A new empty ``.part`` file beside ``target``, known to :func:`remove_stale_parts` as being
    written by this process until the block ends (the caller renames or removes it)."""
    fd, tmp_name = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".part", dir=target.parent)
    os.close(fd)
    staged = Path(tmp_name)
    with _writing_lock:
        _writing.add(staged)
    try:
        yield staged
    finally:
        with _writing_lock:
            _writing.discard(staged)


def _is_disk_full(error: BaseException, source: Path, folder: Path) -> bool:
    if isinstance(error, OSError):
        return error.errno in (errno.ENOSPC, errno.EDQUOT)
    if not isinstance(error, sqlite3.Error):
        return False
    # VACUUM INTO reports a full disk as SQLITE_FULL or, from inside, as a bare SQLITE_IOERR (seen on
    # a full tmpfs): ask the disk. The partial copy is gone by now, so this is the room there was.
    if (getattr(error, "sqlite_errorcode", 0) & 0xFF) not in (sqlite3.SQLITE_FULL, sqlite3.SQLITE_IOERR):
        return False
    try:
        return shutil.disk_usage(folder).free < source.stat().st_size
    except OSError:
        return False


def _copy_database(source: Path, target: Path, *, replace: bool = True) -> None:
    """Copy a database with the online backup API into ``target`` (through a temporary file when
    ``replace``, so a backup never exists half written under its final name)."""
    if not replace:
        _copy_database_into(source, target, target, replace=False)
        return
    with _staged_part(target) as staged:
        _copy_database_into(source, staged, target, replace=True)


def _copy_database_into(source: Path, staged: Path, target: Path, *, replace: bool) -> None:
    try:
        # Not ``mode=ro``: a read-only connection cannot create the -shm a WAL database needs when
        # no other connection has it open. This connection only reads.
        src = sqlite3.connect(source)
        try:
            dst = sqlite3.connect(staged)
            try:
                src.backup(dst)
                # A self-contained single file: no -wal/-shm appear when the backup is listed or copied.
                dst.execute("PRAGMA journal_mode=DELETE")
            finally:
                dst.close()
        finally:
            src.close()
        if replace:
            fsync_file(staged)
            os.replace(staged, target)
    except BaseException:
        if replace:
            with contextlib.suppress(FileNotFoundError):
                staged.unlink()
        raise


def _has_project_table(path: Path) -> bool:
    # An empty file is a valid empty SQLite database; Project.open would make it a new project.
    conn = sqlite3.connect(path)
    try:
        row = conn.execute("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'project'").fetchone()
    except sqlite3.DatabaseError:
        return False
    finally:
        conn.close()
    return row is not None


def _prune(project_path: Path, keep: int) -> None:
    for old in list_backups(project_path)[keep:]:
        with contextlib.suppress(FileNotFoundError):
            old.path.unlink()
        log.info("removed old backup %s", old.path)


def _remove_sidecars(path: Path) -> None:
    for suffix in ("-wal", "-shm", "-journal"):
        with contextlib.suppress(FileNotFoundError):
            path.with_name(path.name + suffix).unlink()


def _fsync_dir(folder: Path) -> None:
    # Makes the rename itself durable; Windows cannot open a folder and does not need it.
    if os.name != "posix":
        return
    fd = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
