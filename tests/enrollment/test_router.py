"""The enrollment API: intake from field kits over HTTP, the supervisor's decisions, devices and roles.

The refusals and the roles are tables: each row is one rule, named for it, and says what the API
answers when the rule is broken.
"""

from __future__ import annotations

import base64
import hashlib
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

import fastapi.routing
import pytest
from httpx import AsyncClient, Response
from tests.factories import (
    PeopleOf,
    captured_packet,
    checked_application,
    log_in,
    registered_kit,
    staff_member,
    suspected_duplicate,
)

from civicid.core.crypto.signing import generate_signing_key, public_jwk
from civicid.core.runtime import Context
from civicid.enrollment.runtime import keystore_of
from civicid.enrollment.tasks import Pipeline
from civicid.protocol.device_token import device_token
from civicid.protocol.packet import Capture, Packet, PartIn, PartKind, build_packet
from civicid.registry.schemas import PersonRead
from civicid.sim.captures import SimulatedKit
from civicid.web.staff import StaffRole

pytestmark = pytest.mark.anyio

RunPipeline = Callable[[], int]
API = "/api/v1/enrollment"
PROBLEM = "application/problem+json"


def digest_header(data: bytes) -> dict[str, str]:
    return {"Content-Digest": f"sha-256=:{base64.b64encode(hashlib.sha256(data).digest()).decode()}:"}


@dataclass
class Uplink:
    """A kit online: it captures packets and sends them over HTTP, each call one request."""

    client: AsyncClient
    context: Context
    kit: SimulatedKit

    def capture(self, person: PersonRead, kit: SimulatedKit | None = None, **options: object) -> Packet:
        return captured_packet(self.context, kit or self.kit, person, **options)

    def headers(self, kit: SimulatedKit | None = None) -> dict[str, str]:
        """The kit's device token, which it shows to read an application's status."""
        chosen = kit or self.kit
        token = device_token(device_id=chosen.device_id, key=chosen.key, clock=self.context.clock)
        return {"Authorization": f"Bearer {token}"}

    async def put_envelope(self, packet: Packet, *, application_id: str | None = None, **body: object) -> Response:
        url = f"{API}/intake/applications/{application_id or packet.envelope.application_id}"
        return await self.client.put(url, json={"envelope": packet.envelope_jws, **body})

    async def put_chunk(
        self, packet: Packet, part: str, offset: int, data: bytes, headers: dict[str, str] | None = None
    ) -> Response:
        return await self.client.put(
            f"{API}/intake/applications/{packet.envelope.application_id}/parts/{part}",
            params={"offset": offset},
            content=data,
            headers={
                "Content-Type": "application/octet-stream",
                **(digest_header(data) if headers is None else headers),
            },
        )

    async def upload(self, packet: Packet, chunk_bytes: int = 4096) -> Response:
        """The envelope, then every part in chunks, each checked by its Content-Digest."""
        response = await self.put_envelope(packet)
        assert response.status_code == 201, response.text
        for name, data in packet.sealed_parts.items():
            for offset in range(0, len(data), chunk_bytes):
                response = await self.put_chunk(packet, name, offset, data[offset : offset + chunk_bytes])
                assert response.status_code == 200, response.text
        return response

    async def status(self, application_id: str, headers: dict[str, str] | None = None) -> Response:
        url = f"{API}/intake/applications/{application_id}"
        return await self.client.get(url, headers=self.headers() if headers is None else headers)


@pytest.fixture
def client(client: AsyncClient, commune: str) -> AsyncClient:
    """The client, once the demo commune and its staff logins are in."""
    return client


@pytest.fixture
def uplink(client: AsyncClient, context: Context, kit: SimulatedKit) -> Uplink:
    return Uplink(client, context, kit)


@pytest.fixture
def adult(people: PeopleOf) -> PersonRead:
    (first,) = people("14_plus", 1)
    return first


@pytest.fixture
def packet(uplink: Uplink, adult: PersonRead) -> Packet:
    """The adult's capture on the kit, not sent yet."""
    return uplink.capture(adult)


async def uploaded_and_checked(uplink: Uplink, packet: Packet, run_pipeline: RunPipeline) -> str:
    """The capture uploaded over HTTP and checked by the pipeline: the application's id."""
    await uplink.upload(packet)
    run_pipeline()
    return packet.envelope.application_id


