"""Opening, creating and closing a project file: one SQLite database per project."""

from __future__ import annotations

import getpass
import logging
import os
import socket
import sqlite3
from datetime import UTC, datetime
from pathlib import Path
from types import TracebackType

import orjson
from sqlite_utils import Database

import app
from app.i18n import _
from app.quality import triggers as quality_triggers
from app.records import searchable_text
from app.store import schema

log = logging.getLogger("winnow.store")

PROJECT_SUFFIX = ".winnow"


class ProjectError(Exception):
    """A project cannot be opened or changed; the message is for the user."""


class NewerProjectError(ProjectError):
    """The file was written by a newer Winnow: opening it here could damage it."""


class CorruptProjectError(ProjectError):
    """The file is damaged (not a database, or SQLite finds it malformed); a backup may bring it back."""


class ProjectLockedError(ProjectError):
    """Another Winnow has the project open for writing; it can still be opened read-only."""

    def __init__(self, message: str, holder: dict[str, object]) -> None:
        super().__init__(message)
        self.holder = holder


class ReadOnlyProjectError(ProjectError):
    """The file (or its folder) cannot be written; it can still be opened read-only."""


# SQLite's messages for a damaged file (sqlite3.DatabaseError carries no error code in 3.11).
_CORRUPT_MARKERS = ("file is not a database", "malformed", "corrupt")


def now_iso() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


def default_author() -> str:
    """Who the changes are recorded as: ``WINNOW_USER``, else the login name."""
    name = os.environ.get("WINNOW_USER", "").strip()
    if name:
        return name
    try:
        return getpass.getuser()
    except (KeyError, OSError):  # no passwd entry, e.g. in some containers
        return "unknown"


def _connect(path: Path, *, read_only: bool = False) -> Database:
    if read_only:
        # mode=ro: SQLite itself refuses every write. A file on a medium that cannot be written at
        # all (no -shm can be made beside it) still opens as immutable, the way a CD-ROM would.
        uri = path.resolve().as_uri()
        try:
            conn = sqlite3.connect(f"{uri}?mode=ro", uri=True, check_same_thread=False)
            conn.execute("SELECT count(*) FROM sqlite_master").fetchone()
        except sqlite3.OperationalError:
            conn = sqlite3.connect(f"{uri}?immutable=1", uri=True, check_same_thread=False)
        db = Database(conn)
    else:
        db = Database(path)
    conn = db.conn
    if not read_only:
        # Readers get their own connections in WAL mode while the single writer works; NORMAL is
        # durable across application crashes and loses at most the last commit on a power cut.
        conn.execute("PRAGMA journal_mode=WAL")
    conn.execute("PRAGMA synchronous=NORMAL")
    conn.execute("PRAGMA foreign_keys=ON")
    # Another process (the GUI while the CLI imports) may hold the write lock for a while.
    conn.execute("PRAGMA busy_timeout=10000")
    # 64 MiB of page cache: FTS index building and large filters are cache bound.
    conn.execute("PRAGMA cache_size=-65536")
    conn.execute("PRAGMA temp_store=MEMORY")
    _register_functions(conn)
    return db


def _has_text(content_json: str, term: str) -> bool:
    return term.casefold() in searchable_text(orjson.loads(content_json)).casefold()


def _register_functions(conn: sqlite3.Connection) -> None:
    """SQL functions the store's queries use, once per connection (see app.store.query)."""
    # The short-term search re-checks a LIKE hit against the sample's real text (not its JSON keys).
    conn.create_function("winnow_has_text", 2, _has_text, deterministic=True)
    # The QA checks' triggers (schema 0005_quality_checks) call these on every content change.
    quality_triggers.register(conn)


