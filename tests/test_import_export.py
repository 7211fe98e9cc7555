"""Import is whole or nothing and names bad records; export is filtered, complete and atomic."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from app import exporter, importer
from app.formats.base import ReadOptions
from app.store import Project, ProjectError, actions, ops, query
from app.store.query import SampleFilter

GOOD = {"instruction": "把“你好”翻译成英文。", "input": "", "output": "Hello."}


def snapshot(project: Project) -> tuple:
    """Everything that import could have touched, to prove a failed import changed nothing."""
    db = project.db
    counts = [
        db.execute(f"SELECT count(*) FROM {table}").fetchone()[0]
        for table in ("samples", "origins", "sources", "operations")
    ]
    return (*counts, query.sample_ids(project, SampleFilter(text="你好")))


def test_malformed_lines_are_named_and_skipped(project: Project, tmp_path: Path) -> None:
    path = tmp_path / "mixed.jsonl"
    path.write_text(
        json.dumps(GOOD, ensure_ascii=False) + "\n{broken\n" + json.dumps(GOOD, ensure_ascii=False) + "\n[1, 2]\n",
        encoding="utf-8",
    )
    report = importer.import_file(project, path, format_name="alpaca")
    assert (report.imported, report.skipped) == (2, 2)
    assert report.problems[0].startswith(f"{path}:2: ")
    assert report.problems[1].startswith(f"{path}:4: ") and "object" in report.problems[1]
    assert project.db.execute("SELECT line FROM origins ORDER BY id").fetchall() == [(1,), (3,)]


def test_abort_keeps_the_project_unchanged(project: Project, tmp_path: Path, write_jsonl) -> None:
    importer.import_file(project, write_jsonl("first.jsonl", [GOOD]))
    before = snapshot(project)
    path = tmp_path / "bad.jsonl"
    path.write_text(json.dumps(GOOD, ensure_ascii=False) * 1 + "\n" + '{"instruction": 5}\n', encoding="utf-8")
    with pytest.raises(importer.ImportAborted, match=rf"{path}:2: .*instruction"):
        importer.import_file(project, path, on_error="abort", format_name="alpaca")
    assert snapshot(project) == before


def test_a_decode_error_late_in_the_file_imports_nothing(project: Project, tmp_path: Path) -> None:
    path = tmp_path / "late.jsonl"
    good = (json.dumps(GOOD, ensure_ascii=False) + "\n").encode() * 3000
    path.write_bytes(good + b'{"instruction": "\xff\xfe broken", "input": "", "output": ""}\n')
    before = snapshot(project)
    with pytest.raises(ProjectError, match=r"late.jsonl:3001.*nothing of the file was imported"):
        importer.import_file(project, path, format_name="alpaca")
    assert snapshot(project) == before


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"", "empty"),
        (b"   \n\n  ", "empty"),
        (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(range(256)) * 4, "binary"),
        (b"42\n", "object"),
        (b'"just a string"\n', "object"),
    ],
)
def test_unusable_files_get_a_clear_message(project: Project, tmp_path: Path, content: bytes, message: str) -> None:
    path = tmp_path / "input.jsonl"
    path.write_bytes(content)
    before = snapshot(project)
    with pytest.raises(ProjectError) as caught:
        importer.import_file(project, path, format_name="alpaca")
    assert message in str(caught.value) and str(path) in str(caught.value)
    assert snapshot(project) == before


def test_same_file_twice_is_noticed(project: Project, write_jsonl, tmp_path: Path) -> None:
    path = write_jsonl("once.jsonl", [GOOD])
    importer.import_file(project, path)
    renamed = tmp_path / "renamed.jsonl"
    renamed.write_bytes(path.read_bytes())
    with pytest.raises(importer.DuplicateSource, match=r"already imported .*once\.jsonl") as caught:
        importer.import_file(project, renamed)
    assert caught.value.source_id == 1
    assert query.count(project) == 1
    importer.import_file(project, renamed, allow_duplicate=True)
    assert query.count(project) == 2


def test_reimport_after_undo_is_allowed(project: Project, write_jsonl) -> None:
    path = write_jsonl("undo.jsonl", [GOOD])
    importer.import_file(project, path)
    ops.undo(project)
    report = importer.import_file(project, path)
    assert report.imported == 1 and query.count(project) == 1


def test_ten_megabyte_field(project: Project, tmp_path: Path) -> None:
    big = "长" * (10 * 1024 * 1024 // 3)
    path = tmp_path / "big.jsonl"
    path.write_text(json.dumps({"instruction": "总结", "input": big, "output": "很长"}, ensure_ascii=False) + "\n")
    report = importer.import_file(project, path)
    assert report.imported == 1
    assert len(query.get_sample(project, 1).content["input"]) == len(big)


def test_gb18030_csv_with_a_column_map(project: Project, tmp_path: Path) -> None:
    path = tmp_path / "excel.csv"
    path.write_bytes("问题,回答\r\n天空为什么是蓝色的？,因为瑞利散射。\r\n".encode("gb18030"))
    report = importer.import_file(
        project, path, options=ReadOptions(column_map={"instruction": "问题", "output": "回答"})
    )
    assert report.format == "csv"
    assert query.get_sample(project, 1).content["instruction"] == "天空为什么是蓝色的？"


def test_cancel_keeps_nothing(project: Project, write_jsonl) -> None:
    path = write_jsonl("long.jsonl", [GOOD] * (importer.BATCH * 2 + 10))
    with pytest.raises(importer.ImportCancelled):
        importer.import_file(project, path, cancelled=lambda: True)
    assert query.count(project) == 0
    assert project.db.execute("SELECT count(*) FROM sources").fetchone()[0] == 0


def test_import_real_samples_detects_each_format(project: Project, samples_dir: Path) -> None:
    expected = {
        "coig_cqia.jsonl": ("cqia", 21),
        "sharegpt_fastchat_dummy_conversation.json": ("sharegpt", 3),
        "llamafactory_alpaca_zh_demo.json": ("alpaca", None),
        "llamafactory_openai_messages_kto_en_demo.json": ("openai-chat", None),
    }
    for name, (fmt, count) in expected.items():
        report = importer.import_file(project, samples_dir / name)
        assert report.format == fmt, report.detection
        if count is not None:
            assert report.imported == count


# Export


@pytest.fixture
def curated(project: Project, write_jsonl) -> Project:
    records = [{"instruction": f"问题{i}", "input": "", "output": f"回答{i}"} for i in range(1, 7)]
    importer.import_file(project, write_jsonl("curated.jsonl", records))
    actions.set_status(project, [1, 2, 3], "accepted")
    actions.set_rating(project, [1, 2], 5)
    actions.add_review(project, 1, stage="inspect", verdict="accept", comment="好")
    actions.edit_content(project, 2, {"instruction": "问题2（改）", "input": "", "output": "回答2"}, reason="修正")
    return project


def test_export_filters_and_provenance(curated: Project, tmp_path: Path) -> None:
    out = tmp_path / "release.jsonl"
    where = SampleFilter(status=("accepted",), rating=(5,))
    report = exporter.export(curated, out, format_name="alpaca-jsonl", where=where, provenance=True)
    rows = [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines()]
    assert report.written == 2
    assert [r["instruction"] for r in rows] == ["问题1", "问题2（改）"]
    first, second = (r["_winnow"] for r in rows)
    assert first["source"] == {"file": "curated.jsonl", "format": "alpaca", "line": 1}
    assert first["reviews"][0]["comment"] == "好" and first["reviews"][0]["by"] == "tester"
    assert [e["version"] for e in second["edits"]] == [1, 2] and second["edits"][1]["reason"] == "修正"
    info = json.loads((tmp_path / "dataset_info.json").read_text(encoding="utf-8"))
    assert info["release"]["file_name"] == "release.jsonl"


def test_export_without_provenance_is_the_plain_schema(curated: Project, tmp_path: Path) -> None:
    out = tmp_path / "plain.jsonl"
    exporter.export(curated, out, format_name="alpaca-jsonl", where=SampleFilter(ids=(3,)), dataset_info=False)
    assert json.loads(out.read_text(encoding="utf-8")) == {"instruction": "问题3", "input": "", "output": "回答3"}
    assert not (tmp_path / "dataset_info.json").exists()


def test_export_errors_name_the_path(curated: Project, tmp_path: Path) -> None:
    with pytest.raises(ProjectError, match="no such folder"):
        exporter.export(curated, tmp_path / "missing" / "x.jsonl", format_name="alpaca-jsonl")
    with pytest.raises(ProjectError, match="is a folder"):
        exporter.export(curated, tmp_path, format_name="alpaca-jsonl")


@pytest.mark.slow
def test_killed_export_leaves_the_old_file_whole(tmp_path: Path, write_jsonl) -> None:
    path = tmp_path / "big.winnow"
    with Project.create(path) as project:
        rows = [
            {"instruction": f"第{i}个问题：" + "长城" * 40, "input": "", "output": "回答" * 60} for i in range(60000)
        ]
        importer.import_file(project, write_jsonl("big.jsonl", rows))
    out = tmp_path / "release.jsonl"
    out.write_text('{"instruction": "旧的", "input": "", "output": "完整"}\n', encoding="utf-8")
    old = out.read_bytes()
    command = [sys.executable, "-m", "app.cli", "export", str(path), str(out), "--format", "alpaca-jsonl"]
    child = subprocess.Popen(command, cwd=Path(__file__).parents[1], env={**os.environ})
    deadline = time.monotonic() + 30
    while not list(tmp_path.glob(".release.jsonl.*.part")) and time.monotonic() < deadline and child.poll() is None:
        time.sleep(0.001)
    child.send_signal(signal.SIGKILL)
    child.wait()
    text = out.read_bytes()
    # Either the kill came in time and the old file is untouched, or the export had finished.
    if text != old:
        assert len(text.splitlines()) == 60000
        assert all(json.loads(line) for line in text.splitlines()[-3:])


FULL_DISK = """
import resource, signal, sys
# A file-size limit makes writes past it fail with EFBIG, as a full disk fails them with ENOSPC.
signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
resource.setrlimit(resource.RLIMIT_FSIZE, (int(sys.argv[1]), int(sys.argv[1])))
from app import cli
sys.exit(cli.main(sys.argv[2:]))
"""


def _run_with_file_limit(limit: int, *argv: str | Path) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-c", FULL_DISK, str(limit), *map(str, argv)],
        cwd=Path(__file__).parents[1],
        capture_output=True,
        text=True,
        check=False,
    )


def test_full_disk_during_import_keeps_the_project(tmp_path: Path, write_jsonl) -> None:
    path = tmp_path / "p.winnow"
    with Project.create(path) as project:
        importer.import_file(project, write_jsonl("small.jsonl", [GOOD]))
    big = write_jsonl("big.jsonl", [{**GOOD, "output": "很长的回答" * 200 + str(i)} for i in range(3000)])
    result = _run_with_file_limit(2_000_000, "import", path, big)
    assert result.returncode == 1, result.stderr
    assert result.stderr.startswith("winnow: error: ") and "Traceback" not in result.stderr
    assert "nothing" in result.stderr
    with Project.open(path) as project:
        assert query.count(project) == 1
        assert query.sample_ids(project, SampleFilter(text="你好")) == [1]


def test_full_disk_during_export_keeps_the_old_file(tmp_path: Path, write_jsonl) -> None:
    path = tmp_path / "p.winnow"
    with Project.create(path) as project:
        importer.import_file(
            project, write_jsonl("rows.jsonl", [{**GOOD, "output": "回答" * 300 + str(i)} for i in range(2000)])
        )
    out = tmp_path / "release.jsonl"
    out.write_text("旧的导出\n", encoding="utf-8")
    result = _run_with_file_limit(200_000, "export", path, out, "--format", "alpaca-jsonl")
    assert result.returncode == 1, result.stderr
    assert "cannot write" in result.stderr and "Traceback" not in result.stderr
    assert out.read_text(encoding="utf-8") == "旧的导出\n"
    assert [p.name for p in tmp_path.iterdir() if p.name.endswith(".part")] == []


def test_no_reader_thread_outlives_an_aborted_or_cancelled_import(
    project: Project, tmp_path: Path, write_jsonl
) -> None:
    import threading

    big = write_jsonl("big.jsonl", [GOOD] * (importer.BATCH * 4))
    with pytest.raises(importer.ImportCancelled):
        importer.import_file(project, big, cancelled=lambda: True)
    bad = tmp_path / "bad-late.jsonl"
    bad.write_text((json.dumps(GOOD, ensure_ascii=False) + "\n") * (importer.BATCH * 3) + "oops\n", encoding="utf-8")
    with pytest.raises(importer.ImportAborted):
        importer.import_file(project, bad, on_error="abort")
    assert [t.name for t in threading.enumerate() if t.name.startswith("winnow-import")] == []
    assert query.count(project) == 0


def test_prefetch_hands_over_errors_in_order() -> None:
    def numbers():
        yield 1
        yield 2
        raise ValueError("broken at 3")

    seen = []
    with pytest.raises(ValueError, match="broken at 3"):
        for number in importer.prefetch(numbers()):
            seen.append(number)
    assert seen == [1, 2]


def test_cancelled_export_keeps_the_old_file(curated: Project, tmp_path: Path) -> None:
    out = tmp_path / "release.jsonl"
    out.write_text("旧的\n", encoding="utf-8")
    with pytest.raises(exporter.ExportCancelled):
        exporter.export(curated, out, format_name="alpaca-jsonl", cancelled=lambda: True)
    assert out.read_text(encoding="utf-8") == "旧的\n"
    assert [p.name for p in tmp_path.iterdir() if p.name.endswith(".part")] == []


def test_import_leaves_the_project_in_wal_mode(project: Project, write_jsonl) -> None:
    importer.import_file(project, write_jsonl("a.jsonl", [GOOD]))
    assert project.db.execute("PRAGMA journal_mode").fetchone()[0] == "wal"


def test_import_while_another_connection_is_open_stays_in_wal(project: Project, write_jsonl) -> None:
    import time

    reader = Project.open(project.path)
    try:
        query.count(reader)  # the reader has the file open
        started = time.monotonic()
        importer.import_file(project, write_jsonl("b.jsonl", [GOOD]))
        assert time.monotonic() - started < 5  # no waiting for the other connection
        assert project.db.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
        assert query.count(reader) == 1
    finally:
        reader.close()


def test_a_qa_check_that_fails_never_stops_an_import(project, write_jsonl, monkeypatch, caplog) -> None:
    from app import importer

    def broken(kind, content):
        raise RuntimeError("a bug in a check")

    monkeypatch.setattr(importer, "quality_flags_of", broken)
    source = write_jsonl("a.jsonl", [{"instruction": "问", "input": "", "output": "答"}])
    with caplog.at_level("ERROR", logger="winnow.import"):
        report = importer.import_file(project, source, format_name="alpaca")
    assert report.imported == 1
    assert "QA checks failed on sample" in caplog.text
