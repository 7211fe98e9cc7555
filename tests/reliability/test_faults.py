"""Faults: a full disk, a read-only or newer or damaged project file, the network dropping mid-job, a
provider answering garbage 30 % of the time. The app says what happened and loses nothing."""

from __future__ import annotations

import os
import random
import resource
import sqlite3
import subprocess
import sys
from collections import Counter
from pathlib import Path

import pytest

from app import backup, exporter, importer
from app.store import Project, ProjectError, actions, query
from app.store.project import CorruptProjectError, NewerProjectError, ReadOnlyProjectError
from tests.disks import fill, small_disk
from tests.reliability import report
from tests.reliability.harness import (
    REPO,
    _sample_of,
    _texts,
    alpaca_records,
    integrity,
    make_project,
    snapshot,
    write_jsonl,
)
from tests.servers import Drop, FakeDeepL, Latency, MalformedBody, Status
from workers.engine import JobEngine, JobSpec, RetryPolicy
from workers.providers.deepl_provider import DeepLProvider

FAST_RETRY = RetryPolicy(base=0.01, cap=0.05, max_attempts=3)


# --- a full disk --------------------------------------------------------------------------------------


def test_disk_full_during_export_keeps_the_previous_file(tmp_path: Path) -> None:
    source = make_project(tmp_path / "p.winnow", alpaca_records(3_000, random.Random(1)))
    with small_disk(tmp_path / "disk") as disk, Project.open(source) as project:
        target = disk / "release.jsonl"
        exporter.export(
            project, target, format_name="alpaca-jsonl", dataset_info=False, where=query.SampleFilter(ids=(1, 2, 3))
        )
        previous = target.read_bytes()
        filler = disk / "filler"
        filler.write_bytes(b"\0" * (disk_free(disk) - 200_000))  # room for a little, not for 3,000 samples
        with pytest.raises(ProjectError, match=r"cannot write export file \(No space left on device\)") as caught:
            exporter.export(project, target, format_name="alpaca-jsonl", dataset_info=False)
        assert str(target) in str(caught.value)
        assert target.read_bytes() == previous
        assert sorted(p.name for p in disk.iterdir()) == ["filler", "release.jsonl"]  # no temporary file left
    report.add(
        "faults",
        "disk full while exporting (3 MB tmpfs)",
        1,
        1,
        "ProjectError naming the export and 'No space left on device'; the previous file intact; no temp file",
    )


def disk_free(path: Path) -> int:
    stat = os.statvfs(path)
    return stat.f_bavail * stat.f_frsize


def test_disk_full_during_import_and_save_loses_nothing(tmp_path: Path) -> None:
    big = write_jsonl(tmp_path / "big.jsonl", alpaca_records(20_000, random.Random(2)))
    with small_disk(tmp_path / "disk", "6m") as disk:
        path = make_project(disk / "p.winnow", alpaca_records(200, random.Random(3)))
        with Project.open(path) as project:
            actions.add_review(project, 1, verdict="accept", label=1)
            saved = snapshot(project)
            with pytest.raises(ProjectError, match=r"full|disk") as caught:
                importer.import_file(project, big, format_name="alpaca")
            assert "nothing" in str(caught.value) or "not saved" in str(caught.value)
            assert snapshot(project) == saved
            filler = fill(disk)
            with pytest.raises(ProjectError, match="the disk is full; this change was not saved"):
                for number in range(2, 200):  # the WAL has some room left: go on until it runs out
                    content = dict(query.get_sample(project, number).content)
                    content["output"] = "改" * 5_000
                    actions.edit_content(project, number, content)
            kept = snapshot(project)
            filler.unlink()
            actions.add_review(project, 2, verdict="reject", label=4)  # works again once there is room
        assert integrity(path) == "ok"
        with Project.open(path) as project:
            now = snapshot(project)
            assert now[0] == saved[0] and now[2:] == kept[2:]
    report.add(
        "faults",
        "disk full while importing 20,000 samples and while saving edits (6 MB tmpfs)",
        2,
        2,
        "ProjectError saying the disk is full and nothing/this change was not saved; all saved before intact",
    )


def test_export_past_the_file_size_limit_in_a_child(tmp_path: Path) -> None:
    """Without a small file system: RLIMIT_FSIZE in a child process (EFBIG instead of ENOSPC)."""
    path = make_project(tmp_path / "p.winnow", alpaca_records(3_000, random.Random(4)))
    target = tmp_path / "out.jsonl"
    target.write_bytes(b"previous\n")
    code = (
        "import resource, signal, sys\n"
        "signal.signal(signal.SIGXFSZ, signal.SIG_IGN)\n"
        "from app import exporter\nfrom app.store import Project\n"
        "resource.setrlimit(resource.RLIMIT_FSIZE, (100_000, 100_000))\n"
        "with Project.open(sys.argv[1]) as p:\n"
        "    try:\n"
        "        exporter.export(p, sys.argv[2], format_name='alpaca-jsonl', dataset_info=False)\n"
        "    except Exception as e:\n"
        "        print('refused:', e)\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", code, str(path), str(target)], cwd=REPO, capture_output=True, text=True, timeout=120
    )
    assert "refused: " in done.stdout and "cannot write export file" in done.stdout, done.stdout + done.stderr
    assert target.read_bytes() == b"previous\n"
    assert [p.name for p in tmp_path.iterdir() if p.name.endswith(".part")] == []
    assert resource.getrlimit(resource.RLIMIT_FSIZE)  # this process's own limit is untouched
    report.add(
        "faults",
        "file size limit hit while exporting (RLIMIT_FSIZE)",
        1,
        1,
        "an error naming the export ('File too large'); the previous file intact",
    )


