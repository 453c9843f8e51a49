"""``[[channels]]`` in the sources file: defaults, validation in one line, the example file."""

from __future__ import annotations

import pytest

from bot.exceptions import ConfigError
from bot.sources.spec import ChannelSpec, example_newsroom_path, load_newsroom, parse_newsroom

TOPICS = """
[[topics]]
slug = "politics"
name_ar = "سياسة"
name_en = "Politics"

[[topics]]
slug = "sports"
name_ar = "رياضة"
name_en = "Sports"
"""


def _channels(*entries: str) -> str:
    return TOPICS + "".join(f"\n[[channels]]\n{entry}\n" for entry in entries)


def test_defaults_username_and_numeric_ids() -> None:
    room = parse_newsroom(
        _channels(
            'chat = "@Aajel_News"\ntopics = ["politics"]',
            'chat = -1001234567890\ntopics = ["sports", "politics"]\nlevel = "all"\n'
            'thread_id = 7\nsignature = "عاجل — تابعونا"',
        )
    )
    first, second = room.channels
    assert first == ChannelSpec(chat="@Aajel_News", topics=("politics",))
    assert (first.level, first.thread_id, first.signature, first.username) == (
        "urgent",
        0,
        None,
        "aajel_news",
    )
    assert second.chat == -1001234567890 and second.username is None
    assert (second.topics, second.level, second.thread_id) == (("sports", "politics"), "all", 7)
    assert second.signature == "عاجل — تابعونا"
    assert ChannelSpec.from_json(second.to_json()) == second


def test_unknown_keys_and_topics_are_named_in_one_line() -> None:
    with pytest.raises(ConfigError) as caught:
        parse_newsroom(
            _channels('chat = "@aajel_news"\ntopics = ["sport", "politics", "tech"]\nlevl = "all"')
        )
    message = str(caught.value)
    assert "\n" not in message
    assert message.startswith("channels[0]: unknown keys: levl (allowed: chat, topics, level")
    assert "unknown topics: 'sport', 'tech'" in message


@pytest.mark.parametrize(
    ("entry", "key", "words"),
    [
        ('topics = ["politics"]', "channels[0].chat", "required"),
        ('chat = "aajel"\ntopics = ["politics"]', "channels[0].chat", "@username"),
        ('chat = 12345\ntopics = ["politics"]', "channels[0].chat", "negative"),
        ('chat = true\ntopics = ["politics"]', "channels[0].chat", "@username"),
        ('chat = "@aajel_news"', "channels[0].topics", "at least one"),
        ('chat = "@aajel_news"\ntopics = "politics"', "channels[0].topics", "list"),
        (
            'chat = "@aajel_news"\ntopics = ["politics"]\nlevel = "breaking"',
            "channels[0].level",
            "urgent, all",
        ),
        ('chat = "@aajel_news"\ntopics = ["politics"]\nthread_id = -1', "channels[0].thread_id", "positive"),
        ('chat = "@aajel_news"\ntopics = ["politics"]\nsignature = ""', "channels[0].signature", "non-empty"),
    ],
)
def test_mistakes_name_the_key(entry: str, key: str, words: str) -> None:
    with pytest.raises(ConfigError) as caught:
        parse_newsroom(_channels(entry))
    assert caught.value.key == key
    assert words in str(caught.value)


def test_duplicate_channels_are_refused_but_threads_differ() -> None:
    with pytest.raises(ConfigError, match=r"channels\[1\]\.chat: duplicate"):
        parse_newsroom(
            _channels(
                'chat = "@aajel_news"\ntopics = ["politics"]', 'chat = "@AAJEL_NEWS"\ntopics = ["sports"]'
            )
        )
    room = parse_newsroom(
        _channels(
            'chat = -1001\ntopics = ["politics"]\nthread_id = 3',
            'chat = -1001\ntopics = ["sports"]\nthread_id = 4',
        )
    )
    assert [c.thread_id for c in room.channels] == [3, 4]


def test_example_file_declares_a_channel() -> None:
    room = load_newsroom(example_newsroom_path())
    assert room.channels and all(c.topics for c in room.channels)
