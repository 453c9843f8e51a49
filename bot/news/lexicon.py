"""Small closed word classes the same-story decider needs and no library provides: numbers written as
words, directions of change, negation.

Why hand lists here and nowhere else: these are *closed* classes (a language has a few dozen number
words, a few verbs of rising and falling) whose meaning decides the story — "يرفع" and "يخفض" are both
frequent, informative-looking verbs that a frequency table cannot tell apart. Open classes (names,
places, how informative a word is) come from :mod:`wordfreq` and :mod:`bot.news.places` instead.

Every entry goes through the same key function as headline words (:func:`word_key`), so clitics,
spelling variants and English inflections agree without listing each form.
"""

from __future__ import annotations

from functools import lru_cache

from bot.news.arabic import is_arabic, normalize

# ----------------------------------------------------------------------------------------------- keys


def english_stem(word: str) -> str:
    """A deliberately light English suffix stripper (both sides of a comparison go through it, so a
    consistent over-stemming costs little): ``kills``/``killed``/``killing`` → ``kill``."""
    if len(word) <= 3 or not word.isalpha():
        return word
    for suffix, keep in (("ies", "y"), ("ing", ""), ("ied", "y"), ("ed", ""), ("es", ""), ("s", "")):
        if word.endswith(suffix) and len(word) - len(suffix) >= 3:
            if suffix == "s" and word.endswith(("ss", "us", "is")):
                return word
            if suffix == "es" and not word.endswith(("shes", "ches", "xes", "sses", "zes")):
                continue
            stem = word[: -len(suffix)] + keep
            if suffix in ("ed", "ing") and len(stem) >= 4 and stem[-1] == stem[-2] and stem[-1] not in "lsfz":
                stem = stem[:-1]  # acquitted → acquit, planned → plan
            return stem
    return word


_AR_ARTICLE = ("وبال", "وال", "بال", "كال", "فال", "ولل", "لل", "ال")
_AR_PROCLITICS = ("و", "ب", "ل", "ف", "ك")
_AR_PRONOUNS = ("هما", "هم", "ها", "كم", "نا", "ه")
_AR_ENDINGS = (("ات", 3), ("ون", 4), ("ين", 4), ("يه", 3), ("ه", 3))  # (ending, letters left at least)


def arabic_key(token: str) -> str:
    """A light Arabic stem: the article with its proclitics, then an attached pronoun, then a plural or
    feminine ending, then a lone proclitic (``و``/``ب``/``ل``/``ف``/``ك``, only when four letters stay).

    Why this order: a pronoun hides the ending it follows (``توقعاته`` → ``توقعات`` → ``توقع``, as
    ``التوقعات``; ``مدينته`` has its ة written ت), and a proclitic is judged on the stem, not the
    whole word (``وزيرها`` → ``وزير``, as ``الوزير``, not ``زير``). Plural ``-ون``/``-ين`` need four
    letters left so a root's own letters stay (``التعاون`` → ``تعاون``, as ``تعاونها``). Broken
    plurals are beyond a light stemmer and stay unmatched (a small recall cost, never a false merge).
    """
    word, article = token, False
    for prefix in _AR_ARTICLE:
        if word.startswith(prefix) and len(word) - len(prefix) >= 3:
            word, article = word[len(prefix) :], True
            break
    for suffix in _AR_PRONOUNS:
        if word.endswith(suffix) and len(word) - len(suffix) >= 3:
            word = word[: -len(suffix)]
            if word.endswith("ت") and not word.endswith("ات") and len(word) >= 4:
                word = word[:-1] + "ه"  # مدينته, مدينتها → مدينه (not بيته → بيت)
            break
    for ending, keep in _AR_ENDINGS:
        if word.endswith(ending) and len(word) - len(ending) >= keep:
            word = word[: -len(ending)]
            break
    if not article and word[:1] in _AR_PROCLITICS and len(word) - 1 >= 4:
        word = word[1:]
    return word


def word_key(token: str) -> str:
    """The comparison key of one normalised token: Arabic light stem, English light stem, digits as is."""
    if is_arabic(token):
        return arabic_key(token)
    return english_stem(token)


