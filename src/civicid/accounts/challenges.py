"""Single-use challenges for device proofs: the server's nonce that a proof must answer, once.

``POST /api/v1/accounts/challenge`` hands out 256 random bits, valid :data:`CHALLENGE_LIFETIME`;
only their SHA-256 is stored. A proof (``devices.py``) names the nonce it answers; verifying it
deletes the row, so the same proof — or any other proof of that nonce — is refused the next time.
The answer is the same for everyone and says nothing about any account. Expired rows are pruned as
new ones are made, so the table stays as small as the challenges in flight.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import delete
from sqlalchemy.orm import Session

from civicid.accounts.errors import InvalidDeviceProof
from civicid.accounts.hashing import new_token, token_digest
from civicid.accounts.models import AccountChallenge
from civicid.core.clock import Clock

CHALLENGE_LIFETIME = dt.timedelta(minutes=2)


def issue_challenge(*, session: Session, clock: Clock) -> str:
    """A fresh nonce for one device proof."""
    now = clock.now()
    session.execute(delete(AccountChallenge).where(AccountChallenge.expires_at <= now))
    nonce = new_token()
    session.add(AccountChallenge(nonce_hash=token_digest(nonce), expires_at=now + CHALLENGE_LIFETIME))
    return nonce


def consume_challenge(*, session: Session, clock: Clock, nonce: str) -> None:
    """Use up ``nonce``; :class:`InvalidDeviceProof` if it was never issued, is used or has expired."""
    gone = session.execute(
        delete(AccountChallenge).where(
            AccountChallenge.nonce_hash == token_digest(nonce), AccountChallenge.expires_at > clock.now()
        )
    )
    if gone.rowcount != 1:  # type: ignore[attr-defined]
        raise InvalidDeviceProof("the device proof answers no live challenge: ask for a new one")
