"""The accounts API: a person's account, for roles that may read persons, in their commune."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from httpx import AsyncClient
from tests.factories import OFFICER, MakePerson
from tests.web.support import add_staff, client_for, login

from civicid.accounts import service
from civicid.core.database import unit_of_work
from civicid.core.runtime import Context
from civicid.web.staff import StaffRole

pytestmark = pytest.mark.anyio


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


@pytest.fixture
async def client(context: Context, household_id: int) -> AsyncIterator[AsyncClient]:
    add_staff(context, "operator.test", StaffRole.OPERATOR, "01879")
    add_staff(context, "elsewhere.test", StaffRole.OPERATOR, "00001")
    add_staff(context, "committee.test", StaffRole.COMMITTEE, "01879")
    async with client_for(context) as test_client:
        yield test_client


async def test_get_account(client: AsyncClient, context: Context, make_person: MakePerson) -> None:
    person = make_person()
    with unit_of_work(context.database.sessions) as session:
        account = service.issue_account(
            session=session,
            clock=context.clock,
            actor=OFFICER,
            person_id=person.id,
            id_number=person.id_number,
            phone="0912345678",
            level=2,
            source="application:A1",
        )
    await login(client, "operator.test")
    response = await client.get(f"/api/v1/accounts/persons/{person.id}")
    assert response.status_code == 200
    assert response.json()["id"] == account.id
    assert response.json()["status"] == "pending_activation"

    await login(client, "elsewhere.test")
    assert (await client.get(f"/api/v1/accounts/persons/{person.id}")).status_code == 404


async def test_no_account_is_404(client: AsyncClient, make_person: MakePerson) -> None:
    person = make_person()
    await login(client, "operator.test")
    response = await client.get(f"/api/v1/accounts/persons/{person.id}")
    assert response.status_code == 404
    assert response.json()["code"] == "account_not_found"


async def test_committee_is_forbidden(client: AsyncClient, make_person: MakePerson) -> None:
    person = make_person()
    await login(client, "committee.test")
    response = await client.get(f"/api/v1/accounts/persons/{person.id}")
    assert response.status_code == 403
    assert response.headers["content-type"].startswith("application/problem+json")
