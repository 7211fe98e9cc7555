"""The OpenAI Batch API / ``vllm run-batch`` path: write the batch file, submit and poll it with the
real ``openai`` client against the fake server, ingest the results through the ledger and the cache."""

from __future__ import annotations

import json
from pathlib import Path

import openai
import orjson
import pytest

from app import importer
from app.store import Project, query
from app.tasks import self_instruct
from tests.servers import FakeOpenAI
from tests.test_engine import WAIT, items_of, make_project, spec, suggestions_of, summary
from workers import batch
from workers.engine import JobEngine
from workers.providers.openai_provider import OpenAIProvider


def sources(path: Path, ids: list[int]) -> dict[int, dict]:
    with Project.open(path) as project:
        return {s.id: s.content["source"] for s in query.get_samples(project, ids)}


def answer_for(source: dict) -> str:
    """A usable translation answer: the code of the input kept as it was."""
    return json.dumps(
        {"instruction": "指令：" + source["instruction"][:10], "input": source["input"], "output": "输出"},
        ensure_ascii=False,
    )


def lines_of(path: Path) -> list[dict]:
    return [orjson.loads(line) for line in path.read_bytes().splitlines() if line.strip()]


def completion(content: str, model: str = "qwen-7b") -> dict:
    return {
        "id": "cmpl-1",
        "object": "chat.completion",
        "created": 1,
        "model": model,
        "choices": [{"index": 0, "message": {"role": "assistant", "content": content}, "finish_reason": "stop"}],
        "usage": {"prompt_tokens": 100, "completion_tokens": 20, "total_tokens": 120},
    }


def test_write_submit_poll_ingest_with_the_openai_client(tmp_path: Path, write_jsonl) -> None:
    path, ids = make_project(tmp_path, write_jsonl, extra=3)
    texts = sources(path, ids)
    with FakeOpenAI() as server:
        spec_ = batch.BatchSpec("translate", ids, "gpt-4o-mini", base_url=server.base_url, price_per_1k_prompt=0.001)
        written = batch.write_batch_file(path, spec_, tmp_path / "in.jsonl")
        assert (written.requests, written.cached, written.skipped) == (len(ids), 0, 0)
        lines = lines_of(written.path)
        assert [set(line) for line in lines] == [{"custom_id", "method", "url", "body"}] * len(ids)
        first = lines[0]
        assert first["method"] == "POST" and first["url"] == "/v1/chat/completions"
        assert first["custom_id"].startswith(f"winnow-{written.job_id}-")
        assert first["body"]["model"] == "gpt-4o-mini"
        assert first["body"]["response_format"] == {"type": "json_object"}
        assert [m["role"] for m in first["body"]["messages"]] == ["system", "user"]
        assert len({line["custom_id"] for line in lines}) == len(ids)
        assert {i["state"] for i in items_of(path, written.job_id)} == {"running"}

        # The fake answers the lines in order: script one usable answer per sample.
        item_sample = {i["id"]: i["sample_id"] for i in items_of(path, written.job_id)}
        order = [item_sample[int(line["custom_id"].split("-")[2])] for line in lines]
        server.script(*(answer_for(texts[sample]) for sample in order))

        client = openai.OpenAI(base_url=server.base_url, api_key=server.key, max_retries=0, timeout=5)
        try:
            batch_id = batch.submit_batch(client, written.path)
            seen = []
            for _ in range(5):
                status = batch.poll_batch(client, batch_id)
                seen.append(status.status)
                if status.status == "completed":
                    break
            assert seen == ["in_progress", "completed"]  # created as validating
            assert (status.total, status.completed, status.failed) == (len(ids), len(ids), 0)
            results = batch.download_results(client, status, tmp_path / "out.jsonl")
        finally:
            client.close()
        upload = server.requests_to("/v1/files")[0]
        assert upload.method == "POST" and "multipart/form-data" in upload.headers.get("Content-Type", "")

        report = batch.ingest_results(path, results)
        assert (report.done, report.failed, report.problems) == (len(ids), 0, [])
        found = suggestions_of(path, written.job_id)
        assert sorted(found) == sorted(ids) and all(len(rows) == 1 for rows in found.values())
        row = found[ids[0]][0]
        assert row["content"]["target"]["input"] == texts[ids[0]]["input"]
        assert row["engine"] == "batch:gpt-4o-mini" and row["tokens"] > 0 and row["cost"] > 0
        job = summary(path, written.job_id)
        assert (job.provider, job.state, job.done) == ("batch:gpt-4o-mini", "done", len(ids))

        again = batch.ingest_results(path, results)  # idempotent
        assert (again.done, again.failed, again.already) == (0, 0, len(ids))
        assert all(len(rows) == 1 for rows in suggestions_of(path, written.job_id).values())

        # The cache is shared with online runs of the same server and model, and with the next batch.
        sent = len(server.requests_to("/v1/chat/completions"))
        with JobEngine(path) as engine:
            online = engine.start(spec(ids, lambda: OpenAIProvider(server.base_url, "gpt-4o-mini", server.key)))
            assert engine.wait(online, WAIT) == "done"
        assert len(server.requests_to("/v1/chat/completions")) == sent == 0
        assert len(suggestions_of(path, online)) == len(ids)
        second = batch.write_batch_file(path, spec_, tmp_path / "again.jsonl")
        assert (second.requests, second.cached) == (0, len(ids))
        assert lines_of(second.path) == [] and summary(path, second.job_id).state == "done"


