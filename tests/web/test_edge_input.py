"""Input at the edge (issue 18, items 1, 2, 3 and 10): no input is a 5xx, on either database.

Each request here answered 500 before ``web/edge.py`` and ``core/inputs.py`` (PostgreSQL refuses NUL
in text and integers past 2³¹ − 1; SQLite's driver past 2⁶³ − 1; a JSON null reached a NOT NULL
column), or was read whole however large.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import AsyncIterator
from typing import Any

import pytest
from httpx import AsyncClient
from tests.factories import MakePerson, log_in, staff_member

from civicid.app import create_app
from civicid.core.inputs import MAX_ROW_ID, tidy_name
from civicid.core.runtime import Context
from civicid.country.id_number import make_id_number
from civicid.country.sex import Sex
from civicid.web.routes import DEFAULT_BODY_LIMIT
from civicid.web.staff import StaffRole

pytestmark = pytest.mark.anyio

PAST_SQLITE = 2**63
PAST_POSTGRES = 2**31


@pytest.fixture
async def admin(client: AsyncClient, context: Context) -> AsyncClient:
    await log_in(client, staff_member(context, StaffRole.ADMIN))
    return client


def assert_validation_problem(response: Any, location: str, field: str | None = None) -> None:
    assert response.status_code == 422, response.text
    body = response.json()
    assert body["code"] == "validation_error"
    assert any(e["location"] == location and (field is None or e["field"] == field) for e in body["errors"]), body


# Control characters ------------------------------------------------------------------------------


async def test_a_nul_in_a_login_is_refused_before_it_reaches_the_database(client: AsyncClient) -> None:
    response = await client.post("/api/v1/auth/login", json={"username": "a\u0000b", "password": "x"})
    assert_validation_problem(response, "body", "username")
    assert response.headers["content-type"] == "application/problem+json"


async def test_a_nul_in_the_login_form_is_a_page_not_a_server_error(client: AsyncClient) -> None:
    response = await client.post("/login", data={"username": "a\x00b", "password": "x"})
    assert response.status_code == 422
    assert response.headers["content-type"].startswith("text/html")


@pytest.mark.parametrize(
    "url",
    [
        "/api/v1/registry/persons?q=a%00b",
        "/api/v1/notify/sms?related_id=a%00b",
        "/api/v1/registry/persons?q=a%1Fb",
    ],
)
async def test_a_control_character_in_a_query_is_refused(admin: AsyncClient, url: str) -> None:
    assert_validation_problem(await admin.get(url), "query")


@pytest.mark.parametrize(
    "url", ["/enrollment/applications/a%00b", "/campaign?commune=a%00b", "/notify/sms?related_id=a%00b"]
)
async def test_a_control_character_in_a_page_address_is_a_422_page(admin: AsyncClient, url: str) -> None:
    response = await admin.get(url)
    assert response.status_code == 422
    assert response.headers["content-type"].startswith("text/html")


async def test_a_control_character_in_a_path_segment_is_refused(admin: AsyncClient) -> None:
    assert_validation_problem(await admin.post("/api/v1/enrollment/devices/a%00b/revoke"), "path")


async def test_a_nul_never_reaches_a_name(admin: AsyncClient, make_person: MakePerson) -> None:
    person = make_person("Lò Thị Mai")
    response = await admin.patch(f"/api/v1/registry/persons/{person.id}", json={"full_name": "Lò\u0000 Thị Mai"})
    assert_validation_problem(response, "body", "full_name")
    assert (await admin.get(f"/api/v1/registry/persons/{person.id}")).json()["full_name"] == "Lò Thị Mai"


async def test_an_escaped_backslash_before_u0000_is_plain_text(client: AsyncClient) -> None:
    """``"a\\\\u0000"`` is the text a\\u0000 (a backslash, then "u0000"), not a NUL: a wrong login, not a 422."""
    body = b'{"username": "a\\\\u0000b", "password": "x"}'
    response = await client.post("/api/v1/auth/login", content=body, headers={"content-type": "application/json"})
    assert response.status_code == 401


# Integers bounded to the column ------------------------------------------------------------------


@pytest.mark.parametrize("value", [PAST_SQLITE, PAST_POSTGRES, 0])
@pytest.mark.parametrize(
    "path",
    [
        "/api/v1/registry/persons/{}",
        "/api/v1/registry/villages/{}",
        "/api/v1/registry/villages/{}/households",
        "/api/v1/registry/households/{}",
        "/api/v1/registry/households/{}/members",
        "/api/v1/accounts/persons/{}",
        "/api/v1/registry/persons?village_id={}",
    ],
)
async def test_an_id_no_column_can_hold_is_a_422(admin: AsyncClient, path: str, value: int) -> None:
    response = await admin.get(path.format(value))
    assert response.status_code == 422, response.text
    assert response.json()["code"] == "validation_error"


@pytest.mark.parametrize(
    "path", ["/registry/persons/{}", "/registry/households/{}", "/campaign/villages/{}", "/campaign/teams/{}"]
)
async def test_a_page_for_an_id_no_column_can_hold_is_a_422_page(admin: AsyncClient, path: str) -> None:
    response = await admin.get(path.format(PAST_SQLITE))
    assert response.status_code == 422


@pytest.mark.parametrize("household_id", [PAST_SQLITE, PAST_POSTGRES, -2.5e26])
async def test_a_body_id_no_column_can_hold_is_a_422(admin: AsyncClient, household_id: float) -> None:
    person = {"id_number": "001080000001", "full_name": "Lò Văn Páo", "date_of_birth": "1980-01-01", "sex": "M"}
    response = await admin.post("/api/v1/registry/persons", json={**person, "household_id": household_id})
    assert_validation_problem(response, "body", "household_id")


def test_every_integer_the_api_takes_is_bounded_to_the_column(context: Context) -> None:
    """Generated from the OpenAPI document, so that a new route's integer cannot be left unbounded.

    A row id fits an ``INTEGER`` column (2³¹ − 1); any other integer (an audit ``seq`` cursor) at
    least what both drivers bind (2⁶³ − 1).
    """
    document = create_app(context).openapi()
    unbounded = [
        where
        for where, schema in integers_taken(document)
        if not isinstance(schema.get("maximum"), int | float)
        or schema["maximum"] > (MAX_ROW_ID if where.lower().endswith("id") else 2**63 - 1)
    ]
    assert unbounded == []


def integers_taken(document: dict[str, Any]) -> list[tuple[str, dict[str, Any]]]:
    """Every integer schema of every parameter and request body, with where it is."""
    components = document["components"]["schemas"]
    found: list[tuple[str, dict[str, Any]]] = []

    def walk(schema: Any, where: str, seen: frozenset[str]) -> None:
        if not isinstance(schema, dict):
            return
        if "$ref" in schema:
            name = schema["$ref"].rsplit("/", 1)[-1]
            if name not in seen:
                walk(components[name], f"{where}>{name}", seen | {name})
            return
        if schema.get("type") == "integer":
            found.append((where, schema))
        for name, member in schema.get("properties", {}).items():
            walk(member, f"{where}.{name}", seen)
        for key in ("items", "additionalProperties"):
            walk(schema.get(key), f"{where}[]", seen)
        for key in ("anyOf", "oneOf", "allOf"):
            for branch in schema.get(key, []):
                walk(branch, where, seen)

    for path, operations in document["paths"].items():
        for method, operation in operations.items():
            for parameter in operation.get("parameters", []):
                walk(parameter.get("schema"), f"{method} {path} {parameter['name']}", frozenset())
            for content in operation.get("requestBody", {}).get("content", {}).values():
                walk(content.get("schema"), f"{method} {path} body", frozenset())
    return found


# Partial updates: null refused where the column needs a value --------------------------------------


@pytest.mark.parametrize(
    "member", ["full_name", "sex", "residence_status", "has_smartphone", "relation_to_head", "household_id"]
)
async def test_a_correction_may_not_set_a_required_member_to_null(
    admin: AsyncClient, make_person: MakePerson, member: str
) -> None:
    person = make_person("Lò Thị Mai")
    response = await admin.patch(f"/api/v1/registry/persons/{person.id}", json={member: None})
    assert_validation_problem(response, "body", member)


async def test_a_correction_may_clear_the_phone(admin: AsyncClient, make_person: MakePerson) -> None:
    person = make_person("Lò Thị Mai")
    response = await admin.patch(f"/api/v1/registry/persons/{person.id}", json={"phone": None})
    assert response.status_code == 200
    assert response.json()["phone"] is None


def test_the_document_offers_no_null_where_a_correction_refuses_it(context: Context) -> None:
    schema = create_app(context).openapi()["components"]["schemas"]["PersonUpdate"]["properties"]
    assert "anyOf" not in schema["sex"]
    assert "anyOf" not in schema["full_name"]
    assert {"type": "null"} in schema["phone"]["anyOf"]


# Names: one normal form, on registration and on correction ----------------------------------------

UNTIDY = "  Lo\u0300 \u200bThi\u0323 \u202eMai\u2069  "


def test_a_name_is_composed_and_stripped_of_invisible_characters() -> None:
    assert tidy_name(UNTIDY) == "Lò Thị Mai"


async def test_registration_and_correction_tidy_a_name_alike(
    admin: AsyncClient, household_id: int, make_person: MakePerson
) -> None:
    born = dt.date(1980, 1, 1)
    number = make_id_number(province_code="019", date_of_birth=born, sex=Sex.FEMALE, serial=4242)
    person = {"id_number": number, "date_of_birth": born.isoformat(), "sex": "F", "household_id": household_id}
    created = await admin.post("/api/v1/registry/persons", json={**person, "full_name": UNTIDY})
    corrected = await admin.patch(f"/api/v1/registry/persons/{make_person().id}", json={"full_name": UNTIDY})
    assert created.json()["full_name"] == corrected.json()["full_name"] == "Lò Thị Mai"


@pytest.mark.parametrize("name", ["   ", "\u200b\u200b\u200b", "a\u202e"])
async def test_a_correction_to_a_blank_name_is_refused(admin: AsyncClient, make_person: MakePerson, name: str) -> None:
    response = await admin.patch(f"/api/v1/registry/persons/{make_person().id}", json={"full_name": name})
    assert_validation_problem(response, "body", "full_name")


# Body sizes --------------------------------------------------------------------------------------


async def test_a_body_past_the_routes_limit_is_refused_before_it_is_read(client: AsyncClient) -> None:
    body = b"x" * (DEFAULT_BODY_LIMIT + 1)
    response = await client.post("/api/v1/auth/login", content=body, headers={"content-type": "application/json"})
    assert response.status_code == 413
    assert response.json()["code"] == "payload_too_large"


async def test_a_body_streamed_past_the_limit_without_a_length_is_cut_off(client: AsyncClient) -> None:
    async def pieces() -> AsyncIterator[bytes]:
        for _ in range(3):
            yield b" " * (DEFAULT_BODY_LIMIT // 2)

    response = await client.post("/api/v1/auth/login", content=pieces(), headers={"content-type": "application/json"})
    assert response.status_code == 413
    assert response.json()["code"] == "payload_too_large"


def test_a_route_that_takes_more_says_so_in_the_document(context: Context) -> None:
    operation = create_app(context).openapi()["paths"]["/api/v1/accounts/level1"]["post"]
    assert operation["x-body-limit"] > DEFAULT_BODY_LIMIT
    assert "413" in operation["responses"]


# Methods -----------------------------------------------------------------------------------------


async def test_options_names_every_method_of_the_path(client: AsyncClient) -> None:
    response = await client.options("/api/v1/registry/persons")
    assert response.status_code == 204
    assert response.headers["allow"] == "GET, HEAD, OPTIONS, POST"


async def test_a_405_names_every_method_of_the_path(client: AsyncClient) -> None:
    response = await client.delete("/api/v1/registry/persons")
    assert response.status_code == 405
    assert response.headers["allow"] == "GET, HEAD, OPTIONS, POST"


async def test_the_login_route_is_not_taken_for_an_account_id(client: AsyncClient) -> None:
    response = await client.get("/api/v1/accounts/login")
    assert response.status_code == 405
    assert "POST" in response.headers["allow"]


# Booleans, and what every 422 carries -------------------------------------------------------------


@pytest.mark.parametrize("value", [0, 1, "yes", "true"])
async def test_a_boolean_is_a_json_boolean(admin: AsyncClient, make_person: MakePerson, value: object) -> None:
    response = await admin.patch(f"/api/v1/registry/persons/{make_person().id}", json={"has_smartphone": value})
    assert_validation_problem(response, "body", "has_smartphone")


async def test_a_domain_rule_refusal_carries_the_errors_the_document_declares(
    admin: AsyncClient, household_id: int
) -> None:
    """An ID number whose birth year is not the date of birth's: the registry's rule, not the schema's."""
    person = {"full_name": "Lò Văn Páo", "date_of_birth": "1980-01-01", "sex": "M", "household_id": household_id}
    response = await admin.post("/api/v1/registry/persons", json={**person, "id_number": "019099000001"})
    assert response.status_code == 422
    assert response.json()["errors"]


async def test_the_certificate_authority_answers_programs_with_problems(client: AsyncClient) -> None:
    response = await client.get("/pki/crl/no-such-ca")
    assert response.status_code == 404
    assert response.headers["content-type"] == "application/problem+json"
