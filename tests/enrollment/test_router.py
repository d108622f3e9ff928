"""The enrollment API: intake from field kits over HTTP, the supervisor's decisions, devices and roles."""

from __future__ import annotations

import base64
import hashlib
from collections.abc import AsyncIterator, Callable

import pytest
from httpx import AsyncClient, Response
from tests.web.support import add_staff, client_for, login

from civicid.core.crypto.signing import generate_signing_key, public_jwk
from civicid.core.database import unit_of_work
from civicid.core.runtime import Context
from civicid.enrollment.models import Application
from civicid.enrollment.runtime import keystore_of
from civicid.enrollment.tasks import Pipeline
from civicid.protocol.codes import ApplicationStatus
from civicid.protocol.device_token import device_token
from civicid.protocol.packet import Capture, Packet, PartIn, PartKind, build_packet
from civicid.registry.schemas import PersonRead
from civicid.sim.captures import SimulatedKit
from civicid.sim.demo import DEMO_LOGINS
from civicid.web.staff import StaffRole

from .conftest import ADMIN, PeopleOf

pytestmark = pytest.mark.anyio

RunPipeline = Callable[[], int]
API = "/api/v1/enrollment"
PASSWORDS = {demo.username: demo.password for demo in DEMO_LOGINS}


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


@pytest.fixture
async def client(context: Context, commune: str) -> AsyncIterator[AsyncClient]:
    async with client_for(context) as test_client:
        yield test_client


async def log_in(client: AsyncClient, username: str) -> None:
    await login(client, username, PASSWORDS[username])


def capture(context: Context, kit: SimulatedKit, person: PersonRead, **options: object) -> Packet:
    server = keystore_of(context).sealing_public_key()
    return kit.capture(person=person, clock=context.clock, server_public_key=server, **options)  # type: ignore[arg-type]


def device_headers(context: Context, kit: SimulatedKit) -> dict[str, str]:
    token = device_token(device_id=kit.device_id, key=kit.key, clock=context.clock)
    return {"Authorization": f"Bearer {token}"}


def digest_header(data: bytes) -> dict[str, str]:
    return {"Content-Digest": f"sha-256=:{base64.b64encode(hashlib.sha256(data).digest()).decode()}:"}


async def put_envelope(client: AsyncClient, packet: Packet) -> Response:
    url = f"{API}/intake/applications/{packet.envelope.application_id}"
    return await client.put(url, json={"envelope": packet.envelope_jws})


async def put_chunk(client: AsyncClient, packet: Packet, part: str, offset: int, data: bytes) -> Response:
    return await client.put(
        f"{API}/intake/applications/{packet.envelope.application_id}/parts/{part}",
        params={"offset": offset},
        content=data,
        headers={"Content-Type": "application/octet-stream", **digest_header(data)},
    )


async def upload(client: AsyncClient, packet: Packet, chunk_bytes: int = 4096) -> Response:
    """A kit online: the envelope, then every part in chunks, each checked by its Content-Digest."""
    response = await put_envelope(client, packet)
    assert response.status_code == 201, response.text
    for name, data in packet.sealed_parts.items():
        for offset in range(0, len(data), chunk_bytes):
            response = await put_chunk(client, packet, name, offset, data[offset : offset + chunk_bytes])
            assert response.status_code == 200, response.text
    return response


async def captured_and_checked(
    client: AsyncClient, context: Context, kit: SimulatedKit, person: PersonRead, run_pipeline: RunPipeline
) -> str:
    packet = capture(context, kit, person)
    await upload(client, packet)
    run_pipeline()
    return packet.envelope.application_id


def set_status(context: Context, application_id: str, status: ApplicationStatus) -> None:
    with unit_of_work(context.database.sessions) as session:
        application = session.get(Application, application_id)
        assert application is not None
        application.status = status


