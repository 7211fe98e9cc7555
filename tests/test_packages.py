"""Assignment, work packages and their merge, refusal of bad packages, conflicts and adjudication."""

from __future__ import annotations

import shutil
import sqlite3
from pathlib import Path

import orjson
import pytest

from app import importer
from app.packages import adjudication, assign, workpackage
from app.packages.hunks import content_hunks
from app.store import Project, ProjectError, actions, ops, query
from tests.conftest import ALPACA
from tests.package_helpers import dump, lead_project


@pytest.fixture
def lead(tmp_path: Path, samples_dir: Path):
    with lead_project(tmp_path / "lead.winnow", samples_dir) as project:
        yield project


def send_out(lead: Project, tmp_path: Path, annotators=("alice", "bob"), overlap: float = 0.2) -> dict[str, Path]:
    """Assign every sample, export one package per annotator; annotator → package file."""
    assign.assign_batches(lead, query.sample_ids(lead), list(annotators), overlap=overlap, seed=7)
    out = tmp_path / "outbox"
    out.mkdir(exist_ok=True)
    return {
        b["annotator"]: workpackage.export_package(lead, b["name"], out / b["name"]).path for b in assign.batches(lead)
    }


def shared_ids(lead: Project) -> list[int]:
    return sorted(
        r[0] for r in lead.db.execute("SELECT DISTINCT sample_id FROM batch_samples WHERE shared = 1").fetchall()
    )


def edit(package: Path, sample_id: int, suffix: str, *, label: int | None = None) -> None:
    """Work in a package as its annotator would: an edit, then a decision."""
    with workpackage.open_project_file(package) as work:
        content = dict(query.get_sample(work, sample_id).content)
        content["output"] = content["output"][:8] + suffix + content["output"][8:]
        actions.edit_content(work, sample_id, content, reason="review edit")
        if label is not None:
            actions.add_review(work, sample_id, verdict="accept", label=label, seconds=21.5)


# Assignment


def test_the_plan_is_deterministic_and_gives_the_overlap_to_two_people() -> None:
    ids = list(range(1, 301))
    plan = assign.plan_batches(ids, ["alice", "bob", "carol"], overlap=0.1, seed=3)
    assert plan == assign.plan_batches(list(reversed(ids)), ["alice", "bob", "carol"], overlap=0.1, seed=3)
    assert plan != assign.plan_batches(ids, ["alice", "bob", "carol"], overlap=0.1, seed=4)
    given = [i for batch in plan for i in batch.sample_ids]
    assert sorted(set(given)) == ids  # nothing left out
    assert len(given) == 330  # 10 % twice
    assert {len(batch.sample_ids) for batch in plan} == {110}
    for batch in plan:
        assert len(set(batch.sample_ids)) == len(batch.sample_ids)
    shared = [i for batch in plan for i in batch.shared]
    assert len(shared) == 60 and len(set(shared)) == 30
    # every pair of annotators shares samples, so agreement can be measured between each two
    pairs = {tuple(sorted(b.annotator for b in plan if i in b.shared)) for i in set(shared)}
    assert pairs == {("alice", "bob"), ("alice", "carol"), ("bob", "carol")}


def test_batch_size_cuts_each_annotators_share() -> None:
    plan = assign.plan_batches(range(1, 22), ["alice", "bob"], batch_size=4, seed=0)
    assert [b.name for b in plan][:3] == ["a1-alice-1", "a1-alice-2", "a1-alice-3"]
    assert all(len(b.sample_ids) <= 4 for b in plan)
    assert sum(len(b.sample_ids) for b in plan) == 21


@pytest.mark.parametrize(
    ("annotators", "overlap", "message"),
    [(["alice"], 0.1, "at least two"), (["a", "b"], 1.5, "between 0 and 1"), (["a", "a"], 0, "named twice")],
)
def test_a_bad_assignment_is_refused(lead: Project, annotators, overlap, message) -> None:
    with pytest.raises(ProjectError, match=message):
        assign.assign_batches(lead, [1, 2, 3], annotators, overlap=overlap)


