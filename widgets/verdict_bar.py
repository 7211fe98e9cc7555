"""The verdict bar: COIG's four labels, a 1–5 rating, accept / reject / needs fix / skip, a comment."""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import Signal
from PySide6.QtWidgets import QButtonGroup, QHBoxLayout, QLabel, QLineEdit, QPushButton, QVBoxLayout, QWidget

from app.store.query import Sample


def label_texts(widget: QWidget) -> dict[int, str]:
    """COIG's verification labels, short enough for a button."""
    return {
        1: widget.tr("1 Usable"),
        2: widget.tr("2 Usable, keep source I/O"),
        3: widget.tr("3 Needs correction"),
        4: widget.tr("4 Unusable"),
    }


class VerdictBar(QWidget):
    """Buttons for every decision (the window binds the same decisions to single keys)."""

    label_chosen = Signal(int)
    rating_chosen = Signal(int)
    verdict_chosen = Signal(str)
    """``accept``, ``reject`` or ``needs_fix``."""
    skip_requested = Signal()
    judgement_taken = Signal(int)
    """The reviewer takes a machine judge's score as the rating: the suggestion's id."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        rows = QVBoxLayout(self)
        rows.setContentsMargins(6, 4, 6, 4)
        rows.setSpacing(4)
        # Two rows so the bar fits beside the list at 1280 px: decisions above, rating and comment below.
        decisions, details = QHBoxLayout(), QHBoxLayout()
        rows.addLayout(decisions)
        rows.addLayout(details)
        self.labels = self._group(decisions, label_texts(self), self.label_chosen)
        decisions.addSpacing(12)
        self.verdicts: dict[str, QPushButton] = {}
        for verdict, text in (
            ("accept", self.tr("Accept (A)")),
            ("reject", self.tr("Reject (R)")),
            ("needs_fix", self.tr("Needs fix (F)")),
        ):
            button = QPushButton(text, self)
            button.setCheckable(True)
            button.clicked.connect(lambda _checked=False, v=verdict: self.verdict_chosen.emit(v))
            decisions.addWidget(button)
            self.verdicts[verdict] = button
        skip = QPushButton(self.tr("Skip (S)"), self)
        skip.clicked.connect(self.skip_requested)
        decisions.addWidget(skip)
        decisions.addStretch(1)
        details.addWidget(QLabel(self.tr("Rating"), self))
        self.ratings = self._group(details, {n: "★" * n for n in range(1, 6)}, self.rating_chosen, compact=True)
        details.addSpacing(12)
        self.comment_edit = QLineEdit(self)
        self.comment_edit.setPlaceholderText(self.tr("Comment for the next verdict (C)"))
        details.addWidget(self.comment_edit, 1)
        # A third row, only when a machine judge scored the sample: its score and rationale beside
        # the rating the person gives, and a button to take its score.
        self.judge_row = QWidget(self)
        judge = QHBoxLayout(self.judge_row)
        judge.setContentsMargins(0, 0, 0, 0)
        self.judge_label = QLabel(self.judge_row)
        self.judge_label.setWordWrap(True)
        self.judge_take = QPushButton(self.tr("Take as rating"), self.judge_row)
        self.judge_take.setToolTip(self.tr("Set the rating to the judge's score (undoable)"))
        self.judge_take.clicked.connect(self._take_judgement)
        judge.addWidget(self.judge_label, 1)
        judge.addWidget(self.judge_take)
        rows.addWidget(self.judge_row)
        self._judgement_id: int | None = None
        self.judge_row.hide()

    def _group(
        self, layout: QHBoxLayout, texts: dict[int, str], signal: Signal, *, compact: bool = False
    ) -> QButtonGroup:
        group = QButtonGroup(self)
        group.setExclusive(False)
        for value, text in texts.items():
            button = QPushButton(text, self)
            button.setCheckable(True)
            if compact:
                button.setToolTip(self.tr("Rate {n} of 5 (Alt+{n})").format(n=value))
                button.setMaximumWidth(button.fontMetrics().horizontalAdvance(text) + 24)
            else:
                button.setToolTip(self.tr("Key {n}").format(n=value))
            group.addButton(button, value)
            layout.addWidget(button)
        group.idClicked.connect(signal.emit)
        return group

    def show_sample(self, sample: Sample | None) -> None:
        """Light up the sample's current label, rating and verdict."""
        self.setEnabled(sample is not None)
        if sample is None:
            self.show_judgement(None)
        for group, current in (
            (self.labels, sample.label if sample else None),
            (self.ratings, sample.rating if sample else None),
        ):
            for button in group.buttons():
                button.setChecked(group.id(button) == current)
        status = sample.status if sample else ""
        for verdict, button in self.verdicts.items():
            button.setChecked({"accept": "accepted", "reject": "rejected"}.get(verdict, verdict) == status)

    def show_judgement(self, suggestion: dict[str, Any] | None) -> None:
        """Show a judge's draft (``{"id", "task", "model", "state", "content": {"judgement": …}}``)
        beside the rating, or hide the row (None)."""
        judgement = (suggestion or {}).get("content", {}).get("judgement") if suggestion else None
        if not isinstance(judgement, dict) or judgement.get("score") not in (1, 2, 3, 4, 5):
            self._judgement_id = None
            self.judge_row.hide()
            return
        score = int(judgement["score"])
        verdict = judgement.get("verdict")
        text = self.tr("Machine judge ({task}, {model}): {stars} {score}/5").format(
            task=suggestion.get("task", ""),
            model=suggestion.get("model") or suggestion.get("engine") or "",
            stars="★" * score + "☆" * (5 - score),
            score=score,
        )
        if verdict:
            text += f" · {verdict}"
        rationale = str(judgement.get("rationale") or "")
        self.judge_label.setText(f"{text} — {rationale}" if rationale else text)
        pending = suggestion.get("state") == "pending"
        self._judgement_id = int(suggestion["id"]) if pending else None
        self.judge_take.setVisible(pending)
        self.judge_row.show()

    def _take_judgement(self) -> None:
        if self._judgement_id is not None:
            self.judgement_taken.emit(self._judgement_id)

    def comment(self) -> str:
        return self.comment_edit.text().strip()

    def clear_comment(self) -> None:
        self.comment_edit.clear()
