"""The operator's pages on the kit: log in, households, members, capture, receipt, review, status.

Each page calls the kit's own services (``households.py``, ``capture.py``, ``review.py``,
``status.py``) inside the request's one transaction, and a refusal from them (a guard-rail,
maker-checker, a bad phone number) comes back as the same page with one readable sentence, never a
trace. Forms that change something answer with a redirect, so that reloading a receipt or a review
list never captures or decides twice. The one exception to "one transaction per request" is "Sync
now", which must not hold the kit's database while the sync opens its own transactions.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Annotated, Any
from urllib.parse import quote

import segno
from fastapi import APIRouter, Depends, File, Form, Request, UploadFile
from fastapi.responses import RedirectResponse
from markupsafe import Markup
from sqlalchemy import func, select
from sqlalchemy.orm import Session
from starlette.responses import Response

from civicid.biometrics.finger_set import MissingReason
from civicid.core.clock import Clock
from civicid.core.errors import CivicIDError, NotAuthenticated
from civicid.country.age import age_on
from civicid.country.documents import DocumentKind
from civicid.country.zone import TIME_ZONE
from civicid.field import guardrails
from civicid.field.capture import CaptureForm, capture_application, condition_of
from civicid.field.card import CardReading, Disagreement, disagreements, read_card
from civicid.field.errors import (
    CaptureRefused,
    InvalidCapture,
    MakerChecker,
    NotOnThisKit,
    OperatorLoginFailed,
    OutboxTransitionRefused,
)
from civicid.field.households import Member, household_lines, members, record_visit, villages
from civicid.field.kit import Kit
from civicid.field.models import (
    KitHousehold,
    KitIdentity,
    KitOperator,
    KitPerson,
    OperatorRole,
    OutboxItem,
    OutboxState,
)
from civicid.field.operators import MAX_FAILED_LOGINS, log_in
from civicid.field.outbox import Review
from civicid.field.pagedeps import (
    KitSession,
    KitWeb,
    KitWebDep,
    Operator,
    Supervisor,
    clear_login_cookie,
    login_token,
    optional_operator,
    set_login_cookie,
)
from civicid.field.portrait import MAX_ORIGINAL_BYTES
from civicid.field.review import review
from civicid.field.sources import join_fingerprint_images
from civicid.field.status import kit_status
from civicid.protocol.codes import VisitOutcome
from civicid.protocol.packet import ApplicationType, Document
from civicid.web.pages import safe_next
from civicid.web.templating import render

router = APIRouter(include_in_schema=False)

# The outcomes an operator records by hand; "done" is implied by a capture.
VISIT_OUTCOMES = (
    VisitOutcome.ABSENT,
    VisitOutcome.REFUSED,
    VisitOutcome.NO_SMARTPHONE,
    VisitOutcome.MOVED,
    VisitOutcome.DECEASED,
    VisitOutcome.OTHER,
)
CAPTURABLE = frozenset({"to_do", "needs_correction", "rejected"})
GUARDIAN_MIN_AGE = 18
MAX_FINGERPRINT_FILES = 10
NOTE_MAX = 300
REASON_MAX = 500
KNOWN_CAPTURE_FIELDS = frozenset(
    {
        "phone",
        "portrait",
        "guardian_id_number",
        "documents",
        "note",
        "reason",
        "missing_fingers",
        "portrait_exception",
        "fingerprints",
        "card",
    }
)


@dataclass(frozen=True)
class RailText:
    """A guard-rail refusal as a translated sentence: the catalogue key and its numbers."""

    key: str
    params: dict[str, Any]


# Log in and out ---------------------------------------------------------------------------------


@router.get("/")
def home_page(operator: Operator) -> Response:
    return RedirectResponse("/households", status_code=303)


@router.get("/login")
def login_page(
    request: Request,
    operator: Annotated[KitOperator | None, Depends(optional_operator)],
    next: str | None = None,
) -> Response:
    if operator is not None:
        return RedirectResponse(safe_next(next), status_code=303)
    return _page(request, "field/login.html", None, {"next": safe_next(next), "username": "", "error": None})


@router.post("/login")
def login_submit(
    request: Request,
    web: KitWebDep,
    session: KitSession,
    username: Annotated[str, Form()] = "",
    password: Annotated[str, Form()] = "",
    next: Annotated[str, Form()] = "/",
) -> Response:
    """Check the password; a refusal shows the form again (the failed attempt still counts)."""
    values = {"next": safe_next(next), "username": username[:60]}
    if not username.strip() or not password:
        return _page(request, "field/login.html", None, {**values, "error": "field.login.missing"}, 400)
    try:
        operator = log_in(session=session, username=username.strip(), password=password)
    except OperatorLoginFailed:
        known = session.get(KitOperator, username.strip())
        locked = known is not None and known.failed_logins >= MAX_FAILED_LOGINS
        error = "field.login.locked" if locked else "field.login.invalid"
        return _page(request, "field/login.html", None, {**values, "error": error}, 401)
    response = RedirectResponse(values["next"], status_code=303)
    set_login_cookie(response, web.logins.open(operator.username, web.clock.now()), web.logins.lifetime)
    return response


@router.post("/logout")
def logout_submit(request: Request, web: KitWebDep) -> Response:
    web.logins.close(login_token(request))
    response = RedirectResponse("/login", status_code=303)
    clear_login_cookie(response)
    return response


# Households and members -------------------------------------------------------------------------


@router.get("/households")
def households_page(
    request: Request, web: KitWebDep, session: KitSession, operator: Operator, village: str = ""
) -> Response:
    """Every household of the kit's villages, or one village's, with what is left to do."""
    known = villages(session)
    chosen: int | None = None
    error = None
    if village:
        chosen = int(village) if village.isdigit() else None
        if chosen not in {v.id for v in known}:
            error, chosen = "field.households.error.village", None
    lines = household_lines(session=session, today=web.clock.today(), village_id=chosen)
    values = {
        "villages": known,
        "chosen": chosen,
        "lines": lines,
        "to_do": sum(line.to_do for line in lines),
        "error": error,
    }
    return _page(request, "field/households.html", operator, values, 400 if error else 200)


@router.get("/households/{household_id}")
def household_page(
    request: Request, web: KitWebDep, session: KitSession, operator: Operator, household_id: int, done: str = ""
) -> Response:
    return _household(request, web.clock.today(), session, operator, household_id, done=done == "visit")


@router.post("/households/{household_id}/visits")
def visit_submit(
    request: Request,
    web: KitWebDep,
    session: KitSession,
    operator: Operator,
    household_id: int,
    outcome: Annotated[str, Form()] = "",
    person_id: Annotated[str, Form()] = "",
    note: Annotated[str, Form()] = "",
) -> Response:
    """Record why nobody was captured at this door (or for this member) today."""
    today = web.clock.today()
    chosen = next((o for o in VISIT_OUTCOMES if o.value == outcome), None)
    if chosen is None or (person_id and not person_id.isdigit()):
        return _household(request, today, session, operator, household_id, error="field.visit.error.outcome")
    try:
        with session.begin_nested():
            record_visit(
                session=session,
                clock=web.clock,
                household_id=household_id,
                person_id=int(person_id) if person_id else None,
                outcome=chosen,
                operator=operator.username,
                note=note[:NOTE_MAX],
            )
    except InvalidCapture:
        return _household(request, today, session, operator, household_id, error="field.visit.error.note")
    return RedirectResponse(f"/households/{household_id}?done=visit", status_code=303)


# Capture and receipt ----------------------------------------------------------------------------


@router.get("/capture/{person_id}")
def capture_page(request: Request, web: KitWebDep, session: KitSession, operator: Operator, person_id: int) -> Response:
    person = _person(session, person_id)
    return _capture(request, web, session, operator, person, form={"phone": person.phone or ""})


@router.post("/capture/{person_id}")
def capture_submit(
    request: Request,
    web: KitWebDep,
    session: KitSession,
    operator: Operator,
    person_id: int,
    phone: Annotated[str, Form()] = "",
    guardian: Annotated[str, Form()] = "",
    document_kind: Annotated[list[str] | None, Form()] = None,
    document_number: Annotated[list[str] | None, Form()] = None,
    portrait: Annotated[UploadFile | None, File()] = None,
    fingerprints: Annotated[list[UploadFile] | None, File()] = None,
    missing_fingers: Annotated[str, Form()] = "",
    portrait_exception: Annotated[str, Form()] = "",
) -> Response:
    """Seal and store the capture, then show its receipt; any refusal shows the form again, filled in.

    A portrait the quality check refuses comes back with the reasons; the operator retakes it, or a
    supervisor keeps it by giving ``portrait_exception``. ``missing_fingers`` says why the fingers
    without an image (files in finger-position order) are missing.
    """
    person = _person(session, person_id)
    member = _member(session, web.clock.today(), person)
    numbers = dict(zip(document_kind or [], document_number or [], strict=False))
    form = {
        "phone": phone[:20],
        "guardian": guardian,
        "missing_fingers": missing_fingers[:20],
        "portrait_exception": portrait_exception[:REASON_MAX],
        **{f"doc_{k}": v[:64] for k, v in numbers.items()},
    }
    biometrics = member.application_type is not ApplicationType.CHILD_CARD  # none for a child under 6
    try:
        capture = CaptureForm(
            person_id=person.id,
            application_type=member.application_type,
            operator=operator.username,
            phone=phone.strip() or None,
            guardian_id_number=_guardian(session, web.clock.today(), person, member, guardian),
            documents=_documents(numbers),
            portrait=_upload(portrait, MAX_ORIGINAL_BYTES) if biometrics else None,
            fingerprint_images=_fingerprints(fingerprints or []) if biometrics else None,
            attempt=_attempt(session, person.id),
            missing_fingers=_missing_reason(missing_fingers),
            portrait_exception=_text(portrait_exception, REASON_MAX) or None,
        )
        with session.begin_nested():
            item = capture_application(kit=web.kit, session=session, clock=web.clock, form=capture, source=web.source)
    except CaptureRefused as exc:
        return _capture(request, web, session, operator, person, form=form, refused=exc, status_code=exc.status)
    except InvalidCapture as exc:
        return _capture(request, web, session, operator, person, form=form, invalid=exc, status_code=exc.status)
    return RedirectResponse(f"/receipts/{quote(item.application_id)}?saved=1", status_code=303)


@router.post("/card")
def card_submit(
    request: Request,
    web: KitWebDep,
    session: KitSession,
    operator: Operator,
    person_id: Annotated[int | None, Form()] = None,
    card_image: Annotated[UploadFile | None, File()] = None,
    qr_text: Annotated[str, Form()] = "",
    mrz: Annotated[str, Form()] = "",
) -> Response:
    """Read the citizen's card (QR photo, QR text or MRZ) and open their capture form with every disagreement.

    From a member's capture form (``person_id``) the card is checked against that member; from the
    household list the card's ID number finds the person in this kit's extract.
    """
    person = _person(session, person_id) if person_id is not None else None
    try:
        reading = read_card(
            qr_image=_upload(card_image, MAX_ORIGINAL_BYTES), qr_text=qr_text, mrz=mrz, today=web.clock.today()
        )
    except InvalidCapture as exc:
        if person is None:
            raise
        return _capture(request, web, session, operator, person, form={}, invalid=exc, status_code=exc.status)
    if person is None:
        person = session.scalar(select(KitPerson).where(KitPerson.id_number == reading.id_number))
        if person is None:
            raise NotOnThisKit("the card's ID number is not in this kit's villages")
    return _capture(
        request,
        web,
        session,
        operator,
        person,
        form={"phone": person.phone or ""},
        card=(reading, disagreements(reading, person)),
    )


@router.get("/receipts/{application_id}")
def receipt_page(
    request: Request, web: KitWebDep, session: KitSession, operator: Operator, application_id: str, saved: str = ""
) -> Response:
    """The application's short code and a QR of it, for the citizen to keep (a photo of the screen will do)."""
    item = session.get(OutboxItem, application_id[:36])
    if item is None:
        raise NotOnThisKit(f"no capture {application_id[:36]} on this kit")
    identity = session.get(KitIdentity, 1)
    follow_url = f"{identity.server_url.rstrip('/')}/follow" if identity is not None else "/follow"
    values = {
        "item": item,
        "qr": receipt_qr(item),
        "saved": saved == "1",
        "tz": TIME_ZONE,
        "follow_url": follow_url,
        "simulated_biometrics": web.source.simulated,
    }
    return _page(request, "field/receipt.html", operator, values)