def _keys(words: str) -> frozenset[str]:
    return frozenset(word_key(t) for w in words.split() for t in normalize(w).split())


# -------------------------------------------------------------------------------------------- numbers

_NUMBER_WORDS: dict[str, float] = {}
for _value, _forms in (
    (1, "one واحد واحدة"),
    (2, "two اثنان اثنين اثنتان اثنتين second ثاني ثانيا ثانية"),
    (3, "three ثلاث ثلاثة third ثالث ثالثا ثالثة"),
    (4, "four أربع أربعة fourth رابع رابعا رابعة"),
    (5, "five خمس خمسة fifth خامس خامسا خامسة"),
    (6, "six ست ستة sixth سادس سادسا سادسة"),
    (7, "seven سبع سبعة seventh سابع سابعا سابعة"),
    (8, "eight ثماني ثمانية ثمان eighth ثامن ثامنا ثامنة"),
    (9, "nine تسع تسعة ninth تاسع تاسعا تاسعة"),
    (10, "ten عشر عشرة tenth عاشر عاشرا عاشرة"),
    (11, "eleven"),
    (12, "twelve dozen"),
    (13, "thirteen"),
    (14, "fourteen"),
    (15, "fifteen"),
    (16, "sixteen"),
    (17, "seventeen"),
    (18, "eighteen"),
    (19, "nineteen"),
    (20, "twenty عشرون عشرين"),
    (30, "thirty ثلاثون ثلاثين"),
    (40, "forty أربعون أربعين"),
    (50, "fifty خمسون خمسين"),
    (60, "sixty ستون ستين"),
    (70, "seventy سبعون سبعين"),
    (80, "eighty ثمانون ثمانين"),
    (90, "ninety تسعون تسعين"),
    (100, "hundred مئة مائة"),
    (200, "مئتين مائتين مئتي مائتي مئتا"),
    (1000, "thousand ألف"),
    (2000, "ألفين ألفي ألفا"),
    (1e6, "million مليون"),
    (2e6, "مليونين مليوني مليونا"),
    (1e9, "billion مليار"),
    (2e9, "مليارين مليارا مليارى"),
):
    for _form in _forms.split():
        _NUMBER_WORDS[normalize(_form)] = float(_value)

# Words that multiply the number before them ("100 ألف", "2.5 billion", "9 million").
SCALES: dict[str, float] = {
    normalize(w): v
    for w, v in (
        ("hundred", 100),
        ("thousand", 1e3),
        ("million", 1e6),
        ("billion", 1e9),
        ("trillion", 1e12),
        ("bn", 1e9),
        ("b", 1e9),
        ("m", 1e6),
        ("mn", 1e6),
        ("k", 1e3),
        ("tn", 1e12),
        ("مئة", 100),
        ("مائة", 100),
        ("ألف", 1e3),
        ("ألفا", 1e3),
        ("آلاف", 1e3),
        ("الف", 1e3),
        ("مليون", 1e6),
        ("مليونا", 1e6),
        ("ملايين", 1e6),
        ("مليار", 1e9),
        ("مليارا", 1e9),
        ("مليارات", 1e9),
        ("تريليون", 1e12),
    )
}

_CLITICS = ("و", "ب", "ل", "ف")


def number_word(token: str) -> float | None:
    """The value of a number word (normalised token, Arabic clitic allowed: ``وثلاثة``), else None."""
    if token in _NUMBER_WORDS:
        return _NUMBER_WORDS[token]
    if is_arabic(token) and token[:1] in _CLITICS and token[1:] in _NUMBER_WORDS:
        return _NUMBER_WORDS[token[1:]]
    return None


# ----------------------------------------------------------------------------------------- directions

