"""A DeepL API v2 server for tests, as the official ``deepl`` library calls it.

It "translates" deterministically: every run of text outside tags becomes ``[ZH]`` followed by the
text with a few English words mapped to Chinese (``Hello world`` → ``[ZH]你好 世界``). With
``tag_handling=xml`` tags are kept byte for byte and the content of ``ignore_tags`` elements is not
touched — unless the test injects :class:`~tests.servers.faults.AlterIgnored`. Without
``tag_handling`` the tags are text like any other, as with the real service.

Endpoints: ``POST /v2/translate`` (JSON or form body), ``GET|POST /v2/usage``, ``GET /v2/languages``,
``/v2/glossaries`` (create, list, get, entries, delete). Errors as DeepL sends them: 400 with a
``message``, 403 for a wrong key (or a key for the other host with ``host="free"|"pro"``), 404 for an
unknown glossary, 456 when the character limit is reached.
"""

from __future__ import annotations

import re
import threading
import uuid
from collections.abc import Mapping
from typing import Any

from tests.servers.faults import AlterIgnored, DropTags, FakeServer, Fault, RecordedRequest, Reply

MAX_TEXTS = 50

WORDS = {
    "hello": "你好",
    "world": "世界",
    "translate": "翻译",
    "translation": "翻译",
    "the": "这",
    "this": "这个",
    "is": "是",
    "a": "一个",
    "and": "和",
    "code": "代码",
    "function": "函数",
    "write": "写",
    "please": "请",
    "sentence": "句子",
    "instruction": "指令",
    "input": "输入",
    "output": "输出",
    "answer": "回答",
    "question": "问题",
    "example": "例子",
    "number": "数字",
    "numbers": "数字",
    "list": "列表",
    "return": "返回",
    "returns": "返回",
    "string": "字符串",
    "good": "好",
    "morning": "早上",
    "use": "使用",
    "explain": "解释",
    "what": "什么",
    "does": "做",
    "do": "做",
    "of": "的",
    "sum": "总和",
    "two": "两个",
}

_TAG = re.compile(r"(<[^<>]*>)")
_TAG_NAME = re.compile(r"<\s*(/?)\s*([A-Za-z_][\w.:-]*)")
_WORD = re.compile(r"[A-Za-z]+")


