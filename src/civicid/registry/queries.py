"""The registry's reads for other capabilities: named, set-based, and the only way they see its tables.

Other folders never import ``registry.models`` (an import-linter contract says so, decision 0035).
What they need comes from here, in two forms:

- **Functions** that return values or plain rows (frozen dataclasses, tuples): a commune's villages,
  which village a household is in, the residents of one village whom a campaign must reach.
- **Projections** (:data:`villages`, :data:`households`, :data:`persons`, :data:`id_cards`) for the
  reads that must be one statement with another capability's tables to stay fast: the campaign's
  tallies join persons with their own cells, the wallet counts documents by the holder's village.
  Each is a read-only view of one table, naming only the columns others may read; a statement built
  on it is the very SQL the table itself would give (same table name, no subquery), so the planner
  uses the same indexes. Each projection says who uses it and why.

The registry's own writes and its per-record reads (audited) stay in ``service.py``.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Select, select
from sqlalchemy.orm import Session

from civicid.core.database import read_only_projection
from civicid.registry.codes import SignalQuality
from civicid.registry.eligibility import RESIDENT
from civicid.registry.models import Commune, GuardianLink, Household, IdCard, Person, Village

#: Villages: the campaign selects a commune's villages inside its tally reads (``IN (SELECT id …)``)
#: and joins assignments to their village's name; the wallet groups documents by commune.
villages = read_only_projection(Village, "id", "commune_code", "name")

#: Households: the campaign lists a household's assignment under its village (an outer join) and
#: checks that households lie in a team's commune.
households = read_only_projection(Household, "id", "village_id")

#: Persons: the campaign's tallies count level-2 activations and card gaps by the person's village
#: (``campaign.tally.rebuild_activations``, ``rebuild_card_gaps``: set-based rebuilds, one INSERT …
#: SELECT each); the enrollment pipeline matches applications to persons by ID number or id in one
#: statement per batch; the wallet counts documents by the holder's village; the accounts list a
#: commune's accounts with whether the holder has a smartphone (``accounts.queries``).
persons = read_only_projection(
    Person,
    "id",
    "id_number",
    "full_name",
    "date_of_birth",
    "sex",
    "village_id",
    "household_id",
    "residence_status",
    "has_smartphone",
)

#: ID cards: ``campaign.tally.rebuild_card_gaps`` works out, for every resident at once, the day from
#: which they hold no valid card (the repair of the triggers' tally, decision 0016).
id_cards = read_only_projection(IdCard, "id", "person_id", "status", "expiry_date")


#: Guardian links: the simulator's "everyone" story finds a parent of a child under 6 in one statement
#: with persons (``sim/everyone.py``); who may add a child is decided in ``registry.service``.
guardian_links = read_only_projection(GuardianLink, "guardian_id", "child_id")


@dataclass(frozen=True)
class CommunePlace:
    code: str
    name: str
    province_code: str
    province_name: str
    latitude: float | None
    longitude: float | None


@dataclass(frozen=True)
class VillagePlace:
    id: int
    commune_code: str
    name: str
    distance_km: float
    signal: SignalQuality
    latitude: float | None
    longitude: float | None


_VILLAGE_COLUMNS = (
    Village.id,
    Village.commune_code,
    Village.name,
    Village.distance_km,
    Village.signal,
    Village.latitude,
    Village.longitude,
)


# Places ------------------------------------------------------------------------------------------


def commune(session: Session, code: str) -> CommunePlace | None:
    """The commune the registry serves under ``code``, or None."""
    row = session.get(Commune, code)
    if row is None:
        return None
    return CommunePlace(row.code, row.name, row.province_code, row.province_name, row.latitude, row.longitude)


def commune_codes(session: Session, *, commune: str | None = None, province: str | None = None) -> list[str]:
    """Codes of the communes served, in order: all, the one given, or a province's."""
    query = select(Commune.code).order_by(Commune.code)
    if commune is not None:
        query = query.where(Commune.code == commune)
    elif province is not None:
        query = query.where(Commune.province_code == province)
    return list(session.scalars(query))


def village(session: Session, village_id: int) -> VillagePlace | None:
    """The village ``village_id``, or None."""
    row = session.execute(select(*_VILLAGE_COLUMNS).where(Village.id == village_id)).first()
    return None if row is None else VillagePlace(*row)


def villages_of_commune(session: Session, commune_code: str) -> list[VillagePlace]:
    """The commune's villages by name (a commune has a few dozen)."""
    query = select(*_VILLAGE_COLUMNS).where(Village.commune_code == commune_code).order_by(Village.name)
    return [VillagePlace(*row) for row in session.execute(query)]


