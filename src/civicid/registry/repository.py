"""All SQL of the registry. Takes the caller's session; never commits."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator, Sequence
from typing import Any, TypeVarTuple

from sqlalchemy import ColumnElement, RowMapping, Select, and_, case, delete, func, insert, literal, not_, select
from sqlalchemy.orm import InstrumentedAttribute, Session

from civicid.registry.models import (
    Commune,
    GuardianLink,
    Household,
    IdCard,
    Person,
    PersonNameWord,
    ResidenceStatus,
    Village,
)

# "~" sorts after every character a folded name can hold, so [prefix, prefix + "~") is exactly
# the names that start with prefix (folded names are ASCII; see models.FoldedName).
_PREFIX_END = "~"
_Ts = TypeVarTuple("_Ts")


def get_commune(session: Session, code: str) -> Commune | None:
    return session.get(Commune, code)


def list_communes(session: Session) -> Sequence[Commune]:
    return session.scalars(select(Commune).order_by(Commune.code)).all()


def village_counts(session: Session, commune_code: str | None) -> Sequence[tuple[Village, int, int]]:
    households = (
        select(Household.village_id, func.count().label("n")).group_by(Household.village_id).subquery("households")
    )
    persons = select(Person.village_id, func.count().label("n")).group_by(Person.village_id).subquery("persons")
    query = (
        select(Village, func.coalesce(households.c.n, 0), func.coalesce(persons.c.n, 0))
        .outerjoin(households, households.c.village_id == Village.id)
        .outerjoin(persons, persons.c.village_id == Village.id)
        .order_by(Village.distance_km, Village.name)
    )
    if commune_code is not None:
        query = query.where(Village.commune_code == commune_code)
    return [(v, int(h), int(p)) for v, h, p in session.execute(query).all()]


def find_village(session: Session, commune_code: str, name: str) -> Village | None:
    query = select(Village).where(Village.commune_code == commune_code, Village.name == name)
    return session.scalars(query).one_or_none()


def find_household(session: Session, village_id: int, number: str) -> Household | None:
    query = select(Household).where(Household.village_id == village_id, Household.number == number)
    return session.scalars(query).one_or_none()


def existing_id_numbers(session: Session, numbers: Sequence[str], chunk: int = 500) -> set[str]:
    found: set[str] = set()
    for start in range(0, len(numbers), chunk):
        part = numbers[start : start + chunk]
        found.update(session.scalars(select(Person.id_number).where(Person.id_number.in_(part))))
    return found


def iter_export_rows(
    session: Session, commune_code: str | None, batch: int = 2000
) -> Iterator[tuple[Person, Household, Village]]:
    """Every person with their household and village, streamed in id order."""
    query = (
        select(Person, Household, Village)
        .join(Household, Household.id == Person.household_id)
        .join(Village, Village.id == Household.village_id)
        .order_by(Person.id)
    )
    if commune_code is not None:
        query = query.where(Village.commune_code == commune_code)
    yield from session.execute(query.execution_options(yield_per=batch))


def get_village(session: Session, village_id: int) -> Village | None:
    return session.get(Village, village_id)


def count_households(session: Session, village_id: int) -> int:
    return session.scalar(select(func.count()).where(Household.village_id == village_id)) or 0


def count_persons_in_village(session: Session, village_id: int) -> int:
    return session.scalar(select(func.count()).where(Person.village_id == village_id)) or 0


def households_with_counts(session: Session, village_id: int) -> Sequence[tuple[Household, int]]:
    members = select(Person.household_id, func.count().label("n")).group_by(Person.household_id).subquery("members")
    query = (
        select(Household, func.coalesce(members.c.n, 0))
        .outerjoin(members, members.c.household_id == Household.id)
        .where(Household.village_id == village_id)
        .order_by(Household.number)
    )
    return [(h, int(n)) for h, n in session.execute(query).all()]


def get_household(session: Session, household_id: int) -> Household | None:
    return session.get(Household, household_id)


def count_members(session: Session, household_id: int) -> int:
    return session.scalar(select(func.count()).where(Person.household_id == household_id)) or 0


def household_members(session: Session, household_id: int) -> Sequence[Person]:
    return session.scalars(select(Person).where(Person.household_id == household_id).order_by(Person.id)).all()


def get_person(session: Session, person_id: int) -> Person | None:
    return session.get(Person, person_id)


def get_person_by_id_number(session: Session, id_number: str) -> Person | None:
    return session.scalars(select(Person).where(Person.id_number == id_number)).one_or_none()


# Searches read only the columns of a summary, past the ORM's identity map: they run on every
# keystroke of a search box and must stay fast at national scale (bench/registry_search.py).
_SUMMARY = (
    Person.id,
    Person.id_number,
    Person.full_name,
    Person.date_of_birth,
    Person.sex,
    Person.village_id,
    Person.household_id,
)


def find_summaries(
    session: Session,
    *,
    id_number: str | None = None,
    folded_prefix: str | None = None,
    village_id: int | None = None,
    commune_code: str | None = None,
    limit: int,
    offset: int = 0,
) -> Sequence[RowMapping]:
    """Persons by exact ID number, or by folded-name prefix, or in a village; optionally in a commune."""
    query = select(*_SUMMARY)
    if id_number is not None:
        query = query.where(Person.id_number == id_number)
    if folded_prefix is not None:
        query = query.where(Person.name_folded >= folded_prefix, Person.name_folded < folded_prefix + _PREFIX_END)
    query = _in_place(query, village_id, commune_code)
    query = query.order_by(Person.name_folded, Person.id).offset(offset).limit(limit)
    return session.execute(query).mappings().all()


# Any word of the name (decision 0071) ------------------------------------------------------------

#: How many entries of a word's index range are counted to tell which typed word is the rarest.
_RARITY_CAP = 5_000


def name_word_rows(person_id: int, name_folded: str) -> list[dict[str, object]]:
    """The rows of ``person_name_word`` for one person's folded name."""
    return [
        {"person_id": person_id, "position": i, "word": word[:60], "name_folded": name_folded}
        for i, word in enumerate(name_folded.split())
    ]