def receipt_payload(item: OutboxItem) -> str:
    """What the receipt's QR encodes: the application id and its short code, nothing personal."""
    return f"CIVICID:{item.application_id}:{item.short_code}"


def receipt_qr(item: OutboxItem) -> Markup:
    """The QR as inline SVG (no image file, no script: allowed by the pages' CSP)."""
    svg = segno.make(receipt_payload(item), error="m").svg_inline(scale=5, title=item.short_code)
    return Markup(svg)  # noqa: S704 - segno's own SVG; the only text in it is the escaped short code


# The supervisor's review ------------------------------------------------------------------------


@router.get("/review")
def review_page(
    request: Request, session: KitSession, operator: Supervisor, done: str = "", code: str = ""
) -> Response:
    notice = {"done": done, "code": code[:12]} if done in ("approved", "rejected") else None
    return _review(request, session, operator, notice=notice)


@router.post("/review/{application_id}")
def review_submit(
    request: Request,
    web: KitWebDep,
    session: KitSession,
    operator: Supervisor,
    application_id: str,
    decision: Annotated[str, Form()] = "",
    reason: Annotated[str, Form()] = "",
) -> Response:
    """Approve (never one's own capture) or reject with a reason the operator can act on."""
    chosen = next((d for d in Review if d.value == decision), None)
    target = application_id[:36]
    if chosen is None:
        return _review(request, session, operator, error=("field.review.error.decision", target), status_code=400)
    try:
        with session.begin_nested():
            item = review(
                kit=web.kit,
                session=session,
                clock=web.clock,
                supervisor=operator,
                application_id=target,
                decision=chosen,
                reason=reason[:REASON_MAX],
            )
    except (MakerChecker, OutboxTransitionRefused, InvalidCapture, NotOnThisKit) as exc:
        error = _REVIEW_ERRORS.get(type(exc), "field.review.error.decision")
        form = {"reason": reason[:REASON_MAX]}
        return _review(request, session, operator, error=(error, target), form=form, status_code=exc.status)
    done = "approved" if chosen is Review.APPROVE else "rejected"
    return RedirectResponse(f"/review?done={done}&code={quote(item.short_code)}", status_code=303)


