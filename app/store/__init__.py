"""The project store: one SQLite file per project (see :mod:`app.store.schema`).

- :mod:`app.store.project` opens, creates and migrates a project file;
- :mod:`app.store.actions` holds every named mutation (each undoable, each returning ``Changes``);
- :mod:`app.store.ops` records operations and replays them for undo/redo;
- :mod:`app.store.query` reads: filters, full-text search, samples, statistics.
"""

import sys


def _import_sqlite_utils_without_numpy() -> None:
    """Import sqlite-utils without the numpy it loads whenever numpy is installed (~0.1 s, a tenth of
    the window's start) only to store numpy values, which Winnow never inserts. numpy itself stays
    importable for the code that uses it (near-duplicate detection)."""
    if "sqlite_utils" in sys.modules or "numpy" in sys.modules:
        return
    sys.modules["numpy"] = None  # type: ignore[assignment]  # makes `import numpy` fail inside sqlite-utils
    try:
        import sqlite_utils  # noqa: F401
    finally:
        del sys.modules["numpy"]


_import_sqlite_utils_without_numpy()

from app.store.ops import Changes, UndoError, can_redo, can_undo, redo, undo  # noqa: E402
from app.store.project import NewerProjectError, Project, ProjectError  # noqa: E402

__all__ = [
    "Changes",
    "NewerProjectError",
    "Project",
    "ProjectError",
    "UndoError",
    "can_redo",
    "can_undo",
    "redo",
    "undo",
]
