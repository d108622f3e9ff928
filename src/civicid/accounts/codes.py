"""SMS codes for activation and for a new device: single-use, expiring, attempt-limited, replaced on request.

- A code is valid for :data:`CODE_LIFETIME`; a request for a new code replaces the old one (one row
  per account and purpose), so at most one code of each purpose is live.
- :data:`MAX_ATTEMPTS` wrong tries kill the code; verifying it once uses it up.
- At most :data:`MAX_SENDS` codes go out per account and purpose in :data:`SEND_WINDOW`: a request
  beyond that is answered as usual and sends nothing, so that nobody can flood a phone with SMS
  (and the answer still tells nothing about the account).
- Only the code's Argon2id hash is stored; the SMS text, which must carry the code, is the outbox's.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy.orm import Session

from civicid.accounts import repository
from civicid.accounts.errors import InvalidCode
from civicid.accounts.hashing import SecretHasher, new_code, new_token, token_digest
from civicid.accounts.models import AccountCode, CodePurpose, EidAccount
from civicid.core.clock import Clock
from civicid.core.ids import new_id
from civicid.notify import service as notify
from civicid.registry import queries as registry_queries

CODE_LIFETIME = dt.timedelta(minutes=5)
MAX_ATTEMPTS = 5
SEND_WINDOW = dt.timedelta(hours=1)
MAX_SENDS = 5
TICKET_LIFETIME = dt.timedelta(minutes=15)
TEMPLATES = {
    CodePurpose.ACTIVATION: "activation_code",
    CodePurpose.NEW_DEVICE: "new_device_code",
    CodePurpose.LOST_PHONE: "lost_phone_code",
    CodePurpose.UNLOCK: "unlock_code",
    CodePurpose.SIGNATURE_ACTIVATION: "signature_activation_code",
}


def send_code(session: Session, clock: Clock, account: EidAccount, purpose: CodePurpose, hasher: SecretHasher) -> bool:
    """Replace the account's code for ``purpose`` by a new one and queue its SMS; False if over the limit.

    The code is hashed first, on every path: a request past the SMS limit took a few milliseconds and
    one for an unknown pair a whole hash, which told a real pair from a wrong one (issue 18, item 6).
    """
    now = clock.now()
    code = new_code()
    code_hash = hasher.hash(code)
    if account.phone is None:
        return False
    row = repository.get_code(session, account.id, purpose)
    if row is None:
        row = AccountCode(account_id=account.id, purpose=purpose, window_started_at=now, sent_in_window=0)
        session.add(row)
    elif now - row.window_started_at >= SEND_WINDOW:
        row.window_started_at, row.sent_in_window = now, 0
    if row.sent_in_window >= MAX_SENDS:
        return False
    row.sent_in_window += 1
    row.code_hash = code_hash
    row.created_at, row.expires_at = now, now + CODE_LIFETIME
    row.failed_attempts, row.used_at = 0, None
    row.ticket_hash = row.ticket_expires_at = None
    notify.queue_sms(
        session=session,
        clock=clock,
        to=account.phone,
        template=TEMPLATES[purpose],
        params={"code": code, "minutes": str(CODE_LIFETIME.seconds // 60)},
        related_type="account",
        related_id=account.id,
        commune_code=registry_queries.person_commune(session, account.person_id),
        # Each code is its own message: a new request is a new event, not a replay of the old one.
        idempotency_key=f"{TEMPLATES[purpose]}:{account.id}:{new_id()}",
    )
    return True


def check_code(
    session: Session,
    clock: Clock,
    account: EidAccount | None,
    purpose: CodePurpose,
    code: str,
    hasher: SecretHasher,
) -> AccountCode:
    """The account's live code row if ``code`` matches it, now used; else :class:`InvalidCode`.

    A wrong code counts against the row before the refusal is raised: the caller commits, then
    reports it (``RECORDED_REFUSALS``). Unknown accounts, expired, used and exhausted codes get the
    same refusal after the same hashing work.
    """
    now = clock.now()
    row = None if account is None else repository.get_code(session, account.id, purpose)
    live = row is not None and row.used_at is None and row.expires_at > now and row.failed_attempts < MAX_ATTEMPTS
    matches = hasher.verify(row.code_hash if row is not None and live else None, code)
    if row is None or not live or not matches:
        if row is not None and live:
            row.failed_attempts += 1
        raise InvalidCode("the code is wrong, expired, already used or unknown for these details")
    row.used_at = now
    return row


def open_ticket(row: AccountCode, clock: Clock) -> str:
    """A ticket for the steps after the code (activation); only its digest is stored, and it is single-use."""
    ticket = new_token()
    row.ticket_hash = token_digest(ticket)
    row.ticket_expires_at = clock.now() + TICKET_LIFETIME
    return ticket


def send_account_code(
    *, session: Session, clock: Clock, account_id: str, purpose: CodePurpose, hasher: SecretHasher
) -> bool:
    """:func:`send_code` for a capability above accounts that knows the account by id (signing's activation)."""
    account = repository.get_account(session, account_id)
    return account is not None and send_code(session, clock, account, purpose, hasher)


def check_account_code(
    *, session: Session, clock: Clock, account_id: str, purpose: CodePurpose, code: str, hasher: SecretHasher
) -> None:
    """:func:`check_code` by account id; :class:`InvalidCode` if wrong (counted: the caller commits, then raises)."""
    check_code(session, clock, repository.get_account(session, account_id), purpose, code, hasher)
