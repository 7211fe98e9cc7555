"""Crash trials: run a real flow in a child process, SIGKILL it at a seeded random moment, check what survived.

Each ``trial_<flow>(workdir, seed, size)`` prepares a project, runs :mod:`tests.reliability.child`, kills
it at ``ready + uniform(0, T)`` where T is the flow's measured running time (so the kill lands anywhere
from the first write to after the last), reopens the project and checks the properties of issue 8.
It returns a :class:`Trial` with each check's outcome; a failed check is also listed in ``failures``.

Everything random comes from ``random.Random(seed)``; the kill moment is random in wall-clock time
too, so a rerun of a seed kills at the same offset, not necessarily at the same row.
"""

from __future__ import annotations

import random
import re
import shutil
import signal
import sqlite3
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import orjson

from app import exporter, importer
from app.packages import assign, workpackage
from app.store import Project, actions, ops, query

REPO = Path(__file__).resolve().parents[2]
STARTUP_TIMEOUT = 60.0


@dataclass
class Trial:
    flow: str
    seed: int
    kill_after: float = 0.0
    """Seconds after the child said ``ready``."""
    killed: bool = False
    """False: the child had finished before the kill moment."""
    saved: int = 0
    """Steps the child reported saved before it died."""
    checks: dict[str, bool] = field(default_factory=dict)
    failures: list[str] = field(default_factory=list)
    note: str = ""

    def check(self, name: str, ok: bool, detail: str = "") -> bool:
        self.checks[name] = self.checks.get(name, True) and bool(ok)
        if not ok:
            self.failures.append(f"{self.flow} seed {self.seed}: {name}" + (f" ({detail})" if detail else ""))
        return bool(ok)

    @property
    def survived(self) -> bool:
        return not self.failures


# --- the child process ------------------------------------------------------------------------------


@dataclass
class ChildRun:
    lines: list[str]
    returncode: int
    stderr: str
    ran_for: float
    """Seconds from ``ready`` to exit (or to the kill)."""

    @property
    def saved_lines(self) -> list[str]:
        return [line for line in self.lines if line.startswith("saved")]


def run_child(
    flow: str,
    args: dict[str, Any],
    kill_after: float | None = None,
    env: dict | None = None,
    kill_when: Callable[[], bool] | None = None,
) -> ChildRun:
    """Run the flow; SIGKILL it ``kill_after`` seconds after ``ready`` (None: let it finish), or as soon
    as ``kill_when()`` is true (polled every millisecond)."""
    import os
    import threading

    environment = {**os.environ, **(env or {})}
    child = subprocess.Popen(
        [sys.executable, "-m", "tests.reliability.child", flow, orjson.dumps(args).decode()],
        cwd=REPO,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=environment,
    )
    lines: list[str] = []
    ready = threading.Event()
    errors: list[str] = []

    def read_out() -> None:
        assert child.stdout is not None
        for line in child.stdout:
            lines.append(line.rstrip("\n"))
            if line.startswith("ready"):
                ready.set()

    def read_err() -> None:
        assert child.stderr is not None
        errors.append(child.stderr.read())

    readers = [
        threading.Thread(target=read_out, name="winnow-reliability-out", daemon=True),
        threading.Thread(target=read_err, name="winnow-reliability-err", daemon=True),
    ]
    for reader in readers:
        reader.start()
    try:
        if not ready.wait(STARTUP_TIMEOUT):
            child.kill()
            child.wait()
            for reader in readers:
                reader.join(10)
            raise AssertionError(f"{flow} child never said ready: {''.join(errors)[-2000:]}")
        started = time.monotonic()
        if kill_when is not None:
            while child.poll() is None and time.monotonic() - started < 120:
                if kill_when():
                    child.send_signal(signal.SIGKILL)
                    break
                time.sleep(0.001)
            child.wait()
        elif kill_after is None:
            child.wait(timeout=300)
        else:
            try:
                child.wait(timeout=kill_after)
            except subprocess.TimeoutExpired:
                child.send_signal(signal.SIGKILL)
                child.wait()
        ran_for = time.monotonic() - started
    finally:
        if child.poll() is None:
            child.kill()
            child.wait()
        for reader in readers:
            reader.join(10)
        for pipe in (child.stdout, child.stderr):
            if pipe is not None:
                pipe.close()
    return ChildRun(lines, child.returncode, "".join(errors), ran_for)


