"""The credentials' job handlers: they follow the events accounts and the wallet publish as jobs.

Accounts and the wallet do not know credentials (the layers, docs/architecture.md): when an
account's status changes (``accounts.locks.STATUS_CHANGED``: locked, unlocked) or a document's
standing does (``wallet.checks.DOCUMENT_CHANGED``: revoked, refused), they enqueue a job; the
composition gives the worker these handlers for them, and the long-lived credentials' bits in the
status list follow (decision 0042).
"""

from __future__ import annotations

from collections.abc import Mapping

from sqlalchemy.orm import Session

from civicid.accounts.locks import STATUS_CHANGED
from civicid.core.clock import Clock
from civicid.core.jobs import Handler
from civicid.credentials import service
from civicid.wallet.checks import DOCUMENT_CHANGED


def account_changed(session: Session, clock: Clock, subject_id: str) -> None:
    service.refresh_person(session=session, clock=clock, person_id=int(subject_id))


def document_changed(session: Session, clock: Clock, subject_id: str) -> None:
    service.refresh_document(session=session, clock=clock, document_id=subject_id)


HANDLERS: Mapping[str, Handler] = {STATUS_CHANGED: account_changed, DOCUMENT_CHANGED: document_changed}
