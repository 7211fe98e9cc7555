"""Self-Instruct's seed is a per-job option: it picks the in-context examples, it is part of the
request and its cache key, it is kept with the job (a resume draws the same examples), and
``winnow run --seed`` passes it. The default keeps the requests exactly as they were."""

from __future__ import annotations

import json
import threading
from pathlib import Path

import pytest

from app import importer
from app.store import Project, query
from app.tasks import get_task
from app.tasks import self_instruct as task
from tests.helpers import openai_spec
from tests.servers import FakeOpenAI, Latency
from workers import cli_run
from workers.engine import ItemDone, JobEngine, job_params, job_task

VIRTUES = "诚实守信 尊老爱幼 勤俭节约 团结友爱 遵守规则 孝敬父母 助人为乐 保护环境 认真负责 宽以待人 珍惜时间 热爱劳动"
SEEDS = [
    {"instruction": f"第{n}个问题：如何在生活中做到{virtue}？", "input": "", "output": f"从小事做起，坚持{virtue}。"}
    for n, virtue in enumerate(VIRTUES.split(), start=1)
]
ANSWER = json.dumps(
    {"samples": [{"instruction": "邻居家的老人独自生活，你可以为他做些什么？", "output": "常去看望，陪他聊天。"}]},
    ensure_ascii=False,
)


@pytest.fixture
def seeded(tmp_path: Path, write_jsonl) -> tuple[Path, list[int]]:
    path = tmp_path / "seeds.winnow"
    with Project.create(path) as project:
        importer.import_file(project, write_jsonl("seeds.jsonl", SEEDS))
        ids = query.sample_ids(project, query.SampleFilter())
    assert len(ids) == len(SEEDS)
    return path, ids


def examples_by_seed(path: Path, ids: list[int], seed: int) -> dict[str, list[str]]:
    """{the item's seed instruction: the instructions of the examples drawn for it with ``seed``}."""
    with Project.open(path) as project:
        samples = query.get_samples(project, ids)
        drawn = {s.content["instruction"]: task.add_examples(project, ids, s.id, s.content, seed=seed) for s in samples}
    return {key: [e["instruction"] for e in content[task.EXAMPLES_KEY]] for key, content in drawn.items()}


def shown_in(server: FakeOpenAI) -> dict[str, list[str]]:
    """What each request showed: {the item's seed: its examples}, from the request bodies the server got."""
    shown = {}
    for request in server.requests_to("/v1/chat/completions"):
        examples = json.loads(request.body["messages"][-1]["content"])
        shown[examples[0]["instruction"]] = [e["instruction"] for e in examples[1:]]
    return shown


# --- the task ------------------------------------------------------------------------------------


def test_the_default_seed_is_the_task_as_it_was() -> None:
    registered = get_task(task.NAME)
    assert registered.seed == task.SEED == 0
    assert registered.context is task.add_examples and registered.prompt_version == task.PROMPT_VERSION
    assert registered.with_options({"seed": task.SEED}) is registered
    assert job_task(task.NAME, {}) is registered and job_task(task.NAME, {"seed": 0}) is registered
    seven = job_task(task.NAME, {"seed": 7})
    assert seven.seed == 7 and seven.prompt_version == "self-instruct/1+seed=7"
    assert seven.with_options({"seed": 0}).prompt_version == task.PROMPT_VERSION


def test_options_a_task_does_not_take_are_refused() -> None:
    with pytest.raises(ValueError, match="no option colour"):
        job_task(task.NAME, {"seed": 1, "colour": "red"})
    with pytest.raises(ValueError, match="whole number"):
        job_task(task.NAME, {"seed": "7"})
    with pytest.raises(ValueError, match="takes no options"):
        job_task("translate", {"seed": 7})


def test_another_seed_draws_other_examples_and_the_same_seed_the_same(seeded) -> None:
    path, ids = seeded
    default, seven, again = (examples_by_seed(path, ids, seed) for seed in (0, 7, 7))
    assert seven == again
    assert all(len(examples) == task.EXAMPLES - 1 for examples in seven.values())
    differ = [key for key in default if default[key] != seven[key]]
    assert len(differ) >= len(SEEDS) - 1, "a seed that draws the same examples is no option"
    # The task's hook with the option is the drawing above.
    with Project.open(path) as project:
        (sample,) = query.get_samples(project, ids[:1])
        hooked = job_task(task.NAME, {"seed": 7}).context(project, ids, sample.id, sample.content)
    assert [e["instruction"] for e in hooked[task.EXAMPLES_KEY]] == seven[sample.content["instruction"]]


