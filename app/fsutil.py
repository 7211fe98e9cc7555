"""File-system helpers that keep the user's files whole."""

from __future__ import annotations

import contextlib
import os
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import IO


def _umask() -> int:
    current = os.umask(0)
    os.umask(current)
    return current


@contextlib.contextmanager
def atomic_write(path: str | os.PathLike[str], mode: str = "w", encoding: str | None = "utf-8") -> Iterator[IO]:
    """Write ``path`` through a temporary file beside it, renamed over it only when complete.

    A crash, a kill or a full disk mid-write leaves the old file (or none), never half a file: the
    temporary file is removed on error and the rename is atomic on one file system. The data is
    fsynced before the rename so a power cut cannot leave an empty file under the final name.
    """
    target = Path(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    binary = "b" in mode
    fd, tmp_name = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".part", dir=target.parent)
    # mkstemp makes the file private (0600); an export is shared like any file the user saves.
    os.chmod(tmp_name, 0o666 & ~_umask())
    try:
        with os.fdopen(fd, mode, **({} if binary else {"encoding": encoding, "newline": "\n"})) as handle:
            yield handle
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp_name, target)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp_name)
        raise


def fsync_file(path: Path) -> None:
    """Flush a written file to disk (a power cut right after a rename must not leave it empty).

    Opened for writing: Windows refuses to flush a read-only handle."""
    with path.open("rb+") as handle:
        os.fsync(handle.fileno())
