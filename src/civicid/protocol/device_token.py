"""The field kit's bearer token ``civicid-device+jwt``: a short-lived JWT signed by the device key (RFC 7519, RFC 7515).

Packets authenticate themselves (their envelope is signed), but a kit also asks the server things —
its down-sync, the status of its applications — and reports its visits. Those requests carry
``Authorization: Bearer <token>`` where the token is an ES256 JWS with ``typ`` ``civicid-device+jwt``
(RFC 8725 §3.11: explicit typing, so a packet envelope can never pass for a token), ``kid`` the
device id, and claims ``iss`` (the device id), ``aud`` :data:`AUDIENCE`, ``iat``, ``exp`` and ``jti``.

The server accepts a token for at most :data:`MAX_LIFETIME` and tolerates :data:`LEEWAY` of clock
difference (RFC 7519 §4.1.4 allows "a small leeway"): a kit's clock is kept within the guard-rail's
bound of the server's, and one that drifts further is told to fix it rather than locked out forever.
The kit makes tokens (:func:`device_token`); the server finds the device a token names
(:func:`token_device_id`) and checks it with that device's key (:func:`verify_device_token`).
"""

from __future__ import annotations

import datetime as dt
import json
import secrets
from typing import Any

from cryptography.hazmat.primitives.asymmetric.ec import EllipticCurvePrivateKey, EllipticCurvePublicKey

from civicid.core.clock import Clock
from civicid.core.crypto import InvalidSignature, sign_jws, verify_jws
from civicid.core.crypto.signing import jws_kid
from civicid.protocol.errors import InvalidDeviceToken

TOKEN_TYPE = "civicid-device+jwt"  # noqa: S105 - a JWS typ, not a secret
AUDIENCE = "civicid-field"
LIFETIME = dt.timedelta(minutes=5)
MAX_LIFETIME = dt.timedelta(minutes=15)
LEEWAY = dt.timedelta(minutes=10)


def device_token(*, device_id: str, key: EllipticCurvePrivateKey, clock: Clock) -> str:
    """A fresh bearer token for ``device_id`` (the kit makes one per sync)."""
    now = int(clock.now().timestamp())
    claims = {
        "iss": device_id,
        "aud": AUDIENCE,
        "iat": now,
        "exp": now + int(LIFETIME.total_seconds()),
        "jti": secrets.token_urlsafe(12),
    }
    payload = json.dumps(claims, separators=(",", ":"), sort_keys=True).encode()
    return sign_jws(payload, key, kid=device_id, typ=TOKEN_TYPE)


def token_device_id(token: str) -> str:
    """The device a token names (unverified: only to find the key it must verify with)."""
    try:
        return jws_kid(token)
    except InvalidSignature as exc:
        raise InvalidDeviceToken("the bearer token is not a compact JWS naming its device") from exc


def verify_device_token(token: str, *, device_id: str, key: EllipticCurvePublicKey, now: dt.datetime) -> None:
    """Raise :class:`InvalidDeviceToken` unless ``token`` is a live token of ``device_id`` signed by ``key``."""
    try:
        content = verify_jws(token, key, typ=TOKEN_TYPE)
        claims: Any = json.loads(content.payload)
    except (InvalidSignature, ValueError) as exc:
        raise InvalidDeviceToken("the bearer token's signature does not verify with the device's key") from exc
    if not isinstance(claims, dict) or claims.get("iss") != device_id or claims.get("aud") != AUDIENCE:
        raise InvalidDeviceToken("the bearer token names another issuer or audience")
    issued, expires = claims.get("iat"), claims.get("exp")
    if not isinstance(issued, int) or not isinstance(expires, int):
        raise InvalidDeviceToken("the bearer token has no iat or exp")
    if expires - issued > MAX_LIFETIME.total_seconds():
        raise InvalidDeviceToken("the bearer token lives longer than the server accepts")
    stamp = now.timestamp()
    leeway = LEEWAY.total_seconds()
    if issued > stamp + leeway or expires < stamp - leeway:
        raise InvalidDeviceToken("the bearer token is expired or from the future: check the kit's clock")
