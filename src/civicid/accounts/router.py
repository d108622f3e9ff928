"""The accounts' JSON API (``/api/v1/accounts``)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends

from civicid.accounts import service
from civicid.accounts.schemas import AccountRead
from civicid.registry import service as registry
from civicid.web.deps import AppContext, DbSession
from civicid.web.problems import problem_responses
from civicid.web.roles import Permission, commune_scope, require
from civicid.web.staff import StaffAccount
from civicid.web.staff_service import staff_actor

router = APIRouter(tags=["accounts"])

Reader = Annotated[StaffAccount, Depends(require(Permission.REGISTRY_READ_PERSON))]


@router.get("/{person_id}", responses=problem_responses(401, 403, 404))
def get_account(person_id: int, context: AppContext, session: DbSession, principal: Reader) -> AccountRead:
    """A person's e-ID account. It is part of the person's record: the read is audited as one, and a
    person outside the staff member's commune is not found."""
    registry.get_person(
        session=session,
        clock=context.clock,
        actor=staff_actor(principal),
        person_id=person_id,
        commune_code=commune_scope(principal),
    )
    return service.get_account_by_person(session=session, person_id=person_id)
