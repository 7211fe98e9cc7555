"""Big LLM jobs through the OpenAI Batch API or ``vllm run-batch``: the app writes the batch file and
ingests the results, through the same ledger and response cache as :mod:`workers.engine`.

The input file (JSON Lines, one request a line) is the OpenAI Batch API's, which ``vllm run-batch -i``
takes as it is::

    {"custom_id": "winnow-<job>-<item>-<key16>", "method": "POST", "url": "/v1/chat/completions",
     "body": {"model": …, "messages": [{"role", "content"}…], "temperature": …, "max_tokens"?: …,
              "response_format"?: {"type": "json_object"}}}

``custom_id`` names the job, the ledger item (``job_items.id``) and the first 16 hex digits of the
item's cache key (SHA-256 over provider, settings, prompt version and request — the same key an
online run of :class:`~workers.providers.openai_provider.OpenAIProvider` with this base URL and model
computes, so answers are shared both ways). Samples whose answer is already in the cache are not
written: their suggestion is added from the cache at once.

A task's own options (Self-Instruct's ``seed``: :attr:`BatchSpec.task_options`, ``winnow batch write
--seed``) are kept with the job as an online run keeps them: the file is written with the task they
make (its prompt version, so its cache keys), and the ingest builds that same task again to read the
answers and record them.

The output file, one line a request in any order (OpenAI's output and error files, or ``vllm
run-batch -o``)::

    {"id": …, "custom_id": …, "response": {"status_code": 200, "request_id": …, "body": {chat completion}},
     "error": null | {"code", "message"}}

(a ``response`` that is itself the chat completion is read too). :func:`ingest_results` takes it
item by item: the answer into the cache under the item's key, then the suggestion and the item done,
in the engine's two transactions — each item gets exactly one suggestion, and ingesting the same file
again adds nothing. An ``error``, a status other than 200, or an answer the task cannot use fails the
item with the reason; a line that is not JSON, or names no item of the job, is reported by line number.

The job is a ``jobs`` row (provider ``batch:<model>``) with one ``job_items`` row per sample: items
written to the file are ``running`` (sent, perhaps paid for) until their result is ingested.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import orjson

from app.store.project import Project, ProjectError, now_iso
from app.tasks import Task
from workers.engine import (
    Budgets,
    _cache_evict,
    _cache_get,
    _cache_put,
    _create_job,
    _fail_item,
    _finish_item,
    _Item,
    _job_row,
    _job_samples,
    _mark_running_many,
    _set_state,
    cache_key,
    job_task,
    to_request,
)
from workers.providers.base import ChatRequest, ProviderResult
from workers.providers.openai_provider import OpenAIProvider

log = logging.getLogger("winnow.batch")

ENDPOINT = "/v1/chat/completions"
CUSTOM_ID = re.compile(r"^winnow-(\d+)-(\d+)-([0-9a-f]{16})$")
DEFAULT_BASE_URL = "https://api.openai.com/v1"


@dataclass(frozen=True)
class BatchSpec:
    task: str
    sample_ids: Sequence[int]
    model: str
    base_url: str = DEFAULT_BASE_URL
    """The server the batch runs on (for vLLM: the URL it would be served at, or any name for it):
    part of the cache key, as for an online run."""
    temperature: float | None = None
    max_tokens: int | None = None
    json_mode: bool = True
    """Ask for a JSON object (``response_format``) where the task wants one."""
    price_per_1k_prompt: float = 0.0
    price_per_1k_completion: float = 0.0
    task_options: Mapping[str, Any] = field(default_factory=dict)
    """The task's own options (self-instruct: ``seed``), as :attr:`workers.engine.JobSpec.task_options`:
    kept in the job's ``params``, so the ingest builds the task (and the cache keys) the file was
    written with."""


@dataclass(frozen=True)
class BatchFile:
    path: Path
    job_id: int
    requests: int
    """Lines written."""
    cached: int
    """Samples answered from the cache instead (suggestion added, nothing written)."""
    skipped: int
    """Samples the task does not apply to, or whose request could not be built."""
    model: str


@dataclass(frozen=True)
class BatchStatus:
    id: str
    status: str
    total: int
    completed: int
    failed: int
    output_file_id: str | None
    error_file_id: str | None


@dataclass
class IngestReport:
    job_id: int | None = None
    done: int = 0
    failed: int = 0
    already: int = 0
    """Lines whose item was already done (an ingest run again): nothing added."""
    problems: list[str] = field(default_factory=list)
    """Lines that could not be used, each naming its line number."""


class _BatchRun:
    """What the engine's ledger operations read of a run."""

    def __init__(self, job_id: int, task: Task, provider: Any) -> None:
        self.job_id = job_id
        self.task = task
        self.provider = provider
        self.pool: list[int] | None = None
        """The job's samples, read once, for a task with a ``context`` (see :func:`_ingest_line`)."""


