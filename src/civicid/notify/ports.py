"""The port to an SMS gateway, the one external system this capability talks to.

Delivery is at least once: the dispatcher may hand the same message to the gateway twice (a crash
after sending and before recording it as sent), always with the same ``idempotency_key``, so that a
gateway which deduplicates on it (most HTTP SMS APIs accept a client reference) sends it once.
"""

from __future__ import annotations

from typing import Protocol


class SmsGateway(Protocol):
    def send(self, *, to: str, text: str, idempotency_key: str) -> str:
        """Hand one SMS to the carrier and return the gateway's message id.

        Raises :class:`civicid.notify.errors.SmsGatewayError` when the message was not accepted;
        the dispatcher then retries with backoff. ``to`` is personal data: never log it.
        """
        ...
