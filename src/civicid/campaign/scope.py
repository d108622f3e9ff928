"""What a staff member may see of the campaign: a commune, or one village for a village head.

Least privilege: a committee login bound to a village (``campaign_village_head``) sees that
village's page and its missing list, nothing of the other villages.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from civicid.campaign.errors import OutsideVillage
from civicid.campaign.models import VillageHead
from civicid.core import audit
from civicid.core.audit import Actor
from civicid.core.clock import Clock
from civicid.registry import queries as registry
from civicid.registry.queries import VillagePlace


@dataclass(frozen=True)
class Scope:
    commune_code: str | None  # None: every commune (administrators)
    village_id: int | None  # set for a village head


def scope_of(*, session: Session, staff_account_id: int, commune_code: str | None) -> Scope:
    village_id = session.scalar(select(VillageHead.village_id).where(VillageHead.staff_account_id == staff_account_id))
    if village_id is not None:
        commune_code = registry.village_commune(session, village_id)
    return Scope(commune_code=commune_code, village_id=village_id)


def check_village(*, session: Session, scope: Scope, village_id: int) -> VillagePlace:
    """The village, if the scope allows it; :class:`OutsideVillage` otherwise (and for unknown ids)."""
    village = registry.village(session, village_id)
    if village is None or (scope.village_id is not None and scope.village_id != village_id):
        raise OutsideVillage(f"village {village_id} is outside what this login may see")
    if scope.commune_code is not None and village.commune_code != scope.commune_code:
        raise OutsideVillage(f"village {village_id} is outside what this login may see")
    return village


def bind_village_head(*, session: Session, clock: Clock, actor: Actor, staff_account_id: int, village_id: int) -> None:
    """Make a committee login a village head: it will see this village only."""
    if registry.village(session, village_id) is None:
        raise OutsideVillage(f"no village {village_id}")
    existing = session.get(VillageHead, staff_account_id)
    if existing is None:
        session.add(VillageHead(staff_account_id=staff_account_id, village_id=village_id))
    else:
        existing.village_id = village_id
    audit.record(
        session=session,
        clock=clock,
        actor=actor,
        action="campaign.village_head",
        subject_type="staff_account",
        subject_id=str(staff_account_id),
        details={"village_id": village_id},
    )
