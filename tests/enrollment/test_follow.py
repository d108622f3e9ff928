"""Following an application by its receipt code: the status and the next step, no personal data, rate-limited."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from httpx import AsyncClient
from tests.factories import PeopleOf, approved

from civicid.core import audit
from civicid.core.database import unit_of_work
from civicid.core.runtime import Context
from civicid.enrollment import follow
from civicid.enrollment.router import FOLLOW_LIMIT
from civicid.enrollment.runtime import blobs_of, keystore_of
from civicid.protocol.packet import receipt_code
from civicid.registry.schemas import PersonRead
from civicid.sim.captures import SimulatedKit, deliver

pytestmark = pytest.mark.anyio


@pytest.fixture
def captured(context: Context, kit: SimulatedKit, people: PeopleOf) -> tuple[PersonRead, str]:
    """One adult captured by the kit and delivered: (the person, the code on the receipt)."""
    (person,) = people("14_plus", 1)
    packet = kit.capture(
        person=person, clock=context.clock, server_public_key=keystore_of(context).sealing_public_key()
    )
    with unit_of_work(context.database.sessions) as session:
        deliver(session=session, clock=context.clock, blobs=blobs_of(context), packet=packet)
    return person, receipt_code(packet.envelope.application_id)


def test_the_code_is_found_however_it_is_typed(context: Context, captured: tuple[PersonRead, str]) -> None:
    _, code = captured
    typed = code.lower().replace("-", " ")
    with unit_of_work(context.database.sessions) as session:
        found = follow.follow(session=session, clock=context.clock, code=typed)
    assert (found.code, found.status.value, found.next_step) == (code, "processing", "wait_for_checks")


def test_an_issued_application_says_to_activate_in_the_app(
    context: Context, captured: tuple[PersonRead, str], run_pipeline: Callable[[], int]
) -> None:
    _, code = captured
    run_pipeline()
    with unit_of_work(context.database.sessions) as session:
        application_id = _id(session, code)
    approved(context, application_id)
    run_pipeline()
    with unit_of_work(context.database.sessions) as session:
        found = follow.follow(session=session, clock=context.clock, code=code)
    assert (found.status.value, found.next_step) == ("issued", "activate_in_app")


def _id(session: object, code: str) -> str:
    from sqlalchemy import select

    from civicid.enrollment.models import Application

    return str(session.scalar(select(Application.id).where(Application.receipt_code == code)))  # type: ignore[attr-defined]


async def test_the_answer_carries_no_personal_data(client: AsyncClient, captured: tuple[PersonRead, str]) -> None:
    person, code = captured
    response = await client.get(f"/api/v1/enrollment/follow/{code}")
    assert response.status_code == 200, response.text
    body = response.json()
    assert set(body) == {"code", "status", "application_type", "next_step", "next_step_text", "updated_on"}
    for value in (person.full_name, person.id_number, person.date_of_birth.isoformat(), person.phone or "-"):
        assert value not in response.text
    page = await client.get(f"/follow?code={code}&lang=vi")
    assert page.status_code == 200
    assert "Việc cần làm tiếp theo" in page.text
    assert person.full_name not in page.text


async def test_an_unknown_code_and_a_malformed_one_are_problems(client: AsyncClient, context: Context) -> None:
    unknown = await client.get("/api/v1/enrollment/follow/ABCD-EF23")
    assert (unknown.status_code, unknown.json()["code"]) == (404, "receipt_not_found")
    malformed = await client.get("/api/v1/enrollment/follow/ABCD-EF01")  # 0 and 1 are never in a code
    assert (malformed.status_code, malformed.json()["code"]) == (422, "invalid_receipt_code")
    page = await client.get("/follow?code=ABCD-EF23")
    assert page.status_code == 404
    assert "ABCD-EF23" in page.text


async def test_guessing_codes_at_rate_is_refused_and_audited(client: AsyncClient, context: Context) -> None:
    guesses = [f"ABCD-{n:04d}".translate(str.maketrans("01", "AB")) for n in range(FOLLOW_LIMIT.limit + 3)]
    answers = [(await client.get(f"/api/v1/enrollment/follow/{guess}")).status_code for guess in guesses]
    assert answers[: FOLLOW_LIMIT.limit] == [404] * FOLLOW_LIMIT.limit
    assert answers[FOLLOW_LIMIT.limit :] == [429] * 3
    limited = await client.get("/api/v1/enrollment/follow/ABCD-EF23")
    assert limited.headers["retry-after"] == "61"
    page = await client.get("/follow?code=ABCD-EF23")
    assert page.status_code == 429
    with unit_of_work(context.database.sessions) as session:
        refusals = audit.entries_for_subject(session=session, subject_type="application", subject_id="-")
    assert sum(1 for e in refusals if e.action == "application.follow_rate_limited") == 5
    assert sum(1 for e in refusals if e.action == "application.follow_unknown") == FOLLOW_LIMIT.limit
