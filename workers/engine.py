"""The job engine: runs a curation task over samples through a provider, without Qt.

A job is a row in ``jobs`` and one row per sample in ``job_items``: the ledger. Everything the engine
does is recorded there as it happens, so a job survives a crash or ``kill -9`` and :meth:`JobEngine.resume`
picks it up in a new process: items done are never redone, items that were running are retried.

Never paying twice. Per item, in this order:

1. the request is built by the task, and its cache key computed (provider, its settings, the task's
   prompt version, the request);
2. the cache is looked up: a hit is used as the answer, no request is sent;
3. on a miss the request is sent (retries with backoff, rate limits, budget checked first);
4. the answer is written to the ``cache`` table at once — one transaction, which also adds what it
   cost to the job's spending (the money is spent at that moment, whatever happens next);
5. the suggestion is added and the item marked done, together in a second transaction.

A kill before 4 loses an answer that had not reached the disk yet (the only window, the time of one
small commit after the response arrived; a request in flight at the kill is sent again — nobody can
know whether the service billed it). A kill between 4 and 5 leaves the item running with its answer
in the cache: the resumed job finds it there and pays nothing. A kill after 5 leaves it done. Each
item gets exactly one suggestion because 5 is one transaction, and a resumed job first marks done
any item whose suggestion exists (belt and braces for ledgers written by other versions). Within
one engine, two items with the same request (duplicate samples) never ask at the same time: the
second waits for the first's answer and takes it from the cache.

Many samples in one request. A provider with ``translate_each`` (DeepL) gets up to ``batch_texts``
texts (50, DeepL's limit) and ``batch_bytes`` of text per request: a worker takes a *unit* of pending
items, answers what it can from the cache item by item, reserves the budget item by item, marks the
rest running together and sends them together. The answer is judged text by text: each usable one
goes into the cache under ITS item's key (so any later run, batched or not, finds it), a text that
went wrong (a code span altered) fails its item only. Here steps 4 and 5 are one transaction for the
whole request: the answers cached, what the request cost, every usable item's suggestion and done
mark, every failed item with why (an answer the task cannot parse is failed, never cached). The
whole request is retried on rate limits and transient errors; a request the service refuses as a
whole is tried again one item at a time. Units are smaller than 50 when that spreads the items over
the pool.

Threads, all named ``winnow-…`` and joined by :meth:`JobEngine.close`:

- ``winnow-writer``: the ONLY thread with a connection to the project. SQLite allows one writer at
  a time; a queue of write callables served by one thread never contends for the lock inside this
  process, keeps every transaction short, and means worker threads never hold a connection (a
  Python sqlite3 connection must not be shared across threads). Reads the engine needs go through
  it too; other readers (the GUI) use their own connections alongside it (WAL).
- ``winnow-job<N>``: a job's dispatcher, feeding pending items to its pool a batch at a time.
- ``winnow-job<N>_<k>``: the job's worker pool, ``concurrency`` threads. The work is waiting on the
  network, so threads (not processes) and a pool exactly as large as the number of requests we
  want in flight at once: that number is what the service's rate limits and the user's plan care
  about, and a bounded pool keeps it bounded however many items the job has.

Events (:class:`ItemDone`, :class:`ItemFailed`, :class:`JobProgress`, :class:`JobStateChanged`) are
small frozen dataclasses passed to ``on_event`` from the worker threads; progress at most
:data:`PROGRESS_INTERVAL` apart. A Qt adapter turns them into signals.
"""

from __future__ import annotations

import hashlib
import logging
import os
import random
import sys
import threading
import time
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path
from queue import SimpleQueue
from typing import Any, NoReturn, TypeVar

import orjson

from app.i18n import N_
from app.store import actions
from app.store.project import Project, ProjectError, now_iso
from app.tasks import ChatCall, Style, Task, TranslationCall, Usage, get_task
from workers.job_lease import leases_for
from workers.providers.base import (
    AuthenticationFailed,
    BadResponse,
    Provider,
    ProviderResult,
    QuotaExceeded,
    RateLimited,
    Request,
    RequestRejected,
    TransientError,
    TranslationRequest,
)
from workers.ratelimit import RateLimiter, RateLimits

log = logging.getLogger("winnow.engine")
T = TypeVar("T")

PROGRESS_INTERVAL = 0.05
"""Seconds between two progress events: at most 20 a second, a few per frame of a 60 Hz GUI."""
BATCH = 256
"""Pending items read from the ledger at a time: constant memory on a million-item job."""

MAX_BATCH_TEXTS = 50
"""DeepL's limit of texts in one request."""
MAX_BATCH_BYTES = 100_000
"""Text (UTF-8 bytes) in one batched request: well under DeepL's 128 KiB request body limit."""

ProviderFactory = Callable[[], Provider]


# --------------------------------------------------------------------------------------------------
# What a job is
# --------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Budgets:
    """Hard limits on what a job may spend; None: no limit. Checked BEFORE each request against its
    estimate, so a job stops before it would go over, not after."""

    max_characters: int | None = None
    max_tokens: int | None = None
    max_cost: float | None = None


@dataclass(frozen=True)
class RetryPolicy:
    """Exponential backoff with full jitter (AWS architecture blog, "Exponential Backoff And
    Jitter"): wait a random time in [0, min(cap, base·2^(attempt-1))]. Jitter spreads the retries of
    many workers hit by the same outage instead of sending them back in lockstep."""

    base: float = 0.5
    cap: float = 30.0
    max_attempts: int = 5

    def backoff(self, attempt: int) -> float:
        return random.uniform(0.0, min(self.cap, self.base * 2 ** (attempt - 1)))


@dataclass(frozen=True)
class Pricing:
    """Prices used to estimate cost before a request, and as the cost when a provider reports none."""

    per_million_characters: float = 0.0
    per_million_tokens: float = 0.0

    def cost(self, characters: int, tokens: int) -> float:
        return (characters * self.per_million_characters + tokens * self.per_million_tokens) / 1_000_000


@dataclass(frozen=True)
class JobSpec:
    task: str
    """A task name of :func:`app.tasks.get_task` (``translate``)."""
    sample_ids: Sequence[int]
    provider_factory: ProviderFactory
    """Makes the provider; called once per run (start, resume). Its ``execute`` is called from
    ``concurrency`` threads at once, so it must be thread-safe (the deepl and openai clients are)."""
    provider_settings: Mapping[str, Any] = field(default_factory=dict)
    """What it takes to make the provider again, for ``winnow resume`` in another process: kept in the
    job's ``params``. Never a secret (keys come from the keyring or the environment)."""
    concurrency: int = 4
    budgets: Budgets = Budgets()
    rate_limits: RateLimits = field(default_factory=RateLimits)
    retry: RetryPolicy = RetryPolicy()
    pricing: Pricing = Pricing()
    batch_texts: int = 50
    """At most this many texts in one request, for providers that take many (DeepL: up to 50)."""
    batch_bytes: int = 100_000
    """At most this many bytes (UTF-8) of text in one such request."""
    task_options: Mapping[str, Any] = field(default_factory=dict)
    """The task's own options (self-instruct: ``seed``), kept in the job's ``params`` so a resume
    builds the same requests; see :func:`job_task`."""


@dataclass(frozen=True)
class Estimate:
    items: int
    """Items that would be sent or taken from the cache."""
    cached: int
    """Of those, answered from the cache (free)."""
    skipped: int
    """Samples the task does not apply to (another kind, deleted, unreadable)."""
    characters: int
    tokens: int
    cost: float


@dataclass(frozen=True)
class JobSummary:
    id: int
    task: str
    provider: str
    model: str
    state: str
    created_at: str
    total: int
    done: int
    failed: int
    pending: int
    skipped: int
    characters: int
    tokens: int
    cost: float
    error: str | None


# --------------------------------------------------------------------------------------------------
# Events
# --------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ItemDone:
    job_id: int
    item_id: int
    sample_id: int
    suggestion_id: int
    cached: bool
    characters: int
    tokens: int
    cost: float


