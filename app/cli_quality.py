"""``winnow check``, ``winnow dedup`` and ``winnow simplify``: the command line of :mod:`app.quality`.

Wired into :mod:`app.cli` by ``add_quality_commands(commands)`` in ``build_parser`` and
``COMMANDS.update(QUALITY_COMMANDS)``. Errors are raised as ``ProjectError`` for ``app.cli.main``
to print and turn into exit code 1, like every other command.
"""

from __future__ import annotations

import argparse
from collections.abc import Callable
from pathlib import Path

from app.cli_progress import progress
from app.quality import dedup, flags, normalize, script
from app.quality.checks import CHECK_NAMES
from app.store import query
from app.store.project import Project

EXIT_OK = 0
WHERE_HELP = "filter: status, label, rating, subset, kind, flag, assignee, text; e.g. --where subset=CQIA"


def add_quality_commands(commands: argparse._SubParsersAction) -> None:
    check = commands.add_parser(
        "check",
        help="run the Chinese QA checks again and show what they flag",
        description="Run every QA check on the samples (all, or those matching --where) and replace "
        "their QA flags; print how many samples each check flags. Flags follow every edit by "
        "themselves: run this after updating Winnow, or on a project made before the checks. "
        "Flags a person ignored stay ignored.",
    )
    check.add_argument("project", type=Path)
    check.add_argument("--where", action="append", default=[], metavar="KEY=VALUE", help=WHERE_HELP)
    check.add_argument("--show", type=int, default=0, metavar="N", help="also print the first N flagged samples")

    near = commands.add_parser(
        "dedup",
        help="flag near-duplicate samples (MinHash); nothing is deleted",
        description="Find samples whose text is a near copy of an earlier one (Jaccard similarity of "
        "character 5-grams at least THRESHOLD, found with MinHash LSH, checked exactly) and flag "
        "them near_duplicate; the first of each group stays unflagged. Leave them out of an export "
        "with --where flag!=near_duplicate, look at them with --where flag=near_duplicate. One undo step.",
    )
    near.add_argument("project", type=Path)
    near.add_argument("--threshold", type=float, default=dedup.DEFAULT_THRESHOLD, help="0–1 (default: 0.8)")
    near.add_argument("--where", action="append", default=[], metavar="KEY=VALUE", help=WHERE_HELP)
    near.add_argument("--dry-run", action="store_true", help="list the pairs, flag nothing")

    simplify = commands.add_parser(
        "simplify",
        help="convert Traditional Chinese to Simplified (one undo step)",
        description="Convert every sample (or those matching --where) to Simplified Chinese with "
        "OpenCC. Each changed sample gets a new version; `winnow undo` takes the whole conversion back. "
        "A translation pair's source and the source's extra fields are left as they are.",
    )
    simplify.add_argument("project", type=Path)
    simplify.add_argument("--where", action="append", default=[], metavar="KEY=VALUE", help=WHERE_HELP)
    simplify.add_argument(
        "--config",
        choices=script.CONFIGS,
        default="t2s",
        help="OpenCC conversion: t2s (default), tw2s / tw2sp (from Taiwan, sp: with phrases), hk2s",
    )


def cmd_check(args: argparse.Namespace) -> int:
    with Project.open(args.project) as project:
        flt = query.parse_where(args.where)
        with progress("checking", "sample", query.count(project, flt)) as update:
            report = flags.recheck(project, flt, progress=update)
        ignored = dict(project.db.execute("SELECT flag, count(*) FROM quality_ignores GROUP BY flag").fetchall())
        print(f"checked {report.checked} samples in {report.seconds:.1f} s: {report.flagged} flagged")
        print(f"{'check':<22} {'samples':>8} {'ignored':>8}  what")
        for name in CHECK_NAMES:
            print(f"{name:<22} {report.by_check.get(name, 0):>8} {ignored.get(name, 0):>8}  {flags.FLAG_TITLES[name]}")
        duplicates = query.count(project, query.SampleFilter(flag=(flags.NEAR_DUPLICATE,)))
        if duplicates:
            print(
                f"{flags.NEAR_DUPLICATE:<22} {duplicates:>8} {ignored.get(flags.NEAR_DUPLICATE, 0):>8}  (winnow dedup)"
            )
        if args.show:
            shown = 0
            for sample_id, flag, detail in project.db.execute(
                "SELECT sample_id, flag, detail FROM sample_flags ORDER BY sample_id, flag"
            ):
                if flag not in flags.FLAG_TITLES:
                    continue
                print(f"#{sample_id} {flag}:")
                for line in detail.split("\n"):
                    print(f"    {line}")
                shown += 1
                if shown >= args.show:
                    break
    return EXIT_OK


def cmd_dedup(args: argparse.Namespace) -> int:
    with Project.open(args.project) as project:
        flt = query.parse_where(args.where)
        with progress("comparing", "sample", query.count(project, flt)) as update:
            if args.dry_run:
                report = dedup.find_near_duplicates(project, flt, threshold=args.threshold, progress=update)
            else:
                report = dedup.dedup(project, flt, threshold=args.threshold, progress=update)
    print(
        f"compared {report.scanned} samples in {report.seconds:.1f} s: {len(report.pairs)} near-duplicates "
        f"at similarity >= {args.threshold}"
    )
    for duplicate, kept, similarity in report.pairs[:20]:
        print(f"  #{duplicate} repeats #{kept} ({similarity:.2f})")
    if len(report.pairs) > 20:
        print(f"  … and {len(report.pairs) - 20} more (--where flag=near_duplicate)")
    if not args.dry_run:
        print(f"flagged {report.flagged}, unflagged {report.unflagged}; nothing deleted (winnow undo takes it back)")
    return EXIT_OK


def cmd_simplify(args: argparse.Namespace) -> int:
    with Project.open(args.project) as project:
        flt = query.parse_where(args.where)
        with progress("converting", "sample", query.count(project, flt)) as update:
            report = normalize.to_simplified(project, flt, config=args.config, progress=update)
    print(f"converted {report.changed} of {report.scanned} samples to Simplified ({args.config})")
    if report.changed:
        print("winnow undo takes the whole conversion back")
    return EXIT_OK


QUALITY_COMMANDS: dict[str, Callable[[argparse.Namespace], int]] = {
    "check": cmd_check,
    "dedup": cmd_dedup,
    "simplify": cmd_simplify,
}
