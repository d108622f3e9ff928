"""The supervisor's decisions: approval under maker-checker, rejection, and adjudication.

Maker-checker: whoever captured an application may not approve or adjudicate it, whatever their
role. Every decision is audited and appears on the application's timeline with its reason.
"""

from __future__ import annotations

from typing import NoReturn

from sqlalchemy import JSON, bindparam, select, update
from sqlalchemy.orm import Session
from sqlalchemy.orm.util import identity_key

from civicid.core import audit, jobs
from civicid.core.audit import Actor
from civicid.core.clock import Clock
from civicid.core.dialects import on_postgresql
from civicid.enrollment.biometric_steps import EnrollmentBiometrics
from civicid.enrollment.errors import ApplicationNotFound, MakerCheckerViolation, NotAwaitingDecision
from civicid.enrollment.models import Application
from civicid.enrollment.timeline import NumberedUpdate, add_event, bump_change_seq
from civicid.protocol.codes import ApplicationStatus, Stage

ISSUE_STAGE = "enrollment.issue"


def approve(
    *, session: Session, clock: Clock, supervisor: Actor, application_id: str, commune_code: str | None = None
) -> None:
    """Approve a unique application; the account is issued by the next job, in its own transaction.

    A supervisor approves one application per request, so this is a few prebuilt statements and
    no ORM unit of work: an UPDATE that moves the application only if it is still awaiting
    approval, in the supervisor's commune, and captured by someone else (maker-checker), then the
    timeline event, the audit entry and the issue job, as for every decision. Only when the UPDATE
    moves nothing is the application read, to say why.
    """
    session.flush()  # the UPDATE's conditions read what this transaction changed: it must be written
    now = clock.now()
    values = {"b_id": application_id, "b_by": supervisor.name, "b_at": now, "b_commune": commune_code}
    if not _APPROVE[commune_code is not None].execute(session, values):
        _explain_refusal(session, supervisor, application_id, commune_code)
    loaded = session.identity_map.get(identity_key(Application, application_id))
    if loaded is not None:  # an Application this session holds must not show the old decision
        session.expire(loaded, ["status", "decided_by", "decided_at", "change_seq"])
    if on_postgresql(session.connection()):
        _record_approval_in_one_statement(session, clock, supervisor, application_id)
        return
    _record_decision(session, clock, supervisor, application_id, Stage.APPROVAL, "approved", None)
    jobs.enqueue(session=session, clock=clock, kind=ISSUE_STAGE, subject_id=application_id)


def _record_approval_in_one_statement(session: Session, clock: Clock, supervisor: Actor, application_id: str) -> None:
    """PostgreSQL: the approval's timeline event, issue job and audit entry in one round trip, not three.

    The same rows :func:`_record_decision` and ``jobs.enqueue`` write, as data-modifying CTEs in
    front of the audit chain's append (``audit.pg_append_after``). A repeated event still fails
    loudly on its unique (application, stage); an issue job already there is kept.
    """
    values = audit.entry(
        clock=clock,
        actor=supervisor,
        action="application.approval",
        subject_type="application",
        subject_id=application_id,
        details={"outcome": "approved"},
    )
    values.update(stage=Stage.APPROVAL, outcome="approved", kind=ISSUE_STAGE, event_details={})
    session.connection().execute(_PG_APPROVAL_RECORD, values).one()


def _explain_refusal(session: Session, supervisor: Actor, application_id: str, commune_code: str | None) -> NoReturn:
    """Raise why the approval's UPDATE moved nothing: not found, not awaiting approval, or maker-checker."""
    row = session.connection().execute(_DECIDABLE, {"id": application_id}).first()
    status, operator, commune = row if row is not None else (None, "", "")
    _check_decidable(
        supervisor, application_id, status, operator, commune, commune_code, ApplicationStatus.AWAITING_APPROVAL
    )
    # Every check passes now: another decision got there between the UPDATE and this read.
    raise NotAwaitingDecision("the application was decided meanwhile", status=ApplicationStatus.PROCESSING.value)


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
    _decide(session, clock, supervisor, application, Stage.APPROVAL, "rejected", reason)
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
    _decide(session, clock, supervisor, application, Stage.ADJUDICATION, outcome, reason)
    return application


