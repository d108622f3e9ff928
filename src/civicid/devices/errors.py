"""Errors of the field-device registry: registering, revoking and recognising a kit."""

from __future__ import annotations

from civicid.core.errors import Conflict, Forbidden, InvalidInput, NotFound


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
