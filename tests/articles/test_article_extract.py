from __future__ import annotations

import html
import json
from datetime import UTC, datetime
from pathlib import Path

import pytest

from bot.articles.extract import ArticleSelectors, clean_blocks, extract, parse_dateline, strip_control_chars
from bot.articles.scoring import bow_score
from bot.articles.text import Block
from bot.domain import SourceKind
from bot.exceptions import ExtractionError
from bot.sources.encoding import decode_body
from tests.conftest import shared_path

PROJECT = Path(__file__).resolve().parents[2]
SEED_SHAPED = PROJECT / "tests" / "data" / "articles" / "seed_shaped"

SEED_PAGES = sorted(SEED_SHAPED.glob("*.html"))
BOILERPLATE = [
    "عاجل |",
    "اقرأ أيضا",
    "اقرأ أيضاً",
    "فيسبوك",
    "التعليقات",
    "زائر",
    "جميع الحقوق",
    "أحدث الأخبار",
]


def test_there_are_at_least_twenty_seed_shaped_pages() -> None:
    assert len(SEED_PAGES) >= 20


@pytest.mark.parametrize("path", SEED_PAGES, ids=lambda p: p.stem)
def test_seed_shaped_page_gives_fields_and_clean_body(path: Path) -> None:
    meta = json.loads(path.with_suffix(".json").read_text(encoding="utf-8"))
    gold = path.with_suffix(".txt").read_text(encoding="utf-8")
    article = extract(
        decode_body(path.read_bytes(), None, SourceKind.HTML)[0], url=f"https://news.example/{path.stem}"
    )
    assert article.title == meta["title"]
    assert article.byline == meta["byline"]
    assert article.dateline == meta["dateline"]
    assert article.lead == meta["lead"]
    assert article.language == "ar"
    assert article.published is not None and article.published.tzinfo is not None
    score = bow_score(article.text, gold)
    assert score.precision is not None and score.recall is not None
    assert score.precision >= 0.95 and score.recall >= 0.95
    for paragraph in article.paragraphs:
        for marker in BOILERPLATE:
            assert marker not in paragraph


def _page_from_text_dump(text: str) -> str:
    return (
        "<html><body>"
        + "".join(f"<div>{html.escape(line)}</div>" for line in text.split("\n"))
        + "</body></html>"
    )


def test_the_seed_site_dump_reads_like_an_article() -> None:
    seeds = sorted(shared_path("seed").glob("000_*.txt"))
    assert seeds, "no 000_*.txt in ../shared/seed"
    article = extract(_page_from_text_dump(seeds[0].read_text(encoding="utf-8")), url=None)
    assert article.title == "اتصال مباشر نادر بين دمشق وتل أبيب في باكو"
    assert article.byline == "شيماء مصطفى"
    assert article.dateline == "السبت 12/07/2025 - 12:30 بتوقيت نيويورك"
    assert article.published == datetime(2025, 7, 12, 16, 30, tzinfo=UTC)
    assert article.lead is not None and article.lead.startswith("مصدر دبلوماسي")
    assert article.paragraphs[0].startswith("في خطوة دبلوماسية غير مسبوقة")
    assert article.paragraphs[-1].startswith("يُذكر أن سوريا وإسرائيل")
    assert all("عاجل" not in p and "google" not in p for p in article.paragraphs)


def test_control_characters_are_stripped_before_parsing() -> None:
    body = "".join(
        f"<p>Paragraph {i} of a reasonably long story about the\x00 harbour\x07 works.</p>" for i in range(8)
    )
    article = extract(f"<html><body><article><h1>Harbour</h1>{body}</article></body></html>", url=None)
    assert all("\x00" not in p and "\x07" not in p for p in article.paragraphs)
    assert strip_control_chars("a\x00b\tc\nd\x1f") == "ab\tc\nd"


@pytest.mark.parametrize("page", ["", "   ", "<html><body><nav><a href='/'>Home</a></nav></body></html>"])
def test_pages_without_readable_body_raise_extraction_error(page: str) -> None:
    with pytest.raises(ExtractionError):
        extract(page, url="https://news.example/x")


