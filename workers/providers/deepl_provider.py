"""DeepL through the official ``deepl`` library.

One :class:`TranslationRequest` is one ``POST /v2/translate`` with all its texts (at most 50, DeepL's
limit): the engine's ledger counts one request as one call, so nothing is split or retried here. The
library's own retries (5 by default, with up to two minutes of backoff) are off and its timeout is the
provider's: the engine retries, honouring ``Retry-After``, and records each attempt.

Texts carry XML tags (``tag_handling="xml"``); the content of ``ignore_tags`` elements (code blocks,
inline code, placeholders) must come back byte for byte and in the same order, else the answer is a
:class:`BadResponse` naming what changed.
"""

from __future__ import annotations

import logging
import re
import threading
from typing import Any

import deepl
import deepl.http_client
import requests
import requests.adapters

from app.tasks.chat_json import cut
from workers.providers.base import (
    AuthenticationFailed,
    BadResponse,
    ProviderError,
    ProviderResult,
    QuotaExceeded,
    RateLimited,
    RequestRejected,
    TransientError,
    TranslationRequest,
)

log = logging.getLogger("winnow.providers.deepl")

MAX_TEXTS = 50
"""DeepL takes at most 50 texts in one request."""

_REQUEST_DEFAULTS = TranslationRequest(texts=())


MAX_CONNECTIONS = 64
"""Connections kept open to the DeepL server: the most requests a job has in flight at once."""


class _SingleAttemptHttpClient(deepl.http_client.HttpClient):
    """The library's HTTP client with one attempt per call and our timeout.

    ``deepl.http_client.max_network_retries`` and ``min_connection_timeout`` are module globals (one
    value for every translator in the process), and the timeout is never shorter than the first backoff
    interval (1 s); this client sends each request once with this provider's own timeout instead. It
    also keeps the ``Retry-After`` of the last 429 per thread, which the library drops.
    """

    def __init__(self, timeout: float, server_url: str) -> None:
        super().__init__(send_platform_info=False)
        self._timeout = timeout
        self._last = threading.local()
        # requests keeps 10 connections per host by default: with more requests in flight, the
        # rest would open a new connection for each request and throw it away after.
        adapter = requests.adapters.HTTPAdapter(pool_maxsize=MAX_CONNECTIONS)
        self._session.mount("https://", adapter)
        self._session.mount("http://", adapter)
        self._session.trust_env, self._session.proxies = False, environment_proxies(server_url)

    def _remember_retry_after(self, response: requests.Response, *args: Any, **kwargs: Any) -> None:
        self._last.retry_after = response.headers.get("Retry-After") if response.status_code == 429 else None

    def last_retry_after(self) -> float | None:
        return _seconds(getattr(self._last, "retry_after", None))

    def request_with_backoff(self, method, url, data, json, headers, stream=False, **kwargs):  # type: ignore[override]
        self._last.retry_after = None
        # The library prepares requests outside the session, so a hook goes on each request.
        kwargs["hooks"] = {"response": [self._remember_retry_after]}
        request = self._prepare_request(method, url, data, json, headers, **kwargs)
        return self._internal_request(request, stream=stream, timeout=self._timeout)


def environment_proxies(server_url: str) -> dict[str, str]:
    """The proxies the environment (HTTPS_PROXY, NO_PROXY…) sets for this one server, read once.

    requests reads them again for every request, walking and decoding the whole environment: a
    tenth of all the Python work of a job answering hundreds of requests a second, done while
    holding the GIL the window needs. One provider talks to one server, so once is the same answer.
    """
    return requests.utils.get_environ_proxies(server_url)


