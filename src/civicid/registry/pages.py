"""The registry's pages (``/registry``): villages, households, members, person search and record.

Pages call the same service functions as the API with the same commune scoping (``router.py``), so
a page never shows what the API would refuse.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Request
from starlette.responses import Response

from civicid.core.inputs import RowId
from civicid.country.names import fold
from civicid.registry import service
from civicid.registry.ports import PersonPanel, PersonStatus, PersonStatuses, no_statuses
from civicid.registry.router import visible_household, visible_village
from civicid.registry.schemas import SearchPage
from civicid.web.deps import AppContext, DbSession
from civicid.web.roles import Permission, allows, commune_scope, require
from civicid.web.staff import StaffAccount
from civicid.web.staff_service import staff_actor
from civicid.web.templating import render, url_with

router = APIRouter(include_in_schema=False)

SEARCH_PAGE_SIZE = 50

Browser = Annotated[StaffAccount, Depends(require(Permission.REGISTRY_BROWSE))]
Reader = Annotated[StaffAccount, Depends(require(Permission.REGISTRY_READ_PERSON))]


@router.get("/villages")
def villages_page(request: Request, session: DbSession, principal: Browser) -> Response:
    villages = service.list_villages(session=session, commune_code=commune_scope(principal))
    return render(request, "registry/villages.html", {"villages": villages}, principal=principal)


@router.get("/villages/{village_id}")
def village_page(
    request: Request, village_id: RowId, context: AppContext, session: DbSession, principal: Browser, q: str = ""
) -> Response:
    """The village's households; for roles that may read persons, with each head's name (audited) and
    a filter by number or head's name, with or without diacritics."""
    village = visible_village(session, principal, village_id)
    households = service.list_households(session=session, village_id=village_id)
    heads: dict[int, str] | None = None
    if allows(principal.role, Permission.REGISTRY_READ_PERSON):
        heads = service.household_heads(
            session=session, clock=context.clock, actor=staff_actor(principal), village_id=village_id
        )
    wanted = fold(q[:100])
    if wanted:
        households = [
            h
            for h in households
            if wanted in fold(h.number) or (heads is not None and wanted in fold(heads.get(h.id, "")))
        ]
    return render(
        request,
        "registry/village.html",
        {"village": village, "households": households, "heads": heads, "q": q[:100]},
        principal=principal,
    )


@router.get("/households/{household_id}")
def household_page(
    request: Request, household_id: RowId, context: AppContext, session: DbSession, principal: Browser
) -> Response:
    """Members are listed only for roles that may read persons (the read is audited); others see the count."""
    household = visible_household(session, principal, household_id)
    village = service.get_village(session=session, village_id=household.village_id)
    members = None
    if allows(principal.role, Permission.REGISTRY_READ_PERSON):
        members = service.household_members(
            session=session, clock=context.clock, actor=staff_actor(principal), household_id=household_id
        )
    return render(
        request,
        "registry/household.html",
        {"household": household, "village": village, "members": members},
        principal=principal,
    )


@router.get("/persons")
def search_page(
    request: Request,
    context: AppContext,
    session: DbSession,
    principal: Reader,
    q: str = "",
    id_number: str = "",
    village_id: str = "",
    offset: str = "0",
) -> Response:
    """The search form, and a page of results once something was asked; bad input is a form message.

    Each result shows the person's account and last application (``app.state.person_statuses``,
    registry/ports.py); "next" and "previous" links page through long lists.
    """
    villages = service.list_villages(session=session, commune_code=commune_scope(principal))
    form = {"q": q[:200], "id_number": id_number[:12], "village_id": village_id}
    error = None
    results = None
    page = None
    statuses: dict[int, PersonStatus] = {}
    start = min(int(offset), service.SEARCH_OFFSET_MAX) if offset.isdigit() else 0
    village = int(village_id) if village_id.isdigit() else None
    if village_id and village is None:
        error = "registry.search.error.village"
    elif q.strip() or id_number.strip():
        if village is not None:
            visible_village(session, principal, village)
        page = service.search_page(
            session=session,
            clock=context.clock,
            actor=staff_actor(principal),
            query=q.strip()[:200] or None,
            id_number=id_number.strip()[:12] or None,
            village_id=village,
            commune_code=commune_scope(principal),
            offset=start,
            limit=SEARCH_PAGE_SIZE,
        )
        results = page.persons
        person_statuses: PersonStatuses = getattr(request.app.state, "person_statuses", no_statuses)
        statuses = person_statuses(session=session, persons=[(p.id, p.id_number) for p in results])
    names = {v.id: v.name for v in villages}
    return render(
        request,
        "registry/search.html",
        {
            "form": form,
            "error": error,
            "results": results,
            "page": page,
            "statuses": statuses,
            "pages": _paging(request, page),
            "villages": villages,
            "village_names": names,
        },
        principal=principal,
        status_code=400 if error else 200,
    )


def _paging(request: Request, page: SearchPage | None) -> dict[str, str]:
    """Links to the previous and next pages of results, keeping the search's other fields."""
    if page is None:
        return {}
    links = {}
    if page.offset > 0:
        links["previous"] = url_with(request, offset=str(max(0, page.offset - page.limit)))
    if page.more:
        links["next"] = url_with(request, offset=str(page.offset + len(page.persons)))
    return links


@router.get("/persons/{person_id}")
def person_page(
    request: Request, person_id: RowId, context: AppContext, session: DbSession, principal: Reader
) -> Response:
    person = service.get_person(
        session=session,
        clock=context.clock,
        actor=staff_actor(principal),
        person_id=person_id,
        commune_code=commune_scope(principal),
    )
    village = service.get_village(session=session, village_id=person.village_id)
    household = service.get_household(session=session, household_id=person.household_id)
    panels: list[PersonPanel] = getattr(request.app.state, "person_panels", [])
    shown = [p for panel in panels if (p := panel(session=session, clock=context.clock, person_id=person.id))]
    return render(
        request,
        "registry/person.html",
        {"person": person, "village": village, "household": household, "panels": shown},
        principal=principal,
    )
