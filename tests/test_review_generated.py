"""Reviewing what the exam, Self-Instruct and CCMC tasks produce: the principles checklist of the
instruction pane, the exam form pre-filled by a draft, a knowledge entry beside its (empty, then
drafted) chat."""

from __future__ import annotations

from PySide6.QtCore import QPoint, Qt

from app.records import EXAM_FIELDS, Kind
from app.store.query import Sample
from app.tasks import self_instruct
from tests.helpers import shown_pane, synthetic_sample
from widgets.panes.base import PaneContext
from widgets.panes.chat import ChatPane
from widgets.panes.exam import ExamPane
from widgets.panes.instruction import InstructionPane

SIZE = (900, 700)
GENERATED = {"instruction": "邻居家的老人独自生活，你可以为他做些什么？", "input": "", "output": "常去看望，陪他聊天。"}


def sample(kind: Kind, content: dict, subset: str = "测试") -> Sample:
    return synthetic_sample(kind=kind, subset=subset, content=content, updated_at="2026-01-01T00:00:00Z")


def make(qtbot, pane_class):
    return shown_pane(qtbot, pane_class, SIZE)


def test_generated_samples_show_the_principles_and_save_the_ticks(qtbot) -> None:
    pane = make(qtbot, InstructionPane)
    pane.show_sample(sample(Kind.INSTRUCTION, GENERATED, subset=self_instruct.NAME), PaneContext())
    checklist = pane.principles
    assert checklist.isVisible()
    assert [box.isChecked() for box in checklist.boxes.values()] == [False, False, False]
    assert pane.content() == GENERATED  # shown, not ticked: the content does not grow a key

    box = checklist.boxes["shared"]
    qtbot.waitExposed(pane)
    with qtbot.waitSignal(pane.content_edited, timeout=1000) as emitted:
        # On the indicator (the box's middle may be past the end of its label).
        qtbot.mouseClick(box, Qt.MouseButton.LeftButton, pos=QPoint(8, box.height() // 2))
    saved = emitted.args[0]
    assert saved[self_instruct.PRINCIPLES_KEY] == {"shared": True, "neutral": False, "not_proverb": False}
    assert {k: saved[k] for k in GENERATED} == GENERATED

    # Shown again from the store: the ticks come back, and showing emits nothing.
    with qtbot.assertNotEmitted(pane.content_edited):
        pane.show_sample(sample(Kind.INSTRUCTION, saved, subset=self_instruct.NAME), PaneContext())
    assert checklist.state() == {"shared": True, "neutral": False, "not_proverb": False}
    assert pane.content() == saved


def test_other_samples_have_no_checklist(qtbot) -> None:
    pane = make(qtbot, InstructionPane)
    pane.show_sample(sample(Kind.INSTRUCTION, GENERATED), PaneContext())
    assert not pane.principles.isVisible()
    assert pane.content() == GENERATED
    # A sample reviewed against the principles elsewhere (moved to another subset) still shows them.
    reviewed = GENERATED | {self_instruct.PRINCIPLES_KEY: {"shared": True, "neutral": True, "not_proverb": True}}
    pane.show_sample(sample(Kind.INSTRUCTION, reviewed), PaneContext())
    assert pane.principles.isVisible() and all(b.isChecked() for b in pane.principles.boxes.values())


def test_an_extracted_exam_fills_the_form(qtbot) -> None:
    pane = make(qtbot, ExamPane)
    raw = {field: "" for field in EXAM_FIELDS} | {"textbox_question": "阅读下面的文字……【答案】B"}
    pane.show_sample(sample(Kind.EXAM, raw), PaneContext())
    assert pane.fields["textbox_question"].value() == raw["textbox_question"]
    extracted = {
        "textbox_q_instruction": "阅读下面的文字，完成下题。",
        "textbox_q_context": "春天来了……",
        "textbox_question": "下列理解正确的一项是",
        "textbox_answer": "B",
        "textbox_answer_analysis": "",
        "subject": "语文",
    }
    pane.show_sample(sample(Kind.EXAM, extracted), PaneContext())
    assert pane.subject.currentText() == "语文"
    assert pane.content() == extracted


def test_knowledge_is_shown_beside_an_empty_chat_and_its_draft(qtbot) -> None:
    knowledge = {
        "entity": "北京猿人",
        "summary": "生活在约70万年至20万年前。",
        "attributes": {"发现地点": "北京周口店龙骨山"},
        "confusable_entity": "山顶洞人",
        "confusable_summary": "生活在约3万年前。",
        "confusable_attributes": {},
    }
    pane = make(qtbot, ChatPane)
    pane.show_sample(sample(Kind.CHAT, {"messages": [], "knowledge": knowledge}), PaneContext())
    assert pane.knowledge.isVisible() and pane.turns == []
    assert "山顶洞人" in pane.knowledge.toPlainText() and "周口店" in pane.knowledge.toPlainText()
    chat = [{"role": "user", "content": "北京猿人住在山顶洞吗？"}, {"role": "assistant", "content": "不是。"}]
    pane.show_sample(sample(Kind.CHAT, {"messages": chat, "knowledge": knowledge}), PaneContext())
    assert len(pane.turns) == 2 and pane.knowledge.isVisible()


def test_exam_and_chat_drafts_are_taken_from_the_window(qtbot, tmp_path) -> None:
    from app.store import Project, actions, query
    from tests.test_task_ccmc import ENTRY, ROUNDS
    from tests.test_task_exam_extract import CONTENT, GOOD
    from widgets.main_window import MainWindow

    path = tmp_path / "review.winnow"
    messages = [
        m for r in ROUNDS for m in ({"role": "user", "content": r["Q"]}, {"role": "assistant", "content": r["A"]})
    ]
    with Project.create(path) as project:
        actions.create_sample(project, "exam", CONTENT)
        actions.create_sample(project, "chat", {"messages": [], "knowledge": ENTRY})
        exam_id, chat_id = query.sample_ids(project, query.SampleFilter())
        actions.add_suggestion(project, exam_id, task="exam-extract", content=GOOD, engine="llm:m", model="m")
        actions.add_suggestion(project, chat_id, task="ccmc", content={"messages": messages}, engine="llm:m", model="m")
    window = MainWindow(Project.open(path))
    qtbot.addWidget(window)
    window.show()
    try:
        window.browser.select_sample(exam_id)
        exam = window.panes.current_pane()
        assert isinstance(exam, ExamPane) and exam.drafts.isVisible()
        assert exam.fields["textbox_question"].value() == CONTENT["textbox_question"]  # the raw text, until taken
        qtbot.mouseClick(exam.drafts.buttons()[0], Qt.MouseButton.LeftButton)
        qtbot.waitUntil(lambda: exam.fields["textbox_answer"].value() == "B", timeout=3000)
        assert exam.subject.currentText() == "语文" and not exam.drafts.isVisible()

        window.browser.select_sample(chat_id)
        chat = window.panes.current_pane()
        assert isinstance(chat, ChatPane) and chat.drafts.isVisible() and chat.turns == []
        assert chat.knowledge.isVisible()
        qtbot.mouseClick(chat.drafts.buttons()[0], Qt.MouseButton.LeftButton)
        qtbot.waitUntil(lambda: len(chat.turns) == 10, timeout=3000)
        assert chat.knowledge.isVisible() and not chat.drafts.isVisible()
        assert window.project.db.execute("SELECT count(*) FROM suggestions WHERE state = 'accepted'").fetchone()[0] == 2
        stored = query.get_samples(window.project, [exam_id, chat_id])
        assert stored[0].content == GOOD
        assert stored[1].content == {"messages": messages, "knowledge": ENTRY}
    finally:
        window.close()
        window.project.close()
