"""A project with many batches: listing them with their gate state is one query, not one listing per
batch (``winnow gate`` and the gate panel's batch list), with the same rows as asking batch by batch;
and work packages larger than one ``IN (…)`` list of ids (:data:`app.store.query.ID_CHUNK`)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from app import gates, importer
from app.cli import main as cli
from app.packages import assign, workpackage
from app.store import Project, ProjectError, actions, query
from widgets.gate_panel import GatePanel

ANNOTATORS = ["张伟", "李娜", "王芳"]


def make_project(path: Path, write_jsonl, samples: int, batch_size: int) -> Project:
    project = Project.create(path, name="多批次", author="lead")
    records = [{"instruction": f"第{i}题", "input": "", "output": f"答案{i}"} for i in range(samples)]
    importer.import_file(project, write_jsonl(f"{path.stem}.jsonl", records))
    assign.assign_batches(project, query.sample_ids(project), ANNOTATORS, overlap=0.1, seed=5, batch_size=batch_size)
    return project


@pytest.fixture
def many(tmp_path: Path, write_jsonl):
    project = make_project(tmp_path / "many.winnow", write_jsonl, samples=90, batch_size=4)
    # Batches in every gate state the listing shows: open at stage 1, through stage 1, failed in the
    # correction phase after a rework round, through both gates.
    for batch_id, values in (
        (2, "state = 'inspecting'"),
        (3, "gate_stage = 1, state = 'passed'"),
        (5, "phase = 'correct', round = 2, state = 'failed'"),
        (6, "gate_stage = 2, state = 'passed', seed = 11"),
    ):
        project.db.execute(f"UPDATE batches SET {values} WHERE id = ?", (batch_id,))
    project.db.conn.commit()
    yield project
    project.close()


def batch_info_as_it_was(project: Project, key: str | int) -> dict[str, Any]:
    """What ``gates.batch_info`` gave before it was one query: the batch found in a listing of every
    batch, then its gate columns."""
    for batch in assign.batches(project):
        if batch["name"] == str(key) or str(batch["id"]) == str(key):
            row = project.db.execute(
                "SELECT phase, round, gate_stage, seed FROM batches WHERE id = ?", (batch["id"],)
            ).fetchone()
            return {**batch, "phase": row[0], "round": row[1], "gate_stage": row[2], "seed": row[3]}
    raise AssertionError(f"no batch {key}")


def selects(project: Project, fn) -> tuple[Any, int]:
    """``fn()``'s result and how many statements it ran on the project's connection."""
    statements: list[str] = []
    project.db.conn.set_trace_callback(statements.append)
    try:
        result = fn()
    finally:
        project.db.conn.set_trace_callback(None)
    return result, len(statements)


def test_batch_infos_are_the_rows_batch_info_gave_one_by_one(many: Project) -> None:
    listed = assign.batches(many)
    assert len(listed) >= 24
    expected = [batch_info_as_it_was(many, batch["id"]) for batch in listed]
    assert gates.batch_infos(many) == expected
    assert [list(info) for info in gates.batch_infos(many)] == [list(info) for info in expected]  # key order
    assert {(i["state"], i["phase"], i["round"], i["gate_stage"]) for i in expected} >= {
        ("inspecting", "annotate", 0, 0),
        ("passed", "annotate", 0, 1),
        ("failed", "correct", 2, 0),
        ("passed", "annotate", 0, 2),
    }
    for batch in listed:
        for key in (batch["id"], str(batch["id"]), batch["name"]):
            assert gates.batch_info(many, key) == batch_info_as_it_was(many, key)
        assert gates.batch_info(many, batch) == batch_info_as_it_was(many, batch["id"])


def test_listing_batches_is_one_query_however_many_there_are(tmp_path: Path, write_jsonl, many: Project) -> None:
    infos, statements = selects(many, lambda: gates.batch_infos(many))
    assert statements == 1
    with make_project(tmp_path / "more.winnow", write_jsonl, samples=300, batch_size=3) as more:
        more_infos, more_statements = selects(more, lambda: gates.batch_infos(more))
    assert len(more_infos) > 3 * len(infos)
    assert more_statements == 1
    # finding one batch reads that batch, not the listing
    _info, statements = selects(many, lambda: gates.batch_info(many, infos[-1]["name"]))
    assert statements == 1


def test_find_batch_takes_the_oldest_match_of_a_name_or_an_id(many: Project) -> None:
    # A batch whose name is another batch's id: the older of the two wins, as the listing's loop did.
    many.db.execute("UPDATE batches SET name = '3' WHERE id = 7")
    many.db.conn.commit()
    assert assign.find_batch(many, "3")["id"] == 3
    assert assign.find_batch(many, 3)["id"] == 3
    many.db.execute("UPDATE batches SET name = '9' WHERE id = 8")
    many.db.conn.commit()
    assert assign.find_batch(many, "9")["id"] == 8 == batch_info_as_it_was(many, "9")["id"]
    assert assign.find_batch(many, "a1-张伟-2")["name"] == "a1-张伟-2"
    with pytest.raises(ProjectError, match="no batch 'a9-nobody-1'"):
        assign.find_batch(many, "a9-nobody-1")
    with pytest.raises(ValueError, match="not a batch column"):
        assign.batches(many, columns=("name; DROP TABLE batches",))


def test_winnow_gate_lists_every_batch_with_its_gate_state(many: Project, capsys) -> None:
    expected = [batch_info_as_it_was(many, batch["id"]) for batch in assign.batches(many)]
    many.close()
    assert cli(["gate", str(many.path)]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0].split() == ["batch", "annotator", "samples", "state", "phase", "round", "passed"]
    assert len(lines) == 1 + len(expected)
    for line, info in zip(lines[1:], expected, strict=True):
        passed = ["stage", str(info["gate_stage"])] if info["gate_stage"] else ["—"]
        assert line.split() == [
            info["name"], info["annotator"], str(info["samples"]), info["state"], info["phase"], str(info["round"]),
            *passed,
        ]  # fmt: skip


def test_the_gate_panel_lists_the_batches_and_opens_the_first_with_a_gate_due(qtbot, many: Project) -> None:
    # The first four now through both gates, the fifth failed, the sixth through: the panel opens the seventh.
    many.db.execute("UPDATE batches SET gate_stage = 2, state = 'passed' WHERE id < 5")
    many.db.conn.commit()
    panel = GatePanel(many)
    qtbot.addWidget(panel)
    listed = assign.batches(many)
    assert [panel.batch_box.itemData(i) for i in range(panel.batch_box.count())] == [b["name"] for b in listed]
    assert panel.batch_box.itemText(0) == f"{listed[0]['name']} ({listed[0]['annotator']}, {listed[0]['samples']})"
    assert panel.batch_name() == listed[6]["name"]
    panel.fill_batches(listed[1]["name"])
    assert panel.batch_name() == listed[1]["name"]
    many.db.execute("UPDATE batches SET gate_stage = 2, state = 'passed'")
    many.db.conn.commit()
    panel.fill_batches()
    assert panel.batch_name() == listed[0]["name"]  # none due: the first


# Work packages over more ids than one IN list holds


def test_a_package_larger_than_one_id_chunk_carries_every_sample_and_draft(tmp_path: Path, write_jsonl) -> None:
    samples = 2 * query.ID_CHUNK + 37
    project = Project.create(tmp_path / "big.winnow", name="大批次", author="lead")
    records = [{"instruction": f"第{i}题", "input": "", "output": f"答案{i}"} for i in range(samples)]
    importer.import_file(project, write_jsonl("big.jsonl", records))
    ids = query.sample_ids(project)
    for sample_id in ids[:: query.ID_CHUNK // 3]:  # drafts spread over every chunk, the last one too
        actions.add_suggestion(project, sample_id, task="polish", content={"output": f"润色{sample_id}"}, engine="llm")
    actions.add_suggestion(project, ids[-1], task="polish", content={"output": "最后一个"}, engine="llm")
    drafted = sorted({*ids[:: query.ID_CHUNK // 3], ids[-1]})
    assign.assign_batches(project, ids, ["alice"], seed=1)
    batch = assign.batches(project)[0]
    exported = workpackage.export_package(project, batch["name"], tmp_path / "alice")
    assert exported.samples == samples
    with workpackage.open_project_file(exported.path) as work:
        assert query.sample_ids(work) == ids
        assert [r[0] for r in work.db.execute("SELECT sample_id FROM suggestions ORDER BY sample_id")] == drafted
        actions.edit_content(work, ids[-1], {"instruction": "最后", "input": "", "output": "改过"}, author="alice")
    report = workpackage.merge_packages(project, [exported.path]).reports[0]
    assert (report.error, report.applied, report.left_out) == ("", 1, 0)
    assert query.get_sample(project, ids[-1]).content["output"] == "改过"
    project.close()
