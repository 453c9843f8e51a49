"""Rendering an extracted article as Telegram HTML messages, and paging through them.

Design
------
An article becomes a list of *units* — title (bold), source line, dateline, lead (italic), each
paragraph, and a link to the original — each kept as **plain text plus a wrapper tag**. All splitting
happens on the plain text, *before* escaping and wrapping, so:

* a tag is never cut: every message is a sequence of whole ``<b>…</b>``/``<i>…</i>``/``<a>…</a>``
  units, each valid Telegram HTML on its own;
* lengths are exact: the length Telegram checks (text *after* entity parsing) is the plain text's
  length, counted here in UTF-16 code units — never less than code points, so the check is safe
  under either reading of the limit.

Units are packed greedily into messages at unit (paragraph) boundaries, separated by a blank line.
A unit longer than a whole message is split at sentence ends (``. ! ? ؟ …``), then at spaces, then
— only for a single "word" longer than a message — at code points. Every message is at most
``limit`` (4096) visible characters *including* the "page k/n" marker, which is added when there is
more than one message. Everything from the page is escaped with ``html_decoration.quote``; the URL in
``href`` with ``html.escape(quote=True)``.

:func:`paginate` serves a "next page" button flow: page numbers are 1-based and clamped, so a stale
button never fails.
"""

from __future__ import annotations

import html
import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

from aiogram.utils.text_decorations import html_decoration

from bot.articles.extract import ExtractedArticle

__all__ = [
    "TELEGRAM_TEXT_LIMIT",
    "ArticlePage",
    "paginate",
    "render_article",
    "split_text",
    "visible_length",
]

TELEGRAM_TEXT_LIMIT = 4096
_SEPARATOR = "\n\n"
_SENTENCE_END = re.compile(r"(?<=[.!?؟…。])\s+|(?<=[.!?؟…][\"'»”)])\s+")
_WORD_GAP = re.compile(r"(?<=\S)\s+")

Wrap = Literal["b", "i", "plain", "link"]

_LABELS: dict[str, dict[str, str]] = {
    "ar": {"source": "المصدر", "page": "صفحة", "original": "الخبر على موقع المصدر"},
    "en": {"source": "Source", "page": "Page", "original": "Read on the source's site"},
}


def visible_length(text: str) -> int:
    """Length of plain ``text`` in UTF-16 code units (what Telegram's entity offsets count)."""
    return len(text.encode("utf-16-le")) // 2


def _cut_codepoints(text: str, limit: int) -> list[str]:
    pieces: list[str] = []
    current: list[str] = []
    size = 0
    for ch in text:
        width = 2 if ord(ch) > 0xFFFF else 1
        if size + width > limit and current:
            pieces.append("".join(current))
            current, size = [], 0
        current.append(ch)
        size += width
    if current:
        pieces.append("".join(current))
    return pieces


def _pack(parts: Sequence[str], limit: int, joiner: str, fallback: int) -> list[str]:
    """Greedily join ``parts`` with ``joiner`` into pieces of at most ``limit`` code units.

    A part that alone exceeds ``limit`` is split with the next finer rule (``fallback`` level).
    """
    pieces: list[str] = []
    current = ""
    for part in parts:
        if visible_length(part) > limit:
            if current:
                pieces.append(current)
                current = ""
            pieces.extend(_split(part, limit, fallback))
            continue
        candidate = f"{current}{joiner}{part}" if current else part
        if visible_length(candidate) <= limit:
            current = candidate
        else:
            pieces.append(current)
            current = part
    if current:
        pieces.append(current)
    return pieces


def _split(text: str, limit: int, level: int) -> list[str]:
    if visible_length(text) <= limit:
        return [text]
    if level == 0:
        return _pack([s for s in _SENTENCE_END.split(text) if s], limit, " ", 1)
    if level == 1:
        return _pack([w for w in _WORD_GAP.split(text) if w], limit, " ", 2)
    return _cut_codepoints(text, limit)


def split_text(text: str, limit: int) -> list[str]:
    """Split plain ``text`` into pieces of at most ``limit`` UTF-16 units: sentences, words, code points."""
    if limit < 1:
        raise ValueError("limit must be positive")
    text = text.strip()
    return [p.strip() for p in _split(text, limit, 0) if p.strip()] if text else []


