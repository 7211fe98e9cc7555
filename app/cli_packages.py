"""``winnow assign``, ``batches``, ``package``, ``merge`` and ``adjudicate``: team work on the command line.

Wired into :mod:`app.cli` by ``add_package_commands(commands)`` and ``COMMANDS.update(PACKAGE_COMMANDS)``.
Errors are raised as ``ProjectError`` for ``app.cli.main`` to print and turn into exit code 1.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable
from pathlib import Path

from app.packages import adjudication, assign, workpackage
from app.packages.hunks import content_hunks
from app.store import query
from app.store.project import Project, ProjectError

EXIT_OK, EXIT_FAILED = 0, 1


def add_package_commands(commands: argparse._SubParsersAction) -> None:
    split = commands.add_parser(
        "assign",
        help="split samples into batches for annotators",
        description="Split the samples matching --where into batches for the annotators, OVERLAP of them "
        "given to two people (for agreement). The same seed gives the same batches. Samples already out "
        "with an annotator are left out. One undoable step.",
    )
    split.add_argument("project", type=Path)
    split.add_argument("--annotators", required=True, help="names, comma-separated, e.g. alice,bob,carol")
    split.add_argument("--overlap", type=float, default=0.0, help="share given to two people, e.g. 0.1 (10 %%)")
    split.add_argument("--where", action="append", default=[], metavar="KEY=VALUE", help="filter (as for export)")
    split.add_argument("--batch-size", type=int, help="at most this many samples a batch (default: one each)")
    split.add_argument("--seed", type=int, default=0, help="shuffle seed (default 0)")

    listing = commands.add_parser("batches", help="list the batches and their states")
    listing.add_argument("project", type=Path)

    pack = commands.add_parser(
        "package",
        help="write a batch as a work package file",
        description="Write BATCH as a .winnowpkg file its annotator opens in their own Winnow, works through "
        "offline and sends back for `winnow merge`.",
    )
    pack.add_argument("project", type=Path)
    pack.add_argument("batch", help="batch name (see `winnow batches`) or id")
    pack.add_argument("-o", "--out", type=Path, help="file to write (default: BATCH.winnowpkg beside PROJECT)")

    merge = commands.add_parser(
        "merge",
        help="merge returned work packages",
        description="Merge returned packages into PROJECT as one undoable step. A damaged or tampered package, "
        "or one of another project, is refused and changes nothing; merging a package again changes nothing. "
        "Samples changed differently by two people go to `winnow adjudicate`.",
    )
    merge.add_argument("project", type=Path)
    merge.add_argument("files", type=Path, nargs="+", metavar="FILE")

    judge = commands.add_parser(
        "adjudicate",
        help="list the samples waiting for adjudication",
        description="List open conflicts; with --show, the versions of one and their differences; with --take, "
        "resolve one by taking one version whole (hunk by hunk picking is in the window).",
    )
    judge.add_argument("project", type=Path)
    judge.add_argument("--show", type=int, metavar="CONFLICT", help="show one conflict's versions and hunks")
    judge.add_argument(
        "--take", nargs=2, metavar=("CONFLICT", "VERSION"), help="resolve CONFLICT with VERSION (1, 2, … as shown)"
    )


def cmd_assign(args: argparse.Namespace) -> int:
    with Project.open(args.project) as project:
        ids = query.sample_ids(project, query.parse_where(args.where))
        result = assign.assign_batches(
            project,
            ids,
            assign.annotator_names(args.annotators),
            overlap=args.overlap,
            seed=args.seed,
            batch_size=args.batch_size,
        )
    print(f"assignment {result.name}: {len(ids) - result.skipped_out} samples in {len(result.batches)} batches")
    for batch in result.batches:
        print(
            f"  {batch.name:<24} {batch.annotator:<12} {len(batch.sample_ids):>6} samples, {len(batch.shared)} shared"
        )
    if result.skipped_out:
        print(f"  left out {result.skipped_out} samples already out with annotators", file=sys.stderr)
    return EXIT_OK


def cmd_batches(args: argparse.Namespace) -> int:
    with Project.open(args.project) as project:
        found = assign.batches(project)
    if not found:
        print(f"no batches yet; make some with `winnow assign {args.project} --annotators …`")
    for b in found:
        print(f"{b['name']:<24} {b['annotator']:<12} {b['state']:<10} {b['samples']:>6} samples, {b['shared']} shared")
    return EXIT_OK


def cmd_package(args: argparse.Namespace) -> int:
    with Project.open(args.project) as project:
        batch = assign.find_batch(project, args.batch)
        out = args.out or project.path.with_name(workpackage.package_file_name(batch["name"]))
        exported = workpackage.export_package(project, batch["id"], out)
    print(f"wrote {exported.samples} samples of batch {exported.batch} for {exported.annotator} to {exported.path}")
    return EXIT_OK


def cmd_merge(args: argparse.Namespace) -> int:
    with Project.open(args.project) as project:
        result = workpackage.merge_packages(project, args.files)
        waiting = adjudication.open_count(project)
    for report in result.reports:
        print(report.summary(), file=sys.stderr if report.error else sys.stdout)
    if waiting:
        print(f"{waiting} samples wait for adjudication: winnow adjudicate {args.project}")
    return EXIT_FAILED if result.refused else EXIT_OK


def cmd_adjudicate(args: argparse.Namespace) -> int:
    with Project.open(args.project) as project:
        if args.take:
            conflict = adjudication.get_conflict(project, _number(args.take[0]))
            versions = conflict.distinct_versions()
            which = _number(args.take[1])
            if not 1 <= which <= len(versions):
                raise ProjectError(f"conflict {conflict.id} has versions 1–{len(versions)}, not {which}")
            adjudication.resolve_conflict(project, conflict.id, versions[which - 1].state)
            print(f"sample {conflict.sample_id}: took {versions[which - 1].title}")
            return EXIT_OK
        if args.show is not None:
            print(render_conflict(adjudication.get_conflict(project, args.show)))
            return EXIT_OK
        queue = adjudication.open_conflicts(project)
    if not queue:
        print("nothing to adjudicate")
    for conflict in queue:
        who = ", ".join(v.title for v in conflict.distinct_versions())
        print(f"#{conflict.id:<5} sample {conflict.sample_id:<8} {conflict.kind:<11} {who}")
    return EXIT_OK


def render_conflict(conflict: adjudication.Conflict) -> str:
    versions = conflict.distinct_versions()
    lines = [f"conflict {conflict.id}, sample {conflict.sample_id} ({conflict.state})"]
    for number, version in enumerate(versions, start=1):
        state = version.state
        lines.append(
            f"  {number}. {version.title}: label {state['label']}, rating {state['rating']}, {state['status']}"
        )
    if len(versions) >= 2:
        a, b = versions[0], versions[1]
        lines.append(f"hunks, 1 → 2 ([-{a.author}-] {{+{b.author}+}}):")
        for field in content_hunks(a.state["content"], b.state["content"]):
            text = "".join(p.a if p.same else f"[-{p.a}-]{{+{p.b}+}}" for p in field.pieces)
            lines.append(f"  {field.title}: {text}")
    return "\n".join(lines)


def _number(text: str) -> int:
    try:
        return int(text)
    except ValueError:
        raise ProjectError(f"{text!r}: expected a number") from None


PACKAGE_COMMANDS: dict[str, Callable[[argparse.Namespace], int]] = {
    "assign": cmd_assign,
    "batches": cmd_batches,
    "package": cmd_package,
    "merge": cmd_merge,
    "adjudicate": cmd_adjudicate,
}
