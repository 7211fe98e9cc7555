"""An OpenAI-compatible chat server for tests, as the official ``openai`` library calls it.

``POST /v1/chat/completions`` answers from the last user message (``回答：<message>``, or with
``response_format={"type": "json_object"}`` the JSON object ``{"reply": "回答：<message>"}``), or with the
next reply a test queued with :meth:`FakeOpenAI.script`. Tokens are counted as characters: prompt
tokens are the characters of every message's content, completion tokens those of the answer, and
``max_tokens`` cuts the answer there with ``finish_reason="length"`` (a truncated JSON object, as a real
model gives). ``GET /v1/models`` lists :attr:`FakeOpenAI.models`.

The Batch API: ``POST /v1/files`` (multipart upload, kept in :attr:`FakeOpenAI.files`), ``POST
/v1/batches`` (``validating``), ``GET /v1/batches/{id}`` (each poll moves it on: ``validating`` →
``in_progress`` → ``completed``; on completion every line of the input file is answered by the same
logic as ``/v1/chat/completions``, 200s into the output file, the others into the error file),
``GET /v1/files/{id}/content``.

Errors as OpenAI sends them: ``{"error": {"message", "type", "param", "code"}}``; 401 for a wrong key,
404 for an unknown model, 400 for a bad body (or for ``response_format`` on a server built with
``json_mode_supported=False``, as some local servers do), 429 with ``code="insufficient_quota"`` for
:class:`~tests.servers.faults.Quota`.
"""

from __future__ import annotations

import itertools
import json
import re
import threading
from collections import deque
from collections.abc import Callable, Mapping
from typing import Any

from tests.servers.faults import Content, FakeServer, Fault, RecordedRequest, Reply

_ERROR_TYPES = {
    400: ("invalid_request_error", None),
    401: ("invalid_request_error", "invalid_api_key"),
    403: ("invalid_request_error", "unsupported_country_region_territory"),
    404: ("invalid_request_error", "model_not_found"),
    429: ("requests", "rate_limit_exceeded"),
    500: ("server_error", None),
    502: ("server_error", None),
    503: ("server_error", None),
}


