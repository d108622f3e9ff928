"""COSE_Sign1 with ES256 (RFC 9052 §4.2, §4.4; RFC 9053 §2.1), the signature of CWTs (RFC 8392 §7).

A message is the tagged array ``18([protected, unprotected, payload, signature])``: ``protected`` is
the CBOR-encoded header map ``{1: -7, 4: kid}`` (alg ES256, the key's id) as a byte string, and the
signature is ``r || s`` (64 bytes) over ``Sig_structure = ["Signature1", protected, h'', payload]``.
Only ES256 is accepted, read from the protected header (RFC 9052 §3.1: the verifier decides), and
the kid must be protected too, so that it cannot be swapped.

Verification is checked in the tests against python-cwt, an independent implementation. Error:
:class:`InvalidSignature`, opaque, for a malformed message and a signature that does not verify alike.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import cbor2
from cryptography.exceptions import InvalidSignature as _PrimitiveInvalidSignature
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.utils import decode_dss_signature, encode_dss_signature

from civicid.core.crypto.errors import InvalidSignature

COSE_SIGN1_TAG = 18
HEADER_ALG, HEADER_CONTENT_TYPE, HEADER_KID, HEADER_TYP = 1, 3, 4, 16
ES256 = -7
SIGNATURE_BYTES = 64
_ECDSA = ec.ECDSA(hashes.SHA256())


@dataclass(frozen=True)
class CoseSign1:
    """A parsed, not yet verified, COSE_Sign1: its protected header, key id and payload."""

    protected: Mapping[int, Any]
    kid: bytes
    payload: bytes
    signature: bytes
    to_be_signed: bytes


def sign_cose_sign1(
    payload: bytes, key: ec.EllipticCurvePrivateKey, *, kid: bytes, headers: Mapping[int, Any] | None = None
) -> bytes:
    """A tagged COSE_Sign1 over ``payload`` (RFC 9052 §4.4), ES256, ``kid`` and ``headers`` protected."""
    protected = cbor2.dumps({HEADER_ALG: ES256, HEADER_KID: kid, **(headers or {})})
    der = key.sign(_sig_structure(protected, payload), _ECDSA)
    r, s = decode_dss_signature(der)
    signature = r.to_bytes(32, "big") + s.to_bytes(32, "big")
    return cbor2.dumps(cbor2.CBORTag(COSE_SIGN1_TAG, [protected, {}, payload, signature]))


def parse_cose_sign1(message: bytes) -> CoseSign1:
    """The parts of a COSE_Sign1 (tagged or not), ES256 with a protected kid; :class:`InvalidSignature` otherwise.

    Nothing is trusted yet: the kid only says which key to verify with (:func:`verify_cose_sign1`).
    """
    try:
        decoded = cbor2.loads(message)
        if isinstance(decoded, cbor2.CBORTag):
            if decoded.tag != COSE_SIGN1_TAG:
                raise ValueError("not COSE_Sign1")
            decoded = decoded.value
        protected_bytes, unprotected, payload, signature = decoded
        protected = cbor2.loads(protected_bytes) if protected_bytes else {}
    except (ValueError, TypeError, LookupError, cbor2.CBORDecodeError, RecursionError) as exc:
        raise InvalidSignature from exc
    if not (
        isinstance(protected_bytes, bytes)
        and isinstance(protected, dict)
        and isinstance(unprotected, dict)
        and isinstance(payload, bytes)
        and isinstance(signature, bytes)
        and len(signature) == SIGNATURE_BYTES
        and protected.get(HEADER_ALG) == ES256
        and isinstance(protected.get(HEADER_KID), bytes)
    ):
        raise InvalidSignature
    return CoseSign1(protected, protected[HEADER_KID], payload, signature, _sig_structure(protected_bytes, payload))


def verify_cose_sign1(message: CoseSign1, public_key: ec.EllipticCurvePublicKey) -> bytes:
    """The payload, once the ES256 signature verifies with ``public_key``; :class:`InvalidSignature` otherwise."""
    r = int.from_bytes(message.signature[:32], "big")
    s = int.from_bytes(message.signature[32:], "big")
    try:
        public_key.verify(encode_dss_signature(r, s), message.to_be_signed, _ECDSA)
    except (_PrimitiveInvalidSignature, ValueError) as exc:
        raise InvalidSignature from exc
    return message.payload


def _sig_structure(protected: bytes, payload: bytes) -> bytes:
    # RFC 9052 §4.4: the context string, the protected header as sent, empty external AAD, the payload.
    return cbor2.dumps(["Signature1", protected, b"", payload])
