"""Generate seed-shaped Arabic article pages with gold text, for the extraction benchmark and tests.

The seed page (``shared/seed/000_*.txt``) is a text dump of the Arabic site Aajel was born from: social
links, a "أحدث الأخبار|" ticker with "عاجل | …" items, a date line "السبت 12/07/2025 - 12:30 بتوقيت
نيويورك", the title (twice: breadcrumb and heading), "المصدر / name", a lead, paragraphs, then
"التعليقات". Real Arabic CMSs put that shape into very different markup, so four templates vary it:

* ``wp``     — WordPress-like: ``<article>``, ``p.lead``, inline "اقرأ أيضا" paragraphs inside the body,
  share bar, related list, comment thread.
* ``br``     — old CMS div soup: body paragraphs separated by ``<br><br>`` inside one ``div``, ticker as
  a ``<marquee>``, lead as ``<h2>``, comments as a ``<table>``.
* ``ul``     — ticker as a ``<ul>``, date in ``span.time``, lead in ``div.summary``, figure with a caption,
  a "tweet" embed, a poll in the sidebar, "مواضيع ذات صلة" cards.
* ``modern`` — ``<main>``, ``<time datetime>``, JSON-LD NewsArticle, tag chips, newsletter box, comment form.
* ``inline`` — traps inside the body container itself: an "اقرأ أيضا" heading with a list of related
  headlines, a "الوسوم:" tags line, a share line, Arabic-Indic digits in the date line ("١٢/٠٧/٢٠٢٥"),
  a ticker of plain headlines (no "عاجل") and a long multi-sentence comment thread.

Gold (``<stem>.txt``) is the lead then the body paragraphs, one per line — what a reader should get;
``<stem>.json`` holds the expected title, byline and dateline. Two pages are windows-1256 encoded.
Deterministic: ``python tests/data/articles/seed_shaped/generate.py`` rewrites the same files.
"""

from __future__ import annotations

import html
import json
import random
from pathlib import Path

HERE = Path(__file__).resolve().parent
N_PAGES = 30

DAYS = ["السبت", "الأحد", "الاثنين", "الثلاثاء", "الأربعاء", "الخميس", "الجمعة"]
ZONES = ["نيويورك", "مكة المكرمة", "القاهرة", "بيروت", "غرينتش"]
AUTHORS = ["شيماء مصطفى", "محمد العلي", "ريم الحسن", "أحمد يوسف", "وكالات", "سارة الخطيب", "خالد منصور"]

TICKER = [
    "إسبانيا في خطر.. فيضانات وتحذير أحمر",
    "قسد تفتح باب الانضمام للجيش السوري",
    "ألمانيا تفكر في إعادة التجنيد الإجباري",
    "عاجل | ترمب يفرض 30% جمارك على واردات أوروبا",
    "أميركا تسأل حلفاءها: ماذا ستفعلون إذا حاربنا الصين؟",
    "قطر تشارك ميدانياً في إخماد حرائق ريف اللاذقية",
    "عاجل | زلزال بقوة 6.1 درجات يضرب جنوب تركيا",
    "60 نائبًا يحرجون لندن: الاعتراف بفلسطين لم يعد خيارًا",
    "عاجل | انقطاع واسع للكهرباء في بيروت",
    "ملقة تنسحب من تنظيم مونديال 2030",
    "عاجل | البنك المركزي يرفع سعر الفائدة ربع نقطة",
    "بي كي كي يستسلم.. وأردوغان يحتفل",
]

STORIES = [
    (
        "اتصال مباشر نادر بين دمشق وتل أبيب في باكو",
        "مصدر دبلوماسي يكشف عن محادثات مباشرة تناولت الوجود العسكري جنوب سوريا",
    ),
    (
        "البنك المركزي يرفع سعر الفائدة لكبح التضخم",
        "القرار هو الثالث خلال عام ويأتي بعد ارتفاع الأسعار إلى مستوى قياسي",
    ),
    (
        "فيضانات تجتاح شرق إسبانيا وتحذيرات من الأسوأ",
        "السلطات تعلن الإنذار الأحمر في ثلاث مقاطعات وتدعو السكان إلى ملازمة منازلهم",
    ),
    (
        "قمة خليجية طارئة لبحث أمن الملاحة في البحر الأحمر",
        "القادة يناقشون خطة مشتركة لحماية السفن التجارية بعد هجمات متكررة",
    ),
    (
        "حرائق الغابات تلتهم آلاف الهكتارات في ريف اللاذقية",
        "فرق الدفاع المدني تواصل عملها لليوم الرابع وسط رياح قوية",
    ),
    (
        "الأمم المتحدة تحذر من مجاعة وشيكة في السودان",
        "تقرير أممي جديد يقول إن ملايين الأشخاص يواجهون نقصاً حاداً في الغذاء",
    ),
    ("منتخب المغرب يتأهل إلى نصف نهائي كأس أفريقيا", "هدف في الدقيقة الأخيرة يحسم المواجهة أمام منافس عنيد"),
    (
        "انتخابات بلدية في تونس وسط إقبال ضعيف",
        "هيئة الانتخابات تعلن نسبة مشاركة أولية لا تتجاوز عشرين في المئة",
    ),
]

