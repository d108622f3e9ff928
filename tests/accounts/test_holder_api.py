"""The holder's API: activation, login and the wallet over HTTP, every refusal a problem document."""

from __future__ import annotations

import httpx
import pytest
from httpx import AsyncClient
from tests.factories import (
    HOLDER_PASSWORD,
    PASSCODE,
    MakePerson,
    Phone,
    codes_sent,
    handed_over,
    held_licence,
    holder_phone,
)

from civicid.accounts import service
from civicid.accounts.devices import make_proof
from civicid.core.database import unit_of_work
from civicid.core.runtime import Context

pytestmark = pytest.mark.anyio
PROBLEM = "application/problem+json"


@pytest.fixture
def client(holder_client: AsyncClient) -> AsyncClient:
    return holder_client


@pytest.fixture
def phone(context: Context, make_person: MakePerson) -> Phone:
    holder = holder_phone(context, make_person())
    handed_over(context, holder.person, held_licence(context, holder.person))  # the traffic police hold it
    return holder


def _problem(response: httpx.Response, status: int, code: str) -> None:
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith(PROBLEM)
    assert response.json()["code"] == code


async def _activate(client: AsyncClient, phone: Phone) -> dict[str, object]:
    pair = {"id_number": phone.person.id_number, "phone": phone.phone}
    assert (await client.post("/api/v1/accounts/activation/code", json=pair)).status_code == 202
    code = codes_sent(phone.context, phone.account.id)[0]
    verified = await client.post("/api/v1/accounts/activation/verify", json={**pair, "code": code})
    assert verified.status_code == 200, verified.text
    done = await client.post(
        "/api/v1/accounts/activation/complete",
        json={
            "ticket": verified.json()["ticket"],
            "password": HOLDER_PASSWORD,
            "passcode": PASSCODE,
            "security_answers": [
                {"question": "first_school", "answer": "Cao Minh"},
                {"question": "mother_village", "answer": "Nà Pục"},
            ],
            "device_public_jwk": phone.jwk,
        },
    )
    assert done.status_code == 200, done.text
    body: dict[str, object] = done.json()
    return body


async def _login(client: AsyncClient, phone: Phone, password: str = HOLDER_PASSWORD) -> httpx.Response:
    return await client.post(
        "/api/v1/accounts/login",
        json={"id_number": phone.person.id_number, "password": password, "device_proof": phone.proof()},
    )


async def test_a_code_request_answers_the_same_for_an_unknown_pair(
    client: AsyncClient, phone: Phone, make_person: MakePerson
) -> None:
    known = await client.post(
        "/api/v1/accounts/activation/code", json={"id_number": phone.person.id_number, "phone": phone.phone}
    )
    unknown = await client.post(
        "/api/v1/accounts/activation/code",
        json={"id_number": make_person("Lò Thị Hoa").id_number, "phone": "0987654321"},
    )
    assert (known.status_code, known.json()) == (unknown.status_code, unknown.json())


async def test_wrong_codes_are_counted_across_requests(client: AsyncClient, phone: Phone) -> None:
    pair = {"id_number": phone.person.id_number, "phone": phone.phone}
    await client.post("/api/v1/accounts/activation/code", json=pair)
    code = codes_sent(phone.context, phone.account.id)[0]
    wrong = f"{(int(code) + 1) % 1_000_000:06d}"
    for _ in range(5):
        _problem(
            await client.post("/api/v1/accounts/activation/verify", json={**pair, "code": wrong}), 400, "invalid_code"
        )
    # The five refusals were committed: the right code is dead now.
    _problem(await client.post("/api/v1/accounts/activation/verify", json={**pair, "code": code}), 400, "invalid_code")


