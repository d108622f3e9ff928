"""What the committee's planning pages draw, and how they read a form's values.

``team_pages.py`` holds the routes; this module holds the page object they share (who asks, in
which scope, about which campaign), the refusal shown on a form, and the parsing of typed values
into the campaign's domain errors, so each route says only what it reads and what it changes.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from fastapi import Request
from fastapi.responses import RedirectResponse
from sqlalchemy import select
from sqlalchemy.orm import Session
from starlette.responses import Response

from civicid.campaign import assignments, service
from civicid.campaign.errors import DuplicateMember, DuplicateTeam, InvalidCampaignInput, KitAlreadyInTeam
from civicid.campaign.models import Campaign, Organisation, Team
from civicid.campaign.scope import Scope
from civicid.core.audit import Actor
from civicid.core.clock import Clock
from civicid.core.errors import CivicIDError
from civicid.devices.service import list_devices
from civicid.registry import queries as registry
from civicid.registry.queries import VillagePlace
from civicid.web.roles import Permission, allows
from civicid.web.staff import StaffAccount
from civicid.web.staff_service import staff_actor
from civicid.web.templating import render

# The refusals shown on the form; anything else (403, 404 of a page) goes to the error page.
FORM_ERRORS = (InvalidCampaignInput, DuplicateTeam, DuplicateMember, KitAlreadyInTeam)
DONE = frozenset(
    {"team", "member", "member_removed", "renamed", "kit", "assigned", "reassigned", "withdrawn", "target"}
)
TARGET_MAX = 100_000


@dataclass(frozen=True)
class PlanningPage:
    """One request to these pages: who asks, in which scope, about which campaign.

    It draws the three pages (again with the refusal and the values typed, after a refused change)
    and applies a change in a savepoint, so every handler says only what it reads and what it does.
    """

    request: Request
    session: Session
    clock: Clock
    principal: StaffAccount
    scope: Scope
    campaign: Campaign

    @property
    def actor(self) -> Actor:
        return staff_actor(self.principal)

    def submit(self, change: Callable[[], str], page: Callable[[CivicIDError], Response]) -> Response:
        """Apply one change in a savepoint; a refusal undoes it and shows the form again with why."""
        try:
            with self.session.begin_nested():
                target = change()
        except FORM_ERRORS as exc:
            return page(exc)
        return RedirectResponse(target, status_code=303)

    def teams(self, error: CivicIDError | None = None, form: dict[str, Any] | None = None) -> Response:
        rows = assignments.list_assignments(
            session=self.session,
            campaign_id=self.campaign.id,
            since=self.clock.today(),
            village_id=self.scope.village_id,
        )
        teams = service.list_teams(session=self.session, campaign_id=self.campaign.id)
        if self.scope.village_id is not None:
            # A village head sees the teams sent to their village, nothing of the others'.
            sent = {row.team_id for row in rows}
            teams = [(team, members) for team, members in teams if team.id in sent]
        by_team: dict[int, list[assignments.AssignmentRow]] = {}
        for row in rows:
            by_team.setdefault(row.team_id, []).append(row)
        kits = free_kits(self.session, self.campaign)
        return self._render("teams.html", error, form, {"teams": teams, "by_team": by_team, "kits": kits})

    def team(self, team: Team, error: CivicIDError | None = None, form: dict[str, Any] | None = None) -> Response:
        today = self.clock.today()
        teams = service.list_teams(session=self.session, campaign_id=self.campaign.id)
        rows = assignments.list_assignments(
            session=self.session,
            campaign_id=self.campaign.id,
            since=today,
            team_id=team.id,
            village_id=self.scope.village_id,
        )
        tomorrow = max(today + dt.timedelta(days=1), self.campaign.start_date)
        defaults = {
            "village_ids": [],
            "households": "",
            "start": tomorrow.isoformat(),
            "end": min(tomorrow + dt.timedelta(days=6), self.campaign.deadline).isoformat(),
            "name": "",
            "team_name": "",
            "organisation": "",
            "username": "",
            "reassign_id": "",
            "team_id": "",
            "reassign_start": tomorrow.isoformat(),
        }
        values = {
            "team": team,
            "members": next((m for t, m in teams if t.id == team.id), []),
            "rows": rows,
            "others": [t for t, _ in teams if t.id != team.id],
            "villages": villages_of(self.session, self.campaign),
            "organisations": list(Organisation),
            "kits": free_kits(self.session, self.campaign),
        }
        return self._render("team.html", error, defaults | (form or {}), values)

    def targets(self, error: CivicIDError | None = None, form: dict[str, Any] | None = None) -> Response:
        villages = villages_of(self.session, self.campaign)
        if self.scope.village_id is not None:
            villages = [v for v in villages if v.id == self.scope.village_id]
        targets = service.current_targets(session=self.session, campaign_id=self.campaign.id)
        return self._render("targets.html", error, form, {"villages": villages, "targets": targets})

    def _render(
        self, name: str, error: CivicIDError | None, form: dict[str, Any] | None, values: dict[str, Any]
    ) -> Response:
        done = self.request.query_params.get("done")
        return render(
            self.request,
            f"campaign/{name}",
            {
                "campaign": self.campaign,
                "editable": self.scope.village_id is None and allows(self.principal.role, Permission.CAMPAIGN_MANAGE),
                "error": error_message(error),
                "form": form or {},
                "done": done if done in DONE else None,
                **values,
            },
            principal=self.principal,
            status_code=error.status if error is not None else 200,
        )


def error_message(error: CivicIDError | None) -> dict[str, str] | None:
    """The refusal as a translation key (by code and field) and the service's own sentence."""
    if error is None:
        return None
    field = str(error.extensions.get("field", ""))
    rule = str(error.extensions.get("rule", ""))
    return {
        "key": f"campaign.manage.error.{error.code}",
        "field_key": f"campaign.manage.field.{field}",
        "rule_key": f"campaign.manage.rule.{rule}",
        "detail": error.detail,
    }


def villages_of(session: Session, campaign: Campaign) -> list[VillagePlace]:
    return registry.villages_of_commune(session, campaign.commune_code)


def free_kits(session: Session, campaign: Campaign) -> list[str]:
    """Registered, unrevoked kits of the commune that serve no team of this campaign yet."""
    taken = set(session.scalars(select(Team.device_id).where(Team.campaign_id == campaign.id)))
    devices = list_devices(session=session, commune_code=campaign.commune_code)
    return [d.id for d in devices if not d.revoked and d.id not in taken]


def parse_date(value: str, field: str) -> dt.date:
    try:
        return dt.date.fromisoformat(value.strip())
    except ValueError:
        raise InvalidCampaignInput(f"{field} must be a date like 2026-12-31", field=field, rule="not_a_date") from None


def parse_ids(values: list[str], field: str) -> list[int]:
    try:
        return [int(v) for v in values if v.strip()]
    except ValueError:
        raise InvalidCampaignInput(f"{field} takes numbers", field=field, rule="not_numbers") from None


def parse_count(value: str, field: str) -> int:
    try:
        number = int(value.strip())
    except ValueError:
        raise InvalidCampaignInput(f"{field} must be a whole number", field=field, rule="not_whole") from None
    if not 0 <= number <= TARGET_MAX:
        raise InvalidCampaignInput(f"{field} must lie between 0 and {TARGET_MAX}", field=field, rule="out_of_range")
    return number


__all__ = [
    "DONE",
    "FORM_ERRORS",
    "TARGET_MAX",
    "PlanningPage",
    "error_message",
    "free_kits",
    "parse_count",
    "parse_date",
    "parse_ids",
    "villages_of",
]
