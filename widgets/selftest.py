"""``winnow --self-test``: prove that this copy of Winnow — installed, frozen or from source — works.

Each check runs in order in a temporary folder (the user's settings, keys and projects are never
touched) and prints one line on stdout. The program exits 0 only when every check passed AND nothing
unexpected was said on the way: a Qt warning, a Python warning or a logged warning is a failure too,
since in a frozen build that is how a missing plugin or data file shows itself. Failures go to stderr.

The checks: a project is created and its migrations applied; the demo project is built from the
bundled sources (every reader); Parquet in, JSONL out; every task's prompt template loads; the main
window is built offscreen and drawn; Pygments highlights a snippet in LeetCode's languages (the lexers
and the style are bundled); the icons load (PNG and SVG); the English and Chinese translations load
(ours and Qt's own); keyring finds its backends; one machine job runs against a local OpenAI-compatible server
(:mod:`workers.selftest_server`) through the official client and the engine.
"""

from __future__ import annotations

import logging
import os
import sys
import tempfile
import time
import traceback
import warnings
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TextIO

log = logging.getLogger("winnow.selftest")

JOB_TIMEOUT_S = 60.0
"""Generous: three requests to a server on this machine take well under a second; a loaded CI
machine and a cold frozen import of the openai client take longer."""
LEETCODE_LANGUAGES = ("python", "cpp", "java", "javascript")
ZH = "zh_CN"
# Qt's offscreen platform says these of every top-level window; the test suite ignores them too
# (pyproject.toml, qt_log_ignore). They mean nothing for a real screen.
EXPECTED_QT_MESSAGES = ("This plugin does not support propagateSizeHints", "This plugin does not support raise")


class _Collector(logging.Handler):
    """Keeps every warning and error logged while the self-test runs."""

    def __init__(self) -> None:
        super().__init__(logging.WARNING)
        self.messages: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.messages.append(f"log {record.levelname} {record.name}: {record.getMessage()}")


@contextmanager
def _environment(folder: Path) -> Iterator[None]:
    """Settings, keys and the demo project in ``folder``; Qt offscreen; the old environment back after."""
    changes = {
        "WINNOW_CONFIG_DIR": str(folder / "config"),
        "WINNOW_DEMO_PROJECT": str(folder / "demo.winnow"),
        "QT_QPA_PLATFORM": "offscreen",
        "WINNOW_USER": os.environ.get("WINNOW_USER") or "self-test",
    }
    saved = {name: os.environ.get(name) for name in changes}
    os.environ.update(changes)
    try:
        yield
    finally:
        for name, value in saved.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value


