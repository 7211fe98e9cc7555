"""End to end, as the issue tells it: a lead splits the samples among three annotators with overlap,
three packages are worked in three separate projects and merged back with one conflict adjudicated;
stage 1 passes one batch and fails another, the failed one is reworked (a new package) and passes;
stage 2 checks 200 seeded samples; the dashboard and the command line show it all."""

from __future__ import annotations

import json
from fractions import Fraction
from pathlib import Path

from app import gates, importer
from app.cli import main as cli
from app.packages import adjudication, assign, workpackage
from app.store import Project, actions, query
from widgets.dashboard import Dashboard

ANNOTATORS = ["甲", "乙", "丙"]


def _work(path: Path, sample_ids: list[int], *, disputed: int | None, number: int) -> None:
    """An annotator's day in their own project: label everything (timed), rate, edit one sample."""
    with workpackage.open_project_file(path) as work:
        for sample_id in sample_ids:
            # Two people's different verdicts on one sample are a conflict to adjudicate (app.packages):
            # 丙 labels the disputed sample differently from the other one who has it.
            label = 2 if number == 2 and sample_id == disputed else 1
            actions.add_review(
                work, sample_id, verdict="accept", label=label, rating=4 + (sample_id % 2), seconds=12.0 + number
            )
        if disputed is not None and disputed in sample_ids:
            content = query.get_sample(work, disputed).content
            actions.edit_content(work, disputed, {**content, "output": f"{number}号的答案"})


def _inspect(project: Project, batch: str, wrong: int, checker: str) -> gates.GateDecision:
    gates.start_gate(project, batch)
    for index, routed in enumerate(gates.gate_status(project, batch).queue):
        bad = index < wrong
        gates.record_check(
            project,
            batch,
            routed.info.sample_id,
            agree=not bad,
            reason="翻译错误" if bad else "",
            seconds=8.0,
            checker=checker,
        )
    return gates.decide_gate(project, batch)


def test_team_flow_through_both_gates(qtbot, project: Project, write_jsonl, tmp_path: Path, capsys) -> None:
    records = [{"instruction": f"翻译第{i}句。", "input": f"Sentence {i}.", "output": f"第{i}句。"} for i in range(660)]
    importer.import_file(project, write_jsonl("flow.jsonl", records))
    result = assign.assign_batches(project, query.sample_ids(project), ANNOTATORS, overlap=0.1, seed=3)
    assert sorted(len(b.sample_ids) for b in result.batches) == [242, 242, 242]
    names = [b.name for b in result.batches]
    paths = [workpackage.export_package(project, b.name, tmp_path / b.name).path for b in result.batches]
    disputed = min(result.batches[2].shared)  # one of 丙's shared samples
    for number, (path, batch) in enumerate(zip(paths, result.batches, strict=True)):
        _work(path, list(batch.sample_ids), disputed=disputed, number=number)
    merged = workpackage.merge_packages(project, paths)
    assert not merged.refused and merged.conflicts == 1
    (conflict,) = adjudication.open_conflicts(project)
    adjudication.resolve_conflict(project, conflict.id, conflict.versions[0].state)

    # Stage 1: the first batch passes (3 wrong of 242: 98.8 %), the second fails (20 wrong: 91.7 %).
    first, second, third = names
    assert _inspect(project, first, 3, "检查员").passed
    failed = _inspect(project, second, 20, "检查员")
    assert not failed.passed and failed.agreement == Fraction(222, 242)
    wrong = [r["sample_id"] for r in gates.rework_reasons(project, second)]
    assert len(wrong) == 20

    # Rework: back to 乙 as a new package; 乙 fixes the 20 in their project; merged back.
    gates.send_back(project, second)
    assert query.count(project, query.parse_where(["status=needs_fix"])) == 20
    rework = workpackage.export_package(project, second, tmp_path / f"{second}-rework").path
    with workpackage.open_project_file(rework) as work:
        for sample_id in wrong:
            content = query.get_sample(work, sample_id).content
            actions.edit_content(work, sample_id, {**content, "output": content["output"] + "（已改）"})
            actions.add_review(work, sample_id, verdict="accept", label=1, seconds=40.0)
    assert not workpackage.merge_packages(project, [rework]).refused
    assert query.count(project, query.parse_where(["status=needs_fix"])) == 0
    passed = _inspect(project, second, 1, "检查员")
    assert passed.passed and passed.agreement == Fraction(241, 242)

    # Stage 2: 200 seeded samples of each passed batch; all right → through.
    for batch in (first, second):
        gates.start_gate(project, batch)
        status = gates.gate_status(project, batch)
        assert status.stage == 2 and status.total == 200
        assert len({r.info.sample_id for r in status.queue}) == 200
        for routed in status.queue:
            gates.record_check(project, batch, routed.info.sample_id, agree=True, checker="专家")
        decision = gates.decide_gate(project, batch)
        assert decision.passed and decision.checked == 200
    assert [(r["batch"], r["round"], r["stage"], r["passed"]) for r in gates.gate_results(project)] == [
        (first, 0, 1, True),
        (second, 0, 1, False),
        (second, 1, 1, True),
        (first, 0, 2, True),
        (second, 1, 2, True),
    ]
    assert gates.gate_status(project, third).stage == 1  # not inspected yet

    # The dashboard shows it.
    dashboard = Dashboard(project)
    qtbot.addWidget(dashboard)
    with qtbot.waitSignal(dashboard.loaded, timeout=20_000):
        dashboard.show()
    assert [bar.color for bar in dashboard.gates.bars].count("#D55E00") == 1
    assert len(dashboard.gates.bars) == 5
    assert sum(bar.value for bar in dashboard.labels.bars) == 660
    report = dashboard.data.report
    assert report.labels.items == 66 and report.labels.raters == 3
    assert {t.annotator for t in report.throughput} == set(ANNOTATORS)
    assert report.labels.fleiss is not None and report.labels.fleiss < 1  # the one disputed label
    assert report.ratings.alpha == 1  # everyone rated the overlap alike
    dashboard.close()

    # And the command line.
    path = str(project.path)
    assert cli(["gate", path]) == 0
    listing = capsys.readouterr().out
    assert first in listing and "passed" in listing
    assert cli(["gate", path, second, "--json"]) == 0
    summary = json.loads(capsys.readouterr().out)
    assert (summary["round"], summary["stage"], [r["passed"] for r in summary["results"]]) == (
        1,
        None,
        [False, True, True],
    )
    assert cli(["agreement", path]) == 0
    table = capsys.readouterr().out
    assert "Fleiss' kappa" in table and "丙" in table
