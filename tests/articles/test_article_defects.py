"""The two defects of issue 10 (comments cut on labels, run-on short breaking story) and the corpus floor.

Fixture pages in ``tests/data/articles/defects`` were written for these tests; the floor test reads the
shared corpus (``../shared/corpus/articles``) and fails rather than skips under ``CI=true`` without it.
"""

from __future__ import annotations

import os
from datetime import UTC, datetime
from pathlib import Path

import pytest

from bot.articles.boilerplate import clean_blocks
from bot.articles.extract import extract
from bot.articles.scoring import bow_score, corpus_score
from bot.articles.text import Block

PROJECT = Path(__file__).resolve().parents[2]
DEFECTS = PROJECT / "tests" / "data" / "articles" / "defects"
CORPUS = PROJECT.parent / "shared" / "corpus" / "articles"

POOLED_F1_FLOOR = 0.95
"""The issue's goal for pooled BoW F1 on aeb + cpe (measured 0.96x when this floor was set; see bench)."""


def _page(name: str) -> str:
    return (DEFECTS / name).read_text(encoding="utf-8")


# ---- the comments cut fires on headings only -------------------------------------------------------


def test_comment_and_counter_labels_inside_an_article_do_not_truncate_it() -> None:
    article = extract(_page("comment_labels_en.html"), url="https://news.example/harbour")
    assert len(article.paragraphs) == 5
    assert article.paragraphs[0].startswith("The city council voted")
    assert article.paragraphs[-1].startswith("Work on the western quay")
    text = article.text
    assert "Comment" not in text and "views" not in text
    assert "Finally!" not in text and "giveaway" not in text  # the thread under the heading stays out


@pytest.mark.parametrize("label", ["Comment", "- Comments", "Comments (12)", "التعليقات", "12 comments"])
def test_a_comments_label_that_is_not_a_heading_is_dropped_without_cutting(label: str) -> None:
    blocks = ["First paragraph of the story, long enough to be kept.", label, "Second paragraph stays."]
    assert clean_blocks(blocks) == [blocks[0], blocks[2]]


@pytest.mark.parametrize("label", ["Comments", "التعليقات (3)", "Leave a reply"])
def test_a_comments_heading_ends_the_article(label: str) -> None:
    blocks = [Block("First paragraph of the story, long enough to be kept."), Block(label, heading=True)]
    blocks.append(Block("A reader's comment that must not be read as the article."))
    assert clean_blocks(blocks) == ["First paragraph of the story, long enough to be kept."]


# ---- short breaking articles come out as their paragraphs -------------------------------------------


@pytest.mark.parametrize("page", ["short_breaking_ar.html", "short_breaking_ar_tags.html"])
def test_short_arabic_breaking_story_is_its_two_paragraphs_with_fields_lifted_out(page: str) -> None:
    article = extract(_page(page), url="https://news.example/quake")
    assert article.title == "عاجل: زلزال بقوة 5.8 درجات يضرب جنوب تركيا"
    assert article.paragraphs == (
        "ضرب زلزال بقوة 5.8 درجات على مقياس ريختر ولاية هاتاي جنوب تركيا صباح اليوم.",
        "ولم ترد أنباء فورية عن وقوع إصابات أو أضرار.",
    )
    assert article.lead is None
    assert article.dateline == "السبت 12/07/2025 - 12:30 بتوقيت القاهرة"
    assert article.published == datetime(2025, 7, 12, 9, 30, tzinfo=UTC)
    assert article.byline == "وكالات"
    for marker in ("الرئيسية", "فيسبوك", "تويتر", "الوسوم", "المصدر", "بتوقيت", "زلزال بقوة 5.8 درجات يضرب"):
        assert marker not in article.text


def test_short_english_breaking_story_is_its_two_paragraphs() -> None:
    article = extract(_page("short_breaking_en.html"), url="https://news.example/crete")
    assert article.title == "Magnitude 6.1 earthquake strikes off Crete"
    assert article.paragraphs == (
        "A magnitude 6.1 earthquake struck off the Greek island of Crete on Saturday, the geological "
        "institute said.",
        "There were no immediate reports of damage.",
    )
    for marker in ("Facebook", "Share", "Home", "Reuters", "08:15"):
        assert marker not in article.text


