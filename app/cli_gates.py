"""``winnow gate``, ``winnow qa-settings`` and ``winnow agreement``: the command line of :mod:`app.gates`
and :mod:`app.qa_stats`.

Wired into :mod:`app.cli` by ``add_gate_commands(commands)`` in ``build_parser`` and
``COMMANDS.update(GATE_COMMANDS)``. Errors are raised as ``ProjectError`` for ``app.cli.main``
to print and turn into exit code 1, like every other command.
"""

from __future__ import annotations

import argparse
import json
import unicodedata
from collections.abc import Callable, Sequence
from fractions import Fraction
from pathlib import Path
from typing import Any

from app import gates, qa_stats
from app.agreement import METRICS, as_float, rating_agreement
from app.store.project import Project, ProjectError

EXIT_OK = 0
# `winnow gate` exits with this when the stage's verdict is a failure (a script can branch on it).
EXIT_GATE_FAILED = 5


def add_gate_commands(commands: argparse._SubParsersAction) -> None:
    gate = commands.add_parser(
        "gate",
        help="the QA gates of a batch: summary, start, verdict, rework",
        description="Without BATCH, list every batch with its gate state. With BATCH, summarise its gate: "
        "the stage due (1: an inspector checks every annotated sample; 2: an expert checks a seeded random "
        "sample), how many are checked and agreed against the threshold, the results so far and, after a "
        "failure, the reasons. --start opens the due stage, --decide records its verdict, --send-back returns "
        "a failed batch to its annotator (next rework round), --correction opens the correction phase of a "
        "batch through both gates. Each is one undoable step. Exit code 5: the batch failed.",
    )
    gate.add_argument("project", type=Path)
    gate.add_argument("batch", nargs="?", help="batch name (e.g. a1-alice-1) or id")
    gate.add_argument("--stage", type=int, choices=(1, 2), help="show this stage's results (default: the due one)")
    action = gate.add_mutually_exclusive_group()
    action.add_argument("--start", action="store_true", help="open the due stage for checking")
    action.add_argument("--decide", action="store_true", help="record the due stage's verdict")
    action.add_argument("--send-back", action="store_true", help="send a failed batch back for rework")
    action.add_argument("--correction", action="store_true", help="start the correction phase (after both gates)")
    gate.add_argument("--queue", action="store_true", help="list the stage's samples in checking order")
    gate.add_argument("--json", action="store_true", help="print the summary as JSON")

    settings = commands.add_parser(
        "qa-settings",
        help="show or change the QA gate settings of a project",
        description="Show the gate thresholds, the expert's sample size and seed, the routing limits and the "
        "error list; change them with --set KEY=VALUE (thresholds as 95%%, 0.95 or 19/20) and --reasons. "
        "One undoable step.",
    )
    settings.add_argument("project", type=Path)
    settings.add_argument("--set", action="append", default=[], metavar="KEY=VALUE", dest="values")
    settings.add_argument("--reasons", help="the error list, separated by commas (、 and ， work too)")

    agreement = commands.add_parser(
        "agreement",
        help="agreement on the overlap: Cohen's and Fleiss' kappa, Krippendorff's alpha, time per sample",
        description="On the samples given to two or more annotators: Fleiss' kappa and Krippendorff's alpha "
        "(nominal) of the COIG labels, Cohen's kappa for each pair and each annotator against the others, "
        "Krippendorff's alpha of the ratings; per annotator also samples decided, seconds per sample and "
        "the mean post-edit distance between the machine draft and the final text.",
    )
    agreement.add_argument("project", type=Path)
    agreement.add_argument(
        "--metric", choices=METRICS, default="ordinal", help="difference for the ratings' alpha (default ordinal)"
    )
    agreement.add_argument("--json", action="store_true")


def _percent(value: Fraction) -> str:
    return f"{float(value) * 100:.1f} %"


def _width(text: str) -> int:
    return sum(2 if unicodedata.east_asian_width(c) in "WF" else 1 for c in text)


def _table(rows: Sequence[Sequence[str]]) -> list[str]:
    """Columns padded by display width (a Chinese character takes two cells)."""
    widths = [max(_width(row[i]) for row in rows) for i in range(len(rows[0]))]
    return ["  ".join(cell + " " * (widths[i] - _width(cell)) for i, cell in enumerate(row)).rstrip() for row in rows]


