"""Reading an article page's tree: block text, and the field finders (title, lead, date, source, language).

Pure functions over an lxml tree; nothing here decides what the body is (that is
:mod:`bot.articles.extract`). Each finder prefers explicit markup (meta tags, ``<time>``, lead-marked
classes) and falls back to the page's visible text.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

import lxml.etree  # type: ignore[import-untyped]  # no stubs installed
import lxml.html  # type: ignore[import-untyped]
from cssselect import GenericTranslator, SelectorError

from bot.articles.boilerplate import SENTENCE_END, is_boilerplate
from bot.articles.datelines import parse_dateline, source_name
from bot.articles.text import ARABIC_LETTER, LATIN_LETTER, Block, norm, text_key
from bot.exceptions import ExtractionError

_BLOCK_TAGS = frozenset(
    [
        "p",
        "div",
        "section",
        "article",
        "header",
        "footer",
        "aside",
        "main",
        "h1",
        "h2",
        "h3",
        "h4",
        "h5",
        "h6",
        "li",
        "ul",
        "ol",
        "dl",
        "dt",
        "dd",
        "blockquote",
        "pre",
        "table",
        "tr",
        "td",
        "th",
        "figure",
        "figcaption",
        "form",
        "nav",
        "address",
        "br",
        "hr",
    ]
)
_NEVER_TEXT = "script style noscript template iframe svg button select textarea input form nav footer"
_LEAD_CLASS = re.compile(
    r"(?:^|[\s_-])(?:lead|lede|excerpt|summary|standfirst|dek|deck|intro|teaser|subtitle|sub-title|subheadline"
    r"|sub-headline|article-summary|strapline|sub|brief|nabza|mulakhas)(?:$|[\s_-])",
    re.IGNORECASE,
)


def parse_html(html: str) -> lxml.html.HtmlElement | None:
    try:
        tree = lxml.html.document_fromstring(html)
    except (lxml.etree.ParserError, ValueError):
        return None
    return tree


def css(tree: lxml.html.HtmlElement, selector: str) -> list[lxml.html.HtmlElement]:
    try:
        result = tree.cssselect(selector)
    except SelectorError as e:
        raise ExtractionError(f"bad CSS selector {selector!r}: {e}") from e
    return [el for el in result if isinstance(el, lxml.html.HtmlElement)]


def css_to_xpath(selectors: Sequence[str]) -> list[str]:
    translator = GenericTranslator()
    out: list[str] = []
    for selector in selectors:
        try:
            out.append(translator.css_to_xpath(selector))
        except SelectorError as e:
            raise ExtractionError(f"bad CSS selector {selector!r}: {e}") from e
    return out


def element_text(el: lxml.html.HtmlElement) -> str:
    return norm(el.text_content())


_HEADING_XPATH = "descendant-or-self::*[self::h1 or self::h2 or self::h3 or self::h4 or self::h5 or self::h6 or @role='heading']"


def element_blocks(el: lxml.html.HtmlElement) -> list[Block]:
    """Text of ``el`` cut at block elements and ``<br>``: one entry per visual paragraph.

    Lines that are the whole text of an ``<h1>``–``<h6>`` (or ``role="heading"``) are marked as headings.
    Works on a copy so callers' trees stay untouched.
    """
    copy = lxml.html.fromstring(lxml.html.tostring(el, encoding="unicode"))
    for bad in copy.xpath(" | ".join(f"descendant-or-self::{t}" for t in _NEVER_TEXT.split())):
        if bad is not copy:
            bad.drop_tree()
    headings = {norm(h.text_content()) for h in copy.xpath(_HEADING_XPATH)}
    for node in copy.iter():
        if not isinstance(node.tag, str):
            continue
        if node.tag.lower() in _BLOCK_TAGS:
            node.text = "\n" + (node.text or "")
            node.tail = "\n" + (node.tail or "")
    lines = [line for line in (norm(part) for part in copy.text_content().split("\n")) if line]
    return [Block(line, line in headings) for line in lines]


def meta_description(tree: lxml.html.HtmlElement) -> str | None:
    for xpath in (
        '//meta[@property="og:description"]/@content',
        '//meta[@name="description"]/@content',
        '//meta[@name="twitter:description"]/@content',
    ):
        values = tree.xpath(xpath)
        if values and norm(str(values[0])):
            return norm(str(values[0]))
    return None


def lead_candidates(tree: lxml.html.HtmlElement) -> list[str]:
    """Texts of lead-marked elements (by class/id) and of an ``<h2>`` right after the ``<h1>``."""
    out: list[str] = []
    for el in tree.xpath("//body//*[@class or @id]"):
        if el.tag in {"body", "html", "script", "style", "meta", "a", "ul", "ol", "nav", "img"}:
            continue
        marker = f"{el.get('class', '')} {el.get('id', '')}"
        if _LEAD_CLASS.search(marker):
            text = element_text(el)
            if 15 <= len(text) <= 500:
                out.append(text)
        if len(out) > 20:
            break
    for h1 in tree.xpath("//body//h1")[:2]:
        sibling = h1.getnext()
        while sibling is not None and sibling.tag not in {"h2", "p", "div"}:
            sibling = sibling.getnext()
        if sibling is not None and sibling.tag == "h2":
            text = element_text(sibling)
            if 15 <= len(text) <= 500:
                out.append(text)
    return out


def short_text_nodes(tree: lxml.html.HtmlElement, limit: int = 3000) -> list[tuple[str, Any]]:
    """(text, parent element) of short visible text nodes, in document order (first ``limit`` nodes)."""
    out: list[tuple[str, Any]] = []
    for node in tree.xpath("//body//text()[not(ancestor::script) and not(ancestor::style)]")[:limit]:
        text = str(node)
        if len(text) > 300:
            continue
        text = norm(text)
        if 3 <= len(text) <= 120:
            out.append((text, node.getparent()))
    return out


_MAYBE_DATE = re.compile(r"\d{4}|[\u0660-\u0669]{4}")
_MAYBE_SOURCE = re.compile(r"^(?:المصدر|مصدر الخبر|الكاتب|كتب|كتبت|بقلم|تحرير|إعداد|اعداد|مراسل)")


def find_dateline(tree: lxml.html.HtmlElement, nodes: list[tuple[str, Any]]) -> tuple[str, datetime] | None:
    for el in tree.xpath("//body//time")[:5]:
        text = element_text(el)
        when = parse_dateline(text)
        if when is not None:
            return text, when
    for text, _parent in nodes:
        if _MAYBE_DATE.search(text):
            when = parse_dateline(text)
            if when is not None:
                return text, when
    return None


def find_source_name(nodes: list[tuple[str, Any]]) -> str | None:
    for text, parent in nodes:
        if not _MAYBE_SOURCE.match(text):
            continue
        name = source_name(text)
        if name is None and parent is not None:
            name = source_name(element_text(parent))
        if name:
            return name
    return None


_TITLE_SEPARATORS = re.compile(r"\s+[|\-–—:»]\s+")


def meta(tree: lxml.html.HtmlElement, *names: str) -> str | None:
    for name in names:
        values = tree.xpath(f'//meta[@property="{name}" or @name="{name}" or @itemprop="{name}"]/@content')
        if values and norm(str(values[0])):
            return norm(str(values[0]))
    return None


def _names_same_story(heading: str, page_title: str) -> bool:
    """The heading is the page title, or most of it (the rest being a site name): whole words only.

    Guards against a logo ``<h1>CNN</h1>`` matching "... - CNNArabic.com".
    """
    hk, tk = text_key(heading), text_key(page_title)
    return bool(hk) and f" {hk} " in f" {tk} " and len(hk) >= 0.4 * len(tk)


def find_title(tree: lxml.html.HtmlElement) -> str | None:
    """``<h1>`` when the page's own title names it, else og:title, else ``<title>`` minus the site name."""
    h1s = [t for t in (element_text(h) for h in tree.xpath("//body//h1")[:3]) if 3 <= len(t) <= 300]
    og = meta(tree, "og:title", "twitter:title")
    head = norm(" ".join(tree.xpath("//head/title//text()")))
    for h1 in h1s:
        if any(_names_same_story(h1, other) for other in (og, head) if other):
            return h1
    if og:
        return og
    if head:
        parts = _TITLE_SEPARATORS.split(head)
        return max(parts, key=len) if parts else head
    return h1s[0] if h1s else None


