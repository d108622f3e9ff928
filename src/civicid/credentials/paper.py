"""The paper card for people without a smartphone: photo, name, and the signed QR of the minimal e-ID.

An A6 landscape page (148 × 105 mm), one card to cut out: the portrait on the left, the name, ID
number, date of birth and the card's validity beside it, and the ``eid-min`` QR code at 40 mm,
large enough for a phone camera at arm's length and with its four-module quiet zone (the EU DCC's
lesson: codes printed too small or too near the edge did not scan). Made with fpdf2; fonts are
DejaVu when Debian has them (Vietnamese diacritics), else the PDF core font with the text folded.
"""

from __future__ import annotations

import datetime as dt
import io
import unicodedata
from pathlib import Path

from fpdf import FPDF
from PIL import Image, UnidentifiedImageError

from civicid.credentials import qr
from civicid.credentials.claim169 import Identity

QR_SIZE_MM = 48
_FONT_DIRS = (Path("/usr/share/fonts/truetype/dejavu"),)
_SEX_VI = {"male": "Nam", "female": "Nữ", "other": "Khác"}


def card_pdf(*, identity: Identity, portrait: bytes | None, text: str, expires_at: dt.datetime) -> bytes:
    """The card as a PDF document."""
    pdf = FPDF(orientation="L", unit="mm", format=(105, 148))
    pdf.set_auto_page_break(False)
    pdf.add_page()
    unicode_font = _font(pdf)
    write = (lambda s: s) if unicode_font else _folded
    pdf.set_draw_color(179, 38, 30)
    pdf.rect(4, 4, 140, 97)
    pdf.set_font_size(11)
    pdf.set_xy(8, 7)
    pdf.cell(0, 6, write("CĂN CƯỚC ĐIỆN TỬ · THẺ GIẤY (e-ID)"))
    if portrait is not None:
        image = _image(portrait)
        if image is not None:
            pdf.image(image, x=8, y=16, w=30, h=37.5)
    pdf.set_font_size(9)
    lines = [
        identity.full_name,
        f"Số định danh: {identity.id_number}",
        f"Ngày sinh: {identity.date_of_birth:%d/%m/%Y}",
        f"Giới tính: {_SEX_VI.get(identity.sex, identity.sex)}",
        f"Mã QR có giá trị đến: {expires_at:%d/%m/%Y}",
    ]
    for row, line in enumerate(lines):
        pdf.set_xy(8, 57 + row * 6)
        pdf.cell(52, 6, write(line))
    pdf.image(io.BytesIO(qr.png(text, scale=6)), x=92, y=16, w=QR_SIZE_MM, h=QR_SIZE_MM)
    pdf.set_font_size(7)
    pdf.set_xy(62, 88)
    pdf.multi_cell(78, 3.5, write("Quét bằng ứng dụng kiểm tra CivicID (/verify) hoặc trình đọc MOSIP Claim 169."))
    return bytes(pdf.output())


def _font(pdf: FPDF) -> bool:
    for folder in _FONT_DIRS:
        regular = folder / "DejaVuSans.ttf"
        if regular.exists():
            pdf.add_font("DejaVu", "", str(regular))
            pdf.set_font("DejaVu", "", 9)
            return True
    pdf.set_font("Helvetica", "", 9)
    return False


def _folded(text: str) -> str:
    """Text for the core font: Vietnamese letters without their marks (đ → d), as on an MRZ."""
    text = text.replace("đ", "d").replace("Đ", "D")
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(c for c in decomposed if not unicodedata.combining(c)).encode("latin-1", "replace").decode("latin-1")


def _image(portrait: bytes) -> Image.Image | None:
    try:
        with Image.open(io.BytesIO(portrait)) as opened:
            return opened.convert("RGB")
    except (UnidentifiedImageError, OSError, ValueError, Image.DecompressionBombError):
        return None
