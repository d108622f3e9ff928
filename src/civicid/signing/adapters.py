"""The two :class:`~civicid.signing.ports.KeyVault` adapters (decision 0048).

- :class:`KeystoreVault`: software keys, each wrapped under the master key in the data folder
  (``core/keystore.py``), the default of a deployment without an HSM.
- :class:`Pkcs11Vault`: keys generated inside a PKCS#11 token with ``CKA_SENSITIVE`` and not
  ``CKA_EXTRACTABLE``; signing is ``CKM_ECDSA`` over the SHA-256 digest in the token (PKCS#11 v2.40 §2.3.6). The
  tests use Debian's SoftHSM2; a deployment points ``module`` at its HSM's library.
"""

from __future__ import annotations

import hashlib
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec

from civicid.core.keystore import FileKeystore, KeystoreUnavailable
from civicid.signing.errors import KeyVaultUnavailable

CITIZEN_PREFIX = "citizen-"


@dataclass(frozen=True)
class _SoftwareKey:
    key_ref: str
    private: ec.EllipticCurvePrivateKey

    def public_key(self) -> ec.EllipticCurvePublicKey:
        return self.private.public_key()

    def sign(self, data: bytes) -> bytes:
        return self.private.sign(data, ec.ECDSA(hashes.SHA256()))


class KeystoreVault:
    """Citizens' keys in the keystore, ``keys/signing-citizen-<ref>.key``, wrapped under the master key."""

    name = "keystore"

    def __init__(self, keystore: FileKeystore) -> None:
        self._keystore = keystore

    def generate(self, key_ref: str) -> _SoftwareKey:
        key = ec.generate_private_key(ec.SECP256R1())
        stored = self._keystore.pki_signing_key(CITIZEN_PREFIX + key_ref, lambda: key)
        return _SoftwareKey(key_ref, stored)

    def open(self, key_ref: str) -> _SoftwareKey:
        name = CITIZEN_PREFIX + key_ref

        def missing() -> ec.EllipticCurvePrivateKey:
            raise KeyVaultUnavailable("the signing key is not in the keystore")

        try:
            return _SoftwareKey(key_ref, self._keystore.pki_signing_key(name, missing))
        except KeystoreUnavailable as exc:
            raise KeyVaultUnavailable(exc.detail) from exc

    def destroy(self, key_ref: str) -> None:
        self._keystore.destroy_pki_signing_key(CITIZEN_PREFIX + key_ref)


class _TokenKey:
    def __init__(self, vault: Pkcs11Vault, key_ref: str, public: ec.EllipticCurvePublicKey) -> None:
        self._vault = vault
        self.key_ref = key_ref
        self._public = public

    def public_key(self) -> ec.EllipticCurvePublicKey:
        return self._public

    def sign(self, data: bytes) -> bytes:
        return self._vault.sign(self.key_ref, data)


class Pkcs11Vault:
    """Keys inside a PKCS#11 token, found by label; one session, used by one thread at a time."""

    name = "pkcs11"

    def __init__(self, module: Path, token_label: str, pin: str) -> None:
        try:
            import pkcs11  # Imported here: a deployment without an HSM needs no PKCS#11 library loaded.

            self._pkcs11: Any = pkcs11
            self._token = pkcs11.lib(str(module)).get_token(token_label=token_label)
            self._session = self._token.open(rw=True, user_pin=pin)
        except Exception as exc:  # python-pkcs11 raises its own PKCS11Error family and OSError for a bad path
            raise KeyVaultUnavailable(f"the PKCS#11 token cannot be opened ({type(exc).__name__})") from exc
        self._lock = threading.Lock()

    def close(self) -> None:
        self._session.close()

    def generate(self, key_ref: str) -> _TokenKey:
        p = self._pkcs11
        from pkcs11.util.ec import encode_named_curve_parameters

        with self._lock:
            parameters = self._session.create_domain_parameters(
                p.KeyType.EC, {p.Attribute.EC_PARAMS: encode_named_curve_parameters("secp256r1")}, local=True
            )
            public, _ = parameters.generate_keypair(
                store=True,
                label=key_ref,
                private_template={p.Attribute.SENSITIVE: True, p.Attribute.EXTRACTABLE: False},
            )
            return _TokenKey(self, key_ref, _public_key(public))

    def open(self, key_ref: str) -> _TokenKey:
        p = self._pkcs11
        with self._lock:
            try:
                public = self._session.get_key(object_class=p.ObjectClass.PUBLIC_KEY, label=key_ref)
            except (p.NoSuchKey, p.MultipleObjectsReturned) as exc:
                raise KeyVaultUnavailable("the signing key is not in the token") from exc
            return _TokenKey(self, key_ref, _public_key(public))

    def sign(self, key_ref: str, data: bytes) -> bytes:
        p = self._pkcs11
        from pkcs11.util.ec import encode_ecdsa_signature

        with self._lock:
            try:
                private: Any = self._session.get_key(object_class=p.ObjectClass.PRIVATE_KEY, label=key_ref)
            except p.NoSuchKey as exc:
                raise KeyVaultUnavailable("the signing key is not in the token") from exc
            # CKM_ECDSA over the SHA-256 digest: SoftHSM2 2.6 lacks CKM_ECDSA_SHA256, and the result is the same.
            raw: bytes = private.sign(hashlib.sha256(data).digest(), mechanism=p.Mechanism.ECDSA)
        return bytes(encode_ecdsa_signature(raw))

    def destroy(self, key_ref: str) -> None:
        p = self._pkcs11
        with self._lock:
            for object_class in (p.ObjectClass.PRIVATE_KEY, p.ObjectClass.PUBLIC_KEY):
                for found in list(
                    self._session.get_objects({p.Attribute.CLASS: object_class, p.Attribute.LABEL: key_ref})
                ):
                    found.destroy()


def _public_key(public: Any) -> ec.EllipticCurvePublicKey:
    from pkcs11.util.ec import encode_ec_public_key

    key = serialization.load_der_public_key(bytes(encode_ec_public_key(public)))
    if not isinstance(key, ec.EllipticCurvePublicKey):
        raise KeyVaultUnavailable("the token's key is not an EC key")
    return key
