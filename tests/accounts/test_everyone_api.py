"""The HTTP edges of level 1, children and assisted activation: what the app and the staff page call."""

from __future__ import annotations

import base64
import datetime as dt

import httpx
import pytest
from httpx import AsyncClient
from tests.factories import (
    MakePerson,
    Phone,
    activated_phone,
    audit_actions,
    card_qr_png,
    codes_sent,
    handed_over,
    link_guardian,
    log_in,
    selfie_of,
    staff_member,
)
from tests.factories.agencies import health_card

from civicid.core.runtime import Context
from civicid.country.sex import Sex
from civicid.registry.schemas import PersonRead
from civicid.wallet.schemas import DocumentIn
from civicid.web.staff import StaffRole

pytestmark = pytest.mark.anyio
PROBLEM = "application/problem+json"


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode()


def _refused(response: httpx.Response, code: str, reason: str) -> None:
    assert response.status_code in (403, 422), response.text
    assert response.headers["content-type"].startswith(PROBLEM)
    assert (response.json()["code"], response.json()["reason"]) == (code, reason)


async def test_level_1_answers_at_once_with_the_reason_or_the_account(
    holder_client: AsyncClient, context: Context, make_person: MakePerson
) -> None:
    person = make_person("Lò Văn Chiến", dt.date(1990, 5, 17), Sex.MALE)
    other = make_person("Hà Thị Lan", dt.date(1992, 1, 9), Sex.FEMALE)
    info = (await holder_client.get("/api/v1/accounts/level1")).json()
    assert info["simulated"] is True
    body = {"id_number": person.id_number, "phone": "0912345678", "card_image_base64": _b64(card_qr_png(person))}
    refused = await holder_client.post(
        "/api/v1/accounts/level1", json={**body, "selfie_base64": _b64(selfie_of(other))}
    )
    _refused(refused, "level1_refused", "not_same_person")
    opened = await holder_client.post(
        "/api/v1/accounts/level1", json={**body, "selfie_base64": _b64(selfie_of(person))}
    )
    assert opened.status_code == 201, opened.text
    assert opened.json()["simulated"] is True
    assert len(codes_sent(context, opened.json()["account_id"])) == 1
    not_base64 = await holder_client.post("/api/v1/accounts/level1", json={**body, "selfie_base64": "%%%"})
    assert not_base64.status_code == 422


async def test_a_parent_adds_a_child_and_a_stranger_may_not(
    holder_client: AsyncClient, context: Context, make_person: MakePerson
) -> None:
    parent = activated_phone(context, make_person("Lò Thị Mai", dt.date(1990, 4, 2), Sex.FEMALE))
    stranger = activated_phone(context, make_person("Vi Văn Tùng", dt.date(1985, 8, 8)), phone="0977111222")
    child = make_person("Lò Văn An", dt.date(2022, 6, 1))
    link_guardian(context, child, parent.person.id)
    for holder, expected in ((stranger, 403), (parent, 201)):
        done = holder.login()
        headers = {"Authorization": f"Bearer {done.token}", "CivicID-Device": done.device_id}
        added = await holder_client.post(
            "/api/v1/accounts/me/children", json={"id_number": child.id_number}, headers=headers
        )
        assert added.status_code == expected, added.text
    listed = await holder_client.get("/api/v1/accounts/me/children", headers=headers)
    assert [c["full_name"] for c in listed.json()] == ["Lò Văn An"]


