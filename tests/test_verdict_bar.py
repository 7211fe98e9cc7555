"""The verdict bar: buttons emit the decisions, and show the sample's current ones."""

from __future__ import annotations

from PySide6.QtCore import Qt

from tests.helpers import synthetic_sample
from widgets.verdict_bar import VerdictBar


def test_buttons_emit_decisions(qtbot) -> None:
    bar = VerdictBar()
    qtbot.addWidget(bar)
    with qtbot.waitSignal(bar.label_chosen) as label:
        qtbot.mouseClick(bar.labels.button(3), Qt.MouseButton.LeftButton)
    assert label.args == [3]
    with qtbot.waitSignal(bar.rating_chosen) as rating:
        qtbot.mouseClick(bar.ratings.button(5), Qt.MouseButton.LeftButton)
    assert rating.args == [5]
    with qtbot.waitSignal(bar.verdict_chosen) as verdict:
        qtbot.mouseClick(bar.verdicts["reject"], Qt.MouseButton.LeftButton)
    assert verdict.args == ["reject"]
    with qtbot.waitSignal(bar.skip_requested):
        for button in bar.findChildren(type(bar.verdicts["accept"])):
            if button.text().startswith("Skip"):
                qtbot.mouseClick(button, Qt.MouseButton.LeftButton)


def test_shows_the_current_decisions_and_comment(qtbot) -> None:
    bar = VerdictBar()
    qtbot.addWidget(bar)
    bar.show_sample(synthetic_sample(status="accepted", label=2, rating=4))
    assert [b.isChecked() for b in bar.labels.buttons()] == [False, True, False, False]
    assert bar.ratings.button(4).isChecked() and not bar.ratings.button(5).isChecked()
    assert bar.verdicts["accept"].isChecked() and not bar.verdicts["reject"].isChecked()
    bar.comment_edit.setText("  译文通顺 ")
    assert bar.comment() == "译文通顺"
    bar.clear_comment()
    assert bar.comment() == ""
    bar.show_sample(None)
    assert not bar.isEnabled()
