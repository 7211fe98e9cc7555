"""End to end, the COIG translated pipeline: an English file is imported, translated by DeepL and by a
chat model over real HTTP, verified with the four COIG labels, the label-3 items corrected, and the
result exported as Alpaca and as COIG translated."""

from __future__ import annotations

import json
from pathlib import Path

import orjson

from app import exporter, importer
from app.store import Project, actions, query
from tests.servers import FakeDeepL, FakeOpenAI
from tests.servers.fake_deepl import translate as fake_translate
from workers.engine import JobEngine, JobSpec, RetryPolicy
from workers.providers.deepl_provider import DeepLProvider
from workers.providers.openai_provider import OpenAIProvider

WAIT = 10.0
FAST_RETRY = RetryPolicy(base=0.01, cap=0.05, max_attempts=2)

ENGLISH = [
    {
        "instruction": "Translate the world into a greeting.",
        "input": "",
        "output": "Hello world.",
        "trans_instruction": "",
        "trans_input": "",
        "trans_output": "",
    },
    {
        "instruction": "Explain what the function does.",
        "input": "```python\ndef add(a, b):\n    return a + b\n```",
        "output": "The function returns the sum of `a` and `b`.",
        "trans_instruction": "",
        "trans_input": "",
        "trans_output": "",
    },
    {
        "instruction": "Write a haiku about the sea.",
        "input": "",
        "output": "Waves fold into foam",
        "trans_instruction": "",
        "trans_input": "",
        "trans_output": "",
    },
]


def _read_jsonl(path: Path) -> list[dict]:
    return [orjson.loads(line) for line in path.read_bytes().splitlines() if line.strip()]


def _accept_all(project: Project, job_id: int) -> dict[int, dict]:
    """Accept every draft of the job; each sample's accepted target by sample id."""
    rows = project.db.execute("SELECT id, sample_id FROM suggestions WHERE job_id = ? ORDER BY id", (job_id,))
    for suggestion_id, _sample_id in rows.fetchall():
        actions.accept_suggestion(project, suggestion_id)
    ids = query.sample_ids(project, query.SampleFilter(kind=("translation",)))
    return {s.id: s.content["target"] for s in query.get_samples(project, ids)}


def test_english_file_translated_by_deepl_labelled_corrected_and_exported(tmp_path: Path, write_jsonl) -> None:
    source = write_jsonl("translated_instructions.jsonl", ENGLISH)
    path = tmp_path / "coig.winnow"
    with Project.create(path) as project:
        report = importer.import_file(project, source)
        assert report.format == "coig-translated"
        ids = query.sample_ids(project, query.SampleFilter(kind=("translation",)))
    assert len(ids) == 3

    with FakeDeepL() as server, JobEngine(path) as engine:
        job_id = engine.start(
            JobSpec(
                task="translate",
                sample_ids=ids,
                provider_factory=lambda: DeepLProvider(server.key, server_url=server.url, timeout=2.0),
                retry=FAST_RETRY,
            )
        )
        assert engine.wait(job_id, WAIT) == "done"
        # The three fields of a sample went as ONE text (COIG's concatenation, for context).
        assert len(server.requests_to("/v2/translate")) >= 1

    with Project.open(path) as project:
        targets = _accept_all(project, job_id)
        first, second, third = ids
        assert targets[first]["output"] == fake_translate("Hello world.", tagged=False)
        # The code block came back byte-identical; the prose around it was translated.
        assert targets[second]["input"] == ENGLISH[1]["input"]
        assert "`a`" in targets[second]["output"] and "[ZH]" in targets[second]["output"]

        # Verification with the COIG labels: 1 usable, 3 needs correction, 4 unusable.
        actions.set_label(project, [first], 1)
        actions.set_label(project, [second], 3)
        actions.set_label(project, [third], 4)
        # Correction of the label-3 item: a person writes the Chinese.
        corrected = dict(query.get_samples(project, [second])[0].content)
        corrected["target"] = {
            "instruction": "解释这个函数的作用。",
            "input": ENGLISH[1]["input"],
            "output": "该函数返回 `a` 与 `b` 之和。",
        }
        actions.edit_content(project, second, corrected, reason="correction")

        usable = query.parse_where(["label<=3"])
        (tmp_path / "out").mkdir()
        alpaca = exporter.export(project, tmp_path / "out" / "zh.jsonl", format_name="alpaca-jsonl", where=usable)
        coig = exporter.export(
            project, tmp_path / "out" / "translated.jsonl", format_name="coig-translated", where=usable
        )

    assert alpaca.written == 2 and coig.written == 2
    rows = _read_jsonl(tmp_path / "out" / "zh.jsonl")
    assert rows[0] == {
        "instruction": fake_translate("Translate the world into a greeting.", tagged=False),
        "input": "",
        "output": fake_translate("Hello world.", tagged=False),
    }
    assert rows[1] == corrected["target"]
    # COIG translated keeps the English beside the Chinese, in the file's own field names and order.
    back = _read_jsonl(tmp_path / "out" / "translated.jsonl")
    assert list(back[1]) == list(ENGLISH[1])
    assert back[1]["instruction"] == ENGLISH[1]["instruction"]
    assert back[1]["trans_instruction"] == "解释这个函数的作用。"
    assert back[1]["trans_input"] == ENGLISH[1]["input"]
    info = json.loads((tmp_path / "out" / "dataset_info.json").read_text(encoding="utf-8"))
    assert info["zh"]["file_name"] == "zh.jsonl"


def test_english_file_translated_by_a_chat_model_with_a_bad_answer_failing_alone(tmp_path: Path, write_jsonl) -> None:
    source = write_jsonl("translated_instructions.jsonl", ENGLISH[:2])
    path = tmp_path / "coig.winnow"
    with Project.create(path) as project:
        importer.import_file(project, source)
        ids = query.sample_ids(project, query.SampleFilter(kind=("translation",)))
    good = {"instruction": "把世界翻译成一句问候。", "input": "", "output": "你好，世界。"}
    # The second answer drops the code block: refused, not taken as a guess.
    bad = {"instruction": "解释函数的作用。", "input": "def add(a, b): return a + b", "output": "返回两数之和。"}
    with FakeOpenAI() as server:
        server.script(json.dumps(good, ensure_ascii=False), json.dumps(bad, ensure_ascii=False))
        with JobEngine(path) as engine:
            job_id = engine.start(
                JobSpec(
                    task="translate",
                    sample_ids=ids,
                    provider_factory=lambda: OpenAIProvider(server.base_url, "deepseek-chat", server.key, timeout=2.0),
                    concurrency=1,
                    retry=FAST_RETRY,
                )
            )
            assert engine.wait(job_id, WAIT) == "done"
    with Project.open(path) as project:
        states = dict(project.db.execute("SELECT sample_id, state FROM job_items WHERE job_id = ?", (job_id,)))
        assert states == {ids[0]: "done", ids[1]: "failed"}
        error = project.db.execute("SELECT error FROM job_items WHERE sample_id = ?", (ids[1],)).fetchone()[0]
        assert "code" in error
        targets = _accept_all(project, job_id)
        assert targets[ids[0]] == good
        assert targets[ids[1]] == {"instruction": "", "input": "", "output": ""}
