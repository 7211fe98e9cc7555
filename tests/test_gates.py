"""The QA gates: exact verdicts, the seeded expert sample, routing, and the flow through rework."""

from __future__ import annotations

from fractions import Fraction

import pytest

from app import gates, importer
from app.gates import QaSettings, RoutingInfo
from app.packages.assign import assign_batches
from app.store import ProjectError, actions, ops


def test_stage1_threshold_is_exact_at_95_percent():
    threshold = Fraction(95, 100)
    assert gates.passes(100, 95, threshold)
    assert not gates.passes(100, 94, threshold)
    assert gates.passes(20, 19, threshold)  # exactly 95 %
    assert not gates.passes(21, 19, threshold)  # 90.48 %
    assert not gates.passes(0, 0, threshold)
    assert gates.allowed_disagreements(100, threshold) == 5
    assert gates.allowed_disagreements(30, threshold) == 1  # 29/30 = 96.7 % passes, 28/30 = 93.3 % not


def test_stage2_passes_only_if_every_sample_is_right():
    assert gates.passes(200, 200, Fraction(1))
    assert not gates.passes(200, 199, Fraction(1))
    assert gates.allowed_disagreements(200, Fraction(1)) == 0


@pytest.mark.parametrize(
    ("text", "value"), [("95%", Fraction(19, 20)), (0.95, Fraction(19, 20)), ("19/20", Fraction(19, 20)), (1, 1)]
)
def test_thresholds_are_read_exactly(text, value):
    assert gates.ratio(text) == value


def test_a_threshold_above_one_is_refused():
    with pytest.raises(ProjectError, match="between 0 and 1"):
        gates.ratio("120%")


def test_the_expert_sample_is_seeded_and_never_larger_than_the_batch():
    ids = range(1, 301)
    first = gates.draw_sample(ids, 200, "0/7/1/annotate/0")
    assert len(first) == 200 == len(set(first))
    assert first == gates.draw_sample(reversed(ids), 200, "0/7/1/annotate/0")
    assert first != gates.draw_sample(ids, 200, "0/7/1/annotate/1")
    assert gates.draw_sample(range(1, 51), 200, 3) == list(range(1, 51))


def test_routing_puts_suspicious_samples_first():
    settings = QaSettings(fast_seconds=3.0, heavy_edit=Fraction(3, 10), light_edit=Fraction(1, 20))
    queue = gates.route(
        [
            RoutingInfo(1, label=1, seconds=40.0, edit=Fraction(1, 10)),
            RoutingInfo(2, label=3, seconds=30.0, edit=Fraction(0)),  # label 3, untouched draft
            RoutingInfo(3, label=1, seconds=1.5, edit=Fraction(6, 10)),  # fast and heavily edited
            RoutingInfo(4, label=2, seconds=2.0),  # fast, no draft
            RoutingInfo(5, label=1, seconds=50.0, edit=Fraction(1, 2)),  # heavily edited
        ],
        settings,
    )
    # Two reasons first; then the larger edit; then the quicker decision.
    assert [r.info.sample_id for r in queue] == [3, 5, 4, 2, 1]
    assert queue[0].reasons == ("heavy_edit", "fast")
    assert queue[3].reasons == ("label3_light_edit",)
    assert queue[-1].reasons == ()


# The store -----------------------------------------------------------------------------------------


@pytest.fixture
def batch_project(project, write_jsonl):
    """250 samples in one batch for 'alice', every one annotated (2 s each for the first 10)."""
    records = [{"instruction": f"第{i}题：请回答。", "input": "", "output": f"答案{i}。"} for i in range(250)]
    importer.import_file(project, write_jsonl("batch.jsonl", records))
    ids = [row[0] for row in project.db.execute("SELECT id FROM samples ORDER BY id")]
    assignment = assign_batches(project, ids, ["alice"], seed=7)
    batch = assignment.batches[0].name
    for sample_id in ids:
        actions.add_review(
            project,
            sample_id,
            verdict="accept",
            label=1,
            seconds=2.0 if sample_id <= 10 else 25.0,
            reviewer="alice",
        )
    return project, batch, ids


