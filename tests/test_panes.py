"""The review panes on real demo samples: show, round-trip, edit, and the pieces beside the text."""

from __future__ import annotations

import copy
from dataclasses import replace
from pathlib import Path

import pytest
from PySide6.QtCore import Qt
from PySide6.QtGui import QInputMethodEvent
from PySide6.QtWidgets import QApplication

from app.demo import build_demo
from app.records import Kind
from app.store import query
from app.store.query import Sample, SampleFilter
from tests.helpers import shown_pane, synthetic_sample
from widgets.diff import segment_format
from widgets.panes.base import PaneContext
from widgets.panes.chat import ChatPane
from widgets.panes.code import CodePane
from widgets.panes.exam import SUBJECTS, ExamPane
from widgets.panes.history import HistoryPanel
from widgets.panes.instruction import InstructionPane
from widgets.panes.registry import KindStack, pane_for_kind
from widgets.panes.translation import TranslationPane

PANE_SIZE = (750, 600)


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory):
    project = build_demo(tmp_path_factory.mktemp("demo") / "demo.winnow")
    yield project
    project.close()


def samples_of(project, kind: Kind) -> list[Sample]:
    ids = query.sample_ids(project, SampleFilter(kind=(kind.value,)))
    assert ids, f"the demo has no {kind} sample"
    return query.get_samples(project, ids)


def first_of(project, kind: Kind, *, has: str | None = None) -> Sample:
    for sample in samples_of(project, kind):
        if has is None or has in sample.content:
            return sample
    raise AssertionError(f"no demo {kind} sample with {has!r}")


def context_for(project, sample: Sample) -> PaneContext:
    return PaneContext(revisions=query.revisions(project, sample.id), origin=query.origin(project, sample.id))


def make_pane(qtbot, pane_class):
    return shown_pane(qtbot, pane_class, PANE_SIZE)


def type_into(qtbot, widget, text: str, *, at_end: bool = True) -> None:
    """Type at the end of a text field: ASCII as key presses, Chinese as an input method commits it.

    (QTest's key clicks take ASCII only; a person types Chinese through an IME anyway.)
    """
    widget.setFocus()
    if at_end and hasattr(widget, "moveCursor"):
        widget.moveCursor(widget.textCursor().MoveOperation.End)
    elif at_end:
        widget.end(False)
    for char in text:
        if char.isascii():
            qtbot.keyClicks(widget, char)
        else:
            commit = QInputMethodEvent("", [])
            commit.setCommitString(char)
            QApplication.sendEvent(widget, commit)


# Every pane ----------------------------------------------------------------------------------

# (kind, pane, the editor to type into, how to read the typed field back from a content dict)
CASES = [
    (Kind.TRANSLATION, TranslationPane, lambda p: p.target["output"], lambda c: c["target"]["output"]),
    (Kind.INSTRUCTION, InstructionPane, lambda p: p.output.editor, lambda c: c["output"]),
    (Kind.CHAT, ChatPane, lambda p: p.turns[-1].editor, lambda c: c["messages"][-1]["content"]),
    (Kind.EXAM, ExamPane, lambda p: p.fields["textbox_answer"].editor, lambda c: c["textbox_answer"]),
    (Kind.CODE, CodePane, lambda p: p.fields["output"].editor, lambda c: c["output"]),
]


@pytest.mark.parametrize(("kind", "pane_class", "editor_of", "field_of"), CASES, ids=[c[0].value for c in CASES])
def test_pane_shows_round_trips_and_emits_only_on_edits(qtbot, demo, kind, pane_class, editor_of, field_of):
    assert pane_for_kind(kind) is pane_class
    pane = make_pane(qtbot, pane_class)
    for sample in samples_of(demo, kind):
        with qtbot.assertNotEmitted(pane.content_edited):
            pane.show_sample(sample, context_for(demo, sample))
        assert pane.content() == sample.content, f"sample {sample.id} changed by being shown"

    sample = samples_of(demo, kind)[0]
    pane.show_sample(sample, context_for(demo, sample))
    before = field_of(sample.content)
    with qtbot.waitSignal(pane.content_edited, timeout=1000) as emitted:
        type_into(qtbot, editor_of(pane), "!")
    edited = emitted.args[0]
    assert field_of(edited) == before + "!"
    # Everything else, "extra" and "language" included, is as it was.
    expected = copy.deepcopy(sample.content)
    changed = copy.deepcopy(edited)
    for content in (expected, changed):
        _drop_field(content, field_of)
    assert changed == expected
    assert pane.content() == edited


