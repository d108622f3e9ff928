"""The daily report for the level above the commune: CSV, XLSX and PDF from the same rows.

One table, one row per village plus the commune's total, the same columns in every format, so
the district can paste, sort or print it. The report is in Vietnamese unless asked in English
(headings from the campaign's catalogue); it names the commune and the campaign, and the PDF adds
a progress chart and the blockers. The PDF uses DejaVu Sans when the system has it (for
Vietnamese diacritics) and falls back to ASCII-folded text with the PDF core font otherwise.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import unicodedata
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from civicid.campaign.figures import CampaignFigures, VillageFigures
from civicid.web.i18n import translate

COLUMNS = (
    ("commune_code", "Commune code"),
    ("commune", "Commune"),
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
PDF_COLUMNS = tuple(column for column in COLUMNS if column[0] not in (*EVERYONE_COLUMNS, "commune_code", "commune"))
FONT_CANDIDATES = (
    Path("/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf"),
    Path("/usr/share/fonts/dejavu/DejaVuSans.ttf"),
)


@dataclass(frozen=True)
class ReportHeading:
    """Who the report is about, and in which language: names, not codes, for the people who read it."""

    language: str = "vi"
    commune_names: Mapping[str, str] = field(default_factory=dict)

    def t(self, key: str, **params: Any) -> str:
        return translate(self.language, key, **params)

    def commune(self, code: str) -> str:
        return self.commune_names.get(code, code)


def report_file(figures_list: Sequence[CampaignFigures], heading: ReportHeading, kind: str, today: dt.date) -> bytes:
    """The report as a ``csv``, ``xlsx`` or ``pdf`` file, in the heading's language."""
    rows = report_rows(figures_list, heading)
    title = heading.t("campaign.report.title", day=today.strftime("%d/%m/%Y"))
    if kind == "csv":
        return to_csv(rows, heading)
    if kind == "xlsx":
        return to_xlsx(rows, title, heading)
    return to_pdf(rows, title, heading, figures_list)


def report_rows(figures_list: Sequence[CampaignFigures], heading: ReportHeading | None = None) -> list[dict[str, Any]]:
    """The report's rows: every village of every campaign, then each commune's total."""
    heading = heading or ReportHeading()
    rows = []
    for figures in figures_list:
        rows += [_row(v, v.name, heading) for v in figures.villages]
        rows.append(_row(figures.total, heading.t("campaign.report.total"), heading))
    return rows


def column_titles(heading: ReportHeading, columns: Sequence[tuple[str, str]] = COLUMNS) -> list[str]:
    return [heading.t(f"campaign.report.col.{key}") for key, _ in columns]


