"""Who may do what: permissions by staff role, least privilege first.

The table is plain data, so services and tests can ask :func:`allows` without FastAPI; routers and
pages use the :func:`require` dependency, which also yields the principal.
"""

from __future__ import annotations

from collections.abc import Callable
from enum import StrEnum
from typing import Annotated

from fastapi import Depends, Request

from civicid.core.errors import Forbidden, NotAuthenticated
from civicid.web.deps import AppContext, DbSession, session_token
from civicid.web.staff import StaffAccount, StaffRole
from civicid.web.staff_service import resolve_session


class Permission(StrEnum):
    REGISTRY_BROWSE = "registry:browse"  # villages, households, counts: no one's personal record
    REGISTRY_READ_PERSON = "registry:read_person"  # a person's record; every read is audited
    REGISTRY_WRITE = "registry:write"
    STAFF_MANAGE = "staff:manage"
    NOTIFY_READ = "notify:read"  # the SMS sent to citizens (phones masked)
    ENROLLMENT_DECIDE = "enrollment:decide"  # approve, reject, adjudicate (maker-checker applies)
    ENROLLMENT_READ = "enrollment:read"  # applications and their timelines
    DEVICE_MANAGE = "device:manage"  # register and revoke field kits
    CAMPAIGN_READ = "campaign:read"  # the campaign's figures and who is still missing (a village head: own village)
    CAMPAIGN_MANAGE = "campaign:manage"  # campaigns, targets, teams and assignments
    ACCOUNT_LOCK = "account:lock"  # lock a citizen's account (form TK03, a breach, an authority's request)
    ACCOUNT_UNLOCK = "account:unlock"  # lift an officer's lock (a supervisor's decision)
    ACCOUNT_ASSIST = "account:assist"  # activate an account face to face for someone without a smartphone


_ALL = frozenset(StaffRole)
PERMISSIONS: dict[Permission, frozenset[StaffRole]] = {
    Permission.REGISTRY_BROWSE: _ALL,
    Permission.REGISTRY_READ_PERSON: frozenset({StaffRole.ADMIN, StaffRole.SUPERVISOR, StaffRole.OPERATOR}),
    Permission.REGISTRY_WRITE: frozenset({StaffRole.ADMIN, StaffRole.SUPERVISOR}),
    Permission.STAFF_MANAGE: frozenset({StaffRole.ADMIN}),
    Permission.NOTIFY_READ: frozenset({StaffRole.ADMIN, StaffRole.SUPERVISOR}),
    Permission.ENROLLMENT_DECIDE: frozenset({StaffRole.ADMIN, StaffRole.SUPERVISOR}),
    Permission.ENROLLMENT_READ: frozenset({StaffRole.ADMIN, StaffRole.SUPERVISOR, StaffRole.OPERATOR}),
    Permission.DEVICE_MANAGE: frozenset({StaffRole.ADMIN}),
    Permission.CAMPAIGN_READ: frozenset({StaffRole.ADMIN, StaffRole.SUPERVISOR, StaffRole.COMMITTEE}),
    Permission.CAMPAIGN_MANAGE: frozenset({StaffRole.ADMIN, StaffRole.COMMITTEE}),
    Permission.ACCOUNT_LOCK: frozenset({StaffRole.ADMIN, StaffRole.SUPERVISOR, StaffRole.OPERATOR}),
    Permission.ACCOUNT_UNLOCK: frozenset({StaffRole.ADMIN, StaffRole.SUPERVISOR}),
    Permission.ACCOUNT_ASSIST: frozenset({StaffRole.ADMIN, StaffRole.SUPERVISOR, StaffRole.OPERATOR}),
}


def allows(role: StaffRole, permission: Permission) -> bool:
    return role in PERMISSIONS[permission]


def permissions_of(role: StaffRole) -> frozenset[Permission]:
    return frozenset(p for p, roles in PERMISSIONS.items() if role in roles)


def _principal(request: Request, context: AppContext, session: DbSession) -> StaffAccount:
    token = session_token(request)
    if token is None:
        raise NotAuthenticated("log in to continue")
    return resolve_session(session=session, clock=context.clock, token=token)


def optional_principal(request: Request, context: AppContext, session: DbSession) -> StaffAccount | None:
    """The logged-in account if any: for pages that look different once logged in (the login page)."""
    token = session_token(request)
    if token is None:
        return None
    try:
        return resolve_session(session=session, clock=context.clock, token=token)
    except NotAuthenticated:
        return None


Principal = Annotated[StaffAccount, Depends(_principal)]
"""Any logged-in staff member, whatever the role."""


def commune_scope(account: StaffAccount) -> str | None:
    """The commune whose data an account is bound to; None means it sees every commune."""
    return account.commune_code


def require(permission: Permission) -> Callable[..., StaffAccount]:
    """A dependency that yields the logged-in staff account, or raises 401/403 problems."""

    def dependency(account: Principal) -> StaffAccount:
        if not allows(account.role, permission):
            raise Forbidden(
                f"the {account.role.value} role may not use {permission.value}", permission=permission.value
            )
        return account

    return dependency