# --- the project file ----------------------------------------------------------------------------------


def test_read_only_project_opens_read_only(tmp_path: Path) -> None:
    with small_disk(tmp_path / "disk") as disk:
        path = make_project(disk / "p.winnow", alpaca_records(50, random.Random(5)))
        subprocess.run(["mount", "-o", "remount,ro", str(disk)], check=True)
        with pytest.raises(ReadOnlyProjectError, match="cannot be written; open it read-only"):
            Project.open(path)
        with Project.open(path, read_only=True) as project:
            assert project.read_only and query.count(project) == 50
            with pytest.raises(ProjectError, match="opened read-only"):
                actions.set_label(project, [1], 2)
    report.add(
        "faults",
        "project on a read-only file system",
        1,
        1,
        "ReadOnlyProjectError saying so; opens read-only; a change is refused with a message",
    )


def test_newer_project_is_refused_both_ways(tmp_path: Path) -> None:
    path = make_project(tmp_path / "p.winnow", alpaca_records(5, random.Random(6)))
    conn = sqlite3.connect(path)
    with conn:
        conn.execute(
            "INSERT INTO _sqlite_migrations(migration_set, name, applied_at) VALUES ('winnow', '9999_future', 'x')"
        )
    conn.close()
    before = path.read_bytes()
    for read_only in (False, True):
        with pytest.raises(NewerProjectError, match="newer version of Winnow"):
            Project.open(path, read_only=read_only)
    assert path.read_bytes() == before
    report.add("faults", "project file from a newer version", 2, 2, "NewerProjectError; the file untouched")