@dataclass(frozen=True)
class ItemFailed:
    job_id: int
    item_id: int
    sample_id: int
    reason: str
    attempts: int


@dataclass(frozen=True)
class JobProgress:
    job_id: int
    done: int
    failed: int
    total: int
    characters: int
    tokens: int
    cost: float
    rate: float
    """Items finished per second in this run."""


@dataclass(frozen=True)
class JobStateChanged:
    job_id: int
    state: str
    message: str = ""


Event = ItemDone | ItemFailed | JobProgress | JobStateChanged


# --------------------------------------------------------------------------------------------------
# Helpers
# --------------------------------------------------------------------------------------------------


RAMP_UP_SECONDS = 0.0015
"""Pause between starting one worker and the next when a job starts, for the first
:data:`RAMP_UP_QUICK` workers."""
RAMP_UP_QUICK = 16
RAMP_UP_WIDE_SECONDS = 0.004
"""The pause between the later ones. Their first answers come back about as far apart as they were
sent: 64 workers started within 0.1 s answered within 0.1 s of each other, about 2 ms of Python
each, and the window waited 50-65 ms for the GIL behind them. Spread over a quarter of a second the
burst is half as dense; a pool of 16 or fewer starts as quickly as before."""


def ramp_up_pause(started: int) -> float:
    """Seconds to wait after starting worker number ``started`` (from 1) before the next one."""
    return RAMP_UP_SECONDS if started < RAMP_UP_QUICK else RAMP_UP_WIDE_SECONDS


def request_style(provider: Provider) -> Style:
    """DeepL takes texts to translate; every other provider is an OpenAI-compatible chat model."""
    return "translation" if provider.name == "deepl" else "chat"


WORKER_NICENESS = 10
"""How much lower than the window's the scheduling priority of a job's threads is (Linux, macOS)."""


def _yield_to_the_window() -> None:
    """Lower this worker thread's priority, where the system allows a thread its own.

    Dozens of workers share Python's GIL with the window's thread; when the GIL is released, the
    operating system picks which waiting thread gets to take it. With the workers at a lower
    priority it picks the window whenever it is waiting, so the window does not freeze for the
    length of a queue of workers. The network wait dominates a job, so the workers lose nothing.
    """
    if sys.platform.startswith("linux"):
        try:
            os.setpriority(os.PRIO_PROCESS, threading.get_native_id(), WORKER_NICENESS)
        except OSError:  # not allowed here: the job still runs, the window just gets no head start
            log.debug("could not lower the priority of %s", threading.current_thread().name)


def _task_style(task: Task, provider: Provider) -> Style:
    """The provider's style, refused (ProjectError) when the task cannot use that kind of service."""
    style = request_style(provider)
    try:
        task.check_style(style)
    except ValueError as error:
        raise ProjectError(str(error)) from None
    return style


def _retry_wait(run: Any, error: RateLimited | TransientError, attempt: int) -> tuple[float, str]:
    """How long to wait before the next attempt, and why: Retry-After when the service gave one
    (the whole job holds back then, not only this item: the limit is per account), else backoff."""
    if isinstance(error, RateLimited):
        if error.retry_after is not None:
            wait = max(0.0, float(error.retry_after))
            with run.lock:
                run.hold_until = max(run.hold_until, time.monotonic() + wait)
        else:
            wait = run.retry.backoff(attempt)
        return wait, N_("rate limited: {error}").format(error=error)
    return run.retry.backoff(attempt), str(error)


def _stop_job(run: Any, error: QuotaExceeded | AuthenticationFailed) -> NoReturn:
    """Pause the whole job: no item can succeed until the person acts."""
    if isinstance(error, QuotaExceeded):
        run.stop_with(
            "paused", N_("quota used up: {error}. Top up the plan or wait, then resume the job").format(error=error)
        )
    else:
        run.stop_with(
            "paused", N_("the API key was refused: {error}. Fix the key, then resume the job").format(error=error)
        )
    raise _Interrupted from None


def job_task(name: str, options: Mapping[str, Any] | None = None) -> Task:
    """The task of a job: :func:`get_task` configured with the job's ``task_options`` by the task's
    ``with_options`` (self-instruct's ``seed``). ValueError for options a task does not take."""
    task = get_task(name)
    if not options:
        return task
    configure = getattr(task, "with_options", None)
    if configure is None:
        raise ValueError(f"the task {name!r} takes no options ({', '.join(sorted(options))})")
    return configure(options)


def task_option_names(task: Task) -> tuple[str, ...]:
    """The options :func:`job_task` can give this task (none for most)."""
    return tuple(getattr(task, "option_names", ()))


def to_request(call: TranslationCall | ChatCall) -> Request:
    """A task's call as the provider's request: the same objects (see :mod:`app.tasks`)."""
    return call


def cache_key(provider: Provider, prompt_version: str, request: Request) -> str:
    """SHA-256 over everything that decides the answer; never a secret (cache_identity has none)."""
    payload = {
        "provider": provider.name,
        "identity": provider.cache_identity(),
        "prompt_version": prompt_version,
        "request": {"type": type(request).__name__, **asdict(request)},
    }
    return hashlib.sha256(orjson.dumps(payload, option=orjson.OPT_SORT_KEYS, default=str)).hexdigest()


def _result_json(result: ProviderResult) -> str:
    output = list(result.output) if isinstance(result.output, tuple) else result.output
    return orjson.dumps(
        {
            "output": output,
            "characters": result.characters,
            "prompt_tokens": result.prompt_tokens,
            "completion_tokens": result.completion_tokens,
            "cost": result.cost,
            "raw": result.raw,
        },
        default=str,
    ).decode()


def _result_from_json(text: str) -> ProviderResult:
    data = orjson.loads(text)
    output = data.get("output")
    return ProviderResult(
        output=tuple(output) if isinstance(output, list) else output,
        characters=data.get("characters", 0),
        prompt_tokens=data.get("prompt_tokens", 0),
        completion_tokens=data.get("completion_tokens", 0),
        cost=data.get("cost", 0.0),
        raw=data.get("raw") or {},
    )


def _joined_result(results: list[ProviderResult]) -> ProviderResult:
    """One item's texts' translations (one request may carry several items' texts) as its result."""
    detected = sorted({lang for r in results for lang in r.raw.get("detected_source_lang", ())})
    raw = dict(results[0].raw) if results else {}
    raw["detected_source_lang"] = detected
    return ProviderResult(
        output=tuple(r.output for r in results),
        characters=sum(r.characters for r in results),
        raw=raw,
    )


class _Reply:
    """The answer to one writer call: a one-shot hand-over from the writer thread to the caller.

    concurrent.futures.Future does the same through a Condition (an RLock, a waiter list walked in
    Python); at hundreds of writer calls a second that bookkeeping was 15 % of the job's Python work
    (py-spy --gil), all of it holding the GIL the window needs. A lock held from the start and
    released once is the whole mechanism.
    """

    __slots__ = ("_error", "_ready", "_value")

    def __init__(self) -> None:
        self._ready = threading.Lock()
        self._ready.acquire()
        self._value: Any = None
        self._error: BaseException | None = None

    def set(self, value: Any = None, error: BaseException | None = None) -> None:
        self._value, self._error = value, error
        self._ready.release()

    def wait(self) -> Any:
        self._ready.acquire()
        if self._error is not None:
            raise self._error
        return self._value


class _Writer:
    """The one thread that talks to the project file (see the module's docstring for why)."""

    def __init__(self, path: Path) -> None:
        self._queue: SimpleQueue[tuple[Callable[[Project], Any], _Reply] | None] = SimpleQueue()
        self._opened = _Reply()
        self._closed = False
        self._thread = threading.Thread(target=self._serve, args=(path,), name="winnow-writer", daemon=True)
        self._thread.start()
        self._opened.wait()  # an unopenable project fails here, in the caller

    def _serve(self, path: Path) -> None:
        try:
            project = Project.open(path, author="winnow-engine")
        except BaseException as error:
            self._opened.set(error=error)
            return
        self._opened.set()
        try:
            while (job := self._queue.get()) is not None:
                fn, reply = job
                try:
                    result = fn(project)
                except BaseException as error:
                    reply.set(error=error)
                else:
                    reply.set(result)
        finally:
            project.close()

    def call(self, fn: Callable[[Project], T]) -> T:
        if self._closed:
            raise RuntimeError("the job engine is closed")
        reply = _Reply()
        self._queue.put((fn, reply))
        return reply.wait()

    def close(self) -> None:
        if not self._closed:
            self._closed = True
            self._queue.put(None)
        self._thread.join()


