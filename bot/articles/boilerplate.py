"""Boilerplate lines generic extractors leave on news pages, and the cleaner that drops them. Pure.

Each rule looks at one whole *short* line (share bars, "اقرأ أيضا" / "Read more" related links, ticker
runs, tweet-embed attributions, ad/newsletter/"most read" labels, copyright lines), so a real paragraph
that merely mentions "Facebook" or starts with "Read" is never dropped. Everything from a comments
heading on is cut — but only when the extractor marked the line as a heading (see
:func:`clean_blocks`), never on a navigation or statistics label such as "Comment" or "- Comments".
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from bot.articles.text import Block, norm, text_key

__all__ = [
    "DEDUPE_BELOW",
    "RELATED_LIST_MAX",
    "SENTENCE_END",
    "clean_blocks",
    "is_boilerplate",
]

DEDUPE_BELOW = 100
"""Repeated lines shorter than this (labels, headlines in sidebars) are dropped; longer repeats are kept
because pages do repeat real paragraphs (pull quotes, recaps) and human gold keeps them."""

RELATED_LIST_MAX = 8
"""How many headline-like lines after a bare "اقرأ أيضا"/"Related" heading are taken as its list."""

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
    r"|most read|most popular|recommended|you may also like|you might also like|explore further|don'?t miss"
    r"|more|most (?:read|popular|viewed|shared) (?:in|on) .{1,30}|more (?:from|on|in) .{1,30})\W*$",
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
SENTENCE_END = re.compile(r"[.!?؟…。][\"'»”)]*$")
_TAGS_LINE = re.compile(
    r"^\W*(?:الوسوم|وسوم|كلمات مفتاحية|الكلمات المفتاحية|مواضيع|tags|topics|filed under)\s*:", re.I
)
_COMMENT_POLICY = re.compile(
    r"(?:التعليقات|تعليقات|تعليقك|التعليق|مشاركاتك).{0,200}(?:إرشادات|سياسة|شروط|لا تعبر|مسؤولية)"
    r"|الآراء الواردة.{0,80}لا تعبر|لا تعبر عن رأي (?:الموقع|الصحيفة|موقع)"
    r"|comments? (?:are|is) (?:moderated|closed)|views expressed in (?:the )?comments",
    re.IGNORECASE,
)
_COUNTER_LINE = re.compile(
    r"^\W*[\d,.٠-٩]+\s*[kKmM]?\s*(?:views?|reads?|shares?|comments?|likes?|replies"
    r"|مشاهدة|مشاهدات|قراءة|قراءات|تعليق|تعليقات|إعجاب|مشاركة)\W*$",
    re.IGNORECASE,
)
_WIDGET_LINE = re.compile(
    # newsletter and app promos, follow-us lines, reading time, update stamps, credit lines: whole
    # short lines of the page's furniture, in English, Arabic and the other corpus languages
    r"^\W*(?:thanks? (?:you )?for (?:signing up|subscribing)|there was an error processing your subscription"
    r"|(?:subscribe|sign up|join|get)\b.{0,80}\b(?:newsletters?|inbox|delivered)\b.{0,40}"
    r"|(?:\S+\s+){0,5}newsletters?|follow \S+(?: \S+){0,3} on (?:instagram|facebook|twitter|youtube|x)\b.{0,60}"
    r"|(?:reading time|tempo de leitura|وقت القراءة|مدة القراءة)\W.{0,20}|\d+\s*(?:min|minute|minutes|دقائق|دقيقة) read"
    r"|(?=(?:\S+\s*){1,9}$)(?:updated|last updated|published|posted)\b(?=.*(?:\d{1,2}:\d{2}|\d{1,4}[/.-]\d{1,2}[/.-]\d{2,4}"
    r"|\b(?:19|20)\d{2}\b|\b(?:jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec)[a-z]*\b)).{0,60}"
    r"|(?:additional )?reporting by .{1,60}|(?:editing|edited) by .{1,60}"
    r"|\S+\.(?:jpe?g|png|gif|webp)(?:\?\S*)?|\d{4}-\d{2}-\d{2}t\d{2}:\d{2}(?::\d{2})?(?:[+-]\d{2}:?\d{2}|z)?)\W*$",
    re.IGNORECASE,
)
_TWEET_ATTRIBUTION = re.compile(r"^[—–-]\s*.{1,80}\(@\w{1,30}\)\s*.{0,40}$")
_PIC_TWITTER = re.compile(r"^\S*pic\.twitter\.com/\S+$")


def _is_share_line(line: str) -> bool:
    words = re.findall(r"\w+", line.lower())
    return bool(words) and len(line) <= 120 and all(w in _SHARE_WORDS for w in words)


_CRUMB_SEPARATOR = re.compile(r"\s*[»›>]\s*|\s+/\s+")


def is_breadcrumb(line: str) -> bool:
    """ "Home » News » <title>": three or more short parts joined by breadcrumb separators.

    A sentence quoting with «…» also contains "»", so a line with "«" is never a breadcrumb.
    """
    if len(line) > 250 or "«" in line:
        return False
    parts = [p for p in _CRUMB_SEPARATOR.split(line) if p.strip()]
    return len(parts) >= 3 and all(len(p.split()) <= 14 and not SENTENCE_END.search(p) for p in parts)


def is_boilerplate(line: str) -> bool:
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
    if is_breadcrumb(line) or (len(line) <= 40 and _COUNTER_LINE.match(line)):
        return True
    if len(line) <= 160 and _WIDGET_LINE.match(line):
        return True
    return bool(_is_share_line(line) or _TWEET_ATTRIBUTION.match(line) or _PIC_TWITTER.match(line))


def _is_headline_like(line: str) -> bool:
    """A related-link item: a short line of a few words, not closed by a full stop.

    Headlines may end in "!" or "؟" but almost never in ".", which body sentences do.
    """
    return len(line) <= 120 and len(line.split()) <= 16 and not line.rstrip("\"'»”) ").endswith(".")


_URL_LIKE = re.compile(r"^\S*(?:://|www\.)\S*$")


def _teaser_indexes(blocks: list[Block]) -> set[int]:
    """Headline-shaped link lines that come in a run of two or more, or trail the article.

    One such line *between* paragraphs is usually the article's own (a linked product name as a
    sub-heading, a "full results" link) and stays; a run of them, or any after the last paragraph,
    is a list of teasers for other stories. A bare URL is a cited source, never a teaser.
    """
    flags = [b.link and _is_headline_like(norm(b.text)) and not _URL_LIKE.match(norm(b.text)) for b in blocks]
    out: set[int] = set()
    for i, flag in enumerate(flags):
        if flag and ((i > 0 and flags[i - 1]) or (i + 1 < len(flags) and flags[i + 1])):
            out.add(i)
    i = len(flags) - 1
    while i >= 0 and flags[i]:
        out.add(i)
        i -= 1
    return out


def _repeated_runs(blocks: list[Block]) -> set[int]:
    """Indexes of short lines that repeat *together with a different neighbour* that also repeats.

    A recipe or timetable repeats whole sequences ("Meal 1" / "Eat every 2–3 hours" per plan) and
    human gold keeps every copy; a widget label or share link repeats alone ("See it now: Amazon").
    Only the lone repeats are dropped as duplicates.
    """
    keys = [text_key(b.text) for b in blocks]
    seen: set[str] = set()
    repeat = []
    for key in keys:
        repeat.append(bool(key) and key in seen)
        seen.add(key)
    out: set[int] = set()
    for i, is_repeat in enumerate(repeat):
        if not is_repeat:
            continue
        for j in (i - 1, i + 1):
            if 0 <= j < len(keys) and repeat[j] and keys[j] != keys[i]:
                out.add(i)
                break
    return out


def clean_blocks(blocks: Iterable[str | Block], *, title: str | None = None) -> list[str]:
    """Drop boilerplate lines, repeated short lines and title copies; stop at a comments heading.

    Headline-like lines right after a bare related-links heading ("اقرأ أيضا", "Related") are that
    heading's list and go with it (at most :data:`RELATED_LIST_MAX` of them). The comments cut fires
    only on a :class:`Block` marked ``heading`` (a plain string never is): the same words as a menu
    entry ("Comment") or a counter ("- Comments", "12 comments") sit *inside* articles and cutting there
    loses the rest of the story. The cut only applies once some body text has been kept, so a page
    whose extractor returned the comment thread alone still reads as "no body" rather than as comments;
    a comments label that is not a heading is simply dropped as a line.
    """
    title_key = text_key(title) if title else None
    seen: set[str] = set()
    kept: list[str] = []
    related_left = 0
    items = [raw if isinstance(raw, Block) else Block(raw) for raw in blocks]
    teasers = _teaser_indexes(items)
    structural = _repeated_runs(items)
    for index, block in enumerate(items):
        line = norm(block.text)
        if not line:
            continue
        if _COMMENTS_HEAD.match(line) and len(line) <= 60:
            if kept and block.heading:
                break
            continue
        if related_left and _is_headline_like(line):
            related_left -= 1
            continue
        if index in teasers:
            continue
        related_left = RELATED_LIST_MAX if len(line) <= 60 and _RELATED_SHORT.match(line) else 0
        if related_left or is_boilerplate(line):
            continue
        key = text_key(line)
        if not key or (title_key and key == title_key and len(kept) < 4):
            continue
        if key in seen and len(line) < DEDUPE_BELOW and index not in structural:
            continue
        seen.add(key)
        kept.append(line)
    return kept
