"""The UserInfo endpoint's answer (OpenID Connect Core §5.3): the claims the access token's scopes release.

Each answer reads the registry's record, which audits the read: the service's reading shows in the
citizen's usage history.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy.orm import Session

from civicid.accounts.service import find_account
from civicid.accounts.statuses import AccountStatus
from civicid.core.audit import Actor
from civicid.core.clock import Clock
from civicid.country.sex import Sex
from civicid.idp.errors import SignInRequired
from civicid.idp.hashing import digest
from civicid.idp.models import IdpToken, TokenKind
from civicid.registry import service as registry

GENDERS = {Sex.MALE: "male", Sex.FEMALE: "female"}


@dataclass(frozen=True)
class Grant:
    """What a valid access token grants: whose claims, which scopes, to which service."""

    account_id: str
    client_id: str
    scope: str
    level: int


def access_grant(*, session: Session, clock: Clock, access_token: str) -> Grant:
    """The grant of a live access token (RFC 6750); :class:`SignInRequired` for any other."""
    row = None if not access_token or len(access_token) > 100 else session.get(IdpToken, digest(access_token))
    if row is None or row.kind is not TokenKind.ACCESS or row.revoked_at is not None or row.expires_at <= clock.now():
        raise SignInRequired("the access token is unknown, expired or revoked")
    return Grant(row.account_id, row.client_id, row.scope, row.level)


def user_info(*, session: Session, clock: Clock, grant: Grant) -> dict[str, Any]:
    """The claims of ``grant``'s scopes; only ``sub`` for ``openid`` alone."""
    account = find_account(session=session, account_id=grant.account_id)
    if account is None or account.status is not AccountStatus.ACTIVE:
        raise SignInRequired("the account is no longer active")
    scopes = set(grant.scope.split())
    claims: dict[str, Any] = {"sub": account.id}
    if scopes & {"profile", "civicid.id_number"}:
        person = registry.get_person(
            session=session, clock=clock, actor=Actor("service", grant.client_id), person_id=account.person_id
        )
        if "profile" in scopes:
            claims["name"] = person.full_name
            claims["birthdate"] = person.date_of_birth.isoformat()
            claims["gender"] = GENDERS.get(person.sex, "other")
        if "civicid.id_number" in scopes:
            claims["id_number"] = person.id_number
    if "phone" in scopes and account.phone:
        claims["phone_number"] = "+84" + account.phone[1:] if account.phone.startswith("0") else account.phone
        claims["phone_number_verified"] = True
    return claims
