"""The i18n catalogue (every key in both languages, same placeholders, every key the subscriber code
uses exists), digest rendering (valid Telegram HTML, escaped, under the limits) and callback data."""

from __future__ import annotations

import re
import string
from datetime import UTC, datetime
from html.parser import HTMLParser
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from bot.callbacks import ArticleCb, DigestCb, PageCb, SettingsAction, SettingsCb, TopicCb
from bot.commands import COMMANDS, GROUP_COMMANDS
from bot.delivery.digest_render import (
    MAX_ITEMS,
    DigestItem,
    format_digest_body,
    parse_digest_body,
    render_digest,
)
from bot.delivery.render import AlertView
from bot.domain import Urgency
from bot.i18n import CATALOGUE, LANGS, t

ROOT = Path(__file__).resolve().parents[2]
SUBSCRIBER_CODE = [
    *(
        ROOT / "handlers" / f"{name}.py"
        for name in ("start", "topics", "settings", "latest", "article", "fallback", "common")
    ),
    ROOT / "bot" / "keyboards.py",
    ROOT / "bot" / "delivery" / "digest_render.py",
    ROOT / "bot" / "services" / "digest.py",
]
ALLOWED_TAGS = {"b", "strong", "i", "em", "u", "ins", "s", "strike", "del", "a", "code", "pre", "blockquote"}


def _fields(template: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(template) if name}


def test_every_catalogue_key_exists_in_arabic_and_english_with_the_same_placeholders() -> None:
    for key, entry in CATALOGUE.items():
        assert set(entry) == set(LANGS), key
        assert all(entry[lang].strip() for lang in LANGS), key
        assert _fields(entry["ar"]) == _fields(entry["en"]), key


def test_every_key_the_subscriber_code_uses_is_in_the_catalogue() -> None:
    used: set[str] = set()
    for path in SUBSCRIBER_CODE:
        used |= set(
            re.findall(r"\bt?q?\(\s*\"([a-z_]+\.[a-z_.]+|[a-z_]+)\"", path.read_text(encoding="utf-8"))
        )
    used = {key for key in used if "." in key or key in CATALOGUE or key in ("welcome", "help")}
    assert used, "the scan found nothing: the pattern is broken"
    missing = sorted(key for key in used if key not in CATALOGUE and not key.endswith("."))
    assert not missing


def test_commands_have_descriptions_in_both_languages_within_telegram_limits() -> None:
    for name, texts in COMMANDS.items():
        assert re.fullmatch(r"[a-z0-9_]{1,32}", name)
        assert all(1 <= len(texts[lang]) <= 256 for lang in LANGS), name
    assert set(GROUP_COMMANDS) <= set(COMMANDS)


@pytest.mark.parametrize(
    "payload",
    [
        ArticleCb(article_id=2**62, page=999),
        PageCb(article_id=2**62, page=999),
        SettingsCb(action=SettingsAction.TIMEZONE_MENU, arg=2**31),
        DigestCb(alert_id=2**31, item=19),
        TopicCb(topic_id=2**31),
    ],
)
def test_callback_payloads_fit_telegrams_64_bytes(payload: object) -> None:
    assert len(payload.pack().encode()) <= 64  # type: ignore[attr-defined]


class _Checker(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.stack: list[str] = []
        self.errors: list[str] = []
        self.text: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag not in ALLOWED_TAGS:
            self.errors.append(tag)
        self.stack.append(tag)

    def handle_endtag(self, tag: str) -> None:
        if not self.stack or self.stack.pop() != tag:
            self.errors.append(f"/{tag}")

    def handle_data(self, data: str) -> None:
        self.text.append(data)


def _visible(html: str) -> str:
    checker = _Checker()
    checker.feed(html)
    checker.close()
    assert not checker.errors and not checker.stack, (checker.errors, checker.stack)
    return "".join(checker.text)


def _view(body: str, lang_headline: str = "News digest: 3 new") -> AlertView:
    return AlertView(
        alert_id=42,
        headline=lang_headline,
        urgency=Urgency.NORMAL,
        when=datetime(2026, 3, 1, 12, 0, tzinfo=UTC),
        body=body,
        kind="digest",
    )


def test_digest_body_round_trips_and_renders_escaped_linked_headlines() -> None:
    items = [
        DigestItem("الحكومة <تعلن> الموازنة & الضرائب", "https://news.example/a?x=1&y=2"),
        DigestItem("بلا رابط", None),
        DigestItem("  multi\n line  ", "javascript:alert(1)"),
    ]
    body = format_digest_body(items, more=4)
    parsed, more = parse_digest_body(body)
    assert [i.headline for i in parsed] == ["الحكومة <تعلن> الموازنة & الضرائب", "بلا رابط", "multi line"]
    assert [i.url for i in parsed] == ["https://news.example/a?x=1&y=2", None, None]  # only http(s) links
    assert more == 4
    message = render_digest(_view(body), lang="ar", tz=ZoneInfo("Asia/Riyadh"))
    visible = _visible(message.text)
    assert "الحكومة <تعلن> الموازنة & الضرائب" in visible
    assert 'href="https://news.example/a?x=1&amp;y=2"' in message.text
    assert t("digest.more", "ar", count=4) in visible
    assert "15:00" in visible  # the time in the display time zone
    assert message.disable_notification is True
    assert message.reply_markup is not None
    [row] = message.reply_markup.inline_keyboard
    assert [b.callback_data for b in row] == [DigestCb(alert_id=42, item=0).pack()]


def test_a_long_digest_stays_under_telegrams_limit() -> None:
    items = [
        DigestItem("عنوان طويل جدًا " * 40, f"https://news.example/{n}?q=" + "x" * 200) for n in range(50)
    ]
    message = render_digest(_view(format_digest_body(items)), lang="en", tz=ZoneInfo("UTC"))
    visible = _visible(message.text)
    assert len(visible) < 4096
    assert visible.count("\n") >= MAX_ITEMS
    assert t("digest.more", "en", count=50 - MAX_ITEMS) in visible
    assert message.reply_markup is not None
    assert sum(len(row) for row in message.reply_markup.inline_keyboard) == 10


def test_a_digest_body_that_is_not_in_the_format_still_renders() -> None:
    message = render_digest(_view("<b>not a digest</b>\n+x"), lang="en", tz=ZoneInfo("UTC"))
    assert _visible(message.text).startswith("📰 News | News digest")
    assert message.reply_markup is None
