"""Bytes → text for fetched pages, with one explicit order of trust.

:func:`decode_body` tries, in order, and takes the first candidate that decodes *strictly*:

1. a byte-order mark (UTF-8/16/32) — a BOM cannot be there by accident, so it beats even the header
   (the WHATWG encoding-sniffing rule; a mislabelled UTF-16 feed is unreadable otherwise);
2. the HTTP ``Content-Type`` charset;
3. the document's own declaration: ``<?xml … encoding="…"?>`` for feeds (also UTF-16 without BOM,
   recognised by its ``<?`` byte pattern), ``<meta charset>`` / ``http-equiv`` for HTML pages;
4. strict UTF-8 (if the bytes are valid UTF-8 they almost surely are UTF-8; detectors misjudge short
   Arabic texts, UTF-8 validity does not);
5. the legacy encodings of the source's language, if given (``ar``: windows-1256, ISO-8859-6 — the
   one that puts nearly all non-ASCII characters in the Arabic block wins);
6. a statistical detector (charset-normalizer), ties broken towards the web's common encodings;
7. UTF-8 with replacement characters — never fails.

"Strictly" matters: a server that labels windows-1256 Arabic as UTF-8 fails step 2 and falls through
instead of producing mojibake. Labels are mapped the WHATWG way where Python differs
(``iso-8859-1``/``us-ascii`` → ``cp1252``, ``iso-8859-6-i`` → ``iso-8859-6``…).

Feeds: feedparser does its own detection from bytes following RFC 3023 (``text/xml`` without charset
means us-ascii) and would disagree with the order above. So :func:`feed_bytes_for_feedparser` decodes
with :func:`decode_body`, re-encodes UTF-8, rewrites the XML declaration to say so, and the parser hands
feedparser those bytes with ``Content-Type: application/xml; charset=utf-8``: one decision, ours.

Bodies that still start with the gzip magic (served ``application/x-gzip`` or double-compressed) are
inflated here, capped at :data:`MAX_INFLATED_BYTES` against gzip bombs.
"""

from __future__ import annotations

import codecs
import re
import zlib
from email.message import Message

from charset_normalizer import from_bytes

from bot.domain import SourceKind

MAX_INFLATED_BYTES = 20_000_000

_BOMS: tuple[tuple[bytes, str], ...] = (
    (codecs.BOM_UTF32_LE, "utf-32-le"),  # before UTF-16 LE: it starts with the same two bytes
    (codecs.BOM_UTF32_BE, "utf-32-be"),
    (codecs.BOM_UTF8, "utf-8"),
    (codecs.BOM_UTF16_LE, "utf-16-le"),
    (codecs.BOM_UTF16_BE, "utf-16-be"),
)

# Labels whose Python meaning differs from what browsers (and the servers tested against them) mean.
_ALIASES = {
    "iso-8859-1": "cp1252",
    "iso8859-1": "cp1252",
    "latin1": "cp1252",
    "latin-1": "cp1252",
    "l1": "cp1252",
    "us-ascii": "cp1252",
    "ascii": "cp1252",
    "iso-8859-6-i": "iso-8859-6",
    "iso-8859-6-e": "iso-8859-6",
    "iso-8859-8-i": "iso-8859-8",
    "iso-8859-8-e": "iso-8859-8",
    "x-sjis": "shift_jis",
    "gb2312": "gb18030",
    "gbk": "gb18030",
    "x-mac-arabic": "mac-arabic",
    "arabic": "iso-8859-6",
    "utf8": "utf-8",
    "unicode-1-1-utf-8": "utf-8",
    "utf-16": "utf-16",  # a declared "utf-16" without BOM: Python assumes LE like browsers do
}

_XML_DECL_RE = re.compile(rb"""^\s*<\?xml[^>]{0,200}?encoding\s*=\s*["']([A-Za-z0-9._:-]{1,40})["']""")
_META_CHARSET_RE = re.compile(rb"""<meta[^>]{0,200}?charset\s*=\s*["']?\s*([A-Za-z0-9._:-]{1,40})""", re.I)


