"""What subscribers read: pushes, commands, settings, digests (Arabic first, then English)."""

from __future__ import annotations

from bot.i18n.langs import Lang

MESSAGES: dict[str, dict[Lang, str]] = {
    "badge.flash": {"ar": "🔴🔴 عاجل جدًا", "en": "🔴🔴 FLASH"},
    "badge.urgent": {"ar": "🔴 عاجل", "en": "🔴 BREAKING"},
    "badge.normal": {"ar": "📰 خبر", "en": "📰 News"},
    "badge.update": {"ar": "🔄 تحديث", "en": "🔄 Update"},
    "button.full_article": {"ar": "📄 الخبر كاملًا", "en": "📄 Full article"},
    "button.open_link": {"ar": "🔗 المصدر", "en": "🔗 Source"},
    "welcome": {
        "ar": "أهلًا بك في عاجل! اختر المواضيع التي تريد أن تصلك أخبارها العاجلة:",
        "en": "Welcome to Aajel! Pick the topics whose breaking news you want:",
    },
    "topics.prompt": {
        "ar": "المواضيع (اضغط للاشتراك أو الإلغاء):",
        "en": "Topics (tap to subscribe or unsubscribe):",
    },
    "topics.none": {"ar": "لا توجد مواضيع بعد.", "en": "There are no topics yet."},
    "topic.subscribed": {"ar": "✅ اشتركت في: {topic}", "en": "✅ Subscribed to: {topic}"},
    "topic.unsubscribed": {"ar": "❎ ألغيت الاشتراك في: {topic}", "en": "❎ Unsubscribed from: {topic}"},
    "topic.unknown": {
        "ar": "لا يوجد موضوع باسم «{topic}». المواضيع المتاحة: {available}",
        "en": "There is no topic called “{topic}”. Available topics: {available}",
    },
    "article.usage": {
        "ar": "الاستخدام: /article <رقم الخبر أو رابطه>",
        "en": "Usage: /article <article number or link>",
    },
    "article.not_found": {"ar": "لم أجد هذا الخبر.", "en": "I could not find that article."},
    "article.failed": {
        "ar": "تعذّر جلب نص الخبر الآن. يمكنك قراءته هنا: {url}",
        "en": "I could not fetch the article text right now. You can read it here: {url}",
    },
    "article.not_allowed": {
        "ar": "لا أجلب إلا أخبار المصادر المعتمدة لدي.",
        "en": "I only fetch articles from the sources I follow.",
    },
    "article.page": {"ar": "صفحة {page}/{pages}", "en": "page {page}/{pages}"},
    "button.next_page": {"ar": "التالي ◀️", "en": "Next ▶️"},
    "button.prev_page": {"ar": "▶️ السابق", "en": "◀️ Previous"},
    "callback.stale": {
        "ar": "هذا الزر قديم أو غير صالح.",
        "en": "This button is out of date or invalid.",
    },
    "error.unavailable": {
        "ar": "الخدمة غير متاحة مؤقتًا، حاول مرة أخرى بعد دقيقة.",
        "en": "Temporarily unavailable; please try again in a minute.",
    },
    "error.generic": {
        "ar": "حدث خطأ غير متوقع، حاول مرة أخرى بعد قليل.",
        "en": "Something went wrong; please try again shortly.",
    },
    "source_line": {"ar": "المصدر: {source}", "en": "Source: {source}"},
    "topic_line": {"ar": "الموضوع: {topics}", "en": "Topic: {topics}"},
    "push.corrected": {"ar": "✏️ تصحيح", "en": "✏️ Corrected"},
    "push.retracted": {
        "ar": "❌ سُحب هذا الخبر، نعتذر عن الخطأ.",
        "en": "❌ This alert was retracted. We apologise for the error.",
    },
    # --- subscribers (issue 5) -------------------------------------------------------------------
    "welcome.group": {
        "ar": "أهلًا! سأرسل إلى هذه المجموعة الأخبار العاجلة في المواضيع التي يختارها المشرفون:",
        "en": "Hello! I will send this group breaking news on the topics its admins pick:",
    },
    "welcome.thread": {
        "ar": "أهلًا! اختر مواضيع هذا الموضوع الفرعي (تصل أخبارها إلى هنا فقط):",
        "en": "Hello! Pick the topics for this thread (their news arrives here only):",
    },
    "help": {
        "ar": (
            "عاجل يرسل إليك الأخبار العاجلة في المواضيع التي تختارها، ويعرض نص الخبر كاملًا.\n\n"
            "/topics — المواضيع (اضغط للاشتراك أو الإلغاء)\n"
            "/subscribe موضوع — الاشتراك في موضوع (بالعربية أو الإنجليزية)\n"
            "/unsubscribe موضوع — إلغاء الاشتراك (أو: /unsubscribe الكل)\n"
            "/mytopics — اشتراكاتك\n"
            "/latest [موضوع] — آخر العناوين\n"
            "/article رقم أو رابط — نص الخبر كاملًا\n"
            "/settings — العاجل فقط أو كل الأخبار، ساعات الهدوء، المنطقة الزمنية، اللغة\n"
            "/stop — إلغاء كل الاشتراكات وحذف بياناتك\n\n"
            "في المجموعات يغيّر الاشتراكات المشرفون فقط؛ وفي المنتديات يخص الاشتراك الموضوع الفرعي الذي كُتب فيه الأمر."
        ),
        "en": (
            "Aajel sends you breaking news on the topics you pick and shows the full article text.\n\n"
            "/topics — topics (tap to subscribe or unsubscribe)\n"
            "/subscribe topic — subscribe to a topic (Arabic or English name)\n"
            "/unsubscribe topic — unsubscribe (or: /unsubscribe all)\n"
            "/mytopics — your subscriptions\n"
            "/latest [topic] — the latest headlines\n"
            "/article id or link — the full article\n"
            "/settings — urgent only or all news, quiet hours, time zone, language\n"
            "/stop — unsubscribe from everything and delete your data\n\n"
            "In groups only admins change subscriptions; in forums a subscription belongs to the thread "
            "where the command was sent."
        ),
    },
    "topics.prompt.thread": {
        "ar": "مواضيع هذا الموضوع الفرعي (اضغط للاشتراك أو الإلغاء):",
        "en": "Topics for this thread (tap to subscribe or unsubscribe):",
    },
    "topic.already": {"ar": "أنت مشترك أصلًا في: {topic}", "en": "Already subscribed to: {topic}"},
    "topic.not_subscribed": {"ar": "لست مشتركًا في: {topic}", "en": "You are not subscribed to: {topic}"},
    "subscribe.usage": {
        "ar": "الاستخدام: /subscribe <موضوع>، مثل /subscribe اقتصاد\nالمواضيع المتاحة: {available}",
        "en": "Usage: /subscribe <topic>, e.g. /subscribe economy\nAvailable topics: {available}",
    },
    "unsubscribe.usage": {
        "ar": "الاستخدام: /unsubscribe <موضوع> أو /unsubscribe الكل",
        "en": "Usage: /unsubscribe <topic> or /unsubscribe all",
    },
    "unsubscribe.all": {
        "ar": "ألغيت كل الاشتراكات ({count}). يمكنك الاشتراك من جديد عبر /topics",
        "en": "Unsubscribed from everything ({count}). Subscribe again with /topics",
    },
    "mytopics.none": {
        "ar": "لا اشتراكات بعد. اختر مواضيعك عبر /topics",
        "en": "No subscriptions yet. Pick your topics with /topics",
    },
    "mytopics.header": {"ar": "اشتراكاتك:", "en": "Your subscriptions:"},
    "mytopics.thread": {"ar": "(الموضوع الفرعي {thread})", "en": "(thread {thread})"},
    "level.urgent": {"ar": "العاجل فقط", "en": "urgent only"},
    "level.all": {"ar": "كل الأخبار (موجز)", "en": "all news (digest)"},
    "latest.header": {"ar": "📰 آخر العناوين:", "en": "📰 Latest headlines:"},
    "latest.header_topic": {"ar": "📰 آخر عناوين «{topic}»:", "en": "📰 Latest headlines in “{topic}”:"},
    "latest.none": {"ar": "لا توجد عناوين بعد.", "en": "There are no headlines yet."},
    "latest.hint": {
        "ar": "اضغط رقمًا لقراءة الخبر كاملًا.",
        "en": "Tap a number to read the full article.",
    },
    "settings.title": {"ar": "⚙️ الإعدادات", "en": "⚙️ Settings"},
    "settings.language": {"ar": "اللغة: {value}", "en": "Language: {value}"},
    "settings.timezone": {
        "ar": "المنطقة الزمنية: {value} (الساعة الآن {time})",
        "en": "Time zone: {value} (now {time})",
    },
    "settings.quiet": {
        "ar": "ساعات الهدوء: {value} — تنتظر الموجزات انتهاءها، والعاجل يصل دائمًا",
        "en": "Quiet hours: {value} — digests wait until they end; breaking news always arrives",
    },
    "settings.quiet_off": {"ar": "غير مفعّلة", "en": "off"},
    "settings.topics": {"ar": "المواضيع:", "en": "Topics:"},
    "settings.no_topics": {
        "ar": "لا اشتراكات بعد (/topics).",
        "en": "No subscriptions yet (/topics).",
    },
    "settings.digest_every": {
        "ar": "يصل موجز «كل الأخبار» مرة كل {minutes} دقيقة على الأكثر.",
        "en": "“All news” arrives as a digest at most every {minutes} minutes.",
    },
    "settings.hint": {
        "ar": (
            "اضغط زرًا، أو اكتب:\n/settings lang ar|en\n/settings tz Asia/Riyadh\n"
            "/settings quiet 23:00-07:00 (أو off)\n/settings level اقتصاد all|urgent"
        ),
        "en": (
            "Tap a button, or send:\n/settings lang ar|en\n/settings tz Asia/Riyadh\n"
            "/settings quiet 23:00-07:00 (or off)\n/settings level economy all|urgent"
        ),
    },
    "settings.saved": {"ar": "✅ حُفظ.", "en": "✅ Saved."},
    "settings.lang_saved": {"ar": "✅ اللغة الآن: العربية", "en": "✅ Language is now: English"},
    "settings.tz_saved": {"ar": "✅ المنطقة الزمنية الآن: {value}", "en": "✅ Time zone is now: {value}"},
    "settings.quiet_saved": {"ar": "✅ ساعات الهدوء: {value}", "en": "✅ Quiet hours: {value}"},
    "settings.level_saved": {"ar": "✅ {topic}: {level}", "en": "✅ {topic}: {level}"},
    "settings.usage": {
        "ar": "لم أفهم هذا الإعداد.\n{hint}",
        "en": "I did not understand that setting.\n{hint}",
    },
    "settings.bad_language": {
        "ar": "لغة غير معروفة: «{value}». المتاح: ar (العربية) أو en (English).",
        "en": "Unknown language “{value}”. Choose ar (العربية) or en (English).",
    },
    "settings.bad_timezone": {
        "ar": "منطقة زمنية غير معروفة: «{value}». اكتبها بصيغة المنطقة/المدينة، مثل Asia/Riyadh أو Africa/Cairo.",
        "en": "Unknown time zone “{value}”. Use the Area/City form, e.g. Asia/Riyadh or Europe/London.",
    },
    "settings.bad_quiet": {
        "ar": "لم أفهم ساعات الهدوء «{value}». اكتبها مثل 23:00-07:00، أو off لإيقافها.",
        "en": "I could not read the quiet hours “{value}”. Write them like 23:00-07:00, or off.",
    },
    "settings.level_usage": {
        "ar": "الاستخدام: /settings level <موضوع> urgent|all (urgent: العاجل فقط، all: كل الأخبار)",
        "en": "Usage: /settings level <topic> urgent|all",
    },
    "settings.tz_prompt": {
        "ar": "اختر منطقتك الزمنية، أو اكتب /settings tz المنطقة/المدينة:",
        "en": "Pick your time zone, or send /settings tz Area/City:",
    },
    "settings.quiet_prompt": {
        "ar": "اختر ساعات الهدوء (بتوقيتك {tz})، أو اكتب /settings quiet 23:00-07:00:",
        "en": "Pick quiet hours (your time, {tz}), or send /settings quiet 23:00-07:00:",
    },
    "button.language": {"ar": "🌐 English", "en": "🌐 العربية"},
    "button.timezone": {"ar": "🕒 المنطقة الزمنية", "en": "🕒 Time zone"},
    "button.quiet": {"ar": "🌙 ساعات الهدوء", "en": "🌙 Quiet hours"},
    "button.quiet_off": {"ar": "إيقاف", "en": "Off"},
    "button.back": {"ar": "↩️ رجوع", "en": "↩️ Back"},
    "button.level": {"ar": "{topic}: {level}", "en": "{topic}: {level}"},
    "stop.done": {
        "ar": "تم. ألغيت كل الاشتراكات وحذفت بياناتك (الإعدادات والاشتراكات وسجل الرسائل المرسلة). للعودة: /start",
        "en": "Done. All subscriptions are cancelled and your data is deleted (settings, subscriptions and "
        "the record of messages sent). To come back: /start",
    },
    "stop.nothing": {
        "ar": "لا أحتفظ بأي بيانات لهذه المحادثة. للبدء: /start",
        "en": "I keep no data for this chat. To begin: /start",
    },
    "group.admin_only": {
        "ar": "عذرًا، يغيّر اشتراكات هذه المجموعة وإعداداتها مشرفوها فقط.",
        "en": "Sorry, only this group's admins can change its subscriptions and settings.",
    },
    "chat.channel": {
        "ar": "لا أتلقى الأوامر في القنوات. تُدار تغذية القنوات من المحررين؛ وللاشتراك الشخصي راسلني في محادثة خاصة.",
        "en": "I do not take commands in channels. Channel feeds are managed by the editors; to subscribe "
        "yourself, message me in a private chat.",
    },
    "chat.thread_only_forum": {
        "ar": "هذا الأمر يخص المحادثة كلها؛ اكتبه في الموضوع العام للمنتدى.",
        "en": "This command applies to the whole chat; send it in the forum's General topic.",
    },
    "input.too_long": {
        "ar": "النص طويل جدًا (الحد {limit} حرفًا).",
        "en": "That is too long (the limit is {limit} characters).",
    },
    "command.unknown": {
        "ar": "لا أعرف هذا الأمر. الأوامر المتاحة: /help",
        "en": "I don't know that command. See /help",
    },
    "text.hint": {
        "ar": "أنا أفهم الأوامر فقط. جرّب /topics لاختيار المواضيع أو /help للمساعدة.",
        "en": "I understand commands only. Try /topics to pick topics or /help.",
    },
    "article.not_allowed_link": {
        "ar": "لا أجلب إلا أخبار المصادر المعتمدة لدي، ولن أفتح هذا الرابط: {url}",
        "en": "I only fetch articles from the sources I follow, so I will not open this link: {url}",
    },
    "article.not_found_link": {
        "ar": "لم أجد هذا الخبر لدي. يمكنك قراءته هنا: {url}",
        "en": "I could not find that article here. You can read it at: {url}",
    },
    "digest.title": {"ar": "موجز الأخبار: {count} جديدة", "en": "News digest: {count} new"},
    "digest.more": {"ar": "… و{count} غيرها", "en": "… and {count} more"},
    "digest.until": {"ar": "حتى {time}", "en": "up to {time}"},
}
