"""The suite's own report: what was tried and what survived, as Markdown tables in ``out/``.

Tests add rows while they run; at the end of the session :func:`write` renders them to
``tests/reliability/out/reliability.md`` (the table README's "Reliability" section is pasted from)
and ``out/crash-trials.md`` (one line per trial, with its seed, to rerun one).
"""

from __future__ import annotations

import os
import platform
from collections import defaultdict
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from tests.reliability.harness import Trial

OUT = Path(__file__).resolve().parent / "out"


@dataclass
class Row:
    area: str
    tried: str
    cases: int
    survived: int
    how: str = ""


TRIALS: list[Trial] = []
ROWS: list[Row] = []


def add(area: str, tried: str, cases: int, survived: int, how: str = "") -> None:
    ROWS.append(Row(area, tried, cases, survived, how))


def mode() -> str:
    return "full" if os.environ.get("WINNOW_RELIABILITY") == "full" else "CI"


def crash_table() -> list[str]:
    by_flow: dict[str, list[Trial]] = defaultdict(list)
    for trial in TRIALS:
        by_flow[trial.flow].append(trial)
    lines = [
        "| flow | trials | killed by SIGKILL | had exited before the kill | checks per trial | survived |",
        "|---|---:|---:|---:|---|---:|",
    ]
    for flow, trials in by_flow.items():
        checks = sorted({name for t in trials for name in t.checks})
        lines.append(
            f"| {flow} | {len(trials)} | {sum(t.killed for t in trials)} | {sum(not t.killed for t in trials)} "
            f"| {'; '.join(checks)} | {sum(t.survived for t in trials)} / {len(trials)} |"
        )
    if TRIALS:
        lines.append(
            f"| **all** | **{len(TRIALS)}** | {sum(t.killed for t in TRIALS)} | {sum(not t.killed for t in TRIALS)} "
            f"| | **{sum(t.survived for t in TRIALS)} / {len(TRIALS)}** |"
        )
    return lines


def rows_table() -> list[str]:
    lines = ["| area | what was tried | cases | survived | how it was checked |", "|---|---|---:|---:|---|"]
    merged: dict[tuple[str, str, str], list[int]] = {}
    for row in ROWS:  # the same thing tried by several test cases: one row
        counts = merged.setdefault((row.area, row.tried, row.how), [0, 0])
        counts[0] += row.cases
        counts[1] += row.survived
    for (area, tried, how), (cases, survived) in merged.items():
        lines.append(f"| {area} | {tried} | {cases} | {survived} / {cases} | {how} |")
    return lines


def write() -> Path | None:
    if not TRIALS and not ROWS:
        return None
    OUT.mkdir(exist_ok=True)
    stamp = datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")
    header = [
        f"Reliability suite, {mode()} size, {stamp}, Python {platform.python_version()} on {platform.system()}.",
        "",
    ]
    body = header
    if TRIALS:
        body += ["Crash trials (SIGKILL at a seeded random moment, then reopen and check):", "", *crash_table(), ""]
    if ROWS:
        body += ["Faults, hostile input, two instances, secrets:", "", *rows_table(), ""]
    failures = [f for t in TRIALS for f in t.failures]
    if failures:
        body += ["Failed checks:", "", *[f"- {f}" for f in failures[:50]], ""]
    summary = OUT / "reliability.md"
    summary.write_text("\n".join(body), encoding="utf-8")
    detail = [
        "| flow | seed | kill after (s) | killed | saved before | survived | note | failed checks |",
        "|---|---:|---:|---|---:|---|---|---|",
    ]
    for t in TRIALS:
        detail.append(
            f"| {t.flow} | {t.seed} | {t.kill_after:.3f} | {'yes' if t.killed else 'no'} | {t.saved} "
            f"| {'yes' if t.survived else '**no**'} | {t.note} | {'; '.join(t.failures)} |"
        )
    (OUT / "crash-trials.md").write_text("\n".join(detail) + "\n", encoding="utf-8")
    return summary