def canonical_codec(label: str | None) -> str | None:
    """Python codec name for a charset label, or None if unknown/unsupported."""
    if not label:
        return None
    key = label.strip().strip("\"'").lower()
    key = _ALIASES.get(key, key)
    try:
        return codecs.lookup(key).name
    except LookupError:
        return None


def header_charset(content_type: str | None) -> str | None:
    """The ``charset`` parameter of a Content-Type header value, if any."""
    if not content_type:
        return None
    msg = Message()
    msg["content-type"] = content_type
    charset = msg.get_param("charset")
    return charset if isinstance(charset, str) and charset.strip() else None


def sniff_bom(body: bytes) -> str | None:
    for bom, name in _BOMS:
        if body.startswith(bom):
            return name
    return None


def sniff_xml_declaration(body: bytes) -> str | None:
    """Encoding named in the XML declaration; UTF-16/32 without BOM recognised by their byte layout."""
    head = body[:1024]
    if head.startswith(b"<\x00?\x00"):
        return "utf-16-le"
    if head.startswith(b"\x00<\x00?"):
        return "utf-16-be"
    m = _XML_DECL_RE.match(head)
    return m.group(1).decode("ascii") if m else None


def sniff_html_meta(body: bytes) -> str | None:
    """Charset from ``<meta charset=…>`` or ``<meta http-equiv=Content-Type content="…; charset=…">``."""
    m = _META_CHARSET_RE.search(body[:8192])
    return m.group(1).decode("ascii") if m else None


def maybe_inflate(body: bytes, limit: int = MAX_INFLATED_BYTES) -> bytes:
    """Inflate a body that is still gzip-compressed; capped, and returned unchanged if not gzip."""
    if not body.startswith(b"\x1f\x8b"):
        return body
    inflater = zlib.decompressobj(16 + zlib.MAX_WBITS)
    try:
        out = inflater.decompress(body, limit + 1)
    except zlib.error:
        return body
    if len(out) > limit or inflater.unconsumed_tail:
        raise ValueError(f"gzip body inflates beyond {limit} bytes")
    return out


def _try(body: bytes, codec: str | None) -> str | None:
    if codec is None:
        return None
    try:
        text = body.decode(codec)
    except (UnicodeDecodeError, LookupError):
        if codec == "cp1252":  # five bytes are undefined in cp1252; latin-1 maps them all
            return body.decode("latin-1")
        return None
    return text


def _candidates(body: bytes, content_type: str | None, kind: SourceKind | str | None) -> list[str]:
    kind_value = SourceKind(kind).value if kind else None
    out: list[str | None] = [sniff_bom(body), canonical_codec(header_charset(content_type))]
    if kind_value in (None, SourceKind.RSS.value, SourceKind.HTML.value):
        out.append(canonical_codec(sniff_xml_declaration(body)))
    if kind_value in (None, SourceKind.HTML.value):
        out.append(canonical_codec(sniff_html_meta(body)))
    out.append("utf-8")
    seen: list[str] = []
    for codec in out:
        if codec and codec not in seen:
            seen.append(codec)
    return seen


# When the detector finds several equally clean decodings (Portuguese decodes cleanly as cp1252,
# cp1250, cp1257…; short ISO-8859-6 Arabic as iso8859-6 and Thai cp874), the web's common legacy
# encodings win, in this order.
_DETECT_PREFERENCE = ("cp1252", "cp1256", "iso8859-6", "cp1251", "koi8-r", "cp1255", "cp1253", "cp1254")

