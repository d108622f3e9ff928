"""Staff login over the API: tokens, cookies, refusals, the lockout and logout."""

from __future__ import annotations

import datetime as dt

import pytest
from httpx import AsyncClient
from sqlalchemy import select
from tests.web.support import PASSWORD, add_staff, login

from civicid.core import audit
from civicid.core.clock import FixedClock
from civicid.core.database import unit_of_work
from civicid.core.runtime import Context
from civicid.web.staff import StaffAccount, StaffRole, StaffSession
from civicid.web.staff_service import hash_token

pytestmark = pytest.mark.anyio


async def _login(client: AsyncClient, username: str, password: str) -> tuple[int, dict[str, object]]:
    response = await client.post("/api/v1/auth/login", json={"username": username, "password": password})
    return response.status_code, response.json()


class TestLogin:
    async def test_good_password_gives_token_and_strict_cookie(self, client: AsyncClient, context: Context) -> None:
        add_staff(context, "an.nguyen", StaffRole.OPERATOR, "01879")
        response = await client.post("/api/v1/auth/login", json={"username": "An.Nguyen", "password": PASSWORD})
        assert response.status_code == 200
        body = response.json()
        assert body["role"] == "operator"
        assert body["token_type"] == "bearer"
        cookie = response.headers["set-cookie"]
        assert "civicid_session=" in cookie
        assert "HttpOnly" in cookie
        assert "SameSite=strict" in cookie or "samesite=strict" in cookie.lower()

    async def test_only_the_token_hash_is_stored(self, client: AsyncClient, context: Context) -> None:
        add_staff(context, "an.nguyen", StaffRole.OPERATOR)
        token = await login(client, "an.nguyen")
        with unit_of_work(context.database.sessions) as session:
            stored = session.scalars(select(StaffSession.token_hash)).all()
            password_hash = session.scalar(select(StaffAccount.password_hash))
        assert stored == [hash_token(token)]
        assert password_hash is not None
        assert password_hash.startswith("$argon2id$")

    async def test_wrong_password_is_a_401_problem(self, client: AsyncClient, context: Context) -> None:
        add_staff(context, "an.nguyen", StaffRole.OPERATOR)
        response = await client.post(
            "/api/v1/auth/login", json={"username": "an.nguyen", "password": "not the password"}
        )
        assert response.status_code == 401
        assert response.headers["content-type"] == "application/problem+json"
        assert response.json()["code"] == "invalid_credentials"

    async def test_unknown_user_looks_like_a_wrong_password(self, client: AsyncClient, context: Context) -> None:
        add_staff(context, "an.nguyen", StaffRole.OPERATOR)
        unknown = await _login(client, "nobody", "whatever it is")
        wrong = await _login(client, "an.nguyen", "whatever it is")
        assert unknown[0] == wrong[0] == 401
        assert unknown[1]["detail"] == wrong[1]["detail"]

    async def test_five_wrong_passwords_lock_for_fifteen_minutes(
        self, client: AsyncClient, context: Context, clock: FixedClock
    ) -> None:
        add_staff(context, "an.nguyen", StaffRole.OPERATOR)
        codes = [(await _login(client, "an.nguyen", f"wrong password {i}"))[1]["code"] for i in range(5)]
        assert codes == ["invalid_credentials"] * 4 + ["account_locked"]
        status, body = await _login(client, "an.nguyen", PASSWORD)
        assert (status, body["code"]) == (429, "account_locked")
        clock.advance(dt.timedelta(minutes=15, seconds=1))
        assert (await _login(client, "an.nguyen", PASSWORD))[0] == 200

    async def test_a_good_login_resets_the_count(self, client: AsyncClient, context: Context) -> None:
        add_staff(context, "an.nguyen", StaffRole.OPERATOR)
        for i in range(4):
            await _login(client, "an.nguyen", f"wrong password {i}")
        await login(client, "an.nguyen")
        assert (await _login(client, "an.nguyen", "wrong again"))[1]["code"] == "invalid_credentials"

    async def test_logins_are_audited_without_passwords(self, client: AsyncClient, context: Context) -> None:
        add_staff(context, "an.nguyen", StaffRole.OPERATOR)
        await _login(client, "an.nguyen", "wrong password")
        await login(client, "an.nguyen")
        with unit_of_work(context.database.sessions) as session:
            entries = session.scalars(select(audit.AuditEntry).order_by(audit.AuditEntry.seq)).all()
            assert [e.action for e in entries] == ["staff.create", "staff.login_failed", "staff.login"]
            assert all(PASSWORD not in str(e.details) and "wrong password" not in str(e.details) for e in entries)
            assert audit.verify_chain(session=session).intact

    async def test_missing_password_is_a_422_problem_without_echo(self, client: AsyncClient) -> None:
        response = await client.post("/api/v1/auth/login", json={"username": "an.nguyen", "password": ""})
        assert response.status_code == 422
        body = response.json()
        assert body["code"] == "validation_error"
        assert body["errors"][0]["field"] == "password"
        assert "input" not in body["errors"][0]


class TestSession:
    async def test_bearer_token_and_cookie_both_work(self, client: AsyncClient, context: Context) -> None:
        add_staff(context, "an.nguyen", StaffRole.OPERATOR, "01879")
        token = await login(client, "an.nguyen")
        assert (await client.get("/api/v1/registry/villages")).status_code == 200
        client.cookies.clear()
        assert (await client.get("/api/v1/registry/villages")).status_code == 401
        headers = {"Authorization": f"Bearer {token}"}
        assert (await client.get("/api/v1/registry/villages", headers=headers)).status_code == 200

    async def test_session_expires(self, client: AsyncClient, context: Context, clock: FixedClock) -> None:
        add_staff(context, "an.nguyen", StaffRole.OPERATOR)
        await login(client, "an.nguyen")
        clock.advance(dt.timedelta(hours=context.settings.session_hours, seconds=1))
        response = await client.get("/api/v1/registry/villages")
        assert response.status_code == 401
        assert response.json()["code"] == "session_expired"

    async def test_logout_revokes_the_session(self, client: AsyncClient, context: Context) -> None:
        add_staff(context, "an.nguyen", StaffRole.OPERATOR)
        token = await login(client, "an.nguyen")
        assert (await client.post("/api/v1/auth/logout")).status_code == 204
        headers = {"Authorization": f"Bearer {token}"}
        assert (await client.get("/api/v1/registry/villages", headers=headers)).status_code == 401
        assert (await client.post("/api/v1/auth/logout", headers=headers)).status_code == 204