def _decidable(
    session: Session, supervisor: Actor, application_id: str, commune_code: str | None, expected: ApplicationStatus
) -> Application:
    application = session.get(Application, application_id)
    if application is None:
        raise ApplicationNotFound(f"no application {application_id}")
    _check_decidable(
        supervisor,
        application_id,
        application.status,
        application.operator,
        application.commune_code,
        commune_code,
        expected,
    )
    return application


def _check_decidable(
    supervisor: Actor,
    application_id: str,
    status: ApplicationStatus | None,
    operator: str,
    commune: str,
    commune_code: str | None,
    expected: ApplicationStatus,
) -> None:
    """Not found (also outside the supervisor's commune), not awaiting this decision, or maker-checker."""
    if status is None or (commune_code is not None and commune != commune_code):
        raise ApplicationNotFound(f"no application {application_id}")
    if status != expected:
        raise NotAwaitingDecision(f"the application is {status.value}, not {expected.value}", status=status.value)
    if supervisor.name == operator:
        raise MakerCheckerViolation("an operator cannot decide on an application they captured")


def _decide(
    session: Session,
    clock: Clock,
    supervisor: Actor,
    application: Application,
    stage: Stage,
    outcome: str,
    reason: str | None,
) -> None:
    application.decided_by = supervisor.name
    application.decided_at = clock.now()
    bump_change_seq(session, application)
    _record_decision(session, clock, supervisor, application.id, stage, outcome, reason)


def _record_decision(
    session: Session,
    clock: Clock,
    supervisor: Actor,
    application_id: str,
    stage: Stage,
    outcome: str,
    reason: str | None,
) -> None:
    """The decision on the application's timeline and in the audit chain."""
    add_event(
        session,
        clock,
        application_id,
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
        subject_id=application_id,
        details={"outcome": outcome},
    )


_DECIDABLE = select(Application.status, Application.operator, Application.commune_code).where(
    Application.id == bindparam("id")
)


def _approval(*, in_commune: bool) -> NumberedUpdate:
    """The approval's UPDATE: it moves only an application that passes every check of :func:`_check_decidable`."""
    decidable = [
        Application.id == bindparam("b_id"),
        Application.status == ApplicationStatus.AWAITING_APPROVAL,
        Application.operator != bindparam("b_by"),  # maker-checker
    ]
    if in_commune:
        decidable.append(Application.commune_code == bindparam("b_commune"))
    return NumberedUpdate(
        update(Application)
        .where(*decidable)
        .values(
            status=ApplicationStatus.PROCESSING,  # until the issue stage has run
            decided_by=bindparam("b_by"),
            decided_at=bindparam("b_at"),
            change_seq=bindparam("b_change_seq"),
        )
    )


# By whether the supervisor is limited to a commune.
_APPROVE = {False: _approval(in_commune=False), True: _approval(in_commune=True)}
# The approval's event (as ``timeline.add_event`` writes it) and issue job (as ``jobs.enqueue``
# writes it), in the statement of its audit append; the event's actor and time are the entry's.
_PG_APPROVAL_RECORD = audit.pg_append_after(
    "event AS ("
    " INSERT INTO application_event (application_id, stage, outcome, reason, actor, at, details)"
    " VALUES (:subject_id, :stage, :outcome, NULL, :actor, :at, :event_details)"
    "), issue AS ("
    " INSERT INTO job (kind, subject_id, state, attempts, run_after, created_at)"
    " VALUES (:kind, :subject_id, 'queued', 0, :at, :at)"
    " ON CONFLICT (kind, subject_id) DO NOTHING"
    ")"
).bindparams(bindparam("event_details", type_=JSON()))
