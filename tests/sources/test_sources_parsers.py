"""Parsers over Aajel's own fixtures (tests/data/sources): RSS/Atom, HTML ticker, JSON, hostile input."""

from __future__ import annotations

import tracemalloc
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path

import feedparser
import pytest

from bot.domain import FetchedPage, SourceKind
from bot.exceptions import ParseError
from bot.sources import parse
from bot.sources.parsers import get_path, parse_datetime
from bot.sources.spec import HtmlSelectors, JsonPaths, SourceSpec

DATA = Path(__file__).resolve().parents[1] / "data" / "sources"

RSS = SourceSpec(
    name="wire", kind=SourceKind.RSS, url="https://wire.example.net/ar/latest.xml", language="ar"
)
TICKER = SourceSpec(
    name="ticker",
    kind=SourceKind.HTML,
    url="https://ar.example.com/",
    html=HtmlSelectors(
        item="ul.news-ticker li", title="a", link="a", time="time", category=".cat", urgent_class="urgent"
    ),
)
API = SourceSpec(
    name="api",
    kind=SourceKind.JSON,
    url="https://api.example.org/v1/latest",
    json=JsonPaths(
        items="data.items",
        title="headline",
        link="url",
        guid="id",
        time="published",
        category="section",
        summary="standfirst",
        urgent=("meta.breaking", "priority"),
    ),
)


def page(
    body: bytes | str, url: str = "https://wire.example.net/ar/latest.xml", content_type: str | None = None
) -> FetchedPage:
    data = body.encode("utf-8") if isinstance(body, str) else body
    headers = {"Content-Type": content_type} if content_type else {}
    return FetchedPage(url=url, final_url=url, status=200, body=data, headers=headers)


def fixture(name: str) -> bytes:
    return (DATA / name).read_bytes()


def rss_doc(title: str, extra: str = "") -> str:
    return (
        '<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel><title>t</title>'
        f"<item><title>{title}</title><link>https://x.example.com/1</link>{extra}</item></channel></rss>"
    )


# ------------------------------------------------------------------------------------------------- RSS


@pytest.mark.parametrize(
    ("name", "content_type"),
    [("arabic_cp1256.rss", "text/xml"), ("arabic_iso8859_6_undeclared.rss", None)],
)
def test_legacy_arabic_feeds_decode_and_parse(name: str, content_type: str | None) -> None:
    items = parse(RSS, page(fixture(name), content_type=content_type))
    assert [i.title for i in items] == [
        "عاجل | ترمب يفرض 30% جمارك على واردات أوروبا",
        "إسرائيل تطلب استعادة أبقارها من لبنان",
        "وزارة الصحة: لقاحٌ جديد ضدّ الكوليرا",
    ]
    first = items[0]
    assert first.url == "https://wire.example.net/ar/2001"
    assert first.guid == "wire-2001"
    assert first.categories == ("سياسة",)
    assert first.published_at == datetime(2025, 7, 12, 16, 30, tzinfo=UTC)
    assert items[1].published_at == datetime(2025, 7, 12, 13, 10, tzinfo=UTC)  # +0300 → UTC
    assert first.summary == "عاجل | ترمب يفرض 30% جمارك على واردات أوروبا & تفاصيل"


def test_atom_titles_by_type_and_relative_links() -> None:
    items = parse(RSS, page(fixture("atom_ar.atom"), url="https://atom.example.org/feed"))
    assert [i.title for i in items] == [
        "خبر عاجل: زلزال بقوة 6.2 درجة يضرب شمال المغرب",  # type="html": tags stripped
        "AT&amp;T توقع صفقة مع شركة اتصالات خليجية",  # type="text": unescaped exactly once
        "الأمم المتحدة تحذر من مجاعة وشيكة في السودان",  # type="xhtml"
    ]
    assert items[0].url == "https://atom.example.org/ar/quake-62"
    assert items[0].published_at == datetime(2025, 7, 12, 10, 5, tzinfo=UTC)
    assert items[1].published_at == datetime(2025, 7, 12, 9, 0, tzinfo=UTC)  # published preferred
    assert items[0].categories == ("دولي",)


