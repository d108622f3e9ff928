"""A real server on a loopback port, the demo commune in it, and Debian's Chromium to drive it.

Browser tests run on the embedded SQLite database: what they check is the pages, not the storage.
Without Chromium they are skipped, unless ``CIVICID_REQUIRE_BROWSER=1`` (set by ``.ci/run``).
Screenshots go to ``test-artifacts/`` for people to look at.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, sync_playwright

from civicid.app import create_app
from civicid.biometrics.simulated import simulated_extractors
from civicid.core.clock import SystemClock
from civicid.core.runtime import open_context
from civicid.core.settings import Settings
from civicid.country.zone import TIME_ZONE
from civicid.enrollment.runtime import build_pipeline
from civicid.sim.demo import build_demo
from civicid.sim.enrollment import simulate_round
from civicid.web.serving import ServerThread

ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"
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
    settings = Settings(data_dir=tmp_path_factory.mktemp("browser-data"))
    context = open_context(settings, clock=SystemClock(zone=TIME_ZONE))
    demo = build_demo(context=context, people=900)
    # A day's captures left for the supervisor, with one suspected duplicate to adjudicate.
    simulate_round(
        context=context,
        pipeline=build_pipeline(context, simulated_extractors()),
        commune_code=demo.commune_code,
        captures=4,
        suspected=1,
        approve=False,
    )
    server = ServerThread(create_app(context))
    server.start()
    yield server.url
    server.stop()
    context.database.close()


@pytest.fixture(scope="session")
def browser() -> Iterator[Browser]:
    executable = _chromium()
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=executable, args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


@pytest.fixture
def screenshot_dir() -> Path:
    ARTIFACTS.mkdir(exist_ok=True)
    return ARTIFACTS
