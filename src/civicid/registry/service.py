"""The registry's service functions: the only way other capabilities reach its data.

Every change to a person and every read of a person's record appends to the audit log in the
caller's transaction (DESIGN.md decision 13). Searches record which records they returned.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import or_, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from civicid.core import audit, jobs
from civicid.core.audit import Actor
from civicid.core.clock import Clock
from civicid.core.database import Base
from civicid.core.errors import CivicIDError
from civicid.country import admin_units
from civicid.country.age import age_group, latest_birth_date
from civicid.country.id_number import parse_id_number
from civicid.country.names import fold
from civicid.registry import repository
from civicid.registry.errors import (
    CardNotFound,
    DuplicateIdNumber,
    DuplicatePlace,
    HouseholdNotFound,
    InvalidGuardian,
    PersonNotFound,
    VillageNotFound,
)
from civicid.registry.models import (
    CardStatus,
    Commune,
    GuardianLink,
    Household,
    IdCard,
    Person,
    ResidenceStatus,
    Village,
)
from civicid.registry.schemas import (
    CommuneRead,
    HouseholdIn,
    HouseholdRead,
    IdCardIn,
    IdCardRead,
    PersonIn,
    PersonRead,
    PersonSummary,
    PersonUpdate,
    RegistryStats,
    SearchPage,
    VillageIn,
    VillageRead,
)

SEARCH_LIMIT_MAX = 200
#: Pages beyond this many results are not served: a search that long needs more words.
SEARCH_OFFSET_MAX = 10_000
_LIVING_HERE = (ResidenceStatus.PRESENT, ResidenceStatus.WORKING_AWAY)


# Places ---------------------------------------------------------------------------------------


def add_commune(
    *, session: Session, code: str, latitude: float | None = None, longitude: float | None = None
) -> CommuneRead:
    """Start serving a commune of the national list (the country profile names it)."""
    unit = admin_units.get_commune(code)
    if repository.get_commune(session, code) is not None:
        raise DuplicatePlace(f"commune {code} is already registered")
    province = admin_units.get_province(unit.province_code)
    commune = Commune(
        code=unit.code,
        name=unit.name,
        province_code=province.code,
        province_name=province.name,
        latitude=latitude,
        longitude=longitude,
    )
    session.add(commune)
    return CommuneRead.model_validate(commune)


def list_communes(*, session: Session) -> list[CommuneRead]:
    return [CommuneRead.model_validate(c) for c in repository.list_communes(session)]


def create_village(*, session: Session, village_in: VillageIn) -> VillageRead:
    if repository.get_commune(session, village_in.commune_code) is None:
        raise VillageNotFound(f"commune {village_in.commune_code} is not served by this registry")
    village = Village(**village_in.model_dump())
    _insert_unique(session, village, DuplicatePlace(f"village {village_in.name!r} already exists in this commune"))
    return _village_read(village, households=0, persons=0)


def list_villages(*, session: Session, commune_code: str | None = None) -> list[VillageRead]:
    return [_village_read(v, h, p) for v, h, p in repository.village_counts(session, commune_code)]


def get_village(*, session: Session, village_id: int) -> VillageRead:
    village = _village(session, village_id)
    return _village_read(
        village,
        households=repository.count_households(session, village_id),
        persons=repository.count_persons_in_village(session, village_id),
    )


def create_household(*, session: Session, household_in: HouseholdIn) -> HouseholdRead:
    _village(session, household_in.village_id)
    household = Household(**household_in.model_dump())
    conflict = DuplicatePlace(f"household number {household_in.number!r} already exists in this village")
    _insert_unique(session, household, conflict)
    return HouseholdRead(
        id=household.id, village_id=household.village_id, number=household.number, address=household.address, members=0
    )


def list_households(*, session: Session, village_id: int) -> list[HouseholdRead]:
    _village(session, village_id)
    return [
        HouseholdRead(id=h.id, village_id=h.village_id, number=h.number, address=h.address, members=n)
        for h, n in repository.households_with_counts(session, village_id)
    ]


def get_household(*, session: Session, household_id: int) -> HouseholdRead:
    household = _household(session, household_id)
    return HouseholdRead(
        id=household.id,
        village_id=household.village_id,
        number=household.number,
        address=household.address,
        members=repository.count_members(session, household_id),
    )


def communes_of_households(*, session: Session, household_ids: Iterable[int]) -> dict[int, str]:
    """Each known household's commune code (unknown ids are left out): for scope checks."""
    rows = session.execute(
        select(Household.id, Village.commune_code)
        .join(Village, Village.id == Household.village_id)
        .where(Household.id.in_(set(household_ids)))
    )
    return {household: commune for household, commune in rows}


