"""One headline, read: the :class:`Features` that the same-story comparison (:mod:`bot.news.samestory`)
works on, so that everything it needs per headline is derived once, not once per pair.

:func:`features` gives, for a headline:

* ``words`` — distinct :class:`Word` records, stop words dropped: the compared ``key`` (normalised by
  :func:`bot.news.arabic.normalize`, stemmed lightly by :func:`bot.news.lexicon.word_key`), the surface
  token, its Zipf frequency from ``wordfreq`` (informativeness; an Arabic word is also looked up
  without a clitic prefix), whether it looks like a name rather than a verb (:func:`_entity_like`, for
  the swap check), the place it names (:mod:`bot.news.gazetteer`), whether it may match loosely (not
  a number or a direction word), and for Arabic the singulars it may be the dual or plural of;
* ``numbers`` — digits of any script with their scale (``100,000``, ``٣٠``, ``38b``, "2 million"),
  and number words (``three`` is 3, and also the word key ``3``, so it matches the digit word for word);
* ``places`` (gazetteer mentions), ``days`` (weekdays named), ``negated`` (not, no, لا، لن، لم، عدم),
  ``acronyms`` (English acronym actors: NATO, UN, US; none when the headline shouts in capitals) and
  ``arabic`` (most words are Arabic).

Before reading, wire revision tags (``UPDATE 2-``, ``EXCLUSIVE-``) are dropped, basis points are read
as percent (``200 نقطة أساس`` = ``2%``), "not guilty" is read as an acquittal and "no longer" /
"لم يعد" as a change, not as denials.

Invariants: pure (no I/O but reading wordfreq's and the gazetteer's bundled tables once — in a
background thread started on import, so a poller's first headline does not stall its event loop;
:func:`features` waits for it, :func:`wait_for_tables` lets start-up wait off the loop; never the
network), deterministic, and cached per headline (storage passes the same recent headlines for every
candidate of a poll), which is why a :class:`Features` is immutable all the way down. A headline's
words are read once per distinct ``(raw word, token)`` (:func:`_word`: the context-free part, the
bulk of the work); what depends on neighbouring words is decided per headline in :func:`features`.
"""

from __future__ import annotations

import re
import threading
import unicodedata
from dataclasses import dataclass
from functools import lru_cache

from wordfreq import zipf_frequency

from bot.news.arabic import is_arabic, normalize
from bot.news.gazetteer import WORDLIST, Mention, mentions, token_place
from bot.news.lexicon import NEGATIONS, SCALES, WEEKDAYS, directions, english_stem, number_word, word_key

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


@lru_cache(maxsize=65536)
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
    folded = [normalize(raw) for raw in raw_words]  # each raw word folded once (also as "the next")
    compounds = {w.lower() for part in re.findall(r"\w+(?:-\w+)+", text) for w in part.split("-")}
    words: dict[str, Word] = {}
    numbers: set[float] = set()
    negated = False
    days: set[int] = set()
    previous: float | None = None
    for n, raw in enumerate(raw_words):
        value = _number(raw)
        tokens = folded[n].split()
        if n + 1 < len(raw_words) and folded[n + 1] in _NO_LONGER:
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
            spelled = _number_word(token)
            if spelled is not None:
                numbers.add(spelled)
                previous = spelled
                key = f"{spelled:g}"  # "three" matches "3" word for word, as it does number for number
                words.setdefault(key, Word(key, token, 4.0))
                continue
            previous = None
            word = _word(raw, token)
            if word is not None and word.key not in words:
                words[word.key] = word
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


@lru_cache(maxsize=65536)
def _word(raw: str, token: str) -> Word | None:
    """The :class:`Word` for ``token`` (one folded token of the raw word ``raw``), or None for a stop
    word or a single non-digit letter. Everything here depends on ``(raw, token)`` alone, so it is
    computed once per distinct pair and remembered (a news vocabulary repeats; Zipf look-ups, the
    gazetteer and the stemmer were most of a headline's reading); what depends on the neighbouring
    words (negation, "no longer", scales, weekdays, repeats) stays in :func:`features`."""
    key = word_key(token)
    if key in _STOP or (len(key) < 2 and not key.isdigit()):
        return None
    arabic = is_arabic(token)
    return Word(
        key,
        token,
        _zipf(raw if arabic else token, arabic),
        entity=_entity_like(raw, token, key, arabic),
        arabic=arabic,
        place=token_place(token),
        loose=not directions(key),
        singulars=_singulars(token) if arabic else frozenset(),
    )


_number_word = lru_cache(maxsize=65536)(number_word)  # pure; every non-number token asks it


_ACRONYM = re.compile(r"(?<![\w.])[A-Z]{2,5}(?![\w.])")


def _acronyms(text: str, words: dict[str, Word]) -> frozenset[str]:
    """Keys of the words written as acronyms (``NATO``, ``UN``, ``US``, ``PM``): in English an acronym
    names an organisation, a country or an office, i.e. an actor. Not when the headline shouts (mostly
    capitals), where every word looks like one."""
    letters = [c for c in text if c.isalpha()]
    if not letters or 2 * sum(c.isupper() for c in letters) > len(letters):
        return frozenset()
    return frozenset(k for a in _ACRONYM.findall(text) if (k := word_key(a.lower())) in words)


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


def strip_wire_tags(headline: str) -> str:
    """The headline without its wire revision tags (``UPDATE 2-``): what the meaning model embeds."""
    return _WIRE_TAGS.sub("", headline)


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


def wait_for_tables() -> None:
    """Block until the tables are loaded (they start loading in a background thread when this module
    is imported, so the first poll does not stall the event loop)."""
    _TABLES_READY.wait()


threading.Thread(target=_load_tables, name="aajel-headline-tables", daemon=True).start()
