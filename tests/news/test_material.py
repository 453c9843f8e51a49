"""The materiality rule (bot/news/material.py), table-driven: which same-source updates of a pushed
story are news (a new number, place or actor) and which are rewordings that must not be pushed."""

from __future__ import annotations

import pytest

from bot.news.material import facts, material_change

# (earlier pushed headline, update, material?, what the reason names)
CASES: list[tuple[str, str, bool, str]] = [
    # --- numbers: digits of any script, separators, number words, grammatical number
    ("مقتل 10 أشخاص في انفجار بميناء المدينة", "مقتل 25 شخصا في انفجار بميناء المدينة", True, "number 25"),
    ("مقتل ١٠ أشخاص في انفجار بميناء المدينة", "ارتفاع حصيلة انفجار الميناء إلى ١٢ قتيلا", True, "number 12"),
    ("مقتل 10 أشخاص في انفجار", "مقتل ١٠ أشخاص في انفجار ضخم", False, ""),
    ("Explosion kills 10 at city port", "Explosion at city port: death toll rises to 25", True, "number 25"),
    ("Fire destroys 1,500 homes", "Fire destroys 1500 homes across the valley", False, ""),
    ("المركزي يرفع الفائدة 2%", "المركزي يرفع الفائدة 2.5%", True, "number 2.5"),
    ("المركزي يرفع الفائدة ٢٫٥%", "المركزي يرفع سعر الفائدة 2.5 في المئة", False, ""),
    ("مقتل شرطي في هجوم مسلح بالقاهرة", "مقتل شرطيين في هجوم مسلح بالقاهرة", True, "number"),
    ("مقتل ثلاثة جنود في هجوم", "مقتل خمسة جنود في هجوم", True, "number 5"),
    ("Three soldiers killed in attack", "Five soldiers killed in attack", True, "number 5"),
    ("مقتل ثلاثة جنود في هجوم", "مقتل 3 جنود في هجوم على نقطة تفتيش", False, ""),
    # --- places
    ("وزير الخارجية يصل في زيارة رسمية", "وزير الخارجية يصل إلى الدوحة في زيارة رسمية", True, "place QA"),
    ("وزير الخارجية يصل إلى الدوحة", "وزير الخارجية يصل إلى بغداد", True, "place IQ"),
    ("انفجار في بيروت", "انفجار ضخم يهز العاصمة اللبنانية", False, ""),
    ("Minister arrives in Doha", "Minister lands in Doha for talks", False, ""),
    # --- actors
    ("الرئيس يعلن حالة الطوارئ", "الرئيس ماكرون يعلن حالة الطوارئ", True, "actor"),
    ("Talks on ceasefire begin", "Talks on ceasefire begin, Hamas says", True, "actor hamas"),
    ("ترمب يفرض 30% جمارك على الاتحاد الأوروبي", "ترمب: 30% رسوماً على أوروبا", False, ""),
    ("ترمب يفرض رسوما جديدة", "الرئيس ترمب يفرض رسوما جديدة", False, ""),
    (
        "NATO leaders meet in emergency session",
        "NATO and EU leaders meet in emergency session",
        True,
        "place EU",
    ),
    ("Leaders meet in emergency session", "UN leaders meet in emergency session", True, "actor un"),
    # --- pure rewordings and dropped facts
    ("عاجل | انفجار ضخم في ميناء المدينة", "انفجار كبير يهز ميناء المدينة", False, ""),
    ("Gold Prices Rise After Fed Decision", "Gold Prices Climb Following Fed Decision", False, ""),
    ("مقتل 10 أشخاص في انفجار بميناء بيروت", "انفجار بميناء بيروت", False, ""),
]


@pytest.mark.parametrize(("old", "new", "material", "reason"), CASES)
def test_material_change(old: str, new: str, material: bool, reason: str) -> None:
    verdict = material_change(old, new)
    assert verdict.material is material, verdict.reason
    assert reason in verdict.reason


def test_facts_read_digits_of_every_script_and_number_words() -> None:
    f = facts("ارتفاع الحصيلة إلى ٣٠ قتيلا و1,200 جريح وثلاثة مفقودين في 2٫5 ساعة")
    assert {"30", "1200", "3", "2.5"} <= f.numbers
    assert facts("Two ships and 4 tankers").numbers == {"2", "4"}


def test_the_reason_names_each_kind_of_new_fact() -> None:
    verdict = material_change("انفجار في ميناء", "الرئيس ماكرون: 12 قتيلا في انفجار بميناء بيروت")
    assert verdict.material
    assert verdict.numbers == {"12"} and verdict.places == {"LB"} and verdict.actors
    assert verdict.reason.startswith("new number 12; place LB; actor")
