"""Rules of the 12-digit personal identification number (Decree 137/2015 Art 13)."""

from __future__ import annotations

from datetime import date

import pytest
from hypothesis import given
from hypothesis import strategies as st

from civicid.country.errors import InvalidIdNumber
from civicid.country.id_number import LEGACY_PROVINCE_CODES, IdNumber, make_id_number, parse_id_number
from civicid.country.sex import Sex


def fault_of(
    number: str, *, date_of_birth: date | None = None, sex: Sex | None = None, today: date | None = None
) -> str:
    with pytest.raises(InvalidIdNumber) as caught:
        parse_id_number(number, date_of_birth=date_of_birth, sex=sex, today=today)
    assert caught.value.status == 422
    assert caught.value.code == "invalid_id_number"
    return str(caught.value.extensions["fault"])


def test_domain_example_reads_as_thai_nguyen_male_born_1995() -> None:
    assert parse_id_number("019095001234") == IdNumber(
        number="019095001234",
        province_code="019",
        province_name="Thái Nguyên",
        sex=Sex.MALE,
        century=1900,
        birth_year=1995,
        serial="001234",
    )


def test_number_must_have_twelve_digits() -> None:
    with pytest.raises(InvalidIdNumber, match="ID number has 11 digits; it must have 12") as caught:
        parse_id_number("01909500123")
    assert caught.value.extensions["fault"] == "length"
    assert fault_of("0190950012345") == "length"


@pytest.mark.parametrize("number", ["01909500123a", "019 95001234", "019-95001234", "０19095001234", "01909500123٤"])
def test_number_must_contain_only_ascii_digits(number: str) -> None:
    assert fault_of(number) == "non_digit"


def test_surrounding_whitespace_is_ignored() -> None:
    assert parse_id_number(" 019095001234\n").number == "019095001234"


@pytest.mark.parametrize("prefix", ["000", "003", "097", "999"])
def test_prefix_must_be_a_legacy_province_code(prefix: str) -> None:
    assert fault_of(f"{prefix}095001234") == "unknown_province"


def test_all_63_legacy_province_codes_are_accepted() -> None:
    assert len(LEGACY_PROVINCE_CODES) == 63
    for code, name in LEGACY_PROVINCE_CODES.items():
        assert parse_id_number(f"{code}095001234").province_name == name


def test_prefix_is_never_mapped_to_a_2025_province() -> None:
    # 002 Hà Giang merged into Tuyên Quang in 2025; the number still says Hà Giang.
    assert parse_id_number("002195001234").province_name == "Hà Giang"


def test_codes_for_births_abroad_are_configurable() -> None:
    assert fault_of("840095001234") == "unknown_province"
    decoded = parse_id_number("840095001234", extra_codes={"840"})
    assert decoded.province_code == "840"
    assert decoded.province_name is None


@pytest.mark.parametrize(
    ("digit", "century", "sex"),
    [(0, 1900, Sex.MALE), (1, 1900, Sex.FEMALE), (2, 2000, Sex.MALE), (3, 2000, Sex.FEMALE), (4, 2100, Sex.MALE),
     (5, 2100, Sex.FEMALE), (6, 2200, Sex.MALE), (7, 2200, Sex.FEMALE), (8, 2300, Sex.MALE), (9, 2300, Sex.FEMALE)],
)  # fmt: skip
def test_century_digit_encodes_century_and_sex(digit: int, century: int, sex: Sex) -> None:
    decoded = parse_id_number(f"019{digit}07001234")
    assert (decoded.century, decoded.sex, decoded.birth_year) == (century, sex, century + 7)


def test_century_digit_must_match_sex() -> None:
    assert fault_of("019095001234", sex=Sex.FEMALE) == "century_sex_mismatch"
    assert parse_id_number("019195001234", sex=Sex.FEMALE).sex is Sex.FEMALE


def test_birth_year_may_not_lie_after_today() -> None:
    assert fault_of("019227001234", today=date(2026, 12, 8)) == "birth_year_in_future"
    assert parse_id_number("019226001234", today=date(2026, 12, 8)).birth_year == 2026


def test_birth_year_must_match_date_of_birth() -> None:
    assert fault_of("019095001234", date_of_birth=date(1996, 3, 12)) == "birth_year_mismatch"


def test_century_must_match_date_of_birth() -> None:
    assert fault_of("019295001234", date_of_birth=date(1995, 3, 12)) == "birth_year_mismatch"


def test_make_id_number_builds_the_domain_example() -> None:
    number = make_id_number(province_code="019", date_of_birth=date(1995, 3, 12), sex=Sex.MALE, serial=1234)
    assert number == "019095001234"


@pytest.mark.parametrize(
    ("province_code", "date_of_birth", "serial"),
    [("003", date(1995, 1, 1), 1), ("019", date(1899, 1, 1), 1), ("019", date(2400, 1, 1), 1),
     ("019", date(1995, 1, 1), 1_000_000), ("019", date(1995, 1, 1), -1)],
)  # fmt: skip
def test_make_id_number_refuses_impossible_numbers(province_code: str, date_of_birth: date, serial: int) -> None:
    with pytest.raises(ValueError, match=r"outside|unknown"):
        make_id_number(province_code=province_code, date_of_birth=date_of_birth, sex=Sex.MALE, serial=serial)


@given(
    province_code=st.sampled_from(sorted(LEGACY_PROVINCE_CODES)),
    date_of_birth=st.dates(min_value=date(1900, 1, 1), max_value=date(2399, 12, 31)),
    sex=st.sampled_from(Sex),
    serial=st.integers(min_value=0, max_value=999_999),
)
def test_made_numbers_parse_back_to_their_inputs(
    province_code: str, date_of_birth: date, sex: Sex, serial: int
) -> None:
    number = make_id_number(province_code=province_code, date_of_birth=date_of_birth, sex=sex, serial=serial)
    decoded = parse_id_number(number, date_of_birth=date_of_birth, sex=sex)
    assert decoded.province_code == province_code
    assert decoded.sex is sex
    assert decoded.birth_year == date_of_birth.year
    assert decoded.century == date_of_birth.year // 100 * 100
    assert decoded.serial == f"{serial:06d}"
