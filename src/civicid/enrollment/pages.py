"""The supervisor's pages (``/enrollment``): counts, the decision queues, an application and its decision.

Pages call the same services as the API (``router.py``) with the same commune scoping. A decision
refused by the service (maker-checker, an application no longer waiting) is shown on the form as one
readable sentence. The adjudication view puts both records side by side: portraits opened from the
sealed parts and embedded as ``data:`` URIs (nothing is fetched), the registry's records of both
persons (audited reads) and the similarity score, and the fingerprint 1:1 of the two applications'
scanned images when both have them and the matcher extra is installed ("not available" otherwise).
"""

from __future__ import annotations

import base64
from dataclasses import dataclass
from typing import Annotated, Any
from urllib.parse import quote

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import RedirectResponse
from sqlalchemy.orm import Session
from starlette.responses import Response

from civicid.biometrics.dedup import thresholds_for
from civicid.biometrics.fingerprint import FingerprintComparison, compare_images, installed_verifier
from civicid.core.audit import Actor
from civicid.core.clock import Clock
from civicid.core.database import unit_of_work
from civicid.core.errors import CivicIDError
from civicid.country.zone import TIME_ZONE
from civicid.devices import service as devices
from civicid.enrollment import approval, follow
from civicid.enrollment.errors import MakerCheckerViolation, NotAwaitingDecision
from civicid.enrollment.models import Application, ApplicationPart
from civicid.enrollment.router import PipelineDep, follow_limited, staff_timeline, visible_application
from civicid.enrollment.service import list_applications
from civicid.enrollment.stats import enrollment_stats
from civicid.enrollment.tasks import Pipeline
from civicid.protocol import packet
from civicid.protocol.codes import ApplicationStatus
from civicid.protocol.packet import Envelope, PartKind
from civicid.registry import service as registry
from civicid.registry.errors import PersonNotFound
from civicid.registry.schemas import PersonRead
from civicid.web.deps import AppContext, DbSession
from civicid.web.middleware import CONTENT_SECURITY_POLICY
from civicid.web.ratelimit import RateLimited
from civicid.web.roles import Permission, allows, commune_scope, require
from civicid.web.staff import StaffAccount
from civicid.web.staff_service import staff_actor
from civicid.web.templating import render

router = APIRouter(include_in_schema=False)
#: Pages anyone may open, without a staff login: following an application by its receipt code.
public_router = APIRouter(include_in_schema=False)

Reader = Annotated[StaffAccount, Depends(require(Permission.ENROLLMENT_READ))]
Decider = Annotated[StaffAccount, Depends(require(Permission.ENROLLMENT_DECIDE))]

QUEUES = (ApplicationStatus.AWAITING_APPROVAL, ApplicationStatus.SUSPECTED_DUPLICATE)
ALL = "all"
PAGE_SIZE = 200
REASON_MIN, REASON_MAX = 3, 500
DONE = frozenset({"approved", "rejected", "duplicate", "not_duplicate"})
# The portraits are embedded as data: URIs; the server's policy otherwise allows images from itself only.
IMAGE_POLICY = f"{CONTENT_SECURITY_POLICY}; img-src 'self' data:"
_IMAGE_TYPES = (
    (b"\xff\xd8\xff", "image/jpeg"),
    (b"\x89PNG\r\n\x1a\n", "image/png"),
    (b"<svg", "image/svg+xml"),
    (b"<?xml", "image/svg+xml"),
)


@dataclass(frozen=True)
class Side:
    """One record of the adjudication view."""

    application: Application
    portrait: str | None
    person: PersonRead | None
    envelope: Envelope | None


@router.get("")
def overview_page(request: Request, session: DbSession, principal: Reader) -> Response:
    stats = enrollment_stats(session=session, commune_code=commune_scope(principal))
    return render(
        request,
        "enrollment/overview.html",
        {"stats": stats, "statuses": list(ApplicationStatus), "queues": QUEUES},
        principal=principal,
    )


@router.get("/applications")
def queue_page(request: Request, session: DbSession, principal: Reader, status: str = "") -> Response:
    """A decision queue (awaiting approval by default, or suspected duplicates), or every application."""
    chosen = status or ApplicationStatus.AWAITING_APPROVAL.value
    error = None
    selected: ApplicationStatus | None = None
    if chosen != ALL:
        try:
            selected = ApplicationStatus(chosen)
        except ValueError:
            error, chosen = "enrollment.queue.error.status", ApplicationStatus.AWAITING_APPROVAL.value
            selected = ApplicationStatus.AWAITING_APPROVAL
    scope = commune_scope(principal)
    applications = list_applications(session=session, commune_code=scope, status=selected, limit=PAGE_SIZE)
    return render(
        request,
        "enrollment/queue.html",
        {
            "applications": applications,
            "names": {a.id: _captured_name(a) for a in applications},
            "chosen": chosen,
            "queues": QUEUES,
            "all": ALL,
            "statuses": list(ApplicationStatus),
            "village_names": _village_names(session, scope),
            "error": error,
            "tz": TIME_ZONE,
        },
        principal=principal,
        status_code=400 if error else 200,
    )