def _check_all(project, batch, *, wrong=(), reason="翻译错误", checker="insp"):
    status = gates.gate_status(project, batch)
    for routed in status.queue:
        sample_id = routed.info.sample_id
        bad = sample_id in wrong
        gates.record_check(
            project, batch, sample_id, agree=not bad, reason=reason if bad else "", seconds=5.0, checker=checker
        )


def test_settings_are_per_project_and_undoable(project):
    assert gates.qa_settings(project) == QaSettings()
    gates.set_qa_settings(project, stage1_threshold="90%", stage2_sample_size=50)
    gates.set_error_reasons(project, ["错译", "漏译"])
    settings = gates.qa_settings(project)
    assert settings.stage1_threshold == Fraction(9, 10)
    assert settings.stage2_sample_size == 50
    assert settings.error_reasons == ("错译", "漏译")
    ops.undo(project)
    assert gates.qa_settings(project).error_reasons == gates.DEFAULT_REASONS
    ops.undo(project)
    assert gates.qa_settings(project) == QaSettings()


def test_a_disagreement_needs_a_reason_from_the_list(batch_project):
    project, batch, ids = batch_project
    with pytest.raises(ProjectError, match="not being checked"):
        gates.record_check(project, batch, ids[0], agree=True)
    gates.start_gate(project, batch)
    with pytest.raises(ProjectError, match="reason from the error list"):
        gates.record_check(project, batch, ids[0], agree=False, reason="不喜欢")
    with pytest.raises(ProjectError, match="not among the samples"):
        gates.record_check(project, batch, 10**6, agree=True)


def test_fast_decisions_lead_the_inspection_queue(batch_project):
    project, batch, ids = batch_project
    status = gates.gate_status(project, batch)
    assert status.stage == 1
    assert status.total == 250
    assert [r.info.sample_id for r in status.queue[:10]] == ids[:10]
    assert all(r.reasons == ("fast",) for r in status.queue[:10])


def test_gate_flow_fail_rework_pass_then_expert_sample(batch_project):
    project, batch, ids = batch_project
    gates.start_gate(project, batch)
    # Stage 1, round 0: 13 of 250 wrong = 94.8 % < 95 %: fails.
    wrong = set(ids[20:33])
    _check_all(project, batch, wrong=wrong)
    status = gates.gate_status(project, batch)
    assert (status.checked, status.agreed, status.allowed) == (250, 237, 12)
    assert status.verdict is False
    decision = gates.decide_gate(project, batch)
    assert not decision.passed
    assert decision.agreement == Fraction(237, 250)
    reasons = gates.rework_reasons(project, batch)
    assert [r["sample_id"] for r in reasons] == sorted(wrong)
    assert {r["reason"] for r in reasons} == {"翻译错误"}

    # Back to alice: round 1, the wrong samples need fixing; she fixes them.
    gates.send_back(project, batch)
    found = gates.gate_status(project, batch).batch
    assert (found["state"], found["round"], found["gate_stage"]) == ("assigned", 1, 0)
    assert {row[0] for row in project.db.execute("SELECT id FROM samples WHERE status = 'needs_fix'")} == wrong
    for sample_id in sorted(wrong):
        actions.edit_content(project, sample_id, {"instruction": "改好了。", "input": "", "output": "对。"})
        actions.add_review(project, sample_id, verdict="accept", label=1, seconds=40.0, reviewer="alice")

    # Stage 1, round 1: 12 wrong of 250 = 95.2 %: passes; the round-0 checks do not count.
    gates.start_gate(project, batch)
    assert gates.gate_status(project, batch).checked == 0
    _check_all(project, batch, wrong=set(ids[100:112]))
    decision = gates.decide_gate(project, batch)
    assert decision.passed and decision.stage == 1
    assert decision.agreement == Fraction(238, 250)

    # Stage 2: 200 seeded samples of the 250; all right: passes.
    gates.start_gate(project, batch)
    status = gates.gate_status(project, batch)
    assert status.stage == 2 and status.total == 200
    drawn = [r.info.sample_id for r in status.queue]
    settings = gates.qa_settings(project)
    assert drawn == gates.draw_sample(ids, 200, gates.stage2_seed(settings, status.batch))
    _check_all(project, batch, checker="expert")
    decision = gates.decide_gate(project, batch)
    assert decision.passed and decision.stage == 2 and decision.checked == 200
    final = gates.gate_status(project, batch)
    assert final.stage is None and final.batch["state"] == "passed" and final.batch["gate_stage"] == 2
    results = gates.gate_results(project)
    assert [(r["round"], r["stage"], r["passed"]) for r in results] == [(0, 1, False), (1, 1, True), (1, 2, True)]
    assert results[-1]["sample_ids"] == drawn


