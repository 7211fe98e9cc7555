"""The Alpaca export copies stored JSON as it is only when that is provably the record it would build."""

from __future__ import annotations

import orjson
from hypothesis import given
from hypothesis import strategies as st

from app import exporter, importer
from app.formats.base import ExportItem
from app.formats.out_alpaca import alpaca_record
from app.formats.writers import stored_alpaca_line
from app.records import Kind, is_plain_alpaca
from app.store import actions
from app.store.ops import undo

# Text that stresses the argument: quotes, backslashes, commas and the key names themselves.
pieces = [*'ab中文,"\\:{}[] \n', '","input":"', ',"output":"', '\\"']
tricky = st.lists(st.sampled_from(pieces), max_size=12).map("".join)
keys = st.sampled_from(["instruction", "input", "output", "system", "history", "extra", "language"])
contents = st.dictionaries(keys, st.one_of(tricky, st.lists(st.lists(tricky, max_size=2), max_size=2)), max_size=5)


@given(contents, st.sampled_from(list(Kind)))
def test_stored_line_is_used_only_when_identical(content: dict, kind: Kind) -> None:
    stored = orjson.dumps(content)  # as the exporter passes it: bytes
    line = stored_alpaca_line(kind, stored)
    if line is not None:
        built = orjson.dumps(alpaca_record(ExportItem(id=1, kind=kind, content=orjson.loads(stored))))
        assert line == built + b"\n"


def test_plain_alpaca_records_take_the_fast_path() -> None:
    content = {"instruction": '说"你好"\\', "input": ',"output":"假的', "output": "真的"}
    assert stored_alpaca_line(Kind.INSTRUCTION, orjson.dumps(content)) == orjson.dumps(content) + b"\n"
    with_extra = {**content, "extra": {"id": "x"}}
    assert stored_alpaca_line(Kind.INSTRUCTION, orjson.dumps(with_extra)) is None
    assert stored_alpaca_line(Kind.CHAT, orjson.dumps(content)) is None


@given(contents, st.sampled_from(list(Kind)))
def test_plain_marked_content_is_its_alpaca_record(content: dict, kind: Kind) -> None:
    """What the importer marks ``stored_plain`` is byte for byte the record the writer would build."""
    if is_plain_alpaca(kind, content):
        built = orjson.dumps(alpaca_record(ExportItem(id=1, kind=kind, content=content)))
        assert orjson.dumps(content) == built


def test_the_mark_is_cleared_by_any_change_and_the_export_stays_right(tmp_path, project, write_jsonl) -> None:
    rows = [{"instruction": f"问题{i}", "input": "", "output": f"答案{i}"} for i in range(5)]
    rows.append({"instruction": "带系统提示", "input": "", "output": "好", "system": "你是助手"})
    importer.import_file(project, write_jsonl("plain.jsonl", rows), format_name="alpaca")
    marks = dict(project.db.execute("SELECT id, stored_plain FROM samples ORDER BY id"))
    assert list(marks.values()) == [1, 1, 1, 1, 1, None]

    first, second = list(marks)[:2]
    actions.edit_content(project, first, {"output": "改过的答案", "instruction": "问题0", "input": ""})
    project.db.conn.execute("UPDATE samples SET content = ? WHERE id = ?", ('{"instruction":"x"}', second))
    marks = dict(project.db.execute("SELECT id, stored_plain FROM samples ORDER BY id"))
    assert marks[first] is None and marks[second] is None

    out = tmp_path / "out.jsonl"
    exporter.export(project, out, format_name="alpaca-jsonl", dataset_info=False)
    written = [orjson.loads(line) for line in out.read_bytes().splitlines()]
    # Key order of the edited sample is the writer's, not the edit's.
    assert list(written[0]) == ["instruction", "input", "output"] and written[0]["output"] == "改过的答案"
    assert written[1] == {"instruction": "x", "input": "", "output": ""}
    assert written[2:5] == rows[2:5]
    assert written[5] == rows[5]

    # Undo gives the old content back; the mark stays cleared (looked at again, never trusted stale).
    undo(project)
    assert project.db.execute("SELECT stored_plain FROM samples WHERE id = ?", (first,)).fetchone()[0] is None
    exporter.export(project, out, format_name="alpaca-jsonl", dataset_info=False)
    assert orjson.loads(out.read_bytes().splitlines()[0]) == rows[0]