@router.get("/applications/{application_id}")
def application_page(
    request: Request,
    application_id: str,
    context: AppContext,
    session: DbSession,
    principal: Reader,
    pipeline: PipelineDep,
    done: str = "",
) -> Response:
    application = visible_application(session, principal, application_id[:36])
    return _detail(
        request, session, context.clock, pipeline, principal, application, done=done if done in DONE else None
    )


@router.post("/applications/{application_id}/approve")
def approve_submit(
    request: Request,
    application_id: str,
    context: AppContext,
    session: DbSession,
    principal: Decider,
    pipeline: PipelineDep,
) -> Response:
    application = visible_application(session, principal, application_id[:36])
    try:
        with session.begin_nested():
            approval.approve(
                session=session,
                clock=context.clock,
                supervisor=staff_actor(principal),
                application_id=application.id,
                commune_code=commune_scope(principal),
            )
    except (MakerCheckerViolation, NotAwaitingDecision) as exc:
        return _refused(request, session, context.clock, pipeline, principal, application, exc)
    return _decided(application.id, "approved")


@router.post("/applications/{application_id}/reject")
def reject_submit(
    request: Request,
    application_id: str,
    context: AppContext,
    session: DbSession,
    principal: Decider,
    pipeline: PipelineDep,
    reason: Annotated[str, Form()] = "",
) -> Response:
    application = visible_application(session, principal, application_id[:36])
    text = reason.strip()
    form = {"reject_reason": reason[:REASON_MAX]}
    if not REASON_MIN <= len(text) <= REASON_MAX:
        error = "enrollment.error.reason"
        return _detail(
            request, session, context.clock, pipeline, principal, application, error=error, form=form, status_code=400
        )
    try:
        with session.begin_nested():
            approval.reject(
                session=session,
                clock=context.clock,
                supervisor=staff_actor(principal),
                application_id=application.id,
                reason=text,
                biometrics=pipeline.biometrics,
                commune_code=commune_scope(principal),
            )
    except (MakerCheckerViolation, NotAwaitingDecision) as exc:
        return _refused(request, session, context.clock, pipeline, principal, application, exc, form)
    return _decided(application.id, "rejected")


@router.post("/applications/{application_id}/adjudicate")
def adjudicate_submit(
    request: Request,
    application_id: str,
    context: AppContext,
    session: DbSession,
    principal: Decider,
    pipeline: PipelineDep,
    decision: Annotated[str, Form()] = "",
    reason: Annotated[str, Form()] = "",
) -> Response:
    application = visible_application(session, principal, application_id[:36])
    text = reason.strip()
    form = {"adjudicate_reason": reason[:REASON_MAX]}
    error = None
    if decision not in ("duplicate", "not_duplicate"):
        error = "enrollment.error.decision"
    elif not REASON_MIN <= len(text) <= REASON_MAX:
        error = "enrollment.error.reason"
    if error is not None:
        return _detail(
            request, session, context.clock, pipeline, principal, application, error=error, form=form, status_code=400
        )
    try:
        with session.begin_nested():
            approval.adjudicate(
                session=session,
                clock=context.clock,
                supervisor=staff_actor(principal),
                application_id=application.id,
                is_duplicate=decision == "duplicate",
                reason=text,
                biometrics=pipeline.biometrics,
                commune_code=commune_scope(principal),
            )
    except (MakerCheckerViolation, NotAwaitingDecision) as exc:
        return _refused(request, session, context.clock, pipeline, principal, application, exc, form)
    return _decided(application.id, decision)


# Helpers -----------------------------------------------------------------------------------------


def _decided(application_id: str, done: str) -> Response:
    return RedirectResponse(f"/enrollment/applications/{quote(application_id)}?done={done}", status_code=303)


def _refused(
    request: Request,
    session: Session,
    clock: Clock,
    pipeline: Pipeline,
    principal: StaffAccount,
    application: Application,
    exc: CivicIDError,
    form: dict[str, str] | None = None,
) -> Response:
    """The page again, with the service's refusal as one sentence (the savepoint undid any change)."""
    session.refresh(application)
    error = (
        "enrollment.error.maker_checker" if isinstance(exc, MakerCheckerViolation) else "enrollment.error.not_awaiting"
    )
    return _detail(
        request, session, clock, pipeline, principal, application, error=error, form=form, status_code=exc.status
    )


