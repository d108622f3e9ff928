"""The server's private keys, kept in the data folder and encrypted at rest (DESIGN.md decision 10).

Layout of the data folder::

    master.key                      the master key (only when none is given; mode 0600)
    keys/sealing-x25519.key         the packet-sealing key, wrapped (``core/crypto/keys.py``, mode 0600)
    keys/audit-es256.key            the key that signs the audit chain's checkpoints (decision 0033), wrapped
    keys/issuer-<kid>.key           a credential issuer key (decision 0043), one file per key, wrapped
    keys/trust-es256.key            the key that signs the verifiers' trust bundle (decision 0042), wrapped
    keys/signing-<name>.key         the signing CA's keys and the citizens' software signing keys (decision 0048)
    keys/idp-rs256.key, idp-es256   the OpenID provider's ID-token keys (decision 0044), wrapped

The master key encrypts every key file. In production it comes from a secret store (the orchestrator's
secrets, a cloud KMS, a vault agent) through the ``CIVICID_MASTER_KEY`` environment variable
(:func:`master_key_from_environment`) and never sits next to the keys it protects. Without one — the
embedded default, a demo, a developer's machine — :meth:`FileKeystore.open` generates ``master.key`` in
the data folder the first time, which protects a copied ``keys/`` folder but not a copied data folder.

Keys are created on first use. A new key file is written to a temporary file, flushed to disk and then
linked into place with :func:`os.link`, which fails if the name exists: two processes starting
together cannot both create a sealing key (with :func:`os.replace`, the second would silently replace
the first's key, and packets already sealed to it could no longer be opened). The loser reads the
winner's key.

:class:`KeyStore` is the port: a PKCS#11 HSM implements the same three methods, keeping the private
key inside the token and answering ``sealing_key().exchange(...)`` with ``CKM_ECDH1_DERIVE``.
"""

from __future__ import annotations

import contextlib
import os
import tempfile
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Protocol

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.hazmat.primitives.asymmetric.ec import EllipticCurvePrivateKey
from cryptography.hazmat.primitives.asymmetric.types import PrivateKeyTypes
from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey, X25519PublicKey
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from civicid.core.crypto import keys, sealing, signing
from civicid.core.crypto.errors import InvalidKey, InvalidWrappedKey
from civicid.core.errors import CivicIDError

MASTER_KEY_ENV = "CIVICID_MASTER_KEY"
MASTER_KEY_FILE = "master.key"
KEYS_DIR = "keys"
SEALING_KEY_NAME = "sealing-x25519"
DEVICE_KEY_NAME = "device-es256"
AUDIT_KEY_NAME = "audit-es256"
TRUST_KEY_NAME = "trust-es256"
ISSUER_KEY_PREFIX = "issuer-"
SIGNING_KEY_PREFIX = "signing-"
PROVIDER_KEY_NAMES = {"RS256": "idp-rs256", "ES256": "idp-es256"}


class KeyStore(Protocol):
    """The port to wherever the server's private keys live: the data folder, or an HSM."""

    def sealing_key(self) -> sealing.SealingKey:
        """The key that opens what field kits seal to the server (``core/crypto/sealing.py``)."""
        ...

    def sealing_public_key(self) -> X25519PublicKey: ...

    def sealing_key_id(self) -> str:
        """The RFC 7638 thumbprint of the sealing public key, so kits and the server can name it."""
        ...

    def template_key(self) -> bytes:
        """32 bytes: the key biometric templates are encrypted under at rest."""
        ...

    def portrait_key(self) -> bytes:
        """32 bytes: the key the wallet's portraits (the e-ID card's photo) are encrypted under at rest."""
        ...


class KeystoreUnavailable(CivicIDError):
    code = "keystore_unavailable"
    title = "The server's keys cannot be opened"
    status = 503


TEMPLATE_KEY_INFO = b"civicid-template-key/1"
PORTRAIT_KEY_INFO = b"civicid-portrait-key/1"


