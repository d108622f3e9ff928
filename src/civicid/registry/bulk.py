"""Loading a whole commune's population into the registry at once.

A commune joining CivicID arrives with its household book: thousands of households and persons that
:func:`service.create_person` would insert, flush and audit one by one. This loader inserts them in
batches of executemany ``INSERT``s instead (insertmanyvalues on both SQLite and PostgreSQL), in the
caller's transaction, and writes **one** audit entry for the load, holding counts only.

The input is plain data defined here (:class:`CommuneSource` and the ``*Load`` dataclasses), so that
the registry does not depend on whoever produces it: the simulator, or an import of real records.
Households are read from an iterator and inserted a batch at a time, so memory stays bounded at
national scale.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol, cast

from sqlalchemy import Table, func, insert, select, text
from sqlalchemy.orm import Session

from civicid.core import audit
from civicid.core.audit import Actor
from civicid.core.clock import Clock
from civicid.core.database import Base
from civicid.core.dialects import on_postgresql
from civicid.country.names import fold
from civicid.country.sex import Sex
from civicid.registry import repository, service
from civicid.registry.models import (
    CardStatus,
    GuardianLink,
    Household,
    IdCard,
    Person,
    PersonNameWord,
    ResidenceStatus,
    SignalQuality,
    Village,
)

#: Persons per batch: large enough to amortise round trips, small enough to bound memory.
BATCH_PERSONS = 5_000


@dataclass(frozen=True, slots=True)
class VillageLoad:
    name: str
    distance_km: float
    signal: SignalQuality
    latitude: float | None = None
    longitude: float | None = None


@dataclass(frozen=True, slots=True)
class CardLoad:
    issue_date: dt.date
    expiry_date: dt.date | None
    status: CardStatus = CardStatus.VALID


@dataclass(frozen=True, slots=True)
class GuardianLoad:
    """A guardian of a person, named by its position among the household's members."""

    member: int
    relationship: str


@dataclass(frozen=True, slots=True)
class PersonLoad:
    id_number: str
    full_name: str
    date_of_birth: dt.date
    sex: Sex
    phone: str | None
    has_smartphone: bool
    residence_status: ResidenceStatus
    relation_to_head: str
    cards: tuple[CardLoad, ...] = ()
    guardians: tuple[GuardianLoad, ...] = ()


@dataclass(frozen=True, slots=True)
class HouseholdLoad:
    """A household; ``village`` is the index of its village in :attr:`CommuneSource.villages`."""

    village: int
    number: str
    address: str
    members: tuple[PersonLoad, ...]


class CommuneSource(Protocol):
    """What :func:`load_population` reads: a commune, its villages, and its households as a stream."""

    @property
    def code(self) -> str: ...

    @property
    def latitude(self) -> float | None: ...

    @property
    def longitude(self) -> float | None: ...

    @property
    def villages(self) -> Sequence[VillageLoad]: ...

    def iter_households(self) -> Iterator[HouseholdLoad]: ...


@dataclass(frozen=True)
class CommuneLoad:
    """A :class:`CommuneSource` held in memory, for small imports and tests."""

    code: str
    villages: Sequence[VillageLoad]
    households: Sequence[HouseholdLoad]
    latitude: float | None = None
    longitude: float | None = None

    def iter_households(self) -> Iterator[HouseholdLoad]:
        return iter(self.households)


@dataclass
class LoadReport:
    commune_code: str
    villages: int = 0
    households: int = 0
    persons: int = 0
    id_cards: int = 0
    guardian_links: int = 0

    def counts(self) -> dict[str, int]:
        return {
            "villages": self.villages,
            "households": self.households,
            "persons": self.persons,
            "id_cards": self.id_cards,
            "guardian_links": self.guardian_links,
        }


@dataclass
class _Batch:
    households: list[HouseholdLoad] = field(default_factory=list)
    persons: int = 0


def load_population(
    *,
    session: Session,
    clock: Clock,
    actor: Actor,
    commune: CommuneSource,
    progress: Callable[[int], None] | None = None,
) -> LoadReport:
    """Register the commune and insert its villages, households, persons, cards and guardian links.

    Runs in the caller's transaction and works on tables that already hold rows (see :class:`_Ids`).
    ``progress`` is called with the number of persons loaded so far after each batch. The commune
    must not be registered yet (``DuplicatePlace`` otherwise).
    """
    service.add_commune(session=session, code=commune.code, latitude=commune.latitude, longitude=commune.longitude)
    session.flush()  # The villages' foreign key needs the commune row in the database.
    report = LoadReport(commune_code=commune.code)
    village_ids = _insert_villages(session, commune.code, commune.villages)
    report.villages = len(village_ids)
    household_ids, person_ids = _Ids(session, _table(Household)), _Ids(session, _table(Person))
    now = clock.now()
    for batch in _batches(commune.iter_households()):
        _insert_batch(session, batch.households, village_ids, household_ids, person_ids, now, report)
        if progress is not None:
            progress(report.persons)
    audit.record(
        session=session,
        clock=clock,
        actor=actor,
        action="registry.load",
        subject_type="registry",
        subject_id=commune.code,
        details=report.counts(),
    )
    return report


