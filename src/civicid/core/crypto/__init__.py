"""The recipes CivicID's capabilities use for cryptography, over ``cryptography`` and ``joserfc``.

Only this package touches primitives (the hazmat layer). Everything else calls a small set of
recipes, each with one opaque error, and every format they produce carries a version:

- :mod:`.signing`: ES256 keys, public JWKs (RFC 7517/7518, thumbprints RFC 7638) and compact JWS
  (RFC 7515) with explicit typing (RFC 8725 §3.11). Error: :class:`InvalidSignature`.
- :mod:`.sealing`: public-key encryption to a recipient's X25519 key (RFC 7748 + HKDF RFC 5869 +
  AES-256-GCM), wire format ``civicid-seal/1``. Error: :class:`InvalidSeal`.
- :mod:`.cose`: COSE_Sign1 with ES256 (RFC 9052), the envelope of CWTs and of the QR credentials.
  Error: :class:`InvalidSignature`.
- :mod:`.keys`: private keys at rest, wrapped under a master key, wire format ``civicid-keywrap/1``.
  Error: :class:`InvalidWrappedKey`.
"""

from __future__ import annotations

from civicid.core.crypto.cose import CoseSign1, parse_cose_sign1, sign_cose_sign1, verify_cose_sign1
from civicid.core.crypto.errors import CryptoError, InvalidKey, InvalidSeal, InvalidSignature, InvalidWrappedKey
from civicid.core.crypto.keys import (
    MASTER_KEY_BYTES,
    decode_master_key,
    encode_master_key,
    generate_master_key,
    unwrap_private_key,
    wrap_private_key,
)
from civicid.core.crypto.sealing import (
    SEAL_OVERHEAD,
    SEAL_VERSION,
    SealingKey,
    generate_sealing_key,
    seal,
    sealing_key_id,
    unseal,
)
from civicid.core.crypto.signing import (
    JwsContent,
    generate_signing_key,
    jwk_thumbprint,
    jws_kid,
    load_public_jwk,
    public_jwk,
    sign_jws,
    verify_jws,
)

__all__ = [
    "MASTER_KEY_BYTES",
    "SEAL_OVERHEAD",
    "SEAL_VERSION",
    "CoseSign1",
    "CryptoError",
    "InvalidKey",
    "InvalidSeal",
    "InvalidSignature",
    "InvalidWrappedKey",
    "JwsContent",
    "SealingKey",
    "decode_master_key",
    "encode_master_key",
    "generate_master_key",
    "generate_sealing_key",
    "generate_signing_key",
    "jwk_thumbprint",
    "jws_kid",
    "load_public_jwk",
    "parse_cose_sign1",
    "public_jwk",
    "seal",
    "sealing_key_id",
    "sign_cose_sign1",
    "sign_jws",
    "unseal",
    "unwrap_private_key",
    "verify_cose_sign1",
    "verify_jws",
    "wrap_private_key",
]
