"""What every curation task shares: the registry, the services a task accepts, and tasks whose
answers are NEW samples (self-instruct expansion) landing through the engine's ledger."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from app.store import Project, actions, query
from app.store.project import ProjectError
from app.tasks import ChatCall, Task, Usage, all_tasks, get_task
from tests.servers import FakeDeepL, FakeOpenAI
from workers import engine as engine_module
from workers.engine import JobEngine, JobSpec, RetryPolicy
from workers.providers.deepl_provider import DeepLProvider
from workers.providers.openai_provider import OpenAIProvider

WAIT = 10.0


def _build(content, style, prompt) -> ChatCall:
    return ChatCall(
        messages=(("system", prompt or "Write two new instructions like this one."), ("user", content["instruction"])),
        json_mode=True,
    )


def _parse(content, style, output) -> dict:
    answer = json.loads(output)
    samples = answer.get("samples")
    if not isinstance(samples, list) or not samples:
        raise ValueError("no 'samples' list in the answer")
    return {"samples": [{"instruction": s["instruction"], "input": "", "output": s["output"]} for s in samples]}


EXPAND = Task(
    name="expand-test",
    kinds=("instruction",),
    prompt_version="expand-test/1",
    build=_build,
    parse=_parse,
    estimate=lambda content, style, prompt: Usage(tokens=10),
    styles=("chat",),
    creates="instruction",
)


@pytest.fixture
def expand_task(monkeypatch):
    monkeypatch.setattr(engine_module, "get_task", lambda name: EXPAND if name == EXPAND.name else get_task(name))
    return EXPAND


def _seed_project(tmp_path: Path) -> tuple[Path, int]:
    path = tmp_path / "seeds.winnow"
    with Project.create(path) as project:
        actions.create_sample(
            project, "instruction", {"instruction": "如何孝敬父母？", "input": "", "output": "常回家看看。"}
        )
        (seed_id,) = query.sample_ids(project, query.SampleFilter())
    return path, seed_id


def test_the_registry_names_every_task_with_a_title() -> None:
    tasks = all_tasks()
    assert "translate" in tasks
    for name, task in tasks.items():
        assert task.name == name and task.display_name()
        assert set(task.styles) <= {"translation", "chat"}


def test_a_chat_only_task_is_refused_on_deepl(tmp_path: Path, expand_task) -> None:
    path, seed_id = _seed_project(tmp_path)
    with FakeDeepL() as server, JobEngine(path) as engine:
        spec = JobSpec(
            task=expand_task.name,
            sample_ids=[seed_id],
            provider_factory=lambda: DeepLProvider(server.key, server_url=server.url, timeout=2.0),
        )
        with pytest.raises(ProjectError, match="needs a chat model"):
            engine.estimate(spec)
        with pytest.raises(ProjectError, match="needs a chat model"):
            engine.start(spec)


def test_a_task_that_creates_samples_adds_them_with_provenance(tmp_path: Path, expand_task) -> None:
    path, seed_id = _seed_project(tmp_path)
    answer = {
        "samples": [
            {"instruction": "怎样与长辈沟通？", "output": "耐心倾听，多陪伴。"},
            {"instruction": "如何表达对老师的感谢？", "output": "写一封感谢信。"},
        ]
    }
    with FakeOpenAI() as server:
        server.script(json.dumps(answer, ensure_ascii=False))
        spec = JobSpec(
            task=expand_task.name,
            sample_ids=[seed_id],
            provider_factory=lambda: OpenAIProvider(server.base_url, "test-model", server.key, timeout=2.0),
            retry=RetryPolicy(base=0.01, cap=0.05, max_attempts=2),
        )
        with JobEngine(path) as engine:
            job_id = engine.start(spec)
            assert engine.wait(job_id, WAIT) == "done"
            # Run again: every answer comes from the ledger, no sample is added twice.
            assert engine.wait(engine.start(spec), WAIT) == "done"
        assert len(server.requests_to("/v1/chat/completions")) == 1

    with Project.open(path) as project:
        new_ids = [i for i in query.sample_ids(project, query.SampleFilter(subset=("expand-test",)))]
        assert len(new_ids) == 2
        new = query.get_samples(project, new_ids)
        assert [s.content["instruction"] for s in new] == ["怎样与长辈沟通？", "如何表达对老师的感谢？"]
        assert all(s.kind == "instruction" and s.status == "new" for s in new)
        drafts = project.db.execute(
            "SELECT sample_id, state, engine, model, prompt_version, job_id FROM suggestions ORDER BY id"
        ).fetchall()
        # The answer on the seed is taken (nothing to merge into the seed), each new sample has its own.
        assert drafts[0][:2] == (seed_id, "accepted")
        assert {row[0] for row in drafts[1:3]} == set(new_ids)
        assert all(
            row[1:] == ("accepted", "llm:test-model", "test-model", "expand-test/1", job_id) for row in drafts[1:3]
        )
        # The new samples are searchable like any other.
        assert query.sample_ids(project, query.SampleFilter(text="长辈沟通")) == [new_ids[0]]
        seed = query.get_samples(project, [seed_id])[0]
        assert seed.content["instruction"] == "如何孝敬父母？"