_REVIEW_ERRORS: dict[type[CivicIDError], str] = {
    MakerChecker: "field.review.error.maker_checker",
    OutboxTransitionRefused: "field.review.error.not_captured",
    InvalidCapture: "field.review.error.reason",
    NotOnThisKit: "field.review.error.unknown",
}


# The kit's status and "Sync now" ----------------------------------------------------------------


@router.get("/status")
def status_page(request: Request, web: KitWebDep, session: KitSession, operator: Operator, sync: str = "") -> Response:
    status = kit_status(kit=web.kit, session=session, clock=web.clock)
    values = {
        "status": status,
        "rails": rail_texts(web.kit, session, web.clock),
        "states": list(OutboxState),
        "sync_result": sync if sync in ("done", "failed", "busy") else None,
        "tz": TIME_ZONE,
    }
    return _page(request, "field/status.html", operator, values)


@router.post("/status/sync")
def sync_submit(request: Request, web: KitWebDep) -> Response:
    """Sync now, outside any request transaction (the sync opens its own), then show the status."""
    with web.kit.transaction() as session:
        if web.logins.who(login_token(request), web.clock.now()) is None:
            raise NotAuthenticated("log in on this kit first")
        session.get(KitIdentity, 1)
    report = web.sync.run_now()
    outcome = "busy" if report is None else ("done" if report.complete else "failed")
    return RedirectResponse(f"/status?sync={outcome}", status_code=303)


