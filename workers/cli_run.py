"""``winnow run``, ``winnow jobs``, ``winnow resume`` and ``winnow batch``: machine jobs from the command line.

``app.cli`` may not import ``workers`` (the layers run widgets → workers → app), so these commands
live here and the launcher (``widgets.launcher``) hands them over::

    from workers import cli_run
    if args and args[0] in cli_run.RUN_COMMANDS:
        return cli_run.main(args)

:func:`add_run_commands` adds the three to any ``argparse`` sub-command set (to list them in a
combined ``--help``).

Keys come from the environment (``WINNOW_DEEPL_KEY``, ``WINNOW_OPENAI_KEY``) if set, else from
``workers.secrets`` (the keyring, or the user's secrets file), under ``deepl`` or the preset's name.
Nothing secret is stored with the job: ``winnow resume`` finds the key the same way.

Exit codes: 0 done; 1 failed; 2 bad usage; 3 done, but some items failed; 5 paused (budget reached,
quota used up, key refused: the message says which; ``winnow resume`` continues); 130 interrupted
(the job is paused and can be resumed).
"""

from __future__ import annotations

import argparse
import logging
import os
import sys
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from app import i18n
from app.i18n import _
from app.store import Project, ProjectError, query
from app.tasks import Task, all_tasks, get_task
from workers import secrets
from workers.engine import (
    Budgets,
    JobEngine,
    JobProgress,
    JobSpec,
    JobStateChanged,
    Pricing,
    ProviderFactory,
    job_params,
    job_summaries,
    job_summary,
    task_option_names,
)
from workers.providers.base import ProviderError
from workers.providers.presets import DEEPL_KEY_NAME, PRESETS, preset

EXIT_OK, EXIT_FAILED, EXIT_USAGE, EXIT_ITEMS_FAILED, EXIT_PAUSED, EXIT_INTERRUPTED = 0, 1, 2, 3, 5, 130

DEEPL_PRICE_PER_MILLION = 25.0
"""DeepL API Pro's list price per million characters (US dollars, 2025); change with --price."""
KEY_ENV = {"deepl": "WINNOW_DEEPL_KEY", "openai": "WINNOW_OPENAI_KEY"}

log = logging.getLogger("winnow.cli.run")


def add_run_commands(commands: argparse._SubParsersAction) -> None:
    run = commands.add_parser(
        "run",
        help="run a machine job (e.g. DeepL translation) over samples",
        description="Send the samples matching --where to DeepL or an OpenAI-compatible model, with the task's "
        "request, and store each answer as a suggestion for review. Prints the estimate first. Answers are "
        "cached: running again costs nothing for samples already done. Ctrl+C pauses the job; "
        "`winnow resume` continues it.",
    )
    run.add_argument("project", type=Path)
    run.add_argument(
        "task_name",
        nargs="?",
        metavar="TASK",
        help=f"the task (default: translate): {', '.join(all_tasks())}; or the pipeline kun",
    )
    run.add_argument("--task", dest="task_option", help=argparse.SUPPRESS)  # the old spelling, still taken
    from workers import pipeline  # here: the pipeline module uses this one's helpers

    pipeline.add_pipeline_options(run)
    run.add_argument("--provider", choices=("deepl", "openai"), help="the service (required for machine tasks)")
    run.add_argument(
        "--where", action="append", default=[], metavar="KEY=VALUE", help="which samples, as in `winnow export`"
    )
    run.add_argument("--concurrency", type=int, default=4, help="requests in flight at once (default 4)")
    run.add_argument("--max-characters", type=int, help="stop before DeepL would bill more characters")
    run.add_argument("--max-tokens", type=int, help="stop before the model would use more tokens")
    run.add_argument("--max-cost", type=float, help="stop before the job would cost more (dollars)")
    run.add_argument(
        "--preset", default="openai", choices=sorted(PRESETS), help="OpenAI-compatible server (default: openai)"
    )
    run.add_argument("--base-url", help="OpenAI-compatible server URL (default: the preset's)")
    run.add_argument("--model", help="model name (default: the preset's)")
    run.add_argument("--server-url", help="DeepL server URL (default: chosen by the key, free or pro)")
    run.add_argument("--price", type=float, help="price per million characters (DeepL) or tokens, for budgets")
    run.add_argument("--timeout", type=float, default=60.0, help="seconds per request (default 60)")
    run.add_argument("--estimate", action="store_true", help="print the estimate and stop")
    run.add_argument(
        "--seed",
        type=int,
        default=0,
        help="seed of the random choices: leetcode's templates, self-instruct's in-context examples (default 0)",
    )

    jobs = commands.add_parser("jobs", help="list the project's machine jobs")
    jobs.add_argument("project", type=Path)

    resume = commands.add_parser(
        "resume",
        help="continue a paused, cancelled or interrupted job",
        description="Continue a job from its ledger: done items are not sent again, answers already received "
        "are taken from the cache. New budgets replace the job's.",
    )
    resume.add_argument("project", type=Path)
    resume.add_argument("job", type=int)
    resume.add_argument("--concurrency", type=int)
    resume.add_argument("--max-characters", type=int)
    resume.add_argument("--max-tokens", type=int)
    resume.add_argument("--max-cost", type=float)
    resume.add_argument("--retry-failed", action="store_true", help="send the failed items again too")

    add_batch_command(commands)


