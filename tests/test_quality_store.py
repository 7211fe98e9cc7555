"""QA flags in a project: kept in step with every content change, ignored per sample (undoable),
re-checked in batches; near-duplicates flagged and never deleted; Traditional → Simplified as one
undo step; and the command line over all of it."""

from __future__ import annotations

import json
import random
from pathlib import Path

import orjson
import pytest

from app import cli, importer
from app.quality import dedup, flags, normalize
from app.store import Project, ProjectError, actions, query, redo, undo


def flag_rows(project: Project, sample_id: int) -> dict[str, str]:
    return dict(project.db.execute("SELECT flag, detail FROM sample_flags WHERE sample_id = ?", (sample_id,)))


def content_of(project: Project, sample_id: int) -> dict:
    return query.get_sample(project, sample_id).content


MIXED = {"instruction": "你好,世界", "input": "", "output": "這是繁體，这是简体。"}


def test_import_flags_samples_in_the_same_transaction(project: Project, write_jsonl) -> None:
    path = write_jsonl(
        "a.jsonl",
        [
            {"instruction": "写一句话。", "input": "", "output": "今天天气很好。"},
            {"instruction": "为什么天空是蓝的?", "input": "", "output": "因为散射。"},
            MIXED,
        ],
    )
    importer.import_file(project, path)
    assert flag_rows(project, 1) == {}
    assert set(flag_rows(project, 2)) == {"punctuation_width"}
    assert set(flag_rows(project, 3)) == {"punctuation_width", "mixed_script"}
    assert "output, character 1" in flag_rows(project, 3)["mixed_script"]
    assert query.count(project, query.SampleFilter(flag=("mixed_script",))) == 1
    assert "mixed_script" in query.distinct_values(project, "flag")


def test_flags_follow_edits_undo_and_redo(loaded: Project) -> None:
    assert flag_rows(loaded, 1) == {}
    actions.edit_content(loaded, 1, MIXED)
    assert set(flag_rows(loaded, 1)) == {"punctuation_width", "mixed_script"}
    assert "'這'" in flag_rows(loaded, 1)["mixed_script"]
    undo(loaded)
    assert flag_rows(loaded, 1) == {}
    redo(loaded)
    assert set(flag_rows(loaded, 1)) == {"punctuation_width", "mixed_script"}
    # A fix clears the flag; a manual flag of another kind is left alone by the checks.
    actions.set_flag(loaded, [1], "too_short", "by hand")
    actions.edit_content(loaded, 1, {**MIXED, "output": "这是简体。"})
    assert set(flag_rows(loaded, 1)) == {"punctuation_width", "too_short"}


def test_typing_in_bursts_amends_the_edit_and_its_flags(loaded: Project) -> None:
    actions.edit_content(loaded, 2, {**content_of(loaded, 2), "output": "春眠不觉晓,"}, coalesce_seconds=60)
    assert set(flag_rows(loaded, 2)) == {"punctuation_width", "truncated_field"}
    actions.edit_content(loaded, 2, {**content_of(loaded, 2), "output": "春眠不觉晓。"}, coalesce_seconds=60)
    assert flag_rows(loaded, 2) == {}


def test_a_taken_draft_and_a_created_sample_are_checked(loaded: Project) -> None:
    suggestion = actions.add_suggestion(
        loaded, 1, task="rewrite", content={"output": "這是草稿，这是简体。"}, engine="deepl"
    )
    actions.accept_suggestion(loaded, suggestion)
    assert "mixed_script" in flag_rows(loaded, 1)
    undo(loaded)
    assert "mixed_script" not in flag_rows(loaded, 1)
    changes = actions.create_sample(loaded, "instruction", {"instruction": "", "input": "", "output": "好（"})
    [new_id] = changes.sample_ids
    assert set(flag_rows(loaded, new_id)) == {"empty_field", "unbalanced_brackets", "truncated_field"}
    undo(loaded)
    assert flag_rows(loaded, new_id) == {}


def test_ignore_records_who_and_when_and_undoes(loaded: Project) -> None:
    actions.edit_content(loaded, 1, MIXED)
    changes = flags.ignore_flag(loaded, 1, "mixed_script", author="李四")
    assert changes.operation_id is not None and 1 in changes.sample_ids
    assert set(flag_rows(loaded, 1)) == {"punctuation_width"}
    assert query.count(loaded, query.SampleFilter(flag=("mixed_script",))) == 0
    shown = {f.flag: f for f in flags.sample_flags(loaded, 1)}
    assert shown["mixed_script"].ignored_by == "李四" and shown["mixed_script"].ignored_at
    assert shown["punctuation_width"].ignored_by is None
    # The ignore holds through later edits that still have the problem...
    actions.edit_content(loaded, 1, {**MIXED, "output": "這是另一個，这是简体。"})
    assert "mixed_script" not in flag_rows(loaded, 1)
    undo(loaded)  # the edit
    undo(loaded)  # the ignore: the flag is back
    assert "mixed_script" in flag_rows(loaded, 1)
    redo(loaded)
    assert "mixed_script" not in flag_rows(loaded, 1)
    flags.unignore_flag(loaded, 1, "mixed_script")
    assert "mixed_script" in flag_rows(loaded, 1)
    with pytest.raises(ProjectError, match="not a QA check"):
        flags.ignore_flag(loaded, 1, "no_such_check")