def rail_texts(kit: Kit, session: Session, clock: Clock) -> list[RailText]:
    """Each guard-rail the kit is beyond, as a sentence in the page's language saying what to do."""
    identity = session.get(KitIdentity, 1)
    assert identity is not None  # noqa: S101 - Kit.open checked it
    rails = guardrails.rails_of(identity.guardrails)
    condition = condition_of(kit, session, clock)
    return [_rail_text(refusal.rail, rails, condition) for refusal in guardrails.check(rails, condition)]


def _rail_text(rail: guardrails.Rail, rails: guardrails.GuardRails, condition: guardrails.KitCondition) -> RailText:
    key = f"field.rail.{rail.value}"
    if rail is guardrails.Rail.DAYS_WITHOUT_SYNC:
        days = (condition.now - (condition.last_sync_at or condition.created_at)).days
        return RailText(key, {"days": days, "limit": f"{rails.max_days_without_sync:g}"})
    if rail is guardrails.Rail.UNSENT_CAPTURES:
        return RailText(key, {"count": condition.unsent_captures, "limit": rails.max_unsent_captures})
    if rail is guardrails.Rail.FREE_DISK:
        return RailText(key, {"free": f"{condition.free_disk_mb:.0f}", "limit": f"{rails.min_free_disk_mb:g}"})
    drift = condition.clock_drift.total_seconds() if condition.clock_drift is not None else 0.0
    return RailText(
        f"{key}.{'ahead' if drift > 0 else 'behind'}",
        {"minutes": f"{abs(drift) / 60:.0f}", "limit": f"{rails.max_clock_drift_minutes:g}"},
    )


