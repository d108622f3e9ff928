"""The demo portal: a small separate app, a simulated public service, that signs a citizen in at the
OpenID provider with a standard client library (authlib's OAuth 2 client over httpx) and shows the claims
and the level it received.

It does what any relying party must (OpenID Connect Core §3.1.3.7): the code flow with PKCE (S256), a
``state`` bound to the browser, a ``nonce``, the ID token's signature checked against the provider's
JWKS, and ``iss``, ``aud``, ``exp``, ``iat``, ``nonce`` and ``acr`` checked. ``civicid demo`` registers it
as a client and serves it on the next port. Its sessions live in memory: it is a demo.
"""

from __future__ import annotations

import html
import secrets
import warnings
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlencode

import httpx
from authlib.common.security import generate_token
from fastapi import FastAPI, Request
from fastapi.responses import HTMLResponse, RedirectResponse
from joserfc import jwt
from joserfc.errors import JoseError
from joserfc.jwk import KeySet
from sqlalchemy.orm import Session
from starlette.responses import Response

from civicid.core.audit import Actor
from civicid.core.clock import Clock
from civicid.idp import clients

with warnings.catch_warnings():
    # authlib's httpx client asks for the httpx2 fork; the project uses httpx, which it still supports.
    warnings.simplefilter("ignore", DeprecationWarning)
    from authlib.integrations.httpx_client import AsyncOAuth2Client

NAME = "Cổng dịch vụ công mô phỏng · Demo portal (simulated public service)"
SCOPE = "openid profile phone civicid.id_number"
COOKIE = "demo_portal"
LEVELS = {"1": "urn:civicid:loa:1", "2": "urn:civicid:loa:2"}
DEMO = Actor("system", "demo")


@dataclass
class PortalConfig:
    """Where the provider is (as the browser and the portal reach it), and the portal's registration."""

    issuer: str
    portal_url: str
    client_id: str
    client_secret: str | None
    #: How the portal's HTTP client reaches the provider (tests pass an ASGI transport).
    transport: httpx.AsyncBaseTransport | None = None
    clock: Callable[[], int] | None = None


@dataclass
class _Pending:
    verifier: str
    nonce: str
    level: str


@dataclass
class _Visit:
    claims: dict[str, Any]
    userinfo: dict[str, Any]
    id_token: str


@dataclass
class _State:
    pending: dict[str, _Pending] = field(default_factory=dict)
    visits: dict[str, _Visit] = field(default_factory=dict)


def register_portal(*, session: Session, clock: Clock, portal_url: str) -> clients.Registered:
    """Register the demo portal as a client (replacing the one an earlier demo run registered)."""
    for old in clients.list_clients(session=session):
        if old.name == NAME:
            clients.remove_client(session=session, clock=clock, actor=DEMO, client_id=old.client_id)
    return clients.add_client(
        session=session,
        clock=clock,
        actor=DEMO,
        name=NAME,
        redirect_uris=[f"{portal_url}/callback"],
        post_logout_redirect_uris=[f"{portal_url}/"],
        max_level=2,
    )


