"""Issue 19 in the campaign: the plan routes assisted activations to the team going to a village where
people have no path yet, and the report carries the new counts (children's cards requested, children's
accounts, assisted activations, without any path)."""

from __future__ import annotations

from tests.campaign.test_plan import codes, figures, plan_of, team, village

from civicid.campaign.plan import Why
from civicid.campaign.reports import COLUMNS, report_rows


def test_the_team_is_told_how_many_people_to_activate_face_to_face() -> None:
    hill = village(1)
    hill.without_path = 7
    plan = plan_of(figures([hill, village(2, km=20.0)], [team(1), team(2)]))
    line = next(line for line in plan.lines if line.village_id == 1)
    assert Why("assisted", {"people": "7"}) in line.why
    other = next(line for line in plan.lines if line.village_id == 2)
    assert "assisted" not in codes(other.why)


def test_the_report_has_a_column_for_each_new_count() -> None:
    v = village(1)
    v.child_cards_requested, v.child_cards, v.children_accounts, v.assisted, v.without_path = 3, 1, 4, 2, 9
    row = report_rows([figures([v], [])])[0]
    names = [name for name, _ in COLUMNS]
    for name, value in (
        ("child_cards_requested", 3),
        ("children_accounts", 4),
        ("assisted_activations", 2),
        ("without_path", 9),
    ):
        assert name in names
        assert row[name] == value