# Helpers ----------------------------------------------------------------------------------------


def _page(
    request: Request, name: str, operator: KitOperator | None, values: dict[str, Any], status_code: int = 200
) -> Response:
    """Render in the shared layout; the logged-in operator takes the layout's "principal" place."""
    return render(request, name, {**values, "principal": operator}, status_code=status_code)


def _household(
    request: Request,
    today: dt.date,
    session: Session,
    operator: KitOperator,
    household_id: int,
    *,
    done: bool = False,
    error: str | None = None,
) -> Response:
    household = session.get(KitHousehold, household_id)
    if household is None:
        raise NotOnThisKit(f"household {household_id} is not on this kit")
    values = {
        "household": household,
        "village": next((v.name for v in villages(session) if v.id == household.village_id), ""),
        "members": members(session=session, household_id=household_id, today=today),
        "outcomes": VISIT_OUTCOMES,
        "capturable": CAPTURABLE,
        "done": done,
        "error": error,
    }
    return _page(request, "field/household.html", operator, values, 400 if error else 200)


def _person(session: Session, person_id: int) -> KitPerson:
    person = session.get(KitPerson, person_id)
    if person is None:
        raise NotOnThisKit(f"person {person_id} is not in this kit's villages")
    return person


def _member(session: Session, today: dt.date, person: KitPerson) -> Member:
    household = members(session=session, household_id=person.household_id, today=today)
    return next(m for m in household if m.person.id == person.id)


def _guardians(session: Session, today: dt.date, person: KitPerson) -> list[KitPerson]:
    """Adults of the same household who may stand as the child's guardian."""
    people = session.scalars(
        select(KitPerson).where(KitPerson.household_id == person.household_id, KitPerson.id != person.id)
    )
    return [p for p in people if age_on(p.date_of_birth, today) >= GUARDIAN_MIN_AGE]


def _guardian(session: Session, today: dt.date, person: KitPerson, member: Member, chosen: str) -> str | None:
    if member.application_type is ApplicationType.LEVEL2:
        return None
    allowed = {p.id_number for p in _guardians(session, today, person)}
    if chosen not in allowed:
        raise InvalidCapture("choose the guardian who is present from the household", field="guardian_id_number")
    return chosen


def _documents(numbers: dict[str, str]) -> tuple[Document, ...]:
    documents = []
    for kind, number in numbers.items():
        if not number.strip():
            continue
        if kind not in {k.value for k in DocumentKind}:
            raise InvalidCapture(f"unknown document kind {kind[:40]!r}", field="documents")
        if len(number.strip()) > 64:
            raise InvalidCapture("a document number has at most 64 characters", field="documents")
        documents.append(Document(kind=DocumentKind(kind), number=number.strip()))
    return tuple(documents)


