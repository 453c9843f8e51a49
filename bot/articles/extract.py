"""Full-text extraction of one news article: HTML text in, :class:`ExtractedArticle` out. Pure, no I/O.

Design
------
1. **Sanitise**: NUL and other C0 control characters are removed first — lxml refuses them and
   trafilatura silently returns nothing on such pages.
2. **Body blocks** come from one of two places:

   * per-source CSS selectors (:class:`ArticleSelectors`) when the source configures a ``body``
     selector that matches: we take the block elements' text (``p``, headings, list items, quotes, and
     ``<br>``-separated runs inside one ``div`` — common in older Arabic CMSs) after removing ``drop``
     matches;
   * otherwise trafilatura (``include_comments=False``, tables kept), with the source's ``drop``
     selectors, if any, handed to it as ``prune_xpath`` (:func:`~bot.articles.body.library_blocks`).
     trafilatura chooses the content; when it returns that content as one run-on line (its fallback on
     short pages) the same content is re-read from the page cut at its own block elements, so a
     two-paragraph breaking story stays two paragraphs.

   Blocks are :class:`~bot.articles.text.Block` records: the text, whether the page marked it as a
   heading, and whether it is the whole text of one headline-sized link.

3. **Post-cleaning** (:func:`~bot.articles.boilerplate.clean_blocks`) removes what generic extractors
   leave behind on news pages: share bars, breadcrumbs, "اقرأ أيضا" / "Read more" related links and
   runs of teaser links, ticker runs ("عاجل | …", "أحدث الأخبار|"), tweet-embed attributions,
   ad/newsletter/"most read" labels, counters ("1,204 views"), copyright lines, and everything from a
   comments *heading* ("التعليقات", "Comments" as a heading — the same word as a menu link or a counter
   inside the article is only dropped as a line, never a cut). Each rule looks at one whole *short*
   line, so a real paragraph that merely mentions "Facebook" or starts with "Read" is never dropped.
4. **Fields**: the date line (``السبت 12/07/2025 - 12:30 بتوقيت نيويورك``) and the source line
   (``المصدر / name``) are recognised by pattern — also when one meta bar runs both together — and
   lifted out of the body into ``dateline`` / ``byline``; the dateline's zone ("بتوقيت نيويورك") is mapped to an IANA zone so ``published`` is an
   aware UTC datetime. The title comes from the ``title`` selector, else trafilatura's metadata, else
   ``<h1>``; copies of it at the top of the body are dropped. The **lead** is the first body block when
   it equals a lead-marked element (class ``lead``/``summary``/``standfirst``…) or the page's
   description; a lead-marked element that equals the description but was missed by the extractor is
   put back as the lead.

Modules: :mod:`bot.articles.text` (blocks, shared line keys), :mod:`bot.articles.datelines` (date and
source lines), :mod:`bot.articles.boilerplate` (:func:`clean_blocks`), :mod:`bot.articles.fields` (tree
reading and field finders), :mod:`bot.articles.body` (trafilatura's blocks); this module only decides
where the body comes from and assembles the record. Quality is measured by ``bench/extract.py``
(pooled BoW F1 next to trafilatura and readability-lxml, tune and held-out rows).

Invariants: the result is frozen; ``paragraphs`` is non-empty (and with the lead holds at least
:data:`MIN_BODY_WORDS` words), each stripped, whitespace-collapsed and
free of control characters; otherwise :class:`~bot.exceptions.ExtractionError` is raised.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import lxml.etree  # type: ignore[import-untyped]  # no stubs installed
import lxml.html  # type: ignore[import-untyped]

from bot.articles.body import library_blocks
from bot.articles.boilerplate import clean_blocks
from bot.articles.datelines import parse_dateline, source_name, split_meta_line
from bot.articles.fields import (
    css,
    css_to_xpath,
    element_blocks,
    element_text,
    find_dateline,
    find_published,
    find_source_name,
    find_title,
    language_of,
    lead_candidates,
    meta,
    meta_description,
    parse_html,
    short_text_nodes,
    title_from_blocks,
    unmarked_lead,
)
from bot.articles.text import Block, strip_control_chars, text_key
from bot.exceptions import ExtractionError

__all__ = [
    "ArticleSelectors",
    "ExtractedArticle",
    "clean_blocks",
    "extract",
    "parse_dateline",
    "strip_control_chars",
]


@dataclass(frozen=True, slots=True)
class ArticleSelectors:
    """Per-source CSS selectors; every one optional. ``drop`` lists selectors removed before reading."""

    title: str | None = None
    body: str | None = None
    lead: str | None = None
    dateline: str | None = None
    byline: str | None = None
    drop: tuple[str, ...] = ()

    @classmethod
    def from_mapping(cls, data: Mapping[str, Any]) -> ArticleSelectors:
        """Build from a sources-file table (``[source.article] body = "div.news-text" ...``)."""
        drop = data.get("drop", ())
        if isinstance(drop, str):
            drop = (drop,)

        def opt(key: str) -> str | None:
            value = data.get(key)
            return str(value) if value else None

        return cls(
            title=opt("title"),
            body=opt("body"),
            lead=opt("lead"),
            dateline=opt("dateline"),
            byline=opt("byline"),
            drop=tuple(str(d) for d in drop),
        )


@dataclass(frozen=True, slots=True)
class ExtractedArticle:
    """The readable part of one article page.

    ``byline`` is the author or agency named on the source line ("المصدر / شيماء مصطفى" gives
    "شيماء مصطفى"); ``dateline`` is the date line as the page shows it; ``published`` is aware UTC when
    a date could be read (date-only values are taken at 00:00 UTC).
    """

    title: str
    paragraphs: tuple[str, ...]
    byline: str | None = None
    dateline: str | None = None
    published: datetime | None = None
    lead: str | None = None
    language: str | None = None

    @property
    def text(self) -> str:
        """Lead and paragraphs, one per line: what the benchmark scores against the gold body."""
        return "\n".join([self.lead, *self.paragraphs] if self.lead else self.paragraphs)


MIN_BODY_WORDS = 10
"""Fewer words than this (lead + paragraphs) is a navigation stub or an error page, not an article."""


def extract(html: str, *, url: str | None, selectors: ArticleSelectors | None = None) -> ExtractedArticle:
    """Extract the readable article from ``html``; raise :class:`ExtractionError` if there is none."""
    html = strip_control_chars(html)
    if not html.strip():
        raise ExtractionError("empty page")
    tree = parse_html(html)
    selectors = selectors or ArticleSelectors()

    blocks: list[Block] = []
    title: str | None = None

    if tree is not None and selectors.title:
        found = css(tree, selectors.title)
        title = element_text(found[0]) if found else None

    body_elements = css(tree, selectors.body) if tree is not None and selectors.body else []
    if body_elements:
        work = lxml.html.fromstring(lxml.html.tostring(tree, encoding="unicode"))
        for selector in selectors.drop:
            for el in css(work, selector):
                el.drop_tree()
        for el in css(work, selectors.body or ""):
            blocks.extend(element_blocks(el))
    if not blocks:
        blocks = library_blocks(html, url=url, tree=tree, prune_xpath=css_to_xpath(selectors.drop))

    if tree is not None and not title:
        title = find_title(tree)

    if not title:
        title = title_from_blocks([b.text for b in blocks])

    # Boilerplate out first, then the date line and source line are lifted out of the body's top.
    dateline: str | None = None
    published: datetime | None = None
    byline: str | None = None
    body: list[str] = []
    lifted_at: int | None = None
    for line in clean_blocks(blocks, title=title):
        both = split_meta_line(line) if len(body) < 3 else None
        if both is not None:
            if dateline is None:
                dateline, published = both[0], both[1]
            byline = byline or both[2]
            lifted_at = len(body)
            continue
        when = parse_dateline(line) if len(line) <= 90 else None
        if when is not None:
            if dateline is None:
                dateline, published = line, when
                lifted_at = len(body)
            continue
        name = source_name(line) if len(body) < 3 else None
        if name is not None and not line.startswith(("By ", "BY ")):
            byline = byline or name
            lifted_at = len(body)
            continue
        body.append(line)
    # An agency credit closing the story ("SOURCE: News agencies", "المصدر: وكالات") is the byline too.
    if len(body) > 1 and body[-1].upper().startswith(("SOURCE", "المصدر")):
        closing = source_name(body[-1])
        if closing is not None:
            byline = byline or closing
            body.pop()

    if tree is not None:
        if selectors.dateline:
            found = css(tree, selectors.dateline)
            if found:
                dateline = element_text(found[0]) or dateline
                published = parse_dateline(dateline or "") or published
        nodes = short_text_nodes(tree) if dateline is None or byline is None else []
        if dateline is None:
            found_line = find_dateline(tree, nodes)
            if found_line is not None:
                dateline, published = found_line
        if selectors.byline:
            found = css(tree, selectors.byline)
            if found:
                text = element_text(found[0])
                byline = source_name(text) or text or byline
        if byline is None:
            byline = find_source_name(nodes) or meta(tree, "author", "article:author")
        if published is None:
            published = find_published(tree)

    paragraphs = body

    # Lead: a lead-marked element or the page description, first in the body or put back in front.
    lead: str | None = None
    if tree is not None:
        if selectors.lead:
            found = css(tree, selectors.lead)
            lead = element_text(found[0]) if found else None
        description = meta_description(tree)
        candidates = lead_candidates(tree) if lead is None else []
        candidate_keys = {text_key(c) for c in candidates}
        description_key = text_key(description) if description else ""
        if lead is None and paragraphs:
            first = text_key(paragraphs[0])
            if first and (first in candidate_keys or first == description_key):
                lead = paragraphs[0]
        if lead is None and description_key and description_key in candidate_keys:
            lead = next(c for c in candidates if text_key(c) == description_key)
        if lead is None and lifted_at is not None:
            lead = unmarked_lead(paragraphs, lifted_at)
        if lead is not None:
            lead_key = text_key(lead)
            paragraphs = [p for p in paragraphs if text_key(p) != lead_key]

    words = sum(len(re.findall(r"\w+", p)) for p in [lead or "", *paragraphs])
    if not paragraphs or words < MIN_BODY_WORDS:
        raise ExtractionError(f"no readable body in {url or 'page'} ({words} words)")
    title = title or (lead or paragraphs[0])[:120]
    text_sample = " ".join(paragraphs[:5])
    return ExtractedArticle(
        title=title,
        paragraphs=tuple(paragraphs),
        byline=byline,
        dateline=dateline,
        published=published,
        lead=lead,
        language=language_of(tree, text_sample),
    )
