"""Helpers shared by the article tests: a Telegram-HTML checker and fixture paths."""

from __future__ import annotations

from collections.abc import Callable
from html.parser import HTMLParser
from pathlib import Path

import pytest

PROJECT = Path(__file__).resolve().parents[2]
SEED_SHAPED = PROJECT / "tests" / "data" / "articles" / "seed_shaped"

ALLOWED_TAGS = {"b", "strong", "i", "em", "u", "ins", "s", "strike", "del", "a", "code", "pre", "blockquote"}


class TelegramHTML(HTMLParser):
    """Parses a message the way Telegram's HTML mode must accept it: allowed tags, balanced."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.stack: list[str] = []
        self.text: list[str] = []
        self.errors: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag not in ALLOWED_TAGS:
            self.errors.append(f"tag <{tag}> not allowed")
        self.stack.append(tag)

    def handle_endtag(self, tag: str) -> None:
        if not self.stack or self.stack[-1] != tag:
            self.errors.append(f"unbalanced </{tag}>")
        else:
            self.stack.pop()

    def handle_data(self, data: str) -> None:
        self.text.append(data)


def check_telegram_html(message: str) -> str:
    """Assert ``message`` is valid on its own; return its visible text (after entity parsing)."""
    parser = TelegramHTML()
    parser.feed(message)
    parser.close()
    assert not parser.errors, parser.errors
    assert not parser.stack, f"unclosed tags {parser.stack}"
    return "".join(parser.text)


@pytest.fixture
def seed_dir() -> Path:
    return SEED_SHAPED


@pytest.fixture
def tg_html() -> Callable[[str], str]:
    """The Telegram-HTML checker, as a fixture (test modules here are not a package)."""
    return check_telegram_html
