"""Any OpenAI-compatible chat server (OpenAI, DeepSeek, Qwen/DashScope, vLLM, Ollama, llama.cpp) through
the official ``openai`` library with ``base_url``.

One :class:`ChatRequest` is one ``POST /chat/completions``. The library's retries are off
(``max_retries=0``) and the timeout is explicit (its default is 600 s): the engine retries, honouring
``Retry-After``, and records each attempt.
"""

from __future__ import annotations

import email.utils
import logging
import time
from typing import Any

import openai

from app.tasks.chat_json import repaired_json_object
from workers.providers.base import (
    AuthenticationFailed,
    BadResponse,
    ChatRequest,
    ProviderError,
    ProviderResult,
    QuotaExceeded,
    RateLimited,
    RequestRejected,
    TransientError,
)

log = logging.getLogger("winnow.providers.openai")

NO_KEY = "no-key"
"""Sent to local servers that need no key (the library insists on one)."""


class OpenAIProvider:
    """Chat completions from ``model`` at ``base_url``."""

    def __init__(
        self,
        base_url: str,
        model: str,
        api_key: str | None,
        *,
        temperature: float | None = None,
        max_tokens: int | None = None,
        timeout: float = 60.0,
        json_mode_supported: bool = True,
        price_per_1k_prompt: float = 0.0,
        price_per_1k_completion: float = 0.0,
    ) -> None:
        """``temperature`` and ``max_tokens``: the job's settings, used where the request leaves them at
        :class:`ChatRequest`'s defaults. Prices are per 1,000 tokens, in the currency the user chose."""
        if not model:
            raise RequestRejected("No model name: choose the model the server should use.")
        self.base_url = base_url
        self.model = model
        self.name = f"llm:{model}"
        self.temperature = temperature
        self.max_tokens = max_tokens
        self.timeout = timeout
        self.json_mode_supported = json_mode_supported
        self.price_per_1k_prompt = price_per_1k_prompt
        self.price_per_1k_completion = price_per_1k_completion
        self._client = openai.OpenAI(
            base_url=base_url,
            api_key=api_key or NO_KEY,
            timeout=timeout,
            max_retries=0,
        )

    @classmethod
    def from_preset(cls, preset: Any, api_key: str | None, **overrides: Any) -> OpenAIProvider:
        """A provider for a :class:`workers.providers.presets.Preset`; keyword arguments override it."""
        settings: dict[str, Any] = {
            "base_url": preset.base_url,
            "model": preset.model,
            "json_mode_supported": preset.json_mode,
            "price_per_1k_prompt": preset.price_per_1k_prompt,
            "price_per_1k_completion": preset.price_per_1k_completion,
        }
        settings.update(overrides)
        return cls(api_key=api_key, **settings)

    def cache_identity(self) -> dict[str, Any]:
        return {
            "engine": "openai-compatible",
            "base_url": self.base_url,
            "model": self.model,
            "temperature": self.temperature,
            "max_tokens": self.max_tokens,
            "json_mode": self.json_mode_supported,
        }

    def execute(self, request: ChatRequest) -> ProviderResult:  # type: ignore[override]
        if not isinstance(request, ChatRequest):
            raise TypeError(f"an OpenAI-compatible server answers ChatRequest, not {type(request).__name__}")
        arguments: dict[str, Any] = {
            "model": self.model,
            "messages": [{"role": role, "content": content} for role, content in request.messages],
        }
        temperature = request.temperature if request.temperature != _DEFAULTS.temperature else self.temperature
        if temperature is None:
            temperature = request.temperature
        arguments["temperature"] = temperature
        max_tokens = request.max_tokens if request.max_tokens is not None else self.max_tokens
        if max_tokens is not None:
            arguments["max_tokens"] = max_tokens
        if request.json_mode and self.json_mode_supported:
            arguments["response_format"] = {"type": "json_object"}

        try:
            completion = self._client.chat.completions.create(**arguments)
        except Exception as error:
            mapped = map_openai_error(error)
            if mapped is None:
                raise
            log.info("%s: %s: %s", self.name, type(error).__name__, error)
            raise mapped from error

        if not completion.choices:
            raise BadResponse(f"{self.model} answered with no choices.")
        choice = completion.choices[0]
        message = choice.message
        if choice.finish_reason == "content_filter":
            raise RequestRejected(f"{self.model}'s content filter refused this input.")
        if message.content is None:
            refusal = getattr(message, "refusal", None)
            if refusal:
                raise RequestRejected(f"{self.model} refused: {refusal}")
            raise BadResponse(f"{self.model} answered with no text.")
        usage = completion.usage
        prompt_tokens = usage.prompt_tokens if usage else 0
        completion_tokens = usage.completion_tokens if usage else 0
        cost = (prompt_tokens * self.price_per_1k_prompt + completion_tokens * self.price_per_1k_completion) / 1000
        return ProviderResult(
            output=message.content,
            prompt_tokens=prompt_tokens,
            completion_tokens=completion_tokens,
            cost=cost,
            raw={"model": completion.model, "finish_reason": choice.finish_reason, "id": completion.id},
        )

    def list_models(self) -> list[str]:
        """The model names the server offers (to fill a chooser, or check a key and URL)."""
        try:
            return [model.id for model in self._client.models.list()]
        except Exception as error:
            mapped = map_openai_error(error)
            if mapped is None:
                raise
            raise mapped from error

    def close(self) -> None:
        self._client.close()


