"""Near-duplicate detection: MinHash signatures and LSH banding in numpy, checked exactly.

Samples are read in id order, a batch at a time. Each sample's text (every string of its content,
as the search index sees it, without spaces and punctuation, case-folded) becomes the set of its
character 5-grams, the usual unit for Chinese text, each hashed to 32 bits. Its MinHash signature
(``NUM_PERM`` multiply-shift hashes ``(a·x + b) >> 32`` over 64 bits, ``a`` odd: as good as
datasketch's ``mod (2^61 - 1)`` for minima, and 3x faster in numpy)
is cut into ``b`` bands of ``r`` values; two samples sharing a band are candidates (the usual LSH
S-curve, ``b`` and ``r`` chosen for the threshold). A candidate counts only if the exact Jaccard
similarity of the two 5-gram sets reaches the threshold. A near-duplicate is flagged
``near_duplicate`` with the sample it repeats; the first of a group (lowest id, usually the one
imported first) stays unflagged. Nothing is deleted: the flag excludes (``--where
flag!=near_duplicate``), and an ignore or an undo brings a sample back.

Why not datasketch's ``MinHash`` and ``MinHashLSH`` objects: one Python object and a dict entry a
band per sample cost ~400 µs and ~5 KB a sample (560 MB at 100,000 samples, measured, so ~5 GB at a
million), and datasketch pulls in scipy (113 MB) for its band parameters. Here the signatures are
computed for a chunk of samples in one numpy expression and the band keys are kept in numpy arrays
(8 bytes a band a sample): memory ~100 MB per million samples. See tests/bench/bench_quality.py.
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import cache

import numpy as np
import orjson

from app.i18n import N_, _, ngettext
from app.quality.flags import NEAR_DUPLICATE
from app.records import searchable_text
from app.store.ops import Changes, operation
from app.store.project import Project, ProjectError
from app.store.query import SampleFilter, iter_content_batches, where_clause

SHINGLE = 5
NUM_PERM = 128
DEFAULT_THRESHOLD = 0.8
SEED = 1
# Earlier samples of a shared band a sample is compared with exactly: a big group of copies needs
# only its first few to find the one every copy repeats.
ANCHORS = 3
# Samples whose signatures are computed in one numpy expression: shingles x NUM_PERM x 8 bytes,
# ~40 MB for 256 samples of 500 characters.
CHUNK = 256

_NOISE = re.compile(r"[\s\W_]+")
_MAX32 = np.uint64((1 << 32) - 1)
# Multipliers of the rolling 5-gram hash (odd 64-bit constants) and of the band key.
_ROLL = np.array(
    [0x9E3779B97F4A7C15, 0xC2B2AE3D27D4EB4F, 0x165667B19E3779F9, 0xD6E8FEB86659FD93, 0xFF51AFD7ED558CCD],
    dtype=np.uint64,
)


class DedupCancelled(ProjectError):
    """The user stopped the search: no flag was changed."""


@dataclass
class DedupReport:
    scanned: int = 0
    pairs: list[tuple[int, int, float]] = field(default_factory=list)
    """``(duplicate, kept, similarity)``, the duplicate's id ascending."""
    candidates: int = 0
    """Pairs LSH proposed and the exact check looked at."""
    flagged: int = 0
    unflagged: int = 0
    seconds: float = 0.0
    changes: Changes | None = None


def normalized(text: str) -> str:
    return _NOISE.sub("", text).casefold()


def shingle_hashes(text: str, size: int = SHINGLE) -> np.ndarray:
    """The sorted, distinct 32-bit hashes of a text's character ``size``-grams (of the text itself
    when it is shorter), after :func:`normalized`. Empty for a text with no letters."""
    text = normalized(text)
    if not text:
        return np.empty(0, dtype=np.uint64)
    codes = np.frombuffer(text.encode("utf-32-le"), dtype=np.uint32).astype(np.uint64)
    if len(codes) < size:
        codes = np.concatenate([codes, np.zeros(size - len(codes), dtype=np.uint64)])
    n = len(codes) - size + 1
    with np.errstate(over="ignore"):
        rolled = codes[:n] * _ROLL[0]
        for k in range(1, size):
            rolled = rolled + codes[k : k + n] * _ROLL[k]
        rolled ^= rolled >> np.uint64(29)
        rolled *= _ROLL[4]
        rolled ^= rolled >> np.uint64(32)
    return np.unique(rolled & _MAX32)