@dataclass(frozen=True, slots=True)
class _Unit:
    text: str  # plain, unescaped
    wrap: Wrap
    href: str | None = None

    def html(self) -> str:
        quoted = html_decoration.quote(self.text)
        if self.wrap == "b":
            return f"<b>{quoted}</b>"
        if self.wrap == "i":
            return f"<i>{quoted}</i>"
        if self.wrap == "link" and self.href:
            return f'<a href="{html.escape(self.href, quote=True)}">{quoted}</a>'
        return quoted

    @property
    def length(self) -> int:
        return visible_length(self.text)


def _units(
    article: ExtractedArticle, *, source_name: str, url: str | None, labels: dict[str, str]
) -> list[_Unit]:
    units = [_Unit(article.title, "b")]
    source = source_name.strip()
    if article.byline and article.byline.strip() and article.byline.strip() != source:
        source = f"{source} / {article.byline.strip()}" if source else article.byline.strip()
    if source:
        units.append(_Unit(f"{labels['source']}: {source}", "plain"))
    if article.dateline:
        units.append(_Unit(article.dateline, "plain"))
    elif article.published is not None:
        units.append(_Unit(article.published.strftime("%Y-%m-%d %H:%M UTC"), "plain"))
    if article.lead:
        units.append(_Unit(article.lead, "i"))
    units.extend(_Unit(p, "plain") for p in article.paragraphs if p.strip())
    if url and url.startswith(("http://", "https://")):
        units.append(_Unit(labels["original"], "link", href=url))
    return units


def _marker(labels: dict[str, str], page: int, total: int) -> str:
    return f"{labels['page']} {page}/{total}"


def render_article(
    article: ExtractedArticle,
    *,
    source_name: str,
    url: str | None,
    lang: str,
    limit: int = TELEGRAM_TEXT_LIMIT,
) -> list[str]:
    """Telegram-HTML messages for ``article``, each at most ``limit`` visible characters.

    ``lang`` picks the labels ("ar" or "en"; anything else falls back to English).
    """
    labels = _LABELS.get(lang, _LABELS["en"])
    # Reserve room for the marker as if there were up to 9999 pages; it is exact once n is known.
    reserve = visible_length(_SEPARATOR + _marker(labels, 9999, 9999))
    budget = limit - reserve
    if budget < 16:
        raise ValueError(f"limit {limit} leaves no room for text")

    units: list[_Unit] = []
    for unit in _units(article, source_name=source_name, url=url, labels=labels):
        unit = _Unit(unit.text.strip(), unit.wrap, unit.href)
        if not unit.text:
            continue  # an empty <b></b> would be an empty entity; nothing to show anyway
        if unit.length <= budget:
            units.append(unit)
        else:
            units.extend(_Unit(piece, unit.wrap, unit.href) for piece in split_text(unit.text, budget))

    pages: list[list[_Unit]] = []
    current: list[_Unit] = []
    size = 0
    for unit in units:
        added = unit.length + (visible_length(_SEPARATOR) if current else 0)
        if current and size + added > budget:
            pages.append(current)
            current, size = [], 0
            added = unit.length
        current.append(unit)
        size += added
    if current:
        pages.append(current)

    total = len(pages)
    messages: list[str] = []
    for number, page in enumerate(pages, start=1):
        body = _SEPARATOR.join(u.html() for u in page)
        if total > 1:
            body += _SEPARATOR + html_decoration.quote(_marker(labels, number, total))
        messages.append(body)
    return messages


@dataclass(frozen=True, slots=True)
class ArticlePage:
    """One message of a rendered article, with what a "previous/next page" keyboard needs."""

    text: str
    number: int  # 1-based
    total: int

    @property
    def has_prev(self) -> bool:
        return self.number > 1

    @property
    def has_next(self) -> bool:
        return self.number < self.total

    @property
    def prev_page(self) -> int | None:
        return self.number - 1 if self.has_prev else None

    @property
    def next_page(self) -> int | None:
        return self.number + 1 if self.has_next else None


def paginate(messages: Sequence[str], page: int) -> ArticlePage:
    """Page ``page`` (1-based) of ``messages``; out-of-range numbers are clamped to the first/last page.

    Clamping rather than raising because page numbers come back from inline buttons, which can be stale
    (an article re-rendered shorter since the button was sent).
    """
    if not messages:
        raise ValueError("no messages to paginate")
    number = min(max(page, 1), len(messages))
    return ArticlePage(text=messages[number - 1], number=number, total=len(messages))
