"""COIG's three principles for human-value samples, as a checklist the reviewer ticks.

Shown by the instruction pane for samples of the Self-Instruct subset (and any sample that already
carries a checklist). The state is part of the sample's content, under ``principles``
(``{"shared": bool, "neutral": bool, "not_proverb": bool}``): it is saved, undone and versioned with
the reviewer's other edits through the pane's usual path, travels with the sample in provenance and
work packages, and stays out of Alpaca and COIG exports, which write only their schema's fields.
"""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import Signal
from PySide6.QtWidgets import QCheckBox, QGroupBox, QLabel, QVBoxLayout, QWidget

from app.tasks import self_instruct

PRINCIPLES_KEY = self_instruct.PRINCIPLES_KEY


class PrinciplesChecklist(QGroupBox):
    """One check box per COIG principle; :attr:`changed` when the reviewer ticks or clears one."""

    changed = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(self.tr("COIG human-value principles"), parent)
        labels = {
            "shared": self.tr("Widely shared values of the Chinese-speaking world, not regional ones"),
            "neutral": self.tr("No political propaganda, religion or disputed claims"),
            "not_proverb": self.tr("Not merely explaining a proverb or a quote"),
        }
        layout = QVBoxLayout(self)
        layout.setContentsMargins(8, 6, 8, 6)
        layout.setSpacing(2)
        self.boxes: dict[str, QCheckBox] = {}
        for key, chinese in self_instruct.PRINCIPLES:
            box = QCheckBox(labels[key])
            box.setToolTip(chinese)  # the principle as the prompt states it
            box.toggled.connect(self._on_toggled)
            layout.addWidget(box)
            self.boxes[key] = box
        self.hint = QLabel(self.tr("Keep the sample only if all three hold."))
        self.hint.setEnabled(False)
        layout.addWidget(self.hint)
        self._touched = False

    def set_state(self, state: Any) -> None:
        """Show a stored checklist (``None`` or anything not a dict: nothing ticked), without emitting."""
        ticks = state if isinstance(state, dict) else {}
        for key, box in self.boxes.items():
            box.blockSignals(True)
            box.setChecked(bool(ticks.get(key)))
            box.blockSignals(False)
        self._touched = False

    def state(self) -> dict[str, bool]:
        return {key: box.isChecked() for key, box in self.boxes.items()}

    def touched(self) -> bool:
        """Whether the reviewer changed a box since :meth:`set_state`."""
        return self._touched

    def _on_toggled(self, _checked: bool) -> None:
        self._touched = True
        self.changed.emit()


def wants_checklist(subset: str, content: dict[str, Any]) -> bool:
    """Samples the Self-Instruct task made, and any sample already reviewed against the principles."""
    return subset == self_instruct.NAME or isinstance(content.get(self_instruct.PRINCIPLES_KEY), dict)
