"""The provider's refusals and the step-up: what a thief, a careless service or an old session cannot do."""

from __future__ import annotations

import datetime as dt
from collections.abc import AsyncIterator
from typing import Any

import pytest
from authlib.common.security import generate_token
from authlib.integrations.base_client.errors import OAuthError
from authlib.integrations.httpx_client import AsyncOAuth2Client
from authlib.oauth2.rfc7636 import create_s256_code_challenge
from httpx import ASGITransport
from tests.factories import (
    HOLDER_PASSWORD,
    ISSUER,
    PORTAL_CALLBACK,
    PORTAL_LOGGED_OUT,
    Browser,
    MakePerson,
    Phone,
    activated_phone,
    codes_sent,
    http,
    provider_app,
    redirect_params,
    registered_service,
)

from civicid.core.clock import FixedClock
from civicid.core.runtime import Context

pytestmark = pytest.mark.anyio
LEVEL_1, LEVEL_2 = "urn:civicid:loa:1", "urn:civicid:loa:2"


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
        scope="openid profile",
        redirect_uri=PORTAL_CALLBACK,
        code_challenge_method="S256",
        transport=ASGITransport(app=app),
        base_url=ISSUER,
    ) as oauth:
        yield oauth


def authorize_url(client: AsyncOAuth2Client, *, acr: str = LEVEL_2, verifier: str | None = None, **extra: str) -> str:
    url, _ = client.create_authorization_url(
        f"{ISSUER}/idp/authorize",
        code_verifier=verifier or generate_token(48),
        nonce=generate_token(16),
        acr_values=acr,
        **extra,
    )
    return str(url)


async def code_for(browser: Browser, client: AsyncOAuth2Client, verifier: str, acr: str = LEVEL_2) -> str:
    back = await browser.log_in_fully(authorize_url(client, acr=acr, verifier=verifier))
    return str(back.headers["location"])


async def exchange(client: AsyncOAuth2Client, location: str, verifier: str) -> dict[str, Any]:
    return dict(
        await client.fetch_token(f"{ISSUER}/idp/token", authorization_response=location, code_verifier=verifier)
    )


async def refresh(client: AsyncOAuth2Client, refresh_token: str) -> dict[str, Any]:
    return dict(await client.refresh_token(f"{ISSUER}/idp/token", refresh_token=refresh_token))


class TestRedirectUris:
    async def test_an_unregistered_redirect_uri_is_refused_on_a_page_never_redirected_to(
        self, browser: Browser, client: AsyncOAuth2Client
    ) -> None:
        url = authorize_url(client).replace("portal.example%2Fcallback", "evil.example%2Fcallback")
        page = await browser.open(url)
        assert page.status_code == 400
        assert "location" not in page.headers
        assert 'id="idp-message"' in page.text

    async def test_an_unknown_client_is_refused_on_a_page(self, browser: Browser, client: AsyncOAuth2Client) -> None:
        page = await browser.open(
            authorize_url(client).replace(f"client_id={client.client_id}", "client_id=svc-nobody")
        )
        assert page.status_code == 400
        assert "location" not in page.headers

    async def test_a_request_without_pkce_goes_back_with_invalid_request(
        self, browser: Browser, client: AsyncOAuth2Client
    ) -> None:
        url, _ = client.create_authorization_url(f"{ISSUER}/idp/authorize", nonce="n")  # no code_verifier
        params = redirect_params(await browser.open(str(url)))
        assert params["error"] == "invalid_request"

    async def test_a_service_may_not_ask_above_its_registered_level(
        self, app: Any, context: Context, browser: Browser
    ) -> None:
        service = registered_service(context, name="Thư viện xã", max_level=1)
        async with AsyncOAuth2Client(
            client_id=service.client.client_id,
            redirect_uri=PORTAL_CALLBACK,
            scope="openid",
            code_challenge_method="S256",
        ) as low:
            params = redirect_params(await browser.open(authorize_url(low, acr=LEVEL_2)))
        assert params["error"] == "invalid_request"