def test_recheck_streams_in_batches_keeps_ignores_and_stops_on_cancel(loaded: Project) -> None:
    actions.edit_content(loaded, 1, MIXED)
    flags.ignore_flag(loaded, 1, "punctuation_width")
    # Flags lost (a project from before the checks): the re-check puts them back, not the ignored one.
    loaded.db.execute("DELETE FROM sample_flags")
    seen: list[int] = []
    report = flags.recheck(loaded, batch=2, progress=seen.append)
    assert seen == [2, 3]
    assert report.checked == 3 and report.flagged == 1
    assert report.by_check == {"mixed_script": 1}
    assert set(flag_rows(loaded, 1)) == {"mixed_script"}
    loaded.db.execute("DELETE FROM sample_flags")
    calls = iter([False, True])
    with pytest.raises(flags.RecheckCancelled, match="after 2 samples"):
        flags.recheck(loaded, batch=2, cancelled=lambda: next(calls))
    assert set(flag_rows(loaded, 1)) == {"mixed_script"}  # the first batch is kept


def near_copies(samples_dir: Path, tmp_path: Path) -> tuple[Path, int, dict[int, int]]:
    """CQIA's records plus a near copy of each of the first five (one character changed, a line
    dropped): ids 1..n are the originals, n+1.. the copies of 1..5."""
    rows = [json.loads(line) for line in (samples_dir / "coig_cqia.jsonl").read_text("utf-8").splitlines()]
    rng = random.Random(7)
    copies = []
    for row in rows[:5]:
        text = row["output"]
        at = rng.randrange(len(text))
        copies.append({**row, "output": text[:at] + "的" + text[at + 1 :]})
    path = tmp_path / "cqia_copies.jsonl"
    path.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows + copies), "utf-8")
    return path, len(rows), {len(rows) + i + 1: i + 1 for i in range(5)}


def test_near_duplicates_are_flagged_never_deleted_and_undo(
    project: Project, samples_dir: Path, tmp_path: Path
) -> None:
    path, originals, expected = near_copies(samples_dir, tmp_path)
    importer.import_file(project, path)
    importer.import_file(project, samples_dir / "llamafactory_alpaca_zh_demo.json", format_name="alpaca")
    total = query.count(project)
    report = dedup.dedup(project, threshold=0.8)
    assert {dup: kept for dup, kept, _ in report.pairs} == expected
    assert all(similarity >= 0.8 for _, _, similarity in report.pairs)
    assert report.flagged == 5 and report.unflagged == 0
    assert query.count(project) == total  # nothing deleted
    flagged = query.sample_ids(project, query.SampleFilter(flag=("near_duplicate",)))
    assert flagged == sorted(expected)
    assert "near-duplicate of sample 1" in flag_rows(project, originals + 1)["near_duplicate"]
    # Running it again changes nothing; undo takes the flags back in one step.
    again = dedup.dedup(project, threshold=0.8)
    assert again.changes.operation_id is None
    undo(project)
    assert query.count(project, query.SampleFilter(flag=("near_duplicate",))) == 0


def test_dedup_on_a_filter_with_a_threshold_and_an_ignore(project: Project, samples_dir: Path, tmp_path: Path) -> None:
    path, _originals, expected = near_copies(samples_dir, tmp_path)
    importer.import_file(project, path)
    first_copy = min(expected)
    flags.ignore_flag(project, first_copy, "near_duplicate", author="王五")
    report = dedup.dedup(project, query.SampleFilter(ids=(1, 2, first_copy, first_copy + 1)), threshold=0.9)
    assert {dup for dup, _, _ in report.pairs} == {first_copy, first_copy + 1}
    assert query.sample_ids(project, query.SampleFilter(flag=("near_duplicate",))) == [first_copy + 1]
    # Nothing is that similar at 1.0 to anything else: the flags within the filter go.
    report = dedup.dedup(project, query.SampleFilter(ids=(1, 2, first_copy, first_copy + 1)), threshold=1.0)
    assert report.pairs == [] and report.unflagged == 1
    with pytest.raises(ProjectError, match="threshold"):
        dedup.dedup(project, threshold=0)


