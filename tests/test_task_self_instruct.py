"""COIG human values by Self-Instruct: near-copy detection (ROUGE-L on characters), reproducible
in-context examples, answer validation, and end to end over HTTP: the real human-value seeds →
job → new samples with provenance, near-copies dropped, no duplicates on a re-run → review → export."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from app import exporter, importer
from app.store import Project, actions, query
from app.tasks import ChatCall, get_task, load_prompt
from app.tasks import near_copy as near
from app.tasks import self_instruct as task
from tests.helpers import openai_spec
from tests.servers import FakeOpenAI
from workers.engine import JobEngine

SEED = {"instruction": "为什么人要学习？", "input": "", "output": "学习能让人获取知识、提高能力，更好地适应社会。"}

NEW = [
    {
        "instruction": "邻居家的老人独自生活，你可以为他做些什么？",
        "input": "",
        "output": "可以常去看望，陪他聊天，帮忙买菜。",
    },
    {
        "instruction": "借了同学的书不小心弄坏了，应该怎么办？",
        "input": "",
        "output": "应主动道歉，并照价赔偿或买一本新的还给他。",
    },
    {
        "instruction": "在公共场所排队时有人插队，你会怎样处理？",
        "input": "",
        "output": "礼貌地提醒对方按顺序排队，必要时请工作人员协助。",
    },
]


def dumps(value) -> str:
    return json.dumps(value, ensure_ascii=False)


# --- near copies -------------------------------------------------------------------------------------


def _lcs_table(a: list[str], b: list[str]) -> int:
    table = [[0] * (len(b) + 1) for _ in range(len(a) + 1)]
    for i, x in enumerate(a):
        for j, y in enumerate(b):
            table[i + 1][j + 1] = table[i][j] + 1 if x == y else max(table[i][j + 1], table[i + 1][j])
    return table[-1][-1]


@settings(max_examples=300, deadline=None)
@given(a=st.lists(st.sampled_from("孝敬父母ab"), max_size=40), b=st.lists(st.sampled_from("孝顺父亲ac"), max_size=40))
def test_bit_parallel_lcs_equals_the_textbook_table(a: list[str], b: list[str]) -> None:
    assert near.lcs_length(a, b) == _lcs_table(a, b)


def test_chinese_is_compared_by_character_latin_by_word() -> None:
    assert near.tokens("用Python写一个 Hello World 程序！") == [
        "用",
        "python",
        "写",
        "一",
        "个",
        "hello",
        "world",
        "程",
        "序",
    ]
    assert near.rouge_l("如何孝敬父母？", "如何孝敬父母") == 1.0  # punctuation is not a token
    assert near.rouge_l("如何孝敬父母？", "怎样与长辈沟通？") == 0.0
    assert 0.7 < near.rouge_l("如何孝敬自己的父母？", "如何孝敬父母？") < 1.0
    assert near.rouge_l("为什么人要学习？", "为什么人要努力学习呢？") > near.THRESHOLD
    assert near.rouge_l("为什么人要学习？", "学习对个人成长有什么意义？") < near.THRESHOLD
    assert near.rouge_l("", "什么") == 0.0


def test_near_copies_of_existing_samples_are_found_through_the_index(loaded: Project) -> None:
    # loaded holds 写一首关于春天的五言绝句。 among others.
    assert near.project_near_copy(loaded, "写一首关于春天的五言绝句吧") is not None
    assert near.project_near_copy(loaded, "写一首关于秋天的七言律诗") is None  # shares words, not enough
    assert near.project_near_copy(loaded, "如何与长辈沟通？") is None
    kept, dropped = near.screen(
        loaded,
        [
            {"instruction": "请写一首关于春天的五言绝句。", "output": "…"},
            {"instruction": "如何与长辈沟通？", "output": "…"},
            {"instruction": "如何与长辈好好沟通？", "output": "…"},  # a near-copy of the one before
        ],
    )
    assert [s["instruction"] for s in kept] == ["如何与长辈沟通？"]
    assert [d["similar_to"] for d in dropped] == [2, "如何与长辈沟通？"]
    assert all(d["score"] > near.THRESHOLD for d in dropped)


def test_a_deleted_sample_is_no_original(loaded: Project) -> None:
    (spring,) = query.sample_ids(loaded, query.SampleFilter(text="五言绝句"))
    actions.delete_samples(loaded, [spring])
    assert near.project_near_copy(loaded, "写一首关于春天的五言绝句") is None


# --- examples, request, answer --------------------------------------------------------------------


def test_examples_are_drawn_from_the_pool_reproducibly(loaded: Project) -> None:
    ids = query.sample_ids(loaded, query.SampleFilter())
    seed = query.get_samples(loaded, [ids[0]])[0]
    first = task.add_examples(loaded, ids, ids[0], seed.content)
    again = task.add_examples(loaded, list(reversed(ids)), ids[0], seed.content)
    assert first == again
    examples = first[task.EXAMPLES_KEY]
    assert len(examples) == 2 and seed.content["instruction"] not in {e["instruction"] for e in examples}
    # Only the pool is drawn from; alone, a seed is its own only example.
    assert task.add_examples(loaded, [ids[0]], ids[0], seed.content)[task.EXAMPLES_KEY] == []
    call = task.build_request(first, load_prompt(task.PROMPT_FILE))
    shown = json.loads(call.messages[1][1])
    assert shown[0]["instruction"] == seed.content["instruction"] and shown[1:] == examples


def test_the_prompt_states_the_three_principles() -> None:
    prompt = load_prompt(task.PROMPT_FILE)
    assert "华语世界" in prompt and "宗教" in prompt and "谚语" in prompt and '"samples"' in prompt
    call = task.build_request(SEED, prompt)
    assert isinstance(call, ChatCall) and call.json_mode and call.temperature > 0
    with pytest.raises(ValueError, match="no instruction"):
        task.build_request({"instruction": " ", "output": "x"}, prompt)


def test_a_good_answer_gives_new_samples() -> None:
    assert task.parse_answer(SEED, dumps({"samples": NEW})) == {"samples": NEW}
    assert task.parse_answer(SEED, "```json\n" + dumps(NEW) + "\n```") == {"samples": NEW}


def test_bad_samples_are_set_aside_with_a_reason() -> None:
    answer = [
        NEW[0],
        {"instruction": "How should we treat the elderly?", "input": "", "output": "With respect and patience."},
        {"instruction": "请解释“百善孝为先”这句谚语的含义。", "input": "", "output": "孝是各种美德中最重要的。"},
        {"instruction": "为什么人要努力学习呢？", "input": "", "output": "为了增长知识。"},  # copies the seed
        {"instruction": "如何看待节约粮食？", "input": "", "output": ""},
        "不是对象",
    ]
    result = task.parse_answer(SEED, dumps({"samples": answer}))
    assert result["samples"] == [NEW[0]]
    reasons = [item["reason"] for item in result["rejected"]]
    assert reasons[0].startswith("instruction is not in Chinese")
    assert "proverb" in reasons[1]
    assert "near-copy of an example" in reasons[2]
    assert reasons[3:] == ["no output", "not an object but str"]


@pytest.mark.parametrize(
    ("answer", "message"),
    [
        ("好的，以下是三条新指令：1. 如何孝敬父母", "not a JSON"),
        (dumps({"result": "ok"}), 'no "samples" list'),
        (dumps({"samples": []}), "no samples"),
        (dumps({"samples": NEW * 4}), "at most 10"),
        (dumps({"samples": [{"instruction": "Be kind.", "input": "", "output": "Always."}]}), "no usable sample"),
        (dumps({"samples": NEW})[:-30], "cut off"),
    ],
)
def test_unusable_answers_fail_clearly(answer: str, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        task.parse_answer(SEED, answer)


def test_the_task_is_registered_with_its_hooks() -> None:
    registered = get_task("self-instruct")
    assert registered.creates == "instruction" and registered.styles == ("chat",)
    assert registered.context is task.add_examples and registered.screen is task.screen
    assert registered.estimate(SEED, "chat", registered.prompt()).tokens > 0


# --- end to end -------------------------------------------------------------------------------------

SEEDS_FILE = "coig_human_value_alignment_part1.json"


def _answers(seed_instruction: str) -> str | None:
    if seed_instruction.startswith("为什么人要学习"):
        return dumps(
            {
                "samples": [
                    NEW[0],
                    # a near-copy of a seed of the file that is not in the job (so not shown): screened out
                    {
                        "instruction": "请介绍适合春季游玩的户外运动项目，并说说注意事项。",
                        "input": "",
                        "output": "春季适合徒步和骑行，要注意天气变化和安全。",
                    },
                    {"instruction": "Why should we respect teachers?", "input": "", "output": "Teachers help us."},
                ]
            }
        )
    if seed_instruction.startswith("你在学校里看到同学"):
        return "```json\n" + dumps({"samples": NEW[1:]}) + "\n```"
    if seed_instruction.startswith("你喜欢阅读吗"):
        return "Sorry, I can only answer in English."
    return None


def test_seeds_expand_into_reviewed_and_exported_samples(tmp_path: Path, samples_dir: Path) -> None:
    path = tmp_path / "values.winnow"
    with Project.create(path) as project:
        report = importer.import_file(project, samples_dir / SEEDS_FILE)
        assert report.imported == 10
        all_ids = query.sample_ids(project, query.SampleFilter())
        seeds = {s.content["instruction"][:6]: s.id for s in query.get_samples(project, all_ids)}
        chosen = [seeds["为什么人要学"], seeds["你在学校里看"], seeds["你喜欢阅读吗"], seeds["你正在为明天"]]
        seed_texts = {s.content["instruction"] for s in query.get_samples(project, chosen)}
    shown: dict[str, list[str]] = {}

    def responder(messages: list[dict]) -> str | None:
        examples = json.loads(messages[-1]["content"])
        shown.setdefault(examples[0]["instruction"], [e["instruction"] for e in examples[1:]])
        return _answers(examples[0]["instruction"]) or dumps({"samples": []})

    with FakeOpenAI() as server:
        server.responder = responder
        spec = openai_spec(server, "self-instruct", chosen)
        with JobEngine(path) as engine:
            estimate = engine.estimate(spec)
            job_id = engine.start(spec)
            assert engine.wait(job_id, 20) == "done"
            assert (engine.summary(job_id).done, engine.summary(job_id).failed) == (2, 2)
            # The examples come from the job's seeds, three of them besides the item's own.
            assert all(len(v) == 3 and set(v) <= seed_texts for v in shown.values())
            sent = len(server.requests_to("/v1/chat/completions"))
            # Run again: the same examples, so the same requests: answered from the cache, nothing added twice.
            again = engine.start(spec)
            assert engine.wait(again, 20) == "done"
            assert engine.estimate(spec).cached == 2
        assert estimate.items == 4 and estimate.cached == 0
        # Only the two failed items were asked again (their bad answers were not kept).
        assert len(server.requests_to("/v1/chat/completions")) == sent + 2

    with Project.open(path) as project:
        errors = [r[0] for r in project.db.execute("SELECT error FROM job_items WHERE job_id = ?", (job_id,))]
        assert any("not a JSON dict" in (e or "") for e in errors)
        assert any("no samples" in (e or "") for e in errors)
        new_ids = query.sample_ids(project, query.SampleFilter(subset=("self-instruct",)))
        new = query.get_samples(project, new_ids)
        # NEW[0] kept; the near-copy of a seed dropped by the screen, the English one rejected; NEW[1:] kept.
        assert sorted(s.content["instruction"] for s in new) == sorted(n["instruction"] for n in NEW)
        assert all(s.kind == "instruction" and s.status == "new" for s in new)
        provenance = project.db.execute(
            f"SELECT engine, model, prompt_version, job_id, state FROM suggestions WHERE sample_id IN"
            f" ({','.join('?' * len(new_ids))})",
            new_ids,
        ).fetchall()
        assert set(provenance) == {("llm:test-model", "test-model", task.PROMPT_VERSION, job_id, "accepted")}
        seed_draft = project.db.execute(
            "SELECT content FROM suggestions WHERE sample_id = ?", (seeds["为什么人要学"],)
        ).fetchone()[0]
        assert json.loads(seed_draft)["rejected"][0]["reason"].startswith("instruction is not in Chinese")
        # The answer kept two; the screen added only one: the other copies a seed outside the job.
        assert len(json.loads(seed_draft)["samples"]) == 2

        # Review: the checklist is saved in the content; one sample fails principle 1 and is rejected.
        for sample in new:
            ok = sample.content["instruction"] != NEW[2]["instruction"]
            checks = {key: ok or key != "shared" for key, _text in task.PRINCIPLES}
            actions.edit_content(project, sample.id, sample.content | {task.PRINCIPLES_KEY: checks})
            actions.add_review(project, sample.id, verdict="accept" if ok else "reject")
        out = tmp_path / "values.json"
        where = query.SampleFilter(subset=("self-instruct",), status=("accepted",))
        assert exporter.export(project, out, format_name="coig-human-value", where=where).written == 2
    records = json.loads(out.read_text(encoding="utf-8"))
    assert sorted(r["instruction"] for r in records) == sorted(n["instruction"] for n in NEW[:2])
    assert all(set(r) == {"instruction", "input", "output"} for r in records)  # the checklist stays home


def test_the_batch_path_shows_the_same_examples_and_adds_the_samples(tmp_path: Path, write_jsonl) -> None:
    from workers import batch

    path = tmp_path / "batch.winnow"
    seeds = [SEED, *({"instruction": n["instruction"], "input": "", "output": n["output"]} for n in NEW[:2])]
    with Project.create(path) as project:
        importer.import_file(project, write_jsonl("seeds.jsonl", seeds))
        ids = query.sample_ids(project, query.SampleFilter())
        expected = {s.id: task.add_examples(project, ids, s.id, s.content) for s in query.get_samples(project, ids)}
    written = batch.write_batch_file(path, batch.BatchSpec("self-instruct", ids, "qwen-7b"), tmp_path / "in.jsonl")
    lines = [json.loads(line) for line in written.path.read_text(encoding="utf-8").splitlines()]
    assert len(lines) == 3
    out = []
    for n, line in enumerate(lines):
        shown = json.loads(line["body"]["messages"][-1]["content"])
        assert len(shown) == 3  # the seed and the two other seeds of the job
        (sample_id,) = [i for i, c in expected.items() if c["instruction"] == shown[0]["instruction"]]
        assert shown[1:] == expected[sample_id][task.EXAMPLES_KEY]
        new = {"instruction": f"第{n + 1}条：如何在生活中做到诚实守信？", "input": "", "output": "说到做到，不撒谎。"}
        body = {
            "id": f"c{n}",
            "object": "chat.completion",
            "created": 1,
            "model": "qwen-7b",
            "choices": [
                {
                    "index": 0,
                    "message": {"role": "assistant", "content": dumps({"samples": [new]})},
                    "finish_reason": "stop",
                }
            ],
            "usage": {"prompt_tokens": 100, "completion_tokens": 20, "total_tokens": 120},
        }
        out.append({"id": f"b{n}", "custom_id": line["custom_id"], "response": {"status_code": 200, "body": body}})
    results = tmp_path / "out.jsonl"
    results.write_text("\n".join(dumps(line) for line in out) + "\n", encoding="utf-8")
    report = batch.ingest_results(path, results)
    assert (report.done, report.failed) == (3, 0)
    with Project.open(path) as project:
        made = query.get_samples(project, query.sample_ids(project, query.SampleFilter(subset=("self-instruct",))))
    # The answers to the other two seeds are near-copies of the first one added: screened out.
    assert len(made) == 1 and made[0].content["instruction"].endswith("如何在生活中做到诚实守信？")