@pytest.mark.parametrize(
    ("xml_title", "expected"),
    [
        ("AT&amp;amp;T", "AT&amp;T"),
        ("<![CDATA[AT&amp;T]]>", "AT&amp;T"),
        ("<![CDATA[  Cafe <b>Bold</b> &amp; more  ]]>", "Cafe Bold & more"),
        ("Google &lt;b&gt;Slack&lt;/b&gt; jobs", "Google Slack jobs"),
        ("x &lt; y", "x < y"),
        ("\u202bعاجل\u202c | \u200fخبر\u200e", "عاجل | خبر"),
        ("  many\n\n  spaces\t here ", "many spaces here"),
        ("Me\u0301xico", "México"),
        ("<![CDATA[Trump&#8217;s plan]]>", "Trump’s plan"),  # numeric references: see bot.news.text
    ],
)
def test_rss_title_hygiene(xml_title: str, expected: str) -> None:
    assert parse(RSS, page(rss_doc(xml_title)))[0].title == expected


def test_title_less_item_falls_back_to_its_description() -> None:
    doc = rss_doc("", "<description>" + "كلمة " * 100 + "</description>").replace("<title></title>", "")
    item = parse(RSS, page(doc))[0]
    assert item.title.endswith("…") and len(item.title) <= 201


def test_malformed_feed_still_yields_recovered_items() -> None:
    items = parse(RSS, page(fixture("malformed.xml")))
    assert [i.title for i in items] == ["أول خبر سليم", "خبر ثانٍ & بلا إغلاق"]


@pytest.mark.parametrize(
    ("body", "reason"),
    [
        (b"", "empty body"),
        (b"   ", "empty body"),
        (b"<html><body><h1>Not here</h1></body></html>", "not a feed: the body is an HTML page"),
        (b"\x00\x01garbage\xff", "not an RSS/Atom feed"),
        (b'{"json": true}', "not an RSS/Atom feed"),
        (b'<?xml version="1.0"?><rss version="2.0"><channel><title>x', "malformed feed, no items recovered"),
        (b'<?xml version="1.0"?><rss version="2.0"><channel><item><title>x', "malformed feed"),
    ],
)
def test_non_feeds_are_parse_errors_naming_the_source(body: bytes, reason: str) -> None:
    with pytest.raises(ParseError) as info:
        parse(RSS, page(body))
    assert info.value.source == "wire"
    assert reason in info.value.message


def test_well_formed_feed_without_items_is_empty() -> None:
    assert parse(RSS, page('<rss version="2.0"><channel><title>quiet</title></channel></rss>')) == []


def test_not_modified_is_empty() -> None:
    assert parse(RSS, replace(page(b""), not_modified=True, status=304)) == []


def test_entity_bomb_is_refused_before_anything_is_expanded() -> None:
    body = fixture("entity_bomb.xml")
    tracemalloc.start()
    try:
        with pytest.raises(ParseError, match="entity-expansion guard"):
            parse(RSS, page(body))
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    # expanded, the bomb is gigabytes; refused up front, parsing it allocates a few kilobytes
    assert peak < 1_000_000, peak


def test_feedparser_alone_does_not_expand_the_bomb_either() -> None:
    # Documents the library's own behaviour our guard does not rely on: unsafe entity declarations
    # are stripped before the SAX parser sees them, so the title stays unexpanded and tiny.
    result = feedparser.parse(fixture("entity_bomb.xml"))
    titles = [e.get("title", "") for e in result.entries]
    assert all(len(t) < 100 for t in titles)


def test_external_entities_are_refused() -> None:
    with pytest.raises(ParseError, match="XXE guard"):
        parse(RSS, page(fixture("xxe.xml")))


def test_parameter_entities_are_refused() -> None:
    doc = '<?xml version="1.0"?><!DOCTYPE r [<!ENTITY % p SYSTEM "http://127.0.0.1/x.dtd"> %p;]><rss/>'
    with pytest.raises(ParseError, match="XXE guard"):
        parse(RSS, page(doc))


def test_a_body_that_names_a_local_file_is_not_read_as_that_file(tmp_path: Path) -> None:
    secret = tmp_path / "feed.xml"
    secret.write_text(rss_doc("secret local file"), encoding="utf-8")
    with pytest.raises(ParseError):
        parse(RSS, page(str(secret).encode()))


