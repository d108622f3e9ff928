"""Asking the owning agencies about wallet documents, and keeping their answers on the rows.

Every question goes through :func:`ask`, whoever asks it: the holder's arrival (activation and
login), the retry job, and the holder opening the wallet (a re-check of answers older than
:data:`RECHECK_AFTER`). A first question is answered integrated, refused, or ``pending`` when the
agency cannot be reached: a durable job (:data:`CONFIRM_PENDING`) then asks again, and an outage
never refuses a document. A re-check keeps the last answer when the agency cannot be reached, and
marks a licence revoked or expired when the agency says so. Audit entries carry the document's id,
kind and source, never its number.
"""

from __future__ import annotations

import datetime as dt
from enum import StrEnum
from typing import Any

from sqlalchemy.orm import Session

from civicid.agencies.errors import AgencyUnavailable, InvalidKeyFields
from civicid.agencies.kinds import DocumentQuery, normalise
from civicid.agencies.ports import AgencyRegistry, Confirmed, RecordStatus
from civicid.core import audit, jobs
from civicid.core.audit import Actor
from civicid.core.clock import Clock
from civicid.wallet.models import DocumentStatus, WalletDocument
from civicid.wallet.schemas import AgencyRead, WalletDocumentDetail, WalletDocumentSummary

#: The durable job that asks an agency again about a pending document (subject: the document's id).
CONFIRM_PENDING = "wallet.confirm_pending"
#: The event "a document's standing changed" (integrated, refused, revoked or expired by its agency), as a job
#: whose handler the composition chooses (subject: the document's id): the credentials that attest it follow it.
DOCUMENT_CHANGED = "wallet.document_changed"
#: An agency's answer older than this is asked again when the holder opens the wallet.
RECHECK_AFTER = dt.timedelta(days=1)
#: A document whose validity ends within this many days is flagged ``expiring_soon`` (shown in red).
EXPIRING_WITHIN = dt.timedelta(days=30)
ASKED = (DocumentStatus.REQUESTED, DocumentStatus.PENDING)


class Outcome(StrEnum):
    INTEGRATED = "integrated"
    REFUSED = "refused"
    PENDING = "pending"
    UNCHANGED = "unchanged"  # a re-check that could not reach the agency: the last answer stands


def ask(
    *,
    session: Session,
    clock: Clock,
    actor: Actor,
    agencies: AgencyRegistry,
    document: WalletDocument,
    id_number: str,
    retry_by_job: bool = True,
) -> Outcome:
    """Put ``document`` to its agency on behalf of the holder of ``id_number``; the row takes the answer.

    ``retry_by_job=False`` leaves a pending document without re-arming its job: the job itself asks so.
    """
    first = document.status in ASKED
    if document.kind not in agencies.agencies():
        return _refuse(session, clock, actor, document, "agency_not_connected") if first else Outcome.UNCHANGED
    try:
        number, fields = normalise(document.kind, document.number, document.extra)
    except InvalidKeyFields:
        return _refuse(session, clock, actor, document, "key_fields_invalid") if first else Outcome.UNCHANGED
    try:
        answer = agencies.confirm(
            session=session, clock=clock, query=DocumentQuery(document.kind, number, fields, id_number)
        )
    except AgencyUnavailable:
        if not first:
            return Outcome.UNCHANGED
        return mark_pending(session, clock, actor, document, retry_by_job=retry_by_job)
    if isinstance(answer, Confirmed):
        return keep_answer(session, clock, actor, document, answer)
    return _refuse(session, clock, actor, document, answer.reason if first else "no_longer_confirmed")


def mark_pending(
    session: Session, clock: Clock, actor: Actor, document: WalletDocument, *, retry_by_job: bool = True
) -> Outcome:
    """The agency could not be reached: the document waits as ``pending``, and a job will ask again."""
    if retry_by_job:
        jobs.rearm(session=session, clock=clock, kind=CONFIRM_PENDING, subject_id=document.id)
    if document.status is not DocumentStatus.PENDING:
        document.status = DocumentStatus.PENDING
        audit_document(session, clock, actor, "wallet.document_pending", document)
    return Outcome.PENDING


