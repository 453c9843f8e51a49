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
     selectors, if any, handed to it as ``prune_xpath``.

3. **Post-cleaning** (:func:`clean_blocks`) removes what generic extractors leave behind on news pages:
   share bars, "اقرأ أيضا" / "Read more" related links, ticker runs ("عاجل | …", "أحدث الأخبار|"),
   tweet-embed attributions, ad/newsletter/"most read" labels, copyright lines, and everything from a
   comments heading ("التعليقات", "Comments") on. Each rule looks at one whole *short* line, so a real
   paragraph that merely mentions "Facebook" or starts with "Read" is never dropped.
4. **Fields**: the date line (``السبت 12/07/2025 - 12:30 بتوقيت نيويورك``) and the source line
   (``المصدر / name``) are recognised by pattern, lifted out of the body into ``dateline`` /
   ``byline``; the dateline's zone ("بتوقيت نيويورك") is mapped to an IANA zone so ``published`` is an
   aware UTC datetime. The title comes from the ``title`` selector, else trafilatura's metadata, else
   ``<h1>``; copies of it at the top of the body are dropped. The **lead** is the first body block when
   it equals a lead-marked element (class ``lead``/``summary``/``standfirst``…) or the page's
   description; a lead-marked element that equals the description but was missed by the extractor is
   put back as the lead.

Invariants: the result is frozen; ``paragraphs`` is non-empty (and with the lead holds at least
:data:`MIN_BODY_WORDS` words), each stripped, whitespace-collapsed and
free of control characters; otherwise :class:`~bot.exceptions.ExtractionError` is raised.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any
from zoneinfo import ZoneInfo

import lxml.etree  # type: ignore[import-untyped]  # no stubs installed; see report
import lxml.html  # type: ignore[import-untyped]
import trafilatura
from cssselect import GenericTranslator, SelectorError

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


# --------------------------------------------------------------------------------------------------
# Text helpers

DEDUPE_BELOW = 100
"""Repeated lines shorter than this (labels, headlines in sidebars) are dropped; longer repeats are kept
because pages do repeat real paragraphs (pull quotes, recaps) and human gold keeps them."""

RELATED_LIST_MAX = 8
"""How many headline-like lines after a bare "اقرأ أيضا"/"Related" heading are taken as its list."""

MIN_BODY_WORDS = 10
"""Fewer words than this (lead + paragraphs) is a navigation stub or an error page, not an article."""

_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
_SPACES = re.compile(r"[\s\u200b\u200e\u200f\u202a-\u202e\u2066-\u2069\ufeff]+")
_ARABIC_DIGITS = str.maketrans("٠١٢٣٤٥٦٧٨٩۰۱۲۳۴۵۶۷۸۹", "01234567890123456789")
_ARABIC_LETTER = re.compile(r"[\u0600-\u06ff\u0750-\u077f\ufb50-\ufdff\ufe70-\ufeff]")
_LATIN_LETTER = re.compile(r"[A-Za-z\u00c0-\u024f]")


def strip_control_chars(text: str) -> str:
    """Remove NUL and C0/DEL control characters, keeping tab, newline and carriage return."""
    return _CONTROL.sub("", text)


def _norm(text: str) -> str:
    """Whitespace-collapsed, bidi-mark-free text: how two copies of one line are compared."""
    return _SPACES.sub(" ", text).strip()


def _key(text: str) -> str:
    """Comparison key: normalised, NFKC, without tatweel, diacritics or punctuation, lower-cased."""
    text = unicodedata.normalize("NFKC", _norm(text)).replace("\u0640", "")
    text = "".join(ch for ch in text if not unicodedata.combining(ch))
    return " ".join(re.findall(r"\w+", text.lower()))


# --------------------------------------------------------------------------------------------------
# Date line and source line