def test_dedup_cancel_changes_nothing(project: Project, samples_dir: Path, tmp_path: Path) -> None:
    path, _, _ = near_copies(samples_dir, tmp_path)
    importer.import_file(project, path)
    with pytest.raises(dedup.DedupCancelled):
        dedup.dedup(project, batch=10, cancelled=lambda: True)
    assert query.count(project, query.SampleFilter(flag=("near_duplicate",))) == 0


TRADITIONAL = [
    {"instruction": "請解釋這個詞語。", "input": "軟體", "output": "軟體就是電腦程式，這裡說的是應用。"},
    {"instruction": "写一句话。", "input": "", "output": "今天天气很好。"},
]


def test_traditional_to_simplified_is_one_undo_step(project: Project, write_jsonl) -> None:
    importer.import_file(project, write_jsonl("t.jsonl", TRADITIONAL))
    importer.import_file(
        project,
        write_jsonl(
            "pair.jsonl",
            [{"instruction": "說明", "input": "", "output": "這裡", "extra_field": "保留"}],
        ),
        subset="other",
    )
    before = {s.id: s.content for s in query.iter_samples(project)}
    report = normalize.to_simplified(project, query.SampleFilter(subset=("t",)))
    assert report.scanned == 2 and report.changed == 1
    after = content_of(project, 1)
    assert after["instruction"] == "请解释这个词语。"
    assert "这里" in after["output"] and "軟" not in after["output"]
    assert content_of(project, 2) == before[2]
    assert content_of(project, 3) == before[3]  # outside the filter
    sample = query.get_sample(project, 1)
    assert sample.version == 2
    assert query.revisions(project, 1)[-1]["reason"] == "Traditional → Simplified (t2s)"
    undo(project)
    assert content_of(project, 1) == before[1]
    assert query.get_sample(project, 1).version == 1
    redo(project)
    assert content_of(project, 1) == after


def test_simplified_content_leaves_sources_and_extra_alone() -> None:
    content = {
        "source": {"instruction": "這裡", "input": "", "output": ""},
        "target": {"instruction": "這裡", "input": "", "output": ""},
        "extra": {"note": "這裡"},
    }
    converted = normalize.simplified_content("translation", content)
    assert converted["source"]["instruction"] == "這裡"
    assert converted["target"]["instruction"] == "这里"
    assert converted["extra"] == {"note": "這裡"}


def test_simplify_cancel_changes_nothing(project: Project, write_jsonl) -> None:
    importer.import_file(project, write_jsonl("t.jsonl", TRADITIONAL))
    with pytest.raises(normalize.NormalizeCancelled):
        normalize.to_simplified(project, cancelled=lambda: True)
    assert content_of(project, 1) == TRADITIONAL[0]


def run(*argv) -> int:
    return cli.main([str(a) for a in argv])


def test_command_line_check_dedup_simplify_end_to_end(
    tmp_path: Path, samples_dir: Path, write_jsonl, capsys: pytest.CaptureFixture[str]
) -> None:
    project_path = tmp_path / "qa.winnow"
    path, originals, expected = near_copies(samples_dir, tmp_path)
    assert run("init", project_path) == 0
    assert run("import", project_path, path) == 0
    assert run("import", project_path, write_jsonl("t.jsonl", [{**MIXED, "instruction": "你好，世界"}])) == 0
    mixed_id = originals + len(expected) + 1
    capsys.readouterr()

    assert run("check", project_path, "--show", "50") == 0
    out = capsys.readouterr().out
    assert f"checked {mixed_id} samples" in out
    assert "mixed_script                  1" in out
    assert f"#{mixed_id} mixed_script:" in out and "output, character 1" in out

    assert run("dedup", project_path, "--threshold", "0.8", "--dry-run") == 0
    assert f"#{originals + 1} repeats #1" in capsys.readouterr().out
    with Project.open(project_path) as project:
        assert query.count(project, query.SampleFilter(flag=("near_duplicate",))) == 0
    assert run("dedup", project_path, "--threshold", "0.8") == 0
    out = capsys.readouterr().out
    assert "5 near-duplicates" in out and "flagged 5" in out and "nothing deleted" in out

    out_file = tmp_path / "kept.jsonl"
    assert run("export", project_path, out_file, "--format", "alpaca-jsonl", "--where", "flag!=near_duplicate") == 0
    assert len(out_file.read_text("utf-8").splitlines()) == mixed_id - 5  # excluded, not deleted
    assert run("check", project_path, "--where", "flag=near_duplicate") == 0
    out = capsys.readouterr().out
    assert "checked 5 samples" in out and "near_duplicate                5" in out

    assert run("simplify", project_path, "--where", "subset=t") == 0
    assert "converted 1 of 1 samples" in capsys.readouterr().out
    with Project.open(project_path) as project:
        assert content_of(project, mixed_id)["output"] == "这是繁体，这是简体。"
        assert "mixed_script" not in flag_rows(project, mixed_id)
    assert run("undo", project_path) == 0
    assert "Traditional → Simplified (1 samples)" in capsys.readouterr().out
    with Project.open(project_path) as project:
        assert "mixed_script" in flag_rows(project, mixed_id)
        assert (
            orjson.loads(project.db.execute("SELECT content FROM samples WHERE id = ?", (mixed_id,)).fetchone()[0])[
                "output"
            ]
            == MIXED["output"]
        )
    with pytest.raises(SystemExit) as usage:
        run("simplify", project_path, "--config", "nope")
    assert usage.value.code == 2


