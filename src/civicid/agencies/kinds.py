"""What a citizen types to integrate each kind of document: its number and its other key fields.

VNeID asks for a driving licence's number and class, a vehicle's plate (without separators) and
chassis number, a health-insurance card's number and issuing unit (docs research vneid.md §1.4).
The key fields are normalised here once, the same way for the wallet (which stores them) and for
the agencies (which compare them), so that "20B1-123.45" and "20b112345" are one plate.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass

from civicid.agencies.errors import InvalidKeyFields
from civicid.country.documents import DocumentKind

#: Licence classes: those of the Law on Road Traffic Order and Safety 2024 (from 2025) and the
#: older classes still printed on valid licences (A2–A4, B2, E, F…).
LICENCE_CLASSES = frozenset(
    {
        *("A1", "A", "B1", "B", "C1", "C", "D1", "D2", "D", "BE", "C1E", "CE", "D1E", "D2E", "DE"),
        *("A2", "A3", "A4", "B2", "E", "FB2", "FC", "FD", "FE"),
    }
)
FIELD_MAX = 64
_SEPARATORS = re.compile(r"[\s.\-]")


@dataclass(frozen=True)
class KeyField:
    """A field the citizen types, with its labels in Vietnamese and English, and a made-up example."""

    name: str
    vi: str
    en: str
    example: str
    pattern: re.Pattern[str]


@dataclass(frozen=True)
class DocumentSpec:
    """A kind of document as the citizen adds it: its labels, its number, and its other key fields."""

    kind: DocumentKind
    vi: str
    en: str
    number: KeyField
    fields: tuple[KeyField, ...]


SPECS: Mapping[DocumentKind, DocumentSpec] = {
    DocumentKind.DRIVING_LICENCE: DocumentSpec(
        DocumentKind.DRIVING_LICENCE,
        "Giấy phép lái xe",
        "Driving licence",
        KeyField("number", "Số giấy phép lái xe", "Licence number", "190123456789", re.compile(r"^\d{12}$")),
        (KeyField("class", "Hạng", "Class", "A1", re.compile("^(" + "|".join(sorted(LICENCE_CLASSES)) + ")$")),),
    ),
    DocumentKind.VEHICLE_REGISTRATION: DocumentSpec(
        DocumentKind.VEHICLE_REGISTRATION,
        "Đăng ký xe",
        "Vehicle registration",
        # Province code, series (letters and a digit for motorcycles), then 4 or 5 digits: "20B112345".
        KeyField(
            "number",
            "Biển số xe (viết liền)",
            "Plate number, without separators",
            "20B112345",
            re.compile(r"^\d{2}[A-Z]{1,2}\d?\d{4,5}$"),
        ),
        (
            KeyField(
                "chassis_number", "Số khung", "Chassis number", "RLHJA3906PY123456", re.compile(r"^[A-Z0-9]{6,17}$")
            ),
        ),
    ),
    DocumentKind.HEALTH_INSURANCE: DocumentSpec(
        DocumentKind.HEALTH_INSURANCE,
        "Thẻ bảo hiểm y tế",
        "Health-insurance card",
        # Since 2021 the card's number is the 10-digit social-insurance number (mã số BHXH).
        KeyField("number", "Mã số bảo hiểm xã hội", "Social-insurance number", "1912345678", re.compile(r"^\d{10}$")),
        (KeyField("issuing_unit", "Mã đơn vị cấp thẻ", "Issuing unit code", "19405", re.compile(r"^[0-9A-Z]{3,10}$")),),
    ),
}


@dataclass(frozen=True)
class DocumentQuery:
    """A document as its agency is asked about it: normalised key fields, and whose it should be."""

    kind: DocumentKind
    number: str
    fields: Mapping[str, str]
    id_number: str


def normalise(kind: DocumentKind, number: str, fields: Mapping[str, str] | None) -> tuple[str, dict[str, str]]:
    """The number and key fields as the agency compares them, or :class:`InvalidKeyFields`.

    Separators and spaces go, letters are upper-cased; every key field of the kind must be given
    and match its format, and no other field is accepted.
    """
    spec = SPECS.get(kind)
    if spec is None:
        raise InvalidKeyFields(f"no agency takes documents of kind {kind.value}", field="kind")
    given = dict(fields or {})
    unexpected = sorted(set(given) - {f.name for f in spec.fields})
    if unexpected:
        raise InvalidKeyFields(f"{kind.value} takes no field {unexpected[0][:40]!r}", field="fields")
    clean_number = _clean(spec.number, number, "number")
    clean = {f.name: _clean(f, given.get(f.name), f"fields.{f.name}") for f in spec.fields}
    return clean_number, clean


def _clean(field: KeyField, value: str | None, where: str) -> str:
    text = _SEPARATORS.sub("", value or "").upper()[: FIELD_MAX + 1]
    if not field.pattern.match(text):
        raise InvalidKeyFields(f"{field.en.lower()} is missing or not in the agency's format", field=where)
    return text
