"""Staff accounts, a client of the server, and the one way to log in as staff (through the API)."""

from __future__ import annotations

from httpx import ASGITransport, AsyncClient, Response

from civicid.accounts.hashing import SecretHasher
from civicid.app import create_app
from civicid.campaign.scope import bind_village_head
from civicid.core.database import unit_of_work
from civicid.core.runtime import Context
from civicid.sim.demo import DEMO_LOGINS
from civicid.web import staff_service
from civicid.web.staff import StaffRole

from .actors import COMMITTEE
from .registry import COMMUNE

STAFF_PASSWORD = "mật khẩu đủ dài 2026"
# The demo opens its own logins (``civicid demo`` prints them); every other account has STAFF_PASSWORD.
_DEMO_PASSWORDS = {demo.username: demo.password for demo in DEMO_LOGINS}


def staff_password(username: str) -> str:
    """The password the factories, or the demo, gave the account."""
    return _DEMO_PASSWORDS.get(username, STAFF_PASSWORD)


def staff_member(
    context: Context,
    role: StaffRole,
    username: str | None = None,
    *,
    commune_code: str | None = COMMUNE,
    head_of: int | None = None,
) -> str:
    """A staff account (``<role>.test`` unless named) with STAFF_PASSWORD; its username.

    Administrators serve every commune; ``commune_code=None`` opens any other role without one.
    ``head_of`` binds a committee member to the village they head.
    """
    name = username or f"{role.value}.test"
    with unit_of_work(context.database.sessions) as session:
        account = staff_service.create_staff(
            session=session,
            clock=context.clock,
            username=name,
            password=STAFF_PASSWORD,
            role=role,
            commune_code=None if role is StaffRole.ADMIN else commune_code,
        )
        if head_of is not None:
            bind_village_head(
                session=session, clock=context.clock, actor=COMMITTEE, staff_account_id=account.id, village_id=head_of
            )
    return name


def api_client(context: Context, *, secret_hasher: SecretHasher | None = None) -> AsyncClient:
    """A client of a fresh app on ``context``; it keeps cookies like a browser.

    ``secret_hasher`` replaces the one that hashes holders' passwords and codes (``FAST`` in tests).
    """
    app = create_app(context)
    if secret_hasher is not None:
        app.state.secret_hasher = secret_hasher
    return AsyncClient(transport=ASGITransport(app=app), base_url="http://testserver")


async def login_attempt(client: AsyncClient, username: str, password: str) -> Response:
    """``POST /api/v1/auth/login``, whatever the answer."""
    return await client.post("/api/v1/auth/login", json={"username": username, "password": password})


async def log_in(client: AsyncClient, username: str, password: str | None = None) -> str:
    """Log in through the API: the client keeps the session cookie, and the token is returned.

    Without ``password``, the one the factories (or the demo) gave the account.
    """
    response = await login_attempt(client, username, password or staff_password(username))
    assert response.status_code == 200, response.text
    token: str = response.json()["token"]
    return token