def integrity(path: Path) -> str:
    """``PRAGMA integrity_check`` through a plain connection (it replays the WAL as any open does)."""
    conn = sqlite3.connect(path)
    try:
        return ";".join(row[0] for row in conn.execute("PRAGMA integrity_check"))
    finally:
        conn.close()


def snapshot(project: Project) -> list[tuple]:
    """What a person sees of every sample: content, label, rating, status, version, and its reviews."""
    rows = project.db.execute(
        "SELECT id, content, label, rating, status, version, deleted FROM samples ORDER BY id"
    ).fetchall()
    reviews = Counter(row[0] for row in project.db.execute("SELECT sample_id FROM reviews WHERE sample_id IS NOT NULL"))
    return [(*row, reviews.get(row[0], 0)) for row in rows]


def _kill_moment(rng: random.Random, expected: float) -> float:
    # Uniform over the run, and a little past it: some trials must see the flow finish just before the kill.
    return rng.uniform(0.0, expected * 1.1)


# --- data ---------------------------------------------------------------------------------------------


def alpaca_records(count: int, rng: random.Random, tag: str = "") -> list[dict[str, str]]:
    words = ["数据", "模型", "翻译", "指令", "回答", "质量", "人工", "审核", "训练", "样本", "语料", "标注"]
    return [
        {
            "instruction": f"{tag}第{i}题：请解释「{rng.choice(words)}{rng.choice(words)}」的含义。",
            "input": "" if i % 3 else f"上下文 {i}：" + "".join(rng.choices(words, k=8)),
            "output": f"回答 {i}：" + "，".join(rng.choices(words, k=rng.randint(4, 20))) + "。",
        }
        for i in range(count)
    ]


def write_jsonl(path: Path, records: list[dict]) -> Path:
    path.write_bytes(b"".join(orjson.dumps(r) + b"\n" for r in records))
    return path


def make_project(path: Path, records: list[dict], *, name: str = "可靠性") -> Path:
    source = path.with_suffix(".jsonl")
    write_jsonl(source, records)
    with Project.create(path, name=name, author="lead") as project:
        importer.import_file(project, source, format_name="alpaca")
    source.unlink()
    return path


# --- review decisions ---------------------------------------------------------------------------------


def decisions(seed: int, count: int, sample_ids: list[int]) -> list[dict[str, Any]]:
    """A reviewer's session: verdicts with COIG labels, ratings, status changes and edits, by seed."""
    rng = random.Random(seed)
    out = []
    for number in range(count):
        sample = rng.choice(sample_ids)
        kind = rng.choices(["review", "rating", "status", "edit"], weights=[5, 2, 1, 2])[0]
        step: dict[str, Any] = {"kind": kind, "sample": sample}
        if kind == "review":
            step.update(verdict=rng.choice(["accept", "reject", "needs_fix"]), label=rng.randint(1, 4))
        elif kind == "rating":
            step["rating"] = rng.randint(1, 5)
        elif kind == "status":
            step["status"] = rng.choice(["in_review", "accepted", "rejected", "needs_fix"])
        else:
            step["output"] = f"修改 {number}：" + "".join(rng.choices("审核标注数据质量模型", k=rng.randint(5, 40)))
        out.append(step)
    return out


def apply_decision(project: Project, step: dict[str, Any]) -> None:
    """As the review window does: each decision one named, undoable operation."""
    sample = step["sample"]
    if step["kind"] == "review":
        actions.add_review(project, sample, verdict=step["verdict"], label=step["label"], seconds=3.5)
    elif step["kind"] == "rating":
        actions.set_rating(project, [sample], step["rating"])
    elif step["kind"] == "status":
        actions.set_status(project, [sample], step["status"])
    else:
        content = dict(query.get_sample(project, sample).content)
        content["output"] = step["output"]
        actions.edit_content(project, sample, content, reason="review edit")


