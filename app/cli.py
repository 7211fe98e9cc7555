"""``winnow``: the command line, for the data engineer. It calls the same operations as the GUI.

Exit codes: 0 done; 1 failed, nothing changed; 2 bad usage; 3 done, but bad records were skipped;
4 refused because the file was already imported; 130 interrupted (nothing of the current file kept).
"""

from __future__ import annotations

import argparse
import json
import logging
import sqlite3
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import app
from app import demo, exporter, i18n, importer
from app.cli_backup import BACKUP_COMMANDS, add_backup_commands
from app.cli_gates import GATE_COMMANDS, add_gate_commands
from app.cli_packages import PACKAGE_COMMANDS, add_package_commands
from app.cli_progress import progress
from app.cli_quality import QUALITY_COMMANDS, add_quality_commands
from app.formats import registry
from app.formats.base import FormatError, ReadOptions
from app.records import searchable_text
from app.store import Project, ProjectError, query
from app.store import ops as store_ops

EXIT_OK, EXIT_FAILED, EXIT_USAGE, EXIT_SKIPPED, EXIT_DUPLICATE, EXIT_INTERRUPTED = 0, 1, 2, 3, 4, 130

log = logging.getLogger("winnow.cli")


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    i18n.set_language(i18n.language_from_environment())  # English unless LANG & co. ask for Chinese
    logging.basicConfig(level=logging.DEBUG if args.verbose else logging.WARNING, format="%(name)s: %(message)s")
    command = args.command or "demo"
    try:
        return COMMANDS[command](args)
    except (ProjectError, FormatError) as error:
        _fail(str(error))
        return EXIT_FAILED
    except sqlite3.Error as error:
        # The change in progress was rolled back; say so rather than show a traceback.
        _fail(f"the project file could not be read or written ({error}); nothing was changed")
        return EXIT_FAILED
    except KeyboardInterrupt:
        _fail("interrupted; the file being imported or exported was left as it was")
        return EXIT_INTERRUPTED
    except BrokenPipeError:
        # Output piped into `head` and the like: the reader left, which is not an error.
        sys.stderr.close()
        return EXIT_OK


def _fail(message: str) -> None:
    print(f"winnow: error: {message}", file=sys.stderr)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="winnow",
        description="Build Chinese instruction-tuning datasets: import, curate, export. "
        "With no command, opens the demo project.",
        epilog="Machine jobs (DeepL, OpenAI-compatible LLMs): winnow run, winnow jobs, winnow resume "
        "(see winnow run --help). Exit codes: 0 done, 1 failed (nothing changed), 2 bad usage, "
        "3 done but bad records skipped, 4 already imported, 130 interrupted.",
    )
    parser.add_argument("--version", action="version", version=f"winnow {app.__version__}")
    parser.add_argument("-v", "--verbose", action="store_true", help="log what happens")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND")

    init = commands.add_parser("init", help="create a project file", description="Create a new, empty project.")
    init.add_argument("project", type=Path, help="project file to create, e.g. coig.winnow")
    init.add_argument("--name", help="display name (default: the file name)")

    imp = commands.add_parser(
        "import",
        help="import data files into a project",
        description="Import files (or CCMC folders/.tar.gz). Each file is imported whole or not at all; "
        "the format is detected from the content unless --format is given.",
    )
    imp.add_argument("project", type=Path)
    imp.add_argument("files", type=Path, nargs="+", metavar="FILE")
    imp.add_argument("--format", dest="format_name", help="reader to use (see `winnow formats`)")
    imp.add_argument(
        "--on-error",
        choices=importer.ON_ERROR,
        default="skip",
        help="skip bad records and report them (default), or abort the file at the first",
    )
    imp.add_argument("--subset", help="subset the samples go to (default: the file name)")
    imp.add_argument("--encoding", help="force an encoding, e.g. gb18030 (default: detected)")
    imp.add_argument(
        "--map",
        action="append",
        default=[],
        metavar="FIELD=COLUMN",
        help="CSV/TSV/Parquet column mapping, e.g. --map instruction=问题 --map output=回答",
    )
    imp.add_argument("--allow-duplicate", action="store_true", help="import a file already imported")

    exp = commands.add_parser(
        "export",
        help="export samples to a file",
        description="Write the samples matching the filters to OUT, atomically. Formats LLaMA-Factory reads "
        "also get an entry in dataset_info.json beside OUT.",
    )
    exp.add_argument("project", type=Path)
    exp.add_argument("out", type=Path)
    exp.add_argument("--format", dest="format_name", required=True, help="writer to use (see `winnow formats`)")
    exp.add_argument(
        "--where",
        action="append",
        default=[],
        metavar="KEY=VALUE",
        help="filter: status, label, rating, subset, kind, flag, assignee, text; "
        "e.g. --where status=accepted --where rating>=4",
    )
    exp.add_argument(
        "--provenance",
        action="store_true",
        help='add each sample\'s source, machine drafts, edits and reviews under "_winnow"',
    )
    exp.add_argument("--no-dataset-info", action="store_true", help="do not write dataset_info.json")
    exp.add_argument("--name", help="dataset name in dataset_info.json (default: OUT's name)")

    stats = commands.add_parser("stats", help="counts by kind, status, label, rating, subset")
    stats.add_argument("project", type=Path)
    stats.add_argument("--json", action="store_true", help="print JSON")

    search = commands.add_parser("search", help="full-text search (Chinese substrings, any length)")
    search.add_argument("project", type=Path)
    search.add_argument("query")
    search.add_argument("--where", action="append", default=[], metavar="KEY=VALUE", help="extra filters")
    search.add_argument("--limit", type=int, default=20)
    search.add_argument("--json", action="store_true", help="print JSON lines of the matching samples")

    for name, helptext in (("undo", "undo the latest change"), ("redo", "redo the change undone last")):
        sub = commands.add_parser(name, help=helptext, description=f"{helptext[0].upper()}{helptext[1:]}.")
        sub.add_argument("project", type=Path)

    commands.add_parser("formats", help="list the readers and writers")
    demo_cmd = commands.add_parser("demo", help="create (once) and show the demo project")
    demo_cmd.add_argument("--path", type=Path, help="where the demo project lives (default: your data folder)")
    add_backup_commands(commands)
    add_package_commands(commands)
    add_quality_commands(commands)
    add_gate_commands(commands)
    return parser


