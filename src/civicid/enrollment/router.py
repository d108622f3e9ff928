"""The enrollment API (``/api/v1/enrollment``): intake from field kits and the supervisor's decisions.

- Intake (``/intake/…``) is called by field kits. It needs no staff login: an envelope is authenticated
  by its device signature (DESIGN.md decision 3), and chunks are bytes that count for nothing until a
  signed envelope's manifest names their hash (decision 4).
- Applications, decisions and statistics need a staff login with an enrollment permission, scoped to
  the staff member's commune: an application of another commune answers 404, as if it did not exist.

Errors are the services' domain exceptions, rendered once by ``web/problems.py``.
"""

from __future__ import annotations

import base64
import binascii
import datetime as dt
import threading
from typing import Annotated

from fastapi import APIRouter, Depends, Header, Path, Query, Request, Response, status
from fastapi.exceptions import RequestValidationError
from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, StringConstraints, WithJsonSchema
from sqlalchemy.orm import Session
from starlette.exceptions import HTTPException as StarletteHTTPException

from civicid.accounts.errors import InvalidHolderInput
from civicid.accounts.router import CurrentHolder, recorded
from civicid.core import audit
from civicid.core.database import unit_of_work
from civicid.core.inputs import Flag
from civicid.devices.router import SigningDevice
from civicid.enrollment import approval, follow, intake, online
from civicid.enrollment.errors import ApplicationNotFound
from civicid.enrollment.intake import CHUNK_MAX_BYTES, INLINE_MAX_BYTES, Receipt
from civicid.enrollment.models import Application, ApplicationEvent
from civicid.enrollment.runtime import blobs_of, keystore_of
from civicid.enrollment.service import list_applications
from civicid.enrollment.stats import enrollment_stats
from civicid.enrollment.tasks import Pipeline
from civicid.enrollment.timeline import timeline
from civicid.protocol.codes import ApplicationStatus
from civicid.protocol.packet import PART_NAME_PATTERN, UUID7_PATTERN
from civicid.web.deps import AppContext, DbSession
from civicid.web.i18n import translate
from civicid.web.problems import problem_responses
from civicid.web.ratelimit import RateLimit, RateLimited
from civicid.web.roles import Permission, commune_scope, require
from civicid.web.staff import StaffAccount
from civicid.web.staff_service import staff_actor
from civicid.web.templating import request_language

router = APIRouter(tags=["enrollment"])

Reader = Annotated[StaffAccount, Depends(require(Permission.ENROLLMENT_READ))]
Decider = Annotated[StaffAccount, Depends(require(Permission.ENROLLMENT_DECIDE))]

ApplicationId = Annotated[str, Path(pattern=UUID7_PATTERN, description="The UUIDv7 the field kit gave it.")]
StaffApplicationId = Annotated[str, Path(max_length=36)]
PartName = Annotated[str, Path(pattern=PART_NAME_PATTERN)]
Reason = Annotated[str, StringConstraints(strip_whitespace=True, min_length=3, max_length=500)]

# A civicid-packet/1 envelope with its 16 parts at most is a few kilobytes; this leaves room to spare.
ENVELOPE_MAX_CHARS = 64 * 1024
LIST_LIMIT_MAX = 500
_PIPELINE_LOCK = threading.Lock()


def pipeline_of(request: Request) -> Pipeline:
    """The deployment's pipeline (keys, blob store, biometrics), built by the app's composition on first use."""
    pipeline: Pipeline | None = getattr(request.app.state, "enrollment_pipeline", None)
    if pipeline is None:
        with _PIPELINE_LOCK:
            pipeline = getattr(request.app.state, "enrollment_pipeline", None)
            if pipeline is None:
                pipeline = request.app.state.build_enrollment_pipeline()
                request.app.state.enrollment_pipeline = pipeline
    return pipeline


PipelineDep = Annotated[Pipeline, Depends(pipeline_of)]


# Schemas -----------------------------------------------------------------------------------------


def _strict_base64(value: object) -> bytes:
    """Standard base64 (RFC 4648 §4), padded; anything else is refused rather than skipped over."""
    if not isinstance(value, str) or len(value) > INLINE_MAX_CHARS:
        raise ValueError(f"a part sent inline is a base64 string of at most {INLINE_MAX_CHARS} characters")
    try:
        return base64.b64decode(value, validate=True)
    except (binascii.Error, ValueError) as exc:
        raise ValueError("a part sent inline must be standard base64 (RFC 4648 §4)") from exc


