"""The dashboard's charts as inline SVG, drawn on the server (no script, no CDN, no tile server).

Each function returns markup that Jinja inserts as is: every text in it passes through
:func:`markupsafe.escape`. Colours say the same thing everywhere: red under half the target,
amber under 90 %, green above, purple for a coverage above 100 % (a target error, field-campaign.md §8.3).
"""

# SVG markup reads best one element per line, even when a line runs past 120 characters.
# ruff: noqa: E501
from __future__ import annotations

import datetime as dt
import math
from collections.abc import Sequence

from markupsafe import Markup, escape

from civicid.campaign.figures import CampaignFigures, VillageFigures

GREY, RED, AMBER, GREEN, PURPLE = "#9aa3af", "#c0392b", "#d68910", "#1e8449", "#7d3c98"


def coverage_colour(v: VillageFigures) -> str:
    if v.target_error:
        return PURPLE
    if v.coverage is None:
        return GREY
    if v.coverage < 0.5:
        return RED
    if v.coverage < 0.9:
        return AMBER
    return GREEN


def burn_up(figures: CampaignFigures, village: VillageFigures | None, title: str) -> Markup:
    """Cumulative people reached per day against the target, with the deadline and the required line."""
    days = [figures.start + dt.timedelta(days=i) for i in range((figures.deadline - figures.start).days + 1)]
    per_day: dict[dt.date, int] = {}
    for (village_id, day), n in figures.reached_by_day.items():
        if village is None or village_id == village.village_id:
            per_day[day] = per_day.get(day, 0) + n
    target = (village or figures.total).target_adults
    width, height, left, bottom = 640, 240, 44, 24
    cumulative, total = [], 0
    for day in days:
        total += per_day.get(day, 0)
        if day <= figures.today:
            cumulative.append(total)
    top = max(target, total, 1) * 1.1
    step = (width - left - 8) / max(len(days) - 1, 1)

    def x(i: float) -> float:
        return left + i * step

    def y(value: float) -> float:
        return height - bottom - (value / top) * (height - bottom - 10)

    points = " ".join(f"{x(i):.1f},{y(v):.1f}" for i, v in enumerate(cumulative))
    today_index = len(cumulative) - 1
    parts = [
        f'<svg class="chart" viewBox="0 0 {width} {height}" role="img" aria-label="{escape(title)}">',
        f"<title>{escape(title)}</title>",
        f'<line x1="{left}" y1="{y(target):.1f}" x2="{width - 8}" y2="{y(target):.1f}" stroke="{GREEN}" stroke-dasharray="6 4"/>',
        f'<text x="{left + 4}" y="{y(target) - 4:.1f}" font-size="12" fill="{GREEN}">{target}</text>',
        f'<line x1="{x(len(days) - 1):.1f}" y1="10" x2="{x(len(days) - 1):.1f}" y2="{height - bottom}" stroke="{RED}"/>',
        f'<text x="{x(len(days) - 1) - 4:.1f}" y="22" font-size="12" text-anchor="end" fill="{RED}">'
        f"{escape(figures.deadline.strftime('%d/%m'))}</text>",
        f'<line x1="{left}" y1="{height - bottom}" x2="{width - 8}" y2="{height - bottom}" stroke="{GREY}"/>',
        f'<text x="{left}" y="{height - 6}" font-size="12" fill="{GREY}">{escape(figures.start.strftime("%d/%m"))}</text>',
    ]
    if today_index >= 0:
        parts.append(
            f'<line x1="{x(today_index):.1f}" y1="{y(total):.1f}" x2="{x(len(days) - 1):.1f}" y2="{y(target):.1f}" '
            f'stroke="{AMBER}" stroke-dasharray="2 3"/>'
        )
        parts.append(f'<polyline points="{points}" fill="none" stroke="#0b57d0" stroke-width="2.5"/>')
        parts.append(
            f'<circle cx="{x(today_index):.1f}" cy="{y(total):.1f}" r="4" fill="#0b57d0"/>'
            f'<text x="{x(today_index) + 6:.1f}" y="{y(total) - 6:.1f}" font-size="12">{total}</text>'
        )
    parts.append("</svg>")
    return Markup("".join(parts))  # noqa: S704 - every text inside went through escape()


#: Columns a heat-map date label takes, so that two never overlap.
LABEL_CELLS = 3