_DAY = r"(?:السبت|الأحد|الاحد|الاثنين|الإثنين|الثلاثاء|الأربعاء|الاربعاء|الخميس|الجمعة)"
_MONTHS: dict[str, int] = {
    name: number
    for number, names in enumerate(
        [
            ("يناير", "كانون الثاني", "جانفي"),
            ("فبراير", "شباط", "فيفري"),
            ("مارس", "آذار", "اذار"),
            ("أبريل", "ابريل", "إبريل", "نيسان", "أفريل", "افريل"),
            ("مايو", "أيار", "ايار", "ماي"),
            ("يونيو", "يونيه", "حزيران", "جوان"),
            ("يوليو", "يوليه", "تموز", "جويلية"),
            ("أغسطس", "اغسطس", "آب", "أوت"),
            ("سبتمبر", "أيلول", "ايلول"),
            ("أكتوبر", "اكتوبر", "تشرين الأول", "تشرين الاول"),
            ("نوفمبر", "تشرين الثاني"),
            ("ديسمبر", "كانون الأول", "كانون الاول"),
        ],
        start=1,
    )
    for name in names
}
_MONTH_ALT = "|".join(sorted((re.escape(m) for m in _MONTHS), key=len, reverse=True))
_TIME = r"(?:\s*[-–|،,]?\s*(?:الساعة\s*)?(?P<h>\d{1,2}):(?P<mi>\d{2})\s*(?P<ampm>ص|م|صباحا|صباحاً|مساء|مساءً|AM|PM|am|pm)?)?"
_ZONE = r"(?:\s*(?:بتوقيت|توقيت)\s+(?P<zone>[\u0600-\u06ff ]{2,30}?))?"
_DATELINE_NUMERIC = re.compile(
    rf"^(?:{_DAY}\s*[،,]?\s*)?(?P<d>\d{{1,2}})[/.-](?P<m>\d{{1,2}})[/.-](?P<y>\d{{4}}){_TIME}{_ZONE}\s*$"
)
_DATELINE_NUMERIC_YMD = re.compile(
    rf"^(?:{_DAY}\s*[،,]?\s*)?(?P<y>\d{{4}})[/.-](?P<m>\d{{1,2}})[/.-](?P<d>\d{{1,2}}){_TIME}{_ZONE}\s*$"
)
_DATELINE_WORDS = re.compile(
    rf"^(?:{_DAY}\s*[،,]?\s*)?(?P<d>\d{{1,2}})\s+(?P<mon>{_MONTH_ALT})\s*(?:\([^)]*\)\s*)?(?P<y>\d{{4}}){_TIME}{_ZONE}\s*$"
)
_DATELINE_LABEL = re.compile(r"^(?:نشر|نُشر|تاريخ النشر|آخر تحديث|اخر تحديث|تم النشر|في)\s*(?:في|:)?\s*")
_ZONES: dict[str, str] = {
    "نيويورك": "America/New_York",
    "واشنطن": "America/New_York",
    "مكة المكرمة": "Asia/Riyadh",
    "مكة": "Asia/Riyadh",
    "الرياض": "Asia/Riyadh",
    "السعودية": "Asia/Riyadh",
    "القاهرة": "Africa/Cairo",
    "مصر": "Africa/Cairo",
    "بيروت": "Asia/Beirut",
    "دمشق": "Asia/Damascus",
    "عمان": "Asia/Amman",
    "عمّان": "Asia/Amman",
    "بغداد": "Asia/Baghdad",
    "الدوحة": "Asia/Qatar",
    "الكويت": "Asia/Kuwait",
    "دبي": "Asia/Dubai",
    "أبوظبي": "Asia/Dubai",
    "الإمارات": "Asia/Dubai",
    "القدس": "Asia/Jerusalem",
    "غزة": "Asia/Gaza",
    "تونس": "Africa/Tunis",
    "الجزائر": "Africa/Algiers",
    "الرباط": "Africa/Casablanca",
    "المغرب": "Africa/Casablanca",
    "لندن": "Europe/London",
    "باريس": "Europe/Paris",
    "غرينتش": "UTC",
    "غرينيتش": "UTC",
    "جرينتش": "UTC",
    "جرينيتش": "UTC",
}
_SOURCE_LINE = re.compile(
    r"^(?:المصدر|مصدر الخبر|الكاتب|كتب|كتبت|بقلم|تحرير|إعداد|اعداد|مراسل|By|BY|Source)\s*[/:|\-–]?\s*(?P<name>\S.{0,60})$"
)


