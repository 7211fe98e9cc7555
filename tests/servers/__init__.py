"""Servers on 127.0.0.1 that speak the DeepL and OpenAI protocols, for tests of the real clients.

    from tests.servers import FakeDeepL, FakeOpenAI, RateLimit, Status

    with FakeDeepL() as deepl_server:                  # or the deepl_server fixture below
        deepl_server.inject(Status(503), nth=2)        # the 2nd request gets a 503
        DeepLProvider(deepl_server.key, server_url=deepl_server.url, timeout=0.5)
        ...
        assert len(deepl_server.requests_to("/v2/translate")) == 1

Each server runs in threads named ``winnow-test-server-…`` and stops them all on exit (the test's
thread guard checks). ``server.requests`` records what arrived, never the key (``requests_to(path)``,
``repeated_bodies(path)`` for "nothing reached the server twice", ``wait_for_requests(n)`` instead of a
sleep, ``recorded_json()`` for a dump); ``server.errors`` holds tracebacks of the fake's own bugs (the
fixtures fail a test that leaves any).

Faults (see :mod:`tests.servers.faults`): ``Latency(s)``, ``Status(code)``, ``RateLimit(retry_after)``,
``Quota()``, ``Drop()``, ``Hang()``, ``MalformedBody(text=None)``, and per service ``AlterIgnored()``
(DeepL changes ``<code>`` content) and ``Content(text, finish_reason)`` (OpenAI's message content);
``server.inject(fault, nth=1, times=1, path=None)``.

The fixtures ``deepl_server`` and ``openai_server`` are plain pytest fixtures; ``tests/conftest.py`` lists
this package in ``pytest_plugins``, so every test can ask for them.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.servers.fake_deepl import FakeDeepL
from tests.servers.fake_openai import FakeOpenAI
from tests.servers.faults import (
    AlterIgnored,
    Content,
    Drop,
    FakeServer,
    Fault,
    Hang,
    Latency,
    MalformedBody,
    Quota,
    RateLimit,
    RecordedRequest,
    Status,
)

__all__ = [
    "AlterIgnored",
    "Content",
    "Drop",
    "FakeDeepL",
    "FakeOpenAI",
    "FakeServer",
    "Fault",
    "Hang",
    "Latency",
    "MalformedBody",
    "Quota",
    "RateLimit",
    "RecordedRequest",
    "Status",
    "deepl_server",
    "openai_server",
]


def _serve(server: FakeServer) -> Iterator[FakeServer]:
    with server:
        yield server
    assert not server.errors, "the fake server failed:\n" + "\n".join(server.errors)


@pytest.fixture
def deepl_server() -> Iterator[FakeDeepL]:
    """A running :class:`FakeDeepL` (key ``test-deepl-key``, 500,000 characters a period)."""
    yield from _serve(FakeDeepL())  # type: ignore[misc]


@pytest.fixture
def openai_server() -> Iterator[FakeOpenAI]:
    """A running :class:`FakeOpenAI` (key ``sk-test-openai-key``; models gpt-4o-mini, deepseek-chat,
    qwen-plus, test-model)."""
    yield from _serve(FakeOpenAI())  # type: ignore[misc]
