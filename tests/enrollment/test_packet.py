"""Packet format civicid-packet/1 (enrollment/packet.py)."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from pathlib import Path
from typing import Any

import pytest
import rfc8785
from cryptography.hazmat.primitives.asymmetric.ec import EllipticCurvePrivateKey
from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey

from civicid.core.crypto import generate_sealing_key, generate_signing_key, seal, sign_jws
from civicid.core.ids import new_id
from civicid.country.documents import DocumentKind
from civicid.country.sex import Sex
from civicid.protocol.errors import (
    InvalidEnvelope,
    InvalidPacketSignature,
    InvalidSealedPart,
    PartHashMismatch,
    UnknownPart,
)
from civicid.protocol.packet import (
    ENVELOPE_JSON_SCHEMA,
    PACKET_JWS_TYPE,
    ApplicationType,
    Capture,
    Document,
    Envelope,
    PartIn,
    PartKind,
    build_packet,
    canonical_json,
    capture_hash,
    envelope_hash,
    open_envelope,
    part_aad,
    schema_document,
    unseal_part,
)

SCHEMA_FILE = Path(__file__).parents[2] / "docs" / "formats" / "packet-v1.schema.json"
CAPTURED_AT = dt.datetime(2026, 11, 28, 9, 30, tzinfo=dt.timezone(dt.timedelta(hours=7)))


def capture(**overrides: Any) -> Capture:
    fields: dict[str, Any] = {
        "application_id": new_id(),
        "application_type": ApplicationType.LEVEL2,
        "id_number": "019090000123",
        "full_name": "Nguyễn Văn An",
        "date_of_birth": dt.date(1990, 3, 14),
        "sex": Sex.MALE,
        "phone": "+84 912 345 678",
        "documents": [Document(kind=DocumentKind.HEALTH_INSURANCE, number="HS4010123456789")],
        "commune_code": "01879",
        "village_id": 3,
        "household_id": 12,
        "operator": "officer.test",
        "device_id": "kit-0a1b2c3d4e5f",
        "captured_at": CAPTURED_AT,
    }
    return Capture(**{**fields, **overrides})


BIOMETRICS = {
    "face": PartIn(PartKind.FACE_TEMPLATE, b"face-template", 0),
    "fingers": PartIn(PartKind.FINGER_TEMPLATES, b"finger-templates", 0),
    "portrait_full": PartIn(PartKind.PORTRAIT_FULL, b"\x89PNG" + bytes(100), 1),
}


@pytest.fixture
def device_key() -> EllipticCurvePrivateKey:
    return generate_signing_key()


@pytest.fixture
def server_key() -> X25519PrivateKey:
    return generate_sealing_key()


class TestRoundTrip:
    def test_build_then_open(self, device_key: EllipticCurvePrivateKey, server_key: X25519PrivateKey) -> None:
        packet = build_packet(
            capture=capture(), parts=BIOMETRICS, device_key=device_key, server_public_key=server_key.public_key()
        )
        envelope = open_envelope(packet.envelope_jws, device_public_key=device_key.public_key())
        assert envelope == packet.envelope
        assert envelope.phone == "0912345678"
        assert envelope.captured_at == CAPTURED_AT
        assert envelope.captured_at.tzinfo == dt.UTC
        for name, part in BIOMETRICS.items():
            assert unseal_part(envelope, name, packet.sealed_parts[name], server_key=server_key) == part.data

    def test_manifest_lists_sealed_bytes(
        self, device_key: EllipticCurvePrivateKey, server_key: X25519PrivateKey
    ) -> None:
        packet = build_packet(
            capture=capture(), parts=BIOMETRICS, device_key=device_key, server_public_key=server_key.public_key()
        )
        assert [ref.name for ref in packet.envelope.manifest] == ["face", "fingers", "portrait_full"]
        for ref in packet.envelope.manifest:
            sealed = packet.sealed_parts[ref.name]
            assert (ref.sha256, ref.size) == (hashlib.sha256(sealed).hexdigest(), len(sealed))

    def test_payload_is_canonical_json_and_hash_is_its_sha256(
        self, device_key: EllipticCurvePrivateKey, server_key: X25519PrivateKey
    ) -> None:
        packet = build_packet(
            capture=capture(phone=None),
            parts=BIOMETRICS,
            device_key=device_key,
            server_public_key=server_key.public_key(),
        )
        payload = canonical_json(packet.envelope)
        assert b"null" not in payload  # absent members are omitted
        assert envelope_hash(packet.envelope) == hashlib.sha256(payload).hexdigest()


class TestHashes:
    def test_envelope_hash_stable_under_key_order(
        self, device_key: EllipticCurvePrivateKey, server_key: X25519PrivateKey
    ) -> None:
        envelope = build_packet(
            capture=capture(), parts=BIOMETRICS, device_key=device_key, server_public_key=server_key.public_key()
        ).envelope
        data = envelope.model_dump(mode="json", exclude_none=True)
        reordered = json.dumps(dict(reversed(list(data.items()))), indent=3)
        assert envelope_hash(Envelope.model_validate_json(reordered)) == envelope_hash(envelope)

    def test_capture_hash_ignores_manifest(
        self, device_key: EllipticCurvePrivateKey, server_key: X25519PrivateKey
    ) -> None:
        the_capture = capture()
        envelope = build_packet(
            capture=the_capture, parts=BIOMETRICS, device_key=device_key, server_public_key=server_key.public_key()
        ).envelope
        assert capture_hash(envelope) == capture_hash(the_capture)
        assert capture_hash(envelope) != envelope_hash(envelope)
        assert part_aad(envelope, "face") == f"{capture_hash(the_capture)}:face".encode()

    def test_any_field_changes_the_hash(self) -> None:
        assert capture_hash(capture(application_id=new_id())) != capture_hash(capture(application_id=new_id()))


class TestOpenEnvelope:
    def test_tampered_payload(self, device_key: EllipticCurvePrivateKey, server_key: X25519PrivateKey) -> None:
        token = build_packet(
            capture=capture(), parts=BIOMETRICS, device_key=device_key, server_public_key=server_key.public_key()
        ).envelope_jws
        header, payload, signature = token.split(".")
        with pytest.raises(InvalidPacketSignature):
            open_envelope(f"{header}.{payload[:-2]}AA.{signature}", device_public_key=device_key.public_key())

    def test_other_device_key(self, device_key: EllipticCurvePrivateKey, server_key: X25519PrivateKey) -> None:
        token = build_packet(
            capture=capture(), parts=BIOMETRICS, device_key=device_key, server_public_key=server_key.public_key()
        ).envelope_jws
        with pytest.raises(InvalidPacketSignature):
            open_envelope(token, device_public_key=generate_signing_key().public_key())

    def test_non_canonical_payload(self, device_key: EllipticCurvePrivateKey, server_key: X25519PrivateKey) -> None:
        envelope = build_packet(
            capture=capture(), parts=BIOMETRICS, device_key=device_key, server_public_key=server_key.public_key()
        ).envelope
        spaced = json.dumps(envelope.model_dump(mode="json", exclude_none=True), indent=2).encode()
        token = sign_jws(spaced, device_key, kid=envelope.device_id, typ=PACKET_JWS_TYPE)
        with pytest.raises(InvalidEnvelope, match="canonical"):
            open_envelope(token, device_public_key=device_key.public_key())

    def test_invalid_content_names_the_field(self, device_key: EllipticCurvePrivateKey) -> None:
        token = sign_jws(rfc8785.dumps({"format": "civicid-packet/2"}), device_key, kid="kit-1", typ=PACKET_JWS_TYPE)
        with pytest.raises(InvalidEnvelope, match="format") as caught:
            open_envelope(token, device_public_key=device_key.public_key())
        assert any(problem["field"] == "application_id" for problem in caught.value.extensions["errors"])

    def test_device_id_must_be_kid(self, device_key: EllipticCurvePrivateKey, server_key: X25519PrivateKey) -> None:
        envelope = build_packet(
            capture=capture(), parts=BIOMETRICS, device_key=device_key, server_public_key=server_key.public_key()
        ).envelope
        token = sign_jws(canonical_json(envelope), device_key, kid="kit-someone-else", typ=PACKET_JWS_TYPE)
        with pytest.raises(InvalidEnvelope, match="kid"):
            open_envelope(token, device_public_key=device_key.public_key())


class TestParts:
    @pytest.fixture
    def packet_and_key(self, device_key: EllipticCurvePrivateKey, server_key: X25519PrivateKey) -> Any:
        return build_packet(
            capture=capture(), parts=BIOMETRICS, device_key=device_key, server_public_key=server_key.public_key()
        )

    def test_manifest_hash_checked(self, packet_and_key: Any, server_key: X25519PrivateKey) -> None:
        sealed = bytearray(packet_and_key.sealed_parts["face"])
        sealed[-1] ^= 1
        with pytest.raises(PartHashMismatch):
            unseal_part(packet_and_key.envelope, "face", bytes(sealed), server_key=server_key)

    def test_size_checked(self, packet_and_key: Any, server_key: X25519PrivateKey) -> None:
        with pytest.raises(PartHashMismatch):
            unseal_part(
                packet_and_key.envelope, "face", packet_and_key.sealed_parts["face"][:-1], server_key=server_key
            )

    def test_part_swapped_between_names(self, packet_and_key: Any, server_key: X25519PrivateKey) -> None:
        with pytest.raises(PartHashMismatch):
            unseal_part(packet_and_key.envelope, "face", packet_and_key.sealed_parts["fingers"], server_key=server_key)

    def test_unknown_part(self, packet_and_key: Any, server_key: X25519PrivateKey) -> None:
        with pytest.raises(UnknownPart):
            unseal_part(packet_and_key.envelope, "nope", b"x" * 80, server_key=server_key)

    def test_wrong_server_key(self, packet_and_key: Any) -> None:
        with pytest.raises(InvalidSealedPart):
            unseal_part(
                packet_and_key.envelope, "face", packet_and_key.sealed_parts["face"], server_key=generate_sealing_key()
            )

    def test_part_sealed_for_another_capture_does_not_open(
        self, packet_and_key: Any, server_key: X25519PrivateKey, device_key: EllipticCurvePrivateKey
    ) -> None:
        """A device that lists another packet's sealed part in its manifest still cannot get it opened."""
        foreign = seal(b"other person", recipient=server_key.public_key(), aad=part_aad(capture(), "face"))
        envelope = packet_and_key.envelope
        manifest = [
            ref.model_copy(update={"sha256": hashlib.sha256(foreign).hexdigest(), "size": len(foreign)})
            if ref.name == "face"
            else ref
            for ref in envelope.manifest
        ]
        forged = envelope.model_copy(update={"manifest": tuple(manifest)})
        with pytest.raises(InvalidSealedPart):
            unseal_part(forged, "face", foreign, server_key=server_key)


