"""The accounts API: a person's account, for roles that may read persons, in their commune."""

from __future__ import annotations

import pytest
from httpx import AsyncClient
from tests.factories import MakePerson, issued_account, log_in, staff_member

from civicid.core.runtime import Context
from civicid.web.staff import StaffRole

pytestmark = pytest.mark.anyio


@pytest.fixture(autouse=True)
def staff(context: Context) -> None:
    """An operator and a committee member of the commune, and an operator of another commune."""
    staff_member(context, StaffRole.OPERATOR)
    staff_member(context, StaffRole.OPERATOR, "elsewhere.test", commune_code="00001")
    staff_member(context, StaffRole.COMMITTEE)


async def test_an_operator_of_the_commune_reads_a_persons_account(
    client: AsyncClient, context: Context, make_person: MakePerson
) -> None:
    person = make_person()
    account = issued_account(context, person)
    await log_in(client, "operator.test")
    response = await client.get(f"/api/v1/accounts/persons/{person.id}")
    assert response.status_code == 200
    assert response.json()["id"] == account.id
    assert response.json()["status"] == "pending_activation"


@pytest.mark.parametrize(
    ("who", "issued", "status", "code"),
    [
        pytest.param("elsewhere.test", True, 404, "person_not_found", id="another-communes-staff-see-no-one"),
        pytest.param("operator.test", False, 404, "account_not_found", id="no-account-is-a-404"),
        pytest.param("committee.test", False, 403, "forbidden", id="the-committee-reads-no-account"),
    ],
)
async def test_a_refused_read_is_a_problem(
    client: AsyncClient,
    context: Context,
    make_person: MakePerson,
    who: str,
    issued: bool,
    status: int,
    code: str,
) -> None:
    person = make_person()
    if issued:
        issued_account(context, person)
    await log_in(client, who)
    response = await client.get(f"/api/v1/accounts/persons/{person.id}")
    assert response.status_code == status
    assert response.headers["content-type"].startswith("application/problem+json")
    assert response.json()["code"] == code