def _damage(path: Path, how: str) -> None:
    data = bytearray(path.read_bytes())
    if how == "header":
        data[0:100] = b"\xff" * 100
    elif how == "schema page":
        data[100:4096] = random.Random(7).randbytes(3996)
    elif how == "zeroed start":
        data[0:8192] = bytes(8192)
    elif how == "cut in half":
        del data[len(data) // 2 :]
    path.write_bytes(bytes(data))


@pytest.mark.parametrize("how", ["header", "schema page", "zeroed start", "cut in half"])
def test_damaged_project_says_so_and_the_backup_comes_back(tmp_path: Path, how: str) -> None:
    path = make_project(tmp_path / "p.winnow", alpaca_records(400, random.Random(8)))
    with Project.open(path) as project:
        actions.add_review(project, 1, verdict="accept", label=2)
        backup.backup(project, "periodic")
        saved = snapshot(project)
    _damage(path, how)
    try:
        with Project.open(path) as project:
            # SQLite may open a file damaged past its schema; then the damage shows on reading.
            problem = integrity(path) != "ok" or len(snapshot(project)) != len(saved)
            assert problem, "damage went unnoticed"
            error_text = "opened; integrity_check reports the damage"
    except ProjectError as error:
        assert str(path) in str(error)
        assert isinstance(error, CorruptProjectError) or "not a Winnow project" in str(error)
        error_text = type(error).__name__
    latest = backup.list_backups(path)[0]
    aside = backup.restore_damaged(path, latest.path)
    assert aside.exists() and aside.name.startswith("p.winnow.damaged-")
    with Project.open(path) as project:
        assert snapshot(project) == saved
    report.add(
        "faults",
        f"damaged project file ({how})",
        1,
        1,
        f"{error_text}; the latest backup restored, the damaged file kept beside it",
    )


@pytest.mark.parametrize("how", ["header", "schema page"])
def test_the_gui_offers_the_latest_backup(qtbot, tmp_path: Path, monkeypatch, how: str) -> None:
    from PySide6.QtWidgets import QMessageBox

    from widgets import open_flow

    path = make_project(tmp_path / "p.winnow", alpaca_records(20, random.Random(9)))
    with Project.open(path) as project:
        backup.backup(project, "periodic")
        saved = snapshot(project)
    _damage(path, how)
    offered: list[str] = []

    def click_restore(box: QMessageBox) -> int:
        offered.append(box.text())
        box.buttons()[[b.text() for b in box.buttons()].index("Restore the latest backup")].click()
        return 0

    monkeypatch.setattr(QMessageBox, "exec", click_restore)
    project = open_flow.open_interactively(None, path)
    assert project is not None
    try:
        assert "Restore the latest backup" in offered[0]
        assert snapshot(project) == saved
    finally:
        project.close()
    report.add(
        "faults",
        "damaged project opened in the GUI (header, schema page)",
        1,
        1,
        "the message offers the latest backup; restored",
    )


# --- the network and the provider ----------------------------------------------------------------------


def _job_project(tmp_path: Path, count: int) -> tuple[Path, list[int]]:
    records = [
        {
            "instruction": f"[S{i}] Say {i}.",
            "input": "",
            "output": f"[S{i}] {i}.",
            "trans_instruction": "",
            "trans_input": "",
            "trans_output": "",
        }
        for i in range(count)
    ]
    path = tmp_path / "job.winnow"
    with Project.create(path) as project:
        importer.import_file(project, write_jsonl(tmp_path / "job.jsonl", records), format_name="coig-translated")
        return path, query.sample_ids(project)


def _factory(server: FakeDeepL):
    return lambda: DeepLProvider(server.key, server_url=server.url, timeout=2.0)


def _items(path: Path) -> list[tuple]:
    with Project.open(path) as project:
        return project.db.execute("SELECT sample_id, state, error FROM job_items ORDER BY sample_id").fetchall()


def _suggestions(path: Path) -> Counter:
    with Project.open(path) as project:
        return Counter(row[0] for row in project.db.execute("SELECT sample_id FROM suggestions"))


def test_network_drops_mid_job_then_comes_back(tmp_path: Path) -> None:
    path, ids = _job_project(tmp_path, 40)
    with FakeDeepL() as server:
        server.inject(Latency(0.05), path="/v2/translate", times=None)
        with JobEngine(path) as engine:
            job = engine.start(
                JobSpec("translate", ids, _factory(server), concurrency=2, batch_texts=2, retry=FAST_RETRY)
            )
            assert server.wait_for_requests(6, timeout=20)
            # The network is gone: every connection is cut without a byte of answer.
            server.faults.clear()
            server.inject(Drop(), times=None)
            state = engine.wait(job, 60)
        items = _items(path)
        done_before = {sample for sample, item_state, _ in items if item_state == "done"}
        failed = [(sample, error) for sample, item_state, error in items if item_state == "failed"]
        assert state in ("done", "failed", "paused"), state
        assert done_before and failed, Counter(s for _, s, _ in items)
        assert all(error and error.strip() for _, error in failed), failed[:3]
        sent_before = len(server.requests)
        server.faults.clear()  # back
        with JobEngine(path) as engine:
            engine.retry_failed(job, _factory(server))
            assert engine.wait(job, 60) == "done"
        # Sample ids follow the import order: [S<i>] is sample i + 1.
        resent = {_sample_of(text) + 1 for text in _texts(server.requests[sent_before:])}
    assert {state for _, state, _ in _items(path)} == {"done"}
    counts = _suggestions(path)
    assert sorted(counts) == sorted(ids) and set(counts.values()) == {1}
    assert not resent & done_before, "items done before the drop were sent again"
    report.add(
        "faults",
        "the network drops mid-job (every connection cut), then comes back",
        1,
        1,
        f"failed items say why ({failed[0][1][:60]!r}…); retry finishes them; nothing done twice",
    )


@pytest.mark.parametrize("garbage", ["malformed JSON", "HTTP 500"])
def test_a_provider_answering_garbage_30_percent_of_the_time(tmp_path: Path, garbage: str) -> None:
    path, ids = _job_project(tmp_path, 60)
    rng = random.Random(30)
    with FakeDeepL() as server:
        fault = MalformedBody() if garbage == "malformed JSON" else Status(500)
        for nth in range(1, 400):
            if rng.random() < 0.3:
                server.inject(fault, path="/v2/translate", nth=nth, times=1)
        # One try per request: every garbage answer fails its items (no retry hides it).
        with JobEngine(path) as engine:
            job = engine.start(
                JobSpec(
                    "translate",
                    ids,
                    _factory(server),
                    concurrency=3,
                    batch_texts=2,
                    retry=RetryPolicy(base=0.01, cap=0.02, max_attempts=1),
                )
            )
            state = engine.wait(job, 60)
        items = _items(path)
        failed = [(s, e) for s, st_, e in items if st_ == "failed"]
        done = [s for s, st_, _ in items if st_ == "done"]
        assert state in ("done", "failed"), state
        assert len(items) == len(ids) and len(done) + len(failed) == len(ids)
        assert 0 < len(failed) < len(ids), (len(failed), len(ids))
        assert all(e and e.strip() for _, e in failed)
        counts = _suggestions(path)
        assert sorted(counts) == sorted(done) and set(counts.values()) == {1}
        server.faults.clear()
        with JobEngine(path) as engine:
            engine.retry_failed(job, _factory(server))
            assert engine.wait(job, 60) == "done"
    counts = _suggestions(path)
    assert sorted(counts) == sorted(ids) and set(counts.values()) == {1}
    report.add(
        "faults",
        f"a provider answering garbage ({garbage}) to ~30 % of requests",
        1,
        1,
        f"{len(done)} done, {len(failed)} failed with reasons (e.g. {failed[0][1][:50]!r}); retried: all done once",
    )
