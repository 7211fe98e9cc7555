"""COIG CCMC generation: knowledge entries imported (JSON, CSV), a five-round student/teacher chat
validated, and end to end over HTTP: import → job → drafts → accept → COIG CCMC export that reads back."""

from __future__ import annotations

import json
import tarfile
from pathlib import Path

import pytest

from app import exporter, importer
from app.formats import ccmc_knowledge, registry
from app.formats.base import ReadOptions
from app.formats.textio import sniff_text
from app.records import BadRecord, Kind, Record
from app.store import Project, actions, query
from app.tasks import ChatCall, get_task, load_prompt
from app.tasks import ccmc as task
from tests.helpers import openai_spec, run_to_end
from tests.servers import FakeOpenAI

ENTRY = {
    "entity": "北京猿人",
    "summary": "北京猿人，又称北京直立人，生活在约70万年至20万年前，化石发现于北京周口店龙骨山，会使用天然火。",
    "attributes": {"生活年代": "约70万年至20万年前", "发现地点": "北京周口店龙骨山", "特点": "会使用天然火"},
    "confusable_entity": "山顶洞人",
    "confusable_summary": "山顶洞人生活在约3万年前，化石发现于周口店龙骨山山顶洞，会人工取火，已懂得磨制和钻孔技术。",
    "confusable_attributes": {"生活年代": "约3万年前", "发现地点": "周口店龙骨山山顶洞", "特点": "会人工取火"},
}
CONTENT = {"messages": [], "knowledge": ENTRY}

ROUNDS = [
    {
        "Q": "老师，北京猿人是不是生活在3万年前，住在山顶洞里？",
        "A": "不对。北京猿人生活在约70万年至20万年前；约3万年前住在山顶洞的是山顶洞人。",
    },
    {
        "Q": "那北京猿人已经会人工取火了吧？",
        "A": "北京猿人只会使用天然火，并保存火种；会人工取火的是山顶洞人。",
    },
    {
        "Q": "北京猿人会磨制骨针、钻孔做装饰品，对吗？",
        "A": "磨制和钻孔技术属于山顶洞人。北京猿人主要使用打制石器。",
    },
    {
        "Q": "他们的化石都是在同一个洞里发现的吗？",
        "A": "两者都发现于周口店龙骨山，但北京猿人化石出自龙骨山的洞穴，山顶洞人化石出自山顶洞。",
    },
    {
        "Q": "您能帮我总结一下我刚才搞混的地方吗？",
        "A": "北京猿人生活在约70万年至20万年前，会使用天然火；你把山顶洞人的年代、人工取火和磨制钻孔技术"
        "错安到了北京猿人身上。记住：北京猿人更古老，山顶洞人更接近现代人。",
    },
]


def dumps(value) -> str:
    return json.dumps(value, ensure_ascii=False)


# --- the knowledge reader ----------------------------------------------------------------------------


def _read(path: Path) -> list[Record | BadRecord]:
    return list(ccmc_knowledge.read(path, ReadOptions()))


def test_json_entries_become_chats_with_knowledge(tmp_path: Path) -> None:
    nested = {
        "实体": "勾股定理",
        "摘要": "直角三角形两条直角边的平方和等于斜边的平方。",
        "属性": [["提出者", "商高"], {"attribute": "适用范围", "value": "直角三角形"}],
        "confusable": {"entity": "余弦定理", "summary": "任意三角形中边与角余弦的关系。"},
        "来源": "CN-DBpedia",
    }
    path = tmp_path / "knowledge.jsonl"
    path.write_text(dumps(ENTRY) + "\n" + dumps(nested) + "\n" + dumps({"entity": "只有一个"}) + "\n", encoding="utf-8")
    assert registry.detect(path).reader.name == "ccmc-knowledge"
    first, second, bad = _read(path)
    assert first.kind is Kind.CHAT and first.content == {"messages": [], "knowledge": ENTRY}
    assert second.content["knowledge"] == {
        "entity": "勾股定理",
        "summary": "直角三角形两条直角边的平方和等于斜边的平方。",
        "attributes": {"提出者": "商高", "适用范围": "直角三角形"},
        "confusable_entity": "余弦定理",
        "confusable_summary": "任意三角形中边与角余弦的关系。",
        "confusable_attributes": {},
    }
    assert second.content["extra"] == {"来源": "CN-DBpedia"}
    assert isinstance(bad, BadRecord) and "summary" in bad.reason