class TestIntake:
    async def test_new_envelope_is_created_then_a_replay_is_accepted_again(
        self, client: AsyncClient, context: Context, kit: SimulatedKit, people: PeopleOf
    ) -> None:
        (adult,) = people("14_plus", 1)
        packet = capture(context, kit, adult)
        first = await put_envelope(client, packet)
        again = await put_envelope(client, packet)
        assert first.status_code == 201
        assert first.json()["replay"] is False
        assert first.json()["status"] == "receiving"
        assert {p["name"] for p in first.json()["parts"]} == {"face", "fingers", "portrait"}
        assert again.status_code == 200
        assert again.json()["replay"] is True

    async def test_another_packet_under_the_same_id_is_a_conflict_with_the_stored_version(
        self, client: AsyncClient, context: Context, kit: SimulatedKit, people: PeopleOf
    ) -> None:
        (adult,) = people("14_plus", 1)
        packet = capture(context, kit, adult)
        await put_envelope(client, packet)
        changed = Capture.model_validate({**packet.envelope.model_dump(exclude={"manifest"}), "phone": "0912345678"})
        other = build_packet(
            capture=changed,
            parts={
                "face": PartIn(PartKind.FACE_TEMPLATE, b"f", 0),
                "fingers": PartIn(PartKind.FINGER_TEMPLATES, b"g", 0),
            },
            device_key=kit.key,
            server_public_key=keystore_of(context).sealing_public_key(),
        )
        response = await put_envelope(client, other)
        assert response.status_code == 409
        assert response.headers["content-type"] == "application/problem+json"
        problem = response.json()
        assert problem["code"] == "different_packet"
        assert problem["stored_envelope"] == packet.envelope_jws
        assert problem["stored_status"] == "receiving"
        assert len(problem["stored_envelope_hash"]) == 64

    async def test_an_envelope_with_its_parts_inline_goes_to_the_pipeline_in_one_request(
        self, client: AsyncClient, context: Context, kit: SimulatedKit, people: PeopleOf, run_pipeline: RunPipeline
    ) -> None:
        (adult,) = people("14_plus", 1)
        packet = capture(context, kit, adult)
        inline = {name: base64.b64encode(data).decode() for name, data in packet.sealed_parts.items()}
        url = f"{API}/intake/applications/{packet.envelope.application_id}"

        response = await client.put(url, json={"envelope": packet.envelope_jws, "parts": inline})
        again = await client.put(url, json={"envelope": packet.envelope_jws, "parts": inline})

        assert response.status_code == 201, response.text
        assert response.json()["status"] == "processing"
        assert all(part["complete"] for part in response.json()["parts"])
        assert (again.status_code, again.json()["replay"]) == (200, True)
        run_pipeline()
        status = await client.get(url, headers=device_headers(context, kit))
        assert status.json()["status"] == "awaiting_approval"

    @pytest.mark.parametrize(
        ("parts", "code"),
        [
            ({"face": "not base64!"}, "validation_error"),
            ({"Face": "AAAA"}, "validation_error"),
            ({"face": "AAAA"}, "part_hash_mismatch"),
            ({"scan": "AAAA"}, "unknown_part"),
        ],
    )
    async def test_a_bad_inline_part_is_refused_and_nothing_is_kept(
        self,
        client: AsyncClient,
        context: Context,
        kit: SimulatedKit,
        people: PeopleOf,
        parts: dict[str, str],
        code: str,
    ) -> None:
        (adult,) = people("14_plus", 1)
        packet = capture(context, kit, adult)
        url = f"{API}/intake/applications/{packet.envelope.application_id}"

        response = await client.put(url, json={"envelope": packet.envelope_jws, "parts": parts})

        assert response.status_code == 422
        assert response.headers["content-type"] == "application/problem+json"
        assert response.json()["code"] == code
        status = await client.get(url, headers=device_headers(context, kit))
        assert status.json()["known"] is False

    async def test_envelope_under_another_id_in_the_path_is_refused(
        self, client: AsyncClient, context: Context, kit: SimulatedKit, people: PeopleOf
    ) -> None:
        first, second = people("14_plus", 2)
        one, two = capture(context, kit, first), capture(context, kit, second)
        url = f"{API}/intake/applications/{two.envelope.application_id}"
        response = await client.put(url, json={"envelope": one.envelope_jws})
        assert response.status_code == 422
        assert response.json()["code"] == "application_id_mismatch"

    async def test_envelope_from_an_unknown_device_is_forbidden(
        self, client: AsyncClient, context: Context, commune: str, people: PeopleOf
    ) -> None:
        (adult,) = people("14_plus", 1)
        stranger = SimulatedKit("kit-not-registered", generate_signing_key(), commune, "operator")
        response = await put_envelope(client, capture(context, stranger, adult))
        assert response.status_code == 403
        assert response.json()["code"] == "unknown_device"

    @pytest.mark.parametrize(
        ("header", "field"),
        [(None, "content-digest"), ("sha-256=abc", "content-digest"), ("md5=:AAAA:", "content-digest")],
    )
    async def test_chunk_without_a_valid_content_digest_is_refused(
        self,
        client: AsyncClient,
        context: Context,
        kit: SimulatedKit,
        people: PeopleOf,
        header: str | None,
        field: str,
    ) -> None:
        (adult,) = people("14_plus", 1)
        packet = capture(context, kit, adult)
        headers = {"Content-Type": "application/octet-stream"} | ({"Content-Digest": header} if header else {})
        response = await client.put(
            f"{API}/intake/applications/{packet.envelope.application_id}/parts/face",
            params={"offset": 0},
            content=packet.sealed_parts["face"][:100],
            headers=headers,
        )
        assert response.status_code == 422
        problem = response.json()
        assert problem["code"] == "validation_error"
        assert problem["errors"][0]["location"] == "header"
        assert problem["errors"][0]["field"] == field

    async def test_chunk_whose_bytes_do_not_match_its_digest_is_refused(
        self, client: AsyncClient, context: Context, kit: SimulatedKit, people: PeopleOf
    ) -> None:
        (adult,) = people("14_plus", 1)
        packet = capture(context, kit, adult)
        await put_envelope(client, packet)
        response = await client.put(
            f"{API}/intake/applications/{packet.envelope.application_id}/parts/face",
            params={"offset": 0},
            content=packet.sealed_parts["face"][:100],
            headers=digest_header(b"other bytes"),
        )
        assert response.status_code == 422
        assert response.json()["code"] == "chunk_checksum_mismatch"

    async def test_oversized_chunk_is_refused_before_it_is_read(
        self, client: AsyncClient, context: Context, kit: SimulatedKit, people: PeopleOf
    ) -> None:
        (adult,) = people("14_plus", 1)
        packet = capture(context, kit, adult)
        data = b"\0" * (256 * 1024 + 1)
        response = await put_chunk(client, packet, "face", 0, data)
        assert response.status_code == 413
        assert response.json()["code"] == "payload_too_large"

    async def test_status_shows_where_each_part_resumes(
        self, client: AsyncClient, context: Context, kit: SimulatedKit, people: PeopleOf
    ) -> None:
        (adult,) = people("14_plus", 1)
        packet = capture(context, kit, adult)
        await put_envelope(client, packet)
        face = packet.sealed_parts["face"]
        assert (await put_chunk(client, packet, "face", 0, face[:100])).status_code == 200
        response = await client.get(
            f"{API}/intake/applications/{packet.envelope.application_id}", headers=device_headers(context, kit)
        )
        assert response.status_code == 200
        parts = {p["name"]: p for p in response.json()["parts"]}
        assert parts["face"]["received_bytes"] == 100
        assert parts["face"]["size"] == len(face)
        assert parts["face"]["complete"] is False
        assert parts["portrait"]["received_bytes"] == 0
        assert response.json()["status"] == "receiving"
        assert [e["stage"] for e in response.json()["timeline"]] == ["received"]

    async def test_status_of_a_checked_application_carries_its_timeline(
        self,
        client: AsyncClient,
        context: Context,
        kit: SimulatedKit,
        people: PeopleOf,
        run_pipeline: RunPipeline,
    ) -> None:
        (adult,) = people("14_plus", 1)
        wrong = adult.model_copy(update={"full_name": adult.full_name + " Thị"})
        application_id = await captured_and_checked(client, context, kit, wrong, run_pipeline)
        response = await client.get(f"{API}/intake/applications/{application_id}", headers=device_headers(context, kit))
        body = response.json()
        assert (body["status"], body["status_reason"]) == ("needs_correction", "full_name_mismatch")
        assert all(p["complete"] for p in body["parts"])
        last = body["timeline"][-1]
        assert (last["stage"], last["outcome"], last["reason"]) == (
            "registry_match",
            "needs_correction",
            "full_name_mismatch",
        )
        assert set(last) == {"stage", "outcome", "reason", "at"}

    async def test_status_of_an_application_not_yet_received(
        self, client: AsyncClient, context: Context, kit: SimulatedKit
    ) -> None:
        response = await client.get(
            f"{API}/intake/applications/01900000-0000-7000-8000-000000000000", headers=device_headers(context, kit)
        )
        assert response.status_code == 200
        assert (response.json()["known"], response.json()["timeline"]) == (False, [])

    async def test_status_needs_the_kits_device_token(
        self, client: AsyncClient, context: Context, kit: SimulatedKit, people: PeopleOf
    ) -> None:
        (adult,) = people("14_plus", 1)
        packet = capture(context, kit, adult)
        await put_envelope(client, packet)
        url = f"{API}/intake/applications/{packet.envelope.application_id}"
        anonymous = await client.get(url)
        assert (anonymous.status_code, anonymous.json()["code"]) == (401, "invalid_device_token")
        forged = await client.get(url, headers={"Authorization": "Bearer " + packet.envelope_jws})
        assert (forged.status_code, forged.json()["code"]) == (401, "invalid_device_token")

    async def test_another_kit_cannot_read_an_applications_status(
        self, client: AsyncClient, context: Context, kit: SimulatedKit, people: PeopleOf
    ) -> None:
        (adult,) = people("14_plus", 1)
        packet = capture(context, kit, adult)
        await put_envelope(client, packet)
        with unit_of_work(context.database.sessions) as session:
            other = SimulatedKit.register(
                session=session, clock=context.clock, actor=ADMIN, commune_code=kit.commune_code, operator="op2"
            )
        response = await client.get(
            f"{API}/intake/applications/{packet.envelope.application_id}", headers=device_headers(context, other)
        )
        assert response.status_code == 404


