"""Setting a kit up: online with an administrator's login, or offline from an enrollment file.

Online (``civicid field init --server URL --commune CODE``): the kit makes its ES256 key, an
administrator logs in from the kit, the kit registers its public key (``POST
/api/v1/enrollment/devices``) and reads the server's sealing key (``GET /api/v1/field/setup``). The
private key never leaves the kit.

Offline (``civicid field enrollment-file`` at the commune office, then ``civicid field init
--enrollment-file FILE`` on the kit): with no link at all, the kit takes its key and identity from
a ``civicid-kit-enrollment/1`` file and its one-time passphrase (``protocol/enrollment_file.py``).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ec import EllipticCurvePrivateKey

from civicid.core.clock import Clock
from civicid.core.crypto.signing import public_jwk
from civicid.field.errors import ServerUnreachable
from civicid.field.kit import Kit
from civicid.field.models import KIT_SCHEMA_VERSION, KitIdentity, OperatorRole
from civicid.field.operators import add_operator, check_password
from civicid.field.unlock import KitLogin
from civicid.protocol.enrollment_file import open_enrollment_file
from civicid.protocol.errors import InvalidEnrollmentFile


@dataclass(frozen=True)
class Enrollment:
    """What a kit needs to know of itself and of its server."""

    device_id: str
    commune_code: str
    server_url: str
    sealing_key: str


@dataclass(frozen=True)
class FirstSupervisor:
    """Who the kit is set up for: the supervisor whose password unlocks it first (decision 0068)."""

    login: KitLogin
    full_name: str


# The kit's side ------------------------------------------------------------------------------------


def enroll_online(
    *,
    root: Path,
    clock: Clock,
    client: httpx.Client,
    commune_code: str,
    username: str,
    password: str,
    supervisor: FirstSupervisor,
) -> Enrollment:
    """Register a new kit with the server at ``client.base_url`` and record its identity."""
    check_password(supervisor.login.password)
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
        record_identity(kit, clock, enrollment, supervisor)
        return enrollment
    finally:
        kit.close()


def enroll_from_file(
    *, root: Path, clock: Clock, data: bytes, passphrase: str, supervisor: FirstSupervisor
) -> Enrollment:
    """Set a kit up from an enrollment file and its passphrase, with no link to the server."""
    check_password(supervisor.login.password)
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
        record_identity(kit, clock, enrollment, supervisor)
        return enrollment
    finally:
        kit.close()


def record_identity(kit: Kit, clock: Clock, enrollment: Enrollment, supervisor: FirstSupervisor) -> None:
    """The kit's identity and its first supervisor, in one transaction: until it commits, no one can open it."""
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
        add_operator(
            kit=kit,
            session=session,
            username=supervisor.login.username,
            full_name=supervisor.full_name,
            role=OperatorRole.SUPERVISOR,
            password=supervisor.login.password,
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
