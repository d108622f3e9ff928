"""The committee's pages to run the campaign: teams, members, assignments, targets, and their refusals."""

from __future__ import annotations

import datetime as dt

import pytest
from httpx import AsyncClient, Response
from sqlalchemy import select
from tests.factories import COMMITTEE, SmallCommune, campaign_teams, log_in, staff_member, team_assignment

from civicid.campaign import service
from civicid.campaign.assignments import kit_assignment
from civicid.campaign.models import Assignment, Campaign, Team, TeamMember, VillageTarget
from civicid.core.audit import AuditEntry
from civicid.core.crypto import generate_signing_key, public_jwk
from civicid.core.database import unit_of_work
from civicid.core.runtime import Context
from civicid.devices.service import register_device
from civicid.web.staff import StaffRole

pytestmark = pytest.mark.anyio
TODAY = dt.date(2026, 11, 28)  # the suite's clock
TOMORROW = TODAY + dt.timedelta(days=1)
BAD_DATES = (
    ("2026-12-05", "2026-12-01", "ends before it starts"),
    ("2026-11-27", "2026-12-01", "starts before today"),
    ("2026-12-01", "2027-01-15", "after the campaign"),
    ("31/12/2026", "2026-12-31", "must be a date"),
    ("", "2026-12-31", "must be a date"),
)
BAD_PLACES: tuple[tuple[dict[str, str | list[str]], str], ...] = (
    ({"village_ids": ["999999"]}, "no village 999999"),
    ({"village_ids": ["abc"]}, "takes numbers"),
    ({"households": "99999999"}, "no household 99999999"),
    ({}, "at least one village or household"),
)


@pytest.fixture
def teams(context: Context, commune: SmallCommune, campaign: Campaign) -> dict[str, int]:
    """Two teams with kits, the first sent to the first village for a week; the staff who use the pages."""
    staff_member(context, StaffRole.COMMITTEE, "chairman", commune_code=commune.code)
    staff_member(context, StaffRole.COMMITTEE, "head.one", commune_code=commune.code, head_of=commune.villages[1])
    staff_member(context, StaffRole.SUPERVISOR, "checker", commune_code=commune.code)
    staff_member(context, StaffRole.OPERATOR, "clerk", commune_code=commune.code)
    ids = campaign_teams(context, campaign, {"Tổ 1": "kit-a", "Tổ 2": "kit-b"})
    team_assignment(context, ids["Tổ 1"], TOMORROW, TOMORROW + dt.timedelta(days=6), village_ids=[commune.villages[0]])
    return ids


@pytest.fixture
def client(client: AsyncClient, teams: dict[str, int]) -> AsyncClient:
    """The client, once the teams and the staff who use the pages are in."""
    return client


def _actions(context: Context) -> list[str]:
    with unit_of_work(context.database.sessions) as session:
        return list(session.scalars(select(AuditEntry.action)))


async def _assign(client: AsyncClient, team_id: int, **fields: str | list[str]) -> Response:
    data: dict[str, str | list[str]] = {
        "start": TOMORROW.isoformat(),
        "end": (TOMORROW + dt.timedelta(days=2)).isoformat(),
    }
    data.update(fields)
    return await client.post(f"/campaign/teams/{team_id}/assignments?lang=en", data=data)


