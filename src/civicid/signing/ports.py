"""The port to wherever citizens' signing keys live (decision 0048).

A :class:`KeyVault` makes a P-256 key for a citizen, hands out a :class:`SignerKeys` for it, and
destroys it when its certificate is revoked. The private key never leaves the vault: the signing
code only asks it to sign bytes. Two adapters (``adapters.py``): software keys sealed in the
keystore under the master key (the default), and a PKCS#11 token (an HSM; SoftHSM2 in the tests).
"""

from __future__ import annotations

from typing import Protocol

from cryptography.hazmat.primitives.asymmetric.ec import EllipticCurvePublicKey


class SignerKeys(Protocol):
    """One key in a vault, able to sign."""

    @property
    def key_ref(self) -> str:
        """The vault's name for the key, kept in the certificate's row."""
        ...

    def public_key(self) -> EllipticCurvePublicKey: ...

    def sign(self, data: bytes) -> bytes:
        """ECDSA P-256 with SHA-256 over ``data`` (the vault hashes it), DER-encoded (RFC 3279 §2.2.3)."""
        ...


class KeyVault(Protocol):
    """Where the keys are: the keystore, or a PKCS#11 token."""

    #: Stored with each certificate, so that a deployment can tell which vault holds its key.
    name: str

    def generate(self, key_ref: str) -> SignerKeys:
        """A new key named ``key_ref`` (ASCII letters, digits, ``-``); made inside the vault."""
        ...

    def open(self, key_ref: str) -> SignerKeys:
        """The key named ``key_ref``; ``KeyVaultUnavailable`` if it is not there."""
        ...

    def destroy(self, key_ref: str) -> None:
        """Delete the key for good (its certificate is revoked); nothing if it is gone already."""
        ...
