"""COIG human values: Self-Instruct expansion of hand-picked seed instructions.

COIG picked 50 seed instructions on values widely shared in the Chinese-speaking world (from moral
education textbooks and exams) and let a model write 3k more by in-context learning. Here a job runs
over the seeds (the selected samples, or those a ``--where`` filter picks); each seed is one item:

- the request shows the seed and ``EXAMPLES - 1`` other seeds of the same job, drawn at random but
  reproducibly (``random.Random(f"{seed}:{sample id}")``, as Self-Instruct samples its in-context
  examples), and asks for new instruction/input/output samples (:func:`add_examples` is the task's
  ``context`` hook, so the engine's estimate and run build the same request, and a re-run takes the
  answer from the cache instead of asking again — a new answer only when the seed sample, the prompt,
  the job's ``seed`` option or the examples change, on purpose);
- ``seed`` is a per-job option (:meth:`SelfInstructTask.with_options`; ``winnow run --seed``, the Run
  dialog's Seed): the default :data:`SEED` keeps the requests (and so the cache) as they always were;
  another seed draws other examples and is part of the prompt version, so it is always another request;
- the answer's samples are checked one by one (instruction and output present, Chinese, not merely
  explaining a proverb or quote — COIG's third principle); a bad one is set aside under ``rejected``
  in the seed's draft, not added;
- the engine adds the rest as new samples of the subset ``self-instruct`` with the answer's
  provenance, after the ``screen`` hook dropped near-copies: an instruction whose ROUGE-L with an
  existing sample's instruction (or an earlier one of the same answer) is above 0.7, as Self-Instruct
  filters (:mod:`app.tasks.near_copy`).

The reviewer keeps or drops each new sample against COIG's three principles, shown as a checklist in
the instruction pane for samples of this subset (:data:`PRINCIPLES`).
"""

from __future__ import annotations

import json
import logging
import random
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, fields, replace
from functools import partial
from typing import Any, ClassVar

import orjson

from app.records import ALPACA_FIELDS
from app.tasks import ChatCall, Task, Usage
from app.tasks import near_copy as near
from app.tasks.chat_json import (
    chat_task,
    chat_usage,
    count_tokens,
    cut,
    is_chinese,
    json_chat,
    json_object_or_array,
    user_json,
)

log = logging.getLogger(__name__)

NAME = "self-instruct"
PROMPT_VERSION = "self-instruct/1"
PROMPT_FILE = "self_instruct_zh.txt"

SEED = 0
"""Default seed of the in-context example draw; a job's ``seed`` option asks again with other examples."""
EXAMPLES = 5
"""Seeds shown per request: the item's own seed and this many less one drawn from the job's seeds."""
MAX_NEW = 10
"""More samples than this in one answer is not an answer to the prompt (it asks for 3)."""

EXAMPLES_KEY = "_examples"
"""Where :func:`add_examples` puts the drawn examples in the content the request is built from."""

PRINCIPLES_KEY = "principles"
"""The sample content key the review checklist is saved under: ``{principle key: True/False}``."""

PRINCIPLES = (
    ("shared", "体现华语世界普遍认同的人类共同价值观，而不是区域性的"),
    ("neutral", "不含政治宣传或宗教信仰，不涉及有争议的说法"),
    ("not_proverb", "不只是解释谚语或名言"),
)
"""COIG's three filtering principles for human-value samples: (key, the principle in Chinese)."""

_PROVERB_ONLY = re.compile(
    r"(解释|解读|阐释|阐述|说明|理解|翻译|释义|是什么意思|什么意思|含义|寓意).{0,20}"
    r"(谚语|俗语|名言|名句|格言|古语|警句|成语|歇后语|这句话)"
    r"|(谚语|俗语|名言|名句|格言|古语|警句|成语|歇后语|这句话).{0,20}"
    r"(是什么意思|什么意思|的含义|的意思|的寓意|怎么理解|如何理解)"
)