class FileKeystore:
    """Keys in ``<data_dir>/keys``, each wrapped under the master key."""

    def __init__(self, data_dir: Path, master_key: bytes) -> None:
        self._dir = data_dir / KEYS_DIR
        self._master_key = master_key
        self._sealing: X25519PrivateKey | None = None

    @classmethod
    def open(cls, data_dir: Path, master_key: bytes | None = None) -> FileKeystore:
        """The keystore of ``data_dir``; with no ``master_key``, the one in ``master.key``, made if absent.

        Raises :class:`KeystoreUnavailable` when the folder cannot be used or the master key is malformed.
        """
        try:
            (data_dir / KEYS_DIR).mkdir(parents=True, exist_ok=True)
            if master_key is None:
                path = data_dir / MASTER_KEY_FILE
                text = _create_once(path, lambda: keys.encode_master_key(keys.generate_master_key()).encode("ascii"))
                master_key = keys.decode_master_key(text.decode("ascii"))
            elif len(master_key) != keys.MASTER_KEY_BYTES:
                raise InvalidKey("a master key is 32 bytes")
        except OSError as exc:
            raise KeystoreUnavailable(f"cannot use the key folder in {data_dir}: {exc.strerror}") from exc
        except (InvalidKey, UnicodeDecodeError) as exc:
            raise KeystoreUnavailable(f"the master key is not 32 bytes in unpadded base64url: {exc}") from exc
        return cls(data_dir, master_key)

    def sealing_private_key(self) -> X25519PrivateKey:
        """The X25519 private key packets are sealed to; created and stored the first time."""
        if self._sealing is None:
            key = self._load_or_create(SEALING_KEY_NAME, sealing.generate_sealing_key)
            if not isinstance(key, X25519PrivateKey):
                raise KeystoreUnavailable(f"the key file {SEALING_KEY_NAME} does not hold an X25519 key")
            self._sealing = key
        return self._sealing

    def sealing_key(self) -> sealing.SealingKey:
        return self.sealing_private_key()

    def sealing_public_key(self) -> X25519PublicKey:
        return self.sealing_private_key().public_key()

    def sealing_key_id(self) -> str:
        return sealing.sealing_key_id(self.sealing_public_key())

    def template_key(self) -> bytes:
        """The AES-256 key of biometric templates at rest, derived from the master key (RFC 5869)."""
        return self._derived_key(TEMPLATE_KEY_INFO)

    def portrait_key(self) -> bytes:
        """The AES-256 key of the wallet's portraits at rest: derived like the template key, with its own info."""
        return self._derived_key(PORTRAIT_KEY_INFO)

    def _derived_key(self, info: bytes) -> bytes:
        return HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=info).derive(self._master_key)

    def device_signing_key(self, install: EllipticCurvePrivateKey | None = None) -> EllipticCurvePrivateKey:
        """A field kit's ES256 device key: created the first time, or ``install`` one the server made.

        A kit set up from an enrollment file installs the key the file carries; installing over an
        existing key of another value is refused (a kit keeps one identity).
        """
        key = self._signing_key(DEVICE_KEY_NAME, lambda: install or signing.generate_signing_key())
        if install is not None and key.private_numbers() != install.private_numbers():
            raise KeystoreUnavailable("this kit already holds another device key")
        return key

    def app_channel_signing_key(self, commune_code: str) -> EllipticCurvePrivateKey:
        """The ES256 key of the app channel of a commune: the server's own "kit" that signs the applications
        citizens make from the app (a child's card under 6), so that they enter intake like a kit's."""
        if not commune_code.isdigit() or len(commune_code) != 5:
            raise KeystoreUnavailable("a commune code is five digits")
        return self._signing_key(f"app-channel-{commune_code}", signing.generate_signing_key)

    def audit_signing_key(self) -> EllipticCurvePrivateKey:
        """The server's ES256 key that signs the audit chain's checkpoints; created the first time.

        A key of its own, not the sealing key's or a credential issuer's: a checkpoint signature must
        mean "the server vouched for this point of its log" and nothing else (decision 0033).
        """
        return self._signing_key(AUDIT_KEY_NAME, signing.generate_signing_key)

    def issuer_signing_key(
        self, key_id: str, generate: Callable[[], EllipticCurvePrivateKey] | None = None
    ) -> EllipticCurvePrivateKey:
        """A credential issuer's ES256 key, named by its id; created with ``generate`` the first time.

        Issuer keys rotate (docs/decisions/0043-issuer-key-rotation.md): each has a file of its own, kept
        after it stops signing, for as long as what it signed may still be shown.
        """
        if not key_id.replace("-", "").replace("_", "").isalnum():
            raise KeystoreUnavailable("an issuer key id is base64url")
        return self._signing_key(f"{ISSUER_KEY_PREFIX}{key_id}", generate or signing.generate_signing_key)

    def trust_signing_key(self) -> EllipticCurvePrivateKey:
        """The ES256 key that signs the verifiers' trust bundle (``civicid-trust/1``); created the first time.

        A key of its own: a verifier pins it, and it vouches for the issuer keys, never for a credential.
        """
        return self._signing_key(TRUST_KEY_NAME, signing.generate_signing_key)

    def pki_signing_key(
        self, name: str, generate: Callable[[], EllipticCurvePrivateKey] | None = None
    ) -> EllipticCurvePrivateKey:
        """A P-256 key of the signing capability (a CA's, the time-stamping unit's, a citizen's software
        signing key), named ``signing-<name>``; created with ``generate`` the first time (decision 0048)."""
        return self._signing_key(_pki_key_name(name), generate or signing.generate_signing_key)

    def destroy_pki_signing_key(self, name: str) -> bool:
        """Delete a citizen's software signing key for good (a revoked certificate's); False if it was gone."""
        path = self._dir / f"{_pki_key_name(name)}.key"
        try:
            path.unlink()
        except FileNotFoundError:
            return False
        except OSError as exc:
            raise KeystoreUnavailable(f"cannot delete the key file {path}: {exc.strerror}") from exc
        fsync_dir(path.parent)
        return True

    def provider_signing_key(self, alg: str) -> PrivateKeyTypes:
        """The OpenID provider's key for ``alg`` (RS256: RSA 2048; ES256: P-256); created the first time.

        Keys of their own (decision 0044): an ID token says "this citizen signed in here", which neither
        a credential issuer's key nor the audit key may be made to say.
        """
        name = PROVIDER_KEY_NAMES.get(alg)
        if name is None:
            raise KeystoreUnavailable(f"the provider signs with {', '.join(PROVIDER_KEY_NAMES)}, not {alg}")
        if alg == "RS256":
            return self._load_or_create(name, lambda: rsa.generate_private_key(public_exponent=65537, key_size=2048))
        return self._signing_key(name, signing.generate_signing_key)

    def _signing_key(self, name: str, generate: Callable[[], PrivateKeyTypes]) -> EllipticCurvePrivateKey:
        key = self._load_or_create(name, generate)
        if not isinstance(key, EllipticCurvePrivateKey):
            raise KeystoreUnavailable(f"the key file {name} does not hold a P-256 key")
        return key

    def _load_or_create(self, name: str, generate: Callable[[], PrivateKeyTypes]) -> PrivateKeyTypes:
        path = self._dir / f"{name}.key"

        def wrapped_new_key() -> bytes:
            return keys.wrap_private_key(generate(), master_key=self._master_key, name=name)

        try:
            wrapped = _create_once(path, wrapped_new_key)
        except OSError as exc:
            raise KeystoreUnavailable(f"cannot read or write the key file {path}: {exc.strerror}") from exc
        try:
            return keys.unwrap_private_key(wrapped, master_key=self._master_key, name=name)
        except InvalidWrappedKey as exc:
            raise KeystoreUnavailable(
                f"the key file {path} does not open with this master key (another deployment's, or altered)"
            ) from exc