def test_assigning_is_one_undoable_step_and_sets_the_assignee(lead: Project) -> None:
    before = dump(lead, index=False)
    result = assign.assign_batches(lead, query.sample_ids(lead), ["alice", "bob"], overlap=0.1, seed=1)
    assert [b["name"] for b in assign.batches(lead)] == ["a1-alice-1", "a1-bob-1"]
    assert {s.assignee for s in query.iter_samples(lead)} == {"alice", "bob"}
    assert result.changes.sample_ids == set(query.sample_ids(lead))
    # the same samples are not given out twice while they are out
    with pytest.raises(ProjectError, match="already out"):
        assign.assign_batches(lead, query.sample_ids(lead), ["carol"])
    ops.undo(lead)
    after = dump(lead, index=False)
    assert {k: v for k, v in after.items() if k != "operations"} == {
        k: v for k, v in before.items() if k != "operations"
    }


# The package file


def test_a_package_opens_as_a_project_of_its_samples_for_its_annotator(lead: Project, tmp_path: Path) -> None:
    packages = send_out(lead, tmp_path)
    alice = packages["alice"]
    assert alice.suffix == ".winnowpkg"
    ids = assign.batch_sample_ids(lead, assign.find_batch(lead, "a1-alice-1")["id"])
    with workpackage.open_project_file(alice) as work:
        assert work.author == "alice"
        assert query.sample_ids(work) == ids
        first = query.get_sample(work, ids[0])
        assert first.content == query.get_sample(lead, ids[0]).content
        assert query.revisions(work, ids[0])[0]["reason"] == "sent in work package a1-alice-1"
        manifest = workpackage.package_manifest(work)
        assert manifest["annotator"] == "alice" and manifest["batch"] == "a1-alice-1"
        assert query.count(work, query.parse_where(["text=相亲"])) >= 0  # the text index is built
    assert assign.find_batch(lead, "a1-alice-1")["state"] == "exported"


# Refusal: each bad package is refused with a clear message and the lead's project stays as it was


def _refused(lead: Project, path: Path, message: str) -> None:
    before = dump(lead)
    result = workpackage.merge_packages(lead, [path])
    assert len(result.refused) == 1
    assert message in result.refused[0].error, result.refused[0].error
    assert dump(lead) == before


def test_a_file_that_is_not_a_package_is_refused(lead: Project, tmp_path: Path) -> None:
    other = tmp_path / "notes.winnowpkg"
    other.write_text("这不是工作包", encoding="utf-8")
    _refused(lead, other, "not a Winnow work package")


