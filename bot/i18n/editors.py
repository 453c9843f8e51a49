"""What editors read: the newsroom flow, corrections, stats and ops notices (keys under "editor.")."""

from __future__ import annotations

from bot.i18n.langs import Lang

MESSAGES: dict[str, dict[Lang, str]] = {
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
