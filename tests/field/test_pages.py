"""The kit's operator pages through HTTP: login, households, capture, receipt, review, status.

The kit was set up and synced once against a central server (``synced_kit_template``); each test
works on its own copy. Pages are asked for in English unless a test is about the language.
"""

from __future__ import annotations

import base64
import datetime as dt
import io
import re
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
import segno
from sqlalchemy import select
from tests.conftest import SUITE_NOW
from tests.factories import (
    KIT_OPERATOR,
    KIT_PASSWORD,
    KIT_SUPERVISOR,
    copied_kit,
    faces,
    kit_resident,
    synced_kit_template,
)
from tests.support.servers import LiveServer, client_for, serving

from civicid.core.clock import FixedClock
from civicid.country.age import AgeGroup
from civicid.country.card_qr import format_card_qr
from civicid.country.mrz import format_mrz
from civicid.country.sex import Sex
from civicid.country.zone import TIME_ZONE
from civicid.field.app import create_kit_app
from civicid.field.kit import Kit
from civicid.field.models import KitHousehold, KitPerson, KitVisit, OutboxItem, OutboxState
from civicid.field.sources import CameraSource, SimulatedSource
from civicid.field.syncing import SyncRunner
from civicid.protocol.packet import Envelope
from civicid.sim.field import synthetic_photo


@pytest.fixture(scope="module")
def central(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[LiveServer, Path]]:
    """The central server, still running, and the template of a kit synced against it."""
    with synced_kit_template(tmp_path_factory.mktemp("central"), FixedClock(SUITE_NOW, zone=TIME_ZONE)) as running:
        yield running


@pytest.fixture
def page_clock() -> FixedClock:
    return FixedClock(SUITE_NOW, zone=TIME_ZONE)


@pytest.fixture
def kit(central: tuple[LiveServer, Path], tmp_path: Path) -> Iterator[Kit]:
    with copied_kit(central[1], tmp_path / "kit") as copy:
        yield copy


@pytest.fixture
def client(kit: Kit, page_clock: FixedClock, central: tuple[LiveServer, Path]) -> Iterator[httpx.Client]:
    """A client of the kit's pages, served like ``civicid field serve`` does; it keeps cookies like a browser."""
    url = central[0].url
    app = create_kit_app(kit, page_clock, source=SimulatedSource(), server_client=lambda: client_for(url))
    with serving(app) as served, httpx.Client(base_url=served, headers={"Accept-Language": "en"}, timeout=30) as http:
        yield http


def log_in(client: httpx.Client, username: str = KIT_OPERATOR) -> None:
    response = client.post("/login", data={"username": username, "password": KIT_PASSWORD, "next": "/households"})
    assert response.status_code == 303, response.text
    assert response.headers["location"] == "/households"


def photo() -> bytes:
    return synthetic_photo(7, size=(600, 800))


def capture(client: httpx.Client, person_id: int, **fields: str) -> httpx.Response:
    data = {"phone": "0912345678", "document_kind": ["health_insurance"], "document_number": ["GD4011234567"]}
    data.update(fields)
    files = {"portrait": ("photo.jpg", photo(), "image/jpeg")}
    return client.post(f"/capture/{person_id}", data=data, files=files)


def outbox(kit: Kit) -> list[OutboxItem]:
    with kit.transaction() as session:
        return list(session.scalars(select(OutboxItem)))


# Login ------------------------------------------------------------------------------------------


@pytest.mark.parametrize("path", ["/", "/households", "/status", "/review", "/capture/1"])
def test_every_page_needs_a_login(client: httpx.Client, path: str) -> None:
    response = client.get(path)
    assert response.status_code == 303
    assert response.headers["location"].startswith("/login?next=")


def test_a_capture_posted_without_a_login_stores_nothing(client: httpx.Client, kit: Kit) -> None:
    adult = kit_resident(kit, SUITE_NOW.date(), AgeGroup.FROM_14)
    response = capture(client, adult.id)
    assert response.status_code == 303
    assert outbox(kit) == []


def test_a_wrong_password_is_a_readable_page(client: httpx.Client) -> None:
    response = client.post("/login", data={"username": KIT_OPERATOR, "password": "not-the-password"})
    assert response.status_code == 401
    assert "Wrong user name or password." in response.text
    assert "Traceback" not in response.text


