"""End to end: a raw text file goes through the Kun pipeline against a local OpenAI-compatible
server with realistic Chinese answers (some bad), is reviewed through the actions and exported."""

from __future__ import annotations

import json
import threading
from collections import Counter
from pathlib import Path

import pytest

from app import exporter, importer
from app.kun_filters import FLAG_INSTRUCTION, FLAG_OUTPUT, FLAG_SCORE, KunSettings
from app.store import Project, actions, ops, query
from tests.helpers import openai_spec
from tests.servers import FakeOpenAI, Latency
from workers import cli_run
from workers.engine import JobEngine, JobSpec
from workers.pipeline import AUTHOR, run_kun

# One passage per blank-line-separated block, as Kun's raw corpora (Wudao, SkyPile…) look.
PASSAGES = {
    "故宫": "北京故宫是中国明清两代的皇家宫殿，旧称紫禁城，位于北京中轴线的中心。故宫始建于明成祖永乐四年（1406年），"
    "以三大殿为中心，占地面积约72万平方米，有大小宫殿七十多座、房屋九千余间，是世界上现存规模最大、保存最为完整的木质结构古建筑之一。"
    "\n本文来源：旅游网 责任编辑：小王",
    "会议": "市政府昨日召开新闻发布会，通报了今年上半年全市经济运行情况。"
    "发布会上，相关负责人表示，上半年全市地区生产总值同比增长5.2%。",
    "猫粮": "猫粮 猫粮 猫粮 便宜猫粮 包邮 点击购买 猫粮 猫粮 优惠券 领取 点击链接 立即购买",
    "睡眠": "成年人每天需要7到9小时的睡眠。长期睡眠不足会削弱免疫力，增加肥胖、糖尿病和心血管疾病的风险，"
    "还会影响注意力和记忆力。保持规律作息、睡前少用手机、避免摄入咖啡因，都有助于改善睡眠质量。",
    "光合": "光合作用是绿色植物利用光能，把二氧化碳和水合成有机物并释放氧气的过程。它主要在叶绿体中进行，"
    "分为光反应和暗反应两个阶段。",
    "茶叶": "西湖龙井产于浙江杭州西湖一带，是中国十大名茶之一，以色绿、香郁、味甘、形美四绝著称。"
    "清明节前采制的龙井称为明前茶，品质最佳。",
    "黄河": "黄河是中国第二长河，全长约5464公里，发源于青海省巴颜喀拉山脉，流经九个省区，最后注入渤海。"
    "黄河流域是中华文明的重要发祥地，被称为中华民族的母亲河。",
    "长城": "长城是古代中国为抵御北方游牧民族侵袭而修筑的军事防御工程，东起山海关，西至嘉峪关，总长度超过两万公里。"
    "1987年，长城被列入世界文化遗产名录。",
}

INSTRUCTIONS = {
    "故宫": '{"instruction": "介绍一下北京故宫的历史和建筑规模。"}',
    # A model that writes its instruction about "the article": Kun's keyword filter sets it aside.
    "会议": '```json\n{"instruction": "根据这篇新闻，总结上半年的经济运行情况。"}\n```',
    "猫粮": '{"instruction": "哪里可以买到便宜的猫粮？"}',
    "睡眠": '{"instruction": "睡眠不足对健康有哪些影响？怎样改善睡眠质量？"}',
    "光合": '{"instruction": "什么是光合作用？",}',  # a trailing comma: repaired
    # Not JSON at all: the item fails, the sample goes no further.
    "茶叶": "这段文字介绍了西湖龙井茶的产地和特点。",
    "黄河": '{"instruction": "简要介绍黄河的地理概况和历史地位。"}',
    "长城": '{"instruction": "长城是什么？它有多长？"}',
}

SCORES = {
    "故宫": '{"verdict": "好", "score": 5, '
    '"rationale": "指令清晰，原文完整回答了故宫的历史与规模，只需删去来源信息。"}',
    "猫粮": '{"verdict": "差", "score": 1, "rationale": "原文是广告，没有回答问题的实质内容。"}',
    "睡眠": '{"verdict": "好", "score": 4, "rationale": "回答覆盖了睡眠不足的危害和改善方法，信息准确。"}',
    "光合": '{"verdict": "好", "score": 4, "rationale": "定义准确，但内容较简略。"}',
    "黄河": '{"verdict": "好", "score": 5, "rationale": "指令与原文高度匹配，信息准确完整。"}',
    "长城": '{"verdict": "好", "score": 4, "rationale": "回答了长城是什么和长度，基本匹配。"}',
}

