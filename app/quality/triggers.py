"""The SQL functions the QA triggers call (schema ``0005_quality_checks``), registered on every
connection a project opens. Nothing here imports the store: the store imports this."""

from __future__ import annotations

import logging
import sqlite3

import orjson

from app.quality.checks import CHECK_NAMES, flags_of

log = logging.getLogger("winnow.quality")

QUALITY_FLAGS = frozenset(CHECK_NAMES)


def quality_json(kind: str, content_json: str | bytes) -> str | None:
    """``{check: detail}`` of a sample as JSON, or None when every check passes.

    Never raises: an exception inside a trigger would abort the user's edit. A check that fails on
    some content is a bug, logged with its traceback; the edit goes through unflagged.
    """
    try:
        found = flags_of(kind, orjson.loads(content_json))
    except Exception:
        log.exception("QA checks failed on a %s sample", kind)
        return None
    return orjson.dumps(found).decode() if found else None


def is_quality_flag(flag: str) -> bool:
    return flag in QUALITY_FLAGS


def register(conn: sqlite3.Connection) -> None:
    conn.create_function("winnow_quality", 2, quality_json, deterministic=True)
    conn.create_function("winnow_is_quality_flag", 1, is_quality_flag, deterministic=True)
