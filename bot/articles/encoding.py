"""Decoding an HTML body to text: header charset, then ``<meta charset>``, then detection.

Arabic sites still serve windows-1256 (often without saying so in the header), so the order is:
the HTTP ``charset=`` parameter, a BOM, the ``<meta charset>`` / ``http-equiv`` declaration in the first
4 KiB, then charset-normalizer's guess, then UTF-8 with replacement. Unknown codec names fall through
to the next step rather than failing. Pure: bytes in, str out.
"""

from __future__ import annotations

import codecs
import re

from charset_normalizer import from_bytes

_HEADER_CHARSET = re.compile(r"charset\s*=\s*[\"']?([\w.:-]+)", re.IGNORECASE)
_META_CHARSET = re.compile(rb"""<meta[^>]+charset\s*=\s*["']?\s*([\w.:-]+)""", re.IGNORECASE)
_BOMS = ((codecs.BOM_UTF8, "utf-8-sig"), (codecs.BOM_UTF16_LE, "utf-16"), (codecs.BOM_UTF16_BE, "utf-16"))


def _codec(name: str | None) -> str | None:
    if not name:
        return None
    try:
        return codecs.lookup(name.strip().lower()).name
    except LookupError:
        return None


def declared_charset(body: bytes, content_type: str | None = None) -> str | None:
    """The charset the response declares (header first, then BOM, then ``<meta>``), if valid."""
    if content_type:
        match = _HEADER_CHARSET.search(content_type)
        codec = _codec(match.group(1)) if match else None
        if codec:
            return codec
    for bom, name in _BOMS:
        if body.startswith(bom):
            return name
    match_meta = _META_CHARSET.search(body[:4096])
    if match_meta:
        return _codec(match_meta.group(1).decode("ascii", "ignore"))
    return None


def decode_html(body: bytes, content_type: str | None = None) -> str:
    """Decode ``body`` to text; never raises (undecodable bytes become U+FFFD)."""
    codec = declared_charset(body, content_type)
    if codec:
        try:
            return body.decode(codec)
        except UnicodeDecodeError:
            pass
    best = from_bytes(body[:200_000]).best()
    if best is not None and best.encoding:
        return body.decode(best.encoding, errors="replace")
    return body.decode("utf-8", errors="replace")
