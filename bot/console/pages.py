"""The console's pages and actions. Each one calls the service the Telegram flow and the CMS API call.

* compose / preview / send: :func:`~bot.services.editor_alerts.parse_draft` (the same validation),
  :func:`~bot.services.editor_alerts.preview_view` + :func:`~bot.delivery.render.render_alert` (the
  preview IS the push), :func:`~bot.services.editor_alerts.audience` (the count /alert shows) and
  :func:`~bot.services.editor_alerts.send_alert` (the one seam), audited as ``alert.send``.
* correct / retract: :func:`~bot.services.editor_alerts.change_alert` (audits ``alert.correct`` /
  ``alert.retract`` itself, exactly as /correct and /retract do).
* history and stats: :func:`~bot.services.editor_alerts.history` and
  :func:`~bot.services.editor_alerts.newsroom_stats` (what /history and /stats show).
* sources: :mod:`bot.services.sources`. Channels and the chart: :mod:`bot.console.readmodels`.

Sending needs two steps (compose → "review and send" shows the confirmation with the audience →
"confirm"), both plain form posts: it works without script, and the idempotency key carried in
the form makes a double submit find the alert it already sent.
"""

from __future__ import annotations

import re
import secrets
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from aiohttp import web
from sqlalchemy.ext.asyncio import AsyncSession

from bot.console.auth import CONSOLE_PATH, SignedIn
from bot.console.chart import deliveries_svg
from bot.console.live import progress_stream
from bot.console.readmodels import channels, deliveries_per_hour
from bot.console.web import Console, Route
from bot.db.models import Alert
from bot.delivery.render import render_alert
from bot.domain import MAX_HEADLINE, Urgency
from bot.exceptions import NotFound, ValidationError
from bot.i18n import t
from bot.services.corrections import MAX_CORRECTION
from bot.services.editor_alerts import (
    EDITOR_LEVELS,
    Draft,
    DraftProblem,
    all_topics,
    audience,
    change_alert,
    get_alert,
    history,
    newsroom_stats,
    parse_draft,
    preview_view,
    send_alert,
    valid_url,
)
from bot.services.editors import audit
from bot.services.progress import TrackedChange
from bot.services.sources import set_source_enabled, source_statuses
from bot.services.subscriptions import TopicInfo

KEY = re.compile(r"^[A-Za-z0-9_-]{8,64}$")


@dataclass(frozen=True, slots=True)
class ComposeForm:
    """What the compose form holds (raw, as typed: nothing is lost when it is refused)."""

    headline: str = ""
    details: str = ""
    link: str = ""
    topics: tuple[int, ...] = ()
    level: str = Urgency.URGENT.value
    key: str = ""

    @classmethod
    def read(cls, data: Mapping[str, Any], topic_ids: Sequence[Any]) -> ComposeForm:
        topics = tuple(int(v) for v in topic_ids if str(v).isdigit())
        level = str(data.get("level") or Urgency.URGENT.value)
        return cls(
            headline=str(data.get("headline") or "").strip(),
            details=str(data.get("details") or "").strip(),
            link=str(data.get("link") or "").strip(),
            topics=topics,
            level=level if level in {u.value for u in EDITOR_LEVELS} else Urgency.URGENT.value,
            key=str(data.get("key") or ""),
        )

    def draft(self) -> Draft | DraftProblem:
        """Through the Telegram flow's own parser, so the rules (lengths, link) are the same."""
        if self.link and not valid_url(self.link):
            return DraftProblem("editor.draft.bad_url", {"url": self.link[:100]})
        if not self.headline:
            return DraftProblem("editor.draft.empty")
        parsed = parse_draft(self.headline.replace("\n", " "))
        if isinstance(parsed, DraftProblem):
            return parsed
        if self.details:
            checked = parse_draft("x\n" + self.details)  # the body rules, without guessing a link
            if isinstance(checked, DraftProblem):
                return checked
        return Draft(parsed.headline, self.details or None, self.link or None)


