"""The credentials' JSON API.

- The holder's (``/api/v1/accounts/me/credentials``, session and device headers as the wallet's):
  ``POST /qr`` a QR to show (the e-ID, a document, a minimal credential) and ``POST /sd-jwt`` an
  SD-JWT VC for online presentation. A document's needs the passcode: a wrong one is committed,
  then refused (``accounts.router.recorded``).
- Everyone's (``/api/v1/credentials``): ``GET /trust-bundle`` what verifiers keep,
  ``GET /status-lists/{id}`` a status list (JWT, or CWT when asked for ``application/statuslist+cwt``),
  ``POST /verify`` the server's own check, recorded in the holder's usage history.
- The staff's: ``POST /persons/{person_id}/paper-card`` (a PDF) and ``…/credentials/{id}/revoke``.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Header, Path, Request
from fastapi.responses import Response

from civicid.accounts import service as accounts
from civicid.accounts.router import CurrentHolder, Hasher, recorded, visible_account
from civicid.core.audit import Actor
from civicid.core.crypto._b64 import b64url_decode
from civicid.credentials import service
from civicid.credentials.errors import CredentialUnavailable
from civicid.credentials.keys import IssuerKeys
from civicid.credentials.schemas import (
    IssuedCredentialRead,
    QrOut,
    QrRequest,
    SdJwtOut,
    SdJwtRequest,
    VerdictOut,
    VerifyIn,
)
from civicid.credentials.service import Holder
from civicid.wallet.portraits import PortraitVault
from civicid.wallet.router import Vault
from civicid.web.deps import AppContext, DbSession
from civicid.web.problems import problem_responses
from civicid.web.roles import Permission, require
from civicid.web.staff import StaffAccount
from civicid.web.staff_service import staff_actor

holder_router = APIRouter(tags=["credentials"])
router = APIRouter(tags=["credentials"])

TRUST_MEDIA_TYPE = "application/civicid-trust+jwt"
PDF = "application/pdf"
#: Who checks a credential through the public endpoint: a verifier, unnamed.
PUBLIC_VERIFIER = Actor("public", "verifier")
Officer = Annotated[StaffAccount, Depends(require(Permission.ACCOUNT_LOCK))]
PersonId = Annotated[int, Path(ge=1, le=2**31 - 1)]


def issuer_keys(request: Request, context: AppContext) -> IssuerKeys:
    """The issuer's keys, opened from the keystore once per app."""
    keys: IssuerKeys | None = getattr(request.app.state, "issuer_keys", None)
    if keys is None:
        keys = request.app.state.issuer_keys = IssuerKeys.of_data_dir(context.settings.data_dir)
    return keys


Keys = Annotated[IssuerKeys, Depends(issuer_keys)]


@holder_router.post("/qr", responses=problem_responses(401, 403, 404, 409, 422, 423))
def post_qr(
    body: QrRequest, request: CurrentHolder, context: AppContext, keys: Keys, vault: Vault, hasher: Hasher
) -> QrOut:
    """A QR to show. ``eid`` (default): the e-ID card, MOSIP Claim 169, the fields chosen (all by default),
    valid 60 seconds and bound to this device; ask again for a fresh one. A document (``driving_licence``,
    ``health_insurance``, ``vehicle_registration``) or ``health_insurance_valid``: with ``document_id`` and
    the passcode. ``age_over_18``: no passcode. Verifiable offline with the trust bundle."""
    found = request.holder
    holder = Holder(found.account_id, found.person_id, found.device_id)
    if body.profile.value == "eid":
        return recorded(
            context,
            lambda session: service.identity_qr(
                session=session, clock=context.clock, keys=keys, vault=vault, holder=holder, fields=body.fields or ()
            ),
        )
    return recorded(
        context,
        lambda session: service.document_qr(
            session=session, clock=context.clock, keys=keys, holder=holder, profile=body.profile,
            document_id=body.document_id, passcode=body.passcode, fields=body.fields or (), hasher=hasher,
        ),
    )  # fmt: skip


@holder_router.post("/sd-jwt", responses=problem_responses(401, 403, 404, 409, 422, 423))
def post_sd_jwt(
    body: SdJwtRequest, request: CurrentHolder, context: AppContext, keys: Keys, hasher: Hasher
) -> SdJwtOut:
    """An SD-JWT VC (RFC 9901, ``dc+sd-jwt``) of the e-ID, or of a document with the passcode, bound to this
    device's key: the app presents it with the disclosures the citizen chooses and a key-binding JWT."""
    found = request.holder
    holder = Holder(found.account_id, found.person_id, found.device_id)

    def issue(session: DbSession) -> SdJwtOut:
        jwk = accounts.device_public_jwk(session=session, account_id=holder.account_id)
        if jwk is None:
            raise CredentialUnavailable("the account has no bound device")
        return service.sd_jwt(
            session=session, clock=context.clock, keys=keys, holder=holder, holder_jwk=jwk,
            document_id=body.document_id, passcode=body.passcode, hasher=hasher,
        )  # fmt: skip

    return recorded(context, issue)


