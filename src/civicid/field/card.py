"""Reading the citizen's chip card at capture: its printed QR (camera or image) or its MRZ (typed or scanned).

The card says who the person in front of the operator claims to be; the kit's extract of the
registry says who is registered. Reading the card finds the person in the extract (the form opens
prefilled from the record) and shows every field on which the card and the record disagree, before
anything is saved: a card of another person, a misspelt name, a wrong birth date. Neither the QR nor
the MRZ is signed (``country/card_qr.py``): this catches mistakes and careless fraud, not forgery —
that is the face's job.
"""

from __future__ import annotations

import datetime as dt
import io
from dataclasses import dataclass

import zxingcpp
from PIL import Image, ImageOps, UnidentifiedImageError

from civicid.core.errors import CivicIDError
from civicid.country.card_qr import parse_card_qr
from civicid.country.mrz import parse_mrz
from civicid.country.names import fold
from civicid.country.sex import Sex
from civicid.field.errors import InvalidCapture
from civicid.field.models import KitPerson

MAX_IMAGE_PIXELS = 40_000_000
MAX_TEXT = 400


@dataclass(frozen=True)
class CardReading:
    """What the card says, whichever way it was read (``source``: ``qr`` or ``mrz``)."""

    source: str
    id_number: str
    full_name: str | None  # the MRZ's name is in capitals without diacritics
    date_of_birth: dt.date
    sex: Sex | None


@dataclass(frozen=True)
class Disagreement:
    """One field on which the card and the registry record differ."""

    field: str
    card: str
    registry: str


def read_qr_image(image: bytes) -> str:
    """The text of the first QR code in a photo of the card (zxing-cpp); :class:`InvalidCapture` when none."""
    Image.MAX_IMAGE_PIXELS = MAX_IMAGE_PIXELS
    try:
        with Image.open(io.BytesIO(image)) as opened:
            picture = ImageOps.exif_transpose(opened).convert("L")
    except (UnidentifiedImageError, OSError, ValueError, Image.DecompressionBombError) as exc:
        raise InvalidCapture("the card image is not a JPEG, PNG or WebP photo", field="card") from exc
    formats = zxingcpp.BarcodeFormats(zxingcpp.BarcodeFormat.QRCode)
    for found in zxingcpp.read_barcodes(picture, formats=formats):
        if found.valid and found.text:
            return str(found.text)
    raise InvalidCapture("no QR code could be read in the card image", field="card")


def read_card(*, qr_image: bytes | None, qr_text: str, mrz: str, today: dt.date) -> CardReading:
    """The card from whichever was given: a QR image, the QR's text (a scanner that types it), or the MRZ."""
    if len(qr_text) > MAX_TEXT or len(mrz) > MAX_TEXT:
        raise InvalidCapture("the card text is too long", field="card")
    try:
        if qr_image:
            return _from_qr(read_qr_image(qr_image))
        if qr_text.strip():
            return _from_qr(qr_text.strip())
        if mrz.strip():
            found = parse_mrz(mrz, reference_date=today)
            name = " ".join(part for part in (found.surname, found.given_names) if part)
            return CardReading("mrz", found.id_number, name or None, found.date_of_birth, found.sex)
    except CivicIDError as exc:
        if isinstance(exc, InvalidCapture):
            raise
        raise InvalidCapture(f"the card could not be read: {exc.detail}", field="card") from exc
    raise InvalidCapture("give a photo of the card's QR, its text, or the MRZ", field="card")


def _from_qr(text: str) -> CardReading:
    card = parse_card_qr(text)
    return CardReading("qr", card.id_number, card.full_name, card.date_of_birth, card.sex)


def disagreements(card: CardReading, person: KitPerson) -> list[Disagreement]:
    """Every field the card and the record disagree on; names compared without case or diacritics."""
    found: list[Disagreement] = []
    if card.id_number != person.id_number:
        found.append(Disagreement("id_number", card.id_number, person.id_number))
    if card.full_name is not None and fold(card.full_name) != fold(person.full_name):
        found.append(Disagreement("full_name", card.full_name, person.full_name))
    if card.date_of_birth != person.date_of_birth:
        found.append(
            Disagreement(
                "date_of_birth", card.date_of_birth.strftime("%d/%m/%Y"), person.date_of_birth.strftime("%d/%m/%Y")
            )
        )
    if card.sex is not None and card.sex.value != str(person.sex):
        found.append(Disagreement("sex", card.sex.value, str(person.sex)))
    return found
