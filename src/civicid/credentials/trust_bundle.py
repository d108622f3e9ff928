"""The verifiers' trust bundle, format ``civicid-trust/1`` (docs/formats/qr-v1.md §7, decision 0042).

One signed file a verifier keeps: the issuers' public keys (those that sign now, those announced
to sign next, and those retired that still vouch for what they signed), each issuer's status
lists as the issuer signed them (Token Status List, JWT form), and the rules the verifier applies,
under their own version. The bundle says when it was made (``iat``), when to fetch the next one
(``next_update``) and when it is too old to trust (``exp``): a verifier shows its age, and past
``exp`` refuses with ``stale_bundle`` rather than vouch for revocations it no longer knows.

It is a compact JWS (ES256, ``typ: civicid-trust+jwt``, ``kid`` the signer's RFC 7638 thumbprint)
over JSON. The signer's public JWK is in the payload; a verifier pins the thumbprint (the page of
``/verify`` embeds it, the CLI takes ``--anchor``). Error: :class:`InvalidTrustBundle`.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from cryptography.hazmat.primitives.asymmetric import ec

from civicid.core.crypto import (
    InvalidKey,
    InvalidSignature,
    jwk_thumbprint,
    jws_kid,
    load_public_jwk,
    public_jwk,
    sign_jws,
    verify_jws,
)
from civicid.core.crypto._b64 import b64url_decode, b64url_encode
from civicid.credentials import status_list
from civicid.credentials.status_list import InvalidStatusList, StatusListToken

FORMAT = "civicid-trust/1"
TYP = "civicid-trust+jwt"
RULES_VERSION = "civicid-rules/1"
MAX_BYTES = 4 * 1024 * 1024


class InvalidTrustBundle(Exception):
    """The trust bundle is malformed, not signed by its signer or by a pinned one, or of another format."""


@dataclass(frozen=True)
class IssuerKey:
    """An issuer's public key as the bundle lists it; times in seconds since the epoch."""

    issuer: str
    kid: bytes
    public_key: ec.EllipticCurvePublicKey
    signs_from: int
    signs_until: int | None
    verify_until: int | None

    def entry(self) -> dict[str, Any]:
        return {
            "kid": b64url_encode(self.kid),
            "jwk": public_jwk(self.public_key),
            "signs_from": self.signs_from,
            "signs_until": self.signs_until,
            "verify_until": self.verify_until,
        }


@dataclass(frozen=True)
class Rules:
    """What a verifier applies, versioned: clock skew allowed, and how old a bundle may grow."""

    version: str = RULES_VERSION
    clock_skew: int = 30
    lifetimes: Mapping[str, int] = field(default_factory=dict)

    def entry(self) -> dict[str, Any]:
        return {"version": self.version, "clock_skew": self.clock_skew, "lifetimes": dict(self.lifetimes)}


@dataclass(frozen=True)
class TrustBundle:
    text: str
    signer: str  # the RFC 7638 thumbprint of the signer's key
    issued_at: int
    next_update: int
    expires_at: int
    keys: Mapping[bytes, IssuerKey]
    status_lists: Mapping[str, StatusListToken]
    rules: Rules

    def age(self, now: dt.datetime) -> int:
        """Seconds since the bundle was made (what a verifier shows)."""
        return max(0, int(now.timestamp()) - self.issued_at)

    def is_stale(self, now: dt.datetime) -> bool:
        return now.timestamp() >= self.expires_at