@pytest.fixture
async def checked(uplink: Uplink, packet: Packet, run_pipeline: RunPipeline) -> str:
    """The adult's application, uploaded and checked: it awaits approval."""
    return await uploaded_and_checked(uplink, packet, run_pipeline)


def is_problem(response: Response, status: int, code: str) -> None:
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == PROBLEM
    assert response.json()["code"] == code


# Intake: what a kit may send, and the problem each refusal is ----------------------------------------


Send = Callable[[Uplink, Packet, PeopleOf], Awaitable[Response]]
Then = Callable[[Uplink, Packet, Response], Awaitable[None]]


def inline(parts: dict[str, str]) -> Send:
    async def send(uplink: Uplink, packet: Packet, people: PeopleOf) -> Response:
        return await uplink.put_envelope(packet, parts=parts)

    return send


def chunk_with_digest(header: str | None) -> Send:
    async def send(uplink: Uplink, packet: Packet, people: PeopleOf) -> Response:
        headers = {"Content-Digest": header} if header else {}
        return await uplink.put_chunk(packet, "face", 0, packet.sealed_parts["face"][:100], headers=headers)

    return send


async def under_another_id(uplink: Uplink, packet: Packet, people: PeopleOf) -> Response:
    _, second = people("14_plus", 2)
    return await uplink.put_envelope(packet, application_id=uplink.capture(second).envelope.application_id)


async def from_an_unknown_device(uplink: Uplink, packet: Packet, people: PeopleOf) -> Response:
    stranger = SimulatedKit("kit-not-registered", generate_signing_key(), uplink.kit.commune_code, "operator")
    return await uplink.put_envelope(uplink.capture(people("14_plus", 1)[0], kit=stranger))


async def other_bytes_than_digested(uplink: Uplink, packet: Packet, people: PeopleOf) -> Response:
    await uplink.put_envelope(packet)
    data = packet.sealed_parts["face"][:100]
    return await uplink.put_chunk(packet, "face", 0, data, headers=digest_header(b"other bytes"))


async def an_oversized_chunk(uplink: Uplink, packet: Packet, people: PeopleOf) -> Response:
    return await uplink.put_chunk(packet, "face", 0, b"\0" * (256 * 1024 + 1))


async def nothing_kept(uplink: Uplink, packet: Packet, response: Response) -> None:
    assert (await uplink.status(packet.envelope.application_id)).json()["known"] is False


async def names_digest(uplink: Uplink, packet: Packet, response: Response) -> None:
    error = response.json()["errors"][0]
    assert (error["location"], error["field"]) == ("header", "content-digest")


REFUSED = [
    pytest.param(inline({"face": "not base64!"}), 422, "validation_error", nothing_kept, id="inline-parts-are-base64"),
    pytest.param(inline({"Face": "AAAA"}), 422, "validation_error", nothing_kept, id="part-names-are-lowercase"),
    pytest.param(inline({"face": "AAAA"}), 422, "part_hash_mismatch", nothing_kept, id="a-part-matches-its-hash"),
    pytest.param(inline({"scan": "AAAA"}), 422, "unknown_part", nothing_kept, id="a-part-is-in-the-manifest"),
    pytest.param(under_another_id, 422, "application_id_mismatch", None, id="the-path-names-the-application"),
    pytest.param(from_an_unknown_device, 403, "unknown_device", None, id="only-registered-kits-send"),
    pytest.param(chunk_with_digest(None), 422, "validation_error", names_digest, id="a-chunk-has-a-digest"),
    pytest.param(chunk_with_digest("sha-256=abc"), 422, "validation_error", names_digest, id="digest-is-structured"),
    pytest.param(chunk_with_digest("md5=:AAAA:"), 422, "validation_error", names_digest, id="digest-is-sha-256"),
    pytest.param(other_bytes_than_digested, 422, "chunk_checksum_mismatch", None, id="a-chunk-matches-its-digest"),
    pytest.param(an_oversized_chunk, 413, "payload_too_large", None, id="a-chunk-is-at-most-256-KiB"),
]


