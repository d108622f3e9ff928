"""The steering committee on a phone: the commune at a glance, a village's burn-up, who is missing."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlparse

import pytest
from playwright.sync_api import Browser, Page, Request, expect

from civicid.app import create_app
from civicid.core.clock import SystemClock
from civicid.core.runtime import open_context
from civicid.core.settings import Settings
from civicid.country.zone import TIME_ZONE
from civicid.sim.campaign import simulate_campaign
from civicid.sim.demo import DEMO_LOGINS, build_demo
from civicid.web.serving import ServerThread

pytestmark = pytest.mark.browser

PHONE = {"width": 360, "height": 740}


@pytest.fixture(scope="module")
def campaign_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A server whose demo commune has run a few simulated campaign days."""
    context = open_context(
        Settings(data_dir=tmp_path_factory.mktemp("campaign-data")), clock=SystemClock(zone=TIME_ZONE)
    )
    demo = build_demo(context=context, people=1_900)
    simulate_campaign(context=context, commune_code=demo.commune_code, days=4, per_team_day=3)
    server = ServerThread(create_app(context))
    server.start()
    yield server.url
    server.stop()
    context.database.close()


def _committee_page(browser: Browser, url: str, outside: list[str], locale: str) -> Page:
    page = browser.new_context(viewport=PHONE, locale=locale).new_page()

    def remember_outside(request: Request) -> None:
        if urlparse(request.url).hostname not in {"127.0.0.1", "localhost"}:
            outside.append(request.url)

    page.on("request", remember_outside)
    committee = next(login for login in DEMO_LOGINS if login.username == "committee")
    page.goto(f"{url}/login")
    page.fill("#username", committee.username)
    page.fill("#password", committee.password)
    page.locator("form.form button[type=submit], form.form input[type=submit]").first.click()
    return page


@pytest.mark.parametrize("locale", ["vi-VN", "en-GB"])
def test_the_committee_reads_the_dashboard_on_a_phone(
    browser: Browser, campaign_url: str, screenshot_dir: Path, locale: str
) -> None:
    outside: list[str] = []
    page = _committee_page(browser, campaign_url, outside, locale)
    page.goto(f"{campaign_url}/campaign")
    expect(page.locator("ul.kpis")).to_be_visible()
    assert page.locator("svg.chart").count() >= 3  # burn-up, map, heat map
    assert page.locator("table.villages tbody tr").count() >= 3
    # The page itself fits the phone; only the wide tables and the heat map scroll in their own box.
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    page.screenshot(path=screenshot_dir / f"campaign-dashboard-phone-{locale[:2]}.png", full_page=True)
    assert outside == [], "the dashboard must load nothing from outside the server"


def test_the_committee_opens_who_is_missing_in_a_village(
    browser: Browser, campaign_url: str, screenshot_dir: Path
) -> None:
    outside: list[str] = []
    page = _committee_page(browser, campaign_url, outside, "vi-VN")
    page.goto(f"{campaign_url}/campaign")
    page.locator("table.villages tbody tr td a").first.click()
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
