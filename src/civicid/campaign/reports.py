"""The daily report for the level above the commune: CSV, XLSX and PDF from the same rows.

One table, one row per village plus the commune's total, the same columns in every format, so
the district can paste, sort or print it. The PDF uses DejaVu Sans when the system has it (for
Vietnamese diacritics) and falls back to ASCII-folded text with the PDF core font otherwise.
"""

from __future__ import annotations

import csv
import io
import unicodedata
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from civicid.campaign.figures import CampaignFigures, VillageFigures

COLUMNS = (
    ("commune_code", "Commune"),
    ("village", "Village"),
    ("target_adults", "Target 14+"),
    ("captured", "Captured"),
    ("approved", "Approved"),
    ("issued", "Issued"),
    ("activated", "Activated"),
    ("documents_integrated", "Documents"),
    ("signatures_activated", "Signatures"),
    ("child_cards", "Child cards"),
    ("child_cards_requested", "Child cards requested"),
    ("children_accounts", "Children's accounts"),
    ("assisted_activations", "Assisted activations"),
    ("without_path", "Without any path"),
    ("coverage_percent", "Coverage %"),
    ("pace", "Pace/day"),
    ("required_pace", "Required/day"),
    ("projected_finish", "Projected finish"),
    ("flag", "Flag"),
)
#: Issue 19's counts (children's cards requested, children's accounts, assisted activations, people without any
#: path) are in the CSV and the spreadsheet; the PDF, one A4 page wide, keeps the columns that fit.
EVERYONE_COLUMNS = ("child_cards_requested", "children_accounts", "assisted_activations", "without_path")
PDF_COLUMNS = tuple(column for column in COLUMNS if column[0] not in EVERYONE_COLUMNS)
FONT_CANDIDATES = (
    Path("/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf"),
    Path("/usr/share/fonts/dejavu/DejaVuSans.ttf"),
)


def report_rows(figures_list: Sequence[CampaignFigures]) -> list[dict[str, Any]]:
    """The report's rows: every village of every campaign, then each commune's total."""
    rows = []
    for figures in figures_list:
        rows += [_row(v, v.name) for v in figures.villages]
        rows.append(_row(figures.total, "TOTAL"))
    return rows


def _row(v: VillageFigures, label: str) -> dict[str, Any]:
    flag = "target error" if v.target_error else ("behind" if v.behind else "")
    return {
        "commune_code": v.commune_code,
        "village": label,
        "target_adults": v.target_adults,
        "captured": v.captured,
        "approved": v.approved,
        "issued": v.issued,
        "activated": v.activated,
        "documents_integrated": v.documents_integrated,
        "signatures_activated": v.signatures_activated,
        "child_cards": v.child_cards,
        "child_cards_requested": v.child_cards_requested,
        "children_accounts": v.children_accounts,
        "assisted_activations": v.assisted,
        "without_path": v.without_path,
        "coverage_percent": None if v.coverage is None else round(100 * v.coverage, 1),
        "pace": round(v.pace, 1),
        "required_pace": None if v.required_pace is None else round(v.required_pace, 1),
        "projected_finish": v.projected_finish.isoformat() if v.projected_finish else "",
        "flag": flag,
    }


def to_csv(rows: list[dict[str, Any]]) -> bytes:
    """UTF-8 with a byte-order mark, so that spreadsheet programs read the diacritics right."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow([title for _, title in COLUMNS])
    for row in rows:
        writer.writerow(["" if row[key] is None else row[key] for key, _ in COLUMNS])
    return ("\ufeff" + buffer.getvalue()).encode()


def to_xlsx(rows: list[dict[str, Any]], title: str) -> bytes:
    from openpyxl import Workbook  # type: ignore[import-untyped]
    from openpyxl.styles import Font  # type: ignore[import-untyped]

    book = Workbook()
    sheet = book.create_sheet("Report", 0)
    del book["Sheet"]
    sheet.append([title])
    sheet["A1"].font = Font(bold=True)
    sheet.append([t for _, t in COLUMNS])
    for cell in sheet[2]:
        cell.font = Font(bold=True)
    for row in rows:
        sheet.append([row[key] for key, _ in COLUMNS])
    sheet.freeze_panes = "C3"
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def to_pdf(rows: list[dict[str, Any]], title: str) -> bytes:
    from fpdf import FPDF

    pdf = FPDF(orientation="L", unit="mm", format="A4")
    font = next((p for p in FONT_CANDIDATES if p.exists()), None)
    if font is not None:
        pdf.add_font("DejaVu", fname=str(font))
        family = "DejaVu"
        text: Callable[[str], str] = str
    else:
        family, text = "Helvetica", _ascii
    pdf.set_auto_page_break(auto=True, margin=10)
    pdf.add_page()
    pdf.set_font(family, size=12)
    pdf.cell(0, 8, text(title), new_x="LMARGIN", new_y="NEXT")
    pdf.set_font(family, size=7)
    widths = (14, 38, 16, 16, 16, 14, 16, 16, 16, 16, 16, 16, 18, 22, 20)
    for (_, heading), width in zip(PDF_COLUMNS, widths, strict=True):
        pdf.cell(width, 6, text(heading), border=1)
    pdf.ln()
    for row in rows:
        for (key, _), width in zip(PDF_COLUMNS, widths, strict=True):
            value = row[key]
            pdf.cell(width, 5, text("" if value is None else str(value))[:28], border=1)
        pdf.ln()
    return bytes(pdf.output())


def _ascii(value: str) -> str:
    """Vietnamese without its marks (the core PDF fonts are Latin-1 only)."""
    decomposed = unicodedata.normalize("NFD", value.replace("đ", "d").replace("Đ", "D"))
    return (
        "".join(ch for ch in decomposed if not unicodedata.combining(ch)).encode("latin-1", "replace").decode("latin-1")
    )
