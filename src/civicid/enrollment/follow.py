"""Following an application by its receipt code, without an account (``/follow``).

The kit's receipt carries an 8-character code (``protocol.packet.receipt_code``). Anyone holding it
learns where the application stands and what to do next — and nothing else: no name, no ID number,
no date of birth, no reason that would say more than the next step. Every lookup is audited, found
or not; the edge limits how often one address may look (``web/ratelimit.py``), which makes guessing
40-bit codes hopeless.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from civicid.core import audit
from civicid.core.audit import Actor
from civicid.core.clock import Clock
from civicid.core.errors import InvalidInput, NotFound
from civicid.country.zone import TIME_ZONE
from civicid.enrollment.models import Application
from civicid.protocol.codes import ApplicationStatus

PUBLIC = Actor("public", "-")
_CODE = re.compile(r"^[A-Z2-9]{4}-?[A-Z2-9]{4}$")


class InvalidReceiptCode(InvalidInput):
    code = "invalid_receipt_code"
    title = "A receipt code is eight letters and digits, like ABCD-EF23"


class ReceiptNotFound(NotFound):
    code = "receipt_not_found"
    title = "No application with this receipt code"


#: What the holder should do next, by status: the only thing a code reveals besides the status.
NEXT_STEP: dict[ApplicationStatus, str] = {
    ApplicationStatus.RECEIVING: "wait_for_signal",
    ApplicationStatus.PROCESSING: "wait_for_checks",
    ApplicationStatus.SUSPECTED_DUPLICATE: "wait_for_review",
    ApplicationStatus.AWAITING_APPROVAL: "wait_for_approval",
    ApplicationStatus.NEEDS_CORRECTION: "see_commune_police",
    ApplicationStatus.INELIGIBLE: "see_commune_police",
    ApplicationStatus.REJECTED_INTEGRITY: "capture_again",
    ApplicationStatus.REJECTED_DUPLICATE: "see_commune_police",
    ApplicationStatus.REJECTED: "see_commune_police",
    ApplicationStatus.ISSUED: "activate_in_app",
}


@dataclass(frozen=True)
class Followed:
    code: str
    status: ApplicationStatus
    application_type: str
    next_step: str
    updated_on: dt.date


def normalise_code(text: str) -> str:
    """``abcd ef23`` → ``ABCD-EF23``; :class:`InvalidReceiptCode` for anything that cannot be a code."""
    compact = "".join(text.split()).upper().replace("-", "")
    if len(compact) != 8 or not _CODE.match(compact):
        raise InvalidReceiptCode("a receipt code is eight letters and digits, like ABCD-EF23")
    return f"{compact[:4]}-{compact[4:]}"


def follow(*, session: Session, clock: Clock, code: str) -> Followed | None:
    """Where the application with this receipt code stands, or None; audited whether found or not.

    Not found is an answer, not an error, so that its audit entry commits with the caller's work.
    """
    wanted = normalise_code(code)
    rows = session.execute(
        select(
            Application.id,
            Application.status,
            Application.application_type,
            Application.received_at,
            Application.decided_at,
        )
        .where(Application.receipt_code == wanted)
        .limit(2)
    ).all()
    if len(rows) != 1:
        # None, or (very rarely, across a country) two applications printed the same code: say nothing.
        audit.record(
            session=session,
            clock=clock,
            actor=PUBLIC,
            action="application.follow_unknown",
            subject_type="application",
            subject_id="-",
            details={"matches": len(rows)},
        )
        return None
    application_id, status, application_type, received_at, decided_at = rows[0]
    audit.record(
        session=session,
        clock=clock,
        actor=PUBLIC,
        action="application.follow",
        subject_type="application",
        subject_id=application_id,
    )
    updated = (decided_at or received_at).astimezone(TIME_ZONE)
    return Followed(wanted, status, application_type, NEXT_STEP[status], updated.date())
