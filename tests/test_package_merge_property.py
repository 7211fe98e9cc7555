"""Property tests of merging work packages: any order gives the same project, merging twice changes
nothing, and no one's change is lost (it is a revision or a version waiting for adjudication)."""

from __future__ import annotations

import shutil
import tempfile
from pathlib import Path

import orjson
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from app import importer
from app.packages import assign, workpackage
from app.store import Project, actions, query
from tests.package_helpers import dump

ANNOTATORS = ("alice", "bob", "carol")
RECORDS = [
    {"instruction": "把下面的句子翻译成英文。", "input": "今天天气很好。", "output": "The weather is nice today."},
    {"instruction": "写一首关于春天的五言绝句。", "input": "", "output": "春眠不觉晓，处处闻啼鸟。"},
    {"instruction": "解释“画蛇添足”的意思。", "input": "", "output": "比喻做了多余的事，反而不恰当。"},
    {"instruction": "列出三种水果。", "input": "", "output": "苹果、香蕉、橙子。"},
]
# A small pool of edits, so that two people often make the same change and often different ones.
EDITS = ("（一）", "（二）", "")

work = st.fixed_dictionaries(
    {
        "edit": st.sampled_from([None, *EDITS]),
        "label": st.sampled_from([None, 1, 3]),
    }
)
plans = st.fixed_dictionaries(
    {
        "overlap": st.sampled_from([0.5, 1.0]),
        "seed": st.integers(0, 3),
        "work": st.lists(st.lists(work, min_size=4, max_size=4), min_size=3, max_size=3),
    }
)


def build(folder: Path, plan: dict) -> tuple[Path, list[Path], list[dict], int]:
    """A lead project sent out to three annotators who each did ``plan['work']``; the lead's file,
    the returned packages, what each package proposed, and how many reviews they hold."""
    lead_path = folder / "lead.winnow"
    source = folder / "records.jsonl"
    source.write_bytes(b"".join(orjson.dumps(r) + b"\n" for r in RECORDS))
    with Project.create(lead_path, author="lead") as lead:
        importer.import_file(lead, source)
        assign.assign_batches(lead, query.sample_ids(lead), ANNOTATORS, overlap=plan["overlap"], seed=plan["seed"])
        paths = [
            workpackage.export_package(lead, batch["name"], folder / batch["name"]).path
            for batch in assign.batches(lead)
        ]
    proposals = []
    reviews = 0
    for path, todo in zip(paths, plan["work"], strict=True):
        with workpackage.open_project_file(path) as package:
            for sample_id, step in zip(query.sample_ids(package), todo, strict=False):
                if step["edit"] is not None:
                    content = dict(query.get_sample(package, sample_id).content)
                    content["output"] += step["edit"]
                    actions.edit_content(package, sample_id, content)
                if step["label"] is not None:
                    actions.add_review(package, sample_id, label=step["label"], seconds=3.0)
            for sample in query.iter_samples(package):
                proposals.append({"sample_id": sample.id, "content": sample.content})
            reviews += package.db.execute("SELECT count(*) FROM reviews").fetchone()[0]
    return lead_path, paths, proposals, reviews


def sorted_json(content: dict) -> bytes:
    return orjson.dumps(content, option=orjson.OPT_SORT_KEYS)


def observed(project: Project) -> dict:
    """What a person sees after the merge, independent of the order of revisions' numbers."""
    conflicts = {}
    for conflict_id, sample_id in project.db.execute("SELECT id, sample_id FROM conflicts WHERE state = 'open'"):
        states = project.db.execute("SELECT state FROM conflict_versions WHERE conflict_id = ?", (conflict_id,))
        conflicts[sample_id] = sorted({workpackage.state_hash(orjson.loads(row[0])) for row in states})
    return {
        "samples": [(s.id, s.content, s.label, s.rating, s.status) for s in query.iter_samples(project)],
        "conflicts": conflicts,
        "reviews": sorted(
            project.db.execute("SELECT sample_id, reviewer, verdict, label, rating, seconds, created_at FROM reviews")
        ),
        "batches": sorted(project.db.execute("SELECT name, state FROM batches")),
    }


def merged_copy(lead_path: Path, folder: Path, name: str, groups: list[list[Path]]) -> Project:
    copy = folder / f"{name}.winnow"
    shutil.copyfile(lead_path, copy)
    project = Project.open(copy, author="lead")
    for group in groups:
        result = workpackage.merge_packages(project, group)
        assert not result.refused, [r.error for r in result.refused]
    return project


# Every sample with two people, who all edit differently: conflicts on every shared sample.
ALL_DIFFERENT = {
    "overlap": 1.0,
    "seed": 1,
    "work": [[{"edit": edit, "label": label}] * 4 for edit, label in (("（一）", 1), ("（二）", 1), ("", 3))],
}


@settings(max_examples=10, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(plan=plans, order=st.permutations(range(3)), together=st.booleans())
@example(plan=ALL_DIFFERENT, order=[2, 0, 1], together=False)
def test_merge_is_order_independent_idempotent_and_loses_nothing(plan: dict, order: list[int], together: bool) -> None:
    with tempfile.TemporaryDirectory(prefix="winnow-merge-") as name:
        folder = Path(name)
        lead_path, paths, proposals, reviews = build(folder, plan)
        one_by_one = merged_copy(lead_path, folder, "in_order", [[p] for p in paths])
        shuffled = [paths[i] for i in order]
        other = merged_copy(lead_path, folder, "shuffled", [shuffled] if together else [[p] for p in shuffled])
        try:
            assert observed(one_by_one) == observed(other)
            if plan == ALL_DIFFERENT:
                assert len(observed(other)["conflicts"]) == 4

            # idempotent: merging every package again changes nothing at all
            before = dump(other)
            again = workpackage.merge_packages(other, list(reversed(paths)))
            assert all(r.already_merged for r in again.reports)
            assert dump(other) == before

            # nothing lost: each changed version is the sample's content, a revision, or waits in a conflict
            for project in (one_by_one, other):
                for proposal in proposals:
                    sample_id, content = proposal["sample_id"], proposal["content"]
                    kept = {sorted_json(r["content"]) for r in query.revisions(project, sample_id)}
                    kept.add(sorted_json(query.get_sample(project, sample_id).content))
                    kept.update(
                        sorted_json(orjson.loads(row[0])["content"])
                        for row in project.db.execute(
                            "SELECT state FROM conflict_versions WHERE sample_id = ?", (sample_id,)
                        )
                    )
                    assert sorted_json(content) in kept
                # every review of every package arrived, each once
                assert project.db.execute("SELECT count(*) FROM reviews").fetchone()[0] == reviews
        finally:
            one_by_one.close()
            other.close()