class Project:
    """An open project. Use :meth:`create` or :meth:`open`; close it (or use ``with``)."""

    def __init__(self, path: Path, db: Database, author: str, *, read_only: bool = False) -> None:
        self.path = path
        self.db = db
        self.author = author
        self.read_only = read_only
        """Opened with ``read_only=True``: SQLite refuses every write (another Winnow has it, or the file
        cannot be written)."""
        self._locked = False

    @classmethod
    def create(cls, path: str | os.PathLike[str], *, name: str | None = None, author: str | None = None) -> Project:
        target = Path(path)
        if target.exists():
            raise ProjectError(
                _("{target}: a file of that name already exists; choose another name").format(target=target)
            )
        if not target.parent.is_dir():
            raise ProjectError(_("{parent}: no such folder").format(parent=target.parent))
        project = cls._open_database(target, author)
        with project.db.atomic():
            project.db.execute(
                "INSERT INTO project(key, value) VALUES ('name', ?), ('created_at', ?), ('created_by', ?)",
                [name or target.stem, now_iso(), f"winnow {app.__version__}"],
            )
        return project

    @classmethod
    def open(
        cls,
        path: str | os.PathLike[str],
        *,
        author: str | None = None,
        read_only: bool = False,
        lock: bool = False,
    ) -> Project:
        """Open a project file.

        ``lock``: hold the project for this process (the GUI does; see :mod:`app.store.lock`): a second
        Winnow that asks for the lock gets :class:`ProjectLockedError` naming the first, and may open
        the file ``read_only`` instead. ``read_only``: SQLite refuses every write; no lock is needed.
        A file that cannot be written raises :class:`ReadOnlyProjectError` unless opened read-only.
        """
        target = Path(path)
        if not target.exists():
            raise ProjectError(
                _("{target}: no such project; create it with `winnow init {target}`").format(target=target)
            )
        if target.is_dir():
            raise ProjectError(_("{target}: is a folder, not a project file").format(target=target))
        if read_only:
            return cls._open_read_only(target, author)
        if not _writable(target):
            raise ReadOnlyProjectError(
                _(
                    "{target}: the project file (or its folder) cannot be written; open it read-only "
                    "to look at it, or copy it somewhere you can write"
                ).format(target=target)
            )
        if lock:
            from app.store import lock as project_lock

            project_lock.acquire(target)
            try:
                project = cls._open_database(target, author)
            except BaseException:
                project_lock.release(target)
                raise
            project._locked = True
            return project
        return cls._open_database(target, author)

    @classmethod
    def _open_read_only(cls, path: Path, author: str | None) -> Project:
        try:
            db = _connect(path, read_only=True)
            applied = [m.name for m in schema.migrations.applied(db)]
        except sqlite3.DatabaseError as error:
            raise _damaged(path, error) from error
        known = schema.known_migration_names()
        newer = [name for name in applied if name not in known]
        if newer:
            db.close()
            raise _newer(path, newer)
        if not applied or [name for name in known if name not in set(applied)]:
            db.close()
            raise ProjectError(
                _(
                    "{path}: made by an older Winnow (or not a Winnow project); open it once for writing to update it"
                ).format(path=path)
            )
        return cls(path, db, author or default_author(), read_only=True)

    @classmethod
    def _open_database(cls, path: Path, author: str | None) -> Project:
        try:
            db = _connect(path)
            newer = schema.unknown_applied_migrations(db)
        except sqlite3.DatabaseError as error:
            raise _damaged(path, error) from error
        if newer:
            db.close()
            raise _newer(path, newer)
        if db.table_names() and "project" not in db.table_names() and not schema.migrations.applied(db):
            db.close()
            raise ProjectError(_("{path}: an SQLite file, but not a Winnow project").format(path=path))
        try:
            schema.migrations.apply(db)
        except sqlite3.DatabaseError as error:
            db.close()
            if _is_corruption(error):
                raise _damaged(path, error) from error
            raise ProjectError(
                _("{path}: cannot update the project file: {error}").format(path=path, error=error)
            ) from error
        return cls(path, db, author or default_author())

    @property
    def name(self) -> str:
        row = self.db.execute("SELECT value FROM project WHERE key = 'name'").fetchone()
        return row[0] if row else self.path.stem

    def close(self) -> None:
        if not self.read_only:
            try:
                # Fold the WAL back so the project is one self-contained file when closed.
                self.db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
            except sqlite3.Error as error:  # another process still reading: harmless
                log.debug("checkpoint on close skipped: %s", error)
        self.db.close()
        if self._locked:
            from app.store import lock as project_lock

            self._locked = False
            project_lock.release(self.path)

    def __enter__(self) -> Project:
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()


def _writable(path: Path) -> bool:
    """Whether this process can write the file and make its WAL beside it (root passes permission checks,
    but not a read-only mount)."""
    if not (os.access(path, os.W_OK) and os.access(path.parent, os.W_OK)):
        return False
    try:
        return not os.statvfs(path).f_flag & os.ST_RDONLY
    except (AttributeError, OSError):  # no statvfs (Windows): the access checks above decide
        return True


def _is_corruption(error: sqlite3.DatabaseError) -> bool:
    text = str(error).lower()
    return any(marker in text for marker in _CORRUPT_MARKERS)


def _has_sqlite_header(path: Path) -> bool:
    try:
        with path.open("rb") as handle:
            return handle.read(16) == b"SQLite format 3\x00"
    except OSError:
        return False


def _newer(path: Path, newer: list[str]) -> NewerProjectError:
    return NewerProjectError(
        _(
            "{path}: written by a newer version of Winnow (it has changes {changes} that "
            "winnow {version} does not know); update Winnow to open it"
        ).format(path=path, changes=", ".join(newer), version=app.__version__)
    )


def _damaged(path: Path, error: sqlite3.DatabaseError) -> ProjectError:
    """A file that starts as SQLite but cannot be read is damaged; any other is not a project at all.
    (A project whose first page was overwritten is both; the backup offer then comes from the name.)"""
    if _is_corruption(error) and (_has_sqlite_header(path) or (path.suffix == PROJECT_SUFFIX and _zeroed(path))):
        return CorruptProjectError(
            _("{path}: the project file is damaged and cannot be read ({error}); restore its latest backup").format(
                path=path, error=error
            )
        )
    return ProjectError(f"{path}: not a Winnow project ({error})")


def _zeroed(path: Path) -> bool:
    """A file whose start was wiped (zeros, as a crashed disk or a sync tool may leave it)."""
    try:
        with path.open("rb") as handle:
            head = handle.read(4096)
    except OSError:
        return False
    return bool(head) and not head.strip(b"\x00")


def lock_holder_text(holder: dict[str, object]) -> str:
    """``pid 123 on host, since 2026-…`` for a message."""
    return f"pid {holder.get('pid', '?')} on {holder.get('host', '?')}, since {holder.get('since', '?')}"


def this_process() -> dict[str, object]:
    return {"pid": os.getpid(), "host": socket.gethostname(), "since": now_iso()}
