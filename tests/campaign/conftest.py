"""A small simulated commune (four villages) and its running campaign, for the campaign's tests."""

from __future__ import annotations

import pytest
from tests.factories import SmallCommune, mapped_commune, running_campaign

from civicid.campaign.models import Campaign
from civicid.core.runtime import Context


@pytest.fixture
def commune(context: Context) -> SmallCommune:
    return mapped_commune(context)


@pytest.fixture
def campaign(context: Context, commune: SmallCommune) -> Campaign:
    return running_campaign(context, commune.code)
