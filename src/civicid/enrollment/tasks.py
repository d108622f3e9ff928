"""The pipeline's stages as job handlers (DESIGN.md decision 2; MOSIP's registration processor).

integrity → registry match → eligibility → biometrics (1:1, then 1:N dedup) → [supervisor] → issue.

Each stage runs in one transaction with the job's completion (``core/jobs.py``): it records its
outcome on the timeline (unique per stage, so a stage that ran cannot run again), moves the
application's status, and enqueues the next stage. An outcome such as "needs correction" is a
result, not an error; only unexpected failures raise, and are retried.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from civicid.accounts import service as accounts
from civicid.accounts.errors import PhoneNumberTaken
from civicid.biometrics.dedup import DedupKind
from civicid.core import jobs
from civicid.core.audit import Actor
from civicid.core.blobs import BlobStore
from civicid.core.clock import Clock
from civicid.core.crypto.sealing import SealingKey
from civicid.core.jobs import Handler
from civicid.country.age import AgeGroup, age_group, birthday
from civicid.country.names import fold
from civicid.enrollment import devices, packet
from civicid.enrollment.approval import ISSUE_STAGE
from civicid.enrollment.biometric_steps import EnrollmentBiometrics
from civicid.enrollment.errors import InvalidPacketSignature, InvalidSealedPart, PartHashMismatch, RevokedDevice
from civicid.enrollment.intake import FIRST_STAGE
from civicid.enrollment.models import Application, ApplicationPart, ApplicationStatus
from civicid.enrollment.packet import ApplicationType, Envelope, PartKind
from civicid.enrollment.timeline import add_event, bump_change_seq
from civicid.notify import service as notify
from civicid.registry import service as registry
from civicid.registry.errors import PersonNotFound
from civicid.registry.schemas import IdCardIn

PIPELINE = Actor("system", "pipeline")
REGISTRY_MATCH = "enrollment.registry_match"
ELIGIBILITY = "enrollment.eligibility"
BIOMETRICS = "enrollment.biometrics"
STAGES = (FIRST_STAGE, REGISTRY_MATCH, ELIGIBILITY, BIOMETRICS, ISSUE_STAGE)

# The part kinds whose plaintext the server's extractors read, by the extractor's name for them.
CAPTURE_PARTS = {PartKind.FACE_TEMPLATE: "face", PartKind.FINGER_TEMPLATES: "finger"}
REQUIRED_AGE = {
    ApplicationType.LEVEL2: AgeGroup.FROM_14,
    ApplicationType.LEVEL2_CHILD: AgeGroup.FROM_6_TO_13,
    ApplicationType.CHILD_CARD: AgeGroup.UNDER_6,
}


@dataclass
class Pipeline:
    """What the stages need besides the session and clock."""

    blobs: BlobStore
    server_key: SealingKey
    biometrics: EnrollmentBiometrics

    def handlers(self) -> Mapping[str, Handler]:
        return {
            FIRST_STAGE: self.integrity,
            REGISTRY_MATCH: self.registry_match,
            ELIGIBILITY: self.eligibility,
            BIOMETRICS: self.deduplication,
            ISSUE_STAGE: self.issue,
        }

    # Stages -------------------------------------------------------------------------------------

    def integrity(self, session: Session, clock: Clock, application_id: str) -> None:
        """Signature again (the device may since have been revoked), hashes, unseal, extract."""
        application = _application(session, application_id)
        try:
            envelope, _ = devices.verify_envelope_from_device(session=session, envelope_jws=application.envelope_jws)
            captures = self._open_captures(session, envelope)
            self.biometrics.store_probes(session, application.id, captures)
        except (InvalidPacketSignature, RevokedDevice, PartHashMismatch, InvalidSealedPart) as exc:
            _finish(session, clock, application, "integrity", ApplicationStatus.REJECTED_INTEGRITY, exc.code)
            return
        _advance(session, clock, application, "integrity", "verified", REGISTRY_MATCH)

    def registry_match(self, session: Session, clock: Clock, application_id: str) -> None:
        """The ID number exists, and name, date of birth and sex agree with the registry."""
        application = _application(session, application_id)
        envelope = _envelope(application)
        try:
            person = registry.get_person_by_id_number(
                session=session, clock=clock, actor=PIPELINE, id_number=envelope.id_number
            )
        except PersonNotFound:
            _finish(
                session, clock, application, "registry_match", ApplicationStatus.NEEDS_CORRECTION, "id_number_unknown"
            )
            return
        reason = _disagreement(envelope, person.full_name, person.date_of_birth, person.sex.value)
        if reason is not None:
            _finish(session, clock, application, "registry_match", ApplicationStatus.NEEDS_CORRECTION, reason)
            return
        application.person_id = person.id
        _advance(session, clock, application, "registry_match", "matched", ELIGIBILITY)

    def eligibility(self, session: Session, clock: Clock, application_id: str) -> None:
        """Age rules (DOMAIN.md), the guardian for children, and a parent with level 2 for a child's card."""
        application = _application(session, application_id)
        envelope = _envelope(application)
        assert application.person_id is not None  # noqa: S101 - set by the registry match
        person = registry.get_person(session=session, clock=clock, actor=PIPELINE, person_id=application.person_id)
        kind = ApplicationType(application.application_type)
        reason = None
        if age_group(person.date_of_birth, clock.today()) != REQUIRED_AGE[kind]:
            reason = f"age_not_{REQUIRED_AGE[kind].value}"
        elif kind is not ApplicationType.LEVEL2:
            reason = _guardian_problem(
                session, clock, envelope, person.id, needs_level2=kind is ApplicationType.CHILD_CARD
            )
        if reason is not None:
            _finish(session, clock, application, "eligibility", ApplicationStatus.INELIGIBLE, reason)
            return
        if kind is ApplicationType.CHILD_CARD:
            # No biometrics for a child under 6: straight to the supervisor.
            _finish(session, clock, application, "eligibility", ApplicationStatus.AWAITING_APPROVAL, None, "eligible")
            return
        _advance(session, clock, application, "eligibility", "eligible", BIOMETRICS)

    def deduplication(self, session: Session, clock: Clock, application_id: str) -> None:
        """1:1 against the person's own reference when there is one, then 1:N against everyone."""
        application = _application(session, application_id)
        reference = self.biometrics.reference_score(session, application)
        outcome = self.biometrics.deduplicate(session, application)
        details: dict[str, Any] = {
            "reference_score": reference,
            "best_score": outcome.best.score if outcome.best else None,
        }
        application.best_score = outcome.best.score if outcome.best else None
        if outcome.kind is DedupKind.DUPLICATE:
            application.duplicate_of = outcome.best.reference_id if outcome.best else None
            _finish(
                session,
                clock,
                application,
                "biometrics",
                ApplicationStatus.REJECTED_DUPLICATE,
                "duplicate",
                "duplicate",
                details,
            )
        elif outcome.kind is DedupKind.SUSPECTED_DUPLICATE:
            application.duplicate_of = outcome.best.reference_id if outcome.best else None
            _finish(
                session,
                clock,
                application,
                "biometrics",
                ApplicationStatus.SUSPECTED_DUPLICATE,
                "suspected_duplicate",
                "suspected_duplicate",
                details,
            )
        else:
            self.biometrics.admit(session, clock, application.id)
            _finish(
                session, clock, application, "biometrics", ApplicationStatus.AWAITING_APPROVAL, None, "unique", details
            )

    def issue(self, session: Session, clock: Clock, application_id: str) -> None:
        """Issue the level-2 account (pending activation) or the child's card, and queue the SMS."""
        application = _application(session, application_id)
        envelope = _envelope(application)
        assert application.person_id is not None  # noqa: S101 - set by the registry match
        if envelope.application_type is ApplicationType.CHILD_CARD:
            registry.issue_id_card(
                session=session,
                clock=clock,
                actor=PIPELINE,
                person_id=application.person_id,
                card_in=IdCardIn(issue_date=clock.today(), expiry_date=birthday(envelope.date_of_birth, 14)),
            )
            template = "child_card_approved"
        else:
            try:
                accounts.issue_account(
                    session=session,
                    clock=clock,
                    actor=PIPELINE,
                    person_id=application.person_id,
                    id_number=envelope.id_number,
                    phone=envelope.phone,
                    level=2,
                    source=f"application:{application.id}",
                )
            except PhoneNumberTaken:
                _finish(session, clock, application, "issue", ApplicationStatus.NEEDS_CORRECTION, "phone_number_taken")
                return
            template = "application_approved"
        if envelope.phone:
            notify.queue_sms(
                session=session,
                clock=clock,
                to=envelope.phone,
                template=template,
                params={},
                related_type="application",
                related_id=application.id,
                idempotency_key=f"{template}:{application.id}",
            )
        details = {
            "sms": bool(envelope.phone),
            # The wallet takes these once it exists (issue: wallet); until then they stay on the envelope.
            "documents_requested": [d.kind.value for d in envelope.documents],
        }
        _finish(session, clock, application, "issue", ApplicationStatus.ISSUED, None, "issued", details)

    # Helpers ------------------------------------------------------------------------------------

    def _open_captures(self, session: Session, envelope: Envelope) -> dict[str, bytes]:
        """Every part that has arrived must open; the capture parts' plaintexts go to the extractors.

        Parts of a later priority may still be on the kit; their hash is signed in the manifest and
        checked when they are assembled, so the pipeline does not wait for them.
        """
        parts = session.scalars(
            select(ApplicationPart).where(ApplicationPart.application_id == envelope.application_id)
        )
        captures: dict[str, bytes] = {}
        for part in parts:
            if part.blob is None:
                continue
            plain = packet.unseal_part(envelope, part.name, self.blobs.get(part.blob), server_key=self.server_key)
            kind = PartKind(part.kind)
            if kind in CAPTURE_PARTS:
                captures[CAPTURE_PARTS[kind]] = plain
        return captures


