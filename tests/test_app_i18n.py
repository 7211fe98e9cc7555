"""app.i18n: the texts of app/ and workers/ in English by default, in Chinese when asked; stored texts
(undo descriptions, QA findings, job failure reasons) stay English in the project and are shown translated."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from app import cli, i18n, importer
from app.quality import checks, flags, texts
from app.store import Project, ProjectError, actions, ops
from tests.helpers import packaging_script

REPO = Path(__file__).resolve().parents[1]
PLACEHOLDER = re.compile(r"(?<!\{)\{[^{}]*\}(?!\})")
CJK = re.compile(r"[\u4e00-\u9fff]")


@pytest.fixture
def chinese():
    assert i18n.set_language("zh_CN") == "zh_CN"
    yield
    i18n.set_language("en")


def test_english_by_default_and_as_the_fallback() -> None:
    assert i18n.current_language() == "en"
    assert i18n._("unusable answer: {error}") == "unusable answer: {error}"
    assert i18n.display("import a.json (3 samples)") == "import a.json (3 samples)"
    assert i18n.set_language("fr_FR.UTF-8") == "en"
    assert i18n._("no records found") == "no records found"


def test_a_missing_catalog_falls_back_to_english(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setattr(i18n, "resource_path", lambda *parts: tmp_path.joinpath(*parts))
    assert i18n.set_language("zh_CN") == "en"
    assert i18n._("no records found") == "no records found"


def test_a_chinese_message_keeps_its_placeholders(chinese) -> None:
    text = i18n._("no DeepL key: set {variable} or store one in the DeepL settings")
    assert text == "没有 DeepL 密钥：请设置 {variable}，或在 DeepL 设置中保存一个"
    assert (
        text.format(variable="WINNOW_DEEPL_KEY")
        == "没有 DeepL 密钥：请设置 WINNOW_DEEPL_KEY，或在 DeepL 设置中保存一个"
    )


def test_ngettext_english_forms_and_the_one_chinese_form() -> None:
    singular = "near-duplicate search stopped after {n} sample; nothing was flagged"
    plural = "near-duplicate search stopped after {n} samples; nothing was flagged"
    assert i18n.ngettext(singular, plural, 1).format(n=1).endswith("after 1 sample; nothing was flagged")
    assert i18n.ngettext(singular, plural, 5).format(n=5).endswith("after 5 samples; nothing was flagged")
    i18n.set_language("zh_CN")
    try:
        assert i18n.ngettext(singular, plural, 1) == i18n.ngettext(singular, plural, 5)
        assert i18n.ngettext(singular, plural, 5).format(n=5) == "近似重复查找在 5 个样本后停止；没有标记任何样本"
    finally:
        i18n.set_language("en")


@pytest.mark.parametrize(
    ("environment", "language"),
    [
        ({}, "en"),
        ({"LANG": "zh_CN.UTF-8"}, "zh_CN"),
        ({"LANG": "zh_CN.UTF-8", "LC_ALL": "C"}, "en"),
        ({"LC_MESSAGES": "zh_TW"}, "zh_CN"),
        ({"LANG": "de_DE.UTF-8"}, "en"),
    ],
)
def test_the_command_line_follows_the_environment(monkeypatch: pytest.MonkeyPatch, environment, language) -> None:
    for variable in ("LANGUAGE", "LC_ALL", "LC_MESSAGES", "LANG"):
        monkeypatch.delenv(variable, raising=False)
    for variable, value in environment.items():
        monkeypatch.setenv(variable, value)
    assert i18n.language_from_environment() == language


def test_stored_texts_shown_translated(chinese) -> None:
    shown = {
        "import x.json (3 samples)": "导入 x.json（3 个样本）",
        "label → 3 (2 samples)": "标签 → 3（2 个样本）",
        "annotate review of sample 7": "样本 7 的标注审核",
        "stage 1: disagree (其他) with sample 4": "第 1 关：不同意样本 4（其他）",
        "gave up after 3 attempts: rate limited: 429": "尝试 3 次后放弃：请求受限：429",
        "unusable answer: no JSON object": "回答不可用：no JSON object",
    }
    for stored, expected in shown.items():
        assert i18n.display(stored) == expected
    # Not made from the catalog: shown as it is, even when it looks like "{field}: {message}".
    for other in ("note: see above", "随便写的", "", "output: something else"):
        assert i18n.display(other) == other


def test_the_project_keeps_english_and_the_undo_menu_translates(tmp_path: Path, write_jsonl, chinese) -> None:
    project = Project.create(tmp_path / "p.winnow")
    importer.import_file(project, write_jsonl("x.jsonl", [{"instruction": "写一句话。", "output": "好。"}] * 2))
    actions.set_label(project, [1, 2], 3)
    stored = project.db.execute("SELECT summary FROM operations ORDER BY id").fetchall()
    assert [row[0] for row in stored] == ["import x.jsonl", "label → 3 (2 samples)"]
    assert i18n.display(ops.can_undo(project)) == "标签 → 3（2 个样本）"
    assert i18n.display(ops.undo(project).summary) == "标签 → 3（2 个样本）"
    assert i18n.display(ops.can_redo(project)) == "标签 → 3（2 个样本）"
    project.close()


def test_errors_are_raised_in_the_language_set(tmp_path: Path, chinese) -> None:
    with pytest.raises(ProjectError, match="没有这个项目"):
        Project.open(tmp_path / "missing.winnow")


def test_the_command_line_prints_chinese_when_lang_asks(
    tmp_path: Path, write_jsonl, monkeypatch: pytest.MonkeyPatch, capsys
) -> None:
    project = Project.create(tmp_path / "p.winnow")
    importer.import_file(project, write_jsonl("x.jsonl", [{"instruction": "写一句话。", "output": "好。"}]))
    project.close()
    monkeypatch.setenv("LANG", "zh_CN.UTF-8")
    for variable in ("LANGUAGE", "LC_ALL", "LC_MESSAGES"):
        monkeypatch.delenv(variable, raising=False)
    assert cli.main(["undo", str(tmp_path / "p.winnow")]) == 0
    assert "undone: 导入 x.jsonl\n" in capsys.readouterr().out


# QA flags

BAD_SAMPLES = [
    ("instruction", {"instruction": "写一句话.", "output": "這是繁體，这是简体和这个国家。今天天气很好. 我们(去"}),
    ("instruction", {"instruction": "", "output": "   "}),
    ("instruction", {"instruction": "解释代码。", "output": "代码如下：\n```python\nprint（1）\n```\n然后\n```js\nx"}),
    (
        "instruction",
        {"instruction": "重复。", "output": "好的好的好的好的好的好的好的好的。我爱你。我爱你。我爱你。我爱你。"},
    ),
    ("instruction", {"instruction": "写。", "output": "括号）没有开始。引号“没有结束"}),
    (
        "translation",
        {
            "source": {
                "instruction": "Say hi.",
                "output": "Hello world, this is a long English answer that goes on for a while.\n```py\nx=1\n```",
            },
            "target": {"instruction": "说你好！", "output": "你好"},
        },
    ),
    ("translation", {"source": {"instruction": "Say hi?", "output": "Hi."}, "target": {"instruction": "Say hi?"}}),
]


def test_every_finding_and_title_is_shown_in_chinese(chinese) -> None:
    found = [f for kind, content in BAD_SAMPLES for f in checks.check_sample(kind, content)]
    assert {f.check for f in found} == set(checks.CHECK_NAMES)
    untranslated = [f.describe() for f in found if texts.finding(f) == f.describe()]
    assert untranslated == [], "a finding with no template in app/quality/texts.py"
    assert texts.finding(found[0]).startswith("instruction，第 5 个字符：中文文本中有半角“.”，应使用“。”")
    titles = {**flags.FLAG_TITLES}
    assert [t for t in titles.values() if not CJK.search(texts.title(t))] == []
    # The stored detail stays English whatever the language.
    assert checks.detail(found[:1]).startswith("instruction, character 5: half-width '.'")


# The catalog


def test_catalog_translations_keep_placeholders_and_are_chinese() -> None:
    build = packaging_script("build_app_translations")
    _header, entries = build.read_po(REPO / "resources" / "i18n" / "app_zh_CN.po")
    assert len(entries) > 150
    wrong = []
    for entry in entries.values():
        source = entry.plural or entry.msgid
        for text in entry.translations:
            words = re.search(r"[A-Za-z]{2,}", PLACEHOLDER.sub("", source))
            if sorted(PLACEHOLDER.findall(text)) != sorted(PLACEHOLDER.findall(source)) or (
                words and not CJK.search(text)
            ):
                wrong.append((entry.msgid, text))
    assert wrong == []
