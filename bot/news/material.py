"""Is a same-source update of a pushed story *material*? — a pure function.

A story pushed as urgent is often reworded by its source a minute later. Most rewordings say the same
thing ("عاجل | ترمب يفرض 30% جمارك على أوروبا" → "ترمب: 30% رسوماً على الاتحاد الأوروبي"), and pushing
them again is noise. An update that tells the reader a **new fact** is news: the toll rose (a number),
the place is now known (a place), someone else acted or was named (an actor). That is what
:func:`material_change` decides, from the two headlines alone.

Facts of a headline (:func:`facts`):

* **numbers** — digits of any script (``٣٠`` = ``30``; thousands separators and decimal marks
  understood: ``1,500`` = ``1500``, ``2٫5`` = ``2.5``), English and Arabic number words
  (``three``/``ثلاثة``/``ثلاثين``, with clitics: ``وثلاثة``), and Arabic grammatical number — a word
  that appears in one headline singular and in the other with a dual/plural ending
  (``شرطي``/``شرطيين``) is a changed count;
* **places** — the gazetteer of :mod:`bot.news.places` (countries, capitals, demonyms);
* **actors** — Arabic: the word after a title or body cue (``الرئيس ماكرون``, ``وزير`` …, ``حركة حماس``,
  ``شركة أرامكو``); English: capitalised words that are not the first word (skipped when the headline is
  Title Case, where capitals say nothing) and acronyms (``NATO``, ``IMF``). Places are not actors.

The rule: an update is material when it states a number, place or actor the earlier headline did not
state (set difference new − old, after normalisation and a light stem). Dropping a fact is not news;
replacing one is (the new value is not in the old headline). Deliberately small and explainable: the
reason names what changed, and the tables in ``tests/news/test_material.py`` are the specification.

Invariants: pure (no I/O, no clock), deterministic, symmetric in nothing (old → new matters).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

from bot.news.arabic import is_arabic, light_stem, normalize
from bot.news.places import places
from bot.news.text import ascii_digits

_NUMBER = re.compile(r"\d+(?:[.,\u066b\u066c]\d+)*")

_EN_NUMBER_WORDS = {
    "one": 1,
    "two": 2,
    "three": 3,
    "four": 4,
    "five": 5,
    "six": 6,
    "seven": 7,
    "eight": 8,
    "nine": 9,
    "ten": 10,
    "eleven": 11,
    "twelve": 12,
    "twenty": 20,
    "thirty": 30,
    "forty": 40,
    "fifty": 50,
    "hundred": 100,
    "hundreds": 100,
    "thousand": 1000,
    "thousands": 1000,
    "dozen": 12,
    "dozens": 12,
    "million": 10**6,
    "billion": 10**9,
    "twice": 2,
    "double": 2,
    "triple": 3,
}
# Normalised forms (taa marbuta already ه, hamza seats folded): one entry per spelling seen in news.
_AR_NUMBER_WORDS = {
    "واحد": 1,
    "اثنان": 2,
    "اثنين": 2,
    "اثنتان": 2,
    "اثنتين": 2,
    "ثلاث": 3,
    "ثلاثه": 3,
    "اربع": 4,
    "اربعه": 4,
    "خمس": 5,
    "خمسه": 5,
    "سته": 6,
    "سبع": 7,
    "سبعه": 7,
    "ثماني": 8,
    "ثمانيه": 8,
    "تسع": 9,
    "تسعه": 9,
    "عشر": 10,
    "عشره": 10,
    "عشرات": 12,
    "عشرين": 20,
    "عشرون": 20,
    "ثلاثين": 30,
    "ثلاثون": 30,
    "اربعين": 40,
    "اربعون": 40,
    "خمسين": 50,
    "خمسون": 50,
    "مئه": 100,
    "مائه": 100,
    "مئات": 100,
    "الف": 1000,
    "الاف": 1000,
    "مليون": 10**6,
    "ملايين": 10**6,
    "مليار": 10**9,
}
_AR_CLITICS = ("وب", "و", "ب", "ل", "ف")
_DUAL_PLURAL = ("ين", "ان", "ون")

# Arabic words after which a name follows (titles, bodies). Normalised, without the article.


def _wordset(text: str, fold: bool = True) -> frozenset[str]:
    return frozenset(normalize(w) if fold else w for w in text.split())


_AR_CUES = _wordset(
    "رئيس الرئيس ملك الملك امير الامير امير ولي الشيخ شيخ زعيم قائد المرشد مرشد وزير وزيرة "
    "الوزير المتحدث متحدث حركة حزب جماعة تنظيم منظمة شركة مجموعة جيش ميليشيا نادي فريق المستشار "
    "البابا رئيسة النائب السفير الجنرال اللواء العقيد"
)
_AR_NOT_NAMES = _wordset(
    "الوزراء الحكومة الدولة الجمهورية البلاد الاركان الخارجية الداخلية الدفاع المالية الاقتصاد "
    "الوزراء الاسبق السابق الجديد المنتهية الاعلى التنفيذي العام الوطني مجلس وزراء"
)
_EN_STOP_CAPS = _wordset(
    "I A An The In On At Of For To And Or But By With From After Before Over Under As Is Are Was "
    "Says Said New Update Breaking Live Watch Analysis Opinion Exclusive Video Photos Mr Mrs Ms Dr",
    fold=False,
)


@dataclass(frozen=True, slots=True)
class Facts:
    """What a headline states, in comparable form."""

    numbers: frozenset[str]
    places: frozenset[str]
    actors: frozenset[str]
    words: frozenset[str]  # normalised tokens, for grammatical number


@dataclass(frozen=True, slots=True)
class MaterialChange:
    """The verdict: ``material`` and, when it is, the new facts by kind; ``reason`` says it in words."""

    material: bool
    numbers: frozenset[str] = frozenset()
    places: frozenset[str] = frozenset()
    actors: frozenset[str] = frozenset()
    reason: str = "same facts (a rewording)"


def _number_value(raw: str) -> str:
    digits = ascii_digits(raw)
    parts = re.split(r"[.,\u066b\u066c]", digits)
    seps = re.findall(r"[.,\u066b\u066c]", digits)
    # "1,500" / "1٬500" / "2,000,000": thousands groups; anything else: a decimal mark ("2.5", "2٫5")
    if seps and all(len(p) == 3 for p in parts[1:]) and set(seps) <= {",", "\u066c"}:
        return str(int("".join(parts)))
    if len(parts) == 2:
        whole, frac = parts
        frac = frac.rstrip("0")
        return str(int(whole)) + ("." + frac if frac else "")
    return str(int("".join(parts)))


def _strip_clitic(word: str, table: dict[str, int]) -> str | None:
    if word in table:
        return word
    for clitic in _AR_CLITICS:
        rest = word[len(clitic) :]
        if word.startswith(clitic) and rest in table:
            return rest
    return None


def _actor_key(word: str) -> str:
    return light_stem(normalize(word))


@lru_cache(maxsize=4096)
def facts(headline: str) -> Facts:
    """The numbers, places and actors ``headline`` states (see module docstring)."""
    numbers = {_number_value(m.group()) for m in _NUMBER.finditer(headline)}
    norm = normalize(headline)
    words = norm.split()
    for word in words:
        if word.isdigit():
            continue
        if (hit := _strip_clitic(word, _AR_NUMBER_WORDS)) is not None:
            numbers.add(str(_AR_NUMBER_WORDS[hit]))
        elif word in _EN_NUMBER_WORDS:
            numbers.add(str(_EN_NUMBER_WORDS[word]))
    where = places(headline)
    actors: set[str] = set()
    # Arabic: the word after a cue (skipping a second cue and generic words: "رئيس وزراء إسرائيل")
    for i, word in enumerate(words[:-1]):
        bare = word[2:] if word.startswith("ال") and len(word) > 4 else word
        if not is_arabic(word) or not (word in _AR_CUES or bare in _AR_CUES or "ال" + bare in _AR_CUES):
            continue
        for nxt in words[i + 1 : i + 3]:
            if nxt in _AR_CUES or nxt in _AR_NOT_NAMES or nxt.isdigit() or not is_arabic(nxt):
                continue
            if not places(nxt):
                actors.add(_actor_key(nxt))
            break
    # English: proper-noun capitals outside Title Case, and acronyms
    latin = re.findall(r"[A-Za-z][A-Za-z'.-]*", headline)
    capitalised = [w for w in latin if w[0].isupper()]
    title_case = len(latin) >= 3 and len(capitalised) >= 0.6 * len(latin)
    for index, word in enumerate(latin):
        clean = word.strip(".'-")
        if len(clean) < 2 or clean in _EN_STOP_CAPS or places(clean):
            continue
        acronym = clean.isupper() and len(clean) >= 2
        if acronym or (not title_case and index > 0 and clean[0].isupper()):
            actors.add(normalize(clean))
    return Facts(frozenset(numbers), where, frozenset(actors), frozenset(words))


def _count_changed(old: frozenset[str], new: frozenset[str]) -> set[str]:
    """Words whose grammatical number changed: ``شرطي`` in one headline, ``شرطيين`` in the other."""
    changed: set[str] = set()
    for word in new - old:
        if not is_arabic(word):
            continue
        for suffix in _DUAL_PLURAL:
            stem = word[: -len(suffix)]
            if word.endswith(suffix) and len(stem) >= 3 and stem in old and stem not in new:
                changed.add(word)
        for other in old - new:
            if len(word) >= 3 and any(other == word + s for s in _DUAL_PLURAL) and word not in old:
                changed.add(word)
    return changed


def material_change(old: str, new: str) -> MaterialChange:
    """Does ``new`` (a same-source update) state a fact ``old`` (what was pushed) did not?"""
    a, b = facts(old), facts(new)
    numbers = set(b.numbers - a.numbers) | _count_changed(a.words, b.words)
    where = b.places - a.places
    actors = b.actors - a.actors - {_actor_key(w) for w in a.words} - set(a.words)
    if not (numbers or where or actors):
        return MaterialChange(False)
    reasons = []
    if numbers:
        reasons.append("number " + ", ".join(sorted(numbers)))
    if where:
        reasons.append("place " + ", ".join(sorted(where)))
    if actors:
        reasons.append("actor " + ", ".join(sorted(actors)))
    return MaterialChange(True, frozenset(numbers), where, frozenset(actors), "new " + "; ".join(reasons))


__all__ = ["Facts", "MaterialChange", "facts", "material_change"]
