"""Sealing templates at rest (docs/decisions/0005-biometric-templates-at-rest.md).

A template is biometric data: a leaked database must not yield vectors that can be searched or
linked elsewhere. Each vector is sealed with AES-256-GCM under a key from the keystore, with the
row's identity (reference, modality, model, version, dimension) as associated data, so a sealed
vector moved to another row or model fails to open instead of being silently misattributed.
"""

from __future__ import annotations

import os
from typing import Protocol

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

_FORMAT = b"\x01"  # version byte of the sealed layout: 0x01 || 12-byte nonce || ciphertext+tag
_NONCE = 12


class TemplateSealBroken(Exception):
    """A stored template does not open: wrong key, or the row was altered or moved."""


class TemplateCipher(Protocol):
    """Seals and opens template bytes; the keystore implements it in production."""

    def seal(self, plaintext: bytes, *, associated_data: bytes) -> bytes: ...

    def open(self, sealed: bytes, *, associated_data: bytes) -> bytes: ...


class AesGcmTemplateCipher:
    """AES-256-GCM with a random 96-bit nonce per seal (NIST SP 800-38D §8.2.2 random construction).

    Random nonces are safe well past any gallery size here: the collision bound stays below 2^-32
    up to ~2^32 seals under one key.
    """

    def __init__(self, key: bytes) -> None:
        if len(key) != 32:
            raise ValueError("a template key is 32 bytes (AES-256)")
        self._aead = AESGCM(key)

    def seal(self, plaintext: bytes, *, associated_data: bytes) -> bytes:
        nonce = os.urandom(_NONCE)
        return _FORMAT + nonce + self._aead.encrypt(nonce, plaintext, _FORMAT + associated_data)

    def open(self, sealed: bytes, *, associated_data: bytes) -> bytes:
        if sealed[:1] != _FORMAT or len(sealed) < 1 + _NONCE + 16:
            raise TemplateSealBroken("unknown sealed-template format")
        nonce = sealed[1 : 1 + _NONCE]
        try:
            return self._aead.decrypt(nonce, sealed[1 + _NONCE :], _FORMAT + associated_data)
        except InvalidTag as exc:
            raise TemplateSealBroken("sealed template does not open") from exc
