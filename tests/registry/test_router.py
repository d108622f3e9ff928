"""The registry's API: roles, commune scoping, problems, and the audited reads behind it."""

from __future__ import annotations

import datetime as dt

import pytest
from httpx import AsyncClient
from sqlalchemy import select
from tests.factories import MakePerson, log_in, staff_member

from civicid.core import audit
from civicid.core.database import unit_of_work
from civicid.core.runtime import Context
from civicid.country.id_number import make_id_number
from civicid.country.sex import Sex
from civicid.web.staff import StaffRole

pytestmark = pytest.mark.anyio


@pytest.fixture(autouse=True)
def staff(context: Context) -> None:
    """An administrator; an operator and a committee member of the commune; a supervisor of another one."""
    staff_member(context, StaffRole.ADMIN)
    staff_member(context, StaffRole.OPERATOR)
    staff_member(context, StaffRole.COMMITTEE)
    staff_member(context, StaffRole.SUPERVISOR, "elsewhere.test", commune_code="00001")


@pytest.mark.parametrize(
    ("who", "method", "path", "status", "code"),
    [
        pytest.param("committee.test", "GET", "/persons/{person}", 403, "forbidden", id="the-committee-reads-no-one"),
        pytest.param("operator.test", "PATCH", "/persons/{person}", 403, "forbidden", id="operators-write-nothing"),
        pytest.param(
            "elsewhere.test", "GET", "/households/{household}", 404, "household_not_found", id="scoped-to-the-commune"
        ),
        pytest.param("admin.test", "GET", "/persons/999", 404, "person_not_found", id="an-unknown-person-is-a-404"),
    ],
)
async def test_a_refusal_is_a_problem_document(
    client: AsyncClient,
    household_id: int,
    make_person: MakePerson,
    who: str,
    method: str,
    path: str,
    status: int,
    code: str,
) -> None:
    url = "/api/v1/registry" + path.format(person=make_person().id, household=household_id)
    await log_in(client, who)
    response = await client.request(method, url, json={"phone": "0912345678"} if method == "PATCH" else None)
    assert response.status_code == status
    assert response.headers["content-type"] == "application/problem+json"
    body = response.json()
    assert (body["code"], body["type"], body["instance"]) == (code, f"/problems/{code}", url)


async def test_villages_with_counts(client: AsyncClient, make_person: MakePerson) -> None:
    make_person("Hoàng Văn Sử", dt.date(1980, 3, 2))
    await log_in(client, "committee.test")
    villages = (await client.get("/api/v1/registry/villages")).json()
    assert [(v["name"], v["households"], v["persons"]) for v in villages] == [("Thôn Nà Pục", 1, 1)]


async def test_staff_of_another_commune_see_nothing(client: AsyncClient, household_id: int) -> None:
    await log_in(client, "elsewhere.test")
    assert (await client.get("/api/v1/registry/villages")).json() == []


async def test_household_members_are_audited(
    client: AsyncClient, context: Context, household_id: int, make_person: MakePerson
) -> None:
    make_person("Hoàng Văn Sử", dt.date(1980, 3, 2))
    await log_in(client, "operator.test")
    members = (await client.get(f"/api/v1/registry/households/{household_id}/members")).json()
    assert [m["full_name"] for m in members] == ["Hoàng Văn Sử"]
    with unit_of_work(context.database.sessions) as session:
        actors = session.scalars(select(audit.AuditEntry.actor)).all()
    assert "staff:operator.test" in actors


async def test_search_by_name_without_diacritics(client: AsyncClient, make_person: MakePerson) -> None:
    make_person("Hoàng Văn Sử", dt.date(1980, 3, 2))
    await log_in(client, "operator.test")
    found = (await client.get("/api/v1/registry/persons", params={"q": "hoang van su"})).json()
    assert [p["full_name"] for p in found] == ["Hoàng Văn Sử"]


async def test_create_and_correct_a_person(client: AsyncClient, household_id: int) -> None:
    await log_in(client, "admin.test")
    born = dt.date(1992, 7, 14)
    body = {
        "id_number": make_id_number(province_code="019", date_of_birth=born, sex=Sex.FEMALE, serial=4242),
        "full_name": "Lò Thị Mai",
        "date_of_birth": born.isoformat(),
        "sex": "F",
        "household_id": household_id,
    }
    created = await client.post("/api/v1/registry/persons", json=body)
    assert created.status_code == 201, created.text
    again = await client.post("/api/v1/registry/persons", json=body)
    assert again.status_code == 409
    person_id = created.json()["id"]
    patched = await client.patch(f"/api/v1/registry/persons/{person_id}", json={"phone": "0912 345 678"})
    assert patched.status_code == 200
    assert patched.json()["phone"] == "0912345678"


async def test_bad_payload_is_a_422_problem(client: AsyncClient) -> None:
    await log_in(client, "admin.test")
    response = await client.post("/api/v1/registry/persons", json={"full_name": "X"})
    assert response.status_code == 422
    fields = {e["field"] for e in response.json()["errors"]}
    assert {"id_number", "date_of_birth", "household_id"} <= fields


async def test_stats(client: AsyncClient, make_person: MakePerson) -> None:
    make_person("Hoàng Văn Sử", dt.date(1980, 3, 2))
    await log_in(client, "committee.test")
    stats = (await client.get("/api/v1/registry/stats")).json()
    assert (stats["villages"], stats["households"], stats["persons"]) == (1, 1, 1)
