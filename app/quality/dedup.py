"""Near-duplicate detection: MinHash signatures and LSH (``datasketch``), checked exactly.

Samples are read in id order, a batch at a time. Each sample's text (every string of its content,
as the search index sees it, without spaces and punctuation) becomes a set of character 5-grams,
the usual unit for Chinese text; its MinHash is looked up in an LSH index of the samples kept so
far. A candidate counts only if the exact Jaccard similarity of the two 5-gram sets reaches the
threshold (LSH alone lets through pairs well below it). A near-duplicate is flagged
``near_duplicate`` with the sample it repeats; the first of a group (lowest id, usually the one
imported first) stays unflagged. Nothing is deleted: the flag excludes, a filter or an export
leaves flagged samples out, and an ignore or an undo brings them back.

Memory: the LSH index holds the kept samples' band keys (about 1 KB a sample with 128
permutations); the signatures themselves are not kept. See tests/bench/bench_quality.py.
"""

from __future__ import annotations

import re
import time
import zlib
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass, field

import orjson

from app.quality.flags import NEAR_DUPLICATE
from app.records import searchable_text
from app.store.ops import Changes, operation
from app.store.project import Project, ProjectError
from app.store.query import SampleFilter, iter_content_batches, where_clause

SHINGLE = 5
NUM_PERM = 128
DEFAULT_THRESHOLD = 0.8
# Candidates checked exactly per sample: a big group of copies needs only a few to match.
MAX_CANDIDATES = 20

_NOISE = re.compile(r"[\s\W_]+")


class DedupCancelled(ProjectError):
    """The user stopped the search: no flag was changed."""


@dataclass
class DedupReport:
    scanned: int = 0
    pairs: list[tuple[int, int, float]] = field(default_factory=list)
    """``(duplicate, kept, similarity)``, the duplicate's id ascending."""
    flagged: int = 0
    unflagged: int = 0
    seconds: float = 0.0
    changes: Changes | None = None


def shingles(text: str, size: int = SHINGLE) -> set[bytes]:
    """Character ``size``-grams of a text without spaces and punctuation (the text itself if shorter)."""
    text = _NOISE.sub("", text).casefold()
    if not text:
        return set()
    if len(text) <= size:
        return {text.encode()}
    return {text[i : i + size].encode() for i in range(len(text) - size + 1)}


def jaccard(a: set[bytes], b: set[bytes]) -> float:
    if not a or not b:
        return 0.0
    inter = len(a & b)
    return inter / (len(a) + len(b) - inter)


def _hash32(data: bytes) -> int:
    # CRC-32 in C: deterministic across runs (Python's hash() is salted per process) and ~20x
    # faster than datasketch's default SHA-1; the MinHash permutations spread it out.
    return zlib.crc32(data)


def find_near_duplicates(
    project: Project,
    flt: SampleFilter = SampleFilter(),
    *,
    threshold: float = DEFAULT_THRESHOLD,
    num_perm: int = NUM_PERM,
    batch: int = 2000,
    progress: Callable[[int], None] | None = None,
    cancelled: Callable[[], bool] | None = None,
) -> DedupReport:
    """The near-duplicate pairs among the samples of ``flt`` (read only)."""
    if not 0.0 < threshold <= 1.0:
        raise ProjectError(f"--threshold must be above 0 and at most 1, not {threshold}")
    from datasketch import MinHash, MinHashLSH  # numpy and scipy: loaded when a search starts

    report = DedupReport()
    started = time.perf_counter()
    # datasketch cannot band for 1.0 (fewer than two bands); the exact check applies the real threshold.
    lsh = MinHashLSH(threshold=min(threshold, 0.95), num_perm=num_perm)
    template = MinHash(num_perm=num_perm, hashfunc=_hash32)
    kept_shingles = _ShingleCache(project)
    for rows in iter_content_batches(project, flt, batch=batch):
        if cancelled and cancelled():
            raise DedupCancelled(f"near-duplicate search stopped after {report.scanned} samples; nothing was flagged")
        for sample_id, _kind, _source, content in rows:
            grams = shingles(searchable_text(orjson.loads(content)))
            report.scanned += 1
            if not grams:
                continue
            signature = template.copy()
            signature.update_batch(list(grams))
            best_id, best = 0, 0.0
            for candidate in sorted(lsh.query(signature))[:MAX_CANDIDATES]:
                similarity = jaccard(grams, kept_shingles.get(candidate))
                if similarity > best:
                    best_id, best = candidate, similarity
            if best_id and best >= threshold:
                report.pairs.append((sample_id, best_id, round(best, 3)))
            else:
                lsh.insert(sample_id, signature, check_duplication=False)
                kept_shingles.put(sample_id, grams)
        if progress:
            progress(report.scanned)
    report.seconds = time.perf_counter() - started
    return report


