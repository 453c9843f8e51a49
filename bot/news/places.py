"""A small gazetteer: which countries (or blocs) a headline names, for dedup.

Where a story happens is much of what makes it *that* story: "ألمانيا تفكر في إعادة التجنيد الإجباري"
and "فرنسا ترفض إعادة التجنيد الإجباري" share most words and are different news. Capitals, demonyms
and a few metonyms map to one code (``الرياض``/``السعودية``/``سعودي``/``Riyadh`` → ``SA``;
``تل أبيب``/``إسرائيل`` → ``IL``; ``طهران``/``إيران`` → ``IR``), so rewordings that swap a country for
its capital still agree. Matching reuses the topic keyword rules (normalised text, Arabic clitic
prefixes allowed, ``*`` for demonym endings). Deliberately short: the major news countries of an
Arabic newsroom; unknown places simply do not count.
"""

from __future__ import annotations

import re
from functools import lru_cache

from bot.news.arabic import normalize

_PLACES: dict[str, str] = {
    "US": "أمريكا أميركا الولايات_المتحدة واشنطن أمريكي* أميركي* america* washington united_states usa",
    "SA": "السعودية سعودي* الرياض saudi* riyadh",
    "EG": "مصر مصري* القاهرة egypt* cairo",
    "DE": "ألمانيا ألماني* برلين german* berlin",
    "FR": "فرنسا فرنسي* باريس france french paris",
    "GB": "بريطانيا بريطاني* لندن britain british uk london",
    "IR": "إيران إيراني* طهران iran* tehran",
    "IQ": "العراق عراقي* بغداد iraq* baghdad",
    "SY": "سوريا سورية سوري* دمشق syria* damascus",
    "LB": "لبنان لبناني* بيروت leban* beirut",
    "IL": "إسرائيل إسرائيلي* تل_أبيب israel* tel_aviv",
    "PS": "فلسطين فلسطيني* غزة الضفة_الغربية palestin* gaza west_bank",
    "TR": "تركيا تركي* أنقرة إسطنبول turkey turkish ankara istanbul",
    "RU": "روسيا روسي* موسكو الكرملين russia* moscow kremlin",
    "UA": "أوكرانيا أوكراني* كييف ukrain* kyiv kiev",
    "CN": "الصين صيني* بكين china chinese beijing",
    "MA": "المغرب مغربي* الرباط morocc* rabat",
    "DZ": "الجزائر جزائري* algeria* algiers",
    "TN": "تونس تونسي* tunisia* tunis",
    "LY": "ليبيا ليبي* طرابلس libya* tripoli",
    "SD": "السودان سوداني* الخرطوم sudan* khartoum",
    "YE": "اليمن يمني* صنعاء yemen* sanaa",
    "QA": "قطر قطري* الدوحة qatar* doha",
    "AE": "الإمارات إماراتي* أبوظبي دبي emirat* uae dubai abu_dhabi",
    "JO": "الأردن أردني* jordan*",
    "EU": "أوروبا أوروبي* الاتحاد_الأوروبي بروكسل europe* eu brussels",
    "ES": "إسبانيا إسباني* مدريد spain spanish madrid",
    "IT": "إيطاليا إيطالي* روما italy italian rome",
    "BR": "البرازيل برازيلي* brazil*",
    "IN": "الهند هندي* india* delhi",
    "PK": "باكستان باكستاني* pakistan*",
    "AF": "أفغانستان أفغاني* afghan*",
    "JP": "اليابان ياباني* طوكيو japan* tokyo",
    "AZ": "أذربيجان أذربيجاني* باكو azerbaijan* baku",
}


@lru_cache(maxsize=1)
def _patterns() -> tuple[tuple[str, re.Pattern[str]], ...]:
    from bot.news.topics import keyword_pattern  # topics imports sources.spec; keep this lazy

    out = []
    for code, aliases in _PLACES.items():
        parts = [p for a in aliases.split() if (p := keyword_pattern(a.replace("_", " ")))]
        out.append((code, re.compile("|".join(parts))))
    return tuple(out)


def places(text: str) -> frozenset[str]:
    """Codes of the countries/blocs ``text`` names."""
    norm = normalize(text)
    return frozenset(code for code, rx in _patterns() if rx.search(norm))