def add_batch_command(commands: argparse._SubParsersAction) -> None:
    batch = commands.add_parser(
        "batch",
        help="big LLM jobs through the OpenAI Batch API or `vllm run-batch`",
        description="write: the batch file (JSON Lines, the OpenAI Batch API's input, which `vllm run-batch -i` "
        "takes too) for the samples matching --where, answers already cached left out; submit: upload it and "
        "start an OpenAI batch; status: poll a batch (and --download its results); ingest: take a results file "
        "(OpenAI's or `vllm run-batch -o`'s) into the project as suggestions. Ingesting twice adds nothing.",
    )
    steps = batch.add_subparsers(dest="batch_command", metavar="STEP", required=True)
    write = steps.add_parser("write", help="write the batch file and record the job")
    write.add_argument("project", type=Path)
    write.add_argument("out", type=Path, help="the .jsonl file to write")
    write.add_argument("--task", default="translate", choices=sorted(all_tasks()))
    write.add_argument("--where", action="append", default=[], metavar="KEY=VALUE")
    write.add_argument("--preset", default="openai", choices=sorted(PRESETS))
    write.add_argument("--base-url", help="the server (part of the cache key; for vLLM, the URL it serves at)")
    write.add_argument("--model", help="model name (default: the preset's)")
    write.add_argument("--temperature", type=float)
    write.add_argument("--max-tokens", type=int)
    write.add_argument(
        "--seed",
        type=int,
        default=0,
        help="seed of the random choices, as for `winnow run`: self-instruct's in-context examples (default 0)",
    )
    for name, helptext in (("submit", "upload a batch file and start the batch"), ("status", "poll a batch")):
        step = steps.add_parser(name, help=helptext)
        step.add_argument("file" if name == "submit" else "batch_id", type=Path if name == "submit" else str)
        step.add_argument("--preset", default="openai", choices=sorted(PRESETS))
        step.add_argument("--base-url", help="the server (default: the preset's)")
        step.add_argument("--timeout", type=float, default=120.0)
        if name == "status":
            step.add_argument("--download", type=Path, metavar="OUT", help="when completed, save the results here")
    ingest = steps.add_parser("ingest", help="take a results file into the project")
    ingest.add_argument("project", type=Path)
    ingest.add_argument("results", type=Path)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="winnow", description="Machine jobs over a Winnow project.")
    parser.add_argument("-v", "--verbose", action="store_true", help="log what happens")
    add_run_commands(parser.add_subparsers(dest="command", metavar="COMMAND", required=True))
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    i18n.set_language(i18n.language_from_environment())
    logging.basicConfig(level=logging.INFO if args.verbose else logging.WARNING, format="%(name)s: %(message)s")
    try:
        return RUN_COMMANDS[args.command](args)
    except (ProjectError, ProviderError, KeyError, ValueError) as error:
        message = error.args[0] if isinstance(error, KeyError) and error.args else str(error)
        print(f"winnow: error: {secrets.redact(str(message))}", file=sys.stderr)
        return EXIT_FAILED


