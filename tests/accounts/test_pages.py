"""The staff's account pages: the panel on a person's page, locking on form TK03, lifting by a supervisor,
and who in a village still waits for activation, those without a smartphone first."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from httpx import AsyncClient
from tests.factories import COMMUNE, MakePerson, Phone, api_client, log_in, staff_member
from tests.factories import issued_account as issue

from civicid.core.runtime import Context
from civicid.registry.schemas import PersonRead
from civicid.web.staff import StaffRole

pytestmark = pytest.mark.anyio


@pytest.fixture
async def client(context: Context, household_id: int) -> AsyncIterator[AsyncClient]:
    staff_member(context, StaffRole.OPERATOR, commune_code=COMMUNE)
    staff_member(context, StaffRole.SUPERVISOR, commune_code=COMMUNE)
    staff_member(context, StaffRole.SUPERVISOR, "elsewhere.test", commune_code="00001")
    async with api_client(context) as test_client:
        yield test_client


@pytest.fixture
def holder(context: Context, make_person: MakePerson) -> PersonRead:
    person = make_person()
    Phone(context, person, issue(context, person)).activate()
    return person


async def test_the_person_page_shows_the_account(client: AsyncClient, holder: PersonRead) -> None:
    await log_in(client, "operator.test")
    page = await client.get(f"/registry/persons/{holder.id}?lang=en")
    assert page.status_code == 200
    assert "e-ID account" in page.text
    assert "active" in page.text
    assert f"/accounts/persons/{holder.id}" in page.text


async def test_an_operator_locks_on_tk03_and_only_a_supervisor_lifts(client: AsyncClient, holder: PersonRead) -> None:
    await log_in(client, "operator.test")
    locked = await client.post(
        f"/accounts/persons/{holder.id}/locks", data={"ground": "tk03", "reason": "TK03 số 17/2026"}
    )
    assert locked.status_code == 303
    page = await client.get(f"/accounts/persons/{holder.id}?lang=en")
    assert 'id="account-status">locked' in page.text
    lock_id = page.text.split("/locks/")[1].split("/lift")[0] if "/lift" in page.text else None
    assert lock_id is None  # an operator is offered no lift
    api = (await client.get(f"/api/v1/accounts/persons/{holder.id}/locks")).json()
    refused = await client.post(f"/accounts/persons/{holder.id}/locks/{api[0]['id']}/lift", data={"reason": "done"})
    assert refused.status_code == 403
    await log_in(client, "supervisor.test")
    lifted = await client.post(f"/accounts/persons/{holder.id}/locks/{api[0]['id']}/lift", data={"reason": "rút TK03"})
    assert lifted.status_code == 303
    after = await client.get(f"/accounts/persons/{holder.id}?lang=en")
    assert 'id="account-status">active' in after.text


async def test_a_lock_without_a_reason_is_a_form_message(client: AsyncClient, holder: PersonRead) -> None:
    await log_in(client, "operator.test")
    refused = await client.post(f"/accounts/persons/{holder.id}/locks?lang=en", data={"ground": "tk03", "reason": " "})
    assert refused.status_code == 422
    assert "give a reason" in refused.text
    holder_lock = await client.post(
        f"/accounts/persons/{holder.id}/locks", data={"ground": "holder", "reason": "x y z"}
    )
    assert holder_lock.status_code == 422  # the holder's ground is the holder's own


async def test_another_communes_staff_do_not_find_the_account(client: AsyncClient, holder: PersonRead) -> None:
    await log_in(client, "elsewhere.test")
    assert (await client.get(f"/accounts/persons/{holder.id}")).status_code == 404
    assert (await client.get(f"/api/v1/accounts/persons/{holder.id}/locks")).status_code == 404


async def test_the_village_list_puts_people_without_a_smartphone_first(
    client: AsyncClient, context: Context, make_person: MakePerson
) -> None:
    with_phone = make_person("Lò Văn Sáng", has_smartphone=True, phone="0912000001")
    without = make_person("Vàng Thị Mai", has_smartphone=False, phone="0912000002")
    for person in (with_phone, without):
        issue(context, person, phone=person.phone)
    await log_in(client, "operator.test")
    page = await client.get(f"/accounts/villages/{with_phone.village_id}/pending?lang=en")
    assert page.status_code == 200
    table = page.text.split('id="pending"')[1]
    assert table.index("Vàng Thị Mai") < table.index("Lò Văn Sáng")
    assert "assisted activation" in table
