"""Clocks keep instants in UTC and say which day it is in the zone they are given (core/clock.py)."""

from __future__ import annotations

import datetime as dt

import pytest

from civicid.core.clock import FixedClock, SystemClock
from civicid.core.console import Invocation, command_clock, invoked_as
from civicid.country.zone import TIME_ZONE

# 20:00 UTC on 28 November is 03:00 on the 29th in Vietnam.
EVENING_UTC = dt.datetime(2026, 11, 28, 20, 0, tzinfo=dt.UTC)


def test_a_fixed_clock_says_the_day_in_its_zone() -> None:
    assert FixedClock(EVENING_UTC, zone=TIME_ZONE).today() == dt.date(2026, 11, 29)
    assert FixedClock(EVENING_UTC, zone=dt.UTC).today() == dt.date(2026, 11, 28)
    assert FixedClock(EVENING_UTC, zone=TIME_ZONE).now() == EVENING_UTC


def test_the_system_clock_says_the_day_in_its_zone() -> None:
    clock = SystemClock(zone=TIME_ZONE)
    before = dt.datetime.now(dt.UTC)
    today = clock.today()
    after = clock.now()
    assert after.tzinfo is dt.UTC
    assert today in {before.astimezone(TIME_ZONE).date(), after.astimezone(TIME_ZONE).date()}


def test_a_command_has_the_clock_its_invocation_hands_it() -> None:
    clock = FixedClock(EVENING_UTC, zone=TIME_ZONE)
    with invoked_as(Invocation(clock=clock)):
        assert command_clock() is clock
    with pytest.raises(RuntimeError, match="root command"):
        command_clock()
