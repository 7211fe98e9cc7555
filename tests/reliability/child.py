"""The process a crash trial kills: one real flow of the app, as the GUI or the command line runs it.

    python -m tests.reliability.child FLOW ARGS_JSON

It prints ``ready`` once it has opened the project (the parent's clock for a random kill starts
there) and ``saved …`` after each step it has committed, exactly when the GUI would show it as done;
``finished`` at the end. The parent kills it with SIGKILL at a seeded random moment.

``WINNOW_BREAK=export-in-place`` makes this process a deliberately broken build: exports write the
target in place, with no temporary file (the suite must catch that).
"""

from __future__ import annotations

import contextlib
import os
import sys
from pathlib import Path

import orjson


def say(text: str) -> None:
    sys.stdout.write(text + "\n")
    sys.stdout.flush()


def _break_exports_if_asked() -> None:
    if os.environ.get("WINNOW_BREAK") != "export-in-place":
        return
    from app.formats import writers

    @contextlib.contextmanager
    def in_place(path, mode="w", encoding="utf-8"):
        with open(path, mode, **({} if "b" in mode else {"encoding": encoding})) as handle:
            yield handle

    writers.atomic_write = in_place


def flow_import(args: dict) -> None:
    from app import importer
    from app.store import Project

    with Project.open(args["project"]) as project:
        say("ready")
        report = importer.import_file(project, args["file"], format_name=args.get("format"))
        say(f"saved import {report.imported}")


def flow_review(args: dict) -> None:
    from app.store import Project
    from tests.reliability.harness import apply_decision, decisions

    steps = decisions(args["seed"], args["count"], args["sample_ids"])
    with Project.open(args["project"]) as project:
        say("ready")
        for number, step in enumerate(steps, 1):
            apply_decision(project, step)
            say(f"saved {number}")


def flow_job(args: dict) -> None:
    from workers.engine import JobEngine, JobSpec
    from workers.providers.deepl_provider import DeepLProvider

    def factory() -> DeepLProvider:
        return DeepLProvider(args["key"], server_url=args["url"], timeout=30.0)

    engine = JobEngine(args["project"])
    try:
        if args.get("resume"):
            engine.resume(args["resume"], factory)
            job = args["resume"]
        else:
            job = engine.start(
                JobSpec("translate", args["sample_ids"], factory, concurrency=args["concurrency"], batch_texts=2)
            )
        say("ready")
        say(f"saved job {job} {engine.wait(job, 120)}")
    finally:
        engine.close()


def flow_export(args: dict) -> None:
    from app import exporter
    from app.store import Project

    _break_exports_if_asked()
    with Project.open(args["project"]) as project:
        say("ready")
        report = exporter.export(project, args["out"], format_name=args["format"], dataset_info=False)
        say(f"saved export {report.written}")


def flow_merge(args: dict) -> None:
    from app.packages import workpackage
    from app.store import Project

    with Project.open(args["project"], author="lead") as project:
        say("ready")
        result = workpackage.merge_packages(project, [Path(p) for p in args["packages"]])
        refused = [r.error for r in result.refused]
        say(f"saved merge refused={len(refused)}")


FLOWS = {
    "import": flow_import,
    "review": flow_review,
    "job": flow_job,
    "export": flow_export,
    "merge": flow_merge,
}


def main() -> None:
    flow, raw = sys.argv[1], sys.argv[2]
    FLOWS[flow](orjson.loads(raw))
    say("finished")


if __name__ == "__main__":
    main()
