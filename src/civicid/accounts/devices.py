"""The holder's device: its P-256 key, its id (the key's RFC 7638 thumbprint) and its proofs of possession.

A device proves it holds the bound key by signing a short statement (format
``civicid-device-proof/2``): a compact JWS (ES256, ``typ`` :data:`PROOF_TYP`, ``kid`` the device
id) over ``{"v", "purpose", "id_number", "nonce", "iat"}``. ``nonce`` is a challenge the server
handed out (``challenges.py``) and that the proof uses up: a proof is good once, so one seen by
someone else is worth nothing, even with the password. ``iat`` must lie within :data:`PROOF_WINDOW`
of the server's clock. (Format 1 had no nonce and is refused.)
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Mapping
from typing import Any

from cryptography.hazmat.primitives.asymmetric import ec
from sqlalchemy.orm import Session

from civicid.accounts.challenges import consume_challenge
from civicid.accounts.errors import InvalidDeviceProof, InvalidHolderInput
from civicid.core.clock import Clock
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

PROOF_FORMAT = "civicid-device-proof/2"
PROOF_TYP = "civicid-device-proof+jws"
PROOF_WINDOW = dt.timedelta(minutes=2)
LOGIN, BIND, UNLOCK = "login", "bind", "unlock"


def device_key(jwk: Mapping[str, Any]) -> tuple[str, dict[str, str], ec.EllipticCurvePublicKey]:
    """(device id, canonical public JWK, key) of a device's public JWK; :class:`InvalidHolderInput` if it is none."""
    try:
        key = load_public_jwk(jwk)
    except InvalidKey as exc:
        raise InvalidHolderInput(f"device key: {exc}", field="device_public_jwk") from None
    return jwk_thumbprint(key), public_jwk(key), key


def proof_device_id(proof: str) -> str:
    """The device id a proof names (unverified: only to find the key it must verify with)."""
    try:
        return jws_kid(proof)
    except InvalidSignature:
        raise InvalidDeviceProof("the device proof is not a compact JWS naming its key") from None


def verify_proof(
    proof: str,
    key: ec.EllipticCurvePublicKey,
    *,
    purpose: str,
    id_number: str,
    session: Session,
    clock: Clock,
) -> None:
    """Raise :class:`InvalidDeviceProof` unless ``proof`` is this key's fresh answer to a live challenge.

    The challenge is used up whatever follows, so the same proof never verifies twice.
    """
    try:
        content = verify_jws(proof, key, typ=PROOF_TYP)
        claims = json.loads(content.payload)
    except (InvalidSignature, ValueError):
        raise InvalidDeviceProof("the device proof does not verify with the device's key") from None
    if not isinstance(claims, dict) or claims.get("v") != PROOF_FORMAT:
        raise InvalidDeviceProof(f"the device proof is not {PROOF_FORMAT}")
    if claims.get("purpose") != purpose or claims.get("id_number") != id_number:
        raise InvalidDeviceProof("the device proof was made for another purpose or account")
    issued, nonce = claims.get("iat"), claims.get("nonce")
    if not isinstance(issued, int) or abs(clock.now().timestamp() - issued) > PROOF_WINDOW.total_seconds():
        raise InvalidDeviceProof("the device proof is too old or from the future")
    if not isinstance(nonce, str) or not nonce:
        raise InvalidDeviceProof("the device proof answers no challenge")
    consume_challenge(session=session, clock=clock, nonce=nonce)


def make_proof(key: ec.EllipticCurvePrivateKey, *, purpose: str, id_number: str, nonce: str, clock: Clock) -> str:
    """What the app does on the phone (and the simulator and tests for it): answer a challenge."""
    claims = {
        "v": PROOF_FORMAT,
        "purpose": purpose,
        "id_number": id_number,
        "nonce": nonce,
        "iat": int(clock.now().timestamp()),
    }
    return sign_jws(json.dumps(claims).encode(), key, kid=jwk_thumbprint(key), typ=PROOF_TYP)