class _BatchProvider:
    """The batch as the engine's ledger names it; its cache identity is the online provider's."""

    def __init__(self, spec_params: dict[str, Any]) -> None:
        self.params = spec_params
        self.model = spec_params["model"]
        self.name = f"batch:{self.model}"
        self.online = OpenAIProvider(
            spec_params["base_url"],
            self.model,
            None,
            temperature=spec_params.get("temperature"),
            max_tokens=spec_params.get("max_tokens"),
            json_mode_supported=spec_params.get("json_mode", True),
        )

    def cache_identity(self) -> dict[str, Any]:
        return self.online.cache_identity()

    def key(self, task: Task, request: ChatRequest) -> str:
        return cache_key(self.online, task.prompt_version, request)

    def close(self) -> None:
        self.online.close()


def _params(spec: BatchSpec) -> dict[str, Any]:
    return {
        "batch": True,
        "model": spec.model,
        "base_url": spec.base_url,
        "temperature": spec.temperature,
        "max_tokens": spec.max_tokens,
        "json_mode": spec.json_mode,
        "price_per_1k_prompt": spec.price_per_1k_prompt,
        "price_per_1k_completion": spec.price_per_1k_completion,
    }


def _body(provider: _BatchProvider, request: ChatRequest) -> dict[str, Any]:
    """The chat completion body, as :class:`OpenAIProvider` would send it online."""
    online = provider.online
    body: dict[str, Any] = {
        "model": online.model,
        "messages": [{"role": role, "content": content} for role, content in request.messages],
    }
    temperature = request.temperature if request.temperature != ChatRequest(messages=()).temperature else None
    body["temperature"] = (
        temperature
        if temperature is not None
        else (online.temperature if online.temperature is not None else request.temperature)
    )
    max_tokens = request.max_tokens if request.max_tokens is not None else online.max_tokens
    if max_tokens is not None:
        body["max_tokens"] = max_tokens
    if request.json_mode and online.json_mode_supported:
        body["response_format"] = {"type": "json_object"}
    return body


def write_batch_file(project_path: str | Path, spec: BatchSpec, out_path: str | Path) -> BatchFile:
    """Record a batch job in the ledger and write its requests to ``out_path`` (JSON Lines)."""
    task = job_task(spec.task, spec.task_options)
    params = _params(spec)
    provider = _BatchProvider(params)
    out = Path(out_path)
    requests = cached = skipped = 0
    try:
        with Project.open(project_path, author="winnow-batch") as project:
            ids = list(dict.fromkeys(int(i) for i in spec.sample_ids))
            job_params = {
                "settings": params,
                "prompt_version": task.prompt_version,
                "style": "chat",
                "task_options": dict(spec.task_options),
            }
            job_id = _create_job(project, task, provider, job_params, Budgets(), ids)  # type: ignore[arg-type]
            run = _BatchRun(job_id, task, provider)
            prompt = task.prompt()
            items = project.db.execute(
                "SELECT ji.id, ji.sample_id, ji.state, s.content FROM job_items ji JOIN samples s"
                " ON s.id = ji.sample_id WHERE ji.job_id = ? ORDER BY ji.id",
                (job_id,),
            ).fetchall()
            skipped = sum(1 for row in items if row[2] == "skipped")
            tmp = out.with_name(out.name + ".part")
            marks: list[tuple[int, str]] = []
            with tmp.open("wb") as handle:
                for item_id, sample_id, state, content_json in items:
                    if state != "pending":
                        continue
                    item = _Item(item_id, sample_id, orjson.loads(content_json))
                    if task.context is not None:  # e.g. Self-Instruct's in-context examples from the job
                        item.content = task.context(project, ids, sample_id, item.content)
                    try:
                        request = to_request(task.build(item.content, "chat", prompt))
                    except ValueError as error:
                        _fail_item(project, item_id, f"cannot build the request: {error}")
                        skipped += 1
                        continue
                    assert isinstance(request, ChatRequest)
                    key = provider.key(task, request)
                    hit = _cache_get(project, key)
                    if hit is not None and _finish_from(project, run, item, key, hit, cached=True) is None:
                        cached += 1
                        continue
                    line = {
                        "custom_id": f"winnow-{job_id}-{item_id}-{key[:16]}",
                        "method": "POST",
                        "url": ENDPOINT,
                        "body": _body(provider, request),
                    }
                    handle.write(orjson.dumps(line) + b"\n")
                    marks.append((item_id, key))
                    requests += 1
            # Every request written is an attempt, recorded (in one transaction) before the file is
            # in place to be sent.
            _mark_running_many(project, marks)
            tmp.replace(out)
            state = "running" if requests else "done"
            message = f"sent as a batch file ({out.name}); ingest its results" if requests else None
            _set_state(project, job_id, state, message, finished=not requests)
            if requests:
                with project.db.atomic():
                    project.db.execute("UPDATE jobs SET started_at = ? WHERE id = ?", (now_iso(), job_id))
    finally:
        provider.close()
    return BatchFile(out, job_id, requests, cached, skipped, spec.model)