async def test_a_weak_password_is_a_problem_and_activates_nothing(client: AsyncClient, phone: Phone) -> None:
    pair = {"id_number": phone.person.id_number, "phone": phone.phone}
    await client.post("/api/v1/accounts/activation/code", json=pair)
    code = codes_sent(phone.context, phone.account.id)[0]
    ticket = (await client.post("/api/v1/accounts/activation/verify", json={**pair, "code": code})).json()["ticket"]
    response = await client.post(
        "/api/v1/accounts/activation/complete",
        json={
            "ticket": ticket,
            "password": "weakpassword",
            "passcode": PASSCODE,
            "security_answers": [{"question": "a", "answer": "x"}, {"question": "b", "answer": "y"}],
            "device_public_jwk": phone.jwk,
        },
    )
    _problem(response, 422, "invalid_holder_input")
    assert "weakpassword" not in response.text  # the value is never echoed
    with unit_of_work(phone.context.database.sessions) as session:
        assert service.get_account_by_person(session=session, person_id=phone.person.id).status == "pending_activation"


async def test_activation_login_and_the_wallet(client: AsyncClient, phone: Phone) -> None:
    activated = await _activate(client, phone)
    assert activated["status"] == "active"
    assert (activated["documents_integrated"], activated["documents_refused"]) == (1, 0)
    session = (await _login(client, phone)).json()
    headers = {"Authorization": f"Bearer {session['token']}", "CivicID-Device": session["device_id"]}
    response = await client.get("/api/v1/accounts/me/wallet", headers=headers)
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["format"] == "civicid-wallet/1"
    assert [(d["kind"], d["status"]) for d in body["documents"]] == [("driving_licence", "integrated")]
    other = {**headers, "CivicID-Device": "another-device"}
    _problem(await client.get("/api/v1/accounts/me/wallet", headers=other), 401, "holder_session_invalid")
    _problem(await client.get("/api/v1/accounts/me/wallet"), 401, "not_authenticated")


async def test_five_wrong_passwords_lock_login(client: AsyncClient, phone: Phone) -> None:
    await _activate(client, phone)
    for _ in range(5):
        _problem(await _login(client, phone, "Sai-mat-khau-1"), 401, "invalid_credentials")
    locked = await _login(client, phone)
    _problem(locked, 423, "login_locked")
    assert locked.json()["retry_after_seconds"] == 15 * 60 + 1


async def test_a_new_phone_is_bound_with_an_sms_code_and_the_old_one_loses_its_session(
    client: AsyncClient, context: Context, phone: Phone
) -> None:
    await _activate(client, phone)
    old = (await _login(client, phone)).json()
    credentials = {"id_number": phone.person.id_number, "password": HOLDER_PASSWORD}
    assert (await client.post("/api/v1/accounts/devices/code", json=credentials)).status_code == 202
    new = phone.another_device()
    bound = await client.post(
        "/api/v1/accounts/devices/bind",
        json={
            **credentials,
            "code": codes_sent(context, phone.account.id)[0],
            "device_public_jwk": new.jwk,
            "device_proof": new.proof("bind"),
        },
    )
    assert bound.status_code == 200, bound.text
    assert bound.json()["device_id"] != old["device_id"]
    stale = {"Authorization": f"Bearer {old['token']}", "CivicID-Device": old["device_id"]}
    _problem(await client.get("/api/v1/accounts/me/wallet", headers=stale), 401, "holder_session_invalid")
    _problem(await _login(client, phone), 403, "device_not_bound")


async def _session_headers(client: AsyncClient, phone: Phone) -> dict[str, str]:
    await _activate(client, phone)
    session = (await _login(client, phone)).json()
    return {"Authorization": f"Bearer {session['token']}", "CivicID-Device": session["device_id"]}


async def test_the_security_questions_are_a_documented_list(client: AsyncClient) -> None:
    response = await client.get("/api/v1/accounts/security-questions")
    assert response.status_code == 200
    questions = response.json()
    assert {"first_school", "mother_village"} <= {q["id"] for q in questions}
    assert all(q["vi"] and q["en"] for q in questions)


async def test_a_login_proof_answers_a_challenge_from_the_server_once(client: AsyncClient, phone: Phone) -> None:
    await _activate(client, phone)
    challenge = (await client.post("/api/v1/accounts/challenge")).json()
    assert challenge["expires_in_seconds"] == 120
    proof = make_proof(
        phone.key,
        purpose="login",
        id_number=phone.person.id_number,
        nonce=challenge["nonce"],
        clock=phone.context.clock,
    )
    body = {"id_number": phone.person.id_number, "password": HOLDER_PASSWORD, "device_proof": proof}
    assert (await client.post("/api/v1/accounts/login", json=body)).status_code == 200
    _problem(await client.post("/api/v1/accounts/login", json=body), 401, "invalid_device_proof")


