from __future__ import annotations

import re
from collections.abc import Callable

import pytest

from bot.articles.extract import ExtractedArticle
from bot.articles.render import (
    TELEGRAM_TEXT_LIMIT,
    ArticlePage,
    paginate,
    render_article,
    split_text,
    visible_length,
)

AR_SENTENCE = "وقال المتحدث باسم الوزارة إن المحادثات ستستأنف الأسبوع المقبل في العاصمة القطرية الدوحة. "
EN_SENTENCE = "The ministry said talks would resume next week in the Qatari capital, Doha. "


def article(paragraphs: list[str], **kw: object) -> ExtractedArticle:
    fields: dict[str, object] = {
        "title": "اتصال مباشر نادر بين دمشق وتل أبيب في باكو",
        "byline": "شيماء مصطفى",
        "dateline": "السبت 12/07/2025 - 12:30 بتوقيت نيويورك",
        "lead": "مصدر دبلوماسي يكشف عن محادثات مباشرة",
        "language": "ar",
    }
    fields.update(kw)
    return ExtractedArticle(paragraphs=tuple(paragraphs), **fields)  # type: ignore[arg-type]


def visible(messages: list[str], check: Callable[[str], str]) -> list[str]:
    texts = [check(m) for m in messages]
    for text in texts:
        assert 1 <= visible_length(text) <= TELEGRAM_TEXT_LIMIT
    return texts


def test_short_article_is_one_message_with_title_source_dateline_lead_and_link(
    tg_html: Callable[[str], str],
) -> None:
    messages = render_article(
        article(["فقرة أولى.", "فقرة ثانية."]),
        source_name="عاجل نيوز",
        url="https://news.example/a?x=1&y=2",
        lang="ar",
    )
    assert len(messages) == 1
    msg = messages[0]
    assert msg.startswith(
        "<b>اتصال مباشر نادر بين دمشق وتل أبيب في باكو</b>\n\nالمصدر: عاجل نيوز / شيماء مصطفى"
    )
    assert "السبت 12/07/2025 - 12:30 بتوقيت نيويورك" in msg
    assert "<i>مصدر دبلوماسي يكشف عن محادثات مباشرة</i>" in msg
    assert '<a href="https://news.example/a?x=1&amp;y=2">' in msg
    assert "صفحة" not in msg  # no page marker on a single message
    visible(messages, tg_html)


def test_html_special_characters_are_escaped_everywhere(tg_html: Callable[[str], str]) -> None:
    evil = ExtractedArticle(
        title="<b>Title</b> & co",
        paragraphs=("x < y && y > z", '<a href="javascript:alert(1)">click</a>'),
        byline="A & B",
        dateline="<i>today</i>",
        lead="<script>alert(1)</script>",
    )
    messages = render_article(evil, source_name="S<1>", url='https://e.example/"onmouseover=x', lang="en")
    msg = messages[0]
    assert "&lt;b&gt;Title&lt;/b&gt; &amp; co" in msg
    assert "x &lt; y &amp;&amp; y &gt; z" in msg
    assert "&lt;script&gt;" in msg
    assert 'href="https://e.example/&quot;onmouseover=x"' in msg
    text = visible(messages, tg_html)[0]
    assert "<script>alert(1)</script>" in text  # shown to the reader as text, not markup


def test_non_http_url_gets_no_link() -> None:
    messages = render_article(article(["p."]), source_name="s", url="javascript:alert(1)", lang="en")
    assert "<a " not in messages[0]


def test_long_arabic_article_splits_at_paragraph_boundaries_with_page_markers(
    tg_html: Callable[[str], str],
) -> None:
    paragraphs = [f"{i} " + AR_SENTENCE * 6 for i in range(40)]
    messages = render_article(
        article(paragraphs), source_name="عاجل نيوز", url="https://news.example/1", lang="ar"
    )
    assert len(messages) > 3
    texts = visible(messages, tg_html)
    for k, text in enumerate(texts, start=1):
        assert text.endswith(f"صفحة {k}/{len(texts)}")
    joined = "\n\n".join(texts)
    for p in paragraphs:  # every paragraph whole, in one message, in order
        assert p.strip() in joined
    positions = [joined.index(p.strip()) for p in paragraphs]
    assert positions == sorted(positions)
    assert messages[0].startswith("<b>")