def test_ingest_a_vllm_results_file(tmp_path: Path, write_jsonl) -> None:
    path, ids = make_project(tmp_path, write_jsonl, extra=2)
    ids = ids[:4]
    texts = sources(path, ids)
    spec_ = batch.BatchSpec("translate", ids, "qwen-7b", base_url="http://gpu-box:8000/v1", max_tokens=2048)
    written = batch.write_batch_file(path, spec_, tmp_path / "in.jsonl")
    lines = lines_of(written.path)
    assert lines[0]["body"]["max_tokens"] == 2048
    item_sample = {i["id"]: i["sample_id"] for i in items_of(path, written.job_id)}

    def sample_of(line: dict) -> int:
        return item_sample[int(line["custom_id"].split("-")[2])]

    out = []
    for n, line in enumerate(reversed(lines)):  # any order
        body = completion(answer_for(texts[sample_of(line)]))
        out.append(
            {
                "id": f"vllm-{n}",
                "custom_id": line["custom_id"],
                "response": {"status_code": 200, "request_id": f"vllm-batch-{n}", "body": body},
                "error": None,
            }
        )
    out[1] = {
        "id": "vllm-1",
        "custom_id": out[1]["custom_id"],
        "response": None,
        "error": {"code": "context_length_exceeded", "message": "prompt too long"},
    }
    failed_sample = sample_of(out[1])
    results = tmp_path / "results.jsonl"
    text = [json.dumps(line, ensure_ascii=False) for line in out]
    text.insert(2, '{"custom_id": "winnow-1-')  # cut off: line 3
    results.write_text("\n".join(text) + "\n", encoding="utf-8")

    report = batch.ingest_results(path, results)
    assert (report.done, report.failed) == (3, 1)
    assert len(report.problems) == 1 and report.problems[0].startswith("line 3: not JSON")
    items = {i["sample_id"]: i for i in items_of(path, written.job_id)}
    assert items[failed_sample]["state"] == "failed"
    error = items[failed_sample]["error"]
    assert "context_length_exceeded" in error and "prompt too long" in error
    found = suggestions_of(path, written.job_id)
    assert sorted(found) == sorted(set(ids) - {failed_sample})
    with Project.open(path) as project:
        assert project.db.execute("SELECT count(*) FROM cache").fetchone()[0] == 3
    job = summary(path, written.job_id)
    assert (job.state, job.done, job.failed, job.tokens) == ("done", 3, 1, 360)

    again = batch.ingest_results(path, results)
    assert (again.done, again.failed, again.already, len(again.problems)) == (0, 0, 4, 1)
    assert suggestions_of(path, written.job_id) == found
    assert summary(path, written.job_id).tokens == 360  # nothing counted twice


