"""A tiny OpenAI-compatible chat server on 127.0.0.1, for ``winnow --self-test``.

The test suite's fake servers (``tests/servers``) are not shipped; the installed program still has to
prove that one machine job runs end to end — the official ``openai`` client, its HTTP stack and
certificates bundle, the engine, the ledger — without reaching the network. This server speaks just
enough of the protocol for that: ``POST /v1/chat/completions`` answers the last user message, and
``GET /v1/models`` lists one model.

The answer: when the user message is a JSON object (what the translate task sends), the same object
with ``SELFTEST_PREFIX`` in front of each non-empty text (code blocks stay byte-identical, as the task
checks); otherwise the message itself after the prefix. Tokens are counted as characters.

Standard library only; an ephemeral port; ``with SelfTestServer() as server: server.base_url``.
"""

from __future__ import annotations

import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

MODEL = "winnow-selftest"
API_KEY = "selftest-key"
SELFTEST_PREFIX = "【自检】"


def answer(message: str) -> str:
    """What the server replies to the user message ``message``."""
    try:
        fields = json.loads(message)
    except ValueError:
        return SELFTEST_PREFIX + message
    if not isinstance(fields, dict):
        return SELFTEST_PREFIX + message
    # A fenced code block must come back unchanged; prefixing the field keeps it so.
    replied = {
        key: SELFTEST_PREFIX + value if isinstance(value, str) and value else value for key, value in fields.items()
    }
    return json.dumps(replied, ensure_ascii=False)


class _Handler(BaseHTTPRequestHandler):
    # Keep-alive, as the openai client (httpx) expects of a real server.
    protocol_version = "HTTP/1.1"
    server: _Server

    def log_message(self, format: str, *args: Any) -> None:
        """Quiet: the self-test fails on anything unexpected on stderr, where the default goes."""

    def _send(self, status: int, body: dict[str, Any]) -> None:
        data = json.dumps(body, ensure_ascii=False).encode("utf-8")
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def _error(self, status: int, message: str, code: str | None = None) -> None:
        self._send(
            status, {"error": {"message": message, "type": "invalid_request_error", "param": None, "code": code}}
        )

    def _authorized(self) -> bool:
        if self.headers.get("Authorization") == f"Bearer {API_KEY}":
            return True
        self._error(401, "Incorrect API key provided.", "invalid_api_key")
        return False

    def do_GET(self) -> None:
        if not self._authorized():
            return
        if self.path.rstrip("/") == "/v1/models":
            self._send(200, {"object": "list", "data": [{"id": MODEL, "object": "model", "owned_by": "winnow"}]})
        else:
            self._error(404, f"no route {self.path}")

    def do_POST(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        raw = self.rfile.read(length)
        if not self._authorized():
            return
        if self.path.rstrip("/") != "/v1/chat/completions":
            self._error(404, f"no route {self.path}")
            return
        try:
            body = json.loads(raw)
            messages = body["messages"]
            user = next(m["content"] for m in reversed(messages) if m.get("role") == "user")
        except (ValueError, KeyError, TypeError, StopIteration):
            self._error(400, "expected a JSON body with messages and a user message")
            return
        if body.get("model") != MODEL:
            self._error(404, f"The model `{body.get('model')}` does not exist.", "model_not_found")
            return
        text = answer(user)
        prompt_tokens = sum(len(str(m.get("content", ""))) for m in messages)
        with self.server.lock:
            self.server.completions += 1
            number = self.server.completions
        self._send(
            200,
            {
                "id": f"chatcmpl-selftest-{number}",
                "object": "chat.completion",
                "created": int(time.time()),
                "model": MODEL,
                "choices": [{"index": 0, "message": {"role": "assistant", "content": text}, "finish_reason": "stop"}],
                "usage": {
                    "prompt_tokens": prompt_tokens,
                    "completion_tokens": len(text),
                    "total_tokens": prompt_tokens + len(text),
                },
            },
        )


class _Server(ThreadingHTTPServer):
    # A request thread must never keep the program alive, nor shutdown wait on a kept-alive connection.
    daemon_threads = True
    block_on_close = False

    def __init__(self) -> None:
        super().__init__(("127.0.0.1", 0), _Handler)
        self.lock = threading.Lock()
        self.completions = 0


class SelfTestServer:
    """The server, running on a background thread between ``start`` and ``stop``."""

    def __init__(self) -> None:
        self._server: _Server | None = None
        self._thread: threading.Thread | None = None

    @property
    def base_url(self) -> str:
        """What ``openai.OpenAI(base_url=…)`` takes."""
        if self._server is None:
            raise RuntimeError("the self-test server is not running")
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}/v1"

    @property
    def completions(self) -> int:
        """Chat completions answered so far."""
        return self._server.completions if self._server is not None else 0

    def start(self) -> SelfTestServer:
        self._server = _Server()
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, name="winnow-selftest-server"
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        if self._server is None:
            return
        self._server.shutdown()
        self._server.server_close()
        if self._thread is not None:
            self._thread.join(5)
        self._server = self._thread = None

    def __enter__(self) -> SelfTestServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()
