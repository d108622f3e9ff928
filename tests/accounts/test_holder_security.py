"""The holder's account after activation: proofs answer one challenge, the passcode is checked and
attempt-limited, the account locks on its grounds and unlocks when none remains, and its history shows it."""

from __future__ import annotations

import datetime as dt

import pytest
from tests.factories import ANSWERS, PASSCODE, MakePerson, Phone, attempt, audit_actions, codes_sent
from tests.factories import HOLDER_PASSWORD as PASSWORD
from tests.factories import issued_account as issue

from civicid.accounts import holder, locks, login, tasks
from civicid.accounts.devices import make_proof
from civicid.accounts.errors import (
    AccountLocked,
    HolderSessionInvalid,
    InvalidCode,
    InvalidDeviceProof,
    InvalidHolderInput,
    InvalidPasscode,
    LockNotLiftable,
    PasscodeLocked,
)
from civicid.accounts.hashing import FAST
from civicid.accounts.models import AccountStatus, CodePurpose, LockGround
from civicid.accounts.passcode import MAX_FAILED_PASSCODES, verify_passcode
from civicid.core import audit, jobs
from civicid.core.audit import SYSTEM, Actor
from civicid.core.clock import FixedClock
from civicid.core.database import unit_of_work
from civicid.core.runtime import Context
from civicid.registry import service as registry
from civicid.registry.models import CardStatus, ResidenceStatus
from civicid.registry.schemas import IdCardIn, PersonUpdate

OFFICER = Actor("staff", "officer")
SUPERVISOR = Actor("staff", "supervisor")


@pytest.fixture
def phone(context: Context, make_person: MakePerson) -> Phone:
    person = make_person()
    holder_phone = Phone(context, person, issue(context, person))
    holder_phone.activate()
    return holder_phone


def status_of(phone: Phone) -> AccountStatus:
    with unit_of_work(phone.context.database.sessions) as session:
        return login.repository.get_account(session, phone.account.id).status  # type: ignore[union-attr]


def passcode(phone: Phone, value: str, holder_: login.Holder) -> object:
    return attempt(
        phone.context,
        lambda session: verify_passcode(
            session=session,
            clock=phone.context.clock,
            account_id=holder_.account_id,
            passcode=value,
            action="open_document",
            hasher=FAST,
        ),
    )


def actions(phone: Phone) -> list[str]:
    with unit_of_work(phone.context.database.sessions) as session:
        entries = audit.entries_for_subject(session=session, subject_type="person", subject_id=str(phone.person.id))
        return [e.action for e in entries]


class TestDeviceProofs:
    def test_a_captured_proof_cannot_be_replayed(self, phone: Phone) -> None:
        proof = phone.proof()
        assert isinstance(phone.login(proof=proof), login.HolderLogin)
        assert isinstance(phone.login(proof=proof), InvalidDeviceProof)
        assert actions(phone)[-1] == "account.login_refuse"

    def test_a_proof_answering_no_challenge_is_refused(self, phone: Phone) -> None:
        never_issued = make_proof(
            phone.key,
            purpose="login",
            id_number=phone.person.id_number,
            nonce="never-issued",
            clock=phone.context.clock,
        )
        assert isinstance(phone.login(proof=never_issued), InvalidDeviceProof)
        assert "account.login_refuse" in actions(phone)

    def test_a_challenge_expires(self, phone: Phone, clock: FixedClock) -> None:
        proof = phone.proof()
        clock.advance(dt.timedelta(minutes=3))
        assert isinstance(phone.login(proof=proof), InvalidDeviceProof)


class TestSecurityQuestions:
    def test_an_unknown_question_id_is_refused(self, context: Context, make_person: MakePerson) -> None:
        person = make_person()
        fresh = Phone(context, person, issue(context, person))
        ticket = fresh.verify(fresh.request_code())
        assert isinstance(ticket, str)
        answers = (ANSWERS[0], ANSWERS[1].__class__("what_is_love", "baby don't hurt me"))
        with pytest.raises(InvalidHolderInput):
            fresh.complete(ticket, answers=answers)


class TestPasscode:
    def test_the_right_passcode_confirms_and_clears_the_count(self, phone: Phone) -> None:
        me = phone.session()
        assert isinstance(passcode(phone, "000000", me), InvalidPasscode)
        assert passcode(phone, PASSCODE, me) is None

    def test_the_sixth_wrong_passcode_is_refused_as_locked_and_the_sessions_end(
        self, phone: Phone, clock: FixedClock
    ) -> None:
        me = phone.session()
        refusals = [passcode(phone, "000000", me) for _ in range(MAX_FAILED_PASSCODES)]
        assert all(isinstance(r, InvalidPasscode) for r in refusals)
        assert isinstance(passcode(phone, "000000", me), PasscodeLocked)
        assert isinstance(passcode(phone, PASSCODE, me), PasscodeLocked)  # even the right one, for a while
        with pytest.raises(HolderSessionInvalid), unit_of_work(phone.context.database.sessions) as session:
            login.resolve_session(session=session, clock=clock, token="x", device_id=me.device_id)
        assert actions(phone).count("account.passcode_refuse") == MAX_FAILED_PASSCODES + 2
        clock.advance(dt.timedelta(minutes=16))
        assert passcode(phone, PASSCODE, me) is None


