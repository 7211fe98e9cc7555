"""``kill -9`` of ``winnow run PROJECT kun`` in the middle of its second step, then the same command
again: the pipeline finishes, every sample gets each step's draft once, and nothing the service
answered is asked again."""

from __future__ import annotations

import signal
import subprocess
import sys
from collections import Counter
from pathlib import Path

import pytest

from app.store import Project
from tests.servers import FakeOpenAI, Hang
from tests.test_kun_pipeline import INSTRUCTIONS, PASSAGES, _project, _which, kun_responder
from workers import cli_run

REPO = Path(__file__).resolve().parents[1]
CONCURRENCY = 2
ANSWERED = len(PASSAGES) + 2
"""The whole first step (8) and two answers of the second are answered; then the server holds."""


@pytest.fixture
def passages_file(tmp_path: Path) -> Path:
    path = tmp_path / "wudao_sample.txt"
    path.write_text("\n\n".join(PASSAGES.values()) + "\n", encoding="utf-8")
    return path


RUN = "import sys; from workers import cli_run; sys.exit(cli_run.main(sys.argv[1:]))"


def _args(path: Path, server: FakeOpenAI) -> list[str]:
    return [
        "run",
        str(path),
        "kun",
        "--provider",
        "openai",
        "--base-url",
        server.base_url,
        "--model",
        "qwen-plus",
        "--concurrency",
        str(CONCURRENCY),
        "--timeout",
        "30",
    ]


def _step(messages: list[dict]) -> str:
    system = messages[0]["content"]
    return "instruct" if "指令回译" in system else "score" if "自我筛选" in system else "polish"


def _asked(server: FakeOpenAI) -> list[tuple[tuple[str, str], str | None]]:
    return [
        ((_step(r.body["messages"]), _which(r.body["messages"][-1]["content"])), r.fault)
        for r in server.requests_to("/v1/chat/completions")
    ]


def test_kill_the_pipeline_then_run_it_again(tmp_path: Path, passages_file: Path, monkeypatch, capsys) -> None:
    path, ids = _project(tmp_path, passages_file)
    with FakeOpenAI() as server:
        server.responder = kun_responder
        server.inject(Hang(seconds=5), path="/v1/chat/completions", nth=ANSWERED + 1, times=None)
        env = {"WINNOW_OPENAI_KEY": server.key, "PATH": "/usr/bin:/bin", "HOME": str(tmp_path)}
        first = subprocess.Popen(
            [sys.executable, "-c", RUN, *_args(path, server)],
            cwd=REPO,
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        try:
            assert server.wait_for_requests(ANSWERED + CONCURRENCY, timeout=30), first.stderr
        finally:
            first.send_signal(signal.SIGKILL)
            first.communicate(timeout=10)
        assert first.returncode == -signal.SIGKILL
        with Project.open(path) as project:
            states = dict(project.db.execute("SELECT task, state FROM jobs").fetchall())
        assert states == {"kun-instruct": "done", "kun-score": "running"}  # killed in the second step

        server.faults.clear()
        monkeypatch.setenv("WINNOW_OPENAI_KEY", server.key)
        code = cli_run.main(_args(path, server))
        out = capsys.readouterr().out
        asked = _asked(server)

    assert code == cli_run.EXIT_ITEMS_FAILED, out  # 茶叶's instruction and 长城's polish were unusable
    assert "2 samples passed every step and filter" in out
    # Every question the service answered was asked once; only those held at the kill came twice.
    answered = Counter(key for key, fault in asked if fault != "Hang")
    assert set(answered.values()) == {1}
    assert len(answered) == len(INSTRUCTIONS) + 6 + 5
    twice = {key for key, count in Counter(key for key, _fault in asked).items() if count > 1}
    assert twice == {key for key, fault in asked if fault == "Hang"} and len(twice) == CONCURRENCY
    # One draft per sample and step, whatever job it came from.
    with Project.open(path) as project:
        drafts = project.db.execute(
            "SELECT task, sample_id, count(*) FROM suggestions GROUP BY task, sample_id"
        ).fetchall()
        jobs = project.db.execute("SELECT id, task, state, error FROM jobs ORDER BY id").fetchall()
        pending = project.db.execute("SELECT task, count(*) FROM suggestions WHERE state = 'pending' GROUP BY task")
        pending_by_task = dict(pending.fetchall())
    assert {count for _task, _sample, count in drafts} == {1}
    assert Counter(task for task, _sample, _count in drafts) == {"kun-instruct": 7, "kun-score": 6, "kun-polish": 4}
    assert {sample for task, sample, _count in drafts if task == "kun-polish"} == {
        ids[key] for key in ("故宫", "睡眠", "光合", "黄河")
    }
    # The killed job's items went to the new one; the old one is closed, saying so (resuming it would
    # only repeat them).
    assert jobs == [
        (1, "kun-instruct", "done", "1 items failed; retry them with retry_failed"),
        (2, "kun-score", "cancelled", "continued by job 3 of the Kun pipeline"),
        (3, "kun-score", "done", None),
        (4, "kun-polish", "done", "1 items failed; retry them with retry_failed"),
    ]
    # The instructions were taken by the pipeline; scores and polished answers wait for review.
    assert pending_by_task == {"kun-score": 6, "kun-polish": 4}