class TestTeams:
    async def test_the_committee_creates_a_team_and_adds_its_members(
        self, client: AsyncClient, context: Context
    ) -> None:
        await log_in(client, "chairman")
        created = await client.post("/campaign/teams", data={"name": "Tổ 3 – Hội Phụ nữ"})
        assert created.status_code == 303
        location = created.headers["location"]
        team_id = int(location.split("/")[3].split("?")[0])
        added = await client.post(
            f"/campaign/teams/{team_id}/members", data={"name": "Hoàng Thị Lan", "organisation": "womens_union"}
        )
        assert added.status_code == 303
        page = await client.get(f"/campaign/teams/{team_id}?lang=en&done=member")
        assert "Hoàng Thị Lan" in page.text
        assert "Women&#39;s Union" in page.text
        assert "Member added." in page.text
        with unit_of_work(context.database.sessions) as session:
            assert session.scalars(select(TeamMember.name).where(TeamMember.team_id == team_id)).all() == [
                "Hoàng Thị Lan"
            ]
        assert {"campaign.team", "campaign.member"} <= set(_actions(context))

    async def test_the_teams_page_lists_teams_members_and_assignments_in_both_languages(
        self, client: AsyncClient
    ) -> None:
        await log_in(client, "chairman")
        vi = await client.get("/campaign/teams")
        en = await client.get("/campaign/teams?lang=en")
        assert vi.status_code == en.status_code == 200
        assert "Tổ công tác và phân công" in vi.text
        assert "Teams and assignments" in en.text
        assert "Tổ 1" in en.text
        assert "Tổ 2" in en.text

    async def test_a_name_already_taken_is_refused_on_the_form(self, client: AsyncClient) -> None:
        await log_in(client, "chairman")
        page = await client.post("/campaign/teams?lang=en", data={"name": "Tổ 1"})
        assert page.status_code == 409
        assert "already has a team of this name" in page.text
        assert 'value="Tổ 1"' in page.text  # what was typed stays

    async def test_an_unregistered_kit_is_refused(self, client: AsyncClient) -> None:
        await log_in(client, "chairman")
        page = await client.post("/campaign/teams?lang=en", data={"name": "Tổ 5", "device_id": "made-up-kit"})
        assert page.status_code == 422
        assert "registered kit" in page.text

    async def test_an_empty_member_name_or_organisation_is_refused(
        self, client: AsyncClient, teams: dict[str, int]
    ) -> None:
        await log_in(client, "chairman")
        no_org = await client.post(f"/campaign/teams/{teams['Tổ 1']}/members?lang=en", data={"name": "Lò Văn Dũng"})
        no_name = await client.post(
            f"/campaign/teams/{teams['Tổ 1']}/members?lang=en", data={"name": " ", "organisation": "police"}
        )
        assert no_org.status_code == no_name.status_code == 422
        assert "where the member comes from" in no_org.text

    async def test_a_person_is_a_member_once(self, client: AsyncClient, teams: dict[str, int]) -> None:
        await log_in(client, "chairman")
        url = f"/campaign/teams/{teams['Tổ 1']}/members?lang=vi"
        first = await client.post(url, data={"name": "Hoàng Thị Lan", "organisation": "womens_union"})
        again = await client.post(url, data={"name": "hoang thi lan", "organisation": "youth_union"})
        assert first.status_code == 303
        assert again.status_code == 409
        assert "Người này đã là thành viên của tổ." in again.text
        page = await client.get(f"/campaign/teams/{teams['Tổ 1']}")
        assert page.text.count("Hoàng Thị Lan") == 2  # the name, and the remove button's label

    async def test_a_member_can_be_removed(self, client: AsyncClient, context: Context, teams: dict[str, int]) -> None:
        await log_in(client, "chairman")
        team_id = teams["Tổ 1"]
        await client.post(f"/campaign/teams/{team_id}/members", data={"name": "Lò Văn Dũng", "organisation": "police"})
        with unit_of_work(context.database.sessions) as session:
            member_id = session.scalar(select(TeamMember.id).where(TeamMember.team_id == team_id))
        removed = await client.post(f"/campaign/teams/{team_id}/members/{member_id}/remove")
        assert removed.status_code == 303
        assert removed.headers["location"] == f"/campaign/teams/{team_id}?done=member_removed"
        page = await client.get(removed.headers["location"] + "&lang=vi")
        assert "Lò Văn Dũng" not in page.text
        assert "Đã bỏ thành viên khỏi tổ." in page.text
        assert "campaign.member_removed" in _actions(context)

    async def test_a_team_can_be_renamed_but_not_to_a_name_taken(
        self, client: AsyncClient, context: Context, teams: dict[str, int]
    ) -> None:
        await log_in(client, "chairman")
        renamed = await client.post(f"/campaign/teams/{teams['Tổ 1']}/name", data={"name": "Tổ 1 – Bản Chang"})
        assert renamed.status_code == 303
        page = await client.get(f"/campaign/teams/{teams['Tổ 1']}")
        assert "<h1>Tổ 1 – Bản Chang</h1>" in page.text
        taken = await client.post(f"/campaign/teams/{teams['Tổ 1']}/name?lang=en", data={"name": "Tổ 2"})
        assert taken.status_code == 409
        assert "already has a team of this name" in taken.text
        assert "campaign.team_renamed" in _actions(context)

    async def test_the_village_head_cannot_remove_a_member(self, client: AsyncClient, teams: dict[str, int]) -> None:
        await log_in(client, "head.one")
        response = await client.post(f"/campaign/teams/{teams['Tổ 1']}/members/1/remove")
        assert response.status_code == 403


