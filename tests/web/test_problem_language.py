"""Problems speak the reader's language: titles and details follow ``Accept-Language`` (issue 17)."""

from __future__ import annotations

import importlib
import pkgutil

import pytest
from httpx import AsyncClient
from tests.factories import log_in, staff_member

import civicid
from civicid.core.errors import CivicIDError
from civicid.core.runtime import Context
from civicid.web import i18n
from civicid.web.staff import StaffRole

pytestmark = pytest.mark.anyio


def _codes() -> set[str]:
    for module in pkgutil.walk_packages(civicid.__path__, "civicid."):
        if not module.name.endswith("__main__"):
            importlib.import_module(module.name)
    found: set[str] = set()
    pending: list[type[CivicIDError]] = [CivicIDError]
    while pending:
        for sub in pending.pop().__subclasses__():
            found.add(sub.code)
            pending.append(sub)
    return found


def test_every_problem_has_a_vietnamese_title() -> None:
    missing = sorted(code for code in _codes() if not i18n.has("vi", f"problem.{code}"))
    assert missing == []


@pytest.fixture(autouse=True)
def staff(context: Context, household_id: int) -> None:
    staff_member(context, StaffRole.OPERATOR)
    staff_member(context, StaffRole.ADMIN)


async def test_a_problem_is_in_vietnamese_when_the_client_asks(client: AsyncClient) -> None:
    await log_in(client, "operator.test")
    response = await client.get("/api/v1/registry/persons/999999", headers={"Accept-Language": "vi-VN,vi;q=0.9"})
    body = response.json()
    assert response.status_code == 404
    assert body["code"] == "person_not_found"
    assert body["title"] == "Không có người này trong cơ sở dữ liệu dân cư"
    assert body["detail"].startswith("Không có người này")


async def test_a_problem_stays_in_english_for_a_client_that_does_not_ask(client: AsyncClient) -> None:
    await log_in(client, "operator.test")
    body = (await client.get("/api/v1/registry/persons/999999")).json()
    assert body["title"] == "No such person in the registry"


async def test_a_validation_problem_names_the_fields_in_vietnamese(client: AsyncClient) -> None:
    await log_in(client, "operator.test")
    response = await client.get("/api/v1/registry/persons?limit=0", headers={"Accept-Language": "vi"})
    body = response.json()
    assert response.status_code == 422
    assert body["title"] == "Yêu cầu không hợp lệ"
    assert body["detail"] == "Các trường không hợp lệ: limit."


async def test_an_id_number_problem_says_which_rule_in_vietnamese(client: AsyncClient, household_id: int) -> None:
    await log_in(client, "admin.test")
    person = {
        "id_number": "019299001234",
        "full_name": "Lò Văn Thắng",
        "date_of_birth": "2099-01-01",
        "sex": "M",
        "household_id": household_id,
    }
    response = await client.post("/api/v1/registry/persons", json=person, headers={"Accept-Language": "vi"})
    body = response.json()
    assert body["code"] == "invalid_id_number"
    assert body["detail"] == "Số định danh cho biết năm sinh chưa đến."


async def test_an_error_page_is_in_vietnamese_without_english_words(client: AsyncClient) -> None:
    await log_in(client, "operator.test")
    page = await client.get("/registry/persons/999999", headers={"Accept-Language": "vi"})
    assert page.status_code == 404
    assert "Không có người này trong cơ sở dữ liệu dân cư" in page.text
    assert "No such person" not in page.text
