"""Importing a commune from CSV: all rows or none, every bad row named with its line number."""

from __future__ import annotations

import csv
import datetime as dt
import io

import pytest
from tests.factories import COMMUNE, OFFICER, person_in

from civicid.core.database import unit_of_work
from civicid.core.runtime import Context
from civicid.country.sex import Sex
from civicid.registry import importing, service
from civicid.registry.csv_format import COLUMNS


def _csv(rows: list[dict[str, str]], columns: tuple[str, ...] = COLUMNS) -> io.StringIO:
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=columns, lineterminator="\n")
    writer.writeheader()
    writer.writerows(rows)
    out.seek(0)
    return out


def _row(full_name: str, born: dt.date, sex: Sex = Sex.MALE, **overrides: str) -> dict[str, str]:
    person = person_in(1, full_name, born, sex)  # only its ID number is used
    row = {
        "commune_code": COMMUNE,
        "village": "Bản Khuổi Ky",
        "village_distance_km": "18",
        "village_signal": "none",
        "household_number": "007",
        "household_address": "Bản Khuổi Ky",
        "id_number": person.id_number,
        "full_name": full_name,
        "date_of_birth": born.isoformat(),
        "sex": sex.value,
        "phone": "",
        "has_smartphone": "no",
        "residence_status": "present",
        "relation_to_head": "head",
    }
    return {**row, **overrides}


def _import(context: Context, stream: io.StringIO) -> importing.ImportReport:
    rows = importing.read_rows(stream)
    with unit_of_work(context.database.sessions) as session:
        return importing.import_rows(session=session, clock=context.clock, actor=OFFICER, rows=rows)


def _persons(context: Context) -> int:
    with unit_of_work(context.database.sessions) as session:
        return service.registry_stats(session=session, reference_date=context.clock.today()).persons


def test_a_clean_file_creates_commune_village_household_and_persons(context: Context) -> None:
    rows = [
        _row("Nông Văn Dền", dt.date(1970, 2, 3)),
        _row("Hoàng Thị Lan", dt.date(1974, 6, 7), Sex.FEMALE, relation_to_head="wife", phone="0987654321"),
    ]
    report = _import(context, _csv(rows))
    assert (report.persons, report.households_created, report.villages_created, report.communes_created) == (2, 1, 1, 1)
    assert _persons(context) == 2


def test_every_bad_row_is_reported_with_its_line_and_nothing_is_imported(context: Context) -> None:
    rows = [
        _row("Nông Văn Dền", dt.date(1970, 2, 3)),
        _row("Hoàng Thị Lan", dt.date(1974, 6, 7), Sex.FEMALE, date_of_birth="07/06/1974"),
        {**_row("Ma Văn Sinh", dt.date(1990, 1, 1)), "sex": "X"},
        _row("Lục Thị Hoa", dt.date(1992, 1, 1), Sex.FEMALE, phone="12345"),
    ]
    with pytest.raises(importing.ImportRejected) as caught:
        _import(context, _csv(rows))
    errors = caught.value.extensions["errors"]
    assert [e["line"] for e in errors] == [3, 4, 5]
    assert "date_of_birth" in errors[0]["reason"]
    assert "sex 'X'" in errors[1]["reason"]
    assert "phone" in errors[2]["reason"]
    assert _persons(context) == 0


def test_id_number_inconsistent_with_birth_year_is_named(context: Context) -> None:
    row = _row("Nông Văn Dền", dt.date(1970, 2, 3), date_of_birth="1971-02-03")
    with pytest.raises(importing.ImportRejected) as caught:
        _import(context, _csv([row]))
    assert caught.value.extensions["errors"][0]["line"] == 2


def test_an_id_number_repeated_in_the_file_rejects_both_rows(context: Context) -> None:
    first = _row("Nông Văn Dền", dt.date(1970, 2, 3))
    second = {**_row("Nông Văn Dũng", dt.date(1970, 2, 3)), "id_number": first["id_number"]}
    with pytest.raises(importing.ImportRejected) as caught:
        _import(context, _csv([first, second]))
    assert [e["line"] for e in caught.value.extensions["errors"]] == [2, 3]


def test_a_person_already_registered_is_rejected(context: Context) -> None:
    row = _row("Nông Văn Dền", dt.date(1970, 2, 3))
    _import(context, _csv([row]))
    with pytest.raises(importing.ImportRejected) as caught:
        _import(context, _csv([row, _row("Ma Văn Sinh", dt.date(1990, 1, 1))]))
    assert caught.value.extensions["errors"] == [{"line": 2, "reason": "id_number is already in the registry"}]
    assert _persons(context) == 1


def test_a_new_village_needs_its_distance_and_signal(context: Context) -> None:
    row = _row("Nông Văn Dền", dt.date(1970, 2, 3), village_distance_km="", village_signal="")
    with pytest.raises(importing.ImportRejected) as caught:
        _import(context, _csv([row]))
    assert "village_distance_km and village_signal" in caught.value.extensions["errors"][0]["reason"]


def test_missing_columns_are_named() -> None:
    with pytest.raises(importing.ImportRejected) as caught:
        importing.read_rows(_csv([], columns=("commune_code", "village", "surname")))
    assert "missing columns" in caught.value.detail
    assert "unknown columns: surname" in caught.value.detail


def test_export_then_import_elsewhere_gives_the_same_rows(
    context: Context, tmp_path_factory: pytest.TempPathFactory
) -> None:
    rows = [_row("Nông Văn Dền", dt.date(1970, 2, 3)), _row("Hoàng Thị Lan", dt.date(1974, 6, 7), Sex.FEMALE)]
    _import(context, _csv(rows))
    out = io.StringIO()
    with unit_of_work(context.database.sessions) as session:
        assert importing.write_rows(session=session, out=out) == 2
    exported = list(csv.DictReader(io.StringIO(out.getvalue())))
    assert [r["id_number"] for r in exported] == [r["id_number"] for r in rows]
    assert exported[0] == {**rows[0], "phone": ""}
