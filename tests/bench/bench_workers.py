"""Machine-job throughput and GUI responsiveness, against the fake DeepL over real HTTP.

    .venv/bin/python tests/bench/bench_workers.py            # the whole bench (~1 min)
    .venv/bin/python tests/bench/bench_workers.py --stall-requests 2000   # quicker stall figure

1. Throughput: the engine at concurrency N = 1, 4, 16, 64 over max(4·N, 20) items (one text a request,
   so N requests are in flight), each request answered 200 ms late. Printed as a fraction of the ideal
   N / 0.2 s. Goal: ≥ 0.9 at N = 16. The fake's own ceiling is measured the same way with plain HTTP
   clients (no engine), so a shortfall can be put on the right side.
2. Stall: the main window open on a project (offscreen) with its Jobs panel, a job of 10,000
   requests through the window's JobsController against the same 200 ms server, at concurrency 64
   (the most the throughput figure goes to: ~300 answers a second), and a 5 ms QTimer: the longest
   gap between two ticks minus 5 ms is the longest the event loop was blocked. Goal: ≤ 50 ms. The
   fake runs at a lower scheduling priority here (a real service takes none of the laptop's cores).
3. Stress (no goal): the same with a 2 ms server at concurrency 32, where the workers are busy with
   Python for every answer (400–600 a second on this machine) and the window competes with them for
   the GIL all the time.

Prints each figure with PASS/FAIL and writes a Markdown table to tests/bench/out/bench_workers.md.
"""

from __future__ import annotations

import argparse
import itertools
import os
import sys
import tempfile
import threading
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO))
os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

import orjson  # noqa: E402
import requests  # noqa: E402

from app import importer  # noqa: E402
from app.store import Project, query  # noqa: E402
from tests.servers import FakeDeepL  # noqa: E402
from workers.engine import JobEngine, JobSpec, Pricing  # noqa: E402
from workers.providers.deepl_provider import DeepLProvider  # noqa: E402

LATENCY = 0.2
LEVELS = (1, 4, 16, 64)
THROUGHPUT_GOAL = 0.9
STALL_GOAL_MS = 50.0
TICK_MS = 5
FAKE_NICE = 10
"""The fake server's scheduling priority while the stall is measured (see :func:`stall`)."""


class RemoteFake:
    """A FakeDeepL in a process of its own, as a real service would be: its handler threads do not
    compete with the engine and the GUI for this process's GIL."""

    SCRIPT = (
        "import sys, time; sys.path.insert(0, sys.argv[1]);"
        "from tests.servers import FakeDeepL, Latency;"
        "s = FakeDeepL(character_limit=10**12).start();"
        "s.inject(Latency(float(sys.argv[2])), times=None, path='/v2/translate');"
        "print(s.url, s.key, flush=True); sys.stdin.read(); s.stop()"
    )

    def __init__(self, latency: float, *, nice: int = 0) -> None:
        import subprocess

        script = f"import os; os.nice({nice}); {self.SCRIPT}" if nice else self.SCRIPT
        self.process = subprocess.Popen(
            [sys.executable, "-c", script, str(REPO), str(latency)],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
        )
        self.url, self.key = self.process.stdout.readline().split()

    def __enter__(self) -> RemoteFake:
        return self

    def __exit__(self, *exc: object) -> None:
        self.process.stdin.close()
        self.process.wait(30)


def make_project(path: Path, count: int) -> Project:
    """A project of ``count`` distinct translation pairs, imported as COIG translated instructions."""
    source = path.with_suffix(".jsonl")
    with source.open("wb") as out:
        for n in range(count):
            record = {
                "instruction": f"Translate sentence number {n} into Chinese.",
                "input": f"The quick brown fox {n} jumps over the lazy dog.",
                "output": "",
                "trans_instruction": "",
                "trans_input": "",
                "trans_output": "",
            }
            out.write(orjson.dumps(record) + b"\n")
    project = Project.create(path)
    importer.import_file(project, source, format_name="coig-translated")
    return project


def spec_for(server: FakeDeepL | RemoteFake, ids: list[int], concurrency: int) -> JobSpec:
    return JobSpec(
        task="translate",
        sample_ids=ids,
        provider_factory=lambda: DeepLProvider(server.key, server_url=server.url, timeout=30.0),
        concurrency=concurrency,
        pricing=Pricing(per_million_characters=25.0),
        batch_texts=1,  # one sample a request: N requests in flight is what is measured
    )


