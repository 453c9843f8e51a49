"""The console's HTTP plumbing: routes, sign-in/out, sessions, CSRF, language, templates, headers.

Design and invariants
---------------------
* **One route table** (:data:`ROUTES` here and in :mod:`bot.console.pages`): each entry says whether
  it needs a session. Every signed-in request goes through :meth:`Console._guarded`, which re-loads
  the session and re-checks the editor (:func:`bot.console.auth.load_session`) — a removed editor's
  next click is refused — and, for every POST, checks the CSRF token *and* that a present ``Origin``
  header is this server's. Refusals are audited (``console.csrf``, ``console.session``).
* **Cookies**: the session cookie is ``HttpOnly``, ``SameSite=Strict``, ``Path=/console`` and
  ``Secure`` when the console is reached over HTTPS (``API__PUBLIC_URL`` is https, or the request
  is). It holds a random token; the database holds its hash.
* **Headers on every console response**: a strict Content-Security-Policy (scripts and styles from
  this server only: no inline script, no CDN), ``Referrer-Policy: same-origin`` (the sign-in token is
  in the link's query and must not leak to another site; ``no-referrer`` would make browsers send
  ``Origin: null`` on our own POSTs), ``X-Frame-Options: DENY``, ``Cache-Control: no-store``.
* **Language**: Arabic right-to-left by default (``DEFAULT_LANGUAGE``), English on request; the choice
  is a plain cookie. Strings come from :mod:`bot.i18n` (keys ``console.*``).
* Transactions are one short session per request; the sender is woken after the commit.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from importlib import resources
from typing import Any, TypeVar
from urllib.parse import urlsplit

import jinja2
from aiohttp import web
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.clock import Clock
from bot.config import Settings
from bot.console.auth import (
    CONSOLE_PATH,
    Refusal,
    SignedIn,
    check_link,
    csrf_ok,
    end_session,
    load_session,
    redeem_link,
)
from bot.i18n import LANGS, t
from bot.services.editors import audit

log = logging.getLogger(__name__)

COOKIE = "aajel_console"
LANG_COOKIE = "aajel_console_lang"
CSP = (
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "connect-src 'self'; form-action 'self'; base-uri 'none'; frame-ancestors 'none'"
)
STATIC_TYPES = {".css": "text/css", ".js": "text/javascript", ".svg": "image/svg+xml"}

R = TypeVar("R", bound=web.StreamResponse)
Page = Callable[["Console", web.Request, SignedIn], Awaitable[web.StreamResponse]]


@dataclass(frozen=True, slots=True)
class Route:
    method: str
    path: str  # below /console
    handler: Page


@dataclass
class Console:
    """The editors' console: ``Console(...).register(app)`` adds its routes to the aiohttp app."""

    settings: Settings
    sessionmaker: async_sessionmaker[AsyncSession]
    clock: Clock
    wake: Callable[[], None]
    live_interval: float = 0.25
    """How often the live progress stream reads the outbox (seconds)."""
    closing: bool = field(init=False, default=False)
    """Set when the server shuts down: live streams end instead of holding the shutdown up."""
    _env: jinja2.Environment = field(init=False, repr=False)

    def __post_init__(self) -> None:
        self._env = jinja2.Environment(
            loader=jinja2.PackageLoader("bot.console", "templates"),
            autoescape=True,
            undefined=jinja2.StrictUndefined,
            trim_blocks=True,
            lstrip_blocks=True,
        )

    # --- wiring ----------------------------------------------------------------------------------
    def register(self, app: web.Application) -> None:
        from bot.console.pages import ROUTES  # the pages need this module's Console type

        app.router.add_get(CONSOLE_PATH, self.index)
        app.router.add_get(CONSOLE_PATH + "/", self.index)
        app.router.add_get(CONSOLE_PATH + "/login", self.login_page)
        app.router.add_post(CONSOLE_PATH + "/login", self.login)
        app.router.add_get(CONSOLE_PATH + "/lang/{lang}", self.switch_language)
        app.router.add_get(CONSOLE_PATH + "/static/{name}", self.static)
        app.router.add_post(CONSOLE_PATH + "/logout", self._guarded(Console.logout))
        for route in ROUTES:
            app.router.add_route(route.method, CONSOLE_PATH + route.path, self._guarded(route.handler))
        app.on_shutdown.append(self._shutdown)

    async def _shutdown(self, app: web.Application) -> None:
        self.closing = True

    @property
    def https(self) -> bool:
        return (self.settings.api.public_url or "").lower().startswith("https://")

    # --- rendering -------------------------------------------------------------------------------
    def lang(self, request: web.Request) -> str:
        chosen = request.cookies.get(LANG_COOKIE)
        return chosen if chosen in LANGS else self.settings.default_language

    def render(
        self,
        request: web.Request,
        template: str,
        signed: SignedIn | None = None,
        *,
        status: int = 200,
        **context: Any,
    ) -> web.Response:
        lang = self.lang(request)

        def tr(key: str, **kwargs: Any) -> str:
            return t(key, lang, **kwargs)

        page = self._env.get_template(template).render(
            lang=lang,
            dir="rtl" if lang == "ar" else "ltr",
            t=tr,
            signed=signed,
            csrf=signed.csrf if signed else "",
            path=request.path,
            tz=self.settings.tz,
            **context,
        )
        return self.secured(web.Response(text=page, status=status, content_type="text/html"))

    @staticmethod
    def secured(response: R) -> R:
        headers = response.headers
        headers["Content-Security-Policy"] = CSP
        headers["Referrer-Policy"] = "same-origin"
        headers["X-Frame-Options"] = "DENY"
        headers["X-Content-Type-Options"] = "nosniff"
        headers.setdefault("Cache-Control", "no-store")
        return response

    def redirect(self, location: str) -> web.Response:
        response = web.Response(status=303, headers={"Location": location})
        self.secured(response)
        return response

    async def audit(
        self, actor: int | None, action: str, result: str, *, target: str | None = None, **details: Any
    ) -> None:
        async with self.sessionmaker() as session, session.begin():
            await audit(
                session,
                actor=actor,
                action=action,
                result=result,
                target=target,
                clock=self.clock,
                details={"via": "console", **details},
            )

    # --- the guard -------------------------------------------------------------------------------
    def _guarded(self, page: Page) -> Callable[[web.Request], Awaitable[web.StreamResponse]]:
        async def handle(request: web.Request) -> web.StreamResponse:
            token = request.cookies.get(COOKIE)
            async with self.sessionmaker() as session, session.begin():
                loaded = await load_session(session, token, self.clock)
            if not isinstance(loaded, SignedIn):
                actor, refusal = loaded
                if token:
                    await self.audit(actor, "console.session", "refused", path=request.path, reason=refusal)
                return self._signed_out(request, refusal, had_cookie=bool(token))
            if request.method == "POST":
                refused = await self._csrf_refusal(request, loaded, token or "")
                if refused is not None:
                    return refused
            return await page(self, request, loaded)

        return handle

    def _signed_out(self, request: web.Request, refusal: Refusal, *, had_cookie: bool) -> web.Response:
        """No valid session: pages send the browser to the sign-in page, other requests get a 401/403."""
        wants_html = request.method == "GET" and "text/event-stream" not in request.headers.get("Accept", "")
        if wants_html and not request.path.endswith("/events"):
            response = self.render(
                request, "signin.html", status=403 if refusal is Refusal.NOT_EDITOR else 401, refusal=refusal
            )
        else:
            response = web.json_response(
                {"error": t(f"console.refusal.{refusal.value}", self.lang(request))},
                status=403 if refusal is Refusal.NOT_EDITOR else 401,
            )
            self.secured(response)
        if had_cookie:
            response.del_cookie(COOKIE, path=CONSOLE_PATH)
        return response

    async def _csrf_refusal(self, request: web.Request, signed: SignedIn, token: str) -> web.Response | None:
        given = request.headers.get("X-CSRF-Token")
        if given is None and request.content_type in (
            "application/x-www-form-urlencoded",
            "multipart/form-data",
        ):
            given = str((await request.post()).get("csrf") or "") or None
        origin = request.headers.get("Origin")
        same_origin = origin is None or self._same_origin(request, origin)
        if csrf_ok(token, given) and same_origin:
            return None
        reason = "bad origin" if not same_origin else ("missing" if not given else "wrong token")
        await self.audit(
            signed.editor.telegram_id, "console.csrf", "refused", path=request.path, reason=reason
        )
        return self.render(
            request, "error.html", signed, status=403, message=t("console.csrf", self.lang(request))
        )

    def _same_origin(self, request: web.Request, origin: str) -> bool:
        allowed = {f"{request.scheme}://{request.host}"}
        public = self.settings.api.public_url
        if public:
            parts = urlsplit(public)
            allowed.add(f"{parts.scheme}://{parts.netloc}")
        return origin in allowed

    # --- open routes -----------------------------------------------------------------------------
    async def index(self, request: web.Request) -> web.StreamResponse:
        token = request.cookies.get(COOKIE)
        if token:
            async with self.sessionmaker() as session, session.begin():
                loaded = await load_session(session, token, self.clock)
            if isinstance(loaded, SignedIn):
                return self.redirect(CONSOLE_PATH + "/compose")
        return self.render(request, "signin.html", refusal=None)

    async def login_page(self, request: web.Request) -> web.StreamResponse:
        """Shows a "sign in" button instead of signing in on GET: link previews must not use the link."""
        token = request.query.get("token", "")
        async with self.sessionmaker() as session:
            _, refusal = await check_link(session, token, self.clock) if token else (None, Refusal.UNKNOWN)
        status = 200 if refusal is None else (403 if refusal is Refusal.NOT_EDITOR else 410)
        return self.render(request, "login.html", status=status, token=token, refusal=refusal)

    async def login(self, request: web.Request) -> web.StreamResponse:
        form = await request.post()
        token = str(form.get("token") or "")
        async with self.sessionmaker() as session, session.begin():
            outcome = await redeem_link(session, token, self.clock) if token else (None, Refusal.UNKNOWN)
        first, second = outcome
        if not isinstance(second, SignedIn):
            await self.audit(first if isinstance(first, int) else None, "console.signin", str(second))
            status = 403 if second is Refusal.NOT_EDITOR else 410
            return self.render(request, "login.html", status=status, token="", refusal=second)
        assert isinstance(first, str)
        await self.audit(
            second.editor.telegram_id, "console.signin", "ok", target=f"console:{second.session_id}"
        )
        response = self.redirect(CONSOLE_PATH + "/compose")
        response.set_cookie(
            COOKIE,
            first,
            path=CONSOLE_PATH,
            httponly=True,
            samesite="Strict",
            secure=self.https or request.secure,
            max_age=int((second.expires_at - self.clock.now()).total_seconds()),
        )
        return response

    async def logout(self, request: web.Request, signed: SignedIn) -> web.StreamResponse:
        async with self.sessionmaker() as session, session.begin():
            await end_session(session, signed.session_id, self.clock)
        await self.audit(
            signed.editor.telegram_id, "console.signout", "ok", target=f"console:{signed.session_id}"
        )
        response = self.render(request, "signin.html", refusal=None, signed_out=True)
        response.del_cookie(COOKIE, path=CONSOLE_PATH)
        return response

    async def switch_language(self, request: web.Request) -> web.StreamResponse:
        lang = request.match_info["lang"]
        back = request.query.get("next", CONSOLE_PATH)
        if not back.startswith(CONSOLE_PATH) or "//" in back or "\\" in back:
            back = CONSOLE_PATH
        response = self.redirect(back)
        if lang in LANGS:
            response.set_cookie(LANG_COOKIE, lang, path=CONSOLE_PATH, samesite="Strict", max_age=365 * 86400)
        return response

    async def static(self, request: web.Request) -> web.StreamResponse:
        name = request.match_info["name"]
        suffix = name[name.rfind(".") :] if "." in name else ""
        if "/" in name or name.startswith(".") or suffix not in STATIC_TYPES:
            raise web.HTTPNotFound()
        resource = resources.files("bot.console").joinpath("static", name)
        if not resource.is_file():
            raise web.HTTPNotFound()
        response = web.Response(body=resource.read_bytes(), content_type=STATIC_TYPES[suffix])
        response.headers["Cache-Control"] = "no-cache"
        return self.secured(response)


__all__ = ["COOKIE", "LANG_COOKIE", "Console", "Route"]