def _application(session: Session, application_id: str) -> Application:
    application = session.get(Application, application_id)
    if application is None:
        raise LookupError(f"no application {application_id}")
    return application


def _envelope(application: Application) -> Envelope:
    return packet.stored_envelope(application.envelope_jws)


def _disagreement(envelope: Envelope, full_name: str, date_of_birth: dt.date, sex: str) -> str | None:
    if fold(envelope.full_name) != fold(full_name):
        return "full_name_mismatch"
    if envelope.date_of_birth != date_of_birth:
        return "date_of_birth_mismatch"
    if envelope.sex.value != sex:
        return "sex_mismatch"
    return None


def _guardian_problem(
    session: Session, clock: Clock, envelope: Envelope, child_id: int, *, needs_level2: bool
) -> str | None:
    if envelope.guardian_id_number is None:
        return "guardian_missing"
    try:
        guardian = registry.get_person_by_id_number(
            session=session, clock=clock, actor=PIPELINE, id_number=envelope.guardian_id_number
        )
    except PersonNotFound:
        return "guardian_unknown"
    if guardian.id not in registry.guardians_of(session=session, child_id=child_id):
        return "guardian_not_linked"
    if needs_level2:
        account = accounts.find_account_by_person(session=session, person_id=guardian.id)
        if account is None or account.level < 2:
            return "guardian_without_level2"
    return None


def _advance(
    session: Session, clock: Clock, application: Application, stage: str, outcome: str, next_stage: str
) -> None:
    add_event(session, clock, application.id, stage, outcome, actor=str(PIPELINE))
    jobs.enqueue(session=session, clock=clock, kind=next_stage, subject_id=application.id)


def _finish(
    session: Session,
    clock: Clock,
    application: Application,
    stage: str,
    status: ApplicationStatus,
    reason: str | None,
    outcome: str | None = None,
    details: dict[str, Any] | None = None,
) -> None:
    application.status = status
    application.status_reason = reason
    bump_change_seq(session, application)
    add_event(
        session,
        clock,
        application.id,
        stage,
        outcome or status.value,
        actor=str(PIPELINE),
        reason=reason,
        details=details,
    )
