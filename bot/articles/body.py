"""Where an article's body blocks come from: trafilatura's choice of content, our paragraph structure.

trafilatura is good at *choosing* the main content and we keep that choice. What it returns is not
always good *structure*: on a short page (a breaking story of two short paragraphs) its main extraction
finds too little text and it falls back to the whole article container's text as **one** run-on
paragraph — dateline, title copies, source line, body and share links glued together, so no line-level
rule can lift anything out. :func:`library_blocks` detects that case (few output lines, one of them long
enough to hold several) and re-reads the same content from the page's own tree, cut at its block
elements (:func:`~bot.articles.fields.element_blocks`): the same words, in the page's own paragraphs,
which the line-level cleaning then handles like any other page.

Headings: trafilatura marks headings as ``<head>`` in its XML body; those lines become
``Block(heading=True)`` so the comments cut can tell a "Comments" heading from a "Comments" label.

Pure, no I/O. Invariant: re-segmentation stays on the content trafilatura chose — the element it reads
is the deepest one whose text is exactly the run-on text (compared with
:func:`~bot.articles.text.text_key`), else the deepest one that contains it and is at most half as long
again (what trafilatura pruned from it, such as a share bar, goes through the usual line cleaning);
otherwise trafilatura's lines are kept as they are.
"""

from __future__ import annotations

from collections.abc import Sequence

import lxml.etree  # type: ignore[import-untyped]  # no stubs installed
import lxml.html  # type: ignore[import-untyped]
import trafilatura

from bot.articles.fields import element_blocks
from bot.articles.text import Block, norm, text_key
from bot.exceptions import ExtractionError

__all__ = ["RUN_ON_MIN_CHARS", "library_blocks"]

RUN_ON_MIN_CHARS = 120
"""A single output line at least this long, when trafilatura returned at most three lines, is checked
against the page tree for paragraph structure it lost. Shorter text cannot hide several paragraphs."""

_RUN_ON_MAX_LINES = 3
_CONTAINER_SLACK = 1.5  # the container may also hold what trafilatura pruned (share bar, credits)
_MAX_ELEMENTS = 4000  # the search is quadratic in page size; a page this big is not a short story


def library_blocks(
    html: str, *, url: str | None, tree: lxml.html.HtmlElement | None, prune_xpath: Sequence[str]
) -> list[Block]:
    """trafilatura's main text as blocks (headings marked), re-segmented from ``tree`` if run-on."""
    try:
        doc = trafilatura.bare_extraction(
            html,
            url=url,
            include_comments=False,
            include_tables=True,
            with_metadata=False,
            prune_xpath=list(prune_xpath) or None,
        )
    except (ValueError, TypeError, AttributeError, lxml.etree.LxmlError) as e:
        # trafilatura on hostile markup: a library failure is "no readable body", not a crash.
        raise ExtractionError(f"extractor failed on {url or 'page'}: {e}") from e
    text = getattr(doc, "text", None) if doc is not None else None
    if not text:
        return []
    body = getattr(doc, "body", None)
    headings: set[str] = set()
    if body is not None:
        headings = {norm("".join(h.itertext())) for h in body.iter("head")}
    lines = [line for line in (norm(part) for part in str(text).split("\n")) if line]
    if tree is not None and len(lines) <= _RUN_ON_MAX_LINES:
        resegmented = _resegment(tree, lines)
        if resegmented is not None:
            return resegmented
    links = link_texts(tree) if tree is not None else set()
    return [Block(line, line in headings, line in links or line.lstrip("-–•*· ") in links) for line in lines]


LINK_MIN_CHARS = 20
"""Shorter anchor texts ("Home", "More") are never compared: only headline-sized link texts count."""


def link_texts(tree: lxml.html.HtmlElement) -> set[str]:
    """Normalised texts of the page's ``<a>`` elements long enough to be a headline."""
    out: set[str] = set()
    for a in tree.iter("a"):
        text = norm(a.text_content())
        if len(text) >= LINK_MIN_CHARS:
            out.add(text)
    return out


def _resegment(tree: lxml.html.HtmlElement, lines: list[str]) -> list[Block] | None:
    """The page's own blocks for a run-on output, or ``None`` if nothing needs or allows it."""
    longest = max(lines, key=len)
    if len(longest) < RUN_ON_MIN_CHARS:
        return None
    # compared without spaces: the page's text_content() glues adjacent block elements ("<li>a</li><li>b")
    # that trafilatura's output separates
    want = text_key(" ".join(lines)).replace(" ", "")
    body = tree.find("body")
    if body is None or not want:
        return None
    body = lxml.html.fromstring(lxml.html.tostring(body, encoding="unicode"))
    for hidden in body.xpath(".//script | .//style | .//noscript | .//template"):
        hidden.drop_tree()
    exact = None
    containing = None
    for count, el in enumerate(body.iter()):
        if count >= _MAX_ELEMENTS:
            return None
        if not isinstance(el.tag, str):
            continue
        content = el.text_content()
        if len(content) < len(longest):
            continue
        key = text_key(content).replace(" ", "")
        # document order: a later match is a descendant, i.e. deeper
        if key == want:
            exact = el
        elif want in key and len(key) <= _CONTAINER_SLACK * len(want):
            containing = el
    match = exact if exact is not None else containing
    if match is None:
        return None
    blocks = element_blocks(match)
    return blocks if len(blocks) > len(lines) else None
