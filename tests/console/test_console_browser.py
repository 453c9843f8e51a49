"""The editors' console in a real browser (headless Chromium via Playwright), against the real bot.

Each test drives what an editor does — /console in Telegram (the emulator), the link, the pages — and
checks what they (and subscribers) would notice, with a screenshot saved as an artefact.
"""

from __future__ import annotations

import html
import re
from typing import Any

import pytest
from sqlalchemy import func, select

from bot.db.models import Alert, AuditLog, Channel, Source
from bot.i18n import t
from bot.services.editors import add_editor, get_editor, remove_editor
from tests.console.harness import EDITOR, Room, expect

pytestmark = pytest.mark.slow


def sign_in(page: Any, room: Room, user_id: int = EDITOR) -> str:
    link = room.sign_in_link(user_id)
    page.goto(link)
    page.click("#signin")
    expect(page).to_have_url(re.compile(r"/console/compose$"))
    return link


def audit_rows(room: Room, action: str) -> list[tuple[int | None, str, dict[str, Any]]]:
    async def read() -> list[tuple[int | None, str, dict[str, Any]]]:
        async with room.app.sessionmaker() as session:
            rows = await session.execute(
                select(AuditLog.actor_telegram_id, AuditLog.result, AuditLog.details)
                .where(AuditLog.action == action)
                .order_by(AuditLog.id)
            )
            return [(actor, result, dict(details)) for actor, result, details in rows]

    return room.run(read())


def count_alerts(room: Room) -> int:
    async def read() -> int:
        async with room.app.sessionmaker() as session:
            return int(await session.scalar(select(func.count()).select_from(Alert)) or 0)

    return room.run(read())


def compose(
    page: Any, headline: str, *, topics: tuple[str, ...] = ("economy",), details: str = "", link: str = ""
) -> None:
    page.goto(page.url.split("/console")[0] + "/console/compose")
    page.fill("#headline", headline)
    if details:
        page.fill("#details", details)
    if link:
        page.fill("#link", link)
    for slug in topics:
        page.check(f"#topic-{slug}")
    expect(page.locator("#preview")).to_have_attribute(
        "data-html", re.compile(re.escape(html.escape(headline[:40], quote=False)))
    )


def send(page: Any) -> int:
    """Review, confirm, and land on the alert's page; returns its id."""
    page.click("#review")
    expect(page.locator("#confirm")).to_be_visible()
    page.click("#confirm-send")
    expect(page).to_have_url(re.compile(r"/console/alerts/\d+$"))
    return int(page.url.rsplit("/", 1)[1])


def wait_finished(page: Any) -> None:
    expect(page.locator("#live")).to_have_attribute("data-finished", "1")
    expect(page.locator("#progress")).to_have_attribute("aria-valuenow", "100")


# --- 1. sign in through the bot's link ------------------------------------------------------------------


def test_an_editor_signs_in_with_the_link_the_bot_sends_once_and_signs_out(
    room: Room, page: Any, shot: Any
) -> None:
    link = room.sign_in_link()
    assert link.startswith(room.base + "/console/login?token=")
    page.goto(link)
    expect(page.locator("html")).to_have_attribute("dir", "rtl")
    shot(page, "link")
    page.click("#signin")
    expect(page).to_have_url(re.compile(r"/console/compose$"))
    expect(page.locator("h1")).to_have_text(t("console.compose.title", "ar"))
    [cookie] = [c for c in page.context.cookies() if c["name"] == "aajel_console"]
    assert cookie["httpOnly"] and cookie["sameSite"] == "Strict" and cookie["path"] == "/console"
    assert not cookie["secure"]  # plain http on loopback; https (API__PUBLIC_URL) makes it Secure
    shot(page, "signed-in")
    assert [(actor, result) for actor, result, _ in audit_rows(room, "console.signin")] == [(EDITOR, "ok")]

    # the link works once: a second browser with the same link is refused
    other = page.context.browser.new_context()
    try:
        again = other.new_page()
        response = again.goto(link)
        assert response is not None and response.status == 410
        expect(again.locator("#refusal")).to_have_attribute("data-refusal", "used")
        shot(again, "reused")
    finally:
        other.close()

    page.click("#signout")
    expect(page.locator("#signed-out")).to_be_visible()
    response = page.goto(room.base + "/console/compose")
    assert response is not None and response.status == 401
    expect(page.locator("#signin")).to_have_count(0)
    assert [result for _, result, _ in audit_rows(room, "console.signout")] == ["ok"]


# --- 2. compose: the preview is the push -----------------------------------------------------------------


