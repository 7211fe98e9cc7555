"""Field widgets the review panes are built from.

:class:`GrowingTextEdit` is a plain-text editor that grows with its content (up to a cap, then it
scrolls), so a pane reads like a form that scrolls as a whole instead of a stack of tiny scroll
boxes. It emits :attr:`GrowingTextEdit.edited` only for the person's edits — typing, pasting,
IME commits, undo — never when the text is set through :meth:`GrowingTextEdit.set_value`.

:meth:`GrowingTextEdit.value` gives back the exact value that was set while the person has not
changed the text: a ``QTextDocument`` normalises ``\\r\\n``, U+2029 and non-breaking spaces, and a
pane must hand back untouched content byte for byte.
"""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import QRect, QSize, Qt, Signal
from PySide6.QtGui import (
    QColor,
    QFont,
    QFontDatabase,
    QPainter,
    QPaintEvent,
    QPalette,
    QResizeEvent,
    QTextOption,
)
from PySide6.QtWidgets import (
    QApplication,
    QFrame,
    QLabel,
    QPlainTextEdit,
    QScrollArea,
    QSizePolicy,
    QTextBrowser,
    QVBoxLayout,
    QWidget,
)

# Families tried in order; the first installed one gives Latin and CJK glyphs of one design.
# (Fontconfig, CoreText and DirectWrite fall back per glyph anyway; this picks the nicer match.)
UI_FAMILIES = ("Noto Sans CJK SC", "Source Han Sans SC", "Microsoft YaHei UI", "Microsoft YaHei", "PingFang SC")
MONO_FAMILIES = (
    "DejaVu Sans Mono",
    "Cascadia Mono",
    "Consolas",
    "Menlo",
    "Noto Sans Mono CJK SC",
    "Sarasa Mono SC",
)
CJK_FALLBACK = ("Noto Sans CJK SC", "Noto Sans Mono CJK SC", "Source Han Sans SC", "Microsoft YaHei", "PingFang SC")


def _installed(families: tuple[str, ...]) -> list[str]:
    known = set(QFontDatabase.families())
    return [family for family in families if family in known]


def text_font() -> QFont:
    """The font for Chinese prose: the application font with a CJK family first where one exists."""
    font = QFont()
    families = _installed(UI_FAMILIES)
    if families:
        font.setFamilies([*families, *font.families()])
    return font


def mono_font() -> QFont:
    """A monospace font whose CJK characters come from a CJK family rather than a random fallback."""
    font = QFontDatabase.systemFont(QFontDatabase.SystemFont.FixedFont)
    families = _installed(MONO_FAMILIES) + _installed(CJK_FALLBACK)
    if families:
        font.setFamilies([*families, *font.families()])
    font.setStyleHint(QFont.StyleHint.Monospace)
    return font


def bold(label: QLabel) -> QLabel:
    """``label`` in the bold of its own font (the titles over fields and panes); returns it."""
    font = label.font()
    font.setBold(True)
    label.setFont(font)
    return label


def as_text(value: Any) -> str:
    """How a content value is shown in a text field (``None`` as empty, numbers as written)."""
    if value is None:
        return ""
    return value if isinstance(value, str) else str(value)