# --- the flows ----------------------------------------------------------------------------------------


@dataclass
class Size:
    import_records: int
    review_samples: int
    review_decisions: int
    job_items: int
    export_records: int
    merge_samples: int


CI_SIZE = Size(
    import_records=8_000,
    review_samples=300,
    review_decisions=600,
    job_items=48,
    export_records=40_000,
    merge_samples=600,
)
FULL_SIZE = Size(
    import_records=40_000,
    review_samples=1_000,
    review_decisions=1_500,
    job_items=120,
    export_records=80_000,
    merge_samples=2_000,
)


class Calibration:
    """Per flow: how long its child runs unkilled, measured once per session (and reference outputs)."""

    def __init__(self) -> None:
        self.seconds: dict[str, float] = {}
        self.data: dict[str, Any] = {}


def trial_import(work: Path, seed: int, size: Size, cal: Calibration) -> Trial:
    trial = Trial("import", seed)
    rng = random.Random(seed)
    shared = work.parent / "import-source.jsonl"
    if not shared.exists():
        write_jsonl(shared, alpaca_records(size.import_records, random.Random(0)))
    project_path = work / "import.winnow"
    with Project.create(project_path, author="lead"):
        pass
    args = {"project": str(project_path), "file": str(shared), "format": "alpaca"}
    if "import" not in cal.seconds:
        calibrate = work / "calibrate.winnow"
        Project.create(calibrate).close()
        cal.seconds["import"] = run_child("import", {**args, "project": str(calibrate)}).ran_for
    trial.kill_after = _kill_moment(rng, cal.seconds["import"])
    run = run_child("import", args, trial.kill_after)
    trial.killed = run.returncode == -signal.SIGKILL
    trial.saved = len(run.saved_lines)
    trial.check("integrity_check ok", integrity(project_path) == "ok", integrity(project_path))
    with Project.open(project_path) as project:
        visible = query.count(project)
        whole = visible in (0, size.import_records)
        trial.check("import whole or not at all", whole, f"{visible} of {size.import_records} samples")
        trial.check("a reported import is there", not run.saved_lines or visible == size.import_records)
        if visible:
            ops.undo(project)
            undone = query.count(project)
            ops.redo(project)
            trial.check("undo/redo work", undone == 0 and query.count(project) == size.import_records)
        else:
            # Nothing of it was kept: importing it again works (no half source blocks it as a duplicate).
            report = importer.import_file(project, shared, format_name="alpaca")
            trial.check("import again after the crash", report.imported == size.import_records)
    trial.note = "finished before the kill" if not trial.killed else f"{visible} samples after the kill"
    return trial


