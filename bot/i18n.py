"""User-facing strings in Arabic (the default) and English.

A plain catalogue rather than gettext: the bot has a few dozen strings, two languages, and the
translators are the newsroom's own editors, who edit this file. Every key must exist in both
languages (a test checks it). Values are *plain text templates*: callers escape what they insert
(``str.format`` arguments go through ``html.quote`` before formatting when the result is HTML).
"""

from __future__ import annotations

from typing import Literal

Lang = Literal["ar", "en"]
LANGS: tuple[Lang, ...] = ("ar", "en")

CATALOGUE: dict[str, dict[Lang, str]] = {
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


# --- editors, the newsroom and ops notices (all keys under "editor.") ---------------------------------
CATALOGUE.update(
    {
        "editor.refused": {
            "ar": "عذرًا، هذا الأمر مخصّص لمحرري غرفة الأخبار فقط.",
            "en": "Sorry, this command is for the newsroom's editors only.",
        },
        "editor.admin_only": {
            "ar": "هذا الإجراء لمشرفي المحررين فقط.",
            "en": "Only admin editors can do this.",
        },
        "editor.usage": {
            "ar": "الاستخدام: /editor add <رقم المستخدم> [الاسم] | /editor remove <رقم المستخدم> | /editor list",
            "en": "Usage: /editor add <user id> [name] | /editor remove <user id> | /editor list",
        },
        "editor.bad_id": {
            "ar": "«{value}» ليس رقم مستخدم تيليغرام صالحًا.",
            "en": "“{value}” is not a valid Telegram user id.",
        },
        "editor.added": {"ar": "✅ أصبح {name} محررًا.", "en": "✅ {name} is now an editor."},
        "editor.already": {"ar": "{name} محرر بالفعل.", "en": "{name} is already an editor."},
        "editor.removed": {"ar": "🗑 لم يعد {name} محررًا.", "en": "🗑 {name} is no longer an editor."},
        "editor.not_found": {"ar": "لا يوجد محرر بالرقم {id}.", "en": "There is no editor with id {id}."},
        "editor.cannot_remove_self": {
            "ar": "لا يمكنك إزالة نفسك.",
            "en": "You cannot remove yourself.",
        },
        "editor.cannot_remove_configured": {
            "ar": "هذا المشرف معرّف في إعداد EDITOR_IDS؛ أزله من هناك.",
            "en": "This admin is configured in EDITOR_IDS; remove them there.",
        },
        "editor.list.title": {"ar": "المحررون ({count}):", "en": "Editors ({count}):"},
        "editor.list.admin": {"ar": " · مشرف", "en": " · admin"},
        "editor.compose.prompt": {
            "ar": "أرسل نص التنبيه: السطر الأول هو العنوان، والأسطر التالية تفاصيل اختيارية، "
            "ورابط اختياري في السطر الأخير. للإلغاء: /cancel",
            "en": "Send the alert text: the first line is the headline, further lines are optional "
            "details, and an optional link goes on the last line. To cancel: /cancel",
        },
        "editor.compose.above": {
            "ar": "👆 هذا ما سيصل إلى المشتركين بالضبط.",
            "en": "👆 This is exactly what subscribers will receive.",
        },
        "editor.compose.topics": {"ar": "المواضيع: {topics}", "en": "Topics: {topics}"},
        "editor.compose.no_topics": {"ar": "لم تختر بعد", "en": "none chosen yet"},
        "editor.compose.level": {"ar": "المستوى: {level}", "en": "Level: {level}"},
        "editor.compose.audience": {
            "ar": "سيصل إلى {count} محادثة.",
            "en": "It will reach {count} chats.",
        },
        "editor.compose.hint": {
            "ar": "اختر المواضيع والمستوى ثم اضغط «إرسال».",
            "en": "Pick topics and the level, then press “Send”.",
        },
        "editor.compose.no_topics_configured": {
            "ar": "لا توجد مواضيع معرّفة بعد؛ أضفها في ملف المصادر.",
            "en": "No topics are configured yet; add them to the sources file.",
        },
        "editor.compose.pick_topic": {
            "ar": "اختر موضوعًا واحدًا على الأقل قبل الإرسال.",
            "en": "Pick at least one topic before sending.",
        },
        "editor.compose.cancelled": {
            "ar": "✖️ أُلغي التنبيه ولم يُرسل شيء.",
            "en": "✖️ Alert cancelled; nothing was sent.",
        },
        "editor.compose.expired": {
            "ar": "هذه المسودة لم تعد صالحة. ابدأ من جديد بـ /alert",
            "en": "This draft is no longer valid. Start again with /alert",
        },
        "editor.compose.sent": {
            "ar": "📤 أُرسل التنبيه #{id} إلى {count} محادثة.",
            "en": "📤 Alert #{id} is going out to {count} chats.",
        },
        "editor.compose.already_sent": {
            "ar": "هذا التنبيه أُرسل من قبل (#{id}).",
            "en": "This alert was already sent (#{id}).",
        },
        "editor.level.flash": {"ar": "🔴🔴 عاجل جدًا", "en": "🔴🔴 Flash"},
        "editor.level.urgent": {"ar": "🔴 عاجل", "en": "🔴 Urgent"},
        "editor.button.send": {"ar": "📤 إرسال", "en": "📤 Send"},
        "editor.button.cancel": {"ar": "✖️ إلغاء", "en": "✖️ Cancel"},
        "editor.draft.empty": {
            "ar": "النص فارغ. أرسل عنوان التنبيه.",
            "en": "The text is empty. Send the alert's headline.",
        },
        "editor.draft.not_text": {
            "ar": "أرسل نص التنبيه كرسالة نصية (أو /cancel).",
            "en": "Send the alert as a text message (or /cancel).",
        },
        "editor.draft.only_url": {
            "ar": "أرسل عنوانًا في السطر الأول؛ الرابط يأتي في السطر الأخير.",
            "en": "Put a headline on the first line; the link goes on the last line.",
        },
        "editor.draft.bad_url": {
            "ar": "الرابط غير صالح: {url} (يجب أن يبدأ بـ http:// أو https://)",
            "en": "The link is not valid: {url} (it must start with http:// or https://)",
        },
        "editor.draft.headline_too_long": {
            "ar": "العنوان طويل جدًا ({length} حرفًا؛ الحد {limit}). اختصره وأرسله من جديد.",
            "en": "The headline is too long ({length} characters; the limit is {limit}). Shorten it and send again.",
        },
        "editor.draft.body_too_long": {
            "ar": "التفاصيل طويلة جدًا ({length} حرفًا؛ الحد {limit}). اختصرها وأرسلها من جديد.",
            "en": "The details are too long ({length} characters; the limit is {limit}). Shorten them and send again.",
        },
        "editor.progress.send.running": {
            "ar": "📤 التنبيه #{id}: جارٍ الإرسال",
            "en": "📤 Alert #{id}: sending",
        },
        "editor.progress.send.done": {
            "ar": "✅ التنبيه #{id}: اكتمل الإرسال",
            "en": "✅ Alert #{id}: delivery finished",
        },
        "editor.progress.correct.running": {
            "ar": "✏️ تصحيح التنبيه #{id}: جارٍ تعديل النسخ",
            "en": "✏️ Correcting alert #{id}: editing copies",
        },
        "editor.progress.correct.done": {
            "ar": "✅ تصحيح التنبيه #{id}: اكتمل",
            "en": "✅ Correction of alert #{id}: finished",
        },
        "editor.progress.retract.running": {
            "ar": "🗑 سحب التنبيه #{id}: جارٍ",
            "en": "🗑 Retracting alert #{id}: in progress",
        },
        "editor.progress.retract.done": {
            "ar": "✅ سحب التنبيه #{id}: اكتمل",
            "en": "✅ Retraction of alert #{id}: finished",
        },
        "editor.progress.send.counts": {
            "ar": "أُرسل {sent} · فشل {failed} · متبقٍ {remaining} · أُلغي {cancelled} · من {total}",
            "en": "sent {sent} · failed {failed} · remaining {remaining} · cancelled {cancelled} · of {total}",
        },
        "editor.progress.edit.counts": {
            "ar": "عُدّل {done} · فشل {failed} · متبقٍ {remaining} · من {total}",
            "en": "edited {done} · failed {failed} · remaining {remaining} · of {total}",
        },
        "editor.progress.rate": {
            "ar": "⚡ {rate} رسالة/ث · المتبقي ≈ {eta}",
            "en": "⚡ {rate} msg/s · about {eta} left",
        },
        "editor.progress.rate_unknown": {"ar": "⚡ جارٍ قياس السرعة…", "en": "⚡ measuring the rate…"},
        "editor.progress.took": {"ar": "⏱ المدة: {took}", "en": "⏱ took {took}"},
        "editor.progress.span": {
            "ar": "من أول رسالة إلى آخرها: {span}",
            "en": "first to last push: {span}",
        },
        "editor.progress.seconds": {"ar": "{n} ث", "en": "{n}s"},
        "editor.progress.minutes": {"ar": "{m} د {s} ث", "en": "{m}m {s}s"},
        "editor.progress.hours": {"ar": "{h} س {m} د", "en": "{h}h {m}m"},
        "editor.correct.usage": {
            "ar": "الاستخدام: /correct <رقم التنبيه> <النص المصحح>، أو ردًا على معاينة التنبيه أو رسالة حالته: "
            "/correct <النص المصحح>",
            "en": "Usage: /correct <alert id> <corrected text>, or as a reply to the alert's preview or status "
            "message: /correct <corrected text>",
        },
        "editor.correct.prompt": {
            "ar": "أرسل النص المصحح للتنبيه #{id} (أو /cancel).",
            "en": "Send the corrected text for alert #{id} (or /cancel).",
        },
        "editor.correct.started": {
            "ar": "✏️ تصحيح التنبيه #{id}: {count} نسخة ستُعدّل.",
            "en": "✏️ Correcting alert #{id}: {count} copies to edit.",
        },
        "editor.retract.usage": {
            "ar": "الاستخدام: /retract <رقم التنبيه>، أو ردًا على معاينة التنبيه أو رسالة حالته: /retract",
            "en": "Usage: /retract <alert id>, or as a reply to the alert's preview or status message: /retract",
        },
        "editor.retract.started": {
            "ar": "🗑 سحب التنبيه #{id}: {count} نسخة ستتأثر.",
            "en": "🗑 Retracting alert #{id}: {count} copies affected.",
        },
        "editor.alert.not_found": {"ar": "لا يوجد تنبيه بالرقم {id}.", "en": "There is no alert #{id}."},
        "editor.alert.unknown_reply": {
            "ar": "لم أعرف أي تنبيه تقصد من الرسالة التي رددت عليها. {usage}",
            "en": "I could not tell which alert the message you replied to belongs to. {usage}",
        },
        "editor.alert.rejected": {"ar": "تعذّر ذلك: {reason}", "en": "That did not work: {reason}"},
        "editor.history.title": {"ar": "🗂 آخر التنبيهات:", "en": "🗂 Recent alerts:"},
        "editor.history.empty": {"ar": "لا توجد تنبيهات بعد.", "en": "There are no alerts yet."},
        "editor.history.counts": {
            "ar": "✅ {sent} · ❌ {failed} · ⏳ {pending} · من {total}",
            "en": "✅ {sent} · ❌ {failed} · ⏳ {pending} · of {total}",
        },
        "editor.history.by_editor": {"ar": "أرسله {name}", "en": "sent by {name}"},
        "editor.history.by_cms": {"ar": "عبر نظام إدارة المحتوى", "en": "via the CMS"},
        "editor.history.by_source": {"ar": "من المصدر {source}", "en": "from {source}"},
        "editor.history.kind.story": {"ar": "من المصادر", "en": "from the sources"},
        "editor.history.kind.editor": {"ar": "من المحررين", "en": "from the editors"},
        "editor.history.kind.digest": {"ar": "موجز", "en": "digest"},
        "editor.history.kind.escalation": {"ar": "تصعيد خبر من المصادر", "en": "a story escalated"},
        "editor.history.kind.update": {"ar": "تحديث خبر من المصادر", "en": "a story update"},
        "editor.history.state.corrected": {"ar": " · مُصحَّح", "en": " · corrected"},
        "editor.history.state.retracted": {"ar": " · مسحوب", "en": " · retracted"},
        "editor.stats.title": {"ar": "📊 آخر 24 ساعة", "en": "📊 The last 24 hours"},
        "editor.stats.subscribers": {
            "ar": "المشتركون النشطون: {count}",
            "en": "Active subscribers: {count}",
        },
        "editor.stats.topic": {
            "ar": "• {topic}: {subscribers} مشترك · {channels} قناة",
            "en": "• {topic}: {subscribers} subscribers · {channels} channels",
        },
        "editor.stats.alerts": {
            "ar": "التنبيهات: {total} (من المصادر {story} · من المحررين {editor} · موجزات {digest})",
            "en": "Alerts: {total} (sources {story} · editors {editor} · digests {digest})",
        },
        "editor.stats.deliveries": {
            "ar": "الرسائل: أُرسل {sent} · فشل {failed} · بالانتظار {pending} · أُلغي {cancelled}",
            "en": "Messages: sent {sent} · failed {failed} · waiting {pending} · cancelled {cancelled}",
        },
        "editor.stats.rates": {
            "ar": "نسبة النجاح: {success} · المعدل: {per_minute} رسالة/دقيقة",
            "en": "Success rate: {success} · average {per_minute} messages/minute",
        },
        "editor.stats.latency": {
            "ar": "الوسيط من رصد الخبر إلى أول إرسال: {latency}",
            "en": "Median from detection to first push: {latency}",
        },
        "editor.stats.sources": {
            "ar": "المصادر: {total} (المتعطلة: {unhealthy})",
            "en": "Sources: {total} ({unhealthy} unhealthy)",
        },
        "editor.ops.source_unhealthy": {
            "ar": "⚠️ المصدر «{source}» متعطل بعد {failures} محاولات فاشلة متتالية.\nآخر خطأ: {error}",
            "en": "⚠️ Source “{source}” is unhealthy after {failures} failures in a row.\nLast error: {error}",
        },
        "editor.ops.source_stale": {
            "ar": "⏰ المصدر «{source}» لم ينجح منذ {age} (فاصل الجلب {interval}).",
            "en": "⏰ Source “{source}” has not succeeded for {age} (polled every {interval}).",
        },
        "editor.ops.source_recovered": {
            "ar": "✅ المصدر «{source}» عاد للعمل.",
            "en": "✅ Source “{source}” is working again.",
        },
        "editor.ops.pulse_sources": {
            "ar": "🫀 لم ينجح أي مصدر منذ {age}: لا أخبار جديدة تصل.",
            "en": "🫀 No source has succeeded for {age}: no news is coming in.",
        },
        "editor.ops.pulse_deliveries": {
            "ar": "🫀 رسائل مستحقة تنتظر منذ {age} ولم يُرسل شيء.",
            "en": "🫀 Due deliveries have waited {age} with nothing sent.",
        },
        "editor.ops.pulse_ok": {
            "ar": "✅ عاد النبض: {what} بخير.",
            "en": "✅ Pulse back: {what} fine again.",
        },
        "editor.ops.bulk_failures": {
            "ar": "🚨 التنبيه #{id}: فشل {failed} من {total} رسالة.\nالأسباب: {reasons}",
            "en": "🚨 Alert #{id}: {failed} of {total} deliveries failed.\nReasons: {reasons}",
        },
    }
)


# --- channels (editors' /channels, membership notices) ------------------------------------------------
CATALOGUE.update(
    {
        "channel.list.title": {"ar": "📣 القنوات ({count}):", "en": "📣 Channels ({count}):"},
        "channel.list.empty": {
            "ar": "لا توجد قنوات بعد. أضفني مشرفًا في قناتك، أو أرسل /channels add ثم أعد توجيه منشور منها أو اكتب @اسمها.",
            "en": "No channels yet. Add me to your channel as an administrator, or send /channels add and then "
            "forward a post from it or type its @username.",
        },
        "channel.list.hint": {
            "ar": "اضغط على قناة لتغيير مواضيعها ومستواها. لإضافة قناة: /channels add",
            "en": "Tap a channel to change its topics and level. To add one: /channels add",
        },
        "channel.line": {
            "ar": "• {label} — {status} · {level} · المواضيع: {topics}",
            "en": "• {label} — {status} · {level} · topics: {topics}",
        },
        "channel.panel": {
            "ar": "📣 {label}\nالحالة: {status}\nالمستوى: {level}\nالمواضيع: {topics}",
            "en": "📣 {label}\nStatus: {status}\nLevel: {level}\nTopics: {topics}",
        },
        "channel.panel.file": {
            "ar": "تُدار هذه القناة من ملف المصادر؛ غيّرها هناك ثم نفّذ aajel sources import.",
            "en": "This channel is managed by the sources file: change it there, then run aajel sources import.",
        },
        "channel.status.active": {"ar": "🟢 نشطة", "en": "🟢 active"},
        "channel.status.missing_rights": {
            "ar": "🟠 تنقصني صلاحية النشر",
            "en": "🟠 missing rights (I may not post)",
        },
        "channel.status.paused": {"ar": "⏸ متوقفة مؤقتًا", "en": "⏸ paused"},
        "channel.status.removed": {"ar": "🔴 أُزلت منها", "en": "🔴 removed"},
        "channel.level.urgent": {"ar": "العاجل فقط", "en": "breaking only"},
        "channel.level.all": {"ar": "كل الأخبار", "en": "all news"},
        "channel.topics.none": {"ar": "لا شيء", "en": "none"},
        "channel.button.level_all": {"ar": "المستوى: كل الأخبار", "en": "Level: all news"},
        "channel.button.level_urgent": {"ar": "المستوى: العاجل فقط", "en": "Level: breaking only"},
        "channel.button.pause": {"ar": "⏸ إيقاف", "en": "⏸ Pause"},
        "channel.button.resume": {"ar": "▶️ استئناف", "en": "▶️ Resume"},
        "channel.button.back": {"ar": "↩️ القنوات", "en": "↩️ Channels"},
        "channel.add.prompt": {
            "ar": "أعد توجيه منشور من القناة إليّ، أو اكتب @اسم_القناة. (/cancel للإلغاء)",
            "en": "Forward me a post from the channel, or type its @username. (/cancel to stop)",
        },
        "channel.add.not_channel": {
            "ar": "هذا ليس منشورًا من قناة ولا @اسم قناة. أعد توجيه منشور من القناة أو اكتب @اسمها.",
            "en": "That is neither a post forwarded from a channel nor a channel's @username. Try again.",
        },
        "channel.add.not_found": {
            "ar": "لم أجد القناة {chat}. هل هي عامة؟ أضفني إليها مشرفًا أولًا.",
            "en": "I cannot find the channel {chat}. Is it public? Add me to it as an administrator first.",
        },
        "channel.registered": {
            "ar": "📣 سُجّلت القناة «{label}». اختر مواضيعها من /channels",
            "en": "📣 Channel “{label}” registered. Choose its topics in /channels",
        },
        "channel.reactivated": {
            "ar": "✅ عادت القناة «{label}» للعمل.",
            "en": "✅ Channel “{label}” is active again.",
        },
        "channel.missing_rights": {
            "ar": "⚠️ لا أستطيع النشر في «{label}»: اجعلني مشرفًا بصلاحية «نشر الرسائل».",
            "en": "⚠️ I cannot post in “{label}”: make me an administrator allowed to “Post messages”.",
        },
        "channel.removed": {
            "ar": "⛔ أُزلت من القناة «{label}»؛ أوقفت النشر فيها.",
            "en": "⛔ I was removed from the channel “{label}”; it is deactivated.",
        },
        "channel.unchanged": {
            "ar": "القناة «{label}» مسجلة: {status}",
            "en": "Channel “{label}” is registered: {status}",
        },
        "channel.ops": {
            "ar": "📣 قناة «{label}» ({chat_id}): {what} — بواسطة {actor}",
            "en": "📣 Channel “{label}” ({chat_id}): {what} — by {actor}",
        },
        "channel.managed_by_file": {
            "ar": "تُدار هذه القناة من ملف المصادر.",
            "en": "This channel is managed by the sources file.",
        },
        "channel.gone": {"ar": "لم تعد هذه القناة موجودة.", "en": "That channel no longer exists."},
        "channel.deep_link.unknown": {
            "ar": "هذا الرابط لا يشير إلى خبر أعرفه.",
            "en": "That link does not point to an article I know.",
        },
    }
)

# --- the editors' console in the browser (all keys under "console."; see bot/console) ----------------
CATALOGUE.update(
    {
        "console.link": {
            "ar": "🔐 رابط الدخول إلى لوحة المحررين (صالح {minutes} دقائق، لمرة واحدة):\n{url}",
            "en": "🔐 Your sign-in link to the editors' console (valid {minutes} minutes, once):\n{url}",
        },
        "console.unavailable": {
            "ar": "لوحة المحررين غير متاحة: خادم HTTP لا يعمل على عنوان معروف (اضبط API__PUBLIC_URL).",
            "en": "The editors' console is not available: the HTTP server has no known address "
            "(set API__PUBLIC_URL).",
        },
        "console.title": {"ar": "لوحة المحررين", "en": "Editors' console"},
        "console.brand": {"ar": "عاجل · لوحة المحررين", "en": "Aajel · Editors' console"},
        "console.skip": {"ar": "انتقل إلى المحتوى", "en": "Skip to content"},
        "console.nav.label": {"ar": "أقسام اللوحة", "en": "Console sections"},
        "console.nav.compose": {"ar": "تنبيه جديد", "en": "New alert"},
        "console.nav.history": {"ar": "السجل", "en": "History"},
        "console.nav.sources": {"ar": "المصادر", "en": "Sources"},
        "console.nav.channels": {"ar": "القنوات والمواضيع", "en": "Channels and topics"},
        "console.nav.stats": {"ar": "الإحصاءات", "en": "Statistics"},
        "console.signed_in_as": {"ar": "المحرر: {name}", "en": "Editor: {name}"},
        "console.signout": {"ar": "تسجيل الخروج", "en": "Sign out"},
        "console.signin.title": {"ar": "الدخول إلى لوحة المحررين", "en": "Sign in to the editors' console"},
        "console.signin.how": {
            "ar": "أرسل الأمر /console إلى البوت في محادثتك الخاصة معه، وسيصلك رابط دخول صالح لخمس دقائق.",
            "en": "Send /console to the bot in your private chat with it; it answers with a sign-in link "
            "valid for five minutes.",
        },
        "console.signin.confirm": {
            "ar": "هذا رابط دخول لمرة واحدة. اضغط الزر للدخول من هذا المتصفح.",
            "en": "This is a one-time sign-in link. Press the button to sign in on this browser.",
        },
        "console.signin.button": {"ar": "الدخول", "en": "Sign in"},
        "console.signin.signed_out": {"ar": "خرجت من اللوحة.", "en": "You are signed out."},
        "console.refusal.unknown": {
            "ar": "لم تسجّل الدخول، أو الرابط غير صحيح.",
            "en": "You are not signed in, or the link is not valid.",
        },
        "console.refusal.expired": {
            "ar": "انتهت صلاحية الرابط أو الجلسة. اطلب رابطًا جديدًا بالأمر /console.",
            "en": "The link or session has expired. Ask for a new one with /console.",
        },
        "console.refusal.used": {
            "ar": "استُخدم هذا الرابط من قبل. اطلب رابطًا جديدًا بالأمر /console.",
            "en": "This link was already used. Ask for a new one with /console.",
        },
        "console.refusal.not_editor": {
            "ar": "هذه اللوحة مخصّصة لمحرري غرفة الأخبار فقط.",
            "en": "This console is for the newsroom's editors only.",
        },
        "console.refusal.ended": {
            "ar": "انتهت الجلسة. اطلب رابطًا جديدًا بالأمر /console.",
            "en": "The session has ended. Ask for a new link with /console.",
        },
        "console.error.title": {"ar": "تعذّر تنفيذ الطلب", "en": "The request was not carried out"},
        "console.csrf": {
            "ar": "رُفض الطلب: رمز الحماية مفقود أو غير صحيح. أعد تحميل الصفحة وحاول مجددًا.",
            "en": "Request refused: the security token is missing or wrong. Reload the page and try again.",
        },
        "console.compose.title": {"ar": "تنبيه عاجل جديد", "en": "New urgent alert"},
        "console.compose.headline": {"ar": "العنوان", "en": "Headline"},
        "console.compose.headline_hint": {
            "ar": "سطر واحد، {limit} حرف على الأكثر.",
            "en": "One line, at most {limit} characters.",
        },
        "console.compose.headline_placeholder": {
            "ar": "(اكتب العنوان لترى المعاينة)",
            "en": "(type the headline to see the preview)",
        },
        "console.compose.details": {"ar": "التفاصيل (اختياري)", "en": "Details (optional)"},
        "console.compose.link": {"ar": "الرابط (اختياري)", "en": "Link (optional)"},
        "console.compose.topics": {"ar": "المواضيع", "en": "Topics"},
        "console.compose.level": {"ar": "المستوى", "en": "Level"},
        "console.compose.review": {"ar": "مراجعة وإرسال", "en": "Review and send"},
        "console.compose.preview": {"ar": "المعاينة", "en": "Preview"},
        "console.compose.audience": {"ar": "عدد المستلمين الآن:", "en": "Recipients right now:"},
        "console.compose.confirm_title": {"ar": "تأكيد الإرسال", "en": "Confirm sending"},
        "console.compose.confirm_text": {
            "ar": "سيُرسل هذا التنبيه فورًا إلى {count} مستلم. هل أنت متأكد؟",
            "en": "This alert goes out at once to {count} recipients. Are you sure?",
        },
        "console.compose.confirm_button": {"ar": "نعم، أرسل الآن", "en": "Yes, send now"},
        "console.compose.keep_editing": {"ar": "متابعة التحرير", "en": "Keep editing"},
        "console.alert.title": {"ar": "التنبيه #{id}", "en": "Alert #{id}"},
        "console.alert.state.active": {"ar": "مُرسل", "en": "Sent"},
        "console.alert.state.corrected": {"ar": "مُصحَّح", "en": "Corrected"},
        "console.alert.state.retracted": {"ar": "مسحوب", "en": "Retracted"},
        "console.alert.message": {"ar": "الرسالة كما أُرسلت", "en": "The message as sent"},
        "console.alert.corrected_to": {"ar": "التصحيح:", "en": "Corrected to:"},
        "console.alert.change": {"ar": "تصحيح أو سحب", "en": "Correct or retract"},
        "console.alert.correct_label": {"ar": "العنوان المصحَّح", "en": "Corrected headline"},
        "console.alert.correct": {"ar": "تصحيح في كل مكان", "en": "Correct everywhere"},
        "console.alert.retract": {"ar": "سحب التنبيه", "en": "Retract the alert"},
        "console.alert.retract_confirm": {
            "ar": "سحب هذا التنبيه من كل المحادثات؟",
            "en": "Retract this alert from every chat?",
        },
        "console.progress.send": {"ar": "تقدّم الإرسال", "en": "Sending progress"},
        "console.progress.correct": {"ar": "تقدّم التصحيح", "en": "Correction progress"},
        "console.progress.retract": {"ar": "تقدّم السحب", "en": "Retraction progress"},
        "console.progress.sent": {"ar": "أُنجز", "en": "Done"},
        "console.progress.failed": {"ar": "فشل", "en": "Failed"},
        "console.progress.remaining": {"ar": "متبقٍ", "en": "Remaining"},
        "console.progress.rate": {"ar": "المعدل", "en": "Rate"},
        "console.progress.rate_value": {"ar": "{rate} رسالة/ث", "en": "{rate}/s"},
        "console.progress.eta": {"ar": "الوقت المتبقي", "en": "Time left"},
        "console.progress.percent": {"ar": "النسبة", "en": "Progress"},
        "console.progress.done": {"ar": "اكتمل.", "en": "Finished."},
        "console.history.when": {"ar": "الوقت", "en": "When"},
        "console.history.headline": {"ar": "العنوان", "en": "Headline"},
        "console.history.state": {"ar": "الحالة", "en": "State"},
        "console.history.counts": {"ar": "التسليم", "en": "Deliveries"},
        "console.history.by": {"ar": "المُرسِل", "en": "Sent by"},
        "console.sources.none": {"ar": "لا توجد مصادر.", "en": "There are no sources."},
        "console.sources.name": {"ar": "المصدر", "en": "Source"},
        "console.sources.health": {"ar": "الحالة", "en": "Health"},
        "console.sources.last_success": {"ar": "آخر نجاح", "en": "Last success"},
        "console.sources.last_error": {"ar": "آخر خطأ", "en": "Last error"},
        "console.sources.next_poll": {"ar": "الجلب التالي", "en": "Next poll"},
        "console.sources.action": {"ar": "إجراء", "en": "Action"},
        "console.sources.disabled": {"ar": "⏸ معطّل", "en": "⏸ Disabled"},
        "console.sources.healthy": {"ar": "يعمل", "en": "Healthy"},
        "console.sources.unhealthy": {
            "ar": "متعثّر ({failures} إخفاقات)",
            "en": "Failing ({failures} failures)",
        },
        "console.sources.now": {"ar": "الآن", "en": "now"},
        "console.sources.enable": {"ar": "تفعيل", "en": "Enable"},
        "console.sources.disable": {"ar": "تعطيل", "en": "Disable"},
        "console.sources.enable_named": {"ar": "تفعيل المصدر {name}", "en": "Enable source {name}"},
        "console.sources.disable_named": {"ar": "تعطيل المصدر {name}", "en": "Disable source {name}"},
        "console.channels.title": {"ar": "القنوات", "en": "Channels"},
        "console.channels.none": {"ar": "لا توجد قنوات بعد.", "en": "There are no channels yet."},
        "console.channels.name": {"ar": "القناة", "en": "Channel"},
        "console.channels.state": {"ar": "الحالة", "en": "State"},
        "console.channels.active": {"ar": "نشطة", "en": "Active"},
        "console.channels.inactive": {"ar": "متوقفة", "en": "Inactive"},
        "console.channels.topics": {"ar": "المواضيع", "en": "Topics"},
        "console.stats.per_topic": {"ar": "المشتركون في كل موضوع", "en": "Subscribers per topic"},
        "console.stats.topic": {"ar": "الموضوع", "en": "Topic"},
        "console.stats.subscribers": {"ar": "المشتركون", "en": "Subscribers"},
        "console.stats.channels": {"ar": "القنوات", "en": "Channels"},
        "console.stats.rates": {"ar": "التسليم خلال 24 ساعة", "en": "Deliveries in the last 24 hours"},
        "console.stats.sent": {"ar": "أُرسلت", "en": "sent"},
        "console.stats.failed": {"ar": "فشلت", "en": "failed"},
        "console.stats.chart_title": {
            "ar": "الرسائل المرسلة والفاشلة في كل ساعة خلال آخر 24 ساعة",
            "en": "Messages sent and failed per hour over the last 24 hours",
        },
        "console.stats.chart_desc": {
            "ar": "المجموع: {sent} أُرسلت و{failed} فشلت.",
            "en": "In total: {sent} sent and {failed} failed.",
        },
    }
)


def t(key: str, lang: str, **kwargs: object) -> str:
    """The string ``key`` in ``lang`` (falling back to Arabic), formatted with ``kwargs``."""
    entry = CATALOGUE[key]
    template = entry.get(lang, entry["ar"]) if lang in LANGS else entry["ar"]
    return template.format(**kwargs) if kwargs else template


def pick_language(language_code: str | None, default: Lang = "ar") -> Lang:
    """Map Telegram's ``language_code`` (``en-GB``, ``ar``) to a language the bot speaks."""
    if not language_code:
        return default
    code = language_code.split("-")[0].lower()
    if code == "ar":
        return "ar"
    if code == "en":
        return "en"
    return default
