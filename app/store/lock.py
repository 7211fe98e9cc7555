"""One Winnow at a time writes a project: ``<project>.lock`` beside it, held with an OS advisory lock.

SQLite alone keeps two writers from corrupting the file, but two people (or one person with two
windows) working on the same project at once would undo each other's decisions and fight over undo
history. So an interactive Winnow takes this lock when it opens a project; a second one is told who
has it (pid, host, since when) and may open the file read-only instead.

The lock is an ``flock`` (``msvcrt.locking`` on Windows) on the lock file, not the file's existence:
the kernel drops it when the holding process dies, however it dies, so the lock of a crashed or
killed Winnow is simply taken over by the next one (the stale pid in the file is only logged). The
file stays behind after a clean close too (removing it would race with a second opener).

Within one process the lock is counted: the GUI's own job engine or a second view of the same
project does not lock itself out. Command-line commands do not take it (a data engineer may run
``winnow import`` beside the GUI; SQLite's own locking keeps that safe).
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import threading
from pathlib import Path

from app.i18n import _
from app.store.project import ProjectLockedError, lock_holder_text, this_process

log = logging.getLogger("winnow.store")

_guard = threading.Lock()
_held: dict[str, list[int]] = {}  # resolved project path → [lock file descriptor, open count]


def lock_path(project_path: str | os.PathLike[str]) -> Path:
    path = Path(project_path)
    return path.with_name(path.name + ".lock")


def _try_lock(fd: int) -> bool:
    if os.name == "nt":  # pragma: no cover - Windows
        import msvcrt

        try:
            msvcrt.locking(fd, msvcrt.LK_NBLCK, 1)
        except OSError:
            return False
        return True
    import fcntl

    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        return False
    return True


def _unlock(fd: int) -> None:
    if os.name == "nt":  # pragma: no cover - Windows
        import msvcrt

        os.lseek(fd, 0, os.SEEK_SET)
        with contextlib.suppress(OSError):
            msvcrt.locking(fd, msvcrt.LK_UNLCK, 1)
        return
    import fcntl

    fcntl.flock(fd, fcntl.LOCK_UN)


def read_holder(project_path: str | os.PathLike[str]) -> dict[str, object]:
    """What the lock file says about its holder (empty if it says nothing readable)."""
    try:
        data = json.loads(lock_path(project_path).read_text(encoding="utf-8").strip("\x00"))
    except (OSError, ValueError):
        return {}
    return data if isinstance(data, dict) else {}


def acquire(project_path: str | os.PathLike[str]) -> None:
    """Hold the project for this process; :class:`ProjectLockedError` if another process holds it."""
    key = str(Path(project_path).resolve())
    with _guard:
        if key in _held:
            _held[key][1] += 1
            return
        path = lock_path(project_path)
        fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
        if not _try_lock(fd):
            os.close(fd)
            holder = read_holder(project_path)
            raise ProjectLockedError(
                _(
                    "{path}: the project is open in another Winnow ({holder}); open it read-only, or "
                    "close it there first"
                ).format(path=project_path, holder=lock_holder_text(holder)),
                holder,
            )
        stale = read_holder(project_path)
        if stale.get("pid") and stale.get("pid") != os.getpid():
            log.info("taking over the lock of %s left by %s (no longer running)", project_path, lock_holder_text(stale))
        os.ftruncate(fd, 0)
        os.lseek(fd, 0, os.SEEK_SET)
        if os.name == "nt":  # pragma: no cover - Windows locks byte 0 above; write past it
            os.lseek(fd, 1, os.SEEK_SET)
        os.write(fd, json.dumps(this_process()).encode())
        _held[key] = [fd, 1]


def release(project_path: str | os.PathLike[str]) -> None:
    key = str(Path(project_path).resolve())
    with _guard:
        entry = _held.get(key)
        if entry is None:
            return
        entry[1] -= 1
        if entry[1] > 0:
            return
        del _held[key]
        fd = entry[0]
        with contextlib.suppress(OSError):
            _unlock(fd)
        os.close(fd)


def held_here(project_path: str | os.PathLike[str]) -> bool:
    return str(Path(project_path).resolve()) in _held
