"""The web capability's pages: login form, language switch, home page by role, logout."""

from __future__ import annotations

import datetime as dt

import pytest
from httpx import AsyncClient
from tests.factories import STAFF_PASSWORD, MakePerson, log_in, staff_member

from civicid.core.runtime import Context
from civicid.web.staff import StaffRole

pytestmark = pytest.mark.anyio


class TestLoginPage:
    async def test_vietnamese_by_default(self, client: AsyncClient) -> None:
        response = await client.get("/login")
        assert response.status_code == 200
        assert '<html lang="vi">' in response.text
        assert "Đăng nhập" in response.text
        assert 'href="/login?lang=en"' in response.text

    async def test_language_switch_is_remembered(self, client: AsyncClient) -> None:
        response = await client.get("/login?lang=en")
        assert '<html lang="en">' in response.text
        assert "Log in" in response.text
        assert 'href="/login?lang=vi"' in response.text
        assert (await client.get("/login")).text.count('<html lang="en">') == 1  # the lang cookie now says English

    async def test_accept_language(self, client: AsyncClient) -> None:
        assert '<html lang="en">' in (await client.get("/login", headers={"Accept-Language": "en-US,en;q=0.8"})).text

    async def test_login_then_home(self, client: AsyncClient, context: Context) -> None:
        staff_member(context, StaffRole.OPERATOR, "an.nguyen")
        response = await client.post(
            "/login", data={"username": "an.nguyen", "password": STAFF_PASSWORD, "next": "/"}, follow_redirects=False
        )
        assert response.status_code == 303
        assert response.headers["location"] == "/"
        home = await client.get("/")
        assert "an.nguyen" in home.text
        assert "Cán bộ thu nhận" in home.text

    async def test_home_names_the_commune_and_its_figures(
        self, client: AsyncClient, context: Context, make_person: MakePerson
    ) -> None:
        make_person("Hoàng Văn Sử", dt.date(1980, 3, 2))
        staff_member(context, StaffRole.OPERATOR, "an.nguyen")
        await log_in(client, "an.nguyen")
        home = (await client.get("/?lang=vi")).text
        assert '<strong id="commune-name">Xã Cao Minh</strong>' in home
        assert "xã 01879" not in home
        assert "<li><strong>1</strong><span>nhân khẩu trong cơ sở dữ liệu</span></li>" in home
        assert "hồ sơ chờ phê duyệt" in home

    @pytest.mark.parametrize("lang", ["vi", "en"])
    async def test_wrong_password_shows_a_form_error(self, client: AsyncClient, context: Context, lang: str) -> None:
        staff_member(context, StaffRole.OPERATOR, "an.nguyen")
        response = await client.post(f"/login?lang={lang}", data={"username": "an.nguyen", "password": "wrong one"})
        assert response.status_code == 401
        expected = {"vi": "Tên đăng nhập hoặc mật khẩu không đúng.", "en": "Wrong username or password."}[lang]
        assert expected in response.text
        assert 'value="an.nguyen"' in response.text

    async def test_empty_form_shows_a_form_error(self, client: AsyncClient) -> None:
        response = await client.post("/login?lang=en", data={})
        assert response.status_code == 400
        assert "Please enter your username and password." in response.text

    async def test_next_cannot_leave_the_site(self, client: AsyncClient, context: Context) -> None:
        staff_member(context, StaffRole.OPERATOR, "an.nguyen")
        response = await client.post(
            "/login",
            data={"username": "an.nguyen", "password": STAFF_PASSWORD, "next": "//evil.example/"},
            follow_redirects=False,
        )
        assert response.headers["location"] == "/"


class TestHomePage:
    async def test_not_logged_in_goes_to_login(self, client: AsyncClient) -> None:
        response = await client.get("/registry/villages?x=1", follow_redirects=False)
        assert response.status_code == 303
        assert response.headers["location"] == "/login?next=%2Fregistry%2Fvillages%3Fx%3D1"

    async def test_links_follow_the_role(self, client: AsyncClient, staff: dict[StaffRole, str]) -> None:
        await log_in(client, staff[StaffRole.COMMITTEE])
        page = (await client.get("/?lang=en")).text
        assert 'href="/registry/villages"' in page
        assert 'href="/registry/persons"' not in page
        await log_in(client, staff[StaffRole.OPERATOR])
        assert 'href="/registry/persons"' in (await client.get("/")).text

    async def test_logout(self, client: AsyncClient, staff: dict[StaffRole, str]) -> None:
        await log_in(client, staff[StaffRole.ADMIN])
        response = await client.post("/logout", follow_redirects=False)
        assert response.status_code == 303
        assert (await client.get("/", follow_redirects=False)).status_code == 303
