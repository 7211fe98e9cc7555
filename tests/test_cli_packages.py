"""``winnow assign / batches / package / merge / adjudicate`` on real records."""

from __future__ import annotations

from pathlib import Path

import pytest

from app import cli, cli_packages, i18n
from app.packages import adjudication, workpackage
from app.store import Project, actions, query
from tests.package_helpers import lead_project
from widgets.launcher import wants_gui


def test_the_team_commands(tmp_path: Path, samples_dir: Path, capsys) -> None:
    lead = tmp_path / "lead.winnow"
    lead_project(lead, samples_dir).close()
    assert cli.main(["assign", str(lead), "--annotators", "alice,bob", "--overlap", "0.2", "--seed", "5"]) == 0
    assert "assignment a1: 21 samples in 2 batches" in capsys.readouterr().out
    assert cli.main(["batches", str(lead)]) == 0
    assert "a1-alice-1" in capsys.readouterr().out
    assert cli.main(["package", str(lead), "a1-alice-1", "-o", str(tmp_path / "alice")]) == 0
    assert cli.main(["package", str(lead), "a1-bob-1"]) == 0
    alice, bob = tmp_path / "alice.winnowpkg", tmp_path / "a1-bob-1.winnowpkg"
    assert alice.is_file() and bob.is_file()
    with Project.open(lead) as project:
        shared = project.db.execute("SELECT min(sample_id) FROM batch_samples WHERE shared = 1").fetchone()[0]
    for path, who in ((alice, "甲"), (bob, "乙")):
        with workpackage.open_project_file(path) as work:
            content = query.get_sample(work, shared).content
            actions.edit_content(work, shared, {**content, "output": who + content["output"]})
    capsys.readouterr()
    assert cli.main(["merge", str(lead), str(alice), str(bob)]) == 0
    out = capsys.readouterr().out
    assert "1 samples wait for adjudication" in out
    assert cli.main(["merge", str(lead), str(alice)]) == 0
    assert "merged already; nothing changed" in capsys.readouterr().out

    junk = tmp_path / "junk.winnowpkg"
    junk.write_text("不是工作包", encoding="utf-8")
    assert cli.main(["merge", str(lead), str(junk)]) == 1
    assert "junk.winnowpkg: refused: not a Winnow work package" in capsys.readouterr().err

    assert cli.main(["adjudicate", str(lead)]) == 0
    listing = capsys.readouterr().out
    assert listing.startswith("#1") and "alice (a1-alice-1), bob (a1-bob-1)" in listing
    assert cli.main(["adjudicate", str(lead), "--show", "1"]) == 0
    assert "[-甲-]{+乙+}" in capsys.readouterr().out
    assert cli.main(["adjudicate", str(lead), "--take", "1", "3"]) == 1
    assert "versions 1–2, not 3" in capsys.readouterr().err
    assert cli.main(["adjudicate", str(lead), "--take", "1", "2"]) == 0
    with Project.open(lead) as project:
        assert query.get_sample(project, shared).content["output"].startswith("乙")
    assert cli.main(["adjudicate", str(lead)]) == 0
    assert "nothing to adjudicate" in capsys.readouterr().out


def test_a_package_file_opens_the_window() -> None:
    assert wants_gui(["a1-alice-1.winnowpkg"])
    assert not wants_gui(["merge", "lead.winnow", "a1-alice-1.winnowpkg"])


def conflicting_lead(tmp_path: Path, samples_dir: Path) -> Path:
    """A lead project whose first shared sample alice and bob changed differently, instruction and output."""
    lead = tmp_path / "lead.winnow"
    lead_project(lead, samples_dir).close()
    assert cli.main(["assign", str(lead), "--annotators", "alice,bob", "--overlap", "0.2", "--seed", "5"]) == 0
    packages = []
    for name in ("alice", "bob"):
        assert cli.main(["package", str(lead), f"a1-{name}-1", "-o", str(tmp_path / name)]) == 0
        packages.append(tmp_path / f"{name}.winnowpkg")
    with Project.open(lead) as project:
        shared = project.db.execute("SELECT min(sample_id) FROM batch_samples WHERE shared = 1").fetchone()[0]
    for path, who in zip(packages, ("甲", "乙"), strict=True):
        with workpackage.open_project_file(path) as work:
            content = query.get_sample(work, shared).content
            changed = {"instruction": who + content["instruction"], "output": who + content["output"]}
            actions.edit_content(work, shared, {**content, **changed})
    assert cli.main(["merge", str(lead), *map(str, packages)]) == 0
    return lead


@pytest.fixture
def english_environment(monkeypatch):
    for variable in ("LANGUAGE", "LC_ALL", "LC_MESSAGES"):
        monkeypatch.delenv(variable, raising=False)
    monkeypatch.setenv("LANG", "en_US.UTF-8")
    return monkeypatch


def test_adjudicate_show_names_the_fields_in_the_language_of_the_environment(
    tmp_path: Path, samples_dir: Path, capsys, english_environment
) -> None:
    lead = conflicting_lead(tmp_path, samples_dir)
    capsys.readouterr()
    assert cli.main(["adjudicate", str(lead), "--show", "1"]) == 0
    out = capsys.readouterr().out
    hunks = out[out.index("hunks, 1 → 2") :]
    assert "\n  Instruction: [-甲-]{+乙+}" in hunks and "\n  Output: [-甲-]{+乙+}" in hunks
    assert "\n  instruction: " not in hunks and "\n  output: " not in hunks
    english_environment.setenv("LANG", "zh_CN.UTF-8")
    assert cli.main(["adjudicate", str(lead), "--show", "1"]) == 0
    out = capsys.readouterr().out
    hunks = out[out.index("hunks, 1 → 2") :]
    assert "\n  指令: [-甲-]{+乙+}" in hunks and "\n  输出: [-甲-]{+乙+}" in hunks
    assert "Instruction" not in hunks and "output: " not in hunks


def test_a_conflict_names_nested_fields_not_their_json_paths() -> None:
    base = {"source": {"output": "Hello"}, "target": {"output": "你好", "input": ""}}
    versions = [
        adjudication.Version(1, "a1-alice-1", "alice", {"content": {**base, "target": {"output": "您好", "input": ""}},
                             "label": None, "rating": None, "status": "edited"}),
        adjudication.Version(2, "a1-bob-1", "bob", {"content": {**base, "target": {"output": "你们好", "input": ""}},
                             "label": None, "rating": None, "status": "edited"}),
    ]  # fmt: skip
    conflict = adjudication.Conflict(1, 7, "translation", {"content": base}, versions, {"content": base}, "now")
    text = cli_packages.render_conflict(conflict)
    assert "  Target (Chinese) · Output: " in text and "target.output" not in text
    i18n.set_language("zh_CN")
    text = cli_packages.render_conflict(conflict)
    assert "  译文（中文） · 输出: " in text and "target.output" not in text
