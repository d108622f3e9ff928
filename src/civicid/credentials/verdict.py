"""What a verification concludes (:class:`Verdict`), with the reasons a credential is refused, and a
status list entry read as one (both credential families share them)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import asdict, dataclass, field
from typing import Any

from civicid.credentials.status_list import Status
from civicid.credentials.trust_bundle import TrustBundle

#: Why a credential is not valid, in the order the verifier checks (docs/formats/qr-v1.md §8).
REASONS = (
    "unreadable",
    "unknown_issuer",
    "bad_signature",
    "malformed",
    "stale_bundle",
    "expired",
    "not_yet_valid",
    "revoked",
    "suspended",
    "status_unknown",
)


@dataclass(frozen=True)
class Verdict:
    """What a verification concludes, and what the credential discloses once valid."""

    valid: bool
    reason: str | None = None
    format: str | None = None  # "qr-v1" or "sd-jwt-vc"
    profile: str | None = None
    issuer: str | None = None
    kid: str | None = None
    credential_id: str | None = None
    issued_at: int | None = None
    expires_at: int | None = None
    device_bound: bool = False
    status: str | None = None
    disclosed: Mapping[str, Any] = field(default_factory=dict)
    bundle_age: int | None = None

    def as_json(self) -> dict[str, Any]:
        return {**asdict(self), "disclosed": dict(self.disclosed)}


def status_of(uri: str, idx: int, trust: TrustBundle, now: dt.datetime) -> tuple[str | None, str | None]:
    """A status list entry, as (reason when not valid, status name)."""
    token = trust.status_lists.get(uri)
    if token is None:
        return "status_unknown", None
    try:
        value = token.status_list.status(idx)
    except IndexError:
        return "status_unknown", None
    if value == Status.VALID:
        return None, "valid"
    if value == Status.SUSPENDED:
        return "suspended", "suspended"
    return "revoked", "invalid"