def test_minhash_signatures_estimate_jaccard_and_bands_catch_near_copies() -> None:
    base = "机器学习是人工智能的一个分支，它让计算机从数据中学习规律，并用这些规律对新的数据做出预测。"
    variants = [base[:i] + "的" + base[i + 1 :] for i in range(3, 40, 6)] + ["今天天气很好，我们去公园散步。"]
    sets = [dedup.shingle_hashes(text) for text in [base, *variants]]
    signature = dedup.signatures(sets)
    assert signature.shape == (len(sets), dedup.NUM_PERM)
    for i in range(1, len(sets)):
        exact = dedup.jaccard(sets[0], sets[i])
        estimate = float((signature[0] == signature[i]).mean())
        assert abs(exact - estimate) < 0.15, (exact, estimate)
    bands, rows = dedup.band_parameters(0.8)
    assert bands * rows <= dedup.NUM_PERM
    assert 1 - (1 - 0.9**rows) ** bands > 0.99  # a pair at 0.9 is almost surely a candidate
    assert 1 - (1 - 0.3**rows) ** bands < 0.01  # one at 0.3 almost never
    # Punctuation, spaces and case do not make a copy new.
    assert dedup.jaccard(dedup.shingle_hashes("Hello, World! 你好"), dedup.shingle_hashes("hello world 你好。")) == 1.0
    assert len(dedup.shingle_hashes("，。！")) == 0


def test_a_project_from_before_the_checks_is_migrated_and_rechecked(tmp_path: Path, write_jsonl) -> None:
    path = tmp_path / "old.winnow"
    with Project.create(path) as project:
        importer.import_file(project, write_jsonl("a.jsonl", [MIXED]))
        # Make it look like a file written before 0005_quality_checks: no table, no triggers, no flags.
        project.db.executescript(
            """
            DROP TRIGGER samples_quality_on_create; DROP TRIGGER samples_quality_on_edit;
            DROP TRIGGER quality_ignore_added; DROP TRIGGER quality_ignore_removed;
            DROP TABLE quality_ignores; DELETE FROM sample_flags;
            DELETE FROM _sqlite_migrations WHERE name = '0005_quality_checks';
            """
        )
    with Project.open(path) as project:
        assert flag_rows(project, 1) == {}  # the migration does not scan a possibly huge project...
        actions.edit_content(project, 1, {**MIXED, "output": "這是繁體，这是简体！"})
        assert "mixed_script" in flag_rows(project, 1)  # ...but edits are checked from now on
        project.db.execute("DELETE FROM sample_flags")
        assert flags.recheck(project).flagged == 1  # and winnow check catches up the rest
        assert set(flag_rows(project, 1)) == {"punctuation_width", "mixed_script"}


def test_ignoring_a_near_duplicate_keeps_it_in_and_undo_flags_it_again(
    project: Project, samples_dir: Path, tmp_path: Path
) -> None:
    path, _originals, expected = near_copies(samples_dir, tmp_path)
    importer.import_file(project, path)
    dedup.dedup(project, threshold=0.8)
    copy = min(expected)
    flags.ignore_flag(project, copy, "near_duplicate", author="赵六")
    assert "near_duplicate" not in flag_rows(project, copy)
    assert copy in query.sample_ids(project, query.SampleFilter(without_flag=("near_duplicate",)))
    [shown] = [f for f in flags.sample_flags(project, copy) if f.flag == "near_duplicate"]
    assert shown.ignored_by == "赵六"
    assert dedup.dedup(project, threshold=0.8).flagged == 0  # a new run respects the ignore
    undo(project)  # the (empty) second run recorded nothing: this undoes the ignore
    assert "near-duplicate of sample" in flag_rows(project, copy)["near_duplicate"]