def test_stage2_fails_on_one_wrong_sample_and_can_be_decided_at_once(batch_project):
    project, batch, _ids = batch_project
    gates.set_qa_settings(project, stage2_sample_size=20)
    gates.start_gate(project, batch)
    _check_all(project, batch)
    gates.decide_gate(project, batch)
    gates.start_gate(project, batch)
    first = gates.gate_status(project, batch).queue[0].info.sample_id
    gates.record_check(project, batch, first, agree=False, reason="事实错误", checker="expert")
    status = gates.gate_status(project, batch)
    assert status.verdict is False  # no pass possible any more: no need to check the other 19
    decision = gates.decide_gate(project, batch)
    assert not decision.passed and decision.stage == 2
    assert gates.gate_status(project, batch).batch["state"] == "failed"


def test_undecided_gate_cannot_be_decided(batch_project):
    project, batch, ids = batch_project
    gates.start_gate(project, batch)
    gates.record_check(project, batch, ids[0], agree=True)
    with pytest.raises(ProjectError, match="249 of 250 samples"):
        gates.decide_gate(project, batch)


def test_every_gate_step_is_one_undo(batch_project):
    project, batch, ids = batch_project
    gates.start_gate(project, batch)
    gates.record_check(project, batch, ids[0], agree=False, reason="其他", comment="看不懂", seconds=3.5)
    check = gates.gate_status(project, batch).checks[ids[0]]
    assert (check.checker, check.agree, check.reason, check.seconds) == ("tester", False, "其他", 3.5)
    assert ops.can_undo(project).startswith("stage 1: disagree (其他) with sample")
    ops.undo(project)
    assert gates.gate_status(project, batch).checks == {}
    ops.undo(project)
    assert gates.gate_status(project, batch).batch["state"] == "assigned"
    ops.redo(project)
    ops.redo(project)
    assert gates.gate_status(project, batch).checked == 1


def test_correction_phase_checks_the_label_3_samples(batch_project):
    project, batch, ids = batch_project
    for sample_id in ids[:5]:
        actions.add_review(project, sample_id, verdict="needs_fix", label=3, seconds=30.0, reviewer="alice")
    gates.set_qa_settings(project, stage2_sample_size=3)
    for _ in range(2):
        gates.start_gate(project, batch)
        _check_all(project, batch)
        assert gates.decide_gate(project, batch).passed
    gates.start_correction(project, batch)
    status = gates.gate_status(project, batch)
    assert status.batch["phase"] == "correct" and status.stage == 1
    assert sorted(r.info.sample_id for r in status.queue) == ids[:5]


def test_a_batch_out_as_a_package_is_not_inspected(batch_project, tmp_path):
    from app.packages import workpackage

    project, batch, _ids = batch_project
    workpackage.export_package(project, batch, tmp_path / batch)
    with pytest.raises(ProjectError, match="merge it back"):
        gates.start_gate(project, batch)


def test_post_edit_distance_of_a_sample_takes_its_latest_text_draft(loaded):
    project = loaded
    assert gates.draft_edit(project, 1) is None
    actions.add_suggestion(project, 1, task="judge", content={"judgement": {"score": 4}}, engine="llm")
    assert gates.draft_edit(project, 1) is None  # a score is no draft of the text
    actions.add_suggestion(project, 1, task="translate", content={"output": "天气很好。"}, engine="deepl")
    # Sample 1's output is "The weather is nice today."; only the draft's fields are compared.
    assert gates.draft_and_final(project, 1) == ("天气很好。", "The weather is nice today.")
    assert gates.draft_edit(project, 1) == Fraction(26, 26)
    actions.edit_content(
        project, 1, {"instruction": "把下面的句子翻译成英文。", "input": "今天天气很好。", "output": "天气很好！"}
    )
    assert gates.draft_edit(project, 1) == Fraction(1, 5)