def test_the_live_preview_is_exactly_the_message_subscribers_receive(
    room: Room, page: Any, shot: Any
) -> None:
    readers = room.subscribers(3, ["economy"])
    sign_in(page, room)
    headline = "البنك المركزي يرفع الفائدة <نصف> نقطة & يثبّت التوقعات"
    compose(page, headline, details="القرار يسري من الغد.", link="https://example.com/a?x=1&y=2")
    expect(page.locator("#audience")).to_have_text("3")
    page.check("#level-flash")
    expect(page.locator("#preview")).to_have_attribute("data-html", re.compile("🔴🔴"))
    preview = page.eval_on_selector("#preview", "e => e.dataset.html")
    assert "&lt;نصف&gt;" in preview  # the headline is escaped, never raw HTML
    expect(page.locator("#preview b").first).to_be_visible()
    shot(page, "preview")
    send(page)
    [received] = room.bot_messages(readers[0], 1)
    assert received.html == preview
    assert [result for _, result, _ in audit_rows(room, "alert.send")] == ["ok"]
    actor, _, details = audit_rows(room, "alert.send")[0]
    assert actor == EDITOR and details["via"] == "console" and details["recipients"] == 3


# --- 3. send: progress reaches 100 % live ---------------------------------------------------------------


def test_sending_shows_progress_live_until_100_percent(room: Room, page: Any, shot: Any) -> None:
    readers = room.subscribers(60, ["sports"], first_id=7_300_000)
    sign_in(page, room)
    compose(page, "انطلاق البطولة العربية", topics=("sports",))
    expect(page.locator("#audience")).to_have_text("60")
    page.click("#review")
    expect(page.locator("#confirm-text")).to_contain_text("60")
    shot(page, "confirm")
    page.click("#confirm-send")
    expect(page).to_have_url(re.compile(r"/console/alerts/\d+$"))
    page.evaluate("window.__sameDocument = true")  # gone if the page reloads
    wait_finished(page)
    assert page.evaluate("window.__sameDocument === true")
    assert int(page.eval_on_selector("#live", "e => e.dataset.events_received")) >= 1
    expect(page.locator("#p-sent")).to_have_text("60")
    expect(page.locator("#p-remaining")).to_have_text("0")
    expect(page.locator("#p-percent")).to_have_text("100%")
    expect(page.locator("#p-status")).to_have_text(t("console.progress.done", "ar"))
    shot(page, "done")
    assert len(room.bot_messages(readers[-1], 1)) == 1


# --- 4. correct → the emulator shows the edited message ---------------------------------------------------


def test_a_correction_edits_every_delivered_copy(room: Room, page: Any, shot: Any) -> None:
    readers = room.subscribers(2, ["politics"], first_id=7_400_000)
    sign_in(page, room)
    compose(page, "استقالة الحكومة", topics=("politics",))
    send(page)
    wait_finished(page)
    [before] = room.bot_messages(readers[0], 1)
    page.fill("#correction-text", "الحكومة تنفي الاستقالة")
    page.click("#correct")
    expect(page).to_have_url(re.compile(r"/console/alerts/\d+\?op=correct$"))
    wait_finished(page)
    expect(page.locator("#correction")).to_contain_text("الحكومة تنفي الاستقالة")
    shot(page, "corrected")

    async def edited() -> list[Any]:
        messages = []
        for reader in readers:
            [message] = await room.tg.messages(reader)
            messages.append(message)
        return messages

    messages = room.run(edited())
    assert messages[0].message_id == before.message_id  # edited in place, not sent again
    for message in messages:
        assert message.edited and "الحكومة تنفي الاستقالة" in (message.text or "")
    assert [result for _, result, _ in audit_rows(room, "alert.correct")] == ["ok"]


# --- 5. retract ----------------------------------------------------------------------------------------


def test_retracting_removes_the_alert_from_every_chat(room: Room, page: Any, shot: Any) -> None:
    readers = room.subscribers(2, ["health"], first_id=7_500_000)
    sign_in(page, room)
    compose(page, "تحذير صحي عاجل", topics=("health",))
    send(page)
    wait_finished(page)
    room.bot_messages(readers[0], 1)
    page.once("dialog", lambda dialog: dialog.accept())
    page.click("#retract")
    expect(page).to_have_url(re.compile(r"/console/alerts/\d+\?op=retract$"))
    wait_finished(page)
    expect(page.locator(".meta")).to_contain_text(t("console.alert.state.retracted", "ar"))
    expect(page.locator("#retract")).to_have_count(0)
    shot(page, "retracted")

    async def deleted() -> list[bool]:
        return [(await room.tg.messages(reader))[0].deleted for reader in readers]

    assert room.run(deleted()) == [True, True]
    actor, result, _ = audit_rows(room, "alert.retract")[0]
    assert (actor, result) == (EDITOR, "ok")