async def test_the_holder_sees_the_account_with_a_masked_phone_and_logs_out(client: AsyncClient, phone: Phone) -> None:
    headers = await _session_headers(client, phone)
    me = (await client.get("/api/v1/accounts/me", headers=headers)).json()
    assert (me["status"], me["level"], me["phone"]) == ("active", 2, "*******678")
    assert (await client.post("/api/v1/accounts/me/logout", headers=headers)).status_code == 204
    _problem(await client.get("/api/v1/accounts/me", headers=headers), 401, "holder_session_invalid")


async def test_logging_out_everywhere_needs_the_passcode(client: AsyncClient, phone: Phone) -> None:
    headers = await _session_headers(client, phone)
    other = (await _login(client, phone)).json()
    other_headers = {"Authorization": f"Bearer {other['token']}", "CivicID-Device": other["device_id"]}
    wrong = await client.post("/api/v1/accounts/me/logout-everywhere", headers=headers, json={"passcode": "111111"})
    _problem(wrong, 403, "invalid_passcode")
    done = await client.post("/api/v1/accounts/me/logout-everywhere", headers=headers, json={"passcode": PASSCODE})
    assert done.status_code == 204
    _problem(await client.get("/api/v1/accounts/me", headers=other_headers), 401, "holder_session_invalid")


async def test_self_lock_then_unlock_from_a_browser(client: AsyncClient, phone: Phone) -> None:
    headers = await _session_headers(client, phone)
    locked = await client.post("/api/v1/accounts/me/lock", headers=headers, json={"passcode": PASSCODE})
    assert locked.json() == {"status": "locked", "grounds": ["holder"]}
    refused = await _login(client, phone)
    _problem(refused, 423, "account_locked")
    assert refused.json()["grounds"] == ["holder"]
    credentials = {"id_number": phone.person.id_number, "password": HOLDER_PASSWORD}
    assert (await client.post("/api/v1/accounts/unlock/code", json=credentials)).status_code == 202
    code = codes_sent(phone.context, phone.account.id)[0]
    unlocked = await client.post("/api/v1/accounts/unlock", json={**credentials, "code": code, "passcode": PASSCODE})
    assert unlocked.json() == {"status": "active", "grounds": []}
    assert (await _login(client, phone)).status_code == 200


async def test_a_lost_phone_locks_from_any_browser(client: AsyncClient, phone: Phone) -> None:
    await _session_headers(client, phone)
    credentials = {"id_number": phone.person.id_number, "password": HOLDER_PASSWORD}
    assert (await client.post("/api/v1/accounts/lost-phone/code", json=credentials)).status_code == 202
    code = codes_sent(phone.context, phone.account.id)[0]
    done = await client.post("/api/v1/accounts/lost-phone/lock", json={**credentials, "code": code})
    assert done.json()["status"] == "locked"
    wrong = await client.post("/api/v1/accounts/lost-phone/code", json={**credentials, "password": "Sai-mat-khau-1"})
    _problem(wrong, 401, "invalid_credentials")


async def test_the_history_lists_the_logins_newest_first(client: AsyncClient, phone: Phone) -> None:
    headers = await _session_headers(client, phone)
    page = (await client.get("/api/v1/accounts/me/history", headers=headers)).json()
    assert page["entries"][0]["action"] == "account.login"
    assert "account.activate" in [e["action"] for e in page["entries"]]
    assert page["next_before"] is None
    devices = (await client.get("/api/v1/accounts/me/devices", headers=headers)).json()
    assert devices[0]["current"] is True


async def test_get_on_a_post_only_route_is_405_not_a_person(client: AsyncClient) -> None:
    response = await client.get("/api/v1/accounts/login")
    assert response.status_code == 405