def _drop_field(content, field_of) -> None:
    """Blank the typed field so the rest of two contents can be compared."""
    if "target" in content:
        content["target"]["output"] = None
    elif "messages" in content:
        content["messages"][-1]["content"] = None
    elif "textbox_answer" in content:
        content["textbox_answer"] = None
    else:
        content["output"] = None


def test_typing_every_character_emits_the_whole_content_each_time(qtbot, demo):
    pane = make_pane(qtbot, InstructionPane)
    sample = first_of(demo, Kind.INSTRUCTION, has="extra")
    pane.show_sample(sample, PaneContext())
    seen = []
    pane.content_edited.connect(seen.append)
    type_into(qtbot, pane.instruction.editor, "abc")
    assert [c["instruction"] for c in seen] == [sample.content["instruction"] + s for s in ("a", "ab", "abc")]
    assert all(c["extra"] == sample.content["extra"] for c in seen)


def test_an_input_method_commit_is_an_edit(qtbot, demo):
    pane = make_pane(qtbot, ExamPane)
    sample = first_of(demo, Kind.EXAM)
    pane.show_sample(sample, PaneContext())
    editor = pane.fields["textbox_answer"].editor
    editor.setFocus()
    editor.moveCursor(editor.textCursor().MoveOperation.End)
    # Composing (pre-edit) changes nothing in the content...
    with qtbot.assertNotEmitted(pane.content_edited):
        QApplication.sendEvent(editor, QInputMethodEvent("jingyu", []))
    assert pane.content() == sample.content
    # ...the committed characters do.
    commit = QInputMethodEvent("", [])
    commit.setCommitString("鲸鱼")
    with qtbot.waitSignal(pane.content_edited, timeout=1000) as emitted:
        QApplication.sendEvent(editor, commit)
    assert emitted.args[0]["textbox_answer"] == sample.content["textbox_answer"] + "鲸鱼"


def test_text_the_document_would_normalise_comes_back_unchanged(qtbot, demo):
    pane = make_pane(qtbot, InstructionPane)
    sample = first_of(demo, Kind.INSTRUCTION)
    odd = replace(sample, content={**sample.content, "input": "a\r\nb\u2029c\u00a0d", "output": None})
    pane.show_sample(odd, PaneContext())
    assert pane.content() == odd.content


# Kind stack ----------------------------------------------------------------------------------


def test_kind_stack_shows_each_kind_in_its_pane_and_forwards_edits(qtbot, demo):
    stack = KindStack()
    qtbot.addWidget(stack)
    stack.resize(*PANE_SIZE)
    stack.show()
    for kind in Kind:
        sample = samples_of(demo, kind)[0]
        with qtbot.assertNotEmitted(stack.content_edited):
            pane = stack.show_sample(sample, context_for(demo, sample))
        assert isinstance(pane, pane_for_kind(kind))
        assert stack.current_pane() is pane
        assert stack.content() == sample.content
    assert stack.count() == len(Kind)
    exam = samples_of(demo, Kind.EXAM)[0]
    stack.show_sample(exam, PaneContext())
    assert stack.count() == len(Kind), "a pane is made once per kind"
    with qtbot.waitSignal(stack.content_edited, timeout=1000) as emitted:
        type_into(qtbot, stack.current_pane().fields["textbox_question"].editor, "？")
    assert emitted.args[0]["textbox_question"].endswith("？")
    with pytest.raises(ValueError):
        pane_for_kind("poem")


# Translation ---------------------------------------------------------------------------------


def draft_of(sample: Sample, **target) -> dict:
    content = copy.deepcopy(sample.content)
    content["target"].update(target)
    return {"id": 7, "task": "translate", "engine": "deepl", "model": "", "state": "pending", "content": content}


def diff_runs(view) -> list[tuple[str, str]]:
    """(kind, text) runs of a DiffView's document, read back from its character formats."""
    runs = []
    block = view.document().begin()
    while block.isValid():
        it = block.begin()
        while not it.atEnd():
            fragment = it.fragment()
            fmt = fragment.charFormat()
            kind = "insert" if fmt.fontUnderline() else "delete" if fmt.fontStrikeOut() else "equal"
            runs.append((kind, fragment.text()))
            it += 1
        block = block.next()
    return runs


