"""Date lines read digits through the one digit folding (:func:`bot.news.text.ascii_digits`).

The article extractor used to carry its own table (Arabic-Indic and Persian digits only). These cases
pin that the shared folding reads every date line the old table did, identically, and that digits of
other scripts give the same instant as their ASCII spelling.
"""

from __future__ import annotations

import pytest

from bot.articles.datelines import parse_dateline
from bot.news.text import ascii_digits

OLD_TABLE = str.maketrans("٠١٢٣٤٥٦٧٨٩۰۱۲۳۴۵۶۷۸۹", "01234567890123456789")
ARABIC_INDIC = str.maketrans("0123456789", "٠١٢٣٤٥٦٧٨٩")
PERSIAN = str.maketrans("0123456789", "۰۱۲۳۴۵۶۷۸۹")
FULLWIDTH = str.maketrans("0123456789", "０１２３４５６７８９")

LINES = [
    "السبت 12/07/2025 - 12:30 بتوقيت نيويورك",
    "نشر في 03.11.2024 09:05 م",
    "آخر تحديث: 2025-01-09 18:45",
    "12 يوليو 2025",
    "ليس سطر تاريخ 12",
]


def test_the_shared_folding_maps_every_digit_of_the_old_table_the_same() -> None:
    digits = "٠١٢٣٤٥٦٧٨٩۰۱۲۳۴۵۶۷۸۹0123456789"
    assert ascii_digits(digits) == digits.translate(OLD_TABLE)


@pytest.mark.parametrize("line", LINES)
@pytest.mark.parametrize(
    "script", [ARABIC_INDIC, PERSIAN, FULLWIDTH], ids=["arabic-indic", "persian", "fullwidth"]
)
def test_a_date_line_reads_the_same_in_any_digits(line: str, script: dict[int, str]) -> None:
    assert parse_dateline(line.translate(script)) == parse_dateline(line)


def test_the_sample_lines_are_date_lines_except_the_last() -> None:
    results = [parse_dateline(line) for line in LINES]
    assert all(result is not None for result in results[:-1])
    assert results[-1] is None


def test_mixed_scripts_in_one_number() -> None:
    assert parse_dateline("السبت ١2/0٧/٢025 - 12:30") == parse_dateline("السبت 12/07/2025 - 12:30")