class TestIntake:
    async def test_the_intake_gives_its_connection_back_before_it_answers(
        self, uplink: Uplink, adult: PersonRead, context: Context, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        """Decision 0070: a connection held until the answer was serialised (which waits for a thread of
        the pool) deadlocked the server with 64 uploads in flight; the intake commits before it answers."""
        held_while_answering: list[int] = []
        serialize = fastapi.routing.serialize_response

        async def watched(**arguments: Any) -> Any:
            held_while_answering.append(context.database.engine.pool.checkedout())  # type: ignore[attr-defined]
            return await serialize(**arguments)

        monkeypatch.setattr(fastapi.routing, "serialize_response", watched)
        await uplink.upload(uplink.capture(adult))
        assert len(held_while_answering) >= 2  # the envelope and at least one chunk
        assert set(held_while_answering) == {0}

    @pytest.mark.parametrize(("send", "status", "code", "then"), REFUSED)
    async def test_a_request_breaking_a_rule_is_refused_with_its_problem(
        self,
        uplink: Uplink,
        packet: Packet,
        people: PeopleOf,
        send: Send,
        status: int,
        code: str,
        then: Then | None,
    ) -> None:
        response = await send(uplink, packet, people)
        is_problem(response, status, code)
        if then is not None:
            await then(uplink, packet, response)

    async def test_new_envelope_is_created_then_a_replay_is_accepted_again(
        self, uplink: Uplink, packet: Packet
    ) -> None:
        first = await uplink.put_envelope(packet)
        again = await uplink.put_envelope(packet)
        assert first.status_code == 201
        assert first.json()["replay"] is False
        assert first.json()["status"] == "receiving"
        assert {p["name"] for p in first.json()["parts"]} == {"face", "fingers", "portrait"}
        assert again.status_code == 200
        assert again.json()["replay"] is True

    async def test_another_packet_under_the_same_id_is_a_conflict_with_the_stored_version(
        self, uplink: Uplink, context: Context, packet: Packet
    ) -> None:
        await uplink.put_envelope(packet)
        changed = Capture.model_validate({**packet.envelope.model_dump(exclude={"manifest"}), "phone": "0912345678"})
        other = build_packet(
            capture=changed,
            parts={
                "face": PartIn(PartKind.FACE_TEMPLATE, b"f", 0),
                "fingers": PartIn(PartKind.FINGER_TEMPLATES, b"g", 0),
            },
            device_key=uplink.kit.key,
            server_public_key=keystore_of(context).sealing_public_key(),
        )
        response = await uplink.put_envelope(other)
        is_problem(response, 409, "different_packet")
        problem = response.json()
        assert problem["stored_envelope"] == packet.envelope_jws
        assert problem["stored_status"] == "receiving"
        assert len(problem["stored_envelope_hash"]) == 64

    async def test_an_envelope_with_its_parts_inline_goes_to_the_pipeline_in_one_request(
        self, uplink: Uplink, packet: Packet, run_pipeline: RunPipeline
    ) -> None:
        parts = {name: base64.b64encode(data).decode() for name, data in packet.sealed_parts.items()}

        response = await uplink.put_envelope(packet, parts=parts)
        again = await uplink.put_envelope(packet, parts=parts)

        assert response.status_code == 201, response.text
        assert response.json()["status"] == "processing"
        assert all(part["complete"] for part in response.json()["parts"])
        assert (again.status_code, again.json()["replay"]) == (200, True)
        run_pipeline()
        assert (await uplink.status(packet.envelope.application_id)).json()["status"] == "awaiting_approval"


Credentials = Callable[[Uplink, Packet], dict[str, str]]


def no_token(uplink: Uplink, packet: Packet) -> dict[str, str]:
    return {}


def the_envelope_as_token(uplink: Uplink, packet: Packet) -> dict[str, str]:
    return {"Authorization": "Bearer " + packet.envelope_jws}


def another_kits_token(uplink: Uplink, packet: Packet) -> dict[str, str]:
    return uplink.headers(registered_kit(uplink.context, uplink.kit.commune_code, operator="op2"))


class TestStatus:
    async def test_status_shows_where_each_part_resumes(self, uplink: Uplink, packet: Packet) -> None:
        await uplink.put_envelope(packet)
        face = packet.sealed_parts["face"]
        assert (await uplink.put_chunk(packet, "face", 0, face[:100])).status_code == 200
        response = await uplink.status(packet.envelope.application_id)
        assert response.status_code == 200
        parts = {p["name"]: p for p in response.json()["parts"]}
        assert parts["face"]["received_bytes"] == 100
        assert parts["face"]["size"] == len(face)
        assert parts["face"]["complete"] is False
        assert parts["portrait"]["received_bytes"] == 0
        assert response.json()["status"] == "receiving"
        assert [e["stage"] for e in response.json()["timeline"]] == ["received"]

    async def test_status_of_a_checked_application_carries_its_timeline(
        self, uplink: Uplink, adult: PersonRead, run_pipeline: RunPipeline
    ) -> None:
        wrong = adult.model_copy(update={"full_name": adult.full_name + " Thị"})
        packet = uplink.capture(wrong)
        await uplink.upload(packet)
        run_pipeline()
        body = (await uplink.status(packet.envelope.application_id)).json()
        assert (body["status"], body["status_reason"]) == ("needs_correction", "full_name_mismatch")
        assert all(p["complete"] for p in body["parts"])
        last = body["timeline"][-1]
        assert (last["stage"], last["outcome"], last["reason"]) == (
            "registry_match",
            "needs_correction",
            "full_name_mismatch",
        )
        assert set(last) == {"stage", "outcome", "reason", "at"}

    async def test_status_of_an_application_not_yet_received(self, uplink: Uplink) -> None:
        response = await uplink.status("01900000-0000-7000-8000-000000000000")
        assert response.status_code == 200
        assert (response.json()["known"], response.json()["timeline"]) == (False, [])

    @pytest.mark.parametrize(
        ("credentials", "status", "code"),
        [
            pytest.param(no_token, 401, "invalid_device_token", id="status-needs-a-device-token"),
            pytest.param(the_envelope_as_token, 401, "invalid_device_token", id="an-envelope-is-no-device-token"),
            pytest.param(another_kits_token, 404, None, id="only-the-capturing-kit-reads-the-status"),
        ],
    )
    async def test_only_the_kit_that_sent_an_application_reads_its_status(
        self, uplink: Uplink, packet: Packet, credentials: Credentials, status: int, code: str | None
    ) -> None:
        await uplink.put_envelope(packet)
        response = await uplink.status(packet.envelope.application_id, headers=credentials(uplink, packet))
        assert response.status_code == status
        if code is not None:
            assert response.json()["code"] == code


# The supervisor's decisions ---------------------------------------------------------------------------


class TestDecisions:
    async def test_supervisor_approves(self, client: AsyncClient, checked: str, run_pipeline: RunPipeline) -> None:
        await log_in(client, "supervisor")
        queue = await client.get(f"{API}/applications", params={"status": "awaiting_approval"})
        assert [a["id"] for a in queue.json()] == [checked]
        response = await client.post(f"{API}/applications/{checked}/approve")
        assert response.status_code == 200, response.text
        assert response.json()["decided_by"] == "supervisor"
        assert response.json()["timeline"][-1]["stage"] == "approval"
        run_pipeline()
        detail = await client.get(f"{API}/applications/{checked}")
        assert detail.json()["status"] == "issued"

    async def test_whoever_captured_an_application_cannot_approve_it(
        self, client: AsyncClient, context: Context, commune: str, pipeline: Pipeline, adult: PersonRead
    ) -> None:
        own_kit = registered_kit(context, commune, operator="supervisor")
        application_id = checked_application(context, pipeline, own_kit, adult)
        await log_in(client, "supervisor")
        response = await client.post(f"{API}/applications/{application_id}/approve")
        assert response.status_code == 403
        assert response.json()["code"] == "maker_checker_violation"
        detail = await client.get(f"{API}/applications/{application_id}")
        assert detail.json()["status"] == "awaiting_approval"

    async def test_supervisor_rejects_with_a_reason(self, client: AsyncClient, checked: str) -> None:
        await log_in(client, "supervisor")
        url = f"{API}/applications/{checked}/reject"
        assert (await client.post(url, json={"reason": "  "})).status_code == 422
        response = await client.post(url, json={"reason": "portrait is blurred"})
        assert response.status_code == 200
        assert response.json()["status"] == "rejected"
        assert response.json()["timeline"][-1]["note"] == "portrait is blurred"
        again = await client.post(f"{API}/applications/{checked}/approve")
        assert again.status_code == 409
        assert again.json()["code"] == "not_awaiting_decision"

    async def test_supervisor_adjudicates_a_suspected_duplicate(
        self, client: AsyncClient, context: Context, pipeline: Pipeline, kit: SimulatedKit, people: PeopleOf
    ) -> None:
        _, impostor = suspected_duplicate(context, pipeline, kit, *people("14_plus", 2))
        await log_in(client, "supervisor")
        url = f"{API}/applications/{impostor}/adjudicate"
        assert (await client.post(url, json={"is_duplicate": True})).status_code == 422
        response = await client.post(url, json={"is_duplicate": True, "reason": "same face, other ID number"})
        assert response.status_code == 200, response.text
        assert response.json()["status"] == "rejected_duplicate"
        assert response.json()["timeline"][-1]["outcome"] == "duplicate"

    async def test_stats(self, client: AsyncClient, checked: str) -> None:
        await log_in(client, "operator")
        stats = (await client.get(f"{API}/stats")).json()
        assert stats["applications"] == 1
        assert stats["by_status"]["awaiting_approval"] == 1


# Who may do what ----------------------------------------------------------------------------------------


class TestAccess:
    @pytest.mark.parametrize(
        ("who", "method", "path", "status", "code"),
        [
            pytest.param(None, "GET", "/applications", 401, "not_authenticated", id="staff-endpoints-need-a-login"),
            pytest.param("committee", "GET", "/applications", 403, "forbidden", id="the-committee-sees-no-queue"),
            pytest.param("operator", "GET", "/applications", 200, None, id="operators-see-the-queue"),
            pytest.param(
                "operator", "POST", "/applications/{checked}/approve", 403, "forbidden", id="operators-do-not-decide"
            ),
            pytest.param("supervisor", "GET", "/devices", 403, "forbidden", id="only-administrators-manage-devices"),
        ],
    )
    async def test_each_role_may_do_its_own_work_only(
        self,
        client: AsyncClient,
        uplink: Uplink,
        packet: Packet,
        run_pipeline: RunPipeline,
        who: str | None,
        method: str,
        path: str,
        status: int,
        code: str | None,
    ) -> None:
        if "{checked}" in path:
            path = path.format(checked=await uploaded_and_checked(uplink, packet, run_pipeline))
        if who is not None:
            await log_in(client, who)
        response = await client.request(method, API + path)
        assert response.status_code == status
        if code is not None:
            is_problem(response, status, code)

    async def test_staff_of_another_commune_see_nothing(
        self, client: AsyncClient, context: Context, checked: str
    ) -> None:
        await log_in(client, staff_member(context, StaffRole.SUPERVISOR, "supervisor.elsewhere", commune_code="99999"))
        assert (await client.get(f"{API}/applications")).json() == []
        assert (await client.get(f"{API}/applications/{checked}")).status_code == 404
        response = await client.post(f"{API}/applications/{checked}/approve")
        assert response.status_code == 404
        assert response.json()["code"] == "application_not_found"
        assert (await client.get(f"{API}/stats")).json()["applications"] == 0


# Devices --------------------------------------------------------------------------------------------------


class TestDevices:
    async def test_administrator_registers_lists_and_revokes_a_kit(
        self, client: AsyncClient, uplink: Uplink, commune: str, adult: PersonRead
    ) -> None:
        await log_in(client, "admin")
        key = generate_signing_key()
        created = await client.post(f"{API}/devices", json={"commune_code": commune, "public_jwk": public_jwk(key)})
        assert created.status_code == 201, created.text
        device_id = created.json()["id"]
        listed = await client.get(f"{API}/devices")
        assert {device_id, uplink.kit.device_id} <= {d["id"] for d in listed.json()}
        same_key = await client.post(f"{API}/devices", json={"commune_code": commune, "public_jwk": public_jwk(key)})
        assert same_key.status_code == 409
        revoked = await client.post(
            f"{API}/devices/{uplink.kit.device_id}/revoke", json={"reason": "lost in the flood"}
        )
        assert revoked.status_code == 200
        assert revoked.json()["revoked_reason"] == "lost in the flood"
        refused = await uplink.put_envelope(uplink.capture(adult))
        assert refused.status_code == 403
        assert refused.json()["code"] == "revoked_device"

    async def test_a_bad_key_is_a_readable_problem(self, client: AsyncClient, commune: str) -> None:
        await log_in(client, "admin")
        response = await client.post(f"{API}/devices", json={"commune_code": commune, "public_jwk": {"kty": "RSA"}})
        assert response.status_code == 422
        assert response.json()["code"] == "invalid_device_key"