class FakeDeepL(FakeServer):
    name = "deepl"

    def __init__(
        self,
        *,
        key: str = "test-deepl-key",
        character_limit: int = 500_000,
        host: str | None = None,
    ) -> None:
        """``host``: None accepts any key; "free" refuses keys without ``:fx`` and "pro" keys with
        it (403, as the real hosts do)."""
        super().__init__(key=key)
        self.character_limit = character_limit
        self.character_count = 0
        self.host = host
        self.glossaries: dict[str, dict[str, Any]] = {}
        self._usage_lock = threading.Lock()

    # -- protocol details

    def is_authorized(self, headers: Mapping[str, str]) -> bool:
        value = headers.get("Authorization") or ""
        if value != f"DeepL-Auth-Key {self.key}":
            return False
        free_key = self.key.endswith(":fx")
        return self.host is None or (self.host == "free") == free_key

    def error_reply(self, status: int, message: str | None = None) -> Reply:
        return Reply(status, {"message": message or _REASONS.get(status, "Error")})

    def quota_reply(self) -> Reply:
        return Reply(456, {"message": "Quota Exceeded"})

    def unauthorized_reply(self) -> Reply:
        if self.host is not None:
            return Reply(403, {"message": "Wrong endpoint. Use the host your key belongs to."})
        return Reply(403, {"message": "Authorization failed"})

    # -- endpoints

    def handle(self, request: RecordedRequest, fault: Fault | None) -> Reply:
        path, method = request.path, request.method
        if path == "/v2/translate" and method == "POST":
            reply = self._translate(_fields(request.body), alter_ignored=isinstance(fault, AlterIgnored))
            return _without_tags(reply, fault.tags) if isinstance(fault, DropTags) else reply
        if path == "/v2/usage" and method in ("GET", "POST"):
            with self._usage_lock:
                return Reply(200, {"character_count": self.character_count, "character_limit": self.character_limit})
        if path == "/v2/languages" and method == "GET":
            return Reply(200, _LANGUAGES)
        if path.startswith("/v2/glossaries"):
            return self._glossaries(method, path, _fields(request.body))
        return self.error_reply(404, "Not found")

    def _translate(self, fields: dict[str, Any], *, alter_ignored: bool) -> Reply:
        texts = fields.get("text")
        if isinstance(texts, str):
            texts = [texts]
        if not texts or not isinstance(texts, list):
            return self.error_reply(400, "Parameter 'text' not specified.")
        if len(texts) > MAX_TEXTS:
            return self.error_reply(400, f"Too many texts: at most {MAX_TEXTS} per request.")
        target = str(_one(fields.get("target_lang")) or "").upper()
        if not target:
            return self.error_reply(400, "Parameter 'target_lang' not specified.")
        source = str(_one(fields.get("source_lang")) or "").upper() or None
        formality = _one(fields.get("formality"))
        if formality in ("more", "less") and target.startswith(("ZH", "EN")):
            return self.error_reply(400, "'formality' is not supported for given 'target_lang'.")
        entries: dict[str, str] = {}
        glossary_id = _one(fields.get("glossary_id"))
        if glossary_id:
            glossary = self.glossaries.get(glossary_id)
            if glossary is None:
                return self.error_reply(404, "Glossary not found")
            if source is None:
                return self.error_reply(400, "Use of a glossary requires the 'source_lang' parameter.")
            entries = glossary["entries"]
        tagged = _one(fields.get("tag_handling")) in ("xml", "html")
        ignore = fields.get("ignore_tags") or []
        if isinstance(ignore, str):
            ignore = [ignore]
        ignore_tags = {tag.strip() for item in ignore for tag in str(item).split(",") if tag.strip()}

        billed = sum(len(text) for text in texts)
        with self._usage_lock:
            if self.character_count + billed > self.character_limit:
                return self.quota_reply()
            self.character_count += billed
        translations = [
            {
                "detected_source_language": source or "EN",
                "text": translate(
                    text, tagged=tagged, ignore_tags=ignore_tags, entries=entries, alter_ignored=alter_ignored
                ),
                "billed_characters": len(text),
            }
            for text in texts
        ]
        return Reply(200, {"translations": translations})

    def _glossaries(self, method: str, path: str, fields: dict[str, Any]) -> Reply:
        parts = path.strip("/").split("/")  # v2, glossaries, [id], [entries]
        if len(parts) == 2 and method == "POST":
            entries_text = str(_one(fields.get("entries")) or "")
            separator = "," if _one(fields.get("entries_format")) == "csv" else "\t"
            entries = dict(line.split(separator, 1) for line in entries_text.splitlines() if separator in line)
            glossary_id = str(uuid.uuid4())
            self.glossaries[glossary_id] = {
                "glossary_id": glossary_id,
                "name": str(_one(fields.get("name")) or ""),
                "ready": True,
                "source_lang": str(_one(fields.get("source_lang")) or "").lower(),
                "target_lang": str(_one(fields.get("target_lang")) or "").lower(),
                "creation_time": "2024-01-01T00:00:00.000000Z",
                "entry_count": len(entries),
                "entries": entries,
            }
            return Reply(201, _glossary_info(self.glossaries[glossary_id]))
        if len(parts) == 2 and method == "GET":
            return Reply(200, {"glossaries": [_glossary_info(g) for g in self.glossaries.values()]})
        glossary = self.glossaries.get(parts[2]) if len(parts) >= 3 else None
        if glossary is None:
            return self.error_reply(404, "Glossary not found")
        if len(parts) == 3 and method == "GET":
            return Reply(200, _glossary_info(glossary))
        if len(parts) == 3 and method == "DELETE":
            del self.glossaries[parts[2]]
            return Reply(204)
        if len(parts) == 4 and parts[3] == "entries" and method == "GET":
            tsv = "".join(f"{source}\t{target}\n" for source, target in glossary["entries"].items())
            return Reply(200, tsv, {"Content-Type": "text/tab-separated-values"})
        return self.error_reply(404, "Not found")