def throughput(workdir: Path) -> list[dict]:
    rows = []
    for n in LEVELS:
        items = max(4 * n, 20)
        with RemoteFake(LATENCY) as server:
            project = make_project(workdir / f"tp{n}.winnow", items)
            ids = query.sample_ids(project, query.SampleFilter(kind=("translation",)))
            project.close()
            with JobEngine(workdir / f"tp{n}.winnow") as engine:
                started = time.perf_counter()
                job_id = engine.start(spec_for(server, ids, n))
                state = engine.wait(job_id)
                elapsed = time.perf_counter() - started
                summary = engine.summary(job_id)
            assert state == "done" and summary.done == items, (state, summary)
        rate = items / elapsed
        fraction = rate / (n / LATENCY)
        rows.append({"n": n, "items": items, "seconds": elapsed, "rate": rate, "fraction": fraction})
        print(f"engine N={n:>2}: {items} items in {elapsed:.2f} s, {rate:.1f}/s = {fraction:.2f} of N/latency")
    return rows


def server_ceiling() -> list[dict]:
    """The fake alone: N plain clients, each sending requests back to back for 4 rounds."""
    rows = []
    body = {"text": ["hello"], "target_lang": "ZH-HANS"}
    for n in LEVELS:
        with RemoteFake(LATENCY) as server:
            headers = {"Authorization": f"DeepL-Auth-Key {server.key}"}

            def client(_url=server.url, _headers=headers) -> None:
                with requests.Session() as session:
                    for _ in range(4):
                        session.post(f"{_url}/v2/translate", json=body, headers=_headers, timeout=30).raise_for_status()

            threads = [threading.Thread(target=client, name=f"bench-client-{k}") for k in range(n)]
            started = time.perf_counter()
            for thread in threads:
                thread.start()
            for thread in threads:
                thread.join()
            elapsed = time.perf_counter() - started
        rate = 4 * n / elapsed
        rows.append({"n": n, "rate": rate, "fraction": rate / (n / LATENCY)})
        print(f"fake alone N={n:>2}: {4 * n} requests in {elapsed:.2f} s = {rate / (n / LATENCY):.2f} of N/latency")
    return rows


def stall(workdir: Path, requests_count: int, concurrency: int, latency: float) -> dict:
    from PySide6.QtCore import QEventLoop, QTimer

    from widgets.application import make_application, settle_heap
    from widgets.main_window import MainWindow

    os.environ.setdefault("WINNOW_CONFIG_DIR", str(workdir / "config"))
    app = make_application()
    path = workdir / f"stall-{concurrency}-{latency}.winnow"
    project = make_project(path, requests_count)
    ids = query.sample_ids(project, query.SampleFilter(kind=("translation",)))
    window = MainWindow(project)
    jobs = window.jobs
    window.resize(1280, 800)
    window.show()
    settle_heap()  # as widgets.application.run_gui does after the window is shown
    # The person watches the job: the Jobs panel is open before it starts. Its first appearance
    # lays the whole window out again, once (~60 ms here), which is not the jobs' doing.
    jobs.dock.show()
    ticks: list[float] = []
    updates = [0]
    import gc

    collections_seen: list[tuple[int, float, float]] = []
    gc_started: dict[int, float] = {}

    def on_gc(phase: str, info: dict) -> None:
        now = time.perf_counter()
        if phase == "start":
            gc_started[info["generation"]] = now
        else:
            collections_seen.append((info["generation"], gc_started.pop(info["generation"], now), now))

    gc.callbacks.append(on_gc)
    # A real service uses none of the laptop's cores; the fake has to run on this 2-core machine,
    # so it runs below the window's priority (as the workers do) instead of taking the window's core
    # now and then (single 55-60 ms gaps mid-job in about one run of four at normal priority).
    with RemoteFake(latency, nice=FAKE_NICE) as server:
        loop = QEventLoop()
        timer = QTimer(interval=TICK_MS, timeout=lambda: ticks.append(time.perf_counter()))
        jobs.engine()  # made here so its events are connected before the job starts
        jobs.events.progress.connect(lambda _e: updates.__setitem__(0, updates[0] + 1))
        jobs.events.state_changed.connect(lambda e: e.state != "running" and loop.quit())
        for _ in range(20):
            app.processEvents()
        timer.start()
        started = time.perf_counter()
        started_ids: list[int] = []
        jobs.job_started.connect(started_ids.append)
        jobs.start(spec_for(server, ids, concurrency))
        loop.exec()
        while not started_ids:  # the start is reported through the event loop, maybe after the end
            app.processEvents()
        (job_id,) = started_ids
        elapsed = time.perf_counter() - started
        timer.stop()
        row = jobs.panel.rows[job_id]
        done, state = row.done, row.state
        jobs.close()
    window.close()
    window.project.close()
    gaps = [b - a for a, b in itertools.pairwise(ticks)]
    worst = max(gaps) * 1000 - TICK_MS
    at = ticks[gaps.index(max(gaps))] - started
    gc.callbacks.remove(on_gc)
    slow = sorted(collections_seen, key=lambda c: c[2] - c[1], reverse=True)[:6]
    print(
        "  slowest garbage collections (generation, ms at s after the start): "
        + ", ".join(f"{g}, {1000 * (b - a):.0f} at {a - started:.2f}" for g, a, b in slow)
    )
    longest = sorted(range(len(gaps)), key=gaps.__getitem__, reverse=True)[:8]
    print(
        "  longest gaps (ms at s after the start): "
        + ", ".join(f"{gaps[k] * 1000 - TICK_MS:.0f} at {ticks[k] - started:.2f}" for k in sorted(longest))
    )
    result = {
        "requests": requests_count,
        "concurrency": concurrency,
        "latency": latency,
        "seconds": elapsed,
        "rate": done / elapsed,
        "stall_ms": worst,
        "updates_per_s": updates[0] / elapsed,
        "state": state,
        "done": done,
    }
    print(
        f"stall: {done} requests ({state}) in {elapsed:.1f} s ({done / elapsed:.0f}/s) at concurrency {concurrency}, "
        f"{latency * 1000:.0f} ms a request; "
        f"longest event-loop stall {worst:.1f} ms ({at:.2f} s after the start); "
        f"{updates[0] / elapsed:.1f} progress updates/s"
    )
    return result


