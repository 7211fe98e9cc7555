"""The COIG translation task: one marked-up text for DeepL split back reliably, protected spans
byte-identical, the chat variant's JSON answer validated."""

from __future__ import annotations

import json
import re

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from app.tasks import ChatCall, TranslationCall, chat_json, get_task, load_prompt
from app.tasks import translate as task

CODE = '```python\ndef add(a, b):\n    return a + b  # <sum> & "{total}"\n```'
PAIR = {
    "source": {
        "instruction": "Explain what the function does. See https://docs.python.org/3/ for {lang}.",
        "input": CODE + "\n",
        "output": "It returns the sum of `a` and `b`; call it as `add(1, 2)` & get 3 <always>.",
    },
    "target": {"instruction": "", "input": "", "output": ""},
}


def fake_deepl(text: str) -> str:
    """What DeepL does with tag_handling=xml and ignore_tags: translates the text between tags,
    keeps the tags and the content of ignored elements (here: text becomes 「…」-wrapped upper case)."""
    out, last = [], 0
    for match in re.finditer(r"<(code|x) id=\"\d+\">.*?</\1>|</?[ino]>", text, re.DOTALL):
        chunk = text[last : match.start()]
        out.append(f"「{chunk.upper()}」" if chunk.strip() else chunk)
        out.append(match.group())
        last = match.end()
    out.append(text[last:])
    return "".join(out)


def test_one_text_with_the_three_fields_tagged_and_code_ignored() -> None:
    call = task.build_deepl_request(PAIR)
    assert isinstance(call, TranslationCall)
    assert len(call.texts) == 1
    text = call.texts[0]
    assert re.fullmatch(r"<i>.*</i><n>.*</n><o>.*</o>", text, re.DOTALL)
    assert set(call.ignore_tags) == {"code", "x"}
    assert '<code id="' in text  # the fenced block
    assert '<x id="' in text  # URL, inline code, placeholder
    assert "&lt;sum&gt; &amp;" in text  # XML-escaped so the markup stays well formed


def test_parse_splits_back_and_restores_code_byte_identical() -> None:
    translated = fake_deepl(task.build_deepl_request(PAIR).texts[0])
    target = task.parse_deepl(PAIR, (translated,))["target"]
    assert target["input"] == CODE + "\n"  # byte-identical, trailing newline of the field kept
    assert "https://docs.python.org/3/" in target["instruction"]
    assert "{lang}" in target["instruction"]
    assert "`add(1, 2)`" in target["output"]
    assert "EXPLAIN WHAT THE FUNCTION DOES" in target["instruction"]
    assert "& GET 3 <ALWAYS>." in target["output"]  # entities unescaped outside protected spans


def test_a_service_that_changes_ignored_content_does_not_change_the_code() -> None:
    text = task.build_deepl_request(PAIR).texts[0]
    altered = re.sub(r'(<code id="\d+">)(.*?)(</code>)', lambda m: m[1] + m[2].upper() + m[3], text, flags=re.DOTALL)
    assert task.parse_deepl(PAIR, (altered,))["target"]["input"] == CODE + "\n"


@pytest.mark.parametrize(
    ("mangle", "message"),
    [
        (lambda t: t.replace("<n>", ""), "input element <n> is missing"),
        (lambda t: t.replace("</o>", ""), "output element <o> is missing"),
        (lambda t: t + "<i>again</i>", "instruction element <i> is there 2 times"),
        (lambda t: re.sub(r'<code id="\d+">.*?</code>', "", t, flags=re.DOTALL), "lost a protected span"),
        (lambda t: t.replace('<x id="0">', '<x id="9">'), "unexpected protected element"),
    ],
)
def test_unsplittable_answers_fail_clearly(mangle, message: str) -> None:
    text = task.build_deepl_request(PAIR).texts[0]
    with pytest.raises(ValueError, match=message):
        task.parse_deepl(PAIR, (mangle(text),))


def test_empty_fields_are_not_sent_and_stay_empty() -> None:
    pair = {"source": {"instruction": "Say hello.", "input": "", "output": "Hello!"}, "target": {}}
    text = task.build_deepl_request(pair).texts[0]
    assert "<n>" not in text
    assert task.parse_deepl(pair, [fake_deepl(text)])["target"]["input"] == ""


def test_not_a_translation_pair_is_refused() -> None:
    with pytest.raises(ValueError, match="not a translation pair"):
        task.build_deepl_request({"instruction": "x", "input": "", "output": ""})


_text = st.lists(
    st.sampled_from([*"ab c\n{}`<>&\"'.:/_1", "```", "http://x.y/z", "{name}", "中文", "&amp;"]), max_size=30
).map("".join)


@settings(max_examples=300, deadline=None)
@given(instruction=_text.filter(str.strip), input_=_text, output=_text)
def test_an_identity_translation_gives_back_the_source_exactly(instruction: str, input_: str, output: str) -> None:
    pair = {"source": {"instruction": instruction, "input": input_, "output": output}}
    text = task.build_deepl_request(pair).texts[0]
    assert task.parse_deepl(pair, (text,))["target"] == pair["source"]


def test_llm_request_carries_the_prompt_and_the_fields_as_json() -> None:
    prompt = load_prompt(task.PROMPT_FILE)
    assert "Simplified Chinese" in prompt and '"instruction"' in prompt
    call = task.build_llm_request(PAIR, prompt)
    assert isinstance(call, ChatCall)
    assert call.json_mode
    assert call.messages[0] == ("system", prompt)
    assert json.loads(call.messages[1][1]) == PAIR["source"]


def test_parse_llm_accepts_json_in_a_fence_and_checks_code_blocks() -> None:
    answer = {"instruction": "解释该函数的作用。", "input": CODE + "\n", "output": "它返回 `a` 与 `b` 之和。"}
    fenced = "```json\n" + json.dumps(answer, ensure_ascii=False) + "\n```"
    assert task.parse_llm(PAIR, fenced) == {"target": answer}
    assert task.parse_llm(PAIR, "好的：" + json.dumps(answer, ensure_ascii=False))["target"] == answer

    with pytest.raises(ValueError, match="no 'output'"):
        task.parse_llm(PAIR, json.dumps({"instruction": "x", "input": "y"}))
    changed = dict(answer, input=CODE.replace("return", "返回"))
    with pytest.raises(ValueError, match="code block of input"):
        task.parse_llm(PAIR, json.dumps(changed, ensure_ascii=False))
    with pytest.raises(ValueError, match="not a JSON object"):
        task.parse_llm(PAIR, "抱歉，我无法翻译。")


def test_estimates_are_upper_bounds_of_what_is_sent() -> None:
    characters = task.estimate_characters(PAIR)
    assert characters >= sum(len(v) for v in PAIR["source"].values())
    prompt = load_prompt(task.PROMPT_FILE)
    tokens = task.estimate_tokens(PAIR, prompt)
    assert tokens > task.count_tokens(prompt)
    assert chat_json.TOKEN_COUNTER in ("tiktoken cl100k_base", "heuristic: characters / 1.5")


def test_the_task_is_registered() -> None:
    registered = get_task("translate")
    assert registered.prompt_version == task.PROMPT_VERSION
    assert registered.kinds == ("translation",)
    assert isinstance(registered.build(PAIR, "translation", ""), TranslationCall)
    assert registered.estimate(PAIR, "chat", registered.prompt()).tokens > 0
    with pytest.raises(KeyError, match="unknown task"):
        get_task("nope")