class TestStepUp:
    async def test_a_level_1_session_asked_for_level_2_gets_the_sms_code_step_not_the_password_again(
        self, browser: Browser, client: AsyncOAuth2Client, context: Context, phone: Phone
    ) -> None:
        first = await browser.log_in_fully(authorize_url(client, acr=LEVEL_1))
        assert redirect_params(first)["code"]
        sent_before = len(codes_sent(context, phone.account.id))
        page = await browser.open(authorize_url(client, acr=LEVEL_2))
        assert 'id="idp-code"' in page.text  # straight to the second factor
        assert len(codes_sent(context, phone.account.id)) == sent_before + 1
        back = await browser.enter_code(page)
        assert redirect_params(back)["code"]

    async def test_the_stepped_up_id_token_says_level_2_with_both_factors(
        self, browser: Browser, client: AsyncOAuth2Client
    ) -> None:
        await browser.log_in_fully(authorize_url(client, acr=LEVEL_1))
        verifier = generate_token(48)
        page = await browser.open(authorize_url(client, acr=LEVEL_2, verifier=verifier))
        back = await browser.enter_code(page)
        token = await exchange(client, back.headers["location"], verifier)
        claims = client_claims(token)
        assert (claims["acr"], sorted(claims["amr"])) == (LEVEL_2, ["mfa", "otp", "pwd", "sms"])

    async def test_a_wrong_code_does_not_step_up(self, browser: Browser, client: AsyncOAuth2Client) -> None:
        await browser.log_in_fully(authorize_url(client, acr=LEVEL_1))
        page = await browser.open(authorize_url(client, acr=LEVEL_2))
        right = codes_sent(browser.phone.context, browser.phone.account.id)[0]
        wrong = await browser.enter_code(page, code=f"{(int(right) + 1) % 1_000_000:06d}")
        assert wrong.status_code == 400
        assert 'id="idp-code"' in wrong.text

    async def test_an_expired_code_does_not_step_up(
        self, browser: Browser, client: AsyncOAuth2Client, clock: FixedClock
    ) -> None:
        code_page = await browser.sign_in(await browser.open(authorize_url(client, acr=LEVEL_2)))
        clock.advance(dt.timedelta(minutes=5, seconds=1))
        late = await browser.enter_code(code_page)
        assert late.status_code == 400
        assert 'id="idp-code"' in late.text

    async def test_at_most_three_codes_go_out_per_sign_in(
        self, browser: Browser, client: AsyncOAuth2Client, context: Context, phone: Phone
    ) -> None:
        from tests.factories import hidden

        code_page = await browser.sign_in(await browser.open(authorize_url(client, acr=LEVEL_2)))
        form = {"return_to": hidden(code_page, "return_to")}
        sent = len(codes_sent(context, phone.account.id))  # the activation code, and this sign-in's first
        answers = [await browser.client.post("/idp/login/code/resend", data=form) for _ in range(3)]
        assert len(codes_sent(context, phone.account.id)) == sent + 2
        assert ["sent=0" in a.headers["location"] for a in answers] == [False, False, True]

    async def test_a_level_1_account_gets_level_1_and_the_service_decides(
        self, app: Any, context: Context, make_person: MakePerson, client: AsyncOAuth2Client
    ) -> None:
        from tests.factories import Phone as PhoneOf
        from tests.factories import issued_account

        person = make_person("Lò Văn Tâm")
        low = PhoneOf(context, person, issued_account(context, person, level=1, phone="0987654321"), phone="0987654321")
        low.activate()
        verifier = generate_token(48)
        async with http(app) as agent:
            back = await Browser(agent, low).log_in_fully(authorize_url(client, acr=LEVEL_2, verifier=verifier))
        token = await exchange(client, back.headers["location"], verifier)
        assert client_claims(token)["acr"] == LEVEL_1  # acr_values is voluntary (Core §3.1.2.1)

    async def test_prompt_none_without_a_session_answers_login_required(
        self, browser: Browser, client: AsyncOAuth2Client
    ) -> None:
        params = redirect_params(await browser.open(authorize_url(client, prompt="none")))
        assert params["error"] == "login_required"


