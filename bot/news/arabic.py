"""Arabic-aware normalisation for *matching* (urgency markers, topic keywords, dedup) — never for display.

:func:`normalize` folds the spelling variation Arabic news text really shows, so that two renderings of
one headline compare equal:

* tashkeel (fatha … sukun, tanween, shadda), superscript alef, Quranic annotation marks and tatweel
  are removed — ``عـاجـل`` and ``عَاجِل`` are ``عاجل``;
* alef forms ``أ إ آ ٱ`` → ``ا``; hamza seats ``ؤ`` → ``و``, ``ئ`` → ``ي``; alef maqsura ``ى`` → ``ي``;
  taa marbuta ``ة`` → ``ه``; Persian ``ک ی`` → ``ك ي`` (typed by Persian keyboards in Arabic text);
* presentation forms and ligatures (``ﻻ``) are unfolded by NFKC;
* digits of every script (Arabic-Indic ``٣٠``, Persian ``۳۰``) → ASCII;
* Latin is casefolded and its accents are removed (``Mãe`` ~ ``mae``);
* every character that is not a letter or a digit (punctuation, symbols, emoji) becomes a space;
  bidi and zero-width characters disappear; whitespace is collapsed.

Invariants: the output contains only letters, ASCII digits and single spaces; ``normalize`` is
idempotent (``normalize(normalize(x)) == normalize(x)``).

:func:`light_stem` strips the clitics that glue onto Arabic words (``وال``, ``بال``, ``لل``, ``ال``,
single ``و``/``ب``/``ل``/``ف``/``ك``) and a few inflectional suffixes. It is deliberately *light*: it is
used only where both sides of a comparison go through it (dedup similarity), so a consistent
over-stemming costs little, whereas a root-based stemmer would merge unrelated words
(``كتب``/``مكتب``/``كاتب``). Minimum-length guards keep short words (``وزير``, ``بيت``) intact.
"""

from __future__ import annotations

import unicodedata
from functools import lru_cache

from bot.news.text import ascii_digits, strip_invisible

_LETTER_FOLDS = {
    "\u0671": "\u0627",  # ٱ alef wasla (no Unicode decomposition)
    "\u0672": "\u0627",
    "\u0673": "\u0627",
    "\u0675": "\u0627",
    "\u0649": "\u064a",  # ى alef maqsura → ي
    "\u0629": "\u0647",  # ة taa marbuta → ه
    "\u06a9": "\u0643",  # ک Persian kaf → ك
    "\u06cc": "\u064a",  # ی Persian yeh → ي
    "\u06c1": "\u0647",  # ہ
    "\u0640": "",  # ـ tatweel
}
# After NFKD, أ إ آ ؤ ئ become base letter + a combining hamza/madda (category Mn), removed below.
_FOLD_TABLE = str.maketrans(_LETTER_FOLDS)


def _fold_char(ch: str) -> str:
    cat = unicodedata.category(ch)
    if cat == "Mn":  # tashkeel, Quranic marks, Latin accents, combining hamza/madda
        return ""
    if cat[0] in "LN":
        return ch
    return " "


def normalize(text: str | None) -> str:
    """Fold ``text`` for matching (see module docstring). Returns ``""`` for empty input."""
    if not text:
        return ""
    if len(text) <= _WORD_CACHE_LENGTH:
        return _normalize_word(text)
    return _normalize(text)


_WORD_CACHE_LENGTH = 32
"""Texts this short (words: headline features fold every word, twice) are folded once and remembered;
a news vocabulary repeats, headlines do not."""


@lru_cache(maxsize=65536)
def _normalize_word(text: str) -> str:
    return _normalize(text)


def _normalize(text: str) -> str:
    text = strip_invisible(text)
    # NFKC first unfolds presentation forms / ligatures, NFKD then separates hamza and madda marks.
    text = unicodedata.normalize("NFKD", unicodedata.normalize("NFKC", text))
    text = ascii_digits(text.translate(_FOLD_TABLE))
    folded = "".join(_fold_char(ch) for ch in text).casefold()
    return " ".join(folded.split())


def tokens(text: str | None) -> list[str]:
    """Normalised tokens of ``text``, in order."""
    return normalize(text).split()


def is_arabic(token: str) -> bool:
    """True if the token's first letter is in an Arabic block."""
    return bool(token) and "\u0600" <= token[0] <= "\u06ff"


_PREFIXES_LONG = ("وبال", "وال", "بال", "كال", "فال", "ولل", "لل", "ال")
_PREFIXES_SHORT = ("و", "ب", "ل", "ف", "ك")
_SUFFIXES = ("ات", "ون", "ين", "ها", "يه", "ه")


def light_stem(token: str) -> str:
    """Strip one Arabic clitic prefix and one suffix, keeping at least three letters of stem.

    Non-Arabic tokens are returned unchanged. Expects normalised input (``ة`` already ``ه``).
    """
    if not is_arabic(token):
        return token
    word = token
    for prefix in _PREFIXES_LONG:
        if word.startswith(prefix) and len(word) - len(prefix) >= 3:
            word = word[len(prefix) :]
            break
    else:
        # A single-letter proclitic only when a long word remains: "وزير" (minister) keeps its و.
        if word[0] in _PREFIXES_SHORT and len(word) - 1 >= 4:
            word = word[1:]
    for suffix in _SUFFIXES:
        if word.endswith(suffix) and len(word) - len(suffix) >= 3:
            word = word[: -len(suffix)]
            break
    return word


def stem_tokens(text: str | None) -> list[str]:
    """Normalised, lightly stemmed tokens."""
    return [light_stem(t) for t in tokens(text)]
