"""The kit's store key, wrapped once per operator under a key derived from their password.

A kit's database (``kit.db``, SQLCipher) and its device key (``keys/``) are encrypted under one
random 256-bit *store key* that is never written in clear anywhere. ``unlock.json`` holds, for each
operator, the store key encrypted with AES-256-GCM under a key-encryption key derived from that
operator's password with Argon2id (RFC 9106; the parameters are stored with each wrap, so they
can grow). Whoever copies the kit folder gets ciphertext and these wraps: without an operator's
password, no name, ID number, date of birth or phone (decision 0068).

``unlock.json`` (``civicid-kit-unlock/1``)::

    {"format": "civicid-kit-unlock/1",
     "wraps": {"<user name>": {"kdf": "argon2id", "t": 3, "m": 65536, "p": 4,
                               "salt": b64url, "nonce": b64url, "wrapped": b64url}}}

The GCM tag covers the user name and the format (associated data), so a wrap moved to another name
does not open. The file is replaced atomically (temporary file, fsync, rename), never edited in place.
"""

from __future__ import annotations

import base64
import json
import os
import secrets
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from argon2.low_level import Type, hash_secret_raw
from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from civicid.core.keystore import fsync_dir
from civicid.field.errors import KitNotInitialised, OperatorLoginFailed

UNLOCK_FILE = "unlock.json"
UNLOCK_FORMAT = "civicid-kit-unlock/1"
STORE_KEY_BYTES = 32
# RFC 9106 §4, the second recommended option (64 MiB, 3 passes), with 4 lanes: the same cost as
# the server's password hashes (argon2-cffi's defaults), about a tenth of a second on a kit.
ARGON2 = {"t": 3, "m": 65536, "p": 4}
# What the store key is stretched into: the database's SQLCipher key and the key files' master key.
DATABASE_KEY_INFO = b"civicid-kit-database-key/1"
MASTER_KEY_INFO = b"civicid-kit-master-key/1"


@dataclass(frozen=True)
class KitLogin:
    """An operator's user name and password: what opens a kit."""

    username: str
    password: str = ""

    def __repr__(self) -> str:  # never a password in a log line or a traceback
        return f"KitLogin(username={self.username!r})"


def new_store_key() -> bytes:
    return secrets.token_bytes(STORE_KEY_BYTES)


def database_key(store_key: bytes) -> bytes:
    """The SQLCipher key of ``kit.db`` (RFC 5869, its own info: one key, one use)."""
    return _derive(store_key, DATABASE_KEY_INFO)


def master_key(store_key: bytes) -> bytes:
    """The master key that wraps the device key in ``keys/`` (``core/keystore.py``)."""
    return _derive(store_key, MASTER_KEY_INFO)


def grant(root: Path, store_key: bytes, login: KitLogin) -> None:
    """Let ``login`` open the kit: (re)write their wrap of the store key."""
    wraps = _read(root)
    wraps[login.username] = _wrap(store_key, login)
    _write(root, wraps)


def unlock(root: Path, login: KitLogin) -> bytes:
    """The store key, if ``login`` holds one of the kit's wraps; :class:`OperatorLoginFailed` otherwise.

    An unknown user name costs the same Argon2id work as a wrong password and gets the same answer.
    """
    wrap = _read(root).get(login.username)
    if wrap is None:
        _kek(login.password, secrets.token_bytes(16), ARGON2)
        raise OperatorLoginFailed("wrong user name or password")
    try:
        kek = _kek(login.password, _b64(wrap["salt"]), wrap)
        return AESGCM(kek).decrypt(_b64(wrap["nonce"]), _b64(wrap["wrapped"]), _aad(login.username))
    except (InvalidTag, KeyError, ValueError) as exc:
        raise OperatorLoginFailed("wrong user name or password") from exc


def has_unlock_file(root: Path) -> bool:
    return (root / UNLOCK_FILE).is_file()


def _wrap(store_key: bytes, login: KitLogin) -> dict[str, Any]:
    salt, nonce = secrets.token_bytes(16), secrets.token_bytes(12)
    wrapped = AESGCM(_kek(login.password, salt, ARGON2)).encrypt(nonce, store_key, _aad(login.username))
    return {"kdf": "argon2id", **ARGON2, "salt": _text(salt), "nonce": _text(nonce), "wrapped": _text(wrapped)}


def _kek(password: str, salt: bytes, cost: dict[str, Any]) -> bytes:
    return hash_secret_raw(
        password.encode("utf-8"),
        salt,
        time_cost=int(cost["t"]),
        memory_cost=int(cost["m"]),
        parallelism=int(cost["p"]),
        hash_len=32,
        type=Type.ID,
    )


def _aad(username: str) -> bytes:
    return f"{UNLOCK_FORMAT}|{username}".encode()


def _derive(store_key: bytes, info: bytes) -> bytes:
    return HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=info).derive(store_key)


def _read(root: Path) -> dict[str, dict[str, Any]]:
    path = root / UNLOCK_FILE
    if not path.exists():
        return {}
    try:
        document = json.loads(path.read_bytes())
    except (OSError, ValueError) as exc:
        raise KitNotInitialised(f"the kit's {UNLOCK_FILE} cannot be read: {exc.__class__.__name__}") from exc
    if not isinstance(document, dict) or document.get("format") != UNLOCK_FORMAT:
        raise KitNotInitialised(f"the kit's {UNLOCK_FILE} is not {UNLOCK_FORMAT}")
    wraps = document.get("wraps")
    return dict(wraps) if isinstance(wraps, dict) else {}


def _write(root: Path, wraps: dict[str, dict[str, Any]]) -> None:
    data = json.dumps({"format": UNLOCK_FORMAT, "wraps": wraps}, indent=1, sort_keys=True).encode()
    descriptor, temporary = tempfile.mkstemp(dir=root, prefix=".unlock.", suffix=".tmp")
    with os.fdopen(descriptor, "wb") as file:
        file.write(data)
        file.flush()
        os.fsync(file.fileno())
    os.replace(temporary, root / UNLOCK_FILE)
    fsync_dir(root)


def _text(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).decode("ascii").rstrip("=")


def _b64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