def test_translation_diff_marks_insertions_and_deletions(qtbot, demo):
    pane = make_pane(qtbot, TranslationPane)
    sample = first_of(demo, Kind.TRANSLATION)
    target = sample.content["target"]["instruction"]  # 将下面的句子翻译成法语。
    draft = draft_of(sample, instruction="请把下面的句子翻译成法语")
    pane.show_sample(sample, PaneContext(suggestions=[draft]))
    assert pane.current_draft()["instruction"] == "请把下面的句子翻译成法语"
    view = pane.diff["instruction"]
    assert view.isVisible()
    runs = diff_runs(view)
    assert ("delete", "请把") in runs
    assert ("insert", "将") in runs
    assert ("insert", "。") in runs
    assert "".join(text for kind, text in runs if kind != "delete") == target
    assert "".join(text for kind, text in runs if kind != "insert") == "请把下面的句子翻译成法语"
    # The formats are the shared ones: green underline and red strikethrough.
    assert segment_format("insert").foreground().color().name() == "#1a7f37"
    assert segment_format("delete").fontStrikeOut()
    # An unchanged field shows no change.
    assert all(kind == "equal" for kind, _ in diff_runs(pane.diff["input"]))

    # Typing in the target updates the diff at once.
    type_into(qtbot, pane.target["input"], "吗")
    assert diff_runs(pane.diff["input"])[-1] == ("insert", "吗")


def test_translation_without_a_draft_hides_the_diff_and_locks_the_source(qtbot, demo):
    pane = make_pane(qtbot, TranslationPane)
    sample = first_of(demo, Kind.TRANSLATION)
    unrelated = {"id": 1, "task": "score", "engine": "llm:qwen", "content": {"score": 4}}
    pane.show_sample(sample, PaneContext(suggestions=[unrelated]))
    assert not pane.diff["output"].isVisible()
    assert not pane.draft_choice.isVisible()
    source = pane.source["instruction"]
    assert source.isReadOnly()
    with qtbot.assertNotEmitted(pane.content_edited):
        type_into(qtbot, source, "x")
    pane.edit_source.setChecked(True)
    assert not source.isReadOnly()
    with qtbot.waitSignal(pane.content_edited, timeout=1000) as emitted:
        type_into(qtbot, source, "!")
    assert emitted.args[0]["source"]["instruction"] == sample.content["source"]["instruction"] + "!"
    assert emitted.args[0]["target"] == sample.content["target"]


def test_translation_compares_against_the_chosen_draft(qtbot, demo):
    pane = make_pane(qtbot, TranslationPane)
    sample = first_of(demo, Kind.TRANSLATION)
    older = draft_of(sample, output="旧草稿")
    newer = {**draft_of(sample), "engine": "llm:qwen", "content": dict(sample.content["target"])}
    pane.show_sample(sample, PaneContext(suggestions=[older, newer]))
    assert pane.draft_choice.count() == 2
    assert pane.draft_choice.currentText() == "llm:qwen"
    assert all(kind == "equal" for kind, _ in diff_runs(pane.diff["output"]))
    pane.draft_choice.setCurrentIndex(0)
    assert ("delete", "旧草稿") in diff_runs(pane.diff["output"])


# Instruction ---------------------------------------------------------------------------------


def synthetic(kind: Kind, content: dict) -> Sample:
    return synthetic_sample(kind=kind, subset="测试", content=content)


def test_instruction_shows_system_and_history_and_edits_a_history_answer(qtbot):
    pane = make_pane(qtbot, InstructionPane)
    content = {
        "instruction": "那北京呢？",
        "input": "",
        "output": "北京是中国的首都。",
        "system": "你是一个地理老师。",
        "history": [["中国的首都是哪里？", "北京。"], ["上海呢？", "上海是直辖市。"]],
        "extra": {"id": "x1"},
    }
    pane.show_sample(synthetic(Kind.INSTRUCTION, content), PaneContext())
    assert pane.system.isVisible()
    assert pane.history_box.isVisible()
    assert len(pane._history) == 2
    assert pane.content() == content
    with qtbot.waitSignal(pane.content_edited, timeout=1000) as emitted:
        type_into(qtbot, pane._history[1][1].editor, "！")
    assert emitted.args[0]["history"] == [["中国的首都是哪里？", "北京。"], ["上海呢？", "上海是直辖市。！"]]
    assert emitted.args[0]["extra"] == {"id": "x1"}

    # A sample without them hides both and does not grow the keys.
    plain = {"instruction": "你好", "input": "", "output": "你好！"}
    pane.show_sample(synthetic(Kind.INSTRUCTION, plain), PaneContext())
    assert not pane.system.isVisible()
    assert not pane.history_box.isVisible()
    assert pane.content() == plain


