"""CMS API for channels: ``GET /api/v1/channels`` and ``PUT /api/v1/channels/{id}``.

The routes join the server's one route table (:func:`channel_operations`, added by
:func:`bot.api.server.operations`), so they are registered and documented in the OpenAPI document
like every other route. Handlers are thin: authorize and parse with the server's helpers, call one
service function of :mod:`bot.services.channels` (which audits the change), answer JSON.

``PUT`` is a partial update: fields left out stay as they are (``signature: null`` removes it). A
channel declared in the sources file is the file's to change: 409. Unknown topics: 422 naming
``topics``. Every call is audited (``api.channel.*``), refusals and invalid bodies included.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Annotated, Literal

from aiohttp import web
from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from bot.api.guard import IdProblem, json_error, parse_id
from bot.api.models import Error, Text
from bot.api.openapi import DISABLED, Operation, Response
from bot.exceptions import NotFound, UnknownTopics, ValidationError
from bot.services import channels as svc
from bot.sources.spec import MAX_SIGNATURE

if TYPE_CHECKING:
    from bot.api.server import ApiServer

Slug = Annotated[str, StringConstraints(pattern=r"^[a-z0-9][a-z0-9_-]*$", max_length=64)]
Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


class ChannelOut(BaseModel):
    """A channel the bot feeds."""

    id: int
    chat_id: int = Field(description="Telegram chat id (-100…)")
    thread_id: int = Field(description="forum topic (0: the whole chat)")
    title: str | None
    username: str | None = Field(description="public @username, without @")
    status: Literal["active", "missing_rights", "paused", "removed"]
    inactive_reason: str | None
    topics: list[str] = Field(description="topic slugs whose stories are posted")
    level: Literal["urgent", "all"] = Field(description="urgent: flash and urgent; all: normal news too")
    signature: str | None
    managed_by: Literal["telegram", "file"] = Field(
        description="file: declared in the sources file and changed only there"
    )


class ChannelList(BaseModel):
    channels: list[ChannelOut]


class ChannelUpdate(BaseModel):
    """What to change; fields left out stay as they are."""

    model_config = ConfigDict(
        extra="forbid",
        str_strip_whitespace=True,
        json_schema_extra={"examples": [{"topics": ["politics", "economy"], "level": "urgent"}]},
    )

    topics: list[Slug] | None = Field(default=None, max_length=50, description="replaces the topics")
    level: Literal["urgent", "all"] | None = None
    signature: Text | None = Field(
        default=None, min_length=1, max_length=MAX_SIGNATURE, description="null removes it"
    )
    active: bool | None = Field(default=None, description="false pauses the channel, true resumes it")


def channel_operations() -> list[Operation]:
    error = Response("error", Error)
    unauthorized = Response("missing or wrong bearer token", Error, headers={"WWW-Authenticate": "Bearer"})
    disabled = DISABLED
    return [
        Operation(
            "GET",
            "/api/v1/channels",
            "listChannels",
            "Every channel with its status, topics and level",
            "channels",
            {200: Response("the channels", ChannelList), 401: unauthorized, 503: disabled},
            bearer=True,
        ),
        Operation(
            "PUT",
            "/api/v1/channels/{id}",
            "updateChannel",
            "Change a channel's topics, level, signature or pause it",
            "channels",
            {
                200: Response("the channel as it is now", ChannelOut),
                400: error,
                401: unauthorized,
                404: Response("no such channel", Error),
                409: Response("the channel is declared in the sources file: change it there", Error),
                413: error,
                422: Response("a field is invalid (named in `field`)", Error),
                503: disabled,
            },
            request=ChannelUpdate,
            bearer=True,
            path_params=("id",),
        ),
    ]


class ChannelRoutes:
    """The two handlers, bound to a running :class:`~bot.api.server.ApiServer`."""

    def __init__(self, server: ApiServer) -> None:
        self._server = server

    def handlers(self) -> dict[str, Handler]:
        return {"listChannels": self.list_channels, "updateChannel": self.update_channel}

    async def list_channels(self, request: web.Request) -> web.Response:
        server = self._server
        if (denied := await server._authorize(request, "api.channel.list")) is not None:
            return denied
        async with server._sessionmaker() as session:
            items = await svc.list_channels(session)
        body = ChannelList(channels=[ChannelOut.model_validate(item.to_json()) for item in items])
        return web.json_response(body.model_dump(mode="json"))

    async def update_channel(self, request: web.Request) -> web.Response:

        server, action = self._server, "api.channel.update"
        if (denied := await server._authorize(request, action)) is not None:
            return denied
        channel_id = parse_id(request.match_info["id"], "channel")
        if isinstance(channel_id, IdProblem):
            await server._audit(
                action, "not_found" if channel_id.status == 404 else "invalid", reason="bad id"
            )
            return json_error(
                channel_id.status, channel_id.message, "id" if channel_id.status == 422 else None
            )
        payload = await server._body(request, ChannelUpdate)
        if isinstance(payload, web.Response):
            await server._audit(action, "invalid", target=f"channel:{channel_id}", reason=payload.text or "")
            return payload
        fields = payload.model_fields_set
        try:
            async with server._sessionmaker() as session, session.begin():
                info = await svc.update_channel(
                    session,
                    channel_id,
                    actor=None,
                    clock=server._clock,
                    via="api",
                    topics=payload.topics,
                    level=payload.level,
                    signature=payload.signature,
                    clear_signature="signature" in fields and payload.signature is None,
                    active=payload.active,
                )
        except NotFound:
            await server._audit(action, "not_found", target=f"channel:{channel_id}")
            return json_error(404, f"no channel {channel_id}")
        except svc.ManagedByFile as e:
            await server._audit(action, "refused", target=f"channel:{channel_id}", reason=str(e))
            return json_error(409, str(e))
        except ValidationError as e:
            await server._audit(action, "invalid", target=f"channel:{channel_id}", reason=str(e))
            return json_error(422, str(e), "topics" if isinstance(e, UnknownTopics) else None)
        return web.json_response(ChannelOut.model_validate(info.to_json()).model_dump(mode="json"))