def test_gzip_body_is_inflated() -> None:
    import gzip

    assert parse(RSS, page(gzip.compress(rss_doc("مضغوط").encode())))[0].title == "مضغوط"


def test_links_are_absolute_http_only() -> None:
    doc = rss_doc("x").replace("https://x.example.com/1", "javascript:alert(1)")
    assert parse(RSS, page(doc))[0].url is None


def test_exact_repeats_within_a_feed_are_dropped() -> None:
    item = "<item><title>مكرر</title><link>https://x.example.com/1</link></item>"
    doc = f'<rss version="2.0"><channel><title>t</title>{item}{item}</channel></rss>'
    assert len(parse(RSS, page(doc))) == 1


# ------------------------------------------------------------------------------------------------ HTML


def test_arabic_ticker_page() -> None:
    items = parse(TICKER, page(fixture("ticker_ar.html"), url="https://ar.example.com/"))
    titles = [i.title for i in items]
    assert titles == [
        "إسبانيا في خطر.. فيضانات وتحذير أحمر",
        "قسد تفتح باب الانضمام للجيش السوري",
        "تل أبيب: الجولان مقابل التطبيع مع دمشق",
        'ألمانيا تفكر في إعادة "التجنيد" الإجباري',
        "عاجل | ترمب يفرض 30% جمارك على واردات أوروبا",
        "أميركا تسأل حلفاءها: ماذا ستفعلون إذا حاربنا الصين؟",  # bidi embedding removed
        "قطر تشارك ميدانياً في إخماد حرائق ريف اللاذقية",  # whitespace collapsed
        "ملقة تنسحب من تنظيم مونديال 2030",
        "عاجل: انفجار في مرفأ بيروت",
    ]  # the cloned first item and the empty link are gone
    by_title = {i.title: i for i in items}
    urgent = by_title["عاجل | ترمب يفرض 30% جمارك على واردات أوروبا"]
    assert urgent.flags == ("ticker-item", "urgent")
    assert urgent.url == "https://ar.example.com/ar/news/1005"  # resolved against <base href="/ar/">
    assert urgent.categories == ("اقتصاد",)
    assert urgent.published_at == datetime(2025, 7, 12, 12, 30, tzinfo=UTC)
    first = items[0]
    assert first.url == "https://ar.example.com/ar/news/1001?utm_source=ticker"
    assert first.published_at == datetime(2025, 7, 12, 16, 10, tzinfo=UTC)
    assert by_title["ملقة تنسحب من تنظيم مونديال 2030"].url is None  # javascript: link dropped
    nested = by_title["عاجل: انفجار في مرفأ بيروت"]
    assert "urgent" in nested.flags  # a descendant carries the urgent class
    assert nested.url == "https://other.example.net/story/77"


def test_ticker_links_resolve_against_the_final_url_after_redirects() -> None:
    html = '<ul class="news-ticker"><li><a href="n/1">خبر</a></li></ul>'
    fetched = FetchedPage(
        url="http://old.example.com/", final_url="https://new.example.com/ar/", status=200, body=html.encode()
    )
    spec = replace(TICKER, html=HtmlSelectors(item="ul.news-ticker li"))
    assert parse(spec, fetched)[0].url == "https://new.example.com/ar/n/1"


def test_windows_1256_html_page_with_meta_charset() -> None:
    html = '<html><head><meta charset="windows-1256"></head><body><ul class="news-ticker"><li><a href="/1">عاجل | خبر</a></li></ul></body></html>'
    items = parse(
        TICKER, page(html.encode("cp1256"), url="https://ar.example.com/", content_type="text/html")
    )
    assert items[0].title == "عاجل | خبر"


def test_item_selector_matching_nothing_is_a_parse_error() -> None:
    with pytest.raises(ParseError, match="matched nothing"):
        parse(TICKER, page("<html><body><p>redesigned</p></body></html>", url="https://ar.example.com/"))


def test_empty_html_body_is_a_parse_error() -> None:
    with pytest.raises(ParseError, match="empty body"):
        parse(TICKER, page(b"", url="https://ar.example.com/"))


