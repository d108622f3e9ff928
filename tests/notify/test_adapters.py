"""The SMS gateway adapters: one contract for all, and the file gateway's JSON lines."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from civicid.core.clock import FixedClock
from civicid.notify.adapters import FileSmsGateway, NullSmsGateway, RecordingSmsGateway
from civicid.notify.errors import SmsGatewayError
from civicid.notify.ports import SmsGateway


@pytest.fixture(params=["file", "null", "recording"])
def gateway(request: pytest.FixtureRequest, tmp_path: Path, clock: FixedClock) -> SmsGateway:
    if request.param == "file":
        return FileSmsGateway(tmp_path / "sms-outbox.jsonl", clock=clock)
    if request.param == "null":
        return NullSmsGateway()
    return RecordingSmsGateway()


def test_contract_returns_distinct_message_ids(gateway: SmsGateway) -> None:
    first = gateway.send(to="0912345678", text="xin chào", idempotency_key="k1")
    second = gateway.send(to="0912345678", text="xin chào", idempotency_key="k2")
    assert isinstance(first, str)
    assert first
    assert first != second


def test_file_gateway_appends_json_lines(tmp_path: Path, clock: FixedClock) -> None:
    path = tmp_path / "data" / "sms-outbox.jsonl"
    gateway = FileSmsGateway(path, clock=clock)
    ids = [gateway.send(to="0912345678", text=f"tin nhắn {n}", idempotency_key=f"k{n}") for n in range(3)]
    lines = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]
    assert [line["message_id"] for line in lines] == ids
    assert lines[1] == {
        "message_id": ids[1],
        "at": clock.now().isoformat(),
        "to": "0912345678",
        "text": "tin nhắn 1",
        "idempotency_key": "k1",
    }
    assert "tin nhắn" in path.read_text(encoding="utf-8")  # UTF-8, not \u escapes


def test_file_gateway_failure_is_a_gateway_error(tmp_path: Path) -> None:
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("x")
    gateway = FileSmsGateway(blocker / "sms-outbox.jsonl")
    with pytest.raises(SmsGatewayError) as raised:
        gateway.send(to="0912345678", text="x", idempotency_key="k")
    assert "0912345678" not in str(raised.value)


def test_recording_gateway_fails_when_told() -> None:
    gateway = RecordingSmsGateway()
    gateway.fail_next(1)
    with pytest.raises(SmsGatewayError):
        gateway.send(to="0912345678", text="x", idempotency_key="k")
    gateway.send(to="0912345678", text="x", idempotency_key="k")
    assert [s.idempotency_key for s in gateway.sent] == ["k"]
