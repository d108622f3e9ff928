"""Scope on every read (issue 18, item 5): staff bound to another commune learn nothing of this one.

Generated from the app's route table: every GET route, API and pages, is asked by every
commune-bound role of a foreign commune, with the path's ids filled from this commune's records.
No answer may carry this commune's ID numbers, names or account ids, and none may be a 5xx. A new
route is crossed as soon as it exists; one whose path parameter this test cannot fill fails it until
the parameter is named below.

Before: ``GET /api/v1/notify/sms`` and ``/notify/sms`` listed every commune's messages, and
``/api/v1/registry/stats`` counted the whole registry.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.routing import APIRoute
from httpx import AsyncClient
from sqlalchemy import select
from tests.factories import (
    ADMIN,
    COMMUNE,
    api_client,
    holder_phone,
    log_in,
    served_commune,
    small_commune,
    staff_member,
)

from civicid.app import create_app
from civicid.core.database import unit_of_work
from civicid.core.runtime import Context
from civicid.registry import service as registry
from civicid.registry.models import Household, Person
from civicid.web.staff import StaffRole

pytestmark = pytest.mark.anyio

FOREIGN = COMMUNE  # Xã Cao Minh: another commune than the simulated one
#: Administrators serve every commune (web/roles.py, commune_scope): every other role is bound to one.
BOUND_ROLES = [role for role in StaffRole if role is not StaffRole.ADMIN]
#: Path parameters that name no record of a commune (a file, a language, a format…): any value does.
UNSCOPED_PARAMETERS = {"kind", "name", "code", "lang", "language", "step", "encoded", "list_id"}
#: Records this fixture does not make (their own folders' tests check their scope): a value that names none.
NOT_MADE_HERE = {"application_id", "team_id"}


def get_routes(app: FastAPI) -> Iterator[tuple[str, APIRoute]]:
    """(full path, route) of every GET route, through the routers the app includes."""

    def walk(routes: list[Any], prefix: str) -> Iterator[tuple[str, APIRoute]]:
        for route in routes:
            if isinstance(route, APIRoute) and "GET" in route.methods:
                yield prefix + route.path, route
            included = getattr(route, "original_router", None)  # FastAPI's included router
            if included is not None:
                yield from walk(included.routes, prefix + route.include_context.prefix)

    yield from walk(list(app.router.routes), "")


@pytest.fixture
def here(context: Context) -> dict[str, Any]:
    """This commune's records (people, an account with its SMS) and the values that would betray them."""
    code = small_commune(context, people=12)
    with unit_of_work(context.database.sessions) as session:
        people = session.execute(select(Person.id, Person.id_number, Person.full_name, Person.household_id)).all()
        village_id = session.scalar(select(Household.village_id).where(Household.id == people[0].household_id))
        person = registry.get_person(session=session, clock=context.clock, actor=ADMIN, person_id=people[0].id)
    holder = holder_phone(context, person)
    holder.request_code()  # an SMS about this commune's account
    assert code != FOREIGN
    served_commune(context, FOREIGN)
    ids = {
        "person_id": people[0].id,
        "household_id": people[0].household_id,
        "village_id": village_id,
        "account_id": holder.account.id,
        "child_account_id": holder.account.id,
        "commune": code,
        "commune_code": code,
    }
    secrets = {p.id_number for p in people} | {p.full_name for p in people} | {holder.account.id}
    return {"ids": ids, "secrets": secrets, "people": len(people)}


def filled(path: str, ids: dict[str, Any]) -> str | None:
    """The path with its parameters filled from this commune's ids; None when one cannot be."""

    def value(match: re.Match[str]) -> str:
        name = match.group(1).split(":")[0]
        if name in ids:
            return str(ids[name])
        if name in UNSCOPED_PARAMETERS or name in NOT_MADE_HERE:
            return "1"
        raise KeyError(name)

    try:
        return re.sub(r"\{([^}]+)\}", value, path)
    except KeyError:
        return None


@pytest.mark.parametrize("role", BOUND_ROLES, ids=[r.value for r in BOUND_ROLES])
async def test_staff_of_another_commune_read_nothing_of_this_one(
    context: Context, here: dict[str, Any], role: StaffRole
) -> None:
    app = create_app(context)
    routes = sorted({path for path, _ in get_routes(app)})
    unfillable = [path for path in routes if filled(path, here["ids"]) is None]
    assert unfillable == [], "name these path parameters in the test's ids or UNSCOPED_PARAMETERS"
    async with api_client(context) as client:
        await log_in(client, staff_member(context, role, f"{role.value}.elsewhere", commune_code=FOREIGN))
        leaks = [leak async for leak in _leaks(client, routes, here)]
    assert leaks == []


async def _leaks(client: AsyncClient, routes: list[str], here: dict[str, Any]) -> Any:
    for path in routes:
        url = filled(path, here["ids"])
        assert url is not None
        response = await client.get(url, params={"commune": here["ids"]["commune"]})
        if response.status_code >= 500:
            yield (url, response.status_code)
            continue
        text = response.text.replace(url, "")  # a problem's "instance" is the path asked for
        betrayed = sorted(secret for secret in here["secrets"] if secret in text)
        if betrayed:
            yield (url, response.status_code, betrayed[:3])


async def test_the_sms_list_and_the_counts_are_this_communes_for_its_staff(
    context: Context, client: AsyncClient, here: dict[str, Any]
) -> None:
    await log_in(
        client, staff_member(context, StaffRole.SUPERVISOR, "supervisor.here", commune_code=here["ids"]["commune"])
    )
    sms = (await client.get("/api/v1/notify/sms")).json()
    assert [m["related_id"] for m in sms] == [here["ids"]["account_id"]]
    masked = sms[0]["recipient_masked"]
    assert masked in (await client.get("/notify/sms")).text
    stats = (await client.get("/api/v1/registry/stats")).json()
    assert stats["persons"] == here["people"]
    async with api_client(context) as other:
        await log_in(other, staff_member(context, StaffRole.SUPERVISOR, "supervisor.there", commune_code=FOREIGN))
        assert (await other.get("/api/v1/notify/sms")).json() == []
        assert masked not in (await other.get("/notify/sms")).text
        assert (await other.get("/api/v1/registry/stats")).json()["persons"] == 0
