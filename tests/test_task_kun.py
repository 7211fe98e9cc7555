"""Kun's request builders, answer parsers and filters: pure functions, good and bad answers."""

from __future__ import annotations

import json

import pytest

from app import kun_filters
from app.kun_filters import KunSettings, instruction_problem, keywords_from, output_problem, repetition
from app.tasks import ChatCall, get_task, load_prompt
from app.tasks.kun import (
    INSTRUCT_PROMPT,
    POLISH_PROMPT,
    SCORE_PROMPT,
    build_instruct,
    build_polish,
    build_score,
    estimate_polish,
    parse_instruct,
    parse_polish,
    parse_score,
)

PASSAGE = (
    "西湖龙井产于浙江杭州西湖一带，是中国十大名茶之一，以色绿、香郁、味甘、形美四绝著称。"
    "清明节前采制的龙井称为明前茶，品质最佳。"
)
RAW = {"instruction": "", "input": "", "output": PASSAGE}
PAIR = {"instruction": "介绍一下西湖龙井茶。", "input": "", "output": PASSAGE}


def test_the_tasks_are_registered_chat_only_with_readable_prompts() -> None:
    for name, prompt in (("kun-instruct", INSTRUCT_PROMPT), ("kun-score", SCORE_PROMPT), ("kun-polish", POLISH_PROMPT)):
        task = get_task(name)
        assert task.styles == ("chat",) and task.kinds == ("instruction",)
        assert task.prompt_file == prompt and task.prompt_version.startswith(name + "/")
        assert "JSON" in load_prompt(prompt)
    assert "好" in load_prompt(SCORE_PROMPT) and "差" in load_prompt(SCORE_PROMPT)


def test_back_translation_sends_the_passage_and_asks_for_json() -> None:
    call = build_instruct(RAW, "PROMPT")
    assert isinstance(call, ChatCall) and call.json_mode
    assert call.messages == (("system", "PROMPT"), ("user", PASSAGE))
    with pytest.raises(ValueError, match="no passage"):
        build_instruct({"instruction": "", "input": "", "output": "  "}, "PROMPT")


@pytest.mark.parametrize(
    ("answer", "expected"),
    [
        ('{"instruction": "介绍一下西湖龙井茶的产地和特点。"}', "介绍一下西湖龙井茶的产地和特点。"),
        ('```json\n{"instruction": "什么是明前茶？"}\n```', "什么是明前茶？"),
        ('好的，指令如下：{"instruction": "  指令：龙井茶有什么特点？ "}', "龙井茶有什么特点？"),
        ("{'instruction': '龙井茶有什么特点？',}", "龙井茶有什么特点？"),  # repaired
    ],
)
def test_back_translation_answers_that_are_used(answer: str, expected: str) -> None:
    assert parse_instruct(RAW, answer) == {"instruction": expected}


@pytest.mark.parametrize(
    ("answer", "reason"),
    [
        ("这段文字介绍了西湖龙井茶。", "not a JSON object"),
        ('{"question": "龙井茶是什么？"}', "no 'instruction'"),
        ('{"instruction": ""}', "empty"),
        ('{"instruction": 42}', "not text"),
        ('["龙井茶是什么？"]', "not an object"),
        ('{"instruction": "Introduce West Lake Longjing tea."}', "not in Chinese"),
        ('{"instruction": "介绍一下西湖龙井', "cut off"),
        (json.dumps({"instruction": PASSAGE}, ensure_ascii=False), "copied"),
        (json.dumps({"instruction": "请问" * 250}, ensure_ascii=False), "retold"),
        ("", "empty"),
    ],
)
def test_back_translation_answers_that_are_refused(answer: str, reason: str) -> None:
    with pytest.raises(ValueError, match=reason):
        parse_instruct(RAW, answer)


def test_scoring_sends_instruction_and_passage() -> None:
    call = build_score(PAIR, "PROMPT")
    assert json.loads(call.messages[1][1]) == {"instruction": "介绍一下西湖龙井茶。", "output": PASSAGE}
    assert call.temperature == 0.0
    with pytest.raises(ValueError, match="run kun-instruct first"):
        build_score(RAW, "PROMPT")


@pytest.mark.parametrize(
    ("answer", "expected"),
    [
        ('{"verdict": "好", "score": 5, "rationale": "切题。"}', {"score": 5, "rationale": "切题。", "verdict": "好"}),
        (
            '{"verdict": "差", "score": "2分", "rationale": "离题。"}',
            {"score": 2, "rationale": "离题。", "verdict": "差"},
        ),
        ('{"score": 4.0, "reason": "基本匹配。"}', {"score": 4, "rationale": "基本匹配。", "verdict": "好"}),
        ('{"verdict": "good", "score": "4/5", "rationale": "ok"}', {"score": 4, "rationale": "ok", "verdict": "好"}),
        ('{"verdict": "差", "score": 3, "rationale": "一般",}', {"score": 3, "rationale": "一般", "verdict": "差"}),
    ],
)
def test_scores_that_are_used(answer: str, expected: dict) -> None:
    assert parse_score(PAIR, answer) == {"judgement": expected}


