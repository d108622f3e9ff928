"""A full OpenID Connect login with a standard client library (authlib's), and the rules around it:
PKCE, nonce, acr and amr, the ID token checked as OpenID Connect Core §3.1.3.7 says a client must."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import pytest
from authlib.common.security import generate_token
from authlib.integrations.httpx_client import AsyncOAuth2Client
from httpx import ASGITransport
from joserfc import jwt
from joserfc.jwk import KeySet
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
LEVEL_2 = "urn:civicid:loa:2"


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


def portal(app: Any, context: Context, **kwargs: Any) -> AsyncOAuth2Client:
    """The service's side: authlib's OAuth 2 client with PKCE (S256), registered at the provider."""
    service = registered_service(context, **kwargs)
    return AsyncOAuth2Client(
        client_id=service.client.client_id,
        client_secret=service.client_secret,
        scope="openid profile civicid.id_number",
        redirect_uri=PORTAL_CALLBACK,
        code_challenge_method="S256",
        token_endpoint_auth_method="client_secret_basic" if service.client_secret else "none",
        transport=ASGITransport(app=app),
        base_url=ISSUER,
    )


async def jwks(app: Any) -> KeySet:
    async with http(app) as client:
        return KeySet.import_key_set((await client.get("/idp/jwks")).json())


def verified_id_token(id_token: str, keys: KeySet, clock: FixedClock, *, client_id: str, nonce: str) -> dict[str, Any]:
    """OpenID Connect Core §3.1.3.7: signature by the provider's key, iss, aud, exp, iat, nonce."""
    token = jwt.decode(id_token, keys, algorithms=["RS256", "ES256"])
    now = int(clock.now().timestamp())
    registry = jwt.JWTClaimsRegistry(
        now=now,
        iss={"essential": True, "value": ISSUER},
        aud={"essential": True, "value": client_id},
        sub={"essential": True},
        exp={"essential": True},
        iat={"essential": True},
        nonce={"essential": True, "value": nonce},
    )
    registry.validate(token.claims)
    return dict(token.claims)


async def log_in(
    browser: Browser, client: AsyncOAuth2Client, *, acr: str = LEVEL_2, nonce: str | None = None
) -> tuple[dict[str, Any], str, str]:
    """The whole code flow: the token response, the verifier and the nonce."""
    verifier, nonce = generate_token(48), nonce or generate_token(20)
    url, state = client.create_authorization_url(
        f"{ISSUER}/idp/authorize", code_verifier=verifier, nonce=nonce, acr_values=acr
    )
    back = await browser.log_in_fully(url)
    params = redirect_params(back)
    assert params["state"] == state
    token = await client.fetch_token(
        f"{ISSUER}/idp/token", authorization_response=back.headers["location"], code_verifier=verifier
    )
    return dict(token), verifier, nonce


