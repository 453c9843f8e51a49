"""RSS 0.9x/1.0/2.0 and Atom 0.3/1.0 through feedparser.

Design:

* **Bytes in, decided once.** :func:`bot.sources.encoding.feed_bytes_for_feedparser` decodes by our
  order of trust and hands feedparser UTF-8 bytes with a matching declaration and header, so
  feedparser's RFC 3023 guesses (``text/xml`` → us-ascii) never override ours.
* **Never a path.** feedparser treats a ``bytes``/``str`` argument that names an existing file as that
  file (``feedparser.parse(b"/etc/passwd")`` reads it): a hostile server could make us parse local
  files. We always pass a file object.
* **Entities.** Before parsing, a DOCTYPE whose internal subset declares external (``SYSTEM``/
  ``PUBLIC``), parameter (``%``) or nested (a value referencing ``&other;``) entities is refused: those
  are the XXE and billion-laughs shapes and no news feed needs them. feedparser itself also strips
  unsafe entity declarations (checked in the tests); this guard does not depend on that.
* **Bozo.** Ill-formed feeds from which feedparser's loose parser still recovers entries are accepted
  (the bozo reason is logged); ill-formed with no entries, or not a feed at all (an HTML page, a
  redirect notice) → :class:`~bot.exceptions.ParseError`. A well-formed feed with no items is ``[]``.
* **Text.** feedparser has already done the one XML unescape. A title feedparser marks as plain text
  is taken as is; a title marked HTML is rendered only when it holds real tags (Google Alerts'
  ``<b>…</b>``, Craigslist's ``<sup>``) — so ``AT&amp;amp;T`` stays ``AT&amp;T`` (see
  :mod:`bot.news.text`).
"""

from __future__ import annotations

import io
import logging
import re
from datetime import UTC, datetime
from typing import Any

import feedparser

from bot.domain import FetchedPage, ParsedItem
from bot.exceptions import ParseError
from bot.news.text import clean_text, text_or_html
from bot.sources.encoding import feed_bytes_for_feedparser, maybe_inflate
from bot.sources.parsers._common import (
    clip_summary,
    dedupe_items,
    fallback_title,
    resolve_link,
    unique_strings,
)
from bot.sources.spec import SourceSpec

log = logging.getLogger(__name__)

_PROLOG_LIMIT = 64_000
_ENTITY_DECL_RE = re.compile(rb"<!ENTITY\s+(%\s*)?[^\s>]+\s+(SYSTEM|PUBLIC|[\"'])", re.I)
_ENTITY_VALUE_RE = re.compile(rb"<!ENTITY\s+[^\s>%]+\s+([\"'])(.*?)\1", re.I | re.S)
_HTML_HINT_RE = re.compile(rb"<(html|head|body|!doctype\s+html)\b", re.I)


def check_entities(data: bytes, source: str) -> None:
    """Refuse DOCTYPEs declaring external, parameter or nested entities (XXE / billion laughs)."""
    head = data[:_PROLOG_LIMIT]
    first_element = re.search(rb"<[A-Za-z]", head)
    prolog = head[: first_element.start()] if first_element else head
    if b"<!ENTITY" not in prolog.upper():
        return
    for m in _ENTITY_DECL_RE.finditer(prolog):
        if m.group(1) or m.group(2).upper() in (b"SYSTEM", b"PUBLIC"):
            raise ParseError(source, "feed declares an external or parameter entity (refused: XXE guard)")
    for m in _ENTITY_VALUE_RE.finditer(prolog):
        if b"&" in m.group(2) and re.search(rb"&[A-Za-z_][\w.-]*;", m.group(2)):
            raise ParseError(source, "feed declares nested entities (refused: entity-expansion guard)")


def _struct_to_utc(struct: Any) -> datetime | None:
    """feedparser's ``*_parsed`` tuples are UTC; build the datetime directly (no local-time detour)."""
    if not struct:
        return None
    try:
        y, mo, d, h, mi, s = (int(v) for v in tuple(struct)[:6])
        value = datetime(y, mo, d, h, mi, s, tzinfo=UTC)
    except (ValueError, TypeError):
        return None
    return value if 1990 <= value.year <= 2100 else None


def _text_construct(entry: Any, key: str) -> str:
    detail = entry.get(f"{key}_detail") or {}
    value = entry.get(key)
    if not isinstance(value, str):
        return ""
    if detail.get("type") == "text/plain":
        return clean_text(value)
    return text_or_html(value)


def _entry_to_item(entry: Any, base: str) -> ParsedItem | None:
    title = _text_construct(entry, "title")
    summary = _text_construct(entry, "summary")
    if not title:
        if not summary:
            return None
        title = fallback_title(summary)
    link = resolve_link(base, entry.get("link"))
    guid_raw = entry.get("id")
    guid = clean_text(guid_raw) if isinstance(guid_raw, str) else None
    published = None
    for key in ("published_parsed", "updated_parsed", "created_parsed"):
        # dict.get: FeedParserDict.get maps missing keys to others (with a DeprecationWarning).
        published = _struct_to_utc(dict.get(entry, key))
        if published is not None:
            break
    tags = entry.get("tags") or []
    categories = unique_strings(t.get("term") or t.get("label") or "" for t in tags if isinstance(t, dict))
    return ParsedItem(
        title=title,
        url=link,
        guid=guid or None,
        published_at=published,
        summary=clip_summary(summary),
        categories=categories,
    )


def parse_feed(spec: SourceSpec, page: FetchedPage) -> list[ParsedItem]:
    """Parse an RSS/Atom body into items (see module docstring for the rules)."""
    try:
        raw = maybe_inflate(page.body)
    except ValueError as e:
        raise ParseError(spec.name, str(e)) from e
    if not raw.strip():
        raise ParseError(spec.name, "empty body")
    data, codec = feed_bytes_for_feedparser(raw, page.content_type, language=spec.language)
    check_entities(data, spec.name)
    base = page.final_url or page.url
    parsed = feedparser.parse(
        io.BytesIO(data),
        response_headers={"content-type": "application/xml; charset=utf-8", "content-location": base},
        # We only ever read text out of entries (rendered by bot.news.text) and resolve the entry link
        # ourselves, so feedparser's HTML sanitiser and URI rewriting — most of its run time on feeds
        # with full-content items — would be pure cost.
        resolve_relative_uris=False,
        sanitize_html=False,
    )
    entries = list(parsed.get("entries") or [])
    bozo_reason = str(parsed.get("bozo_exception") or "") if parsed.get("bozo") else ""
    version = parsed.get("version") or ""
    if not entries:
        if _HTML_HINT_RE.search(data[:4096]) and not version:
            raise ParseError(spec.name, "not a feed: the body is an HTML page")
        if not version:
            raise ParseError(spec.name, f"not an RSS/Atom feed ({bozo_reason or 'no feed root element'})")
        if bozo_reason:
            raise ParseError(spec.name, f"malformed feed, no items recovered: {bozo_reason}")
        return []
    if bozo_reason:
        log.info(
            "source %s: ill-formed feed (%s), %d entries recovered", spec.name, bozo_reason, len(entries)
        )
    items = [item for entry in entries if (item := _entry_to_item(entry, base)) is not None]
    if not items:
        prefix = f"malformed feed ({bozo_reason}): " if bozo_reason else ""
        raise ParseError(spec.name, f"{prefix}{len(entries)} entries but none has a title or description")
    log.debug("source %s: %d items (encoding %s, %s)", spec.name, len(items), codec, version or "?")
    return dedupe_items(items)