def _status_json(status: gates.GateStatus, reasons: list[dict[str, Any]]) -> dict[str, Any]:
    batch = status.batch
    return {
        "batch": batch["name"],
        "annotator": batch["annotator"],
        "state": batch["state"],
        "phase": batch["phase"],
        "round": batch["round"],
        "stage": status.stage,
        "open": status.open,
        "samples": status.total,
        "checked": status.checked,
        "agreed": status.agreed,
        "threshold": str(status.threshold),
        "allowed": status.allowed,
        "verdict": status.verdict if status.open else None,
        "queue": [{"id": r.info.sample_id, "routing": list(r.reasons)} for r in status.queue],
        "results": [{**r, "threshold": str(r["threshold"])} for r in status.results],
        "rework": reasons,
    }


def cmd_gate(args: argparse.Namespace) -> int:
    with Project.open(args.project) as project:
        if args.batch is None:
            rows = [["batch", "annotator", "samples", "state", "phase", "round", "passed"]]
            for info in gates.batch_infos(project):
                rows.append(
                    [info["name"], info["annotator"], str(info["samples"]), info["state"], info["phase"],
                     str(info["round"]), f"stage {info['gate_stage']}" if info["gate_stage"] else "—"]
                )  # fmt: skip
            if len(rows) == 1:
                print("no batches (winnow assign PROJECT … makes them)")
            else:
                print("\n".join(_table(rows)))
            return EXIT_OK
        outcome = EXIT_OK
        if args.start:
            print(gates.start_gate(project, args.batch).summary)
        elif args.decide:
            decision = gates.decide_gate(project, args.batch)
            print(decision.changes.summary)
            outcome = EXIT_OK if decision.passed else EXIT_GATE_FAILED
        elif args.send_back:
            print(gates.send_back(project, args.batch).summary)
        elif args.correction:
            print(gates.start_correction(project, args.batch).summary)
        status = gates.gate_status(project, args.batch)
        reasons = gates.rework_reasons(project, args.batch)
        if args.json:
            print(json.dumps(_status_json(status, reasons), ensure_ascii=False, indent=1))
            return outcome
        _print_status(status, reasons, args.stage, args.queue)
        if status.batch["state"] == "failed":
            outcome = EXIT_GATE_FAILED
    return outcome


def _print_status(status: gates.GateStatus, reasons: list[dict[str, Any]], stage: int | None, queue: bool) -> None:
    batch = status.batch
    print(
        f"batch {batch['name']} ({batch['annotator']}): {batch['state']}, {batch['phase']} phase, "
        f"rework round {batch['round']}"
    )
    shown = [r for r in status.results if stage is None or r["stage"] == stage]
    for result in shown:
        share = Fraction(result["agreed"], result["checked"]) if result["checked"] else Fraction(0)
        verdict = "passed" if result["passed"] else "FAILED"
        print(
            f"  {result['phase']} round {result['round']} stage {result['stage']}: {result['agreed']}/"
            f"{result['checked']} agreed ({_percent(share)}, needs {_percent(result['threshold'])}) {verdict}"
            f" — {result['decided_by']}, {result['decided_at'][:16].replace('T', ' ')}"
        )
    if status.stage is None:
        print("through both gates" if batch["state"] != "failed" else "failed: winnow gate PROJECT BATCH --send-back")
    elif stage is None or stage == status.stage:
        what = "inspection of every annotated sample" if status.stage == 1 else "expert check of a seeded sample"
        state = "open" if status.open else "not started (--start)"
        print(
            f"stage {status.stage} ({what}): {state}; {status.checked}/{status.total} checked, {status.agreed} agreed, "
            f"{status.disagreed} wrong of {status.allowed} allowed at {_percent(status.threshold)}"
        )
        if status.open and status.verdict is not None:
            print(f"verdict: {'passes' if status.verdict else 'fails'} (--decide records it)")
        if queue:
            for routed in status.queue:
                check = status.checks.get(routed.info.sample_id)
                mark = " " if check is None else "✓" if check.agree else "✗"
                routing = f"  [{', '.join(routed.reasons)}]" if routed.reasons else ""
                print(f"  {mark} #{routed.info.sample_id}{routing}")
    if reasons and batch["state"] in ("failed", "assigned"):
        print("found wrong in the last failed stage:")
        for reason in reasons:
            comment = f" — {reason['comment']}" if reason["comment"] else ""
            print(f"  #{reason['sample_id']} {reason['reason']}{comment} ({reason['checker']})")