class TestLocks:
    def test_the_holder_locks_with_the_passcode_and_then_cannot_log_in(self, phone: Phone) -> None:
        me = phone.session()
        with unit_of_work(phone.context.database.sessions) as session:
            holder.lock_self(session=session, clock=phone.context.clock, holder=me, passcode=PASSCODE, hasher=FAST)
        assert status_of(phone) is AccountStatus.LOCKED
        refused = phone.login()
        assert isinstance(refused, AccountLocked)
        assert refused.extensions["grounds"] == ["holder"]
        assert {"account_id": phone.account.id, "reason": "locked"} in audit_actions(
            phone.context, "account.login_refuse"
        )

    def test_a_wrong_passcode_locks_nothing(self, phone: Phone) -> None:
        me = phone.session()
        refused = attempt(
            phone.context,
            lambda session: holder.lock_self(
                session=session, clock=phone.context.clock, holder=me, passcode="999999", hasher=FAST
            ),
        )
        assert isinstance(refused, InvalidPasscode)
        assert status_of(phone) is AccountStatus.ACTIVE

    def test_a_lost_phone_is_locked_and_unbound_from_any_browser_then_unlocked(self, phone: Phone) -> None:
        code = self._code(phone, CodePurpose.LOST_PHONE)
        with unit_of_work(phone.context.database.sessions) as session:
            holder.lock_lost_phone(
                session=session,
                clock=phone.context.clock,
                id_number=phone.person.id_number,
                password=PASSWORD,
                code=code,
                hasher=FAST,
            )
        assert status_of(phone) is AccountStatus.LOCKED
        with unit_of_work(phone.context.database.sessions) as session:
            assert login.repository.get_device(session, phone.account.id) is None
        unlock_code = self._code(phone, CodePurpose.UNLOCK)
        with unit_of_work(phone.context.database.sessions) as session:
            done = holder.unlock_self(
                session=session,
                clock=phone.context.clock,
                id_number=phone.person.id_number,
                password=PASSWORD,
                passcode=PASSCODE,
                code=unlock_code,
                hasher=FAST,
            )
        assert (done.status, done.grounds_left) == (AccountStatus.ACTIVE, [])

    def test_the_holder_cannot_lift_an_officers_lock(self, phone: Phone) -> None:
        self._lock(phone, OFFICER, LockGround.TK03)
        code = self._code(phone, CodePurpose.UNLOCK)
        with pytest.raises(LockNotLiftable):
            self._unlock(phone, code)
        assert status_of(phone) is AccountStatus.LOCKED

    def test_a_used_unlock_code_does_not_unlock_twice(self, phone: Phone) -> None:
        self._lock(phone, holder_actor(phone), LockGround.HOLDER)
        code = self._code(phone, CodePurpose.UNLOCK)
        assert self._unlock(phone, code).status is AccountStatus.ACTIVE  # type: ignore[attr-defined]
        self._lock(phone, holder_actor(phone), LockGround.HOLDER)
        assert isinstance(self._unlock(phone, code), InvalidCode)
        assert status_of(phone) is AccountStatus.LOCKED

    def test_an_officer_lock_is_lifted_by_a_supervisor_and_the_account_unlocks(self, phone: Phone) -> None:
        lock = self._lock(phone, OFFICER, LockGround.TK03)
        assert status_of(phone) is AccountStatus.LOCKED
        with unit_of_work(phone.context.database.sessions) as session:
            locks.lift_lock(
                session=session,
                clock=phone.context.clock,
                actor=SUPERVISOR,
                account_id=phone.account.id,
                lock_id=lock.id,
                reason="TK03 withdrawn",
            )
        assert status_of(phone) is AccountStatus.ACTIVE
        with unit_of_work(phone.context.database.sessions) as session:
            history = locks.locks_of(session=session, account_id=phone.account.id)
        assert [(h.ground, h.lifted_by) for h in history] == [(LockGround.TK03, "staff:supervisor")]

    def test_two_grounds_unlock_only_when_both_are_lifted(self, phone: Phone) -> None:
        officer = self._lock(phone, OFFICER, LockGround.BREACH)
        self._lock(phone, holder_actor(phone), LockGround.HOLDER)
        with unit_of_work(phone.context.database.sessions) as session:
            locks.lift_lock(
                session=session,
                clock=phone.context.clock,
                actor=SUPERVISOR,
                account_id=phone.account.id,
                lock_id=officer.id,
                reason="cleared",
            )
        assert status_of(phone) is AccountStatus.LOCKED

    def test_death_and_an_invalid_card_lock_by_themselves_and_a_new_card_unlocks(
        self, phone: Phone, clock: FixedClock
    ) -> None:
        context = phone.context
        card = self._new_card(phone, dt.date(2021, 5, 1))
        self._run_jobs(context)
        assert status_of(phone) is AccountStatus.ACTIVE
        with unit_of_work(context.database.sessions) as session:
            registry.set_id_card_status(
                session=session,
                clock=clock,
                actor=OFFICER,
                person_id=phone.person.id,
                card_id=card.id,
                status=CardStatus.REVOKED,
            )
        self._run_jobs(context)
        assert status_of(phone) is AccountStatus.LOCKED
        assert isinstance(phone.login(), AccountLocked)
        self._new_card(phone, dt.date(2026, 11, 1))
        self._run_jobs(context)
        assert status_of(phone) is AccountStatus.ACTIVE
        with unit_of_work(context.database.sessions) as session:
            registry.update_person(
                session=session,
                clock=clock,
                actor=OFFICER,
                person_id=phone.person.id,
                changes=PersonUpdate(residence_status=ResidenceStatus.DECEASED),
            )
        self._run_jobs(context)
        with unit_of_work(context.database.sessions) as session:
            assert locks.active_grounds(session=session, account_id=phone.account.id) == {LockGround.DEATH}

    def test_nobody_lifts_the_registrys_grounds_by_hand(self, phone: Phone) -> None:
        lock = self._lock(phone, SYSTEM, LockGround.DEATH)
        with pytest.raises(LockNotLiftable), unit_of_work(phone.context.database.sessions) as session:
            locks.lift_lock(
                session=session,
                clock=phone.context.clock,
                actor=SUPERVISOR,
                account_id=phone.account.id,
                lock_id=lock.id,
                reason="no",
            )

    @staticmethod
    def _new_card(phone: Phone, issued: dt.date) -> registry.IdCardRead:
        with unit_of_work(phone.context.database.sessions) as session:
            return registry.issue_id_card(
                session=session,
                clock=phone.context.clock,
                actor=OFFICER,
                person_id=phone.person.id,
                card_in=IdCardIn(issue_date=issued, expiry_date=dt.date(2045, 3, 2)),
            )

    @staticmethod
    def _code(phone: Phone, purpose: CodePurpose) -> str:
        with unit_of_work(phone.context.database.sessions) as session:
            holder.request_code(
                session=session,
                clock=phone.context.clock,
                id_number=phone.person.id_number,
                password=PASSWORD,
                purpose=purpose,
                hasher=FAST,
            )
        return codes_sent(phone.context, phone.account.id)[0]

    @staticmethod
    def _unlock(phone: Phone, code: str) -> object:
        return attempt(
            phone.context,
            lambda session: holder.unlock_self(
                session=session,
                clock=phone.context.clock,
                id_number=phone.person.id_number,
                password=PASSWORD,
                passcode=PASSCODE,
                code=code,
                hasher=FAST,
            ),
        )

    @staticmethod
    def _lock(phone: Phone, actor: Actor, ground: LockGround) -> locks.LockRead:
        with unit_of_work(phone.context.database.sessions) as session:
            return locks.place_lock(
                session=session,
                clock=phone.context.clock,
                actor=actor,
                account_id=phone.account.id,
                ground=ground,
                reason="TK03 no. 17/2026",
            )

    @staticmethod
    def _run_jobs(context: Context) -> None:
        worker = jobs.Worker(sessions=context.database.sessions, clock=context.clock, handlers=tasks.HANDLERS)
        worker.run_until_idle()