def test_csv_entries_with_attribute_pairs(tmp_path: Path) -> None:
    path = tmp_path / "knowledge.csv"
    path.write_text(
        "entity,summary,attributes,confusable_entity,confusable_summary,confusable_attributes\n"
        f'北京猿人,{ENTRY["summary"]},"生活年代：约70万年至20万年前；发现地点: 北京周口店龙骨山",'
        f'山顶洞人,{ENTRY["confusable_summary"]},"{{""生活年代"": ""约3万年前""}}"\n'
        "北京猿人,摘要,没有冒号的属性,山顶洞人,,\n",
        encoding="utf-8-sig",
    )
    sniff = sniff_text(path)
    assert ccmc_knowledge.detect(sniff) == 97
    assert registry.detect(path).reader.name == "ccmc-knowledge"
    good, bad = _read(path)
    knowledge = good.content["knowledge"]
    assert knowledge["attributes"] == {"生活年代": "约70万年至20万年前", "发现地点": "北京周口店龙骨山"}
    assert knowledge["confusable_attributes"] == {"生活年代": "约3万年前"}
    assert isinstance(bad, BadRecord) and 'not "attribute: value"' in bad.reason


def test_an_entity_confused_with_itself_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "same.json"
    path.write_text(dumps([ENTRY | {"confusable_entity": "北京猿人"}]), encoding="utf-8")
    (bad,) = _read(path)
    assert isinstance(bad, BadRecord) and "itself" in bad.reason


# --- request and answer ------------------------------------------------------------------------------


def test_the_request_carries_the_knowledge() -> None:
    prompt = load_prompt(task.PROMPT_FILE)
    assert '"Q"' in prompt and "5" in prompt
    call = task.build_request(CONTENT, prompt)
    assert isinstance(call, ChatCall) and call.json_mode and call.messages[0] == ("system", prompt)
    assert json.loads(call.messages[1][1]) == ENTRY
    with pytest.raises(ValueError, match="no knowledge"):
        task.build_request({"messages": []}, prompt)


def test_five_rounds_become_ten_messages() -> None:
    messages = task.parse_answer(CONTENT, dumps({"rounds": ROUNDS}))["messages"]
    assert len(messages) == 10
    assert messages[0] == {"role": "user", "content": ROUNDS[0]["Q"]}
    assert messages[9] == {"role": "assistant", "content": ROUNDS[4]["A"]}


@pytest.mark.parametrize(
    "answer",
    [
        dumps(ROUNDS),  # a bare array
        "```json\n" + dumps({"rounds": ROUNDS}) + "\n```",
        dumps({f"round_{i}": {"response": dumps(r)} for i, r in enumerate(ROUNDS)}),  # COIG's own shape
        "以下是对话：" + dumps({"rounds": ROUNDS}),
    ],
)
def test_other_shapes_of_the_same_chat(answer: str) -> None:
    assert len(task.parse_answer(CONTENT, answer)["messages"]) == 10