class FakeOpenAI(FakeServer):
    name = "openai"

    def __init__(
        self,
        *,
        key: str = "sk-test-openai-key",
        models: tuple[str, ...] | None = ("gpt-4o-mini", "deepseek-chat", "qwen-plus", "test-model"),
        json_mode_supported: bool = True,
    ) -> None:
        """``models``: the models the server knows (None: any name is accepted)."""
        super().__init__(key=key)
        self.models = models
        self.json_mode_supported = json_mode_supported
        self._replies: deque[str] = deque()
        self._replies_lock = threading.Lock()
        self.responder: Callable[[list[dict[str, Any]]], str | None] | None = None
        """Answers by request content: called with the request's messages, its text is the reply
        (None: the scripted reply or the default). For concurrent jobs, where queue order is not
        request order."""
        self._ids = itertools.count(1)
        self.files: dict[str, dict[str, Any]] = {}
        """Uploaded and produced files by id: ``filename``, ``purpose``, ``data`` (bytes)."""
        self.batches: dict[str, dict[str, Any]] = {}
        self._batch_ids = itertools.count(1)

    @property
    def base_url(self) -> str:
        """What ``openai.OpenAI(base_url=…)`` takes."""
        return f"{self.url}/v1"

    def script(self, *replies: str) -> None:
        """Queue assistant replies: each chat completion takes the next one, then the default."""
        with self._replies_lock:
            self._replies.extend(replies)

    # -- protocol details

    def is_authorized(self, headers: Mapping[str, str]) -> bool:
        return (headers.get("Authorization") or "") == f"Bearer {self.key}"

    def error_reply(self, status: int, message: str | None = None) -> Reply:
        error_type, code = _ERROR_TYPES.get(
            status, ("server_error" if status >= 500 else "invalid_request_error", None)
        )
        body = {"error": {"message": message or f"Error {status}", "type": error_type, "param": None, "code": code}}
        return Reply(status, body)

    def quota_reply(self) -> Reply:
        message = "You exceeded your current quota, please check your plan and billing details."
        error = {"message": message, "type": "insufficient_quota", "param": None, "code": "insufficient_quota"}
        return Reply(429, {"error": error})

    def unauthorized_reply(self) -> Reply:
        # The real service echoes a masked key; this one says nothing of it at all.
        return self.error_reply(401, "Incorrect API key provided.")

    # -- endpoints

    def handle(self, request: RecordedRequest, fault: Fault | None) -> Reply:
        if request.path == "/v1/chat/completions" and request.method == "POST":
            return self._chat(request.body, fault)
        if request.path == "/v1/models" and request.method == "GET":
            data = [{"id": m, "object": "model", "created": 0, "owned_by": "winnow-test"} for m in self.models or ()]
            return Reply(200, {"object": "list", "data": data})
        if request.path == "/v1/files" and request.method == "POST":
            return self._upload(request)
        if request.path == "/v1/batches" and request.method == "POST":
            return self._create_batch(request.body)
        if request.path.startswith("/v1/batches/") and request.method == "GET":
            return self._poll_batch(request.path.rsplit("/", 1)[1])
        if request.path.startswith("/v1/files/") and request.path.endswith("/content") and request.method == "GET":
            stored = self.files.get(request.path.split("/")[3])
            if stored is None:
                return self.error_reply(404, "No such File object")
            return Reply(200, stored["data"], {"Content-Type": "application/octet-stream"})
        return self.error_reply(404, f"Unknown request URL: {request.method} {request.path}")

    # -- the Batch API

    def _store_file(self, filename: str, purpose: str, data: bytes) -> dict[str, Any]:
        file_id = f"file-{len(self.files) + 1}"
        self.files[file_id] = {"filename": filename, "purpose": purpose, "data": data}
        return {
            "id": file_id,
            "object": "file",
            "bytes": len(data),
            "created_at": 1_700_000_000,
            "filename": filename,
            "purpose": purpose,
            "status": "processed",
        }

    def _upload(self, request: RecordedRequest) -> Reply:
        parts = _multipart(request.body if isinstance(request.body, str) else "")
        if "file" not in parts:
            return self.error_reply(400, "'file' is a required property")
        filename, data = parts["file"]
        purpose = parts.get("purpose", ("", b""))[1].decode()
        if purpose != "batch":
            return self.error_reply(400, f"Invalid purpose: {purpose!r}")
        return Reply(200, self._store_file(filename or "upload.jsonl", purpose, data))

    def _create_batch(self, body: Any) -> Reply:
        if not isinstance(body, dict):
            return self.error_reply(400, "We could not parse the JSON body of your request.")
        if body.get("input_file_id") not in self.files:
            return self.error_reply(400, f"No such File object: {body.get('input_file_id')}")
        if body.get("endpoint") != "/v1/chat/completions" or body.get("completion_window") != "24h":
            return self.error_reply(400, "endpoint must be /v1/chat/completions and completion_window 24h")
        batch_id = f"batch_{next(self._batch_ids)}"
        self.batches[batch_id] = {
            "id": batch_id,
            "object": "batch",
            "endpoint": body["endpoint"],
            "errors": None,
            "input_file_id": body["input_file_id"],
            "completion_window": "24h",
            "status": "validating",
            "output_file_id": None,
            "error_file_id": None,
            "created_at": 1_700_000_000,
            "request_counts": {"total": 0, "completed": 0, "failed": 0},
            "metadata": body.get("metadata"),
        }
        return Reply(200, self.batches[batch_id])

    def _poll_batch(self, batch_id: str) -> Reply:
        batch = self.batches.get(batch_id)
        if batch is None:
            return self.error_reply(404, f"No batch found with id '{batch_id}'.")
        if batch["status"] == "validating":
            lines = self.files[batch["input_file_id"]]["data"].decode().splitlines()
            batch["request_counts"]["total"] = sum(1 for line in lines if line.strip())
            batch["status"] = "in_progress"
        elif batch["status"] == "in_progress":
            self._run_batch(batch)
        return Reply(200, batch)

    def _run_batch(self, batch: dict[str, Any]) -> None:
        output, errors = [], []
        for number, line in enumerate(self.files[batch["input_file_id"]]["data"].decode().splitlines(), 1):
            if not line.strip():
                continue
            request = json.loads(line)
            reply = self._chat(request.get("body"), None)
            result = {
                "id": f"batch_req_{number}",
                "custom_id": request.get("custom_id"),
                "response": {"status_code": reply.status, "request_id": f"req_{number}", "body": reply.body},
                "error": None,
            }
            (output if reply.status == 200 else errors).append(json.dumps(result, ensure_ascii=False))
        counts = batch["request_counts"]
        counts["completed"], counts["failed"] = len(output), len(errors)
        if output:
            batch["output_file_id"] = self._store_file(
                "batch_output.jsonl", "batch_output", ("\n".join(output) + "\n").encode()
            )["id"]
        if errors:
            batch["error_file_id"] = self._store_file(
                "batch_errors.jsonl", "batch_output", ("\n".join(errors) + "\n").encode()
            )["id"]
        batch["status"] = "completed"

    def _chat(self, body: Any, fault: Fault | None) -> Reply:
        if not isinstance(body, dict):
            return self.error_reply(400, "We could not parse the JSON body of your request.")
        model = body.get("model")
        messages = body.get("messages")
        if not model:
            return self.error_reply(400, "you must provide a model parameter")
        if not isinstance(messages, list) or not messages:
            return self.error_reply(400, "'messages' must be a non-empty array")
        if self.models is not None and model not in self.models:
            return self.error_reply(404, f"The model `{model}` does not exist or you do not have access to it.")
        response_format = body.get("response_format") or {}
        json_mode = response_format.get("type") == "json_object"
        if response_format and not self.json_mode_supported:
            return self.error_reply(400, "'response_format' is not supported by this server")

        texts = [_text(message.get("content")) for message in messages if isinstance(message, dict)]
        last_user = next(
            (_text(m.get("content")) for m in reversed(messages) if isinstance(m, dict) and m.get("role") == "user"),
            "",
        )
        finish_reason = "stop"
        if isinstance(fault, Content):
            content, finish_reason = fault.text, fault.finish_reason
        else:
            responder = self.responder
            answered = responder([m for m in messages if isinstance(m, dict)]) if responder else None
            with self._replies_lock:
                scripted = self._replies.popleft() if self._replies and answered is None else None
            if answered is not None:
                content = answered
            elif scripted is not None:
                content = scripted
            elif json_mode:
                content = json.dumps({"reply": f"回答：{last_user}"}, ensure_ascii=False)
            else:
                content = f"回答：{last_user}"
        limit = body.get("max_completion_tokens") or body.get("max_tokens")
        if isinstance(limit, int) and len(content) > limit:
            content, finish_reason = content[:limit], "length"

        prompt_tokens = sum(len(text) for text in texts)
        return Reply(
            200,
            {
                "id": f"chatcmpl-{next(self._ids)}",
                "object": "chat.completion",
                "created": 1_700_000_000,
                "model": model,
                "choices": [
                    {
                        "index": 0,
                        "message": {"role": "assistant", "content": content, "refusal": None},
                        "logprobs": None,
                        "finish_reason": finish_reason,
                    }
                ],
                "usage": {
                    "prompt_tokens": prompt_tokens,
                    "completion_tokens": len(content),
                    "total_tokens": prompt_tokens + len(content),
                },
                "system_fingerprint": None,
            },
        )


def _text(content: Any) -> str:
    """A message's text: a string, or the text parts of a list of parts."""
    if isinstance(content, str):
        return content
    if isinstance(content, list):
        return "".join(part.get("text", "") for part in content if isinstance(part, dict))
    return ""


def _multipart(text: str) -> dict[str, tuple[str, bytes]]:
    """``name: (filename, data)`` of a multipart/form-data body (as the fake's text; UTF-8 content)."""
    first = text.split("\r\n", 1)[0]
    if not first.startswith("--"):
        return {}
    parts: dict[str, tuple[str, bytes]] = {}
    for chunk in text.split(first)[1:]:
        if chunk.startswith("--"):
            break
        head, _, data = chunk.lstrip("\r\n").partition("\r\n\r\n")
        name = re.search(r'name="([^"]*)"', head)
        filename = re.search(r'filename="([^"]*)"', head)
        if name:
            value = data[:-2] if data.endswith("\r\n") else data
            parts[name.group(1)] = (filename.group(1) if filename else "", value.encode())
    return parts
