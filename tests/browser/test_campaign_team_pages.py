"""The committee runs the campaign from a phone: a new team, its member, an assignment, a reassignment."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect
from tests.browser.conftest import PHONE, StaffPage
from tests.factories import campaign_teams, demo_commune, running_campaign, team_assignment
from tests.support.servers import deployment, live_server

from civicid.campaign import service
from civicid.core.clock import SystemClock
from civicid.core.database import unit_of_work
from civicid.country.zone import TIME_ZONE

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def campaign_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A server whose demo commune has a campaign and one team already sent to a village."""
    context = deployment(tmp_path_factory.mktemp("team-pages-data"), SystemClock(zone=TIME_ZONE))
    commune = demo_commune(context, people=1_900)
    today = context.clock.today()
    campaign = running_campaign(context, commune, start=today, deadline=today + dt.timedelta(days=45))
    teams = campaign_teams(context, campaign, {"Tổ 1 – Công an xã": None})
    with unit_of_work(context.database.sessions) as session:
        villages = sorted(service.current_targets(session=session, campaign_id=campaign.id))
    start, end = today + dt.timedelta(days=1), today + dt.timedelta(days=7)
    team_assignment(context, teams["Tổ 1 – Công an xã"], start, end, village_ids=villages[:1])
    with live_server(context) as server:
        yield server.url
    context.database.close()


def _fits_the_phone(page: Page) -> None:
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]


def test_the_committee_creates_a_team_assigns_it_and_reassigns_on_a_phone(
    staff_page: StaffPage, campaign_url: str, screenshot_dir: Path
) -> None:
    outside: list[str] = []
    page = staff_page(campaign_url, "committee", outside=outside)
    page.goto(f"{campaign_url}/campaign/teams")
    expect(page.locator("ul.teams li")).to_have_count(1)
    _fits_the_phone(page)
    page.screenshot(path=screenshot_dir / "campaign-teams-phone-vi.png", full_page=True)

    # A new team.
    page.fill("#team-name", "Tổ 2 – Đoàn Thanh niên")
    page.locator("form.new-team button[type=submit]").click()
    expect(page.locator("h1")).to_have_text("Tổ 2 – Đoàn Thanh niên")
    expect(page.locator("p.notice")).to_be_visible()

    # Its member.
    page.fill("#member-name", "Hoàng Thị Lan")
    page.select_option("#member-org", "youth_union")
    page.locator("form.add-member button[type=submit]").click()
    expect(page.locator("ul.members li")).to_contain_text("Hoàng Thị Lan")

    # Sent to the second village and the third for the days proposed.
    options = page.locator("#assign-villages option")
    page.select_option(
        "#assign-villages", [options.nth(1).get_attribute("value") or "", options.nth(2).get_attribute("value") or ""]
    )
    page.locator("form.assign button[type=submit]").click()
    expect(page.locator("ul.assignments li")).to_have_count(2)
    _fits_the_phone(page)
    page.screenshot(path=screenshot_dir / "campaign-team-assigned-phone-vi.png", full_page=True)

    # A refusal is said on the page: the end before the start.
    page.fill("#assign-start", "2030-01-10")
    page.fill("#assign-end", "2030-01-01")
    page.select_option("#assign-villages", [options.nth(3).get_attribute("value") or ""])
    page.locator("form.assign button[type=submit]").click()
    expect(page.locator("div.form-error")).to_be_visible()
    _fits_the_phone(page)
    page.screenshot(path=screenshot_dir / "campaign-team-refused-phone-vi.png", full_page=True)

    # The first assignment moves to team 1: its kit receives it, this team's drops it at its next sync.
    first = page.locator("ul.assignments li").first
    moved_village = first.locator("strong").inner_text()
    first.locator("summary").click()
    first.locator("form.reassign button[type=submit]").click()
    expect(page.locator("h1")).to_have_text("Tổ 1 – Công an xã")
    expect(page.locator("ul.assignments")).to_contain_text(moved_village)
    _fits_the_phone(page)
    page.screenshot(path=screenshot_dir / "campaign-team-reassigned-phone-vi.png", full_page=True)

    page.goto(f"{campaign_url}/campaign/teams")
    expect(page.locator("ul.teams li")).to_have_count(2)
    assert outside == [], "the pages must load nothing from outside the server"


@pytest.mark.parametrize("path", ["/campaign/teams?lang=en", "/campaign/targets?lang=en"])
def test_the_pages_fit_a_360_pixel_screen(
    staff_page: StaffPage, campaign_url: str, screenshot_dir: Path, path: str
) -> None:
    outside: list[str] = []
    page = staff_page(campaign_url, "committee", outside=outside)
    page.goto(f"{campaign_url}{path}")
    expect(page.locator("h1")).to_be_visible()
    if "targets" in path:
        page.locator("ul.targets li summary").first.click()  # a form opened still fits
    _fits_the_phone(page)
    name = path.split("?")[0].rsplit("/", 1)[-1]
    page.screenshot(path=screenshot_dir / f"campaign-{name}-phone-en.png", full_page=True)
    assert outside == []
