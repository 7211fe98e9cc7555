"""COIG LeetCode instructions: problems → instruction samples from templates, with no model.

As the COIG paper (section 3.5) describes it: for every language implementation of a problem, draw
the task at random — code-to-text (the code is given, the answer describes the problem it solves)
or text-to-code (the problem is given, the answer is the code) — and then one instruction template
of that task at random. A problem (or solution) with an explanation gets the "with explanation"
variant of the task, whose answer also carries the explanation. So four task types::

    code-to-text                    input: the code        output: the description
    code-to-text-with-explanation   input: the code        output: the description, then the explanation
    text-to-code                    input: the description output: the code
    text-to-code-with-explanation   input: the description output: the explanation, then the code

The templates are ``resources/prompts/leetcode_templates_zh.txt`` (38 of them, editable). The
draws come from a generator seeded by the seed *and the problem* (its slug, else id, else title),
so one problem's samples do not depend on which other problems are in the run, and the same seed
gives the same samples on any machine (``random.Random`` seeded with a string hashes it with
SHA-512, not with Python's per-process string hash).

A generated sample is a ``code`` sample in the shape of COIG's ``leetcode_instructions.jsonl``
(``instruction, input, output`` plus ``task_type`` and ``program_lang`` in ``extra``, ``language``
as the COIG LeetCode reader derives it), so it exports as COIG LeetCode exactly. The code sits in
a fenced block, byte for byte as it came. ``leetcode`` records where it came from (problem, seed,
template, implementation); no writer exports that key.
"""

from __future__ import annotations

import random
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from functools import cache
from typing import Any

from app.formats.leetcode_problems import description_text, fenced, lexer_name, problem_key
from app.tasks import Task, Usage, load_prompt

TEMPLATE_FILE = "leetcode_templates_zh.txt"
SUBSET = "leetcode"
"""The subset generated samples are put in."""

CODE_TO_TEXT = "code-to-text"
TEXT_TO_CODE = "text-to-code"
TASK_TYPES = (CODE_TO_TEXT, f"{CODE_TO_TEXT}-with-explanation", TEXT_TO_CODE, f"{TEXT_TO_CODE}-with-explanation")
"""The ``task_type`` values written (the templates file has one section per type)."""

_VERSION = re.compile(r"^#\s*version:\s*(\S+)", re.M)


@dataclass(frozen=True)
class Templates:
    """The instruction templates by task type, and the version the file declares."""

    by_type: Mapping[str, tuple[str, ...]]
    version: str

    def count(self) -> int:
        return sum(len(group) for group in self.by_type.values())


def parse_templates(text: str) -> Templates:
    """Templates from the file's text: ``[task-type]`` sections, one template per line; ``#`` lines
    and empty lines ignored. ValueError names what is wrong (an unknown section, a type with none)."""
    found: dict[str, list[str]] = {}
    current: list[str] | None = None
    for number, raw in enumerate(text.splitlines(), start=1):
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        if line.startswith("[") and line.endswith("]"):
            name = line[1:-1].strip()
            if name not in TASK_TYPES:
                raise ValueError(f"line {number}: unknown task type [{name}]; one of {', '.join(TASK_TYPES)}")
            current = found.setdefault(name, [])
            continue
        if current is None:
            raise ValueError(f"line {number}: a template before any [task-type] section")
        current.append(line)
    missing = [name for name in TASK_TYPES if not found.get(name)]
    if missing:
        raise ValueError(f"no templates for {', '.join(missing)}")
    version = _VERSION.search(text)
    return Templates({name: tuple(found[name]) for name in TASK_TYPES}, version[1] if version else "unversioned")


@cache
def templates() -> Templates:
    """The templates shipped in ``resources/prompts`` (read once per process)."""
    return parse_templates(load_prompt(TEMPLATE_FILE))


def _fill(template: str, lang: str, title: str) -> str:
    # str.replace, not format(): a template may hold other braces.
    return template.replace("{lang}", lang).replace("{title}", title)


def generate(problem: Mapping[str, Any], seed: int, chosen: Templates | None = None) -> list[dict[str, Any]]:
    """The instruction samples of one problem (the ``problem`` of a problem sample): one per language
    implementation, in the problem's order. ValueError when the problem cannot give any."""
    chosen = chosen or templates()
    key = problem_key(problem)
    description = description_text(str(problem.get("description") or ""))
    if not description:
        raise ValueError(f"problem {key or '?'} has no description")
    solutions = [s for s in problem.get("solutions") or () if isinstance(s, Mapping) and str(s.get("code", "")).strip()]
    if not solutions:
        raise ValueError(f"problem {key or '?'} has no solution code")
    title = str(problem.get("title") or key)
    general = str(problem.get("explanation") or "").strip()
    rng = random.Random(f"{seed}\x1f{key}")
    samples = []
    for index, solution in enumerate(solutions):
        lang, code = str(solution.get("lang") or ""), str(solution["code"])
        explanation = str(solution.get("explanation") or "").strip() or general
        direction = rng.choice((CODE_TO_TEXT, TEXT_TO_CODE))
        task_type = f"{direction}-with-explanation" if explanation else direction
        group = chosen.by_type[task_type]
        number = rng.randrange(len(group))
        block = fenced(code, lang)
        if direction == TEXT_TO_CODE:
            given, answer = description, f"{explanation}\n\n{block}" if explanation else block
        else:
            given, answer = block, f"{description}\n\n{explanation}" if explanation else description
        samples.append(
            {
                "instruction": _fill(group[number], lang, title),
                "input": given,
                "output": answer,
                "language": lexer_name(lang),
                "extra": {"task_type": task_type, "program_lang": lang},
                SUBSET: {
                    "problem": key,
                    "implementation": index,
                    "seed": seed,
                    "template": f"{task_type}#{number + 1}",
                    "templates": chosen.version,
                },
            }
        )
    return samples


def is_problem(content: Mapping[str, Any]) -> bool:
    """Whether a sample is a LeetCode problem (imported by the ``leetcode-problems`` reader)."""
    return isinstance(content.get("problem"), Mapping)


def plan(contents: Sequence[Mapping[str, Any]]) -> tuple[int, int]:
    """(problems, implementations) among these sample contents: what a run would write."""
    problems = [c["problem"] for c in contents if is_problem(c)]
    return len(problems), sum(len(p.get("solutions") or ()) for p in problems)


# --- the task as the registry lists it ----------------------------------------------------------


def _no_request(*_: Any) -> Any:
    raise ValueError("the LeetCode task sends no request: it runs locally (workers.local_tasks)")


def _no_usage(*_: Any) -> Usage:
    return Usage()


TASK = Task(
    name="leetcode",
    kinds=("code",),
    prompt_version="leetcode-templates-v1",
    build=_no_request,
    parse=_no_request,
    estimate=_no_usage,
    prompt_file=TEMPLATE_FILE,
    title="LeetCode instructions from templates",
    styles=(),
    creates="code",
    local=True,
)
