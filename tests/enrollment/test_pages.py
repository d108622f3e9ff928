"""The supervisor's pages in Vietnamese and English: queues, approval, and adjudication side by side."""

from __future__ import annotations

import hashlib
import re
from collections.abc import Callable

import pytest
from httpx import AsyncClient
from tests.factories import (
    PeopleOf,
    application_status,
    checked_application,
    log_in,
    registered_kit,
    suspected_duplicate,
)

from civicid.core.runtime import Context
from civicid.enrollment.pages import image_type
from civicid.enrollment.tasks import Pipeline
from civicid.protocol.codes import ApplicationStatus
from civicid.sim.captures import SimulatedKit

pytestmark = pytest.mark.anyio

SVG_IMAGE = re.compile(r'<img class="portrait" src="data:image/svg\+xml;base64,[A-Za-z0-9+/=]+"')


@pytest.fixture
def client(client: AsyncClient, commune: str) -> AsyncClient:
    """The client, once the demo commune and its staff logins are in."""
    return client


@pytest.fixture
def application_id(context: Context, pipeline: Pipeline, kit: SimulatedKit, people: PeopleOf) -> str:
    """An adult captured with the kit, the packet delivered and checked: the application, awaiting approval."""
    (adult,) = people("14_plus", 1)
    return checked_application(context, pipeline, kit, adult)


@pytest.fixture
def duplicate(context: Context, pipeline: Pipeline, kit: SimulatedKit, people: PeopleOf) -> tuple[str, str]:
    """Two applications with one face; the second waits in the adjudication queue."""
    first, second = people("14_plus", 2)
    return suspected_duplicate(context, pipeline, kit, first, second)


@pytest.mark.parametrize(
    ("lang", "heading", "tab", "status"),
    [
        ("vi", "Hồ sơ", "Nghi trùng", "Chờ phê duyệt"),
        ("en", "Applications", "Suspected duplicates", "Awaiting approval"),
    ],
)
async def test_queue_lists_what_awaits_approval(
    client: AsyncClient,
    application_id: str,
    lang: str,
    heading: str,
    tab: str,
    status: str,
) -> None:
    await log_in(client, "supervisor")
    page = await client.get(f"/enrollment/applications?lang={lang}")
    assert page.status_code == 200
    assert f"<h1>{heading}</h1>" in page.text
    assert tab in page.text
    assert f'href="/enrollment/applications/{application_id}"' in page.text
    assert f">{status}</td>" in page.text
    assert ">operator</td>" in page.text
    duplicates = await client.get("/enrollment/applications?status=suspected_duplicate")
    assert application_id not in duplicates.text


async def test_unknown_status_filter_is_a_form_error(client: AsyncClient) -> None:
    await log_in(client, "supervisor")
    page = await client.get("/enrollment/applications", params={"status": "nonsense", "lang": "en"})
    assert page.status_code == 400
    assert "The chosen status is not valid" in page.text


@pytest.mark.parametrize(
    ("lang", "title", "approve"), [("vi", "Thu nhận hồ sơ", "Phê duyệt"), ("en", "Enrollment", "Approve")]
)
async def test_overview_counts_and_approval(
    client: AsyncClient,
    context: Context,
    application_id: str,
    run_pipeline: Callable[[], int],
    lang: str,
    title: str,
    approve: str,
) -> None:
    await log_in(client, "supervisor")
    overview = await client.get(f"/enrollment?lang={lang}")
    assert overview.status_code == 200
    assert f"<h1>{title}</h1>" in overview.text
    assert 'href="/enrollment/applications?status=awaiting_approval"' in overview.text
    page = await client.get(f"/enrollment/applications/{application_id}?lang={lang}")
    assert page.status_code == 200
    assert f'action="/enrollment/applications/{application_id}/approve"' in page.text
    assert f">{approve}</button>" in page.text
    assert SVG_IMAGE.search(page.text)
    assert "img-src 'self' data:" in page.headers["content-security-policy"]
    decided = await client.post(f"/enrollment/applications/{application_id}/approve")
    assert decided.status_code == 303
    assert decided.headers["location"] == f"/enrollment/applications/{application_id}?done=approved"
    after = await client.get(decided.headers["location"])
    assert 'role="status"' in after.text
    assert "/approve" not in after.text
    run_pipeline()
    assert application_status(context, application_id)[0] is ApplicationStatus.ISSUED


async def test_maker_checker_refusal_is_a_readable_message(
    client: AsyncClient, context: Context, pipeline: Pipeline, commune: str, people: PeopleOf
) -> None:
    own_kit = registered_kit(context, commune, operator="supervisor")
    (adult,) = people("14_plus", 1)
    application_id = checked_application(context, pipeline, own_kit, adult)
    await log_in(client, "supervisor")
    page = await client.post(f"/enrollment/applications/{application_id}/approve?lang=en")
    assert page.status_code == 403
    assert "You captured this application, so another supervisor must decide on it." in page.text
    assert "Traceback" not in page.text
    assert application_status(context, application_id)[0] is ApplicationStatus.AWAITING_APPROVAL


