"""Helpers for tests that drive the server over HTTP: staff accounts, clients, logging in."""

from __future__ import annotations

from httpx import ASGITransport, AsyncClient

from civicid.app import create_app
from civicid.core.database import unit_of_work
from civicid.core.runtime import Context
from civicid.web import staff_service
from civicid.web.staff import StaffRole

PASSWORD = "mật khẩu đủ dài 2026"


def add_staff(context: Context, username: str, role: StaffRole, commune_code: str | None = None) -> None:
    with unit_of_work(context.database.sessions) as session:
        staff_service.create_staff(
            session=session,
            clock=context.clock,
            username=username,
            password=PASSWORD,
            role=role,
            commune_code=commune_code,
        )


def client_for(context: Context) -> AsyncClient:
    """A client of a fresh app on ``context``; it keeps cookies like a browser."""
    return AsyncClient(transport=ASGITransport(app=create_app(context)), base_url="http://testserver")


async def login(client: AsyncClient, username: str, password: str = PASSWORD) -> str:
    """Log in through the API; the client keeps the session cookie, and the token is returned."""
    response = await client.post("/api/v1/auth/login", json={"username": username, "password": password})
    assert response.status_code == 200, response.text
    token: str = response.json()["token"]
    return token
