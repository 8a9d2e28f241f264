"""Charts drawn on the server as accessible SVG: no chart library, no script.

A chart is an ``<svg role="img">`` with a ``<title>`` and a ``<desc>`` (its name and
every value in words, for a screen reader) and one ``<rect>`` per bar, each with its own
``<title>`` (shown on hover) and ``data-label`` / ``data-value`` (what a test reads).
The page shows the same numbers in a table beside it. Pure: text in, text out.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from html import escape

from markupsafe import Markup


@dataclass(frozen=True)
class Bar:
    label: str
    value: int
    note: str = ""
    """Said after the value in the bar's title (e.g. the curve's limit)."""
    marker: float | None = None
    """A value marked across the bar (a limit of the curve), in the value's unit."""
    key: str = ""
    """What the bar counts, for a machine (``data-key``): a phase, a predikat."""
    flagged: bool = False
    """Drawn in the warning colour (a broken rule); the note says so in words."""


BAR_HEIGHT = 26
GAP = 8
LABEL_WIDTH = 300
PLOT_WIDTH = 300
VALUE_WIDTH = 60


def bar_chart(chart_id: str, title: str, bars: Sequence[Bar], *, unit: str = "") -> Markup:
    """Horizontal bars, one per item, scaled to the largest value (or marker)."""
    top = max([b.value for b in bars] + [b.marker or 0 for b in bars] + [1])
    height = len(bars) * (BAR_HEIGHT + GAP) + GAP
    width = LABEL_WIDTH + PLOT_WIDTH + VALUE_WIDTH
    said = "; ".join(f"{b.label}: {b.value}{unit}" + (f" ({b.note})" if b.note else "")
                     for b in bars)
    parts = [f'<svg id="{escape(chart_id)}" class="chart" role="img" '
             f'viewBox="0 0 {width} {height}" width="100%" '
             f'aria-labelledby="{escape(chart_id)}-t {escape(chart_id)}-d" '
             f'xmlns="http://www.w3.org/2000/svg">',
             f'<title id="{escape(chart_id)}-t">{escape(title)}</title>',
             f'<desc id="{escape(chart_id)}-d">{escape(said)}</desc>']
    for i, bar in enumerate(bars):
        y = GAP + i * (BAR_HEIGHT + GAP)
        length = round(PLOT_WIDTH * bar.value / top, 1)
        words = f"{bar.label}: {bar.value}{unit}" + (f" ({bar.note})" if bar.note else "")
        parts.append(
            f'<text x="{LABEL_WIDTH - 6}" y="{y + BAR_HEIGHT * 0.68:.0f}" text-anchor="end" '
            f'aria-hidden="true">{escape(bar.label)}</text>'
            f'<rect class="{"bar flagged" if bar.flagged else "bar"}" x="{LABEL_WIDTH}" '
            f'y="{y}" width="{length}" '
            f'height="{BAR_HEIGHT}" data-key="{escape(bar.key)}" '
            f'data-label="{escape(bar.label)}" '
            f'data-value="{bar.value}"><title>{escape(words)}</title></rect>'
            f'<text x="{LABEL_WIDTH + length + 6}" y="{y + BAR_HEIGHT * 0.68:.0f}" '
            f'aria-hidden="true">{bar.value}{escape(unit)}</text>')
        if bar.marker is not None:
            x = LABEL_WIDTH + round(PLOT_WIDTH * bar.marker / top, 1)
            parts.append(f'<line class="marker" x1="{x}" x2="{x}" y1="{y - 3}" '
                         f'y2="{y + BAR_HEIGHT + 3}" aria-hidden="true"/>')
    parts.append("</svg>")
    return Markup("".join(parts))


@dataclass(frozen=True)
class Segment:
    key: str
    """What the segment counts, for a machine (``data-key``) and the colour (its class)."""
    label: str
    value: int


@dataclass(frozen=True)
class Stack:
    label: str
    segments: Sequence[Segment]
    note: str = ""
    """Said after the values (e.g. a flag), in words."""
    flagged: bool = False


def stacked_bar_chart(chart_id: str, title: str, stacks: Sequence[Stack]) -> Markup:
    """Horizontal bars of equal length, one per item, each split into its segments by
    their share of the item's total (how many exceeded, met or missed an indicator)."""
    height = len(stacks) * (BAR_HEIGHT + GAP) + GAP
    width = LABEL_WIDTH + PLOT_WIDTH + VALUE_WIDTH

    def words(stack: Stack) -> str:
        said = ", ".join(f"{s.label} {s.value}" for s in stack.segments)
        return f"{stack.label}: {said}" + (f" ({stack.note})" if stack.note else "")

    parts = [f'<svg id="{escape(chart_id)}" class="chart" role="img" '
             f'viewBox="0 0 {width} {height}" width="100%" '
             f'aria-labelledby="{escape(chart_id)}-t {escape(chart_id)}-d" '
             f'xmlns="http://www.w3.org/2000/svg">',
             f'<title id="{escape(chart_id)}-t">{escape(title)}</title>',
             f'<desc id="{escape(chart_id)}-d">{escape("; ".join(map(words, stacks)))}</desc>']
    for i, stack in enumerate(stacks):
        y = GAP + i * (BAR_HEIGHT + GAP)
        total = sum(s.value for s in stack.segments)
        label = stack.label if len(stack.label) <= 45 else stack.label[:44] + "…"
        parts.append(
            f'<text x="{LABEL_WIDTH - 6}" y="{y + BAR_HEIGHT * 0.68:.0f}" text-anchor="end" '
            f'class="{"flagged" if stack.flagged else ""}" aria-hidden="true">'
            f'{escape(label)}</text>')
        x = float(LABEL_WIDTH)
        for segment in stack.segments:
            length = round(PLOT_WIDTH * segment.value / total, 1) if total else 0.0
            parts.append(
                f'<rect class="bar {escape(segment.key)}" x="{x:.1f}" y="{y}" '
                f'width="{length}" height="{BAR_HEIGHT}" data-key="{escape(segment.key)}" '
                f'data-label="{escape(stack.label)}" data-value="{segment.value}">'
                f'<title>{escape(words(stack))}</title></rect>')
            x += length
        parts.append(f'<text x="{LABEL_WIDTH + PLOT_WIDTH + 6}" '
                     f'y="{y + BAR_HEIGHT * 0.68:.0f}" aria-hidden="true">{total}</text>')
    parts.append("</svg>")
    return Markup("".join(parts))
