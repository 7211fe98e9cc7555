"""The fake DeepL and OpenAI servers speak their protocols as the real client libraries expect."""

from __future__ import annotations

import http.client
import json
import threading
import time
from collections.abc import Iterator

import deepl
import openai
import pytest

from tests.servers import (
    AlterIgnored,
    Content,
    Drop,
    FakeDeepL,
    FakeOpenAI,
    Hang,
    Latency,
    MalformedBody,
    Quota,
    RateLimit,
    Status,
)
from tests.servers.fake_deepl import translate
from tests.servers.faults import FaultPlan


@pytest.fixture
def translator(deepl_server: FakeDeepL) -> Iterator[deepl.Translator]:
    client = deepl.Translator(deepl_server.key, server_url=deepl_server.url, send_platform_info=False)
    yield client
    client.close()


@pytest.fixture
def chat(openai_server: FakeOpenAI) -> Iterator[openai.OpenAI]:
    client = openai.OpenAI(base_url=openai_server.base_url, api_key=openai_server.key, timeout=0.5, max_retries=0)
    yield client
    client.close()


def _raw(server, method: str, path: str, body: bytes | None = None, headers: dict | None = None):
    host, port = server.url.removeprefix("http://").split(":")
    connection = http.client.HTTPConnection(host, int(port), timeout=2)
    try:
        connection.request(method, path, body=body, headers=headers or {})
        response = connection.getresponse()
        return response.status, dict(response.getheaders()), response.read()
    finally:
        connection.close()


# --- fault plans -------------------------------------------------------------------------------


def test_fault_plan_fires_on_the_nth_matching_request_for_times_requests():
    plan = FaultPlan()
    plan.add(Status(503), nth=2, times=2, path="/v2/translate")
    fired = [plan.take(path) for path in ["/v2/translate", "/v2/usage", "/v2/translate", "/v2/translate",
                                          "/v2/translate"]]
    assert fired == [None, None, Status(503), Status(503), None]


def test_fault_plan_for_ever_and_first_rule_wins():
    plan = FaultPlan()
    plan.add(Drop())
    plan.add(Latency(0.01), times=None)
    assert [plan.take("/x") for _ in range(3)] == [Drop(), Latency(0.01), Latency(0.01)]


# --- DeepL -------------------------------------------------------------------------------------


def test_deepl_translates_outside_tags_and_keeps_ignored_elements_byte_identical(translator, deepl_server):
    text = 'Hello <code>if a &lt; b: return "world"</code> world <x id="1"/> good morning'
    result = translator.translate_text(
        [text, "Translate this sentence"], source_lang="EN", target_lang="ZH-HANS",
        tag_handling="xml", ignore_tags=["code", "x"],
    )
    assert result[0].text == '[ZH]你好 <code>if a &lt; b: return "world"</code> [ZH]世界 <x id="1"/> [ZH]好 早上'
    assert result[1].text == "[ZH]翻译 这个 句子"
    assert [r.billed_characters for r in result] == [len(text), len("Translate this sentence")]
    assert deepl_server.character_count == len(text) + len("Translate this sentence")
    body = deepl_server.requests_to("/v2/translate")[0].body
    assert body["ignore_tags"] == ["code", "x"] and body["tag_handling"] == "xml"


def test_deepl_without_tag_handling_translates_tags_as_text():
    assert translate("<code>hello</code>", tagged=False) == "[ZH]<代码>你好</代码>"


def test_deepl_alter_ignored_fault_changes_code(translator, deepl_server):
    deepl_server.inject(AlterIgnored())
    result = translator.translate_text("Use <code>print(hello)</code>", target_lang="ZH-HANS", tag_handling="xml",
                                       ignore_tags="code")
    assert result.text == "[ZH]使用 <code>[ZH]print(你好)</code>"


def test_deepl_usage_counts_and_quota_456_when_the_limit_is_reached():
    with FakeDeepL(character_limit=10) as server:
        translator = deepl.Translator(server.key, server_url=server.url, send_platform_info=False)
        try:
            translator.translate_text("Hello", target_lang="ZH-HANS")
            usage = translator.get_usage()
            assert (usage.character.count, usage.character.limit) == (5, 10)
            with pytest.raises(deepl.QuotaExceededException):
                translator.translate_text("Hello world", target_lang="ZH-HANS")
            assert translator.get_usage().character.count == 5  # nothing billed for the refused text
        finally:
            translator.close()