def sign(
    *,
    key: ec.EllipticCurvePrivateKey,
    now: dt.datetime,
    next_update: dt.timedelta,
    lifetime: dt.timedelta,
    issuers: Mapping[str, Sequence[IssuerKey]],
    status_lists: Mapping[str, Sequence[str]],
    rules: Rules,
) -> str:
    """The bundle, signed: ``issuers`` maps each issuer to its keys, ``status_lists`` to its list tokens (JWT)."""
    iat = int(now.timestamp())
    payload = {
        "v": FORMAT,
        "iat": iat,
        "next_update": iat + int(next_update.total_seconds()),
        "exp": iat + int(lifetime.total_seconds()),
        "signer": public_jwk(key),
        "issuers": [
            {"iss": iss, "keys": [k.entry() for k in keys], "status_lists": list(status_lists.get(iss, ()))}
            for iss, keys in issuers.items()
        ],
        "rules": rules.entry(),
    }
    return sign_jws(json.dumps(payload, separators=(",", ":")).encode(), key, kid=jwk_thumbprint(key), typ=TYP)


def load(text: str, *, anchors: Collection[str] | None = None, now: dt.datetime) -> TrustBundle:
    """Verify and read a bundle. With ``anchors`` (thumbprints), its signer must be one of them.

    Status lists are verified with their issuer's keys; one that does not verify, or has expired,
    is left out (a credential that points to it is then ``stale_bundle`` or ``status_unknown``).
    Expiry of the bundle itself is the verifier's to judge (:meth:`TrustBundle.is_stale`).
    """
    text = text.strip()
    try:
        if len(text) > MAX_BYTES:
            raise ValueError("too large")
        parts = text.split(".")
        if len(parts) != 3:
            raise ValueError("not a compact JWS")
        unverified = json.loads(b64url_decode(parts[1]))
        signer_key = load_public_jwk(unverified["signer"])
        signer = jwk_thumbprint(signer_key)
        if jws_kid(text) != signer:
            raise ValueError("kid is not the signer's thumbprint")
        payload = json.loads(verify_jws(text, signer_key, typ=TYP).payload)
    except (InvalidSignature, InvalidKey, ValueError, TypeError, LookupError) as exc:
        raise InvalidTrustBundle("the trust bundle is not a signed civicid-trust/1 file") from exc
    if anchors is not None and signer not in anchors:
        raise InvalidTrustBundle("the trust bundle is signed by a key this verifier does not trust")
    try:
        return _read(text, signer, payload, now)
    except (InvalidKey, ValueError, TypeError, LookupError) as exc:
        raise InvalidTrustBundle("the trust bundle's content is malformed") from exc


def _read(text: str, signer: str, payload: dict[str, Any], now: dt.datetime) -> TrustBundle:
    if payload.get("v") != FORMAT:
        raise ValueError("another format")
    keys: dict[bytes, IssuerKey] = {}
    lists: dict[str, StatusListToken] = {}
    for issuer in payload["issuers"]:
        iss = str(issuer["iss"])
        mine: dict[str, IssuerKey] = {}
        for entry in issuer["keys"]:
            kid = b64url_decode(entry["kid"])
            key = IssuerKey(
                iss, kid, load_public_jwk(entry["jwk"]), int(entry["signs_from"]),
                _optional_int(entry.get("signs_until")), _optional_int(entry.get("verify_until")),
            )  # fmt: skip
            keys[kid] = mine[entry["kid"]] = key
        for token in issuer.get("status_lists", []):
            verified = _status_list(token, mine, now)
            if verified is not None:
                lists[verified.uri] = verified
    raw_rules = payload["rules"]
    rules = Rules(str(raw_rules["version"]), int(raw_rules["clock_skew"]), dict(raw_rules.get("lifetimes", {})))
    iat, next_update, exp = int(payload["iat"]), int(payload["next_update"]), int(payload["exp"])
    return TrustBundle(text, signer, iat, next_update, exp, keys, lists, rules)


def _status_list(token: object, keys: Mapping[str, IssuerKey], now: dt.datetime) -> StatusListToken | None:
    if not isinstance(token, str):
        return None
    try:
        key = keys.get(jws_kid(token))
        return None if key is None else status_list.verify_jwt(token, key.public_key, now=now)
    except (InvalidSignature, InvalidStatusList):
        return None


def _optional_int(value: object) -> int | None:
    return None if value is None else int(value)  # type: ignore[call-overload]