SELECTOR_PAGE = """<html><head><title>موقع</title></head><body>
<div class="ticker">عاجل | خبر آخر</div>
<div class="ttl">عنوان الخبر هنا</div>
<div class="txt">الفقرة الأولى من الخبر.<br><br>الفقرة الثانية من الخبر.<div class="ad">إعلان ممول</div>
<br>الفقرة الثالثة.</div>
<div class="comments">تعليق</div></body></html>"""


def test_configured_selectors_take_title_and_br_separated_body_and_drop_matches() -> None:
    selectors = ArticleSelectors(title="div.ttl", body="div.txt", drop=("div.ad",))
    article = extract(SELECTOR_PAGE, url=None, selectors=selectors)
    assert article.title == "عنوان الخبر هنا"
    assert article.paragraphs == ("الفقرة الأولى من الخبر.", "الفقرة الثانية من الخبر.", "الفقرة الثالثة.")


def test_selectors_from_mapping_accept_a_single_drop_string() -> None:
    selectors = ArticleSelectors.from_mapping({"body": "div.txt", "drop": "div.ad", "title": ""})
    assert selectors == ArticleSelectors(body="div.txt", drop=("div.ad",))


def test_bad_css_selector_is_an_extraction_error() -> None:
    with pytest.raises(ExtractionError, match="selector"):
        extract(SELECTOR_PAGE, url=None, selectors=ArticleSelectors(body="div[[["))


def test_body_selector_that_matches_nothing_falls_back_to_generic_extraction() -> None:
    paragraphs = "".join(
        f"<p>هذه فقرة رقم {i} من نص الخبر الطويل بما يكفي ليُقرأ كمقال.</p>" for i in range(6)
    )
    page = f"<html lang='ar'><body><article><h1>عنوان</h1>{paragraphs}</article></body></html>"
    article = extract(page, url=None, selectors=ArticleSelectors(body="div.none"))
    assert len(article.paragraphs) == 6


@pytest.mark.parametrize(
    ("line", "expected"),
    [
        ("السبت 12/07/2025 - 12:30 بتوقيت نيويورك", datetime(2025, 7, 12, 16, 30, tzinfo=UTC)),
        ("الأحد ١٣/٠٧/٢٠٢٥ - ٠٩:٠٥ بتوقيت مكة المكرمة", datetime(2025, 7, 13, 6, 5, tzinfo=UTC)),
        ("12 يوليو 2025 - 03:15 م بتوقيت القاهرة", datetime(2025, 7, 12, 12, 15, tzinfo=UTC)),
        ("نشر في 1 كانون الثاني 2025", datetime(2025, 1, 1, tzinfo=UTC)),
        ("2025-07-12 08:00", datetime(2025, 7, 12, 8, 0, tzinfo=UTC)),
        ("12/07/2025 12:30 بتوقيت غرينتش", datetime(2025, 7, 12, 12, 30, tzinfo=UTC)),
    ],
)
def test_datelines_are_read_into_aware_utc(line: str, expected: datetime) -> None:
    assert parse_dateline(line) == expected


@pytest.mark.parametrize(
    "line",
    ["وقال المتحدث في 12/07/2025 إن المحادثات مستمرة", "31/02/2025 - 10:00", "عاجل | زلزال", ""],
)
def test_text_that_is_not_only_a_date_line_is_not_a_dateline(line: str) -> None:
    assert parse_dateline(line) is None


def test_cleaning_drops_boilerplate_lines_but_keeps_sentences_that_mention_them() -> None:
    blocks = [
        "عنوان",
        "شارك: فيسبوك تويتر واتساب",
        "Share on Facebook",
        "الفقرة الأولى تتحدث عن منشور على فيسبوك أثار جدلاً واسعاً بين المستخدمين.",
        "اقرأ أيضاً: وزير الخارجية يزور الدوحة",
        "Read more: Markets fall",
        "عاجل | خبر في الشريط",
        "إعلان",
        "— عاجل نيوز (@aajel) July 12, 2025",
        "Read the full report, the minister said, before deciding anything at all.",
        "الفقرة الأولى تتحدث عن منشور على فيسبوك أثار جدلاً واسعاً بين المستخدمين.",
        Block("التعليقات (3)", heading=True),
        "تعليق من قارئ",
    ]
    assert clean_blocks(blocks, title="عنوان") == [
        "الفقرة الأولى تتحدث عن منشور على فيسبوك أثار جدلاً واسعاً بين المستخدمين.",
        "Read the full report, the minister said, before deciding anything at all.",
    ]


