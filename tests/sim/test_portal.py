"""The demo portal: a simulated public service that signs a demo citizen in through the provider with
authlib's client and shows the claims and the level it received."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

import pytest
from httpx import ASGITransport, AsyncClient
from tests.factories import ISSUER, Browser, MakePerson, activated_phone, http, provider_app

from civicid.core.clock import FixedClock
from civicid.core.database import unit_of_work
from civicid.core.runtime import Context
from civicid.sim.portal import NAME, PortalConfig, create_portal_app, register_portal

pytestmark = pytest.mark.anyio
PORTAL = "https://portal.example"


async def test_the_portal_signs_a_citizen_in_at_level_2_and_shows_the_claims(
    context: Context, clock: FixedClock, make_person: MakePerson
) -> None:
    phone = activated_phone(context, make_person())
    provider = provider_app(context)
    with unit_of_work(context.database.sessions) as session:
        registered = register_portal(session=session, clock=clock, portal_url=PORTAL)
    config = PortalConfig(
        ISSUER,
        PORTAL,
        registered.client.client_id,
        registered.client_secret,
        transport=ASGITransport(app=provider),
        clock=lambda: int(clock.now().timestamp()),
    )
    portal_app: Any = create_portal_app(config)
    async with AsyncClient(transport=ASGITransport(app=portal_app), base_url=PORTAL) as portal, http(provider) as agent:
        home = await portal.get("/")
        assert "simulated public service" in home.text
        start = await portal.get("/login", params={"level": "2"})
        back = await Browser(agent, phone).log_in_fully(start.headers["location"])
        callback = urlsplit(back.headers["location"])
        assert f"{callback.scheme}://{callback.netloc}" == PORTAL
        signed = await portal.get(f"{callback.path}?{callback.query}")
        assert signed.status_code == 303, signed.text
        page = await portal.get("/me")
    assert "urn:civicid:loa:2" in page.text
    assert phone.person.full_name in page.text
    assert phone.person.id_number in page.text


async def test_the_portal_steps_a_level_1_sign_in_up_to_level_2_with_the_sms_code_alone(
    context: Context, clock: FixedClock, make_person: MakePerson
) -> None:
    phone = activated_phone(context, make_person())
    provider = provider_app(context)
    with unit_of_work(context.database.sessions) as session:
        registered = register_portal(session=session, clock=clock, portal_url=PORTAL)
    config = PortalConfig(
        ISSUER,
        PORTAL,
        registered.client.client_id,
        registered.client_secret,
        transport=ASGITransport(app=provider),
        clock=lambda: int(clock.now().timestamp()),
    )
    portal_app: Any = create_portal_app(config)
    async with AsyncClient(transport=ASGITransport(app=portal_app), base_url=PORTAL) as portal, http(provider) as agent:
        browser = Browser(agent, phone)

        async def arrive(start_path: str) -> str:
            start = await portal.get(start_path)
            back = await browser.log_in_fully(start.headers["location"])
            callback = urlsplit(back.headers["location"])
            await portal.get(f"{callback.path}?{callback.query}")
            return (await portal.get("/me")).text

        first = await arrive("/login?level=1")
        assert "urn:civicid:loa:1" in first
        assert 'id="step-up"' in first
        start = await portal.get("/login?level=2")
        asked = await browser.open(start.headers["location"])
        assert 'id="idp-code"' in asked.text  # the password is not asked again
        back = await browser.enter_code(asked)
        callback = urlsplit(back.headers["location"])
        await portal.get(f"{callback.path}?{callback.query}")
        second = (await portal.get("/me")).text
    assert "urn:civicid:loa:2" in second
    assert 'id="step-up"' not in second


def test_registering_the_portal_again_replaces_the_earlier_registration(context: Context, clock: FixedClock) -> None:
    from civicid.idp.clients import list_clients

    with unit_of_work(context.database.sessions) as session:
        first = register_portal(session=session, clock=clock, portal_url=PORTAL)
        second = register_portal(session=session, clock=clock, portal_url=PORTAL)
        names = [(c.client_id, c.name) for c in list_clients(session=session)]
    assert names == [(second.client.client_id, NAME)]
    assert first.client.client_id != second.client.client_id
