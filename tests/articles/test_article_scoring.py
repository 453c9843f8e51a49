from __future__ import annotations

import pytest

from bot.articles.scoring import PageScore, bow_score, corpus_score, shingle_score, shingles, tokens


def test_tokens_are_unicode_words_with_case_kept() -> None:
    assert tokens("عاجل | Trump's 30% tariff") == ["عاجل", "Trump", "s", "30", "tariff"]


def test_short_text_is_one_shingle_and_empty_text_none() -> None:
    assert shingles(["a", "b"]) == [("a", "b")]
    assert shingles([]) == []
    assert shingles(list("abcde")) == [tuple("abcd"), tuple("bcde")]


def test_identical_text_scores_one() -> None:
    score = bow_score("a b c a", "a b c a")
    assert score == PageScore(1.0, 1.0)
    assert shingle_score("w x y z q", "w x y z q") == PageScore(1.0, 1.0)


def test_bow_uses_multisets() -> None:
    score = bow_score("a a a b", "a b")
    assert score.precision == pytest.approx(2 / 4)
    assert score.recall == pytest.approx(1.0)


def test_no_output_has_no_precision_and_zero_recall() -> None:
    assert bow_score("", "gold words") == PageScore(None, 0.0)
    assert bow_score("extra", "") == PageScore(0.0, None)


def test_corpus_f1_is_harmonic_mean_of_averaged_precision_and_recall() -> None:
    pages = [PageScore(1.0, 0.5), PageScore(None, 0.0), PageScore(0.5, 1.0)]
    result = corpus_score(pages)
    assert result.precision == pytest.approx(0.75)
    assert result.recall == pytest.approx(0.5)
    assert result.f1 == pytest.approx(2 * 0.75 * 0.5 / 1.25)
    assert result.pages == 3


def test_corpus_of_nothing_scores_zero() -> None:
    assert corpus_score([]).f1 == 0.0