def cmd_init(args: argparse.Namespace) -> int:
    with Project.create(args.project, name=args.name) as project:
        print(f"created {project.path} ({project.name})")
    return EXIT_OK


def _column_map(pairs: list[str]) -> dict[str, str]:
    mapping = {}
    for pair in pairs:
        field, sep, column = pair.partition("=")
        if not sep or not field.strip() or not column.strip():
            raise ProjectError(f"--map {pair!r}: expected FIELD=COLUMN, e.g. instruction=问题")
        mapping[field.strip()] = column.strip()
    return mapping


def cmd_import(args: argparse.Namespace) -> int:
    options = ReadOptions(column_map=_column_map(args.map), encoding=args.encoding)
    outcome = EXIT_OK
    with Project.open(args.project) as project:
        for path in args.files:
            try:
                with progress(path.name) as update:
                    report = importer.import_file(
                        project,
                        path,
                        format_name=args.format_name,
                        subset=args.subset,
                        on_error=args.on_error,
                        allow_duplicate=args.allow_duplicate,
                        options=options,
                        progress=update,
                    )
            except importer.DuplicateSource as error:
                _fail(str(error))
                outcome = max(outcome, EXIT_DUPLICATE)
                continue
            except (ProjectError, FormatError) as error:
                _fail(str(error))
                outcome = EXIT_FAILED
                continue
            print(f"{path}: {report.detection}")
            print(
                f"{path}: imported {report.imported} samples as source #{report.source_id}"
                + (f", skipped {report.skipped} bad records" if report.skipped else "")
            )
            for problem in report.problems[:20]:
                print(f"  skipped {problem}", file=sys.stderr)
            if report.skipped > 20:
                print(f"  … and {report.skipped - 20} more", file=sys.stderr)
            if report.skipped and outcome == EXIT_OK:
                outcome = EXIT_SKIPPED
    return outcome


def cmd_export(args: argparse.Namespace) -> int:
    with Project.open(args.project) as project:
        where = query.parse_where(args.where)
        with progress(args.out.name) as update:
            report = exporter.export(
                project,
                args.out,
                format_name=args.format_name,
                where=where,
                provenance=args.provenance,
                dataset_info=not args.no_dataset_info,
                dataset_name=args.name,
                progress=update,
            )
    print(f"wrote {report.written} samples to {report.path} ({report.format})")
    for kind, n in sorted(report.skipped_kinds.items()):
        print(f"  left out {n} {kind} samples: {report.format} cannot hold them", file=sys.stderr)
    if report.dataset_info:
        print(f"updated {report.dataset_info}")
    return EXIT_OK


