"""Activation on the phone: ID number + phone → SMS code → password, passcode, questions, device → active."""

from __future__ import annotations

import datetime as dt
import json

import pytest
from sqlalchemy import select
from tests.factories import ANSWERS, HOLDER_PASSWORD, MakePerson, Phone, audit_actions, codes_sent, holder_phone

from civicid.accounts import activation, codes
from civicid.accounts.errors import InvalidCode, InvalidHolderInput, InvalidTicket
from civicid.accounts.hashing import FAST, normalise_answer
from civicid.accounts.models import AccountCode, AccountCredential, AccountDevice, AccountStatus, EidAccount
from civicid.core.audit import AuditEntry, verify_chain
from civicid.core.clock import FixedClock
from civicid.core.database import unit_of_work
from civicid.core.runtime import Context
from civicid.notify import service as notify


@pytest.fixture
def phone(context: Context, make_person: MakePerson) -> Phone:
    return holder_phone(context, make_person())


def _request(context: Context, id_number: str, number: str) -> activation.CodeRequested:
    with unit_of_work(context.database.sessions) as session:
        return activation.request_activation_code(
            session=session, clock=context.clock, id_number=id_number, phone=number, hasher=FAST
        )


class TestRequestCode:
    def test_the_answer_is_the_same_whether_or_not_the_pair_matches_an_account(
        self, context: Context, phone: Phone, make_person: MakePerson
    ) -> None:
        stranger = make_person("Lò Thị Hoa")
        matching = _request(context, phone.person.id_number, phone.phone)
        wrong_phone = _request(context, phone.person.id_number, "0987654321")
        no_account = _request(context, stranger.id_number, phone.phone)
        assert matching == wrong_phone == no_account
        # Only the account's own phone got an SMS, and only once.
        assert len(codes_sent(context, phone.account.id)) == 1

    def test_the_code_is_stored_only_as_an_argon2id_hash(self, context: Context, phone: Phone) -> None:
        code = phone.request_code()
        with unit_of_work(context.database.sessions) as session:
            row = session.scalars(select(AccountCode)).one()
        assert row.code_hash.startswith("$argon2id$")
        assert code not in row.code_hash

    def test_a_new_request_replaces_the_old_code(self, phone: Phone) -> None:
        old = phone.request_code()
        new = phone.request_code()
        if old != new:
            assert isinstance(phone.verify(old), InvalidCode)
        assert isinstance(phone.verify(new), str)

    def test_no_more_than_five_sms_an_hour_and_the_answer_does_not_change(
        self, context: Context, clock: FixedClock, phone: Phone
    ) -> None:
        answers = {_request(context, phone.person.id_number, phone.phone) for _ in range(codes.MAX_SENDS + 2)}
        assert len(answers) == 1
        assert len(codes_sent(context, phone.account.id)) == codes.MAX_SENDS
        clock.advance(codes.SEND_WINDOW)
        _request(context, phone.person.id_number, phone.phone)
        assert len(codes_sent(context, phone.account.id)) == codes.MAX_SENDS + 1


class TestVerifyCode:
    def test_the_right_code_gives_a_ticket(self, phone: Phone) -> None:
        assert isinstance(phone.verify(phone.request_code()), str)

    def test_a_code_expires_after_five_minutes(self, context: Context, clock: FixedClock, phone: Phone) -> None:
        code = phone.request_code()
        clock.advance(codes.CODE_LIFETIME)
        assert isinstance(phone.verify(code), InvalidCode)
        assert audit_actions(context, "account.activation_code_refuse") == [{"account_id": phone.account.id}]

    def test_a_code_is_single_use(self, context: Context, phone: Phone) -> None:
        code = phone.request_code()
        assert isinstance(phone.verify(code), str)
        assert isinstance(phone.verify(code), InvalidCode)
        assert audit_actions(context, "account.activation_code_verify") == [{"account_id": phone.account.id}]
        assert audit_actions(context, "account.activation_code_refuse") == [{"account_id": phone.account.id}]

    def test_five_wrong_codes_kill_the_code(self, phone: Phone) -> None:
        code = phone.request_code()
        wrong = f"{(int(code) + 1) % 1_000_000:06d}"
        for _ in range(codes.MAX_ATTEMPTS):
            assert isinstance(phone.verify(wrong), InvalidCode)
        assert isinstance(phone.verify(code), InvalidCode)
        # A new code starts afresh.
        assert isinstance(phone.verify(phone.request_code()), str)

    def test_a_wrong_pair_gets_the_same_refusal_as_a_wrong_code(self, context: Context, phone: Phone) -> None:
        code = phone.request_code()
        stranger = Phone(context, phone.person, phone.account, phone="0987654321")
        refusal = stranger.verify(code)
        assert isinstance(refusal, InvalidCode)
        assert (refusal.code, refusal.detail) == (InvalidCode.code, str(phone.verify("000000")))