@dataclass(frozen=True, slots=True)
class Preview:
    html: str
    audience: int
    problem: str | None
    chosen: tuple[TopicInfo, ...]
    level: Urgency


async def _preview(console: Console, session: AsyncSession, form: ComposeForm, lang: str) -> Preview:
    topics = await all_topics(session)
    chosen = tuple(topic for topic in topics if topic.id in set(form.topics))
    level = Urgency(form.level)
    reach = await audience(session, [topic.id for topic in chosen], level)
    draft = form.draft()
    if isinstance(draft, DraftProblem):
        problem = t(draft.key, lang, **draft.args) if form.headline or form.link or form.details else None
        draft = Draft(form.headline or "…")
        if problem is None:
            draft = Draft(t("console.compose.headline_placeholder", lang))
    else:
        problem = None
    rendered = render_alert(preview_view(draft, level, chosen), lang=lang, tz=console.settings.tz)
    return Preview(rendered.text, reach, problem, chosen, level)


def _alert_path(alert_id: int, op: TrackedChange | None = None) -> str:
    suffix = f"?op={op.value}" if op is not None and op is not TrackedChange.SEND else ""
    return f"{CONSOLE_PATH}/alerts/{alert_id}{suffix}"


# --- compose and send ---------------------------------------------------------------------------------


async def compose_page(console: Console, request: web.Request, signed: SignedIn) -> web.StreamResponse:
    form = ComposeForm(key=secrets.token_urlsafe(12))
    return await _compose(console, request, signed, form)


async def _compose(
    console: Console,
    request: web.Request,
    signed: SignedIn,
    form: ComposeForm,
    *,
    confirm: bool = False,
    error: str | None = None,
    status: int = 200,
) -> web.StreamResponse:
    lang = console.lang(request)
    async with console.sessionmaker() as session:
        topics = await all_topics(session)
        preview = await _preview(console, session, form, lang)
    return console.render(
        request,
        "compose.html",
        signed,
        status=status,
        form=form,
        topics=topics,
        levels=EDITOR_LEVELS,
        preview=preview,
        confirm=confirm,
        error=error,
        max_headline=MAX_HEADLINE,
    )


async def preview_api(console: Console, request: web.Request, signed: SignedIn) -> web.StreamResponse:
    """The live preview: JSON in (the form's fields), the push's HTML and the audience out."""
    try:
        data = await request.json()
    except ValueError:
        return web.json_response({"error": "body is not JSON"}, status=400)
    if not isinstance(data, dict):
        return web.json_response({"error": "body is not a JSON object"}, status=400)
    topic_ids = data.get("topics") if isinstance(data.get("topics"), list) else []
    form = ComposeForm.read(data, topic_ids or [])
    async with console.sessionmaker() as session:
        preview = await _preview(console, session, form, console.lang(request))
    response = web.json_response(
        {"html": preview.html, "audience": preview.audience, "problem": preview.problem}
    )
    console.secured(response)
    return response