@router.get("/trust-bundle", response_class=Response, responses={200: {"content": {TRUST_MEDIA_TYPE: {}}}})
def get_trust_bundle(context: AppContext, session: DbSession, keys: Keys) -> Response:
    """The verifiers' trust bundle (``civicid-trust/1``): issuer keys, status lists, rules; signed. Header
    ``CivicID-Trust-Anchor`` names the thumbprint to pin."""
    text = service.trust_bundle(session=session, clock=context.clock, keys=keys)
    headers = {"Cache-Control": "no-cache", "CivicID-Trust-Anchor": service.trust_anchor(keys)}
    return Response(content=text, media_type=TRUST_MEDIA_TYPE, headers=headers)


@router.get("/status-lists/{list_id}", response_class=Response, responses=problem_responses(404))
def get_status_list(
    list_id: Annotated[int, Path(ge=1, le=2**31 - 1)],
    context: AppContext,
    session: DbSession,
    keys: Keys,
    accept: Annotated[str, Header()] = "",
) -> Response:
    """A Token Status List: ``application/statuslist+jwt``, or ``application/statuslist+cwt`` when asked for."""
    if "application/statuslist+cwt" in accept:
        token = service.status_list_token(session=session, clock=context.clock, keys=keys, list_id=list_id, form="cwt")
        return Response(content=b64url_decode(token), media_type="application/statuslist+cwt")
    token = service.status_list_token(session=session, clock=context.clock, keys=keys, list_id=list_id)
    return Response(content=token, media_type="application/statuslist+jwt")


@router.post("/verify", responses=problem_responses(422))
def post_verify(body: VerifyIn, context: AppContext, session: DbSession, keys: Keys) -> VerdictOut:
    """Check a QR text or an SD-JWT VC online, with the live trust bundle (and, for an SD-JWT with key
    binding, the nonce and audience asked for). A credential of this server is recorded in its holder's history."""
    verdict = service.check_online(
        session=session, clock=context.clock, keys=keys, credential=body.credential, actor=PUBLIC_VERIFIER,
        nonce=body.nonce, audience=body.audience,
    )  # fmt: skip
    return VerdictOut.model_validate(verdict.as_json())


@router.post(
    "/persons/{person_id}/paper-card",
    response_class=Response,
    responses={**problem_responses(401, 403, 404, 409), 200: {"content": {PDF: {}}}},
)
def post_paper_card(
    person_id: PersonId, context: AppContext, session: DbSession, principal: Officer, keys: Keys, vault: Vault
) -> Response:
    """The paper card of a person without a smartphone (PDF): photo, name and a long-lived, revocable e-ID QR."""
    return Response(content=paper_card(session, context, principal, person_id, keys, vault), media_type=PDF)


@router.get("/persons/{person_id}/credentials", responses=problem_responses(401, 403, 404))
def get_credentials(
    person_id: PersonId, context: AppContext, session: DbSession, principal: Officer
) -> list[IssuedCredentialRead]:
    """The person's long-lived credentials (paper cards, SD-JWT VCs) and their status."""
    visible_account(session, context, principal, person_id)
    return service.credentials_of(session=session, person_id=person_id)


@router.post(
    "/persons/{person_id}/credentials/{credential_id}/revoke",
    status_code=204,
    responses=problem_responses(401, 403, 404, 422),
)
def post_revoke(
    person_id: PersonId, credential_id: Annotated[str, Path(max_length=32)], context: AppContext, session: DbSession,
    principal: Officer,
) -> None:  # fmt: skip
    """Revoke a long-lived credential for good (a paper card lost or replaced): its bit in the status list flips."""
    visible_account(session, context, principal, person_id)
    service.revoke(
        session=session, clock=context.clock, actor=staff_actor(principal), person_id=person_id,
        credential_id=credential_id, reason="officer",
    )  # fmt: skip


def paper_card(
    session: DbSession, context: AppContext, principal: StaffAccount, person_id: int, keys: IssuerKeys,
    vault: PortraitVault,
) -> bytes:  # fmt: skip
    """The PDF, for a person in the officer's commune (the page's button and the API share it)."""
    visible_account(session, context, principal, person_id)
    return service.paper_card(
        session=session, clock=context.clock, keys=keys, vault=vault, actor=staff_actor(principal), person_id=person_id
    )
