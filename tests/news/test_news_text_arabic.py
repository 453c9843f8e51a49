"""Display hygiene (bot.news.text) and matching normalisation (bot.news.arabic)."""

from __future__ import annotations

import pytest

from bot.news.arabic import light_stem, normalize, stem_tokens, tokens
from bot.news.text import clean_text, html_to_text, looks_like_html, text_or_html


class TestCleanText:
    def test_removes_bidi_controls_and_zero_width_characters(self) -> None:
        raw = "\u202bعاجل\u202c \u200fترمب\u200e\u2066 يفرض\u2069\u061c\u200b\u200d\ufeff"
        assert clean_text(raw) == "عاجل ترمب يفرض"

    def test_collapses_all_whitespace_including_nbsp_and_newlines(self) -> None:
        assert clean_text("  a\u00a0\u00a0b\n\t c  ") == "a b c"

    def test_composes_to_nfc(self) -> None:
        assert clean_text("Me\u0301xico") == "México"

    def test_never_unescapes_entities(self) -> None:
        assert clean_text("AT&amp;T") == "AT&amp;T"

    def test_drops_control_characters(self) -> None:
        assert clean_text("a\x00b\x07c\x7f") == "abc"

    def test_keeps_tashkeel_for_display(self) -> None:
        assert clean_text("لقاحٌ جديد") == "لقاحٌ جديد"


class TestHtmlToText:
    def test_strips_tags_and_decodes_entities_once(self) -> None:
        assert html_to_text("<b>Slack</b> &amp; Co &amp;amp; more") == "Slack & Co &amp; more"

    def test_block_elements_and_br_become_spaces(self) -> None:
        assert html_to_text("<p>one</p><p>two<br>three</p>") == "one two three"

    def test_scripts_and_comments_are_dropped(self) -> None:
        assert html_to_text("a<script>alert(1)</script><!-- c -->b") == "ab"

    def test_empty_fragment_is_empty(self) -> None:
        assert html_to_text("   ") == ""

    def test_looks_like_html_needs_real_tags(self) -> None:
        assert looks_like_html("a <b>x</b>")
        assert looks_like_html("x<br/>y")
        assert not looks_like_html("x < y and y > z")
        assert not looks_like_html("AT&amp;T")

    def test_text_or_html_renders_only_markup(self) -> None:
        assert text_or_html("AT&amp;T") == "AT&amp;T"
        assert text_or_html("AT&amp;T <sup>2</sup>") == "AT&T 2"

    def test_numeric_references_are_decoded_even_without_tags(self) -> None:
        assert text_or_html("Trump&#8217;s plan &#x0024;3449 &amp; co") == "Trump’s plan $3449 &amp; co"


class TestNormalize:
    @pytest.mark.parametrize(
        ("raw", "expected"),
        [
            ("عَاجِلٌ", "عاجل"),  # tashkeel
            ("عـــاجـل", "عاجل"),  # tatweel
            ("أحمد إبراهيم آمال ٱلله", "احمد ابراهيم امال الله"),  # alef forms
            ("مؤتمر", "موتمر"),  # hamza on waw
            ("رئيس", "رييس"),  # hamza on yaa
            ("مستشفى", "مستشفي"),  # alef maqsura
            ("مدرسة", "مدرسه"),  # taa marbuta
            ("٣٠ ۴۵", "30 45"),  # Arabic-Indic and Persian digits
            ("BREAKING News", "breaking news"),  # casefold
            ("Straße", "strasse"),
            ("Mãe", "mae"),  # Latin accents
            ("عاجل | ترمب: «30%» جمارك!", "عاجل ترمب 30 جمارك"),  # punctuation
            ("\u200fعاجل\u200e\u202b", "عاجل"),  # bidi
            ("ﻻ", "لا"),  # presentation-form ligature
            ("ک ی", "ك ي"),  # Persian letters
            ("الْقُرْآنُ ۖ", "القران"),  # Quranic annotation sign
            ("  a \n b  ", "a b"),
            ("", ""),
        ],
    )
    def test_folds(self, raw: str, expected: str) -> None:
        assert normalize(raw) == expected

    def test_none_is_empty(self) -> None:
        assert normalize(None) == ""

    @pytest.mark.parametrize("raw", ["إسرائيل تطلب استعادة أبقارها", "Ça va? ٣٠٪", "عَاجِلٌ | خبر"])
    def test_is_idempotent(self, raw: str) -> None:
        assert normalize(normalize(raw)) == normalize(raw)

    def test_output_has_only_letters_digits_and_single_spaces(self) -> None:
        out = normalize("«عاجل» — ترمب: 30% ⚡ (تحديث) #أخبار @user")
        assert all(c.isalnum() or c == " " for c in out)
        assert "  " not in out

    def test_tokens_split_normalised_text(self) -> None:
        assert tokens("أميركا تسأل: ماذا؟") == ["اميركا", "تسال", "ماذا"]


class TestLightStem:
    @pytest.mark.parametrize(
        ("word", "stem"),
        [
            ("الاقتصاد", "اقتصاد"),
            ("والاقتصاد", "اقتصاد"),
            ("بالاقتصاد", "اقتصاد"),
            ("للحكومه", "حكوم"),
            ("وترامب", "ترامب"),
            ("وزير", "وزير"),  # the و is part of the word: too short to strip
            ("بيت", "بيت"),
            ("المسوولين", "مسوول"),  # normalised input (ؤ already و)
            ("انتخابات", "انتخاب"),
            ("tariffs", "tariffs"),  # non-Arabic untouched
        ],
    )
    def test_strips_clitics_and_suffixes_with_length_guards(self, word: str, stem: str) -> None:
        assert light_stem(word) == stem

    def test_stem_tokens_normalises_first(self) -> None:
        assert stem_tokens("والحكومة") == ["حكوم"]
