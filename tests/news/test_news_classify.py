"""Topic keyword rules (bot.news.topics) and classification (bot.news.classify)."""

from __future__ import annotations

import pytest

from bot.domain import ParsedItem, SourceKind, Urgency
from bot.news.classify import classify
from bot.news.topics import match_topics
from bot.sources.spec import SourceSpec, TopicSpec

TOPICS = (
    TopicSpec("politics", "سياسة", "Politics", ("حكومة", "وزير", "انتخاب*", "parliament", "election*")),
    TopicSpec("economy", "اقتصاد", "Economy", ("اقتصاد", "جمارك", "رسوم جمركية", "نفط", "tariff*", "oil")),
    TopicSpec("sports", "رياضة", "Sports", ("الدوري", "كرة القدم", "مونديال", "football")),
    TopicSpec("health", "صحة", "Health", ("مستشفى", "لقاح", "vaccine*")),
)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("والاقتصاد العالمي يتباطأ", ("economy",)),
        ("بالاقتصاد", ("economy",)),
        ("للاقتصاد", ("economy",)),
        ("فالاقتصاد", ("economy",)),
        ("الاقتصاديون يحذرون", ()),  # no wildcard: a different word
        ("ترمب يفرض 30% جمارك على أوروبا", ("economy",)),
        ("فرض رسوم جمركية جديدة", ("economy",)),
        ("فرض رسوم  جمركيه جديدة", ("economy",)),  # taa marbuta and spacing folded
        ("نتائج الانتخابات البرلمانية", ("politics",)),  # wildcard + article
        ("والحكومة تستقيل", ("politics",)),
        ("للدوري الممتاز", ("sports",)),
        ("دوري أبطال أوروبا", ("sports",)),  # keyword written with its article matches the bare word
        ("مباراة كرة القدم", ("sports",)),
        ("مستشفى الشفاء", ("health",)),
        ("مستشفي الشفاء", ("health",)),  # alef maqsura folded
        ("Oil prices jump as tariffs bite", ("economy",)),
        ("OIL", ("economy",)),
        ("Boiling point", ()),  # "oil" inside a word does not count
        ("Parliament votes; election called", ("politics",)),
        ("Vaccines for all", ("health",)),
        ("وزيرة الصحة", ()),  # وزيرة is not وزير without a wildcard
        ("", ()),
    ],
)
def test_keywords_match_at_word_boundaries_with_arabic_clitics(text: str, expected: tuple[str, ...]) -> None:
    assert match_topics(text, TOPICS) == expected


def test_topics_come_back_in_declared_order() -> None:
    assert match_topics("لقاح جديد والحكومة ترفع الجمارك", TOPICS) == ("politics", "economy", "health")


def _spec(**kw: object) -> SourceSpec:
    base: dict[str, object] = {"name": "s", "kind": SourceKind.RSS, "url": "https://s.example.com/feed"}
    base.update(kw)
    return SourceSpec(**base)  # type: ignore[arg-type]


def test_classify_combines_defaults_category_map_and_keywords() -> None:
    spec = _spec(default_topics=("health",), category_map={"رياضة": "sports"})
    item = ParsedItem(title="عاجل | ترمب يفرض 30% جمارك على واردات أوروبا", categories=("رياضه",))
    result = classify(item, spec, TOPICS)
    assert result.urgency is Urgency.URGENT
    assert result.headline == "ترمب يفرض 30% جمارك على واردات أوروبا"
    assert result.topics == ("economy", "sports", "health")
    assert result.item is item


def test_classify_uses_category_text_for_keywords_but_not_summary() -> None:
    item = ParsedItem(title="خبر", categories=("نفط",), summary="قال وزير الصحة إن اللقاح آمن")
    assert classify(item, _spec(), TOPICS).topics == ("economy",)


def test_classify_keeps_undeclared_slugs_after_declared_ones_sorted() -> None:
    spec = _spec(default_topics=("zeta", "alpha"))
    assert classify(ParsedItem(title="لقاح"), spec, TOPICS).topics == ("health", "alpha", "zeta")


def test_classify_applies_per_source_markers_and_flags() -> None:
    spec = _spec(urgency_markers={"مباشر": "flash"})
    assert classify(ParsedItem(title="مباشر | قصف"), spec, TOPICS).urgency is Urgency.FLASH
    flagged = ParsedItem(title="قصف", flags=("ticker-item", "urgent"))
    assert classify(flagged, _spec(), TOPICS).urgency is Urgency.URGENT
