"""The installers and ``winnow --self-test``: from source, and frozen by PyInstaller into the bundle, the
``.deb`` (unpacked into a scratch root) and the portable ``.tar.gz``, as ``packaging/build`` makes them."""

from __future__ import annotations

import configparser
import io
import json
import logging
import os
import subprocess
import sys
from pathlib import Path

import pytest

from app import paths
from tests.helpers import packaging_script
from widgets import launcher, selftest
from workers import selftest_server

REPO = Path(__file__).resolve().parents[1]
CHECKS = 10  # the lines "ok    …" a passing self-test prints, one per check


def assert_passed(result: subprocess.CompletedProcess[str]) -> None:
    assert result.returncode == 0, f"self-test failed:\n{result.stdout}\n{result.stderr}"
    assert result.stderr == "", f"unexpected stderr:\n{result.stderr}"
    lines = result.stdout.splitlines()
    assert sum(line.startswith("ok ") for line in lines) == CHECKS, result.stdout
    assert lines[-1].startswith("self-test passed")


def test_self_test_from_source() -> None:
    code = "import sys; from widgets.launcher import main; sys.exit(main(['--self-test']))"
    result = subprocess.run(
        [sys.executable, "-c", code], cwd=REPO, capture_output=True, text=True, timeout=300, check=False
    )
    assert_passed(result)
    assert "(from source," in result.stdout
    assert "machine job (local server): 3 samples translated in 3 requests" in result.stdout


def test_a_failing_check_fails_the_self_test(monkeypatch: pytest.MonkeyPatch) -> None:
    def broken() -> str:
        raise AssertionError("winnow_zh_CN.qm is missing")

    monkeypatch.setattr(selftest.SelfTest, "checks", lambda self: [("works", lambda: "fine"), ("breaks", broken)])
    out, err = io.StringIO(), io.StringIO()
    assert selftest.run_self_test(out, err) == 1
    assert "ok    works: fine" in out.getvalue() and "FAIL  breaks" in out.getvalue()
    assert "self-test FAILED" in out.getvalue()
    assert "breaks: winnow_zh_CN.qm is missing" in err.getvalue()


def test_a_warning_on_the_way_fails_the_self_test(monkeypatch: pytest.MonkeyPatch) -> None:
    def noisy() -> str:
        logging.getLogger("winnow.gui").warning("no zh_CN translation in /nowhere")
        return "done"

    monkeypatch.setattr(selftest.SelfTest, "checks", lambda self: [("noisy", noisy)])
    out, err = io.StringIO(), io.StringIO()
    assert selftest.run_self_test(out, err) == 1
    assert "ok    noisy: done" in out.getvalue()
    assert "unexpected: log WARNING winnow.gui: no zh_CN translation in /nowhere" in err.getvalue()


def test_the_self_test_server_keeps_code_blocks() -> None:
    fields = {"instruction": "Sort it.", "input": "```python\nxs.sort()\n```", "output": ""}
    answered = json.loads(selftest_server.answer(json.dumps(fields)))
    assert answered["instruction"] == selftest_server.SELFTEST_PREFIX + "Sort it."
    assert "```python\nxs.sort()\n```" in answered["input"] and answered["output"] == ""
    assert selftest_server.answer("hi") == selftest_server.SELFTEST_PREFIX + "hi"


# Portable mode


