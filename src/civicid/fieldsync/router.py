"""The server's field API (``/api/v1/field``): a kit's sync, and what a kit needs to be set up.

``POST /sync`` is authenticated by the kit's device token (``enrollment/device_tokens.py``), never
by a staff login: kits sync unattended. ``GET /setup`` is for an administrator setting a kit up
online (``civicid field init``): the server's sealing key and the device's registration.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends
from pydantic import BaseModel

from civicid.devices.router import SigningDevice
from civicid.enrollment.runtime import keystore_of
from civicid.fieldsync.extract import sync_device
from civicid.protocol.enrollment_file import sealing_key_text
from civicid.protocol.field_sync import SyncIn, SyncOut
from civicid.web.deps import AppContext, DbSession
from civicid.web.problems import problem_responses
from civicid.web.roles import Permission, require
from civicid.web.staff import StaffAccount

router = APIRouter(tags=["field"])
DeviceManager = Annotated[StaffAccount, Depends(require(Permission.DEVICE_MANAGE))]


class SetupRead(BaseModel):
    sealing_key: str
    sealing_key_format: str = "X25519, raw 32 bytes, unpadded base64url"


@router.post("/sync", responses=problem_responses(401, 403, 422))
def post_sync(body: SyncIn, context: AppContext, session: DbSession, device: SigningDevice) -> SyncOut:
    """One round trip: the kit's visits and outbox report in, everything changed since its cursor out."""
    return sync_device(session=session, clock=context.clock, device=device, request=body)


@router.get("/setup", responses=problem_responses(401, 403))
def get_setup(context: AppContext, principal: DeviceManager) -> SetupRead:
    """The public key kits seal parts to, for an administrator setting a kit up online."""
    return SetupRead(sealing_key=sealing_key_text(keystore_of(context).sealing_public_key()))
