"""Fault injection and the HTTP server shared by the fake DeepL and OpenAI servers.

A test says what goes wrong and on which request::

    server.inject(RateLimit(retry_after=2))             # the next request gets a 429
    server.inject(Status(503), nth=2, times=3)          # the 2nd, 3rd and 4th requests get a 503
    server.inject(Drop(), path="/v2/translate")         # only requests to that path count
    server.inject(Latency(0.2), times=None)             # every request from now on is 0.2 s slower

``nth`` counts the requests the rule matches (by ``path`` prefix, every path if None) from the
moment the rule was added; the rule fires on ``times`` consecutive matching requests from the nth on
(``times=None``: for ever). When several rules fire on one request the first one added wins.
"""

from __future__ import annotations

import contextlib
import json
import socket
import socketserver
import threading
from collections.abc import Mapping
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, ClassVar, Self
from urllib.parse import parse_qs, urlsplit


class Fault:
    """Base of what a fake server can do instead of (or before) answering normally."""

    def describe(self) -> str:
        return type(self).__name__


@dataclass(frozen=True)
class Latency(Fault):
    """Answer normally, ``seconds`` later (keep it ≤ 0.3 s in tests)."""

    seconds: float


@dataclass(frozen=True)
class Status(Fault):
    """Answer with this HTTP status and the service's usual error body."""

    code: int
    message: str | None = None
    headers: tuple[tuple[str, str], ...] = ()


@dataclass(frozen=True)
class RateLimit(Fault):
    """HTTP 429 with ``Retry-After`` (seconds, as the header's text; None: no header)."""

    retry_after: float | str | None = 1


@dataclass(frozen=True)
class Quota(Fault):
    """The plan is used up: DeepL's 456, OpenAI's 429 with code ``insufficient_quota``."""


@dataclass(frozen=True)
class Drop(Fault):
    """Close the connection without sending a byte of response."""


@dataclass(frozen=True)
class Hang(Fault):
    """Say nothing until the client gives up (or ``seconds`` pass, or the server stops), then drop
    the connection. Use with a short client timeout."""

    seconds: float = 10.0


@dataclass(frozen=True)
class MalformedBody(Fault):
    """HTTP 200 whose body is not valid JSON: ``text`` if given, else the normal answer cut in half
    (a truncated body)."""

    text: str | None = None


@dataclass(frozen=True)
class Content(Fault):
    """OpenAI: answer normally but with this assistant message content (truncated JSON, JSON in
    prose, anything a model might say)."""

    text: str
    finish_reason: str = "stop"


@dataclass(frozen=True)
class AlterIgnored(Fault):
    """DeepL: translate the content of ignored elements too (``<code>…</code>`` comes back changed)."""


@dataclass(frozen=True)
class DropTags(Fault):
    """DeepL: answer normally but without these elements' tags (their text stays), as a careless
    machine translation might: ``DropTags(("i",))`` loses a translated sample's field markers."""

    tags: tuple[str, ...]


@dataclass
class FaultRule:
    fault: Fault
    nth: int = 1
    times: int | None = 1
    path: str | None = None
    seen: int = 0
    fired: int = 0

    def matches(self, path: str) -> bool:
        return self.path is None or path.startswith(self.path)

    def fires(self) -> bool:
        """Count one matching request; True if the fault applies to it."""
        self.seen += 1
        if self.seen < self.nth:
            return False
        return self.times is None or self.seen < self.nth + self.times


@dataclass
class FaultPlan:
    rules: list[FaultRule] = field(default_factory=list)
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def add(self, fault: Fault, *, nth: int = 1, times: int | None = 1, path: str | None = None) -> FaultRule:
        if nth < 1:
            raise ValueError("nth counts from 1")
        rule = FaultRule(fault, nth=nth, times=times, path=path)
        with self._lock:
            self.rules.append(rule)
        return rule

    def take(self, path: str) -> Fault | None:
        """The fault for the request to ``path`` that just arrived, if any."""
        chosen: Fault | None = None
        with self._lock:
            for rule in self.rules:
                if rule.matches(path) and rule.fires() and chosen is None:
                    rule.fired += 1
                    chosen = rule.fault
        return chosen

    def clear(self) -> None:
        with self._lock:
            self.rules.clear()


# --- the server ----------------------------------------------------------------------------------

_SECRET_HEADERS = {"authorization", "api-key", "x-api-key", "proxy-authorization"}


@dataclass(frozen=True)
class RecordedRequest:
    """What a fake server received. Never holds the key: auth headers are left out."""

    number: int
    method: str
    path: str
    query: dict[str, list[str]]
    headers: dict[str, str]
    body: Any
    """Parsed: a dict for JSON, a dict of lists for a form, the text otherwise, None if empty."""
    authorized: bool
    fault: str | None
    """The injected fault this request met, by name."""


