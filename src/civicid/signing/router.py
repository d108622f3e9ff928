"""Signing's HTTP edge.

- The holder's (``/api/v1/signing/me``, session and device headers as the wallet's): ``GET`` the
  signature's state; ``POST /activation/code`` and ``POST /activation`` (passcode and SMS code);
  ``POST /revoke`` (passcode); ``POST /sign`` a PDF (``application/pdf``, the passcode in
  ``CivicID-Passcode``) answered by the signed PDF; ``GET /history``; ``GET /certificate.pem``.
  Wrong passcodes and codes are committed, then refused (``accounts.router.recorded``).
- Everyone's: ``POST /api/v1/signing/verify`` a PDF (``civicid-pdf-verify/1``), and the PKI under
  ``/pki/``: CA certificates (DER), CRLs (DER, RFC 5280), OCSP (RFC 6960 §A.1, POST and GET) and the
  time-stamping authority (RFC 3161 §3.4, POST).
"""

from __future__ import annotations

import base64
import binascii
import datetime as dt
from typing import Annotated
from urllib.parse import unquote

from cryptography.hazmat.primitives import serialization
from fastapi import APIRouter, Depends, Header, Request
from fastapi.responses import Response
from starlette.exceptions import HTTPException as StarletteHTTPException

from civicid.accounts import service as accounts
from civicid.accounts.activation import holder_actor
from civicid.accounts.errors import RECORDED_REFUSALS
from civicid.accounts.passcode import verify_passcode
from civicid.accounts.router import CurrentHolder, Hasher, recorded
from civicid.accounts.schemas import PasscodeIn
from civicid.accounts.statuses import AccountStatus
from civicid.core.database import unit_of_work
from civicid.signing import service
from civicid.signing.errors import PkiRequestInvalid, SignatureNotAllowed
from civicid.signing.models import CaRole, RevocationReason
from civicid.signing.pdf import MAX_PDF_BYTES
from civicid.signing.schemas import ActivationIn, SignatureCodeSent, SignatureState, VerifiedSignature, VerifyOut
from civicid.signing.service import CertificateView, Signing, SigningEventView
from civicid.signing.tsa import MEDIA_TYPE_REPLY, MEDIA_TYPE_REQUEST, TimeStampingUnit
from civicid.web.deps import AppContext, DbSession
from civicid.web.problems import problem_responses
from civicid.web.ratelimit import RateLimit
from civicid.web.routes import body_limit

router = APIRouter(tags=["signing"])
pki_router = APIRouter(tags=["pki"])
PDF = "application/pdf"
#: OCSP and time-stamp requests are small; anything larger is refused unread.
PKI_REQUEST_MAX_BYTES = 16 * 1024
#: The simulated adapters of signing's, as the composition names them (``Plugins.simulated``).
SIGNING_SIMULATED = frozenset({"time_stamping_authority"})
REFUSALS = (*RECORDED_REFUSALS, SignatureNotAllowed)
#: Verifying a PDF costs a few hundred milliseconds of CPU and anyone may ask: per address, per minute.
VERIFY_LIMIT = RateLimit(limit=20, window=dt.timedelta(minutes=1))


def signing_runtime(request: Request) -> Signing:
    """The signing runtime the app factory plugged in (``app.state.signing``: a callable that builds it once)."""
    build = request.app.state.signing
    runtime: Signing = build()
    return runtime


Runtime = Annotated[Signing, Depends(signing_runtime)]


async def _body(request: Request, limit: int) -> bytes:
    too_large = StarletteHTTPException(413, detail=f"the body holds at most {limit} bytes")
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > limit:
        raise too_large
    body = bytearray()
    async for piece in request.stream():
        body += piece
        if len(body) > limit:
            raise too_large
    return bytes(body)


async def pdf_body(request: Request) -> bytes:
    return await _body(request, MAX_PDF_BYTES)


async def pki_body(request: Request) -> bytes:
    return await _body(request, PKI_REQUEST_MAX_BYTES)


PdfBody = Annotated[bytes, Depends(pdf_body)]
PkiBody = Annotated[bytes, Depends(pki_body)]
_PDF_BODY = body_limit(
    MAX_PDF_BYTES, requestBody={"required": True, "content": {PDF: {"schema": {"type": "string", "format": "binary"}}}}
)


# The holder's --------------------------------------------------------------------------------------


def simulated_here(request: Request) -> list[str]:
    """What of signing is simulated in this deployment (the app says so beside the signature)."""
    plugins = getattr(request.app.state, "plugins", None)
    return sorted(SIGNING_SIMULATED.intersection(getattr(plugins, "simulated", ())))