def parse_dateline(line: str) -> datetime | None:
    """Read an Arabic date line ("السبت 12/07/2025 - 12:30 بتوقيت نيويورك") into aware UTC.

    Returns ``None`` if ``line`` is not *only* a date line. Without a zone the time is taken as UTC;
    "م"/"PM" add twelve hours. Arabic-Indic digits are accepted.
    """
    text = _DATELINE_LABEL.sub("", _norm(line).translate(_ARABIC_DIGITS))
    if len(text) > 90:
        return None
    match = _DATELINE_NUMERIC.match(text) or _DATELINE_NUMERIC_YMD.match(text) or _DATELINE_WORDS.match(text)
    if match is None:
        return None
    groups = match.groupdict()
    month = _MONTHS[groups["mon"]] if groups.get("mon") else int(groups["m"])
    hour = int(groups["h"]) if groups.get("h") else 0
    minute = int(groups["mi"]) if groups.get("mi") else 0
    ampm = (groups.get("ampm") or "").lower()
    if ampm in {"م", "مساء", "مساءً", "pm"} and hour < 12:
        hour += 12
    elif ampm in {"ص", "صباحا", "صباحاً", "am"} and hour == 12:
        hour = 0
    zone_name = (groups.get("zone") or "").strip()
    tz = ZoneInfo(_ZONES.get(zone_name, "UTC"))
    try:
        local = datetime(int(groups["y"]), month, int(groups["d"]), hour, minute, tzinfo=tz)
    except ValueError:
        return None
    return local.astimezone(UTC)


def _source_name(line: str) -> str | None:
    """The name on a source line ("المصدر / شيماء مصطفى" → "شيماء مصطفى"), or ``None``."""
    text = _norm(line)
    if len(text) > 80:
        return None
    match = _SOURCE_LINE.match(text)
    if match is None:
        return None
    name = match.group("name").strip(" /:|-–")
    if not name or len(name.split()) > 8:
        return None
    return name


# --------------------------------------------------------------------------------------------------
# Boilerplate lines

_SHARE_WORDS = frozenset(
    [
        "شارك",
        "شاركها",
        "الخبر",
        "المقال",
        "الموضوع",
        "شارك_الخبر",
        "مشاركة",
        "المشاركة",
        "فيسبوك",
        "فيس",
        "بوك",
        "تويتر",
        "تويتير",
        "إكس",
        "واتساب",
        "واتس",
        "اب",
        "تلغرام",
        "تيليجرام",
        "تليجرام",
        "لينكدإن",
        "لينكد",
        "إن",
        "انستغرام",
        "إنستغرام",
        "يوتيوب",
        "طباعة",
        "اطبع",
        "نسخ",
        "الرابط",
        "رابط",
        "مختصر",
        "بريد",
        "إلكتروني",
        "أرسل",
        "ارسل",
        "لصديق",
        "عبر",
        "على",
        "حفظ",
        "facebook",
        "twitter",
        "x",
        "whatsapp",
        "telegram",
        "linkedin",
        "pinterest",
        "reddit",
        "tumblr",
        "email",
        "mail",
        "print",
        "share",
        "shares",
        "tweet",
        "copy",
        "link",
        "google",
        "youtube",
        "rss",
        "instagram",
        "messenger",
        "on",
        "via",
        "this",
        "article",
        "story",
        "save",
        "comment",
        "comments",
    ]
)
_RELATED_PREFIX = re.compile(
    r"^\W*(?:اقرأ|إقرأ|أقرأ|اقرا|إقرا)\s+(?:أيضا|أيضاً|ايضا|ايضاً|أيضًا|كذلك|المزيد)"
    r"|^\W*(?:مواضيع|أخبار|اخبار|مقالات|موضوعات)\s+(?:ذات صلة|متعلقة|مشابهة|قد تهمك)"
    r"|^\W*(?:ذات صلة|قد يهمك|قد يعجبك|المزيد من)\s*[:：]"
    r"|^\W*(?:read|also read|read also|read more|see also|more on this|related|related stories|related articles"
    r"|recommended|watch|listen|more from|you may also like|you might also like)\s*[:：|]",
    re.IGNORECASE,
)
_RELATED_SHORT = re.compile(
    r"^\W*(?:اقرأ أيضا|اقرأ أيضاً|اقرأ ايضا|إقرأ أيضا|مواضيع ذات صلة|أخبار ذات صلة|اخبار ذات صلة|الأكثر قراءة"
    r"|الأكثر مشاهدة|الأكثر تداولا|read more|related|related stories|related articles|more stories"
    r"|most read|most popular|recommended)\W*$",
    re.IGNORECASE,
)
_TICKER_LABEL = re.compile(
    r"^\W*(?:أحدث الأخبار|آخر الأخبار|اخر الاخبار|شريط الأخبار|الأخبار العاجلة)\s*[|:]|^\W*عاجل\s*:"
)
_TICKER_ITEM = re.compile(r"عاجل\s*\|")
_COMMENTS_HEAD = re.compile(
    r"^\W*(?:التعليقات|تعليقات|تعليقات القراء|أضف تعليق|أضف تعليقك|أضف تعليقا|أضف تعليقاً|اترك تعليقا|اترك تعليقاً"
    r"|اكتب تعليقك|comments?|\d+\s+comments?|leave a (?:comment|reply)|post a comment|add a comment"
    r"|join the discussion|show comments|view comments)\s*(?:\(\d+\))?\W*$",
    re.IGNORECASE,
)
_NOISE_LINE = re.compile(
    r"^\W*(?:إعلان|اعلان|advertisement|sponsored|ad|النشرة البريدية|اشترك|اشترك الآن|subscribe|sign up"
    r"|تابعونا على.{0,40}|تابعنا على.{0,40}|follow us on.{0,40}|لا توجد تعليقات.{0,40}|no comments.{0,30}"
    r"|جميع الحقوق محفوظة.{0,60}|all rights reserved.{0,60}|©.{0,80}|copyright ©?.{0,80}"
    r"|شارك\W{0,3}|مشاركة\W{0,3}|share this.{0,30}|share on.{0,30}|الوسوم|tags?|كلمات مفتاحية)\W*$",
    re.IGNORECASE,
)
_SENTENCE_END = re.compile(r"[.!?؟…。][\"'»”)]*$")
_TAGS_LINE = re.compile(
    r"^\W*(?:الوسوم|وسوم|كلمات مفتاحية|الكلمات المفتاحية|مواضيع|tags|topics|filed under)\s*:", re.I
)
_COMMENT_POLICY = re.compile(
    r"(?:التعليقات|تعليقات|تعليقك|التعليق|مشاركاتك).{0,200}(?:إرشادات|سياسة|شروط|لا تعبر|مسؤولية)"
    r"|الآراء الواردة.{0,80}لا تعبر|لا تعبر عن رأي (?:الموقع|الصحيفة|موقع)"
    r"|comments? (?:are|is) (?:moderated|closed)|views expressed in (?:the )?comments",
    re.IGNORECASE,
)
_TWEET_ATTRIBUTION = re.compile(r"^[—–-]\s*.{1,80}\(@\w{1,30}\)\s*.{0,40}$")
_PIC_TWITTER = re.compile(r"^\S*pic\.twitter\.com/\S+$")


