"""Urgency detection: is a headline flash, urgent or normal, and what is it without its marker?

Levels (see :class:`bot.domain.Urgency`):

* **flash** — the loudest: ``Flash``, ``فلاش``, ``عاجل جدا`` / ``عاجل جداً``, ``خبر عاجل جدا``,
  ``BREAKING FLASH``. Outlets use these for the few minutes of a major event;
* **urgent** — ``عاجل``, ``خبر عاجل``, ``عاجل الآن``, ``Breaking``, ``Breaking News``, ``URGENT``,
  ``Just in``, ``News Alert``;
* **normal** — everything else.

Where a marker may be (the *only* places, so that prose never triggers):

1. a bracketed group at the start or the end: ``[عاجل] …``, ``(Breaking) …``, ``… «عاجل»``;
2. a segment at the start ended by a separator (``| : - – — ، . / •``), or at the end after one:
   ``عاجل | …``, ``Breaking: …``, ``… - عاجل``;
3. at the start with no separator, only if the whole marker is followed by more words and it is
   Arabic (an Arabic adjective follows its noun, so a headline *starting* with ``عاجل`` is a marker) or
   written in capitals (``BREAKING Storm hits…``; but ``Breaking Bad returns`` is prose).

Leading emoji and symbols (``🔴 عاجل | …``) are skipped. Matching is on :func:`bot.news.arabic.normalize`
so tashkeel, tatweel, case and hamza forms do not matter; ``عاجلة`` (another word) never matches.

Categories (``<category>Breaking News</category>``) and flags (CSS classes ``urgent``/``breaking``, a
JSON ``breaking: true`` field) set the level too. The result is the highest level any signal gives.
A *category* that is only the bare word ``flash``/``فلاش`` is a topic tag (Adobe Flash, flash memory,
flash floods — seen on a real feed: "Begin migrating from Flash to HTML5 ads" tagged ``flash``), not a
desk's alert, so it raises nothing; ``Flash News``/``News Flash`` still do, and so does a per-source
marker that names the word explicitly. A false urgent push costs as much as a miss.
A source can add markers or override a default (map a marker to ``normal`` to disable it) through
``SourceSpec.urgency_markers``.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Mapping

from bot.domain import Urgency
from bot.news.arabic import normalize

DEFAULT_MARKERS: Mapping[str, Urgency] = {
    normalize(k): v
    for k, v in {
        "عاجل": Urgency.URGENT,
        "خبر عاجل": Urgency.URGENT,
        "أخبار عاجلة": Urgency.URGENT,
        "عاجل الآن": Urgency.URGENT,
        "breaking": Urgency.URGENT,
        "breaking news": Urgency.URGENT,
        "urgent": Urgency.URGENT,
        "just in": Urgency.URGENT,
        "news alert": Urgency.URGENT,
        "عاجل جدا": Urgency.FLASH,
        "خبر عاجل جدا": Urgency.FLASH,
        "فلاش": Urgency.FLASH,
        "flash": Urgency.FLASH,
        "news flash": Urgency.FLASH,
        "breaking flash": Urgency.FLASH,
    }.items()
}

# Category values and flag words that raise the level (matched normalised, whole value / whole word).
DEFAULT_SIGNALS: Mapping[str, Urgency] = {
    **DEFAULT_MARKERS,
    "urgent": Urgency.URGENT,
    "breaking": Urgency.URGENT,
    "is breaking": Urgency.URGENT,
    "is urgent": Urgency.URGENT,
    "urgent news": Urgency.URGENT,
    "breaking item": Urgency.URGENT,
    "is flash": Urgency.FLASH,
    "flash news": Urgency.FLASH,
    "عاجل": Urgency.URGENT,
    "عاجله": Urgency.URGENT,  # "أخبار عاجلة" as a category name
    "اخبار عاجله": Urgency.URGENT,
    "flash": Urgency.FLASH,
    "فلاش": Urgency.FLASH,
}

AMBIGUOUS_CATEGORY_WORDS = frozenset(normalize(w) for w in ("flash", "فلاش"))
"""Marker words that, as a whole *category* value, usually name a topic rather than an alert."""

_SEPARATORS = "|:-–—،.;/•·»>\u061b"  # \u061b Arabic semicolon
_SEP_CLASS = "[" + re.escape(_SEPARATORS) + "]"
# Brackets that can hold a marker. Quotes are not brackets: '"Urgent" call for aid' is prose.
_BRACKET_START = re.compile(r"^\s*[\[(«【〔]([^\[\]()«»【】〔〕]{1,30})[\])»】〕]\s*" + _SEP_CLASS + r"*\s*")
_BRACKET_END = re.compile(r"\s*" + _SEP_CLASS + r"*\s*[\[(«【〔]([^\[\]()«»【】〔〕]{1,30})[\])»】〕]\s*$")
_SEGMENT_START = re.compile(r"^([^" + re.escape(_SEPARATORS) + r"]{1,30}?)\s*" + _SEP_CLASS + r"+\s*")
_SEGMENT_END = re.compile(
    r"\s*"
    + _SEP_CLASS
    + r"+\s*([^"
    + re.escape(_SEPARATORS)
    + r"]{1,30}?)[\s"
    + re.escape(_SEPARATORS)
    + r"]*$"
)


def _skip_leading_symbols(title: str) -> tuple[str, str]:
    """Split off leading emoji/symbols/space (``🔴 ``) so the marker check sees the first word."""
    i = 0
    while i < len(title):
        ch = title[i]
        cat = unicodedata.category(ch)
        if ch.isspace() or cat in ("So", "Sk", "Sm", "Cf", "Mn") or ch in "\u200d\ufe0f":
            i += 1
            continue
        break
    return title[:i], title[i:]


def merge_markers(extra: Mapping[str, str] | None) -> dict[str, Urgency]:
    """Defaults plus per-source markers (``{"marker": "flash"|"urgent"|"normal"}``), normalised."""
    merged = dict(DEFAULT_MARKERS)
    for marker, level in (extra or {}).items():
        key = normalize(marker)
        if key:
            merged[key] = Urgency(level)
    return merged


def _marker_level(segment: str, markers: Mapping[str, Urgency]) -> Urgency | None:
    key = normalize(segment)
    return markers.get(key) if key else None


def _bare_start(rest: str, markers: Mapping[str, Urgency]) -> tuple[Urgency, str] | None:
    """A marker at the start with no separator: Arabic markers, or Latin ones written in capitals."""
    words = rest.split()
    for n in (3, 2, 1):  # longest marker first: "عاجل جدا" before "عاجل"
        if len(words) <= n:
            continue
        head = " ".join(words[:n])
        level = _marker_level(head, markers)
        if level is None:
            continue
        letters = [c for c in head if c.isalpha()]
        latin = any("a" <= c.lower() <= "z" for c in letters)
        if latin and not all(c.isupper() for c in letters if "a" <= c.lower() <= "z"):
            return None
        if latin:
            # "BREAKING BAD RETURNS" (all caps headline) is not a marker either.
            following = [c for c in " ".join(words[n:]) if c.isalpha()]
            if following and all(c.isupper() for c in following):
                return None
        return level, " ".join(words[n:])
    return None


def strip_marker(title: str, markers: Mapping[str, Urgency]) -> tuple[Urgency, str]:
    """Find one marker at the start and/or end of ``title``; return its level and the remainder."""
    level = Urgency.NORMAL
    prefix, rest = _skip_leading_symbols(title)
    whole = _marker_level(rest, markers)
    if whole is not None:  # the title is nothing but a marker: keep it as the headline
        return whole, title.strip()
    found = False

    m = _BRACKET_START.match(rest) or _SEGMENT_START.match(rest)
    if m and (lvl := _marker_level(m.group(1), markers)) is not None:
        level, rest, found = lvl, rest[m.end() :], True
    elif (bare := _bare_start(rest, markers)) is not None:
        level, rest = bare
        found = True
    start_found = found

    m = _BRACKET_END.search(rest) or _SEGMENT_END.search(rest)
    if m and (lvl := _marker_level(m.group(1), markers)) is not None:
        if lvl.rank > level.rank or not found:
            level = lvl
        rest = rest[: m.start()]
        found = True

    if not found:
        return Urgency.NORMAL, title
    remainder = rest.strip().strip(_SEPARATORS).strip()
    if not any(c.isalnum() for c in remainder):
        return level, title.strip()
    if not start_found:
        # The leading emoji only belongs to a marker at the start ("🔴 عاجل | …"); otherwise keep it.
        remainder = (prefix + remainder).strip()
    return level, remainder


def _signal_level(values: Iterable[str], signals: Mapping[str, Urgency]) -> Urgency:
    """Highest level named by a whole category/flag value (``is-breaking`` ~ ``is breaking``).

    Whole values only: a CSS class ``flash-sale`` or a category ``Weather alerts`` must not shout.
    """
    best = Urgency.NORMAL
    for value in values:
        lvl = signals.get(normalize(value))
        if lvl is not None and lvl.rank > best.rank:
            best = lvl
    return best


def detect(
    title: str,
    *,
    categories: Iterable[str] = (),
    flags: Iterable[str] = (),
    markers: Mapping[str, str] | None = None,
) -> tuple[Urgency, str]:
    """Return the urgency of a headline and the headline without its marker.

    ``markers`` are per-source additions/overrides, ``{"marker text": "flash"|"urgent"|"normal"}``.
    A marker-only title (``"عاجل"``) keeps its original text as headline.
    """
    merged = merge_markers(markers)
    level, headline = strip_marker(title, merged)
    signals = {**DEFAULT_SIGNALS, **merged}
    explicit = {normalize(m) for m in (markers or {})}
    category_signals = {
        k: v for k, v in signals.items() if k not in AMBIGUOUS_CATEGORY_WORDS or k in explicit
    }
    for extra in (
        _signal_level(categories, category_signals),
        _signal_level(flags, signals),
    ):
        if extra.rank > level.rank:
            level = extra
    return level, headline