def _batches(households: Iterable[HouseholdLoad]) -> Iterator[_Batch]:
    batch = _Batch()
    for household in households:
        batch.households.append(household)
        batch.persons += len(household.members)
        if batch.persons >= BATCH_PERSONS:
            yield batch
            batch = _Batch()
    if batch.households:
        yield batch


class _Ids:
    """Primary keys for rows about to be inserted, reserved so that concurrent writers never collide.

    PostgreSQL hands out a block of the table's own sequence (``nextval`` is atomic across
    transactions). SQLite has one writer at a time (every write transaction begins IMMEDIATE,
    core/database.py), so the ids after the table's largest are ours until the commit.
    ``RETURNING`` in parameter order would also do, but SQLite then inserts row by row: 20 times slower.
    """

    def __init__(self, session: Session, table: Table) -> None:
        self._session = session
        self._table = table
        self._postgresql = on_postgresql(session)
        self._next: int | None = None

    def take(self, count: int) -> list[int]:
        if self._postgresql:
            sql = text("SELECT nextval(pg_get_serial_sequence(:table, 'id')) FROM generate_series(1, :count)")
            return list(self._session.scalars(sql, {"table": self._table.name, "count": count}))
        if self._next is None:
            self._next = (self._session.scalar(select(func.max(self._table.c.id))) or 0) + 1
        first, self._next = self._next, self._next + count
        return list(range(first, first + count))


def _table(model: type[Base]) -> Table:
    # Declarative models type ``__table__`` loosely; every model here is mapped to one Table.
    return cast(Table, model.__table__)


def _insert(session: Session, table: Table, rows: list[dict[str, Any]]) -> None:
    # Core executemany on the table: no ORM bookkeeping per row, insertmanyvalues on both databases.
    if rows:
        session.execute(insert(table), rows)


def _insert_villages(session: Session, commune_code: str, villages: Sequence[VillageLoad]) -> list[int]:
    ids = _Ids(session, _table(Village)).take(len(villages))
    rows = [
        {
            "id": village_id,
            "commune_code": commune_code,
            "name": v.name,
            "distance_km": v.distance_km,
            "signal": v.signal,
            "latitude": v.latitude,
            "longitude": v.longitude,
        }
        for village_id, v in zip(ids, villages, strict=True)
    ]
    _insert(session, _table(Village), rows)
    return ids


def _insert_batch(
    session: Session,
    households: list[HouseholdLoad],
    village_ids: list[int],
    household_ids: _Ids,
    person_ids: _Ids,
    now: dt.datetime,
    report: LoadReport,
) -> None:
    household_rows: list[dict[str, Any]] = []
    person_rows: list[dict[str, Any]] = []
    card_rows: list[dict[str, Any]] = []
    link_rows: list[dict[str, Any]] = []
    word_rows: list[dict[str, Any]] = []
    new_person_ids = iter(person_ids.take(sum(len(h.members) for h in households)))
    for household, household_id in zip(households, household_ids.take(len(households)), strict=True):
        village_id = village_ids[household.village]
        household_rows.append(
            {"id": household_id, "village_id": village_id, "number": household.number, "address": household.address}
        )
        member_ids = [next(new_person_ids) for _ in household.members]
        for person, person_id in zip(household.members, member_ids, strict=True):
            person_rows.append(_person_row(person, person_id, household_id, village_id, now))
            word_rows.extend(repository.name_word_rows(person_id, person_rows[-1]["name_folded"]))
            card_rows.extend(_card_row(card, person_id, person.id_number) for card in person.cards)
            link_rows.extend(
                {"child_id": person_id, "guardian_id": member_ids[g.member], "relationship": g.relationship}
                for g in person.guardians
            )
    for table, rows in (
        (_table(Household), household_rows),
        (_table(Person), person_rows),
        (_table(IdCard), card_rows),
        (_table(GuardianLink), link_rows),
        (_table(PersonNameWord), word_rows),
    ):
        _insert(session, table, rows)
    report.households += len(household_rows)
    report.persons += len(person_rows)
    report.id_cards += len(card_rows)
    report.guardian_links += len(link_rows)


def _person_row(
    person: PersonLoad, person_id: int, household_id: int, village_id: int, now: dt.datetime
) -> dict[str, Any]:
    return {
        "id": person_id,
        "id_number": person.id_number,
        "full_name": person.full_name,
        "name_folded": fold(person.full_name),
        "date_of_birth": person.date_of_birth,
        "sex": person.sex,
        "phone": person.phone,
        "has_smartphone": person.has_smartphone,
        "residence_status": person.residence_status,
        "household_id": household_id,
        "village_id": village_id,
        "relation_to_head": person.relation_to_head,
        "created_at": now,
        "updated_at": now,
        "version": 1,
    }


def _card_row(card: CardLoad, person_id: int, number: str) -> dict[str, Any]:
    return {
        "person_id": person_id,
        "number": number,
        "issue_date": card.issue_date,
        "expiry_date": card.expiry_date,
        "status": card.status,
    }