# Legacy encodings to try for a source's declared language before the generic detector, and the
# Unicode range its letters live in (a right decoding puts nearly all non-ASCII characters there).
_LANGUAGE_CODECS: dict[str, tuple[tuple[str, ...], tuple[int, int]]] = {
    "ar": (("cp1256", "iso8859-6"), (0x0600, 0x06FF)),
    "fa": (("cp1256",), (0x0600, 0x06FF)),
    "ur": (("cp1256",), (0x0600, 0x06FF)),
    "he": (("cp1255", "iso8859-8"), (0x0590, 0x05FF)),
    "ru": (("cp1251", "koi8-r"), (0x0400, 0x04FF)),
    "uk": (("cp1251", "koi8-u"), (0x0400, 0x04FF)),
}


def _script_ratio(text: str, block: tuple[int, int]) -> float:
    high = [c for c in text if ord(c) > 0x7F and not c.isspace()]
    if not high:
        return 0.0
    lo, hi = block
    return sum(1 for c in high if lo <= ord(c) <= hi) / len(high)


def _by_language(body: bytes, language: str | None) -> tuple[str, str] | None:
    spec = _LANGUAGE_CODECS.get((language or "").lower().split("-")[0])
    if spec is None:
        return None
    codecs_, block = spec
    fits: dict[str, str] = {}
    for codec in codecs_:
        text = _try(body, codec)
        if text is not None and _script_ratio(text, block) >= 0.9:
            fits[codecs.lookup(codec).name] = text
    if len(fits) > 1:
        # Same script either way (cp1251 and KOI8-R both give Cyrillic): let the detector judge
        # which reads like the language, among these candidates only.
        best = from_bytes(body[:200_000], cp_isolation=list(fits)).best()
        chosen = canonical_codec(best.encoding) if best is not None else None
        if chosen in fits:
            return fits[chosen], chosen
    for name, text in fits.items():
        return text, name
    return None


def _detect(body: bytes) -> str | None:
    results = list(from_bytes(body[:200_000]))
    if not results:
        return None
    floor = min(r.chaos for r in results) + 0.01
    clean = [canonical_codec(r.encoding) for r in results if r.chaos <= floor]
    for preferred in _DETECT_PREFERENCE:
        if preferred in clean:
            return preferred
    return canonical_codec(results[0].encoding)


def decode_body(
    body: bytes,
    content_type: str | None,
    kind: SourceKind | str | None,
    *,
    language: str | None = None,
) -> tuple[str, str]:
    """Decode ``body`` by the order of trust in the module docstring; return (text, codec used).

    ``language`` (the source's, e.g. ``"ar"``) lets an undeclared legacy body be read with that
    language's encodings (windows-1256 / ISO-8859-6 for Arabic) before the generic detector is asked:
    detectors confuse short ISO-8859-6 Arabic with Thai. The text never starts with a BOM. The codec is
    a Python codec name (``cp1256``, ``iso8859-6``, ``utf-8``); ``"utf-8-replace"`` says the last
    resort was used and some bytes were replaced.
    """
    for codec in _candidates(body, content_type, kind):
        text = _try(body, codec)
        if text is not None:
            return text.removeprefix("\ufeff"), codec
    by_language = _by_language(body, language)
    if by_language is not None:
        return by_language[0].removeprefix("\ufeff"), by_language[1]
    detected = _detect(body)
    text = _try(body, detected)
    if detected is not None and text is not None:
        return text.removeprefix("\ufeff"), detected
    return body.decode("utf-8", errors="replace").removeprefix("\ufeff"), "utf-8-replace"


_DECL_ENCODING_RE = re.compile(r"""^(\s*<\?xml[^>]*?encoding\s*=\s*)(["'])[^"']*\2""")


def feed_bytes_for_feedparser(
    body: bytes, content_type: str | None, *, language: str | None = None
) -> tuple[bytes, str]:
    """UTF-8 bytes of a feed, its declaration rewritten to utf-8, and the codec originally used."""
    text, codec = decode_body(body, content_type, SourceKind.RSS, language=language)
    text = _DECL_ENCODING_RE.sub(r"\1\2utf-8\2", text.lstrip(), count=1)
    return text.encode("utf-8"), codec
