"""Private keys at rest: wrapped under a master key, wire format ``civicid-keywrap/1``.

A private key is serialised as unencrypted PKCS#8 DER (RFC 5958) in memory only, then encrypted with
AES-256-GCM under a key-encryption key derived from the master key by HKDF-SHA256 (RFC 5869, info
``b"civicid-keywrap/1"``). The key's name is the associated data, so a wrapped file renamed to
another key's name does not unwrap. AES-GCM rather than PKCS#8's ``BestAvailableEncryption``
(PBKDF2 + AES-CBC): the master key is already 256 random bits, so a password KDF buys nothing, and
GCM authenticates.

Wire format::

    offset  length  field
    0       1       version, 0x01
    1       12      AES-GCM nonce (random)
    13      n + 16  ciphertext of the PKCS#8 DER, followed by its tag

A master key is 32 random bytes; as text (environment variable, file) it is unpadded base64url.
"""

from __future__ import annotations

import os

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric.types import PrivateKeyTypes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from civicid.core.crypto._b64 import b64url_decode, b64url_encode
from civicid.core.crypto.errors import InvalidKey, InvalidWrappedKey

MASTER_KEY_BYTES = 32
WRAP_VERSION = 0x01
WRAP_INFO = b"civicid-keywrap/1"
_NONCE_BYTES = 12


def generate_master_key() -> bytes:
    return os.urandom(MASTER_KEY_BYTES)


def encode_master_key(master_key: bytes) -> str:
    """The master key as text: unpadded base64url of its 32 bytes (RFC 4648 §5)."""
    _check_master_key(master_key)
    return b64url_encode(master_key)


def decode_master_key(text: str) -> bytes:
    """Read a master key written by :func:`encode_master_key`; raises :class:`InvalidKey` otherwise."""
    try:
        master_key = b64url_decode(text.strip())
    except ValueError as exc:
        raise InvalidKey("a master key is 32 bytes in unpadded base64url") from exc
    _check_master_key(master_key)
    return master_key


def wrap_private_key(key: PrivateKeyTypes, *, master_key: bytes, name: str) -> bytes:
    """Encrypt ``key`` under ``master_key``, bound to ``name``."""
    der = key.private_bytes(serialization.Encoding.DER, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    nonce = os.urandom(_NONCE_BYTES)
    return bytes([WRAP_VERSION]) + nonce + AESGCM(_kek(master_key)).encrypt(nonce, der, name.encode("utf-8"))


def unwrap_private_key(wrapped: bytes, *, master_key: bytes, name: str) -> PrivateKeyTypes:
    """The key :func:`wrap_private_key` wrapped; raises :class:`InvalidWrappedKey` if it does not unwrap."""
    if len(wrapped) < 1 + _NONCE_BYTES + 16 or wrapped[0] != WRAP_VERSION:
        raise InvalidWrappedKey
    nonce, ciphertext = wrapped[1 : 1 + _NONCE_BYTES], wrapped[1 + _NONCE_BYTES :]
    try:
        der = AESGCM(_kek(master_key)).decrypt(nonce, ciphertext, name.encode("utf-8"))
        return serialization.load_der_private_key(der, password=None)
    except (InvalidTag, ValueError, TypeError) as exc:
        raise InvalidWrappedKey from exc


def _kek(master_key: bytes) -> bytes:
    _check_master_key(master_key)
    return HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=WRAP_INFO).derive(master_key)


def _check_master_key(master_key: bytes) -> None:
    if len(master_key) != MASTER_KEY_BYTES:
        raise InvalidKey("a master key is 32 bytes")
