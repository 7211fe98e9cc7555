"""Helpers shared by the work-package tests: a lead project of real records, and a dump to compare."""

from __future__ import annotations

import sqlite3
from pathlib import Path

from app import importer
from app.store import Project

CQIA = "coig_cqia.jsonl"


def lead_project(path: Path, samples_dir: Path) -> Project:
    """A lead's project with the 21 COIG-CQIA records of the shared samples."""
    project = Project.create(path, name="COIG 团队", author="lead")
    importer.import_file(project, samples_dir / CQIA)
    return project


def dump(project: Project, *, index: bool = True) -> dict[str, list]:
    """Every row of every table, to compare before/after. The full-text index's own tables too, unless
    ``index`` is False: after an undo they hold the same entries in other segments."""
    conn: sqlite3.Connection = project.db.conn
    tables = [
        row[0]
        for row in conn.execute(
            "SELECT name FROM sqlite_master WHERE type = 'table' AND sql NOT LIKE 'CREATE VIRTUAL%'"
        )
        if not row[0].startswith("sqlite_") and (index or not row[0].startswith("samples_fts"))
    ]
    return {table: sorted(map(repr, conn.execute(f"SELECT * FROM {table}"))) for table in sorted(tables)}