def _finish_from(
    project: Project, run: _BatchRun, item: _Item, key: str, result: ProviderResult, *, cached: bool
) -> str | None:
    """Parse an answer and finish the item (suggestion + done); the reason if the answer is unusable."""
    try:
        suggestion = run.task.parse(item.content, "chat", result.output)
    except ValueError as error:
        _cache_evict(project, key)
        reason = f"unusable answer: {error}"
        _fail_item(project, item.id, reason)
        return reason
    tokens = result.prompt_tokens + result.completion_tokens
    _finish_item(
        project,
        run,  # type: ignore[arg-type]
        item,
        suggestion,
        characters=0,
        tokens=tokens,
        cost=0.0 if cached else result.cost,
    )
    return None


# -- the OpenAI Batch API ------------------------------------------------------------------------


def _client(client: Any) -> Any:
    """An ``openai.OpenAI``, from itself or an :class:`OpenAIProvider`."""
    return client._client if isinstance(client, OpenAIProvider) else client


def submit_batch(client: Any, path: str | Path, *, metadata: dict[str, str] | None = None) -> str:
    """Upload the batch file (purpose ``batch``) and create the batch (24 h window); the batch id."""
    openai_client = _client(client)
    with Path(path).open("rb") as handle:
        uploaded = openai_client.files.create(file=handle, purpose="batch")
    batch = openai_client.batches.create(
        input_file_id=uploaded.id, endpoint=ENDPOINT, completion_window="24h", metadata=metadata
    )
    return str(batch.id)


def poll_batch(client: Any, batch_id: str) -> BatchStatus:
    batch = _client(client).batches.retrieve(batch_id)
    counts = batch.request_counts
    return BatchStatus(
        id=str(batch.id),
        status=str(batch.status),
        total=int(getattr(counts, "total", 0) or 0),
        completed=int(getattr(counts, "completed", 0) or 0),
        failed=int(getattr(counts, "failed", 0) or 0),
        output_file_id=batch.output_file_id,
        error_file_id=batch.error_file_id,
    )


def download_results(client: Any, status: BatchStatus, out_path: str | Path) -> Path:
    """The batch's output file, followed by its error file's lines (same format), into ``out_path``."""
    openai_client = _client(client)
    out = Path(out_path)
    parts = []
    for file_id in (status.output_file_id, status.error_file_id):
        if file_id:
            data = openai_client.files.content(file_id).content
            parts.append(data if data.endswith(b"\n") or not data else data + b"\n")
    out.write_bytes(b"".join(parts))
    return out


# -- ingest --------------------------------------------------------------------------------------


def _completion(line: dict[str, Any]) -> tuple[dict[str, Any] | None, str | None]:
    """The chat completion of a result line, or why there is none."""
    error = line.get("error")
    response = line.get("response")
    if error:
        if isinstance(error, dict):
            code, message = error.get("code"), error.get("message")
            return None, f"batch error{f' {code}' if code else ''}: {message or error}"
        return None, f"batch error: {error}"
    if not isinstance(response, dict):
        return None, "no response"
    if "choices" in response and "body" not in response:
        return response, None
    status = response.get("status_code", 200)
    body = response.get("body")
    if status != 200:
        message = (
            body.get("error", {}).get("message")
            if isinstance(body, dict) and isinstance(body.get("error"), dict)
            else body
        )
        return None, f"HTTP {status}: {message}"
    if not isinstance(body, dict):
        return None, "the response has no body"
    return body, None


def _result(body: dict[str, Any], params: dict[str, Any]) -> ProviderResult:
    choices = body.get("choices") or []
    if not choices or not isinstance(choices[0], dict):
        raise ValueError("the completion has no choices")
    message = choices[0].get("message") or {}
    content = message.get("content")
    if not isinstance(content, str):
        raise ValueError("the completion has no text")
    usage = body.get("usage") or {}
    prompt_tokens = int(usage.get("prompt_tokens") or 0)
    completion_tokens = int(usage.get("completion_tokens") or 0)
    cost = (
        prompt_tokens * float(params.get("price_per_1k_prompt") or 0)
        + completion_tokens * float(params.get("price_per_1k_completion") or 0)
    ) / 1000
    return ProviderResult(
        output=content,
        prompt_tokens=prompt_tokens,
        completion_tokens=completion_tokens,
        cost=cost,
        raw={"model": body.get("model"), "finish_reason": choices[0].get("finish_reason"), "batch": True},
    )


