"""Display-text hygiene shared by every parser (RSS, HTML, JSON) and by the matchers.

Two different jobs live in Aajel and must not be confused:

* **display text** (this module): what a subscriber reads. Keep the letters, the tashkeel, the
  punctuation; only remove what is invisible or harmful (bidi controls, zero-width characters, C0
  controls), collapse whitespace and compose to NFC so the same headline is always the same string.

**One cleaning for every front door.** :func:`strip_invisible` is the single definition of "unsafe
character": C0 and C1 controls except tab and newline (``\r\n``/``\r`` become ``\n``), NUL among
them (PostgreSQL cannot even store it), bidi embeddings/overrides/isolates and marks, zero-width
characters, and lone UTF-16 surrogates (a JSON ``"\ud800"`` decodes to one; no database encodes it).
Feed headlines (every parser), CMS API fields (:mod:`bot.api.models`) and anything later go through
it — :func:`clean_text` for one-line text (headlines, corrections), :func:`clean_multiline` for text
whose line breaks matter (an alert's body).
* **matching text** (:mod:`bot.news.arabic`): aggressively folded, never shown.

Entities are unescaped *exactly once* overall. Every parser gets text whose one unescape already
happened in a real parser (XML, HTML or JSON); :func:`clean_text` never unescapes. Only a value that
is actually HTML markup (it contains tags) is rendered by :func:`html_to_text`, whose HTML parse is then
the unescape for that layer. So ``AT&amp;amp;T`` in XML becomes ``AT&amp;T`` and stays so, while the
HTML ``<b>Slack</b> &amp; Co`` becomes ``Slack & Co``. One documented exception: numeric character
references in tag-less values are decoded (see :func:`text_or_html`).
"""

from __future__ import annotations

import html
import re
import unicodedata

import lxml.html  # type: ignore[import-untyped]
from lxml import etree

# Bidi embedding/override/isolate controls, LRM/RLM/ALM, zero-width space/joiners, word joiner,
# BOM / zero-width no-break space, soft hyphen. They are invisible, break matching and can be abused
# to reorder a headline on screen (Trojan-Source style), so display text drops them all.
_INVISIBLE = (
    "\u200b\u200c\u200d\u200e\u200f"
    "\u202a\u202b\u202c\u202d\u202e"
    "\u2060\u2061\u2062\u2063\u2064"
    "\u2066\u2067\u2068\u2069"
    "\u061c\ufeff\u00ad"
)
# C0/C1 controls except tab and newline (CR is turned into a newline first).
_CONTROLS = "".join(chr(c) for c in [*range(0x00, 0x09), 0x0B, 0x0C, *range(0x0E, 0x20), *range(0x7F, 0xA0)])
_SURROGATES = "".join(chr(c) for c in range(0xD800, 0xE000))
_DROP_TABLE = str.maketrans("", "", _INVISIBLE + _CONTROLS + _SURROGATES)
_CR_RE = re.compile(r"\r\n?")
_LINE_SPACE_RE = re.compile(r"[^\S\n]+")
_BLANK_LINES_RE = re.compile(r"\n{3,}")


def ascii_digits(text: str) -> str:
    """Digits of every script (Arabic-Indic ``٣٠``, Persian ``۳۰``, Devanagari …) → ASCII ``30``.

    The one digit folding: parsers read dates and numbers with it, matchers compare numbers with it,
    settings parse ``٢٣:٠٠-٠٧:٠٠`` with it. Any Unicode decimal digit (category ``Nd``) is mapped to
    its value; everything else — including superscripts, which are not decimal digits — is kept.
    """
    if text.isascii():
        return text
    return "".join(str(unicodedata.decimal(ch)) if unicodedata.category(ch) == "Nd" else ch for ch in text)


_WS_RE = re.compile(r"\s+")
_TAG_RE = re.compile(r"<(?:[A-Za-z][A-Za-z0-9:-]*(?:\s[^<>]*)?/?|/[A-Za-z][A-Za-z0-9:-]*\s*|!--.*?--)>", re.S)