def _is_share_line(line: str) -> bool:
    words = re.findall(r"\w+", line.lower())
    return bool(words) and len(line) <= 120 and all(w in _SHARE_WORDS for w in words)


def _is_boilerplate(line: str) -> bool:
    """A whole short line that is navigation, sharing, a related link, a ticker run or a label."""
    if len(line) <= 200 and _RELATED_PREFIX.match(line):
        return True
    if len(line) <= 60 and (_RELATED_SHORT.match(line) or _NOISE_LINE.match(line)):
        return True
    if len(line) <= 160 and _TAGS_LINE.match(line):
        return True
    if len(line) <= 500 and _COMMENT_POLICY.search(line):
        return True
    if _TICKER_ITEM.search(line) or (_TICKER_LABEL.match(line) and len(line) <= 160):
        return True
    return bool(_is_share_line(line) or _TWEET_ATTRIBUTION.match(line) or _PIC_TWITTER.match(line))


def _is_headline_like(line: str) -> bool:
    """A related-link item: a short line of a few words, not closed by a full stop.

    Headlines may end in "!" or "؟" but almost never in ".", which body sentences do.
    """
    return len(line) <= 120 and len(line.split()) <= 16 and not line.rstrip("\"'»”) ").endswith(".")


def clean_blocks(blocks: Iterable[str], *, title: str | None = None) -> list[str]:
    """Drop boilerplate lines, repeated short lines and title copies; stop at a comments heading.

    Headline-like lines right after a bare related-links heading ("اقرأ أيضا", "Related") are that
    heading's list and go with it (at most :data:`RELATED_LIST_MAX` of them). The comments cut only applies once some body text has been kept, so a page whose extractor
    returned the comment thread alone still reads as "no body" rather than as comments.
    """
    title_key = _key(title) if title else None
    seen: set[str] = set()
    kept: list[str] = []
    related_left = 0
    for raw in blocks:
        line = _norm(raw)
        if not line:
            continue
        if _COMMENTS_HEAD.match(line) and len(line) <= 60:
            if kept:
                break
            continue
        if related_left and _is_headline_like(line):
            related_left -= 1
            continue
        related_left = RELATED_LIST_MAX if len(line) <= 60 and _RELATED_SHORT.match(line) else 0
        if related_left or _is_boilerplate(line):
            continue
        key = _key(line)
        if not key or (title_key and key == title_key and len(kept) < 4):
            continue
        if key in seen and len(line) < DEDUPE_BELOW:
            continue
        seen.add(key)
        kept.append(line)
    return kept


