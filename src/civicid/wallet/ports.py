"""The port to the agencies that own the documents (traffic police, social security, tax office)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

from civicid.wallet.models import DocumentKind


@dataclass(frozen=True)
class Confirmation:
    """An agency's answer: confirmed, or refused with a short machine reason (``number_malformed``)."""

    confirmed: bool
    reason: str | None = None


class DocumentAuthority(Protocol):
    def confirm(self, *, kind: DocumentKind, number: str, extra: dict[str, str] | None, id_number: str) -> Confirmation:
        """Ask the owning agency's database whether ``number`` is a document of ``kind`` held by ``id_number``.

        ``id_number`` is personal data: an adapter sends it to the agency and never logs it.
        """
        ...