async def send(console: Console, request: web.Request, signed: SignedIn) -> web.StreamResponse:
    data = await request.post()
    form = ComposeForm.read(data, data.getall("topics", []))
    lang = console.lang(request)
    editor = signed.editor
    if not KEY.match(form.key):
        form = ComposeForm(**{**_fields(form), "key": secrets.token_urlsafe(12)})
    draft = form.draft()
    if isinstance(draft, DraftProblem):
        await console.audit(editor.telegram_id, "alert.draft", "invalid", problem=draft.key)
        return await _compose(
            console, request, signed, form, error=t(draft.key, lang, **draft.args), status=422
        )
    if not form.topics:
        return await _compose(
            console, request, signed, form, error=t("editor.compose.pick_topic", lang), status=422
        )
    if data.get("confirmed") != "1":
        return await _compose(console, request, signed, form, confirm=True)
    async with console.sessionmaker() as session, session.begin():
        topics = [topic for topic in await all_topics(session) if topic.id in set(form.topics)]
        if not topics:
            return await _compose(
                console, request, signed, form, error=t("editor.compose.pick_topic", lang), status=422
            )
        sent = await send_alert(
            session,
            draft,
            urgency=Urgency(form.level),
            topic_slugs=[topic.slug for topic in topics],
            clock=console.clock,
            idempotency_key=f"console:{editor.telegram_id}:{form.key}",
            editor_id=editor.id,
        )
        await audit(
            session,
            actor=editor.telegram_id,
            action="alert.send",
            target=f"alert:{sent.alert_id}",
            result="ok" if sent.created else "duplicate",
            clock=console.clock,
            details={
                "via": "console",
                "recipients": sent.recipients,
                "urgency": form.level,
                "topics": [topic.slug for topic in topics],
                "headline": draft.headline,
            },
        )
    if sent.created:
        console.wake()
    return console.redirect(_alert_path(sent.alert_id))


def _fields(form: ComposeForm) -> dict[str, Any]:
    return {name: getattr(form, name) for name in ComposeForm.__slots__}


# --- one alert: progress, correct, retract ------------------------------------------------------------


def _alert_id(request: web.Request) -> int:
    raw = request.match_info["id"]
    if not raw.isdigit():
        raise web.HTTPNotFound()
    return int(raw)


async def alert_page(console: Console, request: web.Request, signed: SignedIn) -> web.StreamResponse:
    alert_id = _alert_id(request)
    lang = console.lang(request)
    op_name = request.query.get("op", TrackedChange.SEND.value)
    operation = TrackedChange(op_name) if op_name in {o.value for o in TrackedChange} else TrackedChange.SEND
    async with console.sessionmaker() as session:
        try:
            stored = await get_alert(session, alert_id)
        except NotFound:
            return console.render(
                request,
                "error.html",
                signed,
                status=404,
                message=t("editor.alert.not_found", lang, id=alert_id),
            )
        topics = [topic for topic in await all_topics(session) if topic.slug in set(stored.topic_slugs)]
        correction = await _correction_text(session, alert_id)
    view = preview_view(Draft(stored.headline, stored.body, stored.url), stored.urgency, topics, alert_id)
    rendered = render_alert(view, lang=lang, tz=console.settings.tz)
    return console.render(
        request,
        "alert.html",
        signed,
        alert=stored,
        message_html=rendered.text,
        correction=correction,
        operation=operation,
        events=f"{CONSOLE_PATH}/alerts/{alert_id}/events?op={operation.value}",
        notice=request.query.get("notice"),
        max_correction=MAX_CORRECTION,
    )


async def _correction_text(session: AsyncSession, alert_id: int) -> str | None:
    row = await session.get(Alert, alert_id)
    return None if row is None else row.correction_text


async def events(console: Console, request: web.Request, signed: SignedIn) -> web.StreamResponse:
    alert_id = _alert_id(request)
    op_name = request.query.get("op", TrackedChange.SEND.value)
    operation = TrackedChange(op_name) if op_name in {o.value for o in TrackedChange} else TrackedChange.SEND
    return await progress_stream(console, request, alert_id, operation)


async def correct(console: Console, request: web.Request, signed: SignedIn) -> web.StreamResponse:
    data = await request.post()
    text = str(data.get("text") or "").strip()
    return await _change(console, request, signed, text)


async def retract(console: Console, request: web.Request, signed: SignedIn) -> web.StreamResponse:
    return await _change(console, request, signed, None)


