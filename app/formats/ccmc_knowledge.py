"""Knowledge entries for CCMC generation (COIG counterfactual correction multi-round chat).

An entry is what COIG took from CN-DBpedia for one dialogue: an entity's summary and its
attribute–value pairs, and a confusable entity (its summary and pairs too). Each entry becomes a
``chat`` sample with no messages yet and the entry under ``knowledge``; the ``ccmc`` task writes the
five rounds, and the chat pane shows the knowledge beside them.

Accepted as JSON (an array) or JSON Lines, one object per entry::

    {"entity": "北京猿人", "summary": "…", "attributes": {"年代": "约70万年前"},
     "confusable_entity": "山顶洞人", "confusable_summary": "…", "confusable_attributes": {…}}

(the confusable entity may also be a nested object ``"confusable": {"entity", "summary", "attributes"}``;
Chinese keys 实体/摘要/属性/混淆实体/混淆摘要/混淆属性 are taken too), or as CSV with those columns, an
attributes cell holding JSON or ``key: value`` pairs separated by ``;`` / ``；`` / new lines.

The stored knowledge keys are ``entity, summary, attributes, confusable_entity, confusable_summary,
confusable_attributes``: the COIG CCMC writer puts them beside ``round_0…round_4`` and its reader
takes them back as knowledge, so an export reads back the same.
"""

from __future__ import annotations

import csv
import re
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

import orjson

from app.formats import textio
from app.formats.base import FormatError, Reader, ReadOptions, Sniff
from app.formats.csv_table import csv_lines, table_rows
from app.formats.jsonfields import FieldError, objects, read_json_records, scaled, share
from app.records import BadRecord, Kind, Record

KNOWLEDGE_KEYS = (
    "entity",
    "summary",
    "attributes",
    "confusable_entity",
    "confusable_summary",
    "confusable_attributes",
)

_ALIASES: dict[str, tuple[str, ...]] = {
    "entity": ("entity", "entity_name", "name", "实体", "实体名", "名称"),
    "summary": ("summary", "abstract", "description", "摘要", "简介"),
    "attributes": ("attributes", "attrs", "attribute_values", "infobox", "属性", "属性值"),
    "confusable_entity": ("confusable_entity", "confused_entity", "confusable_name", "混淆实体", "易混淆实体"),
    "confusable_summary": ("confusable_summary", "confused_summary", "confusable_abstract", "混淆摘要", "混淆实体摘要"),
    "confusable_attributes": ("confusable_attributes", "confused_attributes", "混淆属性", "混淆实体属性"),
}
_NESTED = ("confusable", "confused", "confusion", "混淆", "易混淆")
_PAIR_SPLIT = re.compile(r"[;；\n]")
_PAIR = re.compile(r"\s*([^:：=]+?)\s*[:：=]\s*(.*)", re.DOTALL)


def _normal(key: str) -> str:
    return re.sub(r"[\s\-]+", "_", str(key).replace("\ufeff", "").strip().lower())


def _find(record: Mapping[str, Any], field: str) -> tuple[str | None, Any]:
    by_name = {_normal(key): key for key in record}
    for name in _ALIASES[field]:
        key = by_name.get(name)
        if key is not None:
            return key, record[key]
    return None, None


def _nested(record: Mapping[str, Any]) -> tuple[str | None, Mapping[str, Any] | None]:
    by_name = {_normal(key): key for key in record}
    for name in _NESTED:
        key = by_name.get(name)
        if key is not None and isinstance(record[key], Mapping):
            return key, record[key]
    return None, None


def attributes(value: Any, label: str) -> dict[str, str]:
    """Attribute–value pairs from an object, a list of pairs or ``{"attribute"/"key", "value"}``
    objects, a JSON string of those, or ``key: value`` text."""
    if value is None or value == "":
        return {}
    if isinstance(value, str):
        stripped = value.strip()
        if stripped[:1] in "{[":
            try:
                return attributes(orjson.loads(stripped), label)
            except orjson.JSONDecodeError:
                pass
        pairs: dict[str, str] = {}
        for part in _PAIR_SPLIT.split(stripped):
            if not part.strip():
                continue
            match = _PAIR.match(part)
            if match is None:
                raise FieldError(f'field "{label}": {part.strip()!r} is not "attribute: value"')
            pairs[match[1].strip()] = match[2].strip()
        return pairs
    if isinstance(value, Mapping):
        return {str(key): _cell(item) for key, item in value.items()}
    if isinstance(value, list):
        pairs = {}
        for item in value:
            if isinstance(item, list | tuple) and len(item) == 2:
                pairs[str(item[0])] = _cell(item[1])
            elif isinstance(item, Mapping) and ("value" in item or "值" in item):
                key = item.get("attribute", item.get("key", item.get("属性", item.get("name"))))
                if key is None:
                    raise FieldError(f'field "{label}": a pair has no attribute name')
                pairs[str(key)] = _cell(item.get("value", item.get("值")))
            else:
                raise FieldError(f'field "{label}": expected attribute–value pairs, got {_short(item)}')
        return pairs
    raise FieldError(f'field "{label}": expected attribute–value pairs, got {type(value).__name__}')


