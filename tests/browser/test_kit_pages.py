"""The kit's pages in Chromium, offline: log in, households, a capture with a portrait, receipt, review.

The kit is set up and synced against a live central server, then the server is stopped and the
browser is cut off from everything but the kit: everything after that is the kit alone on
localhost, as in a village with no signal. (Playwright's ``set_offline(True)`` would cut localhost
too, so a route guard refuses, and records, every request that is not for the kit; each test ends
by checking that there was none: no CDN, no font, no script from elsewhere.) The camera path runs
in a second Chromium with a fake camera.
"""

from __future__ import annotations

import re
import shutil
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, BrowserContext, Page, Route, expect
from sqlalchemy import select
from tests.browser.conftest import CHROMIUM_ARGS
from tests.factories import KIT_OPERATOR, KIT_PASSWORD, KIT_SUPERVISOR, copied_kit, kit_resident, synced_kit_template
from tests.support.servers import serving

from civicid.core.clock import SystemClock
from civicid.country.age import AgeGroup
from civicid.country.zone import TIME_ZONE
from civicid.field.app import create_kit_app
from civicid.field.kit import Kit
from civicid.field.models import KitPerson, OutboxItem, OutboxState
from civicid.field.sources import CameraSource, SimulatedSource
from civicid.sim.field import synthetic_photo

pytestmark = pytest.mark.browser

PHONE = {"width": 360, "height": 740}
TABLET = {"width": 800, "height": 1280}


