"""The OpenAPI document served by the bot matches the API: every route is documented and every
documented route exists, and real requests/responses validate against the document's schemas."""

from __future__ import annotations

from typing import Any

import pytest
from jsonschema import Draft202012Validator
from jsonschema.validators import validator_for
from referencing import Registry, Resource

from bot.api.routes import operations
from tests.editors.harness import Newsroom


def _validator(document: dict[str, Any], schema: dict[str, Any]) -> Draft202012Validator:
    """A 2020-12 validator for ``schema`` whose ``#/components/...`` refs resolve in ``document``."""
    root = Resource.from_contents({**document, "$schema": "https://json-schema.org/draft/2020-12/schema"})
    registry: Registry[Any] = Registry().with_resource("urn:aajel:openapi", root)
    return Draft202012Validator(
        {"$ref": "urn:aajel:openapi#" + schema["$ref"][1:]} if "$ref" in schema else schema, registry=registry
    )


def _schema(document: dict[str, Any], path: str, method: str, status: int | None = None) -> dict[str, Any]:
    op = document["paths"][path][method]
    if status is None:
        return dict(op["requestBody"]["content"]["application/json"]["schema"])
    return dict(op["responses"][str(status)]["content"]["application/json"]["schema"])


async def _document(room: Newsroom) -> dict[str, Any]:
    async with room.http.get(room.api + "/api/v1/openapi.json") as response:
        assert response.status == 200
        result: dict[str, Any] = await response.json()
        return result


SQLITE_ONLY = pytest.mark.parametrize("db_backend", ["sqlite"], indirect=True)
"""The document does not depend on the database engine; the exchange test runs on both."""


@SQLITE_ONLY
async def test_the_document_is_openapi_3_1_with_valid_json_schemas(room: Newsroom) -> None:
    document = await _document(room)
    assert document["openapi"].startswith("3.1")
    for schema in document["components"]["schemas"].values():
        validator_for(schema, default=Draft202012Validator).check_schema(schema)
    for path, methods in document["paths"].items():
        for method, op in methods.items():
            assert op["operationId"] and op["responses"], (path, method)


@SQLITE_ONLY
async def test_routes_and_document_match_both_ways(room: Newsroom) -> None:
    document = await _document(room)
    documented = {(m.upper(), p) for p, methods in document["paths"].items() for m in methods}
    app = room.app.api
    assert app is not None
    served = set()
    for route in app.make_app().router.routes():
        info = route.resource.get_info() if route.resource is not None else {}
        path = info.get("path") or info.get("formatter")
        if route.method != "HEAD" and not str(path).startswith("/console"):  # HTML pages, not the API
            served.add((route.method, path))
    assert served == documented
    assert {(op.method, op.path) for op in operations()} == documented
    # bearer auth is declared exactly on the CMS routes
    secured = {p for p, methods in document["paths"].items() for op in methods.values() if op.get("security")}
    assert secured == {
        "/api/v1/alerts",
        "/api/v1/alerts/{id}",
        "/api/v1/alerts/{id}/correction",
        "/api/v1/alerts/{id}/retraction",
        "/api/v1/channels",
        "/api/v1/channels/{id}",
    }


async def test_examples_and_real_exchanges_validate_against_the_schemas(room: Newsroom) -> None:
    document = await _document(room)
    schemas = document["components"]["schemas"]
    for name, schema in schemas.items():  # every model's own examples fit its schema
        for example in schema.get("examples", []):
            _validator(document, {"$ref": f"#/components/schemas/{name}"}).validate(example)

    await room.subscribers(2, ["sports"])
    request = {"headline": "المنتخب يتأهل", "topics": ["sports"], "level": "urgent"}
    _validator(document, _schema(document, "/api/v1/alerts", "post")).validate(request)
    async with room.http.post(room.api + "/api/v1/alerts", json=request, headers=room.auth()) as response:
        assert response.status == 201
        created = await response.json()
    _validator(document, _schema(document, "/api/v1/alerts", "post", 201)).validate(created)
    async with room.http.get(room.api + created["status_url"], headers=room.auth()) as response:
        _validator(document, _schema(document, "/api/v1/alerts/{id}", "get", 200)).validate(
            await response.json()
        )
    bad = {"headline": "x", "topics": ["nosuch"]}
    async with room.http.post(room.api + "/api/v1/alerts", json=bad, headers=room.auth()) as response:
        assert response.status == 422
        _validator(document, _schema(document, "/api/v1/alerts", "post", 422)).validate(await response.json())
    async with room.http.post(room.api + "/api/v1/alerts", json=request) as response:
        assert response.status == 401
        _validator(document, _schema(document, "/api/v1/alerts", "post", 401)).validate(await response.json())
    correction = {"text": "المنتخب يتأهل إلى النهائي"}
    _validator(document, _schema(document, "/api/v1/alerts/{id}/correction", "post")).validate(correction)
    async with room.http.post(
        room.api + created["status_url"] + "/correction", json=correction, headers=room.auth()
    ) as response:
        assert response.status == 202
        body = await response.json()
        _validator(document, _schema(document, "/api/v1/alerts/{id}/correction", "post", 202)).validate(body)
    async with room.http.get(room.api + "/healthz") as response:
        _validator(document, _schema(document, "/healthz", "get", response.status)).validate(
            await response.json()
        )
    # and an invalid body is rejected by the document too, as by the server
    errors = list(
        _validator(document, _schema(document, "/api/v1/alerts", "post")).iter_errors({"topics": []})
    )
    assert errors
