"""Helpers shared by the parsers: dates, links, JSON-ish values, item assembly.

All of it is pure. Dates come back timezone-aware UTC or ``None`` (never a guess dressed as a fact:
a value that does not parse is dropped, not replaced by "now"). Naive timestamps are taken as UTC,
the project-wide convention (:func:`bot.clock.as_utc`).
"""

from __future__ import annotations

import email.utils
import re
from collections.abc import Iterable
from datetime import UTC, datetime
from urllib.parse import urljoin, urlsplit

from bot.clock import as_utc
from bot.domain import ParsedItem
from bot.news.text import clean_text

MAX_SUMMARY_CHARS = 2000
FALLBACK_TITLE_CHARS = 200
_MIN_YEAR, _MAX_YEAR = 1990, 2100

_DIGITS = str.maketrans("٠١٢٣٤٥٦٧٨٩۰۱۲۳۴۵۶۷۸۹", "01234567890123456789")
_DMY_RE = re.compile(
    r"(?P<d>\d{1,2})[/.-](?P<m>\d{1,2})[/.-](?P<y>\d{4})(?:\D{1,5}(?P<H>\d{1,2}):(?P<M>\d{2})(?::(?P<S>\d{2}))?)?"
)


def _sane(value: datetime) -> datetime | None:
    value = as_utc(value)
    return value if _MIN_YEAR <= value.year <= _MAX_YEAR else None


def parse_datetime(value: object) -> datetime | None:
    """Parse ISO 8601, RFC 2822, ``dd/mm/yyyy[ - HH:MM]`` (Arabic sites) or epoch seconds/millis."""
    if value is None or isinstance(value, bool):
        return None
    if isinstance(value, int | float):
        seconds = float(value) / 1000 if value > 10**11 else float(value)
        try:
            return _sane(datetime.fromtimestamp(seconds, tz=UTC))
        except (OverflowError, OSError, ValueError):
            return None
    if not isinstance(value, str):
        return None
    text = clean_text(value).translate(_DIGITS)
    if not text:
        return None
    if text.isdigit():
        return parse_datetime(int(text))
    try:
        return _sane(datetime.fromisoformat(text.replace("Z", "+00:00")))
    except ValueError:
        pass
    try:
        return _sane(email.utils.parsedate_to_datetime(text))
    except (TypeError, ValueError, IndexError):
        pass
    m = _DMY_RE.search(text)
    if m:
        try:
            return _sane(
                datetime(
                    int(m["y"]),
                    int(m["m"]),
                    int(m["d"]),
                    int(m["H"] or 0),
                    int(m["M"] or 0),
                    int(m["S"] or 0),
                    tzinfo=UTC,
                )
            )
        except ValueError:
            return None
    return None


def resolve_link(base: str, href: str | None) -> str | None:
    """Absolute http(s) URL for ``href`` relative to ``base``; other schemes (javascript:, mailto:) → None."""
    if not href:
        return None
    href = clean_text(href)
    if not href or href.startswith("#"):
        return None
    try:
        absolute = urljoin(base, href)
        parts = urlsplit(absolute)
    except ValueError:
        return None
    if parts.scheme not in ("http", "https") or not parts.hostname:
        return None
    return absolute


def fallback_title(summary: str) -> str:
    """A headline from a summary when an item has none (RSS allows title-less items)."""
    if len(summary) <= FALLBACK_TITLE_CHARS:
        return summary
    cut = summary[:FALLBACK_TITLE_CHARS]
    if " " in cut:
        cut = cut.rsplit(" ", 1)[0]
    return cut + "…"


def clip_summary(summary: str) -> str | None:
    if not summary:
        return None
    return summary if len(summary) <= MAX_SUMMARY_CHARS else summary[: MAX_SUMMARY_CHARS - 1] + "…"


def unique_strings(values: Iterable[str]) -> tuple[str, ...]:
    """Cleaned, non-empty, first-occurrence order."""
    out: list[str] = []
    for value in values:
        v = clean_text(value)
        if v and v not in out:
            out.append(v)
    return tuple(out)


def dedupe_items(items: Iterable[ParsedItem]) -> list[ParsedItem]:
    """Drop exact repeats within one page (tickers clone their list for a seamless scroll)."""
    seen: set[tuple[str, str | None, str | None]] = set()
    out: list[ParsedItem] = []
    for item in items:
        key = (item.title, item.url, item.guid)
        if key not in seen:
            seen.add(key)
            out.append(item)
    return out
