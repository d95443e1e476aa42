"""Inline SVG charts for the report: lines over days and horizontal bars.

Plain SVG built as text: no script, no external font or stylesheet, so the
same chart shows in a browser, in an e-mail client and in WeasyPrint's PDF.
Geometry is computed with Decimal and written with one decimal, so the same
values always give the same bytes. Labels arrive formatted in the report's
language; the charts never format a number themselves.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from html import escape
from typing import Final

FONT: Final = "DejaVu Sans, Verdana, sans-serif"
COLOURS: Final = ("#1f5f8b", "#e07a2f", "#3a9d5d", "#8e44ad")
WIDTH: Final = 640
_TENTH = Decimal("0.1")


def _n(value: Decimal | int) -> str:
    """A coordinate with one decimal ("12.0" prints as "12")."""
    rounded = Decimal(value).quantize(_TENTH, rounding=ROUND_HALF_UP)
    text = f"{rounded:f}"
    return text[:-2] if text.endswith(".0") else text


def _text(x: Decimal | int, y: Decimal | int, content: str, **attrs: str) -> str:
    extra = "".join(f' {name.replace("_", "-")}="{escape(v)}"' for name, v in attrs.items())
    return f'<text x="{_n(x)}" y="{_n(y)}"{extra}>{escape(content)}</text>'


def _svg(height: int, title: str, body: list[str]) -> str:
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" class="chart" width="{WIDTH}" '
        f'height="{height}" viewBox="0 0 {WIDTH} {height}" role="img" '
        f'aria-label="{escape(title)}" font-family="{FONT}" font-size="11">'
        f"<title>{escape(title)}</title>"
        + _text(0, 14, title, font_size="13", font_weight="bold", fill="#222")
        + "".join(body)
        + "</svg>"
    )


@dataclass(frozen=True, slots=True)
class Bar:
    label: str
    value: Decimal | int  # the length; negative values are drawn as zero
    shown: str  # the value as the reader sees it, already formatted


def bar_chart(title: str, bars: Sequence[Bar], empty_text: str) -> str:
    """Horizontal bars, one per row, scaled to the largest value."""
    row_height, top, label_width = 22, 26, 170
    height = top + max(len(bars), 1) * row_height + 8
    if not bars:
        return _svg(height, title, [_text(0, top + 14, empty_text, fill="#666")])
    longest = max((Decimal(max(b.value, 0)) for b in bars), default=Decimal(0))
    room = Decimal(WIDTH - label_width - 110)
    body: list[str] = []
    for i, bar in enumerate(bars):
        y = top + i * row_height
        length = Decimal(0) if longest == 0 else room * Decimal(max(bar.value, 0)) / longest
        colour = COLOURS[0]
        body.append(_text(label_width - 6, y + 14, bar.label, text_anchor="end", fill="#222"))
        body.append(
            f'<rect x="{label_width}" y="{y + 3}" width="{_n(length)}" height="{row_height - 6}" '
            f'fill="{colour}"/>'
        )
        body.append(_text(label_width + length + 6, y + 14, bar.shown, fill="#222"))
    return _svg(height, title, body)


@dataclass(frozen=True, slots=True)
class Line:
    name: str
    values: tuple[Decimal | int, ...]  # one per x label


def line_chart(
    title: str,
    x_labels: Sequence[str],
    lines: Sequence[Line],
    y_top_label: str,
    empty_text: str,
) -> str:
    """Lines over the same x axis (days), from zero to the largest value, with a legend."""
    height, left, right, top, bottom = 230, 48, 16, 40, 186
    if not x_labels or not lines:
        return _svg(120, title, [_text(0, 44, empty_text, fill="#666")])
    highest = max((Decimal(v) for line in lines for v in line.values), default=Decimal(0))
    scale = highest if highest > 0 else Decimal(1)
    plot_w = Decimal(WIDTH - left - right)
    plot_h = Decimal(bottom - top)
    steps = max(len(x_labels) - 1, 1)
    body = [
        f'<line x1="{left}" y1="{bottom}" x2="{WIDTH - right}" y2="{bottom}" stroke="#999"/>',
        f'<line x1="{left}" y1="{top}" x2="{left}" y2="{bottom}" stroke="#999"/>',
        f'<line x1="{left}" y1="{top}" x2="{WIDTH - right}" y2="{top}" stroke="#ddd" '
        'stroke-dasharray="3 3"/>',
        _text(left - 4, top + 4, y_top_label, text_anchor="end", fill="#444"),
        _text(left - 4, bottom + 4, "0", text_anchor="end", fill="#444"),
    ]

    def x_at(i: int) -> Decimal:
        return left + plot_w * i / steps

    # At most about eight date labels, always the first and the last.
    every = max(1, -(-len(x_labels) // 8))
    last = len(x_labels) - 1
    for i, label in enumerate(x_labels):
        crowding_last = i != last and last - i < every
        if (i % every == 0 and not crowding_last) or i == last:
            body.append(_text(x_at(i), bottom + 16, label, text_anchor="middle", fill="#444"))
    for n, line in enumerate(lines):
        colour = COLOURS[n % len(COLOURS)]
        points = " ".join(
            f"{_n(x_at(i))},{_n(bottom - plot_h * Decimal(v) / scale)}"
            for i, v in enumerate(line.values)
        )
        body.append(f'<polyline points="{points}" fill="none" stroke="{colour}" stroke-width="2"/>')
        legend_x = left + n * 170
        body.append(
            f'<rect x="{legend_x}" y="{height - 14}" width="10" height="10" fill="{colour}"/>'
        )
        body.append(_text(legend_x + 14, height - 5, line.name, fill="#222"))
    return _svg(height, title, body)