def trial_review(work: Path, seed: int, size: Size, cal: Calibration) -> Trial:
    trial = Trial("review", seed)
    rng = random.Random(seed)
    base = work.parent / "review-base.winnow"
    if not base.exists():
        make_project(base, alpaca_records(size.review_samples, random.Random(1)))
    project_path = work / "review.winnow"
    shutil.copyfile(base, project_path)
    with Project.open(project_path) as project:
        ids = query.sample_ids(project)
    args = {"project": str(project_path), "seed": seed, "count": size.review_decisions, "sample_ids": ids}
    if "review" not in cal.seconds:
        calibrate = work / "calibrate.winnow"
        shutil.copyfile(base, calibrate)
        cal.seconds["review"] = run_child("review", {**args, "project": str(calibrate)}).ran_for
    trial.kill_after = _kill_moment(rng, cal.seconds["review"])
    run = run_child("review", args, trial.kill_after)
    trial.killed = run.returncode == -signal.SIGKILL
    reported = len(run.saved_lines)
    trial.saved = reported
    trial.check("integrity_check ok", integrity(project_path) == "ok", integrity(project_path))

    # The same decisions applied in this process to a copy: the state after k, k-1 and k+1 of them.
    steps = decisions(seed, size.review_decisions, ids)
    reference = work / "reference.winnow"
    shutil.copyfile(base, reference)
    states: dict[int, list[tuple]] = {}
    undo_steps: dict[int, int] = {}
    with Project.open(reference) as ref:
        states[0] = _seen(ref)
        for number, step in enumerate(steps[: reported + 1], 1):
            apply_decision(ref, step)
            if number >= reported - 1:
                states[number] = _seen(ref)
                undo_steps[number] = _undo_steps(ref)
    with Project.open(project_path) as project:
        now = _seen(project)
        # Every decision reported saved is there; at most the one being made at the kill is there unreported.
        kept = reported if now == states.get(reported) else reported + 1 if now == states.get(reported + 1) else None
        trial.check("every decision reported saved is there", kept is not None, f"{reported} reported")
        if kept:
            # The history is the reference's, step for step (a decision that changed nothing adds none).
            steps_now = _undo_steps(project)
            trial.check("undo history intact", steps_now == undo_steps[kept], f"{steps_now} vs {undo_steps[kept]}")
            if steps_now and states.get(kept - 1) != states[kept]:
                ops.undo(project)
                after_undo = _seen(project)
                ops.redo(project)
                trial.check(
                    "undo/redo work",
                    after_undo == states.get(kept - 1) and _seen(project) == states[kept],
                    f"k={kept}",
                )
    trial.note = f"{reported} decisions reported saved"
    return trial


def _undo_steps(project: Project) -> int:
    return project.db.execute("SELECT count(*) FROM operations WHERE state = 'done'").fetchone()[0]


def _seen(project: Project) -> list[tuple]:
    return snapshot(project)


SAMPLE_TAG = re.compile(r"\[S(\d+)\]")


def trial_job(work: Path, seed: int, size: Size, cal: Calibration) -> Trial:
    from tests.servers import FakeDeepL, Latency

    trial = Trial("job", seed)
    rng = random.Random(seed)
    project_path = work / "job.winnow"
    records = [
        {
            "instruction": f"[S{i}] Translate the phrase number {i}.",
            "input": f"[S{i}] input text {i}",
            "output": f"[S{i}] The answer is {i}.",
            "trans_instruction": "",
            "trans_input": "",
            "trans_output": "",
        }
        for i in range(size.job_items)
    ]
    source = write_jsonl(work / "job.jsonl", records)
    with Project.create(project_path, author="lead") as project:
        importer.import_file(project, source, format_name="coig-translated")
        ids = query.sample_ids(project)
    with FakeDeepL() as server:
        server.inject(Latency(0.04), path="/v2/translate", times=None)
        args = {"project": str(project_path), "url": server.url, "key": server.key, "sample_ids": ids, "concurrency": 4}
        first_request = len(server.requests)
        if "job" not in cal.seconds:
            calibrate = work / "calibrate.winnow"
            shutil.copyfile(project_path, calibrate)
            cal.seconds["job"] = run_child("job", {**args, "project": str(calibrate)}).ran_for
        first_request = len(server.requests)
        trial.kill_after = _kill_moment(rng, cal.seconds["job"])
        run = run_child("job", args, trial.kill_after)
        trial.killed = run.returncode == -signal.SIGKILL
        arrived_before = len(server.requests)
        trial.check("integrity_check ok", integrity(project_path) == "ok", integrity(project_path))
        with Project.open(project_path) as project:
            job_row = project.db.execute("SELECT id, state FROM jobs ORDER BY id DESC LIMIT 1").fetchone()
            done_at_kill = {
                _sample_of(row[0])
                for row in project.db.execute(
                    "SELECT s.content FROM job_items i JOIN samples s ON s.id = i.sample_id WHERE i.state = 'done'"
                ).fetchall()
            }
        trial.saved = len(done_at_kill)
        # Killed before the job was recorded: starting it again is the resume.
        if job_row and job_row[1] == "done":
            trial.check("a job reported finished is done", True)
        else:
            resumed = run_child("job", {**args, "resume": job_row[0]} if job_row else args)
            trial.check(
                "the job resumes and finishes",
                resumed.returncode == 0 and "done" in " ".join(resumed.lines),
                resumed.stderr[-500:],
            )
        sent = _texts(server.requests[first_request:])
        after = _texts(server.requests[arrived_before:])
    with Project.open(project_path) as project:
        items = project.db.execute("SELECT sample_id, state FROM job_items").fetchall()
        per_sample = Counter(row[0] for row in project.db.execute("SELECT sample_id FROM suggestions"))
    trial.check(
        "every item done",
        len(items) == len(ids) and {s for _, s in items} == {"done"},
        str(Counter(s for _, s in items)),
    )
    trial.check(
        "every item done once",
        sorted(per_sample) == sorted(ids) and set(per_sample.values()) == {1},
        str(Counter(per_sample.values())),
    )
    resent_done = {_sample_of(text) for text in after} & done_at_kill
    trial.check("nothing done before the kill is sent again", not resent_done, f"{sorted(resent_done)[:5]}")
    per_input = Counter(sent)
    trial.check("no input sent more than twice (once before, once after the kill)", max(per_input.values()) <= 2)
    twice = sum(1 for count in per_input.values() if count == 2)
    trial.note = f"{len(done_at_kill)} items done at the kill; {twice} inputs in flight sent again"
    return trial


