"""The administrator's staff page: open, disable, enable, reset; admins only; every change audited."""

from __future__ import annotations

import re

import pytest
from httpx import AsyncClient
from tests.factories import STAFF_PASSWORD, api_client, log_in, login_attempt, staff_member

from civicid.core import audit
from civicid.core.database import unit_of_work
from civicid.core.runtime import Context
from civicid.web import staff_service
from civicid.web.staff import StaffRole

pytestmark = pytest.mark.anyio
NEW_PASSWORD = "một mật khẩu mới 2026"


def account_id(context: Context, username: str) -> int:
    with unit_of_work(context.database.sessions) as session:
        return next(a.id for a in staff_service.list_staff(session=session) if a.username == username)


def audited(context: Context, username: str) -> list[tuple[str, str, dict[str, object]]]:
    with unit_of_work(context.database.sessions) as session:
        entries = audit.entries_for_subject(
            session=session, subject_type="staff_account", subject_id=str(account_id(context, username))
        )
        return [(e.action, e.actor, dict(e.details or {})) for e in entries]


async def create(client: AsyncClient, **fields: str) -> tuple[int, str]:
    form = {"role": "operator", "commune": "01879", "choice": "typed"} | fields
    response = await client.post("/staff?lang=en", data=form, follow_redirects=False)
    return response.status_code, response.text


@pytest.fixture
async def admin(client: AsyncClient, context: Context) -> AsyncClient:
    await log_in(client, staff_member(context, StaffRole.ADMIN))
    return client


class TestAdministratorManagesStaff:
    async def test_lists_accounts_with_role_commune_state_and_last_login(
        self, admin: AsyncClient, context: Context
    ) -> None:
        staff_member(context, StaffRole.OPERATOR, "an.nguyen")
        page = await admin.get("/staff?lang=en")
        assert page.status_code == 200
        row = re.search(r'<tr id="staff-\d+" data-username="an.nguyen">.*?</tr>', page.text, re.S)
        assert row is not None
        assert "Operator" in row.group()
        assert "01879" in row.group()
        assert "Active" in row.group()
        assert "never" in row.group()
        admin_row = re.search(r'data-username="admin.test">.*?</tr>', page.text, re.S)
        assert admin_row is not None
        assert "UTC</time>" in admin_row.group()

    async def test_creates_disables_and_enables_an_account(self, admin: AsyncClient, context: Context) -> None:
        status, _ = await create(admin, username="binh.tran", password=NEW_PASSWORD, password_again=NEW_PASSWORD)
        assert status == 303
        assert (await login_attempt(api_client(context), "binh.tran", NEW_PASSWORD)).status_code == 200

        binh = account_id(context, "binh.tran")
        disabled = await admin.post(f"/staff/{binh}/active", data={"active": "0"}, follow_redirects=False)
        assert disabled.status_code == 303
        assert "Disabled" in (await admin.get("/staff?lang=en")).text
        assert (await login_attempt(api_client(context), "binh.tran", NEW_PASSWORD)).status_code == 401

        enabled = await admin.post(f"/staff/{binh}/active", data={"active": "1"}, follow_redirects=False)
        assert enabled.status_code == 303
        assert (await login_attempt(api_client(context), "binh.tran", NEW_PASSWORD)).status_code == 200

    async def test_disabling_ends_the_accounts_sessions(self, admin: AsyncClient, context: Context) -> None:
        staff_member(context, StaffRole.SUPERVISOR, "chi.le")
        other = api_client(context)
        await log_in(other, "chi.le")
        await admin.post(f"/staff/{account_id(context, 'chi.le')}/active", data={"active": "0"})
        assert (await other.get("/api/v1/registry/villages")).status_code == 401

    async def test_a_generated_password_is_shown_once_and_works(self, admin: AsyncClient, context: Context) -> None:
        status, page = await create(admin, username="dung.pham", choice="generated")
        assert status == 200
        shown = re.search(r'id="staff-generated">.*?<code>([^<]+)</code>', page, re.S)
        assert shown is not None
        assert (await login_attempt(api_client(context), "dung.pham", shown.group(1))).status_code == 200
        assert shown.group(1) not in (await admin.get("/staff")).text

    async def test_resets_a_password(self, admin: AsyncClient, context: Context) -> None:
        staff_member(context, StaffRole.OPERATOR, "an.nguyen")
        an = account_id(context, "an.nguyen")
        response = await admin.post(
            f"/staff/{an}/password",
            data={"choice": "typed", "password": NEW_PASSWORD, "password_again": NEW_PASSWORD},
            follow_redirects=False,
        )
        assert response.status_code == 303
        assert (await login_attempt(api_client(context), "an.nguyen", STAFF_PASSWORD)).status_code == 401
        assert (await login_attempt(api_client(context), "an.nguyen", NEW_PASSWORD)).status_code == 200

    async def test_every_change_is_audited_without_a_password(self, admin: AsyncClient, context: Context) -> None:
        await create(admin, username="binh.tran", password=NEW_PASSWORD, password_again=NEW_PASSWORD)
        binh = account_id(context, "binh.tran")
        await admin.post(f"/staff/{binh}/active", data={"active": "0"})
        await admin.post(f"/staff/{binh}/active", data={"active": "1"})
        await admin.post(f"/staff/{binh}/password", data={"choice": "generated"})
        entries = audited(context, "binh.tran")
        assert [action for action, _, _ in entries] == [
            "staff.create",
            "staff.disable",
            "staff.enable",
            "staff.password_reset",
        ]
        assert {actor for _, actor, _ in entries} == {"staff:admin.test"}
        assert all(NEW_PASSWORD not in str(details) and "password" not in details for _, _, details in entries)


