"""Dedup decider: canonical URLs, title keys, similarity and decisions (bot.news.dedup)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from bot.domain import ClassifiedItem, ParsedItem, Urgency
from bot.news.dedup import (
    THRESHOLD,
    Candidate,
    Decision,
    KnownStory,
    StoryIndex,
    canonical_url,
    compare,
    decide,
    similarity,
    title_key,
)

PAIRS = Path(__file__).resolve().parents[1] / "data" / "dedup_pairs.tsv"
AR_PAIRS = Path(__file__).resolve().parents[1] / "data" / "ar_pairs.tsv"
NOW = datetime(2025, 7, 12, 12, 0, tzinfo=UTC)
WINDOW = timedelta(hours=24)


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        (
            "HTTPS://News.Example.COM:443/a/b/?utm_source=x&id=2&fbclid=y#frag",
            "https://news.example.com/a/b?id=2",
        ),
        ("http://example.com:80", "http://example.com/"),
        ("http://example.com:8080/x/", "http://example.com:8080/x"),
        ("https://example.com/x?b=2&a=1&gclid=z&mc_cid=q&ref=tw", "https://example.com/x?a=1&b=2"),
        ("https://example.com/x?utm_medium=app", "https://example.com/x"),
        ("https://example.com/Path/Case", "https://example.com/Path/Case"),
        ("https://example.com./x", "https://example.com/x"),
        (
            "https://example.com/ar/%D8%B9%D8%A7%D8%AC%D9%84",
            "https://example.com/ar/%D8%B9%D8%A7%D8%AC%D9%84",
        ),
        ("mailto:x@example.com", None),
        ("", None),
        (None, None),
        ("http://[::1", None),
    ],
)
def test_canonical_url(url: str | None, expected: str | None) -> None:
    assert canonical_url(url) == expected


def test_canonical_url_is_idempotent() -> None:
    once = canonical_url("https://A.example.com/x/?z=1&utm_campaign=c&a=2")
    assert once is not None
    assert canonical_url(once) == once


def test_title_key_ignores_spelling_noise_but_not_words() -> None:
    assert title_key("ترمب يفرض 30% جمارك") == title_key("ترمب  يَفرض ٣٠٪ جمارك")
    assert title_key("ترمب يفرض 30% جمارك") != title_key("ترمب يفرض 50% جمارك")
    assert len(title_key("x")) == 64


def test_similarity_is_symmetric_enough_and_bounded() -> None:
    a, b = "إسرائيل تطلب استعادة أبقارها من لبنان", "اسرائيل تطالب لبنان بإعادة أبقارها"
    assert 0.0 <= similarity(a, b) <= 1.0
    assert similarity(a, a) == 1.0
    assert similarity("", a) == 0.0


def test_similarity_penalises_different_numbers_and_countries() -> None:
    base = "ترمب يفرض 30% جمارك على واردات أوروبا"
    assert similarity(base, "ترمب يفرض 50% جمارك على واردات أوروبا") < THRESHOLD
    assert (
        similarity("ألمانيا تفكر في إعادة التجنيد الإجباري", "فرنسا تفكر في إعادة التجنيد الإجباري")
        < THRESHOLD
    )


def _known(
    id_: int,
    headline: str,
    *,
    source: str = "ticker",
    guid: str | None = None,
    url: str | None = None,
    age: timedelta = timedelta(hours=1),
) -> KnownStory:
    return KnownStory(
        id=id_,
        source_name=source,
        guid=guid,
        canonical_url=canonical_url(url),
        title_key=title_key(headline),
        headline=headline,
        detected_at=NOW - age,
    )


def _cand(
    headline: str, *, source: str = "ticker", guid: str | None = None, url: str | None = None
) -> Candidate:
    item = ClassifiedItem(
        item=ParsedItem(title=headline, url=url, guid=guid), headline=headline, urgency=Urgency.URGENT
    )
    return Candidate.from_classified(item, source)


TARIFF = "ترمب يفرض 30% جمارك على واردات أوروبا"
REWORDED = "ترامب يفرض رسوما جمركية بنسبة 30% على الواردات الأوروبية"


def test_nothing_known_is_new() -> None:
    assert decide(_cand(TARIFF), [], now=NOW, window=WINDOW).decision is Decision.NEW


def test_same_guid_in_same_source_is_seen_at_any_age() -> None:
    known = [_known(7, "old title", guid="g-1", age=timedelta(days=30))]
    result = decide(_cand("new title", guid="g-1"), known, now=NOW, window=WINDOW)
    assert (result.decision, result.story_id) == (Decision.SEEN, 7)


def test_same_canonical_url_is_seen_despite_tracking_params() -> None:
    known = [_known(8, "x", url="https://ar.example.com/news/1005")]
    cand = _cand("y", url="https://AR.example.com/news/1005/?utm_source=ticker#top")
    assert decide(cand, known, now=NOW, window=WINDOW).decision is Decision.SEEN


def test_same_title_key_within_window_is_seen() -> None:
    known = [_known(9, "ترمب  يَفرض 30% جمارك على واردات أوروبا")]
    result = decide(_cand(TARIFF), known, now=NOW, window=WINDOW)
    assert (result.decision, result.reason) == (Decision.SEEN, "same title")


def test_same_guid_from_another_source_is_not_seen() -> None:
    known = [_known(1, "completely different", source="wire", guid="g-1")]
    assert decide(_cand(TARIFF, guid="g-1"), known, now=NOW, window=WINDOW).decision is Decision.NEW


def test_reworded_story_in_same_source_is_update() -> None:
    result = decide(_cand(REWORDED), [_known(3, TARIFF)], now=NOW, window=WINDOW)
    assert (result.decision, result.story_id) == (Decision.UPDATE, 3)
    assert result.score >= THRESHOLD


def test_same_story_from_another_source_is_duplicate() -> None:
    result = decide(_cand(REWORDED, source="wire"), [_known(4, TARIFF)], now=NOW, window=WINDOW)
    assert (result.decision, result.story_id) == (Decision.DUPLICATE, 4)


def test_stories_outside_the_window_do_not_match_by_similarity_or_title() -> None:
    old = [_known(5, TARIFF, age=timedelta(hours=30))]
    assert decide(_cand(REWORDED), old, now=NOW, window=WINDOW).decision is Decision.NEW
    assert decide(_cand(TARIFF), old, now=NOW, window=WINDOW).decision is Decision.NEW


def test_best_match_wins_and_same_source_breaks_ties() -> None:
    known = [_known(10, TARIFF, source="wire"), _known(11, TARIFF, source="ticker")]
    result = decide(_cand(REWORDED), known, now=NOW, window=WINDOW)
    assert (result.decision, result.story_id) == (Decision.UPDATE, 11)


def test_different_story_is_new() -> None:
    known = [_known(12, "ترمب يفرض 50% جمارك على واردات البرازيل")]
    assert decide(_cand(TARIFF), known, now=NOW, window=WINDOW).decision is Decision.NEW


def test_naive_datetimes_are_taken_as_utc() -> None:
    naive = KnownStory(1, "ticker", None, None, title_key("x"), TARIFF, datetime(2025, 7, 12, 11, 0))
    assert decide(_cand(REWORDED), [naive], now=NOW, window=WINDOW).decision is Decision.UPDATE


def test_the_story_index_decides_exactly_like_comparing_with_every_story() -> None:
    """The index only skips stories that share no content word; on every labelled pair (and against
    all the other headlines at once) it must decide what brute-force similarity decides."""
    rows = [
        line.rstrip("\n").split("\t")
        for line in PAIRS.read_text(encoding="utf-8").splitlines()
        if line.strip() and not line.startswith("#")
    ]
    everything = [_known(i, a, source="wire") for i, (_l, _g, a, _b) in enumerate(rows, start=1)]
    index = StoryIndex(everything)
    for _label, _lang, a, b in rows:
        brute = max(
            ((similarity(b, k.headline), k.id) for k in everything if similarity(b, k.headline) >= THRESHOLD),
            default=None,
        )
        single = decide(_cand(b), [_known(1, a, source="wire")], now=NOW, window=WINDOW)
        assert (single.decision is Decision.DUPLICATE) == (similarity(a, b) >= THRESHOLD), (a, b)
        result = decide(_cand(b), index, now=NOW, window=WINDOW)
        if brute is None:
            assert result.decision is Decision.NEW, b
        else:
            assert (result.decision, result.score) == (Decision.DUPLICATE, brute[0]), b


def test_the_story_index_finds_every_labelled_pair_the_comparison_accepts() -> None:
    """Against an index of every first headline of the project's Arabic pairs, each second headline
    that compare() accepts with its own partner must be decided a duplicate of a story at least as
    similar: the index's best-case bound never hides a match."""
    rows = [line.split("\t") for line in AR_PAIRS.read_text(encoding="utf-8").splitlines()[1:] if line]
    everything = [_known(i, a, source="wire") for i, (_l, _g, a, _b, _k) in enumerate(rows, start=1)]
    index = StoryIndex(everything)
    for _label, _lang, a, b, _kind in rows:
        own = compare(b, a)
        result = decide(_cand(b), index, now=NOW, window=WINDOW)
        if own.same:
            assert result.decision is Decision.DUPLICATE, (a, b)
            assert result.score >= own.score, (a, b)
        elif result.decision is Decision.DUPLICATE:
            assert compare(b, index.get(result.story_id or 0).headline).same  # type: ignore[union-attr]


def test_the_story_index_follows_a_revised_headline() -> None:
    index = StoryIndex([_known(1, TARIFF, guid="g1")])
    revised = _known(1, "البرلمان يقر الموازنة العامة", guid="g1")
    index.replace(revised)
    assert decide(
        _cand("البرلمان يقر الموازنة العامة", guid="g2"), index, now=NOW, window=WINDOW
    ).decision is (Decision.SEEN)
    assert decide(_cand(TARIFF, guid="g3"), index, now=NOW, window=WINDOW).decision is Decision.NEW
    assert decide(_cand("x", guid="g1"), index, now=NOW, window=WINDOW).story_id == 1