def test_logout_ends_the_login(client: httpx.Client) -> None:
    log_in(client)
    assert client.get("/households").status_code == 200
    page = client.get("/households").text
    assert 'action="/logout"' in page  # a shared device: the button is on every page
    assert client.post("/logout").status_code == 303
    assert client.get("/households").status_code == 303


# Households and members -------------------------------------------------------------------------


def test_the_household_list_shows_what_is_left_to_do(client: httpx.Client, kit: Kit) -> None:
    log_in(client)
    page = client.get("/households")
    assert page.status_code == 200
    with kit.transaction() as session:
        households = list(session.scalars(select(KitHousehold)))
    assert households
    assert f"Household {households[0].number}" in page.text
    assert re.search(r"\d+ to do", page.text)
    village = households[0].village_id
    assert client.get(f"/households?village={village}").status_code == 200
    wrong = client.get("/households?village=abc")
    assert wrong.status_code == 400
    assert "That village is not assigned to this kit" in wrong.text


def test_a_household_shows_each_members_needs(client: httpx.Client, kit: Kit) -> None:
    log_in(client)
    adult = kit_resident(kit, SUITE_NOW.date(), AgeGroup.FROM_14)
    page = client.get(f"/households/{adult.household_id}")
    assert page.status_code == 200
    assert adult.full_name in page.text
    assert "Needs level 2 (14 and over)" in page.text
    assert f'href="/capture/{adult.id}"' in page.text
    assert client.get("/households/999999").status_code == 404


def test_visit_outcomes_are_recorded_and_other_needs_a_note(client: httpx.Client, kit: Kit) -> None:
    log_in(client)
    adult = kit_resident(kit, SUITE_NOW.date(), AgeGroup.FROM_14)
    path = f"/households/{adult.household_id}/visits"
    refused = client.post(path, data={"person_id": str(adult.id), "outcome": "other", "note": " "})
    assert refused.status_code == 400
    assert "needs a note" in refused.text
    bogus = client.post(path, data={"person_id": str(adult.id), "outcome": "teleported"})
    assert bogus.status_code == 400
    done = client.post(path, data={"person_id": str(adult.id), "outcome": "absent"})
    assert done.status_code == 303
    page = client.get(done.headers["location"])
    assert "Visit recorded." in page.text
    assert "Last visit: Absent" in page.text
    with kit.transaction() as session:
        assert [v.outcome for v in session.scalars(select(KitVisit))] == ["absent"]


# Capture and receipt ----------------------------------------------------------------------------


def test_a_capture_is_stored_in_the_outbox_and_its_receipt_shown(client: httpx.Client, kit: Kit) -> None:
    log_in(client)
    adult = kit_resident(kit, SUITE_NOW.date(), AgeGroup.FROM_14)
    form = client.get(f"/capture/{adult.id}")
    assert form.status_code == 200
    assert adult.id_number in form.text
    assert adult.full_name in form.text
    assert "Scanner: simulated" in form.text
    response = capture(client, adult.id)
    assert response.status_code == 303
    [item] = outbox(kit)
    assert (item.person_id, item.operator, item.state) == (adult.id, KIT_OPERATOR, OutboxState.CAPTURED)
    assert response.headers["location"] == f"/receipts/{item.application_id}?saved=1"
    receipt = client.get(f"/receipts/{item.application_id}?saved=1")
    assert "Saved: the application is sealed" in receipt.text
    assert "Simulated biometrics" in receipt.text  # this kit was composed with the simulator's source
    assert item.short_code in receipt.text
    assert '<svg width="' in receipt.text
    assert 'class="segno"' in receipt.text
    assert list((kit.root / "sealed" / item.application_id).glob("*.sealed"))


def test_a_child_is_captured_with_a_guardian_from_the_household(client: httpx.Client, kit: Kit) -> None:
    log_in(client)
    child = kit_resident(kit, SUITE_NOW.date(), AgeGroup.FROM_6_TO_13)
    form = client.get(f"/capture/{child.id}")
    assert 'name="guardian"' in form.text
    without = capture(client, child.id)
    assert without.status_code == 422
    assert "Choose the guardian" in without.text
    guardian = re.findall(r'<option value="(\d{12})"', form.text)[0]
    assert capture(client, child.id, guardian=guardian).status_code == 303
    [item] = outbox(kit)
    assert item.application_type == "level2_child"


