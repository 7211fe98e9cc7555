"""The Kun pipeline: instruction back-translation → keyword filter → self-curation score → score
filter → answer polishing → output filter, over raw passages, as ONE run.

Each model step is a normal engine job (:class:`workers.engine.JobEngine`): ledger, cache, budgets,
the jobs panel. Each step runs only on the samples that passed the filters before it. The filters
(:mod:`app.kun_filters`) flag, never delete.

What a step reads. The engine builds a request from a sample's *content*, so the score and the
polish must see the back-translated instruction there: the pipeline takes the ``kun-instruct``
drafts into the samples as soon as that step is done — one undoable operation by "Kun pipeline"
(undo gives them back as pending drafts), each sample's history saying which model wrote it. The
score and the polished answer stay drafts for review unless ``auto_accept``: the reviewer then sees
the instruction, the raw passage (the sample's output), the polished answer beside it as a draft,
and the score with its rationale beside their own rating.

Resuming. Running the pipeline again continues it: a sample that already has a step's draft (of
the step's current prompt version) is not sent again, and an answer that reached the cache before a
kill is taken from there — nothing is paid twice. Items that failed (an unusable answer) are sent
again only with ``retry_failed``. Filters are re-applied on every run, so changed thresholds take
effect (flags that no longer apply are cleared).
"""

from __future__ import annotations

import argparse
import contextlib
import logging
import sys
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import orjson

from app import kun_filters
from app.i18n import N_
from app.kun_filters import FLAG_INSTRUCTION, FLAG_OUTPUT, FLAG_SCORE, KunSettings
from app.store import Project, ProjectError, actions, query
from app.store.actions import JUDGEMENT_KEY
from app.tasks import get_task
from app.tasks.kun import PIPELINE_STEPS
from workers.engine import Budgets, Estimate, JobEngine, JobSpec, job_summary

log = logging.getLogger("winnow.pipeline")

PIPELINES = {"kun": PIPELINE_STEPS}
"""Pipelines ``winnow run PROJECT NAME`` and the Run dialog offer, by name: their model steps."""
PIPELINE_TITLES = {"kun": "Kun pipeline"}
AUTHOR = "Kun pipeline"
"""Who the pipeline's acceptances and flags are recorded as."""
KINDS = ("instruction",)
CHUNK = 900
"""Sample ids per SQL query (SQLite's default limit on bound parameters is 999)."""


@dataclass
class StepReport:
    task: str
    sent: int = 0
    """Samples given to the step's job (0: nothing left to do, no job)."""
    job_id: int | None = None
    state: str = "done"
    flagged: int = 0
    """Samples the filter after the step set aside (in total, not only this run's)."""


@dataclass
class PipelineReport:
    steps: list[StepReport] = field(default_factory=list)
    state: str = "done"
    """``done``, or the state of the job that stopped it (``paused``, ``cancelled``, ``failed``)."""
    message: str = ""
    passed: list[int] = field(default_factory=list)
    """Samples through every step and filter: ready for review."""

    def step(self, task: str) -> StepReport:
        return next(step for step in self.steps if step.task == task)


@dataclass(frozen=True)
class _Draft:
    suggestion_id: int
    state: str
    content: dict[str, Any]


# --------------------------------------------------------------------------------------------------
# Reading the project
# --------------------------------------------------------------------------------------------------


def _chunks(ids: Sequence[int]) -> Iterable[list[int]]:
    for start in range(0, len(ids), CHUNK):
        yield list(ids[start : start + CHUNK])


def _contents(project: Project, ids: Sequence[int]) -> dict[int, dict[str, Any]]:
    found: dict[int, dict[str, Any]] = {}
    for chunk in _chunks(ids):
        rows = project.db.execute(
            f"SELECT id, content FROM samples WHERE deleted = 0 AND kind IN ({','.join('?' * len(KINDS))})"
            f" AND id IN ({','.join('?' * len(chunk))}) ORDER BY id",
            [*KINDS, *chunk],
        )
        found.update((row[0], orjson.loads(row[1])) for row in rows)
    return found


