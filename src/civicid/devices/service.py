"""Field devices: registering kits' public keys, revoking them, and checking who signed an envelope.

Each kit generates its ES256 key pair itself and only its public JWK (RFC 7517) leaves it; an
administrator registers that JWK under a device id. Envelopes name the device in the JWS ``kid``
(RFC 7515 §4.1.4), which is how the server finds the key to verify with. A revoked device's packets
are all refused, whatever capture time they claim: a stolen kit could backdate them. Captures a lost
kit had not synced are taken again.
"""

from __future__ import annotations

import datetime as dt
import functools
import re
import uuid
from collections.abc import Collection
from typing import Any

from cryptography.hazmat.primitives.asymmetric.ec import EllipticCurvePublicKey
from pydantic import BaseModel, ConfigDict
from sqlalchemy import bindparam, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from civicid.core import audit
from civicid.core.audit import Actor
from civicid.core.clock import Clock
from civicid.core.crypto import InvalidKey, InvalidSignature, jwk_thumbprint, jws_kid, load_public_jwk, public_jwk
from civicid.devices.errors import (
    CommuneNotServed,
    DeviceAlreadyRevoked,
    DeviceNotFound,
    DuplicateDevice,
    InvalidDeviceId,
    InvalidDeviceKey,
    RevokedDevice,
    UnknownDevice,
)
from civicid.devices.models import FieldDevice
from civicid.protocol.errors import InvalidPacketSignature
from civicid.protocol.packet import DEVICE_ID_PATTERN, Envelope, open_envelope
from civicid.registry import service as registry

_DEVICE_ID = re.compile(DEVICE_ID_PATTERN)
SUBJECT_TYPE = "field_device"


class DeviceRead(BaseModel):
    model_config = ConfigDict(from_attributes=True, frozen=True)

    id: str
    commune_code: str
    public_jwk: dict[str, str]
    key_thumbprint: str
    registered_at: dt.datetime
    registered_by: str
    revoked_at: dt.datetime | None
    revoked_reason: str | None

    @property
    def revoked(self) -> bool:
        return self.revoked_at is not None

    def public_key(self) -> EllipticCurvePublicKey:
        return _public_key(tuple(sorted(self.public_jwk.items())))


@functools.lru_cache(maxsize=4096)
def _public_key(members: tuple[tuple[str, str], ...]) -> EllipticCurvePublicKey:
    """A registered JWK's key, parsed (and its point checked) once per process, not once per packet.

    Keyed by the JWK's members themselves, so a key is never taken for another device's.
    """
    return load_public_jwk(dict(members))


# Every intake request reads its device: one statement built once, columns only (no ORM object).
_DEVICE = select(*FieldDevice.__table__.columns).where(FieldDevice.id == bindparam("id"))


def new_device_id() -> str:
    """``kit-`` and 12 random hex digits (48 bits): short enough to read out over the phone."""
    return f"kit-{uuid.uuid4().hex[:12]}"


def register_device(
    *,
    session: Session,
    clock: Clock,
    actor: Actor,
    commune_code: str,
    public_jwk: dict[str, Any],
    device_id: str | None = None,
) -> DeviceRead:
    """Register a kit's P-256 public JWK (RFC 7518 §6.2.1) for a commune; audited.

    Raises :class:`InvalidDeviceId`, :class:`CommuneNotServed`, :class:`InvalidDeviceKey` for anything
    but a P-256 public JWK (a private JWK included), :class:`DuplicateDevice` when the id or the key is
    already registered.
    """
    device_id = new_device_id() if device_id is None else device_id
    if not _DEVICE_ID.match(device_id):
        raise InvalidDeviceId("a device id is 3 to 64 lower-case letters, digits or hyphens", device_id=device_id)
    if commune_code not in {commune.code for commune in registry.list_communes(session=session)}:
        raise CommuneNotServed(f"the registry does not serve commune {commune_code}", commune_code=commune_code)
    try:
        key = load_public_jwk(public_jwk)
    except InvalidKey as exc:
        raise InvalidDeviceKey(f"the device key is not usable: {exc}") from exc
    thumbprint = jwk_thumbprint(key)
    if session.get(FieldDevice, device_id) is not None:
        raise DuplicateDevice(f"device {device_id} is already registered", device_id=device_id)
    if session.scalar(select(FieldDevice.id).where(FieldDevice.key_thumbprint == thumbprint)) is not None:
        raise DuplicateDevice("this public key is already registered to another device")
    device = FieldDevice(
        id=device_id,
        commune_code=commune_code,
        # Only the members that define the key are kept (RFC 7518 §6.2.1), whatever else was sent.
        public_jwk=_public_members(key),
        key_thumbprint=thumbprint,
        registered_at=clock.now(),
        registered_by=str(actor),
    )
    try:
        # The unique constraints decide a race between two registrations; the savepoint keeps the
        # caller's transaction usable on PostgreSQL.
        with session.begin_nested():
            session.add(device)
    except IntegrityError as exc:
        raise DuplicateDevice(f"device {device_id} or its key is already registered", device_id=device_id) from exc
    audit.record(
        session=session,
        clock=clock,
        actor=actor,
        action="device.registered",
        subject_type=SUBJECT_TYPE,
        subject_id=device_id,
        details={"commune_code": commune_code, "key_thumbprint": thumbprint},
    )
    return DeviceRead.model_validate(device)