def test_deepl_wrong_key_is_403_and_hosts_refuse_the_other_kind_of_key():
    with FakeDeepL() as server:
        wrong = deepl.Translator("not-the-key", server_url=server.url, send_platform_info=False)
        with pytest.raises(deepl.AuthorizationException):
            wrong.translate_text("Hello", target_lang="ZH-HANS")
        wrong.close()
    with FakeDeepL(key="abc:fx", host="pro") as server:
        free_on_pro = deepl.Translator("abc:fx", server_url=server.url, send_platform_info=False)
        with pytest.raises(deepl.AuthorizationException, match="Wrong endpoint"):
            free_on_pro.get_usage()
        free_on_pro.close()


def test_deepl_glossary_create_use_list_delete(translator, deepl_server):
    glossary = translator.create_glossary("terms", "EN", "ZH", {"world": "天下"})
    assert [g.glossary_id for g in translator.list_glossaries()] == [glossary.glossary_id]
    assert translator.get_glossary_entries(glossary) == {"world": "天下"}
    result = translator.translate_text("Hello world", source_lang="EN", target_lang="ZH-HANS", glossary=glossary)
    assert result.text == "[ZH]你好 天下"
    translator.delete_glossary(glossary)
    with pytest.raises(deepl.DeepLException):
        translator.translate_text("Hello", source_lang="EN", target_lang="ZH-HANS", glossary=glossary.glossary_id)


def test_deepl_refuses_more_than_50_texts_and_unsupported_formality(translator):
    with pytest.raises(deepl.DeepLException, match="Too many texts"):
        translator.translate_text(["a"] * 51, target_lang="ZH-HANS")
    with pytest.raises(deepl.DeepLException, match="formality"):
        translator.translate_text("Hello", target_lang="ZH-HANS", formality="more")


def test_deepl_accepts_form_bodies_as_older_clients_send_them(deepl_server):
    body = b"text=Hello&text=world&target_lang=ZH-HANS"
    status, _, payload = _raw(deepl_server, "POST", "/v2/translate", body, {
        "Authorization": f"DeepL-Auth-Key {deepl_server.key}",
        "Content-Type": "application/x-www-form-urlencoded",
    })
    assert status == 200
    assert [t["text"] for t in json.loads(payload)["translations"]] == ["[ZH]你好", "[ZH]世界"]


# --- OpenAI ------------------------------------------------------------------------------------


def test_openai_answers_from_the_last_user_message_with_usage(chat, openai_server):
    completion = chat.chat.completions.create(
        model="gpt-4o-mini",
        messages=[{"role": "system", "content": "你是助手"}, {"role": "user", "content": "翻译这句话"}],
        temperature=0.3,
    )
    assert completion.choices[0].message.content == "回答：翻译这句话"
    assert completion.choices[0].finish_reason == "stop"
    assert (completion.usage.prompt_tokens, completion.usage.completion_tokens) == (9, 8)
    recorded = openai_server.requests_to("/v1/chat/completions")[0]
    assert recorded.body["temperature"] == 0.3 and recorded.body["model"] == "gpt-4o-mini"


def test_openai_json_mode_script_queue_and_max_tokens(chat, openai_server):
    answer = chat.chat.completions.create(
        model="gpt-4o-mini", messages=[{"role": "user", "content": "你好"}], response_format={"type": "json_object"}
    )
    assert json.loads(answer.choices[0].message.content) == {"reply": "回答：你好"}

    openai_server.script('{"Q": "问", "A": "答"}', "第二个")
    first = chat.chat.completions.create(model="gpt-4o-mini", messages=[{"role": "user", "content": "x"}])
    second = chat.chat.completions.create(model="gpt-4o-mini", messages=[{"role": "user", "content": "x"}])
    third = chat.chat.completions.create(model="gpt-4o-mini", messages=[{"role": "user", "content": "x"}],
                                         max_tokens=3)
    assert [c.choices[0].message.content for c in (first, second, third)] == ['{"Q": "问", "A": "答"}', "第二个",
                                                                                "回答："]
    assert third.choices[0].finish_reason == "length"


def test_openai_models_wrong_key_unknown_model_and_json_mode_refused(openai_server, chat):
    assert [m.id for m in chat.models.list()] == list(openai_server.models)
    with pytest.raises(openai.NotFoundError):
        chat.chat.completions.create(model="no-such-model", messages=[{"role": "user", "content": "x"}])
    wrong = openai.OpenAI(base_url=openai_server.base_url, api_key="sk-wrong", timeout=0.5, max_retries=0)
    with pytest.raises(openai.AuthenticationError):
        wrong.chat.completions.create(model="gpt-4o-mini", messages=[{"role": "user", "content": "x"}])
    wrong.close()
    openai_server.json_mode_supported = False
    with pytest.raises(openai.BadRequestError):
        chat.chat.completions.create(model="gpt-4o-mini", messages=[{"role": "user", "content": "x"}],
                                     response_format={"type": "json_object"})


