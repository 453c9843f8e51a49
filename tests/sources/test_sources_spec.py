"""Newsroom config: TOML loading, validation messages, JSON round-trip (bot.sources.spec)."""

from __future__ import annotations

import json

import pytest

from bot.domain import SourceKind
from bot.exceptions import ConfigError
from bot.sources.spec import SourceSpec, example_newsroom_path, load_newsroom, parse_newsroom

TOPICS = """
[[topics]]
slug = "politics"
name_ar = "سياسة"
name_en = "Politics"
keywords = ["حكومة"]
"""


def _one(source: str) -> str:
    return TOPICS + "\n[[sources]]\n" + source


def test_bundled_example_loads_with_every_kind() -> None:
    room = load_newsroom(example_newsroom_path())
    assert {s.kind for s in room.sources} == {SourceKind.HTML, SourceKind.RSS, SourceKind.JSON}
    assert {t.slug for t in room.topics} >= {"politics", "economy", "sports", "world", "health", "tech"}
    assert all(t.keywords for t in room.topics)
    ticker = room.source("ticker-ar")
    assert ticker is not None and ticker.html is not None and ticker.html.urgent_class == "urgent"
    assert room.topic("economy") is not None and room.topic("nope") is None


def test_every_example_source_round_trips_through_json() -> None:
    for spec in load_newsroom(example_newsroom_path()).sources:
        stored = json.dumps(spec.to_json(), ensure_ascii=False)
        assert SourceSpec.from_json(stored) == spec
        assert SourceSpec.from_json(json.loads(stored)) == spec


def test_defaults_apply() -> None:
    room = parse_newsroom(_one('name = "a"\nkind = "rss"\nurl = "https://a.example.com/feed"'))
    spec = room.sources[0]
    assert (spec.interval_seconds, spec.enabled, spec.language, spec.dedup_window_hours) == (
        60,
        True,
        "ar",
        24.0,
    )
    assert spec.html is None and spec.json is None


def test_mappings_are_read_only() -> None:
    room = parse_newsroom(
        _one(
            'name = "a"\nkind = "rss"\nurl = "https://a.example.com/"\n[sources.category_map]\n"x" = "politics"'
        )
    )
    with pytest.raises(TypeError):
        room.sources[0].category_map["y"] = "politics"  # type: ignore[index]


