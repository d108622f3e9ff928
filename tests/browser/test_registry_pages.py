"""An operator on a small phone, offline: logs in, browses villages, finds a person without diacritics."""

from __future__ import annotations

from pathlib import Path

import pytest
from playwright.sync_api import Browser, expect
from tests.browser.conftest import PHONE, StaffPage

pytestmark = pytest.mark.browser


def test_operator_browses_villages_on_a_phone(staff_page: StaffPage, server_url: str, screenshot_dir: Path) -> None:
    outside: list[str] = []
    page = staff_page(server_url, "operator", outside=outside)
    page.goto(f"{server_url}/registry/villages")
    rows = page.locator("table tbody tr")
    expect(rows.first).to_be_visible()
    assert rows.count() >= 2
    # Nothing is wider than the phone: no sideways scrolling on a 360 px screen.
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    page.screenshot(path=screenshot_dir / "registry-villages-phone-vi.png", full_page=True)
    page.locator("table tbody tr a").first.click()
    expect(page.locator("h1")).to_be_visible()
    page.screenshot(path=screenshot_dir / "registry-village-phone-vi.png", full_page=True)
    assert outside == [], "pages must load nothing from outside the server (offline villages)"


def test_search_without_diacritics_finds_the_person(
    staff_page: StaffPage, server_url: str, screenshot_dir: Path
) -> None:
    outside: list[str] = []
    page = staff_page(server_url, "operator", outside=outside)
    page.goto(f"{server_url}/registry/persons")
    page.fill("#q", "nguyen")
    page.press("#q", "Enter")
    results = page.locator("a[href^='/registry/persons/']")
    expect(results.first).to_be_visible()
    assert results.first.inner_text().startswith("Nguyễn")
    page.screenshot(path=screenshot_dir / "registry-search-phone-vi.png", full_page=True)
    results.first.click()
    expect(page.locator("body")).to_contain_text("Nguyễn")
    page.screenshot(path=screenshot_dir / "registry-person-phone-vi.png", full_page=True)
    assert outside == []


def test_pages_switch_to_english(staff_page: StaffPage, server_url: str, screenshot_dir: Path) -> None:
    outside: list[str] = []
    page = staff_page(server_url, "operator", outside=outside)
    page.goto(f"{server_url}/registry/villages")
    assert page.locator("html").get_attribute("lang") == "vi"
    page.locator("a.lang").click()
    expect(page.locator("html")).to_have_attribute("lang", "en")
    page.screenshot(path=screenshot_dir / "registry-villages-phone-en.png", full_page=True)


def test_a_wrong_password_gets_a_readable_message(browser: Browser, server_url: str) -> None:
    page = browser.new_page(viewport=PHONE)
    page.goto(f"{server_url}/login?lang=en")
    page.fill("#username", "operator")
    page.fill("#password", "not-the-password")
    page.locator("form.form button[type=submit], form.form input[type=submit]").first.click()
    expect(page.locator("#login-error")).to_be_visible()
    assert "Traceback" not in page.content()