def cmd_qa_settings(args: argparse.Namespace) -> int:
    with Project.open(args.project) as project:
        values: dict[str, Any] = {}
        for pair in args.values:
            key, sep, value = pair.partition("=")
            if not sep:
                raise ProjectError(f"--set {pair!r}: expected KEY=VALUE, e.g. stage1_threshold=95%")
            key = key.strip().replace("-", "_")
            if key not in gates.QaSettings.__dataclass_fields__ or key == "error_reasons":
                known = ", ".join(k for k in gates.QaSettings.__dataclass_fields__ if k != "error_reasons")
                raise ProjectError(f"--set {key}: unknown setting; one of {known} (the error list: --reasons)")
            values[key] = _setting_value(key, value.strip())
        if args.reasons is not None:
            for separator in ("、", "，"):
                args.reasons = args.reasons.replace(separator, ",")
            values["error_reasons"] = tuple(args.reasons.split(","))
        if values:
            print(gates.set_qa_settings(project, **values).summary or "nothing changed")
        current = gates.qa_settings(project)
    for key, value in current.as_store().items():
        shown = "、".join(current.error_reasons) if key == "error_reasons" else value
        if key in ("stage1_threshold", "stage2_threshold", "heavy_edit", "light_edit"):
            shown = f"{value} ({_percent(Fraction(value))})"
        print(f"{key:<20} {shown}")
    return EXIT_OK


def _setting_value(key: str, text: str) -> Any:
    try:
        if key in ("stage2_sample_size", "stage2_seed"):
            return int(text)
        if key == "fast_seconds":
            return float(text)
        return gates.ratio(text)
    except ValueError:
        raise ProjectError(f"--set {key}={text}: not a number") from None


def cmd_agreement(args: argparse.Namespace) -> int:
    with Project.open(args.project) as project:
        report = qa_stats.agreement_report(project)
        ratings = report.ratings
        if args.metric != "ordinal":
            ratings = rating_agreement(qa_stats.judgements(project, "rating"), args.metric)
    labels = report.labels
    people = qa_stats.annotator_rows(report, ratings)
    if args.json:
        print(
            json.dumps(
                {
                    "overlap_samples": labels.items,
                    "annotators": labels.raters,
                    "fleiss_kappa": as_float(labels.fleiss),
                    "alpha_labels_nominal": as_float(labels.alpha),
                    f"alpha_ratings_{args.metric}": as_float(ratings.alpha),
                    "pairwise_cohen_kappa": {f"{a}×{b}": as_float(k) for (a, b), k in labels.pairwise.items()},
                    "per_annotator": [
                        {
                            "annotator": row.annotator,
                            "decided": row.decided,
                            "seconds_per_sample": row.seconds_per_sample,
                            "overlap_samples": row.overlap,
                            "cohen_kappa": as_float(row.kappa),
                            "alpha_ratings": as_float(row.rating_alpha),
                            "post_edit_distance": as_float(row.post_edit),
                        }
                        for row in people
                    ],
                },
                ensure_ascii=False,
                indent=1,
            )
        )
        return EXIT_OK
    print(f"overlap: {labels.items} samples judged by two or more of {labels.raters} annotators")
    fleiss, alpha = qa_stats.figure(labels.fleiss), qa_stats.figure(labels.alpha)
    print(f"labels:  Fleiss' kappa {fleiss}, Krippendorff's alpha (nominal) {alpha}")
    print(f"ratings: Krippendorff's alpha ({args.metric}) {qa_stats.figure(ratings.alpha)} on {ratings.items} samples")
    if labels.pairwise:
        print("Cohen's kappa per pair:")
        for (a, b), kappa in labels.pairwise.items():
            print(f"  {a} × {b}: {qa_stats.figure(kappa)}")
    rows = [list(qa_stats.ANNOTATOR_COLUMNS), *(row.cells() for row in people)]
    if len(rows) > 1:
        print("\n".join(_table(rows)))
    return EXIT_OK


GATE_COMMANDS: dict[str, Callable[[argparse.Namespace], int]] = {
    "gate": cmd_gate,
    "qa-settings": cmd_qa_settings,
    "agreement": cmd_agreement,
}