@dataclass
class Reply:
    status: int
    body: Any = None
    """JSON-able (sent as JSON), bytes or str (sent as is)."""
    headers: dict[str, str] = field(default_factory=dict)

    def payload(self) -> bytes:
        if isinstance(self.body, bytes):
            return self.body
        if isinstance(self.body, str):
            return self.body.encode("utf-8")
        if self.body is None:
            return b""
        return json.dumps(self.body, ensure_ascii=False).encode("utf-8")


class _HTTPServer(ThreadingHTTPServer):
    # Handler threads are joined on close (block_on_close) instead of being left as daemons, so no
    # thread outlives the test; open keep-alive connections are shut down first so they end.
    daemon_threads = False
    block_on_close = True
    # The default backlog of 5 drops connections when 16–64 clients connect at once (seen in
    # bench_workers as a 1 s stall); real services accept far more.
    request_queue_size = 128

    def __init__(self, fake: FakeServer) -> None:
        self.fake = fake
        self.connections: set[socket.socket] = set()
        self.connections_lock = threading.Lock()
        super().__init__(("127.0.0.1", 0), _Handler)

    def process_request(self, request, client_address) -> None:  # type: ignore[override]
        with self.connections_lock:
            self.connections.add(request)
        vars(self).setdefault("_threads", socketserver._Threads())  # type: ignore[attr-defined]
        thread = threading.Thread(
            target=self.process_request_thread,
            args=(request, client_address),
            name=f"winnow-test-server-{self.fake.name}-handler",
        )
        thread.daemon = False
        self._threads.append(thread)  # type: ignore[attr-defined]
        thread.start()

    def shutdown_request(self, request) -> None:  # type: ignore[override]
        with self.connections_lock:
            self.connections.discard(request)
        super().shutdown_request(request)

    def handle_error(self, request, client_address) -> None:  # type: ignore[override]
        import sys
        import traceback

        error = sys.exc_info()[1]
        if isinstance(error, ConnectionError | TimeoutError):
            return  # the client went away (timed out, or a fault dropped it): not the server's bug
        self.fake.errors.append("".join(traceback.format_exc()))


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # keep-alive, as the real services and both client libraries use
    # Headers and body go out in two writes; with Nagle's algorithm and the client's delayed ACK
    # the body then waits ~40 ms on keep-alive connections, which real services do not do.
    disable_nagle_algorithm = True
    server_version = "WinnowFake/1"
    timeout = 10  # a stuck connection cannot keep a handler thread for ever
    server: _HTTPServer

    def log_message(self, format: str, *args: Any) -> None:
        pass

    def do_GET(self) -> None:
        self._dispatch()

    def do_POST(self) -> None:
        self._dispatch()

    def do_DELETE(self) -> None:
        self._dispatch()

    def _dispatch(self) -> None:
        fake = self.server.fake
        split = urlsplit(self.path)
        raw = self.rfile.read(int(self.headers.get("Content-Length") or 0))
        body = _parse_body(raw, self.headers.get("Content-Type", ""))
        fault = fake.faults.take(split.path)
        record = fake._record(
            method=self.command,
            path=split.path,
            query=parse_qs(split.query),
            headers=self.headers,
            body=body,
            fault=fault,
        )

        if isinstance(fault, Latency):
            fake.stopping.wait(fault.seconds)
        elif isinstance(fault, Hang):
            fake.stopping.wait(fault.seconds)
            self._drop()
            return
        elif isinstance(fault, Drop):
            self._drop()
            return

        if isinstance(fault, Status):
            reply = fake.error_reply(fault.code, fault.message)
            reply.headers.update(dict(fault.headers))
        elif isinstance(fault, RateLimit):
            reply = fake.error_reply(429, "Too many requests")
            if fault.retry_after is not None:
                reply.headers["Retry-After"] = str(fault.retry_after)
        elif isinstance(fault, Quota):
            reply = fake.quota_reply()
        elif not record.authorized:
            reply = fake.unauthorized_reply()
        else:
            reply = fake.handle(record, fault)

        payload = reply.payload()
        if isinstance(fault, MalformedBody):
            if fault.text is not None:
                payload = fault.text.encode("utf-8")
            else:  # cut in half on a character boundary: still UTF-8, no longer JSON
                text = payload.decode("utf-8")
                payload = text[: len(text) // 2].encode("utf-8")
        self.send_response(reply.status)
        content_type = "application/json" if not isinstance(reply.body, str | bytes) else "text/plain"
        if isinstance(fault, MalformedBody):
            content_type = "application/json"
        self.send_header("Content-Type", content_type + "; charset=utf-8")
        self.send_header("Content-Length", str(len(payload)))
        for name, value in reply.headers.items():
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(payload)

    def _drop(self) -> None:
        self.close_connection = True
        with contextlib.suppress(OSError):
            self.connection.shutdown(socket.SHUT_RDWR)


def _parse_body(raw: bytes, content_type: str) -> Any:
    if not raw:
        return None
    text = raw.decode("utf-8", errors="replace")
    if "json" in content_type:
        try:
            return json.loads(text)
        except ValueError:
            return text
    if "x-www-form-urlencoded" in content_type:
        return parse_qs(text, keep_blank_values=True)
    return text


class FakeServer:
    """A service speaking HTTP on 127.0.0.1 (a free port), in a thread named ``winnow-test-server-…``.

    Use as a context manager (``with FakeDeepL() as server: …``) or start()/stop(). Subclasses answer
    the endpoints (:meth:`handle`) and say what their errors look like.
    """

    name: ClassVar[str] = "fake"

    def __init__(self, *, key: str) -> None:
        self.key = key
        self.faults = FaultPlan()
        self.requests: list[RecordedRequest] = []
        self.errors: list[str] = []
        """Tracebacks of exceptions in the server's own code (a test should find none)."""
        self.stopping = threading.Event()
        self._lock = threading.Lock()
        self._arrived = threading.Condition(self._lock)
        self._httpd: _HTTPServer | None = None
        self._thread: threading.Thread | None = None

    # lifecycle

    def start(self) -> Self:
        if self._httpd is not None:
            raise RuntimeError("already started")
        self.stopping.clear()
        self._httpd = _HTTPServer(self)
        self._thread = threading.Thread(
            target=self._httpd.serve_forever,
            kwargs={"poll_interval": 0.05},
            name=f"winnow-test-server-{self.name}",
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        httpd, thread = self._httpd, self._thread
        if httpd is None or thread is None:
            return
        self.stopping.set()  # releases Hang and Latency at once
        httpd.shutdown()
        thread.join()
        with httpd.connections_lock:
            open_connections = list(httpd.connections)
        for connection in open_connections:  # idle keep-alive connections: end their handlers
            with contextlib.suppress(OSError):
                connection.shutdown(socket.SHUT_RDWR)
        httpd.server_close()  # joins every handler thread
        self._httpd = self._thread = None

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    @property
    def url(self) -> str:
        """``http://127.0.0.1:PORT`` (no trailing slash)."""
        if self._httpd is None:
            raise RuntimeError("not started")
        host, port = self._httpd.server_address[:2]
        return f"http://{host}:{port}"

    # faults and records

    def inject(self, fault: Fault, *, nth: int = 1, times: int | None = 1, path: str | None = None) -> FaultRule:
        """Make the ``nth`` matching request from now (and ``times`` in all) meet ``fault``."""
        return self.faults.add(fault, nth=nth, times=times, path=path)

    def requests_to(self, path: str, method: str | None = None) -> list[RecordedRequest]:
        with self._lock:
            return [r for r in self.requests if r.path == path and (method is None or r.method == method)]

    def repeated_bodies(self, path: str) -> list[Any]:
        """Bodies that reached ``path`` more than once (a test asserts none did: nothing paid twice)."""
        seen: dict[str, int] = {}
        bodies: dict[str, Any] = {}
        for record in self.requests_to(path):
            canonical = json.dumps(record.body, ensure_ascii=False, sort_keys=True, default=str)
            seen[canonical] = seen.get(canonical, 0) + 1
            bodies[canonical] = record.body
        return [bodies[canonical] for canonical, count in seen.items() if count > 1]

    def recorded_json(self) -> str:
        """Every recorded request as JSON: what a test would store or print (never holds the key)."""
        with self._lock:
            records = [r.__dict__ for r in self.requests]
        return json.dumps(records, ensure_ascii=False, default=str)

    def _record(
        self, *, method: str, path: str, query: dict, headers: Mapping[str, str], body: Any, fault: Fault | None
    ) -> RecordedRequest:
        kept = {
            name: value
            for name, value in headers.items()
            if name.lower() not in _SECRET_HEADERS and (not self.key or self.key not in value)
        }
        with self._lock:
            record = RecordedRequest(
                number=len(self.requests) + 1,
                method=method,
                path=path,
                query=query,
                headers=kept,
                body=body,
                authorized=self.is_authorized(headers),
                fault=fault.describe() if fault is not None else None,
            )
            self.requests.append(record)
            self._arrived.notify_all()
        return record

    def wait_for_requests(self, count: int, timeout: float = 5.0) -> bool:
        """Block until ``count`` requests have arrived (True) or ``timeout`` passes (False)."""
        with self._arrived:
            return self._arrived.wait_for(lambda: len(self.requests) >= count, timeout)

    # what subclasses say

    def is_authorized(self, headers: Mapping[str, str]) -> bool:
        raise NotImplementedError

    def handle(self, request: RecordedRequest, fault: Fault | None) -> Reply:
        raise NotImplementedError

    def error_reply(self, status: int, message: str | None = None) -> Reply:
        raise NotImplementedError

    def quota_reply(self) -> Reply:
        raise NotImplementedError

    def unauthorized_reply(self) -> Reply:
        raise NotImplementedError