class TestKit:
    async def test_a_new_kit_takes_the_work_from_today_and_the_old_kit_drops_it(
        self, client: AsyncClient, context: Context, commune: SmallCommune, teams: dict[str, int]
    ) -> None:
        with unit_of_work(context.database.sessions) as session:
            kit = register_device(
                session=session,
                clock=context.clock,
                actor=COMMITTEE,
                commune_code=commune.code,
                public_jwk=public_jwk(generate_signing_key()),
            ).id
        await log_in(client, "chairman")
        page = await client.get(f"/campaign/teams/{teams['Tổ 1']}")
        assert f'<option value="{kit}">' in page.text  # registered and free
        changed = await client.post(f"/campaign/teams/{teams['Tổ 1']}/kit", data={"device_id": kit})
        assert changed.status_code == 303
        with unit_of_work(context.database.sessions) as session:
            old = kit_assignment(session=session, device_id="kit-a", day=TOMORROW)
            new = kit_assignment(session=session, device_id=kit, day=TOMORROW)
        assert old.village_ids == frozenset()
        assert new.village_ids == {commune.villages[0]}
        assert "campaign.kit" in _actions(context)
        taken = await client.post(f"/campaign/teams/{teams['Tổ 2']}/kit?lang=en", data={"device_id": kit})
        assert taken.status_code == 422  # the kit serves Tổ 1 now: not offered, refused
        assert "registered kit of the commune" in taken.text