def heat_map(figures: CampaignFigures, title: str, last_days: int = 28) -> Markup:
    """Villages × days, each cell shaded by the people reached that day.

    The commune page draws about 1,800 cells, so everything that is the same along a row or a
    column (escaped names and days, x positions, the shade for a count) is formatted once.
    """
    days = figures.days()[-last_days:]
    villages = figures.villages
    cell, label = 14, 110
    width, height = label + cell * max(len(days), 1) + 4, 18 + cell * max(len(villages), 1) + 4
    reached = figures.reached_by_day
    top = max([*reached.values(), 1])
    parts = [
        f'<svg class="chart heat" viewBox="0 0 {width} {height}" width="{width}" height="{height}" role="img" aria-label="{escape(title)}">',
        f"<title>{escape(title)}</title>",
    ]
    columns = [
        (day, f'<rect x="{label + j * cell}" y="', f" {escape(day.isoformat())}: ") for j, day in enumerate(days)
    ]
    # A date every Monday (and the first column), never closer than a label's width to the last one:
    # "dd/mm" at 9 px needs about 26 px, i.e. two cells.
    last_label = -LABEL_CELLS
    for j, day in enumerate(days):
        if (j == 0 or day.weekday() == 0) and j - last_label >= LABEL_CELLS:
            last_label = j
            parts.append(
                f'<text x="{label + j * cell}" y="12" font-size="9" fill="{GREY}">{escape(day.strftime("%d/%m"))}</text>'
            )
    fills: dict[int, str] = {0: 'fill="#eef1f5"'}
    size = f'" width="{cell - 2}" height="{cell - 2}" '
    for i, v in enumerate(villages):
        row_y = 18 + i * cell
        name = escape(v.name)
        parts.append(f'<text x="0" y="{row_y + 11}" font-size="10">{escape(v.name[:18])}</text>')
        row_end = f"{row_y}{size}"
        village_id = v.village_id
        for day, start, when in columns:
            n = reached.get((village_id, day), 0)
            fill = fills.get(n)
            if fill is None:
                fill = fills[n] = f'fill="#0b57d0" fill-opacity="{0.08 + 0.92 * (n / top):.2f}"'
            parts.append(f"{start}{row_end}{fill}><title>{name}{when}{n}</title></rect>")
    parts.append("</svg>")
    return Markup("".join(parts))  # noqa: S704 - every text inside went through escape()


def village_map(villages: Sequence[VillageFigures], title: str, centre: tuple[float, float] | None = None) -> Markup:
    """The villages placed by their coordinates (equirectangular), coloured by coverage."""
    placed = [v for v in villages if v.latitude is not None and v.longitude is not None]
    size, pad = 320, 44  # room for the names beside the dots at the edges
    parts = [
        f'<svg class="chart map" viewBox="0 0 {size} {size}" role="img" aria-label="{escape(title)}">',
        f"<title>{escape(title)}</title>",
        f'<rect width="{size}" height="{size}" fill="#f6f8fb"/>',
    ]
    if placed:
        lats = [v.latitude or 0.0 for v in placed]
        lons = [v.longitude or 0.0 for v in placed]
        mid_lat = sum(lats) / len(lats)
        scale_x = math.cos(math.radians(mid_lat))
        span = max((max(lons) - min(lons)) * scale_x, max(lats) - min(lats), 1e-6)

        def px(v: VillageFigures) -> tuple[float, float]:
            x = pad + ((v.longitude or 0.0) - min(lons)) * scale_x / span * (size - 2 * pad)
            y = size - pad - ((v.latitude or 0.0) - min(lats)) / span * (size - 2 * pad)
            return x, y

        if centre is not None:
            cx = pad + (centre[1] - min(lons)) * scale_x / span * (size - 2 * pad)
            cy = size - pad - (centre[0] - min(lats)) / span * (size - 2 * pad)
            parts.append(
                f'<path d="M{cx - 6:.1f},{cy:.1f}h12M{cx:.1f},{cy - 6:.1f}v12" stroke="#1d2430" stroke-width="2"/>'
            )
        for v in placed:
            x, y = px(v)
            radius = 5 + min(v.target_adults, 1200) / 120
            pct = "—" if v.coverage is None else f"{100 * v.coverage:.0f} %"
            # The name beside the dot: a phone has no hover to show the title.
            parts.append(
                f'<a href="/campaign/villages/{v.village_id}"><circle cx="{x:.1f}" cy="{y:.1f}" r="{radius:.1f}" '
                f'fill="{coverage_colour(v)}" fill-opacity="0.85" stroke="#fff"><title>{escape(v.name)}: {pct}</title>'
                f'</circle><text class="map-label" x="{x:.1f}" y="{y + radius + 9:.1f}" text-anchor="middle">'
                f"{escape(_short(v.name))} {pct}</text></a>"
            )
    parts.append("</svg>")
    return Markup("".join(parts))  # noqa: S704 - every text inside went through escape()


def _short(name: str) -> str:
    """A village's name without its "Thôn"/"Bản" prefix, for a label beside a dot."""
    for prefix in ("Thôn ", "Bản ", "Xóm ", "Tổ dân phố "):
        if name.startswith(prefix):
            return name[len(prefix) :]
    return name


def bar(v: VillageFigures) -> Markup:
    """A small coverage bar for a table cell."""
    share = min(v.coverage or 0.0, 1.0)
    return Markup(  # noqa: S704 - numbers and constant colours only
        f'<svg class="bar" viewBox="0 0 100 10" width="100" height="10" aria-hidden="true">'
        f'<rect width="100" height="10" fill="#eef1f5"/><rect width="{100 * share:.1f}" height="10" fill="{coverage_colour(v)}"/></svg>'
    )
