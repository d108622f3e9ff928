"""The server's side of the offline kit enrollment file (format in ``protocol/enrollment_file.py``).

At the commune office (``civicid field enrollment-file``), with no link to the kit: the server makes
the device key, registers its public half and hands the key over in a file only the one-time
passphrase opens. The private key exists on the server only for the time it takes to seal it.
"""

from __future__ import annotations

import datetime as dt

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PublicKey
from sqlalchemy.orm import Session

from civicid.core.audit import Actor
from civicid.core.clock import Clock
from civicid.core.crypto.signing import generate_signing_key, public_jwk
from civicid.devices import service as devices
from civicid.protocol.enrollment_file import ENROLLMENT_FORMAT, new_passphrase, seal_enrollment_file, sealing_key_text


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
    passphrase = new_passphrase()
    return seal_enrollment_file(document, passphrase), passphrase, device.id
