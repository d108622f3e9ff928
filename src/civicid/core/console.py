"""How every CLI command prints data and reports bad input.

Commands that print data accept ``--json``; with it they print exactly one JSON document on
stdout. Domain errors become one line on stderr and exit status 2 (DESIGN.md decision 12).
"""

from __future__ import annotations

import datetime as dt
import json
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from pathlib import Path
from typing import Any, NoReturn

import typer
from rich.console import Console

from civicid.core.clock import Clock
from civicid.core.errors import CivicIDError
from civicid.core.runtime import Context, open_context
from civicid.core.settings import load_settings

console = Console()
error_console = Console(stderr=True)

JsonOption = typer.Option(False, "--json", help="Print one JSON document instead of text.")
DataOption = typer.Option(None, "--data", help="Data folder (default ./civicid-data, or $CIVICID_DATA_DIR).")


@dataclass(frozen=True)
class Invocation:
    """What the caller of the ``civicid`` command hands every sub-command (click's ``obj``).

    A person at a terminal gets the system clock in the country's zone, from the root command
    (``civicid.cli``); tests pass their frozen clock (``CliRunner.invoke(app, args,
    obj=Invocation(clock))``), so that nothing a command prints depends on the day the suite runs.
    """

    clock: Clock


_invocation: ContextVar[Invocation] = ContextVar("civicid_invocation")


@contextmanager
def invoked_as(invocation: Invocation) -> Iterator[None]:
    """Run one command with ``invocation`` (the root command group does this once per call)."""
    token = _invocation.set(invocation)
    try:
        yield
    finally:
        _invocation.reset(token)


def command_clock() -> Clock:
    """The running command's clock, as its invocation has it (:func:`invoked_as`)."""
    invocation = _invocation.get(None)
    if invocation is None:
        raise RuntimeError("a civicid command runs under the civicid root command, which hands it its clock")
    return invocation.clock


def command_context(data: Path | None, *, upgrade: bool = True, creates: bool = False) -> Context:
    """Settings, the database and the clock of the running command: how every data command starts.

    The data folder must exist, unless the command ``creates`` one (``demo``): see ``load_settings``.
    """
    return open_context(load_settings(data, existing=not creates), clock=command_clock(), upgrade=upgrade)


def _default(value: Any) -> Any:
    if isinstance(value, dt.date | dt.datetime):
        return value.isoformat()
    if hasattr(value, "model_dump"):
        return value.model_dump(mode="json")
    raise TypeError(f"cannot serialise {type(value).__name__}")


def emit(data: Any, *, as_json: bool, render: Callable[[Any], None] | None = None) -> None:
    """Print ``data`` as JSON, or through ``render`` for people (a Rich table, a line)."""
    if as_json or render is None:
        sys.stdout.write(json.dumps(data, ensure_ascii=False, default=_default, indent=2) + "\n")
    else:
        render(data)


def fail(message: str) -> NoReturn:
    """One line on stderr, exit status 2: the CLI's answer to bad input."""
    tell(f"error: {message}")
    raise typer.Exit(code=2)


def tell(line: str) -> None:
    """One line on stderr, never wrapped or styled: scripts and people both read it."""
    sys.stderr.write(line.replace("\n", " ") + "\n")


@contextmanager
def reporting_errors() -> Iterator[None]:
    """Turn a domain error raised inside a command into :func:`fail`."""
    try:
        yield
    except CivicIDError as exc:
        fail(f"{exc.detail} ({exc.code})")


def read_text_argument(value: str) -> str:
    """A TEXT or FILE argument where ``-`` means standard input."""
    if value == "-":
        return sys.stdin.read()
    return value