@pytest.mark.parametrize(
    ("fields", "portrait", "message"),
    [
        ({"phone": "12ab"}, True, "The phone number must have 10 digits"),
        ({}, False, "The portrait is missing"),
        ({"document_kind": ["passport"], "document_number": ["B123"]}, True, "A document number is missing"),
    ],
)
def test_bad_input_is_a_readable_page_and_stores_nothing(
    client: httpx.Client, kit: Kit, fields: dict[str, object], portrait: bool, message: str
) -> None:
    log_in(client)
    adult = kit_resident(kit, SUITE_NOW.date(), AgeGroup.FROM_14)
    data: dict[str, object] = {"phone": "0912345678", **fields}
    files = {"portrait": ("photo.jpg", photo() if portrait else b"", "image/jpeg")}
    response = client.post(f"/capture/{adult.id}", data=data, files=files)
    assert response.status_code == 422
    assert message in response.text
    assert "Traceback" not in response.text
    assert outbox(kit) == []


def test_a_file_that_is_no_photo_is_refused_readably(client: httpx.Client, kit: Kit) -> None:
    log_in(client)
    adult = kit_resident(kit, SUITE_NOW.date(), AgeGroup.FROM_14)
    files = {"portrait": ("photo.jpg", b"this is no photo", "image/jpeg")}
    response = client.post(f"/capture/{adult.id}", data={"phone": ""}, files=files)
    assert response.status_code == 422
    assert "not a JPEG, PNG or WebP photo" in response.text
    assert outbox(kit) == []


def test_a_guard_rail_refusal_is_shown_and_nothing_is_captured(
    client: httpx.Client, kit: Kit, page_clock: FixedClock
) -> None:
    page_clock.advance(dt.timedelta(days=4))  # the default limit is 3 days without a sync
    log_in(client)  # (a login lasts a working day: one from before would have expired)
    adult = kit_resident(kit, SUITE_NOW.date(), AgeGroup.FROM_14)
    form = client.get(f"/capture/{adult.id}")
    assert "This kit refuses new captures" in form.text
    assert "No sync for 4 days (limit 3)" in form.text
    response = capture(client, adult.id)
    assert response.status_code == 409
    assert "No sync for 4 days (limit 3)" in response.text
    assert outbox(kit) == []
    status = client.get("/status")
    assert "No sync for 4 days" in status.text


def test_unknown_people_and_receipts_are_readable_404s(client: httpx.Client) -> None:
    log_in(client)
    for path in ("/capture/999999", "/receipts/no-such-application"):
        response = client.get(path)
        assert response.status_code == 404
        assert "Not found" in response.text or "not found" in response.text.lower()


# Review -----------------------------------------------------------------------------------------


def _captured_by(client: httpx.Client, kit: Kit, username: str, skip: int) -> OutboxItem:
    log_in(client, username)
    adult = kit_resident(kit, SUITE_NOW.date(), AgeGroup.FROM_14, skip=skip)
    assert capture(client, adult.id).status_code == 303
    return next(i for i in outbox(kit) if i.person_id == adult.id)


def test_only_a_supervisor_reviews(client: httpx.Client) -> None:
    log_in(client, KIT_OPERATOR)
    assert client.get("/review").status_code == 403
    assert client.post("/review/x", data={"decision": "approve"}).status_code == 403


def test_maker_checker_a_supervisor_may_not_approve_their_own_capture(client: httpx.Client, kit: Kit) -> None:
    own = _captured_by(client, kit, KIT_SUPERVISOR, skip=0)
    other = _captured_by(client, kit, KIT_OPERATOR, skip=1)
    log_in(client, KIT_SUPERVISOR)
    page = client.get("/review")
    assert own.short_code in page.text
    assert other.short_code in page.text
    refused = client.post(f"/review/{own.application_id}", data={"decision": "approve"})
    assert refused.status_code == 403
    assert "may not approve it (maker-checker)" in refused.text
    approved = client.post(f"/review/{other.application_id}", data={"decision": "approve"})
    assert approved.status_code == 303
    assert f"Capture {other.short_code} approved" in client.get(approved.headers["location"]).text
    states = {i.application_id: i.state for i in outbox(kit)}
    assert states == {own.application_id: OutboxState.CAPTURED, other.application_id: OutboxState.APPROVED_ON_DEVICE}


