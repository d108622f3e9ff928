"""Packet format ``civicid-packet/1``: a signed envelope in clear and sealed parts (DESIGN.md decision 3).

A field capture travels as

- the **envelope**: who was enrolled, where, by whom, on which device, and a manifest of the parts,
  as RFC 8785 canonical JSON, signed by the device key as a compact JWS (RFC 7515 §7.1, ES256,
  ``typ`` ``civicid-packet+jws``, ``kid`` = the device id);
- the **sealed parts**: biometric templates and images, document scans, each sealed to the central
  server's X25519 key (``core/crypto/sealing.py``). The kit cannot read back what it sealed.

Hashes (docs/decisions/0004-packet-hashes.md):

- :func:`capture_hash`: SHA-256 of the canonical JSON of the envelope *without its manifest*. Each part
  is sealed with ``<capture hash>:<part name>`` as associated data (:func:`part_aad`), so a part opens
  only with the capture and the name it was made for. (The whole envelope's hash cannot serve: the
  manifest holds the sealed parts' hashes, which would depend on themselves.)
- :func:`envelope_hash`: SHA-256 of the canonical JSON of the whole envelope, which is exactly the
  signed JWS payload. Intake uses it for idempotency (same application id and hash: a replay).

The signed payload must be the canonical form of the envelope it decodes to (no other spacing,
member order, null members or number spelling), so that one envelope has one hash. The format is
written for implementers in ``docs/formats/packet-v1.md``; :data:`ENVELOPE_JSON_SCHEMA` is its JSON
Schema, kept in ``docs/formats/packet-v1.schema.json``.
"""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from enum import StrEnum
from typing import Any, Literal, NamedTuple, Self

from cryptography.hazmat.primitives.asymmetric.ec import EllipticCurvePrivateKey, EllipticCurvePublicKey
from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PublicKey
from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from civicid.core.crypto import InvalidSeal, InvalidSignature, SealingKey, seal, sign_jws, unseal, verify_jws
from civicid.core.crypto._b64 import b64url_decode
from civicid.core.crypto.canonical import canonical_json as jcs
from civicid.core.crypto.sealing import SEAL_OVERHEAD
from civicid.country.documents import DocumentKind
from civicid.country.phone import normalise_phone
from civicid.country.sex import Sex
from civicid.protocol.errors import (
    InvalidEnvelope,
    InvalidPacketSignature,
    InvalidSealedPart,
    PartHashMismatch,
    UnknownPart,
)

PACKET_FORMAT = "civicid-packet/1"
PACKET_JWS_TYPE = "civicid-packet+jws"
UUID7_PATTERN = r"^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$"
DEVICE_ID_PATTERN = r"^[a-z0-9][a-z0-9-]{2,63}$"
PART_NAME_PATTERN = r"^[a-z0-9_]{1,40}$"


class ApplicationType(StrEnum):
    LEVEL2 = "level2"  # 14 and over, in their own name
    LEVEL2_CHILD = "level2_child"  # 6 to under 14, with a guardian present
    CHILD_CARD = "child_card"  # an ID card for a child under 6, asked for by a guardian holding level 2


class PartKind(StrEnum):
    FACE_TEMPLATE = "face_template"
    FINGER_TEMPLATES = "finger_templates"
    PORTRAIT = "portrait"  # compressed, enough for the card and the pipeline
    PORTRAIT_FULL = "portrait_full"  # full resolution
    FINGERPRINT_IMAGES = "fingerprint_images"
    DOCUMENT_SCAN = "document_scan"


BIOMETRIC_PART_KINDS = frozenset(
    {
        PartKind.FACE_TEMPLATE,
        PartKind.FINGER_TEMPLATES,
        PartKind.PORTRAIT,
        PartKind.PORTRAIT_FULL,
        PartKind.FINGERPRINT_IMAGES,
    }
)
REQUIRED_BIOMETRIC_PART_KINDS = (PartKind.FACE_TEMPLATE, PartKind.FINGER_TEMPLATES)
PRIORITY_FIRST = 0
FACE_IN_PORTRAIT = b"civicid-face-in-portrait/1"
"""A face part with exactly this content says "read the face from this packet's ``portrait`` part"
(decision 0061): a real kit sends its compressed portrait once, not twice; the server extracts the
face template from it. The portrait part's hash is signed in the same manifest."""
"""Needed by the pipeline first (templates, compressed portrait): uploaded before anything else."""
PRIORITY_LATER = 1
"""May follow later (full-resolution images, scans), for instance once the kit has a better signal."""