POLISHED = {
    "故宫": "北京故宫是明清两代的皇家宫殿，旧称紫禁城，位于北京中轴线的中心。\n\n"
    "- 历史：始建于明成祖永乐四年（1406年）。\n"
    "- 规模：以三大殿为中心，占地约72万平方米，有大小宫殿七十多座、房屋九千余间。\n\n"
    "它是世界上现存规模最大、保存最完整的木质结构古建筑之一。",
    # A model's boilerplate: the output filter sets it aside.
    "睡眠": "作为一个AI语言模型，我认为成年人每天需要7到9小时的睡眠，睡眠不足会削弱免疫力。",
    # Too short to be an answer.
    "光合": "植物的一种过程。",
    "黄河": "黄河是中国第二长河，全长约5464公里。它发源于青海省巴颜喀拉山脉，流经九个省区后注入渤海。"
    "黄河流域是中华文明的重要发祥地，因此黄河被称为中华民族的母亲河。",
    # A model caught in a loop.
    "猫粮": "便宜猫粮，包邮！点击购买便宜猫粮，包邮！点击购买便宜猫粮，包邮！点击购买便宜猫粮，包邮！点击购买",
    # Cut off at max_tokens: refused, never "repaired" into half an answer.
    "长城": '{"output": "长城是古代中国为抵御北方游牧民族侵袭而修筑的军事防御工程，东起山海关',
}


def _which(text: str) -> str:
    found = [key for key, passage in PASSAGES.items() if passage[:30] in text]
    assert len(found) == 1, text[:80]
    return found[0]


def kun_responder(messages: list[dict]) -> str:
    """The model, by request: which step (the system prompt) and which passage (the user message)."""
    system, user = messages[0]["content"], messages[-1]["content"]
    key = _which(user)
    if "指令回译" in system:
        return INSTRUCTIONS[key]
    if "自我筛选" in system:
        return SCORES[key]
    assert "答案润色" in system
    polished = POLISHED[key]
    return polished if polished.startswith("{") else json.dumps({"output": polished}, ensure_ascii=False)


@pytest.fixture
def passages_file(tmp_path: Path) -> Path:
    path = tmp_path / "wudao_sample.txt"
    path.write_text("\n\n".join(PASSAGES.values()) + "\n", encoding="utf-8")
    return path


def _project(tmp_path: Path, passages_file: Path) -> tuple[Path, dict[str, int]]:
    path = tmp_path / "kun.winnow"
    with Project.create(path) as project:
        report = importer.import_file(project, passages_file)
        assert report.format == "plain-text" and report.imported == len(PASSAGES)
        ids = query.sample_ids(project, query.SampleFilter())
        samples = query.get_samples(project, ids)
        assert all(s.content["instruction"] == "" for s in samples)
        by_key = {_which(s.content["output"]): s.id for s in samples}
    return path, by_key


def _spec(server: FakeOpenAI, ids: list[int], concurrency: int = 3) -> JobSpec:
    return openai_spec(server, "kun", ids, "qwen-plus", concurrency=concurrency)


def _flags(project: Project) -> dict[int, dict[str, str]]:
    found: dict[int, dict[str, str]] = {}
    rows = project.db.execute("SELECT sample_id, flag, detail FROM sample_flags WHERE flag LIKE 'kun%'")
    for sample_id, flag, detail in rows:
        found.setdefault(sample_id, {})[flag] = detail
    return found


def _pending(project: Project, sample_id: int, task: str) -> dict:
    (draft,) = [s for s in query.suggestions(project, sample_id) if s["task"] == task and s["state"] == "pending"]
    return draft