async def test_an_operator_activates_an_elder_over_the_api_and_others_may_not(
    client: AsyncClient, context: Context, make_person: MakePerson
) -> None:
    elder = make_person("Hoàng Thị Dung", dt.date(1948, 2, 11), Sex.FEMALE)
    body = {
        "person_id": elder.id,
        "identity_checked": True,
        "consent": True,
        "delivery": "screen",
        "contact_phone": "0987000111",
        "contact_relation": "grandchild",
    }
    await log_in(client, staff_member(context, StaffRole.COMMITTEE))
    assert (await client.post("/api/v1/accounts/assisted", json=body)).status_code == 403
    await log_in(client, staff_member(context, StaffRole.OPERATOR))
    refused = await client.post("/api/v1/accounts/assisted", json={**body, "consent": False})
    _refused(refused, "assisted_refused", "no_consent")
    started = await client.post("/api/v1/accounts/assisted", json=body)
    assert started.status_code == 201, started.text
    code = started.json()["code_on_screen"]
    done = await client.post(
        f"/api/v1/accounts/assisted/{started.json()['activation_id']}/confirm", json={"code": code}
    )
    assert done.status_code == 200, done.text
    assert done.json()["status"] == "active"


def _parent_and_child(context: Context, make_person: MakePerson) -> tuple[Phone, PersonRead]:
    """A level-2 mother on her activated phone, and her child under 6 (the registry links them)."""
    parent = activated_phone(context, make_person("Lò Thị Mai", dt.date(1990, 4, 2), Sex.FEMALE))
    child = make_person("Lò Văn An", dt.date(2022, 6, 1))
    link_guardian(context, child, parent.person.id)
    return parent, child


async def _child_added(client: AsyncClient, parent: Phone, child: PersonRead) -> tuple[dict[str, str], str]:
    """The parent's session headers, and the account the parent added for the child in the app."""
    done = parent.login()
    headers = {"Authorization": f"Bearer {done.token}", "CivicID-Device": done.device_id}  # type: ignore[union-attr]
    added = await client.post("/api/v1/accounts/me/children", json={"id_number": child.id_number}, headers=headers)
    return headers, str(added.json()["account_id"])


async def test_a_parent_reads_a_childs_documents_and_no_one_elses(
    holder_client: AsyncClient, context: Context, make_person: MakePerson
) -> None:
    parent, child = _parent_and_child(context, make_person)
    handed_over(context, child, DocumentIn(kind="health_insurance", number="TE-1-79-0001"))
    headers, child_account = await _child_added(holder_client, parent, child)
    wallet = await holder_client.get(f"/api/v1/accounts/me/wallet/children/{child_account}", headers=headers)
    assert [d["kind"] for d in wallet.json()["documents"]] == ["health_insurance"]
    own = await holder_client.get(f"/api/v1/accounts/me/wallet/children/{parent.account.id}", headers=headers)
    _refused(own, "child_refused", "not_a_child_account")


async def test_a_parent_adds_a_childs_health_insurance_card_and_no_one_elses(
    holder_client: AsyncClient, context: Context, make_person: MakePerson
) -> None:
    parent, child = _parent_and_child(context, make_person)
    card = health_card(context, child.id_number)
    strangers = health_card(context, make_person("Vi Văn Tùng", dt.date(2021, 8, 8)).id_number)
    headers, child_account = await _child_added(holder_client, parent, child)
    documents = f"/api/v1/accounts/me/wallet/children/{child_account}/documents"

    def body(number: str) -> dict[str, object]:
        return {"kind": "health_insurance", "number": number, "fields": {"issuing_unit": "19405"}}

    # Another child's card is refused as if it did not exist, and the refusal names the parent.
    refused = await holder_client.post(documents, json=body(strangers.number), headers=headers)
    assert (refused.status_code, refused.json()["code"]) == (400, "document_not_confirmed")
    assert audit_actions(context, "wallet.document_refuse")[-1]["kind"] == "health_insurance"
    integrated = await holder_client.post(documents, json=body(card.number), headers=headers)
    assert (integrated.status_code, integrated.json()["status"]) == (201, "integrated")
    wallet = await holder_client.get(documents.removesuffix("/documents"), headers=headers)
    assert [d["kind"] for d in wallet.json()["documents"]] == ["health_insurance"]
    own = await holder_client.post(
        f"/api/v1/accounts/me/wallet/children/{parent.account.id}/documents", json=body(card.number), headers=headers
    )
    _refused(own, "child_refused", "not_a_child_account")
