"""Administrative units since 1 July 2025 (Decision 19/2025/QĐ-TTg)."""

from __future__ import annotations

import pytest

from civicid.country.admin_units import (
    Commune,
    Province,
    get_commune,
    get_province,
    list_communes,
    list_provinces,
)
from civicid.country.errors import UnknownAdministrativeUnit


def test_there_are_34_provinces_with_2_digit_codes() -> None:
    provinces = list_provinces()
    assert len(provinces) == 34
    assert all(len(p.code) == 2 and p.code.isdigit() for p in provinces)
    assert [p.code for p in provinces] == sorted(p.code for p in provinces)


def test_there_are_3321_communes_with_5_digit_codes() -> None:
    communes = list_communes()
    assert len(communes) == 3321
    assert len({c.code for c in communes}) == 3321
    assert all(len(c.code) == 5 and c.code.isdigit() for c in communes)


def test_every_commune_belongs_to_a_province() -> None:
    assert sum(len(list_communes(p.code)) for p in list_provinces()) == 3321


def test_province_codes_are_zero_padded() -> None:
    assert get_province("01") == Province(code="01", name="Thành phố Hà Nội")
    assert get_province("19").name == "Thái Nguyên"


def test_commune_codes_are_zero_padded() -> None:
    assert get_commune("00070") == Commune(code="00070", name="Phường Hoàn Kiếm", province_code="01")


def test_communes_of_a_province_all_name_it() -> None:
    communes = list_communes("19")
    assert communes
    assert {c.province_code for c in communes} == {"19"}


@pytest.mark.parametrize("code", ["1", "001", "02", "99", "xx", ""])
def test_unknown_province_code_is_not_found(code: str) -> None:
    with pytest.raises(UnknownAdministrativeUnit) as caught:
        get_province(code)
    assert caught.value.status == 404
    assert caught.value.code == "unknown_administrative_unit"


@pytest.mark.parametrize("code", ["70", "0070", "99999"])
def test_unknown_commune_code_is_not_found(code: str) -> None:
    with pytest.raises(UnknownAdministrativeUnit):
        get_commune(code)


def test_listing_communes_of_an_unknown_province_is_not_found() -> None:
    with pytest.raises(UnknownAdministrativeUnit):
        list_communes("02")