INLINE_MAX_CHARS = 4 * ((INLINE_MAX_BYTES + 2) // 3)
InlinePart = Annotated[
    bytes, BeforeValidator(_strict_base64), WithJsonSchema({"type": "string", "contentEncoding": "base64"})
]
InlinePartName = Annotated[str, StringConstraints(pattern=PART_NAME_PATTERN)]


class EnvelopeIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    envelope: str = Field(
        min_length=1, max_length=ENVELOPE_MAX_CHARS, description="The signed envelope, a compact JWS (RFC 7515 §7.1)."
    )
    parts: dict[InlinePartName, InlinePart] = Field(
        default_factory=dict,
        max_length=16,
        description=(
            "Whole sealed parts sent with the envelope, by name, in base64: at most "
            f"{INLINE_MAX_BYTES} bytes together. Each must hash to the manifest's SHA-256, or nothing "
            "of the request is kept. Larger parts go in chunks (docs/decisions/0030)."
        ),
    )


class PartProgressRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    name: str
    kind: str | None
    priority: int | None
    size: int | None
    received_bytes: int = Field(description="Bytes held from the start without a gap: where the upload resumes.")
    complete: bool


class ReceiptRead(BaseModel):
    """What the server holds of an application: known or not, its status, each part's resume point."""

    model_config = ConfigDict(from_attributes=True)

    application_id: str
    known: bool = Field(description="False while only chunks, and no envelope, have arrived.")
    status: ApplicationStatus | None
    replay: bool = Field(default=False, description="True when this envelope had already been received.")
    parts: list[PartProgressRead]


class EventRead(BaseModel):
    """One step of the pipeline, as the field kit receives it back at sync."""

    model_config = ConfigDict(from_attributes=True)

    stage: str
    outcome: str
    reason: str | None = Field(description="A reason code, e.g. date_of_birth_mismatch.")
    at: dt.datetime


class IntakeStatusRead(ReceiptRead):
    status_reason: str | None
    timeline: list[EventRead]


class StaffEventRead(EventRead):
    actor: str
    note: str | None = Field(description="The supervisor's reason for a decision.")


class ApplicationSummary(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: str
    application_type: str
    commune_code: str
    village_id: int
    device_id: str
    operator: str
    captured_at: dt.datetime
    received_at: dt.datetime
    status: ApplicationStatus
    status_reason: str | None
    best_score: float | None = Field(description="The best 1:N similarity score, for suspected duplicates.")
    duplicate_of: str | None = Field(description="The application the 1:N search matched.")
    decided_by: str | None
    decided_at: dt.datetime | None


class ApplicationRead(ApplicationSummary):
    id_number: str
    person_id: int | None
    timeline: list[StaffEventRead]


class RejectIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    reason: Reason


class AdjudicateIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    is_duplicate: Flag = Field(description="True: the same person (rejected); false: two people (on to approval).")
    reason: Reason


class EnrollmentStatsRead(BaseModel):
    applications: int
    by_status: dict[str, int]
    suspected_duplicates: int
    rejected_duplicates: int
    issued: int


# Helpers shared with pages.py --------------------------------------------------------------------


def visible_application(session: Session, principal: StaffAccount, application_id: str) -> Application:
    """The application, if the principal's commune (if any) holds it; otherwise :class:`ApplicationNotFound`."""
    application = intake.get_application(session=session, application_id=application_id)
    scope = commune_scope(principal)
    if scope is not None and application.commune_code != scope:
        raise ApplicationNotFound(f"no application {application_id}")
    return application


def staff_timeline(session: Session, application_id: str) -> list[StaffEventRead]:
    return [_staff_event(event) for event in timeline(session, application_id)]


def application_read(session: Session, application: Application) -> ApplicationRead:
    summary = ApplicationSummary.model_validate(application)
    return ApplicationRead(
        **summary.model_dump(),
        id_number=application.id_number,
        person_id=application.person_id,
        timeline=staff_timeline(session, application.id),
    )


def _staff_event(event: ApplicationEvent) -> StaffEventRead:
    note = (event.details or {}).get("reason")
    return StaffEventRead(
        stage=event.stage,
        outcome=event.outcome,
        reason=event.reason,
        at=event.at,
        actor=event.actor,
        note=note if isinstance(note, str) else None,
    )


def _receipt(receipt: Receipt) -> ReceiptRead:
    return ReceiptRead.model_validate(receipt, from_attributes=True)


def _digest_problem(message: str) -> RequestValidationError:
    return RequestValidationError(
        [{"type": "value_error", "loc": ("header", "content-digest"), "msg": message, "input": None}]
    )


def content_digest(
    content_digest: Annotated[
        str | None, Header(max_length=1000, description="RFC 9530: sha-256=:<base64 of the chunk's SHA-256>:")
    ] = None,
) -> str:
    """The chunk's SHA-256 in hex, from its ``Content-Digest`` (RFC 9530 §2, a structured-field dictionary)."""
    if content_digest is None:
        raise _digest_problem("the Content-Digest header is required: sha-256=:<base64 of the chunk's SHA-256>:")
    for member in content_digest.split(","):
        key, has_value, value = member.strip().partition("=")
        if key.strip() != "sha-256" or not has_value:
            continue
        value = value.split(";", 1)[0].strip()
        if len(value) > 2 and value[0] == value[-1] == ":":
            try:
                raw = base64.b64decode(value[1:-1], validate=True)
            except (binascii.Error, ValueError):
                break
            if len(raw) == 32:
                return raw.hex()
        break
    raise _digest_problem("Content-Digest must hold sha-256=:<base64 of the chunk's 32-byte SHA-256>: (RFC 9530)")


async def chunk_body(request: Request) -> bytes:
    """The raw chunk, read no further than :data:`CHUNK_MAX_BYTES` (413 beyond)."""
    too_large = StarletteHTTPException(413, detail=f"a chunk holds at most {CHUNK_MAX_BYTES} bytes")
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > CHUNK_MAX_BYTES:
        raise too_large
    body = bytearray()
    async for piece in request.stream():
        body += piece
        if len(body) > CHUNK_MAX_BYTES:
            raise too_large
    return bytes(body)


_CHUNK_BODY = {
    "requestBody": {
        "required": True,
        "description": f"The chunk's bytes: a byte range of the sealed part, at most {CHUNK_MAX_BYTES} bytes.",
        "content": {"application/octet-stream": {"schema": {"type": "string", "format": "binary"}}},
    }
}


# Intake (field kits) -----------------------------------------------------------------------------


@router.put(
    "/intake/applications/{application_id}",
    status_code=status.HTTP_201_CREATED,
    responses={
        200: {"model": ReceiptRead, "description": "A replay: this envelope was already received"},
        **problem_responses(403, 409, 413, 422),
    },
    # The default body limit holds the envelope and INLINE_MAX_BYTES of parts in base64.
)
def put_envelope(
    application_id: ApplicationId,
    body: EnvelopeIn,
    response: Response,
    context: AppContext,
    pipeline: PipelineDep,
) -> ReceiptRead:
    """Deliver a packet's signed envelope: 201 when new, 200 with ``replay`` when received before.

    Its small parts may come inline, whole, in the same request. Another envelope under the same id
    is a 409 ``different_packet`` carrying the stored version.
    """
    # The intake routes own their transaction (decision 0070), not DbSession's: that one ends only
    # after the answer is serialised, which for a synchronous route waits for a thread of the pool.
    # With ~64 uploads in flight every thread sat here waiting for a pooled connection while the
    # connections' holders waited for a thread: a deadlock until the pool's timeout. Committed here,
    # the connection goes back to the pool in the thread that took it, before the answer is built.
    with unit_of_work(context.database.sessions) as session:
        receipt = intake.receive_envelope(
            session=session,
            clock=context.clock,
            blobs=pipeline.blobs,
            envelope_jws=body.envelope,
            application_id=application_id,
            parts=body.parts,
        )
    if receipt.replay:
        response.status_code = status.HTTP_200_OK
    return _receipt(receipt)


@router.put(
    "/intake/applications/{application_id}/parts/{part_name}",
    responses=problem_responses(409, 413, 422),
    openapi_extra=_CHUNK_BODY,
)
def put_chunk(
    application_id: ApplicationId,
    part_name: PartName,
    offset: Annotated[int, Query(ge=0, le=2**31 - 1, description="The chunk's first byte in the sealed part.")],
    data: Annotated[bytes, Depends(chunk_body)],
    sha256: Annotated[str, Depends(content_digest)],
    context: AppContext,
    pipeline: PipelineDep,
) -> ReceiptRead:
    """Upload one byte range of a sealed part; sending it again is harmless. Returns every part's resume point."""
    with unit_of_work(context.database.sessions) as session:  # its own transaction: see put_envelope
        receipt = intake.receive_chunk(
            session=session,
            clock=context.clock,
            blobs=pipeline.blobs,
            application_id=application_id,
            part_name=part_name,
            offset=offset,
            data=data,
            sha256=sha256,
        )
    return _receipt(receipt)


@router.get("/intake/applications/{application_id}", responses=problem_responses(401, 403, 404, 422))
def get_intake_status(application_id: ApplicationId, session: DbSession, device: SigningDevice) -> IntakeStatusRead:
    """What the server holds (each part's resume point), the status and the timeline, for the kit that sent it.

    Another device's application answers 404, as if it did not exist.
    """
    receipt = _receipt(intake.status_of(session=session, application_id=application_id))
    application = session.get(Application, application_id)
    if application is not None and application.device_id != device.id:
        raise ApplicationNotFound(f"no application {application_id}")
    events = [] if application is None else timeline(session, application_id)
    return IntakeStatusRead(
        **receipt.model_dump(),
        status_reason=application.status_reason if application is not None else None,
        timeline=[EventRead.model_validate(event) for event in events],
    )


# Applications (staff) ----------------------------------------------------------------------------


@router.get("/applications", responses=problem_responses(401, 403, 422))
def get_applications(
    session: DbSession,
    principal: Reader,
    status: ApplicationStatus | None = None,
    limit: Annotated[int, Query(ge=1, le=LIST_LIMIT_MAX)] = 100,
) -> list[ApplicationSummary]:
    """The commune's applications, optionally of one status (a decision queue is oldest first)."""
    found = list_applications(session=session, commune_code=commune_scope(principal), status=status, limit=limit)
    return [ApplicationSummary.model_validate(application) for application in found]


@router.get("/applications/{application_id}", responses=problem_responses(401, 403, 404))
def get_application(application_id: StaffApplicationId, session: DbSession, principal: Reader) -> ApplicationRead:
    """One application with its timeline."""
    return application_read(session, visible_application(session, principal, application_id))


@router.post("/applications/{application_id}/approve", responses=problem_responses(401, 403, 404, 409))
def approve_application(
    application_id: StaffApplicationId, context: AppContext, session: DbSession, principal: Decider
) -> ApplicationRead:
    """Approve an application awaiting approval; whoever captured it may not (maker-checker, 403)."""
    approval.approve(
        session=session,
        clock=context.clock,
        supervisor=staff_actor(principal),
        application_id=application_id,
        commune_code=commune_scope(principal),
    )
    return application_read(session, visible_application(session, principal, application_id))


@router.post("/applications/{application_id}/reject", responses=problem_responses(401, 403, 404, 409, 422))
def reject_application(
    application_id: StaffApplicationId,
    body: RejectIn,
    context: AppContext,
    session: DbSession,
    principal: Decider,
    pipeline: PipelineDep,
) -> ApplicationRead:
    """Refuse an application awaiting approval, with a reason the operator will see."""
    application = approval.reject(
        session=session,
        clock=context.clock,
        supervisor=staff_actor(principal),
        application_id=application_id,
        reason=body.reason,
        biometrics=pipeline.biometrics,
        commune_code=commune_scope(principal),
    )
    return application_read(session, application)


@router.post("/applications/{application_id}/adjudicate", responses=problem_responses(401, 403, 404, 409, 422))
def adjudicate_application(
    application_id: StaffApplicationId,
    body: AdjudicateIn,
    context: AppContext,
    session: DbSession,
    principal: Decider,
    pipeline: PipelineDep,
) -> ApplicationRead:
    """Settle a suspected duplicate: the same person (rejected as duplicate) or two people (on to approval)."""
    application = approval.adjudicate(
        session=session,
        clock=context.clock,
        supervisor=staff_actor(principal),
        application_id=application_id,
        is_duplicate=body.is_duplicate,
        reason=body.reason,
        biometrics=pipeline.biometrics,
        commune_code=commune_scope(principal),
    )
    return application_read(session, application)


class FollowedRead(BaseModel):
    """Where an application stands, by its receipt code: no personal data, the status and the next step."""

    code: str
    status: ApplicationStatus
    application_type: str
    next_step: str
    next_step_text: str
    updated_on: dt.date


#: How often one address may look up receipt codes: ten a minute (a person retyping), never a guesser's rate.
FOLLOW_LIMIT = RateLimit(limit=10, window=dt.timedelta(minutes=1))


def follow_limited(request: Request, context: AppContext) -> None:
    """Count this lookup against the caller's address; 429 beyond the limit, audited."""
    limit: RateLimit = getattr(request.app.state, "follow_limit", FOLLOW_LIMIT)
    try:
        limit.check(request.client.host if request.client else "-", context.clock)
    except RateLimited:
        with unit_of_work(context.database.sessions) as session:
            audit.record(
                session=session,
                clock=context.clock,
                actor=follow.PUBLIC,
                action="application.follow_rate_limited",
                subject_type="application",
                subject_id="-",
            )
        raise


@router.get(
    "/follow/{code}",
    responses=problem_responses(404, 422, 429),
    dependencies=[Depends(follow_limited)],
)
def get_followed(
    code: Annotated[str, Path(min_length=8, max_length=12)], request: Request, context: AppContext
) -> FollowedRead:
    """Follow an application by the code on the kit's receipt; no login, no personal data, rate-limited.

    The lookup runs in a transaction of its own, committed before a 404 is raised: its audit entry stays.
    """
    with unit_of_work(context.database.sessions) as session:
        found = follow.follow(session=session, clock=context.clock, code=code)
    if found is None:
        raise follow.ReceiptNotFound("no application with this receipt code: check it, or ask the commune police")
    return followed_read(found, request_language(request))


def followed_read(found: follow.Followed, lang: str) -> FollowedRead:
    return FollowedRead(
        code=found.code,
        status=found.status,
        application_type=found.application_type,
        next_step=found.next_step,
        next_step_text=translate(lang, f"enrollment.follow.next.{found.next_step}"),
        updated_on=found.updated_on,
    )


@router.get("/stats", responses=problem_responses(401, 403))
def get_stats(session: DbSession, principal: Reader) -> EnrollmentStatsRead:
    """Applications counted by status (the commune's, for staff bound to one)."""
    return EnrollmentStatsRead.model_validate(enrollment_stats(session=session, commune_code=commune_scope(principal)))


# A child's card under 6, asked for from the app by a level-2 parent (issue 19; enrollment/online.py).


class ChildCardIn(BaseModel):
    child_account_id: str = Field(min_length=1, max_length=36)
    portrait_base64: str = Field(min_length=1, max_length=700_000)  # 512 KiB in base64's 4/3
    confirmed: Flag  # the parent confirms the child is theirs and the portrait is the child's, today


class ChildCardOut(BaseModel):
    application_id: str
    status: str | None


@router.post("/child-cards", status_code=201, responses=problem_responses(401, 403, 422))
def post_child_card(body: ChildCardIn, request: CurrentHolder, context: AppContext) -> ChildCardOut:
    """The parent's request enters intake as a kit's application would (signed by the commune's app channel)."""
    try:
        portrait = base64.b64decode(body.portrait_base64.split(",", 1)[-1], validate=True)
    except (binascii.Error, ValueError):
        raise InvalidHolderInput("the portrait is not base64", field="portrait") from None
    receipt = recorded(
        context,
        lambda session: online.request_child_card(
            session=session,
            clock=context.clock,
            blobs=blobs_of(context),
            keystore=keystore_of(context),
            guardian_account_id=request.holder.account_id,
            child_account_id=body.child_account_id,
            portrait=portrait,
            confirmed=body.confirmed,
        ),
    )
    return ChildCardOut(application_id=receipt.application_id, status=receipt.status)
