"""Same story or not: the pure, explainable comparison of two headlines behind dedup.

:func:`compare` returns a :class:`Comparison`: a score in [0, 1], the verdict at a threshold, and why
(which words matched, which were left over on each side, which guard fired). :mod:`bot.news.dedup`
decides with it, and ``aajel news compare`` prints it, so the console shows exactly the poller's
decision.

**Score.** Each headline is read once into its words, numbers, places, days and negation
(:func:`bot.news.headline.features`: normalised, stemmed lightly, stop words dropped, cached), and the
words are matched exactly or, for words of 4+ letters, one edit apart (``ترمب``/``ترامب``; in
English only spelling variants: one spelling rare, or a British/American s/z/c — ``fear``/``near``
are two words), or related (a country and its adjective, ``China``/``Chinese``; an English
derivation by a derivational suffix, ``resigns``/``resignation``, or a compound,
``quake``/``earthquake``). Number words match digits (``three``/``3``). Each word weighs by how
*informative* it is, from ``wordfreq``'s Zipf frequency for its language (``1 + (8 − zipf)^α``):
"Venezuela" or "غانتس" count more than "says" or "قال". The score mixes weighted containment (short
ticker rewordings drop words) and weighted Dice.

**Guards.** Two headlines that share most words are still different stories when they differ in a
fact. Each guard fires only on what is *left over* on both sides (a detail one side merely omits is
not a contradiction):

* number — both carry numbers, and each has one the other lacks (digits of any script with their
  scale, number words, Arabic dual or plural vs singular of one word: ``شرطي``/``شرطيين``);
* place — both name places (:mod:`bot.news.gazetteer`: countries, big cities, US states), each one
  that agrees with none of the other's (a city agrees with its country);
* actor — English: each side has an acronym the other lacks (``US``/``NATO``, ``UN``/``US``: the
  organisation, country or office acting), unless the headline shouts in capitals;
* direction — opposite changes (rise/fall, يرفع/يخفض, win/lose, collapse/resume …,
  :mod:`bot.news.lexicon`);
* day — both name a weekday, and no day is shared;
* negation — one side negates (not, no, لا، لن، لم، عدم) and the other does not (fixed expressions
  such as "not guilty" and "no longer" are read as what they mean, see :mod:`bot.news.headline`).

How a headline is read before any of this (wire revision tags dropped, basis points as percent) is
:mod:`bot.news.headline`'s.

A guard makes the raw score 0 (the word score is still reported as ``overlap``); a swapped name-like
word in an otherwise identical headline ("حماس ترحب…" / "إسرائيل ترحب…") multiplies it by the swap
factor. Arabic and English pairs have their own parameters (:data:`PARAMS_BY_LANGUAGE`: weight power,
containment weight, swap factor, raw threshold), chosen per language by k-fold cross-validation
(``python -m bench.pairs``), never on the rows reported; the decision score is the raw score
calibrated so that both languages decide at :data:`THRESHOLD`, the one number the pipeline passes.

**Meaning.** A pair no guard stopped whose raw score reaches the language's floor is also embedded
(:mod:`bot.news.meaning`, multilingual-e5): the decision score is the lower of the word score and the
meaning score, each calibrated to :data:`THRESHOLD`, so a different story worded alike fails on the
cosine and a rewording sharing few words passes a floor below the word rule's own threshold. When the
model cannot run, the word rule decides alone at its own threshold (``Params.alone``) and the reason
says so. The floor is never above that threshold, so :class:`bot.news.dedup.StoryIndex` (which
prunes at ``Params.threshold``, the floor) offers every pair either rule can merge.

Invariants: pure (no I/O but :mod:`bot.news.headline`'s tables, loaded once off the event loop, and
the model's bundled file once, at :func:`warm_up` or first use; never the network), deterministic (the
model included: one engine thread, bit-for-bit), symmetric in verdict; the per-headline work is
cached in :func:`bot.news.headline.features` (storage passes the same recent headlines for every
candidate of a poll), so a comparison only matches, guards and weighs.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from functools import lru_cache

from bot.news import meaning
from bot.news.gazetteer import Mention, mentions, unmatched
from bot.news.headline import Features, Word, features, strip_wire_tags, wait_for_tables
from bot.news.lexicon import OPPOSITE, directions


@dataclass(frozen=True, slots=True)
class Params:
    """The tunable part of the decision, per language: ``threshold`` is on the *raw* score (word
    overlap after guards and swap penalty) — with the meaning stage, the floor the words must reach
    before the embeddings are asked; ``meaning`` the cosine at which the meaning stage says "same"
    (None: words alone decide at ``threshold``); ``alone`` the raw threshold of the word rule when the
    model is unavailable. Chosen by cross-validation on the labelled pairs (``python -m bench.pairs``;
    docs/dedup.md), never on the rows reported."""

    threshold: float = 0.5
    containment_weight: float = 0.0
    weight_power: float = 1.0  # α in 1 + (8 − zipf)^α; 0 weighs every word alike
    swap_factor: float = 1.0  # score factor when a name-like word is swapped for another in one slot
    meaning: float | None = None  # cosine threshold of the meaning stage (bot.news.meaning)
    alone: float | None = None  # raw threshold when the meaning stage is unavailable

    def weight(self, zipf: float) -> float:
        return _weight(self.weight_power, zipf)


@lru_cache(maxsize=8192)
def _weight(power: float, zipf: float) -> float:
    """1 + (8 − zipf)^power (cached: Zipf values come with two decimals, so there are few)."""
    return 1.0 + max(0.0, 8.0 - zipf) ** power if power else 2.0


# Arabic and English headlines word their rewordings differently (Arabic agencies reword more, and
# Arabic clitics and inflection leave fewer exact matches), so each language has its own parameters;
# the score is calibrated so that both decide at THRESHOLD, the single number the pipeline knows.
# The word floor (threshold) sits below the words-alone threshold (alone): the meaning stage
# accepts rewordings that share fewer words and rejects different stories that share many.
PARAMS_BY_LANGUAGE: dict[str, Params] = {
    "ar": Params(
        threshold=0.3, containment_weight=0.0, weight_power=2.0, swap_factor=0.3, meaning=0.934, alone=0.42
    ),
    "en": Params(
        threshold=0.3, containment_weight=0.25, weight_power=1.5, swap_factor=1.0, meaning=0.943, alone=0.59
    ),
}
THRESHOLD = 0.5  # the decision point of the calibrated score, in every language

_RARE_SPELLING = 3.5  # Zipf: an English spelling this rare is a variant, not a word of its own
_SPELLING_SWAPS = frozenset({"sz", "zs", "sc", "cs"})  # defence/defense, recognise/recognize
# English derivational suffixes (a closed class), after the light stem: resign+ation, protest+er
_DERIVATIONS = frozenset(
    [
        "ion",
        "ation",
        "tion",
        "ment",
        "er",
        "or",
        "ist",
        "ism",
        "al",
        "ial",
        "ian",
        "an",
        "ive",
        "ity",
        "ness",
        "ous",
        "en",
        "ant",
        "ance",
        "ence",
        "e",
        "y",
        "ly",
        "ship",
        "ic",
        "ical",
        "ite",
        "ary",
        "ory",
        "ure",
        "age",
        "dom",
        "hood",
        "ize",
        "ise",
    ]
)


@dataclass(frozen=True, slots=True)
class Comparison:
    """The decision and its reasons. ``score`` is what the threshold is compared with (0 when a
    hard guard fired); ``overlap`` the word score before guards."""

    score: float
    overlap: float
    same: bool
    matched: tuple[str, ...]
    only_a: tuple[str, ...]
    only_b: tuple[str, ...]
    guard: str | None = None  # the hard guard that fired, e.g. "number: 2 vs 3"
    swap: str | None = None  # a name-like word swapped for another in the same slot, e.g. "حماس vs اسراييل"
    raw: float = 0.0  # the score before calibration: overlap, 0 after a guard, times the swap factor
    language: str = "en"  # whose parameters decided ("ar" or "en")
    meaning: float | None = None  # the embeddings' cosine, when the meaning stage was consulted
    words_alone: bool = False  # the meaning stage is unavailable: the word rule decided alone

    @property
    def reason(self) -> str:
        """One line: the guard (if any), then what matched and what differed."""
        parts = []
        if self.guard:
            parts.append(f"guard {self.guard}")
        if self.swap:
            parts.append(f"swapped {self.swap}")
        parts.append(f"overlap {self.overlap:.2f}")
        if self.meaning is not None:
            parts.append(f"meaning {self.meaning:.2f}")
        elif self.words_alone:
            parts.append("meaning: unavailable")
        parts.append("matched: " + (" ".join(self.matched) or "-"))
        parts.append("only A: " + (" ".join(self.only_a) or "-"))
        parts.append("only B: " + (" ".join(self.only_b) or "-"))
        return "; ".join(parts)


_SWAP_WORDS = 3


# ------------------------------------------------------------------------------------------- matching


def _variant(a: Word, b: Word) -> bool:
    """Spelling variants of one word: one edit apart (:func:`_close`). An English pair qualifies only
    when one spelling is rare (``Qaddafi``/``Gaddafi``, ``cemetary``) or the edit is a British/American
    s/z/c (``defence``/``defense``): two frequent English words one letter apart are two words
    (``fear``/``near``, ``call``/``calm``, ``protest``/``protect``). Arabic keys are light stems whose
    one-letter differences are mostly inflection (``يطلب``/``تطلب``), so they keep the plain rule."""
    short, long_ = sorted((a.key, b.key), key=len)
    if a.arabic and b.arabic and len(short) >= 3 and long_ == short + "ا":
        return True  # the indefinite accusative's alef (قرض / قرضا), even on a three-letter stem
    if not _close(a.key, b.key):
        return False
    if a.arabic or b.arabic or min(a.zipf, b.zipf) < _RARE_SPELLING:
        return True
    if len(a.key) != len(b.key):
        return False
    diff = {x + y for x, y in zip(a.key, b.key, strict=True) if x != y}
    return bool(diff) and diff <= _SPELLING_SWAPS


def _close(a: str, b: str) -> bool:
    """One edit apart, both 4+ letters (spelling variants, not different words)."""
    if min(len(a), len(b)) < 4 or abs(len(a) - len(b)) > 1 or a.isdigit() or b.isdigit():
        return False
    if len(a) > len(b):
        a, b = b, a
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


def _match(fa: Features, fb: Features) -> list[tuple[Word, Word]]:
    """Pairs of matching words: exact keys first, then direction words of the same classes (the
    lexicon's synonyms: ``يوافق``/``يقر``), then one-edit variants among the rest. Direction words
    and numbers never match loosely (``يرفع``/``يرفض`` are one letter apart)."""
    by_key = {w.key: w for w in fb.words}
    pairs = [(w, by_key[w.key]) for w in fa.words if w.key in by_key]
    used_a = {a.key for a, _ in pairs}
    used_b = {b.key for _, b in pairs}
    changes_b = [w for w in fb.words if w.key not in used_b and directions(w.key)]
    for word in fa.words:
        if word.key in used_a or not directions(word.key):
            continue
        for k, other in enumerate(changes_b):
            if directions(other.key) == directions(word.key):
                pairs.append((word, other))
                used_a.add(word.key)
                used_b.add(other.key)
                del changes_b[k]
                break
    rest_b = [w for w in fb.words if w.key not in used_b and w.loose]
    if not rest_b:
        return pairs
    for word in fa.words:
        if word.key in used_a or not word.loose:
            continue
        for k, other in enumerate(rest_b):
            if _variant(word, other) or _related(word, other):
                pairs.append((word, other))
                del rest_b[k]
                break
    return pairs


@lru_cache(maxsize=65536)
def match_keys(word: Word) -> frozenset[str]:
    """Keys two words share whenever :func:`_match` can pair them: the key itself; for words of 4+
    letters every one-letter deletion (one edit apart ⇒ a common deletion); the place a word names;
    a direction word's classes; for English words of 5+ letters the first four and the last five letters (derivations and
    compounds, see :func:`_related`). :class:`bot.news.dedup.StoryIndex` posts words under them.
    Cached: a :class:`Word` is frozen and depends only on its own fields, and words repeat."""
    keys = {word.key}
    if word.place is not None:
        keys.add("@" + word.place)
    if directions(word.key):
        keys.add("!" + "|".join(sorted(directions(word.key))))
    if not word.loose or word.key[:1].isdigit():
        return frozenset(keys)
    if len(word.key) >= 4:
        keys.update(word.key[:i] + word.key[i + 1 :] for i in range(len(word.key)))
    if not word.arabic and len(word.key) >= 5:
        keys.add("^" + word.key[:4])
        keys.add("~" + word.key[-5:])
    return frozenset(keys)


def score_bound(
    shared: float, total_a: float, total_b: float, words_a: int, words_b: int, params: Params
) -> float:
    """The overlap :func:`compare` would give if ``shared`` (weight) were matched: an upper bound
    when ``shared`` is one (guards and the swap penalty only lower a score)."""
    dice = 2 * shared / (total_a + total_b)
    if min(words_a, words_b) < 3:
        return min(dice, 1.0)
    containment = shared / min(total_a, total_b)
    return min(params.containment_weight * containment + (1 - params.containment_weight) * dice, 1.0)


def _related(a: Word, b: Word) -> bool:
    """Different words for one thing: a country and its adjective (``China``/``Chinese``,
    ``مصر``/``المصرية``), or an English derivation or compound of the same stem
    (``resigns``/``resignation``, ``quake``/``earthquake``)."""
    if a.place is not None and a.place == b.place:
        return True
    if not a.arabic and not b.arabic and min(len(a.key), len(b.key)) >= 5:
        short, long_ = (a.key, b.key) if len(a.key) <= len(b.key) else (b.key, a.key)
        if long_.endswith(short):
            return True  # a compound: quake / earthquake, strike / airstrike
        # a derivation: the short stem (its last letter may change) and a derivational suffix
        # (resign / resignation, investigate / investigation), not any word that starts alike
        # (press / president, motor / motorcycle)
        return any(
            long_.startswith(short[:cut]) and long_[cut:] in _DERIVATIONS
            for cut in (len(short), len(short) - 1)
        )
    return False


def _definite_nisba(surface: str) -> bool:
    """``الحوثي``, ``والأمريكي``: a definite relational adjective names a group or a people (``الحوثي``
    / ``الحوثيون`` are one movement), not a count; counted people are indefinite (``مقتل شرطي``)."""
    bare = surface[1:] if surface[:1] in "وبلف" and surface[1:3] == "ال" else surface
    return bare.startswith("ال") and bare.endswith("ي")


def _dual_or_plural(x: Word, y: Word) -> bool:
    """``y`` is the Arabic dual/plural of singular ``x`` (``شرطي``/``شرطيين``, ``سيارة``/``سيارتين``)."""
    if not y.singulars or x.surface == y.surface or _definite_nisba(x.surface):
        return False
    bare = x.surface[2:] if x.surface.startswith("ال") else x.surface
    return bare in y.singulars and not x.singulars


def _places(found: list[Mention]) -> str:
    return " ".join("|".join(sorted(m)) for m in found)


def _slots(words: tuple[Word, ...], anchor: dict[str, int]) -> dict[tuple[int, int], list[Word]]:
    """Runs of unmatched words keyed by the matched words around them (-1: start, -2: end)."""
    runs: dict[tuple[int, int], list[Word]] = {}
    left = -1
    run: list[Word] = []
    for word in words:
        if word.key in anchor:
            if run:
                runs[(left, anchor[word.key])] = run
            left, run = anchor[word.key], []
        else:
            run.append(word)
    if run:
        runs[(left, -2)] = run
    return runs


def _abbreviates(short: list[Word], long_: list[Word]) -> bool:
    """``short`` is one word made of ``long_``'s initials (``ge`` / ``general electric``)."""
    return len(short) == 1 and len(long_) > 1 and short[0].surface == "".join(w.surface[0] for w in long_)


