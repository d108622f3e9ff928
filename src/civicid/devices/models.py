"""The field-device table: enrollment kits allowed to send packets, and their public keys."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import JSON, ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column

from civicid.core.database import Base
from civicid.core.types import UTCDateTime


class FieldDevice(Base):
    """A kit's identity: its id is the ``kid`` of the envelopes it signs; its key verifies them.

    A device is never deleted, only revoked, so that the packets it signed can still be traced to it.
    """

    __tablename__ = "field_device"

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    commune_code: Mapped[str] = mapped_column(ForeignKey("commune.code"), index=True)
    public_jwk: Mapped[dict[str, Any]] = mapped_column(JSON)
    # RFC 7638 thumbprint of the public key: one key belongs to one device.
    key_thumbprint: Mapped[str] = mapped_column(String(43), unique=True)
    registered_at: Mapped[dt.datetime] = mapped_column(UTCDateTime())
    registered_by: Mapped[str] = mapped_column(String(100))
    revoked_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime(), default=None)
    revoked_reason: Mapped[str | None] = mapped_column(String(200), default=None)
