"""A real server on a loopback port, the demo commune in it, and Debian's Chromium to drive it.

Browser tests run on the embedded SQLite database: what they check is the pages, not the storage.
Without Chromium they are skipped, unless ``CIVICID_REQUIRE_BROWSER=1`` (set by ``.ci/run``).
Screenshots go to ``test-artifacts/`` for people to look at.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Callable, Iterator
from pathlib import Path
from urllib.parse import urlparse

import pytest
from playwright.sync_api import Browser, Page, Request, sync_playwright
from tests.factories import demo_commune, staff_password
from tests.support.servers import deployment, live_server

from civicid.biometrics.simulated import simulated_extractors
from civicid.core.clock import SystemClock
from civicid.country.zone import TIME_ZONE
from civicid.enrollment.runtime import build_pipeline
from civicid.sim.enrollment import simulate_round

ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"
PHONE = {"width": 360, "height": 740}
DESKTOP = {"width": 1280, "height": 900}
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


def _chromium() -> str:
    path = shutil.which("chromium") or shutil.which("chromium-browser")
    if path is None:
        if os.environ.get("CIVICID_REQUIRE_BROWSER") == "1":
            pytest.fail("Chromium is not installed (apt-get install chromium)")
        pytest.skip("Chromium is not installed (apt-get install chromium)")
    return path


@pytest.fixture(scope="session")
def server_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """The central server with a small demo commune, serving on 127.0.0.1."""
    context = deployment(tmp_path_factory.mktemp("browser-data"), SystemClock(zone=TIME_ZONE))
    commune = demo_commune(context, people=900)
    # A day's captures left for the supervisor, with one suspected duplicate to adjudicate.
    simulate_round(
        context=context,
        pipeline=build_pipeline(context, simulated_extractors()),
        commune_code=commune,
        captures=4,
        suspected=1,
        approve=False,
    )
    with live_server(context) as server:
        yield server.url
    context.database.close()


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    """Chromium for one test module. Not for the session: while Playwright's loop is open in a worker, the
    asyncio tests that xdist gives the same worker afterwards cannot start theirs."""
    executable = _chromium()
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=executable, args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


StaffPage = Callable[..., Page]


@pytest.fixture
def staff_page(browser: Browser) -> StaffPage:
    """``staff_page(url, "operator")``: a phone's browser tab logged in through the login page.

    Requests that leave the server are appended to ``outside`` when one is given.
    """

    def open_logged_in(
        url: str,
        username: str,
        *,
        locale: str = "vi-VN",
        outside: list[str] | None = None,
        viewport: dict[str, int] | None = None,
    ) -> Page:
        page = browser.new_context(viewport=viewport or PHONE, locale=locale).new_page()
        if outside is not None:
            page.on("request", lambda request: _remember_outside(request, outside))
        page.goto(f"{url}/login")
        page.fill("#username", username)
        page.fill("#password", staff_password(username))
        page.locator("form.form button[type=submit], form.form input[type=submit]").first.click()
        return page

    return open_logged_in


def _remember_outside(request: Request, outside: list[str]) -> None:
    if urlparse(request.url).hostname not in {"127.0.0.1", "localhost"}:
        outside.append(request.url)


@pytest.fixture
def screenshot_dir() -> Path:
    ARTIFACTS.mkdir(exist_ok=True)
    return ARTIFACTS
