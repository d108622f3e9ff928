"""What the staff and auth API accepts and returns."""

from __future__ import annotations

import datetime as dt

from pydantic import BaseModel, ConfigDict, Field

from civicid.web.staff import StaffRole


class LoginIn(BaseModel):
    username: str = Field(min_length=1, max_length=60)
    password: str = Field(min_length=1, max_length=1024)


class LoginOut(BaseModel):
    token: str = Field(description="Send as 'Authorization: Bearer <token>'; also set as the session cookie.")
    token_type: str = "bearer"  # noqa: S105 - the OAuth token type (RFC 6750), not a secret
    expires_at: dt.datetime
    username: str
    role: StaffRole


class StaffRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    username: str
    role: StaffRole
    commune_code: str | None
    active: bool
    created_at: dt.datetime


class Health(BaseModel):
    status: str = Field(description="ok: the server answers, and so does its database.")
    version: str
    database: str = Field(description="ok; when the database does not answer, health is a 503 problem instead.")