def _latest_drafts(project: Project, task: str, ids: Sequence[int], *, any_version: bool = False) -> dict[int, _Draft]:
    """Each sample's newest draft of ``task`` made with the task's current prompt version (or any)."""
    version = "%" if any_version else get_task(task).prompt_version
    found: dict[int, _Draft] = {}
    for chunk in _chunks(ids):
        rows = project.db.execute(
            "SELECT sample_id, id, state, content FROM suggestions WHERE task = ? AND prompt_version LIKE ?"
            f" AND sample_id IN ({','.join('?' * len(chunk))}) ORDER BY id",
            [task, version, *chunk],
        )
        for sample_id, suggestion_id, state, content in rows:
            found[sample_id] = _Draft(suggestion_id, state, orjson.loads(content))
    return found


def _failed_before(project: Project, task: str, ids: Sequence[int]) -> set[int]:
    """Samples whose answer for this step (same prompt version) was unusable in an earlier job."""
    version = get_task(task).prompt_version
    found: set[int] = set()
    for chunk in _chunks(ids):
        rows = project.db.execute(
            "SELECT ji.sample_id FROM job_items ji JOIN jobs j ON j.id = ji.job_id"
            " WHERE j.task = ? AND ji.state = 'failed' AND json_extract(j.params, '$.prompt_version') = ?"
            f" AND ji.sample_id IN ({','.join('?' * len(chunk))})",
            [task, version, *chunk],
        )
        found.update(row[0] for row in rows)
    return found


def _flagged(project: Project, ids: Sequence[int], flags: Sequence[str]) -> dict[int, set[str]]:
    found: dict[int, set[str]] = {}
    if not flags:
        return found
    for chunk in _chunks(ids):
        rows = project.db.execute(
            f"SELECT sample_id, flag FROM sample_flags WHERE flag IN ({','.join('?' * len(flags))})"
            f" AND sample_id IN ({','.join('?' * len(chunk))})",
            [*flags, *chunk],
        )
        for sample_id, flag in rows:
            found.setdefault(sample_id, set()).add(flag)
    return found


# --------------------------------------------------------------------------------------------------
# Writing: flags and acceptances, each one undoable operation
# --------------------------------------------------------------------------------------------------


def _flag_details(project: Project, flag: str, ids: Sequence[int]) -> dict[int, str]:
    found: dict[int, str] = {}
    for chunk in _chunks(ids):
        rows = project.db.execute(
            "SELECT sample_id, detail FROM sample_flags WHERE flag = ?"
            f" AND sample_id IN ({','.join('?' * len(chunk))})",
            [flag, *chunk],
        )
        found.update((row[0], row[1]) for row in rows)
    return found


def _apply_filter(project: Project, flag: str, judged: dict[int, str | None]) -> int:
    """Make ``flag`` say what the filter found: set it (with why) where ``judged`` has a problem,
    clear it where it has none. Returns how many samples carry the flag among those judged."""
    details = _flag_details(project, flag, list(judged))
    current = set(details)
    by_detail: dict[str, list[int]] = {}
    clear: list[int] = []
    for sample_id, problem in judged.items():
        if problem is None:
            if sample_id in current:
                clear.append(sample_id)
        elif details.get(sample_id) != problem:
            by_detail.setdefault(problem, []).append(sample_id)
    for problem, ids in by_detail.items():
        actions.set_flag(project, ids, flag, problem)
    if clear:
        actions.clear_flag(project, clear, flag)
    return sum(1 for problem in judged.values() if problem is not None)


def _accept(project: Project, drafts: Iterable[_Draft], what: str) -> int:
    pending = [draft.suggestion_id for draft in drafts if draft.state == "pending"]
    if pending:
        summary = N_("{author}: take {n} {what}").format(author=AUTHOR, n=len(pending), what=what)
        actions.accept_suggestions(project, pending, author=AUTHOR, summary=summary)
    return len(pending)


# --------------------------------------------------------------------------------------------------
# Running
# --------------------------------------------------------------------------------------------------


def _remaining(budgets: Budgets, spent: tuple[int, int, float]) -> Budgets:
    """What is left of the whole run's budget for the next step's job."""
    characters, tokens, cost = spent
    return Budgets(
        max_characters=None if budgets.max_characters is None else max(0, budgets.max_characters - characters),
        max_tokens=None if budgets.max_tokens is None else max(0, budgets.max_tokens - tokens),
        max_cost=None if budgets.max_cost is None else max(0.0, budgets.max_cost - cost),
    )