# class → words. A word may carry two classes (Arabic رفع: raise a rate, lift sanctions).
_DIRECTIONS: dict[str, str] = {
    "up": "rise rose risen raise hike increase higher gain jump surge soar climb boost "
    "ارتفاع ارتفع يرتفع ترتفع رفع يرفع ترفع زياده زاد يزيد تزيد صعود صعد يصعد تصعد قفز يقفز تقفز "
    "يزيد يرفعان",
    "down": "fall fell fallen cut lower drop decline slump plunge slide slid sink decrease reduce "
    "tumble "
    "انخفاض انخفض ينخفض تنخفض خفض يخفض تخفض تراجع يتراجع تتراجع هبوط هبط يهبط تهبط تقليص يقلص تقلص",
    "hold": "unchanged steady تثبيت ثبت يثبت تثبت ابقاء ابقي يبقي تبقي",
    "win": "win won beat victory فوز فاز يفوز تفوز",
    "lose": "lose lost loss defeat خساره خسر يخسر تخسر هزيمه",
    "stop": "collapse stall suspend halt انهيار انهار انهارت تنهار ينهار تعليق علق يعلق تعلق "
    "توقف يتوقف تتوقف",
    "resume": "resume restart استئناف استانف يستانف تستانف",
    "approve": "approve accept agree pass sign موافقه وافق يوافق توافق يقر تقر اقرار توقيع يوقع توقع",
    "reject": "reject veto refuse رفض يرفض ترفض",
    "impose": "impose يفرض تفرض فرض",
    "lift": "lift رفع يرفع ترفع",
    "arrest": "arrest detain اعتقال اعتقل يعتقل تعتقل",
    "release": "release free الافراج افرج يفرج تفرج",
    "positive": "positive ايجابي ايجابيه",
    "negative": "negative سلبي سلبيه",
    "open": "open reopen افتتاح افتتح يفتتح فتح يفتح تفتح",
    "close": "close shut اغلاق اغلق يغلق تغلق",
    "acquit": "acquit تبرئه برا يبرئ تبرئ",
    "convict": "convict ادانه ادان يدين تدين",
    "extend": "extend continue maintain تمديد مدد يمدد تمدد",
    "enter": "enter admit دخول دخل يدخل تدخل",
    "leave": "leave discharge مغادره غادر يغادر تغادر",
}
OPPOSITE: dict[str, frozenset[str]] = {}
for _a, _b in (
    ("up", "down"),
    ("hold", "up"),
    ("hold", "down"),
    ("win", "lose"),
    ("stop", "resume"),
    ("approve", "reject"),
    ("impose", "lift"),
    ("arrest", "release"),
    ("positive", "negative"),
    ("open", "close"),
    ("acquit", "convict"),
    ("extend", "lift"),
    ("enter", "leave"),
):
    OPPOSITE[_a] = OPPOSITE.get(_a, frozenset()) | {_b}
    OPPOSITE[_b] = OPPOSITE.get(_b, frozenset()) | {_a}

DIRECTION: dict[str, frozenset[str]] = {}
for _cls, _words in _DIRECTIONS.items():
    for _key in _keys(_words):
        DIRECTION[_key] = DIRECTION.get(_key, frozenset()) | {_cls}

# ------------------------------------------------------------------------------------------- negation

# "fails to" negates what follows ("يفشل في التأهل" / "يتأهل"), so it counts here, not as a direction.
_NEGATION_WORDS = (
    "not no never nor none cannot deny denies denied fail fails failed "
    "لا لن لم ليس ليست عدم ينفي تنفي نفى نفي فشل يفشل تفشل"
)
NEGATIONS: frozenset[str] = frozenset(normalize(w) for w in _NEGATION_WORDS.split(" "))


@lru_cache(maxsize=4096)
def directions(key: str) -> frozenset[str]:
    """Direction classes of a word key (empty for most words)."""
    return DIRECTION.get(key, frozenset())


# Weekdays: two headlines dated to different days report different events ("… Did Wednesday" /
# "… Fared on Monday"). Arabic الأحد is not listed: أحد also means "one of".
_DAYS = {
    day: names
    for day, names in (
        (1, "monday الاثنين"),
        (2, "tuesday الثلاثاء"),
        (3, "wednesday الاربعاء"),
        (4, "thursday الخميس"),
        (5, "friday"),
        (6, "saturday السبت"),
        (7, "sunday"),
    )
}
WEEKDAYS: dict[str, int] = {normalize(n): d for d, names in _DAYS.items() for n in names.split()}