def _cell(value: Any) -> str:
    if isinstance(value, str):
        return value
    if value is None:
        return ""
    return orjson.dumps(value).decode() if isinstance(value, dict | list) else str(value)


def _short(value: Any) -> str:
    text = _cell(value)
    return repr(text if len(text) <= 40 else text[:39] + "…")


def _text(value: Any, label: str, *, required: bool) -> str:
    if value is None:
        if required:
            raise FieldError(f'field "{label}": missing')
        return ""
    if not isinstance(value, str):
        raise FieldError(f'field "{label}": expected text, got {type(value).__name__}')
    if required and not value.strip():
        raise FieldError(f'field "{label}": empty')
    return value.strip()


def convert(record: Mapping[str, Any]) -> dict[str, Any]:
    """One entry as chat content: no messages yet, the knowledge, unknown keys in ``extra``."""
    used: set[str] = set()
    found: dict[str, Any] = {}
    for field in KNOWLEDGE_KEYS:
        key, value = _find(record, field)
        if key is not None:
            used.add(key)
            found[field] = value
    nested_key, nested = _nested(record)
    if nested is not None:
        used.add(nested_key or "")
        for field, inner in (
            ("confusable_entity", "entity"),
            ("confusable_summary", "summary"),
            ("confusable_attributes", "attributes"),
        ):
            _key, value = _find(nested, inner)
            if field not in found and value is not None:
                found[field] = value
    knowledge = {
        "entity": _text(found.get("entity"), "entity", required=True),
        "summary": _text(found.get("summary"), "summary", required=True),
        "attributes": attributes(found.get("attributes"), "attributes"),
        "confusable_entity": _text(found.get("confusable_entity"), "confusable_entity", required=True),
        "confusable_summary": _text(found.get("confusable_summary"), "confusable_summary", required=False),
        "confusable_attributes": attributes(found.get("confusable_attributes"), "confusable_attributes"),
    }
    if knowledge["entity"] == knowledge["confusable_entity"]:
        raise FieldError(f"the confusable entity is the entity itself: {knowledge['entity']!r}")
    content: dict[str, Any] = {"messages": [], "knowledge": knowledge}
    extra = {key: value for key, value in record.items() if key not in used}
    if extra:
        content["extra"] = extra
    return content


def _is_entry(value: Any) -> bool:
    if not isinstance(value, Mapping):
        return False
    has_entity = _find(value, "entity")[0] is not None
    has_confusable = _find(value, "confusable_entity")[0] is not None or _nested(value)[0] is not None
    return has_entity and has_confusable


def _csv_header(text: str) -> list[str]:
    first = text.lstrip("\ufeff").splitlines()[0] if text.strip() else ""
    try:
        return next(csv.reader([first]))
    except (csv.Error, StopIteration):
        return []


def detect(sniff: Sniff) -> int:
    """96 for JSON objects or a CSV header naming an entity and a confusable entity."""
    if sniff.is_dir or sniff.is_archive or sniff.is_parquet:
        return 0
    values = objects(sniff)
    if values:
        return scaled(96, share(values, _is_entry))
    if not sniff.text or sniff.text.lstrip(" \t\r\n\ufeff")[:1] in "{[":
        return 0
    header = {cell: "" for cell in _csv_header(sniff.text)}
    return 97 if header and _is_entry(header) else 0


def read(path: Path, options: ReadOptions) -> Iterator[Record | BadRecord]:
    sniff = textio.sniff_text(path, options.encoding)
    if sniff.values or sniff.text.lstrip(" \t\r\n\ufeff")[:1] in "{[":
        yield from read_json_records(path, options, Kind.CHAT, convert)
        return
    yield from _read_csv(path, options)


def _read_csv(path: Path, options: ReadOptions) -> Iterator[Record | BadRecord]:
    reader = csv.reader(csv_lines(path, options.encoding))
    header: list[str] | None = None
    for item in table_rows(reader):
        if isinstance(item, BadRecord):
            yield item
        else:
            header = [cell.replace("\ufeff", "").strip() for cell in item[1]]
            break
    if header is None:
        raise FormatError(f"{path.name}: no header row; the knowledge table needs one naming its columns")
    for item in table_rows(reader, len(header)):
        if isinstance(item, BadRecord):
            yield item
            continue
        start, row = item
        record = {name: cell for name, cell in zip(header, row, strict=True) if name}
        try:
            content = convert(record)
        except FieldError as error:
            yield BadRecord(start, str(error))
            continue
        raw = ",".join(row)
        yield Record(Kind.CHAT, content, start, raw)


READER = Reader(
    name="ccmc-knowledge",
    title="CCMC knowledge entries (entity, summary, attributes, confusable entity; JSON or CSV)",
    detect=detect,
    read=read,
)
