"""Same story or not: the pure, explainable comparison of two headlines behind dedup.

:func:`compare` returns a :class:`Comparison`: a score in [0, 1], the verdict at a threshold, and why
(which words matched, which were left over on each side, which guard fired). :mod:`bot.news.dedup`
decides with it, and ``aajel news compare`` prints it, so the console shows exactly the poller's
decision.

**Score.** Headline words are normalised (:func:`bot.news.arabic.normalize`), stemmed lightly
(:func:`bot.news.lexicon.word_key`), stop words dropped, and matched exactly or, for words of 4+
letters, one edit apart (``ترمب``/``ترامب``; in English only spelling variants: one spelling rare, or a
British/American s/z/c — ``fear``/``near`` are two words), or related (a country and its adjective,
``China``/``Chinese``; an English derivation by a derivational suffix, ``resigns``/``resignation``, or
a compound, ``quake``/``earthquake``). Number words match digits (``three``/``3``). Each word weighs by how
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
* negation — one side negates (not, no, لا، لن، لم، عدم) and the other does not ("not guilty" is
  read as an acquittal, "no longer" / "لم يعد" as a change, not as denials).

Before any of this, wire revision tags (``UPDATE 2-``, ``EXCLUSIVE-``) are dropped and basis points
are read as percent (``200 نقطة أساس`` = ``2%``).

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

Invariants: pure (no I/O but reading the libraries' bundled tables once — in a background thread
started on import, so a poller's first decision does not stall its event loop — and the model's
bundled file once, at :func:`warm_up` or first use; never the network), deterministic (the model
included: one engine thread, bit-for-bit), symmetric in verdict, cached per headline (storage passes
the same recent headlines for every candidate of a poll).
"""

from __future__ import annotations

import re
import threading
import unicodedata
from dataclasses import dataclass, replace
from functools import lru_cache

from wordfreq import zipf_frequency

from bot.news import meaning
from bot.news.arabic import is_arabic, normalize
from bot.news.gazetteer import WORDLIST, Mention, mentions, token_place, unmatched
from bot.news.lexicon import (
    NEGATIONS,
    OPPOSITE,
    SCALES,
    WEEKDAYS,
    directions,
    english_stem,
    number_word,
    word_key,
)


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

_STOP_WORDS = (
    "في من على إلى الى عن أن إن ان مع بعد قبل هذا هذه ذلك تلك التي الذي الذين ما قد "
    "و أو او ثم كما بين حول عند منذ خلال ضد عبر نحو بأن بان كان كانت يكون هو هي هم كل أي "
    "بسبب جراء إثر اثر عقب وسط رغم لدى لدي "
    "the a an of to in on for and or at by with from as is are was were be been has have had "
    "it its this that these those after over into about than but says said amid "
    "what we know so far how why who will would could can may out more his her their they he she "
    "you our your just now also still new"
)
_STOP = frozenset(word_key(t) for w in _STOP_WORDS.split() for t in normalize(w).split())
_ARABIC_PREFIXES = ("وبال", "وال", "بال", "كال", "فال", "ولل", "لل", "ال", "و", "ب", "ل", "ف")
_RAW_WORD = re.compile(r"\w+(?:[.,٫٬]\d+)*", re.UNICODE)
_DUAL_PLURAL = ("ين", "ان", "ون")
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
class Word:
    key: str  # what is compared
    surface: str  # the normalised token (suffixes kept: the dual guard reads them)
    zipf: float  # wordfreq Zipf frequency (informativeness: lower is rarer)
    entity: bool = False  # looks like a name or a noun, not a verb (see _entity_like)
    arabic: bool = False
    place: str | None = None  # the place the word names or describes (gazetteer code)
    loose: bool = False  # may match a different key (one edit, related): not a number or direction
    singulars: frozenset[str] = frozenset()  # Arabic: what this word is the dual/plural of


@dataclass(frozen=True, slots=True)
class Features:
    """What one headline offers to a comparison (cached per headline)."""

    words: tuple[Word, ...]  # distinct keys, stop words dropped
    numbers: frozenset[float]
    places: tuple[Mention, ...]
    negated: bool
    days: frozenset[int] = frozenset()  # weekdays named (1 = Monday)
    arabic: bool = False  # most words are Arabic
    acronyms: frozenset[str] = frozenset()  # keys of words written as acronyms (NATO, UN, US): actors

    @property
    def keys(self) -> frozenset[str]:
        return frozenset(w.key for w in self.words)


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


# ------------------------------------------------------------------------------------------- features


