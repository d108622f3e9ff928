"""The SMS page and API: Vietnamese and English, phones masked, administrators and supervisors only."""

from __future__ import annotations

import pytest
from httpx import AsyncClient
from tests.factories import log_in, queue_approved_sms, staff_member

from civicid.core.database import unit_of_work
from civicid.core.runtime import Context
from civicid.notify import service as notify
from civicid.web.staff import StaffRole

pytestmark = pytest.mark.anyio


@pytest.fixture(autouse=True)
def outbox(context: Context) -> None:
    """Staff of every role, and the SMS that told a citizen application A1 was approved."""
    for role in StaffRole:
        staff_member(context, role)
    with unit_of_work(context.database.sessions) as session:
        queue_approved_sms(session, context.clock, "A1")


@pytest.mark.parametrize(
    ("lang", "heading", "english_shown"), [("vi", "Tin nhắn SMS đã gửi", False), ("en", "SMS sent", True)]
)
async def test_sms_page(client: AsyncClient, lang: str, heading: str, english_shown: bool) -> None:
    await log_in(client, "supervisor.test")
    page = await client.get(f"/notify/sms?lang={lang}")
    assert page.status_code == 200
    assert f"<h1>{heading}</h1>" in page.text
    assert "09******78" in page.text
    assert "0912345678" not in page.text
    assert "hồ sơ định danh điện tử mức 2 của bạn đã được duyệt" in page.text
    assert ("your level-2 e-ID application was approved" in page.text) is english_shown
    assert "28/11/2026 09:00" in page.text  # Vietnam time
    assert 'name="viewport"' in page.text


async def test_sms_api(client: AsyncClient) -> None:
    await log_in(client, "admin.test")
    response = await client.get("/api/v1/notify/sms", params={"related_type": "application", "related_id": "A1"})
    assert response.status_code == 200
    [sms] = response.json()
    assert sms["recipient_masked"] == "09******78"
    assert "0912345678" not in response.text
    assert sms["state"] == "queued"


@pytest.mark.parametrize("role", [StaffRole.OPERATOR, StaffRole.COMMITTEE])
async def test_other_roles_get_a_problem_from_the_api(client: AsyncClient, role: StaffRole) -> None:
    await log_in(client, f"{role.value}.test")
    response = await client.get("/api/v1/notify/sms")
    assert response.status_code == 403
    assert response.headers["content-type"].startswith("application/problem+json")
    assert response.json()["code"] == "forbidden"


@pytest.mark.parametrize("role", [StaffRole.OPERATOR, StaffRole.COMMITTEE])
async def test_other_roles_get_a_readable_page(client: AsyncClient, role: StaffRole) -> None:
    await log_in(client, f"{role.value}.test")
    page = await client.get("/notify/sms?lang=en")
    assert page.status_code == 403
    assert page.headers["content-type"].startswith("text/html")
    assert "Your role may not see this page." in page.text
    assert "09******78" not in page.text


async def test_not_logged_in(client: AsyncClient) -> None:
    assert (await client.get("/api/v1/notify/sms")).status_code == 401
    page = await client.get("/notify/sms")
    assert page.status_code == 303
    assert page.headers["location"].startswith("/login?next=")


@pytest.mark.parametrize("template", ["activation_code", "new_device_code", "lost_phone_code", "unlock_code"])
async def test_one_time_codes_are_masked_except_on_the_demos_simulated_gateway(
    client: AsyncClient, context: Context, template: str
) -> None:
    with unit_of_work(context.database.sessions) as session:
        notify.queue_sms(
            session=session,
            clock=context.clock,
            to="0912345678",
            template=template,
            params={"code": "482915", "minutes": "5"},
            related_type="account",
            related_id="acc-1",
            idempotency_key=f"{template}:acc-1",
        )
    await log_in(client, "admin.test")
    assert "482915" not in (await client.get("/notify/sms")).text
    assert "482915" not in (await client.get("/api/v1/notify/sms")).text
    client._transport.app.state.demo_reveals_sms_codes = True  # type: ignore[attr-defined]
    assert "482915" in (await client.get("/notify/sms")).text
    assert "482915" not in (await client.get("/api/v1/notify/sms")).text  # the API never shows them


async def test_the_sms_page_pages_through_every_message_and_filters_them(client: AsyncClient, context: Context) -> None:
    with unit_of_work(context.database.sessions) as session:
        for n in range(2, 62):  # with A1: 61 messages, more than a page of 50
            queue_approved_sms(session, context.clock, f"A{n}", to=f"09123456{n:02d}")
    await log_in(client, "supervisor.test")
    first = (await client.get("/notify/sms?lang=en")).text
    assert "Messages 1–50 of 61" in first
    assert 'rel="next"' in first
    second = (await client.get("/notify/sms?lang=en&offset=50")).text
    assert "Messages 51–61 of 61" in second
    assert 'rel="next"' not in second
    assert 'rel="prev"' in second
    sent = (await client.get("/notify/sms?lang=en&state=sent")).text
    assert "No messages yet." in sent  # every one is still queued
    queued = (await client.get("/notify/sms?lang=en&state=queued&template=application_approved")).text
    assert "Messages 1–50 of 61" in queued
