"""Field devices (enrollment/devices.py): registration, revocation, and who signed an envelope."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from cryptography.hazmat.primitives.asymmetric.ec import EllipticCurvePrivateKey
from sqlalchemy import select
from tests.factories import COMMUNE, OFFICER, served_commune

from civicid.core.audit import AuditEntry
from civicid.core.crypto import generate_sealing_key, generate_signing_key, public_jwk, sign_jws
from civicid.core.database import unit_of_work
from civicid.core.ids import new_id
from civicid.core.runtime import Context
from civicid.country.sex import Sex
from civicid.devices import service as devices
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
from civicid.protocol.errors import InvalidEnvelope, InvalidPacketSignature
from civicid.protocol.packet import (
    PACKET_JWS_TYPE,
    ApplicationType,
    Capture,
    Packet,
    PartIn,
    PartKind,
    build_packet,
    canonical_json,
)

OTHER_COMMUNE = "05716"


@pytest.fixture
def communes(context: Context) -> None:
    served_commune(context, COMMUNE)
    served_commune(context, OTHER_COMMUNE)


@pytest.fixture
def device_key() -> EllipticCurvePrivateKey:
    return generate_signing_key()


@pytest.fixture
def device(context: Context, communes: None, device_key: EllipticCurvePrivateKey) -> devices.DeviceRead:
    with unit_of_work(context.database.sessions) as session:
        return devices.register_device(
            session=session, clock=context.clock, actor=OFFICER, commune_code=COMMUNE, public_jwk=public_jwk(device_key)
        )


def envelope_jws(device_id: str, key: EllipticCurvePrivateKey) -> str:
    return build(device_id=device_id, key=key).envelope_jws


def build(*, device_id: str, key: EllipticCurvePrivateKey) -> Packet:
    capture = Capture(
        application_id=new_id(),
        application_type=ApplicationType.LEVEL2,
        id_number="019090000123",
        full_name="Nguyễn Văn An",
        date_of_birth=dt.date(1990, 3, 14),
        sex=Sex.MALE,
        commune_code=COMMUNE,
        village_id=1,
        operator="officer.test",
        device_id=device_id,
        captured_at=dt.datetime(2026, 11, 28, 2, 0, tzinfo=dt.UTC),
    )
    parts = {
        "face": PartIn(PartKind.FACE_TEMPLATE, b"face", 0),
        "fingers": PartIn(PartKind.FINGER_TEMPLATES, b"fingers", 0),
    }
    server = generate_sealing_key().public_key()
    return build_packet(capture=capture, parts=parts, device_key=key, server_public_key=server)


class TestRegisterDevice:
    def test_registered_and_audited(self, context: Context, device: devices.DeviceRead) -> None:
        assert device.id.startswith("kit-")
        assert device.registered_by == str(OFFICER)
        assert set(device.public_jwk) == {"kty", "crv", "x", "y"}
        assert not device.revoked
        with unit_of_work(context.database.sessions) as session:
            entry = session.scalars(select(AuditEntry).where(AuditEntry.subject_id == device.id)).one()
            assert entry.action == "device.registered"
            assert devices.get_device(session=session, device_id=device.id) == device

    def test_chosen_id(self, context: Context, communes: None) -> None:
        with unit_of_work(context.database.sessions) as session:
            jwk = public_jwk(generate_signing_key())
            found = devices.register_device(
                session=session,
                clock=context.clock,
                actor=OFFICER,
                commune_code=COMMUNE,
                public_jwk=jwk,
                device_id="kit-7",
            )
        assert found.id == "kit-7"

    def test_extra_jwk_members_dropped(self, context: Context, communes: None) -> None:
        jwk: dict[str, Any] = {**public_jwk(generate_signing_key()), "use": "sig", "alg": "ES256"}
        with unit_of_work(context.database.sessions) as session:
            found = devices.register_device(
                session=session, clock=context.clock, actor=OFFICER, commune_code=COMMUNE, public_jwk=jwk
            )
        assert set(found.public_jwk) == {"kty", "crv", "x", "y"}

    def test_private_jwk_refused(self, context: Context, communes: None) -> None:
        jwk = {**public_jwk(generate_signing_key()), "d": "c2VjcmV0"}
        with unit_of_work(context.database.sessions) as session, pytest.raises(InvalidDeviceKey):
            devices.register_device(
                session=session, clock=context.clock, actor=OFFICER, commune_code=COMMUNE, public_jwk=jwk
            )

    def test_commune_not_served(self, context: Context, communes: None) -> None:
        jwk = public_jwk(generate_signing_key())
        with unit_of_work(context.database.sessions) as session, pytest.raises(CommuneNotServed):
            devices.register_device(
                session=session, clock=context.clock, actor=OFFICER, commune_code="99999", public_jwk=jwk
            )

    @pytest.mark.parametrize("device_id", ["KIT-1", "k", "kit_1", "-kit"])
    def test_bad_device_id(self, context: Context, communes: None, device_id: str) -> None:
        jwk = public_jwk(generate_signing_key())
        with unit_of_work(context.database.sessions) as session, pytest.raises(InvalidDeviceId):
            devices.register_device(
                session=session,
                clock=context.clock,
                actor=OFFICER,
                commune_code=COMMUNE,
                public_jwk=jwk,
                device_id=device_id,
            )

    def test_same_id_twice(self, context: Context, device: devices.DeviceRead) -> None:
        with unit_of_work(context.database.sessions) as session, pytest.raises(DuplicateDevice):
            devices.register_device(
                session=session,
                clock=context.clock,
                actor=OFFICER,
                commune_code=COMMUNE,
                public_jwk=public_jwk(generate_signing_key()),
                device_id=device.id,
            )

    def test_same_key_twice(self, context: Context, device: devices.DeviceRead) -> None:
        with unit_of_work(context.database.sessions) as session, pytest.raises(DuplicateDevice):
            devices.register_device(
                session=session, clock=context.clock, actor=OFFICER, commune_code=COMMUNE, public_jwk=device.public_jwk
            )

    def test_list_by_commune(self, context: Context, device: devices.DeviceRead) -> None:
        with unit_of_work(context.database.sessions) as session:
            other = devices.register_device(
                session=session,
                clock=context.clock,
                actor=OFFICER,
                commune_code=OTHER_COMMUNE,
                public_jwk=public_jwk(generate_signing_key()),
            )
            assert devices.list_devices(session=session, commune_code=COMMUNE) == [device]
            assert {d.id for d in devices.list_devices(session=session)} == {device.id, other.id}


class TestRevokeDevice:
    def test_revoked_and_audited(self, context: Context, device: devices.DeviceRead) -> None:
        with unit_of_work(context.database.sessions) as session:
            revoked = devices.revoke_device(
                session=session, clock=context.clock, actor=OFFICER, device_id=device.id, reason="kit lost"
            )
            actions = session.scalars(select(AuditEntry.action).where(AuditEntry.subject_id == device.id)).all()
        assert revoked.revoked_at == context.clock.now()
        assert revoked.revoked_reason == "kit lost"
        assert list(actions) == ["device.registered", "device.revoked"]

    def test_twice(self, context: Context, device: devices.DeviceRead) -> None:
        with unit_of_work(context.database.sessions) as session:
            devices.revoke_device(
                session=session, clock=context.clock, actor=OFFICER, device_id=device.id, reason="lost"
            )
        with unit_of_work(context.database.sessions) as session, pytest.raises(DeviceAlreadyRevoked):
            devices.revoke_device(
                session=session, clock=context.clock, actor=OFFICER, device_id=device.id, reason="lost"
            )

    def test_unknown(self, context: Context) -> None:
        with unit_of_work(context.database.sessions) as session, pytest.raises(DeviceNotFound):
            devices.revoke_device(session=session, clock=context.clock, actor=OFFICER, device_id="kit-none", reason="x")


class TestVerifyEnvelopeFromDevice:
    def test_accepted(self, context: Context, device: devices.DeviceRead, device_key: EllipticCurvePrivateKey) -> None:
        token = envelope_jws(device.id, device_key)
        with unit_of_work(context.database.sessions) as session:
            envelope, signer = devices.verify_envelope_from_device(session=session, envelope_jws=token)
        assert signer == device
        assert envelope.device_id == device.id

    def test_unknown_device(self, context: Context, device: devices.DeviceRead) -> None:
        key = generate_signing_key()
        with unit_of_work(context.database.sessions) as session, pytest.raises(UnknownDevice) as caught:
            devices.verify_envelope_from_device(session=session, envelope_jws=envelope_jws("kit-stranger", key))
        assert (caught.value.code, caught.value.status) == ("unknown_device", 403)

    def test_revoked_device(
        self, context: Context, device: devices.DeviceRead, device_key: EllipticCurvePrivateKey
    ) -> None:
        token = envelope_jws(device.id, device_key)
        with unit_of_work(context.database.sessions) as session:
            devices.revoke_device(
                session=session, clock=context.clock, actor=OFFICER, device_id=device.id, reason="stolen"
            )
        with unit_of_work(context.database.sessions) as session, pytest.raises(RevokedDevice) as caught:
            devices.verify_envelope_from_device(session=session, envelope_jws=token)
        assert (caught.value.code, caught.value.status) == ("revoked_device", 403)

    def test_bad_signature(self, context: Context, device: devices.DeviceRead) -> None:
        """Signed by another key under this device's id: an impostor."""
        token = envelope_jws(device.id, generate_signing_key())
        with unit_of_work(context.database.sessions) as session, pytest.raises(InvalidPacketSignature) as caught:
            devices.verify_envelope_from_device(session=session, envelope_jws=token)
        assert (caught.value.code, caught.value.status) == ("invalid_packet_signature", 422)

    @pytest.mark.parametrize("token", ["", "garbage", "a.b.c"])
    def test_not_a_jws(self, context: Context, token: str) -> None:
        with unit_of_work(context.database.sessions) as session, pytest.raises(InvalidPacketSignature):
            devices.verify_envelope_from_device(session=session, envelope_jws=token)

    def test_kid_mismatch(
        self, context: Context, device: devices.DeviceRead, device_key: EllipticCurvePrivateKey
    ) -> None:
        """A registered device signing an envelope that claims to come from another device."""
        claiming_another = build(device_id="kit-another-one", key=device_key).envelope
        token = sign_jws(canonical_json(claiming_another), device_key, kid=device.id, typ=PACKET_JWS_TYPE)
        with unit_of_work(context.database.sessions) as session, pytest.raises(InvalidEnvelope, match="kid"):
            devices.verify_envelope_from_device(session=session, envelope_jws=token)
