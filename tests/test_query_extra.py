"""The lean reads the sample table uses: sample_id_array, sample_rows, distinct_values, next_id."""

from __future__ import annotations

from array import array
from pathlib import Path

import orjson
import pytest
from test_sample_model import build_project

from app.store import Project, actions
from app.store.query import SampleFilter, distinct_values, next_id, sample_id_array, sample_ids, sample_rows


@pytest.fixture
def fifty(tmp_path: Path):
    with build_project(tmp_path, 50, mixed=True) as project:
        yield project


def test_id_array_is_a_range_when_consecutive(fifty: Project) -> None:
    ids = sample_id_array(fifty)
    assert isinstance(ids, range)
    assert list(ids) == sample_ids(fifty)


def test_id_array_with_gaps_and_filters(fifty: Project) -> None:
    all_ids = sample_ids(fifty)
    actions.delete_samples(fifty, [all_ids[3], all_ids[10]])
    ids = sample_id_array(fifty)
    assert isinstance(ids, array) and ids.typecode == "q"
    assert list(ids) == sample_ids(fifty) and len(ids) == 52
    for flt in (
        SampleFilter(kind=("chat", "exam")),
        SampleFilter(text="第4"),  # short: scanned, not indexed
        SampleFilter(text="第4条指令"),  # trigram index
        SampleFilter(text="没有这样的"),
    ):
        assert list(sample_id_array(fifty, flt)) == sample_ids(fifty, flt)


def test_id_array_of_an_empty_project(project: Project) -> None:
    assert len(sample_id_array(project)) == 0
    assert len(sample_id_array(project, SampleFilter(status=("new",)))) == 0


def test_sample_rows_in_the_order_asked(fifty: Project) -> None:
    ids = sample_ids(fifty)
    actions.set_flag(fifty, [ids[5]], "too_short")
    actions.set_flag(fifty, [ids[5]], "duplicate")
    actions.add_review(fifty, ids[5], verdict="reject", label=4, rating=1)
    rows = sample_rows(fifty, [ids[7], ids[5], 10**9])
    assert [r[0] for r in rows] == [ids[7], ids[5]]
    sample_id, kind, subset, status, label, rating, assignee, content, flags = rows[1]
    assert (sample_id, subset) == (ids[5], "p-alpaca")
    assert (kind, status, label, rating, assignee) == ("instruction", "rejected", 4, 1, None)
    assert sorted(flags.split()) == ["duplicate", "too_short"]
    assert orjson.loads(content)["instruction"] == "第5条指令：介绍一下长城的历史"
    assert rows[0][8] == ""


def test_sample_rows_past_the_parameter_limit(fifty: Project, tmp_path: Path) -> None:
    with build_project(tmp_path, 2000, name="big") as big:
        ids = sample_ids(big)
        assert [r[0] for r in sample_rows(big, ids)] == ids


def test_distinct_values(fifty: Project) -> None:
    ids = sample_ids(fifty)
    assert distinct_values(fifty, "subset") == ["alpaca", "coig-exam", "coig-translated", "p-alpaca", "sharegpt"]
    assert distinct_values(fifty, "kind") == ["chat", "exam", "instruction", "translation"]
    assert distinct_values(fifty, "assignee") == []
    # The QA checks flag the fixture's instruction of 200 × 长 on import.
    assert distinct_values(fifty, "flag") == ["repeated_phrase"]
    actions.assign(fifty, ids[:2], "王芳")
    actions.assign(fifty, ids[2:3], "李雷")
    actions.set_flag(fifty, ids[:1], "too_short")
    assert distinct_values(fifty, "assignee") == ["李雷", "王芳"]
    assert distinct_values(fifty, "flag") == ["repeated_phrase", "too_short"]
    actions.delete_samples(fifty, [i for i in ids if i not in ids[:3]])
    assert distinct_values(fifty, "subset") == ["p-alpaca"]
    with pytest.raises(ValueError):
        distinct_values(fifty, "content; DROP TABLE samples")


def test_next_id_wraps_and_skips_the_start(fifty: Project) -> None:
    ids = sample_ids(fifty)
    undecided = SampleFilter(status=("new", "in_review"))
    assert next_id(fifty, undecided, ids[0]) == ids[1]
    actions.set_status(fifty, ids[1:40], "accepted")
    actions.set_status(fifty, [ids[20]], "in_review")
    assert next_id(fifty, undecided, ids[0]) == ids[20]
    assert next_id(fifty, undecided, ids[20]) == ids[40]
    actions.set_status(fifty, ids[40:], "rejected")
    assert next_id(fifty, undecided, ids[20]) == ids[0]  # wrapped
    assert next_id(fifty, undecided, ids[20], wrap=False) is None
    actions.set_status(fifty, [ids[0]], "accepted")
    assert next_id(fifty, undecided, ids[20]) is None  # only the start itself is left
    assert next_id(fifty, SampleFilter(), -1) == ids[0]


def test_next_id_keeps_the_rest_of_the_filter(fifty: Project) -> None:
    ids = sample_ids(fifty)
    flt = SampleFilter(status=("new",), text="第3")  # 3, 30–39
    assert next_id(fifty, flt, ids[3]) == ids[30]
    assert next_id(fifty, flt, ids[39]) == ids[3]
