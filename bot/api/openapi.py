"""The OpenAPI 3.1 document, generated from the route table and the pydantic models.

One table (:func:`bot.api.routes.operations`, with the webhook route when it is on) both registers the
aiohttp routes and describes them here, and every schema comes from
:meth:`pydantic.BaseModel.model_json_schema` — so the document matches the API by construction (and a
test walks the app's routes against it anyway). OpenAPI 3.1 uses JSON Schema 2020-12, which is what
pydantic emits; ``$ref`` targets live under ``#/components/schemas``.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from pydantic import BaseModel
from pydantic.json_schema import models_json_schema

from bot.api.guard import MAX_ID
from bot.api.models import Error

REF_TEMPLATE = "#/components/schemas/{model}"


@dataclass(frozen=True, slots=True)
class Response:
    description: str
    model: type[BaseModel] | None = None
    content_type: str = "application/json"
    headers: Mapping[str, str] = field(default_factory=dict)  # name → description


DISABLED = Response(
    "the CMS API is disabled (API__CMS_TOKEN is not set), or the database is unreachable right now"
    " (`Retry-After` says when to try again; nothing was stored)",
    Error,
)
"""The 503 every CMS route documents (:mod:`bot.api.availability` answers the second kind)."""


@dataclass(frozen=True, slots=True)
class Operation:
    """One route: how aiohttp serves it and how the document describes it."""

    method: str
    path: str  # aiohttp/OpenAPI template, e.g. /api/v1/alerts/{id}
    operation_id: str
    summary: str
    tag: str
    responses: Mapping[int, Response]
    request: type[BaseModel] | None = None
    request_required: bool = True
    bearer: bool = False
    idempotency_key: bool = False
    secret_header: str | None = None
    path_params: Sequence[str] = ()
    description: str = ""


def _models(operations: Sequence[Operation]) -> list[type[BaseModel]]:
    seen: dict[str, type[BaseModel]] = {}
    for op in operations:
        if op.request is not None:
            seen[op.request.__name__] = op.request
        for response in op.responses.values():
            if response.model is not None:
                seen[response.model.__name__] = response.model
    return list(seen.values())


def _ref(model: type[BaseModel]) -> dict[str, str]:
    return {"$ref": REF_TEMPLATE.format(model=model.__name__)}


def build_document(operations: Sequence[Operation], *, title: str, version: str) -> dict[str, Any]:
    models = _models(operations)
    _, defs = models_json_schema([(model, "validation") for model in models], ref_template=REF_TEMPLATE)
    schemas: dict[str, Any] = dict(defs.get("$defs", {}))
    paths: dict[str, dict[str, Any]] = {}
    for op in operations:
        entry: dict[str, Any] = {
            "operationId": op.operation_id,
            "summary": op.summary,
            "tags": [op.tag],
            "responses": {},
        }
        if op.description:
            entry["description"] = op.description
        parameters: list[dict[str, Any]] = [
            {
                "name": name,
                "in": "path",
                "required": True,
                "schema": {"type": "integer", "minimum": 1, "maximum": MAX_ID},
            }
            for name in op.path_params
        ]
        if op.idempotency_key:
            parameters.append(
                {
                    "name": "Idempotency-Key",
                    "in": "header",
                    "required": False,
                    "description": "Retries with the same key return the same alert and never send twice; "
                    "the same key with a different body is a 409.",
                    "schema": {"type": "string", "pattern": r"^[\x21-\x7e]{1,100}$"},
                }
            )
        if op.secret_header:
            parameters.append(
                {
                    "name": op.secret_header,
                    "in": "header",
                    "required": True,
                    "description": "The secret_token given to setWebhook; a mismatch is refused with 401.",
                    "schema": {"type": "string"},
                }
            )
        if parameters:
            entry["parameters"] = parameters
        if op.bearer:
            entry["security"] = [{"bearerAuth": []}]
        if op.request is not None:
            entry["requestBody"] = {
                "required": op.request_required,
                "content": {"application/json": {"schema": _ref(op.request)}},
            }
        for status, response in sorted(op.responses.items()):
            described: dict[str, Any] = {"description": response.description}
            if response.model is not None:
                described["content"] = {response.content_type: {"schema": _ref(response.model)}}
            elif response.content_type != "application/json":
                described["content"] = {response.content_type: {"schema": {"type": "string"}}}
            if response.headers:
                described["headers"] = {
                    name: {"description": text, "schema": {"type": "string"}}
                    for name, text in response.headers.items()
                }
            entry["responses"][str(status)] = described
        paths.setdefault(op.path, {})[op.method.lower()] = entry
    return {
        "openapi": "3.1.0",
        "info": {
            "title": title,
            "version": version,
            "description": "Aajel's HTTP API: the CMS pushes, corrects and retracts urgent alerts; "
            "operators read health and metrics. See docs/cms-api.md.",
        },
        "jsonSchemaDialect": "https://json-schema.org/draft/2020-12/schema",
        "paths": paths,
        "components": {
            "schemas": schemas,
            "securitySchemes": {
                "bearerAuth": {
                    "type": "http",
                    "scheme": "bearer",
                    "description": "API__CMS_TOKEN from the bot's settings.",
                }
            },
        },
    }