def jaccard(a: np.ndarray, b: np.ndarray) -> float:
    if not len(a) or not len(b):
        return 0.0
    inter = len(np.intersect1d(a, b, assume_unique=True))
    return inter / (len(a) + len(b) - inter)


@cache
def permutations(num_perm: int = NUM_PERM, seed: int = SEED) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.RandomState(seed)
    a = rng.randint(0, np.iinfo(np.uint64).max, size=num_perm, dtype=np.uint64) | np.uint64(1)
    b = rng.randint(0, np.iinfo(np.uint64).max, size=num_perm, dtype=np.uint64)
    return a, b


def signatures(sets: list[np.ndarray], num_perm: int = NUM_PERM) -> np.ndarray:
    """MinHash signatures (``len(sets)`` x ``num_perm``, uint64) of non-empty hash sets."""
    a, b = permutations(num_perm)
    lengths = np.fromiter((len(s) for s in sets), dtype=np.int64, count=len(sets))
    starts = np.concatenate([[0], np.cumsum(lengths)[:-1]])
    values = np.concatenate(sets)[None, :]
    with np.errstate(over="ignore"):
        # One row a hash function: each sample's shingles are a contiguous run of every row.
        permuted = (a[:, None] * values + b[:, None]) >> np.uint64(32)
    return np.minimum.reduceat(permuted, starts, axis=1).T