def _upload(upload: UploadFile | None, limit: int) -> bytes | None:
    """The uploaded file's bytes (None for an empty file field); one byte over ``limit`` is refused."""
    if upload is None:
        return None
    data = upload.file.read(limit + 1)
    if len(data) > limit:
        raise InvalidCapture(f"the file is larger than {limit // 1_000_000} MB", field="portrait")
    return data or None


def _fingerprints(uploads: list[UploadFile]) -> bytes | None:
    """The images in finger-position order; an empty file field keeps its position as a missing finger."""
    images = [_upload(u, MAX_ORIGINAL_BYTES) or b"" for u in uploads[:MAX_FINGERPRINT_FILES]]
    return join_fingerprint_images(images) if any(images) else None


def _missing_reason(value: str) -> MissingReason | None:
    if not value:
        return None
    try:
        return MissingReason(value)
    except ValueError as exc:
        raise InvalidCapture("unknown reason for missing fingers", field="missing_fingers") from exc


def _text(value: str, limit: int) -> str:
    """Free text from a form, stripped; control characters are refused (they have no place in a reason)."""
    text = value.strip()
    if any(ord(c) < 32 and c not in "\t\n\r" for c in text) or len(text) > limit:
        raise InvalidCapture(f"at most {limit} characters, no control characters", field="portrait_exception")
    return text


def _attempt(session: Session, person_id: int) -> int:
    earlier = session.scalar(select(func.count()).where(OutboxItem.person_id == person_id)) or 0
    return earlier + 1


def _capture(
    request: Request,
    web: KitWeb,
    session: Session,
    operator: KitOperator,
    person: KitPerson,
    *,
    form: dict[str, str],
    refused: CaptureRefused | None = None,
    invalid: InvalidCapture | None = None,
    status_code: int = 200,
    card: tuple[CardReading, list[Disagreement]] | None = None,
) -> Response:
    today = web.clock.today()
    member = _member(session, today, person)
    field_name = str(invalid.extensions.get("field", "")) if invalid is not None else ""
    values = {
        "person": person,
        "member": member,
        "guardians": _guardians(session, today, person),
        "document_kinds": list(DocumentKind),
        "form": {"phone": "", "guardian": "", "missing_fingers": "", "portrait_exception": "", **form},
        "rails": rail_texts(web.kit, session, web.clock),
        "refused": refused,
        "invalid": invalid,
        "invalid_key": f"field.capture.error.{field_name.split('.')[0]}"
        if field_name.split(".")[0] in KNOWN_CAPTURE_FIELDS
        else None,
        "scanner": "simulated" if web.source.simulated else "nbis",
        "simulated_biometrics": web.source.simulated,
        "card": card[0] if card else None,
        "card_disagreements": card[1] if card else [],
        "portrait_problems": list(invalid.extensions.get("problems", [])) if invalid is not None else [],
        "can_accept_exception": operator.role == OperatorRole.SUPERVISOR,
        "missing_reasons": [r.value for r in MissingReason if r is not MissingReason.DAMAGED],
        "needs_guardian": member.application_type is not ApplicationType.LEVEL2,
        "needs_biometrics": member.application_type is not ApplicationType.CHILD_CARD,
    }
    return _page(request, "field/capture.html", operator, values, status_code)


def _review(
    request: Request,
    session: Session,
    operator: KitOperator,
    *,
    notice: dict[str, str] | None = None,
    error: tuple[str, str] | None = None,
    form: dict[str, str] | None = None,
    status_code: int = 200,
) -> Response:
    items = list(
        session.scalars(
            select(OutboxItem).where(OutboxItem.state == OutboxState.CAPTURED).order_by(OutboxItem.captured_at)
        )
    )
    values = {
        "items": items,
        "notice": notice,
        "error": error,
        "form": {"reason": "", **(form or {})},
        "tz": TIME_ZONE,
    }
    return _page(request, "field/review.html", operator, values, status_code)