# --------------------------------------------------------------------------------------------------
# lxml helpers

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


def _parse(html: str) -> lxml.html.HtmlElement | None:
    try:
        tree = lxml.html.document_fromstring(html)
    except (lxml.etree.ParserError, ValueError):
        return None
    return tree


def _css(tree: lxml.html.HtmlElement, selector: str) -> list[lxml.html.HtmlElement]:
    try:
        result = tree.cssselect(selector)
    except SelectorError as e:
        raise ExtractionError(f"bad CSS selector {selector!r}: {e}") from e
    return [el for el in result if isinstance(el, lxml.html.HtmlElement)]


def _css_to_xpath(selectors: Sequence[str]) -> list[str]:
    translator = GenericTranslator()
    out: list[str] = []
    for selector in selectors:
        try:
            out.append(translator.css_to_xpath(selector))
        except SelectorError as e:
            raise ExtractionError(f"bad CSS selector {selector!r}: {e}") from e
    return out


def _element_text(el: lxml.html.HtmlElement) -> str:
    return _norm(el.text_content())


def _element_blocks(el: lxml.html.HtmlElement) -> list[str]:
    """Text of ``el`` cut at block elements and ``<br>``: one entry per visual paragraph.

    Works on a copy so callers' trees stay untouched.
    """
    copy = lxml.html.fromstring(lxml.html.tostring(el, encoding="unicode"))
    for bad in copy.xpath(" | ".join(f"descendant-or-self::{t}" for t in _NEVER_TEXT.split())):
        if bad is not copy:
            bad.drop_tree()
    for node in copy.iter():
        if not isinstance(node.tag, str):
            continue
        if node.tag.lower() in _BLOCK_TAGS:
            node.text = "\n" + (node.text or "")
            node.tail = "\n" + (node.tail or "")
    return [line for line in (_norm(part) for part in copy.text_content().split("\n")) if line]


def _meta_description(tree: lxml.html.HtmlElement) -> str | None:
    for xpath in (
        '//meta[@property="og:description"]/@content',
        '//meta[@name="description"]/@content',
        '//meta[@name="twitter:description"]/@content',
    ):
        values = tree.xpath(xpath)
        if values and _norm(str(values[0])):
            return _norm(str(values[0]))
    return None


def _lead_candidates(tree: lxml.html.HtmlElement) -> list[str]:
    """Texts of lead-marked elements (by class/id) and of an ``<h2>`` right after the ``<h1>``."""
    out: list[str] = []
    for el in tree.xpath("//body//*[@class or @id]"):
        if el.tag in {"body", "html", "script", "style", "meta", "a", "ul", "ol", "nav", "img"}:
            continue
        marker = f"{el.get('class', '')} {el.get('id', '')}"
        if _LEAD_CLASS.search(marker):
            text = _element_text(el)
            if 15 <= len(text) <= 500:
                out.append(text)
        if len(out) > 20:
            break
    for h1 in tree.xpath("//body//h1")[:2]:
        sibling = h1.getnext()
        while sibling is not None and sibling.tag not in {"h2", "p", "div"}:
            sibling = sibling.getnext()
        if sibling is not None and sibling.tag == "h2":
            text = _element_text(sibling)
            if 15 <= len(text) <= 500:
                out.append(text)
    return out


def _short_text_nodes(tree: lxml.html.HtmlElement, limit: int = 3000) -> list[tuple[str, Any]]:
    """(text, parent element) of short visible text nodes, in document order (first ``limit`` nodes)."""
    out: list[tuple[str, Any]] = []
    for node in tree.xpath("//body//text()[not(ancestor::script) and not(ancestor::style)]")[:limit]:
        text = str(node)
        if len(text) > 300:
            continue
        text = _norm(text)
        if 3 <= len(text) <= 120:
            out.append((text, node.getparent()))
    return out


