"""Errors of the campaign: bad plans, unknown campaigns, teams and villages, visits that do not fit."""

from __future__ import annotations

from civicid.core.errors import Conflict, Forbidden, InvalidInput, NotFound


class CampaignNotFound(NotFound):
    code = "campaign_not_found"
    title = "No such campaign"


class TeamNotFound(NotFound):
    code = "team_not_found"
    title = "No such team in this campaign"


class InvalidCampaignInput(InvalidInput):
    code = "invalid_campaign_input"
    title = "The campaign data are not valid"


class DuplicateTeam(Conflict):
    code = "duplicate_team"
    title = "The campaign already has a team of this name"


class DuplicateMember(Conflict):
    """A person is a member of a team once: the same name or the same staff login is refused."""

    code = "duplicate_member"
    title = "This person is already a member of the team"


class MemberNotFound(NotFound):
    code = "member_not_found"
    title = "No such member in this team"


class DuplicateCampaign(Conflict):
    code = "duplicate_campaign"
    title = "The commune already has a campaign of this name"


class KitAlreadyInTeam(Conflict):
    code = "kit_already_in_team"
    title = "The field kit already serves another team of this campaign"


class InvalidVisit(InvalidInput):
    code = "invalid_visit"
    title = "The visit report does not fit the registry"


class OutsideVillage(Forbidden):
    code = "outside_village"
    title = "A village head sees their own village only"
