"""ES256 signing keys, public JWKs and compact JWS.

- ES256 is ECDSA on P-256 with SHA-256 (RFC 7518 §3.4); signatures are ``r || s``, 64 bytes.
- Public keys travel as JWKs with exactly ``kty``, ``crv``, ``x``, ``y`` (RFC 7517 §4, RFC 7518 §6.2.1);
  :func:`jwk_thumbprint` is the RFC 7638 thumbprint.
- Tokens are compact JWS (RFC 7515 §7.1) with the protected header ``{"alg": "ES256", "kid": ..., "typ":
  ...}``. Each use names its own ``typ`` and verification insists on it (explicit typing, RFC 8725
  §3.11), so that a token made for one purpose is never accepted for another. Only ES256 is accepted
  (RFC 8725 §3.1: the verifier, not the token, chooses the algorithm).

The JWS work is done by ``joserfc``; :func:`verify_jws` is checked in the tests against a second,
independent implementation made of plain ``cryptography`` calls.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from cryptography.hazmat.primitives.asymmetric import ec
from joserfc import jws
from joserfc.errors import JoseError
from joserfc.jwk import ECKey

from civicid.core.crypto._b64 import b64url_decode, b64url_encode
from civicid.core.crypto.errors import InvalidKey, InvalidSignature

JWS_ALGORITHM = "ES256"
_COORDINATE_BYTES = 32  # P-256 field elements, big-endian (RFC 7518 §6.2.1.2)


@dataclass(frozen=True)
class JwsContent:
    """What a verified JWS says: its protected header and its payload."""

    header: dict[str, Any]
    payload: bytes


def generate_signing_key() -> ec.EllipticCurvePrivateKey:
    """A new P-256 private key for ES256 (RFC 7518 §3.4)."""
    return ec.generate_private_key(ec.SECP256R1())


def public_jwk(key: ec.EllipticCurvePrivateKey | ec.EllipticCurvePublicKey) -> dict[str, str]:
    """The public JWK of a P-256 key: ``kty``, ``crv``, ``x``, ``y`` only (RFC 7518 §6.2.1)."""
    public = key.public_key() if isinstance(key, ec.EllipticCurvePrivateKey) else key
    if not isinstance(public.curve, ec.SECP256R1):
        raise InvalidKey("only P-256 keys are used for ES256")
    numbers = public.public_numbers()
    return {
        "kty": "EC",
        "crv": "P-256",
        "x": b64url_encode(numbers.x.to_bytes(_COORDINATE_BYTES, "big")),
        "y": b64url_encode(numbers.y.to_bytes(_COORDINATE_BYTES, "big")),
    }


def load_public_jwk(jwk: Mapping[str, Any]) -> ec.EllipticCurvePublicKey:
    """The P-256 public key a JWK describes (RFC 7518 §6.2.1).

    Raises :class:`InvalidKey` unless ``kty`` is ``EC``, ``crv`` is ``P-256``, ``x`` and ``y`` are
    32-byte base64url values naming a point on the curve, and the JWK holds no private member ``d``
    (a private key sent to the server has already left the device it protects).
    """
    if "d" in jwk:
        raise InvalidKey("the JWK holds a private key")
    if jwk.get("kty") != "EC" or jwk.get("crv") != "P-256":
        raise InvalidKey("the JWK is not a P-256 elliptic-curve key")
    x, y = jwk.get("x"), jwk.get("y")
    if not isinstance(x, str) or not isinstance(y, str):
        raise InvalidKey("the JWK lacks its x or y coordinate")
    try:
        x_bytes, y_bytes = b64url_decode(x), b64url_decode(y)
        if len(x_bytes) != _COORDINATE_BYTES or len(y_bytes) != _COORDINATE_BYTES:
            raise ValueError("coordinate length")
        numbers = ec.EllipticCurvePublicNumbers(
            int.from_bytes(x_bytes, "big"), int.from_bytes(y_bytes, "big"), ec.SECP256R1()
        )
        return numbers.public_key()
    except ValueError as exc:
        raise InvalidKey("the JWK's coordinates are not a point on P-256") from exc


def jwk_thumbprint(key: ec.EllipticCurvePrivateKey | ec.EllipticCurvePublicKey) -> str:
    """RFC 7638 §3: SHA-256 over the required members in lexicographic order, no spaces, base64url."""
    jwk = public_jwk(key)
    members = {name: jwk[name] for name in ("crv", "kty", "x", "y")}
    canonical = json.dumps(members, separators=(",", ":"), sort_keys=True).encode("ascii")
    return b64url_encode(hashlib.sha256(canonical).digest())


def sign_jws(payload: bytes, key: ec.EllipticCurvePrivateKey, *, kid: str, typ: str) -> str:
    """A compact JWS (RFC 7515 §7.1) over ``payload`` with header ``{"alg": "ES256", "kid", "typ"}``."""
    if not kid or not typ:
        raise ValueError("a JWS needs a kid and a typ")
    header = {"alg": JWS_ALGORITHM, "kid": kid, "typ": typ}
    return jws.serialize_compact(header, payload, ECKey.import_key(key), algorithms=[JWS_ALGORITHM])


def verify_jws(token: str, public_key: ec.EllipticCurvePublicKey, *, typ: str) -> JwsContent:
    """Verify a compact JWS made by :func:`sign_jws` and return its header and payload.

    Raises :class:`InvalidSignature` when the token is malformed, its algorithm is not ES256 (RFC 8725
    §3.1), its ``typ`` is not ``typ`` (RFC 8725 §3.11) or the signature does not verify (RFC 7515 §5.2).
    """
    try:
        verified = jws.deserialize_compact(token, ECKey.import_key(public_key), algorithms=[JWS_ALGORITHM])
    except (JoseError, ValueError, TypeError) as exc:
        raise InvalidSignature from exc
    header = dict(verified.headers())
    if header.get("alg") != JWS_ALGORITHM or header.get("typ") != typ:
        raise InvalidSignature
    return JwsContent(header=header, payload=bytes(verified.payload))


def jws_kid(token: str) -> str:
    """The ``kid`` of a compact JWS, read WITHOUT verifying it: only to find the key to verify with.

    Raises :class:`InvalidSignature` when the token is not a compact JWS with a non-empty string ``kid``.
    """
    try:
        header = jws.extract_compact(token.encode("ascii")).headers()
    except (JoseError, ValueError, TypeError, UnicodeError) as exc:
        raise InvalidSignature from exc
    kid = header.get("kid")
    if not isinstance(kid, str) or not kid:
        raise InvalidSignature
    return kid
