"""DeepLProvider: the real ``deepl`` library over HTTP to the fake DeepL server."""

from __future__ import annotations

import time
from collections.abc import Iterator

import pytest

from tests.servers import AlterIgnored, Drop, FakeDeepL, Hang, Latency, MalformedBody, Quota, RateLimit, Status
from workers.providers.base import (
    AuthenticationFailed,
    BadResponse,
    Provider,
    QuotaExceeded,
    RateLimited,
    RequestRejected,
    TransientError,
    TranslationRequest,
)
from workers.providers.deepl_provider import DeepLProvider, check_ignored_unchanged, ignored_elements

TIMEOUT = 0.5


@pytest.fixture
def provider(deepl_server: FakeDeepL) -> Iterator[DeepLProvider]:
    opened = DeepLProvider(deepl_server.key, server_url=deepl_server.url, timeout=TIMEOUT)
    yield opened
    opened.close()


def _request(*texts: str, **options) -> TranslationRequest:
    return TranslationRequest(texts=texts, **options)


def test_translates_to_chinese_and_counts_billed_characters(provider: DeepLProvider, deepl_server: FakeDeepL):
    texts = ("Hello world", "Write a function that returns the sum of two numbers")
    result = provider.execute(_request(*texts))
    assert result.output == ("[ZH]你好 世界", "[ZH]写 一个 函数 that 返回 这 总和 的 两个 数字")
    assert result.characters == sum(len(t) for t in texts)
    assert result.raw["detected_source_lang"] == ["EN"]
    assert provider.usage() == (sum(len(t) for t in texts), deepl_server.character_limit)

    sent = deepl_server.requests_to("/v2/translate")[0].body
    assert sent["text"] == list(texts)
    assert (sent["source_lang"], sent["target_lang"]) == ("EN", "ZH-HANS")
    assert sent["tag_handling"] == "xml" and sent["ignore_tags"] == ["code", "x"]
    assert sent["outline_detection"] is False and sent["split_sentences"] == "nonewlines"


def test_is_a_provider_named_deepl_with_its_settings_in_the_cache_identity(deepl_server: FakeDeepL):
    free = DeepLProvider(
        "abc:fx", server_url=deepl_server.url, formality="prefer_more", glossary_id="g1", timeout=TIMEOUT
    )
    pro = DeepLProvider("abc", server_url=deepl_server.url, target_lang="ZH-HANT", timeout=TIMEOUT)
    try:
        as_provider: Provider = free  # what the engine holds (Provider is not runtime_checkable)
        assert all(callable(getattr(as_provider, m)) for m in ("cache_identity", "execute", "close"))
        assert (free.name, free.model, pro.model) == ("deepl", "deepl-free", "deepl-pro")
        identity = free.cache_identity()
        assert identity["formality"] == "prefer_more" and identity["glossary_id"] == "g1"
        assert pro.cache_identity()["target_lang"] == "ZH-HANT"
        assert "abc" not in repr(identity)
    finally:
        free.close()
        pro.close()


def test_code_and_placeholders_come_back_byte_identical(provider: DeepLProvider):
    text = 'Explain <code>def f(a, b):\n    return a + b  # sum</code> with <x id="0"/> please'
    (translated,) = provider.execute(_request(text)).output
    assert ignored_elements(translated, ("code", "x")) == ignored_elements(text, ("code", "x"))
    assert "<code>def f(a, b):\n    return a + b  # sum</code>" in translated
    assert translated.startswith("[ZH]解释")


def test_altered_code_is_a_bad_response_naming_what_changed(provider: DeepLProvider, deepl_server: FakeDeepL):
    deepl_server.inject(AlterIgnored())
    with pytest.raises(BadResponse, match=r"Text 2: protected element 1 changed.*print\(hello\)"):
        provider.execute(_request("Hello", "Use <code>print(hello)</code>"))


def test_check_ignored_unchanged_catches_lost_reordered_and_nested_elements():
    source = "a <code>x</code> b <x>1</x> c <code>y</code>"
    check_ignored_unchanged(source, "[ZH]a <code>x</code> <x>1</x> <code>y</code>", ("code", "x"))
    with pytest.raises(BadResponse, match="3 protected elements"):
        check_ignored_unchanged(source, "<code>x</code> <x>1</x>", ("code", "x"))
    with pytest.raises(BadResponse, match="changed"):
        check_ignored_unchanged(source, "<code>y</code> <x>1</x> <code>x</code>", ("code", "x"))
    nested = "<code>outer <code>inner</code> tail</code>"
    assert ignored_elements(nested, ("code",)) == [nested]


