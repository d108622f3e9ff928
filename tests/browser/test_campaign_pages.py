"""The steering committee on a phone: the commune at a glance, a village's burn-up, who is missing."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import expect
from tests.browser.conftest import DESKTOP, PHONE, StaffPage
from tests.factories import demo_commune
from tests.support.servers import deployment, live_server

from civicid.core.clock import SystemClock
from civicid.country.zone import TIME_ZONE
from civicid.sim.campaign import simulate_campaign

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def campaign_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A server whose demo commune has run a few simulated campaign days."""
    context = deployment(tmp_path_factory.mktemp("campaign-data"), SystemClock(zone=TIME_ZONE))
    simulate_campaign(context=context, commune_code=demo_commune(context, people=1_900), days=4, per_team_day=3)
    with live_server(context) as server:
        yield server.url
    context.database.close()


@pytest.mark.parametrize("locale", ["vi-VN", "en-GB"])
def test_the_committee_reads_the_dashboard_on_a_phone(
    staff_page: StaffPage, campaign_url: str, screenshot_dir: Path, locale: str
) -> None:
    outside: list[str] = []
    page = staff_page(campaign_url, "committee", locale=locale, outside=outside)
    page.goto(f"{campaign_url}/campaign")
    expect(page.locator("ul.kpis")).to_be_visible()
    assert page.locator("svg.chart").count() >= 3  # burn-up, map, heat map
    assert page.locator("table.villages tbody tr").count() >= 3
    # The page itself fits the phone; only the wide tables and the heat map scroll in their own box.
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    page.screenshot(path=screenshot_dir / f"campaign-dashboard-phone-{locale[:2]}.png", full_page=True)
    assert outside == [], "the dashboard must load nothing from outside the server"


def test_the_committee_opens_who_is_missing_in_a_village(
    staff_page: StaffPage, campaign_url: str, screenshot_dir: Path
) -> None:
    outside: list[str] = []
    page = staff_page(campaign_url, "committee", outside=outside)
    page.goto(f"{campaign_url}/campaign")
    page.locator("table.villages tbody tr th a").first.click()
    expect(page.locator("svg.chart")).to_be_visible()
    page.screenshot(path=screenshot_dir / "campaign-village-phone-vi.png", full_page=True)
    page.locator("a.button").click()
    people = page.locator("ul.missing li")
    expect(people.first).to_be_visible()
    assert people.count() > 1
    reasons = page.locator("ul.tabs li a")
    assert reasons.count() >= 2  # "all" and at least one reason
    reasons.nth(1).click()
    expect(page.locator("ul.missing li").first).to_be_visible()
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    page.screenshot(path=screenshot_dir / "campaign-missing-phone-vi.png", full_page=True)
    assert outside == []


@pytest.mark.parametrize(("screen", "viewport"), [("phone", PHONE), ("desktop", DESKTOP)])
@pytest.mark.parametrize(
    ("name", "path", "who"),
    [
        ("dashboard", "/campaign", "committee"),
        ("plan", "/campaign/plan", "committee"),
        ("enrollment-queue", "/enrollment/applications?status=all", "supervisor"),
    ],
)
def test_the_page_fits_the_screen_without_scrolling_sideways(
    staff_page: StaffPage,
    campaign_url: str,
    screenshot_dir: Path,
    screen: str,
    viewport: dict[str, int],
    name: str,
    path: str,
    who: str,
) -> None:
    page = staff_page(campaign_url, who, viewport=viewport)
    page.goto(f"{campaign_url}{path}")
    assert page.evaluate("document.documentElement.scrollWidth") <= viewport["width"]
    # Nor does a table scroll inside its own box: the village table and the queue fit as they are.
    wide = page.evaluate(
        "[...document.querySelectorAll('table.villages, table.queue')]"
        ".filter(t => t.getBoundingClientRect().right > document.documentElement.clientWidth + 1).length"
    )
    assert wide == 0
    page.screenshot(path=screenshot_dir / f"fit-{name}-{screen}.png", full_page=True)


def test_on_a_phone_the_villages_are_cards_and_on_a_desktop_a_table_with_activated(
    staff_page: StaffPage, campaign_url: str
) -> None:
    phone = staff_page(campaign_url, "committee", viewport=PHONE)
    phone.goto(f"{campaign_url}/campaign")
    assert phone.locator("table.villages thead").is_hidden()
    assert phone.evaluate("getComputedStyle(document.querySelector('table.villages tbody tr')).display") == "grid"
    desktop = staff_page(campaign_url, "committee", viewport=DESKTOP, locale="en-GB")
    desktop.goto(f"{campaign_url}/campaign?lang=en")
    expect(desktop.locator("table.villages thead")).to_be_visible()
    expect(desktop.locator("table.villages thead th", has_text="Activated")).to_have_count(1)
    assert desktop.locator("svg.map text.map-label").count() >= 3  # the dots are named
