"""Staff login over the API: tokens, cookies, refusals, the lockout and logout."""

from __future__ import annotations

import datetime as dt

import pytest
from httpx import AsyncClient
from sqlalchemy import select
from tests.factories import STAFF_PASSWORD, log_in, login_attempt, staff_member

from civicid.core import audit
from civicid.core.clock import FixedClock
from civicid.core.database import unit_of_work
from civicid.core.runtime import Context
from civicid.web.staff import StaffAccount, StaffRole, StaffSession
from civicid.web.staff_service import hash_token

pytestmark = pytest.mark.anyio


class TestLogin:
    async def test_good_password_gives_token_and_strict_cookie(self, client: AsyncClient, context: Context) -> None:
        staff_member(context, StaffRole.OPERATOR, "an.nguyen")
        response = await login_attempt(client, "An.Nguyen", STAFF_PASSWORD)
        assert response.status_code == 200
        body = response.json()
        assert body["role"] == "operator"
        assert body["token_type"] == "bearer"
        cookie = response.headers["set-cookie"]
        assert "civicid_session=" in cookie
        assert "HttpOnly" in cookie
        assert "SameSite=strict" in cookie or "samesite=strict" in cookie.lower()

    async def test_only_the_token_hash_is_stored(self, client: AsyncClient, context: Context) -> None:
        staff_member(context, StaffRole.OPERATOR, "an.nguyen")
        token = await log_in(client, "an.nguyen")
        with unit_of_work(context.database.sessions) as session:
            stored = session.scalars(select(StaffSession.token_hash)).all()
            password_hash = session.scalar(select(StaffAccount.password_hash))
        assert stored == [hash_token(token)]
        assert password_hash is not None
        assert password_hash.startswith("$argon2id$")

    async def test_wrong_password_is_a_401_problem(self, client: AsyncClient, context: Context) -> None:
        staff_member(context, StaffRole.OPERATOR, "an.nguyen")
        response = await login_attempt(client, "an.nguyen", "not the password")
        assert response.status_code == 401
        assert response.headers["content-type"] == "application/problem+json"
        assert response.json()["code"] == "invalid_credentials"

    async def test_unknown_user_looks_like_a_wrong_password(self, client: AsyncClient, context: Context) -> None:
        staff_member(context, StaffRole.OPERATOR, "an.nguyen")
        unknown = await login_attempt(client, "nobody", "whatever it is")
        wrong = await login_attempt(client, "an.nguyen", "whatever it is")
        assert unknown.status_code == wrong.status_code == 401
        assert unknown.json()["detail"] == wrong.json()["detail"]

    async def test_five_wrong_passwords_lock_for_fifteen_minutes(
        self, client: AsyncClient, context: Context, clock: FixedClock
    ) -> None:
        staff_member(context, StaffRole.OPERATOR, "an.nguyen")
        codes = [(await login_attempt(client, "an.nguyen", f"wrong password {i}")).json()["code"] for i in range(5)]
        assert codes == ["invalid_credentials"] * 4 + ["account_locked"]
        locked = await login_attempt(client, "an.nguyen", STAFF_PASSWORD)
        assert (locked.status_code, locked.json()["code"]) == (429, "account_locked")
        clock.advance(dt.timedelta(minutes=15, seconds=1))
        assert (await login_attempt(client, "an.nguyen", STAFF_PASSWORD)).status_code == 200

    async def test_a_good_login_resets_the_count(self, client: AsyncClient, context: Context) -> None:
        staff_member(context, StaffRole.OPERATOR, "an.nguyen")
        for i in range(4):
            await login_attempt(client, "an.nguyen", f"wrong password {i}")
        await log_in(client, "an.nguyen")
        assert (await login_attempt(client, "an.nguyen", "wrong again")).json()["code"] == "invalid_credentials"

    async def test_logins_are_audited_without_passwords(self, client: AsyncClient, context: Context) -> None:
        staff_member(context, StaffRole.OPERATOR, "an.nguyen")
        await login_attempt(client, "an.nguyen", "wrong password")
        await log_in(client, "an.nguyen")
        with unit_of_work(context.database.sessions) as session:
            entries = session.scalars(select(audit.AuditEntry).order_by(audit.AuditEntry.seq)).all()
            assert [e.action for e in entries] == ["staff.create", "staff.login_failed", "staff.login"]
            assert all(STAFF_PASSWORD not in str(e.details) and "wrong password" not in str(e.details) for e in entries)
            assert audit.verify_chain(session=session).intact

    async def test_missing_password_is_a_422_problem_without_echo(self, client: AsyncClient) -> None:
        response = await login_attempt(client, "an.nguyen", "")
        assert response.status_code == 422
        body = response.json()
        assert body["code"] == "validation_error"
        assert body["errors"][0]["field"] == "password"
        assert "input" not in body["errors"][0]


class TestSession:
    async def test_bearer_token_and_cookie_both_work(self, client: AsyncClient, context: Context) -> None:
        staff_member(context, StaffRole.OPERATOR, "an.nguyen")
        token = await log_in(client, "an.nguyen")
        assert (await client.get("/api/v1/registry/villages")).status_code == 200
        client.cookies.clear()
        assert (await client.get("/api/v1/registry/villages")).status_code == 401
        headers = {"Authorization": f"Bearer {token}"}
        assert (await client.get("/api/v1/registry/villages", headers=headers)).status_code == 200

    async def test_session_expires(self, client: AsyncClient, context: Context, clock: FixedClock) -> None:
        staff_member(context, StaffRole.OPERATOR, "an.nguyen")
        await log_in(client, "an.nguyen")
        clock.advance(dt.timedelta(hours=context.settings.session_hours, seconds=1))
        response = await client.get("/api/v1/registry/villages")
        assert response.status_code == 401
        assert response.json()["code"] == "session_expired"

    async def test_logout_revokes_the_session(self, client: AsyncClient, context: Context) -> None:
        staff_member(context, StaffRole.OPERATOR, "an.nguyen")
        token = await log_in(client, "an.nguyen")
        assert (await client.post("/api/v1/auth/logout")).status_code == 204
        headers = {"Authorization": f"Bearer {token}"}
        assert (await client.get("/api/v1/registry/villages", headers=headers)).status_code == 401
        assert (await client.post("/api/v1/auth/logout", headers=headers)).status_code == 204