def _sample_of(text: str) -> int:
    match = SAMPLE_TAG.search(text)
    return int(match.group(1)) if match else -1


def _texts(requests: list) -> list[str]:
    out: list[str] = []
    for request in requests:
        if request.path != "/v2/translate" or request.fault == "Hang":
            continue
        texts = request.body.get("text") if isinstance(request.body, dict) else None
        out.extend([texts] if isinstance(texts, str) else texts or [])
    return out


def trial_export(work: Path, seed: int, size: Size, cal: Calibration, env: dict | None = None) -> Trial:
    trial = Trial("export", seed)
    rng = random.Random(seed)
    base = work.parent / "export-base.winnow"
    if not base.exists():
        make_project(base, alpaca_records(size.export_records, random.Random(2)))
    project_path = work / "export.winnow"
    shutil.copyfile(base, project_path)
    target = work / "release.jsonl"
    if "export" not in cal.data:
        with Project.open(base) as project:
            old_path = work.parent / "export-old.jsonl"
            exporter.export(
                project,
                old_path,
                format_name="alpaca-jsonl",
                dataset_info=False,
                where=query.SampleFilter(ids=tuple(range(1, size.export_records, 2))),
            )
            new_path = work.parent / "export-new.jsonl"
            exporter.export(project, new_path, format_name="alpaca-jsonl", dataset_info=False)
        cal.data["export"] = (old_path.read_bytes(), new_path.read_bytes())
    old, new = cal.data["export"]
    target.write_bytes(old)
    args = {"project": str(project_path), "out": str(target), "format": "alpaca-jsonl"}
    if "export" not in cal.seconds:
        calibrate = work / "calibrate.jsonl"
        cal.seconds["export"] = run_child("export", {**args, "out": str(calibrate)}, env=env).ran_for
    trial.kill_after = _kill_moment(rng, cal.seconds["export"])
    if seed % 2:
        # Odd seeds: at the first sign of the file changing (a build that writes in place dies mid-file).
        before = target.stat()

        def changed() -> bool:
            try:
                now = target.stat()
            except FileNotFoundError:
                return True
            return (now.st_size, now.st_mtime_ns, now.st_ino) != (before.st_size, before.st_mtime_ns, before.st_ino)

        run = run_child("export", args, env=env, kill_when=changed)
        trial.kill_after = run.ran_for
    else:
        run = run_child("export", args, trial.kill_after, env=env)
    trial.killed = run.returncode == -signal.SIGKILL
    trial.saved = len(run.saved_lines)
    data = target.read_bytes()
    which = "new" if data == new else "previous" if data == old else f"partial ({len(data)} bytes)"
    trial.check("export file is the complete new one or the previous one", which in ("new", "previous"), which)
    trial.check("a reported export is complete", not run.saved_lines or which == "new", which)
    trial.check("integrity_check ok", integrity(project_path) == "ok")
    trial.note = f"file after the kill: {which}"
    return trial