def holder_actor(phone: Phone) -> Actor:
    return Actor("holder", phone.account.id)


class TestHistory:
    def test_the_history_shows_logins_and_staff_reads_newest_first_in_pages(
        self, phone: Phone, clock: FixedClock
    ) -> None:
        for _ in range(3):
            clock.advance(dt.timedelta(minutes=1))
            assert isinstance(phone.login(), login.HolderLogin)
        me = phone.session()
        with unit_of_work(phone.context.database.sessions) as session:
            registry.get_person(session=session, clock=clock, actor=OFFICER, person_id=phone.person.id)
        with unit_of_work(phone.context.database.sessions) as session:
            first = holder.usage_history(session=session, clock=clock, holder=me, limit=2)
            rest = holder.usage_history(session=session, clock=clock, holder=me, before_seq=first[-1].seq)
        assert [e.seq for e in first] == sorted((e.seq for e in first), reverse=True)
        assert first[0].actor_kind == "staff"
        assert all(e.seq < first[-1].seq for e in rest)
        assert sum(1 for e in [*first, *rest] if e.action == "account.login") == 4
        assert all(e.actor == "self" for e in [*first, *rest] if e.actor_kind == "holder")

    def test_entries_older_than_five_years_are_not_shown(self, phone: Phone, clock: FixedClock) -> None:
        me = phone.session()
        clock.advance(dt.timedelta(days=365 * 5 + 5))
        with unit_of_work(phone.context.database.sessions) as session:
            assert holder.usage_history(session=session, clock=clock, holder=me) == []
