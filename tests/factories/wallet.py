"""Documents handed over to a holder's wallet, as the issue stage does."""

from __future__ import annotations

from civicid.core.audit import SYSTEM
from civicid.core.database import unit_of_work
from civicid.core.runtime import Context
from civicid.registry.schemas import PersonRead
from civicid.wallet import service as wallet
from civicid.wallet.schemas import DocumentIn

from .agencies import licence

LICENCE = DocumentIn(kind="driving_licence", number="019123450001", extra={"class": "A1"})
HEALTH = DocumentIn(kind="health_insurance", number="GD40191234500")


def handed_over(context: Context, person: PersonRead, *documents: DocumentIn, source: str = "application:A1") -> int:
    """Hand ``documents`` over to the person's wallet (requested, until they activate); how many were new."""
    with unit_of_work(context.database.sessions) as session:
        return wallet.hand_over_documents(
            session=session,
            clock=context.clock,
            actor=SYSTEM,
            handovers=[wallet.Handover(person.id, source, list(documents))],
        )


def held_licence(context: Context, person: PersonRead, *, classes: str = "A1") -> DocumentIn:
    """A licence the (simulated) traffic police hold for the person, as form TK01 would list it."""
    record = licence(context, person.id_number, classes=classes)
    return DocumentIn(kind="driving_licence", number=record.number, extra={"class": classes})