@pytest.mark.parametrize(
    ("answer", "message"),
    [
        ("好的，我来写一段对话。", "not a JSON"),
        (dumps({"dialogue": "学生：……"}), 'no "rounds" list'),
        (dumps({"rounds": ROUNDS[:4]}), "4 rounds, not 5"),
        (dumps({"rounds": ROUNDS + ROUNDS[:1]}), "6 rounds, not 5"),
        (dumps({"rounds": [*ROUNDS[:2], {"Q": "为什么？"}, *ROUNDS[3:]]}), "round 3: A is missing"),
        (dumps({"rounds": [*ROUNDS[:4], {"Q": "", "A": ROUNDS[4]["A"]}]}), "round 5: Q is empty"),
        (dumps({"rounds": [*ROUNDS[:1], "不是对象", *ROUNDS[2:]]}), "round 2"),
        (
            dumps({"rounds": [{"Q": "Did Peking Man live 30,000 years ago?", "A": "No."}, *ROUNDS[1:]]}),
            "round 1: Q is not in Chinese",
        ),
        (
            dumps({"rounds": [*ROUNDS[:4], {"Q": ROUNDS[4]["Q"], "A": "好的，今天就学到这里。"}]}),
            "does not name 北京猿人, 山顶洞人",
        ),
        (dumps({"rounds": ROUNDS})[:-40], "cut off"),  # stopped by max_tokens: never repaired into a chat
        ("{'rounds': [{'Q': '北京猿人会人工取火吗？', 'A': '不会。'},]}", "1 rounds, not 5"),  # repaired quotes
    ],
)
def test_bad_chats_fail_clearly(answer: str, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        task.parse_answer(CONTENT, answer)


def test_the_task_is_registered_chat_only() -> None:
    registered = get_task("ccmc")
    assert registered.kinds == ("chat",) and registered.styles == ("chat",)
    assert registered.estimate(CONTENT, "chat", registered.prompt()).tokens > 1000


# --- end to end -------------------------------------------------------------------------------------

OTHER = {
    "entity": "勾股定理",
    "summary": "在直角三角形中，两条直角边的平方和等于斜边的平方。",
    "attributes": {"适用范围": "直角三角形"},
    "confusable_entity": "余弦定理",
    "confusable_summary": "余弦定理描述任意三角形中三边与一个角的余弦之间的关系。",
    "confusable_attributes": {"适用范围": "任意三角形"},
}


def _responder(messages: list[dict]) -> str:
    knowledge = json.loads(messages[-1]["content"])
    if knowledge["entity"] == "北京猿人":
        return dumps({"rounds": ROUNDS})
    return dumps({"rounds": ROUNDS[:4]})  # four rounds: refused


def test_knowledge_to_reviewed_ccmc_export(tmp_path: Path) -> None:
    source = tmp_path / "knowledge.json"
    source.write_text(dumps([ENTRY, OTHER]), encoding="utf-8")
    path = tmp_path / "ccmc.winnow"
    with Project.create(path) as project:
        report = importer.import_file(project, source)
        assert (report.format, report.imported) == ("ccmc-knowledge", 2)
        ids = query.sample_ids(project, query.SampleFilter())

    with FakeOpenAI() as server:
        server.responder = _responder
        spec = openai_spec(server, "ccmc", ids)
        _job_id, summary = run_to_end(path, spec)
        assert (summary.done, summary.failed) == (1, 1)

    with Project.open(path) as project:
        error = project.db.execute("SELECT error FROM job_items WHERE state = 'failed'").fetchone()[0]
        assert "4 rounds, not 5" in error
        (draft_id,) = project.db.execute("SELECT id FROM suggestions WHERE state = 'pending'").fetchone()
        actions.accept_suggestion(project, draft_id)
        chat = query.get_samples(project, [ids[0]])[0]
        assert chat.content["knowledge"] == ENTRY  # the knowledge stays beside the chat
        assert len(chat.content["messages"]) == 10
        out = tmp_path / "ccmc.tar.gz"
        done = exporter.export(
            project, out, format_name="coig-ccmc", where=query.SampleFilter(ids=(ids[0],)), dataset_info=False
        )
        assert done.written == 1

    with tarfile.open(out) as archive:
        (member,) = archive.getmembers()
        document = json.loads(archive.extractfile(member).read())
    assert [key for key in document if key.startswith("round_")] == [f"round_{i}" for i in range(5)]
    assert [json.loads(document[f"round_{i}"]["response"]) for i in range(5)] == ROUNDS
    assert {key: document[key] for key in ENTRY} == ENTRY

    # Round trip: the exported archive imports as the same chat with the same knowledge.
    with Project.create(tmp_path / "again.winnow") as again:
        assert importer.import_file(again, out).imported == 1
        (back,) = query.get_samples(again, query.sample_ids(again, query.SampleFilter()))
        assert back.content["messages"] == chat.content["messages"]
        assert back.content["knowledge"] == ENTRY


def test_the_command_line_runs_ccmc(tmp_path: Path, monkeypatch, capsys) -> None:
    from workers import cli_run

    source = tmp_path / "knowledge.jsonl"
    source.write_text(dumps(ENTRY) + "\n" + dumps(OTHER) + "\n", encoding="utf-8")
    path = tmp_path / "cli.winnow"
    with Project.create(path) as project:
        importer.import_file(project, source, subset="知识")
    with FakeOpenAI() as server:
        server.responder = _responder
        monkeypatch.setenv("WINNOW_OPENAI_KEY", server.key)
        common = [str(path), "ccmc", "--provider", "openai", "--base-url", server.base_url, "--model", "test-model"]
        assert cli_run.main(["run", *common, "--where", "subset=知识", "--estimate"]) == cli_run.EXIT_OK
        assert "estimate: 2 samples" in capsys.readouterr().out
        # The four-round answer fails its item; the exit status says so.
        assert cli_run.main(["run", *common, "--where", "subset=知识"]) == cli_run.EXIT_ITEMS_FAILED
        assert "1 done, 1 failed" in capsys.readouterr().out
