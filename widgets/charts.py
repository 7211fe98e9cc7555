"""Small charts drawn with QPainter (QtCharts is not in PySide6-Essentials).

:class:`BarChart` draws horizontal bars — a category's name on the left, in full (Chinese names and
long batch names read better across than under a bar), its number at the bar's end — with an
optional total behind each bar, so one chart shows progress ("37 / 50"). :class:`LineChart` draws
one or more series over shared x labels, with an optional reference line (a gate's threshold).
Both show a tooltip for the bar or point under the mouse and size themselves to their data.
"""

from __future__ import annotations

from dataclasses import dataclass

from PySide6.QtCore import QEvent, QPointF, QRectF, QSize, Qt
from PySide6.QtGui import QColor, QFontMetrics, QPainter, QPainterPath, QPen
from PySide6.QtWidgets import QSizePolicy, QToolTip, QWidget

# A palette that stays apart for people with the common colour-vision deficiencies (Okabe & Ito 2008).
PALETTE = ("#0072B2", "#E69F00", "#009E73", "#D55E00", "#CC79A7", "#56B4E9", "#F0E442", "#000000")
PASS_COLOR = "#009E73"
FAIL_COLOR = "#D55E00"
TRACK_COLOR = "#E4E7EB"
MARGIN = 8
BAR_HEIGHT = 18
BAR_GAP = 8


@dataclass
class Bar:
    label: str
    value: float
    total: float | None = None
    """Drawn as a light track behind the bar: the bar is then progress towards it."""
    text: str = ""
    """The number shown at the bar's end (default: the value, or "value / total")."""
    tooltip: str = ""
    color: str = ""


def _number(value: float) -> str:
    return f"{value:,.0f}" if float(value).is_integer() else f"{value:,.2f}"


