"""Hunk-by-hunk merging (app.packages.hunks): pure, so checked exhaustively with hypothesis."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from app import i18n
from app.packages.hunks import (
    WHOLE,
    content_hunks,
    field_title,
    hunk_count,
    merge_content,
    merge_text,
    text_pieces,
)

# Chinese, punctuation of both widths, a newline: what the texts are made of.
texts = st.text(alphabet="天气很好今日我们去公园。，！？abc \n", max_size=40)


@given(texts, texts)
def test_picking_every_hunk_from_one_side_gives_that_side(a: str, b: str) -> None:
    pieces = text_pieces(a, b)
    hunks = [p.hunk for p in pieces if not p.same]
    assert hunks == list(range(len(hunks)))
    assert merge_text(pieces, {}) == a
    assert merge_text(pieces, dict.fromkeys(hunks, "b")) == b
    assert "".join(p.a for p in pieces) == a and "".join(p.b for p in pieces) == b


@given(texts, texts, st.data())
def test_any_picks_take_each_hunk_from_the_side_picked(a: str, b: str, data: st.DataObject) -> None:
    pieces = text_pieces(a, b)
    picks = {p.hunk: data.draw(st.sampled_from(["a", "b"])) for p in pieces if not p.same}
    merged = merge_text(pieces, picks)
    assert merged == "".join(p.a if p.same or picks[p.hunk] == "a" else p.b for p in pieces)


def test_nearby_changes_are_one_hunk_and_far_ones_two() -> None:
    pieces = text_pieces("今天天气很好。我们去公园。", "今天天气不错。我们去公园玩吧。")
    assert [(p.a, p.b) for p in pieces if not p.same] == [("很好", "不错"), ("", "玩吧")]
    # 改了变: one unchanged character between two changes is not a hunk of its own
    assert len([p for p in text_pieces("甲乙丙", "子乙丑") if not p.same]) == 1


def test_content_is_compared_field_by_field() -> None:
    a = {"instruction": "把句子翻译成英文。", "input": "今天天气很好。", "output": "Nice weather."}
    b = {"instruction": "把句子翻译成英语。", "input": "今天天气很好。", "output": "Nice weather today."}
    fields = content_hunks(a, b)
    assert [f.name for f in fields] == ["instruction", "output"]
    assert hunk_count(a, b) == 2
    assert merge_content(a, b, {0: "b"}) == {**a, "instruction": "把句子翻译成英语。"}
    assert merge_content(a, b, {1: "b"}) == {**a, "output": "Nice weather today."}


def test_nested_content_and_a_changed_shape() -> None:
    a = {"messages": [{"role": "user", "content": "你好"}, {"role": "assistant", "content": "您好！"}]}
    b = {"messages": [{"role": "user", "content": "你好"}, {"role": "assistant", "content": "你好呀！"}]}
    (field,) = content_hunks(a, b)
    assert field.path == ("messages", 1, "content") and field.name == "messages.1.content"
    assert merge_content(a, b, {field.hunks[0].hunk: "b"}) == b
    longer = {"messages": [*b["messages"], {"role": "user", "content": "再见"}]}
    (whole,) = content_hunks(a, longer)
    assert whole.path == WHOLE
    assert merge_content(a, longer, {0: "b"}) == longer and merge_content(a, longer, {}) == a


@pytest.mark.parametrize(
    ("path", "english", "chinese"),
    [
        (("output",), "Output", "输出"),
        ("instruction", "Instruction", "指令"),
        (("target", "input"), "Target (Chinese) · Input", "译文（中文） · 输入"),
        (("messages", 1, "content"), "Message 2 · Content", "第 2 条消息 · 内容"),
        (("history", 0, 1), "History · Round 1 · Answer given", "历史对话 · 第 1 轮 · 回答"),
        (("textbox_answer_analysis",), "Answer analysis", "答案解析"),
        (("extra", "task_type", "major"), "Other source fields · task_type · major", "其他源字段 · task_type · major"),
        (("knowledge", "content"), "Knowledge · content", "知识 · content"),  # the entry's own key
        (("answer_from",), "answer_from", "answer_from"),  # no field of ours: as it is
        (WHOLE, "Whole content", "全部内容"),
    ],
)
def test_a_field_is_named_as_the_review_panes_name_it(path, english: str, chinese: str) -> None:
    assert field_title(path) == english
    i18n.set_language("zh_CN")
    assert field_title(path) == chinese


def test_a_hunk_field_has_its_title_beside_its_path_name() -> None:
    a = {"source": {"instruction": "Translate.", "input": "", "output": "Hi"}, "target": {"output": "你好"}}
    b = {"source": {"instruction": "Translate.", "input": "", "output": "Hi"}, "target": {"output": "您好"}}
    (field,) = content_hunks(a, b)
    assert (field.name, field.title) == ("target.output", "Target (Chinese) · Output")