def _detail(
    request: Request,
    session: Session,
    clock: Clock,
    pipeline: Pipeline,
    principal: StaffAccount,
    application: Application,
    *,
    done: str | None = None,
    error: str | None = None,
    form: dict[str, str] | None = None,
    status_code: int = 200,
) -> Response:
    actor = staff_actor(principal)
    scope = commune_scope(principal)
    candidate = None
    if application.status is ApplicationStatus.SUSPECTED_DUPLICATE and application.duplicate_of:
        candidate = session.get(Application, application.duplicate_of)
    # Registry records (audited reads) only where the decision needs them: comparing two people.
    # Elsewhere the page shows the data captured in the envelope, which is what is being approved.
    reads_persons = candidate is not None and allows(principal.role, Permission.REGISTRY_READ_PERSON)
    this = _side(session, clock, pipeline, actor, application, scope, reads_persons)
    other = None
    if candidate is not None:
        # The matched record may belong to another commune: the supervisor needs it to decide, and the
        # read is audited under their name like any other.
        other = _side(session, clock, pipeline, actor, candidate, None, reads_persons)
    scores = _scores(session, pipeline, application.id, candidate.id) if candidate is not None else None
    fingerprints = _fingerprints(session, pipeline, this, other) if other is not None else None
    values: dict[str, Any] = {
        "application": application,
        "this": this,
        "other": other,
        "scores": scores,
        "fingerprints": fingerprints,
        "events": staff_timeline(session, application.id),
        "village_names": _village_names_of(session, [side.application.village_id for side in (this, other) if side]),
        "can_decide": allows(principal.role, Permission.ENROLLMENT_DECIDE),
        "own_capture": principal.username == application.operator,
        "done": done,
        "error": error,
        "form": {"reject_reason": "", "adjudicate_reason": "", **(form or {})},
        "tz": TIME_ZONE,
    }
    response = render(request, "enrollment/application.html", values, principal=principal, status_code=status_code)
    response.headers["Content-Security-Policy"] = IMAGE_POLICY
    return response


def _side(
    session: Session,
    clock: Clock,
    pipeline: Pipeline,
    actor: Actor,
    application: Application,
    commune_code: str | None,
    reads_persons: bool,
) -> Side:
    envelope = _envelope(session, application)
    person = None
    if reads_persons and application.person_id is not None:
        try:
            person = registry.get_person(
                session=session, clock=clock, actor=actor, person_id=application.person_id, commune_code=commune_code
            )
        except PersonNotFound:
            person = None
    portrait = _portrait(session, pipeline, application, envelope) if envelope is not None else None
    return Side(application=application, portrait=portrait, person=person, envelope=envelope)


def _captured_name(application: Application) -> str:
    """The name the kit captured, read from the stored envelope (intake verified it, decision 0023)."""
    try:
        return packet.stored_envelope(application.envelope_jws).full_name
    except (ValueError, IndexError):
        return "—"


def _envelope(session: Session, application: Application) -> Envelope | None:
    """The stored envelope, checked with its device's key (even if the device was since revoked)."""
    try:
        device = devices.get_device(session=session, device_id=application.device_id)
        return packet.open_envelope(application.envelope_jws, device_public_key=device.public_key())
    except CivicIDError:
        return None


def _portrait(session: Session, pipeline: Pipeline, application: Application, envelope: Envelope) -> str | None:
    """The ``portrait`` part opened with the server's key, as a ``data:`` URI; None when there is none."""
    plain = _open_part(session, pipeline, application, envelope, PartKind.PORTRAIT)
    media_type = image_type(plain) if plain is not None else None
    if plain is None or media_type is None:
        return None
    return f"data:{media_type};base64,{base64.b64encode(plain).decode('ascii')}"


def _open_part(
    session: Session, pipeline: Pipeline, application: Application, envelope: Envelope, kind: PartKind
) -> bytes | None:
    """The first part of ``kind`` opened with the server's key; None when absent, not arrived or not opening."""
    ref = next((r for r in envelope.manifest if r.kind is kind), None)
    if ref is None:
        return None
    part = session.get(ApplicationPart, (application.id, ref.name))
    if part is None or part.blob is None:
        return None
    try:
        return packet.unseal_part(envelope, ref.name, pipeline.blobs.get(part.blob), server_key=pipeline.server_key)
    except CivicIDError:
        return None