def find_published(tree: lxml.html.HtmlElement) -> datetime | None:
    """Cheap machine-readable publication date: article meta, then ``<time datetime>``."""
    values = [
        meta(tree, "article:published_time", "datePublished", "date", "pubdate", "og:published_time"),
        *[str(v) for v in tree.xpath("//body//time/@datetime")[:1]],
    ]
    for value in values:
        if not value:
            continue
        try:
            when = datetime.fromisoformat(value.strip().replace("Z", "+00:00"))
        except ValueError:
            continue
        return when.replace(tzinfo=UTC) if when.tzinfo is None else when.astimezone(UTC)
    return None


def language_of(tree: lxml.html.HtmlElement | None, text: str) -> str | None:
    arabic = len(ARABIC_LETTER.findall(text))
    latin = len(LATIN_LETTER.findall(text))
    if arabic and arabic >= latin:
        return "ar"
    if tree is not None:
        lang = (tree.get("lang") or tree.get("xml:lang") or "").strip().lower()
        if lang:
            return re.split(r"[-_]", lang)[0] or None
    if latin > arabic:
        return "en"
    return None


def title_from_blocks(blocks: Sequence[str]) -> str | None:
    """For pages without title markup: a short line repeated near the top (breadcrumb + heading)."""
    top = [norm(b) for b in blocks[:20] if norm(b)]
    keys = [text_key(b) for b in top]
    for line, key in zip(top, keys, strict=True):
        if key and 3 <= len(line) <= 200 and keys.count(key) >= 2 and not is_boilerplate(line):
            return line
    return None


def unmarked_lead(paragraphs: Sequence[str], lifted_at: int) -> str | None:
    """The seed site's lead: right after the date/source line, short, no closing full stop.

    Only used when the page had a date or source line (the Arabic news shape) and no lead markup.
    """
    if lifted_at >= len(paragraphs) or len(paragraphs) - lifted_at < 2:
        return None
    candidate = paragraphs[lifted_at]
    if len(candidate) <= 250 and not SENTENCE_END.search(candidate):
        return candidate
    return None
