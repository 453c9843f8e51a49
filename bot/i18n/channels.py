"""Channels: editors' /channels and membership notices (keys under "channel.")."""

from __future__ import annotations

from bot.i18n.langs import Lang

MESSAGES: dict[str, dict[Lang, str]] = {
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
