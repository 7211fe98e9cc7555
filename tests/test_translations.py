"""The Chinese UI: the .ts is complete and its .qm current, placeholders survive, the window shows Chinese."""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
from PySide6.QtCore import QCoreApplication, QLibraryInfo, QTranslator
from PySide6.QtWidgets import QApplication, QMenu

from tests.helpers import packaging_script

REPO = Path(__file__).resolve().parents[1]
I18N = REPO / "resources" / "i18n"
TS = I18N / "winnow_zh_CN.ts"
QM = I18N / "winnow_zh_CN.qm"

# {name}, {0}, {0:,}, {} and Qt's %n / %1; literal braces ({{ }}) are not placeholders.
PLACEHOLDER = re.compile(r"(?<!\{)\{[^{}]*\}(?!\})|%n|%\d+")
ACCELERATOR = re.compile(r"&(?!&)(\w)")


def ts_messages() -> list[tuple[str, ET.Element]]:
    root = ET.parse(TS).getroot()
    return [(c.findtext("name") or "", m) for c in root.iter("context") for m in c.iter("message")]


def translations(message: ET.Element) -> list[str]:
    translation = message.find("translation")
    if translation is None:
        return []
    if message.get("numerus") == "yes":
        return [form.text or "" for form in translation.findall("numerusform")]
    return [translation.text or ""]


def test_qm_exists_and_loads() -> None:
    assert QM.is_file()
    translator = QTranslator()
    assert translator.load("winnow_zh_CN", str(I18N))
    assert translator.translate("VerdictBar", "Accept (A)") == "通过 (A)"


