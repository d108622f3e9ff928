"""Errors of the wire formats: a packet, a token or a bundle that is not what its format says."""

from __future__ import annotations

from civicid.core.errors import InvalidInput, NotAuthenticated


class InvalidPacketSignature(InvalidInput):
    code = "invalid_packet_signature"
    title = "The packet's envelope is not signed by the device it names"


class InvalidEnvelope(InvalidInput):
    code = "invalid_envelope"
    title = "The packet's envelope is not a valid civicid-packet/1 envelope"


class UnknownPart(InvalidInput):
    code = "unknown_part"
    title = "The envelope's manifest declares no part of this name"


class PartHashMismatch(InvalidInput):
    code = "part_hash_mismatch"
    title = "The part's bytes do not match the manifest's SHA-256 and size"


class InvalidSealedPart(InvalidInput):
    code = "invalid_sealed_part"
    title = "The sealed part does not open with the server's key and the envelope"


class InvalidDeviceToken(NotAuthenticated):
    code = "invalid_device_token"
    title = "The request is not signed by a registered, unrevoked field device"


class InvalidEnrollmentFile(InvalidInput):
    code = "invalid_enrollment_file"
    title = "The device enrollment file does not open with this passphrase, or is damaged"


class InvalidRelayBundle(InvalidInput):
    code = "invalid_relay_bundle"
    title = "The relay bundle is damaged or not signed by a registered device"