def parts_to_send_inline(parts: Iterable[tuple[str, int, int]], budget: int) -> set[str]:
    """Of a packet's parts, given as (name, priority, size), those a kit sends whole with the envelope.

    The parts needed first, smallest first, while they fit in ``budget`` bytes together: one request
    carries what the pipeline needs in the common case, and a part too big for it still goes in
    resumable chunks (docs/decisions/0030-parts-inline-with-the-envelope.md).
    """
    chosen: set[str] = set()
    for name, _priority, size in sorted((p for p in parts if p[1] == PRIORITY_FIRST), key=lambda p: (p[2], p[0])):
        if size > budget:
            break
        chosen.add(name)
        budget -= size
    return chosen


class Document(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    kind: DocumentKind
    number: str = Field(min_length=1, max_length=64, description="The document's number as printed on it.")
    extra: dict[str, str] | None = Field(
        default=None, max_length=10, description="Further fields the issuing agency needs; omitted when none."
    )

    @field_validator("extra")
    @classmethod
    def _omit_empty(cls, value: dict[str, str] | None) -> dict[str, str] | None:
        return value or None


class PartRef(BaseModel):
    """One sealed part as the manifest declares it."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    name: str = Field(pattern=PART_NAME_PATTERN)
    kind: PartKind
    sha256: str = Field(pattern=r"^[0-9a-f]{64}$", description="SHA-256 of the SEALED bytes, lower-case hex.")
    size: int = Field(ge=SEAL_OVERHEAD, description="Length of the SEALED bytes.")
    priority: int = Field(ge=PRIORITY_FIRST, le=PRIORITY_LATER, description="0: needed first; 1: may follow later.")


class PortraitException(BaseModel):
    """A portrait the kit's quality check refused, saved anyway by a supervisor, and why (issue 16).

    Elders and people with disabilities cannot always give an ICAO-style portrait; the exception is
    signed with the capture so that the server's supervisor sees it beside the portrait.
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    problems: tuple[str, ...] = Field(min_length=1, max_length=8, description="The quality check's problem codes.")
    reason: str = Field(min_length=3, max_length=300, description="Why the supervisor accepted the portrait.")
    accepted_by: str = Field(min_length=1, max_length=100, description="The supervisor's username on the kit.")


class Capture(BaseModel):
    """The envelope without its manifest: what the capture hash covers."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    format: Literal["civicid-packet/1"] = "civicid-packet/1"
    application_id: str = Field(pattern=UUID7_PATTERN, description="UUIDv7 (RFC 9562 §5.7), made on the device.")
    application_type: ApplicationType
    id_number: str = Field(pattern=r"^\d{12}$")
    full_name: str = Field(min_length=2, max_length=200)
    date_of_birth: dt.date
    sex: Sex
    phone: str | None = Field(default=None, description="Mobile number, normalised to 10 digits starting with 0.")
    guardian_id_number: str | None = Field(
        default=None, pattern=r"^\d{12}$", description="Required for level2_child and child_card; absent otherwise."
    )
    documents: tuple[Document, ...] = Field(default=(), max_length=10, description="Documents to integrate.")
    commune_code: str = Field(pattern=r"^\d{5}$")
    village_id: int = Field(ge=1)
    household_id: int | None = Field(default=None, ge=1)
    operator: str = Field(min_length=1, max_length=100, description="The operator's username.")
    device_id: str = Field(pattern=DEVICE_ID_PATTERN, description="Equal to the JWS header's kid.")
    captured_at: AwareDatetime = Field(description="UTC, RFC 3339 with Z.")
    portrait_exception: PortraitException | None = Field(
        default=None, description="Present only when a supervisor accepted a portrait the kit's check refused."
    )

    @field_validator("phone")
    @classmethod
    def _normalise_phone(cls, value: str | None) -> str | None:
        return normalise_phone(value)

    @field_validator("captured_at")
    @classmethod
    def _in_utc(cls, value: dt.datetime) -> dt.datetime:
        return value.astimezone(dt.UTC)

    @model_validator(mode="after")
    def _guardian_rule(self) -> Self:
        needs_guardian = self.application_type in (ApplicationType.LEVEL2_CHILD, ApplicationType.CHILD_CARD)
        if needs_guardian and self.guardian_id_number is None:
            raise ValueError(f"a {self.application_type} application names the guardian's ID number")
        if not needs_guardian and self.guardian_id_number is not None:
            raise ValueError("a level2 application has no guardian")
        if self.guardian_id_number == self.id_number:
            raise ValueError("the guardian cannot be the applicant")
        return self


class Envelope(Capture):
    """The signed envelope of a packet, format ``civicid-packet/1``."""

    manifest: tuple[PartRef, ...] = Field(max_length=16)

    @model_validator(mode="after")
    def _parts_rule(self) -> Self:
        names = [ref.name for ref in self.manifest]
        if len(set(names)) != len(names):
            raise ValueError("part names in the manifest must be unique")
        kinds = {ref.kind for ref in self.manifest}
        if self.application_type is ApplicationType.CHILD_CARD:
            # No biometrics are collected under 6 (DOMAIN.md): the card's photo alone, which the parent
            # sends from the app (docs/decisions/0053), may come; templates and fingerprints never.
            if kinds & (BIOMETRIC_PART_KINDS - {PartKind.PORTRAIT}):
                raise ValueError("a child_card application carries no biometric parts")
        else:
            first = {ref.kind for ref in self.manifest if ref.priority == PRIORITY_FIRST}
            missing = [kind.value for kind in REQUIRED_BIOMETRIC_PART_KINDS if kind not in first]
            if missing:
                raise ValueError(
                    f"a {self.application_type} application needs parts of kind {', '.join(missing)} at priority 0"
                )
        return self

    def part(self, name: str) -> PartRef:
        """The manifest's entry for ``name``; raises :class:`UnknownPart`."""
        for ref in self.manifest:
            if ref.name == name:
                return ref
        raise UnknownPart(f"the manifest declares no part {name!r}", part=name)


ENVELOPE_JSON_SCHEMA: dict[str, Any] = {
    "$schema": "https://json-schema.org/draft/2020-12/schema",
    **Envelope.model_json_schema(),
}


class PartIn(NamedTuple):
    """A part to seal: its kind, its plain bytes and its upload priority."""

    kind: PartKind
    data: bytes
    priority: int


@dataclass(frozen=True)
class Packet:
    """A built packet: the signed envelope and the sealed parts by name."""

    envelope_jws: str
    envelope: Envelope
    sealed_parts: dict[str, bytes]


def canonical_json(envelope: Capture) -> bytes:
    """RFC 8785 canonical JSON of the envelope; absent optional members are omitted, never ``null``."""
    return jcs(envelope.model_dump(mode="json", exclude_none=True))


def capture_hash(envelope: Capture) -> str:
    """SHA-256 (hex) of the canonical JSON of the envelope without its ``manifest`` member."""
    content = envelope.model_dump(mode="json", exclude_none=True, exclude={"manifest"})
    return hashlib.sha256(jcs(content)).hexdigest()


def envelope_hash(envelope: Envelope) -> str:
    """SHA-256 (hex) of the canonical JSON of the whole envelope: the JWS payload's hash."""
    return hashlib.sha256(canonical_json(envelope)).hexdigest()


def part_aad(envelope: Capture, part_name: str) -> bytes:
    """The associated data a part is sealed with: ``<capture hash hex>:<part name>``, in ASCII."""
    return f"{capture_hash(envelope)}:{part_name}".encode("ascii")


def build_packet(
    *,
    capture: Capture,
    parts: Mapping[str, PartIn | tuple[PartKind, bytes, int]],
    device_key: EllipticCurvePrivateKey,
    server_public_key: X25519PublicKey,
) -> Packet:
    """Seal each part to the server, list them in the manifest and sign the envelope with the device key.

    The JWS ``kid`` is ``capture.device_id``. Raises :class:`InvalidEnvelope` when the parts break the
    format's rules (a child_card with biometrics, level 2 without templates, a bad part name).
    """
    sealed: dict[str, bytes] = {}
    refs: list[PartRef] = []
    for name, (kind, data, priority) in sorted(parts.items(), key=lambda item: (item[1][2], item[0])):
        sealed[name] = seal(data, recipient=server_public_key, aad=part_aad(capture, name))
        refs.append(
            _part_ref(
                name=name,
                kind=kind,
                sha256=hashlib.sha256(sealed[name]).hexdigest(),
                size=len(sealed[name]),
                priority=priority,
            )
        )
    try:
        envelope = Envelope.model_validate({**capture.model_dump(exclude={"manifest"}), "manifest": refs})
    except ValidationError as exc:
        raise _invalid(exc) from exc
    token = sign_jws(canonical_json(envelope), device_key, kid=envelope.device_id, typ=PACKET_JWS_TYPE)
    return Packet(envelope_jws=token, envelope=envelope, sealed_parts=sealed)


def open_envelope(envelope_jws: str, *, device_public_key: EllipticCurvePublicKey) -> Envelope:
    """Verify the envelope's signature with the device's key, then validate it.

    Raises :class:`InvalidPacketSignature` when the JWS does not verify (RFC 7515 §5.2) or is not a
    ``civicid-packet+jws``, and :class:`InvalidEnvelope` when the payload is not a valid envelope, is not
    in canonical form (RFC 8785), or names another device than the header's ``kid``.
    """
    try:
        content = verify_jws(envelope_jws, device_public_key, typ=PACKET_JWS_TYPE)
    except InvalidSignature as exc:
        raise InvalidPacketSignature("the envelope's signature does not verify with the device's key") from exc
    try:
        envelope = Envelope.model_validate_json(content.payload)
    except ValidationError as exc:
        raise _invalid(exc) from exc
    if canonical_json(envelope) != content.payload:
        raise InvalidEnvelope(
            "the signed payload is not the envelope's RFC 8785 canonical JSON (docs/formats/packet-v1.md)"
        )
    if envelope.device_id != content.header.get("kid"):
        raise InvalidEnvelope("the envelope's device_id is not the signing key's kid")
    return envelope


def stored_envelope(envelope_jws: str) -> Envelope:
    """The envelope of a JWS that intake already verified and stored, without verifying it again.

    For the pipeline's later stages only: the integrity stage re-verifies the signature against the
    device's key, and the stored JWS never changes afterwards.
    """
    return Envelope.model_validate_json(b64url_decode(envelope_jws.split(".")[1]))


def verified_content(envelope_jws: str, envelope_hash: str) -> dict[str, Any]:
    """The JSON members of an envelope intake verified, read back from its stored JWS.

    Intake stores the JWS with the SHA-256 of the payload it verified (signature, canonical form,
    ``kid``); the payload read back must hash to that value, or :class:`InvalidPacketSignature` is
    raised: the verification on record no longer covers it (docs/decisions/0023-verify-once.md).
    The members are those of ``Envelope.model_dump(mode="json", exclude_none=True)``, since the
    payload is that dump's canonical form.
    """
    payload = b64url_decode(envelope_jws.split(".")[1])
    if hashlib.sha256(payload).hexdigest() != envelope_hash:
        raise InvalidPacketSignature("the stored envelope is not the one whose signature intake verified")
    content: dict[str, Any] = json.loads(payload)
    return content


def capture_hash_of(content: Mapping[str, Any]) -> str:
    """:func:`capture_hash` from an envelope's JSON members (:func:`verified_content`), without pydantic."""
    return hashlib.sha256(jcs({k: v for k, v in content.items() if k != "manifest"})).hexdigest()


def unseal_part(envelope: Envelope, name: str, sealed: bytes, *, server_key: SealingKey) -> bytes:
    """Check a sealed part against the manifest (size, then SHA-256), then open it.

    Raises :class:`UnknownPart`, :class:`PartHashMismatch` or :class:`InvalidSealedPart`.
    """
    ref = envelope.part(name)
    if len(sealed) != ref.size or hashlib.sha256(sealed).hexdigest() != ref.sha256:
        raise PartHashMismatch(f"part {name} does not match the manifest's size and SHA-256", part=name)
    try:
        return unseal(sealed, recipient_key=server_key, aad=part_aad(envelope, name))
    except InvalidSeal as exc:
        raise InvalidSealedPart(
            f"part {name} does not open with the server's key for this envelope", part=name
        ) from exc


def _part_ref(*, name: str, kind: PartKind, sha256: str, size: int, priority: int) -> PartRef:
    try:
        return PartRef(name=name, kind=kind, sha256=sha256, size=size, priority=priority)
    except ValidationError as exc:
        raise _invalid(exc) from exc


def _invalid(exc: ValidationError) -> InvalidEnvelope:
    """A readable reason from pydantic's errors: the field path and the message, never the input value."""
    problems = [
        {"field": ".".join(str(part) for part in error["loc"]) or "envelope", "message": error["msg"]}
        for error in exc.errors()
    ]
    reason = "; ".join(f"{problem['field']}: {problem['message']}" for problem in problems[:3])
    return InvalidEnvelope(f"invalid envelope: {reason}", errors=problems)


def schema_document() -> str:
    """The JSON Schema as written to ``docs/formats/packet-v1.schema.json``."""
    return json.dumps(ENVELOPE_JSON_SCHEMA, indent=2, ensure_ascii=False) + "\n"


def receipt_code(application_id: str) -> str:
    """The receipt's code, ``XXXX-XXXX``: eight characters the citizen can read out on the phone.

    Base32 of the application id's SHA-256 with 0/O and 1/I replaced, so the kit prints it offline
    and the server finds the application by it (``/follow``). 40 bits: at a commune's scale codes do
    not collide; a country's may, rarely, and the lookup says so rather than guess.
    """
    digest = hashlib.sha256(application_id.encode()).digest()
    text = base64.b32encode(digest).decode().translate(str.maketrans("01OI", "89XY"))[:8]
    return f"{text[:4]}-{text[4:]}"