async def _change(
    console: Console, request: web.Request, signed: SignedIn, correction: str | None
) -> web.StreamResponse:
    alert_id = _alert_id(request)
    lang = console.lang(request)
    editor = signed.editor
    if correction is not None and len(correction) > MAX_CORRECTION:  # the push would cut it; refuse instead
        await console.audit(
            editor.telegram_id, "alert.correct", "invalid", target=f"alert:{alert_id}", reason="too long"
        )
        message = t("editor.draft.headline_too_long", lang, length=len(correction), limit=MAX_CORRECTION)
        return console.render(request, "error.html", signed, status=422, message=message)
    try:
        async with console.sessionmaker() as session, session.begin():
            await get_alert(session, alert_id)
            async with session.begin_nested():
                await change_alert(
                    session,
                    alert_id,
                    correction=correction,
                    actor=editor.telegram_id,
                    clock=console.clock,
                    details={"via": "console"},
                )
    except NotFound:
        return console.render(
            request, "error.html", signed, status=404, message=t("editor.alert.not_found", lang, id=alert_id)
        )
    except ValidationError as e:
        message = t("editor.alert.rejected", lang, reason=str(e))
        return console.render(request, "error.html", signed, status=409, message=message)
    console.wake()
    return console.redirect(
        _alert_path(alert_id, TrackedChange.RETRACT if correction is None else TrackedChange.CORRECT)
    )


# --- history, sources, channels, stats ----------------------------------------------------------------


async def history_page(console: Console, request: web.Request, signed: SignedIn) -> web.StreamResponse:
    async with console.sessionmaker() as session:
        items = await history(session, limit=50)
    return console.render(request, "history.html", signed, items=items)


async def sources_page(console: Console, request: web.Request, signed: SignedIn) -> web.StreamResponse:
    async with console.sessionmaker() as session:
        sources = await source_statuses(session)
    return console.render(request, "sources.html", signed, sources=sources, now=console.clock.now())


async def toggle_source(console: Console, request: web.Request, signed: SignedIn) -> web.StreamResponse:
    raw = request.match_info["id"]
    if not raw.isdigit():
        raise web.HTTPNotFound()
    data = await request.post()
    enabled = data.get("enabled") == "1"
    try:
        async with console.sessionmaker() as session, session.begin():
            await set_source_enabled(
                session, int(raw), enabled, actor=signed.editor.telegram_id, clock=console.clock
            )
    except NotFound:
        raise web.HTTPNotFound() from None
    return console.redirect(CONSOLE_PATH + "/sources")


async def channels_page(console: Console, request: web.Request, signed: SignedIn) -> web.StreamResponse:
    async with console.sessionmaker() as session:
        rows = await channels(session)
        topics = await all_topics(session)
    return console.render(request, "channels.html", signed, channels=rows, topics=topics)


async def stats_page(console: Console, request: web.Request, signed: SignedIn) -> web.StreamResponse:
    lang = console.lang(request)
    async with console.sessionmaker() as session:
        stats = await newsroom_stats(session, console.clock)
        buckets = await deliveries_per_hour(session, console.clock)
    chart = deliveries_svg(
        buckets,
        title=t("console.stats.chart_title", lang),
        desc=t(
            "console.stats.chart_desc",
            lang,
            sent=sum(b.sent for b in buckets),
            failed=sum(b.failed for b in buckets),
        ),
        tz=console.settings.tz,
    )
    return console.render(request, "stats.html", signed, stats=stats, chart=chart)


ROUTES: tuple[Route, ...] = (
    Route("GET", "/compose", compose_page),
    Route("POST", "/preview", preview_api),
    Route("POST", "/alerts", send),
    Route("GET", "/alerts/{id}", alert_page),
    Route("GET", "/alerts/{id}/events", events),
    Route("POST", "/alerts/{id}/correct", correct),
    Route("POST", "/alerts/{id}/retract", retract),
    Route("GET", "/history", history_page),
    Route("GET", "/sources", sources_page),
    Route("POST", "/sources/{id}", toggle_source),
    Route("GET", "/channels", channels_page),
    Route("GET", "/stats", stats_page),
)

__all__ = ["ROUTES", "ComposeForm"]
