"""The supervisor's decisions: approval under maker-checker, rejection, and adjudication.

Maker-checker: whoever captured an application may not approve or adjudicate it, whatever their
role. Every decision is audited and appears on the application's timeline with its reason.
"""

from __future__ import annotations

from sqlalchemy.orm import Session

from civicid.core import audit, jobs
from civicid.core.audit import Actor
from civicid.core.clock import Clock
from civicid.enrollment.biometric_steps import EnrollmentBiometrics
from civicid.enrollment.errors import ApplicationNotFound, MakerCheckerViolation, NotAwaitingDecision
from civicid.enrollment.models import Application, ApplicationStatus
from civicid.enrollment.timeline import add_event, bump_change_seq

ISSUE_STAGE = "enrollment.issue"


def approve(
    *, session: Session, clock: Clock, supervisor: Actor, application_id: str, commune_code: str | None = None
) -> Application:
    """Approve a unique application; the account is issued by the next job, in its own transaction."""
    application = _decidable(session, supervisor, application_id, commune_code, ApplicationStatus.AWAITING_APPROVAL)
    application.status = ApplicationStatus.PROCESSING  # until the issue stage has run
    _decide(session, clock, supervisor, application, "approval", "approved", None)
    jobs.enqueue(session=session, clock=clock, kind=ISSUE_STAGE, subject_id=application.id)
    return application


def reject(
    *,
    session: Session,
    clock: Clock,
    supervisor: Actor,
    application_id: str,
    reason: str,
    biometrics: EnrollmentBiometrics,
    commune_code: str | None = None,
) -> Application:
    """Refuse an application awaiting approval; its template leaves the gallery with it."""
    application = _decidable(session, supervisor, application_id, commune_code, ApplicationStatus.AWAITING_APPROVAL)
    application.status = ApplicationStatus.REJECTED
    biometrics.forget(session, clock, application.id)
    _decide(session, clock, supervisor, application, "approval", "rejected", reason)
    return application


def adjudicate(
    *,
    session: Session,
    clock: Clock,
    supervisor: Actor,
    application_id: str,
    is_duplicate: bool,
    reason: str,
    biometrics: EnrollmentBiometrics,
    commune_code: str | None = None,
) -> Application:
    """Settle a suspected duplicate: the same person (rejected) or two people (on to approval)."""
    application = _decidable(session, supervisor, application_id, commune_code, ApplicationStatus.SUSPECTED_DUPLICATE)
    if is_duplicate:
        application.status = ApplicationStatus.REJECTED_DUPLICATE
        outcome = "duplicate"
    else:
        biometrics.admit(session, clock, application.id)
        application.status = ApplicationStatus.AWAITING_APPROVAL
        outcome = "not_duplicate"
    _decide(session, clock, supervisor, application, "adjudication", outcome, reason)
    return application


def _decidable(
    session: Session, supervisor: Actor, application_id: str, commune_code: str | None, expected: ApplicationStatus
) -> Application:
    application = session.get(Application, application_id)
    if application is None or (commune_code is not None and application.commune_code != commune_code):
        raise ApplicationNotFound(f"no application {application_id}")
    if application.status != expected:
        raise NotAwaitingDecision(
            f"the application is {application.status.value}, not {expected.value}", status=application.status.value
        )
    if supervisor.name == application.operator:
        raise MakerCheckerViolation("an operator cannot decide on an application they captured")
    return application


def _decide(
    session: Session,
    clock: Clock,
    supervisor: Actor,
    application: Application,
    stage: str,
    outcome: str,
    reason: str | None,
) -> None:
    application.decided_by = supervisor.name
    application.decided_at = clock.now()
    bump_change_seq(session, application)
    add_event(
        session,
        clock,
        application.id,
        stage,
        outcome,
        actor=str(supervisor),
        details={"reason": reason} if reason else None,
    )
    audit.record(
        session=session,
        clock=clock,
        actor=supervisor,
        action=f"application.{stage}",
        subject_type="application",
        subject_id=application.id,
        details={"outcome": outcome},
    )