def _merge_setup(root: Path, size: Size) -> tuple[Path, list[Path], Path]:
    """A lead project assigned to two annotators (overlap), their packages worked on; once per session."""
    lead_path = root / "merge-lead.winnow"
    outbox = root / "merge-outbox"
    if lead_path.exists():
        return lead_path, sorted(outbox.glob("*.winnowpkg")), root / "merge-reference.winnow"
    make_project(lead_path, alpaca_records(size.merge_samples, random.Random(3)))
    outbox.mkdir()
    with Project.open(lead_path, author="lead") as lead:
        assign.assign_batches(lead, query.sample_ids(lead), ["alice", "bob"], overlap=0.1, seed=5)
        packages = [workpackage.export_package(lead, b["name"], outbox / b["name"]).path for b in assign.batches(lead)]
    rng = random.Random(4)
    for package in packages:
        with workpackage.open_project_file(package) as work:
            ids = query.sample_ids(work)
            for sample in rng.sample(ids, min(len(ids), max(20, len(ids) // 3))):
                apply_decision(
                    work, {"kind": "review", "sample": sample, "verdict": "accept", "label": rng.randint(1, 4)}
                )
                content = dict(query.get_sample(work, sample).content)
                content["output"] += f"（{work.author} 改）"
                actions.edit_content(work, sample, content, reason="review edit")
    reference = root / "merge-reference.winnow"
    shutil.copyfile(lead_path, reference)
    with Project.open(reference, author="lead") as ref:
        workpackage.merge_packages(ref, packages)
    return lead_path, packages, reference


def trial_merge(work: Path, seed: int, size: Size, cal: Calibration) -> Trial:
    trial = Trial("merge", seed)
    rng = random.Random(seed)
    lead_path, packages, reference = _merge_setup(work.parent, size)
    project_path = work / "lead.winnow"
    shutil.copyfile(lead_path, project_path)
    args = {"project": str(project_path), "packages": [str(p) for p in packages]}
    if "merge" not in cal.seconds:
        calibrate = work / "calibrate.winnow"
        shutil.copyfile(lead_path, calibrate)
        cal.seconds["merge"] = run_child("merge", {**args, "project": str(calibrate)}).ran_for
    with Project.open(lead_path) as lead:
        before = _seen(lead)
    with Project.open(reference) as ref:
        merged = _seen(ref)
    trial.kill_after = _kill_moment(rng, cal.seconds["merge"])
    run = run_child("merge", args, trial.kill_after)
    trial.killed = run.returncode == -signal.SIGKILL
    trial.saved = len(run.saved_lines)
    trial.check("integrity_check ok", integrity(project_path) == "ok", integrity(project_path))
    with Project.open(project_path, author="lead") as project:
        now = _seen(project)
        which = "merged" if now == merged else "not merged" if now == before else "partly merged"
        trial.check("merge whole or not at all", which != "partly merged", which)
        trial.check("a reported merge is there", not run.saved_lines or which == "merged", which)
        if which == "merged":
            ops.undo(project)
            undone = _seen(project)
            ops.redo(project)
            trial.check("undo/redo of the merge work", undone == before and _seen(project) == merged)
        else:
            workpackage.merge_packages(project, packages)
            trial.check("merging again after the crash gives the same project", _seen(project) == merged)
    trial.note = which
    return trial


TRIALS = {
    "import": trial_import,
    "review": trial_review,
    "job": trial_job,
    "export": trial_export,
    "merge": trial_merge,
}