@lru_cache(maxsize=65536)
def _zipf(raw: str, arabic: bool) -> float:
    """How frequent a word is (wordfreq's Zipf scale, 0 = unknown … ~7.7 = "the"). Arabic words are
    looked up as written and without a clitic prefix (``بالقاهرة`` is as common as ``القاهرة``)."""
    if not arabic:
        return float(zipf_frequency(raw.lower(), "en", wordlist=WORDLIST))
    best = float(zipf_frequency(raw, "ar", wordlist=WORDLIST))
    for prefix in _ARABIC_PREFIXES:
        if raw.startswith(prefix) and len(raw) - len(prefix) >= 3:
            rest = raw[len(prefix) :]
            best = max(
                best,
                float(zipf_frequency(rest, "ar", wordlist=WORDLIST)),
                float(zipf_frequency("ال" + rest, "ar", wordlist=WORDLIST)),
            )
    return best


def _digits(text: str) -> str:
    return "".join(str(unicodedata.decimal(c)) if unicodedata.category(c) == "Nd" else c for c in text)


def _number(raw: str) -> float | None:
    """``100,000`` → 100000, ``2.5`` → 2.5, ``٣٠`` → 30, ``7th`` → 7; None if no leading digits."""
    m = re.match(r"(?:ال|[بلوفك])?\u0640?(\d+(?:[.,٫٬]\d+)*)([a-z]*)$", _digits(raw).lower())
    if not m:
        m = re.match(r"(?:ال|[بلوفك])?\u0640?(\d+(?:[.,٫٬]\d+)*)()", _digits(raw))
        if not m:
            return None
    text, unit = m.group(1), SCALES.get(m.group(2), 1.0)  # "38b", "250m"
    if re.fullmatch(r"\d{1,3}(?:[,٬]\d{3})+", text):
        return float(text.replace(",", "").replace("٬", "")) * unit
    try:
        return float(text.replace("٫", ".").replace(",", ".")) * unit
    except ValueError:
        return None


# Wire services tag a story's revisions ("UPDATE 2-", "EXCLUSIVE-", "WRAPUP 1-"): bookkeeping, not news,
# and their numbers must not look like a different count.
_WIRE_TAGS = re.compile(
    r"^(?:\s*(?:exclusive|update|wrapup|corrected|refile|rpt|factbox|analysis|insight)\s*\d*\s*[-:|–]\s*)+",
    re.IGNORECASE,
)

# Fixed expressions whose negation word does not deny the claim: "found not guilty" is an acquittal
# (the direction guard then sees acquit/convict); "no longer", "لم يعد" tell that something ended.
_NOT_GUILTY = re.compile(r"\bnot guilty\b", re.IGNORECASE)
_NO_LONGER = frozenset(normalize(w) for w in ("longer", "يعد", "تعد", "يعودوا", "تعودا"))

# "200 basis points" / "200 نقطة أساس" is "2%": central banks are reported both ways.
_BASIS_POINTS = re.compile(
    r"(\d+(?:[.,٫]\d+)?)\s*(?:basis[ -]points?|bps?\b|bp\b|نقط[ةه] [أا]ساس|نقاط [أا]ساس)", re.IGNORECASE
)


def _as_percent(match: re.Match[str]) -> str:
    value = _number(match.group(1))
    return f"{value / 100:g}%" if value is not None else match.group(0)


_VERB_PREFIXES = ("ي", "ت", "ن")
_SWAP_WORDS = 3


def _entity_like(raw: str, token: str, key: str, arabic: bool) -> bool:
    """Could this word be who or what a story is about, rather than what happened? Arabic headlines
    carry their verb in the imperfect (``يقيل``, ``تدرس``: a ي/ت/ن prefix), English ones inflect it
    (``wins``, ``defected``) and capitalise names. Crude on purpose: it only decides whether a
    one-for-one swap of words looks like a different actor (penalised) or a reworded verb (not)."""
    if directions(key) or key[:1].isdigit():
        return False
    if arabic:  # a final bare alef is a noun or a foreign name (تسلا), not an imperfect verb
        verb = token.startswith(_VERB_PREFIXES) and len(token) >= 4
        return not verb or (token.endswith("ا") and not token.endswith("وا"))
    return raw[:1].isupper() and english_stem(token) == token


