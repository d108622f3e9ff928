"""Errors of enrollment: packets, devices, intake and the pipeline."""

from __future__ import annotations

from civicid.core.errors import Conflict, Forbidden, InvalidInput, NotAuthenticated, NotFound

# Packets (packet.py) ---------------------------------------------------------------------------


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


# Field devices (devices.py) --------------------------------------------------------------------


class UnknownDevice(Forbidden):
    code = "unknown_device"
    title = "The packet comes from a device that is not registered"


class RevokedDevice(Forbidden):
    code = "revoked_device"
    title = "The packet comes from a revoked device"


class DeviceNotFound(NotFound):
    code = "device_not_found"
    title = "No such field device"


class DuplicateDevice(Conflict):
    code = "duplicate_device"
    title = "This device id or key is already registered"


class DeviceAlreadyRevoked(Conflict):
    code = "device_already_revoked"
    title = "This device is already revoked"


class InvalidDeviceId(InvalidInput):
    code = "invalid_device_id"
    title = "A device id is 3 to 64 lower-case letters, digits or hyphens"


class CommuneNotServed(InvalidInput):
    code = "commune_not_served"
    title = "The registry does not serve this commune"


class InvalidDeviceKey(InvalidInput):
    code = "invalid_device_key"
    title = "The device's public key is not a P-256 public JWK"


# Intake -----------------------------------------------------------------------------------------


class DifferentPacket(Conflict):
    code = "different_packet"
    title = "Another packet was already received under this application id"


class ApplicationIdMismatch(InvalidInput):
    code = "application_id_mismatch"
    title = "The envelope names another application"


class ApplicationNotFound(NotFound):
    code = "application_not_found"
    title = "No such application"


class ChunkChecksumMismatch(InvalidInput):
    code = "chunk_checksum_mismatch"
    title = "The chunk's bytes do not match its checksum"


class ChunkOutOfRange(InvalidInput):
    code = "chunk_out_of_range"
    title = "The chunk does not fit the part"


class PartAlreadyComplete(Conflict):
    code = "part_already_complete"
    title = "The part is complete and can no longer change"


# Decisions --------------------------------------------------------------------------------------


class NotAwaitingDecision(Conflict):
    code = "not_awaiting_decision"
    title = "The application is not waiting for this decision"


class MakerCheckerViolation(Forbidden):
    code = "maker_checker_violation"
    title = "Whoever captured an application cannot decide on it"


class InvalidDeviceToken(NotAuthenticated):
    code = "invalid_device_token"
    title = "The request is not signed by a registered, unrevoked field device"