class GrowingTextEdit(QPlainTextEdit):
    """A plain-text editor as tall as its text (between ``min_lines`` and ``max_lines``)."""

    edited = Signal(str)
    """The person changed the text: the new text."""

    def __init__(
        self,
        parent: QWidget | None = None,
        *,
        min_lines: int = 2,
        max_lines: int | None = 40,
        read_only: bool = False,
        monospace: bool = False,
    ) -> None:
        super().__init__(parent)
        self._min_lines = min_lines
        # Past this many lines the field scrolls by itself, so one huge answer does not push the
        # other fields a screen away; None lets it grow without limit.
        self._max_lines = max_lines
        self._setting = False
        self._value: Any = ""
        self._shown = ""
        self._last_text = ""
        self.setFont(mono_font() if monospace else text_font())
        self.setWordWrapMode(QTextOption.WrapMode.WrapAtWordBoundaryOrAnywhere)
        self.setLineWrapMode(QPlainTextEdit.LineWrapMode.WidgetWidth)
        self.setTabChangesFocus(True)
        self.setVerticalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAsNeeded)
        # Lines wrap at the width, so a horizontal bar would only eat a line of a short field.
        self.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Fixed)
        self.setReadOnly(read_only)
        self.textChanged.connect(self._on_text_changed)
        self.document().documentLayout().documentSizeChanged.connect(self._update_height)
        self._update_height()

    # The value -------------------------------------------------------------------------------

    def set_value(self, value: Any) -> None:
        """Show a content value without emitting :attr:`edited`; clears the undo history."""
        self._setting = True
        try:
            self._value = value
            self.setPlainText(as_text(value))
            self._shown = self._last_text = self.toPlainText()
        finally:
            self._setting = False
        self._update_height()

    def value(self) -> Any:
        """The text as the person left it; exactly the value set while it reads the same."""
        text = self.toPlainText()
        return self._value if text == self._shown else text

    def setReadOnly(self, read_only: bool) -> None:
        super().setReadOnly(read_only)
        # A read-only field looks it: the window colour behind the text instead of the base colour.
        palette = self.palette()
        base = QPalette.ColorRole.Window if read_only else QPalette.ColorRole.Base
        palette.setColor(QPalette.ColorRole.Base, QApplication.palette().color(base))
        self.setPalette(palette)

    def _on_text_changed(self) -> None:
        if self._setting:
            return
        # textChanged also fires when a QSyntaxHighlighter re-applies formats: only a change of
        # the text itself is an edit.
        text = self.toPlainText()
        if text != self._last_text:
            self._last_text = text
            self.edited.emit(text)

    # Growing ---------------------------------------------------------------------------------

    def _text_height(self, limit: int) -> int:
        """Pixels the text takes at the current width, counting no further than ``limit``.

        Measured from the laid-out blocks rather than lines × line spacing: Chinese characters
        drawn from a fallback font (a monospace field) make their lines taller than the font's.
        """
        height = 0.0
        block = self.document().firstBlock()
        while block.isValid() and height < limit:
            height += self.blockBoundingRect(block).height()
            block = block.next()
        return round(height)

    def _update_height(self, *_: object) -> None:
        line = self.fontMetrics().lineSpacing()
        low = self._min_lines * line
        high = self._max_lines * line if self._max_lines is not None else 1 << 24
        text = max(low, min(high, self._text_height(high)))
        margins = self.contentsMargins()
        height = text + 2 * round(self.document().documentMargin()) + margins.top() + margins.bottom() + 2
        if height != self.minimumHeight() or height != self.maximumHeight():
            self.setFixedHeight(height)

    def resizeEvent(self, event: QResizeEvent) -> None:
        super().resizeEvent(event)
        # A new width rewraps the text and changes the line count.
        self._update_height()

    def sizeHint(self) -> QSize:
        return QSize(super().sizeHint().width(), self.height())


class LineNumberArea(QWidget):
    """The gutter of a :class:`CodeTextEdit`."""

    def __init__(self, editor: CodeTextEdit) -> None:
        super().__init__(editor)
        self._editor = editor

    def sizeHint(self) -> QSize:
        return QSize(self._editor.gutter_width(), 0)

    def paintEvent(self, event: QPaintEvent) -> None:
        self._editor.paint_gutter(event)


class CodeTextEdit(GrowingTextEdit):
    """A :class:`GrowingTextEdit` in a monospace font with line numbers in a gutter."""

    GUTTER_BACKGROUND = QColor("#f3f3f3")
    GUTTER_TEXT = QColor("#8a8a8a")

    def __init__(self, parent: QWidget | None = None, **kwargs: Any) -> None:
        kwargs.setdefault("monospace", True)
        self._gutter = None
        super().__init__(parent, **kwargs)
        self._gutter = LineNumberArea(self)
        self.blockCountChanged.connect(self._update_gutter_width)
        self.updateRequest.connect(self._update_gutter)
        self._update_gutter_width()

    def gutter_width(self) -> int:
        digits = max(2, len(str(self.blockCount())))
        return 10 + self.fontMetrics().horizontalAdvance("9") * digits

    def _update_gutter_width(self, *_: object) -> None:
        self.setViewportMargins(self.gutter_width(), 0, 0, 0)

    def _update_gutter(self, rect: QRect, dy: int) -> None:
        if self._gutter is None:
            return
        if dy:
            self._gutter.scroll(0, dy)
        else:
            self._gutter.update(0, rect.y(), self._gutter.width(), rect.height())

    def resizeEvent(self, event: QResizeEvent) -> None:
        super().resizeEvent(event)
        if self._gutter is not None:
            rect = self.contentsRect()
            self._gutter.setGeometry(QRect(rect.left(), rect.top(), self.gutter_width(), rect.height()))

    def paint_gutter(self, event: QPaintEvent) -> None:
        assert self._gutter is not None
        painter = QPainter(self._gutter)
        painter.fillRect(event.rect(), self.GUTTER_BACKGROUND)
        painter.setPen(self.GUTTER_TEXT)
        painter.setFont(self.font())
        block = self.firstVisibleBlock()
        number = block.blockNumber()
        top = round(self.blockBoundingGeometry(block).translated(self.contentOffset()).top())
        bottom = top + round(self.blockBoundingRect(block).height())
        metrics = self.fontMetrics()
        width = self._gutter.width() - 5
        while block.isValid() and top <= event.rect().bottom():
            if block.isVisible() and bottom >= event.rect().top():
                # On the baseline of the block's first line, which CJK glyphs may have made taller.
                first = block.layout().lineAt(0) if block.layout().lineCount() else None
                baseline = top + round(first.y() + first.ascent()) if first is not None else top + metrics.ascent()
                label = str(number + 1)
                painter.drawText(width - metrics.horizontalAdvance(label), baseline, label)
            block = block.next()
            top = bottom
            bottom = top + round(self.blockBoundingRect(block).height())
            number += 1
        painter.end()


