"""The demo project: a few dozen samples of every kind, built from ``resources/demo`` on first use."""

from __future__ import annotations

import logging
import os
from pathlib import Path

import orjson

from app import importer, paths
from app.paths import resource_path
from app.store import Project, actions, query

log = logging.getLogger("winnow.demo")

# (file or folder under resources/demo, reader, subset). Formats are given rather than detected:
# COIG human-value part 1 is, by content, indistinguishable from plain Alpaca.
DEMO_SOURCES = (
    ("translated_instructions.jsonl", "coig-translated", "翻译指令"),
    ("exam_instructions.jsonl", "coig-exam", "考试"),
    ("human_value_alignment_instructions_part1.json", "coig-human-value", "人类价值观"),
    ("leetcode_instructions.jsonl", "coig-leetcode", "LeetCode"),
    ("ccmc", "coig-ccmc", "反事实纠错对话"),
    ("coig_cqia.jsonl", "cqia", "CQIA"),
    ("kun_passages.txt", "plain-text", "Kun 语料"),
    ("sharegpt_conversations.json", "sharegpt", "ShareGPT"),
)


def default_demo_path() -> Path:
    override = os.environ.get("WINNOW_DEMO_PROJECT")
    if override:
        return Path(override)
    return paths.data_dir() / "demo.winnow"


def build_demo(path: Path) -> Project:
    """Create the demo project at ``path`` and import every demo source into it."""
    path.parent.mkdir(parents=True, exist_ok=True)
    project = Project.create(path, name="Winnow 演示项目")
    folder = resource_path("demo")
    for name, reader, subset in DEMO_SOURCES:
        source = folder / name
        if not source.exists():
            log.warning("demo source missing: %s", source)
            continue
        importer.import_file(project, source, format_name=reader, subset=subset)
    _add_machine_drafts(project, folder / "machine_drafts.json")
    return project


def _add_machine_drafts(project: Project, path: Path) -> None:
    """DeepL-style drafts for some translation pairs, so the review pane shows a draft and its diff."""
    if not path.exists():
        return
    drafts = orjson.loads(path.read_bytes())
    for sample in query.iter_samples(project, query.SampleFilter(kind=("translation",))):
        draft = drafts.get(sample.content["source"]["instruction"])
        if draft:
            actions.add_suggestion(
                project, sample.id, task="translate", content={"target": draft}, engine="deepl", model="demo"
            )


def open_demo(path: Path | None = None) -> Project:
    """Open the demo project, building it the first time."""
    target = path or default_demo_path()
    if target.exists():
        return Project.open(target)
    return build_demo(target)