def test_empty_texts_are_kept_and_never_sent(provider: DeepLProvider, deepl_server: FakeDeepL):
    result = provider.execute(_request("Hello", "", "  "))
    assert result.output == ("[ZH]你好", "", "  ")
    assert deepl_server.requests_to("/v2/translate")[0].body["text"] == ["Hello"]
    assert provider.execute(_request("", "")).output == ("", "")
    assert len(deepl_server.requests_to("/v2/translate")) == 1


def test_request_settings_override_the_providers_defaults(deepl_server: FakeDeepL):
    provider = DeepLProvider(deepl_server.key, server_url=deepl_server.url, target_lang="ZH-HANT", timeout=TIMEOUT)
    try:
        provider.execute(_request("Hello"))
        provider.execute(_request("Hello", target_lang="DE"))
    finally:
        provider.close()
    assert [r.body["target_lang"] for r in deepl_server.requests_to("/v2/translate")] == ["ZH-HANT", "DE"]


def test_glossary_from_the_provider_is_applied(deepl_server: FakeDeepL):
    import deepl

    translator = deepl.Translator(deepl_server.key, server_url=deepl_server.url, send_platform_info=False)
    glossary = translator.create_glossary("terms", "EN", "ZH", {"world": "天下"})
    translator.close()
    provider = DeepLProvider(
        deepl_server.key, server_url=deepl_server.url, glossary_id=glossary.glossary_id, timeout=TIMEOUT
    )
    try:
        assert provider.execute(_request("Hello world")).output == ("[ZH]你好 天下",)
    finally:
        provider.close()


# --- every fault, the right error, one request each --------------------------------------------


@pytest.mark.parametrize(
    ("fault", "error"),
    [
        (Quota(), QuotaExceeded),
        (Status(403), AuthenticationFailed),
        (RateLimit(retry_after=None), RateLimited),
        (Status(500), TransientError),
        (Status(502), TransientError),
        (Status(503), TransientError),
        (Drop(), TransientError),
        (Hang(), TransientError),
        (MalformedBody(), TransientError),
        (MalformedBody("<html>proxy error</html>"), TransientError),
        (Status(400, "Value for 'target_lang' not supported."), RequestRejected),
        (Status(413), RequestRejected),
    ],
    ids=lambda value: repr(value) if not isinstance(value, type) else value.__name__,
)
def test_faults_map_to_provider_errors_without_retries(provider, deepl_server, fault, error):
    deepl_server.inject(fault)
    with pytest.raises(error):
        provider.execute(_request("Hello"))
    assert len(deepl_server.requests) == 1  # the library did not retry: the engine decides
    assert provider.execute(_request("Hello")).output == ("[ZH]你好",)  # and the next call is fine


def test_rate_limit_carries_retry_after(provider: DeepLProvider, deepl_server: FakeDeepL):
    deepl_server.inject(RateLimit(retry_after=7))
    with pytest.raises(RateLimited) as limited:
        provider.execute(_request("Hello"))
    assert limited.value.retry_after == 7.0
    deepl_server.inject(RateLimit(retry_after=None))
    with pytest.raises(RateLimited) as without:
        provider.execute(_request("Hello"))
    assert without.value.retry_after is None


def test_the_timeout_is_the_providers(provider: DeepLProvider, deepl_server: FakeDeepL):
    deepl_server.inject(Hang())
    started = time.monotonic()
    with pytest.raises(TransientError):
        provider.execute(_request("Hello"))
    assert TIMEOUT <= time.monotonic() - started < TIMEOUT + 3  # slack for a busy CI machine


def test_latency_within_the_timeout_is_fine(provider: DeepLProvider, deepl_server: FakeDeepL):
    deepl_server.inject(Latency(0.2))
    assert provider.execute(_request("Hello")).output == ("[ZH]你好",)


