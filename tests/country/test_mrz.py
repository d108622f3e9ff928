"""The card's machine-readable zone (ICAO 9303 TD1, research/vneid.md §3.3)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from civicid.country.errors import InvalidIdNumber, InvalidMrz
from civicid.country.id_number import LEGACY_PROVINCE_CODES, make_id_number
from civicid.country.mrz import Mrz, check_digit, format_mrz, parse_mrz
from civicid.country.sex import Sex

from .conftest import DOMAIN_MRZ

REFERENCE = date(2026, 11, 28)
# Positions (0-based line, column) of every character covered by a check digit, and of the digits themselves.
CHECKED_POSITIONS = [(0, c) for c in range(5, 30)] + [(1, c) for c in [*range(0, 7), *range(8, 15), *range(18, 30)]]


def parse(text: str) -> Mrz:
    return parse_mrz(text, reference_date=REFERENCE)


def test_check_digits_follow_the_7_3_1_rule() -> None:
    # ICAO 9303-3 §4.9 worked examples.
    assert check_digit("520727") == 3
    assert check_digit("AB2134<<<") == 5
    assert check_digit("<<<<") == 0


def test_domain_example_parses_with_every_check_holding() -> None:
    mrz = parse_mrz(DOMAIN_MRZ, reference_date=REFERENCE)
    assert (mrz.document_code, mrz.issuing_state, mrz.nationality) == ("ID", "VNM", "VNM")
    assert (mrz.document_number, mrz.id_number) == ("095001234", "019095001234")
    assert (mrz.date_of_birth, mrz.sex, mrz.expiry_date) == (date(1995, 3, 12), Sex.MALE, date(2035, 3, 12))
    assert (mrz.surname, mrz.given_names) == ("NGUYEN", "VAN AN")
    assert mrz.checks == {
        "document_number": True,
        "date_of_birth": True,
        "expiry_date": True,
        "optional_data": True,
        "composite": True,
    }
    assert mrz.valid


def test_last_digit_of_line_1_is_the_check_digit_of_the_id_number() -> None:
    assert DOMAIN_MRZ[29] == str(check_digit("019095001234"))


def test_generator_reproduces_the_domain_example() -> None:
    text = format_mrz(
        id_number="019095001234",
        date_of_birth=date(1995, 3, 12),
        sex=Sex.MALE,
        expiry_date=date(2035, 3, 12),
        full_name="Nguyễn Văn An",
    )
    assert text == DOMAIN_MRZ


def test_generator_refuses_an_id_number_that_disagrees_with_the_person() -> None:
    with pytest.raises(InvalidIdNumber):
        format_mrz(
            id_number="019095001234",
            date_of_birth=date(1995, 3, 12),
            sex=Sex.FEMALE,
            expiry_date=date(2035, 3, 12),
            full_name="An",
        )


def test_generator_truncates_long_names_to_30_characters() -> None:
    text = format_mrz(
        id_number="019195001234",
        date_of_birth=date(1995, 3, 12),
        sex=Sex.FEMALE,
        expiry_date=date(2035, 3, 12),
        full_name="Tôn Nữ Hoàng Thị Phương Thanh Xuân Mai",
    )
    assert text.splitlines()[2] == "TON<<NU<HOANG<THI<PHUONG<THANH"


def test_crlf_blank_lines_surrounding_whitespace_and_lowercase_are_tolerated() -> None:
    messy = "\n  " + DOMAIN_MRZ.lower().replace("\n", " \r\n\r\n") + "  \n"
    assert parse(messy) == parse(DOMAIN_MRZ)


@pytest.mark.parametrize(
    ("text", "fault"),
    [
        ("\n".join(DOMAIN_MRZ.splitlines()[:2]), "line_count"),
        (DOMAIN_MRZ.replace("NGUYEN<<", "NGUYEN<"), "line_length"),
        (DOMAIN_MRZ.replace("NGUYEN", "NGUYỄN"), "character_set"),
        (DOMAIN_MRZ.replace("NGUYEN<<VAN", "NGUYEN<<V N"), "character_set"),
    ],
)
def test_structural_faults_are_named(text: str, fault: str) -> None:
    with pytest.raises(InvalidMrz) as caught:
        parse(text)
    assert caught.value.extensions == {"fault": fault, "failing_checks": []}


def test_a_corrupted_date_of_birth_names_its_check_and_the_composite() -> None:
    corrupted = DOMAIN_MRZ.replace("9503124M", "9503134M")
    with pytest.raises(InvalidMrz, match="date_of_birth, composite") as caught:
        parse(corrupted)
    assert caught.value.extensions == {"fault": "check_digit", "failing_checks": ["date_of_birth", "composite"]}


def test_lenient_parse_reports_which_checks_hold() -> None:
    mrz = parse_mrz(DOMAIN_MRZ.replace("9503124M", "9503134M"), reference_date=REFERENCE, strict=False)
    assert not mrz.valid
    assert mrz.failing_checks == ["date_of_birth", "composite"]
    assert mrz.checks["expiry_date"]


def test_lenient_parse_reports_failing_checks_when_corruption_breaks_a_date() -> None:
    with pytest.raises(InvalidMrz) as caught:
        parse_mrz(DOMAIN_MRZ.replace("9503124M", "9513124M"), reference_date=REFERENCE, strict=False)
    assert caught.value.extensions["failing_checks"] == ["date_of_birth", "composite"]


def test_id_number_must_agree_with_the_birth_date() -> None:
    text = format_mrz(
        id_number="019095001234",
        date_of_birth=date(1995, 3, 12),
        sex=Sex.MALE,
        expiry_date=date(2035, 3, 12),
        full_name="Nguyễn Văn An",
    )
    # Same ID, born in 1996: every check digit recomputed, the ID number's year disagrees.
    lines = text.splitlines()
    line2 = f"960312{check_digit('960312')}" + lines[1][7:29]
    composite = check_digit(lines[0][5:30] + line2[0:7] + line2[8:15] + line2[18:29])
    with pytest.raises(InvalidMrz) as caught:
        parse("\n".join((lines[0], line2 + str(composite), lines[2])))
    assert caught.value.extensions["fault"] == "id_number"


def test_birth_century_comes_from_the_id_number() -> None:
    text = format_mrz(
        id_number="019020001234",
        date_of_birth=date(1920, 5, 1),
        sex=Sex.MALE,
        expiry_date=date(2099, 12, 31),
        full_name="Lê Văn Cụ",
    )
    assert parse(text).date_of_birth == date(1920, 5, 1)


def test_date_of_birth_must_not_be_in_the_future() -> None:
    with pytest.raises(InvalidMrz) as caught:
        parse_mrz(DOMAIN_MRZ, reference_date=date(1990, 1, 1))
    assert caught.value.extensions["fault"] == "date_of_birth"


def test_document_code_must_be_an_identity_card() -> None:
    corrupted = "P" + DOMAIN_MRZ[1:]
    with pytest.raises(InvalidMrz) as caught:
        parse(corrupted)
    assert caught.value.extensions["fault"] == "document_code"


@dataclass(frozen=True)
class Person:
    province_code: str
    date_of_birth: date
    expiry_date: date
    sex: Sex
    serial: int
    full_name: str


people = st.builds(
    Person,
    province_code=st.sampled_from(sorted(LEGACY_PROVINCE_CODES)),
    date_of_birth=st.dates(min_value=date(1900, 1, 1), max_value=REFERENCE),
    # Two-digit expiry years are read into the 100 years starting 50 years before the reference date.
    expiry_date=st.dates(min_value=date(1976, 1, 1), max_value=date(2075, 12, 31)),
    sex=st.sampled_from(Sex),
    serial=st.integers(min_value=0, max_value=999_999),
    full_name=st.sampled_from(["Nguyễn Văn An", "Đặng Thị Ánh Tuyết", "Hoàng A Páo", "Lò Văn Ơn Đức Thịnh Vượng"]),
)


def mrz_of(person: Person) -> str:
    id_number = make_id_number(
        province_code=person.province_code,
        date_of_birth=person.date_of_birth,
        sex=person.sex,
        serial=person.serial,
    )
    return format_mrz(
        id_number=id_number,
        date_of_birth=person.date_of_birth,
        sex=person.sex,
        expiry_date=person.expiry_date,
        full_name=person.full_name,
    )


@settings(deadline=None)
@given(person=people)
def test_formatted_mrz_parses_back(person: Person) -> None:
    mrz = parse(mrz_of(person))
    assert mrz.valid
    assert (mrz.date_of_birth, mrz.sex, mrz.expiry_date) == (person.date_of_birth, person.sex, person.expiry_date)
    assert mrz.id_number[:3] == person.province_code
    assert mrz.id_number[-6:] == f"{person.serial:06d}"


@settings(deadline=None)
@given(person=people, data=st.data())
def test_every_single_digit_corruption_is_detected(person: Person, data: st.DataObject) -> None:
    lines = mrz_of(person).splitlines()
    line, column = data.draw(st.sampled_from([(r, c) for r, c in CHECKED_POSITIONS if lines[r][c].isdigit()]))
    replacement = data.draw(st.sampled_from([d for d in "0123456789" if d != lines[line][column]]))
    lines[line] = lines[line][:column] + replacement + lines[line][column + 1 :]
    with pytest.raises(InvalidMrz) as caught:
        parse("\n".join(lines))
    assert caught.value.extensions["fault"] == "check_digit"
    # Every checked character is also under the composite check digit (ICAO 9303-5 §4.2.2).
    assert "composite" in caught.value.extensions["failing_checks"]
