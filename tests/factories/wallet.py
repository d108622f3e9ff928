"""Documents handed over to a holder's wallet, as the issue stage does."""

from __future__ import annotations

import datetime as dt

from civicid.core.audit import SYSTEM
from civicid.core.database import unit_of_work
from civicid.core.runtime import Context
from civicid.registry.schemas import PersonRead
from civicid.wallet import service as wallet
from civicid.wallet.portraits import PortraitVault
from civicid.wallet.schemas import DocumentIn

from .agencies import licence

LICENCE = DocumentIn(kind="driving_licence", number="019123450001", extra={"class": "A1"})
HEALTH = DocumentIn(kind="health_insurance", number="GD40191234500")


def handed_over(
    context: Context,
    person: PersonRead,
    *documents: DocumentIn,
    source: str = "application:A1",
    portrait: bytes | None = None,
) -> int:
    """Hand ``documents`` over to the person's wallet (requested, until they activate), and the enrollment
    ``portrait`` for the e-ID card (a JPEG photo, or the simulator's SVG drawing); how many documents were new."""
    with unit_of_work(context.database.sessions) as session:
        return wallet.hand_over_documents(
            session=session,
            clock=context.clock,
            actor=SYSTEM,
            handovers=[wallet.Handover(person.id, source, list(documents), portrait=portrait)],
            portraits=None if portrait is None else PortraitVault.of_data_dir(context.settings.data_dir),
        )


def held_licence(
    context: Context,
    person: PersonRead,
    *,
    classes: str = "A1",
    valid_until: dt.date | None = None,
    revoked: bool = False,
) -> DocumentIn:
    """A licence the (simulated) traffic police hold for the person, as form TK01 would list it."""
    record = licence(context, person.id_number, classes=classes, valid_until=valid_until, revoked=revoked)
    return DocumentIn(kind="driving_licence", number=record.number, extra={"class": classes.split()[0]})
