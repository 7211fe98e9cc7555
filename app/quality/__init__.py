"""Chinese QA checks, near-duplicates and Traditional → Simplified (issue 6). Pure Python, no Qt.

- :mod:`app.quality.checks`: the checks, from a sample's content to findings (what and where);
- :mod:`app.quality.script`: Simplified vs Traditional through OpenCC;
- :mod:`app.quality.triggers`: the SQL functions the store's triggers call on every content change
  (schema ``0005_quality_checks``), so flags follow edits, drafts, undo and redo by themselves;
- :mod:`app.quality.flags`: re-checking a project in batches, ignoring a flag (undoable), a sample's flags;
- :mod:`app.quality.dedup`: near-duplicates by MinHash LSH, flagged, never deleted;
- :mod:`app.quality.normalize`: Traditional → Simplified as one undoable operation.

This module imports nothing: the store imports :mod:`app.quality.triggers` when a project opens.
"""