# --- 6. non-editors and removed editors never get in -----------------------------------------------------


def test_a_non_editor_gets_no_link_and_a_removed_editor_is_locked_out_at_once(
    room: Room, page: Any, shot: Any
) -> None:
    stranger = 6_100_001
    room.run(room.tg.create_user("Stranger", user_id=stranger, language_code="ar", started=True))
    room.run(room.tg.send(stranger, "/console"))
    [answer] = room.bot_messages(stranger, 1)
    assert answer.text == t("editor.refused", "ar") and "http" not in (answer.text or "")
    response = page.goto(room.base + "/console/compose")
    assert response is not None and response.status == 401
    shot(page, "stranger")

    # an editor added by the admin signs in, is removed, and their next click is refused
    colleague = 6_100_002
    room.run(room.tg.create_user("Colleague", user_id=colleague, language_code="ar", started=True))

    async def add() -> None:
        async with room.app.sessionmaker() as session, session.begin():
            admin = await get_editor(session, EDITOR)
            assert admin is not None
            await add_editor(session, colleague, by=admin, clock=room.clock, name="Colleague")

    async def remove() -> None:
        async with room.app.sessionmaker() as session, session.begin():
            admin = await get_editor(session, EDITOR)
            assert admin is not None
            await remove_editor(session, colleague, by=admin)

    room.run(add())
    sign_in(page, room, colleague)
    room.run(remove())
    response = page.goto(room.base + "/console/history")
    assert response is not None and response.status == 403
    expect(page.locator("#refusal")).to_have_attribute("data-refusal", "not_editor")
    shot(page, "removed")
    assert (colleague, "refused") in [(a, r) for a, r, _ in audit_rows(room, "console.session")]


# --- 7. an expired link is refused (injected clock) ------------------------------------------------------


def test_a_link_older_than_five_minutes_is_refused(room: Room, page: Any, shot: Any) -> None:
    link = room.sign_in_link()
    room.clock.advance(5 * 60 + 1)
    response = page.goto(link)
    assert response is not None and response.status == 410
    expect(page.locator("#refusal")).to_have_attribute("data-refusal", "expired")
    expect(page.locator("#signin")).to_have_count(0)
    shot(page, "expired")
    # posting the token anyway does not sign in either
    token = link.split("token=", 1)[1]
    posted = page.request.post(room.base + "/console/login", form={"token": token})
    assert posted.status == 410
    assert not [c for c in page.context.cookies() if c["name"] == "aajel_console"]
    assert [result for _, result, _ in audit_rows(room, "console.signin")] == ["expired"]


# --- 8. POST without the CSRF token is refused -----------------------------------------------------------


def test_a_post_without_the_csrf_token_is_refused_and_changes_nothing(
    room: Room, page: Any, shot: Any
) -> None:
    room.subscribers(1, ["economy"], first_id=7_600_000)
    sign_in(page, room)
    compose(page, "خبر لن يُرسل", topics=("economy",))
    page.evaluate("document.querySelectorAll('input[name=csrf]').forEach(e => e.remove())")
    page.click("#review")
    expect(page.locator("#error")).to_have_text(t("console.csrf", "ar"))
    shot(page, "refused")
    form = {"headline": "خبر", "topics": "1", "level": "urgent", "key": "abcdefgh12", "confirmed": "1"}
    for extra in ({}, {"csrf": "0" * 64}):
        response = page.request.post(room.base + "/console/alerts", form={**form, **extra})
        assert response.status == 403
    wrong = page.request.post(
        room.base + "/console/preview", data="{}", headers={"Content-Type": "application/json"}
    )
    assert wrong.status == 403
    assert count_alerts(room) == 0
    assert [result for _, result, _ in audit_rows(room, "console.csrf")] == ["refused"] * 4


# --- 9. the layout holds at 375 px ------------------------------------------------------------------------


@pytest.mark.parametrize("lang", ["ar", "en"])
def test_every_page_fits_a_375_px_phone_without_horizontal_scrolling(
    room: Room, browser: Any, shot: Any, lang: str
) -> None:
    context = browser.new_context(viewport={"width": 375, "height": 740}, is_mobile=True)
    try:
        phone = context.new_page()
        sign_in(phone, room)
        if lang == "en":
            phone.click("a[hreflang=en]")
            expect(phone.locator("html")).to_have_attribute("dir", "ltr")
        compose(
            phone, "عنوان طويل جدًا " * 6, topics=("economy", "world"), link="https://example.com/" + "x" * 80
        )
        for name in ("compose", "history", "sources", "channels", "stats"):
            phone.goto(room.base + f"/console/{name}")
            width = phone.evaluate("document.documentElement.scrollWidth")
            assert width <= 375, f"{name}: {width}px wide"
            shot(phone, f"{lang}-{name}")
    finally:
        context.close()


