"""The provider's signing keys: RS256 (what OpenID Connect Core §15.1 requires by default) and ES256,
kept in the keystore like every server key, published at the JWKS endpoint."""

from __future__ import annotations

from typing import Any

from cryptography.hazmat.primitives import serialization
from joserfc.jwk import ECKey, KeySet, RSAKey

from civicid.core.keystore import FileKeystore

ALGORITHMS = ("RS256", "ES256")
DEFAULT_ALG = "RS256"


class ProviderKeys:
    """One key per algorithm, loaded from the keystore once; its ``kid`` is its RFC 7638 thumbprint."""

    def __init__(self, keystore: FileKeystore) -> None:
        self._keystore = keystore
        self._keys: dict[str, RSAKey | ECKey] = {}

    def private(self, alg: str) -> RSAKey | ECKey:
        """The private key that signs with ``alg`` (one of :data:`ALGORITHMS`)."""
        if alg not in self._keys:
            native = self._keystore.provider_signing_key(alg)
            pem = native.private_bytes(
                serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
            )
            key: RSAKey | ECKey = RSAKey.import_key(pem) if alg == "RS256" else ECKey.import_key(pem)
            key.ensure_kid()
            self._keys[alg] = key
        return self._keys[alg]

    def jwks(self) -> dict[str, Any]:
        """The public JWK Set (RFC 7517 §5): what clients verify ID tokens with."""
        keys = []
        for alg in ALGORITHMS:
            public = self.private(alg).as_dict(private=False)
            keys.append({**public, "use": "sig", "alg": alg})
        return {"keys": keys}

    def public_set(self) -> KeySet:
        return KeySet.import_key_set(self.jwks())  # type: ignore[arg-type]
