"""Importing a commune's population from CSV (format: ``csv_format.py``), all or nothing.

A file with any bad row imports nothing: every row is checked first (its own fields, repeats inside
the file, and what the registry already holds) and every bad row is reported with its line number.
Only a clean file is written, person by person through the service so that each creation is audited.
"""

from __future__ import annotations

import csv
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass
from typing import TextIO

from sqlalchemy.orm import Session

from civicid.core.audit import Actor
from civicid.core.clock import Clock
from civicid.core.errors import CivicIDError, InvalidInput
from civicid.country import admin_units
from civicid.registry import repository, service
from civicid.registry.csv_format import COLUMNS, RegistryRow, RowError, check_header, parse_row, row_of
from civicid.registry.schemas import HouseholdIn, PersonIn, VillageIn


class ImportRejected(InvalidInput):
    code = "import_rejected"
    title = "The file was not imported: some rows are invalid"


@dataclass(frozen=True)
class BadRow:
    line: int
    reason: str


@dataclass(frozen=True)
class ImportReport:
    persons: int
    households_created: int
    villages_created: int
    communes_created: int


def read_rows(stream: TextIO) -> list[RegistryRow]:
    """Parse and check every row on its own and against the others; raise with every fault."""
    reader = csv.DictReader(stream)
    try:
        check_header(list(reader.fieldnames) if reader.fieldnames else None)
    except RowError as exc:
        raise ImportRejected(str(exc), errors=[{"line": 1, "reason": str(exc)}]) from exc
    rows: list[RegistryRow] = []
    bad: list[BadRow] = []
    for raw in reader:
        try:
            rows.append(parse_row(reader.line_num, raw))
        except RowError as exc:
            bad.append(BadRow(reader.line_num, str(exc)))
    repeats = Counter(row.id_number for row in rows)
    bad += [BadRow(r.line, "id_number appears more than once in the file") for r in rows if repeats[r.id_number] > 1]
    _raise_if_bad(bad)
    return rows


def import_rows(*, session: Session, clock: Clock, actor: Actor, rows: list[RegistryRow]) -> ImportReport:
    """Check the rows against the registry, then write them all in the caller's transaction."""
    _raise_if_bad(_conflicts_with_registry(session, rows))
    communes = villages = households = 0
    village_ids: dict[tuple[str, str], int] = {}
    household_ids: dict[tuple[int, str], int] = {}
    for row in rows:
        if repository.get_commune(session, row.commune_code) is None:
            service.add_commune(session=session, code=row.commune_code)
            communes += 1
        key = (row.commune_code, row.village)
        if key not in village_ids:
            existing = repository.find_village(session, *key)
            if existing is None:
                village_ids[key] = service.create_village(session=session, village_in=_village_in(row)).id
                villages += 1
            else:
                village_ids[key] = existing.id
        village_id = village_ids[key]
        if (village_id, row.household_number) not in household_ids:
            found = repository.find_household(session, village_id, row.household_number)
            if found is None:
                household_in = HouseholdIn(
                    village_id=village_id, number=row.household_number, address=row.household_address
                )
                household_ids[village_id, row.household_number] = service.create_household(
                    session=session, household_in=household_in
                ).id
                households += 1
            else:
                household_ids[village_id, row.household_number] = found.id
        service.create_person(
            session=session,
            clock=clock,
            actor=actor,
            person_in=_person_in(row, household_ids[village_id, row.household_number]),
        )
    return ImportReport(
        persons=len(rows), households_created=households, villages_created=villages, communes_created=communes
    )


def write_rows(*, session: Session, out: TextIO, commune_code: str | None = None) -> int:
    """Write the registry (or one commune of it) in the import format; returns the row count."""
    writer = csv.DictWriter(out, fieldnames=COLUMNS, lineterminator="\n")
    writer.writeheader()
    count = 0
    for person, household, village in repository.iter_export_rows(session, commune_code):
        writer.writerow(
            row_of(
                commune_code=village.commune_code,
                village=village.name,
                distance_km=village.distance_km,
                signal=village.signal.value,
                household_number=household.number,
                household_address=household.address,
                person={
                    "id_number": person.id_number,
                    "full_name": person.full_name,
                    "date_of_birth": person.date_of_birth,
                    "sex": person.sex.value,
                    "phone": person.phone,
                    "has_smartphone": person.has_smartphone,
                    "residence_status": person.residence_status.value,
                    "relation_to_head": person.relation_to_head,
                },
            )
        )
        count += 1
    return count


def _conflicts_with_registry(session: Session, rows: Iterable[RegistryRow]) -> list[BadRow]:
    rows = list(rows)
    bad: list[BadRow] = []
    taken = repository.existing_id_numbers(session, [r.id_number for r in rows])
    bad += [BadRow(r.line, "id_number is already in the registry") for r in rows if r.id_number in taken]
    new_villages: set[tuple[str, str]] = set()
    for row in rows:
        try:
            admin_units.get_commune(row.commune_code)
        except CivicIDError:
            bad.append(BadRow(row.line, f"commune_code {row.commune_code} is not in the national list"))
            continue
        key = (row.commune_code, row.village)
        if key in new_villages or repository.find_village(session, *key) is not None:
            continue
        if row.village_distance_km is None or row.village_signal is None:
            bad.append(
                BadRow(row.line, f"village {row.village!r} is new: village_distance_km and village_signal are needed")
            )
        else:
            new_villages.add(key)
    return sorted(bad, key=lambda b: b.line)


def _raise_if_bad(bad: list[BadRow]) -> None:
    if bad:
        noun = "row is" if len(bad) == 1 else "rows are"
        raise ImportRejected(
            f"{len(bad)} {noun} invalid; nothing was imported",
            errors=[{"line": b.line, "reason": b.reason} for b in sorted(bad, key=lambda b: b.line)],
        )


def _village_in(row: RegistryRow) -> VillageIn:
    assert row.village_distance_km is not None  # noqa: S101 - checked by _conflicts_with_registry
    assert row.village_signal is not None  # noqa: S101
    return VillageIn(
        commune_code=row.commune_code, name=row.village, distance_km=row.village_distance_km, signal=row.village_signal
    )


def _person_in(row: RegistryRow, household_id: int) -> PersonIn:
    return PersonIn(
        id_number=row.id_number,
        full_name=row.full_name,
        date_of_birth=row.date_of_birth,
        sex=row.sex,
        phone=row.phone,
        has_smartphone=row.has_smartphone,
        residence_status=row.residence_status,
        household_id=household_id,
        relation_to_head=row.relation_to_head,
    )
