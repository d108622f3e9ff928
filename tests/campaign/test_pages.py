"""The committee's pages and API over a simulated campaign: figures, charts, the missing list, scope."""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import pytest
from httpx import AsyncClient
from openpyxl import load_workbook  # type: ignore[import-untyped]
from sqlalchemy import select
from tests.factories import SmallCommune, log_in, staff_member

from civicid.core.audit import AuditEntry
from civicid.core.database import unit_of_work
from civicid.core.runtime import Context
from civicid.registry import queries as registry_queries
from civicid.registry.models import Village
from civicid.sim.campaign import simulate_campaign
from civicid.web.staff import StaffRole

pytestmark = pytest.mark.anyio


@pytest.fixture
def campaign_commune(context: Context, commune: SmallCommune) -> str:
    simulate_campaign(context=context, commune_code=commune.code, days=3, per_team_day=2)
    staff_member(context, StaffRole.COMMITTEE, "chairman", commune_code=commune.code)
    staff_member(context, StaffRole.COMMITTEE, "head.one", commune_code=commune.code, head_of=commune.villages[0])
    staff_member(context, StaffRole.OPERATOR, "clerk", commune_code=commune.code)
    return commune.code


@pytest.fixture
def client(client: AsyncClient, campaign_commune: str) -> AsyncClient:
    """The client, once the campaign has run three days and the committee's staff are in."""
    return client


async def test_the_dashboard_draws_every_part_in_vietnamese_and_english(client: AsyncClient) -> None:
    await log_in(client, "chairman")
    vi = await client.get("/campaign")
    en = await client.get("/campaign?lang=en")
    assert vi.status_code == en.status_code == 200
    assert "Kế hoạch ngày mai" in vi.text
    for part in ("Burn-up", "Map of villages", "per village and day", "Teams and kits", "plan (suggested)"):
        assert part in en.text
    assert "No valid ID card (14+)" in en.text  # the registry's blocker beside the visits'
    assert "Chưa có thẻ căn cước hợp lệ" in vi.text
    assert en.text.count("<svg") >= 4
    assert "<script" not in en.text  # nothing to load, nothing to run


async def test_the_dashboard_and_the_plan_page_propose_one_plan(client: AsyncClient) -> None:
    await log_in(client, "chairman")
    dashboard = (await client.get("/campaign?lang=en")).text
    plan = (await client.get("/campaign/plan?lang=en")).text

    def lines(page: str) -> list[str]:
        start = page.index('<ul class="list plan">')
        return re.findall(r"<strong>([^<]+)</strong> → <a href=\"/campaign/villages/(\d+)\"", page[start:])

    assert lines(dashboard)
    assert lines(dashboard) == lines(plan)


async def test_the_missing_list_says_why_and_is_audited(client: AsyncClient, context: Context) -> None:
    await log_in(client, "chairman")
    with unit_of_work(context.database.sessions) as session:
        village = session.scalar(select(Village.id).order_by(Village.id).limit(1))
    page = await client.get(f"/campaign/villages/{village}/missing?lang=en")
    assert page.status_code == 200
    assert "still to reach" in page.text
    with unit_of_work(context.database.sessions) as session:
        entry = session.scalars(select(AuditEntry).where(AuditEntry.action == "campaign.missing_list")).one()
    assert entry.subject_id == str(village)
    assert set(entry.details) == {"listed"}  # a count, never a name


async def test_the_missing_list_is_paged_and_filters_by_household(client: AsyncClient, context: Context) -> None:
    await log_in(client, "chairman")
    with unit_of_work(context.database.sessions) as session:
        village = session.scalar(select(Village.id).order_by(Village.id).limit(1))
    first = (await client.get(f"/campaign/villages/{village}/missing?lang=en")).text
    assert "People 1–50 of" in first
    assert 'rel="next"' in first
    second = (await client.get(f"/campaign/villages/{village}/missing?lang=en&offset=50")).text
    assert "People 51–" in second
    assert 'rel="prev"' in second
    household = int(re.findall(r"· household (\d+) ·", first)[0])
    one = (await client.get(f"/campaign/villages/{village}/missing?lang=en&household={household}")).text
    assert f"In households {household} only" in one
    assert set(re.findall(r"· household (\d+) ·", one)) == {str(household)}


async def test_a_village_head_sees_only_their_village(client: AsyncClient, context: Context) -> None:
    await log_in(client, "head.one")
    with unit_of_work(context.database.sessions) as session:
        first, second = session.scalars(select(Village.id).order_by(Village.id).limit(2)).all()
    dashboard = await client.get("/campaign", follow_redirects=False)
    assert dashboard.status_code == 303
    assert dashboard.headers["location"] == f"/campaign/villages/{first}"
    assert (await client.get(f"/campaign/villages/{first}/missing")).status_code == 200
    assert (await client.get(f"/campaign/villages/{second}/missing")).status_code == 403
    api = (await client.get("/api/v1/campaign/figures")).json()
    assert [v["village_id"] for v in api["villages"]] == [first]


async def test_an_operator_may_not_open_the_dashboard(client: AsyncClient) -> None:
    await log_in(client, "clerk")
    response = await client.get("/api/v1/campaign/figures")
    assert response.status_code == 403
    assert response.headers["content-type"].startswith("application/problem+json")


@pytest.mark.skipif(shutil.which("pdftotext") is None, reason="pdftotext (poppler-utils) is not installed")
async def test_the_pdf_report_reads_in_vietnamese_with_the_commune_named(
    client: AsyncClient, context: Context, campaign_commune: str, tmp_path: Path
) -> None:
    with unit_of_work(context.database.sessions) as session:
        place = registry_queries.commune(session, campaign_commune)
    assert place is not None
    await log_in(client, "chairman")
    pdf = tmp_path / "report.pdf"
    pdf.write_bytes((await client.get("/campaign/report.pdf?lang=vi")).content)
    pdftotext = shutil.which("pdftotext") or "pdftotext"
    said = subprocess.run([pdftotext, "-layout", str(pdf), "-"], capture_output=True, check=True, text=True)  # noqa: S603
    text = said.stdout
    assert "Báo cáo ngày chiến dịch định danh điện tử mức 2" in text
    assert place.name in text
    assert "Tỷ lệ theo thôn" in text  # the chart's heading
    assert "Vướng mắc" in text
    assert "Thôn không có sóng" in text


async def test_the_reports_download_in_three_formats(client: AsyncClient, tmp_path: object) -> None:
    await log_in(client, "chairman")
    pdf = await client.get("/campaign/report.pdf")
    csv = await client.get("/campaign/report.csv")
    xlsx = await client.get("/campaign/report.xlsx")
    english = await client.get("/campaign/report.csv?lang=en")
    assert pdf.content.startswith(b"%PDF")
    assert csv.content.decode("utf-8-sig").splitlines()[0].startswith("Mã xã,Xã,Thôn,Chỉ tiêu 14+")
    assert english.content.decode("utf-8-sig").splitlines()[0].startswith("Commune code,Commune,Village,Target 14+")
    import io

    sheet = load_workbook(io.BytesIO(xlsx.content)).active
    assert sheet["A2"].value == "Mã xã"
    assert sheet["B2"].value == "Xã"
    assert (await client.get("/campaign/report.doc")).status_code == 404