def _fields(content: Mapping[str, Any]) -> dict[str, str]:
    return {key: value if isinstance(value := content.get(key), str) else "" for key in ALPACA_FIELDS}


def _seed(content: Mapping[str, Any]) -> dict[str, str]:
    fields = _fields(content)
    if not fields["instruction"].strip():
        raise ValueError("the seed has no instruction")
    return fields


def add_examples(
    project: Any, pool: Sequence[int], sample_id: int, content: Mapping[str, Any], *, seed: int = SEED
) -> dict[str, Any]:
    """The task's ``context`` hook: ``content`` plus up to ``EXAMPLES - 1`` other seeds of the job
    (instruction samples with an instruction), drawn reproducibly for this sample and ``seed``."""
    others = sorted({int(i) for i in pool} - {int(sample_id)})
    drawn = random.Random(f"{seed}:{sample_id}").sample(others, min(len(others), 8 * EXAMPLES))
    examples: list[dict[str, str]] = []
    if drawn:
        rows = {
            row[0]: row
            for row in project.db.execute(
                f"SELECT id, kind, content FROM samples WHERE deleted = 0 AND id IN ({','.join('?' * len(drawn))})",
                drawn,
            )
        }
        for other in drawn:
            row = rows.get(other)
            if row is None or row[1] != "instruction":
                continue
            fields = _fields(orjson.loads(row[2]))
            if fields["instruction"].strip():
                examples.append(fields)
            if len(examples) >= EXAMPLES - 1:
                break
    return {**content, EXAMPLES_KEY: examples}


def examples_of(content: Mapping[str, Any]) -> list[dict[str, str]]:
    """The seed itself first, then the drawn examples (none when run without the context hook)."""
    drawn = content.get(EXAMPLES_KEY)
    extra = [_fields(example) for example in drawn if isinstance(example, Mapping)] if isinstance(drawn, list) else []
    return [_seed(content), *extra]


def build_request(content: Mapping[str, Any], prompt: str) -> ChatCall:
    """The prompt as the system message, the seed and its drawn examples as a JSON array."""
    return json_chat(prompt, user_json(examples_of(content)), temperature=0.7)


def _samples(answer: Any) -> list[Any]:
    if isinstance(answer, list):
        return answer
    for key in ("samples", "instructions", "data", "样本"):
        if isinstance(answer.get(key), list):
            return answer[key]
    if "instruction" in answer:
        return [answer]
    raise ValueError('the answer has no "samples" list')


def check_sample(value: Any) -> dict[str, str] | str:
    """A generated sample as ``{instruction, input, output}``, or why it is not used."""
    if not isinstance(value, Mapping):
        return f"not an object but {type(value).__name__}"
    fields: dict[str, str] = {}
    for key in ("instruction", "input", "output"):
        text = value.get(key, "")
        if text is None:
            text = ""
        if not isinstance(text, str):
            return f"{key} is not text"
        fields[key] = text.strip()
    if not fields["instruction"]:
        return "no instruction"
    if not fields["output"]:
        return "no output"
    for key in ("instruction", "output"):
        if not is_chinese(fields[key]):
            return f"{key} is not in Chinese: {cut(fields[key], 40)!r}"
    if _PROVERB_ONLY.search(fields["instruction"]):
        return "only explains a proverb or a quote (COIG principle 3)"
    return fields