def test_wrong_key_quota_by_usage_and_refused_formality():
    with FakeDeepL(character_limit=8) as server:
        wrong = DeepLProvider("wrong", server_url=server.url, timeout=TIMEOUT)
        right = DeepLProvider(server.key, server_url=server.url, timeout=TIMEOUT)
        try:
            with pytest.raises(AuthenticationFailed):
                wrong.execute(_request("Hello"))
            with pytest.raises(AuthenticationFailed):
                wrong.usage()
            right.execute(_request("Hello"))
            with pytest.raises(QuotaExceeded):
                right.execute(_request("Hello world"))
            assert right.usage() == (5, 8)
            with pytest.raises(RequestRejected, match="formality"):
                right.execute(_request("Hi", formality="more"))
        finally:
            wrong.close()
            right.close()


def test_too_many_texts_are_refused_before_sending(provider: DeepLProvider, deepl_server: FakeDeepL):
    with pytest.raises(RequestRejected, match="at most 50"):
        provider.execute(_request(*["Hello"] * 51))
    assert deepl_server.requests == []


def test_an_empty_key_fails_as_authentication():
    with pytest.raises(AuthenticationFailed):
        DeepLProvider("", server_url="http://127.0.0.1:9")


def test_the_key_never_reaches_the_recorded_requests(provider: DeepLProvider, deepl_server: FakeDeepL):
    provider.execute(_request("Hello"))
    provider.usage()
    deepl_server.inject(Status(500))
    with pytest.raises(TransientError) as failed:
        provider.execute(_request("Hello"))
    assert deepl_server.key not in deepl_server.recorded_json()
    assert deepl_server.key not in str(failed.value)


class _ForwardingProxy:
    """A plain HTTP forward proxy for one test: every request, whatever host it names, goes on to
    ``target`` (the fake DeepL); the absolute URLs it was asked for are kept in ``seen``."""

    def __init__(self, target: str) -> None:
        import http.client
        import threading
        from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
        from urllib.parse import urlsplit

        target_parts = urlsplit(target)
        proxy = self
        self.seen: list[str] = []

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                proxy.seen.append(self.path)
                body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
                upstream = http.client.HTTPConnection(target_parts.hostname, target_parts.port, timeout=5)
                headers = {k: v for k, v in self.headers.items() if k.lower() not in ("host", "proxy-connection")}
                upstream.request("POST", urlsplit(self.path).path, body=body, headers=headers)
                answer = upstream.getresponse()
                data = answer.read()
                self.send_response(answer.status)
                for key, value in answer.getheaders():
                    if key.lower() not in ("transfer-encoding", "connection", "content-length"):
                        self.send_header(key, value)
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)
                upstream.close()

            def log_message(self, *args: object) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


def test_the_environment_proxy_is_used_and_read_once(deepl_server: FakeDeepL, monkeypatch: pytest.MonkeyPatch):
    import requests.utils

    proxy = _ForwardingProxy(deepl_server.url)
    try:
        monkeypatch.setenv("HTTP_PROXY", proxy.url)
        monkeypatch.delenv("NO_PROXY", raising=False)
        monkeypatch.delenv("no_proxy", raising=False)
        # A name no resolver knows: only through the proxy can the request arrive.
        provider = DeepLProvider(deepl_server.key, server_url="http://deepl.invalid/", timeout=5)
        reads: list[str] = []
        original = requests.utils.get_environ_proxies
        monkeypatch.setattr(
            requests.utils, "get_environ_proxies", lambda *a, **k: reads.append(a[0]) or original(*a, **k)
        )
        for _ in range(3):
            assert provider.execute(_request("Hello world")).output == ("[ZH]你好 世界",)
        provider.close()
    finally:
        proxy.close()
    assert proxy.seen == ["http://deepl.invalid/v2/translate"] * 3
    assert reads == []  # read when the provider was made, not again for each request


def test_no_proxy_for_the_server_is_honoured(deepl_server: FakeDeepL, monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setenv("HTTP_PROXY", "http://127.0.0.1:9")  # nothing listens there
    monkeypatch.setenv("NO_PROXY", "127.0.0.1")
    provider = DeepLProvider(deepl_server.key, server_url=deepl_server.url, timeout=5)
    try:
        assert provider.execute(_request("Hello world")).output == ("[ZH]你好 世界",)
    finally:
        provider.close()
