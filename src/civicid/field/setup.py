"""Setting a kit up: online with an administrator's login, or offline from an enrollment file.

Online (``civicid field init --server URL --commune CODE``): the kit makes its ES256 key, an
administrator logs in from the kit, the kit registers its public key (``POST
/api/v1/enrollment/devices``) and reads the server's sealing key (``GET /api/v1/field/setup``). The
private key never leaves the kit.

Offline (``civicid field enrollment-file`` at the commune office, then ``civicid field init
--enrollment-file FILE`` on the kit): with no link at all, the server makes the device key,
registers its public half and writes the key, the device id and the sealing key to a file
(``civicid-kit-enrollment/1``) encrypted with AES-256-GCM under a key derived from a one-time
passphrase by Argon2id (RFC 9106). The passphrase is shown once and typed on the kit; the file on
its own (a lost USB stick) opens nothing.
"""

from __future__ import annotations

import base64
import datetime as dt
import json
import secrets
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
from argon2.low_level import Type, hash_secret_raw
from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ec import EllipticCurvePrivateKey
from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PublicKey
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from sqlalchemy.orm import Session

from civicid.core.audit import Actor
from civicid.core.clock import Clock
from civicid.core.crypto.signing import generate_signing_key, public_jwk
from civicid.enrollment import devices
from civicid.field.errors import InvalidEnrollmentFile, ServerUnreachable
from civicid.field.kit import Kit
from civicid.field.models import KIT_SCHEMA_VERSION, KitIdentity

ENROLLMENT_FORMAT = "civicid-kit-enrollment/1"
_TIME_COST, _MEMORY_KIB, _LANES = 3, 65536, 4  # RFC 9106 §4, the second recommended profile
_KDF = {"alg": "argon2id", "time_cost": _TIME_COST, "memory_cost": _MEMORY_KIB, "parallelism": _LANES}


@dataclass(frozen=True)
class Enrollment:
    """What a kit needs to know of itself and of its server."""

    device_id: str
    commune_code: str
    server_url: str
    sealing_key: str


def sealing_key_text(key: X25519PublicKey) -> str:
    raw = key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


# The kit's side ------------------------------------------------------------------------------------


def enroll_online(
    *, root: Path, clock: Clock, client: httpx.Client, commune_code: str, username: str, password: str
) -> Enrollment:
    """Register a new kit with the server at ``client.base_url`` and record its identity."""
    kit = Kit.create(root)
    try:
        key = kit.device_key()
        token = _call(client, "POST", "/api/v1/auth/login", json={"username": username, "password": password})["token"]
        staff = {"Authorization": f"Bearer {token}"}
        sealing = _call(client, "GET", "/api/v1/field/setup", headers=staff)["sealing_key"]
        device = _call(
            client,
            "POST",
            "/api/v1/enrollment/devices",
            headers=staff,
            json={"commune_code": commune_code, "public_jwk": public_jwk(key)},
        )
        enrollment = Enrollment(device["id"], commune_code, str(client.base_url).rstrip("/"), sealing)
        record_identity(kit, clock, enrollment)
        return enrollment
    finally:
        kit.close()


def enroll_from_file(*, root: Path, clock: Clock, data: bytes, passphrase: str) -> Enrollment:
    """Set a kit up from an enrollment file and its passphrase, with no link to the server."""
    document = open_enrollment_file(data, passphrase)
    key = serialization.load_pem_private_key(document["device_key"].encode(), password=None)
    if not isinstance(key, EllipticCurvePrivateKey):
        raise InvalidEnrollmentFile("the enrollment file holds no P-256 device key")
    kit = Kit.create(root)
    try:
        kit.keystore.device_signing_key(install=key)
        enrollment = Enrollment(
            document["device_id"], document["commune_code"], document["server_url"], document["sealing_key"]
        )
        record_identity(kit, clock, enrollment)
        return enrollment
    finally:
        kit.close()


def record_identity(kit: Kit, clock: Clock, enrollment: Enrollment) -> None:
    with kit.transaction() as session:
        session.add(
            KitIdentity(
                id=1,
                schema_version=KIT_SCHEMA_VERSION,
                device_id=enrollment.device_id,
                commune_code=enrollment.commune_code,
                server_url=enrollment.server_url,
                server_sealing_key=enrollment.sealing_key,
                created_at=clock.now(),
                cursor={},
                guardrails={},
            )
        )


def _call(client: httpx.Client, method: str, path: str, **kwargs: Any) -> Any:
    try:
        response = client.request(method, path, **kwargs)
    except httpx.HTTPError as exc:
        raise ServerUnreachable(f"cannot reach {client.base_url}: {exc.__class__.__name__}") from exc
    if response.status_code >= 400:
        try:
            detail = response.json().get("detail", response.text)
        except ValueError:
            detail = response.text[:200]
        raise ServerUnreachable(f"the server refused {method} {path}: {response.status_code} {detail}")
    return response.json()


# The server's side: the offline enrollment file ---------------------------------------------------


def make_enrollment_file(
    *,
    session: Session,
    clock: Clock,
    actor: Actor,
    commune_code: str,
    server_url: str,
    sealing_key: X25519PublicKey,
) -> tuple[bytes, str, str]:
    """Register a new device and return (the encrypted enrollment file, its passphrase, the device id)."""
    key = generate_signing_key()
    device = devices.register_device(
        session=session, clock=clock, actor=actor, commune_code=commune_code, public_jwk=public_jwk(key)
    )
    document = {
        "format": ENROLLMENT_FORMAT,
        "device_id": device.id,
        "commune_code": commune_code,
        "server_url": server_url,
        "sealing_key": sealing_key_text(sealing_key),
        "device_key": key.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        ).decode(),
        "issued_at": clock.now().astimezone(dt.UTC).isoformat(),
    }
    passphrase = "-".join(secrets.token_hex(2) for _ in range(5))  # 80 bits, typed on the kit
    return _encrypt(json.dumps(document).encode(), passphrase), passphrase, device.id


def open_enrollment_file(data: bytes, passphrase: str) -> dict[str, Any]:
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


def _encrypt(plain: bytes, passphrase: str) -> bytes:
    salt, nonce = secrets.token_bytes(16), secrets.token_bytes(12)
    sealed = AESGCM(_derive(passphrase, salt)).encrypt(nonce, plain, ENROLLMENT_FORMAT.encode())
    wrapper = {
        "format": ENROLLMENT_FORMAT,
        "kdf": _KDF,
        **{k: base64.b64encode(v).decode() for k, v in (("salt", salt), ("nonce", nonce), ("ciphertext", sealed))},
    }
    return json.dumps(wrapper, indent=1).encode()


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
