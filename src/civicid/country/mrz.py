"""The machine-readable zone of the Vietnamese ID card: ICAO 9303 TD1, three lines of 30.

Layout (ICAO 9303-5 §4.2 for TD1; Vietnamese profile in research/vneid.md §3.3)::

    line 1: I D V N M d d d d d d d d d c P P P P P P P P P P P P < < k
            document code, issuing state, document number = last 9 digits of the ID number,
            its check digit c, optional data = the full 12-digit ID number, "<<" and k
    line 2: YYMMDD c S YYMMDD c VNM <<<<<<<<<<< C
            birth date + check, sex, expiry date + check, nationality, optional data 2, composite
    line 3: SURNAME<<GIVEN<NAMES

``k`` is the 7-3-1 check digit over the 12-digit ID number: observed on the one public sample and on
DOMAIN.md's synthetic example, not a documented rule, so it is reported as the ``optional_data`` check.
"""

from __future__ import annotations

import re
from collections.abc import Collection
from dataclasses import dataclass
from datetime import date

from civicid.core.clock import SystemClock
from civicid.country.errors import InvalidIdNumber, InvalidMrz
from civicid.country.id_number import parse_id_number
from civicid.country.names import to_mrz_name
from civicid.country.sex import Sex
from civicid.country.zone import TIME_ZONE

LINE_LENGTH = 30
FILLER = "<"
DOCUMENT_CODE = "ID"
ISSUING_STATE = "VNM"
_CHARSET = re.compile(r"[A-Z0-9<]*")
_WEIGHTS = (7, 3, 1)
_VN_OPTIONAL_DATA = re.compile(r"([0-9]{12})<<([0-9])")


@dataclass(frozen=True)
class Mrz:
    """A decoded TD1 MRZ. ``checks`` maps each check digit's name to whether it holds."""

    document_code: str
    issuing_state: str
    document_number: str
    id_number: str
    date_of_birth: date
    sex: Sex | None
    expiry_date: date
    nationality: str
    surname: str
    given_names: str
    checks: dict[str, bool]

    @property
    def valid(self) -> bool:
        """True when every check digit holds."""
        return all(self.checks.values())

    @property
    def failing_checks(self) -> list[str]:
        return [name for name, holds in self.checks.items() if not holds]


def check_digit(field: str) -> int:
    """ICAO 9303-3 §4.9: digits count as themselves, A-Z as 10-35, ``<`` as 0; weights 7, 3, 1; mod 10."""
    total = 0
    for index, char in enumerate(field):
        if char.isdigit():
            value = int(char)
        elif char == FILLER:
            value = 0
        else:
            value = ord(char) - ord("A") + 10
        total += value * _WEIGHTS[index % 3]
    return total % 10


def parse_mrz(
    text: str, *, reference_date: date | None = None, strict: bool = True, extra_codes: Collection[str] = ()
) -> Mrz:
    """Read a TD1 MRZ from text (lines separated by any newline; surrounding blanks ignored).

    Lowercase letters are uppercased: the MRZ alphabet has none, so a lowercase letter can only be a
    transcription of its capital. With ``strict`` (the default) any failing check digit raises
    :class:`InvalidMrz` naming them; with ``strict=False`` the result reports them in ``checks`` and
    only a structural fault raises. The ID number is cross-checked against birth date and sex
    (Decree 137/2015 Art 13) when all check digits hold; ``extra_codes`` are accepted ID prefixes for
    births registered abroad, as in :func:`~civicid.country.id_number.parse_id_number`.
    """
    reference = reference_date or SystemClock(zone=TIME_ZONE).today()
    line1, line2, line3 = _lines(text)
    checks = _checks(line1, line2)
    failing = [name for name, holds in checks.items() if not holds]
    if failing and strict:
        raise _check_failure(failing)
    try:
        mrz = _decode(line1, line2, line3, checks, reference)
    except InvalidMrz:
        if failing:
            # A corrupted digit explains a malformed field better than the field itself does.
            raise _check_failure(failing) from None
        raise
    if not failing:
        _cross_check(mrz, extra_codes)
    return mrz


def format_mrz(
    *,
    id_number: str,
    date_of_birth: date,
    sex: Sex,
    expiry_date: date,
    full_name: str,
    extra_codes: Collection[str] = (),
) -> str:
    """Write the three lines of a Vietnamese card's MRZ (ICAO 9303-5 §4.2), joined by newlines.

    The name is transliterated as by :func:`~civicid.country.names.to_mrz_name` and truncated to 30.
    Raises :class:`InvalidIdNumber` when the ID number disagrees with the birth date or sex.
    """
    parse_id_number(id_number, date_of_birth=date_of_birth, sex=sex, extra_codes=extra_codes)
    document_number = id_number[-9:]
    line1 = f"{DOCUMENT_CODE}{ISSUING_STATE}{document_number}{check_digit(document_number)}"
    line1 += f"{id_number}{FILLER * 2}{check_digit(id_number)}"
    birth, expiry = date_of_birth.strftime("%y%m%d"), expiry_date.strftime("%y%m%d")
    line2 = f"{birth}{check_digit(birth)}{sex.value}{expiry}{check_digit(expiry)}{ISSUING_STATE}"
    line2 = line2.ljust(LINE_LENGTH - 1, FILLER)
    line2 += str(check_digit(_composite_input(line1, line2)))
    surname, given_names = to_mrz_name(full_name)
    name = f"{surname}{FILLER * 2}{given_names.replace(' ', FILLER)}"
    line3 = name[:LINE_LENGTH].ljust(LINE_LENGTH, FILLER)
    return "\n".join((line1, line2, line3))