@pytest.mark.parametrize(
    ("source", "key"),
    [
        ('name = "a"\nkind = "html"\nurl = "https://a.example.com/"', "sources[0].html.item"),
        ('name = "a"\nkind = "json"\nurl = "https://a.example.com/"', "sources[0].json.items"),
        ('kind = "rss"\nurl = "https://a.example.com/"', "sources[0].name"),
        ('name = "a"\nkind = "podcast"\nurl = "https://a.example.com/"', "sources[0].kind"),
        ('name = "a"\nkind = "editor"\nurl = "https://a.example.com/"', "sources[0].kind"),
        ('name = "a"\nkind = "rss"\nurl = "ftp://a.example.com/"', "sources[0].url"),
        ('name = "a"\nkind = "rss"\nurl = "/relative"', "sources[0].url"),
        (
            'name = "a"\nkind = "rss"\nurl = "https://a.example.com/"\ninterval_seconds = 1',
            "sources[0].interval_seconds",
        ),
        (
            'name = "a"\nkind = "rss"\nurl = "https://a.example.com/"\ninterval_seconds = "60"',
            "sources[0].interval_seconds",
        ),
        (
            'name = "a"\nkind = "rss"\nurl = "https://a.example.com/"\nintervall_seconds = 60',
            "sources[0].intervall_seconds",
        ),
        ('name = "a"\nkind = "rss"\nurl = "https://a.example.com/"\nenabled = "yes"', "sources[0].enabled"),
        (
            'name = "a"\nkind = "rss"\nurl = "https://a.example.com/"\ndefault_topics = ["nope"]',
            "sources[0].default_topics[0]",
        ),
        (
            'name = "a"\nkind = "rss"\nurl = "https://a.example.com/"\ndedup_window_hours = 0',
            "sources[0].dedup_window_hours",
        ),
        (
            'name = "a"\nkind = "rss"\nurl = "https://a.example.com/"\n[sources.category_map]\n"x" = "nope"',
            "sources[0].category_map.x",
        ),
        (
            'name = "a"\nkind = "rss"\nurl = "https://a.example.com/"\n[sources.urgency_markers]\n"عاجل" = "loud"',
            "sources[0].urgency_markers.عاجل",
        ),
        (
            'name = "a"\nkind = "html"\nurl = "https://a.example.com/"\n[sources.html]\nitem = "li[["',
            "sources[0].html.item",
        ),
        (
            'name = "a"\nkind = "html"\nurl = "https://a.example.com/"\n[sources.html]\nitem = "li"\ntitel = "a"',
            "sources[0].html.titel",
        ),
        (
            'name = "a"\nkind = "json"\nurl = "https://a.example.com/"\n[sources.json]\nitems = "data..x"\ntitle = "t"',
            "sources[0].json.items",
        ),
        (
            'name = "a"\nkind = "json"\nurl = "https://a.example.com/"\n[sources.json]\nitems = "x"',
            "sources[0].json.title",
        ),
        (
            'name = "a"\nkind = "json"\nurl = "https://a.example.com/"\n[sources.json]\nitems = "x"\ntitle = "t"\nurgent = ["a b"]',
            "sources[0].json.urgent[0]",
        ),
        (
            'name = "a"\nkind = "rss"\nurl = "https://a.example.com/"\n[sources.html]\nitem = "li"',
            "sources[0].html",
        ),
    ],
)
def test_errors_name_the_offending_key(source: str, key: str) -> None:
    with pytest.raises(ConfigError) as info:
        parse_newsroom(_one(source))
    assert info.value.key == key
    assert str(info.value).startswith(key + ": ")


def test_html_kind_without_selectors_reads_clearly() -> None:
    with pytest.raises(ConfigError, match=r'^sources\[0\]\.html\.item: required for kind "html"$'):
        parse_newsroom(_one('name = "a"\nkind = "html"\nurl = "https://a.example.com/"'))


def test_duplicate_names_and_slugs_are_rejected() -> None:
    src = '[[sources]]\nname = "a"\nkind = "rss"\nurl = "https://a.example.com/"\n'
    with pytest.raises(ConfigError, match=r"sources\[1\]\.name: duplicate source 'a'"):
        parse_newsroom(TOPICS + src + src)
    with pytest.raises(ConfigError, match=r"topics\[1\]\.slug: duplicate topic"):
        parse_newsroom(TOPICS + TOPICS)


def test_bad_topic_slug_and_missing_names() -> None:
    with pytest.raises(ConfigError, match=r"topics\[0\]\.slug"):
        parse_newsroom('[[topics]]\nslug = "Bad Slug"\nname_ar = "x"\nname_en = "x"')
    with pytest.raises(ConfigError, match=r"topics\[0\]\.name_ar: required"):
        parse_newsroom('[[topics]]\nslug = "ok"\nname_en = "x"')


def test_invalid_toml_and_unknown_top_level_keys() -> None:
    with pytest.raises(ConfigError, match="not valid TOML"):
        parse_newsroom("[[sources]\n")
    with pytest.raises(ConfigError, match=r"sources file\.source: unknown key"):
        parse_newsroom('[[source]]\nname = "a"')


def test_missing_file_is_a_config_error(tmp_path: object) -> None:
    with pytest.raises(ConfigError, match="SOURCES_FILE: cannot read"):
        load_newsroom("/nonexistent/sources.toml")


def test_from_json_validates_like_the_file() -> None:
    with pytest.raises(ConfigError, match=r"^source\.kind"):
        SourceSpec.from_json({"name": "a", "kind": "nope", "url": "https://a.example.com/"})
    with pytest.raises(ConfigError, match="not valid JSON"):
        SourceSpec.from_json("{")
    with pytest.raises(ConfigError, match="must be a JSON object"):
        SourceSpec.from_json("[1]")
