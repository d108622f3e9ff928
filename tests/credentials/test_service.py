"""Credentials issued by the server, on both databases: the e-ID QR from the app, documents with the passcode,
the paper card and its status following the account, revocation, key rotation and the online check."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from pathlib import Path

import pytest
from httpx import AsyncClient
from tests.factories import PASSCODE, MakePerson, Phone, activated_phone, held_licence
from typer.testing import Result

from civicid.accounts import locks
from civicid.accounts.holder import usage_history
from civicid.accounts.login import Holder as SessionHolder
from civicid.core.audit import SYSTEM
from civicid.core.clock import FixedClock
from civicid.core.database import unit_of_work
from civicid.core.jobs import Worker
from civicid.core.runtime import Context
from civicid.credentials import qr, service, tasks, trust_bundle
from civicid.credentials.keys import ANNOUNCE, IssuerKeys
from civicid.credentials.profiles import Profile
from civicid.credentials.verifier import verify
from civicid.wallet.portraits import PortraitVault

pytestmark = pytest.mark.anyio
QR = "/api/v1/accounts/me/credentials/qr"


@pytest.fixture
def client(holder_client: AsyncClient) -> AsyncClient:
    return holder_client


@pytest.fixture
def holder(context: Context, make_person: MakePerson) -> Phone:
    return activated_phone(context, make_person())


@pytest.fixture
def keys(context: Context) -> IssuerKeys:
    return IssuerKeys.of_data_dir(context.settings.data_dir)


def _headers(holder: Phone) -> dict[str, str]:
    done = holder.login()
    assert not isinstance(done, Exception)
    return {"Authorization": f"Bearer {done.token}", "CivicID-Device": done.device_id}


def _bundle(context: Context, keys: IssuerKeys) -> trust_bundle.TrustBundle:
    with unit_of_work(context.database.sessions) as session:
        text = service.trust_bundle(session=session, clock=context.clock, keys=keys)
    return trust_bundle.load(text, anchors=[service.trust_anchor(keys)], now=context.clock.now())


def _paper(context: Context, keys: IssuerKeys, person_id: int) -> str:
    with unit_of_work(context.database.sessions) as session:
        out, _, _ = service.paper_card_qr(
            session=session, clock=context.clock, keys=keys, vault=PortraitVault.of_data_dir(context.settings.data_dir),
            actor=SYSTEM, person_id=person_id,
        )  # fmt: skip
    return out.text


def _jobs(context: Context) -> int:
    return Worker(sessions=context.database.sessions, clock=context.clock, handlers=tasks.HANDLERS).run_until_idle()


async def test_the_e_id_qr_is_claim_169_bound_to_the_device_and_lives_a_minute(
    client: AsyncClient, context: Context, holder: Phone, keys: IssuerKeys, clock: FixedClock
) -> None:
    response = await client.post(QR, headers=_headers(holder), json={"fields": ["full_name", "date_of_birth"]})
    assert response.status_code == 200, response.text
    shown = response.json()
    assert shown["profile"] == "eid"
    assert shown["qr_version"] <= 20
    assert shown["svg"].startswith("<svg")
    bundle = trust_bundle.load((await client.get("/api/v1/credentials/trust-bundle")).text, now=clock.now())
    verdict = verify(shown["text"], bundle, now=clock.now())
    assert verdict.valid
    assert verdict.device_bound
    assert verdict.profile == "eid"
    assert set(verdict.disclosed) == {"full_name", "date_of_birth", "level"}
    assert verdict.disclosed["full_name"] == holder.person.full_name
    clock.advance(dt.timedelta(seconds=60 + bundle.rules.clock_skew))
    assert verify(shown["text"], bundle, now=clock.now()).reason == "expired"
    unknown = await client.post(QR, headers=_headers(holder), json={"fields": ["phone"]})
    assert unknown.status_code == 422


async def test_a_document_qr_needs_the_passcode(
    client: AsyncClient, context: Context, holder: Phone, keys: IssuerKeys
) -> None:
    document = held_licence(context, holder.person)
    body = {"kind": "driving_licence", "number": document.number, "fields": {"class": "A1"}}
    headers = _headers(holder)
    added = (await client.post("/api/v1/accounts/me/wallet/documents", headers=headers, json=body)).json()
    ask = {"profile": "driving_licence", "document_id": added["id"], "fields": ["number", "classes"]}
    wrong = await client.post(QR, headers=headers, json={**ask, "passcode": "000000"})
    assert wrong.status_code == 403, wrong.text
    shown = await client.post(QR, headers=headers, json={**ask, "passcode": PASSCODE})
    assert shown.status_code == 200, shown.text
    text = shown.json()["text"]
    assert text.startswith(qr.PREFIX)
    assert qr.version(text) <= 20
    verdict = verify(text, _bundle(context, keys), now=context.clock.now())
    assert verdict.valid
    assert verdict.disclosed["number"] == document.number
    over_18 = await client.post(QR, headers=headers, json={"profile": "age_over_18"})
    assert verify(over_18.json()["text"], _bundle(context, keys), now=context.clock.now()).disclosed == {
        "age_over_18": True
    }


def test_the_paper_card_follows_the_account_and_is_revoked_for_good(
    context: Context, holder: Phone, keys: IssuerKeys
) -> None:
    text = _paper(context, keys, holder.person.id)
    assert qr.version(text) <= 20
    assert not text.startswith(qr.PREFIX)
    assert verify(text, _bundle(context, keys), now=context.clock.now()).status == "valid"
    with unit_of_work(context.database.sessions) as session:
        lock = locks.place_officer_lock(
            session=session, clock=context.clock, actor=SYSTEM, account_id=holder.account.id, ground="tk03",
            reason="TK03 số 1",
        )  # fmt: skip
    assert _jobs(context) >= 1
    assert verify(text, _bundle(context, keys), now=context.clock.now()).reason == "suspended"
    with unit_of_work(context.database.sessions) as session:
        locks.lift_officer_lock(
            session=session, clock=context.clock, actor=SYSTEM, account_id=holder.account.id, lock_id=lock.id,
            reason="lifted",
        )  # fmt: skip
    _jobs(context)
    assert verify(text, _bundle(context, keys), now=context.clock.now()).valid
    with unit_of_work(context.database.sessions) as session:
        (card,) = service.credentials_of(session=session, person_id=holder.person.id)
        service.revoke(
            session=session, clock=context.clock, actor=SYSTEM, person_id=holder.person.id, credential_id=card.id,
            reason="lost",
        )  # fmt: skip
    assert verify(text, _bundle(context, keys), now=context.clock.now()).reason == "revoked"


def test_rotation_keeps_what_the_old_key_signed_valid(
    context: Context, holder: Phone, keys: IssuerKeys, clock: FixedClock
) -> None:
    old = _paper(context, keys, holder.person.id)
    with unit_of_work(context.database.sessions) as session:
        announced = keys.rotate(session=session, clock=clock)
    bundle = _bundle(context, keys)
    assert len(bundle.keys) == 2  # the next key is known before it signs
    clock.advance(ANNOUNCE + dt.timedelta(minutes=1))
    new = _paper(context, keys, holder.person.id)
    bundle = _bundle(context, keys)
    assert verify(old, bundle, now=clock.now()).valid
    assert verify(new, bundle, now=clock.now()).kid == announced.kid
    with unit_of_work(context.database.sessions) as session:
        keys.retire(session=session, clock=clock, kid=verify(old, bundle, now=clock.now()).kid or "", compromised=True)
    assert verify(old, _bundle(context, keys), now=clock.now()).reason == "unknown_issuer"


async def test_an_online_check_is_in_the_holders_usage_history(
    client: AsyncClient, context: Context, holder: Phone
) -> None:
    shown = (await client.post(QR, headers=_headers(holder), json={})).json()
    checked = await client.post("/api/v1/credentials/verify", json={"credential": shown["text"]})
    assert checked.json()["valid"] is True
    session_holder = SessionHolder(holder.account.id, holder.person.id, "", context.clock.now())
    with unit_of_work(context.database.sessions) as session:
        history = usage_history(session=session, clock=context.clock, holder=session_holder)
    assert [e.action for e in history][:2] == ["credentials.verify", "credentials.issue"]
    assert history[0].details == {"kind": Profile.EID.value, "status": "valid"}


def test_the_cli_verifies_an_image_and_prints_the_paper_card(
    civicid: Callable[..., Result], context: Context, holder: Phone, keys: IssuerKeys, tmp_path: Path
) -> None:
    text = _paper(context, keys, holder.person.id)
    bundle_file = tmp_path / "trust.jwt"
    assert civicid("credentials", "trust-bundle", "--out", str(bundle_file)).exit_code == 0
    image = tmp_path / "card.png"
    image.write_bytes(qr.png(text))
    done = civicid("verify", str(image), "--trust", str(bundle_file), "--json")
    assert done.exit_code == 0, done.output
    assert '"valid": true' in done.output
    assert holder.person.full_name in done.output
    anchored = civicid("verify", text, "--trust", str(bundle_file), "--anchor", service.trust_anchor(keys))
    assert anchored.exit_code == 0
    assert anchored.output.startswith("VALID eid-min")
    assert civicid("verify", text[:-9] + "AAAAAAAAA", "--trust", str(bundle_file)).exit_code in (1, 2)
    assert civicid("verify", "garbage", "--trust", str(bundle_file)).exit_code == 2
    assert civicid("verify", text, "--trust", str(tmp_path / "missing.jwt")).exit_code == 2
    pdf = tmp_path / "card.pdf"
    printed = civicid("wallet", "print-card", "--person", str(holder.person.id), "--out", str(pdf))
    assert printed.exit_code == 0, printed.output
    assert pdf.read_bytes().startswith(b"%PDF")
