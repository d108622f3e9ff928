"""Signing what the issuer issues: QR credentials (``qr-v1``) with the issuer's current key."""

from __future__ import annotations

from dataclasses import dataclass

from cryptography.hazmat.primitives.asymmetric import ec

from civicid.core.crypto import jwk_thumbprint, sign_cose_sign1
from civicid.core.crypto._b64 import b64url_decode, b64url_encode
from civicid.credentials import cwt, qr
from civicid.credentials.profiles import CLAIM_169_PROFILES, QrCredential

KID_BYTES = 8


def key_id(key: ec.EllipticCurvePrivateKey | ec.EllipticCurvePublicKey) -> bytes:
    """An issuer key's id: the first 8 bytes of its RFC 7638 thumbprint (as the EU DCC's kid, short for a QR)."""
    return b64url_decode(jwk_thumbprint(key))[:KID_BYTES]


@dataclass(frozen=True)
class SigningKey:
    """An issuer's key that signs now."""

    issuer: str
    kid: bytes
    key: ec.EllipticCurvePrivateKey

    @property
    def kid_text(self) -> str:
        return b64url_encode(self.kid)


def sign_qr(credential: QrCredential, signer: SigningKey) -> str:
    """The QR text of ``credential``: its claims set in a COSE_Sign1 (ES256) → zlib → Base45 (± prefix)."""
    if credential.issuer != signer.issuer:
        raise ValueError("a credential is signed by a key of its own issuer")
    cose = sign_cose_sign1(cwt.encode_claims(credential.claims_set()), signer.key, kid=signer.kid)
    return qr.encode_text(cose, prefixed=credential.profile not in CLAIM_169_PROFILES)