class SelfTest:
    """The checks, run in order by :meth:`run`; each returns a line of detail or raises."""

    def __init__(self, folder: Path, out: TextIO) -> None:
        self.folder = folder
        self.out = out
        self.problems: list[str] = []
        self.application = None
        self.demo_path = folder / "demo.winnow"

    # -- the checks, in order -------------------------------------------------------------------

    def check_migrations(self) -> str:
        from app.store import Project, schema

        path = self.folder / "selftest.winnow"
        with Project.create(path, name="自检") as project:
            applied = [m.name for m in schema.migrations.applied(project.db)]
            pending = schema.migrations.pending(project.db)
        if pending or applied != list(schema.known_migration_names()):
            raise AssertionError(f"migrations applied {applied}, pending {[m.name for m in pending]}")
        with Project.open(path):  # and opens again
            pass
        return f"{len(applied)} applied"

    def check_demo(self) -> str:
        from app import demo
        from app.store import query

        with demo.open_demo(self.demo_path) as project:
            kinds = {
                kind: len(query.sample_ids(project, query.SampleFilter(kind=(kind,))))
                for kind in ("translation", "code", "chat", "exam")
            }
        empty = [kind for kind, count in kinds.items() if not count]
        if empty:
            raise AssertionError(f"the demo project has no {', '.join(empty)} samples: demo sources missing?")
        return ", ".join(f"{count} {kind}" for kind, count in kinds.items())

    def check_formats(self) -> str:
        """Parquet in (pyarrow's compiled modules are the likeliest to be missing from a bundle), JSONL out."""
        import pyarrow as pa
        import pyarrow.parquet as pq

        from app import exporter, importer
        from app.store import Project

        source = self.folder / "selftest.parquet"
        rows = {"instruction": ["把“你好”翻译成英文。"], "input": [""], "output": ["Hello."]}
        pq.write_table(pa.table(rows), source)
        with Project.open(self.folder / "selftest.winnow") as project:
            report = importer.import_file(project, source)
            if (report.format, report.imported, report.skipped) != ("parquet", 1, 0):
                raise AssertionError(f"Parquet import: {report.format}, {report.imported} in, {report.skipped} skipped")
            target = self.folder / "selftest.jsonl"
            exporter.export(project, target, format_name="alpaca-jsonl")
        if "Hello." not in target.read_text(encoding="utf-8"):
            raise AssertionError("the exported JSONL lacks the imported record")
        return "Parquet in, Alpaca JSONL out"

    def check_templates(self) -> str:
        """Every task's prompt template is there and not empty."""
        from app.tasks import all_tasks

        tasks = all_tasks()
        empty = [task.name for task in tasks.values() if task.prompt_file and not task.prompt().strip()]
        if empty:
            raise AssertionError(f"empty prompt templates for {', '.join(empty)}")
        return f"{len(tasks)} tasks, {sum(1 for task in tasks.values() if task.prompt_file)} templates"

    def check_main_window(self) -> str:
        from PySide6.QtWidgets import QApplication

        from app.store import Project
        from widgets.application import make_application
        from widgets.main_window import MainWindow

        self.application = make_application([sys.argv[0] if sys.argv else "winnow"])
        window = MainWindow(Project.open(self.demo_path))
        try:
            window.resize(1280, 800)
            window.show()
            QApplication.processEvents()
            picture = window.grab()
            if picture.isNull() or picture.width() < 100:
                raise AssertionError("the main window drew nothing")
            return f"{picture.width()}×{picture.height()}, {len(window.menuBar().actions())} menus"
        finally:
            window.close()
            window.project.close()
            window.deleteLater()
            QApplication.processEvents()

    def check_highlighting(self) -> str:
        from PySide6.QtGui import QTextDocument

        from widgets.highlighter import CodeHighlighter, lexer_by_name, token_formats

        missing = [name for name in LEETCODE_LANGUAGES if lexer_by_name(name) is None]
        if missing:
            raise AssertionError(f"no Pygments lexer for {', '.join(missing)}")
        token_formats()  # the default style
        document = QTextDocument()
        highlighter = CodeHighlighter(document)
        document.setPlainText('求和：\n```python\ndef total(xs):\n    """和"""\n    return sum(xs)  # 注释\n```\n')
        highlighter.rehighlight()
        coloured = [document.findBlockByNumber(n).layout().formats() for n in range(2, 5)]
        if not all(coloured):
            raise AssertionError("the Python snippet was not highlighted")
        regions = highlighter.regions()
        return f"{len(LEETCODE_LANGUAGES)} lexers, snippet lexed as {regions[0].lexer_name}"

    def check_icons(self) -> str:
        from PySide6.QtGui import QIcon, QImageReader

        from app.paths import resource_path
        from widgets.application import app_icon

        sizes = []
        for name in ("winnow.png", "winnow.svg"):
            icon = QIcon(str(resource_path("icons", name)))
            pixmap = icon.pixmap(64, 64)
            if icon.isNull() or pixmap.isNull():
                formats = sorted(bytes(f).decode() for f in QImageReader.supportedImageFormats())
                raise AssertionError(f"icon {name} did not load (image formats: {', '.join(formats)})")
            sizes.append(f"{name} {pixmap.width()}px")
        if app_icon().isNull():
            raise AssertionError("the application icon is empty")
        return ", ".join(sizes)

    def check_translations(self) -> str:
        from PySide6.QtCore import QCoreApplication, QLibraryInfo, QTranslator

        from app.paths import resource_path
        from widgets.application import install_translators

        if install_translators(self.application, "en"):
            raise AssertionError("English should need no translation file")
        english = QCoreApplication.translate("LanguageMenu", "Language")
        ours = QTranslator()
        if not ours.load(f"winnow_{ZH}", str(resource_path("i18n"))):
            raise AssertionError(f"winnow_{ZH}.qm is missing from {resource_path('i18n')}")
        QCoreApplication.installTranslator(ours)
        try:
            chinese = QCoreApplication.translate("LanguageMenu", "Language")
        finally:
            QCoreApplication.removeTranslator(ours)
        if english != "Language" or chinese != "语言":
            raise AssertionError(f"'Language' came out as {english!r} and {chinese!r}")
        qt_folder = QLibraryInfo.path(QLibraryInfo.LibraryPath.TranslationsPath)
        if not QTranslator().load(f"qtbase_{ZH}", qt_folder):
            raise AssertionError(f"Qt's own qtbase_{ZH}.qm is missing from {qt_folder}")
        return f"en, {ZH} (Winnow's and Qt's)"

    def check_key_store(self) -> str:
        """keyring finds its backends through entry points: without its metadata in the bundle it finds
        none and keys silently go to the fall-back file. Nothing is written: only where keys would go."""
        from importlib.metadata import entry_points

        from workers import secrets

        backends = sorted(entry.name for entry in entry_points(group="keyring.backends"))
        if not backends:
            raise AssertionError("keyring lists no backends: its metadata was not bundled")
        return f"backends {', '.join(backends)}; keys {secrets.backend_description()}"

    def check_job(self) -> str:
        from app.store import Project, query
        from workers import selftest_server
        from workers.engine import JobEngine, JobSpec, RetryPolicy
        from workers.providers.openai_provider import OpenAIProvider

        with Project.open(self.demo_path) as project:
            ids = query.sample_ids(project, query.SampleFilter(kind=("translation",)))[:3]
        if not ids:
            raise AssertionError("no translation pair to send")
        with selftest_server.SelfTestServer() as server:

            def provider() -> OpenAIProvider:
                return OpenAIProvider(server.base_url, selftest_server.MODEL, selftest_server.API_KEY, timeout=10.0)

            spec = JobSpec(
                task="translate",
                sample_ids=ids,
                provider_factory=provider,
                concurrency=2,
                retry=RetryPolicy(base=0.05, cap=0.2, max_attempts=2),
            )
            with JobEngine(self.demo_path) as engine:
                job_id = engine.start(spec)
                state = engine.wait(job_id, JOB_TIMEOUT_S)
                summary = engine.summary(job_id)
            answered = server.completions
        if state != "done" or summary.done != len(ids) or summary.failed:
            raise AssertionError(
                f"job {job_id} ended {state}: {summary.done} done, {summary.failed} failed; {summary.error or ''}"
            )
        with Project.open(self.demo_path) as project:
            engine_name = f"llm:{selftest_server.MODEL}"
            drafts = sum(
                1
                for sample_id in ids
                for suggestion in query.suggestions(project, sample_id)
                if suggestion["engine"] == engine_name
                and suggestion["content"]["target"]["instruction"].startswith(selftest_server.SELFTEST_PREFIX)
            )
        if drafts != len(ids):
            raise AssertionError(f"{drafts} drafts stored for {len(ids)} samples")
        return f"{summary.done} samples translated in {answered} requests"

    # -- running them ---------------------------------------------------------------------------

    def checks(self) -> list[tuple[str, Callable[[], str]]]:
        return [
            ("project and migrations", self.check_migrations),
            ("demo project", self.check_demo),
            ("formats", self.check_formats),
            ("tasks and prompt templates", self.check_templates),
            ("main window (offscreen)", self.check_main_window),
            ("Pygments highlighting", self.check_highlighting),
            ("icons", self.check_icons),
            ("translations", self.check_translations),
            ("key store", self.check_key_store),
            ("machine job (local server)", self.check_job),
        ]

    def run(self) -> bool:
        failed = False
        for name, check in self.checks():
            started = time.perf_counter()
            try:
                detail = check()
            except Exception as error:
                failed = True
                self.problems.append(f"{name}: {error}\n{traceback.format_exc()}")
                print(f"FAIL  {name}", file=self.out, flush=True)
                if name == "main window (offscreen)" and self.application is None:
                    break  # nothing after this can run without the application
                continue
            print(
                f"ok    {name}: {detail} ({(time.perf_counter() - started) * 1000:.0f} ms)", file=self.out, flush=True
            )
        return not failed


