"""A supervisor on a phone: the day's queue, a suspected duplicate side by side, a decision."""

from __future__ import annotations

from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, expect

from civicid.sim.demo import DEMO_LOGINS

pytestmark = pytest.mark.browser

PHONE = {"width": 360, "height": 740}


def _login(browser: Browser, server_url: str, username: str) -> Page:
    page = browser.new_page(viewport=PHONE, locale="vi-VN")
    login = next(login for login in DEMO_LOGINS if login.username == username)
    page.goto(f"{server_url}/login")
    page.fill("#username", login.username)
    page.fill("#password", login.password)
    page.locator("form.form button[type=submit]").first.click()
    return page


def test_supervisor_adjudicates_a_suspected_duplicate(browser: Browser, server_url: str, screenshot_dir: Path) -> None:
    page = _login(browser, server_url, "supervisor")
    page.goto(f"{server_url}/enrollment/applications?status=suspected_duplicate")
    page.screenshot(path=screenshot_dir / "enrollment-queue-duplicates-phone-vi.png", full_page=True)
    page.locator("a[href^='/enrollment/applications/']").first.click()
    portraits = page.locator("img.portrait")
    expect(portraits).to_have_count(2)
    for index in range(2):
        assert (portraits.nth(index).get_attribute("src") or "").startswith("data:image/svg+xml;base64,")
        # The image really decoded (a CSP that forbids data: images would leave it at 0 width).
        assert portraits.nth(index).evaluate("img => img.naturalWidth") > 0
    # The fingerprints of both records are compared 1:1 for the supervisor, beside the face score.
    expect(page.locator("body")).to_contain_text("Vân tay, so khớp 1:1: 0.")
    page.screenshot(path=screenshot_dir / "enrollment-adjudication-phone-vi.png", full_page=True)
    # Both records side by side still fit a 360 px screen: no sideways scrolling.
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    page.fill("#adjudicate_reason", "Cùng một người, đã đối chiếu tại nhà")
    page.locator("button[name=decision][value=duplicate]").click()
    page.goto(f"{server_url}/enrollment/applications?status=suspected_duplicate")
    expect(page.locator("a[href^='/enrollment/applications/']")).to_have_count(0)


def test_supervisor_approves_from_the_queue(browser: Browser, server_url: str, screenshot_dir: Path) -> None:
    page = _login(browser, server_url, "supervisor")
    page.goto(f"{server_url}/enrollment/applications?status=awaiting_approval")
    links = page.locator("a[href^='/enrollment/applications/']")
    waiting = links.count()
    assert waiting >= 1
    links.first.click()
    page.locator("button[name=approve]").click()
    page.goto(f"{server_url}/enrollment/applications?status=awaiting_approval")
    expect(page.locator("a[href^='/enrollment/applications/']")).to_have_count(waiting - 1)
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
