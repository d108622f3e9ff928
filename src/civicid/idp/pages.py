"""The citizen's side of the provider (``/idp``): the authorization endpoint, the sign-in pages (ID number
and password, then an SMS code for level 2), consent per service, and RP-initiated logout.

Pages are server-rendered, Vietnamese first and English, in the app's stylesheet, with no CDN and one
local script (the sign-in page's, for the device key: ``static/device.js``). The sign-in cookie is
HttpOnly, SameSite=Lax, and Secure over HTTPS; the consent form also carries a token derived from it, so
no other site can submit it.
"""

from __future__ import annotations

import hmac
from collections.abc import Callable
from pathlib import Path
from typing import Annotated
from urllib.parse import parse_qsl, urlencode, urlsplit

from authlib.oauth2 import OAuth2Error
from authlib.oauth2.rfc6749.errors import InvalidRequestError
from authlib.oidc.core.errors import ConsentRequiredError, LoginRequiredError
from fastapi import APIRouter, Form, Request
from fastapi.responses import RedirectResponse
from sqlalchemy.orm import Session
from starlette.responses import Response

from civicid.accounts.errors import (
    AccountLocked,
    DeviceNotBound,
    InvalidDeviceProof,
    InvalidHolderCredentials,
    LoginLocked,
)
from civicid.accounts.hashing import SecretHasher
from civicid.accounts.router import Hasher, recorded
from civicid.core.database import unit_of_work
from civicid.idp import consents, signin
from civicid.idp.clients import ClientRecord, find_client
from civicid.idp.errors import InvalidLoginCode
from civicid.idp.hashing import digest
from civicid.idp.levels import requested_level
from civicid.idp.provider import Client, HttpRequest, Provider, Subject
from civicid.idp.router import Plain, issuer_of, provider_keys, respond
from civicid.idp.scopes import claims_of
from civicid.web.deps import AppContext
from civicid.web.middleware import CONTENT_SECURITY_POLICY
from civicid.web.templating import render

router = APIRouter(include_in_schema=False)

COOKIE = "civicid_idp"
#: The sign-in page's one script (the device key as second factor), served at ``STATIC_PATH``.
STATIC_DIR = Path(__file__).resolve().parent / "static"
STATIC_PATH = "/idp/static"
AUTHORIZE = "/idp/authorize"
RETURN_MAX = 4000
ReturnTo = Annotated[str, Form(max_length=RETURN_MAX)]


@router.get("/authorize")
def authorize(request: Request, context: AppContext, plain: Plain, hasher: Hasher) -> Response:
    """The authorization endpoint (RFC 6749 §3.1; OpenID Connect Core §3.1.2): sign in, step up, consent, code."""
    keys = provider_keys(request, context)
    with unit_of_work(context.database.sessions) as session:
        provider = Provider(session=session, clock=context.clock, keys=keys, issuer=issuer_of(request))
        return _authorize(request, session, provider, plain, hasher)


def _authorize(
    request: Request, session: Session, provider: Provider, plain: HttpRequest, hasher: SecretHasher
) -> Response:
    clock = provider.clock
    signed = signin.current(session=session, clock=clock, token=request.cookies.get(COOKIE))
    try:
        grant = provider.get_consent_grant(plain, end_user=_subject(signed))
    except OAuth2Error as error:
        return _error(request, provider, plain, error)
    client: Client = grant.request.client
    data = grant.request.payload.data
    redirect_uri = grant.request.payload.redirect_uri
    if not redirect_uri:
        return _page_error(request, "idp.error.redirect_uri")
    wanted = requested_level(data.get("acr_values"))
    if wanted > client.record.max_level:
        above = InvalidRequestError("this service may not ask for that level", redirect_uri=redirect_uri)
        return _error(request, provider, plain, above)
    prompts = set(data.get("prompt", "").split())
    return_to = _return_to(plain)
    max_age = data.get("max_age", "")
    too_old = (
        signed is not None and max_age.isdigit() and (clock.now() - signed.auth_time).total_seconds() > int(max_age[:9])
    )
    if signed is None or "login" in prompts or too_old:
        if "none" in prompts:
            return _error(request, provider, plain, LoginRequiredError(redirect_uri=redirect_uri))
        return RedirectResponse(f"/idp/login?{urlencode({'return_to': _without_prompt(return_to)})}", 303)
    if signed.level < wanted <= signed.reachable_level:
        # Step-up (decision 0045): the session is below the level asked, and the account can reach it.
        if "none" in prompts:
            return _error(request, provider, plain, LoginRequiredError(redirect_uri=redirect_uri))
        signin.send_code(session=session, clock=clock, token=signed.token, hasher=hasher)
        return RedirectResponse(f"/idp/login/code?{urlencode({'return_to': return_to})}", 303)
    scope = client.get_allowed_scope(data.get("scope", ""))
    if "consent" in prompts or not consents.covers(
        session=session, account_id=signed.account_id, client_id=client.client_id, scope=scope
    ):
        if "none" in prompts:
            return _error(request, provider, plain, ConsentRequiredError(redirect_uri=redirect_uri))
        values = {
            "client_name": client.record.name,
            "claims": claims_of(scope),
            "level": signed.level,
            "return_to": _without_prompt(return_to),
            "csrf": _csrf(signed.token),
        }
        return _allow_redirect(render(request, "idp/consent.html", values), client.record)
    answer = provider.create_authorization_response(plain, grant_user=_subject(signed), grant=grant)
    signin.record_service_login(session=session, clock=clock, signed=signed, client_name=client.record.name)
    return respond(answer)