@cache
def band_parameters(threshold: float, num_perm: int = NUM_PERM) -> tuple[int, int]:
    """``(b, r)`` with ``b·r ≤ num_perm`` whose S-curve ``1 - (1 - s^r)^b`` best separates pairs below
    and above ``threshold``: missing a pair weighs 9x a false candidate (the exact check drops those)."""
    s = np.linspace(0.0, 1.0, 1001)
    best, best_cost = (1, num_perm), float("inf")
    for bands in range(1, num_perm + 1):
        for rows in range(1, num_perm // bands + 1):
            p = 1.0 - (1.0 - s**rows) ** bands
            false_positive = np.trapezoid(np.where(s < threshold, p, 0.0), s)
            false_negative = np.trapezoid(np.where(s >= threshold, 1.0 - p, 0.0), s)
            cost = 0.1 * false_positive + 0.9 * false_negative
            if cost < best_cost:
                best, best_cost = (bands, rows), cost
    return best


def _band_keys(signature: np.ndarray, bands: int, rows: int) -> np.ndarray:
    """One 64-bit key per band and sample (n x bands)."""
    n = signature.shape[0]
    cut = signature[:, : bands * rows].reshape(n, bands, rows)
    weights = permutations(rows, SEED + 1)[0]
    with np.errstate(over="ignore"):
        return (cut * weights).sum(axis=2, dtype=np.uint64)


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
        raise ProjectError(_("--threshold must be above 0 and at most 1, not {threshold}").format(threshold=threshold))
    report = DedupReport()
    started = time.perf_counter()
    bands, rows = band_parameters(threshold, num_perm)
    id_parts: list[np.ndarray] = []
    key_parts: list[np.ndarray] = []
    for batch_rows in iter_content_batches(project, flt, batch=batch):
        if cancelled and cancelled():
            raise DedupCancelled(
                ngettext(
                    "near-duplicate search stopped after {n} sample; nothing was flagged",
                    "near-duplicate search stopped after {n} samples; nothing was flagged",
                    report.scanned,
                ).format(n=report.scanned)
            )
        ids: list[int] = []
        sets: list[np.ndarray] = []
        for sample_id, _kind, _source, content in batch_rows:
            hashes = shingle_hashes(searchable_text(orjson.loads(content)))
            if len(hashes):
                ids.append(sample_id)
                sets.append(hashes)
        for start in range(0, len(sets), CHUNK):
            key_parts.append(_band_keys(signatures(sets[start : start + CHUNK], num_perm), bands, rows))
        id_parts.append(np.array(ids, dtype=np.int64))
        report.scanned += len(batch_rows)
        if progress:
            progress(report.scanned)
    if not key_parts:
        report.seconds = time.perf_counter() - started
        return report
    all_ids = np.concatenate(id_parts)
    keys = np.concatenate(key_parts)
    del key_parts, id_parts
    candidates = _candidates(all_ids, keys)
    report.candidates = sum(len(v) for v in candidates.values())
    report.pairs = _confirm(project, candidates, threshold, cancelled)
    report.seconds = time.perf_counter() - started
    return report


def _candidates(ids: np.ndarray, keys: np.ndarray) -> dict[int, set[int]]:
    """For each sample sharing a band with earlier ones: the first few of those (ids ascending)."""
    found: dict[int, set[int]] = {}
    for band in range(keys.shape[1]):
        column = keys[:, band]
        order = np.argsort(column, kind="stable")  # equal keys stay in id order
        ordered = column[order]
        starts = np.flatnonzero(np.concatenate([[True], ordered[1:] != ordered[:-1]]))
        ends = np.concatenate([starts[1:], [len(ordered)]])
        for start, end in zip(starts[ends - starts > 1], ends[ends - starts > 1], strict=True):
            group = ids[order[start:end]].tolist()
            for i in range(1, len(group)):
                found.setdefault(group[i], set()).update(group[: min(i, ANCHORS)])
    return found


def _confirm(
    project: Project, candidates: dict[int, set[int]], threshold: float, cancelled: Callable[[], bool] | None
) -> list[tuple[int, int, float]]:
    """Check candidates exactly, in id order: a sample repeats the first kept candidate (or the
    sample a candidate repeats) that is similar enough."""
    cache: dict[int, np.ndarray] = {}

    def hashes(sample_id: int) -> np.ndarray:
        got = cache.get(sample_id)
        if got is None:
            row = project.db.execute("SELECT content FROM samples WHERE id = ?", (sample_id,)).fetchone()
            got = shingle_hashes(searchable_text(orjson.loads(row[0]))) if row else np.empty(0, dtype=np.uint64)
            if len(cache) > 20000:
                cache.clear()
            cache[sample_id] = got
        return got

    repeats: dict[int, tuple[int, float]] = {}
    pairs: list[tuple[int, int, float]] = []
    for n, sample_id in enumerate(sorted(candidates)):
        if cancelled and n % 1000 == 0 and cancelled():
            raise DedupCancelled("near-duplicate search stopped; nothing was flagged")
        anchors = sorted({repeats[a][0] if a in repeats else a for a in candidates[sample_id]})
        for anchor in anchors:
            similarity = jaccard(hashes(sample_id), hashes(anchor))
            if similarity >= threshold:
                repeats[sample_id] = (anchor, similarity)
                pairs.append((sample_id, anchor, round(similarity, 3)))
                break
    return pairs


def mark_near_duplicates(project: Project, flt: SampleFilter, pairs: list[tuple[int, int, float]]) -> Changes:
    """Flag ``pairs``' duplicates and clear older ``near_duplicate`` flags in ``flt`` that no longer hold,
    as one undoable operation. Samples whose flag a person ignored are left alone."""
    where, params = where_clause(flt)
    summary = N_("flag {n} near-duplicates").format(n=len(pairs))
    with operation(project, "mark_near_duplicates", summary) as op:
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
        wanted = {
            dup: N_("near-duplicate of sample {id} (similarity {similarity})").format(id=kept, similarity=f"{sim:.2f}")
            for dup, kept, sim in pairs
        }
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
