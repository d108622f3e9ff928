"""Sealing: encrypting to a recipient's X25519 public key, wire format ``civicid-seal/1``.

A field kit seals biometric and document parts to the central server; it cannot open them again.
The construction is ECIES-shaped, like HPKE's base mode (RFC 9180) with DHKEM(X25519), HKDF-SHA256
and AES-256-GCM, but without HPKE's labelled key schedule:

1. A fresh ephemeral X25519 key pair per message; ``shared = X25519(ephemeral, recipient)`` (RFC 7748 §5).
2. ``key = HKDF-SHA256(ikm=shared, salt=ephemeral_pub || recipient_pub, info=b"civicid-seal/1", L=32)``
   (RFC 5869). The salt binds the key to both public keys, as HPKE's ``kem_context`` does.
3. ``AES-256-GCM(key, nonce, plaintext, aad)`` with a random 96-bit nonce (NIST SP 800-38D §8.2.2;
   each key is used once, so the nonce could be fixed, but a random one costs nothing).

Wire format (all lengths in bytes)::

    offset  length  field
    0       1       version, 0x01
    1       32      ephemeral X25519 public key (RFC 7748 §5 u-coordinate, little-endian)
    33      12      AES-GCM nonce
    45      n + 16  AES-GCM ciphertext of the n-byte plaintext, followed by its 16-byte tag

The associated data is not on the wire: both sides derive it from context (for packets, from the
envelope, see ``enrollment/packet.py``), so a part moved to another packet does not open.
"""

from __future__ import annotations

import hashlib
import json
import os
from typing import Protocol

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey, X25519PublicKey
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from civicid.core.crypto._b64 import b64url_encode
from civicid.core.crypto.errors import InvalidSeal

SEAL_VERSION = 0x01
SEAL_INFO = b"civicid-seal/1"
_PUBLIC_KEY_BYTES = 32
_NONCE_BYTES = 12
_TAG_BYTES = 16
_HEADER_BYTES = 1 + _PUBLIC_KEY_BYTES + _NONCE_BYTES
SEAL_OVERHEAD = _HEADER_BYTES + _TAG_BYTES
"""Bytes a sealed message has beyond its plaintext: 61."""


class SealingKey(Protocol):
    """The recipient's side of sealing: an X25519 private key, or a handle to one in an HSM.

    ``cryptography``'s :class:`X25519PrivateKey` satisfies it as it is; a PKCS#11 token implements
    ``exchange`` with ``CKM_ECDH1_DERIVE`` on a Montgomery key (PKCS#11 3.0) so the key never leaves it.
    """

    def exchange(self, peer_public_key: X25519PublicKey) -> bytes: ...

    def public_key(self) -> X25519PublicKey: ...


def generate_sealing_key() -> X25519PrivateKey:
    """A new X25519 private key (RFC 7748 §6.1)."""
    return X25519PrivateKey.generate()


def sealing_key_id(public_key: X25519PublicKey) -> str:
    """The RFC 7638 thumbprint of the key's OKP JWK (RFC 8037 §2): ``{"crv":"X25519","kty":"OKP","x":...}``."""
    members = {"crv": "X25519", "kty": "OKP", "x": b64url_encode(_raw(public_key))}
    canonical = json.dumps(members, separators=(",", ":"), sort_keys=True).encode("ascii")
    return b64url_encode(hashlib.sha256(canonical).digest())


def seal(plaintext: bytes, *, recipient: X25519PublicKey, aad: bytes) -> bytes:
    """Encrypt ``plaintext`` so that only the holder of ``recipient``'s private key opens it, with ``aad``."""
    ephemeral = X25519PrivateKey.generate()
    ephemeral_public = _raw(ephemeral.public_key())
    try:
        shared = ephemeral.exchange(recipient)
    except ValueError as exc:  # A low-order recipient key gives the all-zero secret (RFC 7748 §6.1).
        raise InvalidSeal from exc
    key = _derive(shared, ephemeral_public, _raw(recipient))
    nonce = os.urandom(_NONCE_BYTES)
    return bytes([SEAL_VERSION]) + ephemeral_public + nonce + AESGCM(key).encrypt(nonce, plaintext, aad)


def unseal(sealed: bytes, *, recipient_key: SealingKey, aad: bytes) -> bytes:
    """Open a message made by :func:`seal`; raises :class:`InvalidSeal` whatever the reason it does not open."""
    if len(sealed) < SEAL_OVERHEAD or sealed[0] != SEAL_VERSION:
        raise InvalidSeal
    ephemeral_public = sealed[1 : 1 + _PUBLIC_KEY_BYTES]
    nonce = sealed[1 + _PUBLIC_KEY_BYTES : _HEADER_BYTES]
    try:
        shared = recipient_key.exchange(X25519PublicKey.from_public_bytes(ephemeral_public))
        key = _derive(shared, ephemeral_public, _raw(recipient_key.public_key()))
        return AESGCM(key).decrypt(nonce, sealed[_HEADER_BYTES:], aad)
    except (InvalidTag, ValueError) as exc:
        raise InvalidSeal from exc


def _derive(shared: bytes, ephemeral_public: bytes, recipient_public: bytes) -> bytes:
    """RFC 5869 HKDF-SHA256 to a 256-bit AES key."""
    hkdf = HKDF(algorithm=hashes.SHA256(), length=32, salt=ephemeral_public + recipient_public, info=SEAL_INFO)
    return hkdf.derive(shared)


def _raw(public_key: X25519PublicKey) -> bytes:
    return public_key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