_DEFAULTS = ChatRequest(messages=())


def map_openai_error(error: Exception) -> ProviderError | None:
    """The provider error for what the ``openai`` library raised (None: not the service's doing)."""
    if isinstance(error, ProviderError):
        return error
    if isinstance(error, openai.RateLimitError):
        if _error_code(error) == "insufficient_quota":
            return QuotaExceeded("The account's quota or balance is used up: check the plan and billing.")
        return RateLimited("Too many requests.", retry_after=retry_after_seconds(error.response.headers))
    if isinstance(error, openai.APITimeoutError):
        return TransientError("The server did not answer in time.")
    if isinstance(error, openai.APIConnectionError):
        return TransientError(f"Could not reach the server: {error}")
    if isinstance(error, openai.InternalServerError):
        return TransientError(f"The server failed (HTTP {error.status_code}).")
    if isinstance(error, openai.AuthenticationError | openai.PermissionDeniedError):
        return AuthenticationFailed(f"The server refused the key (HTTP {error.status_code}): check the key.")
    if isinstance(error, openai.NotFoundError):
        # Every request would fail the same way: stop the job rather than fail each item.
        return AuthenticationFailed(f"The server does not know this model or address (HTTP 404): {error.message}")
    if isinstance(error, openai.BadRequestError | openai.UnprocessableEntityError):
        return RequestRejected(f"The server refused the request: {error.message}")
    if isinstance(error, openai.APIStatusError):
        if error.status_code in (408, 409) or error.status_code >= 500:
            return TransientError(f"The server failed (HTTP {error.status_code}).")
        return RequestRejected(f"The server refused the request (HTTP {error.status_code}): {error.message}")
    if isinstance(error, openai.APIResponseValidationError):
        return BadResponse(f"The server's answer is not a chat completion: {error.message}")
    if isinstance(error, ValueError):
        # A 200 whose body is not JSON (json.JSONDecodeError, a cut UTF-8 sequence): most often cut off
        # on the way, so worth another try.
        return TransientError(f"The server's answer was cut off or not JSON: {error}")
    return None


def _error_code(error: openai.APIStatusError) -> str | None:
    if error.code:
        return str(error.code)
    body = error.body
    if isinstance(body, dict):
        return body.get("type") or body.get("code")
    return None


def retry_after_seconds(headers: Any) -> float | None:
    """Seconds to wait from ``retry-after-ms`` or ``Retry-After`` (seconds or an HTTP date)."""
    if headers is None:
        return None
    milliseconds = headers.get("retry-after-ms")
    if milliseconds is not None:
        try:
            return max(0.0, float(milliseconds) / 1000)
        except ValueError:
            pass
    value = headers.get("retry-after")
    if value is None:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return max(0.0, when.timestamp() - time.time())


def parse_json(text: str) -> dict[str, Any]:
    """The JSON object in a model's answer: as is, else out of a ``` fence, else repaired (cut off at
    max_tokens, trailing commas, single quotes…) by json_repair. Raises :class:`BadResponse` if what
    remains is not a JSON object (:func:`app.tasks.chat_json.repaired_json_object`)."""
    try:
        return repaired_json_object(text)
    except ValueError as error:
        raise BadResponse(str(error)) from error