_MAYBE_DATE = re.compile(r"\d{4}|[\u0660-\u0669]{4}")
_MAYBE_SOURCE = re.compile(r"^(?:المصدر|مصدر الخبر|الكاتب|كتب|كتبت|بقلم|تحرير|إعداد|اعداد|مراسل)")


def _find_dateline(tree: lxml.html.HtmlElement, nodes: list[tuple[str, Any]]) -> tuple[str, datetime] | None:
    for el in tree.xpath("//body//time")[:5]:
        text = _element_text(el)
        when = parse_dateline(text)
        if when is not None:
            return text, when
    for text, _parent in nodes:
        if _MAYBE_DATE.search(text):
            when = parse_dateline(text)
            if when is not None:
                return text, when
    return None


def _find_source_name(nodes: list[tuple[str, Any]]) -> str | None:
    for text, parent in nodes:
        if not _MAYBE_SOURCE.match(text):
            continue
        name = _source_name(text)
        if name is None and parent is not None:
            name = _source_name(_element_text(parent))
        if name:
            return name
    return None


_TITLE_SEPARATORS = re.compile(r"\s+[|\-–—:»]\s+")


def _meta(tree: lxml.html.HtmlElement, *names: str) -> str | None:
    for name in names:
        values = tree.xpath(f'//meta[@property="{name}" or @name="{name}" or @itemprop="{name}"]/@content')
        if values and _norm(str(values[0])):
            return _norm(str(values[0]))
    return None


def _names_same_story(heading: str, page_title: str) -> bool:
    """The heading is the page title, or most of it (the rest being a site name): whole words only.

    Guards against a logo ``<h1>CNN</h1>`` matching "... - CNNArabic.com".
    """
    hk, tk = _key(heading), _key(page_title)
    return bool(hk) and f" {hk} " in f" {tk} " and len(hk) >= 0.4 * len(tk)


def _find_title(tree: lxml.html.HtmlElement) -> str | None:
    """``<h1>`` when the page's own title names it, else og:title, else ``<title>`` minus the site name."""
    h1s = [t for t in (_element_text(h) for h in tree.xpath("//body//h1")[:3]) if 3 <= len(t) <= 300]
    og = _meta(tree, "og:title", "twitter:title")
    head = _norm(" ".join(tree.xpath("//head/title//text()")))
    for h1 in h1s:
        if any(_names_same_story(h1, other) for other in (og, head) if other):
            return h1
    if og:
        return og
    if head:
        parts = _TITLE_SEPARATORS.split(head)
        return max(parts, key=len) if parts else head
    return h1s[0] if h1s else None


