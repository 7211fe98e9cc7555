"""Opening, creating and closing a project file: one SQLite database per project."""

from __future__ import annotations

import getpass
import logging
import os
import sqlite3
from datetime import UTC, datetime
from pathlib import Path
from types import TracebackType

import orjson
from sqlite_utils import Database

import app
from app.quality import triggers as quality_triggers
from app.records import searchable_text
from app.store import schema

log = logging.getLogger("winnow.store")

PROJECT_SUFFIX = ".winnow"


class ProjectError(Exception):
    """A project cannot be opened or changed; the message is for the user."""


class NewerProjectError(ProjectError):
    """The file was written by a newer Winnow: opening it here could damage it."""


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


def _connect(path: Path) -> Database:
    db = Database(path)
    conn = db.conn
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

    def __init__(self, path: Path, db: Database, author: str) -> None:
        self.path = path
        self.db = db
        self.author = author

    @classmethod
    def create(
        cls, path: str | os.PathLike[str], *, name: str | None = None, author: str | None = None
    ) -> Project:
        target = Path(path)
        if target.exists():
            raise ProjectError(f"{target}: a file of that name already exists; choose another name")
        if not target.parent.is_dir():
            raise ProjectError(f"{target.parent}: no such folder")
        project = cls._open_database(target, author)
        with project.db.atomic():
            project.db.execute(
                "INSERT INTO project(key, value) VALUES ('name', ?), ('created_at', ?), ('created_by', ?)",
                [name or target.stem, now_iso(), f"winnow {app.__version__}"],
            )
        return project

    @classmethod
    def open(cls, path: str | os.PathLike[str], *, author: str | None = None) -> Project:
        target = Path(path)
        if not target.exists():
            raise ProjectError(f"{target}: no such project; create it with `winnow init {target}`")
        if target.is_dir():
            raise ProjectError(f"{target}: is a folder, not a project file")
        return cls._open_database(target, author)

    @classmethod
    def _open_database(cls, path: Path, author: str | None) -> Project:
        try:
            db = _connect(path)
            newer = schema.unknown_applied_migrations(db)
        except sqlite3.DatabaseError as error:
            raise ProjectError(f"{path}: not a Winnow project ({error})") from error
        if newer:
            db.close()
            raise NewerProjectError(
                f"{path}: written by a newer version of Winnow (it has changes {', '.join(newer)} "
                f"that winnow {app.__version__} does not know); update Winnow to open it"
            )
        if db.table_names() and "project" not in db.table_names() and not schema.migrations.applied(db):
            db.close()
            raise ProjectError(f"{path}: an SQLite file, but not a Winnow project")
        try:
            schema.migrations.apply(db)
        except sqlite3.DatabaseError as error:
            db.close()
            raise ProjectError(f"{path}: cannot update the project file: {error}") from error
        return cls(path, db, author or default_author())

    @property
    def name(self) -> str:
        row = self.db.execute("SELECT value FROM project WHERE key = 'name'").fetchone()
        return row[0] if row else self.path.stem

    def close(self) -> None:
        try:
            # Fold the WAL back so the project is one self-contained file when closed.
            self.db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        except sqlite3.Error as error:  # another process still reading: harmless
            log.debug("checkpoint on close skipped: %s", error)
        self.db.close()

    def __enter__(self) -> Project:
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()