class TestCodes:
    async def test_a_replayed_code_is_refused_and_revokes_what_it_issued(
        self, browser: Browser, client: AsyncOAuth2Client, app: Any
    ) -> None:
        verifier = generate_token(48)
        location = await code_for(browser, client, verifier)
        token = await exchange(client, location, verifier)
        with pytest.raises(OAuthError, match="invalid_grant"):
            await exchange(client, location, verifier)
        async with http(app) as api:
            answer = await api.get("/idp/userinfo", headers={"Authorization": f"Bearer {token['access_token']}"})
        assert answer.status_code == 401
        with pytest.raises(OAuthError, match="invalid_grant"):
            await refresh(client, token["refresh_token"])

    async def test_an_expired_code_is_refused(
        self, browser: Browser, client: AsyncOAuth2Client, clock: FixedClock
    ) -> None:
        verifier = generate_token(48)
        location = await code_for(browser, client, verifier)
        clock.advance(dt.timedelta(seconds=61))
        with pytest.raises(OAuthError, match="invalid_grant"):
            await exchange(client, location, verifier)

    async def test_a_code_with_the_wrong_verifier_is_refused(self, browser: Browser, client: AsyncOAuth2Client) -> None:
        location = await code_for(browser, client, generate_token(48))
        with pytest.raises(OAuthError, match="invalid_grant"):
            await exchange(client, location, generate_token(48))

    async def test_the_challenge_is_s256_of_the_verifier(self) -> None:
        # RFC 7636 Appendix B's example.
        verifier = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk"
        assert create_s256_code_challenge(verifier) == "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM"


class TestRefreshTokens:
    async def test_a_refresh_gives_new_tokens_and_a_new_refresh_token(
        self, browser: Browser, client: AsyncOAuth2Client, app: Any
    ) -> None:
        verifier = generate_token(48)
        first = await exchange(client, await code_for(browser, client, verifier), verifier)
        second = await refresh(client, first["refresh_token"])
        assert second["refresh_token"] != first["refresh_token"]
        async with http(app) as api:
            answer = await api.get("/idp/userinfo", headers={"Authorization": f"Bearer {second['access_token']}"})
        assert answer.status_code == 200

    async def test_a_rotated_refresh_token_used_again_revokes_the_whole_family(
        self, browser: Browser, client: AsyncOAuth2Client, app: Any, context: Context, phone: Phone
    ) -> None:
        verifier = generate_token(48)
        first = await exchange(client, await code_for(browser, client, verifier), verifier)
        second = await refresh(client, first["refresh_token"])
        with pytest.raises(OAuthError, match="invalid_grant"):
            await refresh(client, first["refresh_token"])  # the thief's copy
        with pytest.raises(OAuthError, match="invalid_grant"):
            await refresh(client, second["refresh_token"])  # the family is gone, the client's copy too
        async with http(app) as api:
            answer = await api.get("/idp/userinfo", headers={"Authorization": f"Bearer {second['access_token']}"})
        assert answer.status_code == 401
        from civicid.accounts.holder import usage_history
        from civicid.core.database import unit_of_work

        with unit_of_work(context.database.sessions) as session:
            history = usage_history(session=session, clock=context.clock, holder=phone.session())
        assert any(e.action == "idp.family_revoke" and e.details["reason"] == "refresh_reused" for e in history)

    async def test_another_clients_refresh_token_is_refused(
        self, browser: Browser, client: AsyncOAuth2Client, app: Any, context: Context
    ) -> None:
        verifier = generate_token(48)
        token = await exchange(client, await code_for(browser, client, verifier), verifier)
        other = registered_service(context, name="Dịch vụ khác")
        async with AsyncOAuth2Client(
            client_id=other.client.client_id,
            client_secret=other.client_secret,
            transport=ASGITransport(app=app),
            base_url=ISSUER,
        ) as thief:
            with pytest.raises(OAuthError, match="invalid_grant"):
                await refresh(thief, token["refresh_token"])


class TestSignIn:
    async def test_an_unknown_id_number_and_a_wrong_password_get_the_same_page(
        self, browser: Browser, client: AsyncOAuth2Client, make_person: MakePerson
    ) -> None:
        page = await browser.open(authorize_url(client))
        wrong = await browser.sign_in(page, password="Sai-mat-khau-1")
        stranger = Browser(
            browser.client, Phone(browser.phone.context, make_person("Lò Thị Hoa"), browser.phone.account)
        )
        unknown = await stranger.sign_in(page)
        assert wrong.status_code == unknown.status_code == 401
        assert _error_line(wrong.text) == _error_line(unknown.text)

    async def test_five_wrong_passwords_pause_sign_in(self, browser: Browser, client: AsyncOAuth2Client) -> None:
        page = await browser.open(authorize_url(client))
        for _ in range(5):
            await browser.sign_in(page, password="Sai-mat-khau-1")
        locked = await browser.sign_in(page)
        assert locked.status_code == 429

    async def test_the_pages_are_vietnamese_first_and_english_on_request(
        self, browser: Browser, client: AsyncOAuth2Client
    ) -> None:
        page = await browser.open(authorize_url(client))
        assert "Đăng nhập bằng định danh điện tử" in page.text
        english = await browser.client.get(str(page.url), params={"lang": "en"})
        assert "Sign in with your e-ID" in english.text