# --- 10. accessibility: labels, keyboard, visible focus, contrast ------------------------------------------


def _luminance(rgb: str) -> float:
    r, g, b = (int(v) / 255 for v in re.findall(r"\d+", rgb)[:3])

    def channel(c: float) -> float:
        return c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4

    return 0.2126 * channel(r) + 0.7152 * channel(g) + 0.0722 * channel(b)


def _contrast(a: str, b: str) -> float:
    la, lb = sorted((_luminance(a), _luminance(b)), reverse=True)
    return (la + 0.05) / (lb + 0.05)


def test_controls_are_labelled_reachable_by_keyboard_with_visible_focus_and_contrast(
    room: Room, page: Any, shot: Any
) -> None:
    sign_in(page, room)
    for name in ("compose", "sources", "history"):
        page.goto(room.base + f"/console/{name}")
        unlabelled = page.evaluate(
            """() => Array.from(document.querySelectorAll('input:not([type=hidden]), textarea, select, button'))
                .filter(e => !(e.labels && e.labels.length) && !e.getAttribute('aria-label') && !e.textContent.trim())
                .map(e => e.outerHTML)"""
        )
        assert unlabelled == [], name
    page.goto(room.base + "/console/compose")
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.className") == "skip"
    seen = []
    for _ in range(40):
        page.keyboard.press("Tab")
        focused = page.evaluate(
            """() => { const e = document.activeElement, s = getComputedStyle(e);
                return {id: e.id, tag: e.tagName, outline: s.outlineStyle, width: parseFloat(s.outlineWidth)}; }"""
        )
        assert focused["outline"] != "none" and focused["width"] >= 2, focused
        seen.append(focused["id"])
        if focused["id"] == "review":
            break
    assert {"headline", "details", "link", "topic-economy", "review"} <= set(seen)
    page.focus("#headline")
    shot(page, "focus")
    for selector in ("body", "label[for=headline]", "#review", "nav a", "small"):
        colours = page.eval_on_selector(
            selector,
            """e => { let s = getComputedStyle(e), bg = s.backgroundColor, n = e;
                while (bg === 'rgba(0, 0, 0, 0)' && n.parentElement) { n = n.parentElement; bg = getComputedStyle(n).backgroundColor; }
                return [s.color, bg]; }""",
        )
        assert _contrast(*colours) >= 4.5, (selector, colours)


# --- sources, channels, stats ---------------------------------------------------------------------------


def test_sources_can_be_disabled_and_channels_topics_and_the_chart_are_shown(
    room: Room, page: Any, shot: Any
) -> None:
    async def seed_channel() -> int:
        async with room.app.sessionmaker() as session, session.begin():
            now = room.clock.now()
            channel = Channel(chat_id=-1001234, title="قناة الأخبار", created_at=now, updated_at=now)
            session.add(channel)
            await session.flush()
            source_id = await session.scalar(select(Source.id).order_by(Source.id).limit(1))
            assert source_id is not None
            return int(source_id)

    source_id = room.run(seed_channel())
    readers = room.subscribers(2, ["world"], first_id=7_700_000)
    sign_in(page, room)
    compose(page, "قمة دولية", topics=("world",))
    send(page)
    wait_finished(page)
    room.bot_messages(readers[0], 1)

    page.goto(room.base + "/console/sources")
    row = page.locator(f"tr[data-source='{source_id}']")
    expect(row).to_be_visible()
    page.click(f"#toggle-{source_id}")
    expect(row).to_contain_text(t("console.sources.disabled", "ar"))
    shot(page, "sources")

    async def enabled() -> bool:
        async with room.app.sessionmaker() as session:
            return bool(await session.scalar(select(Source.enabled).where(Source.id == source_id)))

    assert room.run(enabled()) is False
    assert audit_rows(room, "source.disable")[0][:2] == (EDITOR, "ok")

    page.goto(room.base + "/console/channels")
    expect(page.locator("#channels")).to_contain_text("قناة الأخبار")
    expect(page.locator("#topics")).to_contain_text("دولي")
    page.goto(room.base + "/console/stats")
    expect(page.locator("svg.chart[role=img]")).to_have_count(1)
    expect(page.locator("#per-topic")).to_contain_text("دولي")
    expect(page.locator("svg.chart rect")).not_to_have_count(0)
    page.goto(room.base + "/console/history")
    expect(page.locator("#history")).to_contain_text("قمة دولية")
    shot(page, "history")