def revoke_device(*, session: Session, clock: Clock, actor: Actor, device_id: str, reason: str) -> DeviceRead:
    """Refuse every packet the device signed from now on; audited. Raises :class:`DeviceAlreadyRevoked`."""
    device = _device(session, device_id)
    if device.revoked_at is not None:
        raise DeviceAlreadyRevoked(f"device {device_id} was revoked on {device.revoked_at.isoformat()}")
    device.revoked_at = clock.now()
    device.revoked_reason = reason.strip()[:200] or "no reason given"
    audit.record(
        session=session,
        clock=clock,
        actor=actor,
        action="device.revoked",
        subject_type=SUBJECT_TYPE,
        subject_id=device_id,
        details={"reason": device.revoked_reason},
    )
    return DeviceRead.model_validate(device)


def get_device(*, session: Session, device_id: str) -> DeviceRead:
    return DeviceRead.model_validate(_device(session, device_id))


def list_devices(*, session: Session, commune_code: str | None = None) -> list[DeviceRead]:
    query = select(FieldDevice).order_by(FieldDevice.id)
    if commune_code is not None:
        query = query.where(FieldDevice.commune_code == commune_code)
    return [DeviceRead.model_validate(device) for device in session.scalars(query)]


def verify_envelope_from_device(*, session: Session, envelope_jws: str) -> tuple[Envelope, DeviceRead]:
    """The envelope and the registered, unrevoked device whose key signed it.

    Raises :class:`InvalidPacketSignature` (not a JWS with a ``kid``, or a signature that does not
    verify), :class:`UnknownDevice`, :class:`RevokedDevice`, or :class:`InvalidEnvelope` (including an
    envelope whose ``device_id`` is not the ``kid``).
    """
    try:
        kid = jws_kid(envelope_jws)
    except InvalidSignature as exc:
        raise InvalidPacketSignature("the envelope is not a compact JWS naming its device in kid") from exc
    found = active_device(session=session, device_id=kid)
    envelope = open_envelope(envelope_jws, device_public_key=found.public_key())
    return envelope, found


def refused_devices(*, session: Session, device_ids: Collection[str]) -> dict[str, UnknownDevice | RevokedDevice]:
    """Of these devices, those whose packets are refused now (unknown or revoked), with the reason; one query."""
    query = select(FieldDevice.id, FieldDevice.revoked_at).where(FieldDevice.id.in_(set(device_ids)))
    revoked = {device_id: revoked_at is not None for device_id, revoked_at in session.execute(query)}
    refused: dict[str, UnknownDevice | RevokedDevice] = {}
    for device_id in device_ids:
        if device_id not in revoked:
            refused[device_id] = UnknownDevice("signed by a device that is not registered", device_id=device_id)
        elif revoked[device_id]:
            refused[device_id] = RevokedDevice(
                f"device {device_id} is revoked; what it signs is refused", device_id=device_id
            )
    return refused


def active_device(*, session: Session, device_id: str) -> DeviceRead:
    """A registered, unrevoked device; raises :class:`UnknownDevice` or :class:`RevokedDevice`."""
    row = None
    if _DEVICE_ID.match(device_id):
        session.flush()  # a revocation made earlier in this transaction counts (the read below is Core)
        row = session.connection().execute(_DEVICE, {"id": device_id}).first()
    if row is None:
        raise UnknownDevice("signed by a device that is not registered", device_id=device_id[:64])
    found = DeviceRead.model_validate(row._mapping)
    if found.revoked:
        raise RevokedDevice(f"device {device_id} is revoked; what it signs is refused", device_id=device_id)
    return found


def _device(session: Session, device_id: str) -> FieldDevice:
    device = session.get(FieldDevice, device_id)
    if device is None:
        raise DeviceNotFound(f"no device {device_id}", device_id=device_id)
    return device


def _public_members(key: EllipticCurvePublicKey) -> dict[str, Any]:
    return dict(public_jwk(key))
