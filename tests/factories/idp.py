"""Relying parties and a citizen's browser at the OpenID provider.

:func:`registered_service` registers a client as ``civicid idp add-client`` does; :class:`Browser` is
the citizen's user agent (cookies, no scripts) that answers the provider's pages as a person would:
ID number and password, the SMS code read from the outbox, the consent button.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from html import unescape
from urllib.parse import parse_qs, urlsplit

from httpx import ASGITransport, AsyncClient, Response

from civicid.accounts.hashing import FAST
from civicid.app import create_app
from civicid.core.database import unit_of_work
from civicid.core.runtime import Context
from civicid.idp import clients

from .accounts import HOLDER_PASSWORD, Phone, codes_sent
from .actors import ADMIN

ISSUER = "https://testserver"
PORTAL_CALLBACK = "https://portal.example/callback"
PORTAL_LOGGED_OUT = "https://portal.example/bye"


def registered_service(
    context: Context,
    *,
    name: str = "Cổng dịch vụ công (thử)",
    max_level: int = 2,
    public: bool = False,
    alg: str = "RS256",
) -> clients.Registered:
    with unit_of_work(context.database.sessions) as session:
        return clients.add_client(
            session=session,
            clock=context.clock,
            actor=ADMIN,
            name=name,
            redirect_uris=[PORTAL_CALLBACK],
            post_logout_redirect_uris=[PORTAL_LOGGED_OUT],
            max_level=max_level,
            public=public,
            id_token_alg=alg,
        )


def provider_app(context: Context) -> object:
    """The central server's app, hashing holders' secrets with the fast test parameters."""
    app = create_app(context)
    app.state.secret_hasher = FAST
    return app


def http(app: object) -> AsyncClient:
    """An HTTPS client of the app (the provider refuses plain HTTP off loopback, as authlib does)."""
    return AsyncClient(transport=ASGITransport(app=app), base_url=ISSUER)  # type: ignore[arg-type]


@dataclass
class Browser:
    """The citizen's browser: it follows the provider's pages and stops at the service's redirect URI."""

    client: AsyncClient
    phone: Phone

    async def open(self, url: str) -> Response:
        """GET ``url`` and follow redirects within the provider; the answer that leaves it, or a page."""
        response = await self.client.get(url)
        return await self._follow(response)

    async def _follow(self, response: Response) -> Response:
        while response.status_code in {302, 303} and response.headers["location"].startswith(("/", ISSUER)):
            response = await self.client.get(response.headers["location"])
        return response

    async def sign_in(self, page: Response, password: str = HOLDER_PASSWORD) -> Response:
        """Fill the sign-in form of ``page``."""
        form = {"return_to": hidden(page, "return_to"), "id_number": self.phone.person.id_number, "password": password}
        return await self._follow(await self.client.post("/idp/login", data=form))

    async def enter_code(self, page: Response, code: str | None = None) -> Response:
        """The SMS code the phone received last (or ``code``)."""
        value = code or codes_sent(self.phone.context, self.phone.account.id)[0]
        form = {"return_to": hidden(page, "return_to"), "code": value}
        return await self._follow(await self.client.post("/idp/login/code", data=form))

    async def consent(self, page: Response, decision: str = "allow") -> Response:
        form = {"return_to": hidden(page, "return_to"), "csrf": hidden(page, "csrf"), "decision": decision}
        return await self._follow(await self.client.post("/idp/consent", data=form))

    async def log_in_fully(self, url: str) -> Response:
        """Password, SMS code if asked, consent if asked: the redirect to the service."""
        page = await self.open(url)
        if 'id="idp-login"' in page.text:
            page = await self.sign_in(page)
        if 'id="idp-code"' in page.text:
            page = await self.enter_code(page)
        if 'id="idp-consent"' in page.text:
            page = await self.consent(page)
        return page


def hidden(page: Response, name: str) -> str:
    match = re.search(rf'name="{name}" value="([^"]*)"', page.text)
    assert match, f"no hidden field {name} in {page.text[:300]}"
    return unescape(match.group(1))


def redirect_params(response: Response) -> dict[str, str]:
    """The parameters of a redirect to the service."""
    assert response.status_code == 302, (response.status_code, response.text[:300])
    return {k: v[0] for k, v in parse_qs(urlsplit(response.headers["location"]).query).items()}