def test_instruction_output_renders_markdown_on_the_toggle(qtbot):
    pane = make_pane(qtbot, InstructionPane)
    content = {"instruction": "列出两点", "input": "", "output": "**要点**\n\n- 第一\n- 第二"}
    pane.show_sample(synthetic(Kind.INSTRUCTION, content), PaneContext())
    assert not pane.output_view.isVisible()
    qtbot.mouseClick(pane.render_button, Qt.MouseButton.LeftButton)
    assert pane.output_view.isVisible()
    assert not pane.output.isVisible()
    rendered = pane.output_view.toPlainText()
    assert "**" not in rendered
    assert "要点" in rendered and "第二" in rendered
    qtbot.mouseClick(pane.render_button, Qt.MouseButton.LeftButton)
    assert pane.output.isVisible()
    assert pane.content() == content


# Chat ----------------------------------------------------------------------------------------


def test_chat_edits_one_turn_and_keeps_the_rest(qtbot, demo):
    pane = make_pane(qtbot, ChatPane)
    sample = samples_of(demo, Kind.CHAT)[0]
    pane.show_sample(sample, PaneContext())
    messages = sample.content["messages"]
    assert [turn.role for turn in pane.turns] == [m["role"] for m in messages]
    with qtbot.waitSignal(pane.content_edited, timeout=1000) as emitted:
        type_into(qtbot, pane.turns[2].editor, "呢")
    edited = emitted.args[0]["messages"]
    assert edited[2] == {"role": messages[2]["role"], "content": messages[2]["content"] + "呢"}
    assert edited[:2] + edited[3:] == messages[:2] + messages[3:]


def test_chat_shows_system_first_and_knowledge_and_tools_beside(qtbot):
    pane = make_pane(qtbot, ChatPane)
    content = {
        "messages": [
            {"role": "user", "content": "鲸鱼是鱼吗？"},
            {"role": "assistant", "content": "不是，是哺乳动物。"},
            {"role": "system", "content": "你是生物老师。"},
        ],
        "knowledge": {"实体": "鲸鱼", "属性": {"纲": "哺乳纲", "呼吸": ["肺"]}},
        "tools": '[{"name": "search", "description": "搜索"}]',
    }
    pane.show_sample(synthetic(Kind.CHAT, content), PaneContext())
    assert [turn.role for turn in pane.turns] == ["system", "user", "assistant"]
    assert pane.side.isVisible()
    knowledge = pane.knowledge.toPlainText()
    assert "实体: 鲸鱼" in knowledge
    assert '"纲": "哺乳纲"' in knowledge  # nested values pretty-printed, Chinese as is
    assert '"name": "search"' in pane.tools.toPlainText()
    assert pane.content() == content
    seen = []
    pane.content_edited.connect(seen.append)
    type_into(qtbot, pane.turns[0].editor, "请简洁。")
    assert len(seen) == 4
    # Shown first, stored where it was.
    assert seen[-1]["messages"][2] == {"role": "system", "content": "你是生物老师。请简洁。"}
    assert seen[-1]["messages"][:2] == content["messages"][:2]
    assert seen[-1]["knowledge"] == content["knowledge"]

    pane.show_sample(synthetic(Kind.CHAT, {"messages": content["messages"][:2]}), PaneContext())
    assert not pane.side.isVisible()
    assert len(pane.turns) == 2


# Exam ----------------------------------------------------------------------------------------


def test_exam_subject_change_is_an_edit(qtbot, demo):
    pane = make_pane(qtbot, ExamPane)
    sample = first_of(demo, Kind.EXAM)
    pane.show_sample(sample, PaneContext())
    assert pane.subject.currentText() == sample.content["subject"]
    assert [pane.subject.itemText(i) for i in range(pane.subject.count())] == list(SUBJECTS)
    with qtbot.waitSignal(pane.content_edited, timeout=1000) as emitted:
        pane.subject.setCurrentIndex(pane.subject.findText("物理"))
    assert emitted.args[0] == {**sample.content, "subject": "物理"}
    # A subject outside the list can be typed.
    pane.subject.lineEdit().selectAll()
    with qtbot.waitSignal(pane.content_edited, timeout=1000):
        type_into(qtbot, pane.subject.lineEdit(), "音乐", at_end=False)
    assert pane.content()["subject"] == "音乐"


def test_exam_optional_fields_are_not_added_when_missing(qtbot):
    pane = make_pane(qtbot, ExamPane)
    content = {
        "textbox_q_instruction": "判断正误",
        "textbox_question": "1+1=2",
        "textbox_answer": "对",
        "subject": "数学",
    }
    pane.show_sample(synthetic(Kind.EXAM, content), PaneContext())
    assert pane.content() == content


# Code ----------------------------------------------------------------------------------------


