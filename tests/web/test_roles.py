"""Permissions by role: least privilege, and what the API answers when one is missing."""

from __future__ import annotations

import pytest
from httpx import AsyncClient
from tests.factories import log_in

from civicid.web.roles import Permission, allows, permissions_of
from civicid.web.staff import StaffRole

pytestmark = pytest.mark.anyio


async def test_committee_browses_and_runs_the_campaign_but_reads_no_person_record() -> None:
    assert permissions_of(StaffRole.COMMITTEE) == {
        Permission.REGISTRY_BROWSE,
        Permission.CAMPAIGN_READ,
        Permission.CAMPAIGN_MANAGE,
    }


async def test_only_admins_manage_staff() -> None:
    assert [r for r in StaffRole if allows(r, Permission.STAFF_MANAGE)] == [StaffRole.ADMIN]


async def test_operators_read_but_do_not_write() -> None:
    assert allows(StaffRole.OPERATOR, Permission.REGISTRY_READ_PERSON)
    assert not allows(StaffRole.OPERATOR, Permission.REGISTRY_WRITE)


async def test_not_logged_in_is_a_401_problem(client: AsyncClient) -> None:
    response = await client.get("/api/v1/registry/villages")
    assert response.status_code == 401
    assert response.headers["content-type"] == "application/problem+json"
    assert response.headers["www-authenticate"] == "Bearer"
    assert response.json()["code"] == "not_authenticated"


@pytest.mark.parametrize("role", [StaffRole.COMMITTEE])
async def test_forbidden_is_a_403_problem(client: AsyncClient, staff: dict[StaffRole, str], role: StaffRole) -> None:
    await log_in(client, staff[role])
    response = await client.get("/api/v1/registry/persons/1")
    assert response.status_code == 403
    body = response.json()
    assert body["code"] == "forbidden"
    assert body["permission"] == "registry:read_person"


async def test_forbidden_page_is_readable(client: AsyncClient, staff: dict[StaffRole, str]) -> None:
    await log_in(client, staff[StaffRole.COMMITTEE])
    response = await client.get("/registry/persons?lang=en")
    assert response.status_code == 403
    assert "Not allowed" in response.text
