"""The dedup decider: is a classified item new, already seen, an update, or another source's duplicate?

Pure: storage passes the recent stories (:class:`KnownStory`) it holds; the decision comes back as a
:class:`StoryDecision`. Storage's unique keys remain the final judge of "new" under races.

Rules, first match wins:

1. **SEEN** — same source and the same guid, or the same canonical URL (at any age: identity does not
   expire), or the same title key within the window. Nothing to do.
2. **UPDATE** — same source, within the window, headline :func:`similarity` ≥ :data:`THRESHOLD`:
   the ticker reworded its own story ("عاجل | ترمب يفرض 30% جمارك…" → "ترمب: 30% رسوماً على أوروبا").
   Record it as an update of that story; do not push it again.
3. **DUPLICATE** — another source, within the window, similarity ≥ threshold: link, don't push.
4. **NEW**.

When several stories qualify the most similar wins; on a tie the same source (an update) beats
another source, then the most recent.

Same story or not is :func:`bot.news.samestory.compare` (word overlap weighted by informativeness, with
guards for a different number, place, direction or negation; threshold chosen by cross-validation in
``bench/pairs.py``). ``aajel news compare`` prints the same comparison with its reasons.
"""

from __future__ import annotations

import hashlib
import math
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum
from functools import lru_cache
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from bot.clock import as_utc
from bot.domain import ClassifiedItem
from bot.news.arabic import normalize
from bot.news.headline import features
from bot.news.samestory import (
    PARAMS_BY_LANGUAGE,
    THRESHOLD,
    Comparison,
    Params,
    calibrate,
    compare,
    match_keys,
    score_bound,
)

__all__ = ["THRESHOLD", "Comparison", "compare", "decide", "similarity"]

# Query parameters that identify a click, not a document.
_TRACKING_PARAMS = frozenset(
    {
        "fbclid",
        "gclid",
        "dclid",
        "gbraid",
        "wbraid",
        "msclkid",
        "yclid",
        "igshid",
        "mc_cid",
        "mc_eid",
        "ref",
        "ref_src",
        "ref_url",
        "referrer",
        "cmpid",
        "ocid",
        "at_medium",
        "at_campaign",
        "ito",
        "ns_mchannel",
        "ns_source",
        "ns_campaign",
        "ns_linkname",
        "ns_fee",
        "_ga",
        "_gl",
        "spm",
        "s_cid",
        "smid",
        "xtor",
    }
)
_TRACKING_PREFIXES = ("utm_", "pk_", "mtm_", "hsa_", "oly_")
_DEFAULT_PORTS = {"http": 80, "https": 443}


def canonical_url(url: str | None) -> str | None:
    """A stable key for a URL: scheme/host lowercased, default port, fragment and tracking params
    dropped, remaining params sorted, trailing slash of the path removed (except the root ``/``).

    Returns None for empty or non-http(s) input. Path case is kept (paths are case-sensitive).
    """
    if not url:
        return None
    try:
        parts = urlsplit(url.strip())
        port = parts.port
    except ValueError:
        return None
    scheme = parts.scheme.lower()
    if scheme not in _DEFAULT_PORTS or not parts.hostname:
        return None
    host = parts.hostname.lower().rstrip(".")
    if ":" in host:  # IPv6 literal
        host = f"[{host}]"
    netloc = host if port in (None, _DEFAULT_PORTS[scheme]) else f"{host}:{port}"
    path = parts.path or "/"
    if len(path) > 1:
        path = path.rstrip("/") or "/"
    query = [
        (k, v)
        for k, v in parse_qsl(parts.query, keep_blank_values=True)
        if k.lower() not in _TRACKING_PARAMS and not k.lower().startswith(_TRACKING_PREFIXES)
    ]
    return urlunsplit((scheme, netloc, path, urlencode(sorted(query)), ""))


def title_key(headline: str) -> str:
    """sha256 hex of the normalised headline (marker already stripped by classification)."""
    return hashlib.sha256(normalize(headline).encode("utf-8")).hexdigest()


# ------------------------------------------------------------------------------------------ similarity


def similarity(a: str, b: str) -> float:
    """How likely two headlines tell the same story, in [0, 1]: :func:`bot.news.samestory.compare`'s
    decision score (0 when a guard fired: a different number, place, direction or negation)."""
    return compare(a, b).score


# ------------------------------------------------------------------------------------------- decisions


class Decision(StrEnum):
    NEW = "new"
    SEEN = "seen"
    UPDATE = "update"
    DUPLICATE = "duplicate"