SENTENCES = [
    "في خطوة دبلوماسية غير مسبوقة منذ عقود، شهدت العاصمة لقاءً مباشراً بين مسؤولين من الطرفين، بحسب ما نقلته وكالة الأنباء الفرنسية عن مصدر مطلع.",
    "وجاء الاجتماع على هامش زيارة رسمية، إلا أن المصدر أوضح أن الرئيس لم يشارك في المحادثات التي تركزت حول الترتيبات الأمنية.",
    "ورغم الصمت الرسمي حول اللقاء، فإن السلطات كانت قد أقرت سابقاً بوجود مفاوضات غير مباشرة تهدف إلى الحد من التصعيد العسكري.",
    "ويُنظر إلى هذه الخطوة على أنها جزء من مساعٍ أوسع لإعادة تفعيل اتفاق قديم يشمل وقف العمليات القتالية بإشراف أممي.",
    "وأعلنت الرئاسة في بيان مقتضب عن بدء تصدير الغاز عبر الأراضي التركية، ما يشير إلى انفتاح جديد تعززه المصالح الاقتصادية المتبادلة.",
    "يُذكر أن البلدين لا يزالان رسمياً في حالة حرب منذ عام 1948، رغم عدة محاولات سابقة للتفاوض لم تفضِ إلى اتفاق سلام دائم.",
    "وقال محافظ البنك في مؤتمر صحفي إن القرار اتُّخذ بالإجماع بعد مراجعة دقيقة للمؤشرات الاقتصادية خلال الربع الأخير.",
    "وارتفع معدل التضخم السنوي إلى 7.4% في يونيو، وهو أعلى مستوى له منذ أكثر من عشر سنوات، وفق بيانات رسمية.",
    "ويتوقع محللون أن يواصل البنك سياسة التشديد النقدي حتى نهاية العام، ما قد يضغط على قطاعي العقارات والاستهلاك.",
    "وأفادت هيئة الأرصاد بأن كميات الأمطار التي هطلت خلال 24 ساعة تجاوزت المعدل الشهري المعتاد في عدد من المدن الساحلية.",
    "وأظهرت مقاطع مصورة تداولها ناشطون على مواقع التواصل الاجتماعي سيارات جرفتها المياه في الشوارع الرئيسية.",
    "وأكد مسؤول في الدفاع المدني أن فرق الإنقاذ أجلت أكثر من ألفي شخص من المناطق المنخفضة خلال الليل.",
    "ودعت الحكومة المواطنين إلى تجنب السفر غير الضروري ومتابعة التعليمات الصادرة عن الجهات المختصة أولاً بأول.",
    "وتأتي القمة في ظل توتر متصاعد في المنطقة، بعد سلسلة هجمات استهدفت سفناً تجارية قرب مضيق باب المندب.",
    "وقال وزير الخارجية في تصريحات للصحفيين إن أمن الملاحة مسؤولية جماعية لا تحتمل التأجيل أو المساومة.",
    "وتشير تقديرات شركات الشحن إلى أن كلفة التأمين على السفن العابرة ارتفعت بأكثر من ثلاثة أضعاف منذ بداية العام.",
    "وامتدت النيران إلى قرى جبلية عدة، ما اضطر السلطات إلى إجلاء عشرات العائلات ونقلها إلى مراكز إيواء مؤقتة.",
    "وشاركت طائرات إطفاء من دول مجاورة في عمليات الإخماد، بينما أعاقت الرياح الشديدة ووعورة التضاريس عمل الفرق الأرضية.",
    "وقدّرت وزارة الزراعة المساحات المتضررة بأكثر من عشرة آلاف هكتار من الغابات والأراضي الزراعية.",
    "وحذّر برنامج الأغذية العالمي من أن نافذة التدخل لتفادي الكارثة تضيق يوماً بعد يوم مع استمرار القتال.",
    "وأشار التقرير إلى أن أكثر من نصف السكان يحتاجون إلى مساعدات إنسانية عاجلة، بينهم ملايين الأطفال.",
    "ودعت المنظمات الإغاثية أطراف النزاع إلى فتح ممرات آمنة وضمان وصول القوافل إلى المناطق المحاصرة دون عوائق.",
    "وسجّل المنتخب هدف الفوز في الدقيقة التسعين بعد مباراة متكافئة سيطر فيها على الكرة دون أن يترجم أفضليته إلى أهداف.",
    "وقال المدرب عقب اللقاء إن لاعبيه أظهروا شخصية قوية، مؤكداً أن الفريق يطمح إلى الذهاب حتى النهاية.",
    "ويلتقي المنتخب في الدور المقبل الفائز من مواجهة مصر ونيجيريا المقررة يوم الأربعاء.",
    "وفتحت مراكز الاقتراع أبوابها في الثامنة صباحاً بالتوقيت المحلي، وسط إجراءات أمنية مشددة في المدن الكبرى.",
    "وعزا مراقبون ضعف الإقبال إلى حالة الإحباط العامة من الأداء السياسي وتراجع الثقة في المؤسسات المنتخبة.",
    "ومن المنتظر أن تعلن الهيئة النتائج النهائية خلال 48 ساعة من إغلاق الصناديق، بحسب ما ينص عليه القانون الانتخابي.",
    "وأضاف المصدر أن جولة جديدة من المحادثات قد تُعقد خلال الأسابيع المقبلة، من دون أن يحدد مكانها أو موعدها.",
    "ولم يصدر حتى الآن أي تعليق رسمي من الحكومة على هذه المعلومات، فيما رفض متحدث باسمها الرد على أسئلة الصحفيين.",
    "وتراجعت أسعار الأسهم في البورصة المحلية بنسبة 2.3% عقب الإعلان، قبل أن تعوض جزءاً من خسائرها في نهاية الجلسة.",
    'وشدّد البيان الختامي على "ضرورة احترام القانون الدولي" و"رفض أي محاولة للمساس بسيادة الدول" في المنطقة.',
]