def village_rows(session: Session, commune_codes: Sequence[str]) -> Sequence[Any]:
    """(id, name, commune_code, distance_km, signal, latitude, longitude) of the communes' villages.

    Plain rows, by commune and name: the campaign's province report reads thousands and changes none.
    """
    query = (
        select(
            Village.id,
            Village.name,
            Village.commune_code,
            Village.distance_km,
            Village.signal,
            Village.latitude,
            Village.longitude,
        )
        .where(Village.commune_code.in_(commune_codes))
        .order_by(Village.commune_code, Village.name)
    )
    return session.execute(query).all()


def village_signals(session: Session, commune_code: str) -> list[tuple[int, SignalQuality]]:
    """(village, signal) of the commune's villages, the nearest first: how the simulator's teams go out."""
    query = select(Village.id, Village.signal).where(Village.commune_code == commune_code).order_by(Village.distance_km)
    return [(v, s) for v, s in session.execute(query)]


def villages_with_births_after(session: Session, commune_code: str, day: dt.date) -> set[int]:
    """Villages of the commune where someone was born after ``day``.

    The simulator's campaign days lie in the past: a kit's extract of such a village, taken on an
    earlier day, would hold someone not born yet, so its teams go elsewhere (``sim/campaign.py``).
    """
    query = (
        select(Person.village_id)
        .join(Village, Village.id == Person.village_id)
        .where(Village.commune_code == commune_code, Person.date_of_birth > day)
    )
    return set(session.scalars(query))


def village_commune(session: Session, village_id: int) -> str | None:
    """The code of the commune the village lies in, or None for an unknown village."""
    return session.scalar(select(Village.commune_code).where(Village.id == village_id))


def village_ids_in(commune_codes: Iterable[str]) -> Select[int]:
    """``SELECT id FROM village WHERE commune_code IN (…)``, to put inside an ``IN``.

    The campaign's figures and plan filter their own per-village cells by it: one statement, which
    the planner answers with one index scan, where a list of a province's ids would be thousands of
    parameters.
    """
    return select(Village.id).where(Village.commune_code.in_(list(commune_codes)))


def villages_in_commune(session: Session, commune_code: str, village_ids: Iterable[int]) -> set[int]:
    """Those of ``village_ids`` that exist and lie in the commune."""
    query = select(Village.id).where(Village.id.in_(set(village_ids)), Village.commune_code == commune_code)
    return set(session.scalars(query))


def households_in_commune(session: Session, commune_code: str, household_ids: Iterable[int]) -> set[int]:
    """Those of ``household_ids`` that exist and lie in the commune."""
    query = (
        select(Household.id)
        .join(Village, Village.id == Household.village_id)
        .where(Household.id.in_(set(household_ids)), Village.commune_code == commune_code)
    )
    return set(session.scalars(query))


def person_commune(session: Session, person_id: int) -> str | None:
    """The commune a person lives in (their household's village's), or None for an unknown person."""
    return session.scalar(
        select(Village.commune_code)
        .join(Household, Household.village_id == Village.id)
        .join(Person, Person.household_id == Household.id)
        .where(Person.id == person_id)
    )


def household_villages(session: Session, household_ids: Iterable[int]) -> dict[int, int]:
    """Household -> its village, for the households that exist (one query)."""
    query = select(Household.id, Household.village_id).where(Household.id.in_(set(household_ids)))
    return {h: v for h, v in session.execute(query)}


def person_households(session: Session, person_ids: Iterable[int]) -> dict[int, int]:
    """Person -> their household, for the persons that exist (one query)."""
    ids = set(person_ids)
    if not ids:
        return {}
    return {p: h for p, h in session.execute(select(Person.id, Person.household_id).where(Person.id.in_(ids)))}


# Persons -----------------------------------------------------------------------------------------


def village_people(session: Session, village_id: int, born_by_14: dt.date, born_after_6: dt.date) -> Sequence[Any]:
    """Residents of the village who are 14 and over or under 6: whom a level-2 campaign must reach.

    Rows of (id, household_id, full_name, id_number, date_of_birth, has_smartphone, phone,
    residence_status), by household; one index range of the village. The caller audits the read.
    """
    query = (
        select(
            Person.id,
            Person.household_id,
            Person.full_name,
            Person.id_number,
            Person.date_of_birth,
            Person.has_smartphone,
            Person.phone,
            Person.residence_status,
        )
        .where(
            Person.village_id == village_id,
            Person.residence_status.in_(RESIDENT),
            (Person.date_of_birth <= born_by_14) | (Person.date_of_birth > born_after_6),
        )
        .order_by(Person.household_id, Person.id)
    )
    return session.execute(query).all()


__all__ = [
    "RESIDENT",
    "CommunePlace",
    "VillagePlace",
    "commune",
    "commune_codes",
    "guardian_links",
    "household_villages",
    "households",
    "households_in_commune",
    "id_cards",
    "person_households",
    "persons",
    "village",
    "village_commune",
    "village_ids_in",
    "village_people",
    "village_rows",
    "village_signals",
    "villages",
    "villages_in_commune",
    "villages_of_commune",
    "villages_with_births_after",
]
