"""A capture becomes a sealed, signed packet on the kit's disk before the operator sees "saved".

The order is what makes "never lose a capture" true: the guard-rails are checked, the packet is
built (parts sealed to the server's key, envelope signed by the device key), every sealed part is
written and flushed to disk, and only then is the outbox row inserted in the caller's transaction.
When that transaction commits, the page says "saved" and shows the receipt. A crash before the
commit leaves sealed files no row names (swept at the next start); a crash after leaves a complete
outbox item.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass

from pydantic import ValidationError
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from civicid.biometrics.finger_set import MissingReason
from civicid.biometrics.fingerprint import split_images
from civicid.biometrics.portrait_quality import PortraitQuality
from civicid.core.clock import Clock
from civicid.core.ids import uuid7
from civicid.field import guardrails
from civicid.field.errors import CaptureRefused, InvalidCapture, NotOnThisKit, PortraitRefused
from civicid.field.kit import Kit
from civicid.field.models import (
    KitIdentity,
    KitOperator,
    KitPerson,
    KitVisit,
    OperatorRole,
    OutboxItem,
    OutboxPart,
    OutboxState,
)
from civicid.field.outbox import is_unsent
from civicid.field.portrait import compress_portrait, is_svg
from civicid.field.sources import BiometricSource
from civicid.protocol.packet import (
    PRIORITY_FIRST,
    PRIORITY_LATER,
    ApplicationType,
    Capture,
    Document,
    PartIn,
    PartKind,
    PortraitException,
    build_packet,
    receipt_code,
)


@dataclass(frozen=True)
class CaptureForm:
    """What the operator entered and captured for one application."""

    person_id: int
    application_type: ApplicationType
    operator: str
    phone: str | None = None
    guardian_id_number: str | None = None
    documents: Sequence[Document] = ()
    portrait: bytes | None = None  # a photo from the camera or a file (any size), or a simulated SVG
    fingerprint_images: bytes | None = None  # joined in finger-position order; an empty image is a missing finger
    attempt: int = 1  # varies the simulated capture when the same person is captured again
    missing_fingers: MissingReason | None = None  # why the fingers without an image are missing
    portrait_exception: str | None = None  # a supervisor's reason to keep a portrait the quality check refused


def capture_application(
    *, kit: Kit, session: Session, clock: Clock, form: CaptureForm, source: BiometricSource
) -> OutboxItem:
    """Seal and store one application; raises :class:`CaptureRefused` when a guard-rail says no."""
    identity = session.get(KitIdentity, 1)
    assert identity is not None  # noqa: S101 - Kit.open checked it
    refusals = guardrails.check(guardrails.rails_of(identity.guardrails), condition_of(kit, session, clock))
    if refusals:
        raise CaptureRefused(" ".join(r.message for r in refusals), rails=[r.rail.value for r in refusals])
    person = session.get(KitPerson, form.person_id)
    if person is None:
        raise NotOnThisKit(f"person {form.person_id} is not in this kit's villages")
    exception = _portrait_check(session, form, source)
    capture = _capture(identity, person, form, clock, exception)
    packet = build_packet(
        capture=capture,
        parts=_parts(person, form, source),
        device_key=kit.device_key(),
        server_public_key=Kit.server_sealing_key(identity),
    )
    for name, sealed in packet.sealed_parts.items():
        kit.write_sealed(capture.application_id, name, sealed)
    item = OutboxItem(
        application_id=capture.application_id,
        short_code=receipt_code(capture.application_id),
        application_type=capture.application_type.value,
        person_id=person.id,
        household_id=person.household_id,
        village_id=person.village_id,
        full_name=person.full_name,
        operator=form.operator,
        captured_at=capture.captured_at,
        envelope_jws=packet.envelope_jws,
        state=OutboxState.CAPTURED,
        attempts=0,
    )
    session.add(item)
    session.add_all(
        OutboxPart(
            application_id=item.application_id,
            name=ref.name,
            kind=ref.kind.value,
            priority=ref.priority,
            size=ref.size,
            sha256=ref.sha256,
            sent_bytes=0,
            on_server=False,
        )
        for ref in packet.envelope.manifest
    )
    session.add(
        KitVisit(
            id=str(uuid7(int(clock.now().timestamp() * 1000))),
            household_id=person.household_id,
            person_id=person.id,
            outcome="done",
            note=None,
            operator=form.operator,
            visited_at=clock.now(),
            synced=False,
        )
    )
    session.flush()
    return item


def condition_of(kit: Kit, session: Session, clock: Clock, *, unsent: int | None = None) -> guardrails.KitCondition:
    """What the guard-rails look at; ``unsent`` when the caller has already counted it."""
    identity = session.get(KitIdentity, 1)
    assert identity is not None  # noqa: S101 - Kit.open checked it
    return guardrails.KitCondition(
        now=clock.now(),
        created_at=identity.created_at,
        last_sync_at=identity.last_sync_at,
        unsent_captures=len(unsent_captures(session)) if unsent is None else unsent,
        free_disk_mb=guardrails.free_disk_mb(kit.root),
        clock_drift=clock_drift(identity, clock.now()),
    )


def clock_drift(identity: KitIdentity, now: dt.datetime) -> dt.timedelta | None:
    """The kit's clock minus the server's: measured at the last sync, or now if the clock went back since."""
    if identity.last_server_time is None or identity.last_server_time_local is None:
        return None
    if now < identity.last_server_time:
        return now - identity.last_server_time  # behind the server's last known time: certainly wrong
    return identity.last_server_time_local - identity.last_server_time


def unsent_captures(session: Session) -> list[dt.datetime]:
    """When each capture that still holds data the server lacks was made (``outbox.is_unsent``), oldest first.

    The one definition of "unsent" for the guard-rail, the status page and the report sent at sync.
    """
    on_kit = (
        select(OutboxPart.application_id, func.count().label("n"))
        .where(OutboxPart.on_server.is_(False))
        .group_by(OutboxPart.application_id)
        .subquery()
    )
    rows = session.execute(
        select(OutboxItem.state, func.coalesce(on_kit.c.n, 0), OutboxItem.captured_at)
        .outerjoin(on_kit, on_kit.c.application_id == OutboxItem.application_id)
        .where(OutboxItem.state.not_in([OutboxState.REJECTED, OutboxState.NEEDS_CORRECTION]))
        .order_by(OutboxItem.captured_at)
    ).all()
    return [captured for state, parts, captured in rows if is_unsent(state, parts)]


def _portrait_check(session: Session, form: CaptureForm, source: BiometricSource) -> PortraitException | None:
    """The portrait's quality, checked offline before anything is sealed (``biometrics/portrait_quality.py``).

    A refused portrait is retaken; only a supervisor may keep it, with a reason that travels signed
    with the capture. Children under 6 give no portrait; the simulator's drawings are not checked.
    """
    if form.application_type is ApplicationType.CHILD_CARD or form.portrait is None:
        return None
    quality: PortraitQuality | None = source.check_portrait(form.portrait)
    if quality is None or quality.acceptable:
        return None
    reason = (form.portrait_exception or "").strip()
    if not reason:
        raise PortraitRefused(quality)
    operator = session.get(KitOperator, form.operator)
    if operator is None or operator.role != OperatorRole.SUPERVISOR:
        raise PortraitRefused(quality, detail="only a supervisor may keep a portrait the check refused")
    if len(reason) < 3 or len(reason) > 300:
        raise InvalidCapture("the exception's reason has 3 to 300 characters", field="portrait_exception")
    return PortraitException(
        problems=tuple(p.value for p in quality.problems), reason=reason, accepted_by=operator.username
    )


def _capture(
    identity: KitIdentity, person: KitPerson, form: CaptureForm, clock: Clock, exception: PortraitException | None
) -> Capture:
    now = clock.now()
    try:
        return Capture(
            application_id=str(uuid7(int(now.timestamp() * 1000))),
            application_type=form.application_type,
            id_number=person.id_number,
            full_name=person.full_name,
            date_of_birth=person.date_of_birth,
            sex=person.sex,
            phone=form.phone,
            guardian_id_number=form.guardian_id_number,
            documents=tuple(form.documents),
            commune_code=identity.commune_code,
            village_id=person.village_id,
            household_id=person.household_id,
            operator=form.operator,
            device_id=identity.device_id,
            captured_at=now,
            portrait_exception=exception,
        )
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(p) for p in first["loc"]) or "capture"
        raise InvalidCapture(f"{where}: {first['msg']}", field=where) from exc


def _parts(person: KitPerson, form: CaptureForm, source: BiometricSource) -> dict[str, PartIn]:
    if form.application_type is ApplicationType.CHILD_CARD:
        return {}  # a child under 6: no biometrics (DOMAIN.md)
    if form.portrait is None:
        raise InvalidCapture("a level-2 application needs the citizen's portrait", field="portrait")
    try:
        images: list[bytes | None] = list(split_images(form.fingerprint_images or b""))
    except ValueError as exc:
        raise InvalidCapture(str(exc), field="fingerprints") from exc
    fingers = source.fingers(person.id, form.attempt, images, form.missing_fingers)
    parts = {
        "face": PartIn(PartKind.FACE_TEMPLATE, source.face(person.id, form.attempt, form.portrait), PRIORITY_FIRST),
        "fingers": PartIn(PartKind.FINGER_TEMPLATES, fingers, PRIORITY_FIRST),
    }
    if is_svg(form.portrait):
        parts["portrait"] = PartIn(PartKind.PORTRAIT, form.portrait, PRIORITY_FIRST)
    else:
        parts["portrait"] = PartIn(PartKind.PORTRAIT, compress_portrait(form.portrait), PRIORITY_FIRST)
        parts["portrait_full"] = PartIn(PartKind.PORTRAIT_FULL, form.portrait, PRIORITY_LATER)
    if form.fingerprint_images:
        parts["fingerprint_images"] = PartIn(PartKind.FINGERPRINT_IMAGES, form.fingerprint_images, PRIORITY_LATER)
    return parts
