"""Urgency markers, levels and marker stripping (bot.news.urgency)."""

from __future__ import annotations

import pytest

from bot.domain import Urgency
from bot.news.urgency import detect

U, F, N = Urgency.URGENT, Urgency.FLASH, Urgency.NORMAL


@pytest.mark.parametrize(
    ("title", "level", "headline"),
    [
        ("عاجل | ترمب يفرض 30% جمارك على واردات أوروبا", U, "ترمب يفرض 30% جمارك على واردات أوروبا"),
        ("عاجل: انفجار في بيروت", U, "انفجار في بيروت"),
        ("عاجل - انفجار في بيروت", U, "انفجار في بيروت"),
        ("عاجل – انفجار في بيروت", U, "انفجار في بيروت"),
        ("عاجل — انفجار في بيروت", U, "انفجار في بيروت"),
        ("عاجل، انفجار في بيروت", U, "انفجار في بيروت"),
        ("عاجل|انفجار في بيروت", U, "انفجار في بيروت"),
        ("عاجل انفجار في بيروت", U, "انفجار في بيروت"),
        ("[عاجل] انفجار في بيروت", U, "انفجار في بيروت"),
        ("(عاجل) انفجار في بيروت", U, "انفجار في بيروت"),
        ("«عاجل» انفجار في بيروت", U, "انفجار في بيروت"),
        ("انفجار في بيروت - عاجل", U, "انفجار في بيروت"),
        ("انفجار في بيروت (عاجل)", U, "انفجار في بيروت"),
        ("انفجار في بيروت | عاجل", U, "انفجار في بيروت"),
        ("خبر عاجل: انفجار في بيروت", U, "انفجار في بيروت"),
        ("عـاجـل | انفجار", U, "انفجار"),  # tatweel
        ("عَاجِل | انفجار", U, "انفجار"),  # tashkeel
        ("🔴 عاجل | ضربة جوية", U, "ضربة جوية"),  # leading emoji belongs to the marker
        ("عاجل جداً | زلزال مدمر", F, "زلزال مدمر"),
        ("عاجل جدا: زلزال مدمر", F, "زلزال مدمر"),
        ("فلاش | زلزال مدمر", F, "زلزال مدمر"),
        ("Breaking: Quake hits Japan", U, "Quake hits Japan"),
        ("BREAKING: Quake hits Japan", U, "Quake hits Japan"),
        ("BREAKING Quake hits Japan", U, "Quake hits Japan"),
        ("Breaking News - Quake hits Japan", U, "Quake hits Japan"),
        ("breaking news: quake hits japan", U, "quake hits japan"),
        ("URGENT: evacuate the coast", U, "evacuate the coast"),
        ("Flash: markets halt trading", F, "markets halt trading"),
        ("FLASH: markets halt trading", F, "markets halt trading"),
        ("Quake hits Japan - BREAKING", U, "Quake hits Japan"),
        ("Quake hits Japan [Breaking]", U, "Quake hits Japan"),
        ("Quake hits Japan. Breaking.", U, "Quake hits Japan"),
    ],
)
def test_marker_sets_level_and_is_stripped(title: str, level: Urgency, headline: str) -> None:
    assert detect(title) == (level, headline)


@pytest.mark.parametrize(
    "title",
    [
        "مجلس الأمن يعقد جلسة عاجلة بشأن غزة",
        "يدعو لاجتماع عاجل",  # adjective at the end, no separator
        "مطالبات عاجلة بوقف الحرب",
        "Breaking Bad star returns to television",
        "BREAKING BAD REUNION ANNOUNCED",
        "Record-breaking heat wave hits Europe",
        "Urgent care clinics see surge",
        '"Urgent" call for aid in Sudan',
        "Flash floods hit Jeddah",
        "أحدث الأخبار",
        "الإسعاف: حالات عاجلة في المستشفى",
    ],
)
def test_prose_does_not_trigger(title: str) -> None:
    assert detect(title) == (N, title)


def test_marker_only_title_keeps_original_text() -> None:
    assert detect("عاجل") == (U, "عاجل")
    assert detect("عاجل |") == (U, "عاجل |")
    assert detect("[Breaking]") == (U, "[Breaking]")


def test_marker_at_end_keeps_leading_emoji() -> None:
    assert detect("🔴 Storm hits coast - BREAKING") == (U, "🔴 Storm hits coast")


@pytest.mark.parametrize(
    ("categories", "flags", "level"),
    [
        (["Breaking News"], [], U),
        (["عاجل"], [], U),
        (["أخبار عاجلة"], [], U),
        (["Flash"], [], N),  # a topic tag (Adobe Flash, flash memory), not an alert
        (["flash", "html5"], [], N),
        (["فلاش"], [], N),
        (["Flash News"], [], F),
        (["News Flash"], [], F),
        ([], ["ticker-item", "urgent"], U),
        ([], ["is-breaking"], U),
        ([], ["breaking"], U),
        ([], ["flash"], F),
        ([], ["flash-sale"], N),
        (["Weather alerts"], [], N),
        (["Politics"], ["news-item"], N),
    ],
)
def test_categories_and_flags_set_level(categories: list[str], flags: list[str], level: Urgency) -> None:
    assert detect("Quake hits Japan", categories=categories, flags=flags) == (level, "Quake hits Japan")


def test_highest_signal_wins() -> None:
    assert detect("عاجل | زلزال", flags=["flash"])[0] is F
    assert detect("فلاش | زلزال", categories=["Breaking"])[0] is F


def test_per_source_markers_add_and_override() -> None:
    assert detect("مباشر | قصف على غزة", markers={"مباشر": "urgent"}) == (U, "قصف على غزة")
    # A source that prefixes everything with "عاجل" can switch the marker off.
    assert detect("عاجل | خبر عادي", markers={"عاجل": "normal"}) == (N, "خبر عادي")
    assert detect("Alert: x", markers={"ALERT": "flash"}) == (F, "x")
    # A source that names the bare word as its marker gets it back as a category signal too.
    assert detect("x y", categories=["Flash"], markers={"flash": "flash"})[0] is F
