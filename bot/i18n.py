"""User-facing strings in Arabic (the default) and English.

A plain catalogue rather than gettext: the bot has a few dozen strings, two languages, and the
translators are the newsroom's own editors, who edit this file. Every key must exist in both
languages (a test checks it). Values are *plain text templates*: callers escape what they insert
(``str.format`` arguments go through ``html.quote`` before formatting when the result is HTML).
"""

from __future__ import annotations

from typing import Literal

Lang = Literal["ar", "en"]
LANGS: tuple[Lang, ...] = ("ar", "en")

CATALOGUE: dict[str, dict[Lang, str]] = {
    "badge.flash": {"ar": "🔴🔴 عاجل جدًا", "en": "🔴🔴 FLASH"},
    "badge.urgent": {"ar": "🔴 عاجل", "en": "🔴 BREAKING"},
    "badge.normal": {"ar": "📰 خبر", "en": "📰 News"},
    "button.full_article": {"ar": "📄 الخبر كاملًا", "en": "📄 Full article"},
    "button.open_link": {"ar": "🔗 المصدر", "en": "🔗 Source"},
    "welcome": {
        "ar": "أهلًا بك في عاجل! اختر المواضيع التي تريد أن تصلك أخبارها العاجلة:",
        "en": "Welcome to Aajel! Pick the topics whose breaking news you want:",
    },
    "topics.prompt": {
        "ar": "المواضيع (اضغط للاشتراك أو الإلغاء):",
        "en": "Topics (tap to subscribe or unsubscribe):",
    },
    "topics.none": {"ar": "لا توجد مواضيع بعد.", "en": "There are no topics yet."},
    "topic.subscribed": {"ar": "✅ اشتركت في: {topic}", "en": "✅ Subscribed to: {topic}"},
    "topic.unsubscribed": {"ar": "❎ ألغيت الاشتراك في: {topic}", "en": "❎ Unsubscribed from: {topic}"},
    "topic.unknown": {
        "ar": "لا يوجد موضوع باسم «{topic}». المواضيع المتاحة: {available}",
        "en": "There is no topic called “{topic}”. Available topics: {available}",
    },
    "article.usage": {
        "ar": "الاستخدام: /article <رقم الخبر أو رابطه>",
        "en": "Usage: /article <article number or link>",
    },
    "article.not_found": {"ar": "لم أجد هذا الخبر.", "en": "I could not find that article."},
    "article.failed": {
        "ar": "تعذّر جلب نص الخبر الآن. يمكنك قراءته هنا: {url}",
        "en": "I could not fetch the article text right now. You can read it here: {url}",
    },
    "article.not_allowed": {
        "ar": "لا أجلب إلا أخبار المصادر المعتمدة لدي.",
        "en": "I only fetch articles from the sources I follow.",
    },
    "article.page": {"ar": "صفحة {page}/{pages}", "en": "page {page}/{pages}"},
    "button.next_page": {"ar": "التالي ◀️", "en": "Next ▶️"},
    "button.prev_page": {"ar": "▶️ السابق", "en": "◀️ Previous"},
    "callback.stale": {
        "ar": "هذا الزر قديم أو غير صالح.",
        "en": "This button is out of date or invalid.",
    },
    "error.generic": {
        "ar": "حدث خطأ غير متوقع، حاول مرة أخرى بعد قليل.",
        "en": "Something went wrong; please try again shortly.",
    },
    "source_line": {"ar": "المصدر: {source}", "en": "Source: {source}"},
    "topic_line": {"ar": "الموضوع: {topics}", "en": "Topic: {topics}"},
}


def t(key: str, lang: str, **kwargs: object) -> str:
    """The string ``key`` in ``lang`` (falling back to Arabic), formatted with ``kwargs``."""
    entry = CATALOGUE[key]
    template = entry.get(lang, entry["ar"]) if lang in LANGS else entry["ar"]
    return template.format(**kwargs) if kwargs else template


def pick_language(language_code: str | None, default: Lang = "ar") -> Lang:
    """Map Telegram's ``language_code`` (``en-GB``, ``ar``) to a language the bot speaks."""
    if not language_code:
        return default
    code = language_code.split("-")[0].lower()
    if code == "ar":
        return "ar"
    if code == "en":
        return "en"
    return default
