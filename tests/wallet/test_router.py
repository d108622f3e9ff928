"""The wallet and e-ID card over HTTP: summaries without the passcode, documents added by their key
fields, details with the passcode, the card with its portrait, and every refusal an RFC 9457 problem."""

from __future__ import annotations

import io

import httpx
import pytest
from httpx import AsyncClient
from PIL import Image
from tests.accounts.test_holder_api import PROBLEM
from tests.factories import PASSCODE, MakePerson, Phone
from tests.factories.agencies import licence, set_down

from civicid.core.audit import SYSTEM
from civicid.core.database import unit_of_work
from civicid.core.runtime import Context
from civicid.country.documents import DocumentKind
from civicid.sim.field import synthetic_photo
from civicid.wallet import service as wallet
from civicid.wallet.portraits import THUMBNAIL_SIZE, PortraitVault

from .support import activated

pytestmark = pytest.mark.anyio
WALLET = "/api/v1/accounts/me/wallet"
CARD = "/api/v1/accounts/me/card"


@pytest.fixture
def client(holder_client: AsyncClient) -> AsyncClient:
    return holder_client


@pytest.fixture
def holder(context: Context, make_person: MakePerson) -> Phone:
    return activated(context, make_person())


@pytest.fixture
def headers(holder: Phone) -> dict[str, str]:
    done = holder.login()
    assert not isinstance(done, Exception)
    return {"Authorization": f"Bearer {done.token}", "CivicID-Device": done.device_id}


def _problem(response: httpx.Response, status: int, code: str) -> dict[str, object]:
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith(PROBLEM)
    body: dict[str, object] = response.json()
    assert body["code"] == code
    return body


async def test_a_licence_is_added_listed_masked_and_opened_with_the_passcode(
    client: AsyncClient, context: Context, holder: Phone, headers: dict[str, str]
) -> None:
    record = licence(context, holder.person.id_number, classes="A1 B")
    body = {"kind": "driving_licence", "number": record.number, "fields": {"class": "B"}}
    added = await client.post(f"{WALLET}/documents", headers=headers, json=body)
    assert added.status_code == 201, added.text
    assert added.json()["status"] == "integrated"
    listed = (await client.get(WALLET, headers=headers)).json()
    assert listed["format"] == "civicid-wallet/1"
    (summary,) = listed["documents"]
    assert summary["masked_number"] == "********" + record.number[-4:]
    assert record.number not in str(listed)
    assert {"expiring_soon", "revoked", "expired", "valid_until", "verified_at", "reason"} <= set(summary)
    wrong = await client.post(f"{WALLET}/documents/{summary['id']}/open", headers=headers, json={"passcode": "000000"})
    _problem(wrong, 403, "invalid_passcode")
    opened = await client.post(f"{WALLET}/documents/{summary['id']}/open", headers=headers, json={"passcode": PASSCODE})
    assert opened.status_code == 200, opened.text
    assert (opened.json()["number"], opened.json()["facts"]["classes"]) == (record.number, ["A1", "B"])
    _problem(await client.post(f"{WALLET}/documents", headers=headers, json=body), 409, "document_already_in_wallet")


async def test_another_persons_licence_and_no_licence_get_the_same_problem(
    client: AsyncClient, context: Context, headers: dict[str, str], make_person: MakePerson
) -> None:
    theirs = licence(context, make_person("Lò Thị Hoa").id_number)
    answers = []
    for number in (theirs.number, "190199999999"):
        body = {"kind": "driving_licence", "number": number, "fields": {"class": "A1"}}
        problem = _problem(
            await client.post(f"{WALLET}/documents", headers=headers, json=body), 400, "document_not_confirmed"
        )
        answers.append({k: v for k, v in problem.items() if k != "instance"})
    assert answers[0] == answers[1]
    assert theirs.number not in str(answers[0])


async def test_an_outage_is_accepted_as_pending(
    client: AsyncClient, context: Context, holder: Phone, headers: dict[str, str]
) -> None:
    record = licence(context, holder.person.id_number)
    set_down(context, DocumentKind.DRIVING_LICENCE)
    body = {"kind": "driving_licence", "number": record.number, "fields": {"class": "A1"}}
    response = await client.post(f"{WALLET}/documents", headers=headers, json=body)
    assert response.status_code == 202, response.text
    assert response.json()["status"] == "pending"


async def test_malformed_or_unknown_input_and_unknown_documents_are_problems(
    client: AsyncClient, headers: dict[str, str]
) -> None:
    no_class = {"kind": "driving_licence", "number": "190100000001", "fields": {}}
    body = _problem(await client.post(f"{WALLET}/documents", headers=headers, json=no_class), 422, "invalid_key_fields")
    assert "190100000001" not in str(body)
    tax = {"kind": "tax", "number": "0101234567"}
    _problem(await client.post(f"{WALLET}/documents", headers=headers, json=tax), 422, "invalid_wallet_document")
    extra = {"kind": "tax", "number": "1", "colour": "red"}
    _problem(await client.post(f"{WALLET}/documents", headers=headers, json=extra), 422, "validation_error")
    unknown = await client.post(f"{WALLET}/documents/nope/open", headers=headers, json={"passcode": PASSCODE})
    _problem(unknown, 404, "wallet_document_not_found")
    _problem(await client.get(f"{WALLET}/kinds"), 401, "not_authenticated")


async def test_the_kinds_say_what_to_type_in_both_languages(client: AsyncClient, headers: dict[str, str]) -> None:
    body = (await client.get(f"{WALLET}/kinds", headers=headers)).json()
    kinds = {k["kind"]: k for k in body["kinds"]}
    assert set(kinds) == {"driving_licence", "vehicle_registration", "health_insurance"}
    assert [f["name"] for f in kinds["driving_licence"]["fields"]] == ["class"]
    assert [f["name"] for f in kinds["vehicle_registration"]["fields"]] == ["chassis_number"]
    assert [f["name"] for f in kinds["health_insurance"]["fields"]] == ["issuing_unit"]
    assert all(k["vi"] and k["en"] and k["agency"]["simulated"] for k in kinds.values())
    assert kinds["driving_licence"]["number"]["vi"] == "Số giấy phép lái xe"


async def test_the_card_shows_the_holder_and_its_portrait_thumbnail(
    client: AsyncClient, context: Context, holder: Phone, headers: dict[str, str]
) -> None:
    empty = (await client.get(CARD, headers=headers)).json()
    assert (empty["format"], empty["portrait"], empty["card"]) == ("civicid-card/1", None, None)
    _problem(await client.get(f"{CARD}/portrait", headers=headers), 404, "portrait_not_found")
    with unit_of_work(context.database.sessions) as session:
        wallet.hand_over_documents(
            session=session,
            clock=context.clock,
            actor=SYSTEM,
            handovers=[wallet.Handover(holder.person.id, "application:A9", [], portrait=synthetic_photo(7))],
            portraits=PortraitVault.of_data_dir(context.settings.data_dir),
        )
    shown = (await client.get(CARD, headers=headers)).json()
    assert (shown["id_number"], shown["level"], shown["account_status"]) == (holder.person.id_number, 2, "active")
    assert shown["portrait"] == CARD + "/portrait"
    photo = await client.get(shown["portrait"], headers=headers)
    assert photo.status_code == 200
    assert photo.headers["content-type"] == "image/jpeg"
    with Image.open(io.BytesIO(photo.content)) as picture:
        assert picture.width <= THUMBNAIL_SIZE[0]
        assert picture.height <= THUMBNAIL_SIZE[1]
    _problem(await client.get(CARD), 401, "not_authenticated")