# Persons --------------------------------------------------------------------------------------


def create_person(*, session: Session, clock: Clock, actor: Actor, person_in: PersonIn) -> PersonRead:
    """Register a person; the ID number must be valid and agree with the date of birth and sex."""
    parse_id_number(person_in.id_number, date_of_birth=person_in.date_of_birth, sex=person_in.sex, today=clock.today())
    household = _household(session, person_in.household_id)
    if repository.get_person_by_id_number(session, person_in.id_number) is not None:
        raise DuplicateIdNumber("another person already holds this ID number")
    now = clock.now()
    person = Person(
        **person_in.model_dump(),
        name_folded=fold(person_in.full_name),
        village_id=household.village_id,
        created_at=now,
        updated_at=now,
    )
    _insert_unique(session, person, DuplicateIdNumber("another person already holds this ID number"))
    repository.write_name_words(session, person.id, person.name_folded)
    _audit(session, clock, actor, "person.create", person.id, {"fields": sorted(person_in.model_fields_set)})
    return _person_read(person, clock)


def update_person(*, session: Session, clock: Clock, actor: Actor, person_id: int, changes: PersonUpdate) -> PersonRead:
    person = _person(session, person_id)
    values = changes.model_dump(exclude_unset=True)
    if "sex" in values and values["sex"] is not None:
        parse_id_number(person.id_number, date_of_birth=person.date_of_birth, sex=values["sex"])
    if "household_id" in values and values["household_id"] is not None:
        person.village_id = _household(session, values["household_id"]).village_id
    changed = sorted(name for name, value in values.items() if getattr(person, name) != value)
    for name in changed:
        setattr(person, name, values[name])
    if "full_name" in changed:
        person.name_folded = fold(person.full_name)
        repository.write_name_words(session, person.id, person.name_folded)
    if changed:
        person.updated_at = clock.now()
        _audit(session, clock, actor, "person.update", person.id, {"fields": changed})
    if "residence_status" in changed:
        _standing_changed(session, clock, person.id)
    return _person_read(person, clock)


def get_person(
    *, session: Session, clock: Clock, actor: Actor, person_id: int, commune_code: str | None = None
) -> PersonRead:
    """One person's record, audited; outside ``commune_code`` (when given) the person is not found."""
    person = _person(session, person_id)
    if commune_code is not None and _village(session, person.village_id).commune_code != commune_code:
        raise PersonNotFound(f"no person with id {person_id}")
    _audit(session, clock, actor, "person.read", person.id)
    return _person_read(person, clock)


def get_person_by_id_number(*, session: Session, clock: Clock, actor: Actor, id_number: str) -> PersonRead:
    person = repository.get_person_by_id_number(session, id_number)
    if person is None:
        raise PersonNotFound("no person with this ID number")
    _audit(session, clock, actor, "person.read", person.id)
    return _person_read(person, clock)


def household_members(*, session: Session, clock: Clock, actor: Actor, household_id: int) -> list[PersonRead]:
    _household(session, household_id)
    members = repository.household_members(session, household_id)
    _audit_search(session, clock, actor, {"by": "household", "household_id": household_id}, [p.id for p in members])
    return [_person_read(p, clock) for p in members]


def search_persons(
    *,
    session: Session,
    clock: Clock,
    actor: Actor,
    query: str | None = None,
    id_number: str | None = None,
    village_id: int | None = None,
    commune_code: str | None = None,
    limit: int = 50,
) -> list[PersonSummary]:
    """The first page of :func:`search_page`: callers that want a short list and no paging."""
    return search_page(
        session=session,
        clock=clock,
        actor=actor,
        query=query,
        id_number=id_number,
        village_id=village_id,
        commune_code=commune_code,
        limit=limit,
    ).persons