@pytest.mark.parametrize(
    ("line", "problem"),
    [
        ('{"custom_id": "request-1", "response": {}}', "is not one Winnow wrote"),
        ('{"custom_id": "winnow-99-1-0123456789abcdef", "response": {}}', "no job 99"),
        ("[1, 2]", "not a JSON object"),
    ],
)
def test_lines_that_name_no_item_are_reported(tmp_path: Path, write_jsonl, line: str, problem: str) -> None:
    path, ids = make_project(tmp_path, write_jsonl, extra=0)
    batch.write_batch_file(path, batch.BatchSpec("translate", ids[:1], "m"), tmp_path / "in.jsonl")
    results = tmp_path / "results.jsonl"
    results.write_text("\n" + line + "\n", encoding="utf-8")
    report = batch.ingest_results(path, results)
    assert report.problems and report.problems[0].startswith("line 2: ") and problem in report.problems[0]


def test_command_line_batch_write_submit_status_ingest(tmp_path: Path, write_jsonl, monkeypatch, capsys) -> None:
    from workers import cli_run

    path, ids = make_project(tmp_path, write_jsonl, extra=0)
    texts = sources(path, ids)
    with FakeOpenAI() as server:
        monkeypatch.setenv("WINNOW_OPENAI_KEY", server.key)
        common = ["--base-url", server.base_url]
        out_file = tmp_path / "in.jsonl"
        assert cli_run.main(["batch", "write", str(path), str(out_file), "--model", "gpt-4o-mini", *common]) == 0
        assert f"{len(ids)} requests written" in capsys.readouterr().out
        item_sample = {i["id"]: i["sample_id"] for i in items_of(path, 1)}
        server.script(
            *(answer_for(texts[item_sample[int(line["custom_id"].split("-")[2])]]) for line in lines_of(out_file))
        )
        assert cli_run.main(["batch", "submit", str(out_file), *common]) == 0
        batch_id = capsys.readouterr().out.strip()
        assert batch_id.startswith("batch_")
        results = tmp_path / "out.jsonl"
        for expected in ("in_progress", "completed"):
            assert cli_run.main(["batch", "status", batch_id, "--download", str(results), *common]) == 0
            assert f"{batch_id}: {expected}" in capsys.readouterr().out
        assert cli_run.main(["batch", "ingest", str(path), str(results)]) == 0
        assert f"{len(ids)} done, 0 failed" in capsys.readouterr().out
        assert cli_run.main(["batch", "status", "batch_99", *common]) == cli_run.EXIT_FAILED
        assert "batch_99" in capsys.readouterr().err
    assert len(suggestions_of(path, 1)) == len(ids)
    assert "batch" in cli_run.RUN_COMMANDS


