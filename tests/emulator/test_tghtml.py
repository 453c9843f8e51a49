"""Telegram HTML parse mode: text, entities (UTF-16 offsets) and TDLib's exact error messages."""

from __future__ import annotations

import pytest

from bot.emulator.tghtml import (
    FormattedText,
    HtmlParseError,
    TextLengthError,
    parse_html,
    prepare_text,
    utf16_len,
)


def ents(html: str) -> list[tuple[str, int, int]]:
    return [(e["type"], e["offset"], e["length"]) for e in parse_html(html).entities]


def error_of(html: str) -> str:
    with pytest.raises(HtmlParseError) as info:
        parse_html(html)
    return str(info.value)


# --- text and entities ------------------------------------------------------------------------------
def test_plain_text_passes_through_unchanged() -> None:
    assert parse_html("no tags here") == FormattedText("no tags here", ())


def test_nested_tags_produce_nested_entities_sorted_outer_first() -> None:
    parsed = parse_html("<b>bold <i>both</i></b> plain")
    assert parsed.text == "bold both plain"
    assert ents("<b>bold <i>both</i></b> plain") == [("bold", 0, 9), ("italic", 5, 4)]


@pytest.mark.parametrize(
    ("tag", "kind"),
    [
        ("b", "bold"), ("strong", "bold"), ("i", "italic"), ("em", "italic"),
        ("u", "underline"), ("ins", "underline"), ("s", "strikethrough"),
        ("strike", "strikethrough"), ("del", "strikethrough"), ("tg-spoiler", "spoiler"),
        ("code", "code"), ("pre", "pre"), ("blockquote", "blockquote"),
    ],
)  # fmt: skip
def test_every_allowed_tag_maps_to_its_entity(tag: str, kind: str) -> None:
    assert ents(f"<{tag}>x</{tag}>") == [(kind, 0, 1)]


def test_start_tag_names_are_case_insensitive_but_end_tags_must_match_the_lowercase_name() -> None:
    assert ents("<B>x</b>") == [("bold", 0, 1)]
    assert error_of("<B>x</B>") == 'Unmatched end tag at byte offset 4, expected "</b>", found "</B>"'


def test_arabic_text_counts_one_utf16_unit_per_letter() -> None:
    parsed = parse_html("عاجل | <b>انفجار في المرفأ</b>")
    assert parsed.text == "عاجل | انفجار في المرفأ"
    assert parsed.entities == ({"type": "bold", "offset": 7, "length": 16},)


def test_emoji_outside_the_bmp_counts_two_utf16_units() -> None:
    parsed = parse_html("🚨 <b>عاجل</b> 👍🏽")
    assert parsed.entities[0] == {"type": "bold", "offset": 3, "length": 4}
    assert utf16_len(parsed.text) == 2 + 1 + 4 + 1 + 4


def test_entity_after_emoji_entity_reference_is_offset_by_a_surrogate_pair() -> None:
    assert ents("&#x1F6A8;<i>x</i>") == [("italic", 2, 1)]


def test_only_four_named_entities_are_decoded_and_others_stay_literal() -> None:
    assert parse_html("&lt;b&gt; &amp; &quot;q&quot; &nbsp; &copy;").text == '<b> & "q" &nbsp; &copy;'


def test_numeric_entities_decimal_and_hex_with_optional_semicolon() -> None:
    assert parse_html("&#1593;&#x627;&#1580;&#x644").text == "عاجل"


def test_invalid_numeric_entity_is_left_as_text() -> None:
    assert parse_html("&#0; &#x110000; &#;").text == "&#0; &#x110000; &#;"


def test_pre_with_code_language_becomes_pre_with_language() -> None:
    parsed = parse_html('<pre><code class="language-python">print(1)</code></pre>')
    assert parsed.entities == ({"type": "pre", "offset": 0, "length": 8, "language": "python"},)


def test_code_with_language_outside_pre_is_plain_code() -> None:
    assert parse_html('<code class="language-python">x</code>').entities == (
        {"type": "code", "offset": 0, "length": 1},
    )


def test_span_tg_spoiler_is_a_spoiler() -> None:
    assert ents('<span class="tg-spoiler">secret</span>') == [("spoiler", 0, 6)]


def test_blockquote_expandable_attribute_needs_no_value() -> None:
    assert ents("<blockquote expandable>long quote</blockquote>") == [("expandable_blockquote", 0, 10)]


def test_links_become_text_links_and_bare_hosts_get_http() -> None:
    parsed = parse_html('<a href="https://example.com/a?b=1&amp;c=2">x</a> <a href="example.com">y</a>')
    assert [e["url"] for e in parsed.entities] == ["https://example.com/a?b=1&c=2", "http://example.com"]