class TestDeviceKey:
    async def test_the_password_and_a_proof_from_the_bound_phone_reach_level_2_without_sms(
        self, browser: Browser, client: AsyncOAuth2Client, context: Context, phone: Phone
    ) -> None:
        from tests.factories import hidden

        verifier = generate_token(48)
        page = await browser.open(authorize_url(client, acr=LEVEL_2, verifier=verifier))
        sent = len(codes_sent(context, phone.account.id))
        form = {
            "return_to": hidden(page, "return_to"),
            "id_number": phone.person.id_number,
            "password": HOLDER_PASSWORD,
            "device_proof": phone.proof("login"),
        }
        consent = await browser._follow(await browser.client.post("/idp/login/device", data=form))
        assert 'id="idp-consent"' in consent.text  # no SMS code asked
        assert len(codes_sent(context, phone.account.id)) == sent
        back = await browser.consent(consent)
        claims = client_claims(await exchange(client, back.headers["location"], verifier))
        assert (claims["acr"], claims["amr"]) == (LEVEL_2, ["hwk", "mfa", "pwd"])

    async def test_a_proof_from_another_phone_is_refused_and_the_page_offers_the_sms_path(
        self, browser: Browser, client: AsyncOAuth2Client, phone: Phone
    ) -> None:
        from tests.factories import hidden

        page = await browser.open(authorize_url(client, acr=LEVEL_2))
        assert "/idp/static/device.js" in page.text
        form = {
            "return_to": hidden(page, "return_to"),
            "id_number": phone.person.id_number,
            "password": HOLDER_PASSWORD,
            "device_proof": phone.another_device().proof("login"),
        }
        refused = await browser.client.post("/idp/login/device", data=form)
        assert refused.status_code == 401
        assert 'id="idp-login"' in refused.text
        assert "/idp/static/device.js" not in refused.text

    async def test_the_page_script_is_served(self, app: Any) -> None:
        async with http(app) as client:
            script = await client.get("/idp/static/device.js")
        assert script.status_code == 200
        assert 'proveDevice("login"' in script.text


class TestLogout:
    async def test_rp_initiated_logout_with_an_id_token_hint_ends_the_session_and_returns(
        self, browser: Browser, client: AsyncOAuth2Client
    ) -> None:
        verifier = generate_token(48)
        token = await exchange(client, await code_for(browser, client, verifier), verifier)
        answer = await browser.client.get(
            "/idp/logout",
            params={"id_token_hint": token["id_token"], "post_logout_redirect_uri": PORTAL_LOGGED_OUT, "state": "s1"},
        )
        assert answer.status_code == 302
        assert answer.headers["location"] == f"{PORTAL_LOGGED_OUT}?state=s1"
        page = await browser.open(authorize_url(client))
        assert 'id="idp-login"' in page.text  # signed out: the password is asked again

    async def test_logout_without_a_hint_asks_the_citizen_first(
        self, browser: Browser, client: AsyncOAuth2Client
    ) -> None:
        await browser.log_in_fully(authorize_url(client))
        ask = await browser.client.get("/idp/logout")
        assert 'id="idp-message"' in ask.text
        done = await browser.client.post("/idp/logout", data={})
        assert done.status_code == 200
        page = await browser.open(authorize_url(client))
        assert 'id="idp-login"' in page.text


def client_claims(token: dict[str, Any]) -> dict[str, Any]:
    """The ID token's claims, unverified (test_oidc_flow checks signatures)."""
    import json

    from joserfc import jws

    return dict(json.loads(jws.extract_compact(token["id_token"].encode()).payload))


def _error_line(text: str) -> str:
    start = text.index('role="alert"')
    return text[start : text.index("</p>", start)]
