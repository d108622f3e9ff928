"""Implementations of :class:`~civicid.notify.ports.SmsGateway`: a file (the default), a recorder and a null one.

A real carrier's HTTP API is a later adapter behind the same port.
"""

from __future__ import annotations

import json
import os
import threading
from dataclasses import dataclass
from pathlib import Path

from civicid.core.clock import Clock, SystemClock
from civicid.core.ids import new_id
from civicid.core.settings import Settings
from civicid.country.zone import TIME_ZONE
from civicid.notify.errors import SmsGatewayError

SMS_OUTBOX_FILE = "sms-outbox.jsonl"


class FileSmsGateway:
    """Appends each message as one JSON line to a file: the demo's and a field kit's "carrier".

    Each line is written with one ``write`` on a descriptor opened with ``O_APPEND`` and then synced,
    so concurrent senders never interleave and an accepted message survives a power cut.
    """

    def __init__(self, path: Path, *, clock: Clock | None = None) -> None:
        self.path = path
        self._clock = clock or SystemClock(zone=TIME_ZONE)

    def send(self, *, to: str, text: str, idempotency_key: str) -> str:
        message_id = new_id()
        line = {
            "message_id": message_id,
            "at": self._clock.now().isoformat(),
            "to": to,
            "text": text,
            "idempotency_key": idempotency_key,
        }
        data = (json.dumps(line, ensure_ascii=False) + "\n").encode("utf-8")
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            descriptor = os.open(self.path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
            try:
                written = os.write(descriptor, data)
                os.fsync(descriptor)
            finally:
                os.close(descriptor)
        except OSError as exc:
            raise SmsGatewayError(f"cannot append to the SMS outbox file: {exc.strerror}") from exc
        if written != len(data):
            raise SmsGatewayError("short write to the SMS outbox file")
        return message_id


def file_gateway(settings: Settings, *, clock: Clock | None = None) -> FileSmsGateway:
    """The default gateway of a deployment: ``<data_dir>/sms-outbox.jsonl``."""
    return FileSmsGateway(settings.data_dir / SMS_OUTBOX_FILE, clock=clock)


class NullSmsGateway:
    """Accepts every message and forgets it."""

    def send(self, *, to: str, text: str, idempotency_key: str) -> str:
        return new_id()


@dataclass(frozen=True)
class SentSms:
    to: str
    text: str
    idempotency_key: str
    message_id: str


class RecordingSmsGateway:
    """Keeps what it was given, in order; ``fail_next`` makes the next sends fail, for retry tests."""

    def __init__(self) -> None:
        self.sent: list[SentSms] = []
        self.failures_left = 0
        self._lock = threading.Lock()

    def fail_next(self, count: int = 1) -> None:
        self.failures_left = count

    def send(self, *, to: str, text: str, idempotency_key: str) -> str:
        with self._lock:
            if self.failures_left > 0:
                self.failures_left -= 1
                raise SmsGatewayError("simulated gateway failure")
            sent = SentSms(to=to, text=text, idempotency_key=idempotency_key, message_id=new_id())
            self.sent.append(sent)
            return sent.message_id
