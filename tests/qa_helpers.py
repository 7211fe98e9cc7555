"""A project with team work in it, for the gate, dashboard and agreement tests (and screenshots):
300 translated samples split among three annotators with 10 % overlap, each with a machine draft,
annotated by each annotator (labels, ratings, seconds), some drafts edited."""

from __future__ import annotations

import random
from pathlib import Path

from app import importer
from app.packages.assign import assign_batches, batch_sample_ids, batches
from app.store import Project, actions

ANNOTATORS = ("张伟", "李娜", "王芳")


def team_project(path: Path, write_jsonl, *, samples: int = 300, seed: int = 1) -> Project:
    project = Project.create(path, name="COIG 翻译 质检", author="lead")
    records = [
        {
            "instruction": f"把第{i}句翻译成中文。",
            "input": f"Sentence number {i} is about the weather.",
            "output": f"第{i}句是关于天气的。",
        }
        for i in range(samples)
    ]
    importer.import_file(project, write_jsonl("team.jsonl", records))
    ids = [row[0] for row in project.db.execute("SELECT id FROM samples ORDER BY id")]
    for sample_id in ids:
        actions.add_suggestion(
            project,
            sample_id,
            task="translate",
            # DeepL's draft: the final text for most, one character off for some.
            content={
                "output": f"第{sample_id - 1}句是关于天气的。"
                if sample_id % 5
                else f"第{sample_id - 1}句是有关天气的。"
            },
            engine="deepl",
        )
    assign_batches(project, ids, list(ANNOTATORS), overlap=0.1, seed=seed)
    return project


def annotate(project: Project, *, seed: int = 1, fast: int = 5, disagree_every: int = 4) -> None:
    """Every annotator decides every sample of their batches: mostly label 1, some 3 with an edit,
    a few decided in under a second; on shared samples every ``disagree_every``-th gets another label."""
    rng = random.Random(seed)
    for batch in batches(project):
        who = batch["annotator"]
        for number, sample_id in enumerate(batch_sample_ids(project, batch["id"])):
            shared = project.db.execute(
                "SELECT shared FROM batch_samples WHERE batch_id = ? AND sample_id = ?", (batch["id"], sample_id)
            ).fetchone()[0]
            label = 1 if sample_id % 7 else 3
            if shared and who != ANNOTATORS[0] and sample_id % disagree_every == 0:
                label = 2 if label == 1 else 1
            if label == 3:
                actions.edit_content(
                    project,
                    sample_id,
                    {"instruction": "翻译。", "input": "", "output": f"改写后的译文{sample_id}，更准确。"},
                    author=who,
                )
            seconds = 0.8 if number < fast else round(rng.uniform(8, 60), 1)
            actions.add_review(
                project,
                sample_id,
                verdict="needs_fix" if label == 3 else "accept",
                label=label,
                rating=rng.choice((3, 4, 4, 5)) if label != 3 else rng.choice((2, 3)),
                seconds=seconds,
                reviewer=who,
            )
