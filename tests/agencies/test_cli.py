"""``civicid agencies``: a simulated agency told it is down, then up again, for the demo."""

from __future__ import annotations

import json
from collections.abc import Callable

from typer.testing import Result

Civicid = Callable[..., Result]


def test_an_agency_is_told_it_is_down_then_up(civicid: Civicid) -> None:
    assert civicid("agencies", "down", "driving_licence").exit_code == 0
    status = json.loads(civicid("agencies", "status", "--json").stdout)
    down = {row["kind"]: row["down_since"] for row in status}
    assert down["driving_licence"] is not None
    assert down["health_insurance"] is None
    up = civicid("agencies", "up", "driving_licence")
    assert (up.exit_code, up.stdout.strip()) == (0, "the simulated agency for driving_licence is up")


def test_a_kind_without_a_simulated_agency_is_one_line_and_exit_2(civicid: Civicid) -> None:
    refused = civicid("agencies", "down", "tax")
    assert refused.exit_code == 2
    assert "no simulated agency answers for tax" in refused.stderr
