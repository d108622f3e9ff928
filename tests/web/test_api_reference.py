"""The API reference page: the app's own OpenAPI document, readable, served by the server alone."""

from __future__ import annotations

import re
from urllib.parse import urlsplit

import pytest
from httpx import AsyncClient
from tests.factories import log_in, staff_member

from civicid.core.runtime import Context
from civicid.web.api_reference import paragraphs, reference, schema_name
from civicid.web.staff import StaffRole

pytestmark = pytest.mark.anyio


@pytest.fixture
async def admin(client: AsyncClient, context: Context) -> AsyncClient:
    await log_in(client, staff_member(context, StaffRole.ADMIN))
    return client


def operation(page: str, method: str, path: str) -> str:
    found = re.search(rf'<article [^>]*data-method="{method}" data-path="{re.escape(path)}">.*?</article>', page, re.S)
    assert found is not None, f"{method} {path} is not on the page"
    return found.group()


async def test_lists_the_operations_with_their_parameters_body_and_responses(admin: AsyncClient) -> None:
    page = await admin.get("/api-reference?lang=en")
    assert page.status_code == 200
    login = operation(page.text, "POST", "/api/v1/auth/login")
    assert "Exchange a username and password for a session token" in login
    assert "<code>LoginIn</code>" in login  # the request body's schema
    assert '<strong class="api-status">200</strong>' in login
    assert '<strong class="api-status">401</strong>' in login
    village = operation(page.text, "GET", "/api/v1/registry/villages/{village_id}")
    assert "<code>village_id</code>" in village
    assert "in the path" in village
    assert 'id="tag-auth"' in page.text
    assert 'id="tag-registry"' in page.text
    assert 'href="/openapi.json"' in page.text  # the document itself, for programs


async def test_every_operation_of_the_document_is_on_the_page(admin: AsyncClient) -> None:
    document = (await admin.get("/openapi.json")).json()
    page = (await admin.get("/api-reference")).text
    for path, item in document["paths"].items():
        for method in item:
            assert f'data-method="{method.upper()}" data-path="{path}"' in page


async def test_nothing_comes_from_elsewhere(admin: AsyncClient) -> None:
    page = (await admin.get("/api-reference")).text
    targets = re.findall(r'\b(?:src|href|action)="([^"]*)"', page)
    assert targets
    assert [t for t in targets if urlsplit(t).scheme or t.startswith("//")] == []
    assert "<script" not in page


async def test_the_pages_words_follow_the_language(admin: AsyncClient) -> None:
    vi = (await admin.get("/api-reference?lang=vi")).text
    assert "<h1>Tài liệu API</h1>" in vi
    assert "Phản hồi" in vi
    assert "Exchange a username and password for a session token" in vi  # the operation's own words


async def test_the_home_tile_opens_it(admin: AsyncClient) -> None:
    home = (await admin.get("/")).text
    assert 'href="/api-reference"' in home
    assert 'href="/openapi.json"' not in home


@pytest.mark.parametrize("role", list(StaffRole))
async def test_any_staff_member_may_read_it(client: AsyncClient, context: Context, role: StaffRole) -> None:
    await log_in(client, staff_member(context, role))
    assert (await client.get("/api-reference")).status_code == 200


async def test_nobody_logged_in_is_sent_to_log_in(client: AsyncClient) -> None:
    response = await client.get("/api-reference", follow_redirects=False)
    assert response.status_code == 303
    assert response.headers["location"] == "/login?next=%2Fapi-reference"


def test_schema_names() -> None:
    assert schema_name({"$ref": "#/components/schemas/LoginIn"}) == "LoginIn"
    assert schema_name({"type": "array", "items": {"$ref": "#/components/schemas/Village"}}) == "array of Village"
    assert schema_name({"anyOf": [{"type": "integer"}, {"type": "null"}]}) == "integer or null"
    assert schema_name({"type": "string", "format": "binary"}) == "string (binary)"
    assert schema_name({"$ref": "#/components/schemas/civicid__web__schemas__LoginIn"}) == "LoginIn"
    assert schema_name(None) == "any"


def test_paragraphs_undo_the_source_codes_line_wrapping() -> None:
    assert paragraphs("One line\n    wrapped.\n\nAnother.") == ["One line wrapped.", "Another."]


def test_operations_are_grouped_by_their_first_tag_untagged_last() -> None:
    document = {
        "paths": {
            "/b": {"get": {"tags": ["zeta"], "responses": {}}, "post": {"responses": {"201": {"description": "x"}}}},
            "/a": {"delete": {"tags": ["alpha", "zeta"], "summary": "Remove", "responses": {}}},
        }
    }
    tags = reference(document)
    assert [(t.name, [(o.method, o.path) for o in t.operations]) for t in tags] == [
        ("alpha", [("DELETE", "/a")]),
        ("zeta", [("GET", "/b")]),
        ("", [("POST", "/b")]),
    ]