# --------------------------------------------------------------------------------------------------


def provider_settings(args: argparse.Namespace) -> dict[str, Any]:
    """What makes the provider again on resume; no key."""
    if args.provider == "deepl":
        return {"provider": "deepl", "server_url": args.server_url, "timeout": args.timeout}
    chosen = preset(args.preset)
    return {
        "provider": "openai",
        "preset": chosen.name,
        "base_url": args.base_url or chosen.base_url,
        "model": args.model or chosen.model,
        "timeout": args.timeout,
    }


def api_key(provider: str, name: str) -> str | None:
    """The environment variable if set (scripts, CI), else the stored key."""
    return os.environ.get(KEY_ENV[provider]) or secrets.get_key(name)


def provider_factory(settings: dict[str, Any]) -> ProviderFactory:
    if settings["provider"] == "deepl":
        from workers.providers.deepl_provider import DeepLProvider

        key = api_key("deepl", DEEPL_KEY_NAME)
        if not key:
            raise ProjectError(
                _("no DeepL key: set {variable} or store one in the DeepL settings").format(variable=KEY_ENV["deepl"])
            )
        return lambda: DeepLProvider(key, server_url=settings.get("server_url"), timeout=settings["timeout"])

    from workers.providers.openai_provider import OpenAIProvider

    chosen = preset(settings["preset"])
    key = api_key("openai", chosen.name)
    if not key and chosen.needs_key:
        raise ProjectError(
            _("no key for {service}: set {variable} or store one in the settings").format(
                service=chosen.label, variable=KEY_ENV["openai"]
            )
        )
    if not settings.get("base_url") or not settings.get("model"):
        raise ProjectError(_("give the server's --base-url and --model"))
    return lambda: OpenAIProvider.from_preset(
        chosen, key, base_url=settings["base_url"], model=settings["model"], timeout=settings["timeout"]
    )


def pricing(settings: dict[str, Any], price: float | None) -> Pricing:
    if settings["provider"] == "deepl":
        return Pricing(per_million_characters=DEEPL_PRICE_PER_MILLION if price is None else price)
    chosen = preset(settings["preset"])
    # Prompt and completion tokens are estimated together: price them at the dearer rate (safe side).
    per_million = max(chosen.price_per_1k_prompt, chosen.price_per_1k_completion) * 1000
    return Pricing(per_million_tokens=per_million if price is None else price)


def _budgets(args: argparse.Namespace) -> Budgets:
    return Budgets(max_characters=args.max_characters, max_tokens=args.max_tokens, max_cost=args.max_cost)


class _Printer:
    """Progress on stderr: one refreshed line on a terminal, a line every few seconds in a log."""

    def __init__(self) -> None:
        self.tty = sys.stderr.isatty()
        self.last = 0.0
        self.states: list[JobStateChanged] = []

    def __call__(self, event: object) -> None:
        if isinstance(event, JobStateChanged):
            self.states.append(event)
        if not isinstance(event, JobProgress):
            return
        now = time.monotonic()
        finished = event.done + event.failed >= event.total
        if not self.tty and now - self.last < 5 and not finished:
            return
        self.last = now
        line = (
            f"{event.done}/{event.total} done, {event.failed} failed, {event.characters:,} characters, "
            f"{event.tokens:,} tokens, ${event.cost:.4f}, {event.rate:.1f}/s"
        )
        print(f"\r{line}" if self.tty else line, end="" if self.tty else "\n", file=sys.stderr, flush=True)

    def done(self) -> None:
        if self.tty:
            print(file=sys.stderr)