def test_english_corpus_page_extracts_without_share_or_comment_lines() -> None:
    manifest = shared_path("corpus", "articles", "MANIFEST.tsv")
    root = manifest.parent
    row = next(
        line.split("\t")
        for line in manifest.read_text(encoding="utf-8").splitlines()[1:]
        if line.startswith("aeb/")
    )
    html_text = decode_body((root / row[0]).read_bytes(), None, SourceKind.HTML)[0]
    gold = (root / row[5]).read_text(encoding="utf-8")
    article = extract(html_text, url=None)
    score = bow_score(article.text, gold)
    assert score.recall is not None and score.recall > 0.8
    assert article.language == "en"
    assert article.title


def test_headlines_listed_under_a_related_heading_go_with_it() -> None:
    blocks = [
        "الفقرة الأولى من الخبر تتحدث عن تطورات مهمة في المنطقة.",
        "اقرأ أيضا",
        "- إسرائيل تحوّل الهدم في غزة إلى استثمار",
        "عراقجي: حربنا لم تكن عبثًا.. والتخصيب مستمر",
        "الفقرة الثانية تعود إلى أصل الخبر وتكمل التفاصيل.",
    ]
    assert clean_blocks(blocks) == [blocks[0], blocks[4]]


def test_selector_body_with_inline_related_list_tags_and_share_line_is_cleaned() -> None:
    path = next(p for p in SEED_PAGES if p.stem.endswith("_inline"))
    gold = path.with_suffix(".txt").read_text(encoding="utf-8")
    meta = json.loads(path.with_suffix(".json").read_text(encoding="utf-8"))
    selectors = ArticleSelectors(title="h1.headline", body="div.single-body", lead="p.excerpt")
    article = extract(decode_body(path.read_bytes(), None, SourceKind.HTML)[0], url=None, selectors=selectors)
    assert article.title == meta["title"]
    assert article.lead == meta["lead"]
    assert article.text.strip() == gold.strip()


@pytest.mark.parametrize(
    "page",
    [
        "<<<>>>&&&",
        "\x00\x01\x02" * 100,
        "<div>" * 3000 + "نص قصير" + "</div>" * 3000,
        "<?xml version='1.0' encoding='utf-8'?><html><body><p>" + "كلمة " * 50 + "</p></body></html>",
        bytes(range(256)).decode("latin-1") * 20,
        "<html><body><p>" + "a" * 200_000 + "</p></body></html>",
    ],
    ids=["brackets", "controls", "deep", "xml-declaration", "binary", "one-huge-word"],
)
def test_hostile_markup_gives_an_article_or_extraction_error_never_a_crash(page: str) -> None:
    try:
        article = extract(page, url=None)
    except ExtractionError:
        return
    assert article.paragraphs


def test_comment_policy_disclaimers_are_boilerplate() -> None:
    blocks = [
        "وقال المرصد السوري لحقوق الإنسان إن مقاتلين سيطروا على ثلاثة مستودعات للذخيرة.",
        "ترحب شبكة CNN بالنقاش الحيوي والمفيد، وكي لا نضطر إلى مراجعة التعليقات قبل نشرها. ننصحك بمراجعة إرشادات الاستخدام.",
        "الآراء الواردة أدناه لا تعبر عن رأي الموقع، بل تعكس وجهات نظر أصحابها فقط.",
    ]
    assert clean_blocks(blocks) == blocks[:1]


def test_a_logo_heading_is_not_taken_for_the_title() -> None:
    body = "".join(
        f"<p>فقرة رقم {i} من نص الخبر الطويل بما يكفي ليُقرأ كمقال صحفي كامل.</p>" for i in range(6)
    )
    page = (
        "<html><head><title>معارضون يسيطرون على مخازن للصواريخ - CNNArabic.com</title>"
        '<meta property="og:title" content="معارضون يسيطرون على مخازن للصواريخ"></head>'
        f"<body><h1>CNN</h1><h2>معارضون يسيطرون على مخازن للصواريخ</h2><article>{body}</article></body></html>"
    )
    assert extract(page, url=None).title == "معارضون يسيطرون على مخازن للصواريخ"