class TestAssignments:
    async def test_assigning_villages_and_households_reaches_the_kit(
        self, client: AsyncClient, context: Context, commune: SmallCommune, teams: dict[str, int]
    ) -> None:
        await log_in(client, "chairman")
        household = commune.households[commune.villages[3]][0]
        response = await _assign(
            client, teams["Tổ 2"], village_ids=[str(commune.villages[2])], households=f"{household}"
        )
        assert response.status_code == 303
        with unit_of_work(context.database.sessions) as session:
            held = kit_assignment(session=session, device_id="kit-b", day=TOMORROW)
        assert held.village_ids == {commune.villages[2]}
        assert held.household_ids == {household}
        assert "campaign.assign" in _actions(context)

    async def test_reassignment_moves_the_work_and_the_old_kit_drops_it(
        self, client: AsyncClient, context: Context, commune: SmallCommune, teams: dict[str, int]
    ) -> None:
        await log_in(client, "chairman")
        with unit_of_work(context.database.sessions) as session:
            before = kit_assignment(session=session, device_id="kit-a", day=TOMORROW)
            row = session.scalars(select(Assignment.id).where(Assignment.team_id == teams["Tổ 1"])).one()
        moved = await client.post(
            f"/campaign/assignments/{row}/reassign",
            data={"team_id": str(teams["Tổ 2"]), "start": TOMORROW.isoformat()},
        )
        assert moved.status_code == 303
        assert moved.headers["location"] == f"/campaign/teams/{teams['Tổ 2']}?done=reassigned"
        with unit_of_work(context.database.sessions) as session:
            old = kit_assignment(session=session, device_id="kit-a", day=TOMORROW)
            new = kit_assignment(session=session, device_id="kit-b", day=TOMORROW)
        assert old.village_ids == frozenset()
        assert old.version > before.version  # the old kit learns at its next sync
        assert new.village_ids == {commune.villages[0]}
        assert "campaign.reassign" in _actions(context)

    async def test_withdrawal_takes_the_work_back(
        self, client: AsyncClient, context: Context, teams: dict[str, int]
    ) -> None:
        await log_in(client, "chairman")
        with unit_of_work(context.database.sessions) as session:
            row = session.scalars(select(Assignment.id).where(Assignment.team_id == teams["Tổ 1"])).one()
        assert (await client.post(f"/campaign/assignments/{row}/withdraw")).status_code == 303
        with unit_of_work(context.database.sessions) as session:
            assert kit_assignment(session=session, device_id="kit-a", day=TOMORROW).village_ids == frozenset()
        assert "campaign.withdraw" in _actions(context)
        again = await client.post(f"/campaign/assignments/{row}/withdraw?lang=en")
        assert again.status_code == 422  # already withdrawn: said on the page, not a 500

    async def test_bad_dates_are_refused_with_a_readable_message(
        self, client: AsyncClient, context: Context, commune: SmallCommune, teams: dict[str, int]
    ) -> None:
        await log_in(client, "chairman")
        for start, end, says in BAD_DATES:
            page = await _assign(client, teams["Tổ 2"], village_ids=[str(commune.villages[2])], start=start, end=end)
            assert page.status_code == 422, (start, end)
            assert says in page.text, (start, end)
            assert 'role="alert"' in page.text
        vietnamese = await client.post(
            f"/campaign/teams/{teams['Tổ 2']}/assignments?lang=vi",
            data={"village_ids": str(commune.villages[2]), "start": "x", "end": "y"},
        )
        assert "Hãy nhập ngày, ví dụ 2026-12-31." in vietnamese.text  # the rule, in the page's language
        with unit_of_work(context.database.sessions) as session:
            assert session.scalars(select(Assignment).where(Assignment.team_id == teams["Tổ 2"])).all() == []

    async def test_unknown_places_are_refused(self, client: AsyncClient, teams: dict[str, int]) -> None:
        await log_in(client, "chairman")
        for fields, says in BAD_PLACES:
            page = await _assign(client, teams["Tổ 2"], **fields)
            assert page.status_code == 422, fields
            assert says in page.text, fields

    async def test_reassigning_to_the_same_team_is_refused(
        self, client: AsyncClient, context: Context, teams: dict[str, int]
    ) -> None:
        await log_in(client, "chairman")
        with unit_of_work(context.database.sessions) as session:
            row = session.scalars(select(Assignment.id).where(Assignment.team_id == teams["Tổ 1"])).one()
        page = await client.post(
            f"/campaign/assignments/{row}/reassign?lang=en",
            data={"team_id": str(teams["Tổ 1"]), "start": TOMORROW.isoformat()},
        )
        assert page.status_code == 422
        assert "already this team" in page.text

    async def test_an_unknown_team_or_assignment_is_not_found(self, client: AsyncClient) -> None:
        await log_in(client, "chairman")
        assert (await client.get("/campaign/teams/999999")).status_code == 404
        assert (await client.post("/campaign/assignments/999999/withdraw")).status_code == 404


class TestTargets:
    async def test_a_listing_round_adds_a_target_version(
        self, client: AsyncClient, context: Context, commune: SmallCommune, campaign: Campaign
    ) -> None:
        await log_in(client, "chairman")
        village = commune.villages[0]
        response = await client.post(
            f"/campaign/targets/{village}", data={"adults": "321", "age_6_14": "40", "under_6": "12", "note": "rà soát"}
        )
        assert response.status_code == 303
        with unit_of_work(context.database.sessions) as session:
            target = service.current_targets(session=session, campaign_id=campaign.id)[village]
            versions = session.scalars(select(VillageTarget.version).where(VillageTarget.village_id == village)).all()
        assert (target.adults, target.age_6_14, target.under_6, target.source) == (321, 40, 12, "listing")
        assert sorted(versions) == [1, 2]
        assert "campaign.targets" in _actions(context)
        page = await client.get("/campaign/targets?lang=en")
        assert "v2" in page.text

    async def test_a_bad_number_is_refused(self, client: AsyncClient, context: Context, commune: SmallCommune) -> None:
        await log_in(client, "chairman")
        village = commune.villages[0]
        for adults, says in (("-3", "between 0 and"), ("many", "whole number"), ("", "whole number")):
            page = await client.post(
                f"/campaign/targets/{village}?lang=en", data={"adults": adults, "age_6_14": "1", "under_6": "1"}
            )
            assert page.status_code == 422, adults
            assert says in page.text, adults
        with unit_of_work(context.database.sessions) as session:
            assert session.scalars(select(VillageTarget.version).where(VillageTarget.village_id == village)).all() == [
                1
            ]


