"""Level 1 on the phone: ID number, own phone, a selfie matched against the registry's portrait and the
card's QR checked against the registry; an answer at once, the reason when refused, attempts limited and audited."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import select
from tests.factories import (
    MakePerson,
    audit_actions,
    card_qr_png,
    codes_sent,
    register_level1,
    selfie_of,
)

from civicid.accounts import level1
from civicid.accounts.errors import InvalidHolderInput, Level1Refused
from civicid.accounts.models import AccountStatus, EidAccount, Level1Attempt
from civicid.core.clock import FixedClock
from civicid.core.database import unit_of_work
from civicid.core.runtime import Context
from civicid.country.sex import Sex
from civicid.registry.schemas import PersonRead


@pytest.fixture
def adult(make_person: MakePerson) -> PersonRead:
    return make_person("Lò Văn Chiến", dt.date(1990, 5, 17), Sex.MALE)


def _reason(outcome: object) -> str:
    assert isinstance(outcome, Level1Refused), outcome
    return str(outcome.extensions["reason"])


def _account(context: Context, account_id: str) -> EidAccount:
    with unit_of_work(context.database.sessions) as session:
        account = session.get(EidAccount, account_id)
        assert account is not None
        session.expunge(account)
        return account


def test_a_matching_selfie_and_card_open_a_level_1_account_and_send_the_activation_code(
    context: Context, adult: PersonRead
) -> None:
    done = register_level1(context, adult)
    assert isinstance(done, level1.Level1Registered), done
    account = _account(context, done.account_id)
    assert (account.level, account.status, account.phone) == (1, AccountStatus.PENDING_ACTIVATION, "0912345678")
    assert len(codes_sent(context, done.account_id)) == 1
    assert [d["simulated"] for d in audit_actions(context, "account.level1_register")] == [True]


def test_the_selfie_of_another_person_is_refused_as_not_the_same_person(
    context: Context, adult: PersonRead, make_person: MakePerson
) -> None:
    other = make_person("Hà Thị Lan", dt.date(1992, 1, 9), Sex.FEMALE)
    assert _reason(register_level1(context, adult, selfie=selfie_of(other))) == "not_same_person"
    assert audit_actions(context, "account.level1_refuse") == [{"reason": "not_same_person"}]


def test_an_image_without_a_face_is_refused_as_no_face(context: Context, adult: PersonRead) -> None:
    assert _reason(register_level1(context, adult, selfie=card_qr_png(adult))) == "no_face"


def test_the_card_qr_of_another_person_is_refused(context: Context, adult: PersonRead, make_person: MakePerson) -> None:
    other = make_person("Hà Thị Lan", dt.date(1992, 1, 9), Sex.FEMALE)
    assert _reason(register_level1(context, adult, card=card_qr_png(other))) == "card_not_matching"
    assert audit_actions(context, "account.level1_refuse") == [{"reason": "card_not_matching"}]


def test_a_card_qr_that_disagrees_with_the_registry_is_refused(context: Context, adult: PersonRead) -> None:
    forged = card_qr_png(adult, full_name="Lò Văn Chiên")
    assert _reason(register_level1(context, adult, card=forged)) == "card_not_matching"


def test_a_photo_without_a_qr_is_unreadable(context: Context, adult: PersonRead) -> None:
    assert _reason(register_level1(context, adult, card=b"\x89PNG not really")) == "card_unreadable"


def test_someone_who_already_has_an_account_is_told_so_after_proving_who_they_are(
    context: Context, adult: PersonRead
) -> None:
    assert isinstance(register_level1(context, adult), level1.Level1Registered)
    assert _reason(register_level1(context, adult, phone="0987654321")) == "already_has_account"


def test_a_child_cannot_register_alone(context: Context, make_person: MakePerson) -> None:
    child = make_person("Lò Văn Minh", dt.date(2015, 2, 3), Sex.MALE)
    assert _reason(register_level1(context, child)) == "too_young"


def test_attempts_per_id_number_are_limited_per_day_and_the_limit_passes(
    context: Context, adult: PersonRead, make_person: MakePerson, clock: FixedClock
) -> None:
    other = make_person("Hà Thị Lan", dt.date(1992, 1, 9), Sex.FEMALE)
    for _ in range(level1.MAX_ATTEMPTS_PER_ID_NUMBER):
        assert _reason(register_level1(context, adult, selfie=selfie_of(other))) == "not_same_person"
    # Even the right face is refused now: the limit is on the number, not on the outcome.
    assert _reason(register_level1(context, adult)) == "too_many_attempts"
    clock.advance(level1.ATTEMPT_WINDOW)
    assert isinstance(register_level1(context, adult), level1.Level1Registered)


def test_attempts_from_one_phone_are_limited_across_id_numbers(context: Context, make_person: MakePerson) -> None:
    people = [make_person(f"Người {i}", dt.date(1980 + i, 1, 1), Sex.MALE) for i in range(6)]
    outcomes = [_reason(register_level1(context, p, card=b"none", phone="0911222333")) for p in people]
    assert outcomes == ["card_unreadable"] * 5 + ["too_many_attempts"]


def test_every_attempt_is_kept_with_digests_only(context: Context, adult: PersonRead) -> None:
    register_level1(context, adult, card=b"none")
    register_level1(context, adult)
    with unit_of_work(context.database.sessions) as session:
        rows = session.scalars(select(Level1Attempt).order_by(Level1Attempt.attempted_at, Level1Attempt.outcome)).all()
        outcomes = sorted(r.outcome for r in rows)
        stored = " ".join(f"{r.id_number_digest} {r.phone_digest}" for r in rows)
    assert outcomes == ["card_unreadable", "registered"]
    assert adult.id_number not in stored
    assert "0912345678" not in stored


def test_malformed_input_is_refused_before_any_check(context: Context, adult: PersonRead) -> None:
    assert isinstance(_raises(context, adult, id_number="12345"), InvalidHolderInput)


def _raises(context: Context, person: PersonRead, **changes: str) -> Exception:
    try:
        register_level1(context, person, **changes)  # type: ignore[arg-type]
    except InvalidHolderInput as exc:
        return exc
    raise AssertionError("not refused")