def translate(
    text: str,
    *,
    tagged: bool = True,
    ignore_tags: set[str] | frozenset[str] = frozenset(),
    entries: Mapping[str, str] | None = None,
    alter_ignored: bool = False,
) -> str:
    """The fake's translation of one text (public so tests can state what they expect)."""
    if not tagged:
        return _translate_run(text, entries or {})
    out: list[str] = []
    ignored_stack: list[str] = []
    for token in _TAG.split(text):
        if not token:
            continue
        if token.startswith("<") and token.endswith(">"):
            match = _TAG_NAME.match(token)
            if match and not token.endswith("/>"):
                closing, name = match.group(1) == "/", match.group(2)
                if not closing and name in ignore_tags:
                    ignored_stack.append(name)
                elif closing and ignored_stack and ignored_stack[-1] == name:
                    ignored_stack.pop()
            out.append(token)
        elif ignored_stack and not alter_ignored:
            out.append(token)
        else:
            out.append(_translate_run(token, entries or {}))
    return "".join(out)


def _without_tags(reply: Reply, tags: tuple[str, ...]) -> Reply:
    """The translate reply with the opening and closing tags of these elements taken out."""
    if not isinstance(reply.body, dict) or "translations" not in reply.body:
        return reply  # an error reply stays as it is
    pattern = re.compile(r"</?(?:" + "|".join(re.escape(tag) for tag in tags) + r")>")
    body = dict(reply.body)
    body["translations"] = [{**t, "text": pattern.sub("", t["text"])} for t in body["translations"]]
    return Reply(reply.status, body, reply.headers)


def _translate_run(run: str, entries: Mapping[str, str]) -> str:
    if not run.strip():
        return run
    core = run.strip()
    lead = run[: len(run) - len(run.lstrip())]
    trail = run[len(run.rstrip()) :]
    for source, target in entries.items():
        core = core.replace(source, target)
    core = _WORD.sub(lambda m: WORDS.get(m.group(0).lower(), m.group(0)), core)
    return f"{lead}[ZH]{core}{trail}"


def _fields(body: Any) -> dict[str, Any]:
    """JSON bodies as they are; form bodies (dict of lists) with single values unwrapped, except
    ``text`` and the tag lists, which stay lists."""
    if isinstance(body, dict):
        return {
            name: value[0]
            if isinstance(value, list) and len(value) == 1 and name not in ("text", "ignore_tags")
            else value
            for name, value in body.items()
        }
    return {}


def _one(value: Any) -> Any:
    if isinstance(value, list):
        return value[0] if value else None
    return value


def _glossary_info(glossary: dict[str, Any]) -> dict[str, Any]:
    return {name: value for name, value in glossary.items() if name != "entries"}


_REASONS = {
    400: "Bad request",
    403: "Authorization failed",
    404: "Not found",
    413: "Request entity too large",
    429: "Too many requests",
    456: "Quota Exceeded",
    500: "Internal server error",
    502: "Bad gateway",
    503: "Service unavailable",
    504: "Gateway timeout",
}

_LANGUAGES = [
    {"language": "EN-US", "name": "English (American)", "supports_formality": False},
    {"language": "DE", "name": "German", "supports_formality": True},
    {"language": "ZH-HANS", "name": "Chinese (simplified)", "supports_formality": False},
    {"language": "ZH-HANT", "name": "Chinese (traditional)", "supports_formality": False},
]