class TestRules:
    def test_child_card_with_biometrics_rejected(
        self, device_key: EllipticCurvePrivateKey, server_key: X25519PrivateKey
    ) -> None:
        child = capture(
            application_type=ApplicationType.CHILD_CARD,
            date_of_birth=dt.date(2023, 1, 5),
            guardian_id_number="019080000001",
        )
        with pytest.raises(InvalidEnvelope, match="biometric"):
            build_packet(
                capture=child, parts=BIOMETRICS, device_key=device_key, server_public_key=server_key.public_key()
            )

    def test_child_card_without_biometrics(
        self, device_key: EllipticCurvePrivateKey, server_key: X25519PrivateKey
    ) -> None:
        child = capture(
            application_type=ApplicationType.CHILD_CARD,
            date_of_birth=dt.date(2023, 1, 5),
            guardian_id_number="019080000001",
        )
        scan = {"birth_certificate": PartIn(PartKind.DOCUMENT_SCAN, b"scan", 1)}
        packet = build_packet(
            capture=child, parts=scan, device_key=device_key, server_public_key=server_key.public_key()
        )
        assert open_envelope(packet.envelope_jws, device_public_key=device_key.public_key()).guardian_id_number

    def test_child_card_may_carry_the_cards_photo_and_nothing_else_biometric(
        self, device_key: EllipticCurvePrivateKey, server_key: X25519PrivateKey
    ) -> None:
        child = capture(
            application_type=ApplicationType.CHILD_CARD,
            date_of_birth=dt.date(2023, 1, 5),
            guardian_id_number="019080000001",
        )
        photo = {"portrait": PartIn(PartKind.PORTRAIT, b"<svg/>", 0)}
        packet = build_packet(
            capture=child, parts=photo, device_key=device_key, server_public_key=server_key.public_key()
        )
        assert [ref.kind for ref in packet.envelope.manifest] == [PartKind.PORTRAIT]
        full = {"full": PartIn(PartKind.PORTRAIT_FULL, b"<svg/>", 1)}
        with pytest.raises(InvalidEnvelope, match="biometric"):
            build_packet(capture=child, parts=full, device_key=device_key, server_public_key=server_key.public_key())

    @pytest.mark.parametrize("missing", ["face", "fingers"])
    def test_level2_needs_templates(
        self, device_key: EllipticCurvePrivateKey, server_key: X25519PrivateKey, missing: str
    ) -> None:
        parts = {name: part for name, part in BIOMETRICS.items() if name != missing}
        with pytest.raises(InvalidEnvelope, match="needs parts"):
            build_packet(
                capture=capture(), parts=parts, device_key=device_key, server_public_key=server_key.public_key()
            )

    def test_bad_part_name(self, device_key: EllipticCurvePrivateKey, server_key: X25519PrivateKey) -> None:
        parts = {**BIOMETRICS, "Bad Name": PartIn(PartKind.DOCUMENT_SCAN, b"x", 1)}
        with pytest.raises(InvalidEnvelope, match="name"):
            build_packet(
                capture=capture(), parts=parts, device_key=device_key, server_public_key=server_key.public_key()
            )

    @pytest.mark.parametrize("kind", [ApplicationType.LEVEL2_CHILD, ApplicationType.CHILD_CARD])
    def test_guardian_required(self, kind: ApplicationType) -> None:
        with pytest.raises(ValueError, match="guardian"):
            capture(application_type=kind)

    def test_no_guardian_for_level2(self) -> None:
        with pytest.raises(ValueError, match="no guardian"):
            capture(guardian_id_number="019080000001")

    def test_naive_capture_time_rejected(self) -> None:
        with pytest.raises(ValueError, match="timezone"):
            capture(captured_at=dt.datetime(2026, 11, 28, 9, 30))

    def test_application_id_is_uuid7(self) -> None:
        with pytest.raises(ValueError, match="application_id"):
            capture(application_id="3f0e1d9c-0d3c-4e8f-9a3c-0b2f5e6d7c8a")  # version 4

    def test_bad_phone(self) -> None:
        with pytest.raises(ValueError, match="phone"):
            capture(phone="12345")

    def test_unknown_member_rejected(self) -> None:
        with pytest.raises(ValueError, match="outcome"):
            capture(outcome="absent")


class TestSchemaDocument:
    def test_documented_schema_is_the_models(self) -> None:
        assert json.loads(SCHEMA_FILE.read_text(encoding="utf-8")) == ENVELOPE_JSON_SCHEMA
        assert SCHEMA_FILE.read_text(encoding="utf-8") == schema_document()


class TestFormatDocument:
    """The worked example in docs/formats/packet-v1.md is real: its hashes are what the code computes."""

    def test_example_hashes(self) -> None:
        text = (SCHEMA_FILE.parent / "packet-v1.md").read_text(encoding="utf-8")
        payload = text.split("```json\n", 1)[1].split("\n```", 1)[0].encode("utf-8")
        envelope = Envelope.model_validate_json(payload)
        assert canonical_json(envelope) == payload
        assert f"capture hash   {capture_hash(envelope)}" in text
        assert f"envelope hash  {envelope_hash(envelope)}" in text
        assert f"{capture_hash(envelope)}:face" in text