class TestCompleteActivation:
    def test_activation_sets_active_binds_the_device_and_is_audited_with_ids_only(
        self, context: Context, phone: Phone
    ) -> None:
        done = phone.activate()
        with unit_of_work(context.database.sessions) as session:
            account = session.get(EidAccount, phone.account.id)
            device = session.get(AccountDevice, phone.account.id)
            entries = session.scalars(select(AuditEntry).where(AuditEntry.action.like("account.%"))).all()
            assert verify_chain(session=session).intact
        assert account is not None
        assert account.status is AccountStatus.ACTIVE
        assert account.activated_at == context.clock.now()
        assert device is not None
        assert device.device_id == done.device_id
        assert "account.activate" in [e.action for e in entries]
        text = json.dumps([e.details for e in entries], ensure_ascii=False)
        assert phone.person.id_number not in text
        assert phone.phone not in text

    @pytest.mark.parametrize(
        "password",
        ["Ab1!xyz", "Abcdefghijk1!Abcdefghi", "abcdefg1!", "ABCDEFG1!", "Abcdefgh!", "Abcdefgh1"],
        ids=["too_short", "too_long", "no_upper", "no_lower", "no_digit", "no_special"],
    )
    def test_password_policy(self, phone: Phone, password: str) -> None:
        ticket = phone.verify(phone.request_code())
        assert isinstance(ticket, str)
        with pytest.raises(InvalidHolderInput, match="password needs"):
            phone.complete(ticket, password=password)

    @pytest.mark.parametrize("passcode", ["12345", "1234567", "12a456", "١٢٣٤٥٦"])
    def test_the_passcode_is_six_digits(self, phone: Phone, passcode: str) -> None:
        ticket = phone.verify(phone.request_code())
        assert isinstance(ticket, str)
        with pytest.raises(InvalidHolderInput, match="passcode"):
            phone.complete(ticket, passcode=passcode)

    def test_two_different_questions_are_answered(self, phone: Phone) -> None:
        ticket = phone.verify(phone.request_code())
        assert isinstance(ticket, str)
        with pytest.raises(InvalidHolderInput, match="exactly 2"):
            phone.complete(ticket, answers=ANSWERS[:1])
        with pytest.raises(InvalidHolderInput, match="differ"):
            phone.complete(ticket, answers=(ANSWERS[0], ANSWERS[0]))

    def test_answers_are_normalised_then_hashed(self, context: Context, phone: Phone) -> None:
        phone.activate()
        with unit_of_work(context.database.sessions) as session:
            credential = session.get(AccountCredential, phone.account.id)
        assert credential is not None
        assert credential.answer_2_hash.startswith("$argon2id$")
        assert FAST.verify(credential.answer_2_hash, normalise_answer("  nà   PỤC "))
        assert FAST.verify(credential.password_hash, HOLDER_PASSWORD)
        assert not FAST.verify(credential.answer_2_hash, normalise_answer("Na Puc"))

    def test_the_ticket_is_single_use_and_expires(self, clock: FixedClock, phone: Phone) -> None:
        ticket = phone.verify(phone.request_code())
        assert isinstance(ticket, str)
        phone.complete(ticket)
        with pytest.raises(InvalidTicket):
            phone.complete(ticket)

    def test_an_expired_ticket_is_refused(self, clock: FixedClock, phone: Phone) -> None:
        ticket = phone.verify(phone.request_code())
        assert isinstance(ticket, str)
        clock.advance(codes.TICKET_LIFETIME + dt.timedelta(seconds=1))
        with pytest.raises(InvalidTicket):
            phone.complete(ticket)

    def test_an_active_account_cannot_be_activated_again(self, context: Context, phone: Phone) -> None:
        phone.activate()
        _request(context, phone.person.id_number, phone.phone)
        assert len(codes_sent(context, phone.account.id)) == 1

    def test_a_bad_device_key_is_refused(self, phone: Phone) -> None:
        ticket = phone.verify(phone.request_code())
        assert isinstance(ticket, str)
        with pytest.raises(InvalidHolderInput, match="device key"):
            phone.complete(ticket, device_public_jwk={"kty": "EC", "crv": "P-256", "x": "AA", "y": "AA"})


def test_staff_see_the_sms_with_the_code_masked(context: Context, phone: Phone) -> None:
    code = phone.request_code()
    with unit_of_work(context.database.sessions) as session:
        (sms,) = notify.list_sms(session=session, related_type="account", related_id=phone.account.id)
    assert code not in sms.text
    assert code not in sms.text_en
    assert "••••••" in sms.text_en
