"""Decoding bytes to text with an explicit order of trust (bot.sources.encoding)."""

from __future__ import annotations

import gzip

import pytest

from bot.domain import SourceKind
from bot.sources.encoding import (
    canonical_codec,
    decode_body,
    feed_bytes_for_feedparser,
    header_charset,
    maybe_inflate,
)

AR = "عاجل | ترمب يفرض 30% جمارك على واردات أوروبا، وإسرائيل تطلب استعادة أبقارها من لبنان"


def _rss(text: str, decl: str = "") -> str:
    return f'<?xml version="1.0"{decl}?><rss version="2.0"><channel><item><title>{text}</title></item></channel></rss>'


@pytest.mark.parametrize("codec", ["cp1256", "iso-8859-6"])
def test_arabic_legacy_encodings_decode_from_the_header(codec: str) -> None:
    text, used = decode_body(AR.encode(codec), f"text/html; charset={codec}", SourceKind.HTML)
    assert text == AR
    assert used == canonical_codec(codec)


@pytest.mark.parametrize(("codec", "label"), [("cp1256", "windows-1256"), ("iso-8859-6", "ISO-8859-6")])
def test_arabic_legacy_encodings_decode_from_the_xml_declaration(codec: str, label: str) -> None:
    doc = _rss(AR, f' encoding="{label}"')
    text, used = decode_body(doc.encode(codec), "text/xml", SourceKind.RSS)
    assert text == doc
    assert used == canonical_codec(codec)


@pytest.mark.parametrize("codec", ["cp1256", "iso-8859-6"])
def test_undeclared_arabic_is_read_with_the_source_language(codec: str) -> None:
    doc = _rss(AR)
    text, used = decode_body(doc.encode(codec), None, SourceKind.RSS, language="ar")
    assert text == doc
    assert used == canonical_codec(codec)


@pytest.mark.parametrize("codec", ["cp1256", "iso-8859-6"])
def test_undeclared_arabic_is_read_by_the_detector_without_a_language(codec: str) -> None:
    doc = _rss(AR)
    assert decode_body(doc.encode(codec), None, SourceKind.RSS)[0] == doc


def test_html_meta_charset_and_http_equiv() -> None:
    body = f'<html><head><meta charset="windows-1256"></head><body>{AR}</body></html>'
    assert decode_body(body.encode("cp1256"), None, SourceKind.HTML) == (body, "cp1256")
    body2 = (
        '<html><head><meta http-equiv="Content-Type" content="text/html; charset=iso-8859-6">'
        f"</head><body>{AR}</body></html>"
    )
    assert decode_body(body2.encode("iso-8859-6"), "text/html", SourceKind.HTML)[1] == "iso8859-6"


def test_header_that_lies_falls_through_to_the_document() -> None:
    doc = _rss(AR, ' encoding="windows-1256"')
    text, used = decode_body(doc.encode("cp1256"), "application/rss+xml; charset=utf-8", SourceKind.RSS)
    assert (text, used) == (doc, "cp1256")


def test_header_beats_declaration_when_both_decode() -> None:
    doc = _rss("café", ' encoding="utf-8"')
    assert decode_body(doc.encode("cp1252"), "text/xml; charset=windows-1252", SourceKind.RSS)[1] == "cp1252"


def test_bom_beats_a_wrong_header_and_is_removed() -> None:
    body = "\ufeff" + _rss(AR)
    text, used = decode_body(body.encode("utf-16-le"), "text/xml; charset=iso-8859-1", SourceKind.RSS)
    assert (text, used) == (_rss(AR), "utf-16-le")
    assert decode_body(b"\xef\xbb\xbfabc", None, SourceKind.JSON) == ("abc", "utf-8")


def test_utf16_without_bom_is_recognised_by_its_declaration_layout() -> None:
    doc = _rss(AR, ' encoding="utf-16"')
    assert decode_body(doc.encode("utf-16-le"), None, SourceKind.RSS) == (doc, "utf-16-le")


def test_latin1_label_means_windows_1252_like_browsers() -> None:
    assert decode_body("“quoted”".encode("cp1252"), "text/html; charset=ISO-8859-1", "html")[0] == "“quoted”"


def test_undecodable_bytes_end_in_replacement_not_an_exception() -> None:
    text, used = decode_body(b"ok \x81\x8d", "text/plain; charset=utf-8", SourceKind.JSON)
    assert "ok" in text
    assert used


def test_header_charset_parsing() -> None:
    assert header_charset('text/xml; charset="Windows-1256"') == "Windows-1256"
    assert header_charset("text/xml") is None
    assert header_charset(None) is None
    assert canonical_codec("x-unknown-charset") is None
    assert canonical_codec("ISO-8859-6-I") == "iso8859-6"


def test_gzip_bodies_are_inflated_and_capped() -> None:
    assert maybe_inflate(gzip.compress(b"<rss/>")) == b"<rss/>"
    assert maybe_inflate(b"<rss/>") == b"<rss/>"
    with pytest.raises(ValueError, match="inflates beyond"):
        maybe_inflate(gzip.compress(b"\0" * 10_000), limit=1000)


def test_feed_bytes_are_utf8_with_a_matching_declaration() -> None:
    doc = _rss(AR, ' encoding="windows-1256"')
    data, codec = feed_bytes_for_feedparser(doc.encode("cp1256"), None)
    assert codec == "cp1256"
    assert data.decode("utf-8") == _rss(AR, ' encoding="utf-8"')