def test_raw_text_through_the_kun_pipeline_reviewed_and_exported(tmp_path: Path, passages_file: Path) -> None:
    path, ids = _project(tmp_path, passages_file)
    with FakeOpenAI() as server:
        server.responder = kun_responder
        with JobEngine(path) as engine:
            started: list[int] = []
            report = run_kun(engine, _spec(server, list(ids.values())), KunSettings(), on_job=started.append)
        requests = len(server.requests_to("/v1/chat/completions"))

        assert report.state == "done"
        # Step by step: each runs only on what passed the filter before it.
        assert [(s.task, s.sent, s.state) for s in report.steps] == [
            ("kun-instruct", 8, "done"),
            ("kun-score", 6, "done"),  # 会议 set aside by the keyword filter, 茶叶's answer unusable
            ("kun-polish", 5, "done"),  # 猫粮 scored 1
        ]
        assert [s.job_id for s in report.steps] == started
        assert requests == 8 + 6 + 5
        assert sorted(report.passed) == sorted([ids["故宫"], ids["黄河"]])

        with Project.open(path) as project:
            flags = _flags(project)
            assert flags == {
                ids["会议"]: {FLAG_INSTRUCTION: "keyword 新闻"},
                ids["猫粮"]: {FLAG_SCORE: "score 1 < 4"},
                ids["睡眠"]: {FLAG_OUTPUT: "boilerplate 作为一个AI"},
                ids["光合"]: {FLAG_OUTPUT: "too short (8 < 20 characters)"},
            }
            failures = dict(
                project.db.execute(
                    "SELECT j.task || ':' || ji.sample_id, ji.error FROM job_items ji JOIN jobs j ON j.id = ji.job_id"
                    " WHERE ji.state = 'failed'"
                ).fetchall()
            )
            assert set(failures) == {f"kun-instruct:{ids['茶叶']}", f"kun-polish:{ids['长城']}"}
            assert "not a JSON object" in failures[f"kun-instruct:{ids['茶叶']}"]
            assert "cut off" in failures[f"kun-polish:{ids['长城']}"]

            # The instructions were taken by the pipeline (the next steps read them), as one undoable step…
            gugong = query.get_sample(project, ids["故宫"])
            assert gugong.content == {
                "instruction": "介绍一下北京故宫的历史和建筑规模。",
                "input": "",
                "output": PASSAGES["故宫"],  # the raw passage stays until the polish is taken
            }
            assert gugong.rating is None and gugong.status == "new"
            (revision,) = [r for r in query.revisions(project, ids["故宫"]) if r["author"] == AUTHOR]
            assert revision["reason"] == "draft by llm:qwen-plus:qwen-plus"
            assert query.get_sample(project, ids["光合"]).content["instruction"] == "什么是光合作用？"
            # …the score and the polished answer wait for the reviewer, beside each other.
            score = _pending(project, ids["故宫"], "kun-score")
            assert score["content"] == {
                "judgement": {
                    "score": 5,
                    "rationale": "指令清晰，原文完整回答了故宫的历史与规模，只需删去来源信息。",
                    "verdict": "好",
                }
            }
            polish = _pending(project, ids["故宫"], "kun-polish")
            assert polish["content"] == {"output": POLISHED["故宫"]}

            # Review: take the polished answer and the score (the score becomes the rating), accept.
            for key in ("故宫", "黄河"):
                sample_id = ids[key]
                actions.accept_suggestion(project, _pending(project, sample_id, "kun-polish")["id"], author="审核员")
                actions.accept_suggestion(project, _pending(project, sample_id, "kun-score")["id"], author="审核员")
                actions.add_review(project, sample_id, verdict="accept", reviewer="审核员")
            gugong = query.get_sample(project, ids["故宫"])
            assert gugong.rating == 5 and gugong.status == "accepted"
            assert gugong.content["output"] == POLISHED["故宫"]
            assert "judgement" not in gugong.content

            out = tmp_path / "kun_out.jsonl"
            where = query.parse_where(["status=accepted"])
            written = exporter.export(project, out, format_name="kun", where=where)
            assert written.written == 2
            alpaca = tmp_path / "kun_alpaca.jsonl"
            exporter.export(project, alpaca, format_name="alpaca-jsonl", where=query.parse_where(["rating>=4"]))

        lines = out.read_text(encoding="utf-8").splitlines()
        assert [json.loads(line) for line in lines] == [
            {"instruction": "介绍一下北京故宫的历史和建筑规模。", "output": POLISHED["故宫"]},
            {"instruction": "简要介绍黄河的地理概况和历史地位。", "output": POLISHED["黄河"]},
        ]
        assert "\\u" not in lines[0]  # Chinese written as Chinese
        assert [json.loads(line) for line in alpaca.read_text(encoding="utf-8").splitlines()] == [
            {"instruction": "介绍一下北京故宫的历史和建筑规模。", "input": "", "output": POLISHED["故宫"]},
            {"instruction": "简要介绍黄河的地理概况和历史地位。", "input": "", "output": POLISHED["黄河"]},
        ]