@pytest.mark.parametrize(
    ("answer", "reason"),
    [
        ('{"verdict": "好", "score": 7, "rationale": "很好"}', "1 to 5"),
        ('{"verdict": "好", "score": 4.5, "rationale": "很好"}', "whole number"),
        ('{"verdict": "好", "rationale": "很好"}', "no score"),
        ('{"verdict": "好", "score": true, "rationale": "很好"}', "not a number"),
        ('{"verdict": "好", "score": "excellent", "rationale": "很好"}', "not a number"),
        ('{"verdict": "好", "score": 5}', "no 'reason'"),
        ('{"verdict": "好", "score": 1, "rationale": "矛盾"}', "contradicts"),
        ('{"verdict": "差", "score": 5, "rationale": "矛盾"}', "contradicts"),
        ('{"verdict": "一般", "score": 3, "rationale": "一般"}', "好 or 差"),
        ("我给这个样本打4分。", "not a JSON object"),
    ],
)
def test_scores_that_are_refused(answer: str, reason: str) -> None:
    with pytest.raises(ValueError, match=reason):
        parse_score(PAIR, answer)


def test_polishing_sends_instruction_and_raw_text() -> None:
    call = build_polish(PAIR, "PROMPT")
    assert json.loads(call.messages[1][1]) == {"instruction": "介绍一下西湖龙井茶。", "text": PASSAGE}
    assert estimate_polish(PAIR, "PROMPT").tokens > 0


def test_polished_answers() -> None:
    polished = "西湖龙井产于杭州西湖一带，是中国十大名茶之一，以色绿、香郁、味甘、形美著称。"
    assert parse_polish(PAIR, json.dumps({"output": polished}, ensure_ascii=False)) == {"output": polished}
    for answer, reason in (
        ('{"output": "West Lake Longjing is one of the ten famous teas of China."}', "not in Chinese"),
        ('{"output": "西湖龙井产于杭州', "cut off"),
        ('{"answer": "西湖龙井"}', "no 'output'"),
        ('{"output": "西湖龙井",}', "not valid JSON"),  # no repair for a text answer
    ):
        with pytest.raises(ValueError, match=reason):
            parse_polish(PAIR, answer)


# --------------------------------------------------------------------------------------------------
# Filters
# --------------------------------------------------------------------------------------------------


def test_the_instruction_keyword_filter_uses_kuns_list() -> None:
    assert instruction_problem("介绍一下西湖龙井茶。") is None
    assert instruction_problem("根据这篇新闻总结要点。") == "keyword 新闻"
    assert instruction_problem("请描述这张图片。") == "keyword 图片"
    assert instruction_problem("请描述这张图片。", ("照片",)) is None
    assert instruction_problem("  ") == "no instruction"


def test_the_output_filter() -> None:
    good = "西湖龙井产于杭州西湖一带，是中国十大名茶之一，以色绿、香郁、味甘、形美著称。"
    assert output_problem(good) is None
    assert output_problem("是的。") == "too short (3 < 20 characters)"
    assert (
        output_problem("作为一个AI语言模型，我无法品尝茶叶，但西湖龙井是中国十大名茶之一。") == "boilerplate 作为一个AI"
    )
    assert output_problem("很抱歉，我无法回答这个问题，因为我没有相关的信息可以提供给您。") == "boilerplate 抱歉"
    assert (
        output_problem("根据您提供的信息，西湖龙井产于杭州西湖一带，是中国十大名茶之一。") == "boilerplate 根据您提供的"
    )
    # Good prose that happens to say 作为 passes the default phrases, not Kun's strict word list.
    prose = "杭州作为浙江省会，以西湖龙井闻名，龙井茶是中国十大名茶之一。"
    assert output_problem(prose) is None
    assert output_problem(prose, keywords=kun_filters.KUN_OUTPUT_KEYWORDS) == "boilerplate 作为"
    loop = "好的好的好的好的好的好的好的好的好的好的好的好的好的好的"
    assert output_problem(loop) is not None and output_problem(loop).startswith("repetitive")
    assert output_problem(good, min_chars=100).startswith("too short")


def test_repetition_is_low_for_prose_and_high_for_loops() -> None:
    assert repetition("西湖龙井产于杭州西湖一带，是中国十大名茶之一，以色绿、香郁、味甘、形美四绝著称。") < 0.1
    assert repetition("便宜猫粮包邮点击购买" * 5) > 0.7
    assert repetition("短") == 0.0


def test_keywords_and_settings_from_what_a_person_types() -> None:
    assert keywords_from("图片, 链接，网址、图片 视频") == ("图片", "链接", "网址", "视频")
    assert KunSettings().min_score == 4
    for bad in ({"min_score": 0}, {"min_score": 6}, {"min_output_chars": -1}, {"max_repetition": 0}):
        with pytest.raises(ValueError):
            KunSettings(**bad)