def _names_place(run: list[Word]) -> bool:
    """A word of the run names a place, or the words together do (``تل أبيب``, ``Hong Kong``)."""
    return any(w.place for w in run) or bool(mentions(" ".join(w.surface for w in run)))


def _swap(fa: Features, fb: Features, pairs: list[tuple[Word, Word]]) -> str | None:
    """A minimal pair: the headlines differ only in one slot, where A has a name-like word and B
    another ("حماس ترحب بالقرار" / "إسرائيل ترحب بالقرار": a different actor), not a reworded verb
    ("تفكر"/"تدرس"). Rewordings of one story usually differ in several places, so a single
    swapped slot of at most :data:`_SWAP_WORDS` words a side is what marks a different actor."""
    if not pairs:
        return None
    runs_a = _slots(fa.words, {wa.key: i for i, (wa, _) in enumerate(pairs)})
    runs_b = _slots(fb.words, {wb.key: i for i, (_, wb) in enumerate(pairs)})
    if len(runs_a) != 1 or len(runs_b) != 1:
        return None
    (slot, run_a), (slot_b, run_b) = next(iter(runs_a.items())), next(iter(runs_b.items()))
    if slot != slot_b or len(run_a) > _SWAP_WORDS or len(run_b) > _SWAP_WORDS:
        return None
    if _names_place(run_a) and _names_place(run_b):
        return None  # place for place: the place guard's call (a capital may stand for its country)
    if _abbreviates(run_a, run_b) or _abbreviates(run_b, run_a):
        return None  # "GE" is "General Electric"
    if any(w.entity for w in run_a) and any(w.entity for w in run_b):
        return f"{' '.join(w.surface for w in run_a)} vs {' '.join(w.surface for w in run_b)}"
    return None