@pytest.fixture(scope="module")
def kit_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A kit synced once against a central server that is then stopped for good."""
    with synced_kit_template(tmp_path_factory.mktemp("kit-central"), SystemClock(zone=TIME_ZONE)) as (_, template):
        return template  # the server stops here: from then on, nothing can reach it


@pytest.fixture
def kit(kit_template: Path, tmp_path: Path) -> Iterator[Kit]:
    with copied_kit(kit_template, tmp_path / "kit") as copy:
        yield copy


@pytest.fixture
def kit_url(kit: Kit) -> Iterator[str]:
    with serving(create_kit_app(kit, SystemClock(zone=TIME_ZONE), source=SimulatedSource())) as url:
        yield url


@pytest.fixture
def portrait_file(tmp_path: Path) -> Path:
    path = tmp_path / "portrait.jpg"
    path.write_bytes(synthetic_photo(11))
    return path


class Offline:
    """A browser context that reaches the kit and nothing else; ``elsewhere`` lists what it tried."""

    def __init__(self, browser: Browser, kit_url: str, viewport: dict[str, int]) -> None:
        self.kit_url, self.elsewhere = kit_url, list[str]()
        self.context: BrowserContext = browser.new_context(locale="vi-VN", viewport=viewport)  # type: ignore[arg-type]
        self.context.route("**/*", self._guard)

    def _guard(self, route: Route) -> None:
        if route.request.url.startswith(f"{self.kit_url}/"):
            route.continue_()
            return
        self.elsewhere.append(route.request.url)
        route.abort("internetdisconnected")

    def close(self) -> None:
        self.context.close()
        assert self.elsewhere == [], f"the pages asked for something beyond the kit: {self.elsewhere}"


def log_in(page: Page, kit_url: str, username: str) -> None:
    page.goto(f"{kit_url}/households")
    expect(page).to_have_url(re.compile(r"/login\?next="))
    page.fill("#username", username)
    page.fill("#password", KIT_PASSWORD)
    page.locator("form.form button[type=submit]").click()
    expect(page).to_have_url(f"{kit_url}/households")


def until(page: Page, expression: str, timeout_s: float = 10) -> None:
    deadline = time.monotonic() + timeout_s
    while not page.evaluate(expression):
        assert time.monotonic() < deadline, f"still false after {timeout_s} s: {expression}"
        time.sleep(0.05)


def log_out(page: Page) -> None:
    page.locator("form[action='/logout'] button").click()
    expect(page.locator("#username")).to_be_visible()


def test_capture_offline_from_the_household_list_to_the_supervisors_approval(
    browser: Browser, kit: Kit, kit_url: str, portrait_file: Path, screenshot_dir: Path
) -> None:
    offline = Offline(browser, kit_url, TABLET)
    page = offline.context.new_page()
    log_in(page, kit_url, KIT_OPERATOR)
    expect(page.locator("a.household").first).to_be_visible()
    page.screenshot(path=screenshot_dir / "kit-households-tablet-vi.png", full_page=True)

    adult = kit_resident(kit, SystemClock(zone=TIME_ZONE).today(), AgeGroup.FROM_14)
    page.locator(f"a.household[href='/households/{adult.household_id}']").click()
    expect(page.locator(f"#member-{adult.id}")).to_contain_text(adult.full_name)
    page.screenshot(path=screenshot_dir / "kit-household-tablet-vi.png", full_page=True)
    page.locator(f"a[href='/capture/{adult.id}']").click()

    expect(page.locator("#extract")).to_contain_text(adult.id_number)
    expect(page.locator("#scanner")).to_contain_text("mô phỏng")  # "scanner: simulated"
    page.fill("#phone", "0912 345 678")
    page.fill("#doc-health_insurance", "GD4011234567")
    page.set_input_files("#portrait", portrait_file)
    expect(page.locator("#portrait-preview")).to_be_visible()  # drawn by the kit's own script
    page.screenshot(path=screenshot_dir / "kit-capture-tablet-vi.png", full_page=True)
    page.locator("#save").click()

    expect(page.locator("#saved")).to_be_visible()
    code = page.locator("#short-code").inner_text().strip()
    assert re.fullmatch(r"[A-Z2-9]{4}-[A-Z2-9]{4}", code), code
    expect(page.locator("#receipt-qr svg")).to_be_visible()
    page.screenshot(path=screenshot_dir / "kit-receipt-tablet-vi.png", full_page=True)
    with kit.transaction() as session:
        item = session.scalars(select(OutboxItem)).one()
    assert (item.short_code, item.state, item.person_id) == (code, OutboxState.CAPTURED, adult.id)

    log_out(page)
    log_in(page, kit_url, KIT_SUPERVISOR)
    page.goto(f"{kit_url}/review")
    card = page.locator(f"#item-{code}")
    expect(card).to_contain_text(adult.full_name)
    page.screenshot(path=screenshot_dir / "kit-review-tablet-vi.png", full_page=True)
    card.locator("button[value=approve]").click()
    expect(page.locator("#review-notice")).to_contain_text(code)
    with kit.transaction() as session:
        approved = session.get(OutboxItem, item.application_id)
        assert approved is not None
        assert approved.state is OutboxState.APPROVED_ON_DEVICE
    offline.close()


def test_the_household_list_fits_a_phone_offline(
    browser: Browser, kit: Kit, kit_url: str, screenshot_dir: Path
) -> None:
    offline = Offline(browser, kit_url, PHONE)
    page = offline.context.new_page()
    log_in(page, kit_url, KIT_OPERATOR)
    expect(page.locator("a.household").first).to_be_visible()
    page.screenshot(path=screenshot_dir / "kit-households-phone-vi.png", full_page=True)
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    with kit.transaction() as session:
        household = session.scalars(select(KitPerson.household_id)).first()
    page.goto(f"{kit_url}/households/{household}")
    page.locator("details summary").first.click()
    page.screenshot(path=screenshot_dir / "kit-household-phone-vi.png", full_page=True)
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    page.goto(f"{kit_url}/status")
    expect(page.locator("#outbox")).to_be_visible()
    page.screenshot(path=screenshot_dir / "kit-status-phone-vi.png", full_page=True)
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    offline.close()


@pytest.fixture(scope="module")
def camera_browser(browser: Browser) -> Iterator[Browser]:
    """A second Chromium, from the same Playwright, with a fake camera that needs no permission prompt."""
    fake_camera = ["--use-fake-device-for-media-stream", "--use-fake-ui-for-media-stream"]
    executable = shutil.which("chromium") or shutil.which("chromium-browser")
    chromium = browser.browser_type.launch(executable_path=executable, args=CHROMIUM_ARGS + fake_camera)
    yield chromium
    chromium.close()


def test_the_portrait_can_come_from_the_camera(
    camera_browser: Browser, kit: Kit, kit_url: str, screenshot_dir: Path
) -> None:
    offline = Offline(camera_browser, kit_url, PHONE)
    offline.context.grant_permissions(["camera"], origin=kit_url)
    page = offline.context.new_page()
    log_in(page, kit_url, KIT_OPERATOR)
    adult = kit_resident(kit, SystemClock(zone=TIME_ZONE).today(), AgeGroup.FROM_14, skip=1)
    page.goto(f"{kit_url}/capture/{adult.id}")
    page.locator("#camera-start").click()
    expect(page.locator("#camera-snap")).to_be_visible()
    # (wait_for_function evaluates a string, which the pages' CSP rightly forbids: poll instead)
    until(page, "document.getElementById('camera-video').videoWidth > 0")
    page.locator("#camera-snap").click()
    expect(page.locator("#camera-status")).to_have_text("Đã chụp ảnh.")
    until(page, "document.getElementById('portrait').files.length === 1")
    expect(page.locator("#portrait-preview")).to_be_visible()
    page.screenshot(path=screenshot_dir / "kit-capture-camera-phone-vi.png", full_page=True)
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    page.locator("#save").click()
    expect(page.locator("#short-code")).to_be_visible()
    with kit.transaction() as session:
        item = session.scalars(select(OutboxItem)).one()
    assert item.person_id == adult.id
    assert kit.sealed_path(item.application_id, "portrait_full").exists()  # the camera's JPEG, kept for later
    offline.close()


@pytest.fixture
def camera_kit_url(kit: Kit) -> Iterator[str]:
    """The kit's pages with the real camera source and its portrait check (``civicid field serve``'s default)."""
    with serving(create_kit_app(kit, SystemClock(zone=TIME_ZONE), source=CameraSource())) as url:
        yield url


def test_a_camera_picture_without_a_face_is_refused_on_a_phone_with_the_reason(
    camera_browser: Browser, kit: Kit, camera_kit_url: str, screenshot_dir: Path
) -> None:
    """Chromium's fake camera shows a test pattern, not a face: the kit says so, in Vietnamese, and saves nothing."""
    offline = Offline(camera_browser, camera_kit_url, PHONE)
    offline.context.grant_permissions(["camera"], origin=camera_kit_url)
    page = offline.context.new_page()
    log_in(page, camera_kit_url, KIT_OPERATOR)
    adult = kit_resident(kit, SystemClock(zone=TIME_ZONE).today(), AgeGroup.FROM_14, skip=2)
    page.goto(f"{camera_kit_url}/capture/{adult.id}")
    expect(page.locator("#scanner")).to_contain_text("NBIS")
    page.locator("#camera-start").click()
    expect(page.locator("#camera-snap")).to_be_visible()
    until(page, "document.getElementById('camera-video').videoWidth > 0")
    page.locator("#camera-snap").click()
    until(page, "document.getElementById('portrait').files.length === 1")
    page.locator("#save").click()
    expect(page.locator("#portrait-refused")).to_contain_text("Không thấy khuôn mặt nào trong ảnh.")
    expect(page.locator("#portrait-refused")).to_contain_text("Hãy chụp lại.")
    page.screenshot(path=screenshot_dir / "kit-capture-quality-refused-phone-vi.png", full_page=True)
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    with kit.transaction() as session:
        assert session.scalars(select(OutboxItem)).all() == []
    offline.close()
