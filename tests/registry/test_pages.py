"""The registry's pages in Vietnamese and English, with what each role may see."""

from __future__ import annotations

import datetime as dt

import pytest
from httpx import AsyncClient
from tests.factories import MakePerson, issued_account, log_in, staff_member

from civicid.core.runtime import Context
from civicid.web.staff import StaffRole

pytestmark = pytest.mark.anyio


@pytest.fixture(autouse=True)
def staff(context: Context, household_id: int) -> None:
    """An operator and a committee member of the commune, which has one village and household."""
    staff_member(context, StaffRole.OPERATOR)
    staff_member(context, StaffRole.COMMITTEE)


@pytest.mark.parametrize(("lang", "heading", "signal"), [("vi", "Thôn, bản", "Sóng yếu"), ("en", "Villages", "Weak")])
async def test_villages_page(client: AsyncClient, lang: str, heading: str, signal: str) -> None:
    await log_in(client, "committee.test")
    page = await client.get(f"/registry/villages?lang={lang}")
    assert page.status_code == 200
    assert f"<h1>{heading}</h1>" in page.text
    assert "Thôn Nà Pục" in page.text
    assert signal in page.text
    assert "12.5 km" in page.text


async def test_household_page_by_role(client: AsyncClient, household_id: int, make_person: MakePerson) -> None:
    make_person("Hoàng Văn Sử", dt.date(1980, 3, 2))
    await log_in(client, "operator.test")
    assert "Hoàng Văn Sử" in (await client.get(f"/registry/households/{household_id}")).text
    await log_in(client, "committee.test")
    page = (await client.get(f"/registry/households/{household_id}?lang=en")).text
    assert "Hoàng Văn Sử" not in page
    assert "The household has 1 members." in page


async def test_search_and_person_pages(client: AsyncClient, make_person: MakePerson) -> None:
    person = make_person("Hoàng Văn Sử", dt.date(1980, 3, 2))
    await log_in(client, "operator.test")
    results = await client.get("/registry/persons", params={"q": "hoang van"})
    assert results.status_code == 200
    assert f'href="/registry/persons/{person.id}"' in results.text
    record = await client.get(f"/registry/persons/{person.id}?lang=vi")
    assert person.id_number in record.text
    assert "02/03/1980" in record.text
    assert "Chủ hộ" in record.text


async def test_search_by_given_name_shows_statuses_and_dates_as_on_cards(
    context: Context, client: AsyncClient, make_person: MakePerson
) -> None:
    person = make_person("Lò Văn Thắng", dt.date(1980, 3, 2))
    issued_account(context, person)
    await log_in(client, "operator.test")
    page = (await client.get("/registry/persons", params={"q": "thang", "lang": "vi"})).text
    assert f'href="/registry/persons/{person.id}"' in page
    assert "02/03/1980" in page
    assert "Tài khoản định danh: đã cấp, chờ kích hoạt" in page
    assert "hồ sơ: chưa có" in page


async def test_a_long_result_list_is_paged(client: AsyncClient, make_person: MakePerson) -> None:
    for day in range(1, 53):
        make_person("Lò Văn Thắng", dt.date(1980, 1, 1) + dt.timedelta(days=day))
    await log_in(client, "operator.test")
    first = (await client.get("/registry/persons", params={"q": "thang", "lang": "en"})).text
    assert "Results 1–50" in first
    assert "offset=50" in first
    assert 'rel="next"' in first
    second = (await client.get("/registry/persons", params={"q": "thang", "lang": "en", "offset": "50"})).text
    assert "Results 51–52" in second
    assert 'rel="prev"' in second
    assert 'rel="next"' not in second


async def test_household_list_names_the_head_and_filters_by_it(
    client: AsyncClient, household_id: int, make_person: MakePerson
) -> None:
    village_id = make_person("Hoàng Văn Sử", dt.date(1980, 3, 2)).village_id
    await log_in(client, "operator.test")
    page = (await client.get(f"/registry/villages/{village_id}?lang=vi")).text
    assert '<th scope="col">Chủ hộ</th>' in page
    assert "<td>Hoàng Văn Sử</td>" in page
    found = (await client.get(f"/registry/villages/{village_id}", params={"q": "su"})).text
    assert f'href="/registry/households/{household_id}"' in found
    none = (await client.get(f"/registry/villages/{village_id}", params={"q": "khong co ai"})).text
    assert f'href="/registry/households/{household_id}"' not in none


async def test_the_committee_sees_households_without_names(client: AsyncClient, make_person: MakePerson) -> None:
    village_id = make_person("Hoàng Văn Sử", dt.date(1980, 3, 2)).village_id
    await log_in(client, "committee.test")
    page = (await client.get(f"/registry/villages/{village_id}")).text
    assert "Hoàng Văn Sử" not in page


async def test_bad_village_filter_is_a_form_error(client: AsyncClient) -> None:
    await log_in(client, "operator.test")
    page = await client.get("/registry/persons", params={"q": "an", "village_id": "abc", "lang": "en"})
    assert page.status_code == 400
    assert "The chosen village is not valid." in page.text


async def test_committee_cannot_open_the_search(client: AsyncClient) -> None:
    await log_in(client, "committee.test")
    assert (await client.get("/registry/persons")).status_code == 403
