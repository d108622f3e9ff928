"""The verifier's page in Chromium on a 360 × 740 phone: it agrees with the Python verifier on every test
vector, and verifies a QR picture with the server stopped, from the trust bundle it kept."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser
from tests.browser.conftest import PHONE
from tests.factories import activated_phone, demo_commune, residents
from tests.support.servers import deployment, live_server

from civicid.core.audit import SYSTEM
from civicid.core.clock import SystemClock
from civicid.core.database import unit_of_work
from civicid.country.zone import TIME_ZONE
from civicid.credentials import qr, service
from civicid.credentials.keys import IssuerKeys
from civicid.wallet.portraits import PortraitVault

pytestmark = pytest.mark.browser
VECTORS = Path(__file__).resolve().parents[1] / "vectors" / "qr-v1"


@pytest.fixture(scope="module")
def card_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[object, str]]:
    context = deployment(tmp_path_factory.mktemp("verify-data"), SystemClock(zone=TIME_ZONE))
    demo_commune(context, people=60)
    person = residents(context, "14_plus", 1)[0]
    activated_phone(context, person)
    with unit_of_work(context.database.sessions) as session:
        out, _, _ = service.paper_card_qr(
            session=session, clock=context.clock, keys=IssuerKeys.of_data_dir(context.settings.data_dir),
            vault=PortraitVault.of_data_dir(context.settings.data_dir), actor=SYSTEM, person_id=person.id,
        )  # fmt: skip
    server = live_server(context)
    running = server.__enter__()
    yield running, out.text
    server.__exit__(None, None, None)
    context.database.close()


def test_the_browser_agrees_with_python_on_every_vector(browser: Browser, card_server: tuple[object, str]) -> None:
    server, _ = card_server
    page = browser.new_context(viewport=PHONE).new_page()
    page.goto(f"{server.url}/verify")  # type: ignore[attr-defined]
    manifest = json.loads((VECTORS / "vectors.json").read_text())
    bundle = (VECTORS / "trust-bundle.jwt").read_text()
    verdicts = page.evaluate(
        """async ([bundleText, vectors, now]) => {
            const bundle = await window.civicidVerifier.loadBundle(bundleText, [], now);
            const out = [];
            for (const v of vectors) out.push(await window.civicidVerifier.verifyText(v.text, bundle, now));
            return out;
        }""",
        [bundle, manifest["vectors"], manifest["now"]],
    )
    for vector, verdict in zip(manifest["vectors"], verdicts, strict=True):
        assert (verdict["valid"], verdict["reason"]) == (vector["valid"], vector["reason"]), vector["name"]


def test_a_qr_picture_verifies_with_the_server_stopped(
    browser: Browser, card_server: tuple[object, str], tmp_path: Path
) -> None:
    server, text = card_server
    page = browser.new_context(viewport=PHONE).new_page()
    page.goto(f"{server.url}/verify")  # type: ignore[attr-defined]
    page.evaluate("() => window.civicidVerifier.ready")
    page.wait_for_function("() => document.getElementById('bundle-age').dataset.age !== undefined")
    server.stop()  # type: ignore[attr-defined]
    picture = tmp_path / "card.png"
    picture.write_bytes(qr.png(text, scale=5))
    page.set_input_files("#image", str(picture))
    page.wait_for_function("() => document.getElementById('verdict').dataset.valid !== undefined")
    assert page.get_attribute("#verdict", "data-valid") == "true"
    assert page.locator("#bundle-age").inner_text()
