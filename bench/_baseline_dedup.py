"""The previous same-story decider (commit 4bcbccf, bot/news/dedup.py ``similarity``), kept verbatim as
the baseline that ``bench.pairs`` measures the current one against in the same run. Not used by the
bot."""

from __future__ import annotations

from functools import lru_cache

from bot.news.arabic import light_stem, normalize
from bot.news.places import places

THRESHOLD = 0.6
CONTAINMENT_WEIGHT = 0.5
MISMATCH_PENALTY = 0.6

_STOP_WORDS = (
    "في من على إلى الى عن أن إن ان مع بعد قبل هذا هذه ذلك تلك التي الذي الذين ما لا لم لن قد "
    "و أو او ثم كما بين حول عند منذ خلال ضد عبر نحو بأن بان كان كانت يكون هو هي هم كل أي "
    "the a an of to in on for and or at by with from as is are was were be been has have had "
    "it its this that these those after over into about than but not no new says said amid "
    "what we know so far how why who will would could can may up out more his her their they he she "
    "you our your just now also still"
)
_STOP = frozenset(normalize(w) for w in _STOP_WORDS.split())


@lru_cache(maxsize=32768)
def _features(headline: str) -> tuple[tuple[str, ...], frozenset[str], frozenset[str]]:
    """Distinct stemmed content words, numbers and places of a headline (cached: storage passes the
    same recent headlines for every candidate of a poll)."""
    words = [light_stem(t) for t in normalize(headline).split()]
    words = [w for w in words if w not in _STOP and (len(w) > 1 or w.isdigit())]
    numbers = frozenset(w for w in words if w.isdigit())
    return tuple(dict.fromkeys(words)), numbers, places(headline)


def _close(a: str, b: str) -> bool:
    """Equal, or one edit apart for words of 4+ letters (spelling variants, not different words)."""
    if a == b:
        return True
    if a.isdigit() or b.isdigit() or min(len(a), len(b)) < 4 or abs(len(a) - len(b)) > 1:
        return False
    if len(a) > len(b):
        a, b = b, a
    # one substitution / insertion
    i = j = edits = 0
    while i < len(a) and j < len(b):
        if a[i] == b[j]:
            i += 1
            j += 1
            continue
        edits += 1
        if edits > 1:
            return False
        if len(a) == len(b):
            i += 1
        j += 1
    return edits + (len(b) - j) + (len(a) - i) <= 1


def similarity(a: str, b: str) -> float:
    """How likely two headlines tell the same story, in [0, 1] (see module docstring)."""
    sa, na, pa = _features(a)
    sb, nb, pb = _features(b)
    if not sa or not sb:
        return 0.0
    # exact matches first (set intersection: cheap), then one-edit spelling variants among the rest
    set_a, set_b = set(sa), set(sb)
    matched = len(set_a & set_b)
    remaining = [w for w in sb if w not in set_a and len(w) >= 4 and not w.isdigit()]
    if remaining:
        for word in sa:
            if word in set_b or len(word) < 4 or word.isdigit():
                continue
            for k, other in enumerate(remaining):
                if _close(word, other):
                    matched += 1
                    del remaining[k]
                    break
    containment = matched / min(len(sa), len(sb))
    dice = 2 * matched / (len(sa) + len(sb))
    score = CONTAINMENT_WEIGHT * containment + (1 - CONTAINMENT_WEIGHT) * dice
    if min(len(sa), len(sb)) < 3:  # two-word headlines: containment alone says too little
        score = dice
    if na and nb and not (na & nb):
        score *= MISMATCH_PENALTY
    if pa and pb and not (pa & pb):
        score *= MISMATCH_PENALTY
    return round(score, 4)
