"""Fixtures for the country profile's tests."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from typer.testing import CliRunner, Result

from civicid.cli import app

DOMAIN_MRZ = "IDVNM0950012340019095001234<<2\n9503124M3503122VNM<<<<<<<<<<<0\nNGUYEN<<VAN<AN<<<<<<<<<<<<<<<<"


@pytest.fixture
def country_cli() -> Callable[..., Result]:
    """Run ``civicid country ARGS`` through the real root command (stdout and stderr kept apart)."""
    runner = CliRunner()

    def run(*args: str, stdin: str | None = None) -> Result:
        return runner.invoke(app, ["country", *args], input=stdin)

    return run