def search_page(
    *,
    session: Session,
    clock: Clock,
    actor: Actor,
    query: str | None = None,
    id_number: str | None = None,
    village_id: int | None = None,
    commune_code: str | None = None,
    offset: int = 0,
    limit: int = 50,
) -> SearchPage:
    """Find persons by exact ID number, or by any words of the name typed with or without diacritics.

    Names are compared folded (``country.names.fold``: "thang" finds "Lò Văn Thắng", "dung" finds
    "Đặng Văn Dũng"). Every typed word must begin a word of the name, in any order; whole names
    that begin with the typed text come first (the surname-first habit of the cards), then the others
    by the matching word and name (decision 0071). ``commune_code`` confines the search to the
    commune a staff member serves. The search is audited with the ids it returned (never the text).
    """
    limit = max(1, min(limit, SEARCH_LIMIT_MAX))
    offset = max(0, min(offset, SEARCH_OFFSET_MAX))
    criteria: dict[str, Any]
    if id_number and id_number.strip():
        criteria = {"by": "id_number"}
        found = list(
            repository.find_summaries(
                session, id_number=id_number.strip(), limit=1, village_id=village_id, commune_code=commune_code
            )
        )
        offset, more = 0, False
    elif query and fold(query):
        criteria = {"by": "name", "village_id": village_id}
        found, more = _by_name(
            session, fold(query), offset=offset, limit=limit, village_id=village_id, commune_code=commune_code
        )
    elif village_id is not None:
        _village(session, village_id)
        criteria = {"by": "village", "village_id": village_id}
        found = list(
            repository.find_summaries(
                session, offset=offset, limit=limit + 1, village_id=village_id, commune_code=commune_code
            )
        )
        more, found = len(found) > limit, found[:limit]
    else:
        return SearchPage(persons=[], offset=offset, limit=limit, more=False)
    summaries = [PersonSummary.model_validate(dict(row)) for row in found]
    _audit_search(session, clock, actor, criteria, [p.id for p in summaries])
    return SearchPage(persons=summaries, offset=offset, limit=limit, more=more)


def _by_name(
    session: Session, folded: str, *, offset: int, limit: int, village_id: int | None, commune_code: str | None
) -> tuple[list[Any], bool]:
    """A page of name matches: whole names starting with the text first, then any-word matches."""
    whole = list(
        repository.find_summaries(
            session,
            folded_prefix=folded,
            offset=offset,
            limit=limit + 1,
            village_id=village_id,
            commune_code=commune_code,
        )
    )
    if len(whole) > limit:
        return whole[:limit], True
    if whole or offset == 0:
        before = offset + len(whole)
    else:  # the page starts past the whole-name matches: how many were there?
        before = len(
            repository.find_summaries(
                session, folded_prefix=folded, offset=0, limit=offset, village_id=village_id, commune_code=commune_code
            )
        )
    wanted = limit - len(whole)
    rest = repository.find_by_words(
        session,
        words=folded.split(),
        except_prefix=folded,
        offset=max(0, offset - before),
        limit=wanted + 1,
        village_id=village_id,
        commune_code=commune_code,
    )
    # A name with two words that match (one read from each) would otherwise be listed twice.
    unique: dict[int, Any] = {}
    for row in rest:
        unique.setdefault(row["id"], row)
    others = list(unique.values())
    return whole + others[:wanted], len(others) > wanted


def persons_of_village(
    *, session: Session, clock: Clock, actor: Actor, village_id: int, person_ids: Iterable[int]
) -> list[PersonRead]:
    """The records of ``person_ids`` who live in ``village_id`` (the others are left out), audited once.

    For lists that another capability selects (accounts waiting for activation) and a page shows by village.
    """
    _village(session, village_id)
    wanted = sorted(set(person_ids))
    rows = (
        session.scalars(
            select(Person).where(Person.village_id == village_id, Person.id.in_(wanted)).order_by(Person.name_folded)
        ).all()
        if wanted
        else []
    )
    _audit_search(session, clock, actor, {"by": "village_list", "village_id": village_id}, [p.id for p in rows])
    return [_person_read(p, clock) for p in rows]


def household_heads(*, session: Session, clock: Clock, actor: Actor, village_id: int) -> dict[int, str]:
    """Household -> the full name of its head, for a village's household list; audited like a search.

    The address alone is the same on every row of a village; the head's name is how people tell
    households apart.
    """
    _village(session, village_id)
    rows = session.execute(
        select(Person.household_id, Person.id, Person.full_name)
        .where(Person.village_id == village_id, Person.relation_to_head == "head")
        .order_by(Person.household_id, Person.id)
    ).all()
    heads: dict[int, str] = {}
    for household_id, _person_id, name in rows:
        heads.setdefault(household_id, name)
    _audit_search(session, clock, actor, {"by": "village_heads", "village_id": village_id}, [r[1] for r in rows])
    return heads


def village_person_ids(*, session: Session, village_id: int) -> list[int]:
    """Who lives in the village, by id only (no personal data: nothing to audit)."""
    _village(session, village_id)
    return list(session.scalars(select(Person.id).where(Person.village_id == village_id).order_by(Person.id)))