class TestDecisions:
    async def test_supervisor_approves(
        self,
        client: AsyncClient,
        context: Context,
        kit: SimulatedKit,
        people: PeopleOf,
        run_pipeline: RunPipeline,
    ) -> None:
        (adult,) = people("14_plus", 1)
        application_id = await captured_and_checked(client, context, kit, adult, run_pipeline)
        await log_in(client, "supervisor")
        queue = await client.get(f"{API}/applications", params={"status": "awaiting_approval"})
        assert [a["id"] for a in queue.json()] == [application_id]
        response = await client.post(f"{API}/applications/{application_id}/approve")
        assert response.status_code == 200, response.text
        assert response.json()["decided_by"] == "supervisor"
        assert response.json()["timeline"][-1]["stage"] == "approval"
        run_pipeline()
        detail = await client.get(f"{API}/applications/{application_id}")
        assert detail.json()["status"] == "issued"

    async def test_whoever_captured_an_application_cannot_approve_it(
        self,
        client: AsyncClient,
        context: Context,
        commune: str,
        people: PeopleOf,
        run_pipeline: RunPipeline,
    ) -> None:
        with unit_of_work(context.database.sessions) as session:
            own_kit = SimulatedKit.register(
                session=session, clock=context.clock, actor=ADMIN, commune_code=commune, operator="supervisor"
            )
        (adult,) = people("14_plus", 1)
        application_id = await captured_and_checked(client, context, own_kit, adult, run_pipeline)
        await log_in(client, "supervisor")
        response = await client.post(f"{API}/applications/{application_id}/approve")
        assert response.status_code == 403
        assert response.json()["code"] == "maker_checker_violation"
        detail = await client.get(f"{API}/applications/{application_id}")
        assert detail.json()["status"] == "awaiting_approval"

    async def test_supervisor_rejects_with_a_reason(
        self,
        client: AsyncClient,
        context: Context,
        kit: SimulatedKit,
        people: PeopleOf,
        run_pipeline: RunPipeline,
    ) -> None:
        (adult,) = people("14_plus", 1)
        application_id = await captured_and_checked(client, context, kit, adult, run_pipeline)
        await log_in(client, "supervisor")
        url = f"{API}/applications/{application_id}/reject"
        assert (await client.post(url, json={"reason": "  "})).status_code == 422
        response = await client.post(url, json={"reason": "portrait is blurred"})
        assert response.status_code == 200
        assert response.json()["status"] == "rejected"
        assert response.json()["timeline"][-1]["note"] == "portrait is blurred"
        again = await client.post(f"{API}/applications/{application_id}/approve")
        assert again.status_code == 409
        assert again.json()["code"] == "not_awaiting_decision"

    async def test_supervisor_adjudicates_a_suspected_duplicate(
        self,
        client: AsyncClient,
        context: Context,
        kit: SimulatedKit,
        people: PeopleOf,
        run_pipeline: RunPipeline,
    ) -> None:
        first, second = people("14_plus", 2)
        await captured_and_checked(client, context, kit, first, run_pipeline)
        impostor = capture(context, kit, second, identity_seed=first.id, capture_seed=7)
        await upload(client, impostor)
        run_pipeline()
        application_id = impostor.envelope.application_id
        set_status(context, application_id, ApplicationStatus.SUSPECTED_DUPLICATE)
        await log_in(client, "supervisor")
        url = f"{API}/applications/{application_id}/adjudicate"
        assert (await client.post(url, json={"is_duplicate": True})).status_code == 422
        response = await client.post(url, json={"is_duplicate": True, "reason": "same face, other ID number"})
        assert response.status_code == 200, response.text
        assert response.json()["status"] == "rejected_duplicate"
        assert response.json()["timeline"][-1]["outcome"] == "duplicate"

    async def test_stats(
        self,
        client: AsyncClient,
        context: Context,
        kit: SimulatedKit,
        people: PeopleOf,
        run_pipeline: RunPipeline,
    ) -> None:
        (adult,) = people("14_plus", 1)
        await captured_and_checked(client, context, kit, adult, run_pipeline)
        await log_in(client, "operator")
        stats = (await client.get(f"{API}/stats")).json()
        assert stats["applications"] == 1
        assert stats["by_status"]["awaiting_approval"] == 1