def _find_published(tree: lxml.html.HtmlElement) -> datetime | None:
    """Cheap machine-readable publication date: article meta, then ``<time datetime>``."""
    values = [
        _meta(tree, "article:published_time", "datePublished", "date", "pubdate", "og:published_time"),
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


def _language(tree: lxml.html.HtmlElement | None, text: str) -> str | None:
    arabic = len(_ARABIC_LETTER.findall(text))
    latin = len(_LATIN_LETTER.findall(text))
    if arabic and arabic >= latin:
        return "ar"
    if tree is not None:
        lang = (tree.get("lang") or tree.get("xml:lang") or "").strip().lower()
        if lang:
            return re.split(r"[-_]", lang)[0] or None
    if latin > arabic:
        return "en"
    return None


def _title_from_blocks(blocks: Sequence[str]) -> str | None:
    """For pages without title markup: a short line repeated near the top (breadcrumb + heading)."""
    top = [_norm(b) for b in blocks[:20] if _norm(b)]
    keys = [_key(b) for b in top]
    for line, key in zip(top, keys, strict=True):
        if key and 3 <= len(line) <= 200 and keys.count(key) >= 2 and not _is_boilerplate(line):
            return line
    return None


def _unmarked_lead(paragraphs: Sequence[str], lifted_at: int) -> str | None:
    """The seed site's lead: right after the date/source line, short, no closing full stop.

    Only used when the page had a date or source line (the Arabic news shape) and no lead markup.
    """
    if lifted_at >= len(paragraphs) or len(paragraphs) - lifted_at < 2:
        return None
    candidate = paragraphs[lifted_at]
    if len(candidate) <= 250 and not _SENTENCE_END.search(candidate):
        return candidate
    return None


# --------------------------------------------------------------------------------------------------
# Entry point


def extract(html: str, *, url: str | None, selectors: ArticleSelectors | None = None) -> ExtractedArticle:
    """Extract the readable article from ``html``; raise :class:`ExtractionError` if there is none."""
    html = strip_control_chars(html)
    if not html.strip():
        raise ExtractionError("empty page")
    tree = _parse(html)
    selectors = selectors or ArticleSelectors()

    blocks: list[str] = []
    title: str | None = None

    if tree is not None and selectors.title:
        found = _css(tree, selectors.title)
        title = _element_text(found[0]) if found else None

    body_elements = _css(tree, selectors.body) if tree is not None and selectors.body else []
    if body_elements:
        work = lxml.html.fromstring(lxml.html.tostring(tree, encoding="unicode"))
        for selector in selectors.drop:
            for el in _css(work, selector):
                el.drop_tree()
        for el in _css(work, selectors.body or ""):
            blocks.extend(_element_blocks(el))
    if not blocks:
        try:
            doc = trafilatura.bare_extraction(
                html,
                url=url,
                include_comments=False,
                include_tables=True,
                with_metadata=False,
                prune_xpath=_css_to_xpath(selectors.drop) or None,
            )
        except (ValueError, TypeError, AttributeError, lxml.etree.LxmlError) as e:
            # trafilatura on hostile markup: a library failure is "no readable body", not a crash.
            raise ExtractionError(f"extractor failed on {url or 'page'}: {e}") from e
        text = getattr(doc, "text", None) if doc is not None else None
        if text:
            blocks = str(text).split("\n")

    if tree is not None and not title:
        title = _find_title(tree)

    if not title:
        title = _title_from_blocks(blocks)

    # Boilerplate out first, then the date line and source line are lifted out of the body's top.
    dateline: str | None = None
    published: datetime | None = None
    byline: str | None = None
    body: list[str] = []
    lifted_at: int | None = None
    for line in clean_blocks(blocks, title=title):
        when = parse_dateline(line) if len(line) <= 90 else None
        if when is not None:
            if dateline is None:
                dateline, published = line, when
                lifted_at = len(body)
            continue
        name = _source_name(line) if len(body) < 3 else None
        if name is not None and not line.startswith(("By ", "BY ", "Source")):
            byline = byline or name
            lifted_at = len(body)
            continue
        body.append(line)

    if tree is not None:
        if selectors.dateline:
            found = _css(tree, selectors.dateline)
            if found:
                dateline = _element_text(found[0]) or dateline
                published = parse_dateline(dateline or "") or published
        nodes = _short_text_nodes(tree) if dateline is None or byline is None else []
        if dateline is None:
            found_line = _find_dateline(tree, nodes)
            if found_line is not None:
                dateline, published = found_line
        if selectors.byline:
            found = _css(tree, selectors.byline)
            if found:
                text = _element_text(found[0])
                byline = _source_name(text) or text or byline
        if byline is None:
            byline = _find_source_name(nodes) or _meta(tree, "author", "article:author")
        if published is None:
            published = _find_published(tree)

    paragraphs = body

    # Lead: a lead-marked element or the page description, first in the body or put back in front.
    lead: str | None = None
    if tree is not None:
        if selectors.lead:
            found = _css(tree, selectors.lead)
            lead = _element_text(found[0]) if found else None
        description = _meta_description(tree)
        candidates = _lead_candidates(tree) if lead is None else []
        candidate_keys = {_key(c) for c in candidates}
        description_key = _key(description) if description else ""
        if lead is None and paragraphs:
            first = _key(paragraphs[0])
            if first and (first in candidate_keys or first == description_key):
                lead = paragraphs[0]
        if lead is None and description_key and description_key in candidate_keys:
            lead = next(c for c in candidates if _key(c) == description_key)
        if lead is None and lifted_at is not None:
            lead = _unmarked_lead(paragraphs, lifted_at)
        if lead is not None:
            lead_key = _key(lead)
            paragraphs = [p for p in paragraphs if _key(p) != lead_key]

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
        language=_language(tree, text_sample),
    )