def write_name_words(session: Session, person_id: int, name_folded: str) -> None:
    """Replace the person's name words (at creation and when the name changes)."""
    session.execute(delete(PersonNameWord).where(PersonNameWord.person_id == person_id))
    rows = name_word_rows(person_id, name_folded)
    if rows:
        session.execute(insert(PersonNameWord), rows)


def _starts(column: ColumnElement[str] | InstrumentedAttribute[str], prefix: str) -> ColumnElement[bool]:
    return and_(column >= prefix, column < prefix + _PREFIX_END)


def _rarest(session: Session, words: Sequence[str]) -> str:
    """The typed word whose index range is shortest (counted up to a cap): the one to read from."""
    if len(words) == 1:
        return words[0]

    def entries(word: str) -> int:
        capped = select(PersonNameWord.person_id).where(_starts(PersonNameWord.word, word)).limit(_RARITY_CAP)
        return session.scalar(select(func.count()).select_from(capped.subquery())) or 0

    return min(words, key=lambda w: (entries(w), -len(w)))


def find_by_words(
    session: Session,
    *,
    words: Sequence[str],
    except_prefix: str,
    village_id: int | None,
    commune_code: str | None,
    offset: int,
    limit: int,
) -> Sequence[RowMapping]:
    """Persons with a word of the name starting with each typed word, except those whose whole name
    starts with ``except_prefix`` (the caller lists those first).

    Read from the rarest typed word's index range, in (word, name) order: exact words before longer
    ones ("than" before "thang"), then by name; the other typed words are looked for in the folded
    name the index entry carries, so the read is the index range and nothing else until a row matches.
    """
    driving = _rarest(session, words)
    others = list(words)
    others.remove(driving)
    query = (
        select(*_SUMMARY)
        .select_from(PersonNameWord)
        .join(Person, Person.id == PersonNameWord.person_id)
        .where(_starts(PersonNameWord.word, driving), not_(_starts(PersonNameWord.name_folded, except_prefix)))
    )
    spaced = literal(" ") + PersonNameWord.name_folded
    for word in others:
        # Read off the index entry itself (it holds the folded name): no probe per row.
        query = query.where(spaced.like(f"% {_escaped(word)}%", escape="\\"))
    query = _in_place(query, village_id, commune_code)
    query = query.order_by(PersonNameWord.word, PersonNameWord.name_folded, PersonNameWord.person_id)
    return session.execute(query.offset(offset).limit(limit)).mappings().all()