def keep_answer(session: Session, clock: Clock, actor: Actor, document: WalletDocument, answer: Confirmed) -> Outcome:
    """The agency confirmed the document: it is integrated, with the agency's facts as of now."""
    now = clock.now()
    first = document.status is not DocumentStatus.INTEGRATED
    if first:
        document.decided_at = now
    if not first and document.record_status is not answer.status:
        jobs.rearm(session=session, clock=clock, kind=DOCUMENT_CHANGED, subject_id=document.id)
    document.status, document.reason = DocumentStatus.INTEGRATED, None
    document.agency = {"vi": answer.agency.vi, "en": answer.agency.en, "simulated": answer.agency.simulated}
    document.facts = dict(answer.facts)
    document.record_status, document.valid_until = answer.status, answer.valid_until
    document.checked_at = now
    action = "wallet.document_integrate" if first else "wallet.document_check"
    audit_document(session, clock, actor, action, document, {"record_status": answer.status.value})
    return Outcome.INTEGRATED


def is_stale(document: WalletDocument, now: dt.datetime) -> bool:
    """An integrated document whose agency last answered more than a day ago."""
    checked = document.checked_at
    return document.status is DocumentStatus.INTEGRATED and (checked is None or now - checked > RECHECK_AFTER)


def summary(document: WalletDocument, today: dt.date) -> WalletDocumentSummary:
    """The document as the wallet lists it: flags computed on ``today``, the number masked."""
    return WalletDocumentSummary(**_summary_fields(document, today))


def detail(document: WalletDocument, today: dt.date) -> WalletDocumentDetail:
    """The document opened with the passcode: everything the agency said of it."""
    return WalletDocumentDetail(
        **_summary_fields(document, today), number=document.number, fields=document.extra or {}, facts=document.facts
    )


def mask(number: str) -> str:
    """A document number as the list shows it: the last four characters (``********0001``)."""
    shown = number[-4:] if len(number) > 4 else ""
    return "*" * (len(number) - len(shown)) + shown


def document_details(document: WalletDocument) -> dict[str, Any]:
    """What an audit entry says of a document: ids and kinds only."""
    return {"document_id": document.id, "kind": document.kind.value, "source": document.source}


def _summary_fields(document: WalletDocument, today: dt.date) -> dict[str, Any]:
    integrated = document.status is DocumentStatus.INTEGRATED
    valid_until = document.valid_until
    revoked = integrated and document.record_status is RecordStatus.REVOKED
    expired = integrated and (
        document.record_status is RecordStatus.EXPIRED or (valid_until is not None and valid_until < today)
    )
    soon = valid_until is not None and valid_until <= today + EXPIRING_WITHIN
    return {
        "id": document.id,
        "kind": document.kind,
        "status": document.status,
        "masked_number": mask(document.number),
        "reason": document.reason,
        "record_status": RecordStatus.EXPIRED if expired and not revoked else document.record_status,
        "valid_until": valid_until,
        "expiring_soon": integrated and soon and not (revoked or expired),
        "revoked": revoked,
        "expired": expired,
        "agency": AgencyRead(**document.agency) if document.agency else None,
        "source": document.source,
        "requested_at": document.requested_at,
        "verified_at": document.decided_at if integrated else None,
        "checked_at": document.checked_at,
    }


def _refuse(session: Session, clock: Clock, actor: Actor, document: WalletDocument, reason: str) -> Outcome:
    if document.status is DocumentStatus.INTEGRATED:
        jobs.rearm(session=session, clock=clock, kind=DOCUMENT_CHANGED, subject_id=document.id)
    document.status, document.reason = DocumentStatus.REFUSED, reason[:60]
    document.agency = document.facts = None
    document.record_status = document.valid_until = None
    document.decided_at = document.checked_at = clock.now()
    audit_document(session, clock, actor, "wallet.document_refuse", document, {"reason": document.reason})
    return Outcome.REFUSED


def audit_document(
    session: Session,
    clock: Clock,
    actor: Actor,
    action: str,
    document: WalletDocument,
    more: dict[str, Any] | None = None,
) -> None:
    audit.record(
        session=session,
        clock=clock,
        actor=actor,
        action=action,
        subject_type="person",
        subject_id=str(document.person_id),
        details={**document_details(document), **(more or {})},
    )
