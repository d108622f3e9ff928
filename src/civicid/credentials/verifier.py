"""The verifier: one call for a QR text, a QR image or an SD-JWT VC, against a trust bundle, offline.

:func:`verify` never raises for what it is given: whatever the input, it answers a :class:`Verdict`,
valid or not, with one reason from :data:`REASONS` when not. The CLI (``civicid verify``), the
server's online check and the tests all call it; the browser's verifier (``static/verify/``) applies
the same steps and is checked against it on every test vector.

The steps for a QR (docs/formats/qr-v1.md §8): read the text (``unreadable``); find the issuer's
key by kid (``unknown_issuer``); check the signature (``bad_signature``) and the claims
(``malformed``); the bundle's age (``stale_bundle``); the credential's times (``expired``,
``not_yet_valid``) and the key's (``unknown_issuer`` once a key stops vouching); its status
(``revoked``, ``suspended``, ``status_unknown``).
"""

from __future__ import annotations

import base64
import datetime as dt
import io
from typing import Any

import zxingcpp
from PIL import Image, UnidentifiedImageError

from civicid.core.crypto import InvalidSignature, parse_cose_sign1, verify_cose_sign1
from civicid.core.crypto._b64 import b64url_encode
from civicid.credentials import claim169, cwt, qr
from civicid.credentials.profiles import CLAIM_169_PROFILES, QrCredential
from civicid.credentials.sd_jwt_vc import verify_against_bundle
from civicid.credentials.trust_bundle import IssuerKey, TrustBundle
from civicid.credentials.verdict import REASONS, Verdict, status_of

__all__ = ["REASONS", "Verdict", "read_image", "verify"]
MAX_IMAGE_PIXELS = 40_000_000


def verify(source: str | bytes | Image.Image, trust: TrustBundle, *, now: dt.datetime) -> Verdict:
    """Verify a QR text (``str``), a QR image (its file's ``bytes``, or a PIL image) or an SD-JWT VC (``str``)."""
    try:
        text = source if isinstance(source, str) else read_image(source)
    except ValueError:
        return Verdict(False, "unreadable", bundle_age=trust.age(now))
    if "~" in text:
        return verify_against_bundle(text, trust, now=now)
    try:
        return _verify_qr(text, trust, now)
    except (ValueError, TypeError, LookupError, RecursionError, OverflowError):
        return Verdict(False, "malformed", format="qr-v1", bundle_age=trust.age(now))


def read_image(image: bytes | Image.Image) -> str:
    """The text of the first QR code in ``image`` (zxing-cpp); ``ValueError`` when there is none."""
    try:
        if isinstance(image, bytes):
            Image.MAX_IMAGE_PIXELS = MAX_IMAGE_PIXELS
            with Image.open(io.BytesIO(image)) as opened:
                picture = opened.convert("L")
        else:
            picture = image.convert("L")
    except (UnidentifiedImageError, OSError, Image.DecompressionBombError) as exc:
        raise ValueError("not an image") from exc
    for found in zxingcpp.read_barcodes(picture, formats=zxingcpp.BarcodeFormats(zxingcpp.BarcodeFormat.QRCode)):
        if found.valid and found.text:
            return str(found.text)
    raise ValueError("no QR code in the image")


def _verify_qr(text: str, trust: TrustBundle, now: dt.datetime) -> Verdict:
    age = trust.age(now)
    try:
        cose, prefixed = qr.decode_text(text)
        message = parse_cose_sign1(cose)
    except (qr.Unreadable, InvalidSignature):
        return Verdict(False, "unreadable", bundle_age=age)
    key = trust.keys.get(message.kid)
    kid = b64url_encode(message.kid)
    if key is None:
        return Verdict(False, "unknown_issuer", format="qr-v1", kid=kid, bundle_age=age)
    try:
        claims = cwt.decode_claims(verify_cose_sign1(message, key.public_key))
    except InvalidSignature:
        return Verdict(False, "bad_signature", format="qr-v1", kid=kid, bundle_age=age)
    credential = QrCredential.from_claims(claims)
    if credential.issuer != key.issuer or prefixed == (credential.profile in CLAIM_169_PROFILES):
        return Verdict(False, "malformed", format="qr-v1", kid=kid, bundle_age=age)
    reason, status = _judge(key, trust, now, credential)
    # One Verdict, built once: this runs on every offline check, beside a single ECDSA verification.
    return Verdict(
        valid=reason is None,
        reason=reason,
        format="qr-v1",
        profile=credential.profile.value,
        issuer=credential.issuer,
        kid=kid,
        credential_id=credential.credential_id.hex(),
        issued_at=credential.issued_at,
        expires_at=credential.expires_at,
        device_bound=credential.device is not None,
        status=status,
        disclosed=disclosed(credential) if reason is None else {},
        bundle_age=age,
    )


def _judge(
    key: IssuerKey, trust: TrustBundle, now: dt.datetime, credential: QrCredential
) -> tuple[str | None, str | None]:
    """(the reason it is invalid, or None; its status when it has one) for a credential whose signature verified."""
    moment, skew = int(now.timestamp()), trust.rules.clock_skew
    issued_at, expires_at = credential.issued_at, credential.expires_at
    if trust.is_stale(now):
        return "stale_bundle", None
    if expires_at + skew <= moment:
        return "expired", None
    if issued_at - skew > moment:
        return "not_yet_valid", None
    if (key.verify_until is not None and key.verify_until <= moment) or issued_at + skew < key.signs_from:
        return "unknown_issuer", None
    if key.signs_until is not None and issued_at - skew > key.signs_until:
        return "unknown_issuer", None
    if credential.status is None:
        return None, None
    return status_of(credential.status.uri, credential.status.idx, trust, now)


def disclosed(credential: QrCredential) -> dict[str, Any]:
    """What a verified QR credential says, by name, the photo as base64 with its media type."""
    out: dict[str, Any] = {}
    if credential.identity is not None:
        out.update(claim169.disclosed(credential.identity))
        photo = credential.identity.get(claim169.PHOTO)
        if "photo" in out and isinstance(photo, bytes):
            out["photo"]["base64"] = base64.b64encode(photo).decode("ascii")
    if credential.level is not None:
        out["level"] = credential.level
    if credential.card_expiry is not None:
        out["card_expiry"] = credential.card_expiry
    for name, value in (credential.claims or {}).items():
        if isinstance(name, str) and isinstance(value, str | int | bool | list):
            out[name] = value
    return out