RELATED = [
    "إسرائيل تحوّل الهدم في غزة إلى استثمار",
    "الهندي: إسرائيل وقعت في فخ مرونتنا.. والميدان يحكم!",
    "عراقجي: حربنا لم تكن عبثًا.. والتخصيب مستمر",
    "تل أبيب: الجولان مقابل التطبيع مع دمشق",
    'ترامب يهدد روزي: "سأسحب جنسيتها وأبعدها لإيرلندا"',
    "إسرائيل تطلب استعادة أبقارها من لبنان",
]

COMMENTS = [
    "خبر مهم جداً، شكراً على المتابعة",
    "نتمنى أن يعم السلام المنطقة كلها",
    "أين الحكومة من كل هذا؟ لا أحد يحاسب أحداً",
    "تحليل ممتاز وموضوعي",
    "للأسف الوضع يزداد سوءاً كل يوم",
]

NAV = ["الرئيسية", "سياسة", "اقتصاد", "رياضة", "منوعات", "تكنولوجيا", "مقالات", "فيديو"]
SOCIAL = ["facebook", "twitter", "google+", "youtube", "rss"]
SHARE = ["فيسبوك", "تويتر", "واتساب", "تلغرام", "طباعة", "نسخ الرابط"]


def e(text: str) -> str:
    return html.escape(text, quote=True)


def _nav() -> str:
    items = "".join(f'<li><a href="/section/{i}">{e(n)}</a></li>' for i, n in enumerate(NAV))
    social = "".join(f'<li><a class="s-{s}" href="https://{s}.example/aajel">{e(s)}</a></li>' for s in SOCIAL)
    return (
        f'<header id="site-header"><div class="logo"><a href="/">عاجل نيوز</a></div>'
        f'<ul class="social">{social}</ul><nav class="main-menu"><ul>{items}</ul></nav>'
        f'<form class="search"><input name="q" placeholder="ابحث..."></form></header>'
    )


