"""Each Chinese QA check on Chinese examples: what it must find, where, and what it must leave alone."""

from __future__ import annotations

import time

import orjson
import pytest

from app.quality import checks, script
from app.quality.checks import check_sample


def names(kind: str, content: dict) -> set[str]:
    return {f.check for f in check_sample(kind, content)}


def only(kind: str, content: dict, check: str) -> list[checks.Finding]:
    return [f for f in check_sample(kind, content) if f.check == check]


def alpaca(output: str, instruction: str = "请回答下面的问题。", input: str = "") -> dict:
    return {"instruction": instruction, "input": input, "output": output}


def pair(source: dict, target: dict) -> dict:
    blank = {"instruction": "", "input": "", "output": ""}
    return {"source": {**blank, **source}, "target": {**blank, **target}}


# Full-width vs half-width punctuation


def test_half_width_comma_in_chinese_is_found_with_field_offset_and_snippet() -> None:
    [finding] = only("instruction", alpaca("今天天气很好,我们去公园吧。"), "punctuation_width")
    assert finding.field == "output"
    assert finding.offset == 6
    assert "','" in finding.message and "'，'" in finding.message
    assert "天气很好,我们" in finding.message
    assert finding.describe().startswith("output, character 7: ")


@pytest.mark.parametrize(
    "text",
    [
        "圆周率约等于3.14，版本号是v1.2。",  # decimals and versions
        "请访问https://example.com/a,b?c=1了解详情。",  # URLs
        "使用`print(a, b)`输出两个值。",  # inline code
        "公式 $f(x)=x^2, x>0$ 成立。",  # LaTeX
        "会议在12:30开始，地点待定。",  # times
        "他说：“Hello, world!”然后走了。",  # English inside quotes
        "结果如下：\n```python\nprint(1, 2)\n```\n完毕。",  # code blocks
    ],
)
def test_half_width_marks_that_belong_there_are_left_alone(text: str) -> None:
    assert "punctuation_width" not in names("instruction", alpaca(text))


def test_half_width_full_stop_question_mark_and_parentheses() -> None:
    found = only("instruction", alpaca("为什么天空是蓝色的?因为散射(瑞利散射)。"), "punctuation_width")
    assert [f.message.split("'")[1] for f in found] == ["?", "(", ")"]
    found = only("instruction", alpaca("第一句结束.\n第二句"), "punctuation_width")
    assert found and found[0].offset == 5


def test_full_width_punctuation_inside_code_breaks_it() -> None:
    text = "示例：\n```python\nprint(a，b)\nx = '你好，世界'  # 注释，没问题\n```"
    [finding] = only("code", alpaca(text), "punctuation_width")
    assert "'，'" in finding.message and "code" in finding.message
    assert text[finding.offset] == "，"
    assert finding.offset == text.index("a，b") + 1


# Ending punctuation vs the source


def test_ending_punctuation_must_match_the_source() -> None:
    content = pair({"instruction": "What is the capital of France?"}, {"instruction": "法国的首都是哪里。"})
    [finding] = only("translation", content, "ending_punctuation")
    assert finding.field == "target.instruction"
    assert "'。'" in finding.message and "'？'" in finding.message


@pytest.mark.parametrize(
    ("source", "target"),
    [
        ("What is the capital of France?", "法国的首都是哪里？"),
        ("What is the capital of France?", "法国的首都是哪里?"),  # half-width: another check's business
        ("He said “yes.”", "他说：“是的。”"),  # closing quotes are looked through
        ("List three fruits:", "列出三种水果："),
        ("Title Case Heading", "标题"),
    ],
)
def test_matching_endings_pass(source: str, target: str) -> None:
    content = pair({"instruction": source}, {"instruction": target})
    assert "ending_punctuation" not in names("translation", content)


def test_ending_check_needs_a_source() -> None:
    assert "ending_punctuation" not in names("instruction", alpaca("没有句号", instruction="写一个标题"))


# Untranslated English