class TestFullLogin:
    async def test_a_standard_client_logs_a_citizen_in_at_level_2_and_reads_the_claims(
        self, app: Any, context: Context, clock: FixedClock, browser: Browser, phone: Phone
    ) -> None:
        async with portal(app, context) as client:
            token, _, nonce = await log_in(browser, client)
            claims = verified_id_token(
                token["id_token"], await jwks(app), clock, client_id=client.client_id, nonce=nonce
            )
            info = (await client.get("/idp/userinfo")).json()
        assert claims["acr"] == LEVEL_2
        assert set(claims["amr"]) == {"pwd", "sms", "otp", "mfa"}
        assert claims["sub"] == info["sub"] == phone.account.id
        assert claims["auth_time"] <= claims["iat"]
        assert "name" not in claims  # profile claims come from UserInfo, not the ID token
        assert (info["name"], info["id_number"]) == (phone.person.full_name, phone.person.id_number)
        assert info["birthdate"] == phone.person.date_of_birth.isoformat()

    async def test_the_id_token_binds_the_access_token_by_at_hash(
        self, app: Any, context: Context, clock: FixedClock, browser: Browser
    ) -> None:
        from authlib.oidc.core.util import create_half_hash

        async with portal(app, context) as client:
            token, _, nonce = await log_in(browser, client)
        claims = verified_id_token(token["id_token"], await jwks(app), clock, client_id=client.client_id, nonce=nonce)
        assert claims["at_hash"] == create_half_hash(token["access_token"], "RS256").decode()

    async def test_a_client_registered_for_es256_gets_es256_id_tokens(
        self, app: Any, context: Context, clock: FixedClock, browser: Browser
    ) -> None:
        async with portal(app, context, alg="ES256") as client:
            token, _, nonce = await log_in(browser, client)
        claims = verified_id_token(token["id_token"], await jwks(app), clock, client_id=client.client_id, nonce=nonce)
        assert jwt.decode(token["id_token"], await jwks(app)).header["alg"] == "ES256"
        assert claims["acr"] == LEVEL_2

    async def test_a_public_client_logs_in_with_pkce_alone(
        self, app: Any, context: Context, clock: FixedClock, browser: Browser
    ) -> None:
        async with portal(app, context, public=True) as client:
            token, _, nonce = await log_in(browser, client)
        assert verified_id_token(token["id_token"], await jwks(app), clock, client_id=client.client_id, nonce=nonce)

    async def test_a_level_1_request_needs_the_password_only(
        self, app: Any, context: Context, clock: FixedClock, browser: Browser
    ) -> None:
        async with portal(app, context) as client:
            token, _, nonce = await log_in(browser, client, acr="urn:civicid:loa:1")
        claims = verified_id_token(token["id_token"], await jwks(app), clock, client_id=client.client_id, nonce=nonce)
        assert (claims["acr"], claims["amr"]) == ("urn:civicid:loa:1", ["pwd"])

    async def test_every_login_shows_in_the_citizens_usage_history(
        self, app: Any, context: Context, browser: Browser, phone: Phone
    ) -> None:
        from civicid.accounts.holder import usage_history
        from civicid.core.database import unit_of_work

        async with portal(app, context) as client:
            await log_in(browser, client)
        with unit_of_work(context.database.sessions) as session:
            history = usage_history(session=session, clock=context.clock, holder=phone.session())
        actions = [entry.action for entry in history]
        assert {"idp.sign_in", "idp.step_up", "idp.consent", "idp.login", "idp.token_issue"} <= set(actions)
        login = next(entry for entry in history if entry.action == "idp.login")
        assert login.details == {"service": "Cổng dịch vụ công (thử)", "level": 2}

    async def test_consent_is_asked_once_per_service_and_scope(
        self, app: Any, context: Context, browser: Browser
    ) -> None:
        async with portal(app, context) as client:
            await log_in(browser, client)
            url, _ = client.create_authorization_url(
                f"{ISSUER}/idp/authorize", code_verifier=generate_token(48), nonce="n-2", acr_values=LEVEL_2
            )
            again = await browser.open(url)
        assert redirect_params(again)["code"]  # signed in at level 2 and consented: straight back with a code


class TestDiscovery:
    async def test_the_metadata_has_every_field_discovery_requires(self, app: Any) -> None:
        async with http(app) as client:
            metadata = (await client.get("/.well-known/openid-configuration")).json()
        # OpenID Connect Discovery 1.0 §3: REQUIRED fields.
        required = {
            "issuer",
            "authorization_endpoint",
            "token_endpoint",
            "jwks_uri",
            "response_types_supported",
            "subject_types_supported",
            "id_token_signing_alg_values_supported",
        }
        assert required <= set(metadata)
        assert metadata["issuer"] == ISSUER
        assert "RS256" in metadata["id_token_signing_alg_values_supported"]  # Core §15.1
        assert metadata["acr_values_supported"] == ["urn:civicid:loa:1", "urn:civicid:loa:2"]
        assert metadata["code_challenge_methods_supported"] == ["S256"]
        assert metadata["end_session_endpoint"] == f"{ISSUER}/idp/logout"

    async def test_the_jwks_publishes_an_rs256_and_an_es256_key_without_private_parts(self, app: Any) -> None:
        async with http(app) as client:
            keys = (await client.get("/idp/jwks")).json()["keys"]
        assert sorted(k["alg"] for k in keys) == ["ES256", "RS256"]
        assert all("d" not in k and k["use"] == "sig" and k["kid"] for k in keys)
