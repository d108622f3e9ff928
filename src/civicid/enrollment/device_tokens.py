"""The field kit's bearer token: a short-lived JWT signed by the device key (RFC 7519, RFC 7515).

Packets authenticate themselves (their envelope is signed), but a kit also asks the server things —
its down-sync, the status of its applications — and reports its visits. Those requests carry
``Authorization: Bearer <token>`` where the token is an ES256 JWS with ``typ`` ``civicid-device+jwt``
(RFC 8725 §3.11: explicit typing, so a packet envelope can never pass for a token), ``kid`` the
device id, and claims ``iss`` (the device id), ``aud`` :data:`AUDIENCE`, ``iat``, ``exp`` and ``jti``.

The server accepts a token for at most :data:`MAX_LIFETIME` and tolerates :data:`LEEWAY` of clock
difference (RFC 7519 §4.1.4 allows "a small leeway"): a kit's clock is kept within the guard-rail's
bound of the server's, and one that drifts further is told to fix it rather than locked out forever.
"""

from __future__ import annotations

import datetime as dt
import json
import secrets
from typing import Any

from cryptography.hazmat.primitives.asymmetric.ec import EllipticCurvePrivateKey
from sqlalchemy.orm import Session

from civicid.core.clock import Clock
from civicid.core.crypto import InvalidSignature, sign_jws, verify_jws
from civicid.core.crypto.signing import jws_kid
from civicid.enrollment import devices
from civicid.enrollment.devices import DeviceRead
from civicid.enrollment.errors import InvalidDeviceToken

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


def authenticate_device(*, session: Session, clock: Clock, token: str) -> DeviceRead:
    """The registered, unrevoked device that signed ``token``; :class:`InvalidDeviceToken` otherwise."""
    try:
        kid = jws_kid(token)
    except InvalidSignature as exc:
        raise InvalidDeviceToken("the bearer token is not a compact JWS naming its device") from exc
    device = devices.active_device(session=session, device_id=kid)
    try:
        content = verify_jws(token, device.public_key(), typ=TOKEN_TYPE)
        claims: Any = json.loads(content.payload)
    except (InvalidSignature, ValueError) as exc:
        raise InvalidDeviceToken("the bearer token's signature does not verify with the device's key") from exc
    _check_claims(claims, device.id, clock.now())
    return device


def _check_claims(claims: Any, device_id: str, now: dt.datetime) -> None:
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


def device_from_authorization(*, session: Session, clock: Clock, authorization: str | None) -> DeviceRead:
    """The device of an ``Authorization: Bearer <token>`` header (RFC 6750 §2.1)."""
    scheme, _, token = (authorization or "").partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise InvalidDeviceToken("this endpoint needs Authorization: Bearer <the kit's device token>")
    return authenticate_device(session=session, clock=clock, token=token.strip())
