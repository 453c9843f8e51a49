"""Date lines and source lines of Arabic news pages: recognise them, read them. Pure, no I/O.

A date line ("السبت 12/07/2025 - 12:30 بتوقيت نيويورك") is read into an aware UTC datetime with the
named zone mapped to IANA; a source line ("المصدر / شيماء مصطفى") gives the name on it. Both functions
accept only a line that is *nothing but* a date or source line, so a sentence that mentions a date is
never lifted out of the body.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

from bot.articles.text import norm
from bot.news.text import ascii_digits

__all__ = ["parse_dateline", "source_name", "split_meta_line"]

_DAY = r"(?:السبت|الأحد|الاحد|الاثنين|الإثنين|الثلاثاء|الأربعاء|الاربعاء|الخميس|الجمعة)"
_MONTHS: dict[str, int] = {
    name: number
    for number, names in enumerate(
        [
            ("يناير", "كانون الثاني", "جانفي"),
            ("فبراير", "شباط", "فيفري"),
            ("مارس", "آذار", "اذار"),
            ("أبريل", "ابريل", "إبريل", "نيسان", "أفريل", "افريل"),
            ("مايو", "أيار", "ايار", "ماي"),
            ("يونيو", "يونيه", "حزيران", "جوان"),
            ("يوليو", "يوليه", "تموز", "جويلية"),
            ("أغسطس", "اغسطس", "آب", "أوت"),
            ("سبتمبر", "أيلول", "ايلول"),
            ("أكتوبر", "اكتوبر", "تشرين الأول", "تشرين الاول"),
            ("نوفمبر", "تشرين الثاني"),
            ("ديسمبر", "كانون الأول", "كانون الاول"),
        ],
        start=1,
    )
    for name in names
}
_MONTH_ALT = "|".join(sorted((re.escape(m) for m in _MONTHS), key=len, reverse=True))
_TIME = r"(?:\s*[-–|،,]?\s*(?:الساعة\s*)?(?P<h>\d{1,2}):(?P<mi>\d{2})\s*(?P<ampm>ص|م|صباحا|صباحاً|مساء|مساءً|AM|PM|am|pm)?)?"
_ZONE = r"(?:\s*(?:بتوقيت|توقيت)\s+(?P<zone>[\u0600-\u06ff ]{2,30}?))?"
_DATELINE_NUMERIC = re.compile(
    rf"^(?:{_DAY}\s*[،,]?\s*)?(?P<d>\d{{1,2}})[/.-](?P<m>\d{{1,2}})[/.-](?P<y>\d{{4}}){_TIME}{_ZONE}\s*$"
)
_DATELINE_NUMERIC_YMD = re.compile(
    rf"^(?:{_DAY}\s*[،,]?\s*)?(?P<y>\d{{4}})[/.-](?P<m>\d{{1,2}})[/.-](?P<d>\d{{1,2}}){_TIME}{_ZONE}\s*$"
)
_DATELINE_WORDS = re.compile(
    rf"^(?:{_DAY}\s*[،,]?\s*)?(?P<d>\d{{1,2}})\s+(?P<mon>{_MONTH_ALT})\s*(?:\([^)]*\)\s*)?(?P<y>\d{{4}}){_TIME}{_ZONE}\s*$"
)
_DATELINE_LABEL = re.compile(r"^(?:نشر|نُشر|تاريخ النشر|آخر تحديث|اخر تحديث|تم النشر|في)\s*(?:في|:)?\s*")
_ZONES: dict[str, str] = {
    "نيويورك": "America/New_York",
    "واشنطن": "America/New_York",
    "مكة المكرمة": "Asia/Riyadh",
    "مكة": "Asia/Riyadh",
    "الرياض": "Asia/Riyadh",
    "السعودية": "Asia/Riyadh",
    "القاهرة": "Africa/Cairo",
    "مصر": "Africa/Cairo",
    "بيروت": "Asia/Beirut",
    "دمشق": "Asia/Damascus",
    "عمان": "Asia/Amman",
    "عمّان": "Asia/Amman",
    "بغداد": "Asia/Baghdad",
    "الدوحة": "Asia/Qatar",
    "الكويت": "Asia/Kuwait",
    "دبي": "Asia/Dubai",
    "أبوظبي": "Asia/Dubai",
    "الإمارات": "Asia/Dubai",
    "القدس": "Asia/Jerusalem",
    "غزة": "Asia/Gaza",
    "تونس": "Africa/Tunis",
    "الجزائر": "Africa/Algiers",
    "الرباط": "Africa/Casablanca",
    "المغرب": "Africa/Casablanca",
    "لندن": "Europe/London",
    "باريس": "Europe/Paris",
    "غرينتش": "UTC",
    "غرينيتش": "UTC",
    "جرينتش": "UTC",
    "جرينيتش": "UTC",
}
_SOURCE_LINE = re.compile(
    r"^(?:المصدر|مصدر الخبر|الكاتب|كتب|كتبت|بقلم|تحرير|إعداد|اعداد|مراسل|By|BY|Source|SOURCE)\s*[/:|\-–]?\s*(?P<name>\S.{0,60})$"
)


def parse_dateline(line: str) -> datetime | None:
    """Read an Arabic date line ("السبت 12/07/2025 - 12:30 بتوقيت نيويورك") into aware UTC.

    Returns ``None`` if ``line`` is not *only* a date line. Without a zone the time is taken as UTC;
    "م"/"PM" add twelve hours. Arabic-Indic digits are accepted.
    """
    text = _DATELINE_LABEL.sub("", ascii_digits(norm(line)))
    if len(text) > 90:
        return None
    match = _DATELINE_NUMERIC.match(text) or _DATELINE_NUMERIC_YMD.match(text) or _DATELINE_WORDS.match(text)
    if match is None:
        return None
    groups = match.groupdict()
    month = _MONTHS[groups["mon"]] if groups.get("mon") else int(groups["m"])
    hour = int(groups["h"]) if groups.get("h") else 0
    minute = int(groups["mi"]) if groups.get("mi") else 0
    ampm = (groups.get("ampm") or "").lower()
    if ampm in {"م", "مساء", "مساءً", "pm"} and hour < 12:
        hour += 12
    elif ampm in {"ص", "صباحا", "صباحاً", "am"} and hour == 12:
        hour = 0
    zone_name = (groups.get("zone") or "").strip()
    tz = ZoneInfo(_ZONES.get(zone_name, "UTC"))
    try:
        local = datetime(int(groups["y"]), month, int(groups["d"]), hour, minute, tzinfo=tz)
    except ValueError:
        return None
    return local.astimezone(UTC)


def source_name(line: str) -> str | None:
    """The name on a source line ("المصدر / شيماء مصطفى" → "شيماء مصطفى"), or ``None``."""
    text = norm(line)
    if len(text) > 80:
        return None
    match = _SOURCE_LINE.match(text)
    if match is None:
        return None
    name = match.group("name").strip(" /:|-–")
    if not name or len(name.split()) > 8:
        return None
    return name


_SOURCE_START = re.compile(
    r"\s(?=(?:المصدر|مصدر الخبر|الكاتب|كتب|كتبت|بقلم|تحرير|إعداد|اعداد|مراسل|Source)\s*[/:|\-–])"
)


def split_meta_line(line: str) -> tuple[str, datetime, str] | None:
    """A date line and a source line run together ("السبت 12/07/2025 - 12:30 المصدر / وكالات").

    Inline ``<span>``s of one meta bar come out of extractors as one line; read as a whole it is neither
    a date line nor a source line, so it would stay in the body. Returns (date text, its UTC time, source
    name) when the line splits into exactly those two parts, in either order; else ``None``.
    """
    text = norm(line)
    if len(text) > 160:
        return None
    for match in _SOURCE_START.finditer(text):
        head, tail = text[: match.start()].strip(), text[match.end() :].strip()
        when, name = parse_dateline(head), source_name(tail)
        if when is not None and name is not None:
            return head, when, name
        # source first: "المصدر / وكالات السبت 12/07/2025" — the name then ends where the date starts
    first = _SOURCE_LINE.match(text)
    if first is not None:
        words = first.group("name").split()
        for cut in range(1, min(len(words), 8)):
            when = parse_dateline(" ".join(words[cut:]))
            if when is not None:
                name = source_name(text[: text.index(first.group("name"))] + " ".join(words[:cut]))
                if name is not None:
                    return " ".join(words[cut:]), when, name
    return None