def run_kun(
    engine: JobEngine,
    spec: JobSpec,
    settings: KunSettings | None = None,
    *,
    retry_failed: bool = False,
    on_job: Callable[[int], None] | None = None,
) -> PipelineReport:
    """Run (or continue) the Kun pipeline over ``spec.sample_ids`` with ``spec``'s provider, limits
    and budgets (the budget is for the whole run). Blocks until it is done or a step's job stops;
    ``on_job(job_id)`` is called as each step's job starts."""
    settings = settings or KunSettings()
    report = PipelineReport()
    spent = (0, 0, 0.0)
    with Project.open(engine.path, author=AUTHOR) as project:
        scope = sorted(_contents(project, list(dict.fromkeys(int(i) for i in spec.sample_ids))))
        for task_name in PIPELINE_STEPS:
            step = StepReport(task_name)
            report.steps.append(step)
            superseded = _unfinished_jobs(project, engine, task_name, scope)
            targets = _targets(project, task_name, scope, settings, retry_failed=retry_failed)
            step.sent = len(targets)
            if targets:
                job_spec = replace(spec, task=task_name, sample_ids=targets, budgets=_remaining(spec.budgets, spent))
                try:
                    job_id = engine.start(job_spec)
                except RuntimeError as error:  # the engine was closed (the window closed) between steps
                    step.state = report.state = "paused"
                    report.message = str(error)
                    return report
                step.job_id = job_id
                for old in superseded:  # its items are this job's now: resuming it would only repeat them
                    engine.cancel(old, f"continued by job {job_id} of the Kun pipeline")
                if on_job is not None:
                    on_job(job_id)
                # Closed while the job ran (RuntimeError): close() paused it and joined its threads first.
                with contextlib.suppress(RuntimeError):
                    engine.wait(job_id)
                summary = job_summary(project, job_id)
                step.state = summary.state
                spent = (spent[0] + summary.characters, spent[1] + summary.tokens, spent[2] + summary.cost)
                if step.state != "done":
                    # Stopped (paused, cancelled, the program closing): take and filter nothing now —
                    # the engine may be folding its log back into the file as it closes. The next run
                    # takes and filters what this one received before going on.
                    report.state = step.state
                    report.message = summary.error or f"the {task_name} job is {step.state}"
                    return report
            step.flagged = _after_step(project, task_name, scope, settings)
        report.passed = _eligible(project, "end", scope, settings)
    return report


def _unfinished_jobs(project: Project, engine: JobEngine, task: str, scope: Sequence[int]) -> list[int]:
    """Jobs of this step left unfinished by an earlier run (killed, paused, the program closed) whose
    remaining items all lie in the scope: the new job takes them over."""
    inside = set(scope)
    found = []
    for (job_id,) in project.db.execute(
        "SELECT id FROM jobs WHERE task = ? AND state IN ('queued', 'running', 'paused') ORDER BY id", (task,)
    ).fetchall():
        if engine.is_running(job_id):
            continue
        left = project.db.execute(
            "SELECT sample_id FROM job_items WHERE job_id = ? AND state IN ('pending', 'running')", (job_id,)
        ).fetchall()
        if all(row[0] in inside for row in left):
            found.append(job_id)
    return found


def _eligible(project: Project, stage: str, scope: Sequence[int], settings: KunSettings) -> list[int]:
    """Samples of the scope that may go into ``stage`` (a step's name, or "end")."""
    contents = _contents(project, scope)
    if stage == "kun-instruct":
        return [i for i, c in contents.items() if _text(c, "output") and not _text(c, "instruction")]
    flags = {
        "kun-score": (FLAG_INSTRUCTION,),
        "kun-polish": (FLAG_INSTRUCTION, FLAG_SCORE),
        "end": (FLAG_INSTRUCTION, FLAG_SCORE, FLAG_OUTPUT),
    }[stage]
    flagged = _flagged(project, scope, flags)
    # Only Kun's own samples: passages whose instruction was back-translated (any prompt version).
    # An ordinary instruction sample in the scope is not scored or polished as if it were a passage.
    kun = _latest_drafts(project, PIPELINE_STEPS[0], list(contents), any_version=True)
    ready = [
        i
        for i, c in contents.items()
        if i in kun and _text(c, "output") and _text(c, "instruction") and i not in flagged
    ]
    if stage == "kun-polish":  # only pairs that were scored (and passed: else they are flagged)
        scored = _latest_drafts(project, "kun-score", ready)
        ready = [i for i in ready if i in scored]
    elif stage == "end":
        polished = _latest_drafts(project, "kun-polish", ready)
        ready = [i for i in ready if i in polished]
    return ready


