"""A child's card under 6, requested from the app by a level-2 parent: no biometrics, a portrait and the
parent's confirmation, entering the pipeline like a kit's application, to the card issued."""

from __future__ import annotations

import datetime as dt

import pytest
from tests.factories import (
    MakePerson,
    Phone,
    activated_phone,
    add_child,
    application_status,
    approved,
    attempt,
    link_guardian,
    run_jobs,
    selfie_of,
)

from civicid.accounts import children
from civicid.accounts.errors import ChildRefused
from civicid.biometrics.simulated import simulated_extractors
from civicid.core.database import unit_of_work
from civicid.core.errors import CivicIDError
from civicid.core.runtime import Context
from civicid.country.sex import Sex
from civicid.devices import service as devices
from civicid.enrollment import online
from civicid.enrollment.intake import Receipt
from civicid.enrollment.runtime import blobs_of, build_pipeline, keystore_of
from civicid.protocol.codes import ApplicationStatus
from civicid.registry.schemas import PersonRead


@pytest.fixture
def parent(context: Context, make_person: MakePerson) -> Phone:
    return activated_phone(context, make_person("Lò Thị Mai", dt.date(1990, 4, 2), Sex.FEMALE))


def _child(context: Context, make_person: MakePerson, parent: Phone, born: dt.date) -> tuple[PersonRead, str]:
    kid = make_person("Lò Văn An", born, Sex.MALE)
    link_guardian(context, kid, parent.person.id)
    added = add_child(context, parent.account.id, kid)
    assert isinstance(added, children.ChildAccount), added
    return kid, added.account_id


def _request(context: Context, parent: Phone, child_account_id: str, **changes: object) -> Receipt | CivicIDError:
    arguments: dict[str, object] = {"portrait": selfie_of(parent.person), "confirmed": True, **changes}
    return attempt(
        context,
        lambda session: online.request_child_card(
            session=session,
            clock=context.clock,
            blobs=blobs_of(context),
            keystore=keystore_of(context),
            guardian_account_id=parent.account.id,
            child_account_id=child_account_id,
            **arguments,  # type: ignore[arg-type]
        ),
    )


def test_the_request_enters_the_pipeline_and_the_card_is_issued_after_approval(
    context: Context, make_person: MakePerson, parent: Phone
) -> None:
    _kid, account_id = _child(context, make_person, parent, dt.date(2022, 6, 1))
    receipt = _request(context, parent, account_id)
    assert isinstance(receipt, Receipt), receipt
    with unit_of_work(context.database.sessions) as session:
        device = devices.get_device(session=session, device_id=online.app_channel_device_id("01879"))
    assert device.commune_code == "01879"
    pipeline = build_pipeline(context, simulated_extractors())
    run_jobs(context, pipeline)
    assert application_status(context, receipt.application_id)[0] is ApplicationStatus.AWAITING_APPROVAL
    approved(context, receipt.application_id)
    run_jobs(context, pipeline)
    assert application_status(context, receipt.application_id)[0] is ApplicationStatus.ISSUED


def test_without_the_parents_confirmation_or_for_a_child_of_6_nothing_is_requested(
    context: Context, make_person: MakePerson, parent: Phone
) -> None:
    _, account_id = _child(context, make_person, parent, dt.date(2022, 6, 1))
    refused = _request(context, parent, account_id, confirmed=False)
    assert isinstance(refused, ChildRefused)
    assert refused.extensions["reason"] == "no_consent"
    _, older = _child(context, make_person, parent, dt.date(2017, 1, 1))
    too_old = _request(context, parent, older)
    assert isinstance(too_old, ChildRefused)
    assert too_old.extensions["reason"] == "too_old_for_card"
