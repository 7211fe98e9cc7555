"""Benchmark Winnow's start: bundle size, and start → main window shown, frozen and from source.

Run as a script, not through pytest::

    .venv/bin/python tests/bench/bench_startup.py [--dist DIR] [--runs 7] [--check]

Without ``--dist`` it builds the one-folder bundle first (``packaging/build.py``'s ``bundle``, into a
temporary folder; not timed as start-up); ``--dist DIR`` takes ``DIR/winnow/winnow`` as built by
``packaging/build``.

Each program is started as a fresh process with ``WINNOW_QUIT_WHEN_SHOWN=1``: the main window prints
``winnow: window shown`` at its first paint and quits (``widgets/application.py``). The time is from
``Popen`` to that line — interpreter or bootloader start, imports, the QApplication, opening the demo
project (built once beforehand, not timed), building the window, the first paint. Qt runs offscreen.

(a) floor: the venv's Python importing QtWidgets and showing an empty QWidget, timed the same way;
(b) ``winnow`` from source (the venv's console script); goal ≤ 1.0 s;
(c) the frozen ``winnow``; goal ≤ 1.5 s.

The runs are interleaved (floor, source, frozen, floor, …) so load on this shared 2-core machine hits
all three alike; the median of ``--runs`` is reported, with its ratio to the floor's median. The CPU
time (user + system) of each run is shown beside it: the load of the other users of this machine
changes it much less. Writes a Markdown table to ``tests/bench/out/bench_startup.md`` (git-ignored).
"""

from __future__ import annotations

import argparse
import importlib.util
import os
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
REPO = HERE.parents[1]
OUT_DIR = HERE / "out"
sys.path.insert(0, str(REPO))

from widgets.application import SHOWN_MESSAGE, SHOWN_PROBE_ENV  # noqa: E402

GOAL_FROZEN_S = 1.5
GOAL_SOURCE_S = 1.0
TIMEOUT_S = 120.0

FLOOR = f"""
from PySide6.QtCore import QEvent, QObject, QTimer
from PySide6.QtWidgets import QApplication, QWidget

class Probe(QObject):
    def eventFilter(self, watched, event):
        if event.type() == QEvent.Type.Paint:
            watched.removeEventFilter(self)
            print({SHOWN_MESSAGE!r}, flush=True)
            QTimer.singleShot(0, QApplication.quit)
        return False

application = QApplication([])
widget = QWidget()
probe = Probe()
widget.installEventFilter(probe)
widget.show()
application.exec()
"""


def load_build():
    spec = importlib.util.spec_from_file_location("winnow_build", REPO / "packaging" / "build.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def time_to_shown(command: list[str], env: dict[str, str]) -> tuple[float, float]:
    """Seconds from starting ``command`` to its 'window shown' line, and the CPU seconds (user + system)
    of the whole run, which the other agents' load on this machine changes far less than the wall time."""
    started = time.perf_counter()
    process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True, env=env)
    assert process.stdout is not None
    # A program that never says it is shown (one built without the probe) must not hang the benchmark.
    watchdog = threading.Timer(TIMEOUT_S, process.kill)
    watchdog.start()
    shown = None
    try:
        for line in process.stdout:
            if line.strip() == SHOWN_MESSAGE:
                shown = time.perf_counter() - started
                break
        process.stdout.close()
        _pid, status, usage = os.wait4(process.pid, 0)
        process.returncode = os.waitstatus_to_exitcode(status)
    finally:
        watchdog.cancel()
    if shown is None:
        raise SystemExit(f"bench_startup: {command[0]} exited {process.returncode} without showing its window")
    return shown, usage.ru_utime + usage.ru_stime


def folder_mb(folder: Path) -> float:
    return sum(p.stat().st_size for p in folder.rglob("*") if p.is_file() and not p.is_symlink()) / 2**20


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--dist", type=Path, help="a packaging/build dist folder (default: build one now)")
    parser.add_argument("--runs", type=int, default=7, help="timed starts of each program (median reported)")
    parser.add_argument("--check", action="store_true", help="exit 2 if a goal FAILs")
    args = parser.parse_args(argv)

    with tempfile.TemporaryDirectory(prefix="winnow-bench-startup-") as scratch:
        work = Path(scratch)
        if args.dist is None:
            started = time.perf_counter()
            program_dir = load_build().bundle(work / "dist", work / "build")
            print(f"built the bundle in {time.perf_counter() - started:.0f} s")
        else:
            program_dir = args.dist.resolve() / "winnow"
        frozen = program_dir / "winnow"
        source = Path(sys.executable).parent / "winnow"
        env = {
            **os.environ,
            "QT_QPA_PLATFORM": "offscreen",
            "WINNOW_CONFIG_DIR": str(work / "config"),
            "WINNOW_DEMO_PROJECT": str(work / "demo.winnow"),
            "WINNOW_USER": "bench",  # no first-run dialog
            SHOWN_PROBE_ENV: "1",
        }
        env.pop("WINNOW_PORTABLE", None)
        programs = {
            "floor": [sys.executable, "-c", FLOOR],
            "source": [str(source)],
            "frozen": [str(frozen)],
        }
        for command in programs.values():  # warm the page cache; the first builds the demo project
            time_to_shown(command, env)
        times: dict[str, list[float]] = {name: [] for name in programs}
        cpu: dict[str, list[float]] = {name: [] for name in programs}
        for _ in range(args.runs):
            for name, command in programs.items():
                wall, used = time_to_shown(command, env)
                times[name].append(wall)
                cpu[name].append(used)
        size = folder_mb(program_dir)

    median = {name: statistics.median(values) for name, values in times.items()}
    median_cpu = {name: statistics.median(values) for name, values in cpu.items()}
    rows = [
        ("bundle size (one folder)", f"{size:.0f} MB", "—", "—", "—"),
        ("floor: empty QWidget shown", f"{median['floor']:.2f} s (CPU {median_cpu['floor']:.2f})", "1.00", "—", "—"),
    ]
    verdicts = []
    for name, goal, label in (("source", GOAL_SOURCE_S, "from source"), ("frozen", GOAL_FROZEN_S, "frozen")):
        ok = median[name] <= goal
        verdicts.append(ok)
        rows.append(
            (
                f"start → window shown, {label}",
                f"{median[name]:.2f} s (min {min(times[name]):.2f}, CPU {median_cpu[name]:.2f})",
                f"{median[name] / median['floor']:.2f}",
                f"≤ {goal} s",
                "PASS" if ok else "FAIL",
            )
        )
    table = ["| Figure | Measured | Ratio to floor | Goal | Verdict |", "| --- | ---: | ---: | --- | --- |"]
    table += [f"| {' | '.join(row)} |" for row in rows]
    print(f"\n{args.runs} runs each, median; demo project, Qt offscreen\n")
    print("\n".join(table))
    for name, values in times.items():
        print(f"  {name}: {', '.join(f'{v:.2f}' for v in values)} s; CPU {', '.join(f'{v:.2f}' for v in cpu[name])} s")
    OUT_DIR.mkdir(exist_ok=True)
    (OUT_DIR / "bench_startup.md").write_text("\n".join(table) + "\n", encoding="utf-8")
    return 2 if args.check and not all(verdicts) else 0


if __name__ == "__main__":
    sys.exit(main())
