"""Reading the 2021 chip card's QR text (research/vneid.md §3.2)."""

from __future__ import annotations

from datetime import date

import pytest
from hypothesis import given
from hypothesis import strategies as st

from civicid.country.card_qr import CardQr, format_card_qr, parse_card_qr
from civicid.country.errors import InvalidCardQr
from civicid.country.sex import Sex

SEVEN = "019095001234|091234567|Nguyễn Văn An|12031995|Nam|Xã Nam Cường, Chợ Đồn, Bắc Kạn|15042021"


def field_at_fault(text: str) -> str:
    with pytest.raises(InvalidCardQr) as caught:
        parse_card_qr(text)
    assert caught.value.status == 422
    return str(caught.value.extensions["field"])


def test_seven_fields_read_in_order() -> None:
    assert parse_card_qr(SEVEN) == CardQr(
        id_number="019095001234",
        old_id_number="091234567",
        full_name="Nguyễn Văn An",
        date_of_birth=date(1995, 3, 12),
        sex=Sex.MALE,
        residence="Xã Nam Cường, Chợ Đồn, Bắc Kạn",
        issue_date=date(2021, 4, 15),
    )


def test_empty_old_id_is_reported_missing() -> None:
    card = parse_card_qr("019195001234||Trần Thị Bình|01011995|Nữ|Hà Nội|15042021")
    assert card.old_id_number is None
    assert card.sex is Sex.FEMALE
    assert card.missing == ("old_id_number",)


def test_six_fields_without_old_id_are_recognised() -> None:
    card = parse_card_qr("019095001234|Nguyễn Văn An|12031995|Nam|Bắc Kạn|15042021")
    assert (card.full_name, card.residence, card.issue_date) == ("Nguyễn Văn An", "Bắc Kạn", date(2021, 4, 15))
    assert card.missing == ("old_id_number",)


def test_six_fields_with_old_id_lack_the_issue_date() -> None:
    card = parse_card_qr("019095001234|091234567|Nguyễn Văn An|12031995|Nam|Bắc Kạn")
    assert card.issue_date is None
    assert card.missing == ("issue_date",)


def test_fields_beyond_seven_are_kept_as_extra() -> None:
    assert parse_card_qr(SEVEN + "|x").extra_fields == ("x",)
    assert parse_card_qr(SEVEN + "|x|").extra_fields == ("x", "")


def test_surrounding_whitespace_and_newline_are_ignored() -> None:
    assert parse_card_qr(f"  {SEVEN}\r\n") == parse_card_qr(SEVEN)


def test_sex_may_lack_its_diacritic_or_case() -> None:
    assert parse_card_qr("019195001234||B|01011995|NU|Hà Nội|15042021").sex is Sex.FEMALE


@pytest.mark.parametrize("sex", ["M", "Male", "Nữa", ""])
def test_sex_must_be_nam_or_nu(sex: str) -> None:
    assert field_at_fault(f"019095001234||An|12031995|{sex}|Hà Nội|15042021") == "sex"


@pytest.mark.parametrize("dob", ["1995-03-12", "31021995", "1231995", "12/03/1995", ""])
def test_date_of_birth_must_be_a_real_ddmmyyyy(dob: str) -> None:
    assert field_at_fault(f"019095001234||An|{dob}|Nam|Hà Nội|15042021") == "date_of_birth"


def test_issue_date_must_be_a_real_ddmmyyyy() -> None:
    assert field_at_fault("019095001234||An|12031995|Nam|Hà Nội|2021-04-15") == "issue_date"


def test_issue_date_must_not_precede_birth() -> None:
    assert field_at_fault("019095001234||An|12031995|Nam|Hà Nội|15041990") == "issue_date"


@pytest.mark.parametrize(
    ("id_number", "fault"),
    [("01909500123", "length"), ("003095001234", "unknown_province"), ("01909500123x", "non_digit")],
)
def test_id_number_must_be_valid(id_number: str, fault: str) -> None:
    with pytest.raises(InvalidCardQr) as caught:
        parse_card_qr(f"{id_number}||An|12031995|Nam|Hà Nội|15042021")
    assert caught.value.extensions == {"field": "id_number", "fault": fault}


def test_id_number_must_agree_with_sex() -> None:
    assert field_at_fault("019095001234||An|12031995|Nữ|Hà Nội|15042021") == "id_number"


def test_id_number_must_agree_with_birth_year() -> None:
    assert field_at_fault("019095001234||An|12031996|Nam|Hà Nội|15042021") == "id_number"


def test_old_id_must_be_digits() -> None:
    assert field_at_fault("019095001234|12345|An|12031995|Nam|Hà Nội|15042021") == "old_id_number"


def test_required_fields_must_be_present() -> None:
    assert field_at_fault("019095001234|091234567||12031995|Nam") == "full_name"
    assert field_at_fault("019095001234|091234567|An|12031995") == "sex"
    assert field_at_fault("019095001234") == "text"


@given(
    serial=st.integers(min_value=0, max_value=999_999),
    date_of_birth=st.dates(min_value=date(1900, 1, 1), max_value=date(2099, 12, 31)),
    sex=st.sampled_from(Sex),
    old_id=st.one_of(st.none(), st.from_regex(r"[0-9]{9}", fullmatch=True)),
    residence=st.one_of(st.none(), st.sampled_from(["Hà Nội", "Thôn Nà Hát, xã Nam Cường"])),
)
def test_formatted_qr_text_parses_back(
    serial: int, date_of_birth: date, sex: Sex, old_id: str | None, residence: str | None
) -> None:
    g = 2 * ((date_of_birth.year - 1900) // 100) + (sex is Sex.FEMALE)
    id_number = f"019{g}{date_of_birth.year % 100:02d}{serial:06d}"
    text = format_card_qr(
        id_number=id_number,
        old_id_number=old_id,
        full_name="Nguyễn Văn An",
        date_of_birth=date_of_birth,
        sex=sex,
        residence=residence,
        issue_date=date(2100, 1, 1),
    )
    card = parse_card_qr(text)
    assert (card.id_number, card.old_id_number, card.date_of_birth, card.sex, card.residence) == (
        id_number,
        old_id,
        date_of_birth,
        sex,
        residence,
    )
