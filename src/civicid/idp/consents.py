"""Consent per service and scope: asked once, remembered, asked again when a service wants more."""

from __future__ import annotations

from sqlalchemy.orm import Session

from civicid.accounts.activation import holder_actor
from civicid.accounts.service import audit_account, find_account
from civicid.core.clock import Clock
from civicid.idp.models import IdpConsent


def covers(*, session: Session, account_id: str, client_id: str, scope: str) -> bool:
    """Whether the citizen already agreed to give this service every scope asked."""
    row = session.get(IdpConsent, (account_id, client_id))
    return row is not None and set(scope.split()) <= set(row.scopes)


def grant(*, session: Session, clock: Clock, account_id: str, client_id: str, scope: str) -> None:
    """Record the citizen's agreement (added to what they agreed before), audited in their history."""
    row = session.get(IdpConsent, (account_id, client_id))
    asked = sorted(set(scope.split()))
    if row is None:
        session.add(IdpConsent(account_id=account_id, client_id=client_id, scopes=asked, granted_at=clock.now()))
    else:
        row.scopes, row.granted_at = sorted(set(row.scopes) | set(asked)), clock.now()
    account = find_account(session=session, account_id=account_id)
    if account is not None:
        details = {"client_id": client_id, "fields": asked}
        audit_account(session, clock, holder_actor(account_id), "idp.consent", account, details)
