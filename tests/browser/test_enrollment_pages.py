"""A supervisor on a phone: the day's queue, a suspected duplicate side by side, a decision."""

from __future__ import annotations

from pathlib import Path

import pytest
from playwright.sync_api import expect
from tests.browser.conftest import PHONE, StaffPage

pytestmark = pytest.mark.browser


def test_supervisor_adjudicates_a_suspected_duplicate(
    staff_page: StaffPage, server_url: str, screenshot_dir: Path
) -> None:
    page = staff_page(server_url, "supervisor")
    page.goto(f"{server_url}/enrollment/applications?status=suspected_duplicate")
    page.screenshot(path=screenshot_dir / "enrollment-queue-duplicates-phone-vi.png", full_page=True)
    page.locator("a[href^='/enrollment/applications/']").first.click()
    portraits = page.locator("img.portrait")
    expect(portraits).to_have_count(2)
    for index in range(2):
        assert (portraits.nth(index).get_attribute("src") or "").startswith("data:image/svg+xml;base64,")
        # The image really decoded (a CSP that forbids data: images would leave it at 0 width).
        assert portraits.nth(index).evaluate("img => img.naturalWidth") > 0
    # The fingerprints of both records are compared 1:1 for the supervisor, beside the face score; the
    # demo's are the simulator's, and the page says so (and that it holds no fingerprint images).
    expect(page.locator("body")).to_contain_text("Vân tay, so khớp 1:1 giữa hai hồ sơ (ngón tốt nhất):")
    expect(page.locator("body")).to_contain_text("civicid-sim-finger, mô phỏng")
    expect(page.locator("body")).to_contain_text("không có ảnh vân tay của cả hai hồ sơ")
    page.screenshot(path=screenshot_dir / "enrollment-adjudication-phone-vi.png", full_page=True)
    # Both records side by side still fit a 360 px screen: no sideways scrolling.
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    page.fill("#adjudicate_reason", "Cùng một người, đã đối chiếu tại nhà")
    page.locator("button[name=decision][value=duplicate]").click()
    page.goto(f"{server_url}/enrollment/applications?status=suspected_duplicate")
    expect(page.locator("a[href^='/enrollment/applications/']")).to_have_count(0)


def test_supervisor_approves_from_the_queue(staff_page: StaffPage, server_url: str, screenshot_dir: Path) -> None:
    page = staff_page(server_url, "supervisor")
    page.goto(f"{server_url}/enrollment/applications?status=awaiting_approval")
    rows = page.locator("table.queue tbody tr")
    waiting = rows.count()
    assert waiting >= 1
    rows.first.locator("a[href^='/enrollment/applications/']").first.click()
    page.locator("button[name=approve]").click()
    page.goto(f"{server_url}/enrollment/applications?status=awaiting_approval")
    expect(page.locator("table.queue tbody tr")).to_have_count(waiting - 1)
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