def test_link_without_acceptable_url_silently_produces_no_entity() -> None:
    assert parse_html('<a href="javascript:alert(1)">x</a> <a href="not a url">y</a>').entities == ()


def test_link_to_tg_user_is_a_text_mention() -> None:
    parsed = parse_html('<a href="tg://user?id=42">Layla</a>')
    assert parsed.entities == ({"type": "text_mention", "offset": 0, "length": 5, "user": {"id": 42}},)


def test_custom_emoji_keeps_its_id() -> None:
    parsed = parse_html('<tg-emoji emoji-id="5368324170671202286">👍</tg-emoji>')
    assert parsed.entities == (
        {"type": "custom_emoji", "offset": 0, "length": 2, "custom_emoji_id": "5368324170671202286"},
    )


def test_empty_tags_produce_no_entity() -> None:
    assert parse_html("<b></b>x<i></i>") == FormattedText("x", ())


def test_unquoted_attribute_values_are_lowercased_name_tokens() -> None:
    assert parse_html("<code class=language-PY>x</code>").entities == (
        {"type": "code", "offset": 0, "length": 1},
    )


def test_empty_end_tag_closes_the_innermost_tag() -> None:
    assert ents("<b>x</>") == [("bold", 0, 1)]


# --- errors, with TDLib's wording and UTF-8 byte offsets --------------------------------------------
@pytest.mark.parametrize(
    ("html", "message"),
    [
        ("<p>x</p>", 'Unsupported start tag "p" at byte offset 0'),
        ("a<br>b", 'Unsupported start tag "br" at byte offset 1'),
        ("<div>x</div>", 'Unsupported start tag "div" at byte offset 0'),
        ("a < b", 'Unsupported start tag "" at byte offset 2'),
        ("عاجل <p>", 'Unsupported start tag "p" at byte offset 9'),
        ("<b", "Unclosed start tag at byte offset 0"),
        ('<a href="x', "Unclosed start tag at byte offset 0"),
        ("<a href=", 'Unclosed start tag "a" at byte offset 0'),
        ("<b>x</i>", 'Unmatched end tag at byte offset 4, expected "</b>", found "</i>"'),
        ("x</b>", "Unexpected end tag at byte offset 1"),
        ("<b>x</b", "Unclosed end tag at byte offset 4"),
        ("<b>x", 'Can\'t find end tag corresponding to start tag "b"'),
        ("<b><i>x</i>", 'Can\'t find end tag corresponding to start tag "b"'),
        ("<span>x</span>", 'Tag "span" must have class "tg-spoiler" at byte offset 0'),
        (
            "<b class>x</b>",
            'Expected equal sign in declaration of an attribute of the tag "b" at byte offset 0',
        ),
        ("<a href=x!>y</a>", "Unexpected end of name token at byte offset 8"),
        ('<tg-emoji emoji-id="abc">x</tg-emoji>', "Invalid custom emoji identifier specified"),
        (
            "&#xD800;",
            "Text contains invalid Unicode characters after decoding HTML entities, check for unmatched "
            "surrogate code units",
        ),
    ],
)
def test_bad_html_is_rejected_with_tdlib_message(html: str, message: str) -> None:
    assert error_of(html) == message


def test_error_byte_offsets_count_utf8_bytes_of_emoji() -> None:
    assert error_of("🚨<p>") == 'Unsupported start tag "p" at byte offset 4'


# --- message-level rules ------------------------------------------------------------------------------
def test_prepare_trims_surrounding_whitespace_and_shifts_entities() -> None:
    formatted = prepare_text("\n  <b>عاجل</b>  \n", "HTML")
    assert formatted == FormattedText("عاجل", ({"type": "bold", "offset": 0, "length": 4},))


def test_prepare_rejects_empty_text_after_parsing() -> None:
    for text in ("", "   ", "<b></b>", "<b> </b>"):
        with pytest.raises(TextLengthError) as info:
            prepare_text(text, "HTML")
        assert info.value.kind == "empty"


def test_length_limit_applies_after_parsing_in_code_points() -> None:
    assert len(prepare_text("<b>" + "ع" * 4096 + "</b>", "HTML").text) == 4096
    assert len(prepare_text("😀" * 4096, None).text) == 4096  # 8192 UTF-16 units, still fine
    with pytest.raises(TextLengthError) as info:
        prepare_text("&amp;" * 4097, "HTML")
    assert info.value.kind == "too_long"


def test_plain_text_keeps_explicit_entities() -> None:
    formatted = prepare_text("hello", None, [{"type": "bold", "offset": 0, "length": 5}])
    assert formatted.entities == ({"type": "bold", "offset": 0, "length": 5},)