def test_a_rejection_needs_a_reason_and_the_operator_sees_it(client: httpx.Client, kit: Kit) -> None:
    item = _captured_by(client, kit, KIT_OPERATOR, skip=0)
    log_in(client, KIT_SUPERVISOR)
    missing = client.post(f"/review/{item.application_id}", data={"decision": "reject", "reason": ""})
    assert missing.status_code == 422
    assert "A rejection needs a reason" in missing.text
    rejected = client.post(f"/review/{item.application_id}", data={"decision": "reject", "reason": "Ảnh bị mờ"})
    assert rejected.status_code == 303
    again = client.post(f"/review/{item.application_id}", data={"decision": "approve"})
    assert again.status_code == 409
    household = client.get(f"/households/{item.household_id}")
    assert "Reason: Ảnh bị mờ" in household.text
    assert f'href="/capture/{item.person_id}"' in household.text  # captured again after a rejection


# Status and languages ---------------------------------------------------------------------------


def test_the_status_page_shows_the_outbox_and_syncs_now(client: httpx.Client, kit: Kit) -> None:
    item = _captured_by(client, kit, KIT_OPERATOR, skip=0)
    page = client.get("/status")
    assert page.status_code == 200
    assert "1 captures not on the server yet" in page.text
    assert "New captures are allowed." in page.text
    synced = client.post("/status/sync")
    assert synced.status_code == 303
    assert "Sync complete." in client.get(synced.headers["location"]).text
    assert [i.state for i in outbox(kit)] == [OutboxState.CAPTURED]  # unreviewed captures stay on the kit
    assert item.short_code


def test_sync_now_needs_a_login(client: httpx.Client) -> None:
    response = client.post("/status/sync")
    assert response.status_code == 303
    assert response.headers["location"].startswith("/login")


def test_pages_are_vietnamese_by_default_with_an_english_switch(client: httpx.Client) -> None:
    log_in(client)
    page = client.get("/households", headers={"Accept-Language": "vi"})
    assert "Hộ gia đình" in page.text
    assert 'href="/households?lang=en"' in page.text
    assert "Households" in client.get("/households?lang=en").text


def test_pages_send_the_strict_content_security_policy(client: httpx.Client, kit: Kit) -> None:
    log_in(client)
    adult = kit_resident(kit, SUITE_NOW.date(), AgeGroup.FROM_14)
    page = client.get(f"/capture/{adult.id}")
    assert "default-src 'self'" in page.headers["content-security-policy"]
    assert "<script>" not in page.text  # no inline code: the camera script is served by the kit
    assert client.get("/static/kit/kit.js").status_code == 200
    assert client.get("/static/civicid.css").status_code == 200


def test_the_background_sync_runs_only_when_due(
    kit: Kit, page_clock: FixedClock, central: tuple[LiveServer, Path]
) -> None:
    url = central[0].url
    runner = SyncRunner(kit=kit, clock=page_clock, client_factory=lambda: client_for(url))
    assert not runner.due()  # synced a moment ago (the template's sync)
    assert runner.run_if_due() is None
    page_clock.advance(dt.timedelta(minutes=6))
    assert runner.due()
    report = runner.run_if_due()
    assert report is not None
    assert report.complete, report.errors
    assert not runner.due()


# The card at capture, and real portraits checked on the kit ----------------------------------------


def card_qr_png(person: KitPerson) -> bytes:
    """The QR printed on a 2021 chip card, rendered as a photo of it would be read (PNG)."""
    text = format_card_qr(
        id_number=person.id_number,
        full_name=person.full_name,
        date_of_birth=person.date_of_birth,
        sex=Sex(person.sex),
    )
    out = io.BytesIO()
    segno.make(text, error="m").save(out, kind="png", scale=6, border=4)
    return out.getvalue()


def test_a_card_qr_read_at_capture_opens_the_persons_form_and_flags_another_persons_card(
    client: httpx.Client, kit: Kit
) -> None:
    log_in(client)
    adult = kit_resident(kit, SUITE_NOW.date(), AgeGroup.FROM_14)
    other = kit_resident(kit, SUITE_NOW.date(), AgeGroup.FROM_14, skip=1)
    # From the household list: the card's ID number finds the person; the form opens for them, prefilled.
    found = client.post("/card", files={"card_image": ("card.png", card_qr_png(adult), "image/png")})
    assert found.status_code == 200
    assert f'action="/capture/{adult.id}"' in found.text
    assert adult.full_name in found.text
    assert 'id="card-agrees"' in found.text
    # On that person's form, another person's card is flagged field by field before anything is saved.
    flagged = client.post(
        "/card",
        data={"person_id": str(adult.id)},
        files={"card_image": ("card.png", card_qr_png(other), "image/png")},
    )
    assert flagged.status_code == 200
    assert 'id="card-disagreements"' in flagged.text
    assert 'data-field="id_number"' in flagged.text
    assert other.id_number in flagged.text
    assert "another person&#39;s card" in flagged.text or "another person's card" in flagged.text
    assert outbox(kit) == []