async def test_rejection_needs_a_reason(client: AsyncClient, application_id: str) -> None:
    await log_in(client, "supervisor")
    url = f"/enrollment/applications/{application_id}/reject"
    empty = await client.post(f"{url}?lang=vi", data={"reason": " "})
    assert empty.status_code == 400
    assert "Vui lòng nhập lý do từ 3 đến 500 ký tự." in empty.text
    done = await client.post(url, data={"reason": "ảnh chân dung bị mờ"})
    assert done.status_code == 303
    page = await client.get(done.headers["location"])
    assert "ảnh chân dung bị mờ" in page.text
    again = await client.post(url, data={"reason": "ảnh chân dung bị mờ"}, params={"lang": "en"})
    assert again.status_code == 409
    assert "no longer waiting for this decision" in again.text


@pytest.mark.parametrize(("lang", "heading"), [("vi", "Nghi trùng: so sánh hai hồ sơ"), ("en", "Possible duplicate")])
async def test_adjudication_shows_both_records_side_by_side(
    client: AsyncClient, duplicate: tuple[str, str], people: PeopleOf, lang: str, heading: str
) -> None:
    genuine, impostor = duplicate
    first, second = people("14_plus", 2)
    await log_in(client, "supervisor")
    page = await client.get(f"/enrollment/applications/{impostor}?lang={lang}")
    assert page.status_code == 200
    assert heading in page.text
    portraits = SVG_IMAGE.findall(page.text)
    assert len(portraits) == 2
    # The impostor's face is the first person's: both portraits are the same drawing.
    assert portraits[0] == portraits[1]
    assert first.full_name in page.text
    assert second.full_name in page.text
    assert 'class="score"' in page.text
    # Each modality's score beside its thresholds, and what rests on the simulator says so.
    assert "0.60" in page.text
    assert "0.45" in page.text
    assert 'id="score-finger"' in page.text
    assert ("mô phỏng" if lang == "vi" else "simulated") in page.text
    assert f'href="/enrollment/applications/{genuine}"' in page.text
    assert 'name="decision" value="duplicate"' in page.text
    assert 'name="decision" value="not_duplicate"' in page.text
    assert "img-src 'self' data:" in page.headers["content-security-policy"]


async def test_adjudication_form_posts_and_redirects(
    client: AsyncClient, context: Context, duplicate: tuple[str, str]
) -> None:
    _, impostor = duplicate
    await log_in(client, "supervisor")
    url = f"/enrollment/applications/{impostor}/adjudicate"
    missing = await client.post(f"{url}?lang=en", data={"reason": "twins, checked in person"})
    assert missing.status_code == 400
    assert "Please choose" in missing.text
    assert "twins, checked in person" in missing.text
    unexplained = await client.post(f"{url}?lang=en", data={"decision": "not_duplicate"})
    assert unexplained.status_code == 400
    assert "Please give a reason" in unexplained.text
    done = await client.post(url, data={"decision": "not_duplicate", "reason": "twins, checked in person"})
    assert done.status_code == 303
    assert done.headers["location"].endswith("?done=not_duplicate")
    assert application_status(context, impostor)[0] is ApplicationStatus.AWAITING_APPROVAL


async def test_roles_on_pages(client: AsyncClient, application_id: str) -> None:
    anonymous = await client.get("/enrollment/applications")
    assert anonymous.status_code == 303
    assert anonymous.headers["location"].startswith("/login?next=")
    await log_in(client, "committee")
    assert (await client.get("/enrollment/applications")).status_code == 403
    await log_in(client, "operator")
    page = await client.get(f"/enrollment/applications/{application_id}")
    assert page.status_code == 200
    assert "/approve" not in page.text
    assert (await client.post(f"/enrollment/applications/{application_id}/approve")).status_code == 403


def test_image_types() -> None:
    assert image_type(b"<svg xmlns='http://www.w3.org/2000/svg'/>") == "image/svg+xml"
    assert image_type(b"\xff\xd8\xff\xe0" + hashlib.sha256().digest()) == "image/jpeg"
    assert image_type(b"\x89PNG\r\n\x1a\n....") == "image/png"
    assert image_type(b"RIFF\0\0\0\0WEBPVP8 ") == "image/webp"
    assert image_type(b"<html><script>") is None


async def test_the_queue_names_the_applicant_and_the_application_shows_all_that_was_captured(
    client: AsyncClient, context: Context, pipeline: Pipeline, kit: SimulatedKit, people: PeopleOf
) -> None:
    (adult,) = people("14_plus", 1)
    application_id = checked_application(context, pipeline, kit, adult)
    await log_in(client, "supervisor")
    queue = (await client.get("/enrollment/applications?lang=vi")).text
    assert f">{adult.full_name}</a>" in queue
    assert f">{adult.id_number}</td>" in queue
    assert "Mỗi hồ sơ được duyệt hai lần" in queue
    page = (await client.get(f"/enrollment/applications/{application_id}?lang=vi")).text
    assert "Số điện thoại" in page
    assert "Giấy tờ tích hợp" in page
    assert 'id="two-approvals"' in page
    assert "Trên bộ thu nhận" in page
    assert "Trên máy chủ" in page
