"""The 12-digit personal identification number (số định danh cá nhân): ``PPP G YY RRRRRR``.

Decree 137/2015/NĐ-CP Art 13 and Circular 07/2016/TT-BCA Art 7, kept by the Law on Identification
2023 Art 12 (research/vneid.md §3.1):

- ``PPP``: the province where the birth was registered (one of the 63 legacy codes below), or a
  country code for births registered abroad;
- ``G``: century and sex (1900s male 0 / female 1, 2000s 2 / 3, … 2300s 8 / 9);
- ``YY``: the last two digits of the birth year;
- ``RRRRRR``: a random range. There is no check digit.

The number is lifelong: the prefix names the province *of birth registration* before the 2025 merger
and is never mapped to today's 34 provinces.
"""

from __future__ import annotations

import re
from collections.abc import Collection
from dataclasses import dataclass
from datetime import date

from civicid.country.errors import InvalidIdNumber
from civicid.country.sex import Sex

ID_NUMBER_LENGTH = 12

#: The 63 pre-2025 provinces, as coded in ID numbers (Circular 07/2016 annex; research/vneid.md §3.1).
LEGACY_PROVINCE_CODES: dict[str, str] = {
    "001": "Hà Nội",
    "002": "Hà Giang",
    "004": "Cao Bằng",
    "006": "Bắc Kạn",
    "008": "Tuyên Quang",
    "010": "Lào Cai",
    "011": "Điện Biên",
    "012": "Lai Châu",
    "014": "Sơn La",
    "015": "Yên Bái",
    "017": "Hòa Bình",
    "019": "Thái Nguyên",
    "020": "Lạng Sơn",
    "022": "Quảng Ninh",
    "024": "Bắc Giang",
    "025": "Phú Thọ",
    "026": "Vĩnh Phúc",
    "027": "Bắc Ninh",
    "030": "Hải Dương",
    "031": "Hải Phòng",
    "033": "Hưng Yên",
    "034": "Thái Bình",
    "035": "Hà Nam",
    "036": "Nam Định",
    "037": "Ninh Bình",
    "038": "Thanh Hóa",
    "040": "Nghệ An",
    "042": "Hà Tĩnh",
    "044": "Quảng Bình",
    "045": "Quảng Trị",
    "046": "Thừa Thiên Huế",
    "048": "Đà Nẵng",
    "049": "Quảng Nam",
    "051": "Quảng Ngãi",
    "052": "Bình Định",
    "054": "Phú Yên",
    "056": "Khánh Hòa",
    "058": "Ninh Thuận",
    "060": "Bình Thuận",
    "062": "Kon Tum",
    "064": "Gia Lai",
    "066": "Đắk Lắk",
    "067": "Đắk Nông",
    "068": "Lâm Đồng",
    "070": "Bình Phước",
    "072": "Tây Ninh",
    "074": "Bình Dương",
    "075": "Đồng Nai",
    "077": "Bà Rịa–Vũng Tàu",
    "079": "Thành phố Hồ Chí Minh",
    "080": "Long An",
    "082": "Tiền Giang",
    "083": "Bến Tre",
    "084": "Trà Vinh",
    "086": "Vĩnh Long",
    "087": "Đồng Tháp",
    "089": "An Giang",
    "091": "Kiên Giang",
    "092": "Cần Thơ",
    "093": "Hậu Giang",
    "094": "Sóc Trăng",
    "095": "Bạc Liêu",
    "096": "Cà Mau",
}

#: Country codes used for births registered abroad. The official list (Circular 07/2016 annex) is
#: unknown to us, so none is built in; deployments pass theirs as ``extra_codes``.
ABROAD_COUNTRY_CODES: frozenset[str] = frozenset()

FIRST_CENTURY = 1900
LAST_CENTURY = 2300

_DIGITS = re.compile(r"[0-9]*")


@dataclass(frozen=True)
class IdNumber:
    """A decoded ID number. ``province_name`` is None for a code of birth registration abroad."""

    number: str
    province_code: str
    province_name: str | None
    sex: Sex
    century: int
    birth_year: int
    serial: str


def parse_id_number(
    number: str,
    *,
    date_of_birth: date | None = None,
    sex: Sex | None = None,
    extra_codes: Collection[str] = (),
    today: date | None = None,
) -> IdNumber:
    """Decode and validate an ID number; check it against the date of birth and sex when known.

    With ``today``, a number whose birth year lies after this year is refused: nobody is registered
    before being born. Raises :class:`InvalidIdNumber` whose ``fault`` names the first rule broken,
    checked in the order non_digit, length, unknown_province, birth_year_in_future,
    century_sex_mismatch, birth_year_mismatch.
    """
    number = number.strip()
    if not _DIGITS.fullmatch(number):
        raise InvalidIdNumber(f"ID number {number!r} must contain only the digits 0-9", fault="non_digit")
    if len(number) != ID_NUMBER_LENGTH:
        raise InvalidIdNumber(f"ID number has {len(number)} digits; it must have {ID_NUMBER_LENGTH}", fault="length")
    province_code, g, yy, serial = number[:3], int(number[3]), int(number[4:6]), number[6:]
    if province_code not in LEGACY_PROVINCE_CODES and province_code not in _abroad_codes(extra_codes):
        raise InvalidIdNumber(
            f"ID number prefix {province_code} is not a known province or country code",
            fault="unknown_province",
        )
    decoded = IdNumber(
        number=number,
        province_code=province_code,
        province_name=LEGACY_PROVINCE_CODES.get(province_code),
        sex=Sex.MALE if g % 2 == 0 else Sex.FEMALE,
        century=FIRST_CENTURY + (g // 2) * 100,
        birth_year=FIRST_CENTURY + (g // 2) * 100 + yy,
        serial=serial,
    )
    if today is not None and decoded.birth_year > today.year:
        raise InvalidIdNumber(
            f"ID number says born in {decoded.birth_year}, a year that has not come yet", fault="birth_year_in_future"
        )
    if sex is not None and sex is not decoded.sex:
        raise InvalidIdNumber(
            f"ID number's century digit {g} means sex {decoded.sex.value}; the person's sex is {sex.value}",
            fault="century_sex_mismatch",
        )
    if date_of_birth is not None and date_of_birth.year != decoded.birth_year:
        raise InvalidIdNumber(
            f"ID number says born in {decoded.birth_year}; the date of birth is {date_of_birth.isoformat()}",
            fault="birth_year_mismatch",
        )
    return decoded


def make_id_number(
    *,
    province_code: str,
    date_of_birth: date,
    sex: Sex,
    serial: int,
    extra_codes: Collection[str] = (),
) -> str:
    """Build the ID number of a (synthetic) person: the simulator's generator.

    Raises ValueError for arguments no real number can have: that is a bug in the caller.
    """
    if province_code not in LEGACY_PROVINCE_CODES and province_code not in _abroad_codes(extra_codes):
        raise ValueError(f"unknown province or country code {province_code!r}")
    if not FIRST_CENTURY <= date_of_birth.year < LAST_CENTURY + 100:
        raise ValueError(f"birth year {date_of_birth.year} is outside 1900-2399")
    if not 0 <= serial <= 999_999:
        raise ValueError(f"serial {serial} is outside 0-999999")
    century_index = (date_of_birth.year - FIRST_CENTURY) // 100
    g = 2 * century_index + (0 if sex is Sex.MALE else 1)
    return f"{province_code}{g}{date_of_birth.year % 100:02d}{serial:06d}"


def _abroad_codes(extra_codes: Collection[str]) -> frozenset[str]:
    return ABROAD_COUNTRY_CODES | frozenset(extra_codes)