def _fmt(value: float) -> str:
    return f"{value:,.0f}" if value == int(value) else f"{value:g}"


def _guard(
    fa: Features, fb: Features, pairs: list[tuple[Word, Word]], only_a: list[Word], only_b: list[Word]
) -> str | None:
    """The first hard guard that fires (see module docstring), as ``"kind: A vs B"``."""
    only_a_numbers, only_b_numbers = fa.numbers - fb.numbers, fb.numbers - fa.numbers
    if only_a_numbers and only_b_numbers:
        a_text = ", ".join(_fmt(v) for v in sorted(only_a_numbers))
        b_text = ", ".join(_fmt(v) for v in sorted(only_b_numbers))
        return f"number: {a_text} vs {b_text}"
    crossed = [(wa, wb) for wa in only_a for wb in only_b]
    for wa, wb in pairs + crossed:
        if _dual_or_plural(wa, wb) or _dual_or_plural(wb, wa):
            return f"number: {wa.surface} vs {wb.surface}"
    only_a_places, only_b_places = unmatched(fa.places, fb.places), unmatched(fb.places, fa.places)
    if only_a_places and only_b_places:
        return f"place: {_places(only_a_places)} vs {_places(only_b_places)}"
    keys_a, keys_b = fa.keys, fb.keys
    for wa in fa.words:
        if wa.key in keys_b:
            continue
        for cls in directions(wa.key):
            for wb in fb.words:
                if wb.key not in keys_a and OPPOSITE[cls] & directions(wb.key):
                    return f"direction: {wa.surface} vs {wb.surface}"
    actors_a = [w for w in only_a if w.key in fa.acronyms]
    actors_b = [w for w in only_b if w.key in fb.acronyms]
    if actors_a and actors_b:
        return f"actor: {' '.join(w.surface for w in actors_a)} vs {' '.join(w.surface for w in actors_b)}"
    if fa.days and fb.days and fa.days.isdisjoint(fb.days):
        return "day: different weekdays"
    if fa.negated != fb.negated:
        return "negation: " + ("A" if fa.negated else "B") + " negates"
    return None


