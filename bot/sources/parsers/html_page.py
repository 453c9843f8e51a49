"""Listing/ticker pages read by CSS selectors (lxml.html + cssselect).

One ``item`` selector finds the entries; ``title``/``link``/``time``/``category`` selectors are relative
to each. Links resolve against the page's ``<base href>`` (itself resolved against the final URL after
redirects) or the final URL. Each item's CSS classes become :attr:`ParsedItem.flags`, and an item that
carries (or contains an element with) ``urgent_class`` also gets the flag ``urgent``.

An item selector that matches nothing is a :class:`~bot.exceptions.ParseError`: for a ticker that always
shows headlines, "nothing matched" means the site's layout changed, and the operator must hear of it.
"""

from __future__ import annotations

import re

import lxml.html  # type: ignore[import-untyped]
from cssselect import SelectorError
from lxml import etree

from bot.domain import FetchedPage, ParsedItem
from bot.exceptions import ParseError
from bot.news.text import html_to_text
from bot.sources.encoding import decode_body, maybe_inflate
from bot.sources.parsers._common import dedupe_items, parse_datetime, resolve_link, unique_strings
from bot.sources.spec import HtmlSelectors, SourceSpec

_XML_DECL_RE = re.compile(r"^\s*<\?xml[^>]*\?>")


def _element_text(el: lxml.html.HtmlElement) -> str:
    """Text of an element as a reader sees it (block boundaries become spaces)."""
    return html_to_text(lxml.html.tostring(el, encoding="unicode", with_tail=False))


def _first(el: lxml.html.HtmlElement, selector: str | None) -> lxml.html.HtmlElement | None:
    if not selector:
        return None
    found = el.cssselect(selector)
    return found[0] if found else None


def _classes(el: lxml.html.HtmlElement) -> list[str]:
    return (el.get("class") or "").split()


def _item(el: lxml.html.HtmlElement, sel: HtmlSelectors, base: str) -> ParsedItem | None:
    title_el = _first(el, sel.title) if sel.title else el
    if title_el is None:
        return None
    title = _element_text(title_el)
    if not title:
        return None

    if sel.link:
        link_el = _first(el, sel.link)
    elif el.tag == "a":
        link_el = el
    else:
        link_el = _first(el, "a[href]")
    href = None
    if link_el is not None:
        href = link_el.get("href")
        if href is None and link_el.tag != "a":
            inner = _first(link_el, "a[href]")
            href = inner.get("href") if inner is not None else None
    url = resolve_link(base, href)

    published = None
    time_el = _first(el, sel.time)
    if time_el is not None:
        published = parse_datetime(time_el.get("datetime") or time_el.get("title") or _element_text(time_el))

    categories: tuple[str, ...] = ()
    cat_el = _first(el, sel.category)
    if cat_el is not None:
        categories = unique_strings([_element_text(cat_el)])

    flags = list(unique_strings(_classes(el)))
    urgent = bool(sel.urgent_class) and (
        sel.urgent_class in flags or bool(el.cssselect("." + str(sel.urgent_class).replace(" ", ".")))
    )
    if urgent and "urgent" not in flags:
        flags.append("urgent")
    return ParsedItem(title=title, url=url, published_at=published, categories=categories, flags=tuple(flags))


def parse_html(spec: SourceSpec, page: FetchedPage) -> list[ParsedItem]:
    """Parse a listing page with the source's selectors."""
    sel = spec.html
    if sel is None:
        raise ParseError(spec.name, 'kind "html" needs [html] selectors')
    try:
        raw = maybe_inflate(page.body)
    except ValueError as e:
        raise ParseError(spec.name, str(e)) from e
    text, _codec = decode_body(raw, page.content_type, spec.kind, language=spec.language)
    text = _XML_DECL_RE.sub("", text, count=1).replace("\x00", "")
    if not text.strip():
        raise ParseError(spec.name, "empty body")
    try:
        doc = lxml.html.document_fromstring(text)
    except (etree.ParserError, ValueError) as e:
        raise ParseError(spec.name, f"not an HTML page: {e}") from e

    base = page.final_url or page.url
    base_el = doc.find(".//base[@href]")
    if base_el is not None:
        base = resolve_link(base, base_el.get("href")) or base

    try:
        elements = doc.cssselect(sel.item)
    except SelectorError as e:  # validated at load, but specs can come from the database too
        raise ParseError(spec.name, f"invalid item selector {sel.item!r}: {e}") from e
    if not elements:
        raise ParseError(spec.name, f"item selector {sel.item!r} matched nothing (page layout changed?)")
    items = [item for el in elements if (item := _item(el, sel, base)) is not None]
    if not items:
        raise ParseError(spec.name, f"{len(elements)} elements matched {sel.item!r} but none has a title")
    return dedupe_items(items)