def ingest_results(project_path: str | Path, results_path: str | Path) -> IngestReport:
    """Take a batch's results into the ledger, the cache and the suggestions (see the module's
    docstring). Safe to run again on the same file."""
    report = IngestReport()
    runs: dict[int, tuple[_BatchRun, dict[str, Any]]] = {}
    providers: list[_BatchProvider] = []
    try:
        with Project.open(project_path, author="winnow-batch") as project:
            with Path(results_path).open("rb") as handle:
                for number, raw in enumerate(handle, start=1):
                    if not raw.strip():
                        continue
                    problem = _ingest_line(project, raw, runs, providers, report)
                    if problem:
                        report.problems.append(f"line {number}: {problem}")
            for job_id in runs:
                _settle(project, job_id)
                report.job_id = report.job_id or job_id
    finally:
        for provider in providers:
            provider.close()
    for problem in report.problems:
        log.warning("%s: %s", Path(results_path).name, problem)
    return report


def _ingest_line(
    project: Project,
    raw: bytes,
    runs: dict[int, tuple[_BatchRun, dict[str, Any]]],
    providers: list[_BatchProvider],
    report: IngestReport,
) -> str | None:
    try:
        line = orjson.loads(raw)
    except orjson.JSONDecodeError as error:
        return f"not JSON ({error})"
    if not isinstance(line, dict):
        return "not a JSON object"
    custom_id = line.get("custom_id")
    match = CUSTOM_ID.match(custom_id) if isinstance(custom_id, str) else None
    if match is None:
        return f"custom_id {custom_id!r} is not one Winnow wrote"
    job_id, item_id, key16 = int(match.group(1)), int(match.group(2)), match.group(3)
    if job_id not in runs:
        try:
            row = _job_row(project, job_id)
        except ProjectError:
            return f"no job {job_id} in this project"
        recorded = orjson.loads(row["params"])
        params = recorded.get("settings") or {}
        if not params.get("batch"):
            return f"job {job_id} is not a batch job"
        try:  # the task as the file was written: its options decide the requests and their keys
            task = job_task(row["task"], recorded.get("task_options"))
        except (KeyError, ValueError) as error:
            return f"job {job_id}: {error}"
        provider = _BatchProvider(params)
        providers.append(provider)
        runs[job_id] = (_BatchRun(job_id, task, provider), params)
    run, params = runs[job_id]
    found = project.db.execute(
        "SELECT ji.state, ji.request_key, ji.sample_id, s.content FROM job_items ji JOIN samples s"
        " ON s.id = ji.sample_id WHERE ji.id = ? AND ji.job_id = ?",
        (item_id, job_id),
    ).fetchone()
    if found is None:
        return f"no item {item_id} in job {job_id}"
    state, key, sample_id, content = found
    if not key or not key.startswith(key16):
        return f"item {item_id} was not asked this request (the cache key differs)"
    if state in ("done", "failed"):  # taken in already (an ingest run again): nothing added, nothing paid
        report.already += 1
        return None
    item = _Item(item_id, sample_id, orjson.loads(content))
    if run.task.context is not None:  # the content the request was built from (see write_batch)
        if run.pool is None:  # read once per job, not once per line
            run.pool = _job_samples(project, job_id)
        item.content = run.task.context(project, run.pool, sample_id, item.content)
    body, error = _completion(line)
    result = None
    if body is not None:
        try:
            result = _result(body, params)
        except ValueError as why:
            error = str(why)
    if result is None:
        _fail_item(project, item_id, error or "no answer")
        report.failed += 1
        return None
    tokens = result.prompt_tokens + result.completion_tokens
    _cache_put(project, run, key, result, 0, tokens, result.cost)  # type: ignore[arg-type]
    if _finish_from(project, run, item, key, result, cached=False) is None:
        report.done += 1
    else:
        report.failed += 1
    return None


def _settle(project: Project, job_id: int) -> None:
    """The job is done when no item waits for a result any more."""
    waiting = project.db.execute(
        "SELECT count(*) FROM job_items WHERE job_id = ? AND state IN ('pending', 'running')", (job_id,)
    ).fetchone()[0]
    if waiting == 0:
        failed = project.db.execute(
            "SELECT count(*) FROM job_items WHERE job_id = ? AND state = 'failed'", (job_id,)
        ).fetchone()[0]
        _set_state(project, job_id, "done", f"{failed} items failed" if failed else None, finished=True)