@dataclass(frozen=True)
class CaptureExtract:
    """The part of the registry a field kit may hold: its assigned villages, for capture only."""

    villages: list[VillageRead]
    households: list[HouseholdRead]
    persons: list[PersonRead]


def capture_extract(
    *,
    session: Session,
    clock: Clock,
    actor: Actor,
    village_ids: Iterable[int],
    household_ids: Iterable[int] = (),
    changed_since: dt.datetime | None = None,
) -> CaptureExtract:
    """Residents of the given villages and households, for a kit's down-sync (least data: no cards).

    With ``changed_since``, only persons updated since then (a kit's incremental down-sync). The
    read is audited once, with the villages and the number of persons, never their data.
    """
    villages = sorted(set(village_ids))
    singles = sorted(set(household_ids))
    village_rows = session.scalars(select(Village).where(Village.id.in_(villages)).order_by(Village.id)).all()
    in_scope = or_(Household.village_id.in_(villages), Household.id.in_(singles))
    households = session.scalars(select(Household).where(in_scope).order_by(Household.id)).all()
    query = select(Person).join(Household, Person.household_id == Household.id).where(in_scope)
    if changed_since is None:
        query = query.where(Person.residence_status.in_(_LIVING_HERE))
    else:  # Moves and deaths too, so that the kit drops them.
        query = query.where(Person.updated_at >= changed_since)
    persons = session.scalars(query.order_by(Person.id)).all()
    audit.record(
        session=session,
        clock=clock,
        actor=actor,
        action="person.extract",
        subject_type="capture_extract",
        subject_id="-",
        details={
            "villages": villages,
            "households": singles,
            "persons": len(persons),
            "incremental": bool(changed_since),
        },
    )
    return CaptureExtract(
        villages=[_village_read(v, 0, 0) for v in village_rows],
        households=[
            HouseholdRead(id=h.id, village_id=h.village_id, number=h.number, address=h.address) for h in households
        ],
        persons=[_person_read(p, clock) for p in persons],
    )


# ID cards and guardians -------------------------------------------------------------------------


def issue_id_card(*, session: Session, clock: Clock, actor: Actor, person_id: int, card_in: IdCardIn) -> IdCardRead:
    """Record a card for the person; a new card replaces the valid one, which is marked expired."""
    person = _person(session, person_id)
    for card in repository.cards_of(session, person_id):
        if card.status == CardStatus.VALID:
            card.status = CardStatus.EXPIRED
    card = IdCard(person_id=person.id, number=person.id_number, status=CardStatus.VALID, **card_in.model_dump())
    session.add(card)
    session.flush()  # The card's id is returned to the caller.
    _audit(session, clock, actor, "id_card.issue", person.id, {"card_id": card.id})
    _standing_changed(session, clock, person.id)
    return IdCardRead.model_validate(card)


def set_id_card_status(
    *, session: Session, clock: Clock, actor: Actor, person_id: int, card_id: int, status: CardStatus
) -> IdCardRead:
    """Revoke a card, declare it lost, or restore it: what the card says of its holder's standing changes."""
    card = session.get(IdCard, card_id)
    if card is None or card.person_id != person_id:
        raise CardNotFound(f"no card {card_id} of person {person_id}")
    if card.status != status:
        card.status = status
        _audit(session, clock, actor, "id_card.status", person_id, {"card_id": card.id, "status": status.value})
        _standing_changed(session, clock, person_id)
    return IdCardRead.model_validate(card)


#: A durable job (core/jobs.py) for what depends on a person's standing: the capabilities above the
#: registry react to it (accounts lock on death or an invalid card) without the registry knowing them.
STANDING_CHANGED = "registry.standing_changed"


@dataclass(frozen=True)
class Standing:
    """What the registry says of a person that other records depend on."""

    dead: bool
    card_invalid: bool  # the person holds cards, and none is valid today (revoked, expired)


def standing_of(*, session: Session, person_id: int, today: dt.date) -> Standing:
    person = _person(session, person_id)
    cards = repository.cards_of(session, person_id)
    valid = any(c.status == CardStatus.VALID and (c.expiry_date is None or c.expiry_date >= today) for c in cards)
    return Standing(dead=person.residence_status == ResidenceStatus.DECEASED, card_invalid=bool(cards) and not valid)


def _standing_changed(session: Session, clock: Clock, person_id: int) -> None:
    jobs.rearm(session=session, clock=clock, kind=STANDING_CHANGED, subject_id=str(person_id))


