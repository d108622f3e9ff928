"""The e-ID card the app shows: who the holder is (the registry's record), the account's level and
status, the chip card the registry records, and the portrait captured at level-2 enrollment.

Reading the card is a read of the person's record, audited as one (``registry.service``, with the
holder as the actor); reading the portrait is audited too.
"""

from __future__ import annotations

from sqlalchemy.orm import Session

from civicid.accounts import service as accounts
from civicid.accounts.activation import holder_actor
from civicid.core import audit
from civicid.core.audit import Actor
from civicid.core.clock import Clock
from civicid.registry import service as registry
from civicid.registry.schemas import IdCardRead
from civicid.wallet import repository
from civicid.wallet.errors import PortraitNotFound
from civicid.wallet.portraits import Portrait, PortraitVault
from civicid.wallet.schemas import CardRead, IdCardSummary

#: Where the app fetches the card's portrait (``wallet.router``), with the same session headers.
PORTRAIT_PATH = "/api/v1/accounts/me/card/portrait"
_CARD_FIELDS = {"number", "issue_date", "expiry_date", "status"}


def read_card(*, session: Session, clock: Clock, account_id: str, person_id: int) -> CardRead:
    account = accounts.get_account(session=session, account_id=account_id)
    actor = holder_actor(account_id)
    person = registry.get_person(session=session, clock=clock, actor=actor, person_id=person_id)
    card = current_card(registry.list_id_cards(session=session, clock=clock, actor=actor, person_id=person_id))
    return CardRead(
        full_name=person.full_name,
        id_number=person.id_number,
        date_of_birth=person.date_of_birth,
        sex=person.sex,
        level=account.level,
        account_status=account.status,
        card=None
        if card is None
        else IdCardSummary(**card.model_dump(include={"number", "issue_date", "expiry_date", "status"})),
        portrait=PORTRAIT_PATH if repository.has_portrait(session, person_id) else None,
    )


def current_card(cards: list[IdCardRead]) -> IdCardRead | None:
    """The valid card, or else the latest issued (expired, revoked or lost: the app shows which)."""
    valid = [c for c in cards if c.status == "valid"]
    chosen = valid or cards
    return max(chosen, key=lambda c: (c.issue_date, c.id)) if chosen else None


def read_portrait(
    *, session: Session, clock: Clock, vault: PortraitVault, account_id: str, person_id: int, actor: Actor | None = None
) -> Portrait:
    """The card's portrait, read by its holder, or by ``actor`` (an officer printing the paper card); audited."""
    stored = repository.portrait(session, person_id)
    if stored is None:
        raise PortraitNotFound("no portrait was captured at enrollment for this card")
    audit.record(
        session=session,
        clock=clock,
        actor=actor or holder_actor(account_id),
        action="wallet.portrait_read",
        subject_type="person",
        subject_id=str(person_id),
    )
    return vault.open(person_id, stored.media_type, stored.sealed)
