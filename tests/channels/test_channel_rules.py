"""Channel rules without Telegram: the post's buttons, the deep link, status, schedule diffs, and the
service rules on both engines (file-managed channels, membership changes, audit)."""

from __future__ import annotations

from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.clock import FrozenClock
from bot.db.models import AuditLog, Topic
from bot.delivery.channel_render import ChannelStyle, article_of_payload, deep_link, render_channel_post
from bot.delivery.render import AlertView
from bot.domain import Urgency
from bot.exceptions import ValidationError
from bot.services import channels as svc
from bot.sources.spec import ChannelSpec

VIEW = AlertView(
    alert_id=7,
    headline="البنك المركزي يرفع الفائدة",
    urgency=Urgency.URGENT,
    topic_names=(("اقتصاد", "Economy"),),
    source_name="wire",
    url="https://news.example.com/a?x=1&y=2",
    article_id=42,
)


def test_channel_post_has_url_buttons_only_deep_link_and_signature() -> None:
    message = render_channel_post(
        VIEW, lang="ar", tz=ZoneInfo("UTC"), style=ChannelStyle("aajel_bot", signature="<عاجل> & تابعونا")
    )
    assert message.reply_markup is not None
    buttons = [b for row in message.reply_markup.inline_keyboard for b in row]
    assert [b.url for b in buttons] == ["https://t.me/aajel_bot?start=art_42", VIEW.url]
    assert all(b.callback_data is None for b in buttons)
    assert message.text.endswith("<i>&lt;عاجل&gt; &amp; تابعونا</i>")
    assert message.plain.endswith("<عاجل> & تابعونا")
    assert not message.disable_notification  # urgent: with sound
    normal = render_channel_post(
        AlertView(alert_id=8, headline="خبر", urgency=Urgency.NORMAL),
        lang="ar",
        tz=ZoneInfo("UTC"),
        style=ChannelStyle("aajel_bot"),
    )
    assert normal.disable_notification and normal.reply_markup is None


def test_deep_link_payload_round_trips_and_rejects_others() -> None:
    link = deep_link("aajel_bot", 123)
    payload = link.split("start=", 1)[1]
    assert len(payload) <= 64 and article_of_payload(payload) == 123
    assert article_of_payload("topic_politics") is None and article_of_payload("art_x") is None


def test_status_is_read_from_active_and_reason() -> None:
    assert svc.channel_status(True, None) == "active"
    assert (
        svc.channel_status(False, "Bad Request: need administrator rights in the channel chat")
        == "missing_rights"
    )
    assert svc.channel_status(False, svc.REASON_MISSING_RIGHTS) == "missing_rights"
    assert svc.channel_status(False, "Forbidden: bot was kicked from the channel chat") == "removed"
    assert svc.channel_status(False, svc.REASON_PAUSED) == "paused"


async def _topics(session: AsyncSession, *slugs: str) -> None:
    for slug in slugs:
        session.add(Topic(slug=slug, name_ar=slug, name_en=slug))
    await session.flush()


async def test_membership_then_file_then_kick(session: AsyncSession) -> None:
    clock = FrozenClock()
    await _topics(session, "politics", "sports")
    added = svc.BotMembership(-1001, "Desk", "desk_news", "administrator", can_post=True, actor=77)
    outcome = await svc.observe_membership(session, added, clock)
    assert outcome.event == "registered" and outcome.channel is not None
    channel_id = outcome.channel.id
    info = await svc.toggle_topic(
        session,
        channel_id,
        (await session.scalar(select(Topic.id).where(Topic.slug == "sports"))) or 0,
        actor=77,
        clock=clock,
        via="telegram",
    )
    assert info.topics == ("sports",) and info.status == "active"
    with pytest.raises(ValidationError, match="unknown topics: nope"):
        await svc.update_channel(session, channel_id, actor=None, clock=clock, via="api", topics=["nope"])

    spec = ChannelSpec(chat="@Desk_News", topics=("politics",), level="all")
    assert svc.declaration_for([spec], -1001, "desk_news") == [spec]
    declared = await svc.apply_declaration(session, spec, added, clock)
    assert (declared.managed_by, declared.topics, declared.level) == ("file", ("politics",), "all")
    with pytest.raises(svc.ManagedByFile):
        await svc.update_channel(session, channel_id, actor=77, clock=clock, via="telegram", level="urgent")

    demoted = svc.BotMembership(-1001, "Desk", "desk_news", "administrator", can_post=False, actor=77)
    assert (await svc.observe_membership(session, demoted, clock)).event == "missing_rights"
    kicked = svc.BotMembership(-1001, "Desk", "desk_news", "kicked", can_post=False, actor=77)
    outcome = await svc.observe_membership(session, kicked, clock)
    assert outcome.event == "removed" and outcome.channel is not None and outcome.channel.status == "removed"
    again = await svc.observe_membership(session, added, clock)
    assert again.event == "reactivated" and again.channel is not None and again.channel.status == "active"

    assert await svc.release_undeclared(session, set(), clock) == 1
    released = await svc.get_channel(session, channel_id)
    assert (released.managed_by, released.status) == ("telegram", "removed")
    actions = list(await session.scalars(select(AuditLog.action).order_by(AuditLog.id)))
    assert actions[:2] == ["channel.registered", "channel.topic"]
    assert {
        "channel.declared",
        "channel.missing_rights",
        "channel.removed",
        "channel.reactivated",
        "channel.undeclared",
    } <= set(actions)


async def test_declarations_are_versioned_only_on_change(session: AsyncSession) -> None:
    clock = FrozenClock()
    specs = [ChannelSpec(chat="@desk_news", topics=("politics",))]
    assert await svc.store_declarations(session, specs, clock) is True
    assert await svc.store_declarations(session, specs, clock) is False
    version, stored = await svc.declarations(session)
    assert version == 1 and stored == specs
    assert await svc.store_declarations(session, [], clock) is True
    assert (await svc.declarations(session))[0] == 2


def test_member_status_is_plain_text() -> None:
    from aiogram.enums import ChatMemberStatus

    assert svc.member_status(ChatMemberStatus.ADMINISTRATOR) == "administrator"
    assert svc.member_status("kicked") == "kicked"
