"""The job engine against real project files and real HTTP: the official deepl/openai clients in our
providers, talking to the fake servers on 127.0.0.1 with faults injected."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable
from pathlib import Path

import orjson
import pytest

from app import importer
from app.demo import build_demo
from app.store import Project, query
from app.store.project import ProjectError
from app.tasks import translate
from tests.servers import AlterIgnored, Content, FakeDeepL, FakeOpenAI, Latency, Quota, RateLimit, Status
from workers.engine import (
    Budgets,
    ItemDone,
    ItemFailed,
    JobEngine,
    JobProgress,
    JobSpec,
    JobStateChanged,
    Pricing,
    RetryPolicy,
    job_summary,
)
from workers.providers.deepl_provider import DeepLProvider
from workers.providers.openai_provider import OpenAIProvider
from workers.ratelimit import RateLimiter, RateLimits, TokenBucket

FAST_RETRY = RetryPolicy(base=0.01, cap=0.05, max_attempts=3)
PRICE = Pricing(per_million_characters=20.0)  # DeepL Pro's list price, in dollars
WAIT = 10.0  # seconds any wait in these tests may take before it is a failure


def coig_records(count: int, start: int = 0) -> list[dict[str, str]]:
    """COIG translated-instruction records still to translate, with code, URLs and placeholders."""
    return [
        {
            "instruction": f"Explain what the function `f{i}` does; answer for {{name}}. See https://example.com/doc/{i}.",
            "input": f"```python\ndef f{i}(x):\n    return x * {i} + len('{{placeholder}}')  # <b> & co\n```",
            "output": f"The function returns x times {i}, plus the length of a string. Hello world number {i}.",
            "trans_instruction": "",
            "trans_input": "",
            "trans_output": "",
        }
        for i in range(start, start + count)
    ]


def make_project(tmp_path: Path, write_jsonl, extra: int) -> tuple[Path, list[int]]:
    """The demo project (6 translation pairs) plus ``extra`` generated pairs; their ids."""
    path = tmp_path / "d.winnow"
    with build_demo(path) as project:
        if extra:
            source = write_jsonl("translated_more.jsonl", coig_records(extra))
            importer.import_file(project, source, format_name="coig-translated", subset="more")
        ids = query.sample_ids(project, query.SampleFilter(kind=("translation",)))
    return path, ids


class Events:
    """What the engine reported, and a way to wait for it without sleeping."""

    def __init__(self) -> None:
        self.items: list[object] = []
        self._changed = threading.Condition()

    def __call__(self, event: object) -> None:
        with self._changed:
            self.items.append(event)
            self._changed.notify_all()

    def of(self, kind: type) -> list:
        with self._changed:
            return [e for e in self.items if isinstance(e, kind)]

    def wait_for(self, predicate: Callable[[Events], bool], timeout: float = WAIT) -> bool:
        with self._changed:
            return self._changed.wait_for(lambda: predicate(self), timeout)


def deepl_factory(server: FakeDeepL) -> Callable[[], DeepLProvider]:
    return lambda: DeepLProvider(server.key, server_url=server.url, timeout=2.0)


def spec(ids: list[int], factory, **kwargs) -> JobSpec:
    kwargs.setdefault("retry", FAST_RETRY)
    kwargs.setdefault("pricing", PRICE)
    return JobSpec(task="translate", sample_ids=ids, provider_factory=factory, **kwargs)


def suggestions_of(path: Path, job_id: int) -> dict[int, list[dict]]:
    with Project.open(path) as project:
        cursor = project.db.execute("SELECT * FROM suggestions WHERE job_id = ? ORDER BY id", (job_id,))
        names = [d[0] for d in cursor.description]
        found: dict[int, list[dict]] = {}
        for row in cursor.fetchall():
            record = dict(zip(names, row, strict=True))
            record["content"] = orjson.loads(record["content"])
            found.setdefault(record["sample_id"], []).append(record)
    return found


def items_of(path: Path, job_id: int) -> list[dict]:
    with Project.open(path) as project:
        cursor = project.db.execute("SELECT * FROM job_items WHERE job_id = ? ORDER BY id", (job_id,))
        names = [d[0] for d in cursor.description]
        return [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]


def summary(path: Path, job_id: int):
    with Project.open(path) as project:
        return job_summary(project, job_id)


@pytest.fixture
def deepl(deepl_server: FakeDeepL) -> FakeDeepL:
    return deepl_server


# --------------------------------------------------------------------------------------------------


def test_translates_every_sample_once_with_engine_cost_and_code_intact(tmp_path: Path, write_jsonl, deepl) -> None:
    path, ids = make_project(tmp_path, write_jsonl, extra=14)
    assert len(ids) == 20
    events = Events()
    with JobEngine(path, on_event=events) as engine:
        estimate = engine.estimate(spec(ids, deepl_factory(deepl)))
        assert (estimate.items, estimate.cached, estimate.skipped) == (20, 0, 0)
        assert deepl.requests == []  # estimating sends nothing
        job_id = engine.start(spec(ids, deepl_factory(deepl), concurrency=4))
        assert engine.wait(job_id, WAIT) == "done"

    found = suggestions_of(path, job_id)
    assert sorted(found) == sorted(ids)
    assert all(len(rows) == 1 for rows in found.values())  # one suggestion per sample
    with Project.open(path) as project:
        samples = {s.id: s for s in query.get_samples(project, ids)}
    billed = 0
    for sample_id, (row,) in found.items():
        assert (row["task"], row["engine"], row["model"]) == ("translate", "deepl", "deepl-pro")
        assert row["prompt_version"] == translate.PROMPT_VERSION
        assert row["characters"] > 0
        assert row["cost"] == pytest.approx(row["characters"] * 20.0 / 1e6)
        billed += row["characters"]
        source, target = samples[sample_id].content["source"], row["content"]["target"]
        assert set(row["content"]) == {"target"}
        assert target["instruction"].startswith("[ZH]")
        for field in ("instruction", "input", "output"):  # every protected span byte-identical
            for _tag, span in translate.protected_spans(source[field]):
                assert span in target[field]
        if source["input"].startswith("```"):
            assert target["input"] == source["input"]  # a field that is one code block: unchanged
    assert billed <= estimate.characters  # the estimate is an upper bound
    # 20 samples over 4 workers: 4 requests of 5 texts, not one request a sample.
    assert [len(r.body["text"]) for r in deepl.requests_to("/v2/translate")] == [5, 5, 5, 5]

    assert len(events.of(ItemDone)) == 20 and not events.of(ItemFailed)
    states = [e.state for e in events.of(JobStateChanged)]
    assert states == ["running", "done"]
    last = events.of(JobProgress)[-1]
    assert (last.done, last.failed, last.total, last.characters) == (20, 0, 20, billed)
    assert last.cost == pytest.approx(billed * 20.0 / 1e6)
    job = summary(path, job_id)
    assert (job.state, job.done, job.characters) == ("done", 20, billed)


def test_a_rerun_is_answered_from_the_cache(tmp_path: Path, write_jsonl, deepl) -> None:
    path, ids = make_project(tmp_path, write_jsonl, extra=4)
    with JobEngine(path) as engine:
        first = engine.start(spec(ids, deepl_factory(deepl)))
        assert engine.wait(first, WAIT) == "done"
        sent = len(deepl.requests)
        estimate = engine.estimate(spec(ids, deepl_factory(deepl)))
        assert (estimate.cached, estimate.characters, estimate.cost) == (len(ids), 0, 0)
        events = Events()
        engine._on_event = events
        second = engine.start(spec(ids, deepl_factory(deepl)))
        assert engine.wait(second, WAIT) == "done"
    assert len(deepl.requests) == sent  # not one request more
    assert all(e.cached and e.cost == 0 for e in events.of(ItemDone))
    assert len(events.of(ItemDone)) == len(ids)
    again = suggestions_of(path, second)
    assert all(len(rows) == 1 and rows[0]["cost"] == 0 for rows in again.values())
    before = suggestions_of(path, first)
    assert {sample: rows[0]["content"] for sample, rows in again.items()} == {
        sample: rows[0]["content"] for sample, rows in before.items()
    }
    assert summary(path, second).characters == 0  # nothing paid for the second job


def test_retry_after_is_honoured(tmp_path: Path, write_jsonl, deepl) -> None:
    path, ids = make_project(tmp_path, write_jsonl, extra=0)
    deepl.inject(RateLimit(retry_after=0.6), path="/v2/translate")
    with JobEngine(path) as engine:
        started = time.monotonic()
        job_id = engine.start(spec(ids[:1], deepl_factory(deepl), concurrency=1, retry=RetryPolicy(base=0.01)))
        assert engine.wait(job_id, WAIT) == "done"
        elapsed = time.monotonic() - started
    assert elapsed >= 0.6  # the backoff alone would have waited ≤ 0.01 s
    assert [r.fault for r in deepl.requests_to("/v2/translate")] == ["RateLimit", None]
    (item,) = items_of(path, job_id)
    assert (item["state"], item["attempts"]) == ("done", 2)


def test_server_errors_are_retried_with_backoff(tmp_path: Path, write_jsonl, deepl) -> None:
    path, ids = make_project(tmp_path, write_jsonl, extra=0)
    deepl.inject(Status(503), path="/v2/translate", times=2)
    with JobEngine(path) as engine:
        job_id = engine.start(spec(ids[:1], deepl_factory(deepl), concurrency=1))
        assert engine.wait(job_id, WAIT) == "done"
    (item,) = items_of(path, job_id)
    assert (item["state"], item["attempts"]) == ("done", 3)
    assert len(suggestions_of(path, job_id)[item["sample_id"]]) == 1


def test_permanent_failure_is_recorded_and_retry_failed_sends_again(tmp_path: Path, write_jsonl, deepl) -> None:
    path, ids = make_project(tmp_path, write_jsonl, extra=0)
    deepl.inject(Status(502), path="/v2/translate", times=None)
    events = Events()
    with JobEngine(path, on_event=events) as engine:
        job_id = engine.start(spec(ids[:2], deepl_factory(deepl), concurrency=1))
        assert engine.wait(job_id, WAIT) == "done"
        items = items_of(path, job_id)
        assert [(i["state"], i["attempts"]) for i in items] == [("failed", 3), ("failed", 3)]
        assert all(i["error"].startswith("gave up after 3 attempts") and "502" in i["error"] for i in items)
        assert [(e.attempts, e.sample_id) for e in events.of(ItemFailed)] == [(3, ids[0]), (3, ids[1])]
        assert "2 items failed" in summary(path, job_id).error
        assert suggestions_of(path, job_id) == {}

        deepl.faults.clear()
        assert engine.retry_failed(job_id) == 2
        assert engine.wait(job_id, WAIT) == "done"
    assert [i["state"] for i in items_of(path, job_id)] == ["done", "done"]
    assert sorted(suggestions_of(path, job_id)) == sorted(ids[:2])
    assert summary(path, job_id).error is None


def test_quota_exceeded_pauses_the_job_until_resumed(tmp_path: Path, write_jsonl, deepl) -> None:
    path, ids = make_project(tmp_path, write_jsonl, extra=4)
    deepl.inject(Quota(), path="/v2/translate", nth=3, times=None)
    events = Events()
    with JobEngine(path, on_event=events) as engine:
        job_id = engine.start(spec(ids, deepl_factory(deepl), concurrency=1, batch_texts=2))
        assert engine.wait(job_id, WAIT) == "paused"
        paused = events.of(JobStateChanged)[-1]
        assert paused.state == "paused" and "quota" in paused.message.lower()
        job = summary(path, job_id)
        assert (job.done, job.failed, job.pending) == (4, 0, len(ids) - 4)  # two requests of two
        assert "quota" in job.error.lower()

        deepl.faults.clear()
        engine.resume(job_id)
        assert engine.wait(job_id, WAIT) == "done"
    assert sorted(suggestions_of(path, job_id)) == sorted(ids)
    # Each input answered once: the refused request was answered by nobody.
    answered = [t for r in deepl.requests_to("/v2/translate") if r.fault is None for t in r.body["text"]]
    assert len(answered) == len(set(answered)) == len(ids)


def test_cancel_stops_a_running_job_quickly(tmp_path: Path, write_jsonl, deepl) -> None:
    path, ids = make_project(tmp_path, write_jsonl, extra=14)
    deepl.inject(Latency(0.05), path="/v2/translate", times=None)
    events = Events()
    with JobEngine(path, on_event=events) as engine:
        job_id = engine.start(spec(ids, deepl_factory(deepl), concurrency=2, batch_texts=1))
        assert events.wait_for(lambda e: len(e.of(ItemDone)) >= 4)
        asked = time.monotonic()
        engine.cancel(job_id)
        assert engine.wait(job_id, WAIT) == "cancelled"
        took = time.monotonic() - asked
    # The requests under way (50 ms) finish and nothing new starts: the counts below prove it; the
    # time bound only catches a cancel that waits for the whole job (generous: CI machines are busy).
    assert took < 2.0
    job = summary(path, job_id)
    assert job.state == "cancelled" and 4 <= job.done < len(ids)
    assert job.done + job.pending == len(ids)
    assert len(deepl.requests_to("/v2/translate")) == job.done  # nothing sent and thrown away


def test_cancel_interrupts_a_backoff_wait(tmp_path: Path, write_jsonl, deepl) -> None:
    path, ids = make_project(tmp_path, write_jsonl, extra=0)
    deepl.inject(Status(503), path="/v2/translate", times=None)
    slow = RetryPolicy(base=20.0, cap=20.0, max_attempts=5)
    with JobEngine(path) as engine:
        job_id = engine.start(spec(ids[:1], deepl_factory(deepl), concurrency=1, retry=slow))
        assert deepl.wait_for_requests(1, WAIT)
        asked = time.monotonic()
        engine.cancel(job_id)
        assert engine.wait(job_id, WAIT) == "cancelled"
        assert time.monotonic() - asked < 5.0  # not the up-to-20 s backoff (slack for busy CI)
    (item,) = items_of(path, job_id)
    assert (item["state"], item["attempts"]) == ("pending", 1)


def test_budget_stops_the_job_before_it_would_be_exceeded(tmp_path: Path, write_jsonl, deepl) -> None:
    path, ids = make_project(tmp_path, write_jsonl, extra=10)
    with Project.open(path) as project:
        sizes = [translate.estimate_characters(s.content) for s in query.get_samples(project, ids)]
    limit = sum(sizes[:5]) + sizes[5] // 2  # room for five items, not six
    events = Events()
    with JobEngine(path, on_event=events) as engine:
        job_id = engine.start(spec(ids, deepl_factory(deepl), concurrency=1, budgets=Budgets(max_characters=limit)))
        assert engine.wait(job_id, WAIT) == "paused"
        job = summary(path, job_id)
        assert job.done == 5 and job.characters <= limit
        assert "budget reached" in job.error and "characters" in job.error
        # The five that fit went in one request; the sixth was never sent.
        assert [len(r.body["text"]) for r in deepl.requests_to("/v2/translate")] == [5]

        engine.resume(job_id, budgets=Budgets(max_characters=10 * limit))
        assert engine.wait(job_id, WAIT) == "done"
    assert len(suggestions_of(path, job_id)) == len(ids)


def test_cost_budget_with_concurrency_never_overspends(tmp_path: Path, write_jsonl, deepl) -> None:
    path, ids = make_project(tmp_path, write_jsonl, extra=14)
    deepl.inject(Latency(0.02), path="/v2/translate", times=None)
    max_cost = 0.01  # 500 characters at $20 per million
    with JobEngine(path) as engine:
        job_id = engine.start(spec(ids, deepl_factory(deepl), concurrency=4, budgets=Budgets(max_cost=max_cost)))
        assert engine.wait(job_id, WAIT) == "paused"
    job = summary(path, job_id)
    assert 0 < job.done < len(ids)
    assert job.cost <= max_cost
    assert "cost" in job.error


def test_openai_compatible_translation(tmp_path: Path, write_jsonl) -> None:
    path, ids = make_project(tmp_path, write_jsonl, extra=2)
    ids = ids[-3:]  # one demo pair, two with code
    with Project.open(path) as project:
        sources = [s.content["source"] for s in query.get_samples(project, ids)]
    replies = [
        json.dumps({"instruction": f"指令{i}", "input": src["input"], "output": f"输出{i}"}, ensure_ascii=False)
        for i, src in enumerate(sources)
    ]
    with FakeOpenAI() as server:
        server.script(*replies)
        server.inject(Content("抱歉，我不能翻译这段内容。"), nth=4)  # the 4th request: prose, not JSON

        def factory() -> OpenAIProvider:
            return OpenAIProvider(server.base_url, "gpt-4o-mini", server.key, timeout=2.0, price_per_1k_prompt=0.001)

        with JobEngine(path) as engine:
            job_id = engine.start(spec(ids, factory, concurrency=1))
            assert engine.wait(job_id, WAIT) == "done"
            found = suggestions_of(path, job_id)
            for i, sample_id in enumerate(ids):
                (row,) = found[sample_id]
                assert (row["engine"], row["model"]) == ("llm:gpt-4o-mini", "gpt-4o-mini")
                assert row["content"]["target"]["instruction"] == f"指令{i}"
                assert row["content"]["target"]["input"] == sources[i]["input"]
                assert row["tokens"] > 0 and row["cost"] > 0
            request = server.requests_to("/v1/chat/completions")[0].body
            assert request["response_format"] == {"type": "json_object"}
            assert request["messages"][0]["content"].startswith("You translate instruction-tuning examples")

            # Another model, so no cache hit; it answers prose.
            second = engine.start(
                spec(ids[:1], lambda: OpenAIProvider(server.base_url, "test-model", server.key, timeout=2.0))
            )
            assert engine.wait(second, WAIT) == "done"
    (item,) = items_of(path, second)
    assert item["state"] == "failed" and item["error"].startswith("unusable answer")
    with Project.open(path) as project:  # the unusable answer is not kept: a retry asks again
        assert project.db.execute("SELECT count(*) FROM cache WHERE model = 'test-model'").fetchone()[0] == 0


def test_samples_of_another_kind_are_skipped(tmp_path: Path, write_jsonl, deepl) -> None:
    path, ids = make_project(tmp_path, write_jsonl, extra=0)
    with Project.open(path) as project:
        other = query.sample_ids(project, query.SampleFilter(kind=("exam",)))[:2]
    with JobEngine(path) as engine:
        estimate = engine.estimate(spec(ids[:2] + other, deepl_factory(deepl)))
        assert (estimate.items, estimate.skipped) == (2, 2)
        job_id = engine.start(spec(ids[:2] + other, deepl_factory(deepl)))
        assert engine.wait(job_id, WAIT) == "done"
    states = {i["sample_id"]: (i["state"], i["error"]) for i in items_of(path, job_id)}
    assert states[other[0]] == ("skipped", "translate does not apply to exam samples")
    assert summary(path, job_id).done == 2


def test_token_bucket_waits_for_refill_and_stops_on_request() -> None:
    now = [0.0]
    bucket = TokenBucket(60, clock=lambda: now[0])  # one a second, one minute's burst
    assert bucket.try_take(60) == 0.0
    assert bucket.try_take(2) == pytest.approx(2.0)
    now[0] += 2.0
    assert bucket.try_take(2) == 0.0
    assert bucket.try_take(1000) == pytest.approx(60.0)  # bigger than the bucket: waits until it is full
    stop = threading.Event()
    stop.set()
    slow = TokenBucket(1)  # one a minute
    assert slow.take(1, stop)
    assert not slow.take(1, stop)  # empty: interrupted at once, not after a minute
    limiter = RateLimiter(RateLimits(requests_per_minute=6000, characters_per_minute=600_000))
    assert limiter.acquire(characters=100)


def test_command_line_run_jobs_resume(tmp_path: Path, write_jsonl, deepl, monkeypatch, capsys) -> None:
    from workers import cli_run

    path, _ids = make_project(tmp_path, write_jsonl, extra=3)
    monkeypatch.setenv("WINNOW_DEEPL_KEY", deepl.key)
    common = [str(path), "--provider", "deepl", "--server-url", deepl.url, "--timeout", "2"]
    assert cli_run.main(["run", *common, "--where", "subset=more", "--estimate"]) == cli_run.EXIT_OK
    assert "estimate: 3 samples (0 from the cache, 0 skipped)" in capsys.readouterr().out
    assert deepl.requests == []

    deepl.inject(Quota(), path="/v2/translate", times=None)
    assert cli_run.main(["run", *common, "--where", "subset=more", "--concurrency", "1"]) == cli_run.EXIT_PAUSED
    out, err = capsys.readouterr()
    assert "job 1: paused; 0 done, 0 failed, 3 left" in out  # the three went in one request, refused
    assert "quota" in err.lower()

    assert cli_run.main(["jobs", str(path)]) == cli_run.EXIT_OK
    listing = capsys.readouterr().out
    assert "translate" in listing and "paused" in listing and "0/3 done" in listing

    deepl.faults.clear()
    assert cli_run.main(["resume", str(path), "1"]) == cli_run.EXIT_OK
    assert "job 1: done; 3 done, 0 failed, 0 left" in capsys.readouterr().out
    assert len(suggestions_of(path, 1)) == 3
    assert cli_run.main(["resume", str(path), "1"]) == cli_run.EXIT_OK  # done: nothing to do
    assert "is done" in capsys.readouterr().out

    monkeypatch.delenv("WINNOW_DEEPL_KEY")
    monkeypatch.setattr(cli_run.secrets, "get_key", lambda name: None)
    assert cli_run.main(["run", *common]) == cli_run.EXIT_FAILED
    assert "no DeepL key" in capsys.readouterr().err


# -- DeepL: many samples in one request ------------------------------------------------------------


def plain_records(count: int, start: int = 0) -> list[dict[str, str]]:
    """Translation pairs with nothing protected (no code, URL or placeholder)."""
    return [
        {
            "instruction": f"Say hello number {i}.",
            "input": "",
            "output": f"Hello world number {i}.",
            "trans_instruction": "",
            "trans_input": "",
            "trans_output": "",
        }
        for i in range(start, start + count)
    ]


def test_deepl_items_go_fifty_to_a_request(tmp_path: Path, write_jsonl, deepl) -> None:
    path, ids = make_project(tmp_path, write_jsonl, extra=114)
    assert len(ids) == 120
    events = Events()
    with JobEngine(path, on_event=events) as engine:
        job_id = engine.start(spec(ids, deepl_factory(deepl), concurrency=2))
        assert engine.wait(job_id, WAIT) == "done"
    sizes = [len(r.body["text"]) for r in deepl.requests_to("/v2/translate")]
    assert 3 <= len(sizes) <= 6 and max(sizes) <= 50 and sum(sizes) == 120
    found = suggestions_of(path, job_id)
    assert sorted(found) == sorted(ids) and all(len(rows) == 1 for rows in found.values())
    assert len(events.of(ItemDone)) == 120 and not events.of(ItemFailed)
    billed = sum(rows[0]["characters"] for rows in found.values())
    assert summary(path, job_id).characters == billed  # per-item billing adds up to the job's


def test_a_byte_cap_splits_a_batch(tmp_path: Path, write_jsonl, deepl) -> None:
    path, ids = make_project(tmp_path, write_jsonl, extra=10)
    with JobEngine(path) as engine:
        job_id = engine.start(spec(ids, deepl_factory(deepl), concurrency=1, batch_bytes=600))
        assert engine.wait(job_id, WAIT) == "done"
    requests = deepl.requests_to("/v2/translate")
    assert len(requests) > 1
    for request in requests:  # within the cap, unless one text alone is bigger
        texts = request.body["text"]
        assert len(texts) == 1 or sum(len(t.encode()) for t in texts) <= 600
    assert len(suggestions_of(path, job_id)) == len(ids)


def test_one_bad_text_fails_only_its_item(tmp_path: Path, write_jsonl, deepl) -> None:
    path = tmp_path / "mixed.winnow"
    with Project.create(path) as project:
        records = plain_records(4) + coig_records(1)  # the last one has code that DeepL will alter
        importer.import_file(project, write_jsonl("mixed.jsonl", records), format_name="coig-translated")
        ids = query.sample_ids(project)
    deepl.inject(AlterIgnored(), path="/v2/translate")
    events = Events()
    with JobEngine(path, on_event=events) as engine:
        job_id = engine.start(spec(ids, deepl_factory(deepl), concurrency=1))
        assert engine.wait(job_id, WAIT) == "done"
    assert len(deepl.requests_to("/v2/translate")) == 1  # one request for the five
    items = {i["sample_id"]: i for i in items_of(path, job_id)}
    assert [items[i]["state"] for i in ids] == ["done"] * 4 + ["failed"]
    assert "protected element" in items[ids[-1]]["error"]
    assert [e.sample_id for e in events.of(ItemFailed)] == [ids[-1]]
    assert sorted(suggestions_of(path, job_id)) == sorted(ids[:4])
    with Project.open(path) as project:  # the failed text's answer is not cached: a retry asks again
        assert project.db.execute("SELECT count(*) FROM cache").fetchone()[0] == 4


def test_a_batched_run_fills_the_cache_item_by_item(tmp_path: Path, write_jsonl, deepl) -> None:
    path, ids = make_project(tmp_path, write_jsonl, extra=10)
    with JobEngine(path) as engine:
        first = engine.start(spec(ids, deepl_factory(deepl), concurrency=1))
        assert engine.wait(first, WAIT) == "done"
        assert len(deepl.requests_to("/v2/translate")) == 1
        # One sample alone, then a few in another grouping: each finds its own answer.
        events = Events()
        engine._on_event = events
        single = engine.start(spec(ids[3:4], deepl_factory(deepl), batch_texts=1))
        assert engine.wait(single, WAIT) == "done"
        some = engine.start(spec(ids[::3], deepl_factory(deepl), concurrency=2))
        assert engine.wait(some, WAIT) == "done"
        estimate = engine.estimate(spec(ids, deepl_factory(deepl)))
    assert len(deepl.requests_to("/v2/translate")) == 1
    done = events.of(ItemDone)
    assert len(done) == 1 + len(ids[::3]) and all(e.cached and e.cost == 0 for e in done)
    assert (estimate.cached, estimate.characters) == (len(ids), 0)
    before = {sample: rows[0]["content"] for sample, rows in suggestions_of(path, first).items()}
    assert suggestions_of(path, single)[ids[3]][0]["content"] == before[ids[3]]


def test_duplicate_samples_in_one_batch_are_asked_once(tmp_path: Path, write_jsonl, deepl) -> None:
    path = tmp_path / "dupes.winnow"
    with Project.create(path) as project:
        records = plain_records(3) + plain_records(3)  # the same three, twice
        importer.import_file(project, write_jsonl("dupes.jsonl", records), format_name="coig-translated")
        ids = query.sample_ids(project)
    assert len(ids) == 6
    with JobEngine(path) as engine:
        job_id = engine.start(spec(ids, deepl_factory(deepl), concurrency=1))
        assert engine.wait(job_id, WAIT) == "done"
    texts = [t for r in deepl.requests_to("/v2/translate") for t in r.body["text"]]
    assert len(texts) == len(set(texts)) == 3
    found = suggestions_of(path, job_id)
    assert sorted(found) == sorted(ids) and all(len(rows) == 1 for rows in found.values())


def test_a_job_runs_in_one_process_at_a_time(tmp_path: Path, write_jsonl, deepl) -> None:
    """A second Winnow (here: another process holding the job's lease) cannot resume a job that is
    running there: each item would be sent, and paid for, twice. Once that process is gone, it can."""
    import subprocess
    import sys

    path, ids = make_project(tmp_path, write_jsonl, extra=4)
    with JobEngine(path) as engine:
        job_id = engine.start(spec(ids, deepl_factory(deepl), concurrency=1, batch_texts=1))
        engine.pause(job_id)
        assert engine.wait(job_id, WAIT) == "paused"
    holder = subprocess.Popen(
        [
            sys.executable,
            "-c",
            "import sys, time; from workers.job_lease import leases_for; "
            f"leases_for(sys.argv[1]).acquire({job_id}); print('held', flush=True); time.sleep(60)",
            str(path),
        ],
        stdout=subprocess.PIPE,
        text=True,
        cwd=Path(__file__).resolve().parents[1],
    )
    try:
        assert holder.stdout.readline().strip() == "held"
        with JobEngine(path) as engine:
            with pytest.raises(ProjectError, match=f"job {job_id} is running in another Winnow"):
                engine.resume(job_id, deepl_factory(deepl))
            assert not engine.is_running(job_id)
    finally:
        holder.kill()
        holder.wait()
        holder.stdout.close()
    with JobEngine(path) as engine:
        engine.resume(job_id, deepl_factory(deepl))
        assert engine.wait(job_id, WAIT) == "done"
    assert summary(path, job_id).done == len(ids)


def test_a_batched_answer_the_task_cannot_split_fails_its_items_uncached_and_a_retry_asks_again(
    tmp_path: Path, write_jsonl, deepl: FakeDeepL
) -> None:
    from tests.servers.faults import DropTags

    path, ids = make_project(tmp_path, write_jsonl, extra=0)
    ids = ids[:3]
    deepl.inject(DropTags(("i",)), nth=1, path="/v2/translate")  # the first request loses the <i> markers
    with JobEngine(path) as engine:
        job_id = engine.start(spec(ids, deepl_factory(deepl), batch_texts=50, concurrency=1))
        assert engine.wait(job_id, WAIT) == "done"
        assert len(deepl.requests_to("/v2/translate")) == 1  # the three samples went in one request
        items = items_of(path, job_id)
        assert {i["state"] for i in items} == {"failed"}
        assert all("unusable answer" in i["error"] and "<i>" in i["error"] for i in items)
        with Project.open(path) as project:
            assert project.db.execute("SELECT count(*) FROM cache").fetchone()[0] == 0  # nothing kept to reuse
            billed = project.db.execute("SELECT spent_characters FROM jobs WHERE id = ?", (job_id,)).fetchone()[0]
        assert billed > 0  # DeepL billed the request all the same
        assert suggestions_of(path, job_id) == {}

        assert engine.retry_failed(job_id) == 3
        assert engine.wait(job_id, WAIT) == "done"
    assert len(deepl.requests_to("/v2/translate")) == 2  # asked again, not answered from a cache
    assert {i["state"] for i in items_of(path, job_id)} == {"done"}
    assert sorted(suggestions_of(path, job_id)) == sorted(ids)