@lru_cache(maxsize=32768)
def features(headline: str) -> Features:
    """Words, numbers, places and negation of a headline."""
    _TABLES_READY.wait()  # set once the background load is done; free afterwards
    text = _BASIS_POINTS.sub(_as_percent, headline.replace("n't", " not").replace("n’t", " not"))
    text = _NOT_GUILTY.sub("acquitted", _WIRE_TAGS.sub("", text))
    raw_words = _RAW_WORD.findall(text)
    compounds = {w.lower() for part in re.findall(r"\w+(?:-\w+)+", text) for w in part.split("-")}
    words: dict[str, Word] = {}
    numbers: set[float] = set()
    negated = False
    days: set[int] = set()
    previous: float | None = None
    for n, raw in enumerate(raw_words):
        value = _number(raw)
        tokens = normalize(raw).split()
        if n + 1 < len(raw_words) and normalize(raw_words[n + 1]) in _NO_LONGER:
            tokens = [
                t for t in tokens if t not in NEGATIONS
            ]  # "no longer", "لم يعد": a change, not a denial
        if value is not None:
            numbers.add(value)
            previous = value
            key = f"{value:g}"
            words.setdefault(key, Word(key, key, 4.0))
            continue
        for token in tokens:
            if token in NEGATIONS and raw.lower() not in compounds:
                negated = True
            if token in WEEKDAYS or token[1:] in WEEKDAYS:
                days.add(WEEKDAYS.get(token) or WEEKDAYS[token[1:]])
            scale = SCALES.get(token)
            if scale is not None and previous is not None:
                numbers.discard(previous)
                numbers.add(previous * scale)
                previous = None
                continue
            spelled = number_word(token)
            if spelled is not None:
                numbers.add(spelled)
                previous = spelled
                key = f"{spelled:g}"  # "three" matches "3" word for word, as it does number for number
                words.setdefault(key, Word(key, token, 4.0))
                continue
            previous = None
            key = word_key(token)
            if key in _STOP or (len(key) < 2 and not key.isdigit()) or key in words:
                continue
            arabic = is_arabic(token)
            words[key] = Word(
                key,
                token,
                _zipf(raw if arabic else token, arabic),
                entity=_entity_like(raw, token, key, arabic),
                arabic=arabic,
                place=token_place(token),
                loose=not directions(key),
                singulars=_singulars(token) if arabic else frozenset(),
            )
    arabic = 2 * sum(w.arabic for w in words.values()) > len(words)
    return Features(
        tuple(words.values()),
        frozenset(numbers),
        mentions(headline),
        negated,
        frozenset(days),
        arabic,
        _acronyms(text, words),
    )


_ACRONYM = re.compile(r"(?<![\w.])[A-Z]{2,5}(?![\w.])")


def _acronyms(text: str, words: dict[str, Word]) -> frozenset[str]:
    """Keys of the words written as acronyms (``NATO``, ``UN``, ``US``, ``PM``): in English an acronym
    names an organisation, a country or an office, i.e. an actor. Not when the headline shouts (mostly
    capitals), where every word looks like one."""
    letters = [c for c in text if c.isalpha()]
    if not letters or 2 * sum(c.isupper() for c in letters) > len(letters):
        return frozenset()
    return frozenset(k for a in _ACRONYM.findall(text) if (k := word_key(a.lower())) in words)


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


def match_keys(word: Word) -> frozenset[str]:
    """Keys two words share whenever :func:`_match` can pair them: the key itself; for words of 4+
    letters every one-letter deletion (one edit apart ⇒ a common deletion); the place a word names;
    a direction word's classes; for English words of 5+ letters the first four and the last five letters (derivations and
    compounds, see :func:`_related`). :class:`bot.news.dedup.StoryIndex` posts words under them."""
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


def _singulars(token: str) -> frozenset[str]:
    """The singulars an Arabic word may be the dual or plural of (``شرطيين`` → ``شرطي``,
    ``سيارتين`` → ``سياره``), with and without the article."""
    out = set()
    bare = token[2:] if token.startswith("ال") else token
    for suffix in _DUAL_PLURAL:
        if bare.endswith(suffix) and len(bare) - len(suffix) >= 3:
            stem = bare[: -len(suffix)]
            out.add(stem)
            if stem.endswith("ت"):
                out.add(stem[:-1] + "ه")
    return frozenset(out)


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
        cosine = meaning.similarity(_WIRE_TAGS.sub("", a), _WIRE_TAGS.sub("", b))
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


# ------------------------------------------------------------------------------------------- loading

_TABLES_READY = threading.Event()


def _load_tables() -> None:
    """Read wordfreq's Arabic and English tables (~0.6 s of CPU) and the prebuilt gazetteer (~0.05 s)."""
    try:
        zipf_frequency("خبر", "ar", wordlist=WORDLIST)
        zipf_frequency("news", "en", wordlist=WORDLIST)
        token_place("cairo")
    finally:
        _TABLES_READY.set()


def warm_up() -> None:
    """Block until the tables are loaded (they start loading in a background thread when this module
    is imported, so the first poll does not stall the event loop), and load the meaning model."""
    _TABLES_READY.wait()
    meaning.warm_up()


threading.Thread(target=_load_tables, name="aajel-samestory-tables", daemon=True).start()