def test_code_pane_highlights_the_fenced_code(qtbot, demo):
    pane = make_pane(qtbot, CodePane)
    sample = next(s for s in samples_of(demo, Kind.CODE) if "```python" in s.content["input"])
    pane.show_sample(sample, PaneContext())
    highlighter = pane.highlighters["input"]
    (region,) = highlighter.regions()
    assert region.lexer_name == "Python"
    document = pane.fields["input"].editor.document()
    line = document.findBlockByNumber(1)  # def two_sum(nums, target):
    assert line.text().startswith("def ")
    assert any(r.start == 0 and r.length == 3 and r.format.fontWeight() > 400 for r in line.layout().formats())
    assert "python" in pane.language_label.text()
    # The prose around the code stays plain.
    assert not pane.fields["output"].editor.document().firstBlock().layout().formats()


# History -------------------------------------------------------------------------------------


def test_history_lists_revisions_and_requests_a_revert(qtbot, demo):
    panel = HistoryPanel()
    qtbot.addWidget(panel)
    panel.resize(*PANE_SIZE)
    panel.show()
    sample = samples_of(demo, Kind.CHAT)[0]
    revisions = [
        {"version": 1, "content": sample.content, "author": "import", "reason": "import", "created_at": "2025-01-01"},
        {
            "version": 2,
            "content": {"messages": []},
            "author": "张三",
            "reason": "修正第二轮",
            "created_at": "2025-01-02T08:00:00",
        },
    ]
    current = replace(sample, version=2)
    panel.show_sample(current, PaneContext(revisions=revisions, origin=query.origin(demo, sample.id)))
    assert panel.revisions.topLevelItemCount() == 2
    newest = panel.revisions.topLevelItem(0)
    assert [newest.text(c) for c in (0, 1, 3)] == ["2", "张三", "修正第二轮"]
    assert newest.text(2) == "2025-01-02 08:00:00"

    panel.select_version(2)
    assert not panel.revert_button.isEnabled(), "the current version cannot be reverted to"
    panel.select_version(1)
    assert panel.revert_button.isEnabled()
    assert "老师" in panel.revision_content.toPlainText()
    with qtbot.waitSignal(panel.revert_requested, timeout=1000) as emitted:
        qtbot.mouseClick(panel.revert_button, Qt.MouseButton.LeftButton)
    assert emitted.args == [1]

    # The origin: where it came from and the raw record, pretty-printed JSON.
    assert panel.origin_fields["member"].text() == "dialogue_0000.json"
    assert panel.origin_fields["format"].text() == "coig-ccmc"
    assert '"round_0": {' in panel.raw.toPlainText()
    assert panel.raw.isReadOnly()


def test_history_without_revisions_says_so(qtbot, demo):
    panel = HistoryPanel()
    qtbot.addWidget(panel)
    panel.show()
    sample = first_of(demo, Kind.TRANSLATION)
    panel.show_sample(sample, context_for(demo, sample))
    assert panel.empty_label.isVisible()
    assert not panel.revert_button.isEnabled()
    assert "trans_instruction" in panel.raw.toPlainText()


# Screenshots ---------------------------------------------------------------------------------


@pytest.mark.parametrize("size", [(750, 600), (1920, 1080)], ids=["750x600", "1920x1080"])
def test_screenshots(qtbot, demo, size):
    """Every pane drawn at the sizes it gets, saved under /tmp/panes for a person to look at."""
    out = Path("/tmp/panes")
    out.mkdir(exist_ok=True)
    stack = KindStack()
    qtbot.addWidget(stack)
    stack.resize(*size)
    stack.show()
    for kind in Kind:
        sample = copy.deepcopy(samples_of(demo, kind)[-1 if kind is Kind.CODE else 0])
        context = context_for(demo, sample)
        if kind is Kind.TRANSLATION:
            context.suggestions = [draft_of(sample, instruction="把下面这句话译成法语。")]
        if kind is Kind.CHAT:
            sample.content["knowledge"] = {"实体": "鲸鱼", "摘要": "生活在海洋中的哺乳动物。", "易混淆实体": "鲨鱼"}
        stack.show_sample(sample, context)
        qtbot.wait(1)
        image = stack.grab()
        assert image.width() == size[0]
        assert image.save(str(out / f"{kind.value}_{size[0]}x{size[1]}.png"))
    panel = HistoryPanel()
    qtbot.addWidget(panel)
    panel.resize(*size)
    panel.show()
    sample = samples_of(demo, Kind.CHAT)[0]
    panel.show_sample(sample, context_for(demo, sample))
    assert panel.grab().save(str(out / f"history_{size[0]}x{size[1]}.png"))