class _Spending:
    """A job's spending and its in-flight reservations, checked against the budgets."""

    def __init__(self, budgets: Budgets, characters: int, tokens: int, cost: float) -> None:
        self.budgets = budgets
        self.characters, self.tokens, self.cost = characters, tokens, cost
        self._reserved = [0, 0, 0.0]
        self._lock = threading.Lock()

    def reserve(self, characters: int, tokens: int, cost: float) -> str | None:
        """Reserve an estimate; None if it fits, else why not (the job stops)."""
        b = self.budgets
        with self._lock:
            checks = (
                ("characters", b.max_characters, self.characters + self._reserved[0] + characters),
                ("tokens", b.max_tokens, self.tokens + self._reserved[1] + tokens),
                ("cost", b.max_cost, self.cost + self._reserved[2] + cost),
            )
            for name, limit, would in checks:
                if limit is not None and would > limit:
                    spent = {"characters": self.characters, "tokens": self.tokens, "cost": self.cost}[name]
                    return N_(
                        "budget reached: the next request would bring {budget} to about {would}"
                        " (limit {limit}, spent {spent}); raise the budget and resume the job"
                    ).format(budget=_BUDGET_NAMES[name], would=_num(would), limit=_num(limit), spent=_num(spent))
            self._reserved[0] += characters
            self._reserved[1] += tokens
            self._reserved[2] += cost
        return None

    def release(self, characters: int, tokens: int, cost: float) -> None:
        with self._lock:
            self._reserved[0] -= characters
            self._reserved[1] -= tokens
            self._reserved[2] -= cost

    def add(self, characters: int, tokens: int, cost: float) -> None:
        with self._lock:
            self.characters += characters
            self.tokens += tokens
            self.cost += cost


_BUDGET_NAMES = {"characters": N_("characters"), "tokens": N_("tokens"), "cost": N_("cost")}


def _num(value: float) -> str:
    return f"{value:,.4f}".rstrip("0").rstrip(".") if isinstance(value, float) else f"{value:,}"


@dataclass
class _Item:
    id: int
    sample_id: int
    content: dict[str, Any]


@dataclass
class _Prepared:
    item: _Item
    request: TranslationRequest
    key: str
    usage: Usage


class _Run:
    """A job while it runs in this engine."""

    def __init__(
        self, job_id: int, task: Task, provider: Provider, params: dict[str, Any], spending: _Spending
    ) -> None:
        self.job_id = job_id
        self.task = task
        self.provider = provider
        self.style = request_style(provider)
        self.prompt = task.prompt() if self.style == "chat" else ""
        self.concurrency = max(1, int(params["concurrency"]))
        self.retry = RetryPolicy(**params["retry"])
        self.pricing = Pricing(**params["pricing"])
        self.limiter = RateLimiter(RateLimits(**params["rate_limits"]))
        self.spending = spending
        # Many samples in one request where the provider judges each text on its own (DeepL).
        self.batched = self.style == "translation" and callable(getattr(provider, "translate_each", None))
        self.batch_texts = max(1, min(MAX_BATCH_TEXTS, int(params.get("batch_texts", MAX_BATCH_TEXTS))))
        self.batch_bytes = max(1, int(params.get("batch_bytes", MAX_BATCH_BYTES)))
        self.stop = threading.Event()
        self.stop_state: str | None = None
        self.stop_message = ""
        self.rescan = threading.Event()
        self.finishing = False
        self.inflight: set[int] = set()
        self.hold_until = 0.0
        self.lock = threading.Lock()
        self.done = self.failed = self.total = 0
        self.done_this_run = 0
        self.started = time.monotonic()
        self.last_progress = 0.0
        self.thread: threading.Thread | None = None

    def stop_with(self, state: str, message: str) -> None:
        # The first reason wins, except that a cancel overrides a pause: the user's last word.
        with self.lock:
            if self.stop_state is None or (state == "cancelled" and self.stop_state == "paused"):
                self.stop_state, self.stop_message = state, message
        self.stop.set()