def language(fa: Features, fb: Features) -> str:
    """The pair's language: Arabic when both headlines are mostly Arabic, else English."""
    return "ar" if fa.arabic and fb.arabic else "en"


def calibrate(raw: float, params: Params) -> float:
    """The decision score: ``raw`` rescaled so that the language's own threshold lands on
    :data:`THRESHOLD` (monotone, capped at 1)."""
    return round(min(1.0, raw * THRESHOLD / params.threshold), 4)


def calibrate_meaning(cosine: float, threshold: float) -> float:
    """The meaning stage's score: the cosine mapped linearly so that ``threshold`` lands on
    :data:`THRESHOLD` and 1 on 1 (headline cosines crowd into [0.75, 1]), clipped to [0, 1]."""
    return round(min(1.0, max(0.0, THRESHOLD + (1 - THRESHOLD) * (cosine - threshold) / (1 - threshold))), 4)


def compare(a: str, b: str, threshold: float = THRESHOLD, params: Params | None = None) -> Comparison:
    """Compare two headlines (see module docstring): same story iff ``score >= threshold``. The
    language's :data:`PARAMS_BY_LANGUAGE` apply unless ``params`` is given (the benchmark's grid).

    With a meaning stage (``params.meaning``), a pair no guard stopped whose raw word score reaches
    the floor (``params.threshold``) is also embedded (:mod:`bot.news.meaning`): the score is the
    lower of the word score and the meaning score, both calibrated to :data:`THRESHOLD`, so both must
    pass. If the model is unavailable, the words decide alone at ``params.alone``."""
    fa, fb = features(a), features(b)
    lang = language(fa, fb)
    params = params or PARAMS_BY_LANGUAGE[lang]
    words_alone = params.meaning is not None and not meaning.available()
    if words_alone:
        params = replace(params, threshold=params.alone or params.threshold, meaning=None)
    if not fa.words or not fb.words:
        return Comparison(
            0.0,
            0.0,
            False,
            (),
            tuple(w.surface for w in fa.words),
            tuple(w.surface for w in fb.words),
            language=lang,
            words_alone=words_alone,
        )
    pairs = _match(fa, fb)
    matched_a = {wa.key for wa, _ in pairs}
    matched_b = {wb.key for _, wb in pairs}
    only_a = [w for w in fa.words if w.key not in matched_a]
    only_b = [w for w in fb.words if w.key not in matched_b]
    weight = params.weight
    total_a = sum(weight(w.zipf) for w in fa.words)
    total_b = sum(weight(w.zipf) for w in fb.words)
    shared = sum((weight(wa.zipf) + weight(wb.zipf)) / 2 for wa, wb in pairs)
    # two-word headlines: containment alone says too little, so the bound uses Dice alone there
    overlap = round(score_bound(shared, total_a, total_b, len(fa.words), len(fb.words), params), 4)
    guard = _guard(fa, fb, pairs, only_a, only_b)
    swap = _swap(fa, fb, pairs)
    raw = 0.0 if guard else overlap
    if swap and not guard:
        raw = round(raw * params.swap_factor, 4)
    score = calibrate(raw, params)
    cosine = None
    if params.meaning is not None and not guard and raw >= params.threshold:
        cosine = meaning.similarity(strip_wire_tags(a), strip_wire_tags(b))
        if cosine is not None:
            score = min(score, calibrate_meaning(cosine, params.meaning))
    return Comparison(
        score=score,
        overlap=overlap,
        same=score >= threshold,
        matched=tuple(
            wa.surface if wa.surface == wb.surface else f"{wa.surface}~{wb.surface}" for wa, wb in pairs
        ),
        only_a=tuple(w.surface for w in only_a),
        only_b=tuple(w.surface for w in only_b),
        guard=guard,
        swap=swap,
        raw=raw,
        language=lang,
        meaning=cosine,
        words_alone=words_alone,
    )


def warm_up() -> None:
    """Block until the headline tables are loaded (:mod:`bot.news.headline` starts loading them in a
    background thread on import, so the first poll does not stall the event loop), and load the
    meaning model."""
    wait_for_tables()
    meaning.warm_up()