class DeepLProvider:
    """Translations by DeepL.

    ``source_lang``, ``target_lang``, ``formality`` and ``glossary_id`` are the job's settings; a
    request that sets one of them to something other than :class:`TranslationRequest`'s default
    overrides it for that request (both are part of the cache key, so either way the cache is right).
    """

    name = "deepl"

    def __init__(
        self,
        auth_key: str,
        *,
        server_url: str | None = None,
        source_lang: str = "EN",
        target_lang: str = "ZH-HANS",
        formality: str | None = None,
        glossary_id: str | None = None,
        timeout: float = 30.0,
    ) -> None:
        if not auth_key:
            raise AuthenticationFailed("No DeepL key: enter one in the DeepL settings.")
        self.model = "deepl-free" if auth_key.endswith(":fx") else "deepl-pro"
        self.source_lang = source_lang
        self.target_lang = target_lang
        self.formality = formality
        self.glossary_id = glossary_id
        self.timeout = timeout
        # The engine retries, so the library must not: our client sends each request once, leaving the
        # module-wide deepl.http_client.max_network_retries alone for anyone else in the process.
        self._translator = deepl.Translator(auth_key, server_url=server_url, send_platform_info=False)
        self._translator._client.close()
        self._client = _SingleAttemptHttpClient(timeout, self._translator.server_url)
        self._translator._client = self._client

    def cache_identity(self) -> dict[str, Any]:
        return {
            "engine": "deepl",
            "source_lang": self.source_lang,
            "target_lang": self.target_lang,
            "formality": self.formality,
            "glossary_id": self.glossary_id,
            "tag_handling": "xml",
            "split_sentences": "nonewlines",
        }

    def execute(self, request: TranslationRequest) -> ProviderResult:  # type: ignore[override]
        each = self.translate_each(request)
        for outcome in each:
            if isinstance(outcome, ProviderError):
                raise outcome
        results = [outcome for outcome in each if isinstance(outcome, ProviderResult)]
        detected = sorted({lang for r in results for lang in r.raw.get("detected_source_lang", ())})
        return ProviderResult(
            output=tuple(r.output for r in results),
            characters=sum(r.characters for r in results),
            raw={"detected_source_lang": detected, "model": self.model, "target_lang": self._target(request)},
        )

    def translate_each(self, request: TranslationRequest) -> list[ProviderResult | BadResponse]:
        """One request for all the texts, judged text by text: per text, its translation (``output`` the
        text, ``characters`` what DeepL billed for it) or the :class:`BadResponse` of that text alone (an
        ignored element changed). What concerns the whole request (HTTP errors, a short answer) raises.
        The engine uses this to send many samples in one request and fail only the one that went wrong."""
        if not isinstance(request, TranslationRequest):
            raise TypeError(f"DeepL translates TranslationRequest, not {type(request).__name__}")
        if len(request.texts) > MAX_TEXTS:
            raise RequestRejected(f"DeepL takes at most {MAX_TEXTS} texts in one request, not {len(request.texts)}.")
        target = self._target(request)
        # DeepL refuses empty texts; they translate to themselves and cost nothing.
        positions = [i for i, text in enumerate(request.texts) if text.strip()]
        out: list[ProviderResult | BadResponse] = [
            ProviderResult(output=text, characters=0, raw={"model": self.model, "target_lang": target})
            for text in request.texts
        ]
        if not positions:
            return out

        sent = [request.texts[i] for i in positions]
        with self._mapped_errors():
            results = self._translator.translate_text(
                sent,
                source_lang=self._setting(request, "source_lang"),
                target_lang=target,
                formality=self._setting(request, "formality"),
                glossary=self._setting(request, "glossary_id"),
                tag_handling="xml",
                ignore_tags=list(request.ignore_tags) or None,
                # The tags in our texts are ours, not a document outline to guess from; sentences
                # split on punctuation only, so code and lists spanning lines stay whole.
                outline_detection=False,
                split_sentences="nonewlines",
            )
        if not isinstance(results, list) or len(results) != len(sent):
            count = len(results) if isinstance(results, list) else 1
            raise TransientError(
                f"DeepL answered {count} translations for {len(sent)} texts (the answer was cut off or not JSON)."
            )
        for position, source_text, result in zip(positions, sent, results, strict=True):
            try:
                check_ignored_unchanged(source_text, result.text, request.ignore_tags, index=position)
            except BadResponse as error:
                out[position] = error
                continue
            detected = [result.detected_source_lang] if result.detected_source_lang else []
            out[position] = ProviderResult(
                output=result.text,
                characters=result.billed_characters or 0,
                raw={"detected_source_lang": detected, "model": self.model, "target_lang": target},
            )
        return out

    def usage(self) -> tuple[int | None, int | None]:
        """Characters used and allowed in this billing period (None where DeepL does not say)."""
        with self._mapped_errors():
            character = self._translator.get_usage().character
        return character.count, character.limit

    def close(self) -> None:
        self._translator.close()

    # --

    def _setting(self, request: TranslationRequest, name: str) -> Any:
        value = getattr(request, name)
        return value if value != getattr(_REQUEST_DEFAULTS, name) else getattr(self, name)

    def _target(self, request: TranslationRequest) -> str:
        return self._setting(request, "target_lang")

    def _mapped_errors(self) -> _ErrorMapper:
        return _ErrorMapper(self._client)