@pytest.mark.parametrize("builder", ["build_translations.py", "build_app_translations.py"])
def test_build_check_passes(builder: str) -> None:
    """Both catalogs are up to date: Qt's (widgets/) and gettext's (app/, workers/)."""
    result = subprocess.run(
        [sys.executable, str(REPO / "packaging" / builder), "--check"],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_every_message_is_finished() -> None:
    messages = ts_messages()
    assert len(messages) > 200
    left = [
        (context, message.findtext("source"))
        for context, message in messages
        if message.find("translation") is None
        or message.find("translation").get("type") in ("unfinished", "obsolete", "vanished")
        or not all(translations(message))
    ]
    assert left == []


def test_placeholders_match_their_source() -> None:
    wrong = []
    for context, message in ts_messages():
        source = message.findtext("source") or ""
        expected = sorted(PLACEHOLDER.findall(source))
        for text in translations(message):
            if sorted(PLACEHOLDER.findall(text)) != expected:
                wrong.append((context, source, text))
    assert wrong == []


def test_accelerators_kept() -> None:
    """A source's &X is in its translation as (&X), and no translation adds one."""
    wrong = []
    for context, message in ts_messages():
        source = message.findtext("source") or ""
        keys = ACCELERATOR.findall(source)
        for text in translations(message):
            found = ACCELERATOR.findall(text)
            if [k.upper() for k in keys] != [k.upper() for k in found] or (keys and f"(&{found[0]})" not in text):
                wrong.append((context, source, text))
    assert wrong == []


def test_translations_are_chinese() -> None:
    """Every text with English words in it (outside placeholders) has Chinese in its translation."""
    english = [
        (context, message.findtext("source"), text)
        for context, message in ts_messages()
        if re.search(r"[A-Za-z]{2,}", PLACEHOLDER.sub("", message.findtext("source") or ""))
        for text in translations(message)
        if not re.search(r"[\u4e00-\u9fff]", text)
    ]
    assert english == []


@pytest.fixture
def chinese(qapp: QApplication):
    installed = []
    for name, folder in (
        ("winnow_zh_CN", str(I18N)),
        ("qtbase_zh_CN", QLibraryInfo.path(QLibraryInfo.LibraryPath.TranslationsPath)),
    ):
        translator = QTranslator()
        if translator.load(name, folder):
            qapp.installTranslator(translator)
            installed.append(translator)
    assert installed, "winnow_zh_CN.qm did not load"
    yield
    for translator in installed:
        qapp.removeTranslator(translator)


@pytest.fixture
def demo_window(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, qtbot, chinese):
    monkeypatch.setenv("WINNOW_CONFIG_DIR", str(tmp_path))
    from app import demo
    from widgets.main_window import MainWindow

    project = demo.build_demo(tmp_path / "d.winnow")
    window = MainWindow(project)
    qtbot.addWidget(window)
    yield window
    window.close()
    window.project.close()


def test_main_window_in_chinese(demo_window) -> None:
    titles = [action.text() for action in demo_window.menuBar().actions()]
    assert any("文件" in title for title in titles), titles
    assert any("编辑" in title for title in titles), titles
    assert any("帮助" in title for title in titles), titles
    verdicts = [button.text() for button in demo_window.verdict_bar.verdicts.values()]
    assert any("通过" in text for text in verdicts), verdicts
    assert any("拒绝" in text for text in verdicts), verdicts
    labels = [button.text() for button in demo_window.verdict_bar.labels.buttons()]
    assert labels[0] == "1 可直接使用", labels
    assert demo_window.details.tabText(0) == "样本"


def test_every_menu_entry_in_chinese(demo_window) -> None:
    """Each menu's title and entries show Chinese: a text lupdate files under another context than the
    one PySide looks it up in (``window.tr`` in a helper object: 'window' vs 'MainWindow') stays English."""
    english = []
    for bar_action in demo_window.menuBar().actions():
        menu = bar_action.menu()
        menu.aboutToShow.emit()  # menus that set their entries' texts when opened
        for action in [bar_action, *menu.actions()]:
            if not action.isSeparator() and not re.search(r"[\u4e00-\u9fff]", action.text()):
                english.append(action.text())
    assert english == []


def test_shortcut_descriptions_in_chinese(chinese) -> None:
    from widgets.shortcuts import shortcuts

    described = {s.action: s.description for s in shortcuts()}
    assert described["label_1"].startswith("标签 1 · 可直接使用")
    assert "3" in described["rating_3"]


def test_language_menu(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, qtbot) -> None:
    monkeypatch.setenv("WINNOW_CONFIG_DIR", str(tmp_path))
    from PySide6.QtWidgets import QMainWindow, QMessageBox

    from widgets import language, settings

    settings.settings().setValue("ui/language", "en")
    window = QMainWindow()
    qtbot.addWidget(window)
    window.menuBar().addMenu("&File")
    window.menuBar().addMenu(QCoreApplication.translate("MainWindow", "&Help"))
    menu = language.add_language_menu(window.menuBar(), window)
    assert isinstance(menu, QMenu)
    titles = [a.text() for a in window.menuBar().actions()]
    assert titles[-2] == language.view_menu(window.menuBar()).title()  # View sits before Help
    names = {a.text(): a for a in menu.actions()}
    assert set(names) == {"English", "简体中文"}
    assert names["English"].isChecked() and not names["简体中文"].isChecked()

    shown = []
    monkeypatch.setattr(QMessageBox, "information", lambda parent, title, text: shown.append(text))
    names["简体中文"].trigger()
    assert settings.settings().value("ui/language") == "zh_CN"
    assert names["简体中文"].isChecked() and not names["English"].isChecked()
    assert len(shown) == 1 and "next time" in shown[0] and "下次启动" in shown[0]
    # A second menu on the same bar reuses the one View menu.
    language.add_language_menu(window.menuBar(), window)
    assert sum(1 for a in window.menuBar().actions() if a.menu() is language.view_menu(window.menuBar())) == 1


# The texts of app/ and workers/ (app.i18n, resources/i18n/app_zh_CN.po)


def test_app_catalog_check_finds_what_is_out_of_date(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    build = packaging_script("build_app_translations")
    shutil.copytree(I18N, tmp_path, dirs_exist_ok=True)
    monkeypatch.setattr(build, "I18N", tmp_path)
    assert build.check("zh_CN") == []
    po = tmp_path / "app_zh_CN.po"
    text = po.read_text(encoding="utf-8")
    text = text.replace('msgstr "导入 {name}"', 'msgstr ""')  # untranslated
    text += '\nmsgid "a text no source has"\nmsgstr "没有来源的文本"\n'  # obsolete
    po.write_text(text, encoding="utf-8")
    problems = build.check("zh_CN")
    assert "untranslated or fuzzy: 'import {name}'" in problems
    assert "text in the .po that no source has any more: 'a text no source has'" in problems
    assert any("does not match" in p for p in problems)  # the .mo is now stale
    build.build("zh_CN")
    assert build.check("zh_CN") == ["untranslated or fuzzy: 'import {name}'"]


def test_gui_language_sets_the_app_texts_language(qapp: QApplication, qtbot) -> None:
    from app import i18n
    from widgets import application, settings

    settings.settings().setValue("ui/language", "zh_CN")
    made = application.make_application()
    try:
        assert made is qapp
        assert i18n.current_language() == "zh_CN"
    finally:
        for translator in made._winnow_translators:
            qapp.removeTranslator(translator)
        made._winnow_translators = []
        i18n.set_language("en")


def test_quality_flag_and_undo_description_in_chinese(demo_window, qtbot) -> None:
    from PySide6.QtWidgets import QLabel

    from app import i18n
    from app.store import actions

    i18n.set_language("zh_CN")
    window = demo_window
    flagged = window.project.db.execute(
        "SELECT sample_id FROM sample_flags WHERE flag = 'punctuation_width' ORDER BY sample_id LIMIT 1"
    ).fetchone()[0]
    window.browser.select_sample(flagged)
    qtbot.waitUntil(lambda: window.current is not None and window.current.id == flagged, timeout=5000)
    label = window.quality.findChild(QLabel, "quality_flag_punctuation_width")
    assert "中文文本中有半角" in label.text(), label.text()
    assert "中文文本中有半角标点" in label.toolTip()
    window._apply(lambda: actions.set_label(window.project, [flagged], 3))
    [edit_menu] = [a.menu() for a in window.menuBar().actions() if window.undo_action in a.menu().actions()]
    edit_menu.aboutToShow.emit()  # the Edit menu names what Undo and Redo would do when it opens
    assert window.undo_action.text() == "撤销(&U)：标签 → 3（1 个样本）"
    # The project keeps the English description.
    stored = window.project.db.execute("SELECT summary FROM operations ORDER BY id DESC LIMIT 1").fetchone()[0]
    assert stored == "label → 3 (1 samples)"
    window.undo()
    edit_menu.aboutToShow.emit()
    assert "标签 → 3（1 个样本）" in window.redo_action.text()
    assert "标签 → 3（1 个样本）" in window.statusBar().currentMessage()