# --- the engine ------------------------------------------------------------------------------------


def test_the_seed_reaches_the_request_the_cache_key_and_the_job(seeded) -> None:
    path, ids = seeded
    with FakeOpenAI() as server:
        server.responder = lambda messages: ANSWER
        with JobEngine(path) as engine:
            first = engine.start(openai_spec(server, task.NAME, ids))
            assert engine.wait(first, 20) == "done"
            assert shown_in(server) == examples_by_seed(path, ids, 0)
            sent = len(server.requests_to("/v1/chat/completions"))

            # Seed 0 again is all cache; seed 7 is new requests, every one of them.
            assert engine.estimate(openai_spec(server, task.NAME, ids)).cached == len(ids)
            seven = openai_spec(server, task.NAME, ids, task_options={"seed": 7})
            assert engine.estimate(seven).cached == 0
            second = engine.start(seven)
            assert engine.wait(second, 20) == "done"
        requests = server.requests_to("/v1/chat/completions")[sent:]
        assert len(requests) == len(ids)
        shown = {}
        for request in requests:
            examples = json.loads(request.body["messages"][-1]["content"])
            shown[examples[0]["instruction"]] = [e["instruction"] for e in examples[1:]]
        assert shown == examples_by_seed(path, ids, 7)
    with Project.open(path) as project:
        recorded = {job_id: job_params(project, job_id) for job_id in (first, second)}
    assert recorded[first]["task_options"] == {} and recorded[first]["prompt_version"] == task.PROMPT_VERSION
    assert recorded[second]["task_options"] == {"seed": 7}
    assert recorded[second]["prompt_version"] == "self-instruct/1+seed=7"


def test_a_seed_is_another_request_even_when_it_draws_the_same_examples(tmp_path: Path, write_jsonl) -> None:
    # Two seeds: each one's only possible example is the other, whatever the seed.
    path = tmp_path / "two.winnow"
    with Project.create(path) as project:
        importer.import_file(project, write_jsonl("two.jsonl", SEEDS[:2]))
        ids = query.sample_ids(project, query.SampleFilter())
    assert examples_by_seed(path, ids, 0) == examples_by_seed(path, ids, 5)
    with FakeOpenAI() as server, JobEngine(path) as engine:
        server.responder = lambda messages: ANSWER
        assert engine.wait(engine.start(openai_spec(server, task.NAME, ids)), 20) == "done"
        assert engine.estimate(openai_spec(server, task.NAME, ids)).cached == 2
        assert engine.estimate(openai_spec(server, task.NAME, ids, task_options={"seed": 5})).cached == 0


def test_a_resumed_job_draws_with_its_own_seed(seeded) -> None:
    path, ids = seeded
    with FakeOpenAI() as server:
        server.responder = lambda messages: ANSWER
        server.inject(Latency(0.05), times=None, path="/v1/chat/completions")
        spec = openai_spec(server, task.NAME, ids, concurrency=1, task_options={"seed": 7})
        first_done = threading.Event()
        with JobEngine(path, on_event=lambda e: isinstance(e, ItemDone) and first_done.set()) as engine:
            job_id = engine.start(spec)
            assert first_done.wait(10)
            engine.pause(job_id)
            assert engine.wait(job_id, 10) == "paused"
        before = len(server.requests_to("/v1/chat/completions"))
        assert before < len(ids)
        # Another engine (as after a restart), knowing nothing of the spec: the seed comes from the job.
        with JobEngine(path) as engine:
            engine.resume(job_id, spec.provider_factory)
            assert engine.wait(job_id, 20) == "done"
        assert len(server.requests_to("/v1/chat/completions")) == len(ids)
        assert shown_in(server) == examples_by_seed(path, ids, 7)


# --- the command line ------------------------------------------------------------------------------


def test_winnow_run_passes_seed_to_self_instruct(seeded, monkeypatch, capsys) -> None:
    path, ids = seeded
    with FakeOpenAI() as server:
        server.responder = lambda messages: ANSWER
        monkeypatch.setenv("WINNOW_OPENAI_KEY", server.key)
        common = ["run", str(path), task.NAME, "--provider", "openai", "--base-url", server.base_url]
        common += ["--model", "test-model"]
        assert cli_run.main([*common, "--seed", "3"]) == cli_run.EXIT_OK
        assert shown_in(server) == examples_by_seed(path, ids, 3)
    with Project.open(path) as project:
        (job_id,) = [row[0] for row in project.db.execute("SELECT id FROM jobs")]
        assert job_params(project, job_id)["task_options"] == {"seed": 3}