def test_a_truncated_package_is_refused_as_damaged(lead: Project, tmp_path: Path) -> None:
    packages = send_out(lead, tmp_path)
    data = packages["alice"].read_bytes()
    broken = tmp_path / "broken.winnowpkg"
    broken.write_bytes(data[: len(data) // 2])
    _refused(lead, broken, "damaged")


def test_a_package_with_scrambled_pages_is_refused_as_damaged(lead: Project, tmp_path: Path) -> None:
    packages = send_out(lead, tmp_path)
    data = bytearray(packages["alice"].read_bytes())
    for at in range(4096, len(data), 997):  # past the header page: every page after it hit
        data[at] ^= 0x5A
    broken = tmp_path / "scrambled.winnowpkg"
    broken.write_bytes(bytes(data))
    _refused(lead, broken, "damaged")


def test_a_plain_project_is_refused(lead: Project, tmp_path: Path) -> None:
    Project.create(tmp_path / "plain.winnow").close()
    _refused(lead, tmp_path / "plain.winnow", "not a work package")


def test_a_package_of_another_project_is_refused(lead: Project, tmp_path: Path, samples_dir: Path) -> None:
    (tmp_path / "theirs").mkdir()
    with lead_project(tmp_path / "theirs" / "other.winnow", samples_dir) as other:
        foreign = send_out(other, tmp_path / "theirs")["alice"]
    send_out(lead, tmp_path)  # the same batch names exist here too
    _refused(lead, foreign, "another project")


def test_a_copy_of_the_project_with_a_new_identity_cannot_pass_its_packages_off(lead: Project, tmp_path: Path) -> None:
    packages = send_out(lead, tmp_path)
    with sqlite3.connect(packages["alice"]) as conn:  # pretend the package was signed by another key
        manifest = orjson.loads(conn.execute("SELECT value FROM project WHERE key='package_manifest'").fetchone()[0])
    lead.db.execute("UPDATE project SET value = ? WHERE key = 'package_key'", ["00" * 32])
    lead.db.conn.commit()
    assert manifest["project_id"] == workpackage.project_identity(lead)[0]
    _refused(lead, packages["alice"], "tampered with")


@pytest.mark.parametrize(
    ("sql", "message"),
    [
        # someone moves a sample to another annotator, or claims a different base
        (
            "UPDATE project SET value = replace(value, '\"alice\"', '\"mallory\"') WHERE key = 'package_manifest'",
            "its manifest",
        ),
        ("UPDATE revisions SET content = replace(content, '，', ',') WHERE id = 1", "base of sample"),
        ("UPDATE samples SET content = replace(content, '，', ',')", "changed outside Winnow"),
        ("DELETE FROM samples WHERE id = (SELECT min(id) FROM samples)", "removed from the package"),
    ],
)
def test_a_tampered_package_is_refused(lead: Project, tmp_path: Path, sql: str, message: str) -> None:
    packages = send_out(lead, tmp_path)
    target = packages["alice"]
    edit(target, assign.batch_sample_ids(lead, 1)[0], "（改）", label=1)
    conn = sqlite3.connect(target)  # an outside tool, which knows nothing of Winnow's triggers
    conn.execute("PRAGMA foreign_keys = OFF")
    for (trigger,) in conn.execute("SELECT name FROM sqlite_master WHERE type = 'trigger'").fetchall():
        conn.execute(f"DROP TRIGGER {trigger}")
    conn.execute(sql)
    conn.commit()
    conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    conn.close()
    _refused(lead, target, message)


# Merging


def test_merge_takes_edits_and_reviews_with_their_authors_once(lead: Project, tmp_path: Path) -> None:
    packages = send_out(lead, tmp_path, overlap=0.0)
    alice_ids = assign.batch_sample_ids(lead, assign.find_batch(lead, "a1-alice-1")["id"])
    edit(packages["alice"], alice_ids[0], "（已核对）", label=2)
    result = workpackage.merge_packages(lead, [packages["alice"]])
    (report,) = result.reports
    assert (report.applied, report.conflicts, report.reviews, report.error) == (1, 0, 1, "")
    sample = query.get_sample(lead, alice_ids[0])
    assert "（已核对）" in sample.content["output"]
    assert (sample.status, sample.label) == ("accepted", 2)
    history = query.revisions(lead, alice_ids[0])
    assert [(r["author"], r["version"]) for r in history] == [("import", 1), ("alice", 2)]
    review = lead.db.execute("SELECT reviewer, label, seconds FROM reviews").fetchall()
    assert review == [("alice", 2, 21.5)]
    assert assign.find_batch(lead, "a1-alice-1")["state"] == "merged"

    before = dump(lead)
    again = workpackage.merge_packages(lead, [packages["alice"], packages["alice"]])
    assert all(r.already_merged for r in again.reports)
    assert dump(lead) == before


def test_a_merge_is_one_undoable_step(lead: Project, tmp_path: Path) -> None:
    packages = send_out(lead, tmp_path)
    for who, suffix in (("alice", "（甲）"), ("bob", "（乙）")):
        for sample_id in shared_ids(lead)[:1]:
            edit(packages[who], sample_id, suffix, label=1)
    before = dump(lead, index=False)
    result = workpackage.merge_packages(lead, packages.values())
    assert result.conflicts == 1
    assert ops.can_undo(lead) == "merge work packages a1-alice-1, a1-bob-1"
    ops.undo(lead)
    strip = lambda d: {k: v for k, v in d.items() if k != "operations"}  # noqa: E731
    assert strip(dump(lead, index=False)) == strip(before)
    assert query.count(lead, query.parse_where(["text=（甲）"])) == 0
    ops.redo(lead)
    assert adjudication.open_count(lead) == 1


def test_a_change_the_lead_made_meanwhile_goes_to_adjudication(lead: Project, tmp_path: Path) -> None:
    packages = send_out(lead, tmp_path, overlap=0.0)
    sample_id = assign.batch_sample_ids(lead, 1)[0]
    mine = dict(query.get_sample(lead, sample_id).content, instruction="组长改过的指令")
    actions.edit_content(lead, sample_id, mine)
    edit(packages["alice"], sample_id, "（甲）")
    result = workpackage.merge_packages(lead, [packages["alice"]])
    assert result.conflicts == 1
    # the lead's copy is kept as it is meanwhile
    assert query.get_sample(lead, sample_id).content == mine
    (conflict,) = adjudication.open_conflicts(lead)
    assert [(v.author, v.batch) for v in conflict.versions] == [("lead", None), ("alice", "a1-alice-1")]


def test_overlap_conflict_is_adjudicated_hunk_by_hunk(lead: Project, tmp_path: Path) -> None:
    packages = send_out(lead, tmp_path)
    sample_id = shared_ids(lead)[0]
    base = query.get_sample(lead, sample_id).content
    edit(packages["alice"], sample_id, "（甲改）", label=1)
    with workpackage.open_project_file(packages["bob"]) as work:
        content = dict(base, instruction=base["instruction"] + "请简要回答。")
        actions.edit_content(work, sample_id, content)
        actions.add_review(work, sample_id, verdict="needs_fix", label=3, seconds=40)

    result = workpackage.merge_packages(lead, [packages["bob"], packages["alice"]])
    assert result.conflicts == 1
    # neither version wins by arriving first: the sample shows what was sent out
    assert query.get_sample(lead, sample_id).content == base
    (conflict,) = adjudication.open_conflicts(lead)
    assert conflict.sample_id == sample_id and conflict.base["content"] == base
    alice, bob = (v.state for v in conflict.versions)
    assert [v.author for v in conflict.versions] == ["alice", "bob"]
    fields = content_hunks(alice["content"], bob["content"])
    assert [f.name for f in fields] == ["instruction", "output"]
    # take Bob's addition to the instruction and Alice's to the output, Alice's label
    picks = {fields[0].hunks[0].hunk: "b", fields[1].hunks[0].hunk: "a"}
    chosen = adjudication.picked_state(alice, bob, picks, {"label": "a", "status": "a"})
    adjudication.resolve_conflict(lead, conflict.id, chosen, note="两处都对")
    sample = query.get_sample(lead, sample_id)
    assert sample.content["instruction"].endswith("请简要回答。")
    assert "（甲改）" in sample.content["output"]
    assert (sample.label, sample.status) == (1, "accepted")
    assert adjudication.open_count(lead) == 0
    last = query.revisions(lead, sample_id)[-1]
    assert last["author"] == "lead" and last["reason"] == "adjudicated between alice, bob: 两处都对"
    # both people's decisions are kept as reviews, for agreement
    reviews = lead.db.execute("SELECT reviewer, label FROM reviews WHERE sample_id = ? ORDER BY reviewer", [sample_id])
    assert reviews.fetchall() == [("alice", 1), ("bob", 3)]
    with pytest.raises(ProjectError, match="resolved already"):
        adjudication.resolve_conflict(lead, conflict.id, chosen)


def test_the_same_change_from_two_people_is_no_conflict(lead: Project, tmp_path: Path) -> None:
    packages = send_out(lead, tmp_path)
    sample_id = shared_ids(lead)[0]
    for who in ("alice", "bob"):
        edit(packages[who], sample_id, "（同）", label=1)
    result = workpackage.merge_packages(lead, packages.values())
    assert result.conflicts == 0
    assert [r.applied + r.same for r in result.reports] == [1, 1]
    assert "（同）" in query.get_sample(lead, sample_id).content["output"]


def test_a_different_copy_of_a_merged_package_is_refused(lead: Project, tmp_path: Path) -> None:
    packages = send_out(lead, tmp_path, overlap=0.0)
    ids = assign.batch_sample_ids(lead, 1)
    early = tmp_path / "early.winnowpkg"
    edit(packages["alice"], ids[0], "（一）")
    shutil.copyfile(packages["alice"], early)
    workpackage.merge_packages(lead, [early])
    edit(packages["alice"], ids[1], "（二）")
    _refused(lead, packages["alice"], "merged already from another copy")


def test_deleting_or_adding_samples_in_a_package_is_not_merged(lead: Project, tmp_path: Path) -> None:
    packages = send_out(lead, tmp_path, overlap=0.0)
    first, second = assign.batch_sample_ids(lead, 1)[:2]
    with workpackage.open_project_file(packages["alice"]) as work:
        actions.delete_samples(work, [first])
        actions.create_sample(work, "instruction", {"instruction": "新题", "input": "", "output": "新答"})
    edit(packages["alice"], second, "（改）", label=1)
    result = workpackage.merge_packages(lead, [packages["alice"]])
    (report,) = result.reports
    assert not report.error and report.applied == 1 and report.left_out == 1
    assert "1 samples added in the package were left out" in report.summary()
    assert first in query.sample_ids(lead) and query.count(lead) == 21


def test_a_late_package_does_not_undo_an_adjudication(lead: Project, tmp_path: Path) -> None:
    packages = send_out(lead, tmp_path, annotators=("alice", "bob", "carol"), overlap=1.0)
    sample_id = next(
        i
        for i in shared_ids(lead)
        if len(lead.db.execute("SELECT 1 FROM batch_samples WHERE sample_id = ?", [i]).fetchall()) == 2
    )
    holders = [b["annotator"] for b in assign.batches(lead) if sample_id in assign.batch_sample_ids(lead, b["id"])]
    first, second = holders
    edit(packages[first], sample_id, "（一）")
    edit(packages[second], sample_id, "（二）")
    workpackage.merge_packages(lead, [packages[first]])
    workpackage.merge_packages(lead, [packages[second]])
    # the first batch is sent out again while the conflict waits (from the same base), and comes
    # back with yet another change after the lead adjudicated
    again = workpackage.export_package(lead, assign.find_batch(lead, f"a1-{first}-1")["id"], tmp_path / "again").path
    edit(again, sample_id, "（三）")
    (conflict,) = adjudication.open_conflicts(lead)
    chosen = next(v for v in conflict.versions if v.author == second).state
    adjudication.resolve_conflict(lead, conflict.id, chosen)
    assert query.get_sample(lead, sample_id).content == chosen["content"]
    workpackage.merge_packages(lead, [again])
    (late,) = adjudication.open_conflicts(lead)
    assert query.get_sample(lead, sample_id).content == chosen["content"]  # the decision stands meanwhile
    assert [v.author for v in late.versions] == ["lead", first]


def test_three_hundred_samples_three_annotators(project: Project, write_jsonl, tmp_path: Path) -> None:
    """The issue's scale: 300 samples for three annotators with 10 % overlap, all merged back."""
    records = [{**ALPACA[i % 3], "input": f"第{i}题"} for i in range(300)]
    importer.import_file(project, write_jsonl("three_hundred.jsonl", records))
    result = assign.assign_batches(project, query.sample_ids(project), ["甲", "乙", "丙"], overlap=0.1, seed=11)
    assert sorted(len(b.sample_ids) for b in result.batches) == [110, 110, 110]
    paths = [workpackage.export_package(project, b.name, tmp_path / b.name).path for b in result.batches]
    disputed = min(i for b in result.batches for i in b.shared)
    for number, (path, batch) in enumerate(zip(paths, result.batches, strict=True)):
        with workpackage.open_project_file(path) as work:
            for sample_id in batch.sample_ids:
                actions.add_review(work, sample_id, verdict="accept", label=1, seconds=5.0)
            if disputed in batch.sample_ids:
                content = query.get_sample(work, disputed).content
                actions.edit_content(work, disputed, {**content, "output": f"{number}号的答案"})
    merged = workpackage.merge_packages(project, paths)
    assert not merged.refused and merged.conflicts == 1
    assert project.db.execute("SELECT count(*) FROM reviews").fetchone()[0] == 330
    assert query.count(project, query.parse_where(["status=accepted", "label=1"])) == 299
    (conflict,) = adjudication.open_conflicts(project)
    assert conflict.sample_id == disputed and len(conflict.distinct_versions()) == 2
    adjudication.resolve_conflict(project, conflict.id, conflict.versions[0].state)
    assert query.count(project, query.parse_where(["status=accepted", "label=1"])) == 300
    assert {b["state"] for b in assign.batches(project)} == {"merged"}


def many_samples(path: Path, write_jsonl, n: int) -> Project:
    project = Project.create(path, name="多样本", author="lead")
    records = [{"instruction": f"第{i}题", "input": "", "output": f"答案{i}"} for i in range(n)]
    importer.import_file(project, write_jsonl(f"samples-{n}.jsonl", records))
    return project


def assigned_rows(project: Project) -> list[tuple]:
    """What an assignment writes: batches, their samples, each sample's assignee, and the operation."""
    return [
        *project.db.execute("SELECT id, name, assignment, annotator, state, seed FROM batches ORDER BY id"),
        *project.db.execute("SELECT batch_id, sample_id, shared FROM batch_samples ORDER BY id"),
        *project.db.execute("SELECT id, assignee FROM samples ORDER BY id"),
        *project.db.execute("SELECT id, name, summary, state FROM operations ORDER BY id"),
    ]


def test_assigning_reports_its_progress_and_writes_what_it_wrote_without(tmp_path: Path, write_jsonl) -> None:
    n = 4 * assign.PROGRESS_EVERY + 321
    with (
        many_samples(tmp_path / "a.winnow", write_jsonl, n) as watched,
        many_samples(tmp_path / "b.winnow", write_jsonl, n) as plain,
    ):
        ids = query.sample_ids(watched)
        reports: list[tuple[int, int]] = []
        checks = []
        result = assign.assign_batches(
            watched, ids, ["甲", "乙", "丙"], overlap=0.1, seed=3, batch_size=700,
            progress=lambda done, total: reports.append((done, total)), cancelled=lambda: checks.append(1) or False,
        )  # fmt: skip
        expected = assign.assign_batches(plain, ids, ["甲", "乙", "丙"], overlap=0.1, seed=3, batch_size=700)
        assert assigned_rows(watched) == assigned_rows(plain)
        assert result.changes.sample_ids == expected.changes.sample_ids == set(ids)
        assert [b.name for b in result.batches] == [b.name for b in expected.batches]

        total = n + round(0.1 * n) + n  # each sample's places in batches (the overlap twice), then its assignee
        assert {t for _, t in reports} == {total}
        dones = [done for done, _ in reports]
        assert dones[0] == 0 and dones[-1] == total and dones == sorted(set(dones))
        assert dones[1:-1] == list(range(assign.PROGRESS_EVERY, total, assign.PROGRESS_EVERY))
        assert len(checks) == len(dones) - 1  # asked at every report but the last, after the commit

        ops.undo(watched)  # one undoable step, as before
        assert watched.db.execute("SELECT count(*) FROM batch_samples").fetchone()[0] == 0


def test_a_cancelled_assignment_leaves_the_project_as_it_was(tmp_path: Path, write_jsonl) -> None:
    with many_samples(tmp_path / "c.winnow", write_jsonl, 3 * assign.PROGRESS_EVERY) as project:
        assign.assign_batches(project, query.sample_ids(project)[:10], ["先来的"], seed=1)
        before = dump(project)
        undo_before = ops.can_undo(project)
        asked = []

        def cancelled() -> bool:  # the user clicks Cancel once some thousands of rows are written
            asked.append(1)
            return len(asked) >= 4

        reports: list[int] = []
        with pytest.raises(assign.AssignCancelled, match="nothing was assigned"):
            assign.assign_batches(
                project, query.sample_ids(project), ["alice", "bob"], overlap=0.2, seed=2,
                progress=lambda done, total: reports.append(done), cancelled=cancelled,
            )  # fmt: skip
        assert reports == [0, 1000, 2000]  # the rows were being written when it stopped
        assert dump(project) == before  # rolled back whole: no batch, no assignee, no operation
        assert ops.can_undo(project) == undo_before
        again = assign.assign_batches(project, query.sample_ids(project), ["alice", "bob"], seed=2)
        assert again.name == "a2" and again.skipped_out == 10  # the cancelled one left nothing out