def test_a_typed_mrz_is_checked_against_the_record(client: httpx.Client, kit: Kit) -> None:
    log_in(client)
    adult = kit_resident(kit, SUITE_NOW.date(), AgeGroup.FROM_14)
    mrz = format_mrz(
        id_number=adult.id_number,
        date_of_birth=adult.date_of_birth,
        sex=Sex(adult.sex),
        expiry_date=dt.date(2040, 1, 1),
        full_name=adult.full_name,
    )
    page = client.post("/card", data={"person_id": str(adult.id), "mrz": mrz})
    assert 'id="card-agrees"' in page.text
    unreadable = client.post("/card", data={"person_id": str(adult.id), "qr_text": "not|a card"})
    assert unreadable.status_code == 422
    assert "The card could not be read" in unreadable.text


@pytest.fixture
def camera_client(kit: Kit, page_clock: FixedClock, central: tuple[LiveServer, Path]) -> Iterator[httpx.Client]:
    """The kit's pages with the real camera source: what ``civicid field serve`` runs by default."""
    url = central[0].url
    app = create_kit_app(kit, page_clock, source=CameraSource(), server_client=lambda: client_for(url))
    with serving(app) as served, httpx.Client(base_url=served, headers={"Accept-Language": "vi"}, timeout=60) as http:
        yield http


@pytest.mark.slow
def test_the_kit_refuses_a_portrait_without_a_face_in_vietnamese_and_a_supervisor_may_keep_one(
    camera_client: httpx.Client, kit: Kit
) -> None:
    adult = kit_resident(kit, SUITE_NOW.date(), AgeGroup.FROM_14)
    log_in(camera_client)
    data = {"missing_fingers": "not_captured"}
    refused = camera_client.post(
        f"/capture/{adult.id}", data=data, files={"portrait": ("p.jpg", faces.portrait("no-face"), "image/jpeg")}
    )
    assert refused.status_code == 422
    assert 'data-problem="no_face"' in refused.text
    assert "Không thấy khuôn mặt nào trong ảnh." in refused.text
    assert 'name="portrait_exception"' not in refused.text  # an operator retakes; only a supervisor may keep it
    assert outbox(kit) == []
    # The supervisor keeps a blurred portrait of an elder, with the reason, which travels with the capture.
    camera_client.post("/logout")
    log_in(camera_client, KIT_SUPERVISOR)
    blurred = {"portrait": ("p.jpg", faces.transformed("obama-1", "blur"), "image/jpeg")}
    again = camera_client.post(f"/capture/{adult.id}", data=data, files=blurred)
    assert 'data-problem="blurred"' in again.text
    assert 'name="portrait_exception"' in again.text
    kept = camera_client.post(
        f"/capture/{adult.id}",
        data={**data, "portrait_exception": "cụ già run tay, không chụp rõ hơn được"},
        files=blurred,
    )
    assert kept.status_code == 303
    [item] = outbox(kit)
    payload = item.envelope_jws.split(".")[1]
    envelope = Envelope.model_validate_json(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    assert envelope.portrait_exception is not None
    assert envelope.portrait_exception.problems == ("blurred",)
    assert envelope.portrait_exception.accepted_by == KIT_SUPERVISOR


def test_a_missing_portrait_is_said_in_vietnamese_only(client: httpx.Client, kit: Kit) -> None:
    log_in(client)
    adult = kit_resident(kit, SUITE_NOW.date(), AgeGroup.FROM_14)
    data = {"phone": "0912345678", "document_kind": ["health_insurance"], "document_number": ["GD4011234567"]}
    refused = client.post(f"/capture/{adult.id}?lang=vi", data=data)
    assert refused.status_code == 422
    assert "Thiếu ảnh chân dung" in refused.text
    assert "a level-2 application needs" not in refused.text
    english = client.post(f"/capture/{adult.id}?lang=en", data=data)
    assert "a level-2 application needs the citizen" in english.text