def test_openai_quota_and_rate_limit_bodies(chat, openai_server):
    openai_server.inject(Quota())
    with pytest.raises(openai.RateLimitError) as quota:
        chat.chat.completions.create(model="gpt-4o-mini", messages=[{"role": "user", "content": "x"}])
    assert quota.value.code == "insufficient_quota"
    openai_server.inject(RateLimit(retry_after=7))
    with pytest.raises(openai.RateLimitError) as limited:
        chat.chat.completions.create(model="gpt-4o-mini", messages=[{"role": "user", "content": "x"}])
    assert limited.value.response.headers["retry-after"] == "7"
    assert limited.value.code == "rate_limit_exceeded"


def test_openai_content_fault_replaces_the_answer(chat, openai_server):
    openai_server.inject(Content('{"Q": "半', finish_reason="length"))
    completion = chat.chat.completions.create(model="gpt-4o-mini", messages=[{"role": "user", "content": "x"}])
    assert completion.choices[0].message.content == '{"Q": "半'


# --- faults at the HTTP level, on both --------------------------------------------------------


def test_status_drop_and_malformed_body_over_raw_http(deepl_server):
    headers = {"Authorization": f"DeepL-Auth-Key {deepl_server.key}"}
    deepl_server.inject(Status(502))
    assert _raw(deepl_server, "GET", "/v2/usage", headers=headers)[0] == 502
    deepl_server.inject(MalformedBody())
    status, _, payload = _raw(deepl_server, "GET", "/v2/usage", headers=headers)
    assert status == 200
    with pytest.raises(ValueError):
        json.loads(payload)
    deepl_server.inject(Drop())
    with pytest.raises((http.client.RemoteDisconnected, ConnectionError)):
        _raw(deepl_server, "GET", "/v2/usage", headers=headers)
    assert _raw(deepl_server, "GET", "/v2/usage", headers=headers)[0] == 200
    assert [r.fault for r in deepl_server.requests] == ["Status", "MalformedBody", "Drop", None]


def test_latency_delays_and_hang_outlasts_the_client_timeout(chat, openai_server):
    openai_server.inject(Latency(0.2))
    started = time.monotonic()
    chat.chat.completions.create(model="gpt-4o-mini", messages=[{"role": "user", "content": "x"}])
    assert time.monotonic() - started >= 0.2
    openai_server.inject(Hang())
    with pytest.raises(openai.APITimeoutError):
        chat.chat.completions.create(model="gpt-4o-mini", messages=[{"role": "user", "content": "x"}])


def test_stopping_releases_a_hanging_request_and_joins_every_thread():
    server = FakeDeepL().start()
    server.inject(Hang(seconds=30))
    outcome: list[object] = []

    def call() -> None:
        try:
            outcome.append(_raw(server, "GET", "/v2/usage"))
        except Exception as error:
            outcome.append(error)

    caller = threading.Thread(target=call, name="caller")
    caller.start()
    assert server.wait_for_requests(1)  # it has arrived and hangs
    started = time.monotonic()
    server.stop()
    caller.join(timeout=5)
    assert time.monotonic() - started < 2
    assert isinstance(outcome[0], Exception)
    assert not [t for t in threading.enumerate() if t.name.startswith("winnow-test-server")]


def test_recorded_requests_never_hold_the_key(deepl_server, openai_server, translator, chat):
    translator.translate_text("Hello", target_lang="ZH-HANS")
    chat.chat.completions.create(model="gpt-4o-mini", messages=[{"role": "user", "content": "x"}])
    for server in (deepl_server, openai_server):
        dump = server.recorded_json()
        assert server.key not in dump
        assert "authorization" not in dump.lower()
        assert all(r.authorized for r in server.requests)


def test_repeated_bodies_finds_what_was_sent_twice(translator, deepl_server):
    translator.translate_text("Hello", target_lang="ZH-HANS")
    translator.translate_text("world", target_lang="ZH-HANS")
    assert deepl_server.repeated_bodies("/v2/translate") == []
    translator.translate_text("Hello", target_lang="ZH-HANS")
    (again,) = deepl_server.repeated_bodies("/v2/translate")
    assert again["text"] == ["Hello"]