def _lines(text: str) -> tuple[str, str, str]:
    lines = [line.strip().upper() for line in text.strip().splitlines() if line.strip()]
    if len(lines) != 3:
        raise InvalidMrz(f"MRZ has {len(lines)} lines; TD1 has 3", fault="line_count", failing_checks=[])
    for number, line in enumerate(lines, start=1):
        if len(line) != LINE_LENGTH:
            raise InvalidMrz(
                f"MRZ line {number} has {len(line)} characters; TD1 lines have {LINE_LENGTH}",
                fault="line_length",
                failing_checks=[],
            )
        if not _CHARSET.fullmatch(line):
            raise InvalidMrz(
                f"MRZ line {number} has characters outside A-Z, 0-9 and '<'", fault="character_set", failing_checks=[]
            )
    return lines[0], lines[1], lines[2]


def _composite_input(line1: str, line2: str) -> str:
    """ICAO 9303-5 §4.2.2: line 1 positions 6-30, line 2 positions 1-7, 9-15 and 19-29."""
    return line1[5:30] + line2[0:7] + line2[8:15] + line2[18:29]


def _checks(line1: str, line2: str) -> dict[str, bool]:
    def holds(field: str, digit: str) -> bool:
        return digit.isdigit() and check_digit(field) == int(digit)

    optional = _VN_OPTIONAL_DATA.fullmatch(line1[15:30])
    return {
        "document_number": holds(line1[5:14], line1[14]),
        "date_of_birth": holds(line2[0:6], line2[6]),
        "expiry_date": holds(line2[8:14], line2[14]),
        "optional_data": optional is not None and holds(optional.group(1), optional.group(2)),
        "composite": holds(_composite_input(line1, line2), line2[29]),
    }


def _check_failure(failing: list[str]) -> InvalidMrz:
    return InvalidMrz(f"MRZ check digits fail: {', '.join(failing)}", fault="check_digit", failing_checks=failing)


def _decode(line1: str, line2: str, line3: str, checks: dict[str, bool], reference: date) -> Mrz:
    if line1[0] != "I":
        raise _structural("document_code", f"MRZ document code {line1[0:2]!r} is not an identity card's (I…)")
    optional = _VN_OPTIONAL_DATA.fullmatch(line1[15:30])
    if optional is None:
        raise _structural("optional_data", "MRZ line 1 optional data is not a 12-digit ID number, '<<' and a digit")
    id_number = optional.group(1)
    if line1[5:14] != id_number[-9:]:
        raise _structural("document_number", "MRZ document number is not the last 9 digits of the ID number")
    surname, _, given = line3.rstrip(FILLER).partition(FILLER * 2)
    return Mrz(
        document_code=line1[0:2].rstrip(FILLER),
        issuing_state=line1[2:5],
        document_number=line1[5:14],
        id_number=id_number,
        date_of_birth=_birth_date(line2[0:6], id_number, reference),
        sex=_sex(line2[7]),
        expiry_date=_expiry_date(line2[8:14], reference),
        nationality=line2[15:18],
        surname=surname.replace(FILLER, " ").strip(),
        given_names=given.replace(FILLER, " ").strip(),
        checks=checks,
    )


def _birth_date(yymmdd: str, id_number: str, reference: date) -> date:
    """Resolve the two-digit year with the ID number's century digit, which is authoritative.

    Without it a 2-digit year is ambiguous across a century (ICAO 9303-3 leaves it to the reader);
    the result must not lie after ``reference``.
    """
    born = _date("date_of_birth", yymmdd, 1900 + (int(id_number[3]) // 2) * 100)
    if born > reference:
        raise _structural("date_of_birth", f"MRZ date of birth {born.isoformat()} is after {reference.isoformat()}")
    return born


def _expiry_date(yymmdd: str, reference: date) -> date:
    """Resolve the two-digit expiry year into the 100-year window starting 50 years before ``reference``."""
    start = reference.year - 50
    expiry = _date("expiry_date", yymmdd, start - start % 100)
    return expiry if expiry.year >= start else expiry.replace(year=expiry.year + 100)


def _date(field: str, yymmdd: str, century: int) -> date:
    if yymmdd.isdigit():
        try:
            return date(century + int(yymmdd[0:2]), int(yymmdd[2:4]), int(yymmdd[4:6]))
        except ValueError:
            pass
    raise _structural(field, f"MRZ {field} {yymmdd!r} is not a date YYMMDD")


def _sex(letter: str) -> Sex | None:
    """ICAO 9303-4 §4.2.2: M, F, or ``<`` for unspecified."""
    if letter == FILLER:
        return None
    try:
        return Sex(letter)
    except ValueError:
        raise _structural("sex", f"MRZ sex {letter!r} is not M, F or '<'") from None


def _structural(fault: str, detail: str) -> InvalidMrz:
    return InvalidMrz(detail, fault=fault, failing_checks=[])


def _cross_check(mrz: Mrz, extra_codes: Collection[str]) -> None:
    """The ID number must agree with the birth date and sex (Decree 137/2015 Art 13)."""
    try:
        parse_id_number(mrz.id_number, date_of_birth=mrz.date_of_birth, sex=mrz.sex, extra_codes=extra_codes)
    except InvalidIdNumber as exc:
        raise _structural("id_number", f"MRZ ID number: {exc.detail}") from exc
