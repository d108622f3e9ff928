"""The registry's JSON API (``/api/v1/registry``): HTTP in, service calls, problems out.

Every read of a person goes through the audited service functions with the staff member as actor.
Staff bound to a commune see only its villages, and everything in them; a village of another
commune answers 404, as if it did not exist, rather than confirming it does.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Query, status
from sqlalchemy.orm import Session

from civicid.core.inputs import RowId
from civicid.registry import service
from civicid.registry.errors import HouseholdNotFound, PersonNotFound, VillageNotFound
from civicid.registry.schemas import (
    HouseholdRead,
    PersonIn,
    PersonRead,
    PersonSummary,
    PersonUpdate,
    RegistryStats,
    VillageRead,
)
from civicid.web.deps import AppContext, DbSession
from civicid.web.problems import problem_responses
from civicid.web.roles import Permission, commune_scope, require
from civicid.web.staff import StaffAccount
from civicid.web.staff_service import staff_actor

router = APIRouter(tags=["registry"])

Browser = Annotated[StaffAccount, Depends(require(Permission.REGISTRY_BROWSE))]
Reader = Annotated[StaffAccount, Depends(require(Permission.REGISTRY_READ_PERSON))]
Writer = Annotated[StaffAccount, Depends(require(Permission.REGISTRY_WRITE))]


def visible_village(session: Session, principal: StaffAccount, village_id: int) -> VillageRead:
    """The village, if the principal's commune (if any) holds it; otherwise :class:`VillageNotFound`."""
    village = service.get_village(session=session, village_id=village_id)
    scope = commune_scope(principal)
    if scope is not None and village.commune_code != scope:
        raise VillageNotFound(f"no village {village_id}")
    return village


def visible_household(session: Session, principal: StaffAccount, household_id: int) -> HouseholdRead:
    household = service.get_household(session=session, household_id=household_id)
    try:
        visible_village(session, principal, household.village_id)
    except VillageNotFound:
        raise HouseholdNotFound(f"no household {household_id}") from None
    return household


def visible_village_ids(session: Session, principal: StaffAccount) -> set[int] | None:
    """Ids of the villages the principal may see; None when not bound to a commune."""
    scope = commune_scope(principal)
    if scope is None:
        return None
    return {v.id for v in service.list_villages(session=session, commune_code=scope)}


@router.get("/villages", responses=problem_responses(401, 403))
def list_villages(session: DbSession, principal: Browser) -> list[VillageRead]:
    """Villages with their households and persons counted (the commune's, for staff bound to one)."""
    return service.list_villages(session=session, commune_code=commune_scope(principal))


@router.get("/villages/{village_id}", responses=problem_responses(401, 403, 404))
def get_village(village_id: RowId, session: DbSession, principal: Browser) -> VillageRead:
    return visible_village(session, principal, village_id)


@router.get("/villages/{village_id}/households", responses=problem_responses(401, 403, 404))
def list_households(village_id: RowId, session: DbSession, principal: Browser) -> list[HouseholdRead]:
    visible_village(session, principal, village_id)
    return service.list_households(session=session, village_id=village_id)


@router.get("/households/{household_id}", responses=problem_responses(401, 403, 404))
def get_household(household_id: RowId, session: DbSession, principal: Browser) -> HouseholdRead:
    return visible_household(session, principal, household_id)


@router.get("/households/{household_id}/members", responses=problem_responses(401, 403, 404))
def household_members(
    household_id: RowId, context: AppContext, session: DbSession, principal: Reader
) -> list[PersonRead]:
    """The household's members' records; each read is audited."""
    visible_household(session, principal, household_id)
    return service.household_members(
        session=session, clock=context.clock, actor=staff_actor(principal), household_id=household_id
    )


@router.get("/persons/{person_id}", responses=problem_responses(401, 403, 404))
def get_person(person_id: RowId, context: AppContext, session: DbSession, principal: Reader) -> PersonRead:
    """One person's record; the read is audited."""
    return service.get_person(
        session=session,
        clock=context.clock,
        actor=staff_actor(principal),
        person_id=person_id,
        commune_code=commune_scope(principal),
    )


@router.get("/persons", responses=problem_responses(401, 403, 404, 422))
def search_persons(
    context: AppContext,
    session: DbSession,
    principal: Reader,
    q: Annotated[
        str | None, Query(max_length=200, description="Any words of the name, with or without diacritics.")
    ] = None,
    id_number: Annotated[str | None, Query(max_length=12)] = None,
    village_id: RowId | None = None,
    limit: Annotated[int, Query(ge=1, le=service.SEARCH_LIMIT_MAX)] = 50,
    offset: Annotated[int, Query(ge=0, le=service.SEARCH_OFFSET_MAX)] = 0,
) -> list[PersonSummary]:
    """Search by exact ID number or by any words of the name (whole-name prefix first); audited.

    ``offset`` pages through long lists: ask again from ``offset + limit`` while a full page comes back.
    """
    if village_id is not None:
        visible_village(session, principal, village_id)
    return service.search_page(
        session=session,
        clock=context.clock,
        actor=staff_actor(principal),
        query=q,
        id_number=id_number,
        village_id=village_id,
        commune_code=commune_scope(principal),
        offset=offset,
        limit=limit,
    ).persons


@router.post("/persons", status_code=status.HTTP_201_CREATED, responses=problem_responses(401, 403, 404, 409, 422))
def create_person(person_in: PersonIn, context: AppContext, session: DbSession, principal: Writer) -> PersonRead:
    visible_household(session, principal, person_in.household_id)
    return service.create_person(
        session=session, clock=context.clock, actor=staff_actor(principal), person_in=person_in
    )


@router.patch("/persons/{person_id}", responses=problem_responses(401, 403, 404, 409, 422))
def update_person(
    person_id: RowId, changes: PersonUpdate, context: AppContext, session: DbSession, principal: Writer
) -> PersonRead:
    """Correct a person's record; the audit entry lists the names of the changed fields.

    The commune check comes after the update, whose transaction it rolls back when it fails: the
    service's own lookup is the only one, and no read is audited that did not happen.
    """
    if changes.household_id is not None:
        visible_household(session, principal, changes.household_id)
    person = service.update_person(
        session=session, clock=context.clock, actor=staff_actor(principal), person_id=person_id, changes=changes
    )
    allowed = visible_village_ids(session, principal)
    if allowed is not None and person.village_id not in allowed:
        raise PersonNotFound(f"no person {person_id}")
    return person


@router.get("/stats", responses=problem_responses(401, 403))
def registry_stats(context: AppContext, session: DbSession, principal: Browser) -> RegistryStats:
    """Counts of the registry (the commune's, for staff bound to one), persons by age group on today's date."""
    return service.registry_stats(
        session=session, reference_date=context.clock.today(), commune_code=commune_scope(principal)
    )