@dataclass(frozen=True, slots=True)
class KnownStory:
    """What storage remembers of a recent story, enough to decide."""

    id: int
    source_name: str
    guid: str | None
    canonical_url: str | None
    title_key: str
    headline: str
    detected_at: datetime
    story_id: int | None = None  # the story this one already belongs to (None: it is a first sighting)

    @property
    def root_id(self) -> int:
        """The first sighting of this story: what a new update or duplicate should link to."""
        return self.story_id if self.story_id is not None else self.id


@dataclass(frozen=True, slots=True)
class Candidate:
    """The item being decided, reduced to its keys."""

    source_name: str
    guid: str | None
    canonical_url: str | None
    title_key: str
    headline: str

    @classmethod
    def from_classified(cls, item: ClassifiedItem, source_name: str) -> Candidate:
        return cls(
            source_name=source_name,
            guid=item.item.guid,
            canonical_url=canonical_url(item.item.url),
            title_key=title_key(item.headline),
            headline=item.headline,
        )


@dataclass(frozen=True, slots=True)
class StoryDecision:
    """``story_id`` is the matched story (None for NEW); ``score`` the similarity that decided."""

    decision: Decision
    story_id: int | None = None
    score: float = 0.0
    reason: str = ""


class StoryIndex:
    """Recent stories indexed for :func:`decide`: exact keys per source, and word postings.

    Why: a deployment keeps tens of thousands of stories inside the window; comparing every candidate
    with every one of them (similarity is the costly part) made a 20-item baseline take seconds. The
    index answers "seen" by dictionary lookups and offers for comparison only stories whose best-case
    score could reach the threshold (:meth:`similar_candidates`): words are posted under every key
    through which the matcher can pair them (:func:`bot.news.samestory.match_keys`), so the best case
    is a true upper bound and decisions do not change (tests check it on every labelled pair).
    """

    def __init__(self, stories: Iterable[KnownStory] = ()) -> None:
        self._stories: dict[int, KnownStory] = {}
        self._guid: dict[tuple[str, str], KnownStory] = {}
        self._url: dict[tuple[str, str], KnownStory] = {}
        self._title: dict[tuple[str, str], list[KnownStory]] = {}
        # key → shelf → story id → the zipf of its rarest word under that key (see _Shelf)
        self._postings: dict[str, dict[_Shelf, dict[int, float]]] = {}
        self._sizes: dict[str, int] = {}  # key → stories posted under it with a light pairing
        # story id → (total word weight per language, words, mostly Arabic?, total-weight shelf)
        self._totals: dict[int, tuple[dict[str, float], int, bool, _Totals]] = {}
        for story in stories:
            self.add(story)

    def __len__(self) -> int:
        return len(self._stories)

    def __iter__(self) -> Iterator[KnownStory]:
        return iter(self._stories.values())

    def get(self, story_id: int) -> KnownStory | None:
        return self._stories.get(story_id)

    def unknown(self, story_ids: Sequence[int]) -> list[int]:
        """The ids not indexed, in their order (dictionary look-ups only: thousands cost microseconds)."""
        stories = self._stories
        return [i for i in story_ids if i not in stories]

    def add(self, story: KnownStory) -> None:
        self._stories[story.id] = story
        if story.guid:
            self._guid.setdefault((story.source_name, story.guid), story)
        if story.canonical_url:
            self._url.setdefault((story.source_name, story.canonical_url), story)
        self._title.setdefault((story.source_name, story.title_key), []).append(story)
        self._post(story)

    def _keys(self, headline: str) -> dict[str, float]:
        """Each posting key of a headline with the Zipf of its rarest word under that key."""
        rarest: dict[str, float] = {}
        for keys, zipf in _posting(headline)[0]:
            for key in keys:
                if zipf < rarest.get(key, 99.0):
                    rarest[key] = zipf
        return rarest

    def _post(self, story: KnownStory) -> None:
        words, count = _posting(story.headline)
        totals = {lang: sum(p.weight(z) for _, z in words) for lang, p in PARAMS_BY_LANGUAGE.items()}
        arabic = features(story.headline).arabic
        level = (arabic, _log2(totals["ar"]), _log2(totals["en"]))
        self._totals[story.id] = (totals, count, arabic, level)
        for key, zipf in self._keys(story.headline).items():
            self._postings.setdefault(key, {}).setdefault((*level, zipf >= LIGHT_ZIPF), {})[story.id] = zipf
            if zipf >= LIGHT_ZIPF:
                self._sizes[key] = self._sizes.get(key, 0) + 1

    def _unpost(self, story: KnownStory) -> None:
        level = self._totals[story.id][3]
        for key, zipf in self._keys(story.headline).items():
            shelf = (*level, zipf >= LIGHT_ZIPF)
            if self._postings.get(key, {}).get(shelf, {}).pop(story.id, None) is not None and shelf[3]:
                self._sizes[key] -= 1

    def replace(self, story: KnownStory) -> None:
        """Swap in a revised story (same id: a new headline); exact keys keep pointing at it."""
        old = self._stories.get(story.id)
        if old is not None:
            bucket = self._title.get((old.source_name, old.title_key), [])
            self._title[(old.source_name, old.title_key)] = [k for k in bucket if k.id != old.id]
            self._unpost(old)
            for index in (self._guid, self._url):
                for k, v in list(index.items()):
                    if v.id == old.id:
                        index[k] = story
        self._stories[story.id] = story
        self._title.setdefault((story.source_name, story.title_key), []).append(story)
        self._post(story)

    def seen(self, candidate: Candidate) -> tuple[KnownStory, str] | None:
        """The same source's story with this guid or canonical URL (any age), and which key matched."""
        if candidate.guid and (k := self._guid.get((candidate.source_name, candidate.guid))):
            return k, "same guid"
        if candidate.canonical_url and (k := self._url.get((candidate.source_name, candidate.canonical_url))):
            return k, "same url"
        return None

    def same_title(self, candidate: Candidate) -> list[KnownStory]:
        return self._title.get((candidate.source_name, candidate.title_key), [])

    def similar_candidates(
        self, headline: str, threshold: float = THRESHOLD, *, prefilter: bool = True
    ) -> list[KnownStory]:
        """Stories whose score with ``headline`` could reach ``threshold``: each word of the headline
        is paired, through the posting keys it shares with a story, with that story's rarest (so
        heaviest) such word; if even that best case (:func:`bot.news.samestory.score_bound`,
        calibrated, in the pair's language's parameters) stays below the threshold,
        :func:`compare` cannot reach it and the story is skipped.

        The prefilter is exact (the same stories come out; ``prefilter=False`` is the reference the
        tests compare with). It spares walking, story by story, the long postings of the headline's
        *common* words (light pairings with :data:`COMMON_POSTING` stories or more), where most of the time went: there a
        story is nearly always paired with a common word of its own (Zipf ≥ :data:`LIGHT_ZIPF`,
        "light"). Postings are shelved by the story's language and total weight and by the pairing's
        lightness; a light shelf is skipped when even the best case — every common word paired with
        the heaviest light word, against the shelf's lightest total — cannot reach the threshold.
        A story that a rare word or a heavy pairing reaches anyway gets its light pairings looked up."""
        words, count = _posting(headline)
        arabic = features(headline).arabic
        by_lang = {lang: PARAMS_BY_LANGUAGE[lang] for lang in (("ar", "en") if arabic else ("en",))}
        totals = {lang: sum(params.weight(z) for _, z in words) for lang, params in by_lang.items()}
        common = {
            n
            for n, (keys, _zipf) in enumerate(words)
            if prefilter and sum(self._sizes.get(key, 0) for key in keys) >= COMMON_POSTING
        }
        light = {
            lang: sum(params.weight(words[n][1]) + params.weight(LIGHT_ZIPF) for n in common) / 2
            for lang, params in by_lang.items()
        }
        hopeless: dict[_Shelf, bool] = {}

        def skip(shelf: _Shelf) -> bool:
            """A light shelf no story of which can reach the threshold through common words alone."""
            if not shelf[3]:
                return False
            if shelf not in hopeless:
                lang = "ar" if arabic and shelf[0] else "en"
                params = by_lang[lang]
                lightest = (
                    0.0 if shelf[1 if lang == "ar" else 2] < 0 else 2.0 ** shelf[1 if lang == "ar" else 2]
                )
                bound = _best_case(light[lang], totals[lang], lightest, params)
                hopeless[shelf] = calibrate(bound, params) < threshold
            return hopeless[shelf]

        pairs: list[dict[int, float]] = []  # per headline word: story id → its rarest word's zipf
        for n, (keys, _zipf) in enumerate(words):
            rarest: dict[int, float] = {}
            for key in keys:
                for shelf, posting in self._postings.get(key, {}).items():
                    if n in common and skip(shelf):
                        continue
                    for story_id, other in posting.items():
                        if other < rarest.get(story_id, 99.0):
                            rarest[story_id] = other
            pairs.append(rarest)
        reached = set().union(*pairs)
        for n in common:  # the skipped light pairings of the stories reached anyway
            keys = words[n][0]
            rarest = pairs[n]
            for story_id in reached:
                if story_id in rarest:
                    continue  # a heavy pairing (or an unskipped shelf) already: lighter ones lose
                level = self._totals[story_id][3]
                shelf = (*level, True)
                if not skip(shelf):
                    continue  # walked already: no pairing
                for key in keys:
                    found = self._postings.get(key, {}).get(shelf, {}).get(story_id)
                    if found is not None and found < rarest.get(story_id, 99.0):
                        rarest[story_id] = found
        reach: dict[int, float] = {}
        for (_keys, zipf), rarest in zip(words, pairs, strict=True):
            weights = {lang: params.weight(zipf) for lang, params in by_lang.items()}
            for story_id, other in rarest.items():
                lang = "ar" if arabic and self._totals[story_id][2] else "en"  # as compare() picks
                reach[story_id] = reach.get(story_id, 0.0) + (weights[lang] + by_lang[lang].weight(other)) / 2
        out = []
        for story_id in sorted(reach):
            other_totals, other_count, other_arabic, _ = self._totals[story_id]
            lang = "ar" if arabic and other_arabic else "en"
            params = by_lang[lang]
            bound = score_bound(reach[story_id], totals[lang], other_totals[lang], count, other_count, params)
            if calibrate(bound, params) >= threshold:
                out.append(self._stories[story_id])
        return out