def test_target_that_is_still_the_source_is_untranslated() -> None:
    content = pair(
        {"instruction": "Give three tips for staying healthy.", "output": "Eat well and sleep."},
        {"instruction": "给出三个保持健康的建议。", "output": "Eat well and sleep."},
    )
    [finding] = only("translation", content, "untranslated_english")
    assert finding.field == "target.output" and "untranslated" in finding.message


def test_an_english_sentence_left_inside_a_chinese_translation() -> None:
    content = pair(
        {"output": "First, drink water. Then take a short walk every day."},
        {"output": "首先，多喝水。Then take a short walk every day."},
    )
    [finding] = only("translation", content, "untranslated_english")
    assert finding.offset == content["target"]["output"].index("Then")
    assert "English words" in finding.message


def test_english_terms_in_chinese_text_are_fine() -> None:
    text = "使用 Python 的 pandas 库读取 CSV 文件，再用 Jupyter Notebook 查看。"
    assert "untranslated_english" not in names("instruction", alpaca(text))
    content = pair({"output": "Use the API."}, {"output": "调用 REST API 接口。"})
    assert "untranslated_english" not in names("translation", content)


def test_a_task_about_english_may_answer_in_english() -> None:
    content = alpaca(
        "The weather is nice today and we are going to the park together.",
        instruction="把下面的句子翻译成英文。",
        input="今天天气很好，我们一起去公园。",
    )
    assert "untranslated_english" not in names("instruction", content)
    french = pair(
        {"instruction": "Translate the sentence into French.", "output": "Il fait beau aujourd'hui."},
        {"instruction": "把句子翻译成法语。", "output": "Il fait beau aujourd'hui."},
    )
    assert "untranslated_english" not in names("translation", french)


def test_a_long_english_passage_in_a_chinese_answer_is_flagged() -> None:
    text = "这个问题的答案如下。The answer depends on many factors such as the weather and the time of day."
    assert "untranslated_english" in names("instruction", alpaca(text))


# Mixed Simplified and Traditional (OpenCC)


def test_mixed_scripts_are_found() -> None:
    [finding] = only("instruction", alpaca("這個问题很简单，我們可以解决。"), "mixed_script")
    assert finding.field == "output"
    assert finding.offset == 0  # 這
    assert "'這'" in finding.message and "Simplified" in finding.message


@pytest.mark.parametrize(
    "text",
    [
        "这是简体中文，我们说话。后来他干了一件事，里面有台灯。",  # 后 干 里 台: shared characters
        "皇后在台灣的後宮裡說話，這裡很安靜。",  # all Traditional, with 后 and 台
        "他的著名著作很有名。",  # 著 is standard in Simplified
        "纯英文 text 和数字 123。",
        "",
    ],
)
def test_one_script_is_not_mixed(text: str) -> None:
    assert "mixed_script" not in names("instruction", alpaca(text or "空"))


def test_to_simplified_converts_phrases() -> None:
    assert script.to_simplified("這裡的軟體很好用，我們說話。") == "这里的软件很好用，我们说话。" or (
        script.to_simplified("這裡的軟體很好用，我們說話。") == "这里的软体很好用，我们说话。"
    )
    assert script.to_simplified("软件") == "软件"
    assert script.to_simplified("軟體", "tw2sp") == "软件"


# Code fences


def test_unclosed_code_fence() -> None:
    text = "代码如下：\n```python\nprint('hi')\n"
    [finding] = only("code", alpaca(text), "code_fence")
    assert finding.offset == text.index("```")
    assert "never closed" in finding.message


def test_code_changed_from_the_source_but_comments_may_be_translated() -> None:
    source = "Example:\n```python\n# add one\nx = x + 1\nprint('done')\n```"
    same_code = "示例：\n```python\n# 加一\nx = x + 1\nprint('完成')\n```"
    changed = "示例：\n```python\n# 加一\nx = x + 2\nprint('完成')\n```"
    assert "code_fence" not in names("translation", pair({"output": source}, {"output": same_code}))
    [finding] = only("translation", pair({"output": source}, {"output": changed}), "code_fence")
    assert "differs from the source" in finding.message
    dropped = "示例：x = x + 1"
    [finding] = only("translation", pair({"output": source}, {"output": dropped}), "code_fence")
    assert "0 code blocks, the source has 1" in finding.message
    relabelled = same_code.replace("```python", "```js")
    [finding] = only("translation", pair({"output": source}, {"output": relabelled}), "code_fence")
    assert "'js'" in finding.message