class TestRefusals:
    async def test_a_duplicate_username_is_refused_with_a_message(self, admin: AsyncClient, context: Context) -> None:
        staff_member(context, StaffRole.OPERATOR, "an.nguyen")
        status, page = await create(admin, username="An.Nguyen", password=NEW_PASSWORD, password_again=NEW_PASSWORD)
        assert status == 409
        assert 'id="staff-error"' in page
        assert "taken" in page
        vi = await admin.post(
            "/staff?lang=vi",
            data={"username": "an.nguyen", "role": "operator", "choice": "generated"},
        )
        assert "Tên đăng nhập này đã có người dùng." in vi.text

    @pytest.mark.parametrize(
        ("fields", "message"),
        [
            ({"username": "x", "password": NEW_PASSWORD, "password_again": NEW_PASSWORD}, "username"),
            ({"username": "binh.tran", "password": NEW_PASSWORD, "password_again": "something else"}, "differ"),
            ({"username": "binh.tran", "password": "short", "password_again": "short"}, "at least 10"),
            ({"username": "binh.tran", "role": "king", "choice": "generated"}, "role must be"),
            ({"username": "binh.tran", "commune": "1879", "choice": "generated"}, "5 digits"),
        ],
    )
    async def test_bad_input_is_a_message_on_the_page(
        self, admin: AsyncClient, fields: dict[str, str], message: str
    ) -> None:
        status, page = await create(admin, **fields)
        assert status == 422
        assert 'id="staff-error"' in page
        assert message in page

    async def test_an_administrator_cannot_disable_themselves(self, admin: AsyncClient, context: Context) -> None:
        response = await admin.post(f"/staff/{account_id(context, 'admin.test')}/active", data={"active": "0"})
        assert response.status_code == 409
        assert 'id="staff-error"' in response.text

    async def test_an_unknown_account_is_a_message(self, admin: AsyncClient) -> None:
        response = await admin.post("/staff/999999/active?lang=en", data={"active": "0"})
        assert response.status_code == 404
        assert 'id="staff-error"' in response.text


class TestOnlyAdministrators:
    @pytest.mark.parametrize("role", [StaffRole.SUPERVISOR, StaffRole.OPERATOR, StaffRole.COMMITTEE])
    async def test_other_roles_get_403(self, client: AsyncClient, context: Context, role: StaffRole) -> None:
        staff_member(context, StaffRole.OPERATOR, "an.nguyen")
        await log_in(client, staff_member(context, role))
        assert (await client.get("/staff?lang=en")).status_code == 403
        an = account_id(context, "an.nguyen")
        refused = await client.post(f"/staff/{an}/active", data={"active": "0"})
        assert refused.status_code == 403
        created = await client.post("/staff", data={"username": "eve.x", "role": "admin", "choice": "generated"})
        assert created.status_code == 403
        with unit_of_work(context.database.sessions) as session:
            assert "eve.x" not in {a.username for a in staff_service.list_staff(session=session)}
        assert [action for action, _, _ in audited(context, "an.nguyen")] == ["staff.create"]
        assert 'href="/staff"' not in (await client.get("/")).text

    async def test_the_admins_home_links_to_the_page(self, admin: AsyncClient) -> None:
        assert 'href="/staff"' in (await admin.get("/")).text

    async def test_a_form_from_another_site_is_refused(self, admin: AsyncClient) -> None:
        response = await admin.post(
            "/staff",
            data={"username": "eve.x", "role": "admin", "choice": "generated"},
            headers={"Origin": "https://evil.example"},
        )
        assert response.status_code == 403
