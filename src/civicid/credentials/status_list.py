"""Token Status List (draft-ietf-oauth-status-list, approved as an RFC): revocation without asking the issuer.

Each long-lived credential names a slot in its issuer's list (``status``: ``{"status_list": {"idx",
"uri"}}``, §6). The list is an array of ``bits``-wide statuses, the status of index ``i`` at bit
``i * bits`` counting from the least significant bit of byte 0 (§4.1), compressed with zlib
(RFC 1950) at level 9, and signed by the issuer in one of two forms:

- JWT (§5.1): header ``typ: statuslist+jwt``; claims ``sub`` (the list's URI), ``iat``, ``exp``,
  ``ttl`` and ``status_list: {"bits", "lst"}`` with ``lst`` in base64url;
- CWT (§5.2): COSE_Sign1 with protected ``typ`` (16) ``application/statuslist+cwt``; claims 2 (sub),
  6 (iat), 4 (exp), 65534 (ttl) and 65533 ``{"bits", "lst"}`` with ``lst`` as bytes.

CivicID uses 2 bits: VALID, INVALID (revoked for good) and SUSPENDED (the account is locked; lifted
with the lock), §7.1. Indices are drawn at random (§12.5, herd privacy). Decompression is capped.
"""

from __future__ import annotations

import datetime as dt
import json
import zlib
from collections.abc import Mapping
from dataclasses import dataclass
from enum import IntEnum
from typing import Any

import numpy as np
from cryptography.hazmat.primitives.asymmetric import ec

from civicid.core.crypto import (
    InvalidSignature,
    parse_cose_sign1,
    sign_cose_sign1,
    sign_jws,
    verify_cose_sign1,
    verify_jws,
)
from civicid.core.crypto._b64 import b64url_decode, b64url_encode
from civicid.credentials import cwt

JWT_TYP = "statuslist+jwt"
CWT_TYP = "application/statuslist+cwt"
CWT_STATUS_LIST, CWT_TTL = 65533, 65534
MAX_LIST_BYTES = 1 << 20  # 4 M two-bit entries: ample, and the cap on what an inflated list may take


class Status(IntEnum):
    VALID = 0x00
    INVALID = 0x01
    SUSPENDED = 0x02


class InvalidStatusList(Exception):
    """A status list token is malformed, of another list, expired, or its signature does not verify."""


@dataclass(frozen=True)
class StatusReference:
    """Where a credential's status lies (§6): an index in the list at ``uri``."""

    idx: int
    uri: str

    def claim(self) -> dict[str, Any]:
        return {"status_list": {"idx": self.idx, "uri": self.uri}}

    @classmethod
    def from_claim(cls, claim: object) -> StatusReference:
        """``ValueError`` unless ``claim`` is ``{"status_list": {"idx": uint, "uri": text}}``."""
        inner = claim.get("status_list") if isinstance(claim, Mapping) else None
        idx = inner.get("idx") if isinstance(inner, Mapping) else None
        uri = inner.get("uri") if isinstance(inner, Mapping) else None
        if not isinstance(idx, int) or isinstance(idx, bool) or idx < 0 or not isinstance(uri, str):
            raise ValueError("not a status_list reference")
        return cls(idx, uri)


