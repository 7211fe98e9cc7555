"""Shared fixtures. Qt runs offscreen unless a test run asks otherwise."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
# Every change a test makes is recorded under this name, whoever runs the tests.
os.environ["WINNOW_USER"] = "tester"

# The fake servers' fixtures (deepl_server, openai_server) for every test that asks for one.
pytest_plugins = ("tests.servers",)

REPO = Path(__file__).resolve().parents[1]
SAMPLES = REPO.parent / "shared" / "samples"


@pytest.fixture
def samples_dir() -> Path:
    if not SAMPLES.is_dir():
        pytest.fail(f"the shared sample records are missing: expected them at {SAMPLES}")
    return SAMPLES


@pytest.fixture
def project(tmp_path: Path):
    from app.store import Project

    with Project.create(tmp_path / "test.winnow", name="测试项目") as opened:
        yield opened


# Three small Chinese Alpaca records, for the tests of the store and backups.
ALPACA = [
    {"instruction": "把下面的句子翻译成英文。", "input": "今天天气很好。", "output": "The weather is nice today."},
    {"instruction": "写一首关于春天的五言绝句。", "input": "", "output": "春眠不觉晓，处处闻啼鸟。"},
    {"instruction": "解释“画蛇添足”的意思。", "input": "", "output": "比喻做了多余的事，反而不恰当。"},
]


@pytest.fixture
def loaded(project, write_jsonl):
    """The test project with :data:`ALPACA` imported (samples 1–3)."""
    from app import importer

    importer.import_file(project, write_jsonl("alpaca.jsonl", ALPACA))
    return project


@pytest.fixture
def file_keyring(monkeypatch: pytest.MonkeyPatch):
    """No system keyring (as in CI): keys go to the per-test secrets file; no key in the environment.
    For the window tests that type keys into the dialogs (``pytestmark = pytest.mark.usefixtures``)."""
    import keyring
    import keyring.backends.fail

    monkeypatch.delenv("WINNOW_DEEPL_KEY", raising=False)
    monkeypatch.delenv("WINNOW_OPENAI_KEY", raising=False)
    before = keyring.get_keyring()
    keyring.set_keyring(keyring.backends.fail.Keyring())
    yield
    keyring.set_keyring(before)


@pytest.fixture
def write_jsonl(tmp_path: Path):
    """Write dicts as JSON Lines to a file in tmp_path and return its path."""
    import json

    def write(name: str, records: list, *, encoding: str = "utf-8") -> Path:
        path = tmp_path / name
        text = "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in records)
        path.write_bytes(text.encode(encoding))
        return path

    return write


@pytest.fixture(autouse=True)
def own_settings(tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Every test gets its own settings file (recent projects, positions, language, layout)."""
    folder = tmp_path_factory.mktemp("config")
    monkeypatch.setenv("WINNOW_CONFIG_DIR", str(folder))
    return folder


@pytest.fixture(autouse=True)
def english_app_texts():
    """app.i18n's language is process-wide: back to English after a test that showed Chinese."""
    yield
    from app import i18n

    i18n.set_language("en")


@pytest.fixture(autouse=True)
def no_thread_outlives_the_test():
    """Fail a test that leaves a background thread running (STYLE.md: napari's rule)."""
    import sys
    import threading

    before = {thread.ident for thread in threading.enumerate()}
    yield
    qtcore = sys.modules.get("PySide6.QtCore")
    if qtcore is not None:
        pool = qtcore.QThreadPool.globalInstance()
        assert pool.waitForDone(10_000), "a QRunnable was still running 10 s after the test"
    leaked = [
        thread.name
        for thread in threading.enumerate()
        if thread.ident not in before and thread.is_alive() and thread.name.startswith("winnow")
    ]
    assert not leaked, f"threads outlived the test: {leaked}"


def pytest_addoption(parser: pytest.Parser) -> None:
    # Read by tests/reliability/conftest.py: the full sizes (≥100 crash trials) instead of CI's.
    parser.addoption("--reliability-full", action="store_true", help="run the reliability suite at full size")