@router.get("/me", responses=problem_responses(401))
def get_state(
    request: CurrentHolder, session: DbSession, simulated: Annotated[list[str], Depends(simulated_here)]
) -> SignatureState:
    account = accounts.get_account(session=session, account_id=request.holder.account_id)
    eligible = account.level >= service.SIGNATURE_LEVEL and account.status is AccountStatus.ACTIVE
    certificate = service.certificate_of(session=session, account_id=account.id)
    return SignatureState(eligible=eligible, certificate=certificate, simulated=simulated)


@router.post("/me/activation/code", status_code=202, responses=problem_responses(401, 403, 409))
def post_activation_code(request: CurrentHolder, context: AppContext, hasher: Hasher) -> SignatureCodeSent:
    """Send the SMS code that activation asks for (level-2 accounts only)."""
    sent = recorded(
        context,
        lambda session: service.request_activation_code(
            session=session, clock=context.clock, account_id=request.holder.account_id, hasher=hasher
        ),
        REFUSALS,
    )
    return SignatureCodeSent(sent=sent)


@router.post("/me/activation", status_code=201, responses=problem_responses(400, 401, 403, 409, 422, 423))
def post_activation(
    body: ActivationIn, request: CurrentHolder, context: AppContext, runtime: Runtime, hasher: Hasher
) -> CertificateView:
    """Activate the digital signature: passcode and SMS code; the key is made in the vault and certified."""
    return recorded(
        context,
        lambda session: service.activate(
            session=session,
            clock=context.clock,
            signing=runtime,
            account_id=request.holder.account_id,
            passcode=body.passcode,
            code=body.code,
            hasher=hasher,
        ),
        REFUSALS,
    )


@router.post("/me/revoke", responses=problem_responses(401, 403, 409, 422, 423))
def post_revoke(
    body: PasscodeIn, request: CurrentHolder, context: AppContext, runtime: Runtime, hasher: Hasher
) -> CertificateView:
    """Revoke the signing certificate for good (the passcode confirms); its key is destroyed."""
    passcode = body.passcode
    account_id = request.holder.account_id

    def work(session: DbSession) -> CertificateView:
        verify_passcode(
            session=session, clock=context.clock, account_id=account_id, passcode=passcode,
            action="signature_revoke", hasher=hasher,
        )  # fmt: skip
        return service.revoke(
            session=session, clock=context.clock, signing=runtime, account_id=account_id,
            actor=holder_actor(account_id), reason=RevocationReason.CESSATION_OF_OPERATION,
        )  # fmt: skip

    return recorded(context, work)


@router.get(
    "/me/certificate.pem", response_class=Response, responses={200: {"content": {"application/x-pem-file": {}}}}
)
def get_certificate(request: CurrentHolder, session: DbSession) -> Response:
    text = service.certificate_pem(session=session, account_id=request.holder.account_id)
    return Response(content=text, media_type="application/x-pem-file")


@router.post(
    "/me/sign",
    response_class=Response,
    openapi_extra=_PDF_BODY,
    responses={200: {"content": {PDF: {}}}, **problem_responses(401, 409, 413, 422, 423)},
)
def post_sign(
    request: CurrentHolder, context: AppContext, runtime: Runtime, hasher: Hasher, document: PdfBody,
    passcode: Annotated[str, Header(alias="CivicID-Passcode", min_length=1, max_length=10)],
) -> Response:  # fmt: skip
    """Sign a PDF (PAdES B-LT: time-stamped, with the revocation data embedded); the passcode confirms."""
    signed = recorded(
        context,
        lambda session: service.sign_document(
            session=session,
            clock=context.clock,
            signing=runtime,
            account_id=request.holder.account_id,
            document=document,
            passcode=passcode,
            hasher=hasher,
        ),
    )
    return Response(
        content=signed, media_type=PDF, headers={"Content-Disposition": 'attachment; filename="signed.pdf"'}
    )


@router.get("/me/history", responses=problem_responses(401))
def get_history(request: CurrentHolder, session: DbSession) -> list[SigningEventView]:
    """What the holder signed: each document's SHA-256, when, at which level (no document is kept)."""
    return service.history(session=session, account_id=request.holder.account_id)


def verify_limited(request: Request, context: AppContext) -> None:
    limit: RateLimit = getattr(request.app.state, "verify_pdf_limit", VERIFY_LIMIT)
    limit.check(request.client.host if request.client else "-", context.clock)