COMMON_POSTING = 256
"""A headline word posted for at least this many stories is *common* (see
:meth:`StoryIndex.similar_candidates`); rarer words are walked as they are."""

LIGHT_ZIPF = 3.0
"""A pairing with a story word at least this frequent is *light* (its weight is at most
``weight(LIGHT_ZIPF)``); news' common words ("government", "الحكومة") sit around 5."""

_Totals = tuple[bool, int, int]
"""A story's (mostly Arabic?, ⌊log2⌋ of its total word weight in Arabic and in English parameters)."""
_Shelf = tuple[bool, int, int, bool]
""":data:`_Totals` plus whether the pairing under this key is light."""


def _log2(total: float) -> int:
    return math.floor(math.log2(total)) if total >= 1.0 else -1


def _best_case(shared: float, total_a: float, total_b: float, params: Params) -> float:
    """At least :func:`bot.news.samestory.score_bound` for ``shared`` or less, any word counts, and a
    story total of ``total_b`` or more: the containment mix (never below Dice alone, which short
    headlines use), which only falls as the story's total grows."""
    smaller = min(total_a, total_b)
    if smaller <= 0:
        return 1.0
    containment = shared / smaller
    dice = 2 * shared / (total_a + total_b)
    return min(params.containment_weight * containment + (1 - params.containment_weight) * dice, 1.0)


