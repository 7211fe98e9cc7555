"""Curation tasks: per task, build a request from a sample and parse the answer back — pure functions.

A task says *what* to ask (texts to translate, a chat prompt) as plain data; the job engine in
``workers`` turns it into a provider request (``workers.providers.base``), sends it, and hands the
answer back to the task's parser. The call shapes below *are* the provider contract's requests:
``workers.providers.base`` names them ``TranslationRequest`` and ``ChatRequest`` (``app`` may not import
``workers``, so they are defined here, on the lower layer).

Each task is registered in :data:`TASKS` by name (``winnow run --task NAME``).
"""

from __future__ import annotations

import importlib
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from functools import cache
from typing import Any, Literal

from app.paths import resource_path

Style = Literal["translation", "chat"]
"""Which kind of service a request is for: a machine-translation API (DeepL) or a chat model."""


@dataclass(frozen=True)
class TranslationCall:
    """Texts for a machine translation service (DeepL). XML tags mark what must not be translated
    and where the fields of one sample start and end; the service keeps them (tag_handling=xml)."""

    texts: tuple[str, ...]
    source_lang: str = "EN"
    target_lang: str = "ZH-HANS"
    formality: str | None = None
    glossary_id: str | None = None
    ignore_tags: tuple[str, ...] = ("code", "x")
    """Elements whose content is never translated (code blocks, inline code, placeholders)."""


@dataclass(frozen=True)
class ChatCall:
    """One chat completion for an OpenAI-compatible server."""

    messages: tuple[tuple[str, str], ...]
    """(role, content) pairs."""
    temperature: float = 0.2
    max_tokens: int | None = None
    json_mode: bool = False
    """Ask for a JSON object (response_format) where the server supports it."""


@dataclass(frozen=True)
class Usage:
    """What a request is expected to cost, before it is sent: billed characters (DeepL) or
    prompt + completion tokens (chat)."""

    characters: int = 0
    tokens: int = 0


@dataclass(frozen=True)
class Task:
    """A curation task as the engine sees it. ``build``/``parse``/``estimate`` are pure."""

    name: str
    kinds: tuple[str, ...]
    """Sample kinds the task applies to; other samples are refused when a job is created."""
    prompt_version: str
    """Changes whenever the request a task builds for the same sample changes (part of the cache
    key and recorded with every suggestion)."""
    build: Callable[[Mapping[str, Any], Style, str], TranslationCall | ChatCall]
    """``build(content, style, prompt)``; ``prompt`` is the template text ('' for translation)."""
    parse: Callable[[Mapping[str, Any], Style, Any], dict[str, Any]]
    """``parse(content, style, output)`` → the suggestion's content; ValueError if unusable."""
    estimate: Callable[[Mapping[str, Any], Style, str], Usage]
    prompt_file: str = ""
    """Template under ``resources/prompts`` for the chat style."""
    title: str = ""
    """What the task is called in the GUI ("Translate into Chinese"); the name when empty."""
    styles: tuple[Style, ...] = ("translation", "chat")
    """The services the task can use: a task that needs a chat model leaves out "translation"."""
    creates: str | None = None
    """For a task that makes NEW samples of this kind (self-instruct expansion): ``parse`` returns
    ``{"samples": [content, ...]}`` and the engine adds each as a new sample of the job (subset = the
    task's name) with the answer's provenance, instead of a draft for the sample asked about."""
    context: Callable[[Any, Sequence[int], int, Mapping[str, Any]], dict[str, Any]] | None = None
    """Optional: ``context(project, pool_ids, sample_id, content)`` → the content ``build`` and ``parse``
    get, with what the request needs from OTHER samples (self-instruct: in-context examples drawn from
    the job's samples, ``pool_ids``). Runs on the engine's writer thread with the open project; it must
    be deterministic, so that a re-run builds the same request and takes its answer from the cache."""
    screen: Callable[[Any, Sequence[Mapping[str, Any]]], Sequence[Mapping[str, Any]]] | None = None
    """Optional, for a task that ``creates``: ``screen(project, samples)`` → the samples to add (e.g.
    without near-copies of existing ones); runs in the transaction that adds them."""
    local: bool = False
    """A task that needs no service (LeetCode instructions from templates): the engine never runs it;
    ``winnow run`` and the Run dialog hand it to ``workers.local_tasks`` instead, with no provider."""

    def display_name(self) -> str:
        return self.title or self.name

    def check_style(self, style: Style) -> None:
        """ValueError when the task cannot run on this kind of service (a chat-only task on DeepL)."""
        if self.local:
            raise ValueError(f"the task {self.name!r} runs on this computer and sends nothing to a service")
        if style not in self.styles:
            needs = "a chat model (an OpenAI-compatible server)" if "chat" in self.styles else "DeepL"
            raise ValueError(f"the task {self.name!r} needs {needs}")

    def prompt(self) -> str:
        return load_prompt(self.prompt_file) if self.prompt_file else ""


@cache
def load_prompt(name: str) -> str:
    """A prompt template from ``resources/prompts`` (read once per process)."""
    return resource_path("prompts", name).read_text(encoding="utf-8")


def get_task(name: str) -> Task:
    tasks = all_tasks()
    if name not in tasks:
        raise KeyError(f"unknown task {name!r}; one of {', '.join(sorted(tasks))}")
    return tasks[name]


TASK_MODULES = ("translate", "exam_extract", "self_instruct", "ccmc", "leetcode", "cqia", "kun")
"""Modules of ``app.tasks`` that each define one ``TASK`` (or a tuple ``TASKS``), in menu order."""


@cache
def all_tasks() -> dict[str, Task]:
    # Imported here, not at the top: the task modules import the call shapes from this package.
    tasks: dict[str, Task] = {}
    for module_name in TASK_MODULES:
        module = importlib.import_module(f"app.tasks.{module_name}")
        for task in getattr(module, "TASKS", None) or (module.TASK,):
            tasks[task.name] = task
    return tasks