def test_running_again_pays_nothing_and_changed_thresholds_apply(tmp_path: Path, passages_file: Path) -> None:
    path, ids = _project(tmp_path, passages_file)
    with FakeOpenAI() as server:
        server.responder = kun_responder
        with JobEngine(path) as engine:
            run_kun(engine, _spec(server, list(ids.values())))
            before = len(server.requests_to("/v1/chat/completions"))
            again = run_kun(engine, _spec(server, list(ids.values())))
            assert [s.sent for s in again.steps] == [0, 0, 0]
            assert len(server.requests_to("/v1/chat/completions")) == before
            # New thresholds: a lower bar lets 猫粮 through to polishing (its looping answer is then set
            # aside), and a longer minimum sets 黄河's answer aside. Only 猫粮's polish is new.
            lower = run_kun(engine, _spec(server, list(ids.values())), KunSettings(min_score=1, min_output_chars=100))
            assert [s.sent for s in lower.steps] == [0, 0, 1]
            assert len(server.requests_to("/v1/chat/completions")) == before + 1
            assert lower.passed == [ids["故宫"]]
            with Project.open(path) as project:
                flags = _flags(project)
            assert flags[ids["猫粮"]] == {FLAG_OUTPUT: "too short (48 < 100 characters)"}  # the score flag cleared
            assert flags[ids["黄河"]] == {FLAG_OUTPUT: "too short (78 < 100 characters)"}
            # The failed items are sent again only when asked; the default thresholds apply again.
            retried = run_kun(engine, _spec(server, list(ids.values())), retry_failed=True)
            assert [s.sent for s in retried.steps] == [1, 0, 1]
            assert sorted(retried.passed) == sorted([ids["故宫"], ids["黄河"]])
        with Project.open(path) as project:
            flags = _flags(project)
        assert ids["黄河"] not in flags
        assert flags[ids["猫粮"]][FLAG_SCORE] == "score 1 < 4"


def test_the_pipelines_acceptance_is_one_undoable_step(tmp_path: Path, passages_file: Path) -> None:
    path, ids = _project(tmp_path, passages_file)
    with FakeOpenAI() as server:
        server.responder = kun_responder
        with JobEngine(path) as engine:
            run_kun(engine, _spec(server, list(ids.values())))
    with Project.open(path) as project:
        (op_id, summary) = project.db.execute(
            "SELECT id, summary FROM operations WHERE name = 'accept_suggestions'"
        ).fetchone()
        assert summary == f"{AUTHOR}: take 7 back-translated instructions"
        while (
            ops.can_undo(project)
            and project.db.execute("SELECT state FROM operations WHERE id = ?", (op_id,)).fetchone()[0] == "done"
        ):
            ops.undo(project)
        samples = query.get_samples(project, list(ids.values()))
        assert all(s.content["instruction"] == "" for s in samples)
        assert not any(flag.startswith("kun") for s in samples for flag in s.flags)
        drafts = project.db.execute(
            "SELECT state, count(*) FROM suggestions WHERE task = 'kun-instruct' GROUP BY state"
        )
        assert dict(drafts.fetchall()) == {"pending": 7}


def test_ordinary_instruction_samples_are_not_treated_as_passages(tmp_path: Path, passages_file: Path) -> None:
    path, _ids = _project(tmp_path, passages_file)
    with Project.open(path) as project:
        actions.create_sample(project, "instruction", {"instruction": "1+1等于几？", "input": "", "output": "等于2。"})
        other = max(query.sample_ids(project, query.SampleFilter()))
    with FakeOpenAI() as server:
        server.responder = kun_responder
        with JobEngine(path) as engine:
            report = run_kun(engine, _spec(server, [other]))
        assert [s.sent for s in report.steps] == [0, 0, 0]
        assert server.requests_to("/v1/chat/completions") == []


