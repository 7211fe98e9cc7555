"""One process runs a job at a time: a byte-range lock per job in ``<project>.jobs.lock``.

The job engine refuses to run a job twice in one process; this keeps a second process (``winnow
resume`` in a terminal while the window runs the same job, or two windows) from running it too,
which would send each of its items twice and pay twice. Byte ``job_id`` of the file is locked for
as long as the job runs (``lockf`` on POSIX, ``msvcrt.locking`` on Windows): the kernel drops the
lock when the process dies however it dies, so a killed run never blocks the next one, and one
small file serves every job of the project.
"""

from __future__ import annotations

import os
import threading
from pathlib import Path

from app.store.project import ProjectError


def lease_path(project_path: str | os.PathLike[str]) -> Path:
    path = Path(project_path)
    return path.with_name(path.name + ".jobs.lock")


_shared: dict[Path, JobLeases] = {}
_shared_guard = threading.Lock()


def leases_for(project_path: str | os.PathLike[str]) -> JobLeases:
    """The process's one :class:`JobLeases` of a project.

    One per process, never closed before the process ends: POSIX drops ALL of a process's locks on a
    file when it closes ANY descriptor of it, so a second engine on the same project closing its own
    descriptor would silently free the first engine's jobs.
    """
    key = lease_path(project_path).resolve()
    with _shared_guard:
        leases = _shared.get(key)
        if leases is None:
            leases = _shared[key] = JobLeases(key)
        return leases


class JobLeases:
    """The job locks this process holds for one project (get it with :func:`leases_for`)."""

    def __init__(self, path: Path) -> None:
        self._path = path
        self._fd: int | None = None
        self._held: set[int] = set()
        self._lock = threading.Lock()

    def acquire(self, job_id: int) -> None:
        """Hold job ``job_id``; ProjectError when another process runs it."""
        with self._lock:
            if job_id in self._held:
                return
            if self._fd is None:
                self._fd = os.open(self._path, os.O_RDWR | os.O_CREAT, 0o644)
            if not _lock_byte(self._fd, job_id):
                raise ProjectError(
                    f"job {job_id} is running in another Winnow on this project; "
                    "pause it there, or wait until it ends, then resume it here"
                )
            self._held.add(job_id)

    def release(self, job_id: int) -> None:
        with self._lock:
            if job_id in self._held and self._fd is not None:
                self._held.discard(job_id)
                _unlock_byte(self._fd, job_id)


def _lock_byte(fd: int, offset: int) -> bool:
    if os.name == "nt":  # pragma: no cover - Windows
        import msvcrt

        os.lseek(fd, offset, os.SEEK_SET)
        try:
            msvcrt.locking(fd, msvcrt.LK_NBLCK, 1)
        except OSError:
            return False
        return True
    import fcntl

    try:
        fcntl.lockf(fd, fcntl.LOCK_EX | fcntl.LOCK_NB, 1, offset, os.SEEK_SET)
    except OSError:
        return False
    return True


def _unlock_byte(fd: int, offset: int) -> None:
    if os.name == "nt":  # pragma: no cover - Windows
        import msvcrt

        os.lseek(fd, offset, os.SEEK_SET)
        msvcrt.locking(fd, msvcrt.LK_UNLCK, 1)
        return
    import fcntl

    fcntl.lockf(fd, fcntl.LOCK_UN, 1, offset, os.SEEK_SET)
