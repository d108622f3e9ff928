"""The server's edge: health, OpenAPI, security headers, static files, problem documents, origin check."""

from __future__ import annotations

import logging

import pytest
from httpx import ASGITransport, AsyncClient

from civicid.app import create_app
from civicid.core.runtime import Context
from civicid.web.middleware import CONTENT_SECURITY_POLICY

pytestmark = pytest.mark.anyio


async def test_health(client: AsyncClient) -> None:
    response = await client.get("/api/v1/health")
    assert response.status_code == 200
    assert response.json()["status"] == "ok"


async def test_security_headers_on_pages_api_and_errors(client: AsyncClient) -> None:
    for path in ("/login", "/api/v1/health", "/api/v1/nowhere", "/nowhere"):
        headers = (await client.get(path)).headers
        assert headers["content-security-policy"] == CONTENT_SECURITY_POLICY
        assert "frame-ancestors 'none'" in headers["content-security-policy"]
        assert headers["x-content-type-options"] == "nosniff"
        assert headers["referrer-policy"] == "same-origin"
        assert headers["cache-control"] == "no-store"
        assert len(headers["x-request-id"]) == 16


async def test_static_css_is_served_locally(client: AsyncClient) -> None:
    response = await client.get("/static/civicid.css")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/css")
    assert "no-store" not in response.headers.get("cache-control", "")
    assert "@media" in response.text


async def test_no_page_loads_anything_from_another_site(client: AsyncClient) -> None:
    page = (await client.get("/login")).text
    assert "http://" not in page
    assert "https://" not in page
    assert 'href="/static/civicid.css"' in page


async def test_openapi_declares_problem_responses(client: AsyncClient) -> None:
    document = (await client.get("/openapi.json")).json()
    responses = document["paths"]["/api/v1/registry/persons/{person_id}"]["get"]["responses"]
    assert set(responses) >= {"200", "401", "403", "404", "422"}
    assert "application/problem+json" in responses["404"]["content"]
    assert "HTTPValidationError" not in document["components"]["schemas"]
    assert (await client.get("/docs")).status_code == 404  # Swagger UI would load from a CDN.


async def test_unknown_api_route_is_a_404_problem(client: AsyncClient) -> None:
    response = await client.get("/api/v1/nowhere")
    assert response.status_code == 404
    assert response.headers["content-type"] == "application/problem+json"
    body = response.json()
    assert body == {
        "type": "/problems/not_found",
        "title": "Not found",
        "status": 404,
        "detail": "Not Found",
        "instance": "/api/v1/nowhere",
        "code": "not_found",
    }


async def test_wrong_method_is_a_405_problem(client: AsyncClient) -> None:
    response = await client.delete("/api/v1/health")
    assert response.status_code == 405
    assert response.json()["code"] == "method_not_allowed"
    assert "GET" in response.headers["allow"]


async def test_unknown_page_is_a_readable_page(client: AsyncClient) -> None:
    response = await client.get("/nowhere", headers={"Accept-Language": "en"})
    assert response.status_code == 404
    assert response.headers["content-type"].startswith("text/html")
    assert "Not found" in response.text
    assert "Traceback" not in response.text


async def test_problem_type_page(client: AsyncClient) -> None:
    assert (await client.get("/problems/account_locked")).status_code == 200
    assert (await client.get("/problems/no_such_thing")).status_code == 404


async def test_unexpected_error_is_a_generic_500_logged_without_its_message(
    context: Context, caplog: pytest.LogCaptureFixture
) -> None:
    app = create_app(context)

    def boom() -> None:
        raise RuntimeError("Nguyễn Văn An 001090000001")

    app.add_api_route("/api/v1/boom", boom)
    async with AsyncClient(transport=ASGITransport(app), base_url="http://testserver") as client:
        with caplog.at_level(logging.ERROR, logger="civicid.web"):
            response = await client.get("/api/v1/boom")
    assert response.status_code == 500
    body = response.json()
    assert body["code"] == "internal_error"
    assert body["request_id"] == response.headers["x-request-id"]
    assert "Nguyễn" not in response.text
    assert response.headers["content-security-policy"] == CONTENT_SECURITY_POLICY
    assert "RuntimeError" in caplog.text
    assert "001090000001" not in caplog.text


async def test_cross_origin_post_is_refused(client: AsyncClient) -> None:
    response = await client.post(
        "/api/v1/auth/login",
        json={"username": "x", "password": "y"},
        headers={"Origin": "https://evil.example"},
    )
    assert response.status_code == 403
    assert response.json()["code"] == "cross_origin_request"
    response = await client.post("/login", data={"username": "x", "password": "y"}, headers={"Origin": "null"})
    assert response.status_code == 403


async def test_same_origin_post_is_let_through(client: AsyncClient) -> None:
    response = await client.post(
        "/api/v1/auth/login", json={"username": "x", "password": "y"}, headers={"Origin": "http://testserver"}
    )
    assert response.status_code == 401
