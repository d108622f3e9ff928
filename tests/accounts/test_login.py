"""Login from the bound device, the lock after five wrong passwords, and moving to a new device."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from tests.factories import HOLDER_PASSWORD, MakePerson, Phone, activated_phone, attempt, codes_sent

from civicid.accounts import login
from civicid.accounts.devices import BIND
from civicid.accounts.errors import (
    DeviceNotBound,
    HolderSessionInvalid,
    InvalidCode,
    InvalidDeviceProof,
    InvalidHolderCredentials,
    LoginLocked,
)
from civicid.accounts.hashing import FAST
from civicid.core import audit
from civicid.core.clock import FixedClock
from civicid.core.database import unit_of_work
from civicid.core.errors import CivicIDError
from civicid.core.runtime import Context


@pytest.fixture
def phone(context: Context, make_person: MakePerson) -> Phone:
    return activated_phone(context, make_person())


def _resolve(context: Context, token: str, device_id: str) -> login.Holder:
    with unit_of_work(context.database.sessions) as session:
        return login.resolve_session(session=session, clock=context.clock, token=token, device_id=device_id)


def _move_to(phone: Phone, new: Phone, *, wrong_code: bool = False) -> login.HolderLogin | CivicIDError:
    with unit_of_work(phone.context.database.sessions) as session:
        login.request_device_code(
            session=session,
            clock=phone.context.clock,
            id_number=phone.person.id_number,
            password=HOLDER_PASSWORD,
            hasher=FAST,
        )
    code = codes_sent(phone.context, phone.account.id)[0]
    arguments: dict[str, Any] = {
        "code": f"{(int(code) + 1) % 1_000_000:06d}" if wrong_code else code,
        "device_public_jwk": new.jwk,
        "device_proof": new.proof(BIND),
    }
    return attempt(
        phone.context,
        lambda session: login.bind_new_device(
            session=session,
            clock=phone.context.clock,
            id_number=phone.person.id_number,
            password=HOLDER_PASSWORD,
            hasher=FAST,
            **arguments,
        ),
    )


class TestLogin:
    def test_the_bound_device_logs_in_with_the_password(self, context: Context, phone: Phone) -> None:
        done = phone.login()
        assert isinstance(done, login.HolderLogin)
        holder = _resolve(context, done.token, done.device_id)
        assert (holder.account_id, holder.person_id) == (phone.account.id, phone.person.id)

    def test_a_wrong_password_and_an_unknown_id_number_get_the_same_refusal(
        self, context: Context, phone: Phone, make_person: MakePerson
    ) -> None:
        wrong = phone.login(password="Sai-mat-khau-1")
        stranger = Phone(context, make_person("Lò Thị Hoa"), phone.account)
        unknown = stranger.login()
        assert isinstance(wrong, InvalidHolderCredentials)
        assert isinstance(unknown, InvalidHolderCredentials)
        assert (wrong.code, wrong.detail) == (unknown.code, unknown.detail)

    def test_five_wrong_passwords_lock_login_even_for_the_right_one(self, phone: Phone) -> None:
        for _ in range(login.MAX_FAILED_LOGINS):
            assert isinstance(phone.login(password="Sai-mat-khau-1"), InvalidHolderCredentials)
        assert isinstance(phone.login(), LoginLocked)

    def test_the_lock_lifts_after_fifteen_minutes(self, clock: FixedClock, phone: Phone) -> None:
        for _ in range(login.MAX_FAILED_LOGINS):
            phone.login(password="Sai-mat-khau-1")
        clock.advance(login.LOCKOUT - dt.timedelta(seconds=1))
        assert isinstance(phone.login(), LoginLocked)
        clock.advance(dt.timedelta(seconds=1))
        assert isinstance(phone.login(), login.HolderLogin)

    def test_a_right_password_resets_the_count(self, phone: Phone) -> None:
        for _ in range(login.MAX_FAILED_LOGINS - 1):
            phone.login(password="Sai-mat-khau-1")
        assert isinstance(phone.login(), login.HolderLogin)
        for _ in range(login.MAX_FAILED_LOGINS - 1):
            phone.login(password="Sai-mat-khau-1")
        assert isinstance(phone.login(), login.HolderLogin)

    def test_another_device_cannot_log_in(self, context: Context, phone: Phone) -> None:
        other = phone.another_device()
        assert isinstance(phone.login(proof=other.proof()), DeviceNotBound)

    def test_a_stale_proof_is_refused(self, clock: FixedClock, phone: Phone) -> None:
        proof = phone.proof()
        clock.advance(dt.timedelta(minutes=3))
        assert isinstance(phone.login(proof=proof), InvalidDeviceProof)

    def test_a_session_is_for_its_device_and_expires(self, context: Context, clock: FixedClock, phone: Phone) -> None:
        done = phone.login()
        assert isinstance(done, login.HolderLogin)
        with pytest.raises(HolderSessionInvalid):
            _resolve(context, done.token, "another-device")
        clock.advance(login.SESSION_LIFETIME)
        with pytest.raises(HolderSessionInvalid):
            _resolve(context, done.token, done.device_id)


class TestNewDevice:
    def test_a_new_device_with_the_sms_code_unbinds_the_old_one(self, context: Context, phone: Phone) -> None:
        old_session = phone.login()
        assert isinstance(old_session, login.HolderLogin)
        new = phone.another_device()
        moved = _move_to(phone, new)
        assert isinstance(moved, login.HolderLogin)
        assert _resolve(context, moved.token, moved.device_id).account_id == phone.account.id
        with pytest.raises(HolderSessionInvalid):
            _resolve(context, old_session.token, old_session.device_id)
        assert isinstance(phone.login(), DeviceNotBound)
        assert isinstance(new.login(), login.HolderLogin)

    def test_a_wrong_code_binds_nothing(self, context: Context, phone: Phone) -> None:
        new = phone.another_device()
        assert isinstance(_move_to(phone, new, wrong_code=True), InvalidCode)
        assert isinstance(phone.login(), login.HolderLogin)
        assert isinstance(new.login(), DeviceNotBound)

    def test_the_code_needs_the_password(self, phone: Phone) -> None:
        with unit_of_work(phone.context.database.sessions) as session, pytest.raises(InvalidHolderCredentials):
            login.request_device_code(
                session=session,
                clock=phone.context.clock,
                id_number=phone.person.id_number,
                password="Sai-mat-khau-1",
                hasher=FAST,
            )
        assert len(codes_sent(phone.context, phone.account.id)) == 1  # the activation code only


def test_refused_logins_are_audited_with_ids_only(context: Context, phone: Phone) -> None:
    phone.login(password="Sai-mat-khau-1")
    phone.login(proof=phone.another_device().proof())
    with unit_of_work(context.database.sessions) as session:
        entries = audit.entries_for_subject(session=session, subject_type="person", subject_id=str(phone.person.id))
    refusals = [e.details for e in entries if e.action == "account.login_refuse"]
    assert [d["reason"] for d in refusals] == ["password", "device_not_bound"]
    assert all(phone.person.id_number not in str(d) for d in refusals)