def test_command_line_batch_with_a_seed_asks_and_caches_as_winnow_run_does(
    tmp_path: Path, write_jsonl, monkeypatch, capsys
) -> None:
    """``winnow batch write --seed 3``: Self-Instruct's requests draw the seed-3 examples, the job keeps
    the seed, and the ingest puts each answer in the cache under the key an online seed-3 run asks."""
    from tests.helpers import openai_spec
    from tests.test_self_instruct_seed import ANSWER, SEEDS, examples_by_seed
    from workers import cli_run
    from workers.engine import job_params

    path = tmp_path / "seeds.winnow"
    with Project.create(path) as project:
        importer.import_file(project, write_jsonl("seeds.jsonl", SEEDS))
        ids = query.sample_ids(project, query.SampleFilter())
    with FakeOpenAI() as server:
        server.responder = lambda messages: ANSWER
        monkeypatch.setenv("WINNOW_OPENAI_KEY", server.key)
        common = ["--base-url", server.base_url]
        out_file = tmp_path / "in.jsonl"
        write = ["batch", "write", str(path), str(out_file), "--task", self_instruct.NAME, "--model", "test-model"]
        assert cli_run.main([*write, *common, "--seed", "3"]) == 0
        assert f"{len(ids)} requests written" in capsys.readouterr().out
        shown = {}
        for line in lines_of(out_file):
            examples = json.loads(line["body"]["messages"][-1]["content"])
            shown[examples[0]["instruction"]] = [e["instruction"] for e in examples[1:]]
        assert shown == examples_by_seed(path, ids, 3) != examples_by_seed(path, ids, 0)
        with Project.open(path) as project:
            (job_id,) = [row[0] for row in project.db.execute("SELECT id FROM jobs")]
            recorded = job_params(project, job_id)
        assert recorded["task_options"] == {"seed": 3}
        assert recorded["prompt_version"] == "self-instruct/1+seed=3"

        assert cli_run.main(["batch", "submit", str(out_file), *common]) == 0
        batch_id = capsys.readouterr().out.strip()
        results = tmp_path / "out.jsonl"
        for _ in range(2):
            assert cli_run.main(["batch", "status", batch_id, "--download", str(results), *common]) == 0
        assert cli_run.main(["batch", "ingest", str(path), str(results)]) == 0
        assert f"{len(ids)} done, 0 failed" in capsys.readouterr().out
        found = suggestions_of(path, job_id)
        assert set(ids) <= set(found)  # each seed's answer, and the new sample it made
        assert {row["prompt_version"] for rows in found.values() for row in rows} == {"self-instruct/1+seed=3"}

        # The answers are in the cache under the seed-3 keys: an online run with seed 3 asks nothing,
        # one with the default seed asks everything.
        sent = len(server.requests_to("/v1/chat/completions"))
        with JobEngine(path) as engine:
            assert engine.estimate(
                openai_spec(server, self_instruct.NAME, ids, task_options={"seed": 3})
            ).cached == len(ids)
            assert engine.estimate(openai_spec(server, self_instruct.NAME, ids)).cached == 0
        # And `winnow run --seed 3` over the same seeds (not the samples the answers made) is all cache.
        run = ["run", str(path), self_instruct.NAME, "--provider", "openai", *common, "--model", "test-model"]
        with Project.open(path) as project:
            subsets = {row[0] for row in project.db.execute("SELECT DISTINCT subset FROM samples")}
        (seeds_subset,) = subsets - {self_instruct.NAME}
        capsys.readouterr()
        assert cli_run.main([*run, "--seed", "3", "--where", f"subset={seeds_subset}"]) == cli_run.EXIT_OK
        assert f"estimate: {len(ids)} samples ({len(ids)} from the cache" in capsys.readouterr().out
        assert len(server.requests_to("/v1/chat/completions")) == sent


def test_the_default_seed_writes_what_it_wrote_before_and_other_tasks_take_no_options(
    tmp_path: Path, write_jsonl
) -> None:
    from tests.test_self_instruct_seed import SEEDS
    from workers import cli_run
    from workers.engine import job_params

    path = tmp_path / "seeds.winnow"
    with Project.create(path) as project:
        importer.import_file(project, write_jsonl("seeds.jsonl", SEEDS[:6]))
        ids = query.sample_ids(project, query.SampleFilter())
    before = batch.write_batch_file(path, batch.BatchSpec(self_instruct.NAME, ids, "m"), tmp_path / "before.jsonl")
    out = tmp_path / "cli.jsonl"
    assert cli_run.main(["batch", "write", str(path), str(out), "--task", self_instruct.NAME, "--model", "m"]) == 0

    def asked(lines: list[dict]) -> list[tuple[str, dict]]:
        return [(line["custom_id"].rsplit("-", 1)[1], line["body"]) for line in lines]

    assert asked(lines_of(out)) == asked(lines_of(before.path))  # the same requests under the same keys

    with pytest.raises(ValueError, match="takes no options"):
        batch.write_batch_file(path, batch.BatchSpec("translate", ids, "m", task_options={"seed": 3}), tmp_path / "x")
    translate = tmp_path / "translate.jsonl"
    assert cli_run.main(["batch", "write", str(path), str(translate), "--model", "m", "--seed", "3"]) == 0
    with Project.open(path) as project:
        jobs = [row[0] for row in project.db.execute("SELECT id FROM jobs ORDER BY id")]
        recorded = [job_params(project, job_id)["task_options"] for job_id in jobs]
    assert recorded == [{}, {"seed": 0}, {}]  # --seed is for the tasks that take it, as for `winnow run`