def _units(run: _Run, items: list[_Item]) -> list[list[_Item]]:
    """What one worker takes at a time: an item, or for a batched job up to ``batch_texts`` items —
    fewer when that spreads the work over the whole pool (120 items, 2 workers: 50, 50, 20; 60
    items, 4 workers: 15 each)."""
    if not run.batched:
        return [[item] for item in items]
    size = max(1, min(run.batch_texts, -(-len(items) // run.concurrency)))
    return [items[start : start + size] for start in range(0, len(items), size)]


class _Interrupted(Exception):
    """The job stopped (pause, cancel, budget, quota) while this item waited: it goes back to pending."""


# --------------------------------------------------------------------------------------------------
# The engine
# --------------------------------------------------------------------------------------------------


class JobEngine:
    """Runs jobs on one project. ``close()`` it (or use ``with``): running jobs are paused, every
    thread is joined."""

    def __init__(self, project_path: str | Path, on_event: Callable[[Event], None] | None = None) -> None:
        self.path = Path(project_path)
        self._leases = leases_for(self.path)
        self._on_event = on_event
        self._writer = _Writer(self.path)
        self._runs: dict[int, _Run] = {}
        self._factories: dict[int, ProviderFactory] = {}
        self._lock = threading.Lock()
        self._asking: dict[str, threading.Event] = {}

    def __enter__(self) -> JobEngine:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- public API --------------------------------------------------------------------------------

    def estimate(self, spec: JobSpec) -> Estimate:
        """What the job would send and cost (cache hits excluded), before it starts."""
        task = job_task(spec.task, spec.task_options)
        provider = spec.provider_factory()
        try:
            style = _task_style(task, provider)
            prompt = task.prompt() if style == "chat" else ""
            items = cached = skipped = characters = tokens = 0
            for batch in self._content_batches(spec.sample_ids, task):
                keys: dict[str, Usage] = {}
                for _sample_id, content in batch:
                    if content is None:
                        skipped += 1
                        continue
                    try:
                        request = to_request(task.build(content, style, prompt))
                        usage = task.estimate(content, style, prompt)
                    except ValueError:
                        skipped += 1
                        continue
                    items += 1
                    key = cache_key(provider, task.prompt_version, request)
                    if key in keys:
                        cached += 1  # a duplicate: asked once, the second comes from the cache
                    keys.setdefault(key, usage)
                hits = self._writer.call(lambda p, k=list(keys): _cached_keys(p, k))
                cached += len(hits)
                for key, usage in keys.items():
                    if key not in hits:
                        characters += usage.characters
                        tokens += usage.tokens
            return Estimate(
                items=items,
                cached=cached,
                skipped=skipped,
                characters=characters,
                tokens=tokens,
                cost=spec.pricing.cost(characters, tokens),
            )
        finally:
            provider.close()

    def start(self, spec: JobSpec) -> int:
        """Record the job and its items in the ledger and start it; returns the job id."""
        if spec.concurrency < 1:
            raise ValueError("concurrency must be at least 1")
        task = job_task(spec.task, spec.task_options)
        provider = spec.provider_factory()
        try:
            params = {
                "settings": dict(spec.provider_settings),
                "concurrency": spec.concurrency,
                "rate_limits": asdict(spec.rate_limits),
                "retry": asdict(spec.retry),
                "pricing": asdict(spec.pricing),
                "prompt_version": task.prompt_version,
                "style": _task_style(task, provider),
                "batch_texts": spec.batch_texts,
                "batch_bytes": spec.batch_bytes,
                "task_options": dict(spec.task_options),
            }
            ids = list(dict.fromkeys(int(i) for i in spec.sample_ids))
            job_id = self._writer.call(lambda p: _create_job(p, task, provider, params, spec.budgets, ids))
        except BaseException:
            provider.close()
            raise
        self._factories[job_id] = spec.provider_factory
        self._launch(job_id, task, provider)
        return job_id

    def resume(
        self,
        job_id: int,
        provider_factory: ProviderFactory | None = None,
        *,
        budgets: Budgets | None = None,
        concurrency: int | None = None,
    ) -> None:
        """Continue a job from its ledger: after a pause, a quota stop, a budget stop, a crash or a kill.
        Items done are not redone; items that were running are sent again (their answer, if it reached
        the cache, is taken from there). New ``budgets`` or ``concurrency`` replace the recorded ones."""
        factory = provider_factory or self._factories.get(job_id)
        if factory is None:
            raise ValueError(f"job {job_id}: give a provider factory to resume it in this process")
        with self._lock:
            if job_id in self._runs:
                raise ProjectError(f"job {job_id} is already running")
        row = self._writer.call(lambda p: _job_row(p, job_id))
        if row["state"] == "done":
            raise ProjectError(f"job {job_id} is done; retry its failed items with retry_failed")
        if budgets is not None or concurrency is not None:
            self._writer.call(lambda p: _update_job_settings(p, job_id, budgets, concurrency))
        task = job_task(row["task"], orjson.loads(row["params"]).get("task_options"))
        provider = factory()
        self._factories[job_id] = factory
        self._launch(job_id, task, provider)

    def pause(self, job_id: int, message: str = "paused") -> None:
        self._stop(job_id, "paused", message)

    def cancel(self, job_id: int, message: str = "cancelled") -> None:
        """Stop a job: no new request starts; requests under way finish (or time out) and are kept."""
        self._stop(job_id, "cancelled", message)

    def retry_failed(self, job_id: int, provider_factory: ProviderFactory | None = None) -> int:
        """Send the failed items again (the user chose to pay for them again); returns how many."""
        count = self._writer.call(lambda p: _reset_failed(p, job_id))
        with self._lock:
            run = self._runs.get(job_id)
            if run is not None and not run.finishing:
                run.rescan.set()  # the running dispatcher picks them up before it finishes
                return count
        if run is not None and run.thread is not None:
            run.thread.join()
        if count:
            row = self._writer.call(lambda p: _job_row(p, job_id))
            if row["state"] == "done":
                self._writer.call(lambda p: _set_state(p, job_id, "paused", None, finished=False))
            self.resume(job_id, provider_factory)
        return count

    def wait(self, job_id: int, timeout: float | None = None) -> str:
        """Block until the job stops running in this engine (or ``timeout``); returns its state."""
        with self._lock:
            run = self._runs.get(job_id)
        if run is not None and run.thread is not None:
            run.thread.join(timeout)
        return self._writer.call(lambda p: _job_row(p, job_id))["state"]

    def is_running(self, job_id: int) -> bool:
        with self._lock:
            return job_id in self._runs

    def summary(self, job_id: int) -> JobSummary:
        return self._writer.call(lambda p: job_summary(p, job_id))

    def close(self) -> None:
        """Pause the running jobs (they resume later), join every thread, close the project."""
        with self._lock:
            runs = list(self._runs.values())
        for run in runs:
            run.stop_with("paused", N_("paused: the program was closed"))
        for run in runs:
            if run.thread is not None:
                run.thread.join()
        self._writer.close()

    # -- running -----------------------------------------------------------------------------------

    def _stop(self, job_id: int, state: str, message: str) -> None:
        with self._lock:
            run = self._runs.get(job_id)
        if run is not None:
            run.stop_with(state, message)
            return
        # Not running here (e.g. it stopped with a crash): just record the decision.
        changed = self._writer.call(lambda p: _stop_idle(p, job_id, state, message))
        if changed:
            self._emit(JobStateChanged(job_id, state, message))

    def _launch(self, job_id: int, task: Task, provider: Provider) -> None:
        try:
            row = self._writer.call(lambda p: _job_row(p, job_id))
            params = orjson.loads(row["params"])
            spending = _Spending(
                Budgets(row["budget_characters"], row["budget_tokens"], row["budget_cost"]),
                row["spent_characters"],
                row["spent_tokens"],
                row["spent_cost"],
            )
            run = _Run(job_id, task, provider, params, spending)
            run.thread = threading.Thread(target=self._dispatch, args=(run,), name=f"winnow-job{job_id}", daemon=True)
            with self._lock:
                if job_id in self._runs:
                    raise ProjectError(f"job {job_id} is already running")
                self._leases.acquire(job_id)  # ProjectError when another process runs it
                self._runs[job_id] = run
        except BaseException:
            provider.close()
            raise
        run.thread.start()

    def _dispatch(self, run: _Run) -> None:
        job_id = run.job_id
        state, message = "failed", ""
        try:
            counts = self._writer.call(lambda p: _begin_run(p, job_id))
            run.done, run.failed, run.total = counts["done"], counts["failed"], counts["total"]
            self._emit(JobStateChanged(job_id, "running", ""))
            self._progress(run, force=True)
            # Twice the pool: the next items are ready the moment a worker frees, and no more than
            # that is ever read ahead of the network.
            slots = threading.Semaphore(run.concurrency * 2)
            with ThreadPoolExecutor(
                max_workers=run.concurrency, thread_name_prefix=f"winnow-job{job_id}", initializer=_yield_to_the_window
            ) as pool:
                last = started = 0
                # A task with a context (Self-Instruct's examples) draws from the job's samples:
                # read them once, not once per batch.
                samples = self._writer.call(lambda p: _job_samples(p, job_id)) if run.task.context is not None else []
                while not run.stop.is_set():
                    batch = self._writer.call(lambda p, after=last: _pending_items(p, job_id, after, run.task, samples))
                    if not batch:
                        with self._lock:
                            if run.rescan.is_set():
                                run.rescan.clear()
                                last = 0
                                continue
                            run.finishing = True
                        break
                    last = batch[-1].id
                    with run.lock:
                        fresh = [item for item in batch if item.id not in run.inflight]
                    for unit in _units(run, fresh):
                        slots.acquire()
                        if run.stop.is_set():
                            slots.release()
                            break
                        unit_ids = [item.id for item in unit]
                        with run.lock:
                            run.inflight.update(unit_ids)
                        work = self._work_group if run.batched else self._work
                        pool.submit(work, run, unit if run.batched else unit[0]).add_done_callback(
                            lambda _f, ids=unit_ids: self._slot_freed(run, slots, ids)
                        )
                        started += 1
                        if started < run.concurrency:
                            # Start the workers one by one, not all in the same instant: a burst of
                            # dozens of new threads each building its first request holds the GIL
                            # for long enough to freeze the window for a moment.
                            time.sleep(ramp_up_pause(started))
            if run.stop_state is not None:
                state, message = run.stop_state, run.stop_message
            else:
                left = self._writer.call(lambda p: _counts(p, job_id))
                if left["pending"] or left["running"]:  # cannot happen; never claim done if it did
                    state, message = (
                        "paused",
                        N_("{n} items left; resume the job").format(n=left["pending"] + left["running"]),
                    )
                else:
                    state = "done"
                    message = (
                        N_("{n} items failed; retry them with retry_failed").format(n=left["failed"])
                        if left["failed"]
                        else ""
                    )
        except Exception as error:
            log.exception("job %s stopped by an error", job_id)
            state, message = "failed", N_("the job stopped: {error}").format(error=error)
        finally:
            try:
                run.provider.close()
            except Exception:
                log.exception("closing the provider of job %s", job_id)
            try:
                self._writer.call(lambda p: _set_state(p, job_id, state, message or None, finished=state != "paused"))
            except Exception:
                log.exception("recording the end of job %s", job_id)
            with self._lock:
                self._runs.pop(job_id, None)
                self._leases.release(job_id)
            self._progress(run, force=True)
            self._emit(JobStateChanged(job_id, state, message))

    def _slot_freed(self, run: _Run, slots: threading.Semaphore, item_ids: list[int]) -> None:
        with run.lock:
            run.inflight.difference_update(item_ids)
        slots.release()

    def _work(self, run: _Run, item: _Item) -> None:
        if run.stop.is_set():
            return
        try:
            self._process(run, item)
        except _Interrupted:
            self._writer.call(lambda p: _back_to_pending(p, item.id))
        except Exception as error:  # a bug, or the project file failing: stop rather than go on blind
            log.exception("job %s, item %s", run.job_id, item.id)
            run.stop_with("failed", N_("the job stopped: {error}").format(error=error))

    def _process(self, run: _Run, item: _Item) -> None:
        task = run.task
        try:
            request = to_request(task.build(item.content, run.style, run.prompt))
            usage = task.estimate(item.content, run.style, run.prompt)
        except ValueError as error:
            self._fail(run, item, N_("cannot build the request: {error}").format(error=error))
            return
        key = cache_key(run.provider, task.prompt_version, request)
        answer = self._answer(run, item, request, key, usage)
        if answer is None:
            return
        result, cached = answer
        self._complete(run, item, key, usage, result, cached)

    def _complete(self, run: _Run, item: _Item, key: str, usage: Usage, result: ProviderResult, cached: bool) -> None:
        """Steps after the answer is in the cache: parse it, then the suggestion and the item done."""
        try:
            suggestion = run.task.parse(item.content, run.style, result.output)
        except ValueError as error:
            # Unusable: forget it, so a retry asks again instead of reusing it.
            self._writer.call(lambda p: _cache_evict(p, key))
            self._fail(run, item, N_("unusable answer: {error}").format(error=error))
            return
        characters = result.characters or usage.characters
        tokens = (result.prompt_tokens + result.completion_tokens) or usage.tokens
        cost = 0.0 if cached else (result.cost or run.pricing.cost(characters, tokens))
        suggestion_id = self._writer.call(
            lambda p: _finish_item(p, run, item, suggestion, characters=characters, tokens=tokens, cost=cost)
        )
        with run.lock:
            run.done += 1
            run.done_this_run += 1
        self._emit(ItemDone(run.job_id, item.id, item.sample_id, suggestion_id, cached, characters, tokens, cost))
        self._progress(run)

    def _answer(
        self, run: _Run, item: _Item, request: Request, key: str, usage: Usage
    ) -> tuple[ProviderResult, bool] | None:
        """The answer from the cache, or from the provider (then stored in the cache at once)."""
        while True:
            hit = self._writer.call(lambda p: _cache_get(p, key))
            if hit is not None:
                return hit, True
            with self._lock:
                other = self._asking.get(key)
                if other is None:
                    mine = self._asking[key] = threading.Event()
                    break
            # The same request is under way for another item: wait for it, then read the cache.
            while not other.wait(0.1):
                if run.stop.is_set():
                    raise _Interrupted
        try:
            result = self._request(run, item, request, key, usage)
        finally:
            with self._lock:
                del self._asking[key]
            mine.set()
        return None if result is None else (result, False)

    def _request(self, run: _Run, item: _Item, request: Request, key: str, usage: Usage) -> ProviderResult | None:
        estimated_cost = run.pricing.cost(usage.characters, usage.tokens)
        refused = run.spending.reserve(usage.characters, usage.tokens, estimated_cost)
        if refused:
            run.stop_with("paused", refused)
            raise _Interrupted
        try:
            attempt = 0
            while True:
                attempt += 1
                self._hold(run)
                if not run.limiter.acquire(tokens=usage.tokens, characters=usage.characters, stop=run.stop):
                    raise _Interrupted
                if run.stop.is_set():
                    raise _Interrupted
                self._writer.call(lambda p: _mark_running(p, item.id, key))
                try:
                    result = run.provider.execute(request)
                except (RateLimited, TransientError) as error:
                    wait, reason = _retry_wait(run, error, attempt)
                except (QuotaExceeded, AuthenticationFailed) as error:
                    _stop_job(run, error)
                except (RequestRejected, BadResponse) as error:
                    self._fail(run, item, str(error))
                    return None
                except Exception as error:  # a provider bug: this item fails, the job goes on
                    log.exception("provider %s failed on item %s", run.provider.name, item.id)
                    self._fail(run, item, N_("unexpected error: {error}").format(error=repr(error)))
                    return None
                else:
                    characters = result.characters or usage.characters
                    tokens = (result.prompt_tokens + result.completion_tokens) or usage.tokens
                    cost = result.cost or run.pricing.cost(characters, tokens)
                    usage_now = (characters, tokens, cost)
                    self._writer.call(lambda p, r=result, u=usage_now: _cache_put(p, run, key, r, *u))
                    run.spending.add(characters, tokens, cost)
                    return result
                if attempt >= run.retry.max_attempts:
                    self._fail(run, item, N_("gave up after {n} attempts: {reason}").format(n=attempt, reason=reason))
                    return None
                log.info("job %s item %s: %s; retrying in %.2f s", run.job_id, item.id, reason, wait)
                if run.stop.wait(wait):
                    raise _Interrupted
        finally:
            run.spending.release(usage.characters, usage.tokens, estimated_cost)

    # -- many items in one request (DeepL) ----------------------------------------------------------

    def _work_group(self, run: _Run, items: list[_Item]) -> None:
        if run.stop.is_set():
            return
        try:
            self._process_group(run, items)
        except _Interrupted:
            ids = [item.id for item in items]
            self._writer.call(lambda p: _back_to_pending_many(p, ids))
        except Exception as error:  # a bug, or the project file failing: stop rather than go on blind
            log.exception("job %s, items %s…", run.job_id, items[0].id)
            run.stop_with("failed", N_("the job stopped: {error}").format(error=error))

    def _process_group(self, run: _Run, items: list[_Item]) -> None:
        """Items of one unit: answered from the cache each, the rest sent together (as few requests as
        the text and byte caps allow), then each item parsed, cached and finished on its own."""
        prepared: list[_Prepared] = []
        for item in items:
            try:
                request = to_request(run.task.build(item.content, run.style, run.prompt))
                usage = run.task.estimate(item.content, run.style, run.prompt)
            except ValueError as error:
                self._fail(run, item, N_("cannot build the request: {error}").format(error=error))
                continue
            if not isinstance(request, TranslationRequest):
                raise TypeError(f"a batched job needs translation requests, not {type(request).__name__}")
            prepared.append(_Prepared(item, request, cache_key(run.provider, run.task.prompt_version, request), usage))
        keys = [p.key for p in prepared]
        hits = self._writer.call(lambda p: _cache_get_many(p, keys))
        followers: list[_Prepared] = []
        mine: list[_Prepared] = []
        with self._lock:
            for p in prepared:
                if p.key in hits:
                    continue
                if p.key in self._asking:  # asked by another item (here or in another unit): wait for it
                    followers.append(p)
                else:
                    self._asking[p.key] = threading.Event()
                    mine.append(p)
        claimed = {p.key for p in mine}
        try:
            for p in prepared:
                if p.key in hits:
                    if run.stop.is_set():
                        raise _Interrupted
                    self._complete(run, p.item, p.key, p.usage, hits[p.key], True)
            remaining = mine
            while remaining:
                if run.stop.is_set():
                    raise _Interrupted
                chunk, remaining = self._next_chunk(run, remaining)
                refused = not self._request_group(run, chunk)
                # Settled (answers in the cache, suggestions added, failures recorded) or refused:
                # items waiting for these keys may read the cache now.
                self._release(chunk, claimed)
                if refused:  # the service refused the whole request: each item on its own
                    followers.extend(chunk)
        finally:
            self._release(mine, claimed)
        for p in followers:
            if run.stop.is_set():
                raise _Interrupted
            self._process(run, p.item)

    def _release(self, prepared: list[_Prepared], claimed: set[str]) -> None:
        """Let items waiting for these keys read the cache (each key once)."""
        with self._lock:
            for p in prepared:
                if p.key in claimed:
                    claimed.discard(p.key)
                    self._asking.pop(p.key).set()

    def _next_chunk(self, run: _Run, prepared: list[_Prepared]) -> tuple[list[_Prepared], list[_Prepared]]:
        """The first items that go in one request (same settings, within the caps and the budget, at
        least one item), and the rest. The budget is reserved here for the chunk's items; a chunk
        whose first item does not fit pauses the job."""
        first = prepared[0].request
        texts = size = 0
        chunk: list[_Prepared] = []
        for p in prepared:
            n = len(p.request.texts)
            b = sum(len(t.encode()) for t in p.request.texts)
            same = replace(p.request, texts=()) == replace(first, texts=())
            if chunk and (not same or texts + n > run.batch_texts or size + b > run.batch_bytes):
                break
            refused = run.spending.reserve(
                p.usage.characters, p.usage.tokens, run.pricing.cost(p.usage.characters, p.usage.tokens)
            )
            if refused:
                if not chunk:
                    run.stop_with("paused", refused)
                    raise _Interrupted
                break
            chunk.append(p)
            texts += n
            size += b
        return chunk, prepared[len(chunk) :]

    def _request_group(self, run: _Run, chunk: list[_Prepared]) -> bool:
        """Send the chunk's texts in one request (retrying the whole request on rate limits and
        transient errors) and settle every item: done with its suggestion, or failed with why. False
        when the service refused the whole request and the chunk has more than one item (they are
        then tried one by one)."""
        characters = sum(p.usage.characters for p in chunk)
        tokens = sum(p.usage.tokens for p in chunk)
        estimated_cost = sum(run.pricing.cost(p.usage.characters, p.usage.tokens) for p in chunk)
        request = replace(chunk[0].request, texts=tuple(t for p in chunk for t in p.request.texts))
        marks = [(p.item.id, p.key) for p in chunk]
        provider: Any = run.provider
        try:
            attempt = 0
            while True:
                attempt += 1
                self._hold(run)
                if not run.limiter.acquire(tokens=tokens, characters=characters, stop=run.stop):
                    raise _Interrupted
                if run.stop.is_set():
                    raise _Interrupted
                self._writer.call(lambda p: _mark_running_many(p, marks))
                try:
                    each = provider.translate_each(request)
                    if len(each) != len(request.texts):
                        raise BadResponse(f"{len(each)} translations for {len(request.texts)} texts")
                except (RateLimited, TransientError) as error:
                    wait, reason = _retry_wait(run, error, attempt)
                except (QuotaExceeded, AuthenticationFailed) as error:
                    _stop_job(run, error)
                except RequestRejected as error:
                    if len(chunk) > 1:
                        log.info(
                            "job %s: a request of %s items refused (%s); sending them one by one",
                            run.job_id,
                            len(chunk),
                            error,
                        )
                        return False
                    self._fail(run, chunk[0].item, str(error))
                    return True
                except BadResponse as error:
                    self._fail_many(run, [(p.item, str(error)) for p in chunk])
                    return True
                except Exception as error:  # a provider bug: these items fail, the job goes on
                    log.exception("provider %s failed on items %s…", run.provider.name, chunk[0].item.id)
                    reason = N_("unexpected error: {error}").format(error=repr(error))
                    self._fail_many(run, [(p.item, reason) for p in chunk])
                    return True
                else:
                    self._settle_answers(run, chunk, each)
                    return True
                if attempt >= run.retry.max_attempts:
                    gave_up = N_("gave up after {n} attempts: {reason}").format(n=attempt, reason=reason)
                    self._fail_many(run, [(p.item, gave_up) for p in chunk])
                    return True
                log.info("job %s items %s…: %s; retrying in %.2f s", run.job_id, chunk[0].item.id, reason, wait)
                if run.stop.wait(wait):
                    raise _Interrupted
        finally:
            run.spending.release(characters, tokens, estimated_cost)

    def _settle_answers(self, run: _Run, chunk: list[_Prepared], each: list[ProviderResult | BadResponse]) -> None:
        """Per item of the chunk, its texts' answers as one result, parsed by the task; then in ONE
        transaction: every usable answer into the cache under its item's key, what the whole request
        cost (failed texts are billed too) to the job, each usable item's suggestion and done mark,
        and each failed item (a text gone wrong, an answer the task cannot use) with why.

        One writer call for the chunk instead of one per item and one for the cache: each call is a
        hand-over between threads and a commit, and with hundreds of answers a second those compete
        with the window for the GIL. An unusable answer is never cached, so a retry asks again."""
        entries: list[tuple[str, ProviderResult, int, int, float]] = []
        finishes: list[tuple[_Item, Mapping[str, Any], int, float]] = []
        failures: list[tuple[_Item, str]] = []
        billed_total = 0
        position = 0
        for p in chunk:
            mine = each[position : position + len(p.request.texts)]
            position += len(p.request.texts)
            billed_total += sum(r.characters for r in mine if isinstance(r, ProviderResult))
            errors = [r for r in mine if not isinstance(r, ProviderResult)]
            if errors:
                failures.append((p.item, str(errors[0])))
                continue
            result = _joined_result(mine)  # type: ignore[arg-type]
            try:
                suggestion = run.task.parse(p.item.content, run.style, result.output)
            except ValueError as error:
                failures.append((p.item, N_("unusable answer: {error}").format(error=error)))
                continue
            characters = result.characters or p.usage.characters
            cost = run.pricing.cost(characters, 0)
            entries.append((p.key, result, characters, 0, cost))
            finishes.append((p.item, suggestion, characters, cost))
        spent_cost = run.pricing.cost(billed_total, 0)
        marks = [(item.id, reason) for item, reason in failures]

        def settle(project: Project) -> tuple[list[int], list[int]]:
            with project.db.atomic():
                _cache_put_many(project, run, entries, billed_total, 0, spent_cost)
                suggestion_ids = [
                    _finish_item(project, run, item, suggestion, characters=characters, tokens=0, cost=cost)
                    for item, suggestion, characters, cost in finishes
                ]
                attempts = _fail_items(project, marks) if marks else []
            return suggestion_ids, attempts

        suggestion_ids, attempts = self._writer.call(settle)
        run.spending.add(billed_total, 0, spent_cost)
        with run.lock:
            run.done += len(finishes)
            run.done_this_run += len(finishes)
            run.failed += len(failures)
        for (item, _suggestion, characters, cost), suggestion_id in zip(finishes, suggestion_ids, strict=True):
            self._emit(ItemDone(run.job_id, item.id, item.sample_id, suggestion_id, False, characters, 0, cost))
        for (item, reason), tries in zip(failures, attempts, strict=True):
            self._emit(ItemFailed(run.job_id, item.id, item.sample_id, reason, tries))
        self._progress(run)

    def _hold(self, run: _Run) -> None:
        """Wait out a Retry-After the service gave any item of the job (interruptible)."""
        while True:
            with run.lock:
                delay = run.hold_until - time.monotonic()
            if delay <= 0:
                return
            if run.stop.wait(delay):
                raise _Interrupted

    def _fail(self, run: _Run, item: _Item, reason: str) -> None:
        self._fail_many(run, [(item, reason)])

    def _fail_many(self, run: _Run, failures: list[tuple[_Item, str]]) -> None:
        """Record the items failed, with why, in one writer call (one transaction)."""
        marks = [(item.id, reason) for item, reason in failures]
        attempts = self._writer.call(lambda p: _fail_items(p, marks))
        with run.lock:
            run.failed += len(failures)
        for (item, reason), tries in zip(failures, attempts, strict=True):
            self._emit(ItemFailed(run.job_id, item.id, item.sample_id, reason, tries))
        self._progress(run)

    def _progress(self, run: _Run, *, force: bool = False) -> None:
        now = time.monotonic()
        with run.lock:
            if not force and now - run.last_progress < PROGRESS_INTERVAL:
                return
            run.last_progress = now
            elapsed = max(now - run.started, 1e-6)
            event = JobProgress(
                run.job_id,
                run.done,
                run.failed,
                run.total,
                run.spending.characters,
                run.spending.tokens,
                round(run.spending.cost, 6),
                run.done_this_run / elapsed,
            )
        self._emit(event)

    def _emit(self, event: Event) -> None:
        if self._on_event is None:
            return
        try:
            self._on_event(event)
        except Exception:  # a listener's bug must not stop the job
            log.exception("on_event failed for %r", event)

    def _content_batches(self, sample_ids: Sequence[int], task: Task) -> Iterator[list[tuple[int, Any]]]:
        ids = list(dict.fromkeys(int(i) for i in sample_ids))
        for start in range(0, len(ids), 900):
            chunk = ids[start : start + 900]
            yield self._writer.call(lambda p, c=chunk: _contents(p, c, task, ids))


# --------------------------------------------------------------------------------------------------
# Ledger operations: each runs on the writer thread, each multi-step one in one transaction
# --------------------------------------------------------------------------------------------------


def _contents(project: Project, ids: list[int], task: Task, pool: Sequence[int] = ()) -> list[tuple[int, Any]]:
    """``(sample id, content or None)``: None for samples missing, deleted or of another kind; with
    the task's :attr:`~app.tasks.Task.context` added (``pool``: the samples of the job)."""
    rows = {
        r[0]: r
        for r in project.db.execute(
            f"SELECT id, kind, content, deleted FROM samples WHERE id IN ({','.join('?' * len(ids))})", ids
        )
    }
    out = []
    for sample_id in ids:
        row = rows.get(sample_id)
        ok = row is not None and not row[3] and row[1] in task.kinds
        content = orjson.loads(row[2]) if ok and row else None
        if content is not None and task.context is not None:
            content = task.context(project, pool, sample_id, content)
        out.append((sample_id, content))
    return out


def _cached_keys(project: Project, keys: list[str]) -> set[str]:
    found: set[str] = set()
    for start in range(0, len(keys), 900):
        chunk = keys[start : start + 900]
        found.update(
            r[0]
            for r in project.db.execute(f"SELECT key FROM cache WHERE key IN ({','.join('?' * len(chunk))})", chunk)
        )
    return found


def _create_job(
    project: Project, task: Task, provider: Provider, params: dict[str, Any], budgets: Budgets, ids: list[int]
) -> int:
    conn = project.db.conn
    stamp = now_iso()
    with project.db.atomic():
        cursor = conn.execute(
            "INSERT INTO jobs(task, provider, model, params, state, created_at, budget_characters, budget_tokens,"
            " budget_cost) VALUES (?, ?, ?, ?, 'queued', ?, ?, ?, ?)",
            (
                task.name,
                provider.name,
                provider.model,
                orjson.dumps(params, default=str).decode(),
                stamp,
                budgets.max_characters,
                budgets.max_tokens,
                budgets.max_cost,
            ),
        )
        job_id = int(cursor.lastrowid)
        for start in range(0, len(ids), 900):
            chunk = ids[start : start + 900]
            kinds = {
                r[0]: (r[1], r[2])
                for r in conn.execute(
                    f"SELECT id, kind, deleted FROM samples WHERE id IN ({','.join('?' * len(chunk))})", chunk
                )
            }
            rows = []
            for sample_id in chunk:
                kind, deleted = kinds.get(sample_id, (None, 1))
                if kind is None:
                    raise ProjectError(f"no sample {sample_id}")
                if deleted:
                    rows.append((job_id, sample_id, "skipped", "the sample is deleted", stamp))
                elif kind not in task.kinds:
                    reason = N_("{task} does not apply to {kind} samples").format(task=task.name, kind=kind)
                    rows.append((job_id, sample_id, "skipped", reason, stamp))
                else:
                    rows.append((job_id, sample_id, "pending", None, stamp))
            conn.executemany(
                "INSERT INTO job_items(job_id, sample_id, state, error, updated_at) VALUES (?, ?, ?, ?, ?)", rows
            )
    return job_id


def _job_row(project: Project, job_id: int) -> dict[str, Any]:
    cursor = project.db.execute("SELECT * FROM jobs WHERE id = ?", (job_id,))
    row = cursor.fetchone()
    if row is None:
        raise ProjectError(f"no job {job_id}")
    return dict(zip([d[0] for d in cursor.description], row, strict=True))


def _update_job_settings(project: Project, job_id: int, budgets: Budgets | None, concurrency: int | None) -> None:
    with project.db.atomic():
        if budgets is not None:
            project.db.execute(
                "UPDATE jobs SET budget_characters = ?, budget_tokens = ?, budget_cost = ? WHERE id = ?",
                (budgets.max_characters, budgets.max_tokens, budgets.max_cost, job_id),
            )
        if concurrency is not None:
            params = orjson.loads(_job_row(project, job_id)["params"])
            params["concurrency"] = concurrency
            project.db.execute("UPDATE jobs SET params = ? WHERE id = ?", (orjson.dumps(params).decode(), job_id))


def _counts(project: Project, job_id: int) -> dict[str, int]:
    counts = dict.fromkeys(("pending", "running", "done", "failed", "skipped"), 0)
    counts.update(
        project.db.execute(
            "SELECT state, count(*) FROM job_items WHERE job_id = ? GROUP BY state", (job_id,)
        ).fetchall()
    )
    counts["total"] = sum(counts[s] for s in ("pending", "running", "done", "failed"))
    return counts


def _begin_run(project: Project, job_id: int) -> dict[str, int]:
    """Recover the ledger after whatever ended the last run, and mark the job running."""
    stamp = now_iso()
    with project.db.atomic():
        # An item whose suggestion exists is done, whatever its row says.
        project.db.execute(
            "UPDATE job_items SET state = 'done', error = NULL, updated_at = ?,"
            " suggestion_id = (SELECT max(s.id) FROM suggestions s"
            "                  WHERE s.job_id = job_items.job_id AND s.sample_id = job_items.sample_id)"
            " WHERE job_id = ? AND state IN ('pending', 'running') AND EXISTS (SELECT 1 FROM suggestions s"
            "   WHERE s.job_id = job_items.job_id AND s.sample_id = job_items.sample_id)",
            (stamp, job_id),
        )
        # Running at the crash: sent again (or answered from the cache if the answer got there).
        project.db.execute(
            "UPDATE job_items SET state = 'pending', updated_at = ? WHERE job_id = ? AND state = 'running'",
            (stamp, job_id),
        )
        project.db.execute(
            "UPDATE jobs SET state = 'running', started_at = coalesce(started_at, ?), finished_at = NULL,"
            " error = NULL WHERE id = ?",
            (stamp, job_id),
        )
    return _counts(project, job_id)


def _job_samples(project: Project, job_id: int) -> list[int]:
    return [r[0] for r in project.db.execute("SELECT sample_id FROM job_items WHERE job_id = ?", (job_id,))]


def _pending_items(
    project: Project, job_id: int, after: int, task: Task | None = None, pool: Sequence[int] = ()
) -> list[_Item]:
    """The next pending items; with ``task``'s context added (``pool``: the job's samples)."""
    rows = project.db.execute(
        "SELECT ji.id, ji.sample_id, s.content FROM job_items ji JOIN samples s ON s.id = ji.sample_id"
        " WHERE ji.job_id = ? AND ji.state = 'pending' AND ji.id > ? ORDER BY ji.id LIMIT ?",
        (job_id, after, BATCH),
    ).fetchall()
    items = [_Item(r[0], r[1], orjson.loads(r[2])) for r in rows]
    if items and task is not None and task.context is not None:
        for item in items:
            item.content = task.context(project, pool, item.sample_id, item.content)
    return items


def _mark_running(project: Project, item_id: int, key: str) -> None:
    """Record an attempt BEFORE it is sent: the ledger always shows what may have been paid for."""
    _mark_running_many(project, [(item_id, key)])


def _mark_running_many(project: Project, marks: list[tuple[int, str]]) -> None:
    """:func:`_mark_running` for every item of a batched request (``(item id, key)``), in one transaction."""
    stamp = now_iso()
    with project.db.atomic():
        project.db.conn.executemany(
            "UPDATE job_items SET state = 'running', attempts = attempts + 1, request_key = ?, updated_at = ?"
            " WHERE id = ?",
            [(key, stamp, item_id) for item_id, key in marks],
        )


def _back_to_pending_many(project: Project, item_ids: list[int]) -> None:
    stamp = now_iso()
    with project.db.atomic():
        project.db.conn.executemany(
            "UPDATE job_items SET state = 'pending', updated_at = ? WHERE id = ? AND state IN ('pending', 'running')",
            [(stamp, item_id) for item_id in item_ids],
        )


def _back_to_pending(project: Project, item_id: int) -> None:
    _back_to_pending_many(project, [item_id])


def _fail_item(project: Project, item_id: int, reason: str) -> int:
    return _fail_items(project, [(item_id, reason)])[0]


def _fail_items(project: Project, failures: list[tuple[int, str]]) -> list[int]:
    """Each ``(item id, reason)`` failed, in one transaction; the attempts each item has had."""
    stamp = now_iso()
    attempts = []
    with project.db.atomic():
        for item_id, reason in failures:
            project.db.execute(
                "UPDATE job_items SET state = 'failed', error = ?, updated_at = ? WHERE id = ?",
                (reason, stamp, item_id),
            )
            attempts.append(project.db.execute("SELECT attempts FROM job_items WHERE id = ?", (item_id,)).fetchone()[0])
    return attempts


def _reset_failed(project: Project, job_id: int) -> int:
    _job_row(project, job_id)
    with project.db.atomic():
        cursor = project.db.execute(
            "UPDATE job_items SET state = 'pending', error = NULL, updated_at = ?"
            " WHERE job_id = ? AND state = 'failed'",
            (now_iso(), job_id),
        )
    return cursor.rowcount


def _cache_get(project: Project, key: str) -> ProviderResult | None:
    row = project.db.execute("SELECT response FROM cache WHERE key = ?", (key,)).fetchone()
    return _result_from_json(row[0]) if row else None


def _cache_get_many(project: Project, keys: list[str]) -> dict[str, ProviderResult]:
    found: dict[str, ProviderResult] = {}
    for start in range(0, len(keys), 900):
        chunk = keys[start : start + 900]
        for key, response in project.db.execute(
            f"SELECT key, response FROM cache WHERE key IN ({','.join('?' * len(chunk))})", chunk
        ):
            found[key] = _result_from_json(response)
    return found


def _cache_put_many(
    project: Project,
    run: _Run,
    entries: list[tuple[str, ProviderResult, int, int, float]],
    spent_characters: int,
    spent_tokens: int,
    spent_cost: float,
) -> None:
    """Step 4: every usable answer under its item's key (``(key, result, characters, tokens, cost)``),
    and what the whole request cost (for a batched one, failed texts are billed too) to the job, in
    one transaction."""
    stamp = now_iso()
    with project.db.atomic():
        project.db.conn.executemany(
            "INSERT OR REPLACE INTO cache(key, provider, model, response, characters, tokens, cost, created_at)"
            " VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            [
                (key, run.provider.name, run.provider.model, _result_json(result), characters, tokens, cost, stamp)
                for key, result, characters, tokens, cost in entries
            ],
        )
        project.db.execute(
            "UPDATE jobs SET spent_characters = spent_characters + ?, spent_tokens = spent_tokens + ?,"
            " spent_cost = spent_cost + ? WHERE id = ?",
            (spent_characters, spent_tokens, spent_cost, run.job_id),
        )


def _cache_evict(project: Project, key: str) -> None:
    with project.db.atomic():
        project.db.execute("DELETE FROM cache WHERE key = ?", (key,))


def _cache_put(
    project: Project, run: _Run, key: str, result: ProviderResult, characters: int, tokens: int, cost: float
) -> None:
    """Step 4: the answer to disk, and what it cost to the job, in one transaction."""
    _cache_put_many(project, run, [(key, result, characters, tokens, cost)], characters, tokens, cost)


def _finish_item(
    project: Project,
    run: _Run,
    item: _Item,
    suggestion: Mapping[str, Any],
    *,
    characters: int,
    tokens: int,
    cost: float,
) -> int:
    """Step 5: the suggestion and the item done, in one transaction (exactly one suggestion per item).

    A task that creates samples (``Task.creates``) adds them here too, in the same transaction: a
    crash leaves either the item pending with none of its samples, or the item done with all."""
    with project.db.atomic():
        row = project.db.execute("SELECT state, suggestion_id FROM job_items WHERE id = ?", (item.id,)).fetchone()
        if row[0] == "done" and row[1] is not None:
            return int(row[1])
        if run.task.creates:
            # Another job already made samples of this very answer (a re-run answered from the cache):
            # point at them instead of adding the same samples twice.
            earlier = _same_answer(project, item.sample_id, run.task.name, suggestion)
            if earlier is not None:
                project.db.execute(
                    "UPDATE job_items SET state = 'done', suggestion_id = ?, error = NULL, updated_at = ? WHERE id = ?",
                    (earlier, now_iso(), item.id),
                )
                return earlier
        suggestion_id = actions.add_suggestion(
            project,
            item.sample_id,
            task=run.task.name,
            content=suggestion,
            engine=run.provider.name,
            model=run.provider.model,
            prompt_version=run.task.prompt_version,
            cost=cost,
            job_id=run.job_id,
        )
        project.db.execute(
            "UPDATE suggestions SET characters = ?, tokens = ? WHERE id = ?", (characters, tokens, suggestion_id)
        )
        if run.task.creates:
            samples = suggestion.get("samples") or []
            if run.task.screen is not None:
                samples = run.task.screen(project, samples)
            actions.add_generated_samples(project, suggestion_id, run.task.creates, samples, subset=run.task.name)
        project.db.execute(
            "UPDATE job_items SET state = 'done', suggestion_id = ?, error = NULL, updated_at = ? WHERE id = ?",
            (suggestion_id, now_iso(), item.id),
        )
    return suggestion_id


def _same_answer(project: Project, sample_id: int, task: str, suggestion: Mapping[str, Any]) -> int | None:
    row = project.db.execute(
        "SELECT id FROM suggestions WHERE sample_id = ? AND task = ? AND content = ? LIMIT 1",
        (sample_id, task, actions.dump_content(suggestion)),
    ).fetchone()
    return None if row is None else int(row[0])


def _set_state(project: Project, job_id: int, state: str, error: str | None, *, finished: bool) -> None:
    with project.db.atomic():
        project.db.execute(
            "UPDATE jobs SET state = ?, error = ?, finished_at = ? WHERE id = ?",
            (state, error, now_iso() if finished else None, job_id),
        )


def _stop_idle(project: Project, job_id: int, state: str, message: str) -> bool:
    row = _job_row(project, job_id)
    if row["state"] in ("done", "cancelled") or row["state"] == state:
        return False
    _set_state(project, job_id, state, message, finished=state == "cancelled")
    return True


def job_summary(project: Project, job_id: int) -> JobSummary:
    """A job's state, counts and spending, read with any connection (the CLI, the GUI)."""
    row = _job_row(project, job_id)
    counts = _counts(project, job_id)
    return JobSummary(
        id=job_id,
        task=row["task"],
        provider=row["provider"],
        model=row["model"],
        state=row["state"],
        created_at=row["created_at"],
        total=counts["total"],
        done=counts["done"],
        failed=counts["failed"],
        pending=counts["pending"] + counts["running"],
        skipped=counts["skipped"],
        characters=row["spent_characters"],
        tokens=row["spent_tokens"],
        cost=row["spent_cost"],
        error=row["error"],
    )


def job_summaries(project: Project, job_ids: Iterable[int] | None = None) -> list[JobSummary]:
    ids = (
        list(job_ids) if job_ids is not None else [r[0] for r in project.db.execute("SELECT id FROM jobs ORDER BY id")]
    )
    return [job_summary(project, job_id) for job_id in ids]


def job_params(project: Project, job_id: int) -> dict[str, Any]:
    """The settings a job was started with (provider settings, concurrency, limits…)."""
    return orjson.loads(_job_row(project, job_id)["params"])