def list_id_cards(*, session: Session, clock: Clock, actor: Actor, person_id: int) -> list[IdCardRead]:
    _person(session, person_id)
    _audit(session, clock, actor, "id_card.read", person_id)
    return [IdCardRead.model_validate(c) for c in repository.cards_of(session, person_id)]


def link_guardian(
    *, session: Session, clock: Clock, actor: Actor, child_id: int, guardian_id: int, relationship: str
) -> None:
    """Record that ``guardian_id`` is a parent or guardian of ``child_id``; idempotent."""
    if child_id == guardian_id:
        raise InvalidGuardian("a person cannot be their own guardian")
    _person(session, child_id)
    _person(session, guardian_id)
    if repository.find_guardian_link(session, child_id, guardian_id) is None:
        session.add(GuardianLink(child_id=child_id, guardian_id=guardian_id, relationship=relationship))
        _audit(session, clock, actor, "guardian.link", child_id, {"guardian_id": guardian_id})


def guardians_of(*, session: Session, child_id: int) -> list[int]:
    return [link.guardian_id for link in repository.guardians_of(session, child_id)]


def enrollable_adults(*, session: Session, commune_code: str, reference_date: dt.date) -> list[int]:
    """Ids of residents 14 and over, present, with a phone number: whom a field team enrolls first."""
    return list(repository.adults_with_phone(session, commune_code, latest_birth_date(reference_date, 14)))


# Figures --------------------------------------------------------------------------------------


def registry_stats(*, session: Session, reference_date: dt.date, commune_code: str | None = None) -> RegistryStats:
    """Counts of one commune's registry (staff bound to it), or of the whole registry (``None``)."""
    villages, households, persons = repository.count_all(session, commune_code)
    under_6, child, adult = repository.count_by_birth_bands(
        session, latest_birth_date(reference_date, 6), latest_birth_date(reference_date, 14), commune_code
    )
    return RegistryStats(
        villages=villages,
        households=households,
        persons=persons,
        persons_by_age_group={"under_6": under_6, "6_to_13": child, "14_plus": adult},
    )


# Helpers of this module -----------------------------------------------------------------------


def _insert_unique(session: Session, row: Base, conflict: CivicIDError) -> None:
    """Insert now, so the id is known and the unique constraints speak: a clash raises ``conflict``."""
    try:
        with session.begin_nested():
            session.add(row)
            session.flush()
    except IntegrityError as exc:
        raise conflict from exc


def _village(session: Session, village_id: int) -> Village:
    village = repository.get_village(session, village_id)
    if village is None:
        raise VillageNotFound(f"no village with id {village_id}")
    return village


def _household(session: Session, household_id: int) -> Household:
    household = repository.get_household(session, household_id)
    if household is None:
        raise HouseholdNotFound(f"no household with id {household_id}")
    return household


def _person(session: Session, person_id: int) -> Person:
    person = repository.get_person(session, person_id)
    if person is None:
        raise PersonNotFound(f"no person with id {person_id}")
    return person


def _village_read(village: Village, households: int, persons: int) -> VillageRead:
    return VillageRead(
        id=village.id,
        commune_code=village.commune_code,
        name=village.name,
        distance_km=village.distance_km,
        signal=village.signal,
        latitude=village.latitude,
        longitude=village.longitude,
        households=households,
        persons=persons,
    )


def _person_read(person: Person, clock: Clock) -> PersonRead:
    return PersonRead(
        id=person.id,
        id_number=person.id_number,
        full_name=person.full_name,
        date_of_birth=person.date_of_birth,
        sex=person.sex,
        village_id=person.village_id,
        household_id=person.household_id,
        phone=person.phone,
        has_smartphone=person.has_smartphone,
        residence_status=person.residence_status,
        relation_to_head=person.relation_to_head,
        age_group=age_group(person.date_of_birth, clock.today()),
    )


def _audit(
    session: Session, clock: Clock, actor: Actor, action: str, person_id: int, details: dict[str, Any] | None = None
) -> None:
    audit.record(
        session=session,
        clock=clock,
        actor=actor,
        action=action,
        subject_type="person",
        subject_id=str(person_id),
        details=details,
    )


def _audit_search(
    session: Session, clock: Clock, actor: Actor, criteria: dict[str, Any], person_ids: list[int]
) -> None:
    # The criteria name the kind of search, never the typed name: that would be personal data.
    audit.record(
        session=session,
        clock=clock,
        actor=actor,
        action="person.search",
        subject_type="person_search",
        subject_id="-",
        details={**criteria, "results": person_ids},
    )
