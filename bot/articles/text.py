"""Text helpers shared by the article modules: control characters, whitespace, comparison keys.

Invariant: :func:`text_key` is the one definition of "the same line" (title copies, repeated labels,
lead vs. description), so every module compares lines the same way.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

__all__ = [
    "ARABIC_LETTER",
    "LATIN_LETTER",
    "Block",
    "norm",
    "strip_control_chars",
    "text_key",
]


@dataclass(frozen=True, slots=True)
class Block:
    """One visual paragraph of a page, and whether the page marked it as a heading.

    ``heading`` matters for one rule only: the comments/related cut fires on a heading ("Comments" in an
    ``<h3>``), never on the same word as a link or counter label inside the article. ``link`` says the
    whole line is the text of one ``<a>`` on the page: a headline-shaped link line is a teaser for
    another story ("related", "more from"), not part of this one.
    """

    text: str
    heading: bool = False
    link: bool = False


_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
_SPACES = re.compile(r"[\s\u200b\u200e\u200f\u202a-\u202e\u2066-\u2069\ufeff]+")
ARABIC_LETTER = re.compile(r"[\u0600-\u06ff\u0750-\u077f\ufb50-\ufdff\ufe70-\ufeff]")
LATIN_LETTER = re.compile(r"[A-Za-z\u00c0-\u024f]")


def strip_control_chars(text: str) -> str:
    """Remove NUL and C0/DEL control characters, keeping tab, newline and carriage return."""
    return _CONTROL.sub("", text)


def norm(text: str) -> str:
    """Whitespace-collapsed, bidi-mark-free text: how two copies of one line are compared."""
    return _SPACES.sub(" ", text).strip()


def text_key(text: str) -> str:
    """Comparison key: normalised, NFKC, without tatweel, diacritics or punctuation, lower-cased."""
    text = unicodedata.normalize("NFKC", norm(text)).replace("\u0640", "")
    text = "".join(ch for ch in text if not unicodedata.combining(ch))
    return " ".join(re.findall(r"\w+", text.lower()))
