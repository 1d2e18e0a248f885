"""Horizontal bar charts as inline SVG, drawn here: a report needs no script or outside service."""

from __future__ import annotations

from collections.abc import Sequence
from html import escape

ROW_HEIGHT = 22
LABEL_WIDTH = 230
BAR_WIDTH = 330
VALUE_WIDTH = 70
MAX_LABEL_CHARACTERS = 34
BAR_COLOUR = "#2f5d8a"


def bar_chart(title: str, items: Sequence[tuple[str, int]], max_items: int = 15) -> str:
    """An SVG bar chart of (label, value) pairs, largest first, or a note when there are none."""
    rows = sorted(((str(label), int(value)) for label, value in items),
                  key=lambda row: (-row[1], row[0]))[:max_items]
    caption = f"<figcaption>{escape(title)}</figcaption>"
    if not rows:
        return f'<figure class="chart">{caption}<p class="empty">Nothing recorded.</p></figure>'
    largest = max(value for _, value in rows) or 1
    width = LABEL_WIDTH + BAR_WIDTH + VALUE_WIDTH
    height = ROW_HEIGHT * len(rows) + 4
    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
             f'viewBox="0 0 {width} {height}" role="img" aria-label="{escape(title)}">']
    for index, (label, value) in enumerate(rows):
        y = index * ROW_HEIGHT + 2
        length = round(BAR_WIDTH * value / largest) if value > 0 else 0
        shown = _shorten(label)
        parts.append(
            f'<text x="{LABEL_WIDTH - 6}" y="{y + 15}" text-anchor="end" font-size="12">'
            f'<title>{escape(label)}</title>{escape(shown)}</text>'
            f'<rect x="{LABEL_WIDTH}" y="{y + 3}" width="{length}" height="{ROW_HEIGHT - 6}" '
            f'fill="{BAR_COLOUR}"/>'
            f'<text x="{LABEL_WIDTH + length + 6}" y="{y + 15}" font-size="12">{value}</text>')
    parts.append("</svg>")
    return f'<figure class="chart">{caption}{"".join(parts)}</figure>'


def _shorten(label: str) -> str:
    if len(label) <= MAX_LABEL_CHARACTERS:
        return label
    return label[:MAX_LABEL_CHARACTERS - 1] + "\u2026"
