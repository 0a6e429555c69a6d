"""The OpenAPI document and /docs, as an integrator uses them.

/docs works without internet (its scripts and styles come from the package); the
document declares the bearer key, so Swagger UI's "Authorize" and a generated client
send it; every operation has a readable operationId and a tag; numbers are integers and
closed sets enums; refusals' extra fields are declared.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from guard.api.app import create_app
from guard.config import Settings
from guard.rules import REASONS

STATIC = Path(__file__).resolve().parents[2] / "guard" / "web" / "static"
PUBLIC = {"/healthz", "/readyz", "/metrics"}


@pytest.fixture(scope="module")
def client() -> TestClient:
    # No lifespan: serving the document and the page needs no database.
    return TestClient(create_app(Settings(database_url="sqlite://", embedded_jobs=False)))


@pytest.fixture(scope="module")
def document(client) -> dict:
    response = client.get("/openapi.json")
    assert response.status_code == 200
    return response.json()


def operations(document: dict):
    for path, methods in document["paths"].items():
        for method, operation in methods.items():
            yield path, method, operation


def is_external(url: str) -> bool:
    return bool(re.match(r"^(?:[a-z][a-z0-9+.-]*:)?//", url, re.I)) and not url.startswith("data:")


def test_docs_load_nothing_from_outside_the_guard(client):
    page = client.get("/docs")
    assert page.status_code == 200 and page.headers["content-type"].startswith("text/html")
    html = page.text
    urls = re.findall(r"""(?:src|href)\s*=\s*["']([^"']+)["']""", html, re.I)
    assert urls, html
    assert [url for url in urls if is_external(url)] == []
    assert not re.search(r"https?://", html), "no absolute URL at all in the page"
    assert "script-src 'self'" in page.headers["content-security-policy"]
    for url in urls:  # each asset is served by the guard itself
        asset = client.get("/" + url)
        assert asset.status_code == 200, url
        assert asset.content, url


def test_the_vendored_swagger_ui_fetches_nothing_from_outside():
    css = (STATIC / "swagger-ui" / "swagger-ui.css").read_text()
    assert [u for u in re.findall(r"url\(\s*['\"]?([^'\")]+)", css) if is_external(u)] == []
    # The licence travels with the files (Apache-2.0, with its NOTICE).
    assert "Apache License" in (STATIC / "swagger-ui" / "LICENSE").read_text()
    assert (STATIC / "swagger-ui" / "NOTICE").read_text().strip()
    init = (STATIC / "docs.js").read_text()
    assert "validatorUrl: null" in init  # Swagger UI would otherwise send the document to a public validator


def test_fastapis_cdn_pages_are_gone(client):
    assert client.get("/redoc").status_code == 404


def test_the_bearer_key_is_declared_and_every_v1_operation_needs_it(document):
    scheme = document["components"]["securitySchemes"]["bearerKey"]
    assert (scheme["type"], scheme["scheme"]) == ("http", "bearer")
    for path, method, operation in operations(document):
        if path in PUBLIC:
            assert "security" not in operation, path
        else:
            assert operation["security"] == [{"bearerKey": []}], (method, path)
            assert {"401", "403", "429"} <= set(operation["responses"]), (method, path)


def test_every_operation_has_a_readable_unique_id_and_a_tag(document):
    tags = {tag["name"] for tag in document["tags"]}
    ids = []
    for path, method, operation in operations(document):
        assert re.fullmatch(r"[a-z]+(?:_[a-z]+)*", operation["operationId"]), operation["operationId"]
        assert len(operation["tags"]) == 1 and operation["tags"][0] in tags, (method, path)
        ids.append(operation["operationId"])
    assert len(ids) == len(set(ids))
    assert {"post_events", "check_order", "check_orders", "release_hold", "issue_label", "hand_over"} <= set(ids)


def test_numbers_are_integers_and_closed_sets_are_enums(document):
    parameters = {
        (path, parameter["name"]): parameter["schema"]
        for path, _, operation in operations(document)
        for parameter in operation.get("parameters", [])
    }

    def enum_of(schema: dict) -> list[str]:
        return next(s["enum"] for s in schema.get("anyOf", [schema]) if "enum" in s)

    limits = {path: schema for (path, name), schema in parameters.items() if name == "limit"}
    assert set(limits) == {"/v1/holds", "/v1/orders/{order_id}/decisions", "/v1/notifications"}
    for schema in limits.values():
        assert (schema["type"], schema["minimum"], schema["maximum"]) == ("integer", 1, 1000)
    assert enum_of(parameters[("/v1/holds", "state")]) == ["held", "blocked", "released"]
    assert set(enum_of(parameters[("/v1/holds", "reason")])) == set(REASONS)
    assert set(enum_of(parameters[("/v1/notifications", "state")])) == {"failed", "pending", "delivered", "skipped"}
    overdue = parameters[("/v1/holds", "overdue")]
    assert any(s.get("type") == "boolean" for s in overdue["anyOf"])
    schemas = document["components"]["schemas"]
    assert schemas["PullAck"]["properties"]["outcome"]["enum"] == ["pulled", "not_found"]
    assert schemas["CarrierLabelRequest"]["properties"]["format"]["enum"] == ["pdf", "zpl"]


def test_reason_codes_in_answers_are_open_strings_so_a_client_reads_codes_added_later(document):
    """The filter takes only today's codes; an answer may name one added after a client was generated."""
    reason = document["components"]["schemas"]["Reason"]["properties"]["code"]
    assert reason["type"] == "string" and "enum" not in reason
    assert set(reason["x-known-values"]) == set(REASONS)


def test_request_bodies_are_named_schemas(document):
    schemas = document["components"]["schemas"]
    for path, method, operation in operations(document):
        if "requestBody" in operation:
            ref = operation["requestBody"]["content"]["application/json"]["schema"]["$ref"]
            assert ref.removeprefix("#/components/schemas/") in schemas, (method, path)
    assert document["paths"]["/v1/orders/{order_id}/check"]["post"]["requestBody"]["required"] is False


def test_refusals_and_labels_declare_their_extra_fields(document):
    schemas = document["components"]["schemas"]
    error = schemas["ErrorBody"]["properties"]
    assert {"code", "message", "details", "order_id", "parcel_id", "member", "handed_over_at"} <= set(error)
    assert "printer" in schemas["Label"]["properties"]
    release_409 = document["paths"]["/v1/holds/{order_id}/release"]["post"]["responses"]["409"]
    assert release_409["content"]["application/json"]["schema"]["$ref"].endswith("/ErrorEnvelope")
