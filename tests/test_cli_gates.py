"""``winnow gate``, ``winnow qa-settings`` and ``winnow agreement``."""

from __future__ import annotations

import json
from fractions import Fraction
from pathlib import Path

import pytest

from app import gates, qa_stats
from app.agreement import AgreementSummary, AnnotatorAgreement, Throughput, rating_agreement
from app.cli import main as cli
from app.packages.assign import batches
from app.store import Project
from tests.qa_helpers import ANNOTATORS, annotate, team_project


@pytest.fixture
def team_path(tmp_path: Path, write_jsonl) -> Path:
    project = team_project(tmp_path / "team.winnow", write_jsonl, samples=60)
    annotate(project)
    project.close()
    return tmp_path / "team.winnow"


def test_gate_start_check_decide_and_send_back(team_path: Path, capsys) -> None:
    path = str(team_path)
    assert cli(["qa-settings", path, "--set", "stage1_threshold=100%", "--reasons", "错译、漏译"]) == 0
    assert "错译、漏译" in capsys.readouterr().out
    with Project.open(team_path) as project:
        name = batches(project)[0]["name"]
    assert cli(["gate", path, name, "--start", "--queue"]) == 0
    out = capsys.readouterr().out
    assert "stage 1 (inspection of every annotated sample): open; 0/22 checked" in out
    assert "[heavy_edit" in out or "[fast" in out  # routing reasons shown in the queue
    with Project.open(team_path, author="检查员") as project:
        for index, routed in enumerate(gates.gate_status(project, name).queue):
            gates.record_check(project, name, routed.info.sample_id, agree=index > 0, reason="漏译")
    assert cli(["gate", path, name, "--decide"]) == 5
    out = capsys.readouterr().out
    assert "failed stage 1 (21/22 agreed)" in out
    assert "漏译" in out and "检查员" in out
    assert cli(["gate", path, name, "--send-back"]) == 0
    assert "round 1, 1 to fix" in capsys.readouterr().out
    assert cli(["gate", path, name, "--json"]) == 0
    summary = json.loads(capsys.readouterr().out)
    assert (summary["state"], summary["round"], summary["stage"], summary["open"]) == ("assigned", 1, 1, False)


def test_a_gate_step_that_does_not_apply_fails_cleanly(team_path: Path, capsys) -> None:
    with Project.open(team_path) as project:
        name = batches(project)[0]["name"]
    assert cli(["gate", str(team_path), name, "--decide"]) == 1
    assert "not being checked" in capsys.readouterr().err
    assert cli(["qa-settings", str(team_path), "--set", "colour=blue"]) == 1
    assert "unknown setting" in capsys.readouterr().err


def test_agreement_table_and_json(team_path: Path, capsys) -> None:
    assert cli(["agreement", str(team_path)]) == 0
    out = capsys.readouterr().out
    assert "Fleiss' kappa" in out and "Krippendorff's alpha (ordinal)" in out
    assert all(name in out for name in ANNOTATORS)
    assert cli(["agreement", str(team_path), "--json", "--metric", "interval"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["overlap_samples"] == 6 and data["annotators"] == 3
    assert "alpha_ratings_interval" in data
    assert {row["annotator"] for row in data["per_annotator"]} == set(ANNOTATORS)
    assert all(row["decided"] == 22 for row in data["per_annotator"])


def test_agreement_rows_are_the_shared_annotator_rows(team_path: Path, capsys) -> None:
    assert cli(["agreement", str(team_path), "--metric", "interval"]) == 0
    lines = capsys.readouterr().out.splitlines()
    start = next(i for i, line in enumerate(lines) if line.startswith("annotator"))
    with Project.open(team_path) as project:
        report = qa_stats.agreement_report(project)
        interval = rating_agreement(qa_stats.judgements(project, "rating"), "interval")
    rows = qa_stats.annotator_rows(report, interval)
    assert lines[start].split() == " ".join(qa_stats.ANNOTATOR_COLUMNS).split()
    assert [line.split() for line in lines[start + 1 :]] == [r.cells() for r in rows]
    # --metric changes the ratings' alpha column, nothing else
    ordinal = qa_stats.annotator_rows(report)
    assert [r.rating_alpha for r in ordinal] != [r.rating_alpha for r in rows]
    assert [r.cells()[:6] for r in ordinal] == [r.cells()[:6] for r in rows]


def test_an_annotator_row_shows_a_dash_for_a_figure_there_is_none_of() -> None:
    report = qa_stats.AgreementReport(
        labels=AgreementSummary(2, 2, None, None, per_annotator=[AnnotatorAgreement("甲", 2, Fraction(1, 3))]),
        ratings=AgreementSummary(0, 0, None, None),
        throughput=[Throughput("甲", 4, 2, 50.0, 25.0), Throughput("乙", 1, 0, 0.0, None)],
        edits={"甲": [Fraction(1, 10), Fraction(2, 10)]},
    )
    assert [r.cells() for r in qa_stats.annotator_rows(report)] == [  # by name: 乙 (U+4E59) before 甲
        ["乙", "1", "—", "—", "0", "—", "—", "—"],
        ["甲", "4", "25.0", "144", "2", "0.333", "—", "0.150"],
    ]