@router.get("/login")
def login_page(request: Request, context: AppContext, return_to: str = "") -> Response:
    return _login_page(request, context, _checked_return(return_to))


@router.post("/login")
def login_submit(
    request: Request,
    context: AppContext,
    hasher: Hasher,
    return_to: ReturnTo = "",
    id_number: Annotated[str, Form(max_length=20)] = "",
    password: Annotated[str, Form(max_length=1024)] = "",
) -> Response:
    """The ID number and the password: a level-1 session; then the SMS code when the service asks for level 2."""
    number = id_number.strip()
    return _signed_in_or_refused(
        request,
        context,
        hasher,
        _checked_return(return_to),
        number,
        lambda session: signin.sign_in(
            session=session, clock=context.clock, id_number=number, password=password, hasher=hasher
        ),
    )


@router.post("/login/device")
def login_device_submit(
    request: Request,
    context: AppContext,
    hasher: Hasher,
    return_to: ReturnTo = "",
    id_number: Annotated[str, Form(max_length=20)] = "",
    password: Annotated[str, Form(max_length=1024)] = "",
    device_proof: Annotated[str, Form(max_length=2000)] = "",
) -> Response:
    """The password and a proof from the phone the account is bound to (the page's script makes it with the
    app's device key): level 2 at once on a level-2 account, with no SMS."""
    number = id_number.strip()
    return _signed_in_or_refused(
        request,
        context,
        hasher,
        _checked_return(return_to),
        number,
        lambda session: signin.sign_in_with_device(
            session=session,
            clock=context.clock,
            id_number=number,
            password=password,
            device_proof=device_proof,
            hasher=hasher,
        ),
    )