def create_portal_app(config: PortalConfig) -> FastAPI:
    """The portal's pages: home, sign-in at level 1 or 2, the callback, the claims, sign-out."""
    app = FastAPI(title="Demo portal (simulated public service)", docs_url=None, redoc_url=None, openapi_url=None)
    state = _State()

    def oauth() -> AsyncOAuth2Client:
        return AsyncOAuth2Client(
            client_id=config.client_id,
            client_secret=config.client_secret,
            scope=SCOPE,
            redirect_uri=f"{config.portal_url}/callback",
            code_challenge_method="S256",
            token_endpoint_auth_method="client_secret_basic" if config.client_secret else "none",
            transport=config.transport,
        )

    async def metadata(client: AsyncOAuth2Client) -> dict[str, Any]:
        answer = await client.request("GET", f"{config.issuer}/.well-known/openid-configuration", withhold_token=True)
        answer.raise_for_status()
        return dict(answer.json())

    @app.get("/")
    def home(request: Request) -> Response:
        visit = state.visits.get(request.cookies.get(COOKIE, ""))
        if visit is not None:
            return RedirectResponse("/me", 303)
        body = (
            "<p>Đăng nhập bằng tài khoản định danh điện tử để dùng dịch vụ. · "
            "Sign in with your e-ID account to use the service.</p>"
            '<p><a class="button" id="level1" href="/login?level=1">Đăng nhập mức 1 · Sign in, level 1</a></p>'
            '<p><a class="button" id="level2" href="/login?level=2">Đăng nhập mức 2 · Sign in, level 2</a></p>'
        )
        return _page("Cổng dịch vụ công · Public services", body)

    @app.get("/login")
    async def login(level: str = "2") -> Response:
        acr = LEVELS.get(level, LEVELS["2"])
        verifier, nonce = generate_token(48), generate_token(20)
        async with oauth() as client:
            endpoint = (await metadata(client))["authorization_endpoint"]
            url, sent_state = client.create_authorization_url(
                endpoint, code_verifier=verifier, nonce=nonce, acr_values=acr
            )
        state.pending[sent_state] = _Pending(verifier, nonce, acr)
        response = RedirectResponse(str(url), 303)
        response.set_cookie(f"{COOKIE}_state", sent_state, httponly=True, samesite="lax", max_age=600)
        return response

    @app.get("/callback")
    async def callback(request: Request) -> Response:
        returned = request.query_params.get("state", "")
        pending = state.pending.pop(returned, None)
        if pending is None or request.cookies.get(f"{COOKIE}_state") != returned:
            return _page(
                "Lỗi · Error", "<p>Phiên đăng nhập không khớp. · The sign-in does not match this browser.</p>", 400
            )
        if "error" in request.query_params:
            text = html.escape(request.query_params.get("error", ""))
            return _page("Không đăng nhập được · Not signed in", f"<p id='error'>{text}</p>", 400)
        async with oauth() as client:
            found = await metadata(client)
            token = await client.fetch_token(
                found["token_endpoint"], authorization_response=str(request.url), code_verifier=pending.verifier
            )
            keys = KeySet.import_key_set((await client.request("GET", found["jwks_uri"], withhold_token=True)).json())
            try:
                claims = _verified(token["id_token"], keys, config, pending.nonce)
            except JoseError as exc:
                return _page("Lỗi · Error", f"<p>ID token: {html.escape(str(exc))}</p>", 400)
            info = (await client.get(found["userinfo_endpoint"])).json()
        visit_id = secrets.token_urlsafe(24)
        state.visits[visit_id] = _Visit(claims, info, token["id_token"])
        response = RedirectResponse("/me", 303)
        response.set_cookie(COOKIE, visit_id, httponly=True, samesite="lax")
        return response

    @app.get("/me")
    def me(request: Request) -> Response:
        visit = state.visits.get(request.cookies.get(COOKIE, ""))
        if visit is None:
            return RedirectResponse("/", 303)
        level = html.escape(str(visit.claims.get("acr", "")))
        amr = html.escape(", ".join(visit.claims.get("amr", [])))
        rows = "".join(
            f"<tr><th scope='row'>{html.escape(k)}</th><td>{html.escape(str(v))}</td></tr>"
            for k, v in {**visit.userinfo}.items()
        )
        step_up = (
            '<p><a class="button" id="step-up" href="/login?level=2">Nâng lên mức 2 · Step up to level 2</a></p>'
            if visit.claims.get("acr") != LEVELS["2"]
            else ""
        )
        body = (
            f"<p>Mức xác thực · Level: <strong id='acr'>{level}</strong></p>"
            f"<p>Phương thức · Methods (amr): <span id='amr'>{amr}</span></p>"
            f"<h2>Thông tin nhận được · Claims received</h2><table id='claims'>{rows}</table>{step_up}"
            '<p><a class="button" id="logout" href="/logout">Đăng xuất · Sign out</a></p>'
        )
        return _page("Xin chào · Welcome", body)

    @app.get("/logout")
    async def logout(request: Request) -> Response:
        visit = state.visits.pop(request.cookies.get(COOKIE, ""), None)
        target = "/"
        if visit is not None:
            async with oauth() as client:
                endpoint = (await metadata(client))["end_session_endpoint"]
            query = {"id_token_hint": visit.id_token, "post_logout_redirect_uri": f"{config.portal_url}/"}
            target = f"{endpoint}?{urlencode(query)}"
        response = RedirectResponse(target, 303)
        response.delete_cookie(COOKIE)
        return response

    return app


def _verified(id_token: str, keys: KeySet, config: PortalConfig, nonce: str) -> dict[str, Any]:
    """OpenID Connect Core §3.1.3.7: the provider's signature, and iss, aud, exp, iat, nonce, acr present."""
    token = jwt.decode(id_token, keys, algorithms=["RS256", "ES256"])
    registry = jwt.JWTClaimsRegistry(
        now=config.clock,
        iss={"essential": True, "value": config.issuer},
        aud={"essential": True, "value": config.client_id},
        exp={"essential": True},
        iat={"essential": True},
        nonce={"essential": True, "value": nonce},
        acr={"essential": True, "values": list(LEVELS.values())},
    )
    registry.validate(token.claims)
    return dict(token.claims)


def _page(title: str, body: str, status: int = 200) -> HTMLResponse:
    return HTMLResponse(
        f"""<!doctype html><html lang="vi"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1"><title>{html.escape(title)}</title>
<style>body{{font-family:system-ui,sans-serif;margin:0;background:#f3f5f8;color:#1d2430}}
header{{background:#0b57d0;color:#fff;padding:.6rem 1rem}} main{{padding:1rem;max-width:40rem;margin:auto}}
.sim{{background:#fff4d6;border:1px solid #a15c00;padding:.4rem .6rem;border-radius:6px;font-size:.9rem}}
.button{{display:inline-block;padding:.7rem 1rem;background:#0b57d0;color:#fff;border-radius:8px;text-decoration:none}}
table{{border-collapse:collapse;width:100%}}
th,td{{text-align:left;border-bottom:1px solid #d7dce3;padding:.3rem;overflow-wrap:anywhere}}</style>
</head><body><header><strong>Cổng dịch vụ công</strong> · Public services portal</header><main>
<p class="sim" id="simulated">Cổng thử nghiệm (dịch vụ công mô phỏng) · Demo portal (simulated public service)</p>
<h1>{html.escape(title)}</h1>{body}</main></body></html>""",
        status_code=status,
    )
