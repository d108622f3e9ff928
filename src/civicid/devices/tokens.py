"""The server's side of the kit's bearer token (format in ``protocol/device_token.py``): which device it is."""

from __future__ import annotations

from sqlalchemy.orm import Session

from civicid.core.clock import Clock
from civicid.devices import service as devices
from civicid.devices.service import DeviceRead
from civicid.protocol.device_token import token_device_id, verify_device_token
from civicid.protocol.errors import InvalidDeviceToken


def authenticate_device(*, session: Session, clock: Clock, token: str) -> DeviceRead:
    """The registered, unrevoked device that signed ``token``; :class:`InvalidDeviceToken` otherwise."""
    device = devices.active_device(session=session, device_id=token_device_id(token))
    verify_device_token(token, device_id=device.id, key=device.public_key(), now=clock.now())
    return device


def device_from_authorization(*, session: Session, clock: Clock, authorization: str | None) -> DeviceRead:
    """The device of an ``Authorization: Bearer <token>`` header (RFC 6750 §2.1)."""
    scheme, _, token = (authorization or "").partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise InvalidDeviceToken("this endpoint needs Authorization: Bearer <the kit's device token>")
    return authenticate_device(session=session, clock=clock, token=token.strip())