def parse_answer(content: Mapping[str, Any], output: Any) -> dict[str, Any]:
    """``{"samples": [...], "rejected": [{"sample", "reason"}]}``; ValueError when the answer is not
    JSON, holds no samples or too many, or none of them is usable."""
    examples = examples_of(content)
    candidates = _samples(json_object_or_array(output))
    if not candidates:
        raise ValueError("the answer holds no samples")
    if len(candidates) > MAX_NEW:
        raise ValueError(f"the answer holds {len(candidates)} samples; at most {MAX_NEW} are taken from one answer")
    shown = [near.tokens(example["instruction"]) for example in examples]
    samples: list[dict[str, str]] = []
    rejected: list[dict[str, Any]] = []
    for value in candidates:
        checked = check_sample(value)
        if isinstance(checked, dict):
            score = max((near.rouge_l(near.tokens(checked["instruction"]), other) for other in shown), default=0.0)
            if score > near.THRESHOLD:
                checked = f"a near-copy of an example it was shown (ROUGE-L {score:.2f})"
        if isinstance(checked, str):
            rejected.append({"sample": value, "reason": checked})
        else:
            samples.append(checked)
    if not samples:
        reasons = "; ".join(item["reason"] for item in rejected[:3])
        raise ValueError(f"no usable sample in the answer: {reasons}")
    result: dict[str, Any] = {"samples": samples}
    if rejected:
        result["rejected"] = rejected
    return result


def screen(project: Any, samples: Sequence[Mapping[str, Any]]) -> list[Mapping[str, Any]]:
    """The task's ``screen`` hook: the samples whose instruction is not a near-copy of an existing one."""
    kept, dropped = near.screen(project, samples)
    for item in dropped:
        log.info(
            "self-instruct: dropped a near-copy (ROUGE-L %.2f of %s): %s",
            item["score"],
            f"sample {item['similar_to']}" if isinstance(item["similar_to"], int) else repr(item["similar_to"]),
            item["sample"].get("instruction", ""),
        )
    return kept


def estimate(content: Mapping[str, Any], prompt: str) -> Usage:
    """The prompt and the examples, plus three new samples about as long as the examples."""
    call = build_request(content, prompt)
    examples = examples_of(content)
    per_sample = sum(count_tokens(json.dumps(e, ensure_ascii=False)) for e in examples) / len(examples)
    return chat_usage(call, 3 * per_sample * 1.2 + 40)


def prompt_version(seed: int) -> str:
    """The prompt version of a job with this seed: part of the cache key and recorded with every
    suggestion. Another seed is always another request, even when it happens to draw the same
    examples (a job of two seeds has only one to show); the default keeps the version it always had."""
    return PROMPT_VERSION if seed == SEED else f"{PROMPT_VERSION}+seed={seed}"


@dataclass(frozen=True)
class SelfInstructTask(Task):
    """The task with its per-job option: ``seed`` of the in-context example draw.

    The engine records a job's options with the job and calls :meth:`with_options` whenever it
    builds the job's task (estimate, start, resume), so a resumed job draws the examples it drew."""

    seed: int = SEED
    option_names: ClassVar[tuple[str, ...]] = ("seed",)
    """The options :meth:`with_options` takes (``winnow run --seed``, the Run dialog's Seed)."""

    def with_options(self, options: Mapping[str, Any]) -> SelfInstructTask:
        """This task with the job's options; ValueError for an option it does not know."""
        unknown = sorted(set(options) - set(self.option_names))
        if unknown:
            raise ValueError(f"the task {self.name!r} has no option {', '.join(unknown)}")
        seed = options.get("seed", SEED)
        if isinstance(seed, bool) or not isinstance(seed, int):
            raise ValueError(f"the seed must be a whole number, not {seed!r}")
        if seed == self.seed:
            return self
        context = add_examples if seed == SEED else partial(add_examples, seed=seed)
        return replace(self, seed=seed, context=context, prompt_version=prompt_version(seed))


_BASE = chat_task(
    NAME,
    ("instruction",),
    PROMPT_VERSION,
    PROMPT_FILE,
    "Expand seed instructions (Self-Instruct)",
    build_request,
    parse_answer,
    estimate,
    creates="instruction",
    context=add_examples,
    screen=screen,
)
TASK = SelfInstructTask(**{f.name: getattr(_BASE, f.name) for f in fields(_BASE)})
