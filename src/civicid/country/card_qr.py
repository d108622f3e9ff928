"""The QR code of the 2021 chip ID card (CCCD gắn chip): plain ``|``-separated text.

Field order (research/vneid.md §3.2, as read by public parsers)::

    ID number | old 9-digit CMND (may be empty) | full name | date of birth ddmmyyyy | sex "Nam"/"Nữ"
    | permanent residence | issue date ddmmyyyy

Variants exist: six fields without the old ID, or extra trailing fields. The parser is tolerant of
field count and of empty optional fields (it reports them in ``missing``) and strict about what the
fields that are present say. The QR is not signed: it proves nothing about authenticity.
"""

from __future__ import annotations

import io
import re
import unicodedata
from dataclasses import dataclass
from datetime import date

import zxingcpp
from PIL import Image, UnidentifiedImageError

from civicid.country.errors import InvalidCardQr, InvalidIdNumber
from civicid.country.id_number import parse_id_number
from civicid.country.names import fold
from civicid.country.sex import Sex

SEPARATOR = "|"
FIELDS = ("id_number", "old_id_number", "full_name", "date_of_birth", "sex", "residence", "issue_date")
_OPTIONAL = ("old_id_number", "residence", "issue_date")
_SEX_WORDS = {"nam": Sex.MALE, "nu": Sex.FEMALE}
_SEX_LABELS = {Sex.MALE: "Nam", Sex.FEMALE: "Nữ"}
_DATE = re.compile(r"[0-9]{8}")
_OLD_ID = re.compile(r"[0-9]{9}|[0-9]{12}")


@dataclass(frozen=True)
class CardQr:
    """What a card QR says. ``missing`` names optional fields that are absent or empty."""

    id_number: str
    old_id_number: str | None
    full_name: str
    date_of_birth: date
    sex: Sex
    residence: str | None
    issue_date: date | None
    extra_fields: tuple[str, ...] = ()
    missing: tuple[str, ...] = ()


def parse_card_qr(text: str) -> CardQr:
    """Read a card QR's text. Raises :class:`InvalidCardQr` naming the field at fault."""
    values = _split(text)
    named = dict(zip(FIELDS, values, strict=False))
    for name in ("id_number", "full_name", "date_of_birth", "sex"):
        if not named.get(name):
            raise InvalidCardQr(f"Card QR has no {name} (field {FIELDS.index(name) + 1})", field=name, fault="missing")
    old_id = named.get("old_id_number") or None
    if old_id is not None and not _OLD_ID.fullmatch(old_id):
        raise InvalidCardQr(
            f"Card QR old_id_number {old_id!r} must be 9 (or 12) digits", field="old_id_number", fault="format"
        )
    date_of_birth = _date("date_of_birth", named["date_of_birth"])
    sex = _sex(named["sex"])
    issue_date = _date("issue_date", named["issue_date"]) if named.get("issue_date") else None
    if issue_date is not None and issue_date < date_of_birth:
        raise InvalidCardQr("Card QR issue_date is before the date of birth", field="issue_date", fault="before_birth")
    try:
        parse_id_number(named["id_number"], date_of_birth=date_of_birth, sex=sex)
    except InvalidIdNumber as exc:
        raise InvalidCardQr(
            f"Card QR id_number: {exc.detail}", field="id_number", fault=exc.extensions["fault"]
        ) from exc
    return CardQr(
        id_number=named["id_number"],
        old_id_number=old_id,
        full_name=named["full_name"],
        date_of_birth=date_of_birth,
        sex=sex,
        residence=named.get("residence") or None,
        issue_date=issue_date,
        extra_fields=tuple(values[len(FIELDS) :]),
        missing=tuple(name for name in _OPTIONAL if not named.get(name)),
    )


def format_card_qr(
    *,
    id_number: str,
    full_name: str,
    date_of_birth: date,
    sex: Sex,
    old_id_number: str | None = None,
    residence: str | None = None,
    issue_date: date | None = None,
) -> str:
    """Write the 7-field text a 2021 chip card's QR holds: for tests and the simulator."""
    return SEPARATOR.join(
        (
            id_number,
            old_id_number or "",
            full_name,
            date_of_birth.strftime("%d%m%Y"),
            _SEX_LABELS[sex],
            residence or "",
            issue_date.strftime("%d%m%Y") if issue_date else "",
        )
    )


def _split(text: str) -> list[str]:
    """Split into the 7 canonical positions, recognising the 6-field variant without the old ID.

    That variant is told apart by its second field: a name (not digits, not empty) where the old ID
    would be.
    """
    values = [value.strip() for value in unicodedata.normalize("NFC", text.strip()).split(SEPARATOR)]
    if len(values) < 2:
        raise InvalidCardQr("Card QR text has no '|' separators", field="text", fault="separator")
    if values[1] and not values[1].isdigit():
        values.insert(1, "")
    return values


def _date(field: str, value: str) -> date:
    """Card dates are ddmmyyyy, eight digits, no separators."""
    if _DATE.fullmatch(value):
        try:
            return date(int(value[4:]), int(value[2:4]), int(value[:2]))
        except ValueError:
            pass
    raise InvalidCardQr(f"Card QR {field} {value!r} is not a date ddmmyyyy", field=field, fault="date")


def _sex(value: str) -> Sex:
    """ "Nam" or "Nữ", in any case, with or without the diacritic."""
    sex = _SEX_WORDS.get(fold(value))
    if sex is None:
        raise InvalidCardQr(f"Card QR sex {value!r} must be 'Nam' or 'Nữ'", field="sex", fault="value")
    return sex


MAX_IMAGE_PIXELS = 40_000_000


def read_card_qr_image(image: bytes) -> str:
    """The text of the first QR code in a photo of the card (zxing-cpp); :class:`InvalidCardQr` when there is none.

    A phone's photo of the card's back, or a scan: decoded on the server, so that the page needs no decoder.
    """
    try:
        Image.MAX_IMAGE_PIXELS = MAX_IMAGE_PIXELS
        with Image.open(io.BytesIO(image)) as opened:
            picture = opened.convert("L")
    except (UnidentifiedImageError, OSError, Image.DecompressionBombError) as exc:
        raise InvalidCardQr("the card photo is not an image", field="image", fault="unreadable") from exc
    for found in zxingcpp.read_barcodes(picture, formats=zxingcpp.BarcodeFormats(zxingcpp.BarcodeFormat.QRCode)):
        if found.valid and found.text:
            return str(found.text)
    raise InvalidCardQr("no QR code in the card photo", field="image", fault="unreadable")
