"""Tasks that run on this computer with no service: today the COIG LeetCode instructions.

The job engine (``workers.engine``) is built around requests, a ledger, a cache and budgets; a task
that only fills templates needs none of that. :func:`run` reads the chosen samples, lets
:func:`app.tasks.leetcode.generate` write the instruction samples of every problem among them, and
adds them with :func:`app.store.actions.create_samples` as ONE named operation (one undo takes the
whole run back). ``progress(n)`` and ``cancelled()`` are the callbacks of
``widgets.tasks.run_in_background``; a cancelled run adds nothing.

Running again with the same seed adds nothing new: a sample already generated for the same problem,
implementation and seed (``content["leetcode"]``) is not written twice. Another seed adds new draws.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import orjson

from app.formats.leetcode_problems import problem_key
from app.i18n import N_
from app.records import Kind
from app.store import Project, ProjectError, actions, query
from app.store.ops import Changes
from app.tasks import Task, get_task, leetcode

log = logging.getLogger("winnow.local_tasks")

READ_BATCH = 500
"""Samples read at a time: a big selection is never held whole before generation starts."""


@dataclass(frozen=True)
class LocalSpec:
    """A run of a local task: which task, over which samples, with which seed."""

    task: str
    sample_ids: Sequence[int]
    seed: int = 0


@dataclass(frozen=True)
class LocalEstimate:
    """What a run would do, before it runs."""

    samples: int
    problems: int
    implementations: int
    """The samples a first run with a new seed writes (one per language implementation)."""
    already: int = 0
    """Of those, the ones generated before with the same seed (a run skips them)."""

    @property
    def to_write(self) -> int:
        return self.implementations - self.already


@dataclass
class LocalReport:
    problems: int = 0
    created: int = 0
    already: int = 0
    """Samples not written because the same problem, implementation and seed were generated before."""
    others: int = 0
    """Chosen samples that are not problems (the instructions generated before, say): left alone."""
    skipped: list[str] = field(default_factory=list)
    """Why a problem gave nothing (no description, no code), one line each."""
    changes: Changes | None = None

    def describe(self) -> str:
        text = f"{self.created} instruction samples from {self.problems} problems"
        if self.already:
            text += f", {self.already} already generated with this seed"
        if self.skipped:
            text += f", {len(self.skipped)} problems skipped"
        if self.others:
            text += f"; {self.others} samples that are not problems left alone"
        return text


def is_local(name: str) -> bool:
    return get_task(name).local


def _task(name: str) -> Task:
    task = get_task(name)
    if not task.local or name != leetcode.TASK.name:
        raise ProjectError(f"the task {name!r} is not a local task")
    return task


def _contents(project: Project, ids: Sequence[int]) -> Iterator[tuple[int, dict[str, Any]]]:
    for start in range(0, len(ids), READ_BATCH):
        for sample in query.get_samples(project, list(ids[start : start + READ_BATCH])):
            yield sample.id, sample.content


def estimate(project: Project, spec: LocalSpec) -> LocalEstimate:
    _task(spec.task)
    seen = _generated_before(project)
    problems = implementations = already = 0
    for _, content in _contents(project, spec.sample_ids):
        if leetcode.is_problem(content):
            problems += 1
            count = len(content["problem"].get("solutions") or ())
            implementations += count
            key = problem_key(content["problem"])
            already += sum((key, index, spec.seed) in seen for index in range(count))
    return LocalEstimate(len(spec.sample_ids), problems, implementations, already)


def _generated_before(project: Project) -> set[tuple[str, int, int]]:
    """(problem, implementation, seed) of every LeetCode sample already in the project."""
    seen: set[tuple[str, int, int]] = set()
    flt = query.SampleFilter(subset=(leetcode.SUBSET,))
    for batch in query.iter_content_batches(project, flt):
        for _, _, _, content_json in batch:
            mark = orjson.loads(content_json).get(leetcode.SUBSET)
            if isinstance(mark, Mapping):
                seen.add((str(mark.get("problem")), mark.get("implementation"), mark.get("seed")))
    return seen


def run(
    project: Project,
    spec: LocalSpec,
    *,
    progress: Callable[[int], None] | None = None,
    cancelled: Callable[[], bool] | None = None,
) -> LocalReport:
    """Generate and add the samples of ``spec`` (one operation); ProjectError when cancelled."""
    _task(spec.task)
    chosen = leetcode.templates()
    seen = _generated_before(project)
    report = LocalReport()
    new: list[dict[str, Any]] = []
    for done, (sample_id, content) in enumerate(_contents(project, spec.sample_ids), start=1):
        if cancelled is not None and cancelled():
            raise ProjectError("LeetCode instructions: cancelled; no sample was added")
        if not leetcode.is_problem(content):
            report.others += 1
            continue
        try:
            samples = leetcode.generate(content["problem"], spec.seed, chosen)
        except ValueError as error:
            report.skipped.append(f"sample {sample_id}: {error}")
            continue
        report.problems += 1
        for sample in samples:
            mark = sample[leetcode.SUBSET]
            key = (str(mark["problem"]), mark["implementation"], mark["seed"])
            if key in seen:
                report.already += 1
                continue
            seen.add(key)
            new.append(sample)
        if progress is not None and done % 100 == 0:
            progress(done)
    if new:
        report.changes = actions.create_samples(
            project,
            Kind.CODE,
            new,
            subset=leetcode.SUBSET,
            name="generate_leetcode",
            summary=N_("generate {n} LeetCode instructions (seed {seed})").format(n=len(new), seed=spec.seed),
            cancelled=cancelled,
        )
    report.created = len(new)
    log.info("leetcode: %s", report.describe())
    return report


def estimate_at(path: Path, spec: LocalSpec) -> LocalEstimate:
    """:func:`estimate` on its own connection to the project file (a worker thread's)."""
    with Project.open(path) as project:
        return estimate(project, spec)


def run_at(path: Path, spec: LocalSpec, **callbacks: Any) -> LocalReport:
    """:func:`run` on its own connection to the project file (a worker thread's)."""
    with Project.open(path) as project:
        return run(project, spec, **callbacks)


def cli_run(args: Any, task: Task) -> int:
    """``winnow run PROJECT leetcode [--seed N] [--where …] [--estimate]``: exit 0 done, 3 when some
    chosen samples gave nothing (they are listed on stderr)."""
    import sys

    if args.provider is not None:
        print(f"winnow: note: the task {task.name!r} runs locally; --provider is not used", file=sys.stderr)
    with Project.open(args.project) as project:
        ids = query.sample_ids(project, query.parse_where(args.where, query.SampleFilter(kind=task.kinds)))
        spec = LocalSpec(task.name, ids, args.seed)
        planned = estimate(project, spec)
        print(
            f"estimate: {planned.problems} problems among {planned.samples} samples, "
            f"{planned.implementations} language implementations, {planned.already} of them generated before "
            f"with seed {spec.seed}; no service, no cost"
        )
        if args.estimate or not ids:
            return 0
        report = run(project, spec)
    for reason in report.skipped:
        print(f"skipped {reason}", file=sys.stderr)
    print(report.describe() + ("; one undo takes them back" if report.created else ""))
    if not report.problems and not report.skipped:
        print("no LeetCode problems among the samples: import some with the leetcode-problems format", file=sys.stderr)
    return 3 if report.skipped else 0