class TestAccess:
    async def test_without_login_staff_endpoints_answer_401(self, client: AsyncClient) -> None:
        response = await client.get(f"{API}/applications")
        assert response.status_code == 401
        assert response.json()["code"] == "not_authenticated"

    async def test_committee_and_operators_may_not_decide(
        self,
        client: AsyncClient,
        context: Context,
        kit: SimulatedKit,
        people: PeopleOf,
        run_pipeline: RunPipeline,
    ) -> None:
        (adult,) = people("14_plus", 1)
        application_id = await captured_and_checked(client, context, kit, adult, run_pipeline)
        await log_in(client, "committee")
        assert (await client.get(f"{API}/applications")).status_code == 403
        await log_in(client, "operator")
        assert (await client.get(f"{API}/applications")).status_code == 200
        response = await client.post(f"{API}/applications/{application_id}/approve")
        assert response.status_code == 403
        assert response.json()["code"] == "forbidden"

    async def test_staff_of_another_commune_see_nothing(
        self,
        client: AsyncClient,
        context: Context,
        kit: SimulatedKit,
        people: PeopleOf,
        run_pipeline: RunPipeline,
    ) -> None:
        (adult,) = people("14_plus", 1)
        application_id = await captured_and_checked(client, context, kit, adult, run_pipeline)
        add_staff(context, "supervisor.elsewhere", StaffRole.SUPERVISOR, "99999")
        await login(client, "supervisor.elsewhere")
        assert (await client.get(f"{API}/applications")).json() == []
        assert (await client.get(f"{API}/applications/{application_id}")).status_code == 404
        response = await client.post(f"{API}/applications/{application_id}/approve")
        assert response.status_code == 404
        assert response.json()["code"] == "application_not_found"
        assert (await client.get(f"{API}/stats")).json()["applications"] == 0


