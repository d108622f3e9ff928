"""Administrative units since 1 July 2025: 34 provinces and 3,321 communes (two levels).

Codes follow Decision 19/2025/QĐ-TTg: provinces 2 digits, communes (xã, phường, đặc khu) 5 digits,
stable and never reused. The data comes from the ``vietnam-provinces`` package (GSO list); villages
have no national code and live in CivicID's own registry, keyed by commune code.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache

from vietnam_provinces import Province as _SourceProvince
from vietnam_provinces import Ward as _SourceWard

from civicid.country.errors import UnknownAdministrativeUnit

PROVINCE_CODE_LENGTH = 2
COMMUNE_CODE_LENGTH = 5


@dataclass(frozen=True)
class Province:
    """A province or centrally governed city; ``code`` is 2 digits, zero-padded ("01")."""

    code: str
    name: str


@dataclass(frozen=True)
class Commune:
    """A commune-level unit (xã, phường or đặc khu); ``code`` is 5 digits, zero-padded ("00070")."""

    code: str
    name: str
    province_code: str


def list_provinces() -> tuple[Province, ...]:
    """All 34 provinces, in code order."""
    return tuple(_provinces().values())


def get_province(code: str) -> Province:
    """The province with this 2-digit code. Raises :class:`UnknownAdministrativeUnit`."""
    province = _provinces().get(code)
    if province is None:
        raise UnknownAdministrativeUnit(f"No province has code {code!r}", kind="province", unit_code=code)
    return province


def get_commune(code: str) -> Commune:
    """The commune with this 5-digit code. Raises :class:`UnknownAdministrativeUnit`."""
    commune = _communes().get(code)
    if commune is None:
        raise UnknownAdministrativeUnit(f"No commune has code {code!r}", kind="commune", unit_code=code)
    return commune


def list_communes(province_code: str | None = None) -> tuple[Commune, ...]:
    """All communes in code order, or those of one province (which must exist)."""
    if province_code is None:
        return tuple(_communes().values())
    return _communes_by_province()[get_province(province_code).code]


@cache
def _provinces() -> dict[str, Province]:
    source: list[_SourceProvince] = sorted(_SourceProvince.iter_all(), key=lambda p: int(p.code))
    return {
        f"{int(p.code):0{PROVINCE_CODE_LENGTH}d}": Province(code=f"{int(p.code):0{PROVINCE_CODE_LENGTH}d}", name=p.name)
        for p in source
    }


@cache
def _communes() -> dict[str, Commune]:
    source: list[_SourceWard] = sorted(_SourceWard.iter_all(), key=lambda w: int(w.code))
    communes = (
        Commune(
            code=f"{int(w.code):0{COMMUNE_CODE_LENGTH}d}",
            name=w.name,
            province_code=f"{int(w.province_code):0{PROVINCE_CODE_LENGTH}d}",
        )
        for w in source
    )
    return {commune.code: commune for commune in communes}


@cache
def _communes_by_province() -> dict[str, tuple[Commune, ...]]:
    grouped: dict[str, list[Commune]] = {code: [] for code in _provinces()}
    for commune in _communes().values():
        grouped[commune.province_code].append(commune)
    return {code: tuple(communes) for code, communes in grouped.items()}
