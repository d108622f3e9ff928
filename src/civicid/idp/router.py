"""The provider's machine endpoints: discovery, the JWK Set, the token endpoint and UserInfo.

Answers follow the OAuth and OpenID specifications, not RFC 9457: a client library expects
``{"error": "invalid_grant"}`` from the token endpoint (RFC 6749 §5.2) and ``WWW-Authenticate`` from
UserInfo (RFC 6750 §3).
"""

from __future__ import annotations

import json
from typing import Annotated, Any

from authlib.oauth2.rfc6749.errors import InsecureTransportError
from fastapi import APIRouter, Depends, Request
from fastapi.responses import JSONResponse
from starlette.responses import Response

from civicid.core.database import unit_of_work
from civicid.core.keystore import Keystore, master_key_from_environment
from civicid.core.runtime import Context
from civicid.idp import claims, discovery
from civicid.idp.errors import InvalidOAuthRequest, SignInRequired
from civicid.idp.keys import ProviderKeys
from civicid.idp.provider import HttpRequest, HttpResponse, Provider
from civicid.web.deps import AppContext

router = APIRouter(include_in_schema=False)
well_known = APIRouter(include_in_schema=False)
NO_STORE = {"Cache-Control": "no-store", "Pragma": "no-cache"}
MAX_VALUE = 4096


async def plain_request(request: Request) -> HttpRequest:
    """The framework's request as the provider's plain values; a repeated or oversized parameter is refused."""
    query = _single(request.query_params.multi_items())
    form: dict[str, str] = {}
    if request.method == "POST":
        submitted = await request.form()
        form = _single([(k, v) for k, v in submitted.multi_items() if isinstance(v, str)])
    return HttpRequest(request.method, str(request.url), dict(request.headers), query, form)


Plain = Annotated[HttpRequest, Depends(plain_request)]


def issuer_of(request: Request) -> str:
    """The issuer URL: this server's origin as the client reaches it (behind the proxy's forwarded headers)."""
    return str(request.base_url).rstrip("/")


def provider_keys(request: Request, context: Context) -> ProviderKeys:
    """The provider's keys, opened from the keystore on first use and kept for the app's life."""
    keys: ProviderKeys | None = getattr(request.app.state, "idp_keys", None)
    if keys is None:
        keys = ProviderKeys(Keystore.open(context.settings.data_dir, master_key_from_environment()))
        request.app.state.idp_keys = keys
    return keys


def respond(answer: HttpResponse) -> Response:
    """authlib's (status, body, headers) as a response: JSON for dicts, a redirect's empty body otherwise."""
    headers = dict(answer.headers)
    headers.pop("Content-Type", None)
    if isinstance(answer.body, dict):
        return JSONResponse(answer.body, status_code=answer.status, headers=headers)
    return Response(str(answer.body or ""), status_code=answer.status, headers=headers)


@well_known.get("/.well-known/openid-configuration")
def configuration(request: Request) -> JSONResponse:
    """OpenID Connect Discovery 1.0 §4: the provider's metadata."""
    return JSONResponse(discovery.metadata(issuer_of(request)), headers={"Cache-Control": "max-age=300"})


@router.get("/jwks")
def jwks(request: Request, context: AppContext) -> JSONResponse:
    """The public keys ID tokens are signed with (RFC 7517 §5)."""
    return JSONResponse(provider_keys(request, context).jwks(), headers={"Cache-Control": "max-age=300"})


@router.post("/token")
def token(request: Request, context: AppContext, plain: Plain) -> Response:
    """The token endpoint (RFC 6749 §3.2): a code for tokens (with PKCE), or a refresh token for new ones.

    The transaction commits whatever the answer: a refused reuse has revoked a token family by then.
    """
    keys = provider_keys(request, context)
    with unit_of_work(context.database.sessions) as session:
        provider = Provider(session=session, clock=context.clock, keys=keys, issuer=issuer_of(request))
        try:
            answer = provider.create_token_response(plain)
        except InsecureTransportError:
            # authlib refuses plain HTTP off loopback (RFC 6749 §3.2 requires TLS).
            body = {"error": "invalid_request", "error_description": "the token endpoint needs HTTPS"}
            return JSONResponse(body, status_code=400, headers=NO_STORE)
    return respond(answer)


@router.api_route("/userinfo", methods=["GET", "POST"])
def userinfo(request: Request, context: AppContext) -> Response:
    """The UserInfo endpoint (OpenID Connect Core §5.3), for a Bearer access token (RFC 6750 §2.1)."""
    scheme, _, value = request.headers.get("authorization", "").partition(" ")
    if scheme.lower() != "bearer" or not value:
        return _unauthorized("invalid_request")
    try:
        with unit_of_work(context.database.sessions) as session:
            grant = claims.access_grant(session=session, clock=context.clock, access_token=value.strip())
            info = claims.user_info(session=session, clock=context.clock, grant=grant)
    except SignInRequired:
        return _unauthorized("invalid_token")
    return JSONResponse(info, headers=NO_STORE)


def _unauthorized(error: str) -> Response:
    body: dict[str, Any] = {"error": error}
    return Response(
        json.dumps(body),
        status_code=401 if error == "invalid_token" else 400,
        media_type="application/json",
        headers={"WWW-Authenticate": f'Bearer error="{error}"', **NO_STORE},
    )


def _single(items: list[tuple[str, str]]) -> dict[str, str]:
    values: dict[str, str] = {}
    for key, value in items:
        if key in values or len(value) > MAX_VALUE or "\x00" in value:
            raise InvalidOAuthRequest(f"the parameter {key[:40]!r} is repeated, too long or holds a NUL")
        values[key] = value
    return values
