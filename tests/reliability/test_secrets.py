"""Secrets after a crash: a job with a distinctive key, killed with SIGKILL, then a crash with a traceback,
then resumed, exported with provenance, backed up — the key is in no file the app wrote, no log, no
export, no crash report (stderr, faulthandler), nowhere but the secrets store it was put in."""

from __future__ import annotations

import secrets as random_token
import signal
import subprocess
import sys
from pathlib import Path

from app import backup, exporter, importer
from app.store import Project, query
from tests.reliability import report
from tests.reliability.harness import REPO, write_jsonl
from tests.servers import FakeDeepL, Latency, Status

KEY = f"sk-reliability-{random_token.token_hex(12)}"

CHILD = """
import faulthandler, logging, os, sys
from pathlib import Path
logging.basicConfig(filename=sys.argv[4], level=logging.DEBUG)
faulthandler.enable(open(sys.argv[4] + ".fault", "w"))
from workers import secrets
from workers.engine import JobEngine, JobSpec, RetryPolicy
from workers.providers.deepl_provider import DeepLProvider
secrets.set_key("deepl", sys.argv[3])
key = secrets.get_key("deepl")
factory = lambda: DeepLProvider(key, server_url=sys.argv[2], timeout=5)
engine = JobEngine(sys.argv[1])
mode = sys.argv[5]
if mode == "resume":
    from app.store import ProjectError
    try:
        engine.resume(int(sys.argv[6]), factory)
    except ProjectError:  # it ended (the auth error failed it): send its failed items again
        engine.retry_failed(int(sys.argv[6]), factory)
    print(engine.wait(int(sys.argv[6]), 60), flush=True)
    engine.close()
    raise RuntimeError("a crash after the job, with a traceback on stderr")
job = engine.start(JobSpec("translate", [int(i) for i in sys.argv[6].split(",")], factory, concurrency=2,
                   batch_texts=2, retry=RetryPolicy(base=0.01, cap=0.02, max_attempts=2)))
print("started", job, flush=True)
engine.wait(job, 60)
"""


def _needles() -> list[bytes]:
    return [KEY.encode(), KEY.encode("utf-16-le"), KEY[-16:].encode()]


def test_no_key_in_anything_written_after_a_crash(tmp_path: Path, own_settings: Path) -> None:
    records = [
        {
            "instruction": f"Say {i}.",
            "input": "",
            "output": f"{i}.",
            "trans_instruction": "",
            "trans_input": "",
            "trans_output": "",
        }
        for i in range(30)
    ]
    path = tmp_path / "secret.winnow"
    with Project.create(path) as project:
        importer.import_file(project, write_jsonl(tmp_path / "s.jsonl", records), format_name="coig-translated")
        ids = query.sample_ids(project)
    log = tmp_path / "winnow.log"
    outputs: list[str] = []
    with FakeDeepL() as server:
        server.key = KEY  # the fake accepts only this key
        server.inject(Status(403), nth=3, times=1)  # an auth error on the way, as the service words it
        server.inject(Latency(0.05), times=None)
        first = subprocess.Popen(
            [sys.executable, "-c", CHILD, str(path), server.url, KEY, str(log), "start", ",".join(map(str, ids))],
            cwd=REPO,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        assert first.stdout is not None
        job = int(first.stdout.readline().split()[1])
        assert server.wait_for_requests(3, timeout=20)
        first.send_signal(signal.SIGKILL)
        out, err = first.communicate(timeout=10)
        outputs += [out, err]
        second = subprocess.run(
            [sys.executable, "-c", CHILD, str(path), server.url, KEY, str(log), "resume", str(job)],
            cwd=REPO,
            capture_output=True,
            text=True,
            timeout=120,
        )
        outputs += [second.stdout, second.stderr]
        assert "RuntimeError: a crash after the job" in second.stderr  # the crash report is there…
    with Project.open(path) as project:
        (tmp_path / "export").mkdir()
        exporter.export(project, tmp_path / "export" / "out.jsonl", format_name="alpaca-jsonl", provenance=True)
        backup.backup(project, "after-crash")
    scanned = [p for p in tmp_path.rglob("*") if p.is_file()] + [p for p in own_settings.rglob("*") if p.is_file()]
    secret_store = {p for p in own_settings.rglob("*") if p.is_file() and "secret" in p.name}
    found = [str(p) for p in scanned if p not in secret_store and any(n in p.read_bytes() for n in _needles())] + [
        f"output {i}" for i, text in enumerate(outputs) if any(n.decode("latin-1") in text for n in _needles()[:1])
    ]
    assert log.exists() and any(p.name.endswith("-wal") or p.suffix == ".winnow" for p in scanned)
    assert not found, f"the key leaked into: {found}"  # …but not the key
    report.add(
        "secrets",
        "a distinctive key through a job killed with SIGKILL, an auth error, a crash traceback, "
        "resume, DEBUG log, faulthandler, export with provenance, backup",
        len(scanned) + len(outputs),
        len(scanned) + len(outputs),
        "no file (project, WAL, lock, backups, export, log, settings) and no stdout/stderr holds the key",
    )
