"""SampleTableModel on real project files: pages, generations, changes, and qtmodeltester throughout."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from PySide6.QtCore import QPersistentModelIndex, Qt

from app.importer import import_file
from app.store import Project, actions
from app.store.query import SampleFilter
from widgets.sample_model import (
    FULL_TEXT_ROLE,
    INCREMENTAL_LIMIT,
    MAX_PAGES,
    PAGE_SIZE,
    SAMPLE_ID_ROLE,
    Column,
    SampleTableModel,
)

LONG_INSTRUCTION = "请把下面这段话翻译成文言文，并且保留原文的意思。\n第二行说明：" + "长" * 200


def alpaca_rows(n: int, *, start: int = 0) -> list[dict[str, str]]:
    return [
        {"instruction": f"第{i}条指令：介绍一下长城的历史", "input": "", "output": f"长城是中国古代的军事防御工程。{i}"}
        for i in range(start, start + n)
    ]


def write_jsonl(path: Path, records: list[dict]) -> Path:
    path.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in records), encoding="utf-8")
    return path


def build_project(folder: Path, rows: int, *, mixed: bool = False, name: str = "p") -> Project:
    """A project file imported from generated JSON Lines: ``rows`` Alpaca samples (subset ``alpaca``),
    and with ``mixed`` one chat, one translation and one exam sample after them."""
    project = Project.create(folder / f"{name}.winnow")
    if rows:
        import_file(project, write_jsonl(folder / f"{name}-alpaca.jsonl", alpaca_rows(rows)), format_name="alpaca")
    if mixed:
        chat = {
            "conversations": [
                {"from": "system", "value": "你是一个助手"},
                {"from": "human", "value": "你好，\n请问今天天气怎么样？"},
                {"from": "gpt", "value": "今天晴天。"},
            ]
        }
        translated = {
            "instruction": "Describe the Great Wall.",
            "input": "",
            "output": "It is long.",
            "trans_instruction": "描述一下长城。",
            "trans_input": "",
            "trans_output": "它很长。",
        }
        exam = {"textbox_question": "下列哪一项是正确的？", "textbox_answer": "A", "subject": "语文"}
        long_one = {"instruction": LONG_INSTRUCTION, "input": "", "output": "好的"}
        for fmt, record in (
            ("sharegpt", chat),
            ("coig-translated", translated),
            ("coig-exam", exam),
            ("alpaca", long_one),
        ):
            import_file(project, write_jsonl(folder / f"{name}-{fmt}.jsonl", [record]), format_name=fmt, subset=fmt)
    return project


@pytest.fixture
def small(tmp_path: Path):
    with build_project(tmp_path, 20, mixed=True) as project:
        yield project


@pytest.fixture
def paged(tmp_path: Path):
    with build_project(tmp_path, 1000) as project:
        yield project


def model_for(project: Project, flt: SampleFilter = SampleFilter()) -> SampleTableModel:
    model = SampleTableModel(project)
    model.set_filter(flt)
    return model


def display(model: SampleTableModel, row: int, column: Column) -> str:
    return model.data(model.index(row, column), Qt.ItemDataRole.DisplayRole)


# ------------------------------------------------------------------------------------- qtmodeltester


def test_modeltester_empty_project(project: Project, qtmodeltester) -> None:
    model = model_for(project)
    assert model.rowCount() == 0
    qtmodeltester.check(model)


def test_modeltester_small_and_filtered(small: Project, qtmodeltester) -> None:
    model = model_for(small)
    assert model.rowCount() == 24
    qtmodeltester.check(model)
    model.set_filter(SampleFilter(kind=("chat", "exam")))
    assert model.rowCount() == 2
    qtmodeltester.check(model)
    model.set_filter(SampleFilter(text="没有这样的文字"))
    assert model.rowCount() == 0
    qtmodeltester.check(model)


def test_modeltester_through_changes(paged: Project, qtmodeltester) -> None:
    model = model_for(paged, SampleFilter(status=("new",)))
    qtmodeltester.check(model)
    first, second = model.id_at(0), model.id_at(1)
    model.apply_changes(actions.add_review(paged, first, verdict="accept", label=1))
    qtmodeltester.check(model)
    model.apply_changes(actions.set_status(paged, [first], "new"))
    qtmodeltester.check(model)
    model.apply_changes(actions.set_status(paged, range(second, second + INCREMENTAL_LIMIT + 1), "accepted"))
    assert model.rowCount() == 1000 - INCREMENTAL_LIMIT - 1
    qtmodeltester.check(model)


# ------------------------------------------------------------------------------------------ display


def test_columns_show_readable_values(small: Project) -> None:
    model = model_for(small)
    sample_id = model.id_at(0)
    actions.add_review(small, sample_id, verdict="accept", label=1, rating=4)
    actions.set_flag(small, [sample_id], "too_short")
    model.set_filter(SampleFilter())
    assert display(model, 0, Column.ID) == str(sample_id)
    assert display(model, 0, Column.KIND) == "Instruction"
    assert display(model, 0, Column.SUBSET) == "p-alpaca"
    assert display(model, 0, Column.STATUS) == "Accepted"
    assert display(model, 0, Column.LABEL) == "1"
    assert model.data(model.index(0, Column.LABEL), Qt.ItemDataRole.ToolTipRole) == "1 Usable"
    assert display(model, 0, Column.RATING) == "★★★★"
    assert display(model, 0, Column.FLAGS) == "⚠ 1"
    assert model.data(model.index(0, Column.FLAGS), Qt.ItemDataRole.ToolTipRole) == "too_short"
    assert display(model, 0, Column.TEXT) == "第0条指令：介绍一下长城的历史"
    assert display(model, 1, Column.STATUS) == "New"
    assert display(model, 1, Column.LABEL) == ""
    assert model.data(model.index(3, Column.TEXT), SAMPLE_ID_ROLE) == model.id_at(3)


def test_main_text_of_each_kind(small: Project) -> None:
    model = model_for(small)
    texts = {display(model, row, Column.KIND): display(model, row, Column.TEXT) for row in range(20, 23)}
    assert texts == {
        "Chat": "你好，⏎请问今天天气怎么样？",
        "Translation": "描述一下长城。",
        "Exam": "下列哪一项是正确的？",
    }


def test_long_text_is_cut_for_display_and_whole_under_its_role(small: Project) -> None:
    model = model_for(small)
    index = model.index(23, Column.TEXT)
    shown = model.data(index, Qt.ItemDataRole.DisplayRole)
    assert shown.startswith("请把下面这段话翻译成文言文，并且保留原文的意思。⏎第二行说明：")
    assert shown.endswith("…") and len(shown) == 81
    assert model.data(index, FULL_TEXT_ROLE) == LONG_INSTRUCTION
    tooltip = model.data(index, Qt.ItemDataRole.ToolTipRole)
    assert tooltip.startswith("请把下面这段话翻译成文言文，并且保留原文的意思。\n第二行说明：")
    assert model.data(model.index(23, Column.ID), Qt.ItemDataRole.ToolTipRole) is None


def test_headers(small: Project) -> None:
    model = model_for(small)
    headers = [model.headerData(c, Qt.Orientation.Horizontal) for c in Column]
    assert headers == ["Id", "Kind", "Subset", "Status", "Label", "Rating", "Flags", "Instruction"]
    assert model.headerData(0, Qt.Orientation.Vertical) is None


# ------------------------------------------------------------------------------------------- paging


def test_only_the_pages_asked_for_are_read(paged: Project) -> None:
    model = model_for(paged)
    assert model.rowCount() == 1000
    assert model.fetch_count == 0 and model.cached_pages() == []
    display(model, 0, Column.TEXT)
    display(model, PAGE_SIZE - 1, Column.ID)
    assert model.fetch_count == 1 and model.cached_pages() == [0]
    assert display(model, 999, Column.TEXT) == "第999条指令：介绍一下长城的历史"
    assert model.cached_pages() == [0, 999 // PAGE_SIZE]
    assert model.fetch_count == 2
    # The id role needs no page at all.
    assert model.data(model.index(500, 0), SAMPLE_ID_ROLE) == model.id_at(500)
    assert model.fetch_count == 2


def test_cache_keeps_the_most_recent_pages(tmp_path: Path) -> None:
    with build_project(tmp_path, PAGE_SIZE * (MAX_PAGES + 2)) as project:
        model = model_for(project)
        for page in range(MAX_PAGES + 2):
            display(model, page * PAGE_SIZE, Column.ID)
        assert model.cached_pages() == list(range(2, MAX_PAGES + 2))
        display(model, 5 * PAGE_SIZE, Column.ID)  # cached: no read
        assert model.fetch_count == MAX_PAGES + 2
        display(model, 0, Column.ID)  # evicted: read again, evicting the least recently used (2)
        assert model.fetch_count == MAX_PAGES + 3
        assert 0 in model.cached_pages() and 2 not in model.cached_pages()


def test_a_new_filter_is_a_new_generation(paged: Project) -> None:
    model = model_for(paged)
    display(model, 0, Column.ID)
    generation = model.generation()
    model.set_filter(SampleFilter(text="第99条"))
    assert model.generation() == generation + 1
    assert model.cached_pages() == []
    assert [display(model, r, Column.TEXT)[:5] for r in range(model.rowCount())] == ["第99条指"]


def test_row_of_and_id_at(paged: Project) -> None:
    model = model_for(paged, SampleFilter(text="第1"))  # 1, 10–19, 100–199
    ids = [model.id_at(row) for row in range(model.rowCount())]
    assert ids == sorted(ids) and len(ids) == 1 + 10 + 100
    for row, sample_id in enumerate(ids):
        assert model.row_of(sample_id) == row
    assert model.row_of(ids[0] + 1) is None  # "第2…" is not in the filter
    assert model.row_of(10**9) is None and model.row_of(-5) is None


# ------------------------------------------------------------------------------------------ changes


def test_edit_refreshes_only_the_cached_row(paged: Project, qtbot) -> None:
    model = model_for(paged)
    display(model, 0, Column.TEXT)
    sample_id = model.id_at(3)
    fetches = model.fetch_count
    changes = actions.edit_content(paged, sample_id, {"instruction": "新的指令", "input": "", "output": "好"})
    with qtbot.waitSignal(model.dataChanged, timeout=1000) as signal:
        model.apply_changes(changes)
    top_left, bottom_right = signal.args[:2]
    assert (top_left.row(), bottom_right.row(), top_left.column(), bottom_right.column()) == (3, 3, 0, 7)
    assert model.fetch_count == fetches  # the row was re-read, not its page
    assert display(model, 3, Column.TEXT) == "新的指令"
    assert model.rowCount() == 1000


def test_change_to_an_uncached_row_emits_nothing(paged: Project, qtbot) -> None:
    model = model_for(paged)
    changes = actions.add_review(paged, model.id_at(900), verdict="reject")
    with qtbot.assertNotEmitted(model.dataChanged), qtbot.assertNotEmitted(model.layoutChanged):
        model.apply_changes(changes)
    assert display(model, 900, Column.STATUS) == "Rejected"


def test_leaving_and_rejoining_the_filter(paged: Project, qtbot) -> None:
    model = model_for(paged, SampleFilter(status=("new",)))
    display(model, 0, Column.ID)
    sample_id = model.id_at(10)
    follower = model.id_at(11)
    persistent = QPersistentModelIndex(model.index(11, 0))
    with qtbot.waitSignal(model.rowsRemoved, timeout=1000) as removed:
        model.apply_changes(actions.add_review(paged, sample_id, verdict="accept"))
    assert removed.args[1:] == [10, 10]
    assert model.rowCount() == 999 and model.row_of(sample_id) is None
    assert persistent.row() == 10 and model.id_at(10) == follower
    assert display(model, 10, Column.ID) == str(follower)
    with qtbot.waitSignal(model.rowsInserted, timeout=1000) as inserted:
        model.apply_changes(actions.set_status(paged, [sample_id], "new"))
    assert inserted.args[1:] == [10, 10]
    assert model.row_of(sample_id) == 10 and persistent.row() == 11


def test_bulk_change_relayouts_and_keeps_persistent_indexes(paged: Project, qtbot) -> None:
    model = model_for(paged, SampleFilter(status=("new",)))
    kept = model.id_at(900)
    persistent = QPersistentModelIndex(model.index(900, 2))
    gone = QPersistentModelIndex(model.index(5, 0))
    bulk = [model.id_at(row) for row in range(0, INCREMENTAL_LIMIT + 1)]
    with qtbot.waitSignal(model.layoutChanged, timeout=1000):
        model.apply_changes(actions.set_status(paged, bulk, "accepted"))
    assert model.rowCount() == 1000 - len(bulk)
    assert persistent.isValid() and model.id_at(persistent.row()) == kept and persistent.column() == 2
    assert not gone.isValid()


def test_import_reloads_the_ids(paged: Project, tmp_path: Path, qtbot) -> None:
    model = model_for(paged)
    report = import_file(paged, write_jsonl(tmp_path / "more.jsonl", alpaca_rows(5, start=5000)), format_name="alpaca")
    with qtbot.waitSignal(model.layoutChanged, timeout=1000):
        model.apply_changes(report.changes)
    assert model.rowCount() == 1005
    assert display(model, 1004, Column.TEXT).startswith("第5004条")


def test_ids_filter_is_respected_by_changes(paged: Project) -> None:
    model = model_for(paged)
    chosen = (model.id_at(1), model.id_at(2))
    model.set_filter(SampleFilter(ids=chosen))
    other = model.id_at(1) + 10
    model.apply_changes(actions.set_status(paged, [other, chosen[0]], "accepted"))
    assert [model.id_at(r) for r in range(model.rowCount())] == list(chosen)


def test_the_flags_column_counts_and_its_tooltip_names_them() -> None:
    from app import i18n
    from app.quality.flags import FLAG_TITLES
    from widgets.sample_model import flags_cell, flags_tooltip

    assert flags_cell([]) == "" and flags_cell(["empty_field", "too_short"]) == "⚠ 2"
    assert flags_tooltip(["empty_field", "too_short"]) == f"{FLAG_TITLES['empty_field']}\ntoo_short"
    i18n.set_language("zh_CN")
    try:
        assert flags_tooltip(["empty_field"]) == i18n.display(FLAG_TITLES["empty_field"]) != FLAG_TITLES["empty_field"]
    finally:
        i18n.set_language("en")
