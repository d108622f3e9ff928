"""The OpenID Foundation's conformance expectations that can be checked offline (the "Basic OP" plan's
checks that need no second server): what a certified provider must answer, request by request."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from typing import Any

import pytest
from authlib.common.security import generate_token
from authlib.integrations.base_client.errors import OAuthError
from authlib.integrations.httpx_client import AsyncOAuth2Client
from httpx import ASGITransport
from joserfc import jws
from tests.factories import (
    ISSUER,
    PORTAL_CALLBACK,
    Browser,
    MakePerson,
    Phone,
    activated_phone,
    http,
    provider_app,
    redirect_params,
    registered_service,
)

from civicid.core.clock import FixedClock
from civicid.core.runtime import Context

pytestmark = pytest.mark.anyio


@pytest.fixture
def app(context: Context) -> Any:
    return provider_app(context)


@pytest.fixture
def phone(context: Context, make_person: MakePerson) -> Phone:
    return activated_phone(context, make_person())


@pytest.fixture
async def browser(app: Any, phone: Phone) -> AsyncIterator[Browser]:
    async with http(app) as client:
        yield Browser(client, phone)


@pytest.fixture
async def client(app: Any, context: Context) -> AsyncIterator[AsyncOAuth2Client]:
    service = registered_service(context)
    async with AsyncOAuth2Client(
        client_id=service.client.client_id,
        client_secret=service.client_secret,
        scope="openid",
        redirect_uri=PORTAL_CALLBACK,
        code_challenge_method="S256",
        transport=ASGITransport(app=app),
        base_url=ISSUER,
    ) as oauth:
        yield oauth


def url(client: AsyncOAuth2Client, verifier: str = "v" * 43, **extra: str) -> str:
    made, _ = client.create_authorization_url(
        f"{ISSUER}/idp/authorize", code_verifier=verifier, acr_values="urn:civicid:loa:1", **extra
    )
    return str(made)


def claims_of(id_token: str) -> dict[str, Any]:
    return dict(json.loads(jws.extract_compact(id_token.encode()).payload))


async def test_oidcc_server_the_token_response_is_not_cached(browser: Browser, client: AsyncOAuth2Client) -> None:
    """RFC 6749 §5.1: Cache-Control: no-store on a token response."""
    verifier = generate_token(48)
    back = await browser.log_in_fully(url(client, verifier, nonce="n1"))
    code = redirect_params(back)["code"]
    answer = await client.request(
        "POST",
        f"{ISSUER}/idp/token",
        data={"grant_type": "authorization_code", "code": code, "redirect_uri": PORTAL_CALLBACK,
              "code_verifier": verifier},
        auth=(client.client_id, client.client_secret),
        withhold_token=True,
    )  # fmt: skip
    assert answer.status_code == 200
    assert answer.headers["cache-control"] == "no-store"
    assert answer.json()["token_type"] == "Bearer"


async def test_oidcc_ensure_redirect_uri_in_authorization_request(browser: Browser, client: AsyncOAuth2Client) -> None:
    """Core §3.1.2.1: redirect_uri is required; without it, no redirect at all."""
    page = await browser.open(
        url(client, nonce="n").replace(f"redirect_uri={PORTAL_CALLBACK.replace(':', '%3A').replace('/', '%2F')}&", "")
    )
    assert page.status_code == 400
    assert "location" not in page.headers


async def test_oidcc_response_type_missing_or_unsupported_is_refused(
    browser: Browser, client: AsyncOAuth2Client
) -> None:
    """Only the code flow: response_type=token (implicit) is unsupported_response_type, at the redirect URI."""
    params = redirect_params(
        await browser.open(url(client, nonce="n").replace("response_type=code", "response_type=token"))
    )
    assert params["error"] == "unsupported_response_type"


async def test_oidcc_the_error_carries_the_state(browser: Browser, client: AsyncOAuth2Client) -> None:
    """RFC 6749 §4.1.2.1: the error redirect echoes state."""
    params = redirect_params(await browser.open(url(client, nonce="n", state="xyz", prompt="none")))
    assert (params["error"], params["state"]) == ("login_required", "xyz")


async def test_oidcc_prompt_login_asks_for_the_password_again(browser: Browser, client: AsyncOAuth2Client) -> None:
    await browser.log_in_fully(url(client, nonce="n1"))
    page = await browser.open(url(client, nonce="n2", prompt="login"))
    assert 'id="idp-login"' in page.text


async def test_oidcc_max_age_0_asks_for_the_password_again_and_auth_time_is_fresh(
    browser: Browser, client: AsyncOAuth2Client, clock: FixedClock
) -> None:
    import datetime as dt

    await browser.log_in_fully(url(client, nonce="n1"))
    clock.advance(dt.timedelta(seconds=5))
    verifier = generate_token(48)
    page = await browser.open(url(client, verifier, nonce="n2", max_age="0"))
    assert 'id="idp-login"' in page.text
    back = await browser.sign_in(page)
    token = await client.fetch_token(
        f"{ISSUER}/idp/token", authorization_response=back.headers["location"], code_verifier=verifier
    )
    assert claims_of(token["id_token"])["auth_time"] == int(clock.now().timestamp())


async def test_oidcc_a_nonce_used_before_by_the_client_is_refused(browser: Browser, client: AsyncOAuth2Client) -> None:
    await browser.log_in_fully(url(client, nonce="same-nonce"))
    params = redirect_params(await browser.open(url(client, nonce="same-nonce")))
    assert params["error"] == "invalid_request"


async def test_oidcc_the_code_is_bound_to_its_redirect_uri(browser: Browser, client: AsyncOAuth2Client) -> None:
    verifier = generate_token(48)
    code = redirect_params(await browser.log_in_fully(url(client, verifier, nonce="n")))["code"]
    with pytest.raises(OAuthError, match="invalid_grant"):
        await client.fetch_token(
            f"{ISSUER}/idp/token", code=code, code_verifier=verifier, redirect_uri="https://portal.example/other"
        )


async def test_oidcc_userinfo_without_a_token_says_how_to_authenticate(app: Any) -> None:
    """RFC 6750 §3: WWW-Authenticate on a missing or bad token."""
    async with http(app) as api:
        missing = await api.get("/idp/userinfo")
        bad = await api.get("/idp/userinfo", headers={"Authorization": "Bearer not-a-token"})
    assert missing.headers["www-authenticate"].startswith("Bearer")
    assert bad.status_code == 401
    assert 'error="invalid_token"' in bad.headers["www-authenticate"]


async def test_oidcc_a_repeated_parameter_is_refused(browser: Browser, client: AsyncOAuth2Client) -> None:
    """RFC 6749 §3.1: request parameters MUST NOT be included more than once."""
    page = await browser.client.get(url(client, nonce="n") + "&scope=openid")
    assert page.status_code == 400


async def test_the_token_endpoint_refuses_plain_http_off_loopback(app: Any) -> None:
    """RFC 6749 §3.2: the token endpoint requires TLS (authlib's rule); a clear refusal, not an error page."""
    from httpx import AsyncClient

    async with AsyncClient(transport=ASGITransport(app=app), base_url="http://idp.example") as plain:
        answer = await plain.post("/idp/token", data={"grant_type": "authorization_code", "code": "x"})
    assert (answer.status_code, answer.json()["error"]) == (400, "invalid_request")


async def test_consent_denied_goes_back_with_access_denied(browser: Browser, client: AsyncOAuth2Client) -> None:
    """RFC 6749 §4.1.2.1: the citizen says no; the service learns it, with its state, and gets no code."""
    page = await browser.sign_in(await browser.open(url(client, nonce="n", state="s-deny")))
    assert 'id="idp-consent"' in page.text
    params = redirect_params(await browser.consent(page, decision="deny"))
    assert (params["error"], params["state"]) == ("access_denied", "s-deny")
    assert "code" not in params