class TextField(QWidget):
    """A label above a :class:`GrowingTextEdit` (or a :class:`CodeTextEdit` with ``code=True``)."""

    edited = Signal(str)
    """The person changed the text: the new text."""

    def __init__(
        self,
        label: str = "",
        parent: QWidget | None = None,
        *,
        code: bool = False,
        min_lines: int = 2,
        max_lines: int | None = 40,
        read_only: bool = False,
    ) -> None:
        super().__init__(parent)
        self.label = bold(QLabel(label, self))
        self.label.setVisible(bool(label))
        editor_class = CodeTextEdit if code else GrowingTextEdit
        self.editor = editor_class(self, min_lines=min_lines, max_lines=max_lines, read_only=read_only)
        self.label.setBuddy(self.editor)
        self.setFocusProxy(self.editor)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(2)
        layout.addWidget(self.label)
        layout.addWidget(self.editor)
        self.editor.edited.connect(self.edited)

    def set_label(self, text: str) -> None:
        self.label.setText(text)
        self.label.setVisible(bool(text))

    def set_value(self, value: Any) -> None:
        self.editor.set_value(value)

    def value(self) -> Any:
        return self.editor.value()

    def text(self) -> str:
        return self.editor.toPlainText()


def put_value(content: dict[str, Any], key: str, value: Any) -> None:
    """Write a field back into content; a key the content never had is added only once it has text."""
    if key in content or value:
        content[key] = value


class GrowingBrowser(QTextBrowser):
    """A read-only rich-text view as tall as its document (up to ``max_height`` pixels)."""

    def __init__(self, parent: QWidget | None = None, *, min_height: int = 40, max_height: int = 2000) -> None:
        super().__init__(parent)
        self._min_height = min_height
        self._max_height = max_height
        self.setFont(text_font())
        self.setOpenExternalLinks(True)
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Fixed)
        self.document().documentLayout().documentSizeChanged.connect(self._update_height)

    def _update_height(self, *_: object) -> None:
        margins = self.contentsMargins()
        height = round(self.document().size().height()) + margins.top() + margins.bottom() + 2
        height = max(self._min_height, min(self._max_height, height))
        if height != self.height():
            self.setFixedHeight(height)

    def resizeEvent(self, event: QResizeEvent) -> None:
        super().resizeEvent(event)
        self._update_height()


class ScrollForm(QScrollArea):
    """A column of fields that scrolls as a whole; fields are added with :meth:`add`."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWidgetResizable(True)
        self.setFrameShape(QFrame.Shape.NoFrame)
        self.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.body = QWidget(self)
        self.column = QVBoxLayout(self.body)
        self.column.setContentsMargins(8, 8, 8, 8)
        self.column.setSpacing(10)
        self.column.addStretch(1)
        self.setWidget(self.body)

    def add(self, widget: QWidget) -> QWidget:
        self.column.insertWidget(self.column.count() - 1, widget)
        return widget


def separator(parent: QWidget | None = None) -> QFrame:
    line = QFrame(parent)
    line.setFrameShape(QFrame.Shape.HLine)
    line.setFrameShadow(QFrame.Shadow.Sunken)
    return line
