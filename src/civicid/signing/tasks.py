"""Signing's job handler: the holder's certificate follows their account (``accounts.status_changed``).

Accounts do not know signing (the layers): when an account is locked or unlocked they enqueue the
job, and the composition runs this handler for it beside the credentials' (``server.py``): a lock
suspends the certificate, a lost phone revokes it, unlocking resumes it.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping

from sqlalchemy.orm import Session

from civicid.accounts.locks import STATUS_CHANGED
from civicid.core.clock import Clock
from civicid.core.jobs import Handler
from civicid.signing import service
from civicid.signing.service import Signing


def handlers(signing: Callable[[], Signing]) -> Mapping[str, Handler]:
    """The handlers, with the runtime made when first needed (opening the keystore or an HSM)."""

    def account_changed(session: Session, clock: Clock, subject_id: str) -> None:
        service.follow_account(session=session, clock=clock, signing=signing(), person_id=int(subject_id))

    return {STATUS_CHANGED: account_changed}