class _ShingleCache:
    """The 5-gram sets of recently kept samples; older ones are read again from the project."""

    def __init__(self, project: Project, size: int = 4096) -> None:
        self.project = project
        self.size = size
        self.items: OrderedDict[int, set[bytes]] = OrderedDict()

    def put(self, sample_id: int, grams: set[bytes]) -> None:
        self.items[sample_id] = grams
        if len(self.items) > self.size:
            self.items.popitem(last=False)

    def get(self, sample_id: int) -> set[bytes]:
        grams = self.items.get(sample_id)
        if grams is None:
            row = self.project.db.execute("SELECT content FROM samples WHERE id = ?", (sample_id,)).fetchone()
            grams = shingles(searchable_text(orjson.loads(row[0]))) if row else set()
            self.put(sample_id, grams)
        return grams


def mark_near_duplicates(project: Project, flt: SampleFilter, pairs: list[tuple[int, int, float]]) -> Changes:
    """Flag ``pairs``' duplicates and clear older ``near_duplicate`` flags in ``flt`` that no longer hold,
    as one undoable operation. Samples whose flag a person ignored are left alone."""
    where, params = where_clause(flt)
    with operation(project, "mark_near_duplicates", f"flag {len(pairs)} near-duplicates") as op:
        ignored = {
            row[0] for row in op.conn.execute("SELECT sample_id FROM quality_ignores WHERE flag = ?", (NEAR_DUPLICATE,))
        }
        current = dict(
            op.conn.execute(
                f"SELECT f.sample_id, f.detail FROM sample_flags f JOIN samples s ON s.id = f.sample_id"
                f" WHERE f.flag = ? AND {where}",
                [NEAR_DUPLICATE, *params],
            ).fetchall()
        )
        wanted = {dup: f"near-duplicate of sample {kept} (similarity {sim:.2f})" for dup, kept, sim in pairs}
        for sample_id in sorted(set(current) - set(wanted)):
            op.delete("sample_flags", [sample_id, NEAR_DUPLICATE])
        for sample_id, text in sorted(wanted.items()):
            if sample_id in ignored:
                continue
            if sample_id not in current:
                op.insert("sample_flags", {"sample_id": sample_id, "flag": NEAR_DUPLICATE, "detail": text})
            elif current[sample_id] != text:
                op.update("sample_flags", [sample_id, NEAR_DUPLICATE], {"detail": text})
    return op.changes


def dedup(
    project: Project,
    flt: SampleFilter = SampleFilter(),
    *,
    threshold: float = DEFAULT_THRESHOLD,
    batch: int = 2000,
    progress: Callable[[int], None] | None = None,
    cancelled: Callable[[], bool] | None = None,
) -> DedupReport:
    """Find the near-duplicates of ``flt`` and flag them (one undo step). A cancel changes nothing."""
    report = find_near_duplicates(
        project, flt, threshold=threshold, batch=batch, progress=progress, cancelled=cancelled
    )
    report.changes = mark_near_duplicates(project, flt, report.pairs)
    steps = _steps(project, report.changes)
    report.flagged = sum(1 for step in steps if step.get("before") is None)
    report.unflagged = sum(1 for step in steps if step.get("after") is None)
    return report


def _steps(project: Project, changes: Changes) -> list[dict]:
    if changes.operation_id is None:
        return []
    row = project.db.execute("SELECT steps FROM operations WHERE id = ?", (changes.operation_id,)).fetchone()
    return orjson.loads(row[0]) if row else []