class TestWhoMay:
    async def test_a_supervisor_reads_but_may_not_change(self, client: AsyncClient, teams: dict[str, int]) -> None:
        await log_in(client, "checker")
        assert (await client.get("/campaign/teams")).status_code == 200
        refused = await client.post("/campaign/teams", data={"name": "Tổ 9"})
        assert refused.status_code == 403
        page = await client.get(f"/campaign/teams/{teams['Tổ 1']}")
        assert "/assignments" not in page.text  # no form to change anything

    async def test_an_operator_may_not_open_the_pages(self, client: AsyncClient) -> None:
        await log_in(client, "clerk")
        assert (await client.get("/campaign/teams")).status_code == 403
        assert (await client.get("/campaign/targets")).status_code == 403

    async def test_a_village_head_sees_their_village_and_changes_nothing(
        self, client: AsyncClient, context: Context, commune: SmallCommune, teams: dict[str, int]
    ) -> None:
        team_assignment(context, teams["Tổ 2"], TOMORROW, TOMORROW, village_ids=[commune.villages[1]])
        await log_in(client, "head.one")
        page = await client.get("/campaign/teams?lang=en")
        assert page.status_code == 200
        assert "Tổ 2" in page.text
        assert "Tổ 1" not in page.text  # sent elsewhere
        assert 'action="/campaign/teams"' not in page.text
        assert (await client.get(f"/campaign/teams/{teams['Tổ 1']}")).status_code == 403
        assert (await client.post("/campaign/teams", data={"name": "Tổ 9"})).status_code == 403
        assert (
            await client.post(
                f"/campaign/targets/{commune.villages[1]}", data={"adults": "1", "age_6_14": "1", "under_6": "1"}
            )
        ).status_code == 403
        targets = await client.get("/campaign/targets")
        assert targets.text.count('id="village-') == 1

    async def test_a_form_from_another_site_is_refused(self, client: AsyncClient, context: Context) -> None:
        await log_in(client, "chairman")
        response = await client.post(
            "/campaign/teams", data={"name": "Tổ 9"}, headers={"Origin": "https://evil.example"}
        )
        assert response.status_code == 403
        with unit_of_work(context.database.sessions) as session:
            assert session.scalar(select(Team.id).where(Team.name == "Tổ 9")) is None

    async def test_not_logged_in_goes_to_the_login_page(self, client: AsyncClient) -> None:
        response = await client.post("/campaign/teams", data={"name": "Tổ 9"})
        assert response.status_code == 303
        assert response.headers["location"].startswith("/login")


class TestPlanPage:
    async def test_the_plan_page_says_why_for_each_line(self, client: AsyncClient, teams: dict[str, int]) -> None:
        await log_in(client, "chairman")
        page = await client.get("/campaign/plan?lang=en")
        assert page.status_code == 200
        assert "Tomorrow&#39;s plan" in page.text
        assert "For 30/11/2026" in page.text  # Monday: the teams rest on Sunday
        assert "its kit already holds this village" in page.text  # Tổ 1 keeps the village it was sent to
        assert "{" not in page.text.split("<main>")[1]  # every reason's values filled in

    async def test_a_plan_line_opens_the_assignment_form_filled_in(
        self, client: AsyncClient, commune: SmallCommune, teams: dict[str, int]
    ) -> None:
        await log_in(client, "chairman")
        plan = await client.get("/campaign/plan?lang=en")
        link = plan.text.split('class="assign-link" href="')[1].split('"')[0].replace("&amp;", "&")
        assert "day=2026-11-30" in link
        form = await client.get(link)
        assert form.status_code == 200
        village = link.split("village=")[1].split("&")[0]
        assert f'<option value="{village}" selected>' in form.text
        assert 'id="assign-start" name="start" type="date" required value="2026-11-30"' in form.text

    async def test_a_village_head_sees_the_lines_of_their_village_only(
        self, client: AsyncClient, commune: SmallCommune
    ) -> None:
        await log_in(client, "head.one")
        page = await client.get("/campaign/plan?lang=en")
        assert page.status_code == 200
        shown = {int(part.split('"')[0]) for part in page.text.split('href="/campaign/villages/')[1:]}
        assert shown <= {commune.villages[1]}
        assert "assign-link" not in page.text  # nothing to change from a village head's login