def _escaped(word: str) -> str:
    return word.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def _in_place(query: Select[*_Ts], village_id: int | None, commune_code: str | None) -> Select[*_Ts]:
    if village_id is not None:
        query = query.where(Person.village_id == village_id)
    if commune_code is not None:
        query = query.where(Person.village_id.in_(select(Village.id).where(Village.commune_code == commune_code)))
    return query


def adults_with_phone(session: Session, commune_code: str, born_by: dt.date) -> Sequence[int]:
    query = (
        select(Person.id)
        .join(Village, Village.id == Person.village_id)
        .where(
            Village.commune_code == commune_code,
            Person.date_of_birth <= born_by,
            Person.residence_status == ResidenceStatus.PRESENT,
            Person.phone.is_not(None),
        )
        .order_by(Person.id)
    )
    return session.scalars(query).all()


def cards_of(session: Session, person_id: int) -> Sequence[IdCard]:
    return session.scalars(select(IdCard).where(IdCard.person_id == person_id).order_by(IdCard.issue_date)).all()


def guardians_of(session: Session, child_id: int) -> Sequence[GuardianLink]:
    return session.scalars(select(GuardianLink).where(GuardianLink.child_id == child_id)).all()


def find_guardian_link(session: Session, child_id: int, guardian_id: int) -> GuardianLink | None:
    query = select(GuardianLink).where(GuardianLink.child_id == child_id, GuardianLink.guardian_id == guardian_id)
    return session.scalars(query).one_or_none()


def count_all(session: Session, commune_code: str | None = None) -> tuple[int, int, int]:
    """Villages, households and persons: of one commune, or of the whole registry (``None``)."""
    villages = select(func.count()).select_from(Village)
    households = select(func.count()).select_from(Household).join(Village, Village.id == Household.village_id)
    persons = _persons_in(select(func.count()).select_from(Person), commune_code)
    if commune_code is not None:
        villages = villages.where(Village.commune_code == commune_code)
        households = households.where(Village.commune_code == commune_code)
    return (
        session.scalar(villages) or 0,
        session.scalar(households) or 0,
        session.scalar(persons) or 0,
    )


def _persons_in(query: Select[Any], commune_code: str | None) -> Select[Any]:
    if commune_code is None:
        return query
    return (
        query.join(Household, Household.id == Person.household_id)
        .join(Village, Village.id == Household.village_id)
        .where(Village.commune_code == commune_code)
    )


def count_by_birth_bands(
    session: Session, born_after_6: dt.date, born_after_14: dt.date, commune_code: str | None = None
) -> tuple[int, int, int]:
    """Persons born after the 6-year cutoff, between the cutoffs, and on or before the 14-year one."""
    under_6 = func.sum(case((Person.date_of_birth > born_after_6, 1), else_=0))
    child = func.sum(
        case(((Person.date_of_birth <= born_after_6) & (Person.date_of_birth > born_after_14), 1), else_=0)
    )
    adult = func.sum(case((Person.date_of_birth <= born_after_14, 1), else_=0))
    row = session.execute(_persons_in(select(under_6, child, adult).select_from(Person), commune_code)).one()
    return int(row[0] or 0), int(row[1] or 0), int(row[2] or 0)