# Elements after which a rendered text needs a space, so "a<br>b" does not become "ab".
_BREAKING_TAGS = frozenset(
    [
        "br",
        "p",
        "div",
        "li",
        "ul",
        "ol",
        "tr",
        "td",
        "th",
        "h1",
        "h2",
        "h3",
        "h4",
        "h5",
        "h6",
        "blockquote",
        "section",
        "article",
        "header",
        "footer",
        "figure",
        "figcaption",
        "table",
        "dd",
        "dt",
        "hr",
    ]
)


def strip_invisible(text: str) -> str:
    """Remove every unsafe character (module docstring); keeps tab and newline, CR becomes newline."""
    if "\r" in text:
        text = _CR_RE.sub("\n", text)
    return text.translate(_DROP_TABLE)


def collapse_ws(text: str) -> str:
    """Collapse every run of Unicode whitespace (NBSP included) to one space and trim."""
    return _WS_RE.sub(" ", text).strip()


def clean_text(text: str | None) -> str:
    """Hygiene for display text: invisible characters out, NFC, whitespace collapsed. Never unescapes."""
    if not text:
        return ""
    return collapse_ws(unicodedata.normalize("NFC", strip_invisible(text)))


def clean_multiline(text: str | None) -> str:
    """:func:`clean_text` that keeps line breaks: spaces collapsed per line, at most one blank line."""
    if not text:
        return ""
    text = unicodedata.normalize("NFC", strip_invisible(text))
    lines = [_LINE_SPACE_RE.sub(" ", line).strip() for line in text.split("\n")]
    return _BLANK_LINES_RE.sub("\n\n", "\n".join(lines)).strip()


def looks_like_html(text: str) -> bool:
    """True when ``text`` contains real tags (``<b>``, ``</p>``, ``<br/>``), not just ``x < y``."""
    return _TAG_RE.search(text) is not None


def html_to_text(fragment: str) -> str:
    """Render an HTML fragment to clean text: tags dropped, entities decoded once, spaces at blocks.

    Scripts, styles and comments are removed with their content. Falls back to regex tag stripping if
    lxml cannot build a tree (it raises on some degenerate inputs).
    """
    fragment = strip_invisible(fragment)
    if not fragment.strip():
        return ""
    try:
        root = lxml.html.fragment_fromstring(fragment, create_parent="div")
    except (etree.ParserError, ValueError):
        return clean_text(_TAG_RE.sub(" ", fragment))
    for bad in root.xpath("//script|//style"):
        bad.drop_tree()
    for el in root.iter():
        if not isinstance(el.tag, str):  # comments and processing instructions
            continue
        if el.tag.lower() in _BREAKING_TAGS:
            el.tail = " " + (el.tail or "")
    return clean_text("".join(root.itertext(tag=etree.Element)))


_NUMERIC_REF_RE = re.compile(r"&#(?:[0-9]{1,7}|[xX][0-9a-fA-F]{1,6});")


def decode_numeric_refs(text: str) -> str:
    """Decode numeric character references (``&#8217;``, ``&#x24;``) only; named entities stay."""
    return _NUMERIC_REF_RE.sub(lambda m: html.unescape(m.group(0)), text)


def text_or_html(value: str | None) -> str:
    """Clean a value that may be plain text or HTML: render it only when it holds real tags.

    Without tags, numeric character references are still decoded — the one deliberate exception to
    "unescape exactly once": ``Trump&#8217;s`` or Craigslist's ``&#x0024;3449`` inside CDATA are never
    meant to be shown as such, while a named ``&amp;`` may be (``AT&amp;amp;T`` → ``AT&amp;T``).
    """
    if not value:
        return ""
    if looks_like_html(value):
        return html_to_text(value)
    return clean_text(decode_numeric_refs(value))