@pytest.mark.parametrize("count", [1, 3])
def test_one_to_three_short_paragraphs_each_stay_a_paragraph(count: int) -> None:
    sentences = [
        "ضرب زلزال بقوة 5.8 درجات ولاية هاتاي جنوب تركيا صباح اليوم.",
        "ولم ترد أنباء فورية عن وقوع إصابات أو أضرار.",
        "وقالت هيئة الكوارث إن فرقها تتفقد المباني في المنطقة.",
    ][:count]
    html = (
        _page("short_breaking_ar.html")
        .replace(
            '<div class="text">', '<div class="text">' + "".join(f"<p>{s}</p>" for s in sentences) + "<!--"
        )
        .replace('</div>\n<div class="share">', '--></div>\n<div class="share">')
    )
    article = extract(html, url=None)
    assert list(article.paragraphs) == sentences


# ---- quality floor on real pages nobody on the project wrote ---------------------------------------


def _require_corpus() -> None:
    if (CORPUS / "MANIFEST.tsv").exists():
        return
    problem = f"shared corpus missing at {CORPUS}"
    if os.environ.get("CI", "").strip().lower() not in ("", "0", "false", "no"):
        pytest.fail(f"{problem} (CI is set, so this is an error, not a skip)", pytrace=False)
    pytest.skip(problem)


@pytest.mark.slow
def test_pooled_bow_f1_on_the_human_gold_corpus_stays_above_the_floor() -> None:
    _require_corpus()
    from bench.extract import HUMAN_SETS, load_pages, ours

    pages = load_pages(set(HUMAN_SETS), CORPUS)
    assert len(pages) >= 250
    score = corpus_score(bow_score(ours(p.html), p.gold) for p in pages)
    assert score.f1 >= POOLED_F1_FLOOR, score


# ---- page furniture vs. sentences that use the same words --------------------------------------------

BODY = "First paragraph of the story, long enough to be kept as the article's own text."


@pytest.mark.parametrize(
    "line",
    [
        "Thanks for signing up!",
        "Subscribe to the Morning Review newsletter",
        "Follow Newsbeat on Instagram, Facebook, Twitter and YouTube.",
        "UPDATED: Tue., Nov. 19, 2019",
        "Last updated on 12 March 2024 at 10:00 GMT",
        "Additional reporting by Joseph Hudak",
        "1,204 views",
        "Home › World › Magnitude 6.1 earthquake strikes off Crete",
        "https://cdn.example.com/img/photo-500x250.jpg",
        "You may also like...",
    ],
)
def test_page_furniture_lines_are_dropped(line: str) -> None:
    assert clean_blocks([BODY, line]) == [BODY]


@pytest.mark.parametrize(
    "line",
    [
        "Published in 2019, the report found that most people agree.",
        "He wrote about it in his weekly newsletter and more.",
        "Posted 3 goals in the final game.",
        "قال المتحدث «إن الاتفاق» سيوقع غدا، وأضاف «لا تراجع» عنه.",
    ],
)
def test_sentences_using_the_same_words_are_kept(line: str) -> None:
    assert clean_blocks([BODY, line]) == [BODY, line]


def test_a_run_of_teaser_links_goes_but_a_lone_linked_line_between_paragraphs_stays() -> None:
    blocks = [
        Block(BODY),
        Block("Satechi 72W USB-C Power Delivery Car Charger", link=True),
        Block("Second paragraph of the story, which goes on about the charger in detail."),
        Block("Who will make the Rock Hall in 2020?", link=True),
        Block("Dave Matthews Band takes over Rock Hall Fan Vote", link=True),
    ]
    assert clean_blocks(blocks) == [blocks[0].text, blocks[1].text, blocks[2].text]


def test_repeated_sequences_stay_but_a_lone_repeated_label_goes() -> None:
    plan = ["Meal 1", "Eat every 2–3 hours", "Meal 2"]
    amazon = "- See it now: Amazon"
    blocks = [
        BODY,
        *plan,
        "Second paragraph.",
        amazon,
        "Third paragraph.",
        *plan,
        "Last one.",
        amazon,
        "End.",
    ]
    assert clean_blocks(blocks) == [
        BODY,
        *plan,
        "Second paragraph.",
        amazon,
        "Third paragraph.",
        *plan,
        "Last one.",
        "End.",
    ]