@pytest.fixture
def frozen_program(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Pretend to be the frozen program in tmp_path/winnow, with no settings override."""
    program = tmp_path / "winnow"
    program.write_text("", encoding="utf-8")
    monkeypatch.setattr(sys, "frozen", True, raising=False)
    monkeypatch.setattr(sys, "executable", str(program))
    monkeypatch.delenv("WINNOW_CONFIG_DIR")
    monkeypatch.delenv("WINNOW_PORTABLE", raising=False)
    return program


def test_portable_marker_keeps_settings_and_data_beside_the_program(frozen_program: Path) -> None:
    assert not paths.portable()
    assert paths.config_dir() != frozen_program.parent / "winnow-data" / "config"  # the platform's place
    (frozen_program.parent / "portable").write_text("", encoding="utf-8")
    assert paths.portable()
    assert paths.config_dir() == frozen_program.parent / "winnow-data" / "config"
    assert paths.data_dir() == frozen_program.parent / "winnow-data" / "data"
    from widgets import settings

    assert settings.settings_path().parent == paths.config_dir()


def test_portable_option_and_the_settings_override(frozen_program: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("WINNOW_PORTABLE", "0")
    assert launcher.main(["--portable", "formats"]) == 0
    assert os.environ["WINNOW_PORTABLE"] == "1" and paths.portable()
    assert paths.data_dir() == frozen_program.parent / "winnow-data" / "data"
    monkeypatch.setenv("WINNOW_CONFIG_DIR", str(frozen_program.parent / "elsewhere"))
    assert paths.config_dir() == frozen_program.parent / "elsewhere"  # the tests' own settings still win


# The frozen program, as shipped


@pytest.mark.slow
def test_installers_are_built_and_each_program_passes_its_self_test(tmp_path: Path) -> None:
    pytest.importorskip("PyInstaller", reason="PyInstaller is in the test extra: pip install -e '.[test]'")
    build = packaging_script("build")
    dist, work = tmp_path / "dist", tmp_path / "work"
    # Builds the bundle, the .deb and the .tar.gz, and runs --self-test on each (exit 1 if one fails).
    assert build.main(["--dist", str(dist), "--work", str(work)]) == 0

    program = dist / "winnow" / "winnow"
    frozen = build.self_test(program)
    assert_passed(frozen)
    assert "(frozen," in frozen.stdout
    internal = dist / "winnow" / "_internal"
    bundled = {p.name.split(".")[0] for p in (internal / "PySide6").iterdir()}
    assert {"QtCore", "QtGui", "QtWidgets"} <= bundled
    assert not bundled & {"QtWebEngineCore", "QtQml", "QtQuick", "QtNetwork", "QtSql", "QtTest"}
    assert not (internal / "tests").exists() and not (internal / "pandas").exists()
    for folder in (REPO / "resources").iterdir():
        if folder.is_dir():
            assert (internal / "resources" / folder.name).is_dir(), f"resources/{folder.name} was not bundled"
    assert list((internal / "resources" / "i18n").glob("*.qm")) and not list((internal / "resources").rglob("*.ts"))
    size_mb = build.folder_size(dist / "winnow") / 2**20
    # 370 MB in November 2026 (pyarrow ~120, Qt ~100, numpy ~40). A jump past this is a Qt module or a
    # library pulled in by mistake: find it in build/winnow/xref-winnow.html and exclude it in the spec.
    assert size_mb < 450, f"the bundle grew to {size_mb:.0f} MB"

    (package,) = dist.glob("winnow_*.deb")
    fields = subprocess.run(["dpkg-deb", "-f", str(package)], capture_output=True, text=True, check=True).stdout
    assert "Package: winnow" in fields and "libxcb-cursor0" in fields
    root = tmp_path / "root"
    installed = build.unpack_deb(package, root)
    assert installed.resolve() == (root / "opt" / "winnow" / "winnow").resolve()
    assert_passed(build.self_test(installed))
    entry = configparser.ConfigParser(interpolation=None)
    entry.read(root / "usr" / "share" / "applications" / "winnow.desktop", encoding="utf-8")
    assert entry["Desktop Entry"]["Exec"].split()[0] == "winnow"
    assert entry["Desktop Entry"]["Icon"] == "winnow"
    assert (root / "usr" / "share" / "icons" / "hicolor" / "256x256" / "apps" / "winnow.png").is_file()

    (archive,) = dist.glob("winnow-*.tar.gz")
    portable = build.unpack_archive(archive, tmp_path / "portable")
    assert (portable.parent / "portable").is_file()
    assert_passed(build.self_test(portable))
    # The archive's program keeps settings and data beside itself; the installed one in the user's folders.
    plain = {k: v for k, v in os.environ.items() if k not in ("WINNOW_CONFIG_DIR", "WINNOW_PORTABLE")}
    beside = subprocess.run([str(portable), "--paths"], capture_output=True, text=True, check=True, env=plain).stdout
    assert f"settings: {portable.parent / 'winnow-data' / 'config'}" in beside and "portable: True" in beside
    home = subprocess.run([str(installed), "--paths"], capture_output=True, text=True, check=True, env=plain).stdout
    assert "portable: False" in home and "winnow-data" not in home