# The name the port is asked for in the brief and in callers: the file keystore is the default one.
Keystore = FileKeystore


def _pki_key_name(name: str) -> str:
    if not name or len(name) > 80 or not name.replace("-", "").replace("_", "").isalnum() or not name.isascii():
        raise KeystoreUnavailable("a signing key name is ASCII letters, digits, - and _")
    return f"{SIGNING_KEY_PREFIX}{name}"


def master_key_from_environment(environ: Mapping[str, str] | None = None) -> bytes | None:
    """The master key from ``CIVICID_MASTER_KEY`` (32 bytes, unpadded base64url), or ``None`` if unset."""
    value = (os.environ if environ is None else environ).get(MASTER_KEY_ENV, "").strip()
    if not value:
        return None
    try:
        return keys.decode_master_key(value)
    except InvalidKey as exc:
        raise KeystoreUnavailable(f"{MASTER_KEY_ENV} is not 32 bytes in unpadded base64url") from exc


def _create_once(path: Path, make: Callable[[], bytes]) -> bytes:
    """The content of ``path``; if absent, write ``make()`` there atomically with mode 0600, once.

    The content goes to a temporary file in the same folder (created 0600 by :mod:`tempfile`), is
    flushed to disk, then linked to ``path``; if another process linked first, its content wins.
    """
    with contextlib.suppress(FileNotFoundError):
        return path.read_bytes()
    descriptor, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(descriptor, "wb") as file:
            file.write(make())
            file.flush()
            os.fsync(file.fileno())
        with contextlib.suppress(FileExistsError):
            os.link(temporary, path)
        fsync_dir(path.parent)
    finally:
        os.unlink(temporary)
    return path.read_bytes()


def fsync_dir(folder: Path) -> None:
    """Make a new directory entry durable (POSIX: fsync the directory); not possible on Windows."""
    if os.name != "posix":
        return
    descriptor = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(descriptor)
    finally:
        os.close(descriptor)
