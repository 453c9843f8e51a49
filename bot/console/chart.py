"""A small inline SVG bar chart (deliveries per hour) — a pure function, no script, no library.

The SVG carries ``role="img"`` and a ``<title>``/``<desc>`` for screen readers, plus one
``<title>`` per bar (its hour and counts) as a tooltip; colours meet WCAG contrast on white.
"""

from __future__ import annotations

from collections.abc import Sequence
from html import escape
from zoneinfo import ZoneInfo

from bot.console.readmodels import HourBucket

WIDTH = 480
HEIGHT = 140
PAD = 20
SENT_COLOUR = "#1d5e9e"
FAILED_COLOUR = "#b3261e"


def deliveries_svg(buckets: Sequence[HourBucket], *, title: str, desc: str, tz: ZoneInfo) -> str:
    """Stacked bars (sent, failed) per hour; the y axis is scaled to the busiest hour."""
    peak = max((b.sent + b.failed for b in buckets), default=0) or 1
    n = max(len(buckets), 1)
    slot = (WIDTH - 2 * PAD) / n
    bar = max(slot - 2, 1)
    usable = HEIGHT - 2 * PAD
    parts = [
        f'<svg class="chart" viewBox="0 0 {WIDTH} {HEIGHT}" role="img" aria-labelledby="chart-t chart-d" '
        f'xmlns="http://www.w3.org/2000/svg" preserveAspectRatio="xMidYMid meet">',
        f'<title id="chart-t">{escape(title)}</title><desc id="chart-d">{escape(desc)}</desc>',
        f'<line x1="{PAD}" y1="{HEIGHT - PAD}" x2="{WIDTH - PAD}" y2="{HEIGHT - PAD}" stroke="#555"/>',
        f'<text x="{PAD}" y="{PAD - 6}" font-size="10" fill="#333">{peak}</text>',
    ]
    for i, b in enumerate(buckets):
        x = PAD + i * slot + 1
        sent_h = usable * b.sent / peak
        failed_h = usable * b.failed / peak
        hour = b.start.astimezone(tz).strftime("%H:00")
        label = escape(f"{hour}: {b.sent} / {b.failed}")
        y_sent = HEIGHT - PAD - sent_h
        parts.append(f"<g><title>{label}</title>")
        if b.sent:
            parts.append(
                f'<rect x="{x:.1f}" y="{y_sent:.1f}" width="{bar:.1f}" height="{sent_h:.1f}" '
                f'fill="{SENT_COLOUR}"/>'
            )
        if b.failed:
            parts.append(
                f'<rect x="{x:.1f}" y="{y_sent - failed_h:.1f}" width="{bar:.1f}" height="{failed_h:.1f}" '
                f'fill="{FAILED_COLOUR}"/>'
            )
        parts.append("</g>")
        if i % 6 == 0:
            parts.append(
                f'<text x="{x:.1f}" y="{HEIGHT - PAD + 12}" font-size="10" fill="#333">{escape(hour)}</text>'
            )
    parts.append("</svg>")
    return "".join(parts)


__all__ = ["deliveries_svg"]