class BarChart(QWidget):
    """Horizontal bars with their names and numbers."""

    def __init__(self, title: str = "", parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.title = title
        self.bars: list[Bar] = []
        self.empty_text = ""
        self.setMouseTracking(True)
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Fixed)

    def set_bars(self, bars: list[Bar], *, title: str | None = None) -> None:
        self.bars = list(bars)
        if title is not None:
            self.title = title
        self.updateGeometry()
        self.update()

    def set_empty_text(self, text: str) -> None:
        self.empty_text = text
        self.update()

    def _title_height(self) -> int:
        return QFontMetrics(self.font()).height() + 6 if self.title else 0

    def sizeHint(self) -> QSize:  # Qt override
        rows = max(1, len(self.bars))
        return QSize(420, MARGIN * 2 + self._title_height() + rows * (BAR_HEIGHT + BAR_GAP))

    def minimumSizeHint(self) -> QSize:  # Qt override
        return QSize(240, self.sizeHint().height())

    def bar_text(self, bar: Bar) -> str:
        if bar.text:
            return bar.text
        return f"{_number(bar.value)} / {_number(bar.total)}" if bar.total is not None else _number(bar.value)

    def _layout(self) -> tuple[int, int, int, float]:
        """(left of the bars, their full width, top of the first bar, the value of a full bar)."""
        metrics = QFontMetrics(self.font())
        # +2: elidedText() elides a text given exactly its (rounded) advance.
        label_width = max((metrics.horizontalAdvance(b.label) + 2 for b in self.bars), default=0)
        # Names get up to 45 % of the width; a longer one is elided in the middle (its tooltip is whole).
        label_width = min(label_width, self.width() * 45 // 100)
        text_width = max((metrics.horizontalAdvance(self.bar_text(b)) for b in self.bars), default=0)
        left = MARGIN + label_width + 8
        width = max(10, self.width() - left - text_width - MARGIN - 8)
        scale = max((max(b.value, b.total or 0) for b in self.bars), default=0) or 1
        return left, width, MARGIN + self._title_height(), scale

    def bar_rect(self, index: int) -> QRectF:
        left, width, top, _ = self._layout()
        return QRectF(left, top + index * (BAR_HEIGHT + BAR_GAP), width, BAR_HEIGHT)

    def paintEvent(self, event) -> None:  # Qt override
        painter = QPainter(self)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        palette_text = self.palette().windowText().color()
        metrics = QFontMetrics(self.font())
        if self.title:
            bold = self.font()
            bold.setBold(True)
            painter.setFont(bold)
            painter.setPen(palette_text)
            painter.drawText(QRectF(MARGIN, MARGIN, self.width() - 2 * MARGIN, metrics.height()), self.title)
            painter.setFont(self.font())
        if not self.bars:
            painter.setPen(self.palette().placeholderText().color())
            top = MARGIN + self._title_height()
            painter.drawText(QRectF(MARGIN, top, self.width(), BAR_HEIGHT), self.empty_text)
            return
        left, width, _, scale = self._layout()
        for index, bar in enumerate(self.bars):
            rect = self.bar_rect(index)
            label_rect = QRectF(MARGIN, rect.top(), left - MARGIN - 8, BAR_HEIGHT)
            painter.setPen(palette_text)
            label = metrics.elidedText(bar.label, Qt.TextElideMode.ElideMiddle, int(label_rect.width()))
            painter.drawText(label_rect, Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter, label)
            painter.setPen(Qt.PenStyle.NoPen)
            if bar.total is not None:
                painter.setBrush(QColor(TRACK_COLOR))
                painter.drawRoundedRect(QRectF(left, rect.top(), width * bar.total / scale, BAR_HEIGHT), 3, 3)
            painter.setBrush(QColor(bar.color or PALETTE[0]))
            filled = width * max(0.0, bar.value) / scale
            if filled > 0:
                painter.drawRoundedRect(QRectF(left, rect.top(), max(2.0, filled), BAR_HEIGHT), 3, 3)
            end = left + width * max(bar.value, bar.total or 0) / scale
            painter.setPen(palette_text)
            painter.drawText(
                QRectF(end + 6, rect.top(), self.width() - end, BAR_HEIGHT),
                Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter,
                self.bar_text(bar),
            )

    def bar_at(self, x: float, y: float) -> int | None:
        for index in range(len(self.bars)):
            rect = self.bar_rect(index)
            if rect.top() - BAR_GAP / 2 <= y < rect.bottom() + BAR_GAP / 2 and 0 <= x <= self.width():
                return index
        return None

    def tooltip_at(self, index: int) -> str:
        bar = self.bars[index]
        return bar.tooltip or f"{bar.label}: {self.bar_text(bar)}"

    def event(self, event: QEvent) -> bool:  # Qt override
        if event.type() == QEvent.Type.ToolTip:
            index = self.bar_at(event.pos().x(), event.pos().y())
            if index is None:
                QToolTip.hideText()
            else:
                QToolTip.showText(event.globalPos(), self.tooltip_at(index), self)
            return True
        return super().event(event)


@dataclass
class Series:
    name: str
    values: list[float | None]
    color: str = ""
    tooltips: list[str] | None = None


class LineChart(QWidget):
    """Series of values over shared x labels, with a y range, an optional reference line and a legend."""

    def __init__(self, title: str = "", parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.title = title
        self.x_labels: list[str] = []
        self.series: list[Series] = []
        self.y_range = (0.0, 1.0)
        self.y_format = "{:.2f}"
        self.reference: tuple[float, str] | None = None
        self.empty_text = ""
        self.setMouseTracking(True)
        self.setMinimumHeight(220)
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Preferred)

    def set_data(
        self,
        x_labels: list[str],
        series: list[Series],
        *,
        y_range: tuple[float, float] = (0.0, 1.0),
        y_format: str = "{:.2f}",
        reference: tuple[float, str] | None = None,
    ) -> None:
        self.x_labels, self.series, self.y_range, self.y_format = list(x_labels), list(series), y_range, y_format
        self.reference = reference
        self.update()

    def set_empty_text(self, text: str) -> None:
        self.empty_text = text
        self.update()

    def sizeHint(self) -> QSize:  # Qt override
        return QSize(420, 240)

    def _plot_rect(self) -> QRectF:
        metrics = QFontMetrics(self.font())
        # Title, legend, and half a line so the top value's label clears the legend.
        top = MARGIN + (metrics.height() + 6 if self.title else 0) + metrics.height() + 4 + metrics.height() // 2
        labels = [self.y_format.format(v) for v in self.y_range]
        left = MARGIN + max(metrics.horizontalAdvance(t) for t in labels) + 6
        bottom = self.height() - MARGIN - metrics.height() - 4
        return QRectF(left, top, max(10, self.width() - left - MARGIN - 6), max(10, bottom - top))

    def point(self, index: int, value: float) -> QPointF:
        plot = self._plot_rect()
        count = max(1, len(self.x_labels) - 1)
        low, high = self.y_range
        x = plot.left() + (plot.width() * index / count if len(self.x_labels) > 1 else plot.width() / 2)
        y = plot.bottom() - plot.height() * (min(max(value, low), high) - low) / ((high - low) or 1)
        return QPointF(x, y)

    def paintEvent(self, event) -> None:  # Qt override
        painter = QPainter(self)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        text_color = self.palette().windowText().color()
        metrics = QFontMetrics(self.font())
        y = MARGIN
        if self.title:
            bold = self.font()
            bold.setBold(True)
            painter.setFont(bold)
            painter.setPen(text_color)
            painter.drawText(QRectF(MARGIN, y, self.width() - 2 * MARGIN, metrics.height()), self.title)
            painter.setFont(self.font())
            y += metrics.height() + 6
        x = MARGIN
        for number, series in enumerate(self.series):  # the legend
            color = QColor(series.color or PALETTE[number % len(PALETTE)])
            painter.fillRect(QRectF(x, y + metrics.height() / 2 - 2, 14, 4), color)
            painter.setPen(text_color)
            painter.drawText(QPointF(x + 18, y + metrics.ascent()), series.name)
            x += 18 + metrics.horizontalAdvance(series.name) + 16
        plot = self._plot_rect()
        grid = QPen(QColor(TRACK_COLOR))
        low, high = self.y_range
        for fraction in (0, 0.25, 0.5, 0.75, 1):
            value = low + (high - low) * fraction
            at = self.point(0, value).y()
            painter.setPen(grid)
            painter.drawLine(QPointF(plot.left(), at), QPointF(plot.right(), at))
            painter.setPen(text_color)
            label_rect = QRectF(MARGIN, at - metrics.height() / 2, plot.left() - MARGIN - 4, metrics.height())
            painter.drawText(label_rect, Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter,
                             self.y_format.format(value))  # fmt: skip
        if not self.x_labels or not any(v is not None for s in self.series for v in s.values):
            painter.setPen(self.palette().placeholderText().color())
            painter.drawText(plot, Qt.AlignmentFlag.AlignCenter, self.empty_text)
            return
        if self.reference is not None:
            value, name = self.reference
            at = self.point(0, value).y()
            painter.setPen(QPen(QColor(FAIL_COLOR), 1, Qt.PenStyle.DashLine))
            painter.drawLine(QPointF(plot.left(), at), QPointF(plot.right(), at))
            painter.drawText(QPointF(plot.right() - metrics.horizontalAdvance(name), at - 3), name)
        # x labels: as many as fit without overlapping, always the first and the last.
        painter.setPen(text_color)
        widest = max(metrics.horizontalAdvance(label) for label in self.x_labels) + 12
        step = max(1, int(widest * len(self.x_labels) / max(plot.width(), 1)) + 1)
        shown = set(range(0, len(self.x_labels), step)) | {len(self.x_labels) - 1}
        for index in sorted(shown):
            at = self.point(index, low).x()
            label = self.x_labels[index]
            width = metrics.horizontalAdvance(label)
            left = min(max(at - width / 2, 0), self.width() - width)
            painter.drawText(QPointF(left, plot.bottom() + metrics.ascent() + 4), label)
        for number, series in enumerate(self.series):
            color = QColor(series.color or PALETTE[number % len(PALETTE)])
            path = QPainterPath()
            started = False
            for index, value in enumerate(series.values):
                if value is None:
                    started = False
                    continue
                p = self.point(index, value)
                if started:
                    path.lineTo(p)
                else:
                    path.moveTo(p)
                    started = True
            painter.setPen(QPen(color, 2))
            painter.setBrush(Qt.BrushStyle.NoBrush)
            painter.drawPath(path)
            painter.setBrush(color)
            for index, value in enumerate(series.values):
                if value is not None:
                    painter.drawEllipse(self.point(index, value), 3.5, 3.5)

    def point_at(self, x: float, y: float) -> tuple[int, int] | None:
        """(series, index) of the point nearest to (x, y), within 12 pixels."""
        best = None
        for number, series in enumerate(self.series):
            for index, value in enumerate(series.values):
                if value is None:
                    continue
                p = self.point(index, value)
                distance = (p.x() - x) ** 2 + (p.y() - y) ** 2
                if distance <= 144 and (best is None or distance < best[0]):
                    best = (distance, number, index)
        return None if best is None else (best[1], best[2])

    def tooltip_at(self, series_index: int, index: int) -> str:
        series = self.series[series_index]
        if series.tooltips and index < len(series.tooltips) and series.tooltips[index]:
            return series.tooltips[index]
        return f"{series.name} · {self.x_labels[index]}: {self.y_format.format(series.values[index])}"

    def event(self, event: QEvent) -> bool:  # Qt override
        if event.type() == QEvent.Type.ToolTip:
            found = self.point_at(event.pos().x(), event.pos().y())
            if found is None:
                QToolTip.hideText()
            else:
                QToolTip.showText(event.globalPos(), self.tooltip_at(*found), self)
            return True
        return super().event(event)
