"""RSS 0.9x/1.0/2.0 and Atom 0.3/1.0 through feedparser.

Design:

* **Bytes in, decided once.** :func:`bot.sources.encoding.feed_bytes_for_feedparser` decodes by our
  order of trust and hands feedparser UTF-8 bytes with a matching declaration and header, so
  feedparser's RFC 3023 guesses (``text/xml`` → us-ascii) never override ours.
* **Never a path.** feedparser treats a ``bytes``/``str`` argument that names an existing file as that
  file (``feedparser.parse(b"/etc/passwd")`` reads it): a hostile server could make us parse local
  files. We always pass a file object.
* **Entities: two independent guards before feedparser sees a byte.**

  1. :func:`check_entities` scans the *whole* document (no prefix limit: a DOCTYPE pushed past any
     window is still found) with a linear tokeniser that skips comments, CDATA and processing
     instructions, and refuses **every** entity declaration (``<!ENTITY``), however its value is
     written — plain, parameter (``%``), external (``SYSTEM``/``PUBLIC``) or nested through
     character references (``&#38;lol;`` becomes ``&lol;`` when declared). Every entity declaration
     needs a literal ``<!ENTITY`` in the markup, so refusing them all is complete; no news feed
     declares entities. An external DTD reference without an internal subset (RSS 0.91's Netscape
     DOCTYPE) is harmless and accepted: nothing fetches it.
  2. :func:`hardened_parse` parses the document with ``defusedxml`` (entities and external
     references forbidden; a well-kept library, not our regexes). A refusal there is a
     :class:`~bot.exceptions.ParseError`; a document that is merely ill-formed goes on to feedparser,
     whose loose parser recovers what it can (see *Bozo*).

  So memory stays bounded by the body cap: nothing is ever expanded (measured in the tests).
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

import defusedxml
import feedparser
from defusedxml import ElementTree as DefusedET

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

_HTML_HINT_RE = re.compile(rb"<(html|head|body|!doctype\s+html)\b", re.I)
_EXTERNAL_RE = re.compile(rb"<!ENTITY\s+(?:%|[^\s>]+\s+(?:SYSTEM|PUBLIC)\b)", re.I)


def check_entities(data: bytes, source: str) -> None:
    """Refuse any entity declaration anywhere in the markup (XXE / billion laughs), in linear time.

    Comments, CDATA sections and processing instructions are skipped (an article *about* XXE may
    quote ``<!ENTITY`` in a CDATA); everything else is markup, so a declaration cannot hide.
    """
    pos = data.find(b"<")
    while pos != -1:
        if data.startswith(b"<!--", pos):
            end = data.find(b"-->", pos + 4)
            if end == -1:
                return
            pos = data.find(b"<", end + 3)
            continue
        if data.startswith(b"<![CDATA[", pos):
            end = data.find(b"]]>", pos + 9)
            if end == -1:
                return
            pos = data.find(b"<", end + 3)
            continue
        if data.startswith(b"<?", pos):
            end = data.find(b"?>", pos + 2)
            if end == -1:
                return
            pos = data.find(b"<", end + 2)
            continue
        if data[pos : pos + 8].upper() == b"<!ENTITY":
            if _EXTERNAL_RE.match(data, pos):
                raise ParseError(source, "feed declares an external or parameter entity (refused: XXE guard)")
            raise ParseError(source, "feed declares entities (refused: entity-expansion guard)")
        pos = data.find(b"<", pos + 1)


def hardened_parse(data: bytes, source: str) -> None:
    """Parse with defusedxml first: entity or external-reference tricks are refused, ill-formed is not.

    Why both this and :func:`check_entities`: defence in depth with a maintained parser that knows
    expat's corners; feedparser then parses the same bytes (its loose mode recovers broken feeds).
    """
    try:
        DefusedET.fromstring(data, forbid_dtd=False, forbid_entities=True, forbid_external=True)
    except defusedxml.DefusedXmlException as e:
        raise ParseError(source, f"feed refused by the hardened XML parser: {type(e).__name__}") from e
    except DefusedET.ParseError:
        return  # ill-formed: feedparser's loose parser decides (see "Bozo")


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
    hardened_parse(data, spec.name)
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
