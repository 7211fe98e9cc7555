"""``winnow assign / batches / package / merge / adjudicate`` on real records."""

from __future__ import annotations

from pathlib import Path

from app import cli
from app.packages import workpackage
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
