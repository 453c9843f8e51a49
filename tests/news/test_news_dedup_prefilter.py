"""The story index's common-word prefilter is exact: it changes which postings are walked, never which
stories are offered for comparison, so no decision changes (issue 13: steady polling speed).

Every headline of the project's labelled pairs, urgency set and feed fixtures is indexed; each is then
looked up with and without the prefilter, with the "common word" bar lowered so that nearly every word
takes the prefiltered path (at the production bar these small sets would hardly exercise it).
"""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from bot.news import dedup, meaning
from bot.news.dedup import Candidate, KnownStory, StoryIndex, decide, title_key

DATA = Path(__file__).resolve().parents[1] / "data"
NOW = datetime(2026, 1, 1, tzinfo=UTC)
WINDOW = timedelta(hours=24)


def _headlines() -> list[str]:
    out: list[str] = []
    for line in (DATA / "dedup_pairs.tsv").read_text(encoding="utf-8").splitlines():
        if line.strip() and not line.startswith("#"):
            out += line.split("\t")[2:4]
    for line in (DATA / "ar_pairs.tsv").read_text(encoding="utf-8").splitlines()[1:]:
        if line:
            out += line.split("\t")[2:4]
    for line in (DATA / "urgency_headlines.tsv").read_text(encoding="utf-8").splitlines()[1:]:
        out += [cell for cell in line.split("\t") if len(cell.split()) >= 3][:1]
    for path in sorted((DATA / "feeds").glob("*.json")):
        out += [item["title"] for item in json.loads(path.read_text(encoding="utf-8")).get("items", [])]
    return list(dict.fromkeys(h for h in out if h.strip()))


HEADLINES = _headlines()


class _Reference(StoryIndex):
    """The index without the prefilter: every posting walked."""

    def similar_candidates(
        self, headline: str, threshold: float = dedup.THRESHOLD, *, prefilter: bool = True
    ) -> list[KnownStory]:
        return super().similar_candidates(headline, threshold, prefilter=False)


def _stories(cls: type[StoryIndex]) -> StoryIndex:
    half = HEADLINES[::2]  # every other headline is known; all of them are looked up
    return cls(
        KnownStory(n, f"src{n % 7}", f"g{n}", None, title_key(h), h, NOW) for n, h in enumerate(half, 1)
    )


def test_the_fixtures_are_many() -> None:
    assert len(HEADLINES) > 1000


@pytest.mark.parametrize("bar", [1, 3, 10, dedup.COMMON_POSTING])
def test_the_prefilter_offers_exactly_the_stories_the_full_walk_offers(
    bar: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(dedup, "COMMON_POSTING", bar)
    index = _stories(StoryIndex)
    for headline in HEADLINES:
        for threshold in (0.3, dedup.THRESHOLD, 0.7):
            fast = [s.id for s in index.similar_candidates(headline, threshold)]
            full = [s.id for s in index.similar_candidates(headline, threshold, prefilter=False)]
            assert fast == full, headline


def test_decisions_are_the_same_with_and_without_the_prefilter(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(dedup, "COMMON_POSTING", 2)

    # the word rule alone: the prefilter only chooses candidates (tested exactly above), and the meaning
    # stage scores a candidate the same whichever walk offered it — its model would only add a minute
    def unavailable() -> meaning.Embed:
        raise meaning.Unavailable("not needed to compare the two walks")

    previous = meaning.install(meaning.Meaning(unavailable))
    try:
        _same_decisions()
    finally:
        meaning.install(previous)


def _same_decisions() -> None:
    fast, full = _stories(StoryIndex), _stories(_Reference)
    changed = 0
    for n, headline in enumerate(HEADLINES):
        candidate = Candidate(f"src{n % 5}", None, None, title_key(headline + " ·"), headline)
        a = decide(candidate, fast, now=NOW, window=WINDOW)
        b = decide(candidate, full, now=NOW, window=WINDOW)
        assert a == b, headline
        changed += a.decision is not dedup.Decision.NEW
    assert changed > 100  # the comparison is not vacuous: many are updates or duplicates


def test_a_revised_story_leaves_no_posting_behind(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(dedup, "COMMON_POSTING", 1)
    index = _stories(StoryIndex)
    first = next(iter(index))
    index.replace(KnownStory(first.id, first.source_name, first.guid, None, title_key("x y z"), "x y z", NOW))
    for headline in [*HEADLINES[:200], first.headline]:
        fast = [s.id for s in index.similar_candidates(headline)]
        assert fast == [s.id for s in index.similar_candidates(headline, prefilter=False)]