# ------------------------------------------------------------------------------------------------ JSON


def test_json_api_by_dotted_paths() -> None:
    items = parse(API, page(fixture("api_ar.json"), url="https://api.example.org/v1/latest"))
    assert [i.title for i in items] == [
        "عاجل جداً | زلزال بقوة 7 درجات يضرب جنوب إيران",
        "البنك المركزي المصري يرفع أسعار الفائدة 200 نقطة أساس",
        "Stocks & bonds: Gulf markets rally",  # has tags → rendered as HTML
        "منتخب المغرب يتأهل إلى نصف نهائي كأس أمم أفريقيا",
    ]  # empty/missing titles and non-objects skipped
    first, second, third, fourth = items
    assert first.flags == ("breaking", "flash")
    assert first.url == "https://api.example.org/news/501"
    assert first.guid == "501"
    assert first.published_at == datetime(2025, 7, 12, 9, 30, tzinfo=UTC)
    assert first.summary == "هيئة المسح الجيولوجي الأمريكية"
    assert second.flags == ()
    assert second.categories == ("business", "egypt")
    assert second.published_at == datetime.fromtimestamp(1752312600, tz=UTC)
    assert third.published_at == second.published_at  # epoch milliseconds
    assert third.url == "https://api.example.org/v1/news/503"
    assert fourth.flags == ("breaking",)  # "yes" counts as true
    assert fourth.published_at is None


@pytest.mark.parametrize(
    ("body", "reason"),
    [
        (b"{", "not valid JSON"),
        (b'{"data": {}}', "not found"),
        (b'{"data": {"items": {"a": 1}}}', "is a dict, not a list"),
        (b"[" * 100_000 + b"]" * 100_000, "not valid JSON"),
        (b'{"data": {"items": [{"x": 1}]}}', "none has a title"),
    ],
)
def test_bad_json_is_a_parse_error(body: bytes, reason: str) -> None:
    with pytest.raises(ParseError, match=reason):
        parse(API, page(body, url="https://api.example.org/v1/latest"))


def test_json_html_titles_option_renders_entities() -> None:
    spec = replace(API, json=JsonPaths(items="", title="title.rendered", html_titles=True))
    body = '[{"title": {"rendered": "Trump&#8217;s plan"}}]'
    assert parse(spec, page(body, url="https://api.example.org/"))[0].title == "Trump’s plan"


def test_get_path_handles_lists_and_missing_steps() -> None:
    doc = {"a": {"b": [{"c": 1}, {"c": 2}]}}
    assert get_path(doc, "a.b.1.c") == 2
    assert get_path(doc, "a.b.-1.c") == 2
    assert get_path(doc, "a.b.5.c") is None
    assert get_path(doc, "a.x.c") is None
    assert get_path(doc, "") is doc
    assert get_path(doc, None) is None


# ----------------------------------------------------------------------------------------------- dates


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("2025-07-12T12:30:00+03:00", datetime(2025, 7, 12, 9, 30, tzinfo=UTC)),
        ("2025-07-12T12:30:00Z", datetime(2025, 7, 12, 12, 30, tzinfo=UTC)),
        ("2025-07-12 12:30", datetime(2025, 7, 12, 12, 30, tzinfo=UTC)),  # naive → UTC
        ("Sat, 12 Jul 2025 16:30:00 +0000", datetime(2025, 7, 12, 16, 30, tzinfo=UTC)),
        ("السبت ١٢/٠٧/٢٠٢٥ - ١٢:٣٠ بتوقيت نيويورك", datetime(2025, 7, 12, 12, 30, tzinfo=UTC)),
        (1752312600, datetime(2025, 7, 12, 9, 30, tzinfo=UTC)),
        (1752312600000, datetime(2025, 7, 12, 9, 30, tzinfo=UTC)),
        ("1752312600", datetime(2025, 7, 12, 9, 30, tzinfo=UTC)),
        ("not a date", None),
        ("", None),
        (None, None),
        (True, None),
        ("1800-01-01T00:00:00Z", None),  # implausible
    ],
)
def test_parse_datetime(value: object, expected: datetime | None) -> None:
    assert parse_datetime(value) == expected