@dataclass(frozen=True)
class StatusList:
    bits: int
    data: bytes  # uncompressed

    @classmethod
    def of(cls, size: int, statuses: Mapping[int, int], *, bits: int = 2) -> StatusList:
        """A list of ``size`` entries, all VALID but those in ``statuses`` (index → status)."""
        if bits not in (1, 2, 4, 8) or size % (8 // bits):
            raise ValueError("bits is 1, 2, 4 or 8, and the size fills whole bytes")
        values = np.zeros(size, dtype=np.uint8)
        if statuses:
            values[np.fromiter(statuses.keys(), dtype=np.int64)] = np.fromiter(statuses.values(), dtype=np.uint8)
        per_byte = 8 // bits
        weights = (1 << (bits * np.arange(per_byte))).astype(np.uint16)
        packed = (values.reshape(-1, per_byte).astype(np.uint16) @ weights).astype(np.uint8)
        return cls(bits, packed.tobytes())

    def status(self, idx: int) -> int:
        """§4.1: the ``bits`` at position ``idx * bits``; ``IndexError`` past the end of the list."""
        position = idx * self.bits
        byte = self.data[position // 8]
        return (byte >> (position % 8)) & ((1 << self.bits) - 1)

    @property
    def size(self) -> int:
        return len(self.data) * 8 // self.bits

    def compressed(self) -> bytes:
        return zlib.compress(self.data, 9)

    @classmethod
    def from_compressed(cls, bits: object, lst: bytes) -> StatusList:
        """``ValueError`` unless ``bits`` is 1, 2, 4 or 8 and ``lst`` inflates within :data:`MAX_LIST_BYTES`."""
        if not isinstance(bits, int) or isinstance(bits, bool) or bits not in (1, 2, 4, 8):
            raise ValueError("bits is 1, 2, 4 or 8")
        inflater = zlib.decompressobj()
        try:
            data = inflater.decompress(lst, MAX_LIST_BYTES)
        except zlib.error as exc:
            raise ValueError("lst is not zlib") from exc
        if not inflater.eof or inflater.unconsumed_tail or not data:
            raise ValueError("lst is truncated or too large")
        return cls(bits, data)


@dataclass(frozen=True)
class StatusListToken:
    """A verified status list token: the list, its URI and the times it was made and is good until."""

    uri: str
    issued_at: int
    expires_at: int | None
    ttl: int | None
    status_list: StatusList


def sign_jwt(
    status_list: StatusList, key: ec.EllipticCurvePrivateKey, *, kid: str, uri: str, now: dt.datetime, lifetime: int
) -> str:
    """§5.1: the list as a JWT signed by its issuer, good for ``lifetime`` seconds, cached as long (``ttl``)."""
    iat = int(now.timestamp())
    claims = {
        "sub": uri,
        "iat": iat,
        "exp": iat + lifetime,
        "ttl": lifetime,
        "status_list": {"bits": status_list.bits, "lst": b64url_encode(status_list.compressed())},
    }
    return sign_jws(json.dumps(claims, separators=(",", ":")).encode(), key, kid=kid, typ=JWT_TYP)


def verify_jwt(token: str, key: ec.EllipticCurvePublicKey, *, now: dt.datetime) -> StatusListToken:
    """§8.3 steps 1-4 for the JWT form; :class:`InvalidStatusList` if any fails."""
    try:
        claims = json.loads(verify_jws(token, key, typ=JWT_TYP).payload)
        inner = claims["status_list"]
        status_list = StatusList.from_compressed(inner["bits"], b64url_decode(inner["lst"]))
        return _checked(claims["sub"], claims["iat"], claims.get("exp"), claims.get("ttl"), status_list, now)
    except (InvalidSignature, ValueError, TypeError, LookupError) as exc:
        raise InvalidStatusList from exc


def sign_cwt(
    status_list: StatusList, key: ec.EllipticCurvePrivateKey, *, kid: bytes, uri: str, now: dt.datetime, lifetime: int
) -> bytes:
    """§5.2: the list as a CWT (COSE_Sign1) signed by its issuer."""
    iat = int(now.timestamp())
    claims = {
        cwt.SUB: uri,
        cwt.IAT: iat,
        cwt.EXP: iat + lifetime,
        CWT_TTL: lifetime,
        CWT_STATUS_LIST: {"bits": status_list.bits, "lst": status_list.compressed()},
    }
    return sign_cose_sign1(cwt.encode_claims(claims), key, kid=kid, headers={16: CWT_TYP})


def verify_cwt(token: bytes, key: ec.EllipticCurvePublicKey, *, now: dt.datetime) -> StatusListToken:
    """§8.3 for the CWT form; :class:`InvalidStatusList` if any step fails."""
    try:
        message = parse_cose_sign1(token)
        if message.protected.get(16) != CWT_TYP:
            raise ValueError("not a status list CWT")
        claims = cwt.decode_claims(verify_cose_sign1(message, key))
        inner = claims[CWT_STATUS_LIST]
        if not isinstance(inner["lst"], bytes):
            raise ValueError("lst is not a byte string")
        status_list = StatusList.from_compressed(inner["bits"], inner["lst"])
        return _checked(claims[cwt.SUB], claims[cwt.IAT], claims.get(cwt.EXP), claims.get(CWT_TTL), status_list, now)
    except (InvalidSignature, ValueError, TypeError, LookupError) as exc:
        raise InvalidStatusList from exc


def _checked(
    sub: object, iat: object, exp: object, ttl: object, status_list: StatusList, now: dt.datetime
) -> StatusListToken:
    if not isinstance(sub, str) or not isinstance(iat, int):
        raise ValueError("sub and iat are required")
    if exp is not None and (not isinstance(exp, int) or exp <= now.timestamp()):
        raise ValueError("the status list has expired")
    if ttl is not None and not isinstance(ttl, int):
        raise ValueError("ttl is an integer")
    return StatusListToken(sub, iat, exp, ttl, status_list)