def test_full_width_backticks_are_a_broken_fence() -> None:
    text = "代码：\n｀｀｀python\nprint(1)\n｀｀｀"
    assert "code_fence" in names("code", alpaca(text))


def test_closed_fences_pass() -> None:
    text = "一：\n```\na = 1\n```\n二：\n~~~sql\nSELECT 1;\n~~~\n"
    assert "code_fence" not in names("code", alpaca(text))


# Brackets and quotes


@pytest.mark.parametrize(
    ("text", "where", "what"),
    [
        ("他说：“我们走吧。", 3, "never closed"),
        ("书名是《红楼梦。", 3, "never closed"),
        ("见「附录」」。", 5, "no opening"),
        ("（注意【重点）】", 3, "not closed before"),
        ("函数f(x的值", 3, "never closed"),
    ],
)
def test_unbalanced_brackets_and_quotes(text: str, where: int, what: str) -> None:
    [finding] = only("instruction", alpaca(text), "unbalanced_brackets")
    assert finding.offset == where
    assert what in finding.message


@pytest.mark.parametrize(
    "text",
    [
        "他说：“《红楼梦》（曹雪芹著）是「四大名著」之一。”",
        "步骤：1) 打开 2) 关闭 3) 保存",  # enumerations
        "一）准备材料；二）开始制作。",
        "真开心 :) 明天见 :(",  # smileys
        "Don’t worry, it’s fine. 别担心。",  # apostrophes
        "代码 `if (a) {` 是开头。",  # inline code
        "公式 $(a+b]$ 是半开区间。",  # math
        "代码：int n = (int) (Math.random() * 10) + 1;",  # "10)" closes, it is no enumeration
        "输出：(209856, 21)",
    ],
)
def test_balanced_or_not_brackets_at_all(text: str) -> None:
    assert "unbalanced_brackets" not in names("instruction", alpaca(text))


# Repeated phrases


@pytest.mark.parametrize(
    "text",
    [
        "好的，我明白了。我们可以，我们可以，我们可以，我们可以开始。",
        "他说我们可以我们可以我们可以我们可以我们可以去。",  # 20+ characters of loop
        "这是一个很长的句子内容。中间有别的话。这是一个很长的句子内容。再来。这是一个很长的句子内容。",
    ],
)
def test_repeats_are_found(text: str) -> None:
    [finding] = only("instruction", alpaca(text), "repeated_phrase")
    assert finding.offset >= 0
    assert "我们可以" in finding.message or "这是一个很长" in finding.message


@pytest.mark.parametrize(
    "text",
    [
        "哈哈哈哈哈哈，太好笑了。",  # single-character laughter
        "| 列 | 列 |\n|---|---|\n|---|---|\n|---|---|",  # table rules
        "春眠不觉晓，处处闻啼鸟。夜来风雨声，花落知多少。",
        "好的。好的。",  # twice is speech, not a loop
    ],
)
def test_ordinary_repetition_passes(text: str) -> None:
    assert "repeated_phrase" not in names("instruction", alpaca(text))


# Empty and truncated fields


def test_empty_required_fields() -> None:
    found = only("instruction", {"instruction": "  ", "input": "", "output": ""}, "empty_field")
    assert {f.field for f in found} == {"instruction", "output"}
    assert any("only spaces" in f.message for f in found)
    exam = {field: "" for field in ("textbox_question", "textbox_answer")}
    assert {f.field for f in only("exam", exam, "empty_field")} == {"textbox_question", "textbox_answer"}
    chat = {"messages": [{"role": "user", "content": "你好"}, {"role": "assistant", "content": ""}]}
    [finding] = only("chat", chat, "empty_field")
    assert finding.field == "messages[1].content"


