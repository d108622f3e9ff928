"""The provider's sign-in pages in Chromium on a 360 × 740 phone: password, SMS code, consent, then back to
the service with a code; nothing wider than the screen, Vietnamese first."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest
from authlib.common.security import generate_token
from playwright.sync_api import Browser, Page, Route
from tests.browser.conftest import ARTIFACTS, PHONE
from tests.factories import HOLDER_PASSWORD, Phone, activated_phone, codes_sent, demo_commune, residents
from tests.support.servers import LiveServer, deployment, live_server

from civicid.core.audit import SYSTEM
from civicid.core.clock import SystemClock
from civicid.core.database import unit_of_work
from civicid.country.zone import TIME_ZONE
from civicid.idp import clients

pytestmark = pytest.mark.browser
CALLBACK = "http://127.0.0.1:65531/callback"  # nothing listens there: the test answers for the service


@pytest.fixture(scope="module")
def provider(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[LiveServer, Phone, clients.Registered]]:
    context = deployment(tmp_path_factory.mktemp("idp-data"), SystemClock(zone=TIME_ZONE))
    demo_commune(context, people=40)
    phone = activated_phone(context, residents(context, "14_plus", 1)[0])
    with unit_of_work(context.database.sessions) as session:
        service = clients.add_client(
            session=session, clock=context.clock, actor=SYSTEM, name="Cổng dịch vụ công (thử)", redirect_uris=[CALLBACK]
        )
    with live_server(context) as server:
        yield server, phone, service
    context.database.close()


def _fits(page: Page) -> bool:
    return bool(page.evaluate("document.documentElement.scrollWidth <= window.innerWidth"))


def test_a_citizen_signs_in_at_level_2_on_a_phone(
    browser: Browser, provider: tuple[LiveServer, Phone, clients.Registered]
) -> None:
    from authlib.integrations.httpx_client import AsyncOAuth2Client

    server, phone, service = provider
    oauth = AsyncOAuth2Client(client_id=service.client.client_id, redirect_uri=CALLBACK, scope="openid profile",
                              code_challenge_method="S256")  # fmt: skip
    url, state = oauth.create_authorization_url(
        f"{server.url}/idp/authorize",
        code_verifier=generate_token(48),
        nonce=generate_token(16),
        acr_values="urn:civicid:loa:2",
    )
    page = browser.new_context(viewport=PHONE, locale="vi-VN").new_page()
    arrived: list[str] = []

    def service_side(route: Route) -> None:
        arrived.append(route.request.url)
        route.fulfill(status=200, content_type="text/html", body="<p id='service'>ok</p>")

    page.route("http://127.0.0.1:65531/**", service_side)
    ARTIFACTS.mkdir(exist_ok=True)
    page.goto(str(url))
    assert "Đăng nhập bằng định danh điện tử" in page.content()
    assert _fits(page)
    page.screenshot(path=str(Path(ARTIFACTS) / "idp-login-360.png"))
    page.fill("#id_number", phone.person.id_number)
    page.fill("#password", HOLDER_PASSWORD)
    page.click("button.primary")
    page.wait_for_selector("#idp-code")
    assert _fits(page)
    page.fill("#code", codes_sent(phone.context, phone.account.id)[0])
    page.click("#idp-code button.primary")
    page.wait_for_selector("#idp-consent")
    assert _fits(page)
    assert "Họ và tên" in page.inner_text("#claims")
    page.screenshot(path=str(Path(ARTIFACTS) / "idp-consent-360.png"))
    page.click("button[value=allow]")
    page.wait_for_selector("#service")
    params = parse_qs(urlsplit(arrived[-1]).query)
    assert params["state"] == [state]
    assert params["code"][0]


def test_the_demo_portal_signs_a_citizen_in_and_shows_level_2(
    browser: Browser, provider: tuple[LiveServer, Phone, clients.Registered]
) -> None:
    """The demo portal as ``civicid demo`` starts it: a separate server, registered at start, over real HTTP."""
    from civicid.sim.portal import PortalConfig, create_portal_app, register_portal
    from civicid.web.serving import ServerThread, free_port

    server, phone, _ = provider
    portal_url = f"http://127.0.0.1:{free_port()}"
    with unit_of_work(phone.context.database.sessions) as session:
        registered = register_portal(session=session, clock=phone.context.clock, portal_url=portal_url)
    config = PortalConfig(server.url, portal_url, registered.client.client_id, registered.client_secret)
    portal = ServerThread(create_portal_app(config), port=int(portal_url.rsplit(":", 1)[1]))
    portal.start()
    try:
        page = browser.new_context(viewport=PHONE).new_page()
        page.goto(f"{portal_url}/")
        assert "simulated public service" in page.inner_text("#simulated")
        page.click("#level2")
        page.fill("#id_number", phone.person.id_number)
        page.fill("#password", HOLDER_PASSWORD)
        page.click("button.primary")
        page.wait_for_selector("#idp-code")
        page.fill("#code", codes_sent(phone.context, phone.account.id)[0])
        page.click("#idp-code button.primary")
        page.wait_for_selector("#idp-consent")
        page.click("button[value=allow]")
        page.wait_for_selector("#claims")
        assert page.inner_text("#acr") == "urn:civicid:loa:2"
        assert phone.person.full_name in page.inner_text("#claims")
        assert _fits(page)
        page.screenshot(path=str(Path(ARTIFACTS) / "idp-portal-360.png"))
        page.click("#logout")
        page.wait_for_url(f"{portal_url}/")
    finally:
        portal.stop()


def test_the_phone_bound_to_the_account_signs_in_at_level_2_with_its_device_key(
    browser: Browser, provider: tuple[LiveServer, Phone, clients.Registered]
) -> None:
    """The citizen app's key (non-extractable, in IndexedDB) is the second factor: no SMS code is asked."""
    from authlib.integrations.httpx_client import AsyncOAuth2Client
    from tests.factories import holder_phone

    server, first, service = provider
    person = residents(first.context, "14_plus", 2)[1]
    phone = holder_phone(first.context, person, phone="0987000111")
    page = browser.new_context(viewport=PHONE).new_page()
    page.goto(f"{server.url}/app/")
    jwk = page.evaluate(
        """async (idNumber) => {
            const keys = await import("/app/static/js/devicekey.js");
            const store = await import("/app/static/js/store.js");
            const key = await keys.ensureDeviceKey();
            await store.saveHolder(idNumber);
            return key.publicJwk;
        }""",
        person.id_number,
    )
    ticket = phone.verify(phone.request_code())
    assert isinstance(ticket, str)
    phone.complete(ticket, device_public_jwk=jwk)  # activated with the browser's key as the bound device
    sent = len(codes_sent(phone.context, phone.account.id))
    oauth = AsyncOAuth2Client(client_id=service.client.client_id, redirect_uri=CALLBACK, scope="openid",
                              code_challenge_method="S256")  # fmt: skip
    url, _ = oauth.create_authorization_url(
        f"{server.url}/idp/authorize",
        code_verifier=generate_token(48),
        nonce=generate_token(16),
        acr_values="urn:civicid:loa:2",
    )
    page.goto(str(url))
    page.wait_for_selector("#device-note", state="visible")
    page.fill("#id_number", person.id_number)
    page.fill("#password", HOLDER_PASSWORD)
    page.click("button.primary")
    page.wait_for_selector("#idp-consent")  # level 2 without the SMS code
    assert len(codes_sent(phone.context, phone.account.id)) == sent
