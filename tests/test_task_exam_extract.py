"""COIG exam extraction: raw exam text → the six fields, validated; end to end over HTTP against the
fake OpenAI server: CSV import → job → drafts → accept → COIG exam export."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from app import exporter, importer
from app.records import EXAM_FIELDS
from app.store import Project, actions, query
from app.tasks import ChatCall, get_task, load_prompt
from app.tasks import exam_extract as task
from tests.helpers import openai_spec, run_to_end
from tests.servers import FakeOpenAI

RAW = (
    "阅读下面的文字，完成下题。\n"
    "　　春天来了，小草从地下探出头来，柳树抽出了嫩绿的枝条，燕子从南方飞回来了。\n"
    "下列对文段内容理解正确的一项是（　）\n"
    "A．文段描写的是秋天的景色\nB．文段写了小草、柳树和燕子\nC．燕子从北方飞回来了\nD．柳树的枝条是金黄色的\n"
    "【答案】B\n【解析】文段写了小草探头、柳树抽枝、燕子归来三种景物，故选B。"
)
CONTENT = {field: "" for field in EXAM_FIELDS} | {"textbox_question": RAW}

GOOD = {
    "textbox_q_instruction": "阅读下面的文字，完成下题。",
    "textbox_q_context": "春天来了，小草从地下探出头来，柳树抽出了嫩绿的枝条，燕子从南方飞回来了。",
    "textbox_question": "下列对文段内容理解正确的一项是（　）\nA. 文段描写的是秋天的景色\nB. 文段写了小草、柳树和燕子\n"
    "C. 燕子从北方飞回来了\nD. 柳树的枝条是金黄色的",
    "textbox_answer": "B",
    "textbox_answer_analysis": "文段写了小草探头、柳树抽枝、燕子归来三种景物，故选B。",
    "subject": "语文",
}


def dumps(value) -> str:
    return json.dumps(value, ensure_ascii=False)


def test_the_request_carries_the_prompt_and_the_raw_text() -> None:
    prompt = load_prompt(task.PROMPT_FILE)
    assert "textbox_q_instruction" in prompt and "语文" in prompt
    call = task.build_request(CONTENT, prompt)
    assert isinstance(call, ChatCall) and call.json_mode
    assert call.messages == (("system", prompt), ("user", RAW))


def test_an_item_already_split_is_sent_whole() -> None:
    assert task.raw_text(GOOD).startswith("阅读下面的文字，完成下题。\n\n春天来了")
    assert "故选B" in task.raw_text(GOOD)
    with pytest.raises(ValueError, match="no text to extract"):
        task.raw_text({field: "" for field in EXAM_FIELDS})


def test_a_good_answer_gives_the_six_fields() -> None:
    assert task.parse_answer(CONTENT, dumps(GOOD)) == GOOD
    fenced = "好的，抽取结果如下：\n```json\n" + dumps(GOOD) + "\n```"
    assert task.parse_answer(CONTENT, fenced) == GOOD


def test_subject_aliases_and_an_english_exam() -> None:
    assert task.parse_answer(CONTENT, dumps(GOOD | {"subject": "中文"}))["subject"] == "语文"
    english_raw = (
        "阅读短文，选择正确答案。\nTom gets up at six every day. He goes to school by bike.\n"
        "How does Tom go to school?\nA. By bus  B. By bike  C. On foot\n答案：B"
    )
    content = {field: "" for field in EXAM_FIELDS} | {"textbox_question": english_raw}
    answer = {
        "textbox_q_instruction": "阅读短文，选择正确答案。",
        "textbox_q_context": "Tom gets up at six every day. He goes to school by bike.",
        "textbox_question": "How does Tom go to school?\nA. By bus\nB. By bike\nC. On foot",
        "textbox_answer": "B",
        "textbox_answer_analysis": "",
        "subject": "英语",
    }
    assert task.parse_answer(content, dumps(answer)) == answer


@pytest.mark.parametrize(
    ("answer", "message"),
    [
        ("抱歉，我无法完成这个任务。", "not a JSON dict"),
        ('["B"]', "not a JSON dict"),
        (dumps({k: v for k, v in GOOD.items() if k != "subject"}), "no 'subject'"),
        (dumps({k: v for k, v in GOOD.items() if k not in ("textbox_answer", "textbox_q_context")}), "no 'textbox_q_c"),
        (dumps(GOOD | {"textbox_answer": "  "}), "answer is empty"),
        (dumps(GOOD | {"textbox_question": ""}), "question is empty"),
        (dumps(GOOD | {"subject": "Chinese"}), "subject 'Chinese' is not one of 语文"),
        (dumps(GOOD | {"subject": "音乐"}), "is not one of"),
        (dumps(GOOD | {"textbox_answer": ["B"]}), "not text"),
        (
            dumps(GOOD | {"textbox_question": "Which statement about the passage is correct? A. autumn B. grass"}),
            "question is not taken from the exam text",
        ),
        (
            dumps(GOOD | {"textbox_q_context": "这是一段模型编造的阅读材料，原文中并没有。"}),
            "reading passage is not taken",
        ),
        (dumps(GOOD | {"textbox_q_instruction": "Read the passage and answer the question."}), "is in English"),
        (dumps(GOOD | {"textbox_answer_analysis": "The passage mentions grass, willows and swallows."}), "in English"),
    ],
)
def test_bad_answers_fail_clearly(answer: str, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        task.parse_answer(CONTENT, answer)


def test_a_truncated_answer_is_refused_a_sloppy_one_repaired() -> None:
    text = dumps(GOOD)
    for end in (text.index('"语文"') + 2, text.index('"subject"'), len(text) - 1):
        with pytest.raises(ValueError, match="cut off"):
            task.parse_answer(CONTENT, text[:end])
    sloppy = text[:-1] + ",}"  # a trailing comma
    assert task.parse_answer(CONTENT, sloppy) == GOOD


def test_the_task_is_registered_chat_only() -> None:
    registered = get_task("exam-extract")
    assert registered.kinds == ("exam",) and registered.styles == ("chat",)
    assert registered.prompt_version == task.PROMPT_VERSION
    assert registered.estimate(CONTENT, "chat", registered.prompt()).tokens > task.count_tokens(RAW)


# --- end to end -------------------------------------------------------------------------------------

QUESTION_2 = "下列各项中，属于我国第一部诗歌总集的是（　）\nA．《楚辞》\nB．《诗经》\nC．《乐府诗集》\nD．《全唐诗》"
RAW_2 = QUESTION_2 + "\n答案：B"
GOOD_2 = {
    "textbox_q_instruction": "请选出正确的一项。",
    "textbox_q_context": "",
    "textbox_question": QUESTION_2,
    "textbox_answer": "B",
    "textbox_answer_analysis": "",
    "subject": "语文",
}


def _responder(messages: list[dict]) -> str:
    raw = messages[-1]["content"]
    if raw == RAW:
        return "```json\n" + dumps(GOOD) + "\n```"
    if raw == RAW_2:
        return dumps(GOOD_2)
    return "Sure! The subject is Chinese and the answer is B."  # an English reply, not JSON


def test_raw_exam_questions_import_from_text_or_a_csv_column(tmp_path: Path) -> None:
    text = tmp_path / "raw.txt"
    text.write_text("\n\n" + RAW + "\n\n-----\n" + RAW_2 + "\n=====\n\n", encoding="utf-8")
    table = tmp_path / "raw.csv"
    table.write_text('编号,textbox_question\n1,"' + RAW_2 + '"\n', encoding="utf-8")
    with Project.create(tmp_path / "p.winnow") as project:
        report = importer.import_file(project, text)
        assert (report.format, report.imported) == ("exam-text", 2)
        assert importer.import_file(project, table).imported == 1
        samples = query.get_samples(project, query.sample_ids(project, query.SampleFilter()))
    assert [s.content["textbox_question"] for s in samples] == [RAW, RAW_2, RAW_2]
    assert all(s.kind == "exam" and s.content["textbox_answer"] == "" for s in samples)
    assert samples[2].content["extra"] == {"编号": "1"}


def test_plain_passages_are_not_taken_for_exams(tmp_path: Path) -> None:
    from app.formats import registry

    passages = tmp_path / "passages.txt"
    passages.write_text("春天来了，小草发芽了。\n\n---\n\n夏天到了，荷花开了。\n", encoding="utf-8")
    assert registry.detect(passages).reader.name == "plain-text"


def test_raw_exam_text_is_extracted_reviewed_and_exported(tmp_path: Path) -> None:
    source = tmp_path / "raw_exam.txt"
    source.write_text("\n---\n".join([RAW, RAW_2, "2022年北京冬奥会的吉祥物是什么？答案：冰墩墩"]), encoding="utf-8")
    path = tmp_path / "exam.winnow"
    with Project.create(path) as project:
        report = importer.import_file(project, source)
        assert (report.format, report.imported) == ("exam-text", 3)
        ids = query.sample_ids(project, query.SampleFilter())
        samples = query.get_samples(project, ids)
        assert {s.kind for s in samples} == {"exam"}
        assert samples[0].content["textbox_question"] == RAW

    with FakeOpenAI() as server:
        server.responder = _responder
        spec = openai_spec(server, "exam-extract", ids)
        _job_id, summary = run_to_end(path, spec)
        assert (summary.done, summary.failed) == (2, 1)

    with Project.open(path) as project:
        failure = project.db.execute("SELECT error FROM job_items WHERE state = 'failed'").fetchone()[0]
        assert "unusable answer" in failure and "not a JSON dict" in failure
        drafts = project.db.execute(
            "SELECT id, sample_id FROM suggestions WHERE state = 'pending' ORDER BY id"
        ).fetchall()
        assert sorted(sample for _id, sample in drafts) == ids[:2]
        for draft_id, _sample in drafts:
            actions.accept_suggestion(project, draft_id)
        first = query.get_samples(project, [ids[0]])[0]
        assert first.content == GOOD  # the form is pre-filled: every field from the draft
        out = tmp_path / "exam.jsonl"
        done = exporter.export(
            project, out, format_name="coig-exam", where=query.SampleFilter(ids=tuple(ids[:2])), dataset_info=False
        )
        assert done.written == 2
    records = [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines()]
    assert records[0] == GOOD
    assert records[1]["textbox_question"].startswith("下列各项中") and records[1]["subject"] == "语文"


def test_json_in_answers_repaired_only_when_whole() -> None:
    from app.tasks.chat_json import json_value

    sloppy = '以下是结果：{"a": "括号}和引号\\"", "b": [1, 2,],} 请查收。'
    assert json_value(sloppy) == {"a": '括号}和引号"', "b": [1, 2]}
    assert json_value("{'a': '单引号'}") == {"a": "单引号"}
    assert json_value('```json\n[{"Q": "问"}]\n```', expect=list) == [{"Q": "问"}]
    for cut in ('{"rounds": [{"Q": "a"}, {"Q": "b', '{"a": "x", "subject": "语', '[{"Q": "问"}, {"Q"'):
        with pytest.raises(ValueError, match="cut off"):
            json_value(cut, expect=list if cut.startswith("[") else dict)
    with pytest.raises(ValueError, match="empty"):
        json_value("  ")