def stall_line(row: dict) -> str:
    return (
        f"{row['done']:,} requests at concurrency {row['concurrency']}, {row['latency'] * 1000:.0f} ms a request: "
        f"{row['seconds']:.1f} s ({row['rate']:.0f}/s), longest stall {row['stall_ms']:.1f} ms, "
        f"{row['updates_per_s']:.1f} progress updates/s reached the GUI"
    )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--stall-requests", type=int, default=10_000)
    parser.add_argument("--stall-concurrency", type=int, default=64)
    parser.add_argument("--stress-concurrency", type=int, default=32)
    parser.add_argument("--skip", choices=("throughput", "stress"), action="append", default=[])
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="bench-workers-") as folder:
        workdir = Path(folder)
        engine_rows = throughput(workdir) if "throughput" not in args.skip else []
        fake_rows = server_ceiling() if "throughput" not in args.skip else []
        stall_row = stall(workdir, args.stall_requests, args.stall_concurrency, LATENCY)
        stress_row = (
            stall(workdir, args.stall_requests, args.stress_concurrency, 0.002) if "stress" not in args.skip else None
        )

    verdicts = {}
    if engine_rows:
        at16 = next(r for r in engine_rows if r["n"] == 16)["fraction"]
        verdicts["throughput at N=16"] = (f"{at16:.2f} of N/latency", f"≥ {THROUGHPUT_GOAL}", at16 >= THROUGHPUT_GOAL)
    verdicts["event-loop stall"] = (
        f"{stall_row['stall_ms']:.1f} ms",
        f"≤ {STALL_GOAL_MS:.0f} ms",
        stall_row["stall_ms"] <= STALL_GOAL_MS and stall_row["state"] == "done",
    )
    for name, (figure, goal, ok) in verdicts.items():
        print(f"{name}: {figure} (goal {goal}): {'PASS' if ok else 'FAIL'}")
    if stress_row is not None:
        print(f"stress (no goal): {stall_line(stress_row)}")

    lines = [
        "# bench_workers",
        "",
        f"Fake DeepL (its own process) over HTTP on 127.0.0.1, {LATENCY * 1000:.0f} ms a request, "
        "one sample a request.",
        "",
        "| N | items | seconds | items/s | engine / (N/latency) | fake alone / (N/latency) |",
        "| ---: | ---: | ---: | ---: | ---: | ---: |",
    ]
    for row, fake in zip(engine_rows, fake_rows, strict=True):
        lines.append(
            f"| {row['n']} | {row['items']} | {row['seconds']:.2f} | {row['rate']:.1f} | {row['fraction']:.2f} "
            f"| {fake['fraction']:.2f} |"
        )
    lines += ["", f"Main window open (offscreen): {stall_line(stall_row)}."]
    if stress_row is not None:
        lines += ["", f"Stress, no goal: {stall_line(stress_row)}."]
    lines += ["", "| Figure | Value | Goal | |", "| --- | ---: | ---: | --- |"]
    for name, (figure, goal, ok) in verdicts.items():
        lines.append(f"| {name} | {figure} | {goal} | {'PASS' if ok else 'FAIL'} |")
    out = REPO / "tests" / "bench" / "out" / "bench_workers.md"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text("\n".join(lines) + "\n", encoding="utf-8")
    print(f"wrote {out}")
    return 0 if all(ok for _f, _g, ok in verdicts.values()) else 1


if __name__ == "__main__":
    sys.exit(main())
