"""No answer, and no difference in work, tells whether an account exists (issue 18, item 6).

Before: an activation code asked for a real pair past its SMS limit answered without hashing (a few
milliseconds) and a wrong pair after a whole Argon2id hash; a citizen's sixth wrong password was a
423 for a real ID number and a 401 for ever for an unknown one; staff logins gave 429 for a real
user and 401 for an unknown one. Timing is not asserted (never in tests): the work is, by counting
the hasher's calls, which is what the time follows.
"""

from __future__ import annotations

import contextlib
from dataclasses import dataclass, field

import pytest
from httpx import AsyncClient
from tests.factories import MakePerson, Phone, activated_phone, holder_phone, login_attempt, staff_member

from civicid.accounts import activation, codes, login
from civicid.accounts.hashing import FAST, SecretHasher
from civicid.core.database import unit_of_work
from civicid.core.errors import CivicIDError
from civicid.core.runtime import Context
from civicid.web.staff import StaffRole

WRONG = "Sai-mat-khau-1"
TRIES = 7


@dataclass(frozen=True)
class CountingHasher(SecretHasher):
    """FAST's cost, counting each hash and verification."""

    calls: list[str] = field(default_factory=list, compare=False)

    def hash(self, secret: str) -> str:
        self.calls.append("hash")
        return super().hash(secret)

    def verify(self, hashed: str | None, secret: str) -> bool:
        self.calls.append("verify")
        return super().verify(hashed, secret)


def counting() -> CountingHasher:
    """A counting hasher whose dummy hash (made once per process in production) is already made."""
    hasher = CountingHasher(time_cost=FAST.time_cost, memory_kib=FAST.memory_kib, parallelism=FAST.parallelism)
    hasher.verify(None, "prime the dummy")
    hasher.calls.clear()
    return hasher


def answers(results: list[object]) -> list[tuple[str, object]]:
    """What a client sees of each refusal: its code and its Retry-After."""
    return [
        (r.code, r.extensions.get("retry_after_seconds")) if isinstance(r, CivicIDError) else ("ok", None)
        for r in results
    ]


# The citizen's login ------------------------------------------------------------------------------


def test_an_unknown_id_number_is_locked_as_a_real_one_is(context: Context, make_person: MakePerson) -> None:
    real = activated_phone(context, make_person("Lò Thị Mai"))
    stranger = Phone(context, make_person("Lò Thị Hoa"), real.account)  # no account of their own
    real_answers = answers([real.login(password=WRONG) for _ in range(TRIES)])
    unknown_answers = answers([stranger.login(password=WRONG) for _ in range(TRIES)])
    assert real_answers == unknown_answers
    assert real_answers[login.MAX_FAILED_LOGINS][0] == "login_locked"


def _login_work(phone: Phone, password: str) -> list[str]:
    hasher = counting()
    with unit_of_work(phone.context.database.sessions) as session, contextlib.suppress(CivicIDError):
        login.check_password(
            session=session,
            clock=phone.context.clock,
            id_number=phone.person.id_number,
            password=password,
            hasher=hasher,
        )
    return hasher.calls


def test_a_locked_login_costs_the_work_of_a_password_check(context: Context, make_person: MakePerson) -> None:
    real = activated_phone(context, make_person("Lò Thị Mai"))
    stranger = Phone(context, make_person("Lò Thị Hoa"), real.account)
    wrong = _login_work(real, WRONG)
    unknown = _login_work(stranger, WRONG)
    for _ in range(login.MAX_FAILED_LOGINS):
        real.login(password=WRONG)
        stranger.login(password=WRONG)
    assert wrong == unknown == _login_work(real, WRONG) == _login_work(stranger, WRONG) == ["verify"]


# Activation codes ---------------------------------------------------------------------------------


def _code_request_work(context: Context, id_number: str, phone: str) -> list[str]:
    hasher = counting()
    with unit_of_work(context.database.sessions) as session:
        activation.request_activation_code(
            session=session, clock=context.clock, id_number=id_number, phone=phone, hasher=hasher
        )
    return hasher.calls


def test_asking_for_a_code_costs_the_same_for_a_real_pair_past_its_limit_and_a_wrong_pair(
    context: Context, make_person: MakePerson
) -> None:
    holder = holder_phone(context, make_person("Lò Thị Mai"))
    number = holder.person.id_number
    within = [_code_request_work(context, number, holder.phone) for _ in range(codes.MAX_SENDS)]
    past_limit = _code_request_work(context, number, holder.phone)
    wrong_pair = _code_request_work(context, number, "0987654321")
    assert within == [["hash"]] * codes.MAX_SENDS
    assert past_limit == wrong_pair == ["hash"]


# Staff login --------------------------------------------------------------------------------------


@pytest.mark.anyio
async def test_an_unknown_username_is_locked_as_a_real_one_is(client: AsyncClient, context: Context) -> None:
    real = staff_member(context, StaffRole.OPERATOR)

    async def tries(username: str) -> list[tuple[int, str]]:
        seen = []
        for _ in range(TRIES):
            response = await login_attempt(client, username, WRONG)
            seen.append((response.status_code, response.json()["code"]))
        return seen

    real_answers = await tries(real)
    unknown_answers = await tries("nobody.test")
    assert real_answers == unknown_answers
    assert real_answers[-1] == (429, "account_locked")
