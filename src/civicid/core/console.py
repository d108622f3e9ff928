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
from typing import Any, NoReturn

import typer
from rich.console import Console

from civicid.core.errors import CivicIDError

console = Console()
error_console = Console(stderr=True)

JsonOption = typer.Option(False, "--json", help="Print one JSON document instead of text.")
DataOption = typer.Option(None, "--data", help="Data folder (default ./civicid-data, or $CIVICID_DATA_DIR).")


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
