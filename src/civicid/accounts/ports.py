"""What accounts ask of the capabilities above them, without importing them (they are plugged in at composition).

When a holder arrives — activates the account, or logs in — the wallet puts the documents they asked
for to the issuing agencies. Accounts know nothing of documents: the app factory hands them a
:class:`HolderArrival` (``wallet.service.holder_arrival``) and they call it at the right moment,
inside the same transaction.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

from sqlalchemy.orm import Session

from civicid.core.clock import Clock


@dataclass(frozen=True)
class Arrival:
    """What was done for the holder on arrival: documents the agencies confirmed, those they refused, and
    those waiting for an agency that could not be reached."""

    documents_integrated: int = 0
    documents_refused: int = 0
    documents_pending: int = 0


class HolderArrival(Protocol):
    def __call__(self, *, session: Session, clock: Clock, account_id: str, person_id: int, id_number: str) -> Arrival:
        """Do what the holder's arrival calls for; ``id_number`` is personal data, never logged."""
        ...


def nothing_on_arrival(*, session: Session, clock: Clock, account_id: str, person_id: int, id_number: str) -> Arrival:
    """For a deployment (or a test) with no wallet: arriving does nothing more."""
    return Arrival()


class RegistryPortraits(Protocol):
    """The portrait the population registry holds for a card holder: what a level-1 selfie is matched against.

    The national population database is outside CivicID; a deployment plugs in its adapter. The demo's
    and the tests' is ``biometrics.simulated.DrawnPortraits`` (the simulator's drawn faces), and says so.
    """

    def portrait(self, *, person_id: int, id_number: str) -> bytes | None: ...