def test_auto_accept_takes_scores_as_ratings_and_only_the_answers_that_pass(
    tmp_path: Path, passages_file: Path
) -> None:
    path, ids = _project(tmp_path, passages_file)
    with FakeOpenAI() as server:
        server.responder = kun_responder
        with JobEngine(path) as engine:
            report = run_kun(engine, _spec(server, list(ids.values())), KunSettings(auto_accept=True))
    assert sorted(report.passed) == sorted([ids["故宫"], ids["黄河"]])
    with Project.open(path) as project:
        samples = {key: query.get_sample(project, sample_id) for key, sample_id in ids.items()}
        ratings = {key: sample.rating for key, sample in samples.items()}
        assert ratings == {"故宫": 5, "会议": None, "猫粮": 1, "睡眠": 4, "光合": 4, "茶叶": None, "黄河": 5, "长城": 4}
        assert samples["故宫"].content["output"] == POLISHED["故宫"]
        assert samples["睡眠"].content["output"] == PASSAGES["睡眠"]  # its polish was flagged: still a draft
        assert _pending(project, ids["睡眠"], "kun-polish")["content"]["output"].startswith("作为一个AI")
        assert all(sample.status == "new" for sample in samples.values())  # the verdict stays the person's


def test_closing_the_engine_pauses_the_pipeline_and_running_it_again_finishes(
    tmp_path: Path, passages_file: Path
) -> None:
    path, ids = _project(tmp_path, passages_file)
    with FakeOpenAI() as server:
        server.responder = kun_responder
        server.inject(Latency(0.2), path="/v1/chat/completions", times=None)
        engine = JobEngine(path)
        reports: list = []
        thread = threading.Thread(
            target=lambda: reports.append(run_kun(engine, _spec(server, list(ids.values()), concurrency=1)))
        )
        thread.start()
        try:
            assert server.wait_for_requests(2, timeout=10)
        finally:
            engine.close()  # as the window does when it closes
            thread.join(30)
        assert not thread.is_alive()
        (report,) = reports
        assert report.state == "paused" and report.steps[0].state == "paused"
        assert len(report.steps) == 1
        server.faults.clear()
        with JobEngine(path) as engine:
            again = run_kun(engine, _spec(server, list(ids.values())))
        assert again.state == "done" and sorted(again.passed) == sorted([ids["故宫"], ids["黄河"]])
        assert again.steps[0].sent < len(PASSAGES)  # what was answered before the close is not asked again
        asked = Counter(
            (r.body["messages"][0]["content"][:20], r.body["messages"][-1]["content"])
            for r in server.requests_to("/v1/chat/completions")
        )
        assert set(asked.values()) == {1}


def test_the_command_line_options(tmp_path: Path, passages_file: Path, monkeypatch, capsys) -> None:
    path, _ids = _project(tmp_path, passages_file)
    with FakeOpenAI() as server:
        server.responder = kun_responder
        monkeypatch.setenv("WINNOW_OPENAI_KEY", server.key)
        base = ["run", str(path), "kun", "--provider", "openai", "--base-url", server.base_url, "--model", "qwen-plus"]
        assert cli_run.main([*base, "--min-score", "0"]) == cli_run.EXIT_FAILED
        assert "minimum score must be 1–5" in capsys.readouterr().err
        assert cli_run.main([*base[:4], "deepl"]) == cli_run.EXIT_FAILED
        assert "needs a chat model" in capsys.readouterr().err
        assert cli_run.main([*base, "--estimate"]) == cli_run.EXIT_OK
        assert "estimate: 8 samples" in capsys.readouterr().out
        assert server.requests_to("/v1/chat/completions") == []
        code = cli_run.main([*base, "--output-keywords", "作为, 世界", "--min-score", "5", "--auto-accept"])
        out = capsys.readouterr().out
        assert code == cli_run.EXIT_ITEMS_FAILED, out
        # 故宫's polished answer says 世界上现存规模最大: set aside by the typed word list; 黄河 passes.
        assert "1 samples passed every step and filter" in out
        assert "kun-polish: 2 sent" in out
