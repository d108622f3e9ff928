"""CBOR Web Tokens (RFC 8392) as the QR credentials use them: the claim keys, and reading a claims set.

Registered claims (RFC 8392 §3.1, RFC 8747 §3.1, the Token Status List's ``status``) and the two
this profile adds: MOSIP Claim 169 (IANA "CWT Claims" registry, key 169: identity data), and
CivicID's own claim in the private-use range (RFC 8392 §9.1: keys below -65536), which names the
credential's profile and carries what Claim 169 has no place for (docs/formats/qr-v1.md §4).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import cbor2

ISS, SUB, AUD, EXP, NBF, IAT, CTI, CNF = 1, 2, 3, 4, 5, 6, 7, 8
CLAIM_169 = 169
STATUS = 65535  # draft-ietf-oauth-status-list §6.2: {"status_list": {"idx": uint, "uri": text}}
CIVICID = -65537  # private use: {1: profile, 2: level, 3: card expiry, 10: the profile's claims}
CNF_KID = 3  # RFC 8747 §3.4: the confirmation key's id

# Inside the CIVICID claim.
PROFILE, LEVEL, CARD_EXPIRY, PROFILE_CLAIMS = 1, 2, 3, 10


def encode_claims(claims: Mapping[int, Any]) -> bytes:
    """The claims set as deterministic CBOR (RFC 8949 §4.2.1: shortest forms, sorted keys)."""
    return cbor2.dumps(dict(claims), canonical=True)


def decode_claims(payload: bytes) -> dict[int, Any]:
    """A claims set; ``ValueError`` when the payload is not a CBOR map with integer keys (RFC 8392 §7.2)."""
    try:
        claims = cbor2.loads(payload)
    except (cbor2.CBORDecodeError, ValueError, TypeError, LookupError, RecursionError) as exc:
        raise ValueError("the payload is not CBOR") from exc
    if not isinstance(claims, dict) or not all(isinstance(k, int) for k in claims):
        raise ValueError("the payload is not a CWT claims set")
    return claims
