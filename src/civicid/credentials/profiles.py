"""The QR credentials' profiles, and the CWT claims set of each (docs/formats/qr-v1.md §4).

Every profile uses one envelope (``qr.py``, signed by ``issuing.sign_qr``); a profile decides which
claims the set holds:

- ``eid``: the e-ID card shown from the app. Claim 169 with the fields the holder chose, the level
  and the chip card's expiry, bound to the device (``cnf``); lives :data:`IDENTITY_LIFETIME`.
- ``eid-min``: the minimal e-ID of the paper card: ID number, name, date of birth, sex; long-lived,
  with a status list entry, revocable.
- ``driving_licence``, ``health_insurance``, ``vehicle_registration``: a wallet document, with the
  holder's name (Claim 169) and the document's facts the holder chose.
- ``age_over_18``, ``health_insurance_valid``: purpose-made minimal credentials that say one thing.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from civicid.credentials import cwt
from civicid.credentials.status_list import StatusReference


class Profile(StrEnum):
    EID = "eid"
    EID_MIN = "eid-min"
    DRIVING_LICENCE = "driving_licence"
    HEALTH_INSURANCE = "health_insurance"
    VEHICLE_REGISTRATION = "vehicle_registration"
    AGE_OVER_18 = "age_over_18"
    HEALTH_INSURANCE_VALID = "health_insurance_valid"


#: The profiles whose QR is a MOSIP Claim 169 QR as it is (no prefix).
CLAIM_169_PROFILES = frozenset({Profile.EID, Profile.EID_MIN})
DOCUMENT_PROFILES = frozenset({Profile.DRIVING_LICENCE, Profile.HEALTH_INSURANCE, Profile.VEHICLE_REGISTRATION})
IDENTITY_LIFETIME = dt.timedelta(seconds=60)
#: A document or minimal credential shown from the app: long enough for a clinic's desk, short enough not to need
#: revocation (docs/decisions/0042-revocation-and-trust-bundle.md).
SHOWN_LIFETIME = dt.timedelta(minutes=10)
PAPER_CARD_LIFETIME = dt.timedelta(days=5 * 365)

#: The document facts a holder may disclose, by kind (the agencies' names, ``agencies/adapters.py``).
DOCUMENT_FACTS: Mapping[Profile, tuple[str, ...]] = {
    Profile.DRIVING_LICENCE: ("number", "classes", "valid_until", "issued_on", "issuer", "points"),
    Profile.HEALTH_INSURANCE: ("number", "valid_until", "hospital", "benefit_level"),
    Profile.VEHICLE_REGISTRATION: ("number", "plate", "vehicle_type", "make", "model", "registered_on"),
}


@dataclass(frozen=True)
class QrCredential:
    """What a QR credential says, before it is signed or once it is verified."""

    profile: Profile
    issuer: str
    credential_id: bytes  # cti
    issued_at: int
    expires_at: int
    identity: Mapping[int, Any] | None = None  # the Claim 169 map
    claims: Mapping[str, Any] | None = None  # the profile's own claims
    level: int | None = None
    card_expiry: str | None = None  # YYYY-MM-DD
    device: bytes | None = None  # cnf kid: the SHA-256 of the device key's RFC 7638 thumbprint input
    status: StatusReference | None = None

    def claims_set(self) -> dict[int, Any]:
        """The CWT claims set (RFC 8392 §3), with CivicID's claim in the private-use range."""
        civicid: dict[int, Any] = {cwt.PROFILE: self.profile.value}
        if self.level is not None:
            civicid[cwt.LEVEL] = self.level
        if self.card_expiry is not None:
            civicid[cwt.CARD_EXPIRY] = self.card_expiry
        if self.claims:
            civicid[cwt.PROFILE_CLAIMS] = dict(self.claims)
        claims: dict[int, Any] = {
            cwt.ISS: self.issuer,
            cwt.EXP: self.expires_at,
            cwt.IAT: self.issued_at,
            cwt.CTI: self.credential_id,
            cwt.CIVICID: civicid,
        }
        if self.identity:
            claims[cwt.CLAIM_169] = dict(self.identity)
        if self.device is not None:
            claims[cwt.CNF] = {cwt.CNF_KID: self.device}
        if self.status is not None:
            claims[cwt.STATUS] = self.status.claim()
        return claims

    @classmethod
    def from_claims(cls, claims: Mapping[int, Any]) -> QrCredential:
        """The credential a verified claims set describes; ``ValueError`` when a claim is missing or mistyped."""
        civicid = claims.get(cwt.CIVICID)
        if not isinstance(civicid, Mapping):
            raise ValueError("no CivicID claim")
        profile = Profile(str(civicid.get(cwt.PROFILE)))
        issuer, cti = claims.get(cwt.ISS), claims.get(cwt.CTI)
        iat, exp = claims.get(cwt.IAT), claims.get(cwt.EXP)
        if not isinstance(issuer, str) or not isinstance(cti, bytes):
            raise ValueError("iss and cti are required")
        if not isinstance(iat, int) or not isinstance(exp, int) or exp <= iat:
            raise ValueError("iat and exp are required, exp after iat")
        identity, own = claims.get(cwt.CLAIM_169), civicid.get(cwt.PROFILE_CLAIMS)
        cnf, status = claims.get(cwt.CNF), claims.get(cwt.STATUS)
        device = cnf.get(cwt.CNF_KID) if isinstance(cnf, Mapping) else None
        level, card_expiry = civicid.get(cwt.LEVEL), civicid.get(cwt.CARD_EXPIRY)
        return cls(
            profile=profile,
            issuer=issuer,
            credential_id=cti,
            issued_at=iat,
            expires_at=exp,
            identity=identity if isinstance(identity, Mapping) else None,
            claims=own if isinstance(own, Mapping) else None,
            level=level if isinstance(level, int) else None,
            card_expiry=card_expiry if isinstance(card_expiry, str) else None,
            device=device if isinstance(device, bytes) else None,
            status=None if status is None else StatusReference.from_claim(status),
        )
