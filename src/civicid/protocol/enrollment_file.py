"""The offline kit enrollment file ``civicid-kit-enrollment/1``: a kit's identity, sealed under a passphrase.

With no link at all, the server makes the device key, registers its public half and writes the key,
the device id and the server's sealing key to this file, encrypted with AES-256-GCM under a key
derived from a one-time passphrase by Argon2id (RFC 9106 §4, the second recommended profile). The
passphrase is shown once and typed on the kit; the file on its own (a lost USB stick) opens nothing.
The server seals (``devices/enrollment_file.py``), the kit opens (``field/setup.py``).
"""

from __future__ import annotations

import base64
import json
import secrets
from typing import Any

from argon2.low_level import Type, hash_secret_raw
from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PublicKey
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from civicid.protocol.errors import InvalidEnrollmentFile

ENROLLMENT_FORMAT = "civicid-kit-enrollment/1"
_TIME_COST, _MEMORY_KIB, _LANES = 3, 65536, 4  # RFC 9106 §4, the second recommended profile
_KDF = {"alg": "argon2id", "time_cost": _TIME_COST, "memory_cost": _MEMORY_KIB, "parallelism": _LANES}


def sealing_key_text(key: X25519PublicKey) -> str:
    """The server's X25519 sealing key as the kit stores it: unpadded base64url of the raw 32 bytes."""
    raw = key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def new_passphrase() -> str:
    """Five groups of four hex digits (80 bits), typed on the kit."""
    return "-".join(secrets.token_hex(2) for _ in range(5))


def seal_enrollment_file(document: dict[str, Any], passphrase: str) -> bytes:
    """The file's bytes: ``document`` as JSON, encrypted under a key derived from ``passphrase``."""
    salt, nonce = secrets.token_bytes(16), secrets.token_bytes(12)
    sealed = AESGCM(_derive(passphrase, salt)).encrypt(nonce, json.dumps(document).encode(), ENROLLMENT_FORMAT.encode())
    wrapper = {
        "format": ENROLLMENT_FORMAT,
        "kdf": _KDF,
        **{k: base64.b64encode(v).decode() for k, v in (("salt", salt), ("nonce", nonce), ("ciphertext", sealed))},
    }
    return json.dumps(wrapper, indent=1).encode()


def open_enrollment_file(data: bytes, passphrase: str) -> dict[str, Any]:
    """The document inside; :class:`InvalidEnrollmentFile` for a wrong passphrase or a damaged file."""
    try:
        wrapper = json.loads(data)
        if wrapper.get("format") != ENROLLMENT_FORMAT:
            raise InvalidEnrollmentFile(f"not a {ENROLLMENT_FORMAT} file")
        salt, nonce, sealed = (base64.b64decode(wrapper[k]) for k in ("salt", "nonce", "ciphertext"))
        plain = AESGCM(_derive(passphrase, salt)).decrypt(nonce, sealed, ENROLLMENT_FORMAT.encode())
        document: dict[str, Any] = json.loads(plain)
    except InvalidTag as exc:
        raise InvalidEnrollmentFile("the passphrase does not open this enrollment file") from exc
    except (ValueError, KeyError, TypeError, AttributeError) as exc:
        raise InvalidEnrollmentFile("the enrollment file is damaged") from exc
    return document


def _derive(passphrase: str, salt: bytes) -> bytes:
    return hash_secret_raw(
        passphrase.strip().lower().encode(),
        salt,
        time_cost=_TIME_COST,
        memory_cost=_MEMORY_KIB,
        parallelism=_LANES,
        hash_len=32,
        type=Type.ID,
    )