class _ErrorMapper:
    """Turns what the library raises into the provider errors the engine acts on."""

    def __init__(self, client: _SingleAttemptHttpClient) -> None:
        self._client = client

    def __enter__(self) -> None:
        return None

    def __exit__(self, kind: type[BaseException] | None, error: BaseException | None, tb: object) -> bool:
        if error is None or isinstance(error, ProviderError) or not isinstance(error, Exception):
            return False
        mapped = _map_error(error, self._client.last_retry_after())
        if mapped is None:
            return False
        log.info("DeepL: %s: %s", type(error).__name__, error)
        raise mapped from error


def _map_error(error: Exception, retry_after: float | None) -> ProviderError | None:
    if isinstance(error, deepl.QuotaExceededException):
        return QuotaExceeded("The DeepL character quota for this billing period is used up.")
    if isinstance(error, deepl.AuthorizationException):
        return AuthenticationFailed(
            "DeepL refused the key: check it, and that a free key (ending in :fx) is used with DeepL API Free."
        )
    if isinstance(error, deepl.TooManyRequestsException):
        return RateLimited("DeepL: too many requests.", retry_after=retry_after)
    if isinstance(error, deepl.ConnectionException):
        return TransientError(f"Could not reach DeepL: {error}")
    if isinstance(error, deepl.DeepLException):
        status = error.http_status_code
        if status is not None and (status >= 500 or status in (408, 409)):
            return TransientError(f"DeepL is not answering properly (HTTP {status}).")
        return RequestRejected(f"DeepL refused the request: {error}")
    if isinstance(error, ValueError):  # the library's own checks of the arguments
        return RequestRejected(f"DeepL request not valid: {error}")
    if isinstance(error, TypeError | KeyError | AttributeError):  # a 200 whose JSON lacks what it should have
        return BadResponse(f"DeepL's answer could not be read: {error}")
    return None


def _seconds(value: str | None) -> float | None:
    if value is None:
        return None
    try:
        seconds = float(value)
    except ValueError:
        import email.utils
        import time

        try:
            when = email.utils.parsedate_to_datetime(value)
        except (TypeError, ValueError):
            return None
        seconds = when.timestamp() - time.time()
    return max(0.0, seconds)


# --- ignored elements must come back byte for byte ------------------------------------------------

_TAG = re.compile(r"<\s*(/?)\s*([A-Za-z_][\w.:-]*)[^<>]*?(/?)\s*>")


def ignored_elements(text: str, ignore_tags: tuple[str, ...] | list[str]) -> list[str]:
    """Every outermost element of ``ignore_tags`` in ``text`` (``<code>…</code>``, ``<x/>``), as written."""
    wanted = set(ignore_tags)
    found: list[str] = []
    start = 0
    open_name: str | None = None
    depth = 0
    for match in _TAG.finditer(text):
        closing, name, self_closing = match.group(1) == "/", match.group(2), match.group(3) == "/"
        if open_name is None:
            if name not in wanted or closing:
                continue
            if self_closing:
                found.append(match.group(0))
                continue
            open_name, depth, start = name, 1, match.start()
        elif name == open_name and not self_closing:
            depth += -1 if closing else 1
            if depth == 0:
                found.append(text[start : match.end()])
                open_name = None
    if open_name is not None:  # never closed: keep the rest as written, so a change to it shows
        found.append(text[start:])
    return found


def check_ignored_unchanged(source: str, translated: str, ignore_tags: tuple[str, ...], *, index: int = 0) -> None:
    """Raise :class:`BadResponse` naming the first ignored element that did not come back unchanged."""
    if not ignore_tags:
        return
    before = ignored_elements(source, ignore_tags)
    after = ignored_elements(translated, ignore_tags)
    for number, (old, new) in enumerate(zip(before, after, strict=False), start=1):
        if old != new:
            raise BadResponse(
                f"Text {index + 1}: protected element {number} changed in translation: "
                f"{cut(old, fold=False)!r} became {cut(new, fold=False)!r}."
            )
    if len(before) != len(after):
        raise BadResponse(
            f"Text {index + 1}: {len(before)} protected elements ({', '.join(ignore_tags)}) were sent, "
            f"{len(after)} came back."
        )
