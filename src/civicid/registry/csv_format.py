"""The registry's CSV file format, version 1, for importing and exporting a commune's population.

Columns (header row required, UTF-8, comma-separated; documented in docs/formats/registry-csv-v1.md):

commune_code, village, village_distance_km, village_signal, household_number, household_address,
id_number, full_name, date_of_birth, sex, phone, has_smartphone, residence_status, relation_to_head

``village_distance_km`` and ``village_signal`` are needed only on rows that name a village the
registry does not hold yet. ``sex`` is ``M``/``F`` (``Nam``/``Nữ`` accepted); dates are ISO
``YYYY-MM-DD``; ``has_smartphone`` is ``yes``/``no`` (``true``/``false``, ``1``/``0``).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import TypeVar

from civicid.country.errors import InvalidIdNumber
from civicid.country.id_number import parse_id_number
from civicid.country.phone import normalise_phone
from civicid.country.sex import Sex
from civicid.registry.models import ResidenceStatus, SignalQuality

_E = TypeVar("_E", SignalQuality, ResidenceStatus)

FORMAT_VERSION = "registry-csv/1"
COLUMNS = (
    "commune_code",
    "village",
    "village_distance_km",
    "village_signal",
    "household_number",
    "household_address",
    "id_number",
    "full_name",
    "date_of_birth",
    "sex",
    "phone",
    "has_smartphone",
    "residence_status",
    "relation_to_head",
)
REQUIRED = ("commune_code", "village", "household_number", "id_number", "full_name", "date_of_birth", "sex")

_SEX = {"m": Sex.MALE, "nam": Sex.MALE, "male": Sex.MALE, "f": Sex.FEMALE, "nữ": Sex.FEMALE, "female": Sex.FEMALE}
_TRUE = {"yes", "true", "1", "có", "y"}
_FALSE = {"no", "false", "0", "không", "n", ""}


class RowError(ValueError):
    """What is wrong with one row, in words an officer can act on."""


@dataclass(frozen=True)
class RegistryRow:
    line: int
    commune_code: str
    village: str
    village_distance_km: float | None
    village_signal: SignalQuality | None
    household_number: str
    household_address: str
    id_number: str
    full_name: str
    date_of_birth: dt.date
    sex: Sex
    phone: str | None
    has_smartphone: bool
    residence_status: ResidenceStatus
    relation_to_head: str


def check_header(header: list[str] | None) -> None:
    if header is None:
        raise RowError("the file is empty; the first line must name the columns")
    missing = [c for c in REQUIRED if c not in header]
    unknown = [c for c in header if c not in COLUMNS]
    problems = []
    if missing:
        problems.append("missing columns: " + ", ".join(missing))
    if unknown:
        problems.append("unknown columns: " + ", ".join(unknown))
    if problems:
        raise RowError("; ".join(problems))


def parse_row(line: int, raw: dict[str, str | None]) -> RegistryRow:
    """Validate one row; raises :class:`RowError` naming every faulty column of it."""
    cells = {k: (v or "").strip() for k, v in raw.items() if k is not None}
    faults: list[str] = []

    def need(column: str) -> str:
        value = cells.get(column, "")
        if not value:
            faults.append(f"{column} is empty")
        return value

    for column in REQUIRED:
        need(column)
    dob = _date(cells.get("date_of_birth", ""), "date_of_birth", faults)
    sex = _SEX.get(cells.get("sex", "").lower())
    if cells.get("sex") and sex is None:
        faults.append(f"sex {cells['sex']!r} is not M or F")
    distance = _float(cells.get("village_distance_km", ""), "village_distance_km", faults)
    signal = _choice(cells.get("village_signal", ""), SignalQuality, "village_signal", faults)
    residence = _choice(cells.get("residence_status", ""), ResidenceStatus, "residence_status", faults)
    smartphone = cells.get("has_smartphone", "").lower()
    if smartphone not in _TRUE | _FALSE:
        faults.append(f"has_smartphone {cells['has_smartphone']!r} is not yes or no")
    commune_code = cells.get("commune_code", "")
    if commune_code and not (commune_code.isdigit() and len(commune_code) == 5):
        faults.append(f"commune_code {commune_code!r} is not 5 digits")
    phone: str | None = None
    try:
        phone = normalise_phone(cells.get("phone"))
    except ValueError as exc:
        faults.append(str(exc))
    id_number = cells.get("id_number", "")
    if id_number and dob is not None and sex is not None:
        try:
            parse_id_number(id_number, date_of_birth=dob, sex=sex)
        except InvalidIdNumber as exc:
            faults.append(exc.detail)
    if faults:
        raise RowError("; ".join(faults))
    assert dob is not None  # noqa: S101 - guaranteed by the fault checks above
    assert sex is not None  # noqa: S101
    return RegistryRow(
        line=line,
        commune_code=commune_code,
        village=" ".join(cells["village"].split()),
        village_distance_km=distance,
        village_signal=signal,
        household_number=cells["household_number"],
        household_address=cells.get("household_address", "") or cells["village"],
        id_number=id_number,
        full_name=" ".join(cells["full_name"].split()),
        date_of_birth=dob,
        sex=sex,
        phone=phone,
        has_smartphone=smartphone in _TRUE,
        residence_status=residence or ResidenceStatus.PRESENT,
        relation_to_head=cells.get("relation_to_head") or "head",
    )


def _date(value: str, column: str, faults: list[str]) -> dt.date | None:
    if not value:
        return None
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        faults.append(f"{column} {value!r} is not a date YYYY-MM-DD")
        return None


def _float(value: str, column: str, faults: list[str]) -> float | None:
    if not value:
        return None
    try:
        number = float(value)
    except ValueError:
        faults.append(f"{column} {value!r} is not a number")
        return None
    if not 0 <= number <= 500:
        faults.append(f"{column} {value!r} is not between 0 and 500")
        return None
    return number


def _choice(value: str, kind: type[_E], column: str, faults: list[str]) -> _E | None:
    if not value:
        return None
    try:
        return kind(value.lower())
    except ValueError:
        faults.append(f"{column} {value!r} is not one of {', '.join(m.value for m in kind)}")
        return None


def row_of(
    *,
    commune_code: str,
    village: str,
    distance_km: float,
    signal: str,
    household_number: str,
    household_address: str,
    person: dict[str, object],
) -> dict[str, str]:
    """One export row, in the column order of :data:`COLUMNS`."""
    values = {
        "commune_code": commune_code,
        "village": village,
        "village_distance_km": f"{distance_km:g}",
        "village_signal": signal,
        "household_number": household_number,
        "household_address": household_address,
        **{k: _cell(v) for k, v in person.items()},
    }
    return {c: values.get(c, "") for c in COLUMNS}


def _cell(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, dt.date):
        return value.isoformat()
    return str(value)