@dataclass(frozen=True)
class ModalityScore:
    """One modality's 1:1 between the two records, with the thresholds it is judged by.

    ``score`` is None exactly when a side has no template of it (``missing`` says which key explains
    why): the page never shows a number that was not computed from both records' captures.
    """

    score: float | None
    model: str | None
    upper: float | None  # face: duplicate_at; fingers: confirm_at
    lower: float | None  # face: review_at; fingers: clear_below
    simulated: bool
    missing: str | None = None


def _scores(session: Session, pipeline: Pipeline, first: str, second: str) -> dict[str, ModalityScore]:
    """Face and fingers between two applications, each beside its own operating point (decision 0061)."""
    biometrics = pipeline.biometrics
    face = biometrics.probe(session, first, "face")
    face_score = biometrics.compare(session, first, second, "face")
    face_limits = thresholds_for(face.model, face.model_version) if face is not None else None
    scores = {
        "face": ModalityScore(
            score=face_score,
            model=face.model if face is not None else None,
            upper=face_limits.duplicate_at if face_limits else None,
            lower=face_limits.review_at if face_limits else None,
            simulated=face is not None and face.model.startswith("civicid-sim"),
            missing=None if face_score is not None else "no_templates",
        )
    }
    finger_score = biometrics.compare(session, first, second, "finger")
    if biometrics.fingerprints is not None:
        limits = biometrics.finger_limits
        scores["finger"] = ModalityScore(
            score=finger_score,
            model=biometrics.fingerprints.model,
            upper=limits.confirm_at,
            lower=limits.clear_below,
            simulated=False,
            missing=None if finger_score is not None else "no_templates",
        )
    else:
        probe = biometrics.probe(session, first, "finger")
        limits_sim = thresholds_for(probe.model, probe.model_version) if probe is not None else None
        scores["finger"] = ModalityScore(
            score=finger_score,
            model=probe.model if probe is not None else None,
            upper=limits_sim.duplicate_at if limits_sim else None,
            lower=limits_sim.review_at if limits_sim else None,
            simulated=probe is not None and probe.model.startswith("civicid-sim"),
            missing=None if finger_score is not None else "no_templates",
        )
    return scores


@dataclass(frozen=True)
class Fingerprints:
    """The fingerprint 1:1 of the adjudication view: a comparison, or why there is none (``missing``)."""

    comparison: FingerprintComparison | None = None
    missing: str | None = None


def _fingerprints(session: Session, pipeline: Pipeline, this: Side, other: Side) -> Fingerprints:
    """Both applications' fingerprint images compared by the installed matcher, finger by finger.

    Computed on demand for the one pair a supervisor is looking at: the images stay sealed in the
    blob store, and no fingerprint template is stored.
    """
    verifier = installed_verifier()
    if verifier is None:
        return Fingerprints(missing="not_installed")
    images = [
        _open_part(session, pipeline, side.application, side.envelope, PartKind.FINGERPRINT_IMAGES)
        if side.envelope is not None
        else None
        for side in (this, other)
    ]
    if images[0] is None or images[1] is None:
        return Fingerprints(missing="no_images")
    try:
        comparison = compare_images(images[0], images[1], verifier=verifier)
    except ValueError:
        return Fingerprints(missing="unreadable")
    if comparison.best is None:
        return Fingerprints(missing="unreadable")
    return Fingerprints(comparison=comparison)


def image_type(data: bytes) -> str | None:
    """The media type of a portrait from its first bytes; None for anything that is not an image we show."""
    head = data[:64].lstrip()
    for magic, media_type in _IMAGE_TYPES:
        if head.startswith(magic):
            return media_type
    if data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return "image/webp"
    return None


def _village_names_of(session: Session, village_ids: list[int]) -> dict[int, str]:
    return {i: registry.get_village(session=session, village_id=i).name for i in set(village_ids)}


def _village_names(session: Session, commune_code: str | None) -> dict[int, str]:
    return {village.id: village.name for village in registry.list_villages(session=session, commune_code=commune_code)}


@public_router.get("/follow")
def follow_page(request: Request, context: AppContext, code: str | None = None) -> Response:
    """The receipt code's page: the form, and where the application stands once a code is given."""
    if not code:
        return render(request, "enrollment/follow.html", {"code": None, "found": None, "error": None})
    error, status_code, found = None, 200, None
    try:
        follow_limited(request, context)
        with unit_of_work(context.database.sessions) as session:
            found = follow.follow(session=session, clock=context.clock, code=code)
        if found is None:
            error, status_code = "not_found", 404
    except RateLimited:
        error, status_code = "rate_limited", 429
    except follow.InvalidReceiptCode:
        error, status_code = "invalid", 422
    return render(
        request, "enrollment/follow.html", {"code": code, "found": found, "error": error}, status_code=status_code
    )