def cmd_stats(args: argparse.Namespace) -> int:
    with Project.open(args.project) as project:
        figures = query.stats(project)
    if args.json:
        print(json.dumps(figures, ensure_ascii=False, indent=2))
        return EXIT_OK
    print(render_stats(figures))
    return EXIT_OK


def render_stats(figures: dict[str, Any]) -> str:
    lines = [f"{figures['project']}  ({figures['path']})", f"samples: {figures['samples']}"]
    for title, key in (
        ("kind", "by_kind"),
        ("status", "by_status"),
        ("label", "by_label"),
        ("rating", "by_rating"),
        ("subset", "by_subset"),
        ("flag", "flags"),
    ):
        if figures[key]:
            lines.append(f"by {title}: " + ", ".join(f"{_none_as(k)} {v}" for k, v in figures[key].items()))
    lines.append(f"edited: {figures['edited']}   reviews: {figures['reviews']}")
    for source in figures["sources"]:
        lines.append(
            f"  source #{source['id']} {source['file']} ({source['format']}, subset {source['subset']}): "
            f"{source['records']} samples" + (f", {source['skipped']} skipped" if source["skipped"] else "")
        )
    return "\n".join(lines)


def _none_as(key: str) -> str:
    return "unset" if key == "None" else key


def _snippet(text: str, term: str, width: int = 36) -> str:
    at = text.casefold().find(term.casefold()) if term else -1
    start = max(0, at - width // 2) if at >= 0 else 0
    piece = text[start : start + width * 2].replace("\n", " ")
    return ("…" if start else "") + piece + ("…" if start + width * 2 < len(text) else "")


def cmd_search(args: argparse.Namespace) -> int:
    with Project.open(args.project) as project:
        flt = query.parse_where([*args.where, f"text={args.query}"])
        total = query.count(project, flt)
        samples = query.get_samples(project, query.sample_ids(project, flt, limit=args.limit))
    if args.json:
        for sample in samples:
            print(
                json.dumps(
                    {
                        "id": sample.id,
                        "kind": sample.kind.value,
                        "status": sample.status,
                        "content": sample.content,
                    },
                    ensure_ascii=False,
                )
            )
        return EXIT_OK
    print(f"{total} samples match {args.query!r}" + (f" (first {len(samples)} shown)" if total > len(samples) else ""))
    first_term = args.query.split()[0] if args.query.split() else ""
    for sample in samples:
        print(
            f"#{sample.id:<8} {sample.kind.value:<11} {sample.status:<9} "
            f"{_snippet(searchable_text(sample.content), first_term)}"
        )
    return EXIT_OK


def cmd_undo(args: argparse.Namespace) -> int:
    with Project.open(args.project) as project:
        changes = store_ops.undo(project)
    print(f"undone: {i18n.display(changes.summary)}")
    return EXIT_OK


def cmd_redo(args: argparse.Namespace) -> int:
    with Project.open(args.project) as project:
        changes = store_ops.redo(project)
    print(f"redone: {i18n.display(changes.summary)}")
    return EXIT_OK


def cmd_formats(args: argparse.Namespace) -> int:
    print("readers (winnow import --format NAME):")
    for reader in registry.readers():
        print(f"  {reader.name:<18} {reader.title}")
    print("writers (winnow export --format NAME):")
    for writer in registry.writers():
        print(f"  {writer.name:<18} {writer.title}")
    return EXIT_OK


def cmd_demo(args: argparse.Namespace) -> int:
    path = getattr(args, "path", None) or demo.default_demo_path()
    with demo.open_demo(path) as project:
        print(render_stats(query.stats(project)))
        print()
        print("first samples:")
        for sample in query.get_samples(project, query.sample_ids(project, limit=8)):
            print(f"  #{sample.id:<4} {sample.kind.value:<11} {_snippet(searchable_text(sample.content), '', 30)}")
        print()
        print(f"try: winnow search {path} 翻译   ·   winnow export {path} out.jsonl --format alpaca-jsonl")
    return EXIT_OK


COMMANDS = {
    "init": cmd_init,
    "import": cmd_import,
    "export": cmd_export,
    "stats": cmd_stats,
    "search": cmd_search,
    "undo": cmd_undo,
    "redo": cmd_redo,
    "formats": cmd_formats,
    "demo": cmd_demo,
}
COMMANDS.update(BACKUP_COMMANDS)
COMMANDS.update(PACKAGE_COMMANDS)
COMMANDS.update(QUALITY_COMMANDS)
COMMANDS.update(GATE_COMMANDS)


if __name__ == "__main__":
    sys.exit(main())