class TestDevices:
    async def test_administrator_registers_lists_and_revokes_a_kit(
        self,
        client: AsyncClient,
        context: Context,
        commune: str,
        kit: SimulatedKit,
        people: PeopleOf,
    ) -> None:
        await log_in(client, "admin")
        key = generate_signing_key()
        created = await client.post(f"{API}/devices", json={"commune_code": commune, "public_jwk": public_jwk(key)})
        assert created.status_code == 201, created.text
        device_id = created.json()["id"]
        listed = await client.get(f"{API}/devices")
        assert {device_id, kit.device_id} <= {d["id"] for d in listed.json()}
        same_key = await client.post(f"{API}/devices", json={"commune_code": commune, "public_jwk": public_jwk(key)})
        assert same_key.status_code == 409
        revoked = await client.post(f"{API}/devices/{kit.device_id}/revoke", json={"reason": "lost in the flood"})
        assert revoked.status_code == 200
        assert revoked.json()["revoked_reason"] == "lost in the flood"
        (adult,) = people("14_plus", 1)
        refused = await put_envelope(client, capture(context, kit, adult))
        assert refused.status_code == 403
        assert refused.json()["code"] == "revoked_device"

    async def test_a_bad_key_is_a_readable_problem(self, client: AsyncClient, commune: str) -> None:
        await log_in(client, "admin")
        response = await client.post(f"{API}/devices", json={"commune_code": commune, "public_jwk": {"kty": "RSA"}})
        assert response.status_code == 422
        assert response.json()["code"] == "invalid_device_key"

    async def test_only_administrators_manage_devices(self, client: AsyncClient, pipeline: Pipeline) -> None:
        await log_in(client, "supervisor")
        assert (await client.get(f"{API}/devices")).status_code == 403