def _row(v: VillageFigures, label: str, heading: ReportHeading) -> dict[str, Any]:
    flag = (
        heading.t("campaign.report.flag.target_error")
        if v.target_error
        else (heading.t("campaign.report.flag.behind") if v.behind else "")
    )
    return {
        "commune_code": v.commune_code,
        "commune": heading.commune(v.commune_code),
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


def to_csv(rows: list[dict[str, Any]], heading: ReportHeading | None = None) -> bytes:
    """UTF-8 with a byte-order mark, so that spreadsheet programs read the diacritics right."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(column_titles(heading or ReportHeading()))
    for row in rows:
        writer.writerow(["" if row[key] is None else row[key] for key, _ in COLUMNS])
    return ("\ufeff" + buffer.getvalue()).encode()


def to_xlsx(rows: list[dict[str, Any]], title: str, heading: ReportHeading | None = None) -> bytes:
    from openpyxl import Workbook  # type: ignore[import-untyped]
    from openpyxl.styles import Font  # type: ignore[import-untyped]

    book = Workbook()
    heading = heading or ReportHeading()
    sheet = book.create_sheet(heading.t("campaign.report.sheet"), 0)
    del book["Sheet"]
    sheet.append([title])
    sheet["A1"].font = Font(bold=True)
    sheet.append(column_titles(heading))
    for cell in sheet[2]:
        cell.font = Font(bold=True)
    for row in rows:
        sheet.append([row[key] for key, _ in COLUMNS])
    sheet.freeze_panes = "C3"
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def to_pdf(
    rows: list[dict[str, Any]],
    title: str,
    heading: ReportHeading | None = None,
    figures_list: Sequence[CampaignFigures] = (),
) -> bytes:
    """A4 landscape: per campaign, its commune and dates, key figures, a progress chart, the
    per-village table and the blockers; ``rows`` alone (no figures) gives the table only."""
    from fpdf import FPDF

    heading = heading or ReportHeading()
    pdf = FPDF(orientation="L", unit="mm", format="A4")
    font = next((p for p in FONT_CANDIDATES if p.exists()), None)
    if font is not None:
        pdf.add_font("DejaVu", fname=str(font))
        family = "DejaVu"
        text: Callable[[str], str] = str
    else:
        family, text = "Helvetica", _ascii
    pdf.set_auto_page_break(auto=True, margin=10)
    sections: list[tuple[CampaignFigures | None, list[dict[str, Any]]]] = [
        (f, [r for r in rows if r["commune_code"] == f.commune_code]) for f in figures_list
    ] or [(None, rows)]
    for figures, section_rows in sections:
        pdf.add_page()
        pdf.set_font(family, size=13)
        pdf.cell(0, 8, text(title), new_x="LMARGIN", new_y="NEXT")
        if figures is not None:
            _pdf_summary(pdf, family, text, heading, figures)
        _pdf_table(pdf, family, text, heading, section_rows)
        if figures is not None:
            _pdf_blockers(pdf, family, text, heading, figures)
    return bytes(pdf.output())


def _pdf_summary(pdf: Any, family: str, text: Callable[[str], str], heading: ReportHeading, f: CampaignFigures) -> None:
    t = f.total
    pdf.set_font(family, size=10)
    commune = heading.t("campaign.report.commune", name=heading.commune(f.commune_code), code=f.commune_code)
    pdf.cell(0, 6, text(f"{commune} · {f.name}"), new_x="LMARGIN", new_y="NEXT")
    dates = heading.t(
        "campaign.as_of",
        day=f.today.strftime("%d/%m/%Y"),
        deadline=f.deadline.strftime("%d/%m/%Y"),
        left=f.working_days_left,
    )
    pdf.cell(0, 6, text(dates), new_x="LMARGIN", new_y="NEXT")
    coverage = "—" if t.coverage is None else f"{100 * t.coverage:.1f} %"
    glance = heading.t(
        "campaign.report.glance",
        target=t.target_adults,
        reached=t.reached,
        issued=t.issued,
        activated=t.activated,
        coverage=coverage,
    )
    pdf.cell(0, 6, text(glance), new_x="LMARGIN", new_y="NEXT")
    _pdf_chart(pdf, family, text, heading, f)


def _pdf_chart(pdf: Any, family: str, text: Callable[[str], str], heading: ReportHeading, f: CampaignFigures) -> None:
    """Coverage per village as horizontal bars: issued over the target, the 100 % line drawn."""
    pdf.set_font(family, size=9)
    pdf.cell(0, 6, text(heading.t("campaign.report.chart")), new_x="LMARGIN", new_y="NEXT")
    pdf.set_font(family, size=7)
    left, label_w, bar_w, row_h = pdf.l_margin, 45, 150, 4
    for v in f.villages:
        y = pdf.get_y()
        share = min(v.coverage or 0.0, 1.2)
        pdf.set_xy(left, y)
        pdf.cell(label_w, row_h, text(v.name[:30]))
        pdf.set_fill_color(238, 241, 245)
        pdf.rect(left + label_w, y + 0.5, bar_w, row_h - 1, style="F")
        red, green, blue = (30, 132, 73) if share >= 0.9 else ((214, 137, 16) if share >= 0.5 else (192, 57, 43))
        pdf.set_fill_color(red, green, blue)
        pdf.rect(left + label_w, y + 0.5, bar_w * min(share, 1.0), row_h - 1, style="F")
        pdf.set_xy(left + label_w + bar_w + 2, y)
        pdf.cell(20, row_h, "—" if v.coverage is None else f"{100 * v.coverage:.0f} %")
        pdf.set_y(y + row_h)
    pdf.ln(2)


def _pdf_table(
    pdf: Any, family: str, text: Callable[[str], str], heading: ReportHeading, rows: list[dict[str, Any]]
) -> None:
    pdf.set_font(family, size=7)
    widths = (38, 16, 16, 16, 14, 16, 16, 16, 16, 16, 16, 18, 22, 20)
    for title, width in zip(column_titles(heading, PDF_COLUMNS), widths, strict=True):
        pdf.cell(width, 6, text(title)[:24], border=1)
    pdf.ln()
    for row in rows:
        for (key, _), width in zip(PDF_COLUMNS, widths, strict=True):
            value = row[key]
            pdf.cell(width, 5, text("" if value is None else str(value))[:28], border=1)
        pdf.ln()


def _pdf_blockers(
    pdf: Any, family: str, text: Callable[[str], str], heading: ReportHeading, f: CampaignFigures
) -> None:
    """What holds the campaign back: no signal, no valid card, no path to an account, late villages."""
    pdf.ln(3)
    pdf.set_font(family, size=10)
    pdf.cell(0, 6, text(heading.t("campaign.report.blockers")), new_x="LMARGIN", new_y="NEXT")
    pdf.set_font(family, size=8)
    no_signal = [v.name for v in f.villages if v.signal == "none"]
    behind = [v.name for v in f.villages if v.behind]
    lines = [
        heading.t("campaign.report.blocker.no_signal", count=len(no_signal), names=", ".join(no_signal) or "—"),
        heading.t("campaign.report.blocker.no_card", count=f.total.no_card),
        heading.t("campaign.report.blocker.without_path", count=f.total.without_path),
        heading.t("campaign.report.blocker.behind", count=len(behind), names=", ".join(behind) or "—"),
    ]
    for line in lines:
        pdf.multi_cell(0, 5, text("• " + line), new_x="LMARGIN", new_y="NEXT")


def _ascii(value: str) -> str:
    """Vietnamese without its marks (the core PDF fonts are Latin-1 only)."""
    decomposed = unicodedata.normalize("NFD", value.replace("đ", "d").replace("Đ", "D"))
    return (
        "".join(ch for ch in decomposed if not unicodedata.combining(ch)).encode("latin-1", "replace").decode("latin-1")
    )
