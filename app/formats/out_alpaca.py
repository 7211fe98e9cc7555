"""Alpaca out: ``instruction, input, output[, system, history]``, as a JSON array or as JSON Lines.

Every kind converts through :func:`app.records.as_alpaca`. The two files differ only in framing, so
LLaMA-Factory reads both with the same ``dataset_info.json`` entry.
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path
from typing import Any

from app.formats.base import ExportItem, WriteOptions, Writer
from app.formats.writers import finish, stored_alpaca_block, stored_alpaca_line, write_json_array, write_jsonl
from app.records import as_alpaca

LLAMA_FACTORY = {
    "columns": {
        "prompt": "instruction",
        "query": "input",
        "response": "output",
        "system": "system",
        "history": "history",
    }
}


def alpaca_record(item: ExportItem) -> dict[str, Any]:
    """The item as one Alpaca record, extra source fields and provenance after the schema."""
    return finish(as_alpaca(item.kind, item.content), item)


def write_alpaca_json(path: Path, items: Iterable[ExportItem], options: WriteOptions) -> int:
    return write_json_array(path, items, alpaca_record)


def write_alpaca_jsonl(path: Path, items: Iterable[ExportItem], options: WriteOptions) -> int:
    return write_jsonl(path, items, alpaca_record)


WRITERS = [
    Writer(
        name="alpaca-json",
        title="Alpaca JSON (instruction, input, output)",
        suffix=".json",
        write=write_alpaca_json,
        llama_factory=LLAMA_FACTORY,
    ),
    Writer(
        name="alpaca-jsonl",
        title="Alpaca JSON Lines (instruction, input, output)",
        suffix=".jsonl",
        write=write_alpaca_jsonl,
        stored_line=stored_alpaca_line,
        stored_block=stored_alpaca_block,
        llama_factory=LLAMA_FACTORY,
    ),
]