def _signed_in_or_refused(
    request: Request,
    context: AppContext,
    hasher: SecretHasher,
    target: str,
    number: str,
    work: Callable[[Session], signin.SignedIn],
) -> Response:
    """Run a sign-in (its refusals are recorded first), then go on to the SMS code if the service wants more."""
    try:
        signed = recorded(context, work, (InvalidHolderCredentials, LoginLocked, DeviceNotBound, InvalidDeviceProof))
    except LoginLocked as exc:
        minutes = str(max(1, int(exc.extensions.get("retry_after_seconds", 60)) // 60))
        return _login_page(request, context, target, "idp.login.locked", {"minutes": minutes}, number, 429)
    except AccountLocked:
        return _login_page(request, context, target, "idp.login.account_locked", {}, number, 403)
    except InvalidHolderCredentials:
        return _login_page(request, context, target, "idp.login.wrong", {}, number, 401)
    except (DeviceNotBound, InvalidDeviceProof):
        return _login_page(request, context, target, "idp.login.device_refused", {}, number, 401, device=False)
    wanted = requested_level(_query_of(target).get("acr_values"))
    if signed.level < wanted <= signed.reachable_level:
        with unit_of_work(context.database.sessions) as session:
            signin.send_code(session=session, clock=context.clock, token=signed.token, hasher=hasher)
        response: Response = RedirectResponse(f"/idp/login/code?{urlencode({'return_to': target})}", 303)
    else:
        response = RedirectResponse(target, 303)
    _set_cookie(request, response, signed.token)
    return response


@router.get("/login/code")
def code_page(request: Request, context: AppContext, return_to: str = "", sent: str = "1") -> Response:
    return render(
        request, "idp/code.html", {"return_to": _checked_return(return_to), "error": None, "sent": sent != "0"}
    )


@router.post("/login/code")
def code_submit(
    request: Request,
    context: AppContext,
    hasher: Hasher,
    return_to: ReturnTo = "",
    code: Annotated[str, Form(max_length=10)] = "",
) -> Response:
    """The SMS code: the session reaches level 2 (``amr``: password and SMS), then the authorization goes on."""
    target = _checked_return(return_to)
    token = request.cookies.get(COOKIE) or ""
    try:
        recorded(
            context,
            lambda session: signin.step_up(
                session=session, clock=context.clock, token=token, code=code.strip(), hasher=hasher
            ),
            (InvalidLoginCode,),
        )
    except InvalidLoginCode:
        values = {"return_to": target, "error": "idp.code.wrong", "sent": True}
        page = render(request, "idp/code.html", values, status_code=400)
        return _allow_redirect(page, _client_of(context, target))
    return RedirectResponse(target, 303)


@router.post("/login/code/resend")
def code_resend(request: Request, context: AppContext, hasher: Hasher, return_to: ReturnTo = "") -> Response:
    target = _checked_return(return_to)
    try:
        with unit_of_work(context.database.sessions) as session:
            sent = signin.send_code(
                session=session, clock=context.clock, token=request.cookies.get(COOKIE) or "", hasher=hasher
            )
    except InvalidLoginCode:
        return RedirectResponse(target, 303)
    return RedirectResponse(f"/idp/login/code?{urlencode({'return_to': target, 'sent': int(sent)})}", 303)


@router.post("/consent")
def consent_submit(
    request: Request,
    context: AppContext,
    hasher: Hasher,
    return_to: ReturnTo = "",
    decision: Annotated[str, Form(max_length=10)] = "",
    csrf: Annotated[str, Form(max_length=100)] = "",
) -> Response:
    """Allow: remembered for this service and these scopes, then the code. Deny: ``access_denied`` to the service."""
    target = _checked_return(return_to)
    keys = provider_keys(request, context)
    plain = HttpRequest("GET", f"{issuer_of(request)}{target}", dict(request.headers), _query_of(target))
    with unit_of_work(context.database.sessions) as session:
        signed = signin.current(session=session, clock=context.clock, token=request.cookies.get(COOKIE))
        if signed is None or not hmac.compare_digest(csrf, _csrf(signed.token)):
            return RedirectResponse(target, 303)
        provider = Provider(session=session, clock=context.clock, keys=keys, issuer=issuer_of(request))
        try:
            grant = provider.get_consent_grant(plain, end_user=_subject(signed))
        except OAuth2Error as error:
            return _error(request, provider, plain, error)
        client: Client = grant.request.client
        if decision != "allow":
            return respond(provider.create_authorization_response(plain, grant_user=None, grant=grant))
        scope = client.get_allowed_scope(grant.request.payload.scope or "")
        consents.grant(
            session=session, clock=context.clock, account_id=signed.account_id, client_id=client.client_id, scope=scope
        )
    return RedirectResponse(target, 303)


@router.api_route("/logout", methods=["GET", "POST"])
def logout(request: Request, context: AppContext, plain: Plain) -> Response:
    """RP-initiated logout (OpenID Connect RP-Initiated Logout 1.0): with a valid ``id_token_hint`` at once,
    back to a registered ``post_logout_redirect_uri``; without one, after the citizen confirms."""
    keys = provider_keys(request, context)
    with unit_of_work(context.database.sessions) as session:
        provider = Provider(session=session, clock=context.clock, keys=keys, issuer=issuer_of(request))
        try:
            ending = provider.validate_endpoint_request("end_session", plain)
        except OAuth2Error:
            return _page_error(request, "idp.error.logout")
        if ending.needs_confirmation and plain.method == "GET":
            values = {
                "title": "idp.logout.title",
                "text": "idp.logout.ask",
                "confirm_logout": True,
                "hidden": {
                    k: v for k, v in plain.query.items() if k in {"client_id", "state", "post_logout_redirect_uri"}
                },
            }
            client = None if ending.client is None else ending.client.record
            return _allow_redirect(render(request, "idp/message.html", values), client)
        provider.end_session_token = request.cookies.get(COOKIE)
        answer = provider.create_endpoint_response("end_session", ending)
    if answer is not None:
        response = respond(answer)
    else:
        response = render(
            request,
            "idp/message.html",
            {"title": "idp.logout.title", "text": "idp.logout.done", "confirm_logout": False, "hidden": {}},
        )
    response.delete_cookie(COOKIE, path="/idp")
    return response


def _login_page(
    request: Request,
    context: AppContext,
    return_to: str,
    error: str | None = None,
    error_params: dict[str, str] | None = None,
    id_number: str = "",
    status_code: int = 200,
    *,
    device: bool = True,
) -> Response:
    query = _query_of(return_to)
    with unit_of_work(context.database.sessions) as session:
        client = find_client(session, query.get("client_id", ""))
    values = {
        "return_to": return_to,
        "client_name": None if client is None else client.name,
        "level": requested_level(query.get("acr_values")),
        "error": error,
        "error_params": error_params or {},
        "id_number": id_number if id_number.isdigit() else "",
        # The page's script may sign in with the app's device key; not again once that was refused.
        "device": device,
    }
    return _allow_redirect(render(request, "idp/login.html", values, status_code=status_code), client)


def _client_of(context: AppContext, return_to: str) -> ClientRecord | None:
    with unit_of_work(context.database.sessions) as session:
        return find_client(session, _query_of(return_to).get("client_id", ""))


def _allow_redirect(response: Response, client: ClientRecord | None) -> Response:
    """The page's forms may end in a redirect to the service (CSP ``form-action`` covers redirects):
    allow the origins of its registered redirect URIs, and only those."""
    origins = sorted({f"{p.scheme}://{p.netloc}" for p in map(urlsplit, client.redirect_uris)} if client else set())
    response.headers["Content-Security-Policy"] = CONTENT_SECURITY_POLICY.replace(
        "form-action 'self'", " ".join(["form-action 'self'", *origins])
    )
    return response


def _subject(signed: signin.SignedIn | None) -> Subject | None:
    if signed is None:
        return None
    return Subject(signed.account_id, signed.level, signed.amr, signed.auth_time)


def _error(request: Request, provider: Provider, plain: HttpRequest, error: OAuth2Error) -> Response:
    """Back to the service with the error when its redirect URI is registered (RFC 6749 §4.1.2.1); a page otherwise."""
    if getattr(error, "redirect_uri", None):
        error.state = plain.query.get("state")
        return respond(provider.handle_error_response(provider.create_oauth2_request(plain), error))
    return _page_error(request, "idp.error.request")


def _page_error(request: Request, text: str) -> Response:
    values = {"title": "idp.error.title", "text": text, "confirm_logout": False, "hidden": {}}
    return render(request, "idp/message.html", values, status_code=400)


def _set_cookie(request: Request, response: Response, token: str) -> None:
    secure = request.url.scheme == "https"
    response.set_cookie(
        COOKIE,
        token,
        max_age=int(signin.SESSION_LIFETIME.total_seconds()),
        httponly=True,
        samesite="lax",
        secure=secure,
        path="/idp",
    )


def _csrf(token: str) -> str:
    return digest(f"consent:{token}")[:32]


def _return_to(plain: HttpRequest) -> str:
    return f"{AUTHORIZE}?{urlencode(plain.query)}"


def _without_prompt(return_to: str) -> str:
    """The request to come back to once signed in: ``prompt`` and ``max_age`` are met by then (a fresh sign-in)."""
    query = {k: v for k, v in _query_of(return_to).items() if k not in {"prompt", "max_age"}}
    return f"{AUTHORIZE}?{urlencode(query)}"


def _checked_return(return_to: str) -> str:
    """Only the authorization endpoint of this server: never an open redirect."""
    parts = urlsplit(return_to)
    if (
        parts.scheme
        or parts.netloc
        or parts.path != AUTHORIZE
        or len(return_to) > RETURN_MAX
        or not return_to.isprintable()
    ):
        return AUTHORIZE
    return return_to


def _query_of(return_to: str) -> dict[str, str]:
    return dict(parse_qsl(urlsplit(return_to).query))