def _footer() -> str:
    return (
        '<footer><div class="f-links"><a href="/about">من نحن</a> | <a href="/contact">اتصل بنا</a> | '
        '<a href="/privacy">سياسة الخصوصية</a> | <a href="/ads">أعلن معنا</a></div>'
        "<p>جميع الحقوق محفوظة © 2025 عاجل نيوز</p></footer>"
    )


def build(i: int, rng: random.Random) -> tuple[str, str, dict[str, str], str]:
    template = ["wp", "br", "ul", "modern", "inline"][i % 5]
    title, lead = STORIES[i % len(STORIES)]
    if i >= len(STORIES):
        title = f"{title} ({['تحديث', 'متابعة', 'تفاصيل'][i % 3]})"
    author = rng.choice(AUTHORS)
    day = rng.randint(1, 28)
    month = rng.randint(1, 12)
    hour = rng.randint(0, 23)
    minute = rng.choice([0, 5, 15, 30, 45])
    dateline = (
        f"{rng.choice(DAYS)} {day:02d}/{month:02d}/2025 - {hour:02d}:{minute:02d} بتوقيت {rng.choice(ZONES)}"
    )
    paragraphs: list[str] = []
    pool = SENTENCES[:]
    rng.shuffle(pool)
    for _ in range(rng.randint(4, 9)):
        k = rng.randint(1, 3)
        paragraphs.append(" ".join(pool.pop() for _ in range(min(k, len(pool)))) or SENTENCES[0])
        if not pool:
            break
    ticker = rng.sample(TICKER, 8)
    related = rng.sample(RELATED, 4)
    comments = rng.sample(COMMENTS, rng.randint(2, 4))
    inline_related = rng.choice(RELATED)
    source_line = f"المصدر / {author}"
    meta_head = (
        f'<meta charset="{{charset}}"><title>{e(title)} | عاجل نيوز</title>'
        f'<meta name="description" content="{e(lead)}">'
        f'<meta property="og:title" content="{e(title)}">'
        '<link rel="stylesheet" href="/static/site.css"><script>var _gaq=[];window.ads={};</script>'
    )
    share = "".join(
        f'<a href="https://share.example/{j}" class="share-{j}">{e(s)}</a>' for j, s in enumerate(SHARE)
    )

    if template == "wp":
        ticker_html = "".join(
            f'<span class="t-item"><a href="/n/{j}">{e(t)}</a></span>' for j, t in enumerate(ticker)
        )
        body = "".join(f"<p>{e(p)}</p>" for p in paragraphs[:2])
        body += (
            f'<p class="read-also"><strong>اقرأ أيضا:</strong> <a href="/n/99">{e(inline_related)}</a></p>'
        )
        body += '<div class="ad-slot"><script>ads.push("mid")</script>إعلان</div>'
        body += "".join(f"<p>{e(p)}</p>" for p in paragraphs[2:])
        rel = "".join(f'<li><a href="/n/{j}">{e(r)}</a></li>' for j, r in enumerate(related))
        com = "".join(
            f'<li class="comment"><div class="c-author">زائر {j + 1}</div><div class="c-body"><p>{e(c)}</p></div></li>'
            for j, c in enumerate(comments)
        )
        page = (
            f'<!DOCTYPE html><html lang="ar" dir="rtl"><head>{meta_head}</head><body>{_nav()}'
            f'<div class="breaking-bar"><span class="label">أحدث الأخبار|</span>{ticker_html}</div>'
            f'<div class="container"><div class="breadcrumb"><a href="/">الرئيسية</a> » <a href="/section/0">سياسة</a> » {e(title)}</div>'
            f'<article class="post"><div class="post-date">{e(dateline)}</div><h1 class="entry-title">{e(title)}</h1>'
            f'<div class="author-line">{e(source_line)}</div><p class="lead">{e(lead)}</p>'
            f'<div class="entry-content">{body}</div>'
            f'<div class="share-bar"><span>شارك:</span>{share}</div></article>'
            f'<aside class="related"><h3>اقرأ أيضا</h3><ul>{rel}</ul></aside>'
            f'<section id="comments"><h3>التعليقات</h3><ol class="comment-list">{com}</ol></section>'
            f"</div>{_footer()}</body></html>"
        )
    elif template == "br":
        marquee = " ".join(e(t) for t in ticker)
        body = "<br><br>\n".join(e(p) for p in paragraphs)
        rel = "".join(f'<td><a href="/n/{j}">{e(r)}</a></td>' for j, r in enumerate(related))
        com = "".join(f"<tr><td>زائر</td><td>{e(c)}</td></tr>" for c in comments)
        page = (
            f'<html dir="rtl"><head>{meta_head}</head><body><div id="wrap">{_nav()}'
            f'<div id="news-ticker"><b>أحدث الأخبار|</b><marquee direction="right">{marquee}</marquee></div>'
            f'<div id="main"><div class="right-col"><div class="news-date">{e(dateline)}</div>'
            f'<div class="path">{e(title)}</div><h1>{e(title)}</h1>'
            f'<div class="news-source">{e(source_line)}</div><h2 class="sub">{e(lead)}</h2>'
            f'<div class="news-text">{body}</div>'
            f'<div class="tools">{share}</div>'
            f'<div class="more"><div class="more-title">اقرأ أيضا</div><table><tr>{rel}</tr></table></div>'
            f'<div class="comments"><div class="c-title">التعليقات</div><table>{com}</table>'
            "<div>أضف تعليقك</div><textarea></textarea></div></div>"
            '<div class="left-col"><div class="most-read"><h4>الأكثر قراءة</h4>'
            + "".join(f'<div><a href="/n/{j}">{e(t)}</a></div>' for j, t in enumerate(ticker[:5]))
            + f"</div></div></div>{_footer()}</div></body></html>"
        )
    elif template == "ul":
        ticker_html = "".join(f'<li><a href="/n/{j}">{e(t)}</a></li>' for j, t in enumerate(ticker))
        cap = "صورة أرشيفية من موقع الحدث"
        body = f"<p>{e(paragraphs[0])}</p>"
        body += f'<figure><img src="/img/{i}.jpg" alt=""><figcaption>{e(cap)}</figcaption></figure>'
        body += "".join(f"<p>{e(p)}</p>" for p in paragraphs[1:-1])
        body += (
            '<blockquote class="twitter-tweet"><p lang="ar">تابعونا على تويتر لآخر المستجدات</p>'
            '&mdash; عاجل نيوز (@aajel) <a href="https://twitter.example/x">July 12, 2025</a></blockquote>'
        )
        body += f"<p>{e(paragraphs[-1])}</p>"
        cards = "".join(
            f'<div class="card"><a href="/n/{j}"><img src="/t/{j}.jpg"><h4>{e(r)}</h4></a></div>'
            for j, r in enumerate(related)
        )
        page = (
            f'<!doctype html><html lang="ar"><head>{meta_head}</head><body>{_nav()}'
            f'<section class="ticker"><h5>أحدث الأخبار|</h5><ul>{ticker_html}</ul></section>'
            f'<div class="page"><div class="content-col"><div class="post-header">'
            f'<span class="time">{e(dateline)}</span><div class="post-title"><h1>{e(title)}</h1></div>'
            f'<span class="src">{e(source_line)}</span></div>'
            f'<div class="summary">{e(lead)}</div><div id="article-body">{body}</div>'
            f'<ul class="share">' + "".join(f"<li>{e(s)}</li>" for s in SHARE) + "</ul>"
            f'<div class="related-topics"><h3>مواضيع ذات صلة</h3>{cards}</div>'
            f'<div id="comments"><h3>التعليقات ({len(comments)})</h3>'
            + "".join(f'<div class="cmt"><b>قارئ</b><p>{e(c)}</p></div>' for c in comments)
            + '</div></div><aside><div class="poll"><h4>استطلاع رأي</h4><p>هل تؤيد القرار؟</p>'
            '<label><input type="radio">نعم</label><label><input type="radio">لا</label></div></aside></div>'
            f"{_footer()}</body></html>"
        )
    elif template == "inline":
        dateline = dateline.translate(str.maketrans("0123456789", "٠١٢٣٤٥٦٧٨٩"))
        plain_ticker = "".join(
            f'<li><a href="/n/{j}">{e(t.replace("عاجل | ", ""))}</a></li>' for j, t in enumerate(ticker)
        )
        rel = "".join(f'<li><a href="/n/{j}">{e(r)}</a></li>' for j, r in enumerate(related[:3]))
        half = max(1, len(paragraphs) // 2)
        body = "".join(f"<p>{e(p)}</p>" for p in paragraphs[:half])
        body += f'<div class="inline-related"><h4>اقرأ أيضا</h4><ul>{rel}</ul></div>'
        body += "".join(f"<p>{e(p)}</p>" for p in paragraphs[half:])
        body += (
            "<p>الوسوم: "
            + "، ".join(f'<a href="/tag/{j}">{e(n)}</a>' for j, n in enumerate(NAV[1:4]))
            + "</p>"
        )
        body += (
            "<p>شارك الخبر: "
            + " ".join(f'<a href="/s/{j}">{e(s)}</a>' for j, s in enumerate(SHARE[:4]))
            + "</p>"
        )
        long_comments = "".join(
            f'<div class="comment"><span>{e(AUTHORS[j])}</span><p>{e(c)}. {e(SENTENCES[j])}</p></div>'
            for j, c in enumerate(comments)
        )
        page = (
            f'<!DOCTYPE html><html lang="ar" dir="rtl"><head>{meta_head}</head><body>{_nav()}'
            f'<div class="latest"><span>آخر الأخبار:</span><ul class="marquee">{plain_ticker}</ul></div>'
            f'<div id="content"><div class="single"><p class="meta-date">{e(dateline)}</p>'
            f'<h1 class="headline">{e(title)}</h1><p class="meta-src">{e(source_line)}</p>'
            f'<p class="excerpt">{e(lead)}</p><div class="single-body">{body}</div></div>'
            f'<div class="comments-area"><h3>التعليقات</h3>{long_comments}</div></div>'
            f"{_footer()}</body></html>"
        )
    else:
        ld = {
            "@context": "https://schema.org",
            "@type": "NewsArticle",
            "headline": title,
            "author": {"@type": "Person", "name": author},
            "datePublished": f"2025-{month:02d}-{day:02d}T{hour:02d}:{minute:02d}:00Z",
        }
        tags = "".join(f'<a class="tag" href="/tag/{j}">{e(n)}</a>' for j, n in enumerate(NAV[1:5]))
        body = "".join(f"<p>{e(p)}</p>" for p in paragraphs[:3])
        body += f'<p><strong>اقرأ أيضاً: </strong><a href="/n/77">{e(inline_related)}</a></p>'
        body += "".join(f"<p>{e(p)}</p>" for p in paragraphs[3:])
        page = (
            f'<!DOCTYPE html><html lang="ar" dir="rtl"><head>{meta_head}'
            f'<script type="application/ld+json">{json.dumps(ld, ensure_ascii=False)}</script></head><body>'
            f"{_nav()}"
            '<div class="urgent-strip" role="marquee"><span>أحدث الأخبار|</span>'
            + "".join(f"<span>{e(t)}</span>" for t in ticker)
            + f'</div><main><div class="art"><header class="art-head"><time datetime="2025-{month:02d}-{day:02d}">'
            f'{e(dateline)}</time><h1>{e(title)}</h1><p class="byline">{e(source_line)}</p>'
            f'<p class="standfirst">{e(lead)}</p></header><div class="art-body">{body}</div>'
            f'<div class="tags">{tags}</div><div class="newsletter"><h4>النشرة البريدية</h4>'
            '<p>اشترك ليصلك أهم الأخبار يومياً</p><input type="email"><button>اشترك</button></div>'
            f'<div class="share-links">{share}</div></div>'
            '<section class="comments"><h3>التعليقات</h3><p>لا توجد تعليقات بعد. كن أول من يعلّق!</p>'
            '<form><textarea placeholder="أضف تعليقاً"></textarea><button>إرسال</button></form></section>'
            f"</main>{_footer()}</body></html>"
        )
    gold = "\n".join([lead, *paragraphs]) + "\n"
    meta = {"title": title, "byline": author, "dateline": dateline, "lead": lead, "template": template}
    charset = "windows-1256" if i in (5, 14) else "utf-8"
    return page.replace("{charset}", charset), gold, meta, charset


def main() -> None:
    rng = random.Random(20250712)
    for i in range(N_PAGES):
        page, gold, meta, charset = build(i, rng)
        stem = f"seed_{i:02d}_{meta['template']}"
        (HERE / f"{stem}.html").write_bytes(page.encode(charset, errors="xmlcharrefreplace"))
        (HERE / f"{stem}.txt").write_text(gold, encoding="utf-8")
        (HERE / f"{stem}.json").write_text(
            json.dumps(meta, ensure_ascii=False, indent=1) + "\n", encoding="utf-8"
        )


if __name__ == "__main__":
    main()
