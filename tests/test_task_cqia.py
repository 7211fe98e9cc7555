"""CQIA answer rewrite and LLM-as-judge: builders and parsers (pure), and end to end against the
local OpenAI-compatible server — the judge's score lands beside the person's rating, taking it sets
the rating (undoably) and leaves the content alone."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from app import exporter, importer
from app.store import Project, actions, ops, query
from app.store.project import ProjectError
from app.tasks import get_task, load_prompt
from app.tasks.chat_json import mostly_chinese
from app.tasks.cqia import build_judge, build_rewrite, parse_judge, parse_rewrite
from tests.helpers import openai_spec, run_to_end
from tests.servers import FakeOpenAI

WEAK = {"instruction": "为什么天空是蓝色的？", "input": "", "output": "因为光。"}
BETTER = (
    "天空呈蓝色是因为瑞利散射：太阳光进入大气层后，波长较短的蓝光比波长较长的红光更容易被空气分子散射，"
    "散射到各个方向的蓝光进入我们的眼睛，所以天空看起来是蓝色的。"
)


def test_the_tasks_are_chat_only_with_readable_prompts() -> None:
    for name in ("rewrite", "judge"):
        task = get_task(name)
        assert task.styles == ("chat",) and task.kinds == ("instruction",)
        assert "JSON" in load_prompt(task.prompt_file)


def test_requests_carry_the_whole_sample() -> None:
    for build in (build_rewrite, build_judge):
        call = build(WEAK, "PROMPT")
        assert call.json_mode and call.messages[0] == ("system", "PROMPT")
        assert json.loads(call.messages[1][1]) == WEAK
        with pytest.raises(ValueError, match="instruction is empty"):
            build({"instruction": "", "input": "", "output": "x"}, "PROMPT")
        with pytest.raises(ValueError, match="output is empty"):
            build({"instruction": "问", "input": "", "output": ""}, "PROMPT")


def test_rewrite_answers() -> None:
    assert parse_rewrite(WEAK, json.dumps({"output": BETTER}, ensure_ascii=False)) == {"output": BETTER}
    for answer, reason in (
        ('{"output": "因为光。"}', "same answer"),
        ('{"output": "Because of Rayleigh scattering of sunlight in the air."}', "not in Chinese"),
        ('{"text": "天空是蓝色的"}', "no 'output'"),
        ('{"output": "天空呈蓝色是因为', "cut off"),
        ("天空是蓝色的因为瑞利散射。", "not a JSON object"),
        ('{"output": null}', "not text"),
    ):
        with pytest.raises(ValueError, match=reason):
            parse_rewrite(WEAK, answer)


def test_judge_answers() -> None:
    assert parse_judge(WEAK, '{"score": 2, "rationale": "回答过于简略，没有解释原因。"}') == {
        "judgement": {"score": 2, "rationale": "回答过于简略，没有解释原因。"}
    }
    assert parse_judge(WEAK, '```json\n{"score": "1分", "rationale": "不可用",}\n```')["judgement"]["score"] == 1
    for answer, reason in (
        ('{"score": 0, "rationale": "差"}', "1 to 5"),
        ('{"score": 3}', "no 'reason'"),
        ('{"rating": 3, "rationale": "一般"}', "no score"),
        ("3分，回答太短。", "not a JSON object"),
    ):
        with pytest.raises(ValueError, match=reason):
            parse_judge(WEAK, answer)


def test_chinese_check() -> None:
    assert mostly_chinese("Python是一种编程语言，用def定义函数。")
    assert not mostly_chinese("Python is a programming language, 对吧")
    assert not mostly_chinese("12345")


# --------------------------------------------------------------------------------------------------
# End to end
# --------------------------------------------------------------------------------------------------

RECORDS = [
    WEAK,
    {"instruction": "用一句话介绍长城。", "input": "", "output": "长城是中国古代的军事防御工程，总长度超过两万公里。"},
    {"instruction": "把“你好”翻译成英文。", "input": "", "output": "你好"},
]
JUDGED = {
    "为什么天空是蓝色的？": '{"score": 2, "rationale": "回答过于简略，没有解释瑞利散射的原理。"}',
    "用一句话介绍长城。": '{"score": 5, "rationale": "准确、简洁，符合一句话的要求。"}',
    "把“你好”翻译成英文。": "这个回答不对，应该是Hello。",  # not JSON: that item fails
}
REWRITTEN = {
    "为什么天空是蓝色的？": json.dumps({"output": BETTER}, ensure_ascii=False),
    "用一句话介绍长城。": json.dumps(
        {"output": "长城是中国古代为抵御北方游牧民族而修建的军事防御工程，总长度超过两万公里。"}, ensure_ascii=False
    ),
    "把“你好”翻译成英文。": '{"output": "Hello"}',  # an English answer is right here, but the check refuses it
}


def _responder(messages: list[dict]) -> str:
    sample = json.loads(messages[-1]["content"])
    table = JUDGED if "评审员" in messages[0]["content"] else REWRITTEN
    return table[sample["instruction"]]


def _project(tmp_path: Path, write_jsonl) -> tuple[Path, list[int]]:
    path = tmp_path / "cqia.winnow"
    with Project.create(path) as project:
        importer.import_file(project, write_jsonl("cqia.jsonl", RECORDS))
        return path, query.sample_ids(project, query.SampleFilter())


def _run(path: Path, server: FakeOpenAI, task: str, ids: list[int]) -> int:
    spec = openai_spec(server, task, ids, "deepseek-chat", concurrency=2)
    job_id, summary = run_to_end(path, spec, 10.0)
    assert (summary.done, summary.failed) == (2, 1)
    return job_id


def test_judge_then_rewrite_end_to_end(tmp_path: Path, write_jsonl) -> None:
    path, ids = _project(tmp_path, write_jsonl)
    sky, wall, hello = ids
    with FakeOpenAI() as server:
        server.responder = _responder
        _run(path, server, "judge", ids)
        _run(path, server, "rewrite", [sky, wall, hello])

    with Project.open(path, author="审核员") as project:
        (judgement,) = [s for s in query.suggestions(project, sky) if s["task"] == "judge"]
        assert judgement["state"] == "pending"
        assert judgement["content"] == {
            "judgement": {"score": 2, "rationale": "回答过于简略，没有解释瑞利散射的原理。"}
        }
        assert judgement["prompt_version"] == get_task("judge").prompt_version
        assert not [s for s in query.suggestions(project, hello) if s["task"] == "judge"]  # failed: no draft

        # The person rates 3 themselves; then takes the judge's 2 instead: the rating changes, the
        # content does not, and one undo gives back the person's rating and the pending draft.
        actions.set_rating(project, [sky], 3)
        before = query.get_sample(project, sky)
        changes = actions.accept_suggestion(project, judgement["id"])
        assert changes.sample_ids == {sky}
        after = query.get_sample(project, sky)
        assert after.rating == 2 and after.content == before.content and after.version == before.version
        assert ops.can_undo(project) == f"take the llm:deepseek-chat:deepseek-chat rating 2 for sample {sky}"
        ops.undo(project)
        assert query.get_sample(project, sky).rating == 3
        assert [s["state"] for s in query.suggestions(project, sky) if s["task"] == "judge"] == ["pending"]
        with pytest.raises(ProjectError, match="already accepted"):
            ops.redo(project)
            actions.accept_suggestion(project, judgement["id"])

        # The rewrite: take it, accept the sample, export.
        (rewrite,) = [s for s in query.suggestions(project, sky) if s["task"] == "rewrite"]
        assert rewrite["content"] == {"output": BETTER}
        actions.accept_suggestion(project, rewrite["id"])
        actions.add_review(project, sky, verdict="accept")
        (wall_judgement,) = [s for s in query.suggestions(project, wall) if s["task"] == "judge"]
        actions.accept_suggestion(project, wall_judgement["id"])
        actions.add_review(project, wall, verdict="accept")
        assert query.get_sample(project, wall).rating == 5

        out = tmp_path / "cqia_out.jsonl"
        exporter.export(project, out, format_name="alpaca-jsonl", where=query.parse_where(["status=accepted"]))
    assert [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines()] == [
        {"instruction": "为什么天空是蓝色的？", "input": "", "output": BETTER},
        {"instruction": "用一句话介绍长城。", "input": "", "output": RECORDS[1]["output"]},
    ]


def test_a_judgement_without_a_usable_score_is_not_taken(tmp_path: Path, write_jsonl) -> None:
    path, ids = _project(tmp_path, write_jsonl)
    with Project.open(path) as project:
        suggestion_id = actions.add_suggestion(
            project, ids[0], task="judge", content={"judgement": {"score": 9, "rationale": "?"}}, engine="llm"
        )
        with pytest.raises(ProjectError, match="no 1–5 score"):
            actions.accept_suggestion(project, suggestion_id)
        assert query.get_sample(project, ids[0]).rating is None
