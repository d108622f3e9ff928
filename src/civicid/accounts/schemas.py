"""What the accounts capability returns (pydantic), separate from its table."""

from __future__ import annotations

import datetime as dt

from pydantic import BaseModel, ConfigDict

from civicid.accounts.models import AccountStatus


class AccountRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: str
    person_id: int
    id_number: str
    phone: str | None
    level: int
    status: AccountStatus
    issued_at: dt.datetime
    activated_at: dt.datetime | None
    issued_from: str
