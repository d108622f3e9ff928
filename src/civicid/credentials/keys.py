"""The issuer's keys: created in the keystore, listed in the trust bundle, rotated without invalidating
anything they signed (docs/decisions/0043-issuer-key-rotation.md).

A key has three times: ``signs_from`` (it is announced in trust bundles before then), ``signs_until``
(its successor's ``signs_from``) and ``verify_until`` (it stays in the bundles this long after it
stopped signing: what it signed, a paper card, may still be shown). :func:`rotate` announces a new
key :data:`ANNOUNCE` ahead, so that every verifier whose bundle is not stale knows it before it
signs; ``retire`` with ``compromised=True`` withdraws a key at once.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from pathlib import Path

from cryptography.hazmat.primitives.asymmetric import ec
from sqlalchemy import select
from sqlalchemy.orm import Session

from civicid.core.clock import Clock
from civicid.core.crypto import generate_signing_key, load_public_jwk, public_jwk
from civicid.core.crypto._b64 import b64url_encode
from civicid.core.keystore import FileKeystore, Keystore, master_key_from_environment
from civicid.credentials.errors import CredentialNotFound
from civicid.credentials.issuing import SigningKey, key_id
from civicid.credentials.models import IssuerKeyRow
from civicid.credentials.profiles import PAPER_CARD_LIFETIME
from civicid.credentials.trust_bundle import IssuerKey

#: This deployment's issuer: the ``iss`` of everything it signs.
ISSUER = "vn-civicid"
#: A new key is in the trust bundles this long before it signs: longer than a bundle lives (decision 0042).
ANNOUNCE = dt.timedelta(days=8)
#: A retired key vouches this long for what it signed: the longest lifetime of a credential.
VOUCH_AFTER = PAPER_CARD_LIFETIME


class IssuerKeys:
    """The issuer's keys: the rows that say when each signs, and the private keys in the keystore."""

    def __init__(self, keystore: FileKeystore, issuer: str = ISSUER) -> None:
        self._keystore = keystore
        self.issuer = issuer
        self._loaded: dict[str, ec.EllipticCurvePrivateKey] = {}

    @classmethod
    def of_data_dir(cls, data_dir: Path) -> IssuerKeys:
        return cls(Keystore.open(data_dir, master_key_from_environment()))

    def trust_key(self) -> ec.EllipticCurvePrivateKey:
        return self._keystore.trust_signing_key()

    def current(self, *, session: Session, clock: Clock) -> SigningKey:
        """The key that signs now; the issuer's first key is made on first use."""
        now = clock.now()
        rows = self._rows(session)
        signing = [r for r in rows if r.signs_from <= now and (r.signs_until is None or r.signs_until > now)]
        row = max(signing, key=lambda r: r.signs_from) if signing else None
        if row is None:
            row = self._create(session, now, signs_from=now)
        return SigningKey(self.issuer, key_id(load_public_jwk(row.public_jwk)), self._private(row.kid))

    def published(self, *, session: Session, clock: Clock) -> list[IssuerKey]:
        """The keys a trust bundle lists now: announced, signing, or retired but still vouching."""
        self.current(session=session, clock=clock)
        now = clock.now()
        return [_issuer_key(r) for r in self._rows(session) if r.verify_until is None or r.verify_until > now]

    def rotate(self, *, session: Session, clock: Clock, announce: dt.timedelta = ANNOUNCE) -> IssuerKeyRow:
        """Announce the next key: it signs from ``now + announce``; the key signing then stops, and vouches on."""
        now = clock.now()
        self.current(session=session, clock=clock)  # the issuer's first key, if it has none yet
        starts = now + announce
        for row in self._rows(session):
            if row.signs_until is None or row.signs_until > starts:
                row.signs_until = max(starts, row.signs_from)
                row.verify_until = row.signs_until + VOUCH_AFTER
        return self._create(session, now, signs_from=starts)

    def retire(self, *, session: Session, clock: Clock, kid: str, compromised: bool = False) -> None:
        """Stop a key signing now; a compromised key also stops vouching: what it signed no longer verifies."""
        row = session.get(IssuerKeyRow, kid, with_for_update=True)
        if row is None or row.issuer != self.issuer:
            raise CredentialNotFound(f"no issuer key {kid}")
        now = clock.now()
        row.signs_until = min(row.signs_until or now, now)
        row.verify_until = now if compromised else row.signs_until + VOUCH_AFTER

    def _rows(self, session: Session) -> Sequence[IssuerKeyRow]:
        return session.scalars(select(IssuerKeyRow).where(IssuerKeyRow.issuer == self.issuer)).all()

    def _create(self, session: Session, now: dt.datetime, *, signs_from: dt.datetime) -> IssuerKeyRow:
        key = generate_signing_key()
        kid = b64url_encode(key_id(key))
        self._keystore.issuer_signing_key(kid, lambda: key)
        row = IssuerKeyRow(
            kid=kid, issuer=self.issuer, public_jwk=public_jwk(key), created_at=now, signs_from=signs_from
        )
        session.add(row)
        session.flush()  # The key is listed before anything it signs is recorded.
        return row

    def _private(self, kid: str) -> ec.EllipticCurvePrivateKey:
        if kid not in self._loaded:
            self._loaded[kid] = self._keystore.issuer_signing_key(kid)
        return self._loaded[kid]


def _issuer_key(row: IssuerKeyRow) -> IssuerKey:
    key = load_public_jwk(row.public_jwk)
    return IssuerKey(
        row.issuer,
        key_id(key),
        key,
        int(row.signs_from.timestamp()),
        None if row.signs_until is None else int(row.signs_until.timestamp()),
        None if row.verify_until is None else int(row.verify_until.timestamp()),
    )