def run_self_test(out: TextIO | None = None, err: TextIO | None = None) -> int:
    """Run every check; 0 when all passed and nothing unexpected was reported, else 1."""
    out = out or sys.stdout
    err = err or sys.stderr
    from PySide6.QtCore import QtMsgType, qInstallMessageHandler

    import app

    qt_messages: list[str] = []

    def on_qt_message(kind: QtMsgType, _context: object, message: str) -> None:
        if kind not in (QtMsgType.QtDebugMsg, QtMsgType.QtInfoMsg) and not message.startswith(EXPECTED_QT_MESSAGES):
            qt_messages.append(f"Qt {kind.name}: {message}")

    collector = _Collector()
    root = logging.getLogger()
    root.addHandler(collector)
    previous_handler = qInstallMessageHandler(on_qt_message)
    frozen = "frozen" if getattr(sys, "frozen", False) else "from source"
    print(f"Winnow {app.__version__} self-test ({frozen}, Python {sys.version.split()[0]})", file=out, flush=True)
    started = time.perf_counter()
    try:
        with (
            tempfile.TemporaryDirectory(prefix="winnow-selftest-") as folder,
            _environment(Path(folder)),
            warnings.catch_warnings(record=True) as caught,
        ):
            warnings.simplefilter("always")
            test = SelfTest(Path(folder), out)
            passed = test.run()
            if test.application is not None:
                test.application.processEvents()
    finally:
        qInstallMessageHandler(previous_handler)
        root.removeHandler(collector)
    unexpected = (
        qt_messages
        + collector.messages
        + [f"Python {w.category.__name__}: {w.message} ({w.filename}:{w.lineno})" for w in caught]
    )
    for problem in test.problems:
        print(f"self-test: {problem}", file=err)
    for message in unexpected:
        print(f"self-test: unexpected: {message}", file=err)
    ok = passed and not unexpected
    verdict = "passed" if ok else "FAILED"
    print(f"self-test {verdict} in {time.perf_counter() - started:.1f} s", file=out, flush=True)
    return 0 if ok else 1