def test_untranslated_pairs_are_not_empty_but_half_translated_ones_are() -> None:
    untranslated = pair({"instruction": "Hello.", "output": "Hi."}, {})
    assert "empty_field" not in names("translation", untranslated)
    half = pair({"instruction": "Hello.", "output": "Hi."}, {"instruction": "你好。"})
    [finding] = only("translation", half, "empty_field")
    assert finding.field == "target.output"


def test_truncated_answers() -> None:
    cut = "首先，我们需要准备材料。然后把材料放进锅里。接着我们需要把火调到中等，然后慢慢地搅拌直到"
    [finding] = only("instruction", alpaca(cut), "truncated_field")
    assert finding.offset == len(cut) - 1 and "without punctuation" in finding.message
    [finding] = only("instruction", alpaca("第一步是打开电脑，"), "truncated_field")
    assert "'，'" in finding.message
    source = "This is a long English answer that goes on for a while. " * 4
    short = pair({"output": source}, {"output": "这是一个很长的回答。"})
    [finding] = only("translation", short, "truncated_field")
    assert "cut off" in finding.message


@pytest.mark.parametrize(
    "text",
    [
        "答案是42",  # a short answer without a full stop
        "第一，打开电脑。第二，登录系统。\n\n总结",  # a heading at the end
        "完成了。",
        "好的！",
    ],
)
def test_complete_answers_are_not_truncated(text: str) -> None:
    assert "truncated_field" not in names("instruction", alpaca(text))


# Every kind, every field


def test_findings_name_nested_fields() -> None:
    chat = {"messages": [{"role": "user", "content": "你好,在吗"}, {"role": "assistant", "content": "在的。"}]}
    [finding] = only("chat", chat, "punctuation_width")
    assert finding.field == "messages[0].content"
    history = {"instruction": "继续", "input": "", "output": "好的。", "history": [["问题一,", "回答。"]]}
    assert only("instruction", history, "punctuation_width")[0].field == "history[0][0]"


def test_clean_samples_have_no_flags(samples_dir) -> None:
    clean = alpaca("春眠不觉晓，处处闻啼鸟。", instruction="写一首关于春天的五言绝句。")
    assert check_sample("instruction", clean) == []
    assert checks.flags_of("instruction", clean) == {}


def test_a_check_of_one_sample_takes_well_under_a_millisecond(samples_dir) -> None:
    rows = [orjson.loads(line) for line in (samples_dir / "coig_cqia.jsonl").read_bytes().splitlines()]
    check_sample("instruction", rows[0])  # OpenCC's tables are built on first use
    started = time.perf_counter()
    rounds = 20
    for _ in range(rounds):
        for row in rows:
            check_sample("instruction", row)
    per_sample = (time.perf_counter() - started) / (rounds * len(rows))
    # CQIA's records are long (up to 1,100 characters); typical is ~0.1 ms. Generous for a busy machine.
    assert per_sample < 1e-3, f"{per_sample * 1e6:.0f} µs a sample"


def test_detail_keeps_the_first_findings() -> None:
    text = "一,二,三,四,五"
    detail = checks.flags_of("instruction", alpaca(text))["punctuation_width"]
    assert detail.count("\n") == 2  # three findings shown, the rest counted...
    found = only("instruction", alpaca(text), "punctuation_width")
    assert len(found) == 3  # ...and the check itself stops after three


def test_lone_surrogates_from_a_broken_file_do_not_stop_the_script_checks() -> None:
    """A lone surrogate (Python keeps one from a badly encoded file) beside mixed scripts: OpenCC
    takes UTF-8 and cannot encode it; the check and the T→S conversion pass it through instead."""
    from app.quality import script

    text = "這是简体\ud800與繁體"
    found = script.mixed(text)
    assert found is not None and found[0] == (0, "這")
    assert script.to_simplified(text) == "这是简体\ud800与繁体"