def _text(content: dict[str, Any], key: str) -> bool:
    value = content.get(key)
    return isinstance(value, str) and bool(value.strip())


def _targets(
    project: Project, task: str, scope: Sequence[int], settings: KunSettings, *, retry_failed: bool
) -> list[int]:
    eligible = _eligible(project, task, scope, settings)
    drafted = _latest_drafts(project, task, eligible)
    skip = set(drafted)
    if not retry_failed:
        skip |= _failed_before(project, task, eligible)
    return [i for i in eligible if i not in skip]


def _after_step(project: Project, task: str, scope: Sequence[int], settings: KunSettings) -> int:
    """Take what the next step reads, then apply the filter that follows ``task``."""
    if task == "kun-instruct":
        drafts = _latest_drafts(project, task, scope)
        contents = _contents(project, scope)
        # Never over an instruction someone wrote since: only where the sample still has none.
        untouched = [d for i, d in drafts.items() if i in contents and not _text(contents[i], "instruction")]
        if _accept(project, untouched, N_("back-translated instructions")):
            contents = _contents(project, scope)
        judged = {
            i: kun_filters.instruction_problem(c.get("instruction") or "", settings.instruction_keywords)
            for i, c in contents.items()
            if _text(c, "instruction") and i in drafts
        }
        return _apply_filter(project, FLAG_INSTRUCTION, judged)
    if task == "kun-score":
        drafts = _latest_drafts(project, task, _eligible(project, "kun-score", scope, settings))
        judged = {
            i: kun_filters.score_problem((d.content.get(JUDGEMENT_KEY) or {}).get("score"), settings.min_score)
            for i, d in drafts.items()
        }
        flagged = _apply_filter(project, FLAG_SCORE, judged)
        if settings.auto_accept:
            _accept(project, drafts.values(), N_("self-curation scores as ratings"))
        return flagged
    drafts = _latest_drafts(project, task, _eligible(project, "kun-polish", scope, settings))
    judged = {
        i: kun_filters.output_problem(
            str(d.content.get("output") or ""),
            keywords=settings.output_keywords,
            min_chars=settings.min_output_chars,
            max_repetition=settings.max_repetition,
        )
        for i, d in drafts.items()
    }
    flagged = _apply_filter(project, FLAG_OUTPUT, judged)
    if settings.auto_accept:
        _accept(project, (d for i, d in drafts.items() if judged[i] is None), N_("polished answers"))
    return flagged


def estimate_kun(engine: JobEngine, spec: JobSpec) -> Estimate:
    """What the pipeline would send: the first step exactly (cache hits excluded); the later steps
    as if every sample passed every filter and had a typical instruction (an upper bound)."""
    with Project.open(engine.path) as project:
        scope = sorted(_contents(project, list(spec.sample_ids)))
        first = _targets(project, PIPELINE_STEPS[0], scope, KunSettings(), retry_failed=False)
        contents = _contents(project, scope)
    estimate = engine.estimate(replace(spec, task=PIPELINE_STEPS[0], sample_ids=first)) if first else None
    tokens = estimate.tokens if estimate else 0
    placeholder = "请介绍一下这段内容所讲的主要事实，并说明其中的原因和影响。"  # a typical instruction's length
    later = 0
    for task_name in PIPELINE_STEPS[1:]:
        task = get_task(task_name)
        prompt = task.prompt()
        for content in contents.values():
            if not _text(content, "output"):
                continue
            filled = {**content, "instruction": content.get("instruction") or placeholder}
            try:
                tokens += task.estimate(filled, "chat", prompt).tokens
                later += 1
            except ValueError:
                continue
    return Estimate(
        items=(estimate.items if estimate else 0) + later,
        cached=estimate.cached if estimate else 0,
        skipped=(estimate.skipped if estimate else 0) + len(spec.sample_ids) - len(contents),
        characters=0,
        tokens=tokens,
        cost=spec.pricing.cost(0, tokens),
    )


# --------------------------------------------------------------------------------------------------
# The command line: winnow run PROJECT kun …
# --------------------------------------------------------------------------------------------------