@lru_cache(maxsize=65536)
def _posting(headline: str) -> tuple[tuple[tuple[frozenset[str], float], ...], int]:
    """Per word, its match keys (:func:`bot.news.samestory.match_keys`) and Zipf frequency; the
    number of words."""
    words = features(headline).words
    return tuple((match_keys(w), w.zipf) for w in words), len(words)


def decide(
    candidate: Candidate,
    recent: Sequence[KnownStory] | StoryIndex,
    *,
    now: datetime,
    window: timedelta,
    threshold: float = THRESHOLD,
) -> StoryDecision:
    """Decide what ``candidate`` is, given the stories storage knows (see module docstring).

    ``recent`` may be a plain sequence or a :class:`StoryIndex` of it (same decisions, much faster
    when many stories are recent).
    """
    now = as_utc(now)
    index = recent if isinstance(recent, StoryIndex) else StoryIndex(recent)

    def in_window(k: KnownStory) -> bool:
        return now - as_utc(k.detected_at) <= window

    hit = index.seen(candidate)
    if hit is not None:
        return StoryDecision(Decision.SEEN, hit[0].id, 1.0, hit[1])
    for known in index.same_title(candidate):
        if in_window(known):
            return StoryDecision(Decision.SEEN, known.id, 1.0, "same title")

    best: tuple[float, int, datetime, KnownStory] | None = None
    nearby = (
        index.similar_candidates(candidate.headline, threshold) if threshold <= 1.0 else []
    )  # inf: identity only
    for known in nearby:
        if not in_window(known):
            continue
        comparison = compare(candidate.headline, known.headline, threshold)
        if not comparison.same:
            continue
        score = comparison.score
        rank = (score, 1 if known.source_name == candidate.source_name else 0, as_utc(known.detected_at))
        if best is None or rank > best[:3]:
            best = (*rank, known)
    if best is None:
        return StoryDecision(Decision.NEW)
    score, same_source, _, known = best
    if same_source:
        return StoryDecision(Decision.UPDATE, known.id, score, f"reworded ({score:.2f})")
    return StoryDecision(Decision.DUPLICATE, known.id, score, f"also from {known.source_name} ({score:.2f})")
