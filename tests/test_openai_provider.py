"""OpenAIProvider: the real ``openai`` library over HTTP to the fake OpenAI-compatible server."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator

import pytest

from tests.servers import Content, Drop, FakeOpenAI, Hang, Latency, MalformedBody, Quota, RateLimit, Status
from workers.providers.base import (
    AuthenticationFailed,
    BadResponse,
    ChatRequest,
    QuotaExceeded,
    RateLimited,
    RequestRejected,
    TransientError,
)
from workers.providers.openai_provider import OpenAIProvider, parse_json, retry_after_seconds
from workers.providers.presets import PRESETS, preset

TIMEOUT = 0.5


@pytest.fixture
def provider(openai_server: FakeOpenAI) -> Iterator[OpenAIProvider]:
    opened = OpenAIProvider(
        openai_server.base_url, "gpt-4o-mini", openai_server.key, timeout=TIMEOUT,
        price_per_1k_prompt=0.5, price_per_1k_completion=2.0,
    )
    yield opened
    opened.close()


def _ask(text: str, **options) -> ChatRequest:
    return ChatRequest(messages=(("system", "你是一名数据标注助手。"), ("user", text)), **options)


def test_chat_answer_tokens_and_cost(provider: OpenAIProvider, openai_server: FakeOpenAI):
    result = provider.execute(_ask("把这句话翻译成中文"))
    assert result.output == "回答：把这句话翻译成中文"
    # The fake counts a token per character: 11 + 9 prompt, 12 completion.
    assert (result.prompt_tokens, result.completion_tokens) == (20, 12)
    assert result.cost == pytest.approx((20 * 0.5 + 12 * 2.0) / 1000)
    assert result.raw["finish_reason"] == "stop" and result.raw["model"] == "gpt-4o-mini"
    sent = openai_server.requests_to("/v1/chat/completions")[0].body
    assert sent["messages"] == [{"role": "system", "content": "你是一名数据标注助手。"},
                                {"role": "user", "content": "把这句话翻译成中文"}]
    assert sent["temperature"] == 0.2 and "response_format" not in sent and "max_tokens" not in sent
    assert provider.name == "llm:gpt-4o-mini" and provider.model == "gpt-4o-mini"


def test_json_mode_sends_response_format_only_where_supported(openai_server: FakeOpenAI):
    supported = OpenAIProvider(openai_server.base_url, "gpt-4o-mini", openai_server.key, timeout=TIMEOUT)
    unsupported = OpenAIProvider(openai_server.base_url, "gpt-4o-mini", openai_server.key, timeout=TIMEOUT,
                                 json_mode_supported=False)
    try:
        answer = supported.execute(_ask("你好", json_mode=True, max_tokens=100))
        assert parse_json(answer.output) == {"reply": "回答：你好"}
        unsupported.execute(_ask("你好", json_mode=True))
    finally:
        supported.close()
        unsupported.close()
    first, second = (r.body for r in openai_server.requests_to("/v1/chat/completions"))
    assert first["response_format"] == {"type": "json_object"} and first["max_tokens"] == 100
    assert "response_format" not in second


def test_providers_temperature_and_max_tokens_apply_where_the_request_keeps_defaults(openai_server: FakeOpenAI):
    provider = OpenAIProvider(openai_server.base_url, "test-model", openai_server.key, temperature=0.7, max_tokens=50,
                              timeout=TIMEOUT)
    try:
        provider.execute(_ask("a"))
        provider.execute(_ask("b", temperature=0.0, max_tokens=5))
        identity = provider.cache_identity()
    finally:
        provider.close()
    bodies = [r.body for r in openai_server.requests_to("/v1/chat/completions")]
    assert [(b["temperature"], b["max_tokens"]) for b in bodies] == [(0.7, 50), (0.0, 5)]
    assert identity["model"] == "test-model" and identity["temperature"] == 0.7
    assert openai_server.key not in json.dumps(identity)


def test_truncated_json_answer_is_repaired(provider: OpenAIProvider, openai_server: FakeOpenAI):
    openai_server.script(
        json.dumps({"instruction": "解释这段代码", "output": "这段代码计算两个数的和"}, ensure_ascii=False)
    )
    result = provider.execute(_ask("x", json_mode=True, max_tokens=40))  # cut inside "output"
    assert result.raw["finish_reason"] == "length"
    with pytest.raises(ValueError):
        json.loads(result.output)
    repaired = parse_json(result.output)
    assert repaired["instruction"] == "解释这段代码"
    assert repaired["output"] == "这段代"


def test_malformed_json_inside_the_content_is_repaired_or_refused(provider: OpenAIProvider, openai_server: FakeOpenAI):
    openai_server.inject(Content("```json\n{'Q': '问题', 'A': '回答',}\n```"))
    assert parse_json(provider.execute(_ask("x")).output) == {"Q": "问题", "A": "回答"}
    openai_server.inject(Content("抱歉，我无法回答这个问题。"))
    with pytest.raises(BadResponse):
        parse_json(provider.execute(_ask("x")).output)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ('{"a": 1}', {"a": 1}),
        ('```json\n{"a": 1}\n```', {"a": 1}),
        ('{"a": [1, 2', {"a": [1, 2]}),
        ('{"a": "x", }', {"a": "x"}),
    ],
)
def test_parse_json(text, expected):
    assert parse_json(text) == expected


@pytest.mark.parametrize("text", ["", "   ", "[1, 2]", '"just a string"', "no json here", "42"])
def test_parse_json_refuses_what_is_not_an_object(text):
    with pytest.raises(BadResponse):
        parse_json(text)


# --- every fault, the right error, one request each --------------------------------------------


@pytest.mark.parametrize(
    ("fault", "error"),
    [
        (RateLimit(retry_after=None), RateLimited),
        (Quota(), QuotaExceeded),
        (Status(500), TransientError),
        (Status(502), TransientError),
        (Status(503), TransientError),
        (Drop(), TransientError),
        (Hang(), TransientError),
        (MalformedBody(), TransientError),
        (MalformedBody("<html>Bad gateway</html>"), TransientError),
        (Status(401), AuthenticationFailed),
        (Status(403), AuthenticationFailed),
        (Status(400, "This model's maximum context length is 8192 tokens"), RequestRejected),
        (Status(422), RequestRejected),
        (Content("", finish_reason="content_filter"), RequestRejected),
    ],
    ids=lambda value: repr(value) if not isinstance(value, type) else value.__name__,
)
def test_faults_map_to_provider_errors_without_retries(provider, openai_server, fault, error):
    openai_server.inject(fault)
    with pytest.raises(error):
        provider.execute(_ask("x"))
    assert len(openai_server.requests) == 1  # max_retries=0: the engine decides
    assert provider.execute(_ask("x")).output == "回答：x"


def test_rate_limit_carries_retry_after(provider: OpenAIProvider, openai_server: FakeOpenAI):
    openai_server.inject(RateLimit(retry_after=3))
    with pytest.raises(RateLimited) as limited:
        provider.execute(_ask("x"))
    assert limited.value.retry_after == 3.0
    openai_server.inject(Status(429, headers=(("retry-after-ms", "1500"),)))
    with pytest.raises(RateLimited) as in_ms:
        provider.execute(_ask("x"))
    assert in_ms.value.retry_after == 1.5


def test_retry_after_as_an_http_date():
    from email.utils import formatdate

    seconds = retry_after_seconds({"retry-after": formatdate(time.time() + 60, usegmt=True)})
    assert seconds is not None and 55 <= seconds <= 60
    assert retry_after_seconds({}) is None
    assert retry_after_seconds({"retry-after": "soon"}) is None


def test_the_timeout_is_the_providers(provider: OpenAIProvider, openai_server: FakeOpenAI):
    openai_server.inject(Hang())
    started = time.monotonic()
    with pytest.raises(TransientError, match="in time"):
        provider.execute(_ask("x"))
    assert TIMEOUT <= time.monotonic() - started < TIMEOUT + 3  # slack for a busy CI machine
    openai_server.inject(Latency(0.2))
    assert provider.execute(_ask("y")).output == "回答：y"


def test_wrong_key_unknown_model_and_refused_response_format(openai_server: FakeOpenAI):
    wrong_key = OpenAIProvider(openai_server.base_url, "gpt-4o-mini", "sk-wrong", timeout=TIMEOUT)
    unknown_model = OpenAIProvider(openai_server.base_url, "gpt-9", openai_server.key, timeout=TIMEOUT)
    try:
        with pytest.raises(AuthenticationFailed):
            wrong_key.execute(_ask("x"))
        with pytest.raises(AuthenticationFailed):
            wrong_key.list_models()
        with pytest.raises(AuthenticationFailed, match="model"):
            unknown_model.execute(_ask("x"))
        assert unknown_model.list_models() == list(openai_server.models)
    finally:
        wrong_key.close()
        unknown_model.close()


def test_json_mode_on_a_server_that_refuses_it_is_rejected(openai_server: FakeOpenAI):
    openai_server.json_mode_supported = False
    provider = OpenAIProvider(openai_server.base_url, "gpt-4o-mini", openai_server.key, timeout=TIMEOUT)
    try:
        with pytest.raises(RequestRejected, match="response_format"):
            provider.execute(_ask("x", json_mode=True))
    finally:
        provider.close()


def test_local_servers_need_no_key(openai_server: FakeOpenAI):
    openai_server.key = "no-key"  # what the provider sends for a missing key
    provider = OpenAIProvider(openai_server.base_url, "test-model", None, timeout=TIMEOUT)
    try:
        assert provider.execute(_ask("x")).output == "回答：x"
    finally:
        provider.close()


def test_the_key_never_reaches_the_recorded_requests_or_the_errors(provider: OpenAIProvider, openai_server: FakeOpenAI):
    provider.execute(_ask("x"))
    openai_server.inject(Status(401))
    with pytest.raises(AuthenticationFailed) as failed:
        provider.execute(_ask("x"))
    assert openai_server.key not in openai_server.recorded_json()
    assert openai_server.key not in str(failed.value)


# --- presets -----------------------------------------------------------------------------------


def test_presets_cover_the_servers_people_use():
    assert preset("deepseek").base_url == "https://api.deepseek.com/v1" and preset("deepseek").model == "deepseek-chat"
    assert preset("dashscope").base_url == "https://dashscope.aliyuncs.com/compatible-mode/v1"
    assert preset("dashscope").model == "qwen-plus"
    assert preset("openai").base_url == "https://api.openai.com/v1"
    local = {name: p for name, p in PRESETS.items() if p.local}
    assert {p.base_url for p in local.values()} == {
        "http://localhost:8000/v1", "http://localhost:11434/v1", "http://localhost:8080/v1"}
    assert all(p.price_per_1k_prompt == p.price_per_1k_completion == 0 and not p.needs_key for p in local.values())
    assert not preset("custom").json_mode
    with pytest.raises(KeyError, match="known"):
        preset("nope")


def test_a_provider_from_a_preset_with_overrides(openai_server: FakeOpenAI):
    provider = OpenAIProvider.from_preset(
        preset("deepseek"), openai_server.key, base_url=openai_server.base_url, timeout=TIMEOUT
    )
    try:
        result = provider.execute(_ask("你好"))
    finally:
        provider.close()
    assert provider.name == "llm:deepseek-chat"
    assert result.cost == pytest.approx(
        (result.prompt_tokens * 0.00027 + result.completion_tokens * 0.0011) / 1000)