def add_pipeline_options(run: argparse.ArgumentParser) -> None:
    """The Kun pipeline's thresholds, on ``winnow run``."""
    defaults = KunSettings()
    group = run.add_argument_group("Kun pipeline (TASK kun)")
    group.add_argument(
        "--min-score", type=int, default=defaults.min_score, help="keep pairs scored at least this (1–5, default 4)"
    )
    group.add_argument(
        "--min-output-chars",
        type=int,
        default=defaults.min_output_chars,
        help=f"set aside polished answers shorter than this (default {defaults.min_output_chars})",
    )
    group.add_argument(
        "--max-repetition",
        type=float,
        default=defaults.max_repetition,
        help=f"set aside answers with more repeated text than this share (default {defaults.max_repetition})",
    )
    group.add_argument(
        "--instruction-keywords", help="comma-separated words that set an instruction aside (default: Kun's list)"
    )
    group.add_argument(
        "--output-keywords",
        help="comma-separated boilerplate that sets an answer aside (default: phrases such as 作为一个AI, 抱歉; "
        "Kun's own list is 作为,根据,知识库,2023,抱歉)",
    )
    group.add_argument(
        "--auto-accept", action="store_true", help="take scores (as ratings) and polished answers that pass"
    )
    group.add_argument("--retry-failed", action="store_true", help="send again the samples whose answer was unusable")


def settings_from(args: argparse.Namespace) -> KunSettings:
    defaults = KunSettings()
    instruction_keywords = (
        kun_filters.keywords_from(args.instruction_keywords)
        if args.instruction_keywords is not None
        else defaults.instruction_keywords
    )
    output_keywords = (
        kun_filters.keywords_from(args.output_keywords)
        if args.output_keywords is not None
        else defaults.output_keywords
    )
    try:
        return KunSettings(
            instruction_keywords=instruction_keywords,
            min_score=args.min_score,
            output_keywords=output_keywords,
            min_output_chars=args.min_output_chars,
            max_repetition=args.max_repetition,
            auto_accept=args.auto_accept,
        )
    except ValueError as error:
        raise ProjectError(str(error)) from None


def cmd_run_pipeline(args: argparse.Namespace, name: str) -> int:
    from workers import cli_run

    if args.provider != "openai":
        raise ProjectError(f"the {name} pipeline needs a chat model: give --provider openai")
    if args.concurrency < 1:
        raise ProjectError("--concurrency must be at least 1")
    settings = settings_from(args)
    with Project.open(args.project) as project:
        ids = query.sample_ids(project, query.parse_where(args.where, query.SampleFilter(kind=KINDS)))
    if not ids:
        print("no samples match; nothing to do")
        return cli_run.EXIT_OK
    provider = cli_run.provider_settings(args)
    spec = JobSpec(
        task=name,
        sample_ids=ids,
        provider_factory=cli_run.provider_factory(provider),
        provider_settings=provider,
        concurrency=args.concurrency,
        budgets=cli_run._budgets(args),
        pricing=cli_run.pricing(provider, args.price),
    )
    printer = cli_run._Printer()
    with JobEngine(args.project, on_event=printer) as engine:
        estimate = estimate_kun(engine, spec)
        print(
            f"estimate: {len(ids)} samples, up to {estimate.items} requests ({estimate.cached} from the cache), "
            f"about {estimate.tokens:,} tokens, ${estimate.cost:.4f}"
        )
        if args.estimate:
            return cli_run.EXIT_OK
        try:
            report = run_kun(
                engine,
                spec,
                settings,
                retry_failed=args.retry_failed,
                on_job=lambda job_id: print(f"job {job_id} started", flush=True),
            )
        except KeyboardInterrupt:
            printer.done()
            print("interrupted; run the same command again to continue the pipeline", file=sys.stderr)
            return cli_run.EXIT_INTERRUPTED
    printer.done()
    for step in report.steps:
        job = f"job {step.job_id}" if step.job_id is not None else "nothing to send"
        print(f"{step.task}: {step.sent} sent ({job}, {step.state}); {step.flagged} set aside by the filter after it")
    print(f"{len(report.passed)} samples passed every step and filter: ready for review")
    if report.state != "done":
        print(f"the pipeline stopped: {report.message}; run the same command again to continue", file=sys.stderr)
        return cli_run.EXIT_PAUSED if report.state == "paused" else cli_run.EXIT_FAILED
    failed = sum(engine_failed for engine_failed in _failed_counts(args.project, report))
    return cli_run.EXIT_ITEMS_FAILED if failed else cli_run.EXIT_OK


def _failed_counts(path: Path, report: PipelineReport) -> list[int]:
    with Project.open(path) as project:
        return [job_summary(project, step.job_id).failed for step in report.steps if step.job_id is not None]
