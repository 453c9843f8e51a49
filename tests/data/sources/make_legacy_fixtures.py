# Generates the legacy-encoded Arabic fixtures (kept in the repo; this script documents how they were made).
from pathlib import Path

here = Path(__file__).resolve().parent
items = [
    (
        "عاجل | ترمب يفرض 30% جمارك على واردات أوروبا",
        "https://wire.example.net/ar/2001",
        "سياسة",
        "Sat, 12 Jul 2025 16:30:00 GMT",
    ),
    (
        "إسرائيل تطلب استعادة أبقارها من لبنان",
        "https://wire.example.net/ar/2002",
        "أخبار سياسية",
        "Sat, 12 Jul 2025 16:10:00 +0300",
    ),
    (
        "وزارة الصحة: لقاحٌ جديد ضدّ الكوليرا",
        "https://wire.example.net/ar/2003",
        "صحة",
        "Sat, 12 Jul 2025 15:00:00 GMT",
    ),
]


def rss(decl):
    out = [
        f'<?xml version="1.0"{decl}?>',
        '<rss version="2.0"><channel><title>وكالة تجريبية</title>',
        "<link>https://wire.example.net/ar/</link><description>آخر الأخبار</description>",
    ]
    for i, (t, link, c, d) in enumerate(items):
        out.append(
            f'<item><title>{t}</title><link>{link}</link><guid isPermaLink="false">wire-{2001 + i}</guid>'
            f"<category>{c}</category><pubDate>{d}</pubDate><description>&lt;p&gt;{t} &amp;amp; تفاصيل&lt;/p&gt;</description></item>"
        )
    out.append("</channel></rss>\n")
    return "\n".join(out)


(here / "arabic_cp1256.rss").write_bytes(rss(' encoding="windows-1256"').encode("cp1256"))
# ISO-8859-6 with NO declaration at all: only the source language can save it.
(here / "arabic_iso8859_6_undeclared.rss").write_bytes(rss("").encode("iso-8859-6"))