def _wait(engine: JobEngine, job_id: int, printer: _Printer) -> int:
    try:
        while engine.is_running(job_id):
            engine.wait(job_id, 0.5)  # short joins: Ctrl+C is delivered between them
    except KeyboardInterrupt:
        engine.pause(job_id, "paused: interrupted (Ctrl+C)")
        engine.wait(job_id)
        printer.done()
        print(f"interrupted; job {job_id} is paused: `winnow resume PROJECT {job_id}` continues it", file=sys.stderr)
        return EXIT_INTERRUPTED
    printer.done()
    summary = engine.summary(job_id)
    print(
        f"job {job_id}: {summary.state}; {summary.done} done, {summary.failed} failed, {summary.pending} left, "
        f"{summary.skipped} skipped; spent {summary.characters:,} characters, {summary.tokens:,} tokens, "
        f"${summary.cost:.4f}"
    )
    if summary.error:
        print(f"job {job_id}: {summary.error}", file=sys.stderr)
    if summary.state == "done":
        return EXIT_ITEMS_FAILED if summary.failed else EXIT_OK
    return EXIT_PAUSED if summary.state == "paused" else EXIT_FAILED


def task_of(args: argparse.Namespace) -> Task:
    """The task named on the command line (positional or ``--task``), with a clear refusal otherwise."""
    name = args.task_name or args.task_option or "translate"
    if args.task_name and args.task_option and args.task_name != args.task_option:
        raise ProjectError(f"two tasks given: {args.task_name!r} and --task {args.task_option!r}")
    try:
        return get_task(name)
    except KeyError as error:
        raise ProjectError(str(error.args[0])) from None


def cmd_run(args: argparse.Namespace) -> int:
    from workers import pipeline

    if (args.task_name or args.task_option) in pipeline.PIPELINES:
        return pipeline.cmd_run_pipeline(args, args.task_name or args.task_option)
    if args.concurrency < 1:
        raise ProjectError("--concurrency must be at least 1")
    task = task_of(args)
    if task.local:  # no service, no job: workers.local_tasks runs it here
        from workers import local_tasks

        return local_tasks.cli_run(args, task)
    if args.provider is None:
        raise ProjectError(f"the task {task.name!r} sends requests to a service: give --provider deepl or openai")
    with Project.open(args.project) as project:
        flt = query.parse_where(args.where, query.SampleFilter(kind=task.kinds))
        ids = query.sample_ids(project, flt)
    if not ids:
        print("no samples match; nothing to do")
        return EXIT_OK
    settings = provider_settings(args)
    spec = JobSpec(
        task=task.name,
        sample_ids=ids,
        provider_factory=provider_factory(settings),
        provider_settings=settings,
        concurrency=args.concurrency,
        budgets=_budgets(args),
        pricing=pricing(settings, args.price),
        task_options={"seed": args.seed} if "seed" in task_option_names(task) else {},
    )
    printer = _Printer()
    with JobEngine(args.project, on_event=printer) as engine:
        estimate = engine.estimate(spec)
        print(
            f"estimate: {estimate.items} samples ({estimate.cached} from the cache, {estimate.skipped} skipped), "
            f"about {estimate.characters:,} characters, {estimate.tokens:,} tokens, ${estimate.cost:.4f}"
        )
        if args.estimate:
            return EXIT_OK
        job_id = engine.start(spec)
        print(f"job {job_id} started")
        return _wait(engine, job_id, printer)


def cmd_jobs(args: argparse.Namespace) -> int:
    with Project.open(args.project) as project:
        summaries = job_summaries(project)
    if not summaries:
        print("no jobs")
    for s in summaries:
        engine = s.provider if not s.model or s.provider.endswith(s.model) else f"{s.provider} ({s.model})"
        print(
            f"{s.id:>4}  {s.created_at}  {s.task:<10} {engine:<24} {s.state:<9} "
            f"{s.done}/{s.total} done, {s.failed} failed, {s.pending} left  "
            f"{s.characters:,} chars {s.tokens:,} tokens ${s.cost:.4f}" + (f"  — {s.error}" if s.error else "")
        )
    return EXIT_OK