def test_long_english_article_uses_english_labels(tg_html: Callable[[str], str]) -> None:
    paragraphs = [EN_SENTENCE * 8 for _ in range(30)]
    messages = render_article(
        article(paragraphs, title="Talks resume", byline=None, lead=None, dateline=None),
        source_name="Wire",
        url="https://news.example/en",
        lang="en",
    )
    texts = visible(messages, tg_html)
    assert texts[0].startswith("Talks resume\n\nSource: Wire")
    assert texts[-1].endswith(f"Page {len(texts)}/{len(texts)}")
    assert "Read on the source's site" in texts[-1]


def test_twenty_thousand_char_paragraph_splits_at_sentence_ends(tg_html: Callable[[str], str]) -> None:
    sentence = EN_SENTENCE
    para = (sentence * (20_000 // len(sentence) + 1))[:20_000]
    para = para[: para.rindex(".") + 1]
    messages = render_article(article([para], lead=None), source_name="s", url=None, lang="en")
    texts = visible(messages, tg_html)
    assert len(texts) >= 5
    body_pieces = [t.split("\n\n")[-2] for t in texts[1:]]  # the paragraph piece before the marker
    for piece in body_pieces:
        assert piece.endswith(".")
    words = re.findall(r"\w+", "".join(t.rsplit("\n\n", 1)[0] for t in texts))
    assert words.count("Doha") == para.count("Doha")


def test_paragraph_without_sentence_ends_splits_at_words() -> None:
    para = " ".join(f"كلمة{i}" for i in range(4000))  # ~30k chars, no full stop
    pieces = split_text(para, 1000)
    assert all(visible_length(p) <= 1000 for p in pieces)
    assert " ".join(pieces) == para


def test_single_overlong_word_is_cut_at_code_points() -> None:
    word = "ا" * 10_000
    pieces = split_text(word, 4000)
    assert [len(p) for p in pieces] == [4000, 4000, 2000]


def test_astral_characters_count_as_two_units_and_are_never_halved(tg_html: Callable[[str], str]) -> None:
    emoji = "😀" * 3000  # 6000 UTF-16 units
    pieces = split_text(emoji, 4001)
    assert "".join(pieces) == emoji
    assert all(visible_length(p) <= 4001 for p in pieces)
    messages = render_article(article([emoji], lead=None), source_name="s", url=None, lang="en")
    visible(messages, tg_html)


def test_exact_boundary_unit_fills_a_message_and_one_more_char_spills(tg_html: Callable[[str], str]) -> None:
    limit = 300
    marker_reserve = visible_length("\n\n" + "Page 9999/9999")
    budget = limit - marker_reserve
    title = "T"
    sep = 2
    # title + separator + paragraph == budget exactly: one page
    fitting = "x" * (budget - len(title) - sep)
    one = render_article(
        ExtractedArticle(title=title, paragraphs=(fitting,)), source_name="", url=None, lang="en", limit=limit
    )
    assert len(one) == 1
    assert visible_length(tg_html(one[0])) == budget
    # one more character: the paragraph moves to its own page
    two = render_article(
        ExtractedArticle(title=title, paragraphs=(fitting + "y",)),
        source_name="",
        url=None,
        lang="en",
        limit=limit,
    )
    assert len(two) == 2
    texts = [tg_html(m) for m in two]
    assert texts[0] == "T\n\nPage 1/2"
    assert all(visible_length(t) <= limit for t in texts)


def test_every_message_is_under_the_limit_after_entity_parsing_even_with_many_entities(
    tg_html: Callable[[str], str],
) -> None:
    para = ("<&> " * 2000).strip()  # escaping triples the raw length, the visible length stays
    messages = render_article(article([para, para]), source_name="s", url=None, lang="ar")
    for msg in messages:
        assert visible_length(tg_html(msg)) <= TELEGRAM_TEXT_LIMIT
    assert any(len(m) > TELEGRAM_TEXT_LIMIT for m in messages)  # raw HTML may exceed; visible may not


def test_split_text_rejects_nonpositive_limit() -> None:
    with pytest.raises(ValueError):
        split_text("abc", 0)


def test_paginate_gives_neighbours_and_clamps_stale_pages() -> None:
    messages = ["one", "two", "three"]
    first = paginate(messages, 1)
    assert first == ArticlePage("one", 1, 3)
    assert (first.has_prev, first.has_next, first.prev_page, first.next_page) == (False, True, None, 2)
    last = paginate(messages, 3)
    assert (last.has_next, last.prev_page) == (False, 2)
    assert paginate(messages, 99).number == 3
    assert paginate(messages, -5).number == 1


def test_paginate_refuses_empty_list() -> None:
    with pytest.raises(ValueError):
        paginate([], 1)
