"""The field devices' API (``/api/v1/enrollment/devices``), and how a request proves which kit sent it.

Field devices are registered and revoked by administrators (``device:manage``), within their commune.
A kit's own requests (down-sync, intake status) carry its bearer token (``protocol/device_token.py``);
:data:`SigningDevice` is the dependency that turns the header into the registered device.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Header, Path, status
from pydantic import BaseModel, ConfigDict, Field, StringConstraints
from sqlalchemy.orm import Session

from civicid.core.errors import Forbidden
from civicid.devices import service as devices
from civicid.devices.errors import DeviceNotFound
from civicid.devices.service import DeviceRead
from civicid.devices.tokens import device_from_authorization
from civicid.web.deps import AppContext, DbSession
from civicid.web.problems import problem_responses
from civicid.web.roles import Permission, commune_scope, require
from civicid.web.staff import StaffAccount
from civicid.web.staff_service import staff_actor

router = APIRouter(tags=["devices"])

DeviceManager = Annotated[StaffAccount, Depends(require(Permission.DEVICE_MANAGE))]
Reason = Annotated[str, StringConstraints(strip_whitespace=True, min_length=3, max_length=500)]


def signing_device(
    context: AppContext,
    session: DbSession,
    authorization: Annotated[str | None, Header(description="Bearer <the kit's device token>")] = None,
) -> DeviceRead:
    """The field kit whose device token (``protocol/device_token.py``) authorises this request."""
    return device_from_authorization(session=session, clock=context.clock, authorization=authorization)


SigningDevice = Annotated[DeviceRead, Depends(signing_device)]


class DeviceIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    commune_code: str = Field(pattern=r"^\d{5}$")
    public_jwk: dict[str, Any] = Field(description="The kit's P-256 public JWK (RFC 7517); never a private one.")
    device_id: str | None = Field(default=None, description="Chosen by the server when absent.")


class RevokeIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    reason: Reason


# Field devices (administrators) ------------------------------------------------------------------


def _visible_device(session: Session, principal: StaffAccount, device_id: str) -> DeviceRead:
    device = devices.get_device(session=session, device_id=device_id)
    scope = commune_scope(principal)
    if scope is not None and device.commune_code != scope:
        raise DeviceNotFound(f"no device {device_id}", device_id=device_id)
    return device


@router.get("/devices", responses=problem_responses(401, 403))
def get_devices(session: DbSession, principal: DeviceManager) -> list[DeviceRead]:
    return devices.list_devices(session=session, commune_code=commune_scope(principal))


@router.post("/devices", status_code=status.HTTP_201_CREATED, responses=problem_responses(401, 403, 409, 422))
def post_device(body: DeviceIn, context: AppContext, session: DbSession, principal: DeviceManager) -> DeviceRead:
    """Register a field kit's public key for a commune; its envelopes are accepted from then on."""
    scope = commune_scope(principal)
    if scope is not None and body.commune_code != scope:
        raise Forbidden(f"this account registers devices for commune {scope} only", commune_code=scope)
    return devices.register_device(
        session=session,
        clock=context.clock,
        actor=staff_actor(principal),
        commune_code=body.commune_code,
        public_jwk=body.public_jwk,
        device_id=body.device_id,
    )


@router.post("/devices/{device_id}/revoke", responses=problem_responses(401, 403, 404, 409, 422))
def revoke_device(
    device_id: Annotated[str, Path(max_length=64)],
    body: RevokeIn,
    context: AppContext,
    session: DbSession,
    principal: DeviceManager,
) -> DeviceRead:
    """Refuse every packet the device signed from now on (a lost or stolen kit)."""
    _visible_device(session, principal, device_id)
    return devices.revoke_device(
        session=session, clock=context.clock, actor=staff_actor(principal), device_id=device_id, reason=body.reason
    )