def cmd_resume(args: argparse.Namespace) -> int:
    with Project.open(args.project) as project:
        settings = job_params(project, args.job).get("settings") or {}
        state = job_summary(project, args.job).state
    if "provider" not in settings:
        raise ProjectError(f"job {args.job} was not started from `winnow run`; resume it where it was started")
    factory = provider_factory(settings)
    budgets = None
    if args.max_characters is not None or args.max_tokens is not None or args.max_cost is not None:
        budgets = _budgets(args)
    printer = _Printer()
    with JobEngine(args.project, on_event=printer) as engine:
        if args.retry_failed:
            count = engine.retry_failed(args.job, factory)
            print(f"job {args.job}: {count} failed items sent again")
            if count:
                return _wait(engine, args.job, printer)
        if state == "done":
            print(f"job {args.job} is done")
            return EXIT_OK
        engine.resume(args.job, factory, budgets=budgets, concurrency=args.concurrency)
        print(f"job {args.job} resumed")
        return _wait(engine, args.job, printer)


def _batch_client(args: argparse.Namespace) -> Any:
    import openai

    chosen = preset(args.preset)
    key = api_key("openai", chosen.name)
    if not key and chosen.needs_key:
        raise ProjectError(f"no key for {chosen.label}: set {KEY_ENV['openai']} or store one in the settings")
    base_url = args.base_url or chosen.base_url
    return openai.OpenAI(base_url=base_url, api_key=key or "no-key", timeout=args.timeout, max_retries=2)


def task_options_of(args: argparse.Namespace, task: Task) -> dict[str, Any]:
    """The options ``task`` takes (:func:`task_option_names`) as given on the command line (``--seed``):
    ``winnow batch write`` passes what ``winnow run`` passes, so its file asks what a run would ask,
    under the same cache keys."""
    return {"seed": args.seed} if "seed" in task_option_names(task) else {}


def cmd_batch(args: argparse.Namespace) -> int:
    from workers import batch

    if args.batch_command == "write":
        task = get_task(args.task)
        with Project.open(args.project) as project:
            ids = query.sample_ids(project, query.parse_where(args.where, query.SampleFilter(kind=task.kinds)))
        chosen = preset(args.preset)
        spec = batch.BatchSpec(
            task.name,
            ids,
            args.model or chosen.model,
            base_url=args.base_url or chosen.base_url,
            temperature=args.temperature,
            max_tokens=args.max_tokens,
            json_mode=chosen.json_mode,
            task_options=task_options_of(args, task),
        )
        written = batch.write_batch_file(args.project, spec, args.out)
        print(
            f"job {written.job_id}: {written.requests} requests written to {written.path}, "
            f"{written.cached} answered from the cache, {written.skipped} skipped"
        )
        return EXIT_OK
    if args.batch_command == "ingest":
        report = batch.ingest_results(args.project, args.results)
        for problem in report.problems:
            print(f"{args.results}: {problem}", file=sys.stderr)
        print(
            f"{report.done} done, {report.failed} failed, {report.already} already taken in, "
            f"{len(report.problems)} lines not usable"
        )
        return EXIT_ITEMS_FAILED if report.failed or report.problems else EXIT_OK
    import openai

    client = _batch_client(args)
    try:
        if args.batch_command == "submit":
            print(batch.submit_batch(client, args.file))
            return EXIT_OK
        status = batch.poll_batch(client, args.batch_id)
        print(f"{status.id}: {status.status}; {status.completed}/{status.total} completed, {status.failed} failed")
        if args.download and status.status == "completed":
            print(f"results saved to {batch.download_results(client, status, args.download)}")
        return EXIT_OK
    except openai.OpenAIError as error:
        raise ProjectError(f"the batch service: {error}") from error
    finally:
        client.close()


RUN_COMMANDS: dict[str, Callable[[argparse.Namespace], int]] = {
    "run": cmd_run,
    "jobs": cmd_jobs,
    "resume": cmd_resume,
    "batch": cmd_batch,
}