@router.post(
    "/verify",
    openapi_extra=_PDF_BODY,
    responses=problem_responses(413, 422, 429),
    dependencies=[Depends(verify_limited)],
)
def post_verify(context: AppContext, session: DbSession, runtime: Runtime, document: PdfBody) -> VerifyOut:
    """Verify every signature of any PDF: signer, time, integrity, certificate status (``civicid-pdf-verify/1``).
    No login; rate-limited per address."""
    reports = service.verify_document(session=session, clock=context.clock, signing=runtime, document=document)
    return VerifyOut(signatures=[VerifiedSignature(**vars(r), ok=r.ok) for r in reports])


# The PKI ------------------------------------------------------------------------------------------------


def _role(name: str, suffix: str) -> CaRole:
    stem = name.removesuffix(suffix)
    if stem == name or stem not in {r.value for r in CaRole}:
        raise StarletteHTTPException(404, detail="no such certificate or CRL")
    return CaRole(stem)


@pki_router.get("/ca/{name}", response_class=Response, responses={200: {"content": {"application/pkix-cert": {}}}})
def get_ca(name: str, context: AppContext, runtime: Runtime) -> Response:
    """A certificate of the hierarchy, DER: ``root.cer``, ``citizen.cer``, ``tsa.cer``."""
    role = _role(name, ".cer")
    with unit_of_work(context.database.sessions) as session:
        certificate = runtime.pki.hierarchy(session=session, clock=context.clock).certificate(role)
    return Response(certificate.public_bytes(serialization.Encoding.DER), media_type="application/pkix-cert")


@pki_router.get("/crl/{name}", response_class=Response, responses={200: {"content": {"application/pkix-crl": {}}}})
def get_crl(name: str, context: AppContext, runtime: Runtime) -> Response:
    """The CRL of ``root.crl`` or ``citizen.crl``, DER, signed now (RFC 5280 §5)."""
    role = _role(name, ".crl")
    if role is CaRole.TSA:
        raise StarletteHTTPException(404, detail="the time-stamping unit issues no CRL")
    with unit_of_work(context.database.sessions) as session:
        der = runtime.pki.crl(session=session, clock=context.clock, role=role)
    return Response(der, media_type="application/pkix-crl", headers={"Cache-Control": "max-age=300"})


@pki_router.post("/ocsp", response_class=Response, responses={200: {"content": {"application/ocsp-response": {}}}})
def post_ocsp(context: AppContext, runtime: Runtime, body: PkiBody) -> Response:
    """OCSP over HTTP POST (RFC 6960 §A.1): a DER ``OCSPRequest`` in, a DER ``OCSPResponse`` out."""
    return _ocsp(context, runtime, body)


@pki_router.get("/ocsp/{encoded:path}", response_class=Response)
def get_ocsp(encoded: str, context: AppContext, runtime: Runtime) -> Response:
    """OCSP over HTTP GET (RFC 6960 §A.1): the request's DER in base64, URL-encoded, as the path."""
    if len(encoded) > PKI_REQUEST_MAX_BYTES:
        raise StarletteHTTPException(414, detail="the request is too long")
    try:
        der = base64.b64decode(unquote(encoded), validate=True)
    except (binascii.Error, ValueError):
        der = b""
    return _ocsp(context, runtime, der)


def _ocsp(context: AppContext, runtime: Runtime, der: bytes) -> Response:
    with unit_of_work(context.database.sessions) as session:
        answer = runtime.pki.ocsp(session=session, clock=context.clock, request=der)
    return Response(answer, media_type="application/ocsp-response", headers={"Cache-Control": "no-cache"})


@pki_router.post(
    "/tsa",
    response_class=Response,
    responses={200: {"content": {MEDIA_TYPE_REPLY: {}}}, **problem_responses(400, 413)},
)
def post_tsa(
    context: AppContext, runtime: Runtime, body: PkiBody,
    content_type: Annotated[str, Header(alias="Content-Type")] = "",
) -> Response:  # fmt: skip
    """The demo's time-stamping authority (RFC 3161 §3.4): ``application/timestamp-query`` in, a reply out."""
    if content_type.split(";")[0].strip() != MEDIA_TYPE_REQUEST:
        raise PkiRequestInvalid(f"a time-stamp request is sent as {MEDIA_TYPE_REQUEST}")
    with unit_of_work(context.database.sessions) as session:
        unit = TimeStampingUnit(runtime.pki.hierarchy(session=session, clock=context.clock), context.clock)
    return Response(unit.respond_der(body), media_type=MEDIA_TYPE_REPLY)
